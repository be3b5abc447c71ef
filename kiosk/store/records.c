/*
 * records — what the store keeps today: each device's counters and the
 * device event log (schema version 1); see store.h. Every write is one
 * autocommit statement: with synchronous=FULL it is on disk when the call
 * returns. Names and kinds are checked here, so that only device names
 * and event words reach the file.
 */
#include "kiosk/store/store-internal.h"

#include <stdio.h>
#include <string.h>

static bool valid_device(const char *name)
{
	if (!name || !*name)
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		if (n >= STORE_NAME_MAX || *p < 0x20 || *p > 0x7e)
			return false;
	}
	return true;
}

static bool valid_kind(const char *kind)
{
	if (!kind || !*kind)
		return false;
	size_t n = 0;
	for (const char *p = kind; *p; p++, n++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.';
		if (n >= STORE_KIND_MAX || !ok)
			return false;
	}
	return true;
}

/* How many bytes of text to keep: at most STORE_TEXT_MAX, not cutting a
 * UTF-8 character in two. */
int store_text_len(const char *text)
{
	size_t n = strlen(text);
	if (n <= STORE_TEXT_MAX)
		return (int)n;
	n = STORE_TEXT_MAX;
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* The start of every call: clear the last words, check the store
 * (store-internal.h). */
store_err store_begin(store *s, bool writes, const char *what)
{
	if (!s)
		return STORE_ERR_ARG;
	s->detail[0] = '\0';
	if (writes && s->mode == STORE_OPEN_EXISTING)
		return store_fail(s, STORE_ERR_READ_ONLY, "was opened read only: %s is not written", what);
	return STORE_OK;
}

store_err store_prepare(store *s, const char *sql, sqlite3_stmt **ret, const char *what)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
	return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, what);
}

/* Run a statement that returns no rows, then finalize it. */
store_err store_run(store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	store_err e = rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, what);
	sqlite3_finalize(st);
	return e;
}

/* Column col as text into out; false when SQLite ran out of memory. */
bool store_column_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	if (!text && sqlite3_column_type(st, col) != SQLITE_NULL)
		return false;
	snprintf(out, len, "%s", text ? (const char *)text : "");
	return true;
}

store_err store_count_operation(store *s, const char *device, bool failed, const char *error_text)
{
	static const char what[] = "count an operation";
	store_err e = store_begin(s, true, what);
	if (e != STORE_OK)
		return e;
	if (!valid_device(device))
		return store_fail(s, STORE_ERR_ARG, "was given an invalid device name to count");
	/* One statement, so the counters and the last error move together. */
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	            "INSERT INTO device_counters (device, operations, failures, last_error, last_error_at)"
	            " VALUES (?1, 1, ?2, ?3, ?4)"
	            " ON CONFLICT (device) DO UPDATE SET"
	            "  operations = operations + 1,"
	            "  failures = failures + excluded.failures,"
	            "  last_error = CASE WHEN excluded.failures THEN excluded.last_error ELSE last_error END,"
	            "  last_error_at = CASE WHEN excluded.failures THEN excluded.last_error_at ELSE last_error_at END",
	            &st, what);
	if (e != STORE_OK)
		return e;
	const char *text = error_text ? error_text : "";
	int rc = sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, failed ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = failed ? sqlite3_bind_text(st, 3, text, store_text_len(text), SQLITE_STATIC) : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = failed ? sqlite3_bind_int64(st, 4, store_now(s)) : sqlite3_bind_null(st, 4);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	return store_run(s, st, what);
}

/* A counters row (device, operations, failures, last_error, last_error_at)
 * into *c. */
static store_err read_counters(store *s, sqlite3_stmt *st, store_counters *c, const char *what)
{
	memset(c, 0, sizeof *c);
	if (!store_column_text(st, 0, c->device, sizeof c->device) ||
	    !store_column_text(st, 3, c->last_error, sizeof c->last_error))
		return store_fail_sqlite(s, SQLITE_NOMEM, what);
	sqlite3_int64 ops = sqlite3_column_int64(st, 1), fails = sqlite3_column_int64(st, 2);
	c->operations = ops > 0 ? (uint64_t)ops : 0;
	c->failures = fails > 0 ? (uint64_t)fails : 0;
	c->last_error_at = sqlite3_column_int64(st, 4);
	return STORE_OK;
}

store_err store_device_counters(store *s, const char *device, store_counters *ret)
{
	static const char what[] = "read a device's counters";
	store_err e = store_begin(s, false, what);
	if (e != STORE_OK)
		return e;
	if (!valid_device(device) || !ret)
		return store_fail(s, STORE_ERR_ARG, "was asked for the counters of an invalid device name");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	            "SELECT device, operations, failures, last_error, last_error_at"
	            " FROM device_counters WHERE device = ?1",
	            &st, what);
	if (e != STORE_OK)
		return e;
	int rc = sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	store_counters c;
	if (rc == SQLITE_ROW) {
		e = read_counters(s, st, &c, what);
	} else if (rc == SQLITE_DONE) {
		memset(&c, 0, sizeof c);
		snprintf(c.device, sizeof c.device, "%s", device);
	} else {
		e = store_fail_sqlite(s, rc, what);
	}
	sqlite3_finalize(st);
	if (e == STORE_OK)
		*ret = c;
	return e;
}

store_err store_list_counters(store *s, store_counters_fn fn, void *user)
{
	static const char what[] = "list the devices' counters";
	store_err e = store_begin(s, false, what);
	if (e != STORE_OK)
		return e;
	if (!fn)
		return store_fail(s, STORE_ERR_ARG, "was asked to list counters to nobody");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	            "SELECT device, operations, failures, last_error, last_error_at"
	            " FROM device_counters ORDER BY device",
	            &st, what);
	if (e != STORE_OK)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_counters c;
		e = read_counters(s, st, &c, what);
		if (e != STORE_OK || !fn(&c, user))
			break;
	}
	if (e == STORE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = store_fail_sqlite(s, rc, what);
	sqlite3_finalize(st);
	return e;
}

store_err store_log_event(store *s, const char *device, const char *kind, const char *text)
{
	static const char what[] = "log an event";
	store_err e = store_begin(s, true, what);
	if (e != STORE_OK)
		return e;
	if (!valid_device(device) || !valid_kind(kind))
		return store_fail(s, STORE_ERR_ARG, "was given an invalid device name or event kind to log");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s, "INSERT INTO device_events (at, device, kind, text) VALUES (?1, ?2, ?3, ?4)", &st, what);
	if (e != STORE_OK)
		return e;
	const char *t = text ? text : "";
	int rc = sqlite3_bind_int64(st, 1, store_now(s));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, t, store_text_len(t), SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	return store_run(s, st, what);
}

store_err store_events(store *s, const char *device, size_t max, store_event_fn fn, void *user)
{
	static const char what[] = "list events";
	store_err e = store_begin(s, false, what);
	if (e != STORE_OK)
		return e;
	if ((device && !valid_device(device)) || !fn)
		return store_fail(s, STORE_ERR_ARG, "was asked for events of an invalid device name, or to nobody");
	if (max == 0)
		return STORE_OK;
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	            "SELECT id, at, device, kind, text FROM device_events"
	            " WHERE ?1 IS NULL OR device = ?1 ORDER BY id DESC LIMIT ?2",
	            &st, what);
	if (e != STORE_OK)
		return e;
	int rc = device ? sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_event ev;
		memset(&ev, 0, sizeof ev);
		ev.id = sqlite3_column_int64(st, 0);
		ev.at = sqlite3_column_int64(st, 1);
		if (!store_column_text(st, 2, ev.device, sizeof ev.device) || !store_column_text(st, 3, ev.kind, sizeof ev.kind) ||
		    !store_column_text(st, 4, ev.text, sizeof ev.text)) {
			e = store_fail_sqlite(s, SQLITE_NOMEM, what);
			break;
		}
		if (!fn(&ev, user))
			break;
	}
	if (e == STORE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = store_fail_sqlite(s, rc, what);
	sqlite3_finalize(st);
	return e;
}
