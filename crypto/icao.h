/*
 * icao — small ICAO 9303 primitives: MRZ check digits (part 3, 4.9) and the
 * key derivation function of part 11, 9.7.1 for 3DES and AES session keys
 * (BAC, PACE's password key, chip authentication).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* Check digit (weights 7 3 1) over len characters of 0-9, A-Z, '<'.
 * Returns 0..9, or -1 if a character is outside that set. */
int icao_check_digit(const char *s, size_t len);

/* Longest document number accepted (TD1 numbers continue into the optional
 * data field; nothing real comes near this), and the room MRZ_information
 * needs with its terminating NUL. */
#define ICAO_MRZ_MAX_DOCNO 32
#define ICAO_MRZ_INFO_MAX (ICAO_MRZ_MAX_DOCNO + 1 + 14 + 1)

/* MRZ_information (part 11, 4.3.2.2 and 9.7.3), the secret BAC and PACE
 * with the MRZ derive their keys from: the document number (fillers at its
 * end dropped, padded with '<' to 9 characters) and its check digit, the
 * date of birth (YYMMDD) and its check digit, the date of expiry and its
 * check digit. NUL-terminated; its length in *ret_len (may be NULL).
 * CRYPTO_ERR_ARG for characters outside the MRZ set, an empty or overlong
 * number, or a date that is not six digits. */
crypto_err icao_mrz_information(const char *doc_number, const char *birth_date, const char *expiry_date,
                                char out[ICAO_MRZ_INFO_MAX], size_t *ret_len);

/* The KDF counter values of part 11, 9.7.1. */
enum { ICAO_KDF_ENC = 1, ICAO_KDF_MAC = 2, ICAO_KDF_PACE = 3 };

/* KDF(K, c) = H(K || c), c a 32-bit big-endian counter, cut to a key of
 * key_len bytes: with aes false, 16 (two-key 3DES from SHA-1, DES parity
 * adjusted); with aes true, 16 (AES-128, SHA-1), 24 or 32 (AES-192 and
 * AES-256, SHA-256). CRYPTO_ERR_ARG for any other length; key is left
 * untouched on failure. */
crypto_err icao_kdf(const uint8_t *seed, size_t seed_len, uint32_t counter, bool aes, size_t key_len,
                    uint8_t *key);

/* icao_kdf for a 16-byte two-key 3DES key. */
crypto_err icao_kdf_3des(const uint8_t *seed, size_t seed_len, uint32_t counter, uint8_t key[16]);
