/*
 * test_face — the face models (hal/face) on the licensed test faces:
 * the model set loads, and a missing, truncated, garbage or swapped model
 * file is refused with the file's name in the words; on astronaut.png and
 * grace_hopper.jpg exactly one face is found where it is, with the five
 * points in the order alignment needs; embeddings are unit length, the
 * same face moved or rescaled scores high and the two people low.
 *
 * The passport photos of devices/data/faces (committed 240x320 JPEG crops
 * of the same two portraits) must match their originals too: the chip
 * photo against the live face, in small.
 *
 * Usage: test_face MODEL_DIR CROPS_DIR GRACE_HOPPER ASTRONAUT [ASTRONAUT...]
 * (the first astronaut.png that exists is used). The files come from the
 * setup command (npm ci in devices/models, Debian's test images); when one
 * is absent the test fails saying which and how to get it.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hal/face/fm.h"

static const char *model_dir, *crops_dir, *astronaut_path, *grace_path;

/* Where the faces are in the two images (box centres, checked by drawing
 * the detections on them): tolerance 25 pixels. */
#define ASTRONAUT_FACE_X 224
#define ASTRONAUT_FACE_Y 118
#define GRACE_FACE_X 265
#define GRACE_FACE_Y 228

/* Same person above, different people below: the thresholds of these
 * checks, not the kiosk's decision threshold (issue 17's evaluation). */
#define SAME_MIN 0.80f
#define OTHER_MAX 0.35f

static fm_models *load_or_fail(void)
{
	fm_models *m = NULL;
	char why[512] = "";
	fm_err e = fm_models_load(model_dir, &m, why, sizeof why);
	if (e != FM_OK)
		fail_msg("fm_models_load(%s): %s: %s", model_dir, fm_strerror(e), why);
	return m;
}

static void test_models_load(void **state)
{
	fm_models *m = load_or_fail();
	assert_non_null(m);
	fm_models_free(m);
	fm_models_free(NULL);
}

/* A scratch folder holding links to every model file but one, which the
 * caller makes (or not) itself. */
static char *scratch_models(const char *except)
{
	char tmpl[] = "/tmp/appm-face-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char *ret = strdup(dir);
	assert_non_null(ret);
	char from[1024], to[1024];
	for (int i = 0; fm_model_files[i]; i++) {
		if (strcmp(fm_model_files[i], except) == 0)
			continue;
		snprintf(from, sizeof from, "%s/%s", model_dir, fm_model_files[i]);
		snprintf(to, sizeof to, "%s/%s", ret, fm_model_files[i]);
		assert_int_equal(symlink(from, to), 0);
	}
	return ret;
}

static void scratch_remove(char *dir)
{
	char path[1024];
	for (int i = 0; fm_model_files[i]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, fm_model_files[i]);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* Load must fail with code want and name file in its words, leaving the
 * output untouched. */
static void expect_refused(const char *dir, fm_err want, const char *file)
{
	fm_models *m = (fm_models *)&m; /* a value load must not change */
	fm_models *const untouched = m;
	char why[512] = "";
	fm_err e = fm_models_load(dir, &m, why, sizeof why);
	printf("# %s refused: %s: %s\n", file, fm_strerror(e), why);
	assert_int_equal(e, want);
	assert_ptr_equal(m, untouched);
	assert_non_null(strstr(why, file));
}

static void test_missing_model_named(void **state)
{
	char *dir = scratch_models("fr_feature.onnx");
	expect_refused(dir, FM_ERR_MODEL_MISSING, "fr_feature.onnx");
	scratch_remove(dir);
}

static void copy_prefix(const char *from, const char *to, long len)
{
	FILE *in = fopen(from, "rb");
	assert_non_null(in);
	FILE *out = fopen(to, "wb");
	assert_non_null(out);
	char buf[65536];
	long left = len;
	while (left != 0) {
		size_t want = left < 0 || left > (long)sizeof buf ? sizeof buf : (size_t)left;
		size_t got = fread(buf, 1, want, in);
		if (got == 0)
			break;
		assert_int_equal(fwrite(buf, 1, got, out), got);
		if (left > 0)
			left -= (long)got;
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	fclose(f);
	return n;
}

static void test_truncated_model_named(void **state)
{
	char *dir = scratch_models("fr_landmark.onnx");
	char from[1024], to[1024];
	snprintf(from, sizeof from, "%s/fr_landmark.onnx", model_dir);
	snprintf(to, sizeof to, "%s/fr_landmark.onnx", dir);
	copy_prefix(from, to, file_size(from) * 2 / 3);
	expect_refused(dir, FM_ERR_MODEL_CORRUPT, "fr_landmark.onnx");
	scratch_remove(dir);
}

static void test_garbage_model_named(void **state)
{
	char *dir = scratch_models("fr_detect.onnx");
	char to[1024];
	snprintf(to, sizeof to, "%s/fr_detect.onnx", dir);
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc((i * 131 + 7) & 0xff, f);
	assert_int_equal(fclose(f), 0);
	expect_refused(dir, FM_ERR_MODEL_CORRUPT, "fr_detect.onnx");
	scratch_remove(dir);
}

/* A sound ONNX file in the wrong place (the eye model as the liveness
 * one) is refused too: its input and outputs are not the expected ones. */
static void test_swapped_model_named(void **state)
{
	char *dir = scratch_models("fr_liveness.onnx");
	char from[1024], to[1024];
	snprintf(from, sizeof from, "%s/fr_eye.onnx", model_dir);
	snprintf(to, sizeof to, "%s/fr_liveness.onnx", dir);
	copy_prefix(from, to, -1);
	expect_refused(dir, FM_ERR_MODEL_CORRUPT, "fr_liveness.onnx");
	scratch_remove(dir);
}

static void test_missing_folder(void **state)
{
	expect_refused("/nonexistent/appm-models", FM_ERR_MODEL_MISSING, "fr_detect.onnx");
}

static int inside(const fm_box *b, fm_point p)
{
	return p.x > b->x1 && p.x < b->x2 && p.y > b->y1 && p.y < b->y2;
}

/* One face where it is, with the five points inside its box and in order. */
static void check_one_face(const char *path, int want_x, int want_y, fm_landmarks *ret_lm,
                           fm_box *ret_box)
{
	fm_models *m = load_or_fail();
	fm_image img;
	assert_int_equal(fm_image_read(path, &img), FM_OK);
	fm_box boxes[8];
	size_t n = 0;
	assert_int_equal(fm_detect(m, &img, boxes, 8, &n), FM_OK);
	printf("# %s: %zu face(s); the first at %.0f,%.0f-%.0f,%.0f, score %.3f\n", path, n,
	       n ? boxes[0].x1 : 0, n ? boxes[0].y1 : 0, n ? boxes[0].x2 : 0, n ? boxes[0].y2 : 0,
	       n ? boxes[0].score : 0);
	assert_int_equal(n, 1);
	const fm_box *b = &boxes[0];
	assert_true(b->score >= FM_DETECT_THRESHOLD);
	float cx = (b->x1 + b->x2) / 2, cy = (b->y1 + b->y2) / 2, w = b->x2 - b->x1;
	assert_true(fabsf(cx - (float)want_x) < 25 && fabsf(cy - (float)want_y) < 25);
	assert_true(w > img.width / 8 && w < img.width / 2);

	fm_landmarks lm;
	assert_int_equal(fm_landmark(m, &img, b, &lm), FM_OK);
	const fm_point *f = lm.five;
	printf("# five points: eyes %.0f,%.0f %.0f,%.0f nose %.0f,%.0f mouth %.0f,%.0f %.0f,%.0f\n",
	       f[0].x, f[0].y, f[1].x, f[1].y, f[2].x, f[2].y, f[3].x, f[3].y, f[4].x, f[4].y);
	for (int i = 0; i < FM_FIVE; i++)
		assert_true(inside(b, f[i]));
	/* Image-left eye, then image-right, level within a fifth of their
	 * distance; the nose between them and below; mouth corners below
	 * the nose, left then right. */
	float eye_dist = f[FM_FIVE_EYE_RIGHT].x - f[FM_FIVE_EYE_LEFT].x;
	assert_true(eye_dist > w / 5);
	assert_true(fabsf(f[FM_FIVE_EYE_RIGHT].y - f[FM_FIVE_EYE_LEFT].y) < eye_dist / 5);
	assert_true(f[FM_FIVE_NOSE].x > f[FM_FIVE_EYE_LEFT].x &&
	            f[FM_FIVE_NOSE].x < f[FM_FIVE_EYE_RIGHT].x);
	assert_true(f[FM_FIVE_NOSE].y > f[FM_FIVE_EYE_LEFT].y &&
	            f[FM_FIVE_NOSE].y > f[FM_FIVE_EYE_RIGHT].y);
	assert_true(f[FM_FIVE_MOUTH_LEFT].y > f[FM_FIVE_NOSE].y &&
	            f[FM_FIVE_MOUTH_RIGHT].y > f[FM_FIVE_NOSE].y);
	assert_true(f[FM_FIVE_MOUTH_LEFT].x < f[FM_FIVE_MOUTH_RIGHT].x);
	/* The 68-point eyes (36-41, 42-47) are inside the box too. */
	for (int i = 36; i < 48; i++)
		assert_true(inside(b, lm.pt[i]));
	if (ret_lm)
		*ret_lm = lm;
	if (ret_box)
		*ret_box = *b;
	fm_image_free(&img);
	fm_models_free(m);
}

static void test_astronaut_one_face(void **state)
{
	check_one_face(astronaut_path, ASTRONAUT_FACE_X, ASTRONAUT_FACE_Y, NULL, NULL);
}

static void test_grace_hopper_one_face(void **state)
{
	check_one_face(grace_path, GRACE_FACE_X, GRACE_FACE_Y, NULL, NULL);
}

/* src resampled by `scale` (bilinear) after dropping `dx`, `dy` pixels at
 * the top left: the same photo, moved and at another size. */
static fm_image moved(const fm_image *src, int dx, int dy, double scale)
{
	fm_image out;
	out.width = (int)((src->width - dx) * scale);
	out.height = (int)((src->height - dy) * scale);
	out.stride = (size_t)out.width * 3;
	out.data = malloc(out.stride * (size_t)out.height);
	assert_non_null(out.data);
	for (int y = 0; y < out.height; y++) {
		double sy = y / scale + dy;
		int y0 = (int)sy, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
		double fy = sy - y0;
		for (int x = 0; x < out.width; x++) {
			double sx = x / scale + dx;
			int x0 = (int)sx, x1 = x0 + 1 < src->width ? x0 + 1 : x0;
			double fx = sx - x0;
			for (int c = 0; c < 3; c++) {
				const uint8_t *r0 = src->data + src->stride * (size_t)y0;
				const uint8_t *r1 = src->data + src->stride * (size_t)y1;
				double v = (1 - fy) * ((1 - fx) * r0[x0 * 3 + c] + fx * r0[x1 * 3 + c]) +
				           fy * ((1 - fx) * r1[x0 * 3 + c] + fx * r1[x1 * 3 + c]);
				out.data[out.stride * (size_t)y + (size_t)x * 3 + (size_t)c] = (uint8_t)(v + 0.5);
			}
		}
	}
	return out;
}

static void embed_first_face(fm_models *m, const fm_image *img, float ret[FM_EMBEDDING])
{
	fm_box b;
	size_t n = 0;
	assert_int_equal(fm_detect(m, img, &b, 1, &n), FM_OK);
	assert_int_equal(n, 1);
	fm_landmarks lm;
	assert_int_equal(fm_landmark(m, img, &b, &lm), FM_OK);
	assert_int_equal(fm_embed(m, img, lm.five, ret), FM_OK);
	double norm = 0;
	for (int i = 0; i < FM_EMBEDDING; i++)
		norm += (double)ret[i] * ret[i];
	assert_true(fabs(sqrt(norm) - 1.0) < 1e-4);
}

static void test_embeddings_same_and_other(void **state)
{
	fm_models *m = load_or_fail();
	fm_image astro, grace;
	assert_int_equal(fm_image_read(astronaut_path, &astro), FM_OK);
	assert_int_equal(fm_image_read(grace_path, &grace), FM_OK);
	fm_image astro2 = moved(&astro, 23, 11, 0.8), grace2 = moved(&grace, 9, 31, 1.25);

	static float a[FM_EMBEDDING], a2[FM_EMBEDDING], g[FM_EMBEDDING], g2[FM_EMBEDDING];
	embed_first_face(m, &astro, a);
	embed_first_face(m, &astro2, a2);
	embed_first_face(m, &grace, g);
	embed_first_face(m, &grace2, g2);

	float same_a = fm_cosine(a, a2, FM_EMBEDDING), same_g = fm_cosine(g, g2, FM_EMBEDDING);
	float other = fm_cosine(a, g, FM_EMBEDDING), other2 = fm_cosine(a2, g2, FM_EMBEDDING);
	printf("# cosine: astronaut vs itself moved and x0.8 %.3f; grace_hopper vs itself moved and x1.25 %.3f\n",
	       same_a, same_g);
	printf("# cosine: astronaut vs grace_hopper %.3f; their moved copies %.3f\n", other, other2);
	assert_true(fabsf(fm_cosine(a, a, FM_EMBEDDING) - 1.0f) < 1e-5f);
	assert_true(same_a > SAME_MIN && same_g > SAME_MIN);
	assert_true(other < OTHER_MAX && other2 < OTHER_MAX);

	fm_image_free(&astro2);
	fm_image_free(&grace2);
	fm_image_free(&astro);
	fm_image_free(&grace);
	fm_models_free(m);
}

/* The committed passport photos (240x320 JPEG crops, as a chip holds)
 * against the full portraits they were cut from: the verification case. */
static void test_chip_photo_matches(void **state)
{
	fm_models *m = load_or_fail();
	const char *names[2] = { "astronaut.jpg", "grace_hopper.jpg" };
	const char *full[2] = { astronaut_path, grace_path };
	static float chip[2][FM_EMBEDDING], live[2][FM_EMBEDDING];
	for (int i = 0; i < 2; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", crops_dir, names[i]);
		fm_image img;
		assert_int_equal(fm_image_read(path, &img), FM_OK);
		embed_first_face(m, &img, chip[i]);
		fm_image_free(&img);
		assert_int_equal(fm_image_read(full[i], &img), FM_OK);
		embed_first_face(m, &img, live[i]);
		fm_image_free(&img);
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			float c = fm_cosine(chip[i], live[j], FM_EMBEDDING);
			printf("# cosine: chip photo %s vs %s %.3f\n", names[i], full[j], c);
			if (i == j)
				assert_true(c > SAME_MIN);
			else
				assert_true(c < OTHER_MAX);
		}
	fm_models_free(m);
}

/* The alignment fit recovers a known similarity exactly, and refuses
 * points that are all one. */
static void test_similarity_fit(void **state)
{
	const double a = 0.8 * cos(0.3), b = 0.8 * sin(0.3), tx = -12.5, ty = 40.25;
	fm_point to[FM_FIVE];
	for (int i = 0; i < FM_FIVE; i++) {
		fm_point p = fm_template_112[i];
		to[i].x = (float)(a * p.x - b * p.y + tx);
		to[i].y = (float)(b * p.x + a * p.y + ty);
	}
	double t[6];
	assert_int_equal(fm_similarity_fit(fm_template_112, to, FM_FIVE, t), FM_OK);
	const double want[6] = { a, -b, tx, b, a, ty };
	for (int i = 0; i < 6; i++)
		assert_true(fabs(t[i] - want[i]) < 1e-3);
	fm_point same[FM_FIVE];
	for (int i = 0; i < FM_FIVE; i++)
		same[i] = (fm_point){ 5, 5 };
	assert_int_equal(fm_similarity_fit(same, to, FM_FIVE, t), FM_ERR_ARG);
}

static void test_strerror(void **state)
{
	for (int e = FM_OK; e <= FM_ERR_LAST; e++)
		assert_string_not_equal(fm_strerror((fm_err)e), "unknown face error");
}

/* Absent test data is a failure that says what to do, not a skip. */
static int need(const char *path, const char *what)
{
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "test_face: missing %s: %s (%s)\n", what, path, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: test_face MODEL_DIR CROPS_DIR GRACE_HOPPER_JPG ASTRONAUT_PNG...\n");
		return 2;
	}
	model_dir = argv[1];
	crops_dir = argv[2];
	grace_path = argv[3];
	astronaut_path = argv[4];
	for (int i = 4; i < argc; i++)
		if (access(argv[i], R_OK) == 0) {
			astronaut_path = argv[i];
			break;
		}
	char detect[1024];
	snprintf(detect, sizeof detect, "%s/fr_detect.onnx", model_dir);
	int missing = need(detect, "the face models (npm ci --prefix devices/models)") +
	              need(grace_path, "grace_hopper.jpg (Debian's python-matplotlib-data)");
	if (access(astronaut_path, R_OK) != 0) {
		for (int i = 4; i < argc; i++)
			need(argv[i], "astronaut.png (Debian's python3-skimage, or setup.sh's copy)");
		missing++;
	}
	if (missing) {
		fprintf(stderr, "test_face: ./setup.sh test (as root) installs them\n");
		return 1;
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models_load),
		cmocka_unit_test(test_missing_model_named),
		cmocka_unit_test(test_truncated_model_named),
		cmocka_unit_test(test_garbage_model_named),
		cmocka_unit_test(test_swapped_model_named),
		cmocka_unit_test(test_missing_folder),
		cmocka_unit_test(test_astronaut_one_face),
		cmocka_unit_test(test_grace_hopper_one_face),
		cmocka_unit_test(test_embeddings_same_and_other),
		cmocka_unit_test(test_chip_photo_matches),
		cmocka_unit_test(test_similarity_fit),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
