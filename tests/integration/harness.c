/*
 * harness — the shared helpers of the end-to-end tests: shell commands,
 * files, `appm passport read` runs, JSON report paths and appm-docgen
 * documents. See harness.h.
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

char *it_capture(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	size_t cap = 4096, n = 0;
	char *out = calloc(1, cap);
	assert_non_null(out);
	FILE *p = popen(cmd, "r");
	if (!p)
		return out;
	size_t got;
	while (n + 1 < cap && (got = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += got;
	pclose(p);
	out[n] = '\0';
	return out;
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

void it_check_frozen_read(const it_appm *a, unsigned long after, int code, const char *err, double took,
                          void (*set)(const char *option), const char *fmt, ...)
{
	print_message("frozen after %lu commands: exit %d after %.2f s: %s", after, code, took, err);
	if (code != 12 || !strstr(err, "the document stopped answering; remove it and place it again"))
		fail_msg("frozen after %lu commands: exit %d: %s", after, code, err);
	if (took >= 4 * 1.0 + 8.0)
		fail_msg("frozen after %lu commands: the read took %.1f s", after, took);
	set("freeze-after off");
	char args[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	it_result r = it_appm_read(a, "%s", args);
	if (r.code != 0)
		fail_msg("the read after a freeze: exit %d: %s", r.code, r.err);
	it_result_free(&r);
}

void it_check_watch_output(const char *path)
{
	char *text = it_slurp(path);
	const char *placed_at = strstr(text, "document placed");
	const char *removed_at = strstr(text, "document removed");
	if (!placed_at || !removed_at || removed_at < placed_at)
		fail_msg("appm passport watch printed: %s", text);
	free(text);
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
		cur = json_is_array(cur) ? json_array_get(cur, strtoul(k, NULL, 10)) : json_object_get(cur, k);
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

/* --- Document cases both transports run --- */

const char *const it_chip_defaults[] = {
	"remove-after 0",    "fail-reads 0",     "corrupt-mac off",   "short-only off",   "refuse-bac 0",
	"aa-wrong-key off",  "ca-wrong-key off", "card-access any",   "timeout-above off", "link-model off",
	"cam-attack off",    "drop-sm off",      "plain-errors off",  "plain-after-drop off", "sfi-refuse off",
	"sfi-only all",      NULL,
};

/* The rows. Documents are made once per run (it_make_case_docs); rows that
 * differ only in the chip's behaviour read the same document, and rows on
 * one document sit together, so that test_pcsc need not wait for pcscd to
 * see a document leave and another arrive. */
const it_case it_cases[] = {
	/* ---- access: BAC, PACE, the fallback between them, EF.CardAccess ---- */
	{ .group = "access", .doc = "case-bac", .profile = "bac", .persona = "lestari", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "BAC" },
	            { "protocols.access_control.cipher", "3DES" },
	            { "protocols.card_access.present", "false" },
	            { "protocols.chip_authentication.result", "not supported" } } },
	/* PACE is tried first when EF.CardAccess offers it, even though the
	 * chip would take BAC as well. */
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.oid", "0.4.0.127.0.7.2.2.4.2.2" },
	            { "protocols.access_control.mapping", "GM" },
	            { "protocols.access_control.agreement", "ECDH" },
	            { "protocols.access_control.domain", "brainpoolP256r1" },
	            { "protocols.access_control.parameter_id", "13" },
	            { "protocols.access_control.cipher", "AES-128" },
	            { "protocols.access_control.fallback_reason", "null" } } },
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6A88" }, .key = IT_KEY_CAN, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.secret", "CAN" },
	            { "protocols.access_control.mapping", "GM" },
	            { "protocols.access_control.cipher", "AES-128" },
	            { "protocols.card_access.selection", "SELECT P1 02 P2 0C" } } },
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6982", "card-access sfi" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.secret", "MRZ" },
	            { "protocols.card_access.selection", "READ BINARY SFI 1C" } } },
	/* EF.CardAccess reachable by one selection variant only, on a chip
	 * that refuses BAC: missing it would leave no way in. */
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6A88", "card-access le" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.card_access.present", "true" },
	            { "protocols.card_access.selection", "SELECT P1 02 P2 04 Le 00" } } },
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6A88", "card-access mf" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.card_access.present", "true" },
	            { "protocols.card_access.selection", "SELECT P1 00 P2 0C" } } },
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6A88" }, .key = IT_KEY_WRONG_MRZ, .code = 6, .message = "access control failed" },
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .key = IT_KEY_MRZ_WRONG_CAN, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.secret", "MRZ" } } },
	/* The chip leaves the field in the middle of PACE (after MSE:Set AT
	 * and the first General Authenticate): a removal, not a wrong MRZ.
	 * Last on its document: the chip is gone afterwards. */
	{ .group = "access", .doc = "case-pace-only", .profile = "pace", .persona = "lestari",
	  .chip = { "refuse-bac 6A88", "remove-after 5" }, .key = IT_KEY_MRZ, .code = 5,
	  .message = "the document was removed while reading; place it again" },
	/* A chip that has blocked BAC (6983): not "check the MRZ", which
	 * retyping cannot fix, but its own exit code and an officer. */
	{ .group = "access", .doc = "case-bac", .profile = "bac", .persona = "lestari",
	  .chip = { "refuse-bac 6983" }, .key = IT_KEY_MRZ, .code = 14,
	  .message = "the chip has blocked access with this key; retyping cannot fix it" },
	{ .group = "access", .doc = "case-pace-dh", .profile = "pace-dh", .persona = "lestari",
	  .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.oid", "0.4.0.127.0.7.2.2.4.1.1" },
	            { "protocols.access_control.mapping", "GM" },
	            { "protocols.access_control.agreement", "DH" },
	            { "protocols.access_control.domain", "MODP-1024-160" },
	            { "protocols.access_control.parameter_id", "0" },
	            { "protocols.access_control.cipher", "3DES" },
	            { "protocols.chip_authentication.method", "CA" },
	            { "protocols.chip_authentication.result", "passed" } } },

	/* ---- auth: chip and active authentication, cloned chips ---- */
	{ .group = "auth", .doc = "case-ca", .profile = "ca", .persona = "hartono", .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.chip_authentication.method", "CA" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "protocols.active_authentication.result", "not run" } } },
	{ .group = "auth", .doc = "case-ca", .profile = "ca", .persona = "hartono", .chip = { "ca-wrong-key on" },
	  .key = IT_KEY_MRZ, .code = 11, .message = "possible cloned chip: chip authentication failed" },
	/* Chip authentication with DG14's DH key (id-CA-DH-3DES-CBC-CBC on the
	 * 1024-bit MODP group): a cloned DH chip is caught too. */
	{ .group = "auth", .doc = "case-pace-dh", .profile = "pace-dh", .persona = "lestari",
	  .chip = { "ca-wrong-key on" }, .key = IT_KEY_MRZ, .code = 11,
	  .message = "possible cloned chip: chip authentication failed" },
	{ .group = "auth", .doc = "case-pace-cam", .profile = "pace-cam", .persona = "hartono", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.access_control.mapping", "CAM" },
	            { "protocols.access_control.cipher", "AES-128" },
	            { "protocols.chip_authentication.method", "PACE-CAM" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "protocols.active_authentication.result", "not run" },
	            /* DG14, in DER order: the CA info, the CAM PACEInfo, the CA key. */
	            { "security_infos.0.protocol", "CA" },
	            { "security_infos.1.protocol", "PACE-CAM" },
	            { "security_infos.1.name", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128" },
	            { "security_infos.1.kind", "PACEInfo" } } },
	{ .group = "auth", .doc = "case-pace-cam", .profile = "pace-cam", .persona = "hartono",
	  .chip = { "ca-wrong-key on" }, .key = IT_KEY_MRZ, .code = 11,
	  .message = "possible cloned chip: PACE chip authentication mapping failed" },
	/* PACE fails on the reader's side (the chip's mapping key is the
	 * point at infinity): BAC after a fresh selection, then chip
	 * authentication proves the chip. */
	{ .group = "auth", .doc = "case-pace-cam", .profile = "pace-cam", .persona = "hartono",
	  .chip = { "cam-attack infinity" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "BAC" },
	            { "protocols.chip_authentication.method", "CA" },
	            { "protocols.chip_authentication.result", "passed" } } },
	/* Chip authentication mapping data that decrypts to nothing: a clone
	 * at once, with no fall back to BAC. */
	{ .group = "auth", .doc = "case-pace-cam", .profile = "pace-cam", .persona = "hartono",
	  .chip = { "cam-attack empty-ca" }, .key = IT_KEY_MRZ, .code = 11, .message = "possible cloned chip" },
	{ .group = "auth", .doc = "case-aa", .profile = "aa-rsa", .persona = "hartono", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "BAC" },
	            { "protocols.active_authentication.result", "passed" } } },
	{ .group = "auth", .doc = "case-aa", .profile = "aa-rsa", .persona = "hartono", .chip = { "aa-wrong-key on" },
	  .key = IT_KEY_MRZ, .code = 11, .message = "possible cloned chip: the active authentication signature" },
	{ .group = "auth", .doc = "case-aa-ecdsa", .profile = "aa-ecdsa", .persona = "hartono", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "BAC" },
	            { "protocols.active_authentication.algorithm", "ECDSA prime256v1" },
	            { "protocols.active_authentication.hash", "SHA-256" },
	            { "protocols.active_authentication.result", "passed" },
	            { "active_authentication_key.type", "EC" } } },
	{ .group = "auth", .doc = "case-aa-ecdsa", .profile = "aa-ecdsa", .persona = "hartono",
	  .chip = { "aa-wrong-key on" }, .key = IT_KEY_MRZ, .code = 11,
	  .message = "possible cloned chip: the active authentication signature did not verify" },

	/* ---- reading: large files, the typical document, link faults ---- */
	{ .group = "reading", .doc = "case-large-dg2", .profile = "large-dg2", .persona = "lestari",
	  .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "face.format", "JP2" },
	            { "face.width", "240" },
	            { "face.height", "320" },
	            { "face.bytes", ">28000" },
	            { "reading.timeouts", "0" } } },
	/* Transient errors (6F00) in the middle of a 30 KB read: retried from
	 * the same offset. */
	{ .group = "reading", .doc = "case-large-dg2", .profile = "large-dg2", .persona = "lestari",
	  .chip = { "fail-reads 3" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.retried_reads", "3" }, { "face.format", "JP2" } } },
	/* Answers to large reads lost: read smaller from the same offset.
	 * That starts with EF.CardAccess, read in the clear with Le 256: on
	 * this BAC document the answer lost is the 6A82 to READ BINARY SFI
	 * 1C, which asked again for less says there is no such file. libnfc
	 * only: vpcd cannot say "no answer", so through pcscd appm-vpass
	 * makes a lost answer a removal (devices/vpassd). */
	{ .group = "reading", .doc = "case-large-dg2", .profile = "large-dg2", .persona = "lestari",
	  .chip = { "timeout-above 128" }, .key = IT_KEY_MRZ, .code = 0, .only = "nfc",
	  .json = { { "reading.read_size_reductions", ">0" },
	            { "reading.timeouts", ">0" },
	            { "protocols.card_access.present", "false" },
	            { "protocols.access_control.protocol", "BAC" },
	            { "face.format", "JP2" } } },
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono", .key = IT_KEY_MRZ,
	  .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.chip_authentication.method", "CA" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "protocols.active_authentication.result", "not run" },
	            { "active_authentication_key.type", "RSA" },
	            { "face.bytes", ">19000" },
	            { "reading.files_by", "SFI" },
	            { "reading.sfi_refused", "null" } } },
	/* A chip that will not read a file named by its short identifier,
	 * with each status chips refuse it with: the first READ BINARY by
	 * SFI is refused, and every file is selected from then on. */
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "sfi-refuse 6A81" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.files_by", "SELECT" },
	            { "reading.sfi_refused", "6A81" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "face.bytes", ">19000" } } },
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "sfi-refuse 6D00" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.files_by", "SELECT" }, { "reading.sfi_refused", "6D00" }, { "face.bytes", ">19000" } } },
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "sfi-refuse 6986" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.files_by", "SELECT" }, { "reading.sfi_refused", "6986" }, { "face.bytes", ">19000" } } },
	/* Short identifiers for EF.COM and EF.SOD only: DG14 by SFI is
	 * "file not found", its SELECT finds it, and the data groups are
	 * selected from then on. */
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "sfi-only com,sod" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.files_by", "SELECT" },
	            { "reading.sfi_refused", "6A82" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "face.bytes", ">19000" } } },
	/* The radio link modelled at its defaults (848 kbit/s, 256-byte
	 * frames, 10 ms per command): slower, nothing else changes. No time
	 * is checked: CI machines differ. */
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "link-model on" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.access_control.protocol", "PACE" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "reading.timeouts", "0" },
	            { "reading.retried_reads", "0" } } },
	/* Transient errors on a PACE document must not cost it PACE: the five
	 * 6F00s all fall on EF.CardAccess's READ BINARY, which is asked again
	 * rather than taken for "not here". */
	{ .group = "reading", .doc = "case-typical", .profile = "typical", .persona = "hartono",
	  .chip = { "fail-reads 5" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "protocols.card_access.present", "true" },
	            { "protocols.access_control.protocol", "PACE" },
	            { "reading.retried_reads", ">0" } } },

	/* ---- sm: chips that end secure messaging in the middle of a read ---- */
	/* The chip answers a protected command in the clear, ending the
	 * session, with each status chips use for it: the session is set up
	 * again (BAC again) and the read goes on, nothing in the clear (every
	 * case checks the chip's count of plain commands), on a chip that
	 * refuses plain reads afterwards and on a lax one that would answer. */
	{ .group = "sm", .doc = "case-sm-aa", .profile = "aa-rsa", .persona = "hartono",
	  .chip = { "drop-sm 6987", "drop-sm-at 6" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", "1" },
	            { "reading.sessions_reestablished", "1" },
	            { "protocols.active_authentication.result", "passed" } } },
	{ .group = "sm", .doc = "case-sm-aa", .profile = "aa-rsa", .persona = "hartono",
	  .chip = { "drop-sm 6988", "drop-sm-at 5", "plain-after-drop on" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", "1" },
	            { "reading.sessions_reestablished", "1" },
	            { "protocols.active_authentication.result", "passed" } } },
	{ .group = "sm", .doc = "case-sm-aa", .profile = "aa-rsa", .persona = "hartono",
	  .chip = { "drop-sm 6700", "drop-sm-at 4", "plain-after-drop on" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", "1" },
	            { "reading.sessions_reestablished", "1" } } },
	{ .group = "sm", .doc = "case-sm-aa", .profile = "aa-rsa", .persona = "hartono",
	  .chip = { "drop-sm 6A82", "drop-sm-at 7" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", "1" },
	            { "reading.sessions_reestablished", "1" } } },
	/* A chip that sends its errors in the clear: 6A82 to the READ BINARY
	 * naming DG11 by its short identifier and to its SELECT (DG11 is
	 * listed in EF.COM but not on the chip). After it the rest is read,
	 * still by SFI, under PACE and CA set up again. */
	{ .group = "sm", .doc = "case-sm-absent", .profile = "ca", .doc_options = "--absent-dg 11",
	  .persona = "lestari", .chip = { "plain-errors on" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", ">0" },
	            { "reading.sessions_reestablished", ">0" },
	            { "protocols.access_control.protocol", "PACE" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "data_groups.listed_absent", "[11]" },
	            { "reading.files_by", "SFI" } } },
	{ .group = "sm", .doc = "case-sm-absent", .profile = "ca", .doc_options = "--absent-dg 11",
	  .persona = "lestari", .chip = { "plain-errors on", "plain-after-drop on" }, .key = IT_KEY_MRZ, .code = 0,
	  .json = { { "reading.secure_messaging_ended", ">0" },
	            { "protocols.chip_authentication.result", "passed" },
	            { "data_groups.listed_absent", "[11]" } } },
};
const size_t it_n_cases = sizeof(it_cases) / sizeof(it_cases[0]);

bool it_group_known(const char *group)
{
	static const char *const groups[] = { "access", "auth", "reading", "sm" };
	if (!group)
		return true;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(group, groups[i]) == 0)
			return true;
	return false;
}

bool it_case_selected(const it_case *c, const char *group, const char *transport)
{
	return (!group || strcmp(c->group, group) == 0) && (!c->only || strcmp(c->only, transport) == 0);
}

int it_make_case_docs(const char *docgen, const char *dir, const char *group)
{
	int rc = 0;
	for (size_t i = 0; i < it_n_cases; i++) {
		if (group && strcmp(it_cases[i].group, group) != 0)
			continue;
		bool made = false;
		for (size_t j = 0; j < i; j++)
			made = made || ((!group || strcmp(it_cases[j].group, group) == 0) &&
			                strcmp(it_cases[j].doc, it_cases[i].doc) == 0);
		if (made)
			continue;
		char options[256];
		snprintf(options, sizeof(options), "--profile %s %s", it_cases[i].profile,
		         it_cases[i].doc_options ? it_cases[i].doc_options : "");
		rc |= it_make_doc(docgen, dir, "pki", it_cases[i].persona, options, it_cases[i].doc);
	}
	return rc;
}

/* key= of DIR/DOC/document.txt into out. */
static void doc_value(const char *dir, const char *doc, const char *key, char *out, size_t cap)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/%s/document.txt", dir, doc);
	char *s = it_slurp(p);
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s=", key);
	size_t klen = strlen(key);
	char *m = NULL;
	if (strncmp(s, key, klen) == 0 && s[klen] == '=')
		m = s + klen + 1; /* the first line */
	else if ((m = strstr(s, pat)) != NULL)
		m += strlen(pat);
	if (!m)
		fail_msg("%s/document.txt has no %s=", doc, key);
	size_t n = strcspn(m, "\r\n");
	assert_true(n < cap);
	memcpy(out, m, n);
	out[n] = '\0';
	free(s);
}

/* Whether the report value v is what want says (see it_case.json); got
 * receives v as text for the message when it is not. */
static bool json_value_matches(json_t *v, const char *want, char *got, size_t cap)
{
	if (!v) {
		snprintf(got, cap, "(missing)");
		return false;
	}
	if (json_is_string(v)) {
		snprintf(got, cap, "\"%s\"", json_string_value(v));
		return strcmp(json_string_value(v), want) == 0;
	}
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(got, cap, "%s", text ? text : "?");
	free(text);
	if (want[0] == '>') {
		char *end;
		long long floor = strtoll(want + 1, &end, 10);
		if (end == want + 1 || *end)
			fail_msg("bad expectation \"%s\" (>N)", want);
		return json_is_integer(v) && json_integer_value(v) > floor;
	}
	return strcmp(got, want) == 0;
}

/* Nothing went to the chip in the clear after access control. */
static void check_no_plaintext(const it_case *c, char *(*status)(void))
{
	char *st = status();
	const char *m = strstr(st, "plain_after_access=");
	if (!m)
		fail_msg("%s: the chip's status has no plain_after_access: %s", c->doc, st);
	if (strtoul(m + strlen("plain_after_access="), NULL, 10) != 0)
		fail_msg("%s (%s): commands went to the chip in the clear after access control: %s", c->doc, c->profile,
		         st);
	free(st);
}

void it_run_case(const it_appm *a, const char *dir, const it_case *c, void (*place)(const char *doc),
                 void (*set)(const char *option), char *(*status)(void), const char *trust_args)
{
	if (c->pending && !getenv("APPM_IT_RUN_PENDING")) {
		print_message("pending, not run: %s\n", c->pending);
		skip();
	}
	place(c->doc);
	for (size_t i = 0; i < 3 && c->chip[i]; i++)
		set(c->chip[i]);
	char mrz[100], can[8], key[200];
	it_read_mrz(dir, c->doc, mrz, sizeof(mrz));
	switch (c->key) {
	case IT_KEY_MRZ:
		snprintf(key, sizeof(key), "--mrz '%s'", mrz);
		break;
	case IT_KEY_CAN:
		doc_value(dir, c->doc, "can", can, sizeof(can));
		snprintf(key, sizeof(key), "--can %s", can);
		break;
	case IT_KEY_WRONG_MRZ: {
		/* The document's number and expiry with another birth date
		 * (appm computes the check digits). */
		char number[16], expiry[8], birth[8];
		doc_value(dir, c->doc, "document_number", number, sizeof(number));
		doc_value(dir, c->doc, "expiry_date", expiry, sizeof(expiry));
		doc_value(dir, c->doc, "birth_date", birth, sizeof(birth));
		snprintf(key, sizeof(key), "--document-number %s --birth-date %s --expiry-date %s", number,
		         strcmp(birth, "010101") ? "010101" : "020202", expiry);
		break;
	}
	case IT_KEY_MRZ_WRONG_CAN:
		doc_value(dir, c->doc, "can", can, sizeof(can));
		snprintf(key, sizeof(key), "--mrz '%s' --can %s", mrz, strcmp(can, "000000") ? "000000" : "111111");
		break;
	}
	it_result r = it_appm_read(a, "--json %s %s", key, trust_args);
	check_no_plaintext(c, status);
	if (r.code != c->code)
		fail_msg("%s (%s): exit code %d, expected %d; stderr: %s", c->doc, c->profile, r.code, c->code, r.err);
	if (c->code != 0) {
		if (!c->message || !strstr(r.err, c->message))
			fail_msg("%s: expected \"%s\" on stderr, got: %s", c->doc, c->message ? c->message : "", r.err);
		it_result_free(&r);
		return;
	}
	json_t *j = it_parse_json(r.out);
	assert_string_equal(it_jstr_or_empty(j, "result"), "verified");
	for (size_t i = 0; i < IT_MAX_EXPECT && c->json[i][0]; i++) {
		char got[256];
		if (!json_value_matches(it_jget(j, c->json[i][0]), c->json[i][1], got, sizeof(got)))
			fail_msg("%s: %s is %s, expected %s", c->doc, c->json[i][0], got, c->json[i][1]);
	}
	json_decref(j);
	it_result_free(&r);
}

bool it_group_runs_basic(const char *group)
{
	return !group || strcmp(group, "basic") == 0;
}

bool it_group_runs_cases(const char *group)
{
	return !group || strcmp(group, "basic") != 0;
}

int it_run_suite(const char *transport, const char *group, const struct CMUnitTest *basic, size_t n_basic,
                 CMUnitTestFunction case_test, CMFixtureFunction setup, CMFixtureFunction teardown)
{
	bool with_basic = it_group_runs_basic(group), with_cases = it_group_runs_cases(group);
	struct CMUnitTest *all = calloc(n_basic + IT_MAX_CASES, sizeof(*all));
	static char names[IT_MAX_CASES][160];
	if (!all)
		return -1;
	size_t n = 0;
	if (with_basic) {
		memcpy(all, basic, n_basic * sizeof(*basic));
		n = n_basic;
	}
	for (size_t i = 0, k = 0; with_cases && i < it_n_cases && k < IT_MAX_CASES; i++) {
		if (!it_case_selected(&it_cases[i], group, transport))
			continue;
		snprintf(names[k], sizeof(names[k]), "case %zu: %s (%s)", i + 1, it_cases[i].doc, it_cases[i].profile);
		all[n++] = (struct CMUnitTest){ .name = names[k], .test_func = case_test,
			                        .initial_state = (void *)&it_cases[i] };
		k++;
	}
	char name[64];
	snprintf(name, sizeof(name), "%s %s", transport, group ? group : "all");
	int rc = _cmocka_run_group_tests(name, all, n, setup, teardown);
	free(all);
	return rc;
}

/* --- Simulated devices and the sandbox's pcscd --- */

pid_t it_start_vpass(const char *vpass, const char *doc, const char *ctl)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (doc)
			execl(vpass, vpass, "--doc", doc, "--control", ctl, (char *)NULL);
		else
			execl(vpass, vpass, "--absent", "--control", ctl, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50 && access(ctl, F_OK) != 0; i++)
		usleep(100000);
	return access(ctl, F_OK) == 0 ? pid : -1;
}

pid_t it_start_pcscd(const char *dir, const char *conf)
{
	const char *log = getenv("APPM_PCSCD_LOG");
	if (!conf)
		conf = getenv("APPM_PCSCD_CONF");
	assert_non_null(conf);
	assert_int_equal(it_sh("rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid; "
	                       "pcscd --foreground --debug --apdu --config %s >>%s 2>&1 & echo $! >%s/pcscd.pid",
	                       conf, log ? log : "/dev/null", dir),
	                 0);
	char p[300];
	snprintf(p, sizeof p, "%s/pcscd.pid", dir);
	char *text = it_slurp(p);
	pid_t pid = (pid_t)atol(text);
	free(text);
	assert_true(pid > 0);
	for (int i = 0; i < 50 && it_sh("test -S /run/pcscd/pcscd.comm") != 0; i++)
		usleep(100000);
	return pid;
}

/* --- Logs and processes --- */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int it_count_in_file(const char *path, const char *text)
{
	char *l = it_slurp(path);
	int n = 0;
	for (const char *p = strstr(l, text); p; p = strstr(p + 1, text))
		n++;
	free(l);
	return n;
}

void it_wait_in_file(const char *path, const char *text, int before, double seconds)
{
	for (double end = now_seconds() + seconds; now_seconds() < end; usleep(50000))
		if (it_count_in_file(path, text) > before)
			return;
	char *l = it_slurp(path);
	fail_msg("%s never said '%s' (again) within %.0f s:\n%s", path, text, seconds, l);
}

int it_wait_exit(pid_t pid, double seconds)
{
	for (double end = now_seconds() + seconds; now_seconds() < end; usleep(50000)) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("process %d did not exit within %.0f s", (int)pid, seconds);
	return -1;
}

int it_run(const char *dir, char **out, char **err, const char *fmt, ...)
{
	char cmd[2000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = it_sh("%s >%s/run.out 2>%s/run.err", cmd, dir, dir);
	char p[600];
	if (out) {
		snprintf(p, sizeof(p), "%s/run.out", dir);
		*out = it_slurp(p);
	}
	if (err) {
		snprintf(p, sizeof(p), "%s/run.err", dir);
		*err = it_slurp(p);
	}
	return rc;
}

json_t *it_json_at(const char *text, const char *path)
{
	json_t *root = it_parse_json(text);
	json_t *value = json_incref(it_jget(root, path));
	json_decref(root);
	if (!value)
		fail_msg("no %s in %s", path, text);
	return value;
}
