/*
 * card-access — finding and reading EF.CardAccess, in the clear, before
 * access control: the selections chips insist on (by file id with P1 02
 * or 00, with Le, READ BINARY by short file id), each asked again after a
 * lost answer or a transient status. See reader.c for the whole read.
 */
#include "hal/passport/reader-internal.h"

#include <stdio.h>

#include "crypto/lds/lds.h"

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
static pp_err read_plain_ef(session *s, uint8_t sfi, crypto_buf *data, uint16_t *ret_sw)
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
		crypto_apdu cmd = { .cla = 0x00, .ins = 0xB0, .le = le };
		if (sfi && offset == 0) {
			cmd.p1 = (uint8_t)(0x80 | sfi);
		} else {
			cmd.p1 = (uint8_t)(offset >> 8);
			cmd.p2 = (uint8_t)offset;
		}
		uint16_t sw = 0;
		pp_err e = rd_exchange(s, &cmd, data, &sw);
		if (rd_is_lost(e)) {
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
			if (rd_transient_sw(sw) && retries_left > 0) {
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
	crypto_apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = v->p1, .p2 = v->p2, .data = fid, .lc = sizeof(fid), .le = v->le };
	for (unsigned retries_left = s->retries;; retries_left--) {
		pp_err e = rd_command(s, &cmd, ret_sw);
		bool lost = rd_is_lost(e);
		if ((!lost && !(e == PP_OK && rd_transient_sw(*ret_sw))) || retries_left == 0)
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
pp_err rd_read_card_access(session *s)
{
	pp_file *f = &s->doc->card_access;
	double start = rd_now_seconds();
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
		crypto_buf data = CRYPTO_BUF_INIT;
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
			if (rd_transient_sw(sw) && (!v->sfi || partly_read)) {
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
		rd_set_err(s, "reading EF.CardAccess (%s)", v->name);
		result = e;
		break;
	}
	if (result == PP_OK && !f->present && unread) {
		rd_set_err(s, "reading EF.CardAccess (%s): status %04X, %u times in a row; the document may be at the edge "
		           "of the field",
		        unread, unread_sw, s->retries + 1);
		f->err = PP_ERR_STATUS;
		f->sw = unread_sw;
		result = PP_ERR_STATUS;
	}
	if (result == PP_OK && !f->present && f->sw && f->sw != SW_FILE_NOT_FOUND && f->err == PP_ERR_FILE_NOT_FOUND)
		f->err = PP_ERR_STATUS;
	f->seconds = rd_now_seconds() - start;
	f->apdus = pp_transport_get_stats(s->t)->apdus - apdus0;
	return result;
}
