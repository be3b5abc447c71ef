/*
 * face — the face models of the camera step: loading the ONNX model set,
 * face detection, 68-point landmarks (and the 5 points alignment uses), and
 * the embedding of an aligned face with cosine similarity for 1:1
 * verification. The networks come from the npm package
 * faceplugin-face-recognition-js 0.0.1 (MIT; see MODELS.md next to this
 * file for each model's inputs, outputs and provenance) and run on
 * OpenCV 4.6's DNN module, in C++ inside face-dnn.cpp; this header is C.
 *
 * Images are 8-bit BGR, rows `stride` bytes apart (OpenCV's order, and the
 * camera's). Coordinates are pixels of that image, x right, y down.
 *
 * A face_models holds the loaded networks; one thread uses it at a time
 * (cv::dnn::Net::forward is not reentrant): the camera's worker owns it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum face_err {
	FACE_OK = 0,
	FACE_ERR_ARG,            /* caller error: bad argument */
	FACE_ERR_NOMEM,
	FACE_ERR_MODEL_MISSING,  /* a model file is not there (setup not run?) */
	FACE_ERR_MODEL_CORRUPT,  /* a model file does not load or answers wrongly */
	FACE_ERR_IMAGE,          /* an image file could not be read or decoded */
	FACE_ERR_INFERENCE,      /* OpenCV failed while running a network */
} face_err;
#define FACE_ERR_LAST FACE_ERR_INFERENCE

const char *face_strerror(face_err e);

/* ---- Images ---- */

typedef struct face_image {
	uint8_t *data;      /* BGR, 3 bytes a pixel */
	int width, height;
	size_t stride;      /* bytes from one row to the next */
} face_image;

/* Read an image file (PNG, JPEG: what OpenCV's imgcodecs decodes) as BGR
 * into *ret, which face_image_free releases. For tools and tests. */
face_err face_image_read(const char *path, face_image *ret);
void face_image_free(face_image *img);

/* ---- The model set ---- */

typedef struct face_models face_models;

/* Load every model file the pipeline needs from dir (the package's model/
 * folder) and run each network once on a blank input to check its output
 * shapes. On failure *ret is untouched and, when why is not NULL, why gets
 * a sentence naming the file and what is wrong with it. */
face_err face_models_load(const char *dir, face_models **ret, char *why, size_t why_len);
void face_models_free(face_models *m);

/* The model files face_models_load reads, in the order it reads them
 * (NULL-terminated), e.g. for diagnostics. */
extern const char *const face_model_files[];

/* ---- Detection ---- */

typedef struct face_box {
	float x1, y1, x2, y2;  /* corners, pixels */
	float score;           /* the detector's face probability, 0..1 */
} face_box;

/* Minimum score for a face (the package uses 0.65). */
#define FACE_DETECT_THRESHOLD 0.7f

/* Faces in img, best score first: up to max into boxes, their number in
 * *n (all found, possibly more than max). */
face_err face_detect(face_models *m, const face_image *img, face_box *boxes, size_t max,
                     size_t *n);

/* ---- Landmarks ---- */

typedef struct face_point {
	float x, y;
} face_point;

#define FACE_LANDMARKS 68

/* The five points alignment uses, in the order of the ArcFace template. */
enum {
	FACE_FIVE_EYE_LEFT = 0,     /* eye on the image's left (the subject's right eye) */
	FACE_FIVE_EYE_RIGHT,        /* eye on the image's right */
	FACE_FIVE_NOSE,             /* nose tip */
	FACE_FIVE_MOUTH_LEFT,       /* mouth corner on the image's left */
	FACE_FIVE_MOUTH_RIGHT,
	FACE_FIVE
};

typedef struct face_landmarks {
	/* The 68 points of the iBUG 300-W scheme: 0-16 jaw, 17-26 brows,
	 * 27-35 nose, 36-41 and 42-47 the eyes (image left, image right),
	 * 48-67 mouth. */
	face_point pt[FACE_LANDMARKS];
	face_point five[FACE_FIVE];
} face_landmarks;

/* The landmarks of the face in box. */
face_err face_landmark(face_models *m, const face_image *img, const face_box *box,
                       face_landmarks *ret);

/* The five points from 68: eye centres (mean of the four lid points), the
 * nose tip, mouth corners (mean of outer and inner corner). */
void face_five_from_68(const face_point pt[FACE_LANDMARKS], face_point ret[FACE_FIVE]);

/* ---- Embedding ---- */

#define FACE_EMBEDDING 512

/* ArcFace's 112x112 template of the five points. */
extern const face_point face_template_112[FACE_FIVE];

/* The similarity transform (rotation, uniform scale, translation) that best
 * maps the n points from[] onto to[] in the least-squares sense (Umeyama):
 * x' = a x - b y + tx, y' = b x + a y + ty, as the 2x3 matrix
 * { a, -b, tx, b, a, ty }. FACE_ERR_ARG when the points are degenerate. */
face_err face_similarity_fit(const face_point *from, const face_point *to, size_t n,
                             double ret[6]);

/* The unit-length embedding of the face whose five points are given:
 * aligned to the template, run through the feature network, L2-normalised. */
face_err face_embed(face_models *m, const face_image *img, const face_point five[FACE_FIVE],
                    float ret[FACE_EMBEDDING]);

/* Cosine similarity of two embeddings (their dot product when unit length). */
float face_cosine(const float *a, const float *b, size_t n);

#ifdef __cplusplus
}
#endif
