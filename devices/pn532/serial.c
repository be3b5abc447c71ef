/*
 * serial — the timing model of the PN532's host UART (see pn532.h): how
 * long bytes take on the line at a given baud rate, 8N1. The arithmetic
 * only; appm-pn532 (main.c) reads the clock and sleeps.
 */
#include "devices/pn532/pn532.h"

#define NS_PER_SECOND 1000000000ULL

void pn532_line_init(pn532_line *l, unsigned long baud)
{
	*l = (pn532_line){ .baud = baud };
}

/* The bytes charged at the old speed keep their time; a burst under way
 * ends there, and the next bytes follow it at the new speed. */
void pn532_line_set_baud(pn532_line *l, unsigned long baud)
{
	if (!l->baud || !baud || baud == l->baud)
		return;
	for (int d = 0; d < 2; d++) {
		pn532_wire *w = &l->wire[d];
		w->burst_start_ns += pn532_line_ns(l->baud, w->burst_bytes);
		w->burst_bytes = 0;
	}
	l->past_seconds = pn532_line_seconds(l);
	l->past_bytes = l->wire[PN532_TO_HOST].total_bytes + l->wire[PN532_FROM_HOST].total_bytes;
	l->baud = baud;
}

uint64_t pn532_line_ns(unsigned long baud, unsigned long long n)
{
	if (!baud)
		return 0;
	/* Whole seconds and the remainder apart, so that bits * 10^9 never
	 * has to fit in 64 bits. */
	unsigned long long bits = n * PN532_UART_BITS_PER_BYTE;
	unsigned long long whole = bits / baud, rest = bits % baud;
	return whole * NS_PER_SECOND + (rest * NS_PER_SECOND + baud - 1) / baud;
}

uint64_t pn532_line_charge(pn532_line *l, pn532_direction dir, uint64_t now_ns, size_t n)
{
	pn532_wire *w = &l->wire[dir];
	w->total_bytes += n;
	if (!l->baud)
		return now_ns;
	if (w->burst_start_ns + pn532_line_ns(l->baud, w->burst_bytes) <= now_ns) {
		w->burst_start_ns = now_ns;
		w->burst_bytes = 0;
	}
	w->burst_bytes += n;
	return w->burst_start_ns + pn532_line_ns(l->baud, w->burst_bytes);
}

double pn532_line_seconds(const pn532_line *l)
{
	if (!l->baud)
		return 0.0;
	unsigned long long bytes = l->wire[PN532_TO_HOST].total_bytes + l->wire[PN532_FROM_HOST].total_bytes;
	return l->past_seconds + (double)(bytes - l->past_bytes) * PN532_UART_BITS_PER_BYTE / (double)l->baud;
}

const unsigned long pn532_hsu_speeds[PN532_HSU_SPEEDS] = { 9600,   19200,  38400,  57600,  115200,
	                                                      230400, 460800, 921600, 1288000 };

bool pn532_hsu_speed(unsigned long baud)
{
	for (size_t i = 0; i < PN532_HSU_SPEEDS; i++)
		if (pn532_hsu_speeds[i] == baud)
			return true;
	return false;
}
