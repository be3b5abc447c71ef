/*
 * pp-device — the passport reader as a device of the kiosk's core
 * (hal/core/device.h). Open it with the reader's own connection string
 * ("pcsc", "pcsc:NAME", "libnfc:...", "sim:DIR") among pp_device_drivers.
 *
 * Opening succeeds whenever the connection string is good, even with the
 * reader unplugged or pcscd down: the device is then there but not ready,
 * and its status says why (below); the next command or a reset tries to
 * reach the reader again. Only a bad connection string (DEV_ERR_ARG) or
 * memory (DEV_ERR_NOMEM) fail the open.
 *
 * Commands run on the device's worker and complete on the loop:
 *
 *   watch      DEV_EVENT_MEDIA first with how the reader is (present:
 *              "document present; ATR 3B ...", or "no document"), then at
 *              each change ("document placed; ATR 3B ...", "document
 *              removed"), through the transport's wait for a change (no
 *              busy polling through PC/SC), until cancelled (completes
 *              DEV_ERR_CANCELLED) or the reader is lost (DEV_ERR_FAILED,
 *              see below)
 *   read       the reader's one operation (pp_read_passport) with the
 *              access key and trust store given; DEV_EVENT_PROGRESS with
 *              bytes read of expected; the result is the pp_report (free
 *              it with pp_report_free), on success and on failure
 *              (DEV_ERR_FAILED: its err says which, with its class). A
 *              failure the applicant can fix (removed, no document, wrong
 *              MRZ) also posts DEV_EVENT_PROMPT with the words to show; a
 *              device fault posts DEV_EVENT_FAULT with its action.
 *   self-test  (dev_self_test) a text report, one "key: value" a line:
 *              "reader:", "answers: yes (document present|empty)" or
 *              "answers: no (why)"; with a document its "ATR:" (hex) and
 *              "SELECT eMRTD application (A0 00 00 02 47 10 01):" with the
 *              chip's status word; without one "no document: place one to
 *              test the chip link". DEV_ERR_FAILED (the report still
 *              given) when the reader does not answer or the link to the
 *              chip fails by the reader's fault.
 *   reset      (dev_reset) the transport closed and opened again: PC/SC's
 *              context released and established anew (the card connection
 *              dropped with it), libnfc's device closed and opened, the
 *              simulated reader's document loaded again. A status event
 *              follows; DEV_ERR_FAILED (with status and fault events) when
 *              the reader cannot be reached.
 *
 * Cancel reaches a read between commands (its cancel flag) and in an
 * exchange (pp_transport_cancel), a watch in its wait. A PC/SC exchange
 * abandoned that way leaves pcsc-lite's context unusable (pcsc.c); the
 * device notices at its next command and opens the transport again.
 *
 * Capabilities (dev_capabilities) are read when the transport opens and
 * kept, so asking never waits on the reader: "driver:", "reader:",
 * "extended length: yes|no|unknown (...)", "largest command:", "largest
 * response:", "access control: BAC, PACE (MRZ or CAN)", "authentication:
 * ...", "presence: wait-for-change (SCardGetStatusChange)" or "presence:
 * presence checks (libnfc), every 100 ms". A self-test refreshes them
 * (PC/SC readers tell their largest APDU only with a card connected).
 *
 * Status (dev_status_get) never waits on the reader: PC/SC readers are
 * asked through a context of their own; others say what the last command
 * saw. XFS4IoT states, detail = the pp_err that says why (0 when online):
 *   online        text "READER: document present" or "READER: empty"
 *   offline       pcscd is not running (PP_ERR_NO_SERVICE), or the
 *                 connection to it was lost: it stopped or restarted
 *                 (PP_ERR_SERVICE_STOPPED)
 *   no device     the reader is not there (PP_ERR_NO_READER)
 *   hardware error  the link to the reader failed (PP_ERR_COMM, ...)
 *
 * THE READER LOST — what the daemon does. When a command finds pcscd gone
 * or restarted, or the reader gone, the device drops its transport and
 * posts, before the command completes DEV_ERR_FAILED:
 *   DEV_EVENT_STATUS  state offline (service) or no device (reader),
 *                     detail the pp_err, text with the driver's own code
 *                     (e.g. SCARD_E_NO_SERVICE)
 *   DEV_EVENT_FAULT   the same words; action DEV_ACTION_SUSPEND for the
 *                     service (it is restarted by systemd), MAINTENANCE for
 *                     a reader that went away
 * A running watch is how the daemon hears of it between reads (pcscd
 * stopping ends the watch's wait at once). The daemon then closes the
 * device (dev_free) and opens it again after a pause (kiosk/devices.c
 * tries every 2 s while dev_status_get says offline or no device; opening
 * a reader is cheap), and starts the watch again; a dev_reset on the open device does the same in place.
 * Opening again once pcscd is back gives a working device: a new PC/SC
 * context is established. A device that is not ready also answers every
 * command by trying to reach the reader first, so a watch started too
 * early fails the same way, and one started once pcscd is back works.
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
