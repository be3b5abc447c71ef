/*
 * reader — ICAO 9303 reading stack: EF.CardAccess, PACE or BAC, application
 * selection, READ BINARY under secure messaging with adaptive read sizes,
 * chip and active authentication; see reader.h.
 *
 * The order of a read (ICAO 9303 part 10, 3.10 and part 11, 4.2 and 6):
 *   EF.CardAccess in the clear (which selection works depends on the chip)
 *   PACE with the CAN or the MRZ when it offers PACE; when PACE fails, a
 *     fresh SELECT of the application in the clear and BAC
 *   SELECT of the eMRTD application (under PACE's session)
 *   EF.COM, EF.SOD, then DG14 first when it is there: PACE-CAM is checked
 *     against it, or CA runs with its key and re-keys the session
 *   every other data group EF.COM lists or the SOD covers
 *   active authentication with DG15 when no chip authentication passed
 * Whenever the session has to be set up again (the chip dropped it, or a
 * lost answer left the send sequence counters out of step), the same
 * protocols run again: PACE (not BAC) after PACE, and CA again after CA.
 * That happens in one place, rd_restore_session (access.c), which the
 * channel calls before the next command (channel-internal.h): once access
 * control has succeeded no command goes in the clear outside access
 * control.
 *
 * The commands, each with its reason, for the typical document (PACE
 * and chip authentication; EF.COM, EF.SOD, DG1, DG2 of 20 KB, DG14 and
 * DG15) on a PC/SC reader with extended length: 16 in all.
 *     1  SELECT EF.CardAccess, P1 02 P2 0C, in the clear: PACE's
 *        parameters are in it; the selection most chips take, no FCP
 *     2  READ BINARY, Le 256, in the clear: the whole file (a few
 *        SecurityInfos) in one short read
 *     3  MSE:Set AT: PACE's protocol and password (the CAN or the MRZ)
 *   4-7  GENERAL AUTHENTICATE four times: the nonce, the mapping, the key
 *        agreement, the tokens; the session's keys follow from them
 *     8  SELECT of the eMRTD application, protected: the LDS files are in
 *        it, and PACE ran on the master file
 *     9  READ BINARY SFI 1E, EF.COM: its list of data groups (the report
 *        gives it; a group listed but absent is noted), read once
 *    10  READ BINARY SFI 1D, EF.SOD: which data groups it covers, all of
 *        which are read, and passive authentication's signature
 *    11  READ BINARY SFI 0E, DG14: the chip authentication key, read
 *        first so that the rest is read under the chip's own key
 * 12-13  MSE:Set AT and GENERAL AUTHENTICATE: chip authentication (AES;
 *        3DES takes one MSE:Set KAT), re-keying the session
 *    14  READ BINARY SFI 01, DG1: the MRZ; its answer, the first under the
 *        new keys, is also the chip's proof that it holds DG14's private
 *        key (part 11, 6.2: chip authentication is implicit; the channel
 *        checks it, channel-internal.h), so no command is spent on a proof
 *    15  READ BINARY SFI 02, DG2: the face, 20 KB in one extended answer
 *    16  READ BINARY SFI 0F, DG15: the active authentication key, which
 *        the SOD covers and the report describes (not used: chip
 *        authentication passed, which ICAO 9303 prefers)
 * Nothing is read twice, and nothing is read that the report or a check
 * does not use.
 * Each READ BINARY names its file by short identifier (P1 = 80 | SFI, P2
 * = offset 0; ISO/IEC 7816-4, 7.2.3), which selects it: no SELECT per
 * file, and a whole file per command while Le can carry it (65511 plain
 * bytes under SM); a file longer than that goes on from the offset with B0
 * (B1 beyond 32767), the file being current. A chip that refuses the read
 * by SFI (6A81, 6D00, 6986, 6A86, 6B00, or 6A82 for a file its SELECT
 * then finds: ef-read.c) has that file and every later one SELECTed, one
 * command more per file; a data group that is absent costs a SELECT too
 * (6A82 both ways), and the session stays with SFIs. Other documents and
 * readers cost more: BAC (GET CHALLENGE, EXTERNAL AUTHENTICATE, and
 * EF.CardAccess probed and not found: four commands), PACE-CAM (no chip
 * authentication commands), active authentication without DG14 (INTERNAL
 * AUTHENTICATE), a reader or chip without extended length (223 bytes a
 * read, GET RESPONSE for a longer answer), lost answers and sessions set
 * up again.
 *
 * This file holds the session and the sequence of a read; the steps are
 * in card-access.c, access.c, ef-read.c and auth.c (reader-internal.h).
 */
#include "hal/passport/reader-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/lds/lds.h"
#include "hal/passport/sw-internal.h"

const char *pp_auth_result_name(pp_auth_result r)
{
	switch (r) {
	case PP_AUTH_NOT_RUN: return "not run";
	case PP_AUTH_PASSED: return "passed";
	case PP_AUTH_FAILED: return "failed";
	case PP_AUTH_NOT_SUPPORTED: return "not supported";
	}
	return "unknown";
}

double rd_now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3))) void rd_set_err(session *s, const char *fmt, ...)
{
	if (!s->err || !s->errlen || s->err_final)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) void rd_set_text(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* Every command of a read goes through here: the caller's cancel is seen
 * between commands. */
pp_err rd_exchange(session *s, const crypto_apdu *cmd, crypto_buf *out, uint16_t *ret_sw)
{
	if (s->opt->cancel && atomic_load(s->opt->cancel)) {
		rd_set_err(s, "the read was cancelled");
		s->err_final = true;
		return PP_ERR_CANCELLED;
	}
	pp_err e = pp_channel_exchange(&s->ch, cmd, out, ret_sw);
	if (e == PP_ERR_CHIP_AUTH && s->ch.proof_failed) {
		s->ch.proof_failed = false;
		char how[160];
		if (s->ch.proof_sw)
			rd_set_text(how, sizeof(how), "answer to its first command under the new keys was %04X in the clear: "
			            "it could not check our MAC",
			            s->ch.proof_sw);
		else
			rd_set_text(how, sizeof(how), "answer to its first command under the new keys does not verify");
		rd_chip_auth_unproven(s, how);
	}
	return e;
}

/* Chip authentication ran, but the chip did not answer under its keys:
 * it does not hold DG14's private key. The read ends on it, and these
 * words replace any the failure had (a clone would rather be taken for a
 * chip with a fault, which asks the applicant to try again). */
void rd_chip_auth_unproven(session *s, const char *how)
{
	pp_chip_auth_report *ca = &s->doc->chip_auth;
	ca->result = PP_AUTH_FAILED;
	rd_set_text(ca->detail, sizeof(ca->detail), "the chip's %s: it does not hold DG14's private key", how);
	s->err_final = false;
	rd_set_err(s, "possible cloned chip: chip authentication failed: %s", ca->detail);
	s->err_final = true;
}

/* The read after chip authentication ended on e. Until the chip has
 * answered once under the new keys (channel-internal.h), a failure after
 * it answered in the clear — statuses, files it would not give, an answer
 * with no data — is the chip not holding DG14's key, whatever it said. A
 * removal, a lost link or a cancel is not the chip's answer and stands,
 * and so does any failure while the chip has sent nothing in the clear
 * since (a session that could not be set up again over a failing link
 * says nothing about the key). */
static pp_err after_chip_auth(session *s, pp_err e)
{
	if (e == PP_OK || !s->ca_done || s->ch.proven || e == PP_ERR_CHIP_AUTH || rd_ends_read(e) || rd_is_lost(e) ||
	    e == PP_ERR_NOMEM || e == PP_ERR_ARG || s->ch.sm_ended == s->sm_ended_at_ca)
		return e;
	char why[PP_DETAIL_LEN + 40];
	rd_set_text(why, sizeof(why), "answers never came under the new keys (%s)",
	            s->err && s->err[0] ? s->err : pp_strerror(e));
	rd_chip_auth_unproven(s, why);
	return PP_ERR_CHIP_AUTH;
}

/* A command whose answer data is not wanted. */
pp_err rd_command(session *s, const crypto_apdu *cmd, uint16_t *ret_sw)
{
	crypto_buf out = CRYPTO_BUF_INIT;
	pp_err e = rd_exchange(s, cmd, &out, ret_sw);
	buf_free(&out);
	return e;
}

bool rd_is_removal(pp_err e)
{
	return e == PP_ERR_REMOVED || e == PP_ERR_NO_CARD;
}

/* Nothing more can be sent: the document left, or stopped answering (an
 * exchange outlived its deadline), or the smart-card service stopped, or
 * another program holds the reader. No other protocol is tried after it. */
bool rd_ends_read(pp_err e)
{
	return rd_is_removal(e) || e == PP_ERR_UNRESPONSIVE || e == PP_ERR_SERVICE_STOPPED || e == PP_ERR_BUSY ||
	       e == PP_ERR_CANCELLED;
}

/* No answer came: a time-out or a link error. The chip may have carried
 * out the command; or the document has just left the field and the reader
 * has not noticed yet, which the next command tells. PP_ERR_UNRESPONSIVE
 * (no answer within the exchange deadline) is not one: asking again would
 * cost another deadline each time, so it ends the read. */
bool rd_is_lost(pp_err e)
{
	return e == PP_ERR_TIMEOUT || e == PP_ERR_COMM;
}

bool rd_transient_sw(uint16_t sw)
{
	return pp_sw_kind_of(sw) == PP_SW_TRANSIENT;
}

/* A status word ended the step: err names the step and the status in ISO
 * 7816-4's words, the report keeps the status, and the error is the
 * table's (hal/passport/sw-internal.h). */
__attribute__((format(printf, 3, 4))) pp_err rd_status_error(session *s, uint16_t sw, const char *fmt, ...)
{
	char what[200], text[PP_SW_TEXT_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rd_set_err(s, "%s: status %s", what, pp_sw_text(sw, text));
	s->doc->error_sw = sw;
	return pp_sw_error(sw);
}

static void file_clear(pp_file *f)
{
	free(f->data);
	f->data = NULL;
}

/* ---- the whole read ----------------------------------------------------------- */

static pp_err read_dg(session *s, int dg)
{
	char name[8];
	snprintf(name, sizeof(name), "DG%d", dg);
	return rd_read_ef(s, lds_file_dg(dg), name, &s->doc->dg[dg]);
}

static pp_err read_all(session *s)
{
	pp_document *doc = s->doc;
	double t0 = rd_now_seconds();
	pp_err e = pp_transport_set_deadline(s->t, s->opt->exchange_deadline_ms);
	if (e != PP_OK)
		return e;
	e = pp_transport_connect(s->t, s->opt->wait_ms);
	if (e != PP_OK)
		return e;
	snprintf(doc->reader, sizeof(doc->reader), "%s", pp_transport_reader_name(s->t));
	double t1 = rd_now_seconds();
	doc->connect_seconds = t1 - t0;

	pp_transport_caps caps;
	if (pp_transport_capabilities(s->t, &caps) != PP_OK)
		caps = (pp_transport_caps){ .max_response = 258 };
	doc->bit_rate_kbps = caps.bit_rate_kbps;
	doc->bit_rate_how = caps.bit_rate_how;
	s->extended_ok = caps.extended_length && !s->opt->short_only;
	s->extended = s->extended_ok;
	s->read_max = s->extended ? rd_plain_capacity(caps.max_response) : SHORT_READ_MAX;
	if (s->opt->max_read && s->opt->max_read < s->read_max)
		s->read_max = s->opt->max_read;
	if (s->read_max <= SHORT_READ_MAX)
		s->extended = false;

	/* A lost answer before the session is up costs nothing to redo:
	 * start that step over once. */
	e = rd_read_card_access(s);
	if (rd_is_lost(e)) {
		file_clear(&doc->card_access);
		doc->card_access = (pp_file){ 0 };
		doc->card_access_selection[0] = '\0';
		e = rd_read_card_access(s);
	}
	if (e != PP_OK)
		return e;
	pp_channel_begin_access(&s->ch);
	e = rd_access_control(s);
	if (rd_is_lost(e)) {
		pp_channel_clear_sm(&s->ch);
		pp_pace_free(s->pace);
		s->pace = NULL;
		s->pace_session = false;
		memset(&doc->pace, 0, sizeof(doc->pace));
		doc->bac_fallback = false;
		e = rd_access_control(s);
	}
	pp_channel_end_access(&s->ch);
	if (e != PP_OK)
		return e;
	double t2 = rd_now_seconds();
	doc->access_seconds = t2 - t1;

	e = rd_read_ef(s, LDS_FILE_COM, "EF.COM", &doc->com);
	if (e != PP_OK)
		return e;
	if (!doc->com.present) {
		if (doc->com.err == PP_ERR_FILE_NOT_FOUND)
			rd_set_err(s, "reading EF.COM: the chip has no such file");
		return doc->com.err;
	}
	lds_com com;
	lds_err le = lds_com_parse(doc->com.data, doc->com.len, &com);
	if (le != LDS_OK) {
		rd_set_err(s, "EF.COM: %s", lds_strerror(le));
		return PP_ERR_PARSE;
	}
	for (size_t i = 0; i < com.n_files; i++)
		if (com.files[i] >= LDS_FILE_DG1 && com.files[i] <= LDS_FILE_DG16)
			doc->listed[com.files[i]] = true;

	e = rd_read_ef(s, LDS_FILE_SOD, "EF.SOD", &doc->sod);
	if (e != PP_OK)
		return e;
	rd_sod_covered(s);

	/* Every data group EF.COM lists or the SOD covers; DG14 first, for
	 * chip authentication to protect the rest of the read. */
	bool wanted[PP_MAX_DG + 1] = { false };
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		wanted[dg] = (doc->listed[dg] || doc->in_sod[dg]) && pp_dg_readable(dg);
	if (wanted[14] && (e = read_dg(s, 14)) != PP_OK)
		return e;
	pp_channel_begin_access(&s->ch);
	e = rd_chip_authentication(s);
	pp_channel_end_access(&s->ch);
	if (e != PP_OK)
		return e;
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		if (!wanted[dg] || dg == 14)
			continue;
		if ((e = read_dg(s, dg)) != PP_OK)
			return after_chip_auth(s, e);
	}
	if (s->ca_done && !s->ch.proven) {
		rd_chip_auth_unproven(s, "answers never came under the new keys");
		return PP_ERR_CHIP_AUTH;
	}
	if (s->ca_done) {
		doc->chip_auth.result = PP_AUTH_PASSED;
		rd_set_text(doc->chip_auth.detail, sizeof(doc->chip_auth.detail),
		            "the chip proved that it holds the private key of DG14: it answered under the re-keyed "
		            "session");
	}
	if ((e = rd_active_authentication(s)) != PP_OK)
		return e;
	doc->read_seconds = rd_now_seconds() - t2;
	doc->extended_length = s->extended;
	/* The chip may have been activated again at another rate on the way
	 * (libnfc, after an exchange given up): the report says the last. */
	if (pp_transport_capabilities(s->t, &caps) == PP_OK && caps.bit_rate_kbps) {
		doc->bit_rate_kbps = caps.bit_rate_kbps;
		doc->bit_rate_how = caps.bit_rate_how;
	}
	return PP_OK;
}

pp_err pp_read_document(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                        pp_document **ret, char *err, size_t errlen)
{
	return pp_read_document_partial(t, key, opt, ret, NULL, err, errlen);
}

pp_err pp_read_document_partial(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                                pp_document **ret, pp_document **ret_partial, char *err, size_t errlen)
{
	static const pp_read_options defaults = { .wait_ms = 0 };
	if (!t || !key || !ret)
		return PP_ERR_ARG;
	if (err && errlen)
		err[0] = '\0';
	bool have_mrz = key->document_number[0] && key->birth_date[0] && key->expiry_date[0];
	bool have_can = strnlen(key->can, sizeof(key->can)) == 6;
	for (size_t i = 0; have_can && i < 6; i++)
		have_can = key->can[i] >= '0' && key->can[i] <= '9';
	if (!have_mrz && !have_can) {
		if (err && errlen)
			snprintf(err, errlen, "no access key: give the MRZ or the 6-digit CAN");
		return PP_ERR_ARG;
	}
	session *s = calloc(1, sizeof(*s));
	pp_document *doc = calloc(1, sizeof(*doc));
	if (!s || !doc) {
		free(s);
		free(doc);
		return PP_ERR_NOMEM;
	}
	s->t = t;
	pp_channel_init(&s->ch, t);
	pp_channel_set_restore(&s->ch, rd_restore_session, s);
	s->key = key;
	s->have_mrz = have_mrz;
	s->have_can = have_can;
	s->doc = doc;
	s->opt = opt ? opt : &defaults;
	s->retries = s->opt->retries ? s->opt->retries : DEFAULT_RETRIES;
	s->err = err;
	s->errlen = errlen;
	const pp_transport_stats *st = pp_transport_get_stats(t);
	pp_transport_stats before = *st;
	double start = rd_now_seconds();

	pp_err e = read_all(s);

	doc->total_seconds = rd_now_seconds() - start;
	doc->apdus = st->apdus - before.apdus;
	doc->bytes_sent = st->bytes_sent - before.bytes_sent;
	doc->bytes_received = st->bytes_received - before.bytes_received;
	doc->read_size = rd_read_size(s);
	doc->get_responses = s->ch.get_responses;
	doc->sm_ended = s->ch.sm_ended;
	pp_channel_clear_sm(&s->ch);
	pp_pace_free(s->pace);
	free(s);
	if (e != PP_OK) {
		if (ret_partial)
			*ret_partial = doc;
		else
			pp_document_free(doc);
		return e;
	}
	*ret = doc;
	return PP_OK;
}

void pp_document_free(pp_document *doc)
{
	if (!doc)
		return;
	file_clear(&doc->card_access);
	file_clear(&doc->com);
	file_clear(&doc->sod);
	for (int i = 0; i <= PP_MAX_DG; i++)
		file_clear(&doc->dg[i]);
	free(doc);
}
