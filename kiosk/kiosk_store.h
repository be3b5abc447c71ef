/*
 * kiosk_store — what the daemon and diag keep in the kiosk's store
 * (kiosk/store): device counters and the device event log, in the words
 * kiosk/devices.h uses, and the store's failures turned into messages and
 * exit codes. Every function takes a NULL store (nothing kept, zero
 * counters), so a diag without a store still works.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kiosk/devices.h"

typedef struct kstore kstore;

/* The daemon's store: created when missing, held exclusively. Returns an
 * appm exit code (APPM_EXIT_OK, APPM_EXIT_STORE, APPM_EXIT_RUNNING) with
 * words in message. */
int kstore_open_daemon(const char *path, kstore **ret, char *message, size_t message_len);
/* diag's look at the store of a daemon that is not running: an existing
 * store only; NULL (and words in message) when there is none to read. */
kstore *kstore_open_diag(const char *path, char *message, size_t message_len);
void kstore_close(kstore *s);

void kstore_log_event(kstore *s, const char *device, const char *kind, const char *text);
void kstore_count(kstore *s, const char *device, bool failed, const char *error);
bool kstore_counters(kstore *s, const char *device, kdev_counters *ret);
