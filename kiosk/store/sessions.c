/*
 * sessions — the applicant's session in the store (schema version 2);
 * see store.h. One row per session, written after every step of the
 * journey so that a restart of the daemon finds where it was. Wiping
 * deletes the row with secure_delete on (set at open: the freed page is
 * overwritten) and then checkpoints the write-ahead log with TRUNCATE,
 * so that the WAL holds no older copy of the row either.
 */
#include "kiosk/store/store-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_text(const char *text, size_t cap)
{
	return text && text[0] && strlen(text) < cap;
}

store_err store_session_save(store *s, const store_session *session)
{
	static const char what[] = "save the session";
	store_err e = store_begin(s, true, what);
	if (e != STORE_OK)
		return e;
	if (!session || !valid_text(session->id, sizeof(session->id)) ||
	    !valid_text(session->state, sizeof(session->state)) ||
	    !valid_text(session->resume, sizeof(session->resume)) ||
	    !valid_text(session->language, sizeof(session->language)) || session->retries < 0)
		return store_fail(s, STORE_ERR_ARG, "was given an invalid session to save");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	                  "INSERT INTO sessions (id, state, resume, language, retries, paid, skipped, data,"
	                  " started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
	                  " ON CONFLICT (id) DO UPDATE SET state = excluded.state, resume = excluded.resume,"
	                  "  language = excluded.language, retries = excluded.retries, paid = excluded.paid,"
	                  "  skipped = excluded.skipped, data = excluded.data, updated_at = excluded.updated_at",
	                  &st, what);
	if (e != STORE_OK)
		return e;
	int rc = sqlite3_bind_text(st, 1, session->id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, session->state, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, session->resume, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, session->language, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, session->retries);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, session->paid ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, (sqlite3_int64)session->skipped);
	if (rc == SQLITE_OK)
		rc = session->data ? sqlite3_bind_text(st, 8, session->data, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 8);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, store_now(s));
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	return store_run(s, st, what);
}

store_err store_session_load(store *s, store_session *ret, bool *found)
{
	static const char what[] = "load the session";
	store_err e = store_begin(s, false, what);
	if (e != STORE_OK)
		return e;
	if (!ret || !found)
		return store_fail(s, STORE_ERR_ARG, "was asked to load a session into nothing");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s,
	                  "SELECT id, state, resume, language, retries, paid, skipped, data, started_at, updated_at"
	                  " FROM sessions ORDER BY updated_at DESC, rowid DESC LIMIT 1",
	                  &st, what);
	if (e != STORE_OK)
		return e;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		*found = false;
		return STORE_OK;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	store_session x = { .retries = sqlite3_column_int(st, 4), .paid = sqlite3_column_int(st, 5) != 0,
		            .skipped = (unsigned)sqlite3_column_int64(st, 6),
		            .started_at = sqlite3_column_int64(st, 8), .updated_at = sqlite3_column_int64(st, 9) };
	bool ok = store_column_text(st, 0, x.id, sizeof(x.id)) && store_column_text(st, 1, x.state, sizeof(x.state)) &&
	          store_column_text(st, 2, x.resume, sizeof(x.resume)) &&
	          store_column_text(st, 3, x.language, sizeof(x.language));
	const unsigned char *data = sqlite3_column_text(st, 7);
	if (ok && data) {
		x.data = strdup((const char *)data);
		ok = x.data != NULL;
	}
	sqlite3_finalize(st);
	if (!ok) {
		free(x.data);
		return store_fail(s, STORE_ERR_NOMEM, "ran out of memory to %s", what);
	}
	*ret = x;
	*found = true;
	return STORE_OK;
}

store_err store_session_wipe(store *s, const char *id)
{
	static const char what[] = "wipe the session";
	store_err e = store_begin(s, true, what);
	if (e != STORE_OK)
		return e;
	if (!id)
		return store_fail(s, STORE_ERR_ARG, "was asked to wipe no session");
	sqlite3_stmt *st = NULL;
	e = store_prepare(s, "DELETE FROM sessions WHERE id = ?1", &st, what);
	if (e != STORE_OK)
		return e;
	int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_fail_sqlite(s, rc, what);
	}
	e = store_run(s, st, what);
	if (e != STORE_OK)
		return e;
	/* The WAL still holds the row's earlier pages: copy back and empty it. */
	int log = 0, done = 0;
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, "empty the write-ahead log after a wipe");
}
