/*
 * link — a timing model of the ISO/IEC 14443 radio link between reader and
 * chip, so that read times of the virtual passport mean something.
 * (Model parameters only for now; the timing itself lands with issue 3's
 * speed work.)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct vpass_link {
	bool enabled;             /* false: answers come as fast as the host can */
	unsigned bit_rate_kbps;   /* 106, 212, 424 or 848 */
	size_t frame_size;        /* largest ISO 14443-4 frame (FSC = FSD), bytes */
	double frame_overhead_us; /* per frame: start/end of frame, guard and turn-around times */
	double chip_latency_us;   /* per command: the chip's own processing */
} vpass_link;
