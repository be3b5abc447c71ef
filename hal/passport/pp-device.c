/*
 * pp-device — the passport reader on the device core; see pp-device.h.
 *
 * Threads: the loop opens and closes the device, asks its status and
 * capabilities, and cancels; the device's worker runs the commands and is
 * the only one to replace the transport, under the lock that the loop's
 * status and cancel take while they use it. A transport that is lost (the
 * service stopped or restarted, the reader gone) is dropped at once and
 * opened again by the next command or a reset; one that may be wedged (a
 * cancelled read, a link failure) is looked at before the next command
 * and opened again if it no longer answers.
 */
#include "hal/passport/pp-device-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A watch's wait is cut in slices: a driver without a cancel operation
 * still sees the cancel flag this often. */
#define WATCH_SLICE_MS 250

/* ---- what the reader was seen to be ---- */

/* Errors after which the transport is of no more use: pcscd stopped or
 * restarted, the reader went away. */
static bool lost(pp_err e)
{
	return e == PP_ERR_NO_SERVICE || e == PP_ERR_SERVICE_STOPPED || e == PP_ERR_NO_READER;
}

/* The XFS4IoT state a reader is in when it last failed with e. Errors
 * about the document leave the reader online. */
static dev_state state_of(pp_err e)
{
	switch (e) {
	case PP_ERR_NO_SERVICE:
	case PP_ERR_SERVICE_STOPPED:
		return DEV_STATE_OFFLINE;
	case PP_ERR_NO_READER:
	case PP_ERR_NO_DRIVER:
		return DEV_STATE_NO_DEVICE;
	case PP_ERR_BUSY:
		return DEV_STATE_BUSY; /* another program holds the reader */
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_UNRESPONSIVE:
	case PP_ERR_NOMEM:
	case PP_ERR_ARG:
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_CRYPTO:
		return DEV_STATE_HARDWARE_ERROR;
	case PP_OK:
	case PP_ERR_NO_CARD:
	case PP_ERR_REMOVED:
	case PP_ERR_ACCESS_DENIED:
	case PP_ERR_SM:
	case PP_ERR_STATUS:
	case PP_ERR_NOT_EMRTD:
	case PP_ERR_PARSE:
	case PP_ERR_CANCELLED:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CHIP_AUTH:
	case PP_ERR_SM_ENDED:
	case PP_ERR_BLOCKED:
	case PP_ERR_NOT_VERIFIED:
		return DEV_STATE_ONLINE;
	}
	return DEV_STATE_HARDWARE_ERROR;
}

/* Words for the reader's state (pp_strerror speaks of a read). */
static const char *state_words(pp_err e)
{
	if (e == PP_ERR_SERVICE_STOPPED)
		return "the connection to the smart-card service (pcscd) was lost: it stopped or restarted";
	if (e == PP_ERR_NO_READER)
		return "the reader is not there (unplugged, or not found)";
	return pp_strerror(e);
}

/* A service that stopped is restarted by the system: wait, then open the
 * device again. Otherwise the class's own recommendation. */
static dev_action action_of(pp_err e)
{
	if (e == PP_ERR_NO_SERVICE || e == PP_ERR_SERVICE_STOPPED)
		return DEV_ACTION_SUSPEND;
	switch (pp_err_info_of(e).action) {
	case PP_ACTION_NONE: return DEV_ACTION_NONE;
	case PP_ACTION_RESET: return DEV_ACTION_RESET;
	case PP_ACTION_CLEAR: return DEV_ACTION_CLEAR;
	case PP_ACTION_MAINTENANCE: return DEV_ACTION_MAINTENANCE;
	case PP_ACTION_SUSPEND: return DEV_ACTION_SUSPEND;
	}
	return DEV_ACTION_MAINTENANCE;
}

/* The status for e (r->last, or what a probe found); the lock held. */
static void status_locked(const pp_reader_dev *r, pp_err e, bool present, dev_status *ret)
{
	*ret = (dev_status){ .state = state_of(e), .detail = (int)e };
	if (e == PP_OK)
		snprintf(ret->text, sizeof(ret->text), "%.160s: %s", r->reader, present ? "document present" : "empty");
	else if (r->native[0] && e == r->last)
		snprintf(ret->text, sizeof(ret->text), "%.120s: %s (%.80s)", r->reader, state_words(e), r->native);
	else
		snprintf(ret->text, sizeof(ret->text), "%.160s: %s", r->reader, state_words(e));
}

void pp_device_note_present(pp_reader_dev *r, bool present)
{
	g_mutex_lock(&r->lock);
	r->present = present;
	g_mutex_unlock(&r->lock);
}

/* ---- events ---- */

static void post_status(dev *d, pp_reader_dev *r)
{
	dev_event ev = { .kind = DEV_EVENT_STATUS };
	g_mutex_lock(&r->lock);
	status_locked(r, r->last, r->present, &ev.status);
	g_mutex_unlock(&r->lock);
	dev_post_event(d, &ev);
}

static void post_fault(dev *d, pp_reader_dev *r, pp_err e)
{
	dev_event ev = { .kind = DEV_EVENT_FAULT, .action = action_of(e) };
	g_mutex_lock(&r->lock);
	if (r->native[0])
		snprintf(ev.text, sizeof(ev.text), "%.120s: %s (%.80s)", r->reader, state_words(e), r->native);
	else
		snprintf(ev.text, sizeof(ev.text), "%.160s: %s", r->reader, state_words(e));
	g_mutex_unlock(&r->lock);
	dev_post_event(d, &ev);
}

/* Something the applicant can fix: what to do, in the class's words. */
static void post_prompt(dev *d, pp_err e)
{
	dev_event ev = { .kind = DEV_EVENT_PROMPT };
	const char *advice = pp_err_info_of(e).advice;
	snprintf(ev.text, sizeof(ev.text), "%s", advice ? advice : pp_strerror(e));
	dev_post_event(d, &ev);
}

/* ---- the transport's life ---- */

typedef struct transport_maker {
	pp_device_transport_fn make;
	void *user;
} transport_maker;

/* Take the transport away, keeping why (PP_OK: to open it again). */
static void drop(pp_reader_dev *r, pp_err why)
{
	g_mutex_lock(&r->lock);
	pp_transport *t = r->t;
	if (t && why != PP_OK)
		snprintf(r->native, sizeof(r->native), "%s", pp_transport_native_error(t));
	r->t = NULL;
	r->last = why;
	g_mutex_unlock(&r->lock);
	pp_transport_free(t);
}

/* Open the transport and keep it: on the loop at open, else on the
 * worker. Its first look gives the presence that status reports. */
static pp_err attach(pp_reader_dev *r)
{
	pp_transport *t = NULL;
	pp_err e = r->make ? r->make(r->make_user, &t) : pp_transport_open(r->conn, &t);
	bool present = false;
	if (e == PP_OK) {
		pp_err le = pp_transport_look(t, &present);
		if (lost(le)) {
			pp_transport_free(t);
			e = le;
		}
	}
	g_mutex_lock(&r->lock);
	r->last = e;
	r->native[0] = '\0';
	if (e == PP_OK) {
		r->t = t;
		r->present = present;
		snprintf(r->reader, sizeof(r->reader), "%s", pp_transport_reader_name(t));
	}
	g_mutex_unlock(&r->lock);
	pp_device_refresh_caps(r);
	return e;
}

pp_err pp_device_look(dev *d, pp_reader_dev *r, bool *ret_present)
{
	pp_err e = PP_OK;
	/* A cancel that reached the transport after an earlier command's last
	 * wait is taken by the next one; it is not this command's. */
	for (int tries = 0; tries < 3; tries++) {
		e = pp_transport_look(r->t, ret_present);
		if (e != PP_ERR_CANCELLED || dev_cancelled(d))
			break;
	}
	if (e == PP_OK)
		pp_device_note_present(r, *ret_present);
	return e;
}

pp_err pp_device_ready(dev *d, pp_reader_dev *r)
{
	if (r->t && r->suspect) {
		r->suspect = false;
		bool present = false;
		pp_err e = pp_device_look(d, r, &present);
		if (lost(e))
			return e;
		/* Wedged (PC/SC after an abandoned exchange) or a failing
		 * link: a fresh transport. */
		if (e != PP_OK && e != PP_ERR_CANCELLED)
			drop(r, PP_OK);
	}
	if (!r->t) {
		if (dev_cancelled(d))
			return PP_ERR_CANCELLED;
		g_mutex_lock(&r->lock);
		bool was_down = r->last != PP_OK;
		g_mutex_unlock(&r->lock);
		pp_err e = attach(r);
		if (e != PP_OK)
			return e;
		if (was_down)
			post_status(d, r); /* back */
	}
	return PP_OK;
}

dev_err pp_device_fail(dev *d, pp_reader_dev *r, pp_err e)
{
	if (e == PP_OK)
		return DEV_OK;
	if (e == PP_ERR_CANCELLED)
		return DEV_ERR_CANCELLED;
	if (lost(e))
		drop(r, e);
	if (!r->t)
		post_status(d, r);
	switch (pp_err_info_of(e).cls) {
	case PP_CLASS_USER:
		if (e == PP_ERR_REMOVED || e == PP_ERR_NO_CARD)
			pp_device_note_present(r, false);
		if (e == PP_ERR_UNRESPONSIVE)
			r->suspect = true;
		post_prompt(d, e);
		break;
	case PP_CLASS_DEVICE:
		r->suspect = true;
		if (r->t) { /* the driver's own words, for the engineer */
			g_mutex_lock(&r->lock);
			snprintf(r->native, sizeof(r->native), "%s", pp_transport_native_error(r->t));
			g_mutex_unlock(&r->lock);
		}
		post_fault(d, r, e);
		break;
	case PP_CLASS_NONE:
	case PP_CLASS_DOCUMENT:
	case PP_CLASS_FRAUD:
	case PP_CLASS_CANCELLED:
		break; /* the report says it; the reader is fine */
	}
	return e == PP_ERR_NOMEM ? DEV_ERR_NOMEM : DEV_ERR_FAILED;
}

/* ---- capabilities ---- */

/* Append to out[len] at *n, as far as it fits. */
__attribute__((format(printf, 4, 5))) static void append(char *out, size_t len, size_t *n, const char *fmt, ...)
{
	if (*n >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(out + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k < len - *n ? (size_t)k : len - *n;
}

void pp_device_refresh_caps(pp_reader_dev *r)
{
	char text[PP_DEVICE_CAPS_LEN];
	size_t n = 0;
	append(text, sizeof(text), &n, "driver: %s\n", r->driver);
	g_mutex_lock(&r->lock);
	pp_err last = r->last;
	char reader[sizeof(r->reader)];
	memcpy(reader, r->reader, sizeof(reader));
	g_mutex_unlock(&r->lock);
	pp_transport_caps c;
	if (!r->t) {
		append(text, sizeof(text), &n, "reader: %s (not reached: %s)\n", reader, state_words(last));
	} else if (pp_transport_capabilities(r->t, &c) == PP_OK) {
		append(text, sizeof(text), &n, "reader: %s\n", reader);
		if (!c.extended_reported)
			append(text, sizeof(text), &n,
			       "extended length: unknown (the reader does not say; tried, then short APDUs if refused)\n");
		else
			append(text, sizeof(text), &n, "extended length: %s\n",
			       c.extended_length ? "yes (the reader says so)" : "no (short APDUs only)");
		append(text, sizeof(text), &n, "largest command: %zu bytes\nlargest response: %zu bytes\n", c.max_command,
		       c.max_response);
		if (c.presence)
			append(text, sizeof(text), &n, "presence: %s\n", c.presence);
		if (c.bit_rate_kbps)
			append(text, sizeof(text), &n, "bit rate: %u kbit/s (%s)\n", c.bit_rate_kbps,
			       c.bit_rate_how ? c.bit_rate_how : "the driver's");
		else if (c.bit_rate_how)
			append(text, sizeof(text), &n, "bit rate: %s\n", c.bit_rate_how);
		if (c.serial_baud)
			append(text, sizeof(text), &n, "serial line: %lu baud\n", c.serial_baud);
	} else {
		append(text, sizeof(text), &n, "reader: %s\n", reader);
	}
	append(text, sizeof(text), &n,
	       "access control: BAC, PACE (MRZ or CAN)\n"
	       "authentication: passive, chip (CA, PACE-CAM), active (RSA, ECDSA)\n");
	g_mutex_lock(&r->lock);
	memcpy(r->caps, text, sizeof(r->caps));
	g_mutex_unlock(&r->lock);
}

void pp_device_atr_text(pp_reader_dev *r, char *out, size_t len)
{
	uint8_t atr[PP_ATR_MAX];
	size_t n = 0;
	size_t at = 0;
	out[0] = '\0';
	if (!r->t || pp_transport_atr(r->t, atr, &n) != PP_OK)
		return;
	for (size_t i = 0; i < n; i++)
		append(out, len, &at, i ? " %02X" : "%02X", atr[i]);
}

/* ---- the driver's operations ---- */

static dev_err rd_open(dev *d, const char *param, void **ret_priv)
{
	pp_reader_dev *r = calloc(1, sizeof(*r));
	if (!r)
		return DEV_ERR_NOMEM;
	snprintf(r->driver, sizeof(r->driver), "%s", dev_driver_name(d));
	const transport_maker *m = dev_open_data(d);
	if (m) {
		r->make = m->make;
		r->make_user = m->user;
		snprintf(r->reader, sizeof(r->reader), "the caller's transport");
	} else {
		if (strlen(param) > 583) { /* what conn holds after "driver:" */
			free(r);
			return DEV_ERR_ARG;
		}
		snprintf(r->conn, sizeof(r->conn), "%.15s%s%.583s", r->driver, param[0] ? ":" : "", param);
		snprintf(r->reader, sizeof(r->reader), "%.127s", r->conn);
	}
	g_mutex_init(&r->lock);
	/* A reader that is not there, or pcscd down, still makes a device:
	 * its status says so, and the next command tries again. */
	pp_err e = attach(r);
	if (e == PP_ERR_ARG || e == PP_ERR_NO_DRIVER || e == PP_ERR_NOMEM || e == PP_ERR_NOT_SUPPORTED) {
		g_mutex_clear(&r->lock);
		free(r);
		return e == PP_ERR_NOMEM ? DEV_ERR_NOMEM : DEV_ERR_ARG;
	}
	*ret_priv = r;
	return DEV_OK;
}

static void rd_close(void *priv)
{
	pp_reader_dev *r = priv;
	pp_transport_free(r->t);
	g_mutex_clear(&r->lock);
	free(r);
}

/* Never waits on the reader: a transport that can ask by its own means
 * (PC/SC) is asked; otherwise what the last command saw. */
static dev_err rd_status(void *priv, dev_status *ret)
{
	pp_reader_dev *r = priv;
	g_mutex_lock(&r->lock);
	pp_err e = r->last;
	if (r->t) {
		bool present = false;
		pp_err pe = pp_transport_probe(r->t, &present);
		if (pe == PP_OK)
			r->present = present;
		else if (pe != PP_ERR_NOT_SUPPORTED)
			e = pe;
	}
	status_locked(r, e, r->present, ret);
	g_mutex_unlock(&r->lock);
	return DEV_OK;
}

static dev_err rd_capabilities(void *priv, char *out, size_t len)
{
	pp_reader_dev *r = priv;
	if (!out || !len)
		return DEV_ERR_ARG;
	g_mutex_lock(&r->lock);
	snprintf(out, len, "%s", r->caps);
	g_mutex_unlock(&r->lock);
	return DEV_OK;
}

static void rd_cancel(void *priv)
{
	pp_reader_dev *r = priv;
	atomic_store(&r->cancel, true);
	g_mutex_lock(&r->lock);
	if (r->t)
		pp_transport_cancel(r->t);
	g_mutex_unlock(&r->lock);
}

/* ---- watch ---- */

static void post_media(dev *d, pp_reader_dev *r, bool present, bool first)
{
	dev_event ev = { .kind = DEV_EVENT_MEDIA, .present = present };
	const char *what = first ? (present ? "document present" : "no document")
	                         : (present ? "document placed" : "document removed");
	char atr[PP_ATR_MAX * 3 + 1] = "";
	if (present)
		pp_device_atr_text(r, atr, sizeof(atr));
	if (atr[0])
		snprintf(ev.text, sizeof(ev.text), "%s; ATR %s", what, atr);
	else
		snprintf(ev.text, sizeof(ev.text), "%s", what);
	dev_post_event(d, &ev);
}

static dev_err watch_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	pp_reader_dev *r = priv;
	bool present = false;
	pp_err e = pp_device_ready(d, r);
	if (e == PP_OK)
		e = pp_device_look(d, r, &present);
	if (e == PP_OK)
		post_media(d, r, present, true);
	while (e == PP_OK && !dev_cancelled(d)) {
		bool now = present;
		e = pp_transport_wait_change(r->t, present, WATCH_SLICE_MS, &now);
		/* A slice ended; or a cancel meant for an earlier command. */
		if (e == PP_ERR_TIMEOUT || (e == PP_ERR_CANCELLED && !dev_cancelled(d))) {
			e = PP_OK;
			continue;
		}
		if (e == PP_OK && now != present) {
			present = now;
			pp_device_note_present(r, present);
			post_media(d, r, present, false);
		}
	}
	return e == PP_OK ? DEV_ERR_CANCELLED : pp_device_fail(d, r, e);
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

static void post_progress(size_t done, size_t expected, void *user)
{
	dev_event ev = { .kind = DEV_EVENT_PROGRESS, .done = done, .total = expected };
	dev_post_event(user, &ev);
}

static dev_err read_work(dev *d, void *priv, void *arg, void **ret_result)
{
	pp_reader_dev *r = priv;
	read_arg a = *(read_arg *)arg;
	free(arg);
	pp_report *rep = NULL;
	pp_err e = pp_device_ready(d, r);
	if (e == PP_OK) {
		pp_read_options opt = { .wait_ms = 0, .progress = post_progress, .progress_user = d, .cancel = &r->cancel };
		e = pp_read_passport(r->t, a.key, a.trust, &opt, &rep);
		pp_transport_release(r->t); /* the document is free for others until the next command */
	} else if ((rep = calloc(1, sizeof(*rep))) != NULL) {
		/* The read never began: a report that says why. */
		rep->err = e;
		rep->stage = PP_STAGE_READ;
		snprintf(rep->detail, sizeof(rep->detail), "the reader could not be reached: %s", state_words(e));
	}
	if (!rep)
		return e == PP_ERR_NOMEM || e == PP_OK ? DEV_ERR_NOMEM : DEV_ERR_ARG;
	*ret_result = rep;
	if (e == PP_OK) {
		pp_device_note_present(r, true);
		return DEV_OK;
	}
	if (e == PP_ERR_CANCELLED)
		r->suspect = true; /* an exchange may have been abandoned */
	return pp_device_fail(d, r, e);
}

static void free_report(void *p)
{
	pp_report_free(p);
}

dev_err pp_device_read(dev *d, const char *owner, const pp_access_key *key, const pa_trust *trust,
                       dev_done_cb done, void *user)
{
	if (!d || !key)
		return DEV_ERR_ARG;
	read_arg *a = malloc(sizeof(*a));
	if (!a)
		return DEV_ERR_NOMEM;
	*a = (read_arg){ .key = key, .trust = trust };
	pp_reader_dev *r = dev_priv(d);
	/* Before the worker starts, and not under a read that runs: a cancel
	 * from now on counts. */
	if (r && !dev_busy(d))
		atomic_store(&r->cancel, false);
	dev_err e = dev_command(d, owner, read_work, a, free_report, done, user);
	if (e != DEV_OK)
		free(a);
	return e;
}

/* ---- reset ---- */

static dev_err reset_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	(void)ret_result;
	pp_reader_dev *r = priv;
	drop(r, PP_OK);
	r->suspect = false;
	pp_err e = dev_cancelled(d) ? PP_ERR_CANCELLED : attach(r);
	if (e != PP_OK)
		return pp_device_fail(d, r, e);
	post_status(d, r);
	return DEV_OK;
}

/* ---- the drivers ---- */

#define READER_DRIVER(id, label, what)                                              \
	static const dev_driver id = {                                              \
		.name = label,                                                      \
		.description = what,                                                \
		.open = rd_open,                                                    \
		.close = rd_close,                                                  \
		.status = rd_status,                                                \
		.capabilities = rd_capabilities,                                    \
		.reset = reset_work,                                                \
		.self_test = pp_device_self_test_work,                              \
		.cancel = rd_cancel,                                                \
	}
READER_DRIVER(pcsc_reader, "pcsc", "passport reader (pcsc)");
READER_DRIVER(libnfc_reader, "libnfc", "passport reader (libnfc)");
READER_DRIVER(sim_reader, "sim", "passport reader (sim)");
READER_DRIVER(transport_reader, "transport", "passport reader on the caller's transport (tests)");

const dev_driver *const pp_device_drivers[] = { &pcsc_reader, &libnfc_reader, &sim_reader, NULL };

dev_err pp_device_open_transport(pp_device_transport_fn make, void *user, GMainContext *ctx, dev_event_cb events,
                                 void *events_user, dev **ret)
{
	if (!make || !ret)
		return DEV_ERR_ARG;
	transport_maker m = { .make = make, .user = user };
	return dev_open_with(&transport_reader, "", &m, ctx, events, events_user, ret);
}
