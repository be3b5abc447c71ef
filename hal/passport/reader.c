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
 * That happens in one place, restore_session, which the channel calls
 * before the next command (hal/passport/channel.h): once access control
 * has succeeded no command goes in the clear outside access control.
 */
#include "hal/passport/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/aa.h"
#include "crypto/apdu.h"
#include "crypto/bac.h"
#include "crypto/icao.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "crypto/sm.h"
#include "crypto/tlv.h"
#include "hal/passport/channel.h"
#include "crypto/lds/lds.h"
#include "hal/passport/sw.h"

static const uint8_t emrtd_aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

/* Short reads under 3DES secure messaging: the protected answer (DO'87 with
 * padding, DO'99, DO'8E) must fit in 256 bytes, which leaves 231 plain
 * bytes; 223 also fits AES's 16-byte padding. */
#define SHORT_READ_MAX 223
/* Halving the read size after a failure stops here. */
#define MIN_READ 64
#define DEFAULT_RETRIES 3
/* EF.CardAccess holds a few SecurityInfos; anything larger is not one. */
#define CARD_ACCESS_MAX 4096

#define SW_BAC_REFUSED 0x6A88 /* referenced data not found: no BAC key */
#define FID_MF 0x3F00

typedef struct session {
	pp_transport *t;
	pp_channel ch;
	pp_pace_secret pace_secret; /* what opened the PACE session */
	const pp_access_key *key;
	bool have_mrz;
	bool have_can;
	uint16_t current_fid;    /* the EF selected last (0: none) */
	bool extended;           /* still trying extended-length reads */
	bool extended_ok;        /* reader and chip take extended APDUs */
	size_t read_max;         /* plain bytes per READ BINARY */
	unsigned retries;
	pp_document *doc;
	const pp_read_options *opt;
	size_t progress_done;
	size_t progress_expected;
	/* The session in force, to set it up again. */
	bool pace_session;       /* PACE opened the chip (else BAC) */
	pp_pace *pace;           /* the last PACE run */
	bool ca_done;            /* CA re-keyed the session with DG14's key */
	char *err;
	size_t errlen;
	bool err_final;          /* err says why the read ends; later context is not added */
} session;

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

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3))) static void set_err(session *s, const char *fmt, ...)
{
	if (!s->err || !s->errlen || s->err_final)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void set_text(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

static pp_err exchange(session *s, const apdu *cmd, buf *out, uint16_t *ret_sw)
{
	return pp_channel_exchange(&s->ch, cmd, out, ret_sw);
}

/* A command whose answer data is not wanted. */
static pp_err command(session *s, const apdu *cmd, uint16_t *ret_sw)
{
	buf out = BUF_INIT;
	pp_err e = exchange(s, cmd, &out, ret_sw);
	buf_free(&out);
	return e;
}

static bool is_removal(pp_err e)
{
	return e == PP_ERR_REMOVED || e == PP_ERR_NO_CARD;
}

/* No answer came: a time-out or a link error. The chip may have carried
 * out the command; or the document has just left the field and the reader
 * has not noticed yet, which the next command tells. */
static bool is_lost(pp_err e)
{
	return e == PP_ERR_TIMEOUT || e == PP_ERR_COMM;
}

static bool transient_sw(uint16_t sw)
{
	return pp_sw_kind_of(sw) == PP_SW_TRANSIENT;
}

/* A status word ended the step: err names the step and the status in ISO
 * 7816-4's words, the report keeps the status, and the error is the
 * table's (hal/passport/sw.h). */
__attribute__((format(printf, 3, 4))) static pp_err status_error(session *s, uint16_t sw, const char *fmt, ...)
{
	char what[200], text[PP_SW_TEXT_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	set_err(s, "%s: status %s", what, pp_sw_text(sw, text));
	s->doc->error_sw = sw;
	return pp_sw_error(sw);
}

static void file_clear(pp_file *f)
{
	free(f->data);
	f->data = NULL;
}

/* ---- selection ------------------------------------------------------------ */

static pp_err select_application(session *s)
{
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = emrtd_aid, .lc = sizeof(emrtd_aid) };
	uint16_t sw = 0;
	pp_err e = command(s, &cmd, &sw);
	if (e != PP_OK)
		return e;
	if (sw != SW_OK) {
		pp_sw_kind k = pp_sw_kind_of(sw);
		e = status_error(s, sw, "selecting the eMRTD application");
		/* No such application (or one this card cannot select): not a
		 * passport. Anything else is the chip refusing the command. */
		return k == PP_SW_NO_FILE || k == PP_SW_BAD_COMMAND ? PP_ERR_NOT_EMRTD : e;
	}
	s->current_fid = 0;
	return PP_OK;
}

/* Back to the master file, where PACE runs (in the clear). */
static pp_err select_mf(session *s)
{
	static const uint8_t mf[] = { FID_MF >> 8, FID_MF & 0xFF };
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C, .data = mf, .lc = sizeof(mf) };
	uint16_t sw = 0;
	pp_err e = command(s, &cmd, &sw);
	if (e == PP_OK && sw != SW_OK)
		e = status_error(s, sw, "selecting the master file");
	s->current_fid = 0;
	return e;
}

static pp_err select_file(session *s, uint16_t fid, uint16_t *ret_sw)
{
	uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	/* No file is current while the selection is under way, so that a
	 * session restored meanwhile selects nothing. */
	s->current_fid = 0;
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = id, .lc = 2 };
	pp_err e = command(s, &cmd, ret_sw);
	if (e == PP_OK && *ret_sw == SW_OK)
		s->current_fid = fid;
	return e;
}

/* ---- EF.CardAccess ------------------------------------------------------------ */

/* The ways readers reach EF.CardAccess (FID 011C under the MF, SFI 1C);
 * chips in the field each know some of them. Cheapest first: a SELECT
 * without answer data, then one that returns the FCP (and, only from a
 * chip that refused that P2, one that returns the FCI), then a READ BINARY
 * naming the file by its short identifier. */
typedef struct card_access_selection {
	const char *name;
	bool sfi;            /* no SELECT: the first READ BINARY names SFI 1C */
	uint8_t p1, p2;
	size_t le;           /* 0: no Le field */
	bool if_p2_refused;  /* only when the previous one was refused with
	                      * 6A86 or 6B00 (wrong P1-P2), not 6A82 */
} card_access_selection;

static const card_access_selection card_access_selections[] = {
	{ "SELECT P1 02 P2 0C", false, 0x02, 0x0C, 0, false },
	{ "SELECT P1 00 P2 0C", false, 0x00, 0x0C, 0, false },
	{ "SELECT P1 02 P2 04 Le 00", false, 0x02, 0x04, APDU_MAX_SHORT_LE, false },
	{ "SELECT P1 00 P2 00 Le 00", false, 0x00, 0x00, APDU_MAX_SHORT_LE, true },
	{ "READ BINARY SFI 1C", true, 0, 0, 0, false },
};

/* Read a small EF in the clear: the currently selected one, or (sfi != 0)
 * the one the first READ BINARY names by short identifier. In the clear a
 * command sent twice puts nothing out of step, so a lost answer is asked
 * again at the same offset for half as many bytes (not below MIN_READ,
 * like the data groups), and a transient status as it was; each up to
 * s->retries times in a row. On a status that ends the attempt,
 * PP_ERR_STATUS with *ret_sw set. */
static pp_err read_plain_ef(session *s, uint8_t sfi, buf *data, uint16_t *ret_sw)
{
	size_t total = 0;
	size_t le = APDU_MAX_SHORT_LE;
	bool resized = false;
	unsigned retries_left = s->retries;
	for (unsigned rounds = 0; total == 0 || data->len < total; rounds++) {
		if (rounds > CARD_ACCESS_MAX / MIN_READ + 4 * (s->retries + 1))
			return PP_ERR_COMM; /* the link keeps failing: not "no PACE" */
		size_t offset = data->len;
		if (total && total - offset < le)
			le = total - offset;
		apdu cmd = { .cla = 0x00, .ins = 0xB0, .le = le };
		if (sfi && offset == 0) {
			cmd.p1 = (uint8_t)(0x80 | sfi);
		} else {
			cmd.p1 = (uint8_t)(offset >> 8);
			cmd.p2 = (uint8_t)offset;
		}
		uint16_t sw = 0;
		pp_err e = exchange(s, &cmd, data, &sw);
		if (is_lost(e)) {
			data->len = offset;
			s->doc->timeouts++;
			if (le > MIN_READ) {
				le = le / 2 < MIN_READ ? MIN_READ : le / 2;
				s->doc->size_reductions++;
			} else if (retries_left-- == 0) {
				return e;
			}
			s->doc->retried_reads++;
			continue;
		}
		if (e != PP_OK)
			return e;
		*ret_sw = sw;
		if ((sw >> 8) == 0x6C && !resized) {
			/* Wrong Le: the chip says how many bytes it has. */
			data->len = offset;
			le = (sw & 0xFF) ? (sw & 0xFF) : APDU_MAX_SHORT_LE;
			resized = true;
			continue;
		}
		resized = false;
		if (sw != SW_OK && sw != SW_END_OF_FILE) {
			data->len = offset;
			if (transient_sw(sw) && retries_left > 0) {
				retries_left--;
				s->doc->retried_reads++;
				continue;
			}
			return PP_ERR_STATUS;
		}
		if (!buf_ok(data))
			return PP_ERR_NOMEM;
		if (data->len == offset)
			return PP_ERR_PARSE; /* no data before the announced end */
		retries_left = s->retries;
		if (total == 0) {
			size_t len = 0;
			lds_err le2 = lds_file_length(data->data, data->len, &len);
			if (le2 == LDS_ERR_NEED_MORE)
				continue;
			if (le2 != LDS_OK || len > CARD_ACCESS_MAX)
				return PP_ERR_PARSE;
			total = len;
		}
		if (data->len > total)
			data->len = total;
	}
	return PP_OK;
}

/* SELECT EF.CardAccess the way v does. A lost answer or a transient status
 * is asked again, up to s->retries times in a row: in the clear, selecting
 * twice changes nothing. */
static pp_err select_card_access(session *s, const card_access_selection *v, uint16_t *ret_sw)
{
	static const uint8_t fid[] = { 0x01, 0x1C };
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = v->p1, .p2 = v->p2, .data = fid, .lc = sizeof(fid), .le = v->le };
	for (unsigned retries_left = s->retries;; retries_left--) {
		pp_err e = command(s, &cmd, ret_sw);
		bool lost = is_lost(e);
		if ((!lost && !(e == PP_OK && transient_sw(*ret_sw))) || retries_left == 0)
			return e;
		if (lost)
			s->doc->timeouts++;
		s->doc->retried_reads++;
	}
}

/* Try each selection until one reads the file. A chip that answers every
 * one with an error has no EF.CardAccess (6A82 everywhere: no PACE), which
 * is not an error: BAC follows. A transient status (6F00 and the like) is
 * no such answer: it is asked again (select_card_access, read_plain_ef);
 * when it persists the next selection is tried, and a file that was
 * selected but could never be read ends the read rather than costing the
 * document its PACE. */
static pp_err read_card_access(session *s)
{
	pp_file *f = &s->doc->card_access;
	double start = now_seconds();
	unsigned long apdus0 = pp_transport_get_stats(s->t)->apdus;
	pp_err result = PP_OK;
	const char *unread = NULL; /* a selection that found the file but could not read it */
	uint16_t unread_sw = 0;
	f->err = PP_ERR_FILE_NOT_FOUND;
	for (size_t i = 0; i < sizeof(card_access_selections) / sizeof(card_access_selections[0]); i++) {
		const card_access_selection *v = &card_access_selections[i];
		uint16_t sw = 0;
		pp_err e = PP_OK;
		if (v->if_p2_refused && f->sw != 0x6A86 && f->sw != SW_WRONG_P1P2)
			continue;
		if (!v->sfi) {
			e = select_card_access(s, v, &sw);
			if (e == PP_OK && sw != SW_OK && sw != SW_END_OF_FILE) {
				f->sw = sw; /* this way does not reach it; try the next */
				continue;
			}
		}
		buf data = BUF_INIT;
		if (e == PP_OK)
			e = read_plain_ef(s, v->sfi ? lds_file_sfi(LDS_FILE_CARD_ACCESS) : 0, &data, &sw);
		if (e == PP_OK) {
			f->data = buf_steal(&data, &f->len);
			f->present = true;
			f->err = PP_OK;
			f->sw = SW_OK;
			snprintf(s->doc->card_access_selection, sizeof(s->doc->card_access_selection), "%s", v->name);
			break;
		}
		bool partly_read = data.len > 0;
		buf_free(&data);
		if (e == PP_ERR_STATUS) {
			f->sw = sw;
			if (transient_sw(sw) && (!v->sfi || partly_read)) {
				/* The file is there; its reads failed every time.
				 * Another way may yet read it. */
				unread = v->name;
				unread_sw = sw;
			}
			continue;
		}
		if (e == PP_ERR_PARSE) {
			/* Selected, but what it holds is no SecurityInfos: as if
			 * there were no PACE. */
			f->err = PP_ERR_PARSE;
			continue;
		}
		set_err(s, "reading EF.CardAccess (%s)", v->name);
		result = e;
		break;
	}
	if (result == PP_OK && !f->present && unread) {
		set_err(s, "reading EF.CardAccess (%s): status %04X, %u times in a row; the document may be at the edge "
		           "of the field",
		        unread, unread_sw, s->retries + 1);
		f->err = PP_ERR_STATUS;
		f->sw = unread_sw;
		result = PP_ERR_STATUS;
	}
	if (result == PP_OK && !f->present && f->sw && f->sw != SW_FILE_NOT_FOUND && f->err == PP_ERR_FILE_NOT_FOUND)
		f->err = PP_ERR_STATUS;
	f->seconds = now_seconds() - start;
	f->apdus = pp_transport_get_stats(s->t)->apdus - apdus0;
	return result;
}

/* ---- access control -------------------------------------------------------- */

/* BAC. PP_ERR_NOT_SUPPORTED when the chip refuses BAC itself (a PACE-only
 * chip answers GET CHALLENGE or EXTERNAL AUTHENTICATE with 6A88 or 6982),
 * with the status in *ret_refused. */
static pp_err run_bac(session *s, uint16_t *ret_refused)
{
	const pp_access_key *key = s->key;
	bac_keys keys;
	if (bac_keys_from_mrz(key->document_number, key->birth_date, key->expiry_date, &keys) != CRYPTO_OK) {
		set_err(s, "the MRZ data cannot form an access key");
		return PP_ERR_ARG;
	}
	apdu challenge = { .cla = 0x00, .ins = 0x84, .le = 8 };
	buf out = BUF_INIT;
	uint16_t sw = 0;
	pp_err e = exchange(s, &challenge, &out, &sw);
	if (e == PP_OK && (sw == SW_BAC_REFUSED || sw == SW_SECURITY_STATUS || sw == SW_INS_NOT_SUPPORTED)) {
		*ret_refused = sw;
		e = PP_ERR_NOT_SUPPORTED;
	} else if (e == PP_OK && sw != SW_OK) {
		e = status_error(s, sw, "BAC's GET CHALLENGE");
		if (e != PP_ERR_BLOCKED)
			e = PP_ERR_STATUS;
	} else if (e == PP_OK && out.len != 8) {
		set_err(s, "BAC's GET CHALLENGE: %zu bytes of challenge, not 8", out.len);
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
	apdu ext = { .cla = 0x00, .ins = 0x82, .data = auth, .lc = sizeof(auth), .le = 40 };
	e = exchange(s, &ext, &out, &sw);
	if (e == PP_OK && sw == SW_BAC_REFUSED) {
		*ret_refused = sw;
		e = PP_ERR_NOT_SUPPORTED;
	} else if (e == PP_OK && sw == SW_AUTH_METHOD_BLOCKED) {
		/* Retyping cannot help: the chip takes no more tries. */
		e = status_error(s, sw, "BAC: the chip has blocked BAC");
	} else if (e == PP_OK && (sw != SW_OK || out.len != 40)) {
		/* 6300 (authentication failed), 6982 or 6A80: the keys from the
		 * MRZ are not this document's. */
		status_error(s, sw, "BAC: the chip did not accept the key from the MRZ");
		e = PP_ERR_ACCESS_DENIED;
	}
	sm_ctx sm;
	if (e == PP_OK) {
		crypto_err ce = bac_terminal_finish(&keys, out.data, rnd_icc, rnd_ifd, k_ifd, &sm);
		if (ce != CRYPTO_OK) {
			set_err(s, "BAC: the chip's answer does not verify with the key from the MRZ");
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
		set_text(why, whylen, "the MRZ data cannot form a PACE password");
		return PP_ERR_ARG;
	}
	pp_pace *p = NULL;
	why[0] = '\0';
	pp_err e = pp_pace_run(&s->ch, ca->data, ca->len, type, secret, &p, why, whylen);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (e != PP_OK) {
		pp_pace_free(p);
		if (!why[0])
			set_text(why, whylen, "%s", pp_strerror(e));
		return e;
	}
	pp_pace_free(s->pace);
	s->pace = p;
	s->pace_secret = type;
	e = select_application(s);
	if (e == PP_ERR_NOT_EMRTD)
		set_text(why, whylen, "selecting the eMRTD application after PACE was refused");
	else if (e != PP_OK)
		set_text(why, whylen, "selecting the eMRTD application after PACE: %s", pp_strerror(e));
	return e;
}

/* Open the chip for the first time: PACE when EF.CardAccess offers it, BAC
 * otherwise or when PACE fails (after a plain SELECT of the application, so
 * that the chip forgets the failed PACE). */
static pp_err access_control(session *s)
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
			set_text(can_error, sizeof(can_error), "%s", pr->error);
			pace_err = select_mf(s);
			if (pace_err == PP_OK) {
				pr->secret = PP_PACE_MRZ;
				pace_err = run_pace(s, PP_PACE_MRZ, pr->error, sizeof(pr->error));
			}
			if (pace_err != PP_OK && !is_removal(pace_err))
				set_text(pr->error, sizeof(pr->error), "with the CAN: %s; with the MRZ: %s", can_error,
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
		if (is_removal(pace_err))
			return pace_err;
		if (pace_err == PP_ERR_CHIP_AUTH) {
			/* The chip's PACE-CAM data was invalid: falling back to
			 * BAC would let a clone skip the proof. */
			set_err(s, "possible cloned chip: %s", pr->error);
			return pace_err;
		}
		if (!s->have_mrz) {
			set_err(s, "PACE with the CAN failed: %s", pr->error);
			return pace_err;
		}
		/* ICAO 9303 part 11, 4.2: after a failed PACE the inspection
		 * system tries BAC, once the application is selected afresh. */
		pp_channel_clear_sm(&s->ch);
		pp_pace_free(s->pace);
		s->pace = NULL;
	} else if (!s->have_mrz) {
		set_err(s, "the document offers no PACE (it has no EF.CardAccess), so the CAN cannot open it: "
		           "give the MRZ");
		return PP_ERR_ACCESS_DENIED;
	}
	pp_err e = select_application(s);
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
			set_err(s, "the chip refuses BAC (status %04X) and offers no PACE (no EF.CardAccess was found)",
			        refused);
		return e;
	}
	if (is_removal(e))
		return e;
	if (e == PP_ERR_NOT_SUPPORTED) {
		/* A PACE-only chip: what went wrong is PACE's failure. */
		char text[PP_SW_TEXT_LEN];
		set_err(s, "PACE: %s; the chip refuses BAC (status %s), as PACE-only documents do", doc->pace.error,
		        pp_sw_text(refused, text));
		return pace_err;
	}
	/* Each protocol's own reason, once: the caller's message says what
	 * it means for the applicant. */
	char bac_err[PP_DETAIL_LEN] = "";
	if (s->err && s->errlen)
		snprintf(bac_err, sizeof(bac_err), "%s", s->err);
	set_err(s, "PACE: %s; then %s", doc->pace.error, bac_err[0] ? bac_err : pp_strerror(e));
	return e;
}

/* ---- chip authentication ---------------------------------------------------- */

static pp_err verify_cam(session *s, const pp_file *dg14, char *why, size_t whylen)
{
	why[0] = '\0';
	pp_err e = pp_pace_cam_verify(s->pace, dg14->data, dg14->len, why, whylen);
	if (e != PP_OK && !why[0])
		set_text(why, whylen, "%s", pp_strerror(e));
	return e;
}

static pp_err rerun_ca(session *s)
{
	const pp_file *dg14 = &s->doc->dg[14];
	char why[PP_DETAIL_LEN] = "";
	pp_protocol_info info;
	pp_err e = pp_ca_run(&s->ch, dg14->data, dg14->len, &info, why, sizeof(why));
	if (e == PP_ERR_CHIP_AUTH)
		set_err(s, "possible cloned chip: chip authentication failed when the session was set up again: %s",
		        why);
	else if (e != PP_OK)
		set_err(s, "chip authentication again: %s", why[0] ? why : pp_strerror(e));
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
	pp_err e = select_application(s);
	if (e == PP_OK && s->pace_session) {
		char why[PP_DETAIL_LEN] = "";
		e = select_mf(s);
		if (e == PP_OK) {
			e = run_pace(s, s->pace_secret, why, sizeof(why));
			if (e != PP_OK && !is_removal(e))
				set_err(s, "PACE again: %s", why);
		}
		if (e == PP_OK && pp_pace_is_cam(s->pace) && s->doc->chip_auth.result == PP_AUTH_PASSED) {
			e = verify_cam(s, &s->doc->dg[14], why, sizeof(why));
			if (e == PP_ERR_CHIP_AUTH)
				set_err(s, "possible cloned chip: PACE-CAM failed when the session was set up again: %s",
				        why);
		}
	} else if (e == PP_OK) {
		uint16_t refused = 0;
		e = run_bac(s, &refused);
		if (e == PP_ERR_NOT_SUPPORTED)
			set_err(s, "BAC again: the chip refuses it now (status %04X)", refused);
	}
	if (e == PP_OK && s->ca_done)
		e = rerun_ca(s);
	if (e == PP_OK && fid) {
		e = select_file(s, fid, &sw);
		if (e == PP_OK && sw != SW_OK)
			e = status_error(s, sw, "selecting the file again");
	}
	return e;
}

static pp_err restore_session(void *user)
{
	session *s = user;
	uint16_t dropped = s->ch.sm_dropped ? s->ch.drop_sw : 0;
	char why[PP_DETAIL_LEN] = "";
	if (s->err && s->errlen)
		s->err[0] = '\0';
	pp_err e = reestablish(s);
	if (e == PP_OK || is_removal(e))
		return e;
	if (s->err && s->errlen)
		snprintf(why, sizeof(why), "%s", s->err);
	if (e == PP_ERR_CHIP_AUTH) {
		s->err_final = true;
		return e;
	}
	if (dropped)
		set_err(s, "the chip ended secure messaging (it answered %04X in the clear) and it could not be set up "
		           "again: %s",
		        dropped, why[0] ? why : pp_strerror(e));
	else
		set_err(s, "the session could not be set up again after a lost answer: %s", why[0] ? why : pp_strerror(e));
	s->err_final = true;
	return e;
}

/* Our side knows the session is out of step (a lost answer, a refused
 * large command): the next command restores it first. */
static void session_out_of_step(session *s)
{
	pp_channel_clear_sm(&s->ch);
}

/* ---- reading files ---------------------------------------------------------- */

/* One READ BINARY of up to `want` bytes at `offset`; offsets past 32767 use
 * the odd instruction B1 with the offset in DO'54 and the answer in DO'53. */
static pp_err read_binary(session *s, size_t offset, size_t want, buf *out, uint16_t *ret_sw)
{
	bool extended = want > APDU_MAX_SHORT_LE;
	if (offset <= 0x7FFF) {
		apdu cmd = { .cla = 0x00, .ins = 0xB0, .p1 = (uint8_t)(offset >> 8), .p2 = (uint8_t)offset,
			     .le = want, .extended = extended };
		return exchange(s, &cmd, out, ret_sw);
	}
	uint8_t off[5] = { 0x54, 0x03, (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset };
	/* DO'53 header (up to 4 bytes) travels inside the answer. */
	apdu cmd = { .cla = 0x00, .ins = 0xB1, .data = off, .lc = sizeof(off), .le = want + 4, .extended = extended };
	buf raw = BUF_INIT;
	pp_err e = exchange(s, &cmd, &raw, ret_sw);
	if (e == PP_OK && raw.len) {
		tlv t;
		if (tlv_parse_one(raw.data, raw.len, &t) != TLV_OK || t.tag != 0x53)
			e = PP_ERR_PARSE;
		else
			buf_append(out, t.value, t.len);
	}
	buf_free(&raw);
	return e;
}

/* Plain bytes that fit one protected answer of max_response bytes. */
static size_t plain_capacity(size_t max_response)
{
	/* DO'87 header (4) + padding indicator (1) + DO'99 (4) + DO'8E (10) +
	 * SW (2), and up to one block of padding. */
	size_t overhead = 4 + 1 + 4 + 10 + 2 + 16;
	return max_response > overhead ? max_response - overhead : 0;
}

/* The bytes the next READ BINARY asks for. */
static size_t read_size(const session *s)
{
	if (s->extended)
		return s->read_max;
	return s->read_max < SHORT_READ_MAX ? s->read_max : SHORT_READ_MAX;
}

/* After a read of `want` bytes failed: go on with half of it (not below
 * MIN_READ), for the rest of the document. False when it cannot shrink. */
static bool shrink_reads(session *s, size_t want)
{
	if (want <= MIN_READ)
		return false;
	size_t half = want / 2 < MIN_READ ? MIN_READ : want / 2;
	s->read_max = half;
	if (half <= SHORT_READ_MAX)
		s->extended = false;
	s->doc->size_reductions++;
	return true;
}

static void report_progress(session *s, size_t n)
{
	s->progress_done += n;
	if (s->progress_done > s->progress_expected)
		s->progress_done = s->progress_expected;
	if (s->opt->progress && n)
		s->opt->progress(s->progress_done, s->progress_expected, s->opt->progress_user);
}

/* Read the currently selected file whole. */
static pp_err read_file(session *s, const char *name, pp_file *f)
{
	buf data = BUF_INIT;
	size_t total = 0;    /* unknown until the header is in */
	size_t reported = 0; /* bytes of this file counted in the progress */
	unsigned retries_left = s->retries;
	pp_err e = PP_OK;

	while (total == 0 || data.len < total) {
		size_t want = read_size(s);
		if (total && total - data.len < want)
			want = total - data.len;
		size_t before = data.len;
		uint16_t sw = 0;
		e = read_binary(s, data.len, want, &data, &sw);
		f->apdus++;
		if (e == PP_ERR_COMM && s->extended && want > SHORT_READ_MAX) {
			/* The reader (not the chip) refused the large APDU. The
			 * command was wrapped, so our send sequence counter moved
			 * on while the chip's did not: start secure messaging
			 * afresh before going on with short reads. */
			data.len = before;
			s->extended = false;
			s->extended_ok = false;
			s->doc->short_fallbacks++;
			session_out_of_step(s);
			continue;
		}
		if (e == PP_ERR_TIMEOUT || e == PP_ERR_COMM) {
			/* The answer was lost. The chip may well have processed
			 * the command, its counter moving on twice and ours once:
			 * set the session up again, then ask for less. */
			data.len = before;
			s->doc->timeouts++;
			if (!shrink_reads(s, want)) {
				if (retries_left == 0) {
					set_err(s, "reading %s at offset %zu: %s, %u times in a row", name, before,
					        e == PP_ERR_TIMEOUT ? "the reader timed out" : "the link failed",
					        s->retries + 1);
					break;
				}
				retries_left--;
			}
			s->doc->retried_reads++;
			session_out_of_step(s);
			continue;
		}
		if (e != PP_OK) {
			set_err(s, "reading %s at offset %zu", name, before);
			break;
		}
		f->sw = sw;
		bool ended = sw == SW_WRONG_P1P2 || sw == SW_END_OF_FILE || (sw == SW_OK && data.len == before);
		if (total && data.len == before && ended) {
			/* The header promised more than the chip holds. */
			e = PP_ERR_PARSE;
			set_err(s, "%s is truncated: the chip holds %zu of the %zu bytes its header announces", name, before,
			        total);
			break;
		}
		if (sw != SW_OK && sw != SW_END_OF_FILE) {
			data.len = before;
			if (transient_sw(sw) && retries_left > 0) {
				retries_left--;
				s->doc->retried_reads++;
				shrink_reads(s, want);
				continue;
			}
			bool refused_size = sw != SW_WRONG_P1P2 && sw != SW_FILE_NOT_FOUND && sw != SW_SECURITY_STATUS;
			if (s->extended && want > SHORT_READ_MAX && refused_size) {
				/* The chip or reader refused a large read: go short
				 * for the rest of the session, same offset. */
				s->extended = false;
				s->extended_ok = false;
				s->doc->short_fallbacks++;
				retries_left = s->retries;
				continue;
			}
			e = status_error(s, sw, "reading %s at offset %zu", name, before);
			break;
		}
		if (data.len == before) {
			e = PP_ERR_PARSE; /* the chip answered no data before the end */
			set_err(s, "%s is empty", name);
			break;
		}
		retries_left = s->retries;
		if (total == 0) {
			size_t len = 0;
			lds_err le = lds_file_length(data.data, data.len, &len);
			if (le == LDS_ERR_NEED_MORE)
				continue;
			if (le != LDS_OK) {
				e = PP_ERR_PARSE;
				set_err(s, "%s has a malformed header", name);
				break;
			}
			total = len;
			s->progress_expected += total;
		}
		if (data.len > total)
			data.len = total; /* padding after the file's last object */
		report_progress(s, data.len - reported);
		reported = data.len;
	}
	if (!buf_ok(&data) && e == PP_OK)
		e = PP_ERR_NOMEM;
	if (e != PP_OK) {
		buf_free(&data);
		f->err = e;
		return e;
	}
	f->data = buf_steal(&data, &f->len);
	f->present = true;
	return PP_OK;
}

/* Select and read one elementary file. A file that does not exist is not an
 * error of the whole read: it is recorded in its pp_file. */
static pp_err read_ef(session *s, uint16_t fid, const char *name, pp_file *f)
{
	double start = now_seconds();
	unsigned long apdus0 = pp_transport_get_stats(s->t)->apdus;
	uint16_t sw = 0;
	pp_err e = select_file(s, fid, &sw);
	if (is_lost(e)) {
		/* The answer was lost: the session is out of step; select once
		 * more under a restored one. (A selection the chip failed in
		 * the clear the channel has already sent again.) */
		session_out_of_step(s);
		e = select_file(s, fid, &sw);
	}
	if (e == PP_OK && sw != SW_OK) {
		f->sw = sw;
		f->err = sw == SW_FILE_NOT_FOUND ? PP_ERR_FILE_NOT_FOUND : PP_ERR_STATUS;
		if (sw != SW_FILE_NOT_FOUND && sw != SW_SECURITY_STATUS)
			e = status_error(s, sw, "selecting %s", name);
	} else if (e == PP_OK) {
		e = read_file(s, name, f);
		/* A file the chip does not have, or keeps behind another access
		 * control, is recorded in f; any other failure ends the read, so
		 * a data group that could not be read is never passed over. */
		if (e == PP_ERR_FILE_NOT_FOUND || (e == PP_ERR_STATUS && f->sw == SW_SECURITY_STATUS))
			e = PP_OK;
	} else if (!is_removal(e)) {
		set_err(s, "selecting %s", name);
	}
	f->seconds = now_seconds() - start;
	f->apdus = pp_transport_get_stats(s->t)->apdus - apdus0;
	return e;
}

bool pp_dg_readable(int dg)
{
	return dg >= 1 && dg <= PP_MAX_DG && dg != 3 && dg != 4;
}

/* ---- the SOD's hash list ------------------------------------------------------ */

typedef enum sod_match {
	SOD_MATCH,
	SOD_MISMATCH,
	SOD_UNKNOWN,  /* the SOD is missing or unreadable, or does not cover the DG */
} sod_match;

/* Which data groups the SOD covers (passive authentication proper, with the
 * signature and the chain, is the caller's). */
static void sod_covered(session *s)
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
	for (size_t i = 0; i < list.n && !cam; i++)
		cam = list.entries[i].kind == SECINFO_PACE && strstr(list.entries[i].name, "-CAM-") != NULL;
	secinfo_list_free(&list);
	return cam;
}

/* DG14 has been read: PACE-CAM is checked against it, or CA runs with its
 * key (and re-keys the session). PP_ERR_CHIP_AUTH when the chip fails, and
 * when DG14 (checked against the SOD) says the chip does PACE-CAM but it
 * neither did nor passed chip authentication (a downgrade). */
static pp_err chip_authentication(session *s)
{
	pp_document *doc = s->doc;
	pp_chip_auth_report *ca = &doc->chip_auth;
	bool cam = s->pace && pp_pace_is_cam(s->pace);
	if (!doc->dg[14].present && doc->in_sod[14]) {
		/* A clone without the chip's key would rather hide DG14 than
		 * fail chip authentication. */
		ca->result = PP_AUTH_FAILED;
		set_text(ca->detail, sizeof(ca->detail), "the chip withholds DG14, which its EF.SOD covers");
		set_err(s, "possible cloned chip: %s", ca->detail);
		return PP_ERR_CHIP_AUTH;
	}
	if (!doc->dg[14].present) {
		ca->result = PP_AUTH_NOT_SUPPORTED;
		set_text(ca->detail, sizeof(ca->detail), "%s",
		         cam ? "PACE-CAM ran, but the chip has no DG14 to check it against"
		             : "the document has no DG14 (no chip authentication key)");
		return PP_OK;
	}
	sod_match m = sod_check(s, 14);
	if (m != SOD_MATCH) {
		ca->result = PP_AUTH_NOT_RUN;
		set_text(ca->detail, sizeof(ca->detail), "DG14 %s: its key is not trusted", sod_problem(m, 14));
		return PP_OK;
	}
	char why[PP_DETAIL_LEN] = "";
	if (cam) {
		snprintf(ca->method, sizeof(ca->method), "PACE-CAM");
		const pp_protocol_info *info = pp_pace_info(s->pace);
		if (info)
			ca->info = *info;
		pp_err e = verify_cam(s, &doc->dg[14], why, sizeof(why));
		if (e == PP_OK) {
			ca->result = PP_AUTH_PASSED;
			set_text(ca->detail, sizeof(ca->detail),
			         "the chip proved in PACE-CAM that it holds the private key of DG14");
			return PP_OK;
		}
		if (e == PP_ERR_CHIP_AUTH) {
			ca->result = PP_AUTH_FAILED;
			set_text(ca->detail, sizeof(ca->detail), "PACE-CAM: %s", why);
			set_err(s, "possible cloned chip: PACE chip authentication mapping failed: %s", why);
			return e;
		}
		if (e != PP_ERR_NOT_SUPPORTED) {
			set_err(s, "checking PACE-CAM against DG14: %s", why);
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
		ca->result = PP_AUTH_PASSED;
		set_text(ca->detail, sizeof(ca->detail),
		         "the chip proved that it holds the private key of DG14; the session is re-keyed");
		s->ca_done = true;
		return PP_OK;
	}
	if ((e == PP_ERR_NOT_SUPPORTED || e == PP_ERR_CRYPTO) && !cam && dg14_lists_cam(&doc->dg[14])) {
		ca->result = PP_AUTH_FAILED;
		set_text(ca->detail, sizeof(ca->detail),
		         "DG14 says the chip supports PACE-CAM but it did not perform it, and chip authentication "
		         "did not pass (%s)",
		         why[0] ? why : pp_strerror(e));
		set_err(s, "possible cloned chip: DG14 says the chip supports PACE-CAM but it did not perform it");
		return PP_ERR_CHIP_AUTH;
	}
	if (e == PP_ERR_NOT_SUPPORTED || e == PP_ERR_CRYPTO) {
		/* Nothing this chip did wrong: DG14 offers no protocol this
		 * reader runs, or this reader could not compute its side. */
		ca->result = PP_AUTH_NOT_SUPPORTED;
		set_text(ca->detail, sizeof(ca->detail), "%s", why[0] ? why : "DG14 offers no supported protocol");
		return PP_OK; /* a session the chip dropped is restored by the next command */
	}
	if (e == PP_ERR_CHIP_AUTH) {
		snprintf(ca->method, sizeof(ca->method), "CA");
		ca->info = info;
		ca->result = PP_AUTH_FAILED;
		set_text(ca->detail, sizeof(ca->detail), "%s", why);
		set_err(s, "possible cloned chip: chip authentication failed: %s", why);
		return e;
	}
	if (!is_removal(e)) {
		if (strncmp(why, "chip authentication", 19) == 0)
			set_err(s, "%s", why);
		else
			set_err(s, "chip authentication: %s", why[0] ? why : pp_strerror(e));
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

static pp_err active_authentication(session *s)
{
	pp_document *doc = s->doc;
	pp_active_auth_report *aa = &doc->active_auth;
	if (doc->chip_auth.result == PP_AUTH_PASSED) {
		aa->result = PP_AUTH_NOT_RUN;
		set_text(aa->detail, sizeof(aa->detail), "%s passed, which ICAO 9303 prefers to active authentication",
		         doc->chip_auth.method);
		return PP_OK;
	}
	if (!doc->dg[15].present && doc->in_sod[15]) {
		aa->result = PP_AUTH_FAILED;
		set_text(aa->detail, sizeof(aa->detail), "the chip withholds DG15, which its EF.SOD covers");
		set_err(s, "possible cloned chip: %s", aa->detail);
		return PP_ERR_CHIP_AUTH;
	}
	if (!doc->dg[15].present) {
		aa->result = PP_AUTH_NOT_SUPPORTED;
		set_text(aa->detail, sizeof(aa->detail), "the document has no DG15 (no active authentication key)");
		return PP_OK;
	}
	sod_match m = sod_check(s, 15);
	if (m != SOD_MATCH) {
		aa->result = PP_AUTH_NOT_RUN;
		set_text(aa->detail, sizeof(aa->detail), "DG15 %s: its key is not trusted", sod_problem(m, 15));
		return PP_OK;
	}
	lds_dg15 *dg15 = NULL;
	if (lds_dg15_parse(doc->dg[15].data, doc->dg[15].len, &dg15) != LDS_OK) {
		aa->result = PP_AUTH_NOT_RUN;
		set_text(aa->detail, sizeof(aa->detail), "DG15 cannot be parsed");
		return PP_OK;
	}
	pp_err e = PP_OK;
	aa_key_info key;
	crypto_err ce = aa_key_describe(dg15->der, dg15->der_len, &key);
	if (ce != CRYPTO_OK) {
		aa->result = ce == CRYPTO_ERR_UNSUPPORTED ? PP_AUTH_NOT_SUPPORTED : PP_AUTH_NOT_RUN;
		set_text(aa->detail, sizeof(aa->detail), "the DG15 key is %s",
		         ce == CRYPTO_ERR_UNSUPPORTED ? "of a kind this reader does not verify" : "malformed");
		goto out;
	}
	if (key.type == AA_KEY_RSA)
		set_text(aa->algorithm, sizeof(aa->algorithm), "RSA-%d, ISO/IEC 9796-2 scheme 1", key.bits);
	else
		set_text(aa->algorithm, sizeof(aa->algorithm), "ECDSA %s", key.curve);
	aa_hash hash = key.type == AA_KEY_EC ? dg14_aa_hash(doc) : AA_HASH_DEFAULT;
	uint8_t challenge[AA_CHALLENGE_LEN];
	buf sig = BUF_INIT;
	uint16_t sw = 0;
	int lost = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		/* A fresh challenge each time: an answer is never reused. */
		if (aa_challenge(challenge) != CRYPTO_OK) {
			e = PP_ERR_CRYPTO;
			set_err(s, "active authentication: no random challenge");
			goto out;
		}
		apdu cmd;
		aa_command(challenge, key.sig_len, &cmd);
		if (cmd.le > APDU_MAX_SHORT_LE && !s->extended_ok) {
			/* A short-only reader or chip: ask for 256 bytes; the
			 * chip sends the rest of a longer answer with 61XX. */
			cmd.le = APDU_MAX_SHORT_LE;
			cmd.extended = false;
		}
		sig.len = 0;
		e = exchange(s, &cmd, &sig, &sw);
		if (e == PP_OK && sw == SW_WRONG_LENGTH && cmd.le > APDU_MAX_SHORT_LE && attempt < 2) {
			/* Extended length refused: ask again with a short Le, and
			 * take the signature in 61XX pieces. */
			s->extended_ok = false;
			s->doc->short_fallbacks++;
			continue;
		}
		if (!is_lost(e) || lost++ == 1)
			break;
		/* The answer was lost (once is retried): the session is out of step. */
		s->doc->timeouts++;
		session_out_of_step(s);
	}
	if (e != PP_OK) {
		buf_free(&sig);
		if (!is_removal(e))
			set_err(s, "active authentication (INTERNAL AUTHENTICATE): %s", pp_strerror(e));
		goto out;
	}
	if (sw != SW_OK) {
		buf_free(&sig);
		char text[PP_SW_TEXT_LEN];
		if (sw == SW_WRONG_LENGTH || (sw >> 8) == 0x6C) {
			/* Not the chip's key at fault: its answer does not fit. */
			status_error(s, sw, "active authentication: the chip cannot send its signature over this reader");
			e = PP_ERR_STATUS;
			goto out;
		}
		s->doc->error_sw = sw;
		aa->result = PP_AUTH_FAILED;
		set_text(aa->detail, sizeof(aa->detail),
		         "the chip refused INTERNAL AUTHENTICATE (status %s) although DG15 holds its key",
		         pp_sw_text(sw, text));
		set_err(s, "possible cloned chip: active authentication failed: %s", aa->detail);
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
		set_text(aa->detail, sizeof(aa->detail),
		         "the chip's signature uses a hash this reader cannot verify, so the chip is not proven");
		set_err(s, "possible cloned chip: active authentication failed: %s", aa->detail);
		e = PP_ERR_CHIP_AUTH;
		goto out;
	}
	if (ce != CRYPTO_OK) {
		e = PP_ERR_CRYPTO;
		set_err(s, "active authentication: the signature could not be checked");
		goto out;
	}
	if (res.hash != AA_HASH_DEFAULT)
		set_text(aa->hash, sizeof(aa->hash), "%s", aa_hash_name(res.hash));
	if (res.scheme[0] && key.type == AA_KEY_RSA)
		set_text(aa->algorithm, sizeof(aa->algorithm), "RSA-%d, %s", key.bits, res.scheme);
	set_text(aa->detail, sizeof(aa->detail), "%s", res.detail);
	if (res.passed) {
		aa->result = PP_AUTH_PASSED;
	} else {
		aa->result = PP_AUTH_FAILED;
		set_err(s, "possible cloned chip: the active authentication signature did not verify (%s)",
		        aa_failure_str(res.failure));
		e = PP_ERR_CHIP_AUTH;
	}
out:
	lds_dg15_free(dg15);
	return e;
}

/* ---- the whole read ----------------------------------------------------------- */

static pp_err read_dg(session *s, int dg)
{
	char name[8];
	snprintf(name, sizeof(name), "DG%d", dg);
	return read_ef(s, lds_file_fid(lds_file_dg(dg)), name, &s->doc->dg[dg]);
}

static pp_err read_all(session *s)
{
	pp_document *doc = s->doc;
	double t0 = now_seconds();
	pp_err e = pp_transport_connect(s->t, s->opt->wait_ms);
	if (e != PP_OK)
		return e;
	snprintf(doc->reader, sizeof(doc->reader), "%s", pp_transport_reader_name(s->t));
	double t1 = now_seconds();
	doc->connect_seconds = t1 - t0;

	pp_transport_caps caps;
	if (pp_transport_capabilities(s->t, &caps) != PP_OK)
		caps = (pp_transport_caps){ .max_response = 258 };
	s->extended_ok = caps.extended_length && !s->opt->short_only;
	s->extended = s->extended_ok;
	s->read_max = s->extended ? plain_capacity(caps.max_response) : SHORT_READ_MAX;
	if (s->opt->max_read && s->opt->max_read < s->read_max)
		s->read_max = s->opt->max_read;
	if (s->read_max <= SHORT_READ_MAX)
		s->extended = false;

	/* A lost answer before the session is up costs nothing to redo:
	 * start that step over once. */
	e = read_card_access(s);
	if (is_lost(e)) {
		file_clear(&doc->card_access);
		doc->card_access = (pp_file){ 0 };
		doc->card_access_selection[0] = '\0';
		e = read_card_access(s);
	}
	if (e != PP_OK)
		return e;
	pp_channel_begin_access(&s->ch);
	e = access_control(s);
	if (is_lost(e)) {
		pp_channel_clear_sm(&s->ch);
		pp_pace_free(s->pace);
		s->pace = NULL;
		s->pace_session = false;
		memset(&doc->pace, 0, sizeof(doc->pace));
		doc->bac_fallback = false;
		e = access_control(s);
	}
	pp_channel_end_access(&s->ch);
	if (e != PP_OK)
		return e;
	double t2 = now_seconds();
	doc->access_seconds = t2 - t1;

	e = read_ef(s, lds_file_fid(LDS_FILE_COM), "EF.COM", &doc->com);
	if (e != PP_OK)
		return e;
	if (!doc->com.present) {
		if (doc->com.err == PP_ERR_FILE_NOT_FOUND)
			set_err(s, "reading EF.COM: the chip has no such file");
		return doc->com.err;
	}
	lds_com com;
	lds_err le = lds_com_parse(doc->com.data, doc->com.len, &com);
	if (le != LDS_OK) {
		set_err(s, "EF.COM: %s", lds_strerror(le));
		return PP_ERR_PARSE;
	}
	for (size_t i = 0; i < com.n_files; i++)
		if (com.files[i] >= LDS_FILE_DG1 && com.files[i] <= LDS_FILE_DG16)
			doc->listed[com.files[i]] = true;

	e = read_ef(s, lds_file_fid(LDS_FILE_SOD), "EF.SOD", &doc->sod);
	if (e != PP_OK)
		return e;
	sod_covered(s);

	/* Every data group EF.COM lists or the SOD covers; DG14 first, for
	 * chip authentication to protect the rest of the read. */
	bool wanted[PP_MAX_DG + 1] = { false };
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		wanted[dg] = (doc->listed[dg] || doc->in_sod[dg]) && pp_dg_readable(dg);
	if (wanted[14] && (e = read_dg(s, 14)) != PP_OK)
		return e;
	pp_channel_begin_access(&s->ch);
	e = chip_authentication(s);
	pp_channel_end_access(&s->ch);
	if (e != PP_OK)
		return e;
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		if (!wanted[dg] || dg == 14)
			continue;
		if ((e = read_dg(s, dg)) != PP_OK)
			return e;
	}
	if ((e = active_authentication(s)) != PP_OK)
		return e;
	doc->read_seconds = now_seconds() - t2;
	doc->extended_length = s->extended;
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
	pp_channel_set_restore(&s->ch, restore_session, s);
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
	double start = now_seconds();

	pp_err e = read_all(s);

	doc->total_seconds = now_seconds() - start;
	doc->apdus = st->apdus - before.apdus;
	doc->bytes_sent = st->bytes_sent - before.bytes_sent;
	doc->bytes_received = st->bytes_received - before.bytes_received;
	doc->read_size = read_size(s);
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
