/*
 * face — the face image for DG2: the persona's JPEG as stored, or its pixels
 * (decoded with libjpeg-turbo) re-encoded, in memory, as JPEG 2000 in a JP2
 * container (crypto/lds's face_j2k_encode, on OpenJPEG) or as JPEG with
 * libjpeg-turbo. A size target is met by re-encoding (JPEG 2000: the
 * compression rate; JPEG: the quality), not by padding, so a large DG2 is a
 * large real image.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "crypto/lds/face-internal.h"

/* A face within this fraction of the size asked for is close enough. */
#define SIZE_TOLERANCE 0.10

static docgen_err encode_jp2(const uint8_t *rgb, int w, int h, float rate, uint8_t **ret,
                             size_t *ret_len, char *err, size_t errlen)
{
	face_err e = face_j2k_encode(rgb, (unsigned)w, (unsigned)h, FACE_FORMAT_JP2, rate, 0, ret, ret_len);
	if (e != FACE_OK)
		return docgen_fail(err, errlen, e == FACE_ERR_NOMEM ? DOCGEN_ERR_NOMEM : DOCGEN_ERR_IMAGE, false,
		                   "JPEG 2000 encoding failed: %s", face_strerror(e));
	return DOCGEN_OK;
}

/* JPEG 2000 of about `target` bytes: the codestream's size follows the
 * rate closely, so a few rescaled tries land within a percent or two. */
static docgen_err jp2_near(const uint8_t *rgb, int w, int h, size_t target, uint8_t **ret,
                           size_t *ret_len, char *err, size_t errlen)
{
	const double raw = (double)w * (double)h * 3.0;
	double rate = raw / (double)target;
	uint8_t *best = NULL;
	size_t best_len = 0;
	for (int attempt = 0; attempt < 6; attempt++) {
		if (rate < 1.0)
			rate = 1.0;
		uint8_t *img = NULL;
		size_t len = 0;
		docgen_err e = encode_jp2(rgb, w, h, (float)rate, &img, &len, err, errlen);
		if (e) {
			free(best);
			return e;
		}
		double off = ((double)len - (double)target) / (double)target;
		if (!best || (len > target ? len - target : target - len) <
		                     (best_len > target ? best_len - target : target - best_len)) {
			free(best);
			best = img;
			best_len = len;
		} else {
			free(img);
		}
		if (off > -0.02 && off < 0.02)
			break;
		rate *= (double)len / (double)target;
	}
	double off = ((double)best_len - (double)target) / (double)target;
	if (off < -SIZE_TOLERANCE || off > SIZE_TOLERANCE) {
		free(best);
		return docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false,
		                   "a %dx%d JPEG 2000 face cannot be made about %zu bytes (the nearest is %zu); "
		                   "ask for a smaller size",
		                   w, h, target, best_len);
	}
	*ret = best;
	*ret_len = best_len;
	return DOCGEN_OK;
}

/* JPEG of about `target` bytes: the quality whose size lands nearest, found
 * by bisection (size grows with quality). */
static docgen_err jpeg_near(const uint8_t *rgb, int w, int h, size_t target, uint8_t **ret,
                            size_t *ret_len, char *err, size_t errlen)
{
	tjhandle tj = tjInitCompress();
	if (!tj)
		return docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false, "cannot create the JPEG encoder");
	size_t sizes[101] = { 0 };
	docgen_err e = DOCGEN_OK;
	int lo = 1, hi = 100, q_fit = 0; /* q_fit: the best quality within target so far */
	while (lo <= hi && !e) {
		int q = (lo + hi) / 2;
		unsigned char *out = NULL;
		unsigned long len = 0;
		if (tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &len, TJSAMP_420, q, 0) != 0) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false, "JPEG encoding failed: %s",
			                tjGetErrorStr2(tj));
			break;
		}
		tjFree(out);
		sizes[q] = len;
		if (len <= target) {
			q_fit = q;
			lo = q + 1;
		} else {
			hi = q - 1;
		}
	}
	/* The neighbour just above target may be nearer than the one below. */
	int q = q_fit;
	if (!e && q_fit < 100 && sizes[q_fit + 1] &&
	    (q_fit == 0 || sizes[q_fit + 1] - target < target - sizes[q_fit]))
		q = q_fit + 1;
	if (!e && q == 0)
		q = 1;
	unsigned char *out = NULL;
	unsigned long len = 0;
	if (!e && tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &len, TJSAMP_420, q, 0) != 0)
		e = docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false, "JPEG encoding failed: %s",
		                tjGetErrorStr2(tj));
	if (!e) {
		double off = ((double)len - (double)target) / (double)target;
		if (off < -SIZE_TOLERANCE || off > SIZE_TOLERANCE)
			e = docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false,
			                "a %dx%d JPEG face cannot be made about %zu bytes (quality %d gives %lu)",
			                w, h, target, q, len);
	}
	if (!e) {
		*ret = malloc(len);
		if (!*ret)
			e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
		else {
			memcpy(*ret, out, len);
			*ret_len = len;
		}
	}
	tjFree(out);
	tjDestroy(tj);
	return e;
}

docgen_err docgen_face_image(const char *jpeg_path, docgen_face_format fmt, size_t target,
                             uint8_t **ret_data, size_t *ret_len,
                             int *ret_width, int *ret_height,
                             char *err, size_t errlen)
{
	uint8_t *jpeg = NULL;
	size_t jpeg_len = 0;
	docgen_err e = docgen_read_file(jpeg_path, &jpeg, &jpeg_len, err, errlen);
	if (e)
		return e;
	uint8_t *rgb = NULL;
	tjhandle tj = tjInitDecompress();
	int w = 0, h = 0, subsamp = 0, colorspace = 0;
	if (!tj || tjDecompressHeader3(tj, jpeg, (unsigned long)jpeg_len, &w, &h, &subsamp,
	                               &colorspace) != 0 || w <= 0 || h <= 0) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false, "%s is not a JPEG image",
		                jpeg_path);
		goto out;
	}
	if (fmt == DOCGEN_FACE_JPEG && target == 0) {
		*ret_data = jpeg;
		*ret_len = jpeg_len;
		jpeg = NULL;
	} else {
		rgb = malloc((size_t)w * (size_t)h * 3);
		if (!rgb) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
			goto out;
		}
		if (tjDecompress2(tj, jpeg, (unsigned long)jpeg_len, rgb, w, 0, h, TJPF_RGB, 0) != 0) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_IMAGE, false, "cannot decode %s: %s",
			                jpeg_path, tjGetErrorStr2(tj));
			goto out;
		}
		if (fmt == DOCGEN_FACE_JPEG)
			e = jpeg_near(rgb, w, h, target, ret_data, ret_len, err, errlen);
		else if (target)
			e = jp2_near(rgb, w, h, target, ret_data, ret_len, err, errlen);
		else /* lossy, about 20:1, as passports store faces in a few kilobytes */
			e = encode_jp2(rgb, w, h, 20.0f, ret_data, ret_len, err, errlen);
		if (e)
			goto out;
	}
	*ret_width = w;
	*ret_height = h;
	e = DOCGEN_OK;
out:
	if (tj)
		tjDestroy(tj);
	free(rgb);
	free(jpeg);
	return e;
}
