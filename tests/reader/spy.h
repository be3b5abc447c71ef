/*
 * spy — the transport the reader tests put between the reading stack and
 * the in-process virtual passport (devices/vpass through hal/passport's
 * sim transport). It forwards every APDU unchanged and records what the
 * terminal sent: a log of every command header (in the clear under secure
 * messaging), the length form, READ BINARY's instruction and Le. It can
 * pretend to be a reader that passes extended APDUs the chip refuses, or
 * one with a smaller buffer, or a card with no eMRTD application; lose the
 * answers of chosen commands; refuse chosen commands without passing them
 * on. And it watches that no command but those of access control goes in
 * the clear once a session has been up (plain_after_access), which every
 * rig checks when it closes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/vpass/vpass.h"
#include "hal/passport/transport-internal.h"

#define SPY_LOG 8192

/* One command as the spy saw it (the header is in the clear under SM). */
typedef struct spy_cmd {
	uint8_t cla, ins, p1, p2;
	size_t le;             /* READ BINARY: Le (under SM: of DO'97) */
	pp_err result;         /* what the chip's transport answered */
} spy_cmd;

typedef struct spy {
	pp_transport *inner;   /* the chip's own in-process transport */
	vpass_card *card;
	bool claim_extended;   /* a reader that passes extended APDUs */
	bool not_emrtd;        /* answer SELECT of the eMRTD AID with 6A82 */
	size_t reader_max_response; /* an extended reader with this buffer; a
	                               longer answer is a link error */
	bool refuse_extended;  /* claims extended length, yet fails every
	                          extended command without sending it */
	unsigned lose_ca_selects;   /* the next SELECTs of EF.CardAccess (011C):
	                               carried out, their answers lost */
	unsigned fail_ca_selects;   /* the next SELECTs of EF.CardAccess: answered
	                               fail_ca_select_sw without reaching the chip */
	uint16_t fail_ca_select_sw;
	uint16_t refuse_reads_sw;   /* protected READ BINARYs answered this status
	                               in the clear, without reaching the chip: */
	unsigned long refuse_reads_from; /* from the one after this many on */
	uint16_t clone_sw;          /* a clone without DG14's key: once chip
	                               authentication's GENERAL AUTHENTICATE (or
	                               3DES's MSE:Set KAT) has passed, every protected
	                               command is answered this in the clear without
	                               reaching the chip, until a command in the clear
	                               (a session set up again) */
	bool ca_keyed;              /* ... and chip authentication has passed */
	bool dead_after_ca;         /* a link that fails once chip authentication has
	                               passed: every later command's answer lost */
	bool link_dead;             /* ... and it has */
	uint16_t refuse_ca_sw;      /* chip authentication's protected MSE:Set
	                               (00 22 41 xx) answered this in the clear */
	unsigned long lose_read;    /* the answer to this protected READ BINARY at
	                               an offset (1: the first) is lost; 0: none */
	unsigned long offset_reads; /* protected READ BINARYs at an offset so far */
	unsigned long protected_reads;
	unsigned long apdus;
	unsigned long extended_apdus;
	unsigned long reads_b0;
	unsigned long reads_b1;
	size_t max_le_b0;      /* largest Le (DO'97) of a protected B0 */
	size_t max_le_b1;
	size_t n_log;          /* commands logged (at most SPY_LOG kept) */
	spy_cmd log[SPY_LOG];
	bool opened;           /* a protected command has gone since power-up */
	unsigned long plain_after_access; /* commands in the clear after that,
	                                     other than access control's */
	spy_cmd first_plain;   /* the first of them */
} spy;

/* Forwards to spy->inner; pp_transport_new(&spy_ops, spy, &t). The
 * caller owns the spy and its inner transport. */
extern const pp_transport_ops spy_ops;

/* The commands logged (at most SPY_LOG of n_log are kept). */
size_t spy_logged(const spy *s);
