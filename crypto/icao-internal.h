/*
 * icao-internal — the block-cipher plumbing shared by icao.c, bac.c and sm.c:
 * two-key 3DES in CBC mode and the ISO 9797-1 retail MAC (MAC algorithm 3,
 * padding method 2), both over OpenSSL EVP with the default provider only.
 * Not part of the crypto/ public interface.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* Two-key 3DES-CBC (K1||K2, 16 bytes) over len bytes, a multiple of 8, with
 * the given IV (NULL: zero IV). No padding is added or removed. in and out
 * may be the same buffer. */
crypto_err icao_3des_cbc(const uint8_t key[16], const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out,
                         bool encrypt);

/* ISO 9797-1 MAC algorithm 3 with DES (retail MAC) over msg padded with
 * method 2 (the padding is added here). key is K1||K2. */
crypto_err icao_retail_mac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[8]);

/* ISO 9797-1 padding method 2 to a multiple of block: how long the padded
 * message is, and the padding itself written after len bytes of out. */
size_t icao_pad_len(size_t len, size_t block);
void icao_pad(uint8_t *out, size_t len, size_t block);
/* Length of the message before method-2 padding; false if the padding is bad. */
bool icao_unpad(const uint8_t *data, size_t len, size_t block, size_t *ret_len);
