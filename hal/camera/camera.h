/*
 * camera — the kiosk's camera as a device of the core (hal/core/device.h):
 * frames from a V4L2 camera through OpenCV, or from files for tests and
 * the demo, streamed to a callback on the kiosk's loop; status,
 * capabilities, reset and a self-test that judges one frame.
 *
 * Connection strings (the first field picks the driver, as for the
 * passport reader; cam_conn_parse says what is wrong in words):
 *
 *   v4l2:DEVICE[:WIDTHxHEIGHT[@FPS]][,exposure=auto|N][,focus=auto|N]
 *       a V4L2 camera through cv::VideoCapture's V4L2 backend. DEVICE is
 *       a path under /dev (/dev/video0, or a stable /dev/v4l/by-id/...
 *       name, which may hold colons: the mode is taken from the end of
 *       what comes before the first comma; it holds no comma). The
 *       camera is asked for the resolution and rate; what it gives is in
 *       the capabilities. The options, each at most once, set controls
 *       at every open:
 *         exposure=auto   automatic exposure (V4L2's aperture priority,
 *                         or its full auto for a camera without it)
 *         exposure=N      manual, N in V4L2's absolute units of 100 us,
 *                         1 to 100000 (0.1 ms to 10 s: APPM's bounds;
 *                         the camera's own range is usually narrower)
 *         focus=auto      autofocus on
 *         focus=N         autofocus off, then the lens at N, 0 to 1000
 *                         (APPM's bounds; the camera's scale is its own)
 *       A control the camera does not offer is no error: the camera opens
 *       and the capabilities say so ("exposure: asked 150, not offered by
 *       the camera"); one it offers is read back after setting
 *       ("exposure: 150 (asked 150)"; ", refused by the camera" when the
 *       setting failed).
 *   file:PATTERN[@FPS][,loop|,once]   (no ",exposure=" or ",focus=": refused)
 *       plays files at FPS frames a second (default CAM_FILE_DEFAULT_FPS
 *       for images, a video's own rate for a video): an image sequence
 *       named printf-style with one %d conversion (frames/%03d.png, from
 *       index 0 or 1 up to the first gap), a glob (frames/f*.png: *, ? or
 *       [...] in the pattern; in name order), one image (the same frame again and again, as a still
 *       camera), or a video file OpenCV's FFmpeg backend reads. It loops
 *       by default, as a camera never ends; ",once" ends the stream after
 *       the last frame (the stream then completes DEV_OK).
 *
 * Opening succeeds whenever the connection string is good, even with no
 * camera or file at the path: the device is then there but not ready, its
 * status says why (no device, hardware error), and the next command or a
 * reset tries again — so the kiosk shows it offline with the reason and
 * opens it again later, as it does the reader.
 *
 * Commands (on the device's worker, completed on the loop):
 *
 *   stream     frames to opt->frame on the loop, in order, each with its
 *              sequence number and monotonic capture time; at most
 *              max_in_flight frames wait for the loop: when the loop is
 *              slower than the camera the oldest waiting frame is dropped
 *              (counted) rather than queued without bound. Runs until
 *              stopped (cam_device_stop: completes DEV_ERR_CANCELLED;
 *              frames still waiting are dropped), max_frames read or
 *              a ",once" source ended (DEV_OK, after the last frame), or
 *              the camera failed (DEV_ERR_FAILED; see below).
 *   watch      the kiosk's idle watch: looks every CAM_WATCH_MS that the
 *              camera (or the files) is still there; ends DEV_ERR_FAILED
 *              when it is gone, until then runs until cancelled.
 *   self-test  (dev_self_test) one frame judged; the report, one
 *              "key: value" a line: "source:", "frame: WxH", "brightness:"
 *              (mean luma), "contrast:" (luma standard deviation),
 *              "sharpness:" (variance of the Laplacian), each with its
 *              sane range and words when out of it ("too dark", "too
 *              bright", "flat", "blurred"), then "result: passed" or
 *              "result: failed (...)". DEV_ERR_FAILED when a figure is out
 *              of range or no frame comes (the report says why).
 *   reset      (dev_reset) the source closed and opened again.
 *
 * THE CAMERA LOST. A camera unplugged (its device node gone, or a read
 * failing) or a file that went away: the device drops the source and
 * posts DEV_EVENT_STATUS (no device, or hardware error for a source that
 * is there but unreadable) and DEV_EVENT_FAULT (action MAINTENANCE) with
 * the words, then the command completes DEV_ERR_FAILED. Status details
 * are cam_err codes.
 *
 * Capabilities ("key: value" lines, read at open and at each reopen):
 * "driver:", "source:", "resolution: WxH", "frame rate: N fps",
 * "end: loops|ends" (file), "controls: exposure, auto exposure, focus,
 * autofocus" or "controls: none" (what the camera offers; a file offers
 * none), then "exposure: ..." and "focus: ..." for the controls the
 * connection string asked for (see v4l2 above).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/core/device.h"

#ifdef __cplusplus
extern "C" { /* cv-capture.cpp makes frames */
#endif

/* ---- errors ---- */

typedef enum cam_err {
	CAM_OK = 0,
	CAM_ERR_ARG,         /* a bad connection string */
	CAM_ERR_NO_DRIVER,   /* the connection string names no camera driver */
	CAM_ERR_NO_DEVICE,   /* no camera, or no file, at the path */
	CAM_ERR_NOT_MEDIA,   /* a file that is not an image or a video */
	CAM_ERR_OPEN,        /* there, but it cannot be opened (permission, in use) */
	CAM_ERR_READ,        /* a frame could not be read */
	CAM_ERR_GONE,        /* the camera went away while in use (unplugged) */
	CAM_ERR_ENDED,       /* a ",once" source has no more frames */
	CAM_ERR_NOMEM,
	CAM_ERR_CANCELLED,
} cam_err;

const char *cam_strerror(cam_err e);

/* ---- connection strings ---- */

typedef enum cam_driver_kind {
	CAM_DRIVER_V4L2,
	CAM_DRIVER_FILE,
} cam_driver_kind;

#define CAM_PATH_MAX 256
#define CAM_MAX_SIDE 8192         /* pixels, either side */
#define CAM_MAX_FPS 240.0
#define CAM_FILE_DEFAULT_FPS 10.0 /* an image sequence without @FPS */

/* APPM's bounds on the v4l2 options (not the camera's: it clamps or
 * refuses within them, and the capabilities show what it did). */
#define CAM_EXPOSURE_MIN 1        /* V4L2 absolute exposure, 100 us units */
#define CAM_EXPOSURE_MAX 100000   /* 10 s */
#define CAM_FOCUS_MIN 0
#define CAM_FOCUS_MAX 1000
/* cam_conn_format's longest answer, with its NUL. */
#define CAM_CONN_TEXT_MAX (CAM_PATH_MAX + 64)

typedef enum cam_control_mode {
	CAM_CONTROL_UNSET,       /* not asked: left as the camera has it */
	CAM_CONTROL_AUTO,
	CAM_CONTROL_MANUAL,      /* at value */
} cam_control_mode;

/* One control a v4l2 connection string asks for. */
typedef struct cam_control {
	cam_control_mode mode;
	int value;               /* CAM_CONTROL_MANUAL: the value; else 0 */
} cam_control;

typedef struct cam_conn {
	cam_driver_kind driver;
	char path[CAM_PATH_MAX]; /* v4l2: the device; file: the pattern */
	int width, height;       /* v4l2: asked for; 0: the camera's own */
	double fps;              /* 0: the camera's, the video's or CAM_FILE_DEFAULT_FPS */
	bool loop;               /* file: start again after the last frame */
	cam_control exposure;    /* v4l2: set at open; file: always UNSET */
	cam_control focus;
} cam_conn;

/* Parse a whole connection string ("v4l2:..." or "file:..."). On failure
 * *ret is untouched and why (may be NULL) holds words naming the fault. */
cam_err cam_conn_parse(const char *connstr, cam_conn *ret, char *why, size_t why_len);
/* Back to a connection string that parses to the same (for messages). */
void cam_conn_format(const cam_conn *c, char *out, size_t len);

/* ---- frames ---- */

typedef struct cam_frame {
	int width, height;
	size_t stride;           /* bytes a row, at least 3 * width */
	uint8_t *data;           /* BGR8, rows top to bottom */
	uint64_t seq;            /* 0, 1, 2, ... within a stream */
	int64_t timestamp_us;    /* g_get_monotonic_time() when it was read */
} cam_frame;

/* A frame of width x height, contents zero; NULL on bad size or memory. */
cam_frame *cam_frame_new(int width, int height);
void cam_frame_free(cam_frame *f);

/* ---- the self-test's figures ---- */

/* Sane ranges of one frame (8-bit luma, BT.601 weights). A frame is
 * "too dark" below MIN_BRIGHTNESS, "too bright" above MAX_BRIGHTNESS,
 * "flat" (a covered lens, a plain surface) below MIN_CONTRAST, "blurred"
 * below MIN_SHARPNESS (variance of the 3x3 Laplacian of the luma). The
 * sharpness bound is a first figure, to be checked against the kiosk's
 * real camera and light. */
#define CAM_SELFTEST_MIN_BRIGHTNESS 40.0
#define CAM_SELFTEST_MAX_BRIGHTNESS 220.0
#define CAM_SELFTEST_MIN_CONTRAST 10.0
#define CAM_SELFTEST_MIN_SHARPNESS 50.0

typedef struct cam_quality {
	double brightness;       /* mean luma, 0-255 */
	double contrast;         /* standard deviation of the luma */
	double sharpness;        /* variance of the Laplacian of the luma */
	bool too_dark, too_bright, flat, blurred;
} cam_quality;

/* Measure f and judge it against the bounds above. */
cam_err cam_frame_quality(const cam_frame *f, cam_quality *ret);
/* Whether every figure is within its range. */
bool cam_quality_ok(const cam_quality *q);

/* ---- files read directly, without the device (command-line tools) ---- */

typedef struct cam_reader cam_reader;

/* What "file:PATH,once" plays, read at once rather than paced, on the
 * caller's thread: one image, an image sequence (a %d pattern or a glob)
 * or a video. PATH is taken as it is (no @FPS or ",loop" parsed from it).
 * Errors and words as the file driver's: CAM_ERR_NO_DEVICE when nothing
 * is at PATH, CAM_ERR_NOT_MEDIA when it is not an image or a video. */
cam_err cam_reader_open(const char *path, cam_reader **ret, char *why, size_t why_len);
/* The rate the file driver would play it at: a video's own, else
 * CAM_FILE_DEFAULT_FPS (what frame times the frames stand for). */
double cam_reader_fps(const cam_reader *r);
/* The next frame (the caller frees it); CAM_ERR_ENDED after the last. */
cam_err cam_reader_read(cam_reader *r, cam_frame **ret, char *why, size_t why_len);
void cam_reader_close(cam_reader *r);

/* ---- the device ---- */

/* v4l2 and file. */
extern const dev_driver *const cam_device_drivers[];

/* For the kiosk: words for a connection string dev_open refused
 * (DEV_ERR_ARG, DEV_ERR_NO_DRIVER), from cam_conn_parse. */
void cam_device_explain(const char *connstr, char *out, size_t len);

#define CAM_WATCH_MS 1000
#define CAM_DEFAULT_IN_FLIGHT 4
#define CAM_MAX_IN_FLIGHT 32

/* Called on the loop for each frame; the callee owns it (cam_frame_free). */
typedef void (*cam_frame_cb)(dev *d, cam_frame *frame, void *user);

typedef struct cam_stream_options {
	cam_frame_cb frame;      /* required */
	void *frame_user;
	unsigned max_in_flight;  /* 0: CAM_DEFAULT_IN_FLIGHT; at most CAM_MAX_IN_FLIGHT */
	unsigned max_frames;     /* 0: until stopped or the source ends */
} cam_stream_options;

/* What the last (or running) stream did; on the loop. */
typedef struct cam_stream_stats {
	uint64_t read;           /* frames read from the source */
	uint64_t delivered;      /* handed to the callback */
	uint64_t dropped;        /* dropped while waiting for the loop, or at stop */
	bool ended;              /* a ",once" source ran out */
} cam_stream_stats;

dev_err cam_device_stream(dev *d, const char *owner, const cam_stream_options *opt, dev_done_cb done, void *user);
/* Stop a stream (the command completes DEV_ERR_CANCELLED). */
dev_err cam_device_stop(dev *d);
dev_err cam_device_stream_stats(dev *d, cam_stream_stats *ret);
dev_err cam_device_watch(dev *d, const char *owner, dev_done_cb done, void *user);

#ifdef __cplusplus
}
#endif
