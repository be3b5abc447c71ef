/*
 * tlv — BER-TLV parsing and header encoding; see tlv.h.
 */
#include "crypto/tlv.h"

static tlv_status parse_tag(const uint8_t **pos, const uint8_t *end, uint32_t *tag, bool *constructed)
{
	const uint8_t *p = *pos;
	if (p >= end)
		return TLV_ERR_TRUNCATED;
	uint32_t t = *p;
	*constructed = (*p & 0x20) != 0;
	if ((*p++ & 0x1F) == 0x1F) {
		/* Subsequent bytes: bit 8 set means another byte follows. */
		int n = 0;
		do {
			if (p >= end)
				return TLV_ERR_TRUNCATED;
			if (++n > 2)
				return TLV_ERR_BAD_TAG;
			t = (t << 8) | *p;
		} while (*p++ & 0x80);
	}
	*tag = t;
	*pos = p;
	return TLV_OK;
}

static tlv_status parse_length(const uint8_t **pos, const uint8_t *end, size_t *len)
{
	const uint8_t *p = *pos;
	if (p >= end)
		return TLV_ERR_TRUNCATED;
	uint8_t first = *p++;
	if (first < 0x80) {
		*len = first;
	} else {
		int n = first & 0x7F;
		if (n == 0 || n > 4)
			return TLV_ERR_BAD_LENGTH;
		if (end - p < n)
			return TLV_ERR_TRUNCATED;
		size_t l = 0;
		for (int i = 0; i < n; i++)
			l = (l << 8) | *p++;
		*len = l;
	}
	*pos = p;
	return TLV_OK;
}

tlv_status tlv_peek_header(const uint8_t *data, size_t n, uint32_t *ret_tag, size_t *ret_header_len,
                           size_t *ret_value_len)
{
	const uint8_t *p = data, *end = data + n;
	uint32_t tag;
	bool constructed;
	size_t len;
	tlv_status s = parse_tag(&p, end, &tag, &constructed);
	if (s == TLV_OK)
		s = parse_length(&p, end, &len);
	if (s != TLV_OK)
		return s;
	*ret_tag = tag;
	*ret_header_len = (size_t)(p - data);
	*ret_value_len = len;
	return TLV_OK;
}

tlv_status tlv_next(const uint8_t **pos, const uint8_t *end, crypto_tlv *ret)
{
	const uint8_t *p = *pos;
	if (p >= end)
		return TLV_END;
	crypto_tlv t = { .raw = p, .constructed = (*p & 0x20) != 0 };
	size_t hdr;
	tlv_status s = tlv_peek_header(p, (size_t)(end - p), &t.tag, &hdr, &t.len);
	if (s != TLV_OK)
		return s;
	p += hdr;
	if ((size_t)(end - p) < t.len)
		return TLV_ERR_TRUNCATED;
	t.value = p;
	p += t.len;
	t.raw_len = (size_t)(p - t.raw);
	*pos = p;
	*ret = t;
	return TLV_OK;
}

tlv_status tlv_parse_one(const uint8_t *data, size_t len, crypto_tlv *ret)
{
	const uint8_t *p = data, *end = data + len;
	crypto_tlv t;
	tlv_status s = tlv_next(&p, end, &t);
	if (s == TLV_END)
		return TLV_ERR_TRUNCATED;
	if (s != TLV_OK)
		return s;
	if (p != end)
		return TLV_ERR_BAD_LENGTH; /* bytes left over after the object */
	*ret = t;
	return TLV_OK;
}

tlv_status tlv_find(const uint8_t *data, size_t len, uint32_t tag, crypto_tlv *ret)
{
	const uint8_t *p = data, *end = data + len;
	for (;;) {
		crypto_tlv t;
		tlv_status s = tlv_next(&p, end, &t);
		if (s == TLV_END)
			return TLV_ERR_NOT_FOUND;
		if (s != TLV_OK)
			return s;
		if (t.tag == tag) {
			*ret = t;
			return TLV_OK;
		}
	}
}

size_t tlv_encode_header(uint32_t tag, size_t len, uint8_t *out)
{
	size_t n = 0;
	if (tag > 0xFFFFFF)
		return 0;
	if (tag > 0xFFFF)
		out[n++] = (uint8_t)(tag >> 16);
	if (tag > 0xFF)
		out[n++] = (uint8_t)(tag >> 8);
	out[n++] = (uint8_t)tag;
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
	} else if (len <= 0xFF) {
		out[n++] = 0x81;
		out[n++] = (uint8_t)len;
	} else if (len <= 0xFFFF) {
		out[n++] = 0x82;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else if (len <= 0xFFFFFF) {
		out[n++] = 0x83;
		out[n++] = (uint8_t)(len >> 16);
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		return 0;
	}
	return n;
}

size_t tlv_total_len(uint32_t tag, size_t len)
{
	uint8_t hdr[TLV_MAX_HEADER];
	return tlv_encode_header(tag, len, hdr) + len;
}

const char *tlv_strerror(tlv_status s)
{
	switch (s) {
	case TLV_OK: return "ok";
	case TLV_END: return "end of data";
	case TLV_ERR_TRUNCATED: return "data ends inside a TLV object";
	case TLV_ERR_BAD_TAG: return "malformed tag";
	case TLV_ERR_BAD_LENGTH: return "malformed length";
	case TLV_ERR_NOT_FOUND: return "tag not found";
	}
	return "unknown TLV status";
}
