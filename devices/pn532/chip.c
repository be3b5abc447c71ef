/*
 * chip — the PN532's command interpreter (see pn532.h for the commands):
 * what the firmware keeps between commands (registers, parameters, RF
 * settings, power state, the activated target, chaining buffers) and how
 * it answers, with the virtual passport as the only card in its field.
 *
 * The PN532 runs the ISO 14443-4 block protocol itself, so InDataExchange
 * carries whole APDUs; an answer longer than one frame comes back in
 * pieces marked MI (bit 6 of the status byte), each fetched by an
 * InDataExchange with no data, and the host may chain a long command the
 * same way (MI in the target byte).
 *
 * A frozen card (its freeze_after option) gets an APDU and never answers,
 * as a card that keeps asking for more waiting time: the InDataExchange is
 * held, unanswered, until the host aborts it (an ACK frame, or any next
 * command), the card wakes up (pn532_chip_resume answers it late) or it
 * leaves the field (the PN532's time-out status).
 *
 * InCommunicateThru carries raw ISO 14443-4 blocks, answered by the card's
 * side of that protocol, picc.c; a frozen card's S(WTX) requests there
 * come one per waiting time, the command held until pn532_chip_due_ns.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "crypto/apdu.h"
#include "devices/pn532/answer.h"
#include "devices/pn532/pn532.h"
#include "devices/pn532/pps.h"

/* Command codes (UM0701-02 §7). */
#define CMD_DIAGNOSE             0x00
#define CMD_GET_FIRMWARE_VERSION 0x02
#define CMD_GET_GENERAL_STATUS   0x04
#define CMD_READ_REGISTER        0x06
#define CMD_WRITE_REGISTER       0x08
#define CMD_SET_SERIAL_BAUD_RATE 0x10
#define CMD_SET_PARAMETERS       0x12
#define CMD_SAM_CONFIGURATION    0x14
#define CMD_POWER_DOWN           0x16
#define CMD_RF_CONFIGURATION     0x32
#define CMD_IN_DATA_EXCHANGE     0x40
#define CMD_IN_COMMUNICATE_THRU  0x42
#define CMD_IN_DESELECT          0x44
#define CMD_IN_LIST_PASSIVE      0x4A
#define CMD_IN_PSL               0x4E
#define CMD_IN_RELEASE           0x52
#define CMD_IN_SELECT            0x54

/* Status bytes (UM0701-02 table 11). */
#define ST_OK              0x00
#define ST_TIMEOUT         0x01 /* the target did not answer */
#define ST_INVALID_PARAM   0x10
#define ST_WRONG_CONTEXT   0x27 /* command not acceptable now */
#define ST_MI              0x40 /* more information follows */

/* SetParameters flags. */
#define PARAM_AUTO_RATS 0x10

/* The CID each type of card gets at activation: type A 0 (the PN532's
 * RATS), type B 1 (its ATTRIB; libnfc's presence check for a PN532 sends
 * its R(NAK) with CID 1). And the FWI each announces: the ATS's TB(1)
 * (0x91), the ATQB's protocol info (0x81). */
#define CID_A 0
#define CID_B 1
#define FWI_A 9
#define FWI_B 8

/* InListPassiveTarget baud rate / modulation. */
#define BRTY_A_106 0x00
#define BRTY_B_106 0x03

/* Firmware: PN532, version 1.6, supports ISO 14443 A, B and ISO 18092. */
static const uint8_t firmware[] = { 0x32, 0x01, 0x06, 0x07 };

struct pn532_chip {
	uint8_t regs[0x10000];
	uint8_t parameters;
	uint8_t sam_mode;
	bool field_on;
	bool asleep;
	uint8_t last_error;
	uint8_t max_retry_passive;

	vpass_card *card;
	pn532_card_type type;
	uint8_t uid[4];           /* type A NFCID1 / type B PUPI, per placement */
	bool target;              /* a target is activated (Tg 1) */
	uint8_t ats_ta1;          /* TA(1) of the type A card's ATS */
	bool pps_mute;            /* the card does not answer a PPS */
	bool pps_lost;            /* it takes the rate, its answer lost */
	bool deaf;                /* ... and since then at a rate the PN532 is not */
	bool slow_only;           /* its frames above 106 kbit/s are lost */
	bool pps_allowed;         /* PPS only as the first request after the ATS */
	unsigned rate_kbps;       /* the last target's bit rate (InPSL), 0: none yet */
	unsigned long new_baud;   /* SetSerialBaudRate's speed, once its answer has gone */

	uint8_t *cmd_chain;       /* host-chained command so far */
	size_t cmd_chain_len;
	size_t held_len;          /* a frozen card's APDU, in cmd_chain, unanswered */
	uint8_t *resp_chain;      /* card answer still to hand out */
	size_t resp_chain_len, resp_chain_off;

	pn532_picc *picc;         /* the card's ISO 14443-4 side, for InCommunicateThru */
	bool thru_held;           /* an InCommunicateThru waits for a frozen card's next block */
	uint64_t thru_timeout_ns; /* RFConfiguration item 02's fRetryTimeout; 0: none */
	uint64_t thru_deadline_ns; /* when the held InCommunicateThru times out; 0: never */

	pn532_stats stats;
};

static pn532_picc_card_result picc_card_exchange(void *ctx, const uint8_t *apdu, size_t len, bool again,
                                                 uint8_t *resp, size_t cap, size_t *ret_len);
static void picc_card_deselect(void *ctx);
static void picc_card_pace(void *ctx, size_t bytes);

static const pn532_picc_card picc_card = {
	.exchange = picc_card_exchange,
	.deselect = picc_card_deselect,
	.pace = picc_card_pace,
};

pn532_chip *pn532_chip_new(void)
{
	pn532_chip *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cmd_chain = malloc(APDU_MAX_COMMAND);
	c->resp_chain = malloc(APDU_MAX_RESPONSE);
	c->picc = pn532_picc_new(&picc_card, c);
	if (!c->cmd_chain || !c->resp_chain || !c->picc) {
		pn532_chip_free(c);
		return NULL;
	}
	/* CIU registers with their reset values where libnfc reads them. */
	c->regs[0x6302] = 0x80; /* CIU_TxMode: CRC on */
	c->regs[0x6303] = 0x80; /* CIU_RxMode: CRC on */
	c->regs[0x633C] = 0x10; /* CIU_Control: initiator */
	c->sam_mode = 0x01;
	c->max_retry_passive = 0xFF;
	c->ats_ta1 = TA1_DEFAULT;
	return c;
}

void pn532_chip_free(pn532_chip *chip)
{
	if (!chip)
		return;
	free(chip->cmd_chain);
	free(chip->resp_chain);
	pn532_picc_free(chip->picc);
	free(chip);
}

static void drop_target(pn532_chip *c)
{
	c->target = false;
	c->cmd_chain_len = 0;
	c->held_len = 0;
	c->thru_held = false;
	c->resp_chain_len = c->resp_chain_off = 0;
	pn532_picc_deactivate(c->picc);
}

/* A random UID (ISO 14443-3, 6.5.4: 08 and three random bytes for type A;
 * a random PUPI for type B), drawn at each power-up, as e-passports do. */
static void draw_uid(pn532_chip *c)
{
	if (RAND_bytes(c->uid, sizeof(c->uid)) != 1)
		memset(c->uid, 0x5A, sizeof(c->uid));
	if (c->type == PN532_CARD_A)
		c->uid[0] = 0x08;
}

void pn532_chip_set_card(pn532_chip *chip, vpass_card *card, pn532_card_type type)
{
	drop_target(chip);
	chip->card = card;
	chip->type = type;
	draw_uid(chip);
	if (card) {
		vpass_card_insert(card);
		vpass_card_reset(card);
	}
}

vpass_card *pn532_chip_card(const pn532_chip *chip)
{
	return chip->card;
}

bool pn532_chip_target_active(const pn532_chip *chip)
{
	return chip->target;
}

bool pn532_chip_asleep(const pn532_chip *chip)
{
	return chip->asleep;
}

void pn532_chip_stats(const pn532_chip *chip, pn532_stats *ret)
{
	*ret = chip->stats;
	ret->bit_rate_kbps = chip->rate_kbps;
	ret->thru_timeout_us = (unsigned long)(chip->thru_timeout_ns / 1000);
	pn532_picc_stats ps;
	pn532_picc_stats_get(chip->picc, &ps);
	ret->i_blocks = ps.i_blocks;
	ret->r_blocks = ps.r_blocks;
	ret->s_blocks = ps.s_blocks;
	ret->wtx_sent = ps.wtx_sent;
}

pn532_picc *pn532_chip_picc(pn532_chip *chip)
{
	return chip->picc;
}

void pn532_chip_set_ats_ta1(pn532_chip *chip, uint8_t ta1)
{
	chip->ats_ta1 = ta1;
}

void pn532_chip_set_pps_mute(pn532_chip *chip, bool mute)
{
	chip->pps_mute = mute;
}

void pn532_chip_set_pps_lost(pn532_chip *chip, bool lost)
{
	chip->pps_lost = lost;
}

void pn532_chip_set_slow_only(pn532_chip *chip, bool slow)
{
	chip->slow_only = slow;
}

unsigned long pn532_chip_take_baud(pn532_chip *chip)
{
	unsigned long b = chip->new_baud;
	chip->new_baud = 0;
	return b;
}

void pn532_chip_host_reset(pn532_chip *chip)
{
	drop_target(chip);
	chip->asleep = false;
	chip->field_on = false;
	chip->parameters = 0;
	if (chip->card)
		vpass_card_reset(chip->card);
}

static bool card_in_field(const pn532_chip *c)
{
	return c->card && vpass_card_present(c->card) && !c->deaf;
}

/* ---- commands ---- */

static bool diagnose(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n < 1)
		return false;
	switch (p[0]) {
	case 0x00: /* communication line test: echo the test number and data */
		return put(a, p, n);
	case 0x06: /* card presence */
		if (!c->target)
			return put1(a, ST_WRONG_CONTEXT);
		return put1(a, card_in_field(c) && pn532_picc_active(c->picc) ? ST_OK : ST_TIMEOUT);
	case 0x01: /* ROM test */
	case 0x02: /* RAM test */
	case 0x07: /* antenna test */
		return put1(a, ST_OK);
	default:
		return false;
	}
}

static bool general_status(pn532_chip *c, answer *a)
{
	uint8_t st[] = { c->last_error, c->field_on ? 1 : 0, c->target ? 1 : 0 };
	if (!put(a, st, sizeof(st)))
		return false;
	if (c->target) {
		uint8_t tg[] = { 0x01, 0x00, 0x00, c->type == PN532_CARD_A ? 0x00 : 0x03 };
		if (!put(a, tg, sizeof(tg)))
			return false;
	}
	return put1(a, 0x00); /* SAM status */
}

static bool read_register(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n == 0 || n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2)
		if (!put1(a, c->regs[((size_t)p[i] << 8) | p[i + 1]]))
			return false;
	return true;
}

static bool write_register(pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n == 0 || n % 3)
		return false;
	for (size_t i = 0; i < n; i += 3)
		c->regs[((size_t)p[i] << 8) | p[i + 1]] = p[i + 2];
	return true;
}

/* The card loses power when the field goes: its session is gone, and its
 * UID with it. */
static void field(pn532_chip *c, bool on)
{
	if (c->field_on && !on) {
		c->deaf = false; /* powered up again at 106 */
		draw_uid(c);
		drop_target(c);
		if (c->card)
			vpass_card_reset(c->card);
	}
	c->field_on = on;
}

static bool rf_configuration(pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n < 1)
		return false;
	static const struct {
		uint8_t item;
		size_t len;
	} items[] = { { 0x01, 1 }, { 0x02, 3 }, { 0x04, 1 }, { 0x05, 3 },
		      { 0x0A, 11 }, { 0x0B, 8 }, { 0x0C, 3 }, { 0x0D, 9 } };
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (items[i].item != p[0])
			continue;
		if (n - 1 != items[i].len)
			return false;
		if (p[0] == 0x01)
			field(c, p[1] & 0x01);
		else if (p[0] == 0x05)
			c->max_retry_passive = p[3];
		else if (p[0] == 0x02) /* n: 100 us x 2^(n-1), 0 none, 0x10 most */
			c->thru_timeout_ns = p[3] ? 100000ULL << ((p[3] > 0x10 ? 0x10 : p[3]) - 1) : 0;
		return true;
	}
	return false;
}

/* Type A: Tg, SENS_RES (2), SEL_RES, NFCID1 length, NFCID1, ATS if RATS
 * is automatic. The ATS: TL, T0 (TA TB TC follow, FSCI: 8 = 256 bytes
 * unless set_fsci),
 * TA(1) (ats_ta1; by default every rate up to 848 each way), TB (FWI 9,
 * SFGI 1), TC (CID). */
static bool target_a(pn532_chip *c, answer *a)
{
	const uint8_t ats[] = { 0x05, (uint8_t)(0x70 | pn532_picc_fsci(c->picc)), c->ats_ta1, 0x91, 0x02 };
	uint8_t head[] = { 0x01, 0x00, 0x04, 0x20, sizeof(c->uid) };
	if (!put(a, head, sizeof(head)) || !put(a, c->uid, sizeof(c->uid)))
		return false;
	return (c->parameters & PARAM_AUTO_RATS) ? put(a, ats, sizeof(ats)) : true;
}

/* Type B: Tg, ATQB (50, PUPI, application data, protocol info), ATTRIB_RES
 * length and ATTRIB_RES (MBLI 0, the CID the PN532 gave, CID_B). The
 * application data and protocol info are the ones the chip reports in its
 * ATR's historical bytes, with set_fsci's Max_Frame_Size (the protocol
 * info's second byte, high nibble). */
static bool target_b(pn532_chip *c, answer *a)
{
	uint8_t atr[33];
	size_t n = vpass_card_atr(c->card, atr);
	const uint8_t *hist = atr + 4;
	size_t hist_len = atr[1] & 0x0F;
	if (n < 4 + hist_len || hist_len < 7)
		return false;
	uint8_t info[7];
	memcpy(info, hist, sizeof(info));
	info[5] = (uint8_t)((info[5] & 0x0F) | (pn532_picc_fsci(c->picc) << 4));
	uint8_t head[] = { 0x01, 0x50 };
	uint8_t tail[] = { 0x01, CID_B };
	return put(a, head, sizeof(head)) && put(a, c->uid, sizeof(c->uid)) && put(a, info, sizeof(info)) &&
	       put(a, tail, sizeof(tail));
}

static bool list_passive(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n < 2 || p[0] < 1 || p[0] > 2)
		return false;
	uint8_t brty = p[1];
	drop_target(c);
	/* The PN532 switches the field on to poll. */
	c->field_on = true;
	bool found = card_in_field(c) && ((brty == BRTY_A_106 && c->type == PN532_CARD_A) ||
	                                  (brty == BRTY_B_106 && c->type == PN532_CARD_B));
	/* Type A with InitiatorData: the UID looked for; another card is not
	 * found (a passport's random UID is gone after a power-up). */
	if (found && brty == BRTY_A_106 && n > 2)
		found = n - 2 == sizeof(c->uid) && memcmp(p + 2, c->uid, sizeof(c->uid)) == 0;
	/* With endless retries a real PN532 would wait for a card; answering
	 * "none" at once lets a host that polls keep control. */
	if (!found)
		return put1(a, 0x00);
	if (!put1(a, 0x01))
		return false;
	bool ok = c->type == PN532_CARD_A ? target_a(c, a) : target_b(c, a);
	if (ok) {
		vpass_card_reset(c->card);
		/* Activation is at 106 kbit/s; only InPSL raises it. */
		vpass_card_set_bit_rate(c->card, 106);
		if (c->type == PN532_CARD_A)
			pn532_picc_activate(c->picc, CID_A, FWI_A);
		else
			pn532_picc_activate(c->picc, CID_B, FWI_B);
		c->target = true;
		c->pps_allowed = true;
		c->rate_kbps = 106;
		c->stats.selects++;
	}
	return ok;
}

/* InPSL: Tg, BRit, BRti. The PN532 sends the card a PPS (ISO 14443-4
 * §5.3) and, when it answers, switches to the new rates. A card that does
 * not offer them (or pps_mute) stays silent: the PN532's time-out status,
 * the target still active at its old rate. The link model has one rate
 * for both ways: with two different ones it charges the slower. */
static bool psl(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n != 3)
		return false;
	if (!c->target || (p[0] & 0x3F) != 0x01 || c->type != PN532_CARD_A) {
		c->last_error = ST_WRONG_CONTEXT;
		return put1(a, ST_WRONG_CONTEXT);
	}
	if (p[1] > BR_424 || p[2] > BR_424) {
		c->last_error = ST_INVALID_PARAM;
		return put1(a, ST_INVALID_PARAM);
	}
	if (!card_in_field(c) || c->pps_mute || !c->pps_allowed || !pps_offered(c->ats_ta1, p[1], p[2])) {
		c->stats.pps_refused++;
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	}
	if (c->pps_lost) {
		c->stats.pps_refused++;
		c->deaf = true;
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	}
	c->rate_kbps = br_kbps(p[1] < p[2] ? p[1] : p[2]);
	vpass_card_set_bit_rate(c->card, c->rate_kbps);
	c->last_error = ST_OK;
	return put1(a, ST_OK);
}

static bool is_extended(const uint8_t *cmd, size_t len)
{
	return len >= 7 && cmd[4] == 0x00;
}

/* What the card made of one APDU (picc.h's words): CARD_SILENT, it left
 * the field or its answer was lost (VPASS_TIMEOUT), which the PN532
 * reports as its time-out status 01 and libnfc as NFC_ERFTRANS;
 * CARD_FROZEN, no answer yet, nor ever until it wakes up. */
typedef pn532_picc_card_result card_outcome;
#define CARD_ANSWERED PN532_PICC_CARD_ANSWERED
#define CARD_SILENT   PN532_PICC_CARD_SILENT
#define CARD_FROZEN   PN532_PICC_CARD_FROZEN

/* One APDU to the card (again: one a frozen card was offered before, not
 * counted twice), its answer in resp; the frame sizes the link model
 * charges are the PICC's (fsc, chain). */
static card_outcome card_run(pn532_chip *c, const uint8_t *cmd, size_t len, bool again, uint8_t *resp,
                             size_t cap, size_t *ret_len)
{
	if (!again) {
		c->stats.apdus++;
		c->stats.extended_apdus += is_extended(cmd, len);
		if (len > c->stats.max_command)
			c->stats.max_command = len;
	}
	size_t n = 0;
	c->pps_allowed = false;
	if (!card_in_field(c) || (c->slow_only && c->rate_kbps > 106))
		return CARD_SILENT;
	size_t to_card = 0, to_reader = 0;
	pn532_picc_frame_sizes(c->picc, &to_card, &to_reader);
	vpass_card_set_frame_sizes(c->card, to_card, to_reader);
	vpass_result r = vpass_card_process(c->card, cmd, len, resp, cap, &n);
	if (r == VPASS_FROZEN)
		return CARD_FROZEN;
	if (r != VPASS_OK)
		return CARD_SILENT;
	if (n > c->stats.max_response)
		c->stats.max_response = n;
	*ret_len = n;
	return CARD_ANSWERED;
}

/* InDataExchange's: the answer kept in resp_chain for answer_piece. */
static card_outcome card_exchange(pn532_chip *c, const uint8_t *cmd, size_t len)
{
	size_t n = 0;
	card_outcome o = card_run(c, cmd, len, false, c->resp_chain, APDU_MAX_RESPONSE, &n);
	if (o != CARD_ANSWERED)
		return o;
	c->resp_chain_len = n;
	c->resp_chain_off = 0;
	return CARD_ANSWERED;
}

/* picc.c's card: the same card, its answer in picc.c's buffer, its link
 * time charged frame by frame as the host fetches them (paced). */
static pn532_picc_card_result picc_card_exchange(void *ctx, const uint8_t *apdu, size_t len, bool again,
                                                 uint8_t *resp, size_t cap, size_t *ret_len)
{
	pn532_chip *c = ctx;
	vpass_card_set_paced(c->card, true);
	card_outcome o = card_run(c, apdu, len, again, resp, cap, ret_len);
	vpass_card_set_paced(c->card, false);
	return o;
}

static void picc_card_pace(void *ctx, size_t bytes)
{
	vpass_card_pace(((pn532_chip *)ctx)->card, bytes);
}

/* S(DESELECT) puts the card to sleep, as InDeselect does: its session is
 * over (the PN532 does not know: its target stays listed). */
static void picc_card_deselect(void *ctx)
{
	pn532_chip *c = ctx;
	if (c->card)
		vpass_card_reset(c->card);
}

/* The next piece of the card's answer, MI set while more is left. */
static bool answer_piece(pn532_chip *c, answer *a)
{
	size_t left = c->resp_chain_len - c->resp_chain_off;
	size_t n = left > PN532_EXCHANGE_MAX ? PN532_EXCHANGE_MAX : left;
	if (!put1(a, n < left ? ST_OK | ST_MI : ST_OK) || !put(a, c->resp_chain + c->resp_chain_off, n))
		return false;
	c->resp_chain_off += n;
	if (c->resp_chain_off == c->resp_chain_len)
		c->resp_chain_len = c->resp_chain_off = 0;
	return true;
}

static bool exchange_answer(pn532_chip *c, size_t len, answer *a);

static bool data_exchange(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n < 1)
		return false;
	uint8_t tg = p[0] & 0x3F;
	bool more = p[0] & ST_MI;
	if (!c->target || tg != 0x01) {
		c->last_error = ST_WRONG_CONTEXT;
		return put1(a, ST_WRONG_CONTEXT);
	}
	/* A card deselected by a raw S(DESELECT) hears nothing. */
	if (!pn532_picc_active(c->picc)) {
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	}
	/* An empty exchange while an answer is pending fetches its next piece. */
	if (n == 1 && c->resp_chain_len)
		return answer_piece(c, a);
	c->resp_chain_len = c->resp_chain_off = 0;
	if (c->cmd_chain_len + n - 1 > APDU_MAX_COMMAND) {
		c->cmd_chain_len = 0;
		c->last_error = ST_INVALID_PARAM;
		return put1(a, ST_INVALID_PARAM);
	}
	memcpy(c->cmd_chain + c->cmd_chain_len, p + 1, n - 1);
	c->cmd_chain_len += n - 1;
	if (more)
		return put1(a, ST_OK);
	size_t len = c->cmd_chain_len;
	c->cmd_chain_len = 0;
	return exchange_answer(c, len, a);
}

/* The answer to the APDU of len bytes in cmd_chain: the card's, its
 * silence (the time-out status), or none for now (held). */
static bool exchange_answer(pn532_chip *c, size_t len, answer *a)
{
	switch (card_exchange(c, c->cmd_chain, len)) {
	case CARD_FROZEN:
		c->held_len = len;
		return true;
	case CARD_SILENT:
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	case CARD_ANSWERED:
		break;
	}
	/* The PN532's own I-blocks and R(ACK)s advance the card's number. */
	pn532_picc_pn532_exchange(c->picc, len, c->resp_chain, c->resp_chain_len);
	c->last_error = ST_OK;
	return answer_piece(c, a);
}

bool pn532_chip_held(const pn532_chip *chip)
{
	return chip->held_len != 0 || chip->thru_held;
}

uint64_t pn532_chip_due_ns(const pn532_chip *chip)
{
	if (!chip->thru_held)
		return 0;
	uint64_t due = pn532_picc_due_ns(chip->picc);
	return chip->thru_deadline_ns && chip->thru_deadline_ns < due ? chip->thru_deadline_ns : due;
}

void pn532_chip_abort(pn532_chip *chip)
{
	chip->held_len = 0;
	chip->thru_held = false;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What the PICC made of a block (or of its timer): its answer, the
 * PN532's time-out for none, or the InCommunicateThru held. */
static bool thru_answer(pn532_chip *c, pn532_picc_reply r, const uint8_t *block, size_t len, answer *a)
{
	switch (r) {
	case PN532_PICC_LATER:
		c->thru_held = true;
		c->thru_deadline_ns = c->thru_timeout_ns ? monotonic_ns() + c->thru_timeout_ns : 0;
		return true;
	case PN532_PICC_SILENT:
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	case PN532_PICC_BLOCK:
		break;
	}
	c->last_error = ST_OK;
	return put1(a, ST_OK) && put(a, block, len);
}

bool pn532_chip_resume(pn532_chip *chip, uint8_t *resp, size_t cap, size_t *ret_len)
{
	if (!pn532_chip_held(chip) || cap < 1)
		return false;
	answer a = { resp, cap, 0 };
	bool ok;
	if (chip->thru_held) {
		chip->thru_held = false;
		uint8_t block[PN532_PICC_BLOCK_MAX];
		size_t n = 0;
		uint64_t now = monotonic_ns();
		/* The PN532 stops listening at its time-out: a block the card
		 * sends later is lost to it. */
		pn532_picc_reply r = chip->thru_deadline_ns && now >= chip->thru_deadline_ns &&
		                             now < pn532_picc_due_ns(chip->picc)
		                         ? PN532_PICC_SILENT
		                         : pn532_picc_timer(chip->picc, now, block, sizeof(block), &n);
		ok = put1(&a, CMD_IN_COMMUNICATE_THRU + 1) && thru_answer(chip, r, block, n, &a);
	} else {
		size_t len = chip->held_len;
		chip->held_len = 0;
		ok = put1(&a, CMD_IN_DATA_EXCHANGE + 1) && exchange_answer(chip, len, &a);
	}
	if (!ok || pn532_chip_held(chip))
		return false;
	*ret_len = a.len;
	return true;
}

/* Raw ISO 14443-4 blocks (PCB [CID] [NAD] [INF], the PN532 adding and
 * checking CRC_A), answered by the card's side of the protocol (picc.c);
 * a block it does not answer is the PN532's time-out. */
static bool communicate_thru(pn532_chip *c, const uint8_t *p, size_t n, answer *a)
{
	if (n < 1)
		return false;
	if (!c->target || !card_in_field(c)) {
		c->last_error = ST_TIMEOUT;
		return put1(a, ST_TIMEOUT);
	}
	uint8_t block[PN532_PICC_BLOCK_MAX];
	size_t len = 0;
	pn532_picc_reply r = pn532_picc_receive(c->picc, p, n, monotonic_ns(), block, sizeof(block), &len);
	return thru_answer(c, r, block, len, a);
}

bool pn532_chip_command(pn532_chip *chip, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *ret_len)
{
	if (len < 1 || cap < 1)
		return false;
	answer a = { resp, cap, 0 };
	const uint8_t *p = cmd + 1;
	size_t n = len - 1;
	bool ok;
	chip->asleep = false;
	/* The host has moved on (a frozen card stays at work). */
	chip->held_len = 0;
	chip->thru_held = false;
	chip->stats.frames++;
	put1(&a, (uint8_t)(cmd[0] + 1));
	switch (cmd[0]) {
	case CMD_DIAGNOSE:
		ok = diagnose(chip, p, n, &a);
		break;
	case CMD_GET_FIRMWARE_VERSION:
		ok = n == 0 && put(&a, firmware, sizeof(firmware));
		break;
	case CMD_GET_GENERAL_STATUS:
		ok = n == 0 && general_status(chip, &a);
		break;
	case CMD_READ_REGISTER:
		ok = read_register(chip, p, n, &a);
		break;
	case CMD_WRITE_REGISTER:
		ok = write_register(chip, p, n);
		break;
	case CMD_SET_SERIAL_BAUD_RATE:
		/* Answered at the old speed; the new one holds from then on. */
		ok = n == 1 && p[0] < PN532_HSU_SPEEDS;
		if (ok)
			chip->new_baud = pn532_hsu_speeds[p[0]];
		break;
	case CMD_SET_PARAMETERS:
		ok = n == 1;
		if (ok)
			chip->parameters = p[0];
		break;
	case CMD_SAM_CONFIGURATION:
		ok = n >= 1 && n <= 3 && p[0] >= 0x01 && p[0] <= 0x04;
		if (ok)
			chip->sam_mode = p[0];
		break;
	case CMD_POWER_DOWN:
		ok = (n == 1 || n == 2) && put1(&a, ST_OK);
		if (ok) {
			field(chip, false);
			chip->asleep = true;
		}
		break;
	case CMD_RF_CONFIGURATION:
		ok = rf_configuration(chip, p, n);
		break;
	case CMD_IN_LIST_PASSIVE:
		ok = list_passive(chip, p, n, &a);
		break;
	case CMD_IN_PSL:
		ok = psl(chip, p, n, &a);
		break;
	case CMD_IN_DATA_EXCHANGE:
		ok = data_exchange(chip, p, n, &a);
		break;
	case CMD_IN_COMMUNICATE_THRU:
		ok = communicate_thru(chip, p, n, &a);
		break;
	case CMD_IN_SELECT:
		ok = n == 1 && put1(&a, chip->target && (p[0] & 0x3F) == 0x01 ? ST_OK : ST_WRONG_CONTEXT);
		break;
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		/* DESELECT puts the card to sleep: its session is over. */
		ok = n == 1 && put1(&a, ST_OK);
		if (ok && chip->target) {
			drop_target(chip);
			if (chip->card)
				vpass_card_reset(chip->card);
		}
		break;
	default:
		ok = false;
		break;
	}
	if (!ok)
		return false;
	*ret_len = pn532_chip_held(chip) ? 0 : a.len;
	return true;
}
