/*
 * device — the device core: life cycle, commands on a worker completed
 * exactly once on the loop, cancel, events, maintenance lock; see
 * device.h.
 *
 * Threads: the loop thread (the one iterating the GMainContext given at
 * open) calls every dev_* function and runs every callback; one worker
 * per device (a GThreadPool of one thread) runs the work of commands.
 * A worker hands results and events to the loop as idle sources attached
 * to the loop's context (not g_main_context_invoke, which runs the
 * function at once in the worker when no thread holds the context);
 * `posted` counts what is in flight, so that close can deliver all of it
 * before the device goes away.
 */
#include "hal/core/device.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct command {
	dev *d;
	dev_work_fn work;
	void *arg;
	void (*free_result)(void *);
	dev_done_cb done;
	void *user;
	dev_err err;
	void *result;
} command;

struct dev {
	const dev_driver *drv;
	void *priv;
	GMainContext *ctx;
	dev_event_cb events;
	void *events_user;
	bool open;
	bool closing;            /* dev_close is delivering what was in flight */
	GThreadPool *pool;
	command *running;        /* loop thread only */
	atomic_bool cancel_flag; /* the running command's, read by its worker */
	atomic_int posted;       /* completions and events not yet delivered */
	void *open_data;         /* dev_open_with's, during the driver's open */
	char lock_owner[32];     /* "" when not locked */
};

const char *dev_strerror(dev_err e)
{
	switch (e) {
	case DEV_OK: return "success";
	case DEV_ERR_ARG: return "invalid argument";
	case DEV_ERR_NOMEM: return "out of memory";
	case DEV_ERR_NO_DRIVER: return "no driver with that name";
	case DEV_ERR_NOT_SUPPORTED: return "not supported by this device";
	case DEV_ERR_BUSY: return "the device is busy with another command";
	case DEV_ERR_NOT_OPEN: return "the device is not open";
	case DEV_ERR_CANCELLED: return "cancelled";
	case DEV_ERR_LOCKED: return "the device is held for maintenance";
	case DEV_ERR_FAILED: return "the device failed";
	}
	return "unknown device error";
}

const char *dev_state_name(dev_state s)
{
	switch (s) {
	case DEV_STATE_ONLINE: return "online";
	case DEV_STATE_OFFLINE: return "offline";
	case DEV_STATE_POWER_OFF: return "power off";
	case DEV_STATE_NO_DEVICE: return "no device";
	case DEV_STATE_BUSY: return "busy";
	case DEV_STATE_HARDWARE_ERROR: return "hardware error";
	case DEV_STATE_USER_ERROR: return "user error";
	case DEV_STATE_FRAUD_ATTEMPT: return "fraud attempt";
	}
	return "unknown";
}

/* ---- from workers to the loop ---- */

/* fn(data) runs on the loop's thread, in the order posted. */
static void to_loop(dev *d, GSourceFunc fn, void *data)
{
	atomic_fetch_add(&d->posted, 1);
	GSource *src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, fn, data, NULL);
	g_source_attach(src, d->ctx);
	g_source_unref(src);
}

typedef struct posted_event {
	dev *d;
	dev_event ev;
} posted_event;

static gboolean deliver_event(gpointer data)
{
	posted_event *p = data;
	/* Counted as delivered first: the callback may close the device,
	 * and close waits for what is still in flight. */
	atomic_fetch_sub(&p->d->posted, 1);
	if (p->d->events)
		p->d->events(p->d, &p->ev, p->d->events_user);
	free(p);
	return G_SOURCE_REMOVE;
}

dev_report dev_report_new(void)
{
	return (dev_report){ calloc(1, DEV_REPORT_LEN), 0 };
}

void dev_report_line(dev_report *r, const char *fmt, ...)
{
	if (!r->text || r->len + 1 >= DEV_REPORT_LEN)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(r->text + r->len, DEV_REPORT_LEN - r->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		r->len += (size_t)k < DEV_REPORT_LEN - r->len ? (size_t)k : DEV_REPORT_LEN - 1 - r->len;
}

void dev_post_event(dev *d, const dev_event *ev)
{
	posted_event *p = malloc(sizeof(*p));
	if (!p)
		return; /* an event lost to memory pressure; the status still tells */
	p->d = d;
	p->ev = *ev;
	to_loop(d, deliver_event, p);
}

typedef struct posted_call {
	dev *d;
	void (*fn)(dev *d, void *data);
	void *data;
} posted_call;

static gboolean deliver_call(gpointer data)
{
	posted_call *p = data;
	atomic_fetch_sub(&p->d->posted, 1); /* as deliver_event: fn may close the device */
	p->fn(p->d, p->data);
	free(p);
	return G_SOURCE_REMOVE;
}

bool dev_post_call(dev *d, void (*fn)(dev *d, void *data), void *data)
{
	posted_call *p = malloc(sizeof(*p));
	if (!p)
		return false;
	*p = (posted_call){ .d = d, .fn = fn, .data = data };
	to_loop(d, deliver_call, p);
	return true;
}

bool dev_cancelled(dev *d)
{
	return atomic_load(&d->cancel_flag);
}

void *dev_priv(dev *d)
{
	return d->priv;
}

void *dev_open_data(dev *d)
{
	return d->open_data;
}

/* On the loop: the one place a command ends. */
static gboolean complete(gpointer data)
{
	command *c = data;
	dev *d = c->d;
	dev_err e = atomic_load(&d->cancel_flag) ? DEV_ERR_CANCELLED : c->err;
	if (e == DEV_ERR_CANCELLED && c->result) {
		if (c->free_result)
			c->free_result(c->result);
		c->result = NULL;
	}
	d->running = NULL;
	atomic_store(&d->cancel_flag, false);
	atomic_fetch_sub(&d->posted, 1);
	if (c->done)
		c->done(d, e, c->result, c->user);
	else if (c->result && c->free_result)
		c->free_result(c->result);
	free(c);
	return G_SOURCE_REMOVE;
}

static void worker(gpointer data, gpointer pool_user)
{
	(void)pool_user;
	command *c = data;
	c->err = c->work(c->d, c->d->priv, c->arg, &c->result);
	to_loop(c->d, complete, c);
}

/* ---- life ---- */

dev_err dev_open(const dev_driver *const *drivers, const char *connstr, GMainContext *ctx, dev_event_cb events,
                 void *events_user, dev **ret)
{
	if (!drivers || !connstr || !ret)
		return DEV_ERR_ARG;
	const char *colon = strchr(connstr, ':');
	size_t name_len = colon ? (size_t)(colon - connstr) : strlen(connstr);
	const dev_driver *drv = NULL;
	for (size_t i = 0; drivers[i] && !drv; i++)
		if (strlen(drivers[i]->name) == name_len && strncmp(drivers[i]->name, connstr, name_len) == 0)
			drv = drivers[i];
	if (!drv)
		return DEV_ERR_NO_DRIVER;
	return dev_open_with(drv, colon ? colon + 1 : "", NULL, ctx, events, events_user, ret);
}

dev_err dev_open_with(const dev_driver *drv, const char *param, void *open_data, GMainContext *ctx,
                      dev_event_cb events, void *events_user, dev **ret)
{
	if (!drv || !param || !ret)
		return DEV_ERR_ARG;
	if (!drv->open)
		return DEV_ERR_NOT_SUPPORTED;
	dev *d = calloc(1, sizeof(*d));
	if (!d)
		return DEV_ERR_NOMEM;
	d->drv = drv;
	d->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
	d->events = events;
	d->events_user = events_user;
	d->open_data = open_data;
	d->pool = g_thread_pool_new(worker, NULL, 1, FALSE, NULL);
	dev_err e = d->pool ? drv->open(d, param, &d->priv) : DEV_ERR_NOMEM;
	d->open_data = NULL;
	if (e != DEV_OK) {
		if (d->pool)
			g_thread_pool_free(d->pool, FALSE, TRUE);
		/* Events the driver posted while it failed to open go with it. */
		while (atomic_load(&d->posted) > 0)
			g_main_context_iteration(d->ctx, TRUE);
		g_main_context_unref(d->ctx);
		free(d);
		return e;
	}
	d->open = true;
	*ret = d;
	return DEV_OK;
}

void dev_close(dev *d)
{
	if (!d || !d->open || d->closing)
		return;
	d->closing = true; /* from here every command is NOT_OPEN, even from the callbacks below */
	if (d->running)
		dev_cancel(d);
	/* The worker ends its work; then deliver what it posted. */
	g_thread_pool_free(d->pool, FALSE, TRUE);
	d->pool = NULL;
	while (atomic_load(&d->posted) > 0)
		g_main_context_iteration(d->ctx, TRUE);
	if (d->drv->close)
		d->drv->close(d->priv);
	d->priv = NULL;
	d->open = false;
	d->closing = false;
}

void dev_free(dev *d)
{
	if (!d)
		return;
	dev_close(d);
	g_main_context_unref(d->ctx);
	free(d);
}

const char *dev_driver_name(const dev *d)
{
	return d->drv->name;
}

dev_err dev_status_get(dev *d, dev_status *ret)
{
	if (!d->open)
		return DEV_ERR_NOT_OPEN;
	if (!d->drv->status)
		return DEV_ERR_NOT_SUPPORTED;
	dev_err e = d->drv->status(d->priv, ret);
	if (e == DEV_OK && d->lock_owner[0] && ret->state == DEV_STATE_ONLINE) {
		/* The flow sees a device held for maintenance as busy. */
		ret->state = DEV_STATE_BUSY;
		snprintf(ret->text, sizeof(ret->text), "held for maintenance by %s", d->lock_owner);
	}
	return e;
}

dev_err dev_capabilities(dev *d, char *out, size_t len)
{
	if (!d->open)
		return DEV_ERR_NOT_OPEN;
	if (!d->drv->capabilities)
		return DEV_ERR_NOT_SUPPORTED;
	return d->drv->capabilities(d->priv, out, len);
}

/* ---- commands ---- */

dev_err dev_command(dev *d, const char *owner, dev_work_fn work, void *arg, void (*free_result)(void *),
                    dev_done_cb done, void *user)
{
	if (!d || !work)
		return DEV_ERR_ARG;
	if (!d->open || d->closing)
		return DEV_ERR_NOT_OPEN;
	if (d->lock_owner[0] && (!owner || strcmp(owner, d->lock_owner) != 0))
		return DEV_ERR_LOCKED;
	if (d->running)
		return DEV_ERR_BUSY;
	command *c = calloc(1, sizeof(*c));
	if (!c)
		return DEV_ERR_NOMEM;
	*c = (command){ .d = d, .work = work, .arg = arg, .free_result = free_result, .done = done, .user = user };
	atomic_store(&d->cancel_flag, false);
	d->running = c;
	if (!g_thread_pool_push(d->pool, c, NULL)) {
		d->running = NULL;
		free(c);
		return DEV_ERR_NOMEM;
	}
	return DEV_OK;
}

dev_err dev_reset(dev *d, const char *owner, dev_done_cb done, void *user)
{
	if (d && d->open && !d->drv->reset)
		return DEV_ERR_NOT_SUPPORTED;
	return dev_command(d, owner, d ? d->drv->reset : NULL, NULL, NULL, done, user);
}

dev_err dev_self_test(dev *d, const char *owner, dev_done_cb done, void *user)
{
	if (d && d->open && !d->drv->self_test)
		return DEV_ERR_NOT_SUPPORTED;
	return dev_command(d, owner, d ? d->drv->self_test : NULL, NULL, free, done, user);
}

dev_err dev_cancel(dev *d)
{
	if (!d)
		return DEV_ERR_ARG;
	if (!d->open)
		return DEV_ERR_NOT_OPEN;
	if (!d->running)
		return DEV_OK;
	atomic_store(&d->cancel_flag, true);
	if (d->drv->cancel)
		d->drv->cancel(d->priv);
	return DEV_OK;
}

bool dev_busy(const dev *d)
{
	return d && d->running != NULL;
}

dev_err dev_lock(dev *d, const char *owner)
{
	if (!d || !owner || !owner[0] || strlen(owner) >= sizeof(d->lock_owner))
		return DEV_ERR_ARG;
	if (!d->open || d->closing)
		return DEV_ERR_NOT_OPEN;
	if (d->lock_owner[0])
		return strcmp(d->lock_owner, owner) == 0 ? DEV_OK : DEV_ERR_LOCKED;
	if (d->running)
		return DEV_ERR_BUSY;
	snprintf(d->lock_owner, sizeof(d->lock_owner), "%s", owner);
	return DEV_OK;
}

dev_err dev_unlock(dev *d, const char *owner)
{
	if (!d || !owner)
		return DEV_ERR_ARG;
	if (!d->lock_owner[0] || strcmp(d->lock_owner, owner) != 0)
		return DEV_ERR_LOCKED;
	d->lock_owner[0] = '\0';
	return DEV_OK;
}
