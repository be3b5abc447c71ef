/*
 * reader — the ICAO 9303 reading stack on top of a transport: read
 * EF.CardAccess, run access control (PACE when the chip offers it, else
 * BAC, and BAC after a failed PACE as inspection systems must), select the
 * eMRTD application, then read EF.COM, EF.SOD and every data group EF.COM
 * lists or the SOD covers, under secure messaging; run chip authentication
 * (DG14: PACE-CAM or CA) or else active authentication (DG15).
 *
 * Each file is named by its short identifier in its first READ BINARY,
 * with no SELECT, until the chip refuses that; from then on each is
 * SELECTed (the commands of a read and their reasons: reader.c). Reads
 * are as large as the chip and reader accept: one extended-length READ
 * BINARY per file when possible, falling back to short reads when the
 * chip answers an extended command with an error status. A transient error
 * or a lost answer (time-out) is retried from the same offset with half the
 * read size (not below 64 bytes), after re-establishing the session when
 * the chip may have moved on without us. Parsing and passive authentication
 * are the caller's: this module returns the raw files, what each protocol
 * did, timings and counters.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"
#include "hal/passport/transport.h"

#define PP_MAX_DG 16

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

/* What opens the chip: the MRZ fields (BAC, or PACE with the MRZ), the
 * card access number (PACE only), or both (PACE with the CAN, BAC with the
 * MRZ if PACE fails). A part not given is an empty string. */
typedef struct pp_access_key {
	char document_number[16]; /* as in the MRZ, without check digit */
	char birth_date[7];       /* YYMMDD */
	char expiry_date[7];      /* YYMMDD */
	char can[7];              /* the 6-digit card access number */
} pp_access_key;

typedef void (*pp_progress_cb)(size_t bytes_read, size_t bytes_expected, void *user);

typedef struct pp_read_options {
	int wait_ms;            /* how long to wait for a document */
	size_t max_read;        /* cap on bytes per READ BINARY; 0: as large as possible */
	bool short_only;        /* never use extended length */
	unsigned retries;       /* retries of a read after a transient error; 0: default 3 */
	int exchange_deadline_ms; /* the chip's longest silence in one exchange before the read ends
	                           * with PP_ERR_UNRESPONSIVE (never retried); 0: the transport's
	                           * default, PP_TRANSPORT_DEFAULT_DEADLINE_MS (ISO/IEC 14443-4's
	                           * longest frame waiting time and a margin) */
	pp_progress_cb progress;
	void *progress_user;
	/* Set (from any thread) to stop the read before its next command: it
	 * ends with PP_ERR_CANCELLED. An exchange already blocked in the
	 * reader is ended with pp_transport_cancel. NULL: never. */
	const atomic_bool *cancel;
} pp_read_options;

typedef struct pp_file {
	bool present;       /* read completely */
	pp_err err;         /* why not, when !present (PP_ERR_FILE_NOT_FOUND: absent) */
	uint16_t sw;        /* status word that ended the attempt, if any */
	uint8_t *data;
	size_t len;
	double seconds;
	unsigned long apdus;
} pp_file;

/* The outcome of chip or active authentication. */
typedef enum pp_auth_result {
	PP_AUTH_NOT_RUN = 0,     /* not attempted; the detail says why */
	PP_AUTH_PASSED,
	PP_AUTH_FAILED,          /* possible cloned chip (the read ends in PP_ERR_CHIP_AUTH) */
	PP_AUTH_NOT_SUPPORTED,   /* the document or this stack does not offer it */
} pp_auth_result;

/* "not run", "passed", "failed", "not supported". */
const char *pp_auth_result_name(pp_auth_result r);

#define PP_DETAIL_LEN 256

/* PACE, when EF.CardAccess offered it. */
typedef struct pp_pace_report {
	bool attempted;
	pp_pace_secret secret;   /* PP_PACE_MRZ or PP_PACE_CAN */
	pp_protocol_info info;   /* what ran (empty when it failed before choosing) */
	pp_err err;              /* PP_OK when PACE opened the chip */
	char error[PP_DETAIL_LEN]; /* why it failed: the reason BAC was used */
} pp_pace_report;

/* Chip authentication with the key in DG14: PACE-CAM or CA. */
typedef struct pp_chip_auth_report {
	char method[12];         /* "CA" or "PACE-CAM"; "" when neither ran */
	pp_protocol_info info;
	pp_auth_result result;
	char detail[PP_DETAIL_LEN];
} pp_chip_auth_report;

/* Active authentication with the key in DG15. */
typedef struct pp_active_auth_report {
	pp_auth_result result;
	char algorithm[64];      /* e.g. "RSA-2048, ISO/IEC 9796-2 scheme 1" */
	char hash[16];           /* "SHA-1", ... */
	char detail[PP_DETAIL_LEN]; /* what passed or failed, or why it was not run */
} pp_active_auth_report;

typedef struct pp_document {
	char reader[128];
	char access_control[16]; /* "PACE" or "BAC" */
	bool extended_length;    /* extended reads were used */
	unsigned bit_rate_kbps;  /* the radio link's rate as connect left it, or
	                          * the read's end when the chip was activated again
	                          * on the way (the transport's capabilities); 0: not
	                          * known */
	const char *bit_rate_how; /* how it was reached (a driver's constant text) */
	size_t read_size;        /* largest READ BINARY answer asked for */
	bool listed[PP_MAX_DG + 1]; /* EF.COM lists DGn */
	bool in_sod[PP_MAX_DG + 1]; /* EF.SOD has a hash of DGn (when it parses) */
	/* EF.CardAccess, read in the clear from the master file; present
	 * false (err PP_ERR_FILE_NOT_FOUND) when no selection found it. */
	pp_file card_access;
	char card_access_selection[32]; /* the selection that reached it, e.g.
	                                 * "SELECT P1 02 P2 0C"; "" when absent */
	pp_pace_report pace;
	bool bac_fallback;       /* PACE was tried, failed, and BAC opened the chip */
	pp_chip_auth_report chip_auth;
	pp_active_auth_report active_auth;
	pp_file com;
	pp_file sod;
	pp_file dg[PP_MAX_DG + 1]; /* index = DG number */
	/* Timings in seconds. */
	double connect_seconds;
	double access_seconds;
	double read_seconds;
	double total_seconds;
	/* Link counters. */
	unsigned long apdus;
	unsigned long long bytes_sent;
	unsigned long long bytes_received;
	unsigned long retried_reads;   /* reads sent again after a transient error or a time-out */
	unsigned long short_fallbacks;
	unsigned long timeouts;        /* reads whose answer was lost (PP_ERR_TIMEOUT or a link error) */
	unsigned long size_reductions; /* times the read size was halved after a failed read */
	unsigned long reestablished;   /* sessions set up again (dropped or out of step) */
	unsigned long get_responses;   /* GET RESPONSE commands for answers sent in pieces (61XX) */
	unsigned long sm_ended;        /* answers in the clear by which the chip ended secure messaging */
	uint16_t error_sw;             /* the status word that ended the read (or failed
	                                * active authentication); 0: none */
	/* How the files were reached: each by its short file identifier in
	 * its first READ BINARY (no SELECT) until the chip refused that, then
	 * each by SELECT. The status of that refusal; 0: none (no file was
	 * SELECTed but to tell an absent one from a refusal, or to pick a file
	 * up again after the session was set up afresh). */
	uint16_t sfi_refused_sw;
} pp_document;

/* Read a document. On PP_OK *ret holds every file that could be read (a
 * listed data group that is absent is recorded in its pp_file; so is one
 * the SOD covers but EF.COM does not list). On failure, `err` (if given)
 * says which step failed, e.g. "reading DG2 at offset 4096".
 * PP_ERR_ACCESS_DENIED: neither PACE nor BAC accepted the key (or only a
 * CAN was given and the chip has no PACE); PP_ERR_CHIP_AUTH: chip or
 * active authentication failed, `err` names the step ("possible cloned
 * chip: ..."). */
pp_err pp_read_document(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                        pp_document **ret, char *err, size_t errlen);
/* pp_read_document, and on a failure once the read has begun, what it
 * had learnt when it stopped: when ret_partial is not NULL, *ret_partial
 * receives the partial document (the access control attempted, the files
 * read so far and why the others were not, timings and counters) for the
 * caller to report and pp_document_free. Untouched on PP_OK, and on a
 * failure before the read began (bad arguments, out of memory). */
pp_err pp_read_document_partial(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                                pp_document **ret, pp_document **ret_partial, char *err, size_t errlen);
void pp_document_free(pp_document *doc);

/* Data groups this stack reads when EF.COM lists them or the SOD covers
 * them (DG3 and DG4 need extended access control and are skipped). */
bool pp_dg_readable(int dg);
