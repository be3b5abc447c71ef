/*
 * sm — ISO 7816-4 secure messaging as profiled by ICAO 9303 part 11, 9.8:
 * command data in DO'87 (padding indicator 01 + ciphertext), Le in DO'97,
 * status in DO'99 and a MAC in DO'8E over the send sequence counter, the
 * padded header and the data objects.
 *
 * 3DES: two-key 3DES-CBC with zero IV, ISO 9797-1 MAC algorithm 3 (retail
 * MAC) with padding method 2, 8-byte SSC.
 * AES (9.8.6.2, 9.8.6.3): AES-CBC with the IV E(KSenc, SSC) of each
 * message, AES-CMAC truncated to 8 bytes, 16-byte SSC, the header and data
 * padded to 16 bytes. The context carries the cipher, so callers do not
 * change with it.
 *
 * Both sides are here: the terminal wraps commands and unwraps responses;
 * the (virtual) chip unwraps commands and wraps responses. Every wrap or
 * unwrap increments the SSC first. A MAC that does not verify is
 * CRYPTO_ERR_MAC — never accepted.
 */
#pragma once

#include <stdbool.h>
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
/* AES-128, -192 or -256: key_len 16, 24 or 32 bytes for each key. After
 * PACE and chip authentication the SSC starts at zero. */
crypto_err sm_init_aes(sm_ctx *ctx, const uint8_t *ks_enc, const uint8_t *ks_mac, size_t key_len,
                       const uint8_t ssc[16]);
/* A session whose keys derive from a shared secret K as ICAO 9303 part 11
 * (9.7.1) does after chip authentication: KSenc = KDF(K, 1), KSmac =
 * KDF(K, 2), AES with key_len 16/24/32 or 3DES (key_len 16); SSC zero. */
crypto_err sm_init_from_secret(sm_ctx *ctx, const uint8_t *secret, size_t secret_len, bool aes, size_t key_len);

/* Terminal side. `out` receives the encoded protected command APDU. The
 * protected command uses the extended encoding when the plain one does or
 * when its data no longer fits the short form. */
crypto_err sm_wrap_command(sm_ctx *ctx, const crypto_apdu *plain, crypto_buf *out);
/* Verify and decrypt a protected response (data objects + SW1SW2).
 * `out` receives the plain response data followed by the SW from DO'99.
 * A response without DO'8E whose SW is an error (e.g. 6987/6988 sent in the
 * clear) is CRYPTO_ERR_FORMAT with the SW still copied to out. */
crypto_err sm_unwrap_response(sm_ctx *ctx, const uint8_t *resp, size_t len, crypto_buf *out);

/* Chip side. `ret` describes the plain command; its data points into
 * `storage`, which the caller frees. */
crypto_err sm_card_unwrap_command(sm_ctx *ctx, const uint8_t *cmd, size_t len, crypto_apdu *ret, crypto_buf *storage);
crypto_err sm_card_wrap_response(sm_ctx *ctx, const uint8_t *data, size_t len, uint16_t sw, crypto_buf *out);

/* PACE-CAM (ICAO 9303 part 11, 4.4.3.5): the chip authentication data CA_IC
 * travels encrypted with the new session's KSenc: padded (ISO 9797-1
 * method 2) and AES-CBC encrypted with IV = E(KSenc, -1), -1 being the
 * all-ones block. `ctx` is the AES session PACE established; the SSC is
 * not used. `out` gets the result appended. Decrypting checks and strips
 * the padding (CRYPTO_ERR_PADDING). */
crypto_err sm_cam_encrypt(const sm_ctx *ctx, const uint8_t *data, size_t len, crypto_buf *out);
crypto_err sm_cam_decrypt(const sm_ctx *ctx, const uint8_t *data, size_t len, crypto_buf *out);

/* Primitives, exposed for the worked-example tests. sm_mac pads msg
 * (ISO 9797-1 method 2) and computes the session's MAC: retail MAC or
 * AES-CMAC truncated to 8 bytes. */
crypto_err sm_mac(const sm_ctx *ctx, const uint8_t *msg, size_t len, uint8_t mac[8]);
void sm_increment_ssc(sm_ctx *ctx);
