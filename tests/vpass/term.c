/*
 * term — see term.h.
 */
#include "tests/vpass/term.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/bac.h"

static uint8_t resp_buf[APDU_MAX_RESPONSE + 64];

void term_fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

uint16_t term_raw(term *t, const uint8_t *cmd, size_t len, crypto_buf *out)
{
	size_t n = 0;
	assert_int_equal(vpass_card_process(t->card, cmd, len, resp_buf, sizeof resp_buf, &n), VPASS_OK);
	assert_true(n >= 2);
	if (out)
		buf_append(out, resp_buf, n - 2);
	return apdu_sw(resp_buf, n);
}

uint16_t term_xfer(term *t, const crypto_apdu *a, crypto_buf *out)
{
	uint8_t cmd[APDU_MAX_COMMAND];
	size_t len = 0;
	t->last_sm_err = CRYPTO_OK;
	if (!t->sm_on) {
		assert_int_equal(apdu_encode(a, cmd, sizeof cmd, &len), CRYPTO_OK);
		return term_raw(t, cmd, len, out);
	}
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t->sm, a, &w), CRYPTO_OK);
	size_t n = 0;
	assert_int_equal(vpass_card_process(t->card, w.data, w.len, resp_buf, sizeof resp_buf, &n), VPASS_OK);
	buf_free(&w);
	crypto_buf plain = CRYPTO_BUF_INIT;
	t->last_sm_err = sm_unwrap_response(&t->sm, resp_buf, n, &plain);
	uint16_t sw;
	if (t->last_sm_err == CRYPTO_OK) {
		sw = apdu_sw(plain.data, plain.len);
		if (out)
			buf_append(out, plain.data, plain.len - 2);
	} else {
		sw = apdu_sw(resp_buf, n);
		t->sm_on = false; /* a broken session is over */
	}
	buf_free(&plain);
	return sw;
}

uint16_t term_select_app(term *t)
{
	crypto_apdu a = { .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = vpass_emrtd_aid, .lc = 7 };
	return term_xfer(t, &a, NULL);
}

uint16_t term_select_fid(term *t, uint8_t p1, uint8_t p2, uint16_t fid, size_t le, crypto_buf *out)
{
	uint8_t d[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	crypto_apdu a = { .ins = 0xA4, .p1 = p1, .p2 = p2, .data = d, .lc = 2, .le = le };
	return term_xfer(t, &a, out);
}

uint16_t term_get_challenge(term *t, crypto_buf *out)
{
	crypto_apdu gc = { .ins = 0x84, .le = 8 };
	return term_xfer(t, &gc, out);
}

uint16_t term_read_b0(term *t, size_t offset, size_t le, bool extended, crypto_buf *out)
{
	crypto_apdu a = { .ins = 0xB0, .p1 = (uint8_t)(offset >> 8), .p2 = (uint8_t)offset, .le = le, .extended = extended };
	return term_xfer(t, &a, out);
}

uint16_t term_read_sfi(term *t, uint8_t sfi, uint8_t offset, size_t le, crypto_buf *out)
{
	crypto_apdu a = { .ins = 0xB0, .p1 = (uint8_t)(0x80 | sfi), .p2 = offset, .le = le };
	return term_xfer(t, &a, out);
}

uint16_t term_bac(term *t, const char *docno, const char *dob, const char *doe)
{
	bac_keys keys;
	assert_int_equal(bac_keys_from_mrz(docno, dob, doe, &keys), CRYPTO_OK);
	uint8_t rnd_icc[8], rnd_ifd[8], k_ifd[16], auth[40];
	crypto_buf ch = CRYPTO_BUF_INIT;
	assert_int_equal(term_get_challenge(t, &ch), SW_OK);
	assert_int_equal(ch.len, 8);
	memcpy(rnd_icc, ch.data, 8);
	buf_free(&ch);
	term_fill(rnd_ifd, 8, 77);
	term_fill(k_ifd, 16, 78);
	assert_int_equal(bac_terminal_auth_data(&keys, rnd_icc, rnd_ifd, k_ifd, auth), CRYPTO_OK);
	crypto_apdu ea = { .ins = 0x82, .data = auth, .lc = 40, .le = 40 };
	crypto_buf r = CRYPTO_BUF_INIT;
	t->sm_on = false;
	uint16_t sw = term_xfer(t, &ea, &r);
	if (sw == SW_OK) {
		assert_int_equal(r.len, 40);
		if (bac_terminal_finish(&keys, r.data, rnd_icc, rnd_ifd, k_ifd, &t->sm) == CRYPTO_OK)
			t->sm_on = true;
		else
			sw = 0;
	}
	buf_free(&r);
	return sw;
}

term term_open(vpass_card *card, const char *docno, const char *dob, const char *doe)
{
	term t = { .card = card };
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_int_equal(term_bac(&t, docno, dob, doe), SW_OK);
	assert_true(t.sm_on);
	assert_true(vpass_card_sm_active(card));
	return t;
}
