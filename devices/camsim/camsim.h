/*
 * camsim — appm-camsim's internals shared by its files: the clips and
 * stills a run works from, and the making of the sequences and their
 * manifest (sequences.c) for main.c's command line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hal/face/fm.h"

/* The kiosk camera's frame, and the rate the sequences are played at. */
#define CS_WIDTH 640
#define CS_HEIGHT 480
#define CS_FPS 25  /* the clips' own rate: every frame kept */
#define CS_JPEG_QUALITY 90

/* A decoded clip. */
typedef struct cs_clip {
	const char *name;      /* "cap12", "cap13" */
	fm_image *frames;
	size_t n;
	double fps;
} cs_clip;

typedef struct cs_sources {
	cs_clip cap12, cap13;
	fm_image grace;             /* the second face (faces/grace_hopper.jpg) */
	const char *faces_dir;      /* where the impostor's chip photo is named */
} cs_sources;

/* Write every sequence, the chip photo and manifest.json into out_dir
 * (which exists). false with why on failure. */
bool cs_make_all(const cs_sources *src, const char *out_dir, char *why, size_t why_len);

/* img as out_dir/NNN.jpg (index, three digits), JPEG CS_JPEG_QUALITY. */
bool cs_write_frame(const char *dir, size_t index, const fm_image *img, char *why, size_t why_len);
/* mkdir path unless it is there. */
bool cs_make_dir(const char *path, char *why, size_t why_len);

/* The simulated applicant of persona.h (a still portrait at path, found
 * with m) as the journey's tests play it: persona-turn-left,
 * persona-turn-right, persona-print and persona-replay, PERSONA_FRAMES
 * frames each at PERSONA_FPS, and persona.json, into out_dir. */
#define PERSONA_FRAMES 100
#define PERSONA_FPS 10
bool cs_make_persona(fm_models *m, const char *portrait, const char *out_dir, char *why, size_t why_len);
