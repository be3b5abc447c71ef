/*
 * rig — the store tests' temporary directories and plain SQLite access;
 * see rig.h.
 */
#include "tests/store/rig.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

int rig_setup(void **state)
{
	rig *r = calloc(1, sizeof *r);
	if (!r)
		return -1;
	snprintf(r->dir, sizeof r->dir, "/tmp/appm-store-test-XXXXXX");
	if (!mkdtemp(r->dir)) {
		free(r);
		return -1;
	}
	rig_file(r, "store.db", r->path);
	*state = r;
	return 0;
}

/* Remove dir and what is in it, one level down (the tests make no more). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[512];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
				chmod(p, 0700);
				remove_dir(p);
			} else {
				unlink(p);
			}
		}
		closedir(d);
	}
	rmdir(dir);
}

int rig_teardown(void **state)
{
	rig *r = *state;
	remove_dir(r->dir);
	free(r);
	return 0;
}

void rig_file(const rig *r, const char *name, char *out)
{
	snprintf(out, sizeof r->path, "%s/%s", r->dir, name);
}

int64_t rig_clock(void *user)
{
	return *(const int64_t *)user;
}

int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

long long raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int raw_has(const char *path, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
	return raw_int(path, sql) == 1;
}

void write_bytes(const char *path, const void *data, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

unsigned char *read_bytes(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	unsigned char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	*ret_n = n;
	return buf;
}

int file_mode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}
