/*
 * flow — the applicant's journey: the transition table and set_state();
 * see flow.h.
 *
 * A row names a set of states (bits), an event, a guard, the next state
 * (or NEXT_SAME: stay, NEXT_RESUME: back to where an overlay was opened
 * from) and the row's own actions; the first row that matches wins, so
 * specific rows come before the general ones they refine. What entering a
 * state always brings (start the read, ask the backend, speak the
 * instruction, arm the screen's timer) is the state's, in enter_actions.
 */
#include "kiosk/flow/flow.h"

#include <string.h>

#define BIT(s) (1u << (s))
#define NEXT_SAME (-1)
#define NEXT_RESUME (-2)
#define DEFAULT_INACTIVITY_S 60
#define MIN_ANSWER_S 20 /* WCAG 2.2.1: at least 20 s to answer, with one touch */

/* Screens where the applicant is the one expected to act. */
#define INPUT_STATES                                                                                         \
	(BIT(FLOW_WAIT_LANGUAGE) | BIT(FLOW_WAIT_CONSENT) | BIT(FLOW_WAIT_DOCUMENT) |                        \
	 BIT(FLOW_WAIT_ACCESS_KEY) | BIT(FLOW_WAIT_REVIEW) | BIT(FLOW_WAIT_FEE) |                           \
	 BIT(FLOW_WAIT_REFUSAL_SEEN) | BIT(FLOW_WAIT_RECEIPT) | BIT(FLOW_WAIT_SERVICE))
/* Screens of a session the applicant may leave with Cancel (while the fee
 * is not paid: guarded). */
#define CANCEL_STATES                                                                                        \
	(BIT(FLOW_WAIT_LANGUAGE) | BIT(FLOW_WAIT_CONSENT) | BIT(FLOW_WAIT_DOCUMENT) |                        \
	 BIT(FLOW_WAIT_ACCESS_KEY) | BIT(FLOW_WAIT_CHIP) | BIT(FLOW_WAIT_ELIGIBILITY) |                     \
	 BIT(FLOW_WAIT_FACE) | BIT(FLOW_WAIT_FINGERPRINTS) | BIT(FLOW_WAIT_REVIEW) | BIT(FLOW_WAIT_FEE) |    \
	 BIT(FLOW_WAIT_PAYMENT) | BIT(FLOW_WAIT_SERVICE) | BIT(FLOW_WAIT_STILL_THERE) |                     \
	 BIT(FLOW_WAIT_REFUSAL_SEEN))
/* Overlays: screens over the journey that go back to it (resume). */
#define OVERLAY_STATES                                                                                       \
	(BIT(FLOW_WAIT_STILL_THERE) | BIT(FLOW_WAIT_OFFICER) | BIT(FLOW_WAIT_SERVICE) | BIT(FLOW_WAIT_DEVICES))
#define ALL_STATES ((1u << FLOW_N_STATES) - 1)

typedef enum guard {
	ALWAYS = 0,
	RETRIES_LEFT,   /* an applicant-fixable failure that may be retried (counts it) */
	NO_RETRIES,     /* ... that may not: the officer */
	FACE_RETRIES_LEFT, /* the same for the face step, which counts its own */
	NO_FACE_RETRIES,
	NOT_PAID,
	PAID,
} guard;

typedef struct row {
	unsigned states;     /* BIT() of each state the row applies in */
	flow_event event;
	guard when;
	int next;            /* a flow_state, NEXT_SAME or NEXT_RESUME */
	flow_actions actions;
	const char *why;
} row;

/* The journey. Cancel and the read's clean-up actions are harmless when
 * nothing runs: the daemon ignores a cancel of nothing. */
static const row table[] = {
	{ BIT(FLOW_WAIT_TOUCH), FLOW_EV_TOUCH, ALWAYS, FLOW_WAIT_LANGUAGE, FLOW_DO_NEW_SESSION, "a session begins" },
	{ BIT(FLOW_WAIT_LANGUAGE), FLOW_EV_LANGUAGE, ALWAYS, FLOW_WAIT_CONSENT, FLOW_DO_SET_LANGUAGE,
	  "language chosen" },
	{ INPUT_STATES, FLOW_EV_LANGUAGE, ALWAYS, NEXT_SAME,
	  FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK | FLOW_DO_ARM_INACTIVITY, "language switched" },
	/* A touch on "are you still there?": the answer time starts again. */
	{ BIT(FLOW_WAIT_STILL_THERE), FLOW_EV_LANGUAGE, ALWAYS, NEXT_SAME,
	  FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK | FLOW_DO_ARM_ANSWER, "language switched" },
	/* While the machine works, or help is coming: the words change, no
	 * timer starts. */
	{ ALL_STATES & ~INPUT_STATES & ~BIT(FLOW_WAIT_STILL_THERE) & ~BIT(FLOW_WAIT_TOUCH), FLOW_EV_LANGUAGE, ALWAYS,
	  NEXT_SAME, FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK, "language switched" },
	{ BIT(FLOW_WAIT_CONSENT), FLOW_EV_CONSENT, ALWAYS, FLOW_WAIT_DOCUMENT, 0, "privacy notice accepted" },
	{ BIT(FLOW_WAIT_DOCUMENT), FLOW_EV_PLACED, ALWAYS, FLOW_WAIT_ACCESS_KEY, 0, "document on the reader" },
	{ BIT(FLOW_WAIT_ACCESS_KEY), FLOW_EV_READ_REMOVED, ALWAYS, FLOW_WAIT_DOCUMENT, 0,
	  "document taken away before the key was typed" },
	{ BIT(FLOW_WAIT_ACCESS_KEY), FLOW_EV_KEY_ENTERED, ALWAYS, FLOW_WAIT_CHIP, 0, "access key typed" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_OK, ALWAYS, FLOW_WAIT_ELIGIBILITY, 0, "chip read and verified" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_REMOVED, RETRIES_LEFT, FLOW_WAIT_DOCUMENT, 0,
	  "document removed while reading: place it again" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_WRONG_KEY, RETRIES_LEFT, FLOW_WAIT_ACCESS_KEY, 0,
	  "the key does not open the chip: type it again" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_REMOVED, NO_RETRIES, FLOW_WAIT_OFFICER, 0,
	  "too many failed attempts: an officer is needed" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_WRONG_KEY, NO_RETRIES, FLOW_WAIT_OFFICER, 0,
	  "too many failed attempts: an officer is needed" },
	{ BIT(FLOW_WAIT_CHIP), FLOW_EV_READ_OFFICER, ALWAYS, FLOW_WAIT_OFFICER, 0, "the document needs an officer" },
	{ BIT(FLOW_WAIT_ELIGIBILITY), FLOW_EV_ELIGIBLE, ALWAYS, FLOW_WAIT_FACE, 0, "eligible for renewal" },
	{ BIT(FLOW_WAIT_ELIGIBILITY), FLOW_EV_INELIGIBLE, ALWAYS, FLOW_WAIT_REFUSAL_SEEN, 0,
	  "not eligible: the reason is shown" },
	{ BIT(FLOW_WAIT_ELIGIBILITY) | BIT(FLOW_WAIT_SUBMISSION), FLOW_EV_BACKEND_DOWN, ALWAYS, FLOW_WAIT_SERVICE, 0,
	  "the backend did not answer" },
	{ BIT(FLOW_WAIT_SERVICE), FLOW_EV_RETRY, ALWAYS, NEXT_RESUME, 0, "asking the backend again" },
	{ BIT(FLOW_WAIT_FACE), FLOW_EV_FACE_DONE, ALWAYS, FLOW_WAIT_FINGERPRINTS, 0,
	  "photo taken: the chip's holder, alive" },
	{ BIT(FLOW_WAIT_FACE), FLOW_EV_FACE_FAILED, FACE_RETRIES_LEFT, NEXT_SAME, FLOW_DO_CAPTURE_FACE | FLOW_DO_SPEAK,
	  "the face was not verified: try again" },
	{ BIT(FLOW_WAIT_FACE), FLOW_EV_FACE_FAILED, NO_FACE_RETRIES, FLOW_WAIT_OFFICER, 0,
	  "the face was not verified too often: an officer is needed" },
	{ BIT(FLOW_WAIT_FINGERPRINTS), FLOW_EV_FINGERS_DONE, ALWAYS, FLOW_WAIT_REVIEW, 0, "fingerprints captured" },
	{ BIT(FLOW_WAIT_REVIEW), FLOW_EV_CONFIRM, ALWAYS, FLOW_WAIT_FEE, 0, "data confirmed" },
	{ BIT(FLOW_WAIT_FEE), FLOW_EV_FEE_ACCEPTED, ALWAYS, FLOW_WAIT_PAYMENT, 0, "fee accepted" },
	{ BIT(FLOW_WAIT_PAYMENT), FLOW_EV_PAID, ALWAYS, FLOW_WAIT_SUBMISSION, 0, "fee paid" },
	{ BIT(FLOW_WAIT_PAYMENT), FLOW_EV_DECLINED, RETRIES_LEFT, NEXT_SAME, FLOW_DO_START_PAYMENT,
	  "payment declined: try again" },
	{ BIT(FLOW_WAIT_PAYMENT), FLOW_EV_DECLINED, NO_RETRIES, FLOW_WAIT_OFFICER, 0,
	  "payment declined too often: an officer is needed" },
	{ BIT(FLOW_WAIT_SUBMISSION), FLOW_EV_SUBMITTED, ALWAYS, FLOW_WAIT_RECEIPT, 0, "application number received" },
	{ BIT(FLOW_WAIT_RECEIPT) | BIT(FLOW_WAIT_REFUSAL_SEEN), FLOW_EV_FINISH, ALWAYS, FLOW_WAIT_TOUCH, FLOW_DO_WIPE,
	  "session over" },
	{ BIT(FLOW_WAIT_RECEIPT) | BIT(FLOW_WAIT_REFUSAL_SEEN), FLOW_EV_INACTIVE, ALWAYS, FLOW_WAIT_TOUCH,
	  FLOW_DO_WIPE, "session over (the screen timed out)" },
	/* Leaving: Cancel, never once the fee is paid. */
	{ CANCEL_STATES, FLOW_EV_CANCEL, NOT_PAID, FLOW_WAIT_TOUCH,
	  FLOW_DO_WIPE | FLOW_DO_CANCEL_READ | FLOW_DO_CANCEL_PAYMENT, "cancelled by the applicant" },
	/* Help. */
	{ ALL_STATES & ~BIT(FLOW_WAIT_OFFICER) & ~BIT(FLOW_WAIT_DEVICES), FLOW_EV_CALL_OFFICER, ALWAYS,
	  FLOW_WAIT_OFFICER, FLOW_DO_CANCEL_READ, "an officer was called" },
	{ BIT(FLOW_WAIT_OFFICER), FLOW_EV_STAFF_RESUME, ALWAYS, NEXT_RESUME, 0, "the officer lets the session go on" },
	{ BIT(FLOW_WAIT_OFFICER), FLOW_EV_STAFF_END, NOT_PAID, FLOW_WAIT_TOUCH,
	  FLOW_DO_WIPE | FLOW_DO_CANCEL_PAYMENT, "the officer ended the session" },
	{ BIT(FLOW_WAIT_OFFICER), FLOW_EV_STAFF_END, PAID, FLOW_WAIT_SUBMISSION, 0,
	  "the officer ended a paid session: it is submitted first" },
	/* Inactivity. */
	{ INPUT_STATES, FLOW_EV_INACTIVE, ALWAYS, FLOW_WAIT_STILL_THERE, 0, "no input: are you still there?" },
	{ INPUT_STATES, FLOW_EV_INPUT, ALWAYS, NEXT_SAME, FLOW_DO_ARM_INACTIVITY, "the applicant touched the screen or typed" },
	{ BIT(FLOW_WAIT_STILL_THERE), FLOW_EV_STILL_HERE, ALWAYS, NEXT_RESUME, 0, "the applicant is still there" },
	{ BIT(FLOW_WAIT_STILL_THERE), FLOW_EV_NO_ANSWER, NOT_PAID, FLOW_WAIT_TOUCH,
	  FLOW_DO_WIPE | FLOW_DO_CANCEL_READ | FLOW_DO_CANCEL_PAYMENT, "abandoned: nobody answered" },
	{ BIT(FLOW_WAIT_STILL_THERE), FLOW_EV_NO_ANSWER, PAID, FLOW_WAIT_SUBMISSION, 0,
	  "abandoned after paying: the application is submitted" },
	/* Devices. */
	{ ALL_STATES & ~BIT(FLOW_WAIT_DEVICES), FLOW_EV_DEVICE_FAULT, ALWAYS, FLOW_WAIT_DEVICES, FLOW_DO_CANCEL_READ,
	  "a device the journey needs is out of service" },
	{ BIT(FLOW_WAIT_DEVICES), FLOW_EV_DEVICES_OK, ALWAYS, NEXT_RESUME, 0, "the devices are back" },
	/* A document taken away or placed where nothing waits for it, and
	 * the inactivity timer of a screen that left already, change nothing. */
	{ ALL_STATES & ~BIT(FLOW_WAIT_DOCUMENT) & ~BIT(FLOW_WAIT_CHIP) & ~BIT(FLOW_WAIT_ACCESS_KEY),
	  FLOW_EV_READ_REMOVED, ALWAYS, NEXT_SAME, 0, "document taken away" },
	{ ALL_STATES & ~BIT(FLOW_WAIT_DOCUMENT), FLOW_EV_PLACED, ALWAYS, NEXT_SAME, 0, "document placed" },
};

const char *flow_strerror(flow_err e)
{
	switch (e) {
	case FLOW_OK: return "success";
	case FLOW_ERR_ARG: return "invalid argument";
	case FLOW_ERR_UNEXPECTED: return "the event has no transition from this state";
	}
	return "unknown flow error";
}

const char *flow_state_name(flow_state s)
{
	switch (s) {
	case FLOW_WAIT_TOUCH: return "wait-touch";
	case FLOW_WAIT_LANGUAGE: return "wait-language";
	case FLOW_WAIT_CONSENT: return "wait-consent";
	case FLOW_WAIT_DOCUMENT: return "wait-document";
	case FLOW_WAIT_ACCESS_KEY: return "wait-access-key";
	case FLOW_WAIT_CHIP: return "wait-chip";
	case FLOW_WAIT_ELIGIBILITY: return "wait-eligibility";
	case FLOW_WAIT_FACE: return "wait-face";
	case FLOW_WAIT_FINGERPRINTS: return "wait-fingerprints";
	case FLOW_WAIT_REVIEW: return "wait-review";
	case FLOW_WAIT_FEE: return "wait-fee";
	case FLOW_WAIT_PAYMENT: return "wait-payment";
	case FLOW_WAIT_SUBMISSION: return "wait-submission";
	case FLOW_WAIT_RECEIPT: return "wait-receipt";
	case FLOW_WAIT_STILL_THERE: return "wait-still-there";
	case FLOW_WAIT_OFFICER: return "wait-officer";
	case FLOW_WAIT_SERVICE: return "wait-service";
	case FLOW_WAIT_DEVICES: return "wait-devices";
	case FLOW_WAIT_REFUSAL_SEEN: return "wait-refusal-seen";
	}
	return "unknown";
}

flow_err flow_state_from_name(const char *name, flow_state *ret)
{
	for (int s = 0; name && s < FLOW_N_STATES; s++) {
		if (strcmp(flow_state_name((flow_state)s), name) == 0) {
			*ret = (flow_state)s;
			return FLOW_OK;
		}
	}
	return FLOW_ERR_ARG;
}

flow_state flow_after_restart(flow_state stored, bool paid)
{
	if (paid && stored != FLOW_WAIT_RECEIPT && stored != FLOW_WAIT_TOUCH)
		return FLOW_WAIT_SUBMISSION;
	return FLOW_WAIT_TOUCH;
}

const char *flow_event_name(flow_event e)
{
	switch (e) {
	case FLOW_EV_TOUCH: return "touch";
	case FLOW_EV_LANGUAGE: return "language";
	case FLOW_EV_CONSENT: return "consent";
	case FLOW_EV_PLACED: return "placed";
	case FLOW_EV_KEY_ENTERED: return "key-entered";
	case FLOW_EV_READ_OK: return "read-ok";
	case FLOW_EV_READ_REMOVED: return "removed";
	case FLOW_EV_READ_WRONG_KEY: return "wrong-key";
	case FLOW_EV_READ_OFFICER: return "read-needs-officer";
	case FLOW_EV_ELIGIBLE: return "eligible";
	case FLOW_EV_INELIGIBLE: return "ineligible";
	case FLOW_EV_BACKEND_DOWN: return "backend-down";
	case FLOW_EV_RETRY: return "retry";
	case FLOW_EV_FACE_DONE: return "face-done";
	case FLOW_EV_FACE_FAILED: return "face-failed";
	case FLOW_EV_FINGERS_DONE: return "fingers-done";
	case FLOW_EV_CONFIRM: return "confirm";
	case FLOW_EV_FEE_ACCEPTED: return "fee-accepted";
	case FLOW_EV_PAID: return "paid";
	case FLOW_EV_DECLINED: return "declined";
	case FLOW_EV_SUBMITTED: return "submitted";
	case FLOW_EV_FINISH: return "finish";
	case FLOW_EV_CANCEL: return "cancel";
	case FLOW_EV_CALL_OFFICER: return "call-officer";
	case FLOW_EV_STAFF_RESUME: return "staff-resume";
	case FLOW_EV_STAFF_END: return "staff-end";
	case FLOW_EV_INACTIVE: return "inactive";
	case FLOW_EV_STILL_HERE: return "still-here";
	case FLOW_EV_NO_ANSWER: return "no-answer";
	case FLOW_EV_DEVICE_FAULT: return "device-fault";
	case FLOW_EV_DEVICES_OK: return "devices-ok";
	case FLOW_EV_INPUT: return "input";
	}
	return "unknown";
}

flow_config flow_config_default(void)
{
	flow_config c = { .fitted = 0, .answer_s = 30, .retry_s = 15 };
	return c;
}

void flow_init(flow *f, const flow_config *cfg, flow_report_fn report, void *user)
{
	memset(f, 0, sizeof(*f));
	f->cfg = cfg ? *cfg : flow_config_default();
	if (f->cfg.answer_s < MIN_ANSWER_S)
		f->cfg.answer_s = MIN_ANSWER_S;
	f->state = FLOW_WAIT_TOUCH;
	f->resume = FLOW_WAIT_TOUCH;
	f->report = report;
	f->report_user = user;
}

unsigned flow_timeout_s(const flow *f, flow_state s)
{
	if (!(INPUT_STATES & BIT(s)))
		return 0;
	return f->cfg.inactivity_s[s] ? f->cfg.inactivity_s[s] : DEFAULT_INACTIVITY_S;
}

bool flow_was_skipped(const flow *f, unsigned device)
{
	return (f->skipped & device) != 0;
}

/* What entering a state always brings. */
static flow_actions enter_actions(const flow *f, flow_state s)
{
	flow_actions a = FLOW_DO_STOP_TIMERS;
	if (s != FLOW_WAIT_TOUCH)
		a |= FLOW_DO_SPEAK;
	if (flow_timeout_s(f, s) > 0)
		a |= FLOW_DO_ARM_INACTIVITY;
	switch (s) {
	case FLOW_WAIT_CHIP: a |= FLOW_DO_READ; break;
	case FLOW_WAIT_ELIGIBILITY: a |= FLOW_DO_ASK_ELIGIBILITY; break;
	case FLOW_WAIT_FACE: a |= FLOW_DO_CAPTURE_FACE; break;
	case FLOW_WAIT_FINGERPRINTS: a |= FLOW_DO_CAPTURE_FINGERS; break;
	case FLOW_WAIT_PAYMENT: a |= FLOW_DO_START_PAYMENT; break;
	case FLOW_WAIT_SUBMISSION: a |= FLOW_DO_SUBMIT; break;
	case FLOW_WAIT_RECEIPT: a |= FLOW_DO_PRINT_RECEIPT; break;
	case FLOW_WAIT_STILL_THERE: a |= FLOW_DO_ARM_ANSWER; break;
	case FLOW_WAIT_OFFICER: a |= FLOW_DO_CALL_STAFF; break;
	case FLOW_WAIT_SERVICE: a |= FLOW_DO_ARM_RETRY; break;
	case FLOW_WAIT_TOUCH:
	case FLOW_WAIT_LANGUAGE:
	case FLOW_WAIT_CONSENT:
	case FLOW_WAIT_DOCUMENT:
	case FLOW_WAIT_ACCESS_KEY:
	case FLOW_WAIT_REVIEW:
	case FLOW_WAIT_FEE:
	case FLOW_WAIT_DEVICES:
	case FLOW_WAIT_REFUSAL_SEEN:
		break;
	}
	return a;
}

/* A step whose device is not fitted gives way to the next. */
static flow_state skip_unfitted(flow *f, flow_state s)
{
	if (s == FLOW_WAIT_FACE && !(f->cfg.fitted & FLOW_DEV_CAMERA)) {
		f->skipped |= FLOW_DEV_CAMERA;
		s = FLOW_WAIT_FINGERPRINTS;
	}
	if (s == FLOW_WAIT_FINGERPRINTS && !(f->cfg.fitted & FLOW_DEV_FINGERPRINT)) {
		f->skipped |= FLOW_DEV_FINGERPRINT;
		s = FLOW_WAIT_REVIEW;
	}
	if (s == FLOW_WAIT_PAYMENT && !(f->cfg.fitted & FLOW_DEV_PAYMENT)) {
		f->skipped |= FLOW_DEV_PAYMENT;
		s = FLOW_WAIT_SUBMISSION;
	}
	return s;
}

/* Where the journey goes on after an overlay opened from s: a read that
 * was stopped starts again from the document (the daemon feeds PLACED
 * when one is on the reader). */
static flow_state resume_point(flow_state s)
{
	return s == FLOW_WAIT_CHIP ? FLOW_WAIT_DOCUMENT : s;
}

flow_actions flow_set_state(flow *f, flow_state next, flow_event why)
{
	(void)why;
	next = skip_unfitted(f, next);
	bool overlay = (OVERLAY_STATES & BIT(next)) != 0;
	/* Opening an overlay from the journey remembers where to go back; from
	 * another overlay, the journey's place stays. */
	if (overlay && !(OVERLAY_STATES & BIT(f->state)))
		f->resume = resume_point(f->state);
	if (next == FLOW_WAIT_TOUCH) { /* a new applicant starts from nothing */
		f->retries = 0;
		f->face_retries = 0;
		f->skipped = 0;
		f->paid = false;
		f->language = FLOW_LANG_ID;
		f->resume = FLOW_WAIT_TOUCH;
	}
	f->state = next;
	return enter_actions(f, next);
}

static bool guard_holds(const flow *f, guard g)
{
	switch (g) {
	case ALWAYS: return true;
	case RETRIES_LEFT: return f->retries < FLOW_MAX_RETRIES;
	case NO_RETRIES: return f->retries >= FLOW_MAX_RETRIES;
	case FACE_RETRIES_LEFT: return f->face_retries < FLOW_MAX_RETRIES;
	case NO_FACE_RETRIES: return f->face_retries >= FLOW_MAX_RETRIES;
	case NOT_PAID: return !f->paid;
	case PAID: return f->paid;
	}
	return false;
}

flow_err flow_handle(flow *f, flow_event ev, int arg, flow_actions *ret_actions)
{
	if (!f || (unsigned)ev >= FLOW_N_EVENTS)
		return FLOW_ERR_ARG;
	if (ev == FLOW_EV_LANGUAGE && arg != FLOW_LANG_ID && arg != FLOW_LANG_EN)
		return FLOW_ERR_ARG;
	const row *r = NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && !r; i++)
		if ((table[i].states & BIT(f->state)) && table[i].event == ev && guard_holds(f, table[i].when))
			r = &table[i];
	flow_transition t = { .from = f->state, .to = f->state, .event = ev };
	if (!r) {
		t.why = "no transition for this event here";
		if (f->report)
			f->report(&t, f->report_user);
		return FLOW_ERR_UNEXPECTED;
	}
	flow_actions a = r->actions;
	if (r->when == RETRIES_LEFT)
		f->retries++;
	if (r->when == FACE_RETRIES_LEFT)
		f->face_retries++;
	/* An officer who lets the applicant go on has looked: the camera
	 * step gets its tries again. */
	if (ev == FLOW_EV_STAFF_RESUME)
		f->face_retries = 0;
	if (ev == FLOW_EV_PAID)
		f->paid = true;
	if (a & FLOW_DO_SET_LANGUAGE)
		f->language = (flow_language)arg;
	if (r->next == NEXT_RESUME)
		a |= flow_set_state(f, f->resume, ev);
	else if (r->next != NEXT_SAME)
		a |= flow_set_state(f, (flow_state)r->next, ev);
	t.to = f->state;
	t.actions = a;
	t.ok = true;
	t.why = r->why;
	if (f->report)
		f->report(&t, f->report_user);
	if (ret_actions)
		*ret_actions = a;
	return FLOW_OK;
}

/* The steps the applicant sees, in order; a step may span several
 * screens. */
static int step_of(flow_state s)
{
	switch (s) {
	case FLOW_WAIT_LANGUAGE: return 1;
	case FLOW_WAIT_CONSENT: return 2;
	case FLOW_WAIT_DOCUMENT:
	case FLOW_WAIT_ACCESS_KEY:
	case FLOW_WAIT_CHIP:
	case FLOW_WAIT_ELIGIBILITY:
		return 3;
	case FLOW_WAIT_FACE: return 4;
	case FLOW_WAIT_FINGERPRINTS: return 5;
	case FLOW_WAIT_REVIEW: return 6;
	case FLOW_WAIT_FEE:
	case FLOW_WAIT_PAYMENT:
	case FLOW_WAIT_SUBMISSION:
		return 7;
	case FLOW_WAIT_RECEIPT: return 8;
	case FLOW_WAIT_TOUCH:
	case FLOW_WAIT_STILL_THERE:
	case FLOW_WAIT_OFFICER:
	case FLOW_WAIT_SERVICE:
	case FLOW_WAIT_DEVICES:
	case FLOW_WAIT_REFUSAL_SEEN:
		return 0;
	}
	return 0;
}

unsigned flow_step(const flow *f, flow_state s, unsigned *ret_total)
{
	bool camera = f->cfg.fitted & FLOW_DEV_CAMERA, fingers = f->cfg.fitted & FLOW_DEV_FINGERPRINT;
	unsigned total = 8 - !camera - !fingers;
	if (ret_total)
		*ret_total = total;
	int n = step_of(s);
	if (n == 0)
		return 0;
	/* Steps after a missing device move up. */
	unsigned shown = (unsigned)n;
	if (n > 4 && !camera)
		shown--;
	if (n > 5 && !fingers)
		shown--;
	return shown;
}

flow_tariff flow_tariff_default(void)
{
	flow_tariff t = { .rupiah = { { 350000, 650000 }, { 650000, 950000 } } };
	return t;
}

flow_err flow_fee(const flow_tariff *t, flow_passport_type type, unsigned years, unsigned long *ret_rupiah)
{
	if (!t || (type != FLOW_PASSPORT_ORDINARY && type != FLOW_PASSPORT_ELECTRONIC) || (years != 5 && years != 10)) {
		if (ret_rupiah)
			*ret_rupiah = 0;
		return FLOW_ERR_ARG;
	}
	*ret_rupiah = t->rupiah[type][years == 10];
	return FLOW_OK;
}
