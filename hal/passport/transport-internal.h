/*
 * transport-internal — for reader drivers and the tests that play one: the
 * table of operations a driver fills (by field name; an operation left out
 * answers PP_ERR_NOT_SUPPORTED), the registry's drivers, each defined in
 * its own file, and wrapping a driver that is not in the registry.
 */
#pragma once

#include "hal/passport/transport.h"

typedef struct pp_transport_ops {
	const char *name;        /* the connection string's first field */
	const char *description;
	/* List readers this driver sees. */
	pp_err (*list)(pp_reader_cb cb, void *user);
	/* param: what follows "name:" (may be empty: the first reader). */
	pp_err (*open)(const char *param, void **ret_priv);
	/* Wait up to timeout_ms for a card and connect to it. */
	pp_err (*connect)(void *priv, int timeout_ms);
	/* Let go of the document connect took (PC/SC holds it exclusively),
	 * so that other programs may use it; the next connect takes it again. */
	pp_err (*release)(void *priv);
	pp_err (*transmit)(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len);
	pp_err (*card_present)(void *priv, bool *ret);
	pp_err (*capabilities)(void *priv, pp_transport_caps *ret);
	/* Name of the opened reader, for reports. */
	const char *(*reader_name)(void *priv);
	void (*close)(void *priv);
	/* Called from another thread while transmit or wait_change runs (or
	 * is about to: a flag set here must be seen by the wait's next look):
	 * make it return soon, with any error. The core calls it at most once
	 * per exchange, and afterwards reports PP_ERR_UNRESPONSIVE (the
	 * watchdog's deadline) or PP_ERR_CANCELLED (a caller's) itself. The
	 * driver may refuse every later exchange until the next connect. */
	pp_err (*cancel)(void *priv);
	/* The time limit, in milliseconds, for the exchanges that follow: a
	 * driver whose own I/O can time out applies it and reports
	 * PP_ERR_UNRESPONSIVE when it runs out (the watchdog waits a little
	 * longer, then cancels). */
	pp_err (*set_timeout)(void *priv, int timeout_ms);
	/* The driver's words for its last native error, e.g.
	 * "SCARD_E_SHARING_VIOLATION (0x8010000B)"; "" or NULL when none. */
	const char *(*native_error)(void *priv);
	/* Wait up to timeout_ms (negative: no limit) for a document to arrive
	 * (present false) or to leave (present true); *ret_present says how
	 * the reader is when it returns. PP_ERR_TIMEOUT when nothing changed;
	 * cancel ends the wait with PP_ERR_CANCELLED. */
	pp_err (*wait_change)(void *priv, bool present, int timeout_ms, bool *ret_present);
	/* The ATR of the document last seen (wait_change or connect); at
	 * most PP_ATR_MAX bytes. */
	pp_err (*atr)(void *priv, uint8_t *out, size_t *ret_len);
	/* Called from any thread while other operations run (see
	 * pp_transport_probe): never through the driver's own connection. */
	pp_err (*probe)(void *priv, bool *ret_present);
	/* Listing this driver's readers disturbs devices (libnfc opens serial
	 * ports and sends them frames: its "intrusive" scan), so a kiosk lists
	 * them only when an engineer asks, never on its own. */
	bool intrusive_list;
} pp_transport_ops;

/* Wrap a driver that is not in the registry (a test's scripted reader). */
pp_err pp_transport_new(const pp_transport_ops *ops, void *priv, pp_transport **ret);
/* The registry, NULL-terminated. */
const pp_transport_ops *const *pp_transport_drivers(void);

extern const pp_transport_ops pp_pcsc_driver;
extern const pp_transport_ops pp_libnfc_driver;
extern const pp_transport_ops pp_sim_driver;
