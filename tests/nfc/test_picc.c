/*
 * test_picc — the emulated PN532's card as the PICC of the ISO/IEC
 * 14443-4 block protocol (devices/pn532/picc.c), driven as a host running
 * the protocol itself would: InCommunicateThru commands (42 + block, no
 * CRC) through pn532_chip_command. An unchained APDU and the block number
 * it leaves; a command chained in 3 blocks with R(ACK)s; a long answer
 * fetched by R(ACK)s in FSD-sized blocks; retransmission on R(ACK)/R(NAK)
 * with the current number and R(ACK) on R(NAK) with the other; S(WTX)
 * requests answered, a wrong answer ignored; FSC (fsc 5) enforced; chain
 * 32; S(DESELECT); a frozen card asking for time once per waiting time.
 */
/* nanosleep, clock_gettime */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/pn532/pn532.h"
#include "tests/nfc/chip-fixture.h"

#define FILE_LEN 3000 /* EF.CardAccess here: an answer of many frames */

static int setup(void **state)
{
	static fixture f;
	static uint8_t data[FILE_LEN];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + (i >> 8));
	if (fixture_open(&f, data, sizeof(data)) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 8));
}

/* SetParameters (auto RATS), InListPassiveTarget type A: the ATS's T0. */
static uint8_t activate_a(fixture *f)
{
	static const uint8_t params[] = { 0x12, 0x14 };
	static const uint8_t list[] = { 0x4A, 0x01, 0x00 };
	assert_true(pn532_chip_command(f->chip, params, sizeof(params), f->resp, sizeof(f->resp), &f->len));
	assert_true(pn532_chip_command(f->chip, list, sizeof(list), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[1], 0x01);
	assert_int_equal(f->resp[11], 5); /* ATS length */
	f->pcd_bn = 0;
	return f->resp[12];
}

/* One InCommunicateThru with the block given; returns the answer's
 * length, 0 when the PN532 reports its time-out (the card said nothing). */
static size_t thru(fixture *f, const uint8_t *block, size_t n)
{
	uint8_t c[PN532_FRAME_MAX_BODY];
	assert_true(n + 1 <= sizeof(c));
	c[0] = 0x42;
	memcpy(c + 1, block, n);
	assert_true(pn532_chip_command(f->chip, c, n + 1, f->resp, sizeof(f->resp), &f->len));
	assert_true(f->len >= 2);
	assert_int_equal(f->resp[0], 0x43);
	if (f->resp[1] == 0x01) {
		assert_int_equal(f->len, 2);
		return 0;
	}
	assert_int_equal(f->resp[1], 0x00);
	return f->len - 2;
}

static size_t thru_bytes(fixture *f, size_t n, ...)
{
	uint8_t b[64];
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);
	return thru(f, b, n);
}

/* The block answered (after the status byte). */
static const uint8_t *block(const fixture *f)
{
	return f->resp + 2;
}

/* An I-block carrying an APDU, with the host's number (rules A and B:
 * toggled when the card's I-block with that number comes back). */
static size_t send_apdu(fixture *f, const uint8_t *apdu, size_t n)
{
	uint8_t b[PN532_PICC_BLOCK_MAX];
	b[0] = (uint8_t)(0x02 | f->pcd_bn);
	memcpy(b + 1, apdu, n);
	return thru(f, b, n + 1);
}

static const uint8_t select_card_access[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C };
static const uint8_t read_all[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00 }; /* extended Le */

static void select_file(fixture *f)
{
	assert_int_equal(send_apdu(f, select_card_access, sizeof(select_card_access)), 3);
	assert_int_equal(block(f)[0], 0x02 | f->pcd_bn);
	assert_int_equal(block(f)[1], 0x90);
	f->pcd_bn ^= 1;
}

static pn532_stats stats(const fixture *f)
{
	pn532_stats st;
	pn532_chip_stats(f->chip, &st);
	return st;
}

/* ---- tests ---- */

static void test_unchained_apdu(void **state)
{
	fixture *f = *state;
	assert_int_equal(activate_a(f), 0x78); /* FSCI 8 by default */
	/* Rule C then D: the card starts at 1 and answers I(0) with I(0). */
	assert_int_equal(thru(f, (const uint8_t[]){ 0x02, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 8), 3);
	static const uint8_t ok0[] = { 0x02, 0x90, 0x00 };
	assert_memory_equal(block(f), ok0, sizeof(ok0));
	/* The same number again is not one a PCD sends next (NOTE to rule
	 * D): ignored. With the right one (1) the card answers I(1). */
	assert_int_equal(thru(f, (const uint8_t[]){ 0x02, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 8), 0);
	assert_int_equal(thru(f, (const uint8_t[]){ 0x03, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 8), 3);
	assert_int_equal(block(f)[0], 0x03);
	/* With CID 0 the answer carries it; another CID or a NAD: ignored. */
	assert_int_equal(thru(f, (const uint8_t[]){ 0x0A, 0x00, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 9), 4);
	static const uint8_t ok_cid[] = { 0x0A, 0x00, 0x90, 0x00 };
	assert_memory_equal(block(f), ok_cid, sizeof(ok_cid));
	assert_int_equal(thru(f, (const uint8_t[]){ 0x0B, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 9), 0);
	assert_int_equal(thru(f, (const uint8_t[]){ 0x07, 0x00, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 9), 0);
	/* An unknown PCB: ignored. */
	assert_int_equal(thru_bytes(f, 2, 0x62, 0x00), 0);
	assert_int_equal(stats(f).i_blocks, 6);
	assert_int_equal(stats(f).apdus, 3);
}

static void test_chained_command(void **state)
{
	fixture *f = *state;
	activate_a(f);
	/* SELECT EF.CardAccess in three blocks: each chained one answered
	 * R(ACK) with the card's number (1 -> 0, then 0 -> 1), the last by the
	 * card's answer (-> 0). */
	assert_int_equal(thru_bytes(f, 3, 0x12, 0x00, 0xA4), 1);
	assert_int_equal(block(f)[0], 0xA2);
	assert_int_equal(thru_bytes(f, 4, 0x13, 0x02, 0x0C, 0x02), 1);
	assert_int_equal(block(f)[0], 0xA3);
	assert_int_equal(thru_bytes(f, 3, 0x02, 0x01, 0x1C), 3);
	static const uint8_t ok0[] = { 0x02, 0x90, 0x00 };
	assert_memory_equal(block(f), ok0, sizeof(ok0));
	pn532_stats st = stats(f);
	assert_int_equal(st.apdus, 1);
	assert_int_equal(st.max_command, sizeof(select_card_access));
	assert_int_equal(st.i_blocks, 3);
	/* The file is selected: the whole APDU reached the card. */
	f->pcd_bn = 1;
	assert_true(send_apdu(f, (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0x04 }, 5) == 7);
	assert_int_equal(block(f)[5], 0x90);
	assert_int_equal(block(f)[1], file_byte(0));
	/* A chained command with an R(ACK) retransmitted (rule 11): the
	 * card's number is 1 after the answer; I(0) chained -> R(ACK)(0). */
	assert_int_equal(thru_bytes(f, 3, 0x12, 0x00, 0xA4), 1);
	assert_int_equal(block(f)[0], 0xA2);
	assert_int_equal(thru_bytes(f, 1, 0xB2), 1); /* R(NAK)(0): the R(ACK) again */
	assert_int_equal(block(f)[0], 0xA2);
}

/* Fetch a chained answer whose first block is in f->resp: every block's
 * INF into out, each next one asked for by R(ACK) with the host's number.
 * Returns the length; *ret_max_inf the largest INF but the last's. */
static size_t fetch_answer(fixture *f, size_t first_len, uint8_t *out, size_t cap, size_t *ret_max_inf,
                           size_t *ret_blocks)
{
	size_t got = 0, n = first_len, max_inf = 0, blocks = 0;
	for (;;) {
		const uint8_t *b = block(f);
		assert_true(n >= 1);
		assert_int_equal(b[0] & 0xE2, 0x02);
		assert_int_equal(b[0] & 0x01, f->pcd_bn); /* rule B: the host's number */
		f->pcd_bn ^= 1;
		assert_true(got + n - 1 <= cap);
		memcpy(out + got, b + 1, n - 1);
		got += n - 1;
		blocks++;
		if (!(b[0] & 0x10))
			break;
		if (n - 1 > max_inf)
			max_inf = n - 1;
		n = thru_bytes(f, 1, 0xA2 | f->pcd_bn);
		assert_true(blocks < 1000);
	}
	*ret_max_inf = max_inf;
	*ret_blocks = blocks;
	return got;
}

static void check_file(const uint8_t *data, size_t len)
{
	assert_int_equal(len, FILE_LEN + 2);
	for (size_t i = 0; i < FILE_LEN; i++)
		if (data[i] != file_byte(i))
			fail_msg("byte %zu: %02X, not %02X", i, data[i], file_byte(i));
	assert_int_equal(data[FILE_LEN], 0x90);
	assert_int_equal(data[FILE_LEN + 1], 0x00);
}

static void test_long_answer_by_r_ack(void **state)
{
	fixture *f = *state;
	activate_a(f);
	select_file(f);
	size_t n = send_apdu(f, read_all, sizeof(read_all));
	static uint8_t data[FILE_LEN + 2];
	size_t max_inf = 0, blocks = 0;
	size_t len = fetch_answer(f, n, data, sizeof(data), &max_inf, &blocks);
	check_file(data, len);
	/* FSD 256: 256 - PCB - CRC = 253 bytes a block. */
	assert_int_equal(max_inf, 253);
	assert_int_equal(blocks, (FILE_LEN + 2 + 252) / 253);
	assert_int_equal(stats(f).r_blocks, blocks - 1);
	assert_int_equal(stats(f).max_response, FILE_LEN + 2);
}

static void test_retransmission(void **state)
{
	fixture *f = *state;
	activate_a(f);
	select_file(f); /* card at 0, host at 1 */
	assert_int_equal(send_apdu(f, read_all, sizeof(read_all)), 254);
	uint8_t first[254];
	memcpy(first, block(f), sizeof(first));
	assert_int_equal(first[0], 0x13); /* I(1), chaining */
	/* Rule 11: R(ACK) or R(NAK) with the card's number (1): the last
	 * block again, the answer not advanced. */
	assert_int_equal(thru_bytes(f, 1, 0xA3), 254);
	assert_memory_equal(block(f), first, sizeof(first));
	assert_int_equal(thru_bytes(f, 1, 0xB3), 254);
	assert_memory_equal(block(f), first, sizeof(first));
	/* Rule 12: R(NAK) with the other number: R(ACK) with the card's. */
	assert_int_equal(thru_bytes(f, 1, 0xB2), 1);
	assert_int_equal(block(f)[0], 0xA3);
	/* Rule 11 again: now the last block is that R(ACK). */
	assert_int_equal(thru_bytes(f, 1, 0xB3), 1);
	assert_int_equal(block(f)[0], 0xA3);
	/* Rules E and 13: R(ACK) with the other number: the next block. */
	assert_int_equal(thru_bytes(f, 1, 0xA2), 254);
	assert_int_equal(block(f)[0], 0x12);
	assert_int_equal(block(f)[1], file_byte(253));
	/* An I-block while the card sends its chain is invalid. */
	assert_int_equal(thru_bytes(f, 3, 0x03, 0x00, 0x00), 0);
	/* The rest still comes. */
	f->pcd_bn = 0;
	static uint8_t rest[FILE_LEN + 2];
	size_t max_inf = 0, blocks = 0;
	size_t len = fetch_answer(f, 254, rest, sizeof(rest), &max_inf, &blocks);
	assert_int_equal(len, FILE_LEN + 2 - 253);
	assert_int_equal(rest[len - 2], 0x90);
}

static void test_wtx_answered(void **state)
{
	fixture *f = *state;
	pn532_picc_set_wtx(pn532_chip_picc(f->chip), 3);
	activate_a(f);
	assert_int_equal(send_apdu(f, select_card_access, sizeof(select_card_access)), 2);
	static const uint8_t wtx[] = { 0xF2, 0x01 };
	assert_memory_equal(block(f), wtx, sizeof(wtx));
	assert_int_equal(thru(f, wtx, sizeof(wtx)), 2);
	assert_memory_equal(block(f), wtx, sizeof(wtx));
	assert_int_equal(thru(f, wtx, sizeof(wtx)), 2);
	assert_memory_equal(block(f), wtx, sizeof(wtx));
	/* The third answered: the card's I-block. */
	assert_int_equal(thru(f, wtx, sizeof(wtx)), 3);
	static const uint8_t ok0[] = { 0x02, 0x90, 0x00 };
	assert_memory_equal(block(f), ok0, sizeof(ok0));
	pn532_stats st = stats(f);
	assert_int_equal(st.wtx_sent, 3);
	assert_int_equal(st.s_blocks, 3);
	assert_int_equal(st.apdus, 1);
	/* With CID: the request carries it, the response must too. */
	pn532_picc_set_wtx(pn532_chip_picc(f->chip), 1);
	assert_int_equal(thru(f, (const uint8_t[]){ 0x0B, 0x00, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C }, 9), 3);
	static const uint8_t wtx_cid[] = { 0xFA, 0x00, 0x01 };
	assert_memory_equal(block(f), wtx_cid, sizeof(wtx_cid));
	assert_int_equal(thru(f, wtx_cid, sizeof(wtx_cid)), 4);
	assert_int_equal(block(f)[0], 0x0B);
}

static void test_wtx_wrong_answer_ignored(void **state)
{
	fixture *f = *state;
	pn532_picc_set_wtx(pn532_chip_picc(f->chip), 1);
	activate_a(f);
	assert_int_equal(send_apdu(f, select_card_access, sizeof(select_card_access)), 2);
	assert_int_equal(block(f)[0], 0xF2);
	/* Another WTXM, no INF, power bits set, an S(DESELECT) or an I-block
	 * instead: each an invalid block, not answered. */
	assert_int_equal(thru_bytes(f, 2, 0xF2, 0x02), 0);
	assert_int_equal(thru_bytes(f, 1, 0xF2), 0);
	assert_int_equal(thru_bytes(f, 2, 0xF2, 0x41), 0);
	assert_int_equal(thru_bytes(f, 1, 0xC2), 0);
	assert_int_equal(thru_bytes(f, 3, 0x03, 0x00, 0x00), 0);
	/* R(NAK) with the card's number: the request again (rule 11). */
	assert_int_equal(thru_bytes(f, 1, 0xB2), 2);
	assert_int_equal(block(f)[0], 0xF2);
	/* The right answer still gets the I-block. */
	assert_int_equal(thru_bytes(f, 2, 0xF2, 0x01), 3);
	assert_int_equal(block(f)[0], 0x02);
	assert_int_equal(block(f)[1], 0x90);
	assert_int_equal(stats(f).wtx_sent, 2);
}

static void test_fsc_enforced(void **state)
{
	fixture *f = *state;
	pn532_picc_set_fsci(pn532_chip_picc(f->chip), 5); /* FSC 64 */
	assert_int_equal(activate_a(f), 0x75);
	/* 62 bytes + CRC = 64: taken; 63 + CRC: ignored. */
	uint8_t apdu[62] = { 0x00, 0xA4, 0x02, 0x0C, 0x38 };
	assert_int_equal(send_apdu(f, apdu, 61), 3);
	assert_int_equal(block(f)[0], 0x02);
	f->pcd_bn = 1;
	assert_int_equal(send_apdu(f, apdu, 62), 0);
	/* The same command chained in blocks within FSC is taken. */
	uint8_t b[63] = { 0x13 };
	memcpy(b + 1, apdu, 40);
	assert_int_equal(thru(f, b, 41), 1);
	assert_int_equal(block(f)[0], 0xA3);
	b[0] = 0x02;
	memcpy(b + 1, apdu + 40, 21);
	assert_int_equal(thru(f, b, 22), 3);
	assert_int_equal(block(f)[0], 0x02);
	/* Type B: the ATQB's Max_Frame_Size says the same. */
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_B);
	static const uint8_t list_b[] = { 0x4A, 0x01, 0x03, 0x00 };
	assert_true(pn532_chip_command(f->chip, list_b, sizeof(list_b), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[1], 0x01);
	assert_int_equal(f->resp[13] >> 4, 5);
	assert_int_equal(f->resp[13] & 0x0F, 0x01);
	assert_int_equal(f->resp[16], 0x01); /* ATTRIB_RES: CID 1 */
}

static unsigned long long link_bytes(const fixture *f)
{
	vpass_stats vs;
	vpass_card_stats(f->card, &vs);
	return vs.link_bytes;
}

static void test_chain_32(void **state)
{
	fixture *f = *state;
	/* The link model on, with no per-command or per-frame extra time. */
	vpass_options o;
	vpass_card_get_options(f->card, &o);
	vpass_link_default(&o.link);
	o.link.chip_latency_us = 0;
	o.link.frame_overhead_us = 0;
	vpass_card_set_options(f->card, &o);
	pn532_picc_set_chain(pn532_chip_picc(f->chip), 32);
	activate_a(f);
	select_file(f);
	unsigned long long before = link_bytes(f);
	size_t n = send_apdu(f, read_all, sizeof(read_all));
	assert_int_equal(n, 33);
	static uint8_t data[FILE_LEN + 2];
	size_t max_inf = 0, blocks = 0;
	size_t len = fetch_answer(f, n, data, sizeof(data), &max_inf, &blocks);
	check_file(data, len);
	assert_int_equal(max_inf, 32);
	assert_int_equal(blocks, (FILE_LEN + 2 + 31) / 32);
	/* The link model charged those frames (32 + PCB + CRC back), more
	 * than at FSD. */
	vpass_link l = o.link;
	l.bit_rate_kbps = 106;
	vpass_link_cost at_32 = vpass_link_exchange_frames(&l, 256, 35, sizeof(read_all), FILE_LEN + 2);
	vpass_link_cost at_fsd = vpass_link_exchange(&l, sizeof(read_all), FILE_LEN + 2);
	assert_int_equal(link_bytes(f) - before, at_32.bytes);
	assert_true(at_32.bytes > at_fsd.bytes);
	assert_int_equal(at_32.frames, 2 * blocks);
}

static void test_deselect(void **state)
{
	fixture *f = *state;
	activate_a(f);
	select_file(f);
	/* S(DESELECT) with CID 0: answered the same. */
	assert_int_equal(thru_bytes(f, 2, 0xCA, 0x00), 2);
	static const uint8_t desel[] = { 0xCA, 0x00 };
	assert_memory_equal(block(f), desel, sizeof(desel));
	/* Asleep now: no block, no InDataExchange, no presence. */
	assert_int_equal(send_apdu(f, select_card_access, sizeof(select_card_access)), 0);
	assert_int_equal(thru_bytes(f, 1, 0xB2), 0);
	static const uint8_t dx[] = { 0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C };
	assert_true(pn532_chip_command(f->chip, dx, sizeof(dx), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[1], 0x01);
	static const uint8_t presence[] = { 0x00, 0x06 };
	assert_true(pn532_chip_command(f->chip, presence, sizeof(presence), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[1], 0x01);
	/* Activated again: number 1, the session new (the file not selected:
	 * READ BINARY with no current file fails). */
	activate_a(f);
	assert_int_equal(send_apdu(f, (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0x04 }, 5), 3);
	assert_int_equal(block(f)[0], 0x02);
	assert_true(block(f)[1] != 0x90);
	/* Without CID. */
	assert_int_equal(thru_bytes(f, 1, 0xC2), 1);
	assert_int_equal(block(f)[0], 0xC2);
	assert_int_equal(stats(f).s_blocks, 2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	uint64_t now = now_ns();
	if (t <= now)
		return;
	struct timespec ts = { (time_t)((t - now) / 1000000000ULL), (long)((t - now) % 1000000000ULL) };
	nanosleep(&ts, NULL);
}

/* FWI 9 (the ATS's TB(1) 0x91): 256 * 16 / fc * 2^9 s. */
#define FWT_NS 154660000ULL

/* The held InCommunicateThru answered when due: an S(WTX) request. */
static void expect_wtx_when_due(fixture *f, uint64_t sent)
{
	assert_true(pn532_chip_held(f->chip));
	uint64_t due = pn532_chip_due_ns(f->chip);
	assert_true(due > sent + FWT_NS / 2);
	assert_true(due <= sent + FWT_NS + 1000000);
	assert_false(pn532_chip_resume(f->chip, f->resp, sizeof(f->resp), &f->len)); /* not yet */
	sleep_until(due);
	assert_true(pn532_chip_resume(f->chip, f->resp, sizeof(f->resp), &f->len));
	static const uint8_t wtx[] = { 0x43, 0x00, 0xF2, 0x01 };
	assert_int_equal(f->len, sizeof(wtx));
	assert_memory_equal(f->resp, wtx, sizeof(wtx));
	assert_false(pn532_chip_held(f->chip));
}

static void test_frozen_card_asks_for_time(void **state)
{
	fixture *f = *state;
	vpass_options o;
	vpass_card_get_options(f->card, &o);
	o.freeze_after = 1;
	vpass_card_set_options(f->card, &o);
	activate_a(f);
	select_file(f); /* the one APDU it answers */
	uint8_t c[1 + 1 + sizeof(read_all)] = { 0x42, (uint8_t)(0x02 | f->pcd_bn) };
	memcpy(c + 2, read_all, sizeof(read_all));
	uint64_t sent = now_ns();
	assert_true(pn532_chip_command(f->chip, c, sizeof(c), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->len, 0); /* no answer yet */
	expect_wtx_when_due(f, sent);
	/* Answered: held again, the next request one waiting time later. */
	static const uint8_t wtx_resp[] = { 0x42, 0xF2, 0x01 };
	for (int i = 0; i < 2; i++) {
		sent = now_ns();
		assert_true(pn532_chip_command(f->chip, wtx_resp, sizeof(wtx_resp), f->resp, sizeof(f->resp), &f->len));
		assert_int_equal(f->len, 0);
		expect_wtx_when_due(f, sent);
	}
	assert_int_equal(stats(f).wtx_sent, 3);
	/* The host gives up (an ACK frame), then asks again: the card, still
	 * at work, answers with its next request when due. */
	assert_true(pn532_chip_command(f->chip, wtx_resp, sizeof(wtx_resp), f->resp, sizeof(f->resp), &f->len));
	pn532_chip_abort(f->chip);
	assert_false(pn532_chip_held(f->chip));
	sent = now_ns();
	assert_true(pn532_chip_command(f->chip, (const uint8_t[]){ 0x42, 0xB2 }, 2, f->resp, sizeof(f->resp),
	                               &f->len));
	assert_int_equal(f->len, 0);
	sleep_until(pn532_chip_due_ns(f->chip));
	assert_true(pn532_chip_resume(f->chip, f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[2], 0xF2);
	/* It wakes up while the host waits: the answer comes, late. */
	assert_true(pn532_chip_command(f->chip, wtx_resp, sizeof(wtx_resp), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->len, 0);
	o.freeze_after = 0;
	vpass_card_set_options(f->card, &o);
	assert_true(pn532_chip_resume(f->chip, f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[2], 0x12 | f->pcd_bn); /* I-block, chaining */
	assert_int_equal(f->resp[3], file_byte(0));
	/* Two APDUs, however often the frozen one was offered again. */
	assert_int_equal(stats(f).apdus, 2);
	assert_int_equal(stats(f).wtx_sent, 4);
}

static void test_data_exchange_advances_the_number(void **state)
{
	fixture *f = *state;
	activate_a(f);
	/* The PN532's own I-block: the card's number 1 -> 0. A raw I(0)
	 * (a host that forgot) is ignored; I(1) is answered. */
	static const uint8_t dx[] = { 0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C };
	assert_true(pn532_chip_command(f->chip, dx, sizeof(dx), f->resp, sizeof(f->resp), &f->len));
	assert_int_equal(f->resp[2], 0x90);
	assert_int_equal(send_apdu(f, select_card_access, sizeof(select_card_access)), 0);
	f->pcd_bn = 1;
	select_file(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unchained_apdu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chained_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_answer_by_r_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wtx_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wtx_wrong_answer_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsc_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deselect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen_card_asks_for_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_exchange_advances_the_number, setup, teardown),
	};
	return cmocka_run_group_tests_name("picc", tests, NULL, NULL);
}
