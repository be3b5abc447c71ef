/*
 * channel — a transport plus the secure messaging session; see channel-internal.h.
 */
#include "hal/passport/channel-internal.h"

#include <string.h>

#include <openssl/crypto.h>

void pp_channel_init(pp_channel *ch, pp_transport *t)
{
	memset(ch, 0, sizeof(*ch));
	ch->t = t;
}

void pp_channel_set_restore(pp_channel *ch, pp_channel_restore_fn fn, void *user)
{
	ch->restore = fn;
	ch->restore_user = user;
}

void pp_channel_set_sm(pp_channel *ch, const sm_ctx *sm)
{
	ch->sm = *sm;
	ch->secure = true;
	ch->opened = true;
	ch->sm_dropped = false;
	ch->proof_due = false;
}

void pp_channel_clear_sm(pp_channel *ch)
{
	OPENSSL_cleanse(&ch->sm, sizeof(ch->sm));
	ch->secure = false;
	ch->proof_due = false; /* the keys to prove are gone */
}

void pp_channel_expect_proof(pp_channel *ch)
{
	ch->proof_due = ch->secure;
	ch->proof_failed = false;
}

/* Chip authentication's proof did not come: its answer did not verify
 * under the new keys (sw 0), or it said in the clear that ours did not
 * (sw 6987/6988). The session ends with it. */
static pp_err proof_failed(pp_channel *ch, uint16_t sw)
{
	pp_channel_clear_sm(ch);
	ch->sm_dropped = false;
	ch->proof_failed = true;
	ch->proof_sw = sw;
	if (sw)
		ch->sm_ended++;
	return PP_ERR_CHIP_AUTH;
}

void pp_channel_begin_access(pp_channel *ch)
{
	ch->access_depth++;
}

void pp_channel_end_access(pp_channel *ch)
{
	if (ch->access_depth)
		ch->access_depth--;
}

/* The chip said 61XX: XX more bytes (00: 256 or more) wait to be fetched
 * with GET RESPONSE. Fetch them all and append them to the data already in
 * ch->resp, so that *len ends with the last status word: a protected answer
 * is unwrapped only once it is whole. Readers that carry at most 256 bytes
 * per answer (PN53x, many PC/SC readers in short mode) deliver a long
 * answer, such as an RSA-2048 signature under secure messaging, this way. */
static pp_err fetch_remaining(pp_channel *ch, size_t *len)
{
	size_t n = *len;
	if (n < 2)
		return PP_ERR_COMM;
	/* 256 GET RESPONSEs of 256 bytes fill the largest answer there is. */
	for (unsigned rounds = 0; ch->resp[n - 2] == 0x61; rounds++) {
		if (rounds == 256 || sizeof(ch->resp) - (n - 2) < APDU_MAX_SHORT_LE + 2)
			return PP_ERR_COMM;
		uint8_t xx = ch->resp[n - 1];
		uint8_t get_response[5] = { 0x00, 0xC0, 0x00, 0x00, xx };
		size_t got = 0;
		n -= 2; /* the 61XX goes; the next answer follows the data */
		pp_err e = pp_transport_transmit(ch->t, get_response, sizeof(get_response), ch->resp + n,
		                                 sizeof(ch->resp) - n, &got);
		if (e != PP_OK)
			return e;
		if (got < 2)
			return PP_ERR_COMM;
		ch->get_responses++;
		n += got;
	}
	*len = n;
	return PP_OK;
}

/* One command as it stands: wrapped when a session is up, in the clear
 * otherwise. An answer in the clear during a session ends it. */
static pp_err exchange_once(pp_channel *ch, const crypto_apdu *cmd, crypto_buf *out, uint16_t *ret_sw)
{
	crypto_buf wire = CRYPTO_BUF_INIT;
	uint8_t plain_cmd[4 + 3 + 255 + 3];
	const uint8_t *send;
	size_t send_len;

	ch->sm_dropped = false;
	bool proving = ch->secure && ch->proof_due;
	if (ch->secure) {
		if (sm_wrap_command(&ch->sm, cmd, &wire) != CRYPTO_OK) {
			buf_free(&wire);
			return PP_ERR_CRYPTO;
		}
		send = wire.data;
		send_len = wire.len;
	} else {
		if (apdu_encode(cmd, plain_cmd, sizeof(plain_cmd), &send_len) != CRYPTO_OK)
			return PP_ERR_ARG;
		send = plain_cmd;
	}
	size_t n = 0;
	pp_err e = pp_transport_transmit(ch->t, send, send_len, ch->resp, sizeof(ch->resp), &n);
	buf_free(&wire);
	if (e == PP_OK)
		e = fetch_remaining(ch, &n);
	if (e != PP_OK)
		return e;
	uint16_t sw = apdu_sw(ch->resp, n);
	if (!ch->secure) {
		buf_append(out, ch->resp, n - 2);
		*ret_sw = sw;
		return buf_ok(out) ? PP_OK : PP_ERR_NOMEM;
	}
	crypto_buf plain = CRYPTO_BUF_INIT;
	crypto_err ce = sm_unwrap_response(&ch->sm, ch->resp, n, &plain);
	if (ce == CRYPTO_ERR_FORMAT && plain.len >= 2 && n == 2) {
		/* The chip answered in the clear (e.g. 6987/6988, 6700 to an
		 * APDU it could not parse, 6A82 from a chip that sends its
		 * errors unprotected): it has dropped the session. 6987 and
		 * 6988 say it could not check our MAC: under keys it should
		 * share with us, the proof failed. */
		if (proving && (sw == SW_SM_MISSING || sw == SW_SM_INCORRECT)) {
			buf_free(&plain);
			return proof_failed(ch, sw);
		}
		*ret_sw = sw;
		pp_channel_clear_sm(ch);
		ch->sm_dropped = true;
		ch->drop_sw = sw;
		ch->sm_ended++;
		buf_free(&plain);
		return PP_OK;
	}
	if (ce != CRYPTO_OK || plain.len < 2) {
		buf_free(&plain);
		return proving ? proof_failed(ch, 0) : PP_ERR_SM;
	}
	if (proving) {
		ch->proof_due = false;
		ch->proven = true;
	}
	*ret_sw = apdu_sw(plain.data, plain.len);
	buf_append(out, plain.data, plain.len - 2);
	buf_free(&plain);
	return buf_ok(out) ? PP_OK : PP_ERR_NOMEM;
}

/* Errors that say more than "the session could not be set up again". */
static bool restore_error_stands(pp_err e)
{
	switch (e) {
	case PP_ERR_REMOVED:
	case PP_ERR_NO_CARD:
	case PP_ERR_UNRESPONSIVE:
	case PP_ERR_SERVICE_STOPPED:
	case PP_ERR_NO_SERVICE:
	case PP_ERR_BUSY:
	case PP_ERR_CANCELLED:
	case PP_ERR_CHIP_AUTH:
	case PP_ERR_NOMEM:
		return true;
	case PP_OK:
	case PP_ERR_ARG:
	case PP_ERR_NO_DRIVER:
	case PP_ERR_NO_READER:
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_ACCESS_DENIED:
	case PP_ERR_SM:
	case PP_ERR_STATUS:
	case PP_ERR_NOT_EMRTD:
	case PP_ERR_PARSE:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CRYPTO:
	case PP_ERR_SM_ENDED:
	case PP_ERR_BLOCKED:
	case PP_ERR_NOT_VERIFIED:
		return false;
	}
	return false;
}

static pp_err restore(pp_channel *ch)
{
	if (!ch->restore)
		return PP_ERR_SM_ENDED;
	pp_channel_begin_access(ch);
	pp_err e = ch->restore(ch->restore_user);
	pp_channel_end_access(ch);
	if (e == PP_OK && !ch->secure)
		e = PP_ERR_SM_ENDED;
	return e == PP_OK || restore_error_stands(e) ? e : PP_ERR_SM_ENDED;
}

/* Worth sending again under a restored session? A status in the clear
 * carries no MAC, so it proves nothing; only a refusal of extended length
 * (6700 to an extended command) is left to the reader, which goes on with
 * short reads instead. */
static bool worth_again(const crypto_apdu *cmd, uint16_t sw)
{
	return !(sw == SW_WRONG_LENGTH && (cmd->extended || cmd->le > APDU_MAX_SHORT_LE));
}

pp_err pp_channel_exchange(pp_channel *ch, const crypto_apdu *cmd, crypto_buf *out, uint16_t *ret_sw)
{
	if (!ch->opened || ch->access_depth)
		return exchange_once(ch, cmd, out, ret_sw);
	size_t keep = out->len;
	for (int attempt = 0;; attempt++) {
		if (!ch->secure) {
			pp_err e = restore(ch);
			if (e != PP_OK)
				return e;
		}
		out->len = keep;
		pp_err e = exchange_once(ch, cmd, out, ret_sw);
		if (!ch->sm_dropped)
			return e;
		if (attempt == 1 || !worth_again(cmd, ch->drop_sw))
			return e;
	}
}
