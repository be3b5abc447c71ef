/*
 * test_store_migrate — the store's schema migrations (kiosk/store/schema.c
 * and store_open_with from store-internal.h): a file at an older version
 * is brought up step by step with its rows kept; a failing step (bad SQL,
 * a dangling reference, a step that tries to end its transaction) is
 * rolled back and leaves the file at the version before, which opens
 * again; diag's open refuses writes in SQLite itself; and store_open,
 * migrations and writes with the Nth allocation failing (SQLite's and
 * the store's own), which must end in success or STORE_ERR_NOMEM, never
 * in a misdiagnosis (a good store called damaged or foreign), a leak or a
 * file that no longer opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kiosk/store/store-internal.h"
#include "tests/common/fault.h"
#include "tests/store/rig.h"

static store *open_with(const char *path, const store_migration *m, size_t n)
{
	store *s = NULL;
	char why[256] = "";
	store_err e = store_open_with(path, STORE_OPEN_CREATE, m, n, &s, why, sizeof why);
	if (e != STORE_OK)
		fail_msg("store_open_with: %s (%s)", store_strerror(e), why);
	return s;
}

/* Expect a migration failure that leaves the file at version stays. */
static void expect_failed_step(const char *path, const store_migration *m, size_t n, int stays, const char *words)
{
	store *s = NULL;
	char why[256] = "";
	assert_int_equal(store_open_with(path, STORE_OPEN_CREATE, m, n, &s, why, sizeof why), STORE_ERR_MIGRATION);
	assert_null(s);
	char said[96];
	snprintf(said, sizeof said, "to %d, and stays at %d", stays + 1, stays);
	if (!strstr(why, said) || !strstr(why, words) || !strstr(why, path))
		fail_msg("\"%s\" does not say \"%s\" and \"%s\"", why, said, words);
	assert_int_equal(raw_int(path, "PRAGMA user_version"), stays);
}

/* A later issue's step: what appending a row to store_schema looks like. */
static const char step_next[] = "ALTER TABLE device_counters ADD COLUMN resets INTEGER NOT NULL DEFAULT 0;"
                                "CREATE TABLE later (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL) STRICT;";

static void test_older_file_brought_up(void **state)
{
	rig *r = *state;
	/* This appm's steps, and one more from a later appm. */
	const int newest = store_schema_newest();
	store_migration m[16];
	assert_true((size_t)newest < sizeof m / sizeof m[0]);
	for (int i = 0; i < newest; i++)
		m[i] = store_schema[i];
	m[newest] = (store_migration){ newest + 1, step_next };

	store *s = open_with(r->path, m, (size_t)newest);
	assert_int_equal(store_schema_version(s), newest);
	assert_int_equal(store_count_operation(s, "passport", true, "chip silent"), STORE_OK);
	assert_int_equal(store_log_event(s, "passport", "fault", "chip silent"), STORE_OK);
	store_free(s);

	/* diag of the newer appm will not read it before the daemon has. */
	s = NULL;
	char why[256], said[128];
	assert_int_equal(store_open_with(r->path, STORE_OPEN_EXISTING, m, (size_t)newest + 1, &s, why, sizeof why),
	                 STORE_ERR_OLDER);
	snprintf(said, sizeof said, "schema version %d but this appm reads version %d", newest, newest + 1);
	assert_non_null(strstr(why, said));

	s = open_with(r->path, m, (size_t)newest + 1);
	assert_int_equal(store_schema_version(s), newest + 1);
	store_counters c;
	assert_int_equal(store_device_counters(s, "passport", &c), STORE_OK);
	assert_int_equal(c.operations, 1);
	assert_string_equal(c.last_error, "chip silent");
	store_free(s);
	assert_int_equal(raw_int(r->path, "SELECT resets FROM device_counters"), 0);
	assert_true(raw_has(r->path, "later"));

	/* And this appm, which knows only up to newest, refuses it. */
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, &s, why, sizeof why), STORE_ERR_NEWER);
	snprintf(said, sizeof said, "schema version %d but this appm knows up to %d", newest + 1, newest);
	assert_non_null(strstr(why, said));
}

/* A step may rebuild a table others refer to, as SQLite's documentation
 * for ALTER TABLE describes: foreign keys are off while it runs. */
static void test_step_rebuilds_a_table(void **state)
{
	rig *r = *state;
	const store_migration m[] = {
		store_schema[0],
		{ 2, "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT) STRICT;"
		     "CREATE TABLE child (p INTEGER NOT NULL REFERENCES parent (id)) STRICT;"
		     "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (1);" },
		{ 3, "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '') STRICT;"
		     "INSERT INTO parent_new SELECT id, coalesce(name, '') FROM parent;"
		     "DROP TABLE parent;"
		     "ALTER TABLE parent_new RENAME TO parent;" },
	};
	store *s = open_with(r->path, m, 3);
	assert_int_equal(store_schema_version(s), 3);
	store_free(s);
	assert_int_equal(raw_int(r->path, "SELECT count(*) FROM child JOIN parent ON parent.id = child.p"), 1);
}

static void test_failed_step_rolled_back(void **state)
{
	rig *r = *state;
	/* Step 2 makes a table, then fails: neither is kept. */
	store_migration bad[2] = {
		store_schema[0],
		{ 2, "CREATE TABLE extra (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);" },
	};
	expect_failed_step(r->path, bad, 2, 1, "no such table: nowhere");
	assert_false(raw_has(r->path, "extra"));
	assert_true(raw_has(r->path, "device_counters"));

	/* A step leaving a reference to a missing row. */
	bad[1].sql = "CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;"
	             "CREATE TABLE child (p INTEGER REFERENCES parent (id)) STRICT;"
	             "INSERT INTO child VALUES (5);";
	expect_failed_step(r->path, bad, 2, 1, "rows of table child refer to missing rows");
	assert_false(raw_has(r->path, "parent"));

	/* A step that would commit half of itself. */
	bad[1].sql = "CREATE TABLE extra (x INTEGER) STRICT; COMMIT; CREATE TABLE more (y INTEGER) STRICT;";
	expect_failed_step(r->path, bad, 2, 1, "the step holds BEGIN, COMMIT");
	assert_false(raw_has(r->path, "extra"));

	/* The file still opens with this appm, which brings it up to date. */
	store *s = NULL;
	char why[256];
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, &s, why, sizeof why), STORE_OK);
	assert_int_equal(store_schema_version(s), store_schema_newest());
	store_free(s);
}

/* A new file whose first step fails stays an empty version-0 file, which
 * the next open sets up. */
static void test_failed_first_step(void **state)
{
	rig *r = *state;
	const store_migration bad[] = { { 1, "CREATE TABLE t (x INTEGER) STRICT; CREATE TABLE t (y INTEGER);" } };
	expect_failed_step(r->path, bad, 1, 0, "table t already exists");
	assert_int_equal(raw_int(r->path, "SELECT count(*) FROM sqlite_master"), 0);
	store *s = NULL;
	char why[256];
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, &s, why, sizeof why), STORE_OK);
	assert_int_equal(store_schema_version(s), store_schema_newest());
	store_free(s);
}

/* diag's store refuses writes in SQLite too, not only in the store's
 * functions. */
static void test_existing_is_query_only(void **state)
{
	rig *r = *state;
	store *s = NULL;
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, &s, NULL, 0), STORE_OK);
	store_free(s);
	s = NULL;
	assert_int_equal(store_open(r->path, STORE_OPEN_EXISTING, &s, NULL, 0), STORE_OK);
	int rc = sqlite3_exec(s->db, "INSERT INTO device_events (at, device, kind) VALUES (1, 'x', 'y')", NULL, NULL,
	                      NULL);
	assert_int_equal(rc & 0xff, SQLITE_READONLY);
	store_free(s);
	assert_int_equal(raw_int(r->path, "SELECT count(*) FROM device_events"), 0);
}

static void test_table_out_of_order(void **state)
{
	rig *r = *state;
	const store_migration gap[] = { store_schema[0], { 3, "SELECT 1;" } };
	store *s = NULL;
	char why[256];
	assert_int_equal(store_open_with(r->path, STORE_OPEN_CREATE, gap, 2, &s, why, sizeof why), STORE_ERR_ARG);
	assert_non_null(strstr(why, "out of order"));
	assert_int_equal(file_mode(r->path), -1);
}

/* ---- allocation failures ---- */

/* SQLite's own allocator, which the fault plan stands in front of. */
static sqlite3_mem_methods sqlite_mem;

static void *faulty_malloc(int n)
{
	return fault_plan_hit(&fault_alloc) ? NULL : sqlite_mem.xMalloc(n);
}

static void *faulty_realloc(void *p, int n)
{
	return fault_plan_hit(&fault_alloc) ? NULL : sqlite_mem.xRealloc(p, n);
}

static int install_faulty_allocator(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) != SQLITE_OK)
		return -1;
	sqlite3_mem_methods m = sqlite_mem;
	m.xMalloc = faulty_malloc;
	m.xRealloc = faulty_realloc;
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK ? 0 : -1;
}

/* What runs with allocations failing: returns its first error. */
typedef store_err (*fault_op)(rig *r, store **s);

static store_err op_open_existing(rig *r, store **s)
{
	return store_open(r->path, STORE_OPEN_EXISTING, s, NULL, 0);
}

static bool count_event(const store_event *ev, void *user)
{
	(*(int *)user)++;
	return true;
}

static store_err op_open_and_use(rig *r, store **s)
{
	store_err e = store_open(r->path, STORE_OPEN_CREATE, s, NULL, 0);
	if (e == STORE_OK)
		e = store_count_operation(*s, "camera", true, "lens covered");
	if (e == STORE_OK)
		e = store_log_event(*s, "camera", "fault", "lens covered");
	store_counters c;
	if (e == STORE_OK)
		e = store_device_counters(*s, "camera", &c);
	int n = 0;
	if (e == STORE_OK)
		e = store_events(*s, NULL, 10, count_event, &n);
	return e;
}

/* Run op with the 1st, 2nd, ... allocation failing until a run gets
 * through with none failing. Each run must end in success or
 * STORE_ERR_NOMEM, and leave a store that opens, at the newest version,
 * with every completed write in it (at most `writes` rows of each). */
static void fault_loop(rig *r, fault_op op, unsigned long writes)
{
	for (unsigned long at = 1;; at++) {
		store *s = NULL;
		fault_plan_arm(&fault_alloc, at);
		store_err e = op(r, &s);
		bool reached = fault_plan_reached(&fault_alloc);
		fault_plan_arm(&fault_alloc, 0);
		const char *said = s ? store_error_detail(s) : "";
		if (e != STORE_OK && e != STORE_ERR_NOMEM)
			fail_msg("allocation %lu failing: %s (%s)", at, store_strerror(e), said);
		if (!reached && e != STORE_OK)
			fail_msg("no allocation failing, run %lu: %s (%s)", at, store_strerror(e), said);
		store_free(s);

		s = NULL;
		char why[256];
		e = store_open(r->path, STORE_OPEN_CREATE, &s, why, sizeof why);
		if (e != STORE_OK)
			fail_msg("after allocation %lu failed, the store does not open: %s", at, why);
		assert_int_equal(store_schema_version(s), store_schema_newest());
		store_counters c;
		assert_int_equal(store_device_counters(s, "camera", &c), STORE_OK);
		assert_true(c.operations <= writes);
		store_free(s);
		if (!reached)
			break;
	}
}

static void test_faults_existing_store(void **state)
{
	rig *r = *state;
	store *s = NULL;
	assert_int_equal(store_open(r->path, STORE_OPEN_CREATE, &s, NULL, 0), STORE_OK);
	assert_int_equal(store_log_event(s, "camera", "status", "online"), STORE_OK);
	store_free(s);
	fault_loop(r, op_open_existing, 0);
	fault_loop(r, op_open_and_use, 1000);
}

/* Each failing run starts from a new file: the migration itself under
 * failing allocations, then the writes. */
static store_err op_fresh_open_and_use(rig *r, store **s)
{
	fault_plan saved = fault_alloc;
	fault_plan_arm(&fault_alloc, 0);
	remove(r->path);
	fault_alloc = saved;
	return op_open_and_use(r, s);
}

static void test_faults_migration(void **state)
{
	rig *r = *state;
	fault_loop(r, op_fresh_open_and_use, 1);
}

int main(void)
{
	if (install_faulty_allocator() != 0) {
		fprintf(stderr, "test_store_migrate: cannot install the allocator\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_older_file_brought_up, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_step_rebuilds_a_table, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_failed_step_rolled_back, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_failed_first_step, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_existing_is_query_only, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_table_out_of_order, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_faults_existing_store, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_faults_migration, rig_setup, rig_teardown),
	};
	return cmocka_run_group_tests_name("store-migrate", tests, NULL, NULL);
}
