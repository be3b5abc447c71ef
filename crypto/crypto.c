/*
 * crypto — words for the crypto/ error codes.
 */
#include "crypto/crypto.h"

const char *crypto_strerror(crypto_err e)
{
	switch (e) {
	case CRYPTO_OK: return "success";
	case CRYPTO_ERR_ARG: return "invalid argument";
	case CRYPTO_ERR_NOMEM: return "out of memory";
	case CRYPTO_ERR_BUFFER: return "output buffer too small";
	case CRYPTO_ERR_FORMAT: return "malformed data";
	case CRYPTO_ERR_MAC: return "message authentication code does not verify";
	case CRYPTO_ERR_AUTH: return "mutual authentication failed";
	case CRYPTO_ERR_PADDING: return "bad padding";
	case CRYPTO_ERR_LIBCRYPTO: return "OpenSSL failure";
	case CRYPTO_ERR_SSC: return "send sequence counter exhausted";
	case CRYPTO_ERR_TRUST_STORE: return "trust store could not be loaded";
	case CRYPTO_ERR_UNSUPPORTED: return "not supported";
	}
	return "unknown crypto error";
}
