/*
 * camera-internal — for hal/camera's own files: the frame source under
 * the device (cam-source.c: a V4L2 camera, a video, or image files, read
 * one frame at a time, with looping, presence and capabilities), the
 * device's state shared by camera.c and camera-check.c, and how a
 * failure is told on the loop.
 */
#pragma once

#include <stdatomic.h>

#include <glib.h>

#include "hal/camera/camera.h"

/* ---- the source ---- */

typedef struct cam_source cam_source;

#define CAM_WHY_LEN 240
#define CAM_MAX_FILES 100000

/* Open what c names. CAM_ERR_NO_DEVICE (nothing at the path),
 * CAM_ERR_NOT_MEDIA (a file OpenCV cannot read), CAM_ERR_OPEN (a camera
 * that will not open), CAM_ERR_NOMEM; why gets the words. */
/* e, with words in why (why_len bytes; why may be NULL): every fault of
 * the camera's C code is said this one way. */
__attribute__((format(printf, 4, 5))) cam_err cam_fail(cam_err e, char *why, size_t why_len, const char *fmt, ...);

cam_err cam_source_open(const cam_conn *c, cam_source **ret, char *why, size_t why_len);
void cam_source_close(cam_source *s);
/* The next frame, looping if the connection says so; CAM_ERR_ENDED at
 * the end of a ",once" source, CAM_ERR_GONE when the camera or a file
 * went away, CAM_ERR_READ / CAM_ERR_NOT_MEDIA for a frame that cannot be
 * read. */
cam_err cam_source_read(cam_source *s, cam_frame **ret, char *why, size_t why_len);
/* Back to the first frame (a camera: nothing to do). */
cam_err cam_source_rewind(cam_source *s, char *why, size_t why_len);
/* Whether it is all still there (the device node, the files). */
cam_err cam_source_present(cam_source *s, char *why, size_t why_len);
/* The rate to pace frames at; 0 for a camera, which paces itself. */
double cam_source_pace_fps(const cam_source *s);
/* The capabilities' lines after "driver:" and "source:". */
void cam_source_caps(cam_source *s, char *out, size_t len);

/* ---- the device ---- */

#define CAM_CAPS_LEN 1000

typedef struct cam_dev {
	/* Set at open, read-only afterwards. */
	cam_conn conn;
	char conn_text[CAM_CONN_TEXT_MAX];
	/* The worker alone replaces src, under lock; status and caps read
	 * what it left under lock. */
	GMutex lock;
	cam_source *src;             /* NULL: not reached (last says why) */
	cam_err last;
	char last_why[CAM_WHY_LEN];
	char caps[CAM_CAPS_LEN];
	/* Waits on the worker end early when the command is cancelled. */
	GMutex wait_lock;
	GCond wait_cond;
	/* The running stream: set on the loop before it starts. */
	cam_frame_cb frame_cb;
	void *frame_user;
	unsigned in_flight_max;
	unsigned max_frames;
	/* Frames waiting for the loop, oldest first; under qlock. One posted
	 * delivery per frame queued, each taking the oldest: a frame dropped
	 * for a newer one leaves the count of deliveries as it was. */
	GMutex qlock;
	cam_frame *ring[CAM_MAX_IN_FLIGHT];
	unsigned head, count;
	bool delivering;             /* a stream runs and has not been stopped */
	cam_stream_stats stats;      /* under qlock */
} cam_dev;

/* On the worker, before a command uses c->src: open the source when it
 * is not (a status event says it is back). CAM_OK or why not (words in
 * why). */
cam_err cam_device_ready(dev *d, cam_dev *c, char *why, size_t why_len);
/* On the worker: failure e of a command (why: its words) told on the
 * loop — a lost or unreadable source is dropped, status and fault events
 * posted — and the command's error. */
dev_err cam_device_fail(dev *d, cam_dev *c, cam_err e, const char *why);
/* Wait on the worker until ms have passed or the command is cancelled;
 * false when cancelled. */
bool cam_device_sleep_until(dev *d, cam_dev *c, int64_t until_us);

/* The self-test command (camera-check.c). */
dev_err cam_device_self_test_work(dev *d, void *priv, void *arg, void **ret_result);
