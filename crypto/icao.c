/*
 * icao — MRZ check digits, the ICAO 9303 part 11 key derivation function,
 * and the 3DES / retail-MAC primitives that BAC and secure messaging share
 * (icao-internal.h). Single DES is not in OpenSSL 3's default provider, so
 * single-DES steps of the retail MAC run as DES-EDE with K1||K1, which is
 * the same permutation.
 */
#include "crypto/icao.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/icao-internal.h"

int icao_check_digit(const char *s, size_t len)
{
	static const int weights[3] = { 7, 3, 1 };
	int sum = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'A' && c <= 'Z')
			v = c - 'A' + 10;
		else if (c == '<')
			v = 0;
		else
			return -1;
		sum += v * weights[i % 3];
		sum %= 10;
	}
	return sum;
}

static uint8_t des_odd_parity(uint8_t b)
{
	uint8_t hi = b & 0xFE;
	int ones = __builtin_popcount(hi);
	return (uint8_t)(hi | ((ones & 1) ? 0 : 1));
}

crypto_err icao_kdf(const uint8_t *seed, size_t seed_len, uint32_t counter, bool aes, size_t key_len,
                    uint8_t *key)
{
	if (!seed || !key)
		return CRYPTO_ERR_ARG;
	/* SHA-1 for 3DES and AES-128, SHA-256 for AES-192 and AES-256. */
	const EVP_MD *md_type;
	if (key_len == 16)
		md_type = EVP_sha1();
	else if (aes && (key_len == 24 || key_len == 32))
		md_type = EVP_sha256();
	else
		return CRYPTO_ERR_ARG;
	uint8_t c[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
	                 (uint8_t)counter };
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return CRYPTO_ERR_NOMEM;
	crypto_err err = CRYPTO_ERR_LIBCRYPTO;
	if (EVP_DigestInit_ex(ctx, md_type, NULL) != 1 || EVP_DigestUpdate(ctx, seed, seed_len) != 1 ||
	    EVP_DigestUpdate(ctx, c, sizeof c) != 1 || EVP_DigestFinal_ex(ctx, md, &md_len) != 1 ||
	    md_len < key_len)
		goto out_free_ctx;
	for (size_t i = 0; i < key_len; i++)
		key[i] = aes ? md[i] : des_odd_parity(md[i]);
	err = CRYPTO_OK;
out_free_ctx:
	OPENSSL_cleanse(md, sizeof md);
	EVP_MD_CTX_free(ctx);
	return err;
}

crypto_err icao_kdf_3des(const uint8_t *seed, size_t seed_len, uint32_t counter, uint8_t key[16])
{
	return icao_kdf(seed, seed_len, counter, false, 16, key);
}

/* ---- shared block-cipher plumbing (icao-internal.h) ---- */

crypto_err icao_3des_cbc(const uint8_t key[16], const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out,
                         bool encrypt)
{
	static const uint8_t zero_iv[8];
	if (len % 8 != 0 || len > INT_MAX)
		return CRYPTO_ERR_ARG;
	if (len == 0)
		return CRYPTO_OK;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return CRYPTO_ERR_NOMEM;
	crypto_err err = CRYPTO_ERR_LIBCRYPTO;
	int n = 0, fin = 0;
	if (EVP_CipherInit_ex(ctx, EVP_des_ede_cbc(), NULL, key, iv ? iv : zero_iv, encrypt ? 1 : 0) != 1)
		goto out_free_ctx;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	if (EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 || EVP_CipherFinal_ex(ctx, out + n, &fin) != 1)
		goto out_free_ctx;
	if ((size_t)n + (size_t)fin != len)
		goto out_free_ctx;
	err = CRYPTO_OK;
out_free_ctx:
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

size_t icao_pad_len(size_t len, size_t block)
{
	return (len / block + 1) * block;
}

void icao_pad(uint8_t *out, size_t len, size_t block)
{
	size_t total = icao_pad_len(len, block);
	out[len] = 0x80;
	memset(out + len + 1, 0, total - len - 1);
}

bool icao_unpad(const uint8_t *data, size_t len, size_t block, size_t *ret_len)
{
	size_t i = len;
	while (i > 0 && data[i - 1] == 0x00)
		i--;
	if (i == 0 || data[i - 1] != 0x80 || len - i + 1 > block)
		return false;
	*ret_len = i - 1;
	return true;
}

/* CBC-MAC under single DES K1 (DES-EDE with K1||K1) over len bytes, a
 * multiple of 8: the chaining value after the last block. */
static crypto_err des_cbc_chain(const uint8_t k1k1[16], const uint8_t *msg, size_t len, uint8_t h[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return CRYPTO_ERR_NOMEM;
	crypto_err err = CRYPTO_ERR_LIBCRYPTO;
	uint8_t scratch[1024];
	memset(h, 0, 8);
	if (EVP_EncryptInit_ex(ctx, EVP_des_ede_cbc(), NULL, k1k1, h) != 1)
		goto out_free_ctx;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off > sizeof scratch ? sizeof scratch : len - off;
		int n = 0;
		if (EVP_EncryptUpdate(ctx, scratch, &n, msg + off, (int)chunk) != 1 || (size_t)n != chunk)
			goto out_free_ctx;
		memcpy(h, scratch + chunk - 8, 8);
		off += chunk;
	}
	err = CRYPTO_OK;
out_free_ctx:
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

crypto_err icao_retail_mac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[8])
{
	/* Every block but the last (the one holding the padding) goes through
	 * single-DES CBC under K1; the last through E_K1(D_K2(E_K1(.))), which
	 * is 3DES encryption with K1||K2 and exactly algorithm 3's final step. */
	uint8_t k1k1[16];
	memcpy(k1k1, key, 8);
	memcpy(k1k1 + 8, key, 8);
	uint8_t h[8] = { 0 };
	size_t full = len / 8 * 8;
	if (full > 0) {
		crypto_err err = des_cbc_chain(k1k1, msg, full, h);
		if (err != CRYPTO_OK)
			return err;
	}
	uint8_t last[8] = { 0 };
	memcpy(last, msg + full, len - full);
	last[len - full] = 0x80;
	for (int i = 0; i < 8; i++)
		last[i] ^= h[i];
	return icao_3des_cbc(key, NULL, last, 8, mac, true);
}

static bool is_mrz_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<';
}

static bool is_date(const char *d)
{
	for (int i = 0; i < 6; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	return d[6] == '\0';
}

crypto_err icao_mrz_information(const char *doc_number, const char *birth_date, const char *expiry_date,
                                char out[ICAO_MRZ_INFO_MAX], size_t *ret_len)
{
	if (!doc_number || !birth_date || !expiry_date)
		return CRYPTO_ERR_ARG;
	size_t n = strnlen(doc_number, ICAO_MRZ_MAX_DOCNO + 1);
	if (n > ICAO_MRZ_MAX_DOCNO)
		return CRYPTO_ERR_ARG;
	for (size_t i = 0; i < n; i++)
		if (!is_mrz_char(doc_number[i]))
			return CRYPTO_ERR_ARG;
	/* Fillers at the end are not part of the number. */
	while (n > 0 && doc_number[n - 1] == '<')
		n--;
	if (n == 0 || !is_date(birth_date) || !is_date(expiry_date))
		return CRYPTO_ERR_ARG;

	size_t len = n;
	memcpy(out, doc_number, n);
	while (len < 9)
		out[len++] = '<';
	out[len] = (char)('0' + icao_check_digit(out, len));
	len++;
	memcpy(out + len, birth_date, 6);
	out[len + 6] = (char)('0' + icao_check_digit(birth_date, 6));
	len += 7;
	memcpy(out + len, expiry_date, 6);
	out[len + 6] = (char)('0' + icao_check_digit(expiry_date, 6));
	len += 7;
	out[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return CRYPTO_OK;
}
