/*
 * pa-trust — the CSCA trust store of passive authentication, in memory:
 * CSCA certificates and CRLs that the caller hands in as bytes. A CSCA
 * comes as a certificate (PEM or DER) or from an ICAO CSCA master list,
 * which is taken only when its own signature verifies and its signer chains
 * to a CSCA in the list. pa_verify (pa.h) checks an EF.SOD against a store.
 *
 * No I/O: reading a store from files and directories is the caller's
 * (hal/passport/trust.h). Every function that adds something takes a name
 * for it, e.g. the file it came from, and quotes that name as given in its
 * error sentence.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/crypto.h"

typedef struct pa_trust pa_trust;

/* ---- life ---------------------------------------------------------------- */

/* An empty store; CRYPTO_ERR_NOMEM when memory runs out. */
crypto_err pa_trust_new(pa_trust **ret);

/* Accepts NULL. */
void pa_trust_free(pa_trust *trust);

/* ---- contents ------------------------------------------------------------ */

/* Add the CSCAs that `data` holds: certificates (PEM, one or more, or one
 * DER certificate), of which those that are not CA certificates (a document
 * signer's, say) are skipped; or an ICAO CSCA master list (CMS SignedData,
 * DER or PEM), whose signature must verify and whose signer must chain to a
 * CSCA in the list at time `now`, and then every CSCA it lists is added.
 * Certificates already in the store are not added twice.
 *
 * CRYPTO_OK when the bytes hold at least one CSCA. CRYPTO_ERR_FORMAT when
 * they hold none: neither certificates nor a master list, or no CA
 * certificate among them (nothing added; a directory loader skips such a
 * file). CRYPTO_ERR_TRUST_STORE when a master list is malformed or does not
 * verify (nothing added). CRYPTO_ERR_NOMEM, CRYPTO_ERR_ARG. Each failure has
 * a sentence in err naming `name`. */
crypto_err pa_trust_add(pa_trust *trust, const uint8_t *data, size_t len, const char *name, time_t now,
                        char *err, size_t errlen);

/* Add a CRL (DER or PEM). It is checked against its CSCA when a document is
 * verified. CRYPTO_ERR_FORMAT (with a sentence naming `name`) when the bytes
 * are not a CRL; CRYPTO_ERR_NOMEM, CRYPTO_ERR_ARG. */
crypto_err pa_trust_add_crl(pa_trust *trust, const uint8_t *data, size_t len, const char *name, char *err,
                            size_t errlen);

/* Number of distinct CSCA certificates in the store (0 for NULL). */
size_t pa_trust_count(const pa_trust *trust);
