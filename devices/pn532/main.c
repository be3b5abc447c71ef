/*
 * appm-pn532 — a PN532 reader on a pseudo-terminal with the virtual
 * e-passport in its field. libnfc's pn532_uart driver opens the terminal's
 * slave side as it would /dev/ttyUSB0 and speaks PN532 frames; this
 * program answers them as the chip does (devices/pn532/chip.c) and relays
 * the APDUs of InDataExchange to devices/vpass in-process.
 *
 * Scripted while it runs over a control socket, with the commands of
 * appm-vpass (one per line, answered "ok ..." or "error ..."):
 *   place [DIR]          put the document (or the one in DIR) in the field
 *   remove               take it away
 *   set OPTION VALUE     short-only on|off, max-response N, remove-after N,
 *                        fail-reads N, corrupt-mac on|off, and here also
 *                        type a|b (the ISO 14443 type the card answers as)
 *   status               present, target, APDU counts, longest APDUs
 *   quit
 * `appm-pn532 ctl SOCKET COMMAND...` sends one command and prints the answer.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "devices/pn532/pn532.h"

#define MAX_CLIENTS 8
/* How often to look whether a host has opened the terminal again. */
#define HANGUP_POLL_MS 20

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct emulator {
	char doc_dir[4096];
	vpass_doc *doc;
	vpass_card *card;
	vpass_options opts;
	pn532_card_type type;
	pn532_chip *chip;
	pn532_decoder dec;
	int master;              /* pseudo-terminal master */
	bool host_attached;      /* someone has the slave side open */
	char slave[128];
	char link[4096];
	uint8_t last_frame[PN532_FRAME_MAX_WIRE]; /* for a NACK */
	size_t last_frame_len;
	int ctl_listen;
	int clients[MAX_CLIENTS];
	char ctl_path[108];
	bool quit;
	bool verbose;
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

/* A UART with nobody listening loses what is sent: never block on it. */
static void send_host(emulator *e, const uint8_t *p, size_t n)
{
	log_hex(e, "->", p, n);
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
	} else {
		e->last_frame_len = pn532_frame_build(PN532_TFI_CHIP, resp, n, e->last_frame, sizeof(e->last_frame));
	}
	send_host(e, e->last_frame, e->last_frame_len);
}

static void serve_host(emulator *e)
{
	uint8_t in[1024];
	ssize_t r = read(e->master, in, sizeof(in));
	if (r <= 0)
		return;
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
		case PN532_FRAME_ACK:      /* abort: nothing runs in the background */
		case PN532_FRAME_BAD:      /* a real PN532 ignores a broken frame */
		case PN532_FRAME_INCOMPLETE:
			break;
		}
	}
}

/* ---- the document ---- */

static bool parse_onoff(const char *v, bool *ret)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0)
		*ret = true;
	else if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0)
		*ret = false;
	else
		return false;
	return true;
}

static bool parse_count(const char *v, unsigned long max, unsigned long *ret)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x > max)
		return false;
	*ret = x;
	return true;
}

/* "set NAME VALUE": returns an error text or NULL. */
static const char *set_option(emulator *e, const char *name, const char *value)
{
	vpass_options *o = &e->opts;
	unsigned long n;
	bool b;
	if (!value)
		return "missing value";
	if (strcmp(name, "type") == 0) {
		if (strcmp(value, "a") == 0 || strcmp(value, "A") == 0)
			e->type = PN532_CARD_A;
		else if (strcmp(value, "b") == 0 || strcmp(value, "B") == 0)
			e->type = PN532_CARD_B;
		else
			return "expected a or b";
	} else if (strcmp(name, "short-only") == 0 || strcmp(name, "corrupt-mac") == 0) {
		if (!parse_onoff(value, &b))
			return "expected on or off";
		if (name[0] == 's')
			o->short_only = b;
		else
			o->corrupt_mac = b;
	} else if (strcmp(name, "max-response") == 0) {
		if (!parse_count(value, 65536, &n))
			return "expected a number of bytes";
		o->max_response_data = n;
	} else if (strcmp(name, "remove-after") == 0) {
		if (!parse_count(value, 1000000, &n))
			return "expected a number of APDUs";
		o->remove_after = n;
	} else if (strcmp(name, "fail-reads") == 0) {
		if (!parse_count(value, 1000, &n))
			return "expected a number of reads";
		o->fail_reads = (unsigned)n;
	} else {
		return "unknown option (type, short-only, max-response, remove-after, fail-reads, corrupt-mac)";
	}
	return NULL;
}

static bool load_doc(emulator *e, const char *dir, char *err, size_t errlen)
{
	vpass_doc *doc = NULL;
	if (vpass_doc_load(dir, &doc, err, errlen) != VPASS_OK)
		return false;
	vpass_doc_free(e->doc);
	e->doc = doc;
	snprintf(e->doc_dir, sizeof(e->doc_dir), "%s", dir);
	return true;
}

/* A fresh chip with the current options, in the field. */
static bool place_card(emulator *e)
{
	pn532_chip_set_card(e->chip, NULL, e->type);
	vpass_card_free(e->card);
	e->card = NULL;
	if (vpass_card_new(e->doc, &e->opts, &e->card) != VPASS_OK)
		return false;
	pn532_chip_set_card(e->chip, e->card, e->type);
	return true;
}

/* ---- the control socket ---- */

static void control_command(emulator *e, char *line, char *reply, size_t cap)
{
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r\n", &save);
	char *a1 = strtok_r(NULL, " \t\r\n", &save);
	char *a2 = strtok_r(NULL, " \t\r\n", &save);
	char err[256] = "";
	if (!verb) {
		snprintf(reply, cap, "error empty command\n");
	} else if (strcmp(verb, "place") == 0) {
		if (a1 && !load_doc(e, a1, err, sizeof(err))) {
			snprintf(reply, cap, "error cannot load %s: %s\n", a1, err);
		} else if (!e->doc) {
			snprintf(reply, cap, "error no document loaded; use: place DIR\n");
		} else if (!place_card(e)) {
			snprintf(reply, cap, "error cannot make the chip\n");
		} else {
			snprintf(reply, cap, "ok placed %s\n", e->doc_dir);
		}
	} else if (strcmp(verb, "remove") == 0) {
		vpass_card_remove(e->card);
		snprintf(reply, cap, "ok removed\n");
	} else if (strcmp(verb, "set") == 0 && a1) {
		const char *msg = set_option(e, a1, a2);
		if (msg) {
			snprintf(reply, cap, "error %s: %s\n", a1, msg);
			return;
		}
		if (e->card)
			vpass_card_set_options(e->card, &e->opts);
		snprintf(reply, cap, "ok %s %s\n", a1, a2);
	} else if (strcmp(verb, "status") == 0) {
		pn532_stats st;
		pn532_chip_stats(e->chip, &st);
		snprintf(reply, cap,
		         "ok present=%s target=%s host=%s type=%s apdus=%lu extended=%lu max_command=%zu "
		         "max_response=%zu selects=%lu document=%s\n",
		         vpass_card_present(e->card) ? "yes" : "no", pn532_chip_target_active(e->chip) ? "yes" : "no",
		         e->host_attached ? "yes" : "no", e->type == PN532_CARD_A ? "a" : "b", st.apdus,
		         st.extended_apdus, st.max_command, st.max_response, st.selects,
		         e->doc ? e->doc_dir : "none");
	} else if (strcmp(verb, "quit") == 0) {
		e->quit = true;
		snprintf(reply, cap, "ok bye\n");
	} else {
		snprintf(reply, cap, "error unknown command %s (place, remove, set, status, quit)\n", verb);
	}
}

static int open_control(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void write_reply(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t r = send(fd, s, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

static void serve_client(emulator *e, int i)
{
	char line[1024];
	ssize_t n = read(e->clients[i], line, sizeof(line) - 1);
	if (n <= 0) {
		close(e->clients[i]);
		e->clients[i] = -1;
		return;
	}
	line[n] = '\0';
	char reply[4400];
	control_command(e, line, reply, sizeof(reply));
	write_reply(e->clients[i], reply);
}

static void accept_client(emulator *e)
{
	int c = accept(e->ctl_listen, NULL, NULL);
	if (c < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (e->clients[i] < 0) {
			e->clients[i] = c;
			return;
		}
	close(c);
}

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

static int run(emulator *e)
{
	while (!e->quit && !stop_signal) {
		check_host(e);
		struct pollfd pfd[2 + MAX_CLIENTS];
		nfds_t n = 0;
		int host_slot = -1, ctl_slot = -1;
		if (e->host_attached) {
			host_slot = (int)n;
			pfd[n++] = (struct pollfd){ .fd = e->master, .events = POLLIN };
		}
		if (e->ctl_listen >= 0) {
			ctl_slot = (int)n;
			pfd[n++] = (struct pollfd){ .fd = e->ctl_listen, .events = POLLIN };
		}
		nfds_t first_client = n;
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = e->clients[i], .events = POLLIN };
		int r = poll(pfd, n, e->host_attached ? -1 : HANGUP_POLL_MS);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r <= 0)
			continue;
		if (host_slot >= 0 && (pfd[host_slot].revents & POLLIN))
			serve_host(e);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (e->clients[i] >= 0 && pfd[first_client + (nfds_t)i].revents)
				serve_client(e, i);
		if (ctl_slot >= 0 && (pfd[ctl_slot].revents & POLLIN))
			accept_client(e);
	}
	return 0;
}

static int ctl_main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: appm-pn532 ctl SOCKET COMMAND [ARGS...]\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[0]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "appm-pn532 ctl: socket path too long\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[0], strlen(argv[0]) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "appm-pn532 ctl: cannot reach the emulated reader at %s: %s\n", argv[0],
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	char line[1024] = "";
	size_t used = 0;
	for (int i = 1; i < argc; i++) {
		int w = snprintf(line + used, sizeof(line) - used, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
		if (w < 0 || (size_t)w >= sizeof(line) - used) {
			fprintf(stderr, "appm-pn532 ctl: command too long\n");
			close(fd);
			return 2;
		}
		used += (size_t)w;
	}
	write_reply(fd, line);
	char reply[4400];
	ssize_t n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "appm-pn532 ctl: no answer\n");
		return 2;
	}
	reply[n] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
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
	        "  --short-only        the chip refuses extended-length APDUs\n"
	        "  --max-response N    largest READ BINARY answer the chip gives\n"
	        "  --remove-after N    leave the field after N APDUs\n"
	        "  --fail-reads N      answer the next N reads with 6F00\n"
	        "  --corrupt-mac       answer with a wrong MAC\n"
	        "  --verbose           log every frame to standard error\n"
	        "\n"
	        "Control commands: place [DIR], remove, set OPTION VALUE, status, quit.\n"
	        "Exit status: 0 after quit, 1 on a runtime failure, 2 on bad usage.\n");
}

static void cleanup(emulator *e)
{
	if (e->link[0])
		unlink(e->link);
	if (e->ctl_listen >= 0) {
		close(e->ctl_listen);
		unlink(e->ctl_path);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (e->clients[i] >= 0)
			close(e->clients[i]);
	if (e->master >= 0)
		close(e->master);
	pn532_chip_free(e->chip);
	vpass_card_free(e->card);
	vpass_doc_free(e->doc);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 2, argv + 2);

	static emulator e;
	e.master = -1;
	e.ctl_listen = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		e.clients[i] = -1;
	pn532_decoder_init(&e.dec);
	const char *doc_dir = NULL, *control = NULL, *link_path = NULL;
	bool absent = false;
	static const struct option longopts[] = {
		{ "doc", required_argument, NULL, 'd' },          { "link", required_argument, NULL, 'l' },
		{ "control", required_argument, NULL, 'c' },      { "absent", no_argument, NULL, 'a' },
		{ "type", required_argument, NULL, 't' },         { "short-only", no_argument, NULL, 's' },
		{ "max-response", required_argument, NULL, 'm' }, { "remove-after", required_argument, NULL, 'r' },
		{ "fail-reads", required_argument, NULL, 'f' },   { "corrupt-mac", no_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },            { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *msg = NULL;
		switch (c) {
		case 'd': doc_dir = optarg; break;
		case 'l': link_path = optarg; break;
		case 'c': control = optarg; break;
		case 'a': absent = true; break;
		case 't': msg = set_option(&e, "type", optarg); break;
		case 's': msg = set_option(&e, "short-only", "on"); break;
		case 'm': msg = set_option(&e, "max-response", optarg); break;
		case 'r': msg = set_option(&e, "remove-after", optarg); break;
		case 'f': msg = set_option(&e, "fail-reads", optarg); break;
		case 'x': msg = set_option(&e, "corrupt-mac", "on"); break;
		case 'v': e.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (msg) {
			fprintf(stderr, "appm-pn532: %s\n", msg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	char err[256];
	if (doc_dir && !load_doc(&e, doc_dir, err, sizeof(err))) {
		fprintf(stderr, "appm-pn532: cannot load the document in %s: %s\n", doc_dir, err);
		return 2;
	}
	int rc = 1;
	e.chip = pn532_chip_new();
	if (!e.chip) {
		fprintf(stderr, "appm-pn532: out of memory\n");
		goto out;
	}
	if (e.doc && !absent && !place_card(&e)) {
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
		e.ctl_listen = open_control(control);
		if (e.ctl_listen < 0) {
			fprintf(stderr, "appm-pn532: cannot open the control socket %s: %s\n", control, strerror(errno));
			goto out;
		}
		snprintf(e.ctl_path, sizeof(e.ctl_path), "%s", control);
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
