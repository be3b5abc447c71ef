/*
 * apdu — ISO/IEC 7816-4 command APDU encoding and decoding; see apdu.h.
 */
#include "crypto/apdu.h"

#include <string.h>

bool apdu_is_extended(const crypto_apdu *a)
{
	return a->extended || a->lc > APDU_MAX_SHORT_LC || a->le > APDU_MAX_SHORT_LE;
}

size_t apdu_encoded_len(const crypto_apdu *a)
{
	if (a->lc > 65535 || a->le > APDU_MAX_EXT_LE)
		return 0;
	size_t n = 4;
	if (!apdu_is_extended(a)) {
		if (a->lc)
			n += 1 + a->lc;
		if (a->le)
			n += 1;
		return n;
	}
	if (a->lc)
		n += 3 + a->lc;
	if (a->le)
		n += a->lc ? 2 : 3;
	if (!a->lc && !a->le)
		return 4;
	return n;
}

crypto_err apdu_encode(const crypto_apdu *a, uint8_t *out, size_t cap, size_t *ret_len)
{
	size_t n = apdu_encoded_len(a);
	if (n == 0)
		return CRYPTO_ERR_ARG;
	if (n > cap)
		return CRYPTO_ERR_BUFFER;
	if (a->lc && !a->data)
		return CRYPTO_ERR_ARG;
	uint8_t *p = out;
	*p++ = a->cla;
	*p++ = a->ins;
	*p++ = a->p1;
	*p++ = a->p2;
	if (!apdu_is_extended(a)) {
		if (a->lc) {
			*p++ = (uint8_t)a->lc;
			memcpy(p, a->data, a->lc);
			p += a->lc;
		}
		if (a->le)
			*p++ = (uint8_t)(a->le == 256 ? 0 : a->le);
	} else if (a->lc || a->le) {
		*p++ = 0; /* extended marker */
		if (a->lc) {
			*p++ = (uint8_t)(a->lc >> 8);
			*p++ = (uint8_t)a->lc;
			memcpy(p, a->data, a->lc);
			p += a->lc;
		}
		if (a->le) {
			size_t le = a->le == 65536 ? 0 : a->le;
			*p++ = (uint8_t)(le >> 8);
			*p++ = (uint8_t)le;
		}
	}
	*ret_len = (size_t)(p - out);
	return CRYPTO_OK;
}

crypto_err apdu_decode(const uint8_t *in, size_t len, crypto_apdu *ret)
{
	if (len < 4)
		return CRYPTO_ERR_FORMAT;
	crypto_apdu a = { .cla = in[0], .ins = in[1], .p1 = in[2], .p2 = in[3] };
	const uint8_t *p = in + 4;
	size_t rest = len - 4;
	if (rest == 0) {
		/* case 1 */
	} else if (rest == 1) {
		a.le = p[0] ? p[0] : 256; /* case 2 short */
	} else if (p[0] != 0) {
		/* short case 3 or 4: Lc (1..255), data, optional Le */
		size_t lc = p[0];
		if (rest != 1 + lc && rest != 2 + lc)
			return CRYPTO_ERR_FORMAT;
		a.lc = lc;
		a.data = p + 1;
		if (rest == 2 + lc)
			a.le = p[1 + lc] ? p[1 + lc] : 256;
	} else {
		/* extended: 00 followed by Lc(2) [data] [Le(2)] or Le(2) */
		a.extended = true;
		if (rest == 3) {
			size_t le = ((size_t)p[1] << 8) | p[2];
			a.le = le ? le : 65536;
		} else {
			if (rest < 3)
				return CRYPTO_ERR_FORMAT;
			size_t lc = ((size_t)p[1] << 8) | p[2];
			if (lc == 0 || rest < 3 + lc)
				return CRYPTO_ERR_FORMAT;
			a.lc = lc;
			a.data = p + 3;
			if (rest == 3 + lc + 2) {
				size_t le = ((size_t)p[3 + lc] << 8) | p[4 + lc];
				a.le = le ? le : 65536;
			} else if (rest != 3 + lc) {
				return CRYPTO_ERR_FORMAT;
			}
		}
	}
	*ret = a;
	return CRYPTO_OK;
}
