/*
 * vctl — the control socket shared by appm-vpass and appm-pn532: fault
 * options parsed from text, the document a reader holds, the commands
 * (parsed and answered here, acted on through the program's hooks), a
 * unix-socket server answering one command line per read through a
 * handler, and the one-shot `ctl` client. See vctl.h.
 */
#include "devices/vctl/vctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Both ends size their buffers alike: a command line, and an answer long
 * enough for a status with a 4096-byte document path. */
#define LINE_MAX_BYTES 1024
#define REPLY_MAX_BYTES 4400

const char *vctl_strerror(vctl_error e)
{
	switch (e) {
	case VCTL_OK: return "ok";
	case VCTL_MISSING_VALUE: return "missing value";
	case VCTL_EXPECTED_ON_OFF: return "expected on or off";
	case VCTL_EXPECTED_BYTES: return "expected a number of bytes";
	case VCTL_EXPECTED_APDUS: return "expected a number of APDUs";
	case VCTL_EXPECTED_READS: return "expected a number of reads";
	case VCTL_UNKNOWN_OPTION:
		return "unknown option (short-only, max-response, remove-after, freeze-after, fail-reads, corrupt-mac, "
		       "aa-wrong-key, ca-wrong-key, cam-attack, refuse-bac, card-access, timeout-above, drop-sm, "
		       "drop-sm-at, plain-errors, plain-after-drop, sfi-refuse, sfi-only, link-model, link-rate, "
		       "link-frame, link-frame-overhead, chip-latency)";
	case VCTL_EXPECTED_STATUS:
		return "expected an error status word in hex, 6XXX but not 61XX or 6CXX (e.g. 6A88 or 6982), or off";
	case VCTL_EXPECTED_VARIANT: return "expected any, mf, le or sfi";
	case VCTL_EXPECTED_CAM_ATTACK: return "expected off, infinity or empty-ca";
	case VCTL_EXPECTED_BIT_RATE: return "expected 106, 212, 424 or 848 (kbit/s)";
	case VCTL_EXPECTED_FRAME_SIZE: return "expected a frame size of 16 to 4096 bytes";
	case VCTL_EXPECTED_MICROSECONDS: return "expected a time in microseconds (0 to 10000000)";
	case VCTL_EXPECTED_CARD_TYPE: return "expected a or b";
	case VCTL_EXPECTED_FILE_LIST:
		return "expected all, or files separated by commas: com, sod, card-access, dg1 ... dg16";
	case VCTL_EXPECTED_TA1: return "expected TA(1) as one byte, e.g. 0x77 (every rate) or 0x00 (106 kbit/s only)";
	case VCTL_EXPECTED_FSCI:
		return "expected an FSCI of 0 to 8 (FSC 16, 24, 32, 40, 48, 64, 96, 128 or 256 bytes)";
	case VCTL_EXPECTED_WTX_COUNT: return "expected a number of S(WTX) requests, 0 to 1000";
	case VCTL_EXPECTED_CHAIN: return "expected 0 (off) or a number of INF bytes per I-block, 1 to 253";
	}
	return "unknown error";
}

/* ---- fault options ---- */

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

/* A refusal status word in hex: SW1 6x other than 61 (more data
 * available) and 6C (wrong Le, retry), which a reader takes as "go on"
 * rather than a refusal; "off" or "0" for none. */
static bool parse_status(const char *v, uint16_t *ret)
{
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		*ret = 0;
		return true;
	}
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 16);
	if (errno || end == v || *end || strlen(v) != 4 || (x >> 12) != 6 || (x >> 8) == 0x61 || (x >> 8) == 0x6C)
		return false;
	*ret = (uint16_t)x;
	return true;
}

/* A value from a fixed list of names. */
typedef struct named_value {
	const char *name;
	int value;
} named_value;

static bool parse_name(const char *v, const named_value *names, size_t n, int *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i].name) == 0) {
			*ret = names[i].value;
			return true;
		}
	return false;
}

static const named_value card_access_names[] = {
	{ "any", VPASS_CA_SELECT_ANY },
	{ "mf", VPASS_CA_SELECT_FID_MF },
	{ "le", VPASS_CA_SELECT_WITH_LE },
	{ "sfi", VPASS_CA_SELECT_SFI },
};

static const named_value cam_attack_names[] = {
	{ "off", VPASS_CAM_HONEST },
	{ "infinity", VPASS_CAM_INFINITY },
	{ "empty-ca", VPASS_CAM_EMPTY_CA },
};

/* A list of files by name, comma-separated ("com,sod,dg1,dg14"), as a
 * mask of their short identifiers (VPASS_SFI_BIT); "all" for every file
 * (0). */
static bool parse_sfi_list(const char *v, uint32_t *ret)
{
	if (strcmp(v, "all") == 0) {
		*ret = 0;
		return true;
	}
	uint32_t mask = 0;
	const char *p = v;
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned long dg = 0;
		char word[16];
		if (n == 0 || n >= sizeof word)
			return false;
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcmp(word, "com") == 0)
			mask |= VPASS_SFI_BIT(VPASS_FID_COM & 0x1F);
		else if (strcmp(word, "sod") == 0)
			mask |= VPASS_SFI_BIT(VPASS_FID_SOD & 0x1F);
		else if (strcmp(word, "card-access") == 0)
			mask |= VPASS_SFI_BIT(VPASS_FID_CARD_ACCESS & 0x1F);
		else if (strncmp(word, "dg", 2) == 0 && parse_count(word + 2, 16, &dg) && dg >= 1)
			mask |= VPASS_SFI_BIT(dg);
		else
			return false;
		if (!p[n])
			break;
		p += n + 1;
	}
	*ret = mask;
	return true;
}

/* The link model's parameters start from its defaults, enabled or not. */
static void link_defaults_once(vpass_link *l)
{
	if (l->bit_rate_kbps)
		return;
	bool enabled = l->enabled;
	vpass_link_default(l);
	l->enabled = enabled;
}

/* The link options; VCTL_UNKNOWN_OPTION for any other name. */
static vctl_error set_link_option(vpass_link *l, const char *name, const char *value)
{
	unsigned long n;
	bool b;
	vpass_link next = *l;
	link_defaults_once(&next);
	if (strcmp(name, "link-model") == 0) {
		if (!parse_onoff(value, &b))
			return VCTL_EXPECTED_ON_OFF;
		next.enabled = b;
	} else if (strcmp(name, "link-rate") == 0) {
		if (!parse_count(value, 848, &n) || (n != 106 && n != 212 && n != 424 && n != 848))
			return VCTL_EXPECTED_BIT_RATE;
		next.bit_rate_kbps = (unsigned)n;
	} else if (strcmp(name, "link-frame") == 0) {
		if (!parse_count(value, 4096, &n) || n < 16)
			return VCTL_EXPECTED_FRAME_SIZE;
		next.frame_size = n;
	} else if (strcmp(name, "link-frame-overhead") == 0 || strcmp(name, "chip-latency") == 0) {
		if (!parse_count(value, 10000000, &n))
			return VCTL_EXPECTED_MICROSECONDS;
		if (name[0] == 'l')
			next.frame_overhead_us = (double)n;
		else
			next.chip_latency_us = (double)n;
	} else {
		return VCTL_UNKNOWN_OPTION;
	}
	*l = next;
	return VCTL_OK;
}

vctl_error vctl_set_option(const vctl_program *p, vpass_options *o, const char *name, const char *value)
{
	unsigned long n;
	bool b;
	if (!value)
		return VCTL_MISSING_VALUE;
	if (strcmp(name, "short-only") == 0) {
		if (!parse_onoff(value, &b))
			return VCTL_EXPECTED_ON_OFF;
		o->short_only = b;
	} else if (strcmp(name, "corrupt-mac") == 0) {
		if (!parse_onoff(value, &b))
			return VCTL_EXPECTED_ON_OFF;
		o->corrupt_mac = b;
	} else if (strcmp(name, "max-response") == 0) {
		if (!parse_count(value, p->max_response_limit, &n))
			return VCTL_EXPECTED_BYTES;
		o->max_response_data = n;
	} else if (strcmp(name, "remove-after") == 0) {
		if (!parse_count(value, p->remove_after_limit, &n))
			return VCTL_EXPECTED_APDUS;
		o->remove_after = n;
	} else if (strcmp(name, "freeze-after") == 0) {
		if (strcmp(value, "off") == 0)
			n = 0;
		else if (!parse_count(value, p->remove_after_limit, &n))
			return VCTL_EXPECTED_APDUS;
		o->freeze_after = n;
	} else if (strcmp(name, "fail-reads") == 0) {
		if (!parse_count(value, 1000, &n))
			return VCTL_EXPECTED_READS;
		o->fail_reads = (unsigned)n;
	} else if (strcmp(name, "aa-wrong-key") == 0 || strcmp(name, "ca-wrong-key") == 0) {
		if (!parse_onoff(value, &b))
			return VCTL_EXPECTED_ON_OFF;
		if (name[0] == 'a')
			o->aa_wrong_key = b;
		else
			o->ca_wrong_key = b;
	} else if (strcmp(name, "refuse-bac") == 0) {
		uint16_t sw;
		if (!parse_status(value, &sw))
			return VCTL_EXPECTED_STATUS;
		o->refuse_bac = sw;
	} else if (strcmp(name, "cam-attack") == 0) {
		int attack;
		if (!parse_name(value, cam_attack_names, sizeof cam_attack_names / sizeof cam_attack_names[0], &attack))
			return VCTL_EXPECTED_CAM_ATTACK;
		o->cam_attack = (vpass_cam_attack)attack;
	} else if (strcmp(name, "card-access") == 0) {
		int sel;
		if (!parse_name(value, card_access_names, sizeof card_access_names / sizeof card_access_names[0], &sel))
			return VCTL_EXPECTED_VARIANT;
		o->card_access_select = (vpass_card_access_select)sel;
	} else if (strcmp(name, "drop-sm") == 0) {
		uint16_t sw;
		if (!parse_status(value, &sw))
			return VCTL_EXPECTED_STATUS;
		o->drop_sm = sw;
	} else if (strcmp(name, "drop-sm-at") == 0) {
		if (!parse_count(value, 1000000, &n) || n == 0)
			return VCTL_EXPECTED_APDUS;
		o->drop_sm_at = n;
	} else if (strcmp(name, "plain-errors") == 0 || strcmp(name, "plain-after-drop") == 0) {
		if (!parse_onoff(value, &b))
			return VCTL_EXPECTED_ON_OFF;
		if (strcmp(name, "plain-errors") == 0)
			o->plain_errors = b;
		else
			o->plain_after_drop = b;
	} else if (strcmp(name, "sfi-refuse") == 0) {
		uint16_t sw;
		if (!parse_status(value, &sw))
			return VCTL_EXPECTED_STATUS;
		o->sfi_refuse = sw;
	} else if (strcmp(name, "sfi-only") == 0) {
		uint32_t mask;
		if (!parse_sfi_list(value, &mask))
			return VCTL_EXPECTED_FILE_LIST;
		o->sfi_only = mask;
	} else if (strcmp(name, "timeout-above") == 0) {
		if (strcmp(value, "off") == 0)
			n = 0;
		else if (!parse_count(value, 65536, &n))
			return VCTL_EXPECTED_BYTES;
		o->timeout_above = n;
	} else {
		return set_link_option(&o->link, name, value);
	}
	return VCTL_OK;
}

vctl_error vctl_set_cmdline_option(const vctl_program *p, vpass_options *o, const struct option *opt,
                                   const char *arg)
{
	return vctl_set_option(p, o, opt->name, opt->has_arg == no_argument ? "on" : arg);
}

void vctl_options_usage(FILE *f)
{
	fputs("  --short-only        refuse extended-length APDUs\n"
	      "  --max-response N    largest READ BINARY answer the chip gives\n"
	      "  --remove-after N    leave the field after N APDUs\n"
	      "  --freeze-after N    answer N APDUs, then none at all (a hung chip, still in\n"
	      "                      the field) until the options change or it is removed\n"
	      "  --fail-reads N      answer the next N reads with 6F00\n"
	      "  --corrupt-mac       answer with a wrong MAC\n"
	      "  --aa-wrong-key      a cloned chip: active authentication with another key\n"
	      "  --ca-wrong-key      a cloned chip: chip authentication / PACE-CAM with another key\n"
	      "  --cam-attack A      a forging chip in PACE-CAM: infinity (mapping key at infinity,\n"
	      "                      CA_IC = n) or empty-ca (no CA_IC); off\n"
	      "  --refuse-bac SW     a PACE-only chip: BAC answers SW (6A88 or 6982; any 6XXX\n"
	      "                      but 61XX and 6CXX, which are not refusals)\n"
	      "  --card-access V     EF.CardAccess only by: any (default), mf (SELECT P1 00 from\n"
	      "                      the MF), le (SELECT with Le), sfi (READ BINARY by SFI)\n"
	      "  --timeout-above N   a READ BINARY asking for more than N bytes loses its answer\n"
	      "  --drop-sm SW        end secure messaging: answer SW (6987, 6988, 6700, ...) in the\n"
	      "                      clear to the --drop-sm-at N-th protected command (default 1)\n"
	      "  --drop-sm-at N      which protected command, counted from power-up\n"
	      "  --plain-errors      answer a failing protected command's status in the clear\n"
	      "                      (6A82 to SELECT of an absent file), ending the session\n"
	      "  --plain-after-drop  a lax chip: LDS files stay readable in the clear after the\n"
	      "                      session ended (default: 6982)\n"
	      "  --sfi-refuse SW     READ BINARY naming its file by short identifier answered SW\n"
	      "                      (6A81, 6D00, 6986, ...): for every file, or those outside\n"
	      "                      --sfi-only\n"
	      "  --sfi-only LIST     only these files may be read by short identifier (com, sod,\n"
	      "                      card-access, dg1 ... dg16, separated by commas; all); the\n"
	      "                      others answer --sfi-refuse's status, or 6A82\n"
	      "  --link-model        model the ISO 14443 radio link's timing (848 kbit/s,\n"
	      "                      256-byte frames, 10 ms chip latency unless changed)\n"
	      "  --link-rate K       bit rate: 106, 212, 424 or 848 kbit/s\n"
	      "  --link-frame N      largest frame (FSC = FSD), 16..4096 bytes\n"
	      "  --link-frame-overhead US  reader turnaround per frame, microseconds\n"
	      "  --chip-latency US   chip processing per command, microseconds\n",
	      f);
}

/* ---- the document held ---- */

bool vctl_document_load(vctl_document *d, const char *dir, char *err, size_t errlen)
{
	vpass_doc *doc = NULL;
	if (vpass_doc_load(dir, &doc, err, errlen) != VPASS_OK)
		return false;
	vpass_doc_free(d->doc);
	d->doc = doc;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	return true;
}

void vctl_document_free(vctl_document *d)
{
	vpass_doc_free(d->doc);
	d->doc = NULL;
}

/* ---- the commands ---- */

void vctl_reader_init(vctl_reader *r, const vctl_program *p, const vctl_reader_ops *ops, void *ctx)
{
	*r = (vctl_reader){ .program = p, .ops = ops, .ctx = ctx };
}

void vctl_reader_free(vctl_reader *r)
{
	vpass_card_free(r->card);
	r->card = NULL;
	vctl_document_free(&r->document);
}

bool vctl_reader_make_card(vctl_reader *r)
{
	vpass_card_free(r->card);
	r->card = NULL;
	return vpass_card_new(r->document.doc, &r->options, &r->card) == VPASS_OK;
}

/* The program's own names first, then the chip's; *r->options untouched
 * on failure. */
static vctl_error reader_set_option(vctl_reader *r, const char *name, const char *value)
{
	if (!value)
		return VCTL_MISSING_VALUE;
	vctl_error e = VCTL_UNKNOWN_OPTION;
	if (r->ops->set_option)
		e = r->ops->set_option(r->ctx, name, value);
	if (e == VCTL_UNKNOWN_OPTION)
		e = vctl_set_option(r->program, &r->options, name, value);
	return e;
}

static void command_place(vctl_reader *r, const char *dir, char *reply, size_t cap)
{
	char err[256] = "";
	if (dir && !vctl_document_load(&r->document, dir, err, sizeof(err)))
		snprintf(reply, cap, "error cannot load %s: %s\n", dir, err);
	else if (!r->document.doc)
		snprintf(reply, cap, "error no document loaded; use: place DIR\n");
	else if (!r->ops->place(r->ctx))
		snprintf(reply, cap, "error cannot make the chip\n");
	else
		snprintf(reply, cap, "ok placed %s\n", r->document.dir);
}

static void command_set(vctl_reader *r, const char *name, const char *value, char *reply, size_t cap)
{
	vctl_error e = reader_set_option(r, name, value);
	if (e != VCTL_OK) {
		snprintf(reply, cap, "error %s: %s\n", name, vctl_strerror(e));
		return;
	}
	vpass_card_set_options(r->card, &r->options);
	if (r->ops->options_changed)
		r->ops->options_changed(r->ctx);
	snprintf(reply, cap, "ok %s %s\n", name, value);
}

/* Each part of the line is at most this long, the document's path aside. */
#define STATUS_FIELDS_MAX 512

static void command_status(const vctl_reader *r, char *reply, size_t cap)
{
	char own[STATUS_FIELDS_MAX] = "", after[STATUS_FIELDS_MAX] = "";
	r->ops->status(r->ctx, own, sizeof(own));
	if (r->ops->status_after_chip) {
		after[0] = ' ';
		r->ops->status_after_chip(r->ctx, after + 1, sizeof(after) - 1);
		if (!after[1])
			after[0] = '\0';
	}
	vpass_stats st = { 0 };
	vpass_card_stats(r->card, &st);
	snprintf(reply, cap, "ok %s%ssm_drops=%lu plain_after_access=%lu%s document=%s\n", own, own[0] ? " " : "",
	         st.sm_drops, st.plain_after_access, after, r->document.doc ? r->document.dir : "none");
}

/* A verb whose hook the program left out is answered as not supported. */
static bool command_supported(const vctl_reader *r, const char *verb)
{
	if (strcmp(verb, "place") == 0)
		return r->ops->place != NULL;
	if (strcmp(verb, "remove") == 0)
		return r->ops->remove != NULL;
	if (strcmp(verb, "status") == 0)
		return r->ops->status != NULL;
	return true;
}

void vctl_reader_command(void *ctx, char *line, char *reply, size_t cap)
{
	vctl_reader *r = ctx;
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r\n", &save);
	char *a1 = strtok_r(NULL, " \t\r\n", &save);
	char *a2 = strtok_r(NULL, " \t\r\n", &save);
	if (!verb) {
		snprintf(reply, cap, "error empty command\n");
	} else if (!command_supported(r, verb)) {
		snprintf(reply, cap, "error %s is not supported by %s\n", verb, r->program->name);
	} else if (strcmp(verb, "place") == 0) {
		command_place(r, a1, reply, cap);
	} else if (strcmp(verb, "remove") == 0) {
		r->ops->remove(r->ctx);
		snprintf(reply, cap, "ok removed\n");
	} else if (strcmp(verb, "set") == 0 && a1) {
		command_set(r, a1, a2, reply, cap);
	} else if (strcmp(verb, "status") == 0) {
		command_status(r, reply, cap);
	} else if (strcmp(verb, "quit") == 0) {
		r->quit = true;
		snprintf(reply, cap, "ok bye\n");
	} else {
		snprintf(reply, cap, "error unknown command %s (place, remove, set, status, quit)\n", verb);
	}
}

/* ---- the control server ---- */

/* A client that hung up must not kill the program with SIGPIPE. */
static void send_all(int fd, const char *s, size_t n)
{
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

void vctl_server_init(vctl_server *s)
{
	s->listen_fd = -1;
	for (int i = 0; i < VCTL_MAX_CLIENTS; i++)
		s->clients[i] = -1;
	s->path[0] = '\0';
}

bool vctl_server_open(vctl_server *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(s->path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
		close(fd);
		return false;
	}
	s->listen_fd = fd;
	memcpy(s->path, path, strlen(path) + 1);
	return true;
}

void vctl_server_close(vctl_server *s)
{
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
		s->listen_fd = -1;
	}
	for (int i = 0; i < VCTL_MAX_CLIENTS; i++) {
		if (s->clients[i] >= 0)
			close(s->clients[i]);
		s->clients[i] = -1;
	}
}

void vctl_server_pollfds(const vctl_server *s, struct pollfd *pfd)
{
	pfd[0] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (int i = 0; i < VCTL_MAX_CLIENTS; i++)
		pfd[1 + i] = (struct pollfd){ .fd = s->clients[i], .events = POLLIN };
}

static void serve_client(vctl_server *s, int i, vctl_handler *handler, void *ctx)
{
	char line[LINE_MAX_BYTES];
	ssize_t n = read(s->clients[i], line, sizeof(line) - 1);
	if (n <= 0) {
		close(s->clients[i]);
		s->clients[i] = -1;
		return;
	}
	line[n] = '\0';
	/* One command per read; clients send a line and wait for the answer. */
	char reply[REPLY_MAX_BYTES];
	handler(ctx, line, reply, sizeof(reply));
	send_all(s->clients[i], reply, strlen(reply));
}

static void accept_client(vctl_server *s)
{
	int c = accept(s->listen_fd, NULL, NULL);
	if (c < 0)
		return;
	for (int i = 0; i < VCTL_MAX_CLIENTS; i++)
		if (s->clients[i] < 0) {
			s->clients[i] = c;
			return;
		}
	close(c);
}

void vctl_server_serve(vctl_server *s, const struct pollfd *pfd, vctl_handler *handler, void *ctx)
{
	for (int i = 0; i < VCTL_MAX_CLIENTS; i++)
		if (s->clients[i] >= 0 && pfd[1 + i].revents)
			serve_client(s, i, handler, ctx);
	if (s->listen_fd >= 0 && (pfd[0].revents & POLLIN))
		accept_client(s);
}

/* ---- the client ---- */

/* The command line from the arguments, joined by spaces and ended by a
 * newline; false when it does not fit, line then holding the arguments
 * that did. send_what_fits keeps the stricter limit appm-vpass has always
 * used (one byte more to spare). */
static bool join_command(int argc, char **argv, char *line, size_t cap)
{
	size_t used = 0;
	line[0] = '\0';
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (used + len + 1 >= cap)
			return false;
		memcpy(line + used, argv[i], len);
		line[used + len] = i + 1 < argc ? ' ' : '\n';
		used += len + 1;
		line[used] = '\0';
	}
	return true;
}

int vctl_client_main(const vctl_program *p, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s ctl SOCKET COMMAND [ARGS...]\n", p->name);
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[0]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s ctl: socket path too long\n", p->name);
		return 2;
	}
	memcpy(sa.sun_path, argv[0], strlen(argv[0]) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "%s ctl: cannot reach %s at %s: %s\n", p->name, p->peer, argv[0], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	char line[LINE_MAX_BYTES];
	if (!join_command(argc - 1, argv + 1, line, sizeof(line))) {
		fprintf(stderr, "%s ctl: command too long\n", p->name);
		close(fd);
		return 2;
	}
	send_all(fd, line, strlen(line));
	char reply[REPLY_MAX_BYTES];
	ssize_t n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "%s ctl: no answer\n", p->name);
		return 2;
	}
	reply[n] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}
