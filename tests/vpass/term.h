/*
 * term — a minimal inspection system for the tests that drive the virtual
 * e-passport (devices/vpass) in-process: raw APDUs, commands wrapped in and
 * unwrapped from secure messaging, the selections and reads a reader makes,
 * and a BAC session opened with crypto/. Shared by the vpass and aa tests;
 * every step asserts with cmocka, so a broken exchange fails the test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/sm.h"
#include "devices/vpass/vpass.h"

typedef struct term {
	vpass_card *card;
	sm_ctx sm;
	bool sm_on;             /* commands are wrapped in secure messaging */
	crypto_err last_sm_err; /* of the last unwrap (CRYPTO_OK when clear) */
} term;

/* Test data the same for every run: a linear congruential sequence. */
void term_fill(uint8_t *p, size_t len, uint32_t seed);

/* ---- exchanges ---- */

/* Raw bytes in; the SW out, the data before it appended to out (if any). */
uint16_t term_raw(term *t, const uint8_t *cmd, size_t len, crypto_buf *out);
/* A command, protected when a session is on. The SW is the plain answer's
 * (from DO'99), or the one sent in the clear when unwrapping failed, which
 * ends the session on the terminal's side. */
uint16_t term_xfer(term *t, const crypto_apdu *a, crypto_buf *out);

/* ---- commands ---- */

uint16_t term_select_app(term *t);
uint16_t term_select_fid(term *t, uint8_t p1, uint8_t p2, uint16_t fid, size_t le, crypto_buf *out);
uint16_t term_get_challenge(term *t, crypto_buf *out);
uint16_t term_read_b0(term *t, size_t offset, size_t le, bool extended, crypto_buf *out);
uint16_t term_read_sfi(term *t, uint8_t sfi, uint8_t offset, size_t le, crypto_buf *out);

/* ---- sessions ---- */

/* BAC with the given MRZ data; the SW of EXTERNAL AUTHENTICATE, or 0 when
 * the chip's answer did not verify. SM is on afterwards only on success. */
uint16_t term_bac(term *t, const char *docno, const char *dob, const char *doe);
/* A terminal on card that has selected the application and opened a BAC
 * session (both asserted, and the chip's session too). */
term term_open(vpass_card *card, const char *docno, const char *dob, const char *doe);
