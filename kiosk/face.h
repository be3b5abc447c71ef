/*
 * face — the journey's camera step in the daemon: the face models loaded
 * at start, the chip's face enrolled once per session, and one attempt
 * at a time of hal/face/step.h run on the camera's frames.
 *
 * The networks take 10-30 ms a frame, too long for the loop that also
 * serves the page and the devices, so they run on a worker thread of
 * their own: the loop hands it the newest frame whenever it is idle
 * (frames that arrive while it works are shown in the preview and then
 * dropped, never queued), and the worker's answer comes back to the loop.
 * An attempt stopped (Cancel, an officer, the session wiped) is
 * forgotten at once; an answer still on its way for it is dropped.
 *
 * Biometric data (the chip's embedding, the frames, the photo) stays in
 * memory and is dropped by kface_wipe; the journey decides what of the
 * result joins the session.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "crypto/lds/face.h"
#include "hal/face/step.h"
#include "kiosk/devices.h"

typedef struct kface kface;

/* What the journey hears: the prompt or phase changed (decided false), or
 * the attempt ended (decided true; kface_result has it). */
typedef void (*kface_update_fn)(kface *f, bool decided, void *user);
/* Each camera frame, on the loop, before the step sees it: the preview. */
typedef void (*kface_frame_fn)(const cam_frame *frame, void *user);

/* Load the models from dir. NULL with why (naming the file) when they
 * cannot be loaded: the face step is then not fitted. cfg as step.h's. */
kface *kface_new(const char *dir, const fs_config *cfg, GMainContext *ctx, char *why, size_t why_len);
void kface_free(kface *f);

/* Enroll the chip's face (DG2, decoded): false with why when it has no
 * single face or a network failed (an officer must compare by eye). */
bool kface_set_chip(kface *f, const face_image *chip, char *why, size_t why_len);
/* Whether a chip face is enrolled. */
bool kface_has_chip(const kface *f);

/* Start an attempt on the first camera of devs: DEV_OK, or why the
 * stream cannot start (then nothing runs). update and frame on the loop.
 * photo_only: the photo alone (FS_CAPTURED), for an officer who compares
 * it by eye; otherwise a chip face must be enrolled. An attempt that ends
 * with decision FS_PENDING failed on the kiosk's side (the camera
 * stopped, a network failed): result.why says which. */
dev_err kface_start(kface *f, kdevs *devs, bool photo_only, kface_update_fn update, kface_frame_fn frame,
                    void *user);
/* Stop the attempt, if one runs (nothing more is heard of it). */
void kface_stop(kface *f);
/* Stop, and forget the chip's face and the last result. */
void kface_wipe(kface *f);

/* Now: the phase ("guide", "challenge", "checking"), the prompt id (NULL
 * before the first) of the running attempt. */
const char *kface_phase(const kface *f);
const char *kface_prompt(const kface *f);
/* The last attempt's outcome (decision FS_PENDING when none); the photo's
 * bytes stay kface's until the next attempt or kface_wipe. */
void kface_result(const kface *f, fs_result *ret);

/* Wipe a malloc'ed block (its whole usable size) and free it: for what
 * holds biometric or personal data. NULL is fine. */
void kface_wipe_free(void *p);
