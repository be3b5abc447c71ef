/*
 * cv-module — the table between the camera's C (cv-loader.c) and its
 * OpenCV module (cv-capture.cpp, built as appm-opencv.so and opened with
 * dlopen on first use). The module exports one symbol, appm_cv_module,
 * giving this table; abi changes whenever the table or a type it passes
 * does, and size (the table's size as the module was built) catches a
 * table changed without it: the loader refuses a module that differs in
 * either. Frames are made by the caller's allocator (cam_frame_new), so
 * the module needs nothing from the program.
 */
#pragma once

#include "hal/camera/cv-capture.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CV_MODULE_ABI 2
#define CV_MODULE_SYMBOL "appm_cv_module"

typedef cam_frame *(*cv_frame_alloc)(int width, int height);

/* Each as the cv-capture.h function of the same name. */
typedef struct cv_module_ops {
	int abi;
	size_t size;
	cam_err (*open_v4l2)(const char *path, int width, int height, double fps, cv_capture **ret, char *why,
	                     size_t why_len);
	cam_err (*open_video)(const char *path, cv_capture **ret, char *why, size_t why_len);
	void (*close)(cv_capture *c);
	void (*get_info)(cv_capture *c, cv_capture_info *ret);
	void (*set_control)(cv_capture *c, cv_control which, const cam_control *ask, cv_control_state *ret);
	cam_err (*read)(cv_capture *c, cv_frame_alloc alloc, cam_frame **ret, char *why, size_t why_len);
	cam_err (*rewind)(cv_capture *c, char *why, size_t why_len);
	cam_err (*image_read)(const char *path, cv_frame_alloc alloc, cam_frame **ret, char *why, size_t why_len);
	cam_err (*image_write)(const char *path, const cam_frame *f, char *why, size_t why_len);
	cam_err (*video_write)(const char *path, cam_frame *const *f, size_t n, double fps, char *why,
	                       size_t why_len);
	cam_err (*measure)(const cam_frame *f, double *ret_mean, double *ret_stddev, double *ret_laplacian_var);
} cv_module_ops;

const cv_module_ops *appm_cv_module(void);

#ifdef __cplusplus
}
#endif
