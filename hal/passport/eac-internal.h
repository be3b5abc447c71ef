/*
 * eac-internal — PACE and chip authentication, terminal side (ICAO 9303
 * part 11, sections 4.4 and 6.2), built on OpenPACE (libeac) and driven
 * over a pp_channel: first what the reading stack calls (pp_pace_*,
 * pp_ca_run), then what PACE (pace.c) and chip authentication (ca.c) share
 * with their common part (eac.c): the protocols an OID names, the
 * standardized domain parameters, the command helpers and the checks of a
 * chip's public keys. Internal to hal/passport.
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

#include <eac/eac.h>
#include <openssl/buffer.h>

#include "crypto/buf.h"
#include "crypto/sm.h"
#include "hal/passport/channel-internal.h"
#include "hal/passport/pp.h"
#include "hal/passport/reader.h"

/* ---- for the reading stack ---- */

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
 * under the channel's current session; on PP_OK the channel is re-keyed,
 * its next protected answer due to prove the key (PP_ERR_CHIP_AUTH from
 * pp_channel_exchange when it does not), and *ret describes the run.
 * PP_ERR_NOT_SUPPORTED: DG14 offers no supported CA protocol;
 * PP_ERR_CHIP_AUTH: the chip's token does not verify (possible cloned
 * chip). */
pp_err pp_ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len, pp_protocol_info *ret, char *err,
                 size_t errlen);
/* ---- among pace.c, ca.c and eac.c ---- */

#define INS_MSE 0x22
#define INS_GA  0x86
#define CLA_CHAIN 0x10

/* A PACE run's outcome (pace.c). */
struct pp_pace {
	pp_protocol_info info;
	bool cam;
	int curve_nid;         /* PACE-CAM: the curve of the run */
	uint8_t *ca_ic;        /* PACE-CAM: decrypted chip authentication data */
	size_t ca_ic_len;
	uint8_t *pk_map;       /* PACE-CAM: the chip's mapping public key (DO'82) */
	size_t pk_map_len;
};

/* A standardized domain parameter set (part 11, 9.5.1). */
typedef struct std_dp {
	int id;
	const char *name;
	int nid;     /* curve; NID_undef for MODP groups */
} std_dp;

/* What a protocol OID says. */
typedef struct protocol {
	char oid[64];
	const char *name;
	char mapping[8];    /* GM, IM, CAM; "" for CA */
	char agreement[8];  /* ECDH, DH */
	bool aes;
	size_t key_len;
	char cipher[16];
} protocol;

/* OpenPACE's one-time set-up, before any of its calls. */
void eac_init(void);
/* err gets the sentence fmt makes; returns code. */
pp_err eac_fail(char *err, size_t errlen, pp_err code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Protocols and domain parameters. */
bool eac_describe(const char *dotted, protocol *ret);

/* Commands: one APDU, GENERAL AUTHENTICATE with its 7C data, a data
 * object taken from the answer, a status word in words. */
pp_err eac_exchange(pp_channel *ch, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const crypto_buf *data,
                    bool le, crypto_buf *out, uint16_t *ret_sw);
const std_dp *eac_find_dp(int id);
pp_err eac_general_authenticate(pp_channel *ch, bool chained, uint32_t tag, const BUF_MEM *value, crypto_buf *out,
                                uint16_t *ret_sw, const char *step, char *err, size_t errlen);
int eac_openpace_nid(const protocol *p);
size_t eac_order_len(int curve_nid);
pp_err eac_step_status(uint16_t sw, const char *step, bool token_step, char *err, size_t errlen);
pp_err eac_take(const crypto_buf *dyn, uint32_t tag, BUF_MEM **ret, const char *step, char *err, size_t errlen);

/* The chip's keys, DG14's SecurityInfos, the session from a run. */
bool eac_valid_chip_key(const std_dp *dp, const EAC_CTX *ctx, const BUF_MEM *key);
void eac_dg14_set(const uint8_t *dg14, size_t len, const uint8_t **ret, size_t *ret_len);
pp_err eac_session_from(const protocol *p, const KA_CTX *ka, sm_ctx *ret);
