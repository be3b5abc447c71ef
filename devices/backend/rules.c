/*
 * devices/backend/rules.c — appm-backend's request parsing and eligibility
 * rules (rules.h; the rules and codes are documented in API.md). Nothing
 * here knows about HTTP or SQLite: bodies come in as bytes, verdicts go out
 * as constant reason records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "devices/backend/rules.h"

const char *be_strerror(be_err e)
{
	switch (e) {
	case BE_OK: return "success";
	case BE_ERR_JSON: return "the body is not a JSON object";
	case BE_ERR_FIELD: return "a field is missing or wrong";
	case BE_ERR_NOMEM: return "out of memory";
	case BE_ERR_DB: return "the database failed";
	case BE_ERR_CONFLICT: return "this application id was sent before with other content";
	case BE_ERR_NOT_FOUND: return "no such application";
	}
	return "unknown error";
}

/* The reasons, in the order they are reported. */
static const be_reason reason_nationality = {
	"nationality",
	"Only Indonesian citizens can renew a passport here.",
	"Hanya warga negara Indonesia yang dapat memperpanjang paspor di sini.",
};
static const be_reason reason_document_type = {
	"document_type",
	"Only ordinary passports can be renewed here.",
	"Hanya paspor biasa yang dapat diperpanjang di sini.",
};
static const be_reason reason_minor = {
	"minor",
	"Applicants under 18 must apply at an immigration office with a parent.",
	"Pemohon di bawah 18 tahun harus mengajukan di kantor imigrasi bersama orang tua.",
};
static const be_reason reason_lost = {
	"lost_or_stolen",
	"This passport has been reported lost or stolen. Please go to an immigration office.",
	"Paspor ini telah dilaporkan hilang atau dicuri. Silakan datang ke kantor imigrasi.",
};
static const be_reason reason_not_due = {
	"not_due",
	"This passport is still valid for too long to be renewed.",
	"Masa berlaku paspor ini masih terlalu lama untuk diperpanjang.",
};
static const be_reason reason_expired_long = {
	"expired_too_long",
	"This passport expired more than 5 years ago. Please go to an immigration office.",
	"Paspor ini telah habis masa berlakunya lebih dari 5 tahun. Silakan datang ke kantor imigrasi.",
};

static void add_reason(be_verdict *v, const be_reason *r)
{
	if (v->count < BE_MAX_REASONS)
		v->reasons[v->count++] = *r;
}

/* YYYYMMDD plus months, the day kept (compared as an integer, a 31st
 * that does not exist in the month simply sorts after its last day). */
static int add_months(int date, int months)
{
	int y = date / 10000, m = (date / 100) % 100, d = date % 100;
	int total = y * 12 + (m - 1) + months;
	return (total / 12) * 10000 + (total % 12 + 1) * 100 + d;
}

void be_judge(const be_document *doc, int today, int renew_months, bool lost,
	      be_verdict *ret_verdict)
{
	be_verdict v = {0};
	if (strcmp(doc->nationality, "IDN") != 0)
		add_reason(&v, &reason_nationality);
	if (strcmp(doc->document_type, "P") != 0)
		add_reason(&v, &reason_document_type);
	/* 18 today or before: the 18th birthday is birth + 18 years, and an
	 * integer YYYYMMDD + 180000 is exactly that (29 February included: it
	 * sorts between 28 February and 1 March). */
	if (doc->birth_date + 180000 > today)
		add_reason(&v, &reason_minor);
	if (lost)
		add_reason(&v, &reason_lost);
	if (doc->expiry_date != 0) {
		if (doc->expiry_date > add_months(today, renew_months))
			add_reason(&v, &reason_not_due);
		else if (doc->expiry_date + 50000 < today)
			add_reason(&v, &reason_expired_long);
	}
	*ret_verdict = v;
}

bool be_parse_date(const char *s, int *ret_date)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return false;
	*ret_date = y * 10000 + m * 100 + d;
	return true;
}

long be_fee_idr(int validity_years, bool electronic)
{
	switch (validity_years) {
	case 5: return electronic ? 650000 : 350000;
	case 10: return electronic ? 950000 : 650000;
	default: return -1;
	}
}

static be_err field_error(char *why, size_t why_len, const char *field, const char *what)
{
	snprintf(why, why_len, "%s: %s", field, what);
	return BE_ERR_FIELD;
}

/* A string member of obj whose characters are all in allowed (or any
 * printable character when allowed is NULL), 1..max bytes. */
static be_err get_string(json_t *obj, const char *field, const char *name, const char *allowed,
			 size_t max, const char **ret, char *why, size_t why_len)
{
	json_t *j = json_object_get(obj, name);
	if (j == NULL)
		return field_error(why, why_len, field, "missing");
	if (!json_is_string(j))
		return field_error(why, why_len, field, "not a string");
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	if (n == 0 || n > max || strlen(s) != n)
		return field_error(why, why_len, field, "empty or too long");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (allowed != NULL ? strchr(allowed, c) == NULL : c < 0x20)
			return field_error(why, why_len, field, "has a character not allowed");
	}
	*ret = s;
	return BE_OK;
}

static be_err get_date(json_t *obj, const char *field, const char *name, int *ret,
		       char *why, size_t why_len)
{
	const char *s;
	be_err e = get_string(obj, field, name, "0123456789-", 10, &s, why, why_len);
	if (e != BE_OK)
		return e;
	if (!be_parse_date(s, ret))
		return field_error(why, why_len, field, "not a date YYYY-MM-DD");
	return BE_OK;
}

static const char upper_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static be_err load_object(const char *body, size_t len, json_t **ret, char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(why, why_len, "bad JSON: %s (at %d:%d)", jerr.text, jerr.line, jerr.column);
		return BE_ERR_JSON;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(why, why_len, "the body is not a JSON object");
		return BE_ERR_JSON;
	}
	*ret = root;
	return BE_OK;
}

be_err be_parse_eligibility(const char *body, size_t len, be_document *ret_doc,
			    char *why, size_t why_len)
{
	json_t *root;
	be_err e = load_object(body, len, &root, why, why_len);
	if (e != BE_OK)
		return e;
	be_document d = {0};
	const char *docno, *nat, *type;
	if ((e = get_string(root, "document_number", "document_number", upper_digits, 9, &docno, why, why_len)) != BE_OK ||
	    (e = get_string(root, "nationality", "nationality", upper, 3, &nat, why, why_len)) != BE_OK ||
	    (e = get_string(root, "document_type", "document_type", upper, 2, &type, why, why_len)) != BE_OK ||
	    (e = get_date(root, "birth_date", "birth_date", &d.birth_date, why, why_len)) != BE_OK ||
	    (e = get_date(root, "expiry_date", "expiry_date", &d.expiry_date, why, why_len)) != BE_OK)
		goto out_free_root;
	if (strlen(nat) != 3) {
		e = field_error(why, why_len, "nationality", "not 3 letters");
		goto out_free_root;
	}
	snprintf(d.document_number, sizeof d.document_number, "%s", docno);
	snprintf(d.nationality, sizeof d.nationality, "%s", nat);
	snprintf(d.document_type, sizeof d.document_type, "%s", type);
	*ret_doc = d;
out_free_root:
	json_decref(root);
	return e;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

static be_err get_object(json_t *root, const char *name, json_t **ret, char *why, size_t why_len)
{
	json_t *j = json_object_get(root, name);
	if (!json_is_object(j))
		return field_error(why, why_len, name, j == NULL ? "missing" : "not an object");
	*ret = j;
	return BE_OK;
}

be_err be_parse_application(const char *body, size_t len, be_application *ret_app,
			    char *why, size_t why_len)
{
	json_t *root;
	be_err e = load_object(body, len, &root, why, why_len);
	if (e != BE_OK)
		return e;
	be_application a = {0};
	json_t *holder, *contact, *passport, *fee, *j;
	const char *id, *docno, *nat, *s, *email, *type, *currency;
	if ((e = get_string(root, "application_id", "application_id", NULL, 36, &id, why, why_len)) != BE_OK)
		goto out_free_root;
	if (!is_uuid(id)) {
		e = field_error(why, why_len, "application_id", "not a UUID");
		goto out_free_root;
	}
	if ((e = get_string(root, "document_number", "document_number", upper_digits, 9, &docno, why, why_len)) != BE_OK ||
	    (e = get_object(root, "holder", &holder, why, why_len)) != BE_OK ||
	    (e = get_string(holder, "holder.surname", "surname", NULL, 100, &s, why, why_len)) != BE_OK ||
	    (e = get_string(holder, "holder.nationality", "nationality", upper, 3, &nat, why, why_len)) != BE_OK ||
	    (e = get_date(holder, "holder.birth_date", "birth_date", &a.document.birth_date, why, why_len)) != BE_OK ||
	    (e = get_object(root, "contact", &contact, why, why_len)) != BE_OK ||
	    (e = get_string(contact, "contact.phone", "phone", "+0123456789 -", 20, &s, why, why_len)) != BE_OK ||
	    (e = get_string(contact, "contact.email", "email", NULL, 254, &email, why, why_len)) != BE_OK ||
	    (e = get_string(contact, "contact.address", "address", NULL, 500, &s, why, why_len)) != BE_OK ||
	    (e = get_object(root, "passport", &passport, why, why_len)) != BE_OK ||
	    (e = get_string(passport, "passport.type", "type", upper, 2, &type, why, why_len)) != BE_OK ||
	    (e = get_object(root, "fee", &fee, why, why_len)) != BE_OK ||
	    (e = get_string(fee, "fee.currency", "currency", upper, 3, &currency, why, why_len)) != BE_OK)
		goto out_free_root;
	if (strchr(email, '@') == NULL) {
		e = field_error(why, why_len, "contact.email", "not an e-mail address");
		goto out_free_root;
	}
	if (strlen(nat) != 3) {
		e = field_error(why, why_len, "holder.nationality", "not 3 letters");
		goto out_free_root;
	}
	j = json_object_get(passport, "validity_years");
	if (!json_is_integer(j) || be_fee_idr((int)json_integer_value(j), true) < 0) {
		e = field_error(why, why_len, "passport.validity_years", "not 5 or 10");
		goto out_free_root;
	}
	a.validity_years = (int)json_integer_value(j);
	j = json_object_get(passport, "electronic");
	if (j && !json_is_boolean(j)) {
		e = field_error(why, why_len, "passport.electronic", "not true or false");
		goto out_free_root;
	}
	a.electronic = !j || json_is_true(j); /* the kiosk issues e-passports unless told */
	j = json_object_get(fee, "amount");
	if (strcmp(currency, "IDR") != 0 || !json_is_integer(j) ||
	    json_integer_value(j) != be_fee_idr(a.validity_years, a.electronic)) {
		e = field_error(why, why_len, "fee", "not the fee for this passport (API.md)");
		goto out_free_root;
	}
	snprintf(a.application_id, sizeof a.application_id, "%s", id);
	for (char *p = a.application_id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(a.document.document_number, sizeof a.document.document_number, "%s", docno);
	snprintf(a.document.nationality, sizeof a.document.nationality, "%s", nat);
	snprintf(a.document.document_type, sizeof a.document.document_type, "%s", type);
	a.canonical = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (a.canonical == NULL) {
		e = BE_ERR_NOMEM;
		goto out_free_root;
	}
	*ret_app = a;
out_free_root:
	json_decref(root);
	return e;
}

void be_application_clear(be_application *app)
{
	if (app == NULL)
		return;
	free(app->canonical);
	app->canonical = NULL;
}
