/*
 * card-internal — what the chip's APDU loop (card.c) and its command
 * handlers (commands.c) share: the chip's state, the answer a handler
 * builds, and the two calls between them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/aa.h"
#include "crypto/bac.h"
#include "crypto/buf.h"
#include "crypto/sm.h"
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
	unsigned link_kbps;           /* the bit rate the reader negotiated (PPS), which
	                               * the link model charges instead of opts.link's;
	                               * 0: none negotiated, opts.link's */
	bool paced;                   /* vpass_card_set_paced */
	double pace_seconds;          /* link time of the last answer still to sleep */
	size_t pace_bytes;            /* ... for this many bytes of it */
	size_t link_fsc, link_fsd;    /* frame sizes agreed at activation, charged
	                               * instead of opts.link's; 0: opts.link's */

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

/* Run one plain command (commands.c). `room`: most response data bytes the
 * answer can carry once wrapped for the transport's length form. */
uint16_t vpass_card_execute(vpass_card *card, const crypto_apdu *a, bool secured, size_t room, reply *r);
/* Most plain bytes a protected response can carry within max_body bytes
 * (card.c). */
size_t vpass_card_sm_room(const vpass_card *card, size_t max_body);
