/*
 * transport — how the reading stack reaches a contactless chip: a table of
 * drivers chosen by connection string ("pcsc", "pcsc:ACS ACR1252", later
 * "libnfc:pn532_uart:/dev/ttyUSB0"), as libnfc picks its drivers.
 *
 * A driver is a constant table of operations with private data behind a
 * pointer; an operation it lacks is PP_ERR_NOT_SUPPORTED. The transport core
 * counts APDUs and bytes, and turns a failed exchange into PP_ERR_REMOVED
 * when the card is no longer there.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"

typedef struct pp_transport_caps {
	bool extended_length;   /* reader passes extended-length APDUs */
	size_t max_command;     /* largest command APDU in bytes */
	size_t max_response;    /* largest response APDU in bytes (data + SW) */
} pp_transport_caps;

typedef struct pp_transport_stats {
	unsigned long apdus;
	unsigned long long bytes_sent;
	unsigned long long bytes_received;
	double transmit_seconds; /* wall time spent inside exchanges */
} pp_transport_stats;

typedef void (*pp_reader_cb)(const char *name, bool card_present, void *user);

typedef struct pp_transport_ops {
	const char *name;        /* the connection string's first field */
	const char *description;
	/* List readers this driver sees. */
	pp_err (*list)(pp_reader_cb cb, void *user);
	/* param: what follows "name:" (may be empty: the first reader). */
	pp_err (*open)(const char *param, void **ret_priv);
	/* Wait up to timeout_ms for a card and connect to it. */
	pp_err (*connect)(void *priv, int timeout_ms);
	pp_err (*transmit)(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len);
	pp_err (*card_present)(void *priv, bool *ret);
	pp_err (*capabilities)(void *priv, pp_transport_caps *ret);
	/* Name of the opened reader, for reports. */
	const char *(*reader_name)(void *priv);
	void (*close)(void *priv);
} pp_transport_ops;

typedef struct pp_transport pp_transport;

/* Open by connection string: "driver[:param]". */
pp_err pp_transport_open(const char *connstr, pp_transport **ret);
/* Wrap an in-process driver (the virtual passport in unit tests). */
pp_err pp_transport_new(const pp_transport_ops *ops, void *priv, pp_transport **ret);
void pp_transport_free(pp_transport *t);

/* List the readers of one driver ("pcsc"). */
pp_err pp_transport_list(const char *driver, pp_reader_cb cb, void *user);
/* The registry, NULL-terminated, for --help texts. */
const pp_transport_ops *const *pp_transport_drivers(void);

pp_err pp_transport_connect(pp_transport *t, int timeout_ms);
pp_err pp_transport_transmit(pp_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *ret_len);
pp_err pp_transport_card_present(pp_transport *t, bool *ret);
pp_err pp_transport_capabilities(pp_transport *t, pp_transport_caps *ret);
const char *pp_transport_reader_name(pp_transport *t);
const pp_transport_stats *pp_transport_get_stats(const pp_transport *t);
