/*
 * reader — the ICAO 9303 reading stack on top of a transport: select the
 * eMRTD application, run access control (BAC), then read EF.COM, EF.SOD and
 * the data groups EF.COM lists, under secure messaging.
 *
 * Reads are as large as the chip and reader accept: one extended-length
 * READ BINARY per file when possible, falling back to short reads when the
 * chip answers an extended command with an error status; a transient error
 * is retried from the same offset. Parsing and passive authentication are
 * the caller's: this module returns the raw files, timings and counters.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"
#include "hal/passport/transport.h"

#define PP_MAX_DG 16

typedef struct pp_access_key {
	char document_number[16]; /* as in the MRZ, without check digit */
	char birth_date[7];       /* YYMMDD */
	char expiry_date[7];      /* YYMMDD */
} pp_access_key;

typedef void (*pp_progress_cb)(size_t bytes_read, size_t bytes_expected, void *user);

typedef struct pp_read_options {
	int wait_ms;            /* how long to wait for a document */
	size_t max_read;        /* cap on bytes per READ BINARY; 0: as large as possible */
	bool short_only;        /* never use extended length */
	unsigned retries;       /* retries of a read after a transient error; 0: default 3 */
	pp_progress_cb progress;
	void *progress_user;
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

typedef struct pp_document {
	char reader[128];
	char access_control[16]; /* "BAC" */
	bool extended_length;    /* extended reads were used */
	size_t read_size;        /* largest READ BINARY answer asked for */
	bool listed[PP_MAX_DG + 1]; /* EF.COM lists DGn */
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
	unsigned long retried_reads;
	unsigned long short_fallbacks;
} pp_document;

/* Read a document. On PP_OK *ret holds every file that could be read (a
 * listed data group that is absent is recorded in its pp_file). On failure,
 * `err` (if given) says which step failed, e.g. "reading DG2 at offset 4096". */
pp_err pp_read_document(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                        pp_document **ret, char *err, size_t errlen);
void pp_document_free(pp_document *doc);

/* Data groups this stack reads when EF.COM lists them (DG3 and DG4 need
 * extended access control and are skipped). */
bool pp_dg_readable(int dg);
