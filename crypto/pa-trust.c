/*
 * pa-trust — the CSCA trust store in memory (ICAO 9303 part 12): CSCA
 * certificates and CRLs added from bytes, and CSCAs taken from ICAO CSCA
 * master lists once the list's signature and signer chain are checked. See
 * pa-trust.h. pa.c reads the store through pa-internal.h.
 *
 * The CscaMasterList is parsed with crypto/tlv (DER is a subset of BER-TLV);
 * CMS and X.509 are left to OpenSSL. No file is read here.
 */
#include "crypto/pa-trust.h"

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/pem.h> /* before cms.h, which then declares PEM_read_bio_CMS */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/pa-internal.h"
#include "crypto/pa.h"
#include "crypto/tlv.h"

struct pa_trust {
	STACK_OF(X509) *cscas;
	STACK_OF(X509_CRL) *crls;
};

crypto_err pa_trust_new(pa_trust **ret)
{
	if (!ret)
		return CRYPTO_ERR_ARG;
	pa_trust *t = calloc(1, sizeof *t);
	if (!t)
		return CRYPTO_ERR_NOMEM;
	t->cscas = sk_X509_new_null();
	t->crls = sk_X509_CRL_new_null();
	if (!t->cscas || !t->crls) {
		pa_trust_free(t);
		return CRYPTO_ERR_NOMEM;
	}
	*ret = t;
	return CRYPTO_OK;
}

void pa_trust_free(pa_trust *t)
{
	if (!t)
		return;
	sk_X509_pop_free(t->cscas, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t);
}

size_t pa_trust_count(const pa_trust *t)
{
	return t && t->cscas ? (size_t)sk_X509_num(t->cscas) : 0;
}

const STACK_OF(X509) *pa_trust_cscas(const pa_trust *t)
{
	return t ? t->cscas : NULL;
}

const STACK_OF(X509_CRL) *pa_trust_crls(const pa_trust *t)
{
	return t ? t->crls : NULL;
}

/* ---- CSCA certificates --------------------------------------------------- */

/* Add a certificate unless the store has it already; takes a reference. */
static crypto_err add_cert(pa_trust *t, X509 *x)
{
	for (int i = 0; i < sk_X509_num(t->cscas); i++)
		if (X509_cmp(sk_X509_value(t->cscas, i), x) == 0)
			return CRYPTO_OK;
	if (!X509_up_ref(x))
		return CRYPTO_ERR_LIBCRYPTO;
	if (!sk_X509_push(t->cscas, x)) {
		X509_free(x);
		return CRYPTO_ERR_NOMEM;
	}
	return CRYPTO_OK;
}

/* The certificates of data: PEM, possibly several, or one DER certificate
 * that fills data exactly. An empty stack when there are none. */
static STACK_OF(X509) *parse_certs(const uint8_t *data, size_t len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	if (!certs)
		return NULL;
	BIO *b = BIO_new_mem_buf(data, (int)len);
	X509 *x;
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(certs, x))
			X509_free(x);
	BIO_free(b);
	if (sk_X509_num(certs) == 0) {
		const unsigned char *p = data;
		x = d2i_X509(NULL, &p, (long)len);
		if (x && p == data + len && sk_X509_push(certs, x))
			x = NULL;
		X509_free(x);
	}
	ERR_clear_error();
	return certs;
}

/* Add the CA certificates of certs: CRYPTO_ERR_FORMAT when there is none. */
static crypto_err add_cas(pa_trust *t, STACK_OF(X509) *certs, const char *name, char *err, size_t errlen)
{
	size_t found = 0;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		if (X509_check_ca(c) == 0)
			continue;
		crypto_err e = add_cert(t, c);
		if (e)
			return pa_fail(err, errlen, e, "out of memory adding %s", name);
		found++;
	}
	if (found == 0)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "%s holds no CA certificate", name);
	return CRYPTO_OK;
}

/* ---- master lists -------------------------------------------------------- */

static CMS_ContentInfo *parse_cms(const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms)
		return cms;
	BIO *b = BIO_new_mem_buf(data, (int)len);
	if (b) {
		cms = PEM_read_bio_CMS(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	return cms;
}

/* Certificates of a CscaMasterList { version, certList SET OF Certificate }. */
static crypto_err parse_master_list(const uint8_t *d, size_t len, STACK_OF(X509) *out)
{
	crypto_tlv seq, ver, set;
	if (tlv_parse_one(d, len, &seq) != TLV_OK || seq.tag != 0x30)
		return CRYPTO_ERR_FORMAT;
	const uint8_t *p = seq.value, *end = seq.value + seq.len;
	if (tlv_next(&p, end, &ver) != TLV_OK || ver.tag != 0x02 ||
	    tlv_next(&p, end, &set) != TLV_OK || set.tag != 0x31)
		return CRYPTO_ERR_FORMAT;
	const uint8_t *q = set.value, *qend = set.value + set.len;
	crypto_tlv cert;
	tlv_status s;
	while ((s = tlv_next(&q, qend, &cert)) == TLV_OK) {
		const unsigned char *c = cert.raw;
		X509 *x = d2i_X509(NULL, &c, (long)cert.raw_len);
		if (!x)
			return CRYPTO_ERR_FORMAT;
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			return CRYPTO_ERR_NOMEM;
		}
	}
	return s == TLV_END ? CRYPTO_OK : CRYPTO_ERR_FORMAT;
}

/* A master list whose signature verifies and whose signer chains to one of
 * the CSCAs it lists at `now`: add those CSCAs. */
static crypto_err add_master_list(pa_trust *t, CMS_ContentInfo *cms, const char *name, time_t now, char *err,
                                  size_t errlen)
{
	crypto_err e = CRYPTO_ERR_TRUST_STORE;
	STACK_OF(X509) *list = sk_X509_new_null();
	STACK_OF(X509) *signers = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	if (!list) {
		e = pa_fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory adding %s", name);
		goto out;
	}
	if (CMS_verify(cms, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		pa_fail(err, errlen, e, "master list %s: its signature does not verify", name);
		goto out;
	}
	ASN1_OCTET_STRING **content = CMS_get0_content(cms);
	if (!content || !*content ||
	    parse_master_list(ASN1_STRING_get0_data(*content), (size_t)ASN1_STRING_length(*content),
	                      list) != CRYPTO_OK || sk_X509_num(list) == 0) {
		pa_fail(err, errlen, e, "master list %s: the CSCA list is malformed or empty", name);
		goto out;
	}
	signers = CMS_get0_signers(cms);
	X509 *signer = signers && sk_X509_num(signers) > 0 ? sk_X509_value(signers, 0) : NULL;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!signer || !store || !ctx) {
		pa_fail(err, errlen, e, "master list %s: no signer certificate", name);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(list); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(list, i))) {
			pa_fail(err, errlen, e, "master list %s: cannot use its CSCAs", name);
			goto out;
		}
	if (!X509_STORE_CTX_init(ctx, store, signer, NULL)) {
		pa_fail(err, errlen, e, "master list %s: cannot verify its signer", name);
		goto out;
	}
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(param, now);
	if (X509_verify_cert(ctx) != 1) {
		char dn[PA_NAME_LEN];
		pa_name_line(X509_get_subject_name(signer), dn, sizeof dn);
		pa_fail(err, errlen, e, "master list %s: its signer (%s) does not chain to a CSCA in the list: %s",
		        name, dn, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	for (int i = 0; i < sk_X509_num(list); i++) {
		crypto_err ae = add_cert(t, sk_X509_value(list, i));
		if (ae) {
			e = pa_fail(err, errlen, ae, "out of memory adding %s", name);
			goto out;
		}
	}
	e = CRYPTO_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(signers);
	sk_X509_pop_free(list, X509_free);
	ERR_clear_error();
	return e;
}

/* ---- adding bytes -------------------------------------------------------- */

crypto_err pa_trust_add(pa_trust *t, const uint8_t *data, size_t len, const char *name, time_t now,
                        char *err, size_t errlen)
{
	if (!name)
		name = "the data given";
	if (!t || (!data && len > 0) || len > INT32_MAX)
		return pa_fail(err, errlen, CRYPTO_ERR_ARG, "%s: no trust store, or no data", name);
	if (len == 0)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
		               "%s is empty: neither a certificate nor an ICAO master list", name);
	CMS_ContentInfo *cms = parse_cms(data, len);
	if (cms && OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed &&
	    pa_oid_is(CMS_get0_eContentType(cms), PA_OID_CSCA_MASTER_LIST)) {
		crypto_err e = add_master_list(t, cms, name, now, err, errlen);
		CMS_ContentInfo_free(cms);
		return e;
	}
	CMS_ContentInfo_free(cms);
	STACK_OF(X509) *certs = parse_certs(data, len);
	if (!certs)
		return pa_fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory adding %s", name);
	crypto_err e = sk_X509_num(certs) > 0
	                       ? add_cas(t, certs, name, err, errlen)
	                       : pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
	                                 "%s is neither a certificate nor an ICAO master list", name);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return e;
}

crypto_err pa_trust_add_crl(pa_trust *t, const uint8_t *data, size_t len, const char *name, char *err,
                            size_t errlen)
{
	if (!name)
		name = "the data given";
	if (!t || (!data && len > 0) || len > INT32_MAX)
		return pa_fail(err, errlen, CRYPTO_ERR_ARG, "%s: no trust store, or no data", name);
	const unsigned char *p = data;
	X509_CRL *crl = len > 0 ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
	if (!crl && len > 0) {
		BIO *b = BIO_new_mem_buf(data, (int)len);
		crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	if (!crl)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "%s is not a CRL (DER or PEM)", name);
	if (!sk_X509_CRL_push(t->crls, crl)) {
		X509_CRL_free(crl);
		return pa_fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory adding %s", name);
	}
	ERR_clear_error();
	return CRYPTO_OK;
}
