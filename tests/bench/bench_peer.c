/*
 * appm-bench-peer — APPM's read beside a peer reader, Debian's mrtdreader
 * (package mrtdreader: a C reader on libnfc; BAC only, 100-byte reads of
 * EF.COM, EF.SOD, DG1 and DG2, no passive authentication, and secure-
 * messaging answers decrypted without checking their MAC or status).
 * Both read the same BAC document in the same run through the same
 * emulated PN532 (appm-pn532 on a pseudo-terminal, its UART timed at
 * --baud, the chip's ISO 14443 link model on), each as a user runs it:
 *
 *   appm passport read --reader libnfc:pn532_uart:PTY:BAUD --mrz MRZ --trust CSCA --json
 *   LIBNFC_DEFAULT_DEVICE=pn532_uart:PTY:BAUD mrtdreader MRZ-LINE-2
 *
 * Printed: for each, the exit code, wall time of the process (start-up,
 * libnfc's opening of the PN532, the read, and for APPM passive and active
 * authentication), the APDUs the chip answered and the bytes and modelled
 * time on the serial line (the emulator's `status`, before and after), and
 * what it verified; the ratio mrtdreader / APPM. Then a document whose DG1
 * was changed after signing (appm-docgen --tamper 1: a letter of the
 * surname) and the good document
 * from a chip whose protected answers carry a wrong MAC (corrupt-mac): the
 * exit code of each reader and what it said. Then the wall times at other
 * UART speeds, bit rates and chip latencies.
 *
 * It also checks what a user would notice, and exits 1 when one fails:
 * APPM reads and verifies the good document; mrtdreader reads it too
 * (BAC passes and it prints the chip's MRZ from DG1); APPM refuses the
 * tampered document with exit 7 (passive authentication) and the corrupt
 * MAC with exit 9 (secure messaging). What mrtdreader makes of those two
 * is reported as it is, not checked.
 *
 *   appm-bench-peer [--quick] [--baud N] [--rate KBPS] [--chip-latency US]
 * --quick: a face of about 3 KB and one row of other values, for a smoke
 * test of well under 20 s. The others set the main rows' UART speed
 * (115200, the PN532's HSU default), the link model's link-rate option
 * (106: both readers select the target at 106 kbit/s) and the chip's
 * latency per command (the model's 10 ms). An emulator that models InPSL
 * (it knows "set ats-ta") charges instead the rate each reader negotiates:
 * the chip's ATS then offers every rate, or 106 alone in one row of the
 * table, and each read's rate is taken from its `status` (bit_rate=).
 *
 * Needs APPM, APPM_PN532 and APPM_DOCGEN (the programs' paths; meson sets
 * them), and mrtdreader on PATH or in MRTDREADER.
 */
#define _GNU_SOURCE /* memmem */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PERSONA "lestari"
/* How long one reader may take before it is stopped (mrtdreader waits for
 * a target for ever). */
#define RUN_LIMIT_S 120

typedef struct bench {
	const char *appm, *pn532, *docgen, *mrtdreader;
	char dir[64];      /* scratch directory: documents, PKI, emulators' sockets */
	char mrz[128];     /* both MRZ lines, 88 characters */
	size_t face_bytes; /* appm-docgen --face-bytes */
} bench;

/* The timing both readers meet: the UART's speed and the link model's.
 * rate_kbps is the model's link-rate option: the rate it charges, unless
 * the emulator charges the rate a reader negotiated (InPSL), in which case
 * ats_106_only makes the chip's ATS offer 106 kbit/s alone. */
typedef struct setting {
	unsigned long baud;
	unsigned rate_kbps;
	bool ats_106_only;
	unsigned long latency_us;
} setting;

/* One appm-pn532, with its UART timed at baud. */
typedef struct emulator {
	pid_t pid;
	unsigned long baud;
	bool negotiates;    /* it knows "set ats-ta": InPSL sets the rate charged */
	char ctl[128];
	char pty[128];
} emulator;

/* The emulator's counters (its `status`). */
typedef struct line_counts {
	double apdus;
	double serial_bytes; /* both ways */
	double serial_s;     /* their modelled time */
	double bit_rate;     /* the last target's rate (bit_rate=), 0 when not said */
} line_counts;

/* What one run of a reader gave. */
typedef struct run {
	int code;
	double wall;
	unsigned rate_kbps; /* the radio's rate it was charged at */
	line_counts used;
	char said[256];     /* its verdict, in its words or ours */
	char verified[160]; /* what it checked */
	bool read_ok;       /* it read and verified (APPM) or printed the chip's MRZ (mrtdreader) */
} run;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the emulator ---- */

static bool emulator_start(const bench *b, unsigned long baud, emulator *ret)
{
	emulator e = { .pid = -1, .baud = baud };
	snprintf(e.ctl, sizeof e.ctl, "%s/pn532-%lu.sock", b->dir, baud);
	snprintf(e.pty, sizeof e.pty, "%s/tty-%lu", b->dir, baud);
	char log[128], baud_text[24], doc[128];
	snprintf(log, sizeof log, "%s/pn532-%lu.log", b->dir, baud);
	snprintf(baud_text, sizeof baud_text, "%lu", baud);
	snprintf(doc, sizeof doc, "%s/bac", b->dir);
	fflush(stdout); /* the child's freopen would write what is buffered */
	e.pid = fork();
	if (e.pid < 0)
		return false;
	if (e.pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr))
			_exit(127);
		execl(b->pn532, b->pn532, "--doc", doc, "--control", e.ctl, "--link", e.pty, "--baud", baud_text,
		      "--link-model", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && (access(e.ctl, F_OK) != 0 || access(e.pty, F_OK) != 0); i++)
		usleep(50000);
	if (access(e.ctl, F_OK) != 0 || access(e.pty, F_OK) != 0) {
		fprintf(stderr, "appm-bench-peer: appm-pn532 --baud %lu did not start; its log:\n", baud);
		it_sh("cat %s >&2", log);
		kill(e.pid, SIGTERM);
		waitpid(e.pid, NULL, 0);
		return false;
	}
	e.negotiates = it_sh("%s ctl %s set ats-ta 0x77 >/dev/null 2>&1", b->pn532, e.ctl) == 0;
	*ret = e;
	return true;
}

static void emulator_stop(emulator *e)
{
	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	waitpid(e->pid, NULL, 0);
	e->pid = -1;
}

/* One control command, built from fmt; false when it was refused. */
__attribute__((format(printf, 3, 4))) static bool emulator_ctl(const bench *b, const emulator *e, const char *fmt,
                                                               ...)
{
	char cmd[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (it_sh("%s ctl %s %s >/dev/null", b->pn532, e->ctl, cmd) == 0)
		return true;
	fprintf(stderr, "appm-bench-peer: appm-pn532 refused \"%s\"\n", cmd);
	return false;
}

/* The number after " key=" in a status line. */
static bool status_number(const char *status, const char *key, double *ret)
{
	char pattern[48];
	snprintf(pattern, sizeof pattern, " %s=", key);
	const char *p = strstr(status, pattern);
	if (!p)
		return false;
	p += strlen(pattern);
	char *end = NULL;
	double v = strtod(p, &end);
	if (end == p)
		return false;
	*ret = v;
	return true;
}

static bool emulator_counts(const bench *b, const emulator *e, line_counts *ret)
{
	char *status = it_capture("%s ctl %s status", b->pn532, e->ctl);
	double out = 0, in = 0;
	line_counts c = { 0 };
	bool ok = status_number(status, "apdus", &c.apdus) && status_number(status, "serial_out", &out) &&
	          status_number(status, "serial_in", &in) && status_number(status, "serial_seconds", &c.serial_s);
	if (ok) {
		if (!status_number(status, "bit_rate", &c.bit_rate))
			c.bit_rate = 0;
		c.serial_bytes = out + in;
		*ret = c;
	} else {
		fprintf(stderr, "appm-bench-peer: appm-pn532's status has no serial counters: %s\n", status);
	}
	free(status);
	return ok;
}

/* The chip's timing and faults for the next run, and the document doc
 * (a directory name under b->dir) placed fresh in the field. */
static bool emulator_prepare(const bench *b, const emulator *e, const setting *s, bool corrupt_mac, const char *doc)
{
	if (e->negotiates && !emulator_ctl(b, e, "set ats-ta %s", s->ats_106_only ? "0x00" : "0x77"))
		return false;
	return emulator_ctl(b, e, "set link-model on") && emulator_ctl(b, e, "set link-rate %u", s->rate_kbps) &&
	       emulator_ctl(b, e, "set chip-latency %lu", s->latency_us) &&
	       emulator_ctl(b, e, "set corrupt-mac %s", corrupt_mac ? "on" : "off") &&
	       emulator_ctl(b, e, "place %s/%s", b->dir, doc);
}

/* ---- the two readers ---- */

/* The first line of text, without a leading "appm: ", into out. */
static void first_line(const char *text, char *out, size_t cap)
{
	if (strncmp(text, "appm: ", 6) == 0)
		text += 6;
	if (!*text)
		snprintf(out, cap, "(nothing printed)");
	else
		snprintf(out, cap, "%.*s", (int)strcspn(text, "\n"), text);
}

/* What APPM's JSON report says it checked. */
static void appm_verified(json_t *report, int code, char *out, size_t cap)
{
	const char *access = it_jstr(report, "protocols.access_control.protocol");
	const char *access_result = it_jstr(report, "protocols.access_control.result");
	json_t *pa = it_jget(report, "passive_authentication.passed");
	const char *aa = it_jstr(report, "protocols.active_authentication.result");
	bool opened = access_result && strcmp(access_result, "passed") == 0;
	snprintf(out, cap, "%s %s; SM MACs %s; PA %s; AA %s", access ? access : "access control",
	         access_result ? access_result : "not reached", !opened ? "not reached" : code == 9 ? "FAILED" : "checked",
	         json_is_boolean(pa) ? (json_is_true(pa) ? "passed" : "FAILED") : "not reached",
	         aa ? aa : "not reached");
}

/* What one reader's run cost the line: the emulator's counts after less
 * before, and the rate it was charged at (link_rate when the emulator
 * does not say). */
static void charge(run *r, const line_counts *before, const line_counts *after, unsigned link_rate)
{
	r->used = (line_counts){ after->apdus - before->apdus, after->serial_bytes - before->serial_bytes,
		                 after->serial_s - before->serial_s, after->bit_rate };
	r->rate_kbps = after->bit_rate > 0 ? (unsigned)after->bit_rate : link_rate;
}

/* The rate a run was charged at: what the emulator's status says, else
 * (an emulator that charges its link-rate option) link_rate. */
static bool run_appm(const bench *b, const emulator *e, unsigned link_rate, run *ret)
{
	run r = { 0 };
	line_counts before, after;
	if (!emulator_counts(b, e, &before))
		return false;
	char *out = NULL, *err = NULL;
	double t0 = now_s();
	r.code = it_run(b->dir, &out, &err,
	                "timeout %d %s passport read --reader libnfc:pn532_uart:%s:%lu --wait 5 --mrz '%s' "
	                "--trust %s/pki/csca.pem --json",
	                RUN_LIMIT_S, b->appm, e->pty, e->baud, b->mrz, b->dir);
	r.wall = now_s() - t0;
	bool counted = emulator_counts(b, e, &after);
	json_t *report = json_loads(out, 0, NULL);
	appm_verified(report, r.code, r.verified, sizeof r.verified);
	const char *result = it_jstr(report, "result");
	r.read_ok = r.code == 0 && result && strcmp(result, "verified") == 0;
	if (r.code == 0)
		snprintf(r.said, sizeof r.said, "%s", result ? result : "(no report)");
	else
		first_line(err, r.said, sizeof r.said);
	json_decref(report);
	free(out);
	free(err);
	charge(&r, &before, &after, link_rate);
	*ret = r;
	return counted;
}

/* The whole file at path into a buffer to free(), its length in *len; NULL
 * when it cannot be read. */
static unsigned char *read_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	unsigned char *p = NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (p = malloc((size_t)st.st_size)))
		*len = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	return p;
}

/* Whether the face mrtdreader saved (in dir/image.jpg or image.jp2) is
 * found as it is in the document's DG2 file; its size in *bytes. */
static bool mrtd_face_in_dg2(const bench *b, const char *doc, size_t *bytes)
{
	char path[160];
	size_t face_len = 0, dg2_len = 0;
	snprintf(path, sizeof path, "%s/mrtd/image.jpg", b->dir);
	unsigned char *face = read_bytes(path, &face_len);
	if (!face) {
		snprintf(path, sizeof path, "%s/mrtd/image.jp2", b->dir);
		face = read_bytes(path, &face_len);
	}
	snprintf(path, sizeof path, "%s/%s/EF.DG2", b->dir, doc);
	unsigned char *dg2 = read_bytes(path, &dg2_len);
	*bytes = face ? face_len : 0;
	bool found = face && dg2 && memmem(dg2, dg2_len, face, face_len);
	free(face);
	free(dg2);
	return found;
}

/* The first MRZ line mrtdreader printed from DG1 (the 44 characters
 * before the document's second line) into line1, "" when there is none. */
static void printed_mrz_line1(const bench *b, const char *out, char line1[45])
{
	const char *line2 = strstr(out, b->mrz + 44);
	if (line2 && line2 - out >= 44)
		snprintf(line1, 45, "%.44s", line2 - 44);
	else
		line1[0] = '\0';
}

static bool run_mrtdreader(const bench *b, const emulator *e, unsigned link_rate, const char *doc, run *ret)
{
	run r = { 0 };
	line_counts before, after;
	if (!emulator_counts(b, e, &before))
		return false;
	/* It writes the face to ./image.jpg: a directory of its own, emptied. */
	it_sh("rm -rf %s/mrtd && mkdir %s/mrtd", b->dir, b->dir);
	char *out = NULL, *err = NULL;
	double t0 = now_s();
	r.code = it_run(b->dir, &out, &err,
	                "cd %s/mrtd && LIBNFC_DEFAULT_DEVICE=pn532_uart:%s:%lu LIBNFC_AUTO_SCAN=false "
	                "LIBNFC_INTRUSIVE_SCAN=false timeout %d %s '%s'",
	                b->dir, e->pty, e->baud, RUN_LIMIT_S, b->mrtdreader, b->mrz + 44);
	r.wall = now_s() - t0;
	bool counted = emulator_counts(b, e, &after);
	bool bac = strstr(out, "Challenge successful") != NULL;
	char line1[45] = "";
	printed_mrz_line1(b, out, line1);
	bool as_signed = strncmp(line1, b->mrz, 44) == 0;
	size_t face_bytes = 0;
	bool face = mrtd_face_in_dg2(b, doc, &face_bytes);
	r.read_ok = r.code == 0 && bac && as_signed;
	/* What it checks is fixed by its source (libmrtd's fileread.c and
	 * bachelper.c): only BAC's mutual authentication. */
	snprintf(r.verified, sizeof r.verified, "BAC %s; SM MACs not checked; PA none; AA none",
	         bac ? "passed" : "not passed");
	int shown = (int)strlen(line1); /* without the fillers that end it */
	while (shown > 0 && line1[shown - 1] == '<')
		shown--;
	if (!bac)
		first_line(*err ? err : out, r.said, sizeof r.said);
	else
		snprintf(r.said, sizeof r.said, "BAC passed; DG1 printed: %.*s (%s); face saved, %zu bytes, %s", shown,
		         line1, !*line1 ? "no MRZ" : as_signed ? "as signed" : "ALTERED", face_bytes,
		         face ? "the chip's" : "NOT the chip's");
	free(out);
	free(err);
	charge(&r, &before, &after, link_rate);
	*ret = r;
	return counted;
}

/* ---- the tables ---- */

static void print_pair(const run *appm, const run *mrtd)
{
	printf("%-11s %4s %6s %8s %6s %9s %9s  %s\n", "reader", "exit", "kbit/s", "wall s", "APDUs", "serial B",
	       "serial s", "verified");
	const run *rows[] = { appm, mrtd };
	const char *names[] = { "APPM", "mrtdreader" };
	for (int i = 0; i < 2; i++)
		printf("%-11s %4d %6u %8.3f %6.0f %9.0f %9.3f  %s\n", names[i], rows[i]->code, rows[i]->rate_kbps,
		       rows[i]->wall, rows[i]->used.apdus, rows[i]->used.serial_bytes, rows[i]->used.serial_s,
		       rows[i]->verified);
	printf("%-11s %4s %6s %7.2fx %5.2fx %8.2fx %8.2fx\n", "mrtd/APPM", "", "", mrtd->wall / appm->wall,
	       mrtd->used.apdus / appm->used.apdus, mrtd->used.serial_bytes / appm->used.serial_bytes,
	       mrtd->used.serial_s / appm->used.serial_s);
}

static void describe(const setting *s, const emulator *e)
{
	printf("UART %lu baud (8N1); radio: link-rate %u kbit/s", s->baud, s->rate_kbps);
	if (e->negotiates)
		printf(" until a PPS, the chip's ATS offering %s", s->ats_106_only ? "106 only" : "every rate");
	printf("; chip latency %.1f ms", (double)s->latency_us / 1e3);
}

/* Each reader once on a chip that carries the fault; the rows printed. */
static bool refusal_rows(const bench *b, const emulator *e, const setting *s, const char *label, const char *doc,
                         bool corrupt_mac, run *appm, run *mrtd)
{
	if (!emulator_prepare(b, e, s, corrupt_mac, doc) || !run_appm(b, e, s->rate_kbps, appm))
		return false;
	if (!emulator_prepare(b, e, s, corrupt_mac, doc) || !run_mrtdreader(b, e, s->rate_kbps, doc, mrtd))
		return false;
	printf("%-14s %-11s %4d  %s\n", label, "APPM", appm->code, appm->said);
	printf("%-14s %-11s %4d  %s\n", "", "mrtdreader", mrtd->code, mrtd->said);
	return true;
}

/* One row of the table at other values: both readers on the good
 * document, wall times and their ratio. */
static bool other_row(const bench *b, const setting *s, bool *checks)
{
	emulator e;
	if (!emulator_start(b, s->baud, &e))
		return false;
	run appm, mrtd;
	bool ok = emulator_prepare(b, &e, s, false, "bac") && run_appm(b, &e, s->rate_kbps, &appm) &&
	          emulator_prepare(b, &e, s, false, "bac") && run_mrtdreader(b, &e, s->rate_kbps, "bac", &mrtd);
	emulator_stop(&e);
	if (!ok)
		return false;
	printf("%7lu %5u %4s %5.1f | %6u %7.3f %7.3f | %6u %7.3f %7.3f | %5.2fx\n", s->baud, s->rate_kbps,
	       !e.negotiates ? "-" : s->ats_106_only ? "106" : "all", (double)s->latency_us / 1e3, appm.rate_kbps,
	       appm.wall, appm.used.serial_s, mrtd.rate_kbps, mrtd.wall, mrtd.used.serial_s, mrtd.wall / appm.wall);
	if (!appm.read_ok || !mrtd.read_ok) {
		printf("  FAIL: APPM exit %d (%s), mrtdreader exit %d (%s)\n", appm.code, appm.said, mrtd.code, mrtd.said);
		*checks = false;
	}
	return true;
}

/* ---- the run ---- */

static bool make_documents(bench *b)
{
	char options[160];
	snprintf(options, sizeof options, "--profile typical --no-pace --ca none --face-bytes %zu", b->face_bytes);
	char tampered[200];
	snprintf(tampered, sizeof tampered, "%s --tamper 1", options);
	if (it_make_pki(b->docgen, b->dir, "pki", NULL) != 0 ||
	    it_make_doc(b->docgen, b->dir, "pki", PERSONA, options, "bac") != 0 ||
	    it_make_doc(b->docgen, b->dir, "pki", PERSONA, tampered, "tampered") != 0) {
		fprintf(stderr, "appm-bench-peer: appm-docgen could not make the documents\n");
		return false;
	}
	it_read_mrz(b->dir, "bac", b->mrz, sizeof b->mrz);
	if (strlen(b->mrz) != 88) {
		fprintf(stderr, "appm-bench-peer: the MRZ is not two lines of 44: %s\n", b->mrz);
		return false;
	}
	return true;
}

/* The main rows, the refusals, then the other values; *checks false when
 * a reader did not do what it must. False when the run itself broke. */
static bool run_bench(const bench *b, const setting *main_setting, const setting *others, size_t n_others,
                      bool *checks)
{
	emulator e;
	if (!emulator_start(b, main_setting->baud, &e))
		return false;
	run appm, mrtd;
	bool ok = emulator_prepare(b, &e, main_setting, false, "bac") && run_appm(b, &e, main_setting->rate_kbps, &appm) &&
	          emulator_prepare(b, &e, main_setting, false, "bac") && run_mrtdreader(b, &e, main_setting->rate_kbps, "bac", &mrtd);
	if (ok) {
		printf("\nThe BAC document through the same emulated PN532, one read each: ");
		describe(main_setting, &e);
		printf("\n\n");
		print_pair(&appm, &mrtd);
		if (!appm.read_ok) {
			printf("FAIL: APPM did not read and verify the good document: exit %d, %s\n", appm.code, appm.said);
			*checks = false;
		}
		if (!mrtd.read_ok) {
			printf("FAIL: mrtdreader did not read the good document: exit %d, %s\n", mrtd.code, mrtd.said);
			*checks = false;
		}
		printf("\nmrtdreader said: %s\n", mrtd.said);
		printf("\nRefused or not, same timing (exit codes: APPM's of `appm --help`; mrtdreader's own):\n\n");
		printf("%-14s %-11s %4s  %s\n", "document", "reader", "exit", "what it said");
	}
	run t_appm, t_mrtd, c_appm, c_mrtd;
	ok = ok && refusal_rows(b, &e, main_setting, "DG1 tampered", "tampered", false, &t_appm, &t_mrtd) &&
	     refusal_rows(b, &e, main_setting, "corrupt MAC", "bac", true, &c_appm, &c_mrtd);
	emulator_stop(&e);
	if (!ok)
		return false;
	printf("(DG1 tampered: a letter of the surname changed after EF.SOD was signed. Corrupt MAC:\n"
	       "the good document, every protected answer's MAC wrong, its data right.)\n");
	if (t_appm.code != 7) {
		printf("FAIL: APPM did not refuse the tampered document for passive authentication (exit 7): exit %d\n",
		       t_appm.code);
		*checks = false;
	}
	if (c_appm.code != 9) {
		printf("FAIL: APPM did not refuse the corrupt MAC for secure messaging (exit 9): exit %d\n", c_appm.code);
		*checks = false;
	}
	printf("\nAt other values, one read each (link: the link-rate option; ATS: the rates the\n"
	       "chip offers a PPS, - when the emulator knows no PPS; kbit/s: the rate each read\n"
	       "was charged at; serial: the UART's modelled seconds; ratio: mrtdreader/APPM wall):\n\n");
	printf("%7s %5s %4s %5s | %6s %7s %7s | %6s %7s %7s | %6s\n", "UART", "link", "ATS", "chip", "APPM",
	       "wall s", "serial", "mrtd", "wall s", "serial", "ratio");
	printf("%7s %5s %4s %5s | %6s %7s %7s | %6s %7s %7s |\n", "baud", "kbit", "", "ms", "kbit/s", "", "", "kbit/s",
	       "", "");
	for (size_t i = 0; i < n_others; i++)
		if (!other_row(b, &others[i], checks))
			return false;
	return true;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: appm-bench-peer [--quick] [--baud N] [--rate KBPS] [--chip-latency US]\n"
	           "Reads a BAC document with appm and with Debian's mrtdreader through the same\n"
	           "emulated PN532 and prints both side by side; also a tampered DG1 and a\n"
	           "corrupted secure-messaging MAC. Exit 1 when APPM accepts either, or a reader\n"
	           "cannot read the good document.\n");
}

static bool parse_number(const char *arg, unsigned long *ret)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		return false;
	*ret = v;
	return true;
}

/* The command line into *quick and *ret (the main rows' timing): 0 to
 * go on, else the exit code (0 after --help, 2 for bad usage). */
static int parse_args(int argc, char **argv, bool *quick, setting *ret)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "baud", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "chip-latency", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	unsigned long rate = ret->rate_kbps;
	bool ok = true;
	while (ok && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': *quick = true; break;
		case 'b': ok = parse_number(optarg, &ret->baud); break;
		case 'r': ok = parse_number(optarg, &rate) && (rate == 106 || rate == 212 || rate == 424 || rate == 848); break;
		case 'c': ok = parse_number(optarg, &ret->latency_us); break;
		case 'h': usage(stdout); return -1;
		default: ok = false; break;
		}
	}
	if (!ok || optind != argc) {
		usage(stderr);
		return 2;
	}
	ret->rate_kbps = (unsigned)rate;
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = false;
	/* The PN532's HSU default; the rate both readers select; the link
	 * model's default chip latency. */
	setting main_setting = { .baud = 115200, .rate_kbps = 106, .latency_us = 10000 };
	int args = parse_args(argc, argv, &quick, &main_setting);
	if (args != 0)
		return args < 0 ? 0 : args;

	bench b = { .face_bytes = quick ? 3000 : 20000 };
	b.appm = getenv("APPM");
	b.pn532 = getenv("APPM_PN532");
	b.docgen = getenv("APPM_DOCGEN");
	b.mrtdreader = getenv("MRTDREADER") ? getenv("MRTDREADER") : "mrtdreader";
	if (!b.appm || !b.pn532 || !b.docgen) {
		fprintf(stderr, "appm-bench-peer: run through meson (needs APPM, APPM_PN532, APPM_DOCGEN)\n");
		return 2;
	}
	if (it_sh("command -v %s >/dev/null", b.mrtdreader) != 0) {
		fprintf(stderr, "appm-bench-peer: %s is not installed (Debian package mrtdreader)\n", b.mrtdreader);
		return 1;
	}
	snprintf(b.dir, sizeof b.dir, "/tmp/appm-bench-peer.XXXXXX");
	if (!mkdtemp(b.dir)) {
		fprintf(stderr, "appm-bench-peer: cannot make a scratch directory: %s\n", strerror(errno));
		return 1;
	}
	int rc = 1;
	if (!make_documents(&b))
		goto out;
	printf("Document: persona %s, BAC (3DES), DG1, DG2 (JPEG face of about %zu bytes), DG15 (RSA\n"
	       "active authentication), EF.SOD; a PN532 on a pseudo-terminal (appm-pn532) with its\n"
	       "UART and the ISO 14443 link timed (devices/pn532/serial.c, devices/vpass/link.h).\n"
	       "APPM reads with its defaults and verifies; mrtdreader reads EF.COM, EF.SOD,\n"
	       "DG1 and DG2 in 100-byte reads and verifies nothing past BAC.\n",
	       PERSONA, b.face_bytes);
	const setting m = main_setting;
	const setting full_others[] = {
		m,
		{ 230400, m.rate_kbps, m.ats_106_only, m.latency_us },
		{ 460800, m.rate_kbps, m.ats_106_only, m.latency_us },
		{ m.baud, 424, m.ats_106_only, m.latency_us },
		{ m.baud, m.rate_kbps, true, m.latency_us },
		{ m.baud, m.rate_kbps, m.ats_106_only, 1000 },
		{ m.baud, m.rate_kbps, m.ats_106_only, 5000 },
		{ 460800, 424, false, 1000 },
	};
	const setting quick_others[] = { { 460800, 424, false, 1000 } };
	bool checks = true;
	if (!run_bench(&b, &main_setting, quick ? quick_others : full_others,
	               quick ? sizeof quick_others / sizeof quick_others[0] : sizeof full_others / sizeof full_others[0],
	               &checks))
		goto out;
	printf("\nThe UART's speed is the emulator's --baud and both connection strings' :SPEED.\n"
	       "The radio's rate is the link model's link-rate option, or, on an emulator that\n"
	       "models InPSL, the rate the reader negotiated from 106 (mrtdreader selects at 106\n"
	       "and asks for no more).\n");
	if (checks)
		rc = 0;
	else
		printf("\nappm-bench-peer: a check failed (FAIL above)\n");
out:
	it_sh("rm -rf %s", b.dir);
	return rc;
}
