/*
 * reader-internal — what the files of the reading stack share: the state of
 * one read (a session), the limits of a read, and the steps each file
 * provides to the others, prefixed rd_. Nothing outside the reading stack
 * (reader.c, card-access.c, access.c, ef-read.c, auth.c) includes it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "crypto/lds/lds.h"
#include "hal/passport/channel-internal.h"
#include "hal/passport/eac-internal.h"
#include "hal/passport/reader.h"

/* Short reads under 3DES secure messaging: the protected answer (DO'87 with
 * padding, DO'99, DO'8E) must fit in 256 bytes, which leaves 231 plain
 * bytes; 223 also fits AES's 16-byte padding. */
#define SHORT_READ_MAX 223
/* Halving the read size after a failure stops here. */
#define MIN_READ 64
#define DEFAULT_RETRIES 3
/* EF.CardAccess holds a few SecurityInfos; anything larger is not one. */
#define CARD_ACCESS_MAX 4096

#define SW_BAC_REFUSED 0x6A88 /* referenced data not found: no BAC key */
#define SW_NO_CURRENT_EF 0x6986 /* command not allowed: no current EF */
#define SW_INCORRECT_P1P2 0x6A86
#define FID_MF 0x3F00

typedef struct session {
	pp_transport *t;
	pp_channel ch;
	pp_pace_secret pace_secret; /* what opened the PACE session */
	const pp_access_key *key;
	bool have_mrz;
	bool have_can;
	uint16_t current_fid;    /* the EF current on the chip, selected or named by
	                          * SFI in an answered READ BINARY (0: none) */
	bool select_files;       /* the chip refused a READ BINARY by short file
	                          * identifier: every later file is SELECTed */
	bool extended;           /* still trying extended-length reads */
	bool extended_ok;        /* reader and chip take extended APDUs */
	size_t read_max;         /* plain bytes per READ BINARY */
	unsigned retries;
	pp_document *doc;
	const pp_read_options *opt;
	size_t progress_done;
	size_t progress_expected;
	/* The session in force, to set it up again. */
	bool pace_session;       /* PACE opened the chip (else BAC) */
	pp_pace *pace;           /* the last PACE run */
	bool ca_done;            /* CA re-keyed the session with DG14's key */
	unsigned ca_runs;        /* times CA has run in this read (restores run it again) */
	unsigned long sm_ended_at_ca; /* the channel's sm_ended when CA first ran */
	char *err;
	size_t errlen;
	bool err_final;          /* err says why the read ends; later context is not added */
} session;

/* ---- the session and its failures (reader.c) ---- */

pp_err rd_command(session *s, const crypto_apdu *cmd, uint16_t *ret_sw);
bool rd_ends_read(pp_err e);
/* Chip authentication's proof failed (how: in words): the report's
 * verdict and the read's error say possible clone. */
void rd_chip_auth_unproven(session *s, const char *how);
pp_err rd_exchange(session *s, const crypto_apdu *cmd, crypto_buf *out, uint16_t *ret_sw);
bool rd_is_lost(pp_err e);
bool rd_is_removal(pp_err e);
double rd_now_seconds(void);
__attribute__((format(printf, 2, 3))) void rd_set_err(session *s, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void rd_set_text(char *out, size_t len, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) pp_err rd_status_error(session *s, uint16_t sw, const char *fmt, ...);
bool rd_transient_sw(uint16_t sw);

/* ---- EF.CardAccess (card-access.c) ---- */

pp_err rd_read_card_access(session *s);

/* ---- access control and restoring a session (access.c) ---- */

pp_err rd_access_control(session *s);
pp_err rd_restore_session(void *user);
void rd_session_out_of_step(session *s);
pp_err rd_verify_cam(session *s, const pp_file *dg14, char *why, size_t whylen);

/* ---- selecting and reading files (ef-read.c) ---- */

size_t rd_plain_capacity(size_t max_response);
pp_err rd_read_ef(session *s, lds_file file, const char *name, pp_file *f);
size_t rd_read_size(const session *s);
pp_err rd_select_application(session *s);
pp_err rd_select_file(session *s, uint16_t fid, uint16_t *ret_sw);
pp_err rd_select_mf(session *s);

/* ---- chip and active authentication (auth.c) ---- */

pp_err rd_active_authentication(session *s);
pp_err rd_chip_authentication(session *s);
void rd_sod_covered(session *s);
