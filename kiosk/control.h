/*
 * control — the kiosk daemon's local control socket, through which
 * `appm diag` talks to it: a Unix stream socket (mode 0600, or 0660 for a
 * configured group), peer credentials checked at accept (root, the
 * daemon's own user, or a member of the group), one JSON object per line
 * each way. `appm staff` uses it too (an officer called to the kiosk). The server side runs on the GLib loop; the client side is
 * plain blocking calls for a command-line tool.
 *
 * Requests and answers (one line each; "watch" then streams event lines
 * until the client closes):
 *   {"request":"describe"}                     {"ok":true,"devices":[...]}
 *   {"request":"self-test","device":"NAME"}    {"ok":B,"device":..,"report":..,"error":..}
 *   {"request":"reset","device":"NAME"}        the same
 *   {"request":"watch"}                        {"ok":true} then {"event":..,"device":..,"text":..,"time":..}
 *   {"request":"session"}                      {"ok":true,"kiosk":{"session":B,"screen":..,"officer_called":B,..}}
 *   {"request":"staff","action":"resume"|"end"}  the same, after the officer's answer
 * A refusal is {"ok":false,"error":"words","code":"unknown-device" |
 * "busy" | "stopping" | "permission" | "bad-request" | "no-session"}.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <jansson.h>

typedef enum kctl_err {
	KCTL_OK = 0,
	KCTL_ERR_NOT_RUNNING,   /* no socket, or nobody listening on it */
	KCTL_ERR_PERMISSION,    /* the socket exists but we may not use it */
	KCTL_ERR_IN_USE,        /* another daemon answers on the socket */
	KCTL_ERR_IO,            /* the connection failed or broke */
	KCTL_ERR_PROTOCOL,      /* the other side said something that is not a JSON line */
	KCTL_ERR_NOMEM,
} kctl_err;

const char *kctl_strerror(kctl_err e);

/* ---- server (the daemon) ---- */

typedef struct kctl_server kctl_server;
typedef struct kctl_client kctl_client;

/* A request from a client: answer with kctl_send (now or later; take a
 * reference with kctl_client_ref to answer later). */
typedef void (*kctl_request_fn)(kctl_client *c, json_t *request, void *user);

/* Listen at path on ctx's loop. A socket file nobody answers on is
 * replaced; one a daemon answers on is KCTL_ERR_IN_USE. group: NULL or a
 * group name for mode 0660. message gets words on failure. The socket is
 * bound under umask 0177, which is process-wide: call this before the
 * process starts threads that create files (the daemon does so before
 * opening devices). Peer checks of group members look the user up (NSS)
 * on the loop. At most 32 clients at once. */
kctl_err kctl_server_new(const char *path, const char *group, GMainContext *ctx, kctl_request_fn on_request,
                         void *user, kctl_server **ret, char *message, size_t message_len);
/* Stop listening, drop every client, remove the socket file. NULL is fine. */
void kctl_server_free(kctl_server *s);
/* Send a JSON line to every client that asked to watch. */
void kctl_broadcast(kctl_server *s, const json_t *event);

/* Send one line to a client (dropped quietly when it has gone). */
void kctl_send(kctl_client *c, const json_t *msg);
/* A refusal: {"ok":false,"code":code,"error":words}. */
void kctl_refuse(kctl_client *c, const char *code, const char *words);
/* The client wants every broadcast from now on. */
void kctl_client_watch(kctl_client *c);
kctl_client *kctl_client_ref(kctl_client *c);
void kctl_client_unref(kctl_client *c);
/* The peer's user id, for the log. */
unsigned kctl_client_uid(const kctl_client *c);

/* ---- client (appm diag) ---- */

/* Connect to the daemon at path. */
kctl_err kctl_connect(const char *path, int *ret_fd, char *message, size_t message_len);
/* Send request, read one answer line (to json_decref); timeout_ms < 0
 * waits forever. */
kctl_err kctl_call(int fd, const json_t *request, int timeout_ms, json_t **ret_answer);
/* Read the next line (a watch's events); KCTL_ERR_IO when the daemon
 * closed the connection. */
kctl_err kctl_read(int fd, int timeout_ms, json_t **ret_msg);
