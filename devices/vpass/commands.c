/*
 * commands — what the virtual chip does with each command: which files it
 * lets a terminal reach (EF.CardAccess in the clear, LDS files under a
 * session), SELECT, GET CHALLENGE and EXTERNAL AUTHENTICATE (BAC), READ
 * BINARY (B0 and B1), INTERNAL AUTHENTICATE (active authentication), and
 * MSE / GENERAL AUTHENTICATE handed to eac_card.c. The APDU loop around
 * them is card.c.
 */
#include "devices/vpass/card-internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/apdu.h"
#include "crypto/tlv.h"

/* ---- access rules ---- */

static bool is_lds(const vpass_file *f)
{
	return f->fid != VPASS_FID_CARD_ACCESS;
}

/* Can this EF be reached from the current DF at all? */
static bool visible(const vpass_card *card, const vpass_file *f)
{
	return !is_lds(f) || card->app_selected;
}

/* May it be read now? LDS files need a session and SM (or, on a lax chip,
 * only that a session was once up). */
static bool readable(const vpass_card *card, const vpass_file *f, bool secured)
{
	if (!is_lds(f) || (secured && card->sm_active))
		return true;
	return !secured && card->opts.plain_after_drop && card->had_session;
}

/* The ways a terminal can reach EF.CardAccess, and which of them this chip
 * knows (opts.card_access_select). */
static bool card_access_by_select(const vpass_card *card, uint8_t p1, bool with_fcp)
{
	switch (card->opts.card_access_select) {
	case VPASS_CA_SELECT_ANY:
		return true;
	case VPASS_CA_SELECT_FID_MF:
		return p1 == 0x00 && !card->app_selected;
	case VPASS_CA_SELECT_WITH_LE:
		return with_fcp;
	case VPASS_CA_SELECT_SFI:
		return false;
	}
	return false;
}

static bool card_access_by_sfi(const vpass_card *card)
{
	return card->opts.card_access_select == VPASS_CA_SELECT_ANY ||
	       card->opts.card_access_select == VPASS_CA_SELECT_SFI;
}

/* ---- commands ---- */

static void append_fcp(const vpass_file *f, crypto_buf *out)
{
	uint8_t size[2] = { (uint8_t)(f->len >> 8), (uint8_t)f->len };
	uint8_t big[3] = { (uint8_t)(f->len >> 16), (uint8_t)(f->len >> 8), (uint8_t)f->len };
	uint8_t fid[2] = { (uint8_t)(f->fid >> 8), (uint8_t)f->fid };
	crypto_buf body = CRYPTO_BUF_INIT;
	if (f->len > 0xFFFF)
		buf_append_tlv(&body, 0x80, big, 3);
	else
		buf_append_tlv(&body, 0x80, size, 2);
	buf_append_tlv(&body, 0x82, (const uint8_t[]){ 0x01 }, 1); /* transparent EF */
	buf_append_tlv(&body, 0x83, fid, 2);
	if (buf_ok(&body))
		buf_append_tlv(out, 0x62, body.data, body.len);
	else
		out->failed = true;
	buf_free(&body);
}

static uint16_t select_file_id(vpass_card *card, const crypto_apdu *a, bool secured, reply *r)
{
	if (a->lc != 2)
		return SW_WRONG_LENGTH;
	uint16_t fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
	if (fid == FID_MF) {
		card->app_selected = false;
		card->current = NULL;
		return SW_OK;
	}
	const vpass_file *f = vpass_doc_find(card->doc, fid);
	if (!f || !visible(card, f))
		return SW_FILE_NOT_FOUND;
	bool with_fcp = a->le && (a->p2 & 0x0C) != 0x0C;
	if (f->fid == VPASS_FID_CARD_ACCESS && !card_access_by_select(card, a->p1, with_fcp))
		return SW_FILE_NOT_FOUND;
	if (!readable(card, f, secured))
		return SW_SECURITY_STATUS;
	card->current = f;
	if (with_fcp)
		append_fcp(f, &r->data);
	return SW_OK;
}

static uint16_t cmd_select(vpass_card *card, const crypto_apdu *a, bool secured, reply *r)
{
	if ((a->p2 & 0xF3) != 0)
		return VPASS_SW_WRONG_P1P2;
	switch (a->p1) {
	case 0x04: /* by DF name */
		if (a->lc != sizeof vpass_emrtd_aid || memcmp(a->data, vpass_emrtd_aid, a->lc) != 0)
			return SW_FILE_NOT_FOUND;
		vpass_eac_reset(card->eac); /* a failed PACE is abandoned: BAC may follow */
		card->app_selected = true;
		card->current = NULL;
		return SW_OK;
	case 0x00: /* MF, or any file by identifier */
		if (a->lc == 0) {
			card->app_selected = false;
			card->current = NULL;
			return SW_OK;
		}
		return select_file_id(card, a, secured, r);
	case 0x01: /* child DF; readers also use it for EFs */
	case 0x02: /* EF under the current DF */
		return select_file_id(card, a, secured, r);
	case 0x03: /* parent DF */
		card->app_selected = false;
		card->current = NULL;
		return SW_OK;
	default:
		return VPASS_SW_WRONG_P1P2;
	}
}

static uint16_t cmd_get_challenge(vpass_card *card, const crypto_apdu *a, reply *r)
{
	if (card->opts.refuse_bac)
		return card->opts.refuse_bac;
	if (a->p1 || a->p2)
		return VPASS_SW_WRONG_P1P2;
	if (a->lc || a->le != sizeof card->rnd_icc)
		return SW_WRONG_LENGTH;
	if (RAND_bytes(card->rnd_icc, sizeof card->rnd_icc) != 1)
		return SW_UNKNOWN;
	card->challenge_valid = true;
	buf_append(&r->data, card->rnd_icc, sizeof card->rnd_icc);
	return SW_OK;
}

static uint16_t cmd_external_authenticate(vpass_card *card, const crypto_apdu *a, reply *r)
{
	if (card->opts.refuse_bac)
		return card->opts.refuse_bac;
	if (a->p1 || a->p2)
		return VPASS_SW_WRONG_P1P2;
	if (!card->challenge_valid)
		return SW_CONDITIONS;
	card->challenge_valid = false; /* one attempt per challenge */
	if (a->lc != 40)
		return SW_WRONG_LENGTH;
	uint8_t k_icc[16], resp[40];
	if (RAND_bytes(k_icc, sizeof k_icc) != 1)
		return SW_UNKNOWN;
	crypto_err e = bac_card_respond(&card->keys, card->rnd_icc, a->data, k_icc, resp, &card->pending_sm);
	OPENSSL_cleanse(k_icc, sizeof k_icc);
	if (e != CRYPTO_OK) {
		card->stats.bac_failed++;
		card->drop_session = true;
		return VPASS_SW_AUTH_FAILED;
	}
	card->stats.bac_ok++;
	card->pending_session = true;
	buf_append(&r->data, resp, sizeof resp);
	return SW_OK;
}

/* Does this chip let a READ BINARY name the file with this short
 * identifier (opts.sfi_refuse, opts.sfi_only)? If not, the status it
 * answers. */
static uint16_t sfi_refused(const vpass_card *card, uint8_t sfi)
{
	const vpass_options *o = &card->opts;
	if (o->sfi_only ? (o->sfi_only & VPASS_SFI_BIT(sfi)) != 0 : !o->sfi_refuse)
		return SW_OK;
	return o->sfi_refuse ? o->sfi_refuse : SW_FILE_NOT_FOUND;
}

/* Resolve the EF a READ BINARY names by short identifier; it becomes the
 * current EF. */
static uint16_t file_by_sfi(vpass_card *card, uint8_t sfi, const vpass_file **ret)
{
	uint16_t refused = sfi_refused(card, sfi);
	if (refused != SW_OK)
		return refused;
	const vpass_file *f = sfi ? vpass_doc_find_sfi(card->doc, sfi) : NULL;
	if (!f || !visible(card, f))
		return SW_FILE_NOT_FOUND;
	if (f->fid == VPASS_FID_CARD_ACCESS && !card_access_by_sfi(card))
		return SW_FILE_NOT_FOUND;
	*ret = f;
	return SW_OK;
}

/* Shared tail of both READ BINARY forms: faults, bounds and length. `room`
 * is how many bytes the answer may carry (Le, and what secure messaging
 * leaves of the response); `wrap53` puts the data into DO'53 (odd INS). */
static uint16_t read_data(vpass_card *card, const vpass_file *f, bool secured, size_t offset, size_t le,
                          size_t room, bool wrap53, reply *r)
{
	if (!readable(card, f, secured))
		return SW_SECURITY_STATUS;
	card->current = f;
	if (card->opts.fail_reads > 0) {
		card->opts.fail_reads--;
		return SW_UNKNOWN;
	}
	if (offset >= f->len)
		return SW_WRONG_P1P2;
	if (le == 0)
		return SW_WRONG_LENGTH;
	size_t n = f->len - offset;
	if (card->opts.max_response_data && n > card->opts.max_response_data)
		n = card->opts.max_response_data;
	if (!wrap53) {
		if (n > le)
			n = le;
		/* Le 00 / 0000 asks for whatever fits; an explicit Le that
		 * secure messaging cannot carry is refused. */
		if (n > room && le != APDU_MAX_SHORT_LE && le != APDU_MAX_EXT_LE)
			return SW_WRONG_LENGTH;
		if (n > room)
			n = room;
		buf_append(&r->data, f->data + offset, n);
		return SW_OK;
	}
	size_t limit = le < room ? le : room;
	if (n > limit)
		n = limit;
	while (n > 0 && tlv_total_len(0x53, n) > limit)
		n--;
	if (n == 0)
		return SW_WRONG_LENGTH;
	buf_append_tlv(&r->data, 0x53, f->data + offset, n);
	return SW_OK;
}

static uint16_t cmd_read_binary(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r)
{
	const vpass_file *f = card->current;
	size_t offset;
	if (a->p1 & 0x80) {
		if (a->p1 & 0x60)
			return VPASS_SW_WRONG_P1P2;
		uint16_t sw = file_by_sfi(card, a->p1 & 0x1F, &f);
		if (sw != SW_OK)
			return sw;
		offset = a->p2;
	} else {
		if (!f)
			return VPASS_SW_NO_CURRENT_EF;
		offset = (size_t)a->p1 << 8 | a->p2;
	}
	if (a->lc)
		return SW_WRONG_LENGTH;
	return read_data(card, f, secured, offset, a->le, room, false, r);
}

static uint16_t cmd_read_binary_odd(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r)
{
	const vpass_file *f = card->current;
	uint16_t id = (uint16_t)(a->p1 << 8 | a->p2);
	if (id == 0) {
		if (!f)
			return VPASS_SW_NO_CURRENT_EF;
	} else if (a->p1 == 0 && (a->p2 & 0xE0) == 0) {
		uint16_t sw = file_by_sfi(card, a->p2 & 0x1F, &f);
		if (sw != SW_OK)
			return sw;
	} else {
		f = vpass_doc_find(card->doc, id);
		if (!f || !visible(card, f))
			return SW_FILE_NOT_FOUND;
		/* By file identifier: a form of selection only the chips that
		 * know every variant accept for EF.CardAccess. */
		if (f->fid == VPASS_FID_CARD_ACCESS && card->opts.card_access_select != VPASS_CA_SELECT_ANY)
			return SW_FILE_NOT_FOUND;
	}
	crypto_tlv t;
	if (a->lc == 0)
		return SW_WRONG_LENGTH;
	if (tlv_parse_one(a->data, a->lc, &t) != TLV_OK || t.raw_len != a->lc || t.tag != 0x54 || t.len < 1 ||
	    t.len > 3)
		return SW_WRONG_DATA;
	size_t offset = 0;
	for (size_t i = 0; i < t.len; i++)
		offset = offset << 8 | t.value[i];
	return read_data(card, f, secured, offset, a->le, room, true, r);
}

/* A key of the same type and size as the document's, for a cloned chip
 * that has the genuine chip's data but not its private key. */
static EVP_PKEY *clone_key(vpass_card *card)
{
	if (card->aa_clone_key)
		return card->aa_clone_key;
	EVP_PKEY *genuine = card->doc->aa_key;
	EVP_PKEY *key = NULL;
	if (EVP_PKEY_get_base_id(genuine) == EVP_PKEY_RSA) {
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EVP_PKEY_get_bits(genuine));
	} else {
		/* The genuine key's domain parameters, named or explicit. */
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, genuine, NULL);
		if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) != 1)
			key = NULL;
		EVP_PKEY_CTX_free(ctx);
	}
	card->aa_clone_key = key;
	return key;
}

/* Active authentication (ICAO 9303 part 11, 6.1): sign the terminal's
 * challenge with the document's AA key. */
static uint16_t cmd_internal_authenticate(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r)
{
	if (!card->doc->aa_key)
		return SW_INS_NOT_SUPPORTED;
	if (!secured || !card->sm_active)
		return SW_SECURITY_STATUS;
	if (a->p1 || a->p2)
		return VPASS_SW_WRONG_P1P2;
	if (a->lc != AA_CHALLENGE_LEN || a->le == 0)
		return SW_WRONG_LENGTH;
	EVP_PKEY *key = card->opts.aa_wrong_key ? clone_key(card) : card->doc->aa_key;
	if (!key)
		return SW_UNKNOWN;
	crypto_buf sig = CRYPTO_BUF_INIT;
	uint16_t sw = SW_UNKNOWN;
	if (aa_sign(key, card->doc->aa_hash, a->data, &sig) != CRYPTO_OK)
		goto out_free_sig;
	/* The signature comes whole or not at all: it must fit both Le (00 /
	 * 0000 being the largest) and what secure messaging can carry (an
	 * answer to a short command longer than 256 bytes comes in pieces). */
	if (sig.len > a->le || sig.len > room) {
		sw = SW_WRONG_LENGTH;
		goto out_free_sig;
	}
	buf_append(&r->data, sig.data, sig.len);
	card->stats.aa_signatures++;
	sw = SW_OK;
out_free_sig:
	buf_free(&sig);
	return sw;
}

/* MSE:SET and GENERAL AUTHENTICATE: PACE and chip authentication
 * (eac_card.c). A new session starts once this answer is out. */
static uint16_t cmd_eac(vpass_card *card, const crypto_apdu *a, bool secured, reply *r)
{
	vpass_eac_env env = {
		.doc = card->doc,
		.app_selected = card->app_selected,
		.secured = secured && card->sm_active,
		.ca_wrong_key = card->opts.ca_wrong_key,
		.ca_tr03110 = card->opts.ca_tr03110,
		.cam_attack = card->opts.cam_attack,
	};
	sm_ctx next;
	bool rekey = false;
	uint16_t sw = vpass_eac_command(card->eac, &env, a, &r->data, &next, &rekey);
	if (rekey) {
		card->pending_sm = next;
		card->pending_session = true;
		OPENSSL_cleanse(&next, sizeof next);
	}
	return sw;
}

/* timeout_above: a READ BINARY asking for more is carried out, and its
 * answer lost on the way back. */
static void lose_if_too_long(vpass_card *card, const crypto_apdu *a)
{
	if (card->opts.timeout_above && a->le > card->opts.timeout_above)
		card->lose_answer = true;
}

/* Run one plain command. `room`: most response data bytes the answer can
 * carry once wrapped for the transport's length form. */
uint16_t vpass_card_execute(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r)
{
	if ((a->cla & 0x10) && a->ins != VPASS_INS_GENERAL_AUTHENTICATE)
		return 0x6884; /* command chaining not supported */
	switch (a->ins) {
	case VPASS_INS_MSE:
	case VPASS_INS_GENERAL_AUTHENTICATE:
		return cmd_eac(card, a, secured, r);
	case INS_SELECT:
		return cmd_select(card, a, secured, r);
	case INS_GET_CHALLENGE:
		return cmd_get_challenge(card, a, r);
	case INS_EXTERNAL_AUTH:
		return cmd_external_authenticate(card, a, r);
	case INS_READ_BINARY:
		lose_if_too_long(card, a);
		return cmd_read_binary(card, a, secured, room, r);
	case INS_READ_BINARY_ODD:
		lose_if_too_long(card, a);
		return cmd_read_binary_odd(card, a, secured, room, r);
	case INS_INTERNAL_AUTH:
		/* Not cut to the short form: pieces carry a longer answer. */
		return cmd_internal_authenticate(card, a, secured, secured ? vpass_card_sm_room(card, APDU_MAX_EXT_LE) : APDU_MAX_EXT_LE,
		                                 r);
	case INS_GET_RESPONSE:
		return SW_CONDITIONS; /* nothing left to give (see vpass_card_process) */
	default:
		return SW_INS_NOT_SUPPORTED;
	}
}
