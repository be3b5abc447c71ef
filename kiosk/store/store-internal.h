/*
 * store-internal — what the store's files share and its tests may use:
 * the store object, the table of schema migrations (schema.c), an open
 * that takes another table (for tests of a failing migration), and the
 * helpers that turn an SQLite failure into a code and words.
 */
#pragma once

#include <sqlite3.h>

#include "kiosk/store/store.h"

/* 'APPM' in PRAGMA application_id: tells our files from other programs'. */
#define STORE_APPLICATION_ID 0x4150504d

/* One step of the schema: the SQL that takes a file from version - 1 to
 * version. Run in one transaction with the version bump; see schema.c. */
typedef struct store_migration {
	int version;
	const char *sql;
} store_migration;

/* The store's migrations, version 1 first (schema.c). */
extern const store_migration store_schema[];
extern const size_t store_schema_len;

struct store {
	sqlite3 *db;
	char *path;
	store_open_mode mode;
	int version;               /* the file's schema version */
	store_clock_fn clock;
	void *clock_user;
	char detail[512];          /* the words of the last failure */
};

/* store_open with another table of migrations (n rows, version 1 first):
 * tests use it to make a migration fail. */
store_err store_open_with(const char *path, store_open_mode mode, const store_migration *migrations, size_t n,
                          store **ret, char *why, size_t why_len);

/* The code for an SQLite result code (extended or primary). */
store_err store_err_from_sqlite(int rc);
/* Record a failure of s: code e, words "the store PATH <fmt...>". Returns e. */
store_err store_fail(store *s, store_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record that the SQLite call doing `what` failed with rc: its code, and
 * words with SQLite's message. Returns the code. */
store_err store_fail_sqlite(store *s, int rc, const char *what);
/* What every record call shares (records.c): the start of a call
 * (clears the last words; a write to a read-only store is refused), a
 * statement prepared, one run to its end and finalized, a text column
 * copied, and how many bytes of a text to keep (STORE_TEXT_MAX at most,
 * never half a UTF-8 character). */
store_err store_begin(store *s, bool writes, const char *what);
store_err store_prepare(store *s, const char *sql, sqlite3_stmt **ret, const char *what);
store_err store_run(store *s, sqlite3_stmt *st, const char *what);
bool store_column_text(sqlite3_stmt *st, int col, char *out, size_t len);
int store_text_len(const char *text);

/* Now, by the store's clock. */
int64_t store_now(const store *s);
