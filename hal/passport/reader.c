/*
 * reader — ICAO 9303 reading stack: application selection, BAC, and READ
 * BINARY under secure messaging with adaptive read sizes; see reader.h.
 */
#include "hal/passport/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/apdu.h"
#include "crypto/bac.h"
#include "crypto/sm.h"
#include "crypto/tlv.h"
#include "hal/passport/channel.h"
#include "hal/passport/lds.h"

static const uint8_t emrtd_aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

/* Short reads under 3DES secure messaging: the protected answer (DO'87 with
 * padding, DO'99, DO'8E) must fit in 256 bytes, which leaves 231 plain
 * bytes; 223 also fits AES's 16-byte padding. */
#define SHORT_READ_MAX 223
#define DEFAULT_RETRIES 3

typedef struct session {
	pp_transport *t;
	pp_channel ch;
	const pp_access_key *key;
	uint16_t current_fid;
	bool extended;       /* still trying extended-length reads */
	size_t read_max;     /* plain bytes per READ BINARY */
	unsigned retries;
	pp_document *doc;
	const pp_read_options *opt;
	size_t progress_done;
	size_t progress_expected;
	char *err;
	size_t errlen;
} session;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3))) static void set_err(session *s, const char *fmt, ...)
{
	if (!s->err || !s->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
}

static pp_err exchange(session *s, const apdu *cmd, buf *out, uint16_t *ret_sw)
{
	return pp_channel_exchange(&s->ch, cmd, out, ret_sw);
}

static pp_err select_application(session *s)
{
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = emrtd_aid, .lc = sizeof(emrtd_aid) };
	buf out = BUF_INIT;
	uint16_t sw = 0;
	pp_err e = exchange(s, &cmd, &out, &sw);
	buf_free(&out);
	if (e != PP_OK)
		return e;
	if (sw != SW_OK) {
		set_err(s, "selecting the eMRTD application: status %04X", sw);
		return PP_ERR_NOT_EMRTD;
	}
	return PP_OK;
}

static pp_err run_bac(session *s, const pp_access_key *key)
{
	bac_keys keys;
	if (bac_keys_from_mrz(key->document_number, key->birth_date, key->expiry_date, &keys) != CRYPTO_OK) {
		set_err(s, "the MRZ data cannot form an access key");
		return PP_ERR_ARG;
	}
	apdu challenge = { .cla = 0x00, .ins = 0x84, .le = 8 };
	buf out = BUF_INIT;
	uint16_t sw = 0;
	pp_err e = exchange(s, &challenge, &out, &sw);
	if (e == PP_OK && (sw != SW_OK || out.len != 8)) {
		set_err(s, "GET CHALLENGE: status %04X", sw);
		e = PP_ERR_STATUS;
	}
	if (e != PP_OK) {
		buf_free(&out);
		return e;
	}
	uint8_t rnd_icc[8], rnd_ifd[8], k_ifd[16], auth[40];
	memcpy(rnd_icc, out.data, 8);
	buf_free(&out);
	if (RAND_bytes(rnd_ifd, sizeof(rnd_ifd)) != 1 || RAND_bytes(k_ifd, sizeof(k_ifd)) != 1)
		return PP_ERR_CRYPTO;
	if (bac_terminal_auth_data(&keys, rnd_icc, rnd_ifd, k_ifd, auth) != CRYPTO_OK)
		return PP_ERR_CRYPTO;
	apdu ext = { .cla = 0x00, .ins = 0x82, .data = auth, .lc = sizeof(auth), .le = 40 };
	e = exchange(s, &ext, &out, &sw);
	if (e != PP_OK) {
		buf_free(&out);
		return e;
	}
	if (sw != SW_OK || out.len != 40) {
		/* 6300 (authentication failed), 6982 or 6A80: the keys from the
		 * MRZ are not this document's. */
		buf_free(&out);
		return PP_ERR_ACCESS_DENIED;
	}
	sm_ctx sm;
	crypto_err ce = bac_terminal_finish(&keys, out.data, rnd_icc, rnd_ifd, k_ifd, &sm);
	buf_free(&out);
	if (ce != CRYPTO_OK)
		return PP_ERR_ACCESS_DENIED;
	pp_channel_set_sm(&s->ch, &sm);
	OPENSSL_cleanse(&sm, sizeof(sm));
	return PP_OK;
}

static pp_err select_file(session *s, uint16_t fid, uint16_t *ret_sw)
{
	uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	s->current_fid = fid;
	apdu cmd = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = id, .lc = 2 };
	buf out = BUF_INIT;
	pp_err e = exchange(s, &cmd, &out, ret_sw);
	buf_free(&out);
	return e;
}

/* One READ BINARY of up to `want` bytes at `offset`; offsets past 32767 use
 * the odd instruction B1 with the offset in DO'54 and the answer in DO'53. */
static pp_err read_binary(session *s, size_t offset, size_t want, buf *out, uint16_t *ret_sw)
{
	bool extended = want > APDU_MAX_SHORT_LE;
	if (offset <= 0x7FFF) {
		apdu cmd = { .cla = 0x00, .ins = 0xB0, .p1 = (uint8_t)(offset >> 8), .p2 = (uint8_t)offset,
			     .le = want, .extended = extended };
		return exchange(s, &cmd, out, ret_sw);
	}
	uint8_t off[5] = { 0x54, 0x03, (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset };
	/* DO'53 header (up to 4 bytes) travels inside the answer. */
	apdu cmd = { .cla = 0x00, .ins = 0xB1, .data = off, .lc = sizeof(off), .le = want + 4, .extended = extended };
	buf raw = BUF_INIT;
	pp_err e = exchange(s, &cmd, &raw, ret_sw);
	if (e == PP_OK && raw.len) {
		tlv t;
		if (tlv_parse_one(raw.data, raw.len, &t) != TLV_OK || t.tag != 0x53)
			e = PP_ERR_PARSE;
		else
			buf_append(out, t.value, t.len);
	}
	buf_free(&raw);
	return e;
}

static bool transient_sw(uint16_t sw)
{
	/* 6F00 no precise diagnosis, 6581 memory failure, 6400 execution error:
	 * what a chip at the edge of the field answers. */
	return sw == SW_UNKNOWN || sw == 0x6581 || sw == 0x6400;
}

/* Plain bytes that fit one protected answer of max_response bytes. */
static size_t plain_capacity(size_t max_response)
{
	/* DO'87 header (4) + padding indicator (1) + DO'99 (4) + DO'8E (10) +
	 * SW (2), and up to one block of padding. */
	size_t overhead = 4 + 1 + 4 + 10 + 2 + 16;
	return max_response > overhead ? max_response - overhead : 0;
}

static void report_progress(session *s, size_t n)
{
	s->progress_done += n;
	if (s->opt->progress)
		s->opt->progress(s->progress_done, s->progress_expected, s->opt->progress_user);
}

/* After the chip dropped secure messaging: select the application again,
 * redo access control and reselect the file being read. */
static pp_err reestablish(session *s)
{
	uint16_t fid = s->current_fid, sw = 0;
	pp_channel_clear_sm(&s->ch);
	s->ch.sm_dropped = false;
	pp_err e = select_application(s);
	if (e == PP_OK)
		e = run_bac(s, s->key);
	if (e == PP_OK)
		e = select_file(s, fid, &sw);
	if (e == PP_OK && sw != SW_OK)
		e = PP_ERR_STATUS;
	return e;
}

/* Read the currently selected file whole. */
static pp_err read_file(session *s, const char *name, pp_file *f)
{
	buf data = BUF_INIT;
	size_t total = 0; /* unknown until the header is in */
	unsigned retries_left = s->retries;
	pp_err e = PP_OK;

	while (total == 0 || data.len < total) {
		size_t want = s->extended ? s->read_max : (s->read_max < SHORT_READ_MAX ? s->read_max : SHORT_READ_MAX);
		if (total && total - data.len < want)
			want = total - data.len;
		size_t before = data.len;
		uint16_t sw = 0;
		e = read_binary(s, data.len, want, &data, &sw);
		f->apdus++;
		if (e == PP_ERR_COMM && s->extended && want > SHORT_READ_MAX) {
			/* The reader (not the chip) refused the large APDU. The
			 * command was wrapped, so our send sequence counter moved
			 * on while the chip's did not: start secure messaging
			 * afresh before going on with short reads. */
			s->extended = false;
			s->doc->short_fallbacks++;
			if ((e = reestablish(s)) != PP_OK) {
				set_err(s, "re-establishing access control to read %s", name);
				break;
			}
			continue;
		}
		if (e != PP_OK) {
			set_err(s, "reading %s at offset %zu", name, before);
			break;
		}
		f->sw = sw;
		bool ended = sw == SW_WRONG_P1P2 || sw == SW_END_OF_FILE || (sw == SW_OK && data.len == before);
		if (total && data.len == before && ended) {
			/* The header promised more than the chip holds. */
			e = PP_ERR_PARSE;
			set_err(s, "%s is truncated: the chip holds %zu of the %zu bytes its header announces", name, before,
			        total);
			break;
		}
		if (sw != SW_OK && sw != SW_END_OF_FILE) {
			data.len = before;
			if (transient_sw(sw) && retries_left > 0) {
				retries_left--;
				s->doc->retried_reads++;
				continue;
			}
			bool refused_size = sw != SW_WRONG_P1P2 && sw != SW_FILE_NOT_FOUND && sw != SW_SECURITY_STATUS;
			if (s->extended && want > SHORT_READ_MAX && refused_size) {
				/* The chip or reader refused a large read: go short
				 * for the rest of the session, same offset. */
				s->extended = false;
				s->doc->short_fallbacks++;
				retries_left = s->retries;
				if (s->ch.sm_dropped && (e = reestablish(s)) != PP_OK) {
					set_err(s, "re-establishing access control to read %s", name);
					break;
				}
				continue;
			}
			e = sw == SW_FILE_NOT_FOUND ? PP_ERR_FILE_NOT_FOUND : PP_ERR_STATUS;
			set_err(s, "reading %s at offset %zu: status %04X", name, before, sw);
			break;
		}
		if (data.len == before) {
			e = PP_ERR_PARSE; /* the chip answered no data before the end */
			set_err(s, "%s is empty", name);
			break;
		}
		retries_left = s->retries;
		if (total == 0) {
			size_t len = 0;
			lds_err le = lds_file_length(data.data, data.len, &len);
			if (le == LDS_ERR_NEED_MORE)
				continue;
			if (le != LDS_OK) {
				e = PP_ERR_PARSE;
				set_err(s, "%s has a malformed header", name);
				break;
			}
			total = len;
			s->progress_expected += total;
		}
		if (data.len > total)
			data.len = total; /* padding after the file's last object */
		report_progress(s, data.len - before);
	}
	if (!buf_ok(&data) && e == PP_OK)
		e = PP_ERR_NOMEM;
	if (e != PP_OK) {
		buf_free(&data);
		f->err = e;
		return e;
	}
	f->data = buf_steal(&data, &f->len);
	f->present = true;
	return PP_OK;
}

/* Select and read one elementary file. A file that does not exist is not an
 * error of the whole read: it is recorded in its pp_file. */
static pp_err read_ef(session *s, uint16_t fid, const char *name, pp_file *f)
{
	double start = now_seconds();
	unsigned long apdus0 = pp_transport_get_stats(s->t)->apdus;
	uint16_t sw = 0;
	pp_err e = select_file(s, fid, &sw);
	if (e == PP_OK && sw != SW_OK) {
		f->sw = sw;
		f->err = sw == SW_FILE_NOT_FOUND ? PP_ERR_FILE_NOT_FOUND : PP_ERR_STATUS;
		if (sw != SW_FILE_NOT_FOUND && sw != SW_SECURITY_STATUS) {
			e = PP_ERR_STATUS;
			set_err(s, "selecting %s: status %04X", name, sw);
		}
	} else if (e == PP_OK) {
		e = read_file(s, name, f);
		/* A file the chip does not have, or keeps behind another access
		 * control, is recorded in f; any other failure ends the read, so
		 * a data group that could not be read is never passed over. */
		if (e == PP_ERR_FILE_NOT_FOUND || (e == PP_ERR_STATUS && f->sw == SW_SECURITY_STATUS))
			e = PP_OK;
	} else {
		set_err(s, "selecting %s", name);
	}
	f->seconds = now_seconds() - start;
	f->apdus = pp_transport_get_stats(s->t)->apdus - apdus0;
	return e;
}

bool pp_dg_readable(int dg)
{
	return dg >= 1 && dg <= PP_MAX_DG && dg != 3 && dg != 4;
}

static pp_err read_all(session *s, const pp_access_key *key)
{
	pp_document *doc = s->doc;
	double t0 = now_seconds();
	pp_err e = pp_transport_connect(s->t, s->opt->wait_ms);
	if (e != PP_OK)
		return e;
	snprintf(doc->reader, sizeof(doc->reader), "%s", pp_transport_reader_name(s->t));
	double t1 = now_seconds();
	doc->connect_seconds = t1 - t0;

	pp_transport_caps caps;
	if (pp_transport_capabilities(s->t, &caps) != PP_OK)
		caps = (pp_transport_caps){ .max_response = 258 };
	s->extended = caps.extended_length && !s->opt->short_only;
	s->read_max = s->extended ? plain_capacity(caps.max_response) : SHORT_READ_MAX;
	if (s->opt->max_read && s->opt->max_read < s->read_max)
		s->read_max = s->opt->max_read;
	if (s->read_max <= SHORT_READ_MAX)
		s->extended = false;

	e = select_application(s);
	if (e == PP_OK)
		e = run_bac(s, key);
	if (e != PP_OK)
		return e;
	snprintf(doc->access_control, sizeof(doc->access_control), "BAC");
	double t2 = now_seconds();
	doc->access_seconds = t2 - t1;

	e = read_ef(s, lds_file_fid(LDS_FILE_COM), "EF.COM", &doc->com);
	if (e != PP_OK)
		return e;
	if (!doc->com.present) {
		if (doc->com.err == PP_ERR_FILE_NOT_FOUND)
			set_err(s, "reading EF.COM: the chip has no such file");
		return doc->com.err;
	}
	lds_com com;
	lds_err le = lds_com_parse(doc->com.data, doc->com.len, &com);
	if (le != LDS_OK) {
		set_err(s, "EF.COM: %s", lds_strerror(le));
		return PP_ERR_PARSE;
	}
	for (size_t i = 0; i < com.n_files; i++)
		if (com.files[i] >= LDS_FILE_DG1 && com.files[i] <= LDS_FILE_DG16)
			doc->listed[com.files[i]] = true;

	e = read_ef(s, lds_file_fid(LDS_FILE_SOD), "EF.SOD", &doc->sod);
	for (int dg = 1; e == PP_OK && dg <= PP_MAX_DG; dg++) {
		if (!doc->listed[dg] || !pp_dg_readable(dg))
			continue;
		char name[8];
		snprintf(name, sizeof(name), "DG%d", dg);
		e = read_ef(s, lds_file_fid(lds_file_dg(dg)), name, &doc->dg[dg]);
	}
	doc->read_seconds = now_seconds() - t2;
	doc->extended_length = s->extended;
	return e;
}

pp_err pp_read_document(pp_transport *t, const pp_access_key *key, const pp_read_options *opt,
                        pp_document **ret, char *err, size_t errlen)
{
	static const pp_read_options defaults = { .wait_ms = 0 };
	if (!t || !key || !ret)
		return PP_ERR_ARG;
	if (err && errlen)
		err[0] = '\0';
	session *s = calloc(1, sizeof(*s));
	pp_document *doc = calloc(1, sizeof(*doc));
	if (!s || !doc) {
		free(s);
		free(doc);
		return PP_ERR_NOMEM;
	}
	s->t = t;
	pp_channel_init(&s->ch, t);
	s->key = key;
	s->doc = doc;
	s->opt = opt ? opt : &defaults;
	s->retries = s->opt->retries ? s->opt->retries : DEFAULT_RETRIES;
	s->err = err;
	s->errlen = errlen;
	const pp_transport_stats *st = pp_transport_get_stats(t);
	pp_transport_stats before = *st;
	double start = now_seconds();

	pp_err e = read_all(s, key);

	doc->total_seconds = now_seconds() - start;
	doc->apdus = st->apdus - before.apdus;
	doc->bytes_sent = st->bytes_sent - before.bytes_sent;
	doc->bytes_received = st->bytes_received - before.bytes_received;
	doc->read_size = s->extended ? s->read_max : (s->read_max < SHORT_READ_MAX ? s->read_max : SHORT_READ_MAX);
	pp_channel_clear_sm(&s->ch);
	free(s);
	if (e != PP_OK) {
		pp_document_free(doc);
		return e;
	}
	*ret = doc;
	return PP_OK;
}

static void file_clear(pp_file *f)
{
	free(f->data);
	f->data = NULL;
}

void pp_document_free(pp_document *doc)
{
	if (!doc)
		return;
	file_clear(&doc->com);
	file_clear(&doc->sod);
	for (int i = 0; i <= PP_MAX_DG; i++)
		file_clear(&doc->dg[i]);
	free(doc);
}
