/*
 * step — the camera step of the journey, frame by frame: guide the
 * applicant until a frame passes every quality check (quality.h), take
 * the best frame of a short window as the photo, ask for a movement a
 * photograph cannot make (a head turn or a blink: the challenge), and
 * decide: the same person as the chip's photo and alive, or why not.
 *
 *   GUIDE      each frame judged; the prompt (fq_guide) tells the
 *              applicant what to fix. Once every check passes, frames
 *              are collected for FS_CAPTURE_WINDOW_US; the sharpest
 *              (fq_choose_best) becomes the portrait (fq_portrait,
 *              fq_jpeg), is embedded and compared with the chip's face,
 *              and the liveness network is asked of the window's frames.
 *   CHALLENGE  after a pause of random length (so a replayed video cannot
 *              be timed to it) the applicant is asked to turn the head to
 *              one side and back, or to blink. The answer must come after
 *              the question, in the direction asked, within
 *              FS_CHALLENGE_TIMEOUT_US, by the one face that was
 *              captured (it may not leave the frame for long or jump).
 *   DONE       the decision with its figures.
 *
 * WHY A CHALLENGE. The liveness network alone does not tell a printed
 * photo or a screen from a person (tests/face/EVALUATION.md: stills score
 * live 0.99), so it is one signal of two. A printed photo cannot turn
 * its head or blink; a paper turned about its vertical axis is squeezed,
 * but the nose tip keeps its place between the cheeks, which is what the
 * turn is measured by (fs_nose_ratio: a head's nose moves towards the
 * side it turns to, a picture's does not). A replayed video of the holder
 * moves, but it does not know which movement will be asked or when; it
 * is refused when it moves before the question (the pause starts again,
 * until the time runs out), turns the wrong way, or does not answer in
 * time. What this does not stop: a 3-D mask, or a video replayed by
 * someone who watches the screen and picks the clip — an officer's
 * review of the photo remains. A blink is the weaker question: a replay
 * of someone who blinks every few seconds answers it whenever it is
 * drawn (one time in three at random), since a blink during the pause
 * only starts the pause again; a turn must also go the right way.
 *
 * Directions are the APPLICANT's: "turn left" is the applicant's left,
 * which a camera that does not mirror sees as the nose moving to the
 * image's right (the nose ratio grows).
 *
 * Plain C over fm.h, quality.h and verify.h; the motion rules
 * (fs_motion_*) take plain numbers so tests can drive them without a
 * camera or a network.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/face/fm.h"
#include "hal/face/quality.h"
#include "hal/face/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fs_err {
	FS_OK = 0,
	FS_ERR_ARG,
	FS_ERR_NOMEM,
	FS_ERR_MODEL,       /* a network failed: the face step is broken, not the applicant */
	FS_ERR_DONE,        /* a frame fed after the decision */
} fs_err;

const char *fs_strerror(fs_err e);

typedef enum fs_challenge {
	FS_CHALLENGE_RANDOM = 0,  /* config: pick one per attempt */
	FS_CHALLENGE_TURN_LEFT,
	FS_CHALLENGE_TURN_RIGHT,
	FS_CHALLENGE_BLINK,
} fs_challenge;

/* "random", "turn-left", "turn-right", "blink" (the page's prompt ids). */
const char *fs_challenge_id(fs_challenge c);
/* The challenge of an id; false when the id is none of them. */
bool fs_challenge_parse(const char *id, fs_challenge *ret);

typedef enum fs_phase {
	FS_PHASE_GUIDE = 0,
	FS_PHASE_CHALLENGE,
	FS_PHASE_DONE,
} fs_phase;

const char *fs_phase_id(fs_phase p);   /* "guide", "challenge", "done" */

typedef enum fs_decision {
	FS_PENDING = 0,
	FS_VERIFIED,      /* the chip's holder, alive */
	FS_NO_MATCH,      /* a live face, not the chip's holder */
	FS_NOT_LIVE,      /* the challenge was not answered, or the liveness network refused */
	FS_NO_CAPTURE,    /* no frame passed the checks in time */
	FS_CAPTURED,      /* a step without a chip face: the photo taken, nothing verified */
} fs_decision;

/* "pending", "verified", "no-match", "not-live", "no-capture", "captured". */
const char *fs_decision_id(fs_decision d);

/* ---- Timings and limits (frame time: the frames' own timestamps) ---- */

/* Frames collected for the photo once every check passes (ours: a few
 * frames at any rate a webcam gives, short enough not to be felt). */
#define FS_CAPTURE_WINDOW_US 800000
/* The guide gives up (FS_NO_CAPTURE) after this long without a frame
 * that passes (a capture window once open runs to its end). */
#define FS_GUIDE_TIMEOUT_US 45000000
/* The pause between the capture and the question: uniform in
 * [MIN, MAX] each attempt, unless the configuration fixes it. */
#define FS_CHALLENGE_DELAY_MIN_US 500000
#define FS_CHALLENGE_DELAY_MAX_US 2000000
/* The time to answer, from the question. */
#define FS_CHALLENGE_TIMEOUT_US 6000000
/* The face may be lost (a turned head is not always detected) this long. */
#define FS_FACE_GAP_US 700000
/* ...and may move at most this share of its width between two frames
 * where it is seen (a different face appearing is not a movement). */
#define FS_JUMP_MAX 0.5
/* A turn: the nose ratio moves at least FS_TURN_MIN from its value in
 * the capture window, towards the side asked; back: within FS_BACK_MAX
 * of it again (ours: a 20-degree head turn moves it by about 0.2, the
 * landmark noise of a still head is about 0.02). */
#define FS_TURN_MIN 0.12
#define FS_BACK_MAX 0.06
/* A blink: the eye aspect ratio falls below FS_BLINK_LOW times its value
 * in the capture window, then rises above FS_BLINK_OPEN times it. */
#define FS_BLINK_LOW 0.60
#define FS_BLINK_OPEN 0.85
/* The liveness network's mean p(live) over the capture window must be
 * at least this (ours; see EVALUATION.md for what it separates). */
#define FS_LIVE_MIN 0.50f
/* Frames of the capture window the liveness network is asked about. */
#define FS_LIVE_FRAMES 5

typedef struct fs_config {
	fs_challenge challenge;    /* FS_CHALLENGE_RANDOM: one at random each attempt */
	int64_t delay_us;          /* < 0: random in [MIN, MAX]; else fixed (tests) */
	uint32_t seed;             /* for the random choices; 0: from the system */
	unsigned guide_k;          /* prompt hysteresis frames (fq_guide); 0: 3 */
	float threshold;           /* verification; 0: FV_THRESHOLD */
} fs_config;

fs_config fs_config_default(void);

/* ---- The motion rules, on plain numbers ---- */

/* (nose tip x - jaw point 0 x) / (jaw point 16 x - jaw point 0 x): where
 * the nose tip is between the sides of the face, 0.5 for a frontal face. */
double fs_nose_ratio(const fm_landmarks *lm);
/* The eye aspect ratio of fq (mean of both eyes). */
double fs_eye_ratio(const fm_landmarks *lm);

typedef enum fs_motion_state {
	FS_MOTION_WAITING = 0,   /* nothing yet */
	FS_MOTION_MOVED,         /* half-way: turned (or eyes shut), not back yet */
	FS_MOTION_ANSWERED,      /* turned and back, or blinked */
	FS_MOTION_WRONG,         /* turned the other way */
} fs_motion_state;

typedef struct fs_motion {
	fs_challenge asked;
	double nose0, eye0;      /* the capture window's values */
	fs_motion_state state;
	double peak;             /* the largest turn or the lowest eye ratio seen */
} fs_motion;

void fs_motion_init(fs_motion *m, fs_challenge asked, double nose0, double eye0);
/* One frame's figures (a frame without the face is not fed). */
fs_motion_state fs_motion_feed(fs_motion *m, double nose, double eye);
/* Whether the figures show a turn either way or closed eyes (a movement
 * before the question), against the capture window's nose0 and eye0. */
bool fs_motion_moving(double nose0, double nose, double eye0, double eye);

/* ---- The step ---- */

typedef struct fs_step fs_step;

/* A step for one attempt against the chip's face (ref, embedded once per
 * session by fv_enroll); m and ref must outlive it. With ref NULL the
 * step ends at the capture (FS_CAPTURED): the photo alone. */
fs_err fs_step_new(fm_models *m, const fv_reference *ref, const fs_config *cfg, fs_step **ret);
void fs_step_free(fs_step *s);

/* What one frame did. */
typedef struct fs_frame_report {
	fs_phase phase;            /* after this frame */
	const char *prompt;        /* the prompt to show now: an fq prompt id, a
	                            * challenge id, or "checking"; NULL: none yet */
	fq_assessment quality;     /* this frame's checks (guide phase, else what was measured) */
	bool face;                 /* one face found */
	double nose, eye;          /* its nose and eye ratios (when face) */
	bool captured;             /* the photo was taken at this frame */
	bool asked;                /* the challenge was asked at this frame */
	fs_motion_state motion;    /* the challenge's state */
	fs_decision decision;      /* FS_PENDING until the last frame */
} fs_frame_report;

/* Feed the next frame, t_us its capture time (monotonic, increasing).
 * FS_ERR_DONE once a decision was made. */
fs_err fs_step_feed(fs_step *s, const fm_image *frame, int64_t t_us, fs_frame_report *ret);

/* The outcome, once decided (FS_PENDING before). */
typedef struct fs_result {
	fs_decision decision;
	char why[160];             /* words, for the log and the officer */
	float score;               /* the captured frame against the chip (when captured) */
	float score_end;           /* the frame after the challenge against the chip */
	float live;                /* the liveness network's mean p(live) over the window */
	fs_challenge challenge;    /* what was asked */
	int64_t answer_us;         /* question to answer */
	unsigned frames;           /* frames fed */
	const uint8_t *jpeg;       /* the portrait (FQ_PORTRAIT_*), owned by the step; NULL before capture */
	size_t jpeg_len;
	int jpeg_quality;
} fs_result;

void fs_step_result(const fs_step *s, fs_result *ret);

#ifdef __cplusplus
}
#endif
