/*
 * store — opening the kiosk's database: making or finding the file, the
 * exclusive lock, the checks that refuse a file we must not use, and the
 * schema migrations; the error words. The records themselves are in
 * records.c, the tables in schema.c; see store.h.
 *
 * Opening, in order, and why in this order:
 *   1. The file. The daemon creates a missing one itself, empty, with
 *      O_EXCL and mode 0600 (SQLite gives its -wal file the same mode), so
 *      SQLite is never asked to create anything: it opens without
 *      SQLITE_OPEN_CREATE, and a file that vanished is an error, not a
 *      fresh start. A missing directory and a missing file are told apart.
 *   2. The lock: PRAGMA locking_mode=EXCLUSIVE, then BEGIN EXCLUSIVE;
 *      COMMIT takes the file's exclusive lock, and exclusive mode keeps it
 *      until close. The busy timeout is 0, so a second opener (another
 *      process, or another connection in this one) gets SQLITE_BUSY at
 *      once: STORE_ERR_LOCKED. This is also the first read of the file's
 *      header: a file that is not a database fails here (SQLITE_NOTADB).
 *      WAL mode entered while exclusive keeps its index in memory: no -shm
 *      file, and no reader can slip in beside the daemon.
 *   3. PRAGMA quick_check, before anything is written.
 *   4. Whose file, which version: application_id and user_version, and
 *      for a version-0 file whether it holds tables (someone else's).
 *   5. WAL, synchronous=FULL, foreign keys; then the migrations (daemon)
 *      or query_only (diag).
 */
#include "kiosk/store/store-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *store_strerror(store_err e)
{
	switch (e) {
	case STORE_OK: return "success";
	case STORE_ERR_ARG: return "invalid argument";
	case STORE_ERR_NOMEM: return "out of memory";
	case STORE_ERR_MISSING: return "the store does not exist";
	case STORE_ERR_NO_DIR: return "the store's directory does not exist";
	case STORE_ERR_ACCESS: return "permission denied on the store";
	case STORE_ERR_CORRUPT: return "the store is not an SQLite database or is damaged";
	case STORE_ERR_FOREIGN: return "the file is not an APPM store";
	case STORE_ERR_NEWER: return "the store's schema is newer than this appm knows";
	case STORE_ERR_OLDER: return "the store's schema is older than this appm's: the daemon brings it up to date";
	case STORE_ERR_LOCKED: return "the store is in use by another process";
	case STORE_ERR_MIGRATION: return "the store's schema could not be brought up to date";
	case STORE_ERR_READ_ONLY: return "the store was opened read only";
	case STORE_ERR_FULL: return "the disk holding the store is full";
	case STORE_ERR_IO: return "the store could not be read or written";
	}
	return "unknown store error";
}

store_err store_err_from_sqlite(int rc)
{
	if (rc == SQLITE_IOERR_NOMEM)
		return STORE_ERR_NOMEM;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_OK;
	case SQLITE_NOMEM:
		return STORE_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_LOCKED;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_ERR_CORRUPT;
	case SQLITE_FULL:
		return STORE_ERR_FULL;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return STORE_ERR_ACCESS;
	default:
		return STORE_ERR_IO;
	}
}

store_err store_fail(store *s, store_err e, const char *fmt, ...)
{
	int n = snprintf(s->detail, sizeof s->detail, "the store %s ", s->path);
	if (n < 0 || (size_t)n >= sizeof s->detail)
		return e;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->detail + n, sizeof s->detail - (size_t)n, fmt, ap);
	va_end(ap);
	return e;
}

/* SQLite's words for the last failure, with the system's when it has some. */
static void sqlite_words(sqlite3 *db, int rc, char *out, size_t len)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int sys = db ? sqlite3_system_errno(db) : 0;
	if (sys != 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_FULL))
		snprintf(out, len, "%s (%s)", msg, strerror(sys));
	else
		snprintf(out, len, "%s", msg);
}

store_err store_fail_sqlite(store *s, int rc, const char *what)
{
	char words[256];
	sqlite_words(s->db, rc, words, sizeof words);
	store_err e = store_err_from_sqlite(rc);
	switch (e) {
	case STORE_ERR_LOCKED:
		return store_fail(s, e, "is in use by another process (is another appm running?): %s", words);
	case STORE_ERR_CORRUPT:
		return store_fail(s, e, "is not an SQLite database or is damaged: %s", words);
	case STORE_ERR_FULL:
		return store_fail(s, e, "cannot grow, the disk is full (%s): %s", what, words);
	case STORE_ERR_ACCESS:
		return store_fail(s, e, "cannot be written (%s): %s", what, words);
	case STORE_ERR_NOMEM:
		return store_fail(s, e, "ran out of memory (%s)", what);
	case STORE_OK:
	case STORE_ERR_ARG:
	case STORE_ERR_MISSING:
	case STORE_ERR_NO_DIR:
	case STORE_ERR_FOREIGN:
	case STORE_ERR_NEWER:
	case STORE_ERR_OLDER:
	case STORE_ERR_MIGRATION:
	case STORE_ERR_READ_ONLY:
	case STORE_ERR_IO:
		break;
	}
	return store_fail(s, STORE_ERR_IO, "failed (%s): %s", what, words);
}

int64_t store_now(const store *s)
{
	return s->clock ? s->clock(s->clock_user) : (int64_t)time(NULL);
}

void store_set_clock(store *s, store_clock_fn fn, void *user)
{
	s->clock = fn;
	s->clock_user = user;
}

const char *store_error_detail(const store *s)
{
	return s->detail;
}

const char *store_path(const store *s)
{
	return s->path;
}

int store_schema_version(const store *s)
{
	return s->version;
}

int store_schema_newest(void)
{
	return (int)store_schema_len;
}

void store_free(store *s)
{
	if (!s)
		return;
	/* Every statement is finalized where it was made, so close cannot be
	 * refused; closing the last connection checkpoints and removes -wal. */
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* ---- 1. the file ---- */

/* Whether the directory path would be in exists. */
static bool parent_exists(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return true; /* the working directory */
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	char *dir = strndup(path, n);
	if (!dir)
		return true; /* cannot tell: say "missing file", not "missing directory" */
	struct stat st;
	bool ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	free(dir);
	return ok;
}

static store_err fail_errno(store *s, int err, const char *action)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		if (!parent_exists(s->path))
			return store_fail(s, STORE_ERR_NO_DIR, "%s: its directory does not exist", action);
		return store_fail(s, STORE_ERR_MISSING, "does not exist");
	case EACCES:
	case EPERM:
	case EROFS:
		return store_fail(s, STORE_ERR_ACCESS, "%s: %s", action, strerror(err));
	case ENOSPC:
	case EDQUOT:
		return store_fail(s, STORE_ERR_FULL, "%s: %s", action, strerror(err));
	case ENOMEM:
		return store_fail(s, STORE_ERR_NOMEM, "%s: %s", action, strerror(err));
	default:
		return store_fail(s, STORE_ERR_IO, "%s: %s", action, strerror(err));
	}
}

/* Make the file when the mode allows and it is missing; check that it is a
 * file. */
static store_err find_file(store *s)
{
	if (s->mode == STORE_OPEN_CREATE) {
		int fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd); /* empty: SQLite takes it for a new database */
			return STORE_OK;
		}
		if (errno != EEXIST)
			return fail_errno(s, errno, "cannot be created");
	}
	struct stat st;
	if (stat(s->path, &st) != 0)
		return fail_errno(s, errno, "cannot be opened");
	if (!S_ISREG(st.st_mode))
		return store_fail(s, STORE_ERR_IO, "is not a file (a directory or a device?)");
	/* Said here, not by SQLite: its lock-taking transaction would write
	 * the first page of an empty file, and diag writes nothing. */
	if (s->mode == STORE_OPEN_EXISTING && st.st_size == 0)
		return store_fail(s, STORE_ERR_OLDER,
		                  "has never been set up (it is empty): the appm daemon sets it up when it starts");
	return STORE_OK;
}

/* ---- 2.-5. SQLite ---- */

static store_err exec(store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, what);
}

/* The one-column answer of a PRAGMA or SELECT, as text into out (NULL
 * when only the integer is wanted) and as an integer into *ret_int. */
static store_err query_one(store *s, const char *sql, int *ret_int, char *out, size_t len, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(s, rc, what);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_err e = rc == SQLITE_DONE ? store_fail(s, STORE_ERR_IO, "failed (%s): no answer", what)
		                                : store_fail_sqlite(s, rc, what);
		sqlite3_finalize(st);
		return e;
	}
	if (out) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		if (!text && sqlite3_errcode(s->db) == SQLITE_NOMEM) {
			sqlite3_finalize(st);
			return store_fail_sqlite(s, SQLITE_NOMEM, what);
		}
		snprintf(out, len, "%s", text ? (const char *)text : "");
	}
	if (ret_int)
		*ret_int = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return STORE_OK;
}

static store_err connect_and_lock(store *s)
{
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		if (!s->db)
			return store_fail(s, STORE_ERR_NOMEM, "cannot be opened: out of memory");
		if ((rc & 0xff) == SQLITE_CANTOPEN && sqlite3_system_errno(s->db) != 0)
			return fail_errno(s, sqlite3_system_errno(s->db), "cannot be opened");
		return store_fail_sqlite(s, rc, "open");
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 0);
	/* No writes to sqlite_schema by SQL, no functions run from the schema. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);

	store_err e = exec(s, "PRAGMA locking_mode=EXCLUSIVE", "set exclusive locking");
	if (e == STORE_OK)
		e = exec(s, "BEGIN EXCLUSIVE", "take the lock");
	if (e == STORE_OK)
		e = exec(s, "COMMIT", "take the lock");
	return e;
}

static store_err check_intact(store *s)
{
	char answer[200];
	store_err e = query_one(s, "PRAGMA quick_check(1)", NULL, answer, sizeof answer, "check it");
	if (e != STORE_OK)
		return e;
	if (strcmp(answer, "ok") != 0)
		return store_fail(s, STORE_ERR_CORRUPT, "is damaged (PRAGMA quick_check): %s", answer);
	return STORE_OK;
}

/* Whose file and which version; the refusals that depend on them. */
static store_err check_identity(store *s, size_t newest)
{
	int app_id = 0, version = 0, objects = 0;
	store_err e = query_one(s, "PRAGMA application_id", &app_id, NULL, 0, "read its application id");
	if (e == STORE_OK)
		e = query_one(s, "PRAGMA user_version", &version, NULL, 0, "read its schema version");
	if (e == STORE_OK)
		e = query_one(s, "SELECT count(*) FROM sqlite_master", &objects, NULL, 0, "list its tables");
	if (e != STORE_OK)
		return e;

	if (app_id != 0 && app_id != STORE_APPLICATION_ID)
		return store_fail(s, STORE_ERR_FOREIGN,
		                  "is an SQLite database of another program (application id 0x%08x), "
		                  "not an APPM store: it is left as it is",
		                  (unsigned)app_id);
	if (app_id == 0 && (version != 0 || objects != 0))
		return store_fail(s, STORE_ERR_FOREIGN,
		                  "is an SQLite database with tables of its own (schema version %d), "
		                  "not an APPM store: it is left as it is",
		                  version);
	if (version < 0)
		return store_fail(s, STORE_ERR_CORRUPT, "has an impossible schema version %d", version);
	if ((size_t)version > newest)
		return store_fail(s, STORE_ERR_NEWER,
		                  "is at schema version %d but this appm knows up to %zu: use a newer appm",
		                  version, newest);
	if (s->mode == STORE_OPEN_EXISTING && (size_t)version < newest) {
		if (version == 0)
			return store_fail(s, STORE_ERR_OLDER, "has never been set up (schema version 0): "
			                                      "the appm daemon sets it up when it starts");
		return store_fail(s, STORE_ERR_OLDER,
		                  "is at schema version %d but this appm reads version %zu: "
		                  "the appm daemon brings it up to date when it starts",
		                  version, newest);
	}
	s->version = version;
	return STORE_OK;
}

static store_err set_modes(store *s)
{
	store_err e = STORE_OK;
	if (s->mode == STORE_OPEN_CREATE) {
		char mode[16];
		e = query_one(s, "PRAGMA journal_mode=WAL", NULL, mode, sizeof mode, "switch to WAL");
		if (e == STORE_OK && strcmp(mode, "wal") != 0)
			return store_fail(s, STORE_ERR_IO, "cannot use write-ahead logging (its journal mode stays %s)",
			                  mode);
	}
	if (e == STORE_OK)
		e = exec(s, "PRAGMA synchronous=FULL", "set synchronous=FULL");
	if (e == STORE_OK)
		e = exec(s, "PRAGMA foreign_keys=ON", "turn foreign keys on");
	/* Deleted rows (a wiped session's personal data) are overwritten,
	 * not left in free pages. */
	if (e == STORE_OK)
		e = exec(s, "PRAGMA secure_delete=ON", "turn secure delete on");
	return e;
}

/* After a step's SQL: it must not have ended the transaction, nor left a
 * reference to a missing row. An SQLite result code; words when the
 * problem is the step's rather than SQLite's. */
static int check_step(sqlite3 *db, char *words, size_t len)
{
	if (sqlite3_get_autocommit(db)) {
		snprintf(words, len, "the step ended its own transaction");
		return SQLITE_ERROR;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *table = sqlite3_column_text(st, 0);
		snprintf(words, len, "rows of table %s refer to missing rows", table ? (const char *)table : "?");
		rc = SQLITE_CONSTRAINT_FOREIGNKEY;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The authorizer while a step's SQL runs: a step is one transaction that
 * store_open begins and commits, so the step itself may not end it or
 * reach another file; SQLite refuses those statements before they run. */
static int guard_step(void *user, int action, const char *a, const char *b, const char *c, const char *d)
{
	switch (action) {
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		*(bool *)user = true;
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

/* One step: migration m takes the file from s->version to m->version, in
 * one transaction with the version bump. */
static store_err migrate_step(store *s, const store_migration *m)
{
	char bump[96], words[256] = "";
	snprintf(bump, sizeof bump, "PRAGMA user_version=%d; PRAGMA application_id=%d", m->version,
	         STORE_APPLICATION_ID);

	/* Foreign keys can only be switched outside a transaction. */
	int rc = sqlite3_exec(s->db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	bool denied = false;
	if (rc == SQLITE_OK) {
		sqlite3_set_authorizer(s->db, guard_step, &denied);
		rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
		sqlite3_set_authorizer(s->db, NULL, NULL);
	}
	if (denied) {
		snprintf(words, sizeof words, "the step holds BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ATTACH or DETACH");
		rc = SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = check_step(s->db, words, sizeof words);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, bump, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		/* The step's words first: the rollback overwrites SQLite's. */
		if (!words[0])
			sqlite_words(s->db, rc, words, sizeof words);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(s->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
		/* A step that is wrong is a migration failure; a full disk,
		 * memory that ran out, a failing disk keep their own codes. */
		store_err e = store_err_from_sqlite(rc);
		if (e == STORE_ERR_IO && (rc & 0xff) != SQLITE_IOERR)
			e = STORE_ERR_MIGRATION;
		return store_fail(s, e, "could not be brought from schema version %d to %d, and stays at %d: %s",
		                  s->version, m->version, s->version, words);
	}
	s->version = m->version;
	return exec(s, "PRAGMA foreign_keys=ON", "turn foreign keys on");
}

static store_err migrate(store *s, const store_migration *migrations, size_t n)
{
	for (size_t i = (size_t)s->version; i < n; i++) {
		store_err e = migrate_step(s, &migrations[i]);
		if (e != STORE_OK)
			return e;
	}
	return STORE_OK;
}

static void put_why(char *why, size_t why_len, const char *words)
{
	if (why && why_len > 0)
		snprintf(why, why_len, "%s", words);
}

store_err store_open_with(const char *path, store_open_mode mode, const store_migration *migrations, size_t n,
                          store **ret, char *why, size_t why_len)
{
	put_why(why, why_len, "");
	if (!path || !*path || !ret || (mode != STORE_OPEN_CREATE && mode != STORE_OPEN_EXISTING) ||
	    (!migrations && n > 0) || n > INT_MAX) {
		put_why(why, why_len, "the store cannot be opened: invalid argument");
		return STORE_ERR_ARG;
	}
	for (size_t i = 0; i < n; i++) {
		if (migrations[i].version != (int)i + 1 || !migrations[i].sql) {
			put_why(why, why_len, "the store cannot be opened: its table of migrations is out of order");
			return STORE_ERR_ARG;
		}
	}
	store *s = calloc(1, sizeof *s);
	if (!s) {
		put_why(why, why_len, "the store cannot be opened: out of memory");
		return STORE_ERR_NOMEM;
	}
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		put_why(why, why_len, "the store cannot be opened: out of memory");
		return STORE_ERR_NOMEM;
	}
	s->mode = mode;

	store_err e = find_file(s);
	if (e == STORE_OK)
		e = connect_and_lock(s);
	if (e == STORE_OK)
		e = check_intact(s);
	if (e == STORE_OK)
		e = check_identity(s, n);
	if (e == STORE_OK)
		e = set_modes(s);
	if (e == STORE_OK && mode == STORE_OPEN_CREATE)
		e = migrate(s, migrations, n);
	if (e == STORE_OK && mode == STORE_OPEN_EXISTING)
		e = exec(s, "PRAGMA query_only=ON", "make it read only");
	if (e != STORE_OK) {
		put_why(why, why_len, s->detail);
		store_free(s);
		return e;
	}
	s->detail[0] = '\0';
	*ret = s;
	return STORE_OK;
}

store_err store_open(const char *path, store_open_mode mode, store **ret, char *why, size_t why_len)
{
	return store_open_with(path, mode, store_schema, store_schema_len, ret, why, why_len);
}
