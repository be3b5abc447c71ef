/*
 * picc — the virtual passport's side of the ISO/IEC 14443-4 half-duplex
 * block transmission protocol (ISO/IEC 14443-4:2016 §7 and §8), for hosts
 * that run the protocol themselves over the PN532's InCommunicateThru
 * (libnfc with NP_EASY_FRAMING off). The PN532 adds and checks CRC_A, so
 * the blocks here are PCB [CID] [NAD] [INF], without CRC; chip.c passes
 * them in and out, and the card behind runs whole APDUs.
 *
 * What is modelled:
 *   - Block format (7.1): I-blocks 0x02|BN (+0x10 chaining, +0x08 CID,
 *     +0x04 NAD), R-blocks 0xA2|BN (+0x10 NAK, +0x08 CID), S-blocks 0xC2
 *     (DESELECT) and 0xF2 (WTX, INF one byte: WTXM), +0x08 CID. The card
 *     has one CID, the one its activation gave it (type A: 0, the PN532's
 *     RATS; type B: 1, the PN532's ATTRIB, as libnfc's presence check for
 *     a PN532 assumes); a block with its CID byte is answered with the
 *     same byte, one without CID only when that CID is 0 (7.1.2.2). NAD
 *     is not supported (the ATS's TC(1), the ATQB's FO say so): a block
 *     carrying one is ignored.
 *   - Block numbering, PICC side (7.5.4.2): rule C, the number is 1 at
 *     every activation; rule D, it toggles for each I-block received
 *     before the block that answers it; rule E, it toggles for an R(ACK)
 *     with the other number. The NOTE to rule D lets a card check an
 *     I-block's number: this one does, and ignores (neither toggles nor
 *     answers) an I-block carrying its current number, which a PCD
 *     following rules A and B never sends.
 *   - Block handling (7.5.5): rule 2, each chained I-block of a command is
 *     answered R(ACK) with the PICC's number, the last one hands the
 *     whole APDU to the card; rule 10, an unchained I-block is answered
 *     by an I-block (or first by S(WTX) requests, which the standard
 *     allows in place of an I-block or R(ACK)); the answer goes out in
 *     I-blocks chained (7.5.2) in frames of at most FSD bytes (INF <= FSD
 *     - 3, - 1 more with CID), or of a shorter INF (set_chain; a card may
 *     send shorter frames), each next one asked for by an R(ACK) with the
 *     other number (rules E and 13); rule 11, an R(ACK) or R(NAK) with
 *     the PICC's current number has the last block sent again (whatever
 *     it was: I-, R(ACK) or S(WTX) request); rule 12, an R(NAK) with the
 *     other number is answered R(ACK).
 *   - Invalid blocks (7.5.6, error handling): not answered, the PICC stays in receive
 *     mode, which the PN532 reports as its time-out (status 01): an
 *     unknown PCB, a block longer than FSC (set_fsci), an I-block while
 *     the PICC sends a chain or waits for an S(WTX) response, an R(ACK)
 *     with the other number while not chaining, an S(WTX) response while
 *     none is asked for or with another WTXM, S(PARAMETERS), a block with
 *     a NAD or another CID.
 *   - S(WTX) (7.3): with set_wtx N the card sends N S(WTX) requests
 *     (WTXM 1) before the first block of each answer; each must be
 *     answered by an S(WTX) response with the same WTXM. A frozen card
 *     (vpass freeze_after) asks for time forever: once per waiting time
 *     (FWT from the activation's FWI, times WTXM; the request leaves when
 *     9/10 of it has passed, inside the limit) it sends an S(WTX)
 *     request, the host's InCommunicateThru held meanwhile
 *     (pn532_picc_due_ns, pn532_picc_timer), until the host gives up, the
 *     card wakes up (its answer then follows) or leaves. At work it hears
 *     nothing: whatever block comes then is answered by its next request.
 *   - S(DESELECT) (8): answered S(DESELECT), the card's session ends and
 *     it ignores every block until the next activation.
 *   - The PN532's own ISO-DEP (InDataExchange): pn532_picc_pn532_exchange
 *     advances the number as the PN532's blocks would (one toggle per
 *     I-block of the command at FSC, one per R(ACK) fetching the answer's
 *     next block) and remembers the answer's last I-block, so that a host
 *     mixing both ways meets the card's real number; a raw chain in
 *     progress is dropped. The PN532's own PCD number is not modelled.
 * Assumed: FSD 256 (the PN532's RATS is taken to ask FSDI 8; type B the
 * same). Not modelled: S(PARAMETERS), NAD, power level indication (the
 * CID byte's b8-b7 are sent 00), PPS (chip.c), CRC errors (the PN532
 * checks CRC), and the time S(WTX) or R-blocks take on the air (the
 * card's link model charges one exchange's I-blocks and R(ACK)s).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FSD the card assumes (see above), and its largest block without CRC. */
#define PN532_PICC_FSD 256
#define PN532_PICC_BLOCK_MAX (PN532_PICC_FSD - 2)
/* The largest FSCI / Max_Frame_Size code before ISO 14443-4:2008's
 * extension (256 bytes), what the PN532's ATS carries by default. */
#define PN532_PICC_FSCI_MAX 8
/* An S(WTX) request's WTXM (1: one more FWT). */
#define PN532_PICC_WTXM 1

/* What the card behind the PICC did with one APDU. */
typedef enum pn532_picc_card_result {
	PN532_PICC_CARD_ANSWERED,
	PN532_PICC_CARD_SILENT, /* it left the field, or its answer was lost */
	PN532_PICC_CARD_FROZEN, /* no answer yet (freeze_after) */
} pn532_picc_card_result;

/* The card behind the PICC (chip.c's). */
typedef struct pn532_picc_card {
	/* One whole command APDU; the answer (data + SW) in resp. again: the
	 * same APDU offered anew to a frozen card (not another command). */
	pn532_picc_card_result (*exchange)(void *ctx, const uint8_t *apdu, size_t len, bool again, uint8_t *resp,
	                                   size_t cap, size_t *ret_len);
	/* S(DESELECT): the card's session ends. */
	void (*deselect)(void *ctx);
	/* A later frame of an answer goes with `bytes` of it: its time on the
	 * air (the card's paced link model; may be NULL). */
	void (*pace)(void *ctx, size_t bytes);
} pn532_picc_card;

/* What the PICC sends back for a block. */
typedef enum pn532_picc_reply {
	PN532_PICC_SILENT, /* nothing: the PN532 times out (status 01) */
	PN532_PICC_BLOCK,  /* a block, in the caller's buffer */
	PN532_PICC_LATER,  /* nothing yet: pn532_picc_timer at pn532_picc_due_ns */
} pn532_picc_reply;

/* Blocks received over InCommunicateThru, by kind, and requests sent. */
typedef struct pn532_picc_stats {
	unsigned long i_blocks;
	unsigned long r_blocks;
	unsigned long s_blocks;
	unsigned long wtx_sent; /* S(WTX) requests sent (retransmissions included) */
} pn532_picc_stats;

typedef struct pn532_picc pn532_picc;

/* ---- life ---- */

pn532_picc *pn532_picc_new(const pn532_picc_card *card, void *ctx);
void pn532_picc_free(pn532_picc *picc);

/* ---- options (chip.c's set_* and appm-pn532's "set") ---- */

/* FSCI 0..8: FSC 16, 24, 32, 40, 48, 64, 96, 128, 256 bytes (the ATS's T0
 * low nibble, the ATQB's Max_Frame_Size); default 8. */
void pn532_picc_set_fsci(pn532_picc *picc, unsigned fsci);
unsigned pn532_picc_fsci(const pn532_picc *picc);
/* FSC in bytes for an FSCI (0..8; anything above is taken as 8). */
size_t pn532_picc_fsc_bytes(unsigned fsci);
/* S(WTX) requests before each answer (0: none, the default). */
void pn532_picc_set_wtx(pn532_picc *picc, unsigned count);
/* Most INF bytes in each I-block of an answer (0: as many as FSD allows). */
void pn532_picc_set_chain(pn532_picc *picc, size_t inf_max);
/* The largest frame each way, CRC included, as the link model charges it:
 * FSC towards the card, what the card sends back (FSD, or less with
 * set_chain); 0 both when neither option changes the defaults. */
void pn532_picc_frame_sizes(const pn532_picc *picc, size_t *ret_to_card, size_t *ret_to_reader);

/* ---- activation ---- */

/* The card is activated (RATS or ATTRIB answered): block number 1, no
 * chain, cid its CID, fwi the FWI it announced (its frame waiting time). */
void pn532_picc_activate(pn532_picc *picc, uint8_t cid, unsigned fwi);
/* Field off, InDeselect, InRelease, another card: nothing is answered
 * until the next activation. */
void pn532_picc_deactivate(pn532_picc *picc);
/* False before activation and after S(DESELECT). */
bool pn532_picc_active(const pn532_picc *picc);

/* ---- blocks ---- */

/* One block from the PCD (PCB first, no CRC) at now_ns (monotonic). With
 * PN532_PICC_BLOCK the answer is in out (cap at least
 * PN532_PICC_BLOCK_MAX), its length in *ret_len. */
pn532_picc_reply pn532_picc_receive(pn532_picc *picc, const uint8_t *block, size_t len, uint64_t now_ns,
                                    uint8_t *out, size_t cap, size_t *ret_len);
/* When a frozen card sends its next S(WTX) request (monotonic ns), 0 when
 * it is not waiting. */
uint64_t pn532_picc_due_ns(const pn532_picc *picc);
/* A frozen card again: it is offered its APDU (it may have woken up or
 * left), and at pn532_picc_due_ns asks for more time. LATER while neither. */
pn532_picc_reply pn532_picc_timer(pn532_picc *picc, uint64_t now_ns, uint8_t *out, size_t cap, size_t *ret_len);

/* The PN532 ran one APDU itself (InDataExchange): cmd_len bytes sent, the
 * answer's resp_len bytes received (see above). */
void pn532_picc_pn532_exchange(pn532_picc *picc, size_t cmd_len, const uint8_t *resp, size_t resp_len);

void pn532_picc_stats_get(const pn532_picc *picc, pn532_picc_stats *ret);
