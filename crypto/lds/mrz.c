/*
 * mrz — the machine readable zone (ICAO 9303 parts 3 to 5): its text
 * typed or scanned by an operator (lds_mrz_parse_text), the same read from
 * DG1 (lds_dg1_parse), the fields of TD1, TD2 and TD3 with their check
 * digits, and the one check of a YYMMDD date (lds_date_check) that the
 * MRZ, DG1 and appm's --birth-date/--expiry-date all go through.
 */
#include "crypto/lds/lds.h"

#include <ctype.h>
#include <string.h>

#include "crypto/icao.h"
#include "crypto/lds/lds-internal.h"
#include "crypto/tlv.h"

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
	crypto_tlv outer, t;
	lds_err e = lds_unwrap_checked(data, len, LDS_FILE_DG1, &outer);
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
