/*
 * harness — what the end-to-end tests (tests/integration/test_pcsc.c,
 * tests/nfc/test_nfc.c) share: running shell commands, reading files,
 * running `appm passport read` and keeping what it said, looking into its
 * JSON report, and making PKIs and documents with appm-docgen.
 *
 * Helpers that check something fail the running cmocka test (they call
 * cmocka's assertions), so they are for use inside a test or its setup.
 */
#ifndef APPM_TESTS_INTEGRATION_HARNESS_H
#define APPM_TESTS_INTEGRATION_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <jansson.h>

/* --- Shell and files --- */

/* Run a shell command built from fmt; its exit code, or 128 when it did
 * not exit (killed by a signal). */
__attribute__((format(printf, 1, 2))) int it_sh(const char *fmt, ...);

/* The whole file at path as a NUL-terminated string to free(); "" (still
 * to free) when it cannot be opened. */
char *it_slurp(const char *path);

/* What a shell command built from fmt printed on stdout, to free(); ""
 * when it printed nothing or could not run. */
__attribute__((format(printf, 1, 2))) char *it_capture(const char *fmt, ...);

/* --- Simulated devices and the sandbox's pcscd --- */

/* Start the virtual passport daemon (appm-vpass) with its control socket
 * at ctl, holding the document in doc (NULL: none on the reader); its pid
 * once the socket is there, -1 when it never came. */
pid_t it_start_vpass(const char *vpass, const char *doc, const char *ctl);

/* Start pcscd again inside devices/pcsc/sandbox.sh, with the reader
 * configuration in conf (NULL: the sandbox's own, APPM_PCSCD_CONF),
 * logging to APPM_PCSCD_LOG; waits (at most 5 s) for its socket. Its pid;
 * fails the test when it cannot. dir: a scratch directory for its pid. */
pid_t it_start_pcscd(const char *dir, const char *conf);

/* --- Logs and processes (the kiosk daemon's tests) --- */

/* Run a shell command built from fmt with its stdout and stderr kept in
 * dir (files run.out, run.err): its exit code; *out and *err (to free)
 * get what it printed when given. */
__attribute__((format(printf, 4, 5))) int it_run(const char *dir, char **out, char **err, const char *fmt, ...);
/* The value at a dotted path of the JSON text (a reference to
 * json_decref); fails the test when the text is not JSON or has none. */
json_t *it_json_at(const char *text, const char *path);

/* How many times text occurs in the file at path (0 when it cannot be read). */
int it_count_in_file(const char *path, const char *text);
/* Wait (at most seconds) until the file at path has text more than
 * `before` times; fails the test, showing the file, otherwise. */
void it_wait_in_file(const char *path, const char *text, int before, double seconds);
/* Wait (at most seconds) for process pid to end: its exit code, or 128 +
 * the signal that ended it; kills it and fails the test when it outlives
 * the wait. */
int it_wait_exit(pid_t pid, double seconds);

/* --- Running `appm passport read` --- */

/* Where a read runs: the appm program, the reader to name with --reader
 * (NULL: appm picks the first reader), and the directory that receives the
 * out and err files. */
typedef struct it_appm {
	const char *appm;
	const char *reader;
	const char *dir;
} it_appm;

/* What a run of appm left: its exit code, stdout and stderr. */
typedef struct it_result {
	int code;
	char *out;
	char *err;
} it_result;

/* `appm passport read [--reader R] --wait 5 ARGS`, ARGS built from fmt. */
__attribute__((format(printf, 2, 3))) it_result it_appm_read(const it_appm *a, const char *fmt, ...);
void it_result_free(it_result *r);
/* A read that must be refused: it exits with code and says message on
 * stderr; fails the test otherwise. */
__attribute__((format(printf, 4, 5))) void it_expect_refusal(const it_appm *a, int code, const char *message,
                                                             const char *fmt, ...);

/* A read that met a chip frozen after `after` commands ended with code and
 * err after took seconds: it must be exit 12 with the applicant's words,
 * within four 1-second deadlines and 8 s of slack; then, the chip woken
 * (`set` sends "freeze-after off"), the next read (ARGS) must pass. Fails
 * the test otherwise. */
__attribute__((format(printf, 7, 8))) void it_check_frozen_read(const it_appm *a, unsigned long after, int code,
                                                                const char *err, double took,
                                                                void (*set)(const char *option), const char *fmt,
                                                                ...);

/* What `appm passport watch` wrote to path: a placement, then a removal;
 * fails the test otherwise. */
void it_check_watch_output(const char *path);

/* --- The JSON report --- */

/* s parsed as JSON (to json_decref); fails the test when it is not JSON. */
json_t *it_parse_json(const char *s);
/* The value at a dotted path ("a.b.c"; a number indexes an array:
 * "security_infos.1.name"), or NULL. */
json_t *it_jget(json_t *root, const char *path);
/* The string at a dotted path; NULL when it is missing or not a string. */
const char *it_jstr(json_t *root, const char *path);
/* The same, but "" when it is missing or not a string, so that comparing
 * it fails the test with a message rather than a crash. */
const char *it_jstr_or_empty(json_t *root, const char *path);

/* --- Documents made by appm-docgen --- */

/* `DOCGEN pki --out DIR/NAME [OPTIONS]`; its exit code. */
int it_make_pki(const char *docgen, const char *dir, const char *name, const char *options);
/* `DOCGEN doc --pki DIR/PKI --persona PERSONA [OPTIONS] --out DIR/NAME`;
 * its exit code. */
int it_make_doc(const char *docgen, const char *dir, const char *pki, const char *persona, const char *options,
                const char *name);
/* The MRZ (the mrz= line) of the document in dir/doc/document.txt into out
 * (cap bytes); fails the test when there is none or it does not fit. */
void it_read_mrz(const char *dir, const char *doc, char *out, size_t cap);

/* --- Document cases both transports run (issue 3) --- */

/* One document and what `appm passport read` must make of it, the same
 * through pcscd and through libnfc: a docgen profile, the chip's
 * behaviour (control-socket "set" commands), the access key given, the
 * exit code, a sentence on stderr (failures) and report values (success).
 * A new case is one more row of it_cases (harness.c); each suite runs
 * every row of the group it is given as a test of its own. */
typedef enum it_key {
	IT_KEY_MRZ,            /* --mrz */
	IT_KEY_CAN,            /* --can */
	IT_KEY_WRONG_MRZ,      /* --mrz with another birth date */
	IT_KEY_MRZ_WRONG_CAN,  /* --mrz and a CAN that is not the document's */
} it_key;

#define IT_MAX_EXPECT 10

/* Cases come in groups, each run by a meson test of its own (one per
 * transport) so that every run stays short: a suite's binary takes the
 * group to run as its argument (none: every group). */
#define IT_GROUPS "access, auth, reading, sm"

typedef struct it_case {
	const char *group;     /* one of IT_GROUPS */
	const char *doc;       /* document directory name, made by it_make_case_docs */
	const char *profile;   /* appm-docgen doc --profile */
	const char *doc_options; /* more appm-docgen doc options, or NULL */
	const char *persona;
	const char *chip[3];   /* "set" commands for the chip, e.g. "refuse-bac 6A88" */
	const char *only;      /* NULL: both transports; "pcsc" or "nfc": that one
	                        * alone (say why beside the row) */
	const char *pending;   /* non-NULL: the row is skipped, and this names the
	                        * bug that keeps it from passing yet (run it
	                        * anyway with APPM_IT_RUN_PENDING=1 set) */
	it_key key;
	int code;              /* expected exit code */
	const char *message;   /* expected on stderr (code != 0) */
	/* Dotted path and expected value (code 0). A JSON string must equal
	 * the text; an integer, true, false or null must print as it ("0",
	 * "false"); ">N" asks for an integer greater than N. */
	const char *json[IT_MAX_EXPECT][2];
} it_case;

#define IT_MAX_CASES 48
extern const it_case it_cases[];
extern const size_t it_n_cases;

/* Whether case c belongs to group (NULL: any) and runs over transport
 * ("pcsc" or "nfc"). */
bool it_case_selected(const it_case *c, const char *group, const char *transport);

/* What a run of a transport's suite covers, from the program's argument:
 * "basic" the tests written out in its file, a case group of the table,
 * or (NULL) everything. */
bool it_group_runs_basic(const char *group);
bool it_group_runs_cases(const char *group);

/* Run a transport's suite, named "TRANSPORT GROUP": the tests written out
 * in its file (`basic`, n_basic of them) when the group asks for them,
 * then every row of the table selected for `group` and `transport` as a
 * test of its own that calls case_test with the row as its state. */
int it_run_suite(const char *transport, const char *group, const struct CMUnitTest *basic, size_t n_basic,
                 CMUnitTestFunction case_test, CMFixtureFunction setup, CMFixtureFunction teardown);

/* Whether group is NULL or one of IT_GROUPS. */
bool it_group_known(const char *group);

/* Make the documents of the cases in group (NULL: every case) with DOCGEN
 * in DIR (PKI `pki`), each document once however many cases read it; 0
 * when all were made. */
int it_make_case_docs(const char *docgen, const char *dir, const char *group);

/* The chip options a test may have changed, back to a fault-free chip:
 * "set" commands, NULL-terminated (remove-after, fail-reads, ...). */
extern const char *const it_chip_defaults[];

/* Run one case: `place` puts DIR/doc on the reader with the default chip,
 * `set` sends one "set" command ("refuse-bac 6A88"); then appm reads with
 * the case's key and `trust_args`, and the result is checked, and so is
 * the chip's `status` (what `status` returns, to free): whatever the case,
 * no command may have reached it in the clear after access control
 * (plain_after_access=0). A pending case is skipped with its reason unless
 * APPM_IT_RUN_PENDING is set. */
void it_run_case(const it_appm *a, const char *dir, const it_case *c, void (*place)(const char *doc),
                 void (*set)(const char *option), char *(*status)(void), const char *trust_args);

#endif
