/*
 * test_sm_aes — AES secure messaging (crypto/sm.c, ICAO 9303 part 11, 9.8)
 * byte for byte against OpenPACE's own primitives (EAC_encrypt,
 * EAC_authenticate) for AES-128, -192, -256 and 3DES with the same keys
 * and SSC: a protected command the terminal builds must equal the one
 * assembled from OpenPACE's cryptogram and MAC, and OpenPACE must decrypt
 * and verify a protected response the chip side builds. Then what a user
 * would notice: a wrong MAC is refused on either side, and terminal and
 * chip talk through many commands (SSC advancing, IV changing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <eac/eac.h>
#include <eac/objects.h>
#include <eac/pace.h>
#include <openssl/rand.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/sm.h"

typedef struct suite {
	const char *what;
	size_t key_len;
	bool aes;
} suite;

static const suite suites[] = {
	{ "AES-128", 16, true },
	{ "AES-192", 24, true },
	{ "AES-256", 32, true },
	{ "3DES", 16, false },
};

/* A BUF_MEM holding a copy of data (OpenPACE's own helper is not public). */
static BUF_MEM *bm(const void *data, size_t len)
{
	BUF_MEM *b = BUF_MEM_new();
	assert_non_null(b);
	assert_true(BUF_MEM_grow(b, len) == len || len == 0);
	memcpy(b->data, data, len);
	b->length = len;
	return b;
}

/* Fixed, distinct keys so a failure is reproducible. */
static void fixed_keys(uint8_t enc[32], uint8_t mac[32])
{
	for (int i = 0; i < 32; i++) {
		enc[i] = (uint8_t)(0x11 * (i % 15) + 3 * i);
		mac[i] = (uint8_t)(0xA5 ^ (7 * i));
	}
}

static void init_ours(const suite *s, sm_ctx *ctx)
{
	uint8_t enc[32], mac[32], ssc[16] = { 0 };
	fixed_keys(enc, mac);
	if (s->aes)
		assert_int_equal(sm_init_aes(ctx, enc, mac, s->key_len, ssc), CRYPTO_OK);
	else
		assert_int_equal(sm_init_3des(ctx, enc, mac, ssc), CRYPTO_OK);
}

/* An OpenPACE context whose session keys are ours, SSC at `ssc`. */
static EAC_CTX *init_openpace(const suite *s, unsigned long ssc)
{
	int nid = !s->aes ? NID_id_PACE_ECDH_GM_3DES_CBC_CBC
	          : s->key_len == 16 ? NID_id_PACE_ECDH_GM_AES_CBC_CMAC_128
	          : s->key_len == 24 ? NID_id_PACE_ECDH_GM_AES_CBC_CMAC_192
	                             : NID_id_PACE_ECDH_GM_AES_CBC_CMAC_256;
	EAC_CTX *ctx = EAC_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EAC_CTX_init_pace(ctx, nid, 13), 1);
	uint8_t enc[32], mac[32];
	fixed_keys(enc, mac);
	ctx->pace_ctx->ka_ctx->k_enc = bm(enc, s->key_len);
	ctx->pace_ctx->ka_ctx->k_mac = bm(mac, s->key_len);
	assert_int_equal(EAC_CTX_set_encryption_ctx(ctx, EAC_ID_PACE), 1);
	assert_int_equal(EAC_set_ssc(ctx, ssc), 1);
	return ctx;
}

static BUF_MEM *padded(EAC_CTX *ctx, const uint8_t *data, size_t len)
{
	BUF_MEM *in = bm(data, len);
	BUF_MEM *out = EAC_add_iso_pad(ctx, in);
	BUF_MEM_free(in);
	assert_non_null(out);
	return out;
}

/* The protected command as OpenPACE's primitives make it. */
static void openpace_protect(const suite *s, const crypto_apdu *plain, crypto_buf *out)
{
	EAC_CTX *ctx = init_openpace(s, 1); /* the first command uses SSC 1 */
	size_t block = s->aes ? 16 : 8;
	crypto_buf dos = CRYPTO_BUF_INIT;
	if (plain->lc) {
		BUF_MEM *p = padded(ctx, plain->data, plain->lc);
		BUF_MEM *ct = EAC_encrypt(ctx, p);
		assert_non_null(ct);
		buf_append_tlv_header(&dos, 0x87, ct->length + 1);
		buf_append_byte(&dos, 0x01);
		buf_append(&dos, ct->data, ct->length);
		BUF_MEM_free(p);
		BUF_MEM_free(ct);
	}
	if (plain->le) {
		uint8_t le = (uint8_t)(plain->le == 256 ? 0 : plain->le);
		buf_append_tlv(&dos, 0x97, &le, 1);
	}
	crypto_buf m = CRYPTO_BUF_INIT;
	uint8_t header[16] = { (uint8_t)(plain->cla | 0x0C), plain->ins, plain->p1, plain->p2, 0x80 };
	buf_append(&m, header, block);
	buf_append(&m, dos.data, dos.len);
	BUF_MEM *p = padded(ctx, m.data, m.len);
	BUF_MEM *mac = EAC_authenticate(ctx, p);
	assert_non_null(mac);
	assert_int_equal(mac->length, 8);
	buf_append_tlv(&dos, 0x8E, mac->data, mac->length);
	buf_append(out, header, 4);
	buf_append_byte(out, (uint8_t)dos.len);
	buf_append(out, dos.data, dos.len);
	buf_append_byte(out, 0x00);
	assert_true(buf_ok(out));
	BUF_MEM_free(p);
	BUF_MEM_free(mac);
	buf_free(&m);
	buf_free(&dos);
	EAC_CTX_clear_free(ctx);
}

static void test_command_matches_openpace(void **state)
{
	static const uint8_t fid[] = { 0x01, 0x1E };
	static const uint8_t challenge[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t long_data[40] = { 0x7C, 0x26 };
	const crypto_apdu cmds[] = {
		{ .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = fid, .lc = sizeof fid },
		{ .cla = 0x00, .ins = 0xB0, .p1 = 0x00, .p2 = 0x00, .le = 4 },
		{ .cla = 0x00, .ins = 0x88, .p1 = 0x00, .p2 = 0x00, .data = challenge, .lc = 8, .le = 256 },
		{ .cla = 0x00, .ins = 0x86, .p1 = 0x00, .p2 = 0x00, .data = long_data, .lc = 32, .le = 256 },
		{ .cla = 0x10, .ins = 0x86, .p1 = 0x00, .p2 = 0x00, .data = long_data, .lc = 40, .le = 256 },
	};
	for (size_t si = 0; si < sizeof suites / sizeof suites[0]; si++) {
		for (size_t ci = 0; ci < sizeof cmds / sizeof cmds[0]; ci++) {
			sm_ctx ours;
			init_ours(&suites[si], &ours);
			crypto_buf got = CRYPTO_BUF_INIT, want = CRYPTO_BUF_INIT;
			assert_int_equal(sm_wrap_command(&ours, &cmds[ci], &got), CRYPTO_OK);
			openpace_protect(&suites[si], &cmds[ci], &want);
			if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
				fail_msg("%s, command %zu: the protected APDU differs from OpenPACE's", suites[si].what, ci);
			buf_free(&got);
			buf_free(&want);
		}
	}
}

/* The chip side's protected response, checked with OpenPACE: the MAC over
 * SSC || DO'87 || DO'99 verifies and the cryptogram decrypts to the data. */
static void test_response_matches_openpace(void **state)
{
	uint8_t data[50];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 3 + 1);
	for (size_t si = 0; si < sizeof suites / sizeof suites[0]; si++) {
		const suite *s = &suites[si];
		sm_ctx chip;
		init_ours(s, &chip);
		sm_increment_ssc(&chip); /* the command used SSC 1; the response uses 2 */
		crypto_buf resp = CRYPTO_BUF_INIT;
		assert_int_equal(sm_card_wrap_response(&chip, data, sizeof data, 0x9000, &resp), CRYPTO_OK);

		EAC_CTX *ctx = init_openpace(s, 2);
		/* 87 L 01 <ct> 99 02 90 00 8E 08 <mac> 90 00 */
		assert_int_equal(resp.data[0], 0x87);
		size_t l87 = resp.data[1], off = 2;
		if (l87 == 0x81) {
			l87 = resp.data[2];
			off = 3;
		}
		size_t maced = off + l87 + 4;
		assert_int_equal(resp.data[maced], 0x8E);
		BUF_MEM *p = padded(ctx, resp.data, maced);
		BUF_MEM *mac = bm(resp.data + maced + 2, 8);
		if (EAC_verify_authentication(ctx, p, mac) != 1)
			fail_msg("%s: OpenPACE does not verify the chip's response MAC", s->what);
		BUF_MEM *ct = bm(resp.data + off + 1, l87 - 1);
		BUF_MEM *pt = EAC_decrypt(ctx, ct);
		assert_non_null(pt);
		assert_true(pt->length >= sizeof data);
		assert_memory_equal(pt->data, data, sizeof data);
		assert_int_equal((uint8_t)pt->data[sizeof data], 0x80);
		BUF_MEM_free(p);
		BUF_MEM_free(mac);
		BUF_MEM_free(ct);
		BUF_MEM_free(pt);
		EAC_CTX_clear_free(ctx);
		buf_free(&resp);
	}
}

static void test_wrong_mac_refused(void **state)
{
	static const uint8_t fid[] = { 0x01, 0x01 };
	const crypto_apdu sel = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = fid, .lc = 2 };
	for (size_t si = 0; si < sizeof suites / sizeof suites[0]; si++) {
		sm_ctx term, chip;
		init_ours(&suites[si], &term);
		init_ours(&suites[si], &chip);
		crypto_buf cmd = CRYPTO_BUF_INIT, storage = CRYPTO_BUF_INIT, resp = CRYPTO_BUF_INIT, plain = CRYPTO_BUF_INIT;
		assert_int_equal(sm_wrap_command(&term, &sel, &cmd), CRYPTO_OK);
		/* the last byte before Le is the MAC's last */
		cmd.data[cmd.len - 2] ^= 0x01;
		crypto_apdu got;
		sm_ctx chip_copy = chip;
		assert_int_equal(sm_card_unwrap_command(&chip_copy, cmd.data, cmd.len, &got, &storage), CRYPTO_ERR_MAC);
		cmd.data[cmd.len - 2] ^= 0x01;
		assert_int_equal(sm_card_unwrap_command(&chip, cmd.data, cmd.len, &got, &storage), CRYPTO_OK);
		assert_int_equal(got.lc, 2);
		assert_memory_equal(got.data, fid, 2);

		assert_int_equal(sm_card_wrap_response(&chip, NULL, 0, 0x9000, &resp), CRYPTO_OK);
		resp.data[resp.len - 3] ^= 0x80;
		sm_ctx term_copy = term;
		assert_int_equal(sm_unwrap_response(&term_copy, resp.data, resp.len, &plain), CRYPTO_ERR_MAC);
		resp.data[resp.len - 3] ^= 0x80;
		assert_int_equal(sm_unwrap_response(&term, resp.data, resp.len, &plain), CRYPTO_OK);
		assert_int_equal(plain.len, 2);
		/* a session with other keys: the MAC does not verify */
		sm_ctx other;
		uint8_t k[32] = { 0 }, ssc[16] = { 0 };
		assert_int_equal(sm_init_aes(&other, k, k, 16, ssc), CRYPTO_OK);
		buf_free(&cmd);
		assert_int_equal(sm_wrap_command(&other, &sel, &cmd), CRYPTO_OK);
		init_ours(&suites[si], &chip);
		if (suites[si].aes)
			assert_int_equal(sm_card_unwrap_command(&chip, cmd.data, cmd.len, &got, &storage),
			                 CRYPTO_ERR_MAC);
		buf_free(&cmd);
		buf_free(&storage);
		buf_free(&resp);
		buf_free(&plain);
	}
}

/* Many exchanges in a row, short and extended, with every data length from
 * 0 to 40 so padding lands on and off block boundaries. */
static void test_round_trips(void **state)
{
	uint8_t data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(0xC3 ^ i);
	for (size_t si = 0; si < sizeof suites / sizeof suites[0]; si++) {
		sm_ctx term, chip;
		init_ours(&suites[si], &term);
		init_ours(&suites[si], &chip);
		for (size_t n = 0; n <= 300; n += (n < 40 ? 1 : 87)) {
			crypto_apdu a = { .cla = 0x00, .ins = 0xD6, .p1 = 0, .p2 = 0, .data = n ? data : NULL, .lc = n,
				   .le = n % 3 ? 0 : 256 };
			crypto_buf cmd = CRYPTO_BUF_INIT, storage = CRYPTO_BUF_INIT, resp = CRYPTO_BUF_INIT, plain = CRYPTO_BUF_INIT;
			assert_int_equal(sm_wrap_command(&term, &a, &cmd), CRYPTO_OK);
			crypto_apdu got;
			assert_int_equal(sm_card_unwrap_command(&chip, cmd.data, cmd.len, &got, &storage), CRYPTO_OK);
			assert_int_equal(got.lc, n);
			if (n)
				assert_memory_equal(got.data, data, n);
			assert_int_equal(sm_card_wrap_response(&chip, data, n, 0x9000, &resp), CRYPTO_OK);
			assert_int_equal(sm_unwrap_response(&term, resp.data, resp.len, &plain), CRYPTO_OK);
			assert_int_equal(plain.len, n + 2);
			if (n)
				assert_memory_equal(plain.data, data, n);
			buf_free(&cmd);
			buf_free(&storage);
			buf_free(&resp);
			buf_free(&plain);
		}
		assert_memory_equal(term.ssc, chip.ssc, 16);
	}
}

static void test_init_aes_arguments(void **state)
{
	sm_ctx ctx;
	uint8_t k[32] = { 0 }, ssc[16] = { 0 };
	assert_int_equal(sm_init_aes(&ctx, k, k, 20, ssc), CRYPTO_ERR_ARG);
	assert_int_equal(sm_init_aes(&ctx, NULL, k, 16, ssc), CRYPTO_ERR_ARG);
	assert_int_equal(sm_init_aes(&ctx, k, k, 32, ssc), CRYPTO_OK);
	assert_int_equal(ctx.cipher, SM_CIPHER_AES);
	assert_int_equal(ctx.block_len, 16);
	/* the SSC is 16 bytes and carries over all of them */
	memset(ctx.ssc, 0, 16);
	memset(ctx.ssc + 8, 0xFF, 8);
	sm_increment_ssc(&ctx);
	assert_int_equal(ctx.ssc[7], 1);
	assert_int_equal(ctx.ssc[15], 0);
}

int main(void)
{
	EAC_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_matches_openpace),
		cmocka_unit_test(test_response_matches_openpace),
		cmocka_unit_test(test_wrong_mac_refused),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_init_aes_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
