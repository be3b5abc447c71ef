/*
 * kiosk_store — the kiosk's records in its store; see kiosk_store.h.
 */
#include "kiosk/kiosk_store.h"

#include <stdio.h>
#include <string.h>

#include "kiosk/appm.h"

int kstore_open_daemon(const char *path, store **ret, char *message, size_t message_len)
{
	char why[600];
	store_err e = store_open(path, STORE_OPEN_CREATE, ret, why, sizeof(why));
	if (e == STORE_OK)
		return APPM_EXIT_OK;
	snprintf(message, message_len, "%s%s", why,
	         e == STORE_ERR_LOCKED ? " (is another kiosk daemon running?)" : "");
	return e == STORE_ERR_LOCKED ? APPM_EXIT_RUNNING : APPM_EXIT_STORE;
}

store *kstore_open_diag(const char *path, char *message, size_t message_len)
{
	store *s = NULL;
	if (store_open(path, STORE_OPEN_EXISTING, &s, message, message_len) != STORE_OK)
		return NULL;
	return s;
}

store_err kstore_log_event(store *s, const char *device, const char *kind, const char *text)
{
	if (!s)
		return STORE_OK;
	store_err e = store_log_event(s, device, kind, text);
	return e == STORE_ERR_READ_ONLY ? STORE_OK : e;
}

store_err kstore_count(store *s, const char *device, bool failed, const char *error)
{
	if (!s)
		return STORE_OK;
	store_err e = store_count_operation(s, device, failed, error);
	return e == STORE_ERR_READ_ONLY ? STORE_OK : e;
}

bool kstore_counters(store *s, const char *device, kdev_counters *ret)
{
	store_counters c;
	memset(ret, 0, sizeof(*ret));
	if (!s || store_device_counters(s, device, &c) != STORE_OK)
		return false;
	ret->operations = (unsigned long)c.operations;
	ret->failures = (unsigned long)c.failures;
	snprintf(ret->last_error, sizeof(ret->last_error), "%s", c.last_error);
	ret->last_error_at = (time_t)c.last_error_at;
	return true;
}
