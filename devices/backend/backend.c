/*
 * appm-backend — a reference of the government-side server the kiosk asks
 * whether a passport can be renewed and sends applications to (the HTTP
 * API is in API.md). HTTPS by libmicrohttpd with the key and certificate
 * given; plain HTTP only when asked for with --insecure-http. Its state —
 * documents reported lost or stolen, applications received — is in its
 * own SQLite database, so a restarted backend still knows every
 * application id it was sent.
 *
 * For tests and demonstrations it can be told to misbehave ("fault
 * modes"), at start with --fault and while it runs with POST /admin/fault,
 * which (like POST /admin/lost) exists only when --admin-token was given,
 * and answers only a request carrying "Authorization: Bearer TOKEN":
 *   none         normal service
 *   down         stop listening: connections are refused from then on
 *                (the admin endpoint too), until the program is restarted
 *   slow:MS      wait MS milliseconds before answering each /v1 request
 *   error500     answer every /v1 request 500
 *   refuse:CODE  find every document ineligible and refuse every
 *                application, with the reason CODE
 * Once started it prints "listening HOST:PORT" on stdout (the port chosen
 * when --listen asked for port 0) and serves until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "devices/backend/db.h"
#include "devices/backend/rules.h"

#define BODY_MAX (64 * 1024)
#define REASON_MAX 64

typedef enum { FAULT_NONE, FAULT_DOWN, FAULT_SLOW, FAULT_ERROR500, FAULT_REFUSE } fault_kind;

typedef struct {
	fault_kind kind;
	unsigned slow_ms;
	char reason[REASON_MAX];
} fault_mode;

typedef struct {
	be_db *db;
	const char *admin_token; /* NULL: no /admin endpoints */
	int renew_months;
	pthread_mutex_t lock; /* guards fault */
	fault_mode fault;
} server;

/* One request's body, gathered across the handler's calls. */
typedef struct {
	char *body;
	size_t len;
	bool too_large;
} request;

/* "none", "down", "slow:MS", "error500", "refuse:CODE" */
static bool parse_fault(const char *s, fault_mode *ret)
{
	fault_mode f = {0};
	char *end;
	if (strcmp(s, "none") == 0) {
		f.kind = FAULT_NONE;
	} else if (strcmp(s, "down") == 0) {
		f.kind = FAULT_DOWN;
	} else if (strcmp(s, "error500") == 0) {
		f.kind = FAULT_ERROR500;
	} else if (strncmp(s, "slow:", 5) == 0) {
		errno = 0;
		unsigned long ms = strtoul(s + 5, &end, 10);
		if (s[5] < '0' || s[5] > '9' || *end != '\0' || errno != 0 || ms > 600000)
			return false;
		f.kind = FAULT_SLOW;
		f.slow_ms = (unsigned)ms;
	} else if (strncmp(s, "refuse:", 7) == 0) {
		size_t n = strlen(s + 7);
		if (n == 0 || n >= REASON_MAX || strspn(s + 7, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
			return false;
		f.kind = FAULT_REFUSE;
		memcpy(f.reason, s + 7, n + 1);
	} else {
		return false;
	}
	*ret = f;
	return true;
}

static int today_utc(void)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Sends body (taken) with status. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *code,
				   const char *message)
{
	return reply(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

static json_t *reasons_json(const be_verdict *v, const char *custom)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < v->count; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "code", v->reasons[i].code,
						   "message_en", v->reasons[i].message_en,
						   "message_id", v->reasons[i].message_id));
	if (a && custom)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "code", custom,
						   "message_en", "The backend refused this request.",
						   "message_id", "Server menolak permintaan ini."));
	return a;
}

static enum MHD_Result on_eligibility(server *srv, struct MHD_Connection *c, const request *rq,
				      const fault_mode *fault)
{
	be_document doc;
	char why[256];
	be_err e = be_parse_eligibility(rq->body, rq->len, &doc, why, sizeof why);
	if (e != BE_OK)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, e == BE_ERR_JSON ? "bad_json" : "bad_field", why);
	bool lost = false;
	if (be_db_is_lost(srv->db, doc.document_number, &lost) != BE_OK)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "database failure");
	be_verdict v;
	be_judge(&doc, today_utc(), srv->renew_months, lost, &v);
	const char *custom = fault->kind == FAULT_REFUSE ? fault->reason : NULL;
	if (v.count == 0 && custom == NULL)
		return reply(c, MHD_HTTP_OK, json_pack("{s:b}", "eligible", 1));
	return reply(c, MHD_HTTP_OK, json_pack("{s:b,s:o}", "eligible", 0, "reasons", reasons_json(&v, custom)));
}

static enum MHD_Result on_submit(server *srv, struct MHD_Connection *c, const request *rq,
				 const fault_mode *fault)
{
	be_application app;
	char why[256];
	be_err e = be_parse_application(rq->body, rq->len, &app, why, sizeof why);
	if (e == BE_ERR_NOMEM)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	if (e != BE_OK)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, e == BE_ERR_JSON ? "bad_json" : "bad_field", why);
	enum MHD_Result ret;
	bool lost = false, created = false;
	if (be_db_is_lost(srv->db, app.document.document_number, &lost) != BE_OK) {
		ret = reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "database failure");
		goto out_clear;
	}
	/* The holder's nationality and age, the lost list and the new
	 * passport's type: what the application itself says (the renewal
	 * timing needs the old expiry, which only the eligibility check has). */
	be_verdict v;
	be_judge(&app.document, today_utc(), srv->renew_months, lost, &v);
	const char *custom = fault->kind == FAULT_REFUSE ? fault->reason : NULL;
	if (v.count > 0 || custom != NULL) {
		ret = reply(c, MHD_HTTP_UNPROCESSABLE_CONTENT,
			    json_pack("{s:{s:s,s:s,s:o}}", "error", "code", "refused", "message",
				      "the application is refused", "reasons", reasons_json(&v, custom)));
		goto out_clear;
	}
	char number[32];
	e = be_db_submit(srv->db, &app, number, sizeof number, &created);
	if (e == BE_ERR_CONFLICT)
		ret = reply_error(c, MHD_HTTP_CONFLICT, "conflict",
				  "this application_id was sent before with other content");
	else if (e != BE_OK)
		ret = reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", be_strerror(e));
	else
		ret = reply(c, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
			    json_pack("{s:s,s:s}", "application_number", number, "application_id", app.application_id));
out_clear:
	be_application_clear(&app);
	return ret;
}

static enum MHD_Result on_status(server *srv, struct MHD_Connection *c, const char *number)
{
	char status[32], received[32];
	be_err e = be_db_status(srv->db, number, status, sizeof status, received, sizeof received);
	if (e == BE_ERR_NOT_FOUND)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such application");
	if (e != BE_OK)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", be_strerror(e));
	return reply(c, MHD_HTTP_OK, json_pack("{s:s,s:s,s:s}", "application_number", number,
					       "status", status, "received", received));
}

/* Compares without stopping at the first difference. */
static bool token_matches(const char *given, const char *token)
{
	size_t n = strlen(token);
	if (given == NULL || strlen(given) != n)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(given[i] ^ token[i]);
	return diff == 0;
}

static enum MHD_Result on_admin(server *srv, struct MHD_Connection *c, const char *url, const request *rq)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || !token_matches(auth + 7, srv->admin_token))
		return reply_error(c, MHD_HTTP_UNAUTHORIZED, "unauthorized", "a valid admin token is needed");
	json_t *root = json_loadb(rq->body ? rq->body : "", rq->len, 0, NULL);
	enum MHD_Result ret;
	const char *s;
	if (strcmp(url, "/admin/fault") == 0) {
		fault_mode f;
		if (!json_is_object(root) || (s = json_string_value(json_object_get(root, "mode"))) == NULL ||
		    !parse_fault(s, &f)) {
			ret = reply_error(c, MHD_HTTP_BAD_REQUEST, "bad_field", "mode: not a fault mode (API.md)");
			goto out_free_root;
		}
		pthread_mutex_lock(&srv->lock);
		srv->fault = f;
		pthread_mutex_unlock(&srv->lock);
		ret = reply(c, MHD_HTTP_OK, json_pack("{s:s}", "mode", s));
	} else if (strcmp(url, "/admin/lost") == 0) {
		if (!json_is_object(root) ||
		    (s = json_string_value(json_object_get(root, "document_number"))) == NULL ||
		    strlen(s) == 0 || strlen(s) > 9) {
			ret = reply_error(c, MHD_HTTP_BAD_REQUEST, "bad_field", "document_number: missing or wrong");
			goto out_free_root;
		}
		if (be_db_add_lost(srv->db, s) != BE_OK)
			ret = reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "database failure");
		else
			ret = reply(c, MHD_HTTP_OK, json_pack("{s:s}", "lost", s));
	} else {
		ret = reply_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
	}
out_free_root:
	json_decref(root);
	return ret;
}

static enum MHD_Result route(server *srv, struct MHD_Connection *c, const char *url, const char *method,
			     const request *rq)
{
	bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
	if (srv->admin_token != NULL && strncmp(url, "/admin/", 7) == 0)
		return post ? on_admin(srv, c, url, rq)
			    : reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "use POST");
	bool eligibility = strcmp(url, "/v1/eligibility") == 0;
	bool submit = strcmp(url, "/v1/applications") == 0;
	const char *number = strncmp(url, "/v1/applications/", 17) == 0 ? url + 17 : NULL;
	if (!eligibility && !submit && (number == NULL || *number == '\0' || strchr(number, '/')))
		return reply_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
	if ((number != NULL && !get) || (number == NULL && !post))
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
				   number ? "use GET" : "use POST");
	if (rq->too_large)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is over 64 KiB");

	fault_mode fault;
	pthread_mutex_lock(&srv->lock);
	fault = srv->fault;
	pthread_mutex_unlock(&srv->lock);
	if (fault.kind == FAULT_SLOW) {
		struct timespec ts = {fault.slow_ms / 1000, (long)(fault.slow_ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (fault.kind == FAULT_ERROR500)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "fault mode error500");
	if (eligibility)
		return on_eligibility(srv, c, rq, &fault);
	if (submit)
		return on_submit(srv, c, rq, &fault);
	return on_status(srv, c, number);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	request *rq = *con_cls;
	if (rq == NULL) {
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		if (rq->too_large || n > BODY_MAX - rq->len) {
			rq->too_large = true;
		} else {
			char *grown = realloc(rq->body, rq->len + n + 1);
			if (grown == NULL)
				return MHD_NO;
			memcpy(grown + rq->len, upload_data, n);
			rq->body = grown;
			rq->len += n;
			rq->body[rq->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return route(cls, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	request *rq = *con_cls;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(BODY_MAX + 1);
	size_t n = buf ? fread(buf, 1, BODY_MAX, f) : 0;
	bool whole = buf && !ferror(f) && feof(f);
	fclose(f);
	if (!whole) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static bool parse_listen(const char *s, struct sockaddr_in *ret)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return false;
	*ret = a;
	return true;
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: appm-backend --db PATH (--cert PEM --key PEM | --insecure-http)\n"
		"                    [--listen ADDR:PORT] [--admin-token TOKEN] [--fault MODE]\n"
		"                    [--lost DOCNO]... [--renew-within MONTHS]\n"
		"  --listen ADDR:PORT    IPv4 address and port (default 127.0.0.1:8443; port 0: any)\n"
		"  --fault MODE          none, down, slow:MS, error500, refuse:CODE\n"
		"  --admin-token TOKEN   enable POST /admin/fault and /admin/lost for this bearer token\n"
		"  --lost DOCNO          report a document lost or stolen (kept in the database)\n"
		"  --renew-within MONTHS how close to expiry a passport may be renewed (default 12)\n");
}

enum { OPT_DB = 256, OPT_CERT, OPT_KEY, OPT_INSECURE, OPT_LISTEN, OPT_TOKEN, OPT_FAULT, OPT_LOST, OPT_RENEW };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"cert", required_argument, NULL, OPT_CERT},
		{"key", required_argument, NULL, OPT_KEY},
		{"insecure-http", no_argument, NULL, OPT_INSECURE},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"admin-token", required_argument, NULL, OPT_TOKEN},
		{"fault", required_argument, NULL, OPT_FAULT},
		{"lost", required_argument, NULL, OPT_LOST},
		{"renew-within", required_argument, NULL, OPT_RENEW},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = NULL, *cert_path = NULL, *key_path = NULL;
	bool insecure = false;
	struct sockaddr_in addr;
	parse_listen("127.0.0.1:8443", &addr);
	server srv = {.renew_months = 12};
	int status = 1;
	char **lost = calloc((size_t)argc, sizeof *lost);
	size_t n_lost = 0;
	if (lost == NULL)
		return 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_DB: db_path = optarg; break;
		case OPT_CERT: cert_path = optarg; break;
		case OPT_KEY: key_path = optarg; break;
		case OPT_INSECURE: insecure = true; break;
		case OPT_TOKEN: srv.admin_token = optarg; break;
		case OPT_LOST: lost[n_lost++] = optarg; break;
		case OPT_LISTEN:
			if (!parse_listen(optarg, &addr)) {
				fprintf(stderr, "appm-backend: --listen %s: not ADDR:PORT (IPv4)\n", optarg);
				goto out_free_lost;
			}
			break;
		case OPT_FAULT:
			if (!parse_fault(optarg, &srv.fault)) {
				fprintf(stderr, "appm-backend: --fault %s: not a fault mode\n", optarg);
				goto out_free_lost;
			}
			break;
		case OPT_RENEW:
			srv.renew_months = atoi(optarg);
			if (srv.renew_months < 0 || srv.renew_months > 120) {
				fprintf(stderr, "appm-backend: --renew-within %s: not 0..120 months\n", optarg);
				goto out_free_lost;
			}
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out_free_lost;
		default:
			usage(stderr);
			status = 2;
			goto out_free_lost;
		}
	}
	if (optind != argc || db_path == NULL || (cert_path == NULL) != (key_path == NULL)) {
		usage(stderr);
		status = 2;
		goto out_free_lost;
	}
	if (cert_path == NULL && !insecure) {
		fprintf(stderr, "appm-backend: no --cert and --key: refusing to serve without TLS "
			"(--insecure-http to debug locally)\n");
		status = 2;
		goto out_free_lost;
	}
	char why[512] = "";
	if (be_db_open(db_path, &srv.db, why, sizeof why) != BE_OK) {
		fprintf(stderr, "appm-backend: database %s\n", why);
		goto out_free_lost;
	}
	for (size_t i = 0; i < n_lost; i++)
		if (be_db_add_lost(srv.db, lost[i]) != BE_OK) {
			fprintf(stderr, "appm-backend: cannot record %s as lost\n", lost[i]);
			goto out_free_db;
		}
	char *cert = NULL, *key = NULL;
	if (cert_path != NULL) {
		cert = read_file(cert_path);
		key = read_file(key_path);
		if (cert == NULL || key == NULL) {
			fprintf(stderr, "appm-backend: cannot read %s\n", cert == NULL ? cert_path : key_path);
			goto out_free_pem;
		}
	}
	pthread_mutex_init(&srv.lock, NULL);

	/* SIGTERM and SIGINT are waited for below; blocked before the server's
	 * threads start, so that they inherit the mask. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (cert != NULL)
		flags |= MHD_USE_TLS;
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_LIMIT, 64u,
		/* Without TLS the list ends here. */
		cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key,
		MHD_OPTION_HTTPS_MEM_CERT, cert,
		MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "appm-backend: cannot serve on %s:%u\n", inet_ntoa(addr.sin_addr),
			ntohs(addr.sin_port));
		goto out_destroy_lock;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening %s:%u\n", inet_ntoa(addr.sin_addr), info ? info->port : ntohs(addr.sin_port));
	fflush(stdout);

	bool down = false;
	for (;;) {
		struct timespec tick = {0, 50 * 1000000L};
		int sig = sigtimedwait(&stop_signals, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		pthread_mutex_lock(&srv.lock);
		bool want_down = srv.fault.kind == FAULT_DOWN;
		pthread_mutex_unlock(&srv.lock);
		if (want_down && !down) {
			MHD_socket fd = MHD_quiesce_daemon(d);
			if (fd != MHD_INVALID_SOCKET)
				close(fd);
			down = true;
		}
	}
	MHD_stop_daemon(d);
	status = 0;
out_destroy_lock:
	pthread_mutex_destroy(&srv.lock);
out_free_pem:
	free(cert);
	free(key);
out_free_db:
	be_db_free(srv.db);
out_free_lost:
	free(lost);
	return status;
}
