/*
 * bitrate — the bit rates of a type A chip's ATS, and the highest one a
 * reader shares with it (see bitrate-internal.h for TA(1)'s bits); the
 * rate a PC/SC reader reports.
 */
#include "hal/passport/bitrate-internal.h"

#define TA1_SAME_D 0x80
#define TA1_RFU 0x08
#define T0_TA1_PRESENT 0x10

/* Bits b3..b1 (or b7..b5 shifted down) as rates above 106. */
static unsigned rates_of(unsigned three_bits)
{
	return PP_RATE_106 | ((three_bits & 0x7u) << 1);
}

pp_ta1 pp_ta1_decode(uint8_t ta1)
{
	if (ta1 & TA1_RFU)
		ta1 = 0x00;
	return (pp_ta1){
		.to_pcd = rates_of((unsigned)ta1 >> 4),
		.to_picc = rates_of(ta1),
		.same_d = ta1 & TA1_SAME_D,
	};
}

uint8_t pp_ats_ta1(const uint8_t *ats, size_t len)
{
	if (len < 2 || !(ats[0] & T0_TA1_PRESENT))
		return 0x00;
	return ats[1];
}

unsigned pp_bitrate_kbps(unsigned rate_bit)
{
	switch (rate_bit) {
	case PP_RATE_106:
		return 106;
	case PP_RATE_212:
		return 212;
	case PP_RATE_424:
		return 424;
	case PP_RATE_848:
		return 848;
	default:
		return 0;
	}
}

unsigned pp_bitrate_common(pp_ta1 chip, unsigned reader_rates)
{
	/* The same rate both ways: one the chip both sends and receives at,
	 * whether or not it allows different ones (same_d). */
	unsigned shared = chip.to_pcd & chip.to_picc & reader_rates;
	for (unsigned bit = PP_RATE_848; bit > PP_RATE_106; bit >>= 1)
		if (shared & bit)
			return pp_bitrate_kbps(bit);
	return 106;
}

unsigned pp_pcsc_bit_rate(const uint8_t *d_attr, size_t d_len, const uint8_t *atr, size_t atr_len)
{
	bool contactless = atr_len >= 4 && atr[0] == 0x3B && (atr[1] & 0xF0) == 0x80 && atr[2] == 0x80 &&
	                   atr[3] == 0x01;
	if (!contactless || !d_attr || d_len < 1 || d_len > 4)
		return 0;
	uint32_t d = 0;
	for (size_t i = d_len; i-- > 0;)
		d = d << 8 | d_attr[i];
	switch (d) {
	case 1: return 106;
	case 2: return 212;
	case 4: return 424;
	case 8: return 848;
	default: return 0;
	}
}
