/*
 * eac-internal — what PACE (pace.c) and chip authentication (ca.c) share
 * with the common part (eac.c): the protocols an OID names, the
 * standardized domain parameters, the command helpers and the checks of a
 * chip's public keys. Internal to hal/passport.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <eac/eac.h>
#include <openssl/buffer.h>

#include "crypto/buf.h"
#include "crypto/sm.h"
#include "hal/passport/eac.h"

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
pp_err eac_exchange(pp_channel *ch, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const buf *data,
                    bool le, buf *out, uint16_t *ret_sw);
const std_dp *eac_find_dp(int id);
pp_err eac_general_authenticate(pp_channel *ch, bool chained, uint32_t tag, const BUF_MEM *value, buf *out,
                                uint16_t *ret_sw, const char *step, char *err, size_t errlen);
int eac_openpace_nid(const protocol *p);
size_t eac_order_len(int curve_nid);
pp_err eac_step_status(uint16_t sw, const char *step, bool token_step, char *err, size_t errlen);
pp_err eac_take(const buf *dyn, uint32_t tag, BUF_MEM **ret, const char *step, char *err, size_t errlen);

/* The chip's keys, DG14's SecurityInfos, the session from a run. */
bool eac_valid_chip_key(const std_dp *dp, const EAC_CTX *ctx, const BUF_MEM *key);
void eac_dg14_set(const uint8_t *dg14, size_t len, const uint8_t **ret, size_t *ret_len);
pp_err eac_session_from(const protocol *p, const KA_CTX *ka, sm_ctx *ret);
