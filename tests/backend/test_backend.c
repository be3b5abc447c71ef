/*
 * test_backend — appm-backend (devices/backend) through the kiosk's client
 * (kiosk/backend), over HTTPS with a CA and server certificate made for
 * this run by the openssl command. The backend runs as a child process on
 * 127.0.0.1, a port of its choosing, and a temporary database: an eligible
 * document; each ineligibility with its reason code; a submission, its
 * repeat and its repeat after the backend restarted on the same database
 * all getting one number; other content under the same id refused; the
 * API's statuses for bad JSON, unknown paths and oversized bodies; the
 * fault modes (down, stopped, slow past the client's time-out, error500,
 * refuse) each seen by the client as its own error; and a client trusting
 * another CA refusing the server.
 */
#include <errno.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "kiosk/backend/client.h"

#define TOKEN "test-admin-token"
#define LOST_AT_START "L0000001"

typedef struct {
	char dir[64];
	char path[6][128]; /* see the P_ names */
	pid_t pid;
	unsigned port;
	char url[64];
	bk_client *client;
} rig;

enum { P_CA, P_CA_KEY, P_CERT, P_KEY, P_OTHER_CA, P_DB };
static const char *const file_names[] = {"ca.pem", "ca.key", "server.pem", "server.key", "other-ca.pem", "backend.db"};

static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* A CA, the server's certificate for IP 127.0.0.1 from it, and another CA. */
static void make_pki(rig *r)
{
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2";
	run("openssl req -x509 %s -keyout %s -out %s -subj /CN=APPM-test-CA 2>/dev/null",
	    ec, r->path[P_CA_KEY], r->path[P_CA]);
	run("openssl req -x509 %s -keyout %s -out %s -subj /CN=127.0.0.1 -CA %s -CAkey %s"
	    " -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=CA:FALSE 2>/dev/null",
	    ec, r->path[P_KEY], r->path[P_CERT], r->path[P_CA], r->path[P_CA_KEY]);
	run("openssl req -x509 %s -keyout %s/other-ca.key -out %s -subj /CN=APPM-other-CA 2>/dev/null",
	    ec, r->dir, r->path[P_OTHER_CA]);
}

/* Starts appm-backend with extra (NULL-terminated) arguments and reads
 * the port it printed. */
static void start_backend(rig *r, const char *extra, ...)
{
	const char *exe = getenv("APPM_BACKEND");
	assert_non_null(exe);
	const char *argv[32] = {exe, "--db", r->path[P_DB], "--cert", r->path[P_CERT], "--key", r->path[P_KEY],
				"--listen", "127.0.0.1:0", "--admin-token", TOKEN, "--lost", LOST_AT_START};
	size_t argc = 13;
	va_list ap;
	va_start(ap, extra);
	for (const char *a = extra; a != NULL && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	int out[2];
	assert_int_equal(pipe(out), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	char line[128] = "";
	size_t n = 0;
	struct pollfd p = {.fd = out[0], .events = POLLIN};
	while (n < sizeof line - 1 && strchr(line, '\n') == NULL && poll(&p, 1, 5000) == 1) {
		ssize_t got = read(out[0], line + n, sizeof line - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		line[n] = '\0';
	}
	close(out[0]);
	if (sscanf(line, "listening 127.0.0.1:%u", &r->port) != 1 || r->port == 0)
		fail_msg("appm-backend did not say where it listens: '%s'", line);
	r->pid = pid;
	snprintf(r->url, sizeof r->url, "https://127.0.0.1:%u", r->port);
}

/* SIGTERM, and the backend must end cleanly. */
static void stop_backend(rig *r)
{
	if (r->pid <= 0)
		return;
	int status;
	kill(r->pid, SIGTERM);
	assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
	r->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static bk_client *new_client(const rig *r, const char *ca, long total_ms)
{
	bk_config cfg = {.base_url = r->url, .ca_file = ca, .connect_timeout_ms = 2000, .total_timeout_ms = total_ms};
	bk_client *c = NULL;
	assert_int_equal(bk_client_new(&cfg, &c), BK_OK);
	return c;
}

/* (Re)starts the backend and the client pointing at it. */
static void restart(rig *r)
{
	stop_backend(r);
	start_backend(r, NULL);
	bk_client_free(r->client);
	r->client = new_client(r, r->path[P_CA], 5000);
}

static int setup(void **state)
{
	rig *r = calloc(1, sizeof *r);
	assert_non_null(r);
	strcpy(r->dir, "/tmp/appm-backend-test-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	for (size_t i = 0; i < sizeof file_names / sizeof file_names[0]; i++)
		snprintf(r->path[i], sizeof r->path[i], "%s/%s", r->dir, file_names[i]);
	make_pki(r);
	restart(r);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	rig *r = *state;
	stop_backend(r);
	bk_client_free(r->client);
	run("rm -rf %s", r->dir);
	free(r);
	return 0;
}

/* A date years/months from today, YYYY-MM-DD (day 28 at most). */
static void date_from_today(char out[11], int years, int months)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	unsigned total = (unsigned)((tm.tm_year + 1900 + years) * 12 + tm.tm_mon + months);
	unsigned day = tm.tm_mday > 28 ? 28u : (unsigned)tm.tm_mday;
	snprintf(out, 11, "%04u-%02u-%02u", total / 12 % 10000, total % 12 + 1, day % 100);
}

/* A raw request (the admin endpoints, and what the client never sends). */
static size_t discard(char *p, size_t size, size_t n, void *u)
{
	return size * n;
}

static long raw_post(const rig *r, const char *path, const char *body, size_t len, const char *token)
{
	char url[256], auth[128];
	snprintf(url, sizeof url, "%s%s", r->url, path);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
	CURL *h = curl_easy_init();
	assert_non_null(h);
	struct curl_slist *headers = curl_slist_append(NULL, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, r->path[P_CA]);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	long status = 0;
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		fail_msg("%s: %s", path, curl_easy_strerror(rc));
	return status;
}

static void set_fault(const rig *r, const char *mode)
{
	char body[128];
	snprintf(body, sizeof body, "{\"mode\":\"%s\"}", mode);
	assert_int_equal(raw_post(r, "/admin/fault", body, strlen(body), TOKEN), 200);
}

/* An adult Indonesian's ordinary passport expiring in 3 months. */
typedef struct {
	char birth[11], expiry[11];
	bk_document doc;
} document;

static void make_document(document *d, const char *number)
{
	date_from_today(d->birth, -40, 0);
	date_from_today(d->expiry, 0, 3);
	d->doc = (bk_document){.document_number = number, .nationality = "IDN", .birth_date = d->birth,
			       .expiry_date = d->expiry, .document_type = "P"};
}

/* Ineligible for exactly one reason, code. */
static void expect_one_reason(rig *r, const bk_document *doc, const char *code)
{
	bk_reasons why = {0};
	assert_int_equal(bk_eligibility(r->client, doc, &why), BK_ERR_REFUSED);
	assert_int_equal(why.count, 1);
	assert_string_equal(why.items[0].code, code);
	assert_true(strlen(why.items[0].message_en) > 10);
	assert_true(strlen(why.items[0].message_id) > 10);
}

static void test_refuses_plain_http(void **state)
{
	rig *r = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(getenv("APPM_BACKEND"), "appm-backend", "--db", r->path[P_DB], "--listen", "127.0.0.1:0",
		      (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
}

static void test_eligible(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	bk_reasons why = {.count = 99};
	assert_int_equal(bk_eligibility(r->client, &d.doc, &why), BK_OK);
	assert_int_equal(why.count, 99); /* untouched */
}

static void test_ineligible(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	d.doc.nationality = "MYS";
	expect_one_reason(r, &d.doc, "nationality");

	make_document(&d, "X1234567");
	date_from_today(d.birth, -17, -11);
	expect_one_reason(r, &d.doc, "minor");

	make_document(&d, "X1234567");
	d.doc.document_type = "PD";
	expect_one_reason(r, &d.doc, "document_type");

	make_document(&d, "X1234567");
	date_from_today(d.expiry, 3, 0);
	expect_one_reason(r, &d.doc, "not_due");

	make_document(&d, "X1234567");
	date_from_today(d.expiry, -6, 0);
	expect_one_reason(r, &d.doc, "expired_too_long");

	/* Reported at start, and while running. */
	make_document(&d, LOST_AT_START);
	expect_one_reason(r, &d.doc, "lost_or_stolen");
	make_document(&d, "S7654321");
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_OK);
	const char *lost = "{\"document_number\":\"S7654321\"}";
	assert_int_equal(raw_post(r, "/admin/lost", lost, strlen(lost), "wrong-token"), 401);
	assert_int_equal(raw_post(r, "/admin/lost", lost, strlen(lost), TOKEN), 200);
	expect_one_reason(r, &d.doc, "lost_or_stolen");

	/* Several reasons at once. */
	make_document(&d, LOST_AT_START);
	d.doc.nationality = "MYS";
	bk_reasons why;
	assert_int_equal(bk_eligibility(r->client, &d.doc, &why), BK_ERR_REFUSED);
	assert_int_equal(why.count, 2);
	assert_string_equal(why.items[0].code, "nationality");
	assert_string_equal(why.items[1].code, "lost_or_stolen");
}

static bk_application make_application(const char *id, const char *birth)
{
	return (bk_application){
		.application_id = id,
		.document_number = "X1234567",
		.holder = {.surname = "LESTARI", .given_names = "DEWI", .nationality = "IDN",
			   .birth_date = birth, .sex = "F"},
		.contact = {.phone = "+62 812 3456 7890", .email = "dewi@example.id", .address = "Jl. Merdeka 1, Jakarta"},
		.passport_type = "P",
		.validity_years = 10,
		.fee_amount = 950000,
		.fee_currency = "IDR",
	};
}

#define APP_ID "6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b"

static void test_submit_idempotent(void **state)
{
	rig *r = *state;
	char birth[11], first[32] = "", again[32] = "", status[32] = "";
	date_from_today(birth, -40, 0);
	bk_application app = make_application(APP_ID, birth);
	assert_int_equal(bk_submit(r->client, &app, first, sizeof first, NULL), BK_OK);
	assert_true(strlen(first) > 0);
	assert_int_equal(bk_submit(r->client, &app, again, sizeof again, NULL), BK_OK);
	assert_string_equal(first, again);
	assert_int_equal(bk_status(r->client, first, status, sizeof status), BK_OK);
	assert_string_equal(status, "received");
	assert_int_equal(bk_status(r->client, "R1999-999999", status, sizeof status), BK_ERR_NOT_FOUND);

	/* Another application, another number. */
	char other[32] = "";
	app.application_id = "00000000-0000-4000-8000-000000000001";
	assert_int_equal(bk_submit(r->client, &app, other, sizeof other, NULL), BK_OK);
	assert_string_not_equal(first, other);

	/* The backend restarted on the same database still knows the first. */
	restart(r);
	app.application_id = APP_ID;
	memset(again, 0, sizeof again);
	assert_int_equal(bk_submit(r->client, &app, again, sizeof again, NULL), BK_OK);
	assert_string_equal(first, again);

	/* Same id, other content. */
	app.contact.phone = "+62 811 0000 0000";
	assert_int_equal(bk_submit(r->client, &app, again, sizeof again, NULL), BK_ERR_CONFLICT);
}

static void test_submit_refused(void **state)
{
	rig *r = *state;
	char birth[11], number[32] = "unchanged";
	date_from_today(birth, -10, 0);
	bk_application app = make_application("00000000-0000-4000-8000-000000000002", birth);
	bk_reasons why = {0};
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_ERR_REFUSED);
	assert_int_equal(why.count, 1);
	assert_string_equal(why.items[0].code, "minor");
	assert_string_equal(number, "unchanged");

	/* A wrong fee is the kiosk's bug, not the applicant's. */
	date_from_today(birth, -40, 0);
	app = make_application("00000000-0000-4000-8000-000000000003", birth);
	app.fee_amount = 1;
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_ERR_PROTOCOL);
	/* The tariff of PP 45/2024: an ordinary passport costs less than an
	 * e-passport; the e-passport's fee for an ordinary one is wrong. */
	app = make_application("00000000-0000-4000-8000-000000000004", birth);
	app.ordinary = true;
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_ERR_PROTOCOL);
	app.fee_amount = 650000;
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_OK);
	app = make_application("00000000-0000-4000-8000-000000000005", birth);
	app.ordinary = true;
	app.validity_years = 5;
	app.fee_amount = 350000;
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_OK);
}

static void test_http_statuses(void **state)
{
	rig *r = *state;
	assert_int_equal(raw_post(r, "/v1/eligibility", "{not json", 9, NULL), 400);
	assert_int_equal(raw_post(r, "/v1/eligibility", "[]", 2, NULL), 400);
	assert_int_equal(raw_post(r, "/v1/eligibility", "{\"nationality\":\"IDN\"}", 22, NULL), 400);
	assert_int_equal(raw_post(r, "/v1/nothing", "{}", 2, NULL), 404);
	assert_int_equal(raw_post(r, "/admin/fault", "{\"mode\":\"error500\"}", 19, NULL), 401);
	size_t big = 100 * 1024;
	char *body = malloc(big);
	assert_non_null(body);
	memset(body, ' ', big);
	assert_int_equal(raw_post(r, "/v1/applications", body, big, NULL), 413);
	free(body);
}

static void test_fault_server_error(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	set_fault(r, "error500");
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_ERR_SERVER);
	set_fault(r, "none");
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_OK);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_fault_slow(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	bk_client *impatient = new_client(r, r->path[P_CA], 400);
	set_fault(r, "slow:1500");
	double t0 = now_s();
	assert_int_equal(bk_eligibility(impatient, &d.doc, NULL), BK_ERR_TIMEOUT);
	double took = now_s() - t0;
	assert_true(took >= 0.35 && took < 1.45); /* the answer would come at 1.5 s */
	set_fault(r, "slow:100"); /* within the time-out: answered */
	assert_int_equal(bk_eligibility(impatient, &d.doc, NULL), BK_OK);
	set_fault(r, "none");
	bk_client_free(impatient);
}

static void test_fault_refuse(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	set_fault(r, "refuse:quota_exceeded");
	expect_one_reason(r, &d.doc, "quota_exceeded");
	char birth[11], number[32];
	date_from_today(birth, -40, 0);
	bk_application app = make_application("00000000-0000-4000-8000-000000000004", birth);
	bk_reasons why = {0};
	assert_int_equal(bk_submit(r->client, &app, number, sizeof number, &why), BK_ERR_REFUSED);
	assert_int_equal(why.count, 1);
	assert_string_equal(why.items[0].code, "quota_exceeded");
	set_fault(r, "none");
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_OK);
}

static void test_other_ca(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	bk_client *wary = new_client(r, r->path[P_OTHER_CA], 3000);
	assert_int_equal(bk_eligibility(wary, &d.doc, NULL), BK_ERR_TLS);
	bk_client_free(wary);
}

static void test_fault_down(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	set_fault(r, "down");
	/* The backend stops listening on its next tick (50 ms). */
	bk_err e = BK_OK;
	for (int i = 0; i < 40 && e == BK_OK; i++) {
		e = bk_eligibility(r->client, &d.doc, NULL);
		if (e == BK_OK)
			usleep(25 * 1000);
	}
	assert_int_equal(e, BK_ERR_DOWN);
	restart(r);
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_OK);

	/* Not running at all. */
	stop_backend(r);
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_ERR_DOWN);
	restart(r);
}

static void test_fault_at_start(void **state)
{
	rig *r = *state;
	document d;
	make_document(&d, "X1234567");
	stop_backend(r);
	start_backend(r, "--fault", "error500", NULL);
	bk_client_free(r->client);
	r->client = new_client(r, r->path[P_CA], 3000);
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_ERR_SERVER);
	restart(r);
	assert_int_equal(bk_eligibility(r->client, &d.doc, NULL), BK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_plain_http),
		cmocka_unit_test(test_eligible),
		cmocka_unit_test(test_ineligible),
		cmocka_unit_test(test_submit_idempotent),
		cmocka_unit_test(test_submit_refused),
		cmocka_unit_test(test_http_statuses),
		cmocka_unit_test(test_fault_server_error),
		cmocka_unit_test(test_fault_slow),
		cmocka_unit_test(test_fault_refuse),
		cmocka_unit_test(test_other_ca),
		cmocka_unit_test(test_fault_down),
		cmocka_unit_test(test_fault_at_start),
	};
	return cmocka_run_group_tests_name("backend", tests, setup, teardown);
}
