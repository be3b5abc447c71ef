/*
 * test_preview — the camera's preview stream (ui/preview.c) through the
 * page server, with libcurl as the browser (suite 'ui'): the multipart
 * stream's headers and parts, each a JPEG that libjpeg-turbo decodes to
 * the scaled size (at most 640 wide, the aspect kept) in the frame's own
 * colours; no encoding while nobody watches, nor more than 15 frames a
 * second; a slow watcher given the newest frame, not every one; a fifth
 * watcher refused; turning the preview off ends every stream cleanly,
 * refuses new ones and keeps nothing of the picture in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <turbojpeg.h>

#include "ui/server.h"

#define BOUNDARY "appm-camera-frame"
#define FRAME_GAP_US 80000 /* more than 1/15 s: every frame given is encoded */

typedef struct rig {
	GMainContext *ctx;
	ui_server *s;
} rig;

static int setup(void **state)
{
	rig *r = g_new0(rig, 1);
	r->ctx = g_main_context_new();
	ui_options o = { .port = 0, .docroot = UI_DOCROOT, .ctx = r->ctx };
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

/* ---- frames ---- */

typedef struct frame {
	int width, height;
	size_t stride;
	uint8_t *data;
} frame;

/* One colour, B G R; the bytes past each row's pixels (stride) white,
 * which must not show. */
static frame *frame_solid(int width, int height, size_t pad, uint8_t b, uint8_t g, uint8_t r)
{
	frame *f = g_new0(frame, 1);
	*f = (frame){ .width = width, .height = height, .stride = (size_t)width * 3 + pad };
	f->data = g_malloc(f->stride * (size_t)height);
	memset(f->data, 255, f->stride * (size_t)height);
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			uint8_t *p = f->data + (size_t)y * f->stride + (size_t)x * 3;
			p[0] = b, p[1] = g, p[2] = r;
		}
	return f;
}

/* Noise (big JPEGs), with a grey block whose level says which frame it is. */
static void frame_mark(frame *f, GRand *rnd, int id)
{
	for (size_t i = 0; i < f->stride * (size_t)f->height; i++)
		f->data[i] = (uint8_t)g_rand_int(rnd);
	for (int y = 0; y < 128; y++)
		memset(f->data + (size_t)y * f->stride, 20 + 8 * id, 128 * 3);
}

static void frame_free(frame *f)
{
	g_free(f->data);
	g_free(f);
}

static void give(rig *r, const frame *f)
{
	ui_server_preview(r->s, f->data, f->width, f->height, f->stride);
}

static ui_preview_stats stats(rig *r)
{
	ui_preview_stats st;
	ui_server_preview_stats(r->s, &st);
	return st;
}

static void wait_watchers(rig *r, unsigned n)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (stats(r).watchers != n && g_get_monotonic_time() < until)
		g_usleep(1000);
	assert_int_equal(stats(r).watchers, n);
}

/* ---- a watcher: libcurl on its own thread ---- */

typedef struct watch {
	rig *r;
	int parts_wanted;        /* stop after this many parts; 0: until the stream ends */
	gint parts;              /* complete parts received so far */
	gint hold;               /* while set, the watcher reads nothing (a slow watcher) */
	bool small_window;       /* a small receive buffer, so that the server feels the hold */
	GMutex lock;             /* got grows on the watcher's thread, is read on the test's */
	GString *got, *headers;
	long status;
	CURLcode result;
	char type[120];
	GThread *thread;
	gint done;
} watch;

/* The parts wholly in s, each a JPEG: its bytes and headers. */
typedef struct part {
	const uint8_t *jpeg;
	size_t len;
	char type[64];
	long declared;           /* Content-Length */
} part;

/* Parse the multipart body; returns the parts found, up to max, and
 * whether it ended with the closing delimiter. */
static int parse_parts(const GString *s, part *out, int max, bool *ret_closed)
{
	const char *p = s->str, *end = s->str + s->len;
	int n = 0;
	*ret_closed = false;
	static const char open[] = "--" BOUNDARY "\r\n", close[] = "--" BOUNDARY "--\r\n";
	while (p < end) {
		if ((size_t)(end - p) >= sizeof(close) - 1 && memcmp(p, close, sizeof(close) - 1) == 0) {
			*ret_closed = p + sizeof(close) - 1 == end;
			break;
		}
		if ((size_t)(end - p) < sizeof(open) - 1 || memcmp(p, open, sizeof(open) - 1) != 0)
			break;
		const char *head = p + sizeof(open) - 1;
		const char *body = g_strstr_len(head, end - head, "\r\n\r\n");
		if (!body)
			break;
		part pt = { .declared = -1 };
		char *headers = g_strndup(head, (gsize)(body - head));
		char **lines = g_strsplit(headers, "\r\n", -1);
		for (char **l = lines; *l; l++) {
			if (g_ascii_strncasecmp(*l, "Content-Type: ", 14) == 0)
				snprintf(pt.type, sizeof(pt.type), "%s", *l + 14);
			else if (g_ascii_strncasecmp(*l, "Content-Length: ", 16) == 0)
				pt.declared = strtol(*l + 16, NULL, 10);
		}
		g_strfreev(lines);
		g_free(headers);
		body += 4;
		if (pt.declared < 0 || end - body < pt.declared + 2)
			break;
		pt.jpeg = (const uint8_t *)body;
		pt.len = (size_t)pt.declared;
		assert_memory_equal(body + pt.declared, "\r\n", 2);
		if (n < max)
			out[n] = pt;
		n++;
		p = body + pt.declared + 2;
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	watch *w = user;
	while (g_atomic_int_get(&w->hold))
		g_usleep(1000);
	g_mutex_lock(&w->lock);
	g_string_append_len(w->got, data, (gssize)(size * n));
	part unused[1];
	bool closed;
	int parts = parse_parts(w->got, unused, 0, &closed);
	g_mutex_unlock(&w->lock);
	g_atomic_int_set(&w->parts, parts);
	if (w->parts_wanted && parts >= w->parts_wanted)
		return 0; /* enough: libcurl ends the transfer, the page goes away */
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	watch *w = user;
	g_string_append_len(w->headers, data, (gssize)(size * n));
	return size * n;
}

static int small_window(void *user, curl_socket_t fd, curlsocktype purpose)
{
	(void)purpose;
	watch *w = user;
	int bytes = 4096;
	if (w->small_window)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	return CURL_SOCKOPT_OK;
}

static gpointer run_watch(gpointer data)
{
	watch *w = data;
	char url[200];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/camera.mjpeg", ui_server_port(w->r->s));
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, small_window);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	w->result = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &w->status);
	const char *type = NULL;
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
	snprintf(w->type, sizeof(w->type), "%s", type ? type : "");
	curl_easy_cleanup(h);
	g_atomic_int_set(&w->done, 1);
	return NULL;
}

static watch *watch_start(rig *r, int parts_wanted, bool slow)
{
	watch *w = g_new0(watch, 1);
	*w = (watch){ .r = r, .parts_wanted = parts_wanted, .small_window = slow, .got = g_string_new(NULL),
		      .headers = g_string_new(NULL) };
	g_mutex_init(&w->lock);
	w->thread = g_thread_new("watch", run_watch, w);
	return w;
}

static void watch_join(watch *w)
{
	g_thread_join(w->thread);
	w->thread = NULL;
}

static void watch_free(watch *w)
{
	if (w->thread)
		watch_join(w);
	g_mutex_clear(&w->lock);
	g_string_free(w->got, TRUE);
	g_string_free(w->headers, TRUE);
	g_free(w);
}

/* Give f every FRAME_GAP_US until w has `parts` parts (or has ended). */
static void give_until(rig *r, const frame *f, watch *w, int parts)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&w->parts) < parts && !g_atomic_int_get(&w->done) && g_get_monotonic_time() < until) {
		give(r, f);
		g_usleep(FRAME_GAP_US);
	}
	assert_true(g_atomic_int_get(&w->parts) >= parts);
}

/* A part's size, from its JPEG header. */
static void jpeg_size(const part *pt, int *ret_w, int *ret_h)
{
	tjhandle tj = tjInitDecompress();
	int sub = 0, space = 0;
	assert_int_equal(tjDecompressHeader3(tj, pt->jpeg, pt->len, ret_w, ret_h, &sub, &space), 0);
	tjDestroy(tj);
}

/* Give f every FRAME_GAP_US until the last part w has is width x height
 * (one of an earlier frame may still be on its way). */
static void give_until_size(rig *r, const frame *f, watch *w, int width, int height)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until) {
		give(r, f);
		g_usleep(FRAME_GAP_US);
		part parts[64];
		bool closed;
		int pw = 0, ph = 0;
		g_mutex_lock(&w->lock);
		int n = parse_parts(w->got, parts, 64, &closed);
		if (n >= 1 && n <= 64)
			jpeg_size(&parts[n - 1], &pw, &ph);
		g_mutex_unlock(&w->lock);
		if (pw == width && ph == height)
			return;
	}
	fail_msg("no part of %dx%d came", width, height);
}

/* A part: an image/jpeg of the declared length, decoding to width x
 * height; its mean colour (B G R) in ret_bgr, when asked. */
static void check_jpeg(const part *pt, int width, int height, double ret_bgr[3])
{
	assert_string_equal(pt->type, "image/jpeg");
	assert_int_equal(pt->len, (size_t)pt->declared);
	tjhandle tj = tjInitDecompress();
	int w = 0, h = 0, sub = 0, space = 0;
	assert_int_equal(tjDecompressHeader3(tj, pt->jpeg, pt->len, &w, &h, &sub, &space), 0);
	assert_int_equal(w, width);
	assert_int_equal(h, height);
	uint8_t *px = g_malloc((size_t)w * (size_t)h * 3);
	assert_int_equal(tjDecompress2(tj, pt->jpeg, pt->len, px, w, 0, h, TJPF_BGR, 0), 0);
	if (ret_bgr) {
		double sum[3] = { 0 };
		for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
			for (int c = 0; c < 3; c++)
				sum[c] += px[i * 3 + c];
		for (int c = 0; c < 3; c++)
			ret_bgr[c] = sum[c] / ((double)w * h);
	}
	g_free(px);
	tjDestroy(tj);
}

/* ---- the tests ---- */

/* Frames of three sizes, each as the page gets it: the stream's headers,
 * then each part a JPEG of the scaled size in the frame's colours (blue
 * stays blue: BGR is not read as RGB; the rows' padding never shows). */
static void test_stream(void **state)
{
	rig *r = *state;
	static const struct {
		int width, height, want_w, want_h;
		size_t pad;
	} sizes[] = {
		{ 1280, 720, 640, 360, 16 },
		{ 1000, 750, 640, 480, 0 },
		{ 321, 240, 321, 240, 5 },
		{ 1920, 1080, 640, 360, 0 },
	};
	frame *first = frame_solid(1280, 720, 0, 0, 0, 0);
	give(r, first); /* the preview is on */
	watch *w = watch_start(r, 0, false);
	wait_watchers(r, 1);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		frame *f = frame_solid(sizes[i].width, sizes[i].height, sizes[i].pad, 200, 50, 30);
		give_until_size(r, f, w, sizes[i].want_w, sizes[i].want_h);
		frame_free(f);
	}
	ui_server_preview(r->s, NULL, 0, 0, 0);
	watch_join(w);
	assert_int_equal(w->result, CURLE_OK);
	assert_int_equal(w->status, 200);
	assert_string_equal(w->type, "multipart/x-mixed-replace; boundary=" BOUNDARY);
	char *headers = g_ascii_strdown(w->headers->str, -1);
	assert_non_null(strstr(headers, "\r\ncache-control: no-store\r\n"));
	g_free(headers);
	part parts[64];
	bool closed = false;
	int n = parse_parts(w->got, parts, 64, &closed);
	assert_true(closed);
	assert_true(n >= (int)(sizeof(sizes) / sizeof(sizes[0])));
	/* Each size's first part: a watcher may get a size more than once. */
	size_t at = 0;
	for (int i = 0; i < n && at < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int pw = 0, ph = 0;
		jpeg_size(&parts[i], &pw, &ph);
		if (pw != sizes[at].want_w || ph != sizes[at].want_h)
			continue;
		double bgr[3];
		check_jpeg(&parts[i], sizes[at].want_w, sizes[at].want_h, bgr);
		assert_true(bgr[0] > 192 && bgr[0] < 208);
		assert_true(bgr[1] > 42 && bgr[1] < 58);
		assert_true(bgr[2] > 22 && bgr[2] < 38);
		at++;
	}
	assert_int_equal(at, sizeof(sizes) / sizeof(sizes[0]));
	ui_preview_stats st = stats(r);
	assert_int_equal(st.width, 640);
	assert_int_equal(st.height, 360);
	assert_int_equal(st.watchers, 0);
	assert_true(st.bytes > 0);
	watch_free(w);
	frame_free(first);
}

/* Nobody watching: nothing encoded. A watcher that leaves: encoding stops. */
static void test_unwatched(void **state)
{
	rig *r = *state;
	frame *f = frame_solid(1280, 720, 0, 10, 120, 240);
	for (int i = 0; i < 5; i++) {
		give(r, f);
		g_usleep(FRAME_GAP_US);
	}
	ui_preview_stats st = stats(r);
	assert_int_equal(st.frames, 5);
	assert_int_equal(st.unwatched, 5);
	assert_int_equal(st.encoded, 0);
	/* One watcher, for two parts, then it goes away. */
	watch *w = watch_start(r, 2, false);
	wait_watchers(r, 1);
	give_until(r, f, w, 2);
	watch_join(w);
	/* Its going is seen when a part cannot be sent to it. */
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (stats(r).watchers && g_get_monotonic_time() < until) {
		give(r, f);
		g_usleep(FRAME_GAP_US);
	}
	give(r, f); /* the loop drops its own copies at the first frame nobody watches */
	st = stats(r);
	assert_int_equal(st.watchers, 0);
	assert_int_equal(st.held, 0);
	unsigned encoded = st.encoded, unwatched = st.unwatched;
	assert_true(encoded >= 2);
	for (int i = 0; i < 5; i++) {
		give(r, f);
		g_usleep(FRAME_GAP_US);
	}
	st = stats(r);
	assert_int_equal(st.encoded, encoded);
	assert_int_equal(st.unwatched, unwatched + 5);
	watch_free(w);
	frame_free(f);
}

/* Frames given 200 a second: at most 15 a second encoded. */
static void test_rate(void **state)
{
	rig *r = *state;
	frame *f = frame_solid(640, 480, 0, 90, 90, 90);
	give(r, f);
	watch *w = watch_start(r, 0, false);
	wait_watchers(r, 1);
	unsigned before = stats(r).encoded, given = 0;
	gint64 start = g_get_monotonic_time();
	while (g_get_monotonic_time() - start < G_USEC_PER_SEC) {
		give(r, f);
		given++;
		g_usleep(5000);
	}
	double seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	ui_preview_stats st = stats(r);
	unsigned encoded = st.encoded - before;
	assert_true(encoded >= 3);
	assert_true(encoded <= (unsigned)(UI_PREVIEW_MAX_FPS * seconds) + 2);
	/* Some were dropped, when more came than the rate lets through (not
	 * so under valgrind, where each encode takes longer than 1/15 s). */
	if (given > (unsigned)(UI_PREVIEW_MAX_FPS * seconds) + 2)
		assert_true(st.dropped > 0);
	assert_int_equal(st.frames, st.encoded + st.unwatched + st.dropped + st.failed);
	ui_server_preview(r->s, NULL, 0, 0, 0);
	watch_join(w);
	assert_int_equal(w->result, CURLE_OK);
	watch_free(w);
	frame_free(f);
}

/* The grey block's level: which frame a part shows. */
static int frame_id(const part *pt)
{
	tjhandle tj = tjInitDecompress();
	int w = 0, h = 0, sub = 0, space = 0;
	assert_int_equal(tjDecompressHeader3(tj, pt->jpeg, pt->len, &w, &h, &sub, &space), 0);
	uint8_t *px = g_malloc((size_t)w * (size_t)h * 3);
	assert_int_equal(tjDecompress2(tj, pt->jpeg, pt->len, px, w, 0, h, TJPF_BGR, 0), 0);
	double sum = 0;
	for (int y = 16; y < 48; y++)
		for (int x = 16; x < 48; x++)
			sum += px[((size_t)y * w + x) * 3 + 1];
	g_free(px);
	tjDestroy(tj);
	return (int)((sum / (32 * 32) - 20) / 8 + 0.5);
}

/* A watcher that stops reading while 24 frames are made is sent the
 * newest when it reads again, not the ones it missed. */
static void test_slow_watcher(void **state)
{
	rig *r = *state;
	GRand *rnd = g_rand_new_with_seed(17);
	frame *f = frame_solid(1280, 720, 0, 0, 0, 0);
	frame_mark(f, rnd, 0);
	give(r, f);
	watch *w = watch_start(r, 0, true);
	wait_watchers(r, 1);
	give_until(r, f, w, 1);
	g_atomic_int_set(&w->hold, 1);
	enum { LAST = 24 };
	for (int id = 1; id <= LAST; id++) {
		frame_mark(f, rnd, id);
		give(r, f);
		g_usleep(FRAME_GAP_US);
	}
	g_atomic_int_set(&w->hold, 0);
	/* It reads on: the newest comes within a part or two. */
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	int seen = 0;
	while (g_get_monotonic_time() < until) {
		part parts[LAST + 2];
		bool closed;
		g_mutex_lock(&w->lock);
		int n = parse_parts(w->got, parts, LAST + 2, &closed);
		if (n && n <= LAST + 2 && frame_id(&parts[n - 1]) == LAST)
			seen = n;
		g_mutex_unlock(&w->lock);
		if (seen)
			break;
		g_usleep(10000);
	}
	ui_server_preview(r->s, NULL, 0, 0, 0);
	watch_join(w);
	part parts[LAST + 2];
	bool closed;
	int n = parse_parts(w->got, parts, LAST + 2, &closed);
	assert_true(seen > 0);
	assert_int_equal(n, seen);
	assert_true(n < LAST / 2); /* most were skipped */
	for (int i = 1; i < n; i++)
		assert_true(frame_id(&parts[i]) > frame_id(&parts[i - 1]));
	assert_int_equal(frame_id(&parts[n - 1]), LAST);
	assert_true(stats(r).encoded >= LAST);
	watch_free(w);
	frame_free(f);
	g_rand_free(rnd);
}

/* One exchange that is not a stream: its status and body. */
static long get(rig *r, const char *path, GString *body)
{
	char url[200];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", ui_server_port(r->s), path);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_header); /* appends, as headers are */
	watch sink = { .headers = body };
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	long status = 0;
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

/* Four watchers; a fifth is refused with words. Off: all four end, and
 * a new one is refused. */
static void test_watchers_and_off(void **state)
{
	rig *r = *state;
	GString *body = g_string_new(NULL);
	assert_int_equal(get(r, "/api/camera.mjpeg", body), 404); /* never on yet */
	assert_non_null(strstr(body->str, "preview is off"));
	frame *f = frame_solid(800, 600, 0, 60, 60, 60);
	give(r, f);
	watch *w[UI_PREVIEW_MAX_WATCHERS];
	for (int i = 0; i < UI_PREVIEW_MAX_WATCHERS; i++)
		w[i] = watch_start(r, 0, false);
	wait_watchers(r, UI_PREVIEW_MAX_WATCHERS);
	g_string_truncate(body, 0);
	assert_int_equal(get(r, "/api/camera.mjpeg", body), 503);
	assert_non_null(strstr(body->str, "watchers"));
	for (int i = 0; i < UI_PREVIEW_MAX_WATCHERS; i++)
		give_until(r, f, w[i], 1);
	assert_true(stats(r).held > 0);
	ui_server_preview(r->s, NULL, 0, 0, 0);
	assert_int_equal(stats(r).held, 0); /* at once, whatever the watchers were sending */
	for (int i = 0; i < UI_PREVIEW_MAX_WATCHERS; i++) {
		watch_join(w[i]);
		assert_int_equal(w[i]->result, CURLE_OK);
		part parts[64];
		bool closed = false;
		assert_true(parse_parts(w[i]->got, parts, 64, &closed) >= 1);
		assert_true(closed);
		check_jpeg(&parts[0], 640, 480, NULL);
		watch_free(w[i]);
	}
	wait_watchers(r, 0);
	assert_int_equal(stats(r).held, 0); /* nothing of the picture is kept */
	g_string_truncate(body, 0);
	assert_int_equal(get(r, "/api/camera.mjpeg", body), 404);
	assert_non_null(strstr(body->str, "preview is off"));
	assert_int_equal(stats(r).refused, 3);
	/* On again: a new watcher is served. */
	give(r, f);
	watch *again = watch_start(r, 1, false);
	wait_watchers(r, 1);
	give_until(r, f, again, 1);
	watch_free(again);
	frame_free(f);
	g_string_free(body, TRUE);
}

/* Stopping the server ends a stream too, and a frame of a malformed
 * size is refused, not read. */
static void test_stop_and_bad_frames(void **state)
{
	rig *r = *state;
	frame *f = frame_solid(640, 360, 0, 1, 2, 3);
	give(r, f);
	watch *w = watch_start(r, 0, false);
	wait_watchers(r, 1);
	give_until(r, f, w, 1);
	unsigned failed = stats(r).failed;
	g_usleep(FRAME_GAP_US);
	ui_server_preview(r->s, f->data, 640, 360, 640 * 3 - 1); /* stride shorter than a row */
	g_usleep(FRAME_GAP_US);
	ui_server_preview(r->s, f->data, 0, 360, 640 * 3);
	g_usleep(FRAME_GAP_US);
	ui_server_preview(r->s, f->data, 640, -1, 640 * 3);
	assert_int_equal(stats(r).failed, failed + 3);
	/* The stream ends (libmicrohttpd shuts its connections as it stops:
	 * the closing delimiter may not get out). */
	ui_server_free(r->s);
	r->s = NULL;
	watch_join(w);
	assert_true(w->result == CURLE_OK || w->result == CURLE_PARTIAL_FILE);
	watch_free(w);
	frame_free(f);
	ui_options o = { .port = 0, .docroot = UI_DOCROOT, .ctx = r->ctx };
	char msg[300];
	assert_int_equal(ui_server_new(&o, &r->s, msg, sizeof(msg)), UI_OK);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwatched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_watcher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchers_and_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_bad_frames, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("ui preview", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
