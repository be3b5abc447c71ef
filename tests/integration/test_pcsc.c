/*
 * test_pcsc — end to end through the real pcscd: the virtual passport
 * (appm-vpass) is a card in pcscd's vpcd reader, and `appm passport read`
 * reads and verifies it over PC/SC, as on a kiosk with a physical reader.
 *
 * Runs inside devices/pcsc/sandbox.sh (a private pcscd on 127.0.0.1 in its
 * own namespaces). Documents and keys are generated here by appm-docgen in
 * a temporary directory. Each test scripts the virtual passport over its
 * control socket (place, remove, faults) and checks what an applicant or an
 * engineer would see: exit code, message, report. What it shares with
 * tests/nfc (shell commands, appm runs, JSON paths, docgen) is harness.c.
 *
 * Issue 14's runs, each a meson test of its own: 'freeze' (a chip that
 * stops answering ends the read within its deadline; two reads at once
 * never corrupt each other), 'removal' (the document taken away after
 * every command of a PACE + CA read is always a removal), 'killed' (a read
 * killed in the middle of every command leaves the next read unharmed)
 * and 'service' (pcscd killed in the middle of every command is the
 * service stopping, not a removal).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

/* What this run covers (the program's argument): "basic" the tests
 * written out below, a case group of harness.c, one of issue 14's runs
 * (fault_groups), or (NULL) basic and the case groups. */
static const char *group;

static const char *const fault_groups[] = { "freeze", "removal", "killed", "service" };

static bool is_fault_group(const char *g)
{
	for (size_t i = 0; g && i < sizeof(fault_groups) / sizeof(fault_groups[0]); i++)
		if (strcmp(g, fault_groups[i]) == 0)
			return true;
	return false;
}

static char tmp[256];
static const char *appm, *vpass, *docgen;
static pid_t vpass_pid = -1;
static char ctl[300];
static it_appm run;

/* The MRZ of the 'lestari' persona's document, from document.txt. */
static char mrz[100];

static void ctl_cmd(const char *cmd)
{
	assert_int_equal(it_sh("%s ctl %s %s >/dev/null", vpass, ctl, cmd), 0);
}

/* Wait (at most 5 s) until pcscd sees the first reader in the wanted state,
 * as an applicant's document is only there once the reader has found it. */
static void wait_reader(bool present)
{
	for (int i = 0; i < 50; i++) {
		int rc = it_sh("%s passport readers 2>/dev/null | head -n 1 | grep -q 'document present'", appm);
		if ((rc == 0) == present)
			return;
		usleep(100000);
	}
	fail_msg("the reader did not see the document %s", present ? "arrive" : "leave");
}

/* The document on the reader ("" when none, or one a test may have
 * changed), so that a case on the same document need not wait for pcscd
 * to see it leave and come back. */
static char placed[64];

static void take_away(void)
{
	placed[0] = '\0';
	ctl_cmd("remove");
	wait_reader(false);
}

/* Place the document in dir (a fresh chip with no faults). */
static void place(const char *doc)
{
	take_away();
	for (size_t i = 0; it_chip_defaults[i]; i++) {
		char set[100];
		snprintf(set, sizeof(set), "set %s", it_chip_defaults[i]);
		ctl_cmd(set);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "place %s/%s", tmp, doc);
	ctl_cmd(cmd);
	wait_reader(true);
}

/* For the document cases: the same document again only gets its chip
 * options back to the defaults (each read powers the chip up afresh). */
static void place_case(const char *doc)
{
	if (strcmp(placed, doc) != 0) {
		place(doc);
		snprintf(placed, sizeof(placed), "%s", doc);
		return;
	}
	for (size_t i = 0; it_chip_defaults[i]; i++) {
		char set[100];
		snprintf(set, sizeof(set), "set %s", it_chip_defaults[i]);
		ctl_cmd(set);
	}
}

/* The documents of the tests written out below. */
static int setup_basic_docs(void)
{
	int rc = it_make_doc(docgen, tmp, "pki", "lestari", NULL, "good") |
	         it_make_doc(docgen, tmp, "pki", "hartono", "--face jp2 --dg15 --hash sha512", "jp2") |
	         it_make_doc(docgen, tmp, "other", "lestari", NULL, "unknown") |
	         it_make_doc(docgen, tmp, "pki", "lestari", "--tamper 2", "tampered") |
	         it_make_doc(docgen, tmp, "pki", "lestari", "--profile pace", "pace") |
	         it_make_doc(docgen, tmp, "expired", "lestari", NULL, "expired-doc") |
	         it_sh("%s masterlist --pki %s/pki --out %s/masterlist.ml >/dev/null", docgen, tmp, tmp) |
	         it_sh("%s crl --pki %s/pki --revoke-ds --out %s/revoked.crl >/dev/null", docgen, tmp, tmp);
	if (rc != 0)
		return -1;
	/* A malformed chip: DG1's MRZ element claims more bytes than DG1 has. */
	rc = it_sh("cp -r %s/good %s/malformed && printf '\\141\\202\\377\\377' | "
	           "dd of=%s/malformed/EF.DG1 bs=1 conv=notrunc status=none",
	           tmp, tmp, tmp);
	if (rc != 0)
		return -1;
	/* Complete but malformed: DG2's biometric group template count says
	 * 9 templates where there is one (7F61 { 02 01 09 ... }). */
	rc = it_sh("cp -r %s/good %s/bad-dg2 && "
	           "off=$(od -An -tx1 -v %s/bad-dg2/EF.DG2 | tr -d ' \\n' | grep -bo '020101' | head -n 1 | cut -d: -f1) && "
	           "printf '\\011' | dd of=%s/bad-dg2/EF.DG2 bs=1 seek=$((off / 2 + 2)) conv=notrunc status=none",
	           tmp, tmp, tmp, tmp);
	if (rc != 0)
		return -1;
	it_read_mrz(tmp, "good", mrz, sizeof(mrz));
	return 0;
}

static int setup(void **state)
{
	(void)state;
	appm = getenv("APPM");
	vpass = getenv("APPM_VPASS");
	docgen = getenv("APPM_DOCGEN");
	if (!appm || !vpass || !docgen || !getenv("APPM_VPCD_PORT")) {
		fprintf(stderr, "run through meson test (needs APPM, APPM_VPASS, APPM_DOCGEN, APPM_VPCD_PORT)\n");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/appm-it.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	run = (it_appm){ .appm = appm, .reader = NULL, .dir = tmp };
	/* Three PKIs: ours, one the kiosk does not trust, and one whose
	 * document signer has expired. */
	int rc = it_make_pki(docgen, tmp, "pki", NULL) | it_make_pki(docgen, tmp, "other", NULL) |
	         it_make_pki(docgen, tmp, "expired", "--ds-expired") |
	         it_sh("mkdir -p %s/trust && cp %s/pki/csca.pem %s/trust/ && cp %s/expired/csca.pem %s/trust/csca2.pem",
	               tmp, tmp, tmp, tmp, tmp);
	if (is_fault_group(group))
		rc |= it_make_doc(docgen, tmp, "pki", "hartono", "--profile typical", "typical");
	else if (it_group_runs_cases(group))
		rc |= it_make_case_docs(docgen, tmp, group);
	if (rc != 0)
		return -1;
	if (it_group_runs_basic(group) && setup_basic_docs() != 0)
		return -1;
	snprintf(ctl, sizeof(ctl), "%s/vpass.sock", tmp);
	vpass_pid = it_start_vpass(vpass, NULL, ctl);
	return vpass_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (vpass_pid > 0) {
		kill(vpass_pid, SIGTERM);
		waitpid(vpass_pid, NULL, 0);
	}
	it_sh("rm -rf %s", tmp);
	return 0;
}

static void test_read_and_verify(void **state)
{
	(void)state;
	place("good");
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust --face-out %s/face.jpg", mrz, tmp, tmp);
	assert_int_equal(r.code, 0);
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr(j, "result"), "verified");
	assert_string_equal(it_jstr(j, "holder.nationality"), "IDN");
	assert_string_equal(it_jstr(j, "holder.issuing_state"), "IDN");
	assert_non_null(it_jstr(j, "holder.surname"));
	assert_true(strlen(it_jstr(j, "holder.surname")) > 0);
	assert_string_equal(it_jstr(j, "reading.access_control"), "BAC");
	assert_non_null(strstr(it_jstr(j, "reading.reader"), "APPM Virtual Passport Reader"));
	assert_true(json_is_true(it_jget(j, "passive_authentication.passed")));
	const char *checks[] = { "sod_signature", "chain", "validity" };
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof(path), "passive_authentication.checks.%s.result", checks[i]);
		assert_string_equal(it_jstr(j, path), "pass");
	}
	assert_string_equal(it_jstr(j, "passive_authentication.checks.crl.result"), "not checked");
	json_t *hashes = it_jget(j, "passive_authentication.checks.data_group_hashes");
	assert_true(json_array_size(hashes) >= 4); /* DG1, DG2, DG11, DG12 */
	for (size_t i = 0; i < json_array_size(hashes); i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(hashes, i), "result")), "pass");
	assert_string_equal(it_jstr(j, "face.format"), "JPEG");
	/* Extended length through vpcd: few APDUs for the whole document. */
	assert_true(json_is_true(it_jget(j, "reading.extended_length")));
	/* vpcd does not say the rate it would have negotiated: unknown. */
	assert_true(json_is_null(it_jget(j, "reading.bit_rate_kbps")));
	assert_non_null(strstr(json_string_value(it_jget(j, "reading.bit_rate_how")), "unknown"));
	json_int_t apdus = json_integer_value(it_jget(j, "reading.apdus"));
	assert_true(apdus > 0 && apdus < 30);
	json_decref(j);
	/* The face image written is a JPEG. */
	char p[300];
	snprintf(p, sizeof(p), "%s/face.jpg", tmp);
	char *face = it_slurp(p);
	assert_true((uint8_t)face[0] == 0xFF && (uint8_t)face[1] == 0xD8);
	free(face);
	it_result_free(&r);
}

/* The simulated reader in appm itself (--reader sim:DIR) reads the same
 * document as pcscd's, without pcscd. */
static void test_sim_reader(void **state)
{
	(void)state;
	it_appm sim = run;
	char reader[400];
	snprintf(reader, sizeof(reader), "sim:%s/good", tmp);
	sim.reader = reader;
	it_result r = it_appm_read(&sim, "--json --mrz '%s' --trust %s/trust", mrz, tmp);
	assert_int_equal(r.code, 0);
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr(j, "result"), "verified");
	assert_non_null(strstr(it_jstr_or_empty(j, "reading.reader"), "simulated reader"));
	json_decref(j);
	it_result_free(&r);
}

static void test_summary_and_parts(void **state)
{
	(void)state;
	place("jp2");
	char p[300];
	snprintf(p, sizeof(p), "%s/jp2/document.txt", tmp);
	char *doc = it_slurp(p);
	char number[16] = "", birth[8] = "", expiry[8] = "";
	sscanf(strstr(doc, "document_number=") + 16, "%15[^\n]", number);
	sscanf(strstr(doc, "birth_date=") + 11, "%7[^\n]", birth);
	sscanf(strstr(doc, "expiry_date=") + 12, "%7[^\n]", expiry);
	free(doc);
	it_result r = it_appm_read(&run,
	                           "--document-number %s --birth-date %s --expiry-date %s --trust %s/masterlist.ml",
	                           number, birth, expiry, tmp);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "Passive authentication: PASSED"));
	assert_non_null(strstr(r.out, "JP2"));
	assert_non_null(strstr(r.out, "DG15"));
	it_result_free(&r);
}

static void test_wrong_mrz(void **state)
{
	(void)state;
	place("good");
	/* Same document number, another (valid) birth date. */
	char other[sizeof(mrz)];
	it_read_mrz(tmp, "jp2", other, sizeof(other));
	it_expect_refusal(&run, 6, "access control failed: the MRZ does not match this document",
	                  "--mrz '%s' --trust %s/trust", other, tmp);
}

static void test_no_document(void **state)
{
	(void)state;
	take_away();
	it_expect_refusal(&run, 4, "no document on the reader", "--wait 1 --mrz '%s' --trust %s/trust", mrz, tmp);
}

/* `appm passport watch` prints each arrival and departure as pcscd tells
 * of it, for the time asked. */
static void test_watch(void **state)
{
	(void)state;
	take_away();
	char out[300];
	snprintf(out, sizeof(out), "%s/watch.out", tmp);
	assert_int_equal(it_sh("%s passport watch --for 4 >%s 2>&1 &", appm, out), 0);
	usleep(800000);
	place("good");
	usleep(500000);
	take_away();
	sleep(4);
	it_check_watch_output(out);
}

static void test_removed_while_reading(void **state)
{
	(void)state;
	place("good");
	ctl_cmd("set remove-after 6");
	it_expect_refusal(&run, 5, "the document was removed while reading; place it again",
	                  "--mrz '%s' --trust %s/trust", mrz, tmp);
	/* With --json, the error and what the read did before it stopped. */
	place("good");
	ctl_cmd("set remove-after 12");
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust", mrz, tmp);
	assert_int_equal(r.code, 5);
	json_t *j = it_parse_json(r.out);
	assert_int_equal(json_integer_value(it_jget(j, "error.exit_code")), 5);
	assert_true(json_integer_value(it_jget(j, "reading.apdus")) >= 6);
	assert_non_null(strstr(it_jstr_or_empty(j, "reading.reader"), "APPM Virtual Passport Reader"));
	assert_non_null(it_jget(j, "protocols.access_control.result"));
	assert_true(json_is_array(it_jget(j, "data_groups.files")));
	json_decref(j);
	it_result_free(&r);
	placed[0] = '\0';
}

/* A read that fails still reports what it did (issue 14): a wrong MRZ on a
 * PACE document gives the error, the PACE attempt with the MRZ and its
 * error, and the APDUs exchanged. */
static void test_failed_read_reports_what_it_did(void **state)
{
	(void)state;
	place("pace");
	char other[sizeof(mrz)];
	it_read_mrz(tmp, "jp2", other, sizeof(other));
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust", other, tmp);
	assert_int_equal(r.code, 6);
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr_or_empty(j, "error.kind"), "read");
	assert_int_equal(json_integer_value(it_jget(j, "error.exit_code")), 6);
	/* The applicant can fix it; the last status the chip sent is kept. */
	assert_string_equal(it_jstr_or_empty(j, "error.class"), "user");
	assert_null(it_jget(j, "error.recommended_action"));
	assert_string_equal(it_jstr_or_empty(j, "error.status_word"), "6300");
	assert_non_null(strstr(it_jstr_or_empty(j, "error.message"), "access control failed"));
	assert_true(json_is_true(it_jget(j, "protocols.card_access.present")));
	assert_string_equal(it_jstr_or_empty(j, "protocols.access_control.protocol"), "PACE");
	assert_string_equal(it_jstr_or_empty(j, "protocols.access_control.result"), "failed");
	assert_string_equal(it_jstr_or_empty(j, "protocols.access_control.secret"), "MRZ");
	assert_true(strlen(it_jstr_or_empty(j, "protocols.access_control.error")) > 0);
	assert_true(json_integer_value(it_jget(j, "reading.apdus")) > 0);
	assert_true(json_is_null(it_jget(j, "reading.access_control")));
	json_t *com = json_array_get(it_jget(j, "data_groups.files"), 0);
	assert_string_equal(it_jstr_or_empty(com, "file"), "EF.COM");
	assert_non_null(strstr(it_jstr_or_empty(com, "error"), "not reached"));
	json_decref(j);
	it_result_free(&r);
}

static void expect_pa_failure(const char *doc, const char *trust_args, const char *check)
{
	place(doc);
	it_result r = it_appm_read(&run, "--json --mrz '%s' %s", mrz, trust_args);
	assert_int_equal(r.code, 7);
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr(j, "result"), "verification failed");
	assert_false(json_is_true(it_jget(j, "passive_authentication.passed")));
	json_decref(j);
	if (!strstr(r.err, "passive authentication failed") || !strstr(r.err, check))
		fail_msg("expected a failure naming '%s', got: %s", check, r.err);
	it_result_free(&r);
}

static void test_unknown_csca(void **state)
{
	(void)state;
	char args[700];
	snprintf(args, sizeof(args), "--trust %s/trust", tmp);
	expect_pa_failure("unknown", args, "DS -> CSCA chain");
}

static void test_tampered_dg(void **state)
{
	(void)state;
	char args[700];
	snprintf(args, sizeof(args), "--trust %s/trust", tmp);
	expect_pa_failure("tampered", args, "DG2 hash");
}

static void test_expired_ds(void **state)
{
	(void)state;
	char args[700];
	snprintf(args, sizeof(args), "--trust %s/trust", tmp);
	expect_pa_failure("expired-doc", args, "validity");
}

static void test_revoked_ds(void **state)
{
	(void)state;
	char args[700];
	snprintf(args, sizeof(args), "--trust %s/trust --crl %s/revoked.crl", tmp, tmp);
	expect_pa_failure("good", args, "CRL");
}

static void test_malformed(void **state)
{
	(void)state;
	place("malformed");
	it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/trust", mrz, tmp);
	assert_int_equal(r.code, 8);
	assert_non_null(strstr(r.err, "malformed"));
	assert_non_null(strstr(r.err, "DG1"));
	it_result_free(&r);
}

static void test_malformed_dg2(void **state)
{
	(void)state;
	place("bad-dg2");
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust", mrz, tmp);
	assert_int_equal(r.code, 8);
	assert_non_null(strstr(r.err, "the chip's data is malformed: DG2"));
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr(j, "error.kind"), "malformed");
	json_decref(j);
	it_result_free(&r);
}

static void test_short_only_chip(void **state)
{
	(void)state;
	place("good");
	ctl_cmd("set short-only on");
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust", mrz, tmp);
	assert_int_equal(r.code, 0);
	json_t *j = it_parse_json(r.out);
	assert_false(json_is_true(it_jget(j, "reading.extended_length")));
	assert_true(json_integer_value(it_jget(j, "reading.short_read_fallbacks")) >= 1);
	json_decref(j);
	it_result_free(&r);
}

static void test_wrong_mac_refused(void **state)
{
	(void)state;
	place("good");
	ctl_cmd("set corrupt-mac on");
	it_expect_refusal(&run, 9, "secure messaging failed", "--mrz '%s' --trust %s/trust", mrz, tmp);
}

static void test_no_trust_store_is_not_a_pass(void **state)
{
	(void)state;
	place("good");
	it_result r = it_appm_read(&run, "--mrz '%s'", mrz);
	assert_int_equal(r.code, 7);
	it_result_free(&r);
}

/* Dates that are no calendar day are refused before any reader is used,
 * the same way typed in an MRZ (check digits right) or given in parts. */
static void test_impossible_dates(void **state)
{
	(void)state;
	/* lestari's MRZ, born in month 13 on day 99; then expiring on 31
	 * February; every check digit recomputed. */
	static const char l1[] = "P<IDNLESTARI<<INDAH<PURNAMA<<<<<<<<<<<<<<<<<";
	it_expect_refusal(&run, 2, "the date of birth in the MRZ is not a date", "--mrz '%s%s' --trust %s/trust", l1,
	                  "E1930648<9IDN9513996F3305153<<<<<<<<<<<<<<04", tmp);
	it_expect_refusal(&run, 2, "the date of expiry in the MRZ is not a date", "--mrz '%s%s' --trust %s/trust", l1,
	                  "E1930648<9IDN9501278F3302314<<<<<<<<<<<<<<06", tmp);
	it_expect_refusal(&run, 2, "--birth-date is not a date",
	                  "--document-number E1930648 --birth-date 460231 --expiry-date 330515");
	it_expect_refusal(&run, 2, "--birth-date is not a date",
	                  "--document-number E1930648 --birth-date 461309 --expiry-date 330515");
	it_expect_refusal(&run, 2, "--expiry-date is not a date",
	                  "--document-number E1930648 --birth-date 950127 --expiry-date 330229");
}

/* A FIFO as --trust or --crl is refused at once with exit code 10 and a
 * message naming it; before, reading it waited for ever (timeout 10 turns
 * a hang into exit code 124). */
static void test_trust_fifo(void **state)
{
	(void)state;
	assert_int_equal(it_sh("rm -f %s/trust.fifo && mkfifo %s/trust.fifo", tmp, tmp), 0);
	for (int crl = 0; crl <= 1; crl++) {
		char opt[700];
		if (crl)
			snprintf(opt, sizeof(opt), "--trust %s/trust --crl %s/trust.fifo", tmp, tmp);
		else
			snprintf(opt, sizeof(opt), "--trust %s/trust.fifo", tmp);
		int code = it_sh("timeout 10 %s passport read --wait 1 --mrz '%s' %s >%s/out 2>%s/err", appm, mrz, opt,
		                 tmp, tmp);
		assert_int_equal(code, 10);
		char p[300];
		snprintf(p, sizeof(p), "%s/err", tmp);
		char *err = it_slurp(p);
		char name[300];
		snprintf(name, sizeof(name), "%s/trust.fifo is a FIFO", tmp);
		if (!strstr(err, name) || !strstr(err, "the trust store could not be loaded"))
			fail_msg("expected a message naming the FIFO, got: %s", err);
		free(err);
	}
}

/* An over-long --reader is quoted in 64 characters and "…", once, on
 * stderr and in the JSON error; the whole 5000 were echoed before. */
static void test_long_reader_echoed_short(void **state)
{
	(void)state;
	static char name[5001];
	const char *prefixes[] = { "", "pcsc:" };   /* no such driver; no such PC/SC reader */
	const char *messages[] = { "no reader driver with that name", "no passport reader found" };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);
		memcpy(name, prefixes[i], n);
		memset(name + n, 'A', sizeof(name) - 1 - n);
		name[sizeof(name) - 1] = '\0';
		char shown[80];
		snprintf(shown, sizeof(shown), "(%.64s\u2026)", name);
		/* The shell makes the 5000 characters: a command line here is
		 * shorter. */
		it_result r = it_appm_read(&run,
		                           "--json --reader \"%s$(head -c %zu /dev/zero | tr '\\0' A)\" --can 123456",
		                           prefixes[i], sizeof(name) - 1 - n);
		assert_true(r.code == 2 || r.code == 3);
		if (!strstr(r.err, messages[i]) || !strstr(r.err, shown))
			fail_msg("expected \"%s\" and the reader cut to 64 characters, got: %.300s", messages[i], r.err);
		assert_true(strlen(r.err) < 300);
		json_t *j = it_parse_json(r.out);
		char detail[80];
		snprintf(detail, sizeof(detail), "%.64s\u2026", name);
		assert_string_equal(it_jstr_or_empty(j, "error.detail"), detail);
		json_decref(j);
		it_result_free(&r);
	}
}

/* How many entries the directory holds (the face and any temporary file). */
static int entries(const char *dir)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/count", tmp);
	assert_int_equal(it_sh("ls -A %s | wc -l >%s", dir, p), 0);
	char *n = it_slurp(p);
	int count = atoi(n);
	free(n);
	return count;
}

/* --face-out writes the face mode 0600, even over an existing file of mode
 * 0644 and under umask 0, and leaves nothing else beside it. */
static void test_face_out_private(void **state)
{
	(void)state;
	place("good");
	char dir[300], face[320];
	snprintf(dir, sizeof(dir), "%s/faces", tmp);
	snprintf(face, sizeof(face), "%s/face.jpg", dir);
	assert_int_equal(it_sh("rm -rf %s && mkdir %s && echo old >%s && chmod 644 %s", dir, dir, face, face), 0);
	int code = it_sh("umask 0 && %s passport read --wait 5 --mrz '%s' --trust %s/trust --face-out %s >/dev/null",
	                 appm, mrz, tmp, face);
	assert_int_equal(code, 0);
	struct stat st;
	assert_int_equal(lstat(face, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	char *jpeg = it_slurp(face);
	assert_true((uint8_t)jpeg[0] == 0xFF && (uint8_t)jpeg[1] == 0xD8);
	free(jpeg);
	assert_int_equal(entries(dir), 1);
}

/* A symbolic link at the --face-out path is refused before the read, and
 * its target is left as it was. */
static void test_face_out_symlink(void **state)
{
	(void)state;
	place("good");
	char dir[300], face[320], target[320];
	snprintf(dir, sizeof(dir), "%s/faces", tmp);
	snprintf(face, sizeof(face), "%s/face.jpg", dir);
	snprintf(target, sizeof(target), "%s/target", tmp);
	assert_int_equal(it_sh("rm -rf %s && mkdir %s && echo keep >%s && ln -s %s %s", dir, dir, target, target, face),
	                 0);
	it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/trust --face-out %s", mrz, tmp, face);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "is a symbolic link"));
	it_result_free(&r);
	char *kept = it_slurp(target);
	assert_string_equal(kept, "keep\n");
	free(kept);
	struct stat st;
	assert_int_equal(lstat(face, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(entries(dir), 1);
}

/* A document that fails passive authentication (exit 7) gives no face,
 * and no temporary file is left. */
static void test_face_out_not_when_verification_fails(void **state)
{
	(void)state;
	place("tampered");
	char dir[300], face[320];
	snprintf(dir, sizeof(dir), "%s/faces", tmp);
	snprintf(face, sizeof(face), "%s/face.jpg", dir);
	assert_int_equal(it_sh("rm -rf %s && mkdir %s", dir, dir), 0);
	it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/trust --face-out %s", mrz, tmp, face);
	assert_int_equal(r.code, 7);
	it_result_free(&r);
	assert_int_not_equal(access(face, F_OK), 0);
	assert_int_equal(entries(dir), 0);
}

/* A --face-out that cannot be written is refused before any reader is
 * used: exit 2 at once, although no document is there to wait for. */
static void test_face_out_unwritable_before_read(void **state)
{
	(void)state;
	take_away();
	for (int i = 0; i < 2; i++) {
		char face[320];
		if (i == 0)
			snprintf(face, sizeof(face), "%s/no-such-dir/face.jpg", tmp);
		else
			snprintf(face, sizeof(face), "%s/trust", tmp);   /* a directory */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/trust --face-out %s", mrz, tmp, face);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(r.code, 2);
		if (!strstr(r.err, "--face-out"))
			fail_msg("expected a message on --face-out, got: %s", r.err);
		it_result_free(&r);
		/* --wait 5 with no document would take 5 s and end in exit 4. */
		assert_true(t1.tv_sec - t0.tv_sec < 3);
	}
}

static void set_option(const char *option)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "set %s", option);
	ctl_cmd(cmd);
}

static char *chip_status(void)
{
	return it_capture("%s ctl %s status", vpass, ctl);
}

static void test_case(void **state)
{
	const it_case *c = *state;
	char trust[300];
	snprintf(trust, sizeof(trust), "--trust %s/trust", tmp);
	/* A case that takes the chip out of the field leaves none to read:
	 * the next case places its document afresh, whatever happens here. */
	if (c->code == 5)
		placed[0] = '\0';
	it_run_case(&run, tmp, c, place_case, set_option, chip_status, trust);
	if (c->code == 5)
		placed[0] = '\0';
}

/* ---- issue 14: faults of the chip, the reader and pcscd ------------------------- */

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The typical document's MRZ (PACE, chip authentication, a 20 KB DG2). */
static char typical_mrz[100];

static void place_typical(void)
{
	place("typical");
	if (!typical_mrz[0])
		it_read_mrz(tmp, "typical", typical_mrz, sizeof(typical_mrz));
}

/* `appm passport read` of the typical document in the background, its
 * output in TMP/TAG.out and TAG.err: appm's own pid. */
__attribute__((format(printf, 2, 3))) static pid_t spawn_read(const char *tag, const char *fmt, ...)
{
	char args[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "exec %s passport read --wait 5 --mrz '%s' --trust %s/trust %s >%s/%s.out 2>%s/%s.err",
	         appm, typical_mrz, tmp, args, tmp, tag, tmp, tag);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

/* Its exit code (128 + signal when killed). */
static int wait_read(pid_t pid)
{
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *read_err(const char *tag)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/%s.err", tmp, tag);
	return it_slurp(p);
}

/* Wait (at most 20 s) until the virtual passport holds a command it does
 * not answer. */
static void wait_frozen(void)
{
	for (int i = 0; i < 200; i++) {
		if (it_sh("%s ctl %s status | grep -q frozen=yes", vpass, ctl) == 0)
			return;
		usleep(100000);
	}
	fail_msg("the chip never froze");
}

/* How many APDUs a whole read of the typical document takes, from its
 * report. */
static long typical_apdus(void)
{
	place_typical();
	it_result r = it_appm_read(&run, "--json --mrz '%s' --trust %s/trust", typical_mrz, tmp);
	if (r.code != 0)
		fail_msg("the typical document does not read: %s", r.err);
	json_t *j = it_parse_json(r.out);
	long n = (long)json_integer_value(it_jget(j, "reading.apdus"));
	json_decref(j);
	it_result_free(&r);
	assert_true(n > 10);
	return n;
}

/* Defect 2: the chip freezes after N commands, in turn during PACE, chip
 * authentication (its GENERAL AUTHENTICATE, then its probe) and the
 * extended read of DG2 (the typical read's commands: hal/passport/reader.c).
 * The read ends with exit 12
 * and the applicant's sentence within the deadline (1 s here) and the
 * exchange's transfer allowance (6.6 s for an extended read's 64 KB at
 * 106 kbit/s), with a generous bound: 4 x deadline + 8 s. Meanwhile the
 * simulator still answers its control socket and `appm passport readers`
 * still lists the reader; woken up, the chip reads again. */
static void test_frozen_chip(void **state)
{
	(void)state;
	static const unsigned long after[] = { 2, 5, 12, 13, 15 };
	place_typical();
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		char set[64];
		snprintf(set, sizeof(set), "set freeze-after %lu", after[i]);
		ctl_cmd(set);
		double start = seconds_now();
		pid_t pid = spawn_read("frozen", "--deadline 1");
		wait_frozen();
		assert_int_equal(it_sh("%s ctl %s status >/dev/null", vpass, ctl), 0);
		assert_int_equal(it_sh("%s passport readers | grep -q 'document present'", appm), 0);
		int code = wait_read(pid);
		double took = seconds_now() - start;
		char *err = read_err("frozen");
		it_check_frozen_read(&run, after[i], code, err, took, set_option, "--mrz '%s' --trust %s/trust",
		                     typical_mrz, tmp);
		free(err);
	}
}

/* Defect 3: two reads of one document at once, started together and
 * each a little after the other (during access control, during the data
 * groups), with the radio-link model on and a slow chip so that they
 * overlap. Each ends
 * verified (0) or "the reader is busy" (13), never a wrong MRZ, a removal,
 * a link failure or a cloned chip, and one at least is verified. */
static void test_two_reads(void **state)
{
	(void)state;
	place_typical();
	/* 50 ms a command: a read takes about 2 s, longer than a second
	 * reader waits for a busy one (1 s), so both outcomes occur. */
	ctl_cmd("set link-model on");
	ctl_cmd("set chip-latency 50000");
	static const unsigned delay_ms[] = { 0, 150, 400, 0, 150, 400 };
	for (size_t i = 0; i < sizeof(delay_ms) / sizeof(delay_ms[0]); i++) {
		pid_t first = spawn_read("first", "%s", "");
		usleep(delay_ms[i] * 1000);
		pid_t second = spawn_read("second", "%s", "");
		usleep(100000);
		/* Listing the readers watches the reader without taking it. */
		assert_int_equal(it_sh("%s passport readers | grep -q 'document present'", appm), 0);
		int c1 = wait_read(first), c2 = wait_read(second);
		char *e1 = read_err("first"), *e2 = read_err("second");
		print_message("second read %u ms later: exits %d and %d\n", delay_ms[i], c1, c2);
		if ((c1 != 0 && c1 != 13) || (c2 != 0 && c2 != 13) || (c1 != 0 && c2 != 0))
			fail_msg("two reads %u ms apart: exits %d (%s) and %d (%s)", delay_ms[i], c1, e1, c2, e2);
		if (c1 == 13 && !strstr(e1, "the reader is busy"))
			fail_msg("busy without saying so: %s", e1);
		if (c2 == 13 && !strstr(e2, "the reader is busy"))
			fail_msg("busy without saying so: %s", e2);
		free(e1);
		free(e2);
	}
	ctl_cmd("set chip-latency 10000"); /* the model's default again */
}

/* Defect 4a: the document taken away after each command of a PACE + CA
 * read in turn (chip authentication included, where pcscd hands back an
 * empty answer as success): always exit 5, the applicant's sentence; when
 * every command was answered, the read passes. */
static void test_removed_at_every_command(void **state)
{
	(void)state;
	long total = typical_apdus();
	print_message("a typical read takes %ld commands\n", total);
	double start = seconds_now();
	for (long n = 1; n <= total; n++) {
		place_typical();
		char set[64];
		snprintf(set, sizeof(set), "set remove-after %ld", n);
		ctl_cmd(set);
		it_result r = it_appm_read(&run, "--mrz '%s' --trust %s/trust", typical_mrz, tmp);
		int want = n < total ? 5 : 0;
		if (r.code != want || (want == 5 && !strstr(r.err, "the document was removed while reading; place it again")))
			fail_msg("removed after %ld of %ld commands: exit %d, expected %d: %s", n, total, r.code, want, r.err);
		it_result_free(&r);
	}
	print_message("%ld removals in %.1f s\n", total, seconds_now() - start);
}

/* Defect 4c: a read killed (SIGKILL) while each command in turn is in
 * pcscd's hands (the chip holds it, frozen). The next read starts at once,
 * while pcscd still waits on the killed one's command; then the chip
 * answers that command, for nobody, and pcscd cleans up after the killed
 * read (powering the card down after its grace period). The next read
 * must pass. */
static void test_killed_read(void **state)
{
	(void)state;
	long total = typical_apdus();
	/* A slow chip, so that the next read is still running when pcscd's
	 * clean-up and its power-down poll (up to 0.8 s) come. */
	ctl_cmd("set link-model on");
	ctl_cmd("set chip-latency 30000");
	double start = seconds_now();
	for (long n = 1; n < total; n++) {
		char set[64];
		snprintf(set, sizeof(set), "set freeze-after %ld", n);
		ctl_cmd(set);
		pid_t pid = spawn_read("killed", "%s", "");
		wait_frozen();
		kill(pid, SIGKILL);
		assert_int_equal(wait_read(pid), 128 + SIGKILL);
		pid_t next = spawn_read("next", "%s", "");
		usleep(300000);
		ctl_cmd("set freeze-after off");
		int code = wait_read(next);
		if (code != 0) {
			char *err = read_err("next");
			fail_msg("the read after one killed at command %ld: exit %d: %s", n + 1, code, err);
		}
	}
	print_message("%ld killed reads in %.1f s\n", total - 1, seconds_now() - start);
	ctl_cmd("set chip-latency 10000");
}

/* Start pcscd again after a test killed it, with the sandbox's reader:
 * the new pcscd's pid. */
static pid_t restart_pcscd(void)
{
	pid_t pid = it_start_pcscd(tmp, NULL);
	wait_reader(true);
	return pid;
}

/* Defect 4b: pcscd killed while each command in turn is in its hands:
 * exit 3, "the smart-card service (pcscd) stopped", never a removal. */
static void test_pcscd_killed(void **state)
{
	(void)state;
	long total = typical_apdus();
	double start = seconds_now();
	pid_t pcscd = (pid_t)atol(getenv("APPM_PCSCD_PID") ? getenv("APPM_PCSCD_PID") : "0");
	assert_true(pcscd > 0);
	for (long n = 1; n < total; n++) {
		char set[64];
		snprintf(set, sizeof(set), "set freeze-after %ld", n);
		ctl_cmd(set);
		pid_t pid = spawn_read("service", "%s", "");
		wait_frozen();
		assert_int_equal(kill(pcscd, SIGKILL), 0);
		int code = wait_read(pid);
		char *err = read_err("service");
		if (code != 3 || !strstr(err, "the smart-card service (pcscd) stopped during the read"))
			fail_msg("pcscd killed at command %ld: exit %d: %s", n + 1, code, err);
		free(err);
		ctl_cmd("set freeze-after off");
		waitpid(pcscd, NULL, WNOHANG); /* ours after the first restart */
		pcscd = restart_pcscd();
	}
	print_message("%ld pcscd kills in %.1f s\n", total - 1, seconds_now() - start);
}

int main(int argc, char **argv)
{
	group = argc > 1 ? argv[1] : NULL;
	if (argc > 2 || (group && strcmp(group, "basic") != 0 && !it_group_known(group) && !is_fault_group(group))) {
		fprintf(stderr, "usage: test_pcsc [basic | CASE-GROUP (" IT_GROUPS ") | freeze | removal | killed | "
		                "service]\n");
		return 2;
	}
	if (is_fault_group(group)) {
		const struct CMUnitTest freeze[] = {
			cmocka_unit_test(test_frozen_chip),
			cmocka_unit_test(test_two_reads),
		};
		const struct CMUnitTest removal[] = { cmocka_unit_test(test_removed_at_every_command) };
		const struct CMUnitTest killed[] = { cmocka_unit_test(test_killed_read) };
		const struct CMUnitTest service[] = { cmocka_unit_test(test_pcscd_killed) };
		if (strcmp(group, "freeze") == 0)
			return cmocka_run_group_tests_name("pcsc freeze", freeze, setup, teardown);
		if (strcmp(group, "removal") == 0)
			return cmocka_run_group_tests_name("pcsc removal", removal, setup, teardown);
		if (strcmp(group, "killed") == 0)
			return cmocka_run_group_tests_name("pcsc killed", killed, setup, teardown);
		return cmocka_run_group_tests_name("pcsc service", service, setup, teardown);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_and_verify),
		cmocka_unit_test(test_summary_and_parts),
		cmocka_unit_test(test_wrong_mrz),
		cmocka_unit_test(test_no_document),
		cmocka_unit_test(test_removed_while_reading),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_sim_reader),
		cmocka_unit_test(test_failed_read_reports_what_it_did),
		cmocka_unit_test(test_unknown_csca),
		cmocka_unit_test(test_tampered_dg),
		cmocka_unit_test(test_expired_ds),
		cmocka_unit_test(test_revoked_ds),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_dg2),
		cmocka_unit_test(test_short_only_chip),
		cmocka_unit_test(test_wrong_mac_refused),
		cmocka_unit_test(test_no_trust_store_is_not_a_pass),
		cmocka_unit_test(test_impossible_dates),
		cmocka_unit_test(test_trust_fifo),
		cmocka_unit_test(test_long_reader_echoed_short),
		cmocka_unit_test(test_face_out_private),
		cmocka_unit_test(test_face_out_symlink),
		cmocka_unit_test(test_face_out_not_when_verification_fails),
		cmocka_unit_test(test_face_out_unwritable_before_read),
	};
	/* Then the document cases both transports run (harness.c). */
	return it_run_suite("pcsc", group, tests, sizeof(tests) / sizeof(tests[0]), test_case,
	                    setup, teardown);
}
