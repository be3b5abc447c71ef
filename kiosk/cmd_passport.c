/*
 * cmd_passport — `appm passport ...`: read an e-passport on a reader (PACE
 * or BAC, chip or active authentication), parse what the chip holds and
 * verify it (passive authentication), then print a JSON report or a short
 * summary. Also lists readers.
 *
 * Every failure the applicant or engineer can meet ends with its own
 * message and exit code (kiosk/appm.h), never a crash or a silent pass.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/pa.h"
#include "hal/passport/face.h"
#include "hal/passport/lds.h"
#include "hal/passport/reader.h"
#include "hal/passport/transport.h"
#include "kiosk/appm.h"
#include "kiosk/passport_report.h"

#define MAX_TRUST 8

typedef struct read_args {
	const char *reader;
	const char *mrz;
	const char *document_number;
	const char *birth_date;
	const char *expiry_date;
	const char *can;
	const char *trust[MAX_TRUST];
	size_t n_trust;
	const char *crl;
	const char *face_out;
	bool json;
	bool short_only;
	size_t max_read;
	int wait_ms;
	int deadline_ms; /* 0: the transport's default */
} read_args;

static void usage_read(FILE *f)
{
	fprintf(f,
	        "usage: appm passport read [OPTIONS] --mrz 'LINE1LINE2' [--can NNNNNN]\n"
	        "       appm passport read [OPTIONS] --document-number N --birth-date YYMMDD --expiry-date YYMMDD\n"
	        "       appm passport read [OPTIONS] --can NNNNNN\n"
	        "\n"
	        "Reads the e-passport on the reader: EF.CardAccess, then PACE when the chip\n"
	        "offers it (with the CAN if given, else the MRZ) or BAC (also after a failed\n"
	        "PACE), secure messaging, EF.COM, EF.SOD and every data group EF.COM lists\n"
	        "or the SOD covers; chip authentication with DG14 (PACE-CAM or CA), else\n"
	        "active authentication with DG15; then passive authentication: SOD\n"
	        "signature, DS -> CSCA chain, validity dates, CRL, and the hash of every\n"
	        "data group read.\n"
	        "\n"
	        "  --reader CONN          reader connection string (default: pcsc = first PC/SC reader;\n"
	        "                         pcsc:NAME = the first whose name contains NAME)\n"
	        "  --mrz TEXT             the MRZ, two lines of 44 (or three of 30), with or\n"
	        "                         without the line break\n"
	        "  --document-number N, --birth-date YYMMDD, --expiry-date YYMMDD\n"
	        "                         the access key instead of the whole MRZ\n"
	        "  --can NNNNNN           the 6-digit card access number printed on the data\n"
	        "                         page: PACE with it; with the MRZ as well, BAC with\n"
	        "                         the MRZ if PACE fails\n"
	        "  --trust DIR|MASTERLIST CSCA certificates: a directory, or an ICAO master list\n"
	        "                         (repeatable)\n"
	        "  --crl FILE             a CRL to check the document signer against\n"
	        "  --face-out FILE        write the face image (JPEG or JPEG 2000) to FILE\n"
	        "  --json                 print the full report as JSON\n"
	        "  --wait SECONDS         wait this long for a document (default 3)\n"
	        "  --short-only           never use extended-length reads\n"
	        "  --max-read BYTES       cap the bytes asked for per READ BINARY\n"
	        "  --deadline SECONDS     end the read when the document is silent this long in one\n"
	        "                         exchange (besides the exchange's own transfer time) with\n"
	        "                         exit code 12 (default %d: ISO/IEC 14443-4's longest\n"
	        "                         frame waiting time, 4.95 s, and a margin; 0.1 to 600)\n"
	        "\n",
	        PP_TRANSPORT_DEFAULT_DEADLINE_MS / 1000);
	appm_print_exit_codes(f);
}

static void usage_passport(FILE *f)
{
	fprintf(f,
	        "usage: appm passport COMMAND [OPTIONS]\n"
	        "\n"
	        "Commands:\n"
	        "  read       read and verify the e-passport on the reader\n"
	        "  readers    list the readers and whether a document is on each\n"
	        "\n"
	        "Reader drivers (the first field of --reader):\n");
	for (const pp_transport_ops *const *d = pp_transport_drivers(); *d; d++)
		fprintf(f, "  %-10s %s\n", (*d)->name, (*d)->description);
	fprintf(f, "\n'appm passport read --help' lists its options and exit codes.\n");
}

static int exit_for(pp_err e)
{
	switch (e) {
	case PP_OK: return APPM_EXIT_OK;
	case PP_ERR_ARG: return APPM_EXIT_USAGE;
	case PP_ERR_NO_DRIVER: return APPM_EXIT_USAGE;
	case PP_ERR_NO_SERVICE:
	case PP_ERR_NO_READER: return APPM_EXIT_NO_READER;
	case PP_ERR_NO_CARD: return APPM_EXIT_NO_DOCUMENT;
	case PP_ERR_REMOVED: return APPM_EXIT_REMOVED;
	case PP_ERR_ACCESS_DENIED: return APPM_EXIT_ACCESS_DENIED;
	case PP_ERR_PARSE: return APPM_EXIT_MALFORMED;
	case PP_ERR_CHIP_AUTH: return APPM_EXIT_CLONED_CHIP;
	case PP_ERR_UNRESPONSIVE: return APPM_EXIT_UNRESPONSIVE;
	case PP_ERR_BUSY: return APPM_EXIT_BUSY;
	case PP_ERR_SERVICE_STOPPED: return APPM_EXIT_NO_READER;
	case PP_ERR_BLOCKED: return APPM_EXIT_BLOCKED;
	case PP_ERR_SM_ENDED:
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_SM:
	case PP_ERR_STATUS:
	case PP_ERR_NOT_EMRTD:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CANCELLED: return APPM_EXIT_CHIP_ERROR;
	case PP_ERR_NOMEM:
	case PP_ERR_CRYPTO: return APPM_EXIT_FAILURE;
	}
	return APPM_EXIT_FAILURE;
}

/* What to do next, for each failure a person can act on. */
static const char *advice_for(pp_err e)
{
	switch (e) {
	case PP_ERR_NO_SERVICE: return "start pcscd (the smart-card service) and try again";
	case PP_ERR_NO_READER: return "check that the reader is connected; 'appm passport readers' lists them";
	case PP_ERR_NO_CARD: return "place the passport's photo page on the reader";
	case PP_ERR_REMOVED: return NULL; /* the message already says it */
	case PP_ERR_ACCESS_DENIED: return "check the MRZ (document number, dates of birth and expiry) and try again";
	case PP_ERR_SM: return "the answer may have been altered; read the document again, and call an officer if it repeats";
	case PP_ERR_NOT_EMRTD: return "place an electronic passport (with the chip symbol on the cover)";
	case PP_ERR_CHIP_AUTH: return "do not accept this document; call an officer";
	case PP_ERR_BUSY: return "wait until the other program has finished, or close it, and try again";
	case PP_ERR_SERVICE_STOPPED: return "restart pcscd (the smart-card service) and read again";
	case PP_ERR_BLOCKED: return "call an officer: the document must be checked at the counter";
	case PP_ERR_SM_ENDED: return "place the document again; call an officer if it repeats";
	case PP_ERR_UNRESPONSIVE: return NULL; /* the message already says it */
	case PP_OK:
	case PP_ERR_ARG:
	case PP_ERR_NOMEM:
	case PP_ERR_NO_DRIVER:
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_STATUS:
	case PP_ERR_PARSE:
	case PP_ERR_CANCELLED:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CRYPTO:
		return NULL;
	}
	return NULL;
}

/* Report a failure on stderr (and as JSON on stdout with --json). */
static int fail(const read_args *a, int code, const char *kind, const char *message, const char *detail,
                const char *advice)
{
	fprintf(stderr, "appm: %s", message);
	if (detail && detail[0])
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
	if (advice)
		fprintf(stderr, "appm: %s\n", advice);
	if (a->json)
		passport_report_print_error(stdout, kind, message, detail, code);
	return code;
}

static bool parse_size(const char *s, size_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*ret = (size_t)v;
	return true;
}

static int parse_read_args(int argc, char **argv, read_args *a)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "mrz", required_argument, NULL, 'm' },
		{ "document-number", required_argument, NULL, 'n' },
		{ "birth-date", required_argument, NULL, 'b' },
		{ "expiry-date", required_argument, NULL, 'e' },
		{ "can", required_argument, NULL, 'C' },
		{ "trust", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'c' },
		{ "face-out", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "short-only", no_argument, NULL, 's' },
		{ "max-read", required_argument, NULL, 'x' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	*a = (read_args){ .reader = "pcsc", .wait_ms = 3000 };
	optind = 1;
	int c;
	size_t n;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': a->reader = optarg; break;
		case 'm': a->mrz = optarg; break;
		case 'n': a->document_number = optarg; break;
		case 'b': a->birth_date = optarg; break;
		case 'e': a->expiry_date = optarg; break;
		case 'C': a->can = optarg; break;
		case 't':
			if (a->n_trust == MAX_TRUST) {
				fprintf(stderr, "appm: at most %d --trust options\n", MAX_TRUST);
				return APPM_EXIT_USAGE;
			}
			a->trust[a->n_trust++] = optarg;
			break;
		case 'c': a->crl = optarg; break;
		case 'f': a->face_out = optarg; break;
		case 'j': a->json = true; break;
		case 'w':
			if (!parse_size(optarg, &n) || n > 3600) {
				fprintf(stderr, "appm: --wait takes a number of seconds (0 to 3600)\n");
				return APPM_EXIT_USAGE;
			}
			a->wait_ms = (int)n * 1000;
			break;
		case 's': a->short_only = true; break;
		case 'x':
			if (!parse_size(optarg, &a->max_read) || a->max_read < 1 || a->max_read > 65536) {
				fprintf(stderr, "appm: --max-read takes a number of bytes (1 to 65536)\n");
				return APPM_EXIT_USAGE;
			}
			break;
		case 'D': {
			char *end;
			errno = 0;
			double sec = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(sec >= 0.1 && sec <= 600)) {
				fprintf(stderr, "appm: --deadline takes a number of seconds (0.1 to 600)\n");
				return APPM_EXIT_USAGE;
			}
			a->deadline_ms = (int)(sec * 1000 + 0.5);
			break;
		}
		case 'h': usage_read(stdout); return -1;
		default: usage_read(stderr); return APPM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "appm: unexpected argument '%s'; 'appm passport read --help' shows the usage\n",
		        argv[optind]);
		return APPM_EXIT_USAGE;
	}
	bool parts = a->document_number || a->birth_date || a->expiry_date;
	if (a->mrz && parts) {
		fprintf(stderr, "appm: give either --mrz or --document-number/--birth-date/--expiry-date, not both\n");
		return APPM_EXIT_USAGE;
	}
	if (parts && !(a->document_number && a->birth_date && a->expiry_date)) {
		fprintf(stderr, "appm: give all of --document-number, --birth-date and --expiry-date\n");
		return APPM_EXIT_USAGE;
	}
	if (!a->mrz && !parts && !a->can) {
		fprintf(stderr, "appm: the access key is missing: give --mrz, or all of --document-number, "
		                "--birth-date and --expiry-date, or --can\n");
		return APPM_EXIT_USAGE;
	}
	return APPM_EXIT_OK;
}

static bool is_yymmdd(const char *s)
{
	if (strlen(s) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	int mm = (s[2] - '0') * 10 + (s[3] - '0'), dd = (s[4] - '0') * 10 + (s[5] - '0');
	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
}

static bool is_can(const char *s)
{
	if (strlen(s) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The access key from --mrz or the three parts, and --can; prints the
 * problem. */
static int access_key(const read_args *a, pp_access_key *key)
{
	memset(key, 0, sizeof(*key));
	if (a->can) {
		if (!is_can(a->can)) {
			fprintf(stderr, "appm: --can takes the 6 digits of the card access number, e.g. 123456\n");
			return APPM_EXIT_USAGE;
		}
		memcpy(key->can, a->can, 7);
	}
	if (!a->mrz && !a->document_number)
		return APPM_EXIT_OK;
	if (a->mrz) {
		lds_mrz mrz;
		lds_err e = lds_mrz_parse_text(a->mrz, &mrz);
		if (e != LDS_OK) {
			fprintf(stderr, "appm: the MRZ given is not valid: %s\n", lds_strerror(e));
			fprintf(stderr, "appm: type both lines exactly as printed on the passport's photo page\n");
			return APPM_EXIT_USAGE;
		}
		if (strlen(mrz.document_number) >= sizeof(key->document_number)) {
			fprintf(stderr, "appm: the MRZ's document number is too long\n");
			return APPM_EXIT_USAGE;
		}
		memcpy(key->document_number, mrz.document_number, strlen(mrz.document_number) + 1);
		memcpy(key->birth_date, mrz.birth_date, 7);
		memcpy(key->expiry_date, mrz.expiry_date, 7);
		return APPM_EXIT_OK;
	}
	size_t n = strlen(a->document_number);
	if (n == 0 || n >= sizeof(key->document_number)) {
		fprintf(stderr, "appm: --document-number must have 1 to %zu characters\n",
		        sizeof(key->document_number) - 1);
		return APPM_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = a->document_number[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '<')) {
			fprintf(stderr, "appm: --document-number may hold only 0-9, A-Z and '<'\n");
			return APPM_EXIT_USAGE;
		}
	}
	if (!is_yymmdd(a->birth_date) || !is_yymmdd(a->expiry_date)) {
		fprintf(stderr, "appm: --birth-date and --expiry-date are YYMMDD, e.g. 900131\n");
		return APPM_EXIT_USAGE;
	}
	snprintf(key->document_number, sizeof(key->document_number), "%s", a->document_number);
	memcpy(key->birth_date, a->birth_date, 7);
	memcpy(key->expiry_date, a->expiry_date, 7);
	return APPM_EXIT_OK;
}

static int load_trust(const read_args *a, pa_trust **ret)
{
	*ret = NULL;
	if (a->n_trust == 0)
		return APPM_EXIT_OK;
	char err[512];
	pa_trust *t = NULL;
	crypto_err ce = pa_trust_load(a->trust[0], &t, err, sizeof(err));
	for (size_t i = 1; ce == CRYPTO_OK && i < a->n_trust; i++)
		ce = pa_trust_add(t, a->trust[i], err, sizeof(err));
	if (ce == CRYPTO_OK && a->crl)
		ce = pa_trust_add_crl(t, a->crl, err, sizeof(err));
	if (ce != CRYPTO_OK) {
		pa_trust_free(t);
		return fail(a, APPM_EXIT_TRUST_STORE, "trust_store", "the trust store could not be loaded", err,
		            "check the --trust and --crl paths");
	}
	*ret = t;
	return APPM_EXIT_OK;
}

static int write_face(const read_args *a, const passport_parsed *p)
{
	const lds_face *face = p->dg2 ? lds_dg2_face(p->dg2) : NULL;
	if (!face) {
		fprintf(stderr, "appm: the document has no face image to write to %s\n", a->face_out);
		return APPM_EXIT_FAILURE;
	}
	FILE *f = fopen(a->face_out, "wb");
	if (!f || fwrite(face->image, 1, face->image_len, f) != face->image_len || fclose(f) != 0) {
		fprintf(stderr, "appm: cannot write the face image to %s: %s\n", a->face_out, strerror(errno));
		return APPM_EXIT_FAILURE;
	}
	return APPM_EXIT_OK;
}

static void progress_none(size_t done, size_t expected, void *user)
{
	(void)done;
	(void)expected;
	(void)user;
}

static int cmd_read(int argc, char **argv)
{
	read_args a;
	int rc = parse_read_args(argc, argv, &a);
	if (rc != APPM_EXIT_OK)
		return rc < 0 ? APPM_EXIT_OK : rc;
	pp_access_key key;
	rc = access_key(&a, &key);
	if (rc != APPM_EXIT_OK)
		return rc;
	pa_trust *trust = NULL;
	rc = load_trust(&a, &trust);
	if (rc != APPM_EXIT_OK)
		return rc;

	pp_transport *t = NULL;
	pp_document *doc = NULL;
	passport_parsed parsed = { 0 };
	char err[512] = "";
	pp_err e = pp_transport_open(a.reader, &t);
	if (e != PP_OK) {
		rc = fail(&a, exit_for(e), "reader", pp_strerror(e), a.reader, advice_for(e));
		goto out;
	}
	pp_read_options opt = {
		.wait_ms = a.wait_ms,
		.short_only = a.short_only,
		.max_read = a.max_read,
		.exchange_deadline_ms = a.deadline_ms,
		.progress = progress_none,
	};
	e = pp_read_document(t, &key, &opt, &doc, err, sizeof(err));
	if (e != PP_OK) {
		/* The removal and MRZ messages are the applicant's words; the
		 * detail is for the engineer. */
		const char *message = pp_strerror(e);
		const char *advice = advice_for(e);
		const char *kind = e == PP_ERR_CHIP_AUTH ? "cloned_chip" : "read";
		const char *detail = e == PP_ERR_NO_CARD ? NULL : err;
		if (e == PP_ERR_ACCESS_DENIED && !key.document_number[0]) {
			message = "access control failed: the CAN does not open this document";
			advice = "check the 6-digit CAN on the photo page, or give the MRZ";
		}
		if (e == PP_ERR_CHIP_AUTH && err[0]) {
			/* The reader's sentence names the failing step. */
			message = err;
			detail = NULL;
		}
		rc = fail(&a, exit_for(e), kind, message, detail, advice);
		goto out;
	}
	char file[32];
	lds_err le = passport_parse(doc, &parsed, file, sizeof(file));
	if (le != LDS_OK) {
		char detail[128];
		snprintf(detail, sizeof(detail), "%s: %s", file, lds_strerror(le));
		char message[160];
		snprintf(message, sizeof(message), "the chip's data is malformed: %s", detail);
		rc = fail(&a, APPM_EXIT_MALFORMED, "malformed", message, NULL,
		          "the document cannot be read by machine; call an officer");
		goto out;
	}
	pa_report report;
	pa_dg dgs[PP_MAX_DG];
	size_t n_dgs = 0;
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		if (doc->dg[dg].present)
			dgs[n_dgs++] = (pa_dg){ .number = dg, .data = doc->dg[dg].data, .len = doc->dg[dg].len };
	if (!doc->sod.present) {
		rc = fail(&a, APPM_EXIT_MALFORMED, "malformed", "the chip's data is malformed: EF.SOD is missing", NULL,
		          "the document cannot be verified; call an officer");
		goto out;
	}
	crypto_err ce = pa_verify(trust, doc->sod.data, doc->sod.len, dgs, n_dgs, time(NULL), &report, err,
	                          sizeof(err));
	if (ce != CRYPTO_OK) {
		char message[700];
		snprintf(message, sizeof(message), "the chip's data is malformed: EF.SOD: %s", err);
		rc = fail(&a, APPM_EXIT_MALFORMED, "malformed", message, NULL,
		          "the document cannot be verified; call an officer");
		goto out;
	}
	if (a.face_out && (rc = write_face(&a, &parsed)) != APPM_EXIT_OK)
		goto out;
	if (a.json)
		passport_report_print_json(stdout, doc, &parsed, &report, trust != NULL);
	else
		passport_report_print_summary(stdout, doc, &parsed, &report, trust != NULL);
	if (!report.passed) {
		char why[600];
		passport_report_first_failure(&report, why, sizeof(why));
		fprintf(stderr, "appm: passive authentication failed: %s\n", why);
		rc = APPM_EXIT_VERIFY_FAILED;
	} else {
		rc = APPM_EXIT_OK;
	}
out:
	passport_parsed_clear(&parsed);
	pp_document_free(doc);
	pp_transport_free(t);
	pa_trust_free(trust);
	return rc;
}

static void print_reader(const char *name, bool card_present, void *user)
{
	(void)user;
	printf("%s\t%s\n", name, card_present ? "document present" : "empty");
}

static int cmd_readers(int argc, char **argv)
{
	const char *driver = "pcsc";
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: appm passport readers [DRIVER]\n\nLists the readers of DRIVER (default pcsc).\n");
		return APPM_EXIT_OK;
	}
	if (argc > 1)
		driver = argv[1];
	pp_err e = pp_transport_list(driver, print_reader, NULL);
	if (e != PP_OK) {
		fprintf(stderr, "appm: %s\n", pp_strerror(e));
		if (advice_for(e))
			fprintf(stderr, "appm: %s\n", advice_for(e));
		return exit_for(e);
	}
	return APPM_EXIT_OK;
}

int appm_passport_main(int argc, char **argv)
{
	if (argc < 2) {
		usage_passport(stderr);
		return APPM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_passport(stdout);
		return APPM_EXIT_OK;
	}
	if (strcmp(argv[1], "read") == 0)
		return cmd_read(argc - 1, argv + 1);
	if (strcmp(argv[1], "readers") == 0)
		return cmd_readers(argc - 1, argv + 1);
	fprintf(stderr, "appm: unknown passport command '%s'; 'appm passport --help' lists them\n", argv[1]);
	return APPM_EXIT_USAGE;
}
