/*
 * eac_card — the virtual chip's side of PACE (GM and CAM) and chip
 * authentication (ICAO 9303 part 11, 4.4 and 6.2), on OpenPACE. card.c
 * hands it MSE:SET (INS 22) and GENERAL AUTHENTICATE (INS 86); it answers
 * with the response data and status, and tells card.c when a new secure
 * messaging session starts (after the answer has been sent: in the clear
 * for PACE, under the old session for CA).
 *
 * PACE: MSE:Set AT (00 22 C1 A4: 80 protocol OID from EF.CardAccess,
 * 83 password 01 MRZ / 02 CAN, 84 parameter id) on the MF level, then four
 * GENERAL AUTHENTICATE steps; the first three must be chained (CLA 10).
 * CA: MSE:Set KAT (00 22 41 A6: 91 ephemeral key, 84 key id) for 3DES, or
 * MSE:Set AT (00 22 41 A4: 80 OID, 84 key id) + GENERAL AUTHENTICATE
 * (7C{80 ephemeral key} -> 7C 00, ICAO 9303 part 11, 6.2; or 7C{81 nonce,
 * 82 token} as BSI TR-03110 v2 has it, with ca_tr03110) for AES, under SM.
 * The key id is a big-endian integer of 1 to 4 bytes.
 * Not for use outside devices/vpass/.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/sm.h"
#include "devices/vpass/vpass-internal.h"

#define VPASS_INS_MSE 0x22
#define VPASS_INS_GENERAL_AUTHENTICATE 0x86

/* Status words of this module (see the table in vpass.h). */
#define VPASS_SW_CHAIN_EXPECTED 0x6883  /* GA chaining not where the protocol needs it */
#define VPASS_SW_REF_NOT_FOUND  0x6A88  /* no such password, key or parameters */
#define VPASS_SW_PACE_FAILED    0x6300  /* the terminal's token does not verify */

typedef struct vpass_eac vpass_eac;

/* What the card tells the module about the command's circumstances. */
typedef struct vpass_eac_env {
	const vpass_doc *doc;
	bool app_selected;  /* the eMRTD application is selected (else the MF) */
	bool secured;       /* the command came under secure messaging */
	bool ca_wrong_key;  /* vpass_options.ca_wrong_key */
	bool ca_tr03110;    /* vpass_options.ca_tr03110 */
	vpass_cam_attack cam_attack; /* vpass_options.cam_attack */
} vpass_eac_env;

vpass_eac *vpass_eac_new(void);
void vpass_eac_free(vpass_eac *e);
/* Forget any protocol in progress (card reset, SELECT of the application). */
void vpass_eac_reset(vpass_eac *e);

/* Process INS 22 or 86 (plain APDU, CLA bit 0x10 = chained). Response data
 * is appended to `out`; the status word is returned. *ret_rekey is set
 * when the card must switch to *ret_sm (SSC zero) once this answer is out. */
uint16_t vpass_eac_command(vpass_eac *e, const vpass_eac_env *env, const crypto_apdu *a, crypto_buf *out,
                           sm_ctx *ret_sm, bool *ret_rekey);
