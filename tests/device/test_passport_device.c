/*
 * test_passport_device — the passport reader on the device core, through
 * the simulated reader (sim:DIR) with a document docgen makes: a read
 * completes once with the verified report and progress events in order;
 * a read cancelled from the loop in the middle completes cancelled; a
 * watch runs until cancelled; status and self-test speak of the reader.
 * On a reader around a chip the test holds: the watch tells the state it
 * starts from, then each placement (with the ATR) and removal; the
 * self-test gives the ATR and the eMRTD application's SELECT, or asks for
 * a document; capabilities are what the reader can do; a reset reopens
 * the reader; a failed read prompts the applicant.
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
#include "tests/docgen/fixture.h"

typedef struct fx {
	char *root;
	const char *pki;
	const char *doc;
	pp_access_key key;
	pa_trust *trust;
} fx;

typedef struct seen {
	unsigned completions;
	dev_err err;
	pp_err read_err;
	bool verified;
	unsigned progress;
	size_t last_done, last_total;
	bool progress_in_order;
	size_t cancel_at;        /* cancel once this many bytes are read (0: never) */
	GMainContext *ctx;
	char text[1024];         /* a self-test's report */
	unsigned media, statuses, prompts;
	dev_event media_events[8];
	dev_event last_status, last_prompt;
} seen;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = fx_pki(f->root, "pki", NULL);
	f->doc = fx_doc(f->root, "doc", f->pki, "wulandari", (docgen_doc_opts){ .dg15 = true });
	fx_doc_access_key(f->doc, &f->key);
	f->trust = fx_trust(f->pki);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	pa_trust_free(f->trust);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

static void on_event(dev *d, const dev_event *ev, void *user)
{
	seen *s = user;
	if (ev->kind == DEV_EVENT_MEDIA && s->media < 8)
		s->media_events[s->media++] = *ev;
	if (ev->kind == DEV_EVENT_STATUS) {
		s->statuses++;
		s->last_status = *ev;
	}
	if (ev->kind == DEV_EVENT_PROMPT) {
		s->prompts++;
		s->last_prompt = *ev;
	}
	if (ev->kind != DEV_EVENT_PROGRESS)
		return;
	if (ev->done < s->last_done || ev->total < s->last_total)
		s->progress_in_order = false;
	s->last_done = ev->done;
	s->last_total = ev->total;
	s->progress++;
	if (s->cancel_at && ev->done >= s->cancel_at) {
		dev_cancel(d);
		s->cancel_at = 0;
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
	}
	pp_report_free(r);
}

/* Completion of a command whose result is text (self-test) or none. */
static void on_done_text(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	if (result)
		snprintf(s->text, sizeof s->text, "%s", (const char *)result);
	free(result);
}

static dev *open_reader(fx *f, GMainContext *ctx, seen *s)
{
	char conn[600];
	snprintf(conn, sizeof conn, "sim:%s", f->doc);
	dev *d = NULL;
	assert_int_equal(dev_open(pp_device_drivers, conn, ctx, on_event, s, &d), DEV_OK);
	return d;
}

static void run_until_done(GMainContext *ctx, seen *s)
{
	gint64 until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (s->completions == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, TRUE);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

static void test_read(void **state)
{
	fx *f = *state;
	GMainContext *ctx = g_main_context_new();
	seen s = { .progress_in_order = true, .ctx = ctx };
	dev *d = open_reader(f, ctx, &s);
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	assert_non_null(strstr(st.text, "document present"));
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_OK);
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_ERR_BUSY);
	run_until_done(ctx, &s);
	assert_int_equal(s.completions, 1);
	assert_int_equal(s.err, DEV_OK);
	assert_true(s.verified);
	assert_true(s.progress > 3);
	assert_true(s.progress_in_order);
	assert_int_equal(s.last_done, s.last_total);
	dev_free(d);
	g_main_context_unref(ctx);
}

static void test_cancel_mid_read(void **state)
{
	fx *f = *state;
	GMainContext *ctx = g_main_context_new();
	seen s = { .progress_in_order = true, .cancel_at = 1, .ctx = ctx };
	dev *d = open_reader(f, ctx, &s);
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.completions, 1);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	/* The reader reads again afterwards. */
	memset(&s, 0, sizeof s);
	s.progress_in_order = true;
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_OK);
	assert_true(s.verified);
	dev_free(d);
	g_main_context_unref(ctx);
}

static void test_watch_and_self_test(void **state)
{
	fx *f = *state;
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = open_reader(f, ctx, &s);
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	g_usleep(50000);
	assert_int_equal(s.completions, 0);
	assert_int_equal(dev_cancel(d), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.completions, 1);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	memset(&s, 0, sizeof s);
	assert_int_equal(dev_self_test(d, "diag", on_done_text, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_OK);
	assert_non_null(strstr(s.text, "answers: yes (document present)\n"));
	assert_non_null(strstr(s.text, "ATR: 3B 88 80 01 00 00 00 00 33 81 81 00 "));
	assert_non_null(strstr(s.text, "SELECT eMRTD application (A0 00 00 02 47 10 01): 9000 (success)\n"));
	/* A watch running when the device closes completes cancelled. */
	memset(&s, 0, sizeof s);
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	dev_close(d);
	assert_int_equal(s.completions, 1);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	dev_free(d);
	g_main_context_unref(ctx);
}

/* ---- a reader around a chip the test holds ---- */

typedef struct held {
	vpass_doc *doc;
	vpass_card *card;
} held;

static pp_err make_sim(void *user, pp_transport **ret)
{
	held *h = user;
	return pp_sim_transport_new(h->card, ret);
}

static void held_open(fx *f, held *h)
{
	char err[256];
	assert_int_equal(vpass_doc_load(f->doc, &h->doc, err, sizeof err), VPASS_OK);
	assert_int_equal(vpass_card_new(h->doc, NULL, &h->card), VPASS_OK);
}

static void held_close(held *h)
{
	vpass_card_free(h->card);
	vpass_doc_free(h->doc);
}

/* Run the loop until n media events came (5 s at most). */
static void wait_media(GMainContext *ctx, seen *s, unsigned n)
{
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (s->media < n && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, FALSE);
	if (s->media < n)
		fail_msg("%u media events, expected %u", s->media, n);
}

static void test_watch_tells_each_change(void **state)
{
	fx *f = *state;
	held h;
	held_open(f, &h);
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = NULL;
	assert_int_equal(pp_device_open_transport(make_sim, &h, ctx, on_event, &s, &d), DEV_OK);
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	wait_media(ctx, &s, 1);
	assert_true(s.media_events[0].present);
	assert_string_equal(s.media_events[0].text, "document present; ATR 3B 88 80 01 00 00 00 00 33 81 81 00 3A");
	vpass_card_remove(h.card);
	wait_media(ctx, &s, 2);
	assert_false(s.media_events[1].present);
	assert_string_equal(s.media_events[1].text, "document removed");
	vpass_card_insert(h.card);
	wait_media(ctx, &s, 3);
	assert_true(s.media_events[2].present);
	assert_non_null(strstr(s.media_events[2].text, "document placed; ATR 3B 88"));
	assert_int_equal(dev_cancel(d), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	/* A watch begun on an empty reader says so first. */
	vpass_card_remove(h.card);
	memset(&s, 0, sizeof s);
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	wait_media(ctx, &s, 1);
	assert_false(s.media_events[0].present);
	assert_string_equal(s.media_events[0].text, "no document");
	dev_free(d);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	g_main_context_unref(ctx);
	held_close(&h);
}

static void test_self_test_without_document(void **state)
{
	fx *f = *state;
	held h;
	held_open(f, &h);
	vpass_card_remove(h.card);
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = NULL;
	assert_int_equal(pp_device_open_transport(make_sim, &h, ctx, on_event, &s, &d), DEV_OK);
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	assert_non_null(strstr(st.text, ": empty"));
	assert_int_equal(dev_self_test(d, "diag", on_done_text, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_OK);
	assert_non_null(strstr(s.text, "answers: yes (empty)\n"));
	assert_non_null(strstr(s.text, "no document: place one to test the chip link\n"));
	assert_null(strstr(s.text, "ATR"));
	/* A read without a document asks the applicant for one. */
	memset(&s, 0, sizeof s);
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.read_err, PP_ERR_NO_CARD);
	assert_int_equal(s.prompts, 1);
	assert_string_equal(s.last_prompt.text, "place the passport's photo page on the reader");
	dev_free(d);
	g_main_context_unref(ctx);
	held_close(&h);
}

static void test_capabilities_and_reset(void **state)
{
	fx *f = *state;
	GMainContext *ctx = g_main_context_new();
	seen s = { 0 };
	dev *d = open_reader(f, ctx, &s);
	char caps[PP_DEVICE_CAPS_LEN];
	assert_int_equal(dev_capabilities(d, caps, sizeof caps), DEV_OK);
	static const char *const lines[] = {
		"driver: sim\n",
		"reader: simulated reader (",
		"extended length: yes (the reader says so)\n",
		"largest command: ",
		"access control: BAC, PACE (MRZ or CAN)\n",
		"presence: in process, looked at every 10 ms\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (!strstr(caps, lines[i]))
			fail_msg("no \"%s\" in the capabilities:\n%s", lines[i], caps);
	/* Too small a buffer is cut, never overrun. */
	char small[8];
	assert_int_equal(dev_capabilities(d, small, sizeof small), DEV_OK);
	assert_string_equal(small, "driver:");
	/* A reset opens the reader again, and says it is online. */
	assert_int_equal(dev_reset(d, "diag", on_done_text, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(s.statuses, 1);
	assert_int_equal(s.last_status.status.state, DEV_STATE_ONLINE);
	memset(&s, 0, sizeof s);
	s.progress_in_order = true;
	assert_int_equal(pp_device_read(d, "flow", &f->key, f->trust, on_done, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_true(s.verified);
	/* A wrong key: the applicant is asked to check the MRZ; the reader
	 * stays online. */
	pp_access_key wrong = f->key;
	wrong.birth_date[5] = wrong.birth_date[5] == '1' ? '2' : '1';
	memset(&s, 0, sizeof s);
	assert_int_equal(pp_device_read(d, "flow", &wrong, f->trust, on_done, &s), DEV_OK);
	run_until_done(ctx, &s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.read_err, PP_ERR_ACCESS_DENIED);
	assert_int_equal(s.prompts, 1);
	assert_non_null(strstr(s.last_prompt.text, "check the MRZ"));
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	assert_int_equal(st.detail, 0);
	dev_free(d);
	g_main_context_unref(ctx);
}

/* A connection string that cannot be right fails the open; a reader that
 * is not there opens, and says so. */
static void test_open_refusals(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	dev *d = NULL;
	assert_int_equal(dev_open(pp_device_drivers, "sim", ctx, NULL, NULL, &d), DEV_ERR_ARG);
	assert_null(d);
	assert_int_equal(dev_open(pp_device_drivers, "transport", ctx, NULL, NULL, &d), DEV_ERR_NO_DRIVER);
	char *root = fx_tmpdir();
	char conn[600];
	snprintf(conn, sizeof conn, "sim:%s/nothing-here", root);
	assert_int_equal(dev_open(pp_device_drivers, conn, ctx, NULL, NULL, &d), DEV_OK);
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_int_equal(st.detail, PP_ERR_NO_READER);
	dev_free(d);
	fx_rmtree(root);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_cancel_mid_read),
		cmocka_unit_test(test_watch_and_self_test),
		cmocka_unit_test(test_watch_tells_each_change),
		cmocka_unit_test(test_self_test_without_document),
		cmocka_unit_test(test_capabilities_and_reset),
		cmocka_unit_test(test_open_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
