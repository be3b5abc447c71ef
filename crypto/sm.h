/*
 * sm — ISO 7816-4 secure messaging as profiled by ICAO 9303 part 11, 9.8:
 * command data in DO'87 (padding indicator 01 + ciphertext), Le in DO'97,
 * status in DO'99 and a MAC in DO'8E over the send sequence counter, the
 * padded header and the data objects.
 *
 * 3DES: two-key 3DES-CBC with zero IV, ISO 9797-1 MAC algorithm 3 (retail
 * MAC) with padding method 2, 8-byte SSC. The context carries the cipher so
 * AES (issue 3) slots in without changing callers.
 *
 * Both sides are here: the terminal wraps commands and unwraps responses;
 * the (virtual) chip unwraps commands and wraps responses. Every wrap or
 * unwrap increments the SSC first. A MAC that does not verify is
 * CRYPTO_ERR_MAC — never accepted.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/crypto.h"

typedef enum sm_cipher {
	SM_CIPHER_3DES = 1,
	SM_CIPHER_AES = 2,
} sm_cipher;

typedef struct sm_ctx {
	sm_cipher cipher;
	uint8_t ks_enc[32];
	uint8_t ks_mac[32];
	size_t key_len;   /* 16 for 3DES */
	uint8_t ssc[16];
	size_t block_len; /* 8 for 3DES, 16 for AES; also the SSC's length */
} sm_ctx;

crypto_err sm_init_3des(sm_ctx *ctx, const uint8_t ks_enc[16], const uint8_t ks_mac[16], const uint8_t ssc[8]);

/* Terminal side. `out` receives the encoded protected command APDU. The
 * protected command uses the extended encoding when the plain one does or
 * when its data no longer fits the short form. */
crypto_err sm_wrap_command(sm_ctx *ctx, const apdu *plain, buf *out);
/* Verify and decrypt a protected response (data objects + SW1SW2).
 * `out` receives the plain response data followed by the SW from DO'99.
 * A response without DO'8E whose SW is an error (e.g. 6987/6988 sent in the
 * clear) is CRYPTO_ERR_FORMAT with the SW still copied to out. */
crypto_err sm_unwrap_response(sm_ctx *ctx, const uint8_t *resp, size_t len, buf *out);

/* Chip side. `ret` describes the plain command; its data points into
 * `storage`, which the caller frees. */
crypto_err sm_card_unwrap_command(sm_ctx *ctx, const uint8_t *cmd, size_t len, apdu *ret, buf *storage);
crypto_err sm_card_wrap_response(sm_ctx *ctx, const uint8_t *data, size_t len, uint16_t sw, buf *out);

/* Primitives, exposed for the worked-example tests. */
crypto_err sm_mac(const sm_ctx *ctx, const uint8_t *msg, size_t len, uint8_t mac[8]);
void sm_increment_ssc(sm_ctx *ctx);
