/*
 * transport — the driver registry and the core around every driver call:
 * connection-string parsing, statistics, each exchange's deadline (a
 * watchdog thread that cancels an exchange which outlives it), and what a
 * failed exchange was: removed, unresponsive, service stopped or a link
 * failure.
 */
#include "hal/passport/transport.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hal/passport/transport-internal.h"

/* A driver that keeps the time itself is cancelled only this much after
 * its own limit, so that its time-out, not the cancel, ends the exchange. */
#define WATCHDOG_GRACE_MS 500

/* Who cancelled the exchange in progress. */
typedef enum cancel_origin {
	CANCEL_NONE = 0,
	CANCEL_DEADLINE, /* the watchdog: the exchange outlived its deadline */
	CANCEL_CALLER,   /* pp_transport_cancel */
} cancel_origin;

/* The watchdog and what it watches; the lock guards every field. */
typedef struct watchdog {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* an exchange began or ended, a cancel ended, or stop */
	bool stop;
	bool busy;               /* an exchange is in the driver */
	unsigned long seq;       /* which exchange */
	struct timespec due;     /* when the one in progress is cancelled */
	cancel_origin cancelled; /* of the one in progress */
	bool waiting;            /* a wait for a document is in the driver */
	bool cancel_pending;     /* a caller cancelled while nothing ran: the next
	                          * exchange or wait ends at once (connect forgets it) */
	bool cancel_running;     /* a cancel call is in the driver */
} watchdog;

struct pp_transport {
	const pp_transport_ops *ops;
	void *priv;
	bool connected;
	bool unresponsive;       /* an exchange outlived its deadline since connect */
	int deadline_ms;
	int driver_timeout_ms;   /* last limit given to set_timeout (0: none) */
	pp_transport_stats stats;
	watchdog wd;
};

static const pp_transport_ops *const drivers[] = {
	&pp_pcsc_driver,
	&pp_libnfc_driver,
	&pp_sim_driver,
	NULL,
};

const pp_transport_ops *const *pp_transport_drivers(void)
{
	return drivers;
}

void pp_transport_each_driver(pp_driver_cb cb, void *user)
{
	for (size_t i = 0; drivers[i]; i++)
		cb(drivers[i]->name, drivers[i]->description, user);
}

static const pp_transport_ops *find_driver(const char *name, size_t len)
{
	for (size_t i = 0; drivers[i]; i++)
		if (strlen(drivers[i]->name) == len && strncmp(drivers[i]->name, name, len) == 0)
			return drivers[i];
	return NULL;
}

pp_err pp_transport_new(const pp_transport_ops *ops, void *priv, pp_transport **ret)
{
	if (!ops || !ret)
		return PP_ERR_ARG;
	pp_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return PP_ERR_NOMEM;
	t->ops = ops;
	t->priv = priv;
	t->deadline_ms = PP_TRANSPORT_DEFAULT_DEADLINE_MS;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->wd.lock, NULL);
	pthread_cond_init(&t->wd.cond, &ca);
	pthread_condattr_destroy(&ca);
	*ret = t;
	return PP_OK;
}

pp_err pp_transport_open(const char *connstr, pp_transport **ret)
{
	if (!connstr || !ret)
		return PP_ERR_ARG;
	const char *colon = strchr(connstr, ':');
	size_t name_len = colon ? (size_t)(colon - connstr) : strlen(connstr);
	const pp_transport_ops *ops = find_driver(connstr, name_len);
	if (!ops)
		return PP_ERR_NO_DRIVER;
	if (!ops->open)
		return PP_ERR_NOT_SUPPORTED;
	void *priv = NULL;
	pp_err e = ops->open(colon ? colon + 1 : "", &priv);
	if (e != PP_OK)
		return e;
	e = pp_transport_new(ops, priv, ret);
	if (e != PP_OK && ops->close)
		ops->close(priv);
	return e;
}

void pp_transport_free(pp_transport *t)
{
	if (!t)
		return;
	if (t->wd.started) {
		pthread_mutex_lock(&t->wd.lock);
		t->wd.stop = true;
		pthread_cond_broadcast(&t->wd.cond);
		pthread_mutex_unlock(&t->wd.lock);
		pthread_join(t->wd.thread, NULL);
	}
	if (t->ops->close)
		t->ops->close(t->priv);
	pthread_cond_destroy(&t->wd.cond);
	pthread_mutex_destroy(&t->wd.lock);
	free(t);
}

pp_err pp_transport_list(const char *driver, pp_reader_cb cb, void *user)
{
	if (!driver || !cb)
		return PP_ERR_ARG;
	const pp_transport_ops *ops = find_driver(driver, strlen(driver));
	if (!ops)
		return PP_ERR_NO_DRIVER;
	if (!ops->list)
		return PP_ERR_NOT_SUPPORTED;
	return ops->list(cb, user);
}

/* A cancel made while nothing ran, taken (and forgotten) by the next
 * exchange or wait. */
static bool take_pending_cancel(pp_transport *t)
{
	pthread_mutex_lock(&t->wd.lock);
	bool pending = t->wd.cancel_pending;
	t->wd.cancel_pending = false;
	pthread_mutex_unlock(&t->wd.lock);
	return pending;
}

pp_err pp_transport_connect(pp_transport *t, int timeout_ms)
{
	if (!t->ops->connect)
		return PP_ERR_NOT_SUPPORTED;
	take_pending_cancel(t); /* one made before this operation began */
	pp_err e = t->ops->connect(t->priv, timeout_ms);
	t->connected = e == PP_OK;
	if (e == PP_OK)
		t->unresponsive = false;
	return e;
}

pp_err pp_transport_release(pp_transport *t)
{
	if (!t->ops->release)
		return PP_ERR_NOT_SUPPORTED;
	t->connected = false;
	return t->ops->release(t->priv);
}

pp_err pp_transport_set_deadline(pp_transport *t, int deadline_ms)
{
	if (!t || deadline_ms < 0)
		return PP_ERR_ARG;
	t->deadline_ms = deadline_ms ? deadline_ms : PP_TRANSPORT_DEFAULT_DEADLINE_MS;
	return PP_OK;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the deadline ---- */

/* The most bytes the answer to cmd can hold, from its Le (ISO/IEC 7816-4,
 * 5.1: no Le, a short one where 00 is 256, or an extended one where 0000
 * is 65536), status word included; the largest for a malformed APDU. */
static size_t answer_limit(const uint8_t *cmd, size_t len)
{
	const size_t worst = 65536 + 2;
	if (len <= 4)
		return 2;
	if (len == 5)
		return (cmd[4] ? cmd[4] : 256u) + 2;
	if (cmd[4]) {
		size_t lc = cmd[4];
		if (len == 5 + lc)
			return 2;
		if (len == 6 + lc)
			return (cmd[len - 1] ? cmd[len - 1] : 256u) + 2;
		return worst;
	}
	if (len == 7) {
		size_t le = (size_t)cmd[5] << 8 | cmd[6];
		return (le ? le : 65536u) + 2;
	}
	size_t lc = (size_t)cmd[5] << 8 | cmd[6];
	if (len == 7 + lc)
		return 2;
	if (len == 9 + lc) {
		size_t le = (size_t)cmd[len - 2] << 8 | cmd[len - 1];
		return (le ? le : 65536u) + 2;
	}
	return worst;
}

/* This exchange's limit: the deadline and its bytes on the air. */
static int exchange_limit_ms(const pp_transport *t, const uint8_t *cmd, size_t len)
{
	size_t bytes = len + answer_limit(cmd, len);
	return t->deadline_ms + (int)((bytes * PP_TRANSPORT_US_PER_BYTE + 999) / 1000);
}

static struct timespec after_ms(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool reached(const struct timespec *due)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > due->tv_sec || (now.tv_sec == due->tv_sec && now.tv_nsec >= due->tv_nsec);
}

/* Call the driver's cancel for the exchange in progress, the lock held on
 * entry and exit (released around the call). */
static void cancel_locked(pp_transport *t, cancel_origin origin)
{
	t->wd.cancelled = origin;
	t->wd.cancel_running = true;
	pthread_mutex_unlock(&t->wd.lock);
	t->ops->cancel(t->priv);
	pthread_mutex_lock(&t->wd.lock);
	t->wd.cancel_running = false;
	pthread_cond_broadcast(&t->wd.cond);
}

/* The watchdog: sleeps until an exchange begins, then until it ends or
 * its time is up, and then cancels it, once. */
static void *watchdog_main(void *arg)
{
	pp_transport *t = arg;
	pthread_mutex_lock(&t->wd.lock);
	while (!t->wd.stop) {
		if (!t->wd.busy || t->wd.cancelled != CANCEL_NONE) {
			pthread_cond_wait(&t->wd.cond, &t->wd.lock);
			continue;
		}
		struct timespec due = t->wd.due;
		unsigned long seq = t->wd.seq;
		pthread_cond_timedwait(&t->wd.cond, &t->wd.lock, &due);
		if (t->wd.busy && t->wd.seq == seq && t->wd.cancelled == CANCEL_NONE && reached(&due))
			cancel_locked(t, CANCEL_DEADLINE);
	}
	pthread_mutex_unlock(&t->wd.lock);
	return NULL;
}

/* Arm the watchdog for an exchange of limit_ms (started on first use; a
 * driver without cancel has none, and its exchanges only have the time
 * limit it applies itself). */
static void exchange_begin(pp_transport *t, int limit_ms)
{
	if (!t->ops->cancel)
		return;
	if (!t->wd.started) {
		if (pthread_create(&t->wd.thread, NULL, watchdog_main, t) != 0)
			return;
		t->wd.started = true;
	}
	pthread_mutex_lock(&t->wd.lock);
	t->wd.busy = true;
	t->wd.seq++;
	t->wd.cancelled = CANCEL_NONE;
	t->wd.due = after_ms(limit_ms + (t->ops->set_timeout ? WATCHDOG_GRACE_MS : 0));
	pthread_cond_broadcast(&t->wd.cond);
	pthread_mutex_unlock(&t->wd.lock);
}

/* Disarm it; who cancelled the exchange, if anyone. A cancel still in
 * the driver is waited for, so none reaches the next exchange. */
static cancel_origin exchange_end(pp_transport *t)
{
	if (!t->wd.started)
		return CANCEL_NONE;
	pthread_mutex_lock(&t->wd.lock);
	while (t->wd.cancel_running)
		pthread_cond_wait(&t->wd.cond, &t->wd.lock);
	t->wd.busy = false;
	cancel_origin c = t->wd.cancelled;
	t->wd.cancelled = CANCEL_NONE;
	pthread_cond_broadcast(&t->wd.cond);
	pthread_mutex_unlock(&t->wd.lock);
	return c;
}

pp_err pp_transport_cancel(pp_transport *t)
{
	if (!t)
		return PP_ERR_ARG;
	if (!t->ops->cancel)
		return PP_ERR_NOT_SUPPORTED;
	pthread_mutex_lock(&t->wd.lock);
	bool in_exchange = t->wd.busy, waiting = t->wd.waiting;
	if (in_exchange && t->wd.cancelled == CANCEL_NONE)
		cancel_locked(t, CANCEL_CALLER);
	else if (!in_exchange && !waiting)
		t->wd.cancel_pending = true; /* e.g. between two exchanges of a read */
	pthread_mutex_unlock(&t->wd.lock);
	/* A wait for a document: the driver ends it (its flag is seen even if
	 * the wait is only about to start). */
	return waiting ? t->ops->cancel(t->priv) : PP_OK;
}

/* ---- exchanges ---- */

/* The exchange failed with e, or answered without a status word (e
 * PP_ERR_COMM): what it was. The one place that decides "removed". */
static pp_err classify_failure(pp_transport *t, pp_err e)
{
	switch (e) {
	case PP_ERR_REMOVED:
	case PP_ERR_UNRESPONSIVE: /* no card check: it could hang as well */
	case PP_ERR_SERVICE_STOPPED:
	case PP_ERR_BUSY:
	case PP_ERR_NOMEM:
	case PP_ERR_ARG:
	case PP_ERR_NOT_SUPPORTED:
		return e;
	case PP_ERR_NO_SERVICE:
		return PP_ERR_SERVICE_STOPPED; /* it was there when the read began */
	case PP_OK:
	case PP_ERR_NO_DRIVER:
	case PP_ERR_NO_READER:
	case PP_ERR_NO_CARD:
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_ACCESS_DENIED:
	case PP_ERR_SM:
	case PP_ERR_STATUS:
	case PP_ERR_NOT_EMRTD:
	case PP_ERR_PARSE:
	case PP_ERR_CANCELLED:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CRYPTO:
	case PP_ERR_CHIP_AUTH:
	case PP_ERR_SM_ENDED:
	case PP_ERR_BLOCKED:
	case PP_ERR_NOT_VERIFIED:
		break;
	}
	/* With no card left in the field it is a removal, which the
	 * applicant can fix; with the service gone, the machine's fault;
	 * anything else the reader's or the link's. */
	bool present = true;
	pp_err pe = t->ops->card_present ? t->ops->card_present(t->priv, &present) : PP_ERR_NOT_SUPPORTED;
	if (pe == PP_ERR_SERVICE_STOPPED || pe == PP_ERR_NO_SERVICE)
		return PP_ERR_SERVICE_STOPPED;
	if (pe == PP_ERR_NO_READER)
		return PP_ERR_NO_READER; /* the reader left, not the document */
	if (pe == PP_OK && !present)
		return PP_ERR_REMOVED;
	return e;
}

pp_err pp_transport_transmit(pp_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *ret_len)
{
	if (!t->ops->transmit)
		return PP_ERR_NOT_SUPPORTED;
	if (!t->connected)
		return PP_ERR_NO_CARD;
	if (t->unresponsive)
		return PP_ERR_UNRESPONSIVE;
	if (take_pending_cancel(t))
		return PP_ERR_CANCELLED;
	int limit = exchange_limit_ms(t, cmd, len);
	if (t->ops->set_timeout && limit != t->driver_timeout_ms && t->ops->set_timeout(t->priv, limit) == PP_OK)
		t->driver_timeout_ms = limit;
	double start = now_seconds();
	size_t n = 0;
	exchange_begin(t, limit);
	pp_err e = t->ops->transmit(t->priv, cmd, len, resp, cap, &n);
	cancel_origin cancelled = exchange_end(t);
	t->stats.transmit_seconds += now_seconds() - start;
	t->stats.apdus++;
	t->stats.bytes_sent += len;
	if (e == PP_OK)
		t->stats.bytes_received += n;
	if (e == PP_OK && n >= 2) {
		*ret_len = n;
		return PP_OK;
	}
	if (cancelled == CANCEL_DEADLINE && e != PP_OK)
		e = PP_ERR_UNRESPONSIVE;
	else if (cancelled == CANCEL_CALLER && e != PP_OK)
		e = PP_ERR_CANCELLED;
	else
		e = classify_failure(t, e == PP_OK ? PP_ERR_COMM : e); /* no status word: no answer */
	if (e == PP_ERR_REMOVED || e == PP_ERR_SERVICE_STOPPED || e == PP_ERR_NO_READER)
		t->connected = false;
	if (e == PP_ERR_UNRESPONSIVE)
		t->unresponsive = true;
	return e;
}

pp_err pp_transport_wait_change(pp_transport *t, bool present, int timeout_ms, bool *ret_present)
{
	if (!t || !ret_present)
		return PP_ERR_ARG;
	if (!t->ops->wait_change)
		return PP_ERR_NOT_SUPPORTED;
	pthread_mutex_lock(&t->wd.lock);
	bool pending = t->wd.cancel_pending;
	t->wd.cancel_pending = false;
	t->wd.waiting = !pending;
	pthread_mutex_unlock(&t->wd.lock);
	if (pending)
		return PP_ERR_CANCELLED;
	pp_err e = t->ops->wait_change(t->priv, present, timeout_ms, ret_present);
	pthread_mutex_lock(&t->wd.lock);
	t->wd.waiting = false;
	pthread_mutex_unlock(&t->wd.lock);
	return e;
}

pp_err pp_transport_look(pp_transport *t, bool *ret_present)
{
	bool present = false;
	pp_err e = pp_transport_wait_change(t, false, 0, &present);
	if (e == PP_ERR_TIMEOUT) {
		present = false; /* nothing arrived: none is there */
		e = PP_OK;
	}
	if (e == PP_OK)
		*ret_present = present;
	return e;
}

bool pp_transport_list_is_intrusive(const char *driver)
{
	const pp_transport_ops *ops = driver ? find_driver(driver, strlen(driver)) : NULL;
	return ops && ops->intrusive_list;
}

pp_err pp_transport_card_present(pp_transport *t, bool *ret)
{
	if (!t->ops->card_present)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->card_present(t->priv, ret);
}

pp_err pp_transport_capabilities(pp_transport *t, pp_transport_caps *ret)
{
	if (!t->ops->capabilities)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->capabilities(t->priv, ret);
}

pp_err pp_transport_atr(pp_transport *t, uint8_t out[PP_ATR_MAX], size_t *ret_len)
{
	if (!t || !out || !ret_len)
		return PP_ERR_ARG;
	if (!t->ops->atr)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->atr(t->priv, out, ret_len);
}

pp_err pp_transport_probe(pp_transport *t, bool *ret_present)
{
	if (!t || !ret_present)
		return PP_ERR_ARG;
	if (!t->ops->probe)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->probe(t->priv, ret_present);
}

const char *pp_transport_reader_name(pp_transport *t)
{
	if (!t->ops->reader_name)
		return t->ops->name;
	const char *n = t->ops->reader_name(t->priv);
	return n ? n : t->ops->name;
}

const char *pp_transport_native_error(pp_transport *t)
{
	const char *s = t->ops->native_error ? t->ops->native_error(t->priv) : NULL;
	return s ? s : "";
}

const pp_transport_stats *pp_transport_get_stats(const pp_transport *t)
{
	return &t->stats;
}
