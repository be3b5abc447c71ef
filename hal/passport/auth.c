/*
 * auth — proving the chip genuine: which data groups the SOD covers,
 * chip authentication with DG14's key (PACE-CAM checked, or CA run and the
 * session re-keyed) and active authentication with DG15's key (ICAO 9303
 * part 11, 6). See reader.c for the whole read.
 */
#include "hal/passport/reader-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aa.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "crypto/lds/lds.h"
#include "hal/passport/sw-internal.h"

/* ---- the SOD's hash list ------------------------------------------------------ */

typedef enum sod_match {
	SOD_MATCH,
	SOD_MISMATCH,
	SOD_UNKNOWN,  /* the SOD is missing or unreadable, or does not cover the DG */
} sod_match;

/* Which data groups the SOD covers (passive authentication proper, with the
 * signature and the chain, is the caller's). */
void rd_sod_covered(session *s)
{
	pp_document *doc = s->doc;
	if (!doc->sod.present)
		return;
	pa_report *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	if (pa_verify(NULL, doc->sod.data, doc->sod.len, NULL, 0, time(NULL), r, NULL, 0) == CRYPTO_OK)
		for (size_t i = 0; i < r->n_covered; i++)
			if (r->covered[i] >= 1 && r->covered[i] <= PP_MAX_DG)
				doc->in_sod[r->covered[i]] = true;
	free(r);
}

/* Does DGn as read hash to what the SOD says? Chip and active
 * authentication use a key only from a data group that does. */
static sod_match sod_check(session *s, int dg)
{
	pp_document *doc = s->doc;
	if (!doc->sod.present || !doc->in_sod[dg] || !doc->dg[dg].present)
		return SOD_UNKNOWN;
	pa_report *r = calloc(1, sizeof(*r));
	if (!r)
		return SOD_UNKNOWN;
	pa_dg one = { .number = dg, .data = doc->dg[dg].data, .len = doc->dg[dg].len };
	sod_match m = SOD_UNKNOWN;
	if (pa_verify(NULL, doc->sod.data, doc->sod.len, &one, 1, time(NULL), r, NULL, 0) == CRYPTO_OK &&
	    r->n_dgs == 1)
		m = r->dgs[0].hash.status == PA_PASS ? SOD_MATCH : SOD_MISMATCH;
	free(r);
	return m;
}

static const char *sod_problem(sod_match m, int dg)
{
	(void)dg;
	switch (m) {
	case SOD_MISMATCH: return "does not match its hash in the SOD";
	case SOD_UNKNOWN: return "is not covered by a readable SOD";
	case SOD_MATCH: return "matches the SOD";
	}
	return "";
}

/* Does DG14 list a PACE-CAM PACEInfo? Then the chip does PACE-CAM: the
 * issuer signed that, unlike EF.CardAccess, which a clone can rewrite to
 * leave CAM out. */
static bool dg14_lists_cam(const pp_file *dg14)
{
	secinfo_list list;
	if (secinfo_parse(dg14->data, dg14->len, &list) != CRYPTO_OK)
		return false;
	bool cam = false;
	for (size_t i = 0; i < list.n && !cam; i++) {
		const char *serves = secinfo_oid_protocol(list.entries[i].oid);
		cam = serves && strcmp(serves, "PACE-CAM") == 0;
	}
	secinfo_list_free(&list);
	return cam;
}

/* DG14 has been read: PACE-CAM is checked against it, or CA runs with its
 * key (and re-keys the session). PP_ERR_CHIP_AUTH when the chip fails, and
 * when DG14 (checked against the SOD) says the chip does PACE-CAM but it
 * neither did nor passed chip authentication (a downgrade). */
pp_err rd_chip_authentication(session *s)
{
	pp_document *doc = s->doc;
	pp_chip_auth_report *ca = &doc->chip_auth;
	bool cam = s->pace && pp_pace_is_cam(s->pace);
	if (!doc->dg[14].present && doc->in_sod[14]) {
		/* A clone without the chip's key would rather hide DG14 than
		 * fail chip authentication. */
		ca->result = PP_AUTH_FAILED;
		rd_set_text(ca->detail, sizeof(ca->detail), "the chip withholds DG14, which its EF.SOD covers");
		rd_set_err(s, "possible cloned chip: %s", ca->detail);
		return PP_ERR_CHIP_AUTH;
	}
	if (!doc->dg[14].present) {
		ca->result = PP_AUTH_NOT_SUPPORTED;
		rd_set_text(ca->detail, sizeof(ca->detail), "%s",
		         cam ? "PACE-CAM ran, but the chip has no DG14 to check it against"
		             : "the document has no DG14 (no chip authentication key)");
		return PP_OK;
	}
	sod_match m = sod_check(s, 14);
	if (m != SOD_MATCH) {
		ca->result = PP_AUTH_NOT_RUN;
		rd_set_text(ca->detail, sizeof(ca->detail), "DG14 %s: its key is not trusted", sod_problem(m, 14));
		return PP_OK;
	}
	char why[PP_DETAIL_LEN] = "";
	if (cam) {
		snprintf(ca->method, sizeof(ca->method), "PACE-CAM");
		const pp_protocol_info *info = pp_pace_info(s->pace);
		if (info)
			ca->info = *info;
		pp_err e = rd_verify_cam(s, &doc->dg[14], why, sizeof(why));
		if (e == PP_OK) {
			ca->result = PP_AUTH_PASSED;
			rd_set_text(ca->detail, sizeof(ca->detail),
			         "the chip proved in PACE-CAM that it holds the private key of DG14");
			return PP_OK;
		}
		if (e == PP_ERR_CHIP_AUTH) {
			ca->result = PP_AUTH_FAILED;
			rd_set_text(ca->detail, sizeof(ca->detail), "PACE-CAM: %s", why);
			rd_set_err(s, "possible cloned chip: PACE chip authentication mapping failed: %s", why);
			return e;
		}
		if (e != PP_ERR_NOT_SUPPORTED) {
			rd_set_err(s, "checking PACE-CAM against DG14: %s", why);
			return e;
		}
		/* The CAM data cannot be checked with this DG14: try CA. */
		ca->method[0] = '\0';
		memset(&ca->info, 0, sizeof(ca->info));
	}
	pp_protocol_info info;
	memset(&info, 0, sizeof(info));
	why[0] = '\0';
	pp_err e = pp_ca_run(&s->ch, doc->dg[14].data, doc->dg[14].len, &info, why, sizeof(why));
	if (e == PP_OK) {
		snprintf(ca->method, sizeof(ca->method), "CA");
		ca->info = info;
		/* Passed only once the chip has answered under the new keys:
		 * read_all says so then, rd_exchange and read_all otherwise. A
		 * read that ends before reports it as run, the proof pending. */
		ca->result = PP_AUTH_NOT_RUN;
		rd_set_text(ca->detail, sizeof(ca->detail),
		         "chip authentication ran; the read ended before the chip answered under the new keys");
		s->ca_done = true;
		s->ca_runs = 1;
		s->sm_ended_at_ca = s->ch.sm_ended;
		return PP_OK;
	}
	if ((e == PP_ERR_NOT_SUPPORTED || e == PP_ERR_CRYPTO) && !cam && dg14_lists_cam(&doc->dg[14])) {
		ca->result = PP_AUTH_FAILED;
		rd_set_text(ca->detail, sizeof(ca->detail),
		         "DG14 says the chip supports PACE-CAM but it did not perform it, and chip authentication "
		         "did not pass (%s)",
		         why[0] ? why : pp_strerror(e));
		rd_set_err(s, "possible cloned chip: DG14 says the chip supports PACE-CAM but it did not perform it");
		return PP_ERR_CHIP_AUTH;
	}
	if (e == PP_ERR_NOT_SUPPORTED || e == PP_ERR_CRYPTO) {
		/* Nothing this chip did wrong: DG14 offers no protocol this
		 * reader runs, or this reader could not compute its side. */
		ca->result = PP_AUTH_NOT_SUPPORTED;
		rd_set_text(ca->detail, sizeof(ca->detail), "%s", why[0] ? why : "DG14 offers no supported protocol");
		return PP_OK; /* a session the chip dropped is restored by the next command */
	}
	if (e == PP_ERR_CHIP_AUTH) {
		snprintf(ca->method, sizeof(ca->method), "CA");
		ca->info = info;
		ca->result = PP_AUTH_FAILED;
		rd_set_text(ca->detail, sizeof(ca->detail), "%s", why);
		rd_set_err(s, "possible cloned chip: chip authentication failed: %s", why);
		return e;
	}
	if (!rd_is_removal(e)) {
		if (strncmp(why, "chip authentication", 19) == 0)
			rd_set_err(s, "%s", why);
		else
			rd_set_err(s, "chip authentication: %s", why[0] ? why : pp_strerror(e));
	}
	return e;
}

/* ---- active authentication ------------------------------------------------- */

/* The ECDSA hash DG14's ActiveAuthenticationInfo names, if any. */
static aa_hash dg14_aa_hash(const pp_document *doc)
{
	aa_hash h = AA_HASH_DEFAULT;
	const pp_file *dg14 = &doc->dg[14];
	secinfo_list list;
	if (!dg14->present || secinfo_parse(dg14->data, dg14->len, &list) != CRYPTO_OK)
		return h;
	for (size_t i = 0; i < list.n; i++) {
		const secinfo_entry *e = &list.entries[i];
		if (e->kind == SECINFO_AA && aa_hash_from_dg14_info(dg14->data + e->offset, e->len, &h) == CRYPTO_OK)
			break;
	}
	secinfo_list_free(&list);
	return h;
}

pp_err rd_active_authentication(session *s)
{
	pp_document *doc = s->doc;
	pp_active_auth_report *aa = &doc->active_auth;
	if (doc->chip_auth.result == PP_AUTH_PASSED) {
		aa->result = PP_AUTH_NOT_RUN;
		rd_set_text(aa->detail, sizeof(aa->detail), "%s passed, which ICAO 9303 prefers to active authentication",
		         doc->chip_auth.method);
		return PP_OK;
	}
	if (!doc->dg[15].present && doc->in_sod[15]) {
		aa->result = PP_AUTH_FAILED;
		rd_set_text(aa->detail, sizeof(aa->detail), "the chip withholds DG15, which its EF.SOD covers");
		rd_set_err(s, "possible cloned chip: %s", aa->detail);
		return PP_ERR_CHIP_AUTH;
	}
	if (!doc->dg[15].present) {
		aa->result = PP_AUTH_NOT_SUPPORTED;
		rd_set_text(aa->detail, sizeof(aa->detail), "the document has no DG15 (no active authentication key)");
		return PP_OK;
	}
	sod_match m = sod_check(s, 15);
	if (m != SOD_MATCH) {
		aa->result = PP_AUTH_NOT_RUN;
		rd_set_text(aa->detail, sizeof(aa->detail), "DG15 %s: its key is not trusted", sod_problem(m, 15));
		return PP_OK;
	}
	lds_dg15 *dg15 = NULL;
	if (lds_dg15_parse(doc->dg[15].data, doc->dg[15].len, &dg15) != LDS_OK) {
		aa->result = PP_AUTH_NOT_RUN;
		rd_set_text(aa->detail, sizeof(aa->detail), "DG15 cannot be parsed");
		return PP_OK;
	}
	pp_err e = PP_OK;
	aa_key_info key;
	crypto_err ce = aa_key_describe(dg15->der, dg15->der_len, &key);
	if (ce != CRYPTO_OK) {
		aa->result = ce == CRYPTO_ERR_UNSUPPORTED ? PP_AUTH_NOT_SUPPORTED : PP_AUTH_NOT_RUN;
		rd_set_text(aa->detail, sizeof(aa->detail), "the DG15 key is %s",
		         ce == CRYPTO_ERR_UNSUPPORTED ? "of a kind this reader does not verify" : "malformed");
		goto out;
	}
	if (key.type == AA_KEY_RSA)
		rd_set_text(aa->algorithm, sizeof(aa->algorithm), "RSA-%d, ISO/IEC 9796-2 scheme 1", key.bits);
	else
		rd_set_text(aa->algorithm, sizeof(aa->algorithm), "ECDSA %s", key.curve);
	aa_hash hash = key.type == AA_KEY_EC ? dg14_aa_hash(doc) : AA_HASH_DEFAULT;
	uint8_t challenge[AA_CHALLENGE_LEN];
	crypto_buf sig = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	int lost = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		/* A fresh challenge each time: an answer is never reused. */
		if (aa_challenge(challenge) != CRYPTO_OK) {
			e = PP_ERR_CRYPTO;
			rd_set_err(s, "active authentication: no random challenge");
			goto out;
		}
		crypto_apdu cmd;
		aa_command(challenge, key.sig_len, &cmd);
		if (cmd.le > APDU_MAX_SHORT_LE && !s->extended_ok) {
			/* A short-only reader or chip: ask for 256 bytes; the
			 * chip sends the rest of a longer answer with 61XX. */
			cmd.le = APDU_MAX_SHORT_LE;
			cmd.extended = false;
		}
		sig.len = 0;
		e = rd_exchange(s, &cmd, &sig, &sw);
		if (e == PP_OK && sw == SW_WRONG_LENGTH && cmd.le > APDU_MAX_SHORT_LE && attempt < 2) {
			/* Extended length refused: ask again with a short Le, and
			 * take the signature in 61XX pieces. */
			s->extended_ok = false;
			s->doc->short_fallbacks++;
			continue;
		}
		if (!rd_is_lost(e) || lost++ == 1)
			break;
		/* The answer was lost (once is retried): the session is out of step. */
		s->doc->timeouts++;
		rd_session_out_of_step(s);
	}
	if (e != PP_OK) {
		buf_free(&sig);
		if (!rd_is_removal(e))
			rd_set_err(s, "active authentication (INTERNAL AUTHENTICATE): %s", pp_strerror(e));
		goto out;
	}
	if (sw != SW_OK) {
		buf_free(&sig);
		char text[PP_SW_TEXT_LEN];
		if (sw == SW_WRONG_LENGTH || (sw >> 8) == 0x6C) {
			/* Not the chip's key at fault: its answer does not fit. */
			rd_status_error(s, sw, "active authentication: the chip cannot send its signature over this reader");
			e = PP_ERR_STATUS;
			goto out;
		}
		s->doc->error_sw = sw;
		aa->result = PP_AUTH_FAILED;
		rd_set_text(aa->detail, sizeof(aa->detail),
		         "the chip refused INTERNAL AUTHENTICATE (status %s) although DG15 holds its key",
		         pp_sw_text(sw, text));
		rd_set_err(s, "possible cloned chip: active authentication failed: %s", aa->detail);
		e = PP_ERR_CHIP_AUTH;
		goto out;
	}
	aa_result res;
	ce = aa_verify(dg15->der, dg15->der_len, hash, challenge, sig.data, sig.len, &res);
	buf_free(&sig);
	if (ce == CRYPTO_ERR_UNSUPPORTED) {
		/* Decided by the signature's content, which the chip chooses:
		 * unverified is not a pass. */
		aa->result = PP_AUTH_FAILED;
		rd_set_text(aa->detail, sizeof(aa->detail),
		         "the chip's signature uses a hash this reader cannot verify, so the chip is not proven");
		rd_set_err(s, "possible cloned chip: active authentication failed: %s", aa->detail);
		e = PP_ERR_CHIP_AUTH;
		goto out;
	}
	if (ce != CRYPTO_OK) {
		e = PP_ERR_CRYPTO;
		rd_set_err(s, "active authentication: the signature could not be checked");
		goto out;
	}
	if (res.hash != AA_HASH_DEFAULT)
		rd_set_text(aa->hash, sizeof(aa->hash), "%s", aa_hash_name(res.hash));
	if (res.scheme[0] && key.type == AA_KEY_RSA)
		rd_set_text(aa->algorithm, sizeof(aa->algorithm), "RSA-%d, %s", key.bits, res.scheme);
	rd_set_text(aa->detail, sizeof(aa->detail), "%s", res.detail);
	if (res.passed) {
		aa->result = PP_AUTH_PASSED;
	} else {
		aa->result = PP_AUTH_FAILED;
		rd_set_err(s, "possible cloned chip: the active authentication signature did not verify (%s)",
		        aa_failure_str(res.failure));
		e = PP_ERR_CHIP_AUTH;
	}
out:
	lds_dg15_free(dg15);
	return e;
}
