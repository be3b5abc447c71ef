/*
 * test_vpass — the virtual e-passport driven as an inspection system would
 * drive it, with the terminal side of crypto/ (BAC, secure messaging):
 * access control with the right and wrong MRZ, short, extended, SFI and
 * odd-INS reads, and every fault the chip can be scripted to produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/apdu.h"
#include "crypto/sm.h"
#include "crypto/tlv.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/sim.h"
#include "tests/vpass/term.h"
#include "tests/crypto/hexutil.h"

#define DOCNO "L898902C<"
#define DOB   "690806"
#define DOE   "940623"

/* EF.COM of ICAO 9303 part 11 appendix D (LDS 1.6, DG1 and DG2). */
static const uint8_t ef_com[] = {
	0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36, 0x5F, 0x36,
	0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75,
};

#define BIG_LEN 40960 /* DG2: large enough to need offsets past 32767 */

typedef struct fixture {
	vpass_doc *doc;
	vpass_card *card;
	uint8_t dg1[93];
	uint8_t *dg2;
	uint8_t card_access[20];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dg2 = malloc(BIG_LEN);
	assert_non_null(f->dg2);
	term_fill(f->dg1, sizeof f->dg1, 1);
	term_fill(f->dg2, BIG_LEN, 2);
	term_fill(f->card_access, sizeof f->card_access, 3);
	assert_int_equal(vpass_doc_new(&f->doc), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(f->doc, VPASS_FID_COM, ef_com, sizeof ef_com), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(f->doc, VPASS_FID_DG(1), f->dg1, sizeof f->dg1), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(f->doc, VPASS_FID_DG(2), f->dg2, BIG_LEN), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(f->doc, VPASS_FID_CARD_ACCESS, f->card_access, sizeof f->card_access),
	                 VPASS_OK);
	assert_int_equal(vpass_doc_set_access(f->doc, DOCNO, DOB, DOE), VPASS_OK);
	assert_int_equal(vpass_card_new(f->doc, NULL, &f->card), VPASS_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	vpass_card_free(f->card);
	vpass_doc_free(f->doc);
	free(f->dg2);
	free(f);
	return 0;
}

/* ---- the terminal (tests/vpass/term.h) ---- */

/* An answer buffer for commands sent to the card directly. */
static uint8_t resp_buf[APDU_MAX_RESPONSE + 64];

static term open_session(fixture *f)
{
	return term_open(f->card, DOCNO, DOB, DOE);
}

/* READ BINARY B1 with DO'54; returns the SW, the DO'53 value in out. */
static uint16_t read_b1(term *t, uint16_t p1p2, size_t offset, size_t le, bool extended, crypto_buf *out)
{
	uint8_t d[5] = { 0x54, 0x03, (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset };
	crypto_apdu a = { .ins = 0xB1, .p1 = (uint8_t)(p1p2 >> 8), .p2 = (uint8_t)p1p2, .data = d, .lc = 5, .le = le,
	           .extended = extended };
	crypto_buf r = CRYPTO_BUF_INIT;
	uint16_t sw = term_xfer(t, &a, &r);
	if (sw == SW_OK) {
		crypto_tlv v;
		assert_int_equal(tlv_parse_one(r.data, r.len, &v), TLV_OK);
		assert_int_equal(v.tag, 0x53);
		assert_int_equal(v.raw_len, r.len);
		buf_append(out, v.value, v.len);
	}
	buf_free(&r);
	return sw;
}

/* Read the current EF to its end in chunks of le. */
static void read_all_b0(term *t, size_t total, size_t le, bool extended, crypto_buf *out)
{
	while (out->len < total) {
		size_t before = out->len;
		uint16_t sw = term_read_b0(t, out->len, le, extended, out);
		assert_int_equal(sw, SW_OK);
		assert_true(out->len > before);
		if (out->len >= 32768)
			break;
	}
}

/* ---- tests ---- */

static void test_bac_right_mrz(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	/* The same key without the filler works too. */
	crypto_buf com = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_COM, 0, NULL), SW_OK);
	assert_int_equal(term_read_b0(&t, 0, 4, false, &com), SW_OK);
	assert_int_equal(com.len, 4);
	assert_int_equal(term_read_b0(&t, 4, 0x12, false, &com), SW_OK);
	assert_int_equal(com.len, sizeof ef_com);
	assert_memory_equal(com.data, ef_com, sizeof ef_com);
	buf_free(&com);

	vpass_stats st;
	vpass_card_stats(f->card, &st);
	assert_int_equal(st.bac_ok, 1);
	assert_int_equal(st.bac_failed, 0);
	assert_int_equal(st.apdus, 6);
	assert_true(st.bytes_in > 0 && st.bytes_out > 0);
}

static void test_bac_wrong_mrz(void **state)
{
	fixture *f = *state;
	term t = { .card = f->card };
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_int_equal(term_bac(&t, DOCNO, DOB, "940624"), 0x6300);
	assert_false(vpass_card_sm_active(f->card));
	assert_int_equal(term_bac(&t, "L898902D<", DOB, DOE), 0x6300);
	/* Still nothing readable. */
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_SECURITY_STATUS);
	vpass_stats st;
	vpass_card_stats(f->card, &st);
	assert_int_equal(st.bac_failed, 2);

	/* EXTERNAL AUTHENTICATE without a fresh challenge is refused, and a
	 * challenge serves one attempt only. */
	uint8_t junk[40] = { 0 };
	crypto_apdu ea = { .ins = 0x82, .data = junk, .lc = 40, .le = 40 };
	assert_int_equal(term_xfer(&t, &ea, NULL), SW_CONDITIONS);

	/* The right MRZ afterwards still opens it. */
	assert_int_equal(term_bac(&t, DOCNO, DOB, DOE), SW_OK);
	assert_true(vpass_card_sm_active(f->card));
}

static void test_lds_needs_bac(void **state)
{
	fixture *f = *state;
	term t = { .card = f->card };
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_COM, 0, NULL), SW_SECURITY_STATUS);
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 4, &out), SW_SECURITY_STATUS);
	assert_int_equal(term_read_sfi(&t, 0x01, 0, 4, &out), SW_SECURITY_STATUS);
	assert_int_equal(term_read_b0(&t, 0, 4, false, &out), 0x6986); /* no current EF */
	assert_int_equal(out.len, 0);

	/* EF.CardAccess under the MF needs no access control. */
	assert_int_equal(term_select_fid(&t, 0x00, 0x0C, 0x3F00, 0, NULL), SW_OK);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_CARD_ACCESS, 0, NULL), SW_OK);
	assert_int_equal(term_read_b0(&t, 0, 256, false, &out), SW_OK);
	assert_int_equal(out.len, sizeof f->card_access);
	assert_memory_equal(out.data, f->card_access, out.len);
	out.len = 0;
	assert_int_equal(term_read_sfi(&t, 0x1C, 2, 5, &out), SW_OK);
	assert_memory_equal(out.data, f->card_access + 2, 5);
	/* LDS files are not visible from the MF. */
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_COM, 0, NULL), SW_FILE_NOT_FOUND);
	buf_free(&out);
}

static void test_no_card_access(void **state)
{
	fixture *f = *state;
	vpass_doc *doc;
	vpass_card *card;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_COM, ef_com, sizeof ef_com), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, DOCNO, DOB, DOE), VPASS_OK);
	assert_int_equal(vpass_card_new(doc, NULL, &card), VPASS_OK);
	vpass_doc_free(doc); /* the card keeps its own copy */
	term t = { .card = card };
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_CARD_ACCESS, 0, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(term_read_sfi(&t, 0x1C, 0, 4, NULL), SW_FILE_NOT_FOUND);
	/* No DG2 on this one. */
	t = (term){ .card = card };
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_int_equal(term_bac(&t, DOCNO, DOB, DOE), SW_OK);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(t.last_sm_err, CRYPTO_OK); /* an ordinary protected answer */
	crypto_buf com = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 256, &com), SW_OK);
	assert_memory_equal(com.data, ef_com, sizeof ef_com);
	buf_free(&com);
	vpass_card_free(card);
	(void)f;
}

static void test_short_reads(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	read_all_b0(&t, BIG_LEN, 0xDF, false, &out); /* up to offset 32767 */
	assert_true(out.len >= 32768 - 0xDF && out.len <= 32768 + 0xDF);
	assert_memory_equal(out.data, f->dg2, out.len);

	/* Short SM leaves room for 231 plain bytes in a 256-byte answer. */
	crypto_buf r = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_b0(&t, 0, 231, false, &r), SW_OK);
	assert_int_equal(r.len, 231);
	assert_int_equal(term_read_b0(&t, 0, 232, false, NULL), SW_WRONG_LENGTH);
	assert_int_equal(term_read_b0(&t, 0, 255, false, NULL), SW_WRONG_LENGTH);
	assert_true(vpass_card_sm_active(f->card)); /* an answer, not an SM error */
	/* Le 00 means "what fits": 231 bytes. */
	r.len = 0;
	assert_int_equal(term_read_b0(&t, 1, 256, false, &r), SW_OK);
	assert_int_equal(r.len, 231);
	assert_memory_equal(r.data, f->dg2 + 1, 231);
	buf_free(&r);
	buf_free(&out);
}

static void test_extended_reads(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	/* One read with Le 65536 returns the whole file: it ends before Le. */
	assert_int_equal(term_read_b0(&t, 0, 65536, true, &out), SW_OK);
	assert_int_equal(out.len, BIG_LEN);
	assert_memory_equal(out.data, f->dg2, BIG_LEN);
	out.len = 0;
	/* Le 0000 on a file bigger than one protected answer can carry. */
	vpass_doc *bigdoc;
	vpass_card *bigcard;
	uint8_t *huge = malloc(70000);
	assert_non_null(huge);
	term_fill(huge, 70000, 9);
	assert_int_equal(vpass_doc_new(&bigdoc), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(bigdoc, VPASS_FID_DG(2), huge, 70000), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(bigdoc, DOCNO, DOB, DOE), VPASS_OK);
	assert_int_equal(vpass_card_new(bigdoc, NULL, &bigcard), VPASS_OK);
	term bt = { .card = bigcard };
	assert_int_equal(term_select_app(&bt), SW_OK);
	assert_int_equal(term_bac(&bt, DOCNO, DOB, DOE), SW_OK);
	crypto_buf hb = CRYPTO_BUF_INIT;
	crypto_apdu ext = { .ins = 0xB0, .p1 = 0x82, .le = 65536, .extended = true };
	assert_int_equal(term_xfer(&bt, &ext, &hb), SW_OK);
	assert_true(hb.len > 65000 && hb.len < 65536);
	assert_memory_equal(hb.data, huge, hb.len);
	size_t got = hb.len;
	assert_int_equal(read_b1(&bt, 0, got, 65536, true, &hb), SW_OK);
	assert_int_equal(hb.len, 70000);
	assert_memory_equal(hb.data, huge, 70000);
	buf_free(&hb);
	vpass_card_free(bigcard);
	vpass_doc_free(bigdoc);
	free(huge);

	/* An extended Le that is not the maximum. */
	assert_int_equal(term_read_b0(&t, 1000, 5000, true, &out), SW_OK);
	assert_int_equal(out.len, 5000);
	assert_memory_equal(out.data, f->dg2 + 1000, 5000);
	out.len = 0;
	/* Extended encoding with a small Le. */
	assert_int_equal(term_read_b0(&t, 7, 3, true, &out), SW_OK);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, f->dg2 + 7, 3);
	buf_free(&out);
}

static void test_end_of_file(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
	/* A read that reaches the end gets what is left, with 9000. */
	assert_int_equal(term_read_b0(&t, 90, 100, false, &out), SW_OK);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, f->dg1 + 90, 3);
	/* At or past the end: 6B00. */
	assert_int_equal(term_read_b0(&t, sizeof f->dg1, 1, false, NULL), SW_WRONG_P1P2);
	assert_int_equal(term_read_b0(&t, 5000, 1, false, NULL), SW_WRONG_P1P2);
	assert_int_equal(read_b1(&t, 0, BIG_LEN, 16, false, NULL), SW_WRONG_P1P2);
	assert_true(vpass_card_sm_active(f->card));
	buf_free(&out);
}

static void test_sfi_reads(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	crypto_buf out = CRYPTO_BUF_INIT;
	/* SFI read selects the file; later offset reads continue in it. */
	assert_int_equal(term_read_sfi(&t, 0x01, 0, 50, &out), SW_OK);
	assert_int_equal(term_read_b0(&t, 50, 100, false, &out), SW_OK);
	assert_int_equal(out.len, sizeof f->dg1);
	assert_memory_equal(out.data, f->dg1, sizeof f->dg1);
	out.len = 0;
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 256, &out), SW_OK);
	assert_memory_equal(out.data, ef_com, sizeof ef_com);
	out.len = 0;
	assert_int_equal(term_read_sfi(&t, 0x02, 255, 16, &out), SW_OK);
	assert_memory_equal(out.data, f->dg2 + 255, 16);
	/* Unknown SFI; SOD is absent from this document. */
	assert_int_equal(term_read_sfi(&t, 0x1D, 0, 4, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(term_read_sfi(&t, 0x0F, 0, 4, NULL), SW_FILE_NOT_FOUND);
	/* P1 bits 7-6 must be zero with an SFI. */
	crypto_apdu bad = { .ins = 0xB0, .p1 = 0xA1, .p2 = 0, .le = 4 };
	assert_int_equal(term_xfer(&t, &bad, NULL), 0x6A86);
	buf_free(&out);
}

static void test_odd_ins_large_offsets(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	/* Short B1 reads across the 32767 boundary, to the end. */
	size_t off = 32000;
	while (off < BIG_LEN) {
		size_t before = out.len;
		assert_int_equal(read_b1(&t, 0x0000, off, 0xDF, false, &out), SW_OK);
		assert_true(out.len > before && out.len - before <= 0xDF - 3);
		off += out.len - before;
	}
	assert_int_equal(off, BIG_LEN);
	assert_memory_equal(out.data, f->dg2 + 32000, BIG_LEN - 32000);
	out.len = 0;
	/* Extended B1 by file id, the rest of the file in one go. */
	assert_int_equal(read_b1(&t, VPASS_FID_DG(2), 35000, 65536, true, &out), SW_OK);
	assert_int_equal(out.len, BIG_LEN - 35000);
	assert_memory_equal(out.data, f->dg2 + 35000, out.len);
	out.len = 0;
	/* B1 by short identifier (P1 00, P2 = SFI). */
	assert_int_equal(read_b1(&t, 0x0001, 10, 20, false, &out), SW_OK);
	assert_int_equal(out.len, 20 - 2);
	assert_memory_equal(out.data, f->dg1 + 10, 18);
	/* DO'54 missing. */
	uint8_t d[3] = { 0x53, 0x01, 0x00 };
	crypto_apdu bad = { .ins = 0xB1, .data = d, .lc = 3, .le = 16 };
	assert_int_equal(term_xfer(&t, &bad, NULL), SW_WRONG_DATA);
	buf_free(&out);
}

static void test_bad_mac(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	/* A protected command with a flipped MAC byte. */
	uint8_t d[2] = { 0x01, 0x1E };
	crypto_apdu a = { .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = d, .lc = 2 };
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t.sm, &a, &w), CRYPTO_OK);
	w.data[w.len - 2] ^= 0x01;
	assert_int_equal(term_raw(&t, w.data, w.len, NULL), SW_SM_INCORRECT);
	assert_false(vpass_card_sm_active(f->card)); /* session dropped */
	/* The same command, correctly MACed, no longer gets in. */
	w.data[w.len - 2] ^= 0x01;
	assert_int_equal(term_raw(&t, w.data, w.len, NULL), SW_SM_INCORRECT);
	buf_free(&w);
	vpass_stats st;
	vpass_card_stats(f->card, &st);
	assert_int_equal(st.sm_errors, 2);

	/* A chip whose answers carry a wrong MAC: the terminal refuses them. */
	t = open_session(f);
	vpass_options o = { .corrupt_mac = true };
	vpass_card_set_options(f->card, &o);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_COM, 0, NULL), SW_OK); /* outer SW */
	assert_int_equal(t.last_sm_err, CRYPTO_ERR_MAC);
	t.sm_on = true; /* keep going regardless: data must still be refused */
	assert_int_equal(term_read_b0(&t, 0, 4, false, &out), SW_OK);
	assert_int_equal(t.last_sm_err, CRYPTO_ERR_MAC);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_missing_sm(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	t.sm_on = false;
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 4, NULL), SW_SM_MISSING);
	assert_false(vpass_card_sm_active(f->card));
	/* The SM command with its DO'8E stripped. */
	t = open_session(f);
	crypto_apdu a = { .ins = 0xB0, .p1 = 0x9E, .le = 4 };
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t.sm, &a, &w), CRYPTO_OK);
	/* 0C B0 9E 00 0D [97 01 04] [8E 08 ...] 00 -> keep only DO'97. */
	uint8_t stripped[] = { 0x0C, 0xB0, 0x9E, 0x00, 0x03, 0x97, 0x01, 0x04, 0x00 };
	assert_int_equal(term_raw(&t, stripped, sizeof stripped, NULL), SW_SM_MISSING);
	assert_false(vpass_card_sm_active(f->card));
	buf_free(&w);
	/* SM without a session. */
	assert_int_equal(term_raw(&t, stripped, sizeof stripped, NULL), SW_SM_INCORRECT);
}

static void test_removal(void **state)
{
	fixture *f = *state;
	vpass_options o = { .remove_after = 5 };
	vpass_card_set_options(f->card, &o);
	term t = { .card = f->card };
	assert_int_equal(term_select_app(&t), SW_OK);      /* 1 */
	assert_int_equal(term_bac(&t, DOCNO, DOB, DOE), SW_OK); /* 2, 3 */
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 4, NULL), SW_OK); /* 4 */
	assert_int_equal(term_read_sfi(&t, 0x1E, 4, 4, NULL), SW_OK); /* 5 */
	uint8_t cmd[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	size_t n = 12345;
	assert_int_equal(vpass_card_process(f->card, cmd, sizeof cmd, resp_buf, sizeof resp_buf, &n), VPASS_REMOVED);
	assert_int_equal(n, 12345);
	assert_false(vpass_card_present(f->card));
	assert_false(vpass_card_sm_active(f->card));
	assert_int_equal(vpass_card_process(f->card, cmd, sizeof cmd, resp_buf, sizeof resp_buf, &n), VPASS_REMOVED);
	vpass_stats st;
	vpass_card_stats(f->card, &st);
	assert_int_equal(st.apdus, 5);

	/* Placed again: a fresh chip, counting anew. */
	vpass_card_insert(f->card);
	assert_true(vpass_card_present(f->card));
	t = (term){ .card = f->card };
	assert_int_equal(term_select_app(&t), SW_OK);
	vpass_card_set_options(f->card, NULL);
	for (int i = 0; i < 20; i++)
		assert_int_equal(term_raw(&t, cmd, sizeof cmd, NULL), SW_OK);
}

static void test_transient_error(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	vpass_options o = { .fail_reads = 2 };
	vpass_card_set_options(f->card, &o);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
	assert_int_equal(term_read_b0(&t, 0, 40, false, &out), SW_UNKNOWN);
	assert_int_equal(out.len, 0);
	assert_true(vpass_card_sm_active(f->card)); /* protected answer: session lives */
	assert_int_equal(t.last_sm_err, CRYPTO_OK);
	vpass_card_get_options(f->card, &o);
	assert_int_equal(o.fail_reads, 1);
	assert_int_equal(read_b1(&t, 0, 0, 40, false, &out), SW_UNKNOWN);
	vpass_card_get_options(f->card, &o);
	assert_int_equal(o.fail_reads, 0);
	/* Selecting is not reading: it does not use up a failure. */
	o.fail_reads = 1;
	vpass_card_set_options(f->card, &o);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
	assert_int_equal(term_read_b0(&t, 0, 40, false, &out), SW_UNKNOWN);
	assert_int_equal(term_read_b0(&t, 0, 40, false, &out), SW_OK);
	/* Retry from the same offset works. */
	assert_int_equal(term_read_b0(&t, 40, 100, false, &out), SW_OK);
	assert_int_equal(out.len, sizeof f->dg1);
	assert_memory_equal(out.data, f->dg1, sizeof f->dg1);
	buf_free(&out);
}

static void test_short_only(void **state)
{
	fixture *f = *state;
	vpass_options o = { .short_only = true };
	vpass_card_set_options(f->card, &o);
	term t = open_session(f);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_OK);
	/* Extended read refused in the clear: the session is over. */
	assert_int_equal(term_read_b0(&t, 0, 65536, true, NULL), SW_WRONG_LENGTH);
	assert_int_equal(t.last_sm_err, CRYPTO_ERR_FORMAT);
	assert_false(vpass_card_sm_active(f->card));
	/* Plain extended too. */
	uint8_t ext[] = { 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x08 };
	assert_int_equal(term_raw(&t, ext, sizeof ext, NULL), SW_WRONG_LENGTH);
	/* Short reads after a new BAC are fine. */
	t = open_session(f);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_sfi(&t, 0x02, 0, 0xDF, &out), SW_OK);
	assert_int_equal(out.len, 0xDF);
	buf_free(&out);
}

static void test_max_response(void **state)
{
	fixture *f = *state;
	vpass_options o = { .max_response_data = 100 };
	vpass_card_set_options(f->card, &o);
	term t = open_session(f);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(2), 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_b0(&t, 0, 65536, true, &out), SW_OK);
	assert_int_equal(out.len, 100);
	assert_int_equal(term_read_b0(&t, 100, 0xDF, false, &out), SW_OK);
	assert_int_equal(out.len, 200);
	assert_int_equal(read_b1(&t, 0, 33000, 65536, true, &out), SW_OK);
	assert_int_equal(out.len, 300);
	assert_memory_equal(out.data, f->dg2, 200);
	assert_memory_equal(out.data + 200, f->dg2 + 33000, 100);
	buf_free(&out);
}

static void test_select_variants(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	static const uint8_t p1s[] = { 0x00, 0x01, 0x02 };
	for (size_t i = 0; i < sizeof p1s; i++) {
		assert_int_equal(term_select_fid(&t, p1s[i], 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
		crypto_buf out = CRYPTO_BUF_INIT;
		assert_int_equal(term_read_b0(&t, 0, 8, false, &out), SW_OK);
		assert_memory_equal(out.data, f->dg1, 8);
		buf_free(&out);
	}
	/* P2 04 with Le: FCP with the file's size and identifier. */
	crypto_buf fcp = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x04, VPASS_FID_DG(2), 256, &fcp), SW_OK);
	crypto_tlv t62, t80, t83;
	assert_int_equal(tlv_parse_one(fcp.data, fcp.len, &t62), TLV_OK);
	assert_int_equal(t62.tag, 0x62);
	assert_int_equal(tlv_find(t62.value, t62.len, 0x80, &t80), TLV_OK);
	assert_int_equal(t80.len, 2);
	assert_int_equal(t80.value[0] << 8 | t80.value[1], BIG_LEN);
	assert_int_equal(tlv_find(t62.value, t62.len, 0x83, &t83), TLV_OK);
	assert_int_equal(t83.value[0] << 8 | t83.value[1], VPASS_FID_DG(2));
	buf_free(&fcp);
	/* P2 00 without Le: no data. */
	crypto_buf none = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x00, VPASS_FID_DG(1), 0, &none), SW_OK);
	assert_int_equal(none.len, 0);
	buf_free(&none);
	/* Bad P1 / P2, wrong AID, wrong Lc. */
	assert_int_equal(term_select_fid(&t, 0x07, 0x0C, VPASS_FID_DG(1), 0, NULL), 0x6A86);
	assert_int_equal(term_select_fid(&t, 0x02, 0x01, VPASS_FID_DG(1), 0, NULL), 0x6A86);
	uint8_t aid[7] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x02 };
	crypto_apdu sa = { .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = aid, .lc = 7 };
	assert_int_equal(term_xfer(&t, &sa, NULL), SW_FILE_NOT_FOUND);
	uint8_t three[3] = { 0x01, 0x01, 0x00 };
	crypto_apdu s3 = { .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = three, .lc = 3 };
	assert_int_equal(term_xfer(&t, &s3, NULL), SW_WRONG_LENGTH);
	/* A failed select leaves the current EF alone. */
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, 0x0105, 0, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(term_read_b0(&t, 0, 4, false, &out), SW_OK);
	assert_memory_equal(out.data, f->dg1, 4);
	buf_free(&out);
	/* Select the MF under SM: LDS files vanish from view. */
	crypto_apdu mf = { .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C };
	assert_int_equal(term_xfer(&t, &mf, NULL), SW_OK);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_FILE_NOT_FOUND);
	assert_true(vpass_card_sm_active(f->card));
}

static void test_unknown_commands(void **state)
{
	fixture *f = *state;
	term t = { .card = f->card };
	uint8_t ins[] = { 0x00, 0xCA, 0x01, 0x01, 0x00 };
	assert_int_equal(term_raw(&t, ins, sizeof ins, NULL), SW_INS_NOT_SUPPORTED);
	uint8_t cla[] = { 0x80, 0xB0, 0x00, 0x00, 0x04 };
	assert_int_equal(term_raw(&t, cla, sizeof cla, NULL), SW_CLA_NOT_SUPPORTED);
	uint8_t shortapdu[] = { 0x00, 0xB0, 0x00 };
	assert_int_equal(term_raw(&t, shortapdu, sizeof shortapdu, NULL), SW_WRONG_LENGTH);
	uint8_t badlc[] = { 0x00, 0xA4, 0x02, 0x0C, 0x05, 0x01 };
	assert_int_equal(term_raw(&t, badlc, sizeof badlc, NULL), SW_WRONG_LENGTH);
	uint8_t gc7[] = { 0x00, 0x84, 0x00, 0x00, 0x07 };
	assert_int_equal(term_raw(&t, gc7, sizeof gc7, NULL), SW_WRONG_LENGTH);
	/* Under a session, unknown INS answers under SM. */
	t = open_session(f);
	crypto_apdu a = { .ins = 0xCA, .p1 = 0x01, .p2 = 0x01, .le = 256 };
	assert_int_equal(term_xfer(&t, &a, NULL), SW_INS_NOT_SUPPORTED);
	assert_int_equal(t.last_sm_err, CRYPTO_OK);
	assert_true(vpass_card_sm_active(f->card));
	/* Response buffer too small is the caller's problem, reported. */
	size_t n = 0;
	assert_int_equal(vpass_card_process(f->card, ins, sizeof ins, resp_buf, 1, &n), VPASS_ERR_BUFFER);
}

static void test_reset(void **state)
{
	fixture *f = *state;
	term t = open_session(f);
	vpass_card_reset(f->card);
	assert_false(vpass_card_sm_active(f->card));
	/* The old session is gone: a protected command is refused. */
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 4, NULL), SW_SM_INCORRECT);
	/* And the application must be selected again. */
	t = (term){ .card = f->card };
	assert_int_equal(term_bac(&t, DOCNO, DOB, DOE), SW_OK);
	assert_int_equal(term_read_sfi(&t, 0x1E, 0, 4, NULL), SW_FILE_NOT_FOUND);
	/* Re-selecting the application in the clear starts over. */
	t.sm_on = false;
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_false(vpass_card_sm_active(f->card));
}

static void test_atr(void **state)
{
	fixture *f = *state;
	uint8_t atr[33];
	size_t n = vpass_card_atr(f->card, atr);
	assert_true(n >= 5 && n <= 33);
	assert_int_equal(atr[0], 0x3B);
	assert_int_equal(atr[1] & 0xF0, 0x80);
	assert_int_equal(atr[2], 0x80);
	assert_int_equal(atr[3], 0x01);
	assert_int_equal(n, 4 + (atr[1] & 0x0F) + 1);
	uint8_t x = 0;
	for (size_t i = 1; i < n; i++)
		x ^= atr[i];
	assert_int_equal(x, 0); /* TCK makes T0..TCK XOR to zero */
}

static void test_transport(void **state)
{
	fixture *f = *state;
	pp_transport *tr = NULL;
	assert_int_equal(pp_sim_transport_new(f->card, &tr), PP_OK);
	assert_int_equal(pp_transport_connect(tr, 0), PP_OK);
	pp_transport_caps caps;
	assert_int_equal(pp_transport_capabilities(tr, &caps), PP_OK);
	assert_true(caps.extended_length);
	uint8_t gc[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	uint8_t r[64];
	size_t n = 0;
	assert_int_equal(pp_transport_transmit(tr, gc, sizeof gc, r, sizeof r, &n), PP_OK);
	assert_int_equal(n, 10);
	assert_int_equal(apdu_sw(r, n), SW_OK);
	bool present = false;
	assert_int_equal(pp_transport_card_present(tr, &present), PP_OK);
	assert_true(present);

	vpass_options o = { .short_only = true, .remove_after = 1 };
	vpass_card_set_options(f->card, &o);
	assert_int_equal(pp_transport_capabilities(tr, &caps), PP_OK);
	assert_false(caps.extended_length);
	assert_true(caps.max_response <= 258);
	assert_int_equal(pp_transport_transmit(tr, gc, sizeof gc, r, sizeof r, &n), PP_OK);
	assert_int_equal(pp_transport_transmit(tr, gc, sizeof gc, r, sizeof r, &n), PP_ERR_REMOVED);
	assert_int_equal(pp_transport_card_present(tr, &present), PP_OK);
	assert_false(present);
	assert_int_equal(pp_transport_connect(tr, 0), PP_ERR_NO_CARD);
	vpass_card_insert(f->card);
	assert_int_equal(pp_transport_connect(tr, 0), PP_OK);
	assert_int_equal(pp_transport_transmit(tr, gc, sizeof gc, r, sizeof r, &n), PP_OK);
	assert_string_equal(pp_transport_reader_name(tr), "simulated reader");
	pp_transport_free(tr);
}

/* ---- documents on disk ---- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void remove_dir(const char *dir)
{
	static const char *const names[] = { "document.txt", "EF.COM", "EF.DG1", "EF.DG2", "EF.DG14", "EF.SOD",
	                                     "EF.CardAccess" };
	char path[512];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_doc_load(void **state)
{
	fixture *f = *state;
	char dir[] = "/tmp/vpass-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *txt = "# persona: the ICAO specimen\n"
	                  "document_number = L898902C<\r\n"
	                  "\n"
	                  "birth_date=690806\n"
	                  "expiry_date=940623\n"
	                  "given_names=ANNA MARIA\n";
	write_file(dir, "document.txt", txt, strlen(txt));
	write_file(dir, "EF.COM", ef_com, sizeof ef_com);
	write_file(dir, "EF.DG1", f->dg1, sizeof f->dg1);
	write_file(dir, "EF.DG14", "", 0);
	write_file(dir, "EF.SOD", f->dg2, 3000);

	char err[256] = "";
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
	const uint8_t *data;
	size_t len;
	assert_true(vpass_doc_file(doc, VPASS_FID_COM, &data, &len));
	assert_int_equal(len, sizeof ef_com);
	assert_memory_equal(data, ef_com, len);
	assert_true(vpass_doc_file(doc, VPASS_FID_SOD, &data, &len));
	assert_int_equal(len, 3000);
	assert_true(vpass_doc_file(doc, VPASS_FID_DG(14), &data, &len));
	assert_int_equal(len, 0);
	assert_false(vpass_doc_file(doc, VPASS_FID_DG(2), &data, &len));
	assert_false(vpass_doc_file(doc, VPASS_FID_CARD_ACCESS, &data, &len));
	assert_string_equal(vpass_doc_number(doc), "L898902C<");
	assert_string_equal(vpass_doc_birth_date(doc), DOB);
	assert_string_equal(vpass_doc_expiry_date(doc), DOE);

	/* The loaded document works on a chip: BAC and SOD by SFI. */
	vpass_card *card;
	assert_int_equal(vpass_card_new(doc, NULL, &card), VPASS_OK);
	term t = { .card = card };
	assert_int_equal(term_select_app(&t), SW_OK);
	assert_int_equal(term_bac(&t, "L898902C", DOB, DOE), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_sfi(&t, 0x1D, 0, 100, &out), SW_OK);
	assert_memory_equal(out.data, f->dg2, 100);
	buf_free(&out);
	vpass_card_free(card);
	vpass_doc_free(doc);

	/* BAC data from a TD3 MRZ when the fields are absent. */
	const char *mrz = "mrz=P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	                  "L898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
	write_file(dir, "document.txt", mrz, strlen(mrz));
	doc = NULL;
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
	assert_string_equal(vpass_doc_number(doc), "L898902C3");
	assert_string_equal(vpass_doc_birth_date(doc), "740812");
	assert_string_equal(vpass_doc_expiry_date(doc), "120415");
	vpass_doc_free(doc);

	/* TD1 with a long document number continued in the optional data. */
	const char *td1 = "mrz=I<UTOD23145890<AB112234566<<<<7408122F1204159UTO<<<<<<<<<<<6"
	                  "ERIKSSON<<ANNA<MARIA<<<<<<<<<<\n";
	write_file(dir, "document.txt", td1, strlen(td1));
	doc = NULL;
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
	assert_string_equal(vpass_doc_number(doc), "D23145890AB11223456");
	vpass_doc_free(doc);

	/* An MRZ whose check digits do not add up describes no real document. */
	const char *td1_bad = "mrz=I<UTOD23145890<AB112234566<<<<7408122F1204159UTO<<<<<<<<<<<4"
	                      "ERIKSSON<<ANNA<MARIA<<<<<<<<<<\n";
	write_file(dir, "document.txt", td1_bad, strlen(td1_bad));
	doc = NULL;
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_FORMAT);
	assert_null(doc);
	assert_non_null(strstr(err, "composite"));

	/* Errors: each says what is wrong and leaves *ret alone. */
	vpass_doc *untouched = (vpass_doc *)&err;
	doc = untouched;
	const char *bad = "document_number=L898902C<\nbirth_date=690806\n";
	write_file(dir, "document.txt", bad, strlen(bad));
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_FORMAT);
	assert_non_null(strstr(err, "expiry_date"));
	const char *junk = "document_number L898902C<\n";
	write_file(dir, "document.txt", junk, strlen(junk));
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_FORMAT);
	assert_non_null(strstr(err, ":1:"));
	const char *baddate = "document_number=L898902C<\nbirth_date=6908\nexpiry_date=940623\n";
	write_file(dir, "document.txt", baddate, strlen(baddate));
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_NO_ACCESS);
	assert_ptr_equal(doc, untouched);
	remove_dir(dir);
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_ERR_IO);
	assert_non_null(strstr(err, "document.txt"));
	assert_ptr_equal(doc, untouched);
}

static void test_doc_api_errors(void **state)
{
	(void)state;
	vpass_doc *doc;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, 0x0120, ef_com, 4), VPASS_ERR_ARG);
	assert_int_equal(vpass_doc_add_file(doc, 0x2F00, ef_com, 4), VPASS_ERR_ARG);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(16), ef_com, 4), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(16), ef_com, 6), VPASS_OK); /* replaces */
	size_t len = 0;
	assert_true(vpass_doc_file(doc, VPASS_FID_DG(16), NULL, &len));
	assert_int_equal(len, 6);
	vpass_card *card = NULL;
	assert_int_equal(vpass_card_new(doc, NULL, &card), VPASS_ERR_NO_ACCESS); /* no BAC data yet */
	assert_null(card);
	assert_int_equal(vpass_doc_set_access(doc, "l8989", DOB, DOE), VPASS_ERR_NO_ACCESS);
	assert_null(vpass_doc_number(doc));
	vpass_doc_free(doc);
	vpass_doc_free(NULL);
	vpass_card_free(NULL);
	assert_string_equal(vpass_strerror(VPASS_REMOVED), "the document has left the field");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bac_right_mrz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bac_wrong_mrz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lds_needs_bac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_card_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_of_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sfi_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_ins_large_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_sm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doc_load, setup, teardown),
		cmocka_unit_test(test_doc_api_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
