/*
 * pn532 — an NXP PN532 contactless reader IC as its host sees it over the
 * high-speed UART (NXP UM0701-02, the PN532 user manual): the frame codec
 * and the command interpreter, with the virtual passport (devices/vpass)
 * as the card in its field. appm-pn532 (main.c) puts this on a
 * pseudo-terminal so that libnfc's real pn532_uart driver can talk to it.
 *
 * Frames, host to chip and back (TFI D4 towards the chip, D5 back):
 *   normal     00 00 FF LEN LCS TFI PD0..PDn DCS 00     LEN = 1 + n + 1
 *   extended   00 00 FF FF FF LENM LENL LCS TFI ... DCS 00
 *   ACK        00 00 FF 00 FF 00        (chip: command taken; host: abort)
 *   NACK       00 00 FF FF 00 00        (host: send the last answer again)
 *   error      00 00 FF 01 FF 7F 81 00  (chip: syntax error in the command)
 * LEN + LCS and TFI + PD0..PDn + DCS are 0 modulo 256. Bytes before a start
 * code (the 55 55 00 ... wake-up preamble) are skipped.
 *
 * The chip answers: Diagnose (communication test, card presence),
 * GetFirmwareVersion (PN532 v1.6, ISO 14443 A and B), GetGeneralStatus,
 * ReadRegister / WriteRegister (a register file that remembers),
 * SetParameters, SAMConfiguration, PowerDown, RFConfiguration,
 * SetSerialBaudRate (the HSU's new speed, after the answer), InListPassiveTarget
 * (one ISO 14443-4 target, type A at 106 kbit/s with ATS, or type B with
 * ATTRIB, activated at 106 kbit/s), InPSL (a type A target's bit rate
 * raised to 212 or 424 kbit/s when its ATS's TA(1) offers it; the
 * virtual card's link model charges that rate), InDataExchange (APDUs to
 * the card, response chaining with the MI bit, host chaining likewise),
 * InCommunicateThru (raw ISO 14443-4 blocks, to which the card answers
 * as the PICC of the block protocol: picc.h), InSelect, InDeselect,
 * InRelease. Anything else is a syntax error.
 *
 * The serial line (serial.c) is an optional timing model of the UART
 * between host and chip, so that a pseudo-terminal, which passes bytes at
 * once, takes the time a real line would.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pn532/picc.h"
#include "devices/vpass/vpass.h"

/* ---- frames ---- */

/* Largest information frame body (TFI + command + data) either side sends:
 * the PN532's own buffer. */
#define PN532_FRAME_MAX_BODY 265
/* Largest whole frame on the wire (extended: 8 bytes header, DCS, 00). */
#define PN532_FRAME_MAX_WIRE (PN532_FRAME_MAX_BODY + 10)
/* Data bytes of one InDataExchange answer after the status byte. */
#define PN532_EXCHANGE_MAX 262

#define PN532_TFI_HOST 0xD4
#define PN532_TFI_CHIP 0xD5

extern const uint8_t pn532_ack_frame[6];
extern const uint8_t pn532_error_frame[8];

typedef enum pn532_frame_kind {
	PN532_FRAME_INCOMPLETE = 0, /* more bytes needed */
	PN532_FRAME_INFO,           /* an information frame: body/body_len */
	PN532_FRAME_ACK,
	PN532_FRAME_NACK,
	PN532_FRAME_BAD,            /* checksum or length wrong: dropped */
} pn532_frame_kind;

/* The decoder's states, named for what they wait on. */
typedef enum pn532_decoder_state {
	PN532_EXPECT_START,     /* 00 FF */
	PN532_EXPECT_LEN,
	PN532_EXPECT_LCS,
	PN532_EXPECT_EXT_LENM,
	PN532_EXPECT_EXT_LENL,
	PN532_EXPECT_EXT_LCS,
	PN532_EXPECT_BODY,
	PN532_EXPECT_DCS,
} pn532_decoder_state;

typedef struct pn532_decoder {
	pn532_decoder_state state;
	bool after_zero;       /* the previous byte was 00 (start code half) */
	uint8_t len, lenm;     /* length bytes as read */
	size_t need;           /* body bytes still to come */
	size_t body_len;
	uint8_t body[PN532_FRAME_MAX_BODY];
} pn532_decoder;

void pn532_decoder_init(pn532_decoder *d);
/* Consume bytes until one frame completes or the input ends; *ret_used
 * says how many were taken. With PN532_FRAME_INFO the frame (TFI first)
 * is in d->body until the next call. */
pn532_frame_kind pn532_decoder_feed(pn532_decoder *d, const uint8_t *in, size_t len, size_t *ret_used);

/* Build an information frame (normal, or extended past 254 body bytes)
 * with the given TFI; returns its length, or 0 if it does not fit. */
size_t pn532_frame_build(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out, size_t cap);

/* ---- the chip ---- */

typedef enum pn532_card_type {
	PN532_CARD_A, /* ISO 14443-4 type A: SENS_RES, SEL_RES 20, ATS */
	PN532_CARD_B, /* ISO 14443-4 type B: ATQB, ATTRIB */
} pn532_card_type;

typedef struct pn532_stats {
	unsigned long frames;          /* information frames answered */
	unsigned long apdus;           /* APDUs relayed to the card */
	unsigned long extended_apdus;  /* ...of which extended-length ones */
	size_t max_command;            /* longest APDU relayed */
	size_t max_response;           /* longest card answer */
	unsigned long selects;         /* targets activated */
	unsigned bit_rate_kbps;        /* the bit rate the link model charges the last
	                                * target activated at (0: none yet) */
	unsigned long pps_refused;     /* InPSL the card did not answer */
	unsigned long i_blocks;        /* ISO 14443-4 blocks received over InCommunicateThru, */
	unsigned long r_blocks;        /* by kind (ignored ones included) */
	unsigned long s_blocks;
	unsigned long wtx_sent;        /* S(WTX) requests the card sent */
	unsigned long thru_timeout_us; /* InCommunicateThru's time-out for the card's
	                                * answer (RFConfiguration item 02); 0: none */
} pn532_stats;

typedef struct pn532_chip pn532_chip;

pn532_chip *pn532_chip_new(void);
void pn532_chip_free(pn532_chip *chip);

/* The card in the field (not owned; NULL: none). Placing a card powers it
 * up afresh; a target activated before is lost. */
void pn532_chip_set_card(pn532_chip *chip, vpass_card *card, pn532_card_type type);
vpass_card *pn532_chip_card(const pn532_chip *chip);
bool pn532_chip_target_active(const pn532_chip *chip);
/* True while the chip sleeps after PowerDown. */
bool pn532_chip_asleep(const pn532_chip *chip);
void pn532_chip_stats(const pn532_chip *chip, pn532_stats *ret);
/* TA(1) of the ATS the type A card sends (default 77: 212, 424 and 848
 * kbit/s each way): the rates it accepts in InPSL's PPS, the others left
 * unanswered (00: 106 only). Applies from the next activation's ATS. */
void pn532_chip_set_ats_ta1(pn532_chip *chip, uint8_t ta1);
/* The card's side of the ISO 14443-4 block protocol over InCommunicateThru
 * (owned by the chip): its options fsc, wtx and chain are set there. */
pn532_picc *pn532_chip_picc(pn532_chip *chip);
/* A card that answers no PPS at all, whatever its ATS offers. */
void pn532_chip_set_pps_mute(pn532_chip *chip, bool mute);
/* A card that takes the PPS's rate but whose answer is lost: the PN532
 * reports a time-out and stays at the old rate, the card at the new, deaf
 * to each other (no target found, no answer) until the field goes off. */
void pn532_chip_set_pps_lost(pn532_chip *chip, bool lost);
/* The card takes a higher rate by PPS, but then hears nothing at it (a
 * thick cover, a weak antenna): every command above 106 kbit/s is lost. */
void pn532_chip_set_slow_only(pn532_chip *chip, bool slow);
/* The HSU speed SetSerialBaudRate asked for, once; 0 when none since the
 * last call. The answer goes at the old speed, the next byte at the new. */
unsigned long pn532_chip_take_baud(pn532_chip *chip);
/* The host went away: forget targets, chaining and power state. */
void pn532_chip_host_reset(pn532_chip *chip);

/* One command (body without TFI: command code first) in, the answer
 * (code + 1 first) out. False: a syntax error, to be answered with
 * pn532_error_frame. True with *ret_len 0: no answer for now, the card is
 * frozen (pn532_chip_held). */
bool pn532_chip_command(pn532_chip *chip, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *ret_len);
/* An InDataExchange or InCommunicateThru waits for a frozen card. */
bool pn532_chip_held(const pn532_chip *chip);
/* When the held InCommunicateThru is to be answered (the frozen card's
 * next S(WTX) request; monotonic clock, ns): call pn532_chip_resume then.
 * 0: no deadline (nothing held, or an InDataExchange, held until the card
 * wakes or leaves). */
uint64_t pn532_chip_due_ns(const pn532_chip *chip);
/* The host aborted the command in progress (an ACK frame). */
void pn532_chip_abort(pn532_chip *chip);
/* Offer the held command to the card again (it woke up, or left; or, for
 * InCommunicateThru, its next S(WTX) request is due): true with the late
 * answer; false while it is still frozen or none is held. */
bool pn532_chip_resume(pn532_chip *chip, uint8_t *resp, size_t cap, size_t *ret_len);

/* ---- the serial line ---- */

/* The host interface as a UART, 8N1: a start bit, 8 data bits, a stop bit,
 * so 10 bit times a byte. */
#define PN532_UART_BITS_PER_BYTE 10
/* The HSU's speed after reset: 115200 baud (PN532 user manual UM0701-02,
 * the high-speed UART's default; SetSerialBaudRate changes it). libnfc's
 * pn532_uart driver opens its port at this speed. */
#define PN532_HSU_DEFAULT_BAUD 115200
/* The fastest HSU speed the chip offers (SetSerialBaudRate 08). */
#define PN532_HSU_MAX_BAUD 1288000

typedef enum pn532_direction {
	PN532_TO_HOST,   /* the chip's TX line */
	PN532_FROM_HOST, /* the chip's RX line */
} pn532_direction;

/* One direction of the line. Bytes follow each other back to back from
 * the start of a burst while the wire stays busy; a wire that fell idle
 * starts a new burst. Each deadline is computed from the burst's start
 * and its whole byte count, so rounding never adds up. */
typedef struct pn532_wire {
	uint64_t burst_start_ns;        /* monotonic clock */
	unsigned long long burst_bytes;
	unsigned long long total_bytes; /* charged since pn532_line_init */
} pn532_wire;

typedef struct pn532_line {
	unsigned long baud; /* 0: no model, bytes pass at once (still counted) */
	pn532_wire wire[2]; /* by pn532_direction */
	double past_seconds;            /* modelled time of the bytes before the */
	unsigned long long past_bytes;  /* last speed change, and their count */
} pn532_line;

void pn532_line_init(pn532_line *l, unsigned long baud);
/* The chip's HSU changes speed (SetSerialBaudRate): bytes from now on are
 * charged at baud. Nothing changes without a model (baud 0 either side). */
void pn532_line_set_baud(pn532_line *l, unsigned long baud);
/* The HSU's speeds by SetSerialBaudRate's code 00..08 (UM0701-02):
 * 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000. */
#define PN532_HSU_SPEEDS 9
extern const unsigned long pn532_hsu_speeds[PN532_HSU_SPEEDS];
/* Whether baud is one of them. */
bool pn532_hsu_speed(unsigned long baud);
/* How long n bytes keep a wire busy at baud, in nanoseconds, rounded up
 * (0 when baud is 0). */
uint64_t pn532_line_ns(unsigned long baud, unsigned long long n);
/* n bytes handed to one direction at now_ns: returns the time their last
 * bit has crossed the line (now_ns without a model). */
uint64_t pn532_line_charge(pn532_line *l, pn532_direction dir, uint64_t now_ns, size_t n);
/* Modelled time of every byte charged, both directions, in seconds
 * (0 without a model). */
double pn532_line_seconds(const pn532_line *l);
