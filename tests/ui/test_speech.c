/*
 * test_speech — the kiosk's spoken prompts (ui/speech.c) on Debian's
 * espeak-ng (suite 'ui'): a prompt in Bahasa Indonesia and in English is a
 * WAV file a browser plays (RIFF header right, mono 16-bit at the
 * engine's rate, seconds of audio, not silence); the same prompt again
 * comes from the cache, and the cache stays bounded; a language the kiosk
 * does not speak, a text too long, too long to hear or not UTF-8 are
 * refused with words; data that is not there is an error at start naming
 * the folder; renders from several threads at once all succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "ui/speech.h"

static const char consent_id[] =
	"Data pribadi Anda. Data Anda hanya dipakai untuk permohonan paspor Anda, sesuai Undang-Undang Nomor 27 "
	"Tahun 2022 tentang Pelindungan Data Pribadi.";
static const char consent_en[] =
	"Your personal data. Your data are used only for your passport application, as Law 27 of 2022 on "
	"personal data protection requires.";

static uint32_t le(const guint8 *p, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Checks the WAV's header against its length and the engine's rate;
 * returns its length in seconds and its loudest sample in *peak. */
static double check_wav(GBytes *wav, unsigned rate, int *peak)
{
	gsize len = 0;
	const guint8 *w = g_bytes_get_data(wav, &len);
	assert_true(len > 44);
	assert_memory_equal(w, "RIFF", 4);
	assert_int_equal(le(w + 4, 4), len - 8);
	assert_memory_equal(w + 8, "WAVEfmt ", 8);
	assert_int_equal(le(w + 16, 4), 16);
	assert_int_equal(le(w + 20, 2), 1);             /* PCM */
	assert_int_equal(le(w + 22, 2), 1);             /* mono */
	assert_int_equal(le(w + 24, 4), rate);
	assert_int_equal(le(w + 28, 4), rate * 2);
	assert_int_equal(le(w + 32, 2), 2);
	assert_int_equal(le(w + 34, 2), 16);
	assert_memory_equal(w + 36, "data", 4);
	assert_int_equal(le(w + 40, 4), len - 44);
	assert_int_equal((len - 44) % 2, 0);
	*peak = 0;
	for (gsize i = 44; i + 1 < len; i += 2) {
		int v = (int16_t)le(w + i, 2);
		*peak = abs(v) > *peak ? abs(v) : *peak;
	}
	return (double)(len - 44) / 2 / rate;
}

static int setup(void **state)
{
	speech *sp = NULL;
	char msg[300] = "";
	if (speech_new(NULL, &sp, msg, sizeof(msg)) != SPEECH_OK) {
		fprintf(stderr, "speech_new: %s\n", msg);
		return -1;
	}
	*state = sp;
	return 0;
}

static int teardown(void **state)
{
	speech_free(*state);
	return 0;
}

/* Both languages: seconds of audible speech, the English prompt in the
 * English voice (a different text gives a different length). */
static void test_render(void **state)
{
	speech *sp = *state;
	speech_stats st;
	speech_get_stats(sp, &st);
	assert_true(st.sample_rate >= 8000);
	GBytes *id = NULL, *en = NULL;
	gint64 t0 = g_get_monotonic_time();
	assert_int_equal(speech_render(sp, "id", consent_id, &id), SPEECH_OK);
	gint64 t1 = g_get_monotonic_time();
	assert_int_equal(speech_render(sp, "en", consent_en, &en), SPEECH_OK);
	int peak = 0;
	double s_id = check_wav(id, st.sample_rate, &peak);
	assert_true(peak > 3000);
	double s_en = check_wav(en, st.sample_rate, &peak);
	assert_true(peak > 3000);
	/* At 150 words a minute the prompts (about 20 words) take seconds. */
	assert_true(s_id > 3 && s_id < 30);
	assert_true(s_en > 3 && s_en < 30);
	print_message("consent prompt: id %.1f s of audio (%zu bytes, rendered in %.0f ms), en %.1f s (%zu bytes)\n",
	              s_id, g_bytes_get_size(id), (double)(t1 - t0) / 1000, s_en, g_bytes_get_size(en));
	g_bytes_unref(id);
	g_bytes_unref(en);
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, 2);
	assert_int_equal(st.entries, 2);
}

/* The same prompt again: the cache's bytes, not a second render; the same
 * text in the other language is another prompt. */
static void test_cache(void **state)
{
	speech *sp = *state;
	GBytes *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(speech_render(sp, "en", "Touch the screen to start.", &a), SPEECH_OK);
	assert_int_equal(speech_render(sp, "en", "Touch the screen to start.", &b), SPEECH_OK);
	assert_ptr_equal(a, b);
	assert_true(g_bytes_equal(a, b));
	speech_stats st;
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.bytes, g_bytes_get_size(a));
	assert_int_equal(speech_render(sp, "id", "Touch the screen to start.", &c), SPEECH_OK);
	assert_ptr_not_equal(a, c);
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, 2);
	g_bytes_unref(a);
	g_bytes_unref(b);
	g_bytes_unref(c);
}

/* More prompts than the cache holds: it stays bounded, and the oldest is
 * the one rendered again. */
static void test_cache_bounded(void **state)
{
	speech *sp = *state;
	enum { N = SPEECH_CACHE_MAX_ENTRIES + 6 };
	char text[40];
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "Nomor %d.", i);
		GBytes *w = NULL;
		assert_int_equal(speech_render(sp, "id", text, &w), SPEECH_OK);
		g_bytes_unref(w);
	}
	speech_stats st;
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, N);
	assert_int_equal(st.entries, SPEECH_CACHE_MAX_ENTRIES);
	assert_true(st.bytes <= SPEECH_CACHE_MAX_BYTES);
	GBytes *w = NULL;
	snprintf(text, sizeof(text), "Nomor %d.", N - 1);
	assert_int_equal(speech_render(sp, "id", text, &w), SPEECH_OK); /* kept */
	g_bytes_unref(w);
	assert_int_equal(speech_render(sp, "id", "Nomor 0.", &w), SPEECH_OK);  /* dropped: rendered again */
	g_bytes_unref(w);
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, N + 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.entries, SPEECH_CACHE_MAX_ENTRIES);
}

/* Refusals, each with its own code and words; the output untouched. */
static void test_refused(void **state)
{
	speech *sp = *state;
	GBytes *sentinel = (GBytes *)state, *w = sentinel;
	assert_int_equal(speech_render(sp, "fr", "Bonjour.", &w), SPEECH_ERR_LANGUAGE);
	assert_int_equal(speech_render(sp, "", "Halo.", &w), SPEECH_ERR_LANGUAGE);
	assert_int_equal(speech_render(sp, "en\nx", "Hello.", &w), SPEECH_ERR_LANGUAGE);
	assert_false(speech_has_language("fr"));
	assert_true(speech_has_language("id") && speech_has_language("en"));
	char *long_text = g_strnfill(SPEECH_MAX_TEXT + 1, 'a');
	assert_int_equal(speech_render(sp, "en", long_text, &w), SPEECH_ERR_TOO_LONG);
	g_free(long_text);
	/* Within the text's limit, but longer to hear than a prompt may be. */
	GString *words = g_string_new(NULL);
	while (words->len + 8 <= SPEECH_MAX_TEXT)
		g_string_append(words, "9999999 "); /* each: "nine million nine hundred ..." */
	assert_int_equal(speech_render(sp, "en", words->str, &w), SPEECH_ERR_TOO_LONG);
	g_string_free(words, TRUE);
	assert_int_equal(speech_render(sp, "en", "", &w), SPEECH_ERR_ARG);
	assert_int_equal(speech_render(sp, "en", "caf\xc3", &w), SPEECH_ERR_ARG);
	assert_int_equal(speech_render(sp, NULL, "Hello.", &w), SPEECH_ERR_ARG);
	assert_ptr_equal(w, sentinel);
	speech_stats st;
	speech_get_stats(sp, &st);
	assert_int_equal(st.entries, 0);
	for (int e = SPEECH_OK; e <= SPEECH_ERR_TOO_LONG; e++)
		assert_true(strlen(speech_strerror((speech_err)e)) > 5);
}

/* Data that is not there: an error at start that names the folder; the
 * engine, once running, cannot move to other data. */
static void test_data(void **state)
{
	(void)state;
	char *dir = g_dir_make_tmp("appm-speech-XXXXXX", NULL);
	assert_non_null(dir);
	speech *sp = (speech *)state, *none = sp;
	char msg[300] = "";
	speech_options o = { .data_path = dir };
	assert_int_equal(speech_new(&o, &none, msg, sizeof(msg)), SPEECH_ERR_NO_DATA);
	assert_non_null(strstr(msg, dir));
	assert_ptr_equal(none, sp);
	/* Something that looks like data: refused, the engine runs on its own. */
	char *phontab = g_build_filename(dir, "phontab", NULL);
	assert_true(g_file_set_contents(phontab, "x", 1, NULL));
	assert_int_equal(speech_new(&o, &none, msg, sizeof(msg)), SPEECH_ERR_BUSY);
	assert_non_null(strstr(msg, "cannot be restarted"));
	g_unlink(phontab);
	g_free(phontab);
	g_rmdir(dir);
	g_free(dir);
	/* A second object on the running engine is fine. */
	assert_int_equal(speech_new(NULL, &none, msg, sizeof(msg)), SPEECH_OK);
	speech_free(none);
	speech_free(NULL);
}

typedef struct worker {
	speech *sp;
	int n;
	speech_err e;
	size_t len;
} worker;

static gpointer render_on_thread(gpointer data)
{
	worker *w = data;
	char text[60];
	snprintf(text, sizeof(text), "Loket nomor %d, silakan.", w->n);
	for (int i = 0; i < 3 && w->e == SPEECH_OK; i++) {
		GBytes *wav = NULL;
		w->e = speech_render(w->sp, i % 2 ? "en" : "id", text, &wav);
		if (wav)
			w->len = g_bytes_get_size(wav);
		g_bytes_unref(wav);
	}
	return NULL;
}

/* The engine is one per process: renders from several threads at once
 * (the page server's connections) take turns and all succeed. */
static void test_threads(void **state)
{
	speech *sp = *state;
	worker w[4];
	GThread *t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (worker){ .sp = sp, .n = i };
		t[i] = g_thread_new("render", render_on_thread, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		g_thread_join(t[i]);
		assert_int_equal(w[i].e, SPEECH_OK);
		assert_true(w[i].len > 44 + 1000);
	}
	speech_stats st;
	speech_get_stats(sp, &st);
	assert_int_equal(st.renders, 8); /* each thread: id, en, then id from the cache */
	assert_int_equal(st.hits, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests_name("speech", tests, NULL, NULL);
}
