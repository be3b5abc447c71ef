/*
 * ef-read — selecting and reading elementary files under secure
 * messaging: the application and the master file, whole files named by
 * their short identifier in the first READ BINARY (SELECT when the chip
 * refuses that), read sizes that adapt to the reader and chip (extended
 * length, short reads, smaller after a failure), retries after transient
 * statuses and lost answers, progress. See reader.c for the whole read.
 */
#include "hal/passport/reader-internal.h"

#include "crypto/tlv.h"
#include "crypto/lds/lds.h"
#include "hal/passport/sw-internal.h"

static const uint8_t emrtd_aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

/* ---- selection ------------------------------------------------------------ */

pp_err rd_select_application(session *s)
{
	crypto_apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = emrtd_aid, .lc = sizeof(emrtd_aid) };
	uint16_t sw = 0;
	pp_err e = rd_command(s, &cmd, &sw);
	if (e != PP_OK)
		return e;
	if (sw != SW_OK) {
		pp_sw_kind k = pp_sw_kind_of(sw);
		e = rd_status_error(s, sw, "selecting the eMRTD application");
		/* No such application (or one this card cannot select): not a
		 * passport. Anything else is the chip refusing the command. */
		return k == PP_SW_NO_FILE || k == PP_SW_BAD_COMMAND ? PP_ERR_NOT_EMRTD : e;
	}
	s->current_fid = 0;
	return PP_OK;
}

/* Back to the master file, where PACE runs (in the clear). */
pp_err rd_select_mf(session *s)
{
	static const uint8_t mf[] = { FID_MF >> 8, FID_MF & 0xFF };
	crypto_apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C, .data = mf, .lc = sizeof(mf) };
	uint16_t sw = 0;
	pp_err e = rd_command(s, &cmd, &sw);
	if (e == PP_OK && sw != SW_OK)
		e = rd_status_error(s, sw, "selecting the master file");
	s->current_fid = 0;
	return e;
}

pp_err rd_select_file(session *s, uint16_t fid, uint16_t *ret_sw)
{
	uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	/* No file is current while the selection is under way, so that a
	 * session restored meanwhile selects nothing. */
	s->current_fid = 0;
	crypto_apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = id, .lc = 2 };
	pp_err e = rd_command(s, &cmd, ret_sw);
	if (e == PP_OK && *ret_sw == SW_OK)
		s->current_fid = fid;
	return e;
}

/* ---- reading files ---------------------------------------------------------- */

/* One READ BINARY of up to `want` bytes at `offset` of the current file, or
 * (sfi != 0, offset 0) of the file with that short identifier, which it
 * makes current (ISO/IEC 7816-4, 7.2.3: P1 = 80 | SFI, P2 = the offset);
 * offsets past 32767 use the odd instruction B1 with the offset in DO'54
 * and the answer in DO'53. */
static pp_err read_binary(session *s, uint8_t sfi, size_t offset, size_t want, crypto_buf *out, uint16_t *ret_sw)
{
	bool extended = want > APDU_MAX_SHORT_LE;
	if (sfi && offset == 0) {
		crypto_apdu cmd = { .cla = 0x00, .ins = 0xB0, .p1 = (uint8_t)(0x80 | sfi), .le = want, .extended = extended };
		return rd_exchange(s, &cmd, out, ret_sw);
	}
	if (offset <= 0x7FFF) {
		crypto_apdu cmd = { .cla = 0x00, .ins = 0xB0, .p1 = (uint8_t)(offset >> 8), .p2 = (uint8_t)offset,
			     .le = want, .extended = extended };
		return rd_exchange(s, &cmd, out, ret_sw);
	}
	uint8_t off[5] = { 0x54, 0x03, (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset };
	/* DO'53 header (up to 4 bytes) travels inside the answer. */
	crypto_apdu cmd = { .cla = 0x00, .ins = 0xB1, .data = off, .lc = sizeof(off), .le = want + 4, .extended = extended };
	crypto_buf raw = CRYPTO_BUF_INIT;
	pp_err e = rd_exchange(s, &cmd, &raw, ret_sw);
	if (e == PP_OK && raw.len) {
		crypto_tlv t;
		if (tlv_parse_one(raw.data, raw.len, &t) != TLV_OK || t.tag != 0x53)
			e = PP_ERR_PARSE;
		else
			buf_append(out, t.value, t.len);
	}
	buf_free(&raw);
	return e;
}

/* Plain bytes that fit one protected answer of max_response bytes. */
size_t rd_plain_capacity(size_t max_response)
{
	/* DO'87 header (4) + padding indicator (1) + DO'99 (4) + DO'8E (10) +
	 * SW (2), and up to one block of padding. */
	size_t overhead = 4 + 1 + 4 + 10 + 2 + 16;
	return max_response > overhead ? max_response - overhead : 0;
}

/* The bytes the next READ BINARY asks for. */
size_t rd_read_size(const session *s)
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

/* A status the chip sent in the clear twice (the channel asked again
 * under a restored session) ends the read: it carries no MAC, so a file
 * is never recorded as withheld or refused on its word. 6A82 (no such
 * file), which chips that answer errors in the clear send for a data group
 * EF.COM lists but they lack, is the exception; what a missing group
 * means is decided later, against the SOD. */
static pp_err clear_refusal(session *s, uint16_t sw, const char *name)
{
	char text[PP_SW_TEXT_LEN];
	rd_set_err(s, "%s: the chip answered %s in the clear, again after the session was set up afresh", name,
	           pp_sw_text(sw, text));
	s->err_final = true;
	s->doc->error_sw = sw;
	return PP_ERR_SM_ENDED;
}

/* Statuses with which a chip refuses to have a file named by its short
 * identifier, rather than refusing the read (ISO/IEC 7816-4, 5.6 and
 * 7.2.3): the function (6A81) or the instruction (6D00) not supported, no
 * current EF (6986: the SFI was not taken as a selection), P1-P2 wrong
 * (6A86, and 6B00 from a chip that takes P1 for the high byte of an offset,
 * 8000 and beyond, past the end of any file); or no such file (6A82), which
 * is also how a chip reports an absent data group: the SELECT that follows
 * tells which. Not 6E00: the class byte is the same in every protected
 * command, so it says nothing of short identifiers and stands as an error;
 * nor 6700, which is the extended length refused (read_file goes short). */
static bool sfi_refusal(uint16_t sw)
{
	return sw == SW_FUNC_NOT_SUPPORTED || sw == SW_INS_NOT_SUPPORTED || sw == SW_NO_CURRENT_EF ||
	       sw == SW_INCORRECT_P1P2 || sw == SW_WRONG_P1P2 || sw == SW_FILE_NOT_FOUND;
}

/* Read a file whole: the current one (sfi 0), or the one whose short
 * identifier the first READ BINARY names (offset 0, until one is answered
 * with data; a read asked again after a lost answer or a transient status
 * names it again, the session restored meanwhile having selected
 * nothing). Once it has answered, the file is current (fid, which a
 * restored session selects again) and the rest is read from it at the
 * offset. When the chip refuses to read by SFI (sfi_refusal), PP_OK with
 * the status in *ret_refused and f untouched but its sw: the caller
 * selects the file instead. */
static pp_err read_file(session *s, const char *name, uint8_t sfi, uint16_t fid, pp_file *f, uint16_t *ret_refused)
{
	crypto_buf data = CRYPTO_BUF_INIT;
	size_t total = 0;    /* unknown until the header is in */
	size_t reported = 0; /* bytes of this file counted in the progress */
	unsigned retries_left = s->retries;
	pp_err e = PP_OK;

	if (sfi)
		s->current_fid = 0; /* none until the chip has answered */
	while (total == 0 || data.len < total) {
		size_t want = rd_read_size(s);
		if (total && total - data.len < want)
			want = total - data.len;
		size_t before = data.len;
		uint16_t sw = 0;
		e = read_binary(s, sfi, data.len, want, &data, &sw);
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
			rd_session_out_of_step(s);
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
					rd_set_err(s, "reading %s at offset %zu: %s, %u times in a row", name, before,
					        e == PP_ERR_TIMEOUT ? "the reader timed out" : "the link failed",
					        s->retries + 1);
					break;
				}
				retries_left--;
			}
			s->doc->retried_reads++;
			rd_session_out_of_step(s);
			continue;
		}
		if (e != PP_OK) {
			rd_set_err(s, "reading %s at offset %zu", name, before);
			break;
		}
		f->sw = sw;
		if (sfi && before == 0 && sfi_refusal(sw)) {
			/* Taken whether it came protected or (twice) in the
			 * clear: it only makes the reader select the file, which
			 * costs a command, never a file. */
			buf_free(&data);
			*ret_refused = sw;
			return PP_OK;
		}
		bool ended = sw == SW_WRONG_P1P2 || sw == SW_END_OF_FILE || (sw == SW_OK && data.len == before);
		if (total && data.len == before && ended) {
			/* The header promised more than the chip holds. */
			e = PP_ERR_PARSE;
			rd_set_err(s, "%s is truncated: the chip holds %zu of the %zu bytes its header announces", name, before,
			        total);
			break;
		}
		if (sw != SW_OK && sw != SW_END_OF_FILE && s->ch.sm_dropped && sw != SW_WRONG_LENGTH) {
			/* The chip refused in the clear, again under a fresh
			 * session: nothing proves that status, so it is not taken
			 * as the file's (withheld, absent, ...). */
			e = clear_refusal(s, sw, name);
			break;
		}
		if (sw != SW_OK && sw != SW_END_OF_FILE) {
			data.len = before;
			if (rd_transient_sw(sw) && retries_left > 0) {
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
			e = rd_status_error(s, sw, "reading %s at offset %zu", name, before);
			break;
		}
		if (data.len == before) {
			e = PP_ERR_PARSE; /* the chip answered no data before the end */
			rd_set_err(s, "%s is empty", name);
			break;
		}
		if (sfi) {
			s->current_fid = fid; /* selected by the read */
			sfi = 0;
		}
		retries_left = s->retries;
		if (total == 0) {
			size_t len = 0;
			lds_err le = lds_file_length(data.data, data.len, &len);
			if (le == LDS_ERR_NEED_MORE)
				continue;
			if (le != LDS_OK) {
				e = PP_ERR_PARSE;
				rd_set_err(s, "%s has a malformed header", name);
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

/* Read a file whole (see read_file). A file the chip does not have, or
 * keeps behind another access control, is recorded in f; any other
 * failure ends the read, so a data group that could not be read is never
 * passed over. */
static pp_err read_recorded(session *s, const char *name, uint8_t sfi, uint16_t fid, pp_file *f,
                            uint16_t *ret_refused)
{
	pp_err e = read_file(s, name, sfi, fid, f, ret_refused);
	if (e == PP_ERR_FILE_NOT_FOUND || (e == PP_ERR_STATUS && f->sw == SW_SECURITY_STATUS)) {
		e = PP_OK;
		s->doc->error_sw = 0; /* recorded in f; it did not end the read */
	}
	return e;
}

/* SELECT the file, then read it. sfi_refused: the status with which the
 * chip has just refused to read it by short identifier (0: none). Unless
 * that was 6A82 and the SELECT says 6A82 too (the file is absent, which is
 * no sign against SFIs), the chip does not read by SFI: every later file
 * of the session is selected, and the document says why. */
static pp_err select_and_read(session *s, uint16_t fid, const char *name, pp_file *f, uint16_t sfi_refused)
{
	uint16_t sw = 0;
	pp_err e = rd_select_file(s, fid, &sw);
	if (rd_is_lost(e)) {
		/* The answer was lost: the session is out of step; select once
		 * more under a restored one. (A selection the chip failed in
		 * the clear the channel has already sent again.) */
		rd_session_out_of_step(s);
		e = rd_select_file(s, fid, &sw);
	}
	if (e == PP_OK && sfi_refused && (sfi_refused != SW_FILE_NOT_FOUND || sw != SW_FILE_NOT_FOUND)) {
		s->select_files = true;
		s->doc->sfi_refused_sw = sfi_refused;
	}
	if (e == PP_OK && sw != SW_OK && sw != SW_FILE_NOT_FOUND && s->ch.sm_dropped) {
		f->sw = sw;
		f->err = PP_ERR_SM_ENDED;
		e = clear_refusal(s, sw, name);
	} else if (e == PP_OK && sw != SW_OK) {
		f->sw = sw;
		f->err = sw == SW_FILE_NOT_FOUND ? PP_ERR_FILE_NOT_FOUND : PP_ERR_STATUS;
		if (sw != SW_FILE_NOT_FOUND && sw != SW_SECURITY_STATUS)
			e = rd_status_error(s, sw, "selecting %s", name);
	} else if (e == PP_OK) {
		e = read_recorded(s, name, 0, fid, f, NULL);
	} else if (!rd_is_removal(e)) {
		rd_set_err(s, "selecting %s", name);
	}
	return e;
}

/* Read one elementary file: by its short identifier in the first READ
 * BINARY while the chip takes that, else selected first. A file that does
 * not exist is not an error of the whole read: it is recorded in its
 * pp_file. */
pp_err rd_read_ef(session *s, lds_file file, const char *name, pp_file *f)
{
	double start = rd_now_seconds();
	unsigned long apdus0 = pp_transport_get_stats(s->t)->apdus;
	uint16_t fid = lds_file_fid(file);
	uint8_t sfi = s->select_files ? 0 : lds_file_sfi(file);
	uint16_t refused = 0;
	pp_err e = PP_OK;
	if (sfi)
		e = read_recorded(s, name, sfi, fid, f, &refused);
	if (e == PP_OK && (!sfi || refused))
		e = select_and_read(s, fid, name, f, refused);
	f->seconds = rd_now_seconds() - start;
	f->apdus = pp_transport_get_stats(s->t)->apdus - apdus0;
	return e;
}

bool pp_dg_readable(int dg)
{
	return dg >= 1 && dg <= PP_MAX_DG && dg != 3 && dg != 4;
}
