/*
 * buf — growable byte buffer; see buf.h.
 */
#include "crypto/buf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/buffer.h>

#include "crypto/tlv.h"

bool buf_reserve(crypto_buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra > SIZE_MAX - b->len) {
		b->failed = true;
		return false;
	}
	size_t need = b->len + extra;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void buf_append(crypto_buf *b, const void *data, size_t len)
{
	if (len == 0 || !buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void buf_append_byte(crypto_buf *b, uint8_t byte)
{
	buf_append(b, &byte, 1);
}

void buf_append_tlv_header(crypto_buf *b, uint32_t tag, size_t len)
{
	uint8_t hdr[TLV_MAX_HEADER];
	size_t n = tlv_encode_header(tag, len, hdr);
	if (n == 0) {
		b->failed = true;
		return;
	}
	buf_append(b, hdr, n);
}

void buf_append_tlv(crypto_buf *b, uint32_t tag, const void *value, size_t len)
{
	buf_append_tlv_header(b, tag, len);
	buf_append(b, value, len);
}

uint8_t *buf_steal(crypto_buf *b, size_t *ret_len)
{
	uint8_t *p = b->data;
	if (ret_len)
		*ret_len = b->len;
	*b = CRYPTO_BUF_INIT;
	return p;
}

void buf_free(crypto_buf *b)
{
	if (!b)
		return;
	free(b->data);
	*b = CRYPTO_BUF_INIT;
}

BUF_MEM *buf_mem_from(const uint8_t *data, size_t len)
{
	BUF_MEM *b = BUF_MEM_new();
	if (!b)
		return NULL;
	if (len && BUF_MEM_grow(b, len) != len) {
		BUF_MEM_free(b);
		return NULL;
	}
	if (len)
		memcpy(b->data, data, len);
	b->length = len;
	return b;
}
