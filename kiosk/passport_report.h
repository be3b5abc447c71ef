/*
 * passport_report — turn what was read from a passport into words: parse
 * the raw files into LDS structures, and print the JSON report or the short
 * human summary of `appm passport read`.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "crypto/lds/face.h"
#include "crypto/lds/lds.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "hal/passport/reader.h"

typedef struct passport_parsed {
	lds_com com;
	lds_mrz mrz;
	lds_dg2 *dg2;
	face_image *face;      /* the decoded face, when DG2 was read */
	lds_dg11 *dg11;
	lds_dg12 *dg12;
	bool has_dg14;
	secinfo_list dg14;     /* DG14's security infos, read as the reader reads them */
	lds_dg15 *dg15;
} passport_parsed;

/* Parse every file read. false when one is malformed: `why` names the file
 * and says what is wrong with it, e.g. "DG2: unexpected tag". */
bool passport_parse(const pp_document *doc, passport_parsed *ret, char *why, size_t why_len);
void passport_parsed_clear(passport_parsed *p);

void passport_report_print_json(FILE *f, const pp_document *doc, const passport_parsed *p, const pa_report *pa,
                                bool have_trust);
void passport_report_print_summary(FILE *f, const pp_document *doc, const passport_parsed *p,
                                   const pa_report *pa, bool have_trust);
/* {"error": {kind, message, detail, exit_code}} for --json callers, and
 * when doc is not NULL what is known of the read that failed, or of the
 * document whose data could not be used: "protocols" (the access control
 * tried, chip and active authentication), "data_groups" (files read and
 * why the others were not) and "reading" (timings, APDUs, bytes). */
void passport_report_print_error(FILE *f, const pp_document *doc, const char *kind, const char *message,
                                 const char *detail, int exit_code);
/* The first failing passive-authentication check, in words. */
void passport_report_first_failure(const pa_report *pa, char *out, size_t len);
