/*
 * fuzz-isodep — libFuzzer target for the reader's side of ISO/IEC 14443-4
 * block transmission (hal/passport/isodep.c), whose input is whatever
 * frames a chip sends. The input: byte 0 picks the chip's FSCI (low
 * nibble) and FWI (high nibble), byte 1 the command's length in 8-byte
 * steps; then the chip's frames, each a length byte and that many bytes
 * (length 0xFF: the frame lost). When they run out the chip has left.
 * Checked: no frame sent is longer than the chip's FSC or the reader's
 * frame allows, an answer fits the buffer it was given, and the exchange
 * ends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hal/passport/isodep-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct chip {
	const uint8_t *p;
	size_t left;
	size_t frame_limit;
	unsigned long frames;
} chip;

static pp_err frame(void *user, const uint8_t *out, size_t out_len, uint8_t *in, size_t cap, size_t *ret_len,
                    unsigned wait_ms, long limit_ms)
{
	chip *c = user;
	(void)out;
	if (out_len < 1 || out_len > c->frame_limit || wait_ms == 0 || wait_ms > PP_ISODEP_FWT_MAX_MS ||
	    limit_ms <= 0)
		abort();
	if (++c->frames > 100000)
		abort(); /* an exchange that does not end */
	if (c->left == 0)
		return PP_ERR_REMOVED;
	size_t n = c->p[0];
	c->p++;
	c->left--;
	if (n == 0xFF)
		return PP_ERR_TIMEOUT;
	if (n > c->left)
		n = c->left;
	if (n > cap)
		abort();
	memcpy(in, c->p, n);
	c->p += n;
	c->left -= n;
	*ret_len = n;
	return PP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t ats[] = { (uint8_t)(0x20 | (data[0] & 0x0F)), (uint8_t)(data[0] & 0xF0) };
	pp_isodep d;
	pp_isodep_init_ats(&d, ats, sizeof(ats), 254);
	chip c = { .p = data + 2, .left = size - 2 };
	c.frame_limit = d.fsc - 2 < d.frame_max ? d.fsc - 2 : d.frame_max;
	uint8_t cmd[8 * 255 + 5];
	size_t len = 5 + 8 * (size_t)data[1];
	for (size_t i = 0; i < len; i++)
		cmd[i] = (uint8_t)i;
	uint8_t resp[600];
	size_t n = 0;
	pp_err e = pp_isodep_transceive(&d, frame, &c, cmd, len, resp, sizeof(resp), &n, 60000);
	if (e == PP_OK && n > sizeof(resp))
		abort();
	return 0;
}
