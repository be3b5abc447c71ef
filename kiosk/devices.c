/*
 * devices — the kiosk's configured devices and their life around the
 * device core; see devices.h.
 *
 * Each device is in one of four conditions, all decided on the loop:
 *   offline     not open (d == NULL); reason says why; with watch, a timer
 *               tries to open it again every KDEV_REOPEN_MS
 *   watching    open, its class's watch command running (events flow)
 *   idle        open, nothing running (a class without a watch, or diag
 *               without watch)
 *   maintained  open and locked by "diag", a self-test or reset running;
 *               the watch was cancelled first and starts again after
 * A watch that ends in failure means the device went away (pcscd stopped,
 * reader unplugged): it is closed and goes offline. Closing happens from
 * an idle source, never inside the device's own callback. The reason
 * shown is the device's status when that names a failure, else the fault
 * the watch met: a driver that cannot ask the device (libnfc) still
 * reports what it saw before the failure, "online: document present".
 */
#include "kiosk/devices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/camera/camera.h"
#include "hal/passport/pp-device.h"

#define KDEV_REOPEN_MS 2000
#define STOPPING_WORDS "cancelled: the kiosk daemon is stopping"
#define DIAG_OWNER "diag"
#define KIOSK_OWNER "kiosk"

/* A device class: its drivers, the command that watches it while idle
 * (NULL: nothing to watch), and words for a connection string its
 * drivers refuse (NULL: the core's words). */
typedef struct kdev_class {
	const char *name;
	const dev_driver *const *drivers;
	dev_err (*watch)(dev *d, const char *owner, dev_done_cb done, void *user);
	void (*explain)(const char *connstr, char *out, size_t len);
} kdev_class;

static const kdev_class classes[] = {
	{ .name = "passport", .drivers = pp_device_drivers, .watch = pp_device_watch },
	{ .name = "camera", .drivers = cam_device_drivers, .watch = cam_device_watch, .explain = cam_device_explain },
};

/* The names of the rows above, for the configuration reader. */
const char *const kdev_class_names[] = { "passport", "camera", NULL };

/* What the journey runs on a device beside its watch. */
typedef enum kdev_job { JOB_NONE = 0, JOB_READ, JOB_STREAM } kdev_job;

typedef struct kdev {
	kdevs *set;
	const kcfg_device *cfg;
	const kdev_class *cls;
	dev *d;                 /* NULL while offline */
	dev_state offline_state;
	char reason[sizeof(((dev_status *)0)->text)]; /* why offline */
	char caps[1024];        /* read at open */
	dev_status status;      /* the last read while idle */
	int media;              /* -1 unknown, 0 no document, 1 a document (from the watch) */
	bool watch_fresh;       /* the watch's first media event, which is not a change */
	bool offline_announced; /* "offline" said (and counted) for this absence */
	bool watching;
	char fault[sizeof(((dev_event *)0)->text)]; /* what the running watch met */
	GSource *reopen;
	GSource *closing;       /* a close scheduled out of a callback */
	/* the journey's work on the device: a read or a camera stream */
	kdev_job job;           /* asked for (waiting for the watch to end) or running */
	bool job_started;
	bool job_cancelled;     /* cancelled before it started */
	cam_frame_cb stream_frame;
	kdev_stream_done stream_done;
	void *stream_user;
	pp_access_key key;
	const pa_trust *trust;
	kdev_read_progress read_progress;
	kdev_read_done read_done;
	void *read_user;
	/* maintenance */
	bool maintaining;
	kdev_op op;
	kdev_op_done done;
	void *done_user;
} kdev;

struct kdevs {
	const kcfg *cfg;
	GMainContext *ctx;
	kdev_hooks hooks;
	bool watch;
	bool in_use;
	bool freeing;
	kdev devs[KCFG_MAX_DEVICES];
	size_t n;
};

static void try_open(kdev *k);
static void start_watch(kdev *k);

__attribute__((format(printf, 3, 4))) static void emit(kdev *k, const char *kind, const char *fmt, ...)
{
	if (!k->set->hooks.event)
		return;
	char text[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	k->set->hooks.event(k->cfg->name, kind, text, k->set->hooks.user);
}

static void count(kdev *k, bool failed, const char *error)
{
	if (k->set->hooks.count)
		k->set->hooks.count(k->cfg->name, failed, error, k->set->hooks.user);
}

static GSource *add_timeout(kdev *k, unsigned ms, GSourceFunc fn)
{
	GSource *src = ms ? g_timeout_source_new(ms) : g_idle_source_new();
	g_source_set_callback(src, fn, k, NULL);
	g_source_attach(src, k->set->ctx);
	return src;
}

static void drop_source(GSource **src)
{
	if (*src) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

/* ---- offline and back ---- */

static gboolean reopen_tick(gpointer data)
{
	kdev *k = data;
	try_open(k);
	if (k->d) {
		g_source_unref(k->reopen);
		k->reopen = NULL;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void go_offline(kdev *k, dev_state state, const char *reason)
{
	bool was_online = k->d != NULL;
	dev_free(k->d);
	k->d = NULL;
	k->watching = false;
	k->media = -1;
	dev_state now = state == DEV_STATE_ONLINE ? DEV_STATE_OFFLINE : state;
	bool changed = now != k->offline_state;
	k->offline_state = now;
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
	/* Once per absence (the words of each retry may differ), and again
	 * only if the kind of absence changes. */
	if (was_online || !k->offline_announced || changed) {
		emit(k, "offline", "%s: %s", dev_state_name(now), reason);
		count(k, true, reason);
		k->offline_announced = true;
	}
	if (k->set->watch && !k->reopen && !k->set->freeing)
		k->reopen = add_timeout(k, KDEV_REOPEN_MS, reopen_tick);
}

static gboolean close_now(gpointer data)
{
	kdev *k = data;
	g_source_unref(k->closing);
	k->closing = NULL;
	dev_status st = { .state = DEV_STATE_OFFLINE };
	if (k->d && dev_status_get(k->d, &st) != DEV_OK)
		snprintf(st.text, sizeof(st.text), "the device stopped answering");
	if (st.state == DEV_STATE_ONLINE) /* the status from before the failure */
		snprintf(st.text, sizeof(st.text), "%s", k->fault);
	go_offline(k, st.state, st.text[0] ? st.text : "the device went away");
	return G_SOURCE_REMOVE;
}

static void on_dev_event(dev *d, const dev_event *ev, void *user)
{
	(void)d;
	kdev *k = user;
	switch (ev->kind) {
	case DEV_EVENT_MEDIA:
		if (k->watch_fresh) {
			/* How the reader was when the watch began: said only when it
			 * is news (at open, or changed while nobody watched). */
			k->watch_fresh = false;
			if (k->media != (int)ev->present)
				emit(k, ev->present ? "present" : "empty", "%s", ev->text);
		} else {
			emit(k, ev->present ? "placed" : "removed", "%s", ev->text);
		}
		k->media = ev->present;
		break;
	case DEV_EVENT_STATUS:
		if (ev->status.state != k->status.state)
			emit(k, "status", "%s: %s", dev_state_name(ev->status.state), ev->status.text);
		k->status = ev->status;
		break;
	case DEV_EVENT_PROMPT:
		emit(k, "prompt", "%s", ev->text);
		break;
	case DEV_EVENT_FAULT:
		emit(k, "fault", "%s", ev->text);
		snprintf(k->fault, sizeof(k->fault), "%s", ev->text);
		break;
	case DEV_EVENT_PROGRESS:
		if (k->job == JOB_READ && k->read_progress) /* the journey's; too many to log */
			k->read_progress(ev->done, ev->total, k->read_user);
		break;
	}
}

static void try_open(kdev *k)
{
	if (k->d)
		return;
	dev *d = NULL;
	dev_err e = dev_open(k->cls->drivers, k->cfg->connection, k->set->ctx, on_dev_event, k, &d);
	if (e != DEV_OK) {
		char why[sizeof(k->reason)];
		char words[200] = "";
		if (k->cls->explain && (e == DEV_ERR_ARG || e == DEV_ERR_NO_DRIVER))
			k->cls->explain(k->cfg->connection, words, sizeof(words));
		snprintf(why, sizeof(why), "cannot open it: %s", words[0] ? words : dev_strerror(e));
		go_offline(k, e == DEV_ERR_NO_DRIVER || e == DEV_ERR_ARG ? DEV_STATE_NO_DEVICE : DEV_STATE_OFFLINE, why);
		return;
	}
	dev_status st = { .state = DEV_STATE_ONLINE };
	if (dev_status_get(d, &st) == DEV_OK && st.state != DEV_STATE_ONLINE && st.state != DEV_STATE_BUSY) {
		dev_free(d);
		go_offline(k, st.state, st.text);
		return;
	}
	k->d = d;
	k->status = st;
	k->media = -1;
	k->offline_announced = false;
	k->reason[0] = '\0';
	if (dev_capabilities(d, k->caps, sizeof(k->caps)) != DEV_OK)
		k->caps[0] = '\0';
	emit(k, "online", "%s (driver %s)", st.text, dev_driver_name(d));
	start_watch(k);
}

/* ---- watching ---- */

static void begin_maintenance(kdev *k);
static void finish_maintenance(kdev *k, dev_err e, const char *report);
static void begin_job(kdev *k);

static void finish_job_unstarted(kdev *k, dev_err e);

static void watch_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	(void)result;
	kdev *k = user;
	k->watching = false;
	if (k->set->freeing) {
		if (k->maintaining) /* it waited for this watch to end */
			finish_maintenance(k, DEV_ERR_CANCELLED, STOPPING_WORDS);
		finish_job_unstarted(k, DEV_ERR_CANCELLED); /* so did a read or a stream */
		return;
	}
	if (e == DEV_ERR_CANCELLED) {
		if (k->maintaining)
			begin_maintenance(k);
		else if (k->job != JOB_NONE && !k->job_started)
			begin_job(k);
		else
			start_watch(k);
		return;
	}
	/* A watch ends only when cancelled or when the device failed: a job
	 * that waited for it fails (its done is owed), once the close is
	 * planned (so that nothing starts another watch on it). */
	if (!k->fault[0])
		snprintf(k->fault, sizeof(k->fault), "the watch failed: %s", dev_strerror(e));
	if (!k->closing)
		k->closing = add_timeout(k, 0, close_now);
	finish_job_unstarted(k, DEV_ERR_FAILED);
}

static void start_watch(kdev *k)
{
	if (!k->set->watch || !k->cls->watch || !k->d || k->watching || k->maintaining || k->job != JOB_NONE ||
	    k->closing || k->set->freeing)
		return;
	k->fault[0] = '\0'; /* a fault before this watch is not why it ends */
	dev_err e = k->cls->watch(k->d, KIOSK_OWNER, watch_done, k);
	if (e == DEV_OK) {
		k->watching = true;
		k->watch_fresh = true;
	}
	else
		emit(k, "fault", "cannot watch the device: %s", dev_strerror(e));
}

/* ---- maintenance ---- */

typedef struct finish_later {
	kdev *k;
	dev_err e;
	char report[300];
} finish_later;

static void finish_maintenance(kdev *k, dev_err e, const char *report)
{
	if (k->d && dev_unlock(k->d, DIAG_OWNER) == DEV_OK)
		emit(k, "unlocked", "given back by diag");
	k->maintaining = false;
	kdev_op op = k->op;
	kdev_op_done done = k->done;
	void *user = k->done_user;
	k->done = NULL;
	if (!k->set->freeing)
		start_watch(k);
	if (done)
		done(k->cfg->name, op, e, report ? report : "", user);
}

static gboolean finish_later_cb(gpointer data)
{
	finish_later *f = data;
	finish_maintenance(f->k, f->e, f->report);
	return G_SOURCE_REMOVE;
}

/* Finish from an idle source: done is never called before kdevs_maintain
 * returns. */
static void finish_async(kdev *k, dev_err e, const char *report)
{
	finish_later *f = g_new0(finish_later, 1);
	f->k = k;
	f->e = e;
	snprintf(f->report, sizeof(f->report), "%s", report);
	GSource *src = g_idle_source_new();
	g_source_set_callback(src, finish_later_cb, f, g_free);
	g_source_attach(src, k->set->ctx);
	g_source_unref(src);
}

static void maintenance_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	kdev *k = user;
	kdev_op op = k->op;
	if (k->set->freeing) { /* cancelled by the close: not the device's fault */
		finish_maintenance(k, DEV_ERR_CANCELLED, STOPPING_WORDS);
		if (op == KDEV_OP_SELF_TEST)
			free(result);
		return;
	}
	const char *what = op == KDEV_OP_SELF_TEST ? "self-test" : "reset";
	char words[200];
	snprintf(words, sizeof(words), "%s %s%s%s", what, e == DEV_OK ? "passed" : "failed",
	         e == DEV_OK ? "" : ": ", e == DEV_OK ? "" : dev_strerror(e));
	emit(k, what, "%s", words);
	count(k, e != DEV_OK, e == DEV_OK ? NULL : words);
	finish_maintenance(k, e, result ? (const char *)result : words);
	if (op == KDEV_OP_SELF_TEST)
		free(result); /* the self-test's report; a reset returns none */
}

static void begin_maintenance(kdev *k)
{
	dev_err e = dev_lock(k->d, DIAG_OWNER);
	if (e == DEV_OK) {
		emit(k, "locked", "held by diag for a %s", k->op == KDEV_OP_SELF_TEST ? "self-test" : "reset");
		e = k->op == KDEV_OP_SELF_TEST ? dev_self_test(k->d, DIAG_OWNER, maintenance_done, k)
		                               : dev_reset(k->d, DIAG_OWNER, maintenance_done, k);
	}
	if (e != DEV_OK)
		finish_async(k, e, "");
}

dev_err kdevs_maintain(kdevs *s, const char *name, kdev_op op, kdev_op_done done, void *user)
{
	kdev *k = NULL;
	for (size_t i = 0; i < s->n && !k; i++)
		if (strcmp(s->devs[i].cfg->name, name) == 0)
			k = &s->devs[i];
	if (!k)
		return DEV_ERR_ARG;
	if (s->freeing)
		return DEV_ERR_NOT_OPEN;
	if (s->in_use || k->maintaining)
		return DEV_ERR_BUSY;
	k->maintaining = true;
	k->op = op;
	k->done = done;
	k->done_user = user;
	if (!k->d && op == KDEV_OP_RESET)
		try_open(k);
	if (k->closing) {
		finish_async(k, DEV_ERR_NOT_OPEN, "the device just went away; the kiosk is opening it again");
	} else if (!k->d) {
		char words[300];
		snprintf(words, sizeof(words), "%s: %s", dev_state_name(k->offline_state), k->reason);
		finish_async(k, DEV_ERR_NOT_OPEN, words);
	} else if (k->watching) {
		dev_cancel(k->d); /* watch_done goes on */
	} else {
		begin_maintenance(k);
	}
	return DEV_OK;
}

/* ---- the journey's read ---- */

static void read_finished(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	kdev *k = user;
	kdev_read_done done = k->read_done;
	void *done_user = k->read_user;
	k->job = JOB_NONE;
	k->job_started = false;
	k->job_cancelled = false;
	k->read_done = NULL;
	k->read_progress = NULL;
	memset(&k->key, 0, sizeof(k->key)); /* the applicant's key goes */
	count(k, e != DEV_OK && e != DEV_ERR_CANCELLED, e == DEV_OK ? NULL : "a read for the journey failed");
	if (!k->set->freeing)
		start_watch(k);
	if (done)
		done(e, result, done_user);
	else
		pp_report_free(result);
}

static void stream_finished(dev *d, dev_err e, void *result, void *user);

/* A job that never began (refused, or cancelled before): finished the
 * way a running one is, from the loop, never inside the call that asked
 * for it. */
typedef struct job_later {
	kdev *k;
	dev_err e;
} job_later;

static gboolean job_finished_later(gpointer data)
{
	job_later *r = data;
	if (r->k->job == JOB_READ)
		read_finished(NULL, r->e, NULL, r->k);
	else
		stream_finished(NULL, r->e, NULL, r->k);
	return G_SOURCE_REMOVE;
}

static void job_finish_later(kdev *k, dev_err e)
{
	job_later *r = g_new0(job_later, 1);
	*r = (job_later){ k, e };
	GSource *src = g_idle_source_new();
	g_source_set_callback(src, job_finished_later, r, g_free);
	g_source_attach(src, k->set->ctx);
	g_source_unref(src);
}

/* From watch_done (the watch has stopped) or kdevs_read_passport. */
static void begin_read(kdev *k)
{
	k->job_started = true;
	dev_err e = k->job_cancelled ? DEV_ERR_CANCELLED
	                              : pp_device_read(k->d, "flow", &k->key, k->trust, read_finished, k);
	if (e != DEV_OK) /* it never began: said the same way, later */
		job_finish_later(k, e);
}

dev_err kdevs_read_passport(kdevs *s, const pp_access_key *key, const pa_trust *trust, kdev_read_progress progress,
                            kdev_read_done done, void *user)
{
	kdev *k = NULL;
	for (size_t i = 0; i < s->n && !k; i++)
		if (s->devs[i].cls->watch == pp_device_watch && s->devs[i].d && !s->devs[i].closing)
			k = &s->devs[i];
	if (!k || s->freeing)
		return DEV_ERR_NOT_OPEN;
	if (k->maintaining || k->job != JOB_NONE)
		return DEV_ERR_BUSY;
	k->job = JOB_READ;
	k->job_started = false;
	k->job_cancelled = false;
	k->key = *key;
	k->trust = trust;
	k->read_progress = progress;
	k->read_done = done;
	k->read_user = user;
	if (k->watching)
		dev_cancel(k->d); /* watch_done goes on */
	else
		begin_read(k);
	return DEV_OK;
}

/* Cancel the journey's job of that kind, running or waiting for the
 * watch to end (then it never starts). */
static void cancel_job(kdevs *s, kdev_job job)
{
	for (size_t i = 0; i < s->n; i++) {
		kdev *k = &s->devs[i];
		if (k->job != job)
			continue;
		if (k->job_started && k->d)
			job == JOB_STREAM ? (void)cam_device_stop(k->d) : (void)dev_cancel(k->d);
		else
			k->job_cancelled = true;
	}
}

void kdevs_cancel_read(kdevs *s)
{
	cancel_job(s, JOB_READ);
}

/* ---- the journey's camera stream ---- */

static void stream_finished(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	(void)result;
	kdev *k = user;
	kdev_stream_done done = k->stream_done;
	void *done_user = k->stream_user;
	k->job = JOB_NONE;
	k->job_started = false;
	k->job_cancelled = false;
	k->stream_done = NULL;
	k->stream_frame = NULL;
	count(k, e != DEV_OK && e != DEV_ERR_CANCELLED, e == DEV_OK ? NULL : "the camera stream failed");
	if (!k->set->freeing)
		start_watch(k);
	if (done)
		done(e, done_user);
}

static void begin_stream(kdev *k)
{
	k->job_started = true;
	cam_stream_options opt = { .frame = k->stream_frame, .frame_user = k->stream_user, .max_in_flight = 2 };
	dev_err e = k->job_cancelled ? DEV_ERR_CANCELLED
	                             : cam_device_stream(k->d, "flow", &opt, stream_finished, k);
	if (e != DEV_OK)
		job_finish_later(k, e);
}

/* A job asked for that will never start: its done, now. */
static void finish_job_unstarted(kdev *k, dev_err e)
{
	if (k->job == JOB_NONE || k->job_started)
		return;
	k->job_started = true; /* nothing else finishes it */
	if (k->job == JOB_READ)
		read_finished(NULL, e, NULL, k);
	else
		stream_finished(NULL, e, NULL, k);
}

static void begin_job(kdev *k)
{
	if (k->job == JOB_READ)
		begin_read(k);
	else if (k->job == JOB_STREAM)
		begin_stream(k);
}

static kdev *camera_of(kdevs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->devs[i].cls->watch == cam_device_watch && s->devs[i].d && !s->devs[i].closing)
			return &s->devs[i];
	return NULL;
}

bool kdevs_has_camera(kdevs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->devs[i].cls->watch == cam_device_watch)
			return true;
	return false;
}

dev_err kdevs_stream_camera(kdevs *s, cam_frame_cb frame, kdev_stream_done done, void *user)
{
	kdev *k = camera_of(s);
	if (!k || s->freeing)
		return DEV_ERR_NOT_OPEN;
	if (k->maintaining || k->job != JOB_NONE)
		return DEV_ERR_BUSY;
	k->job = JOB_STREAM;
	k->job_started = false;
	k->job_cancelled = false;
	k->stream_frame = frame;
	k->stream_done = done;
	k->stream_user = user;
	if (k->watching)
		dev_cancel(k->d); /* watch_done goes on */
	else
		begin_stream(k);
	return DEV_OK;
}

void kdevs_stop_camera(kdevs *s)
{
	cancel_job(s, JOB_STREAM);
}

/* ---- the set ---- */

kdevs *kdevs_new(const kcfg *cfg, GMainContext *ctx, const kdev_hooks *hooks, bool watch)
{
	kdevs *s = g_new0(kdevs, 1);
	s->cfg = cfg;
	s->ctx = ctx ? ctx : g_main_context_default();
	if (hooks)
		s->hooks = *hooks;
	s->watch = watch;
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const kdev_class *cls = NULL;
		for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]) && !cls; c++)
			if (strcmp(classes[c].name, cfg->devices[i].class_name) == 0)
				cls = &classes[c];
		if (!cls)
			continue; /* kcfg_load checked the classes */
		kdev *k = &s->devs[s->n++];
		*k = (kdev){ .set = s, .cfg = &cfg->devices[i], .cls = cls, .media = -1,
		             .offline_state = DEV_STATE_OFFLINE };
		snprintf(k->reason, sizeof(k->reason), "not opened yet");
	}
	return s;
}

void kdevs_start(kdevs *s)
{
	for (size_t i = 0; i < s->n; i++)
		try_open(&s->devs[i]);
}

void kdevs_free(kdevs *s)
{
	if (!s)
		return;
	s->freeing = true;
	for (size_t i = 0; i < s->n; i++) {
		kdev *k = &s->devs[i];
		drop_source(&k->reopen);
		drop_source(&k->closing);
		dev_free(k->d); /* a running command completes, cancelled, first */
		k->d = NULL;
	}
	/* Maintenance finishes posted before the close. */
	while (g_main_context_iteration(s->ctx, FALSE))
		;
	for (size_t i = 0; i < s->n; i++)
		if (s->devs[i].done) /* never started: its watch was still ending */
			finish_maintenance(&s->devs[i], DEV_ERR_CANCELLED, STOPPING_WORDS);
	g_free(s);
}

bool kdevs_has(const kdevs *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->devs[i].cfg->name, name) == 0)
			return true;
	return false;
}

void kdevs_set_in_use(kdevs *s, bool in_use)
{
	s->in_use = in_use;
}

/* Text from a driver or a file as a JSON string: bytes that are not
 * UTF-8 (a reader's name in Latin-1) are replaced, never a lost field. */
static json_t *jtext(const char *text)
{
	gchar *valid = g_utf8_make_valid(text ? text : "", -1);
	json_t *j = json_string(valid);
	g_free(valid);
	return j ? j : json_string("");
}

static json_t *describe_one(kdev *k)
{
	dev_status st = k->status;
	const char *locked_by = NULL;
	if (!k->d) {
		st = (dev_status){ .state = k->offline_state };
		snprintf(st.text, sizeof(st.text), "%s", k->reason);
	} else if (k->maintaining) {
		st.state = DEV_STATE_BUSY;
		snprintf(st.text, sizeof(st.text), "held for maintenance by diag");
		locked_by = DIAG_OWNER;
	} else {
		dev_status now; /* a driver's status never waits on the device */
		if (dev_status_get(k->d, &now) == DEV_OK)
			st = k->status = now;
	}
	json_t *caps = json_array();
	char *save = NULL;
	char buf[sizeof(k->caps)];
	snprintf(buf, sizeof(buf), "%s", k->d ? k->caps : "");
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(caps, jtext(line));
	kdev_counters c = { 0 };
	if (k->set->hooks.counters)
		k->set->hooks.counters(k->cfg->name, &c, k->set->hooks.user);
	json_t *counters = json_object();
	json_object_set_new(counters, "operations", json_integer((json_int_t)c.operations));
	json_object_set_new(counters, "failures", json_integer((json_int_t)c.failures));
	json_object_set_new(counters, "last_error", c.last_error[0] ? jtext(c.last_error) : json_null());
	json_object_set_new(counters, "last_error_at", json_integer((json_int_t)c.last_error_at));
	const char *connection = k->cfg->connection;
	const char *colon = strchr(connection, ':');
	char driver[64];
	snprintf(driver, sizeof(driver), "%.*s", (int)(colon ? (size_t)(colon - connection) : strlen(connection)),
	         connection);
	json_t *o = json_object();
	json_object_set_new(o, "name", jtext(k->cfg->name));
	json_object_set_new(o, "class", jtext(k->cls->name));
	json_object_set_new(o, "connection", jtext(connection));
	json_object_set_new(o, "driver", jtext(driver));
	json_object_set_new(o, "state", jtext(dev_state_name(st.state)));
	json_object_set_new(o, "detail", json_integer(st.detail));
	json_object_set_new(o, "status", jtext(st.text));
	json_object_set_new(o, "capabilities", caps);
	json_object_set_new(o, "counters", counters);
	json_object_set_new(o, "locked_by", locked_by ? jtext(locked_by) : json_null());
	return o;
}

json_t *kdevs_describe(kdevs *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, describe_one(&s->devs[i]));
	return a;
}

json_t *kdevs_op_answer(const char *device, kdev_op op, dev_err e, const char *report)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_boolean(e == DEV_OK));
	json_object_set_new(o, "device", jtext(device));
	json_object_set_new(o, "operation", jtext(op == KDEV_OP_SELF_TEST ? "self-test" : "reset"));
	json_object_set_new(o, "report", jtext(report));
	json_object_set_new(o, "error", e == DEV_OK ? json_null() : jtext(dev_strerror(e)));
	return o;
}
