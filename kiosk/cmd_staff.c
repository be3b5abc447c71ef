/*
 * cmd_staff — `appm staff`: the officer's side of "Call an officer". The
 * applicant's screen says help is coming; the officer, beside the kiosk
 * with a laptop or the kiosk's own maintenance console, sees why they
 * were called and lets the session go on or ends it. Through the daemon's
 * control socket only: without a daemon there is no session.
 *
 *   appm staff            the kiosk's session: screen, since when, officer called?
 *   appm staff resume     the applicant goes on where they were
 *   appm staff end        the session ends (its data wiped; a paid one is submitted)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "kiosk/appm.h"
#include "kiosk/cli.h"
#include "kiosk/config.h"
#include "kiosk/control.h"
#include "kiosk/devices.h"

#define CALL_TIMEOUT_MS 10000

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm staff [OPTIONS]           the kiosk's session: its screen, since when, and\n"
	        "                                      whether (and why) an officer was called\n"
	        "       appm staff [OPTIONS] resume    the applicant who called goes on where they were\n"
	        "       appm staff [OPTIONS] end       end their session: its personal data is wiped (a\n"
	        "                                      paid session is submitted first)\n"
	        "\n"
	        "  --config FILE   the kiosk's configuration (default " APPM_DEFAULT_CONFIG ")\n"
	        "  --socket PATH   the daemon's control socket (default: the configuration's)\n"
	        "  --json          JSON instead of text\n"
	        "\n"
	        "Exit: 0 done; 20 nobody waits for an officer (resume, end) or the kiosk shows\n"
	        "no page; 21 the kiosk daemon is not running; 15 configuration; 16 no\n"
	        "permission on the control socket.\n"
	        "\n");
	appm_print_exit_codes(f);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_kiosk(const json_t *k)
{
	if (!json_is_true(json_object_get(k, "session"))) {
		printf("no applicant: the kiosk shows %s (since %s)\n", jstr(k, "screen"), jstr(k, "since"));
		return;
	}
	if (json_is_true(json_object_get(k, "officer_called")))
		printf("an officer is called (since %s): %s; the applicant was at %s\n"
		       "  'appm staff resume' lets them go on, 'appm staff end' ends the session\n",
		       jstr(k, "since"), jstr(k, "why"), jstr(k, "resume"));
	else
		printf("an applicant is at %s (since %s)\n", jstr(k, "screen"), jstr(k, "since"));
}

static int ask(int fd, const char *action, bool json)
{
	json_t *req = json_pack("{s:s, s:s?}", "request", action ? "staff" : "session", "action", action);
	json_t *answer = NULL;
	kctl_err e = kctl_call(fd, req, CALL_TIMEOUT_MS, &answer);
	json_decref(req);
	if (e != KCTL_OK) {
		fprintf(stderr, "appm staff: %s (did the daemon stop?)\n", kctl_strerror(e));
		return APPM_EXIT_FAILURE;
	}
	int status = APPM_EXIT_OK;
	if (!json_is_true(json_object_get(answer, "ok"))) {
		fprintf(stderr, "appm staff: %s\n", jstr(answer, "error"));
		status = strcmp(jstr(answer, "code"), "no-session") == 0 ? APPM_EXIT_NO_SESSION : APPM_EXIT_FAILURE;
	} else if (json) {
		appm_cli_print_json(json_object_get(answer, "kiosk"));
	} else {
		if (action)
			printf("%s\n", strcmp(action, "resume") == 0 ? "resumed" : "ended");
		print_kiosk(json_object_get(answer, "kiosk"));
	}
	json_decref(answer);
	return status;
}

int appm_staff_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = APPM_DEFAULT_CONFIG, *socket_path = NULL;
	bool json = false;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'S': socket_path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return APPM_EXIT_OK;
		default: usage(stderr); return APPM_EXIT_USAGE;
		}
	}
	const char *action = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || (action && strcmp(action, "resume") != 0 && strcmp(action, "end") != 0)) {
		usage(stderr);
		return APPM_EXIT_USAGE;
	}
	kcfg *cfg = g_new0(kcfg, 1);
	char message[700];
	int status;
	if (kcfg_load(config, kdev_class_names, cfg, message, sizeof(message)) != KCFG_OK) {
		fprintf(stderr, "appm staff: %s\n", message);
		status = APPM_EXIT_CONFIG;
	} else {
		int fd = -1;
		status = appm_cli_connect("appm staff", socket_path ? socket_path : cfg->socket, true, &fd);
		if (status == APPM_EXIT_OK) {
			status = ask(fd, action, json);
			close(fd);
		} else if (status < 0) {
			status = APPM_EXIT_NOT_RUNNING;
		}
	}
	g_free(cfg);
	return status;
}
