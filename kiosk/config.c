/*
 * config — reading the kiosk's INI file with inih; see config.h.
 *
 * inih hands each key to a callback but not the line it came from, so the
 * file is fed through a reader that counts lines: the callback then knows
 * which line it is judging, and the first fault found wins.
 */
#include "kiosk/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <ini.h>

const char *kcfg_strerror(kcfg_err e)
{
	switch (e) {
	case KCFG_OK: return "success";
	case KCFG_ERR_IO: return "the configuration file cannot be read";
	case KCFG_ERR_SYNTAX: return "a line is not a [section], key = value or comment";
	case KCFG_ERR_UNKNOWN: return "unknown section or key";
	case KCFG_ERR_VALUE: return "a setting has a value that is not allowed";
	case KCFG_ERR_MISSING: return "a required setting is missing";
	case KCFG_ERR_NOMEM: return "out of memory";
	}
	return "unknown configuration error";
}

typedef struct parse {
	FILE *f;
	int line;              /* the line inih is on */
	const char *const *classes;
	kcfg cfg;
	kcfg_err err;          /* the first fault */
	int err_line;
	char err_text[300];
} parse;

__attribute__((format(printf, 3, 4))) static int fault(parse *p, kcfg_err e, const char *fmt, ...);

/* inih's reader: fgets, counting lines. A line longer than inih's buffer
 * (size) would reach it in pieces, each parsed as a line of its own: the
 * rest is skipped and the line is a fault, so lines and values stay
 * whole. */
static char *read_line(char *buf, int size, void *stream)
{
	parse *p = stream;
	char *s = fgets(buf, size, p->f);
	if (!s)
		return NULL;
	p->line++;
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] != '\n') {
		int c = fgetc(p->f);
		if (c != EOF && c != '\n') { /* more of this line: too long */
			while ((c = fgetc(p->f)) != EOF && c != '\n')
				;
			fault(p, KCFG_ERR_SYNTAX, "line longer than %d characters", size - 2);
		}
	}
	return s;
}

static int fault(parse *p, kcfg_err e, const char *fmt, ...)
{
	if (p->err != KCFG_OK)
		return 0;
	p->err = e;
	p->err_line = p->line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err_text, sizeof(p->err_text), fmt, ap);
	va_end(ap);
	return 0;
}

static int set_text(parse *p, const char *key, const char *value, char *dst, size_t cap)
{
	if (!value[0])
		return fault(p, KCFG_ERR_VALUE, "key %s: empty value", key);
	if (!g_utf8_validate(value, -1, NULL))
		return fault(p, KCFG_ERR_VALUE, "key %s: not UTF-8 text", key);
	if (strlen(value) >= cap)
		return fault(p, KCFG_ERR_VALUE, "key %s: value longer than %zu characters", key, cap - 1);
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

static bool name_ok(const char *name)
{
	if (!name[0])
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	return true;
}

/* The device a "[device NAME]" section is about, added at its first key. */
static kcfg_device *section_device(parse *p, const char *name)
{
	for (size_t i = 0; i < p->cfg.n_devices; i++)
		if (strcmp(p->cfg.devices[i].name, name) == 0)
			return &p->cfg.devices[i];
	if (p->cfg.n_devices == KCFG_MAX_DEVICES) {
		fault(p, KCFG_ERR_VALUE, "section [device %s]: more than %d devices", name, KCFG_MAX_DEVICES);
		return NULL;
	}
	if (!name_ok(name) || strlen(name) >= sizeof(p->cfg.devices[0].name)) {
		fault(p, KCFG_ERR_VALUE,
		      "section [device %s]: a device name is 1 to 31 of a-z, 0-9, '-' and '_'", name);
		return NULL;
	}
	kcfg_device *d = &p->cfg.devices[p->cfg.n_devices++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->line = p->line;
	return d;
}

static int device_key(parse *p, const char *name, const char *key, const char *value)
{
	kcfg_device *d = section_device(p, name);
	if (!d)
		return 0;
	if (strcmp(key, "class") == 0) {
		for (size_t i = 0; p->classes[i]; i++)
			if (strcmp(p->classes[i], value) == 0)
				return set_text(p, key, value, d->class_name, sizeof(d->class_name));
		char known[160] = "";
		for (size_t i = 0; p->classes[i]; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
			         p->classes[i]);
		return fault(p, KCFG_ERR_VALUE, "key class: '%s' is not a device class (known: %s)", value, known);
	}
	if (strcmp(key, "connection") == 0)
		return set_text(p, key, value, d->connection, sizeof(d->connection));
	return fault(p, KCFG_ERR_UNKNOWN, "key %s: not a device setting (class, connection)", key);
}

/* A whole number of seconds or rupiah in [min, max]. */
static int set_number(parse *p, const char *key, const char *value, unsigned long min, unsigned long max,
                      unsigned long *ret)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end || errno || n < min || n > max)
		return fault(p, KCFG_ERR_VALUE, "key %s: '%s' is not a whole number from %lu to %lu", key, value, min,
		             max);
	*ret = n;
	return 1;
}

/* [journey]: the screens' inactivity, the answer and retry times. */
static int journey_key(parse *p, const char *key, const char *value)
{
	unsigned long n = 0;
	flow_config *c = &p->cfg.flow;
	if (strcmp(key, "answer") == 0) {
		if (!set_number(p, key, value, 20, 3600, &n))
			return 0; /* at least 20 s to answer: WCAG 2.2.1 */
		c->answer_s = (unsigned)n;
		return 1;
	}
	if (strcmp(key, "retry") == 0) {
		if (!set_number(p, key, value, 1, 3600, &n))
			return 0;
		c->retry_s = (unsigned)n;
		return 1;
	}
	if (strcmp(key, "inactivity") == 0) {
		if (!set_number(p, key, value, 5, 3600, &n))
			return 0;
		for (int s = 0; s < FLOW_N_STATES; s++)
			c->inactivity_s[s] = (unsigned)n;
		return 1;
	}
	if (strncmp(key, "inactivity.", 11) == 0) {
		flow_state s;
		flow f;
		flow_init(&f, NULL, NULL, NULL);
		if (flow_state_from_name(key + 11, &s) != FLOW_OK || flow_timeout_s(&f, s) == 0)
			return fault(p, KCFG_ERR_UNKNOWN,
			             "key %s: '%s' is not a screen that waits on the applicant (wait-language, "
			             "wait-consent, wait-document, wait-access-key, wait-review, wait-fee, ...)",
			             key, key + 11);
		if (!set_number(p, key, value, 5, 3600, &n))
			return 0;
		c->inactivity_s[s] = (unsigned)n;
		return 1;
	}
	return fault(p, KCFG_ERR_UNKNOWN,
	             "key %s: not a [journey] setting (inactivity, inactivity.SCREEN, answer, retry)", key);
}

/* [face]: the camera step's models and its challenge. */
static int face_key(parse *p, const char *key, const char *value)
{
	if (strcmp(key, "models") == 0)
		return set_text(p, key, value, p->cfg.face_models, sizeof(p->cfg.face_models));
	if (strcmp(key, "challenge") == 0) {
		static const char *const ok[] = { "random", "turn-left", "turn-right", "blink" };
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strcmp(value, ok[i]) == 0)
				return set_text(p, key, value, p->cfg.face_challenge, sizeof(p->cfg.face_challenge));
		return fault(p, KCFG_ERR_VALUE, "key %s: '%s' is none of random, turn-left, turn-right, blink", key,
		             value);
	}
	if (strcmp(key, "delay_ms") == 0) {
		unsigned long n = 0;
		if (!set_number(p, key, value, 0, 60000, &n))
			return 0;
		p->cfg.face_delay_ms = (long)n;
		return 1;
	}
	return fault(p, KCFG_ERR_UNKNOWN, "key %s: not a [face] setting (models, challenge, delay_ms)", key);
}

/* [tariff]: rupiah for each passport type and validity. */
static int tariff_key(parse *p, const char *key, const char *value)
{
	static const struct {
		const char *key;
		flow_passport_type type;
		int years10;
	} keys[] = {
		{ "ordinary_5", FLOW_PASSPORT_ORDINARY, 0 }, { "ordinary_10", FLOW_PASSPORT_ORDINARY, 1 },
		{ "electronic_5", FLOW_PASSPORT_ELECTRONIC, 0 }, { "electronic_10", FLOW_PASSPORT_ELECTRONIC, 1 },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return set_number(p, key, value, 1, 100000000, &p->cfg.tariff.rupiah[keys[i].type][keys[i].years10]);
	return fault(p, KCFG_ERR_UNKNOWN,
	             "key %s: not a [tariff] setting (ordinary_5, ordinary_10, electronic_5, electronic_10)", key);
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
	parse *p = user;
	if (p->err != KCFG_OK)
		return 1; /* the first fault stands; inih goes on reading */
	if (strcmp(section, "kiosk") == 0) {
		if (strcmp(key, "store") == 0)
			return set_text(p, key, value, p->cfg.store, sizeof(p->cfg.store));
		if (strcmp(key, "socket") == 0)
			return set_text(p, key, value, p->cfg.socket, sizeof(p->cfg.socket));
		if (strcmp(key, "socket_group") == 0)
			return set_text(p, key, value, p->cfg.socket_group, sizeof(p->cfg.socket_group));
		if (strcmp(key, "trust") == 0)
			return set_text(p, key, value, p->cfg.trust, sizeof(p->cfg.trust));
		return fault(p, KCFG_ERR_UNKNOWN, "key %s: not a [kiosk] setting (store, socket, socket_group, trust)",
		             key);
	}
	if (strcmp(section, "ui") == 0) {
		if (strcmp(key, "listen") == 0) {
			char host[64];
			unsigned port = 0;
			char extra;
			if (sscanf(value, "%63[0-9.]:%u%c", host, &port, &extra) != 2 || port > 65535)
				return fault(p, KCFG_ERR_VALUE, "key listen: '%s' is not IPV4-ADDRESS:PORT", value);
			return set_text(p, key, value, p->cfg.ui_listen, sizeof(p->cfg.ui_listen));
		}
		if (strcmp(key, "docroot") == 0)
			return set_text(p, key, value, p->cfg.ui_docroot, sizeof(p->cfg.ui_docroot));
		if (strcmp(key, "speech_data") == 0)
			return set_text(p, key, value, p->cfg.ui_speech_data, sizeof(p->cfg.ui_speech_data));
		return fault(p, KCFG_ERR_UNKNOWN, "key %s: not a [ui] setting (listen, docroot, speech_data)", key);
	}
	if (strcmp(section, "backend") == 0) {
		if (strcmp(key, "url") == 0) {
			if (strncmp(value, "https://", 8) != 0)
				return fault(p, KCFG_ERR_VALUE, "key url: the backend is reached over https:// only");
			return set_text(p, key, value, p->cfg.backend_url, sizeof(p->cfg.backend_url));
		}
		if (strcmp(key, "ca") == 0)
			return set_text(p, key, value, p->cfg.backend_ca, sizeof(p->cfg.backend_ca));
		return fault(p, KCFG_ERR_UNKNOWN, "key %s: not a [backend] setting (url, ca)", key);
	}
	if (strcmp(section, "journey") == 0)
		return journey_key(p, key, value);
	if (strcmp(section, "tariff") == 0)
		return tariff_key(p, key, value);
	if (strcmp(section, "face") == 0)
		return face_key(p, key, value);
	if (strncmp(section, "device ", 7) == 0)
		return device_key(p, section + 7, key, value);
	return fault(p, KCFG_ERR_UNKNOWN,
	             "section [%s]: not a section of this file ([kiosk], [ui], [backend], [journey], [tariff], [face], "
	             "[device NAME])",
	             section);
}

kcfg_err kcfg_load(const char *path, const char *const *classes, kcfg *ret, char *message, size_t message_len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(message, message_len, "%s: %s", path, strerror(errno));
		return KCFG_ERR_IO;
	}
	kcfg_err e = kcfg_parse(f, path, classes, ret, message, message_len);
	fclose(f);
	return e;
}

kcfg_err kcfg_parse(FILE *f, const char *path, const char *const *classes, kcfg *ret, char *message,
                    size_t message_len)
{
	parse *p = calloc(1, sizeof(*p));
	if (!p)
		return KCFG_ERR_NOMEM;
	p->f = f;
	p->classes = classes;
	p->cfg.flow = flow_config_default();
	p->cfg.tariff = flow_tariff_default();
	snprintf(p->cfg.face_challenge, sizeof(p->cfg.face_challenge), "random");
	p->cfg.face_delay_ms = -1;
	kcfg_err e = KCFG_OK;
	int bad_line = ini_parse_stream(read_line, p, on_value, p);
	if (bad_line < 0 || ferror(p->f)) {
		snprintf(message, message_len, "%s: read error", path);
		e = KCFG_ERR_IO;
		goto out;
	}
	if (p->err != KCFG_OK) {
		snprintf(message, message_len, "%s:%d: %s", path, p->err_line, p->err_text);
		e = p->err;
		goto out;
	}
	if (bad_line > 0) {
		snprintf(message, message_len, "%s:%d: not a [section], key = value or ; comment", path, bad_line);
		e = KCFG_ERR_SYNTAX;
		goto out;
	}
	const char *missing = !p->cfg.store[0] ? "store" : !p->cfg.socket[0] ? "socket" : NULL;
	if (missing) {
		snprintf(message, message_len, "%s: key %s: missing from [kiosk]", path, missing);
		e = KCFG_ERR_MISSING;
		goto out;
	}
	for (size_t i = 0; i < p->cfg.n_devices; i++) {
		const kcfg_device *d = &p->cfg.devices[i];
		missing = !d->class_name[0] ? "class" : !d->connection[0] ? "connection" : NULL;
		if (missing) {
			snprintf(message, message_len, "%s:%d: key %s: missing from [device %s]", path, d->line,
			         missing, d->name);
			e = KCFG_ERR_MISSING;
			goto out;
		}
	}
	snprintf(p->cfg.path, sizeof(p->cfg.path), "%s", path);
	*ret = p->cfg;
out:
	free(p);
	return e;
}

const kcfg_device *kcfg_device_find(const kcfg *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return &c->devices[i];
	return NULL;
}
