/*
 * test_bac_sm — ICAO 9303 check digits, key derivation, BAC and 3DES secure
 * messaging against the published worked examples (part 3, 4.9; part 11,
 * appendix D), plus what the examples do not cover: tampering, status in
 * the clear, extended length and terminal <-> chip round trips.
 *
 * The appendix D numbers chain into each other (keys -> authentication ->
 * session -> protected APDUs), so reproducing all of them checks both the
 * code and the transcription.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/bac.h"
#include "crypto/icao.h"
#include "crypto/sm.h"
#include "tests/crypto/hexutil.h"

/* Compare bytes with an expected hex string; failures print both in hex. */
static void check_hex(const uint8_t *data, size_t len, const char *expected)
{
	char got[2 * 1024 + 1];
	assert_true(len <= 1024);
	hex_encode(data, len, got);
	assert_string_equal(got, expected);
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = hex_decode(hex, out, cap);
	assert_true(n != (size_t)-1);
	return n;
}

/* ---- ICAO 9303 part 3: check digits ---- */

static void test_check_digits(void **state)
{
	(void)state;
	/* Part 3, 4.9 worked examples. */
	assert_int_equal(icao_check_digit("520727", 6), 3);
	assert_int_equal(icao_check_digit("AB2134<<<", 9), 5);
	/* Part 4 TD3 specimen: L898902C3 6, 740812 2, 120415 9,
	 * personal number ZE184226B<<<<< 1, composite 0. */
	const char *l2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
	assert_int_equal(icao_check_digit(l2, 9), 6);
	assert_int_equal(icao_check_digit(l2 + 13, 6), 2);
	assert_int_equal(icao_check_digit(l2 + 21, 6), 9);
	assert_int_equal(icao_check_digit(l2 + 28, 14), 1);
	char composite[64];
	memcpy(composite, l2, 10);
	memcpy(composite + 10, l2 + 13, 7);
	memcpy(composite + 17, l2 + 21, 22);
	assert_int_equal(icao_check_digit(composite, 39), 0);
	/* Part 5 TD1 specimen: D23145890 7. */
	assert_int_equal(icao_check_digit("D23145890", 9), 7);
	/* Part 11 appendix D document. */
	assert_int_equal(icao_check_digit("L898902C<", 9), 3);
	assert_int_equal(icao_check_digit("690806", 6), 1);
	assert_int_equal(icao_check_digit("940623", 6), 6);
	/* Fillers weigh nothing; empty input sums to 0. */
	assert_int_equal(icao_check_digit("<<<<<<", 6), 0);
	assert_int_equal(icao_check_digit("", 0), 0);
	/* Outside the MRZ character set. */
	assert_int_equal(icao_check_digit("ab2134", 6), -1);
	assert_int_equal(icao_check_digit("12 34", 5), -1);
	assert_int_equal(icao_check_digit("12-34", 5), -1);
}

/* ---- ICAO 9303 part 11 appendix D.2: keys from the MRZ ---- */

static void test_key_seed_and_kdf(void **state)
{
	(void)state;
	uint8_t seed[16];
	assert_int_equal(bac_key_seed("L898902C<", "690806", "940623", seed), CRYPTO_OK);
	check_hex(seed, 16, "239AB9CB282DAF66231DC5A4DF6BFBAE");
	/* The number without its filler gives the same seed. */
	uint8_t seed2[16];
	assert_int_equal(bac_key_seed("L898902C", "690806", "940623", seed2), CRYPTO_OK);
	assert_memory_equal(seed, seed2, 16);

	uint8_t k[16];
	assert_int_equal(icao_kdf_3des(seed, 16, ICAO_KDF_ENC, k), CRYPTO_OK);
	check_hex(k, 16, "AB94FDECF2674FDFB9B391F85D7F76F2");
	assert_int_equal(icao_kdf_3des(seed, 16, ICAO_KDF_MAC, k), CRYPTO_OK);
	check_hex(k, 16, "7962D9ECE03D1ACD4C76089DCE131543");

	bac_keys keys;
	assert_int_equal(bac_keys_from_mrz("L898902C<", "690806", "940623", &keys), CRYPTO_OK);
	check_hex(keys.kenc, 16, "AB94FDECF2674FDFB9B391F85D7F76F2");
	check_hex(keys.kmac, 16, "7962D9ECE03D1ACD4C76089DCE131543");

	/* Every key byte has odd parity. */
	for (int i = 0; i < 16; i++)
		assert_int_equal(__builtin_popcount(keys.kenc[i]) & 1, 1);
}

static void test_keys_bad_input(void **state)
{
	(void)state;
	bac_keys keys;
	memset(&keys, 0xA5, sizeof keys);
	bac_keys before = keys;
	assert_int_equal(bac_keys_from_mrz("l898902c", "690806", "940623", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz("L898902C", "69086", "940623", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz("L898902C", "690806", "9406234", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz("L898902C", "6908O6", "940623", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz("", "690806", "940623", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz("<<<<<<<<<", "690806", "940623", &keys), CRYPTO_ERR_ARG);
	assert_int_equal(bac_keys_from_mrz(NULL, "690806", "940623", &keys), CRYPTO_ERR_ARG);
	assert_memory_equal(&keys, &before, sizeof keys); /* untouched on failure */

	/* A long (TD1-style) number is used whole: it differs from its prefix. */
	uint8_t a[16], b[16];
	assert_int_equal(bac_key_seed("D23145890734", "740812", "120415", a), CRYPTO_OK);
	assert_int_equal(bac_key_seed("D23145890", "740812", "120415", b), CRYPTO_OK);
	assert_memory_not_equal(a, b, 16);
}

/* ---- appendix D.3: mutual authentication ---- */

#define D_RND_ICC "4608F91988702212"
#define D_RND_IFD "781723860C06C226"
#define D_K_IFD   "0B795240CB7049B01C19B33E32804F0B"
#define D_K_ICC   "0B4F80323EB3191CB04970CB4052790B"
#define D_CMD     "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7"
#define D_RESP    "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"
#define D_KS_ENC  "979EC13B1CBFE9DCD01AB0FED307EAE5"
#define D_KS_MAC  "F1CB1F1FB5ADF208806B89DC579DC1F8"
#define D_SSC     "887022120C06C226"

typedef struct d_values {
	bac_keys keys;
	uint8_t rnd_icc[8], rnd_ifd[8], k_ifd[16], k_icc[16], cmd[40], resp[40];
} d_values;

static d_values d_load(void)
{
	d_values d;
	assert_int_equal(bac_keys_from_mrz("L898902C<", "690806", "940623", &d.keys), CRYPTO_OK);
	unhex(D_RND_ICC, d.rnd_icc, 8);
	unhex(D_RND_IFD, d.rnd_ifd, 8);
	unhex(D_K_IFD, d.k_ifd, 16);
	unhex(D_K_ICC, d.k_icc, 16);
	unhex(D_CMD, d.cmd, 40);
	unhex(D_RESP, d.resp, 40);
	return d;
}

static void check_d_session(const sm_ctx *s)
{
	assert_int_equal(s->cipher, SM_CIPHER_3DES);
	assert_int_equal(s->key_len, 16);
	assert_int_equal(s->block_len, 8);
	check_hex(s->ks_enc, 16, D_KS_ENC);
	check_hex(s->ks_mac, 16, D_KS_MAC);
	check_hex(s->ssc, 8, D_SSC);
}

static void test_bac_terminal(void **state)
{
	(void)state;
	d_values d = d_load();
	uint8_t cmd[40];
	assert_int_equal(bac_terminal_auth_data(&d.keys, d.rnd_icc, d.rnd_ifd, d.k_ifd, cmd), CRYPTO_OK);
	check_hex(cmd, 40, D_CMD);

	sm_ctx s;
	assert_int_equal(bac_terminal_finish(&d.keys, d.resp, d.rnd_icc, d.rnd_ifd, d.k_ifd, &s), CRYPTO_OK);
	check_d_session(&s);
}

static void test_bac_card(void **state)
{
	(void)state;
	d_values d = d_load();
	uint8_t resp[40];
	sm_ctx s;
	assert_int_equal(bac_card_respond(&d.keys, d.rnd_icc, d.cmd, d.k_icc, resp, &s), CRYPTO_OK);
	check_hex(resp, 40, D_RESP);
	check_d_session(&s);
}

static void test_bac_failures(void **state)
{
	(void)state;
	d_values d = d_load();
	sm_ctx s;
	memset(&s, 0x5A, sizeof s);
	sm_ctx before = s;
	uint8_t resp[40];

	/* Wrong MRZ on the terminal side: the chip's MAC does not verify. */
	bac_keys wrong;
	assert_int_equal(bac_keys_from_mrz("L898902C<", "690806", "940624", &wrong), CRYPTO_OK);
	assert_int_equal(bac_card_respond(&wrong, d.rnd_icc, d.cmd, d.k_icc, resp, &s), CRYPTO_ERR_MAC);
	assert_int_equal(bac_terminal_finish(&wrong, d.resp, d.rnd_icc, d.rnd_ifd, d.k_ifd, &s), CRYPTO_ERR_MAC);

	/* Replayed answer to another challenge: MAC fine, nonce wrong. */
	uint8_t other_icc[8];
	memcpy(other_icc, d.rnd_icc, 8);
	other_icc[7] ^= 1;
	assert_int_equal(bac_card_respond(&d.keys, other_icc, d.cmd, d.k_icc, resp, &s), CRYPTO_ERR_AUTH);
	assert_int_equal(bac_terminal_finish(&d.keys, d.resp, other_icc, d.rnd_ifd, d.k_ifd, &s), CRYPTO_ERR_AUTH);
	uint8_t other_ifd[8];
	memcpy(other_ifd, d.rnd_ifd, 8);
	other_ifd[0] ^= 0x80;
	assert_int_equal(bac_terminal_finish(&d.keys, d.resp, d.rnd_icc, other_ifd, d.k_ifd, &s), CRYPTO_ERR_AUTH);

	/* Any flipped bit of the cryptogram or MAC. */
	for (int i = 0; i < 40; i++) {
		uint8_t bad[40];
		memcpy(bad, d.resp, 40);
		bad[i] ^= 0x01;
		assert_int_equal(bac_terminal_finish(&d.keys, bad, d.rnd_icc, d.rnd_ifd, d.k_ifd, &s),
		                 CRYPTO_ERR_MAC);
	}
	assert_memory_equal(&s, &before, sizeof s);
}

/* ---- appendix D.4: secure messaging ---- */

static sm_ctx d_session(void)
{
	uint8_t enc[16], mac[16], ssc[8];
	unhex(D_KS_ENC, enc, 16);
	unhex(D_KS_MAC, mac, 16);
	unhex(D_SSC, ssc, 8);
	sm_ctx s;
	assert_int_equal(sm_init_3des(&s, enc, mac, ssc), CRYPTO_OK);
	return s;
}

/* One published exchange: plain command, protected command, protected
 * response, plain response data + SW. Runs the terminal and the chip side
 * in lockstep and checks both produce the published bytes. */
typedef struct d_exchange {
	crypto_apdu plain;
	const char *protected_cmd;
	const char *protected_resp;
	const char *plain_resp;
	const char *ssc_after;
} d_exchange;

static void run_exchange(sm_ctx *term, sm_ctx *card, const d_exchange *x)
{
	/* Terminal wraps. */
	crypto_buf cmd = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(term, &x->plain, &cmd), CRYPTO_OK);
	check_hex(cmd.data, cmd.len, x->protected_cmd);

	/* Chip unwraps to the same plain command. */
	crypto_buf storage = CRYPTO_BUF_INIT;
	crypto_apdu got;
	assert_int_equal(sm_card_unwrap_command(card, cmd.data, cmd.len, &got, &storage), CRYPTO_OK);
	assert_int_equal(got.cla, x->plain.cla);
	assert_int_equal(got.ins, x->plain.ins);
	assert_int_equal(got.p1, x->plain.p1);
	assert_int_equal(got.p2, x->plain.p2);
	assert_int_equal(got.lc, x->plain.lc);
	assert_int_equal(got.le, x->plain.le);
	if (got.lc)
		assert_memory_equal(got.data, x->plain.data, got.lc);

	/* Chip wraps the published plain answer into the published bytes. */
	uint8_t plain_resp[256];
	size_t plain_len = unhex(x->plain_resp, plain_resp, sizeof plain_resp);
	crypto_buf resp = CRYPTO_BUF_INIT;
	uint16_t sw = (uint16_t)(plain_resp[plain_len - 2] << 8 | plain_resp[plain_len - 1]);
	assert_int_equal(sm_card_wrap_response(card, plain_resp, plain_len - 2, sw, &resp), CRYPTO_OK);
	check_hex(resp.data, resp.len, x->protected_resp);

	/* Terminal unwraps it. */
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(sm_unwrap_response(term, resp.data, resp.len, &out), CRYPTO_OK);
	check_hex(out.data, out.len, x->plain_resp);
	check_hex(term->ssc, 8, x->ssc_after);
	check_hex(card->ssc, 8, x->ssc_after);

	buf_free(&cmd);
	buf_free(&storage);
	buf_free(&resp);
	buf_free(&out);
}

static const uint8_t ef_com_fid[2] = { 0x01, 0x1E };

static const d_exchange d_select = {
	.plain = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = ef_com_fid, .lc = 2 },
	.protected_cmd = "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
	.protected_resp = "990290008E08FA855A5D4C50A8ED9000",
	.plain_resp = "9000",
	.ssc_after = "887022120C06C228",
};
static const d_exchange d_read4 = {
	.plain = { .cla = 0x00, .ins = 0xB0, .p1 = 0x00, .p2 = 0x00, .le = 4 },
	.protected_cmd = "0CB000000D9701048E08ED6705417E96BA5500",
	.protected_resp = "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
	.plain_resp = "60145F019000",
	.ssc_after = "887022120C06C22A",
};
static const d_exchange d_read_rest = {
	.plain = { .cla = 0x00, .ins = 0xB0, .p1 = 0x00, .p2 = 0x04, .le = 0x12 },
	.protected_cmd = "0CB000040D9701128E082EA28A70F3C7B53500",
	.protected_resp = "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
	.plain_resp = "04303130365F36063034303030305C0261759000",
	.ssc_after = "887022120C06C22C",
};

static void test_sm_worked_example(void **state)
{
	(void)state;
	sm_ctx term = d_session(), card = d_session();
	run_exchange(&term, &card, &d_select);
	run_exchange(&term, &card, &d_read4);
	run_exchange(&term, &card, &d_read_rest);
}

static void test_sm_mac_primitive(void **state)
{
	(void)state;
	sm_ctx s = d_session();
	/* D.4: MAC of SSC+1 || padded header || DO'87 of the SELECT. */
	uint8_t n[64];
	size_t len = unhex("887022120C06C2270CA4020C800000008709016375432908C044F6", n, sizeof n);
	uint8_t mac[8];
	assert_int_equal(sm_mac(&s, n, len, mac), CRYPTO_OK);
	check_hex(mac, 8, "BF8B92D635FF24F8");
	/* D.3: M.IFD is the retail MAC of E.IFD under Kmac. */
	d_values d = d_load();
	memcpy(s.ks_mac, d.keys.kmac, 16);
	assert_int_equal(sm_mac(&s, d.cmd, 32, mac), CRYPTO_OK);
	check_hex(mac, 8, "5F1448EEA8AD90A7");
}

static void test_ssc_increment(void **state)
{
	(void)state;
	sm_ctx s = d_session();
	memcpy(s.ssc, (uint8_t[]){ 0, 0, 0, 0, 0, 0, 0x01, 0xFF }, 8);
	sm_increment_ssc(&s);
	check_hex(s.ssc, 8, "0000000000000200");
	/* An exhausted counter refuses to wrap rather than reuse values. */
	memset(s.ssc, 0xFF, 8);
	crypto_apdu a = { .ins = 0xB0, .le = 1 };
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&s, &a, &out), CRYPTO_ERR_SSC);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

/* ---- what the example does not cover ---- */

static void test_response_tampering(void **state)
{
	(void)state;
	uint8_t resp[64];
	size_t len = unhex(d_read4.protected_resp, resp, sizeof resp);
	/* Flip each byte of the data objects in turn (not the outer SW). */
	for (size_t i = 0; i < len - 2; i++) {
		sm_ctx term = d_session();
		crypto_buf cmd = CRYPTO_BUF_INIT, out = CRYPTO_BUF_INIT;
		assert_int_equal(sm_wrap_command(&term, &d_select.plain, &cmd), CRYPTO_OK);
		sm_increment_ssc(&term); /* skip the SELECT's response */
		buf_free(&cmd);
		assert_int_equal(sm_wrap_command(&term, &d_read4.plain, &cmd), CRYPTO_OK);
		uint8_t bad[64];
		memcpy(bad, resp, len);
		bad[i] ^= 0x04;
		crypto_err e = sm_unwrap_response(&term, bad, len, &out);
		/* Tag and length bytes make the structure unreadable (FORMAT);
		 * every other change must be caught by the MAC. */
		assert_true(e == CRYPTO_ERR_MAC || e == CRYPTO_ERR_FORMAT);
		if (i >= 3 && i < 11)         /* inside the DO'87 cryptogram */
			assert_int_equal(e, CRYPTO_ERR_MAC);
		if (i >= len - 2 - 8)         /* the MAC itself */
			assert_int_equal(e, CRYPTO_ERR_MAC);
		assert_int_equal(out.len, 0); /* nothing accepted */
		buf_free(&cmd);
		buf_free(&out);
	}
}

static void test_response_in_clear(void **state)
{
	(void)state;
	sm_ctx term = d_session();
	crypto_buf cmd = CRYPTO_BUF_INIT, out = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&term, &d_read4.plain, &cmd), CRYPTO_OK);
	const uint8_t sw[2] = { 0x69, 0x88 };
	assert_int_equal(sm_unwrap_response(&term, sw, 2, &out), CRYPTO_ERR_FORMAT);
	check_hex(out.data, out.len, "6988");
	buf_free(&out);

	/* Data without any MAC is never accepted, even with 9000. */
	const uint8_t unmaced[] = { 0x99, 0x02, 0x90, 0x00, 0x90, 0x00 };
	assert_int_equal(sm_unwrap_response(&term, unmaced, sizeof unmaced, &out), CRYPTO_ERR_FORMAT);
	assert_int_equal(out.len, 0);
	/* Too short to hold a status word. */
	assert_int_equal(sm_unwrap_response(&term, sw, 1, &out), CRYPTO_ERR_FORMAT);
	buf_free(&cmd);
	buf_free(&out);
}

static void test_wrong_session_keys(void **state)
{
	(void)state;
	sm_ctx term = d_session(), card = d_session();
	card.ks_mac[3] ^= 0x10;
	crypto_buf cmd = CRYPTO_BUF_INIT, storage = CRYPTO_BUF_INIT, resp = CRYPTO_BUF_INIT, out = CRYPTO_BUF_INIT;
	crypto_apdu got;
	assert_int_equal(sm_wrap_command(&term, &d_select.plain, &cmd), CRYPTO_OK);
	assert_int_equal(sm_card_unwrap_command(&card, cmd.data, cmd.len, &got, &storage), CRYPTO_ERR_MAC);

	/* SSC out of step by one: also a MAC failure, on either side. */
	sm_ctx card2 = d_session();
	sm_increment_ssc(&card2);
	assert_int_equal(sm_card_unwrap_command(&card2, cmd.data, cmd.len, &got, &storage), CRYPTO_ERR_MAC);

	sm_ctx card3 = d_session();
	assert_int_equal(sm_card_unwrap_command(&card3, cmd.data, cmd.len, &got, &storage), CRYPTO_OK);
	sm_increment_ssc(&card3);
	assert_int_equal(sm_card_wrap_response(&card3, NULL, 0, 0x9000, &resp), CRYPTO_OK);
	assert_int_equal(sm_unwrap_response(&term, resp.data, resp.len, &out), CRYPTO_ERR_MAC);
	assert_int_equal(out.len, 0);
	buf_free(&cmd);
	buf_free(&storage);
	buf_free(&resp);
	buf_free(&out);
}

static void test_card_rejects_unprotected(void **state)
{
	(void)state;
	sm_ctx card = d_session();
	crypto_buf storage = CRYPTO_BUF_INIT;
	crypto_apdu got;
	/* Plain READ BINARY: no SM bits in CLA. */
	const uint8_t plain[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	assert_int_equal(sm_card_unwrap_command(&card, plain, sizeof plain, &got, &storage), CRYPTO_ERR_FORMAT);
	/* SM CLA but no DO'8E. */
	const uint8_t nomac[] = { 0x0C, 0xB0, 0x00, 0x00, 0x03, 0x97, 0x01, 0x04, 0x00 };
	assert_int_equal(sm_card_unwrap_command(&card, nomac, sizeof nomac, &got, &storage), CRYPTO_ERR_FORMAT);
	/* Unknown data object. */
	const uint8_t odd[] = { 0x0C, 0xB0, 0x00, 0x00, 0x03, 0x53, 0x01, 0x04, 0x00 };
	assert_int_equal(sm_card_unwrap_command(&card, odd, sizeof odd, &got, &storage), CRYPTO_ERR_FORMAT);
	/* Truncated APDU. */
	assert_int_equal(sm_card_unwrap_command(&card, odd, 3, &got, &storage), CRYPTO_ERR_FORMAT);
	buf_free(&storage);
}

/* Extended Le encodings in DO'97 and the protected APDU's own form. */
static void test_extended_encodings(void **state)
{
	(void)state;
	struct {
		size_t le;
		bool ext;
		const char *do97;   /* expected DO'97 bytes */
		bool prot_ext;      /* protected command in extended form */
	} cases[] = {
		{ 4, false, "970104", false },
		{ 256, false, "970100", false },
		{ 4, true, "97020004", true },
		{ 0x1000, false, "97021000", true },
		{ 65536, false, "97020000", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sm_ctx s = d_session();
		crypto_apdu a = { .ins = 0xB0, .le = cases[i].le, .extended = cases[i].ext };
		crypto_buf out = CRYPTO_BUF_INIT;
		assert_int_equal(sm_wrap_command(&s, &a, &out), CRYPTO_OK);
		char hex[64];
		size_t off = cases[i].prot_ext ? 7 : 5; /* header + Lc */
		hex_encode(out.data + off, strlen(cases[i].do97) / 2, hex);
		assert_string_equal(hex, cases[i].do97);
		if (cases[i].prot_ext) {
			assert_int_equal(out.data[4], 0x00);
			assert_int_equal(out.data[out.len - 1], 0x00); /* Le 0000 */
			assert_int_equal(out.data[out.len - 2], 0x00);
		}
		crypto_apdu dec;
		assert_int_equal(apdu_decode(out.data, out.len, &dec), CRYPTO_OK);
		assert_int_equal(dec.extended, cases[i].prot_ext);
		assert_int_equal(dec.le, cases[i].prot_ext ? 65536 : 256);
		buf_free(&out);
	}

	/* Short plain command whose protected data outgrows Lc 255. */
	sm_ctx s = d_session();
	uint8_t data[240] = { 0 };
	crypto_apdu a = { .ins = 0xD6, .data = data, .lc = sizeof data };
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&s, &a, &out), CRYPTO_OK);
	crypto_apdu dec;
	assert_int_equal(apdu_decode(out.data, out.len, &dec), CRYPTO_OK);
	assert_true(dec.extended);
	assert_true(dec.lc > 255);
	buf_free(&out);
}

/* Deterministic pseudo-random numbers so a failure can be replayed. */
static uint32_t rng_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_round_trips(void **state)
{
	(void)state;
	sm_ctx term = d_session(), card = d_session();
	uint32_t seed = 0x2468ACE1u;
	static uint8_t data[70000], resp_plain[70000];
	for (int iter = 0; iter < 300; iter++) {
		crypto_apdu a = { 0 };
		a.cla = 0x00;
		a.ins = (uint8_t)(rng_next(&seed) & 0xFE);
		if (iter % 7 == 3)
			a.ins |= 1; /* odd INS: DO'85 */
		a.p1 = (uint8_t)rng_next(&seed);
		a.p2 = (uint8_t)rng_next(&seed);
		uint32_t kind = rng_next(&seed) % 4;
		size_t max_lc = (kind == 3) ? 4000 : 255;
		a.lc = (rng_next(&seed) % 3 == 0) ? 0 : 1 + rng_next(&seed) % max_lc;
		/* Keep the protected form within the extended maximum. */
		if (iter == 17)
			a.lc = 65000;
		for (size_t i = 0; i < a.lc; i++)
			data[i] = (uint8_t)rng_next(&seed);
		a.data = a.lc ? data : NULL;
		switch (kind) {
		case 0: a.le = 0; break;
		case 1: a.le = 1 + rng_next(&seed) % 256; break;
		case 2: a.le = 1 + rng_next(&seed) % 65536; break;
		default: a.le = (rng_next(&seed) & 1) ? 65536 : 256; a.extended = true; break;
		}
		if (iter == 5)
			a.le = 256;
		if (iter == 6)
			a.le = 65536;

		crypto_buf cmd = CRYPTO_BUF_INIT, storage = CRYPTO_BUF_INIT, resp = CRYPTO_BUF_INIT, out = CRYPTO_BUF_INIT;
		assert_int_equal(sm_wrap_command(&term, &a, &cmd), CRYPTO_OK);
		crypto_apdu got;
		assert_int_equal(sm_card_unwrap_command(&card, cmd.data, cmd.len, &got, &storage), CRYPTO_OK);
		assert_int_equal(got.ins, a.ins);
		assert_int_equal(got.p1, a.p1);
		assert_int_equal(got.p2, a.p2);
		assert_int_equal(got.lc, a.lc);
		assert_int_equal(got.le, a.le);
		assert_int_equal(got.extended, apdu_is_extended(&a));
		if (a.lc)
			assert_memory_equal(got.data, a.data, a.lc);

		size_t rlen = rng_next(&seed) % 3 == 0 ? 0 : rng_next(&seed) % 1200;
		if (iter == 9)
			rlen = 65000;
		for (size_t i = 0; i < rlen; i++)
			resp_plain[i] = (uint8_t)rng_next(&seed);
		uint16_t sw = (iter % 5 == 0) ? 0x6282 : 0x9000;
		assert_int_equal(sm_card_wrap_response(&card, resp_plain, rlen, sw, &resp), CRYPTO_OK);
		assert_int_equal(sm_unwrap_response(&term, resp.data, resp.len, &out), CRYPTO_OK);
		assert_int_equal(out.len, rlen + 2);
		if (rlen)
			assert_memory_equal(out.data, resp_plain, rlen);
		assert_int_equal(apdu_sw(out.data, out.len), sw);
		assert_memory_equal(term.ssc, card.ssc, 8);
		buf_free(&cmd);
		buf_free(&storage);
		buf_free(&resp);
		buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_digits),
		cmocka_unit_test(test_key_seed_and_kdf),
		cmocka_unit_test(test_keys_bad_input),
		cmocka_unit_test(test_bac_terminal),
		cmocka_unit_test(test_bac_card),
		cmocka_unit_test(test_bac_failures),
		cmocka_unit_test(test_sm_worked_example),
		cmocka_unit_test(test_sm_mac_primitive),
		cmocka_unit_test(test_ssc_increment),
		cmocka_unit_test(test_response_tampering),
		cmocka_unit_test(test_response_in_clear),
		cmocka_unit_test(test_wrong_session_keys),
		cmocka_unit_test(test_card_rejects_unprotected),
		cmocka_unit_test(test_extended_encodings),
		cmocka_unit_test(test_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
