/*
 * fuzz-config — libFuzzer target for the kiosk's configuration reader
 * (kiosk/config.c over inih): any bytes as a configuration file. A file
 * that loads must hold what the reader promises (required keys set, every
 * device with a class from the list and a connection, names within their
 * fields); one that fails must say so in words naming the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const classes[] = { "passport", "camera", NULL };
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	kcfg *c = calloc(1, sizeof(*c));
	char message[700] = "";
	kcfg_err e = kcfg_parse(f, "fuzz.ini", classes, c, message, sizeof(message));
	fclose(f);
	if (e != KCFG_OK) {
		if (strncmp(message, "fuzz.ini", 8) != 0)
			abort(); /* a failure that does not name the file */
	} else {
		if (!c->store[0] || !c->socket[0] || c->n_devices > KCFG_MAX_DEVICES)
			abort();
		for (size_t i = 0; i < c->n_devices; i++) {
			const kcfg_device *d = &c->devices[i];
			if (!d->name[0] || !d->connection[0] || kcfg_device_find(c, d->name) != d)
				abort();
			if (strcmp(d->class_name, "passport") != 0 && strcmp(d->class_name, "camera") != 0)
				abort();
		}
	}
	free(c);
	return 0;
}
