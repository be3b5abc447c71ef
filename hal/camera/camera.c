/*
 * camera — the camera on the device core; see camera.h.
 *
 * Threads: the loop opens and closes the device, asks its status and
 * capabilities, starts and stops streams and runs the frame callback;
 * the device's worker runs the commands (stream, watch, self-test,
 * reset) and is the only one to replace the source, under the lock that
 * status and capabilities take. A stream's frames go from the worker to
 * the loop through a ring of at most max_in_flight frames: the worker
 * drops the oldest when the ring is full, and posts one delivery (through
 * the core, dev_post_call, so deliveries keep their order with the
 * command's completion and a close delivers them first) per frame queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/camera/camera-internal.h"

/* ---- frames ---- */

cam_frame *cam_frame_new(int width, int height)
{
	if (width < 1 || height < 1 || width > CAM_MAX_SIDE || height > CAM_MAX_SIDE)
		return NULL;
	size_t stride = (size_t)width * 3;
	cam_frame *f = calloc(1, sizeof(*f) + stride * (size_t)height);
	if (!f)
		return NULL;
	f->width = width;
	f->height = height;
	f->stride = stride;
	f->data = (uint8_t *)(f + 1);
	return f;
}

void cam_frame_free(cam_frame *f)
{
	free(f);
}

/* ---- what the camera was seen to be ---- */

static dev_state state_of(cam_err e)
{
	switch (e) {
	case CAM_OK:
	case CAM_ERR_ENDED:
	case CAM_ERR_CANCELLED:
		return DEV_STATE_ONLINE;
	case CAM_ERR_NO_DEVICE:
	case CAM_ERR_GONE:
	case CAM_ERR_ARG:
	case CAM_ERR_NO_DRIVER:
		return DEV_STATE_NO_DEVICE;
	case CAM_ERR_NOT_MEDIA:
	case CAM_ERR_OPEN:
	case CAM_ERR_READ:
	case CAM_ERR_NOMEM:
		return DEV_STATE_HARDWARE_ERROR;
	}
	return DEV_STATE_HARDWARE_ERROR;
}

/* A frame that would not read may go away with a reopen; the rest needs
 * someone at the kiosk (plug the camera in, put the files back). */
static dev_action action_of(cam_err e)
{
	return e == CAM_ERR_READ || e == CAM_ERR_NOMEM ? DEV_ACTION_RESET : DEV_ACTION_MAINTENANCE;
}

static void status_locked(const cam_dev *c, dev_status *ret)
{
	*ret = (dev_status){ .state = c->src ? DEV_STATE_ONLINE : state_of(c->last), .detail = (int)c->last };
	if (c->src)
		snprintf(ret->text, sizeof(ret->text), "%.200s: ready", c->conn_text);
	else
		snprintf(ret->text, sizeof(ret->text), "%.250s", c->last_why[0] ? c->last_why : cam_strerror(c->last));
}

static void post_status(dev *d, cam_dev *c)
{
	dev_event ev = { .kind = DEV_EVENT_STATUS };
	g_mutex_lock(&c->lock);
	status_locked(c, &ev.status);
	g_mutex_unlock(&c->lock);
	dev_post_event(d, &ev);
}

static void refresh_caps_locked(cam_dev *c)
{
	char source[512] = "";
	if (c->src)
		cam_source_caps(c->src, source, sizeof(source));
	else
		snprintf(source, sizeof(source), "source: not reached (%.200s)\n",
		         c->last_why[0] ? c->last_why : cam_strerror(c->last));
	snprintf(c->caps, sizeof(c->caps), "driver: %s\nconnection: %s\n%s",
	         c->conn.driver == CAM_DRIVER_V4L2 ? "v4l2" : "file", c->conn_text, source);
}

/* Open the source and keep it; on the loop at open, else on the worker. */
static cam_err attach(cam_dev *c, char *why, size_t why_len)
{
	cam_source *s = NULL;
	char words[CAM_WHY_LEN] = "";
	cam_err e = cam_source_open(&c->conn, &s, words, sizeof(words));
	g_mutex_lock(&c->lock);
	c->src = s;
	c->last = e;
	snprintf(c->last_why, sizeof(c->last_why), "%s", e == CAM_OK ? "" : words[0] ? words : cam_strerror(e));
	refresh_caps_locked(c);
	g_mutex_unlock(&c->lock);
	if (why && why_len)
		snprintf(why, why_len, "%s", words);
	return e;
}

static void drop(cam_dev *c, cam_err why, const char *words)
{
	g_mutex_lock(&c->lock);
	cam_source *s = c->src;
	c->src = NULL;
	c->last = why;
	snprintf(c->last_why, sizeof(c->last_why), "%s", words && words[0] ? words : cam_strerror(why));
	refresh_caps_locked(c);
	g_mutex_unlock(&c->lock);
	cam_source_close(s);
}

cam_err cam_device_ready(dev *d, cam_dev *c, char *why, size_t why_len)
{
	if (c->src)
		return CAM_OK;
	if (dev_cancelled(d))
		return CAM_ERR_CANCELLED;
	cam_err e = attach(c, why, why_len);
	if (e == CAM_OK)
		post_status(d, c); /* back */
	return e;
}

dev_err cam_device_fail(dev *d, cam_dev *c, cam_err e, const char *why)
{
	if (e == CAM_OK || e == CAM_ERR_ENDED)
		return DEV_OK;
	if (e == CAM_ERR_CANCELLED)
		return DEV_ERR_CANCELLED;
	char words[CAM_WHY_LEN];
	snprintf(words, sizeof(words), "%s", why && why[0] ? why : cam_strerror(e));
	drop(c, e, words);
	post_status(d, c);
	dev_event ev = { .kind = DEV_EVENT_FAULT, .action = action_of(e) };
	snprintf(ev.text, sizeof(ev.text), "%s", words);
	dev_post_event(d, &ev);
	return e == CAM_ERR_NOMEM ? DEV_ERR_NOMEM : DEV_ERR_FAILED;
}

bool cam_device_sleep_until(dev *d, cam_dev *c, int64_t until_us)
{
	g_mutex_lock(&c->wait_lock);
	while (!dev_cancelled(d) && g_get_monotonic_time() < until_us)
		g_cond_wait_until(&c->wait_cond, &c->wait_lock, until_us);
	g_mutex_unlock(&c->wait_lock);
	return !dev_cancelled(d);
}

/* ---- the driver's operations ---- */

static dev_err cam_open(dev *d, const char *param, void **ret_priv)
{
	char connstr[CAM_CONN_TEXT_MAX + 16];
	if (strlen(param) >= CAM_CONN_TEXT_MAX)
		return DEV_ERR_ARG;
	snprintf(connstr, sizeof(connstr), "%s:%s", dev_driver_name(d), param);
	cam_conn conn;
	cam_err e = cam_conn_parse(connstr, &conn, NULL, 0);
	if (e != CAM_OK)
		return e == CAM_ERR_NO_DRIVER ? DEV_ERR_NO_DRIVER : DEV_ERR_ARG;
	cam_dev *c = calloc(1, sizeof(*c));
	if (!c)
		return DEV_ERR_NOMEM;
	c->conn = conn;
	cam_conn_format(&conn, c->conn_text, sizeof(c->conn_text));
	g_mutex_init(&c->lock);
	g_mutex_init(&c->wait_lock);
	g_cond_init(&c->wait_cond);
	g_mutex_init(&c->qlock);
	/* No camera or file there still makes a device: its status says
	 * so, and the next command tries again. */
	if (attach(c, NULL, 0) == CAM_ERR_NOMEM) {
		g_mutex_clear(&c->lock);
		g_mutex_clear(&c->wait_lock);
		g_cond_clear(&c->wait_cond);
		g_mutex_clear(&c->qlock);
		free(c);
		return DEV_ERR_NOMEM;
	}
	*ret_priv = c;
	return DEV_OK;
}

static void discard_frames(cam_dev *c)
{
	g_mutex_lock(&c->qlock);
	while (c->count) {
		cam_frame_free(c->ring[c->head]);
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % CAM_MAX_IN_FLIGHT;
		c->count--;
		c->stats.dropped++;
	}
	g_mutex_unlock(&c->qlock);
}

static void cam_close(void *priv)
{
	cam_dev *c = priv;
	discard_frames(c);
	cam_source_close(c->src);
	g_mutex_clear(&c->lock);
	g_mutex_clear(&c->wait_lock);
	g_cond_clear(&c->wait_cond);
	g_mutex_clear(&c->qlock);
	free(c);
}

static dev_err cam_status(void *priv, dev_status *ret)
{
	cam_dev *c = priv;
	g_mutex_lock(&c->lock);
	status_locked(c, ret);
	g_mutex_unlock(&c->lock);
	return DEV_OK;
}

static dev_err cam_capabilities(void *priv, char *out, size_t len)
{
	cam_dev *c = priv;
	if (!out || !len)
		return DEV_ERR_ARG;
	g_mutex_lock(&c->lock);
	snprintf(out, len, "%s", c->caps);
	g_mutex_unlock(&c->lock);
	return DEV_OK;
}

static void cam_cancel(void *priv)
{
	cam_dev *c = priv;
	/* A stopped stream hands no more frames to the loop, not even those
	 * already waiting: the caller said stop. */
	g_mutex_lock(&c->qlock);
	c->delivering = false;
	g_mutex_unlock(&c->qlock);
	discard_frames(c);
	g_mutex_lock(&c->wait_lock);
	g_cond_broadcast(&c->wait_cond);
	g_mutex_unlock(&c->wait_lock);
}

/* ---- stream ---- */

/* On the loop: the oldest waiting frame to the callback. */
static void deliver(dev *d, void *data)
{
	cam_dev *c = data;
	g_mutex_lock(&c->qlock);
	cam_frame *f = NULL;
	if (c->count) {
		f = c->ring[c->head];
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % CAM_MAX_IN_FLIGHT;
		c->count--;
		c->stats.delivered++;
	}
	g_mutex_unlock(&c->qlock);
	if (!f)
		return; /* dropped at a stop */
	if (c->frame_cb)
		c->frame_cb(d, f, c->frame_user);
	else
		cam_frame_free(f);
}

/* On the worker: f joins the ring, the oldest dropped if it is full. */
static void push(dev *d, cam_dev *c, cam_frame *f)
{
	bool post = true;
	g_mutex_lock(&c->qlock);
	c->stats.read++;
	if (!c->delivering) { /* stopped while it was being read */
		c->stats.dropped++;
		g_mutex_unlock(&c->qlock);
		cam_frame_free(f);
		return;
	}
	if (c->count == c->in_flight_max) {
		cam_frame_free(c->ring[c->head]);
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % CAM_MAX_IN_FLIGHT;
		c->count--;
		c->stats.dropped++;
		post = false; /* the dropped frame's delivery takes this one */
	}
	c->ring[(c->head + c->count) % CAM_MAX_IN_FLIGHT] = f;
	c->count++;
	g_mutex_unlock(&c->qlock);
	if (post && !dev_post_call(d, deliver, c)) {
		/* no delivery for it: take it back out (the newest), unless a
		 * cancel emptied the ring meanwhile (it freed the frame) */
		g_mutex_lock(&c->qlock);
		cam_frame *back = NULL;
		if (c->count > 0) {
			c->count--;
			back = c->ring[(c->head + c->count) % CAM_MAX_IN_FLIGHT];
			c->ring[(c->head + c->count) % CAM_MAX_IN_FLIGHT] = NULL;
			c->stats.dropped++;
		}
		g_mutex_unlock(&c->qlock);
		cam_frame_free(back);
	}
}

static dev_err stream_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	cam_dev *c = priv;
	char why[CAM_WHY_LEN] = "";
	cam_err e = cam_device_ready(d, c, why, sizeof(why));
	if (e == CAM_OK)
		e = cam_source_rewind(c->src, why, sizeof(why));
	if (e != CAM_OK)
		return cam_device_fail(d, c, e, why);
	double fps = cam_source_pace_fps(c->src);
	int64_t period = fps > 0 ? (int64_t)(1e6 / fps) : 0;
	int64_t next = g_get_monotonic_time();
	uint64_t seq = 0;
	while (!dev_cancelled(d)) {
		if (period && !cam_device_sleep_until(d, c, next))
			break;
		cam_frame *f = NULL;
		e = cam_source_read(c->src, &f, why, sizeof(why));
		if (e == CAM_ERR_ENDED) {
			g_mutex_lock(&c->qlock);
			c->stats.ended = true;
			g_mutex_unlock(&c->qlock);
			return DEV_OK;
		}
		if (e != CAM_OK)
			return cam_device_fail(d, c, e, why);
		f->seq = seq++;
		f->timestamp_us = g_get_monotonic_time();
		push(d, c, f);
		if (c->max_frames && seq >= c->max_frames)
			return DEV_OK;
		next += period;
		int64_t now = g_get_monotonic_time();
		if (next < now - period) /* fell behind: do not rush to catch up */
			next = now;
	}
	discard_frames(c); /* stopped: frames still waiting are not wanted */
	return DEV_ERR_CANCELLED;
}

dev_err cam_device_stream(dev *d, const char *owner, const cam_stream_options *opt, dev_done_cb done, void *user)
{
	if (!d || !opt || !opt->frame || opt->max_in_flight > CAM_MAX_IN_FLIGHT)
		return DEV_ERR_ARG;
	cam_dev *c = dev_priv(d);
	if (!c || dev_busy(d))
		return c ? DEV_ERR_BUSY : DEV_ERR_NOT_OPEN;
	/* No command runs: the worker touches none of this now. */
	c->frame_cb = opt->frame;
	c->frame_user = opt->frame_user;
	c->in_flight_max = opt->max_in_flight ? opt->max_in_flight : CAM_DEFAULT_IN_FLIGHT;
	c->max_frames = opt->max_frames;
	g_mutex_lock(&c->qlock);
	c->stats = (cam_stream_stats){ 0 };
	c->delivering = true;
	g_mutex_unlock(&c->qlock);
	dev_err e = dev_command(d, owner, stream_work, NULL, NULL, done, user);
	if (e != DEV_OK) {
		g_mutex_lock(&c->qlock);
		c->delivering = false;
		g_mutex_unlock(&c->qlock);
	}
	return e;
}

dev_err cam_device_stop(dev *d)
{
	return dev_cancel(d);
}

dev_err cam_device_stream_stats(dev *d, cam_stream_stats *ret)
{
	cam_dev *c = d ? dev_priv(d) : NULL;
	if (!c || !ret)
		return d ? DEV_ERR_NOT_OPEN : DEV_ERR_ARG;
	g_mutex_lock(&c->qlock);
	*ret = c->stats;
	g_mutex_unlock(&c->qlock);
	return DEV_OK;
}

/* ---- watch ---- */

static dev_err watch_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	cam_dev *c = priv;
	char why[CAM_WHY_LEN] = "";
	cam_err e = cam_device_ready(d, c, why, sizeof(why));
	while (e == CAM_OK && cam_device_sleep_until(d, c, g_get_monotonic_time() + CAM_WATCH_MS * 1000))
		e = cam_source_present(c->src, why, sizeof(why));
	return e == CAM_OK ? DEV_ERR_CANCELLED : cam_device_fail(d, c, e, why);
}

dev_err cam_device_watch(dev *d, const char *owner, dev_done_cb done, void *user)
{
	return dev_command(d, owner, watch_work, NULL, NULL, done, user);
}

/* ---- reset ---- */

static dev_err reset_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	cam_dev *c = priv;
	drop(c, CAM_OK, "");
	char why[CAM_WHY_LEN] = "";
	cam_err e = dev_cancelled(d) ? CAM_ERR_CANCELLED : attach(c, why, sizeof(why));
	if (e != CAM_OK)
		return cam_device_fail(d, c, e, why);
	post_status(d, c);
	return DEV_OK;
}

/* ---- the drivers ---- */

#define CAMERA_DRIVER(id, label, what)                                              \
	static const dev_driver id = {                                              \
		.name = label,                                                      \
		.description = what,                                                \
		.open = cam_open,                                                   \
		.close = cam_close,                                                 \
		.status = cam_status,                                               \
		.capabilities = cam_capabilities,                                   \
		.reset = reset_work,                                                \
		.self_test = cam_device_self_test_work,                             \
		.cancel = cam_cancel,                                               \
	}
CAMERA_DRIVER(v4l2_camera, "v4l2", "camera (V4L2 through OpenCV)");
CAMERA_DRIVER(file_camera, "file", "camera played from image or video files");

const dev_driver *const cam_device_drivers[] = { &v4l2_camera, &file_camera, NULL };

void cam_device_explain(const char *connstr, char *out, size_t len)
{
	cam_conn c;
	if (cam_conn_parse(connstr, &c, out, len) == CAM_OK)
		snprintf(out, len, "%s", "the connection string is good");
}
