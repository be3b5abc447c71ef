/*
 * test_camera_faults — the camera's C code with its Nth allocation failed,
 * for every N (tests/common/fault.h; OpenCV's module allocates on its own
 * and is not counted): open a file camera on a three-frame sequence,
 * stream it to its end, self-test it, close it. Every run ends — each
 * command completing exactly once, with success or an error — never a
 * crash or a hang, and under ASan or valgrind never a leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "hal/camera/camera.h"
#include "hal/camera/cv-capture.h"
#include "tests/common/fault.h"

static char dir[64];

typedef struct run {
	GMainContext *ctx;
	unsigned completions;
	dev_err err;
	unsigned frames;
} run;

static void on_frame(dev *d, cam_frame *f, void *user)
{
	(void)d;
	((run *)user)->frames++;
	cam_frame_free(f);
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	run *r = user;
	r->completions++;
	r->err = e;
	free(result);
}

/* Run the loop until the command completed; false after 10 s. */
static bool wait_done(run *r)
{
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (!r->completions && g_get_monotonic_time() < until)
		g_main_context_iteration(r->ctx, FALSE), g_usleep(500);
	return r->completions == 1;
}

/* One life of a camera; its command errors in *ret (DEV_OK when all went). */
static void one_life(const char *conn, bool *ret_all_ok)
{
	run r = { .ctx = g_main_context_new() };
	dev *d = NULL;
	*ret_all_ok = false;
	dev_err e = dev_open(cam_device_drivers, conn, r.ctx, NULL, NULL, &d);
	if (e != DEV_OK) {
		if (e != DEV_ERR_NOMEM)
			fail_msg("open with allocation %lu failed: %s", fault_alloc.fail_at, dev_strerror(e));
		g_main_context_unref(r.ctx);
		return;
	}
	bool ok = true;
	cam_stream_options opt = { .frame = on_frame, .frame_user = &r };
	e = cam_device_stream(d, "test", &opt, on_done, &r);
	if (e == DEV_OK) {
		assert_true(wait_done(&r));
		ok = ok && r.err == DEV_OK && r.frames == 3;
	} else {
		ok = false;
	}
	r.completions = 0;
	e = dev_self_test(d, "test", on_done, &r);
	if (e == DEV_OK) {
		assert_true(wait_done(&r));
		ok = ok && r.err == DEV_OK;
	} else {
		ok = false;
	}
	dev_status st;
	assert_int_equal(dev_status_get(d, &st), DEV_OK);
	dev_free(d);
	g_main_context_unref(r.ctx);
	*ret_all_ok = ok;
}

static void test_every_allocation_failed(void **state)
{
	(void)state;
	char conn[128];
	snprintf(conn, sizeof(conn), "file:%s/%%03d.png@200,once", dir);
	bool ok = false;
	one_life(conn, &ok);
	assert_true(ok); /* nothing failed: everything works */
	unsigned long n;
	for (n = 1; n < 2000; n++) {
		fault_plan_arm(&fault_alloc, n);
		one_life(conn, &ok);
		bool reached = fault_plan_reached(&fault_alloc);
		fault_plan_arm(&fault_alloc, 0);
		if (!reached) {
			assert_true(ok); /* past the last allocation: a clean run */
			break;
		}
	}
	assert_true(n > 5 && n < 2000);
	print_message("camera: %lu allocations failed in turn\n", n - 1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/appm-camfault.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < 3; i++) {
		cam_frame *f = cam_frame_new(64, 48);
		if (!f)
			return -1;
		for (int y = 0; y < 48; y++)
			for (int x = 0; x < 64; x++)
				memset(f->data + (size_t)y * f->stride + (size_t)x * 3, (x / 8 + y / 8) % 2 ? 40 : 200, 3);
		char path[128], why[240];
		snprintf(path, sizeof(path), "%s/%03d.png", dir, i);
		cam_err e = cv_image_write(path, f, why, sizeof(why));
		cam_frame_free(f);
		if (e != CAM_OK)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_failed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
