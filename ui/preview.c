/*
 * preview — the camera's live preview on the page's face screen, as MJPEG
 * (multipart/x-mixed-replace, one JPEG a part); see server.h.
 *
 * Frames come from the loop. One is encoded only while someone watches,
 * and at most UI_PREVIEW_MAX_FPS a second: scaled down on the loop (a box
 * filter, each pixel the mean of those it covers) and compressed by
 * libjpeg-turbo into one part — its headers and the JPEG — that every
 * watcher shares. Each watcher's connection thread sends the newest part
 * once it has sent the last one, so a slow watcher skips frames instead
 * of queueing them: nothing grows with a watcher's slowness.
 *
 * The frames are the applicant's face, biometric data. They live only in
 * memory: the scaled frame and the JPEG the loop reuses, the newest part,
 * and the part each watcher is sending. Each is wiped when dropped, and
 * all are dropped when the preview is turned off (a watcher in the middle
 * of a part has it taken away, and its stream is cut) or when the last
 * watcher leaves (the loop's own at the next frame).
 */
#include "ui/preview-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <turbojpeg.h>

#define BOUNDARY "appm-camera-frame"
#define MAX_SIDE 8192             /* a camera frame larger than this is a fault, not a picture */
#define BLOCK_SIZE (32 * 1024)    /* bytes handed to libmicrohttpd at a time */
/* A watcher's socket buffer, set rather than grown by the kernel (to
 * megabytes): what it holds is frames queued for a slow watcher, seconds
 * old by the time they are seen. A few frames' worth. */
#define SEND_BUFFER (128 * 1024)

/* A part, as sent: its headers, the JPEG, the CRLF before the next
 * boundary. Wiped when the last reference goes. */
typedef struct part {
	size_t len;
	uint8_t bytes[];
} part;

struct ui_preview {
	/* The loop's alone: */
	tjhandle tj;
	uint8_t *scaled;          /* the frame scaled down, reused */
	size_t scaled_len;
	uint32_t *sums;           /* one row of the box filter's sums */
	size_t sums_len;
	unsigned char *jpeg;      /* libjpeg-turbo's output, reused */
	unsigned long jpeg_len;
	gint64 due;               /* when the next frame may be encoded */

	GMutex lock;              /* guards what follows */
	GCond changed;            /* a new part, the preview off, stopping */
	bool on, stopping;
	unsigned epoch;           /* turned off this many times */
	GBytes *newest;           /* the newest part; NULL: none yet */
	guint64 seq;              /* newest's number */
	GList *watchers;
	size_t scratch_held;      /* bytes of the loop's scratch, for the figures */
	ui_preview_stats stats;
};

typedef struct watcher {
	ui_preview *p;
	/* Under p->lock: */
	GBytes *sending;          /* the part being sent; NULL between parts */
	size_t at;                /* bytes of it sent */
	guint64 sent;             /* the number of the last part taken */
	unsigned epoch;           /* the preview's when it came: once turned off, a stream ends */
	bool cut;                 /* its part was taken away: the stream ends in error */
	size_t closed;            /* bytes of the closing delimiter sent */
} watcher;

static const char closing[] = "--" BOUNDARY "--\r\n";

/* ---- parts ---- */

static void wipe(void *data, size_t len)
{
	explicit_bzero(data, len);
}

static void part_free(gpointer data)
{
	part *pt = data;
	wipe(pt->bytes, pt->len);
	g_free(pt);
}

static GBytes *part_new(const unsigned char *jpeg, size_t len)
{
	char head[160];
	int n = snprintf(head, sizeof(head), "--" BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n",
	                 len);
	part *pt = g_malloc(sizeof(part) + (size_t)n + len + 2);
	pt->len = (size_t)n + len + 2;
	memcpy(pt->bytes, head, (size_t)n);
	memcpy(pt->bytes + n, jpeg, len);
	memcpy(pt->bytes + n + len, "\r\n", 2);
	return g_bytes_new_with_free_func(pt->bytes, pt->len, part_free, pt);
}

/* Drop every part held, newest and being sent (under the lock); a
 * watcher whose part is taken away is cut. */
static void drop_parts(ui_preview *p)
{
	if (p->newest)
		g_bytes_unref(p->newest);
	p->newest = NULL;
	for (GList *l = p->watchers; l; l = l->next) {
		watcher *w = l->data;
		if (w->sending) {
			g_bytes_unref(w->sending);
			w->sending = NULL;
			w->cut = true;
		}
	}
}

/* ---- scaling and encoding (on the loop) ---- */

/* The scaled size: at most UI_PREVIEW_MAX_WIDTH wide, the aspect kept. */
static void scaled_size(int width, int height, int *ret_w, int *ret_h)
{
	if (width <= UI_PREVIEW_MAX_WIDTH) {
		*ret_w = width;
		*ret_h = height;
		return;
	}
	int h = (int)(((int64_t)height * UI_PREVIEW_MAX_WIDTH + width / 2) / width);
	*ret_w = UI_PREVIEW_MAX_WIDTH;
	*ret_h = h > 0 ? h : 1;
}

/* src (sw x sh, wider than dw) into dst (dw x dh, packed): each pixel the
 * rounded mean of the source pixels its box covers. Every box holds at
 * least one pixel, since dw < sw and dh <= sh. */
static void box_scale(const uint8_t *src, int sw, int sh, size_t stride, uint8_t *dst, int dw, int dh,
                      uint32_t *sums)
{
	for (int oy = 0; oy < dh; oy++) {
		int y0 = (int)((int64_t)oy * sh / dh), y1 = (int)((int64_t)(oy + 1) * sh / dh);
		memset(sums, 0, (size_t)dw * 3 * sizeof(*sums));
		for (int y = y0; y < y1; y++) {
			const uint8_t *row = src + (size_t)y * stride;
			for (int ox = 0, x = 0; ox < dw; ox++) {
				int x1 = (int)((int64_t)(ox + 1) * sw / dw);
				uint32_t *s = sums + (size_t)ox * 3;
				for (; x < x1; x++) {
					s[0] += row[x * 3];
					s[1] += row[x * 3 + 1];
					s[2] += row[x * 3 + 2];
				}
			}
		}
		uint8_t *out = dst + (size_t)oy * dw * 3;
		for (int ox = 0; ox < dw; ox++) {
			int x0 = (int)((int64_t)ox * sw / dw), x1 = (int)((int64_t)(ox + 1) * sw / dw);
			uint32_t n = (uint32_t)((x1 - x0) * (y1 - y0));
			for (int c = 0; c < 3; c++)
				out[ox * 3 + c] = (uint8_t)((sums[ox * 3 + c] + n / 2) / n);
		}
	}
}

static void drop_scaled(ui_preview *p)
{
	if (p->scaled)
		wipe(p->scaled, p->scaled_len);
	g_free(p->scaled);
	p->scaled = NULL;
	p->scaled_len = 0;
}

static void drop_jpeg(ui_preview *p)
{
	if (p->jpeg)
		wipe(p->jpeg, p->jpeg_len);
	tjFree(p->jpeg);
	p->jpeg = NULL;
	p->jpeg_len = 0;
}

/* The loop's scratch, wiped: it held a face. */
static void drop_scratch(ui_preview *p)
{
	drop_scaled(p);
	drop_jpeg(p);
	g_free(p->sums);
	p->sums = NULL;
	p->sums_len = 0;
}

/* Scale and encode one frame into a new part; NULL on failure. */
static GBytes *encode(ui_preview *p, const uint8_t *bgr, int width, int height, size_t stride, int *ret_w,
                      int *ret_h, size_t *ret_len)
{
	int w, h;
	scaled_size(width, height, &w, &h);
	const uint8_t *src = bgr;
	size_t src_stride = stride;
	if (w != width) {
		size_t need = (size_t)w * (size_t)h * 3;
		if (p->scaled_len < need) {
			drop_scaled(p);
			p->scaled = g_malloc(need);
			p->scaled_len = need;
		}
		if (p->sums_len < (size_t)w * 3) {
			g_free(p->sums);
			p->sums = g_new(uint32_t, (size_t)w * 3);
			p->sums_len = (size_t)w * 3;
		}
		box_scale(bgr, width, height, stride, p->scaled, w, h, p->sums);
		src = p->scaled;
		src_stride = (size_t)w * 3;
	}
	unsigned long most = tjBufSize(w, h, TJSAMP_420);
	if (most == (unsigned long)-1)
		return NULL;
	if (p->jpeg_len < most) {
		drop_jpeg(p);
		p->jpeg = tjAlloc((int)most);
		p->jpeg_len = p->jpeg ? most : 0;
	}
	if (!p->tj)
		p->tj = tjInitCompress();
	if (!p->jpeg || !p->tj)
		return NULL;
	unsigned char *out = p->jpeg;
	unsigned long len = p->jpeg_len;
	if (tjCompress2(p->tj, src, w, (int)src_stride, h, TJPF_BGR, &out, &len, TJSAMP_420, UI_PREVIEW_QUALITY,
	                TJFLAG_NOREALLOC) != 0)
		return NULL;
	*ret_w = w;
	*ret_h = h;
	*ret_len = len;
	return part_new(out, len);
}

/* ---- frames ---- */

/* The loop's scratch, as the figures tell it. */
static void note_scratch(ui_preview *p)
{
	g_mutex_lock(&p->lock);
	p->scratch_held = p->scaled_len + p->jpeg_len;
	g_mutex_unlock(&p->lock);
}

static void preview_off(ui_preview *p)
{
	g_mutex_lock(&p->lock);
	p->on = false;
	p->epoch++;
	drop_parts(p);
	g_cond_broadcast(&p->changed);
	g_mutex_unlock(&p->lock);
	drop_scratch(p);
	note_scratch(p);
	p->due = 0;
}

void ui_preview_frame(ui_preview *p, const uint8_t *bgr, int width, int height, size_t stride)
{
	if (!bgr) {
		preview_off(p);
		return;
	}
	g_mutex_lock(&p->lock);
	p->on = true;
	p->stats.frames++;
	bool watched = p->watchers != NULL;
	if (!watched)
		p->stats.unwatched++;
	g_mutex_unlock(&p->lock);
	if (!watched) {
		drop_scratch(p);
		note_scratch(p);
		return;
	}
	gint64 now = g_get_monotonic_time(), interval = G_USEC_PER_SEC / UI_PREVIEW_MAX_FPS;
	/* A frame a little early counts as on time (a camera's timing
	 * jitters), so a 30 fps camera gives every other frame, not every third. */
	if (now < p->due - interval / 4) {
		g_mutex_lock(&p->lock);
		p->stats.dropped++;
		g_mutex_unlock(&p->lock);
		return;
	}
	p->due = now - p->due > interval ? now + interval : p->due + interval;
	GBytes *made = NULL;
	int w = 0, h = 0;
	size_t len = 0;
	if (width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE && stride >= (size_t)width * 3)
		made = encode(p, bgr, width, height, stride, &w, &h, &len);
	gint64 took = g_get_monotonic_time() - now;
	g_mutex_lock(&p->lock);
	p->scratch_held = p->scaled_len + p->jpeg_len;
	if (!made) {
		p->stats.failed++;
	} else if (!p->watchers) { /* the last one left while it was encoded */
		p->stats.encoded++;
		g_bytes_unref(made);
	} else {
		if (p->newest)
			g_bytes_unref(p->newest);
		p->newest = made;
		p->seq++;
		p->stats.encoded++;
		p->stats.width = w;
		p->stats.height = h;
		p->stats.bytes = len;
		p->stats.encode_us = (unsigned)took;
		g_cond_broadcast(&p->changed);
	}
	g_mutex_unlock(&p->lock);
}

void ui_preview_get_stats(ui_preview *p, ui_preview_stats *ret)
{
	g_mutex_lock(&p->lock);
	*ret = p->stats;
	ret->watchers = g_list_length(p->watchers);
	ret->held = p->scratch_held + (p->newest ? g_bytes_get_size(p->newest) : 0);
	for (GList *l = p->watchers; l; l = l->next) {
		const watcher *w = l->data;
		if (w->sending && w->sending != p->newest)
			ret->held += g_bytes_get_size(w->sending);
	}
	g_mutex_unlock(&p->lock);
}

/* ---- watchers (each on its connection's thread) ---- */

static ssize_t watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	watcher *w = cls;
	ui_preview *p = w->p;
	ssize_t n = 0;
	g_mutex_lock(&p->lock);
	/* Between parts: wait for a newer one, or the end. (Turned off and
	 * on again before this thread woke is an end too.) */
	while (!w->sending && !w->cut && p->epoch == w->epoch && !p->stopping && !w->closed) {
		if (p->newest && p->seq != w->sent) {
			w->sending = g_bytes_ref(p->newest);
			w->sent = p->seq;
			w->at = 0;
			break;
		}
		g_cond_wait(&p->changed, &p->lock);
	}
	if (w->cut) {
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	} else if (w->sending) {
		gsize len = 0;
		const uint8_t *data = g_bytes_get_data(w->sending, &len);
		size_t take = len - w->at < max ? len - w->at : max;
		memcpy(buf, data + w->at, take);
		w->at += take;
		if (w->at == len) {
			g_bytes_unref(w->sending);
			w->sending = NULL;
		}
		n = (ssize_t)take;
	} else if (w->closed < sizeof(closing) - 1) { /* the preview is off, or the server stops: a clean end */
		size_t take = sizeof(closing) - 1 - w->closed < max ? sizeof(closing) - 1 - w->closed : max;
		memcpy(buf, closing + w->closed, take);
		w->closed += take;
		n = (ssize_t)take;
	} else {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	}
	g_mutex_unlock(&p->lock);
	return n;
}

/* The stream is over (its connection ends): the watcher goes, and with
 * the last one the newest part. */
static void watch_free(void *cls)
{
	watcher *w = cls;
	ui_preview *p = w->p;
	g_mutex_lock(&p->lock);
	p->watchers = g_list_remove(p->watchers, w);
	if (w->sending)
		g_bytes_unref(w->sending);
	if (!p->watchers && p->newest) {
		g_bytes_unref(p->newest);
		p->newest = NULL;
	}
	g_mutex_unlock(&p->lock);
	g_free(w);
}

struct MHD_Response *ui_preview_watch(ui_preview *p, int fd, unsigned *ret_status, const char **ret_why)
{
	g_mutex_lock(&p->lock);
	const char *why = NULL;
	if (!p->on || p->stopping) {
		*ret_status = MHD_HTTP_NOT_FOUND;
		why = "the camera's preview is off: the kiosk shows it on the face screen only";
	} else if (g_list_length(p->watchers) >= UI_PREVIEW_MAX_WATCHERS) {
		*ret_status = MHD_HTTP_SERVICE_UNAVAILABLE;
		why = "the camera's preview already has as many watchers as it serves (4)";
	}
	if (why) {
		p->stats.refused++;
		g_mutex_unlock(&p->lock);
		*ret_why = why;
		return NULL;
	}
	watcher *w = g_new0(watcher, 1);
	w->p = p;
	w->epoch = p->epoch;
	/* Its first part: the newest, when others watch (at most a frame
	 * old), else the next one made. */
	w->sent = p->newest ? p->seq - 1 : p->seq;
	p->watchers = g_list_prepend(p->watchers, w);
	g_mutex_unlock(&p->lock);
	int bytes = SEND_BUFFER;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)); /* a hint: the stream works without */
	/* On failure libmicrohttpd has not taken the watcher: watch_free is not called. */
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, watch_read, w,
	                                                           watch_free);
	if (!r) {
		watch_free(w);
		*ret_status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		*ret_why = "out of memory";
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "multipart/x-mixed-replace; boundary=" BOUNDARY);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	return r;
}

/* ---- life ---- */

ui_preview *ui_preview_new(void)
{
	ui_preview *p = g_new0(ui_preview, 1);
	g_mutex_init(&p->lock);
	g_cond_init(&p->changed);
	return p;
}

void ui_preview_stop(ui_preview *p)
{
	g_mutex_lock(&p->lock);
	p->stopping = true;
	g_cond_broadcast(&p->changed);
	g_mutex_unlock(&p->lock);
}

void ui_preview_free(ui_preview *p)
{
	if (!p)
		return;
	g_mutex_lock(&p->lock);
	drop_parts(p);
	g_mutex_unlock(&p->lock);
	drop_scratch(p);
	if (p->tj)
		tjDestroy(p->tj);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->changed);
	g_free(p);
}
