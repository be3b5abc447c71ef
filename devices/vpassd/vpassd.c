/*
 * appm-vpass — the virtual e-passport on a virtual reader. It connects the
 * chip of devices/vpass to pcscd through the vsmartcard-vpcd reader driver
 * (vpcd's socket protocol: a 2-byte big-endian length, then either one
 * control byte — 0 power off, 1 power on, 2 reset, 4 send ATR — or a
 * command APDU, answered by a length and the response), so the PC/SC
 * driver of the kiosk is exercised exactly as with a physical reader.
 *
 * While it runs it is scripted over a control socket with text commands,
 * one per line, answered "ok ..." or "error ...":
 *   place [DIR]          put the document (or the one in DIR) on the reader
 *   remove               take it away
 *   set OPTION VALUE     short-only on|off, max-response N, remove-after N,
 *                        fail-reads N, corrupt-mac on|off
 *   status               present, connected, APDU count
 *   quit
 * `appm-vpass ctl SOCKET COMMAND...` sends one command and prints the answer.
 */
#include <errno.h>
#include <getopt.h>
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto/apdu.h"
#include "devices/vpass/vpass.h"

#define MAX_CLIENTS 8

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct daemon_state {
	char doc_dir[4096];
	vpass_doc *doc;
	vpass_card *card;
	vpass_options opts;
	bool present;
	struct timespec insert_at; /* do not connect before this time */
	int port;
	int vpcd;       /* connection to vpcd, -1 when none */
	int ctl_listen; /* control socket */
	int clients[MAX_CLIENTS];
	char ctl_path[108];
	unsigned long apdus;
	bool quit;
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

static bool new_card(daemon_state *d)
{
	vpass_card_free(d->card);
	d->card = NULL;
	return vpass_card_new(d->doc, &d->opts, &d->card) == VPASS_OK;
}

/* One message from vpcd. False when the link should be closed. */
static bool serve_vpcd(daemon_state *d)
{
	static uint8_t cmd[APDU_MAX_COMMAND], resp[APDU_MAX_RESPONSE];
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
			vpass_card_reset(d->card);
			return true;
		case 4: {
			uint8_t atr[33];
			size_t n = vpass_card_atr(d->card, atr);
			return send_frame(d->vpcd, atr, n);
		}
		default:
			return true;
		}
	}
	size_t n = 0;
	d->apdus++;
	if (vpass_card_process(d->card, cmd, len, resp, sizeof(resp), &n) == VPASS_REMOVED) {
		log_line(d, "the document leaves the field");
		d->present = false;
		return false;
	}
	return send_frame(d->vpcd, resp, n);
}

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

static bool parse_ulong(const char *v, unsigned long *ret)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-')
		return false;
	*ret = x;
	return true;
}

/* Apply "set NAME VALUE" to the options; returns an error text or NULL. */
static const char *set_option(vpass_options *o, const char *name, const char *value)
{
	unsigned long n;
	bool b;
	if (!value)
		return "missing value";
	if (strcmp(name, "short-only") == 0) {
		if (!parse_onoff(value, &b))
			return "expected on or off";
		o->short_only = b;
	} else if (strcmp(name, "corrupt-mac") == 0) {
		if (!parse_onoff(value, &b))
			return "expected on or off";
		o->corrupt_mac = b;
	} else if (strcmp(name, "max-response") == 0) {
		if (!parse_ulong(value, &n))
			return "expected a number of bytes";
		o->max_response_data = n;
	} else if (strcmp(name, "remove-after") == 0) {
		if (!parse_ulong(value, &n))
			return "expected a number of APDUs";
		o->remove_after = n;
	} else if (strcmp(name, "fail-reads") == 0) {
		if (!parse_ulong(value, &n) || n > 1000)
			return "expected a number of reads";
		o->fail_reads = (unsigned)n;
	} else {
		return "unknown option (short-only, max-response, remove-after, fail-reads, corrupt-mac)";
	}
	return NULL;
}

static bool load_doc(daemon_state *d, const char *dir, char *err, size_t errlen)
{
	vpass_doc *doc = NULL;
	if (vpass_doc_load(dir, &doc, err, errlen) != VPASS_OK)
		return false;
	vpass_doc_free(d->doc);
	d->doc = doc;
	snprintf(d->doc_dir, sizeof(d->doc_dir), "%s", dir);
	return true;
}

static void control_command(daemon_state *d, char *line, char *reply, size_t cap)
{
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r\n", &save);
	char *a1 = strtok_r(NULL, " \t\r\n", &save);
	char *a2 = strtok_r(NULL, " \t\r\n", &save);
	char err[256] = "";
	if (!verb) {
		snprintf(reply, cap, "error empty command\n");
	} else if (strcmp(verb, "place") == 0) {
		if (a1 && !load_doc(d, a1, err, sizeof(err))) {
			snprintf(reply, cap, "error cannot load %s: %s\n", a1, err);
			return;
		}
		if (!d->doc) {
			snprintf(reply, cap, "error no document loaded; use: place DIR\n");
			return;
		}
		if (d->vpcd >= 0) {
			/* Swapping documents: stay out of the field long enough for
			 * the reader's presence poll to see the old one go. */
			disconnect_vpcd(d);
			clock_gettime(CLOCK_MONOTONIC, &d->insert_at);
			d->insert_at.tv_sec += 1;
		}
		if (!new_card(d)) {
			snprintf(reply, cap, "error cannot make the chip\n");
			return;
		}
		d->present = true;
		snprintf(reply, cap, "ok placed %s\n", d->doc_dir);
	} else if (strcmp(verb, "remove") == 0) {
		disconnect_vpcd(d);
		d->present = false;
		snprintf(reply, cap, "ok removed\n");
	} else if (strcmp(verb, "set") == 0 && a1) {
		const char *e = set_option(&d->opts, a1, a2);
		if (e) {
			snprintf(reply, cap, "error %s: %s\n", a1, e);
			return;
		}
		if (d->card)
			vpass_card_set_options(d->card, &d->opts);
		snprintf(reply, cap, "ok %s %s\n", a1, a2);
	} else if (strcmp(verb, "status") == 0) {
		snprintf(reply, cap, "ok present=%s connected=%s apdus=%lu document=%s\n", d->present ? "yes" : "no",
		         d->vpcd >= 0 ? "yes" : "no", d->apdus, d->doc ? d->doc_dir : "none");
	} else if (strcmp(verb, "quit") == 0) {
		d->quit = true;
		snprintf(reply, cap, "ok bye\n");
	} else {
		snprintf(reply, cap, "error unknown command %s (place, remove, set, status, quit)\n", verb);
	}
}

static int open_control(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
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

static void serve_client(daemon_state *d, int i)
{
	char line[1024];
	ssize_t n = read(d->clients[i], line, sizeof(line) - 1);
	if (n <= 0) {
		close(d->clients[i]);
		d->clients[i] = -1;
		return;
	}
	line[n] = '\0';
	/* One command per read; clients send a line and wait for the answer. */
	char reply[4400];
	control_command(d, line, reply, sizeof(reply));
	write_all(d->clients[i], reply, strlen(reply));
}

static int run(daemon_state *d)
{
	while (!d->quit && !stop_signal) {
		struct pollfd pfd[2 + MAX_CLIENTS];
		int n = 0;
		pfd[n++] = (struct pollfd){ .fd = d->ctl_listen, .events = POLLIN };
		int vpcd_slot = -1;
		if (d->vpcd >= 0) {
			vpcd_slot = n;
			pfd[n++] = (struct pollfd){ .fd = d->vpcd, .events = POLLIN };
		}
		int first_client = n;
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = d->clients[i], .events = POLLIN };
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
				vpass_card_reset(d->card);
				log_line(d, "connected to vpcd");
			}
		}
		if (r <= 0)
			continue;
		if (vpcd_slot >= 0 && pfd[vpcd_slot].revents && !serve_vpcd(d))
			disconnect_vpcd(d);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (d->clients[i] >= 0 && pfd[first_client + i].revents)
				serve_client(d, i);
		if (pfd[0].revents & POLLIN) {
			int c = accept(d->ctl_listen, NULL, NULL);
			int slot = -1;
			for (int i = 0; i < MAX_CLIENTS && c >= 0; i++)
				if (d->clients[i] < 0) {
					slot = i;
					break;
				}
			if (slot >= 0)
				d->clients[slot] = c;
			else if (c >= 0)
				close(c);
		}
	}
	return 0;
}

static int ctl_main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: appm-vpass ctl SOCKET COMMAND [ARGS...]\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[0]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "appm-vpass ctl: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[0]);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "appm-vpass ctl: cannot reach the virtual passport at %s: %s\n", argv[0],
		        strerror(errno));
		return 2;
	}
	char line[1024] = "";
	for (int i = 1; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 >= sizeof(line))
			break;
		strcat(line, argv[i]);
		strcat(line, i + 1 < argc ? " " : "\n");
	}
	write_all(fd, line, strlen(line));
	char reply[4400];
	ssize_t n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "appm-vpass ctl: no answer\n");
		return 2;
	}
	reply[n] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
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
	        "  --short-only        refuse extended-length APDUs\n"
	        "  --max-response N    largest READ BINARY answer the chip gives\n"
	        "  --remove-after N    leave the field after N APDUs\n"
	        "  --fail-reads N      answer the next N reads with 6F00\n"
	        "  --corrupt-mac       answer with a wrong MAC\n"
	        "  --verbose           log to standard error\n"
	        "\n"
	        "Control commands: place [DIR], remove, set OPTION VALUE, status, quit.\n"
	        "Exit status: 0 after quit, 1 on a runtime failure, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 2, argv + 2);

	daemon_state d = { .vpcd = -1, .ctl_listen = -1, .present = true, .port = 35963 };
	for (int i = 0; i < MAX_CLIENTS; i++)
		d.clients[i] = -1;
	const char *env_port = getenv("APPM_VPCD_PORT");
	if (env_port)
		d.port = atoi(env_port);
	const char *doc_dir = NULL, *control = NULL;
	static const struct option longopts[] = {
		{ "doc", required_argument, NULL, 'd' },       { "port", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },   { "absent", no_argument, NULL, 'a' },
		{ "short-only", no_argument, NULL, 's' },      { "max-response", required_argument, NULL, 'm' },
		{ "remove-after", required_argument, NULL, 'r' }, { "fail-reads", required_argument, NULL, 'f' },
		{ "corrupt-mac", no_argument, NULL, 'x' },     { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },            { 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *e = NULL;
		switch (c) {
		case 'd': doc_dir = optarg; break;
		case 'p': d.port = atoi(optarg); break;
		case 'c': control = optarg; break;
		case 'a': d.present = false; break;
		case 's': e = set_option(&d.opts, "short-only", "on"); break;
		case 'm': e = set_option(&d.opts, "max-response", optarg); break;
		case 'r': e = set_option(&d.opts, "remove-after", optarg); break;
		case 'f': e = set_option(&d.opts, "fail-reads", optarg); break;
		case 'x': e = set_option(&d.opts, "corrupt-mac", "on"); break;
		case 'v': d.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (e) {
			fprintf(stderr, "appm-vpass: %s\n", e);
			return 2;
		}
	}
	if (d.port <= 0 || d.port > 65535) {
		fprintf(stderr, "appm-vpass: invalid port\n");
		return 2;
	}
	char err[256];
	if (doc_dir && !load_doc(&d, doc_dir, err, sizeof(err))) {
		fprintf(stderr, "appm-vpass: cannot load the document in %s: %s\n", doc_dir, err);
		return 2;
	}
	if (!d.doc)
		d.present = false;
	if (d.doc && !new_card(&d)) {
		fprintf(stderr, "appm-vpass: cannot make the chip\n");
		return 1;
	}
	if (control) {
		d.ctl_listen = open_control(control);
		if (d.ctl_listen < 0) {
			fprintf(stderr, "appm-vpass: cannot open the control socket %s: %s\n", control, strerror(errno));
			return 1;
		}
		snprintf(d.ctl_path, sizeof(d.ctl_path), "%s", control);
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int rc = run(&d);
	if (stop_signal)
		rc = 0;
	disconnect_vpcd(&d);
	if (d.ctl_listen >= 0) {
		close(d.ctl_listen);
		unlink(d.ctl_path);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (d.clients[i] >= 0)
			close(d.clients[i]);
	vpass_card_free(d.card);
	vpass_doc_free(d.doc);
	return rc;
}
