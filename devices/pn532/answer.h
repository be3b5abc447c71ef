/*
 * answer — the buffer an answer frame's data is put into, byte by byte
 * (chip.c): a put that does not fit fails, and the command with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct answer {
	uint8_t *p;
	size_t cap, len;
} answer;

static inline bool put(answer *a, const uint8_t *data, size_t n)
{
	if (a->len + n > a->cap)
		return false;
	memcpy(a->p + a->len, data, n);
	a->len += n;
	return true;
}

static inline bool put1(answer *a, uint8_t b)
{
	return put(a, &b, 1);
}
