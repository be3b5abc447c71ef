/*
 * eac — PACE and chip authentication, terminal side; see eac.h.
 *
 * The protocol arithmetic (nonce, mapping, key agreement, key derivation,
 * tokens) is OpenPACE's; the APDUs, the choice of protocol, PACE-CAM
 * (which OpenPACE 1.1.2 lacks) and the secure messaging session are ours.
 *
 * Protocols offered: PACE generic mapping with ECDH or DH and PACE-CAM,
 * each with 3DES or AES-128/192/256 where defined, on standardized domain
 * parameters; chip authentication with ECDH or DH, 3DES (MSE:Set KAT) or
 * AES (MSE:Set AT + GENERAL AUTHENTICATE, the chip answering 7C 00 as ICAO
 * 9303 part 11, 6.2 has it; a chip answering with a TR-03110 v2 nonce and
 * token is taken too). Not offered: integrated
 * mapping — OpenPACE 1.1.2 computes the IM generator but never installs
 * it (the run goes on with the static generator) and implements TR-03110
 * v2.01's mapping rather than ICAO's; and explicit PACE domain parameters
 * (PACEDomainParameterInfo without a standardized id).
 *
 * EF.CardAccess is read with crypto/secinfo rather than OpenPACE's parser:
 * OpenPACE folds PACEInfos that share a parameter id into one context and
 * does not know the CAM protocols.
 */
#include "hal/passport/eac.h"
#include "hal/passport/sw.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eac/ca.h>
#include <eac/eac.h>
#include <eac/objects.h>
#include <eac/pace.h>
#include <eac/ta.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto/secinfo.h"
#include "crypto/tlv.h"

#define INS_MSE 0x22
#define INS_GA  0x86
#define CLA_CHAIN 0x10

struct pp_pace {
	pp_protocol_info info;
	bool cam;
	int curve_nid;         /* PACE-CAM: the curve of the run */
	uint8_t *ca_ic;        /* PACE-CAM: decrypted chip authentication data */
	size_t ca_ic_len;
	uint8_t *pk_map;       /* PACE-CAM: the chip's mapping public key (DO'82) */
	size_t pk_map_len;
};

static pthread_once_t eac_once = PTHREAD_ONCE_INIT;

static void eac_init_once(void)
{
	EAC_init();
}

static pp_err fail(char *err, size_t errlen, pp_err code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static pp_err fail(char *err, size_t errlen, pp_err code, const char *fmt, ...)
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

typedef struct std_dp {
	int id;
	const char *name;
	int nid;     /* curve; NID_undef for MODP groups */
} std_dp;

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

static const std_dp *find_dp(int id)
{
	for (size_t i = 0; i < sizeof std_dps / sizeof std_dps[0]; i++)
		if (std_dps[i].id == id)
			return &std_dps[i];
	return NULL;
}

/* ---- what a protocol OID says ---- */

typedef struct protocol {
	char oid[64];
	const char *name;
	char mapping[8];    /* GM, IM, CAM; "" for CA */
	char agreement[8];  /* ECDH, DH */
	bool aes;
	size_t key_len;
	char cipher[16];
} protocol;

/* Describe a PACE or CA protocol OID from its name in the table
 * (id-PACE-ECDH-GM-AES-CBC-CMAC-128, id-CA-DH-3DES-CBC-CBC, ...). */
static bool describe(const char *dotted, protocol *ret)
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
static int openpace_nid(const protocol *p)
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
static pp_err exchange(pp_channel *ch, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const buf *data, bool le,
                       buf *out, uint16_t *ret_sw)
{
	apdu a = { .cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = data ? data->data : NULL,
		   .lc = data ? data->len : 0, .le = le ? APDU_MAX_SHORT_LE : 0 };
	out->len = 0;
	return pp_channel_exchange(ch, &a, out, ret_sw);
}

/* Send a GENERAL AUTHENTICATE with 7C{tag value} (tag 0: empty 7C) and
 * return the response's 7C contents in `out`. */
static pp_err general_authenticate(pp_channel *ch, bool chained, uint32_t tag, const BUF_MEM *value, buf *out,
                                   uint16_t *ret_sw, const char *step, char *err, size_t errlen)
{
	buf cmd = BUF_INIT;
	if (tag) {
		buf_append_tlv_header(&cmd, 0x7C, tlv_total_len(tag, value->length));
		buf_append_tlv(&cmd, tag, value->data, value->length);
	} else {
		buf_append_tlv_header(&cmd, 0x7C, 0);
	}
	if (!buf_ok(&cmd)) {
		buf_free(&cmd);
		return fail(err, errlen, PP_ERR_NOMEM, "out of memory building %s", step);
	}
	pp_err e = exchange(ch, chained ? CLA_CHAIN : 0x00, INS_GA, 0x00, 0x00, &cmd, true, out, ret_sw);
	buf_free(&cmd);
	if (e != PP_OK)
		return fail(err, errlen, e, "%s: %s", step, pp_strerror(e));
	if (*ret_sw != SW_OK)
		return PP_ERR_STATUS; /* the caller words it */
	tlv t;
	if (tlv_parse_one(out->data, out->len, &t) != TLV_OK || t.tag != 0x7C)
		return fail(err, errlen, PP_ERR_PARSE, "%s: the chip's answer is not dynamic authentication data (7C)",
		            step);
	memmove(out->data, t.value, t.len);
	out->len = t.len;
	return PP_OK;
}

/* The value of `tag` inside 7C contents, as a BUF_MEM. */
static pp_err take(const buf *dyn, uint32_t tag, BUF_MEM **ret, const char *step, char *err, size_t errlen)
{
	tlv t;
	if (tlv_find(dyn->data, dyn->len, tag, &t) != TLV_OK || t.len == 0)
		return fail(err, errlen, PP_ERR_PARSE, "%s: the chip's answer lacks data object %02X", step,
		            (unsigned)tag);
	*ret = buf_mem_from(t.value, t.len);
	return *ret ? PP_OK : fail(err, errlen, PP_ERR_NOMEM, "out of memory in %s", step);
}

static pp_err step_status(uint16_t sw, const char *step, bool token_step, char *err, size_t errlen)
{
	char text[PP_SW_TEXT_LEN];
	if (token_step && pp_sw_kind_of(sw) == PP_SW_WRONG_KEY)
		return fail(err, errlen, PP_ERR_ACCESS_DENIED, "%s: the chip rejected the password: status %s", step,
		            pp_sw_text(sw, text));
	if (sw == SW_AUTH_METHOD_BLOCKED)
		return fail(err, errlen, PP_ERR_BLOCKED, "%s: the chip has blocked this password (%s)", step,
		            pp_sw_text(sw, text));
	return fail(err, errlen, PP_ERR_STATUS, "%s: the chip answered %s", step, pp_sw_text(sw, text));
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
static bool valid_chip_key(const std_dp *dp, const EAC_CTX *ctx, const BUF_MEM *key)
{
	if (dp->nid != NID_undef)
		return valid_ec_key(dp->nid, key);
	return valid_dh_key(ctx->pace_ctx ? ctx->pace_ctx->static_key : NULL, key);
}

/* The length of the order n of a curve, in bytes; 0 when unknown. */
static size_t order_len(int curve_nid)
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(curve_nid);
	size_t n = group ? (size_t)BN_num_bytes(EC_GROUP_get0_order(group)) : 0;
	EC_GROUP_free(group);
	return n;
}

/* ---- PACE ---- */

static PACE_SEC *make_secret(pp_pace_secret type, const char *secret)
{
	size_t n = strlen(secret);
	if (type == PP_PACE_CAN)
		return PACE_SEC_new(secret, n, PACE_CAN);
	/* K = SHA-1(MRZ_information) (part 11, 9.7.3), given to OpenPACE as
	 * a raw secret: its MRZ encoding expects an ID card's TD1 layout. */
	uint8_t k[SHA_DIGEST_LENGTH];
	SHA1((const uint8_t *)secret, n, k);
	PACE_SEC *sec = PACE_SEC_new((const char *)k, sizeof k, PACE_RAW);
	OPENSSL_cleanse(k, sizeof k);
	return sec;
}

static bool supported_pace(const protocol *p, int param_id)
{
	const std_dp *dp = find_dp(param_id);
	if (!dp || strcmp(p->mapping, "IM") == 0)
		return false;
	bool ec = dp->nid != NID_undef;
	if (ec != (strcmp(p->agreement, "ECDH") == 0))
		return false;
	return openpace_nid(p) != NID_undef;
}

/* The PACEInfo to run: the first PACE-CAM one this stack supports, else
 * the first supported one, in the file's order. CAM goes first because it
 * proves the chip as well (a chip offering both should not be let off
 * with GM). */
static pp_err choose_pace(const uint8_t *ca, size_t ca_len, protocol *ret, int *ret_param, char *err, size_t errlen)
{
	secinfo_list list;
	if (secinfo_parse(ca, ca_len, &list) != CRYPTO_OK)
		return fail(err, errlen, PP_ERR_PARSE, "EF.CardAccess is not a SET OF SecurityInfo");
	pp_err e = PP_ERR_NOT_SUPPORTED;
	bool any = false;
	for (int want_cam = 1; want_cam >= 0 && e != PP_OK; want_cam--) {
		for (size_t i = 0; i < list.n; i++) {
			const secinfo_entry *s = &list.entries[i];
			protocol p;
			if (s->kind != SECINFO_PACE)
				continue;
			any = true;
			if (describe(s->oid, &p) && (!want_cam || strcmp(p.mapping, "CAM") == 0) &&
			    supported_pace(&p, s->id)) {
				*ret = p;
				*ret_param = s->id;
				e = PP_OK;
				break;
			}
		}
	}
	secinfo_list_free(&list);
	if (e != PP_OK)
		fail(err, errlen, e,
		     any ? "EF.CardAccess offers only PACE variants this reader does not support (integrated "
		           "mapping or explicit domain parameters); use BAC"
		         : "EF.CardAccess offers no PACE protocol; use BAC");
	return e;
}

static pp_err session_from(const protocol *p, const KA_CTX *ka, sm_ctx *ret)
{
	static const uint8_t zero[16];
	if (!ka || !ka->k_enc || !ka->k_mac || ka->k_enc->length != p->key_len || ka->k_mac->length != p->key_len)
		return PP_ERR_CRYPTO;
	crypto_err ce = p->aes ? sm_init_aes(ret, (const uint8_t *)ka->k_enc->data, (const uint8_t *)ka->k_mac->data,
	                                     p->key_len, zero)
	                       : sm_init_3des(ret, (const uint8_t *)ka->k_enc->data,
	                                      (const uint8_t *)ka->k_mac->data, zero);
	return ce == CRYPTO_OK ? PP_OK : PP_ERR_CRYPTO;
}

void pp_pace_free(pp_pace *p)
{
	if (!p)
		return;
	if (p->ca_ic)
		OPENSSL_clear_free(p->ca_ic, p->ca_ic_len);
	free(p->pk_map);
	free(p);
}

static pp_err pace_run(pp_channel *ch, const uint8_t *card_access, size_t card_access_len, pp_pace_secret type,
                       const char *secret, pp_pace **ret, char *err, size_t errlen)
{
	if (!ch || !card_access || !secret || !ret || (type != PP_PACE_MRZ && type != PP_PACE_CAN))
		return fail(err, errlen, PP_ERR_ARG, "PACE needs a channel, EF.CardAccess, a password and its type");
	pthread_once(&eac_once, eac_init_once);

	protocol p;
	int param_id = -1;
	pp_err e = choose_pace(card_access, card_access_len, &p, &param_id, err, errlen);
	if (e != PP_OK)
		return e;
	const std_dp *dp = find_dp(param_id);

	pp_pace *run = calloc(1, sizeof *run);
	EAC_CTX *ctx = EAC_CTX_new();
	PACE_SEC *sec = make_secret(type, secret);
	BUF_MEM *enc_nonce = NULL, *map_pcd = NULL, *map_picc = NULL, *eph_pcd = NULL, *eph_picc = NULL,
		*token_pcd = NULL, *token_picc = NULL, *cam_enc = NULL;
	buf out = BUF_INIT, mse = BUF_INIT;
	uint16_t sw = 0;
	sm_ctx session;
	memset(&session, 0, sizeof session);
	if (!run || !ctx) {
		e = fail(err, errlen, PP_ERR_NOMEM, "out of memory starting PACE");
		goto out_free;
	}
	if (!sec) {
		e = fail(err, errlen, PP_ERR_ARG, "the %s is not usable as a PACE password (CAN: digits only)",
		         type == PP_PACE_CAN ? "CAN" : "MRZ information");
		goto out_free;
	}
	if (EAC_CTX_init_pace(ctx, openpace_nid(&p), param_id) != 1) {
		e = fail(err, errlen, PP_ERR_NOT_SUPPORTED, "OpenPACE cannot set up %s with parameters %d", p.name,
		         param_id);
		goto out_free;
	}
	run->cam = strcmp(p.mapping, "CAM") == 0;
	run->curve_nid = dp->nid;
	pp_protocol_info *info = &run->info;
	snprintf(info->oid, sizeof info->oid, "%s", p.oid);
	snprintf(info->name, sizeof info->name, "%s", p.name);
	snprintf(info->mapping, sizeof info->mapping, "%s", p.mapping);
	snprintf(info->agreement, sizeof info->agreement, "%s", p.agreement);
	snprintf(info->domain, sizeof info->domain, "%s", dp->name);
	snprintf(info->cipher, sizeof info->cipher, "%s", p.cipher);
	info->parameter_id = param_id;
	info->key_id = -1;

	/* MSE:Set AT: 80 protocol, 83 password reference, 84 parameter id */
	uint8_t oid[32];
	size_t oid_len = secinfo_oid_encode(p.oid, oid, sizeof oid);
	uint8_t ref = type == PP_PACE_CAN ? 0x02 : 0x01, pid = (uint8_t)param_id;
	buf_append_tlv(&mse, 0x80, oid, oid_len);
	buf_append_tlv(&mse, 0x83, &ref, 1);
	buf_append_tlv(&mse, 0x84, &pid, 1);
	if (!buf_ok(&mse) || oid_len == 0) {
		e = fail(err, errlen, PP_ERR_NOMEM, "out of memory building MSE:Set AT");
		goto out_free;
	}
	e = exchange(ch, 0x00, INS_MSE, 0xC1, 0xA4, &mse, false, &out, &sw);
	if (e != PP_OK) {
		e = fail(err, errlen, e, "MSE:Set AT: %s", pp_strerror(e));
		goto out_free;
	}
	if (sw != SW_OK && (sw & 0xFFF0) != 0x63C0) {
		e = sw == 0x6A88 || sw == SW_WRONG_DATA || sw == SW_FUNC_NOT_SUPPORTED
		            ? fail(err, errlen, PP_ERR_NOT_SUPPORTED,
		                   "MSE:Set AT: the chip does not accept %s with this password (%04X); use BAC", p.name, sw)
		            : step_status(sw, "MSE:Set AT", false, err, errlen);
		goto out_free;
	}

	/* 1: the encrypted nonce */
	const char *step = "GENERAL AUTHENTICATE (encrypted nonce)";
	e = general_authenticate(ch, true, 0, NULL, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = take(&out, 0x80, &enc_nonce, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (PACE_STEP2_dec_nonce(ctx, sec, enc_nonce) != 1) {
		e = fail(err, errlen, PP_ERR_PARSE, "%s: the nonce does not decrypt", step);
		goto out_free;
	}

	/* 2: mapping */
	step = "GENERAL AUTHENTICATE (map nonce)";
	map_pcd = PACE_STEP3A_generate_mapping_data(ctx);
	if (!map_pcd) {
		e = fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot make the mapping key", step);
		goto out_free;
	}
	e = general_authenticate(ch, true, 0x81, map_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = take(&out, 0x82, &map_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (!valid_chip_key(dp, ctx, map_picc) || PACE_STEP3A_map_generator(ctx, map_picc) != 1) {
		e = fail(err, errlen, PP_ERR_PARSE, "%s: the chip's mapping data is not a valid public key", step);
		goto out_free;
	}

	/* 3: key agreement */
	step = "GENERAL AUTHENTICATE (key agreement)";
	eph_pcd = PACE_STEP3B_generate_ephemeral_key(ctx);
	if (!eph_pcd) {
		e = fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot make the ephemeral key", step);
		goto out_free;
	}
	e = general_authenticate(ch, true, 0x83, eph_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = take(&out, 0x84, &eph_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if ((eph_picc->length == eph_pcd->length && memcmp(eph_picc->data, eph_pcd->data, eph_pcd->length) == 0) ||
	    !valid_chip_key(dp, ctx, eph_picc) || PACE_STEP3B_compute_shared_secret(ctx, eph_picc) != 1 ||
	    PACE_STEP3C_derive_keys(ctx) != 1) {
		e = fail(err, errlen, PP_ERR_PARSE, "%s: the chip's ephemeral key is not usable", step);
		goto out_free;
	}

	/* 4: mutual authentication, the only command that ends the chain */
	step = "GENERAL AUTHENTICATE (mutual authentication)";
	token_pcd = PACE_STEP3D_compute_authentication_token(ctx, eph_picc);
	if (!token_pcd) {
		e = fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot compute the token", step);
		goto out_free;
	}
	e = general_authenticate(ch, false, 0x85, token_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = step_status(sw, step, true, err, errlen);
	if (e == PP_OK)
		e = take(&out, 0x86, &token_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (PACE_STEP3D_verify_authentication_token(ctx, token_picc) != 1) {
		e = fail(err, errlen, PP_ERR_ACCESS_DENIED,
		         "%s: the chip's token does not verify: it does not share the session keys", step);
		goto out_free;
	}
	e = session_from(&p, ctx->pace_ctx->ka_ctx, &session);
	if (e != PP_OK) {
		fail(err, errlen, e, "%s: OpenPACE derived no usable session keys", step);
		goto out_free;
	}
	if (run->cam) {
		buf ca = BUF_INIT;
		e = take(&out, 0x8A, &cam_enc, step, err, errlen);
		if (e == PP_ERR_PARSE)
			e = fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip sent no chip authentication data (8A) in PACE-CAM (possible cloned chip)",
			         step);
		if (e == PP_OK && sm_cam_decrypt(&session, (const uint8_t *)cam_enc->data, cam_enc->length, &ca) !=
		                          CRYPTO_OK)
			e = fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the encrypted chip authentication data does not decrypt (possible cloned chip)", step);
		/* CA_IC is an integer mod n, as many bytes as n (part 11, 4.4.3.5.1) */
		size_t n_len = order_len(run->curve_nid);
		if (e == PP_OK && (n_len == 0 || ca.len != n_len))
			e = fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip authentication data is %zu bytes, not the %zu of the curve's order "
			         "(possible cloned chip)",
			         step, ca.len, n_len);
		run->pk_map = malloc(map_picc->length);
		if (e == PP_OK && !run->pk_map)
			e = fail(err, errlen, PP_ERR_NOMEM, "out of memory keeping PACE-CAM data");
		if (e != PP_OK) {
			buf_free(&ca);
			goto out_free;
		}
		memcpy(run->pk_map, map_picc->data, map_picc->length);
		run->pk_map_len = map_picc->length;
		run->ca_ic = buf_steal(&ca, &run->ca_ic_len);
	}
	pp_channel_set_sm(ch, &session);
	*ret = run;
	run = NULL;
	e = PP_OK;
out_free:
	OPENSSL_cleanse(&session, sizeof session);
	BUF_MEM_clear_free(enc_nonce);
	BUF_MEM_clear_free(map_pcd);
	BUF_MEM_clear_free(map_picc);
	BUF_MEM_clear_free(eph_pcd);
	BUF_MEM_clear_free(eph_picc);
	BUF_MEM_clear_free(token_pcd);
	BUF_MEM_clear_free(token_picc);
	BUF_MEM_clear_free(cam_enc);
	buf_free(&out);
	buf_free(&mse);
	PACE_SEC_clear_free(sec);
	EAC_CTX_clear_free(ctx);
	pp_pace_free(run);
	return e;
}

const pp_protocol_info *pp_pace_info(const pp_pace *p)
{
	return p ? &p->info : NULL;
}

bool pp_pace_is_cam(const pp_pace *p)
{
	return p && p->cam;
}

/* ---- DG14 ---- */

/* The SET inside DG14's 6E wrapper (or the bytes themselves). */
static void dg14_set(const uint8_t *dg14, size_t len, const uint8_t **ret, size_t *ret_len)
{
	tlv t;
	if (tlv_parse_one(dg14, len, &t) == TLV_OK && t.tag == 0x6E) {
		*ret = t.value;
		*ret_len = t.len;
	} else {
		*ret = dg14;
		*ret_len = len;
	}
}

/* The EC public key of DG14's first id-PK-ECDH ChipAuthenticationPublicKeyInfo. */
static EVP_PKEY *dg14_ec_key(const uint8_t *dg14, size_t len)
{
	secinfo_list list;
	if (secinfo_parse(dg14, len, &list) != CRYPTO_OK)
		return NULL;
	EVP_PKEY *key = NULL;
	for (size_t i = 0; i < list.n && !key; i++) {
		const secinfo_entry *s = &list.entries[i];
		if (s->kind != SECINFO_CA_PUBLIC_KEY || strcmp(s->name, "id-PK-ECDH") != 0)
			continue;
		tlv info, oid, spki;
		const uint8_t *pos;
		if (tlv_parse_one(dg14 + s->offset, s->len, &info) != TLV_OK)
			continue;
		pos = info.value;
		if (tlv_next(&pos, info.value + info.len, &oid) != TLV_OK ||
		    tlv_next(&pos, info.value + info.len, &spki) != TLV_OK)
			continue;
		const unsigned char *p = spki.raw;
		key = d2i_PUBKEY(NULL, &p, (long)spki.raw_len);
		if (key && !EVP_PKEY_is_a(key, "EC")) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	secinfo_list_free(&list);
	return key;
}

pp_err pp_pace_cam_verify(const pp_pace *p, const uint8_t *dg14, size_t dg14_len, char *err, size_t errlen)
{
	if (!p || !dg14)
		return fail(err, errlen, PP_ERR_ARG, "PACE-CAM check needs a PACE run and DG14");
	if (!p->cam)
		return fail(err, errlen, PP_ERR_NOT_SUPPORTED, "PACE did not use chip authentication mapping");
	if (!p->ca_ic || !p->ca_ic_len || !p->pk_map)
		return fail(err, errlen, PP_ERR_CHIP_AUTH,
		            "PACE-CAM: the run has no chip authentication data to check (possible cloned chip)");
	EVP_PKEY *pk_ic = dg14_ec_key(dg14, dg14_len);
	if (!pk_ic)
		return fail(err, errlen, PP_ERR_PARSE, "DG14 holds no EC chip authentication public key");
	pp_err e = PP_ERR_CRYPTO;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(p->curve_nid), *dg14_group = NULL;
	EC_POINT *pk = NULL, *map = NULL, *prod = NULL;
	BIGNUM *ca = BN_bin2bn(p->ca_ic, (int)p->ca_ic_len, NULL);
	BN_CTX *bn = BN_CTX_new();
	OSSL_PARAM *params = NULL;
	uint8_t point[160];
	size_t point_len = 0;
	if (!group || !ca || !bn || EVP_PKEY_todata(pk_ic, EVP_PKEY_PUBLIC_KEY, &params) != 1 ||
	    !(dg14_group = EC_GROUP_new_from_params(params, NULL, NULL)))
		goto out_free;
	if (EC_GROUP_cmp(group, dg14_group, bn) != 0) {
		e = fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: DG14's chip authentication key is not on the PACE curve (possible cloned chip)");
		goto out_free;
	}
	pk = EC_POINT_new(group);
	map = EC_POINT_new(group);
	prod = EC_POINT_new(group);
	if (!pk || !map || !prod ||
	    !EVP_PKEY_get_octet_string_param(pk_ic, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &point_len) ||
	    EC_POINT_oct2point(group, pk, point, point_len, bn) != 1)
		goto out_free;
	if (EC_POINT_is_at_infinity(group, pk)) {
		e = fail(err, errlen, PP_ERR_CHIP_AUTH, "PACE-CAM: DG14's chip authentication key is the point at infinity");
		goto out_free;
	}
	if (EC_POINT_oct2point(group, map, p->pk_map, p->pk_map_len, bn) != 1 || EC_POINT_is_at_infinity(group, map)) {
		e = fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip's mapping key is not a point of the curve (possible cloned chip)");
		goto out_free;
	}
	/* CA_IC: exactly as long as n, 1 <= CA_IC < n; else CA_IC = n would
	 * map any key to the point at infinity */
	const BIGNUM *n = EC_GROUP_get0_order(group);
	if (p->ca_ic_len != (size_t)BN_num_bytes(n) || BN_is_zero(ca) || BN_cmp(ca, n) >= 0) {
		e = fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip authentication data is not a number between 1 and the curve's order "
		         "(possible cloned chip)");
		goto out_free;
	}
	/* PK_Map,IC = CA_IC * PK_IC (part 11, 4.4.3.5.2) */
	if (EC_POINT_mul(group, prod, NULL, pk, ca, bn) != 1)
		goto out_free;
	if (EC_POINT_cmp(group, prod, map, bn) != 0) {
		e = fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip authentication data does not match DG14's public key (possible cloned chip)");
		goto out_free;
	}
	e = PP_OK;
out_free:
	if (e == PP_ERR_CRYPTO)
		fail(err, errlen, e, "PACE-CAM: the check could not be computed (OpenSSL failure)");
	OSSL_PARAM_free(params);
	EC_POINT_free(pk);
	EC_POINT_free(map);
	EC_POINT_free(prod);
	EC_GROUP_free(group);
	EC_GROUP_free(dg14_group);
	BN_clear_free(ca);
	BN_CTX_free(bn);
	EVP_PKEY_free(pk_ic);
	return e;
}

/* ---- chip authentication ---- */

/* A key reference as DO'84 carries it: the key id as a minimal big-endian
 * unsigned integer (one byte for 0 to 255). Returns its length. */
static size_t key_reference(int id, uint8_t out[sizeof(int)])
{
	unsigned v = (unsigned)id;
	size_t n = 1;
	while (n < sizeof(int) && (v >> (8 * n)) != 0)
		n++;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

/* DG14's public key as OpenPACE's key agreement takes it: the encoded
 * point (EC), or the public value y as a big-endian number (DH).
 *
 * OpenPACE reads a DH key's DomainParameters as PKCS #3 (p, g), and
 * OpenSSL, recognising a named group such as the 1024-bit MODP group of
 * RFC 5114, adds its q; the key is then a legacy X9.42 ("DHX") key, whose
 * encoded public key and domain parameters OpenSSL 3.0 cannot export
 * (its parameter translation knows DH and DSA keys, not DHX). The public
 * value alone can be had as a number. */
static BUF_MEM *chip_public_key(EVP_PKEY *key)
{
	unsigned char *enc = NULL;
	size_t enc_len = EVP_PKEY_get1_encoded_public_key(key, &enc);
	BUF_MEM *ret = enc_len ? buf_mem_from(enc, enc_len) : NULL;
	OPENSSL_free(enc);
	if (ret || !(EVP_PKEY_is_a(key, "DH") || EVP_PKEY_is_a(key, "DHX")))
		return ret;
	BIGNUM *y = NULL;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 && !BN_is_zero(y)) {
		int n = BN_num_bytes(y);
		uint8_t *bytes = OPENSSL_malloc((size_t)n);
		if (bytes && BN_bn2bin(y, bytes) == n)
			ret = buf_mem_from(bytes, (size_t)n);
		OPENSSL_free(bytes);
	}
	BN_free(y);
	return ret;
}

/* The session after chip authentication as ICAO 9303 part 11 (6.2.3)
 * derives it: keys from the shared secret K alone, with the protocol's
 * cipher and key length; SSC zero. */
static pp_err session_from_secret(const protocol *p, const BUF_MEM *k, sm_ctx *ret)
{
	crypto_err e = sm_init_from_secret(ret, (const uint8_t *)k->data, k->length, p->aes, p->key_len);
	return e == CRYPTO_OK ? PP_OK : PP_ERR_CRYPTO;
}

static pp_err ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len, pp_protocol_info *ret, char *err,
                     size_t errlen)
{
	if (!ch || !dg14 || !ret)
		return fail(err, errlen, PP_ERR_ARG, "chip authentication needs a channel and DG14");
	if (!ch->secure)
		return fail(err, errlen, PP_ERR_ARG, "chip authentication runs under a secure messaging session");
	pthread_once(&eac_once, eac_init_once);

	const uint8_t *set;
	size_t set_len;
	dg14_set(dg14, dg14_len, &set, &set_len);
	EAC_CTX *ctx = EAC_CTX_new();
	BUF_MEM *pk_ic = NULL, *eph = NULL, *nonce = NULL, *token = NULL, *comp = NULL;
	buf out = BUF_INIT, cmd = BUF_INIT;
	uint16_t sw = 0;
	pp_err e;
	sm_ctx session;
	memset(&session, 0, sizeof session);
	const char *step = "reading DG14";
	if (!ctx) {
		e = fail(err, errlen, PP_ERR_NOMEM, "out of memory starting chip authentication");
		goto out_free;
	}
	if (EAC_CTX_init_ef_cardaccess(set, set_len, ctx) != 1 || !ctx->ca_ctx || !ctx->ca_ctx->ka_ctx ||
	    !ctx->ca_ctx->ka_ctx->key) {
		e = fail(err, errlen, PP_ERR_NOT_SUPPORTED,
		         "DG14 offers no chip authentication protocol and public key this reader supports");
		goto out_free;
	}
	CA_CTX *ca = ctx->ca_ctx;
	char dotted[64];
	protocol p;
	if (OBJ_obj2txt(dotted, sizeof dotted, OBJ_nid2obj(ca->protocol), 1) <= 0 || !describe(dotted, &p)) {
		e = fail(err, errlen, PP_ERR_NOT_SUPPORTED, "DG14 names a chip authentication protocol not known here");
		goto out_free;
	}
	memset(ret, 0, sizeof *ret);
	snprintf(ret->oid, sizeof ret->oid, "%s", p.oid);
	snprintf(ret->name, sizeof ret->name, "%s", p.name);
	snprintf(ret->agreement, sizeof ret->agreement, "%s", p.agreement);
	snprintf(ret->cipher, sizeof ret->cipher, "%s", p.cipher);
	ret->parameter_id = -1;
	ret->key_id = ca->id;
	char curve[32] = "";
	size_t curve_len = 0;
	if (EVP_PKEY_get_utf8_string_param(ca->ka_ctx->key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
	                                   &curve_len))
		snprintf(ret->domain, sizeof ret->domain, "%s", curve);
	else
		snprintf(ret->domain, sizeof ret->domain, "%d-bit %s", EVP_PKEY_get_bits(ca->ka_ctx->key),
		         strcmp(p.agreement, "ECDH") == 0 ? "curve" : "MODP group");

	/* The chip's static key, then our ephemeral key in its domain (the
	 * ephemeral pair replaces the static key inside OpenPACE). */
	pk_ic = chip_public_key(ca->ka_ctx->key);
	comp = pk_ic ? TA_STEP3_generate_ephemeral_key(ctx) : NULL;
	eph = comp ? CA_STEP2_get_eph_pubkey(ctx) : NULL;
	if (!eph) {
		e = fail(err, errlen, PP_ERR_CRYPTO, "chip authentication: cannot make an ephemeral key");
		goto out_free;
	}
	uint8_t kid[sizeof(int)];
	size_t kid_len = ca->id >= 0 ? key_reference(ca->id, kid) : 0;
	if (!p.aes) {
		/* 3DES: MSE:Set KAT with 91 ephemeral key (part 11, 6.2.4.1) */
		step = "MSE:Set KAT";
		buf_append_tlv(&cmd, 0x91, eph->data, eph->length);
		if (kid_len)
			buf_append_tlv(&cmd, 0x84, kid, kid_len);
		e = buf_ok(&cmd) ? exchange(ch, 0x00, INS_MSE, 0x41, 0xA6, &cmd, false, &out, &sw) : PP_ERR_NOMEM;
	} else {
		/* AES: MSE:Set AT with the protocol, then GENERAL AUTHENTICATE
		 * with 80 our ephemeral key; the chip answers 7C 00 (part 11,
		 * 6.2.4.2). A chip following BSI TR-03110 v2 answers 7C{81 nonce,
		 * 82 token} instead and derives the keys with the nonce. */
		step = "MSE:Set AT (chip authentication)";
		uint8_t oid[32];
		size_t oid_len = secinfo_oid_encode(p.oid, oid, sizeof oid);
		buf_append_tlv(&cmd, 0x80, oid, oid_len);
		if (kid_len)
			buf_append_tlv(&cmd, 0x84, kid, kid_len);
		e = buf_ok(&cmd) ? exchange(ch, 0x00, INS_MSE, 0x41, 0xA4, &cmd, false, &out, &sw) : PP_ERR_NOMEM;
		if (e == PP_OK && sw == SW_OK) {
			step = "GENERAL AUTHENTICATE (chip authentication)";
			e = general_authenticate(ch, false, 0x80, eph, &out, &sw, step, err, errlen);
			if (e == PP_OK && out.len) {
				e = take(&out, 0x81, &nonce, step, err, errlen);
				if (e == PP_OK)
					e = take(&out, 0x82, &token, step, err, errlen);
			}
			if (e != PP_OK && e != PP_ERR_STATUS)
				goto out_free;
			if (e == PP_ERR_STATUS)
				e = PP_OK; /* worded below with the status */
		}
	}
	if (e != PP_OK) {
		e = fail(err, errlen, e, "%s: %s", step, pp_strerror(e));
		goto out_free;
	}
	if (sw != SW_OK) {
		e = ch->sm_dropped ? fail(err, errlen, PP_ERR_CHIP_AUTH,
		                          "%s: the chip refused chip authentication (%04X) and dropped the session "
		                          "(possible cloned chip)",
		                          step, sw)
		                   : fail(err, errlen, PP_ERR_CHIP_AUTH,
		                          "%s: the chip refused chip authentication (%04X) (possible cloned chip)", step,
		                          sw);
		goto out_free;
	}
	if (CA_STEP4_compute_shared_secret(ctx, pk_ic) != 1 || !ca->ka_ctx->shared_secret) {
		e = fail(err, errlen, PP_ERR_CRYPTO, "chip authentication: key agreement with DG14's key failed");
		goto out_free;
	}
	if (nonce) {
		if (CA_STEP6_derive_keys(ctx, nonce, token) != 1) {
			e = fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip's authentication token does not verify: it does not hold DG14's private "
			         "key (possible cloned chip)",
			         step);
			goto out_free;
		}
		e = session_from(&p, ca->ka_ctx, &session);
	} else {
		e = session_from_secret(&p, ca->ka_ctx->shared_secret, &session);
	}
	if (e != PP_OK) {
		fail(err, errlen, e, "chip authentication: no usable session keys");
		goto out_free;
	}
	pp_channel_set_sm(ch, &session);
	/* The chip proves it holds DG14's key by speaking under the new keys
	 * (part 11, 6.2): a one-byte READ BINARY of EF.COM (SFI 1E) asks it
	 * to; any status under valid secure messaging will do. */
	step = "first command under the chip authentication keys";
	apdu probe = { .cla = 0x00, .ins = 0xB0, .p1 = 0x9E, .p2 = 0x00, .le = 1 };
	out.len = 0;
	e = pp_channel_exchange(ch, &probe, &out, &sw);
	if (e == PP_ERR_SM || (e == PP_OK && ch->sm_dropped)) {
		pp_channel_clear_sm(ch);
		e = fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "%s: the chip's answer does not verify: it does not hold DG14's private key "
		         "(possible cloned chip)",
		         step);
		goto out_free;
	}
	if (e != PP_OK) {
		e = fail(err, errlen, e, "%s: %s", step, pp_strerror(e));
		goto out_free;
	}
	e = PP_OK;
out_free:
	OPENSSL_cleanse(&session, sizeof session);
	BUF_MEM_clear_free(pk_ic);
	BUF_MEM_clear_free(eph);
	BUF_MEM_clear_free(comp);
	BUF_MEM_clear_free(nonce);
	BUF_MEM_clear_free(token);
	buf_free(&out);
	buf_free(&cmd);
	EAC_CTX_clear_free(ctx);
	return e;
}

/* PACE and chip authentication are access control: the channel lets
 * their commands go as they are sent, in the clear or not, and restores
 * nothing while they run (hal/passport/channel.h). */
pp_err pp_pace_run(pp_channel *ch, const uint8_t *card_access, size_t card_access_len, pp_pace_secret type,
                   const char *secret, pp_pace **ret, char *err, size_t errlen)
{
	if (ch)
		pp_channel_begin_access(ch);
	pp_err e = pace_run(ch, card_access, card_access_len, type, secret, ret, err, errlen);
	if (ch)
		pp_channel_end_access(ch);
	return e;
}

pp_err pp_ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len, pp_protocol_info *ret, char *err,
                 size_t errlen)
{
	if (ch)
		pp_channel_begin_access(ch);
	pp_err e = ca_run(ch, dg14, dg14_len, ret, err, errlen);
	if (ch)
		pp_channel_end_access(ch);
	return e;
}
