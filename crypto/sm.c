/*
 * sm — secure messaging (ICAO 9303 part 11, 9.8) for both ends of the link:
 * the terminal wraps commands and unwraps responses, the (virtual) chip
 * unwraps commands and wraps responses, with 3DES (after BAC, or PACE
 * and CA with 3DES) or AES (after PACE or CA with AES). The two ciphers
 * share every step; only the block primitives below differ. See sm.h.
 */
#include "crypto/sm.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/icao-internal.h"
#include "crypto/icao.h"
#include "crypto/tlv.h"

#define SM_TAG_CRYPTO_ODD  0x85 /* cryptogram, odd INS: no padding indicator */
#define SM_TAG_CRYPTO      0x87 /* padding indicator 01 + cryptogram */
#define SM_TAG_LE          0x97
#define SM_TAG_STATUS      0x99
#define SM_TAG_MAC         0x8E
#define SM_PAD_INDICATOR   0x01
#define SM_MAC_LEN         8

crypto_err sm_init_3des(sm_ctx *ctx, const uint8_t ks_enc[16], const uint8_t ks_mac[16], const uint8_t ssc[8])
{
	if (!ctx || !ks_enc || !ks_mac || !ssc)
		return CRYPTO_ERR_ARG;
	sm_ctx c = { .cipher = SM_CIPHER_3DES, .key_len = 16, .block_len = 8 };
	memcpy(c.ks_enc, ks_enc, 16);
	memcpy(c.ks_mac, ks_mac, 16);
	memcpy(c.ssc, ssc, 8);
	*ctx = c;
	OPENSSL_cleanse(&c, sizeof c);
	return CRYPTO_OK;
}

crypto_err sm_init_aes(sm_ctx *ctx, const uint8_t *ks_enc, const uint8_t *ks_mac, size_t key_len,
                       const uint8_t ssc[16])
{
	if (!ctx || !ks_enc || !ks_mac || !ssc || (key_len != 16 && key_len != 24 && key_len != 32))
		return CRYPTO_ERR_ARG;
	sm_ctx c = { .cipher = SM_CIPHER_AES, .key_len = key_len, .block_len = 16 };
	memcpy(c.ks_enc, ks_enc, key_len);
	memcpy(c.ks_mac, ks_mac, key_len);
	memcpy(c.ssc, ssc, 16);
	*ctx = c;
	OPENSSL_cleanse(&c, sizeof c);
	return CRYPTO_OK;
}

crypto_err sm_init_from_secret(sm_ctx *ctx, const uint8_t *secret, size_t secret_len, bool aes, size_t key_len)
{
	uint8_t k_enc[32], k_mac[32], zero[16] = { 0 };
	crypto_err e = icao_kdf(secret, secret_len, ICAO_KDF_ENC, aes, key_len, k_enc);
	if (e == CRYPTO_OK)
		e = icao_kdf(secret, secret_len, ICAO_KDF_MAC, aes, key_len, k_mac);
	if (e == CRYPTO_OK)
		e = aes ? sm_init_aes(ctx, k_enc, k_mac, key_len, zero) : sm_init_3des(ctx, k_enc, k_mac, zero);
	OPENSSL_cleanse(k_enc, sizeof k_enc);
	OPENSSL_cleanse(k_mac, sizeof k_mac);
	return e;
}

void sm_increment_ssc(sm_ctx *ctx)
{
	for (size_t i = ctx->block_len; i-- > 0;)
		if (++ctx->ssc[i] != 0)
			break;
}

static crypto_err check_ctx(const sm_ctx *ctx)
{
	if (!ctx)
		return CRYPTO_ERR_ARG;
	switch (ctx->cipher) {
	case SM_CIPHER_3DES:
		return ctx->key_len == 16 && ctx->block_len == 8 ? CRYPTO_OK : CRYPTO_ERR_ARG;
	case SM_CIPHER_AES:
		return (ctx->key_len == 16 || ctx->key_len == 24 || ctx->key_len == 32) && ctx->block_len == 16
		               ? CRYPTO_OK
		               : CRYPTO_ERR_ARG;
	}
	return CRYPTO_ERR_ARG;
}

/* ---- AES primitives (ICAO 9303 part 11, 9.8.6.2 and 9.8.6.3) ---- */

static const EVP_CIPHER *aes_cbc(size_t key_len)
{
	return key_len == 16 ? EVP_aes_128_cbc() : key_len == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

/* AES-CBC over len bytes (a multiple of 16), no padding, with the given IV. */
static crypto_err aes_cbc_crypt(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *in,
                                size_t len, uint8_t *out, bool encrypt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return CRYPTO_ERR_NOMEM;
	crypto_err err = CRYPTO_ERR_LIBCRYPTO;
	int n = 0, fin = 0;
	if (len > INT32_MAX)
		goto out_free;
	if (EVP_CipherInit_ex(c, aes_cbc(key_len), NULL, key, iv, encrypt ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(c, out + n, &fin) == 1 && (size_t)(n + fin) == len)
		err = CRYPTO_OK;
out_free:
	EVP_CIPHER_CTX_free(c);
	return err;
}

/* The IV of a message: the SSC encrypted with KSenc (AES-ECB of one block,
 * which is AES-CBC with a zero IV). */
static crypto_err aes_iv(const sm_ctx *ctx, uint8_t iv[16])
{
	static const uint8_t zero[16];
	return aes_cbc_crypt(ctx->ks_enc, ctx->key_len, zero, ctx->ssc, 16, iv, true);
}

/* AES-CMAC (NIST SP 800-38B) over msg padded with ISO 9797-1 method 2,
 * truncated to 8 bytes. */
static crypto_err aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[8])
{
	size_t plen = icao_pad_len(len, 16);
	uint8_t *p = malloc(plen);
	if (!p)
		return CRYPTO_ERR_NOMEM;
	if (len)
		memcpy(p, msg, len);
	icao_pad(p, len, 16);
	crypto_err err = CRYPTO_ERR_LIBCRYPTO;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	const char *cipher = key_len == 16 ? "AES-128-CBC" : key_len == 24 ? "AES-192-CBC" : "AES-256-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipher, 0),
		OSSL_PARAM_END,
	};
	uint8_t full[16];
	size_t full_len = 0;
	if (c && EVP_MAC_init(c, key, key_len, params) == 1 && EVP_MAC_update(c, p, plen) == 1 &&
	    EVP_MAC_final(c, full, &full_len, sizeof full) == 1 && full_len == 16) {
		memcpy(mac, full, 8);
		err = CRYPTO_OK;
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	OPENSSL_cleanse(p, plen);
	free(p);
	return err;
}

/* Encrypt or decrypt whole blocks with the session's cipher: 3DES-CBC with
 * a zero IV, or AES-CBC with the IV derived from the current SSC. */
static crypto_err block_crypt(const sm_ctx *ctx, const uint8_t *in, size_t len, uint8_t *out, bool encrypt)
{
	if (ctx->cipher == SM_CIPHER_3DES)
		return icao_3des_cbc(ctx->ks_enc, NULL, in, len, out, encrypt);
	uint8_t iv[16];
	crypto_err err = aes_iv(ctx, iv);
	if (err == CRYPTO_OK)
		err = aes_cbc_crypt(ctx->ks_enc, ctx->key_len, iv, in, len, out, encrypt);
	OPENSSL_cleanse(iv, sizeof iv);
	return err;
}

/* Advance the SSC before a wrap or unwrap; refuse to wrap around, which
 * would reuse counter values under the same keys. */
static crypto_err next_ssc(sm_ctx *ctx)
{
	size_t i;
	for (i = 0; i < ctx->block_len; i++)
		if (ctx->ssc[i] != 0xFF)
			break;
	if (i == ctx->block_len)
		return CRYPTO_ERR_SSC;
	sm_increment_ssc(ctx);
	return CRYPTO_OK;
}

crypto_err sm_mac(const sm_ctx *ctx, const uint8_t *msg, size_t len, uint8_t mac[8])
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if ((!msg && len) || !mac)
		return CRYPTO_ERR_ARG;
	if (ctx->cipher == SM_CIPHER_AES)
		return aes_cmac(ctx->ks_mac, ctx->key_len, msg, len, mac);
	return icao_retail_mac(ctx->ks_mac, msg, len, mac);
}

/* MAC over SSC || msg (msg already holds the padded header when there is one). */
static crypto_err mac_with_ssc(const sm_ctx *ctx, const uint8_t *msg, size_t len, uint8_t mac[8])
{
	crypto_buf n = CRYPTO_BUF_INIT;
	buf_append(&n, ctx->ssc, ctx->block_len);
	buf_append(&n, msg, len);
	crypto_err err = buf_ok(&n) ? sm_mac(ctx, n.data, n.len, mac) : CRYPTO_ERR_NOMEM;
	buf_free(&n);
	return err;
}

/* Append the cryptogram data object for len bytes of plain data: padded,
 * encrypted, as DO'87 (with the padding indicator) or DO'85. */
static crypto_err append_cryptogram(const sm_ctx *ctx, uint32_t tag, const uint8_t *data, size_t len, crypto_buf *out)
{
	size_t plen = icao_pad_len(len, ctx->block_len);
	uint8_t *p = malloc(plen);
	if (!p)
		return CRYPTO_ERR_NOMEM;
	memcpy(p, data, len);
	icao_pad(p, len, ctx->block_len);
	crypto_err err = block_crypt(ctx, p, plen, p, true);
	if (err == CRYPTO_OK) {
		if (tag == SM_TAG_CRYPTO) {
			buf_append_tlv_header(out, tag, plen + 1);
			buf_append_byte(out, SM_PAD_INDICATOR);
		} else {
			buf_append_tlv_header(out, tag, plen);
		}
		buf_append(out, p, plen);
		if (!buf_ok(out))
			err = CRYPTO_ERR_NOMEM;
	}
	OPENSSL_cleanse(p, plen);
	free(p);
	return err;
}

/* Decrypt a DO'87 / DO'85 value and strip the padding into out. */
static crypto_err decrypt_cryptogram(const sm_ctx *ctx, const crypto_tlv *t, crypto_buf *out)
{
	const uint8_t *ct = t->value;
	size_t len = t->len;
	if (t->tag == SM_TAG_CRYPTO) {
		if (len < 1 || ct[0] != SM_PAD_INDICATOR)
			return CRYPTO_ERR_FORMAT;
		ct++;
		len--;
	}
	if (len == 0 || len % ctx->block_len != 0)
		return CRYPTO_ERR_FORMAT;
	uint8_t *p = malloc(len);
	if (!p)
		return CRYPTO_ERR_NOMEM;
	size_t plain_len = 0;
	crypto_err err = block_crypt(ctx, ct, len, p, false);
	if (err == CRYPTO_OK && !icao_unpad(p, len, ctx->block_len, &plain_len))
		err = CRYPTO_ERR_PADDING;
	if (err == CRYPTO_OK) {
		buf_append(out, p, plain_len);
		if (!buf_ok(out))
			err = CRYPTO_ERR_NOMEM;
	}
	OPENSSL_cleanse(p, len);
	free(p);
	return err;
}

/* The data objects of a protected message: where the MAC'd part ends and
 * which objects were present. */
typedef struct sm_objects {
	crypto_tlv crypto;        /* DO'87 or DO'85 */
	crypto_tlv le;            /* DO'97 */
	crypto_tlv status;        /* DO'99 */
	crypto_tlv mac;           /* DO'8E */
	bool has_crypto, has_le, has_status, has_mac;
	size_t maced_len;  /* bytes before DO'8E */
} sm_objects;

static crypto_err parse_objects(const uint8_t *data, size_t len, sm_objects *ret)
{
	sm_objects o = { 0 };
	const uint8_t *p = data, *end = data + len;
	for (;;) {
		crypto_tlv t;
		tlv_status s = tlv_next(&p, end, &t);
		if (s == TLV_END)
			break;
		if (s != TLV_OK)
			return CRYPTO_ERR_FORMAT;
		if (o.has_mac)
			return CRYPTO_ERR_FORMAT; /* nothing may follow the MAC */
		bool *seen;
		crypto_tlv *slot;
		switch (t.tag) {
		case SM_TAG_CRYPTO:
		case SM_TAG_CRYPTO_ODD:
			seen = &o.has_crypto;
			slot = &o.crypto;
			break;
		case SM_TAG_LE:
			seen = &o.has_le;
			slot = &o.le;
			break;
		case SM_TAG_STATUS:
			seen = &o.has_status;
			slot = &o.status;
			break;
		case SM_TAG_MAC:
			seen = &o.has_mac;
			slot = &o.mac;
			o.maced_len = (size_t)(t.raw - data);
			break;
		default:
			return CRYPTO_ERR_FORMAT;
		}
		if (*seen)
			return CRYPTO_ERR_FORMAT;
		*seen = true;
		*slot = t;
	}
	*ret = o;
	return CRYPTO_OK;
}

static crypto_err check_mac(const sm_ctx *ctx, const uint8_t *header, size_t header_len, const uint8_t *objects,
                            const sm_objects *o)
{
	if (o->mac.len != SM_MAC_LEN)
		return CRYPTO_ERR_FORMAT;
	crypto_buf m = CRYPTO_BUF_INIT;
	buf_append(&m, header, header_len);
	buf_append(&m, objects, o->maced_len);
	uint8_t mac[SM_MAC_LEN];
	crypto_err err = buf_ok(&m) ? mac_with_ssc(ctx, m.data, m.len, mac) : CRYPTO_ERR_NOMEM;
	buf_free(&m);
	if (err == CRYPTO_OK && CRYPTO_memcmp(mac, o->mac.value, SM_MAC_LEN) != 0)
		err = CRYPTO_ERR_MAC;
	return err;
}

/* ---- terminal side ---- */

crypto_err sm_wrap_command(sm_ctx *ctx, const crypto_apdu *plain, crypto_buf *out)
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if (!plain || !out || (plain->lc && !plain->data) || plain->lc > 65535 || plain->le > APDU_MAX_EXT_LE)
		return CRYPTO_ERR_ARG;
	bool plain_ext = apdu_is_extended(plain);

	err = next_ssc(ctx);
	if (err != CRYPTO_OK)
		return err;

	uint8_t header[16] = { (uint8_t)(plain->cla | 0x0C), plain->ins, plain->p1, plain->p2 };
	icao_pad(header, 4, ctx->block_len);

	crypto_buf dos = CRYPTO_BUF_INIT;
	if (plain->lc) {
		uint32_t tag = (plain->ins & 1) ? SM_TAG_CRYPTO_ODD : SM_TAG_CRYPTO;
		err = append_cryptogram(ctx, tag, plain->data, plain->lc, &dos);
		if (err != CRYPTO_OK)
			goto out_free_dos;
	}
	if (plain->le) {
		uint8_t le[2];
		if (plain_ext) {
			size_t v = plain->le == APDU_MAX_EXT_LE ? 0 : plain->le;
			le[0] = (uint8_t)(v >> 8);
			le[1] = (uint8_t)v;
			buf_append_tlv(&dos, SM_TAG_LE, le, 2);
		} else {
			le[0] = (uint8_t)(plain->le == APDU_MAX_SHORT_LE ? 0 : plain->le);
			buf_append_tlv(&dos, SM_TAG_LE, le, 1);
		}
	}

	crypto_buf m = CRYPTO_BUF_INIT;
	buf_append(&m, header, ctx->block_len);
	buf_append(&m, dos.data, dos.len);
	uint8_t mac[SM_MAC_LEN];
	err = buf_ok(&m) && buf_ok(&dos) ? mac_with_ssc(ctx, m.data, m.len, mac) : CRYPTO_ERR_NOMEM;
	buf_free(&m);
	if (err != CRYPTO_OK)
		goto out_free_dos;
	buf_append_tlv(&dos, SM_TAG_MAC, mac, sizeof mac);
	if (!buf_ok(&dos)) {
		err = CRYPTO_ERR_NOMEM;
		goto out_free_dos;
	}
	if (dos.len > 65535) {
		err = CRYPTO_ERR_ARG;
		goto out_free_dos;
	}

	bool ext = plain_ext || dos.len > APDU_MAX_SHORT_LC;
	crypto_apdu prot = {
		.cla = header[0], .ins = plain->ins, .p1 = plain->p1, .p2 = plain->p2,
		.data = dos.data, .lc = dos.len,
		.le = ext ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE,
		.extended = ext,
	};
	size_t n = apdu_encoded_len(&prot);
	if (!buf_reserve(out, n)) {
		err = CRYPTO_ERR_NOMEM;
		goto out_free_dos;
	}
	size_t written = 0;
	err = apdu_encode(&prot, out->data + out->len, n, &written);
	if (err == CRYPTO_OK)
		out->len += written;
out_free_dos:
	if (dos.data)
		OPENSSL_cleanse(dos.data, dos.cap);
	buf_free(&dos);
	return err;
}

crypto_err sm_unwrap_response(sm_ctx *ctx, const uint8_t *resp, size_t len, crypto_buf *out)
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if (!resp || !out)
		return CRYPTO_ERR_ARG;
	if (len < 2)
		return CRYPTO_ERR_FORMAT;
	err = next_ssc(ctx);
	if (err != CRYPTO_OK)
		return err;

	size_t body_len = len - 2;
	sm_objects o;
	err = parse_objects(resp, body_len, &o);
	if (err != CRYPTO_OK)
		return err;
	if (!o.has_mac) {
		/* A status in the clear: the chip refused the command or dropped
		 * the session. Pass the status on so the caller can say which. */
		if (body_len == 0)
			buf_append(out, resp + body_len, 2);
		return CRYPTO_ERR_FORMAT;
	}
	err = check_mac(ctx, NULL, 0, resp, &o);
	if (err != CRYPTO_OK)
		return err;
	if (o.has_le || !o.has_status || o.status.len != 2)
		return CRYPTO_ERR_FORMAT;

	crypto_buf plain = CRYPTO_BUF_INIT;
	if (o.has_crypto) {
		err = decrypt_cryptogram(ctx, &o.crypto, &plain);
		if (err != CRYPTO_OK)
			goto out_free_plain;
	}
	buf_append(&plain, o.status.value, 2);
	if (!buf_ok(&plain)) {
		err = CRYPTO_ERR_NOMEM;
		goto out_free_plain;
	}
	buf_append(out, plain.data, plain.len);
	if (!buf_ok(out))
		err = CRYPTO_ERR_NOMEM;
out_free_plain:
	if (plain.data)
		OPENSSL_cleanse(plain.data, plain.cap);
	buf_free(&plain);
	return err;
}

/* ---- chip side ---- */

crypto_err sm_card_unwrap_command(sm_ctx *ctx, const uint8_t *cmd, size_t len, crypto_apdu *ret, crypto_buf *storage)
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if (!cmd || !ret || !storage)
		return CRYPTO_ERR_ARG;
	crypto_apdu prot;
	err = apdu_decode(cmd, len, &prot);
	if (err != CRYPTO_OK)
		return err;
	err = next_ssc(ctx);
	if (err != CRYPTO_OK)
		return err;
	if ((prot.cla & 0x0C) != 0x0C)
		return CRYPTO_ERR_FORMAT;

	sm_objects o = { 0 };
	if (prot.lc) {
		err = parse_objects(prot.data, prot.lc, &o);
		if (err != CRYPTO_OK)
			return err;
	}
	if (!o.has_mac || o.has_status)
		return CRYPTO_ERR_FORMAT;
	uint8_t header[16] = { prot.cla, prot.ins, prot.p1, prot.p2 };
	icao_pad(header, 4, ctx->block_len);
	err = check_mac(ctx, header, ctx->block_len, prot.data, &o);
	if (err != CRYPTO_OK)
		return err;

	crypto_apdu plain = { .cla = (uint8_t)(prot.cla & ~0x0C), .ins = prot.ins, .p1 = prot.p1, .p2 = prot.p2 };
	if (o.has_le) {
		const uint8_t *v = o.le.value;
		switch (o.le.len) {
		case 1:
			plain.le = v[0] ? v[0] : APDU_MAX_SHORT_LE;
			break;
		case 2:
			plain.le = ((size_t)v[0] << 8 | v[1]) ? ((size_t)v[0] << 8 | v[1]) : APDU_MAX_EXT_LE;
			plain.extended = true;
			break;
		default:
			return CRYPTO_ERR_FORMAT;
		}
	}
	if (o.has_crypto) {
		size_t start = storage->len;
		err = decrypt_cryptogram(ctx, &o.crypto, storage);
		if (err != CRYPTO_OK)
			return err;
		plain.lc = storage->len - start;
		plain.data = plain.lc ? storage->data + start : NULL;
		if (plain.lc > APDU_MAX_SHORT_LC)
			plain.extended = true;
	}
	*ret = plain;
	return CRYPTO_OK;
}

crypto_err sm_card_wrap_response(sm_ctx *ctx, const uint8_t *data, size_t len, uint16_t sw, crypto_buf *out)
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if ((len && !data) || !out)
		return CRYPTO_ERR_ARG;
	err = next_ssc(ctx);
	if (err != CRYPTO_OK)
		return err;

	crypto_buf dos = CRYPTO_BUF_INIT;
	if (len) {
		err = append_cryptogram(ctx, SM_TAG_CRYPTO, data, len, &dos);
		if (err != CRYPTO_OK)
			goto out_free_dos;
	}
	uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
	buf_append_tlv(&dos, SM_TAG_STATUS, swb, 2);
	uint8_t mac[SM_MAC_LEN];
	err = buf_ok(&dos) ? mac_with_ssc(ctx, dos.data, dos.len, mac) : CRYPTO_ERR_NOMEM;
	if (err != CRYPTO_OK)
		goto out_free_dos;
	buf_append_tlv(&dos, SM_TAG_MAC, mac, sizeof mac);
	buf_append(&dos, swb, 2);
	if (!buf_ok(&dos)) {
		err = CRYPTO_ERR_NOMEM;
		goto out_free_dos;
	}
	buf_append(out, dos.data, dos.len);
	if (!buf_ok(out))
		err = CRYPTO_ERR_NOMEM;
out_free_dos:
	buf_free(&dos);
	return err;
}

/* ---- PACE-CAM chip authentication data ---- */

static crypto_err cam_iv(const sm_ctx *ctx, uint8_t iv[16])
{
	static const uint8_t zero[16];
	uint8_t minus_one[16];
	memset(minus_one, 0xFF, sizeof minus_one);
	return aes_cbc_crypt(ctx->ks_enc, ctx->key_len, zero, minus_one, 16, iv, true);
}

static crypto_err cam_crypt(const sm_ctx *ctx, const uint8_t *data, size_t len, crypto_buf *out, bool encrypt)
{
	crypto_err err = check_ctx(ctx);
	if (err != CRYPTO_OK)
		return err;
	if (ctx->cipher != SM_CIPHER_AES)
		return CRYPTO_ERR_UNSUPPORTED;
	if (!data || !out || len == 0 || (!encrypt && len % 16 != 0))
		return encrypt || !data || !out ? CRYPTO_ERR_ARG : CRYPTO_ERR_FORMAT;
	size_t plen = encrypt ? icao_pad_len(len, 16) : len;
	uint8_t *p = malloc(plen);
	if (!p)
		return CRYPTO_ERR_NOMEM;
	memcpy(p, data, len);
	if (encrypt)
		icao_pad(p, len, 16);
	uint8_t iv[16];
	err = cam_iv(ctx, iv);
	if (err == CRYPTO_OK)
		err = aes_cbc_crypt(ctx->ks_enc, ctx->key_len, iv, p, plen, p, encrypt);
	size_t n = plen;
	if (err == CRYPTO_OK && !encrypt && !icao_unpad(p, plen, 16, &n))
		err = CRYPTO_ERR_PADDING;
	if (err == CRYPTO_OK) {
		buf_append(out, p, n);
		if (!buf_ok(out))
			err = CRYPTO_ERR_NOMEM;
	}
	OPENSSL_cleanse(iv, sizeof iv);
	OPENSSL_cleanse(p, plen);
	free(p);
	return err;
}

crypto_err sm_cam_encrypt(const sm_ctx *ctx, const uint8_t *data, size_t len, crypto_buf *out)
{
	return cam_crypt(ctx, data, len, out, true);
}

crypto_err sm_cam_decrypt(const sm_ctx *ctx, const uint8_t *data, size_t len, crypto_buf *out)
{
	return cam_crypt(ctx, data, len, out, false);
}
