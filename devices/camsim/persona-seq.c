/*
 * persona-seq — the simulated applicant's sequences (persona.h) for the
 * journey's browser test (tests/browser/face-step.mjs): every sequence
 * PERSONA_FRAMES frames at PERSONA_FPS, so that one file camera
 * (`file:DIR/current/%03d.jpg@10`) can play any of them through a
 * symbolic link the test turns; the camera lists the files once, at
 * open.
 *
 *   persona-turn-left   frontal and swaying a little for 3.5 s, a turn to
 *                       the person's left and back (1.5 s), frontal
 *   persona-turn-right  the same to the right
 *   persona-print       a print of the frontal frame (face-sim.h: paper's
 *                       contrast and tint, halftone, JPEG 40), moved
 *                       rigidly a little each frame
 *   persona-replay      a screen (face-sim.h: blue cast, gamma, pixel-grid
 *                       moire) replaying a recording of the person turning
 *                       right (from 2 s) and then left (from 6 s)
 *
 * What each must give at the kiosk, with the challenge fixed to turn-left
 * after 1 s: verified; not live (no answer); not live (the wrong way
 * first: asked left, it turns right); the impostor is persona-turn-left
 * before another persona's passport: no match.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "camsim.h"
#include "face-sim.h"
#include "persona.h"

/* The eyes' distance the person stands at: inside the step's window at
 * 640x480 (hal/face/quality.h: 90 to about 108). */
#define PERSONA_EYES 100.0

/* How far turned at frame i of a turn that starts at `start`: up over
 * 6 frames, held 3, back over 6. */
static double turn_at(int i, int start)
{
	int k = i - start;
	if (k < 0 || k >= 15)
		return 0;
	if (k < 6)
		return (k + 1) / 6.0;
	if (k < 9)
		return 1;
	return (14 - k) / 6.0;
}

/* A person never stands quite still. */
static void sway(int i, double *dx, double *dy)
{
	*dx = 2.0 * sin(i * 0.4);
	*dy = 1.5 * cos(i * 0.3);
}

typedef enum kind { LEFT, RIGHT, PRINT, REPLAY } kind;

static bool frame_of(const pm_person *p, kind k, int i, const fm_image *print, fm_image *ret)
{
	double dx, dy;
	sway(i, &dx, &dy);
	switch (k) {
	case LEFT: return pm_person_frame(p, turn_at(i, 35), dx, dy, ret);
	case RIGHT: return pm_person_frame(p, -turn_at(i, 35), dx, dy, ret);
	case PRINT: return sim_affine(print, dx * 2, dy * 2, 1.0, 0.5 * sin(i * 0.2), ret);
	case REPLAY: {
		fm_image shown;
		if (!pm_person_frame(p, turn_at(i, 60) - turn_at(i, 20), dx, dy, &shown))
			return false;
		bool ok = sim_screen(&shown, ret);
		fm_image_free(&shown);
		return ok;
	}
	}
	return false;
}

static const struct {
	const char *name;
	kind k;
	const char *decision;
	const char *what;
} sequences[] = {
	{ "persona-turn-left", LEFT, "verified", "frontal 3.5 s, a turn to the left and back from 3.5 s" },
	{ "persona-turn-right", RIGHT, "verified", "frontal 3.5 s, a turn to the right and back from 3.5 s" },
	{ "persona-print", PRINT, "not-live", "a print of the frontal frame, moved rigidly" },
	{ "persona-replay", REPLAY, "not-live", "a screen replaying a turn right (2 s), then left (6 s)" },
};

bool cs_make_persona(fm_models *m, const char *portrait, const char *out_dir, char *why, size_t why_len)
{
	pm_person *p = NULL;
	if (!pm_person_new(m, portrait, PERSONA_EYES, &p, why, why_len))
		return false;
	bool ok = true;
	fm_image still = { 0 }, print = { 0 };
	if (!pm_person_frame(p, 0, 0, 0, &still) || !sim_print(&still, 0, &print)) {
		snprintf(why, why_len, "the print could not be made (out of memory?)");
		ok = false;
	}
	json_t *list = json_array();
	for (size_t s = 0; ok && s < sizeof(sequences) / sizeof(sequences[0]); s++) {
		char dir[4200];
		snprintf(dir, sizeof dir, "%s/%s", out_dir, sequences[s].name);
		ok = cs_make_dir(dir, why, why_len);
		for (int i = 0; ok && i < PERSONA_FRAMES; i++) {
			fm_image img;
			if (!frame_of(p, sequences[s].k, i, &print, &img)) {
				snprintf(why, why_len, "%s: frame %d could not be made", sequences[s].name, i);
				ok = false;
				break;
			}
			ok = cs_write_frame(dir, (size_t)i, &img, why, why_len);
			fm_image_free(&img);
		}
		char camera[4300];
		snprintf(camera, sizeof camera, "file:%s/%%03d.jpg@%d", dir, PERSONA_FPS);
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:s, s:s}", "name", sequences[s].name, "camera",
		                                      camera, "frames", PERSONA_FRAMES, "decision",
		                                      sequences[s].decision, "what", sequences[s].what));
	}
	if (ok) {
		char path[4200];
		snprintf(path, sizeof path, "%s/persona.json", out_dir);
		json_t *doc = json_pack("{s:s, s:f, s:s, s:o}", "portrait", portrait, "eye_distance", PERSONA_EYES,
		                        "challenge", "turn-left after 1 s", "sequences", list);
		list = NULL;
		if (!doc || json_dump_file(doc, path, JSON_INDENT(2)) != 0) {
			snprintf(why, why_len, "%s: could not be written", path);
			ok = false;
		}
		json_decref(doc);
	}
	json_decref(list);
	fm_image_free(&still);
	fm_image_free(&print);
	pm_person_free(p);
	return ok;
}
