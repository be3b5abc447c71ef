/*
 * cmd_kiosk — `appm kiosk --config FILE`: the kiosk daemon. One GLib main
 * loop owns everything: the devices (kiosk/devices.c) with their events
 * and re-opening, the control socket `appm diag` talks to
 * (kiosk/control.c), the applicant's page and journey (ui/server.c,
 * kiosk/journey.c), signals, and systemd's watchdog. It logs one line per
 * event to stderr (journald keeps it) and never personal data: device
 * events carry device names and words, the journey its states.
 *
 * Start-up order: configuration, store (which also keeps a second daemon
 * out), control socket, the page with its journey (trust store, backend
 * client, spoken prompts), devices, then READY=1 to systemd. SIGTERM or SIGINT stops the
 * loop; close_all closes what was opened, devices first.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib-unix.h>
#include <glib.h>
#include <systemd/sd-daemon.h>

#include "kiosk/appm.h"
#include "kiosk/control.h"
#include "kiosk/cmd_face.h"
#include "kiosk/devices.h"
#include "kiosk/face.h"
#include "kiosk/journey.h"
#include "kiosk/kiosk_store.h"
#include "ui/server.h"
#include "ui/speech.h"

#ifndef APPM_UI_DOCROOT
#define APPM_UI_DOCROOT "/usr/share/appm/ui"
#endif

typedef struct kioskd {
	kcfg cfg;
	GMainLoop *loop;
	store *store;
	store_err store_failure; /* the last write that failed, logged once */
	kctl_server *ctl;
	kdevs *devs;
	journey *journey;         /* NULL when the kiosk shows no page */
	pa_trust *trust;          /* the CSCAs of [kiosk] trust; NULL when none */
	bk_client *backend;       /* NULL when no [backend] url */
	ui_server *ui;
	speech *speech;           /* NULL when espeak-ng cannot speak: the page then shows no speech controls */
	int signal;               /* the one that stopped us */
} kioskd;

__attribute__((format(printf, 1, 2))) static void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "appm kiosk: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fflush(stderr);
}

/* ---- device events: log, store, watchers ---- */

/* A write to the store failed: said once, not at every event. */
static void store_wrote(kioskd *k, store_err e)
{
	if (e != STORE_OK && e != k->store_failure)
		log_line("store: cannot record device events and counters: %s (%s)", store_strerror(e),
		         store_error_detail(k->store));
	k->store_failure = e;
}

/* An event for the log, the store and every watcher of the socket. */
static void tell(kioskd *k, const char *device, const char *kind, const char *text)
{
	log_line("%s: %s: %s", device, kind, text);
	store_wrote(k, kstore_log_event(k->store, device, kind, text));
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	gchar *words = g_utf8_make_valid(text, -1); /* a driver's bytes, not always UTF-8 */
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", kind, "device", device, "text", words, "time", when);
	g_free(words);
	if (ev && k->ctl)
		kctl_broadcast(k->ctl, ev);
	json_decref(ev);
}

static void on_event(const char *device, const char *kind, const char *text, void *user)
{
	kioskd *k = user;
	if (k->journey)
		journey_device_event(k->journey, device, kind);
	tell(k, device, kind, text);
}

/* The journey's news for the staff: an officer called. */
static void on_journey_news(const char *kind, const char *text, void *user)
{
	tell(user, "kiosk", kind, text);
}

static void on_count(const char *device, bool failed, const char *error, void *user)
{
	kioskd *k = user;
	store_wrote(k, kstore_count(k->store, device, failed, error));
}

static bool on_counters(const char *device, kdev_counters *ret, void *user)
{
	kioskd *k = user;
	return kstore_counters(k->store, device, ret);
}

/* ---- control requests ---- */

static void answer_maintenance(const char *device, kdev_op op, dev_err e, const char *report, void *user)
{
	kctl_client *c = user;
	json_t *m = kdevs_op_answer(device, op, e, report);
	if (m)
		kctl_send(c, m);
	json_decref(m);
	kctl_client_unref(c);
}

static void maintain(kioskd *k, kctl_client *c, const char *device, kdev_op op)
{
	if (!device) {
		kctl_refuse(c, "bad-request", "name the device");
		return;
	}
	kctl_client_ref(c);
	dev_err e = kdevs_maintain(k->devs, device, op, answer_maintenance, c);
	if (e == DEV_OK) {
		log_line("%s: diag (uid %u) asked for a %s", device, kctl_client_uid(c),
		         op == KDEV_OP_SELF_TEST ? "self-test" : "reset");
		return;
	}
	kctl_client_unref(c);
	char words[600];
	if (e == DEV_ERR_ARG) {
		int n = snprintf(words, sizeof(words), "no device named '%s' in %s (configured:", device, k->cfg.path);
		for (size_t i = 0; i < k->cfg.n_devices && n > 0 && (size_t)n < sizeof(words); i++)
			n += snprintf(words + n, sizeof(words) - (size_t)n, " %s", k->cfg.devices[i].name);
		if (n > 0 && (size_t)n < sizeof(words))
			snprintf(words + n, sizeof(words) - (size_t)n, ")");
		kctl_refuse(c, "unknown-device", words);
	} else if (e == DEV_ERR_NOT_OPEN) {
		kctl_refuse(c, "stopping", "the kiosk daemon is stopping: try again when it is back");
	} else {
		kctl_refuse(c, "busy", "the device is busy (an applicant is using the kiosk, or another maintenance "
		                  "operation runs on it): try again in a moment");
	}
}

/* The applicant's session for `appm staff`; for a staff request (action
 * "resume" or "end"), the officer's answer to a call first. */
static void answer_session(kioskd *k, kctl_client *c, const json_t *req, bool staff)
{
	if (!k->journey) {
		kctl_refuse(c, "no-session", "this kiosk shows no applicant page ([ui] listen is not set)");
		return;
	}
	if (staff) {
		const char *action = json_string_value(json_object_get(req, "action"));
		bool resume = action && strcmp(action, "resume") == 0;
		if (!resume && !(action && strcmp(action, "end") == 0)) {
			kctl_refuse(c, "bad-request", "the staff action is resume or end");
			return;
		}
		char why[200];
		if (!journey_staff(k->journey, resume, why, sizeof(why))) {
			kctl_refuse(c, "no-session", why);
			return;
		}
		char words[80];
		snprintf(words, sizeof(words), "an officer (uid %u) %s the session", kctl_client_uid(c),
		         resume ? "resumed" : "ended");
		tell(k, "kiosk", resume ? "staff-resumed" : "staff-ended", words);
	}
	json_t *m = json_pack("{s:b, s:o}", "ok", 1, "kiosk", journey_describe(k->journey));
	if (m)
		kctl_send(c, m);
	json_decref(m);
}

static void on_request(kctl_client *c, json_t *req, void *user)
{
	kioskd *k = user;
	const char *what = json_string_value(json_object_get(req, "request"));
	const char *device = json_string_value(json_object_get(req, "device"));
	if (what && strcmp(what, "describe") == 0) {
		json_t *m = json_pack("{s:b, s:o}", "ok", 1, "devices", kdevs_describe(k->devs));
		if (m)
			kctl_send(c, m);
		json_decref(m);
	} else if (what && strcmp(what, "self-test") == 0) {
		maintain(k, c, device, KDEV_OP_SELF_TEST);
	} else if (what && strcmp(what, "reset") == 0) {
		maintain(k, c, device, KDEV_OP_RESET);
	} else if (what && strcmp(what, "session") == 0) {
		answer_session(k, c, req, false);
	} else if (what && strcmp(what, "staff") == 0) {
		answer_session(k, c, req, true);
	} else if (what && strcmp(what, "watch") == 0) {
		kctl_client_watch(c);
		json_t *m = json_pack("{s:b}", "ok", 1);
		if (m)
			kctl_send(c, m);
		json_decref(m);
		log_line("diag (uid %u) is watching events", kctl_client_uid(c));
	} else {
		kctl_refuse(c, "bad-request", "unknown request (describe, self-test, reset, watch, session, staff)");
	}
}

/* ---- the applicant's page ---- */

/* The camera step with the models of [face]; NULL (the step not fitted,
 * said in the log) when they cannot be loaded. */
static kface *face_step(const kcfg *cfg)
{
	fs_config fc = fs_config_default();
	fs_challenge_parse(cfg->face_challenge, &fc.challenge);
	if (cfg->face_delay_ms >= 0)
		fc.delay_us = (int64_t)cfg->face_delay_ms * 1000;
	const char *dir = cfg->face_models[0] ? cfg->face_models : appm_face_models_default();
	char why[400];
	kface *f = kface_new(dir, &fc, NULL, why, sizeof(why));
	if (!f)
		log_line("the face step is not fitted: %s", why);
	else
		log_line("face models loaded from %s (challenge: %s)", dir, cfg->face_challenge);
	return f;
}

static void journey_log(const char *line, void *user)
{
	(void)user;
	log_line("%s", line);
}

/* The journey and its page, when [ui] listen is set. */
static int start_page(kioskd *k, char *message, size_t message_len)
{
	if (!k->cfg.ui_listen[0])
		return APPM_EXIT_OK;
	char host[64] = "";
	unsigned port = 0;
	if (sscanf(k->cfg.ui_listen, "%63[0-9.]:%u", host, &port) != 2) {
		snprintf(message, message_len, "%s: key listen: '%s' is not IPV4-ADDRESS:PORT", k->cfg.path,
		         k->cfg.ui_listen);
		return APPM_EXIT_CONFIG;
	}
	if (k->cfg.trust[0]) {
		char why[400];
		if (pp_trust_load(k->cfg.trust, &k->trust, why, sizeof(why)) != CRYPTO_OK) {
			snprintf(message, message_len, "%s: key trust: %s", k->cfg.path, why);
			return APPM_EXIT_TRUST_STORE;
		}
	} else {
		log_line("no [kiosk] trust: passports cannot be verified, every read will need an officer");
	}
	k->journey = journey_new(k->store, NULL, &k->cfg.flow, &k->cfg.tariff, journey_log, k);
	journey_set_notify(k->journey, on_journey_news, k);
	if (k->cfg.backend_url[0]) {
		bk_config bc = { .base_url = k->cfg.backend_url, .ca_file = k->cfg.backend_ca[0] ? k->cfg.backend_ca : NULL };
		if (bk_client_new(&bc, &k->backend) != BK_OK) {
			snprintf(message, message_len, "%s: [backend]: the client cannot be set up (url, ca)", k->cfg.path);
			return APPM_EXIT_CONFIG;
		}
		journey_attach_backend(k->journey, k->backend);
	} else {
		log_line("no [backend] url: eligibility and submission will wait for one");
	}
	/* Spoken prompts are a help, not a condition of serving: without
	 * espeak-ng's data the kiosk runs, silent, and says why. */
	speech_options so = { .data_path = k->cfg.ui_speech_data[0] ? k->cfg.ui_speech_data : NULL };
	char speech_why[600] = "";
	speech_err se = speech_new(&so, &k->speech, speech_why, sizeof(speech_why));
	if (se != SPEECH_OK)
		log_line("spoken prompts are off: %s: %s", speech_strerror(se), speech_why);
	ui_options o = { .address = host, .port = port,
		         .docroot = k->cfg.ui_docroot[0] ? k->cfg.ui_docroot : APPM_UI_DOCROOT,
		         .on_action = journey_on_action, .user = k->journey, .speech = k->speech };
	char why[600];
	ui_err e = ui_server_new(&o, &k->ui, why, sizeof(why));
	if (e != UI_OK) {
		snprintf(message, message_len, "%s: [ui]: %s", k->cfg.path, why);
		return APPM_EXIT_CONFIG;
	}
	journey_attach_ui(k->journey, k->ui);
	log_line("page: http://%s:%u/", host, ui_server_port(k->ui));
	if (k->speech)
		log_line("spoken prompts: espeak-ng, in Bahasa Indonesia and English");
	return APPM_EXIT_OK;
}

/* ---- signals and systemd ---- */

static gboolean on_stop_signal(gpointer data)
{
	kioskd *k = data;
	g_main_loop_quit(k->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigterm(gpointer data)
{
	((kioskd *)data)->signal = SIGTERM;
	return on_stop_signal(data);
}

static gboolean on_sigint(gpointer data)
{
	((kioskd *)data)->signal = SIGINT;
	return on_stop_signal(data);
}

/* The loop itself sends the watchdog's keep-alive: a loop that hangs stops
 * sending it, and systemd restarts the kiosk. */
static gboolean on_watchdog(gpointer data)
{
	(void)data;
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

/* Everything the daemon opened, closed in the order that lets each part
 * finish with the next still there: devices first (a running command
 * completes, cancelled, and may still tell the journey and the socket's
 * clients), then the page, the journey and its backend calls, the
 * control socket, the store. Safe to call twice. */
static void close_all(kioskd *k)
{
	kdevs_free(k->devs);
	k->devs = NULL;
	ui_server_free(k->ui);
	k->ui = NULL;
	speech_free(k->speech); /* after the page: its connections render with it */
	k->speech = NULL;
	journey_free(k->journey);
	k->journey = NULL;
	bk_client_free(k->backend);
	k->backend = NULL;
	pa_trust_free(k->trust);
	k->trust = NULL;
	kctl_server_free(k->ctl);
	k->ctl = NULL;
	store_free(k->store);
	k->store = NULL;
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: appm kiosk --config FILE [--store PATH] [--socket PATH] [--listen ADDRESS:PORT]\n"
	           "\n"
	           "Runs the kiosk daemon: opens every device of the configuration (a device that\n"
	           "cannot be opened, or goes away, is shown offline and opened again when it comes\n"
	           "back), keeps the store, and serves the control socket that `appm diag` uses.\n"
	           "Logs one line per event to stderr. Stops cleanly on SIGTERM or SIGINT.\n"
	           "\n"
	           "  --config FILE   the kiosk's INI file (kiosk/kiosk.example.ini shows every key)\n"
	           "  --store PATH    use this store instead of the configuration's\n"
	           "  --socket PATH   use this control socket instead of the configuration's\n"
	           "  --trust PATH    verify passports against these CSCAs instead of [kiosk] trust\n"
	           "  --backend URL   the backend instead of [backend] url (https://HOST:PORT)\n"
	           "  --backend-ca P  the CA its certificate must chain to instead of [backend] ca\n"
	           "  --listen A:P    serve the applicant's page there instead of [ui] listen\n"
	           "                  (port 0: any free port; the log says which)\n"
	           "\n");
	appm_print_exit_codes(f);
}

int appm_kiosk_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "listen", required_argument, NULL, 'l' },
		{ "trust", required_argument, NULL, 't' },
		{ "backend", required_argument, NULL, 'b' },
		{ "backend-ca", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *store_path = NULL, *socket_path = NULL, *listen_at = NULL, *trust = NULL, *backend = NULL,
	           *backend_ca = NULL;
	int o;
	/* The daemon's JSON holds applicants' details and their photo: every
	 * value jansson frees is wiped first (kface_wipe_free). */
	json_set_alloc_funcs(malloc, kface_wipe_free);
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 's': store_path = optarg; break;
		case 'S': socket_path = optarg; break;
		case 'l': listen_at = optarg; break;
		case 't': trust = optarg; break;
		case 'b': backend = optarg; break;
		case 'B': backend_ca = optarg; break;
		case 'h': usage(stdout); return APPM_EXIT_OK;
		default: usage(stderr); return APPM_EXIT_USAGE;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return APPM_EXIT_USAGE;
	}
	kioskd *k = g_new0(kioskd, 1);
	int status = APPM_EXIT_OK;
	char message[700];
	kcfg_err ce = kcfg_load(config, kdev_class_names, &k->cfg, message, sizeof(message));
	if (ce != KCFG_OK) {
		fprintf(stderr, "appm kiosk: %s\n", message);
		status = APPM_EXIT_CONFIG;
		goto out;
	}
	if (store_path)
		snprintf(k->cfg.store, sizeof(k->cfg.store), "%s", store_path);
	if (socket_path)
		snprintf(k->cfg.socket, sizeof(k->cfg.socket), "%s", socket_path);
	if (listen_at)
		snprintf(k->cfg.ui_listen, sizeof(k->cfg.ui_listen), "%s", listen_at);
	if (trust)
		snprintf(k->cfg.trust, sizeof(k->cfg.trust), "%s", trust);
	if (backend)
		snprintf(k->cfg.backend_url, sizeof(k->cfg.backend_url), "%s", backend);
	if (backend_ca)
		snprintf(k->cfg.backend_ca, sizeof(k->cfg.backend_ca), "%s", backend_ca);

	int se = kstore_open_daemon(k->cfg.store, &k->store, message, sizeof(message));
	if (se != APPM_EXIT_OK) {
		fprintf(stderr, "appm kiosk: %s\n", message);
		status = se;
		goto out;
	}
	kctl_err ke = kctl_server_new(k->cfg.socket, k->cfg.socket_group[0] ? k->cfg.socket_group : NULL, NULL,
	                              on_request, k, &k->ctl, message, sizeof(message));
	if (ke != KCTL_OK) {
		/* In use: another daemon. Otherwise the configured path or group
		 * cannot be used: the configuration's to fix. */
		fprintf(stderr, "appm kiosk: %s: control socket (keys socket, socket_group): %s\n", k->cfg.path,
		        message);
		status = ke == KCTL_ERR_IN_USE ? APPM_EXIT_RUNNING : APPM_EXIT_CONFIG;
		goto out;
	}
	log_line("starting: %zu device(s) from %s, store %s, control socket %s", k->cfg.n_devices, k->cfg.path,
	         k->cfg.store, k->cfg.socket);
	int pe = start_page(k, message, sizeof(message));
	if (pe != APPM_EXIT_OK) {
		fprintf(stderr, "appm kiosk: %s\n", message);
		status = pe;
		goto out;
	}
	k->loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_sigterm, k);
	g_unix_signal_add(SIGINT, on_sigint, k);
	uint64_t watchdog_us = 0;
	if (sd_watchdog_enabled(0, &watchdog_us) > 0 && watchdog_us > 0)
		g_timeout_add((guint)(watchdog_us / 2000), on_watchdog, k);

	kdev_hooks hooks = { .event = on_event, .count = on_count, .counters = on_counters, .user = k };
	k->devs = kdevs_new(&k->cfg, NULL, &hooks, true);
	if (k->journey)
		journey_attach_devices(k->journey, k->devs, k->trust);
	if (k->journey && kdevs_has_camera(k->devs))
		journey_attach_face(k->journey, face_step(&k->cfg));
	kdevs_start(k->devs);
	sd_notify(0, "READY=1\nSTATUS=serving");
	log_line("ready");

	g_main_loop_run(k->loop);

	sd_notify(0, "STOPPING=1");
	log_line("stopping (%s): closing devices", k->signal == SIGTERM ? "SIGTERM" : "SIGINT");
	close_all(k);
	log_line("stopped: devices, page, control socket and store closed");
out:
	close_all(k);
	if (k->loop)
		g_main_loop_unref(k->loop);
	g_free(k);
	return status;
}
