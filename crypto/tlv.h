/*
 * tlv — BER-TLV as used by ISO 7816-4 and ICAO 9303 (the LDS files, secure
 * messaging data objects, EF.CardAccess).
 *
 * Tags are kept as the bytes they are written with, big-endian in a uint32_t:
 * 0x61, 0x5F1F, 0x7F61. Lengths use the definite forms only (short, 81, 82,
 * 83, 84), as ICAO 9303 requires; the indefinite form is rejected. Parsing
 * never reads outside the given bounds, whatever the input.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLV_MAX_HEADER 8 /* up to 3 tag bytes + 5 length bytes */

typedef enum tlv_status {
	TLV_OK = 0,
	TLV_END,               /* no more objects at this level */
	TLV_ERR_TRUNCATED,     /* header or value runs past the end of the data */
	TLV_ERR_BAD_TAG,       /* tag longer than 3 bytes or malformed */
	TLV_ERR_BAD_LENGTH,    /* indefinite or over-long length */
	TLV_ERR_NOT_FOUND,     /* tlv_find: no object with that tag */
} tlv_status;

typedef struct crypto_tlv {
	uint32_t tag;
	bool constructed;     /* bit 6 of the first tag byte */
	const uint8_t *value; /* points into the parsed data */
	size_t len;
	const uint8_t *raw;   /* the whole object, header included */
	size_t raw_len;
} crypto_tlv;

/* Parse the object at *pos (which must lie within [*pos, end)) and advance
 * *pos past it. Returns TLV_END when *pos == end. */
tlv_status tlv_next(const uint8_t **pos, const uint8_t *end, crypto_tlv *ret);

/* Decode only the header at data[0..n): tag, header length and value
 * length, whether or not the value follows (a reader learns a file's length
 * from its first bytes). TLV_ERR_TRUNCATED when the header itself runs past
 * n bytes. */
tlv_status tlv_peek_header(const uint8_t *data, size_t n, uint32_t *ret_tag, size_t *ret_header_len,
                           size_t *ret_value_len);

/* Parse exactly one object that fills data[0..len) completely. */
tlv_status tlv_parse_one(const uint8_t *data, size_t len, crypto_tlv *ret);

/* Find the first object with `tag` among the siblings in data[0..len). */
tlv_status tlv_find(const uint8_t *data, size_t len, uint32_t tag, crypto_tlv *ret);

/* Write tag and length of a TLV into out (TLV_MAX_HEADER bytes); returns the
 * header's length, 0 if the tag is invalid. */
size_t tlv_encode_header(uint32_t tag, size_t len, uint8_t *out);

/* Length of the object's header plus value, for a given value length. */
size_t tlv_total_len(uint32_t tag, size_t len);

const char *tlv_strerror(tlv_status s);
