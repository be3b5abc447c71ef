/*
 * config — the kiosk's configuration file (INI, read with inih): where the
 * store and the control socket live, and every device by name, class and
 * connection string. Read by `appm kiosk` and by `appm diag` when it opens
 * the devices itself. A wrong or missing setting is an error that names
 * the file, the line and the key.
 *
 *   [kiosk]
 *   store = /var/lib/appm/kiosk.db      ; required
 *   socket = /run/appm/control.sock     ; required
 *   socket_group = appm-engineers       ; optional: mode 0660 for that group
 *   trust = /etc/appm/csca              ; the CSCAs passports are verified against
 *
 *   [ui]                                ; optional: the applicant's page
 *   listen = 127.0.0.1:8080             ; where the kiosk browser finds it
 *   docroot = /usr/share/appm/ui        ; optional: the page's files
 *
 *   [backend]                           ; optional: the government backend
 *   url = https://backend.example:8443
 *   ca = /etc/appm/backend-ca.pem
 *
 *   [journey]                           ; optional: the applicant's timers
 *   inactivity = 60                     ; seconds without input before "are you still there?"
 *   inactivity.wait-review = 180        ; the same for one screen (a state name of kiosk/flow)
 *   answer = 30                         ; seconds to answer it, at least 20 (WCAG 2.2.1)
 *   retry = 15                          ; seconds between tries of a backend that is down
 *
 *   [tariff]                            ; optional: rupiah; the default is PP 45/2024
 *   ordinary_5 = 350000                 ; ordinary passport, 5 years (also ordinary_10,
 *                                       ; electronic_5, electronic_10)
 *
 *   [face]                              ; optional: the camera step (with a camera device)
 *   models = /usr/share/appm/models     ; the face models' folder
 *   challenge = random                  ; turn-left, turn-right, blink: one only (tests)
 *   delay_ms = 1000                     ; a fixed pause before it (tests); default random
 *
 *   [device reader]                     ; one section per device, named
 *   class = passport                    ; a class of kiosk/devices.c
 *   connection = pcsc:ACS ACR1252       ; the class's connection string
 *
 *   [device camera]
 *   class = camera
 *   connection = v4l2:/dev/video0:1280x720@30   ; or file:frames/%03d.png@10
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "kiosk/flow/flow.h"

#define KCFG_MAX_DEVICES 16

typedef enum kcfg_err {
	KCFG_OK = 0,
	KCFG_ERR_IO,        /* the file cannot be read */
	KCFG_ERR_SYNTAX,    /* a line that is not [section], key = value or a comment */
	KCFG_ERR_UNKNOWN,   /* a section or key this program does not know */
	KCFG_ERR_VALUE,     /* a value that is empty, too long or not allowed */
	KCFG_ERR_MISSING,   /* a required setting is absent */
	KCFG_ERR_NOMEM,
} kcfg_err;

const char *kcfg_strerror(kcfg_err e);

typedef struct kcfg_device {
	char name[32];
	char class_name[32];
	char connection[256];
	int line;           /* where its first key is, for later messages */
} kcfg_device;

typedef struct kcfg {
	char path[512];     /* the file read */
	char store[512];
	char socket[512];
	char socket_group[64];
	char trust[512];        /* [kiosk] trust: CSCA file, directory or master list; "" when none */
	char ui_listen[64];     /* [ui] listen = ADDRESS:PORT; "" when the kiosk shows no page */
	char ui_docroot[512];   /* [ui] docroot; "" for the page built in */
	char ui_speech_data[512]; /* [ui] speech_data: espeak-ng's data folder; "" for espeak-ng's own */
	char backend_url[256];  /* [backend] url = https://HOST:PORT; "" when none */
	char backend_ca[512];   /* [backend] ca: the PEM CA(s) the backend's certificate must chain to */
	flow_config flow;       /* [journey]: timers (devices fitted are the daemon's to say) */
	flow_tariff tariff;     /* [tariff] */
	char face_models[512];  /* [face] models; "" for the built-in place */
	char face_challenge[16];/* [face] challenge: "random" (default), "turn-left", "turn-right", "blink" */
	long face_delay_ms;     /* [face] delay_ms; -1 (default): random */
	kcfg_device devices[KCFG_MAX_DEVICES];
	size_t n_devices;
} kcfg;

/* Read path into *ret; a device's class must be one of classes
 * (NULL-terminated). On failure, message gets "FILE:LINE: key KEY: words"
 * (or "FILE: words" when no line is at fault) and *ret is untouched. */
kcfg_err kcfg_load(const char *path, const char *const *classes, kcfg *ret, char *message, size_t message_len);

/* The same from an open file; path only names it in messages. */
kcfg_err kcfg_parse(FILE *f, const char *path, const char *const *classes, kcfg *ret, char *message,
                    size_t message_len);

/* The device named name, or NULL. */
const kcfg_device *kcfg_device_find(const kcfg *c, const char *name);
