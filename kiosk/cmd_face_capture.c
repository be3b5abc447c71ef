/*
 * cmd_face_capture — `appm face capture`: the journey's camera step
 * (hal/face/step.h) from the command line, frame by frame: each frame's
 * checks and prompt, the capture, and with a chip photo the challenge and
 * the decision.
 *
 * Frames come from the camera's own code: a file source (`file:...`) is
 * read as fast as the networks take it, each frame standing for its time
 * at the source's rate, so a recorded sequence gives the same answer on
 * any machine; a camera (`v4l2:...`) streams through the device core on
 * a GLib loop, in real time.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "hal/camera/camera.h"
#include "hal/face/step.h"
#include "kiosk/appm.h"
#include "kiosk/cmd_face.h"

typedef struct capture_args {
	const char *camera, *out, *chip, *models;
	fs_config cfg;
	unsigned max_frames;
	bool json;
} capture_args;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: appm face capture --camera SPEC --out PHOTO.jpg [OPTIONS]\n"
	        "\n"
	        "The kiosk's camera step: each frame's quality checks and the prompt the applicant\n"
	        "would see; the photo taken from the best frame once every check passes (cropped\n"
	        "to the ICAO full-frontal geometry, %dx%d, JPEG of at most %d bytes) and written\n"
	        "to PHOTO.jpg. With --chip, the step goes on as at the kiosk: a head turn or a\n"
	        "blink asked for after a random pause, and the decision: the chip's holder and\n"
	        "alive, not the holder, or not alive.\n"
	        "\n"
	        "  --camera SPEC    file:PATTERN[@FPS] (one image, frames/%%03d.png, frames/*.png\n"
	        "                   or a video; read as fast as it goes, each frame standing for\n"
	        "                   1/FPS s) or v4l2:/dev/videoN[:WxH[@FPS]] (a camera, live;\n"
	        "                   ,exposure=auto|N and ,focus=auto|N after it: see README)\n"
	        "  --out FILE       where the photo goes (written only when one is taken)\n"
	        "  --chip FILE      the chip's photo (DG2 face as an image file): verify and ask\n"
	        "                   for a movement\n"
	        "  --challenge ID   turn-left, turn-right, blink or random (default random)\n"
	        "  --delay-ms N     the pause before the question (default random %d-%d ms)\n"
	        "  --seed N         for the random choices (default from the system)\n"
	        "  --frames N       stop after N frames\n"
	        "  --models DIR     the face models (default %s)\n"
	        "  --json           JSON instead of text\n"
	        "\n"
	        "Exit: 0 photo taken (and with --chip: the holder, alive); 22 not the chip's\n"
	        "holder; 23 no single face in the chip photo; 24 the face models are missing or\n"
	        "corrupt; 25 the movement asked for was not made (a photo or a replay?); 26 no\n"
	        "frame passed every check (or the frames ended first); 2 bad command line or a\n"
	        "camera or file that cannot be read.\n"
	        "\n",
	        FQ_PORTRAIT_WIDTH, FQ_PORTRAIT_HEIGHT, FQ_JPEG_MAX, FS_CHALLENGE_DELAY_MIN_US / 1000,
	        FS_CHALLENGE_DELAY_MAX_US / 1000, appm_face_models_default());
	appm_print_exit_codes(f);
}

static bool number(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static int parse(int argc, char **argv, capture_args *a)
{
	enum { OPT_CHALLENGE = 256, OPT_DELAY, OPT_SEED, OPT_FRAMES };
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },  { "out", required_argument, NULL, 'o' },
		{ "chip", required_argument, NULL, 'p' },    { "models", required_argument, NULL, 'm' },
		{ "challenge", required_argument, NULL, OPT_CHALLENGE },
		{ "delay-ms", required_argument, NULL, OPT_DELAY },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "frames", required_argument, NULL, OPT_FRAMES },
		{ "json", no_argument, NULL, 'j' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*a = (capture_args){ .models = appm_face_models_default(), .cfg = fs_config_default() };
	int c;
	unsigned long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->camera = optarg; break;
		case 'o': a->out = optarg; break;
		case 'p': a->chip = optarg; break;
		case 'm': a->models = optarg; break;
		case 'j': a->json = true; break;
		case OPT_CHALLENGE:
			if (!fs_challenge_parse(optarg, &a->cfg.challenge)) {
				fprintf(stderr, "appm face capture: --challenge is turn-left, turn-right, blink or random\n");
				return APPM_EXIT_USAGE;
			}
			break;
		case OPT_DELAY:
			if (!number(optarg, 60000, &v)) {
				fprintf(stderr, "appm face capture: --delay-ms wants 0 to 60000\n");
				return APPM_EXIT_USAGE;
			}
			a->cfg.delay_us = (int64_t)v * 1000;
			break;
		case OPT_SEED:
			if (!number(optarg, UINT32_MAX, &v) || v == 0) {
				fprintf(stderr, "appm face capture: --seed wants 1 to %u\n", UINT32_MAX);
				return APPM_EXIT_USAGE;
			}
			a->cfg.seed = (uint32_t)v;
			break;
		case OPT_FRAMES:
			if (!number(optarg, 10000000, &v) || v == 0) {
				fprintf(stderr, "appm face capture: --frames wants 1 to 10000000\n");
				return APPM_EXIT_USAGE;
			}
			a->max_frames = (unsigned)v;
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return APPM_EXIT_USAGE;
		}
	}
	if (optind != argc || !a->camera || !a->out) {
		fprintf(stderr, "appm face capture: --camera SPEC and --out FILE are needed; 'appm face capture "
		                "--help' says more\n");
		return APPM_EXIT_USAGE;
	}
	return APPM_EXIT_OK;
}

/* ---- one run ---- */

typedef struct run {
	const capture_args *a;
	fs_step *step;
	json_t *frames;
	unsigned index;
	int status;            /* set when the run must stop early (a failure) */
	GMainLoop *loop;       /* v4l2 */
	dev *camera;
} run;

static json_t *checks_json(const fq_assessment *q)
{
	json_t *o = json_object();
	for (int c = 0; o && c < FQ_CHECK_COUNT; c++) {
		const fq_result *r = &q->check[c];
		if (r->measured)
			json_object_set_new(o, fq_check_name((fq_check)c),
			                    json_pack("{s:f, s:b}", "value", appm_face_round(r->value, 1e-3), "pass", r->pass));
	}
	return o;
}

/* One frame's line, or its JSON. */
static void report_frame(run *r, const fs_frame_report *fr, int64_t t_us)
{
	const char *prompt = fr->prompt ? fr->prompt : "";
	if (r->a->json) {
		json_t *j = json_pack("{s:I, s:f, s:s, s:s, s:I}", "index", (json_int_t)r->index, "t",
		                      appm_face_round((double)t_us / 1e6, 1e-3), "phase", fs_phase_id(fr->phase),
		                      "prompt", prompt, "faces", (json_int_t)fr->quality.faces);
		if (!j)
			return;
		if (fr->phase == FS_PHASE_GUIDE || fr->captured)
			json_object_set_new(j, "checks", checks_json(&fr->quality));
		if (fr->face) {
			json_object_set_new(j, "nose", json_real(appm_face_round(fr->nose, 1e-3)));
			json_object_set_new(j, "eye", json_real(appm_face_round(fr->eye, 1e-3)));
		}
		if (fr->captured)
			json_object_set_new(j, "captured", json_true());
		if (fr->asked)
			json_object_set_new(j, "asked", json_true());
		json_array_append_new(r->frames, j);
		return;
	}
	printf("frame %u t=%.2fs %s: %s", r->index, (double)t_us / 1e6, fs_phase_id(fr->phase),
	       prompt[0] ? prompt : "-");
	if (fr->phase == FS_PHASE_GUIDE) {
		for (int c = 0; c < FQ_CHECK_COUNT; c++) {
			const fq_result *q = &fr->quality.check[c];
			if (q->measured && !q->pass)
				printf("; %s %.3g fails", fq_check_name((fq_check)c), q->value);
		}
	}
	if (fr->face && fr->phase != FS_PHASE_GUIDE)
		printf("; nose %.3f eye %.3f", fr->nose, fr->eye);
	if (fr->captured)
		printf("; photo taken");
	if (fr->asked)
		printf("; asked");
	putchar('\n');
}

/* Feed one frame; true when the step has decided (or failed). */
static bool feed(run *r, cam_frame *f, int64_t t_us)
{
	fm_image img = { .data = f->data, .width = f->width, .height = f->height, .stride = f->stride };
	fs_frame_report fr;
	fs_err e = fs_step_feed(r->step, &img, t_us, &fr);
	cam_frame_free(f);
	if (e != FS_OK) {
		fprintf(stderr, "appm face capture: frame %u: %s\n", r->index, fs_strerror(e));
		r->status = APPM_EXIT_FAILURE;
		return true;
	}
	report_frame(r, &fr, t_us);
	r->index++;
	return fr.decision != FS_PENDING || (r->a->max_frames && r->index >= r->a->max_frames);
}

/* fps: the rate the connection string gave (0: the source's own). */
static int from_files(run *r, const char *pattern, double fps)
{
	char why[300];
	cam_reader *rd = NULL;
	cam_err e = cam_reader_open(pattern, &rd, why, sizeof(why));
	if (e != CAM_OK) {
		fprintf(stderr, "appm face capture: --camera file:%s: %s\n", pattern, why);
		return e == CAM_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_USAGE;
	}
	if (!(fps > 0))
		fps = cam_reader_fps(rd);
	for (;;) {
		cam_frame *f = NULL;
		e = cam_reader_read(rd, &f, why, sizeof(why));
		if (e == CAM_ERR_ENDED)
			break;
		if (e != CAM_OK) {
			fprintf(stderr, "appm face capture: frame %u: %s\n", r->index, why);
			cam_reader_close(rd);
			return e == CAM_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_USAGE;
		}
		if (feed(r, f, (int64_t)llround(r->index * 1e6 / fps)))
			break;
	}
	cam_reader_close(rd);
	return r->status;
}

static void on_frame(dev *d, cam_frame *f, void *user)
{
	run *r = user;
	if (r->status == APPM_EXIT_OK && feed(r, f, f->timestamp_us))
		cam_device_stop(d);
	else if (r->status != APPM_EXIT_OK)
		cam_frame_free(f);
}

static void on_stream_done(dev *d, dev_err e, void *result, void *user)
{
	(void)d;
	(void)result;
	run *r = user;
	if (e != DEV_OK && e != DEV_ERR_CANCELLED && r->status == APPM_EXIT_OK) {
		char st[300] = "";
		dev_status s;
		if (dev_status_get(r->camera, &s) == DEV_OK)
			snprintf(st, sizeof(st), ": %s", s.text);
		fprintf(stderr, "appm face capture: the camera stopped (%s)%s\n", dev_strerror(e), st);
		r->status = APPM_EXIT_USAGE;
	}
	g_main_loop_quit(r->loop);
}

static int from_camera(run *r, const char *connstr)
{
	dev_err e = dev_open(cam_device_drivers, connstr, NULL, NULL, NULL, &r->camera);
	if (e != DEV_OK) {
		char why[300];
		cam_device_explain(connstr, why, sizeof(why));
		fprintf(stderr, "appm face capture: --camera %s: %s\n", connstr, why);
		return APPM_EXIT_USAGE;
	}
	r->loop = g_main_loop_new(NULL, FALSE);
	cam_stream_options opt = { .frame = on_frame, .frame_user = r, .max_in_flight = 2 };
	e = cam_device_stream(r->camera, "appm face capture", &opt, on_stream_done, r);
	if (e == DEV_OK)
		g_main_loop_run(r->loop);
	else {
		dev_status s;
		fprintf(stderr, "appm face capture: --camera %s: %s\n", connstr,
		        dev_status_get(r->camera, &s) == DEV_OK ? s.text : dev_strerror(e));
		r->status = APPM_EXIT_USAGE;
	}
	dev_free(r->camera);
	g_main_loop_unref(r->loop);
	return r->status;
}

/* Write the photo beside its name first, then rename: a half-written
 * file never carries the name. */
static bool write_photo(const char *path, const uint8_t *jpeg, size_t len)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	if (!tmp)
		return false;
	snprintf(tmp, n, "%s.part", path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(jpeg, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

static int exit_of(fs_decision d)
{
	switch (d) {
	case FS_VERIFIED:
	case FS_CAPTURED: return APPM_EXIT_OK;
	case FS_NO_MATCH: return APPM_EXIT_NO_MATCH;
	case FS_NOT_LIVE: return APPM_EXIT_NOT_LIVE;
	case FS_PENDING:
	case FS_NO_CAPTURE: break;
	}
	return APPM_EXIT_NO_CAPTURE;
}

static int finish(run *r, json_t *out)
{
	fs_result res;
	fs_step_result(r->step, &res);
	if (res.decision == FS_PENDING) {
		res.decision = res.jpeg ? FS_NOT_LIVE : FS_NO_CAPTURE;
		snprintf(res.why, sizeof(res.why), "%s", res.jpeg ? "the frames ended before the question was answered"
		                                                  : "the frames ended before every check passed");
	}
	if (res.jpeg && !write_photo(r->a->out, res.jpeg, res.jpeg_len)) {
		fprintf(stderr, "appm face capture: cannot write %s: %s\n", r->a->out, strerror(errno));
		return APPM_EXIT_FAILURE;
	}
	bool chip = r->a->chip != NULL;
	if (r->a->json) {
		json_object_set_new(out, "decision", json_string(fs_decision_id(res.decision)));
		json_object_set_new(out, "why", json_string(res.why));
		json_object_set_new(out, "frames_fed", json_integer(res.frames));
		if (res.jpeg)
			json_object_set_new(out, "photo",
			                    json_pack("{s:s, s:i, s:i, s:I, s:i}", "file", r->a->out, "width",
			                              FQ_PORTRAIT_WIDTH, "height", FQ_PORTRAIT_HEIGHT, "bytes",
			                              (json_int_t)res.jpeg_len, "quality", res.jpeg_quality));
		if (res.jpeg)
			json_object_set_new(out, "live", json_real(appm_face_round(res.live, 1e-4)));
		if (chip && res.jpeg) {
			json_object_set_new(out, "score", json_real(appm_face_round(res.score, 1e-4)));
			json_object_set_new(out, "challenge", json_string(fs_challenge_id(res.challenge)));
		}
		if (chip && res.decision != FS_NOT_LIVE && res.answer_us > 0) {
			json_object_set_new(out, "score_after", json_real(appm_face_round(res.score_end, 1e-4)));
			json_object_set_new(out, "answer_s", json_real(appm_face_round((double)res.answer_us / 1e6, 1e-3)));
		}
		json_object_set(out, "frames", r->frames);
		appm_face_print_json(out);
	} else {
		if (res.jpeg)
			printf("photo: %s, %dx%d, %zu bytes (JPEG quality %d); liveness network %.2f\n", r->a->out,
			       FQ_PORTRAIT_WIDTH, FQ_PORTRAIT_HEIGHT, res.jpeg_len, res.jpeg_quality, (double)res.live);
		if (chip && res.jpeg)
			printf("challenge: %s; score %.3f at the capture\n", fs_challenge_id(res.challenge),
			       (double)res.score);
		printf("decision: %s: %s\n", fs_decision_id(res.decision), res.why);
	}
	return exit_of(res.decision);
}

int appm_face_capture(int argc, char **argv)
{
	capture_args a;
	int st = parse(argc, argv, &a);
	if (st != APPM_EXIT_OK)
		return st < 0 ? APPM_EXIT_OK : st;
	cam_conn conn;
	char why[400];
	if (cam_conn_parse(a.camera, &conn, why, sizeof(why)) != CAM_OK) {
		fprintf(stderr, "appm face capture: --camera %s: %s\n", a.camera, why);
		return APPM_EXIT_USAGE;
	}
	fm_models *m = NULL;
	st = appm_face_load_models(a.models, "appm face capture", &m);
	if (st != APPM_EXIT_OK)
		return st;
	fv_reference ref;
	json_t *out = json_object();
	run r = { .a = &a, .frames = json_array() };
	if (!out || !r.frames) {
		st = APPM_EXIT_FAILURE;
		goto done;
	}
	if (a.chip) {
		st = appm_face_enroll(m, a.chip, "appm face capture", &ref);
		if (st != APPM_EXIT_OK)
			goto done;
		json_object_set_new(out, "chip", json_pack("{s:s, s:o}", "file", a.chip, "box", appm_face_box_json(&ref.box)));
	}
	if (fs_step_new(m, a.chip ? &ref : NULL, &a.cfg, &r.step) != FS_OK) {
		st = APPM_EXIT_FAILURE;
		goto done;
	}
	json_object_set_new(out, "camera", json_string(a.camera));
	if (conn.driver == CAM_DRIVER_FILE) {
		st = from_files(&r, conn.path, conn.fps);
	} else {
		st = from_camera(&r, a.camera);
	}
	if (st == APPM_EXIT_OK)
		st = finish(&r, out);
done:
	fs_step_free(r.step);
	json_decref(r.frames);
	json_decref(out);
	fm_models_free(m);
	return st;
}
