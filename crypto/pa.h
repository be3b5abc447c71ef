/*
 * pa — passive authentication of an eMRTD (ICAO 9303 part 11, 5.1 and
 * part 12): the EF.SOD's CMS signature, the document signer's chain to a
 * trusted CSCA, certificate validity, revocation, and the hash of every data
 * group read. Each check is reported on its own, so a reader can say which one
 * failed. Built on OpenSSL 3; the CSCAs and CRLs come from a trust store
 * (pa-trust.h), never from the system's CA paths.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/pa-trust.h"

#define PA_MAX_DGS 16
#define PA_DETAIL_LEN 256
#define PA_NAME_LEN 256

typedef enum pa_status {
	PA_NOT_CHECKED = 0,
	PA_PASS,
	PA_FAIL,
} pa_status;

/* "pass", "fail", "not checked". */
const char *pa_status_name(pa_status s);

typedef struct pa_check {
	pa_status status;
	char detail[PA_DETAIL_LEN];  /* one sentence */
} pa_check;

/* A data group as read from the chip: the whole file, tag included. */
typedef struct pa_dg {
	int number;        /* 1..16 */
	const uint8_t *data;
	size_t len;
} pa_dg;

typedef struct pa_dg_result {
	int number;
	pa_check hash;     /* PASS matches the SOD; FAIL differs or not covered */
} pa_dg_result;

typedef struct pa_report {
	bool passed;               /* every check PASS (a NOT_CHECKED crl is fine) */

	pa_check sod_signature;    /* CMS signature with the DS certificate in the SOD */
	pa_check chain;            /* DS certificate -> CSCA in the trust store */
	pa_check validity;         /* DS and CSCA certificates valid at `now` */
	pa_check crl;              /* NOT_CHECKED when no CRL of that CSCA is configured */

	size_t n_dgs;              /* data groups given, in the order given */
	pa_dg_result dgs[PA_MAX_DGS];

	size_t n_covered;          /* data groups the SOD has hashes for, ascending */
	int covered[PA_MAX_DGS];

	char hash_algorithm[16];       /* "SHA-256" */
	char signature_algorithm[32];  /* "ECDSA", "RSA PKCS#1 v1.5", "RSA-PSS" */
	char ds_subject[PA_NAME_LEN];  /* one-line DN, e.g. "C=ID, O=..., CN=..." */
	char csca_subject[PA_NAME_LEN];/* empty when the CSCA is unknown */
	char lds_version[8];           /* "1.8" from ldsVersionInfo; empty if absent */
} pa_report;

/* Verify EF.SOD (the file as read, tag 77 included) and the given data
 * groups at time `now`. A trust of NULL leaves `chain` (and `crl`) failing
 * for want of a trust store. Returns CRYPTO_OK with the report filled in
 * whatever the checks found; an SOD that cannot be parsed is
 * CRYPTO_ERR_FORMAT (with a sentence in err) and *ret is left untouched. */
crypto_err pa_verify(const pa_trust *trust, const uint8_t *sod, size_t sod_len,
                     const pa_dg *dgs, size_t n_dgs, time_t now, pa_report *ret,
                     char *err, size_t errlen);
