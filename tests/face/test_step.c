/*
 * test_step — the camera step's rules (hal/face/step.h): the motion
 * rules on plain numbers (no network), then the step on the licensed
 * portrait as a camera would see a still photo held up: the photo is
 * taken, the question asked, and a still never answers it.
 *
 * argv: the model folder, grace_hopper.jpg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hal/face/step.h"

static const char *models_dir, *portrait_path;
static fm_models *models;

/* ---- the motion rules ---- */

static void test_turn(void **state)
{
	(void)state;
	fs_motion m;
	/* the applicant's left: the nose moves to the image's right */
	fs_motion_init(&m, FS_CHALLENGE_TURN_LEFT, 0.50, 0.30);
	assert_int_equal(fs_motion_feed(&m, 0.52, 0.30), FS_MOTION_WAITING); /* landmark noise */
	assert_int_equal(fs_motion_feed(&m, 0.58, 0.30), FS_MOTION_WAITING);
	assert_int_equal(fs_motion_feed(&m, 0.66, 0.29), FS_MOTION_MOVED);
	assert_int_equal(fs_motion_feed(&m, 0.60, 0.30), FS_MOTION_MOVED);    /* not back yet */
	assert_int_equal(fs_motion_feed(&m, 0.53, 0.30), FS_MOTION_ANSWERED);
	assert_int_equal(fs_motion_feed(&m, 0.80, 0.30), FS_MOTION_ANSWERED); /* final */
	assert_true(m.peak > 0.15 && m.peak < 0.17);

	/* the other way is wrong, and stays wrong */
	fs_motion_init(&m, FS_CHALLENGE_TURN_RIGHT, 0.50, 0.30);
	assert_int_equal(fs_motion_feed(&m, 0.63, 0.30), FS_MOTION_WRONG);
	assert_int_equal(fs_motion_feed(&m, 0.30, 0.30), FS_MOTION_WRONG);
	fs_motion_init(&m, FS_CHALLENGE_TURN_RIGHT, 0.50, 0.30);
	assert_int_equal(fs_motion_feed(&m, 0.37, 0.30), FS_MOTION_MOVED);
	assert_int_equal(fs_motion_feed(&m, 0.45, 0.30), FS_MOTION_ANSWERED);

	/* closed eyes are no turn */
	fs_motion_init(&m, FS_CHALLENGE_TURN_LEFT, 0.50, 0.30);
	assert_int_equal(fs_motion_feed(&m, 0.50, 0.05), FS_MOTION_WAITING);
	assert_true(fs_motion_moving(0.50, 0.63, 0.30, 0.30));
	assert_true(fs_motion_moving(0.50, 0.37, 0.30, 0.30));
	assert_false(fs_motion_moving(0.50, 0.55, 0.30, 0.27));
	assert_true(fs_motion_moving(0.50, 0.50, 0.30, 0.15)); /* eyes shut: a blink before the question */
}

static void test_blink(void **state)
{
	(void)state;
	fs_motion m;
	fs_motion_init(&m, FS_CHALLENGE_BLINK, 0.50, 0.30);
	assert_int_equal(fs_motion_feed(&m, 0.50, 0.25), FS_MOTION_WAITING); /* a squint */
	assert_int_equal(fs_motion_feed(&m, 0.70, 0.28), FS_MOTION_WAITING); /* a turn is no blink */
	assert_int_equal(fs_motion_feed(&m, 0.50, 0.12), FS_MOTION_MOVED);
	assert_int_equal(fs_motion_feed(&m, 0.50, 0.24), FS_MOTION_MOVED);   /* half open */
	assert_int_equal(fs_motion_feed(&m, 0.50, 0.27), FS_MOTION_ANSWERED);
	assert_true(m.peak < 0.13);
}

static void test_names(void **state)
{
	(void)state;
	fs_challenge c;
	for (int i = FS_CHALLENGE_RANDOM; i <= FS_CHALLENGE_BLINK; i++) {
		assert_true(fs_challenge_parse(fs_challenge_id((fs_challenge)i), &c));
		assert_int_equal(c, i);
	}
	assert_false(fs_challenge_parse("nod", &c));
	assert_false(fs_challenge_parse(NULL, &c));
	assert_string_equal(fs_decision_id(FS_NOT_LIVE), "not-live");
	assert_string_equal(fs_phase_id(FS_PHASE_CHALLENGE), "challenge");
}

/* ---- the step on a still ---- */

/* The portrait on a plain 640x480 frame, scaled so the eyes are about 100
 * pixels apart (nearest pixel: the test needs no warp), with the head's
 * surroundings plain: what a kiosk camera sees of a print held close. */
static fm_image still_frame(void)
{
	fm_image src;
	assert_int_equal(fm_image_read(portrait_path, &src), FM_OK);
	fm_image f = { .width = 640, .height = 480, .stride = 640 * 3 };
	f.data = malloc(f.stride * 480);
	assert_non_null(f.data);
	memset(f.data, 190, f.stride * 480);
	/* grace_hopper.jpg: 512x600, her eyes 84 px apart near (250, 185);
	 * the crop keeps her face and hair, not the flag behind. */
	const double scale = 1.19;
	for (int y = 0; y < 480; y++)
		for (int x = 0; x < 640; x++) {
			double sx = 250 + (x - 320) / scale, sy = 185 + (y - 200) / scale;
			double dx = (sx - 250) / 150, dy = (sy - 240) / 215;
			if (dx * dx + dy * dy > 1 || sx < 0 || sy < 0 || sx >= src.width || sy >= src.height)
				continue;
			memcpy(f.data + (size_t)y * f.stride + (size_t)x * 3,
			       src.data + (size_t)sy * src.stride + (size_t)sx * 3, 3);
		}
	fm_image_free(&src);
	return f;
}

static void test_still_is_not_live(void **state)
{
	(void)state;
	fm_image f = still_frame();
	fv_reference ref;
	fm_err fe;
	assert_int_equal(fv_enroll(models, &f, &ref, &fe), FV_OK);
	fs_config cfg = fs_config_default();
	cfg.challenge = FS_CHALLENGE_TURN_LEFT;
	cfg.delay_us = 500000;
	fs_step *s;
	assert_int_equal(fs_step_new(models, &ref, &cfg, &s), FS_OK);
	fs_frame_report r;
	bool captured = false, asked = false;
	unsigned n = 0;
	for (; n < 200; n++) {
		assert_int_equal(fs_step_feed(s, &f, (int64_t)n * 100000, &r), FS_OK);
		captured |= r.captured;
		asked |= r.asked;
		if (r.decision != FS_PENDING)
			break;
	}
	if (!captured) /* say which check kept the photo from being taken */
		for (int c = 0; c < FQ_CHECK_COUNT; c++)
			if (!r.quality.check[c].pass)
				print_message("# %s %.3f fails\n", fq_check_name((fq_check)c), r.quality.check[c].value);
	assert_true(captured);
	assert_true(asked);
	fs_result res;
	fs_step_result(s, &res);
	assert_int_equal(res.decision, FS_NOT_LIVE);
	assert_non_null(strstr(res.why, "no turn-left"));
	assert_true(res.score > 0.9f); /* the same picture: the holder, but not alive */
	/* guide, 0.8 s window, 0.5 s pause, 6 s to answer: about 7.5 s */
	assert_in_range(n, 70, 90);
	assert_int_equal(fs_step_feed(s, &f, (int64_t)(n + 1) * 100000, &r), FS_ERR_DONE);
	fs_step_free(s);

	/* A pause longer than FS_CHALLENGE_DELAY_MAX_US, as the configuration
	 * allows: the question is still asked, and the answer waited for. */
	cfg.delay_us = 9000000;
	assert_int_equal(fs_step_new(models, &ref, &cfg, &s), FS_OK);
	asked = false;
	for (n = 0; n < 250; n++) {
		assert_int_equal(fs_step_feed(s, &f, (int64_t)n * 100000, &r), FS_OK);
		asked |= r.asked;
		if (r.decision != FS_PENDING)
			break;
	}
	fs_step_result(s, &res);
	assert_true(asked);
	assert_non_null(strstr(res.why, "no turn-left"));
	fs_step_free(s);
	cfg.delay_us = 500000;

	/* Without a chip photo the step ends at the photo, which fits a chip. */
	assert_int_equal(fs_step_new(models, NULL, &cfg, &s), FS_OK);
	for (n = 0; n < 50; n++) {
		assert_int_equal(fs_step_feed(s, &f, (int64_t)n * 100000, &r), FS_OK);
		if (r.decision != FS_PENDING)
			break;
	}
	fs_step_result(s, &res);
	assert_int_equal(res.decision, FS_CAPTURED);
	assert_non_null(res.jpeg);
	assert_true(res.jpeg_len <= FQ_JPEG_MAX && res.jpeg_len >= 4);
	assert_true(res.jpeg[0] == 0xFF && res.jpeg[1] == 0xD8);
	/* frames must not go back in time */
	fs_step_free(s);
	assert_int_equal(fs_step_new(models, NULL, &cfg, &s), FS_OK);
	assert_int_equal(fs_step_feed(s, &f, 1000000, &r), FS_OK);
	assert_int_equal(fs_step_feed(s, &f, 900000, &r), FS_ERR_ARG);
	fs_step_free(s);
	fm_image_free(&f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_step MODEL_DIR GRACE_HOPPER_JPG\n");
		return 2;
	}
	models_dir = argv[1];
	portrait_path = argv[2];
	char why[400];
	if (fm_models_load(models_dir, &models, why, sizeof(why)) != FM_OK) {
		fprintf(stderr, "test_step: %s\n", why);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turn),
		cmocka_unit_test(test_blink),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_still_is_not_live),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	fm_models_free(models);
	return failed;
}
