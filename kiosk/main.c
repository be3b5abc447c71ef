/*
 * main — the `appm` executable: parses the subcommand and hands over.
 * Only this file and the subcommands' entry points may end the process.
 */
#include <stdio.h>
#include <string.h>

#include "kiosk/appm.h"

#ifndef APPM_VERSION
#define APPM_VERSION "unknown"
#endif

typedef struct subcommand {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
} subcommand;

static const subcommand subcommands[] = {
	{ "passport", "read and verify an e-passport (ICAO 9303)", appm_passport_main },
};

void appm_print_exit_codes(FILE *f)
{
	fprintf(f,
	        "Exit codes:\n"
	        "   0  done (passport read: read and every verification passed)\n"
	        "   1  internal failure\n"
	        "   2  bad command line, or a malformed MRZ\n"
	        "   3  no reader, or the smart-card service (pcscd) is not running\n"
	        "   4  no document on the reader\n"
	        "   5  the document was removed while reading\n"
	        "   6  access control failed: the MRZ does not match the document\n"
	        "   7  passive authentication failed (the report names the check)\n"
	        "   8  the chip's data is malformed or truncated (the message names the file)\n"
	        "   9  the chip or the link failed (refused command, secure messaging)\n"
	        "  10  the trust store could not be loaded\n"
	        "  11  chip or active authentication failed: possible cloned chip\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: appm [--version] [--help] COMMAND [ARGS...]\n\n"
	           "APPM, the controller of a self-service passport renewal kiosk.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\n'appm COMMAND --help' explains a command.\n\n");
	appm_print_exit_codes(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return APPM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return APPM_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("appm %s\n", APPM_VERSION);
		return APPM_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "appm: unknown command '%s'; 'appm --help' lists the commands\n", argv[1]);
	return APPM_EXIT_USAGE;
}
