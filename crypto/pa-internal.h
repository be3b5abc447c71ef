/*
 * pa-internal — what the two files of passive authentication share: the
 * trust store's certificates and CRLs, which pa.c checks a document against
 * (kept in pa-trust.c), and the helpers both write their sentences with
 * (kept in pa.c). Not part of the crypto/ public interface.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "crypto/pa-trust.h"

/* ---- the store's contents (pa-trust.c) ----------------------------------- */

/* The CSCA certificates and the CRLs; NULL for a NULL store. */
const STACK_OF(X509) *pa_trust_cscas(const pa_trust *trust);
const STACK_OF(X509_CRL) *pa_trust_crls(const pa_trust *trust);

/* ---- sentences and names (pa.c) ------------------------------------------ */

/* Write a sentence into err (when there is room), clear OpenSSL's error
 * queue and return code. */
crypto_err pa_fail(char *err, size_t errlen, crypto_err code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One-line distinguished name, "C=ID, O=..., CN=...", UTF-8. */
void pa_name_line(const X509_NAME *name, char *out, size_t outlen);

/* Whether obj is the OID in dotted form. */
bool pa_oid_is(const ASN1_OBJECT *obj, const char *dotted);

#define PA_OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define PA_OID_CSCA_MASTER_LIST "2.23.136.1.1.2"
