/*
 * test_device_faults — the device core (hal/core/device.h) under a driver
 * that fails, as curl's torture tests fail allocations: a driver wrapping
 * the virtual device counts every call the core makes into it (open,
 * status, capabilities, each step of a command's work, self-test, reset,
 * cancel, close) and fails the Nth, for N = 1, 2, ... until a run no
 * longer reaches N. Each run opens the device, asks its status and
 * capabilities, runs a command of three steps, a command that blocks
 * until cancelled (or closes the device under it), a self-test, a reset
 * and one more command, and closes. Every command started must complete
 * exactly once — with success, DEV_ERR_FAILED (after its fault event) or
 * DEV_ERR_CANCELLED — every command after the failure must succeed, and
 * nothing may leak (ASan, valgrind: the suite runs under both).
 *
 * What a failure is, per call: open, status, capabilities, a step, a
 * self-test, a reset answer DEV_ERR_FAILED; a cancel that fails is one the
 * driver did not hear (the blocked step still ends, by the core's cancel
 * flag); a close cannot fail (it is counted, and the core must free the
 * device all the same).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "hal/core/device.h"
#include "hal/core/virtual.h"
#include "tests/common/fault.h"

/* The plan, counted from the loop and the worker. */
typedef struct rig {
	GMutex lock;
	fault_plan plan;
	const char *failed;      /* which call failed, NULL while none has */
} rig;

/* The wrapper's state around the virtual device's. */
typedef struct wrap {
	rig *rg;
	void *inner;
	GMutex lock;
	GCond cond;              /* the driver's cancel wakes a blocked step */
	bool woken;
} wrap;

static bool hit(rig *rg, const char *what)
{
	g_mutex_lock(&rg->lock);
	bool fail = fault_plan_hit(&rg->plan);
	if (fail)
		rg->failed = what;
	g_mutex_unlock(&rg->lock);
	return fail;
}

static const char *failed_call(rig *rg)
{
	g_mutex_lock(&rg->lock);
	const char *f = rg->failed;
	g_mutex_unlock(&rg->lock);
	return f;
}

static dev_err fail_with_fault(dev *d, const char *what)
{
	dev_event ev = { .kind = DEV_EVENT_FAULT, .action = DEV_ACTION_RESET };
	snprintf(ev.text, sizeof ev.text, "%s failed (injected)", what);
	dev_post_event(d, &ev);
	return DEV_ERR_FAILED;
}

static dev_err w_open(dev *d, const char *param, void **ret_priv)
{
	rig *rg = dev_open_data(d);
	assert_non_null(rg);
	if (hit(rg, "open"))
		return DEV_ERR_FAILED;
	wrap *w = calloc(1, sizeof *w);
	if (!w)
		return DEV_ERR_NOMEM;
	dev_err e = dev_virtual_driver.open(d, param, &w->inner);
	if (e != DEV_OK) {
		free(w);
		return e;
	}
	w->rg = rg;
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	*ret_priv = w;
	return DEV_OK;
}

static void w_close(void *priv)
{
	wrap *w = priv;
	hit(w->rg, "close"); /* counted; a close has nowhere to fail to */
	dev_virtual_driver.close(w->inner);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	free(w);
}

static dev_err w_status(void *priv, dev_status *ret)
{
	wrap *w = priv;
	return hit(w->rg, "status") ? DEV_ERR_FAILED : dev_virtual_driver.status(w->inner, ret);
}

static dev_err w_capabilities(void *priv, char *out, size_t len)
{
	wrap *w = priv;
	return hit(w->rg, "capabilities") ? DEV_ERR_FAILED : dev_virtual_driver.capabilities(w->inner, out, len);
}

static dev_err w_reset(dev *d, void *priv, void *arg, void **ret_result)
{
	wrap *w = priv;
	if (hit(w->rg, "reset"))
		return fail_with_fault(d, "reset");
	return dev_virtual_driver.reset(d, w->inner, arg, ret_result);
}

static dev_err w_self_test(dev *d, void *priv, void *arg, void **ret_result)
{
	wrap *w = priv;
	if (hit(w->rg, "self-test"))
		return fail_with_fault(d, "self-test");
	return dev_virtual_driver.self_test(d, w->inner, arg, ret_result);
}

static void w_cancel(void *priv)
{
	wrap *w = priv;
	if (hit(w->rg, "cancel"))
		return; /* the driver missed it */
	g_mutex_lock(&w->lock);
	w->woken = true;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
}

static const dev_driver wrapped = {
	.name = "wrapped",
	.description = "the virtual device, failing the Nth call into it",
	.open = w_open,
	.close = w_close,
	.status = w_status,
	.capabilities = w_capabilities,
	.reset = w_reset,
	.self_test = w_self_test,
	.cancel = w_cancel,
};

/* A command: its steps, each a call into the driver; a blocking one waits
 * after its first step until cancelled (by the driver's cancel or, when
 * that was missed, by the core's flag). */
typedef struct steps {
	int n;
	bool block;
} steps;

static dev_err steps_work(dev *d, void *priv, void *arg, void **ret_result)
{
	wrap *w = priv;
	const steps *s = arg;
	for (int i = 0; i < s->n; i++) {
		if (hit(w->rg, "step"))
			return fail_with_fault(d, "step");
		if (!s->block)
			continue;
		g_mutex_lock(&w->lock);
		while (!w->woken && !dev_cancelled(d))
			g_cond_wait_until(&w->cond, &w->lock, g_get_monotonic_time() + 2000);
		w->woken = false;
		g_mutex_unlock(&w->lock);
		return DEV_ERR_CANCELLED;
	}
	*ret_result = strdup("done");
	return *ret_result ? DEV_OK : DEV_ERR_NOMEM;
}

/* ---- what the loop saw ---- */

/* Fault events of the device, counted by its event callback. */
typedef struct events {
	unsigned faults;
} events;

/* One command's completion. */
typedef struct seen {
	const events *ev;
	unsigned faults_before;  /* when it started */
	unsigned completions;
	dev_err err;
	unsigned faults_at_done; /* fault events delivered since it started, before it completed */
} seen;

static void on_event(dev *d, const dev_event *ev, void *user)
{
	(void)d;
	events *e = user;
	if (ev->kind == DEV_EVENT_FAULT)
		e->faults++;
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	s->faults_at_done = s->ev->faults - s->faults_before;
	free(result);
}

static void drain(GMainContext *ctx)
{
	for (int i = 0; i < 20; i++) {
		while (g_main_context_iteration(ctx, FALSE))
			;
		g_usleep(500);
	}
}

/* Run the loop until the command completed (10 s at most: valgrind), then
 * a little longer, where a second completion would show. */
static void wait_done(GMainContext *ctx, seen *s)
{
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (s->completions == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, TRUE);
	drain(ctx);
	assert_int_equal(s->completions, 1);
}

/* A command's outcome: `ok` unless a call failed during it (failed_before
 * says whether one had failed before it began), in which case a fault
 * event must have come first; a cancel the driver missed still ends the
 * blocked command cancelled. A command cancelled after its work failed
 * completes cancelled (the core's rule: a cancel before the completion
 * wins), its fault event delivered all the same. */
static void check_outcome(rig *rg, bool failed_before, const seen *s, dev_err ok, unsigned long n)
{
	const char *f = failed_call(rg);
	bool failed_now = !failed_before && f && strcmp(f, "cancel") != 0 && strcmp(f, "status") != 0 &&
	                  strcmp(f, "capabilities") != 0 && strcmp(f, "close") != 0;
	if (failed_now) {
		bool err_ok = s->err == DEV_ERR_FAILED || (ok == DEV_ERR_CANCELLED && s->err == DEV_ERR_CANCELLED);
		if (!err_ok || s->faults_at_done == 0)
			fail_msg("N=%lu: %s failed, the command completed %s with %u fault events", n, f,
			         dev_strerror(s->err), s->faults_at_done);
		return;
	}
	if (s->err != ok)
		fail_msg("N=%lu (failed: %s): completed %s, expected %s", n, f ? f : "none", dev_strerror(s->err),
		         dev_strerror(ok));
}

typedef dev_err (*start_fn)(dev *d, seen *s);

static const steps three = { 3, false };
static const steps blocking = { 1, true };

static dev_err start_three(dev *d, seen *s)
{
	return dev_command(d, "flow", steps_work, (void *)&three, free, on_done, s);
}

static dev_err start_self_test(dev *d, seen *s)
{
	return dev_self_test(d, "diag", on_done, s);
}

static dev_err start_reset(dev *d, seen *s)
{
	return dev_reset(d, "diag", on_done, s);
}

/* Run one command to its end and check it. */
static void run_command(GMainContext *ctx, rig *rg, const events *ev, dev *d, start_fn start, unsigned long n)
{
	seen s = { .ev = ev, .faults_before = ev->faults };
	bool failed_before = failed_call(rg) != NULL;
	assert_int_equal(start(d, &s), DEV_OK);
	wait_done(ctx, &s);
	check_outcome(rg, failed_before, &s, DEV_OK, n);
}

/* One run with the Nth call failing; whether the run got as far as N. */
static bool run_once(unsigned long n, bool close_under_command)
{
	GMainContext *ctx = g_main_context_new();
	rig rg = { 0 };
	g_mutex_init(&rg.lock);
	fault_plan_arm(&rg.plan, n);
	events ev = { 0 };
	dev *d = NULL;
	dev_err e = dev_open_with(&wrapped, "fault rig", &rg, ctx, on_event, &ev, &d);
	if (e != DEV_OK) {
		assert_int_equal(e, DEV_ERR_FAILED);
		assert_string_equal(failed_call(&rg), "open");
		assert_null(d);
		goto out;
	}
	dev_status st;
	e = dev_status_get(d, &st);
	assert_int_equal(e, failed_call(&rg) && !strcmp(failed_call(&rg), "status") ? DEV_ERR_FAILED : DEV_OK);
	char caps[128];
	e = dev_capabilities(d, caps, sizeof caps);
	if (e != DEV_OK)
		assert_string_equal(failed_call(&rg), "capabilities");
	run_command(ctx, &rg, &ev, d, start_three, n);
	/* The blocking command: cancelled, or the device closed under it. */
	seen s = { .ev = &ev, .faults_before = ev.faults };
	bool failed_before = failed_call(&rg) != NULL;
	assert_int_equal(dev_command(d, "flow", steps_work, (void *)&blocking, free, on_done, &s), DEV_OK);
	g_usleep(2000);
	if (close_under_command) {
		dev_close(d);
		assert_int_equal(s.completions, 1); /* before dev_close returned */
		drain(ctx);
		assert_int_equal(s.completions, 1);
		check_outcome(&rg, failed_before, &s, DEV_ERR_CANCELLED, n);
		dev_free(d);
		goto out;
	}
	assert_int_equal(dev_cancel(d), DEV_OK);
	wait_done(ctx, &s);
	check_outcome(&rg, failed_before, &s, DEV_ERR_CANCELLED, n);
	run_command(ctx, &rg, &ev, d, start_self_test, n);
	run_command(ctx, &rg, &ev, d, start_reset, n);
	/* Usable after whatever failed. */
	run_command(ctx, &rg, &ev, d, start_three, n);
	dev_free(d);
out:
	drain(ctx);
	g_main_context_unref(ctx);
	bool reached = fault_plan_reached(&rg.plan);
	g_mutex_clear(&rg.lock);
	return reached;
}

static void sweep(bool close_under_command, unsigned long at_least)
{
	unsigned long n = 1;
	while (run_once(n, close_under_command))
		n++;
	print_message("%lu runs, every call failed once\n", n - 1);
	/* A run with nothing failing was the last: the sweep covered every
	 * call the scenario makes. */
	assert_true(n - 1 >= at_least);
}

static void test_fail_each_call(void **state)
{
	(void)state;
	/* open, status, capabilities, 3 steps, 1 step, cancel, self-test,
	 * reset, 3 steps, close */
	sweep(false, 14);
}

static void test_fail_each_call_then_close(void **state)
{
	(void)state;
	/* open, status, capabilities, 3 steps, 1 step, cancel (by close), close */
	sweep(true, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_each_call),
		cmocka_unit_test(test_fail_each_call_then_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
