/*
 * eac — what PACE and chip authentication share, terminal side: the
 * protocols an OID names, the standardized domain parameters, the
 * commands (MSE, GENERAL AUTHENTICATE with chaining), status words and
 * the checks of the chip's public keys. The protocols are in pace.c and
 * ca.c; see eac-internal.h.
 */
#include "hal/passport/eac-internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "crypto/secinfo.h"
#include "crypto/tlv.h"
#include "hal/passport/sw-internal.h"

static pthread_once_t eac_once = PTHREAD_ONCE_INIT;

static void eac_init_once(void)
{
	EAC_init();
}

void eac_init(void)
{
	pthread_once(&eac_once, eac_init_once);
}

pp_err eac_fail(char *err, size_t errlen, pp_err code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- standardized domain parameters (part 11, 9.5.1) ---- */

static const std_dp std_dps[] = {
	{ 0, "MODP-1024-160", NID_undef },
	{ 1, "MODP-2048-224", NID_undef },
	{ 2, "MODP-2048-256", NID_undef },
	{ 8, "secp192r1", NID_X9_62_prime192v1 },
	{ 9, "brainpoolP192r1", NID_brainpoolP192r1 },
	{ 10, "secp224r1", NID_secp224r1 },
	{ 11, "brainpoolP224r1", NID_brainpoolP224r1 },
	{ 12, "secp256r1", NID_X9_62_prime256v1 },
	{ 13, "brainpoolP256r1", NID_brainpoolP256r1 },
	{ 14, "brainpoolP320r1", NID_brainpoolP320r1 },
	{ 15, "secp384r1", NID_secp384r1 },
	{ 16, "brainpoolP384r1", NID_brainpoolP384r1 },
	{ 17, "brainpoolP512r1", NID_brainpoolP512r1 },
	{ 18, "secp521r1", NID_secp521r1 },
};

const std_dp *eac_find_dp(int id)
{
	for (size_t i = 0; i < sizeof std_dps / sizeof std_dps[0]; i++)
		if (std_dps[i].id == id)
			return &std_dps[i];
	return NULL;
}

/* ---- what a protocol OID says ---- */

/* Describe a PACE or CA protocol OID from its name in the table
 * (id-PACE-ECDH-GM-AES-CBC-CMAC-128, id-CA-DH-3DES-CBC-CBC, ...). */
bool eac_describe(const char *dotted, protocol *ret)
{
	const char *name = secinfo_oid_name(dotted);
	const char *dot = strrchr(dotted, '.');
	if (!name || !dot || dot[1] < '1' || dot[1] > '4' || dot[2])
		return false;
	protocol p = { .name = name };
	snprintf(p.oid, sizeof p.oid, "%s", dotted);
	snprintf(p.agreement, sizeof p.agreement, "%s", strstr(name, "-ECDH") ? "ECDH" : "DH");
	if (strncmp(name, "id-PACE-", 8) == 0) {
		const char *m = strstr(name, "-GM-") ? "GM" : strstr(name, "-IM-") ? "IM" : "CAM";
		snprintf(p.mapping, sizeof p.mapping, "%s", m);
	}
	int arc = dot[1] - '0';
	p.aes = arc != 1;
	p.key_len = arc == 3 ? 24 : arc == 4 ? 32 : 16;
	snprintf(p.cipher, sizeof p.cipher, "%s",
	         arc == 1 ? "3DES" : arc == 2 ? "AES-128" : arc == 3 ? "AES-192" : "AES-256");
	*ret = p;
	return true;
}

/* OpenPACE's NID for a protocol; CAM's generic mapping part is the GM
 * protocol with the same cipher. */
int eac_openpace_nid(const protocol *p)
{
	char sn[64];
	snprintf(sn, sizeof sn, "%s", p->name);
	char *cam = strstr(sn, "-CAM-");
	if (cam) {
		memcpy(cam, "-GM-", 4);
		memmove(cam + 4, cam + 5, strlen(cam + 5) + 1);
	}
	return OBJ_sn2nid(sn);
}

/* ---- APDUs ---- */

/* One exchange; the response data replaces `out`'s contents. */
pp_err eac_exchange(pp_channel *ch, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const crypto_buf *data, bool le,
                       crypto_buf *out, uint16_t *ret_sw)
{
	crypto_apdu a = { .cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = data ? data->data : NULL,
		   .lc = data ? data->len : 0, .le = le ? APDU_MAX_SHORT_LE : 0 };
	out->len = 0;
	return pp_channel_exchange(ch, &a, out, ret_sw);
}

/* Send a GENERAL AUTHENTICATE with 7C{tag value} (tag 0: empty 7C) and
 * return the response's 7C contents in `out`. */
pp_err eac_general_authenticate(pp_channel *ch, bool chained, uint32_t tag, const BUF_MEM *value, crypto_buf *out,
                                   uint16_t *ret_sw, const char *step, char *err, size_t errlen)
{
	crypto_buf cmd = CRYPTO_BUF_INIT;
	if (tag) {
		buf_append_tlv_header(&cmd, 0x7C, tlv_total_len(tag, value->length));
		buf_append_tlv(&cmd, tag, value->data, value->length);
	} else {
		buf_append_tlv_header(&cmd, 0x7C, 0);
	}
	if (!buf_ok(&cmd)) {
		buf_free(&cmd);
		return eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory building %s", step);
	}
	pp_err e = eac_exchange(ch, chained ? CLA_CHAIN : 0x00, INS_GA, 0x00, 0x00, &cmd, true, out, ret_sw);
	buf_free(&cmd);
	if (e != PP_OK)
		return eac_fail(err, errlen, e, "%s: %s", step, pp_strerror(e));
	if (*ret_sw != SW_OK)
		return PP_ERR_STATUS; /* the caller words it */
	crypto_tlv t;
	if (tlv_parse_one(out->data, out->len, &t) != TLV_OK || t.tag != 0x7C)
		return eac_fail(err, errlen, PP_ERR_PARSE, "%s: the chip's answer is not dynamic authentication data (7C)",
		            step);
	memmove(out->data, t.value, t.len);
	out->len = t.len;
	return PP_OK;
}

/* The value of `tag` inside 7C contents, as a BUF_MEM. */
pp_err eac_take(const crypto_buf *dyn, uint32_t tag, BUF_MEM **ret, const char *step, char *err, size_t errlen)
{
	crypto_tlv t;
	if (tlv_find(dyn->data, dyn->len, tag, &t) != TLV_OK || t.len == 0)
		return eac_fail(err, errlen, PP_ERR_PARSE, "%s: the chip's answer lacks data object %02X", step,
		            (unsigned)tag);
	*ret = buf_mem_from(t.value, t.len);
	return *ret ? PP_OK : eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory in %s", step);
}

pp_err eac_step_status(uint16_t sw, const char *step, bool token_step, char *err, size_t errlen)
{
	char text[PP_SW_TEXT_LEN];
	if (token_step && pp_sw_kind_of(sw) == PP_SW_WRONG_KEY)
		return eac_fail(err, errlen, PP_ERR_ACCESS_DENIED, "%s: the chip rejected the password: status %s", step,
		            pp_sw_text(sw, text));
	if (sw == SW_AUTH_METHOD_BLOCKED)
		return eac_fail(err, errlen, PP_ERR_BLOCKED, "%s: the chip has blocked this password (%s)", step,
		            pp_sw_text(sw, text));
	return eac_fail(err, errlen, PP_ERR_STATUS, "%s: the chip answered %s", step, pp_sw_text(sw, text));
}

/* ---- the chip's public keys ---- */

/* An EC public key from the chip: an uncompressed point (04 X Y, each
 * coordinate as long as the field, ICAO 9303 part 11, 9.4.5), on the
 * curve and not the point at infinity. OpenPACE would take a single 00
 * byte (the point at infinity) as a mapping key, which makes the mapped
 * generator independent of the chip's key. The standardized curves have
 * cofactor 1, so a point on the curve is in the group. */
static bool valid_ec_key(int curve_nid, const BUF_MEM *key)
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(curve_nid);
	EC_POINT *pt = group ? EC_POINT_new(group) : NULL;
	bool ok = false;
	if (pt && key && key->length) {
		size_t field = ((size_t)EC_GROUP_get_degree(group) + 7) / 8;
		ok = key->length == 1 + 2 * field && (uint8_t)key->data[0] == 0x04 &&
		     EC_POINT_oct2point(group, pt, (const uint8_t *)key->data, key->length, NULL) == 1 &&
		     !EC_POINT_is_at_infinity(group, pt) && EC_POINT_is_on_curve(group, pt, NULL) == 1;
	}
	EC_POINT_free(pt);
	EC_GROUP_free(group);
	return ok;
}

/* A DH public value from the chip: 1 < y < p-1, no longer than p, and in
 * the subgroup of order q (y^q = 1 mod p) when the group names q.
 * `domain` holds the group's parameters. */
static bool valid_dh_key(const EVP_PKEY *domain, const BUF_MEM *key)
{
	OSSL_PARAM *params = NULL;
	BIGNUM *p = NULL, *q = NULL, *y = NULL, *p_1 = NULL, *r = NULL;
	BN_CTX *bn = BN_CTX_new();
	bool ok = false;
	if (!bn || !domain || !key || !key->length || EVP_PKEY_todata(domain, EVP_PKEY_KEY_PARAMETERS, &params) != 1)
		goto out_free;
	const OSSL_PARAM *pp = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_FFC_P);
	const OSSL_PARAM *qp = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_FFC_Q);
	if (!pp || !OSSL_PARAM_get_BN(pp, &p) || (qp && !OSSL_PARAM_get_BN(qp, &q)))
		goto out_free;
	y = BN_bin2bn((const uint8_t *)key->data, (int)key->length, NULL);
	p_1 = BN_dup(p);
	r = BN_new();
	if (!y || !p_1 || !r || !BN_sub_word(p_1, 1) || key->length > (size_t)BN_num_bytes(p))
		goto out_free;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p_1) >= 0)
		goto out_free;
	if (q && (BN_mod_exp(r, y, q, p, bn) != 1 || !BN_is_one(r)))
		goto out_free;
	ok = true;
out_free:
	OSSL_PARAM_free(params);
	BN_free(p);
	BN_free(q);
	BN_free(y);
	BN_free(p_1);
	BN_free(r);
	BN_CTX_free(bn);
	return ok;
}

/* A public key the chip sent in PACE, for the run's domain parameters. */
bool eac_valid_chip_key(const std_dp *dp, const EAC_CTX *ctx, const BUF_MEM *key)
{
	if (dp->nid != NID_undef)
		return valid_ec_key(dp->nid, key);
	return valid_dh_key(ctx->pace_ctx ? ctx->pace_ctx->static_key : NULL, key);
}

/* The length of the order n of a curve, in bytes; 0 when unknown. */
size_t eac_order_len(int curve_nid)
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(curve_nid);
	size_t n = group ? (size_t)BN_num_bytes(EC_GROUP_get0_order(group)) : 0;
	EC_GROUP_free(group);
	return n;
}
