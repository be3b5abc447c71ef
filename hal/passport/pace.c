/*
 * pace — PACE, terminal side (ICAO 9303 part 11, 4.4), and checking
 * PACE-CAM against DG14; chip authentication is in ca.c, what both share
 * in eac.c. See eac-internal.h.
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
#include "hal/passport/eac-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eac/pace.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/secinfo.h"
#include "crypto/tlv.h"

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
	const std_dp *dp = eac_find_dp(param_id);
	if (!dp || strcmp(p->mapping, "IM") == 0)
		return false;
	bool ec = dp->nid != NID_undef;
	if (ec != (strcmp(p->agreement, "ECDH") == 0))
		return false;
	return eac_openpace_nid(p) != NID_undef;
}

/* The PACEInfo to run: the first PACE-CAM one this stack supports, else
 * the first supported one, in the file's order. CAM goes first because it
 * proves the chip as well (a chip offering both should not be let off
 * with GM). */
static pp_err choose_pace(const uint8_t *ca, size_t ca_len, protocol *ret, int *ret_param, char *err, size_t errlen)
{
	secinfo_list list;
	if (secinfo_parse(ca, ca_len, &list) != CRYPTO_OK)
		return eac_fail(err, errlen, PP_ERR_PARSE, "EF.CardAccess is not a SET OF SecurityInfo");
	pp_err e = PP_ERR_NOT_SUPPORTED;
	bool any = false;
	for (int want_cam = 1; want_cam >= 0 && e != PP_OK; want_cam--) {
		for (size_t i = 0; i < list.n; i++) {
			const secinfo_entry *s = &list.entries[i];
			protocol p;
			if (s->kind != SECINFO_PACE)
				continue;
			any = true;
			if (eac_describe(s->oid, &p) && (!want_cam || strcmp(p.mapping, "CAM") == 0) &&
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
		eac_fail(err, errlen, e,
		     any ? "EF.CardAccess offers only PACE variants this reader does not support (integrated "
		           "mapping or explicit domain parameters); use BAC"
		         : "EF.CardAccess offers no PACE protocol; use BAC");
	return e;
}

pp_err eac_session_from(const protocol *p, const KA_CTX *ka, sm_ctx *ret)
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
		return eac_fail(err, errlen, PP_ERR_ARG, "PACE needs a channel, EF.CardAccess, a password and its type");
	eac_init();

	protocol p;
	int param_id = -1;
	pp_err e = choose_pace(card_access, card_access_len, &p, &param_id, err, errlen);
	if (e != PP_OK)
		return e;
	const std_dp *dp = eac_find_dp(param_id);

	pp_pace *run = calloc(1, sizeof *run);
	EAC_CTX *ctx = EAC_CTX_new();
	PACE_SEC *sec = make_secret(type, secret);
	BUF_MEM *enc_nonce = NULL, *map_pcd = NULL, *map_picc = NULL, *eph_pcd = NULL, *eph_picc = NULL,
		*token_pcd = NULL, *token_picc = NULL, *cam_enc = NULL;
	crypto_buf out = CRYPTO_BUF_INIT, mse = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	sm_ctx session;
	memset(&session, 0, sizeof session);
	if (!run || !ctx) {
		e = eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory starting PACE");
		goto out_free;
	}
	if (!sec) {
		e = eac_fail(err, errlen, PP_ERR_ARG, "the %s is not usable as a PACE password (CAN: digits only)",
		         type == PP_PACE_CAN ? "CAN" : "MRZ information");
		goto out_free;
	}
	if (EAC_CTX_init_pace(ctx, eac_openpace_nid(&p), param_id) != 1) {
		e = eac_fail(err, errlen, PP_ERR_NOT_SUPPORTED, "OpenPACE cannot set up %s with parameters %d", p.name,
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
		e = eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory building MSE:Set AT");
		goto out_free;
	}
	e = eac_exchange(ch, 0x00, INS_MSE, 0xC1, 0xA4, &mse, false, &out, &sw);
	if (e != PP_OK) {
		e = eac_fail(err, errlen, e, "MSE:Set AT: %s", pp_strerror(e));
		goto out_free;
	}
	if (sw != SW_OK && (sw & 0xFFF0) != 0x63C0) {
		e = sw == 0x6A88 || sw == SW_WRONG_DATA || sw == SW_FUNC_NOT_SUPPORTED
		            ? eac_fail(err, errlen, PP_ERR_NOT_SUPPORTED,
		                   "MSE:Set AT: the chip does not accept %s with this password (%04X); use BAC", p.name, sw)
		            : eac_step_status(sw, "MSE:Set AT", false, err, errlen);
		goto out_free;
	}

	/* 1: the encrypted nonce */
	const char *step = "GENERAL AUTHENTICATE (encrypted nonce)";
	e = eac_general_authenticate(ch, true, 0, NULL, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = eac_step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = eac_take(&out, 0x80, &enc_nonce, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (PACE_STEP2_dec_nonce(ctx, sec, enc_nonce) != 1) {
		e = eac_fail(err, errlen, PP_ERR_PARSE, "%s: the nonce does not decrypt", step);
		goto out_free;
	}

	/* 2: mapping */
	step = "GENERAL AUTHENTICATE (map nonce)";
	map_pcd = PACE_STEP3A_generate_mapping_data(ctx);
	if (!map_pcd) {
		e = eac_fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot make the mapping key", step);
		goto out_free;
	}
	e = eac_general_authenticate(ch, true, 0x81, map_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = eac_step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = eac_take(&out, 0x82, &map_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (!eac_valid_chip_key(dp, ctx, map_picc) || PACE_STEP3A_map_generator(ctx, map_picc) != 1) {
		e = eac_fail(err, errlen, PP_ERR_PARSE, "%s: the chip's mapping data is not a valid public key", step);
		goto out_free;
	}

	/* 3: key agreement */
	step = "GENERAL AUTHENTICATE (key agreement)";
	eph_pcd = PACE_STEP3B_generate_ephemeral_key(ctx);
	if (!eph_pcd) {
		e = eac_fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot make the ephemeral key", step);
		goto out_free;
	}
	e = eac_general_authenticate(ch, true, 0x83, eph_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = eac_step_status(sw, step, false, err, errlen);
	if (e == PP_OK)
		e = eac_take(&out, 0x84, &eph_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if ((eph_picc->length == eph_pcd->length && memcmp(eph_picc->data, eph_pcd->data, eph_pcd->length) == 0) ||
	    !eac_valid_chip_key(dp, ctx, eph_picc) || PACE_STEP3B_compute_shared_secret(ctx, eph_picc) != 1 ||
	    PACE_STEP3C_derive_keys(ctx) != 1) {
		e = eac_fail(err, errlen, PP_ERR_PARSE, "%s: the chip's ephemeral key is not usable", step);
		goto out_free;
	}

	/* 4: mutual authentication, the only command that ends the chain */
	step = "GENERAL AUTHENTICATE (mutual authentication)";
	token_pcd = PACE_STEP3D_compute_authentication_token(ctx, eph_picc);
	if (!token_pcd) {
		e = eac_fail(err, errlen, PP_ERR_CRYPTO, "%s: cannot compute the token", step);
		goto out_free;
	}
	e = eac_general_authenticate(ch, false, 0x85, token_pcd, &out, &sw, step, err, errlen);
	if (e == PP_ERR_STATUS)
		e = eac_step_status(sw, step, true, err, errlen);
	if (e == PP_OK)
		e = eac_take(&out, 0x86, &token_picc, step, err, errlen);
	if (e != PP_OK)
		goto out_free;
	if (PACE_STEP3D_verify_authentication_token(ctx, token_picc) != 1) {
		e = eac_fail(err, errlen, PP_ERR_ACCESS_DENIED,
		         "%s: the chip's token does not verify: it does not share the session keys", step);
		goto out_free;
	}
	e = eac_session_from(&p, ctx->pace_ctx->ka_ctx, &session);
	if (e != PP_OK) {
		eac_fail(err, errlen, e, "%s: OpenPACE derived no usable session keys", step);
		goto out_free;
	}
	if (run->cam) {
		crypto_buf ca = CRYPTO_BUF_INIT;
		e = eac_take(&out, 0x8A, &cam_enc, step, err, errlen);
		if (e == PP_ERR_PARSE)
			e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip sent no chip authentication data (8A) in PACE-CAM (possible cloned chip)",
			         step);
		if (e == PP_OK && sm_cam_decrypt(&session, (const uint8_t *)cam_enc->data, cam_enc->length, &ca) !=
		                          CRYPTO_OK)
			e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the encrypted chip authentication data does not decrypt (possible cloned chip)", step);
		/* CA_IC is an integer mod n, as many bytes as n (part 11, 4.4.3.5.1) */
		size_t n_len = eac_order_len(run->curve_nid);
		if (e == PP_OK && (n_len == 0 || ca.len != n_len))
			e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip authentication data is %zu bytes, not the %zu of the curve's order "
			         "(possible cloned chip)",
			         step, ca.len, n_len);
		run->pk_map = malloc(map_picc->length);
		if (e == PP_OK && !run->pk_map)
			e = eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory keeping PACE-CAM data");
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
void eac_dg14_set(const uint8_t *dg14, size_t len, const uint8_t **ret, size_t *ret_len)
{
	crypto_tlv t;
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
		crypto_tlv info, oid, spki;
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
		return eac_fail(err, errlen, PP_ERR_ARG, "PACE-CAM check needs a PACE run and DG14");
	if (!p->cam)
		return eac_fail(err, errlen, PP_ERR_NOT_SUPPORTED, "PACE did not use chip authentication mapping");
	if (!p->ca_ic || !p->ca_ic_len || !p->pk_map)
		return eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
		            "PACE-CAM: the run has no chip authentication data to check (possible cloned chip)");
	EVP_PKEY *pk_ic = dg14_ec_key(dg14, dg14_len);
	if (!pk_ic)
		return eac_fail(err, errlen, PP_ERR_PARSE, "DG14 holds no EC chip authentication public key");
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
		e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
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
		e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH, "PACE-CAM: DG14's chip authentication key is the point at infinity");
		goto out_free;
	}
	if (EC_POINT_oct2point(group, map, p->pk_map, p->pk_map_len, bn) != 1 || EC_POINT_is_at_infinity(group, map)) {
		e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip's mapping key is not a point of the curve (possible cloned chip)");
		goto out_free;
	}
	/* CA_IC: exactly as long as n, 1 <= CA_IC < n; else CA_IC = n would
	 * map any key to the point at infinity */
	const BIGNUM *n = EC_GROUP_get0_order(group);
	if (p->ca_ic_len != (size_t)BN_num_bytes(n) || BN_is_zero(ca) || BN_cmp(ca, n) >= 0) {
		e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip authentication data is not a number between 1 and the curve's order "
		         "(possible cloned chip)");
		goto out_free;
	}
	/* PK_Map,IC = CA_IC * PK_IC (part 11, 4.4.3.5.2) */
	if (EC_POINT_mul(group, prod, NULL, pk, ca, bn) != 1)
		goto out_free;
	if (EC_POINT_cmp(group, prod, map, bn) != 0) {
		e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
		         "PACE-CAM: the chip authentication data does not match DG14's public key (possible cloned chip)");
		goto out_free;
	}
	e = PP_OK;
out_free:
	if (e == PP_ERR_CRYPTO)
		eac_fail(err, errlen, e, "PACE-CAM: the check could not be computed (OpenSSL failure)");
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

/* PACE and chip authentication are access control: the channel lets
 * their commands go as they are sent, in the clear or not, and restores
 * nothing while they run (hal/passport/channel-internal.h). */
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
