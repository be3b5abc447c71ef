/*
 * test-lds — the LDS parsers against ICAO 9303 specimens and files built by
 * lds-fixtures: file identity, file length, EF.COM, DG1 and typed MRZ
 * (every field, every check digit, the dates' calendar check), DG2, DG11, DG12, DG14 (through
 * crypto/secinfo, which reads it for the reader and the report), DG15, EF.SOD;
 * and every parser against each truncation and each one-byte corruption of
 * a valid file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/buf.h"
#include "crypto/icao.h"
#include "crypto/lds/lds.h"
#include "crypto/secinfo.h"
#include "tests/lds/lds-fixtures.h"

/* ICAO 9303 part 4, appendix A (TD3) and part 5, appendix A (TD1). */
#define TD3_L1 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
#define TD3_L2 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
#define TD1_L1 "I<UTOD231458907<<<<<<<<<<<<<<<"
#define TD1_L2 "7408122F1204159UTO<<<<<<<<<<<6"
#define TD1_L3 "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
/* Part 5's long document number D23145890734, check digit 9. */
#define TD1_LONG_L1 "I<UTOD23145890<7349<<<<<<<<<<<"
#define TD2_L1 "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
#define TD2_L2 "D231458907UTO7408122F1204159<<<<<<<6"

/* ---- File identity and length ----------------------------------------- */

static void test_file_identity(void **state)
{
	(void)state;
	static const struct {
		lds_file f;
		uint8_t tag;
		uint16_t fid;
		const char *name;
	} table[] = {
		{ LDS_FILE_COM, 0x60, 0x011E, "EF.COM" },
		{ LDS_FILE_DG1, 0x61, 0x0101, "DG1" },
		{ LDS_FILE_DG2, 0x75, 0x0102, "DG2" },
		{ LDS_FILE_DG3, 0x63, 0x0103, "DG3" },
		{ LDS_FILE_DG4, 0x76, 0x0104, "DG4" },
		{ LDS_FILE_DG5, 0x65, 0x0105, "DG5" },
		{ LDS_FILE_DG10, 0x6A, 0x010A, "DG10" },
		{ LDS_FILE_DG11, 0x6B, 0x010B, "DG11" },
		{ LDS_FILE_DG12, 0x6C, 0x010C, "DG12" },
		{ LDS_FILE_DG13, 0x6D, 0x010D, "DG13" },
		{ LDS_FILE_DG14, 0x6E, 0x010E, "DG14" },
		{ LDS_FILE_DG15, 0x6F, 0x010F, "DG15" },
		{ LDS_FILE_DG16, 0x70, 0x0110, "DG16" },
		{ LDS_FILE_SOD, 0x77, 0x011D, "EF.SOD" },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		lds_file f = LDS_FILE_NONE;
		assert_int_equal(lds_file_tag(table[i].f), table[i].tag);
		assert_int_equal(lds_file_fid(table[i].f), table[i].fid);
		assert_int_equal(lds_file_sfi(table[i].f), table[i].fid & 0xFF);
		assert_string_equal(lds_file_name(table[i].f), table[i].name);
		assert_true(lds_file_from_tag(table[i].tag, &f));
		assert_int_equal(f, table[i].f);
		f = LDS_FILE_NONE;
		assert_true(lds_file_from_fid(table[i].fid, &f));
		assert_int_equal(f, table[i].f);
		f = LDS_FILE_NONE;
		assert_true(lds_file_from_sfi((uint8_t)table[i].fid, &f));
		assert_int_equal(f, table[i].f);
	}
	for (int n = 1; n <= 16; n++) {
		lds_file f = LDS_FILE_NONE;
		assert_int_equal(lds_file_dg(n), (lds_file)n);
		assert_true(lds_file_from_tag(lds_file_tag(lds_file_dg(n)), &f));
		assert_int_equal(f, n);
	}
	assert_int_equal(lds_file_fid(LDS_FILE_CARD_ACCESS), 0x011C);
	assert_int_equal(lds_file_sfi(LDS_FILE_CARD_ACCESS), 0x1C);
	assert_int_equal(lds_file_tag(LDS_FILE_CARD_ACCESS), 0);
	assert_string_equal(lds_file_name(LDS_FILE_CARD_ACCESS), "EF.CardAccess");

	lds_file untouched = LDS_FILE_DG7;
	assert_false(lds_file_from_tag(0x62, &untouched));
	assert_false(lds_file_from_tag(0x5F1F, &untouched));
	assert_false(lds_file_from_fid(0x0111, &untouched));
	assert_false(lds_file_from_fid(0x3F00, &untouched));
	assert_false(lds_file_from_sfi(0, &untouched));
	assert_false(lds_file_from_sfi(0x1F, &untouched));
	assert_int_equal(untouched, LDS_FILE_DG7);
	assert_int_equal(lds_file_dg(0), LDS_FILE_NONE);
	assert_int_equal(lds_file_dg(17), LDS_FILE_NONE);
	assert_false(lds_file_valid((lds_file)17));
	assert_int_equal(lds_file_fid((lds_file)17), 0);
	assert_string_equal(lds_file_name((lds_file)17), "unknown file");
}

static void test_file_length(void **state)
{
	(void)state;
	size_t total = 12345;
	static const struct {
		uint8_t head[6];
		size_t n;
		size_t total;
	} ok[] = {
		{ { 0x60, 0x16 }, 2, 0x18 },
		{ { 0x75, 0x81, 0x80 }, 3, 0x83 },
		{ { 0x75, 0x82, 0x3A, 0x98 }, 4, 0x3A98 + 4 },
		{ { 0x77, 0x83, 0x01, 0x00, 0x00 }, 5, 0x10000 + 5 },
		{ { 0x6E, 0x84, 0x00, 0x00, 0x01, 0x00 }, 6, 0x100 + 6 },
		{ { 0x31, 0x14 }, 2, 0x16 },   /* EF.CardAccess */
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(lds_file_length(ok[i].head, ok[i].n, &total), LDS_OK);
		assert_int_equal(total, ok[i].total);
		/* Longer reads give the same answer; shorter ones ask for more. */
		uint8_t longer[8] = { 0 };
		memcpy(longer, ok[i].head, ok[i].n);
		assert_int_equal(lds_file_length(longer, sizeof longer, &total), LDS_OK);
		assert_int_equal(total, ok[i].total);
		for (size_t n = 0; n < ok[i].n; n++) {
			total = 777;
			assert_int_equal(lds_file_length(ok[i].head, n, &total), LDS_ERR_NEED_MORE);
			assert_int_equal(total, 777);
		}
	}
	total = 777;
	assert_int_equal(lds_file_length((const uint8_t *)"\x61\x85\0\0\0\0\x01", 7, &total), LDS_ERR_BAD_TLV);
	assert_int_equal(lds_file_length((const uint8_t *)"\x61\x80", 2, &total), LDS_ERR_BAD_TLV);
	assert_int_equal(lds_file_length((const uint8_t *)"\x00\x00", 2, &total), LDS_ERR_TAG);
	assert_int_equal(lds_file_length((const uint8_t *)"\xFF\xFF", 2, &total), LDS_ERR_TAG);
	assert_int_equal(lds_file_length((const uint8_t *)"\x02\x01", 2, &total), LDS_ERR_TAG);
	assert_int_equal(lds_file_length((const uint8_t *)"\x75\x84\xFF\xFF\xFF\xFF", 6, &total), LDS_ERR_TOO_LARGE);
	assert_int_equal(total, 777);
	assert_int_equal(lds_file_length(NULL, 0, &total), LDS_ERR_NEED_MORE);
	assert_int_equal(lds_file_length(ok[0].head, 2, NULL), LDS_ERR_ARG);
}

/* ---- EF.COM ----------------------------------------------------------- */

static void test_com(void **state)
{
	(void)state;
	/* DG1, DG2, DG11, DG14, an unknown tag and DG2 again. */
	static const uint8_t tags[] = { 0x61, 0x75, 0x6B, 0x6E, 0x7E, 0x75 };
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_com(&b, tags, sizeof tags);
	assert_true(buf_ok(&b));
	lds_com com;
	assert_int_equal(lds_com_parse(b.data, b.len, &com), LDS_OK);
	assert_string_equal(com.lds_version, "0107");
	assert_string_equal(com.unicode_version, "040000");
	assert_int_equal(com.n_files, 4);
	assert_int_equal(com.files[0], LDS_FILE_DG1);
	assert_int_equal(com.files[1], LDS_FILE_DG2);
	assert_int_equal(com.files[2], LDS_FILE_DG11);
	assert_int_equal(com.files[3], LDS_FILE_DG14);
	assert_true(lds_com_has(&com, LDS_FILE_DG14));
	assert_false(lds_com_has(&com, LDS_FILE_DG15));
	buf_free(&b);

	/* The ICAO part 10 example: 60 16 5F01 04 "0107" 5F36 06 "040000" 5C 04 61 75 6B 6C */
	static const uint8_t icao[] = {
		0x60, 0x16, 0x5F, 0x01, 0x04, '0', '1', '0', '7', 0x5F, 0x36, 0x06,
		'0', '4', '0', '0', '0', '0', 0x5C, 0x04, 0x61, 0x75, 0x6B, 0x6C,
	};
	assert_int_equal(lds_com_parse(icao, sizeof icao, &com), LDS_OK);
	assert_int_equal(com.n_files, 4);
	assert_int_equal(com.files[3], LDS_FILE_DG12);

	/* No tag list; a version that is not digits; another file. */
	static const uint8_t no_list[] = { 0x60, 0x07, 0x5F, 0x01, 0x04, '0', '1', '0', '7' };
	static const uint8_t bad_version[] = { 0x60, 0x0A, 0x5F, 0x01, 0x04, '0', '1', 'x', '7', 0x5C, 0x01, 0x61 };
	lds_com untouched = { .n_files = 99 };
	assert_int_equal(lds_com_parse(no_list, sizeof no_list, &untouched), LDS_ERR_MISSING);
	assert_int_equal(lds_com_parse(bad_version, sizeof bad_version, &untouched), LDS_ERR_VALUE);
	assert_int_equal(lds_com_parse(icao + 1, sizeof icao - 1, &untouched), LDS_ERR_TAG);
	assert_int_equal(lds_com_parse(icao, 0, &untouched), LDS_ERR_TRUNCATED);
	assert_int_equal(untouched.n_files, 99);
}

/* ---- DG1 and MRZ text ------------------------------------------------- */

static lds_mrz dg1_of(const char *mrz)
{
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg1(&b, mrz);
	lds_mrz m;
	memset(&m, 0x55, sizeof m);
	assert_int_equal(lds_dg1_parse(b.data, b.len, &m), LDS_OK);
	buf_free(&b);
	return m;
}

static void assert_check(lds_check c, char found, char expected, bool ok)
{
	assert_int_equal(c.found, found);
	assert_int_equal(c.expected, expected);
	assert_int_equal(c.ok, ok);
}

static void test_dg1_td3_specimen(void **state)
{
	(void)state;
	lds_mrz m = dg1_of(TD3_L1 TD3_L2);
	assert_int_equal(m.format, LDS_MRZ_TD3);
	assert_int_equal(m.n_lines, 2);
	assert_string_equal(m.lines[0], TD3_L1);
	assert_string_equal(m.lines[1], TD3_L2);
	assert_string_equal(m.document_code, "P");
	assert_string_equal(m.issuing_state, "UTO");
	assert_string_equal(m.primary_identifier, "ERIKSSON");
	assert_string_equal(m.secondary_identifier, "ANNA MARIA");
	assert_string_equal(m.document_number, "L898902C3");
	assert_string_equal(m.nationality, "UTO");
	assert_string_equal(m.birth_date, "740812");
	assert_int_equal(m.sex, 'F');
	assert_string_equal(m.expiry_date, "120415");
	assert_string_equal(m.optional_data, "ZE184226B");
	assert_string_equal(m.optional_data2, "");
	assert_true(m.has_optional);
	assert_check(m.check_number, '6', '6', true);
	assert_check(m.check_birth, '2', '2', true);
	assert_check(m.check_expiry, '9', '9', true);
	assert_check(m.check_optional, '1', '1', true);
	assert_check(m.check_composite, '0', '0', true);
	assert_true(lds_mrz_checks_ok(&m));
}

static void test_dg1_td1_specimen(void **state)
{
	(void)state;
	lds_mrz m = dg1_of(TD1_L1 TD1_L2 TD1_L3);
	assert_int_equal(m.format, LDS_MRZ_TD1);
	assert_int_equal(m.n_lines, 3);
	assert_string_equal(m.lines[2], TD1_L3);
	assert_string_equal(m.document_code, "I");
	assert_string_equal(m.issuing_state, "UTO");
	assert_string_equal(m.document_number, "D23145890");
	assert_string_equal(m.optional_data, "");
	assert_string_equal(m.birth_date, "740812");
	assert_int_equal(m.sex, 'F');
	assert_string_equal(m.expiry_date, "120415");
	assert_string_equal(m.nationality, "UTO");
	assert_string_equal(m.primary_identifier, "ERIKSSON");
	assert_string_equal(m.secondary_identifier, "ANNA MARIA");
	assert_false(m.has_optional);
	assert_check(m.check_number, '7', '7', true);
	assert_check(m.check_birth, '2', '2', true);
	assert_check(m.check_expiry, '9', '9', true);
	assert_check(m.check_composite, '6', '6', true);
	assert_true(lds_mrz_checks_ok(&m));
}

static void test_dg1_td1_long_number(void **state)
{
	(void)state;
	/* Part 5's own example: line 2 is the same as the short number's. */
	lds_mrz m = dg1_of(TD1_LONG_L1 TD1_L2 TD1_L3);
	assert_string_equal(m.document_number, "D23145890734");
	assert_check(m.check_number, '9', '9', true);
	assert_string_equal(m.optional_data, "");
	assert_check(m.check_composite, '6', '6', true);

	/* Optional data after the long number stays optional data. */
	m = dg1_of("I<UTOD23145890<7349<ABC<<<<<<<" TD1_L2 TD1_L3);
	assert_string_equal(m.document_number, "D23145890734");
	assert_true(m.check_number.ok);
	assert_string_equal(m.optional_data, "ABC");
}

static void test_dg1_td2(void **state)
{
	(void)state;
	lds_mrz m = dg1_of(TD2_L1 TD2_L2);
	assert_int_equal(m.format, LDS_MRZ_TD2);
	assert_string_equal(m.document_code, "I");
	assert_string_equal(m.document_number, "D23145890");
	assert_string_equal(m.primary_identifier, "ERIKSSON");
	assert_string_equal(m.secondary_identifier, "ANNA MARIA");
	assert_string_equal(m.birth_date, "740812");
	assert_string_equal(m.expiry_date, "120415");
	assert_check(m.check_composite, '6', '6', true);
	assert_true(lds_mrz_checks_ok(&m));
}

static void test_dg1_check_digit_failures_reported(void **state)
{
	(void)state;
	/* Each check digit of the TD3 specimen altered in turn: the file still
	 * parses and only that check (and the composite, which covers it)
	 * fails. */
	static const struct { size_t pos; char found; } cases[] = {
		{ 9, '5' }, { 19, '3' }, { 27, '0' }, { 42, '7' }, { 43, '4' },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char mrz[89] = TD3_L1 TD3_L2;
		mrz[44 + cases[i].pos] = cases[i].found;
		lds_mrz m = dg1_of(mrz);
		assert_false(lds_mrz_checks_ok(&m));
		const lds_check *all[] = { &m.check_number, &m.check_birth, &m.check_expiry,
		                           &m.check_optional, &m.check_composite };
		assert_int_equal(all[i]->found, cases[i].found);
		/* The composite covers every other check digit, so it fails
		 * whichever was altered. */
		for (size_t j = 0; j < 5; j++)
			assert_int_equal(all[j]->ok, j != i && j != 4);
	}
	/* The doc number with a wrong digit: expected vs found reported. */
	char mrz[89] = TD3_L1 TD3_L2;
	mrz[44 + 9] = '5';
	lds_mrz m = dg1_of(mrz);
	assert_check(m.check_number, '5', '6', false);

	/* An unused personal number may carry '<' or '0' as check digit. */
	lds_mrz u = dg1_of(TD3_L1 "L898902C36UTO7408122F1204159" "<<<<<<<<<<<<<<" "<8");
	assert_check(u.check_optional, '<', '0', true);
	u = dg1_of(TD3_L1 "L898902C36UTO7408122F1204159" "<<<<<<<<<<<<<<" "08");
	assert_check(u.check_optional, '0', '0', true);
}

static void test_dg1_errors(void **state)
{
	(void)state;
	lds_mrz m = { .sex = 'Q' };
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg1(&b, TD3_L1 "L898902C36UTO7408122F1204159ZE184226B<<<<<1");   /* 87 */
	assert_int_equal(lds_dg1_parse(b.data, b.len, &m), LDS_ERR_MRZ_LENGTH);
	buf_free(&b);
	fx_dg1(&b, TD3_L1 "L898902C36UTO7408122F1204159ZE184226b<<<<<10");
	assert_int_equal(lds_dg1_parse(b.data, b.len, &m), LDS_ERR_MRZ_CHARSET);
	buf_free(&b);
	static const uint8_t no_mrz[] = { 0x61, 0x03, 0x5F, 0x1E, 0x00 };
	assert_int_equal(lds_dg1_parse(no_mrz, sizeof no_mrz, &m), LDS_ERR_MISSING);
	static const uint8_t bad_inner[] = { 0x61, 0x03, 0x5F, 0x1F, 0x05 };
	assert_int_equal(lds_dg1_parse(bad_inner, sizeof bad_inner, &m), LDS_ERR_TRUNCATED);
	assert_int_equal(m.sex, 'Q');
}

static void test_mrz_text(void **state)
{
	(void)state;
	static const char *const good[] = {
		TD3_L1 "\n" TD3_L2,
		TD3_L1 TD3_L2,
		TD3_L1 "\r\n" TD3_L2 "\r\n",
		"\n  p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<\n l898902c36uto7408122f1204159ze184226b<<<<<10 \n",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		lds_mrz m;
		assert_int_equal(lds_mrz_parse_text(good[i], &m), LDS_OK);
		assert_int_equal(m.format, LDS_MRZ_TD3);
		assert_string_equal(m.document_number, "L898902C3");
		assert_string_equal(m.birth_date, "740812");
		assert_string_equal(m.expiry_date, "120415");
	}
	lds_mrz m;
	/* Swapped lines run together are a different, invalid MRZ. */
	static const char swapped[] = "L898902C36 UTO7408122 F1204159 ZE184226B<<<<<10\t" TD3_L1;
	assert_int_not_equal(lds_mrz_parse_text(swapped, &m), LDS_OK);

	assert_int_equal(lds_mrz_parse_text(TD1_L1 "\n" TD1_L2 "\n" TD1_L3, &m), LDS_OK);
	assert_int_equal(m.format, LDS_MRZ_TD1);
	assert_string_equal(m.document_number, "D23145890");
	assert_int_equal(lds_mrz_parse_text(TD2_L1 "\n" TD2_L2, &m), LDS_OK);
	assert_int_equal(m.format, LDS_MRZ_TD2);

	static const struct { const char *text; lds_err e; } bad[] = {
		{ "", LDS_ERR_MRZ_LENGTH },
		{ TD3_L1, LDS_ERR_MRZ_LENGTH },
		{ TD3_L1 "<\n" "L898902C36UTO7408122F1204159ZE184226B<<<<<1", LDS_ERR_MRZ_LENGTH },
		{ TD3_L1 "\n" TD3_L2 "\n" TD3_L2, LDS_ERR_MRZ_LENGTH },
		{ TD1_L1 TD1_L2 "\n" TD1_L3, LDS_ERR_MRZ_LENGTH },   /* 60 + 30 */
		{ TD3_L1 "\n" TD3_L2 "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", LDS_ERR_MRZ_LENGTH },
		{ TD3_L1 "\n" "L898902C36UTO7408122F1204159ZE184226B<<<<<1-", LDS_ERR_MRZ_CHARSET },
		{ TD3_L1 "\n" "L898902C35UTO7408122F1204159ZE184226B<<<<<10", LDS_ERR_MRZ_CHECK_NUMBER },
		{ TD3_L1 "\n" "L898902C36UTO7408121F1204159ZE184226B<<<<<10", LDS_ERR_MRZ_CHECK_BIRTH },
		{ TD3_L1 "\n" "L898902C36UTO7408122F1204158ZE184226B<<<<<10", LDS_ERR_MRZ_CHECK_EXPIRY },
		{ TD3_L1 "\n" "L898902C36UTO7408122F1204159ZE184226B<<<<<20", LDS_ERR_MRZ_CHECK_OPTIONAL },
		{ TD3_L1 "\n" "L898902C36UTO7408122F1204159ZE184226B<<<<<11", LDS_ERR_MRZ_CHECK_COMPOSITE },
		{ TD1_L1 "\n" "7408122F1204159UTO<<<<<<<<<<<5\n" TD1_L3, LDS_ERR_MRZ_CHECK_COMPOSITE },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lds_mrz u = { .sex = 'Q' };
		assert_int_equal(lds_mrz_parse_text(bad[i].text, &u), bad[i].e);
		assert_int_equal(u.sex, 'Q');
		assert_true(lds_err_is_user(bad[i].e));
		assert_non_null(strstr(lds_strerror(bad[i].e), "MRZ"));
	}
	assert_int_equal(lds_mrz_parse_text(NULL, &m), LDS_ERR_ARG);
	assert_false(lds_err_is_user(LDS_ERR_TRUNCATED));
}

/* The TD3 specimen with other dates in line 2, every check digit
 * recomputed: out holds both lines run together (89 bytes). */
static void td3_with_dates(const char *birth, const char *expiry, char out[89])
{
	char l2[45] = TD3_L2;
	memcpy(l2 + 13, birth, 6);
	l2[19] = (char)('0' + icao_check_digit(l2 + 13, 6));
	memcpy(l2 + 21, expiry, 6);
	l2[27] = (char)('0' + icao_check_digit(l2 + 21, 6));
	char comp[39];
	memcpy(comp, l2, 10);
	memcpy(comp + 10, l2 + 13, 7);
	memcpy(comp + 17, l2 + 21, 22);
	l2[43] = (char)('0' + icao_check_digit(comp, 39));
	snprintf(out, 89, "%s%s", TD3_L1, l2);
}

static void test_date_check(void **state)
{
	(void)state;
	static const struct { const char *date; lds_date_status want; } table[] = {
		{ "740812", LDS_DATE_VALID },
		{ "741231", LDS_DATE_VALID },
		{ "740430", LDS_DATE_VALID },
		{ "960229", LDS_DATE_VALID },        /* 1996 and 2096 are leap years */
		{ "000229", LDS_DATE_VALID },        /* and so is 2000 */
		{ "970229", LDS_DATE_INVALID },
		{ "460231", LDS_DATE_INVALID },      /* 31 February (issue 14) */
		{ "461309", LDS_DATE_INVALID },      /* month 13 */
		{ "461399", LDS_DATE_INVALID },
		{ "740431", LDS_DATE_INVALID },
		{ "740132", LDS_DATE_INVALID },
		{ "740800", LDS_DATE_INVALID },
		{ "740012", LDS_DATE_INVALID },
		{ "7408<<", LDS_DATE_PARTLY_UNKNOWN }, /* day unknown */
		{ "74<<<<", LDS_DATE_PARTLY_UNKNOWN }, /* month and day unknown */
		{ "<<<<<<", LDS_DATE_PARTLY_UNKNOWN },
		{ "7413<<", LDS_DATE_INVALID },      /* the known part must be valid */
		{ "74<<12", LDS_DATE_INVALID },      /* a day without its month */
		{ "<<0812", LDS_DATE_INVALID },
		{ "7408<2", LDS_DATE_INVALID },
		{ "7408XX", LDS_DATE_INVALID },
		{ "74 812", LDS_DATE_INVALID },
		{ "74081", LDS_DATE_INVALID },
		{ "7408122", LDS_DATE_INVALID },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		lds_date_status got = lds_date_check(table[i].date, strlen(table[i].date));
		if (got != table[i].want)
			fail_msg("%s: %s, expected %s", table[i].date, lds_date_status_name(got),
			         lds_date_status_name(table[i].want));
	}
	assert_int_equal(lds_date_check(NULL, 6), LDS_DATE_INVALID);
	assert_string_equal(lds_date_status_name(LDS_DATE_PARTLY_UNKNOWN), "partly unknown");
}

/* A typed MRZ with dates that are no calendar day but whose check digits
 * are right is refused, naming the date; DG1 from a chip is parsed and the
 * dates reported. */
static void test_mrz_dates(void **state)
{
	(void)state;
	char mrz[89];
	lds_mrz m;
	td3_with_dates("461399", "330515", mrz);   /* birth month 13, day 99 */
	lds_mrz u = { .sex = 'Q' };
	assert_int_equal(lds_mrz_parse_text(mrz, &u), LDS_ERR_MRZ_BIRTH_DATE);
	assert_int_equal(u.sex, 'Q');
	assert_true(lds_err_is_user(LDS_ERR_MRZ_BIRTH_DATE));
	assert_non_null(strstr(lds_strerror(LDS_ERR_MRZ_BIRTH_DATE), "date of birth"));
	m = dg1_of(mrz);
	assert_true(lds_mrz_checks_ok(&m));
	assert_int_equal(m.birth_date_status, LDS_DATE_INVALID);
	assert_int_equal(m.expiry_date_status, LDS_DATE_VALID);
	assert_string_equal(m.birth_date, "461399");

	td3_with_dates("460309", "330231", mrz);   /* expiry 31 February */
	assert_int_equal(lds_mrz_parse_text(mrz, &u), LDS_ERR_MRZ_EXPIRY_DATE);
	assert_true(lds_err_is_user(LDS_ERR_MRZ_EXPIRY_DATE));
	assert_non_null(strstr(lds_strerror(LDS_ERR_MRZ_EXPIRY_DATE), "date of expiry"));
	m = dg1_of(mrz);
	assert_int_equal(m.expiry_date_status, LDS_DATE_INVALID);

	/* A date of birth whose day is unknown: a genuine document. DG1 reads
	 * it; typed, it cannot become an access key (every digit is needed). */
	td3_with_dates("4603<<", "330515", mrz);
	m = dg1_of(mrz);
	assert_true(lds_mrz_checks_ok(&m));
	assert_int_equal(m.birth_date_status, LDS_DATE_PARTLY_UNKNOWN);
	assert_string_equal(m.birth_date, "4603");
	assert_int_equal(lds_mrz_parse_text(mrz, &u), LDS_ERR_MRZ_BIRTH_DATE);

	/* Real dates with every check digit right pass, 29 February of a leap
	 * year included; the specimen's dates are valid. */
	td3_with_dates("960229", "330515", mrz);
	assert_int_equal(lds_mrz_parse_text(mrz, &m), LDS_OK);
	assert_int_equal(m.birth_date_status, LDS_DATE_VALID);
	m = dg1_of(TD1_L1 TD1_L2 TD1_L3);
	assert_int_equal(m.birth_date_status, LDS_DATE_VALID);
	assert_int_equal(m.expiry_date_status, LDS_DATE_VALID);
	/* TD1 and TD2 take the same check. */
	assert_int_equal(lds_mrz_parse_text(TD1_L1 "\n" "7413122F1204159UTO<<<<<<<<<<<6\n" TD1_L3, &u),
	                 LDS_ERR_MRZ_BIRTH_DATE);
	assert_int_equal(lds_mrz_parse_text(TD2_L1 "\n" "D231458907UTO7408122F1204319<<<<<<<6", &u),
	                 LDS_ERR_MRZ_EXPIRY_DATE);
}

/* ---- DG2 -------------------------------------------------------------- */

static void check_dg2_with(const uint8_t *image, size_t len, uint8_t data_type)
{
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg2(&b, image, len, data_type, 16, 12);
	assert_true(buf_ok(&b));
	lds_dg2 *dg2 = NULL;
	assert_int_equal(lds_dg2_parse(b.data, b.len, &dg2), LDS_OK);
	/* The result owns its bytes: the file may go away. */
	memset(b.data, 0, b.len);
	buf_free(&b);
	assert_int_equal(dg2->n_bits, 1);
	const lds_bit *bit = &dg2->bits[0];
	assert_true(bit->header.has_version);
	assert_int_equal(bit->header.version, 0x0101);
	assert_int_equal(bit->header.type, 2);
	assert_int_equal(bit->header.format_owner, 0x0101);
	assert_int_equal(bit->header.format_type, 0x0008);
	assert_int_equal(bit->header.creation_date_len, 7);
	assert_memory_equal(bit->header.creation_date, "\x20\x12\x04\x15\x10\x30\x00", 7);
	assert_int_equal(bit->n_faces, 1);
	assert_int_equal(bit->bdb_len, 14 + 20 + 16 + 12 + len);
	assert_memory_equal(bit->bdb, "FAC\0" "010\0", 8);
	const lds_face *f = lds_dg2_face(dg2);
	assert_ptr_equal(f, &bit->faces[0]);
	assert_int_equal(f->gender, 2);
	assert_int_equal(f->eye_colour, 3);
	assert_int_equal(f->hair_colour, 4);
	assert_int_equal(f->feature_mask, 1);
	assert_int_equal(f->expression, 1);
	assert_int_equal(f->n_points, 2);
	assert_int_equal(f->points[1].type, 1);
	assert_int_equal(f->points[1].major, 3);
	assert_int_equal(f->points[1].minor, 2);
	assert_int_equal(f->points[1].x, 101);
	assert_int_equal(f->points[1].y, 201);
	assert_int_equal(f->face_image_type, 1);
	assert_int_equal(f->image_data_type, data_type);
	assert_int_equal(f->width, 16);
	assert_int_equal(f->height, 12);
	assert_int_equal(f->colour_space, 1);
	assert_int_equal(f->source_type, 2);
	assert_int_equal(f->image_len, len);
	assert_memory_equal(f->image, image, len);
	assert_true(f->image >= dg2->data && f->image + f->image_len <= dg2->data + dg2->len);
	lds_dg2_free(dg2);
}

static void test_dg2_jpeg(void **state)
{
	(void)state;
	size_t len;
	uint8_t *jpeg = fx_jpeg(16, 12, &len);
	assert_non_null(jpeg);
	check_dg2_with(jpeg, len, LDS_IMAGE_JPEG);
	free(jpeg);
}

static void test_dg2_jpeg2000(void **state)
{
	(void)state;
	size_t len;
	uint8_t *jp2 = fx_jpeg2000(16, 12, true, &len);
	assert_non_null(jp2);
	check_dg2_with(jp2, len, LDS_IMAGE_JPEG2000);
	free(jp2);
}

/* DG2 around a hand-made BDB, to reach the face-record checks. */
static lds_err dg2_with_bdb(const uint8_t *bdb, size_t len, uint32_t bdb_tag, const char *count)
{
	crypto_buf header = CRYPTO_BUF_INIT, bit = CRYPTO_BUF_INIT, group = CRYPTO_BUF_INIT;
	crypto_buf v = CRYPTO_BUF_INIT, file = CRYPTO_BUF_INIT;
	buf_append_tlv(&header, 0x87, "\x01\x01", 2);
	buf_append_tlv(&bit, 0xA1, header.data, header.len);
	buf_append_tlv(&bit, bdb_tag, bdb, len);
	buf_append_tlv(&group, 0x02, count, 1);
	buf_append_tlv(&group, 0x7F60, bit.data, bit.len);
	buf_append_tlv(&v, 0x7F61, group.data, group.len);
	buf_append_tlv(&file, 0x75, v.data, v.len);
	assert_true(buf_ok(&file));
	static lds_dg2 sentinel;
	lds_dg2 *dg2 = &sentinel;   /* must stay as it is on failure */
	lds_err e = lds_dg2_parse(file.data, file.len, &dg2);
	if (e == LDS_OK)
		lds_dg2_free(dg2);
	else
		assert_ptr_equal(dg2, &sentinel);
	buf_free(&header);
	buf_free(&bit);
	buf_free(&group);
	buf_free(&v);
	buf_free(&file);
	return e;
}

static void test_dg2_errors(void **state)
{
	(void)state;
	static const uint8_t img[] = { 0xFF, 0xD8, 0xFF, 0xD9 };
	crypto_buf r = CRYPTO_BUF_INIT;
	fx_face_record(&r, img, sizeof img, 0, 1, 1, 1);
	assert_true(buf_ok(&r));
	assert_int_equal(dg2_with_bdb(r.data, r.len, 0x5F2E, "\x01"), LDS_OK);
	assert_int_equal(dg2_with_bdb(r.data, r.len, 0x7F2E, "\x01"), LDS_OK);
	assert_int_equal(dg2_with_bdb(r.data, r.len, 0x5F2F, "\x01"), LDS_ERR_TAG);
	assert_int_equal(dg2_with_bdb(r.data, r.len, 0x5F2E, "\x02"), LDS_ERR_COUNT);

	uint8_t *c = malloc(r.len);
	assert_non_null(c);
#define MUTATED(stmt) (memcpy(c, r.data, r.len), (stmt), dg2_with_bdb(c, r.len, 0x5F2E, "\x01"))
	assert_int_equal(MUTATED(c[0] = 'X'), LDS_ERR_FACE_RECORD);
	assert_int_equal(MUTATED(c[5] = '3'), LDS_ERR_UNSUPPORTED);          /* 19794-5:2011 */
	assert_int_equal(MUTATED(c[11]++), LDS_ERR_TRUNCATED);               /* record length */
	assert_int_equal(MUTATED(c[11]--), LDS_ERR_LENGTH);
	assert_int_equal(MUTATED(c[13] = 0), LDS_ERR_MISSING);               /* no faces */
	assert_int_equal(MUTATED(c[13] = 2), LDS_ERR_COUNT);
	assert_int_equal(MUTATED(c[17]++), LDS_ERR_TRUNCATED);               /* face block length */
	assert_int_equal(MUTATED(c[17]--), LDS_ERR_LENGTH);
	assert_int_equal(MUTATED(c[19] = 5), LDS_ERR_LENGTH);                /* feature points */
#undef MUTATED
	/* A face block with no image. */
	crypto_buf e = CRYPTO_BUF_INIT;
	fx_face_record(&e, NULL, 0, 0, 1, 1, 0);
	assert_int_equal(dg2_with_bdb(e.data, e.len, 0x5F2E, "\x01"), LDS_ERR_MISSING);
	assert_int_equal(dg2_with_bdb(e.data, 9, 0x5F2E, "\x01"), LDS_ERR_TRUNCATED);
	free(c);
	buf_free(&e);
	buf_free(&r);

	static const uint8_t no_group[] = { 0x75, 0x03, 0x02, 0x01, 0x01 };
	lds_dg2 *dg2 = NULL;
	assert_int_equal(lds_dg2_parse(no_group, sizeof no_group, &dg2), LDS_ERR_MISSING);
	static const uint8_t empty_group[] = { 0x75, 0x06, 0x7F, 0x61, 0x03, 0x02, 0x01, 0x00 };
	assert_int_equal(lds_dg2_parse(empty_group, sizeof empty_group, &dg2), LDS_ERR_MISSING);
	assert_null(dg2);
	lds_dg2_free(NULL);
	assert_null(lds_dg2_face(NULL));
}

/* ---- DG11, DG12 ------------------------------------------------------- */

static void test_dg11(void **state)
{
	(void)state;
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg11(&b);
	assert_true(buf_ok(&b));
	lds_dg11 *d = NULL;
	assert_int_equal(lds_dg11_parse(b.data, b.len, &d), LDS_OK);
	buf_free(&b);
	assert_string_equal(d->full_name, "ERIKSSON<<ANNA<MARIA");
	assert_int_equal(d->n_other_names, 2);
	assert_string_equal(d->other_names[0], "ERIKSSON<<ANNA");
	assert_string_equal(d->other_names[1], "SVENSSON<<ANNA<MARIA");
	assert_string_equal(d->personal_number, "123456789");
	assert_string_equal(d->full_birth_date, "19740812");
	assert_string_equal(d->place_of_birth, "Malm\xC3\xB6");   /* Latin-1 made UTF-8 */
	assert_string_equal(d->address, "Jl. Merdeka 1<Jakarta");
	assert_string_equal(d->telephone, "+62 21 555 0100");
	assert_string_equal(d->profession, "Engineer");
	assert_string_equal(d->title, "Dr.");
	assert_string_equal(d->personal_summary, "Test person, do not issue");
	assert_int_equal(d->proof_of_citizenship_len, 5);
	assert_memory_equal(d->proof_of_citizenship, "\x01\x02\x03\x00\x04", 5);
	assert_string_equal(d->other_td_numbers, "X1234567");
	assert_string_equal(d->custody_information, "none");
	lds_dg11_free(d);
	lds_dg11_free(NULL);

	/* Minimal: the tag list and a UTF-8 name; absent fields are NULL. */
	static const uint8_t min[] = {
		0x6B, 0x0C, 0x5C, 0x02, 0x5F, 0x0E,
		0x5F, 0x0E, 0x05, 'J', 0xC3, 0xB6, 'R', 'G',
	};
	assert_int_equal(lds_dg11_parse(min, sizeof min, &d), LDS_OK);
	assert_string_equal(d->full_name, "J\xC3\xB6RG");
	assert_null(d->place_of_birth);
	assert_null(d->other_names);
	lds_dg11_free(d);

	static lds_dg11 sentinel;
	lds_dg11 *untouched = &sentinel;
	static const uint8_t no_list[] = { 0x6B, 0x05, 0x5F, 0x0E, 0x02, 'A', 'B' };
	assert_int_equal(lds_dg11_parse(no_list, sizeof no_list, &untouched), LDS_ERR_MISSING);
	static const uint8_t twice[] = {
		0x6B, 0x0A, 0x5C, 0x00, 0x5F, 0x0E, 0x01, 'A', 0x5F, 0x0E, 0x01, 'B',
	};
	assert_int_equal(lds_dg11_parse(twice, sizeof twice, &untouched), LDS_ERR_TAG);
	static const uint8_t nul[] = { 0x6B, 0x08, 0x5C, 0x00, 0x5F, 0x0E, 0x03, 'A', 0, 'B' };
	assert_int_equal(lds_dg11_parse(nul, sizeof nul, &untouched), LDS_ERR_VALUE);
	static const uint8_t bad_bcd[] = { 0x6B, 0x09, 0x5C, 0x00, 0x5F, 0x2B, 0x04, 0x19, 0x7A, 0x08, 0x12 };
	assert_int_equal(lds_dg11_parse(bad_bcd, sizeof bad_bcd, &untouched), LDS_ERR_VALUE);
	static const uint8_t bad_count2[] = {
		0x6B, 0x0D, 0x5C, 0x00, 0xA0, 0x09, 0x02, 0x01, 0x02, 0x5F, 0x0F, 0x03, 'A', '<', 'B',
	};
	assert_int_equal(lds_dg11_parse(bad_count2, sizeof bad_count2, &untouched), LDS_ERR_COUNT);
	assert_ptr_equal(untouched, &sentinel);
}

static void test_dg12(void **state)
{
	(void)state;
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg12(&b);
	assert_true(buf_ok(&b));
	lds_dg12 *d = NULL;
	assert_int_equal(lds_dg12_parse(b.data, b.len, &d), LDS_OK);
	buf_free(&b);
	assert_string_equal(d->issuing_authority, "Direktorat Jenderal Imigrasi");
	assert_string_equal(d->issue_date, "20120415");
	assert_int_equal(d->n_other_persons, 1);
	assert_string_equal(d->other_persons[0], "ERIKSSON<<ERIK");
	assert_string_equal(d->endorsements, "None");
	assert_string_equal(d->tax_exit_requirements, "No exit tax");
	assert_int_equal(d->front_image_len, 4);
	assert_memory_equal(d->front_image, "\xFF\xD8\xFF\xD9", 4);
	assert_int_equal(d->rear_image_len, 5);
	assert_string_equal(d->personalisation_time, "20120415103000");
	assert_string_equal(d->personalisation_serial, "SN-0042");
	lds_dg12_free(d);
	lds_dg12_free(NULL);

	static const uint8_t text_time[] = {
		0x6C, 0x13, 0x5C, 0x00, 0x5F, 0x55, 0x0E,
		'2', '0', '2', '4', '0', '1', '0', '2', '0', '3', '0', '4', '0', '5',
	};
	assert_int_equal(lds_dg12_parse(text_time, sizeof text_time, &d), LDS_OK);
	assert_string_equal(d->personalisation_time, "20240102030405");
	assert_null(d->issue_date);
	lds_dg12_free(d);
	static const uint8_t bad_date[] = { 0x6C, 0x0B, 0x5C, 0x00, 0x5F, 0x26, 0x06, '2', '0', '1', '2', '-', '4' };
	assert_int_equal(lds_dg12_parse(bad_date, sizeof bad_date, &d), LDS_ERR_VALUE);

	/* Other persons bare after the A0 list join it; DG11's full name (5F0E)
	 * is no DG12 element and is skipped. */
	static const uint8_t persons[] = {
		0x6C, 0x13, 0x5C, 0x00, 0xA0, 0x07, 0x02, 0x01, 0x01, 0x5F, 0x1A, 0x01, 'A',
		0x5F, 0x1A, 0x01, 'B', 0x5F, 0x0E, 0x01, 'C',
	};
	assert_int_equal(lds_dg12_parse(persons, sizeof persons, &d), LDS_OK);
	assert_int_equal(d->n_other_persons, 2);
	assert_string_equal(d->other_persons[0], "A");
	assert_string_equal(d->other_persons[1], "B");
	assert_null(d->issuing_authority);
	lds_dg12_free(d);

	static lds_dg12 sentinel;
	lds_dg12 *untouched = &sentinel;
	static const uint8_t image_twice[] = {
		0x6C, 0x0B, 0x5C, 0x00, 0x5F, 0x1D, 0x01, 0xFF, 0x5F, 0x1D, 0x02, 0xFF, 0xD8,
	};
	assert_int_equal(lds_dg12_parse(image_twice, sizeof image_twice, &untouched), LDS_ERR_TAG);
	static const uint8_t bad_count[] = {
		0x6C, 0x0B, 0x5C, 0x00, 0xA0, 0x07, 0x02, 0x01, 0x02, 0x5F, 0x1A, 0x01, 'A',
	};
	assert_int_equal(lds_dg12_parse(bad_count, sizeof bad_count, &untouched), LDS_ERR_COUNT);
	assert_ptr_equal(untouched, &sentinel);
}

/* ---- DG14, DG15, EF.SOD ----------------------------------------------- */

/* DG14 is read by crypto/secinfo, as the reader and the report read it. */
static void test_dg14(void **state)
{
	(void)state;
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_dg14(&b);
	assert_true(buf_ok(&b));
	secinfo_list l;
	assert_int_equal(secinfo_parse(b.data, b.len, &l), CRYPTO_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.entries[0].oid, "0.4.0.127.0.7.2.2.3.2.2");
	assert_string_equal(l.entries[0].name, "id-CA-ECDH-AES-CBC-CMAC-128");
	assert_string_equal(secinfo_oid_protocol(l.entries[0].oid), "CA");
	assert_int_equal(l.entries[0].len, 2 + 12 + 3);
	assert_memory_equal(b.data + l.entries[0].offset, "\x30\x0F\x06\x0A", 4);
	assert_string_equal(l.entries[1].oid, "2.23.136.1.1.5");
	assert_string_equal(l.entries[1].name, "id-icao-mrtd-security-aaProtocolObject");
	assert_string_equal(secinfo_oid_protocol(l.entries[1].oid), "AA");
	secinfo_list_free(&l);
	buf_free(&b);
	secinfo_list_free(NULL);
	assert_null(secinfo_oid_name("1.2.3"));

	/* A DG14 that lists nothing is read as an empty list. */
	static const uint8_t empty_set[] = { 0x6E, 0x02, 0x31, 0x00 };
	assert_int_equal(secinfo_parse(empty_set, sizeof empty_set, &l), CRYPTO_OK);
	assert_int_equal(l.n, 0);
	secinfo_list_free(&l);
	static secinfo_entry sentinel;
	secinfo_list untouched = { &sentinel, 1 };
	static const uint8_t not_set[] = { 0x6E, 0x02, 0x30, 0x00 };
	assert_int_equal(secinfo_parse(not_set, sizeof not_set, &untouched), CRYPTO_ERR_FORMAT);
	static const uint8_t no_oid[] = { 0x6E, 0x07, 0x31, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01 };
	assert_int_equal(secinfo_parse(no_oid, sizeof no_oid, &untouched), CRYPTO_ERR_FORMAT);
	static const uint8_t bad_oid[] = { 0x6E, 0x08, 0x31, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2A, 0x80 };
	assert_int_equal(secinfo_parse(bad_oid, sizeof bad_oid, &untouched), CRYPTO_ERR_FORMAT);
	assert_ptr_equal(untouched.entries, &sentinel);
	assert_int_equal(untouched.n, 1);
}

static void dg15_kind(const char *kind, lds_key_type type, int bits, const char *curve)
{
	crypto_buf b = CRYPTO_BUF_INIT;
	assert_true(fx_dg15(&b, kind));
	lds_dg15 *d = NULL;
	assert_int_equal(lds_dg15_parse(b.data, b.len, &d), LDS_OK);
	assert_int_equal(d->type, type);
	assert_int_equal(d->bits, bits);
	assert_string_equal(d->curve, curve);
	assert_int_equal(d->der_len + 2 + (b.data[1] & 0x80 ? (b.data[1] & 0x7F) : 0), b.len);
	assert_memory_equal(d->der, b.data + b.len - d->der_len, d->der_len);
	lds_dg15_free(d);
	buf_free(&b);
}

static void test_dg15(void **state)
{
	(void)state;
	dg15_kind("rsa1024", LDS_KEY_RSA, 1024, "");
	dg15_kind("P-256", LDS_KEY_EC, 256, "prime256v1");
	dg15_kind("brainpoolP256r1", LDS_KEY_EC, 256, "brainpoolP256r1");
	/* Passports often spell the curve out; it is still recognised. */
	dg15_kind("explicit-brainpoolP256r1", LDS_KEY_EC, 256, "brainpoolP256r1");
	assert_string_equal(lds_key_type_name(LDS_KEY_EC), "EC");
	lds_dg15_free(NULL);

	lds_dg15 *d = NULL;
	static const uint8_t junk[] = { 0x6F, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01 };
	assert_int_equal(lds_dg15_parse(junk, sizeof junk, &d), LDS_ERR_KEY);
	static const uint8_t not_seq[] = { 0x6F, 0x03, 0x02, 0x01, 0x01 };
	assert_int_equal(lds_dg15_parse(not_seq, sizeof not_seq, &d), LDS_ERR_TAG);
	assert_null(d);
}

static void test_sod(void **state)
{
	(void)state;
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_sod(&b);
	const uint8_t *cms = NULL;
	size_t cms_len = 0;
	assert_int_equal(lds_sod_unwrap(b.data, b.len, &cms, &cms_len), LDS_OK);
	assert_ptr_equal(cms, b.data + 2);
	assert_int_equal(cms_len, b.len - 2);
	b.data[2] = 0x31;
	assert_int_equal(lds_sod_unwrap(b.data, b.len, &cms, &cms_len), LDS_ERR_TAG);
	buf_free(&b);
	static const uint8_t trailing[] = { 0x77, 0x04, 0x30, 0x00, 0x00, 0x00 };
	cms = NULL;
	assert_int_equal(lds_sod_unwrap(trailing, sizeof trailing, &cms, &cms_len), LDS_ERR_LENGTH);
	assert_null(cms);
	/* Padding after the file's object is not part of it. */
	static const uint8_t padded[] = { 0x77, 0x02, 0x30, 0x00, 0xFF, 0xFF };
	assert_int_equal(lds_sod_unwrap(padded, sizeof padded, &cms, &cms_len), LDS_OK);
	assert_int_equal(cms_len, 2);
}

/* ---- Every parser against damaged files ------------------------------- */

/* Runs data through the parser named by f; the result is freed. */
static lds_err parse_as(lds_file f, const uint8_t *data, size_t len)
{
	lds_err e;
	if (f == LDS_FILE_COM) {
		lds_com com;
		e = lds_com_parse(data, len, &com);
	} else if (f == LDS_FILE_DG1) {
		lds_mrz m;
		e = lds_dg1_parse(data, len, &m);
	} else if (f == LDS_FILE_DG2) {
		lds_dg2 *d = NULL;
		e = lds_dg2_parse(data, len, &d);
		lds_dg2_free(d);
	} else if (f == LDS_FILE_DG11) {
		lds_dg11 *d = NULL;
		e = lds_dg11_parse(data, len, &d);
		lds_dg11_free(d);
	} else if (f == LDS_FILE_DG12) {
		lds_dg12 *d = NULL;
		e = lds_dg12_parse(data, len, &d);
		lds_dg12_free(d);
	} else if (f == LDS_FILE_DG14) {
		/* crypto/secinfo's: CRYPTO_ERR_FORMAT is its one word for bad
		 * bytes, whatever is wrong with them. */
		secinfo_list l;
		crypto_err ce = secinfo_parse(data, len, &l);
		if (ce == CRYPTO_OK)
			secinfo_list_free(&l);
		else
			assert_int_equal(ce, CRYPTO_ERR_FORMAT);
		e = ce == CRYPTO_OK ? LDS_OK : LDS_ERR_BAD_TLV;
	} else if (f == LDS_FILE_DG15) {
		lds_dg15 *d = NULL;
		e = lds_dg15_parse(data, len, &d);
		lds_dg15_free(d);
	} else {
		const uint8_t *cms;
		size_t n;
		assert_int_equal(f, LDS_FILE_SOD);
		e = lds_sod_unwrap(data, len, &cms, &n);
	}
	return e;
}

static void damage_file(lds_file f, const crypto_buf *b)
{
	assert_true(buf_ok(b));
	assert_int_equal(parse_as(f, b->data, b->len), LDS_OK);
	size_t total;
	assert_int_equal(lds_file_length(b->data, b->len, &total), LDS_OK);
	assert_int_equal(total, b->len);
	/* Every truncation fails, in a buffer of exactly that size so that
	 * ASan sees any read past it. */
	for (size_t n = 0; n < b->len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, b->data, n);
		lds_err e = parse_as(f, p, n);
		assert_int_not_equal(e, LDS_OK);
		if (n > 0 && f != LDS_FILE_DG14)
			assert_int_equal(e, LDS_ERR_TRUNCATED);
		free(p);
	}
	/* Every single-byte change parses or fails cleanly. */
	uint8_t *p = malloc(b->len);
	assert_non_null(p);
	static const uint8_t values[] = { 0x00, 0x01, 0x7F, 0x80, 0x81, 0x84, 0xFF };
	for (size_t i = 0; i < b->len; i++) {
		for (size_t v = 0; v < sizeof values; v++) {
			memcpy(p, b->data, b->len);
			p[i] = values[v];
			lds_err e = parse_as(f, p, b->len);
			assert_true(e >= LDS_OK && e <= LDS_ERR_MRZ_EXPIRY_DATE);
		}
	}
	free(p);
}

static void test_damaged_files(void **state)
{
	(void)state;
	static const uint8_t tags[] = { 0x61, 0x75, 0x6B, 0x6C, 0x6E, 0x6F };
	crypto_buf b = CRYPTO_BUF_INIT;
	fx_com(&b, tags, sizeof tags);
	damage_file(LDS_FILE_COM, &b);
	buf_free(&b);
	fx_dg1(&b, TD3_L1 TD3_L2);
	damage_file(LDS_FILE_DG1, &b);
	buf_free(&b);
	fx_dg1(&b, TD1_LONG_L1 TD1_L2 TD1_L3);
	damage_file(LDS_FILE_DG1, &b);
	buf_free(&b);
	size_t len;
	uint8_t *jpeg = fx_jpeg(8, 8, &len);
	assert_non_null(jpeg);
	fx_dg2(&b, jpeg, len, LDS_IMAGE_JPEG, 8, 8);
	free(jpeg);
	damage_file(LDS_FILE_DG2, &b);
	buf_free(&b);
	fx_dg11(&b);
	damage_file(LDS_FILE_DG11, &b);
	buf_free(&b);
	fx_dg12(&b);
	damage_file(LDS_FILE_DG12, &b);
	buf_free(&b);
	fx_dg14(&b);
	damage_file(LDS_FILE_DG14, &b);
	buf_free(&b);
	assert_true(fx_dg15(&b, "P-256"));
	damage_file(LDS_FILE_DG15, &b);
	buf_free(&b);
	fx_sod(&b);
	damage_file(LDS_FILE_SOD, &b);
	buf_free(&b);
}

static void test_garbage(void **state)
{
	(void)state;
	static const lds_file files[] = {
		LDS_FILE_COM, LDS_FILE_DG1, LDS_FILE_DG2, LDS_FILE_DG11,
		LDS_FILE_DG12, LDS_FILE_DG14, LDS_FILE_DG15, LDS_FILE_SOD,
	};
	uint32_t x = 12345;
	for (int round = 0; round < 2000; round++) {
		uint8_t data[64];
		size_t len = 1 + round % sizeof data;
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			data[i] = (uint8_t)(x >> 16);
		}
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			/* Right outer tag, random rest: reaches the inner parsers. */
			data[0] = lds_file_tag(files[i]);
			if (len > 1)
				data[1] = (uint8_t)(len - 2);
			uint8_t *p = malloc(len);
			assert_non_null(p);
			memcpy(p, data, len);
			(void)parse_as(files[i], p, len);
			free(p);
		}
	}
	assert_int_equal(parse_as(LDS_FILE_DG2, (const uint8_t *)"\x61\x00", 2), LDS_ERR_TAG);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = LDS_OK; e <= LDS_ERR_MRZ_EXPIRY_DATE; e++) {
		const char *s = lds_strerror((lds_err)e);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown LDS error");
	}
	assert_string_equal(lds_strerror((lds_err)999), "unknown LDS error");
	assert_non_null(strstr(lds_strerror(LDS_ERR_TRUNCATED), "truncated"));
	assert_non_null(strstr(lds_strerror(LDS_ERR_TAG), "unexpected tag"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_identity),
		cmocka_unit_test(test_file_length),
		cmocka_unit_test(test_com),
		cmocka_unit_test(test_dg1_td3_specimen),
		cmocka_unit_test(test_dg1_td1_specimen),
		cmocka_unit_test(test_dg1_td1_long_number),
		cmocka_unit_test(test_dg1_td2),
		cmocka_unit_test(test_dg1_check_digit_failures_reported),
		cmocka_unit_test(test_dg1_errors),
		cmocka_unit_test(test_mrz_text),
		cmocka_unit_test(test_date_check),
		cmocka_unit_test(test_mrz_dates),
		cmocka_unit_test(test_dg2_jpeg),
		cmocka_unit_test(test_dg2_jpeg2000),
		cmocka_unit_test(test_dg2_errors),
		cmocka_unit_test(test_dg11),
		cmocka_unit_test(test_dg12),
		cmocka_unit_test(test_dg14),
		cmocka_unit_test(test_dg15),
		cmocka_unit_test(test_sod),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
