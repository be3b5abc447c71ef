/*
 * devices/backend/db.c — appm-backend's SQLite database (db.h). The
 * application number is derived from the row's sequence number in the same
 * transaction as the insert, so a number is never handed out twice and a
 * repeated application id always finds the first one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "devices/backend/db.h"

struct be_db {
	sqlite3 *sql;
	pthread_mutex_t lock;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS lost ("
	"  document_number TEXT PRIMARY KEY) STRICT;"
	"CREATE TABLE IF NOT EXISTS applications ("
	"  seq INTEGER PRIMARY KEY,"
	"  application_id TEXT NOT NULL UNIQUE,"
	"  number TEXT UNIQUE,"
	"  document_number TEXT NOT NULL,"
	"  content TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'received',"
	"  received TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))) STRICT;";

be_err be_db_open(const char *path, be_db **ret_db, char *why, size_t why_len)
{
	be_db *db = calloc(1, sizeof *db);
	if (db == NULL)
		return BE_ERR_NOMEM;
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(why, why_len, "%s: %s", path, db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
		goto out_close;
	}
	sqlite3_busy_timeout(db->sql, 5000);
	char *err = NULL;
	if (sqlite3_exec(db->sql, schema, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(why, why_len, "%s: %s", path, err ? err : "cannot set up");
		sqlite3_free(err);
		goto out_close;
	}
	pthread_mutex_init(&db->lock, NULL);
	*ret_db = db;
	return BE_OK;
out_close:
	sqlite3_close(db->sql);
	free(db);
	return BE_ERR_DB;
}

void be_db_free(be_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->sql);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

be_err be_db_add_lost(be_db *db, const char *document_number)
{
	sqlite3_stmt *st;
	be_err e = BE_ERR_DB;
	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->sql, "INSERT OR IGNORE INTO lost VALUES (?)", -1, &st, NULL) != SQLITE_OK)
		goto out_unlock;
	sqlite3_bind_text(st, 1, document_number, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		e = BE_OK;
	sqlite3_finalize(st);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return e;
}

be_err be_db_is_lost(be_db *db, const char *document_number, bool *ret_lost)
{
	sqlite3_stmt *st;
	be_err e = BE_ERR_DB;
	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM lost WHERE document_number = ?", -1, &st, NULL) != SQLITE_OK)
		goto out_unlock;
	sqlite3_bind_text(st, 1, document_number, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*ret_lost = rc == SQLITE_ROW;
		e = BE_OK;
	}
	sqlite3_finalize(st);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return e;
}

/* The number and content stored for id: BE_OK, BE_ERR_NOT_FOUND or
 * BE_ERR_DB; *ret_same says whether content is the same. */
static be_err find_application(be_db *db, const be_application *app, char *ret_number,
			       size_t number_len, bool *ret_same)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql, "SELECT number, content FROM applications WHERE application_id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return BE_ERR_DB;
	sqlite3_bind_text(st, 1, app->application_id, -1, SQLITE_STATIC);
	be_err e = BE_ERR_DB;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		e = BE_ERR_NOT_FOUND;
	} else if (rc == SQLITE_ROW) {
		snprintf(ret_number, number_len, "%s", (const char *)sqlite3_column_text(st, 0));
		*ret_same = strcmp((const char *)sqlite3_column_text(st, 1), app->canonical) == 0;
		e = BE_OK;
	}
	sqlite3_finalize(st);
	return e;
}

static be_err insert_application(be_db *db, const be_application *app)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql, "INSERT INTO applications (application_id, document_number, content)"
			       " VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return BE_ERR_DB;
	sqlite3_bind_text(st, 1, app->application_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app->document.document_number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, app->canonical, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return BE_ERR_DB;
	/* R + the year + the sequence: R2026-000042. */
	if (sqlite3_exec(db->sql, "UPDATE applications SET number = printf('R%s-%06d', "
			 "substr(received, 1, 4), seq) WHERE seq = last_insert_rowid()",
			 NULL, NULL, NULL) != SQLITE_OK)
		return BE_ERR_DB;
	return BE_OK;
}

be_err be_db_submit(be_db *db, const be_application *app, char *ret_number, size_t number_len,
		    bool *ret_created)
{
	char number[32];
	bool same = false, created = false;
	pthread_mutex_lock(&db->lock);
	be_err e = BE_ERR_DB;
	if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out_unlock;
	e = find_application(db, app, number, sizeof number, &same);
	if (e == BE_ERR_NOT_FOUND) {
		e = insert_application(db, app);
		if (e == BE_OK)
			e = find_application(db, app, number, sizeof number, &same);
		created = true;
	}
	if (e == BE_OK && sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		e = BE_ERR_DB;
	if (e != BE_OK)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	else if (!same)
		e = BE_ERR_CONFLICT;
out_unlock:
	pthread_mutex_unlock(&db->lock);
	if (e == BE_OK) {
		snprintf(ret_number, number_len, "%s", number);
		*ret_created = created;
	}
	return e;
}

be_err be_db_status(be_db *db, const char *number, char *ret_status, size_t status_len,
		    char *ret_received, size_t received_len)
{
	sqlite3_stmt *st;
	be_err e = BE_ERR_DB;
	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->sql, "SELECT status, received FROM applications WHERE number = ?",
			       -1, &st, NULL) != SQLITE_OK)
		goto out_unlock;
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		e = BE_ERR_NOT_FOUND;
	} else if (rc == SQLITE_ROW) {
		snprintf(ret_status, status_len, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(ret_received, received_len, "%s", (const char *)sqlite3_column_text(st, 1));
		e = BE_OK;
	}
	sqlite3_finalize(st);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return e;
}
