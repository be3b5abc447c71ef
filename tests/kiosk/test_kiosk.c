/*
 * test_kiosk — the kiosk daemon end to end, run inside devices/pcsc/
 * sandbox.sh (a private pcscd whose reader is the virtual passport's):
 * `appm kiosk` started with the example configuration (kiosk/
 * kiosk.example.ini, its store and socket moved into a temporary
 * directory), `appm diag` through its control socket and without it,
 * the watch, the maintenance operations, a second daemon refused, pcscd
 * stopped and started again under the running daemon, systemd's
 * notifications, SIGTERM; the page's spoken prompts, and the daemon
 * started again without espeak-ng's data (served, silent).
 *
 * The tests run in order and share one daemon (started by the first).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <glib.h>

#include "harness.h"

static char tmp[64];
static const char *appm, *vpass, *docgen, *example, *backend;
static pid_t vpass_pid = -1, kiosk_pid = -1, backend_pid = -1;
static int notify_fd = -1;
static char ctl[300], sock[300], store[300], klog[300];

static void ctl_cmd(const char *cmd)
{
	assert_int_equal(it_sh("%s ctl %s %s >/dev/null", vpass, ctl, cmd), 0);
}

/* `appm diag ARGS` against the daemon's socket: its exit code; stdout
 * and stderr into *out and *err (to free) when given. */
__attribute__((format(printf, 3, 4))) static int diag(char **out, char **err, const char *fmt, ...)
{
	char args[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return it_run(tmp, out, err, "%s diag --config %s --socket %s %s", appm, example, sock, args);
}

/* The reader's entry in `appm diag --json` (to json_decref, with *code). */
static json_t *diag_reader(int *code)
{
	char *out = NULL;
	*code = diag(&out, NULL, "--json");
	json_t *reader = it_json_at(out, "devices.0");
	free(out);
	return reader;
}

static bool log_has(const char *text)
{
	char *l = it_slurp(klog);
	bool has = strstr(l, text) != NULL;
	free(l);
	return has;
}

static int log_count(const char *text)
{
	return it_count_in_file(klog, text);
}

static void wait_log_more(const char *text, int before, int seconds)
{
	it_wait_in_file(klog, text, before, seconds);
}

static void wait_log(const char *text, int seconds)
{
	wait_log_more(text, 0, seconds);
}

/* Remove or place the document and wait for the daemon to log it. */
static void move_document(const char *how)
{
	const char *logged = strcmp(how, "remove") == 0 ? "reader: removed" : "reader: placed";
	int before = log_count(logged);
	ctl_cmd(how);
	wait_log_more(logged, before, 5);
}

/* A datagram socket standing in for systemd's notification socket, read
 * all the time by a thread as systemd would (a full queue would block the
 * daemon's sd_notify: a namespace's queue holds only 10 datagrams). */
static atomic_int notified_ready, notified_watchdog, notified_stopping;

static void *read_notifications(void *arg)
{
	(void)arg;
	char buf[512];
	for (;;) {
		ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		buf[n] = '\0';
		if (strstr(buf, "READY=1"))
			atomic_fetch_add(&notified_ready, 1);
		if (strstr(buf, "WATCHDOG=1"))
			atomic_fetch_add(&notified_watchdog, 1);
		if (strstr(buf, "STOPPING=1"))
			atomic_fetch_add(&notified_stopping, 1);
	}
}

static void open_notify(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify.sock", tmp);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(notify_fd >= 0);
	assert_int_equal(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, read_notifications, NULL), 0);
	pthread_detach(t);
}

/* Wait (at most 5 s) until counter has counted more than before. */
static void wait_notify(atomic_int *counter, int before, const char *what)
{
	for (int i = 0; i < 50; i++) {
		if (atomic_load(counter) > before)
			return;
		usleep(100000);
	}
	fail_msg("no %s notification from the kiosk", what);
}

static pid_t start_kiosk(const char *store_path, const char *socket_path, const char *log_path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		char notify[300];
		snprintf(notify, sizeof(notify), "%s/notify.sock", tmp);
		setenv("NOTIFY_SOCKET", notify, 1);
		setenv("WATCHDOG_USEC", "400000", 1);
		char trust[300], ca[300];
		snprintf(trust, sizeof(trust), "%s/pki/csca.pem", tmp);
		snprintf(ca, sizeof(ca), "%s/backend-ca.pem", tmp);
		execl(appm, appm, "kiosk", "--config", example, "--store", store_path, "--socket", socket_path, "--trust",
		      trust, "--backend", "https://127.0.0.1:8443", "--backend-ca", ca, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int setup(void **state)
{
	(void)state;
	appm = getenv("APPM");
	vpass = getenv("APPM_VPASS");
	docgen = getenv("APPM_DOCGEN");
	example = getenv("APPM_KIOSK_CONFIG");
	backend = getenv("APPM_BACKEND");
	if (!appm || !vpass || !docgen || !example || !backend)
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/appm-kiosk.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(ctl, sizeof(ctl), "%s/vpass.sock", tmp);
	snprintf(sock, sizeof(sock), "%s/control.sock", tmp);
	snprintf(store, sizeof(store), "%s/kiosk.db", tmp);
	snprintf(klog, sizeof(klog), "%s/kiosk.log", tmp);
	if (it_make_pki(docgen, tmp, "pki", NULL) != 0 || it_make_doc(docgen, tmp, "pki", "lestari", NULL, "good") != 0)
		return -1;
	char doc[300];
	snprintf(doc, sizeof(doc), "%s/good", tmp);
	vpass_pid = it_start_vpass(vpass, doc, ctl);
	return vpass_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (kiosk_pid > 0) {
		kill(kiosk_pid, SIGKILL);
		waitpid(kiosk_pid, NULL, 0);
	}
	if (vpass_pid > 0) {
		kill(vpass_pid, SIGTERM);
		waitpid(vpass_pid, NULL, 0);
	}
	if (backend_pid > 0) {
		kill(backend_pid, SIGTERM);
		waitpid(backend_pid, NULL, 0);
	}
	if (notify_fd >= 0)
		close(notify_fd);
	if (!getenv("APPM_KEEP_TMP"))
		it_sh("rm -rf %s", tmp);
	else
		fprintf(stderr, "kept %s\n", tmp);
	return 0;
}

/* The daemon starts with the example configuration, tells systemd it is
 * ready and keeps the watchdog fed from its loop; diag reaches it. */
static void test_daemon_starts(void **state)
{
	(void)state;
	open_notify();
	kiosk_pid = start_kiosk(store, sock, klog);
	wait_notify(&notified_ready, 0, "READY=1");
	int fed = atomic_load(&notified_watchdog);
	wait_notify(&notified_watchdog, fed, "WATCHDOG=1");
	wait_log("reader: online", 5);
	struct stat st;
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	char *err = NULL;
	int code;
	json_t *reader = NULL;
	code = diag(NULL, &err, "--json");
	assert_int_equal(code, 0);
	assert_non_null(strstr(err, "asking the kiosk daemon"));
	free(err);
	reader = diag_reader(&code);
	assert_string_equal(it_jstr_or_empty(reader, "name"), "reader");
	assert_string_equal(it_jstr_or_empty(reader, "class"), "passport");
	assert_string_equal(it_jstr_or_empty(reader, "driver"), "pcsc");
	assert_string_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_non_null(strstr(it_jstr_or_empty(reader, "status"), "APPM Virtual Passport Reader"));
	json_decref(reader);
}

/* Self-test and reset through the socket, under the maintenance lock. */
static void test_diag_test_and_reset(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(diag(&out, NULL, "test reader"), 0);
	assert_non_null(strstr(out, "reader: self-test passed"));
	free(out);
	wait_log("reader: locked: held by diag", 2);
	wait_log("reader: unlocked", 2);
	/* The self-test let go of the document: another program reads it
	 * beside the daemon (PC/SC's exclusive hold ended with the test). */
	char mrz[100];
	it_read_mrz(tmp, "good", mrz, sizeof(mrz));
	it_appm run = { .appm = appm, .reader = "pcsc", .dir = tmp };
	it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/pki/csca.pem", mrz, tmp);
	if (r.code != 0)
		fail_msg("a read beside the daemon after its self-test: exit %d: %s", r.code, r.err);
	it_result_free(&r);
	assert_int_equal(diag(&out, NULL, "--json reset reader"), 0);
	json_t *answer = it_parse_json(out);
	free(out);
	assert_true(json_is_true(it_jget(answer, "ok")));
	assert_string_equal(it_jstr_or_empty(answer, "operation"), "reset");
	json_decref(answer);
	/* Both counted in the store. */
	int code;
	json_t *reader = diag_reader(&code);
	assert_true(json_integer_value(it_jget(reader, "counters.operations")) >= 2);
	json_decref(reader);
	/* The watch runs again after maintenance: events still arrive. */
	move_document("remove");
	move_document("place");
}

static void test_diag_refusals(void **state)
{
	(void)state;
	char *err = NULL;
	assert_int_equal(diag(NULL, &err, "test scanner"), 2);
	assert_non_null(strstr(err, "no device named 'scanner'"));
	assert_non_null(strstr(err, "configured: reader"));
	free(err);
	/* Another user may not use the socket (mode 0600, owned by root). */
	int rc = it_sh("setpriv --reuid=65534 --regid=65534 --clear-groups %s diag --config %s --socket %s "
	               ">/dev/null 2>%s/perm.err",
	               appm, example, sock, tmp);
	char p[300];
	snprintf(p, sizeof(p), "%s/perm.err", tmp);
	err = it_slurp(p);
	assert_int_equal(rc, 16);
	assert_non_null(strstr(err, "no permission to use the kiosk's control socket"));
	free(err);
}

/* diag watch through the socket: one line per event, as they happen. */
static void test_diag_watch(void **state)
{
	(void)state;
	char out[300];
	snprintf(out, sizeof(out), "%s/watch.out", tmp);
	it_sh("(%s diag --config %s --socket %s --json watch --count 2 --seconds 20 >%s 2>/dev/null; echo $? >%s.rc) &",
	      appm, example, sock, out, out);
	wait_log("is watching events", 5);
	move_document("remove");
	move_document("place");
	char rcfile[320];
	snprintf(rcfile, sizeof(rcfile), "%s.rc", out);
	for (int i = 0; i < 100 && access(rcfile, F_OK) != 0; i++)
		usleep(100000);
	char *rc = it_slurp(rcfile);
	char *lines = it_slurp(out);
	assert_int_equal(atoi(rc), 0);
	char *second = strchr(lines, '\n');
	assert_non_null(second);
	*second++ = '\0';
	json_t *a = it_parse_json(lines), *b = it_parse_json(second);
	assert_string_equal(it_jstr_or_empty(a, "event"), "removed");
	assert_string_equal(it_jstr_or_empty(b, "event"), "placed");
	assert_string_equal(it_jstr_or_empty(b, "device"), "reader");
	json_decref(a);
	json_decref(b);
	free(rc);
	free(lines);
}

/* ---- the applicant's page ---- */

typedef struct http {
	GString *body;
	bool stop_at_event;      /* an event stream: stop after the first event */
} http;

static size_t http_collect(char *data, size_t size, size_t n, void *user)
{
	http *h = user;
	g_string_append_len(h->body, data, (gssize)(size * n));
	if (h->stop_at_event && strstr(h->body->str, "\n\n") && strstr(h->body->str, "data: "))
		return 0;
	return size * n;
}

/* A request to the page at 127.0.0.1:8080 (the example's [ui] listen):
 * its status, its body into *out (to free) when given. */
static long http_call(const char *path, const char *post, bool event, char **out)
{
	char url[200];
	snprintf(url, sizeof(url), "http://127.0.0.1:8080%s", path);
	http h = { .body = g_string_new(NULL), .stop_at_event = event };
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	struct curl_slist *hdr = NULL;
	if (post) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (out)
		*out = g_string_free(h.body, FALSE);
	else
		g_string_free(h.body, TRUE);
	return status;
}

/* The state the page is shown now (to json_decref). */
static json_t *page_state(void)
{
	char *body = NULL;
	assert_int_equal(http_call("/api/events", NULL, true, &body), 200);
	const char *data = strstr(body, "data: ");
	assert_non_null(data);
	json_t *st = it_parse_json(data + 6);
	g_free(body);
	return st;
}

/* The page's action; its HTTP status. */
static long page_action(const char *session, const char *action, const char *value)
{
	json_t *a = json_pack("{s:s, s:s, s:s?}", "session", session, "action", action, "value", value);
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	long status = http_call("/api/action", text, false, NULL);
	free(text);
	return status;
}

/* ICAO 9303's check digit (weights 7, 3, 1), as the applicant reads it
 * off the data page. */
static char check_digit(const char *s)
{
	static const int w[3] = { 7, 3, 1 };
	int sum = 0;
	for (int i = 0; s[i]; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 0;
		sum += v * w[i % 3];
	}
	return (char)('0' + sum % 10);
}

/* The key action with the three MRZ fields (birth may differ from the
 * document's) and their check digits; its HTTP status. */
static long page_key(const char *session, const char *docno, const char *birth, const char *expiry, bool right_checks)
{
	char c1[2] = { check_digit(docno), 0 }, c2[2] = { check_digit(birth), 0 }, c3[2] = { check_digit(expiry), 0 };
	if (!right_checks)
		c2[0] = c2[0] == '9' ? '0' : (char)(c2[0] + 1);
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "session", session, "action", "key",
	                      "document_number", docno, "document_number_check", c1, "birth_date", birth,
	                      "birth_date_check", c2, "expiry_date", expiry, "expiry_date_check", c3);
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	long status = http_call("/api/action", text, false, NULL);
	free(text);
	return status;
}

/* Wait (at most 20 s) for the page to show screen; its state. */
static json_t *wait_screen(const char *screen)
{
	for (int i = 0; i < 100; i++) {
		json_t *st = page_state();
		if (strcmp(it_jstr_or_empty(st, "screen"), screen) == 0)
			return st;
		json_decref(st);
		usleep(200000);
	}
	char *l = it_slurp(klog);
	fail_msg("the page never showed %s:\n%s", screen, l);
	return NULL;
}

/* The daemon serves the page and carries the journey to the access key:
 * welcome, language, consent, the document already on the reader; an
 * action for another session is refused; Cancel ends and wipes it. */
static void test_page_journey(void **state)
{
	(void)state;
	char *body = NULL;
	assert_int_equal(http_call("/", NULL, false, &body), 200);
	assert_non_null(strstr(body, "/app.js"));
	g_free(body);
	json_t *st = page_state();
	assert_string_equal(it_jstr_or_empty(st, "screen"), "wait-touch");
	json_int_t spoken = json_integer_value(it_jget(st, "speak"));
	json_decref(st);
	assert_int_equal(page_action("", "touch", NULL), 200);
	st = page_state();
	assert_string_equal(it_jstr_or_empty(st, "screen"), "wait-language");
	assert_true(json_integer_value(it_jget(st, "speak")) > spoken); /* the page speaks the new screen */
	char session[64];
	snprintf(session, sizeof(session), "%s", it_jstr_or_empty(st, "session"));
	assert_int_equal(strlen(session), 36); /* a UUID */
	json_decref(st);
	assert_int_equal(page_action("someone-else", "language", "en"), 409);
	assert_int_equal(page_action(session, "language", "xx"), 400);
	assert_int_equal(page_action(session, "finish", NULL), 409); /* not a step of this screen */
	assert_int_equal(page_action(session, "language", "en"), 200);
	assert_int_equal(page_action(session, "consent", NULL), 200);
	st = page_state();
	assert_string_equal(it_jstr_or_empty(st, "screen"), "wait-access-key"); /* the document was there */
	assert_string_equal(it_jstr_or_empty(st, "language"), "en");
	assert_int_equal(json_integer_value(it_jget(st, "step")), 3);
	json_decref(st);
	/* The screen's prompt, spoken by the daemon's espeak-ng. */
	wait_log("spoken prompts: espeak-ng", 1);
	assert_int_equal(http_call("/api/speech?lang=en&screen=wait-access-key", NULL, false, &body), 200);
	assert_int_equal(memcmp(body, "RIFF", 4), 0);
	g_free(body);
	/* The document taken away: place it again. */
	move_document("remove");
	json_decref(wait_screen("wait-document"));
	move_document("place");
	json_decref(wait_screen("wait-access-key"));

	/* The MRZ typed: a wrong check digit is caught on the spot; a wrong
	 * birth date (right check digits) does not open the chip: type it
	 * again; the right one reads and verifies the chip. */
	char mrz[100], docno[10], birth[7], expiry[7];
	it_read_mrz(tmp, "good", mrz, sizeof(mrz));
	snprintf(docno, sizeof(docno), "%.9s", mrz + 44);
	snprintf(birth, sizeof(birth), "%.6s", mrz + 44 + 13);
	snprintf(expiry, sizeof(expiry), "%.6s", mrz + 44 + 21);
	assert_int_equal(page_key(session, docno, birth, expiry, false), 422);
	assert_int_equal(page_key(session, docno, birth[0] == '9' ? "800101" : "990101", expiry, true), 200);
	st = wait_screen("wait-access-key");
	assert_int_equal(json_integer_value(it_jget(st, "retries")), 1);
	json_decref(st);
	wait_log("--wrong-key--> wait-access-key", 20);
	assert_int_equal(page_key(session, docno, birth, expiry, true), 200);
	/* No backend runs yet: the service screen, which Cancel leaves. */
	st = wait_screen("wait-service");
	json_decref(st);
	wait_log("--read-ok--> wait-eligibility: chip read and verified", 2);
	assert_int_equal(page_action(session, "cancel", NULL), 200);
	st = page_state();
	assert_string_equal(it_jstr_or_empty(st, "screen"), "wait-touch");
	assert_string_equal(it_jstr_or_empty(st, "session"), "");
	json_decref(st);
	wait_log("wait-service --cancel--> wait-touch: cancelled by the applicant", 2);
}

/* ---- a whole renewal, with the reference backend ---- */

/* The backend's TLS certificate for 127.0.0.1 from a CA made now. */
static void make_backend_pki(void)
{
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2";
	assert_int_equal(it_sh("openssl req -x509 %s -keyout %s/backend-ca.key -out %s/backend-ca.pem "
	                       "-subj /CN=APPM-test-CA 2>/dev/null",
	                       ec, tmp, tmp),
	                 0);
	assert_int_equal(it_sh("openssl req -x509 %s -keyout %s/backend.key -out %s/backend.pem -subj /CN=127.0.0.1 "
	                       "-CA %s/backend-ca.pem -CAkey %s/backend-ca.key "
	                       "-addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=CA:FALSE 2>/dev/null",
	                       ec, tmp, tmp, tmp, tmp),
	                 0);
}

/* The backend on 127.0.0.1:8443; the test document (valid for years yet)
 * is due for renewal with --renew-within 120 (months). */
static void start_backend(void)
{
	backend_pid = fork();
	assert_true(backend_pid >= 0);
	if (backend_pid == 0) {
		char db[300], cert[300], key[300];
		snprintf(db, sizeof(db), "%s/backend.db", tmp);
		snprintf(cert, sizeof(cert), "%s/backend.pem", tmp);
		snprintf(key, sizeof(key), "%s/backend.key", tmp);
		char log[300];
		snprintf(log, sizeof(log), "%s/backend.log", tmp);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 1), dup2(fd, 2);
		execl(backend, backend, "--listen", "127.0.0.1:8443", "--db", db, "--cert", cert, "--key", key,
		      "--renew-within", "120", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50 && it_sh("exec 3<>/dev/tcp/127.0.0.1/8443 2>/dev/null") != 0; i++)
		usleep(100000);
}

static void stop_backend(void)
{
	kill(backend_pid, SIGTERM);
	waitpid(backend_pid, NULL, 0);
	backend_pid = -1;
}

/* The page's key action with the test document's own MRZ fields. */
static long page_right_key(const char *session)
{
	char mrz[100], docno[10], birth[7], expiry[7];
	it_read_mrz(tmp, "good", mrz, sizeof(mrz));
	snprintf(docno, sizeof(docno), "%.9s", mrz + 44);
	snprintf(birth, sizeof(birth), "%.6s", mrz + 44 + 13);
	snprintf(expiry, sizeof(expiry), "%.6s", mrz + 44 + 21);
	return page_key(session, docno, birth, expiry, true);
}

/* From the welcome screen to the application number: the backend down at
 * eligibility and back, the review's details checked, the fee of PP
 * 45/2024, the submission, the receipt; the steps whose devices are not
 * fitted are skipped and said so. */
static void test_page_renewal(void **state)
{
	(void)state;
	make_backend_pki();
	assert_int_equal(page_action("", "touch", NULL), 200);
	json_t *st = page_state();
	char session[64];
	snprintf(session, sizeof(session), "%s", it_jstr_or_empty(st, "session"));
	json_decref(st);
	assert_int_equal(page_action(session, "language", "id"), 200);
	assert_int_equal(page_action(session, "consent", NULL), 200);
	json_decref(wait_screen("wait-access-key"));
	/* The backend is not running yet: the service screen, then back. */
	assert_int_equal(page_right_key(session), 200);
	json_decref(wait_screen("wait-service"));
	start_backend();
	assert_int_equal(page_action(session, "retry", NULL), 200);
	st = wait_screen("wait-review");
	assert_string_equal(it_jstr_or_empty(st, "holder.nationality"), "IDN");
	assert_true(strlen(it_jstr_or_empty(st, "holder.surname")) > 0);
	assert_string_equal(it_jstr_or_empty(st, "skipped.0"), "face");
	assert_string_equal(it_jstr_or_empty(st, "skipped.1"), "fingerprints");
	json_decref(st);
	/* The review's details: refused until they are right. */
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "session", session, "action", "confirm", "phone", "12",
	                      "email", "lestari@example.id", "address", "Jl. Merdeka 1, Jakarta", "validity_years", 10);
	char *text = json_dumps(a, JSON_COMPACT);
	assert_int_equal(http_call("/api/action", text, false, NULL), 422);
	free(text);
	json_object_set_new(a, "phone", json_string("+62 812 3456 7890"));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	assert_int_equal(http_call("/api/action", text, false, NULL), 200);
	free(text);
	st = wait_screen("wait-fee");
	assert_int_equal(json_integer_value(it_jget(st, "fee.amount")), 950000);
	json_decref(st);
	assert_int_equal(page_action(session, "fee-accepted", NULL), 200);
	st = wait_screen("wait-receipt");
	const char *number = it_jstr_or_empty(st, "application_number");
	assert_true(strlen(number) > 0);
	assert_string_equal(it_jstr_or_empty(st, "skipped.2"), "payment");
	json_decref(st);
	assert_int_equal(page_action(session, "finish", NULL), 200);
	json_decref(wait_screen("wait-touch"));
	wait_log("journey: application submitted", 2);
	stop_backend();
}

/* `appm staff ARGS` against the daemon's socket: its exit code, stdout
 * into *out (to free) when given. */
static int staff(char **out, const char *args)
{
	return it_run(tmp, out, NULL, "%s staff --config %s --socket %s %s", appm, example, sock, args);
}

/* One request line to the daemon's control socket, as a client other
 * than appm would send it; the answer (to json_decref). */
static json_t *control_request(const char *line)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	assert_true(strlen(sock) < sizeof(a.sun_path));
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	char answer[2000];
	size_t n = 0;
	while (n < sizeof(answer) - 1 && (n == 0 || answer[n - 1] != '\n')) {
		ssize_t r = read(fd, answer + n, sizeof(answer) - 1 - n);
		assert_true(r > 0);
		n += (size_t)r;
	}
	answer[n] = '\0';
	close(fd);
	return it_parse_json(answer);
}

/* "Call an officer": the staff hear of it (a watch event, the log) and
 * see why with `appm staff`, without personal data; resume takes the
 * applicant back where they were, end wipes the session. Maintenance is
 * refused while an applicant uses the kiosk, and allowed again after. */
static void test_staff(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(staff(&out, ""), 0);
	assert_non_null(strstr(out, "no applicant"));
	free(out);
	assert_int_equal(staff(NULL, "resume"), 20);
	assert_int_equal(staff(NULL, "dance"), 2);

	assert_int_equal(page_action("", "touch", NULL), 200);
	json_t *st = page_state();
	char session[64];
	snprintf(session, sizeof(session), "%s", it_jstr_or_empty(st, "session"));
	json_decref(st);
	assert_int_equal(page_action(session, "language", "en"), 200);
	assert_int_equal(diag(NULL, NULL, "test reader"), 13); /* in use */
	int watchers = log_count("is watching events");
	it_sh("%s diag --config %s --socket %s watch --count 1 --json >%s/staff-watch.out 2>/dev/null &", appm, example,
	      sock, tmp);
	wait_log_more("is watching events", watchers, 5);
	int before = log_count("kiosk: officer-called");
	assert_int_equal(page_action(session, "call-officer", NULL), 200);
	wait_log_more("kiosk: officer-called", before, 5);
	char watched[300];
	snprintf(watched, sizeof(watched), "%s/staff-watch.out", tmp);
	it_wait_in_file(watched, "officer-called", 0, 5);
	/* The language switched on the officer screen: the staff still read
	 * why they were called. */
	assert_int_equal(page_action(session, "language", "id"), 200);
	assert_int_equal(staff(&out, "--json"), 0);
	json_t *k = it_parse_json(out);
	free(out);
	assert_true(json_is_true(it_jget(k, "officer_called")));
	assert_string_equal(it_jstr_or_empty(k, "screen"), "wait-officer");
	assert_string_equal(it_jstr_or_empty(k, "resume"), "wait-consent");
	assert_string_equal(it_jstr_or_empty(k, "why"), "an officer was called");
	json_decref(k);
	/* A staff request without its action is refused, not taken for a look. */
	k = control_request("{\"request\":\"staff\"}\n");
	assert_false(json_is_true(it_jget(k, "ok")));
	assert_string_equal(it_jstr_or_empty(k, "code"), "bad-request");
	json_decref(k);
	assert_int_equal(diag(NULL, NULL, "test reader"), 0); /* an officer is there: maintenance allowed */
	assert_int_equal(staff(&out, "resume"), 0);
	assert_non_null(strstr(out, "resumed"));
	free(out);
	st = wait_screen("wait-consent");
	assert_string_equal(it_jstr_or_empty(st, "session"), session);
	json_decref(st);
	wait_log("kiosk: staff-resumed: an officer (uid 0) resumed the session", 2); /* log, store, watchers */

	assert_int_equal(page_action(session, "call-officer", NULL), 200);
	assert_int_equal(staff(&out, "end"), 0);
	free(out);
	st = wait_screen("wait-touch");
	assert_string_equal(it_jstr_or_empty(st, "session"), "");
	json_decref(st);
	wait_log("journey: an officer ended the session", 2);
	assert_int_equal(diag(NULL, NULL, "test reader"), 0);
	assert_int_equal(staff(NULL, "end"), 20);
}

/* A second daemon on the same store, or on the same socket, is refused
 * and leaves the first alone. */
static void test_second_daemon_refused(void **state)
{
	(void)state;
	char log2[300], store2[300], sock2[300];
	snprintf(log2, sizeof(log2), "%s/second.log", tmp);
	snprintf(store2, sizeof(store2), "%s/other.db", tmp);
	snprintf(sock2, sizeof(sock2), "%s/other.sock", tmp);
	pid_t pid = start_kiosk(store, sock2, log2);
	assert_int_equal(it_wait_exit(pid, 10), 19);
	char *l = it_slurp(log2);
	assert_non_null(strstr(l, "is another kiosk daemon running?"));
	free(l);
	assert_int_not_equal(access(sock2, F_OK), 0);
	unlink(log2);
	pid = start_kiosk(store2, sock, log2);
	assert_int_equal(it_wait_exit(pid, 10), 19);
	l = it_slurp(log2);
	assert_non_null(strstr(l, "another kiosk daemon is running: it answers on"));
	free(l);
	assert_int_equal(diag(NULL, NULL, "%s", "--json"), 0);
}

/* A store that is not a database is refused with words, never replaced. */
static void test_bad_store_refused(void **state)
{
	(void)state;
	char bad[300], log2[300], sock2[300];
	snprintf(bad, sizeof(bad), "%s/bad.db", tmp);
	snprintf(log2, sizeof(log2), "%s/bad.log", tmp);
	snprintf(sock2, sizeof(sock2), "%s/bad.sock", tmp);
	assert_int_equal(it_sh("head -c 8192 /dev/urandom >%s && cp %s %s.orig", bad, bad, bad), 0);
	pid_t pid = start_kiosk(bad, sock2, log2);
	assert_int_equal(it_wait_exit(pid, 10), 18);
	char *l = it_slurp(log2);
	assert_non_null(strstr(l, bad));
	free(l);
	assert_int_equal(it_sh("cmp -s %s %s.orig", bad, bad), 0);
}

/* pcscd stopped under the running daemon: the reader goes offline with
 * the reason, the daemon stays; pcscd back: the reader comes back. */
static void test_pcscd_restart(void **state)
{
	(void)state;
	pid_t pcscd = (pid_t)atol(getenv("APPM_PCSCD_PID") ? getenv("APPM_PCSCD_PID") : "0");
	assert_true(pcscd > 0);
	assert_int_equal(kill(pcscd, SIGTERM), 0);
	for (int i = 0; i < 50 && kill(pcscd, 0) == 0; i++)
		usleep(100000);
	wait_log("reader: offline", 10);
	int code;
	json_t *reader = diag_reader(&code);
	assert_int_equal(code, 17);
	assert_string_not_equal(it_jstr_or_empty(reader, "state"), "online");
	assert_true(strlen(it_jstr_or_empty(reader, "status")) > 0);
	json_decref(reader);
	assert_int_equal(kill(kiosk_pid, 0), 0); /* still running */

	it_start_pcscd(tmp, NULL);
	for (int i = 0; i < 150; i++) {
		reader = diag_reader(&code);
		bool online = strcmp(it_jstr_or_empty(reader, "state"), "online") == 0;
		json_decref(reader);
		if (online && code == 0)
			return;
		usleep(100000);
	}
	char *l = it_slurp(klog);
	fail_msg("the reader did not come back online after pcscd restarted:\n%s", l);
}

/* SIGTERM: devices closed, the socket removed, exit 0. Then diag opens the
 * devices itself and prints the same fields. */
static void test_sigterm_then_direct(void **state)
{
	(void)state;
	int code;
	json_t *via_daemon = diag_reader(&code);
	/* An applicant begins a session that the stop interrupts. */
	assert_int_equal(page_action("", "touch", NULL), 200);
	/* Self-tests asked as the daemon stops: each is answered (passed, or
	 * cancelled because the daemon stops) or finds no daemon; none hangs,
	 * and the daemon leaks nothing (the sanitizer build checks). */
	for (int i = 0; i < 3; i++)
		it_sh("(%s diag --config %s --socket %s test reader >%s/stop%d.out 2>&1; echo $? >%s/stop%d.rc) &", appm,
		      example, sock, tmp, i, tmp, i);
	usleep(150000);
	assert_int_equal(kill(kiosk_pid, SIGTERM), 0);
	assert_int_equal(it_wait_exit(kiosk_pid, 15), 0);
	for (int i = 0; i < 3; i++) {
		char rcfile[300];
		snprintf(rcfile, sizeof(rcfile), "%s/stop%d.rc", tmp, i);
		for (int t = 0; t < 200 && access(rcfile, F_OK) != 0; t++)
			usleep(100000);
		char *rc = it_slurp(rcfile);
		int c = rc[0] ? atoi(rc) : -1;
		free(rc);
		if (c != 0 && c != 1 && c != 13 && c != 17) /* 13: another one held it */
			fail_msg("a self-test asked as the daemon stopped ended with %d", c);
	}
	kiosk_pid = -1;
	wait_notify(&notified_stopping, 0, "STOPPING=1");
	assert_true(log_has("stopping (SIGTERM)"));
	assert_true(log_has("appm kiosk: stopped"));
	assert_int_not_equal(access(sock, F_OK), 0);

	char *err = NULL;
	assert_int_equal(staff(NULL, ""), 21); /* no daemon, no session */
	assert_int_equal(diag(NULL, &err, "--json"), 0);
	assert_non_null(strstr(err, "the kiosk daemon is not running"));
	free(err);
	json_t *direct = diag_reader(&code);
	assert_int_equal(code, 0);
	const char *same[] = { "name", "class", "connection", "driver", "state", "status" };
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_string_equal(it_jstr_or_empty(direct, same[i]), it_jstr_or_empty(via_daemon, same[i]));
	assert_true(json_equal(it_jget(direct, "capabilities"), it_jget(via_daemon, "capabilities")));
	json_decref(direct);
	json_decref(via_daemon);
	char *out = NULL;
	assert_int_equal(diag(&out, NULL, "test reader"), 0);
	assert_non_null(strstr(out, "reader: self-test passed"));
	free(out);
	assert_int_equal(diag(&out, NULL, "reset reader"), 0);
	assert_non_null(strstr(out, "reader: reset passed"));
	free(out);
	/* watch without the daemon: the reader comes online, its document is
	 * seen, then taken away. */
	char wout[300], rcfile[320];
	snprintf(wout, sizeof(wout), "%s/direct-watch.out", tmp);
	snprintf(rcfile, sizeof(rcfile), "%s.rc", wout);
	it_sh("(%s diag --config %s --socket %s watch --count 3 --seconds 20 >%s 2>/dev/null; echo $? >%s) &", appm,
	      example, sock, wout, rcfile);
	for (int i = 0; i < 50; i++) {
		char *w = it_slurp(wout);
		bool seen = strstr(w, "reader present: document present") != NULL;
		free(w);
		if (seen)
			break;
		usleep(100000);
	}
	ctl_cmd("remove");
	for (int i = 0; i < 100 && access(rcfile, F_OK) != 0; i++)
		usleep(100000);
	char *rc = it_slurp(rcfile), *w = it_slurp(wout);
	assert_int_equal(atoi(rc), 0);
	assert_non_null(strstr(w, "reader online:"));
	assert_non_null(strstr(w, "reader present: document present"));
	assert_non_null(strstr(w, "reader removed: document removed"));
	free(rc);
	free(w);
	ctl_cmd("place");

	/* Started again: the interrupted session (not paid) is ended and
	 * wiped, and the page starts from the welcome screen. This time
	 * [ui] speech_data names a folder without espeak-ng's data: the
	 * page is served all the same, silent, and the log says why. */
	char log2[300], silent[300];
	snprintf(log2, sizeof(log2), "%s/restart.log", tmp);
	snprintf(silent, sizeof(silent), "%s/silent.ini", tmp);
	assert_int_equal(it_sh("mkdir -p %s/no-speech && sed 's|^\\[ui\\]$|[ui]\\nspeech_data = %s/no-speech|' %s >%s",
	                       tmp, tmp, example, silent),
	                 0);
	const char *configured = example;
	example = silent;
	kiosk_pid = start_kiosk(store, sock, log2);
	example = configured;
	it_wait_in_file(log2, "appm kiosk: ready", 0, 10);
	assert_int_equal(it_count_in_file(log2, "a session left at wait-language when the kiosk stopped is ended and wiped"),
	                 1);
	json_t *st = page_state();
	assert_string_equal(it_jstr_or_empty(st, "screen"), "wait-touch");
	assert_string_equal(it_jstr_or_empty(st, "session"), "");
	json_decref(st);
	assert_int_equal(it_count_in_file(log2, "spoken prompts are off: espeak-ng's data (or a language's voice) is not "
	                                        "installed: "),
	                 1);
	assert_int_equal(it_count_in_file(log2, "/no-speech: no espeak-ng data there"), 1);
	assert_int_equal(http_call("/api/speech", NULL, false, NULL), 503);
	assert_int_equal(kill(kiosk_pid, SIGTERM), 0);
	assert_int_equal(it_wait_exit(kiosk_pid, 15), 0);
	kiosk_pid = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_store_refused),
		cmocka_unit_test(test_daemon_starts),
		cmocka_unit_test(test_diag_test_and_reset),
		cmocka_unit_test(test_diag_refusals),
		cmocka_unit_test(test_diag_watch),
		cmocka_unit_test(test_page_journey),
		cmocka_unit_test(test_page_renewal),
		cmocka_unit_test(test_staff),
		cmocka_unit_test(test_second_daemon_refused),
		cmocka_unit_test(test_pcscd_restart),
		cmocka_unit_test(test_sigterm_then_direct),
	};
	return cmocka_run_group_tests_name("kiosk daemon", tests, setup, teardown);
}
