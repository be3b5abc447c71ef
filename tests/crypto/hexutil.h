/*
 * hexutil — hex string to bytes and back for the tests, so published test
 * vectors can be written as the standards print them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decode hex (spaces ignored) into out; returns the byte count. Aborts the
 * test binary on a malformed vector, which is a bug in the test itself. */
static inline size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v;
		if (*p == ' ')
			continue;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			return (size_t)-1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				return (size_t)-1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? n : (size_t)-1;
}

/* Upper-case hex of len bytes into out (2*len+1 bytes). */
static inline const char *hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}
