/*
 * fuzz-config — libFuzzer target for the kiosk's configuration reader
 * (kiosk/config.c over inih): any bytes as a configuration file. A file
 * that loads must hold what the reader promises (required keys set, every
 * device with a class from the list and a connection, names within their
 * fields); one that fails must say so in words naming the file. Each
 * camera's connection string then goes through the camera's parser
 * (hal/camera/cam-conn.c): refused with words, or parsed into bounded
 * fields (exposure and focus within APPM's bounds, and on v4l2 only)
 * that, written back, parse to the same.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/camera/camera.h"
#include "kiosk/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A control as the parser may leave it: not asked or auto with no value,
 * manual within APPM's bounds; a file asks for none. */
static bool control_ok(const cam_control *k, const cam_conn *c, int min, int max)
{
	switch (k->mode) {
	case CAM_CONTROL_UNSET:
		return k->value == 0;
	case CAM_CONTROL_AUTO:
		return k->value == 0 && c->driver == CAM_DRIVER_V4L2;
	case CAM_CONTROL_MANUAL:
		return k->value >= min && k->value <= max && c->driver == CAM_DRIVER_V4L2;
	}
	return false;
}

static bool same_control(const cam_control *a, const cam_control *b)
{
	return a->mode == b->mode && a->value == b->value;
}

static void check_camera(const char *connection)
{
	cam_conn c, again;
	char why[240] = "";
	if (cam_conn_parse(connection, &c, why, sizeof(why)) != CAM_OK) {
		if (!why[0])
			abort(); /* refused without words */
		return;
	}
	if (!c.path[0] || strlen(c.path) >= sizeof(c.path) || c.width < 0 || c.width > CAM_MAX_SIDE ||
	    c.height < 0 || c.height > CAM_MAX_SIDE || (c.width == 0) != (c.height == 0) || c.fps < 0 ||
	    c.fps > CAM_MAX_FPS || !control_ok(&c.exposure, &c, CAM_EXPOSURE_MIN, CAM_EXPOSURE_MAX) ||
	    !control_ok(&c.focus, &c, CAM_FOCUS_MIN, CAM_FOCUS_MAX))
		abort();
	char back[CAM_CONN_TEXT_MAX + 1];
	cam_conn_format(&c, back, sizeof(back));
	if (strlen(back) >= CAM_CONN_TEXT_MAX)
		abort(); /* longer than cam_conn_format promises */
	if (cam_conn_parse(back, &again, why, sizeof(why)) != CAM_OK || strcmp(again.path, c.path) != 0 ||
	    again.width != c.width || again.height != c.height || again.fps != c.fps || again.loop != c.loop ||
	    again.driver != c.driver || !same_control(&again.exposure, &c.exposure) ||
	    !same_control(&again.focus, &c.focus))
		abort(); /* written back, it must mean the same */
}

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
			if (strcmp(d->class_name, "camera") == 0)
				check_camera(d->connection);
		}
	}
	free(c);
	return 0;
}
