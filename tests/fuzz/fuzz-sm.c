/*
 * fuzz-sm — libFuzzer target for secure messaging (crypto/sm.c) and the
 * APDU codec (crypto/apdu.c), both ends: the terminal's unwrapping of a
 * protected response and the chip's unwrapping of a protected command. The
 * session is fixed: the 3DES keys and SSC of the ICAO 9303 part 11
 * worked example, fresh for every input.
 *
 * The first byte selects what the rest is:
 *   0  a protected response, as is (sm_unwrap_response)
 *   1  a protected response without its MAC: data objects then SW1 SW2; the
 *      harness inserts a correct DO'8E before the SW, so the fuzzer gets
 *      past the MAC check to the cryptogram, padding and status
 *   2  a protected command, as is (apdu_decode, then sm_card_unwrap_command)
 *   3  a protected command without its MAC: CLA INS P1 P2 then the data
 *      objects; the harness appends a correct DO'8E and encodes the APDU
 *      (extended when it must be, or when bit 7 of the selector is set)
 * A decoded command must encode back to the same bytes (abort otherwise).
 * Seeds (gen-corpus.c) are messages made by the wrap functions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/sm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ks_enc[16] = { 0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC,
				    0xD0, 0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5 };
static const uint8_t ks_mac[16] = { 0xF1, 0xCB, 0x1F, 0x1F, 0xB5, 0xAD, 0xF2, 0x08,
				    0x80, 0x6B, 0x89, 0xDC, 0x57, 0x9D, 0xC1, 0xF8 };
static const uint8_t ssc0[8] = { 0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x26 };

/* The MAC the other end will expect over `msg` (SSC incremented once). */
static void mac_next(const uint8_t *msg, size_t len, uint8_t mac[8])
{
	sm_ctx ctx;
	sm_init_3des(&ctx, ks_enc, ks_mac, ssc0);
	sm_increment_ssc(&ctx);
	crypto_buf m = CRYPTO_BUF_INIT;
	buf_append(&m, ctx.ssc, ctx.block_len);
	buf_append(&m, msg, len);
	if (!buf_ok(&m) || sm_mac(&ctx, m.data, m.len, mac) != CRYPTO_OK)
		abort();
	buf_free(&m);
}

static void check_roundtrip(const uint8_t *cmd, size_t len)
{
	crypto_apdu a;
	if (apdu_decode(cmd, len, &a) != CRYPTO_OK)
		return;
	if (a.lc && !a.data)
		abort();
	size_t n = apdu_encoded_len(&a);
	uint8_t *again = malloc(n ? n : 1);
	size_t got = 0;
	if (!again || n != len || apdu_encode(&a, again, n, &got) != CRYPTO_OK || got != len ||
	    memcmp(again, cmd, len) != 0)
		abort(); /* decode and encode disagree */
	free(again);
}

static void unwrap_response(const uint8_t *resp, size_t len)
{
	sm_ctx ctx;
	sm_init_3des(&ctx, ks_enc, ks_mac, ssc0);
	crypto_buf out = CRYPTO_BUF_INIT;
	crypto_err e = sm_unwrap_response(&ctx, resp, len, &out);
	if (e == CRYPTO_OK && out.len < 2)
		abort(); /* a response always carries its status */
	buf_free(&out);
}

static void unwrap_command(const uint8_t *cmd, size_t len)
{
	check_roundtrip(cmd, len);
	sm_ctx ctx;
	sm_init_3des(&ctx, ks_enc, ks_mac, ssc0);
	crypto_apdu plain;
	crypto_buf storage = CRYPTO_BUF_INIT;
	if (sm_card_unwrap_command(&ctx, cmd, len, &plain, &storage) == CRYPTO_OK) {
		if (plain.lc && (!plain.data || plain.data < storage.data ||
				 plain.data + plain.lc > storage.data + storage.len))
			abort(); /* the plain data must lie in storage */
		/* The chip would answer it: wrap an answer of Le bytes. */
		size_t n = plain.le < 512 ? plain.le : 512;
		uint8_t answer[512] = { 0 };
		crypto_buf out = CRYPTO_BUF_INIT;
		(void)sm_card_wrap_response(&ctx, answer, n, SW_OK, &out);
		buf_free(&out);
	}
	buf_free(&storage);
}

static void response_with_mac(const uint8_t *d, size_t len)
{
	if (len < 2) {
		unwrap_response(d, len);
		return;
	}
	size_t body = len - 2;
	uint8_t mac[8];
	mac_next(d, body, mac);
	crypto_buf r = CRYPTO_BUF_INIT;
	buf_append(&r, d, body);
	buf_append_tlv(&r, 0x8E, mac, sizeof(mac));
	buf_append(&r, d + body, 2);
	if (!buf_ok(&r))
		abort();
	unwrap_response(r.data, r.len);
	buf_free(&r);
}

static void command_with_mac(const uint8_t *d, size_t len, bool extended)
{
	if (len < 4 || len - 4 > 65535 - 10)
		return;
	uint8_t header[8] = { d[0], d[1], d[2], d[3], 0x80, 0, 0, 0 };
	crypto_buf m = CRYPTO_BUF_INIT;
	buf_append(&m, header, sizeof(header));
	buf_append(&m, d + 4, len - 4);
	uint8_t mac[8];
	if (!buf_ok(&m))
		abort();
	mac_next(m.data, m.len, mac);
	buf_free(&m);
	crypto_buf dos = CRYPTO_BUF_INIT;
	buf_append(&dos, d + 4, len - 4);
	buf_append_tlv(&dos, 0x8E, mac, sizeof(mac));
	if (!buf_ok(&dos))
		abort();
	extended = extended || dos.len > APDU_MAX_SHORT_LC;
	crypto_apdu a = { .cla = d[0], .ins = d[1], .p1 = d[2], .p2 = d[3], .data = dos.data, .lc = dos.len,
		   .le = extended ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE, .extended = extended };
	size_t n = apdu_encoded_len(&a);
	uint8_t *cmd = malloc(n ? n : 1);
	size_t got = 0;
	if (!cmd || n == 0 || apdu_encode(&a, cmd, n, &got) != CRYPTO_OK)
		abort();
	unwrap_command(cmd, got);
	free(cmd);
	buf_free(&dos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *d = data + 1;
	size_t len = size - 1;
	switch (data[0] & 3) {
	case 0:
		unwrap_response(d, len);
		break;
	case 1:
		response_with_mac(d, len);
		break;
	case 2:
		unwrap_command(d, len);
		break;
	case 3:
		command_with_mac(d, len, data[0] & 0x80);
		break;
	}
	return 0;
}
