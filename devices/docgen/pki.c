/*
 * pki — a country's test PKI: a self-signed CSCA (CA, keyCertSign/cRLSign),
 * a document signer (digitalSignature) and a master list signer, both issued
 * by the CSCA, as ICAO 9303 part 12 describes them. Keys are generated here,
 * at run time, and written beside the certificates.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define DAY (24L * 3600L)
#define YEAR (365L * DAY)

/* X.509 countryName is alpha-2; the few the tests use, then a guess. */
static void country_alpha2(const char *alpha3, char out[3])
{
	static const char *const map[][2] = {
		{ "IDN", "ID" }, { "UTO", "UT" }, { "MYS", "MY" }, { "SGP", "SG" },
		{ "NLD", "NL" }, { "D", "DE" }, { "DEU", "DE" }, { "AUS", "AU" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(alpha3, map[i][0]) == 0) {
			memcpy(out, map[i][1], 3);
			return;
		}
	}
	out[0] = alpha3[0];
	out[1] = alpha3[1] ? alpha3[1] : 'X';
	out[2] = '\0';
}

static EVP_PKEY *generate_key(docgen_key_type type)
{
	switch (type) {
	case DOCGEN_KEY_EC: return EVP_EC_gen("P-256");
	case DOCGEN_KEY_RSA: return EVP_RSA_gen(2048);
	}
	return NULL;
}

static X509_NAME *make_name(const char *c2, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	if (!n ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)c2, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	                                (const unsigned char *)"APPM Test Document Authority", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	bool ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool random_serial(X509 *x)
{
	unsigned char raw[8];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return false;
	raw[0] = (unsigned char)((raw[0] & 0x7F) | 0x10); /* positive, 8 bytes */
	BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
	bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

typedef struct cert_spec {
	const X509_NAME *subject;
	EVP_PKEY *key;          /* subject's key */
	X509 *issuer;           /* NULL: self-signed */
	EVP_PKEY *issuer_key;
	time_t not_before, not_after;
	const char *const (*exts)[2]; /* { long name, value } pairs, NULL-terminated */
} cert_spec;

static X509 *make_cert(const cert_spec *s)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509 *issuer = s->issuer ? s->issuer : x;
	if (!X509_set_version(x, 2) || !random_serial(x) ||
	    !X509_set_subject_name(x, s->subject) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer)) ||
	    !X509_set_pubkey(x, s->key) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), s->not_after))
		goto fail;
	for (size_t i = 0; s->exts[i][0]; i++) {
		if (!add_ext(x, issuer, OBJ_txt2nid(s->exts[i][0]), s->exts[i][1]))
			goto fail;
	}
	if (X509_sign(x, s->issuer_key, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

docgen_err docgen_pki_create(const docgen_pki_opts *o, char *err, size_t errlen)
{
	if (!o || !o->out_dir)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "pki needs --out DIR");
	const char *country = o->country ? o->country : "IDN";
	size_t clen = strlen(country);
	for (size_t i = 0; i < clen; i++)
		if (country[i] < 'A' || country[i] > 'Z')
			clen = 0;
	if (clen < 1 || clen > 3)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "--country wants an ICAO code such as IDN, not '%s'", country);
	docgen_err e = docgen_mkdirs(o->out_dir, err, errlen);
	if (e)
		return e;

	char c2[3];
	country_alpha2(country, c2);
	unsigned char idraw[4];
	if (RAND_bytes(idraw, sizeof idraw) != 1)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "no randomness");
	char id[9];
	snprintf(id, sizeof id, "%02X%02X%02X%02X", idraw[0], idraw[1], idraw[2], idraw[3]);
	char cn_csca[64], cn_ds[64], cn_mls[64];
	snprintf(cn_csca, sizeof cn_csca, "CSCA %s %s", country, id);
	snprintf(cn_ds, sizeof cn_ds, "Document Signer %s %s", country, id);
	snprintf(cn_mls, sizeof cn_mls, "Master List Signer %s %s", country, id);

	docgen_pki p = { 0 };
	X509_NAME *n_csca = make_name(c2, cn_csca);
	X509_NAME *n_ds = make_name(c2, cn_ds);
	X509_NAME *n_mls = make_name(c2, cn_mls);
	p.csca_key = generate_key(o->key);
	p.ds_key = generate_key(o->key);
	p.mls_key = generate_key(o->key);
	if (!n_csca || !n_ds || !n_mls || !p.csca_key || !p.ds_key || !p.mls_key) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot generate keys");
		goto out;
	}

	time_t now = time(NULL);
	static const char *const csca_exts[][2] = {
		{ "basicConstraints", "critical,CA:TRUE,pathlen:0" },
		{ "keyUsage", "critical,keyCertSign,cRLSign" },
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid:always" },
		{ NULL, NULL },
	};
	static const char *const ds_exts[][2] = {
		{ "keyUsage", "critical,digitalSignature" },
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid:always" },
		{ NULL, NULL },
	};
	static const char *const mls_exts[][2] = {
		{ "keyUsage", "critical,digitalSignature" },
		{ "extendedKeyUsage", "2.23.136.1.1.3" }, /* id-icao-cscaMasterListSigningKey */
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid:always" },
		{ NULL, NULL },
	};
	cert_spec csca = { n_csca, p.csca_key, NULL, p.csca_key,
	                   now - DAY, now + 15 * YEAR, csca_exts };
	p.csca = make_cert(&csca);
	if (!p.csca) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot make the CSCA certificate");
		goto out;
	}
	cert_spec ds = { n_ds, p.ds_key, p.csca, p.csca_key, now - DAY, now + 10 * YEAR + 90 * DAY,
	                 ds_exts };
	switch (o->ds_validity) {
	case DOCGEN_DS_VALID:
		break;
	case DOCGEN_DS_EXPIRED:
		ds.not_before = now - 3 * YEAR;
		ds.not_after = now - 30 * DAY;
		break;
	case DOCGEN_DS_NOT_YET_VALID:
		ds.not_before = now + 30 * DAY;
		ds.not_after = now + 3 * YEAR;
		break;
	}
	p.ds = make_cert(&ds);
	cert_spec mls = { n_mls, p.mls_key, p.csca, p.csca_key, now - DAY, now + 5 * YEAR, mls_exts };
	p.mls = make_cert(&mls);
	if (!p.ds || !p.mls) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot issue the signer certificates");
		goto out;
	}
	if ((e = docgen_write_cert(o->out_dir, "csca.pem", p.csca, err, errlen)) ||
	    (e = docgen_write_key(o->out_dir, "csca.key", p.csca_key, err, errlen)) ||
	    (e = docgen_write_cert(o->out_dir, "ds.pem", p.ds, err, errlen)) ||
	    (e = docgen_write_key(o->out_dir, "ds.key", p.ds_key, err, errlen)) ||
	    (e = docgen_write_cert(o->out_dir, "mls.pem", p.mls, err, errlen)) ||
	    (e = docgen_write_key(o->out_dir, "mls.key", p.mls_key, err, errlen)))
		goto out;
	e = DOCGEN_OK;
out:
	X509_NAME_free(n_csca);
	X509_NAME_free(n_ds);
	X509_NAME_free(n_mls);
	docgen_pki_free(&p);
	return e;
}
