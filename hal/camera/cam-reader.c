/*
 * cam-reader — the file driver's source without the device: for
 * command-line tools (`appm face verify --live FILE`) that want every
 * frame of a file, in order, as fast as they can take them, on their own
 * thread. The same source code reads them as the device's, so a tool and
 * the kiosk see the same frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/camera/camera-internal.h"

struct cam_reader {
	cam_source *src;
};

cam_err cam_reader_open(const char *path, cam_reader **ret, char *why, size_t why_len)
{
	if (!path || !path[0] || !ret) {
		if (why && why_len)
			snprintf(why, why_len, "no file given");
		return CAM_ERR_ARG;
	}
	cam_conn c = { .driver = CAM_DRIVER_FILE, .loop = false };
	if (strlen(path) >= sizeof(c.path)) {
		if (why && why_len)
			snprintf(why, why_len, "path longer than %d characters", CAM_PATH_MAX - 1);
		return CAM_ERR_ARG;
	}
	strcpy(c.path, path);
	cam_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		if (why && why_len)
			snprintf(why, why_len, "out of memory");
		return CAM_ERR_NOMEM;
	}
	cam_err e = cam_source_open(&c, &r->src, why, why_len);
	if (e != CAM_OK) {
		free(r);
		return e;
	}
	*ret = r;
	return CAM_OK;
}

cam_err cam_reader_read(cam_reader *r, cam_frame **ret, char *why, size_t why_len)
{
	if (!r || !ret)
		return CAM_ERR_ARG;
	return cam_source_read(r->src, ret, why, why_len);
}

double cam_reader_fps(const cam_reader *r)
{
	return r ? cam_source_pace_fps(r->src) : 0;
}

void cam_reader_close(cam_reader *r)
{
	if (!r)
		return;
	cam_source_close(r->src);
	free(r);
}
