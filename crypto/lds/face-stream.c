/*
 * face-stream — OpenJPEG streams over memory (see face-internal.h): the
 * one copy of the read, write, skip and seek callbacks that face.c decodes
 * through and that the makers of test images encode through. Each stream
 * owns a small state (position, and the bytes or the buf) that OpenJPEG
 * frees with it.
 */
#include "crypto/lds/face-internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A stream owning `state` (freed with it); NULL, and state freed, when
 * state is NULL or memory runs out. */
static opj_stream_t *stream_new(void *state, bool input)
{
	opj_stream_t *st = state ? opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, input) : NULL;
	if (!st) {
		free(state);
		return NULL;
	}
	opj_stream_set_user_data(st, state, free);
	return st;
}

/* ---- Reading ---------------------------------------------------------- */

typedef struct mem_in {
	const uint8_t *data;
	size_t len;
	size_t pos;
} mem_in;

static OPJ_SIZE_T in_read(void *buffer, OPJ_SIZE_T n, void *user)
{
	mem_in *m = user;
	if (m->pos >= m->len)
		return (OPJ_SIZE_T)-1;
	size_t left = m->len - m->pos;
	if (n > left)
		n = left;
	memcpy(buffer, m->data + m->pos, n);
	m->pos += n;
	return n;
}

static OPJ_OFF_T in_skip(OPJ_OFF_T n, void *user)
{
	mem_in *m = user;
	size_t left = m->len - m->pos;
	/* Skipping nothing at the end would make OpenJPEG loop: say end. */
	if (n <= 0 || left == 0)
		return (OPJ_OFF_T)-1;
	if ((OPJ_UINT64)n > left)
		n = (OPJ_OFF_T)left;
	m->pos += (size_t)n;
	return n;
}

static OPJ_BOOL in_seek(OPJ_OFF_T n, void *user)
{
	mem_in *m = user;
	if (n < 0 || (OPJ_UINT64)n > m->len)
		return OPJ_FALSE;
	m->pos = (size_t)n;
	return OPJ_TRUE;
}

opj_stream_t *face_opj_reader(const uint8_t *data, size_t len)
{
	mem_in *m = malloc(sizeof *m);
	if (m)
		*m = (mem_in){ .data = data, .len = len };
	opj_stream_t *st = stream_new(m, true);
	if (st) {
		opj_stream_set_read_function(st, in_read);
		opj_stream_set_skip_function(st, in_skip);
		opj_stream_set_seek_function(st, in_seek);
		opj_stream_set_user_data_length(st, len);
	}
	return st;
}

/* ---- Writing ---------------------------------------------------------- */

typedef struct mem_out {
	crypto_buf *b;
	size_t pos;
} mem_out;

/* The buffer at least `end` bytes long, what is new zeros. */
static bool out_reach(mem_out *m, size_t end)
{
	crypto_buf *b = m->b;
	if (end <= b->len)
		return true;
	if (!buf_reserve(b, end - b->len))
		return false;
	memset(b->data + b->len, 0, end - b->len);
	b->len = end;
	return true;
}

static OPJ_SIZE_T out_write(void *data, OPJ_SIZE_T n, void *user)
{
	mem_out *m = user;
	if (n > SIZE_MAX - m->pos || !out_reach(m, m->pos + n))
		return (OPJ_SIZE_T)-1;
	memcpy(m->b->data + m->pos, data, n);
	m->pos += n;
	return n;
}

static OPJ_OFF_T out_skip(OPJ_OFF_T n, void *user)
{
	mem_out *m = user;
	if (n < 0 ? (OPJ_UINT64)-n > m->pos : (OPJ_UINT64)n > SIZE_MAX - m->pos)
		return (OPJ_OFF_T)-1;
	size_t to = n < 0 ? m->pos - (size_t)-n : m->pos + (size_t)n;
	if (!out_reach(m, to))
		return (OPJ_OFF_T)-1;
	m->pos = to;
	return n;
}

static OPJ_BOOL out_seek(OPJ_OFF_T n, void *user)
{
	mem_out *m = user;
	if (n < 0 || (OPJ_UINT64)n > SIZE_MAX || !out_reach(m, (size_t)n))
		return OPJ_FALSE;
	m->pos = (size_t)n;
	return OPJ_TRUE;
}

opj_stream_t *face_opj_writer(crypto_buf *out)
{
	mem_out *m = malloc(sizeof *m);
	if (m)
		*m = (mem_out){ .b = out };
	opj_stream_t *st = stream_new(m, false);
	if (st) {
		opj_stream_set_write_function(st, out_write);
		opj_stream_set_skip_function(st, out_skip);
		opj_stream_set_seek_function(st, out_seek);
	}
	return st;
}

/* ---- Messages --------------------------------------------------------- */

static void quiet(const char *msg, void *user)
{
	(void)msg;
	(void)user;
}

void face_opj_quiet(opj_codec_t *codec)
{
	opj_set_info_handler(codec, quiet, NULL);
	opj_set_warning_handler(codec, quiet, NULL);
	opj_set_error_handler(codec, quiet, NULL);
}
