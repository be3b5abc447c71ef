/*
 * aa — active authentication (ICAO 9303 part 11, 6.1), both sides: the
 * terminal's verification of a chip's signature over a challenge, and the
 * signing the virtual chip does. RSA uses ISO/IEC 9796-2 scheme 1 (partial
 * message recovery) on the raw RSA operation; ECDSA signatures travel as
 * plain r || s (BSI TR-03111) and are converted to and from DER for OpenSSL.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/aa.h"
#include "crypto/tlv.h"

/* ISO/IEC 9796-2 message representative: header, trailers. */
#define HEADER_PARTIAL 0x6A
#define TRAILER_SHA1   0xBC
#define TRAILER_EXPLICIT 0xCC

/* Largest plain response a short Le brings back under 3DES or AES secure
 * messaging (DO'87 + DO'99 + DO'8E in 256 bytes). */
#define SM_SHORT_ROOM 223

typedef struct hash_desc {
	aa_hash hash;
	const char *name;      /* OpenSSL's name */
	const char *words;     /* ours */
	uint8_t iso_id;        /* ISO/IEC 10118-3 identifier in the xxCC trailer */
} hash_desc;

static const hash_desc hashes[] = {
	{ AA_HASH_SHA1, "SHA1", "SHA-1", 0x33 },
	{ AA_HASH_SHA224, "SHA224", "SHA-224", 0x38 },
	{ AA_HASH_SHA256, "SHA256", "SHA-256", 0x34 },
	{ AA_HASH_SHA384, "SHA384", "SHA-384", 0x36 },
	{ AA_HASH_SHA512, "SHA512", "SHA-512", 0x35 },
};

/* ISO/IEC 10118-3 identifiers of hashes we know of but do not implement:
 * RIPEMD-160, RIPEMD-128, Whirlpool. */
static const uint8_t unimplemented_iso_ids[] = { 0x31, 0x32, 0x37 };

static const hash_desc *hash_find(aa_hash h)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].hash == h)
			return &hashes[i];
	return NULL;
}

static const hash_desc *hash_by_iso_id(uint8_t id)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].iso_id == id)
			return &hashes[i];
	return NULL;
}

const char *aa_hash_name(aa_hash h)
{
	switch (h) {
	case AA_HASH_DEFAULT: return "default";
	case AA_HASH_SHA1: return "SHA-1";
	case AA_HASH_SHA224: return "SHA-224";
	case AA_HASH_SHA256: return "SHA-256";
	case AA_HASH_SHA384: return "SHA-384";
	case AA_HASH_SHA512: return "SHA-512";
	}
	return "unknown";
}

const char *aa_failure_str(aa_failure f)
{
	switch (f) {
	case AA_FAIL_NONE: return "signature verifies with the DG15 key";
	case AA_FAIL_KEY: return "the DG15 key cannot be decoded";
	case AA_FAIL_SIG_LENGTH: return "signature length does not fit the DG15 key";
	case AA_FAIL_RSA_RANGE: return "RSA signature is not below the DG15 modulus";
	case AA_FAIL_HEADER: return "wrong ISO/IEC 9796-2 header";
	case AA_FAIL_TRAILER: return "wrong ISO/IEC 9796-2 trailer";
	case AA_FAIL_HASH: return "signature does not verify with the DG15 key (recovered hash differs)";
	case AA_FAIL_SIGNATURE: return "signature does not verify with the DG15 key";
	case AA_FAIL_SIG_FORMAT: return "ECDSA signature has a zero r or s";
	}
	return "unknown active authentication failure";
}

aa_hash aa_ec_default_hash(int bits)
{
	if (bits <= 224)
		return AA_HASH_SHA224;
	if (bits <= 256)
		return AA_HASH_SHA256;
	if (bits <= 384)
		return AA_HASH_SHA384;
	return AA_HASH_SHA512;
}

/* ---- DG14 ActiveAuthenticationInfo ------------------------------------- */

/* Content octets of the OIDs involved. */
static const uint8_t oid_id_aa[] = { 0x67, 0x81, 0x08, 0x01, 0x01, 0x05 };
/* 0.4.0.127.0.7.1.1.4.1.n: ecdsa-plain-SHA1 (1) ... SHA512 (5). */
static const uint8_t oid_ecdsa_plain[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01 };
/* 1.2.840.10045.4.1 ecdsa-with-SHA1; 1.2.840.10045.4.3.n SHA224 (1) ... SHA512 (4). */
static const uint8_t oid_ecdsa_sha1[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01 };
static const uint8_t oid_ecdsa_sha2[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03 };

static bool oid_is(const crypto_tlv *t, const uint8_t *oid, size_t len)
{
	return t->len == len && memcmp(t->value, oid, len) == 0;
}

static bool oid_has_prefix(const crypto_tlv *t, const uint8_t *prefix, size_t len)
{
	return t->len == len + 1 && memcmp(t->value, prefix, len) == 0;
}

crypto_err aa_hash_from_dg14_info(const uint8_t *der, size_t len, aa_hash *ret)
{
	if (!der || !ret)
		return CRYPTO_ERR_ARG;
	crypto_tlv seq, proto, version, alg;
	if (tlv_parse_one(der, len, &seq) != TLV_OK || seq.tag != 0x30)
		return CRYPTO_ERR_FORMAT;
	const uint8_t *pos = seq.value, *end = seq.value + seq.len;
	if (tlv_next(&pos, end, &proto) != TLV_OK || proto.tag != 0x06 ||
	    !oid_is(&proto, oid_id_aa, sizeof oid_id_aa))
		return CRYPTO_ERR_FORMAT;
	if (tlv_next(&pos, end, &version) != TLV_OK || version.tag != 0x02 || version.len < 1)
		return CRYPTO_ERR_FORMAT;
	if (tlv_next(&pos, end, &alg) != TLV_OK || alg.tag != 0x06 || alg.len < 1)
		return CRYPTO_ERR_FORMAT;
	if (pos != end)
		return CRYPTO_ERR_FORMAT;

	static const aa_hash plain[] = { AA_HASH_SHA1, AA_HASH_SHA224, AA_HASH_SHA256, AA_HASH_SHA384,
		                         AA_HASH_SHA512 };
	static const aa_hash x962[] = { AA_HASH_SHA224, AA_HASH_SHA256, AA_HASH_SHA384, AA_HASH_SHA512 };
	uint8_t last = alg.value[alg.len - 1];
	if (oid_has_prefix(&alg, oid_ecdsa_plain, sizeof oid_ecdsa_plain)) {
		if (last < 1 || last > 5)
			return CRYPTO_ERR_UNSUPPORTED;
		*ret = plain[last - 1];
		return CRYPTO_OK;
	}
	if (oid_is(&alg, oid_ecdsa_sha1, sizeof oid_ecdsa_sha1)) {
		*ret = AA_HASH_SHA1;
		return CRYPTO_OK;
	}
	if (oid_has_prefix(&alg, oid_ecdsa_sha2, sizeof oid_ecdsa_sha2)) {
		if (last < 1 || last > 4)
			return CRYPTO_ERR_UNSUPPORTED;
		*ret = x962[last - 1];
		return CRYPTO_OK;
	}
	return CRYPTO_ERR_UNSUPPORTED;
}

/* ---- keys -------------------------------------------------------------- */

/* The key in a SubjectPublicKeyInfo; NULL if it does not decode whole. */
static EVP_PKEY *decode_spki(const uint8_t *spki, size_t len)
{
	if (len == 0 || len > 65536)
		return NULL;
	const unsigned char *p = spki;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)len);
	if (key && p != spki + len) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Type, sizes and curve of a key; CRYPTO_ERR_UNSUPPORTED for the rest. */
static crypto_err describe(EVP_PKEY *key, aa_key_info *ret)
{
	aa_key_info info = { 0 };
	info.bits = EVP_PKEY_get_bits(key);
	if (info.bits <= 0)
		return CRYPTO_ERR_UNSUPPORTED;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		if (info.bits % 8 != 0)
			return CRYPTO_ERR_UNSUPPORTED;
		info.type = AA_KEY_RSA;
		info.sig_len = (size_t)info.bits / 8;
		break;
	case EVP_PKEY_EC: {
		info.type = AA_KEY_EC;
		info.sig_len = 2 * (((size_t)info.bits + 7) / 8);
		size_t n = 0;
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, info.curve, sizeof info.curve,
		                                    &n))
			snprintf(info.curve, sizeof info.curve, "explicit");
		break;
	}
	default:
		return CRYPTO_ERR_UNSUPPORTED;
	}
	*ret = info;
	return CRYPTO_OK;
}

crypto_err aa_key_describe(const uint8_t *spki, size_t spki_len, aa_key_info *ret)
{
	if (!spki || !ret)
		return CRYPTO_ERR_ARG;
	ERR_set_mark();
	EVP_PKEY *key = decode_spki(spki, spki_len);
	crypto_err e = key ? describe(key, ret) : CRYPTO_ERR_FORMAT;
	EVP_PKEY_free(key);
	ERR_pop_to_mark();
	return e;
}

crypto_err aa_challenge(uint8_t challenge[AA_CHALLENGE_LEN])
{
	if (!challenge)
		return CRYPTO_ERR_ARG;
	return RAND_bytes(challenge, AA_CHALLENGE_LEN) == 1 ? CRYPTO_OK : CRYPTO_ERR_LIBCRYPTO;
}

void aa_command(const uint8_t challenge[AA_CHALLENGE_LEN], size_t sig_len, crypto_apdu *ret)
{
	*ret = (crypto_apdu){
		.cla = 0x00,
		.ins = AA_INS_INTERNAL_AUTHENTICATE,
		.data = challenge,
		.lc = AA_CHALLENGE_LEN,
		.le = sig_len <= SM_SHORT_ROOM ? APDU_MAX_SHORT_LE : APDU_MAX_EXT_LE,
	};
}

/* ---- verification ------------------------------------------------------ */

static crypto_err digest(const hash_desc *h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                         uint8_t *out, size_t *ret_len)
{
	crypto_err e = CRYPTO_ERR_LIBCRYPTO;
	EVP_MD *md = EVP_MD_fetch(NULL, h->name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	if (!md || !ctx)
		goto out;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    EVP_DigestUpdate(ctx, b, blen) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1)
		goto out;
	*ret_len = n;
	e = CRYPTO_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return e;
}

static void fail(aa_result *r, aa_failure f, const char *detail)
{
	r->passed = false;
	r->failure = f;
	snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : aa_failure_str(f));
}

/* Is the big-endian number sig[0..len) below the key's modulus? */
static crypto_err rsa_below_modulus(EVP_PKEY *key, const uint8_t *sig, size_t len, bool *ret)
{
	BIGNUM *n = NULL;
	BIGNUM *s = BN_bin2bn(sig, (int)len, NULL);
	crypto_err e = CRYPTO_ERR_LIBCRYPTO;
	if (s && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1) {
		*ret = BN_cmp(s, n) < 0;
		e = CRYPTO_OK;
	}
	BN_free(s);
	BN_free(n);
	return e;
}

static crypto_err verify_rsa(EVP_PKEY *key, const aa_key_info *info, const uint8_t challenge[AA_CHALLENGE_LEN],
                             const uint8_t *sig, size_t sig_len, aa_result *r)
{
	snprintf(r->scheme, sizeof r->scheme, "ISO/IEC 9796-2 scheme 1");
	if (sig_len != info->sig_len) {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "RSA signature is %zu bytes, the %d-bit DG15 key needs %zu", sig_len,
		         info->bits, info->sig_len);
		fail(r, AA_FAIL_SIG_LENGTH, d);
		return CRYPTO_OK;
	}
	bool below = false;
	crypto_err e = rsa_below_modulus(key, sig, sig_len, &below);
	if (e != CRYPTO_OK)
		return e;
	if (!below) {
		fail(r, AA_FAIL_RSA_RANGE, NULL);
		return CRYPTO_OK;
	}

	size_t k = info->sig_len;
	uint8_t f[1024];       /* moduli up to 8192 bits */
	uint8_t h[EVP_MAX_MD_SIZE];
	if (k > sizeof f)
		return CRYPTO_ERR_UNSUPPORTED;
	e = CRYPTO_ERR_LIBCRYPTO;
	size_t flen = sizeof f;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx || EVP_PKEY_verify_recover_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_verify_recover(ctx, f, &flen, sig, sig_len) != 1)
		goto out;
	if (flen < k) { /* left-pad a short representative */
		memmove(f + (k - flen), f, flen);
		memset(f, 0, k - flen);
	} else if (flen > k) {
		goto out;
	}

	if (f[0] != HEADER_PARTIAL) {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "wrong ISO/IEC 9796-2 header %02X (expected 6A)", f[0]);
		fail(r, AA_FAIL_HEADER, d);
		e = CRYPTO_OK;
		goto out;
	}
	const hash_desc *hd;
	size_t tlen;
	if (f[k - 1] == TRAILER_SHA1) {
		hd = hash_find(AA_HASH_SHA1);
		tlen = 1;
	} else if (f[k - 1] == TRAILER_EXPLICIT && (hd = hash_by_iso_id(f[k - 2])) != NULL) {
		tlen = 2;
	} else if (f[k - 1] == TRAILER_EXPLICIT && memchr(unimplemented_iso_ids, f[k - 2],
	                                                  sizeof unimplemented_iso_ids)) {
		e = CRYPTO_ERR_UNSUPPORTED;
		goto out;
	} else {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "wrong ISO/IEC 9796-2 trailer %02X%02X (expected BC or a hash id and CC)",
		         f[k - 2], f[k - 1]);
		fail(r, AA_FAIL_TRAILER, d);
		e = CRYPTO_OK;
		goto out;
	}
	r->hash = hd->hash;
	size_t hlen = (size_t)EVP_MD_get_size(EVP_get_digestbyname(hd->name));
	if (hlen == 0 || hlen > EVP_MAX_MD_SIZE || k < 1 + hlen + tlen) {
		/* A key too small to hold the hash cannot carry this scheme. */
		fail(r, AA_FAIL_SIG_LENGTH, "the DG15 modulus is too small for the signature's hash");
		e = CRYPTO_OK;
		goto out;
	}
	size_t m1len = k - 1 - hlen - tlen;
	size_t got = 0;
	e = digest(hd, f + 1, m1len, challenge, AA_CHALLENGE_LEN, h, &got);
	if (e != CRYPTO_OK)
		goto out;
	if (got != hlen) {
		e = CRYPTO_ERR_LIBCRYPTO;
		goto out;
	}
	if (CRYPTO_memcmp(h, f + 1 + m1len, hlen) != 0) {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "signature does not verify with the DG15 key: recovered %s differs from "
		         "H(M1 || challenge)", hd->words);
		fail(r, AA_FAIL_HASH, d);
		goto out;
	}
	r->passed = true;
	r->failure = AA_FAIL_NONE;
	snprintf(r->detail, sizeof r->detail, "RSA-%d ISO/IEC 9796-2 signature with %s verifies with the DG15 key",
	         info->bits, hd->words);
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(f, sizeof f);
	return e;
}

/* DER ECDSA-Sig-Value from plain r || s; NULL (with *ret_zero) when r or s
 * is zero. */
static crypto_err plain_to_der(const uint8_t *sig, size_t sig_len, uint8_t **ret, size_t *ret_len, bool *ret_zero)
{
	size_t n = sig_len / 2;
	crypto_err e = CRYPTO_ERR_NOMEM;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)n, NULL);
	BIGNUM *s = BN_bin2bn(sig + n, (int)n, NULL);
	unsigned char *der = NULL;
	if (!es || !r || !s)
		goto out;
	*ret_zero = BN_is_zero(r) || BN_is_zero(s);
	if (*ret_zero) {
		e = CRYPTO_OK;
		goto out;
	}
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	int len = i2d_ECDSA_SIG(es, &der);
	if (len <= 0) {
		e = CRYPTO_ERR_LIBCRYPTO;
		goto out;
	}
	*ret = der;
	*ret_len = (size_t)len;
	e = CRYPTO_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return e;
}

static crypto_err verify_ec(EVP_PKEY *key, const aa_key_info *info, aa_hash hash,
                            const uint8_t challenge[AA_CHALLENGE_LEN], const uint8_t *sig, size_t sig_len,
                            aa_result *r)
{
	snprintf(r->scheme, sizeof r->scheme, "ECDSA");
	snprintf(r->curve, sizeof r->curve, "%s", info->curve);
	const hash_desc *hd = hash_find(hash == AA_HASH_DEFAULT ? aa_ec_default_hash(info->bits) : hash);
	if (!hd)
		return CRYPTO_ERR_UNSUPPORTED;
	r->hash = hd->hash;
	if (sig_len != info->sig_len) {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "ECDSA signature is %zu bytes, plain r || s on %s needs %zu", sig_len,
		         info->curve, info->sig_len);
		fail(r, AA_FAIL_SIG_LENGTH, d);
		return CRYPTO_OK;
	}
	uint8_t *der = NULL;
	size_t der_len = 0;
	bool zero = false;
	crypto_err e = plain_to_der(sig, sig_len, &der, &der_len, &zero);
	if (e != CRYPTO_OK)
		return e;
	if (zero) {
		fail(r, AA_FAIL_SIG_FORMAT, NULL);
		return CRYPTO_OK;
	}
	e = CRYPTO_ERR_LIBCRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit_ex(ctx, NULL, hd->name, NULL, NULL, key, NULL) != 1)
		goto out;
	/* Anything but 1 is a signature that does not verify: r or s past the
	 * group order is reported by OpenSSL the same way. */
	if (EVP_DigestVerify(ctx, der, der_len, challenge, AA_CHALLENGE_LEN) != 1) {
		char d[AA_DETAIL_LEN];
		snprintf(d, sizeof d, "signature does not verify with the DG15 key (ECDSA %s on %s)", hd->words,
		         info->curve);
		fail(r, AA_FAIL_SIGNATURE, d);
	} else {
		r->passed = true;
		r->failure = AA_FAIL_NONE;
		snprintf(r->detail, sizeof r->detail, "ECDSA %s signature on %s verifies with the DG15 key",
		         hd->words, info->curve);
	}
	e = CRYPTO_OK;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return e;
}

crypto_err aa_verify(const uint8_t *spki, size_t spki_len, aa_hash hash,
                     const uint8_t challenge[AA_CHALLENGE_LEN],
                     const uint8_t *sig, size_t sig_len, aa_result *ret)
{
	if (!spki || !challenge || (!sig && sig_len) || !ret)
		return CRYPTO_ERR_ARG;
	if (hash != AA_HASH_DEFAULT && !hash_find(hash))
		return CRYPTO_ERR_ARG;
	aa_result r = { 0 };
	crypto_err e = CRYPTO_OK;
	ERR_set_mark();
	EVP_PKEY *key = decode_spki(spki, spki_len);
	if (!key) {
		fail(&r, AA_FAIL_KEY, NULL);
		goto out;
	}
	aa_key_info info;
	e = describe(key, &info);
	if (e != CRYPTO_OK)
		goto out;
	r.key_type = info.type;
	r.key_bits = info.bits;
	if (info.type == AA_KEY_RSA)
		e = verify_rsa(key, &info, challenge, sig, sig_len, &r);
	else
		e = verify_ec(key, &info, hash, challenge, sig, sig_len, &r);
out:
	EVP_PKEY_free(key);
	ERR_pop_to_mark();
	if (e == CRYPTO_OK)
		*ret = r;
	return e;
}

/* ---- signing (the chip) ------------------------------------------------ */

static crypto_err sign_rsa(EVP_PKEY *priv, const aa_key_info *info, aa_hash hash,
                           const uint8_t challenge[AA_CHALLENGE_LEN], crypto_buf *out)
{
	const hash_desc *hd = hash_find(hash == AA_HASH_DEFAULT ? AA_HASH_SHA1 : hash);
	if (!hd)
		return CRYPTO_ERR_ARG;
	size_t tlen = hd->hash == AA_HASH_SHA1 ? 1 : 2;
	size_t k = info->sig_len;
	size_t hlen = (size_t)EVP_MD_get_size(EVP_get_digestbyname(hd->name));
	uint8_t f[1024];
	if (k > sizeof f)
		return CRYPTO_ERR_UNSUPPORTED;
	if (hlen == 0 || k < 1 + hlen + tlen + 1)
		return CRYPTO_ERR_ARG; /* no room for the hash */
	size_t m1len = k - 1 - hlen - tlen;
	crypto_err e = CRYPTO_ERR_LIBCRYPTO;
	EVP_PKEY_CTX *ctx = NULL;
	f[0] = HEADER_PARTIAL;
	if (RAND_bytes(f + 1, (int)m1len) != 1)
		goto out;
	size_t got = 0;
	e = digest(hd, f + 1, m1len, challenge, AA_CHALLENGE_LEN, f + 1 + m1len, &got);
	if (e != CRYPTO_OK)
		goto out;
	e = CRYPTO_ERR_LIBCRYPTO;
	if (tlen == 1) {
		f[k - 1] = TRAILER_SHA1;
	} else {
		f[k - 2] = hd->iso_id;
		f[k - 1] = TRAILER_EXPLICIT;
	}
	if (!buf_reserve(out, k)) {
		e = CRYPTO_ERR_NOMEM;
		goto out;
	}
	size_t siglen = k;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_sign(ctx, out->data + out->len, &siglen, f, k) != 1 || siglen > k)
		goto out;
	if (siglen < k) { /* left-pad to the modulus length */
		uint8_t *p = out->data + out->len;
		memmove(p + (k - siglen), p, siglen);
		memset(p, 0, k - siglen);
	}
	out->len += k;
	e = CRYPTO_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(f, sizeof f);
	return e;
}

static crypto_err sign_ec(EVP_PKEY *priv, const aa_key_info *info, aa_hash hash,
                          const uint8_t challenge[AA_CHALLENGE_LEN], crypto_buf *out)
{
	const hash_desc *hd = hash_find(hash == AA_HASH_DEFAULT ? aa_ec_default_hash(info->bits) : hash);
	if (!hd)
		return CRYPTO_ERR_ARG;
	crypto_err e = CRYPTO_ERR_LIBCRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	ECDSA_SIG *es = NULL;
	size_t der_len = 0;
	if (!ctx || EVP_DigestSignInit_ex(ctx, NULL, hd->name, NULL, NULL, priv, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &der_len, challenge, AA_CHALLENGE_LEN) != 1)
		goto out;
	der = OPENSSL_malloc(der_len);
	if (!der) {
		e = CRYPTO_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, der, &der_len, challenge, AA_CHALLENGE_LEN) != 1)
		goto out;
	const unsigned char *p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!es)
		goto out;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(es, &r, &s);
	size_t n = info->sig_len / 2;
	if (!buf_reserve(out, 2 * n)) {
		e = CRYPTO_ERR_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(r, out->data + out->len, (int)n) != (int)n ||
	    BN_bn2binpad(s, out->data + out->len + n, (int)n) != (int)n)
		goto out;
	out->len += 2 * n;
	e = CRYPTO_OK;
out:
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return e;
}

crypto_err aa_sign(EVP_PKEY *priv, aa_hash hash, const uint8_t challenge[AA_CHALLENGE_LEN], crypto_buf *out)
{
	if (!priv || !challenge || !out)
		return CRYPTO_ERR_ARG;
	if (!buf_ok(out))
		return CRYPTO_ERR_NOMEM;
	ERR_set_mark();
	aa_key_info info;
	crypto_err e = describe(priv, &info);
	if (e == CRYPTO_OK)
		e = info.type == AA_KEY_RSA ? sign_rsa(priv, &info, hash, challenge, out)
		                            : sign_ec(priv, &info, hash, challenge, out);
	ERR_pop_to_mark();
	return e;
}
