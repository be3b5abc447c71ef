/*
 * isodep — the reader's (PCD's) side of the ISO/IEC 14443-4 half-duplex
 * block transmission protocol (part 4 §7), for a reader whose own firmware
 * would otherwise run it with too small a buffer: the PN53x carries at
 * most 262 bytes each way in one InDataExchange, and libnfc 1.8 gathers
 * the pieces of a longer answer into a buffer of 264 bytes, so through
 * InDataExchange only short APDUs pass. Through InCommunicateThru (libnfc
 * with NP_EASY_FRAMING off) the PN53x sends and receives one frame as
 * given, adding and checking CRC_A; this module makes the frames, so an
 * extended-length APDU (a whole 20 KB data group in one READ BINARY) goes
 * to the chip and comes back chained in frames of FSC and FSD bytes, with
 * one command's processing time on the chip instead of one per 231 bytes.
 *
 * What it does (part 4, 7.1 to 7.5):
 *   - Blocks: I-block PCB 0x02 | chaining 0x10 | block number 0x01;
 *     R(ACK) 0xA2, R(NAK) 0xB2 | block number; S(WTX) 0xF2 with one INF
 *     byte (b6..b1 WTXM 1..59, b8..b7 the chip's power level, 00 in the
 *     response); S(DESELECT) 0xC2. Without NAD; with a CID byte when the
 *     activation gave the chip a CID other than 0 (the PN532's ATTRIB
 *     gives a type B chip CID 1), without one otherwise (a chip takes a
 *     block without CID as CID 0, §7.1.1.2); a CID or NAD byte in a
 *     received block is skipped.
 *   - Chaining (7.5.2): a command longer than one frame (FSC - 3: PCB and
 *     CRC_A) goes in chained I-blocks, each acknowledged by the chip's
 *     R(ACK); the chip's chained answer is collected, each I-block
 *     acknowledged with an R(ACK).
 *   - Block numbers: rule A (0 at activation: pp_isodep_reset), rule B
 *     (toggled on an I-block or R(ACK) with the current number).
 *   - Waiting time extension (7.3): an S(WTX) request is answered with the
 *     same WTXM, and the next frame is waited for FWT x WTXM (4.949 s at
 *     most, FWI 14) instead of FWT. A reader that stops listening sooner
 *     (reader_wait_max_ms: the PN53x's 3.28 s) asks again with an R(NAK)
 *     until the chip's time is up: a chip still at work does not take it,
 *     one that is done sends its block again (rule 11); not a recovery.
 *   - Type B: a command longer than MBL (ISO/IEC 14443-3, the answer to
 *     ATTRIB) is refused (PP_ERR_NOT_SUPPORTED), not sent.
 *   - Errors (7.5.5): a frame lost (no answer within the wait, or CRC or
 *     parity broken) or invalid (an unknown PCB, a block number out of
 *     turn, an R(NAK) from the chip) is met with an R(NAK) (rule 4), or,
 *     while the chip is chaining its answer, an R(ACK) (rule 5); an R(ACK)
 *     with the other number makes the last I-block go again (rule 6).
 *     RETRIES of these in a row and the exchange is lost (PP_ERR_TIMEOUT,
 *     "no answer": the transport core then tells a removal apart).
 * Not done: NAD, CID numbers other than 0 (one chip in the field), the
 * chip's power level indication (ignored), S(PARAMETERS) (part 4 §9,
 * optional, for frames beyond 256 bytes and rates beyond 848).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"

/* Error recoveries (R(NAK), R(ACK) again, an I-block again) in a row
 * before an exchange is given up: EMV contactless and ISO/IEC 14443-4
 * readers commonly make two. */
#define PP_ISODEP_RETRIES 2
/* The longest frame waiting time, FWI 14 (part 4, 7.2): 4949.0 ms, rounded up. */
#define PP_ISODEP_FWT_MAX_MS 4950

/* The largest frame received, without CRC_A: the PN53x's 264-byte
 * buffer (a chip sends no more than the FSD its reader announced). */
#define PP_ISODEP_FRAME_CAP 264

/* One frame out, the chip's frame back: out is PCB [INF] (CRC_A is the
 * reader's), in gets PCB [CID] [NAD] [INF]. wait_ms: how long the chip may
 * take to start its answer (FWT, or FWT x WTXM); limit_ms: what is left of
 * the exchange's deadline, which the reader's own wait must not outlast.
 * PP_OK with a frame; PP_ERR_TIMEOUT when no whole frame came (none within
 * wait_ms, a CRC or parity error): the protocol's own recovery follows;
 * any other error ends the exchange with it. */
typedef pp_err (*pp_isodep_frame_fn)(void *user, const uint8_t *out, size_t out_len, uint8_t *in, size_t cap,
                                     size_t *ret_len, unsigned wait_ms, long limit_ms);

typedef struct pp_isodep {
	size_t fsc;             /* the chip's largest frame, CRC_A included (16..4096) */
	size_t frame_max;       /* the reader's largest frame without CRC_A, each way */
	unsigned fwt_ms;        /* the chip's frame waiting time, rounded up */
	uint8_t block_number;   /* the PCD's current one (rule A: 0 at activation) */
	uint8_t cid;            /* the chip's CID; 0: blocks carry none */
	size_t mbl;             /* type B: the longest chained command the chip takes
	                         * (MBL, from ATTRIB's answer); 0: not said */
	unsigned reader_wait_max_ms; /* the reader's longest wait for a frame; 0: none */
	/* counters since the last reset */
	unsigned long frames, wtx, recoveries;
} pp_isodep;

/* Parameters from a type A chip's ATS as libnfc keeps it (without TL: T0,
 * then TA(1) TB(1) TC(1) as T0 announces them; part 4 §5.2): FSC from
 * T0's FSCI (2, 32 bytes, without an ATS), FWT from TB(1)'s FWI (4 without
 * TB(1)). frame_max: the reader's own limit. Block number 0. */
void pp_isodep_init_ats(pp_isodep *d, const uint8_t *ats, size_t ats_len, size_t frame_max);
/* The same from a type B chip's ATQB protocol info (3 bytes: bit rates;
 * Max_Frame_Size b8..b5 and protocol type; FWI b8..b5, ADC, FO; part 3
 * §7.9.4) and the first byte of its answer to ATTRIB (MBLI b8..b5, the
 * CID it was given b4..b1). */
void pp_isodep_init_atqb(pp_isodep *d, const uint8_t protocol_info[3], uint8_t attrib_res, size_t frame_max);
/* A new activation of the same chip (rule A): block number 0, counters 0. */
void pp_isodep_reset(pp_isodep *d);

/* FSC in bytes for an FSCI (part 4, table 1: 16 .. 256, and 512 .. 4096
 * for 9 .. C; an RFU value counts as 256). */
size_t pp_isodep_fsc(unsigned fsci);
/* FWT in ms, rounded up, for an FWI (FWI 15 is RFU and read as 4). */
unsigned pp_isodep_fwt_ms(unsigned fwi);

/* One APDU of any length, chained as needed; the answer (data + SW1 SW2)
 * into resp. deadline_ms bounds the whole exchange (waiting time
 * extensions included): past it, PP_ERR_UNRESPONSIVE. An answer longer
 * than cap: PP_ERR_COMM. */
pp_err pp_isodep_transceive(pp_isodep *d, pp_isodep_frame_fn frame, void *user, const uint8_t *cmd, size_t len,
                            uint8_t *resp, size_t cap, size_t *ret_len, long deadline_ms);
