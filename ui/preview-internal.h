/*
 * preview-internal — what the page server (server.c) and the camera's
 * preview stream (preview.c) share; not for the rest of the kiosk, which
 * calls ui_server_preview (server.h).
 *
 * The server owns one ui_preview: it hands it each frame from the loop,
 * asks it for the response of each GET /api/camera.mjpeg, ends its
 * streams before stopping libmicrohttpd and frees it after.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "ui/server.h"

typedef struct ui_preview ui_preview;

/* ---- life (on the loop) ---- */

ui_preview *ui_preview_new(void);
/* End every stream (each connection's thread returns); before MHD_stop_daemon. */
void ui_preview_stop(ui_preview *p);
/* After MHD_stop_daemon, when no connection holds the preview. NULL is fine. */
void ui_preview_free(ui_preview *p);

/* ---- frames (on the loop) ---- */

/* As ui_server_preview: a frame, or NULL to turn the preview off. */
void ui_preview_frame(ui_preview *p, const uint8_t *bgr, int width, int height, size_t stride);
void ui_preview_get_stats(ui_preview *p, ui_preview_stats *ret);

/* ---- watchers (on a connection's thread) ---- */

/* A new watcher's response, the multipart stream with its headers, to be
 * queued and destroyed by the caller; or NULL with the refusal's HTTP
 * status and words (a constant string) in *ret_status and *ret_why. fd
 * is the connection's socket (its send buffer is set), or -1. */
struct MHD_Response *ui_preview_watch(ui_preview *p, int fd, unsigned *ret_status, const char **ret_why);
