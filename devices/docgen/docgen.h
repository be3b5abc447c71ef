/*
 * docgen — the test-document factory: makes the PKI (CSCA, document signer,
 * master list signer), e-passport contents (EF.COM, DG1, DG2, DG11, DG12,
 * DG14, DG15, EF.SOD, EF.CardAccess) from a persona, the named document
 * profiles of the virtual passport, ICAO master lists and CRLs, all with
 * OpenSSL and keys generated at run time. The `appm-docgen` command is a thin shell
 * around these functions; tests call them in-process.
 *
 * Every function returns a docgen_err and, when err is not NULL, writes one
 * sentence saying what went wrong into err[0..errlen). Nothing here prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

typedef enum docgen_err {
	DOCGEN_OK = 0,
	DOCGEN_ERR_ARG,      /* an option is missing or impossible */
	DOCGEN_ERR_NOMEM,
	DOCGEN_ERR_IO,       /* a file could not be read or written */
	DOCGEN_ERR_PERSONA,  /* the persona file is missing or lacks a field */
	DOCGEN_ERR_IMAGE,    /* the face image could not be decoded or encoded */
	DOCGEN_ERR_PKI,      /* a PKI directory is incomplete or unreadable */
	DOCGEN_ERR_CRYPTO,   /* OpenSSL failed */
} docgen_err;

const char *docgen_strerror(docgen_err e);

/* ---- personas ---------------------------------------------------------- */

typedef struct docgen_persona {
	char surname[40];
	char given_names[40];
	char nationality[4];       /* ICAO alpha-3, e.g. IDN */
	char issuing_state[4];
	char sex;                  /* 'F', 'M' or '<' */
	char birth_date[7];        /* YYMMDD */
	char document_number[10];  /* up to 9 characters */
	char expiry_date[7];       /* YYMMDD */
	char place_of_birth[64];
	char personal_number[32];
	char issuing_authority[64];
	char date_of_issue[9];     /* YYYYMMDD */
	char can[7];               /* card access number, 6 digits; "" = none given */
	char face_path[512];       /* resolved path of the face JPEG */
} docgen_persona;

/* `spec` is a persona file path, or a name looked up as
 * <data_dir>/personas/<name>.persona. The face is resolved relative to
 * <data_dir>/faces/ (a name) or to the persona file's folder (../faces/). */
docgen_err docgen_persona_load(const char *spec, const char *data_dir,
                               docgen_persona *ret, char *err, size_t errlen);

/* The two 44-character TD3 lines, concatenated, with every check digit. */
docgen_err docgen_mrz_td3(const docgen_persona *p, char ret[89]);

/* The CAN of a persona: its can= when it has one, else six digits derived
 * from the document number (the same every time). */
void docgen_persona_can(const docgen_persona *p, char ret[7]);

/* ---- PKI --------------------------------------------------------------- */

typedef enum docgen_key_type {
	DOCGEN_KEY_EC = 0,   /* ECDSA P-256 */
	DOCGEN_KEY_RSA,      /* RSA 2048 */
} docgen_key_type;

typedef enum docgen_ds_validity {
	DOCGEN_DS_VALID = 0,
	DOCGEN_DS_EXPIRED,        /* validity entirely in the past */
	DOCGEN_DS_NOT_YET_VALID,  /* validity entirely in the future */
} docgen_ds_validity;

typedef struct docgen_pki_opts {
	const char *out_dir;       /* created if missing */
	const char *country;       /* ICAO alpha-3; NULL means IDN */
	docgen_key_type key;
	docgen_ds_validity ds_validity;
} docgen_pki_opts;

/* Writes csca.pem/.key (self-signed CA), ds.pem/.key (document signer) and
 * mls.pem/.key (master list signer), both issued by the CSCA. */
docgen_err docgen_pki_create(const docgen_pki_opts *o, char *err, size_t errlen);

/* ---- documents --------------------------------------------------------- */

typedef enum docgen_face_format {
	DOCGEN_FACE_JPEG = 0,  /* the persona's JPEG as stored */
	DOCGEN_FACE_JP2,       /* re-encoded to JPEG 2000 (JP2 container) */
} docgen_face_format;

typedef enum docgen_sig_scheme {
	DOCGEN_SIG_DEFAULT = 0,  /* ECDSA for EC keys, PKCS#1 v1.5 for RSA */
	DOCGEN_SIG_RSA_PSS,      /* RSA keys only */
} docgen_sig_scheme;

typedef enum docgen_aa_key {
	DOCGEN_AA_RSA = 0,   /* RSA 2048 (ISO/IEC 9796-2 signatures) */
	DOCGEN_AA_ECDSA,     /* ECDSA on aa_curve; DG14 then carries an
	                      * ActiveAuthenticationInfo (ecdsa-with-SHA256) */
} docgen_aa_key;

struct docgen_pace_info;

/* A document's contents. Zero means the plain BAC document: DG1, DG2 (the
 * persona's JPEG), DG11, DG12, EF.COM and EF.SOD signed with SHA-256.
 *
 * Data group sets are bit masks (bit n: DGn). A data group "made" is one of
 * DG1, DG2, DG11, DG12, DG14 (when chip authentication, PACE-CAM or ECDSA
 * active authentication needs it) and DG15 (with dg15), minus omit_dgs. */
typedef struct docgen_doc_opts {
	const char *pki_dir;
	const docgen_persona *persona;
	const char *out_dir;            /* created if missing */
	const char *profile;            /* recorded in document.txt; set by docgen_doc_profile */
	docgen_face_format face;
	size_t face_bytes;              /* re-encode the face to about this many bytes
	                                 * (JPEG: the quality that lands nearest;
	                                 * JPEG 2000: the rate); 0 = JPEG as stored,
	                                 * JPEG 2000 at 20:1 */
	const char *hash;               /* sha1 sha224 sha256 sha384 sha512; NULL = sha256 */
	docgen_sig_scheme sig;
	bool dg15;                      /* write DG15 and aa.key */
	docgen_aa_key aa_key;           /* the DG15 key's kind */
	const char *aa_curve;           /* ECDSA: OpenSSL curve name; NULL = prime256v1 */
	/* PACE: EF.CardAccess with one PACEInfo per entry; none = no EF.CardAccess
	 * (a BAC-only document). The document's CAN is written to document.txt. */
	const struct docgen_pace_info *pace;
	size_t n_pace;
	const char *can;                /* 6 digits; NULL = the persona's can=, else
	                                 * one derived from the document number */
	/* Chip authentication: DG14 with a ChipAuthenticationInfo for this
	 * protocol (e.g. "id-CA-ECDH-AES-CBC-CMAC-128") and the public half of a
	 * fresh key written to ca.key; NULL = none. A PACE-CAM entry in `pace`
	 * needs it (the CAM key is the CA key) and is listed in DG14 too. */
	const char *ca_protocol;
	int ca_key_id;                  /* ChipAuthenticationInfo keyId; 0 = none */
	const char *ca_domain;          /* the CA key's curve or DH group (OpenSSL
	                                 * name, e.g. "brainpoolP256r1",
	                                 * "dh_1024_160"); NULL = the domain of the
	                                 * first PACEInfo of the same agreement
	                                 * (ECDH or DH), else brainpoolP256r1 or
	                                 * dh_1024_160 */
	bool lds_1_8;                   /* EF.COM says LDS 1.8; the SOD is version 1 with ldsVersionInfo */
	int tamper_dg;                  /* change one byte of this DG after signing; 0 = none */
	uint32_t omit_dgs;              /* not made at all: not written, listed or hashed */
	uint32_t unsigned_dgs;          /* written and listed but left out of the SOD */
	uint32_t absent_dgs;            /* listed in EF.COM and hashed in the SOD, but
	                                 * the file is not on the chip (a
	                                 * mis-personalised chip) */
	uint32_t unlisted_dgs;          /* written and hashed, but not in EF.COM's list */
} docgen_doc_opts;

/* Writes EF.COM, EF.SOD, EF.DGn, EF.CardAccess (with PACE), aa.key (with
 * DG15), ca.key (with chip authentication) and document.txt into out_dir.
 * document.txt has key=value lines: document_number, birth_date,
 * expiry_date, mrz, can (with PACE), data_groups (files written),
 * com_dgs (listed in EF.COM), sod_dgs (hashed in EF.SOD), and facts about
 * the document (face, face_bytes, hash, aa, pace, ca, profile,
 * tampered_dg). */
docgen_err docgen_doc_create(const docgen_doc_opts *o, char *err, size_t errlen);

/* ---- profiles: the virtual-passport documents of issue 3 ---- */

/* Set the options profile `name` is made of: face, face_bytes, dg15,
 * aa_key, aa_curve, pace, n_pace, ca_protocol, ca_key_id, ca_domain,
 * omit_dgs and profile, whatever they held. Other fields are left as they
 * are; set overrides after this call. DOCGEN_ERR_ARG for an unknown name. */
docgen_err docgen_doc_profile(const char *name, docgen_doc_opts *o, char *err, size_t errlen);

/* The i-th profile's name, and a one-line description in *ret_summary;
 * NULL past the last. */
const char *docgen_profile_name(size_t i, const char **ret_summary);

/* ---- security infos (EF.CardAccess, DG14; ICAO 9303 part 11, 9.2) -- */

typedef struct docgen_pace_info {
	const char *protocol;  /* OID name as OpenPACE knows it, e.g.
	                        * "id-PACE-ECDH-GM-AES-CBC-CMAC-128", or dotted */
	int parameter_id;      /* standardized domain parameters (part 11,
	                        * table 6): 0 = 1024-bit MODP, 12 = NIST P-256,
	                        * 13 = brainpoolP256r1, ... */
} docgen_pace_info;

/* EF.CardAccess: a SET OF PACEInfo, one per entry. *ret is malloc'ed. */
docgen_err docgen_card_access_encode(const docgen_pace_info *pace, size_t n_pace, uint8_t **ret,
                                     size_t *ret_len, char *err, size_t errlen);

/* EF.DG14 (tag 6E), one DER SET OF: a ChipAuthenticationInfo for
 * ca_protocol (e.g. "id-CA-ECDH-AES-CBC-CMAC-128") and key_id (-1: none)
 * with a ChipAuthenticationPublicKeyInfo holding the public part of ca_key
 * (an EC or DH key) — both NULL for a chip without chip authentication —;
 * the given PACEInfos (a PACE-CAM chip lists its CAM protocol here as
 * well); and, when aa_signature_algorithm (a dotted OID such as
 * ecdsa-with-SHA256's) is given, the ActiveAuthenticationInfo of an ECDSA
 * chip. *ret is malloc'ed. */
docgen_err docgen_dg14_encode(EVP_PKEY *ca_key, const char *ca_protocol, int key_id, const docgen_pace_info *pace,
                              size_t n_pace, const char *aa_signature_algorithm, uint8_t **ret, size_t *ret_len,
                              char *err, size_t errlen);

/* ---- master lists and CRLs --------------------------------------------- */

/* A CSCA master list holding the CSCAs of every PKI, signed by the master
 * list signer of the first. */
docgen_err docgen_masterlist_create(const char *const *pki_dirs, size_t n_pki,
                                    const char *out_path, char *err, size_t errlen);

typedef struct docgen_crl_opts {
	const char *pki_dir;
	const char *out_path;      /* DER */
	bool revoke_ds;            /* list the DS certificate's serial */
	bool expired;              /* nextUpdate already in the past */
} docgen_crl_opts;

docgen_err docgen_crl_create(const docgen_crl_opts *o, char *err, size_t errlen);
