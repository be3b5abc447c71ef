/*
 * appm-pn532 — a PN532 reader on a pseudo-terminal with the virtual
 * e-passport in its field. libnfc's pn532_uart driver opens the terminal's
 * slave side as it would /dev/ttyUSB0 and speaks PN532 frames; this
 * program answers them as the chip does (devices/pn532/chip.c) and relays
 * the APDUs of InDataExchange to devices/vpass in-process.
 *
 * Scripted while it runs over a control socket, with the commands of
 * appm-vpass (one per line, answered "ok ..." or "error ..."; devices/vctl
 * parses and answers them, the hooks below are what they do here):
 *   place [DIR]          put the document (or the one in DIR) in the field;
 *                        a command a frozen card held times out first
 *   remove               take it away (a held command times out)
 *   set OPTION VALUE     the chip's options of devices/vctl (short-only,
 *                        max-response, remove-after, freeze-after,
 *                        fail-reads, corrupt-mac,
 *                        aa-wrong-key, ca-wrong-key, refuse-bac, card-access,
 *                        timeout-above, sfi-refuse, sfi-only, link-model,
 *                        link-rate, link-frame,
 *                        link-frame-overhead, chip-latency), and here also
 *                        type a|b (the ISO 14443 type the card answers as),
 *                        ats-ta BYTE (TA(1) of the type A card's ATS: the
 *                        bit rates it accepts in a PPS; default 0x77, every
 *                        rate; 0x00: 106 kbit/s only), pps-refuse on|off|lost
 *                        (on: the card answers no PPS, whatever its ATS
 *                        says; lost: it takes the rate, its answer lost),
 *                        slow-only on|off (it takes a higher rate, then
 *                        hears no command at it), with the UID a type A
 *                        card draws afresh at each power-up and a PPS
 *                        answered only as the first request after the ATS,
 *                        and for hosts running ISO 14443-4 themselves over
 *                        InCommunicateThru (devices/pn532/picc.h):
 *                        fsc N (the card's FSCI, 0..8: FSC 16, 24, 32, 40,
 *                        48, 64, 96, 128, 256 bytes; default 8; in the
 *                        ATS's T0 / the ATQB's Max_Frame_Size from the next
 *                        activation; a longer block is not answered),
 *                        wtx N (S(WTX) requests, WTXM 1, before each answer;
 *                        default 0) and chain N (at most N INF bytes in each
 *                        I-block of an answer, 1..253; 0, the default: as
 *                        FSD allows). A frozen card (freeze-after) answers
 *                        an I-block with an S(WTX) request per frame
 *                        waiting time, for as long as the host answers them
 *   status               present, target, APDU counts, longest APDUs, the
 *                        bit rate the link model charges the last target
 *                        at (bit_rate=, 0 before the first), the PPS
 *                        left unanswered, the ISO 14443-4 blocks received
 *                        over InCommunicateThru by kind (i_blocks=,
 *                        r_blocks=, s_blocks=), the S(WTX) requests sent
 *                        (wtx=), InCommunicateThru's time-out as the host
 *                        set it (thru_timeout_us=), the serial
 *                        line's speed, its bytes and their modelled time
 *   quit
 * `appm-pn532 ctl SOCKET COMMAND...` sends one command and prints the answer.
 * The options, the document held, the commands' parsing and answers, the
 * control socket and that client are shared with appm-vpass (devices/vctl);
 * the pseudo-terminal, the PN532, what each command does to them and the
 * type option are this program's own.
 *
 * With --baud N the pseudo-terminal takes the time of a real UART at N
 * baud, 8N1 (the model in serial.c): every byte to the host leaves no
 * faster than that, and every byte from the host is charged as it is read,
 * before it is acted on. A real PN532 on a UART runs at 115200 baud (the
 * HSU's default, PN532 user manual UM0701-02; libnfc's pn532_uart driver
 * uses that speed), which is the figure to pass; the default, 0, leaves
 * the model off. SetSerialBaudRate changes it as it does the chip's: the
 * answer goes at the old speed, every byte after at the new one. With the
 * model on, the host must have its side of the terminal at the chip's
 * speed (libnfc's pn532_uart:PATH:SPEED sets it; without SPEED, 115200):
 * bytes sent at another speed are noise to a UART, and are dropped here.
 *
 * The radio link: every activation is at 106 kbit/s; a successful InPSL
 * raises the rate, which the card's link model (link-model on) then
 * charges in place of link-rate; link-rate stays what a PC/SC reader
 * would have negotiated (appm-vpass) and is not used here while a target
 * is active.
 */
/* posix_openpt, grantpt, unlockpt, ptsname */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/pn532/pn532.h"
#include "devices/vctl/vctl.h"

static const vctl_program pn532_program = {
	.name = "appm-pn532",
	.peer = "the emulated reader",
	.max_response_limit = 65536,
	.remove_after_limit = 1000000,
};
/* How often to look whether a host has opened the terminal again. */
#define HANGUP_POLL_MS 20

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct emulator {
	vctl_reader reader;      /* the document, the options, the card, quit */
	pn532_card_type type;
	pn532_chip *chip;
	pn532_decoder dec;
	pn532_line line;         /* the serial line's timing model */
	int master;              /* pseudo-terminal master */
	bool host_attached;      /* someone has the slave side open */
	char slave[128];
	char link[4096];
	uint8_t last_frame[PN532_FRAME_MAX_WIRE]; /* for a NACK */
	size_t last_frame_len;
	vctl_server ctl;
	bool verbose;
	uint8_t ats_ta1;         /* "set ats-ta" */
	bool pps_mute;           /* "set pps-refuse on" */
	bool pps_lost;           /* "set pps-refuse lost" */
	bool slow_only;          /* "set slow-only on" */
	unsigned fsci;           /* "set fsc" */
	unsigned wtx;            /* "set wtx" */
	size_t chain;            /* "set chain" */
} emulator;

static void log_hex(const emulator *e, const char *dir, const uint8_t *p, size_t n)
{
	if (!e->verbose)
		return;
	fprintf(stderr, "appm-pn532: %s", dir);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02X", p[i]);
	fputc('\n', stderr);
}

/* ---- the serial side ---- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Count n bytes on the line and, with the model on, wait until the last
 * of them has crossed it: one absolute deadline per call, computed from
 * the byte count, so the sleeps never drift. A stop signal cuts the wait
 * short. */
static void pace_line(emulator *e, pn532_direction dir, size_t n)
{
	if (!e->line.baud) {
		pn532_line_charge(&e->line, dir, 0, n);
		return;
	}
	uint64_t due = pn532_line_charge(&e->line, dir, monotonic_ns(), n);
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ULL), .tv_nsec = (long)(due % 1000000000ULL) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_signal)
		;
}

/* A UART with nobody listening loses what is sent: never block on it. */
static void send_host(emulator *e, const uint8_t *p, size_t n)
{
	log_hex(e, "->", p, n);
	pace_line(e, PN532_TO_HOST, n);
	while (n) {
		ssize_t r = write(e->master, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/* Raw 8-bit line on the slave side, as a UART is, whatever the last host
 * left behind (libnfc also flags a port it holds in c_iflag; a host that
 * died would leave that flag). On Linux the master's termios calls act on
 * the slave. */
static void reset_line(emulator *e)
{
	struct termios t;
	if (tcgetattr(e->master, &t) != 0)
		return;
	cfmakeraw(&t);
	t.c_iflag = 0;
	t.c_cflag |= CLOCAL | CREAD;
	tcsetattr(e->master, TCSANOW, &t);
}

static bool open_pty(emulator *e)
{
	e->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (e->master < 0)
		return false;
	if (grantpt(e->master) != 0 || unlockpt(e->master) != 0)
		return false;
	const char *name = ptsname(e->master);
	if (!name || strlen(name) >= sizeof(e->slave))
		return false;
	memcpy(e->slave, name, strlen(name) + 1);
	int fl = fcntl(e->master, F_GETFL);
	fcntl(e->master, F_SETFL, fl | O_NONBLOCK);
	reset_line(e);
	return true;
}

static void answer_frame(emulator *e)
{
	const uint8_t *body = e->dec.body;
	size_t len = e->dec.body_len;
	if (body[0] != PN532_TFI_HOST) {
		send_host(e, pn532_error_frame, sizeof(pn532_error_frame));
		return;
	}
	log_hex(e, "<-", body, len);
	send_host(e, pn532_ack_frame, sizeof(pn532_ack_frame));
	uint8_t resp[PN532_FRAME_MAX_BODY];
	size_t n = 0;
	if (!pn532_chip_command(e->chip, body + 1, len - 1, resp, sizeof(resp), &n)) {
		memcpy(e->last_frame, pn532_error_frame, sizeof(pn532_error_frame));
		e->last_frame_len = sizeof(pn532_error_frame);
	} else if (n == 0) {
		e->last_frame_len = 0; /* a frozen card: the answer waits */
		return;
	} else {
		e->last_frame_len = pn532_frame_build(PN532_TFI_CHIP, resp, n, e->last_frame, sizeof(e->last_frame));
	}
	send_host(e, e->last_frame, e->last_frame_len);
	/* SetSerialBaudRate: its answer went at the old speed. */
	unsigned long baud = pn532_chip_take_baud(e->chip);
	if (baud) {
		pn532_line_set_baud(&e->line, baud);
		if (e->verbose)
			fprintf(stderr, "appm-pn532: serial line now at %lu baud\n", baud);
	}
}

/* The card woke up or left: answer the command it held, late. */
static void answer_held(emulator *e)
{
	uint8_t resp[PN532_FRAME_MAX_BODY];
	size_t n = 0;
	if (!pn532_chip_held(e->chip) || !pn532_chip_resume(e->chip, resp, sizeof(resp), &n))
		return;
	e->last_frame_len = pn532_frame_build(PN532_TFI_CHIP, resp, n, e->last_frame, sizeof(e->last_frame));
	send_host(e, e->last_frame, e->last_frame_len);
}

/* The speed the host set on its side of the terminal (0: one termios has
 * no constant for). */
static unsigned long host_speed(const emulator *e)
{
	static const struct {
		speed_t code;
		unsigned long baud;
	} speeds[] = { { B9600, 9600 },     { B19200, 19200 },   { B38400, 38400 },   { B57600, 57600 },
		       { B115200, 115200 }, { B230400, 230400 }, { B460800, 460800 }, { B921600, 921600 } };
	struct termios t;
	if (tcgetattr(e->master, &t) != 0)
		return 0;
	speed_t code = cfgetospeed(&t);
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].code == code)
			return speeds[i].baud;
	return 0;
}

static void serve_host(emulator *e)
{
	uint8_t in[1024];
	ssize_t r = read(e->master, in, sizeof(in));
	if (r <= 0)
		return;
	/* Charged on arrival, all of it: the chip acts on nothing before the
	 * bytes read have crossed the line (a frame's postamble included). */
	pace_line(e, PN532_FROM_HOST, (size_t)r);
	/* A speed termios has no name for (1288000) is not checked. */
	unsigned long host = host_speed(e);
	if (e->line.baud && host && host != e->line.baud) {
		if (e->verbose)
			fprintf(stderr, "appm-pn532: %zd bytes at %lu baud, the chip is at %lu: noise, dropped\n", r,
			        host, e->line.baud);
		return;
	}
	size_t off = 0;
	while (off < (size_t)r) {
		size_t used = 0;
		pn532_frame_kind k = pn532_decoder_feed(&e->dec, in + off, (size_t)r - off, &used);
		off += used;
		switch (k) {
		case PN532_FRAME_INFO:
			answer_frame(e);
			break;
		case PN532_FRAME_NACK:
			send_host(e, e->last_frame, e->last_frame_len);
			break;
		case PN532_FRAME_ACK:      /* abort: only a frozen card's command waits */
			pn532_chip_abort(e->chip);
			break;
		case PN532_FRAME_BAD:      /* a real PN532 ignores a broken frame */
		case PN532_FRAME_INCOMPLETE:
			break;
		}
	}
}

/* ---- what the control commands do here (vctl_reader_ops) ---- */

/* A decimal number no greater than max. */
static bool parse_count(const char *value, unsigned long max, unsigned long *ret)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || n > max)
		return false;
	*ret = n;
	return true;
}

/* fsc, wtx, chain: the card's ISO 14443-4 block protocol (picc.h). */
static vctl_error set_block_option(emulator *e, const char *name, const char *value)
{
	unsigned long n = 0;
	if (strcmp(name, "fsc") == 0) {
		if (!parse_count(value, 8, &n))
			return VCTL_EXPECTED_FSCI;
		e->fsci = (unsigned)n;
	} else if (strcmp(name, "wtx") == 0) {
		if (!parse_count(value, 1000, &n))
			return VCTL_EXPECTED_WTX_COUNT;
		e->wtx = (unsigned)n;
	} else {
		if (!parse_count(value, 253, &n))
			return VCTL_EXPECTED_CHAIN;
		e->chain = n;
	}
	if (e->chip) {
		pn532_picc_set_fsci(pn532_chip_picc(e->chip), e->fsci);
		pn532_picc_set_wtx(pn532_chip_picc(e->chip), e->wtx);
		pn532_picc_set_chain(pn532_chip_picc(e->chip), e->chain);
	}
	return VCTL_OK;
}

/* "set type a|b" (and --type): the ISO 14443 type of the next card
 * placed; the other names are the passport's (devices/vctl). */
static vctl_error set_option(void *ctx, const char *name, const char *value)
{
	emulator *e = ctx;
	if (strcmp(name, "fsc") == 0 || strcmp(name, "wtx") == 0 || strcmp(name, "chain") == 0)
		return set_block_option(e, name, value);
	if (strcmp(name, "ats-ta") == 0) {
		char *end = NULL;
		errno = 0;
		unsigned long ta = strtoul(value, &end, 16); /* 77 or 0x77 */
		if (errno || end == value || *end || value[0] == '-' || ta > 0xFF)
			return VCTL_EXPECTED_TA1;
		e->ats_ta1 = (uint8_t)ta;
		if (e->chip)
			pn532_chip_set_ats_ta1(e->chip, e->ats_ta1);
		return VCTL_OK;
	}
	if (strcmp(name, "pps-refuse") == 0) {
		if (strcmp(value, "on") == 0 || strcmp(value, "lost") == 0 || strcmp(value, "off") == 0) {
			e->pps_mute = strcmp(value, "on") == 0;
			e->pps_lost = strcmp(value, "lost") == 0;
		} else {
			return VCTL_EXPECTED_ON_OFF;
		}
		if (e->chip) {
			pn532_chip_set_pps_mute(e->chip, e->pps_mute);
			pn532_chip_set_pps_lost(e->chip, e->pps_lost);
		}
		return VCTL_OK;
	}
	if (strcmp(name, "slow-only") == 0) {
		if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
			return VCTL_EXPECTED_ON_OFF;
		e->slow_only = strcmp(value, "on") == 0;
		if (e->chip)
			pn532_chip_set_slow_only(e->chip, e->slow_only);
		return VCTL_OK;
	}
	if (strcmp(name, "type") != 0)
		return VCTL_UNKNOWN_OPTION;
	if (strcmp(value, "a") == 0 || strcmp(value, "A") == 0)
		e->type = PN532_CARD_A;
	else if (strcmp(value, "b") == 0 || strcmp(value, "B") == 0)
		e->type = PN532_CARD_B;
	else
		return VCTL_EXPECTED_CARD_TYPE;
	return VCTL_OK;
}

/* A fresh chip with the current options, in the field. */
static bool place_card(emulator *e)
{
	pn532_chip_set_card(e->chip, NULL, e->type);
	if (!vctl_reader_make_card(&e->reader))
		return false;
	pn532_chip_set_card(e->chip, e->reader.card, e->type);
	return true;
}

static bool replace_card(void *ctx)
{
	emulator *e = ctx;
	if (pn532_chip_held(e->chip)) {
		/* The old card leaves: the waiting command times out. */
		vpass_card_remove(e->reader.card);
		answer_held(e);
	}
	return place_card(e);
}

static void remove_card(void *ctx)
{
	emulator *e = ctx;
	vpass_card_remove(e->reader.card);
	answer_held(e);
}

/* vctl gave the card its new options: one no longer frozen answers, late. */
static void options_changed(void *ctx)
{
	answer_held(ctx);
}

static void status_fields(void *ctx, char *out, size_t cap)
{
	const emulator *e = ctx;
	pn532_stats st;
	pn532_chip_stats(e->chip, &st);
	snprintf(out, cap,
	         "present=%s target=%s host=%s type=%s apdus=%lu extended=%lu max_command=%zu max_response=%zu "
	         "selects=%lu bit_rate=%u pps_refused=%lu i_blocks=%lu r_blocks=%lu s_blocks=%lu wtx=%lu "
	         "thru_timeout_us=%lu",
	         vpass_card_present(e->reader.card) ? "yes" : "no", pn532_chip_target_active(e->chip) ? "yes" : "no",
	         e->host_attached ? "yes" : "no", e->type == PN532_CARD_A ? "a" : "b", st.apdus, st.extended_apdus,
	         st.max_command, st.max_response, st.selects, st.bit_rate_kbps, st.pps_refused, st.i_blocks,
	         st.r_blocks, st.s_blocks, st.wtx_sent, st.thru_timeout_us);
}

/* The serial line's fields, which end the status line before document=. */
static void serial_status_fields(void *ctx, char *out, size_t cap)
{
	const emulator *e = ctx;
	snprintf(out, cap, "baud=%lu serial_out=%llu serial_in=%llu serial_seconds=%.6f", e->line.baud,
	         e->line.wire[PN532_TO_HOST].total_bytes, e->line.wire[PN532_FROM_HOST].total_bytes,
	         pn532_line_seconds(&e->line));
}

static const vctl_reader_ops pn532_reader_ops = {
	.place = replace_card,
	.remove = remove_card,
	.options_changed = options_changed,
	.status = status_fields,
	.status_after_chip = serial_status_fields,
	.set_option = set_option,
};

/* ---- the loop ---- */

/* Whether a host holds the slave side: with nobody there the master only
 * reports a hang-up, which must not be polled for in a tight loop. */
static void check_host(emulator *e)
{
	struct pollfd p = { .fd = e->master, .events = POLLIN };
	bool attached = !(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) && !(p.revents & POLLIN));
	if (e->host_attached && !attached) {
		/* The host closed the port (or died): the next one starts over. */
		pn532_decoder_init(&e->dec);
		pn532_chip_host_reset(e->chip);
		reset_line(e);
		if (e->verbose)
			fprintf(stderr, "appm-pn532: host closed the port\n");
	}
	e->host_attached = attached;
}

/* How long the loop may sleep: until a held answer is due, and only
 * briefly with no host (a hang-up is not polled for). */
static int poll_timeout_ms(const emulator *e)
{
	int ms = e->host_attached ? -1 : HANGUP_POLL_MS;
	uint64_t due = pn532_chip_due_ns(e->chip);
	if (!due)
		return ms;
	uint64_t now = monotonic_ns();
	uint64_t wait = due > now ? (due - now + 999999) / 1000000 : 0;
	if (wait > INT32_MAX)
		wait = INT32_MAX;
	return ms < 0 || (int)wait < ms ? (int)wait : ms;
}

static int run(emulator *e)
{
	while (!e->reader.quit && !stop_signal) {
		check_host(e);
		struct pollfd pfd[VCTL_POLL_FDS + 1];
		nfds_t n = VCTL_POLL_FDS;
		vctl_server_pollfds(&e->ctl, pfd);
		int host_slot = -1;
		if (e->host_attached) {
			host_slot = (int)n;
			pfd[n++] = (struct pollfd){ .fd = e->master, .events = POLLIN };
		}
		int r = poll(pfd, n, poll_timeout_ms(e));
		if (r < 0 && errno != EINTR)
			return 1;
		/* A frozen card's next S(WTX) request is due. */
		uint64_t due = pn532_chip_due_ns(e->chip);
		if (due && monotonic_ns() >= due)
			answer_held(e);
		if (r <= 0)
			continue;
		if (host_slot >= 0 && (pfd[host_slot].revents & POLLIN))
			serve_host(e);
		vctl_server_serve(&e->ctl, pfd, vctl_reader_command, &e->reader);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm-pn532 [OPTIONS]\n"
	        "       appm-pn532 ctl SOCKET COMMAND [ARGS...]\n"
	        "\n"
	        "An NXP PN532 reader on a pseudo-terminal, for libnfc's pn532_uart driver\n"
	        "(--reader libnfc:pn532_uart:PTY), with the virtual e-passport in its field.\n"
	        "Prints the terminal's path on standard output.\n"
	        "\n"
	        "  --doc DIR           document directory (made by appm-docgen doc)\n"
	        "  --link PATH         also make PATH a symbolic link to the terminal\n"
	        "  --control PATH      control socket (default: none)\n"
	        "  --absent            start with the document out of the field\n"
	        "  --type a|b          answer as an ISO 14443-4 type A (default) or B card\n"
	        "  --baud N            time the terminal as a UART at N baud, 8N1 (10 bits a\n"
	        "                      byte, both ways); a real PN532 runs at %d, the HSU's\n"
	        "                      default (PN532 user manual); 0, the default, is off;\n"
	        "                      the host must open the terminal at N (bytes at another\n"
	        "                      speed are dropped); SetSerialBaudRate changes it\n"
	        "  --verbose           log every frame to standard error\n"
	        "On the control socket only: set ats-ta BYTE (TA(1) of the type A card's ATS:\n"
	        "the bit rates it accepts in InPSL's PPS; 0x77, the default, every rate; 0x00\n"
	        "106 kbit/s only) and set pps-refuse on|off|lost (the card answers no PPS;\n"
	        "lost: it takes the rate, its answer lost), set slow-only on|off (it takes\n"
	        "a higher rate, then hears nothing at it); for hosts running ISO 14443-4\n"
	        "over InCommunicateThru: set fsc N (the card's FSCI, 0..8: FSC 16 ... 256\n"
	        "bytes; default 8), set wtx N (S(WTX) requests before each answer; default\n"
	        "0) and set chain N (at most N INF bytes per I-block of an answer, 1..253;\n"
	        "0, the default, off). A frozen card asks for time with S(WTX), forever.\n"
	        "The chip's behaviour (also \"set OPTION VALUE\" on the control socket; a\n"
	        "lost answer is reported to the host as the PN532's time-out, status 01):\n",
	        PN532_HSU_DEFAULT_BAUD);
	vctl_options_usage(f);
	fprintf(f,
	        "\n"
	        "Control commands: place [DIR], remove, set OPTION VALUE, status, quit.\n"
	        "Exit status: 0 after quit, 1 on a runtime failure, 2 on bad usage.\n");
}

/* --baud N: 0 (off) up to the PN532's fastest HSU speed. */
static const char *parse_baud(const char *arg, pn532_line *ret)
{
	char *end = NULL;
	errno = 0;
	unsigned long baud = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || (baud && !pn532_hsu_speed(baud)))
		return "expected 0 (off) or one of the PN532's speeds: 9600, 19200, 38400, 57600, 115200, 230400, "
		       "460800, 921600, 1288000";
	pn532_line_init(ret, baud);
	return NULL;
}

static void cleanup(emulator *e)
{
	if (e->link[0])
		unlink(e->link);
	vctl_server_close(&e->ctl);
	if (e->master >= 0)
		close(e->master);
	pn532_chip_free(e->chip);
	vctl_reader_free(&e->reader);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return vctl_client_main(&pn532_program, argc - 2, argv + 2);

	static emulator e;
	e.master = -1;
	e.ats_ta1 = 0x77;
	e.fsci = 8;
	vctl_reader_init(&e.reader, &pn532_program, &pn532_reader_ops, &e);
	vctl_server_init(&e.ctl);
	pn532_decoder_init(&e.dec);
	const char *doc_dir = NULL, *control = NULL, *link_path = NULL;
	bool absent = false;
	static const struct option longopts[] = {
		{ "doc", required_argument, NULL, 'd' },     { "link", required_argument, NULL, 'l' },
		{ "control", required_argument, NULL, 'c' }, { "absent", no_argument, NULL, 'a' },
		{ "type", required_argument, NULL, 't' },    { "verbose", no_argument, NULL, 'v' },
		{ "baud", required_argument, NULL, 'b' },    { "help", no_argument, NULL, 'h' },
		VCTL_LONGOPTS,
		{ 0 },
	};
	int c, index = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &index)) != -1) {
		const char *msg = NULL;
		vctl_error ve = VCTL_OK;
		switch (c) {
		case 'd': doc_dir = optarg; break;
		case 'l': link_path = optarg; break;
		case 'c': control = optarg; break;
		case 'a': absent = true; break;
		case 't': ve = set_option(&e, "type", optarg); break;
		case 'b': msg = parse_baud(optarg, &e.line); break;
		case 'v': e.verbose = true; break;
		case VCTL_GETOPT: ve = vctl_set_cmdline_option(&pn532_program, &e.reader.options, &longopts[index], optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (ve != VCTL_OK)
			msg = vctl_strerror(ve);
		if (msg) {
			fprintf(stderr, "appm-pn532: --%s: %s\n", longopts[index].name, msg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	char err[256];
	if (doc_dir && !vctl_document_load(&e.reader.document, doc_dir, err, sizeof(err))) {
		fprintf(stderr, "appm-pn532: cannot load the document in %s: %s\n", doc_dir, err);
		return 2;
	}
	int rc = 1;
	e.chip = pn532_chip_new();
	if (!e.chip) {
		fprintf(stderr, "appm-pn532: out of memory\n");
		goto out;
	}
	pn532_chip_set_ats_ta1(e.chip, e.ats_ta1);
	pn532_picc_set_fsci(pn532_chip_picc(e.chip), e.fsci);
	if (e.reader.document.doc && !absent && !place_card(&e)) {
		fprintf(stderr, "appm-pn532: cannot make the chip\n");
		goto out;
	}
	if (!open_pty(&e)) {
		fprintf(stderr, "appm-pn532: cannot open a pseudo-terminal: %s\n", strerror(errno));
		goto out;
	}
	if (link_path) {
		unlink(link_path);
		if (symlink(e.slave, link_path) != 0) {
			fprintf(stderr, "appm-pn532: cannot link %s to %s: %s\n", link_path, e.slave, strerror(errno));
			goto out;
		}
		snprintf(e.link, sizeof(e.link), "%s", link_path);
	}
	if (control) {
		if (!vctl_server_open(&e.ctl, control)) {
			fprintf(stderr, "appm-pn532: cannot open the control socket %s: %s\n", control, strerror(errno));
			goto out;
		}
	}
	printf("%s\n", e.slave);
	fflush(stdout);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = run(&e);
	if (stop_signal)
		rc = 0;
out:
	cleanup(&e);
	return rc;
}
