/*
 * buf — a growable byte buffer used wherever a protocol message or a file is
 * assembled piece by piece (APDUs, TLV structures, files read from a chip).
 *
 * A buffer that failed to grow remembers it: appends after a failure do
 * nothing and buf_ok() answers false, so a builder can append many pieces and
 * check once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

typedef struct crypto_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;
} crypto_buf;

#define CRYPTO_BUF_INIT ((crypto_buf){ 0 })

/* Make room for `extra` more bytes; false (and the buffer marked failed) when
 * memory runs out. */
bool buf_reserve(crypto_buf *b, size_t extra);
void buf_append(crypto_buf *b, const void *data, size_t len);
void buf_append_byte(crypto_buf *b, uint8_t byte);
/* Append a BER-TLV: tag (1..3 bytes as written, e.g. 0x5F1F), length, value. */
void buf_append_tlv(crypto_buf *b, uint32_t tag, const void *value, size_t len);
/* Append only the tag and length of a TLV whose value follows. */
void buf_append_tlv_header(crypto_buf *b, uint32_t tag, size_t len);
static inline bool buf_ok(const crypto_buf *b) { return !b->failed; }
/* Hand the bytes to the caller (who frees them); the buffer is left empty. */
uint8_t *buf_steal(crypto_buf *b, size_t *ret_len);
void buf_free(crypto_buf *b);

/* A copy of len bytes as an OpenSSL BUF_MEM (what OpenPACE takes and
 * gives); NULL when memory runs out. Free it with BUF_MEM_free, or with
 * OpenPACE's BUF_MEM_clear_free when it held a secret. */
BUF_MEM *buf_mem_from(const uint8_t *data, size_t len);
