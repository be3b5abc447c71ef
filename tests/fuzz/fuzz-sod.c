/*
 * fuzz-sod — libFuzzer target for passive authentication (crypto/pa.c):
 * the EF.SOD parser (tag 77, CMS SignedData, LDS security object, DS
 * certificate) with the signature, chain, validity, CRL and data group
 * hash checks behind it; and, as a second mode, the trust store loader on
 * one file (ICAO master list, DER or PEM, or a certificate).
 *
 * Input: a first byte 'M' (4D) means the rest is a trust store file: it is
 * written to a temporary file and loaded with pa_trust_load (slower: a
 * file and its CMS). Anything else (an EF.SOD starts with 77) is an EF.SOD,
 * verified with pa_verify against fixed data groups (DG1, DG11, DG12) and
 * a trust store loaded once at start-up.
 *
 * The fixed data is in tests/fuzz/data/sod (path compiled in as
 * FUZZ_SOD_DATA, or from the environment variable of that name): trust/
 * (CSCA certificates of the seed PKIs), crl-*.der, EF.DG1, EF.DG11,
 * EF.DG12 and `now` (the verification time, seconds since the epoch, so
 * results do not change as the seed certificates age). gen-corpus.c writes
 * it together with the seeds; no private key is kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/pa.h"

#ifndef FUZZ_SOD_DATA
#error "FUZZ_SOD_DATA must name tests/fuzz/data/sod"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fixture {
	pa_trust *trust;
	pa_dg dgs[3];
	time_t now;
	char tmp[64];
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

static void remove_tmp(void)
{
	if (fx.tmp[0])
		unlink(fx.tmp);
}

/* Load the fixed data once; any failure is the harness's, so abort. */
static const fixture *setup(void)
{
	if (fx.trust)
		return &fx;
	const char *dir = getenv("FUZZ_SOD_DATA");
	if (!dir || !*dir)
		dir = FUZZ_SOD_DATA;
	char path[4096], err[256];
	snprintf(path, sizeof(path), "%s/trust", dir);
	if (pa_trust_load(path, &fx.trust, err, sizeof(err)) != CRYPTO_OK) {
		fprintf(stderr, "fuzz-sod: trust store %s: %s\n", path, err);
		abort();
	}
	snprintf(path, sizeof(path), "%s/crl-ec.der", dir);
	if (pa_trust_add_crl(fx.trust, path, err, sizeof(err)) != CRYPTO_OK) {
		fprintf(stderr, "fuzz-sod: %s: %s\n", path, err);
		abort();
	}
	snprintf(path, sizeof(path), "%s/crl-rsa.der", dir);
	if (pa_trust_add_crl(fx.trust, path, err, sizeof(err)) != CRYPTO_OK) {
		fprintf(stderr, "fuzz-sod: %s: %s\n", path, err);
		abort();
	}
	static const int numbers[3] = { 1, 11, 12 };
	for (size_t i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "EF.DG%d", numbers[i]);
		fx.dgs[i].number = numbers[i];
		fx.dgs[i].data = read_all(dir, name, &fx.dgs[i].len);
	}
	size_t n;
	uint8_t *now = read_all(dir, "now", &n);
	char text[32] = { 0 };
	memcpy(text, now, n < sizeof(text) - 1 ? n : sizeof(text) - 1);
	free(now);
	fx.now = (time_t)strtoll(text, NULL, 10);
	const char *base = getenv("TMPDIR");
	snprintf(fx.tmp, sizeof(fx.tmp), "%s/fuzz-sod-XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
	int fd = mkstemp(fx.tmp);
	if (fd < 0) {
		perror(fx.tmp);
		abort();
	}
	close(fd);
	atexit(remove_tmp);
	return &fx;
}

static void load_trust_file(const fixture *f, const uint8_t *data, size_t size)
{
	FILE *out = fopen(f->tmp, "wb");
	if (!out || fwrite(data, 1, size, out) != size || fclose(out) != 0)
		abort();
	pa_trust *trust = NULL;
	char err[256];
	if (pa_trust_load(f->tmp, &trust, err, sizeof(err)) == CRYPTO_OK) {
		if (pa_trust_count(trust) == 0)
			abort(); /* a load that yields no CSCA must fail */
		pa_trust_free(trust);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const fixture *f = setup();
	if (size >= 1 && data[0] == 'M') {
		load_trust_file(f, data + 1, size - 1);
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
