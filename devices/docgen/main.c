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
	"(EF.DG14, EF.DG15, EF.CardAccess as the options ask) into DIR, the chip's\n"
	"private keys aa.key and ca.key, and document.txt with the MRZ data and CAN.\n"
	"Files of an earlier document in DIR that this one lacks are removed.\n"
	"  --profile NAME       a virtual-passport profile (see 'appm-docgen --help');\n"
	"                       the options below override its settings\n"
	"  --persona NAME       devices/data/personas/NAME.persona (see --data-dir)\n"
	"  --data-dir DIR       where personas/ and faces/ are (default " DOCGEN_DATA_DIR ")\n"
	"  --face jpeg|jp2      face image as stored (default) or re-encoded JPEG 2000\n"
	"  --face-bytes N       re-encode the face to about N bytes (JPEG: by quality;\n"
	"                       JPEG 2000: by compression rate)\n"
	"  --hash H             sha1, sha224, sha256 (default), sha384 or sha512\n"
	"  --pss                sign EF.SOD with RSA-PSS (a PKI made with --key rsa)\n"
	"  --aa rsa|ecdsa|none  DG15 with an RSA 2048 or ECDSA active authentication\n"
	"                       key (DIR/aa.key); ECDSA adds its hash to DG14\n"
	"  --aa-curve C         the ECDSA key's curve: prime256v1 (default),\n"
	"                       brainpoolP256r1, ...\n"
	"  --dg15               the same as --aa rsa\n"
	"  --pace P[:ID]        a PACEInfo in EF.CardAccess: protocol name or OID,\n"
	"                       and the standardized domain parameter id (default 13,\n"
	"                       brainpoolP256r1, for ECDH; 0, 1024-bit MODP, for DH);\n"
	"                       repeatable, the first replaces the profile's list\n"
	"  --no-pace            no EF.CardAccess (a BAC-only document)\n"
	"  --can DIGITS         the 6-digit CAN (default: the persona's can=, else one\n"
	"                       derived from the document number)\n"
	"  --ca P|none          DG14 with chip authentication protocol P (e.g.\n"
	"                       id-CA-ECDH-AES-CBC-CMAC-128) and its key (DIR/ca.key);\n"
	"                       PACE-CAM needs it\n"
	"  --ca-key-id N        keyId of the chip authentication key (default none)\n"
	"  --ca-domain D        the key's curve or DH group (default: PACE's)\n"
	"  --lds18              LDS 1.8: EF.COM 0108 and ldsVersionInfo in the SOD\n"
	"  --tamper N           change one byte of DGN after signing\n"
	"  --no-dg N            leave DGN out entirely (repeatable)\n"
	"  --unsigned-dg N      write and list DGN but leave it out of the SOD\n"
	"                       (repeatable)\n"
	"  --absent-dg N        list DGN in EF.COM and hash it in the SOD, but do not\n"
	"                       write the file (repeatable)\n"
	"  --unlisted-dg N      write DGN and hash it, but leave it out of EF.COM's list\n"
	"                       (repeatable)\n";

static const char usage_ml[] =
	"usage: appm-docgen masterlist --pki DIR [--pki DIR2 ...] --out FILE\n"
	"Writes a CMS-signed CSCA master list (DER) holding the CSCA of every PKI,\n"
	"signed by the master list signer of the first.\n";

static const char usage_crl[] =
	"usage: appm-docgen crl --pki DIR --out FILE [--revoke-ds] [--expired]\n"
	"Writes a CRL (DER) signed by the PKI's CSCA.\n"
	"  --revoke-ds          list the document signer certificate as revoked\n"
	"  --expired            the CRL's nextUpdate is already past\n";

/* The document profiles, for 'appm-docgen --help'. */
static void print_profiles(void)
{
	fputs("\nprofiles (appm-docgen doc --profile NAME; the chip's behaviour, such as\n"
	      "refusing BAC or a cloned key, is set on the virtual passport instead):\n", stdout);
	const char *summary = NULL;
	for (size_t i = 0; docgen_profile_name(i, &summary); i++)
		printf("  %-11s %s\n", docgen_profile_name(i, NULL), summary);
}

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

/* "PROTOCOL[:ID]" */
static bool parse_pace(char *s, docgen_pace_info *ret)
{
	char *colon = strrchr(s, ':');
	int id = strstr(s, "-DH-") ? 0 : 13;
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || v < 0 || v > 31)
			return false;
		*colon = '\0';
		id = (int)v;
	}
	if (*s == '\0')
		return false;
	*ret = (docgen_pace_info){ .protocol = s, .parameter_id = id };
	return true;
}

#define MAX_PACE 8

static int cmd_doc(int argc, char **argv)
{
	enum {
		OPT_PROFILE = 256, OPT_FACE_BYTES, OPT_AA, OPT_AA_CURVE, OPT_PACE, OPT_NO_PACE, OPT_CAN,
		OPT_CA, OPT_CA_KEY_ID, OPT_CA_DOMAIN, OPT_ABSENT, OPT_UNLISTED,
	};
	static const struct option opts[] = {
		{ "pki", required_argument, NULL, 'p' },
		{ "persona", required_argument, NULL, 'P' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "face", required_argument, NULL, 'f' },
		{ "face-bytes", required_argument, NULL, OPT_FACE_BYTES },
		{ "hash", required_argument, NULL, 'H' },
		{ "pss", no_argument, NULL, 's' },
		{ "dg15", no_argument, NULL, 'a' },
		{ "aa", required_argument, NULL, OPT_AA },
		{ "aa-curve", required_argument, NULL, OPT_AA_CURVE },
		{ "pace", required_argument, NULL, OPT_PACE },
		{ "no-pace", no_argument, NULL, OPT_NO_PACE },
		{ "can", required_argument, NULL, OPT_CAN },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "ca-key-id", required_argument, NULL, OPT_CA_KEY_ID },
		{ "ca-domain", required_argument, NULL, OPT_CA_DOMAIN },
		{ "lds18", no_argument, NULL, 'l' },
		{ "tamper", required_argument, NULL, 't' },
		{ "no-dg", required_argument, NULL, 'x' },
		{ "unsigned-dg", required_argument, NULL, 'u' },
		{ "absent-dg", required_argument, NULL, OPT_ABSENT },
		{ "unlisted-dg", required_argument, NULL, OPT_UNLISTED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	docgen_doc_opts o = { 0 };
	const char *persona = NULL, *data_dir = DOCGEN_DATA_DIR;
	char err[512] = "";
	int c, n;

	/* The profile first, whatever its place, so that the other options
	 * override it. Usage errors are reported by the second pass. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PROFILE && docgen_doc_profile(optarg, &o, err, sizeof err) != DOCGEN_OK)
			return finish(DOCGEN_ERR_ARG, err);
	}
	opterr = 1;
	optind = 0;

	docgen_pace_info pace[MAX_PACE];
	size_t n_pace = 0;
	bool pace_given = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.pki_dir = optarg; break;
		case 'P': persona = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case OPT_PROFILE: break;
		case 'f':
			if (strcmp(optarg, "jpeg") == 0)
				o.face = DOCGEN_FACE_JPEG;
			else if (strcmp(optarg, "jp2") == 0)
				o.face = DOCGEN_FACE_JP2;
			else
				return bad_usage(usage_doc);
			break;
		case OPT_FACE_BYTES: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v > 16ul * 1024 * 1024)
				return bad_usage(usage_doc);
			o.face_bytes = v;
			break;
		}
		case 'H':
			if (strcmp(optarg, "sha1") != 0 && strcmp(optarg, "sha224") != 0 &&
			    strcmp(optarg, "sha256") != 0 && strcmp(optarg, "sha384") != 0 &&
			    strcmp(optarg, "sha512") != 0)
				return bad_usage(usage_doc);
			o.hash = optarg;
			break;
		case 's': o.sig = DOCGEN_SIG_RSA_PSS; break;
		case 'a':
			o.dg15 = true;
			o.aa_key = DOCGEN_AA_RSA;
			break;
		case OPT_AA:
			if (strcmp(optarg, "rsa") == 0) {
				o.dg15 = true;
				o.aa_key = DOCGEN_AA_RSA;
			} else if (strcmp(optarg, "ecdsa") == 0) {
				o.dg15 = true;
				o.aa_key = DOCGEN_AA_ECDSA;
			} else if (strcmp(optarg, "none") == 0) {
				o.dg15 = false;
			} else {
				return bad_usage(usage_doc);
			}
			break;
		case OPT_AA_CURVE: o.aa_curve = optarg; break;
		case OPT_PACE:
			if (!pace_given)
				n_pace = 0;
			pace_given = true;
			if (n_pace == MAX_PACE || !parse_pace(optarg, &pace[n_pace++]))
				return bad_usage(usage_doc);
			o.pace = pace;
			o.n_pace = n_pace;
			break;
		case OPT_NO_PACE:
			pace_given = true;
			n_pace = 0;
			o.pace = NULL;
			o.n_pace = 0;
			break;
		case OPT_CAN: o.can = optarg; break;
		case OPT_CA: o.ca_protocol = strcmp(optarg, "none") == 0 ? NULL : optarg; break;
		case OPT_CA_KEY_ID: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 || v > 0x7FFFFFFF)
				return bad_usage(usage_doc);
			o.ca_key_id = (int)v;
			break;
		}
		case OPT_CA_DOMAIN: o.ca_domain = optarg; break;
		case 'l': o.lds_1_8 = true; break;
		case 't':
			if (!parse_dg(optarg, &o.tamper_dg))
				return bad_usage(usage_doc);
			break;
		case 'x':
		case 'u':
		case OPT_ABSENT:
		case OPT_UNLISTED:
			if (!parse_dg(optarg, &n))
				return bad_usage(usage_doc);
			*(c == 'x' ? &o.omit_dgs : c == 'u' ? &o.unsigned_dgs
			             : c == OPT_ABSENT ? &o.absent_dgs : &o.unlisted_dgs) |= 1u << n;
			break;
		case 'h': fputs(usage_doc, stdout); return EXIT_SUCCESS;
		default: return bad_usage(usage_doc);
		}
	}
	if (!o.pki_dir || !persona || !o.out_dir || optind != argc)
		return bad_usage(usage_doc);
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
		print_profiles();
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
