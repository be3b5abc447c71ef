/*
 * fm — the face models of the camera step: loading the ONNX model set,
 * face detection, 68-point landmarks (and the 5 points alignment uses), and
 * the embedding of an aligned face with cosine similarity for 1:1
 * verification. The networks come from the npm package
 * faceplugin-face-recognition-js 0.0.1 (MIT; see MODELS.md next to this
 * file for each model's inputs, outputs and provenance) and run on
 * OpenCV 4.6's DNN module, in C++ inside fm-dnn.cpp; this header is C.
 *
 * Images are 8-bit BGR, rows `stride` bytes apart (OpenCV's order, and the
 * camera's). Coordinates are pixels of that image, x right, y down.
 *
 * An fm_models holds the loaded networks; one thread uses it at a time
 * (cv::dnn::Net::forward is not reentrant): the camera's worker owns it.
 *
 * The prefix is fm_ ("face models") because crypto/lds/face.h already owns
 * face_ (the chip's face image: face_decode, face_image, face_err), and the
 * kiosk links both.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fm_err {
	FM_OK = 0,
	FM_ERR_ARG,            /* caller error: bad argument */
	FM_ERR_NOMEM,
	FM_ERR_MODEL_MISSING,  /* a model file is not there (setup not run?) */
	FM_ERR_MODEL_CORRUPT,  /* a model file does not load or answers wrongly */
	FM_ERR_IMAGE,          /* an image file could not be read or decoded */
	FM_ERR_INFERENCE,      /* OpenCV failed while running a network */
} fm_err;
#define FM_ERR_LAST FM_ERR_INFERENCE

const char *fm_strerror(fm_err e);

/* ---- Images ---- */

typedef struct fm_image {
	uint8_t *data;      /* BGR, 3 bytes a pixel */
	int width, height;
	size_t stride;      /* bytes from one row to the next */
} fm_image;

/* Read an image file (PNG, JPEG: what OpenCV's imgcodecs decodes) as BGR
 * into *ret, which fm_image_free releases. For tools and tests. */
fm_err fm_image_read(const char *path, fm_image *ret);
void fm_image_free(fm_image *img);

/* ---- The model set ---- */

typedef struct fm_models fm_models;

/* Load every model file the pipeline needs from dir (the package's model/
 * folder) and run each network once on a blank input to check its output
 * shapes. On failure *ret is untouched and, when why is not NULL, why gets
 * a sentence naming the file and what is wrong with it. */
fm_err fm_models_load(const char *dir, fm_models **ret, char *why, size_t why_len);
void fm_models_free(fm_models *m);

/* The model files fm_models_load reads, in the order it reads them
 * (NULL-terminated), e.g. for diagnostics. */
extern const char *const fm_model_files[];

/* ---- Detection ---- */

typedef struct fm_box {
	float x1, y1, x2, y2;  /* corners, pixels */
	float score;           /* the detector's face probability, 0..1 */
} fm_box;

/* Minimum score for a face (the package uses 0.65). */
#define FM_DETECT_THRESHOLD 0.7f

/* Faces in img, best score first: up to max into boxes, their number in
 * *n (all found, possibly more than max). */
fm_err fm_detect(fm_models *m, const fm_image *img, fm_box *boxes, size_t max,
                     size_t *n);

/* ---- Landmarks ---- */

typedef struct fm_point {
	float x, y;
} fm_point;

#define FM_LANDMARKS 68

/* The five points alignment uses, in the order of the ArcFace template. */
enum {
	FM_FIVE_EYE_LEFT = 0,     /* eye on the image's left (the subject's right eye) */
	FM_FIVE_EYE_RIGHT,        /* eye on the image's right */
	FM_FIVE_NOSE,             /* nose tip */
	FM_FIVE_MOUTH_LEFT,       /* mouth corner on the image's left */
	FM_FIVE_MOUTH_RIGHT,
	FM_FIVE
};

typedef struct fm_landmarks {
	/* The 68 points of the iBUG 300-W scheme: 0-16 jaw, 17-26 brows,
	 * 27-35 nose, 36-41 and 42-47 the eyes (image left, image right),
	 * 48-67 mouth. */
	fm_point pt[FM_LANDMARKS];
	fm_point five[FM_FIVE];
} fm_landmarks;

/* The landmarks of the face in box. */
fm_err fm_landmark(fm_models *m, const fm_image *img, const fm_box *box,
                       fm_landmarks *ret);

/* The five points from 68: eye centres (mean of the four lid points), the
 * nose tip, mouth corners (mean of outer and inner corner). */
void fm_five_from_68(const fm_point pt[FM_LANDMARKS], fm_point ret[FM_FIVE]);

/* ---- Eye state (doubtful: a secondary signal, see MODELS.md) ---- */

/* fr_eye.onnx on each eye of lm: ret[0] the eye on the image's left,
 * ret[1] the other, each the softmax probability of the model's class 0,
 * which the portraits and painted-shut copies of them say is "closed"
 * (tests/face/test_quality.c). Unreliable on webcam frames: never decide
 * on it alone; hal/face/quality.c lets it only tip a borderline eye
 * aspect ratio. */
fm_err fm_eye_closed(fm_models *m, const fm_image *img, const fm_landmarks *lm,
                     float ret[2]);

/* ---- Embedding ---- */

#define FM_EMBEDDING 512

/* ArcFace's 112x112 template of the five points. */
extern const fm_point fm_template_112[FM_FIVE];

/* The similarity transform (rotation, uniform scale, translation) that best
 * maps the n points from[] onto to[] in the least-squares sense (Umeyama):
 * x' = a x - b y + tx, y' = b x + a y + ty, as the 2x3 matrix
 * { a, -b, tx, b, a, ty }. FM_ERR_ARG when the points are degenerate. */
fm_err fm_similarity_fit(const fm_point *from, const fm_point *to, size_t n,
                             double ret[6]);

/* That matrix for a rotation and scale (a, b) that takes the point
 * (fx, fy) to (tx, ty): { a, -b, tx - (a fx - b fy), b, a, ty - (b fx + a fy) }. */
void fm_similarity_matrix(double a, double b, double fx, double fy, double tx, double ty, double ret[6]);

/* The unit-length embedding of the face whose five points are given:
 * aligned to the template, run through the feature network, L2-normalised. */
fm_err fm_embed(fm_models *m, const fm_image *img, const fm_point five[FM_FIVE],
                    float ret[FM_EMBEDDING]);

/* Cosine similarity of two embeddings (their dot product when unit length). */
float fm_cosine(const float *a, const float *b, size_t n);

/* ---- Liveness ---- */

/* The liveness network's p(live) (softmax class 0) for the face in box:
 * the box grown 2.7 times about its centre (less where the frame ends),
 * resized to 128x128, BGR unscaled. A first-look model (MODELS.md): the
 * portraits, which are stills, score live 1.00 too; issue 17's
 * evaluation (tests/face/EVALUATION.md) measures what it tells apart. */
fm_err fm_liveness(fm_models *m, const fm_image *img, const fm_box *box, float *ret_live);

#ifdef __cplusplus
}
#endif
