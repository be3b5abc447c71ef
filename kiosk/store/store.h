/*
 * store — the kiosk's one SQLite database: what the daemon keeps across
 * restarts. Today that is each device's counters (operations, failures,
 * the last error) and a log of device events; sessions, payments, the
 * outbox and the audit chain join it later, each as a new schema version
 * (kiosk/store/schema.c says how to add one).
 *
 * The daemon opens the store once, with STORE_OPEN_CREATE, and holds it
 * until it exits: the file is created (mode 0600) when missing and brought
 * up to the newest schema version. `appm diag` opens it with
 * STORE_OPEN_EXISTING: never created, never migrated, never written
 * (SQLite itself may fold a killed daemon's write-ahead log into the file
 * when diag closes it; the data stay the same).
 * Either way the open takes an exclusive lock on the file and keeps it, so
 * a second daemon on the same store is refused at once (STORE_ERR_LOCKED)
 * instead of both writing; diag is refused the same way while the daemon
 * runs.
 *
 * The store never starts afresh over a file it does not understand: a file
 * that is not an SQLite database or is damaged, an SQLite database of some
 * other program, a schema newer than this appm knows, are each refused
 * with their own code and words, and the file is left as it was.
 *
 * Nothing personal goes in: callers pass device names and event words
 * (e.g. "passport", "fault", "reader unplugged"), never an applicant's
 * data. Times are UTC seconds since the epoch.
 *
 * A store is used from one thread at a time (the daemon's loop). Library
 * code: nothing is printed; failures come back as codes, with words for
 * the engineer from store_error_detail() (or the open's why buffer).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors ---- */

typedef enum store_err {
	STORE_OK = 0,
	STORE_ERR_ARG,          /* caller error: bad argument, name or mode */
	STORE_ERR_NOMEM,
	STORE_ERR_MISSING,      /* no such file (STORE_OPEN_EXISTING) */
	STORE_ERR_NO_DIR,       /* the directory the file should be in does not exist */
	STORE_ERR_ACCESS,       /* permission denied on the file or its directory */
	STORE_ERR_CORRUPT,      /* not an SQLite database, or damaged */
	STORE_ERR_FOREIGN,      /* an SQLite database, but not an APPM store */
	STORE_ERR_NEWER,        /* its schema is newer than this appm knows */
	STORE_ERR_OLDER,        /* STORE_OPEN_EXISTING: its schema is older; the daemon migrates it */
	STORE_ERR_LOCKED,       /* in use by another process (another daemon, or diag) */
	STORE_ERR_MIGRATION,    /* bringing the schema up to date failed; that step was rolled back */
	STORE_ERR_READ_ONLY,    /* a write to a store opened with STORE_OPEN_EXISTING */
	STORE_ERR_FULL,         /* the disk is full */
	STORE_ERR_IO,           /* any other failure of the disk or of SQLite; the detail says which */
} store_err;

/* Words for a code, without the file's name; store_error_detail() has both. */
const char *store_strerror(store_err e);

/* ---- opening and closing ---- */

typedef enum store_open_mode {
	STORE_OPEN_CREATE = 0,  /* the daemon: create when missing, migrate to the newest schema */
	STORE_OPEN_EXISTING,    /* diag: the file must exist at the newest schema; read only */
} store_open_mode;

typedef struct store store;

/* Open the store at path. On failure *ret is untouched and, when why is
 * not NULL, why (why_len bytes, 256 are plenty) holds one sentence naming
 * the file and saying what is wrong, with SQLite's own words where it had
 * some, e.g. "the store /var/lib/appm/store.db is at schema version 7 but
 * this appm knows up to 1: use a newer appm". On success why is "". */
store_err store_open(const char *path, store_open_mode mode, store **ret, char *why, size_t why_len);
/* Close (the lock goes with it). NULL is fine. */
void store_free(store *s);

/* The words of the last failure of a call on s ("" when it succeeded),
 * naming the file; valid until the next call on s. */
const char *store_error_detail(const store *s);
const char *store_path(const store *s);
/* The schema version the file is at (after the open's migrations). */
int store_schema_version(const store *s);
/* The newest schema version this appm knows. */
int store_schema_newest(void);

/* Where the store's times come from: time(NULL) unless set (tests set
 * their own). fn NULL goes back to time(NULL). */
typedef int64_t (*store_clock_fn)(void *user);
void store_set_clock(store *s, store_clock_fn fn, void *user);

/* ---- device counters and events ---- */

/* Device names: 1 to STORE_NAME_MAX printable ASCII characters. Event
 * kinds: 1 to STORE_KIND_MAX of a-z, 0-9, '_', '-', '.'. Texts longer than
 * STORE_TEXT_MAX bytes are cut (at a UTF-8 character boundary). */
#define STORE_NAME_MAX 63
#define STORE_KIND_MAX 31
#define STORE_TEXT_MAX 255

typedef struct store_counters {
	char device[STORE_NAME_MAX + 1];
	uint64_t operations;    /* every operation counted, failed or not */
	uint64_t failures;      /* those that failed */
	char last_error[STORE_TEXT_MAX + 1]; /* the last failure's words; "" when none */
	int64_t last_error_at;  /* when; 0 when none */
} store_counters;

/* Count one operation of device; when failed, error_text (may be NULL)
 * becomes its last error, timed now. */
store_err store_count_operation(store *s, const char *device, bool failed, const char *error_text);
/* The counters of device into *ret; all zero (with the name) for a device
 * never counted. */
store_err store_device_counters(store *s, const char *device, store_counters *ret);
/* Every device's counters, by name; fn returns false to stop. */
typedef bool (*store_counters_fn)(const store_counters *c, void *user);
store_err store_list_counters(store *s, store_counters_fn fn, void *user);

typedef struct store_event {
	int64_t id;             /* increasing: later events have larger ids */
	int64_t at;
	char device[STORE_NAME_MAX + 1];
	char kind[STORE_KIND_MAX + 1];
	char text[STORE_TEXT_MAX + 1];
} store_event;

/* ---- the applicant's session (schema version 2) ---- */

/* A session as the state machine leaves it after each step; data is the
 * applicant's data as JSON text (NULL: none yet), kept only until the
 * session is wiped. */
typedef struct store_session {
	char id[40];            /* the application id (a UUID) */
	char state[32];         /* kiosk/flow's state name */
	char resume[32];
	char language[4];       /* "id" or "en" */
	int retries;
	bool paid;
	unsigned skipped;
	char *data;             /* store_session_load: malloc'ed, for the caller to free */
	int64_t started_at;     /* set by the first save */
	int64_t updated_at;
} store_session;

/* Write the session (insert or replace by id), durably. */
store_err store_session_save(store *s, const store_session *session);
/* The session updated last into *ret (data malloc'ed); *found false (and
 * *ret untouched) when there is none. */
store_err store_session_load(store *s, store_session *ret, bool *found);
/* Forget a session: its row deleted (overwritten, secure_delete) and the
 * write-ahead log checkpointed and truncated, so that no copy of the
 * applicant's data stays in the files. */
store_err store_session_wipe(store *s, const char *id);

/* Append an event (text may be NULL: ""), timed now. */
store_err store_log_event(store *s, const char *device, const char *kind, const char *text);
/* The newest max events, newest first, of device (NULL: of every device);
 * fn returns false to stop. */
typedef bool (*store_event_fn)(const store_event *ev, void *user);
store_err store_events(store *s, const char *device, size_t max, store_event_fn fn, void *user);
