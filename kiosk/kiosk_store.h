/*
 * kiosk_store — what the daemon and diag keep in the kiosk's store
 * (kiosk/store): device counters and the device event log, in the words
 * kiosk/devices.h uses, and the store's refusals turned into exit codes.
 * Every function takes a NULL store (nothing kept, zero counters), so diag
 * works without one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kiosk/devices.h"
#include "kiosk/store/store.h"

/* The daemon's store: created when missing, migrated, held exclusively.
 * Returns an appm exit code: APPM_EXIT_OK, APPM_EXIT_RUNNING (another
 * process holds it) or APPM_EXIT_STORE, with the store's words in message. */
int kstore_open_daemon(const char *path, store **ret, char *message, size_t message_len);
/* diag's look at the store of a daemon that is not running: an existing
 * store, read only; NULL (with the words in message) when it cannot be
 * read — diag then shows zero counters. */
store *kstore_open_diag(const char *path, char *message, size_t message_len);

/* Writes fail quietly on a read-only store (diag's); other failures are
 * returned for the daemon to log. */
store_err kstore_log_event(store *s, const char *device, const char *kind, const char *text);
store_err kstore_count(store *s, const char *device, bool failed, const char *error);
bool kstore_counters(store *s, const char *device, kdev_counters *ret);
