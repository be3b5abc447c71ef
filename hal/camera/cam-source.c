/*
 * cam-source — where the camera's frames come from: a V4L2 camera or a
 * video file (through cv-capture), or a list of image files (a printf
 * pattern expanded here, a glob, or one still image) decoded one at a
 * time. It knows whether its camera or files are still there, so a lost
 * camera is told apart from a frame that would not decode.
 */
#include <errno.h>
#include <stdarg.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hal/camera/camera-internal.h"
#include "hal/camera/cv-capture.h"

typedef enum source_kind {
	SOURCE_CAMERA,
	SOURCE_VIDEO,
	SOURCE_IMAGES,
} source_kind;

struct cam_source {
	cam_conn conn;
	source_kind kind;
	cv_capture *cap;        /* CAMERA, VIDEO */
	cv_capture_info info;
	cv_control_state exposure, focus; /* CAMERA: what the asked controls did */
	char **files;           /* IMAGES, in playing order */
	size_t n_files;
	size_t next;
	int width, height;      /* IMAGES: the first one's */
	const char *how;        /* IMAGES: "printf pattern", "glob", "one image" */
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static cam_err add_file(cam_source *s, const char *path)
{
	if (s->n_files >= CAM_MAX_FILES)
		return CAM_ERR_ARG;
	char **grown = realloc(s->files, (s->n_files + 1) * sizeof(*grown));
	if (!grown)
		return CAM_ERR_NOMEM;
	s->files = grown;
	if (!(s->files[s->n_files] = strdup(path)))
		return CAM_ERR_NOMEM;
	s->n_files++;
	return CAM_OK;
}

/* pattern with its %[0][W]d replaced by i and %% by %; false when it is
 * not such a pattern (any other conversion, a % at the end) or out does
 * not hold it. Checked here, not only by cam_conn_parse: cam_reader
 * takes a path from the command line as it is. */
static bool expand(const char *pattern, long i, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = pattern; *p; p++) {
		char piece[48];
		if (*p == '%' && p[1] == '%') {
			snprintf(piece, sizeof(piece), "%%");
			p++;
		} else if (*p == '%') {
			p++;
			bool zero = *p == '0';
			if (zero)
				p++;
			int width = 0;
			while (*p >= '0' && *p <= '9') {
				if (width < 100)
					width = width * 10 + (*p - '0');
				p++;
			}
			if (*p != 'd')
				return false;
			width = width > 20 ? 20 : width; /* cam_conn_parse allows two digits */
			if (zero)
				snprintf(piece, sizeof(piece), "%0*ld", width, i);
			else
				snprintf(piece, sizeof(piece), "%*ld", width, i);
		} else {
			piece[0] = *p;
			piece[1] = '\0';
		}
		size_t k = strlen(piece);
		if (n + k >= len)
			return false;
		memcpy(out + n, piece, k);
		n += k;
	}
	out[n] = '\0';
	return true;
}

static cam_err list_printf(cam_source *s, char *why, size_t why_len)
{
	char name[CAM_PATH_MAX + 32];
	for (long first = 0; first <= 1 && s->n_files == 0; first++)
		for (long i = first; expand(s->conn.path, i, name, sizeof(name)) && is_file(name); i++) {
			cam_err e = add_file(s, name);
			if (e != CAM_OK)
				return cam_fail(e, why, why_len, "%s: more than %d files, or out of memory", s->conn.path,
				           CAM_MAX_FILES);
		}
	if (s->n_files == 0)
		return cam_fail(CAM_ERR_NO_DEVICE, why, why_len, "%s: no such file (the sequence starts at index 0 or 1)",
		           s->conn.path);
	s->how = "printf pattern";
	return CAM_OK;
}

static cam_err list_glob(cam_source *s, char *why, size_t why_len)
{
	glob_t g = { 0 };
	int r = glob(s->conn.path, GLOB_ERR, NULL, &g);
	if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
		globfree(&g);
		return cam_fail(CAM_ERR_NO_DEVICE, why, why_len, "%s: no file matches", s->conn.path);
	}
	if (r != 0) {
		globfree(&g);
		return cam_fail(r == GLOB_NOSPACE ? CAM_ERR_NOMEM : CAM_ERR_NO_DEVICE, why, why_len,
		           "%s: the folder cannot be read", s->conn.path);
	}
	cam_err e = CAM_OK;
	for (size_t i = 0; i < g.gl_pathc && e == CAM_OK; i++) /* glob sorts by name */
		if (is_file(g.gl_pathv[i]))
			e = add_file(s, g.gl_pathv[i]);
	globfree(&g);
	if (e != CAM_OK)
		return cam_fail(e, why, why_len, "%s: more than %d files, or out of memory", s->conn.path, CAM_MAX_FILES);
	if (s->n_files == 0)
		return cam_fail(CAM_ERR_NO_DEVICE, why, why_len, "%s: no regular file matches", s->conn.path);
	s->how = "glob";
	return CAM_OK;
}

static cam_err open_v4l2(cam_source *s, char *why, size_t why_len)
{
	struct stat st;
	if (stat(s->conn.path, &st) != 0)
		return cam_fail(errno == ENOENT ? CAM_ERR_NO_DEVICE : CAM_ERR_OPEN, why, why_len, "%s: %s%s", s->conn.path,
		           strerror(errno), errno == ENOENT ? " (no camera there: is it plugged in?)" : "");
	if (!S_ISCHR(st.st_mode))
		return cam_fail(CAM_ERR_NO_DEVICE, why, why_len, "%s: not a device (a V4L2 camera is a character device)",
		           s->conn.path);
	FILE *probe = fopen(s->conn.path, "r");
	if (!probe)
		return cam_fail(CAM_ERR_OPEN, why, why_len, "%s: %s%s", s->conn.path, strerror(errno),
		           errno == EACCES ? " (is the kiosk's user in the video group?)" : "");
	fclose(probe);
	cam_err e = cv_capture_open_v4l2(s->conn.path, s->conn.width, s->conn.height, s->conn.fps, &s->cap, why,
	                                 why_len);
	if (e != CAM_OK)
		return e;
	s->kind = SOURCE_CAMERA;
	/* Asked controls are set at every open (a camera plugged in again
	 * starts from its defaults); one it lacks is said in the caps. */
	if (s->conn.exposure.mode != CAM_CONTROL_UNSET)
		cv_capture_set_control(s->cap, CV_CONTROL_EXPOSURE, &s->conn.exposure, &s->exposure);
	if (s->conn.focus.mode != CAM_CONTROL_UNSET)
		cv_capture_set_control(s->cap, CV_CONTROL_FOCUS, &s->conn.focus, &s->focus);
	cv_capture_get_info(s->cap, &s->info);
	return CAM_OK;
}

static cam_err open_files(cam_source *s, char *why, size_t why_len)
{
	const char *p = s->conn.path;
	bool has_printf = false;
	for (const char *q = p; *q; q++)
		if (*q == '%' && q[1] != '%')
			has_printf = true;
		else if (*q == '%')
			q++;
	cam_err e;
	if (has_printf) {
		e = list_printf(s, why, why_len);
	} else if (strpbrk(p, "*?[")) {
		e = list_glob(s, why, why_len);
	} else {
		struct stat st;
		if (stat(p, &st) != 0)
			return cam_fail(CAM_ERR_NO_DEVICE, why, why_len, "%s: %s", p, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return cam_fail(CAM_ERR_NOT_MEDIA, why, why_len, "%s: not a regular file", p);
		cam_frame *f = NULL;
		e = cv_image_read(p, &f, why, why_len);
		if (e == CAM_OK) {
			cam_frame_free(f);
			s->how = "one image";
			e = add_file(s, p);
		} else if (e == CAM_ERR_NOT_MEDIA) {
			e = cv_capture_open_video(p, &s->cap, why, why_len);
			if (e == CAM_OK) {
				s->kind = SOURCE_VIDEO;
				cv_capture_get_info(s->cap, &s->info);
				return CAM_OK;
			}
		}
		if (e != CAM_OK)
			return e;
	}
	if (e != CAM_OK)
		return e;
	/* The first image says the size, and that they are images at all. */
	s->kind = SOURCE_IMAGES;
	cam_frame *f = NULL;
	e = cv_image_read(s->files[0], &f, why, why_len);
	if (e != CAM_OK)
		return e;
	s->width = f->width;
	s->height = f->height;
	cam_frame_free(f);
	return CAM_OK;
}

cam_err cam_source_open(const cam_conn *c, cam_source **ret, char *why, size_t why_len)
{
	cam_source *s = calloc(1, sizeof(*s));
	if (!s)
		return CAM_ERR_NOMEM;
	s->conn = *c;
	cam_err e = c->driver == CAM_DRIVER_V4L2 ? open_v4l2(s, why, why_len) : open_files(s, why, why_len);
	if (e != CAM_OK) {
		cam_source_close(s);
		return e;
	}
	*ret = s;
	return CAM_OK;
}

void cam_source_close(cam_source *s)
{
	if (!s)
		return;
	cv_capture_close(s->cap);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	free(s);
}

cam_err cam_source_present(cam_source *s, char *why, size_t why_len)
{
	struct stat st;
	switch (s->kind) {
	case SOURCE_CAMERA:
		if (stat(s->conn.path, &st) != 0 || !S_ISCHR(st.st_mode))
			return cam_fail(CAM_ERR_GONE, why, why_len, "%s: the camera went away (unplugged)", s->conn.path);
		return CAM_OK;
	case SOURCE_VIDEO:
		if (!is_file(s->conn.path))
			return cam_fail(CAM_ERR_GONE, why, why_len, "%s: the video file went away", s->conn.path);
		return CAM_OK;
	case SOURCE_IMAGES:
		for (size_t i = 0; i < s->n_files; i++)
			if (!is_file(s->files[i]))
				return cam_fail(CAM_ERR_GONE, why, why_len, "%s: the file went away", s->files[i]);
		return CAM_OK;
	}
	return CAM_ERR_GONE;
}

cam_err cam_source_read(cam_source *s, cam_frame **ret, char *why, size_t why_len)
{
	cam_err e;
	switch (s->kind) {
	case SOURCE_CAMERA:
		e = cv_capture_read(s->cap, ret, why, why_len);
		if (e == CAM_ERR_READ && cam_source_present(s, why, why_len) != CAM_OK)
			return CAM_ERR_GONE; /* why says so */
		return e;
	case SOURCE_VIDEO:
		e = cv_capture_read(s->cap, ret, why, why_len);
		if (e == CAM_ERR_ENDED && s->conn.loop && cam_source_rewind(s, why, why_len) == CAM_OK)
			e = cv_capture_read(s->cap, ret, why, why_len);
		if (e == CAM_ERR_ENDED)
			cam_fail(e, why, why_len, "%s: the video ended", s->conn.path);
		return e;
	case SOURCE_IMAGES:
		if (s->next >= s->n_files) {
			if (!s->conn.loop)
				return cam_fail(CAM_ERR_ENDED, why, why_len, "%s: the sequence ended after %zu frames",
				           s->conn.path, s->n_files);
			s->next = 0;
		}
		const char *path = s->files[s->next++];
		if (!is_file(path))
			return cam_fail(CAM_ERR_GONE, why, why_len, "%s: the file went away", path);
		return cv_image_read(path, ret, why, why_len);
	}
	return CAM_ERR_READ;
}

cam_err cam_source_rewind(cam_source *s, char *why, size_t why_len)
{
	switch (s->kind) {
	case SOURCE_CAMERA:
		return CAM_OK;
	case SOURCE_VIDEO:
		return cv_capture_rewind(s->cap, why, why_len);
	case SOURCE_IMAGES:
		s->next = 0;
		return CAM_OK;
	}
	return CAM_OK;
}

double cam_source_pace_fps(const cam_source *s)
{
	if (s->kind == SOURCE_CAMERA)
		return 0;
	if (s->conn.fps > 0)
		return s->conn.fps;
	if (s->kind == SOURCE_VIDEO && s->info.fps > 0)
		return s->info.fps;
	return CAM_FILE_DEFAULT_FPS;
}

/* The capabilities' line for a control the connection string asked for:
 * "exposure: 150 (asked 150)", "focus: auto (asked auto)", "exposure:
 * asked 150, not offered by the camera"; nothing when not asked. */
static void control_line(const char *name, const cam_control *ask, const cv_control_state *st, char *out,
                         size_t len)
{
	char asked[16], now[32];
	out[0] = '\0';
	if (ask->mode == CAM_CONTROL_UNSET)
		return;
	if (ask->mode == CAM_CONTROL_AUTO)
		snprintf(asked, sizeof(asked), "auto");
	else
		snprintf(asked, sizeof(asked), "%d", ask->value);
	if (!st->offered) {
		snprintf(out, len, "%s: asked %s, not offered by the camera\n", name, asked);
		return;
	}
	if (st->automatic)
		snprintf(now, sizeof(now), "auto");
	else if (st->has_value)
		snprintf(now, sizeof(now), "%g", st->value);
	else
		snprintf(now, sizeof(now), "manual");
	snprintf(out, len, "%s: %s (asked %s%s)\n", name, now, asked, st->refused ? ", refused by the camera" : "");
}

void cam_source_caps(cam_source *s, char *out, size_t len)
{
	switch (s->kind) {
	case SOURCE_CAMERA: {
		const cv_capture_info *i = &s->info;
		char controls[96] = "", exposure[96], focus[96];
		snprintf(controls, sizeof(controls), "%s%s%s%s", i->exposure ? ", exposure" : "",
		         i->auto_exposure ? ", auto exposure" : "", i->focus ? ", focus" : "",
		         i->autofocus ? ", autofocus" : "");
		control_line("exposure", &s->conn.exposure, &s->exposure, exposure, sizeof(exposure));
		control_line("focus", &s->conn.focus, &s->focus, focus, sizeof(focus));
		snprintf(out, len, "backend: %s\nresolution: %dx%d\nframe rate: %g fps\ncontrols: %s\n%s%s", i->backend,
		         i->width, i->height, i->fps, controls[0] ? controls + 2 : "none", exposure, focus);
		return;
	}
	case SOURCE_VIDEO:
		snprintf(out, len, "backend: %s (video file, %ld frames)\nresolution: %dx%d\nframe rate: %g fps\nend: %s\n"
		         "controls: none\n", s->info.backend, s->info.frames, s->info.width, s->info.height,
		         cam_source_pace_fps(s), s->conn.loop ? "loops" : "ends");
		return;
	case SOURCE_IMAGES:
		snprintf(out, len, "backend: image files (%s, %zu frame%s)\nresolution: %dx%d\nframe rate: %g fps\nend: %s\n"
		         "controls: none\n", s->how, s->n_files, s->n_files == 1 ? "" : "s", s->width, s->height,
		         cam_source_pace_fps(s),
		         s->conn.loop ? "loops" : "ends");
		return;
	}
}
