/*
 * appm-docgen — the test-document factory's command line: makes a test PKI,
 * e-passport contents from a persona, CSCA master lists and CRLs. Every
 * subcommand has --help. Exit status: 0 done, 1 the work failed (message on
 * stderr), 2 bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/docgen/docgen.h"

#ifndef DOCGEN_DATA_DIR
#define DOCGEN_DATA_DIR "devices/data"
#endif

enum { EXIT_USAGE = 2 };

static const char usage_main[] =
	"usage: appm-docgen COMMAND [OPTIONS]\n"
	"Makes test e-passports for APPM. Keys are generated at run time.\n"
	"\n"
	"commands:\n"
	"  pki         a CSCA, document signer and master list signer\n"
	"  doc         a document's chip files (EF.COM, EF.SOD, EF.DGn) from a persona\n"
	"  masterlist  an ICAO CSCA master list of one or more PKIs\n"
	"  crl         a CRL signed by a PKI's CSCA\n"
	"\n"
	"'appm-docgen COMMAND --help' describes each command's options.\n"
	"Exit status: 0 done, 1 failed, 2 bad usage.\n";

static const char usage_pki[] =
	"usage: appm-docgen pki --out DIR [--country IDN] [--key ec|rsa]\n"
	"                       [--ds-expired | --ds-not-yet-valid]\n"
	"Writes DIR/csca.pem, csca.key (self-signed CSCA), ds.pem, ds.key (document\n"
	"signer) and mls.pem, mls.key (master list signer), both issued by the CSCA.\n"
	"  --country C          ICAO country code (default IDN)\n"
	"  --key ec|rsa         ECDSA P-256 (default) or RSA 2048 keys\n"
	"  --ds-expired         the DS certificate's validity lies entirely in the past\n"
	"  --ds-not-yet-valid   the DS certificate's validity lies entirely in the future\n";

static const char usage_doc[] =
	"usage: appm-docgen doc --pki DIR --persona FILE|NAME --out DIR [options]\n"
	"Writes the chip's files EF.COM, EF.SOD, EF.DG1, EF.DG2, EF.DG11, EF.DG12\n"
	"(and EF.DG15 with --dg15) into DIR, and document.txt with the MRZ data.\n"
	"  --persona NAME       devices/data/personas/NAME.persona (see --data-dir)\n"
	"  --data-dir DIR       where personas/ and faces/ are (default " DOCGEN_DATA_DIR ")\n"
	"  --face jpeg|jp2      face image as stored (default) or re-encoded JPEG 2000\n"
	"  --hash H             sha1, sha224, sha256 (default), sha384 or sha512\n"
	"  --pss                sign EF.SOD with RSA-PSS (a PKI made with --key rsa)\n"
	"  --dg15               add DG15 with an active authentication key (DIR/aa.key)\n"
	"  --lds18              LDS 1.8: EF.COM 0108 and ldsVersionInfo in the SOD\n"
	"  --tamper N           change one byte of DGN after signing\n"
	"  --no-dg N            leave DGN out (repeatable)\n"
	"  --unsigned-dg N      write DGN but leave it out of the SOD (repeatable)\n";

static const char usage_ml[] =
	"usage: appm-docgen masterlist --pki DIR [--pki DIR2 ...] --out FILE\n"
	"Writes a CMS-signed CSCA master list (DER) holding the CSCA of every PKI,\n"
	"signed by the master list signer of the first.\n";

static const char usage_crl[] =
	"usage: appm-docgen crl --pki DIR --out FILE [--revoke-ds] [--expired]\n"
	"Writes a CRL (DER) signed by the PKI's CSCA.\n"
	"  --revoke-ds          list the document signer certificate as revoked\n"
	"  --expired            the CRL's nextUpdate is already past\n";

static int finish(docgen_err e, const char *err)
{
	if (e == DOCGEN_OK)
		return EXIT_SUCCESS;
	fprintf(stderr, "appm-docgen: %s\n", err[0] ? err : docgen_strerror(e));
	return e == DOCGEN_ERR_ARG ? EXIT_USAGE : EXIT_FAILURE;
}

static int bad_usage(const char *usage)
{
	fputs(usage, stderr);
	return EXIT_USAGE;
}

static bool parse_dg(const char *s, int *ret)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > 16)
		return false;
	*ret = (int)n;
	return true;
}

static int cmd_pki(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "country", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ds-expired", no_argument, NULL, 'e' },
		{ "ds-not-yet-valid", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	docgen_pki_opts o = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out_dir = optarg; break;
		case 'c': o.country = optarg; break;
		case 'k':
			if (strcmp(optarg, "ec") == 0)
				o.key = DOCGEN_KEY_EC;
			else if (strcmp(optarg, "rsa") == 0)
				o.key = DOCGEN_KEY_RSA;
			else
				return bad_usage(usage_pki);
			break;
		case 'e': o.ds_validity = DOCGEN_DS_EXPIRED; break;
		case 'n': o.ds_validity = DOCGEN_DS_NOT_YET_VALID; break;
		case 'h': fputs(usage_pki, stdout); return EXIT_SUCCESS;
		default: return bad_usage(usage_pki);
		}
	}
	if (!o.out_dir || optind != argc)
		return bad_usage(usage_pki);
	char err[512] = "";
	return finish(docgen_pki_create(&o, err, sizeof err), err);
}

static int cmd_doc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pki", required_argument, NULL, 'p' },
		{ "persona", required_argument, NULL, 'P' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "face", required_argument, NULL, 'f' },
		{ "hash", required_argument, NULL, 'H' },
		{ "pss", no_argument, NULL, 's' },
		{ "dg15", no_argument, NULL, 'a' },
		{ "lds18", no_argument, NULL, 'l' },
		{ "tamper", required_argument, NULL, 't' },
		{ "no-dg", required_argument, NULL, 'x' },
		{ "unsigned-dg", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	docgen_doc_opts o = { 0 };
	const char *persona = NULL, *data_dir = DOCGEN_DATA_DIR;
	int c, n;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.pki_dir = optarg; break;
		case 'P': persona = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'f':
			if (strcmp(optarg, "jpeg") == 0)
				o.face = DOCGEN_FACE_JPEG;
			else if (strcmp(optarg, "jp2") == 0)
				o.face = DOCGEN_FACE_JP2;
			else
				return bad_usage(usage_doc);
			break;
		case 'H':
			if (strcmp(optarg, "sha1") != 0 && strcmp(optarg, "sha224") != 0 &&
			    strcmp(optarg, "sha256") != 0 && strcmp(optarg, "sha384") != 0 &&
			    strcmp(optarg, "sha512") != 0)
				return bad_usage(usage_doc);
			o.hash = optarg;
			break;
		case 's': o.sig = DOCGEN_SIG_RSA_PSS; break;
		case 'a': o.dg15 = true; break;
		case 'l': o.lds_1_8 = true; break;
		case 't':
			if (!parse_dg(optarg, &o.tamper_dg))
				return bad_usage(usage_doc);
			break;
		case 'x':
			if (!parse_dg(optarg, &n))
				return bad_usage(usage_doc);
			o.omit_dgs |= 1u << n;
			break;
		case 'u':
			if (!parse_dg(optarg, &n))
				return bad_usage(usage_doc);
			o.unsigned_dgs |= 1u << n;
			break;
		case 'h': fputs(usage_doc, stdout); return EXIT_SUCCESS;
		default: return bad_usage(usage_doc);
		}
	}
	if (!o.pki_dir || !persona || !o.out_dir || optind != argc)
		return bad_usage(usage_doc);
	char err[512] = "";
	docgen_persona p;
	docgen_err e = docgen_persona_load(persona, data_dir, &p, err, sizeof err);
	if (e)
		return finish(e, err);
	o.persona = &p;
	return finish(docgen_doc_create(&o, err, sizeof err), err);
}

static int cmd_masterlist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pki", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pkis[64];
	size_t n_pki = 0;
	const char *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (n_pki == sizeof pkis / sizeof pkis[0])
				return bad_usage(usage_ml);
			pkis[n_pki++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage_ml, stdout); return EXIT_SUCCESS;
		default: return bad_usage(usage_ml);
		}
	}
	if (n_pki == 0 || !out || optind != argc)
		return bad_usage(usage_ml);
	char err[512] = "";
	return finish(docgen_masterlist_create(pkis, n_pki, out, err, sizeof err), err);
}

static int cmd_crl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pki", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "revoke-ds", no_argument, NULL, 'r' },
		{ "expired", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	docgen_crl_opts o = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.pki_dir = optarg; break;
		case 'o': o.out_path = optarg; break;
		case 'r': o.revoke_ds = true; break;
		case 'e': o.expired = true; break;
		case 'h': fputs(usage_crl, stdout); return EXIT_SUCCESS;
		default: return bad_usage(usage_crl);
		}
	}
	if (!o.pki_dir || !o.out_path || optind != argc)
		return bad_usage(usage_crl);
	char err[512] = "";
	return finish(docgen_crl_create(&o, err, sizeof err), err);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return bad_usage(usage_main);
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return EXIT_SUCCESS;
	}
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "pki", cmd_pki },
		{ "doc", cmd_doc },
		{ "masterlist", cmd_masterlist },
		{ "crl", cmd_crl },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "appm-docgen: unknown command '%s'\n", cmd);
	return bad_usage(usage_main);
}
