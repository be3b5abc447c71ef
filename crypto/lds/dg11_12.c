/*
 * dg11_12 — DG11 (additional personal details) and DG12 (additional
 * document details), ICAO 9303 part 10, 4.7.11 and 4.7.12: a tag list
 * (5C), then optional elements of text (UTF-8, or Latin-1 from older
 * chips), dates (digits or BCD), images and lists of names.
 *
 * Both are one parse: a table per data group says which tag fills which
 * member of its result and how the element is read (detail_field), and
 * details_parse / details_free walk the table. A new element is a row.
 */
#include "crypto/lds/lds.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/lds/lds-internal.h"
#include "crypto/tlv.h"

/* ---- Reading elements ------------------------------------------------- */

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
		if (!lds_all_digits(v, n))
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

static lds_err add_text(char ***list, size_t *n, const crypto_tlv *t)
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
static lds_err parse_name_list(const crypto_tlv *a0, uint32_t name_tag, char ***list, size_t *n)
{
	const uint8_t *p = a0->value, *end = a0->value + a0->len;
	crypto_tlv t;
	tlv_status s;
	uint32_t count = 0;
	bool have_count = false;
	size_t found = 0;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		lds_err e;
		if (t.tag == 0x02 && !have_count) {
			e = lds_tlv_uint(&t, 2, &count);
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
		return lds_tlv_err(s);
	if (!have_count)
		return LDS_ERR_MISSING;
	return found == count ? LDS_OK : LDS_ERR_COUNT;
}

/* The value of DG11 or DG12 after checking its tag list (5C) leads. */
static lds_err open_details(const uint8_t *data, size_t len, lds_file f, crypto_tlv *ret)
{
	crypto_tlv outer, t;
	lds_err e = lds_unwrap_checked(data, len, f, &outer);
	if (e != LDS_OK)
		return e;
	const uint8_t *p = outer.value;
	if (tlv_next(&p, outer.value + outer.len, &t) != TLV_OK || t.tag != 0x5C)
		return LDS_ERR_MISSING;
	*ret = outer;
	return LDS_OK;
}

/* ---- The tables -------------------------------------------------------- */

typedef enum detail_kind {
	DETAIL_TEXT,    /* char *, dup_text */
	DETAIL_DATE,    /* char *, digits as text or packed BCD of bcd_len bytes */
	DETAIL_BYTES,   /* uint8_t * and its size_t length, as stored */
	DETAIL_NAMES,   /* char ** and its size_t count: elements of this tag, bare
	                 * or in an A0 template that gives their count */
} detail_kind;

/* One element of a data group: where its value goes in the result. */
typedef struct detail_field {
	uint32_t tag;
	detail_kind kind;
	size_t at;        /* offsetof the member */
	size_t len_at;    /* DETAIL_BYTES, DETAIL_NAMES: offsetof the length or count */
	size_t bcd_len;   /* DETAIL_DATE */
} detail_field;

typedef struct detail_layout {
	lds_file file;
	size_t size;                 /* of the result */
	const detail_field *fields;
	size_t n_fields;
} detail_layout;

#define TEXT(type, tag, member) { tag, DETAIL_TEXT, offsetof(type, member), 0, 0 }
#define DATE(type, tag, member, bcd_len) { tag, DETAIL_DATE, offsetof(type, member), 0, bcd_len }
#define BYTES(type, tag, member) { tag, DETAIL_BYTES, offsetof(type, member), offsetof(type, member##_len), 0 }
#define NAMES(type, tag, member, count) { tag, DETAIL_NAMES, offsetof(type, member), offsetof(type, count), 0 }

static const detail_field dg11_fields[] = {
	TEXT(lds_dg11, 0x5F0E, full_name),
	NAMES(lds_dg11, 0x5F0F, other_names, n_other_names),
	TEXT(lds_dg11, 0x5F10, personal_number),
	DATE(lds_dg11, 0x5F2B, full_birth_date, 4),
	TEXT(lds_dg11, 0x5F11, place_of_birth),
	TEXT(lds_dg11, 0x5F42, address),
	TEXT(lds_dg11, 0x5F12, telephone),
	TEXT(lds_dg11, 0x5F13, profession),
	TEXT(lds_dg11, 0x5F14, title),
	TEXT(lds_dg11, 0x5F15, personal_summary),
	BYTES(lds_dg11, 0x5F16, proof_of_citizenship),
	TEXT(lds_dg11, 0x5F17, other_td_numbers),
	TEXT(lds_dg11, 0x5F18, custody_information),
};

static const detail_field dg12_fields[] = {
	TEXT(lds_dg12, 0x5F19, issuing_authority),
	DATE(lds_dg12, 0x5F26, issue_date, 4),
	NAMES(lds_dg12, 0x5F1A, other_persons, n_other_persons),
	TEXT(lds_dg12, 0x5F1B, endorsements),
	TEXT(lds_dg12, 0x5F1C, tax_exit_requirements),
	BYTES(lds_dg12, 0x5F1D, front_image),
	BYTES(lds_dg12, 0x5F1E, rear_image),
	DATE(lds_dg12, 0x5F55, personalisation_time, 7),
	TEXT(lds_dg12, 0x5F56, personalisation_serial),
};

static const detail_layout dg11_layout = {
	LDS_FILE_DG11, sizeof(lds_dg11), dg11_fields, sizeof dg11_fields / sizeof dg11_fields[0],
};

static const detail_layout dg12_layout = {
	LDS_FILE_DG12, sizeof(lds_dg12), dg12_fields, sizeof dg12_fields / sizeof dg12_fields[0],
};

/* ---- The parse -------------------------------------------------------- */

/* The row for an element of tag `tag`; an A0 template goes to the list of
 * names. NULL for the tag list (5C) and elements of later LDS versions,
 * which are skipped. */
static const detail_field *find_field(const detail_layout *l, uint32_t tag)
{
	for (size_t i = 0; i < l->n_fields; i++) {
		const detail_field *f = &l->fields[i];
		if (f->tag == tag || (tag == 0xA0 && f->kind == DETAIL_NAMES))
			return f;
	}
	return NULL;
}

/* The member at offset `at` of the result d. */
static void *member(void *d, size_t at)
{
	return (unsigned char *)d + at;
}

/* A member already set means the element came twice: LDS_ERR_TAG. */
static lds_err set_field(void *d, const detail_field *f, const crypto_tlv *t)
{
	char **text = member(d, f->at);
	uint8_t **bytes = member(d, f->at);
	switch (f->kind) {
	case DETAIL_TEXT:
		return *text ? LDS_ERR_TAG : dup_text(t->value, t->len, text);
	case DETAIL_DATE:
		return *text ? LDS_ERR_TAG : dup_date(t->value, t->len, f->bcd_len, text);
	case DETAIL_BYTES:
		return *bytes ? LDS_ERR_TAG : lds_dup_bytes(t->value, t->len, bytes, member(d, f->len_at));
	case DETAIL_NAMES:
		if (t->tag == 0xA0)
			return parse_name_list(t, f->tag, member(d, f->at), member(d, f->len_at));
		return add_text(member(d, f->at), member(d, f->len_at), t);
	}
	return LDS_ERR_ARG;
}

static void details_free(void *d, const detail_layout *l)
{
	if (!d)
		return;
	for (size_t i = 0; i < l->n_fields; i++) {
		const detail_field *f = &l->fields[i];
		switch (f->kind) {
		case DETAIL_TEXT:
		case DETAIL_DATE:
			free(*(char **)member(d, f->at));
			break;
		case DETAIL_BYTES:
			free(*(uint8_t **)member(d, f->at));
			break;
		case DETAIL_NAMES: {
			char **names = *(char ***)member(d, f->at);
			size_t n = *(size_t *)member(d, f->len_at);
			for (size_t j = 0; j < n; j++)
				free(names[j]);
			free(names);
			break;
		}
		}
	}
	free(d);
}

static lds_err details_parse(const uint8_t *data, size_t len, const detail_layout *l, void **ret)
{
	crypto_tlv outer, t;
	lds_err e = open_details(data, len, l->file, &outer);
	if (e != LDS_OK)
		return e;
	void *d = calloc(1, l->size);
	if (!d)
		return LDS_ERR_NOMEM;
	const uint8_t *p = outer.value, *end = outer.value + outer.len;
	while (e == LDS_OK && tlv_next(&p, end, &t) == TLV_OK) {
		const detail_field *f = find_field(l, t.tag);
		if (f)
			e = set_field(d, f, &t);
	}
	if (e != LDS_OK) {
		details_free(d, l);
		return e;
	}
	*ret = d;
	return LDS_OK;
}

/* ---- DG11 and DG12 ---------------------------------------------------- */

lds_err lds_dg11_parse(const uint8_t *data, size_t len, lds_dg11 **ret)
{
	void *d;
	if (!ret)
		return LDS_ERR_ARG;
	lds_err e = details_parse(data, len, &dg11_layout, &d);
	if (e == LDS_OK)
		*ret = d;
	return e;
}

void lds_dg11_free(lds_dg11 *dg11)
{
	details_free(dg11, &dg11_layout);
}

lds_err lds_dg12_parse(const uint8_t *data, size_t len, lds_dg12 **ret)
{
	void *d;
	if (!ret)
		return LDS_ERR_ARG;
	lds_err e = details_parse(data, len, &dg12_layout, &d);
	if (e == LDS_OK)
		*ret = d;
	return e;
}

void lds_dg12_free(lds_dg12 *dg12)
{
	details_free(dg12, &dg12_layout);
}
