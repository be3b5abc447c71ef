/*
 * face-host — the page server alone, on the face screen, for face.mjs:
 * the journey's side of the face step is not written yet, so the script
 * plays it, a command a line on standard input, answered on standard
 * output:
 *
 *   state JSON       publish JSON as the newest state
 *   frames on|off    camera frames at 30 a second (a 1280x720 test
 *                    picture), or the preview turned off
 *   stats            one line of JSON: the preview's figures
 *
 * It speaks when espeak-ng's data is installed, as the kiosk does, and
 * prints "port N" once it listens.
 *
 *   face-host DOCROOT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/server.h"

#define FRAME_W 1280
#define FRAME_H 720
#define FRAME_MS 33

typedef struct host {
	ui_server *s;
	GMainLoop *loop;
	uint8_t *frame;
	guint frames;            /* the frames' timer; 0: off */
	unsigned tick;           /* frames drawn */
} host;

/* A grey-blue backdrop, a light oval where a head would be, and a bar
 * that moves so that no two frames are alike. */
static void draw(host *h, unsigned tick)
{
	for (int y = 0; y < FRAME_H; y++)
		for (int x = 0; x < FRAME_W; x++) {
			uint8_t *p = h->frame + ((size_t)y * FRAME_W + (size_t)x) * 3;
			double dx = (x - FRAME_W / 2) / 150.0, dy = (y - FRAME_H / 2) / 200.0;
			bool head = dx * dx + dy * dy < 1;
			bool bar = (unsigned)x / 16 % 80 == tick % 80;
			p[0] = head ? 150 : bar ? 40 : (uint8_t)(120 + y / 12);
			p[1] = head ? 180 : bar ? 40 : (uint8_t)(100 + y / 12);
			p[2] = head ? 225 : bar ? 40 : (uint8_t)(80 + y / 12);
		}
}

static gboolean on_frame(gpointer user)
{
	host *h = user;
	draw(h, h->tick++);
	ui_server_preview(h->s, h->frame, FRAME_W, FRAME_H, (size_t)FRAME_W * 3);
	return G_SOURCE_CONTINUE;
}

static void command(host *h, const char *line)
{
	if (g_str_has_prefix(line, "state ")) {
		json_error_t jerr;
		json_t *st = json_loads(line + 6, 0, &jerr);
		if (!st) {
			printf("error %s\n", jerr.text);
		} else {
			ui_server_publish(h->s, st);
			json_decref(st);
			printf("ok\n");
		}
	} else if (strcmp(line, "frames on") == 0) {
		if (!h->frames)
			h->frames = g_timeout_add(FRAME_MS, on_frame, h);
		printf("ok\n");
	} else if (strcmp(line, "frames off") == 0) {
		if (h->frames)
			g_source_remove(h->frames);
		h->frames = 0;
		ui_server_preview(h->s, NULL, 0, 0, 0);
		printf("ok\n");
	} else if (strcmp(line, "stats") == 0) {
		ui_preview_stats st;
		ui_server_preview_stats(h->s, &st);
		printf("{\"watchers\":%u,\"encoded\":%u,\"unwatched\":%u,\"dropped\":%u,\"refused\":%u,"
		       "\"width\":%d,\"height\":%d,\"bytes\":%zu,\"encode_us\":%u,\"held\":%zu}\n",
		       st.watchers, st.encoded, st.unwatched, st.dropped, st.refused, st.width, st.height, st.bytes,
		       st.encode_us, st.held);
	} else {
		printf("error unknown command\n");
	}
	fflush(stdout);
}

static gboolean on_input(GIOChannel *in, GIOCondition cond, gpointer user)
{
	host *h = user;
	gchar *line = NULL;
	gsize len = 0;
	GIOStatus st = g_io_channel_read_line(in, &line, &len, NULL, NULL);
	if (st == G_IO_STATUS_NORMAL && line) {
		g_strchomp(line);
		command(h, line);
	}
	g_free(line);
	if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR || (cond & (G_IO_HUP | G_IO_ERR))) {
		g_main_loop_quit(h->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: face-host DOCROOT\n");
		return 2;
	}
	host h = { .frame = g_malloc((size_t)FRAME_W * FRAME_H * 3) };
	char msg[300];
	speech *sp = NULL;
	if (speech_new(NULL, &sp, msg, sizeof(msg)) != SPEECH_OK)
		fprintf(stderr, "face-host: no speech: %s\n", msg);
	ui_options o = { .docroot = argv[1], .speech = sp };
	ui_err e = ui_server_new(&o, &h.s, msg, sizeof(msg));
	if (e != UI_OK) {
		fprintf(stderr, "face-host: %s: %s\n", ui_strerror(e), msg);
		return 1;
	}
	printf("port %u\n", ui_server_port(h.s));
	fflush(stdout);
	h.loop = g_main_loop_new(NULL, FALSE);
	GIOChannel *in = g_io_channel_unix_new(0);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, &h);
	g_main_loop_run(h.loop);
	g_io_channel_unref(in);
	if (h.frames)
		g_source_remove(h.frames);
	ui_server_free(h.s);
	speech_free(sp);
	g_main_loop_unref(h.loop);
	g_free(h.frame);
	return 0;
}
