/*
 * test_camera_conn — the camera's connection strings (hal/camera/cam-conn.c),
 * parsed and written back: v4l2 with a mode, by-path names holding colons
 * of their own, the exposure and focus options (auto or a number within
 * APPM's bounds, in any order, each once) with and without a mode; file
 * with its rate, ",once" and ",loop", and names that end as a mode would.
 * Refused with words: an unknown driver, bad modes, rates and patterns,
 * option values out of bounds or not numbers, unknown or repeated
 * options, and exposure or focus given to a file. A refused string leaves
 * the caller's cam_conn as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hal/camera/camera.h"

static void expect_bad(const char *conn, cam_err want, const char *words)
{
	cam_conn c = { .width = 7, .exposure = { CAM_CONTROL_MANUAL, 9 } };
	char why[240] = "";
	assert_int_equal(cam_conn_parse(conn, &c, why, sizeof(why)), want);
	if (!strstr(why, words))
		fail_msg("'%s': words '%s' do not say '%s'", conn, why, words);
	assert_int_equal(c.width, 7); /* untouched */
	assert_int_equal(c.exposure.value, 9);
}

/* conn parses, and written back reads back. */
static void expect_back(const char *conn, const char *back)
{
	cam_conn c, again;
	char text[CAM_CONN_TEXT_MAX], why[240] = "";
	if (cam_conn_parse(conn, &c, why, sizeof(why)) != CAM_OK)
		fail_msg("'%s' refused: %s", conn, why);
	cam_conn_format(&c, text, sizeof(text));
	assert_string_equal(text, back);
	assert_int_equal(cam_conn_parse(text, &again, NULL, 0), CAM_OK);
	assert_memory_equal(&again.exposure, &c.exposure, sizeof(c.exposure));
	assert_memory_equal(&again.focus, &c.focus, sizeof(c.focus));
	assert_string_equal(again.path, c.path);
	assert_int_equal(again.width, c.width);
	assert_true(again.fps == c.fps);
}

static void test_v4l2(void **state)
{
	(void)state;
	cam_conn c;
	char back[CAM_CONN_TEXT_MAX];
	assert_int_equal(cam_conn_parse("v4l2:/dev/video0", &c, NULL, 0), CAM_OK);
	assert_int_equal(c.driver, CAM_DRIVER_V4L2);
	assert_string_equal(c.path, "/dev/video0");
	assert_int_equal(c.width, 0);
	assert_int_equal(c.exposure.mode, CAM_CONTROL_UNSET);
	assert_int_equal(c.focus.mode, CAM_CONTROL_UNSET);
	assert_int_equal(cam_conn_parse("v4l2:/dev/video2:1280x720@30", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/video2");
	assert_int_equal(c.width, 1280);
	assert_int_equal(c.height, 720);
	assert_true(c.fps == 30.0);
	cam_conn_format(&c, back, sizeof(back));
	assert_string_equal(back, "v4l2:/dev/video2:1280x720@30");
	/* A by-path name holds colons of its own; the mode comes last. */
	assert_int_equal(cam_conn_parse("v4l2:/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0:640x480",
	                                &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0");
	assert_int_equal(c.height, 480);

	expect_bad("webcam:/dev/video0", CAM_ERR_NO_DRIVER, "'webcam' is not a camera driver (v4l2, file)");
	expect_bad("v4l2", CAM_ERR_ARG, "no device path");
	expect_bad("v4l2:video0", CAM_ERR_ARG, "not a device path under /dev");
	expect_bad("v4l2:/dev/video0:640x", CAM_ERR_ARG, "resolution '640x' is not WIDTHxHEIGHT");
	expect_bad("v4l2:/dev/video0:0x480", CAM_ERR_ARG, "is not WIDTHxHEIGHT");
	expect_bad("v4l2:/dev/video0:99999x480", CAM_ERR_ARG, "is not WIDTHxHEIGHT");
	expect_bad("v4l2:/dev/video0:640x480@fast", CAM_ERR_ARG, "frame rate 'fast'");
	expect_bad("v4l2:/dev/video0:640x480@1000", CAM_ERR_ARG, "frame rate '1000'");
}

static void test_v4l2_options(void **state)
{
	(void)state;
	cam_conn c;
	assert_int_equal(cam_conn_parse("v4l2:/dev/video0:1280x720@30,exposure=150,focus=0", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/video0");
	assert_int_equal(c.width, 1280);
	assert_true(c.fps == 30.0);
	assert_int_equal(c.exposure.mode, CAM_CONTROL_MANUAL);
	assert_int_equal(c.exposure.value, 150);
	assert_int_equal(c.focus.mode, CAM_CONTROL_MANUAL);
	assert_int_equal(c.focus.value, 0);
	assert_int_equal(cam_conn_parse("v4l2:/dev/video0:1280x720@30,exposure=auto,focus=auto", &c, NULL, 0), CAM_OK);
	assert_int_equal(c.exposure.mode, CAM_CONTROL_AUTO);
	assert_int_equal(c.focus.mode, CAM_CONTROL_AUTO);
	/* Without a mode; one option alone. */
	assert_int_equal(cam_conn_parse("v4l2:/dev/video0,focus=auto", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/video0");
	assert_int_equal(c.width, 0);
	assert_int_equal(c.exposure.mode, CAM_CONTROL_UNSET);
	assert_int_equal(c.focus.mode, CAM_CONTROL_AUTO);
	/* By-path names with colons, the mode after them, then options. */
	assert_int_equal(cam_conn_parse("v4l2:/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0:640x480@15,"
	                                "exposure=300,focus=auto", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0");
	assert_int_equal(c.width, 640);
	assert_int_equal(c.height, 480);
	assert_true(c.fps == 15.0);
	assert_int_equal(c.exposure.value, 300);
	assert_int_equal(c.focus.mode, CAM_CONTROL_AUTO);
	assert_int_equal(cam_conn_parse("v4l2:/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0,exposure=3",
	                                &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0");
	assert_int_equal(c.width, 0);
	assert_int_equal(c.exposure.value, 3);

	/* Written back in one order, each as given; the bounds themselves. */
	expect_back("v4l2:/dev/video0:1280x720@30,exposure=150,focus=0", "v4l2:/dev/video0:1280x720@30,exposure=150,focus=0");
	expect_back("v4l2:/dev/video0,focus=1000,exposure=1", "v4l2:/dev/video0,exposure=1,focus=1000");
	expect_back("v4l2:/dev/video0:640x480,exposure=100000", "v4l2:/dev/video0:640x480,exposure=100000");
	expect_back("v4l2:/dev/video0,exposure=0150", "v4l2:/dev/video0,exposure=150");
	expect_back("v4l2:/dev/v4l/by-id/usb-Logitech_C920_8A2B-video-index0:1920x1080@7.5,exposure=auto,focus=auto",
	            "v4l2:/dev/v4l/by-id/usb-Logitech_C920_8A2B-video-index0:1920x1080@7.5,exposure=auto,focus=auto");
	expect_back("v4l2:/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0,focus=20",
	            "v4l2:/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0,focus=20");

	/* Values: auto or a number within APPM's bounds, said in the words. */
	const char *exposure_words = "is not auto or a number from 1 to 100000 (in V4L2's units of 100 us; APPM's bounds)";
	const char *focus_words = "is not auto or a number from 0 to 1000 (APPM's bounds";
	expect_bad("v4l2:/dev/video0,exposure=0", CAM_ERR_ARG, "v4l2: exposure '0' is not auto");
	expect_bad("v4l2:/dev/video0,exposure=0", CAM_ERR_ARG, exposure_words);
	expect_bad("v4l2:/dev/video0:640x480,exposure=100001", CAM_ERR_ARG, "exposure '100001'");
	expect_bad("v4l2:/dev/video0,exposure=-5", CAM_ERR_ARG, "exposure '-5'");
	expect_bad("v4l2:/dev/video0,exposure=1.5", CAM_ERR_ARG, "exposure '1.5'");
	expect_bad("v4l2:/dev/video0,exposure=", CAM_ERR_ARG, "exposure ''");
	expect_bad("v4l2:/dev/video0,exposure=AUTO", CAM_ERR_ARG, "exposure 'AUTO'");
	expect_bad("v4l2:/dev/video0,focus=1001", CAM_ERR_ARG, "v4l2: focus '1001' is not auto");
	expect_bad("v4l2:/dev/video0,focus=near", CAM_ERR_ARG, focus_words);
	/* Options come after the mode: one before it is a bad value. */
	expect_bad("v4l2:/dev/video0,exposure=5:640x480", CAM_ERR_ARG, "exposure '5:640x480'");
	/* A bad mode is still said as one, without the options. */
	expect_bad("v4l2:/dev/video0:640x,exposure=5", CAM_ERR_ARG, "resolution '640x' is not WIDTHxHEIGHT");
	expect_bad("v4l2:/dev/video0:640x480@fast,focus=1", CAM_ERR_ARG, "frame rate 'fast' is not");
	/* Each once; nothing but exposure and focus; no empty ones. */
	expect_bad("v4l2:/dev/video0,exposure=5,exposure=auto", CAM_ERR_ARG, "v4l2: exposure is given twice");
	expect_bad("v4l2:/dev/video0,focus=auto,exposure=5,focus=3", CAM_ERR_ARG, "v4l2: focus is given twice");
	expect_bad("v4l2:/dev/video0,gain=3", CAM_ERR_ARG,
	           "v4l2: 'gain=3' is not an option (exposure=auto|1-100000, focus=auto|0-1000, after the mode)");
	expect_bad("v4l2:/dev/video0,exposure", CAM_ERR_ARG, "'exposure' is not an option");
	expect_bad("v4l2:/dev/video0:640x480,", CAM_ERR_ARG, "'' is not an option");
	expect_bad("v4l2:/dev/video0,,focus=1", CAM_ERR_ARG, "'' is not an option");
	expect_bad("v4l2:,exposure=5", CAM_ERR_ARG, "no device path");
	/* A comma starts the options: a device name holds none. */
	expect_bad("v4l2:/dev/my,cam", CAM_ERR_ARG, "'cam' is not an option");
}

static void test_file(void **state)
{
	(void)state;
	cam_conn c;
	char back[CAM_CONN_TEXT_MAX];
	assert_int_equal(cam_conn_parse("file:frames/%03d.png@12.5,once", &c, NULL, 0), CAM_OK);
	assert_int_equal(c.driver, CAM_DRIVER_FILE);
	assert_string_equal(c.path, "frames/%03d.png");
	assert_true(c.fps == 12.5);
	assert_false(c.loop);
	assert_int_equal(c.exposure.mode, CAM_CONTROL_UNSET);
	cam_conn_format(&c, back, sizeof(back));
	assert_string_equal(back, "file:frames/%03d.png@12.5,once");
	assert_int_equal(cam_conn_parse("file:clip@home.avi", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "clip@home.avi"); /* an @ not followed by a rate is the name's */
	assert_true(c.loop);
	assert_true(c.fps == 0);
	assert_int_equal(cam_conn_parse("file:f/*.png,loop", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "f/*.png");
	/* A name that ends as a mode would, written back (found by fuzz-config). */
	assert_int_equal(cam_conn_parse("file:f/*.png,loop,loop", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "f/*.png,loop");
	cam_conn_format(&c, back, sizeof(back));
	assert_string_equal(back, "file:f/*.png,loop,loop");
	assert_int_equal(cam_conn_parse("file:a,once@5", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "a,once");
	cam_conn_format(&c, back, sizeof(back));
	assert_string_equal(back, "file:a,once@5");
	/* The words alone are a name like any other. */
	assert_int_equal(cam_conn_parse("file:exposure=150/focus.png", &c, NULL, 0), CAM_OK);
	assert_string_equal(c.path, "exposure=150/focus.png");

	expect_bad("file:", CAM_ERR_ARG, "no file or pattern");
	expect_bad("file:@25", CAM_ERR_ARG, "no file or pattern");
	expect_bad("file:frames/%s.png", CAM_ERR_ARG, "one %d conversion");
	expect_bad("file:frames/%d-%d.png", CAM_ERR_ARG, "one %d conversion");
	expect_bad("file:a.png@0", CAM_ERR_ARG, "frame rate '0'");
	expect_bad("file:a.png@2.12345", CAM_ERR_ARG, "frame rate");
	/* A camera's controls given to files: said, not taken for a name. */
	const char *words = "file: exposure and focus are a camera's controls (v4l2:DEVICE,exposure=...,focus=...); "
	                    "files have none";
	expect_bad("file:frames/%03d.png,exposure=150", CAM_ERR_ARG, words);
	expect_bad("file:frames/%03d.png@25,focus=auto", CAM_ERR_ARG, words);
	expect_bad("file:clip.avi,exposure=auto,once", CAM_ERR_ARG, words);
	expect_bad("file:a.png,once,focus=0", CAM_ERR_ARG, words);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4l2),
		cmocka_unit_test(test_v4l2_options),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
