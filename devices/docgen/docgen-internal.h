/*
 * docgen-internal — helpers shared by the docgen source files: error text,
 * files, PEM/DER certificates and keys, a loaded PKI, CMS signing and the face
 * image encoder. Not for use outside devices/docgen/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "devices/docgen/docgen.h"

/* Write the formatted sentence (plus OpenSSL's last reason, when `ossl`) into
 * err and return code. */
docgen_err docgen_fail(char *err, size_t errlen, docgen_err code, bool ossl,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- files ---- */
docgen_err docgen_read_file(const char *path, uint8_t **ret_data, size_t *ret_len,
                            char *err, size_t errlen);
/* dir may be NULL: name is then the whole path. Secrets get mode 0600. */
docgen_err docgen_write_file(const char *dir, const char *name, const void *data,
                             size_t len, bool secret, char *err, size_t errlen);
/* mkdir -p */
docgen_err docgen_mkdirs(const char *dir, char *err, size_t errlen);

/* ---- certificates and keys ---- */
docgen_err docgen_write_cert(const char *dir, const char *name, X509 *cert,
                             char *err, size_t errlen);
docgen_err docgen_write_key(const char *dir, const char *name, EVP_PKEY *key,
                            char *err, size_t errlen);
docgen_err docgen_load_cert(const char *dir, const char *name, X509 **ret,
                            char *err, size_t errlen);
docgen_err docgen_load_key(const char *dir, const char *name, EVP_PKEY **ret,
                           char *err, size_t errlen);

typedef struct docgen_pki {
	X509 *csca, *ds, *mls;
	EVP_PKEY *csca_key, *ds_key, *mls_key;
} docgen_pki;

/* Load every certificate and key of a PKI directory. */
docgen_err docgen_pki_load(const char *dir, docgen_pki *ret, char *err, size_t errlen);
void docgen_pki_free(docgen_pki *pki);

/* A CMS SignedData (DER, freed with OPENSSL_free) over content with the given eContentType (dotted
 * OID), signed attributes, the signer certificate included. */
docgen_err docgen_cms_sign(const uint8_t *content, size_t content_len,
                           const char *econtent_oid, X509 *cert, EVP_PKEY *key,
                           const EVP_MD *md, docgen_sig_scheme sig,
                           uint8_t **ret_der, size_t *ret_len,
                           char *err, size_t errlen);

/* ---- face image ---- */
/* The image to store in DG2: the JPEG as read, or re-encoded from its
 * pixels (JPEG 2000; or JPEG when a size is asked for) to about `target`
 * bytes (0: JPEG as read, JPEG 2000 at 20:1); with its size in pixels. A
 * target that cannot be met within 10% is DOCGEN_ERR_IMAGE. */
docgen_err docgen_face_image(const char *jpeg_path, docgen_face_format fmt, size_t target,
                             uint8_t **ret_data, size_t *ret_len,
                             int *ret_width, int *ret_height,
                             char *err, size_t errlen);
