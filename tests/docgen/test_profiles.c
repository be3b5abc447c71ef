/*
 * test_profiles — the documents of issue 3's virtual passports: every
 * profile's files parse with the reader's own parsers (crypto/lds,
 * crypto/secinfo) and with OpenPACE, EF.SOD covers what it should and
 * passive authentication (crypto/pa) passes, the chip's keys (aa.key,
 * ca.key) match DG15 and DG14, and the personalisation faults (a data group
 * listed but absent, present but unlisted) are what they claim. One PKI (EC,
 * quick to make) serves every test.
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
#include <eac/eac.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/aa.h"
#include "crypto/lds/face.h"
#include "crypto/lds/lds.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "tests/docgen/fixture.h"

#define DG(n) (1u << (n))
#define BASIC (DG(1) | DG(2) | DG(11) | DG(12))

#define OID_PACE_ECDH_GM_AES128 "0.4.0.127.0.7.2.2.4.2.2"
#define OID_PACE_ECDH_CAM_AES128 "0.4.0.127.0.7.2.2.4.6.2"
#define OID_PACE_DH_GM_3DES "0.4.0.127.0.7.2.2.4.1.1"
#define OID_CA_ECDH_AES128 "0.4.0.127.0.7.2.2.3.2.2"
#define OID_CA_DH_3DES "0.4.0.127.0.7.2.2.3.1.1"

typedef struct fx {
	char *root;
	const char *pki;
	pa_trust *trust;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = fx_pki(f->root, "pki", NULL);
	f->trust = fx_trust(f->pki);
	EAC_init();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	pa_trust_free(f->trust);
	fx_rmtree(f->root);
	free(f);
	EAC_cleanup();
	return 0;
}

/* What a document should hold. */
typedef struct expect {
	uint32_t written, listed, hashed;  /* data groups: files, in EF.COM, in EF.SOD */
	const char *pace_oid;              /* EF.CardAccess's one PACEInfo; NULL: no file */
	int pace_param;
	const char *ca_oid;                /* DG14's ChipAuthenticationInfo; NULL: no CA */
	const char *ca_domain;             /* ca.key's curve or DH group */
	bool dg14_cam;                     /* DG14 repeats the CAM PACEInfo */
	int aa;                            /* 0 none, EVP_PKEY_RSA or EVP_PKEY_EC */
	const char *aa_curve;
	lds_image_type face;
	size_t face_target;                /* 0: the persona's JPEG as stored */
} expect;

/* "1,2,11" from a mask, as document.txt writes it. */
static const char *mask_list(uint32_t mask)
{
	static char out[64];
	out[0] = '\0';
	for (int n = 1; n <= 16; n++) {
		if (mask & DG(n)) {
			size_t used = strlen(out);
			snprintf(out + used, sizeof out - used, "%s%d", used ? "," : "", n);
		}
	}
	return out;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(k);
	return k;
}

static bool contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= hay_len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

/* OpenPACE reads the SET OF SecurityInfo (DG14 without its 6E wrapper). */
static void openpace_reads(const uint8_t *data, size_t len)
{
	const uint8_t *p = data;
	if (len > 2 && data[0] == 0x6E) {
		size_t hl = data[1] & 0x80 ? 2u + (data[1] & 0x7Fu) : 2u;
		assert_true(hl < len);
		p = data + hl;
		len -= hl;
	}
	EAC_CTX *ctx = EAC_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EAC_CTX_init_ef_cardaccess(p, len, ctx), 1);
	EAC_CTX_clear_free(ctx);
}

static const secinfo_entry *find_kind(const secinfo_list *l, secinfo_kind kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->entries[i].kind == kind)
			return &l->entries[i];
	return NULL;
}

static void check_card_access(const char *doc, const expect *x)
{
	size_t len;
	uint8_t *ca = fx_read(fx_path(doc, "EF.CardAccess"), &len);
	if (!x->pace_oid) {
		assert_null(ca);
		assert_string_equal(fx_doc_value(doc, "can"), "");
		return;
	}
	assert_non_null(ca);
	secinfo_list l;
	assert_int_equal(secinfo_parse(ca, len, &l), CRYPTO_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.entries[0].kind, SECINFO_PACE);
	assert_string_equal(l.entries[0].oid, x->pace_oid);
	assert_int_equal(l.entries[0].version, 2);
	assert_int_equal(l.entries[0].id, x->pace_param);
	secinfo_list_free(&l);
	openpace_reads(ca, len);
	const char *can = fx_doc_value(doc, "can");
	assert_int_equal(strlen(can), 6);
	assert_int_equal(strspn(can, "0123456789"), 6);
	free(ca);
}

/* DG14's security infos, and ca.key is the key DG14 publishes. */
static void check_dg14(const char *doc, const expect *x, const uint8_t *dg14, size_t len)
{
	secinfo_list l;
	assert_int_equal(secinfo_parse(dg14, len, &l), CRYPTO_OK);
	size_t want = 0;

	const secinfo_entry *ca = find_kind(&l, SECINFO_CA);
	const secinfo_entry *pk = find_kind(&l, SECINFO_CA_PUBLIC_KEY);
	if (x->ca_oid) {
		assert_non_null(ca);
		assert_non_null(pk);
		assert_string_equal(ca->oid, x->ca_oid);
		assert_int_equal(ca->version, 1);
		want += 2;
		/* ca.key's public value is the one in ChipAuthenticationPublicKeyInfo. */
		EVP_PKEY *key = load_key(fx_path(doc, "ca.key"));
		char group[64] = "";
		size_t glen = 0;
		assert_int_equal(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                                sizeof group, &glen), 1);
		assert_string_equal(group, x->ca_domain);
		uint8_t pub[512];
		size_t pub_len = 0;
		if (EVP_PKEY_is_a(key, "EC")) {
			assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
			                                                 pub, sizeof pub, &pub_len), 1);
		} else {
			assert_true(EVP_PKEY_is_a(key, "DHX"));
			BIGNUM *y = NULL;
			assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y), 1);
			pub_len = (size_t)BN_bn2bin(y, pub);
			BN_free(y);
		}
		assert_true(pub_len > 32);
		assert_true(contains(dg14 + pk->offset, pk->len, pub, pub_len));
		EVP_PKEY_free(key);
	} else {
		assert_null(ca);
		assert_null(pk);
		assert_false(fx_exists(fx_path(doc, "ca.key")));
	}
	const secinfo_entry *cam = find_kind(&l, SECINFO_PACE);
	if (x->dg14_cam) {
		assert_non_null(cam);
		assert_string_equal(cam->oid, OID_PACE_ECDH_CAM_AES128);
		assert_int_equal(cam->id, x->pace_param);
		want++;
	} else {
		assert_null(cam);
	}
	const secinfo_entry *aa = find_kind(&l, SECINFO_AA);
	if (x->aa == EVP_PKEY_EC) {
		assert_non_null(aa);
		assert_int_equal(aa->version, 1);
		aa_hash h = AA_HASH_DEFAULT;
		assert_int_equal(aa_hash_from_dg14_info(dg14 + aa->offset, aa->len, &h), CRYPTO_OK);
		assert_int_equal(h, AA_HASH_SHA256);
		want++;
	} else {
		assert_null(aa);
	}
	assert_int_equal(l.n, want);
	secinfo_list_free(&l);
	openpace_reads(dg14, len);
}

/* DG15's key is aa.key's, and it answers a challenge as a chip would. */
static void check_dg15(const char *doc, const expect *x, const uint8_t *dg15, size_t len,
                       const uint8_t *dg14, size_t dg14_len)
{
	lds_dg15 *k = NULL;
	assert_int_equal(lds_dg15_parse(dg15, len, &k), LDS_OK);
	assert_int_equal(k->type, x->aa == EVP_PKEY_RSA ? LDS_KEY_RSA : LDS_KEY_EC);
	if (x->aa == EVP_PKEY_RSA)
		assert_int_equal(k->bits, 2048);
	else
		assert_string_equal(k->curve, x->aa_curve);
	EVP_PKEY *priv = load_key(fx_path(doc, "aa.key"));
	unsigned char *spki = NULL;
	int spki_len = i2d_PUBKEY(priv, &spki);
	assert_int_equal((size_t)spki_len, k->der_len);
	assert_memory_equal(spki, k->der, k->der_len);
	OPENSSL_free(spki);

	aa_hash hash = AA_HASH_DEFAULT;
	if (x->aa == EVP_PKEY_EC) {
		secinfo_list l;
		assert_int_equal(secinfo_parse(dg14, dg14_len, &l), CRYPTO_OK);
		const secinfo_entry *aa = find_kind(&l, SECINFO_AA);
		assert_non_null(aa);
		assert_int_equal(aa_hash_from_dg14_info(dg14 + aa->offset, aa->len, &hash), CRYPTO_OK);
		secinfo_list_free(&l);
	}
	uint8_t challenge[AA_CHALLENGE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	crypto_buf sig = CRYPTO_BUF_INIT;
	assert_int_equal(aa_sign(priv, hash, challenge, &sig), CRYPTO_OK);
	aa_result r;
	assert_int_equal(aa_verify(k->der, k->der_len, hash, challenge, sig.data, sig.len, &r), CRYPTO_OK);
	assert_true(r.passed);
	buf_free(&sig);
	EVP_PKEY_free(priv);
	lds_dg15_free(k);
}

static void check_dg2(const uint8_t *data, size_t len, const expect *x)
{
	lds_dg2 *dg2 = NULL;
	assert_int_equal(lds_dg2_parse(data, len, &dg2), LDS_OK);
	const lds_face *face = lds_dg2_face(dg2);
	assert_non_null(face);
	assert_int_equal(face->image_data_type, x->face);
	if (x->face_target) {
		/* within 5% of the size asked for */
		assert_true(face->image_len * 100 >= x->face_target * 95);
		assert_true(face->image_len * 100 <= x->face_target * 105);
	}
	face_image *img = NULL;
	assert_int_equal(face_decode(face->image, face->image_len, &img), FACE_OK);
	assert_int_equal(img->format, x->face == LDS_IMAGE_JPEG ? FACE_FORMAT_JPEG : FACE_FORMAT_JP2);
	assert_int_equal(img->width, face->width);
	assert_int_equal(img->height, face->height);
	face_image_free(img);
	lds_dg2_free(dg2);
}

/* Every check of a generated document against what it should be. */
static void check_doc(const fx *f, const char *doc, const expect *x)
{
	assert_string_equal(fx_doc_value(doc, "data_groups"), mask_list(x->written));
	assert_string_equal(fx_doc_value(doc, "com_dgs"), mask_list(x->listed));
	assert_string_equal(fx_doc_value(doc, "sod_dgs"), mask_list(x->hashed));

	size_t len;
	uint8_t *com_data = fx_read(fx_path(doc, "EF.COM"), &len);
	assert_non_null(com_data);
	lds_com com;
	assert_int_equal(lds_com_parse(com_data, len, &com), LDS_OK);
	free(com_data);

	uint8_t *dg[17] = { NULL };
	size_t dg_len[17] = { 0 };
	pa_dg dgs[16];
	size_t n_dgs = 0;
	for (int n = 1; n <= 16; n++) {
		assert_int_equal(lds_com_has(&com, lds_file_dg(n)), (x->listed & DG(n)) != 0);
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", n);
		dg[n] = fx_read(fx_path(doc, name), &dg_len[n]);
		assert_int_equal(dg[n] != NULL, (x->written & DG(n)) != 0);
		if (dg[n])
			dgs[n_dgs++] = (pa_dg){ n, dg[n], dg_len[n] };
	}
	if (dg[1]) {
		lds_mrz mrz;
		assert_int_equal(lds_dg1_parse(dg[1], dg_len[1], &mrz), LDS_OK);
		assert_true(lds_mrz_checks_ok(&mrz));
	}
	if (dg[2])
		check_dg2(dg[2], dg_len[2], x);
	if (dg[11]) {
		lds_dg11 *d = NULL;
		assert_int_equal(lds_dg11_parse(dg[11], dg_len[11], &d), LDS_OK);
		lds_dg11_free(d);
	}
	if (dg[12]) {
		lds_dg12 *d = NULL;
		assert_int_equal(lds_dg12_parse(dg[12], dg_len[12], &d), LDS_OK);
		lds_dg12_free(d);
	}
	if (dg[14])
		check_dg14(doc, x, dg[14], dg_len[14]);
	else if (x->written & DG(14))
		fail_msg("DG14 missing");
	if (dg[15])
		check_dg15(doc, x, dg[15], dg_len[15], dg[14], dg_len[14]);
	else
		assert_int_equal(fx_exists(fx_path(doc, "aa.key")), x->aa != 0);
	check_card_access(doc, x);

	/* Passive authentication over the files on the chip. */
	size_t sod_len;
	uint8_t *sod = fx_read(fx_path(doc, "EF.SOD"), &sod_len);
	assert_non_null(sod);
	pa_report r;
	char err[256] = "";
	if (pa_verify(f->trust, sod, sod_len, dgs, n_dgs, time(NULL), &r, err, sizeof err) != CRYPTO_OK)
		fail_msg("pa_verify: %s", err);
	uint32_t covered = 0;
	for (size_t i = 0; i < r.n_covered; i++)
		covered |= DG(r.covered[i]);
	assert_int_equal(covered, x->hashed);
	bool all_written_hashed = (x->written & ~x->hashed) == 0;
	assert_int_equal(r.passed, all_written_hashed);
	assert_int_equal(r.sod_signature.status, PA_PASS);
	assert_int_equal(r.chain.status, PA_PASS);
	free(sod);
	for (int n = 1; n <= 16; n++)
		free(dg[n]);
}

static const char *make_profile(const fx *f, const char *profile, const char *persona,
                                docgen_doc_opts *extra)
{
	docgen_doc_opts o = extra ? *extra : (docgen_doc_opts){ 0 };
	char err[256] = "";
	if (docgen_doc_profile(profile, &o, err, sizeof err) != DOCGEN_OK)
		fail_msg("docgen_doc_profile: %s", err);
	char name[64];
	snprintf(name, sizeof name, "%s-%s", profile, persona);
	const char *doc = fx_doc(f->root, name, f->pki, persona, o);
	assert_string_equal(fx_doc_value(doc, "profile"), profile);
	return doc;
}

static void test_profile_bac(void **state)
{
	const char *doc = make_profile(*state, "bac", "wulandari", NULL);
	check_doc(*state, doc, &(expect){ .written = BASIC, .listed = BASIC, .hashed = BASIC });
}

static void test_profile_pace(void **state)
{
	const char *doc = make_profile(*state, "pace", "wulandari", NULL);
	check_doc(*state, doc, &(expect){ .written = BASIC, .listed = BASIC, .hashed = BASIC,
	                                  .pace_oid = OID_PACE_ECDH_GM_AES128, .pace_param = 13 });
	assert_string_equal(fx_doc_value(doc, "can"), "418307"); /* the persona's can= */
}

static void test_profile_pace_cam(void **state)
{
	const char *doc = make_profile(*state, "pace-cam", "hartono", NULL);
	uint32_t dgs = BASIC | DG(14);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .pace_oid = OID_PACE_ECDH_CAM_AES128, .pace_param = 13,
	                                  .ca_oid = OID_CA_ECDH_AES128, .ca_domain = "brainpoolP256r1",
	                                  .dg14_cam = true });
}

static void test_profile_ca(void **state)
{
	const char *doc = make_profile(*state, "ca", "lestari", NULL);
	uint32_t dgs = BASIC | DG(14);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .pace_oid = OID_PACE_ECDH_GM_AES128, .pace_param = 13,
	                                  .ca_oid = OID_CA_ECDH_AES128, .ca_domain = "brainpoolP256r1" });
}

static void test_profile_pace_dh(void **state)
{
	const char *doc = make_profile(*state, "pace-dh", "wulandari", NULL);
	uint32_t dgs = BASIC | DG(14);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .pace_oid = OID_PACE_DH_GM_3DES, .pace_param = 0,
	                                  .ca_oid = OID_CA_DH_3DES, .ca_domain = "dh_1024_160" });
}

static void test_profile_aa_rsa(void **state)
{
	const char *doc = make_profile(*state, "aa-rsa", "wulandari", NULL);
	uint32_t dgs = BASIC | DG(15);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .aa = EVP_PKEY_RSA });
	assert_string_equal(fx_doc_value(doc, "aa"), "rsa-2048");
}

static void test_profile_aa_ecdsa(void **state)
{
	const char *doc = make_profile(*state, "aa-ecdsa", "wulandari", NULL);
	uint32_t dgs = BASIC | DG(14) | DG(15);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .aa = EVP_PKEY_EC, .aa_curve = "prime256v1" });
	/* the other curve: the profile sets aa_curve, so the override follows it */
	docgen_doc_opts o = { 0 };
	assert_int_equal(docgen_doc_profile("aa-ecdsa", &o, NULL, 0), DOCGEN_OK);
	o.aa_curve = "brainpoolP256r1";
	doc = fx_doc(((fx *)*state)->root, "aa-ecdsa-bp", ((fx *)*state)->pki, "hartono", o);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .aa = EVP_PKEY_EC, .aa_curve = "brainpoolP256r1" });
}

static void test_profile_large_dg2(void **state)
{
	const char *doc = make_profile(*state, "large-dg2", "wulandari", NULL);
	check_doc(*state, doc, &(expect){ .written = BASIC, .listed = BASIC, .hashed = BASIC,
	                                  .face = LDS_IMAGE_JPEG2000, .face_target = 30 * 1024 });
}

static void test_profile_typical(void **state)
{
	const char *doc = make_profile(*state, "typical", "lestari", NULL);
	uint32_t dgs = DG(1) | DG(2) | DG(14) | DG(15);
	check_doc(*state, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                                  .pace_oid = OID_PACE_ECDH_GM_AES128, .pace_param = 13,
	                                  .ca_oid = OID_CA_ECDH_AES128, .ca_domain = "brainpoolP256r1",
	                                  .aa = EVP_PKEY_RSA, .face_target = 20 * 1024 });
}

/* Listed in EF.COM and hashed in the SOD, but not on the chip: what a
 * mis-personalised chip looks like. The files there still verify. */
static void test_absent_dg(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "absent", f->pki, "wulandari",
	                         (docgen_doc_opts){ .absent_dgs = DG(11) });
	check_doc(f, doc, &(expect){ .written = BASIC & ~DG(11), .listed = BASIC, .hashed = BASIC });
}

/* On the chip and hashed in the SOD, but not in EF.COM's list. */
static void test_unlisted_dg(void **state)
{
	fx *f = *state;
	const char *doc = make_profile(f, "ca", "wulandari", &(docgen_doc_opts){ .unlisted_dgs = DG(12) });
	uint32_t dgs = BASIC | DG(14);
	check_doc(f, doc, &(expect){ .written = dgs, .listed = dgs & ~DG(12), .hashed = dgs,
	                             .pace_oid = OID_PACE_ECDH_GM_AES128, .pace_param = 13,
	                             .ca_oid = OID_CA_ECDH_AES128, .ca_domain = "brainpoolP256r1" });
}

/* The older faults keep their meaning: omitted is nowhere, unsigned is
 * listed and written but not hashed (and fails passive authentication). */
static void test_omitted_and_unsigned_dg(void **state)
{
	fx *f = *state;
	const char *doc = fx_doc(f->root, "omit", f->pki, "wulandari",
	                         (docgen_doc_opts){ .omit_dgs = DG(11) });
	uint32_t dgs = BASIC & ~DG(11);
	check_doc(f, doc, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs });
	doc = fx_doc(f->root, "unsigned", f->pki, "wulandari", (docgen_doc_opts){ .unsigned_dgs = DG(12) });
	check_doc(f, doc, &(expect){ .written = BASIC, .listed = BASIC, .hashed = BASIC & ~DG(12) });
}

static docgen_err try_doc(const fx *f, const char *name, docgen_doc_opts o, char *err, size_t errlen)
{
	docgen_persona p;
	assert_int_equal(docgen_persona_load("wulandari", DOCGEN_DATA_DIR, &p, err, errlen), DOCGEN_OK);
	o.pki_dir = f->pki;
	o.persona = &p;
	o.out_dir = fx_keep_path(f->root, name);
	return docgen_doc_create(&o, err, errlen);
}

static void test_option_errors(void **state)
{
	fx *f = *state;
	char err[256] = "";
	static const docgen_pace_info cam[] = { { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 } };
	static const docgen_pace_info not_pace[] = { { "id-CA-ECDH-AES-CBC-CMAC-128", 13 } };
	assert_int_equal(try_doc(f, "e1", (docgen_doc_opts){ .absent_dgs = DG(11), .unlisted_dgs = DG(11) },
	                         err, sizeof err), DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e2", (docgen_doc_opts){ .absent_dgs = DG(3) }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "3"));
	assert_int_equal(try_doc(f, "e3", (docgen_doc_opts){ .unlisted_dgs = DG(14) }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e4", (docgen_doc_opts){ .pace = cam, .n_pace = 1 }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "PACE-CAM"));
	assert_int_equal(try_doc(f, "e5", (docgen_doc_opts){ .pace = not_pace, .n_pace = 1 }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e6", (docgen_doc_opts){ .ca_protocol = "id-PACE-ECDH-GM-AES-CBC-CMAC-128" },
	                         err, sizeof err), DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e7", (docgen_doc_opts){ .ca_protocol = "id-CA-ECDH-AES-CBC-CMAC-128",
	                                                     .ca_domain = "nosuchcurve" }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "nosuchcurve"));
	assert_int_equal(try_doc(f, "e8", (docgen_doc_opts){ .dg15 = true, .aa_key = DOCGEN_AA_ECDSA,
	                                                     .aa_curve = "nosuchcurve" }, err, sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e9", (docgen_doc_opts){ .can = "12345" }, err, sizeof err), DOCGEN_ERR_ARG);
	assert_int_equal(try_doc(f, "e10", (docgen_doc_opts){ .face_bytes = 4u << 20 }, err, sizeof err),
	                 DOCGEN_ERR_IMAGE);
	assert_int_equal(docgen_doc_profile("nosuch", &(docgen_doc_opts){ 0 }, err, sizeof err), DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "nosuch"));
}

/* A profile sets all of its bundle, whatever was there before. */
static void test_profile_resets_its_fields(void **state)
{
	(void)state;
	static const char *const names[] = { "bac", "pace", "pace-cam", "ca", "pace-dh",
	                                     "aa-rsa", "aa-ecdsa", "large-dg2", "typical" };
	size_t i = 0;
	const char *summary = NULL;
	for (const char *name; (name = docgen_profile_name(i, &summary)); i++) {
		assert_true(i < sizeof names / sizeof names[0]);
		assert_string_equal(name, names[i]);
		assert_non_null(summary);
		assert_true(strlen(summary) > 10 && strlen(summary) <= 66);
	}
	assert_int_equal(i, sizeof names / sizeof names[0]);
	docgen_doc_opts o = { 0 };
	assert_int_equal(docgen_doc_profile("typical", &o, NULL, 0), DOCGEN_OK);
	o.hash = "sha384";
	assert_int_equal(docgen_doc_profile("bac", &o, NULL, 0), DOCGEN_OK);
	assert_int_equal(o.n_pace, 0);
	assert_null(o.ca_protocol);
	assert_false(o.dg15);
	assert_int_equal(o.omit_dgs, 0);
	assert_int_equal(o.face_bytes, 0);
	assert_string_equal(o.hash, "sha384"); /* not part of a profile */
}

static void test_can(void **state)
{
	fx *f = *state;
	docgen_persona p;
	char err[256] = "";
	assert_int_equal(docgen_persona_load("hartono", DOCGEN_DATA_DIR, &p, err, sizeof err), DOCGEN_OK);
	assert_string_equal(p.can, "");
	char a[7], b[7];
	docgen_persona_can(&p, a);
	docgen_persona_can(&p, b);
	assert_string_equal(a, b);
	assert_int_equal(strspn(a, "0123456789"), 6);
	assert_int_equal(docgen_persona_load("lestari", DOCGEN_DATA_DIR, &p, err, sizeof err), DOCGEN_OK);
	assert_string_equal(p.can, "652904");
	docgen_persona_can(&p, a);
	assert_string_equal(a, "652904");

	const char *doc = make_profile(f, "pace", "hartono", NULL);
	assert_string_equal(fx_doc_value(doc, "can"), b);
	doc = make_profile(f, "pace", "lestari", &(docgen_doc_opts){ .can = "000417" });
	assert_string_equal(fx_doc_value(doc, "can"), "000417");
}

/* A document made over another in the same directory leaves none of the
 * other's files behind. */
static void test_stale_files_removed(void **state)
{
	fx *f = *state;
	docgen_doc_opts o = { 0 };
	assert_int_equal(docgen_doc_profile("typical", &o, NULL, 0), DOCGEN_OK);
	o.aa_key = DOCGEN_AA_ECDSA; /* quicker than RSA */
	const char *doc = fx_doc(f->root, "reused", f->pki, "wulandari", o);
	assert_true(fx_exists(fx_path(doc, "EF.CardAccess")));
	assert_true(fx_exists(fx_path(doc, "ca.key")));
	doc = fx_doc(f->root, "reused", f->pki, "wulandari", (docgen_doc_opts){ .absent_dgs = DG(2) });
	check_doc(f, doc, &(expect){ .written = BASIC & ~DG(2), .listed = BASIC, .hashed = BASIC });
	assert_false(fx_exists(fx_path(doc, "ca.key")));
	assert_false(fx_exists(fx_path(doc, "aa.key")));
}

/* ---- the command line ---- */

static void test_cli_profiles(void **state)
{
	fx *f = *state;
	const char *exe = getenv("APPM_DOCGEN");
	if (!exe)
		skip();
	/* --help names every profile with a line of its own */
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' --help", exe);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char help[8192];
	size_t n = fread(help, 1, sizeof help - 1, p);
	help[n] = '\0';
	assert_int_equal(pclose(p), 0);
	const char *name;
	for (size_t i = 0; (name = docgen_profile_name(i, NULL)); i++) {
		char line[32];
		snprintf(line, sizeof line, "\n  %s ", name);
		assert_non_null(strstr(help, line));
	}

	const char *d1 = fx_keep_path(f->root, "cli-1");
	const char *d2 = fx_keep_path(f->root, "cli-2");
	const char *d3 = fx_keep_path(f->root, "cli-3");
	assert_int_equal(fx_run("doc --pki '%s' --persona lestari --out '%s' --profile nosuch", f->pki, d1), 2);
	assert_int_equal(fx_run("doc --pki '%s' --persona lestari --out '%s' --profile pace --pace bogus", f->pki, d1), 2);
	/* options after or before the profile override it */
	assert_int_equal(fx_run("doc --no-pace --pki '%s' --persona lestari --out '%s' --profile ca --ca none",
	                     f->pki, d1), 0);
	check_doc(f, d1, &(expect){ .written = BASIC, .listed = BASIC, .hashed = BASIC });
	assert_int_equal(fx_run("doc --pki '%s' --persona lestari --out '%s' --profile typical --aa ecdsa "
	                     "--aa-curve brainpoolP256r1 --pace id-PACE-ECDH-GM-AES-CBC-CMAC-256:12 "
	                     "--ca id-CA-ECDH-AES-CBC-CMAC-256 --can 000123 --face-bytes 12000",
	                     f->pki, d2), 0);
	uint32_t dgs = DG(1) | DG(2) | DG(14) | DG(15);
	check_doc(f, d2, &(expect){ .written = dgs, .listed = dgs, .hashed = dgs,
	                            .pace_oid = "0.4.0.127.0.7.2.2.4.2.4", .pace_param = 12,
	                            .ca_oid = "0.4.0.127.0.7.2.2.3.2.4", .ca_domain = "prime256v1",
	                            .aa = EVP_PKEY_EC, .aa_curve = "brainpoolP256r1", .face_target = 12000 });
	assert_string_equal(fx_doc_value(d2, "can"), "000123");
	assert_int_equal(fx_run("doc --pki '%s' --persona wulandari --out '%s' --absent-dg 12 --unlisted-dg 11",
	                     f->pki, d3), 0);
	check_doc(f, d3, &(expect){ .written = BASIC & ~DG(12), .listed = BASIC & ~DG(11), .hashed = BASIC });
	assert_int_equal(fx_run("doc --pki '%s' --persona wulandari --out '%s' --absent-dg 12 --unlisted-dg 12",
	                     f->pki, d3), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_bac),
		cmocka_unit_test(test_profile_pace),
		cmocka_unit_test(test_profile_pace_cam),
		cmocka_unit_test(test_profile_ca),
		cmocka_unit_test(test_profile_pace_dh),
		cmocka_unit_test(test_profile_aa_rsa),
		cmocka_unit_test(test_profile_aa_ecdsa),
		cmocka_unit_test(test_profile_large_dg2),
		cmocka_unit_test(test_profile_typical),
		cmocka_unit_test(test_absent_dg),
		cmocka_unit_test(test_unlisted_dg),
		cmocka_unit_test(test_omitted_and_unsigned_dg),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test(test_profile_resets_its_fields),
		cmocka_unit_test(test_can),
		cmocka_unit_test(test_stale_files_removed),
		cmocka_unit_test(test_cli_profiles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
