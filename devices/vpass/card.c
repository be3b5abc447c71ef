/*
 * vpass card — the chip itself: ISO 7816-4 command processing for an ICAO
 * 9303 eMRTD with BAC and 3DES secure messaging, plus the faults it can be
 * told to produce (see vpass_options).
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
#include "devices/vpass/vpass-internal.h"

/* Status words apdu.h does not name. */
#define VPASS_SW_AUTH_FAILED     0x6300
#define VPASS_SW_NO_CURRENT_EF   0x6986
#define VPASS_SW_WRONG_P1P2      0x6A86

#define INS_SELECT        0xA4
#define INS_GET_CHALLENGE 0x84
#define INS_EXTERNAL_AUTH 0x82
#define INS_READ_BINARY   0xB0
#define INS_READ_BINARY_ODD 0xB1
#define INS_INTERNAL_AUTH AA_INS_INTERNAL_AUTHENTICATE
#define INS_GET_RESPONSE  0xC0

/* Largest response body to a short command; a longer one comes in pieces. */
#define SHORT_PIECE 256

#define FID_MF 0x3F00

struct vpass_card {
	vpass_doc *doc;
	bac_keys keys;
	vpass_options opts;
	vpass_stats stats;
	bool present;
	unsigned long apdus_counted; /* toward opts.remove_after */

	bool app_selected;            /* the eMRTD application, else the MF */
	const vpass_file *current;    /* current EF, NULL when none */
	bool challenge_valid;
	uint8_t rnd_icc[8];
	bool sm_active;
	sm_ctx sm;

	/* Set by a command's handler, applied once its answer is built. */
	bool pending_session;
	sm_ctx pending_sm;
	bool drop_session;

	EVP_PKEY *aa_clone_key;       /* opts.aa_wrong_key: made on first use */
	vpass_eac *eac;               /* PACE and chip authentication (eac_card.c) */

	bool had_session;             /* a session has been up since power-up */
	unsigned long protected_cmds; /* protected commands since power-up (opts.drop_sm_at) */

	bool lose_answer;             /* this command's answer is lost (timeout_above) */
	bool last_extended;           /* the command being answered had extended length */
	crypto_buf pieces;                   /* a long answer to a short command: body + SW */
	size_t pieces_off;            /* body bytes already handed out */
};

/* The answer a handler builds: response data and status word. */
typedef struct reply {
	crypto_buf data;
	uint16_t sw;
} reply;

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

/* Resolve the EF a READ BINARY names by short identifier; it becomes the
 * current EF. */
static uint16_t file_by_sfi(vpass_card *card, uint8_t sfi, const vpass_file **ret)
{
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

static size_t sm_room(const vpass_card *card, size_t max_body);

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
static uint16_t execute(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r)
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
		return cmd_internal_authenticate(card, a, secured, secured ? sm_room(card, APDU_MAX_EXT_LE) : APDU_MAX_EXT_LE,
		                                 r);
	case INS_GET_RESPONSE:
		return SW_CONDITIONS; /* nothing left to give (see vpass_card_process) */
	default:
		return SW_INS_NOT_SUPPORTED;
	}
}

/* ---- the APDU loop ---- */

/* Most plain bytes a protected response can carry within max_body bytes of
 * data objects: DO'87 (01 + padded cryptogram), DO'99 (4), DO'8E (10). */
static size_t sm_room(const vpass_card *card, size_t max_body)
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
	r.sw = execute(card, &plain, true, sm_room(card, extended ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE), &r);
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
	r.sw = execute(card, a, false, a->extended ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE, &r);
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
	if (!card->opts.link.enabled || !vpass_link_valid(&card->opts.link))
		return;
	vpass_link_cost c = lost ? vpass_link_lost(&card->opts.link, cmd_len)
	                         : vpass_link_exchange(&card->opts.link, cmd_len, resp_len);
	card->stats.link_seconds += c.seconds;
	card->stats.link_bytes += c.bytes;
	sleep_until(start, c.seconds);
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
