/*
 * cmd_diag — `appm diag`: the field engineer's view of the kiosk's
 * devices. With the daemon running it asks the daemon through the control
 * socket (the daemon takes the maintenance lock for a self-test or reset);
 * without it, diag opens the devices itself through the same device set
 * (kiosk/devices.c). Either way every answer is built as the same JSON
 * and printed by the same functions, so the output does not depend on the
 * way it was obtained (stderr says which).
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "kiosk/appm.h"
#include "kiosk/cli.h"
#include "kiosk/control.h"
#include "kiosk/devices.h"
#include "kiosk/kiosk_store.h"

#define DEFAULT_CONFIG APPM_DEFAULT_CONFIG
#define OP_TIMEOUT_MS 120000
#define MAX_WATCH_SECONDS (7 * 24 * 3600.0)

typedef enum diag_action { DIAG_STATUS, DIAG_TEST, DIAG_RESET, DIAG_WATCH } diag_action;

typedef struct diag_args {
	const char *config;
	const char *socket;
	bool json;
	bool direct;
	diag_action action;
	const char *device;
	long count;        /* watch: stop after this many events (0: no limit) */
	double seconds;    /* watch: stop after this long (0: no limit) */
} diag_args;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm diag [OPTIONS]                 every device: status, capabilities, counters\n"
	        "       appm diag [OPTIONS] test DEVICE     the device's self-test\n"
	        "       appm diag [OPTIONS] reset DEVICE    reset the device\n"
	        "       appm diag [OPTIONS] watch           device events as they happen, one line each\n"
	        "\n"
	        "With the kiosk daemon running, diag asks it through its control socket (a test\n"
	        "or reset then holds the device for maintenance, refused while an applicant uses\n"
	        "the kiosk); otherwise it opens the devices itself. The output is the same.\n"
	        "\n"
	        "  --config FILE   the kiosk's configuration (default " DEFAULT_CONFIG ")\n"
	        "  --socket PATH   the daemon's control socket (default: the configuration's)\n"
	        "  --direct        open the devices directly even if a daemon runs (its devices\n"
	        "                  may then be busy)\n"
	        "  --json          JSON instead of text (watch: one JSON object per line)\n"
	        "  --count N       watch: stop after N events\n"
	        "  --seconds S     watch: stop after S seconds, at most a week (default: until\n"
	        "                  interrupted)\n"
	        "\n"
	        "Exit: 0 every device online / the test or reset passed; 17 a device is not\n"
	        "online or its test or reset failed; 2 unknown device or bad command line;\n"
	        "13 busy; 15 configuration; 16 no permission on the control socket.\n"
	        "\n");
	appm_print_exit_codes(f);
}

/* ---- printing: one set of functions for both ways ---- */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_time(char *out, size_t cap, time_t t)
{
	struct tm tm;
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* The devices, as text or JSON; the exit code they call for. */
static int print_devices(const json_t *devices, bool json)
{
	int status = APPM_EXIT_OK;
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d) {
		if (strcmp(jstr(d, "state"), "online") != 0)
			status = APPM_EXIT_DEVICE_FAULT;
	}
	if (json) {
		json_t *o = json_pack("{s:O}", "devices", devices);
		appm_cli_print_json(o);
		json_decref(o);
		return status;
	}
	json_array_foreach(devices, i, d) {
		printf("%s (%s, %s)\n", jstr(d, "name"), jstr(d, "class"), jstr(d, "connection"));
		printf("  state:        %s: %s\n", jstr(d, "state"), jstr(d, "status"));
		if (json_string_value(json_object_get(d, "locked_by")))
			printf("  locked by:    %s\n", jstr(d, "locked_by"));
		size_t c;
		json_t *cap;
		json_array_foreach(json_object_get(d, "capabilities"), c, cap)
			printf("  %-13s %s\n", c == 0 ? "capabilities:" : "", json_string_value(cap));
		json_t *n = json_object_get(d, "counters");
		printf("  counters:     %lld operations, %lld failures", (long long)json_integer_value(json_object_get(n, "operations")),
		       (long long)json_integer_value(json_object_get(n, "failures")));
		if (json_string_value(json_object_get(n, "last_error"))) {
			char when[32];
			print_time(when, sizeof(when), (time_t)json_integer_value(json_object_get(n, "last_error_at")));
			printf("; last error %s: %s", when, jstr(n, "last_error"));
		}
		printf("\n");
	}
	if (json_array_size(devices) == 0)
		printf("no devices configured\n");
	return status;
}

/* A self-test's or reset's answer {ok, device, operation, report, error}. */
static int print_operation(const json_t *answer, bool json)
{
	bool ok = json_is_true(json_object_get(answer, "ok"));
	if (json) {
		appm_cli_print_json(answer);
	} else {
		printf("%s: %s %s%s%s\n", jstr(answer, "device"), jstr(answer, "operation"), ok ? "passed" : "failed",
		       ok ? "" : ": ", ok ? "" : jstr(answer, "error"));
		const char *report = jstr(answer, "report");
		if (report[0])
			printf("%s%s", report, report[strlen(report) - 1] == '\n' ? "" : "\n");
	}
	return ok ? APPM_EXIT_OK : APPM_EXIT_DEVICE_FAULT;
}

static void print_event(const json_t *ev, bool json)
{
	if (json) {
		char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	} else {
		printf("%s %s %s: %s\n", jstr(ev, "time"), jstr(ev, "device"), jstr(ev, "event"), jstr(ev, "text"));
	}
	fflush(stdout);
}

static json_t *event_json(const char *device, const char *kind, const char *text)
{
	char when[32];
	print_time(when, sizeof(when), time(NULL));
	return json_pack("{s:s, s:s, s:s, s:s}", "event", kind, "device", device, "text", text, "time", when);
}

/* ---- through the daemon ---- */

/* A refusal from the daemon: its words, and the exit code for it. */
static int refused(const json_t *answer)
{
	const char *code = jstr(answer, "code");
	fprintf(stderr, "appm diag: %s\n", jstr(answer, "error"));
	if (strcmp(code, "unknown-device") == 0)
		return APPM_EXIT_USAGE;
	if (strcmp(code, "busy") == 0 || strcmp(code, "stopping") == 0)
		return APPM_EXIT_BUSY;
	if (strcmp(code, "permission") == 0)
		return APPM_EXIT_PERMISSION;
	return APPM_EXIT_FAILURE;
}

static int lost_daemon(kctl_err e)
{
	fprintf(stderr, "appm diag: %s (did it stop?)\n", kctl_strerror(e));
	return APPM_EXIT_FAILURE;
}

static int remote(const diag_args *a, int fd)
{
	static const char *const requests[] = { "describe", "self-test", "reset", "watch" };
	json_t *req = json_pack("{s:s, s:s?}", "request", requests[a->action], "device", a->device);
	json_t *answer = NULL;
	kctl_err e = kctl_call(fd, req, OP_TIMEOUT_MS, &answer);
	json_decref(req);
	if (e != KCTL_OK)
		return lost_daemon(e);
	int status;
	if (!json_is_true(json_object_get(answer, "ok")) && json_object_get(answer, "code")) {
		status = refused(answer);
	} else if (a->action == DIAG_STATUS) {
		status = print_devices(json_object_get(answer, "devices"), a->json);
	} else if (a->action != DIAG_WATCH) {
		status = print_operation(answer, a->json);
	} else {
		status = APPM_EXIT_OK;
		gint64 end = a->seconds > 0 ? g_get_monotonic_time() + (gint64)(a->seconds * 1e6) : 0;
		for (long seen = 0; !a->count || seen < a->count; seen++) {
			int wait_ms = -1;
			if (end) {
				gint64 left = end - g_get_monotonic_time();
				if (left <= 0)
					break;
				wait_ms = (int)(left / 1000) + 1;
			}
			json_t *ev = NULL;
			e = kctl_read(fd, wait_ms, &ev);
			if (e != KCTL_OK) {
				if (!end || g_get_monotonic_time() < end)
					status = lost_daemon(e);
				break;
			}
			print_event(ev, a->json);
			json_decref(ev);
		}
	}
	json_decref(answer);
	return status;
}

/* ---- without the daemon ---- */

typedef struct direct {
	const diag_args *a;
	GMainLoop *loop;
	store *store;
	json_t *answer;     /* a test's or reset's */
	long events;
	bool enough;        /* watch: --count reached (perhaps before the loop ran) */
} direct;

static void direct_event(const char *device, const char *kind, const char *text, void *user)
{
	direct *x = user;
	if (x->a->action != DIAG_WATCH || x->enough)
		return;
	json_t *ev = event_json(device, kind, text);
	if (ev)
		print_event(ev, x->a->json);
	json_decref(ev);
	if (x->a->count && ++x->events >= x->a->count) {
		x->enough = true;
		g_main_loop_quit(x->loop);
	}
}

static void direct_count(const char *device, bool failed, const char *error, void *user)
{
	kstore_count(((direct *)user)->store, device, failed, error);
}

static bool direct_counters(const char *device, kdev_counters *ret, void *user)
{
	return kstore_counters(((direct *)user)->store, device, ret);
}

static void direct_done(const char *device, kdev_op op, dev_err e, const char *report, void *user)
{
	direct *x = user;
	x->answer = kdevs_op_answer(device, op, e, report);
	g_main_loop_quit(x->loop);
}

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

static int direct_run(const diag_args *a, const kcfg *cfg)
{
	direct x = { .a = a, .loop = g_main_loop_new(NULL, FALSE) };
	char message[700];
	x.store = kstore_open_diag(cfg->store, message, sizeof(message));
	kdev_hooks hooks = { .event = direct_event, .count = direct_count, .counters = direct_counters, .user = &x };
	kdevs *devs = kdevs_new(cfg, NULL, &hooks, a->action == DIAG_WATCH);
	int status = APPM_EXIT_OK;
	if ((a->action == DIAG_TEST || a->action == DIAG_RESET) && !kdevs_has(devs, a->device)) {
		fprintf(stderr, "appm diag: no device named '%s' in %s (configured:", a->device, cfg->path);
		for (size_t i = 0; i < cfg->n_devices; i++)
			fprintf(stderr, " %s", cfg->devices[i].name);
		fprintf(stderr, ")\n");
		status = APPM_EXIT_USAGE;
		goto out;
	}
	kdevs_start(devs);
	switch (a->action) {
	case DIAG_STATUS: {
		json_t *d = kdevs_describe(devs);
		status = print_devices(d, a->json);
		json_decref(d);
		break;
	}
	case DIAG_TEST:
	case DIAG_RESET:
		if (kdevs_maintain(devs, a->device, a->action == DIAG_TEST ? KDEV_OP_SELF_TEST : KDEV_OP_RESET,
		                   direct_done, &x) != DEV_OK) {
			fprintf(stderr, "appm diag: %s is busy\n", a->device);
			status = APPM_EXIT_BUSY;
			break;
		}
		g_main_loop_run(x.loop);
		status = print_operation(x.answer, a->json);
		break;
	case DIAG_WATCH: {
		guint sig_int = g_unix_signal_add(SIGINT, quit_loop, x.loop);
		guint sig_term = g_unix_signal_add(SIGTERM, quit_loop, x.loop);
		guint timer = a->seconds > 0 ? g_timeout_add((guint)ceil(a->seconds * 1000), quit_loop, x.loop) : 0;
		if (!x.enough) /* the devices' first events may have been enough */
			g_main_loop_run(x.loop);
		g_source_remove(sig_int);
		g_source_remove(sig_term);
		if (timer)
			g_source_remove(timer);
		break;
	}
	}
out:
	kdevs_free(devs);
	json_decref(x.answer);
	store_free(x.store);
	g_main_loop_unref(x.loop);
	return status;
}

/* ---- the command ---- */

static int parse(int argc, char **argv, diag_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "direct", no_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*a = (diag_args){ .config = DEFAULT_CONFIG };
	int o;
	char *end;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': a->config = optarg; break;
		case 'S': a->socket = optarg; break;
		case 'j': a->json = true; break;
		case 'd': a->direct = true; break;
		case 'n':
			a->count = strtol(optarg, &end, 10);
			if (*end || a->count <= 0)
				return -1;
			break;
		case 't':
			a->seconds = strtod(optarg, &end);
			if (*end || !(a->seconds > 0 && a->seconds <= MAX_WATCH_SECONDS))
				return -1;
			break;
		case 'h': usage(stdout); exit(APPM_EXIT_OK);
		default: return -1;
		}
	}
	int left = argc - optind;
	const char *verb = left > 0 ? argv[optind] : NULL;
	if (!verb)
		a->action = DIAG_STATUS;
	else if (strcmp(verb, "test") == 0 && left == 2)
		a->action = DIAG_TEST;
	else if (strcmp(verb, "reset") == 0 && left == 2)
		a->action = DIAG_RESET;
	else if (strcmp(verb, "watch") == 0 && left == 1)
		a->action = DIAG_WATCH;
	else
		return -1;
	a->device = left == 2 ? argv[optind + 1] : NULL;
	return 0;
}

int appm_diag_main(int argc, char **argv)
{
	diag_args a;
	if (parse(argc, argv, &a) != 0) {
		usage(stderr);
		return APPM_EXIT_USAGE;
	}
	kcfg *cfg = g_new0(kcfg, 1);
	char message[700];
	int status;
	if (kcfg_load(a.config, kdev_class_names, cfg, message, sizeof(message)) != KCFG_OK) {
		fprintf(stderr, "appm diag: %s\n", message);
		status = APPM_EXIT_CONFIG;
		goto out;
	}
	const char *socket_path = a.socket ? a.socket : cfg->socket;
	if (!a.direct) {
		int fd = -1;
		status = appm_cli_connect("appm diag", socket_path, false, &fd);
		if (status == APPM_EXIT_OK) {
			fprintf(stderr, "appm diag: asking the kiosk daemon (%s)\n", socket_path);
			status = remote(&a, fd);
			close(fd);
		}
		if (status >= 0)
			goto out;
		fprintf(stderr, "appm diag: the kiosk daemon is not running (nothing answers on %s): opening the devices directly\n",
		        socket_path);
	}
	status = direct_run(&a, cfg);
out:
	g_free(cfg);
	return status;
}
