/*
 * aa — active authentication of an eMRTD chip (ICAO 9303 part 11, 6.1): the
 * terminal sends a fresh 8-byte random challenge in INTERNAL AUTHENTICATE
 * and the chip signs it with the private key whose public half is in DG15.
 * A chip whose signature does not verify cannot prove it holds that key: it
 * may be a clone of a genuine chip's data.
 *
 * Two signature formats:
 *   RSA   ISO/IEC 9796-2 digital signature scheme 1 with partial message
 *         recovery: the chip's message representative is
 *         6A || M1 || H(M1 || challenge) || trailer, the trailer BC
 *         (SHA-1) or a hash identifier followed by CC (33CC SHA-1, 34CC
 *         SHA-256, 35CC SHA-512, 36CC SHA-384, 38CC SHA-224).
 *   ECDSA over the challenge, plain r || s (BSI TR-03111), the hash from
 *         DG14's ActiveAuthenticationInfo, else chosen by the key size.
 *
 * Both sides are here: the terminal verifies (aa_verify), the virtual chip
 * signs (aa_sign). Moduli must be a whole number of bytes (1024, 1536, 2048,
 * 3072 ... bits, as issued); others are CRYPTO_ERR_UNSUPPORTED.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/crypto.h"

#define AA_CHALLENGE_LEN 8
#define AA_INS_INTERNAL_AUTHENTICATE 0x88
/* Dotted OID of id-AA, the protocol of DG14's ActiveAuthenticationInfo. */
#define AA_OID_ACTIVE_AUTHENTICATION "2.23.136.1.1.5"

/* ---- parameters -------------------------------------------------------- */

typedef enum aa_hash {
	AA_HASH_DEFAULT = 0,  /* RSA: SHA-1 (trailer BC); ECDSA: by key size */
	AA_HASH_SHA1,
	AA_HASH_SHA224,
	AA_HASH_SHA256,
	AA_HASH_SHA384,
	AA_HASH_SHA512,
} aa_hash;

/* "SHA-256", ...; "default" for AA_HASH_DEFAULT. */
const char *aa_hash_name(aa_hash h);

/* The hash of an ECDSA chip's signature, from the DER of DG14's
 * ActiveAuthenticationInfo (the SecurityInfo whose protocol is
 * AA_OID_ACTIVE_AUTHENTICATION: the bytes of a secinfo_entry): its
 * signatureAlgorithm, ecdsa-plain-SHA* (BSI TR-03111) or ecdsa-with-SHA*
 * (X9.62). CRYPTO_ERR_FORMAT if it is not an ActiveAuthenticationInfo,
 * CRYPTO_ERR_UNSUPPORTED for another algorithm. *ret is untouched on error. */
crypto_err aa_hash_from_dg14_info(const uint8_t *der, size_t len, aa_hash *ret);

/* ---- terminal side ----------------------------------------------------- */

typedef enum aa_key_type {
	AA_KEY_RSA = 1,
	AA_KEY_EC,
} aa_key_type;

typedef struct aa_key_info {
	aa_key_type type;
	int bits;           /* RSA modulus / EC group order */
	char curve[64];     /* EC: "prime256v1", "brainpoolP256r1"; "" for RSA */
	size_t sig_len;     /* length of the chip's signature in bytes */
} aa_key_info;

/* What the DG15 key is and how long its signatures are (the Le to ask for).
 * CRYPTO_ERR_FORMAT if spki is not a SubjectPublicKeyInfo, UNSUPPORTED for
 * another key type or an RSA modulus that is not whole bytes. */
crypto_err aa_key_describe(const uint8_t *spki, size_t spki_len, aa_key_info *ret);

/* A fresh random challenge (never reuse one: a replayed answer would pass). */
crypto_err aa_challenge(uint8_t challenge[AA_CHALLENGE_LEN]);

/* The plain INTERNAL AUTHENTICATE command (00 88 00 00 08 <challenge> Le);
 * `a` points into `challenge`. Le: APDU_MAX_SHORT_LE (00) when a signature
 * of sig_len bytes fits a short response under secure messaging (3DES or
 * AES), else APDU_MAX_EXT_LE (0000); wrap it with sm_wrap_command. */
void aa_command(const uint8_t challenge[AA_CHALLENGE_LEN], size_t sig_len, crypto_apdu *ret);

/* Which check rejected the chip's answer; each is a reason to report the
 * chip as a possible clone. Codes are only appended. */
typedef enum aa_failure {
	AA_FAIL_NONE = 0,          /* the signature verifies */
	AA_FAIL_KEY,               /* the DG15 key cannot be decoded */
	AA_FAIL_SIG_LENGTH,        /* the signature's length does not fit the key */
	AA_FAIL_RSA_RANGE,         /* the RSA signature is not below the modulus */
	AA_FAIL_HEADER,            /* recovered message does not start with 6A */
	AA_FAIL_TRAILER,           /* recovered message ends in neither BC nor xxCC */
	AA_FAIL_HASH,              /* recovered hash differs from H(M1 || challenge) */
	AA_FAIL_SIGNATURE,         /* the ECDSA signature does not verify */
	AA_FAIL_SIG_FORMAT,        /* r or s is zero or not below the group order */
} aa_failure;

/* The failing step in words, e.g. "wrong ISO/IEC 9796-2 trailer". */
const char *aa_failure_str(aa_failure f);

#define AA_DETAIL_LEN 160

typedef struct aa_result {
	bool passed;
	aa_failure failure;          /* AA_FAIL_NONE when passed */
	aa_key_type key_type;        /* 0 when the key could not be decoded */
	int key_bits;
	char curve[64];              /* EC only */
	char scheme[32];             /* "ISO/IEC 9796-2 scheme 1", "ECDSA" */
	aa_hash hash;                /* the hash used; DEFAULT if never reached */
	char detail[AA_DETAIL_LEN];  /* one sentence: what passed or failed */
} aa_result;

/* Verify the chip's answer to INTERNAL AUTHENTICATE with `challenge`
 * against the DG15 key (SubjectPublicKeyInfo DER, as lds_dg15.der). `hash`
 * is the ECDSA hash from DG14 (aa_hash_from_dg14_info) or AA_HASH_DEFAULT;
 * for RSA the trailer names the hash and `hash` is ignored.
 *
 * CRYPTO_OK whenever a verdict was reached, passed or failed: *ret says
 * which, and which step failed. Errors leave *ret untouched: ARG (NULL
 * pointers), UNSUPPORTED (a key type, modulus or 9796-2 hash identifier
 * this module does not handle: AA was not performed, which is not a
 * verdict), NOMEM, LIBCRYPTO. */
crypto_err aa_verify(const uint8_t *spki, size_t spki_len, aa_hash hash,
                     const uint8_t challenge[AA_CHALLENGE_LEN],
                     const uint8_t *sig, size_t sig_len, aa_result *ret);

/* ---- chip side --------------------------------------------------------- */

/* Sign a challenge as a chip does: RSA 9796-2 scheme 1 with a random M1
 * (AA_HASH_DEFAULT or SHA1: trailer BC, others xxCC), or plain r || s ECDSA
 * (AA_HASH_DEFAULT: by key size). The signature is appended to out. */
crypto_err aa_sign(EVP_PKEY *priv, aa_hash hash, const uint8_t challenge[AA_CHALLENGE_LEN], crypto_buf *out);

/* The hash aa_sign and aa_verify use for an EC key of `bits` with
 * AA_HASH_DEFAULT: SHA-224 up to 224 bits, SHA-256 up to 256, SHA-384 up
 * to 384, SHA-512 above. */
aa_hash aa_ec_default_hash(int bits);
