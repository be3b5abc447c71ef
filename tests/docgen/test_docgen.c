/*
 * test_docgen — the document factory makes what a chip holds: a PKI whose
 * certificates have the right roles, DG1 with the persona's MRZ and correct
 * check digits, DG2 with an ISO 19794-5 record (JPEG or JPEG 2000), EF.COM,
 * DG11/DG12, an EF.SOD whose signature verifies and whose hashes match the
 * files, and the appm-docgen command line itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/icao.h"
#include "crypto/tlv.h"
#include "tests/docgen/fixture.h"

/* Worked out by hand for devices/data/personas/wulandari.persona. */
static const char wulandari_mrz[] =
	"P<IDNWULANDARI<<SARI<DEWI<<<<<<<<<<<<<<<<<<<"
	"C4821973<8IDN8804123F3109188<<<<<<<<<<<<<<00";

typedef struct fx {
	char *root;
	const char *pki;
	const char *doc;   /* wulandari, JPEG face, SHA-256 */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = strdup(fx_pki(f->root, "pki", NULL));
	f->doc = strdup(fx_doc(f->root, "doc", f->pki, "wulandari", (docgen_doc_opts){ 0 }));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	free((char *)f->pki);
	free((char *)f->doc);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

static X509 *load_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

/* The value of the first object with `tag` directly inside data. */
static crypto_tlv find(const uint8_t *data, size_t len, uint32_t tag)
{
	crypto_tlv t;
	assert_int_equal(tlv_find(data, len, tag, &t), TLV_OK);
	return t;
}

static void test_pki_roles(void **state)
{
	fx *f = *state;
	X509 *csca = load_cert(fx_path(f->pki, "csca.pem"));
	X509 *ds = load_cert(fx_path(f->pki, "ds.pem"));
	X509 *mls = load_cert(fx_path(f->pki, "mls.pem"));
	assert_int_equal(X509_check_ca(csca), 1);
	assert_int_equal(X509_check_issued(csca, csca), X509_V_OK);
	assert_true(X509_get_key_usage(csca) & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_check_ca(ds), 0);
	assert_int_equal(X509_check_issued(csca, ds), X509_V_OK);
	assert_int_equal(X509_verify(ds, X509_get0_pubkey(csca)), 1);
	assert_true(X509_get_key_usage(ds) & KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_check_issued(csca, mls), X509_V_OK);
	time_t now = time(NULL);
	assert_true(X509_cmp_time(X509_get0_notBefore(ds), &now) < 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(ds), &now) > 0);
	assert_true(fx_exists(fx_path(f->pki, "ds.key")));
	X509_free(csca);
	X509_free(ds);
	X509_free(mls);
}

static void test_pki_expired_ds(void **state)
{
	fx *f = *state;
	docgen_pki_opts o = { .ds_validity = DOCGEN_DS_EXPIRED, .key = DOCGEN_KEY_RSA,
	                      .country = "UTO" };
	const char *dir = fx_pki(f->root, "expired", &o);
	X509 *ds = load_cert(fx_path(dir, "ds.pem"));
	time_t now = time(NULL);
	assert_true(X509_cmp_time(X509_get0_notBefore(ds), &now) < 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(ds), &now) < 0);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(ds)), EVP_PKEY_RSA);
	char cn[64];
	X509_NAME_get_text_by_NID(X509_get_issuer_name(ds), NID_commonName, cn, sizeof cn);
	assert_non_null(strstr(cn, "CSCA UTO"));
	X509_free(ds);
}

static void test_dg1_mrz(void **state)
{
	fx *f = *state;
	size_t len;
	uint8_t *dg1 = fx_read(fx_path(f->doc, "EF.DG1"), &len);
	assert_non_null(dg1);
	crypto_tlv outer;
	assert_int_equal(tlv_parse_one(dg1, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x61);
	crypto_tlv mrz = find(outer.value, outer.len, 0x5F1F);
	assert_int_equal(mrz.len, 88);
	assert_memory_equal(mrz.value, wulandari_mrz, 88);
	const char *l2 = (const char *)mrz.value + 44;
	assert_int_equal(icao_check_digit(l2, 9), l2[9] - '0');
	assert_int_equal(icao_check_digit(l2 + 13, 6), l2[19] - '0');
	assert_int_equal(icao_check_digit(l2 + 21, 6), l2[27] - '0');
	assert_int_equal(icao_check_digit(l2 + 28, 14), l2[42] - '0');
	char composite[39];
	memcpy(composite, l2, 10);
	memcpy(composite + 10, l2 + 13, 7);
	memcpy(composite + 17, l2 + 21, 22);
	assert_int_equal(icao_check_digit(composite, sizeof composite), l2[43] - '0');
	assert_string_equal(fx_doc_value(f->doc, "mrz"), wulandari_mrz);
	assert_string_equal(fx_doc_value(f->doc, "document_number"), "C4821973");
	assert_string_equal(fx_doc_value(f->doc, "birth_date"), "880412");
	assert_string_equal(fx_doc_value(f->doc, "expiry_date"), "310918");
	free(dg1);
}

static void test_ef_com(void **state)
{
	fx *f = *state;
	size_t len;
	uint8_t *com = fx_read(fx_path(f->doc, "EF.COM"), &len);
	assert_non_null(com);
	crypto_tlv outer;
	assert_int_equal(tlv_parse_one(com, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x60);
	crypto_tlv v = find(outer.value, outer.len, 0x5F01);
	assert_memory_equal(v.value, "0107", 4);
	v = find(outer.value, outer.len, 0x5F36);
	assert_memory_equal(v.value, "040000", 6);
	v = find(outer.value, outer.len, 0x5C);
	static const uint8_t tags[] = { 0x61, 0x75, 0x6B, 0x6C };
	assert_int_equal(v.len, sizeof tags);
	assert_memory_equal(v.value, tags, sizeof tags);
	free(com);
}

static void test_dg11_dg12(void **state)
{
	fx *f = *state;
	size_t len;
	uint8_t *dg = fx_read(fx_path(f->doc, "EF.DG11"), &len);
	crypto_tlv outer;
	assert_int_equal(tlv_parse_one(dg, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x6B);
	crypto_tlv v = find(outer.value, outer.len, 0x5F0E);
	assert_int_equal(v.len, strlen("WULANDARI<<SARI<DEWI"));
	assert_memory_equal(v.value, "WULANDARI<<SARI<DEWI", v.len);
	v = find(outer.value, outer.len, 0x5F11);
	assert_memory_equal(v.value, "BANDUNG", 7);
	free(dg);
	dg = fx_read(fx_path(f->doc, "EF.DG12"), &len);
	assert_int_equal(tlv_parse_one(dg, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x6C);
	v = find(outer.value, outer.len, 0x5F26);
	assert_int_equal(v.len, 8);
	assert_memory_equal(v.value, "20260918", 8);
	free(dg);
}

/* Walk 75 / 7F61 / 7F60 / 5F2E to the facial record. */
static crypto_tlv facial_record(const uint8_t *dg2, size_t len)
{
	crypto_tlv outer;
	assert_int_equal(tlv_parse_one(dg2, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x75);
	crypto_tlv group = find(outer.value, outer.len, 0x7F61);
	crypto_tlv count = find(group.value, group.len, 0x02);
	assert_int_equal(count.len, 1);
	assert_int_equal(count.value[0], 1);
	crypto_tlv bit = find(group.value, group.len, 0x7F60);
	crypto_tlv header = find(bit.value, bit.len, 0xA1);
	crypto_tlv type = find(header.value, header.len, 0x81);
	assert_int_equal(type.value[0], 0x02); /* facial features */
	return find(bit.value, bit.len, 0x5F2E);
}

static uint32_t be(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void check_face(const char *doc, int want_type)
{
	size_t len;
	uint8_t *dg2 = fx_read(fx_path(doc, "EF.DG2"), &len);
	assert_non_null(dg2);
	crypto_tlv rec = facial_record(dg2, len);
	const uint8_t *r = rec.value;
	assert_true(rec.len > 14 + 20 + 12);
	assert_memory_equal(r, "FAC\0" "010\0", 8);
	assert_int_equal(be(r + 8, 4), rec.len);
	assert_int_equal(be(r + 12, 2), 1);
	const uint8_t *info = r + 14;
	assert_int_equal(be(info, 4), rec.len - 14);
	assert_int_equal(info[6], 2); /* gender: female */
	const uint8_t *image = info + 20;
	assert_int_equal(image[0], 1);         /* full frontal */
	assert_int_equal(image[1], want_type); /* 0 JPEG, 1 JPEG 2000 */
	assert_int_equal(be(image + 2, 2), 240);
	assert_int_equal(be(image + 4, 2), 320);
	const uint8_t *data = image + 12;
	if (want_type == 0) {
		static const uint8_t soi[] = { 0xFF, 0xD8, 0xFF };
		assert_memory_equal(data, soi, 3);
		size_t face_len;
		uint8_t *face = fx_read(DOCGEN_DATA_DIR "/faces/astronaut.jpg", &face_len);
		assert_non_null(face);
		assert_int_equal(rec.len - 14 - 20 - 12, face_len);
		assert_memory_equal(data, face, face_len);
		free(face);
	} else {
		static const uint8_t jp2[] = { 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A };
		assert_memory_equal(data, jp2, sizeof jp2);
	}
	free(dg2);
}

static void test_dg2_jpeg(void **state)
{
	fx *f = *state;
	check_face(f->doc, 0);
	assert_string_equal(fx_doc_value(f->doc, "face"), "jpeg");
}

static void test_dg2_jp2(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "jp2", f->pki, "wulandari",
	                         (docgen_doc_opts){ .face = DOCGEN_FACE_JP2 });
	check_face(doc, 1);
}

static bool contains(const void *hay, size_t hay_len, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= hay_len; i++)
		if (memcmp((const uint8_t *)hay + i, needle, n) == 0)
			return true;
	return false;
}

/* The SOD verifies against the CSCA with OpenSSL alone, and holds the hash
 * of every file written. */
static void check_sod(const char *pki, const char *doc, const EVP_MD *md, const int *dgs, size_t n)
{
	size_t len;
	uint8_t *sod = fx_read(fx_path(doc, "EF.SOD"), &len);
	assert_non_null(sod);
	crypto_tlv outer;
	assert_int_equal(tlv_parse_one(sod, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x77);
	const unsigned char *p = outer.value;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)outer.len);
	assert_non_null(cms);
	char oid[64];
	OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms), 1);
	assert_string_equal(oid, "2.23.136.1.1.1");

	X509_STORE *store = X509_STORE_new();
	X509 *csca = load_cert(fx_path(pki, "csca.pem"));
	X509_STORE_add_cert(store, csca);
	BIO *out = BIO_new(BIO_s_mem());
	assert_int_equal(CMS_verify(cms, NULL, store, NULL, out, CMS_BINARY), 1);
	char *lso = NULL;
	long lso_len = BIO_get_mem_data(out, &lso);
	assert_true(lso_len > 0);

	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", dgs[i]);
		size_t dlen;
		uint8_t *dg = fx_read(fx_path(doc, name), &dlen);
		assert_non_null(dg);
		unsigned char digest[EVP_MAX_MD_SIZE];
		unsigned mdlen;
		assert_int_equal(EVP_Digest(dg, dlen, digest, &mdlen, md, NULL), 1);
		/* { INTEGER n, OCTET STRING hash } */
		uint8_t entry[4 + 2 + EVP_MAX_MD_SIZE] = { 0x02, 0x01, (uint8_t)dgs[i], 0x04,
		                                           (uint8_t)mdlen };
		memcpy(entry + 5, digest, mdlen);
		assert_true(contains(lso, (size_t)lso_len, entry, 5 + mdlen));
		free(dg);
	}
	BIO_free(out);
	X509_free(csca);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	free(sod);
}

static void test_sod_hashes(void **state)
{
	fx *f = *state;
	static const int dgs[] = { 1, 2, 11, 12 };
	check_sod(f->pki, f->doc, EVP_sha256(), dgs, 4);
	const char *doc = fx_doc(f->root, "sha1", f->pki, "hartono",
	                         (docgen_doc_opts){ .hash = "sha1", .dg15 = true });
	static const int dgs15[] = { 1, 2, 11, 12, 15 };
	check_sod(f->pki, doc, EVP_sha1(), dgs15, 5);
	assert_true(fx_exists(fx_path(doc, "aa.key")));
}

static void test_tamper_changes_one_byte(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "tampered", f->pki, "wulandari",
	                         (docgen_doc_opts){ .tamper_dg = 1 });
	size_t a_len, b_len;
	uint8_t *a = fx_read(fx_path(f->doc, "EF.DG1"), &a_len);
	uint8_t *b = fx_read(fx_path(doc, "EF.DG1"), &b_len);
	assert_int_equal(a_len, b_len);
	int diffs = 0;
	for (size_t i = 0; i < a_len; i++)
		diffs += a[i] != b[i];
	assert_int_equal(diffs, 1);
	free(a);
	free(b);
	/* DG2 is altered outside the image, which still decodes as before. */
	doc = fx_doc(f->root, "tampered2", f->pki, "wulandari", (docgen_doc_opts){ .tamper_dg = 2 });
	a = fx_read(fx_path(f->doc, "EF.DG2"), &a_len);
	b = fx_read(fx_path(doc, "EF.DG2"), &b_len);
	assert_int_equal(a_len, b_len);
	diffs = 0;
	for (size_t i = 0; i < a_len; i++)
		diffs += a[i] != b[i];
	assert_int_equal(diffs, 1);
	check_face(doc, 0);
	free(a);
	free(b);
}

static void test_omit_dg(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "nodg11", f->pki, "lestari",
	                         (docgen_doc_opts){ .omit_dgs = 1u << 11 });
	assert_false(fx_exists(fx_path(doc, "EF.DG11")));
	assert_true(fx_exists(fx_path(doc, "EF.DG12")));
	assert_string_equal(fx_doc_value(doc, "data_groups"), "1,2,12");
}

static void test_persona_errors(void **state)
{
	(void)state;
	docgen_persona p;
	char err[256] = "";
	assert_int_equal(docgen_persona_load("nobody", DOCGEN_DATA_DIR, &p, err, sizeof err),
	                 DOCGEN_ERR_PERSONA);
	assert_non_null(strstr(err, "nobody.persona"));
	assert_int_equal(docgen_persona_load(DOCGEN_DATA_DIR "/personas/hartono.persona", NULL, &p,
	                                     err, sizeof err), DOCGEN_OK);
	assert_string_equal(p.surname, "HARTONO");
	assert_int_equal(p.sex, 'F');
}

/* The command line: help, usage errors, and a PKI plus a document. */
static void test_cli(void **state)
{
	fx *f = *state;
	if (!getenv("APPM_DOCGEN"))
		skip();
	assert_int_equal(fx_run("--help"), 0);
	assert_int_equal(fx_run("pki --help"), 0);
	assert_int_equal(fx_run("doc --help"), 0);
	assert_int_equal(fx_run("masterlist --help"), 0);
	assert_int_equal(fx_run("crl --help"), 0);
	assert_int_equal(fx_run("frobnicate"), 2);
	assert_int_equal(fx_run("pki"), 2);
	assert_int_equal(fx_run("doc --pki x --persona y --out z --hash md5"), 2);
	const char *pki = fx_keep_path(f->root, "cli-pki");
	const char *doc = fx_keep_path(f->root, "cli-doc");
	const char *crl = fx_keep_path(f->root, "cli.crl");
	const char *ml = fx_keep_path(f->root, "cli.ml");
	assert_int_equal(fx_run("pki --out '%s' --key rsa --ds-expired", pki), 0);
	assert_int_equal(fx_run("doc --pki '%s' --persona lestari --out '%s' --face jp2 --pss --dg15",
	                     pki, doc), 0);
	assert_string_equal(fx_doc_value(doc, "document_number"), "E1930648");
	assert_string_equal(fx_doc_value(doc, "data_groups"), "1,2,11,12,15");
	assert_int_equal(fx_run("doc --pki '%s' --persona nobody --out '%s'", pki, doc), 1);
	assert_int_equal(fx_run("crl --pki '%s' --out '%s' --revoke-ds", pki, crl), 0);
	assert_int_equal(fx_run("masterlist --pki '%s' --pki '%s' --out '%s'", pki, f->pki, ml), 0);

	size_t len;
	uint8_t *der = fx_read(crl, &len);
	assert_non_null(der);
	const unsigned char *p = der;
	X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(x);
	X509 *ds = load_cert(fx_path(pki, "ds.pem"));
	X509_REVOKED *rev = NULL;
	assert_int_equal(X509_CRL_get0_by_serial(x, &rev, X509_get0_serialNumber(ds)), 1);
	X509_free(ds);
	X509_CRL_free(x);
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pki_roles),
		cmocka_unit_test(test_pki_expired_ds),
		cmocka_unit_test(test_dg1_mrz),
		cmocka_unit_test(test_ef_com),
		cmocka_unit_test(test_dg11_dg12),
		cmocka_unit_test(test_dg2_jpeg),
		cmocka_unit_test(test_dg2_jp2),
		cmocka_unit_test(test_sod_hashes),
		cmocka_unit_test(test_tamper_changes_one_byte),
		cmocka_unit_test(test_omit_dg),
		cmocka_unit_test(test_persona_errors),
		cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
