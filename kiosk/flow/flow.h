/*
 * flow — the applicant's journey as a state machine: which screen the
 * kiosk shows, what each event from the applicant, a device, the backend
 * or a timer leads to, and what the kiosk must do on the way. Pure: no
 * devices, no clock, no I/O. The daemon feeds it events and carries out
 * the actions it returns (start a read, ask the backend, arm a timer,
 * wipe the session); the tests drive it alone.
 *
 * One constant table (flow.c) gives (state, event) -> next state and
 * actions; a pair not in the table is FLOW_ERR_UNEXPECTED, reported to
 * the transition callback, and changes nothing. flow_set_state() is the
 * one place the state changes: it skips steps whose device is not fitted
 * (and remembers they were skipped), cancels timers that no longer apply
 * and arms the new screen's, and reports the transition (the audit log's
 * record). States are named for what they wait on.
 *
 * The journey: touch -> language -> consent -> document -> access key ->
 * chip -> eligibility -> face -> fingerprints -> review -> fee -> payment
 * -> submission -> receipt, and back to touch. Beside it: "are you still
 * there?" (inactivity), an officer called, the backend unavailable, the
 * devices out of service, and a refusal with its reason.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum flow_err {
	FLOW_OK = 0,
	FLOW_ERR_ARG,
	FLOW_ERR_UNEXPECTED,    /* the event has no row for this state */
} flow_err;

const char *flow_strerror(flow_err e);

typedef enum flow_state {
	FLOW_WAIT_TOUCH = 0,     /* welcome screen: nobody is using the kiosk */
	FLOW_WAIT_LANGUAGE,      /* Bahasa Indonesia or English */
	FLOW_WAIT_CONSENT,       /* the privacy notice (UU 27/2022) accepted */
	FLOW_WAIT_DOCUMENT,      /* the passport placed on the reader */
	FLOW_WAIT_ACCESS_KEY,    /* the MRZ fields or the CAN typed */
	FLOW_WAIT_CHIP,          /* the chip being read (progress bar) */
	FLOW_WAIT_ELIGIBILITY,   /* the backend's answer */
	FLOW_WAIT_FACE,          /* the camera's capture */
	FLOW_WAIT_FINGERPRINTS,  /* the scanner's captures */
	FLOW_WAIT_REVIEW,        /* data confirmed, contact details entered */
	FLOW_WAIT_FEE,           /* the fee accepted */
	FLOW_WAIT_PAYMENT,       /* the payment terminal's answer */
	FLOW_WAIT_SUBMISSION,    /* the backend's application number */
	FLOW_WAIT_RECEIPT,       /* the applicant done with the receipt */
	FLOW_WAIT_STILL_THERE,   /* an answer to "are you still there?" */
	FLOW_WAIT_OFFICER,       /* an officer (staff action resumes or ends) */
	FLOW_WAIT_SERVICE,       /* the backend back (retry) */
	FLOW_WAIT_DEVICES,       /* out of service: the devices healthy again */
	FLOW_WAIT_REFUSAL_SEEN,  /* a refusal (not eligible) acknowledged */
} flow_state;
#define FLOW_N_STATES (FLOW_WAIT_REFUSAL_SEEN + 1)

const char *flow_state_name(flow_state s);
/* The state of a name flow_state_name gave (the store keeps names). */
flow_err flow_state_from_name(const char *name, flow_state *ret);

typedef enum flow_event {
	FLOW_EV_TOUCH = 0,       /* the welcome screen touched */
	FLOW_EV_LANGUAGE,        /* a language chosen (any screen with input) */
	FLOW_EV_CONSENT,         /* the privacy notice accepted */
	FLOW_EV_PLACED,          /* a document arrived on the reader */
	FLOW_EV_KEY_ENTERED,     /* MRZ or CAN typed and its check digits right */
	FLOW_EV_READ_OK,         /* read and verified */
	FLOW_EV_READ_REMOVED,    /* the applicant can fix it: document taken away */
	FLOW_EV_READ_WRONG_KEY,  /* the applicant can fix it: the MRZ or CAN does not open the chip */
	FLOW_EV_READ_OFFICER,    /* the document needs an officer (verification failed, blocked, clone) */
	FLOW_EV_ELIGIBLE,
	FLOW_EV_INELIGIBLE,      /* with reasons: shown */
	FLOW_EV_BACKEND_DOWN,    /* the backend did not answer */
	FLOW_EV_RETRY,           /* the applicant asks to try the backend again, or its timer */
	FLOW_EV_FACE_DONE,       /* the photo taken, the chip's holder, alive */
	FLOW_EV_FACE_FAILED,     /* the applicant can retry: not the holder, not alive, no photo */
	FLOW_EV_FINGERS_DONE,
	FLOW_EV_CONFIRM,         /* review confirmed, contact details valid */
	FLOW_EV_FEE_ACCEPTED,
	FLOW_EV_PAID,
	FLOW_EV_DECLINED,        /* the card was declined: the applicant may try again */
	FLOW_EV_SUBMITTED,       /* an application number */
	FLOW_EV_FINISH,          /* receipt or refusal screen left (touch or timer) */
	FLOW_EV_CANCEL,          /* the Cancel button */
	FLOW_EV_CALL_OFFICER,    /* the "Call an officer" button */
	FLOW_EV_STAFF_RESUME,    /* an officer lets the applicant go on */
	FLOW_EV_STAFF_END,       /* an officer ends the session */
	FLOW_EV_INACTIVE,        /* the screen's inactivity timer ran out */
	FLOW_EV_STILL_HERE,      /* "yes, I am here" (or more time) */
	FLOW_EV_NO_ANSWER,       /* nobody answered "are you still there?" */
	FLOW_EV_DEVICE_FAULT,    /* a device the flow needs is faulty or gone */
	FLOW_EV_DEVICES_OK,      /* every device the flow needs is healthy */
	FLOW_EV_INPUT,           /* a touch or a key the page handles alone: the applicant is still here */
} flow_event;
#define FLOW_N_EVENTS (FLOW_EV_INPUT + 1)

const char *flow_event_name(flow_event e);

/* What the kiosk must do, as bits: several may come with one transition. */
enum flow_action {
	FLOW_DO_NOTHING = 0,
	FLOW_DO_WIPE = 1 << 0,           /* forget the session: personal and biometric data, memory and store */
	FLOW_DO_NEW_SESSION = 1 << 1,    /* begin a session (a new application id) */
	FLOW_DO_SET_LANGUAGE = 1 << 2,   /* the event's language applies from now on */
	FLOW_DO_READ = 1 << 3,           /* start the chip read with the key typed */
	FLOW_DO_CANCEL_READ = 1 << 4,    /* a read may run: cancel it */
	FLOW_DO_ASK_ELIGIBILITY = 1 << 5,
	FLOW_DO_CAPTURE_FACE = 1 << 6,
	FLOW_DO_CAPTURE_FINGERS = 1 << 7,
	FLOW_DO_START_PAYMENT = 1 << 8,
	FLOW_DO_CANCEL_PAYMENT = 1 << 9,
	FLOW_DO_SUBMIT = 1 << 10,        /* submit (idempotent by the session's application id) */
	FLOW_DO_PRINT_RECEIPT = 1 << 11,
	FLOW_DO_CALL_STAFF = 1 << 12,    /* tell the staff someone needs help */
	FLOW_DO_SPEAK = 1 << 13,         /* speak the new screen's instruction */
	FLOW_DO_ARM_INACTIVITY = 1 << 14,/* (re)start the screen's inactivity timer (flow_timeout_s) */
	FLOW_DO_ARM_ANSWER = 1 << 15,    /* start the "still there?" answer timer */
	FLOW_DO_ARM_RETRY = 1 << 16,     /* start the backend retry timer */
	FLOW_DO_STOP_TIMERS = 1 << 17,   /* timers armed for the old screen no longer apply */
};
typedef unsigned flow_actions;

/* Steps that need a device, skipped when it is not fitted. */
enum flow_device {
	FLOW_DEV_CAMERA = 1 << 0,
	FLOW_DEV_FINGERPRINT = 1 << 1,
	FLOW_DEV_PAYMENT = 1 << 2,
};

typedef enum flow_language { FLOW_LANG_ID = 0, FLOW_LANG_EN } flow_language;

#define FLOW_MAX_RETRIES 3 /* applicant-fixable failures before "please see an officer" */

/* One transition as the audit log records it; ok false: the pair had no
 * row (nothing changed). */
typedef struct flow_transition {
	flow_state from, to;
	flow_event event;
	flow_actions actions;
	bool ok;
	const char *why;         /* words: the row's reason, or why it was refused */
} flow_transition;

typedef void (*flow_report_fn)(const flow_transition *t, void *user);

typedef struct flow_config {
	unsigned fitted;                        /* enum flow_device bits */
	unsigned inactivity_s[FLOW_N_STATES];   /* 0: the default (60 s); screens that wait on the machine have none */
	unsigned answer_s;                      /* "still there?" answer time, at least 20 s (WCAG 2.2.1) */
	unsigned retry_s;                       /* backend retry timer */
} flow_config;

/* The kiosk's defaults: nothing fitted but the reader, 60 s, 30 s, 15 s. */
flow_config flow_config_default(void);

typedef struct flow {
	flow_config cfg;
	flow_state state;
	flow_state resume;        /* where an overlay (still there, officer, service, devices) goes back to */
	flow_language language;
	unsigned retries;         /* applicant-fixable failures this session */
	unsigned face_retries;    /* the face step's, counted apart (FLOW_MAX_RETRIES of its own) */
	bool paid;                /* the fee is paid: the session must end in a submission */
	unsigned skipped;         /* enum flow_device bits of steps skipped this session */
	flow_report_fn report;
	void *report_user;
} flow;

/* A flow at the welcome screen. report may be NULL. */
void flow_init(flow *f, const flow_config *cfg, flow_report_fn report, void *user);

/* Feed an event: *ret_actions (may be NULL) gets what to do. arg is the
 * event's argument where it has one (FLOW_EV_LANGUAGE: a flow_language). */
flow_err flow_handle(flow *f, flow_event ev, int arg, flow_actions *ret_actions);

/* The one place the state changes (flow_handle calls it): steps whose
 * device is not fitted are skipped, timers follow the screen. Returns the
 * actions entering the state adds. Exposed for the daemon's restart (a
 * session resumed from the store) and for tests. */
flow_actions flow_set_state(flow *f, flow_state next, flow_event why);

/* The inactivity time of a screen in seconds (0: none: it waits on the
 * machine, not the applicant). */
unsigned flow_timeout_s(const flow *f, flow_state s);

/* The step indicator: the screen's step number (1-based) and how many
 * steps this session has, counting only fitted devices; 0 for screens
 * outside the journey's steps. */
unsigned flow_step(const flow *f, flow_state s, unsigned *ret_total);

/* A session found in the store when the daemon starts: where it goes.
 * Unpaid, it ends (the welcome screen; the daemon wipes it): the
 * applicant may be gone, and whoever stands there now must not see their
 * data. Paid but not yet submitted, it is submitted (idempotent by its
 * application id), whatever screen it was on. */
flow_state flow_after_restart(flow_state stored, bool paid);

/* Whether a step was skipped for want of its device this session. */
bool flow_was_skipped(const flow *f, unsigned device);

/* ---- the fee ---- */

typedef enum flow_passport_type { FLOW_PASSPORT_ORDINARY = 0, FLOW_PASSPORT_ELECTRONIC } flow_passport_type;

/* A tariff: rupiah for 5 and 10 years' validity of each type. */
typedef struct flow_tariff {
	unsigned long rupiah[2][2]; /* [type][0: 5 years, 1: 10 years] */
} flow_tariff;

/* PP 45/2024: ordinary 5 y Rp350.000, 10 y Rp650.000; electronic 5 y
 * Rp650.000, 10 y Rp950.000. */
flow_tariff flow_tariff_default(void);
/* The fee, or 0 (and FLOW_ERR_ARG) for a validity other than 5 or 10. */
flow_err flow_fee(const flow_tariff *t, flow_passport_type type, unsigned years, unsigned long *ret_rupiah);
