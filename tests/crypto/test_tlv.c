/*
 * test_tlv — BER-TLV as the LDS and secure messaging use it: nested
 * constructed objects, one- to three-byte tags, the long length forms, and
 * data that ends too early or is not BER at all. Parsing must never read
 * past the end it is given (ASan checks that here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/buf.h"
#include "crypto/tlv.h"
#include "tests/crypto/hexutil.h"

/* A DG1-like nesting: 61 { 5F1F (MRZ) } and a DG2-like one with 7F61 / 7F60
 * and a three-byte tag inside. */
static const char *const nested_hex =
	"6109" "5F1F06" "414243444546"
	"7F6112" "020101" "7F600C" "A108" "80020101" "5F810100" "8100";

static void test_nested(void **state)
{
	(void)state;
	uint8_t in[64];
	size_t n = hex_decode(nested_hex, in, sizeof in);
	assert_true(n != (size_t)-1);
	const uint8_t *p = in, *end = in + n;

	crypto_tlv dg1;
	assert_int_equal(tlv_next(&p, end, &dg1), TLV_OK);
	assert_int_equal(dg1.tag, 0x61);
	assert_true(dg1.constructed);
	assert_int_equal(dg1.len, 9);
	assert_int_equal(dg1.raw_len, 11);
	crypto_tlv mrz;
	assert_int_equal(tlv_parse_one(dg1.value, dg1.len, &mrz), TLV_OK);
	assert_int_equal(mrz.tag, 0x5F1F);
	assert_false(mrz.constructed);
	assert_int_equal(mrz.len, 6);
	assert_memory_equal(mrz.value, "ABCDEF", 6);

	crypto_tlv bit_group;
	assert_int_equal(tlv_next(&p, end, &bit_group), TLV_OK);
	assert_int_equal(bit_group.tag, 0x7F61);
	assert_true(bit_group.constructed);
	assert_ptr_equal(p, end);
	crypto_tlv end_status;
	assert_int_equal(tlv_next(&p, end, &end_status), TLV_END);

	crypto_tlv count, bit;
	assert_int_equal(tlv_find(bit_group.value, bit_group.len, 0x02, &count), TLV_OK);
	assert_int_equal(count.value[0], 1);
	assert_int_equal(tlv_find(bit_group.value, bit_group.len, 0x7F60, &bit), TLV_OK);
	crypto_tlv header, three, empty;
	assert_int_equal(tlv_find(bit.value, bit.len, 0xA1, &header), TLV_OK);
	assert_true(header.constructed);
	assert_int_equal(tlv_find(header.value, header.len, 0x80, &three), TLV_OK);
	assert_int_equal(tlv_find(bit.value, bit.len, 0x81, &empty), TLV_OK);
	assert_int_equal(empty.len, 0);
	/* The three-byte tag sits inside A1. */
	assert_int_equal(tlv_find(header.value, header.len, 0x5F8101, &three), TLV_OK);
	assert_int_equal(three.len, 0);
	assert_int_equal(tlv_find(bit.value, bit.len, 0x5F2E, &three), TLV_ERR_NOT_FOUND);
}

static void test_long_lengths(void **state)
{
	(void)state;
	struct {
		size_t len;
		const char *header; /* for tag 04 */
	} cases[] = {
		{ 0, "0400" },
		{ 127, "047F" },
		{ 128, "048180" },
		{ 255, "0481FF" },
		{ 256, "04820100" },
		{ 65535, "0482FFFF" },
		{ 65536, "0483010000" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t hdr[TLV_MAX_HEADER];
		size_t n = tlv_encode_header(0x04, cases[i].len, hdr);
		char hex[2 * TLV_MAX_HEADER + 1];
		assert_string_equal(hex_encode(hdr, n, hex), cases[i].header);
		assert_int_equal(tlv_total_len(0x04, cases[i].len), n + cases[i].len);

		/* Parse it back with a value of that size. */
		uint8_t *obj = calloc(1, n + cases[i].len);
		assert_non_null(obj);
		memcpy(obj, hdr, n);
		crypto_tlv t;
		assert_int_equal(tlv_parse_one(obj, n + cases[i].len, &t), TLV_OK);
		assert_int_equal(t.len, cases[i].len);
		assert_ptr_equal(t.value, obj + n);
		free(obj);
	}
	/* The four-byte form parses (ICAO allows up to 84). */
	uint8_t in[16];
	size_t n = hex_decode("048400000003AABBCC", in, sizeof in);
	crypto_tlv t;
	assert_int_equal(tlv_parse_one(in, n, &t), TLV_OK);
	assert_int_equal(t.len, 3);
	/* Headers of multi-byte tags; too long a tag or length is refused. */
	uint8_t hdr[TLV_MAX_HEADER];
	assert_int_equal(tlv_encode_header(0x5F8101, 0x100, hdr), 6);
	assert_int_equal(hdr[0], 0x5F);
	assert_int_equal(hdr[2], 0x01);
	assert_int_equal(hdr[3], 0x82);
	assert_int_equal(tlv_encode_header(0x01020304, 1, hdr), 0);
	assert_int_equal(tlv_encode_header(0x04, 0x1000000, hdr), 0);

	/* buf_append_tlv writes the same. */
	crypto_buf b = CRYPTO_BUF_INIT;
	buf_append_tlv(&b, 0x7F61, "xy", 2);
	assert_true(buf_ok(&b));
	char hex[32];
	assert_string_equal(hex_encode(b.data, b.len, hex), "7F61027879");
	buf_free(&b);
}

static void test_bad_lengths_and_tags(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		tlv_status expect;
	} cases[] = {
		{ "0480", TLV_ERR_BAD_LENGTH },           /* indefinite */
		{ "0485000000000001", TLV_ERR_BAD_LENGTH }, /* five length bytes */
		{ "04FF", TLV_ERR_BAD_LENGTH },
		{ "5F818101" "00", TLV_ERR_BAD_TAG },     /* four-byte tag */
		{ "5F", TLV_ERR_TRUNCATED },              /* tag continues past end */
		{ "5F81", TLV_ERR_TRUNCATED },
		{ "04", TLV_ERR_TRUNCATED },              /* no length */
		{ "0482", TLV_ERR_TRUNCATED },            /* length bytes missing */
		{ "048201", TLV_ERR_TRUNCATED },
		{ "0403AABB", TLV_ERR_TRUNCATED },        /* value one short */
		{ "0484FFFFFFFF00", TLV_ERR_TRUNCATED },  /* huge length */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t in[16];
		size_t n = hex_decode(cases[i].hex, in, sizeof in);
		/* Copy to an exact-size heap block so ASan sees any over-read. */
		uint8_t *p = malloc(n);
		assert_non_null(p);
		memcpy(p, in, n);
		const uint8_t *pos = p;
		crypto_tlv t = { .tag = 0xABCD };
		assert_int_equal(tlv_next(&pos, p + n, &t), cases[i].expect);
		assert_ptr_equal(pos, p); /* not advanced */
		assert_int_equal(t.tag, 0xABCD); /* untouched */
		free(p);
	}
	const uint8_t empty[1] = { 0 };
	crypto_tlv t;
	assert_int_equal(tlv_parse_one(empty, 0, &t), TLV_ERR_TRUNCATED);
	assert_int_equal(tlv_find(empty, 0, 0x04, &t), TLV_ERR_NOT_FOUND);
	/* A broken sibling stops the search with its error. */
	uint8_t in[8];
	size_t n = hex_decode("0101AA0480", in, sizeof in);
	assert_int_equal(tlv_find(in, n, 0x04, &t), TLV_ERR_BAD_LENGTH);
	assert_int_equal(tlv_find(in, n, 0x01, &t), TLV_OK);
}

static void test_every_prefix_truncated(void **state)
{
	(void)state;
	uint8_t in[64];
	size_t n = hex_decode(nested_hex, in, sizeof in);
	/* The first object (61 09 ...) cut anywhere inside is truncated. */
	for (size_t cut = 1; cut < 11; cut++) {
		uint8_t *p = malloc(cut);
		assert_non_null(p);
		memcpy(p, in, cut);
		crypto_tlv t;
		assert_int_equal(tlv_parse_one(p, cut, &t), TLV_ERR_TRUNCATED);
		free(p);
	}
	(void)n;
}

static void test_parse_one_needs_exact_fit(void **state)
{
	(void)state;
	/* tlv.h: "exactly one object that fills data[0..len) completely";
	 * bytes after the object are not one object. */
	uint8_t in[8];
	size_t n = hex_decode("0401AA00", in, sizeof in);
	crypto_tlv t;
	assert_int_not_equal(tlv_parse_one(in, n, &t), TLV_OK);
	assert_int_equal(tlv_parse_one(in, 3, &t), TLV_OK);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(tlv_strerror(TLV_ERR_TRUNCATED), "data ends inside a TLV object");
	assert_non_null(tlv_strerror(TLV_ERR_NOT_FOUND));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_long_lengths),
		cmocka_unit_test(test_bad_lengths_and_tags),
		cmocka_unit_test(test_every_prefix_truncated),
		cmocka_unit_test(test_parse_one_needs_exact_fit),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
