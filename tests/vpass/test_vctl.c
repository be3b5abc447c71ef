/*
 * test_vctl — the simulators' control commands (devices/vctl,
 * vctl_reader_command) with stub hooks in place of appm-vpass's and
 * appm-pn532's: every verb, every error word, which hook each command
 * calls and when it must not, the options reaching the chip, a program's
 * own "set" names, the status line's order, and a missing hook answered
 * as not supported. The words are the ones tests/integration, tests/nfc
 * and users' scripts read, so they are compared whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/vctl/vctl.h"
#include "devices/vpass/vpass.h"

static const vctl_program test_program = {
	.name = "appm-test",
	.peer = "the stub",
	.max_response_limit = 65536,
	.remove_after_limit = 1000,
};

/* A program whose hooks count their calls. */
typedef struct stub {
	vctl_reader reader;
	int places, removes, changes;
	bool place_fails;
	char type;
	char dir[64]; /* a document directory, removed by teardown */
} stub;

static bool stub_place(void *ctx)
{
	stub *s = ctx;
	s->places++;
	return !s->place_fails && vctl_reader_make_card(&s->reader);
}

static void stub_remove(void *ctx)
{
	stub *s = ctx;
	s->removes++;
	vpass_card_remove(s->reader.card);
}

static void stub_options_changed(void *ctx)
{
	stub *s = ctx;
	s->changes++;
}

static void stub_status(void *ctx, char *out, size_t cap)
{
	const stub *s = ctx;
	snprintf(out, cap, "present=%s places=%d", vpass_card_present(s->reader.card) ? "yes" : "no", s->places);
}

static void stub_status_after(void *ctx, char *out, size_t cap)
{
	const stub *s = ctx;
	snprintf(out, cap, "type=%c", s->type);
}

static vctl_error stub_set_option(void *ctx, const char *name, const char *value)
{
	stub *s = ctx;
	if (strcmp(name, "type") != 0)
		return VCTL_UNKNOWN_OPTION;
	if (strcmp(value, "a") != 0 && strcmp(value, "b") != 0)
		return VCTL_EXPECTED_CARD_TYPE;
	s->type = value[0];
	return VCTL_OK;
}

static const vctl_reader_ops stub_ops = {
	.place = stub_place,
	.remove = stub_remove,
	.options_changed = stub_options_changed,
	.status = stub_status,
};

/* With a program's own option and fields after the chip's, as appm-pn532. */
static const vctl_reader_ops stub_ops_more = {
	.place = stub_place,
	.remove = stub_remove,
	.options_changed = stub_options_changed,
	.status = stub_status,
	.status_after_chip = stub_status_after,
	.set_option = stub_set_option,
};

/* Only what every program must have but place and remove. */
static const vctl_reader_ops stub_ops_status_only = {
	.status = stub_status,
};

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A document directory as appm-docgen makes one, with the fewest files. */
static void make_document(stub *s)
{
	static const uint8_t ef_com[] = {
		0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36, 0x5F, 0x36,
		0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75,
	};
	static const uint8_t dg1[] = { 0x61, 0x03, 0x5F, 0x1F, 0x00 };
	static const char description[] = "document_number=L898902C<\nbirth_date=690806\nexpiry_date=940623\n";
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_vctl.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	write_file(s->dir, "EF.COM", ef_com, sizeof ef_com);
	write_file(s->dir, "EF.DG1", dg1, sizeof dg1);
	write_file(s->dir, "document.txt", description, strlen(description));
}

static int setup_with(void **state, const vctl_reader_ops *ops)
{
	stub *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	vctl_reader_init(&s->reader, &test_program, ops, s);
	s->type = 'a';
	make_document(s);
	*state = s;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &stub_ops);
}

static int setup_more(void **state)
{
	return setup_with(state, &stub_ops_more);
}

static int setup_status_only(void **state)
{
	return setup_with(state, &stub_ops_status_only);
}

static int teardown(void **state)
{
	stub *s = *state;
	vctl_reader_free(&s->reader);
	const char *names[] = { "EF.COM", "EF.DG1", "document.txt" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", s->dir, names[i]);
		unlink(path);
	}
	rmdir(s->dir);
	free(s);
	return 0;
}

/* Send one command line (copied: the handler may change it); the answer. */
static const char *command(stub *s, const char *line)
{
	static char reply[4400];
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", line);
	memset(reply, 'x', sizeof(reply));
	vctl_reader_command(&s->reader, buf, reply, sizeof(reply));
	return reply;
}

/* "ok placed DIR\n" for the stub's directory. */
static const char *placed(const stub *s)
{
	static char want[128];
	snprintf(want, sizeof(want), "ok placed %s\n", s->dir);
	return want;
}

static void test_place(void **state)
{
	stub *s = *state;
	/* Nothing loaded yet: the program is not asked to place anything. */
	assert_string_equal(command(s, "place\n"), "error no document loaded; use: place DIR\n");
	assert_int_equal(s->places, 0);
	assert_string_equal(command(s, "place /nonexistent/doc\n"),
	                    "error cannot load /nonexistent/doc: /nonexistent/doc/document.txt: No such file or "
	                    "directory\n");
	assert_int_equal(s->places, 0);
	assert_null(s->reader.document.doc);

	char line[128];
	snprintf(line, sizeof(line), "place %s\n", s->dir);
	assert_string_equal(command(s, line), placed(s));
	assert_int_equal(s->places, 1);
	assert_non_null(s->reader.document.doc);
	assert_string_equal(s->reader.document.dir, s->dir);
	assert_true(vpass_card_present(s->reader.card));

	/* Without DIR: the document held, on the reader again. */
	assert_string_equal(command(s, "place"), placed(s));
	assert_int_equal(s->places, 2);
	assert_true(vpass_card_present(s->reader.card));

	/* A directory that does not load changes nothing. */
	vpass_card *card = s->reader.card;
	assert_int_equal(strncmp(command(s, "place /nonexistent/other"), "error cannot load /nonexistent/other: ", 38),
	                 0);
	assert_int_equal(s->places, 2);
	assert_string_equal(s->reader.document.dir, s->dir);
	assert_ptr_equal(s->reader.card, card);

	/* The program could not make the chip. */
	s->place_fails = true;
	assert_string_equal(command(s, "place"), "error cannot make the chip\n");
	assert_int_equal(s->places, 3);
}

static void test_remove(void **state)
{
	stub *s = *state;
	assert_string_equal(command(s, "remove"), "ok removed\n");
	assert_int_equal(s->removes, 1);
	char line[128];
	snprintf(line, sizeof(line), "place %s", s->dir);
	assert_string_equal(command(s, line), placed(s));
	assert_string_equal(command(s, "  remove \r\n"), "ok removed\n");
	assert_int_equal(s->removes, 2);
	assert_false(vpass_card_present(s->reader.card));
	assert_int_equal(s->places, 1);
}

static void test_set(void **state)
{
	stub *s = *state;
	/* Before any chip: the options are kept for the next. */
	assert_string_equal(command(s, "set short-only on\n"), "ok short-only on\n");
	assert_true(s->reader.options.short_only);
	assert_int_equal(s->changes, 1);
	char line[128];
	snprintf(line, sizeof(line), "place %s", s->dir);
	assert_string_equal(command(s, line), placed(s));
	vpass_options o;
	vpass_card_get_options(s->reader.card, &o);
	assert_true(o.short_only);

	/* The chip in the field gets them before the program hears of it. */
	assert_string_equal(command(s, "set max-response 100"), "ok max-response 100\n");
	vpass_card_get_options(s->reader.card, &o);
	assert_int_equal(o.max_response_data, 100);
	assert_int_equal(s->changes, 2);

	/* Refused: the options and the chip stay as they were, no hook. */
	assert_string_equal(command(s, "set short-only maybe"), "error short-only: expected on or off\n");
	assert_string_equal(command(s, "set max-response 70000"), "error max-response: expected a number of bytes\n");
	assert_string_equal(command(s, "set short-only"), "error short-only: missing value\n");
	assert_string_equal(command(s, "set type b"), "error type: unknown option (short-only, max-response, "
	                                              "remove-after, freeze-after, fail-reads, corrupt-mac, "
	                                              "aa-wrong-key, ca-wrong-key, cam-attack, refuse-bac, "
	                                              "card-access, timeout-above, drop-sm, drop-sm-at, plain-errors, "
	                                              "plain-after-drop, sfi-refuse, sfi-only, link-model, "
	                                              "link-rate, link-frame, link-frame-overhead, chip-latency)\n");
	assert_int_equal(s->changes, 2);
	assert_true(s->reader.options.short_only);
	assert_int_equal(s->reader.options.max_response_data, 100);
	vpass_card_get_options(s->reader.card, &o);
	assert_int_equal(o.max_response_data, 100);

	/* "set" alone is no command. */
	assert_string_equal(command(s, "set"), "error unknown command set (place, remove, set, status, quit)\n");
}

/* A program's own names come first; the chip's still work. */
static void test_set_program_option(void **state)
{
	stub *s = *state;
	assert_string_equal(command(s, "set type b"), "ok type b\n");
	assert_int_equal(s->type, 'b');
	assert_int_equal(s->changes, 1);
	assert_string_equal(command(s, "set type c"), "error type: expected a or b\n");
	assert_string_equal(command(s, "set type"), "error type: missing value\n");
	assert_int_equal(s->type, 'b');
	assert_int_equal(s->changes, 1);
	assert_string_equal(command(s, "set corrupt-mac on"), "ok corrupt-mac on\n");
	assert_true(s->reader.options.corrupt_mac);
	assert_int_equal(s->changes, 2);
}

static void test_status(void **state)
{
	stub *s = *state;
	assert_string_equal(command(s, "status"),
	                    "ok present=no places=0 sm_drops=0 plain_after_access=0 document=none\n");
	char line[128], want[256];
	snprintf(line, sizeof(line), "place %s", s->dir);
	assert_string_equal(command(s, line), placed(s));
	snprintf(want, sizeof(want), "ok present=yes places=1 sm_drops=0 plain_after_access=0 document=%s\n", s->dir);
	assert_string_equal(command(s, "status"), want);
	/* A place that fails to load leaves the document named. */
	(void)command(s, "place /nonexistent");
	assert_string_equal(command(s, "status"), want);
}

/* The program's later fields stand between the chip's and document=. */
static void test_status_after_chip(void **state)
{
	stub *s = *state;
	assert_string_equal(command(s, "status\n"),
	                    "ok present=no places=0 sm_drops=0 plain_after_access=0 type=a document=none\n");
}

static void test_quit_and_unknown(void **state)
{
	stub *s = *state;
	assert_string_equal(command(s, ""), "error empty command\n");
	assert_string_equal(command(s, " \t\r\n"), "error empty command\n");
	assert_string_equal(command(s, "insert"), "error unknown command insert (place, remove, set, status, quit)\n");
	assert_string_equal(command(s, "PLACE"), "error unknown command PLACE (place, remove, set, status, quit)\n");
	assert_false(s->reader.quit);
	assert_int_equal(s->places + s->removes + s->changes, 0);
	assert_string_equal(command(s, "quit\n"), "ok bye\n");
	assert_true(s->reader.quit);
}

/* A hook left out is said to be missing, not skipped as if it had worked. */
static void test_missing_hooks(void **state)
{
	stub *s = *state;
	char line[128];
	snprintf(line, sizeof(line), "place %s", s->dir);
	assert_string_equal(command(s, line), "error place is not supported by appm-test\n");
	assert_null(s->reader.document.doc);
	assert_string_equal(command(s, "remove"), "error remove is not supported by appm-test\n");
	/* No options_changed hook: set still works. */
	assert_string_equal(command(s, "set fail-reads 2"), "ok fail-reads 2\n");
	assert_int_equal(s->reader.options.fail_reads, 2);
	assert_string_equal(command(s, "status"),
	                    "ok present=no places=0 sm_drops=0 plain_after_access=0 document=none\n");
	static const vctl_reader_ops none = { 0 };
	s->reader.ops = &none;
	assert_string_equal(command(s, "status"), "error status is not supported by appm-test\n");
	assert_string_equal(command(s, "quit"), "ok bye\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_program_option, setup_more, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_after_chip, setup_more, teardown),
		cmocka_unit_test_setup_teardown(test_quit_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_hooks, setup_status_only, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
