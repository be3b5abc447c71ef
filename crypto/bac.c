/*
 * bac — Basic Access Control (ICAO 9303 part 11, 4.3 and appendix D): the
 * document basic access keys from the MRZ, and both ends of the
 * GET CHALLENGE / EXTERNAL AUTHENTICATE exchange that yields the 3DES
 * secure messaging session. See bac.h.
 */
#include "crypto/bac.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto/icao-internal.h"
#include "crypto/icao.h"

crypto_err bac_key_seed(const char *doc_number, const char *birth_date, const char *expiry_date, uint8_t seed[16])
{
	char info[ICAO_MRZ_INFO_MAX];
	size_t len = 0;
	crypto_err err = icao_mrz_information(doc_number, birth_date, expiry_date, info, &len);
	if (err != CRYPTO_OK)
		return err;
	uint8_t md[SHA_DIGEST_LENGTH];
	unsigned int md_len = 0;
	if (EVP_Digest(info, len, md, &md_len, EVP_sha1(), NULL) != 1)
		return CRYPTO_ERR_LIBCRYPTO;
	memcpy(seed, md, 16);
	OPENSSL_cleanse(md, sizeof md);
	return CRYPTO_OK;
}

crypto_err bac_keys_from_mrz(const char *doc_number, const char *birth_date, const char *expiry_date, bac_keys *ret)
{
	uint8_t seed[16];
	bac_keys k;
	crypto_err err = bac_key_seed(doc_number, birth_date, expiry_date, seed);
	if (err == CRYPTO_OK)
		err = icao_kdf_3des(seed, sizeof seed, ICAO_KDF_ENC, k.kenc);
	if (err == CRYPTO_OK)
		err = icao_kdf_3des(seed, sizeof seed, ICAO_KDF_MAC, k.kmac);
	if (err == CRYPTO_OK)
		*ret = k;
	OPENSSL_cleanse(seed, sizeof seed);
	OPENSSL_cleanse(&k, sizeof k);
	return err;
}

/* E = 3DES-CBC(Kenc, plain32), M = MAC(Kmac, E): the 40 bytes both sides send. */
static crypto_err encrypt_and_mac(const bac_keys *keys, const uint8_t plain[32], uint8_t out[40])
{
	crypto_err err = icao_3des_cbc(keys->kenc, NULL, plain, 32, out, true);
	if (err != CRYPTO_OK)
		return err;
	return icao_retail_mac(keys->kmac, out, 32, out + 32);
}

/* Check M over E, then decrypt E. */
static crypto_err verify_and_decrypt(const bac_keys *keys, const uint8_t in[40], uint8_t plain[32])
{
	uint8_t mac[8];
	crypto_err err = icao_retail_mac(keys->kmac, in, 32, mac);
	if (err != CRYPTO_OK)
		return err;
	if (CRYPTO_memcmp(mac, in + 32, 8) != 0)
		return CRYPTO_ERR_MAC;
	return icao_3des_cbc(keys->kenc, NULL, in, 32, plain, false);
}

/* Session keys from K.IFD xor K.ICC; SSC from the low halves of the nonces. */
static crypto_err derive_session(const uint8_t k_ifd[16], const uint8_t k_icc[16], const uint8_t rnd_icc[8],
                                 const uint8_t rnd_ifd[8], sm_ctx *ret)
{
	uint8_t seed[16], ks_enc[16], ks_mac[16], ssc[8];
	for (int i = 0; i < 16; i++)
		seed[i] = k_ifd[i] ^ k_icc[i];
	crypto_err err = icao_kdf_3des(seed, sizeof seed, ICAO_KDF_ENC, ks_enc);
	if (err == CRYPTO_OK)
		err = icao_kdf_3des(seed, sizeof seed, ICAO_KDF_MAC, ks_mac);
	memcpy(ssc, rnd_icc + 4, 4);
	memcpy(ssc + 4, rnd_ifd + 4, 4);
	if (err == CRYPTO_OK)
		err = sm_init_3des(ret, ks_enc, ks_mac, ssc);
	OPENSSL_cleanse(seed, sizeof seed);
	OPENSSL_cleanse(ks_enc, sizeof ks_enc);
	OPENSSL_cleanse(ks_mac, sizeof ks_mac);
	return err;
}

crypto_err bac_terminal_auth_data(const bac_keys *keys, const uint8_t rnd_icc[8], const uint8_t rnd_ifd[8],
                                  const uint8_t k_ifd[16], uint8_t cmd_data[40])
{
	if (!keys || !rnd_icc || !rnd_ifd || !k_ifd || !cmd_data)
		return CRYPTO_ERR_ARG;
	uint8_t s[32];
	memcpy(s, rnd_ifd, 8);
	memcpy(s + 8, rnd_icc, 8);
	memcpy(s + 16, k_ifd, 16);
	crypto_err err = encrypt_and_mac(keys, s, cmd_data);
	OPENSSL_cleanse(s, sizeof s);
	return err;
}

crypto_err bac_terminal_finish(const bac_keys *keys, const uint8_t resp[40], const uint8_t rnd_icc[8],
                               const uint8_t rnd_ifd[8], const uint8_t k_ifd[16], sm_ctx *ret)
{
	if (!keys || !resp || !rnd_icc || !rnd_ifd || !k_ifd || !ret)
		return CRYPTO_ERR_ARG;
	uint8_t r[32];
	crypto_err err = verify_and_decrypt(keys, resp, r);
	if (err != CRYPTO_OK)
		goto out_cleanse;
	/* R = RND.ICC || RND.IFD || K.ICC */
	if (CRYPTO_memcmp(r, rnd_icc, 8) != 0 || CRYPTO_memcmp(r + 8, rnd_ifd, 8) != 0) {
		err = CRYPTO_ERR_AUTH;
		goto out_cleanse;
	}
	err = derive_session(k_ifd, r + 16, rnd_icc, rnd_ifd, ret);
out_cleanse:
	OPENSSL_cleanse(r, sizeof r);
	return err;
}

crypto_err bac_card_respond(const bac_keys *keys, const uint8_t rnd_icc[8], const uint8_t cmd_data[40],
                            const uint8_t k_icc[16], uint8_t resp[40], sm_ctx *ret)
{
	if (!keys || !rnd_icc || !cmd_data || !k_icc || !resp || !ret)
		return CRYPTO_ERR_ARG;
	uint8_t s[32], r[32], answer[40];
	sm_ctx session;
	crypto_err err = verify_and_decrypt(keys, cmd_data, s);
	if (err != CRYPTO_OK)
		goto out_cleanse;
	/* S = RND.IFD || RND.ICC || K.IFD: the terminal must echo our nonce. */
	if (CRYPTO_memcmp(s + 8, rnd_icc, 8) != 0) {
		err = CRYPTO_ERR_AUTH;
		goto out_cleanse;
	}
	memcpy(r, rnd_icc, 8);
	memcpy(r + 8, s, 8);
	memcpy(r + 16, k_icc, 16);
	err = encrypt_and_mac(keys, r, answer);
	if (err == CRYPTO_OK)
		err = derive_session(s + 16, k_icc, rnd_icc, s, &session);
	if (err == CRYPTO_OK) {
		memcpy(resp, answer, sizeof answer);
		*ret = session;
	}
out_cleanse:
	OPENSSL_cleanse(s, sizeof s);
	OPENSSL_cleanse(r, sizeof r);
	OPENSSL_cleanse(&session, sizeof session);
	return err;
}
