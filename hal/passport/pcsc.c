/*
 * pcsc — the PC/SC transport driver (pcsc-lite): list readers, wait for a
 * document, exchange short and extended-length APDUs, detect removal.
 *
 * Connection string "pcsc" takes the first reader; "pcsc:NAME" the first
 * whose name contains NAME. A reader's largest APDU comes from
 * dwMaxAPDUDataSize (PC/SC v2 part 10 FEATURE_GET_TLV_PROPERTIES) when it
 * reports one; otherwise extended length is assumed and tried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/reader.h>
#include <PCSC/winscard.h>

#include "hal/passport/transport-internal.h"

typedef struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD protocol;
	bool connected;
	char want[MAX_READERNAME]; /* substring from the connection string */
	char reader[MAX_READERNAME];
	DWORD last_state;
} pcsc;

static pp_err map_rv(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS:
		return PP_OK;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return PP_ERR_NO_SERVICE;
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		return PP_ERR_NO_READER;
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
	case SCARD_W_RESET_CARD:
		return PP_ERR_REMOVED;
	case SCARD_E_TIMEOUT:
		return PP_ERR_TIMEOUT;
	case SCARD_E_NO_MEMORY:
		return PP_ERR_NOMEM;
	case SCARD_E_CANCELLED:
		return PP_ERR_CANCELLED;
	case SCARD_E_INVALID_PARAMETER:
	case SCARD_E_INVALID_VALUE:
		return PP_ERR_ARG;
	default:
		return PP_ERR_COMM;
	}
}

/* Calls cb for each reader name in a PC/SC multi-string; stops when cb
 * returns false. */
static pp_err for_each_reader(SCARDCONTEXT ctx, bool (*cb)(const char *name, void *user), void *user)
{
	DWORD len = 0;
	LONG rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	char *names = malloc(len);
	if (!names)
		return PP_ERR_NOMEM;
	rv = SCardListReaders(ctx, NULL, names, &len);
	if (rv != SCARD_S_SUCCESS) {
		free(names);
		return map_rv(rv);
	}
	for (const char *p = names; *p; p += strlen(p) + 1)
		if (!cb(p, user))
			break;
	free(names);
	return PP_OK;
}

static bool card_in(SCARDCONTEXT ctx, const char *reader, DWORD *ret_state)
{
	SCARD_READERSTATE st = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	if (SCardGetStatusChange(ctx, 0, &st, 1) != SCARD_S_SUCCESS)
		return false;
	if (ret_state)
		*ret_state = st.dwEventState & ~SCARD_STATE_CHANGED;
	return (st.dwEventState & SCARD_STATE_PRESENT) && !(st.dwEventState & SCARD_STATE_MUTE);
}

struct list_ctx {
	SCARDCONTEXT ctx;
	pp_reader_cb cb;
	void *user;
};

static bool list_one(const char *name, void *user)
{
	struct list_ctx *l = user;
	l->cb(name, card_in(l->ctx, name, NULL), l->user);
	return true;
}

static pp_err pcsc_list(pp_reader_cb cb, void *user)
{
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	struct list_ctx l = { ctx, cb, user };
	pp_err e = for_each_reader(ctx, list_one, &l);
	SCardReleaseContext(ctx);
	return e;
}

static bool pick_reader(const char *name, void *user)
{
	pcsc *p = user;
	if (p->want[0] && !strstr(name, p->want))
		return true;
	snprintf(p->reader, sizeof(p->reader), "%s", name);
	return false;
}

static pp_err pcsc_open(const char *param, void **ret_priv)
{
	pcsc *p = calloc(1, sizeof(*p));
	if (!p)
		return PP_ERR_NOMEM;
	snprintf(p->want, sizeof(p->want), "%s", param);
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(p);
		return map_rv(rv);
	}
	pp_err e = for_each_reader(p->ctx, pick_reader, p);
	if (e == PP_OK && !p->reader[0])
		e = PP_ERR_NO_READER;
	if (e != PP_OK) {
		SCardReleaseContext(p->ctx);
		free(p);
		return e;
	}
	*ret_priv = p;
	return PP_OK;
}

static pp_err pcsc_connect(void *priv, int timeout_ms)
{
	pcsc *p = priv;
	if (p->connected) {
		SCardDisconnect(p->card, SCARD_LEAVE_CARD);
		p->connected = false;
	}
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	LONG rv = SCardGetStatusChange(p->ctx, 0, &st, 1);
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	/* Wait for the state to change until a card is there or time runs out;
	 * a change that is not a card arriving waits again for what is left. */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(st.dwEventState & SCARD_STATE_PRESENT) || (st.dwEventState & SCARD_STATE_MUTE)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms)
			return PP_ERR_NO_CARD;
		st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
		rv = SCardGetStatusChange(p->ctx, (DWORD)(timeout_ms - elapsed), &st, 1);
		if (rv == SCARD_E_TIMEOUT)
			return PP_ERR_NO_CARD;
		if (rv != SCARD_S_SUCCESS)
			return map_rv(rv);
	}
	rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
	                  &p->protocol);
	if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD)
		return PP_ERR_NO_CARD;
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	p->connected = true;
	return PP_OK;
}

static pp_err pcsc_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	pcsc *p = priv;
	if (!p->connected)
		return PP_ERR_NO_CARD;
	const SCARD_IO_REQUEST *pci = p->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD n = (DWORD)cap;
	LONG rv = SCardTransmit(p->card, pci, cmd, (DWORD)len, NULL, resp, &n);
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	*ret_len = n;
	return PP_OK;
}

static pp_err pcsc_card_present(void *priv, bool *ret)
{
	pcsc *p = priv;
	if (p->connected) {
		DWORD state = 0, proto = 0, atr_len = MAX_ATR_SIZE, name_len = 0;
		BYTE atr[MAX_ATR_SIZE];
		LONG rv = SCardStatus(p->card, NULL, &name_len, &state, &proto, atr, &atr_len);
		if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD) {
			*ret = false;
			return PP_OK;
		}
	}
	/* pcscd learns of a removal by polling the reader; give it one poll
	 * period to notice before answering. */
	DWORD state = 0;
	if (!card_in(p->ctx, p->reader, &state)) {
		*ret = false;
		return PP_OK;
	}
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = state };
	LONG rv = SCardGetStatusChange(p->ctx, 1500, &st, 1);
	if (rv == SCARD_S_SUCCESS)
		*ret = (st.dwEventState & SCARD_STATE_PRESENT) && !(st.dwEventState & SCARD_STATE_MUTE);
	else
		*ret = true;
	return PP_OK;
}

static pp_err pcsc_capabilities(void *priv, pp_transport_caps *ret)
{
	pcsc *p = priv;
	/* Readers that do not tell (many drivers, vpcd among them) are assumed
	 * to pass extended APDUs: the reading stack falls back to short ones
	 * when the first large read fails. */
	pp_transport_caps caps = { .extended_length = true, .max_command = 4 + 3 + 65535 + 2, .max_response = 65538 };
	if (p->connected) {
		BYTE feat[256];
		DWORD n = 0;
		LONG rv = SCardControl(p->card, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, feat, sizeof(feat), &n);
		DWORD tlv_ioctl = 0;
		/* The feature list is tag (1) length (1, always 4) ioctl (4, big endian). */
		for (DWORD i = 0; rv == SCARD_S_SUCCESS && i + 6 <= n; i += 6)
			if (feat[i] == FEATURE_GET_TLV_PROPERTIES && feat[i + 1] == 4)
				tlv_ioctl = ((DWORD)feat[i + 2] << 24) | ((DWORD)feat[i + 3] << 16) |
				            ((DWORD)feat[i + 4] << 8) | feat[i + 5];
		if (tlv_ioctl) {
			BYTE props[256];
			rv = SCardControl(p->card, tlv_ioctl, NULL, 0, props, sizeof(props), &n);
			/* Properties are tag (1) length (1) little-endian value. */
			for (DWORD i = 0; rv == SCARD_S_SUCCESS && i + 2 <= n; i += 2u + props[i + 1]) {
				if (i + 2u + props[i + 1] > n)
					break;
				if (props[i] == PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize && props[i + 1] == 4) {
					DWORD max = (DWORD)props[i + 2] | ((DWORD)props[i + 3] << 8) |
					            ((DWORD)props[i + 4] << 16) | ((DWORD)props[i + 5] << 24);
					if (max > 65536)
						max = 65536;
					caps.extended_length = max > 255;
					caps.max_command = caps.extended_length ? 4 + 3 + max + 2 : 261;
					caps.max_response = caps.extended_length ? max + 2 : 258;
				}
			}
		}
	}
	*ret = caps;
	return PP_OK;
}

static const char *pcsc_reader_name(void *priv)
{
	return ((pcsc *)priv)->reader;
}

static void pcsc_close(void *priv)
{
	pcsc *p = priv;
	if (!p)
		return;
	if (p->connected)
		SCardDisconnect(p->card, SCARD_RESET_CARD);
	SCardReleaseContext(p->ctx);
	free(p);
}

const pp_transport_ops pp_pcsc_driver = {
	.name = "pcsc",
	.description = "PC/SC readers through pcscd (pcsc-lite)",
	.list = pcsc_list,
	.open = pcsc_open,
	.connect = pcsc_connect,
	.transmit = pcsc_transmit,
	.card_present = pcsc_card_present,
	.capabilities = pcsc_capabilities,
	.reader_name = pcsc_reader_name,
	.close = pcsc_close,
};
