/*
 * test_secinfo — the security-info encoders of the document factory
 * (docgen_card_access_encode, docgen_dg14_encode) round trip through our
 * own parser (crypto/secinfo) and through OpenPACE, which is what the
 * terminal uses to pick PACE and CA parameters: OpenPACE must take the
 * protocols, parameter ids, key ids and the chip authentication public key
 * back out. The parser's defences: truncations, bad wrappers, junk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <eac/ca.h>
#include <eac/eac.h>
#include <eac/objects.h>
#include <eac/pace.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/secinfo.h"
#include "devices/docgen/docgen.h"

static int setup_eac(void **state)
{
	EAC_init();
	return 0;
}

static void test_oid_table(void **state)
{
	char oid[64];
	assert_true(secinfo_oid_from_name("id-PACE-ECDH-GM-AES-CBC-CMAC-128", oid, sizeof oid));
	assert_string_equal(oid, "0.4.0.127.0.7.2.2.4.2.2");
	assert_true(secinfo_oid_from_name("id-PACE-ECDH-CAM-AES-CBC-CMAC-256", oid, sizeof oid));
	assert_string_equal(oid, "0.4.0.127.0.7.2.2.4.6.4");
	assert_true(secinfo_oid_from_name("id-CA-ECDH-3DES-CBC-CBC", oid, sizeof oid));
	assert_string_equal(oid, "0.4.0.127.0.7.2.2.3.2.1");
	assert_true(secinfo_oid_from_name("1.2.3.4", oid, sizeof oid));
	assert_false(secinfo_oid_from_name("id-PACE-NOTHING", oid, sizeof oid));
	assert_false(secinfo_oid_from_name("1..2", oid, sizeof oid));
	assert_false(secinfo_oid_from_name("id-PACE-ECDH-GM-AES-CBC-CMAC-128", oid, 8));
	/* every name in our table that OpenPACE knows has the same OID there */
	const char *names[] = { "id-PACE-DH-GM-3DES-CBC-CBC", "id-PACE-ECDH-IM-AES-CBC-CMAC-192",
		                "id-CA-DH-AES-CBC-CMAC-256", "id-PK-ECDH", "id-PK-DH", "id-TA" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		assert_true(secinfo_oid_from_name(names[i], oid, sizeof oid));
		ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
		assert_non_null(obj);
		assert_string_equal(OBJ_nid2sn(OBJ_obj2nid(obj)), names[i]);
		ASN1_OBJECT_free(obj);
		assert_string_equal(secinfo_oid_name(oid), names[i]);
	}
	/* The protocol each SecurityInfo serves, as the report names it. */
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.4.6.2"), "PACE-CAM");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.4.6"), "PACE-CAM");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.4.2.2"), "PACE");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.4.3"), "PACE");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.3.2.2"), "CA");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.1.2"), "CA");
	assert_string_equal(secinfo_oid_protocol("0.4.0.127.0.7.2.2.2"), "TA");
	assert_string_equal(secinfo_oid_protocol("2.23.136.1.1.5"), "AA");
	assert_null(secinfo_oid_protocol("1.2.3"));
	assert_null(secinfo_oid_protocol(NULL));
}

static void test_card_access_round_trip(void **state)
{
	const docgen_pace_info pace[] = {
		{ "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 },
		{ "id-PACE-DH-GM-3DES-CBC-CBC", 0 },
		{ "id-PACE-ECDH-CAM-AES-CBC-CMAC-256", 12 },
	};
	uint8_t *ca = NULL;
	size_t ca_len = 0;
	char err[256] = "";
	assert_int_equal(docgen_card_access_encode(pace, 3, &ca, &ca_len, err, sizeof err), DOCGEN_OK);
	assert_int_equal(ca[0], 0x31);

	secinfo_list list;
	assert_int_equal(secinfo_parse(ca, ca_len, &list), CRYPTO_OK);
	assert_int_equal(list.n, 3);
	int seen = 0;
	for (size_t i = 0; i < list.n; i++) {
		const secinfo_entry *e = &list.entries[i];
		assert_int_equal(e->kind, SECINFO_PACE);
		assert_int_equal(e->version, 2);
		assert_true(e->offset + e->len <= ca_len);
		assert_int_equal(ca[e->offset], 0x30);
		for (size_t j = 0; j < 3; j++)
			if (strcmp(e->name, pace[j].protocol) == 0) {
				assert_int_equal(e->id, pace[j].parameter_id);
				seen |= 1 << j;
			}
	}
	assert_int_equal(seen, 7);
	secinfo_list_free(&list);

	/* OpenPACE sees both PACE protocols it knows, with their ids */
	EAC_CTX *ctx = EAC_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EAC_CTX_init_ef_cardaccess(ca, ca_len, ctx), 1);
	int found = 0;
	for (int i = 0; i < sk_num((const _STACK *)ctx->pace_ctxs); i++) {
		const PACE_CTX *p = sk_value((const _STACK *)ctx->pace_ctxs, i);
		if (p->protocol == NID_id_PACE_ECDH_GM_AES_CBC_CMAC_128 && p->id == 13)
			found |= 1;
		if (p->protocol == NID_id_PACE_DH_GM_3DES_CBC_CBC && p->id == 0)
			found |= 2;
	}
	assert_int_equal(found, 3);
	EAC_CTX_clear_free(ctx);
	free(ca);
}

static void check_dg14(EVP_PKEY *key, const char *protocol, int protocol_nid, int key_id)
{
	const docgen_pace_info cam = { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 };
	uint8_t *dg14 = NULL;
	size_t dg14_len = 0;
	char err[256] = "";
	assert_int_equal(docgen_dg14_encode(key, protocol, key_id, &cam, 1, NULL, &dg14, &dg14_len, err, sizeof err),
	                 DOCGEN_OK);
	assert_int_equal(dg14[0], 0x6E);

	secinfo_list list;
	assert_int_equal(secinfo_parse(dg14, dg14_len, &list), CRYPTO_OK);
	assert_int_equal(list.n, 3);
	int kinds = 0;
	for (size_t i = 0; i < list.n; i++) {
		const secinfo_entry *e = &list.entries[i];
		kinds |= 1 << e->kind;
		if (e->kind == SECINFO_CA) {
			assert_string_equal(e->name, protocol);
			assert_int_equal(e->version, 1);
			assert_int_equal(e->id, key_id);
		} else if (e->kind == SECINFO_CA_PUBLIC_KEY) {
			assert_string_equal(e->name, EVP_PKEY_is_a(key, "EC") ? "id-PK-ECDH" : "id-PK-DH");
			assert_int_equal(e->id, key_id);
		}
	}
	assert_int_equal(kinds, (1 << SECINFO_CA) | (1 << SECINFO_CA_PUBLIC_KEY) | (1 << SECINFO_PACE));
	secinfo_list_free(&list);

	/* OpenPACE reads the SET inside 6E: the CA protocol, key id and the
	 * very public key */
	size_t hdr = dg14[1] < 0x80 ? 2 : 2 + (dg14[1] & 0x7F);
	EAC_CTX *ctx = EAC_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EAC_CTX_init_ef_cardaccess(dg14 + hdr, dg14_len - hdr, ctx), 1);
	assert_non_null(ctx->ca_ctx);
	assert_int_equal(ctx->ca_ctx->protocol, protocol_nid);
	assert_int_equal(ctx->ca_ctx->id, key_id);
	assert_non_null(ctx->ca_ctx->ka_ctx->key);
	unsigned char *ours = NULL, *theirs = NULL;
	size_t ours_len = EVP_PKEY_get1_encoded_public_key(key, &ours);
	size_t theirs_len = EVP_PKEY_get1_encoded_public_key(ctx->ca_ctx->ka_ctx->key, &theirs);
	assert_true(ours_len > 0);
	assert_int_equal(ours_len, theirs_len);
	assert_memory_equal(ours, theirs, ours_len);
	OPENSSL_free(ours);
	OPENSSL_free(theirs);
	EAC_CTX_clear_free(ctx);
	free(dg14);
}

static void test_dg14_ec(void **state)
{
	EVP_PKEY *bp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_non_null(bp);
	assert_non_null(p384);
	check_dg14(bp, "id-CA-ECDH-AES-CBC-CMAC-128", NID_id_CA_ECDH_AES_CBC_CMAC_128, -1);
	check_dg14(bp, "id-CA-ECDH-3DES-CBC-CBC", NID_id_CA_ECDH_3DES_CBC_CBC, 7);
	check_dg14(p384, "id-CA-ECDH-AES-CBC-CMAC-256", NID_id_CA_ECDH_AES_CBC_CMAC_256, 1);
	EVP_PKEY_free(bp);
	EVP_PKEY_free(p384);
}

static void test_dg14_dh(void **state)
{
	/* RFC 5114 1024-bit MODP group with 160-bit subgroup: ICAO parameter id 0 */
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DHX", NULL);
	assert_non_null(pctx);
	assert_int_equal(EVP_PKEY_keygen_init(pctx), 1);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"dh_1024_160", 0),
		OSSL_PARAM_END,
	};
	assert_int_equal(EVP_PKEY_CTX_set_params(pctx, params), 1);
	EVP_PKEY *dh = NULL;
	assert_int_equal(EVP_PKEY_generate(pctx, &dh), 1);
	EVP_PKEY_CTX_free(pctx);

	uint8_t *dg14 = NULL;
	size_t dg14_len = 0;
	char err[256] = "";
	assert_int_equal(docgen_dg14_encode(dh, "id-CA-DH-AES-CBC-CMAC-128", -1, NULL, 0, NULL, &dg14, &dg14_len, err,
	                                    sizeof err),
	                 DOCGEN_OK);
	size_t hdr = dg14[1] < 0x80 ? 2 : 2 + (dg14[1] & 0x7F);
	EAC_CTX *ctx = EAC_CTX_new();
	assert_int_equal(EAC_CTX_init_ef_cardaccess(dg14 + hdr, dg14_len - hdr, ctx), 1);
	assert_int_equal(ctx->ca_ctx->protocol, NID_id_CA_DH_AES_CBC_CMAC_128);
	BIGNUM *y1 = NULL, *y2 = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(dh, OSSL_PKEY_PARAM_PUB_KEY, &y1), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(ctx->ca_ctx->ka_ctx->key, OSSL_PKEY_PARAM_PUB_KEY, &y2), 1);
	assert_int_equal(BN_cmp(y1, y2), 0);
	BN_free(y1);
	BN_free(y2);
	EAC_CTX_clear_free(ctx);
	free(dg14);
	EVP_PKEY_free(dh);
}

static void test_encoder_errors(void **state)
{
	const docgen_pace_info bad = { "id-PACE-WHATEVER", 13 };
	uint8_t *out = NULL;
	size_t len = 0;
	char err[256] = "";
	assert_int_equal(docgen_card_access_encode(&bad, 1, &out, &len, err, sizeof err), DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "id-PACE-WHATEVER"));
	assert_null(out);
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_int_equal(docgen_dg14_encode(rsa, "id-CA-ECDH-AES-CBC-CMAC-128", -1, NULL, 0, NULL, &out, &len, err,
	                                    sizeof err),
	                 DOCGEN_ERR_ARG);
	assert_non_null(strstr(err, "EC or DH"));
	EVP_PKEY_free(rsa);
}

static void test_parse_defences(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	uint8_t *ca = NULL;
	size_t ca_len = 0;
	assert_int_equal(docgen_card_access_encode(&pace, 1, &ca, &ca_len, NULL, 0), DOCGEN_OK);
	secinfo_list list;
	/* every truncation is refused, none read past the end (ASan watches) */
	for (size_t n = 0; n < ca_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, ca, n);
		assert_int_equal(secinfo_parse(copy, n, &list), CRYPTO_ERR_FORMAT);
		free(copy);
	}
	/* trailing junk after the SET is ignored */
	uint8_t padded[64];
	assert_true(ca_len + 4 <= sizeof padded);
	memcpy(padded, ca, ca_len);
	memset(padded + ca_len, 0xFF, 4);
	assert_int_equal(secinfo_parse(padded, ca_len + 4, &list), CRYPTO_OK);
	assert_int_equal(list.n, 1);
	secinfo_list_free(&list);
	/* not a SET; a SET holding an INTEGER; an OID with a non-minimal arc */
	const uint8_t not_set[] = { 0x30, 0x00 };
	const uint8_t set_int[] = { 0x31, 0x03, 0x02, 0x01, 0x00 };
	const uint8_t bad_oid[] = { 0x31, 0x06, 0x30, 0x04, 0x06, 0x02, 0x80, 0x01 };
	const uint8_t empty[] = { 0x31, 0x00 };
	assert_int_equal(secinfo_parse(not_set, sizeof not_set, &list), CRYPTO_ERR_FORMAT);
	assert_int_equal(secinfo_parse(set_int, sizeof set_int, &list), CRYPTO_ERR_FORMAT);
	assert_int_equal(secinfo_parse(bad_oid, sizeof bad_oid, &list), CRYPTO_ERR_FORMAT);
	assert_int_equal(secinfo_parse(empty, sizeof empty, &list), CRYPTO_OK);
	assert_int_equal(list.n, 0);
	secinfo_list_free(&list);
	/* an unknown protocol is listed with its OID and no name */
	const uint8_t unknown[] = { 0x31, 0x08, 0x30, 0x06, 0x06, 0x01, 0x2A, 0x02, 0x01, 0x05 };
	assert_int_equal(secinfo_parse(unknown, sizeof unknown, &list), CRYPTO_OK);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.entries[0].kind, SECINFO_UNKNOWN);
	assert_string_equal(list.entries[0].oid, "1.2");
	assert_string_equal(list.entries[0].name, "");
	secinfo_list_free(&list);
	free(ca);
}

/* Seeds for tests/fuzz/corpus/secinfo: files the encoders make, plus a
 * SET with an unknown protocol. */
static int write_seeds(const char *dir)
{
	const docgen_pace_info gm[] = {
		{ "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 },
		{ "id-PACE-DH-GM-3DES-CBC-CBC", 0 },
		{ "id-PACE-ECDH-IM-AES-CBC-CMAC-256", 12 },
	};
	const docgen_pace_info cam = { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 };
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	struct {
		const char *name;
		uint8_t *data;
		size_t len;
	} seeds[4] = { { "card-access-gm", NULL, 0 }, { "card-access-cam", NULL, 0 }, { "dg14-ec-cam", NULL, 0 },
		        { "dg14-3des-keyid", NULL, 0 } };
	int bad = !ec;
	bad |= !ec || docgen_card_access_encode(gm, 3, &seeds[0].data, &seeds[0].len, NULL, 0) != DOCGEN_OK;
	bad |= docgen_card_access_encode(&cam, 1, &seeds[1].data, &seeds[1].len, NULL, 0) != DOCGEN_OK;
	bad |= !ec || docgen_dg14_encode(ec, "id-CA-ECDH-AES-CBC-CMAC-128", -1, &cam, 1, NULL, &seeds[2].data,
	                                 &seeds[2].len, NULL, 0) != DOCGEN_OK;
	bad |= !ec || docgen_dg14_encode(ec, "id-CA-ECDH-3DES-CBC-CBC", 3, NULL, 0, NULL, &seeds[3].data, &seeds[3].len,
	                                 NULL, 0) != DOCGEN_OK;
	for (size_t i = 0; i < 4 && !bad; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
		FILE *f = fopen(path, "wb");
		bad |= !f || fwrite(seeds[i].data, 1, seeds[i].len, f) != seeds[i].len;
		if (f)
			bad |= fclose(f) != 0;
	}
	const uint8_t unknown[] = { 0x31, 0x0B, 0x30, 0x09, 0x06, 0x04, 0x2A, 0x03, 0x04, 0x05, 0x02, 0x01, 0x05 };
	char path[4096];
	snprintf(path, sizeof path, "%s/unknown-protocol", dir);
	FILE *f = bad ? NULL : fopen(path, "wb");
	bad |= !f || fwrite(unknown, 1, sizeof unknown, f) != sizeof unknown;
	if (f)
		bad |= fclose(f) != 0;
	for (size_t i = 0; i < 4; i++)
		free(seeds[i].data);
	EVP_PKEY_free(ec);
	if (bad)
		fprintf(stderr, "could not write the seeds into %s\n", dir);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oid_table),
		cmocka_unit_test(test_card_access_round_trip),
		cmocka_unit_test(test_dg14_ec),
		cmocka_unit_test(test_dg14_dh),
		cmocka_unit_test(test_encoder_errors),
		cmocka_unit_test(test_parse_defences),
	};
	return cmocka_run_group_tests(tests, setup_eac, NULL);
}
