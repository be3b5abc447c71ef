/*
 * camsim-measure — what the simulated camera's sequences are chosen and
 * checked by: one frame through the face models and quality checks
 * (fm_detect, fm_landmark, fm_eye_closed, fq_assess), reduced to the
 * figures a sequence's expectations speak of. appm-camsim uses it to
 * print a clip's timeline; tests/camsim to check what it wrote.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hal/face/quality.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A turn moves the nose tip's place between the jaw points (cs_frame.r)
 * by at least this from its frontal median (issue 17's figure). */
#define CS_TURN_MIN_SHIFT 0.12
/* A blink: eye aspect ratio below this share of the frontal median. */
#define CS_BLINK_EAR_SHARE 0.6

typedef struct cs_frame {
	size_t faces;        /* faces the detector found */
	fq_prompt top;       /* fq_top_prompt */
	bool pass;           /* fq_all_pass */
	/* The rest only when faces >= 1 (of the best face): */
	double yaw, pitch, roll;
	/* The nose tip (point 30) between the jaw's ends (0 and 16):
	 * (lm[30].x - lm[0].x) / (lm[16].x - lm[0].x); 0.5 facing the lens,
	 * smaller when the nose moves to the image's left. */
	double r;
	double ear;          /* eye aspect ratio, mean of both eyes */
	double eyes;         /* pixels between the eye centres */
	fq_assessment a;     /* everything fq_assess said */
} cs_frame;

/* Measure img into *ret; false (with why) when a network or the pose
 * solver failed. */
bool cs_measure(fm_models *m, const fm_image *img, cs_frame *ret, char *why, size_t why_len);

/* A one-line summary of f for timelines: faces, eye distance, yaw,
 * pitch, roll, r, EAR, the top prompt and the checks that failed. */
void cs_frame_line(const cs_frame *f, char *out, size_t len);

#ifdef __cplusplus
}
#endif
