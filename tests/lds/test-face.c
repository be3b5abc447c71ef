/*
 * test-face — face image decoding: JPEG, JP2 and J2K images encoded by the
 * fixtures are decoded back to the pixels that were encoded; absurd sizes,
 * unknown formats, garbage and every truncation fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "hal/passport/face.h"
#include "tests/lds/lds-fixtures.h"

/* Compares a decoded image with the fixture's picture: the largest and the
 * mean absolute difference over all channels. */
static void compare(const face_image *img, unsigned *max_diff, double *mean_diff)
{
	unsigned max = 0;
	unsigned long sum = 0;
	for (unsigned y = 0; y < img->height; y++) {
		for (unsigned x = 0; x < img->width; x++) {
			uint8_t want[3];
			fx_pixel(x, y, want);
			const uint8_t *got = img->rgb + ((size_t)y * img->width + x) * 3;
			for (int c = 0; c < 3; c++) {
				unsigned d = (unsigned)abs((int)got[c] - (int)want[c]);
				sum += d;
				if (d > max)
					max = d;
			}
		}
	}
	*max_diff = max;
	*mean_diff = (double)sum / ((double)img->width * img->height * 3);
}

static void test_detect(void **state)
{
	(void)state;
	face_format f = FACE_FORMAT_J2K;
	assert_int_equal(face_detect((const uint8_t *)"\xFF\xD8\xFF\xE0", 4, &f), FACE_OK);
	assert_int_equal(f, FACE_FORMAT_JPEG);
	assert_int_equal(face_detect((const uint8_t *)"\xFF\x4F\xFF\x51", 4, &f), FACE_OK);
	assert_int_equal(f, FACE_FORMAT_J2K);
	assert_int_equal(face_detect((const uint8_t *)"\0\0\0\x0CjP  \r\n\x87\n", 12, &f), FACE_OK);
	assert_int_equal(f, FACE_FORMAT_JP2);
	f = FACE_FORMAT_JP2;
	assert_int_equal(face_detect((const uint8_t *)"\x89PNG\r\n\x1A\n", 8, &f), FACE_ERR_FORMAT);
	assert_int_equal(face_detect((const uint8_t *)"\xFF\xD8", 2, &f), FACE_ERR_FORMAT);
	assert_int_equal(face_detect(NULL, 0, &f), FACE_ERR_FORMAT);
	assert_int_equal(f, FACE_FORMAT_JP2);
	assert_string_equal(face_format_name(FACE_FORMAT_JP2), "JP2");
	assert_string_equal(face_format_mime(FACE_FORMAT_JPEG), "image/jpeg");
}

static void test_decode_jpeg(void **state)
{
	(void)state;
	size_t len;
	uint8_t *jpeg = fx_jpeg(16, 12, &len);
	assert_non_null(jpeg);
	face_image *img = NULL;
	assert_int_equal(face_decode(jpeg, len, &img), FACE_OK);
	assert_int_equal(img->format, FACE_FORMAT_JPEG);
	assert_int_equal(img->width, 16);
	assert_int_equal(img->height, 12);
	assert_int_equal(img->rgb_len, 16 * 12 * 3);
	unsigned max;
	double mean;
	compare(img, &max, &mean);
	/* Lossy, but the picture is recognisably the same. */
	assert_true(mean < 4.0);
	assert_true(max < 64);
	face_image_free(img);
	free(jpeg);
	face_image_free(NULL);
}

static void test_decode_gray_jpeg(void **state)
{
	(void)state;
	uint8_t gray[8 * 8];
	for (int i = 0; i < 64; i++)
		gray[i] = (uint8_t)(i * 4);
	tjhandle tj = tjInitCompress();
	assert_non_null(tj);
	unsigned char *jpeg = NULL;
	unsigned long len = 0;
	assert_int_equal(tjCompress2(tj, gray, 8, 0, 8, TJPF_GRAY, &jpeg, &len, TJSAMP_GRAY, 100, 0), 0);
	tjDestroy(tj);
	face_image *img = NULL;
	assert_int_equal(face_decode(jpeg, len, &img), FACE_OK);
	tjFree(jpeg);
	for (int i = 0; i < 64; i++) {
		const uint8_t *p = img->rgb + i * 3;
		assert_int_equal(p[0], p[1]);
		assert_int_equal(p[1], p[2]);
		assert_true(abs((int)p[0] - i * 4) <= 3);
	}
	face_image_free(img);
}

static void decode_jpeg2000(bool jp2)
{
	size_t len;
	uint8_t *data = fx_jpeg2000(16, 12, jp2, &len);
	assert_non_null(data);
	face_image *img = NULL;
	assert_int_equal(face_decode(data, len, &img), FACE_OK);
	assert_int_equal(img->format, jp2 ? FACE_FORMAT_JP2 : FACE_FORMAT_J2K);
	assert_int_equal(img->width, 16);
	assert_int_equal(img->height, 12);
	unsigned max;
	double mean;
	compare(img, &max, &mean);
	assert_int_equal(max, 0);   /* encoded losslessly */
	face_image_free(img);
	free(data);
}

static void test_decode_jp2(void **state)
{
	(void)state;
	decode_jpeg2000(true);
}

static void test_decode_j2k(void **state)
{
	(void)state;
	decode_jpeg2000(false);
}

static void test_too_large(void **state)
{
	(void)state;
	size_t len;
	face_image *img = NULL;
	uint8_t *jpeg = fx_jpeg(FACE_MAX_DIM + 1, 8, &len);
	assert_non_null(jpeg);
	assert_int_equal(face_decode(jpeg, len, &img), FACE_ERR_TOO_LARGE);
	free(jpeg);
	uint8_t *j2k = fx_jpeg2000(8, FACE_MAX_DIM + 1, false, &len);
	assert_non_null(j2k);
	assert_int_equal(face_decode(j2k, len, &img), FACE_ERR_TOO_LARGE);
	free(j2k);
	assert_null(img);
}

static void test_garbage(void **state)
{
	(void)state;
	face_image *img = NULL;
	uint8_t junk[256];
	memset(junk, 0xA5, sizeof junk);
	memcpy(junk, "\xFF\xD8\xFF", 3);
	assert_int_equal(face_decode(junk, sizeof junk, &img), FACE_ERR_DECODE);
	memcpy(junk, "\xFF\x4F\xFF\x51", 4);
	assert_int_equal(face_decode(junk, sizeof junk, &img), FACE_ERR_DECODE);
	memcpy(junk, "\0\0\0\x0CjP  \r\n\x87\n", 12);
	assert_int_equal(face_decode(junk, sizeof junk, &img), FACE_ERR_DECODE);
	assert_int_equal(face_decode(junk + 1, 10, &img), FACE_ERR_FORMAT);
	assert_int_equal(face_decode(junk, 10, NULL), FACE_ERR_ARG);
	assert_null(img);
}

/* Every truncation of a valid image is refused or decoded, never read past;
 * one cut in the middle of the data must be refused. */
static void truncations(uint8_t *data, size_t len)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, data, n);
		face_image *img = NULL;
		face_err e = face_decode(p, n, &img);
		assert_true(e == FACE_OK || e == FACE_ERR_DECODE || e == FACE_ERR_FORMAT);
		if (e == FACE_OK)
			face_image_free(img);
		free(p);
	}
	free(data);
}

static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	uint8_t *data = fx_jpeg2000(16, 12, true, &len);
	assert_non_null(data);
	face_image *img = NULL;
	assert_int_equal(face_decode(data, len / 2, &img), FACE_ERR_DECODE);
	truncations(data, len);
	data = fx_jpeg2000(16, 12, false, &len);
	assert_non_null(data);
	assert_int_equal(face_decode(data, len / 2, &img), FACE_ERR_DECODE);
	truncations(data, len);
	data = fx_jpeg(16, 12, &len);
	assert_non_null(data);
	/* A JPEG cut inside its header cannot be decoded. */
	assert_int_equal(face_decode(data, 40, &img), FACE_ERR_DECODE);
	truncations(data, len);
	assert_null(img);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = FACE_OK; e <= FACE_ERR_UNSUPPORTED; e++)
		assert_string_not_equal(face_strerror((face_err)e), "unknown face image error");
	assert_non_null(strstr(face_strerror(FACE_ERR_DECODE), "cannot be decoded"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_decode_jpeg),
		cmocka_unit_test(test_decode_gray_jpeg),
		cmocka_unit_test(test_decode_jp2),
		cmocka_unit_test(test_decode_j2k),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
