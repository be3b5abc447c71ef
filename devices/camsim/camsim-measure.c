/*
 * camsim-measure.c — one frame through the face pipeline (see
 * camsim-measure.h): detection, the best face's landmarks and eye state,
 * the quality checks, the head pose, the nose's place and the eyes'
 * aspect ratio.
 */
#include "camsim-measure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_FACES 4

static double eye_ratio(const fm_point *pt, int i)
{
	double w = hypot(pt[i].x - pt[i + 3].x, pt[i].y - pt[i + 3].y);
	if (!(w > 0))
		return 0;
	double a = hypot(pt[i + 1].x - pt[i + 5].x, pt[i + 1].y - pt[i + 5].y);
	double b = hypot(pt[i + 2].x - pt[i + 4].x, pt[i + 2].y - pt[i + 4].y);
	return (a + b) / (2 * w);
}

bool cs_measure(fm_models *m, const fm_image *img, cs_frame *ret, char *why, size_t why_len)
{
	cs_frame f;
	memset(&f, 0, sizeof f);
	fm_box boxes[MAX_FACES];
	fm_err e = fm_detect(m, img, boxes, MAX_FACES, &f.faces);
	fm_landmarks lm;
	float closed[2] = { 0, 0 };
	if (e == FM_OK && f.faces >= 1)
		e = fm_landmark(m, img, &boxes[0], &lm);
	if (e == FM_OK && f.faces >= 1)
		e = fm_eye_closed(m, img, &lm, closed);
	if (e != FM_OK) {
		snprintf(why, why_len, "face models: %s", fm_strerror(e));
		return false;
	}
	size_t n = f.faces < MAX_FACES ? f.faces : MAX_FACES;
	fq_err q = fq_assess(img, boxes, n, &lm, n >= 1 ? closed : NULL, &f.a);
	if (q != FQ_OK) {
		snprintf(why, why_len, "quality checks: %s", fq_strerror(q));
		return false;
	}
	f.top = fq_top_prompt(&f.a);
	f.pass = fq_all_pass(&f.a);
	if (f.faces >= 1) {
		const fm_point *pt = lm.pt;
		double pose[3] = { NAN, NAN, NAN };
		if (fq_head_pose(&lm, img->width, img->height, pose) != FQ_OK)
			pose[0] = pose[1] = pose[2] = NAN;
		f.yaw = pose[0];
		f.pitch = pose[1];
		f.roll = pose[2];
		double jaw = pt[16].x - pt[0].x;
		f.r = jaw > 0 ? (pt[30].x - pt[0].x) / jaw : NAN;
		f.ear = (eye_ratio(pt, 36) + eye_ratio(pt, 42)) / 2;
		f.eyes = hypot(lm.five[FM_FIVE_EYE_RIGHT].x - lm.five[FM_FIVE_EYE_LEFT].x,
		               lm.five[FM_FIVE_EYE_RIGHT].y - lm.five[FM_FIVE_EYE_LEFT].y);
	}
	*ret = f;
	return true;
}

void cs_frame_line(const cs_frame *f, char *out, size_t len)
{
	int n = snprintf(out, len, "faces %zu", f->faces);
	if (f->faces >= 1 && n >= 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n,
		              " at %3.0f,%3.0f eyes %5.1f yaw %6.1f pitch %6.1f roll %5.1f r %.3f ear %.3f",
		              (f->a.box.x1 + f->a.box.x2) / 2, (f->a.box.y1 + f->a.box.y2) / 2, f->eyes, f->yaw, f->pitch, f->roll, f->r, f->ear);
	if (n >= 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, " top %s", fq_prompt_id(f->top));
	for (int c = 0; c < FQ_CHECK_COUNT && n >= 0 && (size_t)n < len; c++)
		if (f->a.check[c].measured && !f->a.check[c].pass)
			n += snprintf(out + n, len - (size_t)n, " [%s %.2f]", fq_check_name((fq_check)c),
			              f->a.check[c].value);
}
