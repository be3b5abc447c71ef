/*
 * face.c — the camera step in the daemon (face.h): models, the chip's
 * face, the worker thread and the attempt it works on.
 */
#include "kiosk/face.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* One attempt, shared by the loop and the worker: the loop drops it
 * (owner NULL) when it stops or decides; the last reference frees the
 * step, on whichever thread that is. */
typedef struct attempt {
	gint ref;
	kface *owner;          /* loop only; NULL once abandoned */
	fs_step *step;         /* worker only while a job runs */
	bool busy;             /* loop only: a frame is with the worker */
} attempt;

typedef struct job {
	attempt *a;            /* NULL: the worker stops */
	cam_frame *frame;
} job;

/* What a stream's callbacks reach the kface through: a stream may end
 * after kface_free, which then cuts the link (f NULL); the stream's end
 * frees it. */
typedef struct link {
	kface *f;
} link;

typedef struct answer {
	attempt *a;
	kface *f;              /* read only to leave the pending list */
	GSource *src;
	fs_err err;
	fs_frame_report rep;
	fs_result res;         /* when decided; jpeg points into photo */
	uint8_t *photo;
} answer;

struct kface {
	GMainContext *ctx;
	fm_models *models;
	fs_config cfg;
	fv_reference chip;
	bool has_chip;
	GThread *worker;
	GAsyncQueue *jobs;
	GMutex lock;           /* pending */
	GSList *pending;       /* answers posted to the loop, not yet run */

	kdevs *devs;
	link *stream;          /* the running stream's, or NULL */
	bool stopping, restart;
	attempt *attempt;      /* the running one, or NULL */
	kface_update_fn update;
	kface_frame_fn frame;
	void *user;
	const char *phase, *prompt;
	fs_result result;
	uint8_t *photo;
};

void kface_wipe_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void attempt_unref(attempt *a)
{
	if (a && g_atomic_int_dec_and_test(&a->ref)) {
		fs_step_free(a->step);
		g_free(a);
	}
}

/* ---- the worker ---- */

static gboolean on_answer(gpointer data);

/* An answer's end, run or not: the photo it may carry is wiped. */
static void answer_free(gpointer data)
{
	answer *ans = data;
	g_mutex_lock(&ans->f->lock);
	ans->f->pending = g_slist_remove(ans->f->pending, ans->src);
	g_mutex_unlock(&ans->f->lock);
	kface_wipe_free(ans->photo);
	attempt_unref(ans->a);
	g_free(ans);
}

static gpointer work(gpointer data)
{
	kface *f = data;
	for (;;) {
		job *j = g_async_queue_pop(f->jobs);
		if (!j->a) {
			g_free(j);
			return NULL;
		}
		answer *ans = g_new0(answer, 1);
		ans->a = j->a;
		cam_frame *fr = j->frame;
		fm_image img = { .data = fr->data, .width = fr->width, .height = fr->height, .stride = fr->stride };
		ans->err = fs_step_feed(j->a->step, &img, fr->timestamp_us, &ans->rep);
		cam_frame_free(fr);
		g_free(j);
		if (ans->rep.decision != FS_PENDING) {
			fs_step_result(ans->a->step, &ans->res);
			if (ans->res.jpeg && (ans->photo = malloc(ans->res.jpeg_len)))
				memcpy(ans->photo, ans->res.jpeg, ans->res.jpeg_len);
			ans->res.jpeg = ans->photo;
		}
		/* The job's reference on the attempt is the answer's now. Always
		 * through the loop (never run here: g_main_context_invoke would,
		 * when nobody holds the context, as at shutdown). */
		ans->f = f;
		ans->src = g_idle_source_new();
		g_source_set_callback(ans->src, on_answer, ans, answer_free);
		g_mutex_lock(&f->lock);
		f->pending = g_slist_prepend(f->pending, ans->src);
		g_source_attach(ans->src, f->ctx);
		g_source_unref(ans->src); /* the context's reference keeps it */
		g_mutex_unlock(&f->lock);
	}
}

/* ---- the loop ---- */

static void abandon(kface *f)
{
	attempt *a = f->attempt;
	if (!a)
		return;
	f->attempt = NULL;
	a->owner = NULL;
	attempt_unref(a);
}

static void decided(kface *f, const fs_result *res, uint8_t *photo)
{
	kface_wipe_free(f->photo);
	f->photo = photo;
	f->result = *res;
	f->result.jpeg = photo;
	f->phase = "checking";
	abandon(f);
	if (f->update)
		f->update(f, true, f->user);
}

static gboolean on_answer(gpointer data)
{
	answer *ans = data;
	attempt *a = ans->a;
	kface *f = a->owner;
	if (f) {
		a->busy = false;
		const char *phase = ans->rep.phase == FS_PHASE_DONE ? "checking" : fs_phase_id(ans->rep.phase);
		bool changed = phase != f->phase || ans->rep.prompt != f->prompt;
		f->phase = phase;
		f->prompt = ans->rep.prompt;
		if (ans->err != FS_OK) {
			/* A network or memory failed: the kiosk's fault, not the
			 * applicant's (FS_PENDING: no decision). */
			fs_result r = { .decision = FS_PENDING };
			snprintf(r.why, sizeof(r.why), "the face step failed: %s", fs_strerror(ans->err));
			decided(f, &r, NULL);
		} else if (ans->rep.decision != FS_PENDING) {
			decided(f, &ans->res, ans->photo);
			ans->photo = NULL;
		} else if (changed && f->update) {
			f->update(f, false, f->user);
		}
	}
	return G_SOURCE_REMOVE; /* answer_free follows */
}

static void on_frame(dev *d, cam_frame *frame, void *user)
{
	(void)d;
	kface *f = ((link *)user)->f;
	if (!f) {
		cam_frame_free(frame);
		return;
	}
	if (f->frame)
		f->frame(frame, f->user);
	attempt *a = f->attempt;
	if (!a || a->busy) {
		cam_frame_free(frame);
		return;
	}
	a->busy = true;
	g_atomic_int_inc(&a->ref);
	job *j = g_new0(job, 1);
	*j = (job){ a, frame };
	g_async_queue_push(f->jobs, j);
}

static dev_err start_stream(kface *f);

static void on_stream_done(dev_err e, void *user)
{
	kface *f = ((link *)user)->f;
	g_free(user);
	if (!f)
		return;
	f->stream = NULL;
	f->stopping = false;
	if (f->attempt && e != DEV_ERR_CANCELLED) {
		/* The camera stopped under a running attempt: no decision. */
		fs_result r = { .decision = FS_PENDING };
		snprintf(r.why, sizeof(r.why), "the camera stopped: %s", dev_strerror(e));
		decided(f, &r, NULL);
		return;
	}
	bool restart = f->restart && f->attempt;
	f->restart = false;
	if (restart && (e = start_stream(f)) != DEV_OK) {
		fs_result r = { .decision = FS_PENDING };
		snprintf(r.why, sizeof(r.why), "the camera cannot stream: %s", dev_strerror(e));
		decided(f, &r, NULL);
	}
}

static dev_err start_stream(kface *f)
{
	link *l = g_new0(link, 1);
	l->f = f;
	dev_err e = kdevs_stream_camera(f->devs, on_frame, on_stream_done, l);
	if (e != DEV_OK)
		g_free(l);
	else
		f->stream = l;
	return e;
}

kface *kface_new(const char *dir, const fs_config *cfg, GMainContext *ctx, char *why, size_t why_len)
{
	fm_models *m = NULL;
	if (fm_models_load(dir, &m, why, why_len) != FM_OK)
		return NULL;
	kface *f = g_new0(kface, 1);
	f->ctx = ctx ? ctx : g_main_context_default();
	f->models = m;
	f->cfg = cfg ? *cfg : fs_config_default();
	f->jobs = g_async_queue_new();
	g_mutex_init(&f->lock);
	f->worker = g_thread_new("appm-face", work, f);
	return f;
}

bool kface_set_chip(kface *f, const face_image *chip, char *why, size_t why_len)
{
	f->has_chip = false;
	if (!chip || !chip->rgb || chip->rgb_len < (size_t)chip->width * chip->height * 3) {
		snprintf(why, why_len, "the chip has no face image");
		return false;
	}
	/* DG2 decodes to RGB; the networks take BGR. */
	fm_image img = { .data = g_malloc(chip->rgb_len), .width = (int)chip->width, .height = (int)chip->height,
		         .stride = (size_t)chip->width * 3 };
	for (size_t i = 0; i + 2 < chip->rgb_len; i += 3) {
		img.data[i] = chip->rgb[i + 2];
		img.data[i + 1] = chip->rgb[i + 1];
		img.data[i + 2] = chip->rgb[i];
	}
	fm_err fe = FM_OK;
	fv_err e = fv_enroll(f->models, &img, &f->chip, &fe);
	explicit_bzero(img.data, chip->rgb_len);
	g_free(img.data);
	if (e != FV_OK) {
		snprintf(why, why_len, "the chip's photo: %s%s%s", fv_strerror(e), e == FV_ERR_MODEL ? ": " : "",
		         e == FV_ERR_MODEL ? fm_strerror(fe) : "");
		return false;
	}
	f->has_chip = true;
	return true;
}

bool kface_has_chip(const kface *f)
{
	return f->has_chip;
}

dev_err kface_start(kface *f, kdevs *devs, bool photo_only, kface_update_fn update, kface_frame_fn frame,
                    void *user)
{
	if (!f->has_chip && !photo_only)
		return DEV_ERR_ARG;
	abandon(f);
	attempt *a = g_new0(attempt, 1);
	a->ref = 1;
	a->owner = f;
	if (fs_step_new(f->models, photo_only ? NULL : &f->chip, &f->cfg, &a->step) != FS_OK) {
		g_free(a);
		return DEV_ERR_NOMEM;
	}
	f->attempt = a;
	f->devs = devs;
	f->update = update;
	f->frame = frame;
	f->user = user;
	f->phase = "guide";
	f->prompt = NULL;
	kface_wipe_free(f->photo);
	f->photo = NULL;
	f->result = (fs_result){ 0 };
	if (f->stopping) {
		f->restart = true; /* on_stream_done starts it again */
		return DEV_OK;
	}
	if (f->stream)
		return DEV_OK;     /* the last attempt's stream goes on */
	dev_err e = start_stream(f);
	if (e != DEV_OK)
		abandon(f);
	return e;
}

void kface_stop(kface *f)
{
	if (!f)
		return;
	abandon(f);
	f->restart = false;
	if (f->stream && !f->stopping && f->devs) {
		f->stopping = true;
		kdevs_stop_camera(f->devs);
	}
}

void kface_wipe(kface *f)
{
	if (!f)
		return;
	kface_stop(f);
	explicit_bzero(&f->chip, sizeof(f->chip));
	f->has_chip = false;
	kface_wipe_free(f->photo);
	f->photo = NULL;
	f->result = (fs_result){ 0 };
	f->phase = f->prompt = NULL;
}

const char *kface_phase(const kface *f)
{
	return f->phase;
}

const char *kface_prompt(const kface *f)
{
	return f->prompt;
}

void kface_result(const kface *f, fs_result *ret)
{
	*ret = f->result;
}

void kface_free(kface *f)
{
	if (!f)
		return;
	kface_wipe(f);
	if (f->stream)
		f->stream->f = NULL; /* its end comes after this */
	job *quit = g_new0(job, 1);
	g_async_queue_push(f->jobs, quit);
	g_thread_join(f->worker);
	g_async_queue_unref(f->jobs);
	/* Answers the loop never ran (it stopped): dropped, photos wiped. */
	for (;;) {
		g_mutex_lock(&f->lock);
		GSource *src = f->pending ? f->pending->data : NULL;
		g_mutex_unlock(&f->lock);
		if (!src)
			break;
		g_source_destroy(src); /* answer_free takes it off the list */
	}
	g_mutex_clear(&f->lock);
	fm_models_free(f->models);
	g_free(f);
}
