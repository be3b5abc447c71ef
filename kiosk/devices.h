/*
 * devices — the kiosk's configured devices on the device core: opens each
 * one by its class's drivers, keeps the passive ones watching (the
 * passport reader watches for a document), shows a device that cannot be
 * opened or goes away as offline with the reason and opens it again when
 * it comes back, and runs the field engineer's self-test and reset under
 * the maintenance lock. `appm kiosk` holds one set for its whole life;
 * `appm diag` without a daemon holds one for a single request, so both
 * describe the devices in the same words.
 *
 * A new device class is one row of the class table in devices.c: its
 * drivers and, if it has one, the command that watches it while idle.
 *
 * Everything here runs on the loop's thread.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <glib.h>
#include <jansson.h>

#include "hal/camera/camera.h"
#include "hal/core/device.h"
#include "hal/passport/passport.h"
#include "kiosk/config.h"

/* The class names a configuration may use, NULL-terminated. */
extern const char *const kdev_class_names[];

typedef struct kdev_counters {
	unsigned long operations;
	unsigned long failures;
	char last_error[256];   /* "" when none */
	time_t last_error_at;   /* 0 when none */
} kdev_counters;

/* What the set tells its owner: events to log and pass on, operations to
 * count, and counters to show. Every field may be NULL. */
typedef struct kdev_hooks {
	/* kind: one word ("placed", "removed", "offline", "online", "fault",
	 * "prompt", "status", "locked", "unlocked", "self-test", "reset");
	 * text: words without personal data. */
	void (*event)(const char *device, const char *kind, const char *text, void *user);
	void (*count)(const char *device, bool failed, const char *error, void *user);
	bool (*counters)(const char *device, kdev_counters *ret, void *user);
	void *user;
} kdev_hooks;

typedef struct kdevs kdevs;

/* A set for the devices of cfg (which must outlive it) on ctx's loop.
 * watch: keep idle devices watching and offline ones being re-opened
 * (the daemon, `diag watch`); without it a device is only opened. */
kdevs *kdevs_new(const kcfg *cfg, GMainContext *ctx, const kdev_hooks *hooks, bool watch);
/* Open every device (a failure leaves it offline, with its reason). */
void kdevs_start(kdevs *s);
/* Close every device (cancelling what runs) and free. NULL is fine. */
void kdevs_free(kdevs *s);

/* Every device as diag shows it: [{name, class, connection, driver,
 * state, detail, status, capabilities[], counters{}, locked_by}]. */
json_t *kdevs_describe(kdevs *s);
bool kdevs_has(const kdevs *s, const char *name);

/* An applicant is using the kiosk: maintenance is refused meanwhile. */
void kdevs_set_in_use(kdevs *s, bool in_use);

typedef enum kdev_op {
	KDEV_OP_SELF_TEST,
	KDEV_OP_RESET,
} kdev_op;

/* Called on the loop when a maintenance operation ends: e is DEV_OK or
 * why it failed; report is the self-test's or reset's words. */
typedef void (*kdev_op_done)(const char *device, kdev_op op, dev_err e, const char *report, void *user);

/* Run op on the device named name under the maintenance lock: the
 * device's watch is stopped, the lock taken, op run, the lock given back
 * and the watch started again. DEV_ERR_ARG: no such device; DEV_ERR_BUSY:
 * an applicant is using the kiosk or another maintenance operation runs
 * on that device; DEV_ERR_NOT_OPEN: the set is being closed. Otherwise
 * done is called exactly once, later. A reset of an offline device tries
 * to open it. */
dev_err kdevs_maintain(kdevs *s, const char *name, kdev_op op, kdev_op_done done, void *user);

/* ---- the applicant's read ---- */

/* Progress of the read (bytes of the chip read of expected), and its end:
 * e is DEV_OK, DEV_ERR_FAILED (rep->err says why, with its class) or
 * DEV_ERR_CANCELLED; rep (may be NULL when cancelled) is the callee's, to
 * pp_report_free. */
typedef void (*kdev_read_progress)(size_t done, size_t total, void *user);
typedef void (*kdev_read_done)(dev_err e, pp_report *rep, void *user);

/* Read the document on the first passport reader for the journey: its
 * watch stops, the read runs (owner "flow"), the watch starts again.
 * key is copied; trust must outlive the read. DEV_ERR_NOT_OPEN: no
 * reader online; DEV_ERR_BUSY: held for maintenance or already reading.
 * Otherwise done is called exactly once, later. */
dev_err kdevs_read_passport(kdevs *s, const pp_access_key *key, const pa_trust *trust, kdev_read_progress progress,
                            kdev_read_done done, void *user);
/* Cancel the journey's read, if one runs (done then says cancelled). */
void kdevs_cancel_read(kdevs *s);

/* ---- the journey's camera ---- */

/* The stream's end: DEV_OK (a ",once" file ran out), DEV_ERR_CANCELLED
 * (kdevs_stop_camera) or DEV_ERR_FAILED (the camera went away; its
 * fault event says why). */
typedef void (*kdev_stream_done)(dev_err e, void *user);

/* Whether a camera is configured (online or not). */
bool kdevs_has_camera(kdevs *s);
/* Stream the first camera's frames to frame (on the loop; the callee owns
 * each), as kdevs_read_passport reads: the watch stops, the stream runs
 * (owner "flow"), the watch starts again. DEV_ERR_NOT_OPEN: no camera
 * online; DEV_ERR_BUSY: held for maintenance or streaming already.
 * Otherwise done is called exactly once, later. */
dev_err kdevs_stream_camera(kdevs *s, cam_frame_cb frame, kdev_stream_done done, void *user);
/* Stop the journey's stream, if one runs (done then says cancelled). */
void kdevs_stop_camera(kdevs *s);

/* A maintenance operation's outcome as diag prints it, whichever way it
 * ran: {ok, device, operation, report, error}. */
json_t *kdevs_op_answer(const char *device, kdev_op op, dev_err e, const char *report);
