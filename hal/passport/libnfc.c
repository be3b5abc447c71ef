/*
 * libnfc — the transport driver for PN53x readers through libnfc
 * (pn532_uart, pn533_usb, acr122_usb, ...): find an ISO 14443-4 target of
 * type A or B, exchange APDUs with it, and tell when it has left.
 *
 * Connection string "libnfc:CONNSTRING" where CONNSTRING is libnfc's own,
 * e.g. "libnfc:pn532_uart:/dev/ttyUSB0"; plain "libnfc" takes the first
 * device libnfc finds (which depends on /etc/nfc/libnfc.conf and LIBNFC_*
 * variables, so kiosks and tests name their device).
 *
 * The serial line: "libnfc:pn532_uart:PATH:SPEED", its speed checked and
 * the port held by serial-line-internal.h (which says what libnfc and the
 * PN532 allow).
 *
 * The radio bit rate (type A): the PN532's InListPassiveTarget activates a
 * type A target at 106 kbit/s; ISO/IEC 14443-4 §5.3 then lets the reader
 * raise it by a PPS to a rate the chip's ATS offers (TA(1), §5.2.4,
 * bitrate-internal.h). libnfc 1.8's public API (nfc/nfc.h) has no call for
 * a PPS on a selected target, no property for it, and the PN53x's raw
 * command path (pn53x_transceive) is not exported. What it does have:
 * nfc_initiator_select_passive_target with a type A modulation whose nbr is
 * above NBR_106 activates at 106 and then sends InPSL (4E 01 BRit BRti,
 * both nbr - 1) itself (chips/pn53x.c pn53x_initiator_select_passive_target
 * _ext), after checking nbr against nfc_device_get_supported_baud_rate
 * (nfc.c nfc_device_validate_modulation): the PN532 offers 106, 212, 424
 * (pn532_iso14443a_supported_baud_rates), the PN533 848 as well. It does
 * not look at the ATS first. So the driver selects at 106, reads TA(1),
 * and when the chip and the reader share a higher rate (the same both
 * ways, as libnfc's InPSL asks), deselects and selects the same UID again
 * at that rate; when that fails, the field is switched off and on (the
 * chip may have taken the new rate and its answer been lost, leaving the
 * two deaf to each other; a field reset returns it to 106) and, when the
 * chip left the PPS unanswered (the PN53x's status 01, NFC_ERFTRANS), it is
 * selected at 106 and not asked again (the same chip by its ATS and SAK,
 * and its UID unless random: a passport draws a new one at each
 * power-up); a chip that was not there to ask is looked for as usual. A
 * chip that took the rate but fails two exchanges in a row at it is kept
 * at 106 from its next activation too.
 * libnfc waits for InPSL's answer without a limit: the select at a higher
 * rate is cancelled as an exchange is. That costs one more activation,
 * except when wait_change or look has seen the document (the kiosk's
 * watch): connect then selects it straight at the rate its ATS and the
 * reader share. Type B: the PN532 reads type B at 106 only
 * (pn532_iso14443b_supported_baud_rates); libnfc offers the PN533's higher
 * type B rates only as the polling rate of InListPassiveTarget, not as
 * ATTRIB's Param 2 after reading the ATQB's bit rate capability byte, so a
 * type B document stays at 106. The rate in use and how it was reached
 * are in the capabilities (bit_rate_kbps, bit_rate_how).
 *
 * APDUs: the PN53x runs the ISO 14443-4 block protocol itself in
 * InDataExchange, but carries at most 262 bytes each way in one, and
 * libnfc 1.8 gathers the pieces of a longer answer (status MI) into a
 * buffer of 264 bytes: through it only short APDUs pass, and a 20 KB file
 * takes 90 READ BINARYs, each paying the chip's processing time. So the
 * driver runs the block protocol itself (isodep-internal.h) through
 * InCommunicateThru (NP_EASY_FRAMING off for the exchange; the PN53x adds
 * and checks CRC_A and parity): extended-length APDUs of any length go in
 * and come back in chained frames of the chip's FSC (from its ATS or ATQB)
 * and at most 256 bytes (FSD; the frames the PN53x can carry). Each
 * frame's wait is the chip's frame waiting time, or FWT x WTXM after its
 * S(WTX) request, and dFWT, set as the PN53x's InCommunicateThru time-out
 * (NP_TIMEOUT_COM, RFConfiguration, which libnfc rounds down, so the
 * driver asks for the step above; at most 3.28 s, the PN53x's longest:
 * for a longer wait isodep asks again). libnfc's own presence check (an
 * R(NAK) with block number 0, 300 ms) runs with libnfc's own time-out, and
 * leaves the chip's block number alone (part 4, rules 11 and 12). After an
 * exchange was given up, the chip is activated again (reactivate).
 *
 * Each exchange's time limit is the transport core's (set_timeout: its
 * deadline and the exchange's transfer time); the block protocol's frames
 * all fit in it, and when it runs out (the chip keeps asking for more
 * waiting time, or the PN53x gives no answer: NFC_ETIMEOUT) the exchange
 * is PP_ERR_UNRESPONSIVE. The core's watchdog, a little later, cancels
 * with nfc_abort_command, which ends libnfc's wait through its abort pipe
 * and makes it send the PN53x an ACK (abort).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nfc/nfc.h>

#include "crypto/apdu.h"
#include "hal/passport/libnfc-internal.h"
#include "hal/passport/serial-line-internal.h"
#include "hal/passport/transport-internal.h"

/* The host's wait for one frame on top of the chip's: the PN53x's own
 * turnaround and a frame of 264 bytes each way at 9600 baud. */
#define FRAME_HOST_MARGIN_MS 700
/* Host-side time limit for one APDU until the transport core sets one
 * (set_timeout); the chip's own frame waiting time (from the ATS or ATQB)
 * is applied by the PN53x. */
#define APDU_TIMEOUT_MS PP_TRANSPORT_DEFAULT_DEADLINE_MS
/* Pause between two polls for a card. */
#define POLL_INTERVAL_MS 100
#define MAX_LISTED 16

pp_err nl_map_err(int res)
{
	switch (res) {
	case NFC_SUCCESS:
		return PP_OK;
	case NFC_ETGRELEASED:
		return PP_ERR_REMOVED;
	case NFC_ETIMEOUT:
		return PP_ERR_TIMEOUT;
	/* The PN53x's own status for a card that did not answer in its frame
	 * waiting time (status 01) reaches us as an RF transmission error,
	 * which also covers CRC, parity and framing errors: every one an
	 * answer that did not arrive whole, worth retrying smaller. A card
	 * that left is told apart afterwards (the transport core asks whether
	 * it is still present and reports a removal if not). */
	case NFC_ERFTRANS:
		return PP_ERR_TIMEOUT;
	case NFC_EOPABORTED:
		return PP_ERR_CANCELLED;
	case NFC_ENOTSUCHDEV:
		return PP_ERR_NO_READER;
	case NFC_EINVARG:
		return PP_ERR_ARG;
	case NFC_EDEVNOTSUPP:
	case NFC_ENOTIMPL:
		return PP_ERR_NOT_SUPPORTED;
	case NFC_ESOFT:
		return PP_ERR_NOMEM;
	default: /* NFC_EIO, NFC_EOVFLOW, NFC_ECHIP, ... */
		return PP_ERR_COMM;
	}
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Put the device in reader mode, trying each target once per select so
 * that polling stays in our hands (libnfc's default is to retry forever). */
static int reader_mode(nfc_device *dev)
{
	int res = nfc_initiator_init(dev);
	if (res < 0)
		return res;
	return nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false);
}

static pp_err nfc_link_list(pp_reader_cb cb, void *user)
{
	nfc_context *ctx = NULL;
	nfc_init(&ctx);
	if (!ctx)
		return PP_ERR_NOMEM;
	nfc_connstring found[MAX_LISTED];
	size_t n = nfc_list_devices(ctx, found, MAX_LISTED);
	for (size_t i = 0; i < n; i++) {
		bool present = false;
		nfc_device *dev = nfc_open(ctx, found[i]);
		if (dev && reader_mode(dev) >= 0) {
			nfc_target t;
			if (nl_select_once(dev, &t, &present) != PP_OK)
				present = false;
		}
		if (dev)
			nfc_close(dev);
		cb(found[i], present, user);
	}
	nfc_exit(ctx);
	return PP_OK;
}

static void nfc_link_close(void *priv)
{
	nfc_link *l = priv;
	if (!l)
		return;
	if (l->dev) {
		if (l->connected)
			nfc_initiator_deselect_target(l->dev);
		nfc_close(l->dev);
	}
	if (l->ctx)
		nfc_exit(l->ctx);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free(l);
}

static pp_err nfc_link_open(const char *param, void **ret_priv)
{
	nfc_connstring cs;
	if (strlen(param) >= sizeof(cs))
		return PP_ERR_ARG;
	nfc_link *l = calloc(1, sizeof(*l));
	if (!l)
		return PP_ERR_NOMEM;
	l->lock_fd = -1;
	pp_err e = PP_ERR_NOMEM;
	nfc_init(&l->ctx);
	if (!l->ctx)
		goto out_close;
	if (param[0]) {
		memcpy(cs, param, strlen(param) + 1);
	} else if (nfc_list_devices(l->ctx, &cs, 1) != 1) {
		e = PP_ERR_NO_READER;
		goto out_close;
	}
	e = pp_serial_speed(cs, &l->serial_baud);
	if (e != PP_OK)
		goto out_close;
	e = pp_serial_lock(cs, &l->lock_fd);
	if (e != PP_OK)
		goto out_close;
	l->dev = nfc_open(l->ctx, cs);
	if (!l->dev) {
		e = PP_ERR_NO_READER;
		goto out_close;
	}
	int res = reader_mode(l->dev);
	if (res < 0) {
		e = nl_map_err(res);
		goto out_close;
	}
	snprintf(l->name, sizeof(l->name), "%s", nfc_device_get_name(l->dev));
	l->timeout_ms = APDU_TIMEOUT_MS;
	*ret_priv = l;
	return PP_OK;

out_close:
	nfc_link_close(l);
	return e;
}

static pp_err nfc_link_connect(void *priv, int timeout_ms)
{
	nfc_link *l = priv;
	atomic_store(&l->wait_cancelled, false); /* a cancel of an earlier wait */
	if (l->connected) {
		nfc_initiator_deselect_target(l->dev);
		l->connected = false;
	}
	l->bit_rate_kbps = 0;
	l->fast_failures = 0;
	if (nl_connect_seen(l)) {
		nl_connected(l);
		return PP_OK;
	}
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool found = false;
		pp_err e = nl_select_once(l->dev, &l->target, &found);
		if (e != PP_OK)
			return e;
		if (found && (e = nl_raise_bit_rate(l, &found)) != PP_OK)
			return e;
		if (found) {
			nl_connected(l);
			return PP_OK;
		}
		if (atomic_exchange(&l->wait_cancelled, false))
			return PP_ERR_CANCELLED;
		long left = timeout_ms - elapsed_ms(&start);
		if (left <= 0)
			return PP_ERR_NO_CARD;
		sleep_ms(left < POLL_INTERVAL_MS ? left : POLL_INTERVAL_MS);
	}
}

/* libnfc turns NP_TIMEOUT_COM's milliseconds into the PN53x's time-out
 * code (100 us x 2^(n-1), up to 3.28 s) rounding down: 155 ms becomes
 * 102.4. The value to set for a wait of at least want_ms (3.28 s at
 * most): one just above the smallest of libnfc's steps (3280 ms halved,
 * down to 3) that covers it. */
static int pn53x_wait_arg(unsigned want_ms)
{
	int step = PN53X_WAIT_MAX_MS;
	while (step / 2 >= (int)want_ms && step / 2 > 1)
		step /= 2;
	return step + 1;
}

static pp_err set_wait(nfc_link *l, int arg)
{
	if (arg == l->rf_wait_arg)
		return PP_OK;
	int res = nfc_device_set_property_int(l->dev, NP_TIMEOUT_COM, arg);
	if (res < 0)
		return nl_map_err(res);
	l->rf_wait_arg = arg;
	return PP_OK;
}

/* One frame of the block protocol (pp_isodep_frame_fn) through
 * InCommunicateThru: the PN53x listens for the chip's answer for wait_ms
 * and dFWT (3.28 s at most: isodep asks again after a longer wait), the
 * host for that and its margin, within limit_ms. */
static pp_err nfc_link_frame(void *user, const uint8_t *out, size_t out_len, uint8_t *in, size_t cap,
                             size_t *ret_len, unsigned wait_ms, long limit_ms)
{
	nfc_link *l = user;
	if (atomic_load(&l->cancel_frames))
		return PP_ERR_CANCELLED;
	int arg = pn53x_wait_arg(wait_ms + DELTA_FWT_MS);
	pp_err e = set_wait(l, arg);
	if (e != PP_OK)
		return e;
	long host_ms = (long)arg + FRAME_HOST_MARGIN_MS;
	bool last = host_ms >= limit_ms;
	int res = nfc_initiator_transceive_bytes(l->dev, out, out_len, in, cap, (int)(last ? limit_ms : host_ms));
	if (res >= 0) {
		*ret_len = (size_t)res;
		return PP_OK;
	}
	if (res == NFC_ETGRELEASED)
		l->connected = false;
	/* The host's limit ran out, not the PN53x's (its own time-out for the
	 * card is status 01, NFC_ERFTRANS): no answer at all, and the PN53x
	 * may still answer this frame later, so no next frame may follow:
	 * the exchange ends, and the chip is activated again. */
	if (res == NFC_ETIMEOUT)
		return last ? PP_ERR_UNRESPONSIVE : PP_ERR_COMM;
	return nl_map_err(res);
}

static pp_err nfc_link_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                                size_t *ret_len)
{
	nfc_link *l = priv;
	if (!l->connected)
		return PP_ERR_NO_CARD;
	if (l->blocks_unsure) {
		pp_err e = nl_reactivate(l);
		if (e != PP_OK)
			return e;
	}
	if (len > APDU_MAX_COMMAND)
		return PP_ERR_NOT_SUPPORTED;
	int res = nfc_device_set_property_bool(l->dev, NP_EASY_FRAMING, false);
	if (res < 0)
		return nl_map_err(res);
	atomic_store(&l->cancel_frames, false);
	atomic_store(&l->exchanging, true);
	pp_err e = pp_isodep_transceive(&l->isodep, nfc_link_frame, l, cmd, len, resp, cap, ret_len, l->timeout_ms);
	atomic_store(&l->exchanging, false);
	res = nfc_device_set_property_bool(l->dev, NP_EASY_FRAMING, true);
	if (e == PP_OK && res < 0)
		e = nl_map_err(res);
	if (e != PP_OK && e != PP_ERR_REMOVED)
		l->blocks_unsure = true;
	/* A chip that took the higher rate yet fails its exchanges at it (a
	 * thick cover, a weak antenna) is kept at 106 from its next
	 * activation (the one after this exchange given up, or the next
	 * connection): a document that reads at 106 is then read. */
	if (e == PP_ERR_TIMEOUT && l->bit_rate_kbps > 106 && ++l->fast_failures >= FAST_FAILURES_MAX)
		nl_keep_slow(l, &l->target, "exchanges failed at a higher rate; kept at 106 kbit/s");
	else if (e == PP_OK)
		l->fast_failures = 0;
	return e;
}

static pp_err nfc_link_card_present(void *priv, bool *ret)
{
	nfc_link *l = priv;
	/* After an exchange given up, libnfc's check (an R(NAK)) would ask
	 * the chip to send its lost answer again: the activation says it. */
	if (l->connected && l->blocks_unsure) {
		pp_err e = nl_reactivate(l);
		if (e != PP_OK && e != PP_ERR_REMOVED)
			return e;
	}
	if (!l->connected) {
		*ret = false;
		return PP_OK;
	}
	/* libnfc's check waits 300 ms for the PN53x: its own time-out, not
	 * a chip's longer frame waiting time. */
	pp_err e = set_wait(l, LIBNFC_WAIT_MS);
	if (e != PP_OK)
		return e;
	int res = nfc_initiator_target_is_present(l->dev, NULL);
	if (res == NFC_SUCCESS) {
		*ret = true;
		return PP_OK;
	}
	if (res == NFC_ETGRELEASED) {
		l->connected = false;
		*ret = false;
		return PP_OK;
	}
	return nl_map_err(res);
}

static pp_err nfc_link_capabilities(void *priv, pp_transport_caps *ret)
{
	const nfc_link *l = priv;
	*ret = (pp_transport_caps){
		.bit_rate_kbps = l->connected ? l->bit_rate_kbps : 0,
		.bit_rate_how = l->connected ? l->bit_rate_how : NULL,
		.serial_baud = l->serial_baud,
		.extended_length = true, /* chained by the driver (isodep) */
		.max_command = APDU_MAX_COMMAND,
		.max_response = APDU_MAX_RESPONSE,
		.extended_reported = true,
		.presence = "presence checks (libnfc), every 100 ms",
	};
	return PP_OK;
}

/* PC/SC part 3, 3.1.3.2.3: the ATR a PC/SC reader makes for a
 * contactless card, 3B 8n 80 01, n historical bytes, TCK. Type A: the
 * ATS's historical bytes (libnfc keeps the ATS without its length byte
 * TL: T0, the interface bytes TA TB TC that T0 announces, then them).
 * Type B: the ATQB's application data and protocol info, then the MBLI
 * nibble of the ATTRIB answer, which libnfc does not keep (0). */
static pp_err nfc_link_atr(void *priv, uint8_t *out, size_t *ret_len)
{
	nfc_link *l = priv;
	if (!l->have_seen)
		return PP_ERR_NO_CARD;
	uint8_t hist[15];
	size_t k = 0;
	const nfc_target *t = &l->seen;
	if (t->nm.nmt == NMT_ISO14443A) {
		const uint8_t *ats = t->nti.nai.abtAts;
		size_t n = t->nti.nai.szAtsLen;
		size_t i = n ? 1u + !!(ats[0] & 0x10) + !!(ats[0] & 0x20) + !!(ats[0] & 0x40) : 0;
		for (; i < n && k < sizeof(hist); i++)
			hist[k++] = ats[i];
	} else if (t->nm.nmt == NMT_ISO14443B) {
		memcpy(hist, t->nti.nbi.abtApplicationData, 4);
		memcpy(hist + 4, t->nti.nbi.abtProtocolInfo, 3);
		hist[7] = 0x00;
		k = 8;
	} else {
		return PP_ERR_NOT_SUPPORTED;
	}
	size_t n = 0;
	out[n++] = 0x3B;
	out[n++] = (uint8_t)(0x80 | k);
	out[n++] = 0x80;
	out[n++] = 0x01;
	memcpy(out + n, hist, k);
	n += k;
	uint8_t tck = 0;
	for (size_t i = 1; i < n; i++)
		tck ^= out[i];
	out[n++] = tck;
	*ret_len = n;
	return PP_OK;
}

static const char *nfc_link_reader_name(void *priv)
{
	return ((nfc_link *)priv)->name;
}

static pp_err nfc_link_set_timeout(void *priv, int timeout_ms)
{
	nfc_link *l = priv;
	if (timeout_ms <= 0)
		return PP_ERR_ARG;
	l->timeout_ms = timeout_ms;
	return PP_OK;
}

/* libnfc tells of no field events: look every POLL_INTERVAL_MS, the way
 * connect waits for a card (a select when none is connected, a presence
 * check when one is). */
static pp_err nfc_link_wait_change(void *priv, bool present, int timeout_ms, bool *ret_present)
{
	nfc_link *l = priv;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool now = false;
		pp_err e;
		if (l->connected) {
			e = nfc_link_card_present(l, &now);
		} else {
			nfc_target t;
			e = nl_select_once(l->dev, &t, &now);
			if (e == PP_OK && now) {
				nfc_initiator_deselect_target(l->dev); /* connect selects it again */
				l->seen = t;
				l->have_seen = true;
			}
		}
		if (e != PP_OK)
			return e;
		if (now != present) {
			*ret_present = now;
			return PP_OK;
		}
		if (atomic_exchange(&l->wait_cancelled, false))
			return PP_ERR_CANCELLED;
		long left = timeout_ms < 0 ? POLL_INTERVAL_MS : timeout_ms - elapsed_ms(&start);
		if (left <= 0)
			return PP_ERR_TIMEOUT;
		sleep_ms(left < POLL_INTERVAL_MS ? left : POLL_INTERVAL_MS);
	}
}

/* From another thread: the watchdog's while nfc_link_transmit waits, or a
 * caller's to end a wait. */
static pp_err nfc_link_cancel(void *priv)
{
	nfc_link *l = priv;
	atomic_store(&l->wait_cancelled, true);
	/* Only an exchange is aborted: libnfc's abort pipe would otherwise
	 * abort whatever command comes next. A wait sees the flag. */
	if (!atomic_load(&l->exchanging))
		return PP_OK;
	atomic_store(&l->cancel_frames, true); /* between two frames */
	return nl_map_err(nfc_abort_command(l->dev));
}

static const char *nfc_link_native_error(void *priv)
{
	nfc_link *l = priv;
	return nfc_device_get_last_error(l->dev) < 0 ? nfc_strerror(l->dev) : "";
}

const pp_transport_ops pp_libnfc_driver = {
	.name = "libnfc",
	.description = "PN53x readers through libnfc (pn532_uart, pn533_usb, acr122_usb, ...)",
	.list = nfc_link_list,
	.open = nfc_link_open,
	.connect = nfc_link_connect,
	.transmit = nfc_link_transmit,
	.card_present = nfc_link_card_present,
	.capabilities = nfc_link_capabilities,
	.reader_name = nfc_link_reader_name,
	.close = nfc_link_close,
	.cancel = nfc_link_cancel,
	.set_timeout = nfc_link_set_timeout,
	.native_error = nfc_link_native_error,
	.wait_change = nfc_link_wait_change,
	.atr = nfc_link_atr,
	.intrusive_list = true,
};
