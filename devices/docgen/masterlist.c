/*
 * masterlist — ICAO CSCA master lists (part 12, 9) and CRLs for test PKIs.
 * A master list is CMS SignedData with eContentType id-icao-cscaMasterList
 * over CscaMasterList { version, certList SET OF Certificate }, signed by a
 * master list signer that the CSCA issued. A CRL is signed by the CSCA.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "crypto/buf.h"

#define OID_CSCA_MASTER_LIST "2.23.136.1.1.2"

typedef struct der_item {
	unsigned char *der;
	int len;
} der_item;

/* DER orders the members of a SET OF by their encodings. */
static int cmp_der(const void *a, const void *b)
{
	const der_item *x = a, *y = b;
	int n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->der, y->der, (size_t)n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

docgen_err docgen_masterlist_create(const char *const *pki_dirs, size_t n_pki,
                                    const char *out_path, char *err, size_t errlen)
{
	if (!pki_dirs || n_pki == 0 || !out_path)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "masterlist needs at least one --pki DIR and --out FILE");
	docgen_pki signer = { 0 };
	docgen_err e = docgen_pki_load(pki_dirs[0], &signer, err, errlen);
	if (e)
		return e;
	der_item *items = calloc(n_pki, sizeof *items);
	crypto_buf set = CRYPTO_BUF_INIT, list = CRYPTO_BUF_INIT;
	uint8_t *cms = NULL;
	size_t cms_len = 0, n_items = 0;
	if (!items) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_pki; i++) {
		X509 *csca = NULL;
		if ((e = docgen_load_cert(pki_dirs[i], "csca.pem", &csca, err, errlen)))
			goto out;
		items[i].der = NULL;
		items[i].len = i2d_X509(csca, &items[i].der);
		X509_free(csca);
		if (items[i].len <= 0) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode a CSCA");
			goto out;
		}
		n_items++;
	}
	qsort(items, n_items, sizeof *items, cmp_der);
	for (size_t i = 0; i < n_items; i++)
		if (i == 0 || cmp_der(&items[i], &items[i - 1]) != 0)
			buf_append(&set, items[i].der, (size_t)items[i].len);
	static const uint8_t version[] = { 0x02, 0x01, 0x00 };
	crypto_buf inner = CRYPTO_BUF_INIT;
	buf_append(&inner, version, sizeof version);
	buf_append_tlv(&inner, 0x31, set.data, set.len);
	buf_append_tlv(&list, 0x30, inner.data, inner.len);
	list.failed |= inner.failed | set.failed;
	buf_free(&inner);
	if (!buf_ok(&list)) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
		goto out;
	}
	if ((e = docgen_cms_sign(list.data, list.len, OID_CSCA_MASTER_LIST, signer.mls,
	                         signer.mls_key, EVP_sha256(), DOCGEN_SIG_DEFAULT, &cms, &cms_len,
	                         err, errlen)))
		goto out;
	e = docgen_write_file(NULL, out_path, cms, cms_len, false, err, errlen);
out:
	for (size_t i = 0; items && i < n_pki; i++)
		OPENSSL_free(items[i].der);
	free(items);
	buf_free(&set);
	buf_free(&list);
	OPENSSL_free(cms);
	docgen_pki_free(&signer);
	return e;
}

docgen_err docgen_crl_create(const docgen_crl_opts *o, char *err, size_t errlen)
{
	if (!o || !o->pki_dir || !o->out_path)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "crl needs --pki DIR and --out FILE");
	docgen_pki pki = { 0 };
	docgen_err e = docgen_pki_load(o->pki_dir, &pki, err, errlen);
	if (e)
		return e;
	e = DOCGEN_ERR_CRYPTO;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_new(), *next = ASN1_TIME_new(), *rev_time = ASN1_TIME_new();
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	time_t now = time(NULL);
	const long day = 24L * 3600L;
	time_t t_last = o->expired ? now - 60 * day : now - 3600;
	time_t t_next = o->expired ? now - 30 * day : now + 90 * day;
	if (!crl || !last || !next || !rev_time || !number ||
	    !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(pki.csca)) ||
	    !ASN1_TIME_set(last, t_last) || !ASN1_TIME_set(next, t_next) ||
	    !X509_CRL_set1_lastUpdate(crl, last) || !X509_CRL_set1_nextUpdate(crl, next) ||
	    !ASN1_INTEGER_set(number, 1) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1) {
		docgen_fail(err, errlen, e, true, "cannot build the CRL");
		goto out;
	}
	if (o->revoke_ds) {
		X509_REVOKED *r = X509_REVOKED_new();
		if (!r || !ASN1_TIME_set(rev_time, t_last - day) ||
		    !X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(pki.ds)) ||
		    !X509_REVOKED_set_revocationDate(r, rev_time) || !X509_CRL_add0_revoked(crl, r)) {
			X509_REVOKED_free(r);
			docgen_fail(err, errlen, e, true, "cannot list the DS as revoked");
			goto out;
		}
	}
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, pki.csca, NULL, NULL, crl, 0);
	X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	                                          "keyid:always");
	bool aki_ok = aki && X509_CRL_add_ext(crl, aki, -1) == 1;
	X509_EXTENSION_free(aki);
	if (!aki_ok || !X509_CRL_sort(crl) || X509_CRL_sign(crl, pki.csca_key, EVP_sha256()) <= 0) {
		docgen_fail(err, errlen, e, true, "cannot sign the CRL");
		goto out;
	}
	int len = i2d_X509_CRL(crl, &der);
	if (len <= 0) {
		docgen_fail(err, errlen, e, true, "cannot encode the CRL");
		goto out;
	}
	e = docgen_write_file(NULL, o->out_path, der, (size_t)len, false, err, errlen);
out:
	OPENSSL_free(der);
	ASN1_INTEGER_free(number);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	ASN1_TIME_free(rev_time);
	X509_CRL_free(crl);
	docgen_pki_free(&pki);
	return e;
}
