/*
 * eac — PACE and chip authentication, terminal side (ICAO 9303 part 11,
 * sections 4.4 and 6.2), built on OpenPACE (libeac) and driven over a
 * pp_channel.
 *
 * PACE runs in the clear on the master file, after EF.CardAccess was read,
 * and installs the new secure messaging session (AES or 3DES) on the
 * channel. Chip authentication runs under that session with the key from
 * DG14 and re-keys it. PACE-CAM leaves chip authentication data that is
 * checked against DG14 once DG14 has been read (pp_pace_cam_verify).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/channel.h"
#include "hal/passport/pp.h"

/* What a protocol ran with, for reports. Empty strings when not known. */
typedef struct pp_protocol_info {
	char oid[64];       /* dotted, e.g. "0.4.0.127.0.7.2.2.4.2.2" */
	char name[64];      /* e.g. "id-PACE-ECDH-GM-AES-CBC-CMAC-128" */
	char mapping[8];    /* PACE: "GM", "IM" or "CAM"; CA: "" */
	char agreement[8];  /* "ECDH" or "DH" */
	char domain[32];    /* curve or group, e.g. "brainpoolP256r1", "MODP-1024-160" */
	int parameter_id;   /* standardized domain parameter id; -1 when explicit */
	char cipher[16];    /* "AES-128", "AES-192", "AES-256" or "3DES" */
	int key_id;         /* CA: the key reference used; -1 when none */
} pp_protocol_info;

typedef enum pp_pace_secret {
	PP_PACE_MRZ = 1,    /* key from document number, birth and expiry date */
	PP_PACE_CAN = 2,    /* the 6-digit card access number */
} pp_pace_secret;

typedef struct pp_pace pp_pace; /* a completed PACE run */

/* Run PACE with the first PACE-CAM protocol EF.CardAccess offers that this
 * stack supports, else the first supported protocol. `secret`: for PP_PACE_MRZ the MRZ information as ICAO 9303
 * part 11 defines it (document number + check digit + birth date + check
 * digit + expiry date + check digit); for PP_PACE_CAN the CAN digits.
 * On PP_OK the channel carries the new session and *ret describes the run.
 * PP_ERR_NOT_SUPPORTED: EF.CardAccess offers nothing usable;
 * PP_ERR_ACCESS_DENIED: the chip rejected the key (wrong MRZ or CAN);
 * PP_ERR_PARSE: EF.CardAccess or a chip answer is malformed (a public key
 * that is not an uncompressed point on the curve, the point at infinity,
 * or a DH value outside 1 < y < p-1 or its subgroup, included);
 * PP_ERR_CHIP_AUTH: PACE-CAM ran but the chip sent no chip authentication
 * data as long as the curve's order (possible cloned chip);
 * PP_ERR_STATUS: the chip refused a step. `err` names the step. */
pp_err pp_pace_run(pp_channel *ch, const uint8_t *card_access, size_t card_access_len, pp_pace_secret type,
                   const char *secret, pp_pace **ret, char *err, size_t errlen);
const pp_protocol_info *pp_pace_info(const pp_pace *p);
/* True when the run used chip authentication mapping. */
bool pp_pace_is_cam(const pp_pace *p);
/* PACE-CAM: check the chip authentication data the chip sent against the
 * chip's public key in DG14 (the raw EF.DG14 file). DG14 must already have
 * been checked against the SOD (its hash matched): EF.CardAccess and the
 * chip are not trusted, so the key proves nothing unless the issuer signed
 * it. PP_ERR_CHIP_AUTH when it does not match, or the run used CAM but has
 * no valid CA_IC (possible cloned chip); PP_ERR_NOT_SUPPORTED when the run
 * did not use CAM. */
pp_err pp_pace_cam_verify(const pp_pace *p, const uint8_t *dg14, size_t dg14_len, char *err, size_t errlen);
void pp_pace_free(pp_pace *p);

/* Chip authentication with the key DG14 (the raw EF.DG14 file) holds,
 * under the channel's current session; on PP_OK the channel is re-keyed
 * and *ret describes the run. PP_ERR_NOT_SUPPORTED: DG14 offers no
 * supported CA protocol; PP_ERR_CHIP_AUTH: the chip could not prove it
 * holds the key (possible cloned chip). */
pp_err pp_ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len, pp_protocol_info *ret, char *err,
                 size_t errlen);
