/*
 * cv-loader — cv-capture.h for the camera's C, over the OpenCV module
 * (cv-module.h) opened with dlopen the first time the camera needs it.
 * Linking OpenCV into appm made every run of it load some 250 libraries
 * (0.01 s became 0.18 s, 14 MB of memory 73 MB), for a passport read or a
 * kiosk without a camera as much as with one.
 *
 * Where the module is: $APPM_OPENCV_MODULE when set; else the build
 * tree's (tests and uninstalled runs), when it is there; else the
 * installed one. When it cannot be loaded every operation answers
 * CAM_ERR_OPEN with the loader's words, so the camera goes offline
 * saying why and the rest of the kiosk runs.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "hal/camera/cv-module.h"

typedef struct loaded {
	const cv_module_ops *ops;   /* NULL: not loaded, error says why */
	char error[400];
} loaded;

/* Once per process; the module stays loaded (OpenCV keeps threads and
 * state of its own, unsafe to unload). */
static gpointer load(gpointer unused)
{
	(void)unused;
	loaded *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	const char *path = getenv("APPM_OPENCV_MODULE");
	if (!path || !path[0])
		path = access(APPM_OPENCV_MODULE_BUILD, R_OK) == 0 ? APPM_OPENCV_MODULE_BUILD : APPM_OPENCV_MODULE;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(l->error, sizeof(l->error), "the camera's OpenCV module cannot be loaded: %s",
		         why ? why : path);
		return l;
	}
	const cv_module_ops *(*entry)(void) = NULL;
	*(void **)&entry = dlsym(h, CV_MODULE_SYMBOL);
	const cv_module_ops *ops = entry ? entry() : NULL;
	if (!ops || ops->abi != CV_MODULE_ABI || ops->size != sizeof(cv_module_ops)) {
		snprintf(l->error, sizeof(l->error), "%.300s: not the camera's OpenCV module of this program (%s)", path,
		         ops ? "another version" : "no " CV_MODULE_SYMBOL);
		dlclose(h);
		return l;
	}
	l->ops = ops;
	return l;
}

static const cv_module_ops *module(char *why, size_t why_len)
{
	static GOnce once = G_ONCE_INIT;
	const loaded *l = g_once(&once, load, NULL);
	if (l && l->ops)
		return l->ops;
	if (why && why_len)
		snprintf(why, why_len, "%s", l ? l->error : "out of memory loading the camera's OpenCV module");
	return NULL;
}

cam_err cv_capture_open_v4l2(const char *path, int width, int height, double fps, cv_capture **ret, char *why,
                             size_t why_len)
{
	const cv_module_ops *m = module(why, why_len);
	return m ? m->open_v4l2(path, width, height, fps, ret, why, why_len) : CAM_ERR_OPEN;
}

cam_err cv_capture_open_video(const char *path, cv_capture **ret, char *why, size_t why_len)
{
	const cv_module_ops *m = module(why, why_len);
	return m ? m->open_video(path, ret, why, why_len) : CAM_ERR_OPEN;
}

void cv_capture_close(cv_capture *c)
{
	if (c) /* made by the module, which is loaded */
		module(NULL, 0)->close(c);
}

void cv_capture_get_info(cv_capture *c, cv_capture_info *ret)
{
	module(NULL, 0)->get_info(c, ret);
}

void cv_capture_set_control(cv_capture *c, cv_control which, const cam_control *ask, cv_control_state *ret)
{
	module(NULL, 0)->set_control(c, which, ask, ret);
}

cam_err cv_capture_read(cv_capture *c, cam_frame **ret, char *why, size_t why_len)
{
	return module(NULL, 0)->read(c, cam_frame_new, ret, why, why_len);
}

cam_err cv_capture_rewind(cv_capture *c, char *why, size_t why_len)
{
	return module(NULL, 0)->rewind(c, why, why_len);
}

cam_err cv_image_read(const char *path, cam_frame **ret, char *why, size_t why_len)
{
	const cv_module_ops *m = module(why, why_len);
	return m ? m->image_read(path, cam_frame_new, ret, why, why_len) : CAM_ERR_OPEN;
}

cam_err cv_image_write(const char *path, const cam_frame *f, char *why, size_t why_len)
{
	const cv_module_ops *m = module(why, why_len);
	return m ? m->image_write(path, f, why, why_len) : CAM_ERR_OPEN;
}

cam_err cv_video_write(const char *path, cam_frame *const *f, size_t n, double fps, char *why, size_t why_len)
{
	const cv_module_ops *m = module(why, why_len);
	return m ? m->video_write(path, f, n, fps, why, why_len) : CAM_ERR_OPEN;
}

cam_err cv_measure(const cam_frame *f, double *ret_mean, double *ret_stddev, double *ret_laplacian_var)
{
	const cv_module_ops *m = module(NULL, 0);
	return m ? m->measure(f, ret_mean, ret_stddev, ret_laplacian_var) : CAM_ERR_OPEN;
}
