/*
 * cv-capture — the camera's one door to OpenCV, for the C of hal/camera:
 * a cv::VideoCapture on a V4L2 device (its exposure and focus set and
 * read back) or a video file, one image file decoded, an image or a
 * video written (tests, the demo), and the self-test's measures of a
 * frame. Frames come out as cam_frame (BGR8).
 * Implemented by cv-loader.c over the OpenCV module (cv-capture.cpp, C++,
 * loaded on first use; cv-module.h); when the module cannot be loaded
 * every function answers CAM_ERR_OPEN with words. OpenCV's exceptions
 * become a cam_err with words; nothing prints (OpenCV's and FFmpeg's
 * logs are silenced at first use).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hal/camera/camera.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cv_capture cv_capture;

typedef struct cv_capture_info {
	int width, height;      /* what the source gives */
	double fps;             /* 0: not known */
	long frames;            /* a video's frame count; 0: not known (a camera) */
	bool exposure, auto_exposure, focus, autofocus; /* controls the camera offers */
	char backend[32];       /* OpenCV's name for the backend */
} cv_capture_info;

/* A V4L2 camera at path (must exist; the caller looked), asked for
 * width x height (0: its own) and fps (0: its own). */
cam_err cv_capture_open_v4l2(const char *path, int width, int height, double fps, cv_capture **ret, char *why,
                             size_t why_len);
/* A video file through the FFmpeg backend; CAM_ERR_NOT_MEDIA when it is
 * not one. */
cam_err cv_capture_open_video(const char *path, cv_capture **ret, char *why, size_t why_len);
void cv_capture_close(cv_capture *c);
void cv_capture_get_info(cv_capture *c, cv_capture_info *ret);

typedef enum cv_control {
	CV_CONTROL_EXPOSURE,    /* CAP_PROP_AUTO_EXPOSURE, CAP_PROP_EXPOSURE */
	CV_CONTROL_FOCUS,       /* CAP_PROP_AUTOFOCUS, CAP_PROP_FOCUS */
} cv_control;

/* What setting a control did, read back from the camera. */
typedef struct cv_control_state {
	bool offered;           /* the camera has what the ask needs */
	bool refused;           /* offered, but a setting failed */
	bool automatic;         /* read back: in its automatic mode */
	bool has_value;         /* read back: value (manual) is known */
	double value;
} cv_control_state;

/* On a camera (cv_capture_open_v4l2): which set as ask says (AUTO: its
 * automatic mode on; MANUAL: automatic off where the camera has it, then
 * the value, in V4L2's own units), then read back. Never fails: a
 * control the camera lacks, or a setting it refuses, is said in *ret. */
void cv_capture_set_control(cv_capture *c, cv_control which, const cam_control *ask, cv_control_state *ret);

/* The next frame (a new cam_frame; seq and timestamp are the caller's).
 * A video at its end: CAM_ERR_ENDED. A camera that fails: CAM_ERR_READ. */
cam_err cv_capture_read(cv_capture *c, cam_frame **ret, char *why, size_t why_len);
/* Back to a video's first frame. */
cam_err cv_capture_rewind(cv_capture *c, char *why, size_t why_len);

/* An image file decoded to BGR8; CAM_ERR_NOT_MEDIA when OpenCV cannot
 * decode it. */
cam_err cv_image_read(const char *path, cam_frame **ret, char *why, size_t why_len);
/* f written to path, the format from its extension (.png, .jpg, ...). */
cam_err cv_image_write(const char *path, const cam_frame *f, char *why, size_t why_len);

/* n frames (all of f[0]'s size) written to path as Motion JPEG in AVI
 * (OpenCV's own writer, no codec library) at fps: test and demo videos. */
cam_err cv_video_write(const char *path, cam_frame *const *f, size_t n, double fps, char *why, size_t why_len);

/* Mean and standard deviation of the luma, variance of its 3x3
 * Laplacian. */
cam_err cv_measure(const cam_frame *f, double *ret_mean, double *ret_stddev, double *ret_laplacian_var);

#ifdef __cplusplus
}
#endif
