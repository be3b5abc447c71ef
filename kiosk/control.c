/*
 * control — the daemon's control socket and diag's side of it; see
 * control.h.
 *
 * Server: the listening socket and each client are file descriptors
 * watched by GLib sources on the daemon's loop (g_unix_fd_source_new);
 * sockets are non-blocking, a client's answers wait in its out buffer
 * when the socket is full, and a client that lets more than
 * KCTL_MAX_PENDING bytes pile up (a stuck `diag watch`) is dropped rather
 * than let the kiosk block. A client is reference-counted because an
 * answer may come after the peer has gone (a self-test outlives it).
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include "kiosk/control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#define KCTL_MAX_LINE (64 * 1024)
#define KCTL_MAX_PENDING (1024 * 1024)
#define KCTL_MAX_CLIENTS 32
#define KCTL_ACCEPT_PAUSE_MS 1000

const char *kctl_strerror(kctl_err e)
{
	switch (e) {
	case KCTL_OK: return "success";
	case KCTL_ERR_NOT_RUNNING: return "the kiosk daemon is not running";
	case KCTL_ERR_PERMISSION: return "no permission to use the kiosk's control socket";
	case KCTL_ERR_IN_USE: return "another kiosk daemon answers on the control socket";
	case KCTL_ERR_IO: return "the connection to the kiosk daemon failed";
	case KCTL_ERR_PROTOCOL: return "the kiosk daemon's answer is not understood";
	case KCTL_ERR_NOMEM: return "out of memory";
	}
	return "unknown control error";
}

struct kctl_client {
	int refs;
	kctl_server *server;    /* NULL once closed */
	int fd;
	uid_t uid;
	GSource *in_src, *out_src;
	GString *in, *out;
	bool watching;
};

struct kctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	GMainContext *ctx;
	int fd;
	dev_t dev;              /* the socket file we made, so that we remove */
	ino_t ino;              /* that one and no successor's */
	GSource *accept_src;
	GSource *pause_src;     /* accepting again after running out of descriptors */
	guint n_clients;
	bool has_group;
	gid_t gid;
	kctl_request_fn on_request;
	void *user;
	GList *clients;
};

static int make_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* ---- server: clients ---- */

kctl_client *kctl_client_ref(kctl_client *c)
{
	c->refs++;
	return c;
}

void kctl_client_unref(kctl_client *c)
{
	if (!c || --c->refs > 0)
		return;
	g_string_free(c->in, TRUE);
	g_string_free(c->out, TRUE);
	g_free(c);
}

unsigned kctl_client_uid(const kctl_client *c)
{
	return (unsigned)c->uid;
}

void kctl_client_watch(kctl_client *c)
{
	c->watching = true;
}

static void drop_src(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static void client_close(kctl_client *c)
{
	if (!c->server)
		return;
	drop_src(&c->in_src);
	drop_src(&c->out_src);
	close(c->fd);
	c->fd = -1;
	c->server->n_clients--;
	c->server->clients = g_list_remove(c->server->clients, c);
	c->server = NULL;
	kctl_client_unref(c); /* the server's reference */
}

static gboolean client_writable(gint fd, GIOCondition cond, gpointer data);

static void flush_out(kctl_client *c)
{
	while (c->server && c->out->len > 0) {
		ssize_t n = send(c->fd, c->out->str, c->out->len, MSG_NOSIGNAL);
		if (n > 0) {
			g_string_erase(c->out, 0, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->out_src) {
				c->out_src = g_unix_fd_source_new(c->fd, G_IO_OUT);
				g_source_set_callback(c->out_src, G_SOURCE_FUNC(client_writable), c, NULL);
				g_source_attach(c->out_src, c->server->ctx);
			}
			return;
		}
		client_close(c);
		return;
	}
	if (c->server)
		drop_src(&c->out_src);
}

static gboolean client_writable(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd;
	(void)cond;
	kctl_client *c = data;
	g_source_unref(c->out_src);
	c->out_src = NULL;
	flush_out(c);
	return G_SOURCE_REMOVE;
}

void kctl_send(kctl_client *c, const json_t *msg)
{
	if (!c->server)
		return;
	char *line = json_dumps(msg, JSON_COMPACT);
	if (!line)
		return;
	g_string_append(c->out, line);
	g_string_append_c(c->out, '\n');
	free(line);
	if (c->out->len > KCTL_MAX_PENDING) {
		client_close(c); /* it does not read what it asked for */
		return;
	}
	flush_out(c);
}

void kctl_refuse(kctl_client *c, const char *code, const char *words)
{
	json_t *m = json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", words);
	if (m)
		kctl_send(c, m);
	json_decref(m);
}

static gboolean client_readable(gint fd, GIOCondition cond, gpointer data)
{
	(void)cond;
	kctl_client *c = data;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		client_close(c); /* destroys this source too */
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(c->in, buf, n);
	kctl_client_ref(c);
	char *nl;
	while (c->server && (nl = memchr(c->in->str, '\n', c->in->len))) {
		size_t len = (size_t)(nl - c->in->str);
		json_error_t jerr;
		json_t *req = json_loadb(c->in->str, len, 0, &jerr);
		g_string_erase(c->in, 0, len + 1);
		if (!json_is_object(req))
			kctl_refuse(c, "bad-request", "a request is one JSON object on one line");
		else
			c->server->on_request(c, req, c->server->user);
		json_decref(req);
	}
	if (c->server && c->in->len > KCTL_MAX_LINE)
		client_close(c);
	gboolean keep = c->server != NULL;
	kctl_client_unref(c);
	return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Root, the daemon's own user, or a member of the configured group. */
static bool peer_allowed(const kctl_server *s, const struct ucred *cred)
{
	if (cred->uid == 0 || cred->uid == geteuid())
		return true;
	if (!s->has_group)
		return false;
	if (cred->gid == s->gid)
		return true;
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	if (getpwuid_r(cred->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp)
		return false;
	gid_t groups[256];
	int n = 256;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == s->gid)
			return true;
	return false;
}

static gboolean accept_ready(gint fd, GIOCondition cond, gpointer data);

static void listen_again(kctl_server *s)
{
	s->accept_src = g_unix_fd_source_new(s->fd, G_IO_IN);
	g_source_set_callback(s->accept_src, G_SOURCE_FUNC(accept_ready), s, NULL);
	g_source_attach(s->accept_src, s->ctx);
}

static gboolean resume_accepting(gpointer data)
{
	kctl_server *s = data;
	g_source_unref(s->pause_src);
	s->pause_src = NULL;
	listen_again(s);
	return G_SOURCE_REMOVE;
}

static gboolean accept_ready(gint fd, GIOCondition cond, gpointer data)
{
	(void)cond;
	kctl_server *s = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return G_SOURCE_CONTINUE;
		/* Out of descriptors (EMFILE, ...): the socket stays readable, so
		 * pause rather than spin the loop. */
		g_source_unref(s->accept_src);
		s->accept_src = NULL;
		s->pause_src = g_timeout_source_new(KCTL_ACCEPT_PAUSE_MS);
		g_source_set_callback(s->pause_src, resume_accepting, s, NULL);
		g_source_attach(s->pause_src, s->ctx);
		return G_SOURCE_REMOVE;
	}
	struct ucred cred;
	socklen_t len = sizeof(cred);
	kctl_client *c = g_new0(kctl_client, 1);
	c->refs = 1;
	c->server = s;
	c->fd = cfd;
	c->in = g_string_new(NULL);
	c->out = g_string_new(NULL);
	s->clients = g_list_prepend(s->clients, c);
	s->n_clients++;
	if (s->n_clients > KCTL_MAX_CLIENTS) {
		kctl_refuse(c, "busy", "too many connections to the kiosk daemon: try again in a moment");
		client_close(c);
		return G_SOURCE_CONTINUE;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || !peer_allowed(s, &cred)) {
		kctl_refuse(c, "permission", "this user may not use the kiosk's control socket");
		client_close(c);
		return G_SOURCE_CONTINUE;
	}
	c->uid = cred.uid;
	c->in_src = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(c->in_src, G_SOURCE_FUNC(client_readable), c, NULL);
	g_source_attach(c->in_src, s->ctx);
	return G_SOURCE_CONTINUE;
}

void kctl_broadcast(kctl_server *s, const json_t *event)
{
	for (GList *l = s->clients; l;) {
		kctl_client *c = l->data;
		l = l->next; /* c may close, and leave the list */
		if (c->watching)
			kctl_send(c, event);
	}
}

/* ---- server: the socket ---- */

/* Whether a daemon answers at path; a stale socket file is removed. */
static kctl_err claim_path(const char *path, const struct sockaddr_un *sa, char *message, size_t message_len)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return KCTL_OK;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(message, message_len, "%s exists and is not a socket: remove it or choose another path", path);
		return KCTL_ERR_IO;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return KCTL_ERR_IO;
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int err = errno;
	close(fd);
	if (r == 0) {
		snprintf(message, message_len, "another kiosk daemon is running: it answers on %s", path);
		return KCTL_ERR_IN_USE;
	}
	if (err == ECONNREFUSED && unlink(path) == 0)
		return KCTL_OK;
	snprintf(message, message_len, "%s: %s", path, strerror(err));
	return KCTL_ERR_IO;
}

kctl_err kctl_server_new(const char *path, const char *group, GMainContext *ctx, kctl_request_fn on_request,
                         void *user, kctl_server **ret, char *message, size_t message_len)
{
	struct sockaddr_un sa;
	if (make_address(path, &sa) != 0) {
		snprintf(message, message_len, "%s: the socket path is too long", path);
		return KCTL_ERR_IO;
	}
	gid_t gid = 0;
	if (group && group[0]) {
		struct group gr, *grp = NULL;
		char grbuf[4096];
		if (getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &grp) != 0 || !grp) {
			snprintf(message, message_len, "socket_group %s: no such group", group);
			return KCTL_ERR_IO;
		}
		gid = gr.gr_gid;
	}
	kctl_err e = claim_path(path, &sa, message, message_len);
	if (e != KCTL_OK)
		return e;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(message, message_len, "socket: %s", strerror(errno));
		return KCTL_ERR_IO;
	}
	/* Born 0600: nobody else can connect between bind and chmod. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int err = errno;
	umask(old);
	if (r == 0 && group && group[0] && (chown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0))
		r = -1, err = errno;
	if (r == 0 && listen(fd, 16) != 0)
		r = -1, err = errno;
	struct stat st;
	if (r == 0 && stat(path, &st) != 0)
		r = -1, err = errno;
	if (r != 0) {
		snprintf(message, message_len, "%s: %s", path, strerror(err));
		close(fd);
		/* EADDRINUSE: another daemon bound it since claim_path looked. */
		return err == EADDRINUSE ? KCTL_ERR_IN_USE : KCTL_ERR_IO;
	}
	kctl_server *s = g_new0(kctl_server, 1);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->ctx = ctx ? ctx : g_main_context_default();
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->has_group = group && group[0];
	s->gid = gid;
	s->on_request = on_request;
	s->user = user;
	listen_again(s);
	*ret = s;
	return KCTL_OK;
}

void kctl_server_free(kctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients->data);
	drop_src(&s->accept_src);
	drop_src(&s->pause_src);
	close(s->fd);
	struct stat st; /* ours still, not a successor's */
	if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	g_free(s);
}

/* ---- client ---- */

kctl_err kctl_connect(const char *path, int *ret_fd, char *message, size_t message_len)
{
	struct sockaddr_un sa;
	if (make_address(path, &sa) != 0) {
		snprintf(message, message_len, "%s: the socket path is too long", path);
		return KCTL_ERR_IO;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(message, message_len, "socket: %s", strerror(errno));
		return KCTL_ERR_IO;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;
		close(fd);
		snprintf(message, message_len, "%s: %s", path, strerror(err));
		if (err == ENOENT || err == ECONNREFUSED)
			return KCTL_ERR_NOT_RUNNING;
		if (err == EACCES || err == EPERM)
			return KCTL_ERR_PERMISSION;
		return KCTL_ERR_IO;
	}
	*ret_fd = fd;
	return KCTL_OK;
}

kctl_err kctl_read(int fd, int timeout_ms, json_t **ret_msg)
{
	GString *line = g_string_new(NULL);
	kctl_err e = KCTL_OK;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = KCTL_ERR_IO;
			break;
		}
		char ch;
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = KCTL_ERR_IO;
			break;
		}
		if (ch == '\n')
			break;
		g_string_append_c(line, ch);
		if (line->len > KCTL_MAX_PENDING) {
			e = KCTL_ERR_PROTOCOL;
			break;
		}
	}
	if (e == KCTL_OK) {
		json_t *m = json_loadb(line->str, line->len, 0, NULL);
		if (json_is_object(m))
			*ret_msg = m;
		else {
			json_decref(m);
			e = KCTL_ERR_PROTOCOL;
		}
	}
	g_string_free(line, TRUE);
	return e;
}

kctl_err kctl_call(int fd, const json_t *request, int timeout_ms, json_t **ret_answer)
{
	char *text = json_dumps(request, JSON_COMPACT);
	if (!text)
		return KCTL_ERR_NOMEM;
	GString *line = g_string_new(text);
	g_string_append_c(line, '\n');
	free(text);
	size_t off = 0;
	while (off < line->len) {
		ssize_t n = send(fd, line->str + off, line->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_string_free(line, TRUE);
			return KCTL_ERR_IO;
		}
		off += (size_t)n;
	}
	g_string_free(line, TRUE);
	return kctl_read(fd, timeout_ms, ret_answer);
}
