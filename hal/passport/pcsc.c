/*
 * pcsc — the PC/SC transport driver (pcsc-lite): list readers, wait for a
 * document, exchange short and extended-length APDUs, detect removal.
 *
 * Connection string "pcsc" takes the first reader; "pcsc:NAME" the first
 * whose name contains NAME. A reader's largest APDU comes from
 * dwMaxAPDUDataSize (PC/SC v2 part 10 FEATURE_GET_TLV_PROPERTIES) when it
 * reports one; otherwise extended length is assumed and tried.
 *
 * The card is held exclusively (SCARD_SHARE_EXCLUSIVE) for the whole read,
 * so that no other program's commands come between ours: a second reader
 * process gets SCARD_E_SHARING_VIOLATION, PP_ERR_BUSY, after asking again
 * for BUSY_RETRY_MS (what pcscd needs to let go of a killed client, whose
 * last command it finishes first). Card status watchers (SCardGetStatusChange,
 * `appm passport readers`) are not affected.
 *
 * A blocked SCardTransmit cannot be cancelled through pcsc-lite (1.9.9):
 * SCardCancel only ends SCardGetStatusChange, and SCardDisconnect or
 * SCardReleaseContext from another thread wait for the context's lock,
 * which the transmit holds until pcscd answers (and pcscd waits on the
 * reader driver, which for vpcd has no time-out at all). So exchanges run
 * on an I/O thread of the driver: cancel stops waiting for it, and the
 * driver is then wedged: it refuses everything until closed, and the I/O
 * thread, once pcscd answers at last (the card is taken away), disconnects
 * and frees the driver's state itself if it was closed meanwhile.
 *
 * pcscd powers a card down when a client that held it goes, and a killed
 * client's cleanup can do so under the next client (its grace period);
 * SCARD_E_PROTO_MISMATCH, SCARD_W_RESET_CARD or SCARD_W_UNPOWERED_CARD at
 * connect or at an exchange then means: reconnect (resetting the card)
 * and go on. At the connection's first exchange that exchange is sent
 * again; later, the chip has lost its session, which the reading stack
 * sets up again after the PP_ERR_COMM reported.
 *
 * pcscd stopped, or stopped and started again, leaves this driver's
 * context dead for good: pcsc-lite does not carry a client's connection
 * over to a new pcscd, and every call on the old context answers
 * SCARD_E_NO_SERVICE even once the new one runs. Such a code on the
 * driver's own context is PP_ERR_SERVICE_STOPPED (the transport must be
 * closed and opened again), told apart from "not running now" by the
 * probe, which asks through a context of its own.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/reader.h>
#include <PCSC/winscard.h>

#include "hal/passport/bitrate-internal.h"
#include "hal/passport/transport-internal.h"

/* How long a reader held by another program is asked for again. */
#define BUSY_RETRY_MS 1000
#define BUSY_POLL_MS 50
/* The largest APDUs either way (extended length, with Lc and Le). */
#define IO_MAX_COMMAND (4 + 3 + 65535 + 2)
#define IO_MAX_RESPONSE (65536 + 2)

/* The exchange handed to the I/O thread; `lock` guards every field. */
/* A wait for a document looks at the cancel flag at least this often. */
#define WAIT_SLICE_MS 250

typedef struct pcsc_io {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;      /* an exchange waits for the I/O thread */
	bool in_flight;      /* the I/O thread is in SCardTransmit */
	bool done;           /* its answer is in resp, rv, n */
	bool waiting;        /* the caller waits for it */
	bool cancel;         /* the caller is to stop waiting */
	bool quit;           /* the driver closes: the thread ends */
	bool orphaned;       /* closed while in flight: the thread frees all */
	SCARDHANDLE card;
	const SCARD_IO_REQUEST *pci;
	uint8_t cmd[IO_MAX_COMMAND];
	DWORD cmd_len;
	uint8_t resp[IO_MAX_RESPONSE];
	DWORD n;
	LONG rv;
} pcsc_io;

typedef struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD protocol;
	bool connected;
	atomic_bool wedged;  /* an exchange was abandoned (cancel) */
	unsigned long exchanges; /* since connect */
	char want[MAX_READERNAME]; /* substring from the connection string */
	char reader[MAX_READERNAME];
	DWORD last_state;
	LONG last_rv;        /* the last failure, for native_error */
	char native[64];
	pcsc_io *io;         /* NULL until the first exchange */
	atomic_bool wait_cancelled; /* cancel during wait_change (or connect's wait) */
	BYTE atr[MAX_ATR_SIZE];  /* of the document last seen */
	DWORD atr_len;           /* 0: none seen */
} pcsc;

static void note_rv(pcsc *p, LONG rv)
{
	if (rv != SCARD_S_SUCCESS)
		p->last_rv = rv;
}

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
	case SCARD_E_SHARING_VIOLATION:
		return PP_ERR_BUSY;
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

/* The names of the codes a read meets, for native_error. */
static const char *rv_name(LONG rv)
{
	switch (rv) {
	case SCARD_E_CANCELLED: return "SCARD_E_CANCELLED";
	case SCARD_E_INVALID_HANDLE: return "SCARD_E_INVALID_HANDLE";
	case SCARD_E_INVALID_PARAMETER: return "SCARD_E_INVALID_PARAMETER";
	case SCARD_E_NO_MEMORY: return "SCARD_E_NO_MEMORY";
	case SCARD_E_INSUFFICIENT_BUFFER: return "SCARD_E_INSUFFICIENT_BUFFER";
	case SCARD_E_UNKNOWN_READER: return "SCARD_E_UNKNOWN_READER";
	case SCARD_E_TIMEOUT: return "SCARD_E_TIMEOUT";
	case SCARD_E_SHARING_VIOLATION: return "SCARD_E_SHARING_VIOLATION";
	case SCARD_E_NO_SMARTCARD: return "SCARD_E_NO_SMARTCARD";
	case SCARD_E_PROTO_MISMATCH: return "SCARD_E_PROTO_MISMATCH";
	case SCARD_E_NOT_TRANSACTED: return "SCARD_E_NOT_TRANSACTED";
	case SCARD_E_READER_UNAVAILABLE: return "SCARD_E_READER_UNAVAILABLE";
	case SCARD_E_NO_SERVICE: return "SCARD_E_NO_SERVICE";
	case SCARD_E_SERVICE_STOPPED: return "SCARD_E_SERVICE_STOPPED";
	case SCARD_E_NO_READERS_AVAILABLE: return "SCARD_E_NO_READERS_AVAILABLE";
	case SCARD_F_COMM_ERROR: return "SCARD_F_COMM_ERROR";
	case SCARD_W_UNRESPONSIVE_CARD: return "SCARD_W_UNRESPONSIVE_CARD";
	case SCARD_W_UNPOWERED_CARD: return "SCARD_W_UNPOWERED_CARD";
	case SCARD_W_RESET_CARD: return "SCARD_W_RESET_CARD";
	case SCARD_W_REMOVED_CARD: return "SCARD_W_REMOVED_CARD";
	default: return NULL;
	}
}

/* A code that may mean pcscd has gone (its socket closed under us). */
static bool service_error(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_F_COMM_ERROR;
}

/* A code by which a call on the driver's context says the connection to
 * pcscd is lost (see the top of this file): pcscd no longer knows the
 * context, or the socket to it broke (SCARD_F_COMM_ERROR, which a call
 * on the context itself, not on a card, only returns for that). */
static bool context_lost(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE ||
	       rv == SCARD_F_COMM_ERROR;
}

/* After a service_error: is pcscd really gone? A fresh context says. */
static bool service_gone(void)
{
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS) {
		SCardReleaseContext(ctx);
		return false;
	}
	/* A pcscd killed a moment ago may still take the connection and then
	 * drop it: SCARD_F_COMM_ERROR. */
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_F_COMM_ERROR;
}

/* pcscd power-cycled or reset the card under this connection. */
static bool card_was_reset(LONG rv)
{
	return rv == SCARD_E_PROTO_MISMATCH || rv == SCARD_W_RESET_CARD || rv == SCARD_W_UNPOWERED_CARD;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
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

/* Whether a card is in the reader (*ret_rv: SCardGetStatusChange's code). */
static bool card_in(SCARDCONTEXT ctx, const char *reader, DWORD *ret_state, LONG *ret_rv)
{
	SCARD_READERSTATE st = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	LONG rv = SCardGetStatusChange(ctx, 0, &st, 1);
	if (ret_rv)
		*ret_rv = rv;
	if (rv != SCARD_S_SUCCESS)
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
	l->cb(name, card_in(l->ctx, name, NULL, NULL), l->user);
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

/* ---- the I/O thread ---- */

static void pcsc_free_state(pcsc *p)
{
	if (p->connected)
		SCardDisconnect(p->card, SCARD_RESET_CARD);
	SCardReleaseContext(p->ctx);
	if (p->io) {
		pthread_cond_destroy(&p->io->cond);
		pthread_mutex_destroy(&p->io->lock);
		free(p->io);
	}
	free(p);
}

static void *io_main(void *arg)
{
	pcsc *p = arg;
	pcsc_io *io = p->io;
	pthread_mutex_lock(&io->lock);
	for (;;) {
		while (!io->requested && !io->quit)
			pthread_cond_wait(&io->cond, &io->lock);
		if (io->quit)
			break;
		io->requested = false;
		io->in_flight = true;
		pthread_mutex_unlock(&io->lock);
		DWORD n = sizeof(io->resp);
		LONG rv = SCardTransmit(io->card, io->pci, io->cmd, io->cmd_len, NULL, io->resp, &n);
		pthread_mutex_lock(&io->lock);
		io->in_flight = false;
		if (io->orphaned) {
			/* Closed while we waited on pcscd: the state is ours. */
			pthread_mutex_unlock(&io->lock);
			pcsc_free_state(p);
			return NULL;
		}
		io->rv = rv;
		io->n = n;
		io->done = true;
		pthread_cond_broadcast(&io->cond);
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

static pp_err io_start(pcsc *p)
{
	pcsc_io *io = calloc(1, sizeof(*io));
	if (!io)
		return PP_ERR_NOMEM;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	p->io = io;
	if (pthread_create(&io->thread, NULL, io_main, p) != 0) {
		pthread_cond_destroy(&io->cond);
		pthread_mutex_destroy(&io->lock);
		free(io);
		p->io = NULL;
		return PP_ERR_NOMEM;
	}
	return PP_OK;
}

/* One SCardTransmit on the I/O thread. PP_ERR_CANCELLED when cancel
 * stopped the wait: the driver is wedged from then on. */
static pp_err io_transmit(pcsc *p, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len,
                          LONG *ret_rv)
{
	if (len > IO_MAX_COMMAND)
		return PP_ERR_ARG;
	if (!p->io) {
		pp_err e = io_start(p);
		if (e != PP_OK)
			return e;
	}
	pcsc_io *io = p->io;
	pthread_mutex_lock(&io->lock);
	io->card = p->card;
	io->pci = p->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	memcpy(io->cmd, cmd, len);
	io->cmd_len = (DWORD)len;
	io->done = false;
	io->requested = true;
	io->waiting = true;
	io->cancel = false;
	pthread_cond_broadcast(&io->cond);
	while (!io->done && !io->cancel)
		pthread_cond_wait(&io->cond, &io->lock);
	io->waiting = false;
	io->cancel = false;
	if (!io->done) {
		pthread_mutex_unlock(&io->lock);
		p->wedged = true;
		return PP_ERR_CANCELLED;
	}
	io->done = false;
	LONG rv = io->rv;
	DWORD n = io->n;
	if (rv == SCARD_S_SUCCESS) {
		if (n > cap)
			rv = SCARD_E_INSUFFICIENT_BUFFER;
		else
			memcpy(resp, io->resp, n);
	}
	pthread_mutex_unlock(&io->lock);
	*ret_rv = rv;
	if (rv == SCARD_S_SUCCESS)
		*ret_len = n;
	return PP_OK;
}

/* ---- the operations ---- */

static pp_err pcsc_release(void *priv)
{
	pcsc *p = priv; /* not while an exchange is stuck in the I/O thread */
	if (p->connected && !p->wedged)
		SCardDisconnect(p->card, SCARD_LEAVE_CARD);
	p->connected = p->connected && p->wedged;
	return PP_OK;
}

static pp_err pcsc_connect(void *priv, int timeout_ms)
{
	pcsc *p = priv;
	if (p->wedged)
		return PP_ERR_UNRESPONSIVE;
	atomic_store(&p->wait_cancelled, false); /* a cancel of an earlier wait */
	if (p->connected) {
		SCardDisconnect(p->card, SCARD_LEAVE_CARD);
		p->connected = false;
	}
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	LONG rv = SCardGetStatusChange(p->ctx, 0, &st, 1);
	if (rv != SCARD_S_SUCCESS) {
		note_rv(p, rv);
		return context_lost(rv) ? PP_ERR_SERVICE_STOPPED : map_rv(rv);
	}
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
		if (rv != SCARD_S_SUCCESS) {
			note_rv(p, rv);
			return context_lost(rv) ? PP_ERR_SERVICE_STOPPED : map_rv(rv);
		}
	}
	if (st.cbAtr <= sizeof(p->atr)) {
		memcpy(p->atr, st.rgbAtr, st.cbAtr);
		p->atr_len = st.cbAtr;
	}
	/* Another program's hold (or pcscd still finishing a killed one's
	 * last command) is waited out for BUSY_RETRY_MS; a card pcscd has
	 * just powered down or reset is connected to again once. */
	bool reset_seen = false;
	for (long waited = 0;; waited += BUSY_POLL_MS) {
		rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
		                  &p->card, &p->protocol);
		if (rv == SCARD_E_SHARING_VIOLATION && waited < BUSY_RETRY_MS) {
			sleep_ms(BUSY_POLL_MS);
			continue;
		}
		if (card_was_reset(rv) && !reset_seen) {
			reset_seen = true;
			continue;
		}
		break;
	}
	note_rv(p, rv);
	if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD)
		return PP_ERR_NO_CARD;
	if (rv != SCARD_S_SUCCESS)
		return context_lost(rv) ? PP_ERR_SERVICE_STOPPED : map_rv(rv);
	p->connected = true;
	p->exchanges = 0;
	return PP_OK;
}

/* pcscd reset or powered the card down under us: connect again, with a
 * fresh reset. */
static LONG reconnect(pcsc *p)
{
	LONG rv = SCardReconnect(p->card, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                         SCARD_RESET_CARD, &p->protocol);
	note_rv(p, rv);
	return rv;
}

static pp_err pcsc_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	pcsc *p = priv;
	if (p->wedged)
		return PP_ERR_UNRESPONSIVE;
	if (!p->connected)
		return PP_ERR_NO_CARD;
	LONG rv = SCARD_S_SUCCESS;
	pp_err e = io_transmit(p, cmd, len, resp, cap, ret_len, &rv);
	if (e == PP_OK && card_was_reset(rv)) {
		note_rv(p, rv);
		LONG rv2 = reconnect(p);
		if (rv2 != SCARD_S_SUCCESS)
			rv = rv2;
		else if (p->exchanges == 0)
			e = io_transmit(p, cmd, len, resp, cap, ret_len, &rv); /* nothing was lost yet */
		else
			return PP_ERR_COMM; /* the chip lost its session: set it up again */
	}
	if (e != PP_OK)
		return e;
	p->exchanges++;
	if (rv == SCARD_S_SUCCESS)
		return PP_OK;
	note_rv(p, rv);
	/* Our connection to pcscd is gone even when a new pcscd runs. */
	if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED)
		return PP_ERR_SERVICE_STOPPED;
	if (service_error(rv))
		return service_gone() ? PP_ERR_SERVICE_STOPPED : PP_ERR_COMM;
	e = map_rv(rv);
	return e == PP_ERR_NO_SERVICE ? PP_ERR_SERVICE_STOPPED : e;
}

static pp_err pcsc_cancel(void *priv)
{
	pcsc *p = priv;
	/* A wait for a card (SCardGetStatusChange) ends at once. Not once an
	 * exchange was abandoned: its SCardTransmit holds the context's lock,
	 * which SCardCancel would wait for. */
	atomic_store(&p->wait_cancelled, true);
	if (!atomic_load(&p->wedged))
		SCardCancel(p->ctx);
	if (!p->io)
		return PP_OK;
	pthread_mutex_lock(&p->io->lock);
	if (p->io->waiting && !p->io->done)
		p->io->cancel = true;
	pthread_cond_broadcast(&p->io->cond);
	pthread_mutex_unlock(&p->io->lock);
	return PP_OK;
}

/* A document placed (present, not mute) in a reader state. */
static bool state_present(DWORD state)
{
	return (state & SCARD_STATE_PRESENT) && !(state & SCARD_STATE_MUTE);
}

/* pcscd tells of a change itself (SCardGetStatusChange): no polling. */
static pp_err pcsc_wait_change(void *priv, bool present, int timeout_ms, bool *ret_present)
{
	pcsc *p = priv;
	/* An abandoned exchange holds the context (see above): a status wait
	 * on it would never return. Close the reader and open it again. */
	if (atomic_load(&p->wedged))
		return PP_ERR_UNRESPONSIVE;
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	LONG rv = SCardGetStatusChange(p->ctx, 0, &st, 1);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (rv == SCARD_S_SUCCESS && !(st.dwEventState & SCARD_STATE_UNKNOWN) &&
	       state_present(st.dwEventState) == present) {
		DWORD wait = INFINITE;
		if (timeout_ms >= 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
			if (elapsed >= timeout_ms)
				return PP_ERR_TIMEOUT;
			wait = (DWORD)(timeout_ms - elapsed);
		}
		if (atomic_exchange(&p->wait_cancelled, false))
			return PP_ERR_CANCELLED;
		/* In slices, so that a cancel landing just before the call
		 * (SCardCancel ends only a wait already running) is seen. */
		if (wait > WAIT_SLICE_MS)
			wait = WAIT_SLICE_MS;
		st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
		rv = SCardGetStatusChange(p->ctx, wait, &st, 1);
		if (rv == SCARD_E_TIMEOUT && (timeout_ms < 0 || wait == WAIT_SLICE_MS))
			rv = SCARD_S_SUCCESS; /* a slice ended: look again */
		if (rv == SCARD_E_CANCELLED) {
			atomic_store(&p->wait_cancelled, false);
			return PP_ERR_CANCELLED;
		}
	}
	if (rv == SCARD_E_TIMEOUT)
		return PP_ERR_TIMEOUT;
	if (rv != SCARD_S_SUCCESS) {
		note_rv(p, rv);
		if (context_lost(rv) || (service_error(rv) && service_gone()))
			return PP_ERR_SERVICE_STOPPED;
		return map_rv(rv);
	}
	if (st.dwEventState & SCARD_STATE_UNKNOWN)
		return PP_ERR_NO_READER; /* the reader went away */
	*ret_present = state_present(st.dwEventState);
	if (*ret_present && st.cbAtr <= sizeof(p->atr)) {
		memcpy(p->atr, st.rgbAtr, st.cbAtr);
		p->atr_len = st.cbAtr;
	}
	return PP_OK;
}

static pp_err pcsc_card_present(void *priv, bool *ret)
{
	pcsc *p = priv;
	if (p->wedged)
		return PP_ERR_UNRESPONSIVE;
	if (p->connected) {
		DWORD state = 0, proto = 0, atr_len = MAX_ATR_SIZE, name_len = 0;
		BYTE atr[MAX_ATR_SIZE];
		LONG rv = SCardStatus(p->card, NULL, &name_len, &state, &proto, atr, &atr_len);
		if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD) {
			*ret = false;
			return PP_OK;
		}
		if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || (service_error(rv) && service_gone())) {
			note_rv(p, rv);
			return PP_ERR_SERVICE_STOPPED;
		}
	}
	/* pcscd learns of a removal by polling the reader; give it one poll
	 * period to notice before answering. */
	DWORD state = 0;
	LONG rv = SCARD_S_SUCCESS;
	if (!card_in(p->ctx, p->reader, &state, &rv)) {
		if (context_lost(rv) || (service_error(rv) && service_gone())) {
			note_rv(p, rv);
			return PP_ERR_SERVICE_STOPPED;
		}
		if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE || (state & SCARD_STATE_UNKNOWN)) {
			note_rv(p, rv);
			return PP_ERR_NO_READER;
		}
		*ret = false;
		return PP_OK;
	}
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = state };
	rv = SCardGetStatusChange(p->ctx, 1500, &st, 1);
	if (rv == SCARD_S_SUCCESS)
		*ret = (st.dwEventState & SCARD_STATE_PRESENT) && !(st.dwEventState & SCARD_STATE_MUTE);
	else if (context_lost(rv) || (service_error(rv) && service_gone()))
		return PP_ERR_SERVICE_STOPPED;
	else
		*ret = true;
	return PP_OK;
}

static pp_err pcsc_capabilities(void *priv, pp_transport_caps *ret)
{
	pcsc *p = priv;
	if (p->wedged)
		return PP_ERR_UNRESPONSIVE;
	/* Readers that do not tell (many drivers, vpcd among them) are assumed
	 * to pass extended APDUs: the reading stack falls back to short ones
	 * when the first large read fails. */
	pp_transport_caps caps = { .extended_length = true,
		                   .max_command = 4 + 3 + 65535 + 2,
		                   .max_response = 65538,
		                   .presence = "wait-for-change (SCardGetStatusChange)" };
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
					caps.extended_reported = true;
					caps.max_command = caps.extended_length ? 4 + 3 + max + 2 : 261;
					caps.max_response = caps.extended_length ? max + 2 : 258;
				}
			}
		}
	}
	if (p->connected) {
		/* The reader negotiates the rate itself; it says which only if
		 * its driver answers SCARD_ATTR_CURRENT_D (bitrate-internal.h). */
		BYTE d[8];
		DWORD d_len = sizeof(d);
		if (SCardGetAttrib(p->card, SCARD_ATTR_CURRENT_D, d, &d_len) == SCARD_S_SUCCESS)
			caps.bit_rate_kbps = pp_pcsc_bit_rate(d, d_len, p->atr, p->atr_len);
		caps.bit_rate_how = caps.bit_rate_kbps ? "negotiated by the reader (its SCARD_ATTR_CURRENT_D)"
		                                       : "unknown: the PC/SC reader does not say (no SCARD_ATTR_CURRENT_D "
		                                         "for this card)";
	}
	*ret = caps;
	return PP_OK;
}

static pp_err pcsc_atr(void *priv, uint8_t *out, size_t *ret_len)
{
	pcsc *p = priv;
	if (!p->atr_len)
		return PP_ERR_NO_CARD;
	memcpy(out, p->atr, p->atr_len);
	*ret_len = p->atr_len;
	return PP_OK;
}

/* Through a context of its own: the driver's may be held by a wait or an
 * exchange on another thread (pcsc-lite locks a context for each call),
 * and may be dead while a new pcscd runs (see the top of this file). */
static pp_err pcsc_probe(void *priv, bool *ret_present)
{
	pcsc *p = priv;
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	SCARD_READERSTATE st = { .szReader = p->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	rv = SCardGetStatusChange(ctx, 0, &st, 1);
	SCardReleaseContext(ctx);
	if (rv == SCARD_S_SUCCESS && (st.dwEventState & SCARD_STATE_UNKNOWN))
		return PP_ERR_NO_READER;
	if (rv != SCARD_S_SUCCESS)
		return map_rv(rv);
	*ret_present = state_present(st.dwEventState);
	return PP_OK;
}

static const char *pcsc_reader_name(void *priv)
{
	return ((pcsc *)priv)->reader;
}

static const char *pcsc_native_error(void *priv)
{
	pcsc *p = priv;
	if (p->last_rv == SCARD_S_SUCCESS)
		return "";
	const char *name = rv_name(p->last_rv);
	snprintf(p->native, sizeof(p->native), "%s (0x%08lX)", name ? name : "PC/SC error",
	         (unsigned long)p->last_rv);
	return p->native;
}

static void pcsc_close(void *priv)
{
	pcsc *p = priv;
	if (!p)
		return;
	if (p->io) {
		pthread_mutex_lock(&p->io->lock);
		if (p->io->in_flight) {
			/* pcscd still holds the abandoned exchange: the I/O
			 * thread frees everything once it returns. */
			p->io->orphaned = true;
			pthread_mutex_unlock(&p->io->lock);
			pthread_detach(p->io->thread);
			return;
		}
		p->io->quit = true;
		pthread_cond_broadcast(&p->io->cond);
		pthread_mutex_unlock(&p->io->lock);
		pthread_join(p->io->thread, NULL);
	}
	pcsc_free_state(p);
}

const pp_transport_ops pp_pcsc_driver = {
	.name = "pcsc",
	.description = "PC/SC readers through pcscd (pcsc-lite)",
	.list = pcsc_list,
	.open = pcsc_open,
	.connect = pcsc_connect,
	.release = pcsc_release,
	.transmit = pcsc_transmit,
	.card_present = pcsc_card_present,
	.capabilities = pcsc_capabilities,
	.reader_name = pcsc_reader_name,
	.close = pcsc_close,
	.cancel = pcsc_cancel,
	.native_error = pcsc_native_error,
	.wait_change = pcsc_wait_change,
	.atr = pcsc_atr,
	.probe = pcsc_probe,
};
