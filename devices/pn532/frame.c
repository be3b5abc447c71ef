/*
 * frame — the PN532 host-interface frame codec (see pn532.h): a byte-wise
 * decoder that survives noise and wake-up preambles, and the builder of
 * normal and extended information frames.
 */
#include <string.h>

#include "devices/pn532/pn532.h"

const uint8_t pn532_ack_frame[6] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
const uint8_t pn532_error_frame[8] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00 };

void pn532_decoder_init(pn532_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->state = PN532_EXPECT_START;
}

/* A frame is over (good or bad): look for the next start code. */
static pn532_frame_kind finish(pn532_decoder *d, pn532_frame_kind kind)
{
	d->state = PN532_EXPECT_START;
	d->after_zero = false;
	return kind;
}

/* LEN counts TFI and data; a body that cannot be held is refused. */
static pn532_frame_kind start_body(pn532_decoder *d, size_t len)
{
	if (len == 0 || len > PN532_FRAME_MAX_BODY)
		return finish(d, PN532_FRAME_BAD);
	d->need = len;
	d->body_len = 0;
	d->state = PN532_EXPECT_BODY;
	return PN532_FRAME_INCOMPLETE;
}

static pn532_frame_kind step(pn532_decoder *d, uint8_t b)
{
	switch (d->state) {
	case PN532_EXPECT_START:
		if (d->after_zero && b == 0xFF)
			d->state = PN532_EXPECT_LEN;
		d->after_zero = b == 0x00;
		return PN532_FRAME_INCOMPLETE;
	case PN532_EXPECT_LEN:
		d->len = b;
		d->state = PN532_EXPECT_LCS;
		return PN532_FRAME_INCOMPLETE;
	case PN532_EXPECT_LCS:
		if (d->len == 0x00 && b == 0xFF)
			return finish(d, PN532_FRAME_ACK);
		if (d->len == 0xFF && b == 0x00)
			return finish(d, PN532_FRAME_NACK);
		if (d->len == 0xFF && b == 0xFF) {
			d->state = PN532_EXPECT_EXT_LENM;
			return PN532_FRAME_INCOMPLETE;
		}
		if ((uint8_t)(d->len + b) != 0)
			return finish(d, PN532_FRAME_BAD);
		return start_body(d, d->len);
	case PN532_EXPECT_EXT_LENM:
		d->lenm = b;
		d->state = PN532_EXPECT_EXT_LENL;
		return PN532_FRAME_INCOMPLETE;
	case PN532_EXPECT_EXT_LENL:
		d->len = b;
		d->state = PN532_EXPECT_EXT_LCS;
		return PN532_FRAME_INCOMPLETE;
	case PN532_EXPECT_EXT_LCS:
		if ((uint8_t)(d->lenm + d->len + b) != 0)
			return finish(d, PN532_FRAME_BAD);
		return start_body(d, ((size_t)d->lenm << 8) | d->len);
	case PN532_EXPECT_BODY:
		d->body[d->body_len++] = b;
		if (--d->need == 0)
			d->state = PN532_EXPECT_DCS;
		return PN532_FRAME_INCOMPLETE;
	case PN532_EXPECT_DCS: {
		uint8_t sum = b;
		for (size_t i = 0; i < d->body_len; i++)
			sum = (uint8_t)(sum + d->body[i]);
		/* The postamble that follows is skipped as noise. */
		return finish(d, sum == 0 ? PN532_FRAME_INFO : PN532_FRAME_BAD);
	}
	}
	return finish(d, PN532_FRAME_BAD);
}

pn532_frame_kind pn532_decoder_feed(pn532_decoder *d, const uint8_t *in, size_t len, size_t *ret_used)
{
	size_t i = 0;
	pn532_frame_kind kind = PN532_FRAME_INCOMPLETE;
	while (i < len && kind == PN532_FRAME_INCOMPLETE)
		kind = step(d, in[i++]);
	*ret_used = i;
	return kind;
}

size_t pn532_frame_build(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	size_t body = len + 1;
	size_t n = 0;
	if (body > PN532_FRAME_MAX_BODY || cap < body + 10)
		return 0;
	out[n++] = 0x00;
	out[n++] = 0x00;
	out[n++] = 0xFF;
	if (body <= 255) {
		out[n++] = (uint8_t)body;
		out[n++] = (uint8_t)(0x100 - body);
	} else {
		out[n++] = 0xFF;
		out[n++] = 0xFF;
		out[n++] = (uint8_t)(body >> 8);
		out[n++] = (uint8_t)body;
		out[n++] = (uint8_t)(0x100 - (((body >> 8) + body) & 0xFF));
	}
	uint8_t sum = tfi;
	out[n++] = tfi;
	for (size_t i = 0; i < len; i++) {
		out[n++] = data[i];
		sum = (uint8_t)(sum + data[i]);
	}
	out[n++] = (uint8_t)(0x100 - sum);
	out[n++] = 0x00;
	return n;
}
