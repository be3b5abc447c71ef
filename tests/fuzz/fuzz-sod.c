/*
 * fuzz-sod — libFuzzer target for passive authentication (crypto/pa.c):
 * the EF.SOD parser (tag 77, CMS SignedData, LDS security object, DS
 * certificate) with the signature, chain, validity, CRL and data group
 * hash checks behind it; and, as a second mode, the trust store's parser
 * of CSCA bytes (crypto/pa-trust.c: an ICAO master list, DER or PEM, or
 * certificates).
 *
 * Input: a first byte 'M' (4D) means the rest is the bytes of a trust store
 * file, added with pa_trust_add to an empty store at the fixed time (slower:
 * its CMS). Anything else (an EF.SOD starts with 77) is an EF.SOD,
 * verified with pa_verify against fixed data groups (DG1, DG11, DG12) and
 * a trust store built once at start-up.
 *
 * The fixed data is in tests/fuzz/data/sod (path compiled in as
 * FUZZ_SOD_DATA, or from the environment variable of that name): trust/
 * (CSCA certificates of the seed PKIs, named in TRUST_FILES), crl-*.der,
 * EF.DG1, EF.DG11, EF.DG12 and `now` (the verification time, seconds since
 * the epoch, so results do not change as the seed certificates age).
 * gen-corpus.c writes it together with the seeds; no private key is kept.
 * It is read here and handed to crypto/ as bytes, as the kiosk's loader
 * (hal/passport/trust.c) does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pa.h"

#ifndef FUZZ_SOD_DATA
#error "FUZZ_SOD_DATA must name tests/fuzz/data/sod"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fixture {
	pa_trust *trust;
	pa_dg dgs[3];
	time_t now;
} fixture;

static uint8_t *read_all(const char *dir, const char *name, size_t *ret_len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		abort();
	}
	uint8_t *data = malloc(1 << 16);
	size_t n = data ? fread(data, 1, 1 << 16, f) : 0;
	fclose(f);
	if (!data || n == 0 || n == 1 << 16) {
		fprintf(stderr, "%s: cannot read (or too large)\n", path);
		abort();
	}
	*ret_len = n;
	return data;
}

static fixture fx;

/* The fixed data's CSCAs and CRLs, as gen-corpus.c names them. */
static const char *const TRUST_FILES[] = {
	"trust/csca-ec.pem", "trust/csca-rsa.pem", "trust/csca-expired.pem", "trust/csca-future.pem",
};
static const char *const CRL_FILES[] = { "crl-ec.der", "crl-rsa.der" };

/* Load the fixed data once; any failure is the harness's, so abort. */
static const fixture *setup(void)
{
	if (fx.trust)
		return &fx;
	const char *dir = getenv("FUZZ_SOD_DATA");
	if (!dir || !*dir)
		dir = FUZZ_SOD_DATA;
	size_t n;
	uint8_t *now = read_all(dir, "now", &n);
	char text[32] = { 0 };
	memcpy(text, now, n < sizeof(text) - 1 ? n : sizeof(text) - 1);
	free(now);
	fx.now = (time_t)strtoll(text, NULL, 10);
	char err[256];
	if (pa_trust_new(&fx.trust) != CRYPTO_OK)
		abort();
	for (size_t i = 0; i < sizeof(TRUST_FILES) / sizeof(TRUST_FILES[0]); i++) {
		uint8_t *data = read_all(dir, TRUST_FILES[i], &n);
		if (pa_trust_add(fx.trust, data, n, TRUST_FILES[i], fx.now, err, sizeof(err)) != CRYPTO_OK) {
			fprintf(stderr, "fuzz-sod: %s/%s: %s\n", dir, TRUST_FILES[i], err);
			abort();
		}
		free(data);
	}
	for (size_t i = 0; i < sizeof(CRL_FILES) / sizeof(CRL_FILES[0]); i++) {
		uint8_t *data = read_all(dir, CRL_FILES[i], &n);
		if (pa_trust_add_crl(fx.trust, data, n, CRL_FILES[i], err, sizeof(err)) != CRYPTO_OK) {
			fprintf(stderr, "fuzz-sod: %s/%s: %s\n", dir, CRL_FILES[i], err);
			abort();
		}
		free(data);
	}
	static const int numbers[3] = { 1, 11, 12 };
	for (size_t i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "EF.DG%d", numbers[i]);
		fx.dgs[i].number = numbers[i];
		fx.dgs[i].data = read_all(dir, name, &fx.dgs[i].len);
	}
	return &fx;
}

static void add_trust_bytes(const fixture *f, const uint8_t *data, size_t size)
{
	pa_trust *trust = NULL;
	if (pa_trust_new(&trust) != CRYPTO_OK)
		abort();
	char err[256] = "";
	crypto_err e = pa_trust_add(trust, data, size, "input", f->now, err, sizeof(err));
	if ((e == CRYPTO_OK) != (pa_trust_count(trust) > 0))
		abort(); /* success means a CSCA was added, failure that none was */
	if (e != CRYPTO_OK && strlen(err) == 0)
		abort(); /* every failure has its sentence */
	pa_trust_free(trust);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const fixture *f = setup();
	if (size >= 1 && data[0] == 'M') {
		add_trust_bytes(f, data + 1, size - 1);
		return 0;
	}
	pa_report r;
	char err[256];
	if (pa_verify(f->trust, data, size, f->dgs, 3, f->now, &r, err, sizeof(err)) == CRYPTO_OK) {
		/* Every string in the report is terminated. */
		size_t n = strlen(r.sod_signature.detail) + strlen(r.chain.detail) + strlen(r.validity.detail) +
			   strlen(r.crl.detail) + strlen(r.hash_algorithm) + strlen(r.signature_algorithm) +
			   strlen(r.ds_subject) + strlen(r.csca_subject) + strlen(r.lds_version);
		if (r.n_dgs != 3 || r.n_covered > PA_MAX_DGS)
			abort();
		for (size_t i = 0; i < r.n_dgs; i++)
			n += strlen(r.dgs[i].hash.detail);
		(void)n;
		if (r.passed && (r.sod_signature.status != PA_PASS || r.chain.status != PA_PASS))
			abort(); /* a pass must mean the signature and chain passed */
	}
	return 0;
}
