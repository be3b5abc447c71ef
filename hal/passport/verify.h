/*
 * verify — the passport reader's one operation: read the document on a
 * reader (reader.h), parse what it holds (crypto/lds) and verify it
 * (passive authentication, crypto/pa), giving back one report of what was
 * read, what it says, what was proved, and how the reading went — or the
 * typed error that ended it, with whatever was known by then. The command
 * line and the kiosk's flow both call this; progress and cancel come with
 * the read options (pp_read_options), so the device core can run it on a
 * worker thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "crypto/lds/face.h"
#include "crypto/lds/lds.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "hal/passport/pp.h"
#include "hal/passport/reader.h"
#include "hal/passport/transport.h"

/* What the files say. */
typedef struct pp_parsed {
	lds_com com;
	lds_mrz mrz;            /* DG1 */
	lds_dg2 *dg2;
	face_image *face;       /* DG2's face, decoded */
	lds_dg11 *dg11;         /* NULL when the chip has no DG11 */
	lds_dg12 *dg12;
	bool has_dg14;
	secinfo_list dg14;      /* DG14's SecurityInfos, read as the reader reads them */
	lds_dg15 *dg15;
} pp_parsed;

/* How far the operation got. */
typedef enum pp_stage {
	PP_STAGE_READ = 0,      /* reading the chip (the error is the read's) */
	PP_STAGE_PARSE,         /* read; a file is malformed (PP_ERR_PARSE) */
	PP_STAGE_VERIFY,        /* read and parsed; passive authentication ran */
} pp_stage;

typedef struct pp_report {
	pp_err err;             /* PP_OK: read, parsed, and every check passed */
	pp_stage stage;         /* where it stopped (PP_STAGE_VERIFY on PP_OK) */
	char detail[512];       /* the step that failed, for the engineer; "" on PP_OK */
	pp_document *doc;       /* what was read: whole from PP_STAGE_PARSE on, as far
	                         * as it got before (NULL when the read never began) */
	pp_parsed parsed;       /* from PP_STAGE_VERIFY on */
	pa_report pa;           /* passive authentication (PP_STAGE_VERIFY) */
	bool trusted;           /* a trust store was given: without one the chain
	                         * cannot pass, and neither can the report */
} pp_report;

/* Read, parse and verify the document on t with key, against trust (may be
 * NULL: nothing is trusted). *ret receives the report whatever the outcome
 * (except PP_ERR_ARG and PP_ERR_NOMEM before anything began, when it stays
 * untouched); its err is the return value. PP_ERR_NOT_VERIFIED: read and
 * parsed, but a passive-authentication check failed (pa says which). */
pp_err pp_read_passport(pp_transport *t, const pp_access_key *key, const pa_trust *trust,
                        const pp_read_options *opt, pp_report **ret);
void pp_report_free(pp_report *r);

/* What the files of a whole read say (the parse step of pp_read_passport,
 * for tests and fuzzing). false when one is malformed: why names the file
 * ("DG2: unexpected tag"). */
bool pp_parse_document(const pp_document *doc, pp_parsed *ret, char *why, size_t why_len);
void pp_parsed_clear(pp_parsed *p);

/* The first failing passive-authentication check, in words. */
void pp_pa_first_failure(const pa_report *pa, char *out, size_t len);
