/*
 * lds — parsers for the files of the eMRTD Logical Data Structure (ICAO 9303
 * part 10); see lds.h.
 *
 * The BER-TLV layer is crypto/tlv; everything here walks objects with
 * tlv_next and checks each length against the bytes it was given before
 * touching them. Sections, in order: errors, file identity, shared helpers,
 * EF.COM, MRZ (DG1 and typed text), DG2 with its ISO/IEC 19794-5 face
 * record, DG11/DG12, DG15, EF.SOD. (DG14 is crypto/secinfo's.)
 */
#include "crypto/lds/lds.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/icao.h"
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

/* ---- Shared helpers --------------------------------------------------- */

static lds_err from_tlv(tlv_status s)
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

/* The first object of data[0..len); what follows it is not looked at. */
static lds_err first_object(const uint8_t *data, size_t len, tlv *ret)
{
	const uint8_t *p = data;
	return from_tlv(tlv_next(&p, data + len, ret));
}

/* The one object that fills value[0..len). */
static lds_err only_object(const uint8_t *value, size_t len, tlv *ret)
{
	tlv t;
	lds_err e = first_object(value, len, &t);
	if (e != LDS_OK)
		return e;
	if (t.raw_len != len)
		return LDS_ERR_LENGTH;
	*ret = t;
	return LDS_OK;
}

/* The outer object of file f at the start of data. */
static lds_err unwrap(const uint8_t *data, size_t len, lds_file f, tlv *ret)
{
	if (!data && len)
		return LDS_ERR_ARG;
	if (len == 0)
		return LDS_ERR_TRUNCATED;
	/* Name a wrong file as such even when it is also truncated. */
	if (data[0] != lds_file_tag(f))
		return LDS_ERR_TAG;
	return first_object(data, len, ret);
}

/* Every child of a constructed value, well-formed up to its end. */
static lds_err check_children(const uint8_t *value, size_t len)
{
	const uint8_t *p = value, *end = value + len;
	tlv t;
	tlv_status s;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK)
		;
	return s == TLV_END ? LDS_OK : from_tlv(s);
}

static uint32_t be_uint(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* An unsigned integer element of 1..max bytes. */
static lds_err tlv_uint(const tlv *t, size_t max, uint32_t *ret)
{
	if (t->len < 1 || t->len > max)
		return LDS_ERR_VALUE;
	*ret = be_uint(t->value, t->len);
	return LDS_OK;
}

static bool all_digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* ---- EF.COM ----------------------------------------------------------- */

lds_err lds_com_parse(const uint8_t *data, size_t len, lds_com *ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	tlv outer;
	lds_err e = unwrap(data, len, LDS_FILE_COM, &outer);
	if (e != LDS_OK)
		return e;
	e = check_children(outer.value, outer.len);
	if (e != LDS_OK)
		return e;

	lds_com com = { 0 };
	tlv t;
	if (tlv_find(outer.value, outer.len, 0x5F01, &t) != TLV_OK)
		return LDS_ERR_MISSING;
	if (t.len != 4 || !all_digits(t.value, 4))
		return LDS_ERR_VALUE;
	memcpy(com.lds_version, t.value, 4);
	/* 5F36 is mandatory from LDS 1.7 on; early specimens lack it. */
	if (tlv_find(outer.value, outer.len, 0x5F36, &t) == TLV_OK) {
		if (t.len != 6 || !all_digits(t.value, 6))
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

/* ---- MRZ -------------------------------------------------------------- */

static bool all_fillers(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '<')
			return false;
	return true;
}

static bool digits2(const char *s, int *ret)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*ret = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

lds_date_status lds_date_check(const char *s, size_t n)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int yy, mm, dd;
	if (!s || n != 6)
		return LDS_DATE_INVALID;
	if (all_fillers(s, 6))
		return LDS_DATE_PARTLY_UNKNOWN;
	if (!digits2(s, &yy))
		return LDS_DATE_INVALID;
	if (all_fillers(s + 2, 4))
		return LDS_DATE_PARTLY_UNKNOWN;
	if (!digits2(s + 2, &mm) || mm < 1 || mm > 12)
		return LDS_DATE_INVALID;
	if (all_fillers(s + 4, 2))
		return LDS_DATE_PARTLY_UNKNOWN;
	if (!digits2(s + 4, &dd) || dd < 1 || dd > days[mm - 1])
		return LDS_DATE_INVALID;
	if (mm == 2 && dd == 29 && yy % 4 != 0)
		return LDS_DATE_INVALID;
	return LDS_DATE_VALID;
}

const char *lds_date_status_name(lds_date_status s)
{
	switch (s) {
	case LDS_DATE_VALID: return "valid";
	case LDS_DATE_PARTLY_UNKNOWN: return "partly unknown";
	case LDS_DATE_INVALID: return "invalid";
	}
	return "invalid";
}

static bool mrz_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<';
}

/* n characters of src into dst, trailing fillers removed. */
static void mrz_copy(char *dst, size_t dst_size, const char *src, size_t n)
{
	while (n > 0 && src[n - 1] == '<')
		n--;
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A name field's part: trailing fillers removed, inner fillers to spaces. */
static void mrz_copy_name(char *dst, size_t dst_size, const char *src, size_t n)
{
	mrz_copy(dst, dst_size, src, n);
	for (char *c = dst; *c; c++)
		if (*c == '<')
			*c = ' ';
}

static void mrz_split_name(lds_mrz *m, const char *name, size_t n)
{
	size_t sep = n;
	for (size_t i = 0; i + 1 < n; i++) {
		if (name[i] == '<' && name[i + 1] == '<') {
			sep = i;
			break;
		}
	}
	mrz_copy_name(m->primary_identifier, sizeof m->primary_identifier, name, sep);
	if (sep + 2 <= n)
		mrz_copy_name(m->secondary_identifier, sizeof m->secondary_identifier,
		              name + sep + 2, n - sep - 2);
	else
		m->secondary_identifier[0] = '\0';
}

static char digit_of(const char *s, size_t n)
{
	int d = icao_check_digit(s, n);
	return d < 0 ? '?' : (char)('0' + d);
}

static lds_check mrz_check(const char *field, size_t n, char found)
{
	lds_check c = { .found = found, .expected = digit_of(field, n) };
	c.ok = c.found == c.expected;
	return c;
}

/*
 * Document number of TD1 (line 1, 6-15) and TD2 (line 2, 1-10). A number
 * longer than nine characters has '<' in place of its check digit and goes
 * on in the optional data, ended by its check digit and a filler (ICAO 9303
 * part 5, 4.2.4 note j; part 6, 4.2.4). The rest of the optional data stays
 * optional data.
 */
static void mrz_number_td12(lds_mrz *m, const char *num9, char check,
                            const char *opt, size_t opt_len)
{
	size_t k = 0;
	if (check == '<' && opt_len > 0 && opt[0] != '<') {
		while (k < opt_len && opt[k] != '<')
			k++;
	}
	if (k == 0) {
		mrz_copy(m->document_number, sizeof m->document_number, num9, 9);
		m->check_number = mrz_check(num9, 9, check);
		mrz_copy(m->optional_data, sizeof m->optional_data, opt, opt_len);
		return;
	}
	char full[9 + 15];
	memcpy(full, num9, 9);
	memcpy(full + 9, opt, k - 1);
	mrz_copy(m->document_number, sizeof m->document_number, full, 9 + k - 1);
	m->check_number = mrz_check(full, 9 + k - 1, opt[k - 1]);
	if (k + 1 < opt_len)   /* after the filler that ends the number */
		mrz_copy(m->optional_data, sizeof m->optional_data, opt + k + 1, opt_len - k - 1);
	else
		m->optional_data[0] = '\0';
}

static void mrz_fields(lds_mrz *m)
{
	char comp[64];
	size_t n = 0;
	if (m->format == LDS_MRZ_TD1) {
		const char *l1 = m->lines[0], *l2 = m->lines[1], *l3 = m->lines[2];
		mrz_copy(m->document_code, sizeof m->document_code, l1, 2);
		mrz_copy(m->issuing_state, sizeof m->issuing_state, l1 + 2, 3);
		mrz_number_td12(m, l1 + 5, l1[14], l1 + 15, 15);
		mrz_copy(m->birth_date, sizeof m->birth_date, l2, 6);
		m->birth_date_status = lds_date_check(l2, 6);
		m->check_birth = mrz_check(l2, 6, l2[6]);
		m->sex = l2[7];
		mrz_copy(m->expiry_date, sizeof m->expiry_date, l2 + 8, 6);
		m->expiry_date_status = lds_date_check(l2 + 8, 6);
		m->check_expiry = mrz_check(l2 + 8, 6, l2[14]);
		mrz_copy(m->nationality, sizeof m->nationality, l2 + 15, 3);
		mrz_copy(m->optional_data2, sizeof m->optional_data2, l2 + 18, 11);
		memcpy(comp + n, l1 + 5, 25); n += 25;
		memcpy(comp + n, l2, 7); n += 7;
		memcpy(comp + n, l2 + 8, 7); n += 7;
		memcpy(comp + n, l2 + 18, 11); n += 11;
		m->check_composite = mrz_check(comp, n, l2[29]);
		mrz_split_name(m, l3, 30);
		m->has_optional = false;
		return;
	}
	/* TD2 and TD3 share the layout of line 2 up to the optional data. */
	const char *l1 = m->lines[0], *l2 = m->lines[1];
	size_t w = m->line_len;
	mrz_copy(m->document_code, sizeof m->document_code, l1, 2);
	mrz_copy(m->issuing_state, sizeof m->issuing_state, l1 + 2, 3);
	mrz_split_name(m, l1 + 5, w - 5);
	mrz_copy(m->nationality, sizeof m->nationality, l2 + 10, 3);
	mrz_copy(m->birth_date, sizeof m->birth_date, l2 + 13, 6);
	m->birth_date_status = lds_date_check(l2 + 13, 6);
	m->check_birth = mrz_check(l2 + 13, 6, l2[19]);
	m->sex = l2[20];
	mrz_copy(m->expiry_date, sizeof m->expiry_date, l2 + 21, 6);
	m->expiry_date_status = lds_date_check(l2 + 21, 6);
	m->check_expiry = mrz_check(l2 + 21, 6, l2[27]);
	m->optional_data2[0] = '\0';
	if (m->format == LDS_MRZ_TD3) {
		mrz_copy(m->document_number, sizeof m->document_number, l2, 9);
		m->check_number = mrz_check(l2, 9, l2[9]);
		mrz_copy(m->optional_data, sizeof m->optional_data, l2 + 28, 14);
		m->check_optional = mrz_check(l2 + 28, 14, l2[42]);
		/* An unused personal number may have '<' as its check digit. */
		if (l2[42] == '<' && all_fillers(l2 + 28, 14))
			m->check_optional.ok = true;
		m->has_optional = true;
	} else {
		mrz_number_td12(m, l2, l2[9], l2 + 28, 7);
		m->has_optional = false;
	}
	memcpy(comp + n, l2, 10); n += 10;
	memcpy(comp + n, l2 + 13, 7); n += 7;
	memcpy(comp + n, l2 + 21, w - 22); n += w - 22;
	m->check_composite = mrz_check(comp, n, l2[w - 1]);
}

/* chars[0..total) holds the MRZ's lines run together; n_lines of them when
 * the caller knows the breaks, 0 when it does not. */
static lds_err mrz_build(const char *chars, size_t total, size_t n_lines, lds_mrz *ret)
{
	lds_mrz m = { 0 };
	switch (total) {
	case 90: m.format = LDS_MRZ_TD1; m.n_lines = 3; m.line_len = 30; break;
	case 72: m.format = LDS_MRZ_TD2; m.n_lines = 2; m.line_len = 36; break;
	case 88: m.format = LDS_MRZ_TD3; m.n_lines = 2; m.line_len = 44; break;
	default: return LDS_ERR_MRZ_LENGTH;
	}
	if (n_lines != 0 && n_lines != m.n_lines)
		return LDS_ERR_MRZ_LENGTH;
	for (size_t i = 0; i < total; i++)
		if (!mrz_char_ok(chars[i]))
			return LDS_ERR_MRZ_CHARSET;
	for (size_t i = 0; i < m.n_lines; i++) {
		memcpy(m.lines[i], chars + i * m.line_len, m.line_len);
		m.lines[i][m.line_len] = '\0';
	}
	mrz_fields(&m);
	*ret = m;
	return LDS_OK;
}

lds_err lds_dg1_parse(const uint8_t *data, size_t len, lds_mrz *ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	tlv outer, t;
	lds_err e = unwrap(data, len, LDS_FILE_DG1, &outer);
	if (e != LDS_OK)
		return e;
	e = check_children(outer.value, outer.len);
	if (e != LDS_OK)
		return e;
	if (tlv_find(outer.value, outer.len, 0x5F1F, &t) != TLV_OK)
		return LDS_ERR_MISSING;
	if (t.len != 90 && t.len != 72 && t.len != 88)
		return LDS_ERR_MRZ_LENGTH;
	return mrz_build((const char *)t.value, t.len, 0, ret);
}

lds_err lds_mrz_parse_text(const char *text, lds_mrz *ret)
{
	if (!text || !ret)
		return LDS_ERR_ARG;
	char chars[90];
	size_t total = 0, n_lines = 0, line_len = 0, first_len = 0;
	bool breaks = false, uneven = false;
	for (const char *c = text;; c++) {
		if (*c == '\n' || *c == '\r' || *c == '\0') {
			if (line_len > 0) {
				if (n_lines == 0)
					first_len = line_len;
				else if (line_len != first_len)
					uneven = true;
				n_lines++;
				line_len = 0;
			}
			if (*c == '\0')
				break;
			breaks = true;
			continue;
		}
		if (*c == ' ' || *c == '\t')
			continue;
		if (total == sizeof chars)
			return LDS_ERR_MRZ_LENGTH;
		chars[total++] = (char)toupper((unsigned char)*c);
		line_len++;
	}
	if (uneven)
		return LDS_ERR_MRZ_LENGTH;
	lds_mrz m;
	lds_err e = mrz_build(chars, total, breaks && n_lines > 1 ? n_lines : 0, &m);
	if (e != LDS_OK)
		return e;
	if (m.birth_date_status != LDS_DATE_VALID)
		return LDS_ERR_MRZ_BIRTH_DATE;
	if (m.expiry_date_status != LDS_DATE_VALID)
		return LDS_ERR_MRZ_EXPIRY_DATE;
	if (!m.check_number.ok)
		return LDS_ERR_MRZ_CHECK_NUMBER;
	if (!m.check_birth.ok)
		return LDS_ERR_MRZ_CHECK_BIRTH;
	if (!m.check_expiry.ok)
		return LDS_ERR_MRZ_CHECK_EXPIRY;
	if (m.has_optional && !m.check_optional.ok)
		return LDS_ERR_MRZ_CHECK_OPTIONAL;
	if (!m.check_composite.ok)
		return LDS_ERR_MRZ_CHECK_COMPOSITE;
	*ret = m;
	return LDS_OK;
}

bool lds_mrz_checks_ok(const lds_mrz *m)
{
	return m->check_number.ok && m->check_birth.ok && m->check_expiry.ok &&
	       (!m->has_optional || m->check_optional.ok) && m->check_composite.ok;
}

/* ---- DG2 -------------------------------------------------------------- */

enum {
	FAC_HEADER_LEN = 14,        /* 'FAC\0', '010\0', length (4), count (2) */
	FAC_FACE_HEADER_LEN = 20,   /* block length ... pose uncertainties */
	FAC_POINT_LEN = 8,
	FAC_IMAGE_INFO_LEN = 12,
};

static lds_err parse_face(const uint8_t *p, size_t block_len, lds_face *f)
{
	size_t n_points = be_uint(p + 4, 2);
	if (block_len < FAC_FACE_HEADER_LEN + FAC_IMAGE_INFO_LEN ||
	    n_points > (block_len - FAC_FACE_HEADER_LEN - FAC_IMAGE_INFO_LEN) / FAC_POINT_LEN)
		return LDS_ERR_LENGTH;
	f->gender = p[6];
	f->eye_colour = p[7];
	f->hair_colour = p[8];
	f->feature_mask = be_uint(p + 9, 3);
	f->expression = (uint16_t)be_uint(p + 12, 2);
	memcpy(f->pose_angle, p + 14, 3);
	memcpy(f->pose_uncertainty, p + 17, 3);
	const uint8_t *q = p + FAC_FACE_HEADER_LEN;
	if (n_points > 0) {
		f->points = calloc(n_points, sizeof *f->points);
		if (!f->points)
			return LDS_ERR_NOMEM;
		f->n_points = n_points;
		for (size_t i = 0; i < n_points; i++, q += FAC_POINT_LEN) {
			f->points[i].type = q[0];
			f->points[i].major = q[1] >> 4;
			f->points[i].minor = q[1] & 0x0F;
			f->points[i].x = (uint16_t)be_uint(q + 2, 2);
			f->points[i].y = (uint16_t)be_uint(q + 4, 2);
		}
	}
	f->face_image_type = q[0];
	f->image_data_type = q[1];
	f->width = (uint16_t)be_uint(q + 2, 2);
	f->height = (uint16_t)be_uint(q + 4, 2);
	f->colour_space = q[6];
	f->source_type = q[7];
	f->device_type = (uint16_t)be_uint(q + 8, 2);
	f->quality = (uint16_t)be_uint(q + 10, 2);
	q += FAC_IMAGE_INFO_LEN;
	f->image = q;
	f->image_len = block_len - (size_t)(q - p);
	if (f->image_len == 0)
		return LDS_ERR_MISSING;
	return LDS_OK;
}

/* An ISO/IEC 19794-5:2005 facial record filling bdb[0..len). */
static lds_err parse_face_record(const uint8_t *bdb, size_t len, lds_bit *bit)
{
	if (len < FAC_HEADER_LEN)
		return len >= 4 && memcmp(bdb, "FAC\0", 4) != 0 ?
		       LDS_ERR_FACE_RECORD : LDS_ERR_TRUNCATED;
	if (memcmp(bdb, "FAC\0", 4) != 0)
		return LDS_ERR_FACE_RECORD;
	if (memcmp(bdb + 4, "010\0", 4) != 0)
		return LDS_ERR_UNSUPPORTED;
	size_t rec_len = be_uint(bdb + 8, 4);
	size_t n_faces = be_uint(bdb + 12, 2);
	if (rec_len != len)
		return rec_len > len ? LDS_ERR_TRUNCATED : LDS_ERR_LENGTH;
	if (n_faces == 0)
		return LDS_ERR_MISSING;
	if (n_faces > (len - FAC_HEADER_LEN) / (FAC_FACE_HEADER_LEN + FAC_IMAGE_INFO_LEN))
		return LDS_ERR_COUNT;
	bit->faces = calloc(n_faces, sizeof *bit->faces);
	if (!bit->faces)
		return LDS_ERR_NOMEM;
	bit->n_faces = n_faces;
	size_t pos = FAC_HEADER_LEN;
	for (size_t i = 0; i < n_faces; i++) {
		if (len - pos < FAC_FACE_HEADER_LEN)
			return LDS_ERR_TRUNCATED;
		size_t block_len = be_uint(bdb + pos, 4);
		if (block_len > len - pos)
			return LDS_ERR_TRUNCATED;
		lds_err e = parse_face(bdb + pos, block_len, &bit->faces[i]);
		if (e != LDS_OK)
			return e;
		pos += block_len;
	}
	return pos == len ? LDS_OK : LDS_ERR_LENGTH;
}

static lds_err parse_bio_header(const tlv *a1, lds_bio_header *h)
{
	const uint8_t *p = a1->value, *end = a1->value + a1->len;
	tlv t;
	tlv_status s;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		uint32_t v = 0;
		lds_err e = LDS_OK;
		switch (t.tag) {
		case 0x80:
			e = tlv_uint(&t, 2, &v);
			h->version = (uint16_t)v;
			h->has_version = true;
			break;
		case 0x81:
			e = tlv_uint(&t, 3, &v);
			h->type = v;
			h->has_type = true;
			break;
		case 0x82:
			e = tlv_uint(&t, 1, &v);
			h->subtype = (uint8_t)v;
			h->has_subtype = true;
			break;
		case 0x83:
			h->creation_date = t.value;
			h->creation_date_len = t.len;
			break;
		case 0x86:
			h->creator = t.value;
			h->creator_len = t.len;
			break;
		case 0x87:
			e = tlv_uint(&t, 2, &v);
			h->format_owner = (uint16_t)v;
			h->has_format_owner = true;
			break;
		case 0x88:
			e = tlv_uint(&t, 2, &v);
			h->format_type = (uint16_t)v;
			h->has_format_type = true;
			break;
		default:
			break; /* validity period (85) and others: not needed */
		}
		if (e != LDS_OK)
			return e;
	}
	return s == TLV_END ? LDS_OK : from_tlv(s);
}

static lds_err parse_bit(const tlv *t7f60, lds_bit *bit)
{
	const uint8_t *p = t7f60->value, *end = t7f60->value + t7f60->len;
	bool have_header = false, have_bdb = false;
	tlv t;
	tlv_status s;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		lds_err e;
		if (t.tag == 0xA1 && !have_header) {
			e = parse_bio_header(&t, &bit->header);
			have_header = true;
		} else if ((t.tag == 0x5F2E || t.tag == 0x7F2E) && !have_bdb) {
			bit->bdb = t.value;
			bit->bdb_len = t.len;
			e = parse_face_record(t.value, t.len, bit);
			have_bdb = true;
		} else {
			e = LDS_ERR_TAG;
		}
		if (e != LDS_OK)
			return e;
	}
	if (s != TLV_END)
		return from_tlv(s);
	return have_header && have_bdb ? LDS_OK : LDS_ERR_MISSING;
}

void lds_dg2_free(lds_dg2 *dg2)
{
	if (!dg2)
		return;
	for (size_t i = 0; i < dg2->n_bits; i++) {
		lds_bit *b = &dg2->bits[i];
		for (size_t j = 0; j < b->n_faces; j++)
			free(b->faces[j].points);
		free(b->faces);
	}
	free(dg2->bits);
	free(dg2->data);
	free(dg2);
}

lds_err lds_dg2_parse(const uint8_t *data, size_t len, lds_dg2 **ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	tlv outer, group, t;
	lds_err e = unwrap(data, len, LDS_FILE_DG2, &outer);
	if (e != LDS_OK)
		return e;
	e = check_children(outer.value, outer.len);
	if (e != LDS_OK)
		return e;
	lds_dg2 *dg2 = calloc(1, sizeof *dg2);
	if (!dg2)
		return LDS_ERR_NOMEM;
	/* Parse a private copy so the result's pointers live as long as it. */
	dg2->len = outer.raw_len;
	dg2->data = malloc(dg2->len);
	if (!dg2->data) {
		e = LDS_ERR_NOMEM;
		goto out_free;
	}
	memcpy(dg2->data, outer.raw, dg2->len);
	e = first_object(dg2->data, dg2->len, &outer);
	if (e != LDS_OK)
		goto out_free;
	if (tlv_find(outer.value, outer.len, 0x7F61, &group) != TLV_OK) {
		e = LDS_ERR_MISSING;
		goto out_free;
	}

	/* Biometric information group template: 02 count, then count BITs. */
	const uint8_t *p = group.value, *end = group.value + group.len;
	tlv_status s = tlv_next(&p, end, &t);
	if (s != TLV_OK) {
		e = s == TLV_END ? LDS_ERR_MISSING : from_tlv(s);
		goto out_free;
	}
	uint32_t count;
	if (t.tag != 0x02) {
		e = LDS_ERR_MISSING;
		goto out_free;
	}
	e = tlv_uint(&t, 2, &count);
	if (e != LDS_OK)
		goto out_free;
	const uint8_t *first_bit = p;
	size_t n = 0;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		if (t.tag != 0x7F60) {
			e = LDS_ERR_TAG;
			goto out_free;
		}
		n++;
	}
	if (s != TLV_END) {
		e = from_tlv(s);
		goto out_free;
	}
	if (n == 0) {
		e = LDS_ERR_MISSING;
		goto out_free;
	}
	if (n != count) {
		e = LDS_ERR_COUNT;
		goto out_free;
	}
	dg2->bits = calloc(n, sizeof *dg2->bits);
	if (!dg2->bits) {
		e = LDS_ERR_NOMEM;
		goto out_free;
	}
	dg2->n_bits = n;
	p = first_bit;
	for (size_t i = 0; i < n; i++) {
		tlv_next(&p, end, &t);
		e = parse_bit(&t, &dg2->bits[i]);
		if (e != LDS_OK)
			goto out_free;
	}
	*ret = dg2;
	return LDS_OK;

out_free:
	lds_dg2_free(dg2);
	return e;
}

const lds_face *lds_dg2_face(const lds_dg2 *dg2)
{
	if (!dg2 || dg2->n_bits == 0 || dg2->bits[0].n_faces == 0)
		return NULL;
	return &dg2->bits[0].faces[0];
}

/* ---- DG11 and DG12 ---------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t k;
	uint32_t min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		k = 2; min = 0x80; cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 3; min = 0x800; cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 4; min = 0x10000; cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

/* A text element as a NUL-terminated UTF-8 string. ICAO 9303 asks for
 * UTF-8; older chips wrote Latin-1, which is converted. Trailing NULs are
 * padding; a NUL inside the text is refused. */
static lds_err dup_text(const uint8_t *v, size_t n, char **ret)
{
	while (n > 0 && v[n - 1] == 0)
		n--;
	bool utf8 = true;
	for (size_t i = 0; i < n;) {
		if (v[i] == 0)
			return LDS_ERR_VALUE;
		size_t k = utf8_seq(v + i, n - i);
		if (k == 0) {
			utf8 = false;
			k = 1;
		}
		i += k;
	}
	char *s = malloc(utf8 ? n + 1 : 2 * n + 1);
	if (!s)
		return LDS_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (utf8 || v[i] < 0x80) {
			s[o++] = (char)v[i];
		} else {
			s[o++] = (char)(0xC0 | (v[i] >> 6));
			s[o++] = (char)(0x80 | (v[i] & 0x3F));
		}
	}
	s[o] = '\0';
	*ret = s;
	return LDS_OK;
}

/* A date (digits) written as text or as packed BCD of bcd_len bytes. */
static lds_err dup_date(const uint8_t *v, size_t n, size_t bcd_len, char **ret)
{
	if (n != bcd_len) {
		if (!all_digits(v, n))
			return LDS_ERR_VALUE;
		return dup_text(v, n, ret);
	}
	char *s = malloc(2 * n + 1);
	if (!s)
		return LDS_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((v[i] >> 4) > 9 || (v[i] & 0x0F) > 9) {
			free(s);
			return LDS_ERR_VALUE;
		}
		s[2 * i] = (char)('0' + (v[i] >> 4));
		s[2 * i + 1] = (char)('0' + (v[i] & 0x0F));
	}
	s[2 * n] = '\0';
	*ret = s;
	return LDS_OK;
}

static lds_err dup_bytes(const uint8_t *v, size_t n, uint8_t **ret, size_t *ret_len)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return LDS_ERR_NOMEM;
	memcpy(b, v, n);
	*ret = b;
	*ret_len = n;
	return LDS_OK;
}

static lds_err add_text(char ***list, size_t *n, const tlv *t)
{
	char **l = realloc(*list, (*n + 1) * sizeof *l);
	if (!l)
		return LDS_ERR_NOMEM;
	*list = l;
	lds_err e = dup_text(t->value, t->len, &l[*n]);
	if (e == LDS_OK)
		(*n)++;
	return e;
}

/* A0 { 02 count, count × name_tag }: names appended to *list. */
static lds_err parse_name_list(const tlv *a0, uint32_t name_tag, char ***list, size_t *n)
{
	const uint8_t *p = a0->value, *end = a0->value + a0->len;
	tlv t;
	tlv_status s;
	uint32_t count = 0;
	bool have_count = false;
	size_t found = 0;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		lds_err e;
		if (t.tag == 0x02 && !have_count) {
			e = tlv_uint(&t, 2, &count);
			have_count = true;
		} else if (t.tag == name_tag) {
			e = add_text(list, n, &t);
			found++;
		} else {
			e = LDS_ERR_TAG;
		}
		if (e != LDS_OK)
			return e;
	}
	if (s != TLV_END)
		return from_tlv(s);
	if (!have_count)
		return LDS_ERR_MISSING;
	return found == count ? LDS_OK : LDS_ERR_COUNT;
}

/* The value of DG11 or DG12 after checking its tag list (5C) leads. */
static lds_err open_details(const uint8_t *data, size_t len, lds_file f, tlv *ret)
{
	tlv outer, t;
	lds_err e = unwrap(data, len, f, &outer);
	if (e != LDS_OK)
		return e;
	e = check_children(outer.value, outer.len);
	if (e != LDS_OK)
		return e;
	const uint8_t *p = outer.value;
	if (tlv_next(&p, outer.value + outer.len, &t) != TLV_OK || t.tag != 0x5C)
		return LDS_ERR_MISSING;
	*ret = outer;
	return LDS_OK;
}

static lds_err set_text(char **field, const tlv *t)
{
	return *field ? LDS_ERR_TAG : dup_text(t->value, t->len, field);
}

static lds_err set_date(char **field, const tlv *t, size_t bcd_len)
{
	return *field ? LDS_ERR_TAG : dup_date(t->value, t->len, bcd_len, field);
}

static lds_err set_bytes(uint8_t **field, size_t *field_len, const tlv *t)
{
	return *field ? LDS_ERR_TAG : dup_bytes(t->value, t->len, field, field_len);
}

void lds_dg11_free(lds_dg11 *d)
{
	if (!d)
		return;
	free(d->full_name);
	for (size_t i = 0; i < d->n_other_names; i++)
		free(d->other_names[i]);
	free(d->other_names);
	free(d->personal_number);
	free(d->full_birth_date);
	free(d->place_of_birth);
	free(d->address);
	free(d->telephone);
	free(d->profession);
	free(d->title);
	free(d->personal_summary);
	free(d->proof_of_citizenship);
	free(d->other_td_numbers);
	free(d->custody_information);
	free(d);
}

lds_err lds_dg11_parse(const uint8_t *data, size_t len, lds_dg11 **ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	tlv outer, t;
	lds_err e = open_details(data, len, LDS_FILE_DG11, &outer);
	if (e != LDS_OK)
		return e;
	lds_dg11 *d = calloc(1, sizeof *d);
	if (!d)
		return LDS_ERR_NOMEM;
	const uint8_t *p = outer.value, *end = outer.value + outer.len;
	while (e == LDS_OK && tlv_next(&p, end, &t) == TLV_OK) {
		switch (t.tag) {
		case 0x5C: break;
		case 0x5F0E: e = set_text(&d->full_name, &t); break;
		case 0xA0: e = parse_name_list(&t, 0x5F0F, &d->other_names, &d->n_other_names); break;
		case 0x5F0F: e = add_text(&d->other_names, &d->n_other_names, &t); break;
		case 0x5F10: e = set_text(&d->personal_number, &t); break;
		case 0x5F2B: e = set_date(&d->full_birth_date, &t, 4); break;
		case 0x5F11: e = set_text(&d->place_of_birth, &t); break;
		case 0x5F42: e = set_text(&d->address, &t); break;
		case 0x5F12: e = set_text(&d->telephone, &t); break;
		case 0x5F13: e = set_text(&d->profession, &t); break;
		case 0x5F14: e = set_text(&d->title, &t); break;
		case 0x5F15: e = set_text(&d->personal_summary, &t); break;
		case 0x5F16:
			e = set_bytes(&d->proof_of_citizenship, &d->proof_of_citizenship_len, &t);
			break;
		case 0x5F17: e = set_text(&d->other_td_numbers, &t); break;
		case 0x5F18: e = set_text(&d->custody_information, &t); break;
		default: break; /* elements of later LDS versions */
		}
	}
	if (e != LDS_OK) {
		lds_dg11_free(d);
		return e;
	}
	*ret = d;
	return LDS_OK;
}

void lds_dg12_free(lds_dg12 *d)
{
	if (!d)
		return;
	free(d->issuing_authority);
	free(d->issue_date);
	for (size_t i = 0; i < d->n_other_persons; i++)
		free(d->other_persons[i]);
	free(d->other_persons);
	free(d->endorsements);
	free(d->tax_exit_requirements);
	free(d->front_image);
	free(d->rear_image);
	free(d->personalisation_time);
	free(d->personalisation_serial);
	free(d);
}

lds_err lds_dg12_parse(const uint8_t *data, size_t len, lds_dg12 **ret)
{
	if (!ret)
		return LDS_ERR_ARG;
	tlv outer, t;
	lds_err e = open_details(data, len, LDS_FILE_DG12, &outer);
	if (e != LDS_OK)
		return e;
	lds_dg12 *d = calloc(1, sizeof *d);
	if (!d)
		return LDS_ERR_NOMEM;
	const uint8_t *p = outer.value, *end = outer.value + outer.len;
	while (e == LDS_OK && tlv_next(&p, end, &t) == TLV_OK) {
		switch (t.tag) {
		case 0x5C: break;
		case 0x5F19: e = set_text(&d->issuing_authority, &t); break;
		case 0x5F26: e = set_date(&d->issue_date, &t, 4); break;
		case 0xA0: e = parse_name_list(&t, 0x5F1A, &d->other_persons, &d->n_other_persons); break;
		case 0x5F1A: e = add_text(&d->other_persons, &d->n_other_persons, &t); break;
		case 0x5F1B: e = set_text(&d->endorsements, &t); break;
		case 0x5F1C: e = set_text(&d->tax_exit_requirements, &t); break;
		case 0x5F1D: e = set_bytes(&d->front_image, &d->front_image_len, &t); break;
		case 0x5F1E: e = set_bytes(&d->rear_image, &d->rear_image_len, &t); break;
		case 0x5F55: e = set_date(&d->personalisation_time, &t, 7); break;
		case 0x5F56: e = set_text(&d->personalisation_serial, &t); break;
		default: break;
		}
	}
	if (e != LDS_OK) {
		lds_dg12_free(d);
		return e;
	}
	*ret = d;
	return LDS_OK;
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
	tlv outer, spki;
	lds_err e = unwrap(data, len, LDS_FILE_DG15, &outer);
	if (e != LDS_OK)
		return e;
	e = only_object(outer.value, outer.len, &spki);
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
	e = dup_bytes(spki.raw, spki.raw_len, &d->der, &d->der_len);
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
	tlv outer, cms;
	lds_err e = unwrap(data, len, LDS_FILE_SOD, &outer);
	if (e != LDS_OK)
		return e;
	/* ContentInfo is a SEQUENCE filling the value. */
	e = only_object(outer.value, outer.len, &cms);
	if (e != LDS_OK)
		return e;
	if (cms.tag != 0x30)
		return LDS_ERR_TAG;
	*ret_cms = outer.value;
	*ret_cms_len = outer.len;
	return LDS_OK;
}
