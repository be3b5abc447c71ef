/*
 * bac — Basic Access Control, ICAO 9303 part 11, 4.3: keys from the MRZ
 * (document number, date of birth, date of expiry, each with its check
 * digit) and the three-pass mutual authentication that ends in 3DES secure
 * messaging session keys and SSC.
 *
 * Both sides: the terminal (inspection system) and the chip (used by the
 * virtual passport in devices/).
 */
#pragma once

#include <stdint.h>

#include "crypto/crypto.h"
#include "crypto/sm.h"

typedef struct bac_keys {
	uint8_t kenc[16];
	uint8_t kmac[16];
} bac_keys;

/* doc_number: as printed, up to 9 characters padded with '<' (longer numbers
 * are used whole); dates YYMMDD. CRYPTO_ERR_ARG on characters outside the
 * MRZ set or a date that is not six digits. */
crypto_err bac_keys_from_mrz(const char *doc_number, const char *birth_date, const char *expiry_date, bac_keys *ret);

/* Key seed (first 16 bytes of SHA-1 of MRZ_information), for the tests. */
crypto_err bac_key_seed(const char *doc_number, const char *birth_date, const char *expiry_date, uint8_t seed[16]);

/* Terminal: EXTERNAL AUTHENTICATE data E_IFD || M_IFD (40 bytes) from the
 * chip's RND.ICC and the terminal's fresh RND.IFD and K.IFD. */
crypto_err bac_terminal_auth_data(const bac_keys *keys, const uint8_t rnd_icc[8], const uint8_t rnd_ifd[8],
                                  const uint8_t k_ifd[16], uint8_t cmd_data[40]);
/* Terminal: verify the chip's answer E_ICC || M_ICC and derive session keys.
 * CRYPTO_ERR_MAC or CRYPTO_ERR_AUTH if it does not verify. */
crypto_err bac_terminal_finish(const bac_keys *keys, const uint8_t resp[40], const uint8_t rnd_icc[8],
                               const uint8_t rnd_ifd[8], const uint8_t k_ifd[16], sm_ctx *ret);

/* Chip: check the terminal's EXTERNAL AUTHENTICATE data against RND.ICC,
 * answer with E_ICC || M_ICC and derive the same session. */
crypto_err bac_card_respond(const bac_keys *keys, const uint8_t rnd_icc[8], const uint8_t cmd_data[40],
                            const uint8_t k_icc[16], uint8_t resp[40], sm_ctx *ret);
