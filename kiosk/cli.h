/*
 * cli — what the command-line tools that talk to the kiosk daemon share
 * (`appm diag`, `appm staff`): reaching the daemon's control socket with
 * the words and exit codes of kiosk/appm.h, and printing JSON.
 */
#pragma once

#include <jansson.h>

#include <stdbool.h>

#define APPM_DEFAULT_CONFIG "/etc/appm/kiosk.ini"

/* Connect prog to the daemon at socket_path: APPM_EXIT_OK with *ret_fd;
 * -1 when no daemon answers (said on stderr only if say_absent);
 * APPM_EXIT_PERMISSION or APPM_EXIT_FAILURE with words on stderr. */
int appm_cli_connect(const char *prog, const char *socket_path, bool say_absent, int *ret_fd);

/* j indented, in its keys' order, on stdout. */
void appm_cli_print_json(const json_t *j);
