/*
 * test_passport_device — the passport reader on the device core, through
 * the simulated reader (sim:DIR) with a document docgen makes: a read
 * completes once with the verified report and progress events in order;
 * a read cancelled from the loop in the middle completes cancelled; a
 * watch runs until cancelled; status and self-test speak of the reader.
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

#include "hal/passport/pp-device.h"
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
		assert_non_null(strstr(result, "document present"));
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
	/* A watch running when the device closes completes cancelled. */
	memset(&s, 0, sizeof s);
	assert_int_equal(pp_device_watch(d, "flow", on_done_text, &s), DEV_OK);
	dev_close(d);
	assert_int_equal(s.completions, 1);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	dev_free(d);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_cancel_mid_read),
		cmocka_unit_test(test_watch_and_self_test),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
