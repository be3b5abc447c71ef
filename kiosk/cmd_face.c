/*
 * cmd_face — `appm face`: the camera step's face work from the command
 * line, on files, without the daemon.
 *
 *   appm face verify --chip FILE --live FILE [--json]
 *       the chip photo (an image file: the DG2 face, decoded) enrolled
 *       once; every frame of the live FILE (one image, an image sequence
 *       named with %d or a glob, or a video, read by the camera's file
 *       source) compared with it: each frame's score and decision, then
 *       the overall one (the median score of the frames with one face).
 *
 * OpenCV is not linked in: the face networks (hal/face/fm-loader.c) and
 * the frames (hal/camera/cv-loader.c) come from modules opened on first
 * use, so `appm` starts as fast as it did without a face step.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hal/camera/camera.h"
#include "hal/face/verify.h"
#include "kiosk/appm.h"
#include "kiosk/cmd_face.h"

#ifndef APPM_FACE_MODELS
#define APPM_FACE_MODELS "/usr/share/appm/models"
#endif

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm face verify --chip FILE --live FILE [OPTIONS]\n"
	        "\n"
	        "Compare the face of the chip photo with the live face in every frame of FILE:\n"
	        "each frame's cosine score and decision, then the overall decision (the median\n"
	        "score of the frames where one face was found) at threshold %.2f.\n"
	        "\n"
	        "  --chip FILE     the chip's photo: an image file (PNG, JPEG) with one face\n"
	        "  --live FILE     one image, an image sequence (frames/%%03d.png, frames/*.png)\n"
	        "                  or a video file\n"
	        "  --every N       use every Nth live frame (default 1)\n"
	        "  --models DIR    the face models (default " APPM_FACE_MODELS ")\n"
	        "  --json          JSON instead of text\n"
	        "\n"
	        "Exit: 0 the same person; 22 not the same person; 23 no single face in the chip\n"
	        "photo, or none in any live frame; 24 the face models are missing or corrupt;\n"
	        "2 bad command line or a FILE that cannot be read.\n"
	        "\n",
	        (double)FV_THRESHOLD);
	appm_print_exit_codes(f);
}

typedef struct verify_args {
	const char *chip, *live, *models;
	unsigned every;
	bool json;
} verify_args;

static int parse(int argc, char **argv, verify_args *a)
{
	static const struct option opts[] = {
		{ "chip", required_argument, NULL, 'c' }, { "live", required_argument, NULL, 'l' },
		{ "every", required_argument, NULL, 'e' }, { "models", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*a = (verify_args){ .models = APPM_FACE_MODELS, .every = 1 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->chip = optarg; break;
		case 'l': a->live = optarg; break;
		case 'm': a->models = optarg; break;
		case 'j': a->json = true; break;
		case 'e': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 100000) {
				fprintf(stderr, "appm face verify: --every wants a number from 1 to 100000\n");
				return APPM_EXIT_USAGE;
			}
			a->every = (unsigned)v;
			break;
		}
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return APPM_EXIT_USAGE;
		}
	}
	if (optind != argc || !a->chip || !a->live) {
		fprintf(stderr, "appm face verify: --chip FILE and --live FILE are needed, nothing else\n");
		return APPM_EXIT_USAGE;
	}
	return APPM_EXIT_OK;
}

static fm_image image_of(const cam_frame *f)
{
	return (fm_image){ .data = f->data, .width = f->width, .height = f->height, .stride = f->stride };
}

/* As appm_cli_print_json, with reals to 6 significant digits: a float
 * score printed to 17 would claim a precision it does not have. */
void appm_face_print_json(const json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (text)
		puts(text);
	free(text);
}

/* Scores to 4 decimals, pixels to 1: what the figures are good for. */
double appm_face_round(double v, double unit)
{
	return round(v / unit) * unit;
}

json_t *appm_face_box_json(const fm_box *b)
{
	return json_pack("[f, f, f, f]", appm_face_round(b->x1, 0.1), appm_face_round(b->y1, 0.1),
	                 appm_face_round(b->x2, 0.1), appm_face_round(b->y2, 0.1));
}

const char *appm_face_models_default(void)
{
	return APPM_FACE_MODELS;
}

int appm_face_load_models(const char *dir, const char *cmd, fm_models **ret)
{
	char why[400];
	fm_err fe = fm_models_load(dir, ret, why, sizeof(why));
	if (fe == FM_OK)
		return APPM_EXIT_OK;
	fprintf(stderr, "%s: %s\n", cmd, why);
	return fe == FM_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_FACE_MODELS;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Words for an enrol or compare failure (the fm_err too when a network
 * failed). */
static const char *fail_words(fv_err e, fm_err fe, char *buf, size_t len)
{
	if (e == FV_ERR_MODEL)
		snprintf(buf, len, "%s: %s", fv_strerror(e), fm_strerror(fe));
	else
		snprintf(buf, len, "%s", fv_strerror(e));
	return buf;
}

/* Whole images only: a chip photo is one image. */
static int read_chip(const char *path, const char *cmd, cam_frame **ret)
{
	char why[300] = "";
	cam_reader *r = NULL;
	cam_err e = cam_reader_open(path, &r, why, sizeof(why));
	if (e == CAM_OK)
		e = cam_reader_read(r, ret, why, sizeof(why));
	cam_reader_close(r);
	if (e != CAM_OK) {
		fprintf(stderr, "%s: --chip %s: %s\n", cmd, path, why);
		return APPM_EXIT_USAGE;
	}
	return APPM_EXIT_OK;
}

/* As appm_face_enroll, with the words of a chip photo without a single
 * face in why. */
static int enroll(fm_models *m, const char *path, const char *cmd, fv_reference *ret, char *why, size_t why_len)
{
	cam_frame *chip = NULL;
	int status = read_chip(path, cmd, &chip);
	if (status != APPM_EXIT_OK)
		return status;
	fm_image img = image_of(chip);
	fm_err fe = FM_OK;
	fv_err ve = fv_enroll(m, &img, ret, &fe);
	cam_frame_free(chip);
	if (ve == FV_OK)
		return APPM_EXIT_OK;
	fail_words(ve, fe, why, why_len);
	fprintf(stderr, "%s: the chip photo %s: %s\n", cmd, path, why);
	return ve == FV_ERR_NO_FACE || ve == FV_ERR_MANY_FACES ? APPM_EXIT_NO_FACE : APPM_EXIT_FAILURE;
}

int appm_face_enroll(fm_models *m, const char *path, const char *cmd, fv_reference *ret)
{
	char why[200];
	return enroll(m, path, cmd, ret, why, sizeof(why));
}

static int verify(const verify_args *a)
{
	char why[400];
	fm_models *m = NULL;
	int status = appm_face_load_models(a->models, "appm face verify", &m);
	if (status != APPM_EXIT_OK)
		return status;
	status = APPM_EXIT_FAILURE;
	fm_err fe = FM_OK;
	cam_reader *live = NULL;
	float *scores = NULL;
	size_t n_scores = 0, cap_scores = 0;
	json_t *out = json_object(), *frames = json_array();
	if (!out || !frames) {
		fprintf(stderr, "appm face verify: out of memory\n");
		goto out;
	}

	fv_reference ref;
	why[0] = 0;
	status = enroll(m, a->chip, "appm face verify", &ref, why, sizeof(why));
	json_object_set_new(out, "chip", json_pack("{s:s}", "file", a->chip));
	json_object_set_new(out, "threshold", json_real(appm_face_round(FV_THRESHOLD, 1e-4)));
	if (status == APPM_EXIT_NO_FACE) {
		json_object_set_new(json_object_get(out, "chip"), "error", json_string(why));
		json_object_set_new(out, "decision", json_string("no face"));
		if (a->json)
			appm_face_print_json(out);
	}
	if (status != APPM_EXIT_OK)
		goto out;
	status = APPM_EXIT_FAILURE; /* until the decision */
	fv_err ve;
	json_object_set_new(json_object_get(out, "chip"), "box", appm_face_box_json(&ref.box));
	if (!a->json)
		printf("chip %s: face at (%.0f, %.0f)-(%.0f, %.0f)\n", a->chip, (double)ref.box.x1,
		       (double)ref.box.y1, (double)ref.box.x2, (double)ref.box.y2);

	cam_err ce = cam_reader_open(a->live, &live, why, sizeof(why));
	if (ce != CAM_OK) {
		fprintf(stderr, "appm face verify: --live %s: %s\n", a->live, why);
		status = ce == CAM_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_USAGE;
		goto out;
	}
	size_t index = 0, used = 0;
	for (;; index++) {
		cam_frame *f = NULL;
		ce = cam_reader_read(live, &f, why, sizeof(why));
		if (ce == CAM_ERR_ENDED)
			break;
		if (ce != CAM_OK) {
			fprintf(stderr, "appm face verify: --live %s: frame %zu: %s\n", a->live, index, why);
			status = ce == CAM_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_USAGE;
			goto out;
		}
		if (index % a->every != 0) {
			cam_frame_free(f);
			continue;
		}
		used++;
		fm_image img = image_of(f);
		fv_result r;
		ve = fv_compare(m, &ref, &img, &r, &fe);
		cam_frame_free(f);
		json_t *jf;
		if (ve == FV_OK) {
			jf = json_pack("{s:I, s:f, s:b, s:o}", "index", (json_int_t)index, "score", appm_face_round(r.score, 1e-4),
			               "match", r.match, "box", appm_face_box_json(&r.box));
			if (!a->json)
				printf("frame %zu: score %.3f %s\n", index, (double)r.score, r.match ? "match" : "no match");
			if (n_scores == cap_scores) {
				size_t nc = cap_scores ? 2 * cap_scores : 64;
				float *ns = realloc(scores, nc * sizeof(*ns));
				if (!ns) {
					fprintf(stderr, "appm face verify: out of memory\n");
					goto out;
				}
				scores = ns;
				cap_scores = nc;
			}
			scores[n_scores++] = r.score;
		} else if (ve == FV_ERR_NO_FACE || ve == FV_ERR_MANY_FACES) {
			jf = json_pack("{s:I, s:s}", "index", (json_int_t)index, "error", fv_strerror(ve));
			if (!a->json)
				printf("frame %zu: %s\n", index, fv_strerror(ve));
		} else {
			fprintf(stderr, "appm face verify: frame %zu: %s\n", index, fail_words(ve, fe, why, sizeof(why)));
			goto out;
		}
		json_array_append_new(frames, jf);
	}
	json_object_set_new(out, "live", json_pack("{s:s, s:I, s:I, s:I}", "file", a->live, "frames",
	                                           (json_int_t)index, "compared", (json_int_t)used,
	                                           "with_face", (json_int_t)n_scores));
	json_object_set(out, "frames", frames);
	if (n_scores == 0) {
		json_object_set_new(out, "decision", json_string("no face"));
		status = APPM_EXIT_NO_FACE;
		if (!a->json)
			printf("overall: no face in any of %zu live frames\n", used);
	} else {
		qsort(scores, n_scores, sizeof(*scores), cmp_float);
		float median = n_scores % 2 ? scores[n_scores / 2]
		                            : (scores[n_scores / 2 - 1] + scores[n_scores / 2]) / 2;
		bool match = median >= FV_THRESHOLD;
		json_object_set_new(out, "score", json_real(appm_face_round(median, 1e-4)));
		json_object_set_new(out, "decision", json_string(match ? "match" : "no match"));
		status = match ? APPM_EXIT_OK : APPM_EXIT_NO_MATCH;
		if (!a->json)
			printf("overall: score %.3f (median of %zu frames with a face, of %zu), threshold %.2f: %s\n",
			       (double)median, n_scores, used, (double)FV_THRESHOLD, match ? "match" : "no match");
	}
	if (a->json)
		appm_face_print_json(out);
out:
	json_decref(frames);
	json_decref(out);
	free(scores);
	cam_reader_close(live);
	fm_models_free(m);
	return status;
}

int appm_face_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? APPM_EXIT_USAGE : APPM_EXIT_OK;
	}
	if (strcmp(argv[1], "capture") == 0)
		return appm_face_capture(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "appm face: unknown action '%s'; 'appm face --help' says what there is\n", argv[1]);
		return APPM_EXIT_USAGE;
	}
	verify_args a;
	int st = parse(argc - 1, argv + 1, &a);
	if (st != APPM_EXIT_OK)
		return st < 0 ? APPM_EXIT_OK : st;
	return verify(&a);
}
