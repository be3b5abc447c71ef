/*
 * crypto — the error codes shared by the crypto/ modules (APDU codec, BAC,
 * secure messaging, passive authentication). Everything in crypto/ is a pure
 * function of its inputs: no I/O, no printing, no global state.
 */
#pragma once

typedef enum crypto_err {
	CRYPTO_OK = 0,
	CRYPTO_ERR_ARG,          /* a caller passed something impossible */
	CRYPTO_ERR_NOMEM,
	CRYPTO_ERR_BUFFER,       /* output buffer too small */
	CRYPTO_ERR_FORMAT,       /* malformed input (APDU, TLV, ASN.1) */
	CRYPTO_ERR_MAC,          /* a MAC did not verify: data was altered or keys differ */
	CRYPTO_ERR_AUTH,         /* mutual authentication failed (wrong key, wrong nonce) */
	CRYPTO_ERR_PADDING,      /* bad ISO 9797-1 padding after decryption */
	CRYPTO_ERR_LIBCRYPTO,    /* OpenSSL reported an internal failure */
	CRYPTO_ERR_SSC,          /* send sequence counter would wrap */
	CRYPTO_ERR_TRUST_STORE,  /* trust store could not be loaded */
	CRYPTO_ERR_UNSUPPORTED,  /* algorithm or option not supported */
} crypto_err;

const char *crypto_strerror(crypto_err e);
