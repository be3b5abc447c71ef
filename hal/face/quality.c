/*
 * quality.c — the per-frame quality checks, the prompt guide, and the
 * portrait: choice of the best frame, the ISO full-frontal crop and its
 * JPEG sized by bisection on quality. See quality.h for the thresholds
 * and where they come from; the head pose is in quality-pose.cpp.
 *
 * Pixel work here is plain loops over BGR8: luma statistics on a few
 * rectangles and one 128x128 Laplacian per frame cost far less than the
 * networks that find the landmarks.
 */
#include "hal/face/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

const char *fq_strerror(fq_err e)
{
	switch (e) {
	case FQ_OK: return "success";
	case FQ_ERR_ARG: return "invalid argument";
	case FQ_ERR_NOMEM: return "out of memory";
	case FQ_ERR_POSE: return "the head pose could not be solved";
	case FQ_ERR_JPEG: return "the photo could not be encoded as JPEG";
	}
	return "unknown face quality error";
}

const char *fq_prompt_id(fq_prompt p)
{
	switch (p) {
	case FQ_PROMPT_NO_FACE: return "no-face";
	case FQ_PROMPT_ONE_PERSON: return "one-person";
	case FQ_PROMPT_MOVE_CLOSER: return "move-closer";
	case FQ_PROMPT_MOVE_BACK: return "move-back";
	case FQ_PROMPT_CENTRE: return "centre";
	case FQ_PROMPT_TOO_DARK: return "too-dark";
	case FQ_PROMPT_TOO_BRIGHT: return "too-bright";
	case FQ_PROMPT_LOOK_STRAIGHT: return "look-straight";
	case FQ_PROMPT_HEAD_LEVEL: return "head-level";
	case FQ_PROMPT_OPEN_EYES: return "open-eyes";
	case FQ_PROMPT_CLOSE_MOUTH: return "close-mouth";
	case FQ_PROMPT_EVEN_LIGHT: return "even-light";
	case FQ_PROMPT_PLAIN_BACKGROUND: return "plain-background";
	case FQ_PROMPT_HOLD_STILL: return "hold-still";
	case FQ_PROMPT_ALL_GOOD: return "all-good";
	case FQ_PROMPT_NONE: return "none";
	}
	return "none";
}

const char *fq_check_name(fq_check c)
{
	switch (c) {
	case FQ_CHECK_ONE_FACE: return "one face";
	case FQ_CHECK_EYE_DISTANCE: return "eye distance";
	case FQ_CHECK_HEAD_FITS: return "head fits";
	case FQ_CHECK_CENTRE: return "centre";
	case FQ_CHECK_EXPOSURE: return "exposure";
	case FQ_CHECK_CONTRAST: return "contrast";
	case FQ_CHECK_YAW: return "yaw";
	case FQ_CHECK_PITCH: return "pitch";
	case FQ_CHECK_ROLL: return "roll";
	case FQ_CHECK_EYES_OPEN: return "eyes open";
	case FQ_CHECK_MOUTH_CLOSED: return "mouth closed";
	case FQ_CHECK_EVEN_LIGHT: return "even light";
	case FQ_CHECK_BACKGROUND: return "background";
	case FQ_CHECK_SHARPNESS: return "sharpness";
	case FQ_CHECK_COUNT: break;
	}
	return "unknown";
}

/* ---- geometry and pixels ---- */

static const double rad = 3.14159265358979323846 / 180.0;

static double dist(fm_point a, fm_point b)
{
	return hypot((double)a.x - b.x, (double)a.y - b.y);
}

static fm_point mid(fm_point a, fm_point b)
{
	fm_point m = { (a.x + b.x) / 2, (a.y + b.y) / 2 };
	return m;
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double luma_at(const fm_image *img, int x, int y)
{
	const uint8_t *p = img->data + img->stride * (size_t)y + 3 * (size_t)x;
	return 0.114 * p[0] + 0.587 * p[1] + 0.299 * p[2];
}

/* Bilinear luma at a real position, the border repeated. */
static double luma_bilinear(const fm_image *img, double x, double y)
{
	x = x < 0 ? 0 : x > img->width - 1 ? img->width - 1 : x;
	y = y < 0 ? 0 : y > img->height - 1 ? img->height - 1 : y;
	int x0 = (int)x, y0 = (int)y;
	int x1 = x0 + 1 < img->width ? x0 + 1 : x0, y1 = y0 + 1 < img->height ? y0 + 1 : y0;
	double fx = x - x0, fy = y - y0;
	return (1 - fy) * ((1 - fx) * luma_at(img, x0, y0) + fx * luma_at(img, x1, y0)) +
	       fy * ((1 - fx) * luma_at(img, x0, y1) + fx * luma_at(img, x1, y1));
}

/* Running sums for a mean and a standard deviation. */
typedef struct stats {
	double n, s, ss;
} stats;

static void stats_add(stats *st, double v)
{
	st->n += 1;
	st->s += v;
	st->ss += v * v;
}

static double stats_mean(const stats *st)
{
	return st->n > 0 ? st->s / st->n : 0;
}

static double stats_sd(const stats *st)
{
	if (st->n < 2)
		return 0;
	double m = st->s / st->n, v = st->ss / st->n - m * m;
	return v > 0 ? sqrt(v) : 0;
}

/* Luma of the rectangle [x0, x1) x [y0, y1) clipped to the image, the
 * columns left of split into *left and the rest into *right (either may be
 * NULL), all into *all. */
static void rect_stats(const fm_image *img, double fx0, double fy0, double fx1, double fy1,
                       double split, stats *all, stats *left, stats *right)
{
	int x0 = clampi((int)floor(fx0), 0, img->width), x1 = clampi((int)ceil(fx1), 0, img->width);
	int y0 = clampi((int)floor(fy0), 0, img->height), y1 = clampi((int)ceil(fy1), 0, img->height);
	for (int y = y0; y < y1; y++) {
		for (int x = x0; x < x1; x++) {
			double v = luma_at(img, x, y);
			if (all)
				stats_add(all, v);
			if (x < split && left)
				stats_add(left, v);
			else if (x >= split && right)
				stats_add(right, v);
		}
	}
}

/* The face region of the exposure and lighting checks: between the jaw's
 * sides, from the brows to the chin. */
typedef struct rect {
	double x0, y0, x1, y1;
} rect;

static rect face_region(const fm_landmarks *lm)
{
	rect r = { lm->pt[0].x, lm->pt[17].y, lm->pt[0].x, lm->pt[8].y };
	for (int i = 0; i <= 16; i++) {
		r.x0 = fmin(r.x0, lm->pt[i].x);
		r.x1 = fmax(r.x1, lm->pt[i].x);
	}
	for (int i = 17; i <= 26; i++)
		r.y0 = fmin(r.y0, lm->pt[i].y);
	/* Keep to the skin: the jaw points sit on the outline. */
	double inset = 0.1 * (r.x1 - r.x0);
	r.x0 += inset;
	r.x1 -= inset;
	return r;
}

/* Variance of the 4-neighbour Laplacian of the box resampled to
 * FQ_SHARP_SIZE square (grey). */
static double sharpness(const fm_image *img, const fm_box *box)
{
	const int n = FQ_SHARP_SIZE;
	double side = fmax(box->x2 - box->x1, box->y2 - box->y1);
	double cx = (box->x1 + box->x2) / 2, cy = (box->y1 + box->y2) / 2;
	double step = side / n;
	float *g = malloc(sizeof *g * (size_t)n * (size_t)n);
	if (!g)
		return NAN;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++)
			g[y * n + x] = (float)luma_bilinear(img, cx - side / 2 + (x + 0.5) * step,
			                                    cy - side / 2 + (y + 0.5) * step);
	stats st = { 0, 0, 0 };
	for (int y = 1; y < n - 1; y++)
		for (int x = 1; x < n - 1; x++) {
			const float *p = g + y * n + x;
			stats_add(&st, (double)p[-1] + p[1] + p[-n] + p[n] - 4.0 * p[0]);
		}
	free(g);
	double sd = stats_sd(&st);
	return sd * sd;
}

/* Eye aspect ratio of the eye whose six points start at i (36 or 42). */
static double eye_ratio(const fm_point *pt, int i)
{
	double w = dist(pt[i], pt[i + 3]);
	if (!(w > 0))
		return 0;
	return (dist(pt[i + 1], pt[i + 5]) + dist(pt[i + 2], pt[i + 4])) / (2 * w);
}

double fq_eye_ratio(const fm_landmarks *lm)
{
	return (eye_ratio(lm->pt, 36) + eye_ratio(lm->pt, 42)) / 2;
}

static double mouth_ratio(const fm_point *pt)
{
	double w = dist(pt[60], pt[64]);
	if (!(w > 0))
		return 0;
	return (dist(pt[61], pt[67]) + dist(pt[62], pt[66]) + dist(pt[63], pt[65])) / (3 * w);
}

/* The portrait's corners in the frame (the inverse of
 * fq_portrait_transform on the output's corners). */
static void portrait_bounds(const fm_landmarks *lm, rect *ret)
{
	double t[6];
	fq_portrait_transform(lm, t);
	/* x' = a x - b y + tx; invert the similarity. */
	double a = t[0], b = t[3], k = a * a + b * b;
	double xs[4] = { 0, FQ_PORTRAIT_WIDTH, 0, FQ_PORTRAIT_WIDTH };
	double ys[4] = { 0, 0, FQ_PORTRAIT_HEIGHT, FQ_PORTRAIT_HEIGHT };
	rect r = { INFINITY, INFINITY, -INFINITY, -INFINITY };
	for (int i = 0; i < 4; i++) {
		double u = xs[i] - t[2], v = ys[i] - t[5];
		double x = (a * u + b * v) / k, y = (-b * u + a * v) / k;
		r.x0 = fmin(r.x0, x);
		r.y0 = fmin(r.y0, y);
		r.x1 = fmax(r.x1, x);
		r.y1 = fmax(r.y1, y);
	}
	*ret = r;
}

static void set(fq_result *r, double value, bool pass, fq_prompt prompt)
{
	r->measured = true;
	r->value = value;
	r->pass = pass;
	r->prompt = prompt;
}

/* ---- the checks ---- */

fq_err fq_assess(const fm_image *img, const fm_box *boxes, size_t n,
                 const fm_landmarks *lm, const float eye_closed[2], fq_assessment *ret)
{
	if (!img || !img->data || img->width <= 0 || img->height <= 0 ||
	    img->stride < (size_t)img->width * 3 || (n && !boxes) || (n == 1 && !lm) || !ret)
		return FQ_ERR_ARG;
	fq_assessment a;
	memset(&a, 0, sizeof a);
	static const fq_prompt prompt_of[FQ_CHECK_COUNT] = {
		[FQ_CHECK_ONE_FACE] = FQ_PROMPT_NO_FACE,
		[FQ_CHECK_EYE_DISTANCE] = FQ_PROMPT_MOVE_CLOSER,
		[FQ_CHECK_HEAD_FITS] = FQ_PROMPT_MOVE_BACK,
		[FQ_CHECK_CENTRE] = FQ_PROMPT_CENTRE,
		[FQ_CHECK_EXPOSURE] = FQ_PROMPT_TOO_DARK,
		[FQ_CHECK_CONTRAST] = FQ_PROMPT_TOO_DARK,
		[FQ_CHECK_YAW] = FQ_PROMPT_LOOK_STRAIGHT,
		[FQ_CHECK_PITCH] = FQ_PROMPT_LOOK_STRAIGHT,
		[FQ_CHECK_ROLL] = FQ_PROMPT_HEAD_LEVEL,
		[FQ_CHECK_EYES_OPEN] = FQ_PROMPT_OPEN_EYES,
		[FQ_CHECK_MOUTH_CLOSED] = FQ_PROMPT_CLOSE_MOUTH,
		[FQ_CHECK_EVEN_LIGHT] = FQ_PROMPT_EVEN_LIGHT,
		[FQ_CHECK_BACKGROUND] = FQ_PROMPT_PLAIN_BACKGROUND,
		[FQ_CHECK_SHARPNESS] = FQ_PROMPT_HOLD_STILL,
	};
	for (int c = 0; c < FQ_CHECK_COUNT; c++) {
		a.check[c].pass = true;
		a.check[c].prompt = prompt_of[c];
	}
	a.faces = n;
	set(&a.check[FQ_CHECK_ONE_FACE], (double)n, n == 1,
	    n == 0 ? FQ_PROMPT_NO_FACE : FQ_PROMPT_ONE_PERSON);
	if (n != 1) {
		*ret = a;
		return FQ_OK;
	}
	a.box = boxes[0];
	a.lm = *lm;
	const fm_point *pt = lm->pt;
	const fm_point *five = lm->five;
	double w = img->width, h = img->height;

	/* Size and place. */
	double eyes = dist(five[FM_FIVE_EYE_LEFT], five[FM_FIVE_EYE_RIGHT]);
	set(&a.check[FQ_CHECK_EYE_DISTANCE], eyes, eyes >= FQ_EYE_DISTANCE_MIN, FQ_PROMPT_MOVE_CLOSER);
	rect crop;
	portrait_bounds(lm, &crop);
	double fits = fmax((crop.x1 - crop.x0) / w, (crop.y1 - crop.y0) / h);
	set(&a.check[FQ_CHECK_HEAD_FITS], fits, fits <= 1.0, FQ_PROMPT_MOVE_BACK);
	fm_point eye_mid = mid(five[FM_FIVE_EYE_LEFT], five[FM_FIVE_EYE_RIGHT]);
	fm_point mouth_mid = mid(five[FM_FIVE_MOUTH_LEFT], five[FM_FIVE_MOUTH_RIGHT]);
	double off = fabs((eye_mid.x + mouth_mid.x) / 2 - w / 2) / w;
	/* The crop may leave the frame by 2% (landmark wobble) before the
	 * applicant is asked to move. */
	double slack = 0.02 * fmax(w, h);
	bool inside = crop.x0 >= -slack && crop.y0 >= -slack && crop.x1 <= w + slack &&
	              crop.y1 <= h + slack;
	set(&a.check[FQ_CHECK_CENTRE], off, off <= FQ_CENTRE_MAX && (inside || fits > 1.0),
	    FQ_PROMPT_CENTRE);

	/* Light on the face. */
	rect face = face_region(lm);
	double nose_x = (pt[27].x + pt[28].x + pt[29].x + pt[30].x) / 4;
	stats all = { 0, 0, 0 }, left = { 0, 0, 0 }, right = { 0, 0, 0 };
	rect_stats(img, face.x0, face.y0, face.x1, face.y1, nose_x, &all, &left, &right);
	double mean = stats_mean(&all), sd = stats_sd(&all);
	set(&a.check[FQ_CHECK_EXPOSURE], mean, mean >= FQ_LUMA_MIN && mean <= FQ_LUMA_MAX,
	    mean > FQ_LUMA_MAX ? FQ_PROMPT_TOO_BRIGHT : FQ_PROMPT_TOO_DARK);
	set(&a.check[FQ_CHECK_CONTRAST], sd, sd >= FQ_CONTRAST_MIN,
	    mean > 128 ? FQ_PROMPT_TOO_BRIGHT : FQ_PROMPT_TOO_DARK);
	double lm_ = stats_mean(&left), rm = stats_mean(&right);
	double uneven = fmax(lm_, rm) > 0 ? fabs(lm_ - rm) / fmax(lm_, rm) : 0;
	if (left.n > 0 && right.n > 0)
		set(&a.check[FQ_CHECK_EVEN_LIGHT], uneven, uneven <= FQ_UNEVEN_MAX, FQ_PROMPT_EVEN_LIGHT);

	/* Pose. */
	double pose[3];
	fq_err e = fq_head_pose(lm, img->width, img->height, pose);
	if (e == FQ_ERR_NOMEM)
		return e;
	a.roll_eyes = atan2((double)five[FM_FIVE_EYE_RIGHT].y - five[FM_FIVE_EYE_LEFT].y,
	                    (double)five[FM_FIVE_EYE_RIGHT].x - five[FM_FIVE_EYE_LEFT].x) / rad;
	if (e == FQ_OK) {
		set(&a.check[FQ_CHECK_YAW], pose[0], fabs(pose[0]) <= FQ_YAW_MAX, FQ_PROMPT_LOOK_STRAIGHT);
		set(&a.check[FQ_CHECK_PITCH], pose[1], fabs(pose[1]) <= FQ_PITCH_MAX, FQ_PROMPT_LOOK_STRAIGHT);
		set(&a.check[FQ_CHECK_ROLL], pose[2], fabs(pose[2]) <= FQ_ROLL_MAX, FQ_PROMPT_HEAD_LEVEL);
	} else {
		/* No pose: ask to look straight rather than pass it. */
		set(&a.check[FQ_CHECK_YAW], NAN, false, FQ_PROMPT_LOOK_STRAIGHT);
	}

	/* Eyes and mouth. */
	double ear = fq_eye_ratio(lm);
	bool open = ear >= FQ_EAR_MIN;
	if (eye_closed) {
		a.eye_model = true;
		a.eye_closed[0] = eye_closed[0];
		a.eye_closed[1] = eye_closed[1];
		if (ear < FQ_EAR_MIN + FQ_EAR_DOUBT && eye_closed[0] >= FQ_EYE_MODEL_CLOSED &&
		    eye_closed[1] >= FQ_EYE_MODEL_CLOSED)
			open = false;
	}
	set(&a.check[FQ_CHECK_EYES_OPEN], ear, open, FQ_PROMPT_OPEN_EYES);
	double mar = mouth_ratio(pt);
	set(&a.check[FQ_CHECK_MOUTH_CLOSED], mar, mar <= FQ_MAR_MAX, FQ_PROMPT_CLOSE_MOUTH);

	/* Background: above eye level, beside the head (jaw width grown by
	 * 40% on each side for hair and ears), and above the crown
	 * (estimated one eye-to-chin distance above the eyes, plus a third). */
	double jaw_w = pt[16].x - pt[0].x;
	double hx0 = pt[0].x - 0.4 * jaw_w, hx1 = pt[16].x + 0.4 * jaw_w;
	double crown = eye_mid.y - 1.35 * (pt[8].y - eye_mid.y);
	stats bg = { 0, 0, 0 };
	rect_stats(img, 0, 0, hx0, eye_mid.y, w, &bg, NULL, NULL);
	rect_stats(img, hx1, 0, w, eye_mid.y, w, &bg, NULL, NULL);
	rect_stats(img, fmax(hx0, 0), 0, fmin(hx1, w), crown, w, &bg, NULL, NULL);
	if (bg.n >= FQ_BACKGROUND_MIN_SHARE * w * h)
		set(&a.check[FQ_CHECK_BACKGROUND], stats_sd(&bg), stats_sd(&bg) <= FQ_BACKGROUND_SD_MAX,
		    FQ_PROMPT_PLAIN_BACKGROUND);

	double sharp = sharpness(img, &boxes[0]);
	if (isnan(sharp))
		return FQ_ERR_NOMEM;
	set(&a.check[FQ_CHECK_SHARPNESS], sharp, sharp >= FQ_SHARP_MIN, FQ_PROMPT_HOLD_STILL);
	*ret = a;
	return FQ_OK;
}

bool fq_all_pass(const fq_assessment *a)
{
	for (int c = 0; c < FQ_CHECK_COUNT; c++)
		if (!a->check[c].pass)
			return false;
	return true;
}

fq_prompt fq_top_prompt(const fq_assessment *a)
{
	fq_prompt top = FQ_PROMPT_ALL_GOOD;
	for (int c = 0; c < FQ_CHECK_COUNT; c++)
		if (!a->check[c].pass && a->check[c].prompt < top)
			top = a->check[c].prompt;
	return top;
}

/* ---- the guide ---- */

void fq_guide_init(fq_guide *g, unsigned k)
{
	g->shown = FQ_PROMPT_NONE;
	g->candidate = FQ_PROMPT_NONE;
	g->run = 0;
	g->k = k < 2 ? 2 : k;
}

fq_prompt fq_guide_update(fq_guide *g, fq_prompt top)
{
	if (top == g->candidate) {
		if (g->run < g->k)
			g->run++;
	} else {
		g->candidate = top;
		g->run = 1;
	}
	if (g->run >= g->k)
		g->shown = g->candidate;
	return g->shown;
}

/* ---- capture ---- */

long fq_choose_best(const fq_assessment *a, size_t n)
{
	long best = -1;
	double best_score = -1;
	for (size_t i = 0; a && i < n; i++) {
		if (!fq_all_pass(&a[i]))
			continue;
		const fq_result *c = a[i].check;
		double turn = fabs(c[FQ_CHECK_YAW].value) + fabs(c[FQ_CHECK_PITCH].value) +
		              fabs(c[FQ_CHECK_ROLL].value);
		double score = c[FQ_CHECK_SHARPNESS].value / (1 + turn / 10);
		if (score > best_score) {
			best_score = score;
			best = (long)i;
		}
	}
	return best;
}

void fq_portrait_transform(const fm_landmarks *lm, double ret[6])
{
	const fm_point *five = lm->five;
	fm_point el = five[FM_FIVE_EYE_LEFT], er = five[FM_FIVE_EYE_RIGHT];
	double angle = atan2((double)er.y - el.y, (double)er.x - el.x);
	double head = dist(lm->pt[0], lm->pt[16]);
	if (!(head > 1))
		head = 1;
	double s = FQ_HEAD_SHARE * FQ_PORTRAIT_WIDTH / head;
	double a = s * cos(-angle), b = s * sin(-angle);
	/* The face's vertical axis passes through the middle of the eyes
	 * and of the mouth (19794-5's line AA); its point at eye level goes
	 * to the middle of the portrait's eye line. */
	fm_point em = mid(el, er);
	fm_point mm = mid(five[FM_FIVE_MOUTH_LEFT], five[FM_FIVE_MOUTH_RIGHT]);
	double cx = (em.x + mm.x) / 2, cy = em.y;
	fm_similarity_matrix(a, b, cx, cy, FQ_PORTRAIT_WIDTH / 2.0, FQ_PORTRAIT_HEIGHT * (1 - FQ_EYE_FROM_BOTTOM), ret);
}

fq_err fq_portrait(const fm_image *img, const fm_landmarks *lm, fm_image *ret)
{
	if (!img || !img->data || img->width <= 0 || img->height <= 0 || !lm || !ret)
		return FQ_ERR_ARG;
	double t[6];
	fq_portrait_transform(lm, t);
	double a = t[0], b = t[3], k = a * a + b * b;
	if (!(k > 0))
		return FQ_ERR_ARG;
	size_t stride = (size_t)FQ_PORTRAIT_WIDTH * 3;
	uint8_t *out = malloc(stride * FQ_PORTRAIT_HEIGHT);
	if (!out)
		return FQ_ERR_NOMEM;
	for (int y = 0; y < FQ_PORTRAIT_HEIGHT; y++) {
		for (int x = 0; x < FQ_PORTRAIT_WIDTH; x++) {
			/* Pixel centres: the inverse similarity of (x, y). */
			double u = x - t[2], v = y - t[5];
			double sx = (a * u + b * v) / k, sy = (-b * u + a * v) / k;
			sx = sx < 0 ? 0 : sx > img->width - 1 ? img->width - 1 : sx;
			sy = sy < 0 ? 0 : sy > img->height - 1 ? img->height - 1 : sy;
			int x0 = (int)sx, y0 = (int)sy;
			int x1 = x0 + 1 < img->width ? x0 + 1 : x0;
			int y1 = y0 + 1 < img->height ? y0 + 1 : y0;
			double fx = sx - x0, fy = sy - y0;
			const uint8_t *p00 = img->data + img->stride * (size_t)y0 + 3 * (size_t)x0;
			const uint8_t *p01 = img->data + img->stride * (size_t)y0 + 3 * (size_t)x1;
			const uint8_t *p10 = img->data + img->stride * (size_t)y1 + 3 * (size_t)x0;
			const uint8_t *p11 = img->data + img->stride * (size_t)y1 + 3 * (size_t)x1;
			uint8_t *q = out + stride * (size_t)y + 3 * (size_t)x;
			for (int c = 0; c < 3; c++) {
				double v0 = (1 - fx) * p00[c] + fx * p01[c];
				double v1 = (1 - fx) * p10[c] + fx * p11[c];
				q[c] = (uint8_t)lround((1 - fy) * v0 + fy * v1);
			}
		}
	}
	ret->data = out;
	ret->width = FQ_PORTRAIT_WIDTH;
	ret->height = FQ_PORTRAIT_HEIGHT;
	ret->stride = stride;
	return FQ_OK;
}

/* One encoding at quality q into *buf (reused between calls: turbojpeg
 * grows it as needed). */
static int encode(tjhandle tj, const fm_image *img, int q, unsigned char **buf,
                  unsigned long *len)
{
	return tjCompress2(tj, img->data, img->width, (int)img->stride, img->height, TJPF_BGR,
	                   buf, len, TJSAMP_420, q, 0);
}

fq_err fq_jpeg(const fm_image *img, size_t max, uint8_t **ret, size_t *len, int *quality)
{
	if (!img || !img->data || img->width <= 0 || img->height <= 0 || !ret || !len || !quality)
		return FQ_ERR_ARG;
	tjhandle tj = tjInitCompress();
	if (!tj)
		return FQ_ERR_NOMEM;
	fq_err e = FQ_OK;
	unsigned char *buf = NULL;
	unsigned long blen = 0;
	/* Size grows with quality: bisect for the highest q in [5, 95]
	 * whose size is at most max (lo always fits, or is 5). */
	int lo = 5, hi = 95;
	if (encode(tj, img, hi, &buf, &blen) == 0 && blen <= max) {
		lo = hi;
	} else {
		while (hi - lo > 1) {
			int m = (lo + hi) / 2;
			if (encode(tj, img, m, &buf, &blen) != 0) {
				e = FQ_ERR_JPEG;
				goto out_free_buffer;
			}
			if (blen <= max)
				lo = m;
			else
				hi = m;
		}
	}
	if (encode(tj, img, lo, &buf, &blen) != 0) {
		e = FQ_ERR_JPEG;
		goto out_free_buffer;
	}
	uint8_t *copy = malloc(blen);
	if (!copy) {
		e = FQ_ERR_NOMEM;
		goto out_free_buffer;
	}
	memcpy(copy, buf, blen);
	*ret = copy;
	*len = blen;
	*quality = lo;
out_free_buffer:
	tjFree(buf);
	tjDestroy(tj);
	return e;
}
