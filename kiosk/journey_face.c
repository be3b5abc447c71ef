/*
 * journey_face — the journey's camera step (kiosk/face.h) carried out:
 * the chip's face enrolled when the read succeeds, an attempt started on
 * the face screen, its prompts published, its decision fed to the flow
 * (FACE_DONE, or FACE_FAILED, which the flow retries FLOW_MAX_RETRIES
 * times before the officer), and the camera stopped when the screen is
 * left. What joins the session: the decision's figures and the photo.
 */
#include <string.h>

#include "kiosk/journey-internal.h"

/* A retry: why the last attempt failed is shown (and said) this long
 * before the next one starts. */
#define RETRY_PAUSE_MS 4000

void journey_attach_face(journey *j, kface *face)
{
	kface_free(j->face);
	j->face = face;
	if (face && j->devs && kdevs_has_camera(j->devs))
		j->f.cfg.fitted |= FLOW_DEV_CAMERA;
	else
		j->f.cfg.fitted &= ~(unsigned)FLOW_DEV_CAMERA;
}

void journey_face_chip(journey *j, const pp_report *rep)
{
	j->face_chip_why[0] = '\0';
	if (!j->face)
		return;
	if (!kface_set_chip(j->face, rep->parsed.face, j->face_chip_why, sizeof(j->face_chip_why)))
		journey_say(j, "journey: %s", j->face_chip_why);
}

static void stop_pause(journey *j)
{
	if (j->face_pause) {
		g_source_destroy(j->face_pause);
		g_source_unref(j->face_pause);
		j->face_pause = NULL;
	}
}

void journey_face_wipe(journey *j)
{
	stop_pause(j);
	kface_wipe(j->face);
	j->face_last = NULL;
	j->face_officer = false;
	j->face_chip_why[0] = '\0';
	json_decref(j->face_result);
	j->face_result = NULL;
}

void journey_face_follow(journey *j)
{
	if (!j->face || j->f.state == FLOW_WAIT_FACE)
		return;
	stop_pause(j);
	kface_stop(j->face);
	if (j->ui)
		ui_server_preview(j->ui, NULL, 0, 0, 0); /* the picture goes with the screen */
}

/* The verified attempt (or the photo an officer compared), as the
 * session keeps it. */
static json_t *result_json(const fs_result *r)
{
	gchar *photo = r->jpeg ? g_base64_encode(r->jpeg, r->jpeg_len) : NULL;
	json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:s, s:f, s:s?}", "decision", fs_decision_id(r->decision), "score",
	                      (double)r->score, "score_after", (double)r->score_end, "live", (double)r->live,
	                      "challenge", fs_challenge_id(r->challenge), "answer_s", (double)r->answer_us / 1e6,
	                      "photo_jpeg", photo);
	kface_wipe_free(photo);
	return o;
}

static void on_update(kface *f, bool decided, void *user)
{
	journey *j = user;
	if (!decided) {
		journey_publish(j);
		return;
	}
	fs_result r;
	kface_result(f, &r);
	if (r.decision == FS_PENDING) {
		/* The kiosk's side failed (a camera gone is also an offline
		 * event, which takes the kiosk out of service): an officer takes
		 * the photo, the applicant is not sent round again. */
		journey_say(j, "journey: the face step stopped: %s: an officer is needed", r.why);
		journey_feed(j, FLOW_EV_CALL_OFFICER, 0);
		return;
	}
	journey_say(j, "journey: face %s: %s (liveness network %.2f)", fs_decision_id(r.decision), r.why,
	            (double)r.live);
	if (r.decision == FS_VERIFIED || r.decision == FS_CAPTURED) {
		json_decref(j->face_result);
		j->face_result = result_json(&r);
		j->face_last = NULL;
		journey_feed(j, FLOW_EV_FACE_DONE, 0);
		return;
	}
	j->face_last = fs_decision_id(r.decision);
	journey_feed(j, FLOW_EV_FACE_FAILED, 0);
}

/* The preview: each frame to the page, before the step sees it. */
static void on_frame(const cam_frame *frame, void *user)
{
	journey *j = user;
	if (j->ui)
		ui_server_preview(j->ui, frame->data, frame->width, frame->height, frame->stride);
}

static void begin(journey *j);

static gboolean pause_over(gpointer data)
{
	journey *j = data;
	g_source_unref(j->face_pause);
	j->face_pause = NULL;
	begin(j);
	journey_publish(j);
	return G_SOURCE_REMOVE;
}

void journey_face_start(journey *j)
{
	if (!j->face)
		return;
	if (j->face_last) { /* a retry: the words first */
		stop_pause(j);
		j->face_pause = g_timeout_source_new(RETRY_PAUSE_MS);
		g_source_set_callback(j->face_pause, pause_over, j, NULL);
		g_source_attach(j->face_pause, j->ctx);
		return;
	}
	begin(j);
}

static void begin(journey *j)
{
	/* Nothing to compare with: a person must. Called, and back (the
	 * officer let the session go on), the photo is taken for them to
	 * compare by eye. */
	bool photo_only = !kface_has_chip(j->face);
	if (photo_only && !j->face_officer) {
		journey_say(j, "journey: the face cannot be verified here (%s): an officer is needed",
		            j->face_chip_why[0] ? j->face_chip_why : "no chip photo");
		journey_feed(j, FLOW_EV_CALL_OFFICER, 0);
		return;
	}
	dev_err e = kface_start(j->face, j->devs, photo_only, on_update, on_frame, j);
	if (e != DEV_OK) {
		journey_say(j, "journey: the camera cannot start: %s: an officer is needed", dev_strerror(e));
		journey_feed(j, FLOW_EV_CALL_OFFICER, 0);
	}
}

json_t *journey_face_json(journey *j)
{
	const char *phase = j->face ? kface_phase(j->face) : NULL;
	const char *prompt = j->face ? kface_prompt(j->face) : NULL;
	if (j->face_pause)
		phase = "retry", prompt = NULL;
	return json_pack("{s:s, s:s?, s:i, s:i, s:s?}", "phase", phase ? phase : "guide", "prompt", prompt, "attempt",
	                 (int)j->f.face_retries + 1, "attempts", FLOW_MAX_RETRIES + 1, "last", j->face_last);
}
