/*
 * rig — what the store's test programs share: a temporary directory per
 * test, removed after it; a plain SQLite connection to look at or tamper
 * with a file behind the store's back; small file helpers.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct rig {
	char dir[64];
	char path[128];          /* dir/store.db, not created */
	int64_t now;             /* the store's clock, when a test sets it */
} rig;

/* cmocka group setup and teardown: *state is a rig. */
int rig_setup(void **state);
int rig_teardown(void **state);

/* dir/name into out (sizeof rig.path bytes). */
void rig_file(const rig *r, const char *name, char *out);
/* A clock for store_set_clock: returns *(int64_t *)user. */
int64_t rig_clock(void *user);

/* Run sql on path through a connection of its own (no store); the SQLite
 * result code. The file must not be open in a store. */
int raw_exec(const char *path, const char *sql);
/* The first column of the first row of sql, as an integer (-1 on error). */
long long raw_int(const char *path, const char *sql);
/* Whether path holds a table (or index) of that name. */
int raw_has(const char *path, const char *name);

void write_bytes(const char *path, const void *data, size_t n, mode_t mode);
/* The file's bytes (malloc'ed, *ret_n bytes), NULL when missing. */
unsigned char *read_bytes(const char *path, size_t *ret_n);
/* The file's permission bits, -1 when it does not exist. */
int file_mode(const char *path);
