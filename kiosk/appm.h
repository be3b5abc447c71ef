/*
 * appm — what the subcommands of the `appm` executable share: their entry
 * points and the exit codes every subcommand documents.
 */
#pragma once

#include <stdio.h>

/* Exit codes of `appm`. Stable: scripts and the field engineers' tools
 * depend on them; codes are only appended. Their words, for `appm --help`,
 * are appm_exit_text's (kiosk/main.c), the one other place that names them. */
enum appm_exit {
	APPM_EXIT_OK = 0,              /* done; for `passport read`, every check passed */
	APPM_EXIT_FAILURE = 1,         /* an internal failure (out of memory, ...) */
	APPM_EXIT_USAGE = 2,           /* bad command line or a malformed MRZ */
	APPM_EXIT_NO_READER = 3,       /* no reader, or the smart-card service is not running */
	APPM_EXIT_NO_DOCUMENT = 4,     /* no document on the reader */
	APPM_EXIT_REMOVED = 5,         /* the document was removed while reading */
	APPM_EXIT_ACCESS_DENIED = 6,   /* access control failed: the MRZ does not match */
	APPM_EXIT_VERIFY_FAILED = 7,   /* read, but passive authentication failed */
	APPM_EXIT_MALFORMED = 8,       /* the chip's data is malformed or truncated */
	APPM_EXIT_CHIP_ERROR = 9,      /* the chip or link failed (status, secure messaging) */
	APPM_EXIT_TRUST_STORE = 10,    /* the trust store could not be loaded */
	APPM_EXIT_CLONED_CHIP = 11,    /* chip or active authentication failed: possible cloned chip */
	APPM_EXIT_UNRESPONSIVE = 12,   /* the document stopped answering */
	APPM_EXIT_BUSY = 13,           /* the reader is busy: another program is using it */
	APPM_EXIT_BLOCKED = 14,        /* the chip blocked access with this key: an officer is needed */
	APPM_EXIT_CONFIG = 15,         /* the configuration file is missing or wrong */
	APPM_EXIT_PERMISSION = 16,     /* no permission to use the kiosk's control socket */
	APPM_EXIT_DEVICE_FAULT = 17,   /* diag: a device is not online, or its test or reset failed */
	APPM_EXIT_STORE = 18,          /* the kiosk's store cannot be opened (corrupt, newer, ...) */
	APPM_EXIT_RUNNING = 19,        /* another kiosk daemon is running (store or socket in use) */
	APPM_EXIT_NO_SESSION = 20,     /* staff: nobody waits for an officer, or the kiosk shows no page */
	APPM_EXIT_NOT_RUNNING = 21,    /* staff: the kiosk daemon is not running */
	APPM_EXIT_NO_MATCH = 22,       /* face verify: the live face is not the chip's */
	APPM_EXIT_NO_FACE = 23,        /* face verify: no single face in the chip photo, none live */
	APPM_EXIT_FACE_MODELS = 24,    /* face: the face models are missing or corrupt */
	APPM_EXIT_NOT_LIVE = 25,       /* face capture: the challenge was not answered: not a live face */
	APPM_EXIT_NO_CAPTURE = 26,     /* face capture: no frame passed every quality check */
};
#define APPM_EXIT_LAST APPM_EXIT_NO_CAPTURE

/* Words for an exit code, one line. */
const char *appm_exit_text(enum appm_exit code);
/* Text for `appm --help`: one line per exit code. */
void appm_print_exit_codes(FILE *f);

int appm_passport_main(int argc, char **argv);
int appm_kiosk_main(int argc, char **argv);
int appm_diag_main(int argc, char **argv);
int appm_staff_main(int argc, char **argv);
int appm_face_main(int argc, char **argv);
