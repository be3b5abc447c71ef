/*
 * test_faults — the reading stack and the parsers of what it reads, when
 * things fail on purpose (tests/common/fault.h): each allocation in turn,
 * and each exchange with the chip in turn, never sent or its answer lost.
 * Every run must end in success or an error of the kind that failed —
 * never a crash, a leak (the ASan and valgrind setups see those), or a
 * verdict about the document that a local fault cannot justify (a wrong
 * MRZ, a possible clone, malformed data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/lds/face.h"
#include "crypto/lds/lds.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/sim.h"
#include "hal/passport/reader.h"
#include "tests/common/fault.h"
#include "tests/common/fault_transport.h"
#include "tests/docgen/fixture.h"

/* No operation here needs more allocations than this; a loop that gets
 * there has found one that never ends. */
#define MAX_FAIL_AT 20000

typedef struct tdoc {
	const char *dir;
	vpass_doc *vdoc;
	pp_access_key key;
} tdoc;

typedef struct fx {
	char *root;
	const char *pki;
	tdoc bac;   /* BAC, DG1 DG2 DG11 DG12 DG15: active authentication */
	tdoc ca;    /* PACE, chip authentication with DG14 */
} fx;

static void doc_load(tdoc *d, const char *dir)
{
	char err[256] = "";
	d->dir = dir;
	if (vpass_doc_load(dir, &d->vdoc, err, sizeof err) != VPASS_OK)
		fail_msg("vpass_doc_load %s: %s", dir, err);
	fx_doc_access_key(dir, &d->key);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = fx_pki(f->root, "pki", NULL);
	doc_load(&f->bac, fx_doc(f->root, "bac", f->pki, "wulandari", (docgen_doc_opts){ .dg15 = true }));
	docgen_doc_opts o = { 0 };
	char err[256] = "";
	if (docgen_doc_profile("ca", &o, err, sizeof err) != DOCGEN_OK)
		fail_msg("docgen profile ca: %s", err);
	doc_load(&f->ca, fx_doc(f->root, "ca", f->pki, "hartono", o));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	vpass_doc_free(f->bac.vdoc);
	vpass_doc_free(f->ca.vdoc);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

/* ---- allocations ---------------------------------------------------------- */

/* Run `op` with the 1st, 2nd, ... allocation failing until it no longer
 * reaches the failure; op returns whether it succeeded. A run that reached
 * the failure may succeed (the code had a way round it) or fail; one that
 * did not must succeed. Returns the number of runs. */
static unsigned long alloc_loop(const char *what, bool (*op)(const void *ctx), const void *ctx)
{
	for (unsigned long at = 1; at < MAX_FAIL_AT; at++) {
		fault_plan_arm(&fault_alloc, at);
		bool ok = op(ctx);
		bool reached = fault_plan_reached(&fault_alloc);
		fault_plan_arm(&fault_alloc, 0);
		if (!reached) {
			if (!ok)
				fail_msg("%s: failed with no allocation failing (run %lu)", what, at);
			return at;
		}
	}
	fail_msg("%s: still allocating after %d runs", what, MAX_FAIL_AT);
	return 0;
}

typedef struct file_case {
	const char *dir, *name;
} file_case;

static bool parse_file(const void *ctx)
{
	const file_case *c = ctx;
	size_t len = 0;
	fault_plan saved = fault_alloc;
	fault_plan_arm(&fault_alloc, 0); /* reading the file is not under test */
	uint8_t *data = fx_read(fx_path(c->dir, c->name), &len);
	fault_alloc = saved;
	assert_non_null(data);
	bool ok = false;
	if (strcmp(c->name, "EF.COM") == 0) {
		lds_com com;
		ok = lds_com_parse(data, len, &com) == LDS_OK;
	} else if (strcmp(c->name, "EF.DG1") == 0) {
		lds_mrz mrz;
		ok = lds_dg1_parse(data, len, &mrz) == LDS_OK;
	} else if (strcmp(c->name, "EF.DG2") == 0) {
		lds_dg2 *dg2 = NULL;
		ok = lds_dg2_parse(data, len, &dg2) == LDS_OK;
		const lds_face *face = ok ? lds_dg2_face(dg2) : NULL;
		face_image *img = NULL;
		if (face)
			ok = face_decode(face->image, face->image_len, &img) == FACE_OK;
		face_image_free(img);
		lds_dg2_free(dg2);
	} else if (strcmp(c->name, "EF.DG11") == 0) {
		lds_dg11 *dg11 = NULL;
		ok = lds_dg11_parse(data, len, &dg11) == LDS_OK;
		lds_dg11_free(dg11);
	} else if (strcmp(c->name, "EF.DG12") == 0) {
		lds_dg12 *dg12 = NULL;
		ok = lds_dg12_parse(data, len, &dg12) == LDS_OK;
		lds_dg12_free(dg12);
	} else if (strcmp(c->name, "EF.DG14") == 0 || strcmp(c->name, "EF.CardAccess") == 0) {
		secinfo_list list;
		ok = secinfo_parse(data, len, &list) == CRYPTO_OK;
		if (ok)
			secinfo_list_free(&list);
	} else if (strcmp(c->name, "EF.DG15") == 0) {
		lds_dg15 *dg15 = NULL;
		ok = lds_dg15_parse(data, len, &dg15) == LDS_OK;
		lds_dg15_free(dg15);
	} else if (strcmp(c->name, "EF.SOD") == 0) {
		pa_report *r = calloc(1, sizeof *r);
		ok = r && pa_verify(NULL, data, len, NULL, 0, time(NULL), r, NULL, 0) == CRYPTO_OK;
		free(r);
	} else {
		fail_msg("no parser for %s", c->name);
	}
	saved = fault_alloc;
	fault_plan_arm(&fault_alloc, 0);
	free(data);
	fault_alloc = saved;
	return ok;
}

static void test_alloc_parsers(void **state)
{
	fx *f = *state;
	static const char *const bac_files[] = { "EF.COM", "EF.DG1", "EF.DG2", "EF.DG11", "EF.DG12", "EF.DG15", "EF.SOD" };
	static const char *const ca_files[] = { "EF.CardAccess", "EF.DG14" };
	for (size_t i = 0; i < sizeof bac_files / sizeof bac_files[0]; i++) {
		file_case c = { f->bac.dir, bac_files[i] };
		unsigned long runs = alloc_loop(bac_files[i], parse_file, &c);
		print_message("%s: %lu allocations, each failed in turn\n", bac_files[i], runs - 1);
	}
	for (size_t i = 0; i < sizeof ca_files / sizeof ca_files[0]; i++) {
		file_case c = { f->ca.dir, ca_files[i] };
		alloc_loop(ca_files[i], parse_file, &c);
	}
}

typedef struct read_case {
	const tdoc *d;
} read_case;

static bool read_once(const void *ctx)
{
	const read_case *c = ctx;
	fault_plan saved = fault_alloc;
	fault_plan_arm(&fault_alloc, 0); /* the chip and its reader are not under test */
	vpass_card *card = NULL;
	pp_transport *t = NULL;
	assert_int_equal(vpass_card_new(c->d->vdoc, NULL, &card), VPASS_OK);
	assert_int_equal(pp_sim_transport_new(card, &t), PP_OK);
	fault_alloc = saved;
	pp_document *rd = NULL;
	char err[256] = "";
	pp_err e = pp_read_document(t, &c->d->key, NULL, &rd, err, sizeof err);
	saved = fault_alloc;
	fault_plan_arm(&fault_alloc, 0);
	if (e == PP_OK) {
		assert_true(rd->dg[1].present);
		assert_true(rd->dg[2].present);
	}
	pp_document_free(rd);
	pp_transport_free(t);
	vpass_card_free(card);
	fault_alloc = saved;
	return e == PP_OK;
}

static void test_alloc_reader(void **state)
{
	fx *f = *state;
	read_case bac = { &f->bac }, ca = { &f->ca };
	unsigned long runs = alloc_loop("read, BAC and AA", read_once, &bac);
	print_message("read, BAC and AA: %lu allocations, each failed in turn\n", runs - 1);
	runs = alloc_loop("read, PACE and CA", read_once, &ca);
	print_message("read, PACE and CA: %lu allocations, each failed in turn\n", runs - 1);
}

/* ---- exchanges ------------------------------------------------------------ */

/* Verdicts about the document that one failed exchange never justifies. */
static bool document_verdict(pp_err e)
{
	return e == PP_ERR_ACCESS_DENIED || e == PP_ERR_CHIP_AUTH || e == PP_ERR_PARSE || e == PP_ERR_SM ||
	       e == PP_ERR_NOT_EMRTD || e == PP_ERR_FILE_NOT_FOUND || e == PP_ERR_BLOCKED;
}

static void exchange_sweep(const tdoc *d, const char *what, fault_mode mode, pp_err inject)
{
	unsigned long ok = 0, failed = 0;
	for (unsigned long at = 1;; at++) {
		vpass_card *card = NULL;
		pp_transport *inner = NULL, *t = NULL;
		assert_int_equal(vpass_card_new(d->vdoc, NULL, &card), VPASS_OK);
		assert_int_equal(pp_sim_transport_new(card, &inner), PP_OK);
		fault_reader fr = { .inner = inner, .mode = mode, .err = inject };
		fault_plan_arm(&fr.plan, at);
		assert_int_equal(fault_transport_new(&fr, &t), PP_OK);
		pp_document *rd = NULL;
		char err[256] = "";
		pp_err e = pp_read_document(t, &d->key, NULL, &rd, err, sizeof err);
		vpass_stats st;
		vpass_card_stats(card, &st);
		bool reached = fault_plan_reached(&fr.plan);
		pp_document_free(rd);
		pp_transport_free(t);
		pp_transport_free(inner);
		vpass_card_free(card);
		if (document_verdict(e))
			fail_msg("%s, exchange %lu %s (%s): %s (%s)", what, at,
			         mode == FAULT_NOT_SENT ? "not sent" : "answer lost", pp_strerror(inject), pp_strerror(e), err);
		if (st.plain_after_access)
			fail_msg("%s, exchange %lu: %lu commands went in the clear after access control", what, at,
			         st.plain_after_access);
		if (!reached) {
			assert_int_equal(e, PP_OK);
			break;
		}
		if (e == PP_OK)
			ok++;
		else
			failed++;
	}
	print_message("%s, one exchange %s (%s): %lu reads recovered, %lu ended with an error\n", what,
	              mode == FAULT_NOT_SENT ? "not sent" : "with its answer lost", pp_strerror(inject), ok, failed);
}

static void test_exchange_faults(void **state)
{
	fx *f = *state;
	const tdoc *docs[] = { &f->bac, &f->ca };
	const char *names[] = { "BAC and AA", "PACE and CA" };
	for (size_t i = 0; i < 2; i++) {
		exchange_sweep(docs[i], names[i], FAULT_NOT_SENT, PP_ERR_COMM);
		exchange_sweep(docs[i], names[i], FAULT_ANSWER_LOST, PP_ERR_TIMEOUT);
		exchange_sweep(docs[i], names[i], FAULT_NOT_SENT, PP_ERR_REMOVED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_parsers),
		cmocka_unit_test(test_alloc_reader),
		cmocka_unit_test(test_exchange_faults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
