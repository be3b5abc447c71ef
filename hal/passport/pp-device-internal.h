/*
 * pp-device-internal — for hal/passport's own files and the tests: the
 * reader device on transports the caller makes (a test's scripted or
 * fault-injecting reader), and the parts pp-device.c and
 * pp-device-check.c share (the device's state, its transport's life, and
 * how a failure is told on the loop).
 */
#pragma once

#include <stdatomic.h>

#include "hal/passport/pp-device.h"

/* ---- for tests ---- */

/* Makes a transport for the device: at open, and each time the device
 * opens its transport again (reset, a lost or wedged transport). The
 * device frees every transport it was given. */
typedef pp_err (*pp_device_transport_fn)(void *user, pp_transport **ret);

/* A reader device (driver name "transport") whose transports come from
 * make(user); user must outlive the device. */
dev_err pp_device_open_transport(pp_device_transport_fn make, void *user, GMainContext *ctx, dev_event_cb events,
                                 void *events_user, dev **ret);

/* ---- shared by pp-device.c and pp-device-check.c ---- */

#define PP_DEVICE_CAPS_LEN 768

typedef struct pp_reader_dev {
	/* Set at open, read-only afterwards. */
	char driver[16];             /* "pcsc", "libnfc", "sim", "transport" */
	char conn[600];              /* the connection string; "" with make */
	pp_device_transport_fn make; /* or NULL: pp_transport_open(conn) */
	void *make_user;
	/* The worker alone replaces t, under lock; the loop uses it under
	 * lock (status, cancel); the worker reads it freely. */
	GMutex lock;
	pp_transport *t;             /* NULL: not reached (see last) */
	/* Under lock: what the reader was last seen to be. */
	pp_err last;                 /* PP_OK, or why t is NULL */
	bool present;
	char native[72];             /* the driver's words for its last error */
	char reader[128];            /* the reader's name, or the connection string */
	char caps[PP_DEVICE_CAPS_LEN];
	/* The worker's. */
	bool suspect;                /* a command was cancelled or failed on the link:
	                              * look at the transport before trusting it */
	atomic_bool cancel;          /* the running read's cancel flag */
} pp_reader_dev;

/* On the worker, before a command uses r->t: reach the reader when it is
 * not (open the transport; a status event says it is back), or open it
 * again when the last command may have wedged it. PP_OK, or why the
 * reader cannot be reached, for the command to end with pp_device_fail. */
pp_err pp_device_ready(dev *d, pp_reader_dev *r);
/* On the worker: what failure e of a command means for the device, told
 * on the loop (a prompt, a fault, a status event; a lost transport is
 * dropped), and the command's error. */
dev_err pp_device_fail(dev *d, pp_reader_dev *r, pp_err e);
/* Look at the reader (pp_transport_look) on the worker; a cancel meant
 * for an earlier command is not this command's. */
pp_err pp_device_look(dev *d, pp_reader_dev *r, bool *ret_present);
/* Store what was learnt on the worker, for status (under the lock). */
void pp_device_note_present(pp_reader_dev *r, bool present);
/* Build the capabilities text from the transport and keep it. */
void pp_device_refresh_caps(pp_reader_dev *r);
/* "3B 88 80 01 ..." into out (empty when the transport has no ATR). */
void pp_device_atr_text(pp_reader_dev *r, char *out, size_t len);

/* The self-test command (pp-device-check.c). */
dev_err pp_device_self_test_work(dev *d, void *priv, void *arg, void **ret_result);
