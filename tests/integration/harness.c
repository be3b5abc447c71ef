/*
 * harness — the shared helpers of the end-to-end tests: shell commands,
 * files, `appm passport read` runs, JSON report paths and appm-docgen
 * documents. See harness.h.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

int it_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

char *it_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

it_result it_appm_read(const it_appm *a, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	it_result r;
	if (a->reader)
		r.code = it_sh("%s passport read --reader %s --wait 5 %s >%s/out 2>%s/err", a->appm, a->reader, args,
		               a->dir, a->dir);
	else
		r.code = it_sh("%s passport read --wait 5 %s >%s/out 2>%s/err", a->appm, args, a->dir, a->dir);
	char p[300];
	snprintf(p, sizeof(p), "%s/out", a->dir);
	r.out = it_slurp(p);
	snprintf(p, sizeof(p), "%s/err", a->dir);
	r.err = it_slurp(p);
	return r;
}

void it_result_free(it_result *r)
{
	free(r->out);
	free(r->err);
}

void it_expect_refusal(const it_appm *a, int code, const char *message, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	it_result r = it_appm_read(a, "%s", args);
	assert_int_equal(r.code, code);
	if (!strstr(r.err, message))
		fail_msg("expected \"%s\" on stderr, got: %s", message, r.err);
	it_result_free(&r);
}

json_t *it_parse_json(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, s);
	return j;
}

json_t *it_jget(json_t *root, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	return cur;
}

const char *it_jstr(json_t *root, const char *path)
{
	json_t *v = it_jget(root, path);
	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

const char *it_jstr_or_empty(json_t *root, const char *path)
{
	const char *s = it_jstr(root, path);
	return s ? s : "";
}

int it_make_pki(const char *docgen, const char *dir, const char *name, const char *options)
{
	const char *sep = options && *options ? " " : "";
	return it_sh("%s pki --out %s/%s%s%s >/dev/null", docgen, dir, name, sep, options ? options : "");
}

int it_make_doc(const char *docgen, const char *dir, const char *pki, const char *persona, const char *options,
                const char *name)
{
	const char *sep = options && *options ? " " : "";
	return it_sh("%s doc --pki %s/%s --persona %s%s%s --out %s/%s >/dev/null", docgen, dir, pki, persona, sep,
	             options ? options : "", dir, name);
}

void it_read_mrz(const char *dir, const char *doc, char *out, size_t cap)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/%s/document.txt", dir, doc);
	char *s = it_slurp(p);
	char *m = strstr(s, "mrz=");
	assert_non_null(m);
	m += 4;
	size_t n = strcspn(m, "\r\n");
	assert_true(n < cap);
	memcpy(out, m, n);
	out[n] = '\0';
	free(s);
}
