/*
 * fm-module — the table between fm-loader.c (linked into appm) and the
 * face networks built as the module appm-face.so (fm.c and fm-dnn.cpp
 * with FM_MODULE defined), opened with dlopen on first use, as the
 * camera's OpenCV module is (hal/camera/cv-module.h): linked into appm,
 * OpenCV's DNN made every run of it, `appm --version` included, 0.14 s
 * instead of 0.01 s. The module exports one symbol, appm_fm_module,
 * giving this table; abi changes whenever the table or a type it passes
 * does, and size (the table's size as the module was built) catches a
 * table changed without it. Also here: quality.h's fq_head_pose, the
 * quality checks' one use of OpenCV (cv::solvePnP).
 */
#pragma once

#include "hal/face/fm.h"
#include "hal/face/quality.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_MODULE_ABI 2
#define FM_MODULE_SYMBOL "appm_fm_module"

/* Each as the fm.h (or quality.h) function of the same name. */
typedef struct fm_module_ops {
	int abi;
	size_t size;
	fm_err (*image_read)(const char *path, fm_image *ret);
	fm_err (*models_load)(const char *dir, fm_models **ret, char *why, size_t why_len);
	void (*models_free)(fm_models *m);
	fm_err (*detect)(fm_models *m, const fm_image *img, fm_box *boxes, size_t max, size_t *n);
	fm_err (*landmark)(fm_models *m, const fm_image *img, const fm_box *box, fm_landmarks *ret);
	fm_err (*eye_closed)(fm_models *m, const fm_image *img, const fm_landmarks *lm, float ret[2]);
	fm_err (*embed)(fm_models *m, const fm_image *img, const fm_point five[FM_FIVE], float ret[FM_EMBEDDING]);
	fm_err (*liveness)(fm_models *m, const fm_image *img, const fm_box *box, float *ret_live);
	fq_err (*head_pose)(const fm_landmarks *lm, int width, int height, double ret[3]);
} fm_module_ops;

const fm_module_ops *appm_fm_module(void);

#ifdef __cplusplus
}
#endif
