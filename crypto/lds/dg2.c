/*
 * dg2 — DG2, the face biometrics (ICAO 9303 part 10, 4.7.2): the
 * biometric information group template (7F61) and its templates (7F60),
 * each with its header (A1) and biometric data block, read as an ISO/IEC
 * 19794-5:2005 facial record: the faces, their feature points and image
 * information, and where the encoded image lies. Decoding the image is
 * face.c's.
 */
#include "crypto/lds/lds.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/lds/lds-internal.h"
#include "crypto/tlv.h"

/* ---- DG2 -------------------------------------------------------------- */

enum {
	FAC_HEADER_LEN = 14,        /* 'FAC\0', '010\0', length (4), count (2) */
	FAC_FACE_HEADER_LEN = 20,   /* block length ... pose uncertainties */
	FAC_POINT_LEN = 8,
	FAC_IMAGE_INFO_LEN = 12,
};

static lds_err parse_face(const uint8_t *p, size_t block_len, lds_face *f)
{
	size_t n_points = lds_be_uint(p + 4, 2);
	if (block_len < FAC_FACE_HEADER_LEN + FAC_IMAGE_INFO_LEN ||
	    n_points > (block_len - FAC_FACE_HEADER_LEN - FAC_IMAGE_INFO_LEN) / FAC_POINT_LEN)
		return LDS_ERR_LENGTH;
	f->gender = p[6];
	f->eye_colour = p[7];
	f->hair_colour = p[8];
	f->feature_mask = lds_be_uint(p + 9, 3);
	f->expression = (uint16_t)lds_be_uint(p + 12, 2);
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
			f->points[i].x = (uint16_t)lds_be_uint(q + 2, 2);
			f->points[i].y = (uint16_t)lds_be_uint(q + 4, 2);
		}
	}
	f->face_image_type = q[0];
	f->image_data_type = q[1];
	f->width = (uint16_t)lds_be_uint(q + 2, 2);
	f->height = (uint16_t)lds_be_uint(q + 4, 2);
	f->colour_space = q[6];
	f->source_type = q[7];
	f->device_type = (uint16_t)lds_be_uint(q + 8, 2);
	f->quality = (uint16_t)lds_be_uint(q + 10, 2);
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
	size_t rec_len = lds_be_uint(bdb + 8, 4);
	size_t n_faces = lds_be_uint(bdb + 12, 2);
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
		size_t block_len = lds_be_uint(bdb + pos, 4);
		if (block_len > len - pos)
			return LDS_ERR_TRUNCATED;
		lds_err e = parse_face(bdb + pos, block_len, &bit->faces[i]);
		if (e != LDS_OK)
			return e;
		pos += block_len;
	}
	return pos == len ? LDS_OK : LDS_ERR_LENGTH;
}

static lds_err parse_bio_header(const crypto_tlv *a1, lds_bio_header *h)
{
	const uint8_t *p = a1->value, *end = a1->value + a1->len;
	crypto_tlv t;
	tlv_status s;
	while ((s = tlv_next(&p, end, &t)) == TLV_OK) {
		uint32_t v = 0;
		lds_err e = LDS_OK;
		switch (t.tag) {
		case 0x80:
			e = lds_tlv_uint(&t, 2, &v);
			h->version = (uint16_t)v;
			h->has_version = true;
			break;
		case 0x81:
			e = lds_tlv_uint(&t, 3, &v);
			h->type = v;
			h->has_type = true;
			break;
		case 0x82:
			e = lds_tlv_uint(&t, 1, &v);
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
			e = lds_tlv_uint(&t, 2, &v);
			h->format_owner = (uint16_t)v;
			h->has_format_owner = true;
			break;
		case 0x88:
			e = lds_tlv_uint(&t, 2, &v);
			h->format_type = (uint16_t)v;
			h->has_format_type = true;
			break;
		default:
			break; /* validity period (85) and others: not needed */
		}
		if (e != LDS_OK)
			return e;
	}
	return s == TLV_END ? LDS_OK : lds_tlv_err(s);
}

static lds_err parse_bit(const crypto_tlv *t7f60, lds_bit *bit)
{
	const uint8_t *p = t7f60->value, *end = t7f60->value + t7f60->len;
	bool have_header = false, have_bdb = false;
	crypto_tlv t;
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
		return lds_tlv_err(s);
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
	crypto_tlv outer, group, t;
	lds_err e = lds_unwrap_checked(data, len, LDS_FILE_DG2, &outer);
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
	e = lds_first_object(dg2->data, dg2->len, &outer);
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
		e = s == TLV_END ? LDS_ERR_MISSING : lds_tlv_err(s);
		goto out_free;
	}
	uint32_t count;
	if (t.tag != 0x02) {
		e = LDS_ERR_MISSING;
		goto out_free;
	}
	e = lds_tlv_uint(&t, 2, &count);
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
		e = lds_tlv_err(s);
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
