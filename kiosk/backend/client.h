/*
 * kiosk/backend/client.h — the kiosk's client of the government backend
 * (devices/backend/API.md): is this passport eligible for renewal, submit
 * this application. HTTPS through libcurl, trusting only the CA file
 * given, with a connect and a total time-out. Every call blocks (the kiosk
 * runs them on a worker thread); one bk_client is used by one thread at a
 * time. Nothing is printed.
 *
 * The errors keep apart what the applicant is told (BK_ERR_REFUSED: the
 * backend looked at the case and said no, with reasons to show) from what
 * an engineer looks at (the backend unreachable, slow, failing, speaking
 * nonsense, or not the server we trust).
 */
#ifndef APPM_KIOSK_BACKEND_CLIENT_H
#define APPM_KIOSK_BACKEND_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	BK_OK = 0,
	BK_ERR_INVALID,   /* a bad argument (empty field, NULL) */
	BK_ERR_NOMEM,
	BK_ERR_DOWN,      /* connection refused, host unreachable, connection dropped */
	BK_ERR_TIMEOUT,   /* no complete answer within the time-outs */
	BK_ERR_TLS,       /* TLS failed: untrusted certificate, wrong name, handshake */
	BK_ERR_SERVER,    /* the backend answered 5xx */
	BK_ERR_PROTOCOL,  /* an answer that is not what the API says (JSON, status) */
	BK_ERR_REFUSED,   /* not eligible / application refused: see the reasons */
	BK_ERR_CONFLICT,  /* this application id was submitted with other content */
	BK_ERR_NOT_FOUND, /* no such application number */
} bk_err;

const char *bk_strerror(bk_err e);

/* Where the backend is and how long to wait. */
typedef struct {
	const char *base_url;   /* "https://host:port", no trailing slash */
	const char *ca_file;    /* PEM: the only CA(s) trusted for the backend */
	long connect_timeout_ms; /* 0: 5000 */
	long total_timeout_ms;   /* whole request, 0: 15000 */
} bk_config;

typedef struct bk_client bk_client;

/* Copies what it needs from cfg. */
bk_err bk_client_new(const bk_config *cfg, bk_client **ret_client);
void bk_client_free(bk_client *c);

/* Why the backend said no (BK_ERR_REFUSED); strings cut to fit. */
#define BK_MAX_REASONS 8
typedef struct {
	char code[48];
	char message_en[256];
	char message_id[256];
} bk_reason;

typedef struct {
	size_t count;
	bk_reason items[BK_MAX_REASONS];
} bk_reasons;

/* The document read from the passport; dates "YYYY-MM-DD". */
typedef struct {
	const char *document_number;
	const char *nationality;
	const char *birth_date;
	const char *expiry_date;
	const char *document_type;
} bk_document;

/* BK_OK: eligible. BK_ERR_REFUSED: not eligible, ret_reasons (may be NULL)
 * says why. Any other code: no answer to rely on. */
bk_err bk_eligibility(bk_client *c, const bk_document *doc, bk_reasons *ret_reasons);

typedef struct {
	const char *application_id; /* a UUID the kiosk made: sent again, same number */
	const char *document_number;
	struct {
		const char *surname, *given_names, *nationality, *birth_date, *sex;
	} holder;
	struct {
		const char *phone, *email, *address;
	} contact;
	const char *passport_type; /* "P" */
	int validity_years;        /* 5 or 10 */
	bool ordinary;             /* the new passport is not an e-passport (false: e-passport) */
	long fee_amount;
	const char *fee_currency;  /* "IDR" */
} bk_application;

/* BK_OK: the application number in ret_number (also for a repeat of an
 * application already received). BK_ERR_REFUSED with ret_reasons (may be
 * NULL); BK_ERR_CONFLICT; BK_ERR_PROTOCOL when the backend found a field
 * wrong (a kiosk bug). */
bk_err bk_submit(bk_client *c, const bk_application *app, char *ret_number, size_t number_len,
		 bk_reasons *ret_reasons);

/* The status word of an application ("received", ...). */
bk_err bk_status(bk_client *c, const char *number, char *ret_status, size_t status_len);

#endif
