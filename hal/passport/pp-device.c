/*
 * pp-device — the passport reader on the device core; see pp-device.h.
 */
#include "hal/passport/pp-device.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader_dev {
	pp_transport *t;
	atomic_bool cancel;      /* the running command's, for the read's options */
} reader_dev;

static dev_err map_err(pp_err e)
{
	switch (pp_err_info_of(e).cls) {
	case PP_CLASS_NONE: return DEV_OK;
	case PP_CLASS_CANCELLED: return DEV_ERR_CANCELLED;
	case PP_CLASS_USER:
	case PP_CLASS_DEVICE:
	case PP_CLASS_DOCUMENT:
	case PP_CLASS_FRAUD:
		return DEV_ERR_FAILED;
	}
	return DEV_ERR_FAILED;
}

static dev_err rd_open(dev *d, const char *param, void **ret_priv)
{
	char conn[600];
	snprintf(conn, sizeof(conn), "%s%s%s", dev_driver_name(d), param[0] ? ":" : "", param);
	reader_dev *r = calloc(1, sizeof(*r));
	if (!r)
		return DEV_ERR_NOMEM;
	pp_err e = pp_transport_open(conn, &r->t);
	if (e != PP_OK) {
		free(r);
		return e == PP_ERR_ARG || e == PP_ERR_NO_DRIVER ? DEV_ERR_ARG : DEV_ERR_FAILED;
	}
	*ret_priv = r;
	return DEV_OK;
}

static void rd_close(void *priv)
{
	reader_dev *r = priv;
	pp_transport_free(r->t);
	free(r);
}

static dev_err rd_status(void *priv, dev_status *ret)
{
	reader_dev *r = priv;
	bool present = false;
	pp_err e = pp_transport_card_present(r->t, &present);
	*ret = (dev_status){ .state = DEV_STATE_ONLINE };
	if (e == PP_ERR_NO_SERVICE || e == PP_ERR_SERVICE_STOPPED || e == PP_ERR_NO_READER)
		ret->state = DEV_STATE_OFFLINE;
	else if (e == PP_ERR_UNRESPONSIVE)
		ret->state = DEV_STATE_HARDWARE_ERROR;
	ret->detail = (int)e;
	snprintf(ret->text, sizeof(ret->text), "%s: %s", pp_transport_reader_name(r->t),
	         e == PP_OK ? (present ? "document present" : "empty") : pp_strerror(e));
	return DEV_OK;
}

static void rd_cancel(void *priv)
{
	reader_dev *r = priv;
	atomic_store(&r->cancel, true);
	pp_transport_cancel(r->t);
}

/* ---- watch ---- */

static dev_err watch_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	reader_dev *r = priv;
	bool present = false;
	pp_err e = pp_transport_look(r->t, &present);
	while (e == PP_OK && !dev_cancelled(d)) {
		bool now = present;
		e = pp_transport_wait_change(r->t, present, 250, &now);
		if (e == PP_ERR_TIMEOUT) {
			e = PP_OK;
			continue;
		}
		if (e == PP_OK && now != present) {
			present = now;
			dev_event ev = { .kind = DEV_EVENT_MEDIA, .present = present };
			snprintf(ev.text, sizeof(ev.text), "%s", present ? "document placed" : "document removed");
			dev_post_event(d, &ev);
		}
	}
	return e == PP_OK || e == PP_ERR_CANCELLED ? DEV_ERR_CANCELLED : map_err(e);
}

dev_err pp_device_watch(dev *d, const char *owner, dev_done_cb done, void *user)
{
	return dev_command(d, owner, watch_work, NULL, NULL, done, user);
}

/* ---- read ---- */

typedef struct read_arg {
	const pp_access_key *key;
	const pa_trust *trust;
} read_arg;

typedef struct progress_ctx {
	dev *d;
} progress_ctx;

static void post_progress(size_t done, size_t expected, void *user)
{
	progress_ctx *p = user;
	dev_event ev = { .kind = DEV_EVENT_PROGRESS, .done = done, .total = expected };
	dev_post_event(p->d, &ev);
}

static dev_err read_work(dev *d, void *priv, void *arg, void **ret_result)
{
	reader_dev *r = priv;
	read_arg *a = arg;
	progress_ctx p = { d };
	pp_read_options opt = { .wait_ms = 0, .progress = post_progress, .progress_user = &p, .cancel = &r->cancel };
	pp_report *rep = NULL;
	pp_err e = pp_read_passport(r->t, a->key, a->trust, &opt, &rep);
	free(a);
	*ret_result = rep;
	if (!rep)
		return e == PP_ERR_NOMEM ? DEV_ERR_NOMEM : DEV_ERR_ARG;
	return map_err(e);
}

static void free_report(void *p)
{
	pp_report_free(p);
}

dev_err pp_device_read(dev *d, const char *owner, const pp_access_key *key, const pa_trust *trust,
                       dev_done_cb done, void *user)
{
	if (!key)
		return DEV_ERR_ARG;
	read_arg *a = malloc(sizeof(*a));
	if (!a)
		return DEV_ERR_NOMEM;
	*a = (read_arg){ .key = key, .trust = trust };
	reader_dev *r = dev_priv(d);
	if (r)
		atomic_store(&r->cancel, false); /* before the worker starts: a cancel from now on counts */
	dev_err e = dev_command(d, owner, read_work, a, free_report, done, user);
	if (e != DEV_OK)
		free(a);
	return e;
}

static dev_err rd_self_test(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)d;
	(void)arg;
	reader_dev *r = priv;
	dev_status st;
	rd_status(r, &st);
	char *report = malloc(256);
	if (!report)
		return DEV_ERR_NOMEM;
	snprintf(report, 256, "reader: %s\nstate: %s\n", st.text, dev_state_name(st.state));
	*ret_result = report;
	return st.state == DEV_STATE_ONLINE ? DEV_OK : DEV_ERR_FAILED;
}

#define READER_DRIVER(id, label)                                                    \
	static const dev_driver id = {                                              \
		.name = label,                                                      \
		.description = "passport reader (" label ")",                       \
		.open = rd_open,                                                    \
		.close = rd_close,                                                  \
		.status = rd_status,                                                \
		.self_test = rd_self_test,                                          \
		.cancel = rd_cancel,                                                \
	}
READER_DRIVER(pcsc_reader, "pcsc");
READER_DRIVER(libnfc_reader, "libnfc");
READER_DRIVER(sim_reader, "sim");

const dev_driver *const pp_device_drivers[] = { &pcsc_reader, &libnfc_reader, &sim_reader, NULL };
