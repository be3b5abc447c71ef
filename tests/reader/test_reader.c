/*
 * test_reader — the reading stack (hal/passport/reader.c) against the
 * virtual e-passport chip in-process: a generated passport read whole is
 * byte-identical to what the document factory wrote; the wrong MRZ, a chip
 * or reader without extended length, small answers, large files needing the
 * odd READ BINARY, transient read errors, removal at every step, a wrong
 * MAC, truncated or missing files and a card that is not a passport each
 * end the way the applicant or engineer would expect.
 *
 * Issue 14's part: a chip that stops answering after every number of
 * commands ends the read as unresponsive, with no retry.
 *
 * Issue 3's part: EF.CardAccess reached by each selection variant a chip
 * may insist on (and absent: BAC); PACE, and BAC after a failed PACE with a
 * fresh SELECT in between; a PACE-only chip; chip authentication (CA,
 * PACE-CAM) and active authentication, genuine and cloned; answers sent in
 * 61XX pieces; reads whose answer is lost; data groups EF.COM lists that
 * are absent, and ones on the chip it does not list. Tests that need PACE
 * or CA from the chip skip, saying so, when this build's chip or terminal
 * does not offer it.
 *
 * Between the reading stack and the chip's transport sits a "spy" driver:
 * it forwards every APDU unchanged, records what the terminal sent (length
 * form, READ BINARY instruction and Le, and a log of every command header)
 * and can pretend to be a reader that passes extended APDUs the chip
 * refuses, or a card with no eMRTD application. It also watches that no
 * command but those of access control goes in the clear once a session
 * has been up: every rig checks that when it closes, so every test here
 * does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/apdu.h"
#include "crypto/pa.h"
#include "crypto/tlv.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/sim.h"
#include "hal/passport/reader.h"
#include "hal/passport/sw-internal.h"
#include "hal/passport/verify.h"
#include "hal/passport/transport-internal.h"
#include "tests/docgen/fixture.h"
#include "tests/reader/spy.h"

/* Plain bytes of a short READ BINARY under 3DES SM, as reader.c uses. */
#define SHORT_READ 223
/* Commands a chip without EF.CardAccess costs: SELECT P1 02 P2 0C, P1 00
 * P2 0C, P1 02 P2 04 with Le, READ BINARY by SFI, each answered 6A82. */
#define CARD_ACCESS_PROBES 4

/* ---- a chip on a reader --------------------------------------------------- */

typedef struct rig {
	vpass_card *card;
	spy spy;
	pp_transport *t;
} rig;

static void rig_open(rig *r, const vpass_doc *doc, const vpass_options *opts)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(vpass_card_new(doc, opts, &r->card), VPASS_OK);
	r->spy.card = r->card;
	assert_int_equal(pp_sim_transport_new(r->card, &r->spy.inner), PP_OK);
	assert_int_equal(pp_transport_new(&spy_ops, &r->spy, &r->t), PP_OK);
}

static void rig_close(rig *r)
{
	if (r->spy.plain_after_access)
		fail_msg("%lu command(s) went in the clear after access control, the first %02X %02X %02X %02X",
		         r->spy.plain_after_access, r->spy.first_plain.cla, r->spy.first_plain.ins, r->spy.first_plain.p1,
		         r->spy.first_plain.p2);
	pp_transport_free(r->t);
	pp_transport_free(r->spy.inner);
	vpass_card_free(r->card);
}

static void spy_clear(spy *s)
{
	s->apdus = s->extended_apdus = s->reads_b0 = s->reads_b1 = 0;
	s->max_le_b0 = s->max_le_b1 = 0;
	s->n_log = 0;
}

/* Index of the first logged command from `from` on with this CLA and INS
 * (and P1 when p1 >= 0), or -1. */
static long spy_find(const spy *s, size_t from, int cla, int ins, int p1)
{
	size_t n = spy_logged(s);
	for (size_t i = from; i < n; i++)
		if ((cla < 0 || s->log[i].cla == cla) && s->log[i].ins == ins && (p1 < 0 || s->log[i].p1 == p1))
			return (long)i;
	return -1;
}

static unsigned long spy_count(const spy *s, int cla, int ins)
{
	unsigned long n = 0;
	size_t end = spy_logged(s);
	for (size_t i = 0; i < end; i++)
		if ((cla < 0 || s->log[i].cla == cla) && s->log[i].ins == ins)
			n++;
	return n;
}

/* ---- the generated document ------------------------------------------------ */

typedef struct gen_file {
	const char *name;     /* as pp_read_document names it in errors */
	const char *disk;     /* file name in the document directory */
	uint16_t fid;
	int dg;               /* 0 for EF.COM / EF.SOD */
	uint8_t *data;
	size_t len;
} gen_file;

enum { F_COM, F_SOD, F_DG1, F_DG2, F_DG11, F_DG12, F_DG15, N_FILES };

/* A document of one of docgen's profiles, as the chip holds it. */
typedef struct profile_doc {
	const char *dir;
	vpass_doc *doc;
	pp_access_key key;    /* the MRZ part */
	char can[7];
} profile_doc;

typedef struct fx {
	char *root;
	const char *pki;
	const char *dir;      /* wulandari with DG15 */
	vpass_doc *doc;       /* loaded from dir */
	pp_access_key key;
	gen_file files[N_FILES];
	size_t total;         /* sum of the file lengths */
	profile_doc pace;     /* PACE ECDH-GM (BAC allowed too); EF.CardAccess */
	profile_doc ca;       /* PACE, then chip authentication (DG14) */
	profile_doc cam;      /* PACE-CAM */
	profile_doc ecdsa;    /* BAC, active authentication ECDSA (hash in DG14) */
} fx;

/* Steps of the protocol a test checks: PACE's MSE:Set AT and General
 * Authenticate, BAC's GET CHALLENGE, INTERNAL AUTHENTICATE, GET RESPONSE. */
#define INS_MSE 0x22
#define INS_GENERAL_AUTH 0x86
#define INS_GET_CHALLENGE 0x84
#define INS_SELECT 0xA4
#define INS_INTERNAL_AUTH 0x88
#define INS_GET_RESPONSE 0xC0

static void profile_load(fx *f, profile_doc *pd, const char *profile, const char *persona)
{
	docgen_doc_opts o = { 0 };
	char err[256] = "";
	if (docgen_doc_profile(profile, &o, err, sizeof err) != DOCGEN_OK)
		fail_msg("docgen profile %s: %s", profile, err);
	pd->dir = fx_doc(f->root, profile, f->pki, persona, o);
	vpass_result vr = vpass_doc_load(pd->dir, &pd->doc, err, sizeof err);
	if (vr != VPASS_OK)
		fail_msg("vpass_doc_load %s: %s", profile, err);
	fx_doc_access_key(pd->dir, &pd->key);
	snprintf(pd->can, sizeof pd->can, "%s", fx_doc_value(pd->dir, "can"));
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->root = fx_tmpdir();
	f->pki = fx_pki(f->root, "pki", NULL);
	f->dir = fx_doc(f->root, "doc", f->pki, "wulandari", (docgen_doc_opts){ .dg15 = true });
	char err[256] = "";
	vpass_result vr = vpass_doc_load(f->dir, &f->doc, err, sizeof err);
	if (vr != VPASS_OK)
		fail_msg("vpass_doc_load: %s", err);
	fx_doc_access_key(f->dir, &f->key);
	assert_string_equal(f->key.birth_date, "880412");

	static const gen_file layout[N_FILES] = {
		[F_COM] = { "EF.COM", "EF.COM", VPASS_FID_COM, 0, NULL, 0 },
		[F_SOD] = { "EF.SOD", "EF.SOD", VPASS_FID_SOD, 0, NULL, 0 },
		[F_DG1] = { "DG1", "EF.DG1", VPASS_FID_DG(1), 1, NULL, 0 },
		[F_DG2] = { "DG2", "EF.DG2", VPASS_FID_DG(2), 2, NULL, 0 },
		[F_DG11] = { "DG11", "EF.DG11", VPASS_FID_DG(11), 11, NULL, 0 },
		[F_DG12] = { "DG12", "EF.DG12", VPASS_FID_DG(12), 12, NULL, 0 },
		[F_DG15] = { "DG15", "EF.DG15", VPASS_FID_DG(15), 15, NULL, 0 },
	};
	for (int i = 0; i < N_FILES; i++) {
		f->files[i] = layout[i];
		f->files[i].data = fx_read(fx_path(f->dir, layout[i].disk), &f->files[i].len);
		assert_non_null(f->files[i].data);
		assert_true(f->files[i].len > 0);
		f->total += f->files[i].len;
	}
	/* DG2 (the face) must need several short reads for the tests below. */
	assert_true(f->files[F_DG2].len > 4 * SHORT_READ);
	profile_load(f, &f->pace, "pace", "lestari");
	profile_load(f, &f->ca, "ca", "hartono");
	profile_load(f, &f->cam, "pace-cam", "lestari");
	profile_load(f, &f->ecdsa, "aa-ecdsa", "hartono");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	for (int i = 0; i < N_FILES; i++)
		free(f->files[i].data);
	vpass_doc_free(f->doc);
	vpass_doc_free(f->pace.doc);
	vpass_doc_free(f->ca.doc);
	vpass_doc_free(f->cam.doc);
	vpass_doc_free(f->ecdsa.doc);
	fx_rmtree(f->root);
	free(f);
	return 0;
}

static const pp_file *doc_file(const pp_document *d, const gen_file *g)
{
	if (g->fid == VPASS_FID_COM)
		return &d->com;
	if (g->fid == VPASS_FID_SOD)
		return &d->sod;
	return &d->dg[g->dg];
}

static void assert_same(const pp_file *pf, const uint8_t *data, size_t len, const char *name)
{
	if (!pf->present)
		fail_msg("%s was not read (err %d, sw %04X)", name, pf->err, pf->sw);
	if (pf->len != len)
		fail_msg("%s: read %zu bytes, the chip holds %zu", name, pf->len, len);
	if (memcmp(pf->data, data, len) != 0)
		fail_msg("%s: the bytes read differ from the chip's", name);
}

/* Every file of the generated document is byte-identical to the disk. */
static void assert_all_files(const fx *f, const pp_document *d)
{
	for (int i = 0; i < N_FILES; i++)
		assert_same(doc_file(d, &f->files[i]), f->files[i].data, f->files[i].len, f->files[i].name);
}

/* Short reads a file needs at `chunk` bytes each. */
static unsigned long reads_needed(size_t len, size_t chunk)
{
	return (unsigned long)((len + chunk - 1) / chunk);
}

static pp_err read_doc(rig *r, const pp_access_key *key, const pp_read_options *opt, pp_document **ret,
                       char *err, size_t errlen)
{
	return pp_read_document(r->t, key, opt, ret, err, errlen);
}

/* A read that must succeed: the document (the caller frees it), or the test
 * fails with the label fmt makes, the error and the reader's message. */
static pp_document *read_ok(rig *r, const pp_access_key *key, const pp_read_options *opt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static pp_document *read_ok(rig *r, const pp_access_key *key, const pp_read_options *opt, const char *fmt, ...)
{
	pp_document *d = NULL;
	char err[256] = "";
	pp_err e = read_doc(r, key, opt, &d, err, sizeof err);
	if (e != PP_OK) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		fail_msg("%s: %s (%s)", what, pp_strerror(e), err);
	}
	assert_non_null(d);
	return d;
}

/* Arms the chip from the progress callback once the read has reached
 * `at` bytes in all. */
typedef struct arm {
	vpass_card *card;
	size_t at;
	bool done;
	vpass_options opts;   /* applied on top of the card's options */
	bool fail, corrupt, short_only, timeout;
	bool drop;            /* end the session at the next protected command (opts.drop_sm)
	                       * and refuse BAC from then on (opts.refuse_bac) */
} arm;

static void arm_progress(size_t bytes_read, size_t bytes_expected, void *user)
{
	(void)bytes_expected;
	arm *a = user;
	if (a->done || bytes_read < a->at)
		return;
	vpass_options o;
	vpass_card_get_options(a->card, &o);
	if (a->fail)
		o.fail_reads = a->opts.fail_reads;
	if (a->corrupt)
		o.corrupt_mac = true;
	if (a->short_only)
		o.short_only = true;
	if (a->timeout)
		o.timeout_above = a->opts.timeout_above;
	if (a->drop) {
		o.drop_sm = a->opts.drop_sm;
		o.drop_sm_at = 1;
		o.refuse_bac = a->opts.refuse_bac;
	}
	vpass_card_set_options(a->card, &o);
	a->done = true;
}

/* ---- a whole read ------------------------------------------------------------ */

static void test_whole_read(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_document *d = read_ok(&r, &f->key, NULL, "first read");
	assert_non_null(d);
	assert_all_files(f, d);

	assert_string_equal(d->access_control, "BAC");
	assert_string_equal(d->reader, "spy reader");
	assert_true(d->extended_length);
	assert_true(d->read_size > SHORT_READ);
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		bool expected = dg == 1 || dg == 2 || dg == 11 || dg == 12 || dg == 15;
		assert_int_equal(d->listed[dg], expected);
		if (!expected)
			assert_false(d->dg[dg].present);
	}

	/* The reader's counters are the chip's. */
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(d->apdus, st.apdus);
	assert_int_equal(d->bytes_sent, st.bytes_in);
	assert_int_equal(d->bytes_received, st.bytes_out);
	assert_int_equal(st.bac_ok, 1);
	assert_int_equal(st.bac_failed, 0);
	assert_int_equal(st.sm_errors, 0);
	assert_int_equal(d->retried_reads, 0);
	assert_int_equal(d->short_fallbacks, 0);
	assert_int_equal(d->timeouts, 0);
	assert_int_equal(d->reestablished, 0);
	/* No EF.CardAccess: every selection tried, then BAC without PACE. */
	assert_false(d->card_access.present);
	assert_int_equal(d->card_access.err, PP_ERR_FILE_NOT_FOUND);
	assert_string_equal(d->card_access_selection, "");
	assert_int_equal(d->card_access.apdus, CARD_ACCESS_PROBES);
	assert_false(d->pace.attempted);
	assert_false(d->bac_fallback);
	/* DG15 and no DG14: active authentication, RSA-2048, passes. */
	assert_int_equal(d->chip_auth.result, PP_AUTH_NOT_SUPPORTED);
	assert_string_equal(d->chip_auth.method, "");
	assert_int_equal(d->active_auth.result, PP_AUTH_PASSED);
	assert_non_null(strstr(d->active_auth.algorithm, "RSA-2048"));
	assert_int_equal(st.aa_signatures, 1);
	/* Extended length: one READ BINARY per file, naming it by its short
	 * identifier (no SELECT), plus SELECT application, GET CHALLENGE,
	 * EXTERNAL AUTHENTICATE, the EF.CardAccess probes and INTERNAL
	 * AUTHENTICATE. */
	assert_int_equal(d->apdus, 3 + N_FILES + CARD_ACCESS_PROBES + 1);
	assert_int_equal(d->sfi_refused_sw, 0);
	assert_true(d->bytes_received >= f->total);
	unsigned long per_file = d->card_access.apdus;
	for (int i = 0; i < N_FILES; i++)
		per_file += doc_file(d, &f->files[i])->apdus;
	assert_int_equal(per_file + 3 + 1, d->apdus);
	assert_true(d->total_seconds >= d->read_seconds);
	pp_document_free(d);

	/* A second read on the same reader (the kiosk's next applicant) counts
	 * afresh. */
	d = read_ok(&r, &f->key, NULL, "second read");
	assert_int_equal(d->apdus, 3 + N_FILES + CARD_ACCESS_PROBES + 1);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* What was read verifies: the SOD's signature chains to the PKI's CSCA and
 * every data group's hash matches. */
static void test_read_passes_pa(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_document *d = read_ok(&r, &f->key, NULL, "read");

	pa_trust *trust = fx_trust(f->pki);
	char err[256] = "";
	pa_dg dgs[PA_MAX_DGS];
	size_t n = 0;
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		if (d->dg[dg].present)
			dgs[n++] = (pa_dg){ .number = dg, .data = d->dg[dg].data, .len = d->dg[dg].len };
	assert_int_equal(n, 5);
	pa_report rep;
	assert_int_equal(pa_verify(trust, d->sod.data, d->sod.len, dgs, n, time(NULL), &rep, err, sizeof err),
	                 CRYPTO_OK);
	assert_int_equal(rep.sod_signature.status, PA_PASS);
	assert_int_equal(rep.chain.status, PA_PASS);
	for (size_t i = 0; i < rep.n_dgs; i++)
		assert_int_equal(rep.dgs[i].hash.status, PA_PASS);
	assert_true(rep.passed);
	pa_trust_free(trust);
	pp_document_free(d);
	rig_close(&r);
}

/* ---- access control ----------------------------------------------------------- */

static void test_wrong_key(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_document sentinel;
	pp_document *d = &sentinel;

	pp_access_key wrong = f->key;
	memcpy(wrong.birth_date, "880413", 7);
	assert_int_equal(read_doc(&r, &wrong, NULL, &d, NULL, 0), PP_ERR_ACCESS_DENIED);
	assert_ptr_equal(d, &sentinel); /* untouched on failure */
	assert_true(pp_err_is_user(PP_ERR_ACCESS_DENIED));
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_failed, 1);
	assert_int_equal(st.bac_ok, 0);
	assert_false(vpass_card_sm_active(r.card));

	/* Another document number is no better. */
	pp_access_key other = f->key;
	snprintf(other.document_number, sizeof other.document_number, "X1234567");
	assert_int_equal(read_doc(&r, &other, NULL, &d, NULL, 0), PP_ERR_ACCESS_DENIED);
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_failed, 2);

	/* The applicant retypes the MRZ: the same chip now reads. */
	assert_int_equal(read_doc(&r, &f->key, NULL, &d, NULL, 0), PP_OK);
	assert_ptr_not_equal(d, &sentinel);
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_ok, 1);
	assert_int_equal(st.bac_failed, 2);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* ---- length forms ----------------------------------------------------------------- */

/* A wrong MRZ on a PACE document: PACE fails, then BAC. The message gives
 * each protocol's reason once, and leaves the advice to the caller. */
static void test_wrong_key_pace_message(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->pace.doc, NULL);
	pp_access_key wrong = f->pace.key;
	memcpy(wrong.birth_date, wrong.birth_date[5] == '1' ? "010102" : "010101", 7);
	pp_document *d = NULL;
	char err[512] = "";
	assert_int_equal(read_doc(&r, &wrong, NULL, &d, err, sizeof err), PP_ERR_ACCESS_DENIED);
	const char *pace = strstr(err, "PACE: ");
	const char *bac = strstr(err, "BAC: the chip did not accept the key from the MRZ: status 6300");
	if (!pace || !bac || bac < pace)
		fail_msg("expected PACE's reason, then BAC's: %s", err);
	assert_null(strstr(err, "try again"));
	assert_null(strstr(bac + 1, "BAC:"));
	assert_null(strstr(pace + 1, "PACE: "));
	pp_document_free(d);
	rig_close(&r);
}

/* A chip without extended length on a reader that knows it: short reads
 * from the start, nothing to fall back from. */
static void test_short_only_chip(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .short_only = true });
	pp_document *d = read_ok(&r, &f->key, NULL, "short-only chip");
	assert_all_files(f, d);
	assert_false(d->extended_length);
	assert_int_equal(r.spy.extended_apdus, 0);
	assert_true(d->read_size <= SHORT_READ);
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(d->apdus, st.apdus);
	pp_document_free(d);
	rig_close(&r);
}

/* A reader that passes extended APDUs, a chip that refuses them (6700 in
 * the clear, which ends its SM session): the reader falls back to short
 * reads, redoes BAC, and still reads every byte. */
static void test_short_only_chip_fallback(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .short_only = true });
	r.spy.claim_extended = true;
	pp_document *d = read_ok(&r, &f->key, NULL, "read");
	assert_all_files(f, d);
	assert_false(d->extended_length);
	assert_true(d->short_fallbacks >= 1);
	assert_true(r.spy.extended_apdus >= 1);
	assert_true(d->read_size <= SHORT_READ);
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(d->apdus, st.apdus);
	assert_true(st.bac_ok >= 2); /* access control again after the refusal */
	pp_document_free(d);
	rig_close(&r);

	/* The chip starts refusing in the middle of DG2 (at offset 2000): the
	 * reader redoes access control and goes on from there. */
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 1000 });
	r.spy.claim_extended = true;
	size_t before_dg2 = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len;
	arm a = { .card = r.card, .at = before_dg2 + 2000, .short_only = true };
	pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
	d = read_ok(&r, &f->key, &opt, "refusal mid-DG2");
	assert_true(a.done);
	assert_all_files(f, d);
	assert_int_equal(d->short_fallbacks, 1);
	assert_false(d->extended_length);
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_ok, 2);
	pp_document_free(d);
	rig_close(&r);
}

/* A reader that says it passes extended APDUs but fails them (the link
 * error, not the chip, refuses): reader.c falls back to short reads for
 * this case, and the read must still succeed. */
static void test_reader_refuses_extended(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	r.spy.claim_extended = true;
	r.spy.refuse_extended = true;
	pp_document *d = NULL;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->key, NULL, &d, err, sizeof err);
	bool all = e == PP_OK;
	for (int i = 0; all && i < N_FILES; i++) {
		const pp_file *pf = doc_file(d, &f->files[i]);
		all = pf->present && pf->len == f->files[i].len && !memcmp(pf->data, f->files[i].data, pf->len);
	}
	bool fell_back = e == PP_OK && d->short_fallbacks >= 1 && !d->extended_length;
	if (e == PP_OK)
		pp_document_free(d);
	rig_close(&r); /* before any failure: no leak reports under ASan */
	if (e != PP_OK)
		fail_msg("read: %s (%s)", pp_strerror(e), err);
	assert_true(all);
	assert_true(fell_back);
}

/* The terminal told to use short APDUs only: none is extended and no read
 * asks for more than fits one short protected answer. */
static void test_terminal_short_only(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_read_options opt = { .short_only = true };
	pp_document *d = read_ok(&r, &f->key, &opt, "terminal short only");
	assert_all_files(f, d);
	assert_false(d->extended_length);
	assert_int_equal(d->short_fallbacks, 0);
	assert_int_equal(r.spy.extended_apdus, 0);
	assert_true(r.spy.max_le_b0 <= SHORT_READ);
	assert_true(d->read_size <= SHORT_READ);
	unsigned long reads = 0;
	for (int i = 0; i < N_FILES; i++)
		reads += reads_needed(f->files[i].len, SHORT_READ);
	assert_true(r.spy.reads_b0 + r.spy.reads_b1 >= reads);
	assert_true(d->apdus >= 3 + CARD_ACCESS_PROBES + reads);
	pp_document_free(d);
	rig_close(&r);
}

/* A chip that answers at most 100 bytes per READ BINARY: the reader goes on
 * from where the chip stopped. */
static void test_chip_answers_little(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 100 });
	pp_document *d = read_ok(&r, &f->key, NULL, "read");
	assert_all_files(f, d);
	unsigned long reads = 0;
	for (int i = 0; i < N_FILES; i++)
		reads += reads_needed(f->files[i].len, 100);
	assert_true(r.spy.reads_b0 + r.spy.reads_b1 >= reads);
	assert_true(d->apdus >= 3 + CARD_ACCESS_PROBES + reads);
	pp_document_free(d);

	/* The same with short APDUs: 100 is under the short size too. */
	spy_clear(&r.spy);
	pp_read_options opt = { .short_only = true };
	d = read_ok(&r, &f->key, &opt, "short APDUs");
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* The caller's cap on a READ BINARY is honoured and is what read_size
 * reports. */
static void test_max_read_option(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_read_options opt = { .max_read = 1000 };
	pp_document *d = read_ok(&r, &f->key, &opt, "max_read 1000");
	assert_all_files(f, d);
	assert_int_equal(d->read_size, 1000);
	assert_true(r.spy.max_le_b0 <= 1000);
	assert_true(r.spy.reads_b0 >= reads_needed(f->files[F_DG2].len, 1000));
	pp_document_free(d);
	rig_close(&r);
}

/* ---- a large DG2 (offsets past 32767: READ BINARY B1) ------------------------- */

#define ICAO_DOCNO "L898902C"
#define ICAO_DOB   "690806"
#define ICAO_DOE   "940623"

/* EF.COM, LDS 1.7, listing DG1 and DG2. */
static const uint8_t com_dg1_dg2[] = {
	0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F, 0x36,
	0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75,
};

/* A DG1 with a well-formed header: 61 5B 5F1F 58 <88 bytes>. */
static void make_dg1(uint8_t out[93])
{
	out[0] = 0x61;
	out[1] = 0x5B;
	out[2] = 0x5F;
	out[3] = 0x1F;
	out[4] = 0x58;
	memset(out + 5, '<', 88);
	memcpy(out + 5, "P<UTOERIKSSON<<ANNA<MARIA", 25);
}

static const pp_access_key icao_key = { ICAO_DOCNO, ICAO_DOB, ICAO_DOE, "" };

static vpass_doc *small_doc(const uint8_t *com, size_t com_len)
{
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, ICAO_DOCNO, ICAO_DOB, ICAO_DOE), VPASS_OK);
	static const uint8_t sod[] = { 0x77, 0x03, 0x01, 0x02, 0x03 };
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_COM, com, com_len), VPASS_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_SOD, sod, sizeof sod), VPASS_OK);
	return doc;
}

#define BIG_DG2_BODY 0x9C40 /* 40000: the file is 40004 bytes */

/* A document whose EF.COM lists DG1 and DG2: the ICAO specimen DG1 (copied
 * to dg1) followed on the chip by dg1_padding bytes of FF, and a DG2 (tag 75)
 * whose value is `body` bytes of a pseudo-random pattern, returned in
 * *ret_dg2 (the caller frees it). */
static vpass_doc *dg1_dg2_doc(size_t body, size_t dg1_padding, uint8_t dg1[93], uint8_t **ret_dg2, size_t *ret_len)
{
	vpass_doc *doc = small_doc(com_dg1_dg2, sizeof com_dg1_dg2);
	uint8_t *chip_dg1 = malloc(93 + dg1_padding);
	assert_non_null(chip_dg1);
	make_dg1(chip_dg1);
	memset(chip_dg1 + 93, 0xFF, dg1_padding);
	memcpy(dg1, chip_dg1, 93);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(1), chip_dg1, 93 + dg1_padding), VPASS_OK);
	free(chip_dg1);

	uint8_t hdr[TLV_MAX_HEADER];
	size_t hdr_len = tlv_encode_header(0x75, body, hdr);
	size_t len = hdr_len + body;
	uint8_t *dg2 = malloc(len);
	assert_non_null(dg2);
	memcpy(dg2, hdr, hdr_len);
	uint32_t seed = 7;
	for (size_t i = hdr_len; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		dg2[i] = (uint8_t)(seed >> 16);
	}
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(2), dg2, len), VPASS_OK);
	*ret_dg2 = dg2;
	*ret_len = len;
	return doc;
}

/* What was read of a dg1_dg2_doc is what the chip holds: DG2, DG1, EF.COM. */
static void assert_dg1_dg2(const pp_document *d, const uint8_t dg1[93], const uint8_t *dg2, size_t len)
{
	assert_same(&d->dg[2], dg2, len, "DG2");
	assert_same(&d->dg[1], dg1, 93, "DG1");
	assert_same(&d->com, com_dg1_dg2, sizeof com_dg1_dg2, "EF.COM");
}

static void test_large_dg2(void **state)
{
	(void)state;
	uint8_t dg1[93], *dg2;
	size_t len;
	vpass_doc *doc = dg1_dg2_doc(BIG_DG2_BODY, 0, dg1, &dg2, &len);

	static const struct variant {
		const char *what;
		vpass_options chip;
		pp_read_options opt;
		bool needs_b1;
	} variants[] = {
		{ "extended, whole file at once", { 0 }, { 0 }, false },
		{ "chip answers 20000 bytes at most", { .max_response_data = 20000 }, { 0 }, true },
		{ "terminal short only", { 0 }, { .short_only = true }, true },
		{ "chip short only", { .short_only = true }, { 0 }, true },
		{ "chip answers 100 bytes at most", { .max_response_data = 100 }, { .short_only = true }, true },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		rig r;
		rig_open(&r, doc, &variants[v].chip);
		pp_document *d = read_ok(&r, &icao_key, &variants[v].opt, "%s", variants[v].what);
		assert_dg1_dg2(d, dg1, dg2, len);
		if (variants[v].needs_b1 && r.spy.reads_b1 == 0)
			fail_msg("%s: no READ BINARY B1 for offsets past 32767", variants[v].what);
		if (!variants[v].needs_b1)
			assert_true(d->dg[2].apdus <= 2);
		pp_document_free(d);
		rig_close(&r);
	}
	free(dg2);
	vpass_doc_free(doc);
}

/* A data group larger than one extended answer (100 KB): read in pieces,
 * the later ones with B1, on a reader with the largest buffer and on one
 * whose buffer holds 1 KB. */
static void test_huge_dg2(void **state)
{
	(void)state;
	uint8_t dg1[93], *dg2;
	size_t len;
	vpass_doc *doc = dg1_dg2_doc(100000, 0, dg1, &dg2, &len);

	static const size_t buffers[] = { 0, 1024, 300 };
	for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++) {
		rig r;
		rig_open(&r, doc, NULL);
		r.spy.reader_max_response = buffers[i];
		pp_document *d = read_ok(&r, &icao_key, NULL, "reader buffer %zu", buffers[i]);
		assert_dg1_dg2(d, dg1, dg2, len);
		assert_true(r.spy.reads_b1 >= 1);
		if (buffers[i] == 0) {
			assert_true(d->extended_length);
			assert_true(d->dg[2].apdus <= 2); /* B0 of 64 KB by SFI, B1 for the rest */
		} else {
			assert_true(d->read_size + 37 <= buffers[i]);
			assert_true(d->dg[2].apdus >= reads_needed(len, buffers[i]));
		}
		assert_int_equal(d->short_fallbacks, 0);
		pp_document_free(d);
		rig_close(&r);
	}
	free(dg2);
	vpass_doc_free(doc);
}

/* Reads so small that a file's header takes several: the reader asks for
 * more until it knows the length. */
static void test_tiny_reads(void **state)
{
	(void)state;
	uint8_t dg1[93], *dg2;
	size_t len;
	vpass_doc *doc = dg1_dg2_doc(300, 0, dg1, &dg2, &len);
	for (size_t max = 1; max <= 4; max++) {
		rig r;
		rig_open(&r, doc, NULL);
		pp_read_options opt = { .max_read = max };
		pp_document *d = read_ok(&r, &icao_key, &opt, "max_read %zu", max);
		assert_dg1_dg2(d, dg1, dg2, len);
		assert_int_equal(d->read_size, max);
		assert_true(r.spy.max_le_b0 <= max);
		assert_true(d->dg[2].apdus >= reads_needed(len, max));
		pp_document_free(d);
		rig_close(&r);
	}
	free(dg2);
	vpass_doc_free(doc);
}

/* ---- transient errors ------------------------------------------------------------- */

static void test_transient_retried(void **state)
{
	fx *f = *state;
	for (unsigned n = 1; n <= 3; n++) {
		rig r;
		rig_open(&r, f->doc, &(vpass_options){ .fail_reads = n });
		pp_document *d = read_ok(&r, &f->key, NULL, "%u transient failures", n);
		assert_int_equal(d->retried_reads, n);
		assert_int_equal(d->short_fallbacks, 0);
		assert_true(d->extended_length);
		assert_all_files(f, d);
		pp_document_free(d);
		rig_close(&r);
	}
	/* More retries when asked for. */
	for (unsigned n = 4; n <= 6; n++) {
		rig r;
		rig_open(&r, f->doc, &(vpass_options){ .fail_reads = n });
		pp_read_options opt = { .retries = 6 };
		pp_document *d = read_ok(&r, &f->key, &opt, "%u transient failures, 6 retries", n);
		assert_int_equal(d->retried_reads, n);
		assert_int_equal(d->short_fallbacks, 0);
		assert_all_files(f, d);
		pp_document_free(d);
		rig_close(&r);
	}
	/* Short reads retry the same way. */
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .fail_reads = 3 });
	pp_read_options opt = { .short_only = true };
	pp_document *d = read_ok(&r, &f->key, &opt, "3 transient failures, short reads");
	assert_int_equal(d->retried_reads, 3);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* One failure more than the retries on an extended read: the reader takes
 * it for a refused size and goes on with short reads (what reader.c does). */
static void test_transient_then_short(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .fail_reads = 4 });
	pp_document *d = read_ok(&r, &f->key, NULL, "4 transient failures");
	assert_int_equal(d->retried_reads, 3);
	assert_int_equal(d->short_fallbacks, 1);
	assert_false(d->extended_length);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* More failures than retries in the middle of DG2 (short reads, so no
 * fallback): the read fails — a data group that could not be read is never
 * passed over — and the error names the file, the offset and the status. */
static void test_transient_exhausted_dg(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 100 });
	size_t before_dg2 = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len;
	arm a = { .card = r.card, .at = before_dg2 + 200, .fail = true, .opts = { .fail_reads = 4 } };
	pp_read_options opt = { .short_only = true, .progress = arm_progress, .progress_user = &a };
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->key, &opt, &d, err, sizeof err);
	assert_true(a.done);
	assert_int_equal(e, PP_ERR_STATUS);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "DG2") || !strstr(err, "offset 200") || !strstr(err, "6F00"))
		fail_msg("error text does not name DG2 at offset 200 with 6F00: \"%s\"", err);
	rig_close(&r);
}

/* More failures than retries on EF.COM: the read fails, and the error says
 * what happened (reading EF.COM at offset 0, status 6F00), not that the
 * file does not exist. */
static void test_transient_exhausted_com(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .fail_reads = 4 });
	pp_read_options opt = { .short_only = true };
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->key, &opt, &d, err, sizeof err);
	rig_close(&r); /* before any failure: no leak reports under ASan */
	assert_int_equal(e, PP_ERR_STATUS);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "EF.COM") || !strstr(err, "offset 0") || !strstr(err, "6F00") || strstr(err, "no such file"))
		fail_msg("error text should name EF.COM at offset 0 with status 6F00, got \"%s\"", err);
}

/* ---- removal ---------------------------------------------------------------------- */

/* Take the document away after each possible number of commands: every
 * read ends in PP_ERR_REMOVED with nothing returned, and the chip, put
 * back, reads whole. */
static void removal_sweep(fx *f, const char *what, const vpass_options *chip, bool claim_extended,
                          const pp_read_options *opt)
{
	rig r;
	rig_open(&r, f->doc, chip);
	r.spy.claim_extended = claim_extended;
	pp_document *d = read_ok(&r, &f->key, opt, "%s: first read", what);
	char err[256] = "";
	unsigned long total = d->apdus;
	pp_document_free(d);
	assert_true(total > 3);
	print_message("removal sweep (%s): %lu commands\n", what, total);

	for (unsigned long n = 1; n <= total; n++) {
		vpass_card_insert(r.card);
		vpass_options o = *chip;
		o.remove_after = n;
		vpass_card_set_options(r.card, &o);
		pp_document sentinel;
		d = &sentinel;
		pp_err e = read_doc(&r, &f->key, opt, &d, err, sizeof err);
		if (n < total) {
			if (e != PP_ERR_REMOVED)
				fail_msg("%s: removed after %lu of %lu commands: %s (%s)", what, n, total,
				         pp_strerror(e), err);
			assert_ptr_equal(d, &sentinel);
			assert_false(vpass_card_present(r.card));
		} else {
			if (e != PP_OK)
				fail_msg("%s: all %lu commands answered: %s (%s)", what, total, pp_strerror(e), err);
			assert_all_files(f, d);
			pp_document_free(d);
		}
	}
	/* Gone before the first command: no document on the reader. */
	vpass_card_set_options(r.card, chip);
	vpass_card_remove(r.card);
	pp_document sentinel;
	d = &sentinel;
	assert_int_equal(read_doc(&r, &f->key, opt, &d, err, sizeof err), PP_ERR_NO_CARD);
	assert_ptr_equal(d, &sentinel);
	/* Placed again: reads. */
	vpass_card_insert(r.card);
	assert_int_equal(read_doc(&r, &f->key, opt, &d, err, sizeof err), PP_OK);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

static void test_removal(void **state)
{
	fx *f = *state;
	removal_sweep(f, "extended", &(vpass_options){ 0 }, false, NULL);
	removal_sweep(f, "chip short only behind an extended reader", &(vpass_options){ .short_only = true }, true,
	              NULL);
	removal_sweep(f, "chip answers 1000 bytes, one transient failure",
	              &(vpass_options){ .max_response_data = 1000, .fail_reads = 1 }, false, NULL);
	removal_sweep(f, "terminal short only, chip answers 2000 bytes", &(vpass_options){ .max_response_data = 2000 },
	              false, &(pp_read_options){ .short_only = true, .max_read = 200 });
}

/* Issue 14: the chip stops answering after each number of commands in
 * turn (the transport's deadline passes: PP_ERR_UNRESPONSIVE). The read
 * ends with that error at once, nothing returned, and the chip is never
 * asked again: exactly one command beyond the n answered reaches it, with
 * no retry, no session set up again and no BAC after a PACE. */
static void freeze_sweep(const char *what, const vpass_doc *doc, const pp_access_key *key)
{
	rig r;
	rig_open(&r, doc, NULL);
	pp_document *d = read_ok(&r, key, NULL, "%s: first read", what);
	unsigned long total = d->apdus;
	pp_document_free(d);
	print_message("freeze sweep (%s): %lu commands\n", what, total);
	char err[256] = "";
	for (unsigned long n = 1; n < total; n++) {
		vpass_card_set_options(r.card, &(vpass_options){ .freeze_after = n });
		unsigned long before = r.spy.apdus;
		pp_document sentinel;
		d = &sentinel;
		pp_err e = read_doc(&r, key, NULL, &d, err, sizeof err);
		if (e != PP_ERR_UNRESPONSIVE)
			fail_msg("%s: frozen after %lu of %lu commands: %s (%s)", what, n, total, pp_strerror(e), err);
		assert_ptr_equal(d, &sentinel);
		if (r.spy.apdus - before != n + 1)
			fail_msg("%s: frozen after %lu commands, %lu were sent", what, n, r.spy.apdus - before);
	}
	/* Woken up (options changed), the same chip reads whole. */
	vpass_card_set_options(r.card, NULL);
	d = read_ok(&r, key, NULL, "%s: after the freezes", what);
	pp_document_free(d);
	rig_close(&r);
}

static void test_frozen_chip(void **state)
{
	fx *f = *state;
	freeze_sweep("BAC, active authentication", f->doc, &f->key);
	freeze_sweep("PACE, chip authentication", f->ca.doc, &f->ca.key);
}

/* ---- secure messaging ------------------------------------------------------------- */

static void test_corrupt_mac(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .corrupt_mac = true });
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	assert_int_equal(read_doc(&r, &f->key, NULL, &d, err, sizeof err), PP_ERR_SM);
	assert_ptr_equal(d, &sentinel);
	rig_close(&r);

	/* A wrong MAC in the middle of DG2 is no more acceptable. */
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 500 });
	size_t before_dg2 = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len;
	arm a = { .card = r.card, .at = before_dg2 + 1000, .corrupt = true };
	pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
	assert_int_equal(read_doc(&r, &f->key, &opt, &d, err, sizeof err), PP_ERR_SM);
	assert_true(a.done);
	assert_ptr_equal(d, &sentinel);
	rig_close(&r);
}

/* ---- malformed and missing files ------------------------------------------------- */

static void test_truncated_dg1(void **state)
{
	(void)state;
	static const uint8_t com_dg1[] = {
		0x60, 0x13, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F, 0x36,
		0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x01, 0x61,
	};
	vpass_doc *doc = small_doc(com_dg1, sizeof com_dg1);
	uint8_t dg1[93];
	make_dg1(dg1);
	/* The header announces 93 bytes; the chip holds 30. */
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_DG(1), dg1, 30), VPASS_OK);

	static const pp_read_options opts[] = { { 0 }, { .short_only = true }, { .max_read = 10 } };
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		rig r;
		rig_open(&r, doc, NULL);
		pp_document sentinel;
		pp_document *d = &sentinel;
		char err[256] = "";
		assert_int_equal(read_doc(&r, &icao_key, &opts[i], &d, err, sizeof err), PP_ERR_PARSE);
		assert_ptr_equal(d, &sentinel);
		if (!strstr(err, "DG1") || !strstr(err, "truncated"))
			fail_msg("error text does not name DG1 as truncated: \"%s\"", err);
		rig_close(&r);
	}
	vpass_doc_free(doc);
}

/* A copy of `src` without the file `skip`. */
static vpass_doc *doc_without(const vpass_doc *src, uint16_t skip)
{
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, vpass_doc_number(src), vpass_doc_birth_date(src),
	                                      vpass_doc_expiry_date(src)),
	                 VPASS_OK);
	static const uint16_t fids[] = {
		VPASS_FID_COM, VPASS_FID_SOD, VPASS_FID_DG(1), VPASS_FID_DG(2),
		VPASS_FID_DG(11), VPASS_FID_DG(12), VPASS_FID_DG(15),
	};
	for (size_t i = 0; i < sizeof fids / sizeof fids[0]; i++) {
		const uint8_t *data;
		size_t len;
		if (fids[i] == skip || !vpass_doc_file(src, fids[i], &data, &len))
			continue;
		assert_int_equal(vpass_doc_add_file(doc, fids[i], data, len), VPASS_OK);
	}
	/* The chip keeps its active authentication key (docgen signs RSA
	 * with SHA-1, the default). */
	assert_int_equal(vpass_doc_set_aa_key(doc, vpass_doc_aa_key(src), AA_HASH_DEFAULT), VPASS_OK);
	return doc;
}

/* DG11 was found absent (6A82, recorded in its pp_file); every other file
 * is byte-identical to the chip's. */
static void assert_dg11_absent(const fx *f, const pp_document *d)
{
	assert_false(d->dg[11].present);
	assert_int_equal(d->dg[11].err, PP_ERR_FILE_NOT_FOUND);
	assert_int_equal(d->dg[11].sw, 0x6A82);
	assert_null(d->dg[11].data);
	for (int i = 0; i < N_FILES; i++)
		if (i != F_DG11)
			assert_same(doc_file(d, &f->files[i]), f->files[i].data, f->files[i].len, f->files[i].name);
}

static void test_listed_but_absent(void **state)
{
	fx *f = *state;
	vpass_doc *doc = doc_without(f->doc, VPASS_FID_DG(11));
	rig r;
	rig_open(&r, doc, NULL);
	pp_document *d = read_ok(&r, &f->key, NULL, "DG11 listed, absent");
	assert_true(d->listed[11]);
	assert_dg11_absent(f, d);
	pp_document_free(d);
	rig_close(&r);
	vpass_doc_free(doc);
}

/* The chip ends secure messaging by answering a protected command in the
 * clear: with each status chips use for it, at every protected command of
 * the read, on a chip that then refuses plain commands (6982) and on a lax
 * one that would answer them. The read sets the session up again (BAC
 * again, or PACE again and chip authentication again) and goes on: every
 * file is read, nothing goes in the clear (rig_close checks), and the
 * report counts the drop. Chip authentication's own commands are left out
 * on the CA document (see test_chip_authentication); the command after
 * them (proof_at) is its proof: 6987 or 6988 there says the chip could not
 * check our MAC under the new keys, which is the chip failing chip
 * authentication, and the read ends so; 6A82 or 6700 there proves nothing
 * either way, and the read goes on under a new session. */
static void drop_sweep(const fx *f, const char *what, const vpass_doc *doc, const pp_access_key *key,
                       unsigned long from, unsigned long proof_at, bool all_files)
{
	static const uint16_t drops[] = { 0x6A82, 0x6987, 0x6988, 0x6700 };
	/* How many protected commands a read without faults sends. */
	rig r;
	rig_open(&r, doc, NULL);
	pp_document *d = read_ok(&r, key, NULL, "%s, no drop", what);
	unsigned long protected_cmds = 0;
	size_t n = spy_logged(&r.spy);
	for (size_t i = 0; i < n; i++)
		protected_cmds += (r.spy.log[i].cla & 0x0C) == 0x0C;
	pp_document_free(d);
	rig_close(&r);
	assert_true(protected_cmds > from);
	for (size_t k = 0; k < sizeof drops / sizeof drops[0]; k++) {
		for (int lax = 0; lax < 2; lax++) {
			for (unsigned long at = from + 1; at <= protected_cmds; at++) {
				vpass_options o = { .drop_sm = drops[k], .drop_sm_at = at, .plain_after_drop = lax };
				rig_open(&r, doc, &o);
				if (at == proof_at && (drops[k] == 0x6987 || drops[k] == 0x6988)) {
					char err[256] = "";
					d = NULL;
					pp_err e = read_doc(&r, key, NULL, &d, err, sizeof err);
					if (e != PP_ERR_CHIP_AUTH || !strstr(err, "could not check our MAC"))
						fail_msg("%s, %04X in the clear at chip authentication's proof: %s (%s)", what,
						         drops[k], pp_strerror(e), err);
					rig_close(&r);
					continue;
				}
				d = read_ok(&r, key, NULL, "%s, %04X in the clear at protected command %lu%s", what, drops[k], at,
				            lax ? " (lax chip)" : "");
				vpass_stats st;
				vpass_card_stats(r.card, &st);
				assert_int_equal(st.sm_drops, 1);
				assert_int_equal(st.plain_after_access, 0);
				assert_true(d->sm_ended >= 1);
				assert_true(d->reestablished >= 1);
				if (all_files)
					assert_all_files(f, d);
				pp_document_free(d);
				rig_close(&r);
			}
		}
	}
}

static void test_sm_dropped(void **state)
{
	fx *f = *state;
	drop_sweep(f, "BAC, AA", f->doc, &f->key, 0, 0, true);
	/* PACE's session, then CA's from the 7th protected command on
	 * (SELECT of the application, then EF.COM, EF.SOD and DG14 each by
	 * one READ BINARY by SFI, then chip authentication's two), the 7th
	 * (DG1's read) its proof. */
	drop_sweep(f, "PACE, CA", f->ca.doc, &f->ca.key, 6, 7, false);
}

/* A chip that answers the errors of protected commands in the clear, as
 * some do to SELECT of a data group EF.COM lists but the chip lacks: the
 * absent group is recorded, the session is set up again, and every other
 * file is read under it, on a strict and on a lax chip. */
static void test_plain_error_status(void **state)
{
	fx *f = *state;
	vpass_doc *doc = doc_without(f->doc, VPASS_FID_DG(11));
	for (int lax = 0; lax < 2; lax++) {
		rig r;
		rig_open(&r, doc, &(vpass_options){ .plain_errors = true, .plain_after_drop = lax });
		pp_document *d = read_ok(&r, &f->key, NULL, "DG11 absent, 6A82 in the clear%s", lax ? " (lax chip)" : "");
		assert_dg11_absent(f, d);
		assert_true(d->sm_ended >= 1);
		assert_true(d->reestablished >= 1);
		pp_document_free(d);
		rig_close(&r);
	}
	vpass_doc_free(doc);
}

/* A chip that ends the session in the middle of DG2 and then refuses BAC:
 * the session cannot be set up again, and the read ends saying the chip
 * ended secure messaging, rather than reading on in the clear (rig_close
 * checks) or blaming the data. */
static void test_sm_ended_for_good(void **state)
{
	fx *f = *state;
	static const uint16_t drops[] = { 0x6987, 0x6988, 0x6700, 0x6A82 };
	for (size_t k = 0; k < sizeof drops / sizeof drops[0]; k++) {
		rig r;
		rig_open(&r, f->doc, NULL);
		size_t before_dg2 = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len;
		arm a = { .card = r.card, .at = before_dg2 + 1000, .drop = true,
			  .opts = { .drop_sm = drops[k], .refuse_bac = 0x6A88 } };
		pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
		pp_document *d = NULL;
		char err[256] = "";
		pp_err e = read_doc(&r, &f->key, &opt, &d, err, sizeof err);
		assert_true(a.done);
		if (e != PP_ERR_SM_ENDED)
			fail_msg("%04X: %s (%s)", drops[k], pp_strerror(e), err);
		char want[64];
		snprintf(want, sizeof want, "the chip ended secure messaging (it answered %04X", drops[k]);
		if (!strstr(err, want) || !strstr(err, "6A88"))
			fail_msg("%04X: the message does not say what happened: %s", drops[k], err);
		assert_null(d);
		pp_document_free(d);
		rig_close(&r);
	}
}

/* Status words are reported as what they are, in ISO 7816-4's words, from
 * one table: a chip that keeps refusing our secure messaging (6988 in the
 * clear, again after the session was set up afresh) is a refused command,
 * not "the chip's answer did not verify"; 6983 (blocked) is not a wrong
 * MRZ, which retyping would fix. */
/* The reader's one operation, read -> parse -> verify, at each place it
 * can stop: verified; read and parsed but not verified (no trust store);
 * read but malformed (DG12 holds another file's tag: parsing stops before
 * passive authentication would find its hash wrong); and the read itself
 * failing (removed), the report then holding what was done. */
static void test_read_passport(void **state)
{
	fx *f = *state;
	pa_trust *trust = fx_trust(f->pki);
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_report *rep = NULL;
	assert_int_equal(pp_read_passport(r.t, &f->key, trust, NULL, &rep), PP_OK);
	assert_int_equal(rep->err, PP_OK);
	assert_int_equal(rep->stage, PP_STAGE_VERIFY);
	assert_true(rep->pa.passed);
	assert_true(rep->trusted);
	assert_string_equal(rep->parsed.mrz.birth_date, f->key.birth_date);
	assert_non_null(rep->parsed.face);
	assert_string_equal(rep->detail, "");
	assert_all_files(f, rep->doc);
	pp_report_free(rep);
	rig_close(&r);

	/* No trust store: read and parsed, the chain cannot pass. */
	rig_open(&r, f->doc, NULL);
	rep = NULL;
	assert_int_equal(pp_read_passport(r.t, &f->key, NULL, NULL, &rep), PP_ERR_NOT_VERIFIED);
	assert_int_equal(rep->stage, PP_STAGE_VERIFY);
	assert_false(rep->pa.passed);
	assert_false(rep->trusted);
	assert_non_null(strstr(rep->detail, "chain"));
	assert_int_equal(pp_err_info_of(PP_ERR_NOT_VERIFIED).cls, PP_CLASS_DOCUMENT);
	pp_report_free(rep);
	rig_close(&r);

	/* A malformed DG12: whole, but not a DG12. */
	vpass_doc *bad = doc_without(f->doc, VPASS_FID_DG(12));
	static const uint8_t garbage[] = { 0x6B, 0x02, 0x5C, 0x00 }; /* DG11's tag */
	assert_int_equal(vpass_doc_add_file(bad, VPASS_FID_DG(12), garbage, sizeof garbage), VPASS_OK);
	rig_open(&r, bad, NULL);
	rep = NULL;
	assert_int_equal(pp_read_passport(r.t, &f->key, trust, NULL, &rep), PP_ERR_PARSE);
	assert_int_equal(rep->stage, PP_STAGE_PARSE);
	assert_non_null(strstr(rep->detail, "DG12"));
	assert_non_null(rep->doc);
	pp_report_free(rep);
	rig_close(&r);
	vpass_doc_free(bad);

	/* Removed in the middle: the report says what was done. */
	rig_open(&r, f->doc, &(vpass_options){ .remove_after = 12 });
	rep = NULL;
	assert_int_equal(pp_read_passport(r.t, &f->key, trust, NULL, &rep), PP_ERR_REMOVED);
	assert_int_equal(rep->stage, PP_STAGE_READ);
	assert_non_null(rep->doc);
	assert_true(rep->doc->apdus >= 12);
	assert_string_equal(rep->doc->access_control, "BAC");
	pp_report_free(rep);
	rig_close(&r);

	/* The same through the connection string the kiosk and the demo use:
	 * sim:DIR, a simulated reader holding the document in DIR. */
	char conn[600];
	snprintf(conn, sizeof conn, "sim:%s", f->dir);
	pp_transport *t = NULL;
	assert_int_equal(pp_transport_open(conn, &t), PP_OK);
	assert_non_null(strstr(pp_transport_reader_name(t), "simulated reader"));
	rep = NULL;
	assert_int_equal(pp_read_passport(t, &f->key, trust, NULL, &rep), PP_OK);
	assert_all_files(f, rep->doc);
	pp_report_free(rep);
	pp_transport_free(t);
	assert_int_equal(pp_transport_open("sim:/nonexistent/document", &t), PP_ERR_NO_READER);
	assert_int_equal(pp_transport_open("sim", &t), PP_ERR_ARG);
	pa_trust_free(trust);
}

typedef struct canceller {
	atomic_bool flag;
	size_t at;            /* set the flag once this many bytes are read */
	spy *spy;
	unsigned long apdus;  /* the spy's count when it was set */
} canceller;

static void cancel_progress(size_t bytes_read, size_t bytes_expected, void *user)
{
	(void)bytes_expected;
	canceller *c = user;
	if (bytes_read >= c->at && !atomic_load(&c->flag)) {
		atomic_store(&c->flag, true);
		c->apdus = c->spy->apdus;
	}
}

/* The caller cancels a read in the middle of DG2 (as the device core will,
 * from the loop thread): the read ends cancelled before its next command,
 * and nothing more goes to the chip. */
static void test_cancel(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	canceller c = { .at = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len + 500, .spy = &r.spy };
	atomic_init(&c.flag, false);
	pp_read_options opt = { .progress = cancel_progress, .progress_user = &c, .cancel = &c.flag, .max_read = 200 };
	pp_document *d = NULL;
	char err[256] = "";
	assert_int_equal(read_doc(&r, &f->key, &opt, &d, err, sizeof err), PP_ERR_CANCELLED);
	assert_true(atomic_load(&c.flag));
	assert_int_equal(r.spy.apdus, c.apdus);
	assert_non_null(strstr(err, "cancelled"));
	assert_int_equal(pp_err_info_of(PP_ERR_CANCELLED).cls, PP_CLASS_CANCELLED);
	pp_document_free(d);
	rig_close(&r);
}

typedef struct remover {
	vpass_card *card;
	int after_ms;
} remover;

static void *remove_later(void *arg)
{
	remover *rm = arg;
	nanosleep(&(struct timespec){ .tv_nsec = rm->after_ms * 1000000L }, NULL);
	vpass_card_remove(rm->card);
	return NULL;
}

static void *cancel_later(void *arg)
{
	nanosleep(&(struct timespec){ .tv_nsec = 80 * 1000000L }, NULL);
	pp_transport_cancel(arg);
	return NULL;
}

/* Waiting for a document to leave or arrive (the device core's watch): a
 * change ends the wait with the new state; none ends it at its time-out. */
static void test_wait_change(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	bool now = false;
	/* A document is there: waiting for one to arrive returns at once. */
	assert_int_equal(pp_transport_wait_change(r.t, false, 1000, &now), PP_OK);
	assert_true(now);
	/* Nothing changes: the wait times out. */
	assert_int_equal(pp_transport_wait_change(r.t, true, 50, &now), PP_ERR_TIMEOUT);
	/* Taken away while we wait. */
	remover rm = { .card = r.card, .after_ms = 80 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, remove_later, &rm), 0);
	assert_int_equal(pp_transport_wait_change(r.t, true, 5000, &now), PP_OK);
	pthread_join(th, NULL);
	assert_false(now);
	vpass_card_insert(r.card);
	assert_int_equal(pp_transport_wait_change(r.t, false, 1000, &now), PP_OK);
	assert_true(now);
	assert_false(pp_transport_list_is_intrusive("pcsc"));
	assert_true(pp_transport_list_is_intrusive("libnfc"));
	rig_close(&r);

	/* A caller's cancel ends a wait without a time limit, from another
	 * thread; one made while nothing ran ends the next wait at once; a
	 * connect forgets an old one. */
	vpass_card *card = NULL;
	pp_transport *t = NULL;
	assert_int_equal(vpass_card_new(f->doc, NULL, &card), VPASS_OK);
	assert_int_equal(pp_sim_transport_new(card, &t), PP_OK);
	pthread_t canceller_thread;
	assert_int_equal(pthread_create(&canceller_thread, NULL, cancel_later, t), 0);
	assert_int_equal(pp_transport_wait_change(t, true, -1, &now), PP_ERR_CANCELLED);
	pthread_join(canceller_thread, NULL);
	assert_int_equal(pp_transport_cancel(t), PP_OK);
	assert_int_equal(pp_transport_wait_change(t, true, 1000, &now), PP_ERR_CANCELLED);
	assert_int_equal(pp_transport_wait_change(t, true, 30, &now), PP_ERR_TIMEOUT);
	assert_int_equal(pp_transport_cancel(t), PP_OK);
	assert_int_equal(pp_transport_connect(t, 0), PP_OK);
	assert_int_equal(pp_transport_wait_change(t, true, 30, &now), PP_ERR_TIMEOUT);
	pp_transport_free(t);
	vpass_card_free(card);
}

/* Every error has words and exactly one class, decided beside the enum;
 * the ones the flow acts on differently are in the class it needs. */
static void test_error_classes(void **state)
{
	(void)state;
	for (int i = PP_OK; i <= PP_ERR_LAST; i++) {
		pp_err e = (pp_err)i;
		assert_null(strstr(pp_strerror(e), "unknown"));
		pp_err_info info = pp_err_info_of(e);
		assert_null(strstr(pp_err_class_name(info.cls), "unknown"));
		assert_null(strstr(pp_action_name(info.action), "unknown"));
		assert_int_equal(info.cls == PP_CLASS_NONE, e == PP_OK);
		/* Only device faults carry a recommended action. */
		if (info.cls != PP_CLASS_DEVICE)
			assert_int_equal(info.action, PP_ACTION_NONE);
		assert_int_equal(pp_err_is_user(e), info.cls == PP_CLASS_USER);
	}
	assert_int_equal(pp_err_info_of(PP_ERR_REMOVED).cls, PP_CLASS_USER);
	assert_int_equal(pp_err_info_of(PP_ERR_ACCESS_DENIED).cls, PP_CLASS_USER);
	assert_int_equal(pp_err_info_of(PP_ERR_UNRESPONSIVE).cls, PP_CLASS_USER);
	assert_int_equal(pp_err_info_of(PP_ERR_CHIP_AUTH).cls, PP_CLASS_FRAUD);
	assert_int_equal(pp_err_info_of(PP_ERR_BLOCKED).cls, PP_CLASS_DOCUMENT);
	assert_int_equal(pp_err_info_of(PP_ERR_CANCELLED).cls, PP_CLASS_CANCELLED);
	pp_err_info stopped = pp_err_info_of(PP_ERR_SERVICE_STOPPED);
	assert_int_equal(stopped.cls, PP_CLASS_DEVICE);
	assert_int_equal(stopped.action, PP_ACTION_CLEAR);
	assert_int_equal(pp_err_info_of(PP_ERR_BUSY).action, PP_ACTION_SUSPEND);
}

static void test_status_words(void **state)
{
	fx *f = *state;
	assert_int_equal(pp_sw_error(0x6A82), PP_ERR_FILE_NOT_FOUND);
	assert_int_equal(pp_sw_error(0x6983), PP_ERR_BLOCKED);
	assert_int_equal(pp_sw_error(0x63C2), PP_ERR_ACCESS_DENIED);
	assert_int_equal(pp_sw_error(0x6A88), PP_ERR_NOT_SUPPORTED);
	assert_int_equal(pp_sw_error(0x6988), PP_ERR_STATUS);
	assert_int_equal(pp_sw_error(0x9000), PP_OK);
	assert_int_equal(pp_sw_kind_of(0x6F00), PP_SW_TRANSIENT);
	assert_int_equal(pp_sw_kind_of(0x6123), PP_SW_MORE);
	assert_int_equal(pp_sw_kind_of(0x6ABC), PP_SW_OTHER);
	char text[PP_SW_TEXT_LEN];
	assert_string_equal(pp_sw_text(0x6982, text), "6982 (security status not satisfied)");

	/* A chip that refuses reads in the clear, again under a fresh session,
	 * from the k-th read on (EF.COM, EF.SOD, DG1, ... DG15): the read
	 * ends saying so, whichever file it hits. An unprotected 6982 never
	 * makes a data group "withheld" (a possible clone) or DG1 "missing". */
	static const uint16_t refusals[] = { 0x6988, 0x6987, 0x6982, 0x6985 };
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		for (unsigned long k = 0; k < N_FILES; k++) {
			rig r;
			rig_open(&r, f->doc, NULL);
			r.spy.refuse_reads_sw = refusals[i];
			r.spy.refuse_reads_from = k;
			pp_document *d = NULL;
			char err[256] = "";
			pp_err e = read_doc(&r, &f->key, NULL, &d, err, sizeof err);
			if (e != PP_ERR_SM_ENDED)
				fail_msg("%04X from read %lu: %s (%s)", refusals[i], k, pp_strerror(e), err);
			char want[PP_SW_TEXT_LEN + 40];
			snprintf(want, sizeof want, "the chip answered %s in the clear", pp_sw_text(refusals[i], text));
			if (!strstr(err, want))
				fail_msg("%04X from read %lu: expected \"%s\" in: %s", refusals[i], k, want, err);
			assert_null(strstr(err, "did not verify"));
			pp_document_free(d);
			rig_close(&r);
		}
	}

	/* Chip authentication refused with a status of the moment (a chip at
	 * the edge of the field, secure messaging refused) proves nothing
	 * about the key: the read ends on the status, not as a possible
	 * clone. Refusing the protocol its signed DG14 offers (6A88) stays a
	 * possible clone. */
	static const struct {
		uint16_t sw;
		pp_err want;
	} ca_refusals[] = { { 0x6F00, PP_ERR_STATUS }, { 0x6988, PP_ERR_STATUS }, { 0x6A88, PP_ERR_CHIP_AUTH } };
	for (size_t i = 0; i < sizeof ca_refusals / sizeof ca_refusals[0]; i++) {
		rig r;
		rig_open(&r, f->ca.doc, NULL);
		r.spy.refuse_ca_sw = ca_refusals[i].sw;
		pp_document *d = NULL;
		char err[256] = "";
		pp_err e = read_doc(&r, &f->ca.key, NULL, &d, err, sizeof err);
		if (e != ca_refusals[i].want)
			fail_msg("CA refused with %04X: %s (%s)", ca_refusals[i].sw, pp_strerror(e), err);
		char want[16];
		snprintf(want, sizeof want, "status %04X", ca_refusals[i].sw);
		assert_non_null(strstr(err, want));
		pp_document_free(d);
		rig_close(&r);
	}

	/* A chip that has blocked BAC answers 6983. */
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .refuse_bac = 0x6983 });
	pp_document *d = NULL;
	char err[256] = "";
	assert_int_equal(read_doc(&r, &f->key, NULL, &d, err, sizeof err), PP_ERR_BLOCKED);
	if (!strstr(err, "6983 (authentication method blocked)"))
		fail_msg("6983: %s", err);
	pp_document_free(d);
	rig_close(&r);
}

/* A card that is not a passport: the eMRTD application is not there. The
 * virtual chip selects the AID whatever files it holds, so the spy plays a
 * card without it. */
static void test_not_emrtd(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	r.spy.not_emrtd = true;
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	assert_int_equal(read_doc(&r, &f->key, NULL, &d, err, sizeof err), PP_ERR_NOT_EMRTD);
	assert_ptr_equal(d, &sentinel);
	assert_non_null(strstr(err, "6A82"));
	/* EF.CardAccess looked for, then nothing after the refused SELECT. */
	assert_int_equal(r.spy.apdus, CARD_ACCESS_PROBES + 1);
	const spy_cmd *last = &r.spy.log[r.spy.n_log - 1];
	assert_true(last->ins == INS_SELECT && last->p1 == 0x04);
	rig_close(&r);
}

/* A chip with BAC but no files at all: access control succeeds and the
 * read fails on EF.COM, which it does not have. */
static void test_empty_chip(void **state)
{
	(void)state;
	vpass_doc *doc = NULL;
	assert_int_equal(vpass_doc_new(&doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(doc, ICAO_DOCNO, ICAO_DOB, ICAO_DOE), VPASS_OK);
	rig r;
	rig_open(&r, doc, NULL);
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	assert_int_equal(read_doc(&r, &icao_key, NULL, &d, err, sizeof err), PP_ERR_FILE_NOT_FOUND);
	assert_ptr_equal(d, &sentinel);
	assert_non_null(strstr(err, "EF.COM"));
	rig_close(&r);
	vpass_doc_free(doc);
}

/* ---- progress ---------------------------------------------------------------------- */

typedef struct progress_log {
	size_t calls;
	size_t last_read, last_expected;
	bool decreased;
	bool over;           /* bytes_read > bytes_expected in some call */
} progress_log;

static void log_progress(size_t bytes_read, size_t bytes_expected, void *user)
{
	progress_log *p = user;
	if (p->calls && (bytes_read < p->last_read || bytes_expected < p->last_expected))
		p->decreased = true;
	if (bytes_read > bytes_expected)
		p->over = true;
	p->calls++;
	p->last_read = bytes_read;
	p->last_expected = bytes_expected;
}

static void test_progress(void **state)
{
	fx *f = *state;
	static const struct {
		vpass_options chip;
		pp_read_options opt;
	} variants[] = {
		{ { 0 }, { 0 } },
		{ { .max_response_data = 100 }, { 0 } },
		{ { 0 }, { .short_only = true } },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		rig r;
		rig_open(&r, f->doc, &variants[v].chip);
		progress_log p = { 0 };
		pp_read_options opt = variants[v].opt;
		opt.progress = log_progress;
		opt.progress_user = &p;
		pp_document *d = read_ok(&r, &f->key, &opt, "progress, variant %zu", v);
		assert_true(p.calls >= N_FILES);
		assert_false(p.decreased);
		assert_false(p.over);
		assert_int_equal(p.last_read, f->total);
		assert_int_equal(p.last_expected, f->total);
		pp_document_free(d);
		rig_close(&r);
	}
}

/* A chip whose file is longer than its TLV (padding after the data group,
 * as some chips have): the reader returns the TLV, and its progress never
 * claims more bytes than it expects. */
static void test_trailing_padding(void **state)
{
	(void)state;
	uint8_t dg1[93], *dg2;
	size_t len;
	vpass_doc *doc = dg1_dg2_doc(600, 32, dg1, &dg2, &len);

	rig r;
	rig_open(&r, doc, NULL);
	progress_log p = { 0 };
	pp_read_options opt = { .progress = log_progress, .progress_user = &p };
	pp_document *d = NULL;
	char err[256] = "";
	pp_err e = read_doc(&r, &icao_key, &opt, &d, err, sizeof err);
	bool dg1_ok = e == PP_OK && d->dg[1].present && d->dg[1].len == 93 && !memcmp(d->dg[1].data, dg1, 93);
	bool dg2_ok = e == PP_OK && d->dg[2].present && d->dg[2].len == len &&
	              !memcmp(d->dg[2].data, dg2, len);
	if (e == PP_OK)
		pp_document_free(d);
	rig_close(&r); /* before any failure: no leak reports under ASan */
	vpass_doc_free(doc);
	free(dg2);
	assert_int_equal(e, PP_OK);
	assert_true(dg1_ok); /* the TLV, without the padding */
	assert_true(dg2_ok);
	size_t total = sizeof com_dg1_dg2 + 5 + 93 + len;
	if (p.over || p.last_read != total || p.last_expected != total)
		fail_msg("progress ended at %zu of %zu bytes (files hold %zu)", p.last_read, p.last_expected, total);
}

/* ---- issue 3: EF.CardAccess, PACE and BAC ------------------------------------ */

/* Skip the rest of a test whose chip or terminal side is not in this build
 * yet (PACE, CA), saying which. */
#define NEEDS(cond, what)                                                                        \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			print_message("skipped: %s is not available in this build\n", what);    \
			skip();                                                                  \
		}                                                                                \
	} while (0)

static bool is_pace(const pp_document *d)
{
	return strcmp(d->access_control, "PACE") == 0;
}

/* Each chip knows one way to EF.CardAccess; the reader finds it, stops
 * there, and has the file byte for byte. */
static void test_card_access_variants(void **state)
{
	fx *f = *state;
	const uint8_t *ca_data;
	size_t ca_len;
	assert_true(vpass_doc_file(f->pace.doc, VPASS_FID_CARD_ACCESS, &ca_data, &ca_len));
	static const struct {
		vpass_card_access_select chip;
		const char *selection;
		unsigned long probes;   /* commands up to and including the one that worked */
	} variants[] = {
		{ VPASS_CA_SELECT_ANY, "SELECT P1 02 P2 0C", 1 },
		{ VPASS_CA_SELECT_FID_MF, "SELECT P1 00 P2 0C", 2 },
		{ VPASS_CA_SELECT_WITH_LE, "SELECT P1 02 P2 04 Le 00", 3 },
		{ VPASS_CA_SELECT_SFI, "READ BINARY SFI 1C", 4 },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		rig r;
		rig_open(&r, f->pace.doc, &(vpass_options){ .card_access_select = variants[v].chip });
		pp_document *d = read_ok(&r, &f->pace.key, NULL, "%s", variants[v].selection);
		assert_true(d->card_access.present);
		assert_string_equal(d->card_access_selection, variants[v].selection);
		assert_int_equal(d->card_access.len, ca_len);
		assert_memory_equal(d->card_access.data, ca_data, ca_len);
		/* The selections before the working one, then its READ BINARY
		 * (the file fits one; an SFI read is itself the selection). */
		unsigned long reads = variants[v].chip == VPASS_CA_SELECT_SFI ? 0 : 1;
		assert_int_equal(d->card_access.apdus, variants[v].probes + reads);
		/* PACE was offered and tried; PACE or BAC opened the chip. */
		assert_true(d->pace.attempted);
		assert_true(is_pace(d) || d->bac_fallback);
		pp_document_free(d);
		rig_close(&r);
	}
}

/* The answer to a READ BINARY of EF.CardAccess asking for more than 128
 * bytes is lost (a reader that times out on long answers): the same offset
 * is asked again for half as many bytes, the same way of selecting is kept,
 * and PACE runs; also when the file is named by its short identifier.
 * Lost answers to the SELECT itself are asked again too. */
static void test_card_access_lost_answer(void **state)
{
	fx *f = *state;
	const uint8_t *ca_data;
	size_t ca_len;
	assert_true(vpass_doc_file(f->pace.doc, VPASS_FID_CARD_ACCESS, &ca_data, &ca_len));
	static const struct {
		vpass_card_access_select chip;
		const char *selection;
		uint8_t p1;    /* of the READ BINARY at offset 0 */
	} variants[] = {
		{ VPASS_CA_SELECT_ANY, "SELECT P1 02 P2 0C", 0x00 },
		{ VPASS_CA_SELECT_SFI, "READ BINARY SFI 1C", 0x9C },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		rig r;
		rig_open(&r, f->pace.doc, &(vpass_options){ .card_access_select = variants[v].chip, .timeout_above = 128 });
		pp_document *d = read_ok(&r, &f->pace.key, NULL, "EF.CardAccess with answers above 128 bytes lost");
		assert_true(d->card_access.present);
		assert_memory_equal(d->card_access.data, ca_data, ca_len);
		assert_string_equal(d->card_access_selection, variants[v].selection);
		assert_true(is_pace(d));
		assert_true(d->timeouts >= 1);
		assert_true(d->size_reductions >= 1);
		/* The first READ BINARY (Le 256) lost, the next at the same
		 * offset asking for 128. */
		long first = spy_find(&r.spy, 0, 0x00, 0xB0, variants[v].p1);
		assert_true(first >= 0);
		assert_int_equal(r.spy.log[first].result, PP_ERR_TIMEOUT);
		assert_int_equal(r.spy.log[first].le, 256);
		long next = spy_find(&r.spy, (size_t)first + 1, 0x00, 0xB0, -1);
		assert_int_equal(next, first + 1);
		assert_int_equal(r.spy.log[next].result, PP_OK);
		assert_int_equal(r.spy.log[next].p1, variants[v].p1);
		assert_int_equal(r.spy.log[next].p2, 0);
		assert_int_equal(r.spy.log[next].le, 128);
		pp_document_free(d);
		rig_close(&r);
	}

	/* Two lost answers to the SELECT: asked again, same variant. */
	rig r;
	rig_open(&r, f->pace.doc, NULL);
	r.spy.lose_ca_selects = 2;
	pp_document *d = read_ok(&r, &f->pace.key, NULL, "two SELECTs of EF.CardAccess lost");
	assert_true(d->card_access.present);
	assert_string_equal(d->card_access_selection, "SELECT P1 02 P2 0C");
	assert_true(is_pace(d));
	assert_int_equal(d->timeouts, 2);
	assert_int_equal(r.spy.log[0].result, PP_ERR_TIMEOUT);
	assert_int_equal(r.spy.log[1].result, PP_ERR_TIMEOUT);
	assert_int_equal(r.spy.log[2].ins, INS_SELECT);
	assert_int_equal(r.spy.log[2].p1, 0x02);
	pp_document_free(d);
	rig_close(&r);

	/* Every answer lost: bounded, then a time-out naming EF.CardAccess. */
	rig_open(&r, f->pace.doc, NULL);
	r.spy.lose_ca_selects = 1000;
	pp_document sentinel;
	d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->pace.key, NULL, &d, err, sizeof err);
	unsigned long apdus = r.spy.apdus;
	rig_close(&r);
	assert_int_equal(e, PP_ERR_TIMEOUT);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "EF.CardAccess"))
		fail_msg("every SELECT of EF.CardAccess lost: the error should name it: \"%s\"", err);
	assert_true(apdus <= 20);
}

/* Transient statuses (6F00) to EF.CardAccess's READ BINARY or SELECT are
 * asked again with the same selection, counted as retried reads: the
 * document keeps PACE. After as many in a row as the retries allow, the
 * next selection is tried; a file that was found but never read is an
 * error, not a document without PACE. */
static void test_card_access_transient(void **state)
{
	fx *f = *state;
	for (unsigned n = 1; n <= 3; n++) {
		rig r;
		rig_open(&r, f->pace.doc, &(vpass_options){ .fail_reads = n });
		pp_document *d = read_ok(&r, &f->pace.key, NULL, "6F00 to EF.CardAccess's READ BINARY");
		assert_true(d->card_access.present);
		assert_string_equal(d->card_access_selection, "SELECT P1 02 P2 0C");
		assert_true(is_pace(d));
		assert_int_equal(d->retried_reads, n);
		/* one SELECT, the failed reads, the one that worked */
		assert_int_equal(d->card_access.apdus, 1 + n + 1);
		pp_document_free(d);
		rig_close(&r);
	}

	/* Five: four on the first selection (one and three retries), then
	 * the next selection reads it after one more. */
	rig r;
	rig_open(&r, f->pace.doc, &(vpass_options){ .fail_reads = 5 });
	pp_document *d = read_ok(&r, &f->pace.key, NULL, "5 x 6F00 to EF.CardAccess's READ BINARY");
	assert_true(d->card_access.present);
	assert_string_equal(d->card_access_selection, "SELECT P1 00 P2 0C");
	assert_true(is_pace(d));
	assert_int_equal(d->retried_reads, 4);
	pp_document_free(d);
	rig_close(&r);

	/* 6F00 and 6581 to the SELECT: the same SELECT again. */
	static const uint16_t statuses[] = { 0x6F00, 0x6581, 0x6400 };
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		rig_open(&r, f->pace.doc, NULL);
		r.spy.fail_ca_selects = 2;
		r.spy.fail_ca_select_sw = statuses[i];
		d = read_ok(&r, &f->pace.key, NULL, "transient status to EF.CardAccess's SELECT");
		assert_true(d->card_access.present);
		assert_string_equal(d->card_access_selection, "SELECT P1 02 P2 0C");
		assert_true(is_pace(d));
		assert_int_equal(d->retried_reads, 2);
		pp_document_free(d);
		rig_close(&r);
	}

	/* The file is there, but no read of it ever works: the read fails
	 * saying so, rather than going on as if there were no PACE. */
	rig_open(&r, f->pace.doc, &(vpass_options){ .fail_reads = 1000 });
	pp_document sentinel;
	d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->pace.key, NULL, &d, err, sizeof err);
	unsigned long apdus = r.spy.apdus;
	rig_close(&r);
	assert_int_equal(e, PP_ERR_STATUS);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "EF.CardAccess") || !strstr(err, "6F00"))
		fail_msg("EF.CardAccess never readable: the error should name it and 6F00: \"%s\"", err);
	assert_true(apdus <= 30);
}

/* PACE fails (here the chip's PACE-CAM mapping key is invalid): the reader
 * selects the application afresh in the clear, so that the chip forgets
 * the failed PACE, then runs BAC with the MRZ, and says why BAC was used;
 * chip authentication then proves the chip. A mistyped CAN is not such a
 * failure: PACE is tried with the MRZ before BAC. */
static void test_pace_then_bac(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->cam.doc, &(vpass_options){ .cam_attack = VPASS_CAM_INFINITY });
	pp_document *d = read_ok(&r, &f->cam.key, NULL, "PACE refused by the reader, then BAC");
	assert_string_equal(d->access_control, "BAC");
	assert_true(d->pace.attempted);
	assert_int_equal(d->pace.secret, PP_PACE_MRZ);
	assert_int_not_equal(d->pace.err, PP_OK);
	assert_true(d->pace.error[0] != '\0');
	assert_true(d->bac_fallback);
	assert_int_equal(d->chip_auth.result, PP_AUTH_PASSED);
	/* In the chip's log: EF.CardAccess, PACE's commands, then a plain
	 * SELECT of the application right before BAC's GET CHALLENGE. */
	long challenge = spy_find(&r.spy, 0, 0x00, INS_GET_CHALLENGE, -1);
	assert_true(challenge >= 1);
	const spy_cmd *before = &r.spy.log[challenge - 1];
	assert_true(before->cla == 0x00 && before->ins == INS_SELECT && before->p1 == 0x04);
	long pace_cmd = spy_find(&r.spy, 0, -1, INS_MSE, -1);
	assert_true(pace_cmd >= 0 && pace_cmd < challenge - 1);
	long first_select_app = spy_find(&r.spy, 0, 0x00, INS_SELECT, 0x04);
	assert_int_equal(first_select_app, challenge - 1); /* PACE ran on the MF */
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_ok, 1);
	pp_document_free(d);
	rig_close(&r);

	/* A wrong CAN with the right MRZ: PACE again with the MRZ, no BAC. */
	rig_open(&r, f->pace.doc, NULL);
	pp_access_key key = f->pace.key;
	snprintf(key.can, sizeof key.can, "%s", strcmp(f->pace.can, "000000") ? "000000" : "111111");
	d = read_ok(&r, &key, NULL, "PACE with a wrong CAN, then with the MRZ");
	assert_string_equal(d->access_control, "PACE");
	assert_int_equal(d->pace.secret, PP_PACE_MRZ);
	assert_false(d->bac_fallback);
	assert_int_equal(spy_count(&r.spy, 0x00, INS_GET_CHALLENGE), 0);
	pp_document_free(d);
	rig_close(&r);
}

/* A PACE-only chip (BAC refused with 6A88, or 6982): with the right MRZ
 * PACE opens it; with a wrong MRZ the answer is "access denied" — the
 * PACE failure, not a confusing BAC one. */
static void test_pace_only_chip(void **state)
{
	fx *f = *state;
	static const uint16_t refusals[] = { 0x6A88, 0x6982 };
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		rig r;
		rig_open(&r, f->pace.doc, &(vpass_options){ .refuse_bac = refusals[i] });
		pp_document *d = NULL;
		char err[256] = "";
		pp_err e = read_doc(&r, &f->pace.key, NULL, &d, err, sizeof err);
		if (e != PP_OK) {
			/* This build's PACE did not open the chip: the error is
			 * PACE's, and says that BAC is refused. */
			char sw[8];
			snprintf(sw, sizeof sw, "%04X", refusals[i]);
			if (strncmp(err, "PACE failed", 11) != 0 || !strstr(err, "refuses BAC") || !strstr(err, sw))
				fail_msg("PACE-only chip: the error should name PACE's failure and BAC's refusal: \"%s\"",
				         err);
			rig_close(&r);
			NEEDS(false, "PACE against the virtual chip");
		}
		assert_string_equal(d->access_control, "PACE");
		assert_false(d->bac_fallback);
		assert_int_equal(d->pace.secret, PP_PACE_MRZ);
		assert_true(d->pace.info.oid[0] != '\0');
		pp_document_free(d);

		pp_access_key wrong = f->pace.key;
		wrong.birth_date[5] = wrong.birth_date[5] == '1' ? '2' : '1';
		pp_document sentinel;
		d = &sentinel;
		e = read_doc(&r, &wrong, NULL, &d, err, sizeof err);
		rig_close(&r);
		assert_int_equal(e, PP_ERR_ACCESS_DENIED);
		assert_ptr_equal(d, &sentinel);
		if (!strstr(err, "PACE"))
			fail_msg("wrong MRZ on a PACE-only chip: the error should name PACE: \"%s\"", err);
	}
}

/* PACE with the CAN alone, and with the MRZ; the session set up again
 * after the chip drops it comes back with PACE, never BAC. */
static void test_pace_can_and_reestablish(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->pace.doc, NULL);
	pp_access_key can_only = { .can = "" };
	snprintf(can_only.can, sizeof can_only.can, "%s", f->pace.can);
	pp_document *d = NULL;
	char err[256] = "";
	pp_err e = read_doc(&r, &can_only, NULL, &d, err, sizeof err);
	if (e != PP_OK) {
		rig_close(&r);
		NEEDS(false, "PACE against the virtual chip");
	}
	assert_string_equal(d->access_control, "PACE");
	assert_int_equal(d->pace.secret, PP_PACE_CAN);
	pp_document_free(d);
	rig_close(&r);

	/* The chip refuses extended length in the middle of DG2 (6700 in the
	 * clear ends its session): PACE again, not BAC. */
	rig_open(&r, f->pace.doc, &(vpass_options){ .max_response_data = 1000 });
	r.spy.claim_extended = true;
	arm a = { .card = r.card, .at = 4000, .short_only = true };
	pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
	d = read_ok(&r, &f->pace.key, &opt, "PACE, session dropped mid-read");
	assert_true(a.done);
	assert_string_equal(d->access_control, "PACE");
	assert_true(d->reestablished >= 1);
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.bac_ok, 0);
	assert_int_equal(spy_count(&r.spy, 0x00, INS_GET_CHALLENGE), 0);
	pp_document_free(d);
	rig_close(&r);
}

/* A CAN and a document without PACE: the MRZ is needed. */
static void test_can_without_pace(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_access_key can_only = { .can = "123456" };
	pp_document sentinel;
	pp_document *d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &can_only, NULL, &d, err, sizeof err);
	/* No key at all is the caller's mistake. */
	pp_access_key none = { .can = "" };
	pp_err e_none = pp_read_document(r.t, &none, NULL, &d, NULL, 0);
	rig_close(&r);
	assert_int_equal(e, PP_ERR_ACCESS_DENIED);
	assert_int_equal(e_none, PP_ERR_ARG);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "MRZ") || !strstr(err, "PACE"))
		fail_msg("a CAN for a BAC-only document: the error should ask for the MRZ: \"%s\"", err);
}

/* ---- issue 3: chip and active authentication ------------------------------- */

/* Active authentication with an ECDSA key (hash from DG14's
 * ActiveAuthenticationInfo), and a cloned chip whose key is not DG15's. */
static void test_active_authentication(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->ecdsa.doc, NULL);
	pp_document *d = read_ok(&r, &f->ecdsa.key, NULL, "AA ECDSA");
	assert_int_equal(d->active_auth.result, PP_AUTH_PASSED);
	assert_non_null(strstr(d->active_auth.algorithm, "ECDSA"));
	assert_true(d->active_auth.hash[0] != '\0');
	assert_true(d->dg[14].present);
	pp_document_free(d);
	rig_close(&r);

	/* Cloned chips: RSA (the fixture) and ECDSA. */
	const struct {
		const vpass_doc *doc;
		const pp_access_key *key;
	} clones[] = { { f->doc, &f->key }, { f->ecdsa.doc, &f->ecdsa.key } };
	for (size_t i = 0; i < 2; i++) {
		rig_open(&r, clones[i].doc, &(vpass_options){ .aa_wrong_key = true });
		pp_document sentinel;
		d = &sentinel;
		char err[256] = "";
		pp_err e = read_doc(&r, clones[i].key, NULL, &d, err, sizeof err);
		rig_close(&r);
		assert_int_equal(e, PP_ERR_CHIP_AUTH);
		assert_ptr_equal(d, &sentinel);
		if (!strstr(err, "possible cloned chip") || !strstr(err, "active authentication"))
			fail_msg("cloned chip: the error should name active authentication: \"%s\"", err);
	}
}

/* An RSA-2048 signature under secure messaging is more than a short
 * answer carries: over a short-only link the chip sends it in 61XX pieces
 * and the channel fetches them with GET RESPONSE. */
static void test_get_response_chaining(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .short_only = true });
	pp_document *d = read_ok(&r, &f->key, NULL, "AA RSA-2048 over short APDUs");
	assert_int_equal(d->active_auth.result, PP_AUTH_PASSED);
	assert_true(d->get_responses >= 1);
	assert_int_equal(spy_count(&r.spy, 0x00, INS_GET_RESPONSE), d->get_responses);
	assert_int_equal(r.spy.extended_apdus, 0);
	/* The INTERNAL AUTHENTICATE went short, and GET RESPONSE followed it. */
	long ia = spy_find(&r.spy, 0, 0x0C, INS_INTERNAL_AUTH, -1);
	assert_true(ia >= 0);
	assert_int_equal(spy_find(&r.spy, (size_t)ia, 0x00, INS_GET_RESPONSE, -1), ia + 1);
	assert_all_files(f, d);
	pp_document_free(d);
	rig_close(&r);
}

/* Chip authentication: CA after PACE (active authentication then not
 * needed), PACE-CAM, and each with a cloned chip. */
static void test_chip_authentication(void **state)
{
	fx *f = *state;
	const struct {
		const profile_doc *pd;
		const char *method;
	} cases[] = { { &f->ca, "CA" }, { &f->cam, "PACE-CAM" } };
	for (size_t i = 0; i < 2; i++) {
		const profile_doc *pd = cases[i].pd;
		rig r;
		rig_open(&r, pd->doc, NULL);
		pp_document *d = NULL;
		char err[256] = "";
		pp_err e = read_doc(&r, &pd->key, NULL, &d, err, sizeof err);
		if (e == PP_OK && d->chip_auth.result != PP_AUTH_PASSED) {
			print_message("%s: chip authentication %s: %s\n", cases[i].method,
			              pp_auth_result_name(d->chip_auth.result), d->chip_auth.detail);
			pp_document_free(d);
			rig_close(&r);
			NEEDS(false, "chip authentication against the virtual chip");
		}
		if (e != PP_OK)
			fail_msg("%s: %s (%s)", cases[i].method, pp_strerror(e), err);
		assert_string_equal(d->chip_auth.method, cases[i].method);
		assert_true(d->chip_auth.info.oid[0] != '\0');
		assert_true(d->dg[14].present && d->in_sod[14]);
		assert_int_equal(d->active_auth.result, PP_AUTH_NOT_RUN);
		pp_document_free(d);
		rig_close(&r);

		rig_open(&r, pd->doc, &(vpass_options){ .ca_wrong_key = true });
		pp_document sentinel;
		d = &sentinel;
		e = read_doc(&r, &pd->key, NULL, &d, err, sizeof err);
		rig_close(&r);
		if (e != PP_ERR_CHIP_AUTH)
			fail_msg("%s, cloned chip: %s (%s), expected a possible cloned chip", cases[i].method,
			         pp_strerror(e), err);
		assert_ptr_equal(d, &sentinel);
		if (!strstr(err, "possible cloned chip"))
			fail_msg("%s, cloned chip: the error should say so: \"%s\"", cases[i].method, err);
	}
}

/* A document of the pace-cam profile whose EF.CardAccess (not signed, so a
 * clone may rewrite it) offers generic mapping only: DG14, which the SOD
 * covers, still lists the PACE-CAM PACEInfo. */
static vpass_doc *cam_doc_without_cam(const char *dir)
{
	static const docgen_pace_info gm = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	vpass_doc *doc = NULL;
	uint8_t *card_access = NULL;
	size_t len = 0;
	char err[256] = "";
	if (vpass_doc_load(dir, &doc, err, sizeof err) != VPASS_OK)
		fail_msg("vpass_doc_load %s: %s", dir, err);
	assert_int_equal(docgen_card_access_encode(&gm, 1, &card_access, &len, err, sizeof err), DOCGEN_OK);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_CARD_ACCESS, card_access, len), VPASS_OK);
	free(card_access);
	return doc;
}

/* The PACE-CAM downgrade: with CAM dropped from EF.CardAccess, PACE runs
 * generic mapping. When DG14 offers chip authentication, CA decides (a
 * genuine chip passes, a clone fails); when it offers none this reader
 * runs, DG14's word that the chip does PACE-CAM stands and the read fails
 * as a possible cloned chip. */
/* A chip whose PACE-CAM data is invalid (CA_IC empty) is a possible clone
 * at once: no fall back to BAC, which would let it skip the proof. A chip
 * whose mapping key is the point at infinity fails PACE before any CAM
 * data exists; BAC follows, and then chip authentication must prove the
 * chip (a clone's fails). */
static void test_cam_attack_no_bac(void **state)
{
	fx *f = *state;
	const vpass_options chips[] = {
		{ .cam_attack = VPASS_CAM_EMPTY_CA },
		{ .cam_attack = VPASS_CAM_INFINITY, .ca_wrong_key = true },
	};
	for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
		rig r;
		rig_open(&r, f->cam.doc, &chips[i]);
		pp_document *d = NULL;
		char err[256] = "";
		pp_err e = read_doc(&r, &f->cam.key, NULL, &d, err, sizeof err);
		unsigned long challenges = spy_count(&r.spy, 0x00, INS_GET_CHALLENGE);
		rig_close(&r);
		pp_document_free(d);
		if (e != PP_ERR_CHIP_AUTH || !strstr(err, "possible cloned chip"))
			fail_msg("chip %zu: %s (%s), expected a possible cloned chip", i, pp_strerror(e), err);
		if (i == 0)
			assert_int_equal(challenges, 0);
	}
}

/* A clone that copies a chip's files but not its keys would rather hide
 * DG14 or DG15 than fail the proof: a data group the SOD covers that the
 * chip withholds is a possible clone, for these two. */
static void test_withheld_dg14_dg15(void **state)
{
	fx *f = *state;
	static const struct {
		const char *profile;
		int dg;
	} cases[] = { { "ca", 14 }, { "aa-ecdsa", 15 }, { "aa-ecdsa", 14 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		docgen_doc_opts o = { 0 };
		char err[256] = "", name[64];
		assert_int_equal(docgen_doc_profile(cases[i].profile, &o, err, sizeof err), DOCGEN_OK);
		o.absent_dgs = 1u << cases[i].dg;
		snprintf(name, sizeof name, "%s-without-dg%d", cases[i].profile, cases[i].dg);
		const char *dir = fx_doc(f->root, name, f->pki, "hartono", o);
		vpass_doc *doc = NULL;
		assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
		pp_access_key key;
		fx_doc_access_key(dir, &key);
		rig r;
		rig_open(&r, doc, NULL);
		pp_document *d = NULL;
		pp_err e = read_doc(&r, &key, NULL, &d, err, sizeof err);
		rig_close(&r);
		pp_document_free(d);
		vpass_doc_free(doc);
		char expect[64];
		snprintf(expect, sizeof expect, "withholds DG%d", cases[i].dg);
		if (e != PP_ERR_CHIP_AUTH || !strstr(err, "possible cloned chip") || !strstr(err, expect))
			fail_msg("%s: %s (%s), expected a possible cloned chip that %s", name, pp_strerror(e), err,
			         expect);
	}
}

static void test_cam_downgrade(void **state)
{
	fx *f = *state;
	vpass_doc *doc = cam_doc_without_cam(f->cam.dir);
	rig r;
	rig_open(&r, doc, NULL);
	pp_document *d = read_ok(&r, &f->cam.key, NULL, "pace-cam without CAM in EF.CardAccess, genuine");
	assert_true(is_pace(d));
	assert_string_equal(d->pace.info.mapping, "GM");
	assert_int_equal(d->chip_auth.result, PP_AUTH_PASSED);
	assert_string_equal(d->chip_auth.method, "CA");
	pp_document_free(d);
	rig_close(&r);

	char err[256] = "";
	rig_open(&r, doc, &(vpass_options){ .ca_wrong_key = true });
	d = NULL;
	assert_int_equal(read_doc(&r, &f->cam.key, NULL, &d, err, sizeof err), PP_ERR_CHIP_AUTH);
	assert_null(d);
	rig_close(&r);
	vpass_doc_free(doc);

	/* DG14 names a CA protocol this reader does not know (so CA cannot
	 * run): with CAM in EF.CardAccess the chip proves itself by PACE-CAM;
	 * without, the read fails. */
	docgen_doc_opts o = { 0 };
	assert_int_equal(docgen_doc_profile("pace-cam", &o, err, sizeof err), DOCGEN_OK);
	o.ca_protocol = "0.4.0.127.0.7.2.2.3.2.9";
	const char *dir = fx_doc(f->root, "pace-cam-no-ca", f->pki, "lestari", o);
	pp_access_key key = f->cam.key;
	snprintf(key.document_number, sizeof key.document_number, "%s", fx_doc_value(dir, "document_number"));
	assert_int_equal(vpass_doc_load(dir, &doc, err, sizeof err), VPASS_OK);
	rig_open(&r, doc, NULL);
	d = read_ok(&r, &key, NULL, "pace-cam, DG14 without a usable ChipAuthenticationInfo");
	assert_string_equal(d->chip_auth.method, "PACE-CAM");
	assert_int_equal(d->chip_auth.result, PP_AUTH_PASSED);
	pp_document_free(d);
	rig_close(&r);
	vpass_doc_free(doc);

	const vpass_options chips[] = { { 0 }, { .ca_wrong_key = true } };
	doc = cam_doc_without_cam(dir);
	for (size_t i = 0; i < 2; i++) {
		rig_open(&r, doc, &chips[i]);
		d = NULL;
		err[0] = '\0';
		pp_err e = read_doc(&r, &key, NULL, &d, err, sizeof err);
		rig_close(&r);
		if (e != PP_ERR_CHIP_AUTH) {
			if (e == PP_OK)
				print_message("chip authentication: %s: %s\n", pp_auth_result_name(d->chip_auth.result),
				              d->chip_auth.detail);
			pp_document_free(d);
			fail_msg("CAM dropped from EF.CardAccess, chip %zu: %s (%s), expected a possible cloned chip", i,
			         pp_strerror(e), err);
		}
		assert_null(d);
		if (!strstr(err, "possible cloned chip: DG14 says the chip supports PACE-CAM but it did not perform it"))
			fail_msg("the error should say why: \"%s\"", err);
	}
	vpass_doc_free(doc);
}

/* After CA the session runs on CA's keys: when it has to be set up again,
 * CA runs again (and the rest of the read still verifies). */
static void test_ca_reestablish(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->ca.doc, &(vpass_options){ .max_response_data = 1000 });
	r.spy.claim_extended = true;
	arm a = { .card = r.card, .at = 4000, .short_only = true };
	pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
	pp_document *d = NULL;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->ca.key, &opt, &d, err, sizeof err);
	if (e == PP_OK && d->chip_auth.result != PP_AUTH_PASSED) {
		pp_document_free(d);
		rig_close(&r);
		NEEDS(false, "chip authentication against the virtual chip");
	}
	if (e != PP_OK)
		fail_msg("CA, session dropped mid-read: %s (%s)", pp_strerror(e), err);
	assert_true(a.done);
	assert_true(d->reestablished >= 1);
	/* Two CA runs: MSE:Set AT for CA is sent under SM each time. */
	assert_true(spy_count(&r.spy, 0x0C, INS_MSE) >= 2);
	pp_document_free(d);
	rig_close(&r);
}

/* ---- issue 3: lost answers -------------------------------------------------- */

/* A reader whose large answers are lost (a time-out): the same offset is
 * read again with half the size, the session set up first (the chip's
 * counter moved on), the smaller size kept; the file is never restarted
 * and comes out whole. */
static void test_timeout_smaller_reads(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 1000 });
	size_t before_dg2 = f->files[F_COM].len + f->files[F_SOD].len + f->files[F_DG1].len;
	/* From 2000 bytes into DG2 on, asking for more than 1500 bytes loses
	 * the answer. */
	arm a = { .card = r.card, .at = before_dg2 + 2000, .timeout = true, .opts = { .timeout_above = 1500 } };
	pp_read_options opt = { .progress = arm_progress, .progress_user = &a };
	pp_document *d = read_ok(&r, &f->key, &opt, "time-outs above 1500 bytes");
	assert_true(a.done);
	assert_all_files(f, d);
	assert_true(d->timeouts >= 1);
	assert_int_equal(d->timeouts, d->size_reductions);
	assert_true(d->reestablished >= d->timeouts);
	assert_true(d->read_size <= 1500 && d->read_size >= 64);
	/* Every lost read is followed by a read of the same offset. */
	size_t n = spy_logged(&r.spy);
	unsigned long lost = 0;
	for (size_t i = 0; i < n; i++) {
		const spy_cmd *c = &r.spy.log[i];
		if (c->ins != 0xB0 || c->result != PP_ERR_TIMEOUT)
			continue;
		lost++;
		assert_true(c->le > 1500);
		long next = spy_find(&r.spy, i + 1, 0x0C, 0xB0, -1);
		assert_true(next > (long)i);
		assert_int_equal(r.spy.log[next].p1, c->p1);
		assert_int_equal(r.spy.log[next].p2, c->p2);
		assert_true(r.spy.log[next].le < c->le);
	}
	assert_int_equal(lost, d->timeouts);
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.lost_answers, d->timeouts);
	pp_document_free(d);
	rig_close(&r);

	/* Lost answers even at the smallest size: bounded, then an error
	 * naming the file and the offset. */
	rig_open(&r, f->doc, &(vpass_options){ .max_response_data = 1000 });
	a = (arm){ .card = r.card, .at = before_dg2 + 1, .timeout = true, .opts = { .timeout_above = 10 } };
	pp_document sentinel;
	d = &sentinel;
	char err[256] = "";
	pp_err e = read_doc(&r, &f->key, &opt, &d, err, sizeof err);
	unsigned long apdus = r.spy.apdus;
	rig_close(&r);
	assert_int_equal(e, PP_ERR_TIMEOUT);
	assert_ptr_equal(d, &sentinel);
	if (!strstr(err, "DG2") || !strstr(err, "timed out"))
		fail_msg("time-outs at every size: the error should name DG2 and the time-out: \"%s\"", err);
	assert_true(apdus < 200); /* no endless loop */
}

/* ---- issue 3: EF.COM against the SOD ------------------------------------------ */

/* EF.COM listing DG1, DG2, DG11 and DG15, not DG12 (which the chip holds
 * and the SOD covers). */
static const uint8_t com_without_dg12[] = {
	0x60, 0x16, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F, 0x36, 0x06,
	0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x04, 0x61, 0x75, 0x6B, 0x6F,
};

static void test_unlisted_present(void **state)
{
	fx *f = *state;
	vpass_doc *doc = doc_without(f->doc, 0);
	assert_int_equal(vpass_doc_add_file(doc, VPASS_FID_COM, com_without_dg12, sizeof com_without_dg12),
	                 VPASS_OK);
	rig r;
	rig_open(&r, doc, NULL);
	progress_log p = { 0 };
	pp_read_options opt = { .progress = log_progress, .progress_user = &p };
	pp_document *d = read_ok(&r, &f->key, &opt, "DG12 not in EF.COM");
	assert_false(d->listed[12]);
	assert_true(d->in_sod[12]);
	for (int i = 0; i < N_FILES; i++)
		if (i != F_COM)
			assert_same(doc_file(d, &f->files[i]), f->files[i].data, f->files[i].len, f->files[i].name);
	/* The progress counted the extra data group, and never passed 100 %. */
	size_t total = f->total - f->files[F_COM].len + sizeof com_without_dg12;
	assert_false(p.over);
	assert_false(p.decreased);
	assert_int_equal(p.last_read, total);
	assert_int_equal(p.last_expected, total);
	pp_document_free(d);
	rig_close(&r);
	vpass_doc_free(doc);
}

/* ---- arguments ---------------------------------------------------------------------- */

static void test_arguments(void **state)
{
	fx *f = *state;
	rig r;
	rig_open(&r, f->doc, NULL);
	pp_document *d = NULL;
	assert_int_equal(pp_read_document(NULL, &f->key, NULL, &d, NULL, 0), PP_ERR_ARG);
	assert_int_equal(pp_read_document(r.t, NULL, NULL, &d, NULL, 0), PP_ERR_ARG);
	assert_int_equal(pp_read_document(r.t, &f->key, NULL, NULL, NULL, 0), PP_ERR_ARG);
	assert_null(d);
	assert_int_equal(r.spy.apdus, 0);
	pp_document_free(NULL);
	assert_true(pp_dg_readable(1) && pp_dg_readable(16));
	assert_false(pp_dg_readable(3) || pp_dg_readable(4) || pp_dg_readable(0) || pp_dg_readable(17));
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_read),
		cmocka_unit_test(test_read_passes_pa),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_wrong_key_pace_message),
		cmocka_unit_test(test_short_only_chip),
		cmocka_unit_test(test_short_only_chip_fallback),
		cmocka_unit_test(test_reader_refuses_extended),
		cmocka_unit_test(test_terminal_short_only),
		cmocka_unit_test(test_chip_answers_little),
		cmocka_unit_test(test_max_read_option),
		cmocka_unit_test(test_large_dg2),
		cmocka_unit_test(test_huge_dg2),
		cmocka_unit_test(test_tiny_reads),
		cmocka_unit_test(test_transient_retried),
		cmocka_unit_test(test_transient_then_short),
		cmocka_unit_test(test_transient_exhausted_dg),
		cmocka_unit_test(test_transient_exhausted_com),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_frozen_chip),
		cmocka_unit_test(test_corrupt_mac),
		cmocka_unit_test(test_truncated_dg1),
		cmocka_unit_test(test_listed_but_absent),
		cmocka_unit_test(test_sm_dropped),
		cmocka_unit_test(test_plain_error_status),
		cmocka_unit_test(test_sm_ended_for_good),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_read_passport),
		cmocka_unit_test(test_wait_change),
		cmocka_unit_test(test_not_emrtd),
		cmocka_unit_test(test_empty_chip),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_trailing_padding),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_card_access_variants),
		cmocka_unit_test(test_card_access_lost_answer),
		cmocka_unit_test(test_card_access_transient),
		cmocka_unit_test(test_pace_then_bac),
		cmocka_unit_test(test_pace_only_chip),
		cmocka_unit_test(test_pace_can_and_reestablish),
		cmocka_unit_test(test_can_without_pace),
		cmocka_unit_test(test_active_authentication),
		cmocka_unit_test(test_get_response_chaining),
		cmocka_unit_test(test_chip_authentication),
		cmocka_unit_test(test_ca_reestablish),
		cmocka_unit_test(test_cam_downgrade),
		cmocka_unit_test(test_cam_attack_no_bac),
		cmocka_unit_test(test_withheld_dg14_dg15),
		cmocka_unit_test(test_timeout_smaller_reads),
		cmocka_unit_test(test_unlisted_present),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
