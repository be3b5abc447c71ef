/*
 * step.c — the camera step's rules (step.h): guide, capture, challenge,
 * decision. Plain C over fm.h, quality.h and verify.h.
 */
#include "hal/face/step.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *fs_strerror(fs_err e)
{
	switch (e) {
	case FS_OK: return "success";
	case FS_ERR_ARG: return "invalid argument";
	case FS_ERR_NOMEM: return "out of memory";
	case FS_ERR_MODEL: return "a face network failed";
	case FS_ERR_DONE: return "the step has already decided";
	}
	return "unknown face step error";
}

static const char *const challenge_ids[] = {
	[FS_CHALLENGE_RANDOM] = "random",
	[FS_CHALLENGE_TURN_LEFT] = "turn-left",
	[FS_CHALLENGE_TURN_RIGHT] = "turn-right",
	[FS_CHALLENGE_BLINK] = "blink",
};

const char *fs_challenge_id(fs_challenge c)
{
	return (unsigned)c < sizeof(challenge_ids) / sizeof(*challenge_ids) ? challenge_ids[c] : "unknown";
}

bool fs_challenge_parse(const char *id, fs_challenge *ret)
{
	for (unsigned i = 0; id && i < sizeof(challenge_ids) / sizeof(*challenge_ids); i++)
		if (strcmp(id, challenge_ids[i]) == 0) {
			*ret = (fs_challenge)i;
			return true;
		}
	return false;
}

const char *fs_phase_id(fs_phase p)
{
	switch (p) {
	case FS_PHASE_GUIDE: return "guide";
	case FS_PHASE_CHALLENGE: return "challenge";
	case FS_PHASE_DONE: return "done";
	}
	return "unknown";
}

const char *fs_decision_id(fs_decision d)
{
	switch (d) {
	case FS_PENDING: return "pending";
	case FS_VERIFIED: return "verified";
	case FS_NO_MATCH: return "no-match";
	case FS_NOT_LIVE: return "not-live";
	case FS_NO_CAPTURE: return "no-capture";
	case FS_CAPTURED: return "captured";
	}
	return "unknown";
}

fs_config fs_config_default(void)
{
	return (fs_config){ .challenge = FS_CHALLENGE_RANDOM, .delay_us = -1 };
}

/* ---- the motion rules ---- */

double fs_nose_ratio(const fm_landmarks *lm)
{
	double w = (double)lm->pt[16].x - lm->pt[0].x;
	if (!(fabs(w) > 1))
		return 0.5;
	return ((double)lm->pt[30].x - lm->pt[0].x) / w;
}

double fs_eye_ratio(const fm_landmarks *lm)
{
	return fq_eye_ratio(lm);
}

void fs_motion_init(fs_motion *m, fs_challenge asked, double nose0, double eye0)
{
	*m = (fs_motion){ .asked = asked, .nose0 = nose0, .eye0 = eye0, .peak = asked == FS_CHALLENGE_BLINK ? eye0 : 0 };
}

bool fs_motion_moving(double nose0, double nose, double eye0, double eye)
{
	return fabs(nose - nose0) >= FS_TURN_MIN || eye < FS_BLINK_LOW * eye0;
}

fs_motion_state fs_motion_feed(fs_motion *m, double nose, double eye)
{
	if (m->state == FS_MOTION_ANSWERED || m->state == FS_MOTION_WRONG)
		return m->state;
	if (m->asked == FS_CHALLENGE_BLINK) {
		if (eye < m->peak)
			m->peak = eye;
		if (m->state == FS_MOTION_WAITING && eye < FS_BLINK_LOW * m->eye0)
			m->state = FS_MOTION_MOVED;
		else if (m->state == FS_MOTION_MOVED && eye >= FS_BLINK_OPEN * m->eye0)
			m->state = FS_MOTION_ANSWERED;
		return m->state;
	}
	/* Towards the side asked is positive: the applicant's left is the
	 * nose moving to the image's right (step.h). */
	double d = m->asked == FS_CHALLENGE_TURN_LEFT ? nose - m->nose0 : m->nose0 - nose;
	if (d > m->peak)
		m->peak = d;
	if (m->state == FS_MOTION_WAITING) {
		if (d >= FS_TURN_MIN)
			m->state = FS_MOTION_MOVED;
		else if (-d >= FS_TURN_MIN)
			m->state = FS_MOTION_WRONG;
	} else if (fabs(d) <= FS_BACK_MAX) {
		m->state = FS_MOTION_ANSWERED;
	}
	return m->state;
}

/* ---- the step ---- */

#define WINDOW_MAX 64 /* frames kept of the capture window's figures */

struct fs_step {
	fm_models *m;
	const fv_reference *ref;
	fs_config cfg;
	uint32_t rng;

	fs_phase phase;
	fs_result res;
	fq_guide guide;
	int64_t t_first, t_last;
	bool started;

	/* GUIDE: the capture window */
	bool window;
	int64_t t_window;
	fm_image best;            /* a copy of the best frame so far */
	fq_assessment best_a;
	double nose_w[WINDOW_MAX], eye_w[WINDOW_MAX];
	size_t n_w;
	float live_sum;
	unsigned live_n;
	uint8_t *jpeg;

	/* CHALLENGE */
	int64_t t_captured, t_pause, delay, t_asked;
	bool asked;
	fs_motion motion;
	int64_t t_face;           /* the face last seen */
	double face_cx, face_w;
};

static uint32_t next_random(fs_step *s)
{
	/* xorshift32: the choice need not be secret from the applicant, only
	 * unpredictable to a clip recorded beforehand. */
	uint32_t x = s->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->rng = x;
}

/* The next attempt's challenge and pause. */
static void draw(fs_step *s)
{
	s->res.challenge = s->cfg.challenge != FS_CHALLENGE_RANDOM
	                           ? s->cfg.challenge
	                           : (fs_challenge)(FS_CHALLENGE_TURN_LEFT + next_random(s) % 3);
	s->delay = s->cfg.delay_us >= 0 ? s->cfg.delay_us
	                                : FS_CHALLENGE_DELAY_MIN_US +
	                                          (int64_t)(next_random(s) %
	                                                    (FS_CHALLENGE_DELAY_MAX_US - FS_CHALLENGE_DELAY_MIN_US + 1));
}

fs_err fs_step_new(fm_models *m, const fv_reference *ref, const fs_config *cfg, fs_step **ret)
{
	if (!m || !ret)
		return FS_ERR_ARG;
	fs_step *s = calloc(1, sizeof(*s));
	if (!s)
		return FS_ERR_NOMEM;
	s->m = m;
	s->ref = ref;
	s->cfg = cfg ? *cfg : fs_config_default();
	if (s->cfg.threshold <= 0)
		s->cfg.threshold = FV_THRESHOLD;
	s->rng = s->cfg.seed;
	if (!s->rng && getrandom(&s->rng, sizeof(s->rng), 0) != (ssize_t)sizeof(s->rng))
		s->rng = 0x9e3779b9u;
	if (!s->rng)
		s->rng = 1;
	fq_guide_init(&s->guide, s->cfg.guide_k ? s->cfg.guide_k : 3);
	draw(s);
	*ret = s;
	return FS_OK;
}

/* A frame or a photo of the applicant: wiped before it is freed. */
static void wipe_image(fm_image *img)
{
	if (img->data)
		explicit_bzero(img->data, img->stride * (size_t)img->height);
	fm_image_free(img);
}

void fs_step_free(fs_step *s)
{
	if (!s)
		return;
	wipe_image(&s->best);
	if (s->jpeg)
		explicit_bzero(s->jpeg, s->res.jpeg_len);
	free(s->jpeg);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

void fs_step_result(const fs_step *s, fs_result *ret)
{
	*ret = s->res;
}

static void decide(fs_step *s, fs_decision d, const char *why)
{
	s->phase = FS_PHASE_DONE;
	s->res.decision = d;
	snprintf(s->res.why, sizeof(s->res.why), "%s", why);
}

static fs_err model_failed(fs_step *s, fm_err e)
{
	char why[120];
	snprintf(why, sizeof(why), "a face network failed: %s", fm_strerror(e));
	decide(s, FS_NO_CAPTURE, why);
	return e == FM_ERR_NOMEM ? FS_ERR_NOMEM : FS_ERR_MODEL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Keep frame as the best one so far. */
static fs_err keep_best(fs_step *s, const fm_image *frame, const fq_assessment *a)
{
	size_t row = (size_t)frame->width * 3;
	if (!s->best.data || s->best.width != frame->width || s->best.height != frame->height) {
		wipe_image(&s->best);
		s->best.data = malloc(row * (size_t)frame->height);
		if (!s->best.data)
			return FS_ERR_NOMEM;
		s->best.width = frame->width;
		s->best.height = frame->height;
		s->best.stride = row;
	}
	for (int y = 0; y < frame->height; y++)
		memcpy(s->best.data + (size_t)y * row, frame->data + (size_t)y * frame->stride, row);
	s->best_a = *a;
	return FS_OK;
}

/* A passing frame joins the capture window. */
static fs_err collect(fs_step *s, const fm_image *frame, const fq_assessment *a)
{
	fq_assessment pair[2] = { s->best_a, *a };
	if (!s->best.data || fq_choose_best(pair, 2) == 1) {
		fs_err e = keep_best(s, frame, a);
		if (e != FS_OK)
			return e;
	}
	if (s->n_w < WINDOW_MAX) {
		s->nose_w[s->n_w] = fs_nose_ratio(&a->lm);
		s->eye_w[s->n_w] = fs_eye_ratio(&a->lm);
		s->n_w++;
	}
	if (s->live_n < FS_LIVE_FRAMES) {
		float live;
		fm_err fe = fm_liveness(s->m, frame, &a->box, &live);
		if (fe != FM_OK)
			return model_failed(s, fe);
		s->live_sum += live;
		s->live_n++;
	}
	return FS_OK;
}

/* The window is over: the photo, its score, the figures the challenge
 * is measured from. */
static fs_err capture(fs_step *s, int64_t t)
{
	fm_image portrait = { 0 };
	fq_err qe = fq_portrait(&s->best, &s->best_a.lm, &portrait);
	if (qe == FQ_OK)
		qe = fq_jpeg(&portrait, FQ_JPEG_MAX, &s->jpeg, &s->res.jpeg_len, &s->res.jpeg_quality);
	wipe_image(&portrait);
	if (qe != FQ_OK) {
		decide(s, FS_NO_CAPTURE, qe == FQ_ERR_NOMEM ? "out of memory" : "the photo could not be encoded");
		return qe == FQ_ERR_NOMEM ? FS_ERR_NOMEM : FS_ERR_MODEL;
	}
	s->res.jpeg = s->jpeg;
	s->res.live = s->live_n ? s->live_sum / (float)s->live_n : 0;
	if (!s->ref) {
		wipe_image(&s->best);
		decide(s, FS_CAPTURED, "the photo was taken (no chip photo to compare with)");
		return FS_OK;
	}
	float emb[FM_EMBEDDING];
	fm_err fe = fm_embed(s->m, &s->best, s->best_a.lm.five, emb);
	if (fe != FM_OK)
		return model_failed(s, fe);
	s->res.score = fm_cosine(s->ref->embedding, emb, FM_EMBEDDING);
	s->motion.nose0 = median(s->nose_w, s->n_w);
	s->motion.eye0 = median(s->eye_w, s->n_w);
	wipe_image(&s->best);
	s->phase = FS_PHASE_CHALLENGE;
	s->t_captured = s->t_pause = t;
	s->t_face = t;
	s->face_cx = (s->best_a.box.x1 + s->best_a.box.x2) / 2;
	s->face_w = s->best_a.box.x2 - s->best_a.box.x1;
	return FS_OK;
}

/* The one face of a frame, its landmarks (and eye model when eyes is
 * not NULL) and the quality checks. */
static fs_err look(fs_step *s, const fm_image *frame, bool eyes, fq_assessment *a)
{
	fm_box boxes[8];
	size_t n = 0;
	fm_err fe = fm_detect(s->m, frame, boxes, 8, &n);
	if (fe != FM_OK)
		return model_failed(s, fe);
	size_t faces = fv_count_faces(boxes, n < 8 ? n : 8);
	fm_landmarks lm;
	float closed[2];
	if (faces == 1) {
		fe = fm_landmark(s->m, frame, &boxes[0], &lm);
		if (fe == FM_OK && eyes)
			fe = fm_eye_closed(s->m, frame, &lm, closed);
		if (fe != FM_OK)
			return model_failed(s, fe);
	}
	fq_err qe = fq_assess(frame, boxes, faces, &lm, faces == 1 && eyes ? closed : NULL, a);
	if (qe != FQ_OK)
		return qe == FQ_ERR_NOMEM ? FS_ERR_NOMEM : FS_ERR_ARG;
	return FS_OK;
}

static fs_err guide_frame(fs_step *s, const fm_image *frame, int64_t t, fs_frame_report *r)
{
	fs_err e = look(s, frame, true, &r->quality);
	if (e != FS_OK)
		return e;
	fq_prompt shown = fq_guide_update(&s->guide, fq_top_prompt(&r->quality));
	r->prompt = shown == FQ_PROMPT_NONE ? NULL : fq_prompt_id(shown);
	if (fq_all_pass(&r->quality)) {
		if (!s->window) {
			s->window = true;
			s->t_window = t;
		}
		e = collect(s, frame, &r->quality);
		if (e != FS_OK)
			return e;
	}
	if (s->window && t - s->t_window >= FS_CAPTURE_WINDOW_US) {
		e = capture(s, t);
		if (e != FS_OK)
			return e;
		r->captured = true;
		r->prompt = fq_prompt_id(FQ_PROMPT_ALL_GOOD);
	} else if (!s->window && t - s->t_first >= FS_GUIDE_TIMEOUT_US) {
		decide(s, FS_NO_CAPTURE, "no frame passed every check in time");
	}
	return FS_OK;
}

/* The answer came: the frame it came in is compared with the chip too
 * (the face that answered is the chip's holder), then the decision. */
static fs_err answered(fs_step *s, const fm_image *frame, const fq_assessment *a, int64_t t)
{
	float emb[FM_EMBEDDING];
	fm_err fe = fm_embed(s->m, frame, a->lm.five, emb);
	if (fe != FM_OK)
		return model_failed(s, fe);
	s->res.score_end = fm_cosine(s->ref->embedding, emb, FM_EMBEDDING);
	s->res.answer_us = t - s->t_asked;
	char why[160];
	if (s->res.live < FS_LIVE_MIN) {
		snprintf(why, sizeof(why), "the liveness network saw no live face (%.2f < %.2f)", (double)s->res.live,
		         (double)FS_LIVE_MIN);
		decide(s, FS_NOT_LIVE, why);
	} else if (s->res.score < s->cfg.threshold || s->res.score_end < s->cfg.threshold) {
		snprintf(why, sizeof(why), "not the chip's holder (score %.3f, after the %s %.3f; threshold %.2f)",
		         (double)s->res.score, fs_challenge_id(s->res.challenge), (double)s->res.score_end,
		         (double)s->cfg.threshold);
		decide(s, FS_NO_MATCH, why);
	} else {
		snprintf(why, sizeof(why), "the chip's holder (score %.3f, %.3f), answered the %s in %.1f s",
		         (double)s->res.score, (double)s->res.score_end, fs_challenge_id(s->res.challenge),
		         (double)s->res.answer_us / 1e6);
		decide(s, FS_VERIFIED, why);
	}
	return FS_OK;
}

static fs_err challenge_frame(fs_step *s, const fm_image *frame, int64_t t, fs_frame_report *r)
{
	fs_err e = look(s, frame, false, &r->quality);
	if (e != FS_OK)
		return e;
	const fq_assessment *a = &r->quality;
	r->prompt = s->asked ? fs_challenge_id(s->res.challenge) : fq_prompt_id(FQ_PROMPT_ALL_GOOD);
	if (a->faces == 1) {
		double cx = (a->box.x1 + a->box.x2) / 2;
		if (fabs(cx - s->face_cx) > FS_JUMP_MAX * s->face_w) {
			decide(s, FS_NOT_LIVE, "the face jumped across the frame: another face took its place");
			return FS_OK;
		}
		s->face_cx = cx;
		s->face_w = a->box.x2 - a->box.x1;
		s->t_face = t;
		r->face = true;
		r->nose = fs_nose_ratio(&a->lm);
		r->eye = fs_eye_ratio(&a->lm);
	} else if (t - s->t_face > FS_FACE_GAP_US) {
		decide(s, FS_NOT_LIVE, a->faces ? "a second face came into the frame during the challenge"
		                                : "the face left the frame during the challenge");
		return FS_OK;
	}

	if (!s->asked) {
		if (t - s->t_captured > s->delay + FS_CHALLENGE_TIMEOUT_US) {
			decide(s, FS_NOT_LIVE, "the face kept moving before the question was asked");
			return FS_OK;
		}
		/* A turn or a blink before the question starts the pause again:
		 * an answer must follow the question, not a movement the clip
		 * makes anyway. */
		if (r->face && fs_motion_moving(s->motion.nose0, r->nose, s->motion.eye0, r->eye))
			s->t_pause = t;
		if (t - s->t_pause < s->delay)
			return FS_OK;
		s->asked = true;
		s->t_asked = t;
		fs_motion_init(&s->motion, s->res.challenge, s->motion.nose0, s->motion.eye0);
		r->asked = true;
		r->prompt = fs_challenge_id(s->res.challenge);
		return FS_OK;
	}
	if (r->face) {
		fs_motion_state ms = fs_motion_feed(&s->motion, r->nose, r->eye);
		if (ms == FS_MOTION_WRONG) {
			decide(s, FS_NOT_LIVE, s->res.challenge == FS_CHALLENGE_TURN_LEFT
			                               ? "asked to turn left, the head turned right"
			                               : "asked to turn right, the head turned left");
			return FS_OK;
		}
		if (ms == FS_MOTION_ANSWERED)
			return answered(s, frame, a, t);
	}
	if (t - s->t_asked > FS_CHALLENGE_TIMEOUT_US) {
		char why[120];
		snprintf(why, sizeof(why), "no %s within %.0f s of the question", fs_challenge_id(s->res.challenge),
		         FS_CHALLENGE_TIMEOUT_US / 1e6);
		decide(s, FS_NOT_LIVE, why);
	}
	return FS_OK;
}

fs_err fs_step_feed(fs_step *s, const fm_image *frame, int64_t t_us, fs_frame_report *ret)
{
	if (!s || !frame || !frame->data || !ret)
		return FS_ERR_ARG;
	if (s->phase == FS_PHASE_DONE)
		return FS_ERR_DONE;
	if (s->started && t_us < s->t_last)
		return FS_ERR_ARG;
	if (!s->started) {
		s->started = true;
		s->t_first = t_us;
	}
	s->t_last = t_us;
	s->res.frames++;
	fs_frame_report r;
	memset(&r, 0, sizeof(r));
	fs_err e = s->phase == FS_PHASE_GUIDE ? guide_frame(s, frame, t_us, &r) : challenge_frame(s, frame, t_us, &r);
	r.phase = s->phase;
	r.motion = s->motion.state;
	r.decision = s->res.decision;
	if (s->phase == FS_PHASE_DONE)
		r.prompt = "checking";
	*ret = r;
	return e;
}
