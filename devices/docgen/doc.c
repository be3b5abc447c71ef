/*
 * doc — one test e-passport's chip contents from a persona and a PKI: the
 * LDS files of ICAO 9303 part 10 (EF.COM, DG1, DG2, DG11, DG12, DG14, DG15),
 * EF.SOD, the document signer's CMS signature over their hashes (part 10,
 * 4.6.2 and part 12), and EF.CardAccess (part 11, 9.2), written byte for
 * byte as a chip holds them, with the chip's private keys (aa.key, ca.key)
 * beside them, and deliberate faults of personalisation (data groups
 * absent, unlisted, unsigned or altered after signing). The named profiles
 * of the virtual passports are in profiles.c.
 */
#include "devices/docgen/docgen-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto/aa.h"
#include "crypto/buf.h"
#include "crypto/secinfo.h"
#include "crypto/tlv.h"

#define OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define OID_PACE "0.4.0.127.0.7.2.2.4."   /* id-PACE, then the mapping arc */
#define OID_CA "0.4.0.127.0.7.2.2.3."     /* id-CA, then the agreement arc */
#define MAX_DG 16
#define MAX_SECINFOS 32

/* Tag of each data group's file (part 10, table 34), 0 when not made here. */
static uint32_t dg_tag(int n)
{
	switch (n) {
	case 1: return 0x61;
	case 2: return 0x75;
	case 11: return 0x6B;
	case 12: return 0x6C;
	case 14: return 0x6E;
	case 15: return 0x6F;
	default: return 0;
	}
}

static void put_u16(crypto_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	buf_append(b, x, 2);
}

static void put_u32(crypto_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	buf_append(b, x, 4);
}

static void make_dg1(crypto_buf *out, const char mrz[89])
{
	crypto_buf in = CRYPTO_BUF_INIT;
	buf_append_tlv(&in, 0x5F1F, mrz, 88);
	buf_append_tlv(out, 0x61, in.data, in.len);
	out->failed |= in.failed;
	buf_free(&in);
}

/* ISO/IEC 19794-5:2005 facial record with one image, inside the biometric
 * information group template of part 10, 4.7.2. */
static void make_dg2(crypto_buf *out, const docgen_persona *p, const uint8_t *img, size_t img_len,
                     int w, int h, docgen_face_format fmt)
{
	crypto_buf rec = CRYPTO_BUF_INIT;
	const uint32_t info_len = 20 + 12 + (uint32_t)img_len; /* facial record data */
	buf_append(&rec, "FAC\0" "010\0", 8);
	put_u32(&rec, 14 + info_len);          /* record length */
	put_u16(&rec, 1);                      /* number of facial images */
	put_u32(&rec, info_len);               /* facial record data length */
	put_u16(&rec, 0);                      /* feature points */
	buf_append_byte(&rec, p->sex == 'M' ? 1 : p->sex == 'F' ? 2 : 0);
	buf_append_byte(&rec, 0);              /* eye colour unspecified */
	buf_append_byte(&rec, 0);              /* hair colour unspecified */
	buf_append(&rec, "\0\0\0", 3);         /* feature mask */
	put_u16(&rec, 0);                      /* expression unspecified */
	buf_append(&rec, "\0\0\0", 3);         /* pose angle yaw, pitch, roll */
	buf_append(&rec, "\0\0\0", 3);         /* pose angle uncertainty */
	buf_append_byte(&rec, 1);              /* face image type: full frontal */
	buf_append_byte(&rec, fmt == DOCGEN_FACE_JP2 ? 1 : 0); /* image data type */
	put_u16(&rec, (unsigned)w);
	put_u16(&rec, (unsigned)h);
	buf_append_byte(&rec, 1);              /* colour space: 24-bit RGB */
	buf_append_byte(&rec, 2);              /* source: static photo, digital camera */
	put_u16(&rec, 0);                      /* device type */
	put_u16(&rec, 0);                      /* quality */
	buf_append(&rec, img, img_len);

	static const uint8_t header[] = {
		0x80, 0x02, 0x01, 0x01,  /* ICAO header version 1.1 */
		0x81, 0x01, 0x02,        /* biometric type: facial features */
		0x82, 0x01, 0x00,        /* subtype: none */
		0x87, 0x02, 0x01, 0x01,  /* format owner: ISO/IEC JTC 1/SC 37 */
		0x88, 0x02, 0x00, 0x08,  /* format type: face image */
	};
	crypto_buf bit = CRYPTO_BUF_INIT;
	buf_append_tlv(&bit, 0xA1, header, sizeof header);
	buf_append_tlv(&bit, 0x5F2E, rec.data, rec.len);
	crypto_buf group = CRYPTO_BUF_INIT;
	static const uint8_t count[] = { 0x02, 0x01, 0x01 };
	buf_append(&group, count, sizeof count);
	buf_append_tlv(&group, 0x7F60, bit.data, bit.len);
	crypto_buf bgt = CRYPTO_BUF_INIT;
	buf_append_tlv(&bgt, 0x7F61, group.data, group.len);
	buf_append_tlv(out, 0x75, bgt.data, bgt.len);
	out->failed |= rec.failed | bit.failed | group.failed | bgt.failed;
	buf_free(&rec);
	buf_free(&bit);
	buf_free(&group);
	buf_free(&bgt);
}

static void make_dg11(crypto_buf *out, const docgen_persona *p)
{
	char name[96];
	snprintf(name, sizeof name, "%s%s%s", p->surname, p->given_names[0] ? "<<" : "",
	         p->given_names);
	for (char *c = name; *c; c++)
		if (*c == ' ')
			*c = '<';
	crypto_buf in = CRYPTO_BUF_INIT, tags = CRYPTO_BUF_INIT;
	static const uint8_t t_name[] = { 0x5F, 0x0E }, t_pn[] = { 0x5F, 0x10 },
	                     t_pob[] = { 0x5F, 0x11 };
	buf_append(&tags, t_name, 2);
	if (p->personal_number[0])
		buf_append(&tags, t_pn, 2);
	if (p->place_of_birth[0])
		buf_append(&tags, t_pob, 2);
	buf_append_tlv(&in, 0x5C, tags.data, tags.len);
	buf_append_tlv(&in, 0x5F0E, name, strlen(name));
	if (p->personal_number[0])
		buf_append_tlv(&in, 0x5F10, p->personal_number, strlen(p->personal_number));
	if (p->place_of_birth[0])
		buf_append_tlv(&in, 0x5F11, p->place_of_birth, strlen(p->place_of_birth));
	buf_append_tlv(out, 0x6B, in.data, in.len);
	out->failed |= in.failed | tags.failed;
	buf_free(&in);
	buf_free(&tags);
}

static void make_dg12(crypto_buf *out, const docgen_persona *p)
{
	crypto_buf in = CRYPTO_BUF_INIT, tags = CRYPTO_BUF_INIT;
	static const uint8_t t_auth[] = { 0x5F, 0x19 }, t_date[] = { 0x5F, 0x26 };
	if (p->issuing_authority[0])
		buf_append(&tags, t_auth, 2);
	if (p->date_of_issue[0])
		buf_append(&tags, t_date, 2);
	buf_append_tlv(&in, 0x5C, tags.data, tags.len);
	if (p->issuing_authority[0])
		buf_append_tlv(&in, 0x5F19, p->issuing_authority, strlen(p->issuing_authority));
	if (p->date_of_issue[0])
		buf_append_tlv(&in, 0x5F26, p->date_of_issue, strlen(p->date_of_issue));
	buf_append_tlv(out, 0x6C, in.data, in.len);
	out->failed |= in.failed | tags.failed;
	buf_free(&in);
	buf_free(&tags);
}

static void make_com(crypto_buf *out, const bool present[MAX_DG + 1], bool lds18)
{
	crypto_buf in = CRYPTO_BUF_INIT;
	crypto_buf tags = CRYPTO_BUF_INIT;
	for (int n = 1; n <= MAX_DG; n++)
		if (present[n])
			buf_append_byte(&tags, (uint8_t)dg_tag(n));
	buf_append_tlv(&in, 0x5F01, lds18 ? "0108" : "0107", 4);
	buf_append_tlv(&in, 0x5F36, "040000", 6);
	buf_append_tlv(&in, 0x5C, tags.data, tags.len);
	buf_append_tlv(out, 0x60, in.data, in.len);
	out->failed |= in.failed | tags.failed;
	buf_free(&in);
	buf_free(&tags);
}

static const EVP_MD *hash_by_name(const char *name)
{
	static const char *const ok[] = { "sha1", "sha224", "sha256", "sha384", "sha512" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(name, ok[i]) == 0)
			return EVP_get_digestbyname(name);
	return NULL;
}

/* LDSSecurityObject (part 10, 4.6.2.3) over the signed data groups. */
static docgen_err make_lds_security_object(crypto_buf *out, const EVP_MD *md, crypto_buf dgs[MAX_DG + 1],
                                           const bool sign[MAX_DG + 1], bool lds18,
                                           char *err, size_t errlen)
{
	unsigned char *oid_der = NULL;
	int oid_len = i2d_ASN1_OBJECT(OBJ_nid2obj(EVP_MD_get_type(md)), &oid_der);
	if (oid_len <= 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode the hash OID");
	crypto_buf seq = CRYPTO_BUF_INIT, alg = CRYPTO_BUF_INIT, hashes = CRYPTO_BUF_INIT;
	crypto_buf one = CRYPTO_BUF_INIT, ver = CRYPTO_BUF_INIT;
	buf_append(&alg, oid_der, (size_t)oid_len);
	OPENSSL_free(oid_der);
	docgen_err e = DOCGEN_OK;
	for (int n = 1; n <= MAX_DG && !e; n++) {
		if (!sign[n])
			continue;
		unsigned char digest[EVP_MAX_MD_SIZE];
		unsigned dlen = 0;
		if (!EVP_Digest(dgs[n].data, dgs[n].len, digest, &dlen, md, NULL)) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot hash DG%d", n);
			break;
		}
		one.len = 0;
		uint8_t num = (uint8_t)n;
		buf_append_tlv(&one, 0x02, &num, 1);
		buf_append_tlv(&one, 0x04, digest, dlen);
		buf_append_tlv(&hashes, 0x30, one.data, one.len);
	}
	uint8_t version = lds18 ? 1 : 0;
	buf_append_tlv(&seq, 0x02, &version, 1);
	buf_append_tlv(&seq, 0x30, alg.data, alg.len);
	buf_append_tlv(&seq, 0x30, hashes.data, hashes.len);
	if (lds18) {
		buf_append_tlv(&ver, 0x13, "0108", 4);    /* ldsVersion, PrintableString */
		buf_append_tlv(&ver, 0x13, "040000", 6);  /* unicodeVersion */
		buf_append_tlv(&seq, 0x30, ver.data, ver.len);
	}
	buf_append_tlv(out, 0x30, seq.data, seq.len);
	if (!e && (seq.failed || alg.failed || hashes.failed || one.failed || ver.failed || out->failed))
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
	buf_free(&seq);
	buf_free(&alg);
	buf_free(&hashes);
	buf_free(&one);
	buf_free(&ver);
	return e;
}

/* Change one byte of a data group so that it still parses and decodes: a
 * letter of the holder's surname in DG1, a facial record header byte in DG2,
 * otherwise a letter or digit near the middle. */
static void tamper(crypto_buf *dg, int n)
{
	if (dg->len == 0)
		return;
	if (n == 1 && dg->len >= 88) {
		uint8_t *c = dg->data + dg->len - 88 + 5;
		*c = *c == 'Z' ? 'A' : *c == '<' ? 'X' : (uint8_t)(*c + 1);
		return;
	}
	if (n == 2) {
		/* Not the compressed image, which a decoder might then refuse:
		 * the facial record's hair colour byte. */
		static const uint8_t fac[] = { 'F', 'A', 'C', 0, '0', '1', '0', 0 };
		for (size_t i = 0; i + 14 + 9 <= dg->len; i++) {
			if (memcmp(dg->data + i, fac, sizeof fac) == 0) {
				dg->data[i + 14 + 8] ^= 0x01;
				return;
			}
		}
	}
	for (size_t i = dg->len / 2; i < dg->len; i++) {
		uint8_t c = dg->data[i];
		if ((c >= 'A' && c <= 'Y') || (c >= '0' && c <= '8')) {
			dg->data[i] = (uint8_t)(c + 1);
			return;
		}
	}
	dg->data[dg->len / 2] ^= 0x01;
}

/* ---- security infos and the chip's keys ---- */

/* The standardized domain parameters of ICAO 9303 part 11, 9.5.1, by
 * parameter id, as OpenSSL names them; NULL for reserved ids. */
static const char *const std_domains[] = {
	[0] = "dh_1024_160",      [1] = "dh_2048_224",      [2] = "dh_2048_256",
	[8] = "prime192v1",       [9] = "brainpoolP192r1",  [10] = "secp224r1",
	[11] = "brainpoolP224r1", [12] = "prime256v1",      [13] = "brainpoolP256r1",
	[14] = "brainpoolP320r1", [15] = "secp384r1",       [16] = "brainpoolP384r1",
	[17] = "brainpoolP512r1", [18] = "secp521r1",
};

static const char *std_domain(int id)
{
	if (id < 0 || (size_t)id >= sizeof std_domains / sizeof std_domains[0])
		return NULL;
	return std_domains[id];
}

typedef enum agreement {
	AGREE_UNKNOWN = 0,
	AGREE_DH,
	AGREE_ECDH,
} agreement;

/* The key agreement of a protocol (a name from crypto/secinfo's table or a
 * dotted OID) of `family`, from the arc after it: after id-PACE 1 DH
 * generic, 2 ECDH generic, 3 DH integrated, 4 ECDH integrated, 6 ECDH chip
 * authentication mapping; after id-CA 1 DH, 2 ECDH. AGREE_UNKNOWN for a
 * protocol of another family. *ret_cam tells PACE-CAM. */
static agreement protocol_agreement(const char *protocol, const char *family, bool *ret_cam)
{
	char oid[80];
	if (ret_cam)
		*ret_cam = false;
	size_t nf = strlen(family);
	if (!protocol || !secinfo_oid_from_name(protocol, oid, sizeof oid) || strncmp(oid, family, nf) != 0 ||
	    (oid[nf + 1] != '.' && oid[nf + 1] != '\0'))
		return AGREE_UNKNOWN;
	bool pace = strcmp(family, OID_PACE) == 0;
	switch (oid[nf]) {
	case '1': return AGREE_DH;
	case '2': return AGREE_ECDH;
	case '3': return pace ? AGREE_DH : AGREE_UNKNOWN;
	case '4': return pace ? AGREE_ECDH : AGREE_UNKNOWN;
	case '6':
		if (!pace)
			return AGREE_UNKNOWN;
		if (ret_cam)
			*ret_cam = true;
		return AGREE_ECDH;
	default: return AGREE_UNKNOWN;
	}
}

/* A fresh key on a named curve (EC) or a named finite-field group (DH, kept
 * as X9.42 "DHX" so that the subgroup order q stays with it). */
static docgen_err make_key(const char *domain, agreement kind, const char *what, EVP_PKEY **ret,
                           char *err, size_t errlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, kind == AGREE_DH ? "DHX" : "EC", NULL);
	EVP_PKEY *key = NULL;
	docgen_err e = DOCGEN_OK;
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_group_name(ctx, domain) <= 0 ||
	    EVP_PKEY_generate(ctx, &key) <= 0)
		e = docgen_fail(err, errlen, DOCGEN_ERR_ARG, true,
		                "cannot make the %s key on \"%s\": name a %s", what, domain,
		                kind == AGREE_DH ? "DH group such as dh_1024_160"
		                                 : "curve such as brainpoolP256r1 or prime256v1");
	else
		*ret = key;
	EVP_PKEY_CTX_free(ctx);
	return e;
}

/* The CA key's domain: as asked, else that of the first PACEInfo with the
 * same key agreement (chip authentication mapping requires it; for the
 * other mappings it is what issuers do), else a common default. */
static const char *ca_domain(const docgen_doc_opts *o, agreement kind)
{
	if (o->ca_domain)
		return o->ca_domain;
	for (size_t i = 0; i < o->n_pace; i++) {
		const char *d = std_domain(o->pace[i].parameter_id);
		if (d && protocol_agreement(o->pace[i].protocol, OID_PACE, NULL) == kind)
			return d;
	}
	return kind == AGREE_DH ? "dh_1024_160" : "brainpoolP256r1";
}

/* The signatureAlgorithm an ECDSA chip's ActiveAuthenticationInfo names
 * in DG14 (dotted, in out): the hash crypto/aa would choose by key size, so
 * the chip and a reader agree either way. */
static void aa_signature_algorithm(EVP_PKEY *aa_key, char out[64])
{
	int nid = NID_ecdsa_with_SHA512;
	switch (aa_ec_default_hash(EVP_PKEY_get_bits(aa_key))) {
	case AA_HASH_SHA224: nid = NID_ecdsa_with_SHA224; break;
	case AA_HASH_SHA256: nid = NID_ecdsa_with_SHA256; break;
	case AA_HASH_SHA384: nid = NID_ecdsa_with_SHA384; break;
	case AA_HASH_DEFAULT:
	case AA_HASH_SHA1:
	case AA_HASH_SHA512: break;
	}
	OBJ_obj2txt(out, 64, OBJ_nid2obj(nid), 1);
}

/* ---- document.txt ---- */

static void add_line(crypto_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(crypto_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line) {
		b->failed = true;
		return;
	}
	buf_append(b, line, (size_t)n);
	buf_append_byte(b, '\n');
}

/* "1,2,11" */
static void dg_list(const bool set[MAX_DG + 1], char out[64])
{
	out[0] = '\0';
	for (int n = 1; n <= MAX_DG; n++) {
		if (set[n]) {
			size_t used = strlen(out);
			snprintf(out + used, 64 - used, "%s%d", used ? "," : "", n);
		}
	}
}

typedef struct doc_facts {
	const char *mrz;
	const char *hash;
	const char *can;               /* NULL without PACE */
	size_t face_bytes;
	const bool *written, *listed, *hashed;
	char aa[48];
} doc_facts;

static docgen_err write_document_txt(const docgen_doc_opts *o, const doc_facts *f,
                                     char *err, size_t errlen)
{
	const docgen_persona *p = o->persona;
	char doc_number[10];
	memcpy(doc_number, f->mrz + 44, 9);
	doc_number[9] = '\0';
	char *fill = strchr(doc_number, '<');
	if (fill)
		*fill = '\0';
	char written[64], listed[64], hashed[64];
	dg_list(f->written, written);
	dg_list(f->listed, listed);
	dg_list(f->hashed, hashed);
	crypto_buf t = CRYPTO_BUF_INIT;
	add_line(&t, "document_number=%s", doc_number);
	add_line(&t, "birth_date=%s", p->birth_date);
	add_line(&t, "expiry_date=%s", p->expiry_date);
	add_line(&t, "mrz=%s", f->mrz);
	if (f->can)
		add_line(&t, "can=%s", f->can);
	add_line(&t, "surname=%s", p->surname);
	add_line(&t, "given_names=%s", p->given_names);
	add_line(&t, "nationality=%s", p->nationality);
	if (o->profile)
		add_line(&t, "profile=%s", o->profile);
	add_line(&t, "face=%s", o->face == DOCGEN_FACE_JP2 ? "jp2" : "jpeg");
	add_line(&t, "face_bytes=%zu", f->face_bytes);
	add_line(&t, "hash=%s", f->hash);
	add_line(&t, "data_groups=%s", written);
	add_line(&t, "com_dgs=%s", listed);
	add_line(&t, "sod_dgs=%s", hashed);
	add_line(&t, "aa=%s", f->aa);
	/* pace=PROTOCOL:ID,... as --pace takes them */
	char pace[400] = "none";
	for (size_t i = 0, used = 0; i < o->n_pace && used < sizeof pace; i++) {
		int n = snprintf(pace + used, sizeof pace - used, "%s%s:%d", i ? "," : "",
		                 o->pace[i].protocol, o->pace[i].parameter_id);
		used = n < 0 ? sizeof pace : used + (size_t)n;
		if (used >= sizeof pace)
			t.failed = true;
	}
	add_line(&t, "pace=%s", pace);
	add_line(&t, "ca=%s", o->ca_protocol ? o->ca_protocol : "none");
	add_line(&t, "tampered_dg=%d", o->tamper_dg);
	docgen_err e;
	if (!buf_ok(&t))
		e = docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                "document.txt cannot be written: a value is too long (at most 500 characters)");
	else
		e = docgen_write_file(o->out_dir, "document.txt", t.data, t.len, false, err, errlen);
	buf_free(&t);
	return e;
}

/* A file of an earlier document in the same directory that this one does
 * not have would be taken for part of it. */
static docgen_err remove_stale(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (unlink(path) != 0 && errno != ENOENT)
		return docgen_fail(err, errlen, DOCGEN_ERR_IO, false, "cannot remove %s: %s", path,
		                   strerror(errno));
	return DOCGEN_OK;
}

/* Each mask names only data groups the document has; `what` is its option. */
static docgen_err check_mask(uint32_t mask, const bool made[MAX_DG + 1], const char *what,
                             char *err, size_t errlen)
{
	for (int n = 1; n <= MAX_DG; n++)
		if ((mask & (1u << n)) && !made[n])
			return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
			                   "%s %d names a data group this document does not have", what, n);
	return DOCGEN_OK;
}

docgen_err docgen_doc_create(const docgen_doc_opts *o, char *err, size_t errlen)
{
	if (!o || !o->pki_dir || !o->persona || !o->out_dir)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "doc needs --pki DIR, --persona and --out DIR");
	const char *hash = o->hash ? o->hash : "sha256";
	const EVP_MD *md = hash_by_name(hash);
	if (!md)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "unknown hash '%s' (sha1, sha224, sha256, sha384, sha512)", hash);
	if (o->tamper_dg < 0 || o->tamper_dg > MAX_DG)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "--tamper wants 1..16");
	if (o->n_pace && !o->pace)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "n_pace is set but pace is NULL");

	/* PACE and chip authentication: which keys, and whether DG14 is needed. */
	docgen_pace_info cam[MAX_SECINFOS];
	size_t n_cam = 0;
	for (size_t i = 0; i < o->n_pace; i++) {
		bool is_cam = false;
		if (protocol_agreement(o->pace[i].protocol, OID_PACE, &is_cam) == AGREE_UNKNOWN)
			return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
			                   "\"%s\" is not a PACE protocol: give a name such as "
			                   "id-PACE-ECDH-GM-AES-CBC-CMAC-128, or its dotted OID",
			                   o->pace[i].protocol ? o->pace[i].protocol : "(none)");
		if (is_cam && n_cam < MAX_SECINFOS)
			cam[n_cam++] = o->pace[i];
	}
	if (o->can && (strlen(o->can) != 6 || strspn(o->can, "0123456789") != 6))
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "the CAN \"%s\" is not 6 digits", o->can);
	agreement ca_kind = AGREE_UNKNOWN;
	if (o->ca_protocol) {
		ca_kind = protocol_agreement(o->ca_protocol, OID_CA, NULL);
		if (ca_kind == AGREE_UNKNOWN)
			return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
			                   "\"%s\" is not a chip authentication protocol: give a name such as "
			                   "id-CA-ECDH-AES-CBC-CMAC-128, or its dotted OID",
			                   o->ca_protocol);
	}
	if (n_cam && ca_kind != AGREE_ECDH)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "PACE-CAM proves the chip with its chip authentication key: "
		                   "also give an ECDH chip authentication protocol (--ca)");
	bool ecdsa_aa = o->dg15 && o->aa_key == DOCGEN_AA_ECDSA;
	if (o->ca_key_id < 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "the CA key id must not be negative");

	bool made[MAX_DG + 1] = { false };
	made[1] = made[2] = made[11] = made[12] = true;
	made[14] = o->ca_protocol || ecdsa_aa;
	made[15] = o->dg15;
	for (int n = 1; n <= MAX_DG; n++)
		if (o->omit_dgs & (1u << n))
			made[n] = false;
	docgen_err e;
	if ((e = check_mask(o->unsigned_dgs, made, "--unsigned-dg", err, errlen)) ||
	    (e = check_mask(o->absent_dgs, made, "--absent-dg", err, errlen)) ||
	    (e = check_mask(o->unlisted_dgs, made, "--unlisted-dg", err, errlen)))
		return e;
	if (o->absent_dgs & o->unlisted_dgs)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "a data group cannot be both absent and unlisted: it would leave no trace but its hash");
	bool written[MAX_DG + 1], listed[MAX_DG + 1], hashed[MAX_DG + 1];
	for (int n = 0; n <= MAX_DG; n++) {
		uint32_t bit = 1u << n;
		written[n] = made[n] && !(o->absent_dgs & bit);
		listed[n] = made[n] && !(o->unlisted_dgs & bit);
		hashed[n] = made[n] && !(o->unsigned_dgs & bit);
	}
	if (o->tamper_dg && !written[o->tamper_dg])
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "--tamper %d names a data group this document does not have",
		                   o->tamper_dg);

	docgen_pki pki = { 0 };
	e = docgen_pki_load(o->pki_dir, &pki, err, errlen);
	if (e)
		return e;
	crypto_buf dgs[MAX_DG + 1];
	for (int n = 0; n <= MAX_DG; n++)
		dgs[n] = CRYPTO_BUF_INIT;
	crypto_buf com = CRYPTO_BUF_INIT, lso = CRYPTO_BUF_INIT, sod = CRYPTO_BUF_INIT;
	uint8_t *img = NULL, *cms = NULL, *card_access = NULL;
	size_t img_len = 0, cms_len = 0, card_access_len = 0;
	EVP_PKEY *aa_key = NULL, *ca_key = NULL;
	char mrz[89], can[7];
	bool lds18 = o->lds_1_8;
	doc_facts facts = { .mrz = mrz, .hash = hash, .written = written, .listed = listed,
	                    .hashed = hashed, .aa = "none" };

	if ((e = docgen_mkdirs(o->out_dir, err, errlen)))
		goto out;
	if (docgen_mrz_td3(o->persona, mrz) != DOCGEN_OK) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                "the persona cannot be written as an MRZ");
		goto out;
	}
	if (made[1])
		make_dg1(&dgs[1], mrz);
	if (made[2]) {
		int w = 0, h = 0;
		if ((e = docgen_face_image(o->persona->face_path, o->face, o->face_bytes, &img, &img_len,
		                           &w, &h, err, errlen)))
			goto out;
		make_dg2(&dgs[2], o->persona, img, img_len, w, h, o->face);
		facts.face_bytes = img_len;
	}
	if (made[11])
		make_dg11(&dgs[11], o->persona);
	if (made[12])
		make_dg12(&dgs[12], o->persona);
	if (o->dg15) {
		const char *curve = o->aa_curve ? o->aa_curve : "prime256v1";
		if (ecdsa_aa) {
			if ((e = make_key(curve, AGREE_ECDH, "active authentication", &aa_key, err, errlen)))
				goto out;
			snprintf(facts.aa, sizeof facts.aa, "ecdsa-%s", curve);
		} else {
			aa_key = EVP_RSA_gen(2048);
			snprintf(facts.aa, sizeof facts.aa, "rsa-2048");
		}
		unsigned char *spki = NULL;
		int spki_len = aa_key ? i2d_PUBKEY(aa_key, &spki) : 0;
		if (spki_len <= 0) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true,
			                "cannot make the active authentication key");
			goto out;
		}
		if (made[15])
			buf_append_tlv(&dgs[15], 0x6F, spki, (size_t)spki_len);
		OPENSSL_free(spki);
	}
	if (o->ca_protocol) {
		if ((e = make_key(ca_domain(o, ca_kind), ca_kind, "chip authentication", &ca_key, err, errlen)))
			goto out;
	}
	if (made[14]) {
		/* Chip authentication (with the PACE-CAM PACEInfos; the others
		 * stay in EF.CardAccess only) and an ECDSA chip's
		 * ActiveAuthenticationInfo. */
		char aa_alg[64] = "";
		if (ecdsa_aa)
			aa_signature_algorithm(aa_key, aa_alg);
		uint8_t *dg14 = NULL;
		size_t dg14_len = 0;
		e = docgen_dg14_encode(ca_key, o->ca_protocol, o->ca_key_id ? o->ca_key_id : -1, cam, n_cam,
		                       ecdsa_aa ? aa_alg : NULL, &dg14, &dg14_len, err, errlen);
		if (e)
			goto out;
		buf_append(&dgs[14], dg14, dg14_len);
		free(dg14);
	}
	if (o->n_pace) {
		if ((e = docgen_card_access_encode(o->pace, o->n_pace, &card_access, &card_access_len, err,
		                                   errlen)))
			goto out;
		docgen_persona_can(o->persona, can);
		if (o->can)
			memcpy(can, o->can, sizeof can);
		facts.can = can;
	}
	make_com(&com, listed, lds18);
	for (int n = 0; n <= MAX_DG; n++) {
		if (!buf_ok(&dgs[n])) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
			goto out;
		}
	}

	if ((e = make_lds_security_object(&lso, md, dgs, hashed, lds18, err, errlen)))
		goto out;
	if ((e = docgen_cms_sign(lso.data, lso.len, OID_LDS_SECURITY_OBJECT, pki.ds, pki.ds_key,
	                         md, o->sig, &cms, &cms_len, err, errlen)))
		goto out;
	buf_append_tlv(&sod, 0x77, cms, cms_len);
	if (!buf_ok(&sod) || !buf_ok(&com)) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
		goto out;
	}
	if (o->tamper_dg)
		tamper(&dgs[o->tamper_dg], o->tamper_dg);

	if ((e = docgen_write_file(o->out_dir, "EF.COM", com.data, com.len, false, err, errlen)) ||
	    (e = docgen_write_file(o->out_dir, "EF.SOD", sod.data, sod.len, false, err, errlen)))
		goto out;
	for (int n = 1; n <= MAX_DG; n++) {
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", n);
		if (written[n])
			e = docgen_write_file(o->out_dir, name, dgs[n].data, dgs[n].len, false, err, errlen);
		else
			e = remove_stale(o->out_dir, name, err, errlen);
		if (e)
			goto out;
	}
	if (card_access)
		e = docgen_write_file(o->out_dir, "EF.CardAccess", card_access, card_access_len, false,
		                      err, errlen);
	else
		e = remove_stale(o->out_dir, "EF.CardAccess", err, errlen);
	if (e)
		goto out;
	if ((e = aa_key ? docgen_write_key(o->out_dir, "aa.key", aa_key, err, errlen)
	                : remove_stale(o->out_dir, "aa.key", err, errlen)))
		goto out;
	if ((e = ca_key ? docgen_write_key(o->out_dir, "ca.key", ca_key, err, errlen)
	                : remove_stale(o->out_dir, "ca.key", err, errlen)))
		goto out;
	e = write_document_txt(o, &facts, err, errlen);
out:
	for (int n = 0; n <= MAX_DG; n++)
		buf_free(&dgs[n]);
	buf_free(&com);
	buf_free(&lso);
	buf_free(&sod);
	free(img);
	free(card_access);
	OPENSSL_free(cms);
	EVP_PKEY_free(aa_key);
	EVP_PKEY_free(ca_key);
	docgen_pki_free(&pki);
	return e;
}
