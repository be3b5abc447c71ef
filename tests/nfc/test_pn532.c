/*
 * test_pn532 — the emulated PN532 without a terminal: its frame codec
 * against frames as libnfc's pn532_uart driver writes them (wake-up
 * preamble, normal and extended frames, ACK, NACK, broken checksums), and
 * its command interpreter: firmware identity, communication test, target
 * activation of type A and B, APDU relay with response and command
 * chaining (MI), presence checks, a card that leaves the field, InPSL
 * raising the bit rate only to one the ATS's TA(1) offers, and
 * SetSerialBaudRate. Then the serial line's timing model: its arithmetic,
 * and appm-pn532 itself (APPM_PN532) answering GetFirmwareVersion on its
 * terminal with --baud set and with it off, and changing speed when told.
 */
/* mkdtemp, fdopen, popen, clock_gettime */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/pn532/pn532.h"
#include "tests/nfc/chip-fixture.h"

/* Feed a whole buffer; returns the last frame kind and counts INFO frames. */
static pn532_frame_kind feed_all(pn532_decoder *d, const uint8_t *p, size_t n, int *ret_infos)
{
	pn532_frame_kind last = PN532_FRAME_INCOMPLETE;
	*ret_infos = 0;
	while (n) {
		size_t used = 0;
		pn532_frame_kind k = pn532_decoder_feed(d, p, n, &used);
		p += used;
		n -= used;
		if (k != PN532_FRAME_INCOMPLETE)
			last = k;
		if (k == PN532_FRAME_INFO)
			(*ret_infos)++;
	}
	return last;
}

static void test_wakeup_then_sam_configuration(void **state)
{
	(void)state;
	/* What the driver sends to a PN532 in low-battery mode: 55 55, zeros,
	 * then SAMConfiguration(normal). */
	static const uint8_t wire[] = { 0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x14, 0x01,
		                        0x17, 0x00 };
	pn532_decoder d;
	pn532_decoder_init(&d);
	int infos;
	assert_int_equal(feed_all(&d, wire, sizeof(wire), &infos), PN532_FRAME_INFO);
	assert_int_equal(infos, 1);
	assert_int_equal(d.body_len, 3);
	assert_int_equal(d.body[0], PN532_TFI_HOST);
	assert_int_equal(d.body[1], 0x14);
	assert_int_equal(d.body[2], 0x01);
}

static void test_ack_nack_and_bad_frames(void **state)
{
	(void)state;
	pn532_decoder d;
	pn532_decoder_init(&d);
	int infos;
	assert_int_equal(feed_all(&d, pn532_ack_frame, sizeof(pn532_ack_frame), &infos), PN532_FRAME_ACK);
	static const uint8_t nack[] = { 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00 };
	assert_int_equal(feed_all(&d, nack, sizeof(nack), &infos), PN532_FRAME_NACK);
	/* Length checksum wrong, then data checksum wrong: both dropped, and
	 * a good frame right after is still found. */
	static const uint8_t bad_lcs[] = { 0x00, 0x00, 0xFF, 0x02, 0xFF, 0xD4, 0x02, 0x2A, 0x00 };
	assert_int_equal(feed_all(&d, bad_lcs, sizeof(bad_lcs), &infos), PN532_FRAME_BAD);
	static const uint8_t bad_dcs[] = { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2B, 0x00,
		                           0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00 };
	assert_int_equal(feed_all(&d, bad_dcs, 9, &infos), PN532_FRAME_BAD);
	assert_int_equal(feed_all(&d, bad_dcs + 9, 9, &infos), PN532_FRAME_INFO);
	assert_int_equal(d.body[1], 0x02);
}

static void test_frames_round_trip(void **state)
{
	(void)state;
	uint8_t data[PN532_FRAME_MAX_BODY - 1];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* 1 byte, the largest normal frame (254 + TFI), and extended ones. */
	const size_t lens[] = { 1, 254, 255, sizeof(data) };
	for (size_t t = 0; t < 4; t++) {
		uint8_t wire[PN532_FRAME_MAX_WIRE];
		size_t n = pn532_frame_build(PN532_TFI_CHIP, data, lens[t], wire, sizeof(wire));
		assert_true(n > 0);
		assert_int_equal(wire[3] == 0xFF && wire[4] == 0xFF, lens[t] + 1 > 255);
		pn532_decoder d;
		pn532_decoder_init(&d);
		int infos;
		assert_int_equal(feed_all(&d, wire, n, &infos), PN532_FRAME_INFO);
		assert_int_equal(d.body_len, lens[t] + 1);
		assert_int_equal(d.body[0], PN532_TFI_CHIP);
		assert_memory_equal(d.body + 1, data, lens[t]);
	}
	uint8_t small[8];
	assert_int_equal(pn532_frame_build(PN532_TFI_CHIP, data, 10, small, sizeof(small)), 0);
}

/* ---- the chip ---- */

#define CARD_ACCESS_LEN 600

static int chip_setup(void **state)
{
	static fixture f;
	static uint8_t ca[CARD_ACCESS_LEN];
	for (size_t i = 0; i < sizeof(ca); i++)
		ca[i] = (uint8_t)i;
	if (fixture_open(&f, ca, sizeof(ca)) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int chip_teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

static void test_identity_and_self_test(void **state)
{
	fixture *f = *state;
	assert_true(cmd(f, 1, 0x02));
	static const uint8_t fw[] = { 0x03, 0x32, 0x01, 0x06, 0x07 };
	assert_int_equal(f->len, sizeof(fw));
	assert_memory_equal(f->resp, fw, sizeof(fw));
	/* Communication test: the parameters come back. */
	assert_true(cmd(f, 5, 0x00, 0x00, 'a', 'b', 'c'));
	static const uint8_t echo[] = { 0x01, 0x00, 'a', 'b', 'c' };
	assert_int_equal(f->len, sizeof(echo));
	assert_memory_equal(f->resp, echo, sizeof(echo));
	/* Registers remember what is written; malformed commands are syntax
	 * errors; unknown commands too. */
	assert_true(cmd(f, 4, 0x08, 0x63, 0x05, 0x40));
	assert_true(cmd(f, 3, 0x06, 0x63, 0x05));
	assert_int_equal(f->len, 2);
	assert_int_equal(f->resp[1], 0x40);
	assert_false(cmd(f, 2, 0x06, 0x63));
	assert_false(cmd(f, 1, 0x8C));
	assert_false(cmd(f, 4, 0x32, 0x01, 0x01, 0x01)); /* RF field takes one byte */
}

static void test_no_card_no_target(void **state)
{
	fixture *f = *state;
	pn532_chip_set_card(f->chip, NULL, PN532_CARD_A);
	assert_true(cmd(f, 3, 0x4A, 0x01, 0x00));
	assert_int_equal(f->len, 2);
	assert_int_equal(f->resp[1], 0x00); /* NbTg */
	/* Exchanging data without a target is refused by status, not frame. */
	assert_true(cmd(f, 4, 0x40, 0x01, 0x00, 0x84));
	assert_int_equal(f->resp[1], 0x27);
}

static void select_a(fixture *f)
{
	assert_true(cmd(f, 2, 0x12, 0x14)); /* SetParameters: auto ATR_RES, auto RATS */
	assert_true(cmd(f, 3, 0x4A, 0x01, 0x00));
	assert_int_equal(f->resp[0], 0x4B);
	assert_int_equal(f->resp[1], 0x01); /* NbTg */
	assert_int_equal(f->resp[2], 0x01); /* Tg */
	assert_int_equal(f->resp[5], 0x20); /* SEL_RES: ISO 14443-4 */
	assert_int_equal(f->resp[6], 4);    /* NFCID1 length */
	assert_int_equal(f->resp[7], 0x08); /* random UID */
	assert_int_equal(f->resp[11], 5);   /* ATS length */
}

static void test_type_a_apdu_and_response_chaining(void **state)
{
	fixture *f = *state;
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_A);
	select_a(f);
	/* SELECT EF.CardAccess under the MF. */
	assert_true(cmd(f, 9, 0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C));
	assert_int_equal(f->len, 4);
	assert_int_equal(f->resp[1], 0x00);
	assert_int_equal(f->resp[2], 0x90);
	/* An extended READ BINARY: 600 bytes and SW come in 262-byte pieces. */
	assert_true(cmd(f, 9, 0x40, 0x01, 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00));
	size_t got = 0;
	uint8_t data[CARD_ACCESS_LEN + 2];
	for (int piece = 0;; piece++) {
		assert_true(piece < 4);
		size_t n = f->len - 2;
		assert_true(n <= PN532_EXCHANGE_MAX);
		assert_true(got + n <= sizeof(data));
		memcpy(data + got, f->resp + 2, n);
		got += n;
		if (!(f->resp[1] & 0x40))
			break;
		assert_int_equal(f->resp[1], 0x40);
		assert_true(cmd(f, 2, 0x40, 0x01));
	}
	assert_int_equal(got, CARD_ACCESS_LEN + 2);
	for (size_t i = 0; i < CARD_ACCESS_LEN; i++)
		assert_int_equal(data[i], (uint8_t)i);
	assert_int_equal(data[CARD_ACCESS_LEN], 0x90);
	pn532_stats st;
	pn532_chip_stats(f->chip, &st);
	assert_int_equal(st.extended_apdus, 1);
	/* Host chaining: the same SELECT split over two exchanges. */
	assert_true(cmd(f, 6, 0x40, 0x41, 0x00, 0xA4, 0x02, 0x0C));
	assert_int_equal(f->resp[1], 0x00);
	assert_int_equal(f->len, 2);
	assert_true(cmd(f, 5, 0x40, 0x01, 0x02, 0x01, 0x1C));
	assert_int_equal(f->resp[2], 0x90);
	/* Presence check as libnfc does it for type A: R(NAK) with block
	 * number 0. The PN532's own blocks left the card at 0 (1 at
	 * activation, toggled by three I-blocks and two R(ACK)s), so rule 11:
	 * its last block again, the SELECT's answer. */
	assert_true(cmd(f, 2, 0x42, 0xB2));
	assert_int_equal(f->len, 5);
	assert_int_equal(f->resp[1], 0x00);
	assert_int_equal(f->resp[2], 0x02);
	assert_int_equal(f->resp[3], 0x90);
	assert_true(cmd(f, 2, 0x00, 0x06));
	assert_int_equal(f->resp[1], 0x00);
}

static void test_type_b_and_removal(void **state)
{
	fixture *f = *state;
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_B);
	/* Type A polling does not find a type B card. */
	assert_true(cmd(f, 3, 0x4A, 0x01, 0x00));
	assert_int_equal(f->resp[1], 0x00);
	assert_true(cmd(f, 4, 0x4A, 0x01, 0x03, 0x00));
	assert_int_equal(f->resp[1], 0x01);
	assert_int_equal(f->resp[3], 0x50); /* ATQB */
	assert_int_equal(f->resp[13] & 0x01, 0x01); /* protocol type: ISO 14443-4 */
	/* R(NAK) with CID 1, as libnfc checks a type B target on a PN532:
	 * rule 12, R(ACK) with the card's number (1 at activation). */
	assert_true(cmd(f, 3, 0x42, 0xBA, 0x01));
	assert_int_equal(f->len, 4);
	assert_int_equal(f->resp[2], 0xAB);
	assert_int_equal(f->resp[3], 0x01);
	/* The card leaves: exchanges and presence checks time out (01). */
	vpass_card_remove(f->card);
	assert_true(cmd(f, 9, 0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C));
	assert_int_equal(f->resp[1], 0x01);
	assert_true(cmd(f, 3, 0x42, 0xBA, 0x01));
	assert_int_equal(f->resp[1], 0x01);
	assert_true(cmd(f, 2, 0x00, 0x06));
	assert_int_equal(f->resp[1], 0x01);
	/* Field off and on, then polling: nothing there. */
	assert_true(cmd(f, 3, 0x32, 0x01, 0x00));
	assert_true(cmd(f, 4, 0x4A, 0x01, 0x03, 0x00));
	assert_int_equal(f->resp[1], 0x00);
	assert_true(cmd(f, 2, 0x16, 0xF0));
	assert_true(pn532_chip_asleep(f->chip));
}

/* ---- the serial line ---- */

static void test_serial_line_model(void **state)
{
	(void)state;
	/* 28 bytes at 9600 baud, 10 bits each: 280/9600 s, rounded up to the ns. */
	assert_int_equal(pn532_line_ns(9600, 28), 29166667);
	assert_int_equal(pn532_line_ns(PN532_HSU_DEFAULT_BAUD, 1), 86806);
	assert_int_equal(pn532_line_ns(0, 1000), 0);
	/* A thousand single bytes sent back to back end exactly where one
	 * block of a thousand does: no per-byte rounding adds up (per byte it
	 * would be 1000 * 86806). */
	pn532_line l;
	pn532_line_init(&l, PN532_HSU_DEFAULT_BAUD);
	const uint64_t t0 = 5000000000ULL;
	uint64_t due = 0;
	for (int i = 0; i < 1000; i++)
		due = pn532_line_charge(&l, PN532_TO_HOST, t0, 1);
	assert_int_equal(due - t0, 86805556);
	assert_int_equal(due - t0, pn532_line_ns(PN532_HSU_DEFAULT_BAUD, 1000));
	/* While the line is busy a later write queues behind; once it has
	 * gone idle, the next one starts from the time it is handed over. */
	assert_int_equal(pn532_line_charge(&l, PN532_TO_HOST, t0 + 1000, 1), t0 + pn532_line_ns(PN532_HSU_DEFAULT_BAUD, 1001));
	const uint64_t later = t0 + 1000000000ULL;
	assert_int_equal(pn532_line_charge(&l, PN532_TO_HOST, later, 2), later + pn532_line_ns(PN532_HSU_DEFAULT_BAUD, 2));
	/* The other direction is a wire of its own. */
	assert_int_equal(pn532_line_charge(&l, PN532_FROM_HOST, t0, 9), t0 + pn532_line_ns(PN532_HSU_DEFAULT_BAUD, 9));
	assert_int_equal(l.wire[PN532_TO_HOST].total_bytes, 1003);
	assert_int_equal(l.wire[PN532_FROM_HOST].total_bytes, 9);
	assert_true(pn532_line_seconds(&l) > 1012 * 10 / 115200.0 - 1e-9);
	assert_true(pn532_line_seconds(&l) < 1012 * 10 / 115200.0 + 1e-9);
	/* Off: bytes pass at once, and are still counted. */
	pn532_line_init(&l, 0);
	assert_int_equal(pn532_line_charge(&l, PN532_TO_HOST, t0, 500), t0);
	assert_int_equal(l.wire[PN532_TO_HOST].total_bytes, 500);
	assert_true(pn532_line_seconds(&l) == 0.0);
}

/* ---- appm-pn532 on its terminal ---- */

typedef struct emulator_run {
	const char *exe;
	char dir[64];
	char sock[128];
	char log[128];  /* its standard error, kept off the test's */
	pid_t pid;
	int tty;
} emulator_run;

static int emulator_setup(void **state)
{
	static emulator_run r;
	memset(&r, 0, sizeof(r));
	r.pid = -1;
	r.tty = -1;
	*state = &r;
	return 0;
}

/* Whatever a failed assertion left running or on disk. */
static int emulator_teardown(void **state)
{
	emulator_run *r = *state;
	if (r->tty >= 0)
		close(r->tty);
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
	}
	if (r->dir[0]) {
		unlink(r->sock);
		unlink(r->log);
		rmdir(r->dir);
	}
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The host's side of the terminal at baud, as libnfc's uart_set_speed
 * sets it (the emulator drops bytes sent at another speed than its own). */
static void tty_speed(int tty, unsigned long baud)
{
	speed_t code = baud == 9600 ? B9600 : baud == 230400 ? B230400 : B115200;
	struct termios t;
	assert_int_equal(tcgetattr(tty, &t), 0);
	cfsetispeed(&t, code);
	cfsetospeed(&t, code);
	assert_int_equal(tcsetattr(tty, TCSADRAIN, &t), 0);
}

/* Start appm-pn532 with --baud (no document: the reader alone) and open
 * its terminal as libnfc would, raw, at that speed (115200 for "0"). */
static void emulator_start(emulator_run *r, const char *baud)
{
	r->exe = getenv("APPM_PN532");
	if (!r->exe) {
		fprintf(stderr, "run through meson test (needs APPM_PN532)\n");
		skip();
	}
	snprintf(r->dir, sizeof(r->dir), "/tmp/appm-test-pn532-XXXXXX");
	if (!mkdtemp(r->dir)) {
		r->dir[0] = '\0';
		fail_msg("mkdtemp failed");
	}
	snprintf(r->sock, sizeof(r->sock), "%s/ctl.sock", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/stderr.log", r->dir);
	int out[2];
	assert_int_equal(pipe(out), 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		int log = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (log >= 0)
			dup2(log, STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		execl(r->exe, r->exe, "--baud", baud, "--control", r->sock, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	FILE *f = fdopen(out[0], "r");
	assert_non_null(f);
	char pty[256] = "";
	assert_non_null(fgets(pty, sizeof(pty), f));
	fclose(f);
	pty[strcspn(pty, "\n")] = '\0';
	r->tty = open(pty, O_RDWR | O_NOCTTY);
	assert_true(r->tty >= 0);
	struct termios t;
	assert_int_equal(tcgetattr(r->tty, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(r->tty, TCSANOW, &t), 0);
	tty_speed(r->tty, strcmp(baud, "0") == 0 ? 115200 : strtoul(baud, NULL, 10));
}

/* The status line's serial fields, from "appm-pn532 ctl SOCKET status". */
static void emulator_serial_status(const emulator_run *r, char *ret, size_t cap)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s' ctl '%s' status", r->exe, r->sock);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[4400] = "";
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	const char *from = strstr(line, " baud=");
	const char *to = strstr(line, " document=");
	assert_non_null(from);
	assert_non_null(to);
	assert_true(to > from && (size_t)(to - from) < cap);
	memcpy(ret, from + 1, (size_t)(to - from) - 1);
	ret[to - from - 1] = '\0';
}

/* Stop it as a user would; it must end cleanly. */
static void emulator_stop(emulator_run *r)
{
	close(r->tty);
	r->tty = -1;
	kill(r->pid, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(r->pid, &st, 0), r->pid);
	r->pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", r->log);
		(void)system(cmd);
		fail_msg("appm-pn532 ended with status %d", st);
	}
}

static const uint8_t get_firmware_version[] = { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00 };
/* ACK, then D5 03 and PN532 v1.6 with ISO 14443 A and B. */
static const uint8_t firmware_answer[] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x06,
	                                   0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00 };

/* One GetFirmwareVersion round trip on the terminal; returns how long it
 * took, from the command's write to the answer's last byte, in ns. */
static uint64_t firmware_round_trip(const emulator_run *r)
{
	uint64_t t0 = monotonic_ns();
	assert_int_equal(write(r->tty, get_firmware_version, sizeof(get_firmware_version)),
	                 sizeof(get_firmware_version));
	uint8_t got[sizeof(firmware_answer)];
	size_t n = 0;
	while (n < sizeof(got)) {
		struct pollfd p = { .fd = r->tty, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 10000), 1);
		ssize_t k = read(r->tty, got + n, sizeof(got) - n);
		assert_true(k > 0);
		n += (size_t)k;
	}
	uint64_t t1 = monotonic_ns();
	assert_memory_equal(got, firmware_answer, sizeof(firmware_answer));
	return t1 - t0;
}

/* InPSL (4E Tg BRit BRti), answered 4F and a status. */
static uint8_t psl(fixture *f, uint8_t br_it, uint8_t br_ti)
{
	assert_true(cmd(f, 4, 0x4E, 0x01, br_it, br_ti));
	assert_int_equal(f->len, 2);
	assert_int_equal(f->resp[0], 0x4F);
	return f->resp[1];
}

static unsigned charged_rate(fixture *f)
{
	pn532_stats st;
	pn532_chip_stats(f->chip, &st);
	assert_int_equal(st.bit_rate_kbps, vpass_card_bit_rate(f->card));
	return st.bit_rate_kbps;
}

/* Each activation is at 106 kbit/s; InPSL raises the rate the link model
 * charges only to one the ATS's TA(1) offers and the PN532 has (212,
 * 424); the card leaves a PPS it does not offer unanswered (status 01)
 * and stays at its rate. */
static void test_psl_raises_the_rate_the_ats_offers(void **state)
{
	fixture *f = *state;
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_A);
	assert_int_equal(psl(f, 0x02, 0x02), 0x27); /* no target yet */
	select_a(f);
	assert_int_equal(f->resp[13], 0x77);        /* TA(1): every rate */
	assert_int_equal(charged_rate(f), 106);
	assert_int_equal(psl(f, 0x03, 0x03), 0x10); /* 848: not the PN532's */
	assert_int_equal(charged_rate(f), 106);
	assert_int_equal(psl(f, 0x02, 0x02), 0x00);
	assert_int_equal(charged_rate(f), 424);
	assert_int_equal(psl(f, 0x01, 0x01), 0x00);
	assert_int_equal(charged_rate(f), 212);
	assert_int_equal(psl(f, 0x01, 0x02), 0x00); /* different ways: the slower charged */
	assert_int_equal(charged_rate(f), 212);
	assert_false(cmd(f, 3, 0x4E, 0x01, 0x02));  /* BRti missing */
	/* A new activation starts at 106 again. */
	select_a(f);
	assert_int_equal(charged_rate(f), 106);

	/* 106 only: every higher rate left unanswered. */
	pn532_chip_set_ats_ta1(f->chip, 0x00);
	select_a(f);
	assert_int_equal(f->resp[13], 0x00);
	assert_int_equal(psl(f, 0x01, 0x01), 0x01);
	assert_int_equal(psl(f, 0x02, 0x02), 0x01);
	assert_int_equal(charged_rate(f), 106);
	/* The exchange still works at 106. */
	assert_true(cmd(f, 9, 0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C));
	assert_int_equal(f->resp[1], 0x00);
	pn532_stats st;
	pn532_chip_stats(f->chip, &st);
	assert_int_equal(st.pps_refused, 2);

	/* Same D only (b8), 212 and 424 each way: one rate both ways. */
	pn532_chip_set_ats_ta1(f->chip, 0xB3);
	select_a(f);
	assert_int_equal(psl(f, 0x01, 0x02), 0x01);
	assert_int_equal(psl(f, 0x02, 0x02), 0x00);
	assert_int_equal(charged_rate(f), 424);
	/* Receiving at 212 only (DR 2), sending at 424 only (DS 4). */
	pn532_chip_set_ats_ta1(f->chip, 0x21);
	select_a(f);
	assert_int_equal(psl(f, 0x02, 0x02), 0x01);
	assert_int_equal(psl(f, 0x01, 0x01), 0x01);
	assert_int_equal(psl(f, 0x01, 0x02), 0x00);
	assert_int_equal(charged_rate(f), 212);
	/* The RFU bit makes the whole byte 106 only. */
	pn532_chip_set_ats_ta1(f->chip, 0x7F);
	select_a(f);
	assert_int_equal(psl(f, 0x01, 0x01), 0x01);
	/* A card that answers no PPS, whatever it offers. */
	pn532_chip_set_ats_ta1(f->chip, 0x77);
	pn532_chip_set_pps_mute(f->chip, true);
	select_a(f);
	assert_int_equal(psl(f, 0x02, 0x02), 0x01);
	assert_int_equal(charged_rate(f), 106);
	pn532_chip_set_pps_mute(f->chip, false);
	assert_int_equal(psl(f, 0x02, 0x02), 0x00);
	/* Type B: InPSL is not for it. */
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_B);
	assert_true(cmd(f, 3, 0x4A, 0x01, 0x03));
	assert_int_equal(f->resp[1], 0x01);
	assert_int_equal(psl(f, 0x01, 0x01), 0x27);
	assert_int_equal(charged_rate(f), 106);
}

/* SetSerialBaudRate: the speed taken once, after the answer. */
static void test_set_serial_baud_rate(void **state)
{
	fixture *f = *state;
	assert_int_equal(pn532_chip_take_baud(f->chip), 0);
	assert_true(cmd(f, 2, 0x10, 0x05));
	assert_int_equal(f->len, 1);
	assert_int_equal(f->resp[0], 0x11);
	assert_int_equal(pn532_chip_take_baud(f->chip), 230400);
	assert_int_equal(pn532_chip_take_baud(f->chip), 0);
	assert_true(cmd(f, 2, 0x10, 0x08));
	assert_int_equal(pn532_chip_take_baud(f->chip), 1288000);
	assert_false(cmd(f, 2, 0x10, 0x09));
	assert_int_equal(pn532_chip_take_baud(f->chip), 0);
	/* The line model: bytes before a change keep their time. */
	pn532_line l;
	pn532_line_init(&l, 9600);
	pn532_line_charge(&l, PN532_TO_HOST, 0, 96);   /* 0.1 s */
	pn532_line_set_baud(&l, 115200);
	uint64_t due = pn532_line_charge(&l, PN532_TO_HOST, 0, 1152); /* 0.1 s more, after the first */
	assert_int_equal(due, 200000000ULL);
	assert_true(pn532_line_seconds(&l) > 0.199999 && pn532_line_seconds(&l) < 0.200001);
}

static void test_serial_baud_paces_the_terminal(void **state)
{
	emulator_run *r = *state;
	emulator_start(r, "9600");
	uint64_t took = firmware_round_trip(r);
	/* The command (9 bytes) must arrive before the ACK (6) and the answer
	 * (13) go back: 28 bytes of 10 bits at 9600 baud, 29.2 ms. */
	uint64_t modelled = pn532_line_ns(9600, sizeof(get_firmware_version) + sizeof(firmware_answer));
	assert_true(took >= modelled);
	assert_true(took < modelled + 5000000000ULL);
	char serial[200];
	emulator_serial_status(r, serial, sizeof(serial));
	assert_string_equal(serial, "baud=9600 serial_out=19 serial_in=9 serial_seconds=0.029167");
	emulator_stop(r);
}

/* Read exactly n bytes, or fail after timeout_ms without them. */
static bool read_exactly(int tty, uint8_t *out, size_t n, int timeout_ms)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { .fd = tty, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) != 1)
			return false;
		ssize_t k = read(tty, out + got, n - got);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* SetSerialBaudRate 05 (230400): answered at 115200, then the chip hears
 * only 230400: a frame at the old speed is noise, at the new one it is
 * answered, and the status says the new speed. */
static void test_serial_baud_rate_change(void **state)
{
	emulator_run *r = *state;
	emulator_start(r, "115200");
	firmware_round_trip(r);
	static const uint8_t set_baud[] = { 0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x10, 0x05, 0x17, 0x00 };
	static const uint8_t set_baud_answer[] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00,
		                                   0xFF, 0x02, 0xFE, 0xD5, 0x11, 0x1A, 0x00 };
	assert_int_equal(write(r->tty, set_baud, sizeof(set_baud)), sizeof(set_baud));
	uint8_t got[sizeof(firmware_answer)];
	assert_true(read_exactly(r->tty, got, sizeof(set_baud_answer), 5000));
	assert_memory_equal(got, set_baud_answer, sizeof(set_baud_answer));
	assert_int_equal(write(r->tty, get_firmware_version, sizeof(get_firmware_version)),
	                 sizeof(get_firmware_version));
	assert_false(read_exactly(r->tty, got, 1, 300));
	tty_speed(r->tty, 230400);
	firmware_round_trip(r);
	char serial[200];
	emulator_serial_status(r, serial, sizeof(serial));
	assert_non_null(strstr(serial, "baud=230400 "));
	emulator_stop(r);
}

static void test_serial_baud_off_changes_nothing(void **state)
{
	emulator_run *r = *state;
	emulator_start(r, "0");
	firmware_round_trip(r); /* the same answer, byte for byte */
	char serial[200];
	emulator_serial_status(r, serial, sizeof(serial));
	assert_string_equal(serial, "baud=0 serial_out=19 serial_in=9 serial_seconds=0.000000");
	emulator_stop(r);
	/* Rates the option refuses: bad usage, exit status 2. */
	const char *bad[] = { "fast", "-1", "9600x", "2000000", "100000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "'%s' --baud '%s' 2>/dev/null", r->exe, bad[i]);
		int st = system(cmd);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wakeup_then_sam_configuration),
		cmocka_unit_test(test_ack_nack_and_bad_frames),
		cmocka_unit_test(test_frames_round_trip),
		cmocka_unit_test_setup_teardown(test_identity_and_self_test, chip_setup, chip_teardown),
		cmocka_unit_test_setup_teardown(test_no_card_no_target, chip_setup, chip_teardown),
		cmocka_unit_test_setup_teardown(test_type_a_apdu_and_response_chaining, chip_setup, chip_teardown),
		cmocka_unit_test_setup_teardown(test_type_b_and_removal, chip_setup, chip_teardown),
		cmocka_unit_test(test_serial_line_model),
		cmocka_unit_test_setup_teardown(test_psl_raises_the_rate_the_ats_offers, chip_setup, chip_teardown),
		cmocka_unit_test_setup_teardown(test_set_serial_baud_rate, chip_setup, chip_teardown),
		cmocka_unit_test_setup_teardown(test_serial_baud_paces_the_terminal, emulator_setup, emulator_teardown),
		cmocka_unit_test_setup_teardown(test_serial_baud_off_changes_nothing, emulator_setup, emulator_teardown),
		cmocka_unit_test_setup_teardown(test_serial_baud_rate_change, emulator_setup, emulator_teardown),
	};
	return cmocka_run_group_tests_name("pn532", tests, NULL, NULL);
}
