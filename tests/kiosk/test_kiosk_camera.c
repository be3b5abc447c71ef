/*
 * test_kiosk_camera — the camera class in the kiosk (suite 'camera'):
 * a configuration with `[device NAME] class = camera` on the file
 * driver, pictures the test writes. `appm diag --direct` lists a camera
 * online with its capabilities, one whose file is missing as "no device"
 * and one whose connection string is wrong with the parser's words;
 * `appm diag test` passes on a sharp picture and fails, saying why, on a
 * flat one; without OpenCV's module the camera is offline saying so.
 * Then the daemon: diag through its socket, the self-test
 * under the maintenance lock, the file taken away (the camera goes
 * offline with words) and put back (online again), SIGTERM.
 *
 * No pcscd: the configuration has no passport reader.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hal/camera/cv-capture.h"

static char tmp[64];
static char config[300], sock[300], klog[300];
static const char *appm;
static pid_t kiosk_pid = -1;

/* A w x h checkerboard of levels a and b (a == b: flat) at tmp/name. */
static void write_picture(const char *name, uint8_t a, uint8_t b)
{
	cam_frame *f = cam_frame_new(640, 480);
	assert_non_null(f);
	for (int y = 0; y < f->height; y++)
		for (int x = 0; x < f->width; x++)
			memset(f->data + (size_t)y * f->stride + (size_t)x * 3, (x / 8 + y / 8) % 2 ? a : b, 3);
	char path[300], why[240];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	assert_int_equal(cv_image_write(path, f, why, sizeof(why)), CAM_OK);
	cam_frame_free(f);
}

__attribute__((format(printf, 3, 4))) static int diag(char **out, char **err, const char *fmt, ...)
{
	char args[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return it_run(tmp, out, err, "%s diag --config %s %s", appm, config, args);
}

static int setup(void **state)
{
	(void)state;
	appm = getenv("APPM");
	if (!appm)
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/appm-kcam.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(config, sizeof(config), "%s/kiosk.ini", tmp);
	snprintf(sock, sizeof(sock), "%s/control.sock", tmp);
	snprintf(klog, sizeof(klog), "%s/kiosk.log", tmp);
	FILE *f = fopen(config, "w");
	if (!f)
		return -1;
	fprintf(f,
	        "[kiosk]\nstore = %s/kiosk.db\nsocket = %s\n\n"
	        "[device camera]\nclass = camera\nconnection = file:%s/sharp.png@5\n\n"
	        "[device covered]\nclass = camera\nconnection = file:%s/flat.png\n\n"
	        "[ui]\nlisten = 127.0.0.1:35991\n\n" /* the journey, which has the face step */
	        "[face]\nmodels = %s/models\n",
	        tmp, sock, tmp, tmp, tmp);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (kiosk_pid > 0) {
		kill(kiosk_pid, SIGKILL);
		waitpid(kiosk_pid, NULL, 0);
	}
	if (!getenv("APPM_KEEP_TMP"))
		it_sh("rm -rf %s", tmp);
	return 0;
}

/* Without the pictures: both cameras "no device", with the file named;
 * exit 17. With them: online, capabilities from the file. */
static void test_direct_list(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(diag(&out, &err, "--direct --json"), 17);
	json_t *cam = it_json_at(out, "devices.0");
	assert_string_equal(it_jstr_or_empty(cam, "class"), "camera");
	assert_string_equal(it_jstr_or_empty(cam, "driver"), "file");
	assert_string_equal(it_jstr_or_empty(cam, "state"), "no device");
	assert_non_null(strstr(it_jstr_or_empty(cam, "status"), "sharp.png: No such file or directory"));
	json_decref(cam);
	free(out);
	free(err);

	write_picture("sharp.png", 30, 220);
	write_picture("flat.png", 128, 128);
	assert_int_equal(diag(&out, NULL, "--direct --json"), 0);
	cam = it_json_at(out, "devices.0");
	assert_string_equal(it_jstr_or_empty(cam, "name"), "camera");
	assert_string_equal(it_jstr_or_empty(cam, "state"), "online");
	char *caps = json_dumps(it_jget(cam, "capabilities"), 0);
	assert_non_null(strstr(caps, "resolution: 640x480"));
	assert_non_null(strstr(caps, "frame rate: 5 fps"));
	assert_non_null(strstr(caps, "end: loops"));
	free(caps);
	json_decref(cam);
	free(out);
	/* The words without --json too. */
	assert_int_equal(diag(&out, NULL, "--direct"), 0);
	assert_non_null(strstr(out, "camera (camera, file:"));
	assert_non_null(strstr(out, "resolution: 640x480"));
	free(out);
}

/* The self-test passes on the sharp picture and fails on the flat one. */
static void test_direct_self_test(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(diag(&out, NULL, "--direct test camera"), 0);
	assert_non_null(strstr(out, "camera: self-test passed"));
	assert_non_null(strstr(out, "sharpness:"));
	assert_non_null(strstr(out, "result: passed"));
	free(out);
	assert_int_equal(diag(&out, NULL, "--direct test covered"), 17);
	assert_non_null(strstr(out, "flat: one shade all over"));
	assert_non_null(strstr(out, "result: failed (flat, blurred)"));
	free(out);
	assert_int_equal(diag(&out, NULL, "--direct --json test covered"), 17);
	json_t *answer = it_parse_json(out);
	assert_true(json_is_false(it_jget(answer, "ok")));
	assert_non_null(strstr(it_jstr_or_empty(answer, "report"), "contrast: 0.0"));
	json_decref(answer);
	free(out);
}

/* A connection string the parser refuses: its words in diag. */
static void test_bad_connection(void **state)
{
	(void)state;
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/bad.ini", tmp);
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "[kiosk]\nstore = %s/bad.db\nsocket = %s/bad.sock\n[device cam]\nclass = camera\n"
	           "connection = v4l2:/dev/video0:640x\n", tmp, tmp);
	fclose(f);
	char *out = NULL;
	assert_int_equal(it_run(tmp, &out, NULL, "%s diag --config %s --direct", appm, bad), 17);
	assert_non_null(strstr(out, "cannot open it: v4l2: resolution '640x' is not WIDTHxHEIGHT"));
	free(out);
	/* OpenCV's module missing: the camera is offline saying so. */
	assert_int_equal(it_run(tmp, &out, NULL, "APPM_OPENCV_MODULE=%s/none.so %s diag --config %s --direct", tmp,
	                        appm, config), 17);
	assert_non_null(strstr(out, "hardware error: the camera's OpenCV module cannot be loaded"));
	assert_non_null(strstr(out, "none.so: cannot open shared object file"));
	free(out);
}

static void test_daemon(void **state)
{
	(void)state;
	kiosk_pid = fork();
	assert_true(kiosk_pid >= 0);
	if (kiosk_pid == 0) {
		int fd = open(klog, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl(appm, appm, "kiosk", "--config", config, (char *)NULL);
		_exit(127);
	}
	it_wait_in_file(klog, "camera: online", 0, 10);
	it_wait_in_file(klog, "covered: online", 0, 10);
	/* The face models' folder has no models: said at start, naming the
	 * file, and the kiosk runs without the face step. */
	assert_int_equal(it_count_in_file(klog, "the face step is not fitted: "), 1);
	assert_int_equal(it_count_in_file(klog, "models/fr_detect.onnx"), 1);
	char *out = NULL, *err = NULL;
	assert_int_equal(diag(&out, &err, "test camera"), 0);
	assert_non_null(strstr(err, "asking the kiosk daemon"));
	assert_non_null(strstr(out, "result: passed"));
	free(out);
	free(err);
	it_wait_in_file(klog, "camera: locked: held by diag", 0, 2);
	it_wait_in_file(klog, "camera: unlocked", 0, 2);
	assert_int_equal(diag(&out, NULL, "test covered"), 17);
	assert_non_null(strstr(out, "result: failed (flat, blurred)"));
	free(out);

	/* Taken away: the idle watch sees it within a second or two. */
	assert_int_equal(it_sh("mv %s/sharp.png %s/sharp.away", tmp, tmp), 0);
	it_wait_in_file(klog, "camera: offline: no device:", 0, 5);
	assert_int_equal(it_count_in_file(klog, "sharp.png: the file went away"), 3); /* status, fault, offline */
	assert_int_equal(diag(&out, NULL, "--json"), 17);
	json_t *cam = it_json_at(out, "devices.0");
	assert_string_equal(it_jstr_or_empty(cam, "state"), "no device");
	json_decref(cam);
	free(out);
	/* Back: opened again by the daemon's 2 s retry. */
	int before = it_count_in_file(klog, "camera: online");
	assert_int_equal(it_sh("mv %s/sharp.away %s/sharp.png", tmp, tmp), 0);
	it_wait_in_file(klog, "camera: online", before, 6);
	assert_int_equal(diag(NULL, NULL, "%s", "--json"), 0);

	kill(kiosk_pid, SIGTERM);
	assert_int_equal(it_wait_exit(kiosk_pid, 10), 0);
	kiosk_pid = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_list),
		cmocka_unit_test(test_direct_self_test),
		cmocka_unit_test(test_bad_connection),
		cmocka_unit_test(test_daemon),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
