/*
 * pa_fixture — what the two programs of the pa suite share (test_pa, the
 * SOD checks; test_trust, the trust store): PKIs and a good document made
 * once per program, a document's files as a chip gives them, verification
 * against a store, and CRLs and master lists made with docgen. A helper
 * that fails fails the test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/pa.h"

typedef struct pa_fx {
	char *root;
	const char *good;      /* PKI IDN, EC */
	const char *other;     /* PKI UTO, EC: an unknown CSCA */
	const char *expired;   /* PKI IDN whose DS expired */
	const char *good_doc;  /* wulandari signed by `good` */
	pa_trust *trust;       /* the CSCA of `good`, from its directory */
} pa_fx;

/* cmocka group set-up and tear-down: *state is the pa_fx. */
int pa_fx_setup(void **state);
int pa_fx_teardown(void **state);

/* A document as read from a chip: its SOD and data groups. */
typedef struct pa_fx_chip {
	uint8_t *sod;
	size_t sod_len;
	uint8_t *data[PA_MAX_DGS];
	pa_dg dgs[PA_MAX_DGS];
	size_t n;
} pa_fx_chip;

void pa_fx_chip_read(const char *doc, pa_fx_chip *c);
void pa_fx_chip_free(pa_fx_chip *c);

/* Verify a document directory against a trust store, now. */
pa_report pa_fx_verify(const pa_trust *trust, const char *doc);

/* A CRL of the PKI's CSCA at out: revoking its DS, or out of date. */
void pa_fx_crl(const char *pki, const char *out, bool revoke, bool expired);

/* A copy of the file src at <root>/<name> with its last byte flipped: for a
 * CRL or master list, a byte of its signature. Returns its path (valid for
 * the run). */
const char *pa_fx_altered_copy(pa_fx *f, const char *src, const char *name);

/* A master list of the PKIs' CSCAs, signed by the first one's signer, at
 * <root>/<name>; returns its path (valid for the run). */
const char *pa_fx_masterlist(pa_fx *f, const char *name, const char *const *pkis, size_t n);
