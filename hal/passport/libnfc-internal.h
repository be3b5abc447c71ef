/*
 * libnfc-internal — what the libnfc driver's two files share: the link's
 * state, and the activation of a chip (libnfc-select.c: finding it, its
 * bit rate, activating it again) that the driver's operations (libnfc.c)
 * call. For the driver only.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfc/nfc.h>

#include "hal/passport/isodep-internal.h"
#include "hal/passport/pp.h"

/* The largest frame each way without CRC_A: FSD 256 less CRC_A, which
 * the PN53x's InCommunicateThru (262 bytes) carries. */
#define FRAME_MAX 254
/* The PN53x's longest InCommunicateThru time-out (RFConfiguration), as
 * libnfc counts it (pn53x_int_to_timeout). */
#define PN53X_WAIT_MAX_MS 3280
/* libnfc's own InCommunicateThru time-out (timeout_communication), which
 * its presence check (an R(NAK) with a 300 ms host limit) expects. */
#define LIBNFC_WAIT_MS 52
/* dFWT, the frame waiting time's tolerance (ISO/IEC 14443-4, 7.2):
 * 49152 / fc = 3.6 ms. */
#define DELTA_FWT_MS 4
/* Exchanges failed in a row at a raised rate before the chip is kept at
 * 106 kbit/s (see nfc_link_transmit). */
#define FAST_FAILURES_MAX 2

typedef struct nfc_link {
	nfc_context *ctx;
	nfc_device *dev;
	nfc_target target;
	bool connected;
	nfc_target seen;         /* the document last found (wait_change or connect) */
	bool have_seen;
	int timeout_ms;          /* of one exchange */
	char name[256];
	atomic_bool wait_cancelled; /* cancel during wait_change */
	atomic_bool exchanging;     /* inside nfc_initiator_transceive_bytes */
	int lock_fd;                /* the serial port, held with flock; -1 when none */
	unsigned long serial_baud;  /* the connection string's SPEED; 0: no serial port */
	unsigned bit_rate_kbps;     /* with the target connected; 0: none */
	const char *bit_rate_how;   /* why that rate */
	nfc_target slow;            /* the chip kept at 106 kbit/s (same_chip): it left a
	                             * PPS unanswered, or failed exchanges at a higher rate */
	bool have_slow;
	const char *slow_how;       /* which of the two, in words */
	unsigned fast_failures;     /* exchanges failed in a row above 106 kbit/s */
	pp_isodep isodep;           /* the block protocol with the connected target */
	int rf_wait_arg;            /* NP_TIMEOUT_COM as last set; 0: not since connect */
	atomic_bool cancel_frames;  /* cancel during an exchange: no further frame */
	bool blocks_unsure;         /* an exchange was given up: the chip's block number unknown */
} nfc_link;

/* A libnfc error code in the transport's terms. */
pp_err nl_map_err(int res);

/* Look once for a target, type A first. Ok with *ret_found false when the
 * field is empty (or holds something that is not a passport). */
pp_err nl_select_once(nfc_device *dev, nfc_target *ret_target, bool *ret_found);
/* The target just selected at 106, at the highest rate it and the reader
 * share: l->target and l->bit_rate_kbps; *ret_found false when the chip
 * was gone by the end. */
pp_err nl_raise_bit_rate(nfc_link *l, bool *ret_found);
/* Connect the document wait_change or look last saw straight at its rate;
 * false when that did not connect it. */
bool nl_connect_seen(nfc_link *l);
/* l->target is connected: the block protocol starts afresh with it. */
void nl_connected(nfc_link *l);
/* The chip activated again after an exchange was given up; PP_ERR_REMOVED
 * when it is not there any more. */
pp_err nl_reactivate(nfc_link *l);
/* Keep this chip at 106 kbit/s from its next connection; how: why. */
void nl_keep_slow(nfc_link *l, const nfc_target *t, const char *how);
