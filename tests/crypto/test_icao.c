/*
 * test_icao — the key derivation function of ICAO 9303 part 11, 9.7.1,
 * KDF(K, c) = H(K || c), for every session cipher: two-key 3DES and AES-128
 * from SHA-1, AES-192 and AES-256 from SHA-256, with c = 1 (KSenc) and
 * c = 2 (KSmac). The same function keys BAC, PACE and chip authentication
 * on both the terminal's and the virtual chip's side, so a fault here is a
 * session that never comes up.
 *
 * The expected keys were computed outside this code: the hashes with
 * `openssl dgst -sha1` and `openssl dgst -sha256` over K || 00000001 and
 * K || 00000002, K being the 32 bytes 00 01 .. 1F; the 3DES keys are the
 * first 16 bytes of the SHA-1 hash with each byte's lowest bit set for odd
 * parity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/icao.h"
#include "tests/crypto/hexutil.h"

static const char secret_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* SHA-1(K || 00000001) = a98ffb7caef3bd518fb7bc1b6cc89dbdef59cde6
 * SHA-1(K || 00000002) = e6b6e6b5e405eb5e6ffb080c390c2cd82363d25a
 * SHA-256(K || 00000001) = 04a6950a06d3e3308ad7d3606ef810eb124e3943404ca746a12c51c7bf776839
 * SHA-256(K || 00000002) = 0f8d842ac9cb62349779a7537a78327d545aaeb33b2d42c7d1dc3680a4b23628 */
static const struct {
	const char *what;
	bool aes;
	size_t key_len;
	uint32_t counter;
	const char *key;
} vectors[] = {
	{ "3DES KSenc", false, 16, ICAO_KDF_ENC, "a88ffb7caef2bc518fb6bc1a6dc89dbc" },
	{ "3DES KSmac", false, 16, ICAO_KDF_MAC, "e6b6e6b5e504ea5e6efb080d380d2cd9" },
	{ "AES-128 KSenc", true, 16, ICAO_KDF_ENC, "a98ffb7caef3bd518fb7bc1b6cc89dbd" },
	{ "AES-128 KSmac", true, 16, ICAO_KDF_MAC, "e6b6e6b5e405eb5e6ffb080c390c2cd8" },
	{ "AES-192 KSenc", true, 24, ICAO_KDF_ENC, "04a6950a06d3e3308ad7d3606ef810eb124e3943404ca746" },
	{ "AES-192 KSmac", true, 24, ICAO_KDF_MAC, "0f8d842ac9cb62349779a7537a78327d545aaeb33b2d42c7" },
	{ "AES-256 KSenc", true, 32, ICAO_KDF_ENC,
	  "04a6950a06d3e3308ad7d3606ef810eb124e3943404ca746a12c51c7bf776839" },
	{ "AES-256 KSmac", true, 32, ICAO_KDF_MAC,
	  "0f8d842ac9cb62349779a7537a78327d545aaeb33b2d42c7d1dc3680a4b23628" },
};

static void test_kdf_vectors(void **state)
{
	(void)state;
	uint8_t secret[32], want[32], key[32];
	assert_int_equal(hex_decode(secret_hex, secret, sizeof secret), sizeof secret);
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		size_t n = hex_decode(vectors[i].key, want, sizeof want);
		assert_int_equal(n, vectors[i].key_len);
		memset(key, 0xEE, sizeof key);
		assert_int_equal(icao_kdf(secret, sizeof secret, vectors[i].counter, vectors[i].aes, vectors[i].key_len,
		                          key),
		                 CRYPTO_OK);
		if (memcmp(key, want, n) != 0) {
			char got[65];
			hex_encode(key, n, got);
			fail_msg("%s: got %s, expected %s", vectors[i].what, got, vectors[i].key);
		}
		/* nothing written past the key */
		for (size_t j = n; j < sizeof key; j++)
			assert_int_equal(key[j], 0xEE);
	}
}

/* The 3DES form BAC calls is the same derivation. */
static void test_kdf_3des_same(void **state)
{
	(void)state;
	uint8_t secret[32], a[16], b[16];
	assert_int_equal(hex_decode(secret_hex, secret, sizeof secret), sizeof secret);
	for (uint32_t c = ICAO_KDF_ENC; c <= ICAO_KDF_PACE; c++) {
		assert_int_equal(icao_kdf_3des(secret, sizeof secret, c, a), CRYPTO_OK);
		assert_int_equal(icao_kdf(secret, sizeof secret, c, false, 16, b), CRYPTO_OK);
		assert_memory_equal(a, b, sizeof a);
	}
}

/* Lengths no cipher has are refused, and the output is left alone. */
static void test_kdf_bad_arguments(void **state)
{
	(void)state;
	uint8_t secret[32] = { 0 }, key[32];
	static const struct {
		bool aes;
		size_t key_len;
	} bad[] = { { false, 24 }, { false, 32 }, { false, 8 }, { true, 20 }, { true, 0 }, { true, 64 } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(key, 0xEE, sizeof key);
		assert_int_equal(icao_kdf(secret, sizeof secret, ICAO_KDF_ENC, bad[i].aes, bad[i].key_len, key),
		                 CRYPTO_ERR_ARG);
		for (size_t j = 0; j < sizeof key; j++)
			assert_int_equal(key[j], 0xEE);
	}
	assert_int_equal(icao_kdf(NULL, 4, ICAO_KDF_ENC, true, 16, key), CRYPTO_ERR_ARG);
	assert_int_equal(icao_kdf(secret, sizeof secret, ICAO_KDF_ENC, true, 16, NULL), CRYPTO_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_vectors),
		cmocka_unit_test(test_kdf_3des_same),
		cmocka_unit_test(test_kdf_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
