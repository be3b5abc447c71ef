/*
 * picc — the card's side of the ISO/IEC 14443-4 block protocol (see
 * picc.h for what is modelled and which rules): its state, block number
 * and last block, and what it answers to each block the PCD sends.
 *
 * The states are named for what the PICC waits on. A constant table says
 * which (state, event) pairs are handled and by which action; a pair not
 * in it is an invalid block, ignored (no answer). Each action decides the
 * next state through set_state, the only place it changes.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/apdu.h"
#include "devices/pn532/picc.h"

/* PCB coding (ISO/IEC 14443-4 7.1.1.1). */
#define PCB_BLOCK_NUMBER 0x01
#define PCB_NAD          0x04 /* I-blocks */
#define PCB_CID          0x08
#define PCB_CHAINING     0x10 /* I-blocks */
#define PCB_NAK          0x10 /* R-blocks */
#define PCB_I            0x02 /* 000x xx1x */
#define PCB_I_MASK       0xE2
#define PCB_R            0xA2 /* 101x x01x */
#define PCB_R_MASK       0xE6
#define PCB_S            0xC2 /* 11xx x010 */
#define PCB_S_MASK       0xC7
#define PCB_S_KIND       0x30 /* b6-b5: 00 DESELECT, 11 WTX */
#define PCB_S_DESELECT   0xC2
#define PCB_S_WTX        0xF2
#define CID_MASK         0x0F
#define WTXM_MASK        0x3F /* b8-b7: power level indication, sent 00 */
#define CRC_LEN          2

/* FWT = (256 * 16 / fc) * 2^FWI (7.2), in ns per unit of 2^FWI. */
#define FWT_UNIT_NS (256.0 * 16.0 / 13.56e6 * 1e9)
/* A frozen card's S(WTX) request leaves when 9/10 of the time it may take
 * has passed: inside the limit, as late as a busy card would ask. */
#define WTX_LEAD 0.9

typedef enum picc_state {
	PICC_EXPECT_ACTIVATION,   /* not activated, or deselected: every block ignored */
	PICC_EXPECT_COMMAND,      /* an I-block starting a command (or R-blocks) */
	PICC_EXPECT_CHAINED_I,    /* the next I-block of a chained command */
	PICC_EXPECT_WTX_RESPONSE, /* its S(WTX) request sent, the PCD's response */
	PICC_EXPECT_ACK,          /* part of a chained answer sent, the R(ACK) for the next */
	PICC_PROCESSING,          /* a frozen card at work: its next S(WTX) request at due_ns */
} picc_state;

typedef enum picc_event {
	EV_I_CHAINED,  /* an I-block with the chaining bit */
	EV_I_LAST,     /* an I-block without it */
	EV_R_ACK,
	EV_R_NAK,
	EV_S_DESELECT, /* an S(DESELECT) request */
	EV_S_WTX,      /* an S(WTX) response */
} picc_event;

struct pn532_picc {
	const pn532_picc_card *card;
	void *ctx;
	picc_state state;

	unsigned fsci;            /* options */
	unsigned wtx_count;
	size_t chain_inf;

	uint8_t cid;              /* the CID the activation gave */
	unsigned fwi;
	uint8_t block_number;
	bool reply_cid;           /* answers carry a CID byte (the PCD's last block did) */

	uint8_t *cmd;             /* a chained command being collected, then the APDU */
	size_t cmd_len;
	uint8_t *resp;            /* the card's answer */
	size_t resp_len, resp_off; /* resp_off: the first byte not yet sent */
	unsigned wtx_left;        /* S(WTX) requests still to send before it */
	uint8_t wtxm_sent;        /* the WTXM the PCD must echo */
	bool frozen;              /* the card has not answered the APDU in cmd */
	uint64_t due_ns;          /* PROCESSING: the next S(WTX) request */

	uint8_t last[PN532_PICC_BLOCK_MAX]; /* the last block sent (rule 11) */
	size_t last_len;

	pn532_picc_stats stats;
};

static void set_state(pn532_picc *p, picc_state s)
{
	if (s != PICC_PROCESSING)
		p->due_ns = 0;
	if (s == PICC_EXPECT_COMMAND || s == PICC_EXPECT_ACTIVATION) {
		p->cmd_len = 0;
		p->frozen = false;
	}
	p->state = s;
}

pn532_picc *pn532_picc_new(const pn532_picc_card *card, void *ctx)
{
	pn532_picc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->card = card;
	p->ctx = ctx;
	p->fsci = PN532_PICC_FSCI_MAX;
	p->cmd = malloc(APDU_MAX_COMMAND);
	p->resp = malloc(APDU_MAX_RESPONSE);
	if (!p->cmd || !p->resp) {
		pn532_picc_free(p);
		return NULL;
	}
	set_state(p, PICC_EXPECT_ACTIVATION);
	return p;
}

void pn532_picc_free(pn532_picc *picc)
{
	if (!picc)
		return;
	free(picc->cmd);
	free(picc->resp);
	free(picc);
}

/* ---- options ---- */

size_t pn532_picc_fsc_bytes(unsigned fsci)
{
	static const size_t fsc[] = { 16, 24, 32, 40, 48, 64, 96, 128, 256 };
	return fsc[fsci > PN532_PICC_FSCI_MAX ? PN532_PICC_FSCI_MAX : fsci];
}

void pn532_picc_set_fsci(pn532_picc *picc, unsigned fsci)
{
	picc->fsci = fsci > PN532_PICC_FSCI_MAX ? PN532_PICC_FSCI_MAX : fsci;
}

unsigned pn532_picc_fsci(const pn532_picc *picc)
{
	return picc->fsci;
}

void pn532_picc_set_wtx(pn532_picc *picc, unsigned count)
{
	picc->wtx_count = count;
}

void pn532_picc_set_chain(pn532_picc *picc, size_t inf_max)
{
	picc->chain_inf = inf_max;
}

/* Most INF bytes in one I-block of an answer: FSD less PCB, CID and CRC,
 * or fewer when the card chooses. */
static size_t answer_inf_max(const pn532_picc *p, bool cid)
{
	size_t room = PN532_PICC_FSD - CRC_LEN - 1 - (cid ? 1 : 0);
	return p->chain_inf && p->chain_inf < room ? p->chain_inf : room;
}

/* The link model's smallest frame (vpass_link_valid). */
#define LINK_FRAME_MIN 16

void pn532_picc_frame_sizes(const pn532_picc *picc, size_t *ret_to_card, size_t *ret_to_reader)
{
	if (picc->fsci == PN532_PICC_FSCI_MAX && !picc->chain_inf) {
		*ret_to_card = *ret_to_reader = 0;
		return;
	}
	/* The link model's frames carry no CID by default: PCB + INF + CRC. */
	size_t back = answer_inf_max(picc, false) + 1 + CRC_LEN;
	*ret_to_card = pn532_picc_fsc_bytes(picc->fsci);
	*ret_to_reader = back < LINK_FRAME_MIN ? LINK_FRAME_MIN : back;
}

/* ---- activation ---- */

void pn532_picc_activate(pn532_picc *picc, uint8_t cid, unsigned fwi)
{
	picc->cid = cid & CID_MASK;
	picc->fwi = fwi > 14 ? 14 : fwi;
	picc->block_number = 1; /* rule C */
	picc->last_len = 0;
	picc->resp_len = picc->resp_off = 0;
	set_state(picc, PICC_EXPECT_COMMAND);
}

void pn532_picc_deactivate(pn532_picc *picc)
{
	picc->last_len = 0;
	set_state(picc, PICC_EXPECT_ACTIVATION);
}

bool pn532_picc_active(const pn532_picc *picc)
{
	return picc->state != PICC_EXPECT_ACTIVATION;
}

/* ---- what the PICC sends ---- */

/* A block to send: PCB (with the CID bit when answers carry one), CID,
 * INF; kept as the last block for rule 11. */
static pn532_picc_reply send_block(pn532_picc *p, uint8_t pcb, const uint8_t *inf, size_t inf_len, uint8_t *out,
                                   size_t cap, size_t *ret_len)
{
	size_t n = 0;
	uint8_t block[PN532_PICC_BLOCK_MAX];
	block[n++] = p->reply_cid ? (uint8_t)(pcb | PCB_CID) : pcb;
	if (p->reply_cid)
		block[n++] = p->cid;
	if (n + inf_len > sizeof(block) || n + inf_len > cap)
		return PN532_PICC_SILENT;
	if (inf_len)
		memcpy(block + n, inf, inf_len);
	n += inf_len;
	memcpy(p->last, block, n);
	p->last_len = n;
	memcpy(out, block, n);
	*ret_len = n;
	return PN532_PICC_BLOCK;
}

static pn532_picc_reply send_r_ack(pn532_picc *p, uint8_t *out, size_t cap, size_t *ret_len)
{
	return send_block(p, PCB_R | p->block_number, NULL, 0, out, cap, ret_len);
}

static pn532_picc_reply send_wtx_request(pn532_picc *p, uint8_t *out, size_t cap, size_t *ret_len)
{
	uint8_t wtxm = PN532_PICC_WTXM;
	p->wtxm_sent = wtxm;
	p->stats.wtx_sent++;
	set_state(p, PICC_EXPECT_WTX_RESPONSE);
	return send_block(p, PCB_S_WTX, &wtxm, 1, out, cap, ret_len);
}

/* Rule 11: the last block again (none since activation: nothing). */
static pn532_picc_reply send_last(pn532_picc *p, uint8_t *out, size_t cap, size_t *ret_len)
{
	if (!p->last_len || p->last_len > cap)
		return PN532_PICC_SILENT;
	memcpy(out, p->last, p->last_len);
	*ret_len = p->last_len;
	if (p->last[0] == PCB_S_WTX || p->last[0] == (PCB_S_WTX | PCB_CID))
		p->stats.wtx_sent++;
	return PN532_PICC_BLOCK;
}

/* The answer, once its S(WTX) requests are out: its next I-block, chained
 * while more is left. */
static pn532_picc_reply send_answer(pn532_picc *p, uint8_t *out, size_t cap, size_t *ret_len)
{
	if (p->wtx_left) {
		p->wtx_left--;
		return send_wtx_request(p, out, cap, ret_len);
	}
	size_t left = p->resp_len - p->resp_off;
	size_t max = answer_inf_max(p, p->reply_cid);
	size_t n = left < max ? left : max;
	bool more = n < left;
	if (p->resp_off && p->card->pace)
		p->card->pace(p->ctx, n);
	uint8_t pcb = (uint8_t)(PCB_I | p->block_number | (more ? PCB_CHAINING : 0));
	pn532_picc_reply r = send_block(p, pcb, p->resp + p->resp_off, n, out, cap, ret_len);
	p->resp_off += n;
	set_state(p, more ? PICC_EXPECT_ACK : PICC_EXPECT_COMMAND);
	return r;
}

static uint64_t wait_ns(const pn532_picc *p, unsigned wtxm)
{
	return (uint64_t)(FWT_UNIT_NS * (double)(1u << p->fwi) * wtxm * WTX_LEAD);
}

/* The APDU in cmd[0..len) to the card (again: offered anew to a frozen
 * card, which asks for wtxm FWTs more if it still does not answer). */
static pn532_picc_reply run_apdu(pn532_picc *p, size_t len, bool again, unsigned wtxm, uint64_t now_ns, uint8_t *out,
                                 size_t cap, size_t *ret_len)
{
	size_t n = 0;
	pn532_picc_card_result r = p->card->exchange(p->ctx, p->cmd, len, again, p->resp, APDU_MAX_RESPONSE, &n);
	switch (r) {
	case PN532_PICC_CARD_SILENT:
		/* It took the command (its number moved on) and its answer
		 * was lost; so is every sending again (rule 11): nothing to
		 * send. */
		set_state(p, PICC_EXPECT_COMMAND);
		p->last_len = 0;
		return PN532_PICC_SILENT;
	case PN532_PICC_CARD_FROZEN:
		p->cmd_len = len;
		set_state(p, PICC_PROCESSING);
		p->frozen = true;
		p->due_ns = now_ns + wait_ns(p, wtxm);
		return PN532_PICC_LATER;
	case PN532_PICC_CARD_ANSWERED:
		break;
	}
	p->frozen = false;
	p->resp_len = n;
	p->resp_off = 0;
	return send_answer(p, out, cap, ret_len);
}

/* ---- actions, by event ---- */

typedef struct block_in {
	uint8_t pcb;
	const uint8_t *inf;
	size_t inf_len;
	uint64_t now_ns;
	uint8_t *out;
	size_t cap;
	size_t *ret_len;
} block_in;

/* The NOTE to rule D: an I-block carrying the PICC's current number is
 * not one a PCD following rules A and B sends; the card ignores it. */
static bool i_block_number_ok(const pn532_picc *p, const block_in *b)
{
	return (b->pcb & PCB_BLOCK_NUMBER) != p->block_number;
}

/* The I-block's INF added to the command coming in; false when the card
 * ignores the block (its number out of turn, the command too long). */
static bool take_command_part(pn532_picc *p, const block_in *b)
{
	if (!i_block_number_ok(p, b))
		return false;
	if (p->cmd_len + b->inf_len > APDU_MAX_COMMAND) {
		set_state(p, PICC_EXPECT_COMMAND);
		return false;
	}
	memcpy(p->cmd + p->cmd_len, b->inf, b->inf_len);
	p->cmd_len += b->inf_len;
	return true;
}

/* Rule 2: a chained I-block of a command, acknowledged R(ACK). */
static pn532_picc_reply on_command_part(pn532_picc *p, const block_in *b)
{
	if (!take_command_part(p, b))
		return PN532_PICC_SILENT;
	p->block_number ^= 1; /* rule D */
	set_state(p, PICC_EXPECT_CHAINED_I);
	return send_r_ack(p, b->out, b->cap, b->ret_len);
}

/* Rule 10: the command's last I-block; the card answers. */
static pn532_picc_reply on_command_end(pn532_picc *p, const block_in *b)
{
	if (!take_command_part(p, b))
		return PN532_PICC_SILENT;
	size_t len = p->cmd_len;
	p->cmd_len = 0;
	p->block_number ^= 1; /* rule D */
	p->wtx_left = p->wtx_count;
	return run_apdu(p, len, false, 1, b->now_ns, b->out, b->cap, b->ret_len);
}

/* Rules 11, E and 13. */
static pn532_picc_reply on_r_ack(pn532_picc *p, const block_in *b)
{
	if ((b->pcb & PCB_BLOCK_NUMBER) == p->block_number)
		return send_last(p, b->out, b->cap, b->ret_len);
	if (p->state != PICC_EXPECT_ACK)
		return PN532_PICC_SILENT;
	p->block_number ^= 1;
	return send_answer(p, b->out, b->cap, b->ret_len);
}

/* Rules 11 and 12. */
static pn532_picc_reply on_r_nak(pn532_picc *p, const block_in *b)
{
	if ((b->pcb & PCB_BLOCK_NUMBER) == p->block_number)
		return send_last(p, b->out, b->cap, b->ret_len);
	return send_r_ack(p, b->out, b->cap, b->ret_len);
}

/* §8: answered, then the card's session is over. */
static pn532_picc_reply on_deselect(pn532_picc *p, const block_in *b)
{
	if (b->inf_len)
		return PN532_PICC_SILENT;
	pn532_picc_reply r = send_block(p, PCB_S_DESELECT, NULL, 0, b->out, b->cap, b->ret_len);
	set_state(p, PICC_EXPECT_ACTIVATION);
	if (p->card->deselect)
		p->card->deselect(p->ctx);
	return r;
}

/* 7.3: the PCD's S(WTX) response, with the WTXM asked for. A frozen card
 * that woke up meanwhile answers now, else works on for WTXM FWTs. */
static pn532_picc_reply on_wtx_response(pn532_picc *p, const block_in *b)
{
	if (b->inf_len != 1 || b->inf[0] != p->wtxm_sent)
		return PN532_PICC_SILENT;
	if (p->frozen)
		return run_apdu(p, p->cmd_len, true, p->wtxm_sent, b->now_ns, b->out, b->cap, b->ret_len);
	return send_answer(p, b->out, b->cap, b->ret_len);
}

/* A frozen card at work hears nothing: what the PCD gets is its next
 * S(WTX) request, when it comes. */
static pn532_picc_reply on_busy(pn532_picc *p, const block_in *b)
{
	return pn532_picc_timer(p, b->now_ns, b->out, b->cap, b->ret_len);
}

typedef pn532_picc_reply (*picc_action)(pn532_picc *p, const block_in *b);

static const struct {
	picc_state state;
	picc_event event;
	picc_action action;
} transitions[] = {
	{ PICC_EXPECT_COMMAND, EV_I_CHAINED, on_command_part },
	{ PICC_EXPECT_COMMAND, EV_I_LAST, on_command_end },
	{ PICC_EXPECT_COMMAND, EV_R_ACK, on_r_ack },
	{ PICC_EXPECT_COMMAND, EV_R_NAK, on_r_nak },
	{ PICC_EXPECT_COMMAND, EV_S_DESELECT, on_deselect },
	{ PICC_EXPECT_CHAINED_I, EV_I_CHAINED, on_command_part },
	{ PICC_EXPECT_CHAINED_I, EV_I_LAST, on_command_end },
	{ PICC_EXPECT_CHAINED_I, EV_R_ACK, on_r_ack },
	{ PICC_EXPECT_CHAINED_I, EV_R_NAK, on_r_nak },
	{ PICC_EXPECT_CHAINED_I, EV_S_DESELECT, on_deselect },
	/* Rule 3: S-blocks go in pairs; R-blocks still recover. */
	{ PICC_EXPECT_WTX_RESPONSE, EV_S_WTX, on_wtx_response },
	{ PICC_EXPECT_WTX_RESPONSE, EV_R_ACK, on_r_ack },
	{ PICC_EXPECT_WTX_RESPONSE, EV_R_NAK, on_r_nak },
	{ PICC_EXPECT_ACK, EV_R_ACK, on_r_ack },
	{ PICC_EXPECT_ACK, EV_R_NAK, on_r_nak },
	{ PICC_EXPECT_ACK, EV_S_DESELECT, on_deselect },
	{ PICC_PROCESSING, EV_I_CHAINED, on_busy },
	{ PICC_PROCESSING, EV_I_LAST, on_busy },
	{ PICC_PROCESSING, EV_R_ACK, on_busy },
	{ PICC_PROCESSING, EV_R_NAK, on_busy },
	{ PICC_PROCESSING, EV_S_DESELECT, on_busy },
	{ PICC_PROCESSING, EV_S_WTX, on_busy },
};

/* The event a block is, counted by kind; false: no block the card knows. */
static bool classify(pn532_picc *p, uint8_t pcb, picc_event *ret)
{
	if ((pcb & PCB_I_MASK) == PCB_I) {
		p->stats.i_blocks++;
		*ret = (pcb & PCB_CHAINING) ? EV_I_CHAINED : EV_I_LAST;
		return true;
	}
	if ((pcb & PCB_R_MASK) == PCB_R) {
		p->stats.r_blocks++;
		*ret = (pcb & PCB_NAK) ? EV_R_NAK : EV_R_ACK;
		return true;
	}
	if ((pcb & PCB_S_MASK) == PCB_S) {
		p->stats.s_blocks++;
		switch (pcb & PCB_S_KIND) {
		case 0x00: *ret = EV_S_DESELECT; return true;
		case PCB_S_KIND: *ret = EV_S_WTX; return true;
		default: return false; /* S(PARAMETERS) and RFU */
		}
	}
	return false;
}

pn532_picc_reply pn532_picc_receive(pn532_picc *picc, const uint8_t *block, size_t len, uint64_t now_ns,
                                    uint8_t *out, size_t cap, size_t *ret_len)
{
	picc_event ev;
	if (len < 1 || !classify(picc, block[0], &ev) || picc->state == PICC_EXPECT_ACTIVATION)
		return PN532_PICC_SILENT;
	uint8_t pcb = block[0];
	bool has_cid = pcb & PCB_CID;
	size_t head = has_cid ? 2 : 1;
	/* 7.1.2.2: its own CID, or none when that is 0; no NAD; FSC. */
	if (len < head || (has_cid && (block[1] & CID_MASK) != picc->cid) || (!has_cid && picc->cid != 0))
		return PN532_PICC_SILENT;
	if (((pcb & PCB_I_MASK) == PCB_I && (pcb & PCB_NAD)) || len + CRC_LEN > pn532_picc_fsc_bytes(picc->fsci))
		return PN532_PICC_SILENT;
	if ((ev == EV_R_ACK || ev == EV_R_NAK) && len > head)
		return PN532_PICC_SILENT;
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		if (transitions[i].state != picc->state || transitions[i].event != ev)
			continue;
		if (picc->state != PICC_PROCESSING)
			picc->reply_cid = has_cid;
		block_in b = { pcb, block + head, len - head, now_ns, out, cap, ret_len };
		return transitions[i].action(picc, &b);
	}
	return PN532_PICC_SILENT;
}

uint64_t pn532_picc_due_ns(const pn532_picc *picc)
{
	return picc->state == PICC_PROCESSING ? picc->due_ns : 0;
}

pn532_picc_reply pn532_picc_timer(pn532_picc *picc, uint64_t now_ns, uint8_t *out, size_t cap, size_t *ret_len)
{
	if (picc->state != PICC_PROCESSING)
		return PN532_PICC_SILENT;
	uint64_t due = picc->due_ns;
	picc->wtx_left = 0;
	pn532_picc_reply r = run_apdu(picc, picc->cmd_len, true, 1, now_ns, out, cap, ret_len);
	if (r != PN532_PICC_LATER)
		return r;
	/* Still at work: run_apdu set a new deadline, the old one holds. */
	picc->due_ns = due;
	if (now_ns < due)
		return PN532_PICC_LATER;
	return send_wtx_request(picc, out, cap, ret_len);
}

/* ---- the PN532's own ISO-DEP ---- */

static size_t blocks_for(size_t len, size_t inf)
{
	return len == 0 ? 1 : (len + inf - 1) / inf;
}

void pn532_picc_pn532_exchange(pn532_picc *picc, size_t cmd_len, const uint8_t *resp, size_t resp_len)
{
	if (picc->state == PICC_EXPECT_ACTIVATION)
		return;
	set_state(picc, PICC_EXPECT_COMMAND);
	/* The PN532 sends a CID to a card that has one other than 0. */
	bool cid = picc->cid != 0;
	size_t inf_in = pn532_picc_fsc_bytes(picc->fsci) - CRC_LEN - 1 - (cid ? 1 : 0);
	size_t inf_out = answer_inf_max(picc, cid);
	size_t in_blocks = blocks_for(cmd_len, inf_in);
	size_t out_blocks = blocks_for(resp_len, inf_out);
	/* Rule D per I-block received, rule E per R(ACK) fetching the next. */
	picc->block_number ^= (uint8_t)((in_blocks + out_blocks - 1) & 1);
	size_t off = (out_blocks - 1) * inf_out;
	picc->reply_cid = cid;
	uint8_t scratch[PN532_PICC_BLOCK_MAX];
	size_t n = 0;
	send_block(picc, (uint8_t)(PCB_I | picc->block_number), resp + off, resp_len - off, scratch, sizeof(scratch), &n);
}

void pn532_picc_stats_get(const pn532_picc *picc, pn532_picc_stats *ret)
{
	*ret = picc->stats;
}
