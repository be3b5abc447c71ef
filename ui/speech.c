/*
 * speech — spoken prompts on espeak-ng; see speech.h.
 *
 * The engine is espeak-ng's global state, so what guards it is global
 * too: engine_lock is held for every call into the library (its
 * synchronous mode calls on_samples back on the caller's thread, inside
 * espeak_ng_Synthesize) and for the caches, which renders fill. These
 * are the only mutable globals: they mirror the library's own.
 */
#include "ui/speech.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/espeak_ng.h>

#define SPEAKING_RATE_WPM 150      /* espeak-ng's default is 175: slower, for listeners who rely on it */
#define WAV_HEADER_LEN 44

/* The kiosk's languages and espeak-ng's voice for each. */
static const struct {
	const char *lang, *voice;
} voices[] = {
	{ "id", "id" },
	{ "en", "en" },
};

static GMutex engine_lock;         /* every call into espeak-ng; the caches */
static bool engine_up;             /* started, and kept: see speech.h */
static char engine_data[4096];     /* the data path it was started on; "" its default */
static unsigned engine_rate;       /* Hz */

typedef struct cached {
	char *key;                 /* "LANG\nTEXT" */
	GBytes *wav;
	GList link;                /* in the speech's lru queue, newest at the head */
} cached;

struct speech {
	GHashTable *cache;         /* key -> cached */
	GQueue lru;
	size_t bytes;
	unsigned renders, hits;
};

const char *speech_strerror(speech_err e)
{
	switch (e) {
	case SPEECH_OK: return "success";
	case SPEECH_ERR_ARG: return "invalid argument";
	case SPEECH_ERR_NOMEM: return "out of memory";
	case SPEECH_ERR_NO_DATA: return "espeak-ng's data (or a language's voice) is not installed";
	case SPEECH_ERR_ENGINE: return "espeak-ng failed";
	case SPEECH_ERR_BUSY: return "espeak-ng already runs on other data";
	case SPEECH_ERR_LANGUAGE: return "not a language the kiosk speaks";
	case SPEECH_ERR_TOO_LONG: return "too long to be spoken as a prompt";
	}
	return "unknown speech error";
}

static const char *voice_of(const char *lang)
{
	for (size_t i = 0; i < sizeof(voices) / sizeof(voices[0]); i++)
		if (strcmp(voices[i].lang, lang) == 0)
			return voices[i].voice;
	return NULL;
}

bool speech_has_language(const char *lang)
{
	return lang && voice_of(lang);
}

/* ---- the engine (under engine_lock) ---- */

/* espeak-ng's words for a status, with the file it concerns when the
 * context names one (it prints them only to a FILE). */
static void engine_words(espeak_ng_STATUS st, espeak_ng_ERROR_CONTEXT ctx, char *message, size_t message_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f) {
		espeak_ng_PrintStatusCodeMessage(st, f, ctx);
		fclose(f);
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '.'))
		text[--len] = '\0';
	if (len) {
		snprintf(message, message_len, "espeak-ng: %s", text);
	} else {
		char words[200];
		espeak_ng_GetStatusCodeMessage(st, words, sizeof(words));
		snprintf(message, message_len, "espeak-ng: %s", words);
	}
	free(text);
}

/* Whether dir holds espeak-ng's data, itself or in an espeak-ng-data folder. */
static bool holds_data(const char *dir)
{
	char *direct = g_build_filename(dir, "phontab", NULL);
	char *below = g_build_filename(dir, "espeak-ng-data", "phontab", NULL);
	bool found = g_file_test(direct, G_FILE_TEST_IS_REGULAR) || g_file_test(below, G_FILE_TEST_IS_REGULAR);
	g_free(direct);
	g_free(below);
	return found;
}

static int on_samples(short *samples, int n, espeak_EVENT *events);

static speech_err engine_start(const char *data_path, char *message, size_t message_len)
{
	const char *wanted = data_path ? data_path : "";
	/* espeak-ng falls back to its default data when a path holds none:
	 * a path given must be the one used. */
	if (data_path && !holds_data(data_path)) {
		snprintf(message, message_len, "%s: no espeak-ng data there (no phontab)", data_path);
		return SPEECH_ERR_NO_DATA;
	}
	if (engine_up) {
		if (strcmp(engine_data, wanted) == 0)
			return SPEECH_OK;
		snprintf(message, message_len, "espeak-ng already runs on %s, and cannot be restarted in one process",
		         engine_data[0] ? engine_data : "its default data");
		return SPEECH_ERR_BUSY;
	}
	if (strlen(wanted) >= sizeof(engine_data))
		return SPEECH_ERR_ARG;
	espeak_ng_InitializePath(data_path);
	espeak_ng_ERROR_CONTEXT ctx = NULL;
	espeak_ng_STATUS st = espeak_ng_Initialize(&ctx);
	if (st != ENS_OK) {
		engine_words(st, ctx, message, message_len);
		espeak_ng_ClearErrorContext(&ctx);
		return st == (espeak_ng_STATUS)ENOENT ? SPEECH_ERR_NO_DATA : SPEECH_ERR_ENGINE;
	}
	st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
	int rate = espeak_ng_GetSampleRate();
	if (st != ENS_OK) {
		engine_words(st, NULL, message, message_len);
		return SPEECH_ERR_ENGINE;
	}
	if (rate <= 0) {
		snprintf(message, message_len, "espeak-ng gave no sample rate");
		return SPEECH_ERR_ENGINE;
	}
	espeak_SetSynthCallback(on_samples);
	engine_rate = (unsigned)rate;
	snprintf(engine_data, sizeof(engine_data), "%s", wanted);
	engine_up = true;
	return SPEECH_OK;
}

static speech_err engine_voice(const char *voice, char *message, size_t message_len)
{
	espeak_ng_STATUS st = espeak_ng_SetVoiceByName(voice);
	if (st == ENS_VOICE_NOT_FOUND) {
		snprintf(message, message_len, "espeak-ng has no voice '%s' in its data", voice);
		return SPEECH_ERR_NO_DATA;
	}
	if (st != ENS_OK) {
		engine_words(st, NULL, message, message_len);
		return SPEECH_ERR_ENGINE;
	}
	if (espeak_ng_SetParameter(espeakRATE, SPEAKING_RATE_WPM, 0) != ENS_OK) {
		snprintf(message, message_len, "espeak-ng refused the speaking rate");
		return SPEECH_ERR_ENGINE;
	}
	return SPEECH_OK;
}

/* What one render collects: the samples, little-endian. */
typedef struct take {
	GByteArray *pcm;
	size_t max;
	bool too_long;
} take;

static int on_samples(short *samples, int n, espeak_EVENT *events)
{
	take *t = events ? events->user_data : NULL;
	if (!t || !samples || n <= 0)
		return 0;
	size_t len = (size_t)n * 2;
	if (t->pcm->len + len > t->max) {
		t->too_long = true;
		return 1; /* stop the synthesis */
	}
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	g_byte_array_append(t->pcm, (const guint8 *)samples, (guint)len);
#else
	for (int i = 0; i < n; i++) {
		guint16 v = GUINT16_TO_LE((guint16)samples[i]);
		g_byte_array_append(t->pcm, (const guint8 *)&v, 2);
	}
#endif
	return 0;
}

static void put_le(guint8 *at, uint32_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		at[i] = (guint8)(v >> (8 * i));
}

/* RIFF/WAVE, one PCM chunk: mono, 16-bit, at rate. */
static void wav_header(guint8 h[WAV_HEADER_LEN], unsigned rate, uint32_t data_len)
{
	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36 + data_len, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);          /* the fmt chunk's length */
	put_le(h + 20, 1, 2);           /* PCM */
	put_le(h + 22, 1, 2);           /* channels */
	put_le(h + 24, rate, 4);
	put_le(h + 28, rate * 2, 4);    /* bytes per second */
	put_le(h + 32, 2, 2);           /* bytes per frame */
	put_le(h + 34, 16, 2);          /* bits per sample */
	memcpy(h + 36, "data", 4);
	put_le(h + 40, data_len, 4);
}

static speech_err synthesize(const char *voice, const char *text, size_t len, GBytes **ret_wav)
{
	char unused[300];
	speech_err e = engine_voice(voice, unused, sizeof(unused));
	if (e != SPEECH_OK)
		return e;
	take t = { .pcm = g_byte_array_sized_new(WAV_HEADER_LEN + 64 * 1024),
		   .max = (size_t)engine_rate * 2 * SPEECH_MAX_AUDIO_S + WAV_HEADER_LEN };
	guint8 header[WAV_HEADER_LEN] = { 0 };
	g_byte_array_append(t.pcm, header, sizeof(header)); /* filled in below */
	espeak_ng_STATUS st = espeak_ng_Synthesize(text, len + 1, 0, POS_CHARACTER, 0,
	                                           espeakCHARS_UTF8 | espeakENDPAUSE, NULL, &t);
	if (t.too_long || st != ENS_OK || t.pcm->len == WAV_HEADER_LEN) {
		g_byte_array_free(t.pcm, TRUE);
		return t.too_long ? SPEECH_ERR_TOO_LONG : SPEECH_ERR_ENGINE;
	}
	wav_header(t.pcm->data, engine_rate, t.pcm->len - WAV_HEADER_LEN);
	*ret_wav = g_byte_array_free_to_bytes(t.pcm);
	return SPEECH_OK;
}

/* ---- the cache (under engine_lock) ---- */

static void cached_free(gpointer data)
{
	cached *c = data;
	g_free(c->key);
	g_bytes_unref(c->wav);
	g_free(c);
}

static void cache_drop_oldest(speech *sp)
{
	GList *last = g_queue_peek_tail_link(&sp->lru);
	cached *c = last->data;
	g_queue_unlink(&sp->lru, last);
	sp->bytes -= g_bytes_get_size(c->wav);
	g_hash_table_remove(sp->cache, c->key); /* frees c */
}

/* Keeps key (taken) and a reference to wav. */
static void cache_put(speech *sp, char *key, GBytes *wav)
{
	size_t size = g_bytes_get_size(wav);
	if (size > SPEECH_CACHE_MAX_BYTES) {
		g_free(key);
		return;
	}
	while (sp->lru.length && (sp->lru.length >= SPEECH_CACHE_MAX_ENTRIES || sp->bytes + size > SPEECH_CACHE_MAX_BYTES))
		cache_drop_oldest(sp);
	cached *c = g_new0(cached, 1);
	c->key = key;
	c->wav = g_bytes_ref(wav);
	c->link.data = c;
	g_queue_push_head_link(&sp->lru, &c->link);
	sp->bytes += size;
	g_hash_table_insert(sp->cache, c->key, c);
}

/* ---- public ---- */

speech_err speech_new(const speech_options *o, speech **ret, char *message, size_t message_len)
{
	if (!ret)
		return SPEECH_ERR_ARG;
	char unused[2];
	if (!message) {
		message = unused;
		message_len = sizeof(unused);
	}
	g_mutex_lock(&engine_lock);
	speech_err e = engine_start(o ? o->data_path : NULL, message, message_len);
	for (size_t i = 0; e == SPEECH_OK && i < sizeof(voices) / sizeof(voices[0]); i++)
		e = engine_voice(voices[i].voice, message, message_len);
	g_mutex_unlock(&engine_lock);
	if (e != SPEECH_OK)
		return e;
	speech *sp = g_new0(speech, 1);
	sp->cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cached_free);
	g_queue_init(&sp->lru);
	*ret = sp;
	return SPEECH_OK;
}

void speech_free(speech *sp)
{
	if (!sp)
		return;
	g_queue_init(&sp->lru); /* forgets its links, which are inside the entries freed next */
	g_hash_table_destroy(sp->cache);
	g_free(sp);
}

/* Render text; kept in the cache (and looked up there) when keep. */
static speech_err render(speech *sp, const char *lang, const char *text, bool keep, GBytes **ret_wav)
{
	if (!sp || !lang || !text || !ret_wav)
		return SPEECH_ERR_ARG;
	const char *voice = voice_of(lang);
	if (!voice)
		return SPEECH_ERR_LANGUAGE;
	size_t len = strlen(text);
	if (len > SPEECH_MAX_TEXT)
		return SPEECH_ERR_TOO_LONG;
	if (!len || !g_utf8_validate(text, (gssize)len, NULL))
		return SPEECH_ERR_ARG;
	char *key = g_strconcat(lang, "\n", text, NULL);
	g_mutex_lock(&engine_lock);
	cached *c = keep ? g_hash_table_lookup(sp->cache, key) : NULL;
	if (c) {
		g_queue_unlink(&sp->lru, &c->link);
		g_queue_push_head_link(&sp->lru, &c->link);
		sp->hits++;
		*ret_wav = g_bytes_ref(c->wav);
		g_mutex_unlock(&engine_lock);
		g_free(key);
		return SPEECH_OK;
	}
	GBytes *wav = NULL;
	speech_err e = synthesize(voice, text, len, &wav);
	if (e == SPEECH_OK) {
		sp->renders++;
		*ret_wav = wav;
	}
	if (e == SPEECH_OK && keep)
		cache_put(sp, key, wav);
	else
		g_free(key);
	g_mutex_unlock(&engine_lock);
	return e;
}

speech_err speech_render(speech *sp, const char *lang, const char *text, GBytes **ret_wav)
{
	return render(sp, lang, text, true, ret_wav);
}

speech_err speech_render_private(speech *sp, const char *lang, const char *text, GBytes **ret_wav)
{
	return render(sp, lang, text, false, ret_wav);
}

void speech_get_stats(speech *sp, speech_stats *ret)
{
	g_mutex_lock(&engine_lock);
	*ret = (speech_stats){ .sample_rate = engine_rate, .renders = sp->renders, .hits = sp->hits,
		               .entries = sp->lru.length, .bytes = sp->bytes };
	g_mutex_unlock(&engine_lock);
}
