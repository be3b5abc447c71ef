/*
 * secinfo — the security infos a test document carries (ICAO 9303 part 11,
 * 9.2): EF.CardAccess (a DER SET OF PACEInfo) and EF.DG14 (tag 6E around a
 * SET OF ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo and any
 * PACEInfos).
 *
 * The chip authentication public key is a SubjectPublicKeyInfo with
 * explicit domain parameters, as ICAO 9303 recommends and as OpenPACE
 * requires when it reads the key back: id-ecPublicKey with ECParameters
 * (prime field, curve, base point, order, cofactor) and the uncompressed
 * point; or dhpublicnumber with DHParameter (p, g) and the public value as
 * an INTEGER inside the BIT STRING.
 *
 * The SET OF is in DER order (members sorted by their encodings). A
 * ChipAuthenticationInfo is short and a public key info long, so the first
 * always precedes the second, which OpenPACE needs to pair them up.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "crypto/buf.h"
#include "crypto/secinfo.h"
#include "crypto/tlv.h"

#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_DH_PUBLIC_NUMBER "1.2.840.10046.2.1"
#define PACE_VERSION 2
#define CA_VERSION 1
#define AA_VERSION 1
#define OID_AA "2.23.136.1.1.5" /* id-icao-mrtd-security-aaProtocolObject */
#define MAX_INFOS 32

typedef struct der_item {
	uint8_t *der;
	size_t len;
} der_item;

/* DER orders the members of a SET OF by their encodings. */
static int cmp_der(const void *a, const void *b)
{
	const der_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->der, y->der, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void free_items(der_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].der);
}

/* Append the DER OBJECT IDENTIFIER for a protocol name or dotted OID. */
static docgen_err append_oid(crypto_buf *b, const char *name, char *err, size_t errlen)
{
	char dotted[80];
	if (!secinfo_oid_from_name(name, dotted, sizeof dotted))
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "unknown protocol \"%s\": give an ICAO 9303 protocol name or a dotted OID",
		                   name ? name : "(none)");
	ASN1_OBJECT *obj = OBJ_txt2obj(dotted, 1);
	if (!obj)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, true, "malformed OID %s", dotted);
	unsigned char *der = NULL;
	int len = i2d_ASN1_OBJECT(obj, &der);
	ASN1_OBJECT_free(obj);
	if (len <= 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode OID %s", dotted);
	buf_append(b, der, (size_t)len);
	OPENSSL_free(der);
	return DOCGEN_OK;
}

/* A DER INTEGER from a small non-negative value. */
static void append_int(crypto_buf *b, unsigned long v)
{
	uint8_t bytes[sizeof v + 1];
	size_t n = 0;
	do {
		bytes[sizeof bytes - 1 - n++] = (uint8_t)(v & 0xFF);
		v >>= 8;
	} while (v);
	if (bytes[sizeof bytes - n] & 0x80)
		bytes[sizeof bytes - 1 - n++] = 0;
	buf_append_tlv(b, 0x02, bytes + sizeof bytes - n, n);
}

/* A DER INTEGER from a positive big number. */
static void append_bn_int(crypto_buf *b, const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	uint8_t *bytes = malloc((size_t)n + 1);
	if (!bytes) {
		b->failed = true;
		return;
	}
	bytes[0] = 0;
	BN_bn2bin(bn, bytes + 1);
	size_t skip = n > 0 && !(bytes[1] & 0x80) ? 1 : 0;
	buf_append_tlv(b, 0x02, bytes + skip, (size_t)n + 1 - skip);
	free(bytes);
}

/* SEQUENCE { protocol, INTEGER version, INTEGER id OPTIONAL } — the shape
 * of both PACEInfo and ChipAuthenticationInfo. */
static docgen_err encode_versioned(const char *protocol, unsigned version, int id, der_item *ret, char *err,
                                   size_t errlen)
{
	crypto_buf body = CRYPTO_BUF_INIT, seq = CRYPTO_BUF_INIT;
	docgen_err e = append_oid(&body, protocol, err, errlen);
	if (e != DOCGEN_OK)
		goto out_free;
	append_int(&body, version);
	if (id >= 0)
		append_int(&body, (unsigned long)id);
	buf_append_tlv(&seq, 0x30, body.data, body.len);
	if (!buf_ok(&body) || !buf_ok(&seq)) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory encoding %s", protocol);
		goto out_free;
	}
	ret->der = buf_steal(&seq, &ret->len);
out_free:
	buf_free(&body);
	buf_free(&seq);
	return e;
}

/* AlgorithmIdentifier and subjectPublicKey of an EC key, explicit curve. */
static docgen_err ec_key_parts(EVP_PKEY *key, crypto_buf *alg, crypto_buf *pub, char *err, size_t errlen)
{
	char curve[64];
	size_t curve_len = 0;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &curve_len))
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, true,
		                   "the chip authentication key has no named curve; use a standard curve");
	EC_GROUP *group = EC_GROUP_new_by_curve_name(OBJ_txt2nid(curve));
	if (!group)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "unknown curve %s", curve);
	EC_GROUP_set_asn1_flag(group, OPENSSL_EC_EXPLICIT_CURVE);
	EC_GROUP_set_point_conversion_form(group, POINT_CONVERSION_UNCOMPRESSED);
	unsigned char *params = NULL;
	int params_len = i2d_ECPKParameters(group, &params);
	EC_GROUP_free(group);
	if (params_len <= 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode the parameters of %s", curve);

	uint8_t point[256];
	size_t point_len = 0;
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
	                                     &point_len) ||
	    point_len == 0 || point[0] != 0x04) {
		OPENSSL_free(params);
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true,
		                   "cannot get the uncompressed public point of the chip authentication key");
	}
	crypto_buf oid = CRYPTO_BUF_INIT;
	ASN1_OBJECT *obj = OBJ_txt2obj(OID_EC_PUBLIC_KEY, 1);
	unsigned char *oid_der = NULL;
	int oid_len = obj ? i2d_ASN1_OBJECT(obj, &oid_der) : 0;
	ASN1_OBJECT_free(obj);
	if (oid_len > 0)
		buf_append(&oid, oid_der, (size_t)oid_len);
	OPENSSL_free(oid_der);
	buf_append_tlv_header(alg, 0x30, oid.len + (size_t)params_len);
	buf_append(alg, oid.data, oid.len);
	buf_append(alg, params, (size_t)params_len);
	buf_free(&oid);
	OPENSSL_free(params);
	if (oid_len <= 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode id-ecPublicKey");
	buf_append_byte(pub, 0x00); /* no unused bits */
	buf_append(pub, point, point_len);
	return DOCGEN_OK;
}

/* AlgorithmIdentifier and subjectPublicKey of a DH key: DHParameter (p, g)
 * and the public value as a DER INTEGER. Not X9.42's DomainParameters (p,
 * g, q): OpenPACE 1.1.2 decodes the parameters as PKCS #3 DHParameter and
 * refuses a q in third place, which it takes for a privateValueLength too
 * large for an int. Nothing is lost: OpenSSL recognises a named group
 * (dh_1024_160, RFC 5114) by p and g and restores its q. */
static docgen_err dh_key_parts(EVP_PKEY *key, crypto_buf *alg, crypto_buf *pub, char *err, size_t errlen)
{
	BIGNUM *p = NULL, *g = NULL, *y = NULL;
	docgen_err e = DOCGEN_OK;
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_G, &g) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y)) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true,
		                "cannot get p, g and the public value of the chip authentication DH key");
		goto out_free;
	}
	crypto_buf params = CRYPTO_BUF_INIT, algbody = CRYPTO_BUF_INIT;
	append_bn_int(&params, p);
	append_bn_int(&params, g);
	e = append_oid(&algbody, OID_DH_PUBLIC_NUMBER, err, errlen);
	buf_append_tlv(&algbody, 0x30, params.data, params.len);
	buf_append_tlv(alg, 0x30, algbody.data, algbody.len);
	if (!buf_ok(&params) || !buf_ok(&algbody))
		alg->failed = true;
	buf_free(&params);
	buf_free(&algbody);
	buf_append_byte(pub, 0x00);
	append_bn_int(pub, y);
out_free:
	BN_free(p);
	BN_free(g);
	BN_free(y);
	return e;
}

/* ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol (id-PK-ECDH or
 * id-PK-DH), chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId
 * INTEGER OPTIONAL } */
static docgen_err encode_ca_public_key(EVP_PKEY *key, int key_id, der_item *ret, char *err, size_t errlen)
{
	crypto_buf alg = CRYPTO_BUF_INIT, pub = CRYPTO_BUF_INIT, spki = CRYPTO_BUF_INIT;
	crypto_buf body = CRYPTO_BUF_INIT, seq = CRYPTO_BUF_INIT;
	docgen_err e;
	const char *protocol;
	if (EVP_PKEY_is_a(key, "EC")) {
		protocol = "id-PK-ECDH";
		e = ec_key_parts(key, &alg, &pub, err, errlen);
	} else if (EVP_PKEY_is_a(key, "DH") || EVP_PKEY_is_a(key, "DHX")) {
		protocol = "id-PK-DH";
		e = dh_key_parts(key, &alg, &pub, err, errlen);
	} else {
		e = docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                "the chip authentication key must be an EC or DH key, not %s",
		                EVP_PKEY_get0_type_name(key));
		goto out_free;
	}
	if (e != DOCGEN_OK)
		goto out_free;
	buf_append(&spki, alg.data, alg.len);
	buf_append_tlv(&spki, 0x03, pub.data, pub.len);
	e = append_oid(&body, protocol, err, errlen);
	if (e != DOCGEN_OK)
		goto out_free;
	buf_append_tlv(&body, 0x30, spki.data, spki.len);
	if (key_id >= 0)
		append_int(&body, (unsigned long)key_id);
	buf_append_tlv(&seq, 0x30, body.data, body.len);
	if (!buf_ok(&alg) || !buf_ok(&pub) || !buf_ok(&spki) || !buf_ok(&body) || !buf_ok(&seq)) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory encoding the CA public key");
		goto out_free;
	}
	ret->der = buf_steal(&seq, &ret->len);
out_free:
	buf_free(&alg);
	buf_free(&pub);
	buf_free(&spki);
	buf_free(&body);
	buf_free(&seq);
	return e;
}

/* The SET OF the items in DER order, optionally inside tag 6E. */
static docgen_err encode_set(der_item *items, size_t n, bool dg14, uint8_t **ret, size_t *ret_len, char *err,
                             size_t errlen)
{
	qsort(items, n, sizeof *items, cmp_der);
	size_t content = 0;
	for (size_t i = 0; i < n; i++)
		content += items[i].len;
	crypto_buf out = CRYPTO_BUF_INIT;
	if (dg14)
		buf_append_tlv_header(&out, 0x6E, tlv_total_len(0x31, content));
	buf_append_tlv_header(&out, 0x31, content);
	for (size_t i = 0; i < n; i++)
		buf_append(&out, items[i].der, items[i].len);
	if (!buf_ok(&out)) {
		buf_free(&out);
		return docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory encoding security infos");
	}
	*ret = buf_steal(&out, ret_len);
	return DOCGEN_OK;
}

docgen_err docgen_card_access_encode(const docgen_pace_info *pace, size_t n_pace, uint8_t **ret,
                                     size_t *ret_len, char *err, size_t errlen)
{
	if ((!pace && n_pace) || n_pace > MAX_INFOS || !ret || !ret_len)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "EF.CardAccess needs at most %d PACE infos and somewhere to put the file", MAX_INFOS);
	der_item items[MAX_INFOS] = { 0 };
	docgen_err e = DOCGEN_OK;
	for (size_t i = 0; i < n_pace && e == DOCGEN_OK; i++)
		e = encode_versioned(pace[i].protocol, PACE_VERSION, pace[i].parameter_id, &items[i], err, errlen);
	if (e == DOCGEN_OK)
		e = encode_set(items, n_pace, false, ret, ret_len, err, errlen);
	free_items(items, n_pace);
	return e;
}

/* ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER
 * (1), signatureAlgorithm OBJECT IDENTIFIER } (part 11, 9.2.9). */
static docgen_err encode_aa_info(const char *signature_algorithm, der_item *ret, char *err, size_t errlen)
{
	crypto_buf body = CRYPTO_BUF_INIT, seq = CRYPTO_BUF_INIT;
	docgen_err e = append_oid(&body, OID_AA, err, errlen);
	if (e == DOCGEN_OK) {
		append_int(&body, AA_VERSION);
		e = append_oid(&body, signature_algorithm, err, errlen);
	}
	if (e == DOCGEN_OK) {
		buf_append_tlv(&seq, 0x30, body.data, body.len);
		if (!buf_ok(&body) || !buf_ok(&seq))
			e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory encoding the AA info");
		else
			ret->der = buf_steal(&seq, &ret->len);
	}
	buf_free(&body);
	buf_free(&seq);
	return e;
}

docgen_err docgen_dg14_encode(EVP_PKEY *ca_key, const char *ca_protocol, int key_id, const docgen_pace_info *pace,
                              size_t n_pace, const char *aa_signature_algorithm, uint8_t **ret, size_t *ret_len,
                              char *err, size_t errlen)
{
	if (!ca_key != !ca_protocol || (!pace && n_pace) || n_pace > MAX_INFOS - 3 || !ret || !ret_len ||
	    (!ca_key && !n_pace && !aa_signature_algorithm))
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "DG14 needs a chip authentication key with its protocol (or neither), at most %d "
		                   "PACE infos, something to hold, and somewhere to put the file",
		                   MAX_INFOS - 3);
	der_item items[MAX_INFOS] = { 0 };
	size_t n = 0;
	docgen_err e = DOCGEN_OK;
	if (ca_key) {
		e = encode_versioned(ca_protocol, CA_VERSION, key_id, &items[n++], err, errlen);
		if (e == DOCGEN_OK)
			e = encode_ca_public_key(ca_key, key_id, &items[n++], err, errlen);
	}
	for (size_t i = 0; i < n_pace && e == DOCGEN_OK; i++)
		e = encode_versioned(pace[i].protocol, PACE_VERSION, pace[i].parameter_id, &items[n++], err, errlen);
	if (e == DOCGEN_OK && aa_signature_algorithm)
		e = encode_aa_info(aa_signature_algorithm, &items[n++], err, errlen);
	if (e == DOCGEN_OK)
		e = encode_set(items, n, true, ret, ret_len, err, errlen);
	free_items(items, n);
	return e;
}
