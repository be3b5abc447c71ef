/*
 * trust — the reader's CSCA trust store from the file system: the files
 * and directories the kiosk is configured with, read here and handed as
 * bytes to the store in memory (crypto/pa-trust.h), which passive
 * authentication checks documents against.
 *
 * Only regular files are read: a path that is a FIFO, socket or device is
 * refused at once, never opened for a blocking read, and such entries of a
 * directory are skipped. Messages quote a path by its first 64 characters.
 * Errors are crypto_err, the store's own codes: CRYPTO_ERR_TRUST_STORE (or
 * CRYPTO_ERR_NOMEM, CRYPTO_ERR_ARG) with a sentence in err.
 */
#pragma once

#include <stddef.h>

#include "crypto/crypto.h"
#include "crypto/pa-trust.h"

/* A new store from one path: a directory of CSCA certificates (PEM or DER,
 * any file names; files that are not CA certificates, such as keys or DS
 * certificates, are skipped; master lists in it are loaded too), a single
 * certificate file, or an ICAO master list (DER or PEM CMS). A master list's
 * signer chain is checked at the current time. A path that yields no CSCA,
 * or a master list that does not verify, fails the load; *ret is then left
 * untouched. */
crypto_err pp_trust_load(const char *path, pa_trust **ret, char *err, size_t errlen);

/* Add the CSCAs of another path (same forms and errors as pp_trust_load;
 * certificates already in the store are not added twice). */
crypto_err pp_trust_add(pa_trust *trust, const char *path, char *err, size_t errlen);

/* Add a CRL file (DER or PEM). It is checked against its CSCA when a
 * document is verified. */
crypto_err pp_trust_add_crl(pa_trust *trust, const char *path, char *err, size_t errlen);
