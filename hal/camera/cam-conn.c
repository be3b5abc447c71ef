/*
 * cam-conn — the camera's connection strings: parsed into a cam_conn
 * (the v4l2 mode and its exposure and focus options, the file pattern
 * and how it plays), with words naming what is wrong, and written back.
 * Configuration is outside input (tests/fuzz/fuzz-config.c parses every
 * camera's), so numbers are read by hand with bounds, never by a format
 * the string could steer. Grammar in camera.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal/camera/camera-internal.h"

const char *cam_strerror(cam_err e)
{
	switch (e) {
	case CAM_OK: return "success";
	case CAM_ERR_ARG: return "bad camera connection string";
	case CAM_ERR_NO_DRIVER: return "no camera driver of that name (v4l2, file)";
	case CAM_ERR_NO_DEVICE: return "no camera or file at the path";
	case CAM_ERR_NOT_MEDIA: return "not an image or a video OpenCV can read";
	case CAM_ERR_OPEN: return "the camera is there but cannot be opened";
	case CAM_ERR_READ: return "a frame could not be read";
	case CAM_ERR_GONE: return "the camera went away while in use";
	case CAM_ERR_ENDED: return "the source has no more frames";
	case CAM_ERR_NOMEM: return "out of memory";
	case CAM_ERR_CANCELLED: return "cancelled";
	}
	return "unknown camera error";
}

cam_err cam_fail(cam_err e, char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* Digits [s, end) as an int in min..max; false otherwise. */
static bool number(const char *s, const char *end, long min, long max, int *ret)
{
	if (s == end || end - s > 6)
		return false;
	long v = 0;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return false;
	*ret = (int)v;
	return true;
}

/* A frame rate [s, end): digits, optionally a '.' and up to three more;
 * in (0, CAM_MAX_FPS]. */
static bool rate(const char *s, const char *end, double *ret)
{
	const char *dot = memchr(s, '.', (size_t)(end - s));
	int whole = 0;
	double frac = 0, scale = 1;
	if (dot == s)
		return false;
	if (dot) {
		if (end - dot < 2 || end - dot > 4)
			return false;
		for (const char *p = dot + 1; p < end; p++) {
			if (*p < '0' || *p > '9')
				return false;
			scale /= 10;
			frac += (*p - '0') * scale;
		}
	}
	const char *wend = dot ? dot : end;
	if (wend - s == 1 && *s == '0')
		whole = 0;
	else if (!number(s, wend, 1, (long)CAM_MAX_FPS, &whole))
		return false;
	double v = whole + frac;
	if (v <= 0 || v > CAM_MAX_FPS)
		return false;
	*ret = v;
	return true;
}

/* The last c in [s, end), or NULL. */
static const char *last_of(const char *s, const char *end, char c)
{
	for (const char *p = end; p > s; p--)
		if (p[-1] == c)
			return p - 1;
	return NULL;
}

/* The v4l2 options: what follows the first comma, each "name=value". */
typedef struct control_option {
	const char *name;
	long min, max;
	const char *what;            /* the words after the bounds */
} control_option;

static const control_option exposure_option = { "exposure", CAM_EXPOSURE_MIN, CAM_EXPOSURE_MAX,
	                                         "in V4L2's units of 100 us; APPM's bounds" };
static const control_option focus_option = { "focus", CAM_FOCUS_MIN, CAM_FOCUS_MAX,
	                                      "APPM's bounds; the camera's scale is its own" };

/* One option's value [s, end) into *ret. */
static cam_err control_value(const control_option *o, const char *s, const char *end, cam_control *ret, char *why,
                             size_t len)
{
	if (ret->mode != CAM_CONTROL_UNSET)
		return cam_fail(CAM_ERR_ARG, why, len, "v4l2: %s is given twice", o->name);
	if (end - s == 4 && memcmp(s, "auto", 4) == 0) {
		*ret = (cam_control){ .mode = CAM_CONTROL_AUTO };
		return CAM_OK;
	}
	int v;
	if (!number(s, end, o->min, o->max, &v))
		return cam_fail(CAM_ERR_ARG, why, len, "v4l2: %s '%.*s' is not auto or a number from %ld to %ld (%s)",
		            o->name, (int)(end - s > 32 ? 32 : end - s), s, o->min, o->max, o->what);
	*ret = (cam_control){ .mode = CAM_CONTROL_MANUAL, .value = v };
	return CAM_OK;
}

/* ",name=value[,name=value]" from p to its end. */
static cam_err parse_options(const char *p, cam_conn *c, char *why, size_t len)
{
	while (*p == ',') {
		const char *opt = p + 1;
		const char *next = strchr(opt, ',');
		const char *end = next ? next : opt + strlen(opt);
		const char *eq = memchr(opt, '=', (size_t)(end - opt));
		size_t name_len = eq ? (size_t)(eq - opt) : 0;
		cam_err e;
		if (eq && name_len == 8 && memcmp(opt, "exposure", 8) == 0)
			e = control_value(&exposure_option, eq + 1, end, &c->exposure, why, len);
		else if (eq && name_len == 5 && memcmp(opt, "focus", 5) == 0)
			e = control_value(&focus_option, eq + 1, end, &c->focus, why, len);
		else
			e = cam_fail(CAM_ERR_ARG, why, len,
			             "v4l2: '%.*s' is not an option (exposure=auto|%d-%d, focus=auto|%d-%d, after the mode)",
			             (int)(end - opt > 32 ? 32 : end - opt), opt, CAM_EXPOSURE_MIN, CAM_EXPOSURE_MAX,
			             CAM_FOCUS_MIN, CAM_FOCUS_MAX);
		if (e != CAM_OK)
			return e;
		p = end;
	}
	return CAM_OK;
}

static cam_err parse_v4l2(const char *p, cam_conn *c, char *why, size_t len)
{
	/* The options begin at the first comma: device names hold none. */
	const char *options = strchr(p, ',');
	const char *end = options ? options : p + strlen(p);
	/* The mode is the last field when it begins as one (digits, 'x'):
	 * by-path names hold colons of their own (pci-0000:00:14.0-usb-0:1:1.0). */
	const char *colon = last_of(p, end, ':');
	const char *digits = colon ? colon + 1 : NULL;
	while (digits && digits < end && *digits >= '0' && *digits <= '9')
		digits++;
	if (colon && digits > colon + 1 && digits < end && *digits == 'x') {
		const char *mode = colon + 1;
		const char *at = memchr(mode, '@', (size_t)(end - mode));
		const char *x = digits;
		const char *wh_end = at ? at : end;
		if (x > wh_end || !number(mode, x, 1, CAM_MAX_SIDE, &c->width) ||
		    !number(x + 1, wh_end, 1, CAM_MAX_SIDE, &c->height))
			return cam_fail(CAM_ERR_ARG, why, len, "v4l2: resolution '%.*s' is not WIDTHxHEIGHT (1 to %d each)",
			            (int)(wh_end - mode), mode, CAM_MAX_SIDE);
		if (at && !rate(at + 1, end, &c->fps))
			return cam_fail(CAM_ERR_ARG, why, len, "v4l2: frame rate '%.*s' is not a number of frames a second (up to %g)",
			            (int)(end - at - 1), at + 1, CAM_MAX_FPS);
		end = colon;
	}
	if (end == p)
		return cam_fail(CAM_ERR_ARG, why, len, "v4l2: no device path (v4l2:/dev/video0[:WIDTHxHEIGHT[@FPS]])");
	if (strncmp(p, "/dev/", 5) != 0)
		return cam_fail(CAM_ERR_ARG, why, len, "v4l2: '%.*s' is not a device path under /dev (e.g. /dev/video0)",
		            (int)(end - p), p);
	if ((size_t)(end - p) >= sizeof(c->path))
		return cam_fail(CAM_ERR_ARG, why, len, "v4l2: the device path is longer than %zu bytes", sizeof(c->path) - 1);
	memcpy(c->path, p, (size_t)(end - p));
	c->path[end - p] = '\0';
	return options ? parse_options(options, c, why, len) : CAM_OK;
}

/* One %d conversion (with an optional 0 flag and width) and any number
 * of %%; nothing else after a %. */
static bool printf_pattern_ok(const char *s, bool *ret_has)
{
	int conversions = 0;
	for (const char *p = s; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		p++;
		if (*p == '0')
			p++;
		for (int digits = 0; *p >= '0' && *p <= '9'; p++)
			if (++digits > 2)
				return false;
		if (*p != 'd')
			return false;
		conversions++;
	}
	*ret_has = conversions == 1;
	return conversions <= 1;
}

static bool ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

static cam_err parse_file(const char *p, cam_conn *c, char *why, size_t len)
{
	size_t n = strlen(p);
	/* A camera's options given to a file: refused rather than taken for
	 * part of its name, so the mistake is said. */
	if (strstr(p, ",exposure=") || strstr(p, ",focus="))
		return cam_fail(CAM_ERR_ARG, why, len,
		            "file: exposure and focus are a camera's controls (v4l2:DEVICE,exposure=...,focus=...); "
		            "files have none");
	c->loop = true;
	if (ends_with(p, n, ",once")) {
		c->loop = false;
		n -= 5;
	} else if (ends_with(p, n, ",loop")) {
		n -= 5;
	}
	/* "@FPS" at the end when what follows the last '@' is a number. */
	const char *at = NULL;
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == '@') {
			at = p + i - 1;
			break;
		}
	if (at && at + 1 < p + n && at[1] >= '0' && at[1] <= '9') {
		if (!rate(at + 1, p + n, &c->fps))
			return cam_fail(CAM_ERR_ARG, why, len, "file: frame rate '%.*s' is not a number of frames a second (up to %g)",
			            (int)(p + n - at - 1), at + 1, CAM_MAX_FPS);
		n = (size_t)(at - p);
	}
	if (n == 0)
		return cam_fail(CAM_ERR_ARG, why, len, "file: no file or pattern (file:frames/%%03d.png[@FPS][,once])");
	if (n >= sizeof(c->path))
		return cam_fail(CAM_ERR_ARG, why, len, "file: the pattern is longer than %zu bytes", sizeof(c->path) - 1);
	memcpy(c->path, p, n);
	c->path[n] = '\0';
	if (strlen(c->path) != n)
		return cam_fail(CAM_ERR_ARG, why, len, "file: the pattern holds a NUL byte");
	bool has = false;
	if (!printf_pattern_ok(c->path, &has))
		return cam_fail(CAM_ERR_ARG, why, len,
		            "file: '%s': a pattern takes one %%d conversion (e.g. %%03d) and %%%% for a percent sign",
		            c->path);
	return CAM_OK;
}

cam_err cam_conn_parse(const char *connstr, cam_conn *ret, char *why, size_t why_len)
{
	if (!connstr || !ret)
		return cam_fail(CAM_ERR_ARG, why, why_len, "no connection string");
	const char *colon = strchr(connstr, ':');
	size_t name_len = colon ? (size_t)(colon - connstr) : strlen(connstr);
	cam_conn c = { 0 };
	cam_err e;
	if (name_len == 4 && strncmp(connstr, "v4l2", 4) == 0) {
		c.driver = CAM_DRIVER_V4L2;
		e = parse_v4l2(colon ? colon + 1 : "", &c, why, why_len);
	} else if (name_len == 4 && strncmp(connstr, "file", 4) == 0) {
		c.driver = CAM_DRIVER_FILE;
		e = parse_file(colon ? colon + 1 : "", &c, why, why_len);
	} else {
		return cam_fail(CAM_ERR_NO_DRIVER, why, why_len, "'%.*s' is not a camera driver (v4l2, file)",
		            (int)(name_len > 32 ? 32 : name_len), connstr);
	}
	if (e == CAM_OK)
		*ret = c;
	return e;
}

/* ",name=auto", ",name=N" or nothing (not asked). */
static void format_control(const char *name, const cam_control *k, char *out, size_t len)
{
	switch (k->mode) {
	case CAM_CONTROL_UNSET:
		out[0] = '\0';
		return;
	case CAM_CONTROL_AUTO:
		snprintf(out, len, ",%s=auto", name);
		return;
	case CAM_CONTROL_MANUAL:
		snprintf(out, len, ",%s=%d", name, k->value);
		return;
	}
	out[0] = '\0';
}

void cam_conn_format(const cam_conn *c, char *out, size_t len)
{
	char fps[32] = "";
	if (c->fps > 0)
		snprintf(fps, sizeof(fps), "@%g", c->fps);
	if (c->driver == CAM_DRIVER_V4L2) {
		char mode[48] = "", exposure[32] = "", focus[32] = "";
		if (c->width)
			snprintf(mode, sizeof(mode), ":%dx%d%s", c->width, c->height, fps);
		format_control("exposure", &c->exposure, exposure, sizeof(exposure));
		format_control("focus", &c->focus, focus, sizeof(focus));
		snprintf(out, len, "v4l2:%s%s%s%s", c->path, mode, exposure, focus);
	} else {
		/* Looping is the default, said only when the name itself ends
		 * as a mode would ("a,once" looped is "a,once,loop"). */
		size_t n = strlen(c->path);
		bool ambiguous = !fps[0] && (ends_with(c->path, n, ",once") || ends_with(c->path, n, ",loop"));
		snprintf(out, len, "file:%s%s%s", c->path, fps, !c->loop ? ",once" : ambiguous ? ",loop" : "");
	}
}
