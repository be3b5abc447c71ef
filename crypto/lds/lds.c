/*
 * lds — the core of crypto/lds: error words, which file is which (tag,
 * file id, short file id, name) and how long a file is from its first
 * bytes, the object walk the other files share (lds-internal.h), and the
 * small parsers: EF.COM, DG15 (the active authentication key) and the
 * outer layer of EF.SOD. The MRZ and DG1 are in mrz.c, DG2 in dg2.c,
 * DG11 and DG12 in dg11_12.c; see lds.h for what each parser promises.
 *
 * The BER-TLV layer is crypto/tlv; everything here walks objects with
 * tlv_next and checks each length against the bytes it was given before
 * touching them.
 */
#include "crypto/lds/lds.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/lds/lds-internal.h"
#include "crypto/tlv.h"

/* ---- Errors ----------------------------------------------------------- */

const char *lds_strerror(lds_err e)
{
	switch (e) {
	case LDS_OK: return "ok";
	case LDS_ERR_ARG: return "invalid argument";
	case LDS_ERR_NOMEM: return "out of memory";
	case LDS_ERR_NEED_MORE: return "more bytes are needed to know the file's length";
	case LDS_ERR_TRUNCATED: return "truncated: the data ends inside an element";
	case LDS_ERR_BAD_TLV: return "malformed tag or length encoding";
	case LDS_ERR_TAG: return "unexpected tag";
	case LDS_ERR_LENGTH: return "bad length: a length field disagrees with the data";
	case LDS_ERR_MISSING: return "a mandatory element is missing";
	case LDS_ERR_COUNT: return "an element count disagrees with the elements present";
	case LDS_ERR_VALUE: return "a field holds an invalid value";
	case LDS_ERR_TOO_LARGE: return "larger than any LDS file may be";
	case LDS_ERR_MRZ_LENGTH: return "the MRZ must be 2 lines of 44 characters (passport), 2 lines of 36 or 3 lines of 30";
	case LDS_ERR_MRZ_CHARSET: return "the MRZ may only contain A-Z, 0-9 and <";
	case LDS_ERR_MRZ_CHECK_NUMBER: return "the check digit of the document number in the MRZ is wrong";
	case LDS_ERR_MRZ_CHECK_BIRTH: return "the check digit of the date of birth in the MRZ is wrong";
	case LDS_ERR_MRZ_CHECK_EXPIRY: return "the check digit of the date of expiry in the MRZ is wrong";
	case LDS_ERR_MRZ_CHECK_OPTIONAL: return "the check digit of the personal number in the MRZ is wrong";
	case LDS_ERR_MRZ_CHECK_COMPOSITE: return "the composite check digit of the MRZ is wrong";
	case LDS_ERR_FACE_RECORD: return "the biometric data block is not an ISO/IEC 19794-5 face record";
	case LDS_ERR_UNSUPPORTED: return "unsupported format version";
	case LDS_ERR_KEY: return "the public key cannot be decoded";
	case LDS_ERR_OID: return "malformed object identifier";
	case LDS_ERR_MRZ_BIRTH_DATE:
		return "the date of birth in the MRZ is not a date (YYMMDD: month 01-12, a day the month has)";
	case LDS_ERR_MRZ_EXPIRY_DATE:
		return "the date of expiry in the MRZ is not a date (YYMMDD: month 01-12, a day the month has)";
	}
	return "unknown LDS error";
}

bool lds_err_is_user(lds_err e)
{
	switch (e) {
	case LDS_ERR_MRZ_LENGTH:
	case LDS_ERR_MRZ_CHARSET:
	case LDS_ERR_MRZ_CHECK_NUMBER:
	case LDS_ERR_MRZ_CHECK_BIRTH:
	case LDS_ERR_MRZ_CHECK_EXPIRY:
	case LDS_ERR_MRZ_CHECK_OPTIONAL:
	case LDS_ERR_MRZ_CHECK_COMPOSITE:
	case LDS_ERR_MRZ_BIRTH_DATE:
	case LDS_ERR_MRZ_EXPIRY_DATE:
		return true;
	case LDS_OK:
	case LDS_ERR_ARG:
	case LDS_ERR_NOMEM:
	case LDS_ERR_NEED_MORE:
	case LDS_ERR_TRUNCATED:
	case LDS_ERR_BAD_TLV:
	case LDS_ERR_TAG:
	case LDS_ERR_LENGTH:
	case LDS_ERR_MISSING:
	case LDS_ERR_COUNT:
	case LDS_ERR_VALUE:
	case LDS_ERR_TOO_LARGE:
	case LDS_ERR_FACE_RECORD:
	case LDS_ERR_UNSUPPORTED:
	case LDS_ERR_KEY:
	case LDS_ERR_OID:
		return false;
	}
	return false;
}

/* ---- File identity ---------------------------------------------------- */

/* LDS tags of DG1..DG16 (ICAO 9303 part 10, table 34). */
static const uint8_t dg_tags[16] = {
	0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
	0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
};

static const char *const dg_names[16] = {
	"DG1", "DG2", "DG3", "DG4", "DG5", "DG6", "DG7", "DG8",
	"DG9", "DG10", "DG11", "DG12", "DG13", "DG14", "DG15", "DG16",
};

bool lds_file_valid(lds_file f)
{
	return (f >= LDS_FILE_DG1 && f <= LDS_FILE_DG16) ||
	       f == LDS_FILE_CARD_ACCESS || f == LDS_FILE_SOD || f == LDS_FILE_COM;
}

lds_file lds_file_dg(int n)
{
	return n >= 1 && n <= 16 ? (lds_file)n : LDS_FILE_NONE;
}

const char *lds_file_name(lds_file f)
{
	if (f >= LDS_FILE_DG1 && f <= LDS_FILE_DG16)
		return dg_names[f - 1];
	if (f == LDS_FILE_COM)
		return "EF.COM";
	if (f == LDS_FILE_SOD)
		return "EF.SOD";
	if (f == LDS_FILE_CARD_ACCESS)
		return "EF.CardAccess";
	return "unknown file";
}

uint8_t lds_file_tag(lds_file f)
{
	if (f >= LDS_FILE_DG1 && f <= LDS_FILE_DG16)
		return dg_tags[f - 1];
	if (f == LDS_FILE_COM)
		return 0x60;
	if (f == LDS_FILE_SOD)
		return 0x77;
	return 0;
}

uint16_t lds_file_fid(lds_file f)
{
	return lds_file_valid(f) ? (uint16_t)(0x0100 + f) : 0;
}

uint8_t lds_file_sfi(lds_file f)
{
	return lds_file_valid(f) ? (uint8_t)f : 0;
}

bool lds_file_from_tag(uint32_t tag, lds_file *ret)
{
	for (int i = 0; i < 16; i++) {
		if (tag == dg_tags[i]) {
			*ret = (lds_file)(i + 1);
			return true;
		}
	}
	if (tag == 0x60 || tag == 0x77) {
		*ret = tag == 0x60 ? LDS_FILE_COM : LDS_FILE_SOD;
		return true;
	}
	return false;
}

bool lds_file_from_sfi(uint8_t sfi, lds_file *ret)
{
	if (!lds_file_valid((lds_file)sfi))
		return false;
	*ret = (lds_file)sfi;
	return true;
}

bool lds_file_from_fid(uint16_t fid, lds_file *ret)
{
	if (fid < 0x0100 || fid > 0x01FF)
		return false;
	return lds_file_from_sfi((uint8_t)(fid - 0x0100), ret);
}

lds_err lds_file_length(const uint8_t *head, size_t n, size_t *ret_total)
{
	if ((!head && n) || !ret_total)
		return LDS_ERR_ARG;
	if (n < 1)
		return LDS_ERR_NEED_MORE;
	/* Every file of the eMRTD application (and EF.CardAccess, a SET) starts
	 * with a one-byte constructed tag; 00 or FF is an empty or unwritten
	 * file, never a header. */
	if ((head[0] & 0x1F) == 0x1F || (head[0] & 0x20) == 0)
		return LDS_ERR_TAG;
	uint32_t tag;
	size_t hdr, len;
	switch (tlv_peek_header(head, n, &tag, &hdr, &len)) {
	case TLV_OK:
		break;
	case TLV_ERR_TRUNCATED:
		return LDS_ERR_NEED_MORE;
	case TLV_END:
	case TLV_ERR_BAD_TAG:
	case TLV_ERR_BAD_LENGTH:
	case TLV_ERR_NOT_FOUND:
		return LDS_ERR_BAD_TLV;
	}
	if (len > LDS_FILE_MAX - hdr)
		return LDS_ERR_TOO_LARGE;
	*ret_total = hdr + len;
	return LDS_OK;
}

/* ---- Shared helpers (lds-internal.h) ---------------------------------- */

lds_err lds_tlv_err(tlv_status s)
{
	switch (s) {
	case TLV_OK: return LDS_OK;
	case TLV_END: return LDS_ERR_TRUNCATED;
	case TLV_ERR_TRUNCATED: return LDS_ERR_TRUNCATED;
	case TLV_ERR_BAD_TAG: return LDS_ERR_BAD_TLV;
	case TLV_ERR_BAD_LENGTH: return LDS_ERR_BAD_TLV;
	case TLV_ERR_NOT_FOUND: return LDS_ERR_MISSING;
	}
	return LDS_ERR_BAD_TLV;
}

lds_err lds_first_object(const uint8_t *data, size_t len, crypto_tlv *ret)
{
	const uint8_t *p = data;
	return lds_tlv_err(tlv_next(&p, data + len, ret));
}

lds_err lds_only_object(const uint8_t *value, size_t len, crypto_tlv *ret)
{
	crypto_tlv t;
	lds_err e = lds_first_object(value, len, &t);
	if (e != LDS_OK)
		return e;
	if (t.raw_len != len)
		return LDS_ERR_LENGTH;
	*ret = t;
	return LDS_OK;
}

lds_err lds_unwrap(const uint8_t *data, size_t len, lds_file f, crypto_tlv *ret)
{
	if (!data && len)
		return LDS_ERR_ARG;
	if (len == 0)
		return LDS_ERR_TRUNCATED;
	/* Name a wrong file as such even when it is also truncated. */
	if (data[0] != lds_file_tag(f))
		return LDS_ERR_TAG;
	return lds_first_object(data, len, ret);
}

/* Every child of a constructed value, well-formed up to its end. */
static lds_err check_children(const uint8_t *value, size_t len)
{
	const uint8_t *p = value, *end = value + len;
	crypto_tlv t;
	tlv_status s;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK)
		;
	return s == TLV_END ? LDS_OK : lds_tlv_err(s);
}

lds_err lds_unwrap_checked(const uint8_t *data, size_t len, lds_file f, crypto_tlv *ret)
{
	crypto_tlv outer;
	lds_err e = lds_unwrap(data, len, f, &outer);
	if (e == LDS_OK)
		e = check_children(outer.value, outer.len);
	if (e == LDS_OK)
		*ret = outer;
	return e;
}

uint32_t lds_be_uint(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

lds_err lds_tlv_uint(const crypto_tlv *t, size_t max, uint32_t *ret)
{
	if (t->len < 1 || t->len > max)
		return LDS_ERR_VALUE;
	*ret = lds_be_uint(t->value, t->len);
	return LDS_OK;
}

bool lds_all_digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

lds_err lds_dup_bytes(const uint8_t *v, size_t n, uint8_t **ret, size_t *ret_len)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return LDS_ERR_NOMEM;
	memcpy(b, v, n);
	*ret = b;
	*ret_len = n;
	return LDS_OK;
}

/* ---- EF.COM ----------------------------------------------------------- */

lds_err lds_com_parse(const uint8_t *data, size_t len, lds_com *ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	crypto_tlv outer;
	lds_err e = lds_unwrap_checked(data, len, LDS_FILE_COM, &outer);
	if (e != LDS_OK)
		return e;

	lds_com com = { 0 };
	crypto_tlv t;
	if (tlv_find(outer.value, outer.len, 0x5F01, &t) != TLV_OK)
		return LDS_ERR_MISSING;
	if (t.len != 4 || !lds_all_digits(t.value, 4))
		return LDS_ERR_VALUE;
	memcpy(com.lds_version, t.value, 4);
	/* 5F36 is mandatory from LDS 1.7 on; early specimens lack it. */
	if (tlv_find(outer.value, outer.len, 0x5F36, &t) == TLV_OK) {
		if (t.len != 6 || !lds_all_digits(t.value, 6))
			return LDS_ERR_VALUE;
		memcpy(com.unicode_version, t.value, 6);
	}
	if (tlv_find(outer.value, outer.len, 0x5C, &t) != TLV_OK)
		return LDS_ERR_MISSING;
	for (size_t i = 0; i < t.len; i++) {
		lds_file f;
		/* Tags of later LDS versions are skipped, not refused. */
		if (!lds_file_from_tag(t.value[i], &f) || f > LDS_FILE_DG16)
			continue;
		if (lds_com_has(&com, f))
			continue;
		com.files[com.n_files++] = f;
	}
	*ret = com;
	return LDS_OK;
}

bool lds_com_has(const lds_com *com, lds_file f)
{
	for (size_t i = 0; i < com->n_files; i++)
		if (com->files[i] == f)
			return true;
	return false;
}

/* ---- DG15 ------------------------------------------------------------- */

const char *lds_key_type_name(lds_key_type t)
{
	switch (t) {
	case LDS_KEY_RSA: return "RSA";
	case LDS_KEY_EC: return "EC";
	case LDS_KEY_OTHER: return "other";
	}
	return "unknown";
}

void lds_dg15_free(lds_dg15 *d)
{
	if (!d)
		return;
	free(d->der);
	free(d);
}

lds_err lds_dg15_parse(const uint8_t *data, size_t len, lds_dg15 **ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	crypto_tlv outer, spki;
	lds_err e = lds_unwrap(data, len, LDS_FILE_DG15, &outer);
	if (e != LDS_OK)
		return e;
	e = lds_only_object(outer.value, outer.len, &spki);
	if (e != LDS_OK)
		return e;
	if (spki.tag != 0x30)
		return LDS_ERR_TAG;
	if (spki.raw_len > (size_t)LONG_MAX)
		return LDS_ERR_TOO_LARGE;

	lds_dg15 *d = calloc(1, sizeof *d);
	if (!d)
		return LDS_ERR_NOMEM;
	ERR_set_mark();
	const unsigned char *p = spki.raw;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)spki.raw_len);
	if (!key || p != spki.raw + spki.raw_len) {
		e = LDS_ERR_KEY;
		goto out_free;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		d->type = LDS_KEY_RSA;
		break;
	case EVP_PKEY_EC:
		d->type = LDS_KEY_EC;
		break;
	default:
		d->type = LDS_KEY_OTHER;
		break;
	}
	d->bits = EVP_PKEY_get_bits(key);
	if (d->type == LDS_KEY_EC) {
		size_t n = 0;
		/* Curves given by explicit parameters that match no named curve
		 * have no name. */
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
		                                    d->curve, sizeof d->curve, &n))
			strcpy(d->curve, "explicit");
	}
	e = lds_dup_bytes(spki.raw, spki.raw_len, &d->der, &d->der_len);
	if (e != LDS_OK)
		goto out_free;
	EVP_PKEY_free(key);
	ERR_pop_to_mark();
	*ret = d;
	return LDS_OK;

out_free:
	EVP_PKEY_free(key);
	ERR_pop_to_mark();
	lds_dg15_free(d);
	return e;
}

/* ---- EF.SOD ----------------------------------------------------------- */

lds_err lds_sod_unwrap(const uint8_t *data, size_t len,
                       const uint8_t **ret_cms, size_t *ret_cms_len)
{
	if (!ret_cms || !ret_cms_len)
		return LDS_ERR_ARG;
	crypto_tlv outer, cms;
	lds_err e = lds_unwrap(data, len, LDS_FILE_SOD, &outer);
	if (e != LDS_OK)
		return e;
	/* ContentInfo is a SEQUENCE filling the value. */
	e = lds_only_object(outer.value, outer.len, &cms);
	if (e != LDS_OK)
		return e;
	if (cms.tag != 0x30)
		return LDS_ERR_TAG;
	*ret_cms = outer.value;
	*ret_cms_len = outer.len;
	return LDS_OK;
}
