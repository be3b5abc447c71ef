/*
 * cam-conn — the camera's connection strings: parsed into a cam_conn,
 * with words naming what is wrong, and written back. Configuration is
 * outside input (tests/fuzz/fuzz-config.c parses every camera's), so
 * numbers are read by hand with bounds, never by a format the string
 * could steer. Grammar in camera.h.
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

/* Digits [s, end) as an int in 1..max; false otherwise. */
static bool number(const char *s, const char *end, long max, int *ret)
{
	if (s == end || end - s > 6)
		return false;
	long v = 0;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > max)
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
	else if (!number(s, wend, (long)CAM_MAX_FPS, &whole))
		return false;
	double v = whole + frac;
	if (v <= 0 || v > CAM_MAX_FPS)
		return false;
	*ret = v;
	return true;
}

static cam_err parse_v4l2(const char *p, cam_conn *c, char *why, size_t len)
{
	const char *end = p + strlen(p);
	/* The mode is the last field when it begins as one (digits, 'x'):
	 * by-path names hold colons of their own (pci-0000:00:14.0-usb-0:1:1.0). */
	const char *colon = strrchr(p, ':');
	const char *digits = colon ? colon + 1 : NULL;
	while (digits && *digits >= '0' && *digits <= '9')
		digits++;
	if (colon && digits > colon + 1 && *digits == 'x') {
		const char *mode = colon + 1;
		const char *at = strchr(mode, '@');
		const char *x = strchr(mode, 'x');
		const char *wh_end = at ? at : end;
		if (!x || x > wh_end || !number(mode, x, CAM_MAX_SIDE, &c->width) ||
		    !number(x + 1, wh_end, CAM_MAX_SIDE, &c->height))
			return cam_fail(CAM_ERR_ARG, why, len, "v4l2: resolution '%.*s' is not WIDTHxHEIGHT (1 to %d each)",
			            (int)(wh_end - mode), mode, CAM_MAX_SIDE);
		if (at && !rate(at + 1, end, &c->fps))
			return cam_fail(CAM_ERR_ARG, why, len, "v4l2: frame rate '%s' is not a number of frames a second (up to %g)",
			            at + 1, CAM_MAX_FPS);
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
	return CAM_OK;
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

void cam_conn_format(const cam_conn *c, char *out, size_t len)
{
	char fps[32] = "";
	if (c->fps > 0)
		snprintf(fps, sizeof(fps), "@%g", c->fps);
	if (c->driver == CAM_DRIVER_V4L2) {
		if (c->width)
			snprintf(out, len, "v4l2:%s:%dx%d%s", c->path, c->width, c->height, fps);
		else
			snprintf(out, len, "v4l2:%s", c->path);
	} else {
		/* Looping is the default, said only when the name itself ends
		 * as a mode would ("a,once" looped is "a,once,loop"). */
		size_t n = strlen(c->path);
		bool ambiguous = !fps[0] && (ends_with(c->path, n, ",once") || ends_with(c->path, n, ",loop"));
		snprintf(out, len, "file:%s%s%s", c->path, fps, !c->loop ? ",once" : ambiguous ? ",loop" : "");
	}
}
