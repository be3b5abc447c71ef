/*
 * link — a timing model of the ISO/IEC 14443 radio link between reader
 * (PCD) and chip (PICC), so that read times of the virtual passport mean
 * something. Given the length of a command APDU and of its response, it
 * says how long the exchange keeps the link busy and how many bytes cross
 * the air, framing included. The card (card.c) sleeps that long in
 * vpass_card_process when the model is enabled; the benchmark adds the
 * model's times of the exchanges it made to get the link's lower bound.
 *
 * What the model counts, for one exchange:
 *   - ISO/IEC 14443-4 block framing (part 4, 7.1): each I-block carries a
 *     prologue (PCB, plus CID and NAD when used) and CRC_A (2 bytes); a
 *     frame is at most FSC bytes towards the chip and FSD bytes back, all
 *     of that included. An APDU longer than one frame is chained (part 4,
 *     7.5.2): every I-block but the last is acknowledged by an R(ACK)
 *     block (PCB + CID + CRC_A) from the other side.
 *   - Bytes on the air (part 3, 6.1 and part 2, 8.1, type A): 8 data bits
 *     and an odd parity bit per byte, plus start of frame and end of frame
 *     (one bit time each). The bit time is 128/fc at 106 kbit/s, 64/fc at
 *     212, 32/fc at 424 and 16/fc at 848, fc = 13.56 MHz. Type B costs
 *     more per byte (start bit, 8 bits, stop bit, extra guard time: 10 to
 *     11 bit times, and a 10-to-11-bit SOF and EOF); the model assumes
 *     type A throughout.
 *   - Frame delay times (part 3, 6.2.1): before each frame the chip
 *     sends, FDT PCD->PICC (6.2.1.1), which the reader's last bit picks:
 *     (9 * 128 + 20)/fc = 1172/fc (86.4 us) after a 0, (9 * 128 + 84)/fc
 *     = 1236/fc (91.2 us) after a 1; the model takes the shorter. Before
 *     each frame the reader sends, FDT PICC->PCD (6.2.1.2), at least
 *     1172/fc (86.4 us), which the model takes. At the higher bit rates
 *     part 3 keeps these minima.
 *   - frame_overhead_us per frame on top: the reader's own turnaround
 *     (its firmware acting on a received frame before sending the next).
 *   - chip_latency_us once per command: the chip's processing between the
 *     last command frame and the first response frame, beyond the FDT.
 * Not counted: activation and anticollision (once per session), S(WTX)
 * extensions, retransmissions after noise.
 *
 * Default figures (vpass_link_default):
 *   - 848 kbit/s, FSC = FSD = 256 bytes (FSCI 8, what the emulated PN532's
 *     ATS announces and what current e-passport chips and desktop readers
 *     commonly negotiate); no CID, no NAD. The rate is the one a PC/SC
 *     reader negotiates with this chip (appm-vpass): the highest both
 *     offer, and the chip's ATS (TA(1) 77) offers 848 both ways, as
 *     current e-passport chips and desktop readers do. The emulated PN532
 *     replaces it with the one its host negotiated: 106 after each
 *     activation, then what InPSL set (vpass_card_set_bit_rate), 424 at
 *     most.
 *   - frame_overhead_us = 100: an assumption. The standard fixes only the
 *     minimum delays above; 100 us is about one more minimum FDT, a
 *     reader whose firmware answers promptly.
 *   - chip_latency_us = 10000 (10 ms per command): an assumption. No
 *     published per-command measurement of e-passport READ BINARY times
 *     was found to cite. Reasoning: under 3DES secure messaging a short
 *     READ BINARY makes the chip check a retail MAC over the command, read
 *     up to 231 bytes from EEPROM or flash, then encrypt and MAC the answer
 *     (about 60 3DES block operations) on a secure microcontroller whose
 *     crypto runs with side-channel and fault countermeasures; a few ms to
 *     a few tens of ms is the range such chips leave room for (they announce
 *     frame waiting times of 38 to 155 ms, FWI 7 to 9). The model charges
 *     it per command, not per byte: a chip whose secure-messaging time grows
 *     with the answer's length would narrow the gap between few large reads
 *     and many small ones. The benchmark prints how its figures move with
 *     this value.
 *   - fwt_us = 154700: the frame waiting time of FWI 9 (part 4, 7.2:
 *     256 * 16 / fc * 2^FWI), which the emulated PN532's ATS announces; a
 *     reader declares a time-out after it when an answer is lost.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define VPASS_LINK_FC_HZ 13560000.0

typedef struct vpass_link {
	bool enabled;             /* false: answers come as fast as the host can */
	unsigned bit_rate_kbps;   /* 106, 212, 424 or 848 */
	size_t frame_size;        /* largest ISO 14443-4 frame (FSC = FSD), bytes, 16..4096 */
	double frame_overhead_us; /* per frame: the reader's turnaround, beyond SOF/EOF and FDT */
	double chip_latency_us;   /* per command: the chip's own processing */
	double fwt_us;            /* frame waiting time: how long a lost answer is waited for */
	bool cid;                 /* frames carry a CID byte */
	bool nad;                 /* I-blocks carry a NAD byte */
} vpass_link;

/* What one exchange costs on the link. */
typedef struct vpass_link_cost {
	double seconds;           /* link busy time, chip latency included */
	unsigned long frames;     /* I- and R-blocks sent, both ways */
	unsigned long long bytes; /* bytes on the air, framing included */
} vpass_link_cost;

/* The default model (see above), enabled. */
void vpass_link_default(vpass_link *ret);

/* Whether the parameters make a model: a known bit rate, a frame size in
 * 16..4096 with room for data, no negative times. */
bool vpass_link_valid(const vpass_link *l);

/* Duration of one bit on the air, seconds (0 for an unknown bit rate). */
double vpass_link_bit_seconds(const vpass_link *l);

/* One exchange: a command APDU of cmd_len bytes, a response APDU of
 * resp_len bytes (data + SW1 SW2). An invalid model costs nothing. */
vpass_link_cost vpass_link_exchange(const vpass_link *l, size_t cmd_len, size_t resp_len);

/* The same with frames of their own size each way, CRC included: fsc
 * towards the chip, fsd back (ISO 14443-4 lets them differ, and lets the
 * chip send shorter frames than FSD); each 16..4096, else nothing is
 * charged. vpass_link_exchange is this with frame_size both ways. */
vpass_link_cost vpass_link_exchange_frames(const vpass_link *l, size_t fsc, size_t fsd, size_t cmd_len,
                                           size_t resp_len);

/* A command whose answer never comes: its frames (with the chip's R(ACK)s
 * when chained), then the frame waiting time the reader gives up after. */
vpass_link_cost vpass_link_lost(const vpass_link *l, size_t cmd_len);
