/*
 * link — the ISO/IEC 14443 radio-link timing model (see link.h): frames,
 * chaining, bytes on the air and delays for one command/response exchange.
 */
#include "devices/vpass/link.h"

/* Frame delay times in carrier cycles (ISO/IEC 14443-3, 6.2.1). Before a
 * frame the chip sends, FDT PCD->PICC = (n * 128 + 20)/fc with n = 9,
 * 1172/fc, when the reader's last bit was 0, or (n * 128 + 84)/fc =
 * 1236/fc when it was 1 (6.2.1.1); the model takes the shorter. Before a
 * frame the reader sends, FDT PICC->PCD is at least 1172/fc (6.2.1.2). */
#define FDT_PCD_TO_PICC_CYCLES 1172.0     /* before a frame the chip sends */
#define FDT_PICC_TO_PCD_MIN_CYCLES 1172.0 /* before a frame the reader sends */
/* Type A: 8 data bits and a parity bit per byte; SOF and EOF one bit each. */
#define BITS_PER_BYTE 9.0
#define SOF_EOF_BITS 2.0
#define CRC_BYTES 2

void vpass_link_default(vpass_link *ret)
{
	*ret = (vpass_link){
		.enabled = true,
		.bit_rate_kbps = 848,
		.frame_size = 256,
		.frame_overhead_us = 100.0,
		.chip_latency_us = 10000.0,
		.fwt_us = 154700.0,
		.cid = false,
		.nad = false,
	};
}

static double carrier_cycles_per_bit(unsigned kbps)
{
	switch (kbps) {
	case 106: return 128.0;
	case 212: return 64.0;
	case 424: return 32.0;
	case 848: return 16.0;
	default: return 0.0;
	}
}

double vpass_link_bit_seconds(const vpass_link *l)
{
	return l ? carrier_cycles_per_bit(l->bit_rate_kbps) / VPASS_LINK_FC_HZ : 0.0;
}

/* PCB, CID, NAD: what an I-block carries before its information field. */
static size_t i_prologue(const vpass_link *l)
{
	return 1 + (l->cid ? 1 : 0) + (l->nad ? 1 : 0);
}

/* An R-block: PCB, CID, CRC_A (never a NAD or an information field). */
static size_t r_block(const vpass_link *l)
{
	return 1 + (l->cid ? 1 : 0) + CRC_BYTES;
}

bool vpass_link_valid(const vpass_link *l)
{
	if (!l || carrier_cycles_per_bit(l->bit_rate_kbps) == 0.0)
		return false;
	if (l->frame_size < 16 || l->frame_size > 4096)
		return false;
	return !(l->frame_overhead_us < 0 || l->chip_latency_us < 0 || l->fwt_us < 0);
}

/* I-blocks an APDU of len bytes needs in frames of frame bytes (one at
 * least: an empty information field still takes a block). */
static unsigned long blocks(const vpass_link *l, size_t frame, size_t len)
{
	size_t inf = frame - i_prologue(l) - CRC_BYTES;
	return len == 0 ? 1 : (unsigned long)((len + inf - 1) / inf);
}

/* One direction of an exchange: the APDU's I-blocks from the sender and
 * the R(ACK)s the receiver sends for all but the last. to_chip: the reader
 * sends the I-blocks. Adds to *c; seconds exclude the chip's latency. */
static void send_apdu(const vpass_link *l, size_t frame, size_t len, bool to_chip, vpass_link_cost *c)
{
	double bit = vpass_link_bit_seconds(l);
	unsigned long n = blocks(l, frame, len);
	unsigned long acks = n - 1;
	unsigned long long bytes = len + n * (i_prologue(l) + CRC_BYTES) + acks * r_block(l);
	/* FDT before each frame, by who sends it. */
	double before_i = (to_chip ? FDT_PICC_TO_PCD_MIN_CYCLES : FDT_PCD_TO_PICC_CYCLES) / VPASS_LINK_FC_HZ;
	double before_ack = (to_chip ? FDT_PCD_TO_PICC_CYCLES : FDT_PICC_TO_PCD_MIN_CYCLES) / VPASS_LINK_FC_HZ;
	unsigned long frames = n + acks;
	c->seconds += (double)bytes * BITS_PER_BYTE * bit + (double)frames * SOF_EOF_BITS * bit +
	              (double)n * before_i + (double)acks * before_ack +
	              (double)frames * l->frame_overhead_us / 1e6;
	c->frames += frames;
	c->bytes += bytes;
}

vpass_link_cost vpass_link_exchange_frames(const vpass_link *l, size_t fsc, size_t fsd, size_t cmd_len,
                                           size_t resp_len)
{
	vpass_link_cost c = { 0 };
	if (!vpass_link_valid(l) || fsc < 16 || fsc > 4096 || fsd < 16 || fsd > 4096)
		return c;
	send_apdu(l, fsc, cmd_len, true, &c);
	c.seconds += l->chip_latency_us / 1e6;
	send_apdu(l, fsd, resp_len, false, &c);
	return c;
}

vpass_link_cost vpass_link_exchange(const vpass_link *l, size_t cmd_len, size_t resp_len)
{
	return vpass_link_exchange_frames(l, l ? l->frame_size : 0, l ? l->frame_size : 0, cmd_len, resp_len);
}

vpass_link_cost vpass_link_lost(const vpass_link *l, size_t cmd_len)
{
	vpass_link_cost c = { 0 };
	if (!vpass_link_valid(l))
		return c;
	send_apdu(l, l->frame_size, cmd_len, true, &c);
	c.seconds += l->fwt_us / 1e6;
	return c;
}
