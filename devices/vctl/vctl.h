/*
 * vctl — the scripting side shared by the simulated readers, appm-vpass
 * (devices/vpassd) and appm-pn532 (devices/pn532). Both hold a virtual
 * passport (devices/vpass) and take text commands, one per line, on a unix
 * control socket; this module gives them the parts that are the same: the
 * chip's fault options as text (set OPTION VALUE and the matching command
 * line options), the document a reader holds, the commands themselves
 * (place [DIR], remove, set OPTION VALUE, status, quit: parsed, checked
 * and answered here by vctl_reader_command), the control server that
 * accepts up to VCTL_MAX_CLIENTS clients and answers each line through a
 * handler, and the `PROGRAM ctl SOCKET COMMAND...` client. What a command
 * does to the reader — connect or disconnect vpcd, put the card in a
 * PN532's field, answer a command a frozen chip held — stays in each
 * program, as a constant table of hooks (vctl_reader_ops).
 */
#ifndef APPM_DEVICES_VCTL_H
#define APPM_DEVICES_VCTL_H

#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "devices/vpass/vpass.h"

#define VCTL_MAX_CLIENTS 8
/* The pollfd entries vctl_server_pollfds() fills: the listener, then the clients. */
#define VCTL_POLL_FDS (1 + VCTL_MAX_CLIENTS)

/* ---- errors ---- */

/* Why a fault option was refused; every one is the user's to fix. */
typedef enum vctl_error {
	VCTL_OK = 0,
	VCTL_MISSING_VALUE,
	VCTL_EXPECTED_ON_OFF,
	VCTL_EXPECTED_BYTES,
	VCTL_EXPECTED_APDUS,
	VCTL_EXPECTED_READS,
	VCTL_UNKNOWN_OPTION,
	VCTL_EXPECTED_STATUS,      /* refuse-bac: an error status in hex, 6XXX but
	                            * not 61XX or 6CXX (6A88, 6982), or off */
	VCTL_EXPECTED_VARIANT,     /* card-access: any, mf, le or sfi */
	VCTL_EXPECTED_BIT_RATE,    /* link-rate: 106, 212, 424 or 848 */
	VCTL_EXPECTED_FRAME_SIZE,  /* link-frame: 16..4096 bytes */
	VCTL_EXPECTED_MICROSECONDS,
	VCTL_EXPECTED_CAM_ATTACK,  /* cam-attack: off, infinity or empty-ca */
	VCTL_EXPECTED_CARD_TYPE,   /* appm-pn532's type: a or b */
	VCTL_EXPECTED_FILE_LIST,   /* sfi-only: all, or com,sod,card-access,dg1..dg16 */
	VCTL_EXPECTED_TA1,         /* appm-pn532's ats-ta: a byte, 0x00..0xFF */
	VCTL_EXPECTED_FSCI,        /* appm-pn532's fsc: an FSCI, 0..8 */
	VCTL_EXPECTED_WTX_COUNT,   /* appm-pn532's wtx: S(WTX) requests, 0..1000 */
	VCTL_EXPECTED_CHAIN,       /* appm-pn532's chain: 0 (off) or 1..253 bytes */
} vctl_error;

/* The words answered after "error OPTION: " and printed for a bad command
 * line option. */
const char *vctl_strerror(vctl_error e);

/* ---- what differs between the programs ---- */

typedef struct vctl_program {
	const char *name;                 /* "appm-vpass": begins the client's messages */
	const char *peer;                 /* "the virtual passport": what the client reaches */
	unsigned long max_response_limit; /* largest "max-response" accepted */
	unsigned long remove_after_limit; /* largest "remove-after" accepted */
} vctl_program;

/* ---- fault options ---- */

/* Apply "set NAME VALUE" to *o, which stays untouched on failure:
 *   short-only on|off        refuse extended-length APDUs
 *   max-response N           at most N file bytes per READ BINARY
 *   remove-after N           leave the field after N more APDUs
 *   freeze-after N|off       answer N more APDUs, then none at all, staying
 *                            in the field (a hung chip)
 *   fail-reads N             the next N reads answer 6F00
 *   corrupt-mac on|off       protected answers carry a wrong MAC
 *   aa-wrong-key on|off      active authentication with a cloned chip's key
 *   ca-wrong-key on|off      chip authentication / PACE-CAM likewise
 *   cam-attack off|infinity|empty-ca  PACE-CAM answers a forger would send
 *   refuse-bac SW|off        PACE only: BAC answers SW (6A88 or 6982)
 *   card-access any|mf|le|sfi  how EF.CardAccess can be reached
 *   timeout-above N|off      a READ BINARY asking for more than N bytes
 *                            loses its answer
 *   drop-sm SW|off           end secure messaging: answer SW in the clear to
 *   drop-sm-at N             the N-th protected command since power-up
 *   plain-errors on|off      failing protected commands answered in the clear
 *   plain-after-drop on|off  LDS files readable in the clear after a session
 *   sfi-refuse SW|off        READ BINARY by short file identifier answers SW
 *                            (6A81, 6D00, 6986, ...): every file, or those
 *                            outside sfi-only
 *   sfi-only FILES|all       only these files by short identifier (com, sod,
 *                            card-access, dg1..dg16, comma-separated); the
 *                            others answer sfi-refuse's status, or 6A82
 *   link-model on|off        the radio-link timing model (devices/vpass/link.h;
 *                            its defaults until the options below change them)
 *   link-rate 106|212|424|848, link-frame BYTES, link-frame-overhead US,
 *   chip-latency US          the model's parameters (microseconds)
 * A NULL value is VCTL_MISSING_VALUE whatever the name; a name not among
 * these is VCTL_UNKNOWN_OPTION, for the program to try its own. */
vctl_error vctl_set_option(const vctl_program *p, vpass_options *o, const char *name, const char *value);

/* The same options on a command line: getopt_long entries named as for
 * "set" (--short-only and the other on/off ones without a value, meaning
 * on), each returning VCTL_GETOPT. Pass the entry getopt_long reports and
 * optarg to vctl_set_cmdline_option. */
#define VCTL_GETOPT 0x100
#define VCTL_LONGOPTS                                                          \
	{ "short-only", no_argument, NULL, VCTL_GETOPT },                      \
	{ "max-response", required_argument, NULL, VCTL_GETOPT },              \
	{ "remove-after", required_argument, NULL, VCTL_GETOPT },              \
	{ "freeze-after", required_argument, NULL, VCTL_GETOPT },              \
	{ "fail-reads", required_argument, NULL, VCTL_GETOPT },                \
	{ "corrupt-mac", no_argument, NULL, VCTL_GETOPT },                     \
	{ "aa-wrong-key", no_argument, NULL, VCTL_GETOPT },                    \
	{ "ca-wrong-key", no_argument, NULL, VCTL_GETOPT },                    \
	{ "cam-attack", required_argument, NULL, VCTL_GETOPT },                \
	{ "refuse-bac", required_argument, NULL, VCTL_GETOPT },                \
	{ "card-access", required_argument, NULL, VCTL_GETOPT },               \
	{ "timeout-above", required_argument, NULL, VCTL_GETOPT },             \
	{ "drop-sm", required_argument, NULL, VCTL_GETOPT },                   \
	{ "drop-sm-at", required_argument, NULL, VCTL_GETOPT },                \
	{ "plain-errors", no_argument, NULL, VCTL_GETOPT },                    \
	{ "plain-after-drop", no_argument, NULL, VCTL_GETOPT },                \
	{ "sfi-refuse", required_argument, NULL, VCTL_GETOPT },                \
	{ "sfi-only", required_argument, NULL, VCTL_GETOPT },                  \
	{ "link-model", no_argument, NULL, VCTL_GETOPT },                      \
	{ "link-rate", required_argument, NULL, VCTL_GETOPT },                 \
	{ "link-frame", required_argument, NULL, VCTL_GETOPT },                \
	{ "link-frame-overhead", required_argument, NULL, VCTL_GETOPT },       \
	{ "chip-latency", required_argument, NULL, VCTL_GETOPT }

vctl_error vctl_set_cmdline_option(const vctl_program *p, vpass_options *o, const struct option *opt,
                                   const char *arg);

/* The lines of a usage text describing VCTL_LONGOPTS. */
void vctl_options_usage(FILE *f);

/* ---- the document held ---- */

typedef struct vctl_document {
	char dir[4096];  /* where it was loaded from */
	vpass_doc *doc;  /* NULL until one is loaded */
} vctl_document;

/* Load the document in dir in place of the one held, which is kept when
 * loading fails (err then says why). */
bool vctl_document_load(vctl_document *d, const char *dir, char *err, size_t errlen);
void vctl_document_free(vctl_document *d);

/* ---- the control server ---- */

typedef struct vctl_server {
	int listen_fd;                  /* -1 when there is no control socket */
	int clients[VCTL_MAX_CLIENTS];  /* -1 for a free slot */
	char path[108];
} vctl_server;

/* Answer one command line (NUL-terminated, may be changed) in reply. */
typedef void vctl_handler(void *ctx, char *line, char *reply, size_t cap);

/* No socket, no clients. */
void vctl_server_init(vctl_server *s);
/* Listen on a unix socket at path, replacing a stale one; false with errno
 * set on failure. */
bool vctl_server_open(vctl_server *s, const char *path);
/* Close the clients and the socket, and remove its path. */
void vctl_server_close(vctl_server *s);
/* Fill VCTL_POLL_FDS entries for poll(); unused ones hold fd -1. */
void vctl_server_pollfds(const vctl_server *s, struct pollfd *pfd);
/* After poll(): answer the clients that sent a line, drop those that left,
 * then accept a new one (closed at once when all slots are taken). */
void vctl_server_serve(vctl_server *s, const struct pollfd *pfd, vctl_handler *handler, void *ctx);

/* ---- the commands ---- */

/* What a simulated reader holds, as its commands see it. Embedded in the
 * program's state; vctl_reader_command changes document, options and quit,
 * the hooks the card. */
typedef struct vctl_reader {
	const vctl_program *program;
	const struct vctl_reader_ops *ops;
	void *ctx;               /* the program's state, handed to every hook */
	vctl_document document;
	vpass_options options;   /* the chip's; "set" changes them */
	vpass_card *card;        /* the current chip, NULL until one is made */
	bool quit;               /* "quit" was asked: the program's loop ends */
} vctl_reader;

/* What the commands do to a reader, one table per program, filled by field
 * name. place, remove and status are needed (a missing one answers "error
 * VERB is not supported by PROGRAM"); the others may be NULL. */
typedef struct vctl_reader_ops {
	/* "place": the document is loaded; put a fresh chip of it in the field
	 * (vctl_reader_make_card) in place of the one there, as the program
	 * does (swapping the document, ending a wait). False: the chip could
	 * not be made. */
	bool (*place)(void *ctx);
	/* "remove": take the chip out of the field. */
	void (*remove)(void *ctx);
	/* "set" changed the options, and vctl gave them to the chip: a frozen
	 * chip that is no longer frozen answers the command it held, late. */
	void (*options_changed)(void *ctx);
	/* "status": the program's own fields, "key=value" separated by single
	 * spaces, written to out (cap bytes, NUL-terminated). They open the
	 * line, before the chip's counters (sm_drops, plain_after_access). */
	void (*status)(void *ctx, char *out, size_t cap);
	/* Fields that follow the chip's counters, before document= (pn532's
	 * serial line, which has always ended its status there). */
	void (*status_after_chip)(void *ctx, char *out, size_t cap);
	/* "set NAME VALUE" (value not NULL) for the program's own names, tried
	 * before vctl_set_option's: VCTL_UNKNOWN_OPTION for a name not its
	 * own, the option left untouched on any error. */
	vctl_error (*set_option)(void *ctx, const char *name, const char *value);
} vctl_reader_ops;

/* No document, default options, no chip. */
void vctl_reader_init(vctl_reader *r, const vctl_program *p, const vctl_reader_ops *ops, void *ctx);
/* Free the chip and the document (the program first lets go of the chip). */
void vctl_reader_free(vctl_reader *r);
/* Replace r->card by a fresh chip of the loaded document with r->options;
 * false (r->card NULL) when it cannot be made. For the place hook and a
 * program's start. */
bool vctl_reader_make_card(vctl_reader *r);

/* Answer one command line (a vctl_handler: ctx is the vctl_reader), with
 * the words the simulators have always used:
 *   place [DIR]       "ok placed DIR" | "error cannot load DIR: WHY" |
 *                     "error no document loaded; use: place DIR" |
 *                     "error cannot make the chip"
 *   remove            "ok removed"
 *   set OPTION VALUE  "ok OPTION VALUE" | "error OPTION: WHY"
 *   status            "ok FIELDS sm_drops=N plain_after_access=N
 *                     [FIELDS] document=DIR|none"
 *   quit              "ok bye"
 *   anything else     "error empty command" |
 *                     "error unknown command VERB (place, remove, set, status, quit)"
 * Every answer is one line. A place whose document does not load changes
 * nothing: the reader keeps its document and its chip. */
void vctl_reader_command(void *ctx, char *line, char *reply, size_t cap);

/* ---- the client ---- */

/* `PROGRAM ctl SOCKET COMMAND [ARGS...]`, argv starting at SOCKET: send the
 * command, print the answer. Exit status 0 for "ok ...", 1 for an error
 * answer, 2 when the command could not be sent or got no answer. */
int vctl_client_main(const vctl_program *p, int argc, char **argv);

#endif
