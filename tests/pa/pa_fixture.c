/*
 * pa_fixture — see pa_fixture.h.
 */
#include "tests/pa/pa_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/docgen/docgen.h"
#include "tests/docgen/fixture.h"

int pa_fx_setup(void **state)
{
	pa_fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->good = fx_pki(f->root, "good", NULL);
	f->other = fx_pki(f->root, "other", &(docgen_pki_opts){ .country = "UTO" });
	f->expired = fx_pki(f->root, "expired", &(docgen_pki_opts){ .ds_validity = DOCGEN_DS_EXPIRED });
	f->good_doc = fx_doc(f->root, "good-doc", f->good, "wulandari", (docgen_doc_opts){ 0 });
	f->trust = fx_trust(f->good);
	*state = f;
	return 0;
}

int pa_fx_teardown(void **state)
{
	pa_fx *f = *state;
	pa_trust_free(f->trust);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

void pa_fx_chip_read(const char *doc, pa_fx_chip *c)
{
	memset(c, 0, sizeof *c);
	c->sod = fx_read(fx_path(doc, "EF.SOD"), &c->sod_len);
	assert_non_null(c->sod);
	for (int n = 1; n <= 16; n++) {
		char name[16];
		snprintf(name, sizeof name, "EF.DG%d", n);
		size_t len;
		uint8_t *d = fx_read(fx_path(doc, name), &len);
		if (!d)
			continue;
		c->data[c->n] = d;
		c->dgs[c->n] = (pa_dg){ n, d, len };
		c->n++;
	}
}

void pa_fx_chip_free(pa_fx_chip *c)
{
	free(c->sod);
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
}

pa_report pa_fx_verify(const pa_trust *trust, const char *doc)
{
	pa_fx_chip c;
	pa_fx_chip_read(doc, &c);
	pa_report r;
	char err[256] = "";
	crypto_err e = pa_verify(trust, c.sod, c.sod_len, c.dgs, c.n, time(NULL), &r, err, sizeof err);
	if (e)
		fail_msg("pa_verify: %s", err);
	pa_fx_chip_free(&c);
	return r;
}

void pa_fx_crl(const char *pki, const char *out, bool revoke, bool expired)
{
	char err[256] = "";
	docgen_crl_opts o = { .pki_dir = pki, .out_path = out, .revoke_ds = revoke,
	                      .expired = expired };
	if (docgen_crl_create(&o, err, sizeof err))
		fail_msg("docgen_crl_create: %s", err);
}

const char *pa_fx_masterlist(pa_fx *f, const char *name, const char *const *pkis, size_t n)
{
	const char *path = fx_keep_path(f->root, name);
	char err[256] = "";
	if (docgen_masterlist_create(pkis, n, path, err, sizeof err))
		fail_msg("docgen_masterlist_create: %s", err);
	return path;
}

const char *pa_fx_altered_copy(pa_fx *f, const char *src, const char *name)
{
	size_t len;
	uint8_t *data = fx_read(src, &len);
	assert_non_null(data);
	assert_true(len > 0);
	data[len - 1] ^= 0x01;
	const char *path = fx_keep_path(f->root, name);
	fx_write(path, data, len);
	free(data);
	return path;
}
