/*
 * cli — reaching the kiosk daemon from a command-line tool; see cli.h.
 */
#include "kiosk/cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "kiosk/appm.h"
#include "kiosk/control.h"

int appm_cli_connect(const char *prog, const char *socket_path, bool say_absent, int *ret_fd)
{
	char message[600];
	kctl_err e = kctl_connect(socket_path, ret_fd, message, sizeof(message));
	if (e == KCTL_OK)
		return APPM_EXIT_OK;
	if (e == KCTL_ERR_PERMISSION) {
		fprintf(stderr, "%s: %s: %s: run as root, or as a member of the configured socket_group\n", prog,
		        kctl_strerror(e), message);
		return APPM_EXIT_PERMISSION;
	}
	if (e != KCTL_ERR_NOT_RUNNING) {
		fprintf(stderr, "%s: %s: %s\n", prog, kctl_strerror(e), message);
		return APPM_EXIT_FAILURE;
	}
	if (say_absent)
		fprintf(stderr, "%s: the kiosk daemon is not running (nothing answers on %s)\n", prog, socket_path);
	return -1;
}

void appm_cli_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
}
