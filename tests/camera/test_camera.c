/*
 * test_camera — the camera on the device core through its file driver,
 * with frames the test writes itself (PNGs through OpenCV, in a temporary
 * folder): a sequence played in order at its rate and ended (",once") or
 * looped; a stream stopped; the oldest frames dropped, and counted, when
 * the loop is slow; capabilities; the self-test's figures and words for a
 * flat grey, a dark and a sharp picture; a file taken away under a stream
 * and under the watch (the device goes to "no device" with words). Errors
 * with words: a missing file, a text file named .png, an unknown driver,
 * bad connection strings; the v4l2 driver's "no such device" (this
 * machine has no camera). cam_reader (tools): a sequence and a video read
 * through at once, in order, then ended. The connection strings
 * themselves: test_camera_conn.c.
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

static char dir[64];

/* ---- pictures ---- */

typedef enum picture {
	PICTURE_FLAT,        /* one grey level */
	PICTURE_CHECKER,     /* 8-pixel squares of two levels */
} picture;

/* A w x h picture of levels a (and b), written to dir/name. */
static void write_picture(const char *name, int w, int h, picture kind, uint8_t a, uint8_t b)
{
	cam_frame *f = cam_frame_new(w, h);
	assert_non_null(f);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t v = kind == PICTURE_FLAT || ((x / 8 + y / 8) % 2 == 0) ? a : b;
			memset(f->data + (size_t)y * f->stride + (size_t)x * 3, v, 3);
		}
	char path[200], why[240];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(cv_image_write(path, f, why, sizeof(why)), CAM_OK);
	cam_frame_free(f);
}

static void write_text(const char *name, const char *text)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* seq/%03d.png, n frames 64x48, frame i all grey level 10 + 40 i, from 1. */
static void write_sequence(const char *sub, int n)
{
	char name[100];
	snprintf(name, sizeof(name), "mkdir -p %s/%s", dir, sub);
	assert_int_equal(system(name), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%03d.png", sub, i + 1);
		write_picture(name, 64, 48, PICTURE_FLAT, (uint8_t)(10 + 40 * i), 0);
	}
}

/* ---- the device on a loop of the test's own ---- */

typedef struct seen {
	GMainContext *ctx;
	dev *d;
	unsigned frames;
	int levels[64];          /* each frame's first pixel */
	uint64_t seqs[64];
	int64_t first_us, last_us;
	bool in_order;
	unsigned stop_after;     /* stop the stream after this many frames (0: never) */
	unsigned completions;
	dev_err err;
	char *report;
	unsigned statuses, faults;
	dev_event last_status, last_fault;
} seen;

static void on_event(dev *d, const dev_event *ev, void *user)
{
	(void)d;
	seen *s = user;
	if (ev->kind == DEV_EVENT_STATUS) {
		s->statuses++;
		s->last_status = *ev;
	} else if (ev->kind == DEV_EVENT_FAULT) {
		s->faults++;
		s->last_fault = *ev;
	}
}

static void on_frame(dev *d, cam_frame *f, void *user)
{
	seen *s = user;
	assert_int_equal(s->completions, 0); /* never after the stream ended */
	if (s->frames < 64) {
		s->levels[s->frames] = f->data[0];
		s->seqs[s->frames] = f->seq;
	}
	if (s->frames && f->seq <= s->seqs[s->frames < 64 ? s->frames - 1 : 63])
		s->in_order = false;
	if (!s->frames)
		s->first_us = f->timestamp_us;
	s->last_us = f->timestamp_us;
	assert_int_equal(f->width, 64);
	assert_int_equal(f->stride, 64 * 3);
	s->frames++;
	if (s->stop_after && s->frames == s->stop_after)
		assert_int_equal(cam_device_stop(d), DEV_OK);
	cam_frame_free(f);
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	seen *s = user;
	s->completions++;
	s->err = e;
	if (result)
		s->report = result;
}

static gboolean give_up(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Iterate the loop until the command completed (fails after 10 s). */
static void run_until_done(seen *s)
{
	bool late = false;
	GSource *t = g_timeout_source_new(10000);
	g_source_set_callback(t, give_up, &late, NULL);
	g_source_attach(t, s->ctx);
	while (!s->completions && !late)
		g_main_context_iteration(s->ctx, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	assert_false(late);
}

static dev *open_cam(seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static dev *open_cam(seen *s, const char *fmt, ...)
{
	char conn[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(conn, sizeof(conn), fmt, ap);
	va_end(ap);
	*s = (seen){ .ctx = g_main_context_new(), .in_order = true };
	assert_int_equal(dev_open(cam_device_drivers, conn, s->ctx, on_event, s, &s->d), DEV_OK);
	return s->d;
}

static void close_cam(seen *s)
{
	dev_free(s->d);
	free(s->report);
	g_main_context_unref(s->ctx);
}

static void stream(seen *s, unsigned in_flight, unsigned max_frames)
{
	cam_stream_options opt = { .frame = on_frame, .frame_user = s, .max_in_flight = in_flight,
	                           .max_frames = max_frames };
	assert_int_equal(cam_device_stream(s->d, "test", &opt, on_done, s), DEV_OK);
}


/* ---- the file driver ---- */

/* Five frames at 50 fps, once: all five in order, their pixels the
 * files', the capture times a frame period apart, then DEV_OK. */
static void test_sequence_once(void **state)
{
	(void)state;
	write_sequence("once", 5);
	seen s;
	open_cam(&s, "file:%s/once/%%03d.png@50,once", dir);
	char caps[600];
	assert_int_equal(dev_capabilities(s.d, caps, sizeof(caps)), DEV_OK);
	assert_non_null(strstr(caps, "driver: file\n"));
	assert_non_null(strstr(caps, "image files (printf pattern, 5 frames)"));
	assert_non_null(strstr(caps, "resolution: 64x48\n"));
	assert_non_null(strstr(caps, "frame rate: 50 fps\n"));
	assert_non_null(strstr(caps, "end: ends\n"));
	assert_non_null(strstr(caps, "controls: none\n"));
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);

	stream(&s, 0, 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(s.frames, 5);
	assert_true(s.in_order);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(s.seqs[i], (uint64_t)i);
		assert_int_equal(s.levels[i], 10 + 40 * i);
	}
	/* Four periods of 20 ms between the first and the last (loosely:
	 * the machine is shared). */
	assert_true(s.last_us - s.first_us >= 60000);
	cam_stream_stats stats;
	assert_int_equal(cam_device_stream_stats(s.d, &stats), DEV_OK);
	assert_true(stats.ended);
	assert_int_equal(stats.read, 5);
	assert_int_equal(stats.delivered, 5);
	assert_int_equal(stats.dropped, 0);
	/* A second stream starts again at the first frame. */
	s.completions = 0;
	s.frames = 0;
	stream(&s, 0, 2);
	run_until_done(&s);
	assert_int_equal(s.frames, 2);
	assert_int_equal(s.levels[0], 10);
	close_cam(&s);
}

/* Looping (the default): frame 6 is the first again; max_frames ends it. */
static void test_sequence_loops(void **state)
{
	(void)state;
	write_sequence("loop", 3);
	seen s;
	open_cam(&s, "file:%s/loop/%%03d.png@100", dir);
	char caps[600];
	assert_int_equal(dev_capabilities(s.d, caps, sizeof(caps)), DEV_OK);
	assert_non_null(strstr(caps, "end: loops\n"));
	stream(&s, 0, 8);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(s.frames, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(s.levels[i], 10 + 40 * (i % 3));
	cam_stream_stats stats;
	assert_int_equal(cam_device_stream_stats(s.d, &stats), DEV_OK);
	assert_false(stats.ended);
	close_cam(&s);
}

/* A video (Motion JPEG written by the test): played through FFmpeg to
 * its end with ",once", its own rate in the capabilities; looped. */
static void test_video(void **state)
{
	(void)state;
	cam_frame *frames[6];
	for (int i = 0; i < 6; i++) {
		frames[i] = cam_frame_new(64, 48);
		assert_non_null(frames[i]);
		memset(frames[i]->data, 20 + 40 * i, frames[i]->stride * 48);
	}
	char path[200], why[240];
	snprintf(path, sizeof(path), "%s/clip.avi", dir);
	assert_int_equal(cv_video_write(path, frames, 6, 25, why, sizeof(why)), CAM_OK);
	for (int i = 0; i < 6; i++)
		cam_frame_free(frames[i]);
	seen s;
	open_cam(&s, "file:%s,once", path);
	char caps[600];
	assert_int_equal(dev_capabilities(s.d, caps, sizeof(caps)), DEV_OK);
	assert_non_null(strstr(caps, "(video file, 6 frames)"));
	assert_non_null(strstr(caps, "frame rate: 25 fps\n"));
	assert_non_null(strstr(caps, "end: ends\n"));
	stream(&s, 8, 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(s.frames, 6);
	for (int i = 0; i < 6; i++) /* JPEG: within a few levels */
		assert_true(abs(s.levels[i] - (20 + 40 * i)) <= 4);
	close_cam(&s);
	open_cam(&s, "file:%s@200", path);
	stream(&s, 16, 14);
	run_until_done(&s);
	assert_int_equal(s.frames, 14);
	assert_true(abs(s.levels[13] - (20 + 40 * 1)) <= 4); /* frame 13 is the second again */
	close_cam(&s);
}

/* A glob: the files in name order (a file that is not one is skipped). */
static void test_glob(void **state)
{
	(void)state;
	write_sequence("glob", 3);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "mkdir %s/glob/004.png.d", dir);
	assert_int_equal(system(cmd), 0);
	seen s;
	open_cam(&s, "file:%s/glob/0*.png@100,once", dir);
	char caps[600];
	assert_int_equal(dev_capabilities(s.d, caps, sizeof(caps)), DEV_OK);
	assert_non_null(strstr(caps, "image files (glob, 3 frames)"));
	stream(&s, 0, 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(s.frames, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s.levels[i], 10 + 40 * i);
	close_cam(&s);
	open_cam(&s, "file:%s/glob/x*.png", dir);
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "x*.png: no file matches"));
	close_cam(&s);
}

/* Stopped from the frame callback: completes cancelled, no frame after. */
/* cam_reader: every frame of a sequence and of a video, in order, at
 * once (no pacing), then CAM_ERR_ENDED; a path with '@' or ',' is taken
 * as it is; nothing there is CAM_ERR_NO_DEVICE with words. */
static void test_reader(void **state)
{
	(void)state;
	write_sequence("rd@1,once", 3);
	char path[200], why[240];
	snprintf(path, sizeof(path), "%s/rd@1,once/%%03d.png", dir);
	cam_reader *r = NULL;
	assert_int_equal(cam_reader_open(path, &r, why, sizeof(why)), CAM_OK);
	gint64 t0 = g_get_monotonic_time();
	for (int i = 0; i < 3; i++) {
		cam_frame *f = NULL;
		assert_int_equal(cam_reader_read(r, &f, why, sizeof(why)), CAM_OK);
		assert_int_equal(f->width, 64);
		assert_int_equal(f->data[0], 10 + 40 * i);
		cam_frame_free(f);
	}
	cam_frame *f = NULL;
	assert_int_equal(cam_reader_read(r, &f, why, sizeof(why)), CAM_ERR_ENDED);
	assert_null(f);
	assert_true(g_get_monotonic_time() - t0 < 2000000); /* not paced at 10 fps, loosely */
	cam_reader_close(r);
	cam_reader_close(NULL);

	cam_frame *frames[4];
	for (int i = 0; i < 4; i++) {
		frames[i] = cam_frame_new(64, 48);
		assert_non_null(frames[i]);
		memset(frames[i]->data, 30 + 50 * i, frames[i]->stride * 48);
	}
	snprintf(path, sizeof(path), "%s/reader.avi", dir);
	assert_int_equal(cv_video_write(path, frames, 4, 25, why, sizeof(why)), CAM_OK);
	for (int i = 0; i < 4; i++)
		cam_frame_free(frames[i]);
	assert_int_equal(cam_reader_open(path, &r, why, sizeof(why)), CAM_OK);
	int n = 0;
	while (cam_reader_read(r, &f, why, sizeof(why)) == CAM_OK) {
		assert_true(abs(f->data[0] - (30 + 50 * n)) <= 4);
		cam_frame_free(f);
		n++;
	}
	assert_int_equal(n, 4);
	cam_reader_close(r);

	snprintf(path, sizeof(path), "%s/absent.png", dir);
	r = NULL;
	assert_int_equal(cam_reader_open(path, &r, why, sizeof(why)), CAM_ERR_NO_DEVICE);
	assert_null(r);
	assert_non_null(strstr(why, "absent.png"));
	assert_int_equal(cam_reader_open("", &r, why, sizeof(why)), CAM_ERR_ARG);
	/* Paths from a command line that look like broken patterns: refused
	 * with words, never read past their end or overflowed (ASan). */
	static const char *const odd[] = { "frame%", "frame%s.png", "frame%99999999999999999999d.png", "%0" };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, odd[i]);
		r = NULL;
		why[0] = '\0';
		assert_int_not_equal(cam_reader_open(path, &r, why, sizeof(why)), CAM_OK);
		assert_null(r);
		assert_true(strlen(why) > 0);
	}
}

static void test_stream_stop(void **state)
{
	(void)state;
	write_sequence("stop", 3);
	seen s;
	open_cam(&s, "file:%s/stop/%%03d.png@100", dir);
	s.stop_after = 4;
	stream(&s, 0, 0);
	assert_int_equal(cam_device_stream(s.d, "test", &(cam_stream_options){ .frame = on_frame }, on_done, &s),
	                 DEV_ERR_BUSY);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	assert_int_equal(s.frames, 4);
	assert_int_equal(s.completions, 1);
	close_cam(&s);
}

/* A loop that does not run while 30 frames come at 200 fps: a few wait,
 * the rest are dropped oldest first and counted; what arrives is the
 * newest, still in order. */
static void test_slow_loop_drops_oldest(void **state)
{
	(void)state;
	write_sequence("drop", 4);
	seen s;
	open_cam(&s, "file:%s/drop/%%03d.png@200", dir);
	stream(&s, 2, 30);
	/* The loop is busy elsewhere until every frame has been read (a
	 * condition, not a time: under valgrind reading is slow). */
	cam_stream_stats read_so_far = { 0 };
	for (int i = 0; i < 2000 && read_so_far.read < 30; i++) {
		g_usleep(10 * 1000);
		assert_int_equal(cam_device_stream_stats(s.d, &read_so_far), DEV_OK);
	}
	assert_int_equal(read_so_far.read, 30);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	cam_stream_stats stats;
	assert_int_equal(cam_device_stream_stats(s.d, &stats), DEV_OK);
	assert_int_equal(stats.read, 30);
	assert_true(stats.dropped >= 20);
	assert_int_equal(stats.delivered + stats.dropped, stats.read);
	assert_int_equal(s.frames, stats.delivered);
	assert_true(s.in_order);
	assert_int_equal(s.seqs[s.frames - 1], 29); /* the newest came through */
	close_cam(&s);
}

/* ---- the self-test ---- */

static double figure(const char *report, const char *key)
{
	const char *at = strstr(report, key);
	assert_non_null(at);
	return strtod(at + strlen(key), NULL);
}

static void self_test(seen *s)
{
	assert_int_equal(dev_self_test(s->d, "test", on_done, s), DEV_OK);
	run_until_done(s);
	assert_non_null(s->report);
}

static void test_self_test_flat_grey(void **state)
{
	(void)state;
	write_picture("grey.png", 320, 240, PICTURE_FLAT, 128, 0);
	seen s;
	open_cam(&s, "file:%s/grey.png", dir);
	self_test(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_non_null(strstr(s.report, "frame: 320x240\n"));
	assert_true(figure(s.report, "brightness: ") > 127 && figure(s.report, "brightness: ") < 129);
	assert_true(figure(s.report, "contrast: ") < 0.5);
	assert_true(figure(s.report, "sharpness: ") < 0.5);
	assert_non_null(strstr(s.report, "- flat: one shade all over"));
	assert_non_null(strstr(s.report, "- blurred: out of focus"));
	assert_null(strstr(s.report, "too dark"));
	assert_non_null(strstr(s.report, "result: failed (flat, blurred)\n"));
	/* A poor picture leaves the camera online. */
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	close_cam(&s);
}

static void test_self_test_dark(void **state)
{
	(void)state;
	write_picture("dark.png", 320, 240, PICTURE_CHECKER, 5, 40);
	seen s;
	open_cam(&s, "file:%s/dark.png", dir);
	self_test(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_true(figure(s.report, "brightness: ") < 25);
	assert_non_null(strstr(s.report, "- too dark:"));
	assert_non_null(strstr(s.report, "result: failed (too dark)\n"));
	close_cam(&s);
}

static void test_self_test_sharp_checkerboard(void **state)
{
	(void)state;
	write_picture("sharp.png", 640, 480, PICTURE_CHECKER, 30, 220);
	seen s;
	open_cam(&s, "file:%s/sharp.png", dir);
	self_test(&s);
	if (s.err != DEV_OK)
		fail_msg("self-test failed: %s", s.report);
	assert_true(figure(s.report, "brightness: ") > 120 && figure(s.report, "brightness: ") < 130);
	assert_true(figure(s.report, "contrast: ") > 90);
	assert_true(figure(s.report, "sharpness: ") > 1000);
	assert_non_null(strstr(s.report, "result: passed\n"));
	close_cam(&s);
}

/* ---- errors and a lost source ---- */

static void test_missing_file(void **state)
{
	(void)state;
	seen s;
	open_cam(&s, "file:%s/nothing-here.png", dir);
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "nothing-here.png: No such file or directory"));
	self_test(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_non_null(strstr(s.report, "frame: none ("));
	assert_non_null(strstr(s.report, "No such file or directory"));
	close_cam(&s);

	open_cam(&s, "file:%s/none/%%03d.png", dir);
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "no such file (the sequence starts at index 0 or 1)"));
	close_cam(&s);
}

static void test_not_an_image(void **state)
{
	(void)state;
	write_text("notes.png", "this is a text file, not a picture\n");
	seen s;
	open_cam(&s, "file:%s/notes.png", dir);
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_HARDWARE_ERROR);
	assert_non_null(strstr(st.text, "notes.png: not an image or a video OpenCV can read"));
	stream(&s, 0, 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.frames, 0);
	assert_int_equal(s.faults, 1);
	assert_non_null(strstr(s.last_fault.text, "not an image or a video"));
	close_cam(&s);
}

static void test_driver_and_string_refused(void **state)
{
	(void)state;
	dev *d = NULL;
	assert_int_equal(dev_open(cam_device_drivers, "webcam:/dev/video0", NULL, NULL, NULL, &d), DEV_ERR_NO_DRIVER);
	assert_int_equal(dev_open(cam_device_drivers, "file:frames/%s.png", NULL, NULL, NULL, &d), DEV_ERR_ARG);
	assert_int_equal(dev_open(cam_device_drivers, "v4l2:/dev/video0:640x", NULL, NULL, NULL, &d), DEV_ERR_ARG);
	assert_int_equal(dev_open(cam_device_drivers, "v4l2:/dev/video0,exposure=0", NULL, NULL, NULL, &d), DEV_ERR_ARG);
	assert_int_equal(dev_open(cam_device_drivers, "file:a.png,focus=auto", NULL, NULL, NULL, &d), DEV_ERR_ARG);
	assert_null(d);
	char words[200];
	cam_device_explain("webcam:/dev/video0", words, sizeof(words));
	assert_string_equal(words, "'webcam' is not a camera driver (v4l2, file)");
	cam_device_explain("v4l2:/dev/video0:640x", words, sizeof(words));
	assert_non_null(strstr(words, "resolution '640x' is not WIDTHxHEIGHT"));
	cam_device_explain("v4l2:/dev/video0,exposure=0", words, sizeof(words));
	assert_non_null(strstr(words, "exposure '0' is not auto or a number from 1 to 100000"));
	cam_device_explain("file:a.png,focus=auto", words, sizeof(words));
	assert_non_null(strstr(words, "exposure and focus are a camera's controls"));
}

/* Files taken away under a stream: the stream fails with words, the
 * device says "no device", and a reset brings it back once they are. */
static void test_file_gone_while_streaming(void **state)
{
	(void)state;
	write_sequence("gone", 3);
	seen s;
	open_cam(&s, "file:%s/gone/%%03d.png@100", dir);
	s.stop_after = 0;
	stream(&s, 0, 0);
	while (s.frames < 4)
		g_main_context_iteration(s.ctx, TRUE);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "mv %s/gone %s/gone.away", dir, dir);
	assert_int_equal(system(cmd), 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_int_equal(s.faults, 1);
	assert_non_null(strstr(s.last_fault.text, "the file went away"));
	assert_int_equal(s.last_fault.action, DEV_ACTION_MAINTENANCE);
	assert_int_equal(s.last_status.status.state, DEV_STATE_NO_DEVICE);
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "went away"));
	/* Back again: a reset reopens it. */
	snprintf(cmd, sizeof(cmd), "mv %s/gone.away %s/gone", dir, dir);
	assert_int_equal(system(cmd), 0);
	s.completions = 0;
	assert_int_equal(dev_reset(s.d, "test", on_done, &s), DEV_OK);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_OK);
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	close_cam(&s);
}

/* The kiosk's idle watch ends when the file goes, within about a second. */
static void test_watch_sees_file_go(void **state)
{
	(void)state;
	write_picture("watched.png", 64, 48, PICTURE_FLAT, 100, 0);
	seen s;
	open_cam(&s, "file:%s/watched.png", dir);
	assert_int_equal(cam_device_watch(s.d, "kiosk", on_done, &s), DEV_OK);
	char path[200];
	snprintf(path, sizeof(path), "%s/watched.png", dir);
	assert_int_equal(unlink(path), 0);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_non_null(strstr(s.last_fault.text, "watched.png: the file went away"));
	close_cam(&s);
	/* A watch cancelled ends cancelled. */
	write_picture("watched.png", 64, 48, PICTURE_FLAT, 100, 0);
	open_cam(&s, "file:%s/watched.png", dir);
	assert_int_equal(cam_device_watch(s.d, "kiosk", on_done, &s), DEV_OK);
	assert_int_equal(dev_cancel(s.d), DEV_OK);
	run_until_done(&s);
	assert_int_equal(s.err, DEV_ERR_CANCELLED);
	close_cam(&s);
}

/* No camera here: the v4l2 driver opens a device whose status says so
 * in words, and whose self-test fails with them. */
static void test_v4l2_no_such_device(void **state)
{
	(void)state;
	seen s;
	open_cam(&s, "v4l2:/dev/video97:640x480@30,exposure=150,focus=auto");
	dev_status st;
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "/dev/video97: No such file or directory (no camera there: is it plugged in?)"));
	char caps[600];
	assert_int_equal(dev_capabilities(s.d, caps, sizeof(caps)), DEV_OK);
	assert_non_null(strstr(caps, "driver: v4l2\n"));
	assert_non_null(strstr(caps, "connection: v4l2:/dev/video97:640x480@30,exposure=150,focus=auto\n"));
	assert_non_null(strstr(caps, "source: not reached"));
	assert_null(strstr(caps, "exposure: ")); /* nothing set: no camera to set it on */
	self_test(&s);
	assert_int_equal(s.err, DEV_ERR_FAILED);
	assert_non_null(strstr(s.report, "no camera there"));
	close_cam(&s);
	/* A device that is no camera: OpenCV's V4L2 backend refuses it. */
	open_cam(&s, "v4l2:/dev/null:640x480@30");
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_HARDWARE_ERROR);
	assert_non_null(strstr(st.text, "/dev/null: OpenCV's V4L2 backend cannot open it"));
	close_cam(&s);
	/* A path that is not a device. */
	open_cam(&s, "v4l2:/dev/shm");
	assert_int_equal(dev_status_get(s.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_NO_DEVICE);
	assert_non_null(strstr(st.text, "/dev/shm: not a device"));
	close_cam(&s);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/appm-camera.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
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
		cmocka_unit_test(test_sequence_once),
		cmocka_unit_test(test_sequence_loops),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_video),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_stream_stop),
		cmocka_unit_test(test_slow_loop_drops_oldest),
		cmocka_unit_test(test_self_test_flat_grey),
		cmocka_unit_test(test_self_test_dark),
		cmocka_unit_test(test_self_test_sharp_checkerboard),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_not_an_image),
		cmocka_unit_test(test_driver_and_string_refused),
		cmocka_unit_test(test_file_gone_while_streaming),
		cmocka_unit_test(test_watch_sees_file_go),
		cmocka_unit_test(test_v4l2_no_such_device),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
