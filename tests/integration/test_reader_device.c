/*
 * test_reader_device — the passport reader on the device core, end to
 * end, as the kiosk's daemon drives it: on a GLib main loop, through a
 * real pcscd with the virtual passport in its vpcd reader (appm-vpass), or
 * through libnfc's pn532_uart driver and the emulated PN532 on a
 * pseudo-terminal (appm-pn532). The simulators are scripted over their
 * control sockets (place, remove, set remove-after N, ...).
 *
 *   test_reader_device pcsc|nfc flow|removal|cancel|service
 *
 * flow     a watch tells "no document", then the placement with its ATR;
 *          a read gives progress events in order and a verified report; a
 *          watch tells the removal; self-test with and without a
 *          document, capabilities, status, reset
 * removal  the document leaves after each command of a read in turn
 *          (remove-after N): every read ends with the report's "removed"
 *          (the applicant's class) and a prompt, and the next read passes
 * cancel   a read cancelled after its first progress events (with a slow
 *          chip too, so that the cancel lands inside an exchange) completes
 *          cancelled, and the next read passes
 * service  (pcsc) pcscd killed under a watch, under a read, while the
 *          device is idle, and before it opens: the command fails with a
 *          status event (offline) and a fault (suspend); once pcscd is
 *          back, the device opened again (or reset) reads. pcscd started
 *          without the reader: "no device"; with it again, a reset reads
 *
 * Run through meson (suite 'integration'): pcsc inside devices/pcsc/
 * sandbox.sh, which gives APPM_VPCD_PORT and APPM_PCSCD_PID/CONF/LOG.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "harness.h"
#include "hal/passport/pp-device.h"
#include "tests/docgen/fixture.h"

static bool pcsc;                /* else nfc */
static const char *sim;          /* appm-vpass or appm-pn532 */
static char tmp[256], ctl[300], conn[400];
static pid_t sim_pid = -1;
static pa_trust *trust;
static pp_access_key small_key, typical_key;

/* ---- the simulators ---- */

__attribute__((format(printf, 1, 2))) static void ctl_cmd(const char *fmt, ...)
{
	char cmd[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (it_sh("%s ctl %s %s >/dev/null", sim, ctl, cmd) != 0)
		fail_msg("%s ctl %s failed", sim, cmd);
}

static void chip_defaults(void)
{
	for (size_t i = 0; it_chip_defaults[i]; i++)
		ctl_cmd("set %s", it_chip_defaults[i]);
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the device on the loop ---- */

typedef struct rig {
	GMainContext *ctx;
	dev *d;
	/* the command running */
	unsigned completions;
	dev_err err;
	pp_err read_err;
	bool verified;
	unsigned long apdus;
	char text[1024];         /* a self-test's report */
	unsigned cancel_at;      /* cancel at this progress event (0: never) */
	/* events since the command began */
	unsigned progress, media, statuses, faults, prompts;
	bool progress_in_order;
	size_t last_done, last_total;
	dev_event last_media, last_status, last_fault, last_prompt;
	int want_media;          /* -1: none; else cancel the watch at a media event with present == want */
} rig;

static rig r;

static void on_event(dev *d, const dev_event *ev, void *user)
{
	rig *g = user;
	switch (ev->kind) {
	case DEV_EVENT_PROGRESS:
		if (ev->done < g->last_done || ev->total < g->last_total)
			g->progress_in_order = false;
		g->last_done = ev->done;
		g->last_total = ev->total;
		if (++g->progress == g->cancel_at)
			dev_cancel(d);
		break;
	case DEV_EVENT_MEDIA:
		g->media++;
		g->last_media = *ev;
		if (g->want_media >= 0 && ev->present == (g->want_media == 1)) {
			g->want_media = -1;
			dev_cancel(d);
		}
		break;
	case DEV_EVENT_STATUS: g->statuses++; g->last_status = *ev; break;
	case DEV_EVENT_FAULT: g->faults++; g->last_fault = *ev; break;
	case DEV_EVENT_PROMPT: g->prompts++; g->last_prompt = *ev; break;
	}
}

static void on_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	rig *g = user;
	g->completions++;
	g->err = e;
	pp_report *rep = result;
	if (rep) {
		g->read_err = rep->err;
		g->verified = rep->err == PP_OK && rep->pa.passed;
		g->apdus = rep->doc ? rep->doc->apdus : 0;
	}
	pp_report_free(rep);
}

static void on_done_text(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	rig *g = user;
	g->completions++;
	g->err = e;
	snprintf(g->text, sizeof g->text, "%s", result ? (const char *)result : "");
	free(result);
}

/* One turn of the loop, or a short pause when nothing was due. */
static void turn(void)
{
	if (!g_main_context_iteration(r.ctx, FALSE))
		g_usleep(2000);
}

/* Before a command: forget what the last one saw. */
static void fresh(void)
{
	r.completions = 0;
	r.err = DEV_OK;
	r.read_err = PP_OK;
	r.verified = false;
	r.apdus = 0;
	r.text[0] = '\0';
	r.cancel_at = 0;
	r.progress = r.media = r.statuses = r.faults = r.prompts = 0;
	r.progress_in_order = true;
	r.last_done = r.last_total = 0;
	r.want_media = -1;
}

/* Run the loop until the command completed (limit s), then until the
 * events it posted are delivered; exactly one completion. */
static void wait_done(double limit, const char *what)
{
	double until = seconds_now() + limit;
	while (r.completions == 0 && seconds_now() < until)
		turn();
	for (int i = 0; i < 5; i++)
		while (g_main_context_iteration(r.ctx, FALSE))
			;
	if (r.completions != 1)
		fail_msg("%s: %u completions after %.0f s", what, r.completions, limit);
}

static void open_device(void)
{
	r.ctx = r.ctx ? r.ctx : g_main_context_new();
	r.d = NULL;
	assert_int_equal(dev_open(pp_device_drivers, conn, r.ctx, on_event, &r, &r.d), DEV_OK);
}

static void close_device(void)
{
	dev_free(r.d);
	r.d = NULL;
}

/* A watch until the reader has (or has not) a document: the watch's first
 * event says how it is, later ones each change. The event's text. */
static const char *wait_media(bool present, double limit)
{
	fresh();
	r.want_media = present;
	assert_int_equal(pp_device_watch(r.d, "flow", on_done_text, &r), DEV_OK);
	wait_done(limit, present ? "waiting for the document" : "waiting for the reader to be empty");
	if (r.err != DEV_ERR_CANCELLED || r.want_media != -1)
		fail_msg("the watch ended %s before the document %s", dev_strerror(r.err), present ? "came" : "left");
	return r.last_media.text;
}

/* Put the document in DIR on the reader, a fresh chip, and wait until the
 * reader has seen it (first that it left, when it was there). */
static void place(const char *doc)
{
	ctl_cmd("remove");
	wait_media(false, 10);
	chip_defaults();
	ctl_cmd("place %s/%s", tmp, doc);
	wait_media(true, 10);
}

/* Until a running watch told how the reader is (its first event). */
static void wait_first_media(void)
{
	double until = seconds_now() + 10;
	while (r.media < 1 && r.completions == 0 && seconds_now() < until)
		turn();
	if (r.media != 1)
		fail_msg("the watch told %u events (completed: %u, %s)", r.media, r.completions, dev_strerror(r.err));
}

static void read_doc(const pp_access_key *key, double limit)
{
	fresh();
	assert_int_equal(pp_device_read(r.d, "flow", key, trust, on_done, &r), DEV_OK);
	wait_done(limit, "the read");
}

static void expect_verified(const char *when)
{
	if (r.err != DEV_OK || !r.verified)
		fail_msg("%s: the read ended %s: %s", when, dev_strerror(r.err), pp_strerror(r.read_err));
}

static void self_test(void)
{
	fresh();
	assert_int_equal(dev_self_test(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(20, "the self-test");
}

static void expect_text(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("no \"%s\" in:\n%s", want, text);
}

/* ---- set-up ---- */

static int setup(void **state)
{
	(void)state;
	const char *docgen = getenv("APPM_DOCGEN");
	sim = getenv(pcsc ? "APPM_VPASS" : "APPM_PN532");
	if (!docgen || !sim || (pcsc && !getenv("APPM_VPCD_PORT"))) {
		fprintf(stderr, "run through meson test (needs APPM_DOCGEN, %s)\n",
		        pcsc ? "APPM_VPASS and the pcsc sandbox" : "APPM_PN532");
		return -1;
	}
	snprintf(tmp, sizeof tmp, "/tmp/appm-dev.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	/* A small document (few commands: the removal sweep) and the
	 * benchmark's typical one (PACE, chip authentication, a 20 KB face). */
	int rc = it_make_pki(docgen, tmp, "pki", NULL) |
	         it_make_doc(docgen, tmp, "pki", "lestari", "--profile bac --face-bytes 3000 --no-dg 11 --no-dg 12",
	                     "small") |
	         it_make_doc(docgen, tmp, "pki", "hartono", "--profile typical", "typical");
	if (rc != 0)
		return -1;
	char p[300];
	snprintf(p, sizeof p, "%s/small", tmp);
	fx_doc_access_key(p, &small_key);
	snprintf(p, sizeof p, "%s/typical", tmp);
	fx_doc_access_key(p, &typical_key);
	snprintf(p, sizeof p, "%s/pki/csca.pem", tmp);
	trust = fx_trust(p);
	snprintf(ctl, sizeof ctl, "%s/sim.sock", tmp);
	char pty[300];
	snprintf(pty, sizeof pty, "%s/ttyPN532", tmp);
	if (pcsc)
		snprintf(conn, sizeof conn, "pcsc:APPM Virtual Passport Reader");
	else
		snprintf(conn, sizeof conn, "libnfc:pn532_uart:%s", pty);
	char log[300];
	snprintf(log, sizeof log, "%s/sim.log", tmp);
	sim_pid = fork();
	if (sim_pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr))
			_exit(127);
		if (pcsc)
			execl(sim, sim, "--absent", "--control", ctl, (char *)NULL);
		else
			execl(sim, sim, "--absent", "--control", ctl, "--link", pty, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50 && (access(ctl, F_OK) != 0 || (!pcsc && access(pty, F_OK) != 0)); i++)
		usleep(100000);
	if (access(ctl, F_OK) != 0)
		return -1;
	memset(&r, 0, sizeof r);
	open_device();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close_device();
	if (r.ctx)
		g_main_context_unref(r.ctx);
	int rc = 0;
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		int st = 0;
		waitpid(sim_pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "%s ended badly (status %d); its log:\n", sim, st);
			it_sh("cat %s/sim.log >&2", tmp);
			rc = -1;
		}
	}
	pa_trust_free(trust);
	it_sh("rm -rf %s", tmp);
	return rc;
}

/* ---- flow ---- */

/* A number after " NAME=" in the emulated PN532's status line. */
static unsigned long pn532_status(const char *name)
{
	char *s = it_capture("%s ctl %s status", sim, ctl);
	char key[64];
	snprintf(key, sizeof key, " %s=", name);
	const char *k = strstr(s, key);
	assert_non_null(k);
	unsigned long v = strtoul(k + strlen(key), NULL, 10);
	free(s);
	return v;
}

static void test_flow(void **state)
{
	(void)state;
	/* An empty reader: online, what it can do, a self-test that asks for
	 * a document. */
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	assert_int_equal(st.state, DEV_STATE_ONLINE);
	char caps[1024];
	assert_int_equal(dev_capabilities(r.d, caps, sizeof caps), DEV_OK);
	print_message("capabilities:\n%s", caps);
	expect_text(caps, pcsc ? "driver: pcsc\n" : "driver: libnfc\n");
	expect_text(caps, pcsc ? "presence: wait-for-change (SCardGetStatusChange)\n"
	                       : "presence: presence checks (libnfc), every 100 ms\n");
	expect_text(caps, pcsc ? "extended length: unknown" : "extended length: yes (the reader says so)");
	expect_text(caps, "access control: BAC, PACE (MRZ or CAN)\n");
	self_test();
	assert_int_equal(r.err, DEV_OK);
	expect_text(r.text, "answers: yes (empty)\n");
	expect_text(r.text, "no document: place one to test the chip link\n");
	/* The watch: no document, then the placement with its ATR. */
	fresh();
	assert_int_equal(pp_device_watch(r.d, "flow", on_done_text, &r), DEV_OK);
	wait_first_media();
	assert_false(r.last_media.present);
	assert_string_equal(r.last_media.text, "no document");
	chip_defaults();
	ctl_cmd("place %s/typical", tmp);
	r.want_media = 1;
	wait_done(10, "the watch for the placement");
	assert_int_equal(r.err, DEV_ERR_CANCELLED);
	assert_true(r.last_media.present);
	print_message("%s\n", r.last_media.text);
	expect_text(r.last_media.text, "document placed; ATR 3B 8");
	/* The read: progress in order, then the verified report. Through
	 * libnfc the watch has seen the chip's ATS, so the read selects it
	 * once, straight at the rate it shares with the PN532 (424). */
	unsigned long selects = pcsc ? 0 : pn532_status("selects");
	double start = seconds_now();
	read_doc(&typical_key, 60);
	expect_verified("the typical document");
	if (!pcsc) {
		assert_int_equal(pn532_status("selects") - selects, 1);
		assert_int_equal(pn532_status("bit_rate"), 424);
	}
	print_message("read in %.2f s, %u progress events, %lu commands\n", seconds_now() - start, r.progress, r.apdus);
	assert_true(r.progress >= 3);
	assert_true(r.progress_in_order);
	assert_int_equal(r.last_done, r.last_total);
	assert_int_equal(r.prompts + r.faults, 0);
	/* The self-test reaches the chip. */
	self_test();
	assert_int_equal(r.err, DEV_OK);
	print_message("self-test:\n%s", r.text);
	expect_text(r.text, "answers: yes (document present)\n");
	expect_text(r.text, "ATR: 3B 8");
	expect_text(r.text, "SELECT eMRTD application (A0 00 00 02 47 10 01): 9000 (success)\n");
	/* Taken away: the watch says so. */
	fresh();
	assert_int_equal(pp_device_watch(r.d, "flow", on_done_text, &r), DEV_OK);
	wait_first_media();
	assert_true(r.last_media.present);
	expect_text(r.last_media.text, "document present; ATR 3B 8");
	ctl_cmd("remove");
	r.want_media = 0;
	wait_done(10, "the watch for the removal");
	assert_false(r.last_media.present);
	assert_string_equal(r.last_media.text, "document removed");
	/* A reset opens the reader again; it reads afterwards. */
	fresh();
	assert_int_equal(dev_reset(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(20, "the reset");
	assert_int_equal(r.err, DEV_OK);
	assert_int_equal(r.last_status.status.state, DEV_STATE_ONLINE);
	place("typical");
	read_doc(&typical_key, 60);
	expect_verified("after a reset");
}

/* ---- removal after every command ---- */

static void test_removed_at_every_command(void **state)
{
	(void)state;
	place("small");
	read_doc(&small_key, 30);
	expect_verified("the small document");
	unsigned long total = r.apdus;
	print_message("a read takes %lu commands\n", total);
	assert_true(total > 5);
	double start = seconds_now();
	for (unsigned long n = 1; n <= total; n++) {
		ctl_cmd("set remove-after %lu", n);
		read_doc(&small_key, 30);
		if (n < total) {
			if (r.err != DEV_ERR_FAILED || r.read_err != PP_ERR_REMOVED ||
			    pp_err_info_of(r.read_err).cls != PP_CLASS_USER)
				fail_msg("removed after %lu of %lu commands: %s, %s", n, total, dev_strerror(r.err),
				         pp_strerror(r.read_err));
			if (r.prompts != 1 || r.faults != 0)
				fail_msg("removed after %lu: %u prompts, %u faults", n, r.prompts, r.faults);
			assert_string_equal(r.last_prompt.text, "the document was removed while reading; place it again");
		} else {
			expect_verified("every command answered");
		}
		/* Placed again, it reads. */
		place("small");
		read_doc(&small_key, 30);
		if (r.err != DEV_OK || !r.verified)
			fail_msg("the read after a removal at %lu: %s", n, pp_strerror(r.read_err));
	}
	print_message("%lu removals, each with a read after it, in %.1f s\n", total, seconds_now() - start);
}

/* ---- cancel ---- */

static void cancel_reads(const char *how)
{
	static const unsigned at[] = { 1, 2, 3, 5 };
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		fresh();
		r.cancel_at = at[i];
		assert_int_equal(pp_device_read(r.d, "flow", &typical_key, trust, on_done, &r), DEV_OK);
		wait_done(60, "a cancelled read");
		if (r.err != DEV_ERR_CANCELLED)
			fail_msg("%s: cancelled at progress event %u: completed %s", how, at[i], dev_strerror(r.err));
		read_doc(&typical_key, 60);
		if (r.err != DEV_OK || !r.verified)
			fail_msg("%s: the read after one cancelled at progress event %u: %s", how, at[i],
			         pp_strerror(r.read_err));
	}
}

static void test_cancel_mid_read(void **state)
{
	(void)state;
	place("typical");
	cancel_reads("at full speed");
	/* A slow chip: the cancel lands inside an exchange, which a PC/SC
	 * driver can only abandon; the device opens its reader again. */
	ctl_cmd("set link-model on");
	ctl_cmd("set chip-latency 40000");
	cancel_reads("a slow chip");
	ctl_cmd("set chip-latency 10000");
	ctl_cmd("set link-model off");
}

/* ---- pcscd stopped and started again ---- */

static pid_t pcscd_pid;

static void kill_pcscd(void)
{
	assert_int_equal(kill(pcscd_pid, SIGKILL), 0);
	waitpid(pcscd_pid, NULL, 0); /* ours once started again here; the sandbox's is not */
	usleep(100000);
}

/* Start pcscd again, as test_pcsc does: with the sandbox's reader, or
 * (without_reader) with none configured. */
static void start_pcscd_with(bool without_reader)
{
	char empty[300];
	snprintf(empty, sizeof empty, "%s/no-readers", tmp);
	assert_int_equal(it_sh("mkdir -p %s", empty), 0);
	pcscd_pid = it_start_pcscd(tmp, without_reader ? empty : NULL);
}

static void start_pcscd(void)
{
	start_pcscd_with(false);
}

/* The command that met pcscd's end: failed, after a status event
 * (offline, the connection lost) and a fault (suspend: it comes back). */
static void expect_offline_events(const char *what)
{
	if (r.err != DEV_ERR_FAILED || r.statuses < 1 || r.faults != 1)
		fail_msg("%s: completed %s after %u status events and %u faults (%s)", what, dev_strerror(r.err),
		         r.statuses, r.faults, r.faults ? r.last_fault.text : "");
	assert_int_equal(r.last_status.status.state, DEV_STATE_OFFLINE);
	assert_int_equal(r.last_status.status.detail, PP_ERR_SERVICE_STOPPED);
	assert_int_equal(r.last_fault.action, DEV_ACTION_SUSPEND);
	print_message("%s: %s\n", what, r.last_fault.text);
}

static void expect_state(dev_state state, const char *words)
{
	dev_status st;
	assert_int_equal(dev_status_get(r.d, &st), DEV_OK);
	if (st.state != state || !strstr(st.text, words))
		fail_msg("status %s \"%s\", expected %s with \"%s\"", dev_state_name(st.state), st.text,
		         dev_state_name(state), words);
}

static void test_pcscd_stops(void **state)
{
	(void)state;
	pcscd_pid = (pid_t)atol(getenv("APPM_PCSCD_PID") ? getenv("APPM_PCSCD_PID") : "0");
	assert_true(pcscd_pid > 0);
	place("small");

	/* Under a watch: it ends at once. Closed and opened again once pcscd
	 * is back, the device reads. */
	fresh();
	assert_int_equal(pp_device_watch(r.d, "flow", on_done_text, &r), DEV_OK);
	wait_first_media();
	double start = seconds_now();
	kill_pcscd();
	wait_done(10, "the watch when pcscd stopped");
	expect_offline_events("under a watch");
	print_message("the watch ended %.2f s after pcscd\n", seconds_now() - start);
	expect_state(DEV_STATE_OFFLINE, "(pcscd)");
	start_pcscd();
	close_device();
	open_device();
	wait_media(true, 15);
	expect_state(DEV_STATE_ONLINE, "document present");
	read_doc(&small_key, 30);
	expect_verified("opened again after pcscd came back");

	/* While the device is idle: its PC/SC context died with that pcscd,
	 * which the next command finds (the new pcscd does not know it). */
	kill_pcscd();
	start_pcscd();
	fresh();
	assert_int_equal(pp_device_watch(r.d, "flow", on_done_text, &r), DEV_OK);
	wait_done(10, "a watch on the old context");
	expect_offline_events("idle");
	wait_media(true, 15); /* this watch opens the transport again */
	read_doc(&small_key, 30);
	expect_verified("after pcscd restarted while idle");

	/* Under a read, the chip holding a command: the read ends with the
	 * service stopped; a reset once it is back, and it reads. */
	ctl_cmd("set freeze-after 6");
	fresh();
	assert_int_equal(pp_device_read(r.d, "flow", &small_key, trust, on_done, &r), DEV_OK);
	for (int i = 0; i < 100 && it_sh("%s ctl %s status | grep -q frozen=yes", sim, ctl) != 0; i++)
		turn();
	kill_pcscd();
	wait_done(10, "the read when pcscd stopped");
	assert_int_equal(r.read_err, PP_ERR_SERVICE_STOPPED);
	expect_offline_events("under a read");
	ctl_cmd("set freeze-after off");
	start_pcscd();
	fresh();
	assert_int_equal(dev_reset(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(10, "the reset");
	assert_int_equal(r.err, DEV_OK);
	assert_int_equal(r.last_status.status.state, DEV_STATE_ONLINE);
	place("small");
	read_doc(&small_key, 30);
	expect_verified("reset after pcscd came back");

	/* Down when the device opens: it opens offline, its self-test fails;
	 * a reset once pcscd is back. */
	close_device();
	kill_pcscd();
	open_device();
	expect_state(DEV_STATE_OFFLINE, "the smart-card service (pcscd) is not running");
	self_test();
	assert_int_equal(r.err, DEV_ERR_FAILED);
	expect_text(r.text, "answers: no (the smart-card service (pcscd) is not running)\n");
	start_pcscd();
	fresh();
	assert_int_equal(dev_reset(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(10, "the reset");
	assert_int_equal(r.err, DEV_OK);
	wait_media(true, 15);
	read_doc(&small_key, 30);
	expect_verified("opened while pcscd was down, reset once it was back");

	/* The reader gone: pcscd started again without it. The status says
	 * "no device" at once (asked through a context of its own); a reset
	 * cannot find the reader (a status event, a fault for an engineer);
	 * with the reader back, a reset and a read. */
	kill_pcscd();
	start_pcscd_with(true);
	expect_state(DEV_STATE_NO_DEVICE, "the reader is not there");
	fresh();
	assert_int_equal(dev_reset(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(10, "the reset without a reader");
	assert_int_equal(r.err, DEV_ERR_FAILED);
	assert_int_equal(r.last_status.status.state, DEV_STATE_NO_DEVICE);
	assert_int_equal(r.last_status.status.detail, PP_ERR_NO_READER);
	assert_int_equal(r.last_fault.action, DEV_ACTION_MAINTENANCE);
	print_message("no reader: %s\n", r.last_fault.text);
	self_test();
	assert_int_equal(r.err, DEV_ERR_FAILED);
	expect_text(r.text, "answers: no (no passport reader found)\n");
	kill_pcscd();
	start_pcscd();
	fresh();
	assert_int_equal(dev_reset(r.d, "diag", on_done_text, &r), DEV_OK);
	wait_done(10, "the reset with the reader back");
	assert_int_equal(r.err, DEV_OK);
	wait_media(true, 15);
	read_doc(&small_key, 30);
	expect_verified("the reader back");
}

int main(int argc, char **argv)
{
	const char *part = argc == 3 ? argv[2] : "";
	pcsc = argc == 3 && strcmp(argv[1], "pcsc") == 0;
	bool nfc = argc == 3 && strcmp(argv[1], "nfc") == 0;
	const struct CMUnitTest flow[] = { cmocka_unit_test(test_flow) };
	const struct CMUnitTest removal[] = { cmocka_unit_test(test_removed_at_every_command) };
	const struct CMUnitTest cancel[] = { cmocka_unit_test(test_cancel_mid_read) };
	const struct CMUnitTest service[] = { cmocka_unit_test(test_pcscd_stops) };
	if ((pcsc || nfc) && strcmp(part, "flow") == 0)
		return cmocka_run_group_tests_name("reader device: flow", flow, setup, teardown);
	if ((pcsc || nfc) && strcmp(part, "removal") == 0)
		return cmocka_run_group_tests_name("reader device: removal", removal, setup, teardown);
	if ((pcsc || nfc) && strcmp(part, "cancel") == 0)
		return cmocka_run_group_tests_name("reader device: cancel", cancel, setup, teardown);
	if (pcsc && strcmp(part, "service") == 0)
		return cmocka_run_group_tests_name("reader device: service", service, setup, teardown);
	fprintf(stderr, "usage: test_reader_device pcsc flow|removal|cancel|service\n"
	                "       test_reader_device nfc flow|removal|cancel\n");
	return 2;
}
