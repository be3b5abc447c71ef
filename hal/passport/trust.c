/*
 * trust — loading the CSCA trust store from paths: a directory of CSCA
 * files and master lists, a single certificate or master list, a CRL file.
 * Files are read whole and handed as bytes to crypto/pa-trust, which says
 * what they hold; this file decides what may be read and what a directory
 * skips. See trust.h.
 */
#include "hal/passport/trust.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRUST_FILE (64u * 1024u * 1024u)

/* A path in a message: its first PATH_SHOWN bytes, ending on a whole UTF-8
 * character, and "…" when it goes on. Paths are the user's input; a message
 * names one, it need not repeat all of a long one. */
#define PATH_SHOWN 64

typedef struct shown_path {
	char text[PATH_SHOWN + sizeof "\u2026"];
} shown_path;

static shown_path shown(const char *path)
{
	shown_path s;
	size_t n = strlen(path);
	if (n <= PATH_SHOWN) {
		memcpy(s.text, path, n + 1);
		return s;
	}
	n = PATH_SHOWN;
	while (n > 0 && ((unsigned char)path[n] & 0xC0) == 0x80)
		n--;
	memcpy(s.text, path, n);
	memcpy(s.text + n, "\u2026", sizeof "\u2026");
	return s;
}

static crypto_err fail(char *err, size_t errlen, crypto_err code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static crypto_err fail(char *err, size_t errlen, crypto_err code, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* What a path that is not a regular file is, for the message. */
static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

/*
 * The whole of a regular file. Anything else is refused: reading a FIFO
 * waits for a writer for ever, and a device may never end. The type is
 * checked before opening (opening a device can do things), and again on
 * what was opened, in case the path changed in between; O_NONBLOCK keeps
 * that open from waiting on a FIFO.
 */
static crypto_err read_file(const char *path, uint8_t **ret, size_t *ret_len, char *err, size_t errlen)
{
	shown_path sp = shown(path);
	const char *p = sp.text;
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "cannot open %s: %s", p, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "%s is %s, not a regular file", p,
		            kind_of(st.st_mode));
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "cannot open %s: %s", p, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "%s is not a regular file", p);
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory reading %s", p);
	}
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	crypto_err e = CRYPTO_OK;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_TRUST_FILE) {
				e = fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "%s is too large", p);
				break;
			}
			size_t ncap = cap ? cap * 2 : 16384;
			uint8_t *grown = realloc(data, ncap);
			if (!grown) {
				e = fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory reading %s", p);
				break;
			}
			data = grown;
			cap = ncap;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (!e && ferror(f))
		e = fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "cannot read %s", p);
	fclose(f);
	if (e) {
		free(data);
		return e;
	}
	*ret = data;
	*ret_len = len;
	return CRYPTO_OK;
}

/* One regular file's CSCAs, added to the store: crypto/pa-trust's answer,
 * CRYPTO_ERR_FORMAT when the file holds no CSCA. */
static crypto_err add_file(pa_trust *t, const char *path, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	crypto_err e = read_file(path, &data, &len, err, errlen);
	if (e)
		return e;
	e = pa_trust_add(t, data, len, shown(path).text, time(NULL), err, errlen);
	free(data);
	return e;
}

/* Every regular file of a directory whose name does not start with a dot:
 * files that hold no CSCA are skipped, and so are FIFOs and devices, which
 * are never opened. Any other failure fails the whole directory. */
static crypto_err add_dir(pa_trust *t, const char *path, char *err, size_t errlen)
{
	DIR *dir = opendir(path);
	if (!dir)
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "cannot read directory %s", shown(path).text);
	crypto_err e = CRYPTO_OK;
	size_t found = 0;
	struct dirent *de;
	while (!e && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char file[4096];
		struct stat st;
		if (snprintf(file, sizeof file, "%s/%s", path, de->d_name) >= (int)sizeof file ||
		    stat(file, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		e = add_file(t, file, err, errlen);
		if (e == CRYPTO_OK)
			found++;
		else if (e == CRYPTO_ERR_FORMAT)
			e = CRYPTO_OK;
	}
	closedir(dir);
	if (e)
		return e;
	if (found == 0)
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "no CSCA certificate or master list found in %s",
		            shown(path).text);
	return CRYPTO_OK;
}

crypto_err pp_trust_add(pa_trust *t, const char *path, char *err, size_t errlen)
{
	if (!t || !path)
		return fail(err, errlen, CRYPTO_ERR_ARG, "no trust store path given");
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE, "%s does not exist", shown(path).text);
	if (S_ISDIR(st.st_mode))
		return add_dir(t, path, err, errlen);
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, CRYPTO_ERR_TRUST_STORE,
		            "%s is %s: give a certificate or master list file, or a directory of them",
		            shown(path).text, kind_of(st.st_mode));
	crypto_err e = add_file(t, path, err, errlen);
	/* A file given by name must hold a CSCA: what a directory skips is
	 * an error here, in the store's words. */
	return e == CRYPTO_ERR_FORMAT ? CRYPTO_ERR_TRUST_STORE : e;
}

crypto_err pp_trust_load(const char *path, pa_trust **ret, char *err, size_t errlen)
{
	if (!ret)
		return fail(err, errlen, CRYPTO_ERR_ARG, "no place for the trust store");
	pa_trust *t = NULL;
	if (pa_trust_new(&t) != CRYPTO_OK)
		return fail(err, errlen, CRYPTO_ERR_NOMEM, "out of memory");
	crypto_err e = pp_trust_add(t, path, err, errlen);
	if (e) {
		pa_trust_free(t);
		return e;
	}
	*ret = t;
	return CRYPTO_OK;
}

crypto_err pp_trust_add_crl(pa_trust *t, const char *path, char *err, size_t errlen)
{
	if (!t || !path)
		return fail(err, errlen, CRYPTO_ERR_ARG, "no CRL path given");
	uint8_t *data = NULL;
	size_t len = 0;
	crypto_err e = read_file(path, &data, &len, err, errlen);
	if (e)
		return e;
	e = pa_trust_add_crl(t, data, len, shown(path).text, err, errlen);
	free(data);
	return e == CRYPTO_ERR_FORMAT ? CRYPTO_ERR_TRUST_STORE : e;
}
