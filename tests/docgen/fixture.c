/*
 * fixture — see fixture.h.
 */
#define _XOPEN_SOURCE 700
#include "tests/docgen/fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hal/passport/trust.h"

#ifndef DOCGEN_DATA_DIR
#error "DOCGEN_DATA_DIR must name devices/data"
#endif

char *fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/appm-test-XXXXXX", base && *base ? base : "/tmp");
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char *copy = strdup(dir);
	assert_non_null(copy);
	return copy;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmtree(char *dir)
{
	if (!dir)
		return;
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

const char *fx_path(const char *a, const char *b)
{
	static char ring[8][1024];
	static unsigned next;
	char *out = ring[next++ % 8];
	snprintf(out, sizeof ring[0], "%s/%s", a, b);
	return out;
}

uint8_t *fx_read(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *p = realloc(data, cap);
			assert_non_null(p);
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	*ret_len = len;
	return data;
}

bool fx_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

void fx_write(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Directories made for a test stay named for the whole run. */
const char *fx_keep_path(const char *a, const char *b)
{
	static char pool[256][512];
	static unsigned next;
	char *out = pool[next++ % 256];
	snprintf(out, sizeof pool[0], "%s/%s", a, b);
	return out;
}

const char *fx_pki(const char *root, const char *name, const docgen_pki_opts *opts)
{
	const char *dir = fx_keep_path(root, name);
	docgen_pki_opts o = opts ? *opts : (docgen_pki_opts){ 0 };
	o.out_dir = dir;
	char err[512] = "";
	docgen_err e = docgen_pki_create(&o, err, sizeof err);
	if (e)
		fail_msg("docgen_pki_create: %s", err);
	return dir;
}

const char *fx_doc(const char *root, const char *name, const char *pki_dir,
                   const char *persona, docgen_doc_opts opts)
{
	const char *dir = fx_keep_path(root, name);
	char err[512] = "";
	docgen_persona p;
	docgen_err e = docgen_persona_load(persona, DOCGEN_DATA_DIR, &p, err, sizeof err);
	if (e)
		fail_msg("docgen_persona_load: %s", err);
	opts.pki_dir = pki_dir;
	opts.persona = &p;
	opts.out_dir = dir;
	e = docgen_doc_create(&opts, err, sizeof err);
	if (e)
		fail_msg("docgen_doc_create: %s", err);
	return dir;
}

void fx_doc_access_key(const char *doc_dir, pp_access_key *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->document_number, sizeof(ret->document_number), "%s", fx_doc_value(doc_dir, "document_number"));
	snprintf(ret->birth_date, sizeof(ret->birth_date), "%s", fx_doc_value(doc_dir, "birth_date"));
	snprintf(ret->expiry_date, sizeof(ret->expiry_date), "%s", fx_doc_value(doc_dir, "expiry_date"));
}

const char *fx_doc_value(const char *doc_dir, const char *key)
{
	static char value[256];
	value[0] = '\0';
	FILE *f = fopen(fx_path(doc_dir, "document.txt"), "r");
	if (!f)
		return value;
	char line[512];
	size_t klen = strlen(key);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			snprintf(value, sizeof value, "%s", line + klen + 1);
			value[strcspn(value, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return value;
}

pa_trust *fx_trust(const char *path)
{
	pa_trust *t = NULL;
	char err[256] = "";
	if (pp_trust_load(path, &t, err, sizeof err) != CRYPTO_OK)
		fail_msg("pp_trust_load: %s", err);
	assert_non_null(t);
	return t;
}

int fx_run(const char *fmt, ...)
{
	const char *exe = getenv("APPM_DOCGEN");
	assert_non_null(exe);
	char args[2048], cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", exe, args);
	int status = system(cmd);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}
