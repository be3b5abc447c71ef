/*
 * pa — passive authentication (ICAO 9303 part 11, 5.1; part 12) with
 * OpenSSL 3: the checks on an EF.SOD and the data groups read, against a
 * trust store (pa-trust.c, read through pa-internal.h). See pa.h.
 *
 * The LDSSecurityObject is parsed with crypto/tlv (DER is a subset of
 * BER-TLV); CMS and X.509 are left to OpenSSL. Chain building uses a store
 * made of our CSCAs only, with time checks turned off so that "validity" is
 * reported apart from "chain".
 */
#include "crypto/pa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/pa-internal.h"
#include "crypto/tlv.h"

const char *pa_status_name(pa_status s)
{
	switch (s) {
	case PA_NOT_CHECKED: return "not checked";
	case PA_PASS: return "pass";
	case PA_FAIL: return "fail";
	}
	return "unknown";
}

/* ---- sentences and names, shared with pa-trust.c (pa-internal.h) -------- */

crypto_err pa_fail(char *err, size_t errlen, crypto_err code, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return code;
}

bool pa_oid_is(const ASN1_OBJECT *obj, const char *dotted)
{
	char buf[64];
	return obj && OBJ_obj2txt(buf, sizeof buf, obj, 1) > 0 && strcmp(buf, dotted) == 0;
}

void pa_name_line(const X509_NAME *name, char *out, size_t outlen)
{
	out[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	unsigned long flags = (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) |
	                      ASN1_STRFLGS_UTF8_CONVERT;
	if (X509_NAME_print_ex(b, name, 0, flags) >= 0) {
		char *data = NULL;
		long len = BIO_get_mem_data(b, &data);
		if (len > 0) {
			size_t n = (size_t)len < outlen - 1 ? (size_t)len : outlen - 1;
			memcpy(out, data, n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
}

/* ---- this file's own sentences ------------------------------------------ */

static void set_check(pa_check *c, pa_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_check(pa_check *c, pa_status s, const char *fmt, ...)
{
	va_list ap;
	c->status = s;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
}

/* "YYYY-MM-DD" of an ASN1_TIME. */
static void date_line(const ASN1_TIME *t, char out[16])
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm) || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(out, "an unknown date");
}

/* ---- the LDS security object ------------------------------------------- */

typedef struct lso {
	const EVP_MD *md;
	size_t n;
	struct {
		int number;
		const uint8_t *hash;
		size_t len;
	} dg[PA_MAX_DGS];
	char hash_name[16];
	char lds_version[8];
} lso;

static bool small_uint(const crypto_tlv *t, int max, int *ret)
{
	if (t->tag != 0x02 || t->len < 1 || t->len > 2 || (t->value[0] & 0x80))
		return false;
	int v = 0;
	for (size_t i = 0; i < t->len; i++)
		v = (v << 8) | t->value[i];
	if (v > max)
		return false;
	*ret = v;
	return true;
}

static crypto_err parse_lso(const uint8_t *d, size_t len, lso *ret, char *err, size_t errlen)
{
	static const struct {
		int nid;
		const char *name;
	} hashes[] = {
		{ NID_sha1, "SHA-1" }, { NID_sha224, "SHA-224" }, { NID_sha256, "SHA-256" },
		{ NID_sha384, "SHA-384" }, { NID_sha512, "SHA-512" },
	};
	lso l = { 0 };
	crypto_tlv seq, ver, alg, list, oid;
	int version;
	if (tlv_parse_one(d, len, &seq) != TLV_OK || seq.tag != 0x30)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
		            "EF.SOD: the LDS security object is not a DER SEQUENCE");
	const uint8_t *p = seq.value, *end = seq.value + seq.len;
	if (tlv_next(&p, end, &ver) != TLV_OK || !small_uint(&ver, 1, &version) ||
	    tlv_next(&p, end, &alg) != TLV_OK || alg.tag != 0x30 ||
	    tlv_next(&p, end, &list) != TLV_OK || list.tag != 0x30)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
		            "EF.SOD: the LDS security object's version, hash algorithm or hash list is malformed");
	const uint8_t *a = alg.value;
	if (tlv_next(&a, alg.value + alg.len, &oid) != TLV_OK || oid.tag != 0x06)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: the hash algorithm is malformed");
	const unsigned char *op = oid.raw;
	ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &op, (long)oid.raw_len);
	int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
	ASN1_OBJECT_free(obj);
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		if (hashes[i].nid == nid) {
			l.md = EVP_get_digestbynid(nid);
			snprintf(l.hash_name, sizeof l.hash_name, "%s", hashes[i].name);
		}
	}
	if (!l.md)
		return pa_fail(err, errlen, CRYPTO_ERR_UNSUPPORTED,
		            "EF.SOD: the data group hash algorithm is not SHA-1/224/256/384/512");
	const size_t md_len = (size_t)EVP_MD_get_size(l.md);

	const uint8_t *q = list.value, *qend = list.value + list.len;
	crypto_tlv item;
	tlv_status s;
	while ((s = tlv_next(&q, qend, &item)) == TLV_OK) {
		crypto_tlv num, hash;
		const uint8_t *r = item.value, *rend = item.value + item.len;
		int n;
		if (item.tag != 0x30 || tlv_next(&r, rend, &num) != TLV_OK ||
		    !small_uint(&num, PA_MAX_DGS, &n) || n < 1 ||
		    tlv_next(&r, rend, &hash) != TLV_OK || hash.tag != 0x04 || r != rend)
			return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
			            "EF.SOD: a data group hash entry is malformed");
		if (hash.len != md_len)
			return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
			            "EF.SOD: the hash of DG%d has %zu bytes, not %zu as %s needs",
			            n, hash.len, md_len, l.hash_name);
		for (size_t i = 0; i < l.n; i++)
			if (l.dg[i].number == n)
				return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
				            "EF.SOD: DG%d is listed twice", n);
		if (l.n == PA_MAX_DGS)
			return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: too many data groups");
		l.dg[l.n].number = n;
		l.dg[l.n].hash = hash.value;
		l.dg[l.n].len = hash.len;
		l.n++;
	}
	if (s != TLV_END || l.n == 0)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: the data group hash list is malformed");

	if (version == 1 && p < end) {
		crypto_tlv info, ldsv;
		const uint8_t *v;
		if (tlv_next(&p, end, &info) != TLV_OK || info.tag != 0x30 ||
		    (v = info.value, tlv_next(&v, info.value + info.len, &ldsv)) != TLV_OK ||
		    ldsv.tag != 0x13 || ldsv.len != 4)
			return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: ldsVersionInfo is malformed");
		const uint8_t *x = ldsv.value; /* "aabb" -> "a.b" without leading zeros */
		int major = (x[0] - '0') * 10 + (x[1] - '0'), minor = (x[2] - '0') * 10 + (x[3] - '0');
		for (int i = 0; i < 4; i++)
			if (x[i] < '0' || x[i] > '9')
				return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: ldsVersion is not digits");
		snprintf(l.lds_version, sizeof l.lds_version, "%d.%d", major % 100, minor % 100);
	}
	if (p != end && version == 0)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
		            "EF.SOD: unexpected data after the hash list of a version 0 security object");
	*ret = l;
	return CRYPTO_OK;
}

/* ---- the checks -------------------------------------------------------- */

static const char *signature_name(const X509_ALGOR *sig)
{
	const ASN1_OBJECT *obj = NULL;
	X509_ALGOR_get0(&obj, NULL, NULL, sig);
	int nid = OBJ_obj2nid(obj);
	switch (nid) {
	case NID_rsaEncryption:
	case NID_sha1WithRSAEncryption:
	case NID_sha224WithRSAEncryption:
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		return "RSA PKCS#1 v1.5";
	case NID_rsassaPss:
		return "RSA-PSS";
	case NID_X9_62_id_ecPublicKey:
	case NID_ecdsa_with_SHA1:
	case NID_ecdsa_with_SHA224:
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		return "ECDSA";
	default:
		return nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
	}
}

/* The signature over the signed attributes, and their messageDigest against
 * the encapsulated content. */
static void check_signature(CMS_SignerInfo *si, X509 *ds, const ASN1_OCTET_STRING *content,
                            pa_check *out)
{
	if (!ds) {
		set_check(out, PA_FAIL, "The SOD carries no document signer certificate to verify it with.");
		return;
	}
	if (CMS_signed_get_attr_count(si) <= 0) {
		set_check(out, PA_FAIL, "The SOD has no signed attributes, as ICAO 9303 requires.");
		return;
	}
	CMS_SignerInfo_set1_signer_cert(si, ds);
	if (CMS_SignerInfo_verify(si) != 1) {
		set_check(out, PA_FAIL,
		          "The SOD's signature does not verify with its document signer certificate.");
		return;
	}
	X509_ALGOR *dig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	const ASN1_OBJECT *dobj = NULL;
	if (dig)
		X509_ALGOR_get0(&dobj, NULL, NULL, dig);
	const EVP_MD *md = dobj ? EVP_get_digestbyobj(dobj) : NULL;
	ASN1_OCTET_STRING *md_attr = CMS_signed_get0_data_by_OBJ(
		si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (!md || !md_attr ||
	    !EVP_Digest(ASN1_STRING_get0_data(content), (size_t)ASN1_STRING_length(content),
	                digest, &dlen, md, NULL)) {
		set_check(out, PA_FAIL, "The SOD's signed attributes lack a usable messageDigest.");
		return;
	}
	if ((int)dlen != ASN1_STRING_length(md_attr) ||
	    memcmp(digest, ASN1_STRING_get0_data(md_attr), dlen) != 0) {
		set_check(out, PA_FAIL,
		          "The SOD's messageDigest does not match its content: the security object was altered.");
		return;
	}
	set_check(out, PA_PASS, "The SOD's signature verifies with its document signer certificate.");
}

/* DS -> CSCA with our store only, time not checked here. Returns the CSCA
 * (a new reference) or NULL. */
static X509 *check_chain(const pa_trust *trust, X509 *ds, STACK_OF(X509) *untrusted,
                         pa_check *out)
{
	char issuer[PA_NAME_LEN];
	if (!ds) {
		set_check(out, PA_FAIL, "No document signer certificate to check.");
		return NULL;
	}
	pa_name_line(X509_get_issuer_name(ds), issuer, sizeof issuer);
	if (pa_trust_count(trust) == 0) {
		set_check(out, PA_FAIL, "No trust store is configured: signed by the CSCA %s.", issuer);
		return NULL;
	}
	X509 *csca = NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!store || !ctx) {
		set_check(out, PA_FAIL, "Out of memory while checking the chain.");
		goto out;
	}
	const STACK_OF(X509) *cscas = pa_trust_cscas(trust);
	for (int i = 0; i < sk_X509_num(cscas); i++)
		X509_STORE_add_cert(store, sk_X509_value(cscas, i));
	if (!X509_STORE_CTX_init(ctx, store, ds, untrusted)) {
		set_check(out, PA_FAIL, "The chain could not be checked (OpenSSL failure).");
		goto out;
	}
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
	                            X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) == 1) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
		X509 *top = chain && sk_X509_num(chain) > 1 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : NULL;
		if (top && X509_up_ref(top)) {
			char dn[PA_NAME_LEN];
			csca = top;
			pa_name_line(X509_get_subject_name(csca), dn, sizeof dn);
			set_check(out, PA_PASS, "The document signer certificate chains to the CSCA %s.", dn);
		} else {
			set_check(out, PA_FAIL, "The document signer certificate is itself in the trust store, not a CSCA.");
		}
		goto out;
	}
	int verr = X509_STORE_CTX_get_error(ctx);
	switch (verr) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		set_check(out, PA_FAIL, "The document signer certificate is signed by an unknown CSCA: %s.",
		          issuer);
		break;
	default:
		set_check(out, PA_FAIL,
		          "The document signer certificate does not chain to the CSCA %s: %s.", issuer,
		          X509_verify_cert_error_string(verr));
		break;
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return csca;
}

/* -1 not yet valid, 1 expired, 0 valid at now. */
static int cert_time(X509 *x, time_t now)
{
	time_t t = now;
	if (X509_cmp_time(X509_get0_notBefore(x), &t) > 0)
		return -1;
	if (X509_cmp_time(X509_get0_notAfter(x), &t) < 0)
		return 1;
	return 0;
}

static void check_validity(X509 *ds, X509 *csca, time_t now, pa_check *out)
{
	char when[16], date[16];
	struct tm tm;
	if (!gmtime_r(&now, &tm) || strftime(when, sizeof when, "%Y-%m-%d", &tm) == 0)
		strcpy(when, "that date");
	if (!ds) {
		set_check(out, PA_FAIL, "No document signer certificate to check.");
		return;
	}
	struct {
		X509 *cert;
		const char *what;
	} certs[] = { { ds, "document signer" }, { csca, "CSCA" } };
	for (size_t i = 0; i < 2; i++) {
		if (!certs[i].cert)
			continue;
		switch (cert_time(certs[i].cert, now)) {
		case 1:
			date_line(X509_get0_notAfter(certs[i].cert), date);
			set_check(out, PA_FAIL, "The %s certificate expired on %s.", certs[i].what, date);
			return;
		case -1:
			date_line(X509_get0_notBefore(certs[i].cert), date);
			set_check(out, PA_FAIL, "The %s certificate is not valid before %s.",
			          certs[i].what, date);
			return;
		default:
			break;
		}
	}
	date_line(X509_get0_notAfter(ds), date);
	if (csca)
		set_check(out, PA_PASS,
		          "The document signer (valid until %s) and CSCA certificates are valid on %s.",
		          date, when);
	else
		set_check(out, PA_PASS,
		          "The document signer certificate is valid on %s (until %s); the CSCA is unknown.",
		          when, date);
}

static void check_crl(const pa_trust *trust, X509 *ds, X509 *csca, time_t now, pa_check *out)
{
	const STACK_OF(X509_CRL) *crls = pa_trust_crls(trust);
	if (sk_X509_CRL_num(crls) <= 0) {
		set_check(out, PA_NOT_CHECKED, "No CRL is configured.");
		return;
	}
	if (!ds || !csca) {
		set_check(out, PA_NOT_CHECKED, "The CSCA is unknown, so no CRL applies.");
		return;
	}
	char dn[PA_NAME_LEN], date[16];
	pa_name_line(X509_get_subject_name(csca), dn, sizeof dn);
	EVP_PKEY *key = X509_get0_pubkey(csca);
	bool found = false;
	for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(csca)) != 0)
			continue;
		found = true;
		if (!key || X509_CRL_verify(crl, key) != 1) {
			set_check(out, PA_FAIL, "The CRL naming %s as issuer does not verify against that CSCA.",
			          dn);
			return;
		}
		time_t t = now;
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
		if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &t) > 0) {
			date_line(X509_CRL_get0_lastUpdate(crl), date);
			set_check(out, PA_FAIL, "The CRL of %s is not valid before %s.", dn, date);
			return;
		}
		if (next && X509_cmp_time(next, &t) < 0) {
			date_line(next, date);
			set_check(out, PA_FAIL, "The CRL of %s is out of date: its next update was due on %s.",
			          dn, date);
			return;
		}
		X509_REVOKED *rev = NULL;
		if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(ds)) == 1) {
			date_line(rev ? X509_REVOKED_get0_revocationDate(rev) : NULL, date);
			set_check(out, PA_FAIL, "The document signer certificate was revoked on %s.", date);
			return;
		}
	}
	if (!found) {
		set_check(out, PA_NOT_CHECKED, "No CRL of the CSCA %s is configured.", dn);
		return;
	}
	set_check(out, PA_PASS, "The document signer certificate is not on the CRL of %s.", dn);
}

static void check_dgs(const lso *l, const pa_dg *dgs, size_t n_dgs, pa_report *r)
{
	for (size_t i = 0; i < n_dgs; i++) {
		pa_dg_result *res = &r->dgs[i];
		int n = dgs[i].number;
		res->number = n;
		const uint8_t *want = NULL;
		for (size_t j = 0; j < l->n; j++)
			if (l->dg[j].number == n)
				want = l->dg[j].hash;
		if (!want) {
			set_check(&res->hash, PA_FAIL, "DG%d is not covered by the SOD.", n);
			continue;
		}
		unsigned char digest[EVP_MAX_MD_SIZE];
		unsigned dlen = 0;
		if (!EVP_Digest(dgs[i].data, dgs[i].len, digest, &dlen, l->md, NULL)) {
			set_check(&res->hash, PA_FAIL, "DG%d could not be hashed (OpenSSL failure).", n);
			continue;
		}
		if (memcmp(digest, want, dlen) != 0)
			set_check(&res->hash, PA_FAIL,
			          "DG%d hash does not match the SOD: the data group was altered.", n);
		else
			set_check(&res->hash, PA_PASS, "DG%d hash matches the SOD.", n);
	}
	r->n_dgs = n_dgs;
}

static X509 *find_signer_cert(CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

crypto_err pa_verify(const pa_trust *trust, const uint8_t *sod, size_t sod_len,
                     const pa_dg *dgs, size_t n_dgs, time_t now, pa_report *ret,
                     char *err, size_t errlen)
{
	if (!sod || !ret || (n_dgs > 0 && !dgs))
		return pa_fail(err, errlen, CRYPTO_ERR_ARG, "pa_verify: missing argument");
	if (n_dgs > PA_MAX_DGS)
		return pa_fail(err, errlen, CRYPTO_ERR_ARG, "at most %d data groups can be checked",
		            PA_MAX_DGS);
	for (size_t i = 0; i < n_dgs; i++)
		if (dgs[i].number < 1 || dgs[i].number > PA_MAX_DGS || (!dgs[i].data && dgs[i].len))
			return pa_fail(err, errlen, CRYPTO_ERR_ARG, "data group number %d is not 1..16",
			            dgs[i].number);

	crypto_tlv outer;
	if (tlv_parse_one(sod, sod_len, &outer) != TLV_OK || outer.tag != 0x77)
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT,
		            "EF.SOD: not a complete tag 77 object (truncated or not an SOD)");
	const unsigned char *p = outer.value;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)outer.len);
	if (!cms || p != outer.value + outer.len) {
		CMS_ContentInfo_free(cms);
		return pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: the CMS SignedData cannot be parsed");
	}
	crypto_err e = CRYPTO_ERR_FORMAT;
	STACK_OF(X509) *certs = NULL;
	X509 *csca = NULL;
	pa_report *r = calloc(1, sizeof *r);
	if (!r) {
		e = pa_fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    !pa_oid_is(CMS_get0_eContentType(cms), PA_OID_LDS_SECURITY_OBJECT)) {
		pa_fail(err, errlen, e, "EF.SOD: not a SignedData over an LDS security object");
		goto out;
	}
	ASN1_OCTET_STRING **content = CMS_get0_content(cms);
	if (!content || !*content) {
		pa_fail(err, errlen, e, "EF.SOD: the LDS security object is missing");
		goto out;
	}
	lso l;
	e = parse_lso(ASN1_STRING_get0_data(*content), (size_t)ASN1_STRING_length(*content), &l,
	              err, errlen);
	if (e)
		goto out;
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		e = pa_fail(err, errlen, CRYPTO_ERR_FORMAT, "EF.SOD: expected one signer, found %d",
		         sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);

	snprintf(r->hash_algorithm, sizeof r->hash_algorithm, "%s", l.hash_name);
	snprintf(r->lds_version, sizeof r->lds_version, "%s", l.lds_version);
	for (size_t i = 0; i < l.n; i++)
		r->covered[i] = l.dg[i].number;
	r->n_covered = l.n;
	qsort(r->covered, r->n_covered, sizeof r->covered[0], cmp_int);
	X509_ALGOR *sig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sig);
	snprintf(r->signature_algorithm, sizeof r->signature_algorithm, "%s",
	         sig ? signature_name(sig) : "unknown");

	certs = CMS_get1_certs(cms);
	X509 *ds = find_signer_cert(si, certs);
	if (ds)
		pa_name_line(X509_get_subject_name(ds), r->ds_subject, sizeof r->ds_subject);

	check_signature(si, ds, *content, &r->sod_signature);
	csca = check_chain(trust, ds, certs, &r->chain);
	if (csca)
		pa_name_line(X509_get_subject_name(csca), r->csca_subject, sizeof r->csca_subject);
	check_validity(ds, csca, now, &r->validity);
	check_crl(trust, ds, csca, now, &r->crl);
	check_dgs(&l, dgs, n_dgs, r);

	bool passed = r->sod_signature.status == PA_PASS && r->chain.status == PA_PASS &&
	              r->validity.status == PA_PASS && r->crl.status != PA_FAIL;
	for (size_t i = 0; i < r->n_dgs; i++)
		passed = passed && r->dgs[i].hash.status == PA_PASS;
	r->passed = passed;
	*ret = *r;
	e = CRYPTO_OK;
out:
	free(r);
	X509_free(csca);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return e;
}
