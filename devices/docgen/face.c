/*
 * face — the face image for DG2: the persona's JPEG as stored, or its pixels
 * (decoded with libjpeg-turbo) re-encoded as JPEG 2000 in a JP2 container
 * with OpenJPEG, written to memory.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdlib.h>
#include <string.h>

#include <openjpeg.h>
#include <turbojpeg.h>

#include "crypto/buf.h"

/* An OpenJPEG output stream into a growable buffer (the JP2 writer seeks
 * back to patch box lengths, so this keeps a position). */
typedef struct mem_out {
	buf b;
	size_t pos;
} mem_out;

static OPJ_SIZE_T mem_write(void *data, OPJ_SIZE_T n, void *user)
{
	mem_out *m = user;
	if (m->pos + n > m->b.len) {
		size_t grow = m->pos + n - m->b.len;
		if (!buf_reserve(&m->b, grow))
			return (OPJ_SIZE_T)-1;
		memset(m->b.data + m->b.len, 0, grow);
		m->b.len += grow;
	}
	memcpy(m->b.data + m->pos, data, n);
	m->pos += n;
	return n;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user)
{
	mem_out *m = user;
	if (n < 0 && (size_t)-n > m->pos)
		return -1;
	m->pos = (size_t)((OPJ_OFF_T)m->pos + n);
	return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T n, void *user)
{
	mem_out *m = user;
	if (n < 0)
		return OPJ_FALSE;
	m->pos = (size_t)n;
	return OPJ_TRUE;
}

static void opj_quiet(const char *msg, void *user)
{
	(void)msg;
	(void)user;
}

static docgen_err encode_jp2(const uint8_t *rgb, int w, int h, uint8_t **ret, size_t *ret_len,
                             char *err, size_t errlen)
{
	docgen_err e = DOCGEN_ERR_IMAGE;
	opj_image_cmptparm_t cp[3];
	memset(cp, 0, sizeof cp);
	for (int c = 0; c < 3; c++) {
		cp[c].dx = cp[c].dy = 1;
		cp[c].w = (OPJ_UINT32)w;
		cp[c].h = (OPJ_UINT32)h;
		cp[c].prec = 8;
		cp[c].sgnd = 0;
	}
	opj_image_t *img = opj_image_create(3, cp, OPJ_CLRSPC_SRGB);
	opj_codec_t *codec = NULL;
	opj_stream_t *stream = NULL;
	mem_out out = { BUF_INIT, 0 };
	if (!img) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "cannot allocate a JPEG 2000 image");
		goto out;
	}
	img->x0 = img->y0 = 0;
	img->x1 = (OPJ_UINT32)w;
	img->y1 = (OPJ_UINT32)h;
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
		for (int c = 0; c < 3; c++)
			img->comps[c].data[i] = rgb[i * 3 + (size_t)c];

	opj_cparameters_t params;
	opj_set_default_encoder_parameters(&params);
	/* Lossy, about 20:1 as passports store faces in a few kilobytes. */
	params.tcp_numlayers = 1;
	params.tcp_rates[0] = 20;
	params.cp_disto_alloc = 1;
	params.tcp_mct = 1;
	codec = opj_create_compress(OPJ_CODEC_JP2);
	if (!codec) {
		docgen_fail(err, errlen, e, false, "cannot create the JPEG 2000 encoder");
		goto out;
	}
	opj_set_error_handler(codec, opj_quiet, NULL);
	opj_set_warning_handler(codec, opj_quiet, NULL);
	opj_set_info_handler(codec, opj_quiet, NULL);
	stream = opj_stream_default_create(OPJ_FALSE);
	if (!stream || !opj_setup_encoder(codec, &params, img)) {
		docgen_fail(err, errlen, e, false, "cannot set up the JPEG 2000 encoder");
		goto out;
	}
	opj_stream_set_user_data(stream, &out, NULL);
	opj_stream_set_write_function(stream, mem_write);
	opj_stream_set_skip_function(stream, mem_skip);
	opj_stream_set_seek_function(stream, mem_seek);
	if (!opj_start_compress(codec, img, stream) || !opj_encode(codec, stream) ||
	    !opj_end_compress(codec, stream) || !buf_ok(&out.b)) {
		docgen_fail(err, errlen, e, false, "JPEG 2000 encoding failed");
		goto out;
	}
	*ret = buf_steal(&out.b, ret_len);
	e = DOCGEN_OK;
out:
	buf_free(&out.b);
	if (stream)
		opj_stream_destroy(stream);
	if (codec)
		opj_destroy_codec(codec);
	if (img)
		opj_image_destroy(img);
	return e;
}

docgen_err docgen_face_image(const char *jpeg_path, docgen_face_format fmt,
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
	if (fmt == DOCGEN_FACE_JPEG) {
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
		e = encode_jp2(rgb, w, h, ret_data, ret_len, err, errlen);
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
