/*
 * util — the plumbing docgen's parts share: error sentences, reading and
 * writing files, certificates and keys as PEM, loading a PKI directory and
 * signing CMS SignedData (EF.SOD and master lists are both made with it).
 */
#include "devices/docgen/docgen-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

const char *docgen_strerror(docgen_err e)
{
	switch (e) {
	case DOCGEN_OK: return "success";
	case DOCGEN_ERR_ARG: return "invalid option";
	case DOCGEN_ERR_NOMEM: return "out of memory";
	case DOCGEN_ERR_IO: return "file error";
	case DOCGEN_ERR_PERSONA: return "bad persona";
	case DOCGEN_ERR_IMAGE: return "face image error";
	case DOCGEN_ERR_PKI: return "bad PKI directory";
	case DOCGEN_ERR_CRYPTO: return "OpenSSL failure";
	}
	return "unknown docgen error";
}

docgen_err docgen_fail(char *err, size_t errlen, docgen_err code, bool ossl,
                       const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		unsigned long e = ossl ? ERR_peek_last_error() : 0;
		const char *reason = e ? ERR_reason_error_string(e) : NULL;
		size_t used = strlen(err);
		if (reason && used < errlen)
			snprintf(err + used, errlen - used, " (OpenSSL: %s)", reason);
	}
	ERR_clear_error();
	return code;
}

docgen_err docgen_read_file(const char *path, uint8_t **ret_data, size_t *ret_len,
                            char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot open %s: %s",
		                   path, strerror(errno));
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *p = realloc(data, ncap);
			if (!p) {
				free(data);
				fclose(f);
				return docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false,
				                   "out of memory reading %s", path);
			}
			data = p;
			cap = ncap;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(data);
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot read %s", path);
	}
	*ret_data = data;
	*ret_len = len;
	return DOCGEN_OK;
}

docgen_err docgen_write_file(const char *dir, const char *name, const void *data,
                             size_t len, bool secret, char *err, size_t errlen)
{
	char path[1024];
	int plen = dir ? snprintf(path, sizeof path, "%s/%s", dir, name)
	               : snprintf(path, sizeof path, "%s", name);
	if (plen < 0 || plen >= (int)sizeof path)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "path too long: %s", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
	if (fd < 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot create %s: %s",
		                   path, strerror(errno));
	const uint8_t *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot write %s: %s",
			                   path, strerror(e));
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot write %s: %s",
		                   path, strerror(errno));
	return DOCGEN_OK;
}

docgen_err docgen_mkdirs(const char *dir, char *err, size_t errlen)
{
	char path[1024];
	if (!dir || !*dir || strlen(dir) >= sizeof path)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "bad output directory");
	strcpy(path, dir);
	for (char *p = path + 1; ; p++) {
		bool last = *p == '\0';
		if (*p == '/' || last) {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return docgen_fail(err, errlen, DOCGEN_ERR_IO, false,
				                   "cannot create directory %s: %s", path, strerror(errno));
			if (last)
				break;
			*p = '/';
		}
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "%s is not a directory", dir);
	return DOCGEN_OK;
}

static docgen_err write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                            char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());
	if (!mem)
		return docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, true, "out of memory");
	int ok = cert ? PEM_write_bio_X509(mem, cert)
	              : PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL);
	if (!ok) {
		BIO_free(mem);
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode %s", name);
	}
	char *data = NULL;
	long len = BIO_get_mem_data(mem, &data);
	docgen_err e = docgen_write_file(dir, name, data, (size_t)len, key != NULL, err, errlen);
	BIO_free(mem);
	return e;
}

docgen_err docgen_write_cert(const char *dir, const char *name, X509 *cert,
                             char *err, size_t errlen)
{
	return write_pem(dir, name, cert, NULL, err, errlen);
}

docgen_err docgen_write_key(const char *dir, const char *name, EVP_PKEY *key,
                            char *err, size_t errlen)
{
	return write_pem(dir, name, NULL, key, err, errlen);
}

static BIO *open_in(const char *dir, const char *name, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", dir, name);
	return BIO_new_file(path, "rb");
}

docgen_err docgen_load_cert(const char *dir, const char *name, X509 **ret,
                            char *err, size_t errlen)
{
	char path[1024];
	BIO *in = open_in(dir, name, path, sizeof path);
	if (!in)
		return docgen_fail(err, errlen, DOCGEN_ERR_PKI, false, "cannot open %s", path);
	X509 *x = PEM_read_bio_X509(in, NULL, NULL, NULL);
	BIO_free(in);
	if (!x)
		return docgen_fail(err, errlen, DOCGEN_ERR_PKI, true,
		                   "%s is not a PEM certificate", path);
	*ret = x;
	return DOCGEN_OK;
}

docgen_err docgen_load_key(const char *dir, const char *name, EVP_PKEY **ret,
                           char *err, size_t errlen)
{
	char path[1024];
	BIO *in = open_in(dir, name, path, sizeof path);
	if (!in)
		return docgen_fail(err, errlen, DOCGEN_ERR_PKI, false, "cannot open %s", path);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	BIO_free(in);
	if (!k)
		return docgen_fail(err, errlen, DOCGEN_ERR_PKI, true,
		                   "%s is not a PEM private key", path);
	*ret = k;
	return DOCGEN_OK;
}

void docgen_pki_free(docgen_pki *pki)
{
	if (!pki)
		return;
	X509_free(pki->csca);
	X509_free(pki->ds);
	X509_free(pki->mls);
	EVP_PKEY_free(pki->csca_key);
	EVP_PKEY_free(pki->ds_key);
	EVP_PKEY_free(pki->mls_key);
	*pki = (docgen_pki){ 0 };
}

docgen_err docgen_pki_load(const char *dir, docgen_pki *ret, char *err, size_t errlen)
{
	docgen_pki p = { 0 };
	docgen_err e;
	if ((e = docgen_load_cert(dir, "csca.pem", &p.csca, err, errlen)) ||
	    (e = docgen_load_key(dir, "csca.key", &p.csca_key, err, errlen)) ||
	    (e = docgen_load_cert(dir, "ds.pem", &p.ds, err, errlen)) ||
	    (e = docgen_load_key(dir, "ds.key", &p.ds_key, err, errlen)) ||
	    (e = docgen_load_cert(dir, "mls.pem", &p.mls, err, errlen)) ||
	    (e = docgen_load_key(dir, "mls.key", &p.mls_key, err, errlen))) {
		docgen_pki_free(&p);
		return e;
	}
	*ret = p;
	return DOCGEN_OK;
}

docgen_err docgen_cms_sign(const uint8_t *content, size_t content_len,
                           const char *econtent_oid, X509 *cert, EVP_PKEY *key,
                           const EVP_MD *md, docgen_sig_scheme sig,
                           uint8_t **ret_der, size_t *ret_len,
                           char *err, size_t errlen)
{
	docgen_err e = DOCGEN_ERR_CRYPTO;
	const unsigned flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
	BIO *in = NULL;
	ASN1_OBJECT *oid = NULL;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!cms) {
		docgen_fail(err, errlen, e, true, "cannot start CMS SignedData");
		goto out;
	}
	oid = OBJ_txt2obj(econtent_oid, 1);
	if (!oid || !CMS_set1_eContentType(cms, oid)) {
		docgen_fail(err, errlen, e, true, "cannot set eContentType %s", econtent_oid);
		goto out;
	}
	bool pss = sig == DOCGEN_SIG_RSA_PSS;
	if (pss && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                "RSA-PSS needs a PKI made with --key rsa");
		goto out;
	}
	CMS_SignerInfo *si = CMS_add1_signer(cms, cert, key, md,
	                                     flags | (pss ? CMS_KEY_PARAM : 0));
	if (!si) {
		docgen_fail(err, errlen, e, true, "cannot add the signer");
		goto out;
	}
	if (pss) {
		EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
		if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
			docgen_fail(err, errlen, e, true, "cannot select RSA-PSS");
			goto out;
		}
	}
	in = BIO_new_mem_buf(content, (int)content_len);
	if (!in || !CMS_final(cms, in, NULL, flags)) {
		docgen_fail(err, errlen, e, true, "cannot sign the CMS content");
		goto out;
	}
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);
	if (len <= 0) {
		docgen_fail(err, errlen, e, true, "cannot encode the CMS SignedData");
		goto out;
	}
	*ret_der = der;
	*ret_len = (size_t)len;
	e = DOCGEN_OK;
out:
	BIO_free(in);
	ASN1_OBJECT_free(oid);
	CMS_ContentInfo_free(cms);
	return e;
}
