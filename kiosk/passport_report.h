/*
 * passport_report — the report of `appm passport read` in words: the JSON
 * report or the short human summary of what the reader's one operation
 * (hal/passport/verify.h) read, parsed and verified, or the error that
 * ended it with what was known by then.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "hal/passport/passport.h"

/* A report that reached PP_STAGE_VERIFY, passed or not. link: the
 * transport's capabilities after the read, whose link facts (radio bit
 * rate and how it was reached, serial speed) go in "reading"; NULL, or a
 * fact the driver does not know, is null there. */
void passport_report_print_json(FILE *f, const pp_report *r, const pp_transport_caps *link);
void passport_report_print_summary(FILE *f, const pp_report *r);
/* {"error": {kind, message, detail, exit_code, and for a reader error its
 * class, recommended_action (device faults) and the status_word that ended
 * the read}} for --json callers, and
 * when doc is not NULL what is known of the read that failed, or of the
 * document whose data could not be used: "protocols" (the access control
 * tried, chip and active authentication), "data_groups" (files read and
 * why the others were not) and "reading" (timings, APDUs, bytes, and
 * link's facts as in passport_report_print_json). */
void passport_report_print_error(FILE *f, const pp_document *doc, const pp_transport_caps *link, pp_err err,
                                 const char *kind, const char *message, const char *detail, int exit_code);
