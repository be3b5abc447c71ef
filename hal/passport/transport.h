/*
 * transport — how the reading stack reaches a contactless chip: a table of
 * drivers chosen by connection string ("pcsc", "pcsc:ACS ACR1252", later
 * "libnfc:pn532_uart:/dev/ttyUSB0"), as libnfc picks its drivers.
 *
 * A driver is a constant table of operations with private data behind a
 * pointer (transport-internal.h, for drivers only); an operation it lacks is
 * PP_ERR_NOT_SUPPORTED. The transport core
 * counts APDUs and bytes, and decides in one place what a failed exchange
 * was: an answer without a status word, or an error, with no card left is
 * PP_ERR_REMOVED; an exchange that outlives its deadline is cancelled and is
 * PP_ERR_UNRESPONSIVE; the smart-card service gone is PP_ERR_SERVICE_STOPPED.
 *
 * Every exchange has a deadline: the chip's longest silence allowed
 * (PP_TRANSPORT_DEFAULT_DEADLINE_MS unless set) plus the time its bytes
 * need on the air. A watchdog thread of the core calls the driver's cancel
 * when an exchange outlives it; a driver whose own I/O can time out is
 * also told the limit (set_timeout) and normally ends first.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"

/*
 * ISO/IEC 14443-4 (7.2, 7.3): a chip starts answering a block within its
 * frame waiting time FWT = 256 * 16 / fc * 2^FWI, FWI at most 14:
 * 4096 / 13.56 MHz * 16384 = 4.949 s. A waiting time extension asks for
 * FWT * WTXM, but never for more than that FWT max, so a chip still at
 * work is heard from at least every 4.949 s (+ dFWT = 49152 / fc, 3.6 ms).
 * The default deadline is that, plus a margin of 1.05 s for the reader,
 * its host link and pcscd: 6 s without a sign of an answer.
 */
#define PP_TRANSPORT_DEFAULT_DEADLINE_MS 6000
/* On top of the deadline, the exchange's own bytes on the air at the
 * slowest ISO/IEC 14443 rate, 106 kbit/s: 9 bits a byte (parity) of
 * 128 / fc each is 85 us, rounded up to 100 us for framing and the
 * acknowledgements of chained blocks (a 64 KB answer: 6.6 s). */
#define PP_TRANSPORT_US_PER_BYTE 100

typedef struct pp_transport_caps {
	bool extended_length;   /* reader passes extended-length APDUs */
	size_t max_command;     /* largest command APDU in bytes */
	size_t max_response;    /* largest response APDU in bytes (data + SW) */
	bool extended_reported; /* the reader said so itself; false: extended_length is
	                         * assumed (the reading stack tries, and reads short
	                         * when a chip or reader refuses) */
	const char *presence;   /* how a document arriving or leaving is seen, e.g.
	                         * "wait-for-change (SCardGetStatusChange)"; NULL: not said */
	unsigned bit_rate_kbps; /* the radio bit rate with the document connected, the
	                         * same both ways (106, 212, 424, 848); 0: not known or
	                         * none connected */
	const char *bit_rate_how; /* how it was reached, e.g. "ATS TA(1) and the reader's
	                         * rates, by PPS (InPSL)"; NULL: not said */
	unsigned long serial_baud; /* the host line's speed in baud for a reader on a
	                         * serial port; 0: not one, or not known */
} pp_transport_caps;

/* The longest answer-to-reset (ISO/IEC 7816-3: TS and 32 bytes). */
#define PP_ATR_MAX 33

typedef struct pp_transport_stats {
	unsigned long apdus;
	unsigned long long bytes_sent;
	unsigned long long bytes_received;
	double transmit_seconds; /* wall time spent inside exchanges */
} pp_transport_stats;

typedef void (*pp_reader_cb)(const char *name, bool card_present, void *user);


typedef struct pp_transport pp_transport;

/* Open by connection string: "driver[:param]". */
pp_err pp_transport_open(const char *connstr, pp_transport **ret);
void pp_transport_free(pp_transport *t);

/* List the readers of one driver ("pcsc"). */
pp_err pp_transport_list(const char *driver, pp_reader_cb cb, void *user);
/* Each driver of the registry, in order: its connection-string name and
 * one line saying what it drives (for --help texts). */
typedef void (*pp_driver_cb)(const char *name, const char *description, void *user);
void pp_transport_each_driver(pp_driver_cb cb, void *user);

pp_err pp_transport_connect(pp_transport *t, int timeout_ms);
/* Let go of the document connect took, so that another program may use
 * it (PC/SC: the exclusive hold ends); PP_ERR_NOT_SUPPORTED when the
 * driver holds nothing between operations. */
pp_err pp_transport_release(pp_transport *t);
/* The chip's longest silence allowed in one exchange, in milliseconds
 * (0: PP_TRANSPORT_DEFAULT_DEADLINE_MS); the exchange's bytes on the air
 * are allowed for on top of it. */
pp_err pp_transport_set_deadline(pp_transport *t, int deadline_ms);
/* Exchange one APDU. PP_ERR_REMOVED: the card left (an error or an answer
 * without a status word, and no card there); PP_ERR_UNRESPONSIVE: no
 * answer within the deadline (no card check follows: the card may be
 * wedged; exchanges are refused until the next connect, and through
 * pcscd, whose abandoned exchange holds the context, until the transport
 * is closed and opened again);
 * PP_ERR_SERVICE_STOPPED: the smart-card service went away. */
pp_err pp_transport_transmit(pp_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *ret_len);
pp_err pp_transport_card_present(pp_transport *t, bool *ret);
pp_err pp_transport_capabilities(pp_transport *t, pp_transport_caps *ret);
const char *pp_transport_reader_name(pp_transport *t);
/* The driver's last native error ("" when it has none or cannot say). */
const char *pp_transport_native_error(pp_transport *t);
/* Cancel from another thread (the watchdog's tool, for the device core
 * too): the exchange in progress ends PP_ERR_CANCELLED; a wait_change in
 * progress likewise; when nothing runs, the next exchange or wait ends
 * PP_ERR_CANCELLED before it starts (a read cancelled between two
 * commands), and connect forgets it. connect's own wait for a document is
 * not cancelled: wait with pp_transport_wait_change, then connect.
 * PP_ERR_NOT_SUPPORTED without a driver cancel operation. */
pp_err pp_transport_cancel(pp_transport *t);
/* Wait for a document to arrive or leave (the driver's wait_change). */
pp_err pp_transport_wait_change(pp_transport *t, bool present, int timeout_ms, bool *ret_present);
/* Whether a document is on the reader now, by the same means as
 * wait_change (so libnfc looks with a select, not only at a connected
 * target): the state a watch starts from. */
pp_err pp_transport_look(pp_transport *t, bool *ret_present);
/* The answer-to-reset of the document last seen on the reader (by
 * wait_change, look or connect), as PC/SC reports a contactless card's:
 * built from its ATS (type A) or ATQB (type B), PC/SC part 3, 3.1.3.2.3.
 * PP_ERR_NO_CARD when none was seen since the transport was opened. */
pp_err pp_transport_atr(pp_transport *t, uint8_t out[PP_ATR_MAX], size_t *ret_len);
/* From any thread, while other operations run: whether the reader is
 * there and holds a document, asked by means of its own (PC/SC: a
 * context of its own), so that it never waits on an exchange or a wait in
 * progress. PP_ERR_NO_SERVICE: the service is down; PP_ERR_NO_READER: the
 * reader is gone; PP_ERR_NOT_SUPPORTED: the driver cannot ask without
 * disturbing its link (libnfc's serial line), or has no such operation. */
pp_err pp_transport_probe(pp_transport *t, bool *ret_present);
/* Whether listing this driver's readers disturbs devices. */
bool pp_transport_list_is_intrusive(const char *driver);
const pp_transport_stats *pp_transport_get_stats(const pp_transport *t);
