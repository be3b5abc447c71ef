/*
 * virtual — the core's scriptable device; see virtual.h.
 */
#include "hal/core/virtual.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vdev {
	char name[64];
	atomic_int mode;
	atomic_uint runs, cancels;
	atomic_bool plugged;
	atomic_bool offline;
	GMutex lock;
	GCond cond;          /* cancel wakes a blocked command */
	bool wake;
} vdev;

static dev_err v_open(dev *d, const char *param, void **ret_priv)
{
	(void)d;
	vdev *v = calloc(1, sizeof(*v));
	if (!v)
		return DEV_ERR_NOMEM;
	snprintf(v->name, sizeof(v->name), "%s", param[0] ? param : "virtual");
	atomic_store(&v->plugged, true);
	g_mutex_init(&v->lock);
	g_cond_init(&v->cond);
	*ret_priv = v;
	return DEV_OK;
}

static void v_close(void *priv)
{
	vdev *v = priv;
	g_mutex_clear(&v->lock);
	g_cond_clear(&v->cond);
	free(v);
}

/* The detail code of an offline virtual device (the driver's own code). */
#define OFFLINE_DETAIL 1

static dev_err v_status(void *priv, dev_status *ret)
{
	vdev *v = priv;
	bool plugged = atomic_load(&v->plugged);
	if (atomic_load(&v->offline)) {
		*ret = (dev_status){ .state = DEV_STATE_OFFLINE, .detail = OFFLINE_DETAIL };
		snprintf(ret->text, sizeof(ret->text), "%s offline: its service stopped (scripted)", v->name);
		return DEV_OK;
	}
	*ret = (dev_status){ .state = plugged ? DEV_STATE_ONLINE : DEV_STATE_NO_DEVICE };
	snprintf(ret->text, sizeof(ret->text), "%s %s", v->name, plugged ? "ready" : "unplugged");
	return DEV_OK;
}

/* While offline: the status event and the fault every command fails with. */
static dev_err fail_offline(dev *d, vdev *v)
{
	dev_event ev = { .kind = DEV_EVENT_STATUS };
	v_status(v, &ev.status);
	dev_post_event(d, &ev);
	dev_event fault = { .kind = DEV_EVENT_FAULT, .action = DEV_ACTION_SUSPEND };
	snprintf(fault.text, sizeof(fault.text), "%s: offline, waiting for its service to come back", v->name);
	dev_post_event(d, &fault);
	return DEV_ERR_FAILED;
}

static dev_err v_capabilities(void *priv, char *out, size_t len)
{
	(void)priv;
	snprintf(out, len, "scriptable: yes\n");
	return DEV_OK;
}

static void v_cancel(void *priv)
{
	vdev *v = priv;
	atomic_fetch_add(&v->cancels, 1);
	g_mutex_lock(&v->lock);
	v->wake = true;
	g_cond_broadcast(&v->cond);
	g_mutex_unlock(&v->lock);
}

dev_err dev_virtual_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	vdev *v = priv;
	atomic_fetch_add(&v->runs, 1);
	if (atomic_load(&v->offline))
		return fail_offline(d, v);
	switch ((dev_virtual_mode)atomic_load(&v->mode)) {
	case DEV_VIRTUAL_SUCCEED:
		*ret_result = strdup("done");
		return *ret_result ? DEV_OK : DEV_ERR_NOMEM;
	case DEV_VIRTUAL_FAIL: {
		dev_event ev = { .kind = DEV_EVENT_FAULT, .action = DEV_ACTION_RESET };
		snprintf(ev.text, sizeof(ev.text), "%s: scripted failure", v->name);
		dev_post_event(d, &ev);
		return DEV_ERR_FAILED;
	}
	case DEV_VIRTUAL_BLOCK:
		g_mutex_lock(&v->lock);
		while (!v->wake && !dev_cancelled(d))
			g_cond_wait(&v->cond, &v->lock);
		v->wake = false;
		g_mutex_unlock(&v->lock);
		return DEV_ERR_CANCELLED;
	case DEV_VIRTUAL_UNPLUG: {
		atomic_store(&v->plugged, false);
		dev_event ev = { .kind = DEV_EVENT_STATUS };
		v_status(v, &ev.status);
		dev_post_event(d, &ev);
		return DEV_ERR_FAILED;
	}
	case DEV_VIRTUAL_PROMPT: {
		dev_event ev = { .kind = DEV_EVENT_PROMPT };
		snprintf(ev.text, sizeof(ev.text), "place your passport flat on the reader");
		dev_post_event(d, &ev);
		*ret_result = strdup("done after a prompt");
		return *ret_result ? DEV_OK : DEV_ERR_NOMEM;
	}
	case DEV_VIRTUAL_OFFLINE: /* set_mode marked it offline; it came back since */
		*ret_result = strdup("done");
		return *ret_result ? DEV_OK : DEV_ERR_NOMEM;
	}
	return DEV_ERR_ARG;
}

static dev_err v_self_test(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	vdev *v = priv;
	if (atomic_load(&v->offline))
		return fail_offline(d, v);
	char report[160];
	snprintf(report, sizeof(report), "%s: %s\n", v->name, atomic_load(&v->plugged) ? "answers" : "unplugged");
	*ret_result = strdup(report);
	return *ret_result ? DEV_OK : DEV_ERR_NOMEM;
}

static dev_err v_reset(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	vdev *v = priv;
	if (atomic_load(&v->offline))
		return fail_offline(d, v); /* a reset cannot bring the service back */
	atomic_store(&v->plugged, true);
	dev_event ev = { .kind = DEV_EVENT_STATUS };
	v_status(v, &ev.status);
	dev_post_event(d, &ev);
	return DEV_OK;
}

const dev_driver dev_virtual_driver = {
	.name = "virtual",
	.description = "a scriptable device in this process (the core's tests)",
	.open = v_open,
	.close = v_close,
	.status = v_status,
	.capabilities = v_capabilities,
	.reset = v_reset,
	.self_test = v_self_test,
	.cancel = v_cancel,
};

void dev_virtual_set_mode(dev *d, dev_virtual_mode mode)
{
	vdev *v = dev_priv(d);
	atomic_store(&v->mode, (int)mode);
	bool offline = mode == DEV_VIRTUAL_OFFLINE;
	if (atomic_exchange(&v->offline, offline) && !offline) {
		dev_event ev = { .kind = DEV_EVENT_STATUS };
		v_status(v, &ev.status);
		dev_post_event(d, &ev);
	}
}

unsigned dev_virtual_runs(dev *d)
{
	return atomic_load(&((vdev *)dev_priv(d))->runs);
}

unsigned dev_virtual_cancels(dev *d)
{
	return atomic_load(&((vdev *)dev_priv(d))->cancels);
}
