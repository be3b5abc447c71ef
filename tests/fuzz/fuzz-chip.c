/*
 * fuzz-chip — see fuzz-chip.h. The plain-text part of the protocol (SELECT
 * of the application, GET CHALLENGE, EXTERNAL AUTHENTICATE) is answered
 * here, correctly, so that every fuzzed byte lands behind secure messaging.
 * Random numbers of the chip are fixed, so a run depends on its input only
 * (and on the reader's own random numbers, which the chip just follows).
 */
#include "tests/fuzz/fuzz-chip.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/bac.h"
#include "crypto/sm.h"
#include "hal/passport/transport-internal.h"

const pp_access_key fuzz_chip_key = { "L898902C", "690806", "940623", "" };

static const uint8_t emrtd_aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
static const uint8_t rnd_icc[8] = { 0x46, 0x08, 0xF9, 0x19, 0x88, 0x70, 0x22, 0x12 };
static const uint8_t k_icc[16] = { 0x0B, 0x4F, 0x80, 0x32, 0x3E, 0xB3, 0x19, 0x1C,
				   0xB0, 0x49, 0x70, 0xCB, 0x40, 0x52, 0x79, 0x0B };

struct fuzz_chip {
	pp_transport_caps caps;
	fuzz_chip_answer_cb cb;
	void *user;
	bac_keys keys;
	bool challenged;
	bool secure;
	bool removed;
	sm_ctx sm;
	unsigned long answers;
};

void fuzz_chip_options(uint8_t flags, pp_transport_caps *ret_caps, pp_read_options *ret_opt)
{
	static const size_t max_reads[4] = { 0, 223, 1024, 64 };
	*ret_caps = (pp_transport_caps){
		.extended_length = !(flags & 2),
		.max_command = APDU_MAX_COMMAND,
		.max_response = (flags & 2) ? 258 : APDU_MAX_RESPONSE,
	};
	*ret_opt = (pp_read_options){
		.short_only = flags & 1,
		.max_read = max_reads[(flags >> 2) & 3],
	};
}

fuzz_chip *fuzz_chip_new(const pp_transport_caps *caps, fuzz_chip_answer_cb cb, void *user)
{
	fuzz_chip *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->caps = *caps;
	c->cb = cb;
	c->user = user;
	if (bac_keys_from_mrz(fuzz_chip_key.document_number, fuzz_chip_key.birth_date, fuzz_chip_key.expiry_date,
			      &c->keys) != CRYPTO_OK) {
		free(c);
		return NULL;
	}
	return c;
}

void fuzz_chip_free(fuzz_chip *c)
{
	free(c);
}

unsigned long fuzz_chip_answers(const fuzz_chip *c)
{
	return c->answers;
}

static pp_err put(const uint8_t *data, size_t len, uint16_t sw, uint8_t *resp, size_t cap, size_t *ret_len)
{
	if (len + 2 > cap)
		return PP_ERR_COMM;
	if (len)
		memcpy(resp, data, len);
	resp[len] = (uint8_t)(sw >> 8);
	resp[len + 1] = (uint8_t)sw;
	*ret_len = len + 2;
	return PP_OK;
}

/* A command in the clear: the steps before secure messaging. */
static pp_err plain_command(fuzz_chip *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
			    size_t *ret_len)
{
	crypto_apdu a;
	if (apdu_decode(cmd, len, &a) != CRYPTO_OK)
		return put(NULL, 0, SW_WRONG_LENGTH, resp, cap, ret_len);
	c->secure = false;
	if (a.ins == 0xA4 && a.p1 == 0x04 && a.lc == sizeof(emrtd_aid) && memcmp(a.data, emrtd_aid, a.lc) == 0) {
		c->challenged = false;
		return put(NULL, 0, SW_OK, resp, cap, ret_len);
	}
	if (a.ins == 0x84 && a.le == 8) {
		c->challenged = true;
		return put(rnd_icc, sizeof(rnd_icc), SW_OK, resp, cap, ret_len);
	}
	if (a.ins == 0x82 && a.lc == 40) {
		if (!c->challenged)
			return put(NULL, 0, SW_CONDITIONS, resp, cap, ret_len);
		c->challenged = false;
		uint8_t answer[40];
		if (bac_card_respond(&c->keys, rnd_icc, a.data, k_icc, answer, &c->sm) != CRYPTO_OK)
			return put(NULL, 0, 0x6300, resp, cap, ret_len);
		c->secure = true;
		return put(answer, sizeof(answer), SW_OK, resp, cap, ret_len);
	}
	return put(NULL, 0, SW_SM_MISSING, resp, cap, ret_len);
}

static pp_err chip_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	fuzz_chip *c = priv;
	if (c->removed)
		return PP_ERR_REMOVED;
	if (!c->secure || len < 1 || (cmd[0] & 0x0C) != 0x0C)
		return plain_command(c, cmd, len, resp, cap, ret_len);

	crypto_apdu plain;
	crypto_buf storage = CRYPTO_BUF_INIT;
	if (sm_card_unwrap_command(&c->sm, cmd, len, &plain, &storage) != CRYPTO_OK) {
		/* Out of step after an answer the reader could not take (too
		 * large for it, or broken by the input): what a chip does. */
		buf_free(&storage);
		c->secure = false;
		return put(NULL, 0, SW_SM_INCORRECT, resp, cap, ret_len);
	}
	crypto_buf out = CRYPTO_BUF_INIT;
	c->answers++;
	fuzz_chip_answer kind = c->cb(c->user, &plain, &out);
	buf_free(&storage);
	pp_err e = PP_OK;
	switch (kind) {
	case FUZZ_CHIP_SM: {
		uint16_t sw = apdu_sw(out.data, out.len);
		size_t data_len = out.len >= 2 ? out.len - 2 : 0;
		crypto_buf wire = CRYPTO_BUF_INIT;
		if (!buf_ok(&out) || out.len < 2 || sm_card_wrap_response(&c->sm, out.data, data_len, sw, &wire) != CRYPTO_OK)
			abort();
		if (wire.len > cap) {
			e = PP_ERR_COMM; /* more than the reader takes */
		} else {
			memcpy(resp, wire.data, wire.len);
			*ret_len = wire.len;
		}
		buf_free(&wire);
		break;
	}
	case FUZZ_CHIP_CLEAR:
		c->secure = false;
		if (!buf_ok(&out) || out.len > cap) {
			e = PP_ERR_COMM;
		} else {
			if (out.len)
				memcpy(resp, out.data, out.len);
			*ret_len = out.len;
		}
		break;
	case FUZZ_CHIP_REMOVED:
		c->removed = true;
		e = PP_ERR_REMOVED;
		break;
	}
	buf_free(&out);
	return e;
}

static pp_err chip_connect(void *priv, int timeout_ms)
{
	fuzz_chip *c = priv;
	(void)timeout_ms;
	if (c->removed)
		return PP_ERR_NO_CARD;
	c->secure = false;
	c->challenged = false;
	return PP_OK;
}

static pp_err chip_card_present(void *priv, bool *ret)
{
	const fuzz_chip *c = priv;
	*ret = !c->removed;
	return PP_OK;
}

static pp_err chip_capabilities(void *priv, pp_transport_caps *ret)
{
	const fuzz_chip *c = priv;
	*ret = c->caps;
	return PP_OK;
}

static const char *chip_reader_name(void *priv)
{
	(void)priv;
	return "fuzz chip";
}

static const pp_transport_ops fuzz_chip_ops = {
	.name = "fuzz",
	.description = "pretend chip answering from the fuzz input",
	.connect = chip_connect,
	.transmit = chip_transmit,
	.card_present = chip_card_present,
	.capabilities = chip_capabilities,
	.reader_name = chip_reader_name,
};

pp_err fuzz_chip_transport(fuzz_chip *c, pp_transport **ret)
{
	return pp_transport_new(&fuzz_chip_ops, c, ret);
}
