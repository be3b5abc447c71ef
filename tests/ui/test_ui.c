/*
 * test_ui — the page's HTTP server (ui/server.c) with libcurl as the
 * browser (suite 'ui'): the page's files and nothing else; an action
 * decided on the loop's thread, accepted or refused with words; a body
 * that is not an action, or too long; the state pushed as Server-Sent
 * Events at once and at each change; stopping ends the event streams;
 * a screen's spoken prompt as audio/wav in either language, from the
 * translation files' words only (an unknown language or screen refused
 * with words), and no speech controls where the kiosk has no speech;
 * the face screen's prompts likewise, by their translation keys, cached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <glib/gstdio.h>

#include "ui/server.h"

/* One for the process: espeak-ng is (speech.h). */
static speech *the_speech;

typedef struct rig {
	GMainContext *ctx;
	ui_server *s;
	GThread *loop_thread;   /* where actions must be decided */
	int decided;
	bool decided_on_loop;
} rig;

static bool on_action(const json_t *action, char *why, size_t why_len, int *ret_status, void *user)
{
	rig *r = user;
	r->decided++;
	r->decided_on_loop = g_thread_self() == r->loop_thread;
	const char *session = json_string_value(json_object_get(action, "session"));
	const char *what = json_string_value(json_object_get(action, "action"));
	if (!session || strcmp(session, "s1") != 0) {
		snprintf(why, why_len, "this action is for another session");
		*ret_status = 409;
		return false;
	}
	return what && strcmp(what, "touch") == 0;
}

static int setup(void **state)
{
	rig *r = g_new0(rig, 1);
	r->ctx = g_main_context_new();
	r->loop_thread = g_thread_self();
	ui_options o = { .port = 0, .docroot = UI_DOCROOT, .ctx = r->ctx, .on_action = on_action, .user = r,
		         .speech = the_speech };
	char msg[300];
	if (ui_server_new(&o, &r->s, msg, sizeof(msg)) != UI_OK) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	rig *r = *state;
	ui_server_free(r->s);
	g_main_context_unref(r->ctx);
	g_free(r);
	return 0;
}

/* One HTTP exchange, run on a thread while the test's loop turns. */
typedef struct call {
	rig *r;
	const char *method, *path, *body;
	long status;
	char type[100];          /* the answer's Content-Type */
	GString *got;
	int events_wanted;      /* event stream: stop after this many events */
	gint events_seen;
	gint done;
} call;

static size_t collect(char *data, size_t size, size_t n, void *user)
{
	call *c = user;
	g_string_append_len(c->got, data, (gssize)(size * n));
	if (c->events_wanted) {
		int seen = 0;
		for (const char *p = strstr(c->got->str, "event: state"); p; p = strstr(p + 1, "event: state"))
			seen++;
		g_atomic_int_set(&c->events_seen, seen);
		if (seen >= c->events_wanted)
			return 0; /* enough: curl ends the transfer */
	}
	return size * n;
}

static gpointer run_call(gpointer data)
{
	call *c = data;
	char url[200];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", ui_server_port(c->r->s), c->path);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	struct curl_slist *hdr = NULL;
	if (c->body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	}
	curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	const char *type = NULL;
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
	snprintf(c->type, sizeof(c->type), "%s", type ? type : "");
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	g_atomic_int_set(&c->done, 1);
	g_main_context_wakeup(c->r->ctx);
	return NULL;
}

static void turn_until(rig *r, call *c)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (!g_atomic_int_get(&c->done) && g_get_monotonic_time() < until)
		g_main_context_iteration(r->ctx, FALSE), g_usleep(1000);
}

static call *exchange(rig *r, const char *method, const char *path, const char *body)
{
	call *c = g_new0(call, 1);
	*c = (call){ .r = r, .method = method, .path = path, .body = body, .got = g_string_new(NULL) };
	GThread *t = g_thread_new("curl", run_call, c);
	turn_until(r, c);
	g_thread_join(t);
	return c;
}

static void call_free(call *c)
{
	g_string_free(c->got, TRUE);
	g_free(c);
}

static void test_files(void **state)
{
	rig *r = *state;
	call *c = exchange(r, "GET", "/", NULL);
	assert_int_equal(c->status, 200);
	assert_non_null(strstr(c->got->str, "<!doctype html>"));
	call_free(c);
	c = exchange(r, "GET", "/speech.js", NULL);
	assert_int_equal(c->status, 200);
	assert_string_equal(c->type, "text/javascript; charset=utf-8");
	call_free(c);
	c = exchange(r, "GET", "/i18n/id.json", NULL);
	assert_int_equal(c->status, 200);
	json_t *j = json_loads(c->got->str, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "button.cancel")), "Batal");
	json_decref(j);
	call_free(c);
	/* The on-screen keyboard and the picture of the photo page. */
	c = exchange(r, "GET", "/keyboard.js", NULL);
	assert_int_equal(c->status, 200);
	assert_non_null(strstr(c->got->str, "appmKeys"));
	call_free(c);
	c = exchange(r, "GET", "/data-page.svg", NULL);
	assert_int_equal(c->status, 200);
	assert_non_null(strstr(c->got->str, "<svg"));
	call_free(c);
	/* Nothing outside the list, however the path is written. */
	static const char *const outside[] = { "/../meson.build", "/server.c", "/i18n/../app.js.map",
		                               "/%2e%2e/meson.build", "/api/nothing" };
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		c = exchange(r, "GET", outside[i], NULL);
		assert_int_equal(c->status, 404);
		call_free(c);
	}
}

static void test_actions(void **state)
{
	rig *r = *state;
	call *c = exchange(r, "POST", "/api/action", "{\"session\":\"s1\",\"action\":\"touch\"}");
	assert_int_equal(c->status, 200);
	assert_int_equal(r->decided, 1);
	assert_true(r->decided_on_loop);
	call_free(c);
	c = exchange(r, "POST", "/api/action", "{\"session\":\"s2\",\"action\":\"touch\"}");
	assert_int_equal(c->status, 409);
	assert_non_null(strstr(c->got->str, "another session"));
	call_free(c);
	c = exchange(r, "POST", "/api/action", "{\"session\":\"s1\",\"action\":\"submit\"}");
	assert_int_equal(c->status, 409);
	assert_non_null(strstr(c->got->str, "refused"));
	call_free(c);
	assert_int_equal(r->decided, 3);
	/* Not an action: never reaches the loop. */
	static const char *const bad[] = { "not json", "[1,2]", "{\"session\":\"s1\"}", "{\"action\":3}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = exchange(r, "POST", "/api/action", bad[i]);
		assert_int_equal(c->status, 400);
		call_free(c);
	}
	char *big = g_strnfill(20000, 'x');
	c = exchange(r, "POST", "/api/action", big);
	assert_int_equal(c->status, 413);
	call_free(c);
	g_free(big);
	assert_int_equal(r->decided, 3);
}

/* The newest state at once, then each change. */
static void test_events(void **state)
{
	rig *r = *state;
	json_t *st = json_pack("{s:s, s:s}", "screen", "wait-touch", "session", "s1");
	ui_server_publish(r->s, st);
	json_decref(st);
	call *c = g_new0(call, 1);
	*c = (call){ .r = r, .method = "GET", .path = "/api/events", .got = g_string_new(NULL), .events_wanted = 2 };
	GThread *t = g_thread_new("events", run_call, c);
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&c->events_seen) < 1 && g_get_monotonic_time() < until)
		g_usleep(1000);
	assert_int_equal(g_atomic_int_get(&c->events_seen), 1);
	st = json_pack("{s:s, s:s}", "screen", "wait-language", "session", "s1");
	ui_server_publish(r->s, st);
	json_decref(st);
	turn_until(r, c);
	g_thread_join(t);
	assert_int_equal(c->status, 200);
	const char *first = strstr(c->got->str, "data: {\"screen\":\"wait-touch\"");
	const char *second = strstr(c->got->str, "data: {\"screen\":\"wait-language\"");
	assert_non_null(first);
	assert_non_null(second);
	assert_true(first < second);
	call_free(c);
}

/* Stopping the server ends an open event stream. */
static void test_stop_ends_streams(void **state)
{
	rig *r = *state;
	json_t *st = json_pack("{s:s}", "screen", "wait-touch");
	ui_server_publish(r->s, st);
	json_decref(st);
	call *c = g_new0(call, 1);
	*c = (call){ .r = r, .method = "GET", .path = "/api/events", .got = g_string_new(NULL), .events_wanted = 99 };
	GThread *t = g_thread_new("events", run_call, c);
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&c->events_seen) < 1 && g_get_monotonic_time() < until)
		g_usleep(1000);
	ui_server_free(r->s);
	r->s = NULL;
	g_thread_join(t);
	assert_int_equal(g_atomic_int_get(&c->events_seen), 1);
	call_free(c);
	/* Set up again for the teardown. */
	ui_options o = { .port = 0, .docroot = UI_DOCROOT, .ctx = r->ctx, .on_action = on_action, .user = r,
		         .speech = the_speech };
	char msg[300];
	assert_int_equal(ui_server_new(&o, &r->s, msg, sizeof(msg)), UI_OK);
	/* A missing page is an error at start, naming it. */
	ui_server *none = NULL;
	o.docroot = "/nonexistent";
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_DOCROOT);
	assert_non_null(strstr(msg, "/nonexistent/index.html"));
	o.docroot = UI_DOCROOT;
	o.address = "localhost";
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_ARG);
	for (int e = UI_OK; e <= UI_ERR_STRINGS; e++)
		assert_true(strlen(ui_strerror((ui_err)e)) > 0);
}

/* A screen's prompt in each language: a WAV file, the words of that
 * language's file (the English prompt is not the Indonesian one). */
static void test_speech(void **state)
{
	rig *r = *state;
	call *c = exchange(r, "GET", "/api/speech", NULL);
	assert_int_equal(c->status, 200);
	assert_non_null(strstr(c->got->str, "\"languages\":[\"id\",\"en\"]"));
	call_free(c);
	call *id = exchange(r, "GET", "/api/speech?lang=id&screen=wait-consent", NULL);
	call *en = exchange(r, "GET", "/api/speech?lang=en&screen=wait-consent", NULL);
	for (call *x = id; x; x = x == id ? en : NULL) {
		assert_int_equal(x->status, 200);
		assert_string_equal(x->type, "audio/wav");
		assert_true(x->got->len > 44 + 22050 * 2); /* seconds of it */
		assert_memory_equal(x->got->str, "RIFF", 4);
		assert_memory_equal(x->got->str + 8, "WAVE", 4);
	}
	assert_true(id->got->len != en->got->len);
	call_free(id);
	call_free(en);
	/* The words of a screen with a question for a title: spoken, too. */
	c = exchange(r, "GET", "/api/speech?screen=wait-still-there&lang=en", NULL);
	assert_int_equal(c->status, 200);
	call_free(c);
}

/* A screen that shows one applicant's details says them too — the
 * application number one character at a time, the fee, a refusal's
 * reasons — from the state the page was given, rendered afresh and never
 * kept in the cache; another screen's prompt says none of them. */
static void test_speech_details(void **state)
{
	rig *r = *state;
	call *plain = exchange(r, "GET", "/api/speech?lang=en&screen=wait-receipt", NULL);
	assert_int_equal(plain->status, 200);
	json_t *st = json_pack("{s:s, s:s, s:s}", "session", "s1", "screen", "wait-receipt", "application_number",
	                       "APPM-2026-000123");
	ui_server_publish(r->s, st);
	json_decref(st);
	speech_stats before, after;
	speech_get_stats(the_speech, &before);
	call *told = exchange(r, "GET", "/api/speech?lang=en&screen=wait-receipt", NULL);
	call *again = exchange(r, "GET", "/api/speech?lang=en&screen=wait-receipt", NULL);
	speech_get_stats(the_speech, &after);
	assert_int_equal(told->status, 200);
	assert_true(told->got->len > plain->got->len + 22050 * 2 * 3); /* seconds more: 13 characters */
	assert_true(again->got->len + 4410 > told->got->len && told->got->len + 4410 > again->got->len); /* within 0.1 s */
	assert_int_equal(after.renders, before.renders + 2);
	assert_int_equal(after.entries, before.entries);
	call_free(told);
	call_free(again);
	/* The state shows another screen: the receipt's prompt is the plain one. */
	st = json_pack("{s:s, s:s}", "session", "s1", "screen", "wait-touch");
	ui_server_publish(r->s, st);
	json_decref(st);
	call *later = exchange(r, "GET", "/api/speech?lang=en&screen=wait-receipt", NULL);
	assert_true(later->got->len + 4410 > plain->got->len && plain->got->len + 4410 > later->got->len);
	call_free(later);
	/* The fee and a refusal's reasons, in the language asked for. */
	st = json_pack("{s:s, s:s, s:{s:i, s:i}}", "session", "s1", "screen", "wait-fee", "fee", "amount", 950000,
	               "validity_years", 10);
	ui_server_publish(r->s, st);
	json_decref(st);
	call *fee = exchange(r, "GET", "/api/speech?lang=id&screen=wait-fee", NULL);
	assert_int_equal(fee->status, 200);
	call_free(fee);
	call *fee_plain = NULL;
	st = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "session", "s1", "screen", "wait-refusal-seen", "reasons",
	               "code", "lost_or_stolen", "id", "Paspor ini telah dilaporkan hilang.", "en",
	               "This passport was reported lost.");
	ui_server_publish(r->s, st);
	json_decref(st);
	call *refusal = exchange(r, "GET", "/api/speech?lang=en&screen=wait-refusal-seen", NULL);
	st = json_pack("{s:s, s:s}", "session", "s1", "screen", "wait-touch");
	ui_server_publish(r->s, st);
	json_decref(st);
	fee_plain = exchange(r, "GET", "/api/speech?lang=en&screen=wait-refusal-seen", NULL);
	assert_int_equal(refusal->status, 200);
	assert_true(refusal->got->len > fee_plain->got->len + 22050 * 2);
	call_free(refusal);
	call_free(fee_plain);
	call_free(plain);
}

/* The face screen's prompts, by key: each language's own words, the
 * same audio as their text spoken alone, rendered once and then from the
 * cache; a retry's reason too. */
static void test_speech_face_prompts(void **state)
{
	rig *r = *state;
	speech_stats before, after;
	speech_get_stats(the_speech, &before);
	call *en = exchange(r, "GET", "/api/speech?lang=en&prompt=face.prompt.turn-left", NULL);
	call *id = exchange(r, "GET", "/api/speech?lang=id&prompt=face.prompt.turn-left", NULL);
	call *again = exchange(r, "GET", "/api/speech?lang=en&prompt=face.prompt.turn-left", NULL);
	speech_get_stats(the_speech, &after);
	for (call *x = en; x; x = x == en ? id : x == id ? again : NULL) {
		assert_int_equal(x->status, 200);
		assert_string_equal(x->type, "audio/wav");
		assert_true(x->got->len > 44 + 22050); /* half a second of it at least */
		assert_memory_equal(x->got->str, "RIFF", 4);
	}
	assert_true(en->got->len != id->got->len);
	assert_int_equal(again->got->len, en->got->len);
	assert_memory_equal(again->got->str, en->got->str, en->got->len);
	assert_int_equal(after.renders, before.renders + 2);
	assert_int_equal(after.hits, before.hits + 1);
	/* The words are the file's: the same text rendered directly is the same audio. */
	GBytes *direct = NULL;
	assert_int_equal(speech_render(the_speech, "en", "Turn your head to your left, then back", &direct), SPEECH_OK);
	assert_int_equal(g_bytes_get_size(direct), en->got->len);
	g_bytes_unref(direct);
	call_free(en);
	call_free(id);
	call_free(again);
	call *retry = exchange(r, "GET", "/api/speech?lang=id&prompt=face.retry.no-match", NULL);
	assert_int_equal(retry->status, 200);
	assert_string_equal(retry->type, "audio/wav");
	call_free(retry);
	/* A face prompt is the same for everyone: a state on the face screen
	 * adds nothing to it. */
	json_t *st = json_pack("{s:s, s:s, s:{s:s, s:s}}", "session", "s1", "screen", "wait-face", "face", "phase",
	                       "guide", "prompt", "move-closer");
	ui_server_publish(r->s, st);
	json_decref(st);
	call *plain = exchange(r, "GET", "/api/speech?lang=en&prompt=face.prompt.move-closer", NULL);
	call *cached = exchange(r, "GET", "/api/speech?lang=en&prompt=face.prompt.move-closer", NULL);
	assert_int_equal(plain->status, 200);
	assert_int_equal(plain->got->len, cached->got->len);
	call_free(plain);
	call_free(cached);
}

/* Nothing but a screen of the files, in a language of the files. */
static void test_speech_refused(void **state)
{
	rig *r = *state;
	static const struct {
		const char *path;
		long status;
		const char *words;
	} bad[] = {
		{ "/api/speech?lang=fr&screen=wait-consent", 404, "no such language" },
		{ "/api/speech?lang=&screen=wait-consent", 404, "no such language" },
		{ "/api/speech?lang=id&screen=wait-nothing", 404, "no such screen" },
		{ "/api/speech?lang=id&screen=Hello%20world", 404, "no such screen" },
		{ "/api/speech?lang=id&screen=wait-consent.title", 404, "no such screen" },
		{ "/api/speech?lang=id&screen=../index", 404, "no such screen" },
		{ "/api/speech?lang=id", 400, "lang and screen" },
		{ "/api/speech?screen=wait-consent", 400, "lang and screen" },
		/* A detail's template is not a screen (its words need the state). */
		{ "/api/speech?lang=en&screen=speech.fee", 404, "no such screen" },
		/* Face prompts: only the files' face.prompt and face.retry keys. */
		{ "/api/speech?lang=en&prompt=face.prompt.nothing", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=face.prompt.", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=button.cancel", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=speech.fee", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=screen.wait-face.title", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=wait-consent", 404, "no such prompt" },
		{ "/api/speech?lang=en&prompt=Hello%20world", 404, "no such prompt" },
		{ "/api/speech?lang=fr&prompt=face.prompt.blink", 404, "no such language" },
		{ "/api/speech?prompt=face.prompt.blink", 400, "lang and prompt" },
		{ "/api/speech?lang=en&screen=wait-face&prompt=face.prompt.blink", 400, "lang and prompt" },
		{ "/api/speech/id/wait-consent", 404, "no such page" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call *c = exchange(r, "GET", bad[i].path, NULL);
		assert_int_equal(c->status, bad[i].status);
		assert_string_equal(c->type, "application/json");
		if (!strstr(c->got->str, bad[i].words))
			fail_msg("%s: %s", bad[i].path, c->got->str);
		call_free(c);
	}
	/* A kiosk without speech says so, and the page hides its controls. */
	ui_server_free(r->s);
	ui_options o = { .port = 0, .docroot = UI_DOCROOT, .ctx = r->ctx, .on_action = on_action, .user = r };
	char msg[300];
	assert_int_equal(ui_server_new(&o, &r->s, msg, sizeof(msg)), UI_OK);
	for (int i = 0; i < 2; i++) {
		call *c = exchange(r, "GET", i ? "/api/speech?lang=id&screen=wait-consent" : "/api/speech", NULL);
		assert_int_equal(c->status, 503);
		assert_non_null(strstr(c->got->str, "spoken prompts are off"));
		call_free(c);
	}
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static void remove_file(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);
	remove(path);
	g_free(path);
}

/* Translation files the prompts cannot be read from: refused at start,
 * naming the file, with or without speech. */
static void test_speech_bad_strings(void **state)
{
	rig *r = *state;
	char *dir = g_dir_make_tmp("appm-ui-XXXXXX", NULL);
	assert_non_null(dir);
	char *i18n = g_build_filename(dir, "i18n", NULL);
	assert_int_equal(g_mkdir(i18n, 0700), 0);
	write_file(dir, "index.html", "<!doctype html>");
	ui_options o = { .port = 0, .docroot = dir, .ctx = r->ctx, .speech = the_speech };
	char msg[600];
	ui_server *none = NULL;
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_DOCROOT);
	assert_non_null(strstr(msg, "i18n/id.json"));
	write_file(dir, "i18n/id.json", "{\"screen.a.title\": \"A\",");
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_STRINGS);
	assert_non_null(strstr(msg, "i18n/id.json"));
	write_file(dir, "i18n/id.json", "{\"screen.a.title\": \"A\", \"screen.a.instruction\": 3}");
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_STRINGS);
	assert_non_null(strstr(msg, "screen a"));
	write_file(dir, "i18n/id.json", "{\"face.prompt.blink\": [\"Kedip\"]}");
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_STRINGS);
	assert_non_null(strstr(msg, "face.prompt.blink"));
	/* Without speech as well: a malformed file is the installation's
	 * fault, whether or not the kiosk speaks. */
	o.speech = NULL;
	assert_int_equal(ui_server_new(&o, &none, msg, sizeof(msg)), UI_ERR_STRINGS);
	assert_null(none);
	remove_file(dir, "i18n/id.json");
	remove_file(dir, "index.html");
	g_rmdir(i18n);
	g_rmdir(dir);
	g_free(i18n);
	g_free(dir);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	char msg[300];
	if (speech_new(NULL, &the_speech, msg, sizeof(msg)) != SPEECH_OK) {
		fprintf(stderr, "speech: %s\n", msg);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speech, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speech_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speech_face_prompts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speech_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speech_bad_strings, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("ui server", tests, NULL, NULL);
	speech_free(the_speech);
	curl_global_cleanup();
	return rc;
}
