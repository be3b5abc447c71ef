/*
 * camsim-cv — the image work of the simulated camera's sequences
 * (appm-camsim), on OpenCV in camsim-cv.cpp behind this C header: scaling
 * a clip frame into the kiosk camera's 640x480, mirroring, darkening,
 * shrinking onto a plain canvas, pasting a second face, a sheet of paper
 * tilted about its vertical axis; reading a video's frames and writing
 * JPEG files. Images are fm.h's BGR fm_image; each function that makes
 * one returns it new (fm_image_free) and false on failure (memory, or
 * OpenCV refusing the arguments), leaving *ret untouched.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hal/face/fm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The window (x, y, w, h) of src, which may reach outside it (the border
 * repeated), resized to out_w x out_h (area filter when shrinking, cubic
 * when enlarging); flip mirrors the result left to right. */
bool cs_window(const fm_image *src, double x, double y, double w, double h, int out_w, int out_h,
               bool flip, fm_image *ret);
/* Every pixel multiplied by gain (saturated): a darker or brighter scene. */
bool cs_gain(const fm_image *src, double gain, fm_image *ret);
/* src scaled by k about its centre onto a canvas of its own size filled
 * with grey `grey` (a plain wall behind a person further away). */
bool cs_shrink(const fm_image *src, double k, int grey, fm_image *ret);
/* dst with the window (x, y, w, h) of face scaled to h_out pixels high,
 * pasted with its centre at (cx, cy), blended into dst over its outer
 * eighth so that no hard edge is left. */
bool cs_paste(const fm_image *dst, const fm_image *face, double x, double y, double w, double h,
              double cx, double cy, double h_out, fm_image *ret);
/* A flat sheet showing src, seen by a pinhole camera (focal length the
 * image width) after turning it by yaw degrees about its vertical centre
 * line, rolling it by roll degrees in its plane and moving it by
 * (dx, dy) pixels; what the sheet no longer covers is grey `grey`. */
bool cs_sheet(const fm_image *src, double yaw, double roll, double dx, double dy, int grey,
              fm_image *ret);
/* Every frame of the video at path into a new array *ret_frames of *ret_n
 * images (cs_frames_free), and its frame rate (as the container states
 * it) into *ret_fps. */
bool cs_video_read(const char *path, fm_image **ret_frames, size_t *ret_n, double *ret_fps);
void cs_frames_free(fm_image *frames, size_t n);
/* Write img as a baseline JPEG at quality to path. */
bool cs_write_jpeg(const fm_image *img, const char *path, int quality);

#ifdef __cplusplus
}
#endif
