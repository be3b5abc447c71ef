/*
 * device — the core every device class of the kiosk stands on (passport
 * reader, camera, fingerprint scanner, payment terminal, printer): one
 * life cycle, one way to run a command, cancel it, report status and
 * events, and lock a device for maintenance, so that the applicant flow
 * and `appm diag` treat every device alike. Shaped after CEN/XFS4IoT's
 * device model and libfprint's FpDevice.
 *
 * A device is a driver (a constant table of operations filled by field
 * name, chosen by a connection string "driver:param") plus its private
 * state; the core owns its life. Every command is asynchronous: starting
 * one returns at once; its work runs on a worker thread (a GThreadPool),
 * and it completes exactly once, on the kiosk's loop (the GMainContext
 * given at open), with success, an error, or DEV_ERR_CANCELLED. A second
 * command while one runs is DEV_ERR_BUSY; any after close DEV_ERR_NOT_OPEN;
 * cancel reaches a driver blocked in I/O through its cancel operation;
 * close during a command cancels it first. The device's bookkeeping is
 * touched on the loop thread only; workers only run the work and post
 * events.
 *
 * This first part is the core itself with its in-process virtual driver
 * (virtual.c) for the core's tests; the passport reader, the daemon and
 * `appm diag` come onto it next (issue 15).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

typedef enum dev_err {
	DEV_OK = 0,
	DEV_ERR_ARG,            /* caller error: bad connection string or argument */
	DEV_ERR_NOMEM,
	DEV_ERR_NO_DRIVER,      /* no driver of that name in the class */
	DEV_ERR_NOT_SUPPORTED,  /* the driver has no such operation */
	DEV_ERR_BUSY,           /* a command is running */
	DEV_ERR_NOT_OPEN,       /* closed (or never opened) */
	DEV_ERR_CANCELLED,
	DEV_ERR_LOCKED,         /* held for maintenance by someone else */
	DEV_ERR_FAILED,         /* the driver failed; the event or status says how */
} dev_err;

const char *dev_strerror(dev_err e);

/* CEN/XFS4IoT's device status. */
typedef enum dev_state {
	DEV_STATE_ONLINE = 0,
	DEV_STATE_OFFLINE,
	DEV_STATE_POWER_OFF,
	DEV_STATE_NO_DEVICE,
	DEV_STATE_BUSY,
	DEV_STATE_HARDWARE_ERROR,
	DEV_STATE_USER_ERROR,
	DEV_STATE_FRAUD_ATTEMPT,
} dev_state;

const char *dev_state_name(dev_state s);

typedef struct dev_status {
	dev_state state;
	int detail;             /* the driver's own code, 0 when none */
	char text[256];         /* words for an engineer */
} dev_status;

/* XFS4IoT's recommended action for a fault. */
typedef enum dev_action {
	DEV_ACTION_NONE = 0,
	DEV_ACTION_RESET,       /* reset the device */
	DEV_ACTION_CLEAR,       /* an operator can fix it */
	DEV_ACTION_MAINTENANCE, /* an engineer is needed */
	DEV_ACTION_SUSPEND,     /* the device is recovering by itself */
} dev_action;

typedef enum dev_event_kind {
	DEV_EVENT_STATUS,       /* status changed (status) */
	DEV_EVENT_PROMPT,       /* something the applicant can fix (text) */
	DEV_EVENT_FAULT,        /* the device is faulty (text, action) */
	DEV_EVENT_PROGRESS,     /* a command moved on (done of total) */
	DEV_EVENT_MEDIA,        /* a document (card, finger, ...) arrived or left (present, text) */
} dev_event_kind;

typedef struct dev_event {
	dev_event_kind kind;
	dev_status status;      /* DEV_EVENT_STATUS */
	char text[256];         /* PROMPT, FAULT */
	dev_action action;      /* FAULT */
	size_t done, total;     /* PROGRESS */
	bool present;           /* MEDIA */
} dev_event;

typedef struct dev dev;

/* Called on the loop for each unsolicited event, in order. */
typedef void (*dev_event_cb)(dev *d, const dev_event *ev, void *user);
/* Called on the loop exactly once when a command ends: e is DEV_OK, the
 * work's error, or DEV_ERR_CANCELLED; result is what the work produced
 * (the caller frees it with the command's free function, which the core
 * calls itself when the command was cancelled). */
typedef void (*dev_done_cb)(dev *d, dev_err e, void *result, void *user);

/* ---- for drivers ---- */

/* The work of a command, on a worker: returns its error and may set
 * *ret_result. It checks dev_cancelled(d) between steps; a driver blocked
 * in I/O is woken by its cancel operation. */
typedef dev_err (*dev_work_fn)(dev *d, void *priv, void *arg, void **ret_result);

typedef struct dev_driver {
	const char *name;         /* the connection string's first field */
	const char *description;
	/* param: what follows "name:". On the loop. */
	dev_err (*open)(dev *d, const char *param, void **ret_priv);
	void (*close)(void *priv);
	dev_err (*status)(void *priv, dev_status *ret);
	/* One line per capability, e.g. "extended length: yes". */
	dev_err (*capabilities)(void *priv, char *out, size_t len);
	/* Reset and self-test run as commands (on a worker). */
	dev_work_fn reset;
	dev_work_fn self_test;   /* *ret_result: a malloc'ed report, text */
	/* From the loop while a command's work runs: make it return soon. */
	void (*cancel)(void *priv);
} dev_driver;

/* From a worker (or the loop): an unsolicited event, delivered on the loop. */
void dev_post_event(dev *d, const dev_event *ev);
/* From a worker (or the loop): fn(d, data) run on the loop, in order with
 * events and completions, and counted like them, so that a call posted
 * before a command's work returns runs before its done callback and
 * dev_close runs every call posted before the driver closes. For what a
 * class delivers that a dev_event cannot carry (a camera's frames); fn
 * owns data. False (nothing posted) when out of memory. */
bool dev_post_call(dev *d, void (*fn)(dev *d, void *data), void *data);
/* Whether the command running has been cancelled (from its worker). */
bool dev_cancelled(dev *d);
/* The driver's private state. */
void *dev_priv(dev *d);
/* During the driver's open only: the open_data given to dev_open_with
 * (NULL after dev_open). */
void *dev_open_data(dev *d);

/* A self-test's report, built a line at a time: text is a malloc'ed
 * DEV_REPORT_LEN bytes (the driver hands it back as *ret_result), cut
 * where it is full. */
#define DEV_REPORT_LEN 1024
typedef struct dev_report {
	char *text;              /* NULL when out of memory */
	size_t len;
} dev_report;
dev_report dev_report_new(void);
__attribute__((format(printf, 2, 3))) void dev_report_line(dev_report *r, const char *fmt, ...);

/* ---- for the kiosk ---- */

/* Open by connection string among drivers (NULL-terminated), on the loop
 * of ctx (NULL: the default context). events may be NULL. */
dev_err dev_open(const dev_driver *const *drivers, const char *connstr, GMainContext *ctx, dev_event_cb events,
                 void *events_user, dev **ret);
/* Open with one driver, handing its open what a string cannot carry
 * (open_data, found with dev_open_data): how a device class opens a
 * device on something the caller made, e.g. a test's fault-injecting
 * transport. param is what would follow "name:". */
dev_err dev_open_with(const dev_driver *drv, const char *param, void *open_data, GMainContext *ctx,
                      dev_event_cb events, void *events_user, dev **ret);
/* Close: a running command is cancelled first and completes cancelled
 * (its done callback runs, on the loop, before dev_close returns), and
 * every event already posted is delivered; then the driver is closed.
 * Commands after it are DEV_ERR_NOT_OPEN. On the loop's thread. */
void dev_close(dev *d);
/* Close if open, then free. NULL is fine. */
void dev_free(dev *d);

const char *dev_driver_name(const dev *d);
/* The driver's status; an online device held for maintenance is busy. */
dev_err dev_status_get(dev *d, dev_status *ret);
dev_err dev_capabilities(dev *d, char *out, size_t len);

/* Start a command: work(d, priv, arg) on a worker, done on the loop.
 * free_result frees what work returned when nobody will (may be NULL). */
dev_err dev_command(dev *d, const char *owner, dev_work_fn work, void *arg, void (*free_result)(void *),
                    dev_done_cb done, void *user);
dev_err dev_reset(dev *d, const char *owner, dev_done_cb done, void *user);
dev_err dev_self_test(dev *d, const char *owner, dev_done_cb done, void *user);
/* Cancel the running command (DEV_OK when none runs). */
dev_err dev_cancel(dev *d);
bool dev_busy(const dev *d);

/* Maintenance lock: owner (e.g. "diag") takes the device while no command
 * runs; commands from any other owner are DEV_ERR_LOCKED until it gives
 * it back. */
dev_err dev_lock(dev *d, const char *owner);
dev_err dev_unlock(dev *d, const char *owner);
