/*
 * test_flow — the applicant's journey (kiosk/flow) without devices: the
 * whole journey with every device fitted and with none; every state
 * against every event (a pair without a row changes nothing and is
 * reported); retries up to three, then the officer; inactivity and the
 * "still there?" answer on every screen that waits on the applicant;
 * Cancel on every screen, never after paying; the officer, the backend
 * and the devices as overlays that go back where they came from; the
 * language switched mid-way; the step indicator; the tariff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kiosk/flow/flow.h"

#define ALL_DEVICES (FLOW_DEV_CAMERA | FLOW_DEV_FINGERPRINT | FLOW_DEV_PAYMENT)

typedef struct log {
	unsigned transitions, refused;
	flow_transition last;
} log;

static void record(const flow_transition *t, void *user)
{
	log *l = user;
	if (t->ok)
		l->transitions++;
	else
		l->refused++;
	l->last = *t;
}

static void start(flow *f, log *l, unsigned fitted)
{
	flow_config c = flow_config_default();
	c.fitted = fitted;
	memset(l, 0, sizeof(*l));
	flow_init(f, &c, record, l);
}

/* Feed ev; it must lead to want and bring the actions in must. */
static void step(flow *f, flow_event ev, int arg, flow_state want, flow_actions must)
{
	flow_actions a = 0;
	flow_err e = flow_handle(f, ev, arg, &a);
	if (e != FLOW_OK || f->state != want || (a & must) != must)
		fail_msg("%s: got %s (%s), actions %#x; want %s with %#x", flow_event_name(ev), flow_state_name(f->state),
		         flow_strerror(e), a, flow_state_name(want), must);
}

/* From the welcome screen to the chip being read. */
static void to_chip(flow *f)
{
	step(f, FLOW_EV_TOUCH, 0, FLOW_WAIT_LANGUAGE, FLOW_DO_NEW_SESSION | FLOW_DO_SPEAK | FLOW_DO_ARM_INACTIVITY);
	step(f, FLOW_EV_LANGUAGE, FLOW_LANG_EN, FLOW_WAIT_CONSENT, FLOW_DO_SET_LANGUAGE | FLOW_DO_STOP_TIMERS);
	step(f, FLOW_EV_CONSENT, 0, FLOW_WAIT_DOCUMENT, FLOW_DO_ARM_INACTIVITY);
	step(f, FLOW_EV_PLACED, 0, FLOW_WAIT_ACCESS_KEY, FLOW_DO_ARM_INACTIVITY);
	step(f, FLOW_EV_KEY_ENTERED, 0, FLOW_WAIT_CHIP, FLOW_DO_READ | FLOW_DO_STOP_TIMERS);
}

static void test_journey_every_device(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, ALL_DEVICES);
	to_chip(&f);
	assert_int_equal(f.language, FLOW_LANG_EN);
	step(&f, FLOW_EV_READ_OK, 0, FLOW_WAIT_ELIGIBILITY, FLOW_DO_ASK_ELIGIBILITY);
	step(&f, FLOW_EV_ELIGIBLE, 0, FLOW_WAIT_FACE, FLOW_DO_CAPTURE_FACE);
	step(&f, FLOW_EV_FACE_DONE, 0, FLOW_WAIT_FINGERPRINTS, FLOW_DO_CAPTURE_FINGERS);
	step(&f, FLOW_EV_FINGERS_DONE, 0, FLOW_WAIT_REVIEW, FLOW_DO_ARM_INACTIVITY);
	step(&f, FLOW_EV_CONFIRM, 0, FLOW_WAIT_FEE, FLOW_DO_ARM_INACTIVITY);
	step(&f, FLOW_EV_FEE_ACCEPTED, 0, FLOW_WAIT_PAYMENT, FLOW_DO_START_PAYMENT);
	step(&f, FLOW_EV_PAID, 0, FLOW_WAIT_SUBMISSION, FLOW_DO_SUBMIT);
	assert_true(f.paid);
	step(&f, FLOW_EV_SUBMITTED, 0, FLOW_WAIT_RECEIPT, FLOW_DO_PRINT_RECEIPT);
	step(&f, FLOW_EV_FINISH, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);
	assert_false(f.paid);
	assert_int_equal(f.skipped, 0);
	assert_int_equal(f.language, FLOW_LANG_ID); /* the next applicant starts in Indonesian */
	assert_int_equal(l.transitions, 14);
	assert_int_equal(l.refused, 0);
}

/* No camera, scanner or terminal: their steps are skipped and said so. */
static void test_journey_nothing_fitted(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, 0);
	to_chip(&f);
	step(&f, FLOW_EV_READ_OK, 0, FLOW_WAIT_ELIGIBILITY, 0);
	step(&f, FLOW_EV_ELIGIBLE, 0, FLOW_WAIT_REVIEW, 0);
	assert_true(flow_was_skipped(&f, FLOW_DEV_CAMERA));
	assert_true(flow_was_skipped(&f, FLOW_DEV_FINGERPRINT));
	assert_false(flow_was_skipped(&f, FLOW_DEV_PAYMENT));
	step(&f, FLOW_EV_CONFIRM, 0, FLOW_WAIT_FEE, 0);
	step(&f, FLOW_EV_FEE_ACCEPTED, 0, FLOW_WAIT_SUBMISSION, FLOW_DO_SUBMIT);
	assert_true(flow_was_skipped(&f, FLOW_DEV_PAYMENT));
	/* The step indicator counts only what this kiosk has. */
	unsigned total = 0;
	assert_int_equal(flow_step(&f, FLOW_WAIT_REVIEW, &total), 4);
	assert_int_equal(total, 6);
	assert_int_equal(flow_step(&f, FLOW_WAIT_RECEIPT, &total), 6);
}

static void test_step_indicator(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, ALL_DEVICES);
	unsigned total = 0;
	assert_int_equal(flow_step(&f, FLOW_WAIT_LANGUAGE, &total), 1);
	assert_int_equal(total, 8);
	assert_int_equal(flow_step(&f, FLOW_WAIT_CHIP, NULL), 3); /* "Langkah 3 dari 8" */
	assert_int_equal(flow_step(&f, FLOW_WAIT_PAYMENT, NULL), 7);
	assert_int_equal(flow_step(&f, FLOW_WAIT_OFFICER, NULL), 0);
	start(&f, &l, FLOW_DEV_FINGERPRINT);
	assert_int_equal(flow_step(&f, FLOW_WAIT_FINGERPRINTS, &total), 4);
	assert_int_equal(total, 7);
}

/* Every state against every event: either a row takes it, or nothing
 * changes and the refusal is reported. */
static void test_every_pair(void **state)
{
	(void)state;
	unsigned taken = 0, refused = 0;
	for (int s = 0; s < FLOW_N_STATES; s++) {
		for (int ev = 0; ev < FLOW_N_EVENTS; ev++) {
			for (int paid = 0; paid <= 1; paid++) {
				flow f;
				log l;
				start(&f, &l, ALL_DEVICES);
				f.state = (flow_state)s;
				f.resume = FLOW_WAIT_REVIEW;
				f.paid = paid;
				flow_actions a = 0xdead;
				flow_err e = flow_handle(&f, (flow_event)ev, FLOW_LANG_EN, &a);
				if (e == FLOW_OK) {
					taken++;
					assert_int_equal(l.transitions, 1);
					assert_true(l.last.ok);
					assert_non_null(l.last.why);
					assert_int_equal(l.last.to, f.state);
					/* Nothing paid is wiped before its receipt (a
					 * refusal comes before any payment). */
					if (paid && (a & FLOW_DO_WIPE) && s != FLOW_WAIT_RECEIPT &&
					    s != FLOW_WAIT_REFUSAL_SEEN)
						fail_msg("%s + %s wipes a paid session", flow_state_name((flow_state)s),
						         flow_event_name((flow_event)ev));
				} else {
					refused++;
					assert_int_equal(e, FLOW_ERR_UNEXPECTED);
					assert_int_equal(f.state, s);
					assert_int_equal(a, 0xdead); /* untouched */
					assert_int_equal(l.refused, 1);
					assert_false(l.last.ok);
				}
			}
		}
	}
	assert_true(taken > 100);
	assert_true(refused > 100);
	/* An event out of range, or a language that is not one. */
	flow f;
	log l;
	start(&f, &l, 0);
	assert_int_equal(flow_handle(&f, (flow_event)FLOW_N_EVENTS, 0, NULL), FLOW_ERR_ARG);
	f.state = FLOW_WAIT_LANGUAGE;
	assert_int_equal(flow_handle(&f, FLOW_EV_LANGUAGE, 7, NULL), FLOW_ERR_ARG);
	for (int e = FLOW_OK; e <= FLOW_ERR_UNEXPECTED; e++)
		assert_true(strlen(flow_strerror((flow_err)e)) > 0);
	for (int s = 0; s < FLOW_N_STATES; s++)
		assert_string_not_equal(flow_state_name((flow_state)s), "unknown");
	for (int ev = 0; ev < FLOW_N_EVENTS; ev++)
		assert_string_not_equal(flow_event_name((flow_event)ev), "unknown");
}

/* Wrong key and removal: retried three times, the fourth is the officer. */
static void test_retries(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, 0);
	to_chip(&f);
	step(&f, FLOW_EV_READ_WRONG_KEY, 0, FLOW_WAIT_ACCESS_KEY, FLOW_DO_ARM_INACTIVITY);
	step(&f, FLOW_EV_KEY_ENTERED, 0, FLOW_WAIT_CHIP, FLOW_DO_READ);
	step(&f, FLOW_EV_READ_REMOVED, 0, FLOW_WAIT_DOCUMENT, 0);
	step(&f, FLOW_EV_PLACED, 0, FLOW_WAIT_ACCESS_KEY, 0);
	step(&f, FLOW_EV_KEY_ENTERED, 0, FLOW_WAIT_CHIP, FLOW_DO_READ);
	step(&f, FLOW_EV_READ_WRONG_KEY, 0, FLOW_WAIT_ACCESS_KEY, 0);
	step(&f, FLOW_EV_KEY_ENTERED, 0, FLOW_WAIT_CHIP, FLOW_DO_READ);
	assert_int_equal(f.retries, 3);
	step(&f, FLOW_EV_READ_WRONG_KEY, 0, FLOW_WAIT_OFFICER, FLOW_DO_CALL_STAFF);
	/* The officer lets them go on: from the document, not a read. */
	step(&f, FLOW_EV_STAFF_RESUME, 0, FLOW_WAIT_DOCUMENT, 0);
	/* A document the chip rejects needs the officer at once. */
	start(&f, &l, 0);
	to_chip(&f);
	step(&f, FLOW_EV_READ_OFFICER, 0, FLOW_WAIT_OFFICER, FLOW_DO_CALL_STAFF);
	step(&f, FLOW_EV_STAFF_END, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);
	/* The document taken away before the key is typed: place it again. */
	start(&f, &l, 0);
	to_chip(&f);
	f.state = FLOW_WAIT_ACCESS_KEY;
	step(&f, FLOW_EV_READ_REMOVED, 0, FLOW_WAIT_DOCUMENT, 0);
	assert_int_equal(f.retries, 0);
	/* A declined card, likewise. */
	start(&f, &l, FLOW_DEV_PAYMENT);
	f.state = FLOW_WAIT_PAYMENT;
	for (int i = 0; i < FLOW_MAX_RETRIES; i++)
		step(&f, FLOW_EV_DECLINED, 0, FLOW_WAIT_PAYMENT, FLOW_DO_START_PAYMENT);
	step(&f, FLOW_EV_DECLINED, 0, FLOW_WAIT_OFFICER, 0);
	/* The face step counts its own: earlier failures do not shorten it;
	 * each retry starts the capture again and speaks why. */
	start(&f, &l, FLOW_DEV_CAMERA);
	f.state = FLOW_WAIT_FACE;
	f.retries = FLOW_MAX_RETRIES;
	for (int i = 0; i < FLOW_MAX_RETRIES; i++)
		step(&f, FLOW_EV_FACE_FAILED, 0, FLOW_WAIT_FACE, FLOW_DO_CAPTURE_FACE | FLOW_DO_SPEAK);
	assert_int_equal(f.face_retries, FLOW_MAX_RETRIES);
	step(&f, FLOW_EV_FACE_FAILED, 0, FLOW_WAIT_OFFICER, FLOW_DO_CALL_STAFF);
	/* the officer lets them try again, with every try */
	step(&f, FLOW_EV_STAFF_RESUME, 0, FLOW_WAIT_FACE, FLOW_DO_CAPTURE_FACE);
	assert_int_equal(f.face_retries, 0);
	step(&f, FLOW_EV_FACE_FAILED, 0, FLOW_WAIT_FACE, FLOW_DO_CAPTURE_FACE);
	assert_int_equal(f.face_retries, 1);
	/* a new session starts with none used */
	step(&f, FLOW_EV_CANCEL, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);
	assert_int_equal(f.face_retries, 0);
	start(&f, &l, FLOW_DEV_CAMERA);
	f.state = FLOW_WAIT_FACE;
	step(&f, FLOW_EV_FACE_DONE, 0, FLOW_WAIT_REVIEW, 0); /* no scanner fitted */
}

/* Inactivity on every screen that waits on the applicant: "still there?"
 * with at least 20 s to answer; yes goes back, no answer abandons. */
static void test_inactivity(void **state)
{
	(void)state;
	static const flow_state input[] = { FLOW_WAIT_LANGUAGE, FLOW_WAIT_CONSENT, FLOW_WAIT_DOCUMENT,
		                            FLOW_WAIT_ACCESS_KEY, FLOW_WAIT_REVIEW, FLOW_WAIT_FEE };
	for (size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++) {
		flow f;
		log l;
		start(&f, &l, 0);
		assert_int_equal(flow_timeout_s(&f, input[i]), 60);
		flow_set_state(&f, input[i], FLOW_EV_TOUCH);
		step(&f, FLOW_EV_INACTIVE, 0, FLOW_WAIT_STILL_THERE, FLOW_DO_ARM_ANSWER | FLOW_DO_STOP_TIMERS);
		step(&f, FLOW_EV_STILL_HERE, 0, input[i], FLOW_DO_ARM_INACTIVITY);
		step(&f, FLOW_EV_INACTIVE, 0, FLOW_WAIT_STILL_THERE, 0);
		step(&f, FLOW_EV_NO_ANSWER, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);
	}
	/* Screens that wait on the machine have no inactivity timer. */
	flow f;
	log l;
	start(&f, &l, 0);
	assert_int_equal(flow_timeout_s(&f, FLOW_WAIT_CHIP), 0);
	assert_int_equal(flow_timeout_s(&f, FLOW_WAIT_SUBMISSION), 0);
	assert_int_equal(flow_timeout_s(&f, FLOW_WAIT_TOUCH), 0);
	f.state = FLOW_WAIT_CHIP;
	assert_int_equal(flow_handle(&f, FLOW_EV_INACTIVE, 0, NULL), FLOW_ERR_UNEXPECTED);
	/* Per-screen times; the answer time is never under 20 s. */
	flow_config c = flow_config_default();
	c.inactivity_s[FLOW_WAIT_REVIEW] = 180;
	c.answer_s = 5;
	flow_init(&f, &c, NULL, NULL);
	assert_int_equal(flow_timeout_s(&f, FLOW_WAIT_REVIEW), 180);
	assert_int_equal(flow_timeout_s(&f, FLOW_WAIT_FEE), 60);
	assert_true(f.cfg.answer_s >= 20);
	/* The receipt and a refusal end by themselves. */
	flow_set_state(&f, FLOW_WAIT_RECEIPT, FLOW_EV_SUBMITTED);
	step(&f, FLOW_EV_INACTIVE, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);
	/* Abandoned after paying: the application is still submitted. */
	flow_set_state(&f, FLOW_WAIT_PAYMENT, FLOW_EV_FEE_ACCEPTED);
	f.paid = true;
	f.state = FLOW_WAIT_STILL_THERE;
	step(&f, FLOW_EV_NO_ANSWER, 0, FLOW_WAIT_SUBMISSION, FLOW_DO_SUBMIT);
}

/* Cancel from every screen of a session wipes it; never once paid. */
static void test_cancel(void **state)
{
	(void)state;
	static const flow_state screens[] = { FLOW_WAIT_LANGUAGE, FLOW_WAIT_CONSENT, FLOW_WAIT_DOCUMENT,
		                              FLOW_WAIT_ACCESS_KEY, FLOW_WAIT_CHIP, FLOW_WAIT_ELIGIBILITY,
		                              FLOW_WAIT_FACE, FLOW_WAIT_FINGERPRINTS, FLOW_WAIT_REVIEW,
		                              FLOW_WAIT_FEE, FLOW_WAIT_PAYMENT, FLOW_WAIT_SERVICE,
		                              FLOW_WAIT_STILL_THERE, FLOW_WAIT_REFUSAL_SEEN };
	for (size_t i = 0; i < sizeof(screens) / sizeof(screens[0]); i++) {
		flow f;
		log l;
		start(&f, &l, ALL_DEVICES);
		f.state = screens[i];
		f.retries = 2;
		step(&f, FLOW_EV_CANCEL, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE | FLOW_DO_CANCEL_READ | FLOW_DO_CANCEL_PAYMENT);
		assert_int_equal(f.retries, 0);
	}
	flow f;
	log l;
	start(&f, &l, ALL_DEVICES);
	f.state = FLOW_WAIT_SUBMISSION;
	f.paid = true;
	assert_int_equal(flow_handle(&f, FLOW_EV_CANCEL, 0, NULL), FLOW_ERR_UNEXPECTED);
	f.state = FLOW_WAIT_SERVICE;
	assert_int_equal(flow_handle(&f, FLOW_EV_CANCEL, 0, NULL), FLOW_ERR_UNEXPECTED);
	assert_int_equal(f.state, FLOW_WAIT_SERVICE);
}

/* The officer, the backend and the devices: overlays that go back. */
static void test_overlays(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, 0);
	to_chip(&f);
	step(&f, FLOW_EV_READ_OK, 0, FLOW_WAIT_ELIGIBILITY, 0);
	step(&f, FLOW_EV_BACKEND_DOWN, 0, FLOW_WAIT_SERVICE, FLOW_DO_ARM_RETRY);
	step(&f, FLOW_EV_RETRY, 0, FLOW_WAIT_ELIGIBILITY, FLOW_DO_ASK_ELIGIBILITY);
	step(&f, FLOW_EV_INELIGIBLE, 0, FLOW_WAIT_REFUSAL_SEEN, FLOW_DO_SPEAK);
	step(&f, FLOW_EV_FINISH, 0, FLOW_WAIT_TOUCH, FLOW_DO_WIPE);

	/* The backend down at submission: the retry submits again. */
	start(&f, &l, 0);
	flow_set_state(&f, FLOW_WAIT_SUBMISSION, FLOW_EV_FEE_ACCEPTED);
	step(&f, FLOW_EV_BACKEND_DOWN, 0, FLOW_WAIT_SERVICE, 0);
	step(&f, FLOW_EV_RETRY, 0, FLOW_WAIT_SUBMISSION, FLOW_DO_SUBMIT);

	/* Device fault over "still there?": back to the journey's screen. */
	start(&f, &l, 0);
	flow_set_state(&f, FLOW_WAIT_REVIEW, FLOW_EV_ELIGIBLE);
	step(&f, FLOW_EV_INACTIVE, 0, FLOW_WAIT_STILL_THERE, 0);
	step(&f, FLOW_EV_DEVICE_FAULT, 0, FLOW_WAIT_DEVICES, FLOW_DO_CANCEL_READ);
	assert_int_equal(flow_handle(&f, FLOW_EV_DEVICE_FAULT, 0, NULL), FLOW_ERR_UNEXPECTED);
	step(&f, FLOW_EV_DEVICES_OK, 0, FLOW_WAIT_REVIEW, FLOW_DO_ARM_INACTIVITY);

	/* Out of service with nobody there, and back to the welcome screen. */
	start(&f, &l, 0);
	step(&f, FLOW_EV_DEVICE_FAULT, 0, FLOW_WAIT_DEVICES, 0);
	assert_int_equal(flow_handle(&f, FLOW_EV_TOUCH, 0, NULL), FLOW_ERR_UNEXPECTED);
	step(&f, FLOW_EV_DEVICES_OK, 0, FLOW_WAIT_TOUCH, 0);

	/* A reader lost mid-read: after it is back, the document again. */
	start(&f, &l, 0);
	to_chip(&f);
	step(&f, FLOW_EV_DEVICE_FAULT, 0, FLOW_WAIT_DEVICES, FLOW_DO_CANCEL_READ);
	step(&f, FLOW_EV_DEVICES_OK, 0, FLOW_WAIT_DOCUMENT, 0);

	/* The officer from every screen, and back; a paid session he ends is
	 * submitted. */
	for (int s = 0; s < FLOW_N_STATES; s++) {
		if (s == FLOW_WAIT_OFFICER || s == FLOW_WAIT_DEVICES)
			continue;
		start(&f, &l, ALL_DEVICES);
		f.state = (flow_state)s;
		step(&f, FLOW_EV_CALL_OFFICER, 0, FLOW_WAIT_OFFICER, FLOW_DO_CALL_STAFF);
		flow_state back = s == FLOW_WAIT_CHIP ? FLOW_WAIT_DOCUMENT : (flow_state)s;
		if (s == FLOW_WAIT_STILL_THERE || s == FLOW_WAIT_SERVICE)
			back = FLOW_WAIT_TOUCH; /* an overlay keeps the journey's place: here none */
		step(&f, FLOW_EV_STAFF_RESUME, 0, back, 0);
	}
	start(&f, &l, ALL_DEVICES);
	f.state = FLOW_WAIT_PAYMENT;
	f.paid = true;
	step(&f, FLOW_EV_CALL_OFFICER, 0, FLOW_WAIT_OFFICER, 0);
	step(&f, FLOW_EV_STAFF_END, 0, FLOW_WAIT_SUBMISSION, FLOW_DO_SUBMIT);
}

/* The language switched on any screen of a session: same screen, spoken
 * again in the new language. */
static void test_language_switch(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, 0);
	to_chip(&f);
	f.state = FLOW_WAIT_ACCESS_KEY;
	step(&f, FLOW_EV_LANGUAGE, FLOW_LANG_ID, FLOW_WAIT_ACCESS_KEY, FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK);
	assert_int_equal(f.language, FLOW_LANG_ID);
	step(&f, FLOW_EV_LANGUAGE, FLOW_LANG_EN, FLOW_WAIT_ACCESS_KEY, FLOW_DO_SET_LANGUAGE);
	assert_int_equal(f.language, FLOW_LANG_EN);
	/* While the chip is read, or an officer is coming: the words change,
	 * no inactivity timer starts. */
	f.state = FLOW_WAIT_CHIP;
	step(&f, FLOW_EV_LANGUAGE, FLOW_LANG_ID, FLOW_WAIT_CHIP, FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK);
	f.state = FLOW_WAIT_OFFICER;
	step(&f, FLOW_EV_LANGUAGE, FLOW_LANG_EN, FLOW_WAIT_OFFICER, FLOW_DO_SET_LANGUAGE | FLOW_DO_SPEAK);
	assert_int_equal(f.language, FLOW_LANG_EN);
	/* On "are you still there?" the touch is an answer: the answer time
	 * starts again (an inactivity timer there would be none at all, and
	 * the session would never end). */
	f.state = FLOW_WAIT_STILL_THERE;
	flow_actions a = 0;
	assert_int_equal(flow_handle(&f, FLOW_EV_LANGUAGE, FLOW_LANG_ID, &a), FLOW_OK);
	assert_int_equal(f.state, FLOW_WAIT_STILL_THERE);
	assert_true(a & FLOW_DO_ARM_ANSWER);
	assert_false(a & FLOW_DO_ARM_INACTIVITY);
	/* Not at the welcome screen: there is no session to speak to. */
	f.state = FLOW_WAIT_TOUCH;
	assert_int_equal(flow_handle(&f, FLOW_EV_LANGUAGE, FLOW_LANG_ID, NULL), FLOW_ERR_UNEXPECTED);
}

/* Typing on a screen is input: its inactivity time starts again, so
 * nobody typing slowly is asked whether they are still there. */
static void test_typing_is_input(void **state)
{
	(void)state;
	flow f;
	log l;
	start(&f, &l, 0);
	to_chip(&f);
	static const flow_state typed_on[] = { FLOW_WAIT_ACCESS_KEY, FLOW_WAIT_REVIEW };
	for (size_t i = 0; i < sizeof(typed_on) / sizeof(typed_on[0]); i++) {
		f.state = typed_on[i];
		step(&f, FLOW_EV_INPUT, 0, typed_on[i], FLOW_DO_ARM_INACTIVITY);
	}
	/* Not where nothing is typed and no inactivity timer runs. */
	f.state = FLOW_WAIT_CHIP;
	assert_int_equal(flow_handle(&f, FLOW_EV_INPUT, 0, NULL), FLOW_ERR_UNEXPECTED);
}

static void test_tariff(void **state)
{
	(void)state;
	flow_tariff t = flow_tariff_default();
	unsigned long fee = 1;
	assert_int_equal(flow_fee(&t, FLOW_PASSPORT_ORDINARY, 5, &fee), FLOW_OK);
	assert_int_equal(fee, 350000);
	assert_int_equal(flow_fee(&t, FLOW_PASSPORT_ORDINARY, 10, &fee), FLOW_OK);
	assert_int_equal(fee, 650000);
	assert_int_equal(flow_fee(&t, FLOW_PASSPORT_ELECTRONIC, 5, &fee), FLOW_OK);
	assert_int_equal(fee, 650000);
	assert_int_equal(flow_fee(&t, FLOW_PASSPORT_ELECTRONIC, 10, &fee), FLOW_OK);
	assert_int_equal(fee, 950000);
	assert_int_equal(flow_fee(&t, FLOW_PASSPORT_ELECTRONIC, 7, &fee), FLOW_ERR_ARG);
	assert_int_equal(fee, 0);
}

/* The store keeps state names; a restart ends an unpaid session and
 * submits a paid one. */
static void test_restart(void **state)
{
	(void)state;
	for (int s = 0; s < FLOW_N_STATES; s++) {
		flow_state back = FLOW_WAIT_TOUCH;
		assert_int_equal(flow_state_from_name(flow_state_name((flow_state)s), &back), FLOW_OK);
		assert_int_equal(back, s);
		assert_int_equal(flow_after_restart((flow_state)s, false), FLOW_WAIT_TOUCH);
		flow_state paid = flow_after_restart((flow_state)s, true);
		if (s == FLOW_WAIT_RECEIPT || s == FLOW_WAIT_TOUCH)
			assert_int_equal(paid, FLOW_WAIT_TOUCH);
		else
			assert_int_equal(paid, FLOW_WAIT_SUBMISSION);
	}
	flow_state x = FLOW_WAIT_FEE;
	assert_int_equal(flow_state_from_name("wait-nothing", &x), FLOW_ERR_ARG);
	assert_int_equal(flow_state_from_name(NULL, &x), FLOW_ERR_ARG);
	assert_int_equal(x, FLOW_WAIT_FEE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journey_every_device),
		cmocka_unit_test(test_journey_nothing_fitted),
		cmocka_unit_test(test_step_indicator),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_inactivity),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_overlays),
		cmocka_unit_test(test_language_switch),
		cmocka_unit_test(test_typing_is_input),
		cmocka_unit_test(test_tariff),
		cmocka_unit_test(test_restart),
	};
	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
