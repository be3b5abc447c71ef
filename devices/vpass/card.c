/*
 * vpass card — the chip itself: its state and life, the APDU loop (plain
 * and protected commands, answers in 61XX pieces, the radio-link timing)
 * and the faults it can be told to produce (see vpass_options); what each
 * command does is in commands.c.
 *
 * State it keeps, as a real chip does in RAM: which DF is selected (MF or
 * the eMRTD application), the current EF, the last challenge, and the
 * secure messaging session. Any SM error, or a plain command other than
 * the ones that start over (SELECT of the application, GET CHALLENGE), ends
 * the session (ICAO 9303 part 11, 9.8.6); so does any status sent in the
 * clear while a session is open, which is how the terminal can tell.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/aa.h"
#include "crypto/apdu.h"
#include "crypto/bac.h"
#include "crypto/sm.h"
#include "crypto/tlv.h"
#include "devices/vpass/eac_card.h"
#include "devices/vpass/card-internal.h"


static void end_session(vpass_card *card)
{
	card->sm_active = false;
	OPENSSL_cleanse(&card->sm, sizeof card->sm);
}

void vpass_card_reset(vpass_card *card)
{
	if (!card)
		return;
	card->app_selected = false;
	card->current = NULL;
	card->challenge_valid = false;
	card->pending_session = false;
	card->drop_session = false;
	card->lose_answer = false;
	card->had_session = false;
	card->protected_cmds = 0;
	OPENSSL_cleanse(&card->pending_sm, sizeof card->pending_sm);
	end_session(card);
	vpass_eac_reset(card->eac);
	card->pieces.len = 0;
	card->pieces_off = 0;
}

vpass_result vpass_card_new(const vpass_doc *doc, const vpass_options *opts, vpass_card **ret)
{
	if (!doc || !ret)
		return VPASS_ERR_ARG;
	if (!doc->has_access)
		return VPASS_ERR_NO_ACCESS;
	vpass_card *card = calloc(1, sizeof(*card));
	if (!card)
		return VPASS_ERR_NOMEM;
	vpass_result r = vpass_doc_copy(doc, &card->doc);
	if (r != VPASS_OK)
		goto out_free_card;
	if (bac_keys_from_mrz(doc->doc_number, doc->birth_date, doc->expiry_date, &card->keys) != CRYPTO_OK) {
		r = VPASS_ERR_NO_ACCESS;
		goto out_free_card;
	}
	card->eac = vpass_eac_new();
	if (!card->eac) {
		r = VPASS_ERR_NOMEM;
		goto out_free_card;
	}
	if (opts)
		card->opts = *opts;
	card->present = true;
	*ret = card;
	return VPASS_OK;
out_free_card:
	vpass_card_free(card);
	return r;
}

void vpass_card_free(vpass_card *card)
{
	if (!card)
		return;
	vpass_doc_free(card->doc);
	EVP_PKEY_free(card->aa_clone_key);
	vpass_eac_free(card->eac);
	buf_free(&card->pieces);
	OPENSSL_cleanse(card, sizeof(*card));
	free(card);
}

size_t vpass_card_atr(const vpass_card *card, uint8_t out[33])
{
	/* PC/SC part 3, 3.1.3.2.3: an ISO 14443-4 type B card. Historical bytes:
	 * ATQB application data (4), protocol info (3), MBLI nibble (1). */
	static const uint8_t hist[] = { 0x00, 0x00, 0x00, 0x00, 0x33, 0x81, 0x81, 0x00 };
	(void)card;
	size_t n = 0;
	out[n++] = 0x3B;
	out[n++] = (uint8_t)(0x80 | sizeof hist); /* T0: TD1 follows, K historical bytes */
	out[n++] = 0x80;                          /* TD1: TD2 follows, T=0 */
	out[n++] = 0x01;                          /* TD2: T=1 */
	memcpy(out + n, hist, sizeof hist);
	n += sizeof hist;
	uint8_t tck = 0;
	for (size_t i = 1; i < n; i++)
		tck ^= out[i];
	out[n++] = tck;
	return n;
}

/* ---- the APDU loop ---- */

/* Most plain bytes a protected response can carry within max_body bytes of
 * data objects: DO'87 (01 + padded cryptogram), DO'99 (4), DO'8E (10). */
size_t vpass_card_sm_room(const vpass_card *card, size_t max_body)
{
	size_t block = card->sm_active ? card->sm.block_len : 8; /* 16 under AES */
	size_t padded = (max_body - 15) / block * block;
	while (padded > 0 && tlv_total_len(0x87, padded + 1) + 14 > max_body)
		padded -= block;
	return padded ? padded - 1 : 0;
}

static void answer_clear(vpass_card *card, uint16_t sw, crypto_buf *out)
{
	/* A status in the clear ends any session. */
	end_session(card);
	buf_append_byte(out, (uint8_t)(sw >> 8));
	buf_append_byte(out, (uint8_t)sw);
}

/* An error status, not a warning (62XX, 63XX) or "more data" (61XX). */
static bool is_error(uint16_t sw)
{
	return (sw >> 12) == 6 && (sw >> 8) > 0x63;
}

static void finish_command(vpass_card *card)
{
	if (card->drop_session)
		end_session(card);
	if (card->pending_session) {
		card->sm = card->pending_sm;
		card->sm_active = true;
		card->had_session = true;
	}
	card->pending_session = false;
	card->drop_session = false;
	OPENSSL_cleanse(&card->pending_sm, sizeof card->pending_sm);
}

static void respond_secured(vpass_card *card, const uint8_t *cmd, size_t len, bool extended, crypto_buf *out)
{
	if (!card->sm_active) {
		card->stats.sm_errors++;
		answer_clear(card, SW_SM_INCORRECT, out);
		return;
	}
	card->protected_cmds++;
	if (card->opts.drop_sm && card->protected_cmds == (card->opts.drop_sm_at ? card->opts.drop_sm_at : 1)) {
		card->stats.sm_drops++;
		answer_clear(card, card->opts.drop_sm, out);
		return;
	}
	crypto_apdu plain;
	crypto_buf storage = CRYPTO_BUF_INIT;
	crypto_err e = sm_card_unwrap_command(&card->sm, cmd, len, &plain, &storage);
	if (e != CRYPTO_OK) {
		card->stats.sm_errors++;
		answer_clear(card, e == CRYPTO_ERR_FORMAT ? SW_SM_MISSING : SW_SM_INCORRECT, out);
		goto out_free_storage;
	}
	reply r = { .data = CRYPTO_BUF_INIT };
	r.sw = vpass_card_execute(card, &plain, true, vpass_card_sm_room(card, extended ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE), &r);
	if (!buf_ok(&r.data)) {
		buf_free(&r.data);
		r = (reply){ .data = CRYPTO_BUF_INIT, .sw = SW_UNKNOWN };
	}
	if (card->opts.plain_errors && is_error(r.sw) && !card->pending_session) {
		buf_free(&r.data);
		card->stats.sm_drops++;
		card->drop_session = false;
		answer_clear(card, r.sw, out);
		goto out_free_storage;
	}
	size_t start = out->len;
	e = sm_card_wrap_response(&card->sm, r.data.data, r.data.len, r.sw, out);
	buf_free(&r.data);
	if (e != CRYPTO_OK) {
		out->len = start;
		answer_clear(card, SW_UNKNOWN, out);
		goto out_free_storage;
	}
	if (card->opts.corrupt_mac && out->len - start >= 3)
		out->data[out->len - 3] ^= 0x5A; /* last MAC byte, before SW1 SW2 */
	finish_command(card);
out_free_storage:
	if (storage.data)
		OPENSSL_cleanse(storage.data, storage.cap);
	buf_free(&storage);
}

/* A plain command that (re)starts access control, or fetches the rest of
 * an answer: the only ones a terminal may send in the clear once a session
 * has been up. */
static bool starts_access(const crypto_apdu *a)
{
	switch (a->ins) {
	case INS_SELECT:
		return a->p1 == 0x04 || (a->lc == 2 && a->data[0] == (FID_MF >> 8) && a->data[1] == (FID_MF & 0xFF));
	case INS_GET_CHALLENGE:
	case INS_EXTERNAL_AUTH:
	case INS_GET_RESPONSE:
	case 0x86: /* GENERAL AUTHENTICATE (PACE) */
		return true;
	case 0x22: /* MSE:Set AT for PACE */
		return a->p1 == 0xC1 && a->p2 == 0xA4;
	default:
		return false;
	}
}

static void respond_plain(vpass_card *card, const crypto_apdu *a, crypto_buf *out)
{
	if (card->had_session && !starts_access(a))
		card->stats.plain_after_access++;
	if (card->sm_active) {
		/* Starting over is allowed; anything else needs SM. */
		bool restart = a->ins == INS_GET_CHALLENGE || (a->ins == INS_SELECT && a->p1 == 0x04);
		if (!restart) {
			card->stats.sm_errors++;
			answer_clear(card, SW_SM_MISSING, out);
			return;
		}
		end_session(card);
	}
	reply r = { .data = CRYPTO_BUF_INIT };
	r.sw = vpass_card_execute(card, a, false, a->extended ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE, &r);
	buf_append(out, r.data.data, r.data.len);
	buf_free(&r.data);
	buf_append_byte(out, (uint8_t)(r.sw >> 8));
	buf_append_byte(out, (uint8_t)r.sw);
	finish_command(card);
}

static void respond(vpass_card *card, const uint8_t *cmd, size_t len, crypto_buf *out)
{
	crypto_apdu a;
	if (apdu_decode(cmd, len, &a) != CRYPTO_OK) {
		answer_clear(card, SW_WRONG_LENGTH, out);
		return;
	}
	card->last_extended = a.extended;
	if (a.extended && card->opts.short_only) {
		answer_clear(card, SW_WRONG_LENGTH, out);
		return;
	}
	switch (a.cla) {
	case 0x00:
	case 0x10: /* command chaining (PACE) */
		respond_plain(card, &a, out);
		return;
	case 0x0C:
	case 0x1C:
		respond_secured(card, cmd, len, a.extended, out);
		return;
	default:
		answer_clear(card, SW_CLA_NOT_SUPPORTED, out);
		return;
	}
}

/* Is this GET RESPONSE, for the pieces of the last answer? */
static bool is_get_response(const vpass_card *card, const uint8_t *cmd, size_t len, size_t *ret_le)
{
	crypto_apdu a;
	if (card->pieces.len == 0 || apdu_decode(cmd, len, &a) != CRYPTO_OK)
		return false;
	if (a.cla != 0x00 || a.ins != INS_GET_RESPONSE || a.p1 || a.p2 || a.lc || a.extended)
		return false;
	*ret_le = a.le ? a.le : SHORT_PIECE;
	return true;
}

/* Hand out the next piece of a long answer: up to `want` body bytes, then
 * 61XX while more is left, or the answer's own status with the last. */
static void next_piece(vpass_card *card, size_t want, crypto_buf *out)
{
	size_t body = card->pieces.len - 2;
	size_t left = body - card->pieces_off;
	size_t n = want < left ? want : left;
	buf_append(out, card->pieces.data + card->pieces_off, n);
	card->pieces_off += n;
	left -= n;
	if (left) {
		buf_append_byte(out, 0x61);
		buf_append_byte(out, (uint8_t)(left >= SHORT_PIECE ? 0x00 : left));
		return;
	}
	buf_append(out, card->pieces.data + body, 2);
	card->pieces.len = 0;
	card->pieces_off = 0;
}

/* An answer too long for a short command becomes the first piece; the
 * rest waits for GET RESPONSE. */
static void split_long_answer(vpass_card *card, crypto_buf *out)
{
	if (card->last_extended || !buf_ok(out) || out->len <= SHORT_PIECE + 2)
		return;
	buf_free(&card->pieces);
	card->pieces = *out;
	card->pieces_off = 0;
	*out = CRYPTO_BUF_INIT;
	next_piece(card, SHORT_PIECE, out);
}

static double monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Return no sooner than `start + seconds`: the host's own processing is
 * part of the modelled time, not added to it. */
static void sleep_until(double start, double seconds)
{
	double end = start + seconds;
	struct timespec ts;
	ts.tv_sec = (time_t)end;
	ts.tv_nsec = (long)((end - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The radio link's share of an exchange (answered, or lost when resp_len
 * is 0 and lost is set): counted, and waited for when the model is on. */
static void apply_link(vpass_card *card, double start, size_t cmd_len, size_t resp_len, bool lost)
{
	vpass_link link = card->opts.link;
	if (card->link_kbps)
		link.bit_rate_kbps = card->link_kbps;
	if (!link.enabled || !vpass_link_valid(&link))
		return;
	size_t fsc = card->link_fsc ? card->link_fsc : link.frame_size;
	size_t fsd = card->link_fsd ? card->link_fsd : link.frame_size;
	vpass_link to_card = link;
	to_card.frame_size = fsc;
	vpass_link_cost c = lost ? vpass_link_lost(&to_card, cmd_len)
	                         : vpass_link_exchange_frames(&link, fsc, fsd, cmd_len, resp_len);
	card->stats.link_seconds += c.seconds;
	card->stats.link_bytes += c.bytes;
	card->pace_seconds = 0.0;
	card->pace_bytes = 0;
	/* Paced: until the first frame of the answer (PCB and CRC_A around
	 * its INF), the rest frame by frame (vpass_card_pace). */
	size_t first = fsd > 3 ? fsd - 3 : resp_len;
	if (card->paced && !lost && resp_len > first) {
		vpass_link_cost head = vpass_link_exchange_frames(&link, fsc, fsd, cmd_len, first);
		card->pace_seconds = c.seconds - head.seconds;
		card->pace_bytes = resp_len - first;
		sleep_until(start, head.seconds);
		return;
	}
	sleep_until(start, c.seconds);
}

void vpass_card_set_paced(vpass_card *card, bool paced)
{
	if (card)
		card->paced = paced;
}

void vpass_card_pace(vpass_card *card, size_t bytes)
{
	if (!card || !card->pace_bytes)
		return;
	if (bytes > card->pace_bytes)
		bytes = card->pace_bytes;
	double share = card->pace_seconds * (double)bytes / (double)card->pace_bytes;
	card->pace_seconds -= share;
	card->pace_bytes -= bytes;
	sleep_until(monotonic_seconds(), share);
}

vpass_result vpass_card_process(vpass_card *card, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                                size_t *ret_len)
{
	if (!card || (!cmd && len) || !resp || !ret_len)
		return VPASS_ERR_ARG;
	if (!card->present)
		return VPASS_REMOVED;
	if (card->opts.remove_after && card->apdus_counted >= card->opts.remove_after) {
		vpass_card_remove(card);
		return VPASS_REMOVED;
	}
	if (card->opts.freeze_after && card->apdus_counted >= card->opts.freeze_after)
		return VPASS_FROZEN;
	card->apdus_counted++;
	double start = monotonic_seconds();

	crypto_buf out = CRYPTO_BUF_INIT;
	size_t want = 0;
	if (is_get_response(card, cmd, len, &want)) {
		next_piece(card, want, &out);
	} else {
		/* Any other command drops what was left of a long answer. */
		card->pieces.len = 0;
		card->pieces_off = 0;
		respond(card, cmd, len, &out);
		if (card->lose_answer) {
			card->lose_answer = false;
			buf_free(&out);
			card->stats.lost_answers++;
			card->stats.bytes_in += len;
			apply_link(card, start, len, 0, true);
			return VPASS_TIMEOUT;
		}
		split_long_answer(card, &out);
	}
	vpass_result r = VPASS_OK;
	if (!buf_ok(&out))
		r = VPASS_ERR_NOMEM;
	else if (out.len > cap)
		r = VPASS_ERR_BUFFER;
	if (r == VPASS_OK) {
		memcpy(resp, out.data, out.len);
		*ret_len = out.len;
		card->stats.apdus++;
		card->stats.bytes_in += len;
		card->stats.bytes_out += out.len;
		apply_link(card, start, len, out.len, false);
	}
	buf_free(&out);
	return r;
}

/* ---- scripting ---- */

void vpass_card_set_options(vpass_card *card, const vpass_options *opts)
{
	if (!card)
		return;
	card->opts = opts ? *opts : (vpass_options){ 0 };
	card->apdus_counted = 0;
	card->protected_cmds = 0;
}

void vpass_card_set_bit_rate(vpass_card *card, unsigned kbps)
{
	if (card)
		card->link_kbps = kbps;
}

void vpass_card_set_frame_sizes(vpass_card *card, size_t fsc, size_t fsd)
{
	if (!card)
		return;
	card->link_fsc = fsc;
	card->link_fsd = fsd;
}

unsigned vpass_card_bit_rate(const vpass_card *card)
{
	if (!card)
		return 0;
	return card->link_kbps ? card->link_kbps : card->opts.link.bit_rate_kbps;
}

void vpass_card_get_options(const vpass_card *card, vpass_options *ret)
{
	if (card && ret)
		*ret = card->opts;
}

void vpass_card_remove(vpass_card *card)
{
	if (!card)
		return;
	card->present = false;
	vpass_card_reset(card);
}

void vpass_card_insert(vpass_card *card)
{
	if (!card)
		return;
	vpass_card_reset(card);
	card->present = true;
	card->apdus_counted = 0;
}

bool vpass_card_present(const vpass_card *card)
{
	return card && card->present;
}

bool vpass_card_sm_active(const vpass_card *card)
{
	return card && card->sm_active;
}

void vpass_card_stats(const vpass_card *card, vpass_stats *ret)
{
	if (card && ret)
		*ret = card->stats;
}
