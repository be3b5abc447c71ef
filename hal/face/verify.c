/*
 * verify.c — fv_enroll and fv_compare over fm's networks: detect, pick
 * the one face, landmarks, five points, aligned embedding, cosine. Plain
 * C: OpenCV stays behind fm.h.
 */
#include "hal/face/verify.h"

#include <string.h>

const char *fv_strerror(fv_err e)
{
	switch (e) {
	case FV_OK: return "success";
	case FV_ERR_ARG: return "invalid argument";
	case FV_ERR_NOMEM: return "out of memory";
	case FV_ERR_NO_FACE: return "no face found";
	case FV_ERR_MANY_FACES: return "more than one face found";
	case FV_ERR_MODEL: return "a face network failed";
	}
	return "unknown verification error";
}

static fv_err from_fm(fm_err e, fm_err *ret_fm)
{
	if (e == FM_OK)
		return FV_OK;
	if (ret_fm)
		*ret_fm = e;
	switch (e) {
	case FM_ERR_ARG: return FV_ERR_ARG;
	case FM_ERR_NOMEM: return FV_ERR_NOMEM;
	case FM_OK:
	case FM_ERR_MODEL_MISSING:
	case FM_ERR_MODEL_CORRUPT:
	case FM_ERR_IMAGE:
	case FM_ERR_INFERENCE:
		break;
	}
	return FV_ERR_MODEL;
}

#define MAX_FACES 8

size_t fv_count_faces(const fm_box *boxes, size_t n)
{
	if (!boxes || n == 0)
		return 0;
	size_t count = 1;
	float h0 = boxes[0].y2 - boxes[0].y1;
	for (size_t i = 1; i < n; i++)
		if (boxes[i].y2 - boxes[i].y1 >= FV_SECOND_FACE_RATIO * h0)
			count++;
	return count;
}

fv_err fv_embed_one(fm_models *m, const fm_image *img, float ret[FM_EMBEDDING], fm_box *ret_box,
                    fm_err *ret_fm)
{
	if (!m || !img || !ret)
		return FV_ERR_ARG;
	fm_box boxes[MAX_FACES];
	size_t n = 0;
	fv_err e = from_fm(fm_detect(m, img, boxes, MAX_FACES, &n), ret_fm);
	if (e != FV_OK)
		return e;
	if (n == 0)
		return FV_ERR_NO_FACE;
	/* A second face of comparable size makes it ambiguous whose face
	 * this is. */
	if (fv_count_faces(boxes, n < MAX_FACES ? n : MAX_FACES) > 1)
		return FV_ERR_MANY_FACES;
	fm_landmarks lm;
	e = from_fm(fm_landmark(m, img, &boxes[0], &lm), ret_fm);
	if (e != FV_OK)
		return e;
	float emb[FM_EMBEDDING];
	e = from_fm(fm_embed(m, img, lm.five, emb), ret_fm);
	if (e != FV_OK)
		return e;
	memcpy(ret, emb, sizeof(emb));
	if (ret_box)
		*ret_box = boxes[0];
	return FV_OK;
}

fv_err fv_enroll(fm_models *m, const fm_image *chip, fv_reference *ret, fm_err *ret_fm)
{
	if (!ret)
		return FV_ERR_ARG;
	fv_reference r;
	fv_err e = fv_embed_one(m, chip, r.embedding, &r.box, ret_fm);
	if (e == FV_OK)
		*ret = r;
	return e;
}

fv_err fv_compare(fm_models *m, const fv_reference *ref, const fm_image *live, fv_result *ret,
                  fm_err *ret_fm)
{
	if (!ref || !ret)
		return FV_ERR_ARG;
	float emb[FM_EMBEDDING];
	fv_result r;
	fv_err e = fv_embed_one(m, live, emb, &r.box, ret_fm);
	if (e != FV_OK)
		return e;
	r.score = fm_cosine(ref->embedding, emb, FM_EMBEDDING);
	r.match = r.score >= FV_THRESHOLD;
	*ret = r;
	return FV_OK;
}
