/*
 * cmd_face — what `appm face verify` (cmd_face.c) and `appm face capture`
 * (cmd_face_capture.c) share: the models' place, loading them and the
 * chip photo with the exit codes and words both use, and JSON figures
 * rounded to what they are good for.
 */
#pragma once

#include <jansson.h>

#include "hal/face/verify.h"

/* Where the face models are unless --models says. */
const char *appm_face_models_default(void);
/* Load the models; on failure says why on stderr after "cmd: " and
 * returns the exit code (APPM_EXIT_FACE_MODELS, APPM_EXIT_FAILURE). */
int appm_face_load_models(const char *dir, const char *cmd, fm_models **ret);
/* Read the chip photo at path and embed its one face into *ret; on
 * failure says why and returns the exit code (APPM_EXIT_USAGE: cannot be
 * read; APPM_EXIT_NO_FACE: no single face). */
int appm_face_enroll(fm_models *m, const char *path, const char *cmd, fv_reference *ret);
/* v rounded to a multiple of unit. */
double appm_face_round(double v, double unit);
/* [x1, y1, x2, y2] to 0.1 pixel. */
json_t *appm_face_box_json(const fm_box *b);
/* j, indented, reals to 6 significant digits. */
void appm_face_print_json(const json_t *j);
/* `appm face capture ARGS` (argv[0] is "capture"). */
int appm_face_capture(int argc, char **argv);
