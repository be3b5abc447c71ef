/*
 * pps — the bit rates of ISO/IEC 14443-4's PPS as the emulated PN532's
 * InPSL asks for them, and whether a card whose ATS carries a TA(1)
 * answers such a PPS (chip.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* InPSL's bit rates (BRit, BRti): 106, 212, 424 kbit/s. The PN532 goes no
 * higher with ISO 14443A cards (its data sheet: "higher transfer speeds up
 * to 424 kbit/s in both directions"; libnfc's pn532_iso14443a_supported_
 * baud_rates likewise); 03 (848) is the PN533's. */
#define BR_106 0x00
#define BR_424 0x02

/* TA(1) of the card's ATS (ISO 14443-4 §5.2.4): b8 same D both ways only,
 * b7..b5 DS 8/4/2 (card to reader at 848/424/212), b4 RFU (set: 106
 * only), b3..b1 DR 8/4/2 (reader to card). */
#define TA1_SAME_D 0x80
#define TA1_RFU    0x08
#define TA1_DEFAULT 0x77 /* every rate both ways, different ones allowed */

static inline unsigned br_kbps(uint8_t br)
{
	return 106u << br;
}

/* Whether the card answers a PPS asking for br_it towards it (its DR) and
 * br_ti back (its DS), as its ATS's TA(1) offers. */
static inline bool pps_offered(uint8_t ta1, uint8_t br_it, uint8_t br_ti)
{
	if (ta1 & TA1_RFU)
		ta1 = 0x00;
	if ((ta1 & TA1_SAME_D) && br_it != br_ti)
		return false;
	bool dr = br_it == BR_106 || (ta1 & (0x01 << (br_it - 1)));
	bool ds = br_ti == BR_106 || (ta1 & (0x10 << (br_ti - 1)));
	return dr && ds;
}
