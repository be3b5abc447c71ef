/*
 * test_behaviours — the virtual passport's awkward-chip behaviours of
 * issue 3, driven as an inspection system would: a PACE-only chip refusing
 * BAC, EF.CardAccess reachable by one selection variant only (or absent),
 * READ BINARY answers lost above a size (with the SM counter advanced as
 * for a real answer), long answers to short commands in 61XX pieces
 * fetched with GET RESPONSE; the radio-link model's arithmetic against a
 * hand computation, and its time actually spent; and the control-text
 * parser (devices/vctl) for every new option. Issue 18's: READ BINARY by
 * short file identifier refused with a chosen status, or for some files.
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

#include <openssl/evp.h>

#include "crypto/aa.h"
#include "crypto/apdu.h"
#include "crypto/sm.h"
#include "devices/vctl/vctl.h"
#include "devices/vpass/link.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/sim.h"
#include "tests/vpass/term.h"

#define DOCNO "L898902C<"
#define DOB   "690806"
#define DOE   "940623"

static const uint8_t ef_com[] = {
	0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36, 0x5F, 0x36,
	0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75,
};

typedef struct fixture {
	vpass_doc *doc;
	uint8_t dg1[600];
	uint8_t card_access[20];
} fixture;

/* A chip with EF.COM, DG1 and EF.CardAccess; with_card_access false
 * leaves the last out. */
static vpass_doc *make_doc(fixture *f, bool with_card_access)
{
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_COM, ef_com, sizeof ef_com), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(1), f->dg1, sizeof f->dg1), VPASS_OK);
	if (with_card_access)
		assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_CARD_ACCESS, f->card_access,
		                                    sizeof f->card_access),
		                 VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, DOCNO, DOB, DOE), VPASS_OK);
	return doc;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	term_fill(f->dg1, sizeof f->dg1, 1);
	term_fill(f->card_access, sizeof f->card_access, 3);
	f->doc = make_doc(f, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	vpass_doc_free(f->doc);
	free(f);
	return 0;
}

static vpass_card *card_with(const vpass_doc *doc, const vpass_options *o)
{
	vpass_card *card = NULL;
	assert_int_equal(vpass_card_new(doc, o, &card), VPASS_OK);
	return card;
}

/* ---- the terminal (tests/vpass/term.h) ---- */

/* An answer buffer for commands sent to the card directly. */
static uint8_t resp_buf[APDU_MAX_RESPONSE + 64];

/* Odd-INS READ BINARY naming the file by identifier, offset 0. */
static uint16_t read_b1_fid(term *t, uint16_t fid, size_t le)
{
	static const uint8_t off[3] = { 0x54, 0x01, 0x00 };
	crypto_apdu a = { .ins = 0xB1, .p1 = (uint8_t)(fid >> 8), .p2 = (uint8_t)fid, .data = off, .lc = 3, .le = le };
	return term_xfer(t, &a, NULL);
}

/* ---- refuse_bac ---- */

static void test_refuse_bac(void **state)
{
	fixture *f = *state;
	static const uint16_t refusals[] = { 0x6A88, 0x6982 };
	for (size_t i = 0; i < 2; i++) {
		vpass_options o = { .refuse_bac = refusals[i] };
		vpass_card *card = card_with(f->doc, &o);
		term t = { .card = card };
		assert_int_equal(term_select_app(&t), SW_OK);
		assert_int_equal(term_get_challenge(&t, NULL), refusals[i]);
		uint8_t auth[40] = { 0 };
		crypto_apdu ea = { .ins = 0x82, .data = auth, .lc = 40, .le = 40 };
		assert_int_equal(term_xfer(&t, &ea, NULL), refusals[i]);
		vpass_stats st;
		vpass_card_stats(card, &st);
		assert_int_equal(st.bac_ok + st.bac_failed, 0);
		/* EF.CardAccess, the way to PACE, stays readable. */
		crypto_buf out = CRYPTO_BUF_INIT;
		assert_int_equal(term_read_sfi(&t, 0x1C, 0, 256, &out), SW_OK);
		assert_int_equal(out.len, sizeof f->card_access);
		buf_free(&out);
		vpass_card_free(card);
	}
	/* 0: BAC works. */
	vpass_card *card = card_with(f->doc, NULL);
	(void)term_open(card, DOCNO, DOB, DOE);
	vpass_card_free(card);
}

/* ---- card_access_select ---- */

enum { WAY_P1_00, WAY_P1_02, WAY_WITH_LE, WAY_SFI, WAY_B1_FID, WAY_P1_00_FROM_APP, N_WAYS };

/* Reach EF.CardAccess one way; the status word. */
static uint16_t reach(term *t, int way, const fixture *f)
{
	crypto_buf out = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	switch (way) {
	case WAY_P1_00:
		sw = term_select_fid(t, 0x00, 0x0C, VPASS_FID_CARD_ACCESS, 0, NULL);
		if (sw == SW_OK) {
			/* Selected: READ BINARY of the current EF reads it. */
			assert_int_equal(term_read_b0(t, 0, 4, false, &out), SW_OK);
			assert_memory_equal(out.data, f->card_access, 4);
		}
		break;
	case WAY_P1_02:
		sw = term_select_fid(t, 0x02, 0x0C, VPASS_FID_CARD_ACCESS, 0, NULL);
		break;
	case WAY_WITH_LE:
		sw = term_select_fid(t, 0x02, 0x04, VPASS_FID_CARD_ACCESS, 256, &out);
		if (sw == SW_OK)
			assert_int_equal(out.data[0], 0x62); /* an FCP */
		break;
	case WAY_SFI:
		sw = term_read_sfi(t, 0x1C, 0, 256, &out);
		if (sw == SW_OK)
			assert_memory_equal(out.data, f->card_access, sizeof f->card_access);
		break;
	case WAY_B1_FID:
		sw = read_b1_fid(t, VPASS_FID_CARD_ACCESS, 256);
		break;
	case WAY_P1_00_FROM_APP:
		assert_int_equal(term_select_app(t), SW_OK);
		sw = term_select_fid(t, 0x00, 0x0C, VPASS_FID_CARD_ACCESS, 0, NULL);
		break;
	default:
		fail();
	}
	buf_free(&out);
	return sw;
}

static void test_card_access_select(void **state)
{
	fixture *f = *state;
	static const struct {
		vpass_card_access_select sel;
		bool ok[N_WAYS];
	} cases[] = {
		{ VPASS_CA_SELECT_ANY, { true, true, true, true, true, true } },
		{ VPASS_CA_SELECT_FID_MF, { true, false, false, false, false, false } },
		{ VPASS_CA_SELECT_WITH_LE, { false, false, true, false, false, false } },
		{ VPASS_CA_SELECT_SFI, { false, false, false, true, false, false } },
	};
	vpass_doc *absent = make_doc(f, false);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		vpass_options o = { .card_access_select = cases[c].sel };
		vpass_card *card = card_with(f->doc, &o);
		vpass_card *none = card_with(absent, &o);
		for (int way = 0; way < N_WAYS; way++) {
			vpass_card_reset(card);
			term t = { .card = card };
			uint16_t sw = reach(&t, way, f);
			if (sw != (cases[c].ok[way] ? SW_OK : SW_FILE_NOT_FOUND))
				fail_msg("variant %d, way %d: SW %04X", (int)cases[c].sel, way, sw);
			/* Absent: 6A82 whichever way. */
			vpass_card_reset(none);
			t = (term){ .card = none };
			assert_int_equal(reach(&t, way, f), SW_FILE_NOT_FOUND);
		}
		vpass_card_free(card);
		vpass_card_free(none);
	}
	vpass_doc_free(absent);
}

/* ---- sfi_refuse, sfi_only ---- */

/* READ BINARY B1 naming the file by short identifier (P1 00, P2 SFI). */
static uint16_t read_b1_sfi(term *t, uint8_t sfi, size_t le)
{
	static const uint8_t off[3] = { 0x54, 0x01, 0x00 };
	crypto_apdu a = { .ins = 0xB1, .p2 = sfi, .data = off, .lc = 3, .le = le };
	return term_xfer(t, &a, NULL);
}

/* A chip that refuses reads by short identifier answers its status to
 * both forms, under secure messaging (the session stays up), and reads the
 * same file once it is selected; one that knows some SFIs only refuses
 * the others, with 6A82 unless told another status. */
static void test_sfi_refusal(void **state)
{
	fixture *f = *state;
	static const struct {
		uint16_t refuse;
		uint32_t only;
		uint16_t com, dg1; /* answers to EF.COM and DG1 by SFI */
	} cases[] = {
		{ 0, 0, SW_OK, SW_OK },
		{ 0x6A81, 0, 0x6A81, 0x6A81 },
		{ 0x6D00, 0, 0x6D00, 0x6D00 },
		{ 0x6986, 0, 0x6986, 0x6986 },
		{ 0, VPASS_SFI_BIT(0x1E), SW_OK, SW_FILE_NOT_FOUND },
		{ 0x6A81, VPASS_SFI_BIT(0x1E), SW_OK, 0x6A81 },
		{ 0, VPASS_SFI_BIT(1), SW_FILE_NOT_FOUND, SW_OK },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		vpass_options o = { .sfi_refuse = cases[c].refuse, .sfi_only = cases[c].only };
		vpass_card *card = card_with(f->doc, &o);
		term t = term_open(card, DOCNO, DOB, DOE);
		crypto_buf out = CRYPTO_BUF_INIT;
		uint16_t sw = term_read_sfi(&t, 0x1E, 0, 8, &out);
		if (sw != cases[c].com)
			fail_msg("case %zu: EF.COM by SFI answered %04X", c, sw);
		if (sw == SW_OK)
			assert_memory_equal(out.data, ef_com, 8);
		sw = term_read_sfi(&t, 0x01, 0, 8, NULL);
		if (sw != cases[c].dg1)
			fail_msg("case %zu: DG1 by SFI answered %04X", c, sw);
		assert_int_equal(read_b1_sfi(&t, 0x01, 16), cases[c].dg1);
		assert_true(t.sm_on && vpass_card_sm_active(card)); /* refused under SM */
		/* Selected, the file reads whatever the SFIs. */
		assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
		out.len = 0;
		assert_int_equal(term_read_b0(&t, 0, 16, false, &out), SW_OK);
		assert_memory_equal(out.data, f->dg1, 16);
		buf_free(&out);
		vpass_card_free(card);
	}
}

/* ---- timeout_above ---- */

/* Send a protected READ BINARY whose answer is lost. */
static vpass_result lost_read(term *t, size_t le)
{
	crypto_apdu a = { .ins = 0xB0, .le = le };
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t->sm, &a, &w), CRYPTO_OK);
	size_t n = 0;
	vpass_result r = vpass_card_process(t->card, w.data, w.len, resp_buf, sizeof resp_buf, &n);
	buf_free(&w);
	return r;
}

static void test_timeout_above(void **state)
{
	fixture *f = *state;
	vpass_options o = { .timeout_above = 100 };
	vpass_card *card = card_with(f->doc, &o);
	term t = term_open(card, DOCNO, DOB, DOE);
	assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(term_read_b0(&t, 0, 100, false, &out), SW_OK); /* at the limit: answered */
	assert_int_equal(out.len, 100);
	/* 101 bytes, and Le 00 (256): processed, answer lost. */
	assert_int_equal(lost_read(&t, 101), VPASS_TIMEOUT);
	/* The chip counted a response: the terminal steps its SSC over the
	 * answer it never saw and the session goes on. */
	sm_increment_ssc(&t.sm);
	out.len = 0;
	assert_int_equal(term_read_b0(&t, 100, 50, false, &out), SW_OK);
	assert_memory_equal(out.data, f->dg1 + 100, 50);
	assert_int_equal(lost_read(&t, 256), VPASS_TIMEOUT);
	sm_increment_ssc(&t.sm);
	assert_true(vpass_card_sm_active(card));
	/* A terminal that does not step over it has a counter one behind: its
	 * next command fails the chip's MAC check (6988 in the clear). */
	assert_int_equal(lost_read(&t, 200), VPASS_TIMEOUT);
	assert_int_equal(term_read_b0(&t, 0, 10, false, NULL), SW_SM_INCORRECT);
	assert_false(vpass_card_sm_active(card));
	vpass_stats st;
	vpass_card_stats(card, &st);
	assert_int_equal(st.lost_answers, 3);
	buf_free(&out);

	/* Through the in-process transport: a time-out, the card still there. */
	pp_transport *tr = NULL;
	assert_int_equal(pp_sim_transport_new(card, &tr), PP_OK);
	assert_int_equal(pp_transport_connect(tr, 0), PP_OK);
	t = term_open(card, DOCNO, DOB, DOE);
	crypto_apdu a = { .ins = 0xB0, .p1 = 0x9E, .le = 200 };
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t.sm, &a, &w), CRYPTO_OK);
	size_t n = 0;
	assert_int_equal(pp_transport_transmit(tr, w.data, w.len, resp_buf, sizeof resp_buf, &n), PP_ERR_TIMEOUT);
	buf_free(&w);
	bool present = false;
	assert_int_equal(pp_transport_card_present(tr, &present), PP_OK);
	assert_true(present);
	pp_transport_free(tr);
	vpass_card_free(card);
}

/* ---- GET RESPONSE pieces ---- */

/* Send a protected command whose answer comes in pieces of `piece` bytes
 * (GET RESPONSE Le); the unwrapped answer's SW, its data in out. Returns
 * how many pieces there were in *ret_pieces. */
static uint16_t xfer_pieces(term *t, const crypto_apdu *a, size_t piece, crypto_buf *out, int *ret_pieces)
{
	crypto_buf w = CRYPTO_BUF_INIT;
	assert_int_equal(sm_wrap_command(&t->sm, a, &w), CRYPTO_OK);
	crypto_buf whole = CRYPTO_BUF_INIT;
	uint16_t sw = term_raw(t, w.data, w.len, &whole);
	buf_free(&w);
	int pieces = 1;
	assert_int_equal(whole.len, 256);
	while ((sw >> 8) == 0x61) {
		size_t left = whole.len; /* bytes before; the piece's length is checked below */
		size_t announced = (sw & 0xFF) ? (sw & 0xFF) : 256;
		size_t le = piece < announced ? piece : announced;
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)le };
		sw = term_raw(t, gr, sizeof gr, &whole);
		assert_int_equal(whole.len - left, le);
		pieces++;
	}
	buf_append_byte(&whole, (uint8_t)(sw >> 8));
	buf_append_byte(&whole, (uint8_t)sw);
	crypto_buf plain = CRYPTO_BUF_INIT;
	assert_int_equal(sm_unwrap_response(&t->sm, whole.data, whole.len, &plain), CRYPTO_OK);
	sw = apdu_sw(plain.data, plain.len);
	buf_append(out, plain.data, plain.len - 2);
	buf_free(&plain);
	buf_free(&whole);
	*ret_pieces = pieces;
	return sw;
}

static void test_get_response(void **state)
{
	fixture *f = *state;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(key);
	vpass_doc *doc = make_doc(f, true);
	assert_int_equal(vpass_doc_set_aa_key(doc, key, AA_HASH_DEFAULT), VPASS_OK);
	EVP_PKEY_free(key);

	for (int short_only = 0; short_only < 2; short_only++) {
		vpass_options o = { .short_only = short_only };
		vpass_card *card = card_with(doc, &o);
		term t = term_open(card, DOCNO, DOB, DOE);
		uint8_t ch[AA_CHALLENGE_LEN];
		term_fill(ch, sizeof ch, 9);
		crypto_apdu ia = { .ins = 0x88, .data = ch, .lc = sizeof ch, .le = 256 };
		/* Whole pieces: 256 bytes, then the rest with 9000. */
		crypto_buf sig = CRYPTO_BUF_INIT;
		int pieces = 0;
		assert_int_equal(xfer_pieces(&t, &ia, 256, &sig, &pieces), SW_OK);
		assert_int_equal(sig.len, 256);
		assert_int_equal(pieces, 2);
		/* Small pieces: GET RESPONSE with Le 16 until done. */
		sig.len = 0;
		assert_int_equal(xfer_pieces(&t, &ia, 16, &sig, &pieces), SW_OK);
		assert_int_equal(sig.len, 256);
		assert_true(pieces > 2);
		buf_free(&sig);
		/* The session goes on. */
		assert_int_equal(term_select_fid(&t, 0x02, 0x0C, VPASS_FID_DG(1), 0, NULL), SW_OK);
		/* Another command drops what is left: a plain GET CHALLENGE
		 * (starting over) after the first piece, then GET RESPONSE has
		 * nothing to give. */
		crypto_buf w = CRYPTO_BUF_INIT;
		assert_int_equal(sm_wrap_command(&t.sm, &ia, &w), CRYPTO_OK);
		assert_int_equal(term_raw(&t, w.data, w.len, NULL) >> 8, 0x61);
		buf_free(&w);
		t.sm_on = false;
		assert_int_equal(term_get_challenge(&t, NULL), SW_OK);
		static const uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
		assert_int_equal(term_raw(&t, gr, sizeof gr, NULL), SW_CONDITIONS);
		vpass_card_free(card);
	}
	/* An extended command gets it whole. */
	vpass_card *card = card_with(doc, NULL);
	term t = term_open(card, DOCNO, DOB, DOE);
	uint8_t ch[AA_CHALLENGE_LEN] = { 0 };
	crypto_apdu ia = { .ins = 0x88, .data = ch, .lc = sizeof ch, .le = 65536, .extended = true };
	crypto_buf sig = CRYPTO_BUF_INIT;
	assert_int_equal(term_xfer(&t, &ia, &sig), SW_OK);
	assert_int_equal(sig.len, 256);
	buf_free(&sig);
	vpass_card_free(card);
	vpass_doc_free(doc);
}

/* ---- the link model ---- */

/* By hand, defaults at 424 kbit/s (a bit is 32 carrier cycles; FSC = FSD =
 * 256, so 253 data bytes per I-block; 100 us per frame; 10 ms chip
 * latency). Short: a 19-byte command and a 250-byte answer, one I-block
 * each: 22 + 253 bytes, 9 bits each, plus 2 SOF/EOF bits per frame:
 * 2479 bits = 79328 cycles; FDT 1172 (PICC->PCD minimum, before the
 * command) + 1172 (PCD->PICC, before the answer) cycles; total 81672
 * cycles = 6.023009 ms, plus 2 frames x 100 us and 10 ms = 16.223009 ms. */
static void test_link_arithmetic(void **state)
{
	(void)state;
	vpass_link l;
	vpass_link_default(&l);
	assert_true(l.enabled && vpass_link_valid(&l));
	assert_int_equal(l.bit_rate_kbps, 848);
	assert_float_equal(vpass_link_bit_seconds(&l), 16 / 13.56e6, 1e-12);
	l.bit_rate_kbps = 424;
	assert_int_equal(l.frame_size, 256);
	assert_float_equal(vpass_link_bit_seconds(&l), 32 / 13.56e6, 1e-12);

	vpass_link_cost c = vpass_link_exchange(&l, 19, 250);
	assert_int_equal(c.frames, 2);
	assert_int_equal(c.bytes, 275);
	assert_float_equal(c.seconds, 16.223009e-3, 1e-8);

	/* Chained: the same command, a 600-byte answer in three I-blocks (253,
	 * 253, 94 data bytes) and two R(ACK)s from the reader: 22 + 609 + 6 =
	 * 637 bytes, 6 frames: 637 x 9 + 6 x 2 = 5745 bits = 183840 cycles;
	 * FDT 1172 (command) + 3 x 1172 (chip's blocks) + 2 x 1172 (ACKs) =
	 * 7032 cycles; 190872 cycles = 14.076106 ms, + 600 us + 10 ms. */
	c = vpass_link_exchange(&l, 19, 600);
	assert_int_equal(c.frames, 6);
	assert_int_equal(c.bytes, 637);
	assert_float_equal(c.seconds, 24.676106e-3, 1e-8);

	/* A chained command (frames of 64: 61 data bytes): 100 bytes in two
	 * I-blocks with one R(ACK) from the chip, a 2-byte answer: 100 + 6 + 3
	 * + 5 = 114 bytes, 4 frames. */
	l.frame_size = 64;
	c = vpass_link_exchange(&l, 100, 2);
	assert_int_equal(c.frames, 4);
	assert_int_equal(c.bytes, 114);

	/* A CID byte in every block and R-block. */
	vpass_link_default(&l);
	l.cid = true;
	c = vpass_link_exchange(&l, 19, 600);
	assert_int_equal(c.bytes, 19 + 4 + 600 + 3 * 4 + 2 * 4);

	/* Lost: the command's frame, then the frame waiting time. */
	vpass_link_default(&l);
	l.bit_rate_kbps = 424;
	c = vpass_link_lost(&l, 19);
	assert_int_equal(c.frames, 1);
	assert_float_equal(c.seconds, (22 * 9 + 2) * 32 / 13.56e6 + 1172 / 13.56e6 + 100e-6 + 154.7e-3, 1e-9);

	/* Slower link, longer time; invalid models cost nothing. */
	vpass_link_default(&l);
	double at848 = vpass_link_exchange(&l, 19, 250).seconds;
	l.bit_rate_kbps = 106;
	assert_true(vpass_link_exchange(&l, 19, 250).seconds > at848 + 15e-3);
	l.bit_rate_kbps = 300;
	assert_false(vpass_link_valid(&l));
	assert_float_equal(vpass_link_exchange(&l, 19, 250).seconds, 0.0, 0.0);
	vpass_link_default(&l);
	l.frame_size = 8;
	assert_false(vpass_link_valid(&l));
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* With the model on, the card takes the modelled time and counts it. */
static void test_link_sleep(void **state)
{
	fixture *f = *state;
	vpass_options o = { 0 };
	vpass_link_default(&o.link);
	o.link.chip_latency_us = 30000; /* 30 ms: well above timer slack */
	vpass_card *card = card_with(f->doc, &o);
	uint8_t cmd[] = { 0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	size_t n = 0;
	double t0 = now();
	assert_int_equal(vpass_card_process(card, cmd, sizeof cmd, resp_buf, sizeof resp_buf, &n), VPASS_OK);
	double took = now() - t0;
	vpass_link_cost c = vpass_link_exchange(&o.link, sizeof cmd, n);
	assert_true(c.seconds > 0.030);
	assert_true(took >= c.seconds - 1e-4);
	assert_true(took < c.seconds + 2.0); /* generous: loaded machines, sanitizers */
	vpass_stats st;
	vpass_card_stats(card, &st);
	assert_float_equal(st.link_seconds, c.seconds, 1e-12);
	assert_int_equal(st.link_bytes, c.bytes);
	/* Off: no time counted. */
	o.link.enabled = false;
	vpass_card_set_options(card, &o);
	assert_int_equal(vpass_card_process(card, cmd, sizeof cmd, resp_buf, sizeof resp_buf, &n), VPASS_OK);
	vpass_card_stats(card, &st);
	assert_float_equal(st.link_seconds, c.seconds, 1e-12);
	vpass_card_free(card);
}

/* ---- the control text (devices/vctl) ---- */

static void test_vctl_options(void **state)
{
	(void)state;
	static const vctl_program p = { "test", "the chip", 65536, 1000 };
	vpass_options o = { 0 };
	assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", "6A88"), VCTL_OK);
	assert_int_equal(o.refuse_bac, 0x6A88);
	assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", "6982"), VCTL_OK);
	assert_int_equal(o.refuse_bac, 0x6982);
	assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", "off"), VCTL_OK);
	assert_int_equal(o.refuse_bac, 0);
	assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", "12"), VCTL_EXPECTED_STATUS);
	/* only refusals: 6XXX, but not 61XX (more data) or 6CXX (wrong Le) */
	assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", "6D00"), VCTL_OK);
	assert_int_equal(o.refuse_bac, 0x6D00);
	static const char *const not_refusals[] = { "9000", "9100", "6100", "61FF", "6C00", "6C10" };
	for (size_t i = 0; i < sizeof not_refusals / sizeof not_refusals[0]; i++)
		assert_int_equal(vctl_set_option(&p, &o, "refuse-bac", not_refusals[i]), VCTL_EXPECTED_STATUS);
	assert_int_equal(o.refuse_bac, 0x6D00);
	assert_int_equal(vctl_set_option(&p, &o, "card-access", "sfi"), VCTL_OK);
	assert_int_equal(o.card_access_select, VPASS_CA_SELECT_SFI);
	assert_int_equal(vctl_set_option(&p, &o, "card-access", "mf"), VCTL_OK);
	assert_int_equal(o.card_access_select, VPASS_CA_SELECT_FID_MF);
	assert_int_equal(vctl_set_option(&p, &o, "card-access", "le"), VCTL_OK);
	assert_int_equal(o.card_access_select, VPASS_CA_SELECT_WITH_LE);
	assert_int_equal(vctl_set_option(&p, &o, "card-access", "fcp"), VCTL_EXPECTED_VARIANT);
	assert_int_equal(vctl_set_option(&p, &o, "cam-attack", "empty-ca"), VCTL_OK);
	assert_int_equal(o.cam_attack, VPASS_CAM_EMPTY_CA);
	assert_int_equal(vctl_set_option(&p, &o, "cam-attack", "infinity"), VCTL_OK);
	assert_int_equal(o.cam_attack, VPASS_CAM_INFINITY);
	assert_int_equal(vctl_set_option(&p, &o, "cam-attack", "off"), VCTL_OK);
	assert_int_equal(o.cam_attack, VPASS_CAM_HONEST);
	assert_int_equal(vctl_set_option(&p, &o, "cam-attack", "zero"), VCTL_EXPECTED_CAM_ATTACK);
	assert_int_equal(vctl_set_option(&p, &o, "timeout-above", "223"), VCTL_OK);
	assert_int_equal(o.timeout_above, 223);
	assert_int_equal(vctl_set_option(&p, &o, "timeout-above", "off"), VCTL_OK);
	assert_int_equal(o.timeout_above, 0);
	assert_int_equal(vctl_set_option(&p, &o, "ca-wrong-key", "on"), VCTL_OK);
	assert_true(o.ca_wrong_key);
	assert_int_equal(vctl_set_option(&p, &o, "aa-wrong-key", "yes"), VCTL_OK);
	assert_true(o.aa_wrong_key);
	/* Link parameters start from the defaults, and stay off until asked. */
	assert_int_equal(vctl_set_option(&p, &o, "link-rate", "848"), VCTL_OK);
	assert_false(o.link.enabled);
	assert_int_equal(o.link.bit_rate_kbps, 848);
	assert_int_equal(o.link.frame_size, 256);
	assert_int_equal(vctl_set_option(&p, &o, "link-model", "on"), VCTL_OK);
	assert_true(o.link.enabled && vpass_link_valid(&o.link));
	assert_int_equal(o.link.bit_rate_kbps, 848);
	assert_int_equal(vctl_set_option(&p, &o, "link-frame", "64"), VCTL_OK);
	assert_int_equal(o.link.frame_size, 64);
	assert_int_equal(vctl_set_option(&p, &o, "chip-latency", "2500"), VCTL_OK);
	assert_float_equal(o.link.chip_latency_us, 2500, 0);
	assert_int_equal(vctl_set_option(&p, &o, "link-frame-overhead", "40"), VCTL_OK);
	assert_float_equal(o.link.frame_overhead_us, 40, 0);
	vpass_options before = o;
	assert_int_equal(vctl_set_option(&p, &o, "link-rate", "300"), VCTL_EXPECTED_BIT_RATE);
	assert_int_equal(vctl_set_option(&p, &o, "link-frame", "8"), VCTL_EXPECTED_FRAME_SIZE);
	assert_int_equal(vctl_set_option(&p, &o, "chip-latency", "-1"), VCTL_EXPECTED_MICROSECONDS);
	assert_int_equal(vctl_set_option(&p, &o, "link-model", "maybe"), VCTL_EXPECTED_ON_OFF);
	assert_memory_equal(&before, &o, sizeof o);
	assert_int_equal(vctl_set_option(&p, &o, "warp", "9"), VCTL_UNKNOWN_OPTION);
	/* The command-line form: flags mean on. */
	static const struct option longopts[] = { VCTL_LONGOPTS, { 0 } };
	vpass_options c = { 0 };
	for (size_t i = 0; longopts[i].name; i++) {
		if (strcmp(longopts[i].name, "link-model") == 0 || strcmp(longopts[i].name, "short-only") == 0)
			assert_int_equal(vctl_set_cmdline_option(&p, &c, &longopts[i], NULL), VCTL_OK);
		if (strcmp(longopts[i].name, "card-access") == 0)
			assert_int_equal(vctl_set_cmdline_option(&p, &c, &longopts[i], "le"), VCTL_OK);
	}
	assert_true(c.link.enabled && c.short_only);
	assert_int_equal(c.link.bit_rate_kbps, 848);
	assert_int_equal(c.card_access_select, VPASS_CA_SELECT_WITH_LE);
	/* Reads by short identifier refused with a status, or known for some
	 * files only. */
	assert_int_equal(vctl_set_option(&p, &o, "sfi-refuse", "6A81"), VCTL_OK);
	assert_int_equal(o.sfi_refuse, 0x6A81);
	assert_int_equal(vctl_set_option(&p, &o, "sfi-refuse", "9000"), VCTL_EXPECTED_STATUS);
	assert_int_equal(o.sfi_refuse, 0x6A81);
	assert_int_equal(vctl_set_option(&p, &o, "sfi-refuse", "off"), VCTL_OK);
	assert_int_equal(o.sfi_refuse, 0);
	assert_int_equal(vctl_set_option(&p, &o, "sfi-only", "com,sod,dg1,dg16,card-access"), VCTL_OK);
	assert_int_equal(o.sfi_only, VPASS_SFI_BIT(0x1E) | VPASS_SFI_BIT(0x1D) | VPASS_SFI_BIT(1) |
	                             VPASS_SFI_BIT(16) | VPASS_SFI_BIT(0x1C));
	static const char *const not_lists[] = { "", "dg0", "dg17", "com,", ",sod", "com,,sod", "dg", "efcom" };
	for (size_t i = 0; i < sizeof not_lists / sizeof not_lists[0]; i++)
		if (vctl_set_option(&p, &o, "sfi-only", not_lists[i]) != VCTL_EXPECTED_FILE_LIST)
			fail_msg("sfi-only \"%s\" was taken", not_lists[i]);
	assert_int_equal(o.sfi_only, VPASS_SFI_BIT(0x1E) | VPASS_SFI_BIT(0x1D) | VPASS_SFI_BIT(1) |
	                             VPASS_SFI_BIT(16) | VPASS_SFI_BIT(0x1C));
	assert_int_equal(vctl_set_option(&p, &o, "sfi-only", "all"), VCTL_OK);
	assert_int_equal(o.sfi_only, 0);
	/* Every error has words. */
	for (int e = VCTL_OK; e <= VCTL_EXPECTED_CHAIN; e++)
		assert_true(strlen(vctl_strerror((vctl_error)e)) > 0);
	assert_string_equal(vpass_strerror(VPASS_TIMEOUT),
	                    "the command was carried out but its answer was lost (time-out)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refuse_bac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_access_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sfi_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_above, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_response, setup, teardown),
		cmocka_unit_test(test_link_arithmetic),
		cmocka_unit_test_setup_teardown(test_link_sleep, setup, teardown),
		cmocka_unit_test(test_vctl_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
