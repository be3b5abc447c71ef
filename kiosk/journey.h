/*
 * journey — the applicant's journey carried out in the daemon: the state
 * machine (kiosk/flow) fed by the page's actions (ui/server), the
 * devices' events and its own timers, on the loop's thread; what the
 * machine asks for done (a session begun or wiped, timers, the page told
 * the new state), and the session kept in the store after every step, so
 * that a restart of the daemon resumes or ends it (flow_after_restart).
 *
 * Built so far: the screens up to the chip read (the access key typed and
 * checked, the read with its progress, its failures sorted into what the
 * applicant can fix and what needs an officer), every overlay (still
 * there?, officer, out of service) and the timers; the backend's
 * eligibility and the submission (kiosk/bkjobs.c, off the loop); the
 * review's contact details and the fee. The camera, fingerprints,
 * payment and receipt printer are later issues: their steps are skipped
 * (not fitted) and the page says so.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "hal/passport/passport.h"
#include "kiosk/backend/client.h"
#include "kiosk/devices.h"
#include "kiosk/flow/flow.h"
#include "kiosk/store/store.h"
#include "ui/server.h"

typedef struct journey journey;

/* One line for the daemon's log: no personal data. */
typedef void (*journey_log_fn)(const char *line, void *user);

/* A journey on ctx's loop, keeping its session in st (NULL: none), with
 * cfg's timers (NULL: flow_config_default) and tariff's fees (NULL:
 * PP 45/2024). A session left in the store by an earlier run is ended or
 * resumed now. */
journey *journey_new(store *st, GMainContext *ctx, const flow_config *cfg, const flow_tariff *tariff,
                     journey_log_fn log, void *log_user);
/* What the staff must hear of at once (kind "officer-called", words
 * without personal data), for the daemon's event log and its watchers. */
typedef void (*journey_notify_fn)(const char *kind, const char *text, void *user);
void journey_set_notify(journey *j, journey_notify_fn fn, void *user);
/* Serve the page through s (which must outlive the journey or be
 * detached with NULL). */
void journey_attach_ui(journey *j, ui_server *s);
/* The devices the journey reads the document with, and the CSCAs it is
 * verified against (both must outlive the journey; trust may be NULL: a
 * read then never passes and the applicant is sent to an officer). */
void journey_attach_devices(journey *j, kdevs *devs, const pa_trust *trust);
/* The backend the journey asks (eligibility, submission); client must
 * outlive the journey. Without one, the backend counts as down. */
void journey_attach_backend(journey *j, bk_client *client);
/* The camera step (kiosk/face.h), which the journey then owns; fitted
 * when the devices attached include a camera (attach those first). NULL:
 * no face step (not fitted). */
typedef struct kface kface;
void journey_attach_face(journey *j, kface *face);
/* The page's action decider, for ui_options.on_action (user: the journey). */
bool journey_on_action(const json_t *action, char *why, size_t why_len, int *ret_status, void *user);
/* A device event (kiosk/devices.h kinds): a document placed or removed,
 * a device offline or online. */
void journey_device_event(journey *j, const char *device, const char *kind);
/* An officer's answer to a call (`appm staff`): resume the session where
 * it was, or end it (wiped; a paid one is submitted first). false with
 * words when no session waits for an officer. */
bool journey_staff(journey *j, bool resume, char *why, size_t why_len);
/* The kiosk's session for the staff, without personal data:
 * {"session": bool, "screen", "since", "officer_called": bool, and when
 * an officer is called "resume" (the screen the applicant was on) and
 * "why" (the reason the officer screen was entered)}. */
json_t *journey_describe(const journey *j);
/* Timers stopped; the session stays in the store for the next start. */
void journey_free(journey *j);
