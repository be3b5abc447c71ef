/*
 * server — the kiosk's page, served by the daemon with libmicrohttpd on
 * 127.0.0.1 (by default): the page's files (a fixed list from the
 * document root: no path outside it is ever read), the state pushed to
 * the page as Server-Sent Events, and the applicant's actions posted back
 * as JSON and decided on the kiosk's loop — the page proposes, the state
 * machine decides; a refused action is an HTTP error with words.
 *
 *   GET  /, /app.js, /speech.js, /style.css, /i18n/id.json, /i18n/en.json   the page
 *   GET  /api/events   text/event-stream: "event: state" with the newest
 *                      state (JSON) at once and at every change
 *   GET  /api/speech?lang=L&screen=S   audio/wav: screen S's title and
 *                      instruction spoken in language L, the words from
 *                      the page's own translation files (nothing from
 *                      the URL is ever spoken); 400 without both, 404 for
 *                      a language or screen the files do not have, 503
 *                      when the kiosk has no speech
 *   GET  /api/speech?lang=L&prompt=K   the same for one of the face
 *                      screen's prompts: K a key of the files,
 *                      face.prompt.ID or face.retry.WHY; 404 for another
 *                      key; 400 with both screen and prompt
 *   GET  /api/speech   {"ok":true,"languages":[...]}, or 503 without speech:
 *                      whether the page shows its speech controls
 *   GET  /api/camera.mjpeg   multipart/x-mixed-replace: the camera's
 *                      preview while the kiosk shows it (ui_server_preview),
 *                      one JPEG a part, the newest each time the watcher
 *                      has taken the last; the stream ends when the
 *                      preview is turned off. 404 while it is off, 503
 *                      beyond UI_PREVIEW_MAX_WATCHERS watchers
 *   POST /api/action   {"session": "...", "action": "...", ...} ->
 *                      200 {"ok":true} or 409/400 {"ok":false,"error":...}
 *
 * Threads: libmicrohttpd runs a thread per connection (a kiosk has one
 * browser; connections are capped); an action is handed to the loop's
 * thread and its connection waits for the loop's answer; publishing
 * happens on the loop and wakes every event stream. Camera frames come on
 * the loop too, which scales and encodes them; each preview watcher's
 * connection thread sends them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <jansson.h>

#include "ui/speech.h"

typedef enum ui_err {
	UI_OK = 0,
	UI_ERR_ARG,
	UI_ERR_NOMEM,
	UI_ERR_LISTEN,      /* the address cannot be listened on (in use, not allowed) */
	UI_ERR_DOCROOT,     /* the page's files are not there */
	UI_ERR_STRINGS,     /* a translation file is not JSON, or a screen's words are not strings */
} ui_err;

const char *ui_strerror(ui_err e);

typedef struct ui_server ui_server;

/* Decide an action on the loop: return true to accept it, or false with
 * words in why (why_len bytes) and an HTTP status in *ret_status (409 by
 * default). */
typedef bool (*ui_action_fn)(const json_t *action, char *why, size_t why_len, int *ret_status, void *user);

typedef struct ui_options {
	const char *address;     /* NULL: 127.0.0.1 */
	unsigned port;           /* 0: any free port (ui_server_port says which) */
	const char *docroot;     /* the folder holding index.html, app.js, style.css, i18n/ */
	GMainContext *ctx;       /* the loop that decides actions; NULL: the default */
	ui_action_fn on_action;
	void *user;
	speech *speech;          /* spoken prompts (borrowed; outlives the server); NULL: none */
} ui_options;

ui_err ui_server_new(const ui_options *o, ui_server **ret, char *message, size_t message_len);
/* Stop serving (event streams end) and free. NULL is fine. On the loop. */
void ui_server_free(ui_server *s);
unsigned ui_server_port(const ui_server *s);

/* The newest state for the page (on the loop); every event stream gets it. */
void ui_server_publish(ui_server *s, const json_t *state);

/* ---- the camera's preview (GET /api/camera.mjpeg) ---- */

#define UI_PREVIEW_MAX_FPS 15        /* frames encoded a second, at most: the rest are dropped */
#define UI_PREVIEW_MAX_WIDTH 640     /* wider frames are scaled down to it, keeping their aspect */
#define UI_PREVIEW_QUALITY 70        /* libjpeg-turbo's 1..100 */
#define UI_PREVIEW_MAX_WATCHERS 4

/*
 * One camera frame for the preview, on the loop: BGR8, rows top to bottom,
 * stride bytes a row (at least 3 * width); borrowed for the call only.
 * It is encoded only when someone watches and the rate allows; the
 * picture is the applicant's face, so nothing of it is written to disk.
 * bgr NULL turns the preview off: open streams end, and every frame and
 * JPEG held is wiped and freed.
 */
void ui_server_preview(ui_server *s, const uint8_t *bgr, int width, int height, size_t stride);

typedef struct ui_preview_stats {
	unsigned frames;         /* given while the preview was on */
	unsigned encoded;        /* made into a JPEG */
	unsigned unwatched;      /* not encoded: nobody watched */
	unsigned dropped;        /* not encoded: too soon after the last (UI_PREVIEW_MAX_FPS) */
	unsigned failed;         /* not encoded: a malformed frame, or libjpeg-turbo failed */
	unsigned watchers;       /* streams open now */
	unsigned refused;        /* streams refused: the preview off, or enough watchers */
	int width, height;       /* of the last JPEG */
	size_t bytes;            /* of the last JPEG */
	unsigned encode_us;      /* the last frame's scaling and encoding took */
	size_t held;             /* bytes of the applicant's picture in memory now (frames, JPEGs): 0 once off */
} ui_preview_stats;

/* What the preview did (any thread). */
void ui_server_preview_stats(ui_server *s, ui_preview_stats *ret);
