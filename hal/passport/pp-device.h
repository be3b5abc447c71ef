/*
 * pp-device — the passport reader as a device of the kiosk's core
 * (hal/core/device.h). Open it with the reader's own connection string
 * ("pcsc", "pcsc:NAME", "libnfc:...", "sim:DIR") among pp_device_drivers.
 * Its commands run on the device's worker and complete on the loop:
 *
 *   watch  DEV_EVENT_MEDIA as a document is placed or removed (the
 *          transport's wait for a change: no busy polling through PC/SC),
 *          until cancelled (completes DEV_ERR_CANCELLED)
 *   read   the reader's one operation (pp_read_passport) with the access
 *          key and trust store given; DEV_EVENT_PROGRESS with bytes read
 *          of expected; the result is the pp_report (free it with
 *          pp_report_free), on success and on failure (DEV_ERR_FAILED:
 *          its err says which, with its class)
 *
 * Cancel reaches a read between commands (its cancel flag) and in an
 * exchange (pp_transport_cancel), and a watch in its wait.
 */
#pragma once

#include "hal/core/device.h"
#include "hal/passport/passport.h"

/* pcsc, libnfc and sim, as the transport registry has them. */
extern const dev_driver *const pp_device_drivers[];

dev_err pp_device_watch(dev *d, const char *owner, dev_done_cb done, void *user);
/* key and trust must stay valid until the command completes. */
dev_err pp_device_read(dev *d, const char *owner, const pp_access_key *key, const pa_trust *trust,
                       dev_done_cb done, void *user);
