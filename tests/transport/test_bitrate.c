/*
 * test_bitrate — TA(1) of a type A chip's ATS (ISO/IEC 14443-4 §5.2.4)
 * read as the bit rates it offers each way, and the highest rate the
 * libnfc driver may ask the PN53x for (hal/passport/bitrate.c): every
 * value of TA(1), the "same D both ways" bit, the RFU bit, an ATS
 * without TA(1), and readers that stop at 424 (PN532) or 848 (PN533).
 * And the rate a PC/SC reader reports: SCARD_ATTR_CURRENT_D for a
 * contactless card's ATR, unknown otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hal/passport/bitrate-internal.h"

#define PN532_RATES (PP_RATE_106 | PP_RATE_212 | PP_RATE_424)
#define PN533_RATES (PN532_RATES | PP_RATE_848)
#define ALL_RATES PN533_RATES

static void test_each_bit(void **state)
{
	(void)state;
	static const struct {
		uint8_t ta1;
		unsigned to_pcd, to_picc;
		int same_d;
	} cases[] = {
		{ 0x00, PP_RATE_106, PP_RATE_106, 0 },
		{ 0x01, PP_RATE_106, PP_RATE_106 | PP_RATE_212, 0 },               /* DR = 2 */
		{ 0x02, PP_RATE_106, PP_RATE_106 | PP_RATE_424, 0 },               /* DR = 4 */
		{ 0x04, PP_RATE_106, PP_RATE_106 | PP_RATE_848, 0 },               /* DR = 8 */
		{ 0x10, PP_RATE_106 | PP_RATE_212, PP_RATE_106, 0 },               /* DS = 2 */
		{ 0x20, PP_RATE_106 | PP_RATE_424, PP_RATE_106, 0 },               /* DS = 4 */
		{ 0x40, PP_RATE_106 | PP_RATE_848, PP_RATE_106, 0 },               /* DS = 8 */
		{ 0x80, PP_RATE_106, PP_RATE_106, 1 },                             /* same D only */
		{ 0x77, ALL_RATES, ALL_RATES, 0 },                                 /* every rate */
		{ 0xF7, ALL_RATES, ALL_RATES, 1 },
		{ 0x08, PP_RATE_106, PP_RATE_106, 0 },                             /* RFU: 106 only */
		{ 0x7F, PP_RATE_106, PP_RATE_106, 0 },
		{ 0xFF, PP_RATE_106, PP_RATE_106, 0 },
		{ 0x33, PP_RATE_106 | PP_RATE_212 | PP_RATE_424, PP_RATE_106 | PP_RATE_212 | PP_RATE_424, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pp_ta1 t = pp_ta1_decode(cases[i].ta1);
		assert_int_equal(t.to_pcd, cases[i].to_pcd);
		assert_int_equal(t.to_picc, cases[i].to_picc);
		assert_int_equal(t.same_d, cases[i].same_d);
	}
}

/* The rate asked for, the same both ways: the highest the chip both
 * sends and receives at, within the reader's. */
static void test_common_rate(void **state)
{
	(void)state;
	static const struct {
		uint8_t ta1;
		unsigned reader;
		unsigned kbps;
	} cases[] = {
		{ 0x77, PN532_RATES, 424 }, /* the PN532 stops at 424 */
		{ 0x77, PN533_RATES, 848 },
		{ 0xF7, PN533_RATES, 848 }, /* same D: still 848 both ways */
		{ 0x00, PN533_RATES, 106 },
		{ 0x80, PN533_RATES, 106 },
		{ 0x08, PN533_RATES, 106 }, /* RFU set: 106 */
		{ 0x7F, PN533_RATES, 106 },
		{ 0x71, PN533_RATES, 212 }, /* sends at all, receives at 212 only */
		{ 0x17, PN533_RATES, 212 }, /* the other way round */
		{ 0x44, PN533_RATES, 848 }, /* 848 both ways, nothing between */
		{ 0x44, PN532_RATES, 106 }, /* ...which a PN532 cannot */
		{ 0x40, PN533_RATES, 106 }, /* 848 one way only */
		{ 0x66, PN533_RATES, 848 },
		{ 0x22, PN532_RATES, 424 },
		{ 0x77, PP_RATE_106, 106 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(pp_bitrate_common(pp_ta1_decode(cases[i].ta1), cases[i].reader), cases[i].kbps);
}

/* Every TA(1): 106 is always there both ways; the RFU bit leaves only it;
 * the rate chosen is offered both ways by the chip and by the reader. */
static void test_every_value(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		pp_ta1 t = pp_ta1_decode((uint8_t)v);
		assert_true(t.to_pcd & PP_RATE_106);
		assert_true(t.to_picc & PP_RATE_106);
		assert_true(t.to_pcd <= ALL_RATES && t.to_picc <= ALL_RATES);
		if (v & 0x08) {
			assert_int_equal(t.to_pcd, PP_RATE_106);
			assert_int_equal(t.to_picc, PP_RATE_106);
		}
		for (unsigned reader = PP_RATE_106; reader <= ALL_RATES; reader += 2) {
			unsigned kbps = pp_bitrate_common(t, reader);
			unsigned bit = kbps == 106 ? PP_RATE_106 : kbps == 212 ? PP_RATE_212 : kbps == 424 ? PP_RATE_424
			                                                                                    : PP_RATE_848;
			assert_int_equal(pp_bitrate_kbps(bit), kbps);
			assert_true(kbps == 106 || ((t.to_pcd & bit) && (t.to_picc & bit) && (reader & bit)));
			/* no higher rate is shared */
			for (unsigned higher = bit << 1; higher <= PP_RATE_848; higher <<= 1)
				assert_false((t.to_pcd & higher) && (t.to_picc & higher) && (reader & higher));
		}
	}
}

static void test_ats(void **state)
{
	(void)state;
	static const uint8_t with_ta[] = { 0x78, 0x77, 0x91, 0x02 }; /* T0: TA TB TC, FSCI 8 */
	static const uint8_t without_ta[] = { 0x68, 0x91, 0x02 };    /* T0: TB TC only */
	static const uint8_t t0_only[] = { 0x78 };                   /* announced, cut off */
	assert_int_equal(pp_ats_ta1(with_ta, sizeof(with_ta)), 0x77);
	assert_int_equal(pp_ats_ta1(without_ta, sizeof(without_ta)), 0x00);
	assert_int_equal(pp_ats_ta1(t0_only, sizeof(t0_only)), 0x00);
	assert_int_equal(pp_ats_ta1(NULL, 0), 0x00);
	assert_int_equal(pp_bitrate_kbps(0), 0);
	assert_int_equal(pp_bitrate_kbps(PP_RATE_212 | PP_RATE_424), 0);
}

/* D as a PC/SC reader gives it (little-endian, 1 to 4 bytes) for the ATR
 * it makes for an ISO 14443 card: 106 x D; any other D, a contact card's
 * ATR or no attribute: unknown (0). */
static void test_pcsc_rate(void **state)
{
	(void)state;
	static const uint8_t cl_atr[] = { 0x3B, 0x88, 0x80, 0x01, 0xE1, 0xF3, 0x5E, 0x11, 0x77, 0x83, 0x95, 0x00, 0x7E };
	static const uint8_t contact_atr[] = { 0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B };
	static const struct {
		uint8_t d[4];
		size_t len;
		unsigned kbps;
	} cases[] = {
		{ { 1 }, 1, 106 },          { { 2 }, 1, 212 },          { { 4 }, 1, 424 },
		{ { 8 }, 1, 848 },          { { 8, 0, 0, 0 }, 4, 848 }, { { 4, 0 }, 2, 424 },
		{ { 3 }, 1, 0 },            { { 16 }, 1, 0 },           { { 0 }, 1, 0 },
		{ { 0, 1 }, 2, 0 },         { { 1 }, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(pp_pcsc_bit_rate(cases[i].d, cases[i].len, cl_atr, sizeof cl_atr), cases[i].kbps);
		assert_int_equal(pp_pcsc_bit_rate(cases[i].d, cases[i].len, contact_atr, sizeof contact_atr), 0);
	}
	static const uint8_t eight[] = { 8 };
	assert_int_equal(pp_pcsc_bit_rate(eight, 5, cl_atr, sizeof cl_atr), 0);
	assert_int_equal(pp_pcsc_bit_rate(NULL, 1, cl_atr, sizeof cl_atr), 0);
	assert_int_equal(pp_pcsc_bit_rate(eight, 1, cl_atr, 3), 0);
	assert_int_equal(pp_pcsc_bit_rate(eight, 1, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_bit),
		cmocka_unit_test(test_common_rate),
		cmocka_unit_test(test_every_value),
		cmocka_unit_test(test_ats),
		cmocka_unit_test(test_pcsc_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
