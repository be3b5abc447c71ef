/*
 * test_sfi — issue 18's first step, command by command: the reading stack
 * names each file by its short identifier in the first READ BINARY
 * instead of selecting it, and so reads the typical document (PACE, chip
 * authentication, DG1, DG2 of 20 KB, DG14, DG15, EF.SOD) with one command
 * fewer per file; a chip that refuses that (6A81, 6D00, 6986, 6A86, 6B00,
 * or 6A82 for a file its SELECT then finds) has every file selected from
 * then on, without a second try by SFI; a data group that is absent (6A82
 * both ways) is recorded as absent and costs the session nothing; a lost
 * answer, a chip that ends secure messaging on a refusal, and a reader or
 * chip without extended length still read the whole document.
 *
 * Chip authentication costs no command of its own to prove the chip: the
 * answer to the next protected command (DG1's read here) is the proof
 * (hal/passport/channel-internal.h), so nothing is read twice.
 *
 * Between the reader and the virtual chip (devices/vpass, in-process) sits
 * the reader tests' spy (spy.h): it logs each command's header (in the
 * clear under secure messaging), loses the answer of a chosen read, claims
 * extended length for a chip that refuses it, and checks that nothing goes
 * in the clear after access control.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/apdu.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/reader.h"
#include "hal/passport/sim.h"
#include "hal/passport/transport-internal.h"
#include "tests/docgen/fixture.h"
#include "tests/reader/spy.h"

/* ---- counting what the spy saw -------------------------------------------- */

/* Protected READ BINARYs naming a file by SFI (P1 80 | SFI). */
static unsigned long sfi_reads(const spy *l)
{
	unsigned long n = 0;
	for (size_t i = 0; i < spy_logged(l); i++)
		n += l->log[i].cla == 0x0C && l->log[i].ins == 0xB0 && (l->log[i].p1 & 0x80);
	return n;
}

/* Protected SELECTs of an EF by file identifier (P1 02). */
static unsigned long ef_selects(const spy *l)
{
	unsigned long n = 0;
	for (size_t i = 0; i < spy_logged(l); i++)
		n += l->log[i].cla == 0x0C && l->log[i].ins == 0xA4 && l->log[i].p1 == 0x02;
	return n;
}

/* READ BINARYs by SFI after the first protected SELECT of an EF. */
static unsigned long sfi_reads_after_select(const spy *l)
{
	unsigned long n = 0;
	bool selected = false;
	for (size_t i = 0; i < spy_logged(l); i++) {
		selected = selected || (l->log[i].cla == 0x0C && l->log[i].ins == 0xA4 && l->log[i].p1 == 0x02);
		n += selected && l->log[i].cla == 0x0C && l->log[i].ins == 0xB0 && (l->log[i].p1 & 0x80);
	}
	return n;
}

/* ---- a chip on a reader --------------------------------------------------- */

typedef struct rig {
	vpass_card *card;
	spy log;
	pp_transport *t;
} rig;

static void rig_open(rig *r, const vpass_doc *doc, const vpass_options *opts)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(vpass_card_new(doc, opts, &r->card), VPASS_OK);
	assert_int_equal(pp_sim_transport_new(r->card, &r->log.inner), PP_OK);
	r->log.card = r->card;
	assert_int_equal(pp_transport_new(&spy_ops, &r->log, &r->t), PP_OK);
}

static void rig_close(rig *r)
{
	if (r->log.plain_after_access)
		fail_msg("%lu command(s) went in the clear after access control", r->log.plain_after_access);
	pp_transport_free(r->t);
	pp_transport_free(r->log.inner);
	vpass_card_free(r->card);
}

/* ---- documents --------------------------------------------------------------- */

typedef struct doc {
	const char *dir;
	vpass_doc *chip;
	pp_access_key key;
	int dgs[PP_MAX_DG + 1]; /* the data groups on the chip, 0-terminated */
} doc;

typedef struct fx {
	char *root;
	const char *pki;
	doc typical;  /* PACE + CA: DG1, DG2 of 20 KB, DG14, DG15 */
	doc absent;   /* PACE + CA, DG11 listed and hashed but not on the chip */
} fx;

static void doc_make(fx *f, doc *d, const char *name, const char *profile, uint32_t absent_dgs)
{
	docgen_doc_opts o = { 0 };
	char err[256] = "";
	if (docgen_doc_profile(profile, &o, err, sizeof err) != DOCGEN_OK)
		fail_msg("docgen profile %s: %s", profile, err);
	o.absent_dgs = absent_dgs;
	d->dir = fx_doc(f->root, name, f->pki, "hartono", o);
	if (vpass_doc_load(d->dir, &d->chip, err, sizeof err) != VPASS_OK)
		fail_msg("vpass_doc_load %s: %s", name, err);
	fx_doc_access_key(d->dir, &d->key);
	size_t n = 0;
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		if (vpass_doc_file(d->chip, VPASS_FID_DG(dg), &(const uint8_t *){ NULL }, &(size_t){ 0 }))
			d->dgs[n++] = dg;
	d->dgs[n] = 0;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = fx_pki(f->root, "pki", NULL);
	doc_make(f, &f->typical, "typical", "typical", 0);
	doc_make(f, &f->absent, "absent", "ca", 1u << 11);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	vpass_doc_free(f->typical.chip);
	vpass_doc_free(f->absent.chip);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

/* Files the reader reads from d: EF.COM, EF.SOD and the data groups. */
static unsigned long files_of(const doc *d)
{
	unsigned long n = 2;
	for (size_t i = 0; d->dgs[i]; i++)
		n++;
	return n;
}

/* Every file on the chip was read, byte for byte. */
static void assert_read_whole(const doc *d, const pp_document *got)
{
	const uint8_t *data;
	size_t len;
	assert_true(vpass_doc_file(d->chip, VPASS_FID_COM, &data, &len));
	assert_true(got->com.present && got->com.len == len && memcmp(got->com.data, data, len) == 0);
	assert_true(vpass_doc_file(d->chip, VPASS_FID_SOD, &data, &len));
	assert_true(got->sod.present && got->sod.len == len && memcmp(got->sod.data, data, len) == 0);
	for (size_t i = 0; d->dgs[i]; i++) {
		const pp_file *pf = &got->dg[d->dgs[i]];
		assert_true(vpass_doc_file(d->chip, VPASS_FID_DG(d->dgs[i]), &data, &len));
		if (!pf->present || pf->len != len || memcmp(pf->data, data, len) != 0)
			fail_msg("DG%d was not read whole (err %d, sw %04X)", d->dgs[i], pf->err, pf->sw);
	}
}

static pp_document *read_ok(rig *r, const doc *d, const pp_read_options *opt, const char *what)
{
	pp_document *got = NULL;
	char err[256] = "";
	pp_err e = pp_read_document(r->t, &d->key, opt, &got, err, sizeof err);
	if (e != PP_OK)
		fail_msg("%s: %s (%s)", what, pp_strerror(e), err);
	assert_read_whole(d, got);
	return got;
}

/* ---- the typical document --------------------------------------------------- */

/* By SFI the typical document costs one command less per file than by
 * SELECT, which is what a chip that refuses SFI costs (less its one
 * refused read) and what every read cost before. Both counts printed. */
static void test_typical_fewer_commands(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->typical.chip, NULL);
	pp_document *by_sfi = read_ok(&r, &f->typical, NULL, "by SFI");
	assert_int_equal(by_sfi->sfi_refused_sw, 0);
	assert_string_equal(by_sfi->access_control, "PACE");
	assert_int_equal(by_sfi->chip_auth.result, PP_AUTH_PASSED);
	assert_true(by_sfi->extended_length);
	unsigned long files = files_of(&f->typical);
	assert_int_equal(files, 6); /* EF.COM, EF.SOD, DG1, DG2, DG14, DG15 */
	assert_int_equal(sfi_reads(&r.log), files);
	assert_int_equal(ef_selects(&r.log), 0);
	/* Each file one READ BINARY: its whole length in one extended answer. */
	assert_int_equal(by_sfi->com.apdus + by_sfi->sod.apdus + by_sfi->dg[1].apdus + by_sfi->dg[2].apdus +
	                         by_sfi->dg[14].apdus + by_sfi->dg[15].apdus,
	                 files);
	unsigned long sfi_count = by_sfi->apdus;
	rig_close(&r);

	rig_open(&r, f->typical.chip, &(vpass_options){ .sfi_refuse = 0x6A81 });
	pp_document *by_select = read_ok(&r, &f->typical, NULL, "by SELECT");
	assert_int_equal(by_select->sfi_refused_sw, 0x6A81);
	assert_int_equal(sfi_reads(&r.log), 1);
	assert_int_equal(ef_selects(&r.log), files);
	unsigned long select_count = by_select->apdus - 1;
	print_message("typical document over an extended-length reader: %lu commands by SFI, %lu by SELECT "
	              "(before this change; a chip refusing SFI adds its one refused read)\n",
	              sfi_count, select_count);
	assert_int_equal(sfi_count + files, select_count);
	/* The plan in hal/passport/reader.c: EF.CardAccess 2, PACE 5, the
	 * application 1, six files 6, chip authentication 2 (its proof is
	 * the answer to DG1's read). */
	assert_int_equal(sfi_count, 16);
	pp_document_free(by_sfi);
	pp_document_free(by_select);
	rig_close(&r);
}

/* ---- refusals ------------------------------------------------------------------- */

/* Each status a chip may refuse a read by SFI with: the first file is
 * selected and read, every later one too, and no READ BINARY names an SFI
 * after the refusal. With plain_errors the refusal comes in the clear,
 * ending the session: it is asked again under a new one, then believed
 * (it only costs a SELECT). */
static void test_refusal_switches_to_select(void **state)
{
	fx *f = *state;
	static const uint16_t refusals[] = { 0x6A81, 0x6D00, 0x6986, 0x6A86, 0x6B00, 0x6A82 };
	unsigned long files = files_of(&f->typical);
	for (int plain = 0; plain <= 1; plain++) {
		for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
			rig r;
			rig_open(&r, f->typical.chip, &(vpass_options){ .sfi_refuse = refusals[i], .plain_errors = plain });
			char what[64];
			snprintf(what, sizeof what, "SFI refused with %04X%s", refusals[i], plain ? " in the clear" : "");
			pp_document *d = read_ok(&r, &f->typical, NULL, what);
			if (d->sfi_refused_sw != refusals[i])
				fail_msg("%s: the document says %04X", what, d->sfi_refused_sw);
			/* EF.COM by SFI (twice when refused in the clear), then
			 * never again. */
			assert_int_equal(sfi_reads(&r.log), plain ? 2 : 1);
			assert_int_equal(ef_selects(&r.log), files);
			assert_int_equal(sfi_reads_after_select(&r.log), 0);
			assert_int_equal(d->sm_ended, plain ? 2 : 0);
			assert_int_equal(d->chip_auth.result, PP_AUTH_PASSED);
			pp_document_free(d);
			rig_close(&r);
		}
	}
}

/* A chip that knows the SFIs of EF.COM and EF.SOD only: DG14, the first
 * data group, is "not found" by SFI, its SELECT finds it, and the data
 * groups are selected from then on. Told another status for the unknown
 * SFIs, the same. */
static void test_some_files_by_sfi(void **state)
{
	fx *f = *state;
	static const uint16_t refusals[] = { 0, 0x6A81 };
	for (size_t i = 0; i < 2; i++) {
		rig r;
		vpass_options o = { .sfi_only = VPASS_SFI_BIT(0x1E) | VPASS_SFI_BIT(0x1D), .sfi_refuse = refusals[i] };
		rig_open(&r, f->typical.chip, &o);
		pp_document *d = read_ok(&r, &f->typical, NULL, "SFIs of EF.COM and EF.SOD only");
		assert_int_equal(d->sfi_refused_sw, refusals[i] ? refusals[i] : 0x6A82);
		/* EF.COM, EF.SOD, DG14 refused; then every data group is
		 * selected. */
		assert_int_equal(sfi_reads(&r.log), 3);
		assert_int_equal(ef_selects(&r.log), files_of(&f->typical) - 2);
		assert_int_equal(sfi_reads_after_select(&r.log), 0);
		assert_int_equal(d->dg[14].apdus, 3); /* refused, SELECT, READ BINARY */
		pp_document_free(d);
		rig_close(&r);
	}
}

/* Chip authentication's proof is the first answer that comes protected,
 * not the first answer: DG1, the first file after it, is refused by SFI in
 * the clear (this chip knows the SFIs of EF.COM, EF.SOD and DG14 only, and
 * sends its errors unprotected). That proves nothing either way: asked
 * again under a new session (chip authentication again), refused again,
 * then selected under another, the protected answer proves the chip, and
 * the read ends with chip authentication passed. */
static void test_proof_after_clear_refusal(void **state)
{
	fx *f = *state;
	rig r;
	vpass_options o = { .sfi_only = VPASS_SFI_BIT(0x1E) | VPASS_SFI_BIT(0x1D) | VPASS_SFI_BIT(0x0E),
		            .plain_errors = true };
	rig_open(&r, f->typical.chip, &o);
	pp_document *d = read_ok(&r, &f->typical, NULL, "DG1 refused by SFI in the clear after chip authentication");
	assert_int_equal(d->sfi_refused_sw, 0x6A82);
	/* Once for the refusal, once for the SELECT after it (the refusal
	 * that stood left the session ended). */
	assert_int_equal(d->reestablished, 2);
	assert_int_equal(d->chip_auth.result, PP_AUTH_PASSED);
	/* EF.COM, EF.SOD and DG14 by SFI, DG1 by SFI twice: no read spent
	 * on a proof, under any of the three chip authentications. */
	assert_int_equal(sfi_reads(&r.log), 5);
	unsigned long com_reads = 0;
	for (size_t i = 0; i < spy_logged(&r.log); i++)
		com_reads += r.log.log[i].ins == 0xB0 && r.log.log[i].p1 == 0x9E;
	assert_int_equal(com_reads, 1);
	pp_document_free(d);
	rig_close(&r);
}

/* A clone: it runs chip authentication's commands (it has the public
 * key, as anyone may) but cannot derive the keys, so every protected
 * command after it gets a status in the clear, whichever it picks. The read
 * ends "possible cloned chip" with chip authentication failed, never as a
 * chip fault that asks the applicant to try again; and without setting
 * the session up again for every file. */
static void test_clone_answers_in_the_clear(void **state)
{
	fx *f = *state;
	static const uint16_t answers[] = { 0x6982, 0x6D00, 0x9000, 0x6A82, 0x6987 };
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		rig r;
		rig_open(&r, f->typical.chip, NULL);
		r.log.clone_sw = answers[i];
		pp_document *d = NULL, *partial = NULL;
		char err[512] = "";
		pp_err e = pp_read_document_partial(r.t, &f->typical.key, NULL, &d, &partial, err, sizeof err);
		if (e != PP_ERR_CHIP_AUTH || !strstr(err, "possible cloned chip"))
			fail_msg("a clone answering %04X in the clear: %s (%s)", answers[i], pp_strerror(e), err);
		assert_null(d);
		assert_non_null(partial);
		assert_int_equal(partial->chip_auth.result, PP_AUTH_FAILED);
		assert_true(partial->reestablished <= 4);
		pp_document_free(partial);
		rig_close(&r);
	}
}

/* A genuine chip whose link dies just after chip authentication: every
 * answer lost, the session not set up again. That is no answer from the
 * chip, so no verdict on its key: the read ends on the link, and chip
 * authentication is not reported failed. */
static void test_link_lost_after_chip_auth(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->typical.chip, NULL);
	r.log.dead_after_ca = true;
	pp_document *d = NULL, *partial = NULL;
	char err[512] = "";
	pp_err e = pp_read_document_partial(r.t, &f->typical.key, NULL, &d, &partial, err, sizeof err);
	if (e == PP_OK || e == PP_ERR_CHIP_AUTH || strstr(err, "cloned"))
		fail_msg("a link lost after chip authentication: %s (%s)", pp_strerror(e), err);
	assert_non_null(partial);
	assert_int_not_equal(partial->chip_auth.result, PP_AUTH_FAILED);
	assert_int_not_equal(partial->chip_auth.result, PP_AUTH_PASSED);
	pp_document_free(partial);
	rig_close(&r);
}

/* ---- absent data groups -------------------------------------------------------- */

/* DG11, listed and hashed but not on the chip: 6A82 by SFI, 6A82 to its
 * SELECT: recorded as absent, and the files after it are still read by
 * SFI. From a chip that sends errors in the clear the same, with the
 * session set up again. */
static void test_absent_by_sfi(void **state)
{
	fx *f = *state;
	for (int plain = 0; plain <= 1; plain++) {
		rig r;
		rig_open(&r, f->absent.chip, &(vpass_options){ .plain_errors = plain });
		pp_document *d = read_ok(&r, &f->absent, NULL, plain ? "DG11 absent, errors in the clear" : "DG11 absent");
		assert_true(d->listed[11] && d->in_sod[11]);
		assert_false(d->dg[11].present);
		assert_int_equal(d->dg[11].err, PP_ERR_FILE_NOT_FOUND);
		assert_int_equal(d->dg[11].sw, 0x6A82);
		assert_int_equal(d->sfi_refused_sw, 0);
		assert_int_equal(d->error_sw, 0);
		/* Every file by SFI, DG11 too (again in the clear), and only
		 * DG11 selected (again in the clear). */
		unsigned long again = plain ? 1 : 0;
		assert_int_equal(sfi_reads(&r.log), files_of(&f->absent) + 1 + again);
		assert_int_equal(ef_selects(&r.log), 1 + (unsigned long)plain);
		assert_true(d->dg[12].present);
		if (plain)
			assert_true(d->reestablished >= 2);
		pp_document_free(d);
		rig_close(&r);
	}
}

/* ---- lost answers and length ---------------------------------------------------- */

/* Answers to reads of more than 1000 bytes are lost, from the first READ
 * BINARY by SFI on: the session is set up again and the same file asked
 * for by SFI, smaller, until it answers. No file is selected. */
static void test_lost_sfi_read(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->typical.chip, &(vpass_options){ .timeout_above = 1000 });
	pp_document *d = read_ok(&r, &f->typical, NULL, "answers above 1000 bytes lost");
	assert_true(d->timeouts > 0);
	assert_true(d->reestablished > 0);
	assert_true(d->read_size <= 1000);
	assert_int_equal(d->sfi_refused_sw, 0);
	assert_true(sfi_reads(&r.log) > files_of(&f->typical) + 1);
	pp_document_free(d);
	rig_close(&r);
}

/* The answer to a read at an offset (the file current by its SFI read) is
 * lost: the session restored selects that file by its identifier, and the
 * read goes on from the same offset. The document stays in SFI mode. */
static void test_lost_read_at_offset(void **state)
{
	fx *f = *state;
	for (unsigned long k = 1; k <= 12; k += 11) {
		rig r;
		rig_open(&r, f->typical.chip, NULL);
		r.log.lose_read = k;
		pp_read_options o = { .max_read = 1000 };
		pp_document *d = read_ok(&r, &f->typical, &o, "a read at an offset lost");
		assert_int_equal(d->timeouts, 1);
		assert_int_equal(d->reestablished, 1);
		assert_int_equal(d->sfi_refused_sw, 0);
		/* The 12th falls in DG2, after chip authentication, which
		 * runs again; the file picked up is its proof. */
		assert_int_equal(sfi_reads(&r.log), files_of(&f->typical));
		assert_int_equal(ef_selects(&r.log), 1); /* the file picked up again */
		pp_document_free(d);
		rig_close(&r);
	}
}

/* A reader that claims extended length and a chip that refuses it (6700):
 * the first READ BINARY by SFI goes again short, still by SFI; the rest of
 * the session reads short. A reader without it reads short by SFI from
 * the start. */
static void test_short_reads_by_sfi(void **state)
{
	fx *f = *state;
	for (int claim = 0; claim <= 1; claim++) {
		rig r;
		rig_open(&r, f->typical.chip, &(vpass_options){ .short_only = true });
		r.log.claim_extended = claim;
		pp_document *d = read_ok(&r, &f->typical, NULL, claim ? "extended refused by the chip" : "short only");
		assert_false(d->extended_length);
		assert_int_equal(d->short_fallbacks, (unsigned long)claim);
		assert_int_equal(d->sfi_refused_sw, 0);
		assert_int_equal(sfi_reads(&r.log), files_of(&f->typical) + (unsigned long)claim);
		assert_int_equal(ef_selects(&r.log), 0);
		pp_document_free(d);
		rig_close(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typical_fewer_commands),
		cmocka_unit_test(test_refusal_switches_to_select),
		cmocka_unit_test(test_some_files_by_sfi),
		cmocka_unit_test(test_proof_after_clear_refusal),
		cmocka_unit_test(test_clone_answers_in_the_clear),
		cmocka_unit_test(test_link_lost_after_chip_auth),
		cmocka_unit_test(test_absent_by_sfi),
		cmocka_unit_test(test_lost_sfi_read),
		cmocka_unit_test(test_lost_read_at_offset),
		cmocka_unit_test(test_short_reads_by_sfi),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
