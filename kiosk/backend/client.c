/*
 * kiosk/backend/client.c — the kiosk's client of the government backend
 * (client.h). One libcurl easy handle per request: nothing is shared
 * between calls, so a call that failed half-way leaves nothing behind. The
 * answer is read into a buffer capped at 64 KiB and must be a JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "kiosk/backend/client.h"

#define ANSWER_MAX (64 * 1024)

struct bk_client {
	char *base_url;
	char *ca_file;
	long connect_timeout_ms;
	long total_timeout_ms;
};

const char *bk_strerror(bk_err e)
{
	switch (e) {
	case BK_OK: return "success";
	case BK_ERR_INVALID: return "invalid argument";
	case BK_ERR_NOMEM: return "out of memory";
	case BK_ERR_DOWN: return "the backend cannot be reached";
	case BK_ERR_TIMEOUT: return "the backend did not answer in time";
	case BK_ERR_TLS: return "the secure connection to the backend failed";
	case BK_ERR_SERVER: return "the backend reported an internal error";
	case BK_ERR_PROTOCOL: return "the backend's answer was not understood";
	case BK_ERR_REFUSED: return "the backend refused the request";
	case BK_ERR_CONFLICT: return "this application was submitted before with other content";
	case BK_ERR_NOT_FOUND: return "the backend does not know this application";
	}
	return "unknown error";
}

bk_err bk_client_new(const bk_config *cfg, bk_client **ret_client)
{
	if (cfg == NULL || cfg->base_url == NULL || cfg->ca_file == NULL || ret_client == NULL ||
	    cfg->connect_timeout_ms < 0 || cfg->total_timeout_ms < 0)
		return BK_ERR_INVALID;
	bk_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return BK_ERR_NOMEM;
	c->base_url = strdup(cfg->base_url);
	c->ca_file = strdup(cfg->ca_file);
	if (c->base_url == NULL || c->ca_file == NULL)
		goto out_free_client;
	c->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
	c->total_timeout_ms = cfg->total_timeout_ms ? cfg->total_timeout_ms : 15000;
	/* Reference-counted, and thread-safe in the libcurl of Debian 12. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out_free_client;
	*ret_client = c;
	return BK_OK;
out_free_client:
	free(c->base_url);
	free(c->ca_file);
	free(c);
	return BK_ERR_NOMEM;
}

void bk_client_free(bk_client *c)
{
	if (c == NULL)
		return;
	if (c->base_url != NULL && c->ca_file != NULL)
		curl_global_cleanup();
	free(c->base_url);
	free(c->ca_file);
	free(c);
}

typedef struct {
	char *data;
	size_t len;
} answer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	answer *a = userdata;
	size_t n = size * nmemb;
	if (n > ANSWER_MAX - a->len)
		return 0; /* CURLE_WRITE_ERROR */
	char *grown = realloc(a->data, a->len + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + a->len, ptr, n);
	a->data = grown;
	a->len += n;
	a->data[a->len] = '\0';
	return n;
}

/* libcurl's codes that mean something to the kiosk; any other failure
 * is BK_ERR_PROTOCOL. A table, not a switch: CURLcode has ~100 values. */
static const struct {
	CURLcode curl;
	bk_err bk;
} curl_errors[] = {
	{CURLE_COULDNT_RESOLVE_HOST, BK_ERR_DOWN},
	{CURLE_COULDNT_RESOLVE_PROXY, BK_ERR_DOWN},
	{CURLE_COULDNT_CONNECT, BK_ERR_DOWN},
	{CURLE_GOT_NOTHING, BK_ERR_DOWN},
	{CURLE_SEND_ERROR, BK_ERR_DOWN},
	{CURLE_RECV_ERROR, BK_ERR_DOWN},
	{CURLE_OPERATION_TIMEDOUT, BK_ERR_TIMEOUT},
	{CURLE_SSL_CONNECT_ERROR, BK_ERR_TLS},
	{CURLE_PEER_FAILED_VERIFICATION, BK_ERR_TLS},
	{CURLE_SSL_CERTPROBLEM, BK_ERR_TLS},
	{CURLE_SSL_CIPHER, BK_ERR_TLS},
	{CURLE_SSL_CACERT_BADFILE, BK_ERR_TLS},
	{CURLE_SSL_ISSUER_ERROR, BK_ERR_TLS},
	{CURLE_SSL_PINNEDPUBKEYNOTMATCH, BK_ERR_TLS},
	{CURLE_SSL_INVALIDCERTSTATUS, BK_ERR_TLS},
	{CURLE_SSL_CRL_BADFILE, BK_ERR_TLS},
	{CURLE_SSL_SHUTDOWN_FAILED, BK_ERR_TLS},
	{CURLE_SSL_ENGINE_NOTFOUND, BK_ERR_TLS},
	{CURLE_SSL_ENGINE_SETFAILED, BK_ERR_TLS},
	{CURLE_SSL_ENGINE_INITFAILED, BK_ERR_TLS},
	{CURLE_SSL_CLIENTCERT, BK_ERR_TLS},
	{CURLE_OUT_OF_MEMORY, BK_ERR_NOMEM},
	{CURLE_UNSUPPORTED_PROTOCOL, BK_ERR_INVALID}, /* not an https:// URL */
	{CURLE_URL_MALFORMAT, BK_ERR_INVALID},
};

static bk_err from_curl(CURLcode rc)
{
	if (rc == CURLE_OK)
		return BK_OK;
	for (size_t i = 0; i < sizeof curl_errors / sizeof curl_errors[0]; i++)
		if (curl_errors[i].curl == rc)
			return curl_errors[i].bk;
	return BK_ERR_PROTOCOL;
}

/* A TLS handshake that failed because the backend went away in the
 * middle of it (a server stopping closes connections it had accepted) is
 * the backend down, not a TLS problem: the socket failed under it (curl
 * saw an errno, or OpenSSL an unexpected end of the stream). A refused
 * certificate is CURLE_PEER_FAILED_VERIFICATION and stays BK_ERR_TLS. */
static bool handshake_cut(CURL *h, const char *errbuf)
{
	long os_errno = 0;
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	return os_errno != 0 || strstr(errbuf, "unexpected eof") || strstr(errbuf, "SSL_ERROR_SYSCALL") ||
	       strstr(errbuf, "reset by peer");
}

/* One request: body NULL is a GET. On BK_OK, *ret_status is the HTTP
 * status (not 5xx) and *ret_json the answer, a JSON object. */
static bk_err request(bk_client *c, const char *path, const char *body, long *ret_status, json_t **ret_json)
{
	bk_err e = BK_ERR_NOMEM;
	answer a = {0};
	char *url = malloc(strlen(c->base_url) + strlen(path) + 1);
	CURL *h = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
	if (url == NULL || h == NULL || headers == NULL)
		goto out_free;
	strcpy(url, c->base_url);
	strcat(url, path);
	if (body != NULL) {
		struct curl_slist *more = curl_slist_append(headers, "Content-Type: application/json");
		if (more == NULL)
			goto out_free;
		headers = more;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->total_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* called on a worker thread */
	curl_easy_setopt(h, CURLOPT_PROXY, "");    /* the backend is reached directly */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	e = from_curl(rc);
	if (rc == CURLE_SSL_CONNECT_ERROR && handshake_cut(h, errbuf))
		e = BK_ERR_DOWN;
	if (e != BK_OK)
		goto out_free;
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 500) {
		e = BK_ERR_SERVER;
		goto out_free;
	}
	json_t *root = a.data ? json_loadb(a.data, a.len, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		e = BK_ERR_PROTOCOL;
		goto out_free;
	}
	*ret_status = status;
	*ret_json = root;
out_free:
	free(a.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	free(url);
	return e;
}

static void copy_string(char *to, size_t size, json_t *j)
{
	snprintf(to, size, "%s", json_is_string(j) ? json_string_value(j) : "");
}

/* The reasons array; false if it is not one of objects with a code. */
static bool read_reasons(json_t *array, bk_reasons *ret_reasons)
{
	bk_reasons r = {0};
	size_t i;
	json_t *item;
	if (!json_is_array(array) || json_array_size(array) == 0)
		return false;
	json_array_foreach(array, i, item) {
		if (!json_is_string(json_object_get(item, "code")))
			return false;
		if (r.count == BK_MAX_REASONS)
			continue;
		bk_reason *to = &r.items[r.count++];
		copy_string(to->code, sizeof to->code, json_object_get(item, "code"));
		copy_string(to->message_en, sizeof to->message_en, json_object_get(item, "message_en"));
		copy_string(to->message_id, sizeof to->message_id, json_object_get(item, "message_id"));
	}
	if (ret_reasons != NULL)
		*ret_reasons = r;
	return true;
}

static bool filled(const char *s)
{
	return s != NULL && *s != '\0';
}

/* json_dumps of obj (taken). */
static char *dump(json_t *obj)
{
	char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	return s;
}

bk_err bk_eligibility(bk_client *c, const bk_document *doc, bk_reasons *ret_reasons)
{
	if (c == NULL || doc == NULL || !filled(doc->document_number) || !filled(doc->nationality) ||
	    !filled(doc->birth_date) || !filled(doc->expiry_date) || !filled(doc->document_type))
		return BK_ERR_INVALID;
	char *body = dump(json_pack("{s:s,s:s,s:s,s:s,s:s}", "document_number", doc->document_number,
				    "nationality", doc->nationality, "birth_date", doc->birth_date,
				    "expiry_date", doc->expiry_date, "document_type", doc->document_type));
	if (body == NULL)
		return BK_ERR_NOMEM;
	long status;
	json_t *root;
	bk_err e = request(c, "/v1/eligibility", body, &status, &root);
	free(body);
	if (e != BK_OK)
		return e;
	json_t *eligible = json_object_get(root, "eligible");
	if (status != 200 || !json_is_boolean(eligible))
		e = BK_ERR_PROTOCOL;
	else if (json_is_false(eligible))
		e = read_reasons(json_object_get(root, "reasons"), ret_reasons) ? BK_ERR_REFUSED : BK_ERR_PROTOCOL;
	json_decref(root);
	return e;
}

bk_err bk_submit(bk_client *c, const bk_application *app, char *ret_number, size_t number_len,
		 bk_reasons *ret_reasons)
{
	if (c == NULL || app == NULL || ret_number == NULL || number_len == 0 ||
	    !filled(app->application_id) || !filled(app->document_number) || !filled(app->holder.surname) ||
	    !filled(app->holder.nationality) || !filled(app->holder.birth_date) ||
	    !filled(app->contact.phone) || !filled(app->contact.email) || !filled(app->contact.address) ||
	    !filled(app->passport_type) || !filled(app->fee_currency))
		return BK_ERR_INVALID;
	char *body = dump(json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:i,s:b},s:{s:I,s:s}}",
		"application_id", app->application_id,
		"document_number", app->document_number,
		"holder", "surname", app->holder.surname,
		"given_names", app->holder.given_names ? app->holder.given_names : "",
		"nationality", app->holder.nationality, "birth_date", app->holder.birth_date,
		"sex", app->holder.sex ? app->holder.sex : "X",
		"contact", "phone", app->contact.phone, "email", app->contact.email,
		"address", app->contact.address,
		"passport", "type", app->passport_type, "validity_years", app->validity_years,
		"electronic", !app->ordinary,
		"fee", "amount", (json_int_t)app->fee_amount, "currency", app->fee_currency));
	if (body == NULL)
		return BK_ERR_NOMEM;
	long status;
	json_t *root;
	bk_err e = request(c, "/v1/applications", body, &status, &root);
	free(body);
	if (e != BK_OK)
		return e;
	json_t *number = json_object_get(root, "application_number");
	json_t *error = json_object_get(root, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	if ((status == 200 || status == 201) && json_is_string(number) &&
	    json_string_length(number) < number_len)
		memcpy(ret_number, json_string_value(number), json_string_length(number) + 1);
	else if (status == 409)
		e = BK_ERR_CONFLICT;
	else if (status == 422 && code != NULL && strcmp(code, "refused") == 0 &&
		 read_reasons(json_object_get(error, "reasons"), ret_reasons))
		e = BK_ERR_REFUSED;
	else
		e = BK_ERR_PROTOCOL;
	json_decref(root);
	return e;
}

bk_err bk_status(bk_client *c, const char *number, char *ret_status, size_t status_len)
{
	if (c == NULL || !filled(number) || ret_status == NULL || status_len == 0 ||
	    strspn(number, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(number))
		return BK_ERR_INVALID;
	char path[128];
	if ((size_t)snprintf(path, sizeof path, "/v1/applications/%s", number) >= sizeof path)
		return BK_ERR_INVALID;
	long status;
	json_t *root;
	bk_err e = request(c, path, NULL, &status, &root);
	if (e != BK_OK)
		return e;
	json_t *word = json_object_get(root, "status");
	if (status == 404)
		e = BK_ERR_NOT_FOUND;
	else if (status == 200 && json_is_string(word) && json_string_length(word) < status_len)
		memcpy(ret_status, json_string_value(word), json_string_length(word) + 1);
	else
		e = BK_ERR_PROTOCOL;
	json_decref(root);
	return e;
}
