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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hal/passport/passport.h"
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
	pp_err err;           /* the reader's error being reported, for --json */
	pp_transport_caps link; /* the transport's link facts after the read, for --json */
	bool have_link;
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
	        "                         the access key instead of the whole MRZ; dates, here\n"
	        "                         and in --mrz, must be calendar days (29 February when\n"
	        "                         YY is a multiple of 4)\n"
	        "  --can NNNNNN           the 6-digit card access number printed on the data\n"
	        "                         page: PACE with it; with the MRZ as well, BAC with\n"
	        "                         the MRZ if PACE fails\n"
	        "  --trust DIR|MASTERLIST CSCA certificates: a directory, or an ICAO master list\n"
	        "                         (repeatable)\n"
	        "  --crl FILE             a CRL to check the document signer against\n"
	        "  --face-out FILE        write the face image (JPEG or JPEG 2000) to FILE, mode\n"
	        "                         0600, only when every check passed (exit code 0).\n"
	        "                         Checked before the read: FILE's directory must be\n"
	        "                         writable, and FILE new or a regular file, which is\n"
	        "                         replaced (a symbolic link or directory is refused)\n"
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

static void print_driver(const char *name, const char *description, void *user)
{
	fprintf(user, "  %-10s %s\n", name, description);
}

static void usage_passport(FILE *f)
{
	fprintf(f,
	        "usage: appm passport COMMAND [OPTIONS]\n"
	        "\n"
	        "Commands:\n"
	        "  read       read and verify the e-passport on the reader\n"
	        "  readers    list the readers and whether a document is on each\n"
	        "  watch      print each time a document is placed on the reader or removed\n"
	        "\n"
	        "Reader drivers (the first field of --reader):\n");
	pp_transport_each_driver(print_driver, f);
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
	case PP_ERR_NOT_VERIFIED: return APPM_EXIT_VERIFY_FAILED;
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

/* User input quoted in a message: its first ECHO_MAX characters (whole
 * UTF-8 sequences), control characters as '?', and "…" when it goes on, so
 * that a message stays one short line whatever was typed. */
#define ECHO_MAX 64
#define ECHO_LEN (ECHO_MAX * 4 + sizeof("\u2026"))

static const char *echo_input(const char *in, char out[ECHO_LEN])
{
	size_t n = 0, chars = 0;
	const unsigned char *p = (const unsigned char *)in;
	for (; *p; p++) {
		/* Bytes are counted too: invalid UTF-8 may be all continuation
		 * bytes, which start no character. */
		bool starts = (*p & 0xC0) != 0x80;
		if ((starts && chars == ECHO_MAX) || n == ECHO_MAX * 4)
			break;
		chars += starts;
		out[n++] = *p < 0x20 || *p == 0x7F ? '?' : (char)*p;
	}
	out[n] = '\0';
	if (*p)
		memcpy(out + n, "\u2026", sizeof("\u2026"));
	return out;
}

/* Report a failure on stderr (and as JSON on stdout with --json, with what
 * is known of the read when doc is not NULL). A detail that only repeats
 * the message is left out: each thing is said once. */
static int fail_read(const read_args *a, const pp_document *doc, int code, const char *kind, const char *message,
                     const char *detail, const char *advice)
{
	if (detail && strstr(message, detail))
		detail = NULL;
	fprintf(stderr, "appm: %s", message);
	if (detail && detail[0])
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
	if (advice)
		fprintf(stderr, "appm: %s\n", advice);
	if (a->json)
		passport_report_print_error(stdout, doc, a->have_link ? &a->link : NULL, a->err, kind, message, detail,
		                            code);
	return code;
}

static int fail(const read_args *a, int code, const char *kind, const char *message, const char *detail,
                const char *advice)
{
	return fail_read(a, NULL, code, kind, message, detail, advice);
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
		char shown[ECHO_LEN];
		fprintf(stderr, "appm: unexpected argument '%s'; 'appm passport read --help' shows the usage\n",
		        echo_input(argv[optind], shown));
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
			/* lds_strerror names the MRZ and the field. */
			fprintf(stderr, "appm: %s\n", lds_strerror(e));
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
	/* The same check as the dates of a typed MRZ (lds_mrz_parse_text). */
	const char *bad = lds_date_check(a->birth_date, strlen(a->birth_date)) != LDS_DATE_VALID ? "--birth-date"
	                  : lds_date_check(a->expiry_date, strlen(a->expiry_date)) != LDS_DATE_VALID ? "--expiry-date"
	                                                                                             : NULL;
	if (bad) {
		fprintf(stderr, "appm: %s is not a date: YYMMDD, month 01-12 and a day the month has, e.g. 900131\n",
		        bad);
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
	crypto_err ce = pp_trust_load(a->trust[0], &t, err, sizeof(err));
	for (size_t i = 1; ce == CRYPTO_OK && i < a->n_trust; i++)
		ce = pp_trust_add(t, a->trust[i], err, sizeof(err));
	if (ce == CRYPTO_OK && a->crl)
		ce = pp_trust_add_crl(t, a->crl, err, sizeof(err));
	if (ce != CRYPTO_OK) {
		pa_trust_free(t);
		return fail(a, APPM_EXIT_TRUST_STORE, "trust_store", "the trust store could not be loaded", err,
		            "check the --trust and --crl paths");
	}
	*ret = t;
	return APPM_EXIT_OK;
}

/*
 * --face-out. The face is personal data: it is written mode 0600, never
 * through a symbolic link, and only when every check passed. Before the
 * read, a temporary file is made beside FILE (mkstemp: O_CREAT | O_EXCL,
 * mode 0600), which proves the place writable before any reader is
 * touched; it stays empty during the read. When the read, chip
 * authentication and passive authentication all passed, the face goes into
 * it, is flushed to disk, and the file is renamed over FILE: an existing
 * FILE is replaced whole, and a symbolic link planted at FILE meanwhile is
 * itself replaced, its target never written. Otherwise the temporary file
 * is removed.
 */
typedef struct face_out {
	const char *path;   /* --face-out; NULL when not asked for */
	char *tmp;          /* the temporary file beside it */
	int fd;
} face_out;

/* Before the read (doc NULL), the command line is wrong: exit code 2;
 * after it, the face could not be saved: 1, with the read's report. */
static int face_out_fail(const read_args *a, const pp_document *doc, const char *why, const char *detail)
{
	char shown[ECHO_LEN], message[ECHO_LEN + 160];
	snprintf(message, sizeof(message), "--face-out %s %s", echo_input(a->face_out, shown), why);
	return fail_read(a, doc, doc ? APPM_EXIT_FAILURE : APPM_EXIT_USAGE, doc ? "face_out" : "usage", message, detail,
	                 doc ? NULL : "give the path of a new or existing file in a directory you can write to");
}

static const char *file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "is a symbolic link";
	if (S_ISDIR(mode))
		return "is a directory";
	return "is not a regular file";
}

static int face_out_prepare(const read_args *a, face_out *ret)
{
	*ret = (face_out){ .fd = -1 };
	if (!a->face_out)
		return APPM_EXIT_OK;
	const char *path = a->face_out;
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return face_out_fail(a, NULL, file_kind(st.st_mode), NULL);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	if (!*base)
		return face_out_fail(a, NULL, "names a directory", NULL);
	size_t n = strlen(path) + sizeof(".XXXXXX") + 1;
	char *tmp = malloc(n);
	if (!tmp)
		return fail(a, APPM_EXIT_FAILURE, "internal", "out of memory", NULL, NULL);
	snprintf(tmp, n, "%.*s.%s.XXXXXX", dir_len, path, base);
	int fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return face_out_fail(a, NULL, "cannot be written", strerror(err));
	}
	*ret = (face_out){ .path = path, .tmp = tmp, .fd = fd };
	return APPM_EXIT_OK;
}

/* Removes the temporary file unless face_out_commit renamed it. */
static void face_out_discard(face_out *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	*f = (face_out){ .fd = -1 };
}

static int face_out_commit(const read_args *a, face_out *f, const pp_document *doc, const pp_parsed *p)
{
	const lds_face *face = p->dg2 ? lds_dg2_face(p->dg2) : NULL;
	if (!face)
		return face_out_fail(a, doc, "is not written: the document has no face image", NULL);
	const uint8_t *data = face->image;
	size_t left = face->image_len;
	while (left > 0) {
		ssize_t n = write(f->fd, data, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return face_out_fail(a, doc, "cannot be written", strerror(n < 0 ? errno : EIO));
		data += n;
		left -= (size_t)n;
	}
	int synced = fsync(f->fd) == 0 ? 0 : errno;
	int closed = close(f->fd) == 0 ? 0 : errno;
	f->fd = -1;
	if (synced || closed)
		return face_out_fail(a, doc, "cannot be written", strerror(synced ? synced : closed));
	if (rename(f->tmp, f->path) != 0)
		return face_out_fail(a, doc, "cannot be written", strerror(errno));
	free(f->tmp);
	f->tmp = NULL;
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
	face_out face;
	rc = face_out_prepare(&a, &face);
	if (rc != APPM_EXIT_OK)
		return rc;
	pa_trust *trust = NULL;
	rc = load_trust(&a, &trust);
	if (rc != APPM_EXIT_OK) {
		face_out_discard(&face);
		return rc;
	}

	pp_transport *t = NULL;
	pp_report *r = NULL;
	pp_err e = pp_transport_open(a.reader, &t);
	a.err = e;
	if (e != PP_OK) {
		/* The reader named, when it is what went wrong. */
		char shown[ECHO_LEN];
		bool named = e == PP_ERR_NO_DRIVER || e == PP_ERR_NO_READER || e == PP_ERR_ARG ||
		             e == PP_ERR_NOT_SUPPORTED;
		rc = fail(&a, exit_for(e), "reader", pp_strerror(e), named ? echo_input(a.reader, shown) : NULL,
		          pp_err_info_of(e).advice);
		goto out;
	}
	pp_read_options opt = {
		.wait_ms = a.wait_ms,
		.short_only = a.short_only,
		.max_read = a.max_read,
		.exchange_deadline_ms = a.deadline_ms,
		.progress = progress_none,
	};
	e = pp_read_passport(t, &key, trust, &opt, &r);
	a.err = e;
	a.have_link = pp_transport_capabilities(t, &a.link) == PP_OK;
	if (!r) {
		rc = fail(&a, exit_for(e), "read", pp_strerror(e), NULL, pp_err_info_of(e).advice);
		goto out;
	}
	if (r->stage == PP_STAGE_READ) {
		/* The removal and MRZ messages are the applicant's words; the
		 * detail is for the engineer. */
		const char *message = pp_strerror(e);
		const char *advice = pp_err_info_of(e).advice;
		const char *kind = e == PP_ERR_CHIP_AUTH ? "cloned_chip" : "read";
		const char *detail = e == PP_ERR_NO_CARD ? NULL : r->detail;
		if (e == PP_ERR_ACCESS_DENIED && !key.document_number[0]) {
			message = "access control failed: the CAN does not open this document";
			advice = "check the 6-digit CAN on the photo page, or give the MRZ";
		}
		if (e == PP_ERR_CHIP_AUTH && r->detail[0]) {
			/* The reader's sentence names the failing step. */
			message = r->detail;
			detail = NULL;
		}
		rc = fail_read(&a, r->doc, exit_for(e), kind, message, detail, advice);
		goto out;
	}
	if (r->stage == PP_STAGE_PARSE) {
		char message[700];
		snprintf(message, sizeof(message), "the chip's data is malformed: %s", r->detail);
		rc = fail_read(&a, r->doc, e == PP_ERR_NOMEM ? APPM_EXIT_FAILURE : APPM_EXIT_MALFORMED, "malformed",
		               message, NULL, pp_err_info_of(PP_ERR_PARSE).advice);
		goto out;
	}
	/* The face only when the exit code is 0: the chip proved genuine
	 * (a failure ended the read) and passive authentication passed. */
	if (e == PP_OK && face.path && (rc = face_out_commit(&a, &face, r->doc, &r->parsed)) != APPM_EXIT_OK)
		goto out;
	if (a.json)
		passport_report_print_json(stdout, r, a.have_link ? &a.link : NULL);
	else
		passport_report_print_summary(stdout, r);
	if (e == PP_ERR_NOT_VERIFIED) {
		fprintf(stderr, "appm: passive authentication failed: %s\n", r->detail);
		rc = APPM_EXIT_VERIFY_FAILED;
	} else {
		rc = exit_for(e);
	}
out:
	face_out_discard(&face);
	pp_report_free(r);
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
		if (pp_err_info_of(e).advice)
			fprintf(stderr, "appm: %s\n", pp_err_info_of(e).advice);
		return exit_for(e);
	}
	return APPM_EXIT_OK;
}

static void usage_watch(FILE *f)
{
	fprintf(f, "usage: appm passport watch [--reader CONN] [--for SECONDS]\n"
	           "\n"
	           "Prints a line each time a document is placed on the reader or taken away\n"
	           "(\"document present\" first when one is already there), for SECONDS (default\n"
	           "30; 0: until interrupted). PC/SC readers tell of a change themselves; libnfc\n"
	           "readers are looked at every 100 ms.\n");
}

/* What a field engineer checks first: does the reader see the document? */
static int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *reader = "pcsc";
	size_t seconds = 30;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': reader = optarg; break;
		case 'f':
			if (!parse_size(optarg, &seconds) || seconds > 86400) {
				fprintf(stderr, "appm: --for takes a number of seconds (0 to 86400)\n");
				return APPM_EXIT_USAGE;
			}
			break;
		case 'h': usage_watch(stdout); return APPM_EXIT_OK;
		default: usage_watch(stderr); return APPM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage_watch(stderr);
		return APPM_EXIT_USAGE;
	}
	pp_transport *t = NULL;
	pp_err e = pp_transport_open(reader, &t);
	bool present = false;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (e == PP_OK && (e = pp_transport_look(t, &present)) == PP_OK && present) {
		printf("document present\n");
		fflush(stdout);
	}
	while (e == PP_OK) {
		int left = -1;
		if (seconds) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
			if (elapsed >= (long)seconds * 1000)
				break;
			left = (int)((long)seconds * 1000 - elapsed);
		}
		bool now_present = present;
		e = pp_transport_wait_change(t, present, left, &now_present);
		if (e == PP_ERR_TIMEOUT) {
			e = PP_OK;
			continue;
		}
		if (e == PP_OK && now_present != present) {
			present = now_present;
			printf("%s\n", present ? "document placed" : "document removed");
			fflush(stdout);
		}
	}
	pp_transport_free(t);
	if (e != PP_OK) {
		fprintf(stderr, "appm: %s\n", pp_strerror(e));
		if (pp_err_info_of(e).advice)
			fprintf(stderr, "appm: %s\n", pp_err_info_of(e).advice);
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
	if (strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	char shown[ECHO_LEN];
	fprintf(stderr, "appm: unknown passport command '%s'; 'appm passport --help' lists them\n",
	        echo_input(argv[1], shown));
	return APPM_EXIT_USAGE;
}
