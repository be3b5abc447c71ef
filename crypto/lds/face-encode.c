/*
 * face-encode — an RGB picture as JPEG 2000 (see face-internal.h), for the
 * makers of test faces: the document factory (devices/docgen) and the LDS
 * test fixtures. A file of its own so that only what encodes links it;
 * appm decodes and never pulls it in.
 */
#include "crypto/lds/face-internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

face_err face_j2k_encode(const uint8_t *rgb, unsigned w, unsigned h, face_format format, float rate,
                         unsigned resolutions, uint8_t **ret, size_t *ret_len)
{
	if (!rgb || w == 0 || h == 0 || !ret || !ret_len ||
	    (format != FACE_FORMAT_JP2 && format != FACE_FORMAT_J2K))
		return FACE_ERR_ARG;
	opj_image_cmptparm_t cp[3];
	memset(cp, 0, sizeof cp);
	for (int c = 0; c < 3; c++) {
		cp[c].dx = cp[c].dy = 1;
		cp[c].w = w;
		cp[c].h = h;
		cp[c].prec = 8;
	}
	opj_image_t *im = opj_image_create(3, cp, OPJ_CLRSPC_SRGB);
	if (!im)
		return FACE_ERR_NOMEM;
	im->x1 = w;
	im->y1 = h;
	for (size_t i = 0; i < (size_t)w * h; i++)
		for (int c = 0; c < 3; c++)
			im->comps[c].data[i] = rgb[i * 3 + (size_t)c];

	opj_cparameters_t params;
	opj_set_default_encoder_parameters(&params);
	params.tcp_numlayers = 1;
	params.tcp_rates[0] = rate;
	params.cp_disto_alloc = 1;
	params.tcp_mct = 1;   /* RGB to YCC first, as opj_compress does for 3 components */
	if (resolutions)
		params.numresolution = (int)resolutions;

	face_err e = FACE_ERR_ENCODE;
	crypto_buf out = CRYPTO_BUF_INIT;
	opj_stream_t *st = NULL;
	opj_codec_t *codec = opj_create_compress(format == FACE_FORMAT_JP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	if (!codec) {
		e = FACE_ERR_NOMEM;
		goto out_image;
	}
	face_opj_quiet(codec);
	st = face_opj_writer(&out);
	if (!st) {
		e = FACE_ERR_NOMEM;
		goto out_codec;
	}
	if (!opj_setup_encoder(codec, &params, im) || !opj_start_compress(codec, im, st) ||
	    !opj_encode(codec, st) || !opj_end_compress(codec, st))
		goto out_stream;
	if (!buf_ok(&out)) {
		e = FACE_ERR_NOMEM;
		goto out_stream;
	}
	*ret = buf_steal(&out, ret_len);
	e = FACE_OK;

out_stream:
	opj_stream_destroy(st);
out_codec:
	opj_destroy_codec(codec);
out_image:
	opj_image_destroy(im);
	buf_free(&out);
	return e;
}
