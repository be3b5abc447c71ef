/*
 * journey — the state machine carried out in the daemon; see journey.h.
 *
 * Every input (an action from the page, a device event, a timer) becomes
 * one flow event; flow_handle decides; do_actions carries out what it
 * returns, in a fixed order: wipe, new session, timers, then the page is
 * told and the session saved. An action for another session, or one the
 * machine has no row for, is refused with words and changes nothing.
 */
#include "kiosk/journey-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/icao.h"
#include "crypto/lds/lds.h"
#include "kiosk/bkjobs.h"

__attribute__((format(printf, 2, 3))) void journey_say(journey *j, const char *fmt, ...)
{
	if (!j->log)
		return;
	char line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	j->log(line, j->log_user);
}

static void on_transition(const flow_transition *t, void *user)
{
	journey *j = user;
	if (t->event == FLOW_EV_INPUT)
		return; /* a touch: not worth a line every 2 s */
	if (t->ok && t->from != t->to) { /* what the staff see: why this screen, since when */
		j->why = t->why;
		j->since = time(NULL);
	}
	if (t->ok)
		journey_say(j, "journey: %s --%s--> %s: %s", flow_state_name(t->from), flow_event_name(t->event),
		    flow_state_name(t->to), t->why);
	else
		journey_say(j, "journey: %s: %s refused: %s", flow_state_name(t->from), flow_event_name(t->event), t->why);
}

static json_t *state_json(journey *j)
{
	unsigned total = 0, step = flow_step(&j->f, j->f.state, &total);
	json_t *st = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:I}", "session", j->session, "screen",
	                       flow_state_name(j->f.state), "language", j->f.language == FLOW_LANG_EN ? "en" : "id",
	                       "step", (int)step, "steps", (int)total, "retries", (int)j->f.retries, "speak",
	                       (json_int_t)j->spoken);
	if (!st)
		return NULL;
	if (j->f.state == FLOW_WAIT_CHIP)
		json_object_set_new(st, "progress", json_pack("{s:I, s:I}", "done", (json_int_t)j->read_done, "total",
		                                              (json_int_t)j->read_total));
	if (j->holder && j->f.state == FLOW_WAIT_REVIEW)
		json_object_set(st, "holder", j->holder);
	if (j->reasons && j->f.state == FLOW_WAIT_REFUSAL_SEEN)
		json_object_set(st, "reasons", j->reasons);
	if (j->fee && j->f.state >= FLOW_WAIT_FEE && j->f.state <= FLOW_WAIT_RECEIPT)
		json_object_set_new(st, "fee", json_pack("{s:I, s:s, s:i}", "amount", (json_int_t)j->fee, "currency", "IDR",
		                                         "validity_years", j->validity_years));
	if (j->f.state == FLOW_WAIT_FACE)
		json_object_set_new(st, "face", journey_face_json(j));
	if (j->number[0] && j->f.state == FLOW_WAIT_RECEIPT)
		json_object_set_new(st, "application_number", json_string(j->number));
	json_t *skipped = json_array();
	if (flow_was_skipped(&j->f, FLOW_DEV_CAMERA))
		json_array_append_new(skipped, json_string("face"));
	if (flow_was_skipped(&j->f, FLOW_DEV_FINGERPRINT))
		json_array_append_new(skipped, json_string("fingerprints"));
	if (flow_was_skipped(&j->f, FLOW_DEV_PAYMENT))
		json_array_append_new(skipped, json_string("payment"));
	json_object_set_new(st, "skipped", skipped);
	return st;
}

void journey_publish(journey *j)
{
	if (!j->ui)
		return;
	json_t *st = state_json(j);
	if (st)
		ui_server_publish(j->ui, st);
	json_decref(st);
}

static void save(journey *j)
{
	if (!j->st || !j->session[0])
		return;
	json_t *all = json_pack("{s:O?, s:O?, s:s?, s:O?}", "holder", j->holder, "contact", j->contact,
	                        "application_number", j->number[0] ? j->number : NULL, "face", j->face_result);
	char *data = all ? json_dumps(all, JSON_COMPACT) : NULL; /* personal data: wiped after */
	json_decref(all);
	store_session s = { .retries = (int)j->f.retries, .paid = j->f.paid, .skipped = j->f.skipped, .data = data };
	snprintf(s.id, sizeof(s.id), "%s", j->session);
	snprintf(s.state, sizeof(s.state), "%s", flow_state_name(j->f.state));
	snprintf(s.resume, sizeof(s.resume), "%s", flow_state_name(j->f.resume));
	snprintf(s.language, sizeof(s.language), "%s", j->f.language == FLOW_LANG_EN ? "en" : "id");
	store_err e = store_session_save(j->st, &s);
	kface_wipe_free(data);
	if (e != STORE_OK)
		journey_say(j, "journey: the session could not be saved: %s", store_error_detail(j->st));
}

static void wipe(journey *j)
{
	if (j->st && j->session[0]) {
		store_err e = store_session_wipe(j->st, j->session);
		if (e != STORE_OK)
			journey_say(j, "journey: the session could not be wiped: %s", store_error_detail(j->st));
	}
	j->session[0] = '\0';
	memset(&j->key, 0, sizeof(j->key));
	json_decref(j->holder);
	j->holder = NULL;
	json_decref(j->reasons);
	j->reasons = NULL;
	json_decref(j->contact);
	j->contact = NULL;
	j->fee = 0;
	j->number[0] = '\0';
}

static void stop_timer(jtimer *t)
{
	if (t->src) {
		g_source_destroy(t->src);
		g_source_unref(t->src);
		t->src = NULL;
	}
}

static gboolean timer_fired(gpointer data)
{
	jtimer *t = data;
	g_source_unref(t->src);
	t->src = NULL;
	journey_feed(t->j, t->ev, 0);
	return G_SOURCE_REMOVE;
}

/* (Re)start t to feed ev in seconds (0: stop it). */
static void arm(journey *j, jtimer *t, unsigned seconds, flow_event ev)
{
	stop_timer(t);
	if (!seconds)
		return;
	t->j = j;
	t->ev = ev;
	t->src = g_timeout_source_new_seconds(seconds);
	g_source_set_callback(t->src, timer_fired, t, NULL);
	g_source_attach(t->src, j->ctx);
}

/* What the machine asked for, not built yet: said, so that a test or an
 * engineer sees where the journey stops. */
static const struct {
	flow_actions bit;
	const char *what;
} later[] = {
	{ FLOW_DO_CAPTURE_FINGERS, "capture the fingerprints" },
	{ FLOW_DO_START_PAYMENT, "take the payment" },
	{ FLOW_DO_PRINT_RECEIPT, "print the receipt" },
};

static void start_read(journey *j);
static void ask_eligibility(journey *j);
static void submit(journey *j);

static void do_actions(journey *j, flow_actions a)
{
	if (a & FLOW_DO_WIPE) {
		wipe(j);
		journey_face_wipe(j);
	}
	if (a & FLOW_DO_NEW_SESSION) {
		gchar *id = g_uuid_string_random();
		snprintf(j->session, sizeof(j->session), "%s", id);
		g_free(id);
	}
	if (a & FLOW_DO_STOP_TIMERS) {
		stop_timer(&j->screen_timer);
		stop_timer(&j->retry_timer);
	}
	if (a & FLOW_DO_ARM_INACTIVITY)
		arm(j, &j->screen_timer, flow_timeout_s(&j->f, j->f.state), FLOW_EV_INACTIVE);
	if (a & FLOW_DO_ARM_ANSWER)
		arm(j, &j->screen_timer, j->f.cfg.answer_s, FLOW_EV_NO_ANSWER);
	if (a & FLOW_DO_ARM_RETRY)
		arm(j, &j->retry_timer, j->f.cfg.retry_s, FLOW_EV_RETRY);
	if ((a & FLOW_DO_CANCEL_READ) && j->devs)
		kdevs_cancel_read(j->devs);
	if (a & FLOW_DO_READ)
		start_read(j);
	if (a & FLOW_DO_ASK_ELIGIBILITY)
		ask_eligibility(j);
	if (a & FLOW_DO_SUBMIT)
		submit(j);
	if (a & FLOW_DO_CAPTURE_FACE)
		journey_face_start(j);
	journey_face_follow(j);
	if ((a & FLOW_DO_CALL_STAFF) && j->notify)
		j->notify("officer-called", j->why ? j->why : "an officer is needed", j->notify_user);
	/* Maintenance waits while someone uses the kiosk, but not when it is
	 * out of service or an officer stands there. */
	if (j->devs)
		kdevs_set_in_use(j->devs, j->session[0] && j->f.state != FLOW_WAIT_DEVICES &&
		                              j->f.state != FLOW_WAIT_OFFICER);
	if (a & FLOW_DO_SPEAK)
		j->spoken++; /* the page plays the screen's prompt (ui/www/speech.js) */
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (a & later[i].bit)
			journey_say(j, "journey: not carried out yet (a later issue): %s", later[i].what);
	save(j);
	journey_publish(j);
}

void journey_feed(journey *j, flow_event ev, int arg)
{
	flow_actions a = 0;
	if (flow_handle(&j->f, ev, arg, &a) != FLOW_OK)
		return;
	do_actions(j, a);
	/* A document already on the reader when the screen asks for one. */
	if (j->f.state == FLOW_WAIT_DOCUMENT && j->document)
		journey_feed(j, FLOW_EV_PLACED, 0);
}

/* ---- the read ---- */

static void read_progress(size_t done, size_t total, void *user)
{
	journey *j = user;
	j->read_done = done;
	j->read_total = total;
	journey_publish(j);
}

/* What the chip says of its holder, for the review and the backend. */
static json_t *holder_of(const pp_report *rep)
{
	const lds_mrz *m = &rep->parsed.mrz;
	char sex[2] = { m->sex, 0 };
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "sex", sex, "document_code", m->document_code,
	                 "document_number",
	                 m->document_number, "issuing_state", m->issuing_state, "nationality", m->nationality,
	                 "surname", m->primary_identifier, "given_names", m->secondary_identifier, "birth_date",
	                 m->birth_date, "expiry_date", m->expiry_date);
}

static void read_done(dev_err e, pp_report *rep, void *user)
{
	journey *j = user;
	memset(&j->key, 0, sizeof(j->key));
	if (e == DEV_ERR_CANCELLED || j->f.state != FLOW_WAIT_CHIP) {
		pp_report_free(rep); /* the journey moved on (cancelled, officer, fault) */
		return;
	}
	flow_event ev = FLOW_EV_READ_OFFICER;
	if (e == DEV_OK && rep && rep->err == PP_OK) {
		json_decref(j->holder);
		j->holder = holder_of(rep);
		journey_face_chip(j, rep);
		ev = FLOW_EV_READ_OK;
	} else if (rep) {
		pp_err_info info = pp_err_info_of(rep->err);
		journey_say(j, "journey: the read ended: %s (%s)", pp_strerror(rep->err), pp_err_class_name(info.cls));
		if (rep->err == PP_ERR_ACCESS_DENIED)
			ev = FLOW_EV_READ_WRONG_KEY;
		else if (rep->err == PP_ERR_REMOVED || rep->err == PP_ERR_NO_CARD || rep->err == PP_ERR_UNRESPONSIVE)
			ev = FLOW_EV_READ_REMOVED;
		else if (info.cls == PP_CLASS_DEVICE)
			ev = FLOW_EV_DEVICE_FAULT;
	}
	pp_report_free(rep);
	journey_feed(j, ev, 0);
}

static void start_read(journey *j)
{
	j->read_done = j->read_total = 0;
	dev_err e = j->devs ? kdevs_read_passport(j->devs, &j->key, j->trust, read_progress, read_done, j)
	                    : DEV_ERR_NOT_OPEN;
	if (e != DEV_OK) {
		journey_say(j, "journey: the read cannot start: %s", dev_strerror(e));
		journey_feed(j, FLOW_EV_DEVICE_FAULT, 0);
	}
}

/* The access key typed on the page: the three MRZ fields, each with its
 * check digit as printed, or the CAN. Words for what is wrong. */
static bool take_key(journey *j, const json_t *action, char *why, size_t why_len)
{
	pp_access_key k = { 0 };
	const char *can = json_string_value(json_object_get(action, "can"));
	if (can) {
		if (strlen(can) != 6 || strspn(can, "0123456789") != 6) {
			snprintf(why, why_len, "the CAN is the 6 digits printed on the data page");
			return false;
		}
		memcpy(k.can, can, 7);
		j->key = k;
		return true;
	}
	static const char *const fields[3] = { "document_number", "birth_date", "expiry_date" };
	char *dst[3] = { k.document_number, k.birth_date, k.expiry_date };
	size_t cap[3] = { sizeof(k.document_number), sizeof(k.birth_date), sizeof(k.expiry_date) };
	for (int i = 0; i < 3; i++) {
		const char *v = json_string_value(json_object_get(action, fields[i]));
		char check_key[40];
		snprintf(check_key, sizeof(check_key), "%s_check", fields[i]);
		const char *check = json_string_value(json_object_get(action, check_key));
		if (!v || !v[0] || strlen(v) >= cap[i] || icao_check_digit(v, strlen(v)) < 0) {
			snprintf(why, why_len, "%s: letters A-Z, digits and < only", fields[i]);
			return false;
		}
		if (i > 0 && lds_date_check(v, strlen(v)) == LDS_DATE_INVALID) {
			snprintf(why, why_len, "%s: not a date YYMMDD", fields[i]);
			return false;
		}
		if (!check || strlen(check) != 1 || check[0] - '0' != icao_check_digit(v, strlen(v))) {
			snprintf(why, why_len, "%s: the check digit does not match: look again at the MRZ", fields[i]);
			return false;
		}
		memcpy(dst[i], v, strlen(v) + 1);
	}
	j->key = k;
	return true;
}

/* ---- the backend ---- */

/* Whether an answer is still wanted: the same session, on the screen
 * that asked. */
static bool still_asked(journey *j, flow_state screen)
{
	return j->f.state == screen && strcmp(j->asked, j->session) == 0;
}

static void eligibility_done(bk_err e, const char *number, const bk_reasons *reasons, void *user)
{
	(void)number;
	journey *j = user;
	if (!still_asked(j, FLOW_WAIT_ELIGIBILITY))
		return;
	if (e == BK_OK) {
		journey_feed(j, FLOW_EV_ELIGIBLE, 0);
		return;
	}
	if (e == BK_ERR_REFUSED) {
		json_decref(j->reasons);
		j->reasons = json_array();
		for (size_t i = 0; reasons && i < reasons->count; i++)
			json_array_append_new(j->reasons,
			                      json_pack("{s:s, s:s, s:s}", "code", reasons->items[i].code, "en",
			                                reasons->items[i].message_en, "id", reasons->items[i].message_id));
		journey_feed(j, FLOW_EV_INELIGIBLE, 0);
		return;
	}
	journey_say(j, "journey: the backend did not answer about eligibility: %s", bk_strerror(e));
	journey_feed(j, FLOW_EV_BACKEND_DOWN, 0);
}

static void ask_eligibility(journey *j)
{
	if (!j->jobs) {
		journey_say(j, "journey: no backend is configured ([backend] url)");
		journey_feed(j, FLOW_EV_BACKEND_DOWN, 0);
		return;
	}
	snprintf(j->asked, sizeof(j->asked), "%s", j->session);
	bkjobs_eligibility(j->jobs, j->holder, eligibility_done, j);
}

static void submit_done(bk_err e, const char *number, const bk_reasons *reasons, void *user)
{
	(void)reasons;
	journey *j = user;
	if (!still_asked(j, FLOW_WAIT_SUBMISSION))
		return;
	if (e == BK_OK && number) {
		snprintf(j->number, sizeof(j->number), "%s", number);
		journey_say(j, "journey: application submitted");
		journey_feed(j, FLOW_EV_SUBMITTED, 0);
		return;
	}
	/* The backend down, or refusing what it took as eligible: the
	 * application stays here to be sent again (it is idempotent). */
	journey_say(j, "journey: the submission did not go through: %s", bk_strerror(e));
	journey_feed(j, FLOW_EV_BACKEND_DOWN, 0);
}

static void submit(journey *j)
{
	if (!j->jobs) {
		journey_say(j, "journey: no backend is configured ([backend] url)");
		journey_feed(j, FLOW_EV_BACKEND_DOWN, 0);
		return;
	}
	snprintf(j->asked, sizeof(j->asked), "%s", j->session);
	bkjobs_submit(j->jobs, j->session, j->holder, j->contact, j->validity_years, (long)j->fee, submit_done, j);
}

/* The review's contact details and the validity chosen; words for what
 * is wrong. */
static bool take_review(journey *j, const json_t *action, char *why, size_t why_len)
{
	const char *phone = json_string_value(json_object_get(action, "phone"));
	const char *email = json_string_value(json_object_get(action, "email"));
	const char *address = json_string_value(json_object_get(action, "address"));
	json_t *years = json_object_get(action, "validity_years");
	size_t digits = 0;
	for (const char *p = phone ? phone : ""; *p; p++)
		digits += *p >= '0' && *p <= '9';
	if (!phone || strlen(phone) > 20 || strspn(phone, "+0123456789 -") != strlen(phone) || digits < 8) {
		snprintf(why, why_len, "phone: 8 to 20 digits, spaces, + and -");
		return false;
	}
	const char *at = email ? strchr(email, '@') : NULL;
	if (!at || at == email || !strchr(at, '.') || strlen(email) > 254 || strchr(email, ' ')) {
		snprintf(why, why_len, "email: an address like name@example.id");
		return false;
	}
	if (!address || strlen(address) < 5 || strlen(address) > 200) {
		snprintf(why, why_len, "address: 5 to 200 characters");
		return false;
	}
	int y = json_is_integer(years) ? (int)json_integer_value(years) : 0;
	unsigned long fee = 0;
	if (flow_fee(&j->tariff, FLOW_PASSPORT_ELECTRONIC, (unsigned)y, &fee) != FLOW_OK) {
		snprintf(why, why_len, "validity_years: 5 or 10");
		return false;
	}
	json_decref(j->contact);
	j->contact = json_pack("{s:s, s:s, s:s}", "phone", phone, "email", email, "address", address);
	j->validity_years = y;
	j->fee = fee;
	return true;
}

/* ---- the page's actions ---- */

static const struct {
	const char *name;
	flow_event ev;
} page_actions[] = {
	{ "touch", FLOW_EV_TOUCH },
	{ "language", FLOW_EV_LANGUAGE },
	{ "consent", FLOW_EV_CONSENT },
	{ "cancel", FLOW_EV_CANCEL },
	{ "call-officer", FLOW_EV_CALL_OFFICER },
	{ "still-here", FLOW_EV_STILL_HERE },
	{ "retry", FLOW_EV_RETRY },
	{ "confirm", FLOW_EV_CONFIRM },
	{ "fee-accepted", FLOW_EV_FEE_ACCEPTED },
	{ "finish", FLOW_EV_FINISH },
	{ "key", FLOW_EV_KEY_ENTERED },
	{ "input", FLOW_EV_INPUT },
};

bool journey_on_action(const json_t *action, char *why, size_t why_len, int *ret_status, void *user)
{
	journey *j = user;
	const char *name = json_string_value(json_object_get(action, "action"));
	const char *session = json_string_value(json_object_get(action, "session"));
	int i = -1;
	for (size_t k = 0; k < sizeof(page_actions) / sizeof(page_actions[0]) && i < 0; k++)
		if (name && strcmp(page_actions[k].name, name) == 0)
			i = (int)k;
	if (i < 0) {
		snprintf(why, why_len, "unknown action");
		*ret_status = 400;
		return false;
	}
	/* A page showing another session (an old tab, a restart) acts for
	 * nobody; at the welcome screen there is no session to name. */
	if (j->session[0] && (!session || strcmp(session, j->session) != 0)) {
		snprintf(why, why_len, "this page shows another session: reload it");
		*ret_status = 409;
		return false;
	}
	int arg = 0;
	if (page_actions[i].ev == FLOW_EV_LANGUAGE) {
		const char *lang = json_string_value(json_object_get(action, "value"));
		if (!lang || (strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0)) {
			snprintf(why, why_len, "the language is id or en");
			*ret_status = 400;
			return false;
		}
		arg = strcmp(lang, "en") == 0 ? FLOW_LANG_EN : FLOW_LANG_ID;
	}
	if (page_actions[i].ev == FLOW_EV_CONFIRM) {
		if (j->f.state != FLOW_WAIT_REVIEW) {
			snprintf(why, why_len, "not now: nothing to confirm");
			*ret_status = 409;
			return false;
		}
		if (!take_review(j, action, why, why_len)) {
			*ret_status = 422;
			return false;
		}
	}
	if (page_actions[i].ev == FLOW_EV_KEY_ENTERED) {
		if (j->f.state != FLOW_WAIT_ACCESS_KEY) {
			snprintf(why, why_len, "not now: the access key is not asked for");
			*ret_status = 409;
			return false;
		}
		if (!take_key(j, action, why, why_len)) {
			*ret_status = 422;
			return false;
		}
	}
	flow_actions a = 0;
	if (page_actions[i].ev == FLOW_EV_INPUT) {
		/* A touch: the screen's inactivity time starts again, where it
		 * has one; nothing else changes (no save, no new state). */
		if (flow_timeout_s(&j->f, j->f.state) > 0 && flow_handle(&j->f, FLOW_EV_INPUT, 0, &a) == FLOW_OK &&
		    (a & FLOW_DO_ARM_INACTIVITY))
			arm(j, &j->screen_timer, flow_timeout_s(&j->f, j->f.state), FLOW_EV_INACTIVE);
		return true;
	}
	flow_err e = flow_handle(&j->f, page_actions[i].ev, arg, &a);
	if (e != FLOW_OK) {
		snprintf(why, why_len, "not now: %s", flow_strerror(e));
		*ret_status = 409;
		return false;
	}
	do_actions(j, a);
	if (j->f.state == FLOW_WAIT_DOCUMENT && j->document)
		journey_feed(j, FLOW_EV_PLACED, 0);
	return true;
}

/* ---- devices ---- */

void journey_device_event(journey *j, const char *device, const char *kind)
{
	(void)device;
	if (strcmp(kind, "placed") == 0 || strcmp(kind, "present") == 0) {
		j->document = true;
		journey_feed(j, FLOW_EV_PLACED, 0);
	} else if (strcmp(kind, "removed") == 0 || strcmp(kind, "empty") == 0) {
		j->document = false;
		journey_feed(j, FLOW_EV_READ_REMOVED, 0);
	}
	else if (strcmp(kind, "offline") == 0)
		journey_feed(j, FLOW_EV_DEVICE_FAULT, 0);
	else if (strcmp(kind, "online") == 0 && j->f.state == FLOW_WAIT_DEVICES)
		journey_feed(j, FLOW_EV_DEVICES_OK, 0);
}

/* ---- life ---- */

/* A session an earlier run left: ended, or (paid) taken to submission. */
static void restart(journey *j)
{
	store_session s;
	bool found = false;
	if (!j->st || store_session_load(j->st, &s, &found) != STORE_OK || !found)
		return;
	free(s.data);
	flow_state was = FLOW_WAIT_TOUCH;
	flow_state_from_name(s.state, &was);
	flow_state next = flow_after_restart(was, s.paid);
	snprintf(j->session, sizeof(j->session), "%s", s.id);
	if (next == FLOW_WAIT_TOUCH) {
		journey_say(j, "journey: a session left at %s when the kiosk stopped is ended and wiped", s.state);
		wipe(j);
		return;
	}
	j->f.paid = s.paid;
	j->f.language = strcmp(s.language, "en") == 0 ? FLOW_LANG_EN : FLOW_LANG_ID;
	journey_say(j, "journey: a paid session left at %s is taken on to %s", s.state, flow_state_name(next));
	do_actions(j, flow_set_state(&j->f, next, FLOW_EV_RETRY));
}

journey *journey_new(store *st, GMainContext *ctx, const flow_config *cfg, const flow_tariff *tariff,
                     journey_log_fn log, void *log_user)
{
	journey *j = g_new0(journey, 1);
	j->st = st;
	j->ctx = ctx ? ctx : g_main_context_default();
	j->log = log;
	j->log_user = log_user;
	j->tariff = tariff ? *tariff : flow_tariff_default();
	j->since = time(NULL);
	flow_config c = cfg ? *cfg : flow_config_default();
	c.fitted = 0; /* no camera, scanner or terminal yet */
	flow_init(&j->f, &c, on_transition, j);
	restart(j);
	return j;
}

void journey_set_notify(journey *j, journey_notify_fn fn, void *user)
{
	j->notify = fn;
	j->notify_user = user;
}

bool journey_staff(journey *j, bool resume, char *why, size_t why_len)
{
	if (j->f.state != FLOW_WAIT_OFFICER) {
		snprintf(why, why_len, "no applicant is waiting for an officer (the kiosk shows %s)",
		         flow_state_name(j->f.state));
		return false;
	}
	flow_state was = j->f.resume;
	if (resume && was == FLOW_WAIT_FACE)
		j->face_officer = true; /* they compare the photo by eye if the chip cannot */
	journey_feed(j, resume ? FLOW_EV_STAFF_RESUME : FLOW_EV_STAFF_END, 0);
	journey_say(j, "journey: an officer %s the session (it was at %s)", resume ? "resumed" : "ended",
	    flow_state_name(was));
	return true;
}

json_t *journey_describe(const journey *j)
{
	char since[32];
	struct tm tm;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&j->since, &tm));
	bool officer = j->f.state == FLOW_WAIT_OFFICER;
	return json_pack("{s:b, s:s, s:s, s:b, s:s?, s:s?}", "session", j->session[0] != '\0', "screen",
	                 flow_state_name(j->f.state), "since", since, "officer_called", officer, "resume",
	                 officer ? flow_state_name(j->f.resume) : NULL, "why", officer ? j->why : NULL);
}

void journey_attach_devices(journey *j, kdevs *devs, const pa_trust *trust)
{
	j->devs = devs;
	j->trust = trust;
}

void journey_attach_backend(journey *j, bk_client *client)
{
	bkjobs_free(j->jobs);
	j->jobs = client ? bkjobs_new(client, j->ctx) : NULL;
}

void journey_attach_ui(journey *j, ui_server *s)
{
	j->ui = s;
	journey_publish(j);
}

void journey_free(journey *j)
{
	if (!j)
		return;
	stop_timer(&j->screen_timer);
	stop_timer(&j->retry_timer);
	bkjobs_free(j->jobs); /* before the rest: answers in flight are dropped */
	journey_face_wipe(j);
	kface_free(j->face);
	json_decref(j->face_result);
	json_decref(j->holder);
	json_decref(j->reasons);
	json_decref(j->contact);
	memset(&j->key, 0, sizeof(j->key));
	g_free(j);
}
