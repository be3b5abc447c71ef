/*
 * icao — small ICAO 9303 primitives: MRZ check digits (part 3, 4.9) and the
 * key derivation function of part 11, 9.7.1 (SHA-1 based, for 3DES keys).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* Check digit (weights 7 3 1) over len characters of 0-9, A-Z, '<'.
 * Returns 0..9, or -1 if a character is outside that set. */
int icao_check_digit(const char *s, size_t len);

/* The KDF counter values of part 11, 9.7.1. */
enum { ICAO_KDF_ENC = 1, ICAO_KDF_MAC = 2, ICAO_KDF_PACE = 3 };

/* 16-byte two-key 3DES key from SHA-1(seed || counter), DES parity adjusted. */
crypto_err icao_kdf_3des(const uint8_t *seed, size_t seed_len, uint32_t counter, uint8_t key[16]);
