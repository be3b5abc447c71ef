/*
 * main — the `appm` executable: parses the subcommand and hands over.
 * Only this file and the subcommands' entry points may end the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/camera/camera.h"
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
	{ "kiosk", "run the kiosk daemon: devices, store, control socket", appm_kiosk_main },
	{ "diag", "field engineer's diagnostics: devices, self-test, reset, watch", appm_diag_main },
	{ "staff", "an officer called to the kiosk: see why, resume or end the session", appm_staff_main },
	{ "face", "face verification on files: the chip photo against live frames", appm_face_main },
};

const char *appm_exit_text(enum appm_exit code)
{
	switch (code) {
	case APPM_EXIT_OK: return "done (passport read: read and every verification passed)";
	case APPM_EXIT_FAILURE: return "internal failure";
	case APPM_EXIT_USAGE: return "bad command line, or a malformed MRZ";
	case APPM_EXIT_NO_READER: return "no reader, or the smart-card service (pcscd) is not running or stopped";
	case APPM_EXIT_NO_DOCUMENT: return "no document on the reader";
	case APPM_EXIT_REMOVED: return "the document was removed while reading";
	case APPM_EXIT_ACCESS_DENIED: return "access control failed: the MRZ does not match the document";
	case APPM_EXIT_VERIFY_FAILED: return "passive authentication failed (the report names the check)";
	case APPM_EXIT_MALFORMED: return "the chip's data is malformed or truncated (the message names the file)";
	case APPM_EXIT_CHIP_ERROR: return "the chip or the link failed (refused command, secure messaging)";
	case APPM_EXIT_TRUST_STORE: return "the trust store could not be loaded";
	case APPM_EXIT_CLONED_CHIP: return "chip or active authentication failed: possible cloned chip";
	case APPM_EXIT_UNRESPONSIVE: return "the document stopped answering: remove it and place it again";
	case APPM_EXIT_BUSY: return "the reader is busy: another program is using it";
	case APPM_EXIT_BLOCKED: return "the chip has blocked access with this key: call an officer";
	case APPM_EXIT_CONFIG: return "the configuration file is missing or wrong (the message names file, line and key)";
	case APPM_EXIT_PERMISSION: return "no permission to use the kiosk's control socket";
	case APPM_EXIT_DEVICE_FAULT: return "diag: a device is not online, or its self-test or reset failed";
	case APPM_EXIT_STORE: return "the kiosk's store cannot be opened (missing, corrupt, locked or newer)";
	case APPM_EXIT_RUNNING: return "another kiosk daemon is running (its store or socket is in use)";
	case APPM_EXIT_NO_SESSION: return "staff: nobody waits for an officer, or the kiosk shows no page";
	case APPM_EXIT_NOT_RUNNING: return "staff: the kiosk daemon is not running";
	case APPM_EXIT_NO_MATCH: return "face verify: the live face is not the chip photo's";
	case APPM_EXIT_NO_FACE: return "face verify: no single face in the chip photo, or no face in any live frame";
	case APPM_EXIT_FACE_MODELS: return "face: the face models are missing or corrupt (the message names the file)";
	case APPM_EXIT_NOT_LIVE: return "face capture: the movement asked for was not made: not a live face";
	case APPM_EXIT_NO_CAPTURE: return "face capture: no frame passed every quality check in time";
	}
	return "unknown";
}

void appm_print_exit_codes(FILE *f)
{
	fprintf(f, "Exit codes:\n");
	for (int code = APPM_EXIT_OK; code <= APPM_EXIT_LAST; code++)
		fprintf(f, "  %2d  %s\n", code, appm_exit_text((enum appm_exit)code));
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

#define STR_(x) #x
#define STR(x) STR_(x)

int main(int argc, char **argv)
{
	/* OpenCV (the camera's and the face models' modules, opened on first
	 * use) decodes an image before anyone sees its size, by default up to
	 * 2^30 pixels: a small crafted file could cost gigabytes. It reads
	 * these limits at its first decode; set them while one thread runs. */
	setenv("OPENCV_IO_MAX_IMAGE_WIDTH", STR(CAM_MAX_SIDE), 0);
	setenv("OPENCV_IO_MAX_IMAGE_HEIGHT", STR(CAM_MAX_SIDE), 0);
	setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "67108864", 0); /* CAM_MAX_SIDE squared */
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
