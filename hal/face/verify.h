/*
 * verify — 1:1 face verification of the live applicant against the chip's
 * photo (DG2), on the face models of fm.h: the chip face is found, its
 * five points aligned and embedded once per session (fv_enroll); each
 * live frame is then embedded the same way and compared by cosine
 * similarity with that reference (fv_compare), giving a score and a
 * decision at FV_THRESHOLD.
 *
 * What the applicant can fix (no face in the frame, two people in it) is
 * kept apart from what is broken (a network failed): the first are
 * FV_ERR_NO_FACE / FV_ERR_MANY_FACES, the second FV_ERR_MODEL.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hal/face/fm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fv_err {
	FV_OK = 0,
	FV_ERR_ARG,          /* caller error: bad argument */
	FV_ERR_NOMEM,
	FV_ERR_NO_FACE,      /* no face found in the image */
	FV_ERR_MANY_FACES,   /* more than one face: whose is it? */
	FV_ERR_MODEL,        /* a face network failed (the fm_err says which way) */
} fv_err;
#define FV_ERR_LAST FV_ERR_MODEL

const char *fv_strerror(fv_err e);

/*
 * The decision threshold on the cosine similarity of two embeddings,
 * chosen from the scores measured in tests/face/EVALUATION.md (regenerate
 * with `meson test -C build --benchmark --suite face-eval -v`): above every impostor
 * score measured there with a margin, below every genuine one. Three
 * identities are far too few to know the false match rate at it; see that
 * file before trusting it.
 */
#define FV_THRESHOLD 0.40f

/* A second face counts when its detector score is at least this and its
 * box at least FV_SECOND_FACE_RATIO of the main face's height (a face
 * on a poster far behind the applicant does not). */
#define FV_SECOND_FACE_RATIO 0.5f

/* How many of the n boxes fm_detect found (best first) are faces that
 * count: the first, and those at least FV_SECOND_FACE_RATIO of its
 * height. */
size_t fv_count_faces(const fm_box *boxes, size_t n);

/* The chip face, embedded once. */
typedef struct fv_reference {
	float embedding[FM_EMBEDDING];
	fm_box box;          /* where the face was in the chip photo */
} fv_reference;

/* One live image against the reference. */
typedef struct fv_result {
	float score;         /* cosine similarity, -1..1 */
	bool match;          /* score >= FV_THRESHOLD */
	fm_box box;          /* the live face */
} fv_result;

/* Find the one face of chip and embed it into *ret. FV_ERR_NO_FACE when
 * there is none, FV_ERR_MANY_FACES when there are several; FV_ERR_MODEL
 * with *ret_fm (may be NULL) saying why when a network failed. *ret is
 * untouched on failure. */
fv_err fv_enroll(fm_models *m, const fm_image *chip, fv_reference *ret, fm_err *ret_fm);

/* The one face of live against ref: its score and the decision. Errors as
 * fv_enroll's; *ret is untouched on failure. */
fv_err fv_compare(fm_models *m, const fv_reference *ref, const fm_image *live, fv_result *ret,
                  fm_err *ret_fm);

/* The embedding of the one face of img and its box (what both of the
 * above do first; for the evaluation and the benchmark). */
fv_err fv_embed_one(fm_models *m, const fm_image *img, float ret[FM_EMBEDDING], fm_box *ret_box,
                    fm_err *ret_fm);

#ifdef __cplusplus
}
#endif
