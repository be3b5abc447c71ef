/*
 * lds-internal — what the files of crypto/lds share and nothing outside
 * it may use: the walk over BER-TLV objects with every length checked
 * against the bytes given (on top of crypto/tlv), and small readers of
 * integers, digits and copies. lds.c holds them; mrz.c, dg2.c and
 * dg11_12.c use them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/lds/lds.h"
#include "crypto/tlv.h"

/* ---- Objects ---------------------------------------------------------- */

/* A crypto/tlv status as an LDS error (TLV_END: the data ended early). */
lds_err lds_tlv_err(tlv_status s);
/* The first object of data[0..len); what follows it is not looked at. */
lds_err lds_first_object(const uint8_t *data, size_t len, crypto_tlv *ret);
/* The one object that fills value[0..len) (LDS_ERR_LENGTH otherwise). */
lds_err lds_only_object(const uint8_t *value, size_t len, crypto_tlv *ret);
/* The outer object of file f at the start of data: LDS_ERR_TAG for
 * another file's tag, even when the data is also truncated. */
lds_err lds_unwrap(const uint8_t *data, size_t len, lds_file f, crypto_tlv *ret);
/* lds_unwrap, and every child of the file's value well-formed up to its
 * end: what each parser of a constructed file starts with. */
lds_err lds_unwrap_checked(const uint8_t *data, size_t len, lds_file f, crypto_tlv *ret);

/* ---- Values ----------------------------------------------------------- */

/* p[0..n) as a big-endian unsigned number; n at most 4. */
uint32_t lds_be_uint(const uint8_t *p, size_t n);
/* An unsigned integer element of 1..max bytes (LDS_ERR_VALUE otherwise). */
lds_err lds_tlv_uint(const crypto_tlv *t, size_t max, uint32_t *ret);
/* p[0..n) are all '0'..'9'. */
bool lds_all_digits(const uint8_t *p, size_t n);
/* A malloc'd copy of v[0..n) (one byte allocated when n is 0). */
lds_err lds_dup_bytes(const uint8_t *v, size_t n, uint8_t **ret, size_t *ret_len);
