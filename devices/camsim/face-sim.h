/*
 * face-sim — image transforms the face evaluation and benchmark need,
 * made with OpenCV (warps, JPEG coding) in face-sim.cpp behind this C
 * header: a copy of a face moved, scaled, rotated or recompressed (a
 * genuine pair that is not the same pixels), and simulated presentation
 * attacks: a printed photo held up (a still moved rigidly, paper's low
 * contrast and warm tint, a halftone's moiré, JPEG artefacts) and a
 * screen replaying a video (a screen's blue cast and gamma, its pixel
 * grid's moiré, a little blur). Each returns a new image (fm_image_free)
 * or false when out of memory.
 */
#pragma once

#include <stdbool.h>

#include "hal/face/fm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* src moved by (dx, dy), scaled by scale and rotated by angle degrees
 * about its centre, on a canvas of its own size (border repeated). */
bool sim_affine(const fm_image *src, double dx, double dy, double scale, double angle, fm_image *ret);
/* src resized to width x height (letterboxed: aspect kept, centred, on
 * grey). */
bool sim_fit(const fm_image *src, int width, int height, fm_image *ret);
/* src encoded as JPEG at quality and decoded again. */
bool sim_jpeg(const fm_image *src, int quality, fm_image *ret);
/* A printed photo of src, frame `step` of the attack: moved rigidly
 * (a few pixels and a fraction of a degree each step), contrast 0.6,
 * warm paper tint, halftone moiré, JPEG quality 40. */
bool sim_print(const fm_image *src, int step, fm_image *ret);
/* A screen replaying src: blue cast, gamma 0.8, the screen's pixel grid
 * beating with the camera's (moiré), slight blur. */
bool sim_screen(const fm_image *src, fm_image *ret);

#ifdef __cplusplus
}
#endif
