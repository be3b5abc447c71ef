/*
 * bitrate — the ISO/IEC 14443-4 bit rates a type A chip offers in its
 * ATS (TA(1), part 4 §5.2.4), and the highest one a reader and that chip
 * share. The libnfc driver (libnfc.c) asks the PN53x for it after
 * selecting the chip at 106 kbit/s. And the rate a PC/SC reader reports
 * for a contactless card (pcsc.c).
 *
 * TA(1), bit by bit (b8 the most significant):
 *   b8     1: only the same divisor D both ways
 *   b7 b6 b5   DS = 8, 4, 2: the chip sends (PICC to PCD) at 848, 424, 212
 *   b4     RFU: a chip that sets it is taken as 106 kbit/s only (§5.2.4:
 *          the PCD treats such a TA(1) as 00)
 *   b3 b2 b1   DR = 8, 4, 2: the chip receives (PCD to PICC) at 848, 424, 212
 * 106 kbit/s (D = 1) is always offered both ways. An ATS without TA(1)
 * means TA(1) = 00.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of bit rates: one bit per rate. */
#define PP_RATE_106 0x1u
#define PP_RATE_212 0x2u
#define PP_RATE_424 0x4u
#define PP_RATE_848 0x8u

typedef struct pp_ta1 {
	unsigned to_pcd;  /* rates the chip sends at (DS), PP_RATE_106 always in */
	unsigned to_picc; /* rates the chip receives at (DR), PP_RATE_106 always in */
	bool same_d;      /* b8: the same rate both ways only */
} pp_ta1;

/* TA(1) as the rates it offers (an RFU bit 4 makes it 106 only). */
pp_ta1 pp_ta1_decode(uint8_t ta1);

/* TA(1) of an ATS as libnfc keeps it (without TL: T0 first); 00 when T0
 * announces none or the ATS is empty. */
uint8_t pp_ats_ta1(const uint8_t *ats, size_t len);

/* The highest rate in kbit/s, the same both ways (as the PN53x's InPSL
 * sets it through libnfc), that both the chip and the reader (a set of
 * PP_RATE_ bits) offer: 106 when they share no other. */
unsigned pp_bitrate_common(pp_ta1 chip, unsigned reader_rates);

/* 106, 212, 424, 848 for PP_RATE_106 ... PP_RATE_848; 0 otherwise. */
unsigned pp_bitrate_kbps(unsigned rate_bit);

/* The rate a PC/SC reader reports for the card in its field, from its
 * SCARD_ATTR_CURRENT_D attribute (the bit rate adjustment factor, as
 * little-endian bytes, 1 to 4 of them) and the card's ATR. PC/SC has no
 * attribute of its own for a contactless rate; for an ISO/IEC 14443 card
 * (the ATR a PC/SC reader makes for one: 3B 8n 80 01 ..., PC/SC part 3)
 * D is the divisor of ISO/IEC 14443-4's PPS, 106 kbit/s x D for D = 1, 2,
 * 4, 8. Anything else (a contact card's D, another value, no attribute):
 * 0, unknown. */
unsigned pp_pcsc_bit_rate(const uint8_t *d_attr, size_t d_len, const uint8_t *atr, size_t atr_len);
