/*
 * test_store — the kiosk's store (kiosk/store/store.h): a new or empty file
 * becomes a store at the newest schema, 0600, in WAL mode without a -shm
 * file; what is written is there after a reopen, and after the daemon is
 * killed; every file the store must not use is refused with its own code
 * and words and left as it was (missing file or directory, random bytes,
 * a damaged page, a text file, someone else's database, a newer schema);
 * a second opener is refused while the first holds the store, in this
 * process and in another; diag's read-only open; counters and events.
 * Migrations and allocation failures are in test_store_migrate.c.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiosk/store/store.h"
#include "tests/store/rig.h"

/* Open path in mode and expect e; why must name the file when it fails. */
static void expect_refusal(const char *path, store_open_mode mode, store_err e, char *why, size_t why_len)
{
	store *s = NULL;
	assert_int_equal(store_open(path, mode, &s, why, why_len), e);
	assert_null(s);
	assert_non_null(strstr(why, path));
}

static store *open_ok(const char *path, store_open_mode mode)
{
	store *s = NULL;
	char why[256] = "x";
	store_err e = store_open(path, mode, &s, why, sizeof why);
	if (e != STORE_OK)
		fail_msg("store_open: %s (%s)", store_strerror(e), why);
	assert_string_equal(why, "");
	return s;
}

/* A store with a few rows in it, closed again. */
static void make_store(const char *path)
{
	store *s = open_ok(path, STORE_OPEN_CREATE);
	assert_int_equal(store_count_operation(s, "passport", false, NULL), STORE_OK);
	assert_int_equal(store_count_operation(s, "passport", true, "reader unplugged"), STORE_OK);
	assert_int_equal(store_log_event(s, "passport", "fault", "reader unplugged"), STORE_OK);
	store_free(s);
}

static void test_new_file(void **state)
{
	rig *r = *state;
	mode_t old = umask(022);
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	umask(old);
	assert_int_equal(store_schema_newest(), 2); /* counters and events; sessions */
	assert_int_equal(store_schema_version(s), store_schema_newest());
	assert_string_equal(store_path(s), r->path);
	assert_string_equal(store_error_detail(s), "");
	assert_int_equal(file_mode(r->path), 0600);

	/* WAL with the index in memory: a -wal file (also 0600), no -shm. */
	char wal[160], shm[160];
	snprintf(wal, sizeof wal, "%s-wal", r->path);
	snprintf(shm, sizeof shm, "%s-shm", r->path);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), -1);
	char journal[160];
	snprintf(journal, sizeof journal, "%s-journal", r->path);
	assert_int_equal(file_mode(journal), -1);
	store_free(s);

	/* Closing checkpoints the log into the file and removes it. */
	assert_int_equal(file_mode(wal), -1);
	assert_true(raw_has(r->path, "device_counters"));
	assert_true(raw_has(r->path, "device_events"));
	assert_true(raw_has(r->path, "device_events_by_device"));
	assert_int_equal(raw_int(r->path, "PRAGMA user_version"), store_schema_newest());
	assert_int_equal(raw_int(r->path, "PRAGMA application_id"), 0x4150504d);
	assert_int_equal(raw_int(r->path, "SELECT count(*) FROM device_counters"), 0);
}

/* SQLite takes a file of 0 bytes for an empty database: it is set up. */
static void test_empty_file(void **state)
{
	rig *r = *state;
	write_bytes(r->path, "", 0, 0640);
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	assert_int_equal(store_schema_version(s), store_schema_newest());
	store_free(s);
	assert_true(raw_has(r->path, "device_events"));
	assert_int_equal(file_mode(r->path), 0640); /* not ours to change */
}

static void test_reopen_keeps_data(void **state)
{
	rig *r = *state;
	make_store(r->path);
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	store_counters c;
	assert_int_equal(store_device_counters(s, "passport", &c), STORE_OK);
	assert_int_equal(c.operations, 2);
	assert_int_equal(c.failures, 1);
	assert_string_equal(c.last_error, "reader unplugged");
	assert_int_equal(store_count_operation(s, "passport", false, NULL), STORE_OK);
	store_free(s);

	/* diag: reads it, writes nothing. */
	s = open_ok(r->path, STORE_OPEN_EXISTING);
	assert_int_equal(store_device_counters(s, "passport", &c), STORE_OK);
	assert_int_equal(c.operations, 3);
	assert_int_equal(store_count_operation(s, "passport", false, NULL), STORE_ERR_READ_ONLY);
	assert_non_null(strstr(store_error_detail(s), "read only"));
	assert_int_equal(store_log_event(s, "passport", "fault", "x"), STORE_ERR_READ_ONLY);
	assert_int_equal(store_device_counters(s, "passport", &c), STORE_OK);
	assert_int_equal(c.operations, 3);
	assert_string_equal(store_error_detail(s), "");
	store_free(s);
}

/* The daemon killed right after a write: the write is there. */
static void test_killed_daemon_keeps_data(void **state)
{
	rig *r = *state;
	make_store(r->path);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store *s = NULL;
		if (store_open(r->path, STORE_OPEN_CREATE, &s, NULL, 0) != STORE_OK ||
		    store_count_operation(s, "camera", true, "no picture") != STORE_OK)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	store_counters c;
	assert_int_equal(store_device_counters(s, "camera", &c), STORE_OK);
	assert_int_equal(c.operations, 1);
	assert_string_equal(c.last_error, "no picture");
	assert_int_equal(store_device_counters(s, "passport", &c), STORE_OK);
	assert_int_equal(c.operations, 2);
	store_free(s);
}

static void test_newer_schema(void **state)
{
	rig *r = *state;
	make_store(r->path);
	assert_int_equal(raw_exec(r->path, "PRAGMA user_version=7"), 0);
	char why[256];
	expect_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_NEWER, why, sizeof why);
	assert_non_null(strstr(why, "schema version 7 but this appm knows up to 2: use a newer appm"));
	expect_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_NEWER, why, sizeof why);
	assert_int_equal(raw_int(r->path, "PRAGMA user_version"), 7);
	assert_int_equal(raw_int(r->path, "SELECT operations FROM device_counters"), 2);

	/* A version no appm ever writes. */
	assert_int_equal(raw_exec(r->path, "PRAGMA user_version=-3"), 0);
	expect_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_CORRUPT, why, sizeof why);
	assert_non_null(strstr(why, "impossible schema version -3"));
}

/* The file must be exactly as it was after a refusal. */
static void expect_untouched_refusal(const char *path, store_open_mode mode, store_err e, const char *words)
{
	size_t n0 = 0, n1 = 0;
	unsigned char *before = read_bytes(path, &n0);
	assert_non_null(before);
	char why[256];
	expect_refusal(path, mode, e, why, sizeof why);
	if (words && !strstr(why, words))
		fail_msg("\"%s\" does not say \"%s\"", why, words);
	unsigned char *after = read_bytes(path, &n1);
	assert_non_null(after);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	free(before);
	free(after);
}

static void test_random_bytes(void **state)
{
	rig *r = *state;
	unsigned char junk[8192];
	uint32_t x = 2463534242u; /* xorshift: the same bytes every run */
	for (size_t i = 0; i < sizeof junk; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	write_bytes(r->path, junk, sizeof junk, 0600);
	expect_untouched_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_CORRUPT,
	                         "is not an SQLite database or is damaged");
	expect_untouched_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_CORRUPT, NULL);
}

static void test_text_file(void **state)
{
	rig *r = *state;
	const char text[] = "[store]\npath = /var/lib/appm/store.db\n";
	write_bytes(r->path, text, sizeof text - 1, 0600);
	expect_untouched_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_CORRUPT, "file is not a database");
}

/* A real store with one of its pages overwritten. */
static void test_damaged_page(void **state)
{
	rig *r = *state;
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	char text[200];
	memset(text, 'e', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	for (int i = 0; i < 200; i++)
		assert_int_equal(store_log_event(s, "printer", "fault", text), STORE_OK);
	store_free(s);

	size_t n = 0;
	unsigned char *bytes = read_bytes(r->path, &n);
	assert_non_null(bytes);
	size_t page = (size_t)bytes[16] << 8 | bytes[17];
	assert_true(n >= 6 * page);
	/* The last page: a leaf of the event log. */
	memset(bytes + n - page, 0x5a, page);
	write_bytes(r->path, bytes, n, 0600);
	free(bytes);
	expect_untouched_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_CORRUPT, "damaged");
	expect_untouched_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_CORRUPT, "damaged");
}

static void test_foreign_database(void **state)
{
	rig *r = *state;
	/* Tables, no version: someone else's. */
	write_bytes(r->path, "", 0, 0600);
	assert_int_equal(raw_exec(r->path, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x')"), 0);
	expect_untouched_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_FOREIGN, "not an APPM store");
	assert_int_equal(raw_int(r->path, "PRAGMA user_version"), 0);

	/* A version of its own: still not ours. */
	assert_int_equal(raw_exec(r->path, "PRAGMA user_version=1"), 0);
	expect_untouched_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_FOREIGN, "not an APPM store");

	/* Another program's application id, even with no tables. */
	char other[128];
	rig_file(r, "other.db", other);
	write_bytes(other, "", 0, 0600);
	assert_int_equal(raw_exec(other, "PRAGMA application_id=1234"), 0);
	expect_untouched_refusal(other, STORE_OPEN_CREATE, STORE_ERR_FOREIGN, "another program");
}

static void test_missing(void **state)
{
	rig *r = *state;
	char why[256];
	expect_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_MISSING, why, sizeof why);
	assert_non_null(strstr(why, "does not exist"));
	assert_int_equal(file_mode(r->path), -1); /* not created */

	char deep[128];
	rig_file(r, "no-such-dir/store.db", deep);
	expect_refusal(deep, STORE_OPEN_CREATE, STORE_ERR_NO_DIR, why, sizeof why);
	assert_non_null(strstr(why, "directory does not exist"));
	expect_refusal(deep, STORE_OPEN_EXISTING, STORE_ERR_NO_DIR, why, sizeof why);

	/* A directory where the file should be. */
	assert_int_equal(mkdir(r->path, 0700), 0);
	expect_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_IO, why, sizeof why);
	assert_non_null(strstr(why, "is not a file"));

	/* diag on a file the daemon never set up. */
	char empty[128];
	rig_file(r, "empty.db", empty);
	write_bytes(empty, "", 0, 0600);
	expect_refusal(empty, STORE_OPEN_EXISTING, STORE_ERR_OLDER, why, sizeof why);
	assert_non_null(strstr(why, "never been set up"));
	struct stat st;
	assert_int_equal(stat(empty, &st), 0);
	assert_int_equal(st.st_size, 0); /* diag wrote nothing */
}

static void test_permission_denied(void **state)
{
	rig *r = *state;
	if (geteuid() == 0)
		skip(); /* root is never denied */
	char dir[128], path[160];
	rig_file(r, "closed", dir);
	assert_int_equal(mkdir(dir, 0500), 0);
	snprintf(path, sizeof path, "%s/store.db", dir);
	char why[256];
	expect_refusal(path, STORE_OPEN_CREATE, STORE_ERR_ACCESS, why, sizeof why);
}

static void test_bad_arguments(void **state)
{
	rig *r = *state;
	store *s = NULL;
	char why[256];
	assert_int_equal(store_open(NULL, STORE_OPEN_CREATE, &s, why, sizeof why), STORE_ERR_ARG);
	assert_int_equal(store_open("", STORE_OPEN_CREATE, &s, why, sizeof why), STORE_ERR_ARG);
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, NULL, why, sizeof why), STORE_ERR_ARG);
	assert_int_equal(store_open(r->path, (store_open_mode)7, &s, NULL, 0), STORE_ERR_ARG);
	assert_null(s);
	assert_int_equal(file_mode(r->path), -1);
	store_free(NULL);
	/* Every code has words of its own. */
	for (int e = STORE_OK; e <= STORE_ERR_IO; e++)
		assert_string_not_equal(store_strerror((store_err)e), "unknown store error");
}

static void test_locked_in_process(void **state)
{
	rig *r = *state;
	store *first = open_ok(r->path, STORE_OPEN_CREATE);
	char why[256];
	expect_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_LOCKED, why, sizeof why);
	assert_non_null(strstr(why, "in use by another process"));
	expect_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_LOCKED, why, sizeof why);
	/* The first is not disturbed. */
	assert_int_equal(store_count_operation(first, "printer", false, NULL), STORE_OK);
	store_free(first);
	store *second = open_ok(r->path, STORE_OPEN_CREATE);
	store_free(second);
}

/* Another process holds the store (forked before this one opens anything,
 * so the refusal comes from the file lock, not SQLite's own bookkeeping
 * inside one process). */
static void test_locked_by_other_process(void **state)
{
	rig *r = *state;
	make_store(r->path);
	int up[2], down[2];
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]); /* so that the parent's end closing is an end of file here */
		store *s = NULL;
		unsigned char e = (unsigned char)store_open(r->path, STORE_OPEN_CREATE, &s, NULL, 0);
		char c;
		if (write(up[1], &e, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(1);
		store_free(s);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	unsigned char child_err = 0xff;
	assert_int_equal(read(up[0], &child_err, 1), 1);
	assert_int_equal(child_err, STORE_OK);

	char why[256];
	expect_refusal(r->path, STORE_OPEN_CREATE, STORE_ERR_LOCKED, why, sizeof why);
	assert_non_null(strstr(why, "is another appm running?"));
	expect_refusal(r->path, STORE_OPEN_EXISTING, STORE_ERR_LOCKED, why, sizeof why);

	assert_int_equal(write(down[1], "x", 1), 1);
	close(up[0]);
	close(down[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Gone with the process that held it. */
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	store_free(s);
}

static bool collect_event(const store_event *ev, void *user)
{
	store_event *list = user;
	size_t i = 0;
	while (list[i].id != 0)
		i++;
	list[i] = *ev;
	return true;
}

static bool stop_after_one(const store_event *ev, void *user)
{
	(*(int *)user)++;
	return false;
}

static bool collect_counters(const store_counters *c, void *user)
{
	store_counters *list = user;
	size_t i = 0;
	while (list[i].device[0])
		i++;
	list[i] = *c;
	return true;
}

static void test_counters_and_events(void **state)
{
	rig *r = *state;
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	r->now = 1700000000;
	store_set_clock(s, rig_clock, &r->now);

	store_counters c;
	assert_int_equal(store_device_counters(s, "camera", &c), STORE_OK);
	assert_string_equal(c.device, "camera");
	assert_int_equal(c.operations, 0);
	assert_int_equal(c.failures, 0);
	assert_string_equal(c.last_error, "");
	assert_int_equal(c.last_error_at, 0);

	assert_int_equal(store_count_operation(s, "camera", true, "lens covered"), STORE_OK);
	r->now += 60;
	assert_int_equal(store_count_operation(s, "camera", false, "ignored"), STORE_OK);
	assert_int_equal(store_count_operation(s, "camera", false, NULL), STORE_OK);
	assert_int_equal(store_count_operation(s, "pcsc:ACS ACR122U 00 00", true, NULL), STORE_OK);
	assert_int_equal(store_device_counters(s, "camera", &c), STORE_OK);
	assert_int_equal(c.operations, 3);
	assert_int_equal(c.failures, 1);
	assert_string_equal(c.last_error, "lens covered");
	assert_int_equal(c.last_error_at, 1700000000);
	r->now += 60;
	assert_int_equal(store_count_operation(s, "camera", true, "no light"), STORE_OK);
	assert_int_equal(store_device_counters(s, "camera", &c), STORE_OK);
	assert_int_equal(c.failures, 2);
	assert_string_equal(c.last_error, "no light");
	assert_int_equal(c.last_error_at, 1700000120);

	store_counters all[4];
	memset(all, 0, sizeof all);
	assert_int_equal(store_list_counters(s, collect_counters, all), STORE_OK);
	assert_string_equal(all[0].device, "camera");
	assert_string_equal(all[1].device, "pcsc:ACS ACR122U 00 00");
	assert_int_equal(all[1].failures, 1);
	assert_string_equal(all[1].last_error, "");
	assert_string_equal(all[2].device, "");

	/* Events: newest first, by device, at most max. */
	for (int i = 0; i < 5; i++) {
		char text[32];
		snprintf(text, sizeof text, "event %d", i);
		r->now++;
		assert_int_equal(store_log_event(s, i % 2 ? "printer" : "camera", "status", text), STORE_OK);
	}
	store_event evs[8];
	memset(evs, 0, sizeof evs);
	assert_int_equal(store_events(s, NULL, 3, collect_event, evs), STORE_OK);
	assert_string_equal(evs[0].text, "event 4");
	assert_string_equal(evs[0].device, "camera");
	assert_string_equal(evs[0].kind, "status");
	assert_int_equal(evs[0].at, 1700000125);
	assert_string_equal(evs[2].text, "event 2");
	assert_true(evs[0].id > evs[1].id && evs[1].id > evs[2].id);
	assert_int_equal(evs[3].id, 0);
	memset(evs, 0, sizeof evs);
	assert_int_equal(store_events(s, "printer", 10, collect_event, evs), STORE_OK);
	assert_string_equal(evs[0].text, "event 3");
	assert_string_equal(evs[1].text, "event 1");
	assert_int_equal(evs[2].id, 0);
	int calls = 0;
	assert_int_equal(store_events(s, NULL, 10, stop_after_one, &calls), STORE_OK);
	assert_int_equal(calls, 1);

	/* Long texts are cut at STORE_TEXT_MAX bytes, not inside a character. */
	char longtext[400] = "";
	for (int i = 0; i < 127; i++)
		strcat(longtext, "\xc3\xa9"); /* é: 254 bytes */
	strcat(longtext, "\xe2\x82\xac and more"); /* €: would end at byte 257 */
	assert_int_equal(store_log_event(s, "printer", "fault", longtext), STORE_OK);
	memset(evs, 0, sizeof evs);
	assert_int_equal(store_events(s, NULL, 1, collect_event, evs), STORE_OK);
	assert_int_equal(strlen(evs[0].text), 254);
	assert_int_equal(store_count_operation(s, "printer", true, longtext), STORE_OK);
	assert_int_equal(store_device_counters(s, "printer", &c), STORE_OK);
	assert_int_equal(strlen(c.last_error), 254);

	/* Only names and words: anything else is refused. */
	char toolong[STORE_NAME_MAX + 2];
	memset(toolong, 'a', sizeof toolong - 1);
	toolong[sizeof toolong - 1] = '\0';
	assert_int_equal(store_count_operation(s, toolong, false, NULL), STORE_ERR_ARG);
	toolong[STORE_NAME_MAX] = '\0';
	assert_int_equal(store_count_operation(s, toolong, false, NULL), STORE_OK);
	assert_int_equal(store_count_operation(s, "", false, NULL), STORE_ERR_ARG);
	assert_int_equal(store_count_operation(s, "cam\nera", false, NULL), STORE_ERR_ARG);
	assert_int_equal(store_log_event(s, "camera", "Fault", NULL), STORE_ERR_ARG);
	assert_int_equal(store_log_event(s, "camera", "a kind", NULL), STORE_ERR_ARG);
	assert_int_equal(store_log_event(s, "camera", NULL, NULL), STORE_ERR_ARG);
	assert_non_null(strstr(store_error_detail(s), "invalid"));
	assert_int_equal(store_device_counters(s, NULL, &c), STORE_ERR_ARG);
	assert_int_equal(store_events(s, NULL, 1, NULL, NULL), STORE_ERR_ARG);
	assert_int_equal(store_log_event(s, "camera", "ok", NULL), STORE_OK);
	assert_string_equal(store_error_detail(s), "");
	store_free(s);
}

/* Whether the bytes of text are anywhere in the file at path. */
static bool file_holds(const char *path, const char *text)
{
	size_t n = 0;
	unsigned char *b = read_bytes(path, &n);
	bool found = b && memmem(b, n, text, strlen(text)) != NULL;
	free(b);
	return found;
}

/* The applicant's session: saved after each step, the newest loaded,
 * wiped without a copy left in the database or its write-ahead log. */
static void test_sessions(void **state)
{
	rig *r = *state;
	store *s = open_ok(r->path, STORE_OPEN_CREATE);
	bool found = true;
	store_session got;
	assert_int_equal(store_session_load(s, &got, &found), STORE_OK);
	assert_false(found);
	store_session a = { .id = "7d3c0f6e-0000-4000-8000-000000000001", .state = "wait-review",
		            .resume = "wait-touch", .language = "en", .retries = 2, .skipped = 3,
		            .data = (char *)"{\"holder\":\"LESTARI MARKER-NAME\"}" };
	assert_int_equal(store_session_save(s, &a), STORE_OK);
	a.paid = true;
	strcpy(a.state, "wait-submission");
	assert_int_equal(store_session_save(s, &a), STORE_OK);
	assert_int_equal(store_session_load(s, &got, &found), STORE_OK);
	assert_true(found);
	assert_string_equal(got.id, a.id);
	assert_string_equal(got.state, "wait-submission");
	assert_string_equal(got.language, "en");
	assert_int_equal(got.retries, 2);
	assert_true(got.paid);
	assert_int_equal(got.skipped, 3);
	assert_string_equal(got.data, a.data);
	assert_true(got.started_at > 0 && got.updated_at >= got.started_at);
	free(got.data);
	/* Bad sessions are refused. */
	store_session bad = a;
	bad.state[0] = '\0';
	assert_int_equal(store_session_save(s, &bad), STORE_ERR_ARG);
	store_free(s);

	/* Kept across a restart; diag reads it but writes nothing. */
	s = open_ok(r->path, STORE_OPEN_EXISTING);
	assert_int_equal(store_session_load(s, &got, &found), STORE_OK);
	assert_true(found);
	free(got.data);
	assert_int_equal(store_session_wipe(s, a.id), STORE_ERR_READ_ONLY);
	store_free(s);

	s = open_ok(r->path, STORE_OPEN_CREATE);
	char wal[128];
	rig_file(r, "store.db-wal", wal);
	assert_true(file_holds(r->path, "MARKER-NAME") || file_holds(wal, "MARKER-NAME"));
	assert_int_equal(store_session_wipe(s, a.id), STORE_OK);
	assert_int_equal(store_session_load(s, &got, &found), STORE_OK);
	assert_false(found);
	/* No copy left, while the daemon still holds the store open. */
	assert_false(file_holds(r->path, "MARKER-NAME"));
	assert_false(file_holds(wal, "MARKER-NAME"));
	store_free(s);
	assert_false(file_holds(r->path, "MARKER-NAME"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_killed_daemon_keeps_data, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_random_bytes, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_text_file, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_page, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_missing, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_locked_in_process, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_locked_by_other_process, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_counters_and_events, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, rig_setup, rig_teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
