/*
 * test_trust — the CSCA trust store both ways. From paths, by
 * hal/passport/trust.c: directories (keys and non-CA certificates skipped,
 * master lists taken), single files, master lists whose signature or signer
 * chain fails, CRL files; FIFOs and devices refused at once or skipped,
 * long paths cut in messages. From bytes, by crypto/pa-trust.c: a
 * certificate (PEM, DER), a master list (DER, PEM) checked at the time
 * given, a CRL (DER, PEM), and garbage refused with a sentence naming it.
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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/pa.h"
#include "devices/docgen/docgen-internal.h"
#include "hal/passport/trust.h"
#include "tests/docgen/fixture.h"
#include "tests/pa/pa_fixture.h"

/* ---- from paths (hal/passport/trust.c) ----------------------------------- */

static void test_masterlist(void **state)
{
	pa_fx *f = *state;
	const char *pkis[] = { f->good, f->other };
	char ml[512];
	snprintf(ml, sizeof ml, "%s", pa_fx_masterlist(f, "both.ml", pkis, 2));
	pa_trust *t = fx_trust(ml);
	char err[256] = "";
	assert_int_equal(pa_trust_count(t), 2);
	pa_report r = pa_fx_verify(t, f->good_doc);
	assert_true(r.passed);
	const char *foreign = fx_doc(f->root, "foreign-ml", f->other, "lestari", (docgen_doc_opts){ 0 });
	r = pa_fx_verify(t, foreign);
	assert_true(r.passed);
	assert_non_null(strstr(r.csca_subject, "CN=CSCA UTO"));

	/* Adding the same CSCAs again from a directory does not duplicate them. */
	assert_int_equal(pp_trust_add(t, f->good, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	assert_int_equal(pp_trust_add(t, f->expired, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 3);
	pa_trust_free(t);

	/* A broken signature: the last byte of the signer's signature. */
	const char *broken = pa_fx_altered_copy(f, ml, "broken.ml");
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
	pa_fx *f = *state;
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
	pa_fx *f = *state;
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

/* ---- from bytes (crypto/pa-trust.c), no file read ---------------------- */

/* The bytes of a memory BIO, copied; the BIO is freed. */
static uint8_t *bio_take(BIO *b, size_t *ret_len)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	assert_true(n > 0);
	uint8_t *copy = malloc((size_t)n);
	assert_non_null(copy);
	memcpy(copy, data, (size_t)n);
	BIO_free(b);
	*ret_len = (size_t)n;
	return copy;
}

/* DER bytes as PEM under a label: "CMS" (a master list), "X509 CRL". */
static uint8_t *to_pem(const char *label, const uint8_t *der, size_t len, size_t *ret_len)
{
	BIO *out = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio(out, label, "", der, (long)len) > 0);
	return bio_take(out, ret_len);
}

/* The DER of a PEM certificate file. */
static uint8_t *cert_der(const char *pem_path, size_t *ret_len)
{
	size_t len;
	uint8_t *pem = fx_read(pem_path, &len);
	assert_non_null(pem);
	BIO *in = BIO_new_mem_buf(pem, (int)len);
	X509 *x = PEM_read_bio_X509(in, NULL, NULL, NULL);
	assert_non_null(x);
	BIO *out = BIO_new(BIO_s_mem());
	assert_int_equal(i2d_X509_bio(out, x), 1);
	X509_free(x);
	BIO_free(in);
	free(pem);
	return bio_take(out, ret_len);
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
	pa_fx *f = *state;
	char err[256] = "";
	size_t len;
	/* A CSCA as PEM: the good document verifies against it. */
	uint8_t *pem = fx_read(fx_path(f->good, "csca.pem"), &len);
	pa_trust *t = new_trust();
	assert_int_equal(pa_trust_add(t, pem, len, "csca.pem", time(NULL), err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 1);
	pa_report r = pa_fx_verify(t, f->good_doc);
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
	pa_fx *f = *state;
	const char *pkis[] = { f->good, f->other };
	size_t len, pem_len;
	uint8_t *der = fx_read(pa_fx_masterlist(f, "bytes.ml", pkis, 2), &len);
	uint8_t *pem = to_pem("CMS", der, len, &pem_len);
	char err[256] = "";
	time_t now = time(NULL);
	/* DER and PEM: both CSCAs, the foreign document verifies. */
	pa_trust *t = new_trust();
	assert_int_equal(pa_trust_add(t, der, len, "bytes.ml", now, err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_trust_count(t), 2);
	const char *foreign = fx_doc(f->root, "foreign-bytes", f->other, "lestari", (docgen_doc_opts){ 0 });
	assert_true(pa_fx_verify(t, foreign).passed);
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
	pa_fx *f = *state;
	const char *revoked = fx_keep_path(f->root, "bytes-revoked.crl");
	pa_fx_crl(f->good, revoked, true, false);
	size_t len;
	uint8_t *der = fx_read(revoked, &len);
	char err[256] = "";
	pa_trust *t = fx_trust(f->good);
	assert_int_equal(pa_trust_add_crl(t, der, len, "revoked.crl", err, sizeof err), CRYPTO_OK);
	pa_report r = pa_fx_verify(t, f->good_doc);
	assert_int_equal(r.crl.status, PA_FAIL);
	assert_non_null(strstr(r.crl.detail, "revoked"));
	pa_trust_free(t);
	/* The same CRL as PEM. */
	size_t pem_len;
	uint8_t *pem = to_pem("X509 CRL", der, len, &pem_len);
	t = fx_trust(f->good);
	assert_int_equal(pa_trust_add_crl(t, pem, pem_len, "revoked.pem", err, sizeof err), CRYPTO_OK);
	assert_int_equal(pa_fx_verify(t, f->good_doc).crl.status, PA_FAIL);
	/* A certificate is not a CRL. */
	size_t cert_len;
	uint8_t *cert = fx_read(fx_path(f->good, "csca.pem"), &cert_len);
	assert_int_equal(pa_trust_add_crl(t, cert, cert_len, "csca.pem", err, sizeof err), CRYPTO_ERR_FORMAT);
	assert_string_equal(err, "csca.pem is not a CRL (DER or PEM)");
	free(cert);
	pa_trust_free(t);
	free(pem);
	free(der);
}

/* Bytes that are none of these are refused with a sentence naming them,
 * and leave the store as it was. */
static void test_trust_bytes_garbage(void **state)
{
	pa_fx *f = *state;
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
	assert_int_equal(pa_fx_verify(t, f->good_doc).chain.status, PA_FAIL);
	pa_trust_free(t);
	assert_int_equal(pa_trust_add(NULL, garbage, sizeof garbage, "x", 0, err, sizeof err), CRYPTO_ERR_ARG);
	assert_int_equal(pa_trust_new(NULL), CRYPTO_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masterlist),
		cmocka_unit_test(test_trust_store_errors),
		cmocka_unit_test(test_trust_store_fifo),
		cmocka_unit_test(test_trust_bytes_certificate),
		cmocka_unit_test(test_trust_bytes_masterlist),
		cmocka_unit_test(test_trust_bytes_crl),
		cmocka_unit_test(test_trust_bytes_garbage),
	};
	return cmocka_run_group_tests(tests, pa_fx_setup, pa_fx_teardown);
}
