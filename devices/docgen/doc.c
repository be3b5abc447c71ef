/*
 * doc — one test e-passport's chip contents from a persona and a PKI: the
 * LDS files of ICAO 9303 part 10 (EF.COM, DG1, DG2, DG11, DG12, DG15) and
 * EF.SOD, the document signer's CMS signature over their hashes (part 10,
 * 4.6.2 and part 12), written byte for byte as a chip holds them.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto/buf.h"

#define OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define MAX_DG 16

/* Tag of each data group's file (part 10, table 34), 0 when not made here. */
static uint32_t dg_tag(int n)
{
	switch (n) {
	case 1: return 0x61;
	case 2: return 0x75;
	case 11: return 0x6B;
	case 12: return 0x6C;
	case 15: return 0x6F;
	default: return 0;
	}
}

static void put_u16(buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	buf_append(b, x, 2);
}

static void put_u32(buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	buf_append(b, x, 4);
}

static void make_dg1(buf *out, const char mrz[89])
{
	buf in = BUF_INIT;
	buf_append_tlv(&in, 0x5F1F, mrz, 88);
	buf_append_tlv(out, 0x61, in.data, in.len);
	out->failed |= in.failed;
	buf_free(&in);
}

/* ISO/IEC 19794-5:2005 facial record with one image, inside the biometric
 * information group template of part 10, 4.7.2. */
static void make_dg2(buf *out, const docgen_persona *p, const uint8_t *img, size_t img_len,
                     int w, int h, docgen_face_format fmt)
{
	buf rec = BUF_INIT;
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
	buf bit = BUF_INIT;
	buf_append_tlv(&bit, 0xA1, header, sizeof header);
	buf_append_tlv(&bit, 0x5F2E, rec.data, rec.len);
	buf group = BUF_INIT;
	static const uint8_t count[] = { 0x02, 0x01, 0x01 };
	buf_append(&group, count, sizeof count);
	buf_append_tlv(&group, 0x7F60, bit.data, bit.len);
	buf bgt = BUF_INIT;
	buf_append_tlv(&bgt, 0x7F61, group.data, group.len);
	buf_append_tlv(out, 0x75, bgt.data, bgt.len);
	out->failed |= rec.failed | bit.failed | group.failed | bgt.failed;
	buf_free(&rec);
	buf_free(&bit);
	buf_free(&group);
	buf_free(&bgt);
}

static void make_dg11(buf *out, const docgen_persona *p)
{
	char name[96];
	snprintf(name, sizeof name, "%s%s%s", p->surname, p->given_names[0] ? "<<" : "",
	         p->given_names);
	for (char *c = name; *c; c++)
		if (*c == ' ')
			*c = '<';
	buf in = BUF_INIT, tags = BUF_INIT;
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

static void make_dg12(buf *out, const docgen_persona *p)
{
	buf in = BUF_INIT, tags = BUF_INIT;
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

static void make_com(buf *out, const bool present[MAX_DG + 1], bool lds18)
{
	buf in = BUF_INIT;
	buf tags = BUF_INIT;
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
static docgen_err make_lds_security_object(buf *out, const EVP_MD *md, buf dgs[MAX_DG + 1],
                                           const bool sign[MAX_DG + 1], bool lds18,
                                           char *err, size_t errlen)
{
	unsigned char *oid_der = NULL;
	int oid_len = i2d_ASN1_OBJECT(OBJ_nid2obj(EVP_MD_get_type(md)), &oid_der);
	if (oid_len <= 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true, "cannot encode the hash OID");
	buf seq = BUF_INIT, alg = BUF_INIT, hashes = BUF_INIT, one = BUF_INIT, ver = BUF_INIT;
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
static void tamper(buf *dg, int n)
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

static docgen_err write_document_txt(const docgen_doc_opts *o, const char mrz[89],
                                     const bool present[MAX_DG + 1], const char *hash,
                                     char *err, size_t errlen)
{
	const docgen_persona *p = o->persona;
	char dgs[64] = "";
	for (int n = 1; n <= MAX_DG; n++) {
		if (present[n]) {
			size_t used = strlen(dgs);
			snprintf(dgs + used, sizeof dgs - used, "%s%d", used ? "," : "", n);
		}
	}
	char doc_number[10];
	memcpy(doc_number, mrz + 44, 9);
	doc_number[9] = '\0';
	char *fill = strchr(doc_number, '<');
	if (fill)
		*fill = '\0';
	char text[1024];
	int len = snprintf(text, sizeof text,
	                   "document_number=%s\nbirth_date=%s\nexpiry_date=%s\nmrz=%s\n"
	                   "surname=%s\ngiven_names=%s\nnationality=%s\nface=%s\nhash=%s\n"
	                   "data_groups=%s\ntampered_dg=%d\n",
	                   doc_number, p->birth_date, p->expiry_date, mrz, p->surname,
	                   p->given_names, p->nationality,
	                   o->face == DOCGEN_FACE_JP2 ? "jp2" : "jpeg", hash, dgs, o->tamper_dg);
	if (len < 0 || (size_t)len >= sizeof text)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "document.txt too long");
	return docgen_write_file(o->out_dir, "document.txt", text, (size_t)len, false, err, errlen);
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

	bool present[MAX_DG + 1] = { false };
	present[1] = present[2] = present[11] = present[12] = true;
	present[15] = o->dg15;
	for (int n = 1; n <= MAX_DG; n++)
		if (o->omit_dgs & (1u << n))
			present[n] = false;
	bool sign[MAX_DG + 1];
	for (int n = 0; n <= MAX_DG; n++)
		sign[n] = present[n] && !(o->unsigned_dgs & (1u << n));
	if (o->tamper_dg && !present[o->tamper_dg])
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
		                   "--tamper %d names a data group this document does not have",
		                   o->tamper_dg);

	docgen_pki pki = { 0 };
	docgen_err e = docgen_pki_load(o->pki_dir, &pki, err, errlen);
	if (e)
		return e;
	buf dgs[MAX_DG + 1];
	for (int n = 0; n <= MAX_DG; n++)
		dgs[n] = BUF_INIT;
	buf com = BUF_INIT, lso = BUF_INIT, sod = BUF_INIT;
	uint8_t *img = NULL, *cms = NULL;
	size_t img_len = 0, cms_len = 0;
	EVP_PKEY *aa_key = NULL;
	char mrz[89];
	bool lds18 = o->lds_1_8;

	if ((e = docgen_mkdirs(o->out_dir, err, errlen)))
		goto out;
	if (docgen_mrz_td3(o->persona, mrz) != DOCGEN_OK) {
		e = docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                "the persona cannot be written as an MRZ");
		goto out;
	}
	if (present[1])
		make_dg1(&dgs[1], mrz);
	if (present[2]) {
		int w = 0, h = 0;
		if ((e = docgen_face_image(o->persona->face_path, o->face, &img, &img_len, &w, &h,
		                           err, errlen)))
			goto out;
		make_dg2(&dgs[2], o->persona, img, img_len, w, h, o->face);
	}
	if (present[11])
		make_dg11(&dgs[11], o->persona);
	if (present[12])
		make_dg12(&dgs[12], o->persona);
	if (present[15]) {
		aa_key = EVP_RSA_gen(2048);
		unsigned char *spki = NULL;
		int spki_len = aa_key ? i2d_PUBKEY(aa_key, &spki) : 0;
		if (spki_len <= 0) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_CRYPTO, true,
			                "cannot make the active authentication key");
			goto out;
		}
		buf_append_tlv(&dgs[15], 0x6F, spki, (size_t)spki_len);
		OPENSSL_free(spki);
		if ((e = docgen_write_key(o->out_dir, "aa.key", aa_key, err, errlen)))
			goto out;
	}
	make_com(&com, present, lds18);
	for (int n = 0; n <= MAX_DG; n++) {
		if (!buf_ok(&dgs[n])) {
			e = docgen_fail(err, errlen, DOCGEN_ERR_NOMEM, false, "out of memory");
			goto out;
		}
	}

	if ((e = make_lds_security_object(&lso, md, dgs, sign, lds18, err, errlen)))
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
		if (!present[n])
			continue;
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", n);
		if ((e = docgen_write_file(o->out_dir, name, dgs[n].data, dgs[n].len, false,
		                           err, errlen)))
			goto out;
	}
	e = write_document_txt(o, mrz, present, hash, err, errlen);
out:
	for (int n = 0; n <= MAX_DG; n++)
		buf_free(&dgs[n]);
	buf_free(&com);
	buf_free(&lso);
	buf_free(&sod);
	free(img);
	OPENSSL_free(cms);
	EVP_PKEY_free(aa_key);
	docgen_pki_free(&pki);
	return e;
}
