/*
 * fuzz-backend — libFuzzer target for appm-backend's request parsing
 * (devices/backend/rules.c): the first byte picks the body's kind (even:
 * an eligibility request, odd: an application), the rest is the body. A
 * body that parses must hold what the rules rely on (fields within their
 * sizes, calendar dates), and an application's canonical form must parse
 * again to itself — the backend's idempotency compares those forms. One
 * that fails must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/backend/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_document(const be_document *d, bool with_expiry)
{
	int date;
	char text[32];
	if (d->document_number[0] == '\0' || d->nationality[0] == '\0' || d->document_type[0] == '\0')
		abort();
	if (with_expiry && d->expiry_date == 0)
		abort();
	/* A parsed date printed back parses to itself. */
	snprintf(text, sizeof text, "%04d-%02d-%02d", d->birth_date / 10000 % 10000,
		 d->birth_date / 100 % 100, d->birth_date % 100);
	if (!be_parse_date(text, &date) || date != d->birth_date)
		abort();
	be_verdict v;
	be_judge(d, 20261203, 12, false, &v);
	if (v.count > BE_MAX_REASONS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	char why[256] = "";
	if (data[0] % 2 == 0) {
		be_document d;
		be_err e = be_parse_eligibility(body, len, &d, why, sizeof why);
		if (e == BE_OK)
			check_document(&d, true);
		else if (why[0] == '\0')
			abort();
		return 0;
	}
	be_application a;
	be_err e = be_parse_application(body, len, &a, why, sizeof why);
	if (e != BE_OK) {
		if (e != BE_ERR_NOMEM && why[0] == '\0')
			abort();
		return 0;
	}
	check_document(&a.document, false);
	be_application again;
	if (be_parse_application(a.canonical, strlen(a.canonical), &again, why, sizeof why) != BE_OK ||
	    strcmp(again.canonical, a.canonical) != 0 || strcmp(again.application_id, a.application_id) != 0)
		abort();
	be_application_clear(&again);
	be_application_clear(&a);
	return 0;
}
