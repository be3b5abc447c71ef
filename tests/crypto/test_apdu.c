/*
 * test_apdu — the ISO 7816-4 command APDU codec: the four cases in short
 * and extended form, the 256 / 65536 Le encodings, round trips, and inputs
 * that are not APDUs at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/apdu.h"
#include "tests/crypto/hexutil.h"

static void check_encoding(const crypto_apdu *a, const char *expected)
{
	uint8_t out[APDU_MAX_COMMAND];
	size_t n = 0;
	assert_int_equal(apdu_encode(a, out, sizeof out, &n), CRYPTO_OK);
	assert_int_equal(n, apdu_encoded_len(a));
	char hex[2 * 64 + 1];
	assert_true(n <= 64);
	assert_string_equal(hex_encode(out, n, hex), expected);
}

static void test_encode_cases(void **state)
{
	(void)state;
	static const uint8_t d2[2] = { 0x01, 0x1E };
	/* case 1 */
	check_encoding(&(crypto_apdu){ .cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C }, "00A4000C");
	/* case 2 short, Le 8 and Le 256 (00) */
	check_encoding(&(crypto_apdu){ .ins = 0x84, .le = 8 }, "0084000008");
	check_encoding(&(crypto_apdu){ .ins = 0xB0, .le = 256 }, "00B0000000");
	/* case 3 short */
	check_encoding(&(crypto_apdu){ .ins = 0xA4, .p1 = 2, .p2 = 0x0C, .data = d2, .lc = 2 }, "00A4020C02011E");
	/* case 4 short */
	check_encoding(&(crypto_apdu){ .ins = 0xA4, .p1 = 2, .data = d2, .lc = 2, .le = 256 }, "00A4020002011E00");
	/* case 2 extended: 00 Le(2); 65536 is 0000 */
	check_encoding(&(crypto_apdu){ .ins = 0xB0, .le = 65536 }, "00B00000000000");
	check_encoding(&(crypto_apdu){ .ins = 0xB0, .le = 257 }, "00B00000000101");
	check_encoding(&(crypto_apdu){ .ins = 0xB0, .le = 4, .extended = true }, "00B00000000004");
	/* case 3 extended */
	check_encoding(&(crypto_apdu){ .ins = 0xA4, .p1 = 2, .p2 = 0x0C, .data = d2, .lc = 2, .extended = true },
	               "00A4020C000002011E");
	/* case 4 extended: Le without its own 00 */
	check_encoding(&(crypto_apdu){ .ins = 0xA4, .p1 = 2, .data = d2, .lc = 2, .le = 65536, .extended = true },
	               "00A40200000002011E0000");
	/* case 1 stays four bytes even when "extended" */
	check_encoding(&(crypto_apdu){ .ins = 0x70, .extended = true }, "00700000");

	/* Lc 256 forces the extended form. */
	static uint8_t big[300];
	crypto_apdu a = { .ins = 0xD6, .data = big, .lc = 256 };
	assert_true(apdu_is_extended(&a));
	assert_int_equal(apdu_encoded_len(&a), 4 + 3 + 256);
	a.lc = 255;
	assert_false(apdu_is_extended(&a));
	assert_int_equal(apdu_encoded_len(&a), 4 + 1 + 255);
}

static void test_encode_errors(void **state)
{
	(void)state;
	uint8_t out[16];
	size_t n = 777;
	assert_int_equal(apdu_encode(&(crypto_apdu){ .ins = 0xB0, .le = 65537 }, out, sizeof out, &n), CRYPTO_ERR_ARG);
	assert_int_equal(apdu_encoded_len(&(crypto_apdu){ .ins = 0xB0, .lc = 65536 }), 0);
	assert_int_equal(apdu_encode(&(crypto_apdu){ .ins = 0xD6, .lc = 3 }, out, sizeof out, &n), CRYPTO_ERR_ARG);
	assert_int_equal(apdu_encode(&(crypto_apdu){ .ins = 0x84, .le = 8 }, out, 4, &n), CRYPTO_ERR_BUFFER);
	assert_int_equal(n, 777); /* untouched on failure */
}

static void test_decode_cases(void **state)
{
	(void)state;
	uint8_t in[32];
	crypto_apdu a;
	size_t n = hex_decode("00A4000C", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_int_equal(a.ins, 0xA4);
	assert_int_equal(a.p2, 0x0C);
	assert_int_equal(a.lc, 0);
	assert_int_equal(a.le, 0);

	n = hex_decode("00B0000000", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_int_equal(a.le, 256);
	assert_false(a.extended);

	n = hex_decode("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_int_equal(a.cla, 0x0C);
	assert_int_equal(a.lc, 0x15);
	assert_ptr_equal(a.data, in + 5);
	assert_int_equal(a.le, 256);

	n = hex_decode("00B00000000000", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_true(a.extended);
	assert_int_equal(a.le, 65536);

	n = hex_decode("00B00000001234", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_int_equal(a.le, 0x1234);

	n = hex_decode("00A40200000002011E0100", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_true(a.extended);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 256);
	assert_int_equal(a.data[1], 0x1E);

	n = hex_decode("00A4020C000002011E", in, sizeof in);
	assert_int_equal(apdu_decode(in, n, &a), CRYPTO_OK);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 0);
}

static void test_decode_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",               /* nothing */
		"00",
		"00A402",         /* header cut short */
		"00A4020C05011E", /* Lc 5, 2 bytes of data */
		"00A4020C02011E0000", /* short: Lc 2, data, then 2 bytes */
		"00A4020C0000",   /* extended marker, 1 byte */
		"00A4020C000000AA", /* extended Lc 0 followed by bytes */
		"00A4020C00000301", /* extended Lc 3, 1 byte of data */
		"00A4020C000002011E00", /* extended case 4 with a 1-byte Le */
		"00A4020C000002011E000000", /* 3 trailing bytes */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t in[32];
		size_t n = hex_decode(bad[i], in, sizeof in);
		crypto_apdu a = { .cla = 0x42 };
		assert_int_equal(apdu_decode(in, n, &a), CRYPTO_ERR_FORMAT);
		assert_int_equal(a.cla, 0x42); /* untouched on failure */
	}
}

static uint32_t rng_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_round_trips(void **state)
{
	(void)state;
	static uint8_t data[65535], out[APDU_MAX_COMMAND];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)rng_next(&seed);
	static const size_t lcs[] = { 0, 1, 2, 254, 255, 256, 1000, 65535 };
	static const size_t les[] = { 0, 1, 255, 256, 257, 4096, 65535, 65536 };
	for (size_t i = 0; i < sizeof lcs / sizeof lcs[0]; i++) {
		for (size_t j = 0; j < sizeof les / sizeof les[0]; j++) {
			for (int ext = 0; ext < 2; ext++) {
				crypto_apdu a = { .cla = 0x0C, .ins = (uint8_t)(0xB0 + i), .p1 = (uint8_t)j, .p2 = 0x5A,
				           .data = lcs[i] ? data : NULL, .lc = lcs[i], .le = les[j], .extended = ext };
				size_t n = 0;
				assert_int_equal(apdu_encode(&a, out, sizeof out, &n), CRYPTO_OK);
				crypto_apdu b;
				assert_int_equal(apdu_decode(out, n, &b), CRYPTO_OK);
				assert_int_equal(b.cla, a.cla);
				assert_int_equal(b.ins, a.ins);
				assert_int_equal(b.p1, a.p1);
				assert_int_equal(b.p2, a.p2);
				assert_int_equal(b.lc, a.lc);
				assert_int_equal(b.le, a.le);
				if (a.lc || a.le)
					assert_int_equal(b.extended, apdu_is_extended(&a));
				if (a.lc)
					assert_memory_equal(b.data, data, a.lc);
			}
		}
	}
}

static void test_status_word(void **state)
{
	(void)state;
	const uint8_t r[] = { 0x01, 0x02, 0x69, 0x88 };
	assert_int_equal(apdu_sw(r, sizeof r), SW_SM_INCORRECT);
	assert_int_equal(apdu_sw(r + 2, 2), 0x6988);
	assert_int_equal(apdu_sw(r, 1), 0);
	assert_int_equal(apdu_sw(r, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_cases),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_decode_cases),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_status_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
