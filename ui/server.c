/*
 * server — the page's HTTP server on libmicrohttpd; see server.h.
 *
 * An action crosses from the connection's thread to the loop as a
 * "pending" decision attached to the loop's context as an idle source;
 * the connection waits (at most ACTION_WAIT_S) for the loop to decide.
 * A pending decision is shared by the two threads and freed by the last
 * one to let go; the server keeps the list of those not yet decided, so
 * that stopping can withdraw them before the server goes away.
 *
 * A spoken prompt is rendered on its connection's thread (speech.c locks
 * the engine), from words read once at start from the translation files.
 *
 * The camera's preview is preview.c's: this file routes its requests and
 * hands it the loop's frames.
 */
#include "ui/server.h"
#include "ui/preview-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define MAX_BODY (16 * 1024)
#define MAX_FILE (4 * 1024 * 1024)
#define ACTION_WAIT_S 10
#define KEEPALIVE_S 1 /* also how soon a stream whose page went away is noticed (the write fails) */
#define MAX_CONNECTIONS 64

struct ui_server {
	struct MHD_Daemon *mhd;
	char docroot[512];
	GMainContext *ctx;
	ui_action_fn on_action;
	void *user;
	unsigned port;
	GMutex lock;             /* guards what follows */
	GCond changed;           /* a new state, a decision, or stopping */
	char *state;             /* the newest state, JSON text */
	guint64 version;         /* 0: nothing published yet */
	bool stopping;
	GList *pending;          /* decisions not yet taken by the loop */
	speech *speech;          /* NULL: no spoken prompts */
	GHashTable *prompts;     /* "LANG\nKIND\nNAME" -> the words spoken (see words_key); read-only once started */
	ui_preview *preview;
};

const char *ui_strerror(ui_err e)
{
	switch (e) {
	case UI_OK: return "success";
	case UI_ERR_ARG: return "invalid argument";
	case UI_ERR_NOMEM: return "out of memory";
	case UI_ERR_LISTEN: return "the page's address cannot be listened on";
	case UI_ERR_DOCROOT: return "the page's files are missing";
	case UI_ERR_STRINGS: return "the page's translation files are malformed";
	}
	return "unknown page server error";
}

/* The page's files: nothing else is ever read. */
static const struct {
	const char *url, *file, *type;
} files[] = {
	{ "/", "index.html", "text/html; charset=utf-8" },
	{ "/index.html", "index.html", "text/html; charset=utf-8" },
	{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
	{ "/speech.js", "speech.js", "text/javascript; charset=utf-8" },
	{ "/keyboard.js", "keyboard.js", "text/javascript; charset=utf-8" },
	{ "/data-page.svg", "data-page.svg", "image/svg+xml" },
	{ "/style.css", "style.css", "text/css; charset=utf-8" },
	{ "/i18n/id.json", "i18n/id.json", "application/json" },
	{ "/i18n/en.json", "i18n/en.json", "application/json" },
};

/* ---- responses ---- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'; media-src 'self' blob: data:");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	return respond(c, status, "application/json", text, strlen(text));
}

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, const char *why)
{
	return respond_json(c, status, json_pack("{s:b, s:s}", "ok", 0, "error", why));
}

static enum MHD_Result serve_file(ui_server *s, struct MHD_Connection *c, const char *url)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(files[i].url, url) != 0)
			continue;
		char path[700];
		snprintf(path, sizeof(path), "%s/%s", s->docroot, files[i].file);
		gchar *data = NULL;
		gsize len = 0;
		if (!g_file_get_contents(path, &data, &len, NULL) || len > MAX_FILE) {
			g_free(data);
			return refuse(c, MHD_HTTP_NOT_FOUND, "the page's file is missing");
		}
		char *body = malloc(len ? len : 1);
		if (!body) {
			g_free(data);
			return MHD_NO;
		}
		memcpy(body, data, len);
		g_free(data);
		return respond(c, MHD_HTTP_OK, files[i].type, body, len);
	}
	return refuse(c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* ---- spoken prompts ---- */

/* The page's languages: each has its translation file among files[]. */
static const char *const languages[] = { "id", "en" };

static bool is_language(const char *lang)
{
	for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
		if (strcmp(languages[i], lang) == 0)
			return true;
	return false;
}

/* A screen's title and instruction as one text: a full stop between them
 * unless the title ends a sentence itself (a question). */
static char *prompt_text(const char *title, const char *instruction)
{
	size_t n = strlen(title);
	bool ended = n && strchr(".?!:", title[n - 1]);
	return g_strconcat(title, ended ? " " : ". ", instruction, NULL);
}

static const char *const detail_keys[] = { "speech.fee", "speech.number" };

/* The face screen's prompts: the translation keys starting so. */
static const char *const face_prompt_prefixes[] = { "face.prompt.", "face.retry." };

/* The prompts table's key: a language, the kind of words ("screen" a
 * screen's title and instruction, "detail" a template for a state's
 * details, "prompt" a face prompt) and their name, so that a name asked
 * for as one kind never finds another kind's words. */
static char *words_key(const char *lang, const char *kind, const char *name)
{
	return g_strconcat(lang, "\n", kind, "\n", name, NULL);
}

static const char *words_of(ui_server *s, const char *lang, const char *kind, const char *name)
{
	char *key = words_key(lang, kind, name);
	const char *words = g_hash_table_lookup(s->prompts, key);
	g_free(key);
	return words;
}

/* template (from the translation files) with {name} replaced by value. */
static void fill(GString *out, const char *template, const char *name, const char *value)
{
	char *mark = g_strconcat("{", name, "}", NULL);
	GString *t = g_string_new(template);
	g_string_replace(t, mark, value, 0);
	g_string_append(out, t->str);
	g_string_free(t, TRUE);
	g_free(mark);
}

/* What the screen shows besides its title and instruction, to be said
 * too, in lang: the fee, the application number (one character at a
 * time), a refusal's reasons — from the newest state, when it shows that
 * screen; NULL when there is nothing. Nothing of the URL is in it. */
static char *state_details(ui_server *s, const char *lang, const char *screen)
{
	g_mutex_lock(&s->lock);
	json_t *st = s->state ? json_loads(s->state, 0, NULL) : NULL;
	g_mutex_unlock(&s->lock);
	const char *shown = json_string_value(json_object_get(st, "screen"));
	GString *out = g_string_new(NULL);
	if (shown && strcmp(shown, screen) == 0) {
		if (strcmp(screen, "wait-fee") == 0 && json_object_get(st, "fee")) {
			char amount[32], years[16];
			snprintf(amount, sizeof(amount), "%lld",
			         (long long)json_integer_value(json_object_get(json_object_get(st, "fee"), "amount")));
			snprintf(years, sizeof(years), "%lld",
			         (long long)json_integer_value(json_object_get(json_object_get(st, "fee"), "validity_years")));
			const char *words = words_of(s, lang, "detail", "speech.fee");
			if (words) {
				GString *t = g_string_new(NULL);
				fill(t, words, "amount", amount);
				fill(out, t->str, "years", years);
				g_string_free(t, TRUE);
			}
		} else if (strcmp(screen, "wait-receipt") == 0) {
			const char *number = json_string_value(json_object_get(st, "application_number"));
			const char *words = words_of(s, lang, "detail", "speech.number");
			if (number && words) {
				GString *spelt = g_string_new(NULL);
				for (const char *c = number; *c; c++)
					if (g_ascii_isalnum(*c))
						g_string_append_printf(spelt, "%c ", *c);
					else
						g_string_append(spelt, ", ");
				fill(out, words, "number", spelt->str);
				g_string_free(spelt, TRUE);
			}
		} else if (strcmp(screen, "wait-refusal-seen") == 0) {
			size_t i;
			json_t *r;
			json_array_foreach(json_object_get(st, "reasons"), i, r) {
				const char *words = json_string_value(json_object_get(r, lang));
				if (words)
					g_string_append_printf(out, "%s%s", out->len ? " " : "", words);
			}
		}
	}
	json_decref(st);
	return g_string_free(out, out->len == 0);
}

/* Every "screen.S.title" with its "screen.S.instruction", the details'
 * templates and the face prompts, from each language's translation file,
 * into s->prompts. */
static ui_err load_prompts(ui_server *s, char *message, size_t message_len)
{
	s->prompts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++) {
		char path[700];
		snprintf(path, sizeof(path), "%s/i18n/%s.json", s->docroot, languages[i]);
		json_error_t jerr;
		json_t *strings = json_load_file(path, 0, &jerr);
		if (!json_is_object(strings)) {
			bool missing = !strings && !g_file_test(path, G_FILE_TEST_EXISTS);
			snprintf(message, message_len, "%s: %s", path, strings ? "not a JSON object" : jerr.text);
			json_decref(strings);
			return missing ? UI_ERR_DOCROOT : UI_ERR_STRINGS;
		}
		const char *key;
		json_t *title;
		json_object_foreach(strings, key, title) {
			size_t n = strlen(key);
			if (strncmp(key, "screen.", 7) != 0 || n < 14 || strcmp(key + n - 6, ".title") != 0)
				continue;
			char *screen = g_strndup(key + 7, n - 13);
			char *instruction_key = g_strconcat("screen.", screen, ".instruction", NULL);
			json_t *instruction = json_object_get(strings, instruction_key);
			g_free(instruction_key);
			if (!json_is_string(title) || !json_is_string(instruction)) {
				snprintf(message, message_len, "%s: screen %s: its title and instruction must be strings",
				         path, screen);
				g_free(screen);
				json_decref(strings);
				return UI_ERR_STRINGS;
			}
			g_hash_table_insert(s->prompts, words_key(languages[i], "screen", screen),
			                    prompt_text(json_string_value(title), json_string_value(instruction)));
			g_free(screen);
		}
		/* The words that say a state's details: "speech.fee", "speech.number". */
		for (size_t d = 0; d < sizeof(detail_keys) / sizeof(detail_keys[0]); d++) {
			const char *words = json_string_value(json_object_get(strings, detail_keys[d]));
			if (words)
				g_hash_table_insert(s->prompts, words_key(languages[i], "detail", detail_keys[d]),
				                    g_strdup(words));
		}
		json_t *words;
		json_object_foreach(strings, key, words) {
			bool face = false;
			for (size_t f = 0; f < sizeof(face_prompt_prefixes) / sizeof(face_prompt_prefixes[0]); f++)
				face = face || g_str_has_prefix(key, face_prompt_prefixes[f]);
			if (!face)
				continue;
			if (!json_is_string(words)) {
				snprintf(message, message_len, "%s: %s must be a string", path, key);
				json_decref(strings);
				return UI_ERR_STRINGS;
			}
			g_hash_table_insert(s->prompts, words_key(languages[i], "prompt", key),
			                    g_strdup(json_string_value(words)));
		}
		json_decref(strings);
	}
	return UI_OK;
}

static enum MHD_Result speak(ui_server *s, struct MHD_Connection *c)
{
	if (!s->speech)
		return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, "spoken prompts are off on this kiosk");
	const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
	const char *screen = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "screen");
	const char *prompt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "prompt");
	if (!lang && !screen && !prompt) {
		json_t *spoken = json_array();
		for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
			json_array_append_new(spoken, json_string(languages[i]));
		return respond_json(c, MHD_HTTP_OK, json_pack("{s:b, s:o}", "ok", 1, "languages", spoken));
	}
	if (!lang || !screen == !prompt)
		return refuse(c, MHD_HTTP_BAD_REQUEST, "a spoken prompt is asked for with lang and screen, or lang and prompt");
	if (!is_language(lang))
		return refuse(c, MHD_HTTP_NOT_FOUND, "the kiosk speaks no such language");
	const char *text = screen ? words_of(s, lang, "screen", screen) : words_of(s, lang, "prompt", prompt);
	if (!text)
		return refuse(c, MHD_HTTP_NOT_FOUND, screen ? "no such screen" : "no such prompt");
	GBytes *wav = NULL;
	/* A face prompt is the same words for everyone: cached. */
	char *details = screen ? state_details(s, lang, screen) : NULL;
	speech_err e;
	if (details) { /* one applicant's: never kept */
		char *all = g_strconcat(text, " ", details, NULL);
		e = speech_render_private(s->speech, lang, all, &wav);
		g_free(all);
		g_free(details);
	} else {
		e = speech_render(s->speech, lang, text, &wav);
	}
	if (e != SPEECH_OK) {
		char why[200];
		snprintf(why, sizeof(why), "the prompt could not be spoken: %s", speech_strerror(e));
		return refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
	}
	gsize len = 0;
	const void *data = g_bytes_get_data(wav, &len);
	char *body = malloc(len);
	if (body)
		memcpy(body, data, len);
	g_bytes_unref(wav);
	if (!body)
		return MHD_NO;
	return respond(c, MHD_HTTP_OK, "audio/wav", body, len);
}

/* ---- actions: decided on the loop ---- */

typedef struct pending {
	gint refs;
	ui_server *s;
	json_t *action;
	GSource *src;            /* the context's: valid while in the server's list */
	bool decided, accepted;
	int status;
	char why[300];
} pending;

static void pending_unref(gpointer data)
{
	pending *p = data;
	if (g_atomic_int_dec_and_test(&p->refs)) {
		json_decref(p->action);
		g_free(p);
	}
}

static gboolean decide(gpointer data)
{
	pending *p = data;
	ui_server *s = p->s;
	int status = MHD_HTTP_CONFLICT;
	char why[300] = "";
	bool ok = s->on_action ? s->on_action(p->action, why, sizeof(why), &status, s->user) : false;
	g_mutex_lock(&s->lock);
	s->pending = g_list_remove(s->pending, p);
	p->accepted = ok;
	p->status = ok ? MHD_HTTP_OK : status;
	snprintf(p->why, sizeof(p->why), "%s", why[0] ? why : "the kiosk refused this action");
	p->decided = true;
	g_cond_broadcast(&s->changed);
	g_mutex_unlock(&s->lock);
	return G_SOURCE_REMOVE;
}

static enum MHD_Result take_action(ui_server *s, struct MHD_Connection *c, const GString *body)
{
	json_error_t jerr;
	json_t *action = json_loadb(body->str, body->len, 0, &jerr);
	if (!json_is_object(action) || !json_is_string(json_object_get(action, "action"))) {
		json_decref(action);
		return refuse(c, MHD_HTTP_BAD_REQUEST, "an action is a JSON object with an \"action\" string");
	}
	pending *p = g_new0(pending, 1);
	p->refs = 2; /* this thread and the loop's source */
	p->s = s;
	p->action = action;
	g_mutex_lock(&s->lock);
	if (s->stopping) {
		g_mutex_unlock(&s->lock);
		p->refs = 1;
		pending_unref(p);
		return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the kiosk is stopping");
	}
	p->src = g_idle_source_new();
	g_source_set_callback(p->src, decide, p, pending_unref);
	s->pending = g_list_prepend(s->pending, p);
	g_source_attach(p->src, s->ctx);
	g_source_unref(p->src);
	gint64 until = g_get_monotonic_time() + ACTION_WAIT_S * G_USEC_PER_SEC;
	while (!p->decided && !s->stopping)
		if (!g_cond_wait_until(&s->changed, &s->lock, until))
			break;
	bool decided = p->decided, accepted = p->accepted;
	int status = p->status;
	char why[300];
	snprintf(why, sizeof(why), "%s", p->why);
	g_mutex_unlock(&s->lock);
	pending_unref(p);
	if (!decided)
		return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the kiosk did not answer in time");
	if (!accepted)
		return refuse(c, (unsigned)status, why);
	return respond_json(c, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1));
}

/* ---- the event stream ---- */

typedef struct stream {
	ui_server *s;
	guint64 sent;            /* the version last sent */
	GString *out;            /* bytes not yet given to libmicrohttpd */
	size_t at;
} stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	stream *st = cls;
	ui_server *s = st->s;
	if (st->at == st->out->len) {
		g_string_truncate(st->out, 0);
		st->at = 0;
		g_mutex_lock(&s->lock);
		gint64 until = g_get_monotonic_time() + KEEPALIVE_S * G_USEC_PER_SEC;
		while (s->version == st->sent && !s->stopping)
			if (!g_cond_wait_until(&s->changed, &s->lock, until))
				break;
		if (s->stopping) {
			g_mutex_unlock(&s->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (s->version != st->sent) {
			g_string_append_printf(st->out, "event: state\ndata: %s\n\n", s->state);
			st->sent = s->version;
		} else {
			g_string_append(st->out, ": still here\n\n"); /* keeps proxies and timers from closing it */
		}
		g_mutex_unlock(&s->lock);
	}
	size_t n = st->out->len - st->at < max ? st->out->len - st->at : max;
	memcpy(buf, st->out->str + st->at, n);
	st->at += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	stream *st = cls;
	g_string_free(st->out, TRUE);
	g_free(st);
}

static enum MHD_Result open_stream(ui_server *s, struct MHD_Connection *c)
{
	stream *st = g_new0(stream, 1);
	st->s = s;
	st->out = g_string_new(NULL);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the camera's preview (preview.c) ---- */

static enum MHD_Result watch_preview(ui_server *s, struct MHD_Connection *c)
{
	unsigned status = MHD_HTTP_NOT_FOUND;
	const char *why = "";
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r = ui_preview_watch(s->preview, info ? (int)info->connect_fd : -1, &status, &why);
	if (!r)
		return refuse(c, status, why);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

void ui_server_preview(ui_server *s, const uint8_t *bgr, int width, int height, size_t stride)
{
	ui_preview_frame(s->preview, bgr, width, height, stride);
}

void ui_server_preview_stats(ui_server *s, ui_preview_stats *ret)
{
	ui_preview_get_stats(s->preview, ret);
}

/* ---- requests ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	(void)version;
	ui_server *s = cls;
	if (strcmp(method, "GET") == 0) {
		if (strcmp(url, "/api/events") == 0)
			return open_stream(s, c);
		if (strcmp(url, "/api/speech") == 0)
			return speak(s, c);
		if (strcmp(url, "/api/camera.mjpeg") == 0)
			return watch_preview(s, c);
		return serve_file(s, c, url);
	}
	if (strcmp(method, "POST") != 0 || strcmp(url, "/api/action") != 0)
		return refuse(c, MHD_HTTP_NOT_FOUND, "no such page");
	GString *body = *con_cls;
	if (!body) { /* the headers: the body follows in the next calls */
		*con_cls = g_string_new(NULL);
		return MHD_YES;
	}
	if (*upload_len) {
		if (body->len + *upload_len <= MAX_BODY)
			g_string_append_len(body, upload, (gssize)*upload_len);
		else
			body->len = MAX_BODY + 1; /* remembered as too long; the rest is dropped */
		*upload_len = 0;
		return MHD_YES;
	}
	if (body->len > MAX_BODY)
		return refuse(c, MHD_HTTP_CONTENT_TOO_LARGE, "the action is too long");
	return take_action(s, c, body);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	if (*con_cls) {
		GString *body = *con_cls;
		if (body->len > MAX_BODY)
			body->len = 0; /* the length was a marker, not bytes */
		g_string_free(body, TRUE);
		*con_cls = NULL;
	}
}

/* ---- life ---- */

/* What ui_server_new made besides the daemon (stopped first). */
static void server_destroy(ui_server *s)
{
	if (s->prompts)
		g_hash_table_destroy(s->prompts);
	ui_preview_free(s->preview);
	free(s->state);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->changed);
	g_free(s);
}

ui_err ui_server_new(const ui_options *o, ui_server **ret, char *message, size_t message_len)
{
	if (!o || !o->docroot || !ret)
		return UI_ERR_ARG;
	char index[700];
	snprintf(index, sizeof(index), "%s/index.html", o->docroot);
	if (!g_file_test(index, G_FILE_TEST_IS_REGULAR)) {
		snprintf(message, message_len, "%s: the page is not there", index);
		return UI_ERR_DOCROOT;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	const char *address = o->address ? o->address : "127.0.0.1";
	if (o->port > 65535 || inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
		snprintf(message, message_len, "%s:%u: not an IPv4 address and port", address, o->port);
		return UI_ERR_ARG;
	}
	ui_server *s = g_new0(ui_server, 1);
	snprintf(s->docroot, sizeof(s->docroot), "%s", o->docroot);
	s->ctx = o->ctx ? o->ctx : g_main_context_default();
	s->on_action = o->on_action;
	s->user = o->user;
	s->speech = o->speech;
	g_mutex_init(&s->lock);
	g_cond_init(&s->changed);
	s->preview = ui_preview_new();
	/* The translation files are checked whether or not the kiosk speaks:
	 * a malformed one is a fault of the installation either way. */
	ui_err e = load_prompts(s, message, message_len);
	if (e != UI_OK) {
		server_destroy(s);
		return e;
	}
	s->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                          on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(message, message_len, "%s:%u: cannot listen (in use?)", address, o->port);
		server_destroy(s);
		return UI_ERR_LISTEN;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*ret = s;
	return UI_OK;
}

unsigned ui_server_port(const ui_server *s)
{
	return s->port;
}

void ui_server_publish(ui_server *s, const json_t *state)
{
	char *text = json_dumps(state, JSON_COMPACT);
	if (!text)
		return;
	g_mutex_lock(&s->lock);
	free(s->state);
	s->state = text;
	s->version++;
	g_cond_broadcast(&s->changed);
	g_mutex_unlock(&s->lock);
}

void ui_server_free(ui_server *s)
{
	if (!s)
		return;
	g_mutex_lock(&s->lock);
	s->stopping = true;
	/* Withdraw decisions the loop has not taken: their sources go now. */
	for (GList *l = s->pending; l; l = l->next)
		g_source_destroy(((pending *)l->data)->src);
	g_list_free(s->pending);
	s->pending = NULL;
	g_cond_broadcast(&s->changed);
	g_mutex_unlock(&s->lock);
	ui_preview_stop(s->preview);
	MHD_stop_daemon(s->mhd); /* waits for every connection's thread */
	server_destroy(s);
}
