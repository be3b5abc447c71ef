/*
 * test_aa — active authentication (ICAO 9303 part 11, 6.1). The chip side
 * (aa_sign) and the terminal side (aa_verify) round trip for RSA 1024/2048
 * with ISO/IEC 9796-2 trailers BC and xxCC and for ECDSA on P-256,
 * brainpoolP256r1 and P-384; each way a chip's answer can be wrong is named
 * for what failed; malformed lengths and keys are answered, never crash;
 * and the virtual chip answers INTERNAL AUTHENTICATE under BAC and secure
 * messaging, a cloned chip (aa_wrong_key) failing verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/aa.h"
#include "crypto/apdu.h"
#include "crypto/lds/lds.h"
#include "crypto/sm.h"
#include "devices/vpass/vpass.h"
#include "tests/docgen/fixture.h"
#include "tests/vpass/term.h"

#define DOCNO "L898902C<"
#define DOB   "690806"
#define DOE   "940623"

/* Keys made once for the whole run (RSA key generation is slow). */
enum { K_RSA1024, K_RSA2048, K_P256, K_BP256, K_P384, N_KEYS };

typedef struct key {
	const char *what;
	EVP_PKEY *priv;
	uint8_t *spki;
	size_t spki_len;
} key;

static key keys[N_KEYS];

static EVP_PKEY *gen_key(int which)
{
	switch (which) {
	case K_RSA1024: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	case K_RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case K_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case K_BP256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	case K_P384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	default: return NULL;
	}
}

static uint8_t *spki_of(EVP_PKEY *k, size_t *ret_len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	assert_true(n > 0);
	*ret_len = (size_t)n;
	return der;
}

static int group_setup(void **state)
{
	static const char *const names[N_KEYS] = { "RSA-1024", "RSA-2048", "P-256", "brainpoolP256r1", "P-384" };
	for (int i = 0; i < N_KEYS; i++) {
		keys[i].what = names[i];
		keys[i].priv = gen_key(i);
		if (!keys[i].priv)
			return -1;
		keys[i].spki = spki_of(keys[i].priv, &keys[i].spki_len);
	}
	(void)state;
	return 0;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < N_KEYS; i++) {
		EVP_PKEY_free(keys[i].priv);
		OPENSSL_free(keys[i].spki);
	}
	(void)state;
	return 0;
}

static const uint8_t challenge[AA_CHALLENGE_LEN] = { 0x78, 0x17, 0x23, 0x86, 0x0C, 0x06, 0xC2, 0x26 };

static void sign(int k, aa_hash h, const uint8_t ch[AA_CHALLENGE_LEN], crypto_buf *out)
{
	*out = CRYPTO_BUF_INIT;
	assert_int_equal(aa_sign(keys[k].priv, h, ch, out), CRYPTO_OK);
}

static aa_result verify(int k, aa_hash h, const uint8_t ch[AA_CHALLENGE_LEN], const uint8_t *sig, size_t len)
{
	aa_result r;
	memset(&r, 0xA5, sizeof r);
	assert_int_equal(aa_verify(keys[k].spki, keys[k].spki_len, h, ch, sig, len, &r), CRYPTO_OK);
	/* A verdict is either a pass or one named failure. */
	assert_true(r.passed == (r.failure == AA_FAIL_NONE));
	assert_true(strlen(r.detail) > 0);
	return r;
}

/* The raw RSA public operation: the 9796-2 message representative. */
static size_t rsa_recover(int k, const uint8_t *sig, size_t len, uint8_t *f, size_t cap)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, keys[k].priv, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
	size_t n = cap;
	assert_int_equal(EVP_PKEY_verify_recover(ctx, f, &n, sig, len), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

/* The raw RSA private operation on a representative the test builds, to
 * make a chip answer that is wrong in one chosen way. */
static void rsa_raw_sign(int k, const uint8_t *f, size_t len, crypto_buf *out)
{
	*out = CRYPTO_BUF_INIT;
	assert_true(buf_reserve(out, len));
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, keys[k].priv, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
	size_t n = len;
	assert_int_equal(EVP_PKEY_sign(ctx, out->data, &n, f, len), 1);
	assert_int_equal(n, len);
	out->len = n;
	EVP_PKEY_CTX_free(ctx);
}

/* A valid representative 6A || M1 || SHA-1(M1 || challenge) || BC. */
static size_t rsa_good_representative(int k, uint8_t *f)
{
	size_t len = (size_t)EVP_PKEY_get_bits(keys[k].priv) / 8;
	size_t m1 = len - 1 - 20 - 1;
	f[0] = 0x6A;
	for (size_t i = 0; i < m1; i++)
		f[1 + i] = (uint8_t)(i * 7 + 3);
	uint8_t msg[512];
	memcpy(msg, f + 1, m1);
	memcpy(msg + m1, challenge, AA_CHALLENGE_LEN);
	unsigned int hl = 0;
	assert_int_equal(EVP_Digest(msg, m1 + AA_CHALLENGE_LEN, f + 1 + m1, &hl, EVP_sha1(), NULL), 1);
	f[len - 1] = 0xBC;
	return len;
}

/* ---- round trips ------------------------------------------------------- */

static void test_rsa_round_trip(void **state)
{
	(void)state;
	static const struct {
		int key;
		aa_hash hash;
		uint8_t id;        /* 0: trailer BC */
	} cases[] = {
		{ K_RSA1024, AA_HASH_DEFAULT, 0 },
		{ K_RSA1024, AA_HASH_SHA1, 0 },
		{ K_RSA2048, AA_HASH_SHA1, 0 },
		{ K_RSA1024, AA_HASH_SHA256, 0x34 },
		{ K_RSA2048, AA_HASH_SHA256, 0x34 },
		{ K_RSA2048, AA_HASH_SHA224, 0x38 },
		{ K_RSA2048, AA_HASH_SHA384, 0x36 },
		{ K_RSA2048, AA_HASH_SHA512, 0x35 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int k = cases[i].key;
		crypto_buf sig;
		sign(k, cases[i].hash, challenge, &sig);
		size_t modlen = (size_t)EVP_PKEY_get_bits(keys[k].priv) / 8;
		assert_int_equal(sig.len, modlen);

		/* The representative has the 9796-2 layout the case asks for. */
		uint8_t f[512];
		assert_int_equal(rsa_recover(k, sig.data, sig.len, f, sizeof f), modlen);
		assert_int_equal(f[0], 0x6A);
		if (cases[i].id) {
			assert_int_equal(f[modlen - 2], cases[i].id);
			assert_int_equal(f[modlen - 1], 0xCC);
		} else {
			assert_int_equal(f[modlen - 1], 0xBC);
		}

		/* The hash argument is ignored for RSA: the trailer says. */
		aa_result r = verify(k, AA_HASH_SHA512, challenge, sig.data, sig.len);
		if (!r.passed)
			fail_msg("%s case %zu: %s", keys[k].what, i, r.detail);
		assert_int_equal(r.key_type, AA_KEY_RSA);
		assert_int_equal(r.key_bits, (int)modlen * 8);
		assert_int_equal(r.hash, cases[i].hash == AA_HASH_DEFAULT ? AA_HASH_SHA1 : cases[i].hash);
		assert_string_equal(r.scheme, "ISO/IEC 9796-2 scheme 1");
		assert_string_equal(r.curve, "");

		/* M1 is random: two signatures of one challenge differ. */
		crypto_buf again;
		sign(k, cases[i].hash, challenge, &again);
		assert_memory_not_equal(sig.data, again.data, sig.len);
		buf_free(&again);
		buf_free(&sig);
	}
}

static void test_rsa_explicit_sha1_trailer(void **state)
{
	/* Some chips name SHA-1 explicitly: 33CC. */
	(void)state;
	uint8_t f[128];
	size_t len = 128;
	size_t m1 = len - 1 - 20 - 2;
	f[0] = 0x6A;
	memset(f + 1, 0x42, m1);
	uint8_t msg[128];
	memcpy(msg, f + 1, m1);
	memcpy(msg + m1, challenge, 8);
	unsigned int hl = 0;
	assert_int_equal(EVP_Digest(msg, m1 + 8, f + 1 + m1, &hl, EVP_sha1(), NULL), 1);
	f[len - 2] = 0x33;
	f[len - 1] = 0xCC;
	crypto_buf sig;
	rsa_raw_sign(K_RSA1024, f, len, &sig);
	aa_result r = verify(K_RSA1024, AA_HASH_DEFAULT, challenge, sig.data, sig.len);
	assert_true(r.passed);
	assert_int_equal(r.hash, AA_HASH_SHA1);
	buf_free(&sig);
}

static void test_ecdsa_round_trip(void **state)
{
	(void)state;
	static const struct {
		int key;
		aa_hash sign_hash, verify_hash, used;
		const char *curve;
		size_t len;
	} cases[] = {
		{ K_P256, AA_HASH_DEFAULT, AA_HASH_DEFAULT, AA_HASH_SHA256, "prime256v1", 64 },
		{ K_P256, AA_HASH_SHA256, AA_HASH_SHA256, AA_HASH_SHA256, "prime256v1", 64 },
		{ K_P256, AA_HASH_SHA1, AA_HASH_SHA1, AA_HASH_SHA1, "prime256v1", 64 },
		{ K_BP256, AA_HASH_DEFAULT, AA_HASH_DEFAULT, AA_HASH_SHA256, "brainpoolP256r1", 64 },
		{ K_BP256, AA_HASH_SHA384, AA_HASH_SHA384, AA_HASH_SHA384, "brainpoolP256r1", 64 },
		{ K_P384, AA_HASH_DEFAULT, AA_HASH_DEFAULT, AA_HASH_SHA384, "secp384r1", 96 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int k = cases[i].key;
		for (int rep = 0; rep < 8; rep++) { /* r or s with leading zero bytes now and then */
			crypto_buf sig;
			sign(k, cases[i].sign_hash, challenge, &sig);
			assert_int_equal(sig.len, cases[i].len);
			aa_result r = verify(k, cases[i].verify_hash, challenge, sig.data, sig.len);
			if (!r.passed)
				fail_msg("%s case %zu: %s", keys[k].what, i, r.detail);
			assert_int_equal(r.key_type, AA_KEY_EC);
			assert_int_equal(r.hash, cases[i].used);
			assert_string_equal(r.scheme, "ECDSA");
			assert_string_equal(r.curve, cases[i].curve);
			buf_free(&sig);
		}
	}
}

/* ---- each failing step, in words --------------------------------------- */

static void expect_failure(aa_result r, aa_failure f, const char *words)
{
	if (r.passed || r.failure != f)
		fail_msg("expected \"%s\", got %s: %s", aa_failure_str(f), r.passed ? "pass" : "failure",
		         r.detail);
	if (words && !strstr(r.detail, words))
		fail_msg("detail \"%s\" does not say \"%s\"", r.detail, words);
}

static void test_rsa_failures(void **state)
{
	(void)state;
	uint8_t f[256], other[AA_CHALLENGE_LEN];
	memcpy(other, challenge, sizeof other);
	other[7] ^= 1;
	crypto_buf sig;

	/* Wrong challenge: the recovered hash is of the other one. */
	sign(K_RSA1024, AA_HASH_DEFAULT, challenge, &sig);
	expect_failure(verify(K_RSA1024, AA_HASH_DEFAULT, other, sig.data, sig.len), AA_FAIL_HASH,
	               "signature does not verify with the DG15 key");
	buf_free(&sig);

	/* Tampered signature: every byte position, a step names it. */
	sign(K_RSA1024, AA_HASH_DEFAULT, challenge, &sig);
	for (size_t i = 0; i < sig.len; i += 9) {
		sig.data[i] ^= 0x10;
		aa_result r = verify(K_RSA1024, AA_HASH_DEFAULT, challenge, sig.data, sig.len);
		assert_false(r.passed);
		assert_true(r.failure == AA_FAIL_HEADER || r.failure == AA_FAIL_TRAILER ||
		            r.failure == AA_FAIL_HASH || r.failure == AA_FAIL_RSA_RANGE);
		sig.data[i] ^= 0x10;
	}
	buf_free(&sig);

	/* The right layout but a hash of something else. */
	size_t len = rsa_good_representative(K_RSA1024, f);
	f[len - 5] ^= 0x01;
	rsa_raw_sign(K_RSA1024, f, len, &sig);
	expect_failure(verify(K_RSA1024, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_HASH,
	               "recovered SHA-1 differs");
	buf_free(&sig);

	/* Wrong header. */
	len = rsa_good_representative(K_RSA1024, f);
	f[0] = 0x4B;
	rsa_raw_sign(K_RSA1024, f, len, &sig);
	expect_failure(verify(K_RSA1024, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_HEADER,
	               "wrong ISO/IEC 9796-2 header 4B");
	buf_free(&sig);

	/* Wrong trailers: neither BC nor a hash id with CC. */
	static const uint8_t bad_trailers[][2] = { { 0x00, 0xBD }, { 0x34, 0xCD }, { 0x99, 0xCC } };
	for (size_t i = 0; i < 3; i++) {
		len = rsa_good_representative(K_RSA1024, f);
		f[len - 2] = bad_trailers[i][0];
		f[len - 1] = bad_trailers[i][1];
		rsa_raw_sign(K_RSA1024, f, len, &sig);
		expect_failure(verify(K_RSA1024, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_TRAILER,
		               "wrong ISO/IEC 9796-2 trailer");
		buf_free(&sig);
	}

	/* A hash identifier we know of but do not implement (Whirlpool): AA
	 * is not performed, which is not a verdict; *ret stays as it was. */
	len = rsa_good_representative(K_RSA1024, f);
	f[len - 2] = 0x37;
	f[len - 1] = 0xCC;
	rsa_raw_sign(K_RSA1024, f, len, &sig);
	aa_result untouched = { .passed = true, .detail = "before" };
	assert_int_equal(aa_verify(keys[K_RSA1024].spki, keys[K_RSA1024].spki_len, AA_HASH_DEFAULT, challenge,
	                           sig.data, sig.len, &untouched), CRYPTO_ERR_UNSUPPORTED);
	assert_true(untouched.passed);
	assert_string_equal(untouched.detail, "before");
	buf_free(&sig);

	/* Signed with another key (a clone): the DG15 key recovers garbage. */
	sign(K_RSA2048, AA_HASH_DEFAULT, challenge, &sig);
	EVP_PKEY *clone = gen_key(K_RSA2048);
	assert_non_null(clone);
	crypto_buf forged = CRYPTO_BUF_INIT;
	assert_int_equal(aa_sign(clone, AA_HASH_DEFAULT, challenge, &forged), CRYPTO_OK);
	aa_result r = verify(K_RSA2048, AA_HASH_DEFAULT, challenge, forged.data, forged.len);
	assert_false(r.passed);
	assert_true(r.failure == AA_FAIL_HEADER || r.failure == AA_FAIL_TRAILER || r.failure == AA_FAIL_HASH ||
	            r.failure == AA_FAIL_RSA_RANGE);
	EVP_PKEY_free(clone);
	buf_free(&forged);

	/* Not below the modulus. */
	memset(sig.data, 0xFF, sig.len);
	expect_failure(verify(K_RSA2048, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_RSA_RANGE, NULL);
	/* A 1024-bit signature against the 2048-bit key. */
	expect_failure(verify(K_RSA2048, AA_HASH_DEFAULT, challenge, sig.data, 128), AA_FAIL_SIG_LENGTH,
	               "needs 256");
	buf_free(&sig);
}

static void test_ecdsa_failures(void **state)
{
	(void)state;
	uint8_t other[AA_CHALLENGE_LEN];
	memcpy(other, challenge, sizeof other);
	other[0] ^= 0x80;
	for (int k = K_P256; k <= K_P384; k++) {
		crypto_buf sig;
		sign(k, AA_HASH_DEFAULT, challenge, &sig);
		/* Wrong challenge. */
		expect_failure(verify(k, AA_HASH_DEFAULT, other, sig.data, sig.len), AA_FAIL_SIGNATURE,
		               "signature does not verify with the DG15 key");
		/* Tampered r, tampered s. */
		sig.data[3] ^= 0x01;
		expect_failure(verify(k, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIGNATURE, NULL);
		sig.data[3] ^= 0x01;
		sig.data[sig.len - 1] ^= 0x01;
		expect_failure(verify(k, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIGNATURE, NULL);
		sig.data[sig.len - 1] ^= 0x01;
		/* Verified with another hash than the one DG14 names. */
		expect_failure(verify(k, AA_HASH_SHA1, challenge, sig.data, sig.len), AA_FAIL_SIGNATURE, "SHA-1");
		/* Untampered it still passes. */
		assert_true(verify(k, AA_HASH_DEFAULT, challenge, sig.data, sig.len).passed);
		/* r = 0; s = 0; r and s past the group order. */
		memset(sig.data, 0, sig.len / 2);
		expect_failure(verify(k, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIG_FORMAT, NULL);
		memset(sig.data, 0xFF, sig.len);
		expect_failure(verify(k, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIGNATURE, NULL);
		buf_free(&sig);

		/* A clone's key of the same curve. */
		EVP_PKEY *clone = gen_key(k);
		crypto_buf forged = CRYPTO_BUF_INIT;
		assert_int_equal(aa_sign(clone, AA_HASH_DEFAULT, challenge, &forged), CRYPTO_OK);
		expect_failure(verify(k, AA_HASH_DEFAULT, challenge, forged.data, forged.len), AA_FAIL_SIGNATURE,
		               "signature does not verify with the DG15 key");
		EVP_PKEY_free(clone);
		buf_free(&forged);
	}
	/* A P-256 signature against the P-384 key. */
	crypto_buf sig;
	sign(K_P256, AA_HASH_DEFAULT, challenge, &sig);
	expect_failure(verify(K_P384, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIG_LENGTH,
	               "needs 96");
	buf_free(&sig);
}

/* Every length of a signature that is not the key's is a named failure,
 * never a crash or a pass. */
static void test_truncations(void **state)
{
	(void)state;
	for (int k = 0; k < N_KEYS; k++) {
		crypto_buf sig;
		sign(k, AA_HASH_DEFAULT, challenge, &sig);
		size_t good = sig.len;
		uint8_t *longer = malloc(good + 2);
		assert_non_null(longer);
		memcpy(longer, sig.data, good);
		longer[good] = longer[good + 1] = 0x00;
		for (size_t n = 0; n <= good + 2; n++) {
			const uint8_t *p = n <= good ? sig.data : longer;
			aa_result r = verify(k, AA_HASH_DEFAULT, challenge, p, n);
			if (n == good) {
				assert_true(r.passed);
				continue;
			}
			expect_failure(r, AA_FAIL_SIG_LENGTH, NULL);
			/* The tail alone, as if the start were lost. */
			if (n < good) {
				r = verify(k, AA_HASH_DEFAULT, challenge, sig.data + good - n, n);
				expect_failure(r, AA_FAIL_SIG_LENGTH, NULL);
			}
		}
		aa_result r = verify(k, AA_HASH_DEFAULT, challenge, NULL, 0);
		expect_failure(r, AA_FAIL_SIG_LENGTH, NULL);
		free(longer);
		buf_free(&sig);
	}
}

static void test_bad_keys_and_args(void **state)
{
	(void)state;
	crypto_buf sig;
	sign(K_P256, AA_HASH_DEFAULT, challenge, &sig);
	aa_result r;
	/* Truncated SubjectPublicKeyInfo: the DG15 key cannot be decoded. */
	for (size_t n = 0; n < keys[K_P256].spki_len; n++) {
		memset(&r, 0, sizeof r);
		crypto_err e = aa_verify(keys[K_P256].spki, n, AA_HASH_DEFAULT, challenge, sig.data, sig.len, &r);
		assert_int_equal(e, CRYPTO_OK);
		expect_failure(r, AA_FAIL_KEY, "cannot be decoded");
	}
	/* Trailing bytes after the key. */
	uint8_t padded[512];
	memcpy(padded, keys[K_P256].spki, keys[K_P256].spki_len);
	padded[keys[K_P256].spki_len] = 0;
	assert_int_equal(aa_verify(padded, keys[K_P256].spki_len + 1, AA_HASH_DEFAULT, challenge, sig.data,
	                           sig.len, &r), CRYPTO_OK);
	expect_failure(r, AA_FAIL_KEY, NULL);

	/* A key type AA does not use: not performed, *ret untouched. */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(ed);
	size_t ed_len = 0;
	uint8_t *ed_spki = spki_of(ed, &ed_len);
	aa_result keep = { .detail = "kept" };
	assert_int_equal(aa_verify(ed_spki, ed_len, AA_HASH_DEFAULT, challenge, sig.data, sig.len, &keep),
	                 CRYPTO_ERR_UNSUPPORTED);
	assert_string_equal(keep.detail, "kept");
	aa_key_info info;
	assert_int_equal(aa_key_describe(ed_spki, ed_len, &info), CRYPTO_ERR_UNSUPPORTED);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(aa_sign(ed, AA_HASH_DEFAULT, challenge, &out), CRYPTO_ERR_UNSUPPORTED);
	assert_int_equal(out.len, 0);
	OPENSSL_free(ed_spki);
	EVP_PKEY_free(ed);

	/* Arguments. */
	assert_int_equal(aa_verify(NULL, 0, AA_HASH_DEFAULT, challenge, sig.data, sig.len, &r), CRYPTO_ERR_ARG);
	assert_int_equal(aa_verify(keys[K_P256].spki, keys[K_P256].spki_len, AA_HASH_DEFAULT, NULL, sig.data,
	                           sig.len, &r), CRYPTO_ERR_ARG);
	assert_int_equal(aa_verify(keys[K_P256].spki, keys[K_P256].spki_len, AA_HASH_DEFAULT, challenge, NULL, 4,
	                           &r), CRYPTO_ERR_ARG);
	assert_int_equal(aa_verify(keys[K_P256].spki, keys[K_P256].spki_len, (aa_hash)99, challenge, sig.data,
	                           sig.len, &r), CRYPTO_ERR_ARG);
	assert_int_equal(aa_sign(NULL, AA_HASH_DEFAULT, challenge, &out), CRYPTO_ERR_ARG);
	assert_int_equal(aa_sign(keys[K_P256].priv, (aa_hash)99, challenge, &out), CRYPTO_ERR_ARG);
	buf_free(&sig);

	/* Every failure and hash has words. */
	for (int f = AA_FAIL_NONE; f <= AA_FAIL_SIG_FORMAT; f++)
		assert_null(strstr(aa_failure_str((aa_failure)f), "unknown"));
	for (int h = AA_HASH_DEFAULT; h <= AA_HASH_SHA512; h++)
		assert_null(strstr(aa_hash_name((aa_hash)h), "unknown"));
}

static void test_key_describe_and_command(void **state)
{
	(void)state;
	static const struct {
		int key;
		aa_key_type type;
		int bits;
		size_t sig_len, le;
		const char *curve;
	} cases[] = {
		{ K_RSA1024, AA_KEY_RSA, 1024, 128, APDU_MAX_SHORT_LE, "" },
		{ K_RSA2048, AA_KEY_RSA, 2048, 256, APDU_MAX_EXT_LE, "" },
		{ K_P256, AA_KEY_EC, 256, 64, APDU_MAX_SHORT_LE, "prime256v1" },
		{ K_BP256, AA_KEY_EC, 256, 64, APDU_MAX_SHORT_LE, "brainpoolP256r1" },
		{ K_P384, AA_KEY_EC, 384, 96, APDU_MAX_SHORT_LE, "secp384r1" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		aa_key_info info;
		assert_int_equal(aa_key_describe(keys[cases[i].key].spki, keys[cases[i].key].spki_len, &info),
		                 CRYPTO_OK);
		assert_int_equal(info.type, cases[i].type);
		assert_int_equal(info.bits, cases[i].bits);
		assert_int_equal(info.sig_len, cases[i].sig_len);
		assert_string_equal(info.curve, cases[i].curve);
		crypto_apdu a;
		aa_command(challenge, info.sig_len, &a);
		assert_int_equal(a.cla, 0x00);
		assert_int_equal(a.ins, 0x88);
		assert_int_equal(a.p1, 0);
		assert_int_equal(a.p2, 0);
		assert_int_equal(a.lc, 8);
		assert_ptr_equal(a.data, challenge);
		assert_int_equal(a.le, cases[i].le);
	}
	assert_int_equal(aa_key_describe(challenge, sizeof challenge, &(aa_key_info){ 0 }), CRYPTO_ERR_FORMAT);

	/* Fresh challenges differ. */
	uint8_t c1[8], c2[8];
	assert_int_equal(aa_challenge(c1), CRYPTO_OK);
	assert_int_equal(aa_challenge(c2), CRYPTO_OK);
	assert_memory_not_equal(c1, c2, 8);
}

/* ---- DG14 ActiveAuthenticationInfo ------------------------------------- */

static size_t aa_info(const uint8_t *alg, size_t alg_len, uint8_t *out)
{
	static const uint8_t head[] = { 0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x05, 0x02, 0x01, 0x01, 0x06 };
	out[0] = 0x30;
	out[1] = (uint8_t)(sizeof head + 1 + alg_len);
	memcpy(out + 2, head, sizeof head);
	out[2 + sizeof head] = (uint8_t)alg_len;
	memcpy(out + 3 + sizeof head, alg, alg_len);
	return 3 + sizeof head + alg_len;
}

static void test_dg14_info(void **state)
{
	(void)state;
	static const struct {
		uint8_t oid[12];
		size_t len;
		crypto_err e;
		aa_hash hash;
	} cases[] = {
		/* ecdsa-plain-SHA1 .. SHA512 (BSI TR-03111) */
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x01 }, 10, CRYPTO_OK, AA_HASH_SHA1 },
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x02 }, 10, CRYPTO_OK, AA_HASH_SHA224 },
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x03 }, 10, CRYPTO_OK, AA_HASH_SHA256 },
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x04 }, 10, CRYPTO_OK, AA_HASH_SHA384 },
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x05 }, 10, CRYPTO_OK, AA_HASH_SHA512 },
		/* ecdsa-plain-RIPEMD160 */
		{ { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x06 }, 10, CRYPTO_ERR_UNSUPPORTED, 0 },
		/* ecdsa-with-SHA1, ecdsa-with-SHA256 (X9.62) */
		{ { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01 }, 7, CRYPTO_OK, AA_HASH_SHA1 },
		{ { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 }, 8, CRYPTO_OK, AA_HASH_SHA256 },
		/* sha256WithRSAEncryption: not an ECDSA algorithm */
		{ { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B }, 9, CRYPTO_ERR_UNSUPPORTED, 0 },
	};
	uint8_t der[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = aa_info(cases[i].oid, cases[i].len, der);
		aa_hash h = (aa_hash)77;
		assert_int_equal(aa_hash_from_dg14_info(der, n, &h), cases[i].e);
		assert_int_equal(h, cases[i].e == CRYPTO_OK ? cases[i].hash : (aa_hash)77);
		/* Every truncation is malformed, and *ret untouched. */
		for (size_t t = 0; t < n; t++) {
			h = (aa_hash)77;
			assert_int_equal(aa_hash_from_dg14_info(der, t, &h), CRYPTO_ERR_FORMAT);
			assert_int_equal(h, (aa_hash)77);
		}
	}
	/* Another protocol's SecurityInfo (id-CA-ECDH-3DES-CBC-CBC). */
	size_t n = aa_info(cases[2].oid, cases[2].len, der);
	static const uint8_t ca[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x01 };
	uint8_t built[64] = { 0x30, 0x00, 0x06, sizeof ca };
	memcpy(built + 4, ca, sizeof ca);
	size_t m = 4 + sizeof ca;
	built[m++] = 0x02;
	built[m++] = 0x01;
	built[m++] = 0x01;
	built[1] = (uint8_t)(m - 2);
	aa_hash h;
	assert_int_equal(aa_hash_from_dg14_info(built, m, &h), CRYPTO_ERR_FORMAT);
	/* Signed with the hash DG14 names, verified with it. */
	assert_int_equal(aa_hash_from_dg14_info(der, n, &h), CRYPTO_OK);
	crypto_buf sig;
	sign(K_P384, AA_HASH_SHA256, challenge, &sig);
	assert_true(verify(K_P384, h, challenge, sig.data, sig.len).passed);
	expect_failure(verify(K_P384, AA_HASH_DEFAULT, challenge, sig.data, sig.len), AA_FAIL_SIGNATURE, NULL);
	buf_free(&sig);
}

/* ---- the virtual chip -------------------------------------------------- */

/* The terminal is tests/vpass/term.h; sessions are BAC with term_open. */

/* A chip with DG15 for key k and that key for AA. */
static vpass_card *make_card(int k, bool with_key, aa_hash hash, const vpass_options *opts)
{
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, DOCNO, DOB, DOE), VPASS_OK);
	crypto_buf dg15 = CRYPTO_BUF_INIT;
	buf_append_tlv(&dg15, 0x6F, keys[k].spki, keys[k].spki_len);
	assert_true(buf_ok(&dg15));
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(15), dg15.data, dg15.len), VPASS_OK);
	buf_free(&dg15);
	if (with_key)
		assert_int_equal(vpass_doc_set_aa_key(doc, keys[k].priv, hash), VPASS_OK);
	vpass_card *card = NULL;
	assert_int_equal(vpass_card_new(doc, opts, &card), VPASS_OK);
	vpass_doc_free(doc); /* the card holds its own copy and key reference */
	return card;
}

/* What the reader does: DG15 from the chip, a fresh challenge, INTERNAL
 * AUTHENTICATE under SM, verify. Returns the SW; *ret the verdict. */
static uint16_t active_authentication(term *t, aa_hash hash, aa_result *ret)
{
	/* EF.DG15, in as many reads as secure messaging needs. */
	uint8_t fid[2] = { 0x01, 0x0F };
	crypto_apdu sel = { .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = fid, .lc = 2 };
	assert_int_equal(term_xfer(t, &sel, NULL), SW_OK);
	crypto_buf file = CRYPTO_BUF_INIT;
	for (;;) {
		crypto_apdu rd = { .ins = 0xB0, .p1 = (uint8_t)(file.len >> 8), .p2 = (uint8_t)file.len,
			    .le = APDU_MAX_SHORT_LE };
		uint16_t rsw = term_xfer(t, &rd, &file);
		if (rsw == SW_WRONG_P1P2)
			break;
		assert_int_equal(rsw, SW_OK);
	}
	lds_dg15 *dg15 = NULL;
	assert_int_equal(lds_dg15_parse(file.data, file.len, &dg15), LDS_OK);
	buf_free(&file);
	aa_key_info info;
	assert_int_equal(aa_key_describe(dg15->der, dg15->der_len, &info), CRYPTO_OK);
	uint8_t ch[AA_CHALLENGE_LEN];
	assert_int_equal(aa_challenge(ch), CRYPTO_OK);
	crypto_apdu ia;
	aa_command(ch, info.sig_len, &ia);
	crypto_buf sig = CRYPTO_BUF_INIT;
	uint16_t sw = term_xfer(t, &ia, &sig);
	if (sw == SW_OK)
		assert_int_equal(aa_verify(dg15->der, dg15->der_len, hash, ch, sig.data, sig.len, ret), CRYPTO_OK);
	buf_free(&sig);
	lds_dg15_free(dg15);
	return sw;
}

static void test_chip_internal_authenticate(void **state)
{
	(void)state;
	static const struct {
		int key;
		aa_hash hash;
	} cases[] = {
		{ K_RSA1024, AA_HASH_DEFAULT }, { K_RSA2048, AA_HASH_DEFAULT }, { K_RSA2048, AA_HASH_SHA256 },
		{ K_P256, AA_HASH_DEFAULT },    { K_BP256, AA_HASH_DEFAULT },   { K_P384, AA_HASH_SHA512 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int k = cases[i].key;
		vpass_card *card = make_card(k, true, cases[i].hash, NULL);
		term t = term_open(card, DOCNO, DOB, DOE);
		for (int rep = 0; rep < 2; rep++) {
			aa_result r;
			assert_int_equal(active_authentication(&t, cases[i].hash, &r), SW_OK);
			if (!r.passed)
				fail_msg("%s: %s", keys[k].what, r.detail);
		}
		assert_true(vpass_card_sm_active(card));
		vpass_stats st;
		vpass_card_stats(card, &st);
		assert_int_equal(st.aa_signatures, 2);

		/* The cloned chip: same data, another key, caught. */
		vpass_card_set_options(card, &(vpass_options){ .aa_wrong_key = true });
		for (int rep = 0; rep < 2; rep++) {
			aa_result r;
			assert_int_equal(active_authentication(&t, cases[i].hash, &r), SW_OK);
			assert_false(r.passed);
			if (keys[k].priv && EVP_PKEY_get_base_id(keys[k].priv) == EVP_PKEY_EC)
				expect_failure(r, AA_FAIL_SIGNATURE, "signature does not verify with the DG15 key");
			else
				assert_true(r.failure == AA_FAIL_HEADER || r.failure == AA_FAIL_TRAILER ||
				            r.failure == AA_FAIL_HASH || r.failure == AA_FAIL_RSA_RANGE);
		}
		/* And back to the genuine chip. */
		vpass_card_set_options(card, NULL);
		aa_result r;
		assert_int_equal(active_authentication(&t, cases[i].hash, &r), SW_OK);
		assert_true(r.passed);
		vpass_card_free(card);
	}
}

static void test_chip_status_words(void **state)
{
	(void)state;
	uint8_t ch[AA_CHALLENGE_LEN] = { 0 };
	crypto_apdu ia;
	aa_command(ch, 64, &ia);

	/* No AA key: INS not supported, under SM, session kept. */
	vpass_card *card = make_card(K_P256, false, AA_HASH_DEFAULT, NULL);
	term t = term_open(card, DOCNO, DOB, DOE);
	assert_int_equal(term_xfer(&t, &ia, NULL), SW_INS_NOT_SUPPORTED);
	assert_true(t.sm_on);
	vpass_card_free(card);

	card = make_card(K_P256, true, AA_HASH_DEFAULT, NULL);
	/* Without BAC. */
	term plain = { .card = card };
	assert_int_equal(term_xfer(&plain, &ia, NULL), SW_SECURITY_STATUS);
	t = term_open(card, DOCNO, DOB, DOE);
	/* Wrong P1 P2, challenge length, no Le, Le too small. */
	crypto_apdu bad = ia;
	bad.p2 = 0x01;
	assert_int_equal(term_xfer(&t, &bad, NULL), 0x6A86);
	bad = ia;
	bad.lc = 7;
	assert_int_equal(term_xfer(&t, &bad, NULL), SW_WRONG_LENGTH);
	bad = ia;
	bad.le = 0;
	assert_int_equal(term_xfer(&t, &bad, NULL), SW_WRONG_LENGTH);
	bad = ia;
	bad.le = 63;
	assert_int_equal(term_xfer(&t, &bad, NULL), SW_WRONG_LENGTH);
	assert_true(t.sm_on);
	bad.le = 64;
	crypto_buf sig = CRYPTO_BUF_INIT;
	assert_int_equal(term_xfer(&t, &bad, &sig), SW_OK);
	assert_int_equal(sig.len, 64);
	buf_free(&sig);
	/* In the clear during a session: 6987, session over. */
	t.sm_on = false;
	assert_int_equal(term_xfer(&t, &ia, NULL), SW_SM_MISSING);
	assert_false(vpass_card_sm_active(card));
	vpass_card_free(card);

	/* RSA-2048: the extended Le aa_command picks gets the signature whole.
	 * (With a short Le the protected answer, longer than 256 bytes, comes
	 * in 61XX pieces for GET RESPONSE: tests/vpass/test_behaviours.c.) */
	card = make_card(K_RSA2048, true, AA_HASH_DEFAULT, NULL);
	t = term_open(card, DOCNO, DOB, DOE);
	aa_command(ch, 256, &bad);
	sig = CRYPTO_BUF_INIT;
	assert_int_equal(term_xfer(&t, &bad, &sig), SW_OK);
	assert_int_equal(sig.len, 256);
	buf_free(&sig);
	vpass_card_free(card);

	/* Setter arguments. */
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_aa_key(NULL, keys[K_P256].priv, AA_HASH_DEFAULT), VPASS_ERR_ARG);
	assert_int_equal(vpass_doc_set_aa_key(doc, keys[K_P256].priv, (aa_hash)42), VPASS_ERR_ARG);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_int_equal(vpass_doc_set_aa_key(doc, ed, AA_HASH_DEFAULT), VPASS_ERR_ARG);
	EVP_PKEY_free(ed);
	assert_null(vpass_doc_aa_key(doc));
	assert_int_equal(vpass_doc_set_aa_key(doc, keys[K_P256].priv, AA_HASH_DEFAULT), VPASS_OK);
	assert_ptr_equal(vpass_doc_aa_key(doc), keys[K_P256].priv);
	assert_int_equal(vpass_doc_set_aa_key(doc, NULL, AA_HASH_DEFAULT), VPASS_OK);
	assert_null(vpass_doc_aa_key(doc));
	vpass_doc_free(doc);
}

/* A document made by the factory (docgen --dg15: RSA-2048 in DIR/aa.key)
 * loads with its key, and its chip passes; an aa.key that is not a key is
 * a load error. */
static void test_chip_from_docgen(void **state)
{
	(void)state;
	char *root = fx_tmpdir();
	const char *pki = fx_pki(root, "pki", NULL);
	const char *dir = fx_doc(root, "doc", pki, "wulandari", (docgen_doc_opts){ .dg15 = true });
	char err[256] = "";
	vpass_doc *doc = NULL;
	if (vpass_doc_load(dir, &doc, err, sizeof err) != VPASS_OK)
		fail_msg("vpass_doc_load: %s", err);
	assert_non_null(vpass_doc_aa_key(doc));
	vpass_card *card = NULL;
	assert_int_equal(vpass_card_new(doc, NULL, &card), VPASS_OK);
	char docno[33], dob[7], doe[7];
	snprintf(docno, sizeof docno, "%s", vpass_doc_number(doc));
	snprintf(dob, sizeof dob, "%s", vpass_doc_birth_date(doc));
	snprintf(doe, sizeof doe, "%s", vpass_doc_expiry_date(doc));
	term t = term_open(card, docno, dob, doe);
	aa_result r;
	assert_int_equal(active_authentication(&t, AA_HASH_DEFAULT, &r), SW_OK);
	if (!r.passed)
		fail_msg("docgen document: %s", r.detail);
	assert_int_equal(r.key_bits, 2048);
	vpass_card_set_options(card, &(vpass_options){ .aa_wrong_key = true });
	assert_int_equal(active_authentication(&t, AA_HASH_DEFAULT, &r), SW_OK);
	assert_false(r.passed);
	vpass_card_free(card);
	vpass_doc_free(doc);

	/* A broken aa.key. */
	fx_write(fx_path(dir, "aa.key"), (const uint8_t *)"not a key\n", 10);
	doc = NULL;
	err[0] = '\0';
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_FORMAT);
	assert_null(doc);
	assert_non_null(strstr(err, "aa.key"));
	/* Without aa.key the document loads and the chip has no AA. */
	assert_int_equal(remove(fx_path(dir, "aa.key")), 0);
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
	assert_null(vpass_doc_aa_key(doc));
	vpass_doc_free(doc);
	fx_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_round_trip),
		cmocka_unit_test(test_rsa_explicit_sha1_trailer),
		cmocka_unit_test(test_ecdsa_round_trip),
		cmocka_unit_test(test_rsa_failures),
		cmocka_unit_test(test_ecdsa_failures),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_keys_and_args),
		cmocka_unit_test(test_key_describe_and_command),
		cmocka_unit_test(test_dg14_info),
		cmocka_unit_test(test_chip_internal_authenticate),
		cmocka_unit_test(test_chip_status_words),
		cmocka_unit_test(test_chip_from_docgen),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
