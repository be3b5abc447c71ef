/*
 * apdu — ISO/IEC 7816-4 command APDUs: encoding (short and extended length)
 * and decoding, plus the status word of a response.
 *
 * `le` is the number of response bytes expected: 0 means no Le field; 256 is
 * the short maximum (encoded 00) and 65536 the extended maximum (0000).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

#define APDU_MAX_SHORT_LC 255
#define APDU_MAX_SHORT_LE 256
#define APDU_MAX_EXT_LE 65536
/* Largest encoded command: header + 3 + 65535 data bytes + 2. */
#define APDU_MAX_COMMAND (4 + 3 + 65535 + 2)
/* Largest response: 65536 data bytes + SW1 SW2. */
#define APDU_MAX_RESPONSE (65536 + 2)

typedef struct crypto_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* command data, may be NULL when lc == 0 */
	size_t lc;
	size_t le;           /* 0: absent; 1..65536 */
	bool extended;       /* force the extended encoding even if short fits */
} crypto_apdu;

/* Encoded length of the command (0 if it cannot be encoded). */
size_t apdu_encoded_len(const crypto_apdu *a);
crypto_err apdu_encode(const crypto_apdu *a, uint8_t *out, size_t cap, size_t *ret_len);
/* Decode a command; data points into `in`. */
crypto_err apdu_decode(const uint8_t *in, size_t len, crypto_apdu *ret);
/* True if the command needs (or asks for) the extended encoding. */
bool apdu_is_extended(const crypto_apdu *a);

/* Status word (SW1SW2) of a response, 0 if shorter than 2 bytes. */
static inline uint16_t apdu_sw(const uint8_t *resp, size_t len)
{
	return len < 2 ? 0 : (uint16_t)((resp[len - 2] << 8) | resp[len - 1]);
}

/* Common status words. */
#define SW_OK                  0x9000
#define SW_WRONG_LENGTH        0x6700
#define SW_SM_MISSING          0x6987
#define SW_SM_INCORRECT        0x6988
#define SW_SECURITY_STATUS     0x6982
#define SW_AUTH_METHOD_BLOCKED 0x6983
#define SW_CONDITIONS          0x6985
#define SW_FILE_NOT_FOUND      0x6A82
#define SW_WRONG_P1P2          0x6B00
#define SW_INS_NOT_SUPPORTED   0x6D00
#define SW_CLA_NOT_SUPPORTED   0x6E00
#define SW_END_OF_FILE         0x6282
#define SW_WRONG_DATA          0x6A80
#define SW_FUNC_NOT_SUPPORTED  0x6A81
#define SW_UNKNOWN             0x6F00
