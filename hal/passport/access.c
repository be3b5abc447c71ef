/*
 * access — access control: BAC, PACE with the CAN or the MRZ, the policy
 * between them (ICAO 9303 part 11, 4.2: BAC after a failed PACE), and
 * restoring a session the chip dropped or that went out of step, which the
 * channel asks for before the next command (rd_restore_session). See
 * reader.c for the whole read.
 */
#include "hal/passport/reader-internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/bac.h"
#include "crypto/icao.h"
#include "hal/passport/sw-internal.h"

/* ---- access control -------------------------------------------------------- */

/* BAC. PP_ERR_NOT_SUPPORTED when the chip refuses BAC itself (a PACE-only
 * chip answers GET CHALLENGE or EXTERNAL AUTHENTICATE with 6A88 or 6982),
 * with the status in *ret_refused. */
static pp_err run_bac(session *s, uint16_t *ret_refused)
{
	const pp_access_key *key = s->key;
	bac_keys keys;
	if (bac_keys_from_mrz(key->document_number, key->birth_date, key->expiry_date, &keys) != CRYPTO_OK) {
		rd_set_err(s, "the MRZ data cannot form an access key");
		return PP_ERR_ARG;
	}
	crypto_apdu challenge = { .cla = 0x00, .ins = 0x84, .le = 8 };
	crypto_buf out = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	pp_err e = rd_exchange(s, &challenge, &out, &sw);
	if (e == PP_OK && (sw == SW_BAC_REFUSED || sw == SW_SECURITY_STATUS || sw == SW_INS_NOT_SUPPORTED)) {
		*ret_refused = sw;
		e = PP_ERR_NOT_SUPPORTED;
	} else if (e == PP_OK && sw != SW_OK) {
		e = rd_status_error(s, sw, "BAC's GET CHALLENGE");
		if (e != PP_ERR_BLOCKED)
			e = PP_ERR_STATUS;
	} else if (e == PP_OK && out.len != 8) {
		rd_set_err(s, "BAC's GET CHALLENGE: %zu bytes of challenge, not 8", out.len);
		e = PP_ERR_STATUS;
	}
	if (e != PP_OK) {
		buf_free(&out);
		OPENSSL_cleanse(&keys, sizeof(keys));
		return e;
	}
	uint8_t rnd_icc[8], rnd_ifd[8], k_ifd[16], auth[40];
	memcpy(rnd_icc, out.data, 8);
	buf_free(&out);
	if (RAND_bytes(rnd_ifd, sizeof(rnd_ifd)) != 1 || RAND_bytes(k_ifd, sizeof(k_ifd)) != 1 ||
	    bac_terminal_auth_data(&keys, rnd_icc, rnd_ifd, k_ifd, auth) != CRYPTO_OK) {
		OPENSSL_cleanse(&keys, sizeof(keys));
		return PP_ERR_CRYPTO;
	}
	crypto_apdu ext = { .cla = 0x00, .ins = 0x82, .data = auth, .lc = sizeof(auth), .le = 40 };
	e = rd_exchange(s, &ext, &out, &sw);
	if (e == PP_OK && sw == SW_BAC_REFUSED) {
		*ret_refused = sw;
		e = PP_ERR_NOT_SUPPORTED;
	} else if (e == PP_OK && sw == SW_AUTH_METHOD_BLOCKED) {
		/* Retyping cannot help: the chip takes no more tries. */
		e = rd_status_error(s, sw, "BAC: the chip has blocked BAC");
	} else if (e == PP_OK && (sw != SW_OK || out.len != 40)) {
		/* 6300 (authentication failed), 6982 or 6A80: the keys from the
		 * MRZ are not this document's. */
		rd_status_error(s, sw, "BAC: the chip did not accept the key from the MRZ");
		e = PP_ERR_ACCESS_DENIED;
	}
	sm_ctx sm;
	if (e == PP_OK) {
		crypto_err ce = bac_terminal_finish(&keys, out.data, rnd_icc, rnd_ifd, k_ifd, &sm);
		if (ce != CRYPTO_OK) {
			rd_set_err(s, "BAC: the chip's answer does not verify with the key from the MRZ");
			e = PP_ERR_ACCESS_DENIED;
		}
	}
	buf_free(&out);
	OPENSSL_cleanse(&keys, sizeof(keys));
	OPENSSL_cleanse(k_ifd, sizeof(k_ifd));
	if (e != PP_OK)
		return e;
	pp_channel_set_sm(&s->ch, &sm);
	OPENSSL_cleanse(&sm, sizeof(sm));
	return PP_OK;
}

/* PACE with the CAN when there is one, else with the MRZ; on success the
 * application is selected under the new session. */
static pp_err run_pace(session *s, pp_pace_secret type, char *why, size_t whylen)
{
	const pp_file *ca = &s->doc->card_access;
	char secret[ICAO_MRZ_INFO_MAX];
	if (type == PP_PACE_CAN) {
		snprintf(secret, sizeof(secret), "%s", s->key->can);
	} else if (icao_mrz_information(s->key->document_number, s->key->birth_date, s->key->expiry_date, secret,
	                                NULL) != CRYPTO_OK) {
		rd_set_text(why, whylen, "the MRZ data cannot form a PACE password");
		return PP_ERR_ARG;
	}
	pp_pace *p = NULL;
	why[0] = '\0';
	pp_err e = pp_pace_run(&s->ch, ca->data, ca->len, type, secret, &p, why, whylen);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (e != PP_OK) {
		pp_pace_free(p);
		if (!why[0])
			rd_set_text(why, whylen, "%s", pp_strerror(e));
		return e;
	}
	pp_pace_free(s->pace);
	s->pace = p;
	s->pace_secret = type;
	e = rd_select_application(s);
	if (e == PP_ERR_NOT_EMRTD)
		rd_set_text(why, whylen, "selecting the eMRTD application after PACE was refused");
	else if (e != PP_OK)
		rd_set_text(why, whylen, "selecting the eMRTD application after PACE: %s", pp_strerror(e));
	return e;
}

/* Open the chip for the first time: PACE when EF.CardAccess offers it, BAC
 * otherwise or when PACE fails (after a plain SELECT of the application, so
 * that the chip forgets the failed PACE). */
pp_err rd_access_control(session *s)
{
	pp_document *doc = s->doc;
	pp_err pace_err = PP_ERR_NOT_SUPPORTED;
	if (doc->card_access.present) {
		pp_pace_report *pr = &doc->pace;
		pr->attempted = true;
		pr->secret = s->have_can ? PP_PACE_CAN : PP_PACE_MRZ;
		pace_err = run_pace(s, pr->secret, pr->error, sizeof(pr->error));
		if (pace_err == PP_ERR_ACCESS_DENIED && pr->secret == PP_PACE_CAN && s->have_mrz) {
			/* A mistyped CAN: PACE with the MRZ before BAC, so that a
			 * genuine PACE-CAM chip is not taken for a downgraded one. */
			char can_error[PP_DETAIL_LEN];
			rd_set_text(can_error, sizeof(can_error), "%s", pr->error);
			pace_err = rd_select_mf(s);
			if (pace_err == PP_OK) {
				pr->secret = PP_PACE_MRZ;
				pace_err = run_pace(s, PP_PACE_MRZ, pr->error, sizeof(pr->error));
			}
			if (pace_err != PP_OK && !rd_is_removal(pace_err))
				rd_set_text(pr->error, sizeof(pr->error), "with the CAN: %s; with the MRZ: %s", can_error,
				         pr->error);
		}
		pr->err = pace_err;
		const pp_protocol_info *info = s->pace ? pp_pace_info(s->pace) : NULL;
		if (info)
			pr->info = *info;
		if (pace_err == PP_OK) {
			pr->error[0] = '\0';
			s->pace_session = true;
			snprintf(doc->access_control, sizeof(doc->access_control), "PACE");
			return PP_OK;
		}
		if (rd_ends_read(pace_err)) {
			if (!rd_is_removal(pace_err))
				rd_set_err(s, "running PACE");
			return pace_err;
		}
		if (pace_err == PP_ERR_CHIP_AUTH) {
			/* The chip's PACE-CAM data was invalid: falling back to
			 * BAC would let a clone skip the proof. */
			rd_set_err(s, "possible cloned chip: %s", pr->error);
			return pace_err;
		}
		if (!s->have_mrz) {
			rd_set_err(s, "PACE with the CAN failed: %s", pr->error);
			return pace_err;
		}
		/* ICAO 9303 part 11, 4.2: after a failed PACE the inspection
		 * system tries BAC, once the application is selected afresh. */
		pp_channel_clear_sm(&s->ch);
		pp_pace_free(s->pace);
		s->pace = NULL;
	} else if (!s->have_mrz) {
		rd_set_err(s, "the document offers no PACE (it has no EF.CardAccess), so the CAN cannot open it: "
		           "give the MRZ");
		return PP_ERR_ACCESS_DENIED;
	}
	pp_err e = rd_select_application(s);
	uint16_t refused = 0;
	if (e == PP_OK)
		e = run_bac(s, &refused);
	if (e == PP_OK) {
		snprintf(doc->access_control, sizeof(doc->access_control), "BAC");
		doc->bac_fallback = doc->pace.attempted;
		return PP_OK;
	}
	if (!doc->pace.attempted) {
		if (e == PP_ERR_NOT_SUPPORTED)
			rd_set_err(s, "the chip refuses BAC (status %04X) and offers no PACE (no EF.CardAccess was found)",
			        refused);
		return e;
	}
	if (rd_ends_read(e))
		return e;
	if (e == PP_ERR_NOT_SUPPORTED) {
		/* A PACE-only chip: what went wrong is PACE's failure. */
		char text[PP_SW_TEXT_LEN];
		rd_set_err(s, "PACE: %s; the chip refuses BAC (status %s), as PACE-only documents do", doc->pace.error,
		        pp_sw_text(refused, text));
		return pace_err;
	}
	/* Each protocol's own reason, once: the caller's message says what
	 * it means for the applicant. */
	char bac_err[PP_DETAIL_LEN] = "";
	if (s->err && s->errlen)
		snprintf(bac_err, sizeof(bac_err), "%s", s->err);
	rd_set_err(s, "PACE: %s; then %s", doc->pace.error, bac_err[0] ? bac_err : pp_strerror(e));
	return e;
}

/* ---- chip authentication ---------------------------------------------------- */

pp_err rd_verify_cam(session *s, const pp_file *dg14, char *why, size_t whylen)
{
	why[0] = '\0';
	pp_err e = pp_pace_cam_verify(s->pace, dg14->data, dg14->len, why, whylen);
	if (e != PP_OK && !why[0])
		rd_set_text(why, whylen, "%s", pp_strerror(e));
	return e;
}

/* How many times chip authentication may run without the chip once
 * answering under its keys. A genuine chip that sends its errors in the
 * clear may need three (its first file refused in the clear twice, then
 * selected: test_sfi); a clone answering everything in the clear would
 * otherwise have the session set up again for every file. */
#define CA_RUNS_UNPROVEN_MAX 4

static pp_err rerun_ca(session *s)
{
	const pp_file *dg14 = &s->doc->dg[14];
	char why[PP_DETAIL_LEN] = "";
	pp_protocol_info info;
	if (!s->ch.proven && s->ca_runs >= CA_RUNS_UNPROVEN_MAX) {
		rd_set_text(why, sizeof(why), "answers never came under the keys of %u chip authentications", s->ca_runs);
		rd_chip_auth_unproven(s, why);
		return PP_ERR_CHIP_AUTH;
	}
	s->ca_runs++;
	pp_err e = pp_ca_run(&s->ch, dg14->data, dg14->len, &info, why, sizeof(why));
	if (e == PP_ERR_CHIP_AUTH) {
		s->doc->chip_auth.result = PP_AUTH_FAILED;
		rd_set_text(s->doc->chip_auth.detail, sizeof(s->doc->chip_auth.detail),
		            "when the session was set up again: %s", why);
		rd_set_err(s, "possible cloned chip: chip authentication failed when the session was set up again: %s",
		        why);
	} else if (e != PP_OK)
		rd_set_err(s, "chip authentication again: %s", why[0] ? why : pp_strerror(e));
	return e;
}

/* ---- re-establishing the session ------------------------------------------ */

/* The session is gone and the channel is about to send a command that
 * needs it (the channel's restore callback, run inside access control):
 * the chip dropped secure messaging, or a lost answer left our send
 * sequence counter out of step with the chip's. Select the application
 * afresh in the clear (the chip forgets the session), redo the access
 * control that opened it (PACE after PACE, BAC after BAC), chip
 * authentication if it had run, and reselect the file being read. When
 * that fails the read ends, and err says so. */
static pp_err reestablish(session *s)
{
	uint16_t fid = s->current_fid, sw = 0;
	pp_channel_clear_sm(&s->ch);
	s->doc->reestablished++;
	pp_err e = rd_select_application(s);
	if (e == PP_OK && s->pace_session) {
		char why[PP_DETAIL_LEN] = "";
		e = rd_select_mf(s);
		if (e == PP_OK) {
			e = run_pace(s, s->pace_secret, why, sizeof(why));
			if (e != PP_OK && !rd_is_removal(e))
				rd_set_err(s, "PACE again: %s", why);
		}
		if (e == PP_OK && pp_pace_is_cam(s->pace) && s->doc->chip_auth.result == PP_AUTH_PASSED) {
			e = rd_verify_cam(s, &s->doc->dg[14], why, sizeof(why));
			if (e == PP_ERR_CHIP_AUTH)
				rd_set_err(s, "possible cloned chip: PACE-CAM failed when the session was set up again: %s",
				        why);
		}
	} else if (e == PP_OK) {
		uint16_t refused = 0;
		e = run_bac(s, &refused);
		if (e == PP_ERR_NOT_SUPPORTED)
			rd_set_err(s, "BAC again: the chip refuses it now (status %04X)", refused);
	}
	if (e == PP_OK && s->ca_done)
		e = rerun_ca(s);
	if (e == PP_OK && fid) {
		e = rd_select_file(s, fid, &sw);
		if (e == PP_OK && s->ch.sm_dropped) {
			/* Answered in the clear under the new session: it ended. */
			rd_set_err(s, "selecting the file again: the chip answered %04X in the clear", sw);
			e = PP_ERR_SM_ENDED;
		} else if (e == PP_OK && sw != SW_OK) {
			e = rd_status_error(s, sw, "selecting the file again");
		}
	}
	return e;
}

pp_err rd_restore_session(void *user)
{
	session *s = user;
	uint16_t dropped = s->ch.sm_dropped ? s->ch.drop_sw : 0;
	char why[PP_DETAIL_LEN] = "";
	if (s->err && s->errlen)
		s->err[0] = '\0';
	pp_err e = reestablish(s);
	if (e == PP_OK || rd_ends_read(e))
		return e; /* removed, unresponsive, ...: its own words say it */
	if (s->err && s->errlen)
		snprintf(why, sizeof(why), "%s", s->err);
	if (e == PP_ERR_CHIP_AUTH) {
		s->err_final = true;
		return e;
	}
	if (dropped)
		rd_set_err(s, "the chip ended secure messaging (it answered %04X in the clear) and it could not be set up "
		           "again: %s",
		        dropped, why[0] ? why : pp_strerror(e));
	else
		rd_set_err(s, "the session could not be set up again after a lost answer: %s",
		           why[0] ? why : pp_strerror(e));
	s->err_final = true;
	return e;
}

/* Our side knows the session is out of step (a lost answer, a refused
 * large command): the next command restores it first. */
void rd_session_out_of_step(session *s)
{
	pp_channel_clear_sm(&s->ch);
}
