/*
 * channel — one conversation with a chip: a transport plus the secure
 * messaging session in force, if any. Access-control protocols (BAC, PACE,
 * chip authentication) and the file reader all send their commands through
 * it; the protocol that establishes or re-keys a session installs the new
 * keys with pp_channel_set_sm.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/sm.h"
#include "hal/passport/pp.h"
#include "hal/passport/transport.h"

typedef struct pp_channel {
	pp_transport *t;
	sm_ctx sm;
	bool secure;      /* commands are wrapped with `sm` */
	bool sm_dropped;  /* the chip answered in the clear: the session is over */
	unsigned long get_responses; /* GET RESPONSE commands sent for 61XX answers */
	uint8_t resp[APDU_MAX_RESPONSE];
} pp_channel;

void pp_channel_init(pp_channel *ch, pp_transport *t);
/* Install session keys (a copy is taken): later commands are protected. */
void pp_channel_set_sm(pp_channel *ch, const sm_ctx *sm);
/* Forget the session (keys wiped): later commands go in the clear. */
void pp_channel_clear_sm(pp_channel *ch);

/* Send one command, protected when a session is up. On PP_OK `out` gets
 * the plain response data appended and *ret_sw holds the status word.
 * An answer the chip delivers in pieces (61XX) is fetched whole with GET
 * RESPONSE (00 C0 00 00 XX, in the clear) before it is unwrapped.
 * A chip that answers an error in the clear during a session has dropped
 * it: sm_dropped is set, the channel goes back to plain, and the result is
 * PP_ERR_SM for 6987/6988 or PP_OK with that status otherwise. A response
 * whose MAC does not verify is PP_ERR_SM, never accepted. */
pp_err pp_channel_exchange(pp_channel *ch, const apdu *cmd, buf *out, uint16_t *ret_sw);
