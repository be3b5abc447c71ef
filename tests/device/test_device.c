/*
 * test_device — the device core (hal/core/device.h) with its scriptable
 * virtual device: every command completes exactly once, on the loop
 * thread; a second command is busy; commands after close are refused; a
 * command blocked in the driver is cancelled; close during a command
 * cancels it first; an unplug mid-command is a status event and a
 * failure; a prompt arrives before the completion; the maintenance lock
 * keeps other owners out; a device gone offline fails every command with
 * a status event until it comes back.
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

static const dev_driver *const drivers[] = { &dev_virtual_driver, NULL };

/* What the callbacks saw. */
typedef struct seen {
	unsigned completions;
	dev_err err;
	char result[64];
	GThread *thread;         /* where the completion ran */
	unsigned events;
	dev_event last;
	bool prompt_before_done;
	unsigned status_events;
	dev_state last_state;    /* of the last status event */
	bool status_before_done; /* a status event came before the completion */
} seen;

typedef struct rig {
	GMainContext *ctx;
	dev *d;
	seen s;
} rig;

static void on_event(dev *d, const dev_event *ev, void *user)
{
	(void)d;
	seen *s = user;
	s->events++;
	s->last = *ev;
	if (ev->kind == DEV_EVENT_PROMPT && s->completions == 0)
		s->prompt_before_done = true;
	if (ev->kind == DEV_EVENT_STATUS) {
		s->status_events++;
		s->last_state = ev->status.state;
		if (s->completions == 0)
			s->status_before_done = true;
	}
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	s->thread = g_thread_self();
	snprintf(s->result, sizeof s->result, "%s", result ? (const char *)result : "");
	free(result);
}

static void rig_open(rig *r)
{
	memset(r, 0, sizeof *r);
	r->ctx = g_main_context_new();
	g_main_context_push_thread_default(r->ctx);
	assert_int_equal(dev_open(drivers, "virtual:test reader", r->ctx, on_event, &r->s, &r->d), DEV_OK);
}

static void rig_close(rig *r)
{
	dev_free(r->d);
	g_main_context_pop_thread_default(r->ctx);
	g_main_context_unref(r->ctx);
}

/* Run the loop until a command completed (or 5 s). */
static void run_until_done(rig *r)
{
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (r->s.completions == 0 && g_get_monotonic_time() < until) {
		g_main_context_iteration(r->ctx, FALSE);
		g_usleep(1000);
	}
	/* Whatever else is pending (a second completion would show). */
	for (int i = 0; i < 50; i++) {
		while (g_main_context_iteration(r->ctx, FALSE))
			;
		g_usleep(1000);
	}
}

static void test_completes_once(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	assert_true(dev_busy(r.d));
	run_until_done(&r);
	assert_int_equal(r.s.completions, 1);
	assert_int_equal(r.s.err, DEV_OK);
	assert_string_equal(r.s.result, "done");
	assert_ptr_equal(r.s.thread, g_thread_self()); /* on the loop's thread */
	assert_false(dev_busy(r.d));
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	char caps[64];
	assert_int_equal(dev_capabilities(r.d, caps, sizeof caps), DEV_OK);
	assert_string_equal(dev_driver_name(r.d), "virtual");
	rig_close(&r);
}

/* dev_post_call: calls posted by a command's work run on the loop, in
 * order, before the command's completion; a close runs those still
 * pending before it returns. */
typedef struct calls {
	unsigned n;
	unsigned order[8];
	unsigned done_after;     /* calls run when the completion came */
	GThread *thread;
} calls;

static void count_call(dev *d, void *data)
{
	(void)d;
	calls *c = data;
	c->order[c->n < 8 ? c->n : 7] = c->n;
	c->n++;
	c->thread = g_thread_self();
}

static dev_err post_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)priv;
	(void)ret_result;
	for (int i = 0; i < 5; i++)
		assert_true(dev_post_call(d, count_call, arg));
	return DEV_OK;
}

static void calls_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	(void)e;
	(void)result;
	calls *c = user;
	c->done_after = c->n;
}

static void test_post_call(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	calls c = { 0 };
	assert_int_equal(dev_command(r.d, "flow", post_work, &c, NULL, calls_done, &c), DEV_OK);
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (c.done_after == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(r.ctx, FALSE);
	assert_int_equal(c.done_after, 5);
	assert_ptr_equal(c.thread, g_thread_self());
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(c.order[i], i);
	/* Posted, not yet run: the close runs them. */
	calls later = { 0 };
	assert_int_equal(dev_command(r.d, "flow", post_work, &later, NULL, NULL, NULL), DEV_OK);
	g_usleep(50000);
	dev_close(r.d);
	assert_int_equal(later.n, 5);
	rig_close(&r);
}

static void test_busy_and_cancel(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_BLOCK);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	seen other = { 0 };
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &other), DEV_ERR_BUSY);
	g_usleep(20000);
	assert_int_equal(r.s.completions, 0); /* blocked in the driver */
	assert_int_equal(dev_cancel(r.d), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.completions, 1);
	assert_int_equal(r.s.err, DEV_ERR_CANCELLED);
	assert_int_equal(dev_virtual_cancels(r.d), 1);
	assert_int_equal(other.completions, 0);
	/* The device takes the next command. */
	memset(&r.s, 0, sizeof r.s);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_SUCCEED);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_OK);
	assert_int_equal(dev_cancel(r.d), DEV_OK); /* nothing runs: nothing to do */
	rig_close(&r);
}

static void test_close_during_command(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_BLOCK);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	g_usleep(20000);
	dev_close(r.d);
	/* Completed, cancelled, once, before dev_close returned. */
	assert_int_equal(r.s.completions, 1);
	assert_int_equal(r.s.err, DEV_ERR_CANCELLED);
	seen after = { 0 };
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &after), DEV_ERR_NOT_OPEN);
	assert_int_equal(dev_cancel(r.d), DEV_ERR_NOT_OPEN);
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_ERR_NOT_OPEN);
	assert_int_equal(dev_lock(r.d, "diag"), DEV_ERR_NOT_OPEN);
	run_until_done(&r);
	assert_int_equal(after.completions, 0);
	assert_int_equal(r.s.completions, 1);
	rig_close(&r);
}

static void test_unplug_and_fault(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_UNPLUG);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_ERR_FAILED);
	assert_int_equal(r.s.last.kind, DEV_EVENT_STATUS);
	assert_int_equal(r.s.last.status.state, DEV_STATE_NO_DEVICE);
	assert_string_equal(dev_state_name(r.s.last.status.state), "no device");
	/* A reset brings it back (a command too, with a status event). */
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_reset(r.d, "diag", on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_OK);
	assert_int_equal(r.s.last.status.state, DEV_STATE_ONLINE);
	/* A failure carries a fault with its recommended action. */
	memset(&r.s, 0, sizeof r.s);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_FAIL);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_ERR_FAILED);
	assert_int_equal(r.s.last.kind, DEV_EVENT_FAULT);
	assert_int_equal(r.s.last.action, DEV_ACTION_RESET);
	rig_close(&r);
}

static void test_prompt_and_self_test(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_PROMPT);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_true(r.s.prompt_before_done);
	assert_string_equal(r.s.last.text, "place your passport flat on the reader");
	assert_int_equal(r.s.err, DEV_OK);
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_self_test(r.d, "diag", on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_OK);
	assert_non_null(strstr(r.s.result, "answers"));
	rig_close(&r);
}

static void test_maintenance_lock(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	assert_int_equal(dev_lock(r.d, "diag"), DEV_OK);
	/* The flow sees it busy while it is held. */
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_BUSY);
	assert_non_null(strstr(st.text, "held for maintenance by diag"));
	seen flow = { 0 };
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &flow), DEV_ERR_LOCKED);
	assert_int_equal(dev_lock(r.d, "flow"), DEV_ERR_LOCKED);
	assert_int_equal(dev_unlock(r.d, "flow"), DEV_ERR_LOCKED);
	assert_int_equal(dev_command(r.d, "diag", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	assert_int_equal(dev_unlock(r.d, "diag"), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_OK);
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	/* Not while a command runs. */
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_BLOCK);
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	assert_int_equal(dev_lock(r.d, "diag"), DEV_ERR_BUSY);
	dev_cancel(r.d);
	run_until_done(&r);
	assert_int_equal(dev_lock(r.d, "diag"), DEV_OK);
	rig_close(&r);
}

/* The virtual device's offline mode: what a reader whose pcscd stopped
 * does on the core. */
static void test_offline_until_back(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_OFFLINE);
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_OFFLINE);
	assert_int_not_equal(st.detail, 0);
	assert_non_null(strstr(st.text, "offline"));
	/* Every command fails, a status event (offline) first, then the fault. */
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.completions, 1);
	assert_int_equal(r.s.err, DEV_ERR_FAILED);
	assert_true(r.s.status_before_done);
	assert_int_equal(r.s.last_state, DEV_STATE_OFFLINE);
	assert_int_equal(r.s.last.kind, DEV_EVENT_FAULT);
	assert_int_equal(r.s.last.action, DEV_ACTION_SUSPEND);
	/* A reset cannot bring the service back; nor does a self-test pass. */
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_reset(r.d, "diag", on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_ERR_FAILED);
	assert_int_equal(r.s.last_state, DEV_STATE_OFFLINE);
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_self_test(r.d, "diag", on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_ERR_FAILED);
	assert_int_equal(dev_virtual_runs(r.d), 1); /* the work of commands only */
	/* Back: a status event says so, and commands work again. */
	memset(&r.s, 0, sizeof r.s);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_SUCCEED);
	run_until_done(&r);
	assert_int_equal(r.s.status_events, 1);
	assert_int_equal(r.s.last_state, DEV_STATE_ONLINE);
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	memset(&r.s, 0, sizeof r.s);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, on_done, &r.s), DEV_OK);
	run_until_done(&r);
	assert_int_equal(r.s.err, DEV_OK);
	assert_int_equal(r.s.status_events, 0);
	rig_close(&r);
}

static void test_errors_have_words(void **state)
{
	(void)state;
	for (int e = DEV_OK; e <= DEV_ERR_FAILED; e++)
		assert_null(strstr(dev_strerror((dev_err)e), "unknown"));
	for (int s = DEV_STATE_ONLINE; s <= DEV_STATE_FRAUD_ATTEMPT; s++)
		assert_string_not_equal(dev_state_name((dev_state)s), "unknown");
	dev *d = NULL;
	assert_int_equal(dev_open(drivers, "camera:/dev/video0", NULL, NULL, NULL, &d), DEV_ERR_NO_DRIVER);
	assert_null(d);
}

/* A done callback that runs while close delivers the cancelled command
 * and tries to start another one (as a device set restarting its watch
 * does) is refused: nothing reaches a worker that is gone. */
static void retry_on_done(dev *d, dev_err e, void *result, void *user)
{
	seen *s = user;
	on_done(d, e, result, user);
	s->err = dev_command(d, "flow", dev_virtual_work, NULL, free, on_done, user);
}

static void test_command_from_close_refused(void **state)
{
	(void)state;
	rig r;
	rig_open(&r);
	dev_virtual_set_mode(r.d, DEV_VIRTUAL_BLOCK);
	assert_int_equal(dev_command(r.d, "flow", dev_virtual_work, NULL, free, retry_on_done, &r.s), DEV_OK);
	dev_close(r.d);
	assert_int_equal(r.s.completions, 1);
	assert_int_equal(r.s.err, DEV_ERR_NOT_OPEN);
	assert_int_equal(dev_lock(r.d, "diag"), DEV_ERR_NOT_OPEN);
	rig_close(&r);
}

/* An event callback may close its own device. */
static void close_on_prompt(dev *d, const dev_event *ev, void *user)
{
	on_event(d, ev, user);
	if (ev->kind == DEV_EVENT_PROMPT)
		dev_close(d);
}

static void test_close_from_event(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = NULL;
	assert_int_equal(dev_open(drivers, "virtual:x", ctx, close_on_prompt, &s, &d), DEV_OK);
	dev_virtual_set_mode(d, DEV_VIRTUAL_PROMPT);
	assert_int_equal(dev_command(d, "flow", dev_virtual_work, NULL, free, on_done, &s), DEV_OK);
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (s.completions == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, FALSE);
	assert_int_equal(s.completions, 1);
	assert_int_equal(dev_command(d, "flow", dev_virtual_work, NULL, free, on_done, &s), DEV_ERR_NOT_OPEN);
	dev_free(d);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completes_once),
		cmocka_unit_test(test_post_call),
		cmocka_unit_test(test_busy_and_cancel),
		cmocka_unit_test(test_close_during_command),
		cmocka_unit_test(test_unplug_and_fault),
		cmocka_unit_test(test_prompt_and_self_test),
		cmocka_unit_test(test_maintenance_lock),
		cmocka_unit_test(test_command_from_close_refused),
		cmocka_unit_test(test_close_from_event),
		cmocka_unit_test(test_offline_until_back),
		cmocka_unit_test(test_errors_have_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
