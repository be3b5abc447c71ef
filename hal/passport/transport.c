/*
 * transport — the driver registry and the core around every driver call:
 * connection-string parsing, statistics, and telling a removed card apart
 * from a failed exchange.
 */
#include "hal/passport/transport.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hal/passport/transport-internal.h"

struct pp_transport {
	const pp_transport_ops *ops;
	void *priv;
	bool connected;
	pp_transport_stats stats;
};

static const pp_transport_ops *const drivers[] = {
	&pp_pcsc_driver,
	&pp_libnfc_driver,
	NULL,
};

const pp_transport_ops *const *pp_transport_drivers(void)
{
	return drivers;
}

static const pp_transport_ops *find_driver(const char *name, size_t len)
{
	for (size_t i = 0; drivers[i]; i++)
		if (strlen(drivers[i]->name) == len && strncmp(drivers[i]->name, name, len) == 0)
			return drivers[i];
	return NULL;
}

pp_err pp_transport_new(const pp_transport_ops *ops, void *priv, pp_transport **ret)
{
	if (!ops || !ret)
		return PP_ERR_ARG;
	pp_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return PP_ERR_NOMEM;
	t->ops = ops;
	t->priv = priv;
	*ret = t;
	return PP_OK;
}

pp_err pp_transport_open(const char *connstr, pp_transport **ret)
{
	if (!connstr || !ret)
		return PP_ERR_ARG;
	const char *colon = strchr(connstr, ':');
	size_t name_len = colon ? (size_t)(colon - connstr) : strlen(connstr);
	const pp_transport_ops *ops = find_driver(connstr, name_len);
	if (!ops)
		return PP_ERR_NO_DRIVER;
	if (!ops->open)
		return PP_ERR_NOT_SUPPORTED;
	void *priv = NULL;
	pp_err e = ops->open(colon ? colon + 1 : "", &priv);
	if (e != PP_OK)
		return e;
	e = pp_transport_new(ops, priv, ret);
	if (e != PP_OK && ops->close)
		ops->close(priv);
	return e;
}

void pp_transport_free(pp_transport *t)
{
	if (!t)
		return;
	if (t->ops->close)
		t->ops->close(t->priv);
	free(t);
}

pp_err pp_transport_list(const char *driver, pp_reader_cb cb, void *user)
{
	if (!driver || !cb)
		return PP_ERR_ARG;
	const pp_transport_ops *ops = find_driver(driver, strlen(driver));
	if (!ops)
		return PP_ERR_NO_DRIVER;
	if (!ops->list)
		return PP_ERR_NOT_SUPPORTED;
	return ops->list(cb, user);
}

pp_err pp_transport_connect(pp_transport *t, int timeout_ms)
{
	if (!t->ops->connect)
		return PP_ERR_NOT_SUPPORTED;
	pp_err e = t->ops->connect(t->priv, timeout_ms);
	t->connected = e == PP_OK;
	return e;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pp_err pp_transport_transmit(pp_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *ret_len)
{
	if (!t->ops->transmit)
		return PP_ERR_NOT_SUPPORTED;
	if (!t->connected)
		return PP_ERR_NO_CARD;
	double start = now_seconds();
	size_t n = 0;
	pp_err e = t->ops->transmit(t->priv, cmd, len, resp, cap, &n);
	t->stats.transmit_seconds += now_seconds() - start;
	t->stats.apdus++;
	t->stats.bytes_sent += len;
	if (e == PP_OK) {
		t->stats.bytes_received += n;
		*ret_len = n;
		return PP_OK;
	}
	/* A failed exchange with no card left in the field is a removal, which
	 * the applicant can fix; anything else is the reader's fault. */
	bool present = true;
	if (e != PP_ERR_REMOVED && t->ops->card_present && t->ops->card_present(t->priv, &present) == PP_OK &&
	    !present)
		e = PP_ERR_REMOVED;
	if (e == PP_ERR_REMOVED)
		t->connected = false;
	return e;
}

pp_err pp_transport_card_present(pp_transport *t, bool *ret)
{
	if (!t->ops->card_present)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->card_present(t->priv, ret);
}

pp_err pp_transport_capabilities(pp_transport *t, pp_transport_caps *ret)
{
	if (!t->ops->capabilities)
		return PP_ERR_NOT_SUPPORTED;
	return t->ops->capabilities(t->priv, ret);
}

const char *pp_transport_reader_name(pp_transport *t)
{
	if (!t->ops->reader_name)
		return t->ops->name;
	const char *n = t->ops->reader_name(t->priv);
	return n ? n : t->ops->name;
}

const pp_transport_stats *pp_transport_get_stats(const pp_transport *t)
{
	return &t->stats;
}
