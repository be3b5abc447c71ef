/*
 * isodep — ISO/IEC 14443-4 block transmission, the reader's side (see
 * isodep-internal.h for what it does and does not do).
 */
#include <string.h>
#include <time.h>

#include "hal/passport/isodep-internal.h"

/* PCB (part 4, 7.1.1). */
#define PCB_I          0x02
#define PCB_CHAINING   0x10
#define PCB_CID        0x08
#define PCB_NAD        0x04
#define PCB_BN         0x01
#define PCB_R_ACK      0xA2
#define PCB_R_NAK      0xB2
#define PCB_S_DESELECT 0xC2
#define PCB_S_WTX      0xF2
#define WTXM_MASK      0x3F
#define WTXM_MAX       59

/* FWT = 256 x 16 / fc x 2^FWI: 4096 / 13.56 MHz = 302.065 us at FWI 0. */
#define FWT_UNIT_NS 302065

typedef enum kind { K_INVALID, K_I, K_R_ACK, K_S_WTX } kind;

typedef struct block {
	kind kind;
	bool chaining;
	uint8_t bn;
	const uint8_t *inf;
	size_t inf_len;
} block;

size_t pp_isodep_fsc(unsigned fsci)
{
	static const size_t fsc[] = { 16, 24, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096 };
	return fsci < sizeof(fsc) / sizeof(fsc[0]) ? fsc[fsci] : 256;
}

unsigned pp_isodep_fwt_ms(unsigned fwi)
{
	if (fwi > 14)
		fwi = 4;
	unsigned long long ns = (unsigned long long)FWT_UNIT_NS << fwi;
	return (unsigned)((ns + 999999) / 1000000);
}

static void init(pp_isodep *d, unsigned fsci, unsigned fwi, size_t frame_max)
{
	*d = (pp_isodep){
		.fsc = pp_isodep_fsc(fsci),
		.frame_max = frame_max,
		.fwt_ms = pp_isodep_fwt_ms(fwi),
	};
}

void pp_isodep_init_ats(pp_isodep *d, const uint8_t *ats, size_t ats_len, size_t frame_max)
{
	unsigned fsci = 2, fwi = 4;
	if (ats_len >= 1) {
		uint8_t t0 = ats[0];
		fsci = t0 & 0x0F;
		size_t tb = 1 + !!(t0 & 0x10);
		if ((t0 & 0x20) && tb < ats_len)
			fwi = ats[tb] >> 4;
	}
	init(d, fsci, fwi, frame_max);
}

void pp_isodep_init_atqb(pp_isodep *d, const uint8_t protocol_info[3], uint8_t attrib_res, size_t frame_max)
{
	init(d, protocol_info[1] >> 4, protocol_info[2] >> 4, frame_max);
	d->cid = attrib_res & 0x0F;
	unsigned mbli = attrib_res >> 4;
	d->mbl = mbli ? d->fsc << (mbli - 1) : 0;
}

void pp_isodep_reset(pp_isodep *d)
{
	d->block_number = 0;
	d->frames = d->wtx = d->recoveries = 0;
}

/* A received frame as a block: anything this side cannot take is
 * K_INVALID (an R(NAK), an S(DESELECT) request, an RFU coding, a frame cut
 * short). */
static block parse(const uint8_t *f, size_t n)
{
	block b = { .kind = K_INVALID };
	if (n < 1)
		return b;
	uint8_t pcb = f[0];
	size_t head = 1 + !!(pcb & PCB_CID);
	if ((pcb & 0xE2) == PCB_I) {
		head += !!(pcb & PCB_NAD);
		if (n < head)
			return b;
		b = (block){ .kind = K_I, .chaining = pcb & PCB_CHAINING, .bn = pcb & PCB_BN, .inf = f + head,
			     .inf_len = n - head };
	} else if ((pcb & 0xF6) == PCB_R_ACK && n == head) {
		b = (block){ .kind = K_R_ACK, .bn = pcb & PCB_BN };
	} else if ((pcb & 0xF7) == PCB_S_WTX && n == head + 1) {
		unsigned m = f[head] & WTXM_MASK;
		if (m >= 1 && m <= WTXM_MAX)
			b = (block){ .kind = K_S_WTX, .inf = f + head, .inf_len = 1 };
	}
	return b;
}

/* A block's head: PCB, with the CID bit and byte when the chip has one. */
static size_t head(const pp_isodep *d, uint8_t pcb, uint8_t *out)
{
	if (!d->cid) {
		out[0] = pcb;
		return 1;
	}
	out[0] = pcb | PCB_CID;
	out[1] = d->cid;
	return 2;
}

typedef struct exchange {
	pp_isodep *d;
	pp_isodep_frame_fn frame;
	void *user;
	struct timespec start;
	long deadline_ms;
	uint8_t in[PP_ISODEP_FRAME_CAP];
} exchange;

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Send a frame and take the chip's block back, answering its S(WTX)
 * requests on the way (each with the same WTXM; the block after it is
 * waited for FWT x WTXM). A frame lost or invalid is K_INVALID. */
static pp_err send(exchange *x, const uint8_t *out, size_t out_len, block *ret)
{
	pp_isodep *d = x->d;
	unsigned wait_ms = d->fwt_ms;
	uint8_t wtx[3], nak[2];
	struct timespec asked; /* since when the chip's block is awaited */
	clock_gettime(CLOCK_MONOTONIC, &asked);
	for (;;) {
		long left = x->deadline_ms - elapsed_ms(&x->start);
		if (left <= 0)
			return PP_ERR_UNRESPONSIVE;
		size_t n = 0;
		d->frames++;
		pp_err e = x->frame(x->user, out, out_len, x->in, sizeof(x->in), &n, wait_ms, left);
		if (e == PP_ERR_TIMEOUT && d->reader_wait_max_ms && wait_ms > d->reader_wait_max_ms &&
		    elapsed_ms(&asked) < (long)wait_ms) {
			out_len = head(d, (uint8_t)(PCB_R_NAK | d->block_number), nak);
			out = nak;
			continue;
		}
		if (e == PP_ERR_TIMEOUT) {
			*ret = (block){ .kind = K_INVALID };
			return PP_OK;
		}
		if (e != PP_OK)
			return e;
		*ret = parse(x->in, n);
		if (ret->kind != K_S_WTX)
			return PP_OK;
		unsigned m = ret->inf[0] & WTXM_MASK;
		d->wtx++;
		size_t h = head(d, PCB_S_WTX, wtx);
		wtx[h] = (uint8_t)m;
		out = wtx;
		out_len = h + 1;
		clock_gettime(CLOCK_MONOTONIC, &asked);
		unsigned long long w = (unsigned long long)d->fwt_ms * m;
		wait_ms = w > PP_ISODEP_FWT_MAX_MS ? PP_ISODEP_FWT_MAX_MS : (unsigned)w;
	}
}

/* The command in I-blocks, chained when longer than a frame, until the
 * chip's first I-block of its answer (in *ret). */
static pp_err send_command(exchange *x, const uint8_t *cmd, size_t len, block *ret)
{
	pp_isodep *d = x->d;
	size_t frame = d->fsc - 2 < d->frame_max ? d->fsc - 2 : d->frame_max;
	size_t inf_max = frame - 1 - (d->cid ? 1 : 0);
	uint8_t out[PP_ISODEP_FRAME_CAP];
	size_t off = 0;
	for (;;) {
		size_t n = len - off < inf_max ? len - off : inf_max;
		bool more = off + n < len;
		size_t h = head(d, (uint8_t)(PCB_I | (more ? PCB_CHAINING : 0) | d->block_number), out);
		memcpy(out + h, cmd + off, n);
		uint8_t nak[2];
		size_t nak_len = head(d, (uint8_t)(PCB_R_NAK | d->block_number), nak);
		const uint8_t *f = out;
		size_t f_len = h + n;
		for (unsigned tries = 0;; tries++) {
			block b;
			pp_err e = send(x, f, f_len, &b);
			if (e != PP_OK)
				return e;
			bool current = b.bn == d->block_number;
			if (more && b.kind == K_R_ACK && current)
				break; /* rule 7: go on with the chain */
			if (!more && b.kind == K_I && current) {
				*ret = b;
				return PP_OK;
			}
			if (tries == PP_ISODEP_RETRIES)
				return PP_ERR_TIMEOUT;
			d->recoveries++;
			if (b.kind == K_R_ACK && !current) {
				f = out; /* rule 6: the chip did not get it */
				f_len = h + n;
			} else {
				f = nak; /* rule 4 */
				f_len = nak_len;
			}
		}
		d->block_number ^= 1; /* rule B */
		off += n;
	}
}

pp_err pp_isodep_transceive(pp_isodep *d, pp_isodep_frame_fn frame, void *user, const uint8_t *cmd, size_t len,
                            uint8_t *resp, size_t cap, size_t *ret_len, long deadline_ms)
{
	if (d->fsc < 16 || d->frame_max < 4 || d->frame_max > PP_ISODEP_FRAME_CAP || d->cid > 14)
		return PP_ERR_ARG;
	if (d->mbl && len > d->mbl)
		return PP_ERR_NOT_SUPPORTED;
	exchange x = { .d = d, .frame = frame, .user = user, .deadline_ms = deadline_ms };
	clock_gettime(CLOCK_MONOTONIC, &x.start);
	block b;
	pp_err e = send_command(&x, cmd, len, &b);
	if (e != PP_OK)
		return e;
	size_t got = 0;
	for (;;) {
		d->block_number ^= 1; /* rule B */
		if (b.inf_len > cap - got)
			return PP_ERR_COMM;
		memcpy(resp + got, b.inf, b.inf_len);
		got += b.inf_len;
		if (!b.chaining)
			break;
		/* The chip chains its answer: each block acknowledged (rule 2),
		 * the R(ACK) sent again on a loss (rule 5). */
		uint8_t ack[2];
		size_t ack_len = head(d, (uint8_t)(PCB_R_ACK | d->block_number), ack);
		for (unsigned tries = 0;; tries++) {
			e = send(&x, ack, ack_len, &b);
			if (e != PP_OK)
				return e;
			if (b.kind == K_I && b.bn == d->block_number)
				break;
			if (tries == PP_ISODEP_RETRIES)
				return PP_ERR_TIMEOUT;
			d->recoveries++;
		}
	}
	*ret_len = got;
	return PP_OK;
}
