/*
 * test-face — face image decoding: JPEG, JP2 and J2K images encoded by the
 * fixtures are decoded back to the pixels that were encoded; absurd sizes,
 * unknown formats, garbage and every truncation fail cleanly; a header that
 * declares a huge image is refused before the decoder takes memory for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "crypto/lds/face.h"
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

/* Issue 14's reproducer: a 112-byte J2K codestream whose SIZ declares a
 * 1 x 76682 image in 1 x 6 tiles (12781 of them). OpenJPEG allocated
 * 115 MB for its tiles while reading this header. */
static const uint8_t huge_j2k[112] = {
	0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00, /* SOC; SIZ, Lsiz 41, Rsiz */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x2B, 0x8A, /* Xsiz 1, Ysiz 76682 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* XOsiz, YOsiz */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, /* XTsiz 1, YTsiz 6 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* XTOsiz, YTOsiz */
	0x00, 0x01, 0x07, 0x01, 0x01,                   /* one 8-bit component */
	0xFF, 0x52, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01, /* COD */
	0x00, 0x04, 0x04, 0x04, 0x00, 0x01,
	0xFF, 0x5C, 0x00, 0x10, 0x40, 0x48, 0x48, 0x48, /* QCD */
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
	0xFF, 0x90, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, /* SOT */
	0x00, 0x00, 0x00, 0x01, 0xFF, 0x93, 0x00, 0x00, /* SOD */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xFF, 0xD9,                               /* EOC */
};

/* The largest resident size this process has had, in KB. */
static long max_rss_kb(void)
{
	struct rusage u;
	return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : -1;
}

/* Decodes data in a child process: the result must be `want`, and the
 * child's peak memory must not grow by more than 16 MB doing it. */
static void decode_in_child(const uint8_t *data, size_t len, face_err want)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long before = max_rss_kb();
		face_image *img = NULL;
		face_err e = face_decode(data, len, &img);
		long grown = max_rss_kb() - before;
		face_image_free(img);
		if (e != want) {
			fprintf(stderr, "decoded to \"%s\", expected \"%s\"\n", face_strerror(e), face_strerror(want));
			_exit(1);
		}
		if (before < 0 || grown > 16 * 1024) {
			fprintf(stderr, "decoding took %ld KB more memory\n", grown);
			_exit(2);
		}
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_huge_declared_j2k(void **state)
{
	(void)state;
	assert_int_equal(sizeof huge_j2k, 112);
	decode_in_child(huge_j2k, sizeof huge_j2k, FACE_ERR_TOO_LARGE);
	face_image *img = NULL;
	assert_int_equal(face_decode(huge_j2k, sizeof huge_j2k, &img), FACE_ERR_TOO_LARGE);
	assert_null(img);
}

/* The same codestream in a JP2 file whose image header box says 16 x 12:
 * the codestream's own header is what counts. */
static void test_huge_declared_jp2(void **state)
{
	(void)state;
	static const uint8_t head[] = {
		0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A,
		0x00, 0x00, 0x00, 0x14, 'f', 't', 'y', 'p', 'j', 'p', '2', ' ', 0, 0, 0, 0, 'j', 'p', '2', ' ',
		0x00, 0x00, 0x00, 0x2D, 'j', 'p', '2', 'h',
		0x00, 0x00, 0x00, 0x16, 'i', 'h', 'd', 'r', 0, 0, 0, 12, 0, 0, 0, 16, 0, 1, 7, 7, 0, 0,
		0x00, 0x00, 0x00, 0x0F, 'c', 'o', 'l', 'r', 1, 0, 0, 0, 0, 0, 17,
		0x00, 0x00, 0x00, 0x78, 'j', 'p', '2', 'c',
	};
	uint8_t jp2[sizeof head + sizeof huge_j2k];
	memcpy(jp2, head, sizeof head);
	memcpy(jp2 + sizeof head, huge_j2k, sizeof huge_j2k);
	decode_in_child(jp2, sizeof jp2, FACE_ERR_TOO_LARGE);
	/* And the image header box's own size is checked. */
	jp2[49] = 0x01;   /* HEIGHT 65548 */
	face_image *img = NULL;
	assert_int_equal(face_decode(jp2, sizeof jp2, &img), FACE_ERR_TOO_LARGE);
	assert_null(img);
}

/* A small image cut into one tile per pixel is refused too: OpenJPEG's
 * memory goes with the number of tiles. */
static void test_too_many_tiles(void **state)
{
	(void)state;
	uint8_t j2k[sizeof huge_j2k];
	memcpy(j2k, huge_j2k, sizeof j2k);
	j2k[11] = 64;              /* Xsiz 64 */
	j2k[12] = j2k[13] = 0;     /* Ysiz 64 */
	j2k[14] = 0;
	j2k[15] = 64;
	j2k[31] = 1;               /* YTsiz 1: 4096 tiles */
	decode_in_child(j2k, sizeof j2k, FACE_ERR_TOO_LARGE);
}

/* FACE_MAX_PIXELS holds even when each side is within FACE_MAX_DIM: a
 * JPEG whose frame header is changed to say 4096 x 2048. */
static void test_too_many_pixels(void **state)
{
	(void)state;
	size_t len;
	uint8_t *jpeg = fx_jpeg(16, 12, &len);
	assert_non_null(jpeg);
	size_t sof = 0;
	for (size_t i = 2; i + 9 < len && !sof; i++)
		if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2))
			sof = i;
	assert_true(sof > 0);
	jpeg[sof + 5] = 0x08;      /* height 2048 */
	jpeg[sof + 6] = 0x00;
	jpeg[sof + 7] = 0x10;      /* width 4096 */
	jpeg[sof + 8] = 0x00;
	face_image *img = NULL;
	assert_int_equal(face_decode(jpeg, len, &img), FACE_ERR_TOO_LARGE);
	assert_null(img);
	free(jpeg);
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
	for (int e = FACE_OK; e <= FACE_ERR_ENCODE; e++)
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
		cmocka_unit_test(test_huge_declared_j2k),
		cmocka_unit_test(test_huge_declared_jp2),
		cmocka_unit_test(test_too_many_tiles),
		cmocka_unit_test(test_too_many_pixels),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
