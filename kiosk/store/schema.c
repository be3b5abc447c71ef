/*
 * schema — the store's tables, as the list of steps that build them: row N
 * takes a file from schema version N - 1 to N. store_open applies the rows
 * a file lacks, in order, each in its own transaction together with the
 * bump of PRAGMA user_version, so a file is always at exactly one version
 * and a failed step leaves it at the one before.
 *
 * To add to the schema (sessions, payments, the outbox, the audit chain):
 * append one row, { N + 1, "SQL" }, and nothing else. Never edit or remove
 * a row once released: kiosks in the field are at every version and each
 * must reach the newest by the same steps. The SQL:
 *   - may hold several statements, but no BEGIN, COMMIT, ROLLBACK,
 *     SAVEPOINT, ATTACH or DETACH: the step is one transaction already,
 *     and SQLite refuses those statements while a step runs;
 *   - runs with foreign keys off, so a table can be rebuilt the way
 *     SQLite's ALTER TABLE documentation describes (create new, copy,
 *     drop old, rename); PRAGMA foreign_key_check runs before the commit
 *     and a step leaving a dangling reference fails;
 *   - uses STRICT tables, money as INTEGER minor units, times as INTEGER
 *     UTC seconds;
 *   - keeps personal data out unless the issue adding it says how it is
 *     protected.
 * Then test it in tests/store (a file at the previous version must reach
 * the new one with its rows kept).
 */
#include "kiosk/store/store-internal.h"

const store_migration store_schema[] = {
	/* 1: per-device counters and the device event log. */
	{ 1,
	  "CREATE TABLE device_counters ("
	  " device TEXT PRIMARY KEY NOT NULL,"
	  " operations INTEGER NOT NULL DEFAULT 0 CHECK (operations >= 0),"
	  " failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0 AND failures <= operations),"
	  " last_error TEXT,"
	  " last_error_at INTEGER"
	  ") STRICT;"
	  "CREATE TABLE device_events ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " at INTEGER NOT NULL,"
	  " device TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " text TEXT NOT NULL DEFAULT ''"
	  ") STRICT;"
	  "CREATE INDEX device_events_by_device ON device_events (device, id);" },
	/* 2: the applicant's session, so that a restart of the daemon resumes
	 * or ends it (kiosk/flow). Its personal data (data: JSON) live only
	 * until the session is wiped, which deletes the row under
	 * secure_delete and truncates the write-ahead log (sessions.c). */
	{ 2,
	  "CREATE TABLE sessions ("
	  " id TEXT PRIMARY KEY NOT NULL,"
	  " state TEXT NOT NULL,"
	  " resume TEXT NOT NULL,"
	  " language TEXT NOT NULL,"
	  " retries INTEGER NOT NULL CHECK (retries >= 0),"
	  " paid INTEGER NOT NULL CHECK (paid IN (0, 1)),"
	  " skipped INTEGER NOT NULL CHECK (skipped >= 0),"
	  " data TEXT,"
	  " started_at INTEGER NOT NULL,"
	  " updated_at INTEGER NOT NULL"
	  ") STRICT;" },
};

const size_t store_schema_len = sizeof store_schema / sizeof store_schema[0];
