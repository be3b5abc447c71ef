/*
 * test_transport — the transport core (hal/passport/transport.c) around a
 * scripted driver, without any reader: an exchange that hangs is cancelled
 * by the watchdog at its deadline and reported PP_ERR_UNRESPONSIVE, with no
 * card check and no later exchange until the next connect; a driver that
 * keeps time itself is told the deadline plus the exchange's bytes on the
 * air; an answer without a status word, or a failure, is a removal only
 * when the card has gone, and the service stopping is never a removal;
 * a caller's cancel ends an exchange as cancelled; a driver without cancel
 * answers "not supported".
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hal/passport/transport.h"
#include "hal/passport/transport-internal.h"

/* ---- the scripted driver ---- */

typedef enum behaviour {
	ANSWER,       /* 90 00 */
	EMPTY,        /* success without a status word (what pcscd gives for a card gone) */
	FAIL,         /* fail_with */
	HANG,         /* wait until cancelled */
} behaviour;

typedef struct script {
	behaviour next;
	pp_err fail_with;
	bool present;            /* what card_present says */
	pp_err present_err;      /* ... or this error */
	int timeout_ms;          /* last set_timeout */
	unsigned transmits;
	unsigned presence_checks;
	unsigned cancels;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool cancelled;
} script;

static pp_err drv_connect(void *priv, int timeout_ms)
{
	(void)priv;
	(void)timeout_ms;
	return PP_OK;
}

static pp_err drv_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	(void)cmd;
	(void)len;
	(void)cap;
	script *s = priv;
	s->transmits++;
	switch (s->next) {
	case ANSWER:
		resp[0] = 0x90;
		resp[1] = 0x00;
		*ret_len = 2;
		return PP_OK;
	case EMPTY:
		*ret_len = 0;
		return PP_OK;
	case FAIL:
		return s->fail_with;
	case HANG:
		break;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->cancelled)
		pthread_cond_wait(&s->cond, &s->lock);
	s->cancelled = false;
	pthread_mutex_unlock(&s->lock);
	return PP_ERR_CANCELLED;
}

static pp_err drv_card_present(void *priv, bool *ret)
{
	script *s = priv;
	s->presence_checks++;
	if (s->present_err != PP_OK)
		return s->present_err;
	*ret = s->present;
	return PP_OK;
}

static pp_err drv_cancel(void *priv)
{
	script *s = priv;
	pthread_mutex_lock(&s->lock);
	s->cancels++;
	s->cancelled = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return PP_OK;
}

static pp_err drv_set_timeout(void *priv, int timeout_ms)
{
	script *s = priv;
	s->timeout_ms = timeout_ms;
	return PP_OK;
}

static void drv_close(void *priv)
{
	(void)priv;
}

static const pp_transport_ops cancellable = {
	.name = "script",
	.connect = drv_connect,
	.transmit = drv_transmit,
	.card_present = drv_card_present,
	.close = drv_close,
	.cancel = drv_cancel,
};

static const pp_transport_ops timed = {
	.name = "script-timed",
	.connect = drv_connect,
	.transmit = drv_transmit,
	.card_present = drv_card_present,
	.close = drv_close,
	.cancel = drv_cancel,
	.set_timeout = drv_set_timeout,
};

static const pp_transport_ops plain = {
	.name = "script-plain",
	.connect = drv_connect,
	.transmit = drv_transmit,
	.card_present = drv_card_present,
	.close = drv_close,
};

static pp_transport *open_script(const pp_transport_ops *ops, script *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->present = true;
	pp_transport *t = NULL;
	assert_int_equal(pp_transport_new(ops, s, &t), PP_OK);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	return t;
}

static void close_script(pp_transport *t, script *s)
{
	pp_transport_free(t);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t select_mf[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };

static pp_err exchange(pp_transport *t, const uint8_t *cmd, size_t len)
{
	uint8_t resp[300];
	size_t n = 0;
	return pp_transport_transmit(t, cmd, len, resp, sizeof(resp), &n);
}

/* ---- tests ---- */

static void test_hang_cancelled_at_deadline(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&cancellable, &s);
	assert_int_equal(pp_transport_set_deadline(t, 300), PP_OK);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_OK);
	s.next = HANG;
	double start = now();
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_UNRESPONSIVE);
	double took = now() - start;
	print_message("a hung exchange ended after %.3f s (deadline 0.3 s)\n", took);
	assert_true(took >= 0.29 && took < 2.0);
	assert_int_equal(s.cancels, 1);
	assert_int_equal(s.presence_checks, 0); /* a wedged card is not asked */
	/* Refused until the next connect, without reaching the driver. */
	s.next = ANSWER;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_UNRESPONSIVE);
	assert_int_equal(s.transmits, 2);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_OK);
	assert_int_equal(s.cancels, 1); /* quick exchanges are never cancelled */
	close_script(t, &s);
}

static void test_default_deadline(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&timed, &s);
	/* A short command without Le: the deadline, and its 9 bytes (7 sent,
	 * a status word back) at 100 us each, rounded up to 1 ms. */
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_OK);
	assert_int_equal(s.timeout_ms, PP_TRANSPORT_DEFAULT_DEADLINE_MS + 1);
	/* READ BINARY with extended Le 0000: 65536 bytes and the status word
	 * may come back, 6.6 s at 106 kbit/s. */
	static const uint8_t read_ext[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(pp_transport_set_deadline(t, 1000), PP_OK);
	assert_int_equal(exchange(t, read_ext, sizeof read_ext), PP_OK);
	assert_int_equal(s.timeout_ms, 1000 + (7 + 65538) / 10 + 1);
	/* Short Le 00: 256 bytes. */
	static const uint8_t read_short[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	assert_int_equal(exchange(t, read_short, sizeof read_short), PP_OK);
	assert_int_equal(s.timeout_ms, 1000 + (5 + 258 + 9) / 10);
	/* 0 is the default again. */
	assert_int_equal(pp_transport_set_deadline(t, 0), PP_OK);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_OK);
	assert_int_equal(s.timeout_ms, PP_TRANSPORT_DEFAULT_DEADLINE_MS + 1);
	assert_int_equal(pp_transport_set_deadline(t, -1), PP_ERR_ARG);
	close_script(t, &s);
}

/* A driver keeping time itself reports its own PP_ERR_UNRESPONSIVE; the
 * watchdog only backs it up, a little later. */
static void test_timed_driver_backstop(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&timed, &s);
	assert_int_equal(pp_transport_set_deadline(t, 200), PP_OK);
	s.next = HANG; /* ... but this driver ignores its time-out */
	double start = now();
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_UNRESPONSIVE);
	double took = now() - start;
	assert_true(took >= 0.2 && took < 2.0);
	assert_int_equal(s.cancels, 1);
	close_script(t, &s);
}

static void test_no_status_word(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&cancellable, &s);
	/* The card is still there: the link failed. */
	s.next = EMPTY;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_COMM);
	assert_int_equal(s.presence_checks, 1);
	/* Gone: removed, and nothing more is sent until a connect. */
	s.present = false;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_REMOVED);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_NO_CARD);
	assert_int_equal(s.transmits, 2);
	close_script(t, &s);
}

static void test_failures(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&cancellable, &s);
	s.next = FAIL;
	s.fail_with = PP_ERR_COMM;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_COMM);
	s.present = false;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_REMOVED);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	/* The service went away: its presence check cannot tell a removal,
	 * and it is the machine's fault, not the applicant's. */
	s.present_err = PP_ERR_SERVICE_STOPPED;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_SERVICE_STOPPED);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	s.present_err = PP_OK;
	s.fail_with = PP_ERR_NO_SERVICE;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_SERVICE_STOPPED);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	/* Busy, or the driver's own verdicts, are passed on unasked. */
	unsigned checks = s.presence_checks;
	s.fail_with = PP_ERR_BUSY;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_BUSY);
	s.fail_with = PP_ERR_UNRESPONSIVE;
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_UNRESPONSIVE);
	assert_int_equal(s.presence_checks, checks);
	close_script(t, &s);
}

typedef struct canceller {
	pp_transport *t;
	int after_ms;
} canceller;

static void *cancel_later(void *arg)
{
	canceller *c = arg;
	struct timespec ts = { 0, (long)c->after_ms * 1000000L };
	nanosleep(&ts, NULL);
	pp_transport_cancel(c->t);
	return NULL;
}

static void test_caller_cancel(void **state)
{
	(void)state;
	script s;
	pp_transport *t = open_script(&cancellable, &s);
	/* Nothing runs: the driver is not disturbed, and the next exchange is
	 * cancelled before it starts (the caller cancelled between two
	 * commands of a read); the one after it runs. */
	assert_int_equal(pp_transport_cancel(t), PP_OK);
	assert_int_equal(s.cancels, 0);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_CANCELLED);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_OK);
	assert_int_equal(s.cancels, 0);
	s.next = HANG;
	canceller c = { t, 100 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, cancel_later, &c), 0);
	assert_int_equal(exchange(t, select_mf, sizeof select_mf), PP_ERR_CANCELLED);
	pthread_join(th, NULL);
	assert_int_equal(s.cancels, 1);
	close_script(t, &s);

	t = open_script(&plain, &s);
	assert_int_equal(pp_transport_cancel(t), PP_ERR_NOT_SUPPORTED);
	assert_string_equal(pp_transport_native_error(t), "");
	close_script(t, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hang_cancelled_at_deadline),
		cmocka_unit_test(test_default_deadline),
		cmocka_unit_test(test_timed_driver_backstop),
		cmocka_unit_test(test_no_status_word),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_caller_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
