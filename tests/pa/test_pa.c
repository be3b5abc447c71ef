/*
 * test_pa — passive authentication on documents made at test time by the
 * docgen library: a good document passes every check; each kind of fault
 * (altered data group, unknown CSCA, expired or revoked document signer,
 * broken master list, altered or malformed SOD) fails exactly the check that
 * names it, and malformed input is an error, never a crash.
 *
 * The trust store both ways: loaded from paths by hal/passport/trust.c
 * (directories, single files, master lists, CRLs; FIFOs and devices refused
 * or skipped, long paths cut in messages), and built from bytes with
 * crypto/pa-trust.c (certificates, master lists checked at a given time,
 * CRLs, and garbage refused with a sentence).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h> /* before cms.h, which then declares PEM_write_bio_CMS */
#include <openssl/cms.h>
#include <openssl/x509.h>

#include "crypto/pa.h"
#include "devices/docgen/docgen-internal.h"
#include "hal/passport/trust.h"
#include "tests/docgen/fixture.h"

typedef struct fx {
	char *root;
	const char *good;      /* PKI IDN, EC */
	const char *other;     /* PKI UTO, EC: an unknown CSCA */
	const char *expired;   /* PKI IDN whose DS expired */
	const char *good_doc;  /* wulandari signed by `good` */
	pa_trust *trust;       /* the CSCA of `good`, from its directory */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->good = fx_pki(f->root, "good", NULL);
	f->other = fx_pki(f->root, "other", &(docgen_pki_opts){ .country = "UTO" });
	f->expired = fx_pki(f->root, "expired", &(docgen_pki_opts){ .ds_validity = DOCGEN_DS_EXPIRED });
	f->good_doc = fx_doc(f->root, "good-doc", f->good, "wulandari", (docgen_doc_opts){ 0 });
	f->trust = fx_trust(f->good);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	pa_trust_free(f->trust);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

/* A document as read from a chip: its SOD and data groups. */
typedef struct chip {
	uint8_t *sod;
	size_t sod_len;
	uint8_t *data[PA_MAX_DGS];
	pa_dg dgs[PA_MAX_DGS];
	size_t n;
} chip;

static void chip_read(const char *doc, chip *c)
{
	memset(c, 0, sizeof *c);
	c->sod = fx_read(fx_path(doc, "EF.SOD"), &c->sod_len);
	assert_non_null(c->sod);
	for (int n = 1; n <= 16; n++) {
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", n);
		size_t len;
		uint8_t *d = fx_read(fx_path(doc, name), &len);
		if (!d)
			continue;
		c->data[c->n] = d;
		c->dgs[c->n] = (pa_dg){ n, d, len };
		c->n++;
	}
}

static void chip_free(chip *c)
{
	free(c->sod);
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
}

/* Verify a document directory against a trust store, now. */
static pa_report verify(const pa_trust *trust, const char *doc)
{
	chip c;
	chip_read(doc, &c);
	pa_report r;
	char err[256] = "";
	crypto_err e = pa_verify(trust, c.sod, c.sod_len, c.dgs, c.n, time(NULL), &r, err, sizeof err);
	if (e)
		fail_msg("pa_verify: %s", err);
	chip_free(&c);
	return r;
}

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
	fx *f = *state;
	pa_report r = verify(f->trust, f->good_doc);
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
	fx *f = *state;
	static const int which[] = { 1, 2, 11 };
	for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "tamper-%d", which[i]);
		const char *doc = fx_doc(f->root, name, f->good, "hartono",
		                         (docgen_doc_opts){ .tamper_dg = which[i] });
		pa_report r = verify(f->trust, doc);
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
	fx *f = *state;
	const char *doc = fx_doc(f->root, "foreign", f->other, "lestari", (docgen_doc_opts){ 0 });
	pa_report r = verify(f->trust, doc);
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
	r = verify(NULL, f->good_doc);
	assert_false(r.passed);
	assert_int_equal(r.chain.status, PA_FAIL);
}

static void test_expired_ds_fails_validity(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "expired-doc", f->expired, "wulandari",
	                         (docgen_doc_opts){ 0 });
	pa_trust *t = fx_trust(fx_path(f->expired, "csca.pem"));
	pa_report r = verify(t, doc);
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
	r = verify(t, doc);
	assert_int_equal(r.validity.status, PA_FAIL);
	assert_non_null(strstr(r.validity.detail, "not valid before"));
	pa_trust_free(t);

	chip c;
	chip_read(f->good_doc, &c);
	time_t later = time(NULL) + 40L * 365 * 24 * 3600;
	assert_int_equal(pa_verify(f->trust, c.sod, c.sod_len, c.dgs, c.n, later, &r, NULL, 0),
	                 CRYPTO_OK);
	assert_int_equal(r.validity.status, PA_FAIL);
	assert_int_equal(r.chain.status, PA_PASS);
	chip_free(&c);
}

static pa_report verify_with_crl(fx *f, const char *crl_path)
{
	pa_trust *t = fx_trust(f->good);
	char err[256] = "";
	if (pp_trust_add_crl(t, crl_path, err, sizeof err) != CRYPTO_OK)
		fail_msg("pp_trust_add_crl: %s", err);
	pa_report r = verify(t, f->good_doc);
	pa_trust_free(t);
	return r;
}

static void make_crl(const char *pki, const char *out, bool revoke, bool expired)
{
	char err[256] = "";
	docgen_crl_opts o = { .pki_dir = pki, .out_path = out, .revoke_ds = revoke,
	                      .expired = expired };
	if (docgen_crl_create(&o, err, sizeof err))
		fail_msg("docgen_crl_create: %s", err);
}

static void test_crl(void **state)
{
	fx *f = *state;
	const char *revoked = fx_keep_path(f->root, "revoked.crl");
	make_crl(f->good, revoked, true, false);
	pa_report r = verify_with_crl(f, revoked);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "revoked"));
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_PASS);
	assert_int_equal(r.validity.status, PA_PASS);

	const char *clean = fx_keep_path(f->root, "clean.crl");
	make_crl(f->good, clean, false, false);
	r = verify_with_crl(f, clean);
	assert_true(r.passed);
	assert_int_equal(r.crl.status, PA_PASS);

	const char *stale = fx_keep_path(f->root, "stale.crl");
	make_crl(f->good, stale, false, true);
	r = verify_with_crl(f, stale);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "out of date"));

	/* A CRL whose signature was altered does not verify against the CSCA. */
	size_t len;
	uint8_t *der = fx_read(clean, &len);
	der[len - 1] ^= 0x01;
	const char *forged = fx_keep_path(f->root, "forged.crl");
	fx_write(forged, der, len);
	free(der);
	r = verify_with_crl(f, forged);
	assert_false(r.passed);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "does not verify"));

	/* Another CSCA's CRL says nothing about this DS. */
	const char *foreign = fx_keep_path(f->root, "foreign.crl");
	make_crl(f->other, foreign, true, false);
	r = verify_with_crl(f, foreign);
	assert_true(r.passed);
	assert_int_equal(r.crl.status, PA_NOT_CHECKED);

	pa_trust *t = fx_trust(f->good);
	char err[256];
	assert_int_equal(pp_trust_add_crl(t, fx_path(f->good, "csca.key"), err, sizeof err),
	                 CRYPTO_ERR_TRUST_STORE);
	pa_trust_free(t);
}

static const char *make_masterlist(fx *f, const char *name, const char *const *pkis, size_t n)
{
	const char *path = fx_keep_path(f->root, name);
	char err[256] = "";
	if (docgen_masterlist_create(pkis, n, path, err, sizeof err))
		fail_msg("docgen_masterlist_create: %s", err);
	return path;
}

static void test_masterlist(void **state)
{
	fx *f = *state;
	const char *pkis[] = { f->good, f->other };
	char ml[512];
	snprintf(ml, sizeof ml, "%s", make_masterlist(f, "both.ml", pkis, 2));
	pa_trust *t = fx_trust(ml);
	char err[256] = "";
	assert_int_equal(pa_trust_count(t), 2);
	pa_report r = verify(t, f->good_doc);
	assert_true(r.passed);
	const char *foreign = fx_doc(f->root, "foreign-ml", f->other, "lestari", (docgen_doc_opts){ 0 });
	r = verify(t, foreign);
	assert_true(r.passed);
	assert_non_null(strstr(r.csca_subject, "CN=CSCA UTO"));

	/* Adding the same CSCAs again from a directory does not duplicate them. */
	assert_int_equal(pp_trust_add(t, f->good, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	assert_int_equal(pp_trust_add(t, f->expired, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 3);
	pa_trust_free(t);

	/* A broken signature: the last byte of the signer's signature. */
	size_t len;
	uint8_t *der = fx_read(ml, &len);
	der[len - 1] ^= 0x01;
	const char *broken = fx_keep_path(f->root, "broken.ml");
	fx_write(broken, der, len);
	free(der);
	t = NULL;
	err[0] = '\0';
	assert_int_equal(pp_trust_load(broken, &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_null(t);
	assert_non_null(strstr(err, "signature does not verify"));

	/* A list signed by a signer that chains to none of the CSCAs listed. */
	docgen_pki good = { 0 };
	assert_int_equal(docgen_pki_load(f->good, &good, err, sizeof err), DOCGEN_OK);
	docgen_pki other = { 0 };
	assert_int_equal(docgen_pki_load(f->other, &other, err, sizeof err), DOCGEN_OK);
	unsigned char *cert = NULL;
	int cert_len = i2d_X509(other.csca, &cert);
	assert_true(cert_len > 0 && cert_len < 60000);
	size_t list_len = 0;
	uint8_t *list = malloc((size_t)cert_len + 16);
	uint8_t *p = list;
	/* SEQUENCE { INTEGER 0, SET { cert } } with 2-byte lengths */
	size_t set_len = (size_t)cert_len, seq_len = 3 + 4 + set_len;
	*p++ = 0x30; *p++ = 0x82; *p++ = (uint8_t)(seq_len >> 8); *p++ = (uint8_t)seq_len;
	*p++ = 0x02; *p++ = 0x01; *p++ = 0x00;
	*p++ = 0x31; *p++ = 0x82; *p++ = (uint8_t)(set_len >> 8); *p++ = (uint8_t)set_len;
	memcpy(p, cert, set_len);
	list_len = 4 + seq_len;
	uint8_t *cms = NULL;
	size_t cms_len = 0;
	assert_int_equal(docgen_cms_sign(list, list_len, "2.23.136.1.1.2", good.mls, good.mls_key,
	                                 EVP_sha256(), DOCGEN_SIG_DEFAULT, &cms, &cms_len, err,
	                                 sizeof err), DOCGEN_OK);
	const char *rogue = fx_keep_path(f->root, "rogue.ml");
	fx_write(rogue, cms, cms_len);
	assert_int_equal(pp_trust_load(rogue, &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "does not chain to a CSCA in the list"));
	OPENSSL_free(cms);
	OPENSSL_free(cert);
	free(list);
	docgen_pki_free(&good);
	docgen_pki_free(&other);

	/* A directory holding a master list is loaded through it. */
	const char *dir = fx_keep_path(f->root, "ml-dir");
	char mkdir_cmd[600];
	snprintf(mkdir_cmd, sizeof mkdir_cmd, "mkdir -p '%s' && cp '%s' '%s/list.der'", dir, ml, dir);
	assert_int_equal(system(mkdir_cmd), 0);
	t = fx_trust(dir);
	assert_int_equal(pa_trust_count(t), 2);
	pa_trust_free(t);
}

static void test_trust_store_errors(void **state)
{
	fx *f = *state;
	pa_trust *t = NULL;
	char err[256] = "";
	assert_int_equal(pp_trust_load(fx_path(f->root, "missing"), &t, err, sizeof err),
	                 CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "does not exist"));
	assert_null(strstr(err, "trust store"));   /* the caller says that */
	/* A long path is named by its first 64 characters. */
	char longer[400];
	memset(longer, 'p', sizeof longer - 1);
	longer[0] = '/';
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(pp_trust_load(longer, &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	char shown[128];
	snprintf(shown, sizeof shown, "%.64s\u2026 does not exist", longer);
	assert_string_equal(err, shown);
	assert_int_equal(pp_trust_load(fx_path(f->good, "ds.key"), &t, err, sizeof err),
	                 CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "neither a certificate nor an ICAO master list"));
	/* A certificate that is not a CA is not a CSCA. */
	assert_int_equal(pp_trust_load(fx_path(f->good, "ds.pem"), &t, err, sizeof err),
	                 CRYPTO_ERR_TRUST_STORE);
	assert_null(t);
	const char *empty = fx_path(f->good_doc, "");
	assert_int_equal(pp_trust_load(empty, &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "no CSCA"));
	/* A PKI directory holds one CSCA; the DS and signer certificates are skipped. */
	assert_int_equal(pa_trust_count(f->trust), 1);
	assert_int_equal(pp_trust_add(f->trust, empty, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_int_equal(pa_trust_count(f->trust), 1);
	pa_trust_free(NULL);
}

/* A FIFO given as the trust store, a CRL or a master list is refused at
 * once, naming it (reading one waited for ever); in a trust directory it is
 * skipped. alarm() fails the test rather than hang it. */
static void test_trust_store_fifo(void **state)
{
	fx *f = *state;
	char fifo[1024], dir[1024], err[512] = "";
	snprintf(fifo, sizeof fifo, "%s", fx_path(f->root, "trust.fifo"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	pa_trust *t = NULL;
	assert_int_equal(pp_trust_load(fifo, &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_null(t);
	assert_non_null(strstr(err, fifo));
	assert_non_null(strstr(err, "is a FIFO"));
	assert_int_equal(pp_trust_add_crl(f->trust, fifo, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, fifo));
	assert_non_null(strstr(err, "a FIFO, not a regular file"));
	/* A directory holding a CSCA and a FIFO: the CSCA is loaded. */
	snprintf(dir, sizeof dir, "%s", fx_path(f->root, "fifo-dir"));
	assert_int_equal(mkdir(dir, 0700), 0);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s/' && mkfifo '%s/zz.fifo'", fx_path(f->good, "csca.pem"), dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pp_trust_load(dir, &t, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 1);
	pa_trust_free(t);
	/* /dev/null is a character device: refused as well. */
	assert_int_equal(pp_trust_load("/dev/null", &t, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "a character device"));
	alarm(0);
}

/* ---- the store from bytes (crypto/pa-trust.c), no file read ------------- */

/* A DER CMS (a master list) as PEM. */
static uint8_t *cms_pem(const uint8_t *der, size_t len, size_t *ret_len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	assert_non_null(cms);
	BIO *out = BIO_new(BIO_s_mem());
	assert_non_null(out);
	assert_int_equal(PEM_write_bio_CMS(out, cms), 1);
	char *data = NULL;
	long n = BIO_get_mem_data(out, &data);
	assert_true(n > 0);
	uint8_t *copy = malloc((size_t)n);
	memcpy(copy, data, (size_t)n);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	*ret_len = (size_t)n;
	return copy;
}

/* The DER of a PEM certificate file. */
static uint8_t *cert_der(const char *pem_path, size_t *ret_len)
{
	size_t len;
	uint8_t *pem = fx_read(pem_path, &len);
	assert_non_null(pem);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(x);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	uint8_t *copy = malloc((size_t)n);
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	free(pem);
	*ret_len = (size_t)n;
	return copy;
}

static pa_trust *new_trust(void)
{
	pa_trust *t = NULL;
	assert_int_equal(pa_trust_new(&t), CRYPTO_OK);
	assert_non_null(t);
	assert_int_equal(pa_trust_count(t), 0);
	return t;
}

static void test_trust_bytes_certificate(void **state)
{
	fx *f = *state;
	char err[256] = "";
	size_t len;
	/* A CSCA as PEM: the good document verifies against it. */
	uint8_t *pem = fx_read(fx_path(f->good, "csca.pem"), &len);
	pa_trust *t = new_trust();
	assert_int_equal(pa_trust_add(t, pem, len, "csca.pem", time(NULL), err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 1);
	pa_report r = verify(t, f->good_doc);
	assert_true(r.passed);
	free(pem);
	/* The same CSCA as DER is not added twice; another CSCA is. */
	uint8_t *der = cert_der(fx_path(f->good, "csca.pem"), &len);
	assert_int_equal(pa_trust_add(t, der, len, "csca.der", time(NULL), err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 1);
	free(der);
	der = cert_der(fx_path(f->other, "csca.pem"), &len);
	assert_int_equal(pa_trust_add(t, der, len, "other.der", time(NULL), err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	free(der);
	/* A document signer's certificate is not a CSCA: refused, named. */
	pem = fx_read(fx_path(f->good, "ds.pem"), &len);
	assert_int_equal(pa_trust_add(t, pem, len, "ds.pem", time(NULL), err, sizeof err), CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "ds.pem holds no CA certificate");
	assert_int_equal(pa_trust_count(t), 2);
	free(pem);
	pa_trust_free(t);
}

static void test_trust_bytes_masterlist(void **state)
{
	fx *f = *state;
	const char *pkis[] = { f->good, f->other };
	size_t len, pem_len;
	uint8_t *der = fx_read(make_masterlist(f, "bytes.ml", pkis, 2), &len);
	uint8_t *pem = cms_pem(der, len, &pem_len);
	char err[256] = "";
	time_t now = time(NULL);
	/* DER and PEM: both CSCAs, the foreign document verifies. */
	pa_trust *t = new_trust();
	assert_int_equal(pa_trust_add(t, der, len, "bytes.ml", now, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	const char *foreign = fx_doc(f->root, "foreign-bytes", f->other, "lestari", (docgen_doc_opts){ 0 });
	assert_true(verify(t, foreign).passed);
	pa_trust_free(t);
	t = new_trust();
	assert_int_equal(pa_trust_add(t, pem, pem_len, "bytes.pem", now, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	pa_trust_free(t);
	/* Its signer's chain is checked at the time given: ten years on, the
	 * signer has expired; before it was made, it is not yet valid. */
	t = new_trust();
	time_t later = now + 10L * 365 * 24 * 3600;
	assert_int_equal(pa_trust_add(t, der, len, "bytes.ml", later, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_true(strncmp(err, "master list bytes.ml: its signer (", 34) == 0);
	assert_non_null(strstr(err, "does not chain to a CSCA in the list: certificate has expired"));
	assert_int_equal(pa_trust_add(t, der, len, "bytes.ml", 0, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_non_null(strstr(err, "not yet valid"));
	/* A broken signature is refused, and nothing is added. */
	der[len - 1] ^= 0x01;
	assert_int_equal(pa_trust_add(t, der, len, "broken.ml", now, err, sizeof err), CRYPTO_ERR_TRUST_STORE);
	assert_string_equal(err, "master list broken.ml: its signature does not verify");
	assert_int_equal(pa_trust_count(t), 0);
	pa_trust_free(t);
	free(pem);
	free(der);
}

static void test_trust_bytes_crl(void **state)
{
	fx *f = *state;
	const char *revoked = fx_keep_path(f->root, "bytes-revoked.crl");
	make_crl(f->good, revoked, true, false);
	size_t len;
	uint8_t *der = fx_read(revoked, &len);
	char err[256] = "";
	pa_trust *t = fx_trust(f->good);
	assert_int_equal(pa_trust_add_crl(t, der, len, "revoked.crl", err, sizeof err), CRYPTO_OK);
	pa_report r = verify(t, f->good_doc);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "revoked"));
	pa_trust_free(t);
	/* The same CRL as PEM. */
	X509_CRL *crl = d2i_X509_CRL(NULL, &(const unsigned char *){ der }, (long)len);
	assert_non_null(crl);
	BIO *b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_CRL(b, crl), 1);
	char *pem = NULL;
	long pem_len = BIO_get_mem_data(b, &pem);
	t = fx_trust(f->good);
	assert_int_equal(pa_trust_add_crl(t, (const uint8_t *)pem, (size_t)pem_len, "revoked.pem", err, sizeof err),
	                 CRYPTO_OK);
	assert_int_equal(verify(t, f->good_doc).crl.status, PA_FAIL);
	/* A certificate is not a CRL. */
	size_t cert_len;
	uint8_t *cert = fx_read(fx_path(f->good, "csca.pem"), &cert_len);
	assert_int_equal(pa_trust_add_crl(t, cert, cert_len, "csca.pem", err, sizeof err), CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "csca.pem is not a CRL (DER or PEM)");
	free(cert);
	pa_trust_free(t);
	BIO_free(b);
	X509_CRL_free(crl);
	free(der);
}

/* Bytes that are none of these are refused with a sentence naming them,
 * and leave the store as it was. */
static void test_trust_bytes_garbage(void **state)
{
	fx *f = *state;
	static const uint8_t garbage[] = "not a certificate\n";
	char err[256] = "";
	pa_trust *t = new_trust();
	assert_int_equal(pa_trust_add(t, garbage, sizeof garbage, "notes.txt", time(NULL), err, sizeof err),
	                 CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "notes.txt is neither a certificate nor an ICAO master list");
	assert_int_equal(pa_trust_add(t, garbage, 0, "empty.pem", time(NULL), err, sizeof err), CRYPTO_ERR_FORMAT);
	assert_non_null(strstr(err, "empty.pem is empty"));
	/* A PEM header with nothing valid after it, and a DER SEQUENCE cut short. */
	static const uint8_t cut_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	assert_int_equal(pa_trust_add(t, cut_pem, sizeof cut_pem - 1, "cut.pem", time(NULL), err, sizeof err),
	                 CRYPTO_ERR_FORMAT);
	static const uint8_t cut_der[] = { 0x30, 0x82, 0x01, 0x00, 0x30, 0x03 };
	assert_int_equal(pa_trust_add(t, cut_der, sizeof cut_der, "cut.der", time(NULL), err, sizeof err),
	                 CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "cut.der is neither a certificate nor an ICAO master list");
	assert_int_equal(pa_trust_add_crl(t, garbage, sizeof garbage, "notes.crl", err, sizeof err),
	                 CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "notes.crl is not a CRL (DER or PEM)");
	assert_int_equal(pa_trust_count(t), 0);
	assert_int_equal(verify(t, f->good_doc).chain.status, PA_FAIL);
	pa_trust_free(t);
	assert_int_equal(pa_trust_add(NULL, garbage, sizeof garbage, "x", 0, err, sizeof err), CRYPTO_ERR_ARG);
	assert_int_equal(pa_trust_new(NULL), CRYPTO_ERR_ARG);
}

static void test_hash_variants(void **state)
{
	fx *f = *state;
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
		pa_report r = verify(f->trust, doc);
		assert_true(r.passed);
		assert_string_equal(r.hash_algorithm, hashes[i].name);
		assert_all_dgs(&r, PA_PASS);
	}
}

static void test_rsa_signatures(void **state)
{
	fx *f = *state;
	const char *rsa = fx_pki(f->root, "rsa", &(docgen_pki_opts){ .key = DOCGEN_KEY_RSA });
	pa_trust *t = NULL;
	char err[256];
	assert_int_equal(pp_trust_load(rsa, &t, err, sizeof err), CRYPTO_OK);
	const char *doc = fx_doc(f->root, "rsa-doc", rsa, "hartono",
	                         (docgen_doc_opts){ .face = DOCGEN_FACE_JP2, .dg15 = true });
	pa_report r = verify(t, doc);
	assert_true(r.passed);
	assert_string_equal(r.signature_algorithm, "RSA PKCS#1 v1.5");
	assert_int_equal(r.n_dgs, 5);
	doc = fx_doc(f->root, "pss-doc", rsa, "hartono",
	             (docgen_doc_opts){ .sig = DOCGEN_SIG_RSA_PSS, .hash = "sha384" });
	r = verify(t, doc);
	assert_true(r.passed);
	assert_string_equal(r.signature_algorithm, "RSA-PSS");
	assert_string_equal(r.hash_algorithm, "SHA-384");
	pa_trust_free(t);
}

static void test_uncovered_dg_and_lds_version(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "unsigned12", f->good, "wulandari",
	                         (docgen_doc_opts){ .unsigned_dgs = 1u << 12, .lds_1_8 = true });
	pa_report r = verify(f->trust, doc);
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
	fx *f = *state;
	chip c;
	chip_read(f->good_doc, &c);
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
	chip_free(&c);
}

static void test_malformed_sod(void **state)
{
	fx *f = *state;
	chip c;
	chip_read(f->good_doc, &c);
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
	uint8_t *ml = fx_read(make_masterlist(f, "wrap.ml", pkis, 1), &ml_len);
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
	chip_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_document_passes),
		cmocka_unit_test(test_tampered_dg_fails_only_its_hash),
		cmocka_unit_test(test_unknown_csca_fails_chain),
		cmocka_unit_test(test_expired_ds_fails_validity),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_masterlist),
		cmocka_unit_test(test_trust_store_errors),
		cmocka_unit_test(test_trust_store_fifo),
		cmocka_unit_test(test_trust_bytes_certificate),
		cmocka_unit_test(test_trust_bytes_masterlist),
		cmocka_unit_test(test_trust_bytes_crl),
		cmocka_unit_test(test_trust_bytes_garbage),
		cmocka_unit_test(test_hash_variants),
		cmocka_unit_test(test_rsa_signatures),
		cmocka_unit_test(test_uncovered_dg_and_lds_version),
		cmocka_unit_test(test_altered_sod_content),
		cmocka_unit_test(test_malformed_sod),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
