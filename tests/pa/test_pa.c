/*
 * test_pa — passive authentication on documents made at test time by the
 * docgen library: a good document passes every check; each kind of fault
 * (altered data group, unknown CSCA, expired or revoked document signer,
 * altered or malformed SOD) fails exactly the check that names it, and
 * malformed input is an error, never a crash. The trust store itself is
 * tested by test_trust.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/pa.h"
#include "hal/passport/trust.h"
#include "tests/docgen/fixture.h"
#include "tests/pa/pa_fixture.h"

static const pa_dg_result *dg_result(const pa_report *r, int n)
{
	for (size_t i = 0; i < r->n_dgs; i++)
		if (r->dgs[i].number == n)
			return &r->dgs[i];
	fail_msg("DG%d not in the report", n);
	return NULL;
}

static void assert_all_dgs(const pa_report *r, pa_status want)
{
	for (size_t i = 0; i < r->n_dgs; i++)
		assert_int_equal(r->dgs[i].hash.status, want);
}

static void test_good_document_passes(void **state)
{
	pa_fx *f = *state;
	pa_report r = pa_fx_verify(f->trust, f->good_doc);
	assert_true(r.passed);
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_PASS);
	assert_int_equal(r.validity.status, PA_PASS);
	assert_int_equal(r.crl.status, PA_NOT_CHECKED);
	assert_int_equal(r.n_dgs, 4);
	assert_all_dgs(&r, PA_PASS);
	assert_int_equal(r.n_covered, 4);
	static const int covered[] = { 1, 2, 11, 12 };
	assert_memory_equal(r.covered, covered, sizeof covered);
	assert_string_equal(r.hash_algorithm, "SHA-256");
	assert_string_equal(r.signature_algorithm, "ECDSA");
	assert_non_null(strstr(r.ds_subject, "CN=Document Signer IDN"));
	assert_non_null(strstr(r.csca_subject, "CN=CSCA IDN"));
	assert_non_null(strstr(r.chain.detail, r.csca_subject));
	assert_string_equal(r.lds_version, "");
	assert_string_equal(dg_result(&r, 2)->hash.detail, "DG2 hash matches the SOD.");
	assert_string_equal(pa_status_name(PA_PASS), "pass");
	assert_string_equal(pa_status_name(PA_FAIL), "fail");
	assert_string_equal(pa_status_name(PA_NOT_CHECKED), "not checked");
}

static void test_tampered_dg_fails_only_its_hash(void **state)
{
	pa_fx *f = *state;
	static const int which[] = { 1, 2, 11 };
	for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "tamper-%d", which[i]);
		const char *doc = fx_doc(f->root, name, f->good, "hartono",
		                         (docgen_doc_opts){ .tamper_dg = which[i] });
		pa_report r = pa_fx_verify(f->trust, doc);
		assert_false(r.passed);
		assert_int_equal(r.sod_signature.status, PA_PASS);
		assert_int_equal(r.chain.status, PA_PASS);
		assert_int_equal(r.validity.status, PA_PASS);
		for (size_t j = 0; j < r.n_dgs; j++) {
			const pa_dg_result *d = &r.dgs[j];
			if (d->number != which[i]) {
				assert_int_equal(d->hash.status, PA_PASS);
				continue;
			}
			assert_int_equal(d->hash.status, PA_FAIL);
			char want[128];
			snprintf(want, sizeof want,
			         "DG%d hash does not match the SOD: the data group was altered.", which[i]);
			assert_string_equal(d->hash.detail, want);
		}
	}
}

static void test_unknown_csca_fails_chain(void **state)
{
	pa_fx *f = *state;
	const char *doc = fx_doc(f->root, "foreign", f->other, "lestari", (docgen_doc_opts){ 0 });
	pa_report r = pa_fx_verify(f->trust, doc);
	assert_false(r.passed);
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_FAIL);
	assert_non_null(strstr(r.chain.detail, "signed by an unknown CSCA: "));
	/* The issuer named is the foreign CSCA, as its certificate says. */
	size_t len;
	uint8_t *pem = fx_read(fx_path(f->other, "csca.pem"), &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *csca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(csca);
	char cn[64], want[80];
	X509_NAME_get_text_by_NID(X509_get_subject_name(csca), NID_commonName, cn, sizeof cn);
	snprintf(want, sizeof want, "CN=%s", cn);
	assert_non_null(strstr(r.chain.detail, want));
	assert_non_null(strstr(r.chain.detail, "C=UT"));
	assert_string_equal(r.csca_subject, "");
	assert_int_equal(r.validity.status, PA_PASS);
	assert_all_dgs(&r, PA_PASS);
	X509_free(csca);
	BIO_free(b);
	free(pem);

	/* No trust store at all fails the chain too, never passes. */
	r = pa_fx_verify(NULL, f->good_doc);
	assert_false(r.passed);
	assert_int_equal(r.chain.status, PA_FAIL);
}

static void test_expired_ds_fails_validity(void **state)
{
	pa_fx *f = *state;
	const char *doc = fx_doc(f->root, "expired-doc", f->expired, "wulandari",
	                         (docgen_doc_opts){ 0 });
	pa_trust *t = fx_trust(fx_path(f->expired, "csca.pem"));
	pa_report r = pa_fx_verify(t, doc);
	assert_false(r.passed);
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_PASS);
	assert_int_equal(r.validity.status, PA_FAIL);
	assert_non_null(strstr(r.validity.detail, "document signer certificate expired on 20"));
	assert_all_dgs(&r, PA_PASS);
	pa_trust_free(t);

	/* A DS not yet valid, and a good DS checked 40 years from now. */
	const char *future = fx_pki(f->root, "future",
	                            &(docgen_pki_opts){ .ds_validity = DOCGEN_DS_NOT_YET_VALID });
	doc = fx_doc(f->root, "future-doc", future, "wulandari", (docgen_doc_opts){ 0 });
	t = fx_trust(future);
	r = pa_fx_verify(t, doc);
	assert_int_equal(r.validity.status, PA_FAIL);
	assert_non_null(strstr(r.validity.detail, "not valid before"));
	pa_trust_free(t);

	pa_fx_chip c;
	pa_fx_chip_read(f->good_doc, &c);
	time_t later = time(NULL) + 40L * 365 * 24 * 3600;
	assert_int_equal(pa_verify(f->trust, c.sod, c.sod_len, c.dgs, c.n, later, &r, NULL, 0),
	                 CRYPTO_OK);
	assert_int_equal(r.validity.status, PA_FAIL);
	assert_int_equal(r.chain.status, PA_PASS);
	pa_fx_chip_free(&c);
}

static pa_report verify_with_crl(pa_fx *f, const char *crl_path)
{
	pa_trust *t = fx_trust(f->good);
	char err[256] = "";
	if (pp_trust_add_crl(t, crl_path, err, sizeof err) != CRYPTO_OK)
		fail_msg("pp_trust_add_crl: %s", err);
	pa_report r = pa_fx_verify(t, f->good_doc);
	pa_trust_free(t);
	return r;
}

static void test_crl(void **state)
{
	pa_fx *f = *state;
	const char *revoked = fx_keep_path(f->root, "revoked.crl");
	pa_fx_crl(f->good, revoked, true, false);
	pa_report r = verify_with_crl(f, revoked);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "revoked"));
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_PASS);
	assert_int_equal(r.validity.status, PA_PASS);

	const char *clean = fx_keep_path(f->root, "clean.crl");
	pa_fx_crl(f->good, clean, false, false);
	r = verify_with_crl(f, clean);
	assert_true(r.passed);
	assert_int_equal(r.crl.status, PA_PASS);

	const char *stale = fx_keep_path(f->root, "stale.crl");
	pa_fx_crl(f->good, stale, false, true);
	r = verify_with_crl(f, stale);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "out of date"));

	/* A CRL whose signature was altered does not verify against the CSCA. */
	const char *forged = pa_fx_altered_copy(f, clean, "forged.crl");
	r = verify_with_crl(f, forged);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "does not verify"));

	/* Another CSCA's CRL says nothing about this DS. */
	const char *foreign = fx_keep_path(f->root, "foreign.crl");
	pa_fx_crl(f->other, foreign, true, false);
	r = verify_with_crl(f, foreign);
	assert_true(r.passed);
	assert_int_equal(r.crl.status, PA_NOT_CHECKED);

	pa_trust *t = fx_trust(f->good);
	char err[256];
	assert_int_equal(pp_trust_add_crl(t, fx_path(f->good, "csca.key"), err, sizeof err),
	                 CRYPTO_ERR_TRUST_STORE);
	pa_trust_free(t);
}

static void test_hash_variants(void **state)
{
	pa_fx *f = *state;
	static const struct {
		const char *opt, *name;
	} hashes[] = {
		{ "sha1", "SHA-1" }, { "sha224", "SHA-224" }, { "sha256", "SHA-256" },
		{ "sha384", "SHA-384" }, { "sha512", "SHA-512" },
	};
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "hash-%s", hashes[i].opt);
		const char *doc = fx_doc(f->root, name, f->good, "lestari",
		                         (docgen_doc_opts){ .hash = hashes[i].opt });
		pa_report r = pa_fx_verify(f->trust, doc);
		assert_true(r.passed);
		assert_string_equal(r.hash_algorithm, hashes[i].name);
		assert_all_dgs(&r, PA_PASS);
	}
}

static void test_rsa_signatures(void **state)
{
	pa_fx *f = *state;
	const char *rsa = fx_pki(f->root, "rsa", &(docgen_pki_opts){ .key = DOCGEN_KEY_RSA });
	pa_trust *t = NULL;
	char err[256];
	assert_int_equal(pp_trust_load(rsa, &t, err, sizeof err), CRYPTO_OK);
	const char *doc = fx_doc(f->root, "rsa-doc", rsa, "hartono",
	                         (docgen_doc_opts){ .face = DOCGEN_FACE_JP2, .dg15 = true });
	pa_report r = pa_fx_verify(t, doc);
	assert_true(r.passed);
	assert_string_equal(r.signature_algorithm, "RSA PKCS#1 v1.5");
	assert_int_equal(r.n_dgs, 5);
	doc = fx_doc(f->root, "pss-doc", rsa, "hartono",
	             (docgen_doc_opts){ .sig = DOCGEN_SIG_RSA_PSS, .hash = "sha384" });
	r = pa_fx_verify(t, doc);
	assert_true(r.passed);
	assert_string_equal(r.signature_algorithm, "RSA-PSS");
	assert_string_equal(r.hash_algorithm, "SHA-384");
	pa_trust_free(t);
}

static void test_uncovered_dg_and_lds_version(void **state)
{
	pa_fx *f = *state;
	const char *doc = fx_doc(f->root, "unsigned12", f->good, "wulandari",
	                         (docgen_doc_opts){ .unsigned_dgs = 1u << 12, .lds_1_8 = true });
	pa_report r = pa_fx_verify(f->trust, doc);
	assert_false(r.passed);
	assert_int_equal(r.n_covered, 3);
	static const int covered[] = { 1, 2, 11 };
	assert_memory_equal(r.covered, covered, sizeof covered);
	assert_int_equal(dg_result(&r, 12)->hash.status, PA_FAIL);
	assert_string_equal(dg_result(&r, 12)->hash.detail, "DG12 is not covered by the SOD.");
	assert_int_equal(dg_result(&r, 1)->hash.status, PA_PASS);
	assert_string_equal(r.lds_version, "1.8");
}

/* Altering the signed security object inside the SOD breaks the signature. */
static void test_altered_sod_content(void **state)
{
	pa_fx *f = *state;
	pa_fx_chip c;
	pa_fx_chip_read(f->good_doc, &c);
	unsigned char digest[32];
	unsigned dlen;
	assert_int_equal(EVP_Digest(c.dgs[0].data, c.dgs[0].len, digest, &dlen, EVP_sha256(), NULL), 1);
	uint8_t *at = NULL;
	for (size_t i = 0; i + dlen <= c.sod_len && !at; i++)
		if (memcmp(c.sod + i, digest, dlen) == 0)
			at = c.sod + i;
	assert_non_null(at);
	at[0] ^= 0x01;
	pa_report r;
	assert_int_equal(pa_verify(f->trust, c.sod, c.sod_len, c.dgs, c.n, time(NULL), &r, NULL, 0),
	                 CRYPTO_OK);
	assert_false(r.passed);
	assert_int_equal(r.sod_signature.status, PA_FAIL);
	assert_non_null(strstr(r.sod_signature.detail, "messageDigest"));
	assert_int_equal(r.chain.status, PA_PASS);
	assert_int_equal(dg_result(&r, 1)->hash.status, PA_FAIL);
	assert_int_equal(dg_result(&r, 2)->hash.status, PA_PASS);
	pa_fx_chip_free(&c);
}

static void test_malformed_sod(void **state)
{
	pa_fx *f = *state;
	pa_fx_chip c;
	pa_fx_chip_read(f->good_doc, &c);
	pa_report r, untouched;
	memset(&untouched, 0xA5, sizeof untouched);
	char err[256];
	for (size_t len = 0; len < c.sod_len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, c.sod, len);
		r = untouched;
		err[0] = '\0';
		crypto_err e = pa_verify(f->trust, copy, len, c.dgs, c.n, time(NULL), &r, err, sizeof err);
		assert_int_equal(e, CRYPTO_ERR_FORMAT);
		assert_true(strncmp(err, "EF.SOD", 6) == 0);
		assert_memory_equal(&r, &untouched, sizeof r);
		free(copy);
	}
	/* Every single-byte change either is an error or is reported; never a crash. */
	for (size_t i = 0; i < c.sod_len; i++) {
		uint8_t *copy = malloc(c.sod_len);
		memcpy(copy, c.sod, c.sod_len);
		copy[i] ^= 0x5A;
		crypto_err e = pa_verify(f->trust, copy, c.sod_len, c.dgs, c.n, time(NULL), &r, NULL, 0);
		assert_true(e == CRYPTO_OK || e == CRYPTO_ERR_FORMAT || e == CRYPTO_ERR_UNSUPPORTED);
		free(copy);
	}
	/* A signed master list wrapped in tag 77 is not an SOD. */
	const char *pkis[] = { f->good };
	size_t ml_len;
	uint8_t *ml = fx_read(pa_fx_masterlist(f, "wrap.ml", pkis, 1), &ml_len);
	uint8_t *wrapped = malloc(ml_len + 8);
	size_t hdr = 0;
	wrapped[hdr++] = 0x77;
	wrapped[hdr++] = 0x82;
	wrapped[hdr++] = (uint8_t)(ml_len >> 8);
	wrapped[hdr++] = (uint8_t)ml_len;
	memcpy(wrapped + hdr, ml, ml_len);
	assert_int_equal(pa_verify(f->trust, wrapped, hdr + ml_len, NULL, 0, time(NULL), &r, err,
	                           sizeof err), CRYPTO_ERR_FORMAT);
	assert_non_null(strstr(err, "LDS security object"));
	free(wrapped);
	free(ml);
	/* Bad arguments. */
	pa_dg bad = { 17, c.sod, 1 };
	assert_int_equal(pa_verify(f->trust, c.sod, c.sod_len, &bad, 1, time(NULL), &r, NULL, 0),
	                 CRYPTO_ERR_ARG);
	pa_fx_chip_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_document_passes),
		cmocka_unit_test(test_tampered_dg_fails_only_its_hash),
		cmocka_unit_test(test_unknown_csca_fails_chain),
		cmocka_unit_test(test_expired_ds_fails_validity),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_hash_variants),
		cmocka_unit_test(test_rsa_signatures),
		cmocka_unit_test(test_uncovered_dg_and_lds_version),
		cmocka_unit_test(test_altered_sod_content),
		cmocka_unit_test(test_malformed_sod),
	};
	return cmocka_run_group_tests(tests, pa_fx_setup, pa_fx_teardown);
}
