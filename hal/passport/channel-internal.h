/*
 * channel — one conversation with a chip: a transport plus the secure
 * messaging session in force, if any. Access-control protocols (BAC, PACE,
 * chip authentication) and the file reader all send their commands through
 * it; the protocol that establishes or re-keys a session installs the new
 * keys with pp_channel_set_sm.
 *
 * Once access control has succeeded the channel never sends a command in
 * the clear again outside access control itself (ICAO 9303 part 11, 9.8;
 * GET RESPONSE, which carries no data and fetches the rest of an answer,
 * goes in the clear as ISO/IEC 7816-4 allows):
 * when the chip has ended the session (it answered a protected command in
 * the clear) or the reader knows it is out of step (a lost answer), the
 * next command first has the session set up again by the restore callback
 * the reader installs, and is refused with PP_ERR_SM_ENDED if that fails.
 * A status the chip sends in the clear during a session carries no MAC, so
 * it is not taken at once: the command is sent again, protected, under the
 * restored session, and only a second unprotected answer stands. (6700 to
 * an extended-length command stands at once: the reader then reads short.)
 *
 * Chip authentication proves the chip implicitly (ICAO 9303 part 11,
 * 6.2): it re-keys the session, and the chip shows it holds DG14's private
 * key by answering the next command under the new keys. No command is
 * spent on that: the protocol marks the proof due (pp_channel_expect_proof)
 * and the next protected command, whatever it is, is the proof. Its answer
 * verified: proven. Its MAC wrong, or 6987/6988 in the clear (the chip
 * could not check our MAC): PP_ERR_CHIP_AUTH, the chip does not hold the
 * key, and nothing is restored or sent again. Any other status in the
 * clear proves nothing either way and is handled as above; the proof stays
 * due under the restored session's new chip authentication.
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

/* Set the session up again (access control, chip authentication, the file
 * selection), through the same channel inside access control. */
typedef pp_err (*pp_channel_restore_fn)(void *user);

typedef struct pp_channel {
	pp_transport *t;
	sm_ctx sm;
	bool secure;      /* commands are wrapped with `sm` */
	bool opened;      /* a session has been up: plain commands only inside access control */
	unsigned access_depth; /* > 0 inside access control: commands go as the protocol sends them */
	bool sm_dropped;  /* the last answer came in the clear during a session, ending it */
	uint16_t drop_sw; /* the status of the last such answer */
	pp_channel_restore_fn restore;
	void *restore_user;
	unsigned long sm_ended;      /* answers in the clear that ended a session */
	unsigned long get_responses; /* GET RESPONSE commands sent for 61XX answers */
	bool proof_due;   /* chip authentication re-keyed: the next protected answer proves it */
	bool proven;      /* an answer verified under chip authentication's keys */
	bool proof_failed; /* the last PP_ERR_CHIP_AUTH was such an answer not verifying
	                    * (the reader clears it once it has said so) */
	uint16_t proof_sw; /* ... 6987/6988 in the clear; 0: a MAC that did not verify */
	uint8_t resp[APDU_MAX_RESPONSE];
} pp_channel;

void pp_channel_init(pp_channel *ch, pp_transport *t);
/* The callback that sets a dropped session up again (see above). */
void pp_channel_set_restore(pp_channel *ch, pp_channel_restore_fn fn, void *user);
/* Install session keys (a copy is taken): later commands are protected,
 * and from now on never sent in the clear outside access control. */
void pp_channel_set_sm(pp_channel *ch, const sm_ctx *sm);
/* Forget the session (keys wiped). Outside access control the next
 * command restores it first; inside, commands go in the clear. */
void pp_channel_clear_sm(pp_channel *ch);
/* Chip authentication has installed its keys (pp_channel_set_sm): the
 * next protected answer proves the chip holds DG14's key, or not (above). */
void pp_channel_expect_proof(pp_channel *ch);
/* Access control (and chip authentication, and restoring a session) runs
 * between these: its plain commands are allowed, nothing is restored and
 * no command is sent twice. They nest. */
void pp_channel_begin_access(pp_channel *ch);
void pp_channel_end_access(pp_channel *ch);

/* Send one command, protected when a session is up. On PP_OK `out` gets
 * the plain response data appended and *ret_sw holds the status word.
 * An answer the chip delivers in pieces (61XX) is fetched whole with GET
 * RESPONSE (00 C0 00 00 XX, in the clear) before it is unwrapped.
 * A chip that answers in the clear during a session has dropped it:
 * sm_dropped is set and the keys are wiped. Outside access control the
 * command goes once more under a restored session (see above). A status
 * in the clear that stands is PP_OK with that status (6988 is the chip
 * refusing our secure messaging; the caller says so in its words). A
 * response whose MAC does not verify is PP_ERR_SM, never accepted; when
 * it was chip authentication's proof, PP_ERR_CHIP_AUTH (proof_failed). */
pp_err pp_channel_exchange(pp_channel *ch, const crypto_apdu *cmd, crypto_buf *out, uint16_t *ret_sw);
