/*
 * fm.c — the pure parts of the face module: error words, the five points
 * from 68, the least-squares similarity alignment and cosine similarity.
 * No OpenCV here, so these are tested on their own.
 */
#include "hal/face/fm.h"

#include <math.h>

const char *fm_strerror(fm_err e)
{
	switch (e) {
	case FM_OK: return "success";
	case FM_ERR_ARG: return "invalid argument";
	case FM_ERR_NOMEM: return "out of memory";
	case FM_ERR_MODEL_MISSING: return "a face model file is missing";
	case FM_ERR_MODEL_CORRUPT: return "a face model file is corrupt";
	case FM_ERR_IMAGE: return "the image could not be read";
	case FM_ERR_INFERENCE: return "a face network failed to run";
	}
	return "unknown face error";
}

const char *const fm_model_files[] = {
	"fr_detect.onnx",
	"fr_landmark.onnx",
	"fr_feature.onnx",
	"fr_eye.onnx",
	"fr_liveness.onnx",
	NULL,
};

/* ArcFace's reference points for a 112x112 crop, which the package's
 * feature model was trained on (the package's REFERENCE_FACIAL_POINTS). */
const fm_point fm_template_112[FM_FIVE] = {
	{ 38.2946f, 51.6963f },
	{ 73.5318f, 51.5014f },
	{ 56.0252f, 71.7366f },
	{ 41.5493f, 92.3655f },
	{ 70.7299f, 92.2041f },
};

static fm_point mean_of(const fm_point *pt, const int *idx, int n)
{
	fm_point m = { 0, 0 };
	for (int i = 0; i < n; i++) {
		m.x += pt[idx[i]].x;
		m.y += pt[idx[i]].y;
	}
	m.x /= (float)n;
	m.y /= (float)n;
	return m;
}

void fm_five_from_68(const fm_point pt[FM_LANDMARKS], fm_point ret[FM_FIVE])
{
	/* Lid points only: the eye corners (36, 39, 42, 45) move less than
	 * the centre with gaze but bias it towards the wider corner. */
	static const int eye_l[] = { 37, 38, 40, 41 };
	static const int eye_r[] = { 43, 44, 46, 47 };
	static const int mouth_l[] = { 48, 60 };
	static const int mouth_r[] = { 54, 64 };
	ret[FM_FIVE_EYE_LEFT] = mean_of(pt, eye_l, 4);
	ret[FM_FIVE_EYE_RIGHT] = mean_of(pt, eye_r, 4);
	ret[FM_FIVE_NOSE] = pt[30];
	ret[FM_FIVE_MOUTH_LEFT] = mean_of(pt, mouth_l, 2);
	ret[FM_FIVE_MOUTH_RIGHT] = mean_of(pt, mouth_r, 2);
}

fm_err fm_similarity_fit(const fm_point *from, const fm_point *to, size_t n,
                             double ret[6])
{
	if (!from || !to || !ret || n < 2)
		return FM_ERR_ARG;
	double fx = 0, fy = 0, tx = 0, ty = 0;
	for (size_t i = 0; i < n; i++) {
		fx += from[i].x;
		fy += from[i].y;
		tx += to[i].x;
		ty += to[i].y;
	}
	fx /= (double)n;
	fy /= (double)n;
	tx /= (double)n;
	ty /= (double)n;
	/* With p = from - mean, q = to - mean, the least-squares a, b of
	 * q = [a -b; b a] p are these ratios (the 2-D case of Umeyama). */
	double pp = 0, dot = 0, cross = 0;
	for (size_t i = 0; i < n; i++) {
		double px = from[i].x - fx, py = from[i].y - fy;
		double qx = to[i].x - tx, qy = to[i].y - ty;
		pp += px * px + py * py;
		dot += px * qx + py * qy;
		cross += px * qy - py * qx;
	}
	if (!(pp > 1e-9) || !isfinite(pp))
		return FM_ERR_ARG;
	fm_similarity_matrix(dot / pp, cross / pp, fx, fy, tx, ty, ret);
	return FM_OK;
}

void fm_similarity_matrix(double a, double b, double fx, double fy, double tx, double ty, double ret[6])
{
	ret[0] = a;
	ret[1] = -b;
	ret[2] = tx - (a * fx - b * fy);
	ret[3] = b;
	ret[4] = a;
	ret[5] = ty - (b * fx + a * fy);
}

float fm_cosine(const float *a, const float *b, size_t n)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t i = 0; i < n; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	if (aa <= 0 || bb <= 0)
		return 0.0f;
	return (float)(ab / sqrt(aa * bb));
}
