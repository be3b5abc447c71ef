/*
 * appm-vpass — the virtual e-passport on a virtual reader. It connects the
 * chip of devices/vpass to pcscd through the vsmartcard-vpcd reader driver
 * (vpcd's socket protocol: a 2-byte big-endian length, then either one
 * control byte — 0 power off, 1 power on, 2 reset, 4 send ATR — or a
 * command APDU, answered by a length and the response), so the PC/SC
 * driver of the kiosk is exercised exactly as with a physical reader.
 *
 * While it runs it is scripted over a control socket with text commands,
 * one per line, answered "ok ..." or "error ..." (devices/vctl parses and
 * answers them; the hooks below are what they do here):
 *   place [DIR]          put the document (or the one in DIR) on the reader;
 *                        swapping documents keeps the reader empty for a
 *                        second, so that its presence poll sees the change
 *   remove               take it away: the link to vpcd is closed
 *   set OPTION VALUE     short-only on|off, max-response N, remove-after N,
 *                        freeze-after N|off,
 *                        fail-reads N, corrupt-mac on|off, aa-wrong-key and
 *                        ca-wrong-key on|off, refuse-bac SW|off,
 *                        card-access any|mf|le|sfi, timeout-above N|off,
 *                        sfi-refuse SW|off, sfi-only FILES|all,
 *                        link-model on|off, link-rate, link-frame,
 *                        link-frame-overhead, chip-latency (devices/vctl)
 *   status               present, connected, APDU count, sessions the chip
 *                        ended, commands sent in the clear after access control
 *   quit
 * `appm-vpass ctl SOCKET COMMAND...` sends one command and prints the answer.
 * The options, the document held, the commands' parsing and answers, the
 * control socket and that client are shared with appm-pn532 (devices/vctl);
 * the vpcd link and what each command does to it are this program's own.
 *
 * A lost answer (timeout-above) is a limitation of vpcd: its protocol has
 * no way to say "the card did not answer" and keep the card. A PC/SC
 * reader with a mute card reports an error to pcscd, which SCardTransmit
 * turns into SCARD_E_NOT_TRANSACTED with the card still present; vpcd
 * instead takes an empty answer (the only "no answer" it can be sent) as
 * the card gone: it closes the connection (vicc_transmit -> vicc_eject).
 * So through vpcd a lost answer looks like the card leaving the field and
 * coming back at once (this program reconnects, the chip powered up
 * afresh): the terminal sees a removal, not a time-out. The in-process
 * transport and appm-pn532 report a real time-out.
 *
 * A frozen chip (freeze-after) answers nothing and keeps the link open,
 * as a card process that hangs does: vpcd, and pcscd's reader with it,
 * wait for the answer without a time-out. The command is held, and this
 * program goes on serving its control socket; when the options change
 * (`set freeze-after off`) the chip wakes up and answers it, late; `remove`
 * or `place` ends the wait as a removal.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/apdu.h"
#include "devices/vctl/vctl.h"
#include "devices/vpass/vpass.h"

static const vctl_program vpass_program = {
	.name = "appm-vpass",
	.peer = "the virtual passport",
	.max_response_limit = ULONG_MAX,
	.remove_after_limit = ULONG_MAX,
};

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct daemon_state {
	vctl_reader reader; /* the document, the options, the chip, quit */
	bool present;
	struct timespec insert_at; /* do not connect before this time */
	int port;
	int vpcd;       /* connection to vpcd, -1 when none */
	vctl_server ctl;
	unsigned long apdus;
	uint8_t *held;  /* the command a frozen chip has not answered */
	size_t held_len; /* 0: none */
	bool verbose;
} daemon_state;

static void log_line(const daemon_state *d, const char *what)
{
	if (d->verbose)
		fprintf(stderr, "appm-vpass: %s\n", what);
}

/* vpcd writes a frame's length and its data in two sends and leaves Nagle's
 * algorithm on, so the data waits until the length is acknowledged: ask
 * for immediate acknowledgements (Linux resets this after each read) or
 * every command costs a delayed-ACK period of about 40 ms. */
static bool read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* One write per frame: a length written apart from its data would wait
 * for the peer's delayed acknowledgement. */
static bool send_frame(int fd, const uint8_t *data, size_t len)
{
	static uint8_t frame[2 + APDU_MAX_RESPONSE];
	if (len > APDU_MAX_RESPONSE || len > 0xFFFF)
		return false;
	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	memcpy(frame + 2, data, len);
	return write_all(fd, frame, len + 2);
}

static void disconnect_vpcd(daemon_state *d)
{
	if (d->vpcd >= 0)
		close(d->vpcd);
	d->vpcd = -1;
	d->held_len = 0; /* vpcd sees the card leave: nobody waits for it */
}

static int connect_vpcd(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static bool answer_apdu(daemon_state *d, const uint8_t *cmd, size_t len);

/* One message from vpcd. False when the link should be closed. */
static bool serve_vpcd(daemon_state *d)
{
	static uint8_t cmd[APDU_MAX_COMMAND];
	uint8_t hdr[2];
	if (!read_all(d->vpcd, hdr, 2))
		return false;
	size_t len = ((size_t)hdr[0] << 8) | hdr[1];
	if (len == 0 || !read_all(d->vpcd, cmd, len))
		return false;
	if (len == 1) {
		switch (cmd[0]) {
		case 0: /* power off */
		case 1: /* power on */
		case 2: /* reset */
			vpass_card_reset(d->reader.card);
			return true;
		case 4: {
			uint8_t atr[33];
			size_t n = vpass_card_atr(d->reader.card, atr);
			return send_frame(d->vpcd, atr, n);
		}
		default:
			return true;
		}
	}
	d->apdus++;
	return answer_apdu(d, cmd, len);
}

/* Answer one command APDU from vpcd, or hold it when the chip is frozen.
 * False when the link should be closed. */
static bool answer_apdu(daemon_state *d, const uint8_t *cmd, size_t len)
{
	static uint8_t resp[APDU_MAX_RESPONSE];
	size_t n = 0;
	d->held_len = 0;
	switch (vpass_card_process(d->reader.card, cmd, len, resp, sizeof(resp), &n)) {
	case VPASS_FROZEN:
		if (!d->held && !(d->held = malloc(APDU_MAX_COMMAND)))
			return false;
		if (d->held != cmd)
			memcpy(d->held, cmd, len);
		d->held_len = len;
		log_line(d, "the chip is frozen: no answer");
		return true;
	case VPASS_REMOVED:
		log_line(d, "the document leaves the field");
		d->present = false;
		return false;
	case VPASS_TIMEOUT:
		/* vpcd ejects the card on an empty answer; we reconnect. */
		log_line(d, "answer lost (timeout-above): vpcd sees the card leave and return");
		send_frame(d->vpcd, resp, 0);
		return false;
	case VPASS_OK:
	case VPASS_ERR_ARG:
	case VPASS_ERR_NOMEM:
	case VPASS_ERR_BUFFER:
	case VPASS_ERR_IO:
	case VPASS_ERR_FORMAT:
	case VPASS_ERR_NO_ACCESS:
		break;
	}
	return send_frame(d->vpcd, resp, n);
}

/* ---- what the control commands do here (vctl_reader_ops) ---- */

static bool place_card(void *ctx)
{
	daemon_state *d = ctx;
	if (d->vpcd >= 0) {
		/* Swapping documents: stay out of the field long enough for the
		 * reader's presence poll to see the old one go. */
		disconnect_vpcd(d);
		clock_gettime(CLOCK_MONOTONIC, &d->insert_at);
		d->insert_at.tv_sec += 1;
	}
	if (!vctl_reader_make_card(&d->reader))
		return false;
	d->present = true;
	return true;
}

static void remove_card(void *ctx)
{
	daemon_state *d = ctx;
	disconnect_vpcd(d);
	d->present = false;
}

/* vctl gave the chip its new options: one no longer frozen answers the
 * command it held. */
static void options_changed(void *ctx)
{
	daemon_state *d = ctx;
	if (d->held_len && d->vpcd >= 0 && !answer_apdu(d, d->held, d->held_len))
		disconnect_vpcd(d);
}

static void status_fields(void *ctx, char *out, size_t cap)
{
	const daemon_state *d = ctx;
	snprintf(out, cap, "present=%s connected=%s apdus=%lu frozen=%s", d->present ? "yes" : "no",
	         d->vpcd >= 0 ? "yes" : "no", d->apdus, d->held_len ? "yes" : "no");
}

static const vctl_reader_ops vpass_reader_ops = {
	.place = place_card,
	.remove = remove_card,
	.options_changed = options_changed,
	.status = status_fields,
};

static int run(daemon_state *d)
{
	while (!d->reader.quit && !stop_signal) {
		struct pollfd pfd[VCTL_POLL_FDS + 1];
		int n = VCTL_POLL_FDS;
		vctl_server_pollfds(&d->ctl, pfd);
		int vpcd_slot = -1;
		if (d->vpcd >= 0) {
			vpcd_slot = n;
			pfd[n++] = (struct pollfd){ .fd = d->vpcd, .events = POLLIN };
		}
		/* Not yet connected: retry every 100 ms, as a card entering the
		 * field is found by the reader's next poll. */
		int timeout = d->present && d->vpcd < 0 ? 100 : -1;
		int r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			return 1;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		bool may_insert = now.tv_sec > d->insert_at.tv_sec ||
		                  (now.tv_sec == d->insert_at.tv_sec && now.tv_nsec >= d->insert_at.tv_nsec);
		if (d->present && d->vpcd < 0 && may_insert) {
			d->vpcd = connect_vpcd(d->port);
			if (d->vpcd >= 0) {
				vpass_card_reset(d->reader.card);
				log_line(d, "connected to vpcd");
			}
		}
		if (r <= 0)
			continue;
		if (vpcd_slot >= 0 && pfd[vpcd_slot].revents && !serve_vpcd(d))
			disconnect_vpcd(d);
		vctl_server_serve(&d->ctl, pfd, vctl_reader_command, &d->reader);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm-vpass [OPTIONS]\n"
	        "       appm-vpass ctl SOCKET COMMAND [ARGS...]\n"
	        "\n"
	        "The virtual e-passport: connects to pcscd's vpcd reader driver on\n"
	        "127.0.0.1 and answers as an ICAO 9303 chip.\n"
	        "\n"
	        "  --doc DIR           document directory (made by appm-docgen doc)\n"
	        "  --port N            vpcd port (default $APPM_VPCD_PORT or 35963)\n"
	        "  --control PATH      control socket (default: none)\n"
	        "  --absent            start with the document off the reader\n"
	        "  --verbose           log to standard error\n"
	        "The chip's behaviour (also \"set OPTION VALUE\" on the control socket):\n");
	vctl_options_usage(f);
	fprintf(f,
	        "\n"
	        "Control commands: place [DIR], remove, set OPTION VALUE, status, quit.\n"
	        "A lost answer (--timeout-above) reaches pcscd as the card leaving and\n"
	        "returning: vpcd has no way to report a time-out.\n"
	        "Exit status: 0 after quit, 1 on a runtime failure, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return vctl_client_main(&vpass_program, argc - 2, argv + 2);

	daemon_state d = { .vpcd = -1, .present = true, .port = 35963 };
	vctl_reader_init(&d.reader, &vpass_program, &vpass_reader_ops, &d);
	vctl_server_init(&d.ctl);
	const char *env_port = getenv("APPM_VPCD_PORT");
	if (env_port)
		d.port = atoi(env_port);
	const char *doc_dir = NULL, *control = NULL;
	static const struct option longopts[] = {
		{ "doc", required_argument, NULL, 'd' },     { "port", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' }, { "absent", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },       { "help", no_argument, NULL, 'h' },
		VCTL_LONGOPTS,                               { 0 },
	};
	int c, index = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &index)) != -1) {
		vctl_error e = VCTL_OK;
		switch (c) {
		case 'd': doc_dir = optarg; break;
		case 'p': d.port = atoi(optarg); break;
		case 'c': control = optarg; break;
		case 'a': d.present = false; break;
		case 'v': d.verbose = true; break;
		case VCTL_GETOPT: e = vctl_set_cmdline_option(&vpass_program, &d.reader.options, &longopts[index], optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (e != VCTL_OK) {
			fprintf(stderr, "appm-vpass: --%s: %s\n", longopts[index].name, vctl_strerror(e));
			return 2;
		}
	}
	if (d.port <= 0 || d.port > 65535) {
		fprintf(stderr, "appm-vpass: invalid port\n");
		return 2;
	}
	char err[256];
	if (doc_dir && !vctl_document_load(&d.reader.document, doc_dir, err, sizeof(err))) {
		fprintf(stderr, "appm-vpass: cannot load the document in %s: %s\n", doc_dir, err);
		return 2;
	}
	if (!d.reader.document.doc)
		d.present = false;
	if (d.reader.document.doc && !vctl_reader_make_card(&d.reader)) {
		fprintf(stderr, "appm-vpass: cannot make the chip\n");
		return 1;
	}
	if (control) {
		if (!vctl_server_open(&d.ctl, control)) {
			fprintf(stderr, "appm-vpass: cannot open the control socket %s: %s\n", control, strerror(errno));
			return 1;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int rc = run(&d);
	if (stop_signal)
		rc = 0;
	disconnect_vpcd(&d);
	vctl_server_close(&d.ctl);
	vctl_reader_free(&d.reader);
	free(d.held);
	return rc;
}
