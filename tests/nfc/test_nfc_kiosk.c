/*
 * test_nfc_kiosk — the kiosk daemon and `appm diag` with the passport
 * reader on libnfc: the emulated PN532 (appm-pn532) on a pseudo-terminal,
 * reached through libnfc's real pn532_uart driver, configured as a kiosk
 * configures a PN532 board on a serial port
 * (`connection = libnfc:pn532_uart:PTY`).
 *
 * In order, on one emulator and one configuration file: diag without a
 * daemon (status, self-test, reset, each opening the reader itself); the
 * daemon started, diag through its socket (status, self-test, reset); the
 * daemon's watch seen by `diag watch` while the document is taken away and
 * placed again; the reader unplugged under the daemon (the emulator
 * stopped) and plugged in again; SIGTERM. The emulator's counters show
 * that the self-tests really went over the serial line. Tests share the
 * daemon started by the first that needs it, as tests/kiosk/test_kiosk.c
 * does for PC/SC.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char tmp[64];
static const char *appm, *pn532, *docgen;
static pid_t pn532_pid = -1, kiosk_pid = -1;
static char ctl[300], pty[300], cfg[300], sock[300], klog[300], doc[300];

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the emulated PN532 ---- */

static void ctl_cmd(const char *cmd)
{
	assert_int_equal(it_sh("%s ctl %s %s >/dev/null", pn532, ctl, cmd), 0);
}

static void place(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "place %s", doc);
	ctl_cmd(cmd);
}

/* APDUs that reached the chip so far (the emulator's status line). */
static unsigned long chip_apdus(void)
{
	char *s = it_capture("%s ctl %s status", pn532, ctl);
	const char *k = strstr(s, " apdus=");
	assert_non_null(k);
	unsigned long n = strtoul(k + 7, NULL, 10);
	free(s);
	return n;
}

/* Start the emulator, the document out of the field, and put it in: its
 * pid once the control socket and the terminal's link are there (5 s at
 * most), -1 otherwise. The paths are removed first so that a restart
 * waits for the new ones. */
static pid_t start_pn532(void)
{
	unlink(ctl);
	unlink(pty);
	char log[300];
	snprintf(log, sizeof(log), "%s/pn532.log", tmp);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		execl(pn532, pn532, "--absent", "--control", ctl, "--link", pty, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	for (double end = seconds_now() + 5; seconds_now() < end;) {
		if (access(ctl, F_OK) == 0 && access(pty, F_OK) == 0)
			return it_sh("%s ctl %s place %s >/dev/null", pn532, ctl, doc) == 0 ? pid : -1;
		usleep(50000);
	}
	return -1;
}

/* The emulator must end cleanly (under ASan: without leaks); 0 if so,
 * its log shown otherwise. */
static int stop_pn532(void)
{
	if (pn532_pid <= 0)
		return 0;
	kill(pn532_pid, SIGTERM);
	int st = 0;
	waitpid(pn532_pid, &st, 0);
	pn532_pid = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr, "appm-pn532 ended badly (status %d); its log:\n", st);
	it_sh("cat %s/pn532.log >&2", tmp);
	return -1;
}

/* ---- appm diag and the daemon's log ---- */

/* `appm diag --config CFG ARGS`: its exit code; stdout and stderr into
 * *out and *err (to free) when given. */
__attribute__((format(printf, 3, 4))) static int diag(char **out, char **err, const char *fmt, ...)
{
	char args[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return it_run(tmp, out, err, "%s diag --config %s %s", appm, cfg, args);
}

/* The reader's entry of `appm diag --json` (to json_decref); the exit
 * code in *code, stderr in *err (to free) when given. */
static json_t *diag_reader(int *code, char **err)
{
	char *out = NULL;
	*code = diag(&out, err, "--json");
	json_t *reader = it_json_at(out, "devices.0");
	free(out);
	return reader;
}

/* Whether the reader's capabilities (from diag) include the line. */
static bool has_capability(json_t *reader, const char *line)
{
	json_t *caps = it_jget(reader, "capabilities");
	for (size_t i = 0; i < json_array_size(caps); i++)
		if (strcmp(json_string_value(json_array_get(caps, i)), line) == 0)
			return true;
	return false;
}

static int log_count(const char *text)
{
	return it_count_in_file(klog, text);
}

static void wait_log_more(const char *text, int before, double seconds)
{
	it_wait_in_file(klog, text, before, seconds);
}

/* The daemon's log line of the nth (from 1) occurrence of text, to free. */
static char *log_line(const char *text, int nth)
{
	char *l = it_slurp(klog);
	const char *p = strstr(l, text);
	for (int i = 1; p && i < nth; i++)
		p = strstr(p + 1, text);
	assert_non_null(p);
	while (p > l && p[-1] != '\n')
		p--;
	size_t n = strcspn(p, "\n");
	char *line = strndup(p, n);
	free(l);
	return line;
}

/* Remove or place the document and wait for the daemon to log it. */
static void move_document(bool present)
{
	const char *logged = present ? "reader: placed" : "reader: removed";
	int before = log_count(logged);
	if (present)
		place();
	else
		ctl_cmd("remove");
	wait_log_more(logged, before, 5);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	(void)state;
	appm = getenv("APPM");
	pn532 = getenv("APPM_PN532");
	docgen = getenv("APPM_DOCGEN");
	if (!appm || !pn532 || !docgen) {
		fprintf(stderr, "run through meson test (needs APPM, APPM_PN532, APPM_DOCGEN)\n");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/appm-nfc-kiosk.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(ctl, sizeof(ctl), "%s/pn532.sock", tmp);
	snprintf(pty, sizeof(pty), "%s/ttyPN532", tmp);
	snprintf(cfg, sizeof(cfg), "%s/kiosk.ini", tmp);
	snprintf(sock, sizeof(sock), "%s/kiosk.sock", tmp);
	snprintf(klog, sizeof(klog), "%s/kiosk.log", tmp);
	snprintf(doc, sizeof(doc), "%s/good", tmp);
	if (it_make_pki(docgen, tmp, "pki", NULL) != 0 || it_make_doc(docgen, tmp, "pki", "lestari", NULL, "good") != 0)
		return -1;
	FILE *f = fopen(cfg, "w");
	if (!f)
		return -1;
	fprintf(f,
	        "; a kiosk with a PN532 on a serial line (here the emulator's terminal)\n"
	        "[kiosk]\n"
	        "store = %s/kiosk.db\n"
	        "socket = %s\n"
	        "\n"
	        "[device reader]\n"
	        "class = passport\n"
	        "connection = libnfc:pn532_uart:%s\n",
	        tmp, sock, pty);
	if (fclose(f) != 0)
		return -1;
	pn532_pid = start_pn532();
	return pn532_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (kiosk_pid > 0) {
		kill(kiosk_pid, SIGKILL);
		waitpid(kiosk_pid, NULL, 0);
		fprintf(stderr, "the kiosk's log:\n");
		it_sh("cat %s >&2", klog);
	}
	int rc = stop_pn532();
	if (!getenv("APPM_KEEP_TMP"))
		it_sh("rm -rf %s", tmp);
	else
		fprintf(stderr, "kept %s\n", tmp);
	return rc;
}

/* ---- the tests ---- */

/* Without a daemon diag opens the reader itself over libnfc: online with
 * the document present and the PN532's limits; the self-test reaches the
 * chip (its ATR, one SELECT counted by the emulator); a reset passes. */
static void test_diag_direct(void **state)
{
	(void)state;
	int code;
	char *err = NULL;
	json_t *reader = diag_reader(&code, &err);
	assert_int_equal(code, 0);
	assert_non_null(strstr(err, "the kiosk daemon is not running"));
	free(err);
	assert_string_equal(it_jstr_or_empty(reader, "driver"), "libnfc");
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_non_null(strstr(it_jstr_or_empty(reader, "status"), "document present"));
	assert_true(has_capability(reader, "driver: libnfc"));
	assert_true(has_capability(reader, "extended length: yes (the reader says so)"));
	json_decref(reader);

	unsigned long apdus = chip_apdus();
	char *out = NULL;
	assert_int_equal(diag(&out, NULL, "test reader"), 0);
	assert_non_null(strstr(out, "reader: self-test passed"));
	assert_non_null(strstr(out, "\nATR: 3B "));
	assert_non_null(strstr(out, "SELECT eMRTD application (A0 00 00 02 47 10 01): 9000"));
	free(out);
	assert_int_equal(chip_apdus() - apdus, 1);

	assert_int_equal(diag(&out, NULL, "reset reader"), 0);
	assert_non_null(strstr(out, "reader: reset passed"));
	free(out);
}

/* The daemon opens the reader over libnfc and watches it; diag asks it
 * through the socket and sees the same reader online. */
static void test_daemon_online(void **state)
{
	(void)state;
	kiosk_pid = fork();
	assert_true(kiosk_pid >= 0);
	if (kiosk_pid == 0) {
		int fd = open(klog, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		execl(appm, appm, "kiosk", "--config", cfg, (char *)NULL);
		_exit(127);
	}
	wait_log_more("appm kiosk: ready", 0, 10);
	assert_int_equal(access(sock, F_OK), 0);
	wait_log_more("reader: online", 0, 5);
	/* The watch began: it saw the document (news: nothing was known). */
	wait_log_more("reader: present: document present", 0, 5);

	int code;
	char *err = NULL;
	json_t *reader = diag_reader(&code, &err);
	assert_int_equal(code, 0);
	assert_non_null(strstr(err, "asking the kiosk daemon"));
	free(err);
	assert_string_equal(it_jstr_or_empty(reader, "driver"), "libnfc");
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_non_null(strstr(it_jstr_or_empty(reader, "status"), "document present"));
	assert_true(has_capability(reader, "extended length: yes (the reader says so)"));
	json_decref(reader);
}

/* Self-test and reset through the daemon, under the maintenance lock:
 * the watch stops for them and runs again after. */
static void test_daemon_self_test(void **state)
{
	(void)state;
	unsigned long apdus = chip_apdus();
	char *out = NULL;
	assert_int_equal(diag(&out, NULL, "test reader"), 0);
	assert_non_null(strstr(out, "reader: self-test passed"));
	assert_non_null(strstr(out, "\nATR: 3B "));
	assert_non_null(strstr(out, "SELECT eMRTD application (A0 00 00 02 47 10 01): 9000"));
	free(out);
	assert_int_equal(chip_apdus() - apdus, 1);
	wait_log_more("reader: locked: held by diag for a self-test", 0, 2);
	wait_log_more("reader: unlocked", 0, 2);

	assert_int_equal(diag(&out, NULL, "--json reset reader"), 0);
	json_t *answer = it_parse_json(out);
	free(out);
	assert_true(json_is_true(it_jget(answer, "ok")));
	assert_string_equal(it_jstr_or_empty(answer, "operation"), "reset");
	json_decref(answer);
	/* The watch runs again, and did not announce the same document again. */
	assert_int_equal(log_count("reader: present:"), 1);
	move_document(false);
	move_document(true);
}

/* A second program on the daemon's serial port (diag --direct, a read)
 * is told the reader is busy and leaves the daemon's link alone: libnfc
 * does not lock the port, the transport does (flock). Without it their
 * PN532 frames interleave and the daemon loses its reader. */
static void test_direct_beside_daemon(void **state)
{
	(void)state;
	int faults = log_count("reader: fault:"), offline = log_count("reader: offline:");
	for (int i = 0; i < 5; i++) {
		char *out = NULL;
		int rc = diag(&out, NULL, "--direct test reader");
		if (rc != 17 || !strstr(out, "busy"))
			fail_msg("diag --direct beside the daemon: exit %d, %s", rc, out);
		free(out);
	}
	assert_int_equal(log_count("reader: fault:"), faults);
	assert_int_equal(log_count("reader: offline:"), offline);
	int code;
	json_t *reader = diag_reader(&code, NULL);
	assert_int_equal(code, 0);
	json_decref(reader);
}

/* `diag --json watch` through the daemon: the document taken away and
 * placed again through the emulator, one line each, in order; meanwhile
 * diag's status follows the document (libnfc has no status of its own to
 * ask: what the watch saw last). */
static void test_daemon_watch(void **state)
{
	(void)state;
	char out[300], rcfile[320];
	snprintf(out, sizeof(out), "%s/watch.out", tmp);
	snprintf(rcfile, sizeof(rcfile), "%s.rc", out);
	int watchers = log_count("is watching events");
	assert_int_equal(it_sh("(%s diag --config %s --json watch --count 2 --seconds 20 >%s 2>%s/watch.err; "
	                       "echo $? >%s) &",
	                       appm, cfg, out, tmp, rcfile),
	                 0);
	wait_log_more("is watching events", watchers, 10);

	move_document(false);
	int code;
	json_t *reader = diag_reader(&code, NULL);
	assert_int_equal(code, 0);
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_non_null(strstr(it_jstr_or_empty(reader, "status"), ": empty"));
	json_decref(reader);

	move_document(true);
	reader = diag_reader(&code, NULL);
	assert_non_null(strstr(it_jstr_or_empty(reader, "status"), ": document present"));
	json_decref(reader);

	/* The shell creates the file before its echo writes the code. */
	char *rc = it_slurp(rcfile);
	for (double end = seconds_now() + 25; !strchr(rc, '\n'); usleep(50000)) {
		if (seconds_now() > end)
			fail_msg("diag watch did not end after its two events");
		free(rc);
		rc = it_slurp(rcfile);
	}
	char *lines = it_slurp(out);
	assert_int_equal(atoi(rc), 0);
	char *second = strchr(lines, '\n');
	if (!second)
		fail_msg("diag watch printed one line or none: '%s'", lines);
	*second++ = '\0';
	json_t *a = it_parse_json(lines), *b = it_parse_json(second);
	assert_string_equal(it_jstr_or_empty(a, "event"), "removed");
	assert_string_equal(it_jstr_or_empty(a, "device"), "reader");
	assert_string_equal(it_jstr_or_empty(b, "event"), "placed");
	assert_string_equal(it_jstr_or_empty(b, "device"), "reader");
	assert_non_null(strstr(it_jstr_or_empty(b, "text"), "document placed; ATR 3B "));
	json_decref(a);
	json_decref(b);
	free(rc);
	free(lines);
}

/* How often the daemon had logged the reader online before it was
 * unplugged. */
static int online_before_unplug;

/* The PN532 unplugged under the daemon (the emulator stopped: its
 * terminal goes away): the reader goes offline, the reason being the
 * link's failure, never a status of the reader from before; the daemon
 * stays. */
static void test_reader_unplugged(void **state)
{
	(void)state;
	int offline = log_count("reader: offline:");
	online_before_unplug = log_count("reader: online:");
	assert_int_equal(stop_pn532(), 0);
	wait_log_more("reader: offline:", offline, 10);
	char *why = log_line("reader: offline:", offline + 1);
	if (strstr(why, "document present") || !strstr(why, "communication with the reader failed"))
		fail_msg("the reader went offline for a wrong reason: %s", why);
	free(why);
	int code;
	json_t *reader = diag_reader(&code, NULL);
	assert_int_equal(code, 17);
	assert_string_not_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_true(strlen(it_jstr_or_empty(reader, "status")) > 0);
	assert_null(strstr(it_jstr_or_empty(reader, "status"), "document present"));
	json_decref(reader);
	assert_int_equal(kill(kiosk_pid, 0), 0); /* still running */
}

/* After test_reader_unplugged, whatever its outcome: the PN532 plugged in
 * again on the same path. */
static int plug_in_again(void **state)
{
	(void)state;
	if (pn532_pid <= 0)
		pn532_pid = start_pn532();
	return pn532_pid > 0 ? 0 : -1;
}

/* Plugged in again: the daemon opens it again (it tries every 2 s) and
 * watches it. */
static void test_reader_back(void **state)
{
	(void)state;
	wait_log_more("reader: online:", online_before_unplug, 10);
	int code;
	json_t *reader = diag_reader(&code, NULL);
	assert_int_equal(code, 0);
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	json_decref(reader);
	move_document(false);
	move_document(true);
}

/* SIGTERM: the reader closed, the socket removed, exit 0; diag opens
 * the reader itself again. */
static void test_sigterm(void **state)
{
	(void)state;
	assert_int_equal(kill(kiosk_pid, SIGTERM), 0);
	assert_int_equal(it_wait_exit(kiosk_pid, 15), 0);
	kiosk_pid = -1;
	assert_int_equal(log_count("stopping (SIGTERM)"), 1);
	assert_int_equal(log_count("appm kiosk: stopped"), 1);
	assert_int_not_equal(access(sock, F_OK), 0);

	int code;
	char *err = NULL;
	json_t *reader = diag_reader(&code, &err);
	assert_int_equal(code, 0);
	assert_non_null(strstr(err, "the kiosk daemon is not running"));
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	free(err);
	json_decref(reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_direct),
		cmocka_unit_test(test_daemon_online),
		cmocka_unit_test(test_daemon_self_test),
		cmocka_unit_test(test_direct_beside_daemon),
		cmocka_unit_test(test_daemon_watch),
		cmocka_unit_test_teardown(test_reader_unplugged, plug_in_again),
		cmocka_unit_test(test_reader_back),
		cmocka_unit_test(test_sigterm),
	};
	return cmocka_run_group_tests_name("kiosk and diag over libnfc", tests, setup, teardown);
}
