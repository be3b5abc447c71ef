/*
 * devices/backend/rules.h — what appm-backend decides, without HTTP or a
 * database: the parsing of the eligibility and application request bodies
 * (JSON) into checked values, and the eligibility rules applied to them.
 * Kept apart from the server so that a fuzz target or a unit test can
 * drive the parsers directly. Dates are held as integers YYYYMMDD.
 */
#ifndef APPM_BACKEND_RULES_H
#define APPM_BACKEND_RULES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	BE_OK = 0,
	BE_ERR_JSON,      /* the body is not a JSON object */
	BE_ERR_FIELD,     /* a field is missing or has a wrong value */
	BE_ERR_NOMEM,
	BE_ERR_DB,        /* the database failed */
	BE_ERR_CONFLICT,  /* the application id is known with other content */
	BE_ERR_NOT_FOUND, /* no such application */
} be_err;

const char *be_strerror(be_err e);

/* The document an eligibility request or an application is about. */
typedef struct {
	char document_number[10]; /* 1..9 characters A-Z 0-9 (MRZ field) */
	char nationality[4];      /* ICAO 3-letter code */
	char document_type[3];    /* "P", "PD", ... as in the MRZ */
	int birth_date;           /* YYYYMMDD */
	int expiry_date;          /* YYYYMMDD; 0 when not given (applications) */
} be_document;

/* A reason a document is not eligible: constant strings. */
typedef struct {
	const char *code;
	const char *message_en;
	const char *message_id;
} be_reason;

#define BE_MAX_REASONS 8

typedef struct {
	size_t count; /* 0: eligible */
	be_reason reasons[BE_MAX_REASONS];
} be_verdict;

/* An application, checked; canonical is the request as compact JSON with
 * sorted keys (malloc'd), compared to tell a repeat from a conflict. */
typedef struct {
	char application_id[37];
	be_document document;
	int validity_years;
	bool electronic;          /* the new passport is an e-passport */
	char *canonical;
} be_application;

/* Parsing: on BE_ERR_JSON / BE_ERR_FIELD, why says which field and why. */
be_err be_parse_eligibility(const char *body, size_t len, be_document *ret_doc,
			    char *why, size_t why_len);
be_err be_parse_application(const char *body, size_t len, be_application *ret_app,
			    char *why, size_t why_len);
void be_application_clear(be_application *app);

/* "YYYY-MM-DD" to YYYYMMDD, checking the calendar; false if not a date. */
bool be_parse_date(const char *s, int *ret_date);

/* The fee the backend expects (IDR, PP 45/2024) for a new passport of
 * validity_years, electronic or not, or -1 when that validity is not
 * offered. */
long be_fee_idr(int validity_years, bool electronic);

/* The rules (API.md): today as YYYYMMDD; renew_months is how close to its
 * expiry a passport may be renewed; lost says the document is reported
 * lost or stolen. A document with expiry_date 0 skips the timing rules. */
void be_judge(const be_document *doc, int today, int renew_months, bool lost,
	      be_verdict *ret_verdict);

#endif
