/*
 * virtual — the device core's own scriptable device, "virtual:NAME", for
 * its tests and for trying the core without hardware (libfprint's
 * virtual devices play the same part): each command does what the script
 * says — succeed, fail, block until cancelled, go offline or be unplugged
 * in the middle, or prompt the applicant first.
 *
 * Offline (DEV_VIRTUAL_OFFLINE) plays a reader whose service has stopped:
 * from the moment the mode is set the status is DEV_STATE_OFFLINE, and
 * every command (reset included) fails with a status event (offline) and
 * a fault (DEV_ACTION_SUSPEND), until another mode is set, which brings
 * it back online with a status event.
 */
#pragma once

#include "hal/core/device.h"

typedef enum dev_virtual_mode {
	DEV_VIRTUAL_SUCCEED = 0, /* the command succeeds; its result is a string */
	DEV_VIRTUAL_FAIL,        /* the command fails, with a fault event (reset) */
	DEV_VIRTUAL_BLOCK,       /* the command waits until it is cancelled */
	DEV_VIRTUAL_UNPLUG,      /* the device goes away mid-command (no device) */
	DEV_VIRTUAL_PROMPT,      /* a prompt for the applicant, then success */
	DEV_VIRTUAL_OFFLINE,     /* offline until another mode is set (see above) */
} dev_virtual_mode;

extern const dev_driver dev_virtual_driver;

/* What the next commands do (from the loop). Leaving DEV_VIRTUAL_OFFLINE
 * posts a status event (online). */
void dev_virtual_set_mode(dev *d, dev_virtual_mode mode);
/* Commands run so far, and cancels the driver saw. */
unsigned dev_virtual_runs(dev *d);
unsigned dev_virtual_cancels(dev *d);
/* A command for the virtual device: follows the mode. */
dev_err dev_virtual_work(dev *d, void *priv, void *arg, void **ret_result);
