/*
 * test_passport_faults — the passport reader on the device core when its
 * transport fails: the device is opened on a fault-injecting reader
 * (tests/common/fault_transport.h) around the virtual passport in this
 * process, and the Nth exchange of a read fails, for N = 1, 2, ... until a
 * read no longer reaches N. Every read must complete exactly once, with
 * its report (verified, or the error that ended it), tell on the loop
 * what the applicant or the engineer should know before it completes (a
 * prompt for a removal, a fault for a link failure, a status event and a
 * fault for a lost service), leak nothing (ASan, valgrind), and leave the
 * device reading again: the next read, nothing failing, is verified. A
 * lost service drops the transport; the next read opens a new one.
 *
 * Also the reader's own states without pcscd: the service down at open
 * and coming back, and the service stopping under a watch.
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

#include "hal/passport/pp-device-internal.h"
#include "hal/passport/sim.h"
#include "tests/common/fault_transport.h"
#include "tests/docgen/fixture.h"

typedef struct fx {
	char *root;
	pp_access_key key;
	pa_trust *trust;
	vpass_doc *doc;
	vpass_card *card;
	pp_transport *inner;     /* the simulated reader holding card */
	fault_reader fr;
	atomic_int refuse;       /* a pp_err: the next transports cannot be made (pcscd down) */
	unsigned made;           /* transports made */
} fx;

static pp_err make_transport(void *user, pp_transport **ret)
{
	fx *f = user;
	pp_err e = (pp_err)atomic_load(&f->refuse);
	if (e != PP_OK)
		return e;
	f->made++;
	return fault_transport_new(&f->fr, ret);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	const char *pki = fx_pki(f->root, "pki", NULL);
	/* A small BAC document: few exchanges, so that every one is tried
	 * quickly under valgrind. */
	const char *doc = fx_doc(f->root, "doc", pki, "lestari",
	                         (docgen_doc_opts){ .face_bytes = 3000, .omit_dgs = 1u << 11 | 1u << 12 });
	fx_doc_access_key(doc, &f->key);
	f->trust = fx_trust(pki);
	char err[256];
	assert_int_equal(vpass_doc_load(doc, &f->doc, err, sizeof err), VPASS_OK);
	assert_int_equal(vpass_card_new(f->doc, NULL, &f->card), VPASS_OK);
	assert_int_equal(pp_sim_transport_new(f->card, &f->inner), PP_OK);
	f->fr.inner = f->inner;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	pp_transport_free(f->inner);
	vpass_card_free(f->card);
	vpass_doc_free(f->doc);
	pa_trust_free(f->trust);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

/* Nothing failing, nothing gone: what each test starts from. */
static void fresh(fx *f)
{
	fault_plan_arm(&f->fr.plan, 0);
	atomic_store(&f->fr.gone, PP_OK);
	atomic_store(&f->refuse, PP_OK);
	if (!vpass_card_present(f->card))
		vpass_card_insert(f->card);
}

/* ---- what the loop saw ---- */

typedef struct seen {
	unsigned completions;
	dev_err err;
	pp_err read_err;
	bool verified;
	unsigned long apdus;     /* the read's, from its report */
	unsigned prompts, faults, statuses, media;
	dev_event last_prompt, last_fault, last_status, last_media;
	bool events_before_done; /* every event came before the completion */
} seen;

static void on_event(dev *d, const dev_event *ev, void *user)
{
	(void)d;
	seen *s = user;
	if (s->completions)
		s->events_before_done = false;
	switch (ev->kind) {
	case DEV_EVENT_PROMPT: s->prompts++; s->last_prompt = *ev; break;
	case DEV_EVENT_FAULT: s->faults++; s->last_fault = *ev; break;
	case DEV_EVENT_STATUS: s->statuses++; s->last_status = *ev; break;
	case DEV_EVENT_MEDIA: s->media++; s->last_media = *ev; break;
	case DEV_EVENT_PROGRESS: break;
	}
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	pp_report *r = result;
	if (r) {
		s->read_err = r->err;
		s->verified = r->err == PP_OK && r->pa.passed;
		s->apdus = r->doc ? r->doc->apdus : 0;
	}
	pp_report_free(r);
}

static void on_done_text(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	free(result);
}

/* Until the command completed (30 s at most: valgrind), then a little
 * longer, where a second completion or a late event would show. */
static void wait_done(GMainContext *ctx, seen *s)
{
	gint64 until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	while (s->completions == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, TRUE);
	for (int i = 0; i < 10; i++) {
		while (g_main_context_iteration(ctx, FALSE))
			;
		g_usleep(500);
	}
	assert_int_equal(s->completions, 1);
	assert_true(s->events_before_done);
}

/* s must be the device's events user too. */
static void read_once(fx *f, GMainContext *ctx, dev *d, seen *s)
{
	memset(s, 0, sizeof *s);
	s->events_before_done = true;
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, s), DEV_OK);
	wait_done(ctx, s);
}

/* ---- the Nth exchange fails ---- */

/* What a read whose Nth exchange failed with err must have told. */
static void check_failed_read(const seen *s, pp_err err, unsigned long n)
{
	if (s->err == DEV_OK) {
		/* Retried (a lost answer, a link failure): the read got through. */
		if (!s->verified || err == PP_ERR_REMOVED || err == PP_ERR_SERVICE_STOPPED)
			fail_msg("N=%lu: %s at the Nth exchange, yet the read passed", n, pp_strerror(err));
		return;
	}
	if (s->err != DEV_ERR_FAILED)
		fail_msg("N=%lu: completed %s", n, dev_strerror(s->err));
	switch (pp_err_info_of(s->read_err).cls) {
	case PP_CLASS_USER:
		/* The applicant is asked, in the class's words. */
		if (s->prompts != 1 || s->faults)
			fail_msg("N=%lu: %s: %u prompts, %u faults", n, pp_strerror(s->read_err), s->prompts, s->faults);
		if (s->read_err == PP_ERR_REMOVED)
			assert_string_equal(s->last_prompt.text, "the document was removed while reading; place it again");
		break;
	case PP_CLASS_DEVICE:
		if (s->faults != 1 || s->prompts)
			fail_msg("N=%lu: %s: %u faults, %u prompts", n, pp_strerror(s->read_err), s->faults, s->prompts);
		break;
	case PP_CLASS_NONE:
	case PP_CLASS_DOCUMENT:
	case PP_CLASS_FRAUD:
	case PP_CLASS_CANCELLED:
		fail_msg("N=%lu: a failed exchange ended the read as %s", n, pp_strerror(s->read_err));
	}
	if (err == PP_ERR_REMOVED)
		assert_int_equal(s->read_err, PP_ERR_REMOVED);
	if (err == PP_ERR_SERVICE_STOPPED) {
		/* Offline, with the reason, until the transport is opened again. */
		assert_int_equal(s->read_err, PP_ERR_SERVICE_STOPPED);
		assert_int_equal(s->statuses, 1);
		assert_int_equal(s->last_status.status.state, DEV_STATE_OFFLINE);
		assert_int_equal(s->last_status.status.detail, PP_ERR_SERVICE_STOPPED);
		assert_int_equal(s->last_fault.action, DEV_ACTION_SUSPEND);
	}
}

/* Fail the Nth exchange with err, N = first, first + step, ... until a
 * read makes no exchange as late as N; after each failed read, one with
 * nothing failing must pass. */
static void sweep(fx *f, fault_mode mode, pp_err err, unsigned long first, unsigned long step)
{
	fresh(f);
	GMainContext *ctx = g_main_context_new();
	seen s;
	dev *d = NULL;
	f->made = 0;
	assert_int_equal(pp_device_open_transport(make_transport, f, ctx, on_event, &s, &d), DEV_OK);
	unsigned long runs = 0, n;
	for (n = first;; n += step) {
		f->fr.mode = mode;
		f->fr.err = err;
		fault_plan_arm(&f->fr.plan, n);
		unsigned made = f->made;
		read_once(f, ctx, d, &s);
		if (!fault_plan_reached(&f->fr.plan)) {
			if (s.err != DEV_OK || !s.verified)
				fail_msg("nothing failed (N=%lu), yet the read ended %s", n, pp_strerror(s.read_err));
			break;
		}
		runs++;
		check_failed_read(&s, err, n);
		fault_plan_arm(&f->fr.plan, 0);
		read_once(f, ctx, d, &s);
		if (s.err != DEV_OK || !s.verified)
			fail_msg("N=%lu: the read after the failure ended %s", n, pp_strerror(s.read_err));
		if (err == PP_ERR_SERVICE_STOPPED) {
			/* A new transport, and a status event: back online. */
			assert_int_equal(f->made, made + 1);
			assert_int_equal(s.statuses, 1);
			assert_int_equal(s.last_status.status.state, DEV_STATE_ONLINE);
		}
	}
	print_message("%s at exchange %lu to %lu, every %lu: %lu failed reads\n", pp_strerror(err), first, n - step,
	              step, runs);
	assert_true(runs > 5);
	fault_plan_arm(&f->fr.plan, 0);
	dev_free(d);
	g_main_context_unref(ctx);
}

static void test_exchange_not_sent(void **state)
{
	sweep(*state, FAULT_NOT_SENT, PP_ERR_COMM, 1, 1);
}

static void test_answer_lost(void **state)
{
	sweep(*state, FAULT_ANSWER_LOST, PP_ERR_TIMEOUT, 1, 1);
}

static void test_removed_at_each_exchange(void **state)
{
	sweep(*state, FAULT_NOT_SENT, PP_ERR_REMOVED, 1, 1);
}

static void test_service_stopped_at_each_exchange(void **state)
{
	sweep(*state, FAULT_ANSWER_LOST, PP_ERR_SERVICE_STOPPED, 1, 1);
}

/* ---- the service down, gone, back ---- */

static void wait_for(GMainContext *ctx, const unsigned *counter, unsigned at_least)
{
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (*counter < at_least && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, TRUE);
	assert_true(*counter >= at_least);
}

static void expect_status(dev *d, dev_state state, pp_err detail, const char *words)
{
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	if (st.state != state || st.detail != (int)detail || !strstr(st.text, words))
		fail_msg("status %s (%d) \"%s\", expected %s (%d) with \"%s\"", dev_state_name(st.state), st.detail,
		         st.text, dev_state_name(state), (int)detail, words);
}

/* pcscd down when the kiosk starts: the device opens, offline, and says
 * so; once the service is back the next command reaches the reader. */
static void test_service_down_at_open(void **state)
{
	fx *f = *state;
	fresh(f);
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = NULL;
	atomic_store(&f->refuse, PP_ERR_NO_SERVICE);
	assert_int_equal(pp_device_open_transport(make_transport, f, ctx, on_event, &s, &d), DEV_OK);
	expect_status(d, DEV_STATE_OFFLINE, PP_ERR_NO_SERVICE, "(pcscd) is not running");
	char caps[PP_DEVICE_CAPS_LEN];
	assert_int_equal(dev_capabilities(d, caps, sizeof caps), DEV_OK);
	assert_non_null(strstr(caps, "not reached"));
	/* The self-test says the reader does not answer, and fails. */
	memset(&s, 0, sizeof s);
	s.events_before_done = true;
	assert_int_equal(dev_self_test(d, "diag", on_done_text, &s), DEV_OK);
	wait_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.last_status.status.state, DEV_STATE_OFFLINE);
	assert_int_equal(s.last_fault.action, DEV_ACTION_SUSPEND);
	/* A read says why in its report. */
	read_once(f, ctx, d, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.read_err, PP_ERR_NO_SERVICE);
	/* Back: a watch reaches the reader (online again, then the document). */
	atomic_store(&f->refuse, PP_OK);
	memset(&s, 0, sizeof s);
	s.events_before_done = true;
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	wait_for(ctx, &s.media, 1);
	assert_int_equal(s.statuses, 1);
	assert_int_equal(s.last_status.status.state, DEV_STATE_ONLINE);
	assert_true(s.last_media.present);
	assert_non_null(strstr(s.last_media.text, "document present; ATR 3B 88 80 01"));
	assert_int_equal(dev_cancel(d), DEV_OK);
	wait_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	expect_status(d, DEV_STATE_ONLINE, PP_OK, "document present");
	read_once(f, ctx, d, &s);
	if (!s.verified)
		fail_msg("the read ended %s", pp_strerror(s.read_err));
	dev_free(d);
	g_main_context_unref(ctx);
}

/* The service, or the reader, gone under a running watch: the watch ends
 * failed after a status event and a fault; a reset once it is back, or
 * closing and opening the device, gives a reader that reads. */
static void watch_loses(fx *f, pp_err gone, dev_state state, dev_action action, bool reopen)
{
	fresh(f);
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = NULL;
	assert_int_equal(pp_device_open_transport(make_transport, f, ctx, on_event, &s, &d), DEV_OK);
	s.events_before_done = true;
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	wait_for(ctx, &s.media, 1);
	atomic_store(&f->fr.gone, gone);
	atomic_store(&f->refuse, gone);
	wait_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.statuses, 1);
	assert_int_equal(s.last_status.status.state, state);
	assert_int_equal(s.last_status.status.detail, gone);
	assert_int_equal(s.faults, 1);
	assert_int_equal(s.last_fault.action, action);
	expect_status(d, state, gone, "");
	/* Not back yet: a reset fails the same way. */
	memset(&s, 0, sizeof s);
	s.events_before_done = true;
	assert_int_equal(dev_reset(d, "diag", on_done_text, &s), DEV_OK);
	wait_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.last_status.status.state, state);
	atomic_store(&f->fr.gone, PP_OK);
	atomic_store(&f->refuse, PP_OK);
	if (reopen) {
		dev_free(d);
		assert_int_equal(pp_device_open_transport(make_transport, f, ctx, on_event, &s, &d), DEV_OK);
	} else {
		memset(&s, 0, sizeof s);
		s.events_before_done = true;
		assert_int_equal(dev_reset(d, "diag", on_done_text, &s), DEV_OK);
		wait_done(ctx, &s);
		assert_int_equal(s.err, DEV_OK);
		assert_int_equal(s.last_status.status.state, DEV_STATE_ONLINE);
	}
	expect_status(d, DEV_STATE_ONLINE, PP_OK, "document present");
	read_once(f, ctx, d, &s);
	if (!s.verified)
		fail_msg("the read ended %s", pp_strerror(s.read_err));
	dev_free(d);
	g_main_context_unref(ctx);
}

static void test_service_stops_under_watch(void **state)
{
	watch_loses(*state, PP_ERR_SERVICE_STOPPED, DEV_STATE_OFFLINE, DEV_ACTION_SUSPEND, true);
	watch_loses(*state, PP_ERR_SERVICE_STOPPED, DEV_STATE_OFFLINE, DEV_ACTION_SUSPEND, false);
}

static void test_reader_leaves_under_watch(void **state)
{
	watch_loses(*state, PP_ERR_NO_READER, DEV_STATE_NO_DEVICE, DEV_ACTION_MAINTENANCE, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_not_sent),
		cmocka_unit_test(test_answer_lost),
		cmocka_unit_test(test_removed_at_each_exchange),
		cmocka_unit_test(test_service_stopped_at_each_exchange),
		cmocka_unit_test(test_service_down_at_open),
		cmocka_unit_test(test_service_stops_under_watch),
		cmocka_unit_test(test_reader_leaves_under_watch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
