/*
 * test_kiosk_units — the kiosk's configuration reader and its control
 * socket, without devices (suite 'kiosk'): every fault in a configuration
 * names file, line and key; the example configuration loads; the socket
 * is born 0600, answers requests line by line, refuses what is not a JSON
 * object, replaces a stale socket file and refuses a path another server
 * answers on; diag's client side reports a missing daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiosk/config.h"
#include "kiosk/control.h"
#include "kiosk/devices.h"

static const char *const classes[] = { "passport", "camera", NULL };
static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/appm-kunit.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to DIR/name; its path in path. */
static void write_file(const char *name, const char *text, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good[] = "; a kiosk\n"
                           "[kiosk]\n"
                           "store = /var/lib/appm/kiosk.db\n"
                           "socket = /run/appm/control.sock\n"
                           "\n"
                           "[device reader]\n"
                           "class = passport\n"
                           "connection = pcsc:ACS ACR1252\n"
                           "[device cam-1]\n"
                           "class = camera\n"
                           "connection = v4l2:/dev/video0\n";

static void test_config_good(void **state)
{
	(void)state;
	char path[128], msg[600] = "";
	write_file("good.ini", good, path, sizeof(path));
	kcfg c;
	assert_int_equal(kcfg_load(path, classes, &c, msg, sizeof(msg)), KCFG_OK);
	assert_string_equal(c.store, "/var/lib/appm/kiosk.db");
	assert_string_equal(c.socket, "/run/appm/control.sock");
	assert_string_equal(c.socket_group, "");
	assert_int_equal(c.n_devices, 2);
	assert_string_equal(c.devices[0].name, "reader");
	assert_string_equal(c.devices[0].connection, "pcsc:ACS ACR1252");
	assert_int_equal(c.devices[0].line, 7);
	assert_string_equal(kcfg_device_find(&c, "cam-1")->class_name, "camera");
	assert_null(kcfg_device_find(&c, "printer"));
}

/* The journey's timers and the tariff: defaults, then a file's values. */
static void test_config_journey(void **state)
{
	(void)state;
	char path[128], msg[600] = "";
	write_file("plain.ini", good, path, sizeof(path));
	kcfg c;
	assert_int_equal(kcfg_load(path, classes, &c, msg, sizeof(msg)), KCFG_OK);
	assert_int_equal(c.flow.answer_s, 30);
	assert_int_equal(c.tariff.rupiah[FLOW_PASSPORT_ELECTRONIC][1], 950000);
	assert_int_equal(c.flow.inactivity_s[FLOW_WAIT_REVIEW], 0); /* the flow's default */
	assert_string_equal(c.face_challenge, "random");
	assert_int_equal(c.face_delay_ms, -1);
	assert_string_equal(c.face_models, "");
	char text[sizeof(good) + 300];
	snprintf(text, sizeof(text), "%s[journey]\ninactivity = 45\ninactivity.wait-review = 180\nanswer = 20\n"
	                             "retry = 5\n[tariff]\nelectronic_10 = 1000000\n[face]\nmodels = /m\n"
	                             "challenge = turn-left\ndelay_ms = 1000\n", good);
	write_file("journey.ini", text, path, sizeof(path));
	assert_int_equal(kcfg_load(path, classes, &c, msg, sizeof(msg)), KCFG_OK);
	assert_int_equal(c.flow.inactivity_s[FLOW_WAIT_CONSENT], 45);
	assert_int_equal(c.flow.inactivity_s[FLOW_WAIT_REVIEW], 180);
	assert_int_equal(c.flow.answer_s, 20);
	assert_int_equal(c.flow.retry_s, 5);
	assert_int_equal(c.tariff.rupiah[FLOW_PASSPORT_ELECTRONIC][1], 1000000);
	assert_int_equal(c.tariff.rupiah[FLOW_PASSPORT_ORDINARY][0], 350000);
	assert_string_equal(c.face_models, "/m");
	assert_string_equal(c.face_challenge, "turn-left");
	assert_int_equal(c.face_delay_ms, 1000);
}

static void test_config_example(void **state)
{
	(void)state;
	const char *example = getenv("APPM_KIOSK_CONFIG");
	assert_non_null(example);
	kcfg c;
	char msg[600] = "";
	assert_int_equal(kcfg_load(example, classes, &c, msg, sizeof(msg)), KCFG_OK);
	assert_non_null(kcfg_device_find(&c, "reader"));
}

/* Each broken file, the error and the words (file:line: key ...) it gives. */
static void test_config_faults(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		kcfg_err err;
		const char *words; /* after "PATH" */
	} cases[] = {
		{ "[kiosk]\nstore = a\nsocket = b\nsokcet = c\n", KCFG_ERR_UNKNOWN, ":4: key sokcet: not a [kiosk] setting" },
		{ "[kiosk]\nstore = a\n", KCFG_ERR_MISSING, ": key socket: missing from [kiosk]" },
		{ "[kiosk]\nsocket = b\n", KCFG_ERR_MISSING, ": key store: missing from [kiosk]" },
		{ "[kiosk]\nstore =\nsocket = b\n", KCFG_ERR_VALUE, ":2: key store: empty value" },
		{ "[kiosk]\nstore = a\nsocket = b\nthis is not a setting\n", KCFG_ERR_SYNTAX, ":4: not a [section]" },
		{ "[kiosk]\nstore = a\nsocket = b\n[printer]\nx = 1\n", KCFG_ERR_UNKNOWN, ":5: section [printer]" },
		{ "[kiosk]\nstore = a\nsocket = b\n[device r]\nclass = scanner\nconnection = x\n", KCFG_ERR_VALUE,
		  ":5: key class: 'scanner' is not a device class (known: passport, camera)" },
		{ "[kiosk]\nstore = a\nsocket = b\n\n[device r]\nclass = passport\n", KCFG_ERR_MISSING,
		  ":6: key connection: missing from [device r]" },
		{ "[kiosk]\nstore = a\nsocket = b\n[device R!]\nclass = passport\n", KCFG_ERR_VALUE,
		  ":5: section [device R!]: a device name is" },
		{ "[kiosk]\nstore = a\nsocket = b\n[device r]\nclass = passport\nconnection = x\nspeed = 9\n",
		  KCFG_ERR_UNKNOWN, ":7: key speed: not a device setting" },
		{ "[kiosk]\nstore = a\nsocket = b\n[device r]\nclass = passport\nconnection = caf\xe9\n", KCFG_ERR_VALUE,
		  ":6: key connection: not UTF-8 text" },
		{ "[kiosk]\nstore = a\nsocket = b\n[journey]\nanswer = 10\n", KCFG_ERR_VALUE,
		  ":5: key answer: '10' is not a whole number from 20 to 3600" },
		{ "[kiosk]\nstore = a\nsocket = b\n[journey]\ninactivity = 1m\n", KCFG_ERR_VALUE,
		  ":5: key inactivity: '1m' is not a whole number" },
		{ "[kiosk]\nstore = a\nsocket = b\n[journey]\ninactivity.wait-chip = 30\n", KCFG_ERR_UNKNOWN,
		  ":5: key inactivity.wait-chip: 'wait-chip' is not a screen that waits on the applicant" },
		{ "[kiosk]\nstore = a\nsocket = b\n[journey]\nretry = -1\n", KCFG_ERR_VALUE, ":5: key retry:" },
		{ "[kiosk]\nstore = a\nsocket = b\n[journey]\npatience = 9\n", KCFG_ERR_UNKNOWN,
		  ":5: key patience: not a [journey] setting" },
		{ "[kiosk]\nstore = a\nsocket = b\n[tariff]\nelectronic_10 = 0\n", KCFG_ERR_VALUE,
		  ":5: key electronic_10: '0' is not a whole number from 1" },
		{ "[kiosk]\nstore = a\nsocket = b\n[tariff]\ndiplomatic_5 = 1\n", KCFG_ERR_UNKNOWN,
		  ":5: key diplomatic_5: not a [tariff] setting" },
		{ "[kiosk]\nstore = a\nsocket = b\n[face]\nchallenge = nod\n", KCFG_ERR_VALUE,
		  ":5: key challenge: 'nod' is none of random, turn-left, turn-right, blink" },
		{ "[kiosk]\nstore = a\nsocket = b\n[face]\ndelay_ms = 61000\n", KCFG_ERR_VALUE,
		  ":5: key delay_ms: '61000' is not a whole number from 0 to 60000" },
		{ "[kiosk]\nstore = a\nsocket = b\n[face]\nthreshold = 0.3\n", KCFG_ERR_UNKNOWN,
		  ":5: key threshold: not a [face] setting (models, challenge, delay_ms)" },
		/* A long line is one fault at its own line, not pieces parsed as lines. */
		{ "; a comment of 250 characters "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		  "[kiosk]\nstore = a\nsocket = b\n",
		  KCFG_ERR_SYNTAX, ":1: line longer than 198 characters" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], msg[600] = "", want[700];
		write_file("bad.ini", cases[i].text, path, sizeof(path));
		kcfg c = { .n_devices = 99 };
		kcfg_err e = kcfg_load(path, classes, &c, msg, sizeof(msg));
		snprintf(want, sizeof(want), "%s%s", path, cases[i].words);
		if (e != cases[i].err || strncmp(msg, want, strlen(want)) != 0)
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, e, msg, cases[i].err, want);
		assert_int_equal(c.n_devices, 99); /* untouched */
	}
	char msg[600];
	kcfg c;
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/none.ini", dir);
	assert_int_equal(kcfg_load(missing, classes, &c, msg, sizeof(msg)), KCFG_ERR_IO);
	assert_non_null(strstr(msg, "none.ini: No such file or directory"));
	for (int e = KCFG_OK; e <= KCFG_ERR_NOMEM; e++)
		assert_true(strlen(kcfg_strerror((kcfg_err)e)) > 0);
}

/* ---- the control socket ---- */

static void echo_request(kctl_client *c, json_t *req, void *user)
{
	(void)user;
	json_t *a = json_pack("{s:b, s:O}", "ok", 1, "echo", req);
	kctl_send(c, a);
	json_decref(a);
}

/* Run the loop until the client side's answer is there: the client is
 * blocking, so it runs in a thread of its own. */
typedef struct call {
	int fd;
	json_t *req;
	json_t *answer;
	kctl_err err;
	bool done;
} call;

static gpointer call_thread(gpointer data)
{
	call *c = data;
	c->err = kctl_call(c->fd, c->req, 5000, &c->answer);
	__atomic_store_n(&c->done, true, __ATOMIC_SEQ_CST);
	g_main_context_wakeup(NULL);
	return NULL;
}

static json_t *call_server(int fd, json_t *req, kctl_err *ret_err)
{
	call c = { .fd = fd, .req = req };
	GThread *t = g_thread_new("client", call_thread, &c);
	while (!__atomic_load_n(&c.done, __ATOMIC_SEQ_CST))
		g_main_context_iteration(NULL, TRUE);
	g_thread_join(t);
	*ret_err = c.err;
	return c.answer;
}

static void test_control_socket(void **state)
{
	(void)state;
	char path[100], msg[300] = "";
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	/* Nobody there yet. */
	int fd = -1;
	assert_int_equal(kctl_connect(path, &fd, msg, sizeof(msg)), KCTL_ERR_NOT_RUNNING);

	kctl_server *s = NULL;
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &s, msg, sizeof(msg)), KCTL_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A second server on the same path is refused. */
	kctl_server *s2 = NULL;
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &s2, msg, sizeof(msg)),
	                 KCTL_ERR_IN_USE);
	assert_non_null(strstr(msg, "another kiosk daemon is running"));

	assert_int_equal(kctl_connect(path, &fd, msg, sizeof(msg)), KCTL_OK);
	json_t *req = json_pack("{s:s}", "request", "describe");
	kctl_err e;
	json_t *answer = call_server(fd, req, &e);
	assert_int_equal(e, KCTL_OK);
	assert_true(json_is_true(json_object_get(answer, "ok")));
	assert_true(json_equal(json_object_get(answer, "echo"), req));
	json_decref(answer);
	json_decref(req);
	/* Not a JSON object: refused, the connection stays usable. */
	assert_int_equal(write(fd, "[1,2]\n", 6), 6);
	json_t *refusal = NULL;
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(kctl_read(fd, 2000, &refusal), KCTL_OK);
	assert_string_equal(json_string_value(json_object_get(refusal, "code")), "bad-request");
	json_decref(refusal);
	close(fd);
	kctl_server_free(s);
	assert_int_not_equal(access(path, F_OK), 0); /* removed */

	/* A stale socket file (nobody listening) is replaced. */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &s, msg, sizeof(msg)), KCTL_OK);
	kctl_server_free(s);
	/* A server that lost its path to a successor leaves the successor's
	 * socket in place when it stops. */
	kctl_server *first = NULL, *second = NULL;
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &first, msg, sizeof(msg)), KCTL_OK);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &second, msg, sizeof(msg)), KCTL_OK);
	kctl_server_free(first);
	assert_int_equal(access(path, F_OK), 0);
	kctl_server_free(second);
	assert_int_not_equal(access(path, F_OK), 0);
	/* A file that is not a socket is left alone. */
	char plain[128];
	write_file("ctl.sock", "not a socket", plain, sizeof(plain));
	assert_int_equal(kctl_server_new(path, NULL, NULL, echo_request, NULL, &s, msg, sizeof(msg)), KCTL_ERR_IO);
	assert_non_null(strstr(msg, "is not a socket"));
	for (int k = KCTL_OK; k <= KCTL_ERR_NOMEM; k++)
		assert_true(strlen(kctl_strerror((kctl_err)k)) > 0);
}

/* The journey's camera stream asked for while the watch still runs, and
 * the device set freed before the watch has ended: the stream's done is
 * still called (cancelled), as devices.h promises; without it the face
 * step would keep a stream that is gone and stop it later on freed
 * memory. */
static void stream_frame(dev *d, cam_frame *f, void *user)
{
	(void)d;
	(void)user;
	cam_frame_free(f);
}

static void stream_done(dev_err e, void *user)
{
	*(dev_err *)user = e;
}

static void test_stream_asked_then_freed(void **state)
{
	(void)state;
	char picture[128], path[128], msg[600] = "", text[700];
	snprintf(picture, sizeof(picture), "%s/frame.ppm", dir);
	FILE *f = fopen(picture, "wb");
	assert_non_null(f);
	fprintf(f, "P6\n64 48\n255\n");
	for (int i = 0; i < 64 * 48; i++)
		fputc(i % 251, f), fputc(i % 13 * 19, f), fputc(128, f);
	fclose(f);
	snprintf(text, sizeof(text), "[kiosk]\nstore = a\nsocket = b\n[device camera]\nclass = camera\n"
	                             "connection = file:%s\n", picture);
	write_file("camera.ini", text, path, sizeof(path));
	static kcfg c;
	assert_int_equal(kcfg_load(path, classes, &c, msg, sizeof(msg)), KCFG_OK);
	kdevs *s = kdevs_new(&c, NULL, NULL, true);
	kdevs_start(s);
	/* until the camera is open and watched */
	dev_err e = DEV_ERR_NOT_OPEN;
	for (int i = 0; i < 500 && e == DEV_ERR_NOT_OPEN; i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(10000);
		dev_err done = (dev_err)-1;
		e = kdevs_stream_camera(s, stream_frame, stream_done, &done);
		if (e == DEV_OK) {
			kdevs_free(s); /* at once: the watch has not ended yet */
			assert_int_equal(done, DEV_ERR_CANCELLED);
			return;
		}
	}
	kdevs_free(s);
	fail_msg("the camera never came online: %s", dev_strerror(e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_example),
		cmocka_unit_test(test_config_journey),
		cmocka_unit_test(test_config_faults),
		cmocka_unit_test(test_control_socket),
		cmocka_unit_test(test_stream_asked_then_freed),
	};
	return cmocka_run_group_tests_name("kiosk units", tests, setup, teardown);
}
