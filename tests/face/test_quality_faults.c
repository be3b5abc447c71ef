/*
 * test_quality_faults — hal/face/quality.c with its Nth allocation failed,
 * for every N (tests/common/fault.h): judge grace_hopper.jpg, crop its
 * portrait and encode it. Each run ends in success or FQ_ERR_NOMEM, the
 * outputs untouched on failure, never a crash, and under ASan never a
 * leak. The models and the image are loaded before the plan is armed;
 * OpenCV's and libjpeg-turbo's own allocations (in their shared
 * libraries) are not counted.
 *
 * Usage: test_quality_faults MODEL_DIR GRACE_HOPPER
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hal/face/fm.h"
#include "hal/face/quality.h"
#include "tests/common/fault.h"

static const char *model_dir, *grace_path;

static void test_every_allocation_fails(void **state)
{
	fm_models *m = NULL;
	char why[512] = "";
	assert_int_equal(fm_models_load(model_dir, &m, why, sizeof why), FM_OK);
	fm_image im;
	assert_int_equal(fm_image_read(grace_path, &im), FM_OK);
	fm_box box;
	size_t n = 0;
	assert_int_equal(fm_detect(m, &im, &box, 1, &n), FM_OK);
	assert_int_equal(n, 1);
	fm_landmarks lm;
	assert_int_equal(fm_landmark(m, &im, &box, &lm), FM_OK);

	unsigned long k;
	unsigned failures = 0;
	for (k = 1; k < 1000; k++) {
		fault_plan_arm(&fault_alloc, k);
		fq_assessment a, a_before;
		memset(&a, 0x5a, sizeof a);
		a_before = a;
		fq_err e = fq_assess(&im, &box, 1, &lm, NULL, &a);
		assert_true(e == FQ_OK || e == FQ_ERR_NOMEM);
		if (e != FQ_OK) {
			assert_memory_equal(&a, &a_before, sizeof a);
			failures++;
		}
		fm_image pic = { (uint8_t *)&pic, 7, 7, 7 };
		fm_image pic_before = pic;
		e = fq_portrait(&im, &lm, &pic);
		assert_true(e == FQ_OK || e == FQ_ERR_NOMEM);
		if (e == FQ_OK) {
			uint8_t *jpeg = (uint8_t *)&e;
			size_t len = 1;
			int q = -1;
			fq_err je = fq_jpeg(&pic, FQ_JPEG_MAX, &jpeg, &len, &q);
			assert_true(je == FQ_OK || je == FQ_ERR_NOMEM);
			if (je == FQ_OK) {
				assert_true(len > 0 && len <= FQ_JPEG_MAX);
				free(jpeg);
			} else {
				assert_ptr_equal(jpeg, (uint8_t *)&e);
				assert_int_equal(len, 1);
				assert_int_equal(q, -1);
				failures++;
			}
			fm_image_free(&pic);
		} else {
			assert_memory_equal(&pic, &pic_before, sizeof pic);
			failures++;
		}
		bool reached = fault_plan_reached(&fault_alloc);
		fault_plan_arm(&fault_alloc, 0);
		if (!reached)
			break;
	}
	printf("# %lu runs, %u ended in FQ_ERR_NOMEM\n", k, failures);
	assert_true(k < 1000);
	assert_true(failures >= 3); /* sharpness, portrait, JPEG copy */
	fm_image_free(&im);
	fm_models_free(m);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_quality_faults MODEL_DIR GRACE_HOPPER_JPG\n");
		return 2;
	}
	model_dir = argv[1];
	grace_path = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
