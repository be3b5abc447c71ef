/*
 * fm-loader — fm.h's networks for appm, over the face module
 * (fm-module.h) opened with dlopen the first time a face is needed, so
 * that a passport read or a kiosk without a camera does not load
 * OpenCV's DNN. Tests and tools link the networks directly (fm_dep);
 * appm links this (fm_loaded_dep).
 *
 * Where the module is: $APPM_FACE_MODULE when set; else the build tree's
 * (tests and uninstalled runs), when it is there; else the installed
 * one. When it cannot be loaded fm_models_load answers
 * FM_ERR_MODEL_MISSING with the loader's words (the face step is then
 * not fitted, as with a missing model file) and fm_image_read
 * FM_ERR_IMAGE.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hal/face/fm-module.h"

typedef struct loaded {
	const fm_module_ops *ops;   /* NULL: not loaded, error says why */
	char error[400];
} loaded;

/* Once per process, and the module stays loaded (OpenCV keeps threads
 * of its own): written once under pthread_once, read-only afterwards. */
static loaded the_module;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	loaded *l = &the_module;
	const char *path = getenv("APPM_FACE_MODULE");
	if (!path || !path[0])
		path = access(APPM_FACE_MODULE_BUILD, R_OK) == 0 ? APPM_FACE_MODULE_BUILD : APPM_FACE_MODULE;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(l->error, sizeof(l->error), "the face module cannot be loaded: %s", why ? why : path);
		return;
	}
	const fm_module_ops *(*entry)(void) = NULL;
	*(void **)&entry = dlsym(h, FM_MODULE_SYMBOL);
	const fm_module_ops *ops = entry ? entry() : NULL;
	if (!ops || ops->abi != FM_MODULE_ABI || ops->size != sizeof(fm_module_ops)) {
		snprintf(l->error, sizeof(l->error), "%.300s: not the face module of this program (%s)", path,
		         ops ? "another version" : "no " FM_MODULE_SYMBOL);
		dlclose(h);
		return;
	}
	l->ops = ops;
}

static const fm_module_ops *module(void)
{
	pthread_once(&once, load);
	return the_module.ops;
}

fm_err fm_image_read(const char *path, fm_image *ret)
{
	const fm_module_ops *m = module();
	return m ? m->image_read(path, ret) : FM_ERR_IMAGE;
}

void fm_image_free(fm_image *img)
{
	if (!img)
		return;
	free(img->data); /* the module's malloc is the program's */
	img->data = NULL;
}

fm_err fm_models_load(const char *dir, fm_models **ret, char *why, size_t why_len)
{
	const fm_module_ops *m = module();
	if (m)
		return m->models_load(dir, ret, why, why_len);
	if (why && why_len)
		snprintf(why, why_len, "%s", the_module.error);
	return FM_ERR_MODEL_MISSING;
}

/* The rest need an fm_models, which only a loaded module makes. */

void fm_models_free(fm_models *models)
{
	if (models)
		module()->models_free(models);
}

fm_err fm_detect(fm_models *models, const fm_image *img, fm_box *boxes, size_t max, size_t *n)
{
	return models ? module()->detect(models, img, boxes, max, n) : FM_ERR_ARG;
}

fm_err fm_landmark(fm_models *models, const fm_image *img, const fm_box *box, fm_landmarks *ret)
{
	return models ? module()->landmark(models, img, box, ret) : FM_ERR_ARG;
}

fm_err fm_eye_closed(fm_models *models, const fm_image *img, const fm_landmarks *lm, float ret[2])
{
	return models ? module()->eye_closed(models, img, lm, ret) : FM_ERR_ARG;
}

/* No fm_models here: the pose needs the module loaded all the same,
 * which only a successful fm_models_load (run first by every caller)
 * makes sure of. */
fq_err fq_head_pose(const fm_landmarks *lm, int width, int height, double ret[3])
{
	const fm_module_ops *m = module();
	return m ? m->head_pose(lm, width, height, ret) : FQ_ERR_POSE;
}

fm_err fm_embed(fm_models *models, const fm_image *img, const fm_point five[FM_FIVE], float ret[FM_EMBEDDING])
{
	return models ? module()->embed(models, img, five, ret) : FM_ERR_ARG;
}

fm_err fm_liveness(fm_models *models, const fm_image *img, const fm_box *box, float *ret_live)
{
	return models ? module()->liveness(models, img, box, ret_live) : FM_ERR_ARG;
}
