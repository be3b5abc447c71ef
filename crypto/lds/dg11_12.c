/*
 * dg11_12 — DG11 (additional personal details) and DG12 (additional
 * document details), ICAO 9303 part 10, 4.7.11 and 4.7.12: a tag list
 * (5C), then optional elements of text (UTF-8, or Latin-1 from older
 * chips), dates (digits or BCD), images and lists of names.
 */
#include "crypto/lds/lds.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/lds/lds-internal.h"
#include "crypto/tlv.h"

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
static lds_err open_details(const uint8_t *data, size_t len, lds_file f, tlv *ret)
{
	tlv outer, t;
	lds_err e = lds_unwrap(data, len, f, &outer);
	if (e != LDS_OK)
		return e;
	e = lds_check_children(outer.value, outer.len);
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
	return *field ? LDS_ERR_TAG : lds_dup_bytes(t->value, t->len, field, field_len);
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
