/*
 * test_isodep — the reader's side of ISO/IEC 14443-4 block transmission
 * (hal/passport/isodep.c) against a scripted chip: each step is the frame
 * the reader must send and the chip's frame back (or none: lost), so every
 * block number, chaining bit and recovery rule is checked byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hal/passport/isodep-internal.h"

#define STEPS_MAX 32
#define FRAME 300

typedef struct step {
	uint8_t out[FRAME];  /* what the reader must send */
	size_t out_len;
	uint8_t in[FRAME];   /* the chip's answer */
	size_t in_len;
	pp_err result;       /* PP_OK: in; PP_ERR_TIMEOUT: lost; another: that */
	unsigned wait_ms;    /* the wait the reader must ask for; 0: not checked */
} step;

typedef struct script {
	step steps[STEPS_MAX];
	size_t n, at;
	unsigned sleep_ms;   /* each frame takes this long */
} script;

static void add(script *s, const uint8_t *out, size_t out_len, const uint8_t *in, size_t in_len, pp_err r,
                unsigned wait_ms)
{
	assert_true(s->n < STEPS_MAX);
	step *st = &s->steps[s->n++];
	memcpy(st->out, out, out_len);
	st->out_len = out_len;
	if (in)
		memcpy(st->in, in, in_len);
	st->in_len = in_len;
	st->result = r;
	st->wait_ms = wait_ms;
}

/* A frame expected and answered; the chip's answer as a byte list. */
#define EXPECT(s, out, in) add((s), (out), sizeof(out), (in), sizeof(in), PP_OK, 0)
#define EXPECT_LOST(s, out) add((s), (out), sizeof(out), NULL, 0, PP_ERR_TIMEOUT, 0)
#define B(...) ((const uint8_t[]){ __VA_ARGS__ })

static pp_err chip(void *user, const uint8_t *out, size_t out_len, uint8_t *in, size_t cap, size_t *ret_len,
                   unsigned wait_ms, long limit_ms)
{
	script *s = user;
	assert_true(limit_ms > 0);
	if (s->sleep_ms) {
		struct timespec ts = { 0, (long)s->sleep_ms * 1000000 };
		nanosleep(&ts, NULL);
	}
	assert_true(s->at < s->n);
	step *st = &s->steps[s->at++];
	assert_int_equal(out_len, st->out_len);
	assert_memory_equal(out, st->out, out_len);
	if (st->wait_ms)
		assert_int_equal(wait_ms, st->wait_ms);
	if (st->result != PP_OK)
		return st->result;
	assert_true(st->in_len <= cap);
	memcpy(in, st->in, st->in_len);
	*ret_len = st->in_len;
	return PP_OK;
}

/* A chip with FSC 256 (FSCI 8) and FWT 155 ms (FWI 9). */
static void init_default(pp_isodep *d)
{
	const uint8_t ats[] = { 0x78, 0x77, 0x91, 0x02 };
	pp_isodep_init_ats(d, ats, sizeof(ats), 254);
}

static pp_err run(pp_isodep *d, script *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                  size_t *ret_len)
{
	pp_err e = pp_isodep_transceive(d, chip, s, cmd, len, resp, cap, ret_len, 2000);
	assert_int_equal(s->at, s->n); /* every step taken, none more */
	return e;
}

static void test_parameters(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	assert_int_equal(d.fsc, 256);
	assert_int_equal(d.fwt_ms, 155);
	assert_int_equal(d.block_number, 0);
	/* No TB(1): FWI 4, 4.83 ms; T0 FSCI 5: 64 bytes. */
	pp_isodep_init_ats(&d, B(0x55, 0x77, 0x02), 3, 254);
	assert_int_equal(d.fsc, 64);
	assert_int_equal(d.fwt_ms, 5);
	/* No ATS at all: FSCI 2 (32 bytes), FWI 4. */
	pp_isodep_init_ats(&d, NULL, 0, 254);
	assert_int_equal(d.fsc, 32);
	assert_int_equal(d.fwt_ms, 5);
	/* ATQB protocol info: Max_Frame_Size 8, FWI 7 (38.66 ms). */
	pp_isodep_init_atqb(&d, B(0x00, 0x81, 0x71), 0x00, 254);
	assert_int_equal(d.fsc, 256);
	assert_int_equal(d.fwt_ms, 39);
	assert_int_equal(d.cid, 0);
	assert_int_equal(pp_isodep_fwt_ms(14), 4950);
	assert_int_equal(pp_isodep_fwt_ms(15), 5); /* RFU: FWI 4 */
	assert_int_equal(pp_isodep_fsc(0), 16);
	assert_int_equal(pp_isodep_fsc(12), 4096);
	assert_int_equal(pp_isodep_fsc(13), 256);
}

/* One block each way, then the next APDU with the other block number. */
static void test_unchained(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	add(&s, B(0x02, 0x00, 0xB0, 0x00, 0x00, 0x04), 6, B(0x02, 0x01, 0x02, 0x03, 0x04, 0x90, 0x00), 7, PP_OK,
	    155);
	uint8_t resp[64];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0xB0, 0x00, 0x00, 0x04), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(resp, B(0x01, 0x02, 0x03, 0x04, 0x90, 0x00), 6);
	assert_int_equal(d.block_number, 1);
	script s2 = { 0 };
	EXPECT(&s2, B(0x03, 0x00, 0x84, 0x00, 0x00, 0x08), B(0x03, 0x6D, 0x00));
	assert_int_equal(run(&d, &s2, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(d.block_number, 0);
}

/* FSC 16: 13 bytes of INF a frame; a 30-byte command in three I-blocks,
 * the first two chained and acknowledged (rule 7, rule B). */
static void test_command_chaining(void **state)
{
	(void)state;
	pp_isodep d;
	pp_isodep_init_ats(&d, B(0x70, 0x77, 0x91, 0x02), 4, 254);
	assert_int_equal(d.fsc, 16);
	uint8_t cmd[30];
	for (size_t i = 0; i < sizeof(cmd); i++)
		cmd[i] = (uint8_t)i;
	script s = { 0 };
	uint8_t f[14];
	f[0] = 0x12;
	memcpy(f + 1, cmd, 13);
	add(&s, f, 14, B(0xA2), 1, PP_OK, 0);
	f[0] = 0x13;
	memcpy(f + 1, cmd + 13, 13);
	add(&s, f, 14, B(0xA3), 1, PP_OK, 0);
	f[0] = 0x02;
	memcpy(f + 1, cmd + 26, 4);
	add(&s, f, 5, B(0x02, 0x90, 0x00), 3, PP_OK, 0);
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, cmd, sizeof(cmd), resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(d.block_number, 1);
}

/* The chip chains its answer: each block acknowledged with R(ACK) and the
 * current number (rule 2); a CID byte in its blocks is skipped. */
static void test_answer_chaining(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT(&s, B(0x02, 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x06), B(0x12, 0xAA, 0xBB));
	EXPECT(&s, B(0xA3), B(0x1B, 0x00, 0xCC, 0xDD));
	EXPECT(&s, B(0xA2), B(0x02, 0xEE, 0xFF, 0x90, 0x00));
	uint8_t resp[16];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x06), 7, resp, sizeof(resp), &n),
	                 PP_OK);
	assert_int_equal(n, 8);
	assert_memory_equal(resp, B(0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x90, 0x00), 8);
	assert_int_equal(d.block_number, 1);
}

/* S(WTX) requests answered with the same WTXM, the power level bits
 * cleared, and the next frame waited for FWT x WTXM (capped at FWI 14's
 * FWT). */
static void test_wtx(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	add(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), 6, B(0xF2, 0x41), 2, PP_OK, 155);
	add(&s, B(0xF2, 0x01), 2, B(0xF2, 0x03), 2, PP_OK, 155);
	add(&s, B(0xF2, 0x03), 2, B(0xF2, 0x3B), 2, PP_OK, 465);
	add(&s, B(0xF2, 0x3B), 2, B(0x02, 0x90, 0x00), 3, PP_OK, 4950);
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(d.wtx, 3);
	assert_int_equal(n, 2);
}

/* The answer lost: R(NAK) with the current number (rule 4); the chip
 * sends its block again (its rule 11). */
static void test_answer_lost(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT_LOST(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08));
	EXPECT(&s, B(0xB2), B(0x02, 0x90, 0x00));
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(d.recoveries, 1);
}

/* The I-block lost: R(NAK); the chip, still at the other number, answers
 * R(ACK) (its rule 12), and the I-block goes again (rule 6). An invalid
 * block (an R(NAK) from the chip) counts as lost. */
static void test_command_lost(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), B(0xB3));
	EXPECT(&s, B(0xB2), B(0xA3));
	EXPECT(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), B(0x02, 0x90, 0x00));
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(d.recoveries, 2);
	assert_int_equal(d.block_number, 1);
}

/* A block of the chip's chain lost: the same R(ACK) again (rule 5). The
 * chip then sends its old block, which rule 13 does not let it (as if it
 * had missed the R(ACK)): taken as invalid, the R(ACK) goes once more. */
static void test_chain_block_lost(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT(&s, B(0x02, 0x00, 0xB0, 0x00, 0x00, 0x04), B(0x12, 0x01, 0x02));
	EXPECT_LOST(&s, B(0xA3));
	EXPECT(&s, B(0xA3), B(0x12, 0x01, 0x02)); /* the old block, out of turn */
	EXPECT(&s, B(0xA3), B(0x03, 0x03, 0x04, 0x90, 0x00));
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0xB0, 0x00, 0x00, 0x04), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(resp, B(0x01, 0x02, 0x03, 0x04, 0x90, 0x00), 6);
}

/* Three frames lost in a row: given up, "no answer". */
static void test_gives_up(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT_LOST(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08));
	EXPECT_LOST(&s, B(0xB2));
	EXPECT_LOST(&s, B(0xB2));
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_ERR_TIMEOUT);
}

/* Any other error of the reader ends the exchange with it. */
static void test_other_error(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	add(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), 6, NULL, 0, PP_ERR_REMOVED, 0);
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_ERR_REMOVED);
}

/* An answer longer than the caller's buffer. */
static void test_overflow(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { 0 };
	EXPECT(&s, B(0x02, 0x00, 0xB0, 0x00, 0x00, 0x04), B(0x02, 0x01, 0x02, 0x03, 0x04, 0x90, 0x00));
	uint8_t resp[4];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0xB0, 0x00, 0x00, 0x04), 5, resp, sizeof(resp), &n), PP_ERR_COMM);
}

/* A type B chip given CID 1 by its ATTRIB: every block carries it, and
 * blocks back carry it too (skipped); FSC 32 (29 bytes of INF a frame
 * with the CID). */
static void test_cid(void **state)
{
	(void)state;
	pp_isodep d;
	pp_isodep_init_atqb(&d, B(0x00, 0x21, 0x71), 0x01, 254);
	assert_int_equal(d.cid, 1);
	assert_int_equal(d.fsc, 32);
	uint8_t cmd[40];
	for (size_t i = 0; i < sizeof(cmd); i++)
		cmd[i] = (uint8_t)(0x40 + i);
	script s = { 0 };
	uint8_t f[32] = { 0x1A, 0x01 };
	memcpy(f + 2, cmd, 28);
	add(&s, f, 30, B(0xAA, 0x01), 2, PP_OK, 0);
	f[0] = 0x0B;
	memcpy(f + 2, cmd + 28, 12);
	add(&s, f, 14, B(0xF2), 1, PP_OK, 0); /* invalid: S(WTX) without its WTXM */
	EXPECT(&s, B(0xBB, 0x01), B(0xFA, 0x01, 0x02));
	EXPECT(&s, B(0xFA, 0x01, 0x02), B(0x1B, 0x01, 0x61));
	EXPECT(&s, B(0xAA, 0x01), B(0x0A, 0x01, 0x90, 0x00));
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, cmd, sizeof(cmd), resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(resp, B(0x61, 0x90, 0x00), 3);
}

/* FWT x WTXM beyond the reader's longest wait: when the reader stops
 * listening first, an R(NAK) asks again (the chip, done by then, sends its
 * block again), not counted as a recovery. */
static void test_wait_beyond_reader(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	d.reader_wait_max_ms = 1000;
	script s = { 0 };
	EXPECT(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), B(0xF2, 0x3B));
	add(&s, B(0xF2, 0x3B), 2, NULL, 0, PP_ERR_TIMEOUT, 4950);
	add(&s, B(0xB2), 1, NULL, 0, PP_ERR_TIMEOUT, 4950);
	add(&s, B(0xB2), 1, B(0x02, 0x90, 0x00), 3, PP_OK, 4950);
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n), PP_OK);
	assert_int_equal(d.recoveries, 0);
	assert_int_equal(n, 2);
}

/* Type B: ATTRIB's answer says MBLI 1, so MBL = FSC: a longer command is
 * refused before any frame is sent. */
static void test_mbl(void **state)
{
	(void)state;
	pp_isodep d;
	pp_isodep_init_atqb(&d, B(0x00, 0x21, 0x71), 0x11, 254);
	assert_int_equal(d.mbl, 32);
	script s = { 0 };
	uint8_t cmd[40] = { 0 };
	uint8_t resp[8];
	size_t n = 0;
	assert_int_equal(run(&d, &s, cmd, sizeof(cmd), resp, sizeof(resp), &n), PP_ERR_NOT_SUPPORTED);
}

/* A chip that keeps asking for time is given up on at the deadline. */
static void test_wtx_forever(void **state)
{
	(void)state;
	pp_isodep d;
	init_default(&d);
	script s = { .sleep_ms = 10 };
	add(&s, B(0x02, 0x00, 0x84, 0x00, 0x00, 0x08), 6, B(0xF2, 0x01), 2, PP_OK, 0);
	for (int i = 0; i < STEPS_MAX - 1; i++)
		add(&s, B(0xF2, 0x01), 2, B(0xF2, 0x01), 2, PP_OK, 0);
	uint8_t resp[8];
	size_t n = 0;
	pp_err e = pp_isodep_transceive(&d, chip, &s, B(0x00, 0x84, 0x00, 0x00, 0x08), 5, resp, sizeof(resp), &n, 60);
	assert_int_equal(e, PP_ERR_UNRESPONSIVE);
	assert_true(s.at >= 3 && s.at < 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_unchained),
		cmocka_unit_test(test_command_chaining),
		cmocka_unit_test(test_answer_chaining),
		cmocka_unit_test(test_wtx),
		cmocka_unit_test(test_answer_lost),
		cmocka_unit_test(test_command_lost),
		cmocka_unit_test(test_chain_block_lost),
		cmocka_unit_test(test_gives_up),
		cmocka_unit_test(test_other_error),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_cid),
		cmocka_unit_test(test_wait_beyond_reader),
		cmocka_unit_test(test_mbl),
		cmocka_unit_test(test_wtx_forever),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
