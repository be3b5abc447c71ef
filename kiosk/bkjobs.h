/*
 * bkjobs — the kiosk's calls to the backend (kiosk/backend/client.h) off
 * the loop: each call runs on a thread of its own (libcurl blocks up to
 * its time-outs) and its answer is delivered on the loop's thread, once.
 * Stopping waits for the calls in flight and drops their answers, so
 * nothing is delivered to a journey that is gone.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "kiosk/backend/client.h"

typedef struct bkjobs bkjobs;

/* On the loop: e, and for a submission the application number, for a
 * refusal its reasons (NULL otherwise). */
typedef void (*bkjob_done)(bk_err e, const char *number, const bk_reasons *reasons, void *user);

/* Calls through client (owned by the caller, outliving the set) on ctx. */
bkjobs *bkjobs_new(bk_client *client, GMainContext *ctx);
/* Wait for the calls in flight, drop their answers, free. NULL is fine. */
void bkjobs_free(bkjobs *s);

/* Eligibility of the document the holder object describes (kiosk/journey's
 * holder: document_number, nationality, birth_date and expiry_date as
 * YYMMDD, document_code). */
void bkjobs_eligibility(bkjobs *s, const json_t *holder, bkjob_done done, void *user);
/* Submit the application: id, holder, contact {phone, email, address},
 * validity years, fee in rupiah (an e-passport). */
void bkjobs_submit(bkjobs *s, const char *application_id, const json_t *holder, const json_t *contact,
                   int validity_years, long fee, bkjob_done done, void *user);
