/*
 * ca — chip authentication, terminal side (ICAO 9303 part 11, 6.2): with
 * the key DG14 holds, 3DES by MSE:Set KAT, AES by MSE:Set AT and GENERAL
 * AUTHENTICATE (the chip answering 7C 00, or a TR-03110 v2 nonce and
 * token), then the session re-keyed; the chip's answer to the next
 * command, checked by the channel, is the proof. Built
 * on OpenPACE; see eac-internal.h.
 */
#include "hal/passport/eac-internal.h"

#include <stdio.h>
#include <string.h>

#include <eac/ca.h>
#include <eac/ta.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/secinfo.h"
#include "hal/passport/sw-internal.h"

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

static pp_err ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len,
                     pp_protocol_info *ret, char *err, size_t errlen)
{
	if (!ch || !dg14 || !ret)
		return eac_fail(err, errlen, PP_ERR_ARG, "chip authentication needs a channel and DG14");
	if (!ch->secure)
		return eac_fail(err, errlen, PP_ERR_ARG, "chip authentication runs under a secure messaging session");
	eac_init();

	const uint8_t *set;
	size_t set_len;
	eac_dg14_set(dg14, dg14_len, &set, &set_len);
	EAC_CTX *ctx = EAC_CTX_new();
	BUF_MEM *pk_ic = NULL, *eph = NULL, *nonce = NULL, *token = NULL, *comp = NULL;
	crypto_buf out = CRYPTO_BUF_INIT, cmd = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	pp_err e;
	sm_ctx session;
	memset(&session, 0, sizeof session);
	const char *step = "reading DG14";
	if (!ctx) {
		e = eac_fail(err, errlen, PP_ERR_NOMEM, "out of memory starting chip authentication");
		goto out_free;
	}
	if (EAC_CTX_init_ef_cardaccess(set, set_len, ctx) != 1 || !ctx->ca_ctx || !ctx->ca_ctx->ka_ctx ||
	    !ctx->ca_ctx->ka_ctx->key) {
		e = eac_fail(err, errlen, PP_ERR_NOT_SUPPORTED,
		         "DG14 offers no chip authentication protocol and public key this reader supports");
		goto out_free;
	}
	CA_CTX *ca = ctx->ca_ctx;
	char dotted[64];
	protocol p;
	if (OBJ_obj2txt(dotted, sizeof dotted, OBJ_nid2obj(ca->protocol), 1) <= 0 || !eac_describe(dotted, &p)) {
		e = eac_fail(err, errlen, PP_ERR_NOT_SUPPORTED, "DG14 names a chip authentication protocol not known here");
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
		e = eac_fail(err, errlen, PP_ERR_CRYPTO, "chip authentication: cannot make an ephemeral key");
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
		e = buf_ok(&cmd) ? eac_exchange(ch, 0x00, INS_MSE, 0x41, 0xA6, &cmd, false, &out, &sw) : PP_ERR_NOMEM;
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
		e = buf_ok(&cmd) ? eac_exchange(ch, 0x00, INS_MSE, 0x41, 0xA4, &cmd, false, &out, &sw) : PP_ERR_NOMEM;
		if (e == PP_OK && sw == SW_OK) {
			step = "GENERAL AUTHENTICATE (chip authentication)";
			e = eac_general_authenticate(ch, false, 0x80, eph, &out, &sw, step, err, errlen);
			if (e == PP_OK && out.len) {
				e = eac_take(&out, 0x81, &nonce, step, err, errlen);
				if (e == PP_OK)
					e = eac_take(&out, 0x82, &token, step, err, errlen);
			}
			if (e != PP_OK && e != PP_ERR_STATUS)
				goto out_free;
			if (e == PP_ERR_STATUS)
				e = PP_OK; /* worded below with the status */
		}
	}
	if (e != PP_OK) {
		e = eac_fail(err, errlen, e, "%s: %s", step, pp_strerror(e));
		goto out_free;
	}
	if (sw != SW_OK) {
		/* Refusing the protocol its own signed DG14 offers is the chip's
		 * doing (possible clone). A status of the moment — a chip at the
		 * edge of the field, secure messaging refused, not allowed now —
		 * proves nothing about the key: the read ends on it, in words. */
		char text[PP_SW_TEXT_LEN];
		bool refuses_protocol = pp_sw_kind_of(sw) == PP_SW_UNSUPPORTED;
		e = eac_fail(err, errlen, refuses_protocol ? PP_ERR_CHIP_AUTH : PP_ERR_STATUS,
		             "%s: the chip refused chip authentication%s: status %s%s", step,
		             ch->sm_dropped ? " in the clear" : "", pp_sw_text(sw, text),
		             refuses_protocol ? " (possible cloned chip)" : "");
		goto out_free;
	}
	if (CA_STEP4_compute_shared_secret(ctx, pk_ic) != 1 || !ca->ka_ctx->shared_secret) {
		e = eac_fail(err, errlen, PP_ERR_CRYPTO, "chip authentication: key agreement with DG14's key failed");
		goto out_free;
	}
	if (nonce) {
		if (CA_STEP6_derive_keys(ctx, nonce, token) != 1) {
			e = eac_fail(err, errlen, PP_ERR_CHIP_AUTH,
			         "%s: the chip's authentication token does not verify: it does not hold DG14's private "
			         "key (possible cloned chip)",
			         step);
			goto out_free;
		}
		e = eac_session_from(&p, ca->ka_ctx, &session);
	} else {
		e = session_from_secret(&p, ca->ka_ctx->shared_secret, &session);
	}
	if (e != PP_OK) {
		eac_fail(err, errlen, e, "chip authentication: no usable session keys");
		goto out_free;
	}
	/* The chip proves it holds DG14's key by answering the next command
	 * under the new keys (part 11, 6.2): the channel checks that answer
	 * (channel-internal.h), whichever command it is. */
	pp_channel_set_sm(ch, &session);
	pp_channel_expect_proof(ch);
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

/* Chip authentication is access control: the channel lets
 * its commands go as they are sent, in the clear or not, and restores
 * nothing while it runs (hal/passport/channel-internal.h). */
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
