/*
 * eac_card — PACE and chip authentication, chip side; see eac_card.h.
 *
 * The protocol state is named for what the chip waits on next; any error
 * ends the run (state back to idle), as a real chip does. The OpenPACE
 * context of a run lives here and is freed with it.
 */
#include "devices/vpass/eac_card.h"

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
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto/icao.h"
#include "crypto/secinfo.h"
#include "crypto/tlv.h"

typedef enum eac_state {
	EAC_IDLE = 0,
	EAC_PACE_EXPECT_NONCE_REQUEST, /* GA 1: 7C 00 */
	EAC_PACE_EXPECT_MAPPING,       /* GA 2: 7C{81} */
	EAC_PACE_EXPECT_KEY,           /* GA 3: 7C{83} */
	EAC_PACE_EXPECT_TOKEN,         /* GA 4: 7C{85} */
	EAC_CA_EXPECT_KEY,             /* GA: 7C{80} after MSE:Set AT for CA */
} eac_state;

struct vpass_eac {
	eac_state state;
	EAC_CTX *ctx;
	bool cam;            /* the PACE run is chip authentication mapping */
	size_t key_len;      /* session key length: 16 (3DES or AES-128), 24, 32 */
	bool aes;
	PACE_SEC *sec;       /* the PACE password */
	BUF_MEM *eph_pcd;    /* the terminal's ephemeral PACE key, for our token */
	EVP_PKEY *clone_key; /* ca_wrong_key: made on first use */
};



vpass_eac *vpass_eac_new(void)
{
	EAC_init();
	return calloc(1, sizeof(vpass_eac));
}

void vpass_eac_reset(vpass_eac *e)
{
	if (!e)
		return;
	EAC_CTX_clear_free(e->ctx);
	e->ctx = NULL;
	BUF_MEM_clear_free(e->eph_pcd);
	e->eph_pcd = NULL;
	PACE_SEC_clear_free(e->sec);
	e->sec = NULL;
	e->state = EAC_IDLE;
	e->cam = false;
}

void vpass_eac_free(vpass_eac *e)
{
	if (!e)
		return;
	vpass_eac_reset(e);
	EVP_PKEY_free(e->clone_key);
	free(e);
}

/* A run failed: the chip forgets it and answers sw. */
static uint16_t abort_run(vpass_eac *e, uint16_t sw)
{
	vpass_eac_reset(e);
	return sw;
}

/* The chip authentication key in force: the document's, or a fresh one of
 * the same domain parameters for a cloned chip. */
static EVP_PKEY *ca_key(vpass_eac *e, const vpass_eac_env *env)
{
	EVP_PKEY *genuine = env->doc->ca_key;
	if (!genuine || !env->ca_wrong_key)
		return genuine;
	if (!e->clone_key) {
		EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_pkey(NULL, genuine, NULL);
		EVP_PKEY *key = NULL;
		if (kctx && EVP_PKEY_keygen_init(kctx) == 1 && EVP_PKEY_keygen(kctx, &key) == 1)
			e->clone_key = key;
		EVP_PKEY_CTX_free(kctx);
	}
	return e->clone_key;
}

/* The session keys a protocol derived, as an sm_ctx with SSC zero. */
static bool session_from(const vpass_eac *e, const KA_CTX *ka, sm_ctx *ret)
{
	static const uint8_t zero[16];
	if (!ka || !ka->k_enc || !ka->k_mac || ka->k_enc->length != e->key_len || ka->k_mac->length != e->key_len)
		return false;
	if (e->aes)
		return sm_init_aes(ret, (const uint8_t *)ka->k_enc->data, (const uint8_t *)ka->k_mac->data, e->key_len,
		                   zero) == CRYPTO_OK;
	return sm_init_3des(ret, (const uint8_t *)ka->k_enc->data, (const uint8_t *)ka->k_mac->data, zero) ==
	       CRYPTO_OK;
}

/* The cipher a protocol OID's last arc names (ICAO 9303 part 11, 9.2):
 * 1 3DES, 2/3/4 AES-128/192/256. */
static bool cipher_of(const char *dotted, bool *ret_aes, size_t *ret_key_len)
{
	const char *dot = strrchr(dotted, '.');
	if (!dot || dot[1] < '1' || dot[1] > '4' || dot[2])
		return false;
	int arc = dot[1] - '0';
	*ret_aes = arc != 1;
	*ret_key_len = arc == 1 ? 16 : arc == 2 ? 16 : arc == 3 ? 24 : 32;
	return true;
}

/* The session after chip authentication (part 11, 6.2.3): keys from the
 * shared secret K alone, in the protocol's cipher; SSC zero. */
static bool session_from_secret(const vpass_eac *e, const BUF_MEM *k, sm_ctx *ret)
{
	return k && sm_init_from_secret(ret, (const uint8_t *)k->data, k->length, e->aes, e->key_len) == CRYPTO_OK;
}

/* DO'84 of a CA command: the key id as a big-endian unsigned integer of 1
 * to 4 bytes (not above INT_MAX). */
static bool key_id_of(const crypto_tlv *kid, int *ret)
{
	if (kid->len < 1 || kid->len > 4 || (kid->len == 4 && kid->value[0] & 0x80))
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < kid->len; i++)
		v = v << 8 | kid->value[i];
	*ret = (int)v;
	return true;
}

/* ---- MSE:Set AT for PACE ---- */

static PACE_SEC *pace_secret(const vpass_doc *doc, uint8_t ref)
{
	if (ref == 0x02)
		return doc->can[0] ? PACE_SEC_new(doc->can, strlen(doc->can), PACE_CAN) : NULL;
	if (ref != 0x01 || !doc->has_access)
		return NULL;
	char mrz[ICAO_MRZ_INFO_MAX];
	if (icao_mrz_information(doc->doc_number, doc->birth_date, doc->expiry_date, mrz, NULL) != CRYPTO_OK)
		return NULL;
	/* K = SHA-1(MRZ_information), handed to OpenPACE as a raw secret:
	 * its own MRZ encoding expects the TD1 layout of an ID card. */
	uint8_t k[SHA_DIGEST_LENGTH];
	SHA1((const uint8_t *)mrz, strlen(mrz), k);
	PACE_SEC *sec = PACE_SEC_new((const char *)k, sizeof k, PACE_RAW);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(mrz, sizeof mrz);
	return sec;
}

static uint16_t mse_pace(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a)
{
	if (env->app_selected || env->secured)
		return SW_CONDITIONS; /* PACE runs in the clear on the MF level */
	crypto_tlv oid, ref, param;
	if (tlv_find(a->data, a->lc, 0x80, &oid) != TLV_OK || tlv_find(a->data, a->lc, 0x83, &ref) != TLV_OK ||
	    ref.len != 1)
		return SW_WRONG_DATA;
	bool has_param = tlv_find(a->data, a->lc, 0x84, &param) == TLV_OK;
	if (has_param && param.len != 1)
		return SW_WRONG_DATA;
	char dotted[64];
	if (!secinfo_oid_dotted(oid.value, oid.len, dotted, sizeof dotted))
		return SW_WRONG_DATA;

	/* The protocol must be one EF.CardAccess offers, with those parameters. */
	const vpass_file *f = vpass_doc_find(env->doc, VPASS_FID_CARD_ACCESS);
	secinfo_list list;
	if (!f || secinfo_parse(f->data, f->len, &list) != CRYPTO_OK)
		return VPASS_SW_REF_NOT_FOUND;
	int param_id = -1;
	for (size_t i = 0; i < list.n && param_id < 0; i++) {
		const secinfo_entry *s = &list.entries[i];
		if (s->kind == SECINFO_PACE && strcmp(s->oid, dotted) == 0 && s->id >= 0 &&
		    (!has_param || s->id == param.value[0]))
			param_id = s->id;
	}
	secinfo_list_free(&list);
	if (param_id < 0)
		return VPASS_SW_REF_NOT_FOUND;

	const char *name = secinfo_oid_name(dotted);
	bool cam = name && strstr(name, "-CAM-");
	bool aes;
	size_t key_len;
	if (!name || strstr(name, "-IM-") || !cipher_of(dotted, &aes, &key_len))
		return VPASS_SW_REF_NOT_FOUND; /* integrated mapping is not offered */
	if (cam && !ca_key(e, env))
		return VPASS_SW_REF_NOT_FOUND;
	/* OpenPACE knows CAM's generic mapping part by the GM protocol. */
	char gm[64];
	snprintf(gm, sizeof gm, "%s", name);
	if (cam) {
		char *p = strstr(gm, "-CAM-");
		memcpy(p, "-GM-", 4);
		memmove(p + 4, p + 5, strlen(p + 5) + 1);
	}
	int nid = OBJ_sn2nid(gm);

	vpass_eac_reset(e);
	e->ctx = EAC_CTX_new();
	if (!e->ctx || nid == NID_undef || EAC_CTX_init_pace(e->ctx, nid, param_id) != 1)
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	e->sec = pace_secret(env->doc, ref.value[0]);
	if (!e->sec)
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	e->cam = cam;
	e->aes = aes;
	e->key_len = key_len;
	e->state = EAC_PACE_EXPECT_NONCE_REQUEST;
	return SW_OK;
}

/* ---- GENERAL AUTHENTICATE for PACE ---- */

/* The dynamic authentication data 7C of a GA command: its value. */
static bool dyn_data(const crypto_apdu *a, const uint8_t **ret, size_t *ret_len)
{
	crypto_tlv t;
	if (a->lc == 0 || tlv_parse_one(a->data, a->lc, &t) != TLV_OK || t.tag != 0x7C)
		return false;
	*ret = t.value;
	*ret_len = t.len;
	return true;
}

/* Append 7C { tag value [, tag2 value2] }. */
static void answer_dyn(crypto_buf *out, uint32_t tag, const BUF_MEM *v, uint32_t tag2, const uint8_t *v2, size_t v2_len)
{
	size_t inner = tlv_total_len(tag, v->length) + (v2 ? tlv_total_len(tag2, v2_len) : 0);
	buf_append_tlv_header(out, 0x7C, inner);
	buf_append_tlv(out, tag, v->data, v->length);
	if (v2)
		buf_append_tlv(out, tag2, v2, v2_len);
}

/* CA_IC = SK_IC^-1 * SK_Map,IC mod n, as many bytes as n (part 11,
 * 4.4.3.5.1), encrypted with the new session's KSenc. */
static bool cam_data(vpass_eac *e, const vpass_eac_env *env, const sm_ctx *session, crypto_buf *out)
{
	EVP_PKEY *sk_ic = ca_key(e, env);
	EVP_PKEY *map = e->ctx->pace_ctx->static_key;
	BIGNUM *d_ic = NULL, *d_map = NULL, *n = NULL, *ca = NULL;
	BN_CTX *bn = BN_CTX_new();
	uint8_t *bytes = NULL;
	int len = 0;
	bool ok = false;
	if (!bn || !sk_ic || !EVP_PKEY_get_bn_param(sk_ic, OSSL_PKEY_PARAM_PRIV_KEY, &d_ic))
		goto out_free;
	OSSL_PARAM *params = NULL;
	EC_GROUP *group = NULL;
	if (EVP_PKEY_get_bn_param(map, OSSL_PKEY_PARAM_PRIV_KEY, &d_map) == 1 &&
	    EVP_PKEY_todata(map, EVP_PKEY_KEY_PARAMETERS, &params) == 1)
		group = EC_GROUP_new_from_params(params, NULL, NULL);
	OSSL_PARAM_free(params);
	n = group ? BN_dup(EC_GROUP_get0_order(group)) : NULL;
	EC_GROUP_free(group);
	ca = BN_new();
	if (!d_map || !n || !ca)
		goto out_free;
	if (!BN_mod_inverse(ca, d_ic, n, bn) || !BN_mod_mul(ca, ca, d_map, n, bn))
		goto out_free;
	if (env->cam_attack == VPASS_CAM_INFINITY && !BN_copy(ca, n))
		goto out_free;
	len = BN_num_bytes(n);
	bytes = OPENSSL_malloc((size_t)len);
	if (!bytes || BN_bn2binpad(ca, bytes, len) != len)
		goto out_free;
	if (env->cam_attack == VPASS_CAM_EMPTY_CA) {
		/* the first block of the encrypted padding block alone: it
		 * decrypts to 80 00 .. 00, i.e. to nothing */
		static const uint8_t pad[16] = { 0x80 };
		ok = sm_cam_encrypt(session, pad, sizeof pad, out) == CRYPTO_OK && out->len >= 16;
		if (ok)
			out->len = 16;
		goto out_free;
	}
	ok = sm_cam_encrypt(session, bytes, (size_t)len, out) == CRYPTO_OK;
out_free:
	if (bytes)
		OPENSSL_clear_free(bytes, (size_t)len);
	BN_clear_free(d_ic);
	BN_clear_free(d_map);
	BN_clear_free(ca);
	BN_free(n);
	BN_CTX_free(bn);
	return ok;
}

static uint16_t ga_pace(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a, crypto_buf *out, sm_ctx *ret_sm,
                        bool *ret_rekey)
{
	bool last = e->state == EAC_PACE_EXPECT_TOKEN;
	bool chained = (a->cla & 0x10) != 0;
	if (chained == last)
		return abort_run(e, VPASS_SW_CHAIN_EXPECTED);
	const uint8_t *d;
	size_t dlen;
	if (!dyn_data(a, &d, &dlen))
		return abort_run(e, SW_WRONG_DATA);
	crypto_tlv t;
	uint16_t sw = SW_UNKNOWN;
	BUF_MEM *in = NULL, *mine = NULL, *map_picc = NULL;
	switch (e->state) {
	case EAC_PACE_EXPECT_NONCE_REQUEST:
		if (dlen != 0)
			return abort_run(e, SW_WRONG_DATA);
		mine = PACE_STEP1_enc_nonce(e->ctx, e->sec);
		if (!mine)
			return abort_run(e, SW_UNKNOWN);
		answer_dyn(out, 0x80, mine, 0, NULL, 0);
		e->state = EAC_PACE_EXPECT_MAPPING;
		sw = SW_OK;
		break;
	case EAC_PACE_EXPECT_MAPPING:
		if (tlv_find(d, dlen, 0x81, &t) != TLV_OK || !(in = buf_mem_from(t.value, t.len)))
			return abort_run(e, SW_WRONG_DATA);
		map_picc = PACE_STEP3A_generate_mapping_data(e->ctx);
		if (map_picc && e->cam && env->cam_attack == VPASS_CAM_INFINITY) {
			/* send 00 as our mapping key and map with it ourselves:
			 * both sides get s*G (SK * O = O) */
			static const uint8_t infinity[1] = { 0x00 };
			BUF_MEM_clear_free(in);
			BUF_MEM_clear_free(map_picc);
			in = buf_mem_from(infinity, 1);
			map_picc = buf_mem_from(infinity, 1);
		}
		if (!map_picc || !in || PACE_STEP3A_map_generator(e->ctx, in) != 1) {
			sw = abort_run(e, SW_WRONG_DATA);
			break;
		}
		answer_dyn(out, 0x82, map_picc, 0, NULL, 0);
		e->state = EAC_PACE_EXPECT_KEY;
		sw = SW_OK;
		break;
	case EAC_PACE_EXPECT_KEY:
		if (tlv_find(d, dlen, 0x83, &t) != TLV_OK || !(in = buf_mem_from(t.value, t.len)))
			return abort_run(e, SW_WRONG_DATA);
		mine = PACE_STEP3B_generate_ephemeral_key(e->ctx);
		/* The two ephemeral keys must differ (part 11, 4.4.3.3.3). */
		if (!mine || (mine->length == in->length && memcmp(mine->data, in->data, in->length) == 0) ||
		    PACE_STEP3B_compute_shared_secret(e->ctx, in) != 1 || PACE_STEP3C_derive_keys(e->ctx) != 1) {
			sw = abort_run(e, SW_WRONG_DATA);
			break;
		}
		answer_dyn(out, 0x84, mine, 0, NULL, 0);
		e->eph_pcd = in;
		in = NULL;
		e->state = EAC_PACE_EXPECT_TOKEN;
		sw = SW_OK;
		break;
	case EAC_PACE_EXPECT_TOKEN: {
		if (tlv_find(d, dlen, 0x85, &t) != TLV_OK || !(in = buf_mem_from(t.value, t.len)))
			return abort_run(e, SW_WRONG_DATA);
		if (PACE_STEP3D_verify_authentication_token(e->ctx, in) != 1) {
			sw = abort_run(e, VPASS_SW_PACE_FAILED);
			break;
		}
		mine = PACE_STEP3D_compute_authentication_token(e->ctx, e->eph_pcd);
		sm_ctx session;
		if (!mine || !session_from(e, e->ctx->pace_ctx->ka_ctx, &session)) {
			sw = abort_run(e, SW_UNKNOWN);
			break;
		}
		crypto_buf cam = CRYPTO_BUF_INIT;
		if (e->cam && !cam_data(e, env, &session, &cam)) {
			buf_free(&cam);
			OPENSSL_cleanse(&session, sizeof session);
			sw = abort_run(e, SW_UNKNOWN);
			break;
		}
		answer_dyn(out, 0x86, mine, 0x8A, e->cam ? cam.data : NULL, cam.len);
		buf_free(&cam);
		*ret_sm = session;
		*ret_rekey = true;
		OPENSSL_cleanse(&session, sizeof session);
		sw = abort_run(e, SW_OK); /* the run is over */
		break;
	}
	case EAC_IDLE:
	case EAC_CA_EXPECT_KEY:
		sw = abort_run(e, SW_CONDITIONS);
		break;
	}
	BUF_MEM_clear_free(in);
	BUF_MEM_clear_free(mine);
	BUF_MEM_clear_free(map_picc);
	return sw;
}

/* ---- chip authentication ---- */

/* An OpenPACE context for CA from the document's DG14, with the chip's
 * private key (or the clone's) in place of the public one. */
static uint16_t ca_setup(vpass_eac *e, const vpass_eac_env *env, int key_id, const char *want_oid)
{
	const vpass_file *f = vpass_doc_find(env->doc, VPASS_FID_DG(14));
	EVP_PKEY *key = ca_key(e, env);
	if (!f || !key)
		return VPASS_SW_REF_NOT_FOUND;
	const uint8_t *set = f->data;
	size_t set_len = f->len;
	crypto_tlv t;
	if (tlv_parse_one(f->data, f->len, &t) == TLV_OK && t.tag == 0x6E) {
		set = t.value;
		set_len = t.len;
	}
	vpass_eac_reset(e);
	e->ctx = EAC_CTX_new();
	if (!e->ctx || EAC_CTX_init_ef_cardaccess(set, set_len, e->ctx) != 1 || !e->ctx->ca_ctx)
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	CA_CTX *ca = e->ctx->ca_ctx;
	if (key_id >= 0 && ca->id != key_id)
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	const char *sn = OBJ_nid2sn(ca->protocol);
	char dotted[64];
	ASN1_OBJECT *obj = OBJ_nid2obj(ca->protocol);
	if (!sn || !obj || OBJ_obj2txt(dotted, sizeof dotted, obj, 1) <= 0 ||
	    !cipher_of(dotted, &e->aes, &e->key_len))
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	if (want_oid && strcmp(want_oid, dotted) != 0)
		return abort_run(e, VPASS_SW_REF_NOT_FOUND);
	unsigned char *der = NULL;
	int der_len = i2d_PrivateKey(key, &der);
	int ok = der_len > 0 && CA_set_key(e->ctx, der, (size_t)der_len, NULL, 0) == 1;
	if (der)
		OPENSSL_clear_free(der, (size_t)der_len);
	return ok ? SW_OK : abort_run(e, SW_UNKNOWN);
}

/* MSE:Set KAT (3DES): agree on the key and re-key, no nonce or token. */
static uint16_t mse_kat(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a, sm_ctx *ret_sm, bool *ret_rekey)
{
	if (!env->secured)
		return SW_SECURITY_STATUS;
	crypto_tlv pub, kid;
	if (tlv_find(a->data, a->lc, 0x91, &pub) != TLV_OK)
		return SW_WRONG_DATA;
	int key_id = -1;
	if (tlv_find(a->data, a->lc, 0x84, &kid) == TLV_OK && !key_id_of(&kid, &key_id))
		return SW_WRONG_DATA;
	uint16_t sw = ca_setup(e, env, key_id, NULL);
	if (sw != SW_OK)
		return sw;
	if (e->aes)
		return abort_run(e, SW_CONDITIONS); /* AES CA goes through MSE:Set AT */
	BUF_MEM *in = buf_mem_from(pub.value, pub.len);
	if (!in || CA_STEP4_compute_shared_secret(e->ctx, in) != 1 ||
	    !session_from_secret(e, e->ctx->ca_ctx->ka_ctx->shared_secret, ret_sm))
		sw = SW_WRONG_DATA;
	else
		*ret_rekey = true;
	BUF_MEM_clear_free(in);
	vpass_eac_reset(e);
	return sw;
}

/* MSE:Set AT for CA (AES): remember the protocol, wait for the key. */
static uint16_t mse_ca(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a)
{
	if (!env->secured)
		return SW_SECURITY_STATUS;
	crypto_tlv oid, kid;
	char dotted[64];
	if (tlv_find(a->data, a->lc, 0x80, &oid) != TLV_OK ||
	    !secinfo_oid_dotted(oid.value, oid.len, dotted, sizeof dotted))
		return SW_WRONG_DATA;
	int key_id = -1;
	if (tlv_find(a->data, a->lc, 0x84, &kid) == TLV_OK && !key_id_of(&kid, &key_id))
		return SW_WRONG_DATA;
	uint16_t sw = ca_setup(e, env, key_id, dotted);
	if (sw != SW_OK)
		return sw;
	e->state = EAC_CA_EXPECT_KEY;
	return SW_OK;
}

/* GENERAL AUTHENTICATE for CA (AES): ICAO 9303 part 11, 6.2.4.2 answers
 * 7C 00 and keys from the shared secret alone; BSI TR-03110 v2
 * (ca_tr03110) answers a nonce and a token and derives with the nonce. */
static uint16_t ga_ca(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a, crypto_buf *out, sm_ctx *ret_sm,
                      bool *ret_rekey)
{
	if (a->cla & 0x10)
		return abort_run(e, VPASS_SW_CHAIN_EXPECTED);
	const uint8_t *d;
	size_t dlen;
	crypto_tlv t;
	if (!dyn_data(a, &d, &dlen) || tlv_find(d, dlen, 0x80, &t) != TLV_OK)
		return abort_run(e, SW_WRONG_DATA);
	BUF_MEM *in = buf_mem_from(t.value, t.len), *nonce = NULL, *token = NULL;
	uint16_t sw = SW_OK;
	if (!in || CA_STEP4_compute_shared_secret(e->ctx, in) != 1) {
		sw = SW_WRONG_DATA;
	} else if (env->ca_tr03110) {
		if (CA_STEP5_derive_keys(e->ctx, in, &nonce, &token) != 1 ||
		    !session_from(e, e->ctx->ca_ctx->ka_ctx, ret_sm)) {
			sw = SW_WRONG_DATA;
		} else {
			answer_dyn(out, 0x81, nonce, 0x82, (const uint8_t *)token->data, token->length);
			*ret_rekey = true;
		}
	} else if (!session_from_secret(e, e->ctx->ca_ctx->ka_ctx->shared_secret, ret_sm)) {
		sw = SW_WRONG_DATA;
	} else {
		buf_append_tlv_header(out, 0x7C, 0);
		*ret_rekey = true;
	}
	BUF_MEM_clear_free(in);
	BUF_MEM_clear_free(nonce);
	BUF_MEM_clear_free(token);
	return abort_run(e, sw);
}

/* ---- dispatch ---- */

uint16_t vpass_eac_command(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a, crypto_buf *out,
                           sm_ctx *ret_sm, bool *ret_rekey)
{
	*ret_rekey = false;
	if (!e || !env || !env->doc)
		return SW_UNKNOWN;
	if (a->ins == VPASS_INS_MSE) {
		if (a->cla & 0x10)
			return abort_run(e, VPASS_SW_CHAIN_EXPECTED);
		uint16_t p1p2 = (uint16_t)(a->p1 << 8 | a->p2);
		switch (p1p2) {
		case 0xC1A4:
			return mse_pace(e, env, a);
		case 0x41A4:
			return mse_ca(e, env, a);
		case 0x41A6:
			return mse_kat(e, env, a, ret_sm, ret_rekey);
		default:
			return 0x6A86; /* incorrect P1 P2 */
		}
	}
	if (a->ins != VPASS_INS_GENERAL_AUTHENTICATE)
		return SW_INS_NOT_SUPPORTED;
	if (a->p1 || a->p2)
		return abort_run(e, 0x6A86);
	switch (e->state) {
	case EAC_PACE_EXPECT_NONCE_REQUEST:
	case EAC_PACE_EXPECT_MAPPING:
	case EAC_PACE_EXPECT_KEY:
	case EAC_PACE_EXPECT_TOKEN:
		if (env->secured)
			return abort_run(e, SW_CONDITIONS);
		return ga_pace(e, env, a, out, ret_sm, ret_rekey);
	case EAC_CA_EXPECT_KEY:
		if (!env->secured)
			return abort_run(e, SW_SECURITY_STATUS);
		return ga_ca(e, env, a, out, ret_sm, ret_rekey);
	case EAC_IDLE:
		break;
	}
	return SW_CONDITIONS; /* no MSE:Set AT before it */
}
