/*
 * sim — the reader driver whose reader holds the virtual e-passport
 * (devices/vpass) in this process; see sim.h. Removal, extended-length
 * support and lost answers (PP_ERR_TIMEOUT, the card staying in the field)
 * follow the card; a frozen card (freeze_after) is PP_ERR_UNRESPONSIVE at
 * once, as if the exchange deadline had passed.
 */
#include "hal/passport/sim.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/apdu.h"
#include "hal/passport/transport-internal.h"

typedef struct vpass_reader {
	vpass_card *card;
	atomic_bool cancelled; /* a caller's cancel during wait_change */
	vpass_doc *doc;    /* sim:DIR: the document loaded, owned with the card */
	char name[160];
} vpass_reader;

static pp_err vt_list(pp_reader_cb cb, void *user)
{
	(void)cb;
	(void)user;
	return PP_ERR_NOT_SUPPORTED; /* a simulated reader exists once opened */
}

/* sim:DIR: a reader holding the document in DIR (appm-docgen's layout). */
static pp_err vt_open(const char *param, void **ret_priv)
{
	if (!param[0])
		return PP_ERR_ARG; /* the document directory is needed */
	vpass_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return PP_ERR_NOMEM;
	char err[256];
	vpass_result vr = vpass_doc_load(param, &r->doc, err, sizeof(err));
	if (vr == VPASS_OK)
		vr = vpass_card_new(r->doc, NULL, &r->card);
	if (vr != VPASS_OK) {
		vpass_doc_free(r->doc);
		free(r);
		return vr == VPASS_ERR_NOMEM ? PP_ERR_NOMEM : PP_ERR_NO_READER;
	}
	snprintf(r->name, sizeof(r->name), "simulated reader (%.120s)", param);
	*ret_priv = r;
	return PP_OK;
}

static pp_err vt_connect(void *priv, int timeout_ms)
{
	(void)timeout_ms;
	vpass_reader *r = priv;
	atomic_store(&r->cancelled, false); /* a cancel of an earlier wait */
	if (!vpass_card_present(r->card))
		return PP_ERR_NO_CARD;
	vpass_card_reset(r->card); /* a fresh connection powers the chip up */
	return PP_OK;
}

static pp_err vt_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	vpass_reader *r = priv;
	switch (vpass_card_process(r->card, cmd, len, resp, cap, ret_len)) {
	case VPASS_OK:
		return PP_OK;
	case VPASS_REMOVED:
		return PP_ERR_REMOVED;
	case VPASS_TIMEOUT:
		return PP_ERR_TIMEOUT; /* the card is still there; its answer never came */
	case VPASS_FROZEN:
		/* No answer will ever come: in process there is nothing to
		 * wait for, so this is what the transport core's deadline
		 * would end the exchange with. */
		return PP_ERR_UNRESPONSIVE;
	case VPASS_ERR_ARG:
	case VPASS_ERR_BUFFER:
		return PP_ERR_ARG;
	case VPASS_ERR_NOMEM:
		return PP_ERR_NOMEM;
	case VPASS_ERR_IO:
	case VPASS_ERR_FORMAT:
	case VPASS_ERR_NO_ACCESS:
		return PP_ERR_COMM;
	}
	return PP_ERR_COMM;
}

static pp_err vt_card_present(void *priv, bool *ret)
{
	vpass_reader *r = priv;
	*ret = vpass_card_present(r->card);
	return PP_OK;
}

/* In process there is no event to wait on: look every 10 ms. */
static pp_err vt_wait_change(void *priv, bool present, int timeout_ms, bool *ret_present)
{
	vpass_reader *r = priv;
	for (int waited = 0;; waited += 10) {
		bool now = vpass_card_present(r->card);
		if (now != present) {
			*ret_present = now;
			return PP_OK;
		}
		if (atomic_exchange(&r->cancelled, false))
			return PP_ERR_CANCELLED;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return PP_ERR_TIMEOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
}

static pp_err vt_capabilities(void *priv, pp_transport_caps *ret)
{
	vpass_reader *r = priv;
	vpass_options o;
	vpass_card_get_options(r->card, &o);
	*ret = (pp_transport_caps){
		.extended_length = !o.short_only,
		.max_command = o.short_only ? 4 + 1 + APDU_MAX_SHORT_LC + 1 : APDU_MAX_COMMAND,
		.max_response = o.short_only ? APDU_MAX_SHORT_LE + 2 : APDU_MAX_RESPONSE,
		.extended_reported = true,
		.presence = "in process, looked at every 10 ms",
	};
	return PP_OK;
}

/* An exchange with the in-process chip never blocks: only a wait is
 * cancelled. */
static pp_err vt_cancel(void *priv)
{
	vpass_reader *r = priv;
	atomic_store(&r->cancelled, true);
	return PP_OK;
}

static pp_err vt_atr(void *priv, uint8_t *out, size_t *ret_len)
{
	vpass_reader *r = priv;
	uint8_t atr[33];
	size_t n = vpass_card_atr(r->card, atr);
	if (n > PP_ATR_MAX)
		return PP_ERR_COMM;
	memcpy(out, atr, n);
	*ret_len = n;
	return PP_OK;
}

static const char *vt_reader_name(void *priv)
{
	vpass_reader *r = priv;
	return r->name[0] ? r->name : "simulated reader";
}

static void vt_close(void *priv)
{
	vpass_reader *r = priv;
	if (r && r->doc) {
		vpass_card_free(r->card);
		vpass_doc_free(r->doc);
	}
	free(r);
}

const pp_transport_ops pp_sim_driver = {
	.name = "sim",
	.description = "the virtual e-passport in this process: sim:DIR holds the document in DIR (tests, demo)",
	.list = vt_list,
	.open = vt_open,
	.connect = vt_connect,
	.transmit = vt_transmit,
	.card_present = vt_card_present,
	.capabilities = vt_capabilities,
	.reader_name = vt_reader_name,
	.close = vt_close,
	.wait_change = vt_wait_change,
	.cancel = vt_cancel,
	.atr = vt_atr,
};

pp_err pp_sim_transport_new(vpass_card *card, pp_transport **ret)
{
	if (!card || !ret)
		return PP_ERR_ARG;
	vpass_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return PP_ERR_NOMEM;
	r->card = card;
	pp_err e = pp_transport_new(&pp_sim_driver, r, ret);
	if (e != PP_OK)
		free(r);
	return e;
}
