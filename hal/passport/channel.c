/*
 * channel — a transport plus the secure messaging session; see channel.h.
 */
#include "hal/passport/channel.h"

#include <string.h>

#include <openssl/crypto.h>

void pp_channel_init(pp_channel *ch, pp_transport *t)
{
	memset(ch, 0, sizeof(*ch));
	ch->t = t;
}

void pp_channel_set_sm(pp_channel *ch, const sm_ctx *sm)
{
	ch->sm = *sm;
	ch->secure = true;
	ch->sm_dropped = false;
}

void pp_channel_clear_sm(pp_channel *ch)
{
	OPENSSL_cleanse(&ch->sm, sizeof(ch->sm));
	ch->secure = false;
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

pp_err pp_channel_exchange(pp_channel *ch, const apdu *cmd, buf *out, uint16_t *ret_sw)
{
	buf wire = BUF_INIT;
	uint8_t plain_cmd[4 + 3 + 255 + 3];
	const uint8_t *send;
	size_t send_len;

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
	buf plain = BUF_INIT;
	crypto_err ce = sm_unwrap_response(&ch->sm, ch->resp, n, &plain);
	if (ce == CRYPTO_ERR_FORMAT && plain.len >= 2 && n == 2) {
		/* The chip answered an error in the clear (e.g. 6987/6988, or
		 * 6700 to an APDU it could not parse): it has dropped the
		 * secure messaging session. */
		*ret_sw = sw;
		pp_channel_clear_sm(ch);
		ch->sm_dropped = true;
		buf_free(&plain);
		return sw == SW_SM_MISSING || sw == SW_SM_INCORRECT ? PP_ERR_SM : PP_OK;
	}
	if (ce != CRYPTO_OK || plain.len < 2) {
		buf_free(&plain);
		return PP_ERR_SM;
	}
	*ret_sw = apdu_sw(plain.data, plain.len);
	buf_append(out, plain.data, plain.len - 2);
	buf_free(&plain);
	return buf_ok(out) ? PP_OK : PP_ERR_NOMEM;
}
