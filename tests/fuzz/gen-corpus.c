/*
 * gen-corpus — writes the seed corpora of fuzz-sod, fuzz-sm and
 * fuzz-reader, and fuzz-sod's fixed data, from documents made now by the
 * test-document factory (devices/docgen). Run by hand when a target's
 * input format or the factory changes:
 *   build/tests/fuzzreplay/fuzz-gen-corpus tests/fuzz
 * It writes DIR/corpus/{sod,sm,reader}/ and DIR/data/sod/. Keys live in a
 * temporary directory that is removed at the end: only certificates,
 * CRLs, signed objects and data groups are written (an EF.SOD holds only
 * the public DS certificate, DG15 only a public key). Each run makes new
 * keys, so every file changes.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "crypto/sm.h"
#include "devices/docgen/docgen.h"
#include "tests/fuzz/fuzz-chip.h"

#ifndef DOCGEN_DATA_DIR
#error "DOCGEN_DATA_DIR must name devices/data"
#endif

static int failures;

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "gen-corpus: %s: %s\n", what, why);
	failures++;
}

static const char *path2(const char *a, const char *b)
{
	static char ring[8][4096];
	static unsigned next;
	char *p = ring[next++ % 8];
	snprintf(p, sizeof(ring[0]), "%s/%s", a, b);
	return p;
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		fail(path, strerror(errno));
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail(path, "cannot write");
	else
		printf("  %s (%zu bytes)\n", path, len);
}

static uint8_t *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(path, strerror(errno));
		return NULL;
	}
	crypto_buf b = CRYPTO_BUF_INIT;
	uint8_t chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (!buf_ok(&b)) {
		fail(path, "out of memory");
		return NULL;
	}
	return buf_steal(&b, ret_len);
}

/* A file with a one-byte prefix (a target's mode selector). */
static void write_prefixed(const char *path, uint8_t prefix, const uint8_t *data, size_t len)
{
	crypto_buf b = CRYPTO_BUF_INIT;
	buf_append_byte(&b, prefix);
	buf_append(&b, data, len);
	if (buf_ok(&b))
		write_file(path, b.data, b.len);
	else
		fail(path, "out of memory");
	buf_free(&b);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *d = read_file(from, &len);
	if (d)
		write_file(to, d, len);
	free(d);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- documents ---- */

static const char *pki(const char *tmp, const char *name, docgen_key_type key, docgen_ds_validity validity)
{
	char err[256];
	const char *dir = strdup(path2(tmp, name));
	docgen_pki_opts o = { .out_dir = dir, .key = key, .ds_validity = validity };
	if (!dir || docgen_pki_create(&o, err, sizeof(err)) != DOCGEN_OK)
		fail(name, err);
	return dir;
}

static const char *doc(const char *tmp, const char *name, const char *pki_dir, const char *persona,
		       docgen_doc_opts o)
{
	char err[256];
	static docgen_persona p;
	const char *dir = strdup(path2(tmp, name));
	if (docgen_persona_load(persona, DOCGEN_DATA_DIR, &p, err, sizeof(err)) != DOCGEN_OK) {
		fail(persona, err);
		return dir;
	}
	o.pki_dir = pki_dir;
	o.persona = &p;
	o.out_dir = dir;
	if (!dir || docgen_doc_create(&o, err, sizeof(err)) != DOCGEN_OK)
		fail(name, err);
	return dir;
}

static bool same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	uint8_t *da = read_file(a, &la), *db = read_file(b, &lb);
	bool same = da && db && la == lb && memcmp(da, db, la) == 0;
	free(da);
	free(db);
	return same;
}

/* ---- fuzz-sod ---- */

static void gen_sod(const char *tmp, const char *out)
{
	const char *data = strdup(path2(out, "data/sod")), *trust = strdup(path2(data, "trust"));
	const char *corpus = strdup(path2(out, "corpus/sod"));
	make_dir(path2(out, "data"));
	make_dir(data);
	make_dir(trust);
	make_dir(corpus);

	const char *ec = pki(tmp, "pki-ec", DOCGEN_KEY_EC, DOCGEN_DS_VALID);
	const char *rsa = pki(tmp, "pki-rsa", DOCGEN_KEY_RSA, DOCGEN_DS_VALID);
	const char *expired = pki(tmp, "pki-expired", DOCGEN_KEY_EC, DOCGEN_DS_EXPIRED);
	const char *future = pki(tmp, "pki-future", DOCGEN_KEY_EC, DOCGEN_DS_NOT_YET_VALID);
	const char *unknown = pki(tmp, "pki-unknown", DOCGEN_KEY_EC, DOCGEN_DS_VALID);
	copy_file(path2(ec, "csca.pem"), path2(trust, "csca-ec.pem"));
	copy_file(path2(rsa, "csca.pem"), path2(trust, "csca-rsa.pem"));
	copy_file(path2(expired, "csca.pem"), path2(trust, "csca-expired.pem"));
	copy_file(path2(future, "csca.pem"), path2(trust, "csca-future.pem"));

	char err[256];
	docgen_crl_opts crl = { .pki_dir = ec, .out_path = path2(data, "crl-ec.der") };
	if (docgen_crl_create(&crl, err, sizeof(err)) != DOCGEN_OK)
		fail("crl-ec", err);
	crl = (docgen_crl_opts){ .pki_dir = rsa, .out_path = path2(data, "crl-rsa.der"), .revoke_ds = true };
	if (docgen_crl_create(&crl, err, sizeof(err)) != DOCGEN_OK)
		fail("crl-rsa", err);

	/* The fixed data groups: DG1, DG11, DG12 of one persona, no DG2. */
	const uint32_t no_dg2 = 1u << 2;
	static const struct {
		const char *name;
		int pki; /* 0 ec, 1 rsa, 2 expired, 3 future, 4 unknown */
		const char *persona;
		docgen_doc_opts o;
	} docs[] = {
		{ "ec-sha256", 0, "hartono", { .omit_dgs = no_dg2 } },
		{ "ec-sha1", 0, "hartono", { .omit_dgs = no_dg2, .hash = "sha1" } },
		{ "ec-sha512-lds18", 0, "hartono", { .omit_dgs = no_dg2, .hash = "sha512", .lds_1_8 = true } },
		{ "ec-dg12-unsigned", 0, "hartono", { .omit_dgs = no_dg2, .unsigned_dgs = 1u << 12 } },
		{ "ec-other-holder", 0, "lestari", { .omit_dgs = no_dg2 } },
		{ "rsa-pkcs1-sha256", 1, "hartono", { .omit_dgs = no_dg2 } },
		{ "rsa-pss-sha384", 1, "hartono", { .omit_dgs = no_dg2, .hash = "sha384", .sig = DOCGEN_SIG_RSA_PSS } },
		{ "rsa-pkcs1-sha224", 1, "hartono", { .omit_dgs = no_dg2, .hash = "sha224" } },
		{ "ds-expired", 2, "hartono", { .omit_dgs = no_dg2 } },
		{ "ds-not-yet-valid", 3, "hartono", { .omit_dgs = no_dg2 } },
		{ "csca-unknown", 4, "hartono", { .omit_dgs = no_dg2 } },
	};
	const char *pkis[] = { ec, rsa, expired, future, unknown };
	const char *first = NULL;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *d = doc(tmp, docs[i].name, pkis[docs[i].pki], docs[i].persona, docs[i].o);
		copy_file(path2(d, "EF.SOD"), path2(corpus, docs[i].name));
		if (strcmp(docs[i].persona, "hartono") != 0)
			continue;
		if (!first) {
			first = d;
			continue;
		}
		/* The target checks every SOD against the first's data groups. */
		for (int n = 0; n < 3; n++) {
			const char *name = n == 0 ? "EF.DG1" : n == 1 ? "EF.DG11" : "EF.DG12";
			if (!same_file(path2(first, name), path2(d, name)))
				fail(docs[i].name, "the data groups differ between documents of one persona");
		}
	}
	copy_file(path2(first, "EF.DG1"), path2(data, "EF.DG1"));
	copy_file(path2(first, "EF.DG11"), path2(data, "EF.DG11"));
	copy_file(path2(first, "EF.DG12"), path2(data, "EF.DG12"));
	char now[32];
	int n = snprintf(now, sizeof(now), "%lld\n", (long long)time(NULL) + 3600);
	write_file(path2(data, "now"), now, (size_t)n);

	/* Trust store files, prefixed 'M'. */
	const char *both[] = { ec, rsa }, *one[] = { expired };
	const char *ml = path2(tmp, "ml-ec-rsa.der");
	if (docgen_masterlist_create(both, 2, ml, err, sizeof(err)) != DOCGEN_OK)
		fail("master list", err);
	size_t len;
	uint8_t *der = read_file(ml, &len);
	if (der) {
		write_prefixed(path2(corpus, "ml-ec-rsa"), 'M', der, len);
		BIO *b = BIO_new(BIO_s_mem());
		char *pem;
		if (!b || !PEM_write_bio(b, "CMS", "", der, (long)len)) {
			fail("ml-pem", "PEM encoding failed");
		} else {
			long pem_len = BIO_get_mem_data(b, &pem);
			write_prefixed(path2(corpus, "ml-pem"), 'M', (const uint8_t *)pem, (size_t)pem_len);
		}
		BIO_free(b);
		free(der);
	}
	ml = path2(tmp, "ml-expired.der");
	if (docgen_masterlist_create(one, 1, ml, err, sizeof(err)) != DOCGEN_OK)
		fail("master list", err);
	if ((der = read_file(ml, &len)) != NULL) {
		write_prefixed(path2(corpus, "ml-one"), 'M', der, len);
		free(der);
	}
	uint8_t *pem = read_file(path2(ec, "csca.pem"), &len);
	if (pem) {
		write_prefixed(path2(corpus, "cert-pem"), 'M', pem, len);
		free(pem);
	}
	if ((der = read_file(path2(data, "crl-rsa.der"), &len)) != NULL) {
		write_prefixed(path2(corpus, "crl-der"), 'M', der, len);
		free(der);
	}
}

/* ---- fuzz-sm ---- */

static const uint8_t ks_enc[16] = { 0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC,
				    0xD0, 0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5 };
static const uint8_t ks_mac[16] = { 0xF1, 0xCB, 0x1F, 0x1F, 0xB5, 0xAD, 0xF2, 0x08,
				    0x80, 0x6B, 0x89, 0xDC, 0x57, 0x9D, 0xC1, 0xF8 };
static const uint8_t ssc0[8] = { 0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x26 };

static void gen_sm(const char *out)
{
	const char *corpus = strdup(path2(out, "corpus/sm"));
	make_dir(corpus);
	uint8_t bytes[1000];
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 1);

	static const struct {
		const char *name;
		size_t len;
		uint16_t sw;
	} responses[] = {
		{ "resp-data", 4, SW_OK },        { "resp-empty-6282", 0, SW_END_OF_FILE },
		{ "resp-231", 231, SW_OK },       { "resp-1000", 1000, SW_OK },
		{ "resp-6a82", 0, SW_FILE_NOT_FOUND },
	};
	for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++) {
		sm_ctx ctx;
		sm_init_3des(&ctx, ks_enc, ks_mac, ssc0);
		crypto_buf b = CRYPTO_BUF_INIT;
		if (sm_card_wrap_response(&ctx, bytes, responses[i].len, responses[i].sw, &b) != CRYPTO_OK ||
		    b.len < 12) {
			fail(responses[i].name, "cannot wrap");
			continue;
		}
		write_prefixed(path2(corpus, responses[i].name), 0, b.data, b.len);
		/* Mode 1: the same without DO'8E (10 bytes before the SW). */
		memmove(b.data + b.len - 12, b.data + b.len - 2, 2);
		char name[64];
		snprintf(name, sizeof(name), "%s-nomac", responses[i].name);
		write_prefixed(path2(corpus, name), 1, b.data, b.len - 10);
		buf_free(&b);
	}
	static const uint8_t clear_6987[] = { 0x69, 0x87 };
	write_prefixed(path2(corpus, "resp-clear-6987"), 0, clear_6987, sizeof(clear_6987));

	static const uint8_t fid[2] = { 0x01, 0x1E };
	static const uint8_t off[5] = { 0x54, 0x03, 0x01, 0x00, 0x00 };
	const struct {
		const char *name;
		crypto_apdu a;
	} commands[] = {
		{ "cmd-select", { .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = fid, .lc = 2 } },
		{ "cmd-read-short", { .ins = 0xB0, .p1 = 0x00, .p2 = 0x04, .le = 223 } },
		{ "cmd-read-256", { .ins = 0xB0, .le = 256 } },
		{ "cmd-read-ext", { .ins = 0xB0, .p1 = 0x12, .le = 4096, .extended = true } },
		{ "cmd-read-b1", { .ins = 0xB1, .data = off, .lc = sizeof(off), .le = 1028, .extended = true } },
		{ "cmd-auth-40", { .ins = 0x82, .data = bytes, .lc = 40, .le = 40 } },
		{ "cmd-case1", { .ins = 0x44 } },
		{ "cmd-data-300", { .ins = 0xD6, .data = bytes, .lc = 300 } },
	};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		sm_ctx ctx;
		sm_init_3des(&ctx, ks_enc, ks_mac, ssc0);
		crypto_buf b = CRYPTO_BUF_INIT;
		crypto_apdu prot;
		if (sm_wrap_command(&ctx, &commands[i].a, &b) != CRYPTO_OK ||
		    apdu_decode(b.data, b.len, &prot) != CRYPTO_OK || prot.lc < 10) {
			fail(commands[i].name, "cannot wrap");
			buf_free(&b);
			continue;
		}
		write_prefixed(path2(corpus, commands[i].name), 2, b.data, b.len);
		/* Mode 3: header and data objects without DO'8E. */
		crypto_buf m = CRYPTO_BUF_INIT;
		uint8_t hdr[4] = { prot.cla, prot.ins, prot.p1, prot.p2 };
		buf_append(&m, hdr, 4);
		buf_append(&m, prot.data, prot.lc - 10);
		char name[64];
		snprintf(name, sizeof(name), "%s-nomac", commands[i].name);
		write_prefixed(path2(corpus, name), (uint8_t)(3 | (prot.extended ? 0x80 : 0)), m.data, m.len);
		buf_free(&m);
		buf_free(&b);
	}
}

/* ---- fuzz-reader ---- */

typedef struct oracle {
	const char *dir;       /* a document directory (EF.COM, EF.SOD, EF.DGn) */
	uint8_t *files[32];    /* by short file identifier */
	size_t lens[32];
	int selected;
	bool refuse_extended;  /* extended reads: 6700 in the clear */
	unsigned skip_reads;   /* then ... */
	unsigned fail_reads;   /* ... this many reads answer 6F00 */
	unsigned long remove_after; /* answers before the card leaves (0: never) */
	uint32_t missing;      /* bit n: SFI n answers 6A82 */
	unsigned long answers;
	crypto_buf seed;
} oracle;

static void record(oracle *o, const crypto_buf *out, bool clear)
{
	size_t hdr = out->len | (clear ? 0x8000u : 0);
	buf_append_byte(&o->seed, (uint8_t)(hdr >> 8));
	buf_append_byte(&o->seed, (uint8_t)hdr);
	buf_append(&o->seed, out->data, out->len);
}

static fuzz_chip_answer answer_sw(oracle *o, crypto_buf *out, uint16_t sw)
{
	buf_append_byte(out, (uint8_t)(sw >> 8));
	buf_append_byte(out, (uint8_t)sw);
	record(o, out, false);
	return FUZZ_CHIP_SM;
}

static fuzz_chip_answer oracle_answer(void *user, const crypto_apdu *cmd, crypto_buf *out)
{
	oracle *o = user;
	if (o->remove_after && o->answers >= o->remove_after)
		return FUZZ_CHIP_REMOVED;
	o->answers++;
	if (cmd->ins == 0xA4) {
		int sfi = cmd->lc == 2 && cmd->data[0] == 0x01 && cmd->data[1] < 32 ? cmd->data[1] : 0;
		if (!sfi || !o->files[sfi] || (o->missing & (1u << sfi)))
			return answer_sw(o, out, SW_FILE_NOT_FOUND);
		o->selected = sfi;
		return answer_sw(o, out, SW_OK);
	}
	if (cmd->ins != 0xB0 && cmd->ins != 0xB1)
		return answer_sw(o, out, SW_INS_NOT_SUPPORTED);
	if (o->refuse_extended && cmd->extended) {
		buf_append_byte(out, 0x67);
		buf_append_byte(out, 0x00);
		record(o, out, true);
		return FUZZ_CHIP_CLEAR;
	}
	if (o->skip_reads)
		o->skip_reads--;
	else if (o->fail_reads) {
		o->fail_reads--;
		return answer_sw(o, out, SW_UNKNOWN);
	}
	size_t offset, le = cmd->le;
	if (cmd->ins == 0xB0) {
		offset = (size_t)cmd->p1 << 8 | cmd->p2;
	} else {
		if (cmd->lc < 3 || cmd->data[0] != 0x54 || cmd->data[1] != cmd->lc - 2)
			return answer_sw(o, out, SW_WRONG_DATA);
		offset = 0;
		for (size_t i = 2; i < cmd->lc; i++)
			offset = offset << 8 | cmd->data[i];
		le = le > 4 ? le - 4 : 1;
	}
	const uint8_t *file = o->files[o->selected];
	size_t len = o->lens[o->selected];
	if (!file || offset >= len)
		return answer_sw(o, out, SW_WRONG_P1P2);
	size_t cap = cmd->extended ? 32000 : 231 - 4;
	size_t n = len - offset;
	if (n > le)
		n = le;
	if (n > cap)
		n = cap;
	if (cmd->ins == 0xB1)
		buf_append_tlv_header(out, 0x53, n);
	buf_append(out, file + offset, n);
	return answer_sw(o, out, SW_OK);
}

static void oracle_load(oracle *o, const char *dir)
{
	o->dir = dir;
	static const struct {
		const char *name;
		int sfi;
	} names[] = { { "EF.COM", 0x1E }, { "EF.SOD", 0x1D }, { "EF.DG1", 1 },   { "EF.DG2", 2 },
		      { "EF.DG11", 11 },  { "EF.DG12", 12 },  { "EF.DG14", 14 }, { "EF.DG15", 15 } };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *p = path2(dir, names[i].name);
		if (access(p, F_OK) == 0)
			o->files[names[i].sfi] = read_file(p, &o->lens[names[i].sfi]);
	}
}

static void oracle_clear(oracle *o)
{
	for (size_t i = 0; i < 32; i++)
		free(o->files[i]);
	buf_free(&o->seed);
}

/* Read the document through the pretend chip and keep what it answered. */
static void record_read(const char *corpus, const char *name, uint8_t flags, oracle *o, pp_err expect)
{
	pp_transport_caps caps;
	pp_read_options opt;
	fuzz_chip_options(flags, &caps, &opt);
	buf_append_byte(&o->seed, flags);
	fuzz_chip *chip = fuzz_chip_new(&caps, oracle_answer, o);
	pp_transport *t = NULL;
	pp_document *d = NULL;
	char err[256] = "";
	if (!chip || fuzz_chip_transport(chip, &t) != PP_OK) {
		fail(name, "no chip");
	} else {
		pp_err e = pp_read_document(t, &fuzz_chip_key, &opt, &d, err, sizeof(err));
		if (e != expect) {
			char why[512];
			snprintf(why, sizeof(why), "read ended with %s (%s), expected %s", pp_strerror(e), err,
				 pp_strerror(expect));
			fail(name, why);
		}
		if (buf_ok(&o->seed))
			write_file(path2(corpus, name), o->seed.data, o->seed.len);
	}
	pp_document_free(d);
	pp_transport_free(t);
	fuzz_chip_free(chip);
	oracle_clear(o);
}

static void gen_reader(const char *tmp, const char *out)
{
	const char *corpus = strdup(path2(out, "corpus/reader"));
	make_dir(corpus);
	const char *p = pki(tmp, "pki-reader", DOCGEN_KEY_EC, DOCGEN_DS_VALID);
	const char *jpeg = doc(tmp, "doc-jpeg", p, "hartono", (docgen_doc_opts){ .dg15 = true });
	const char *jp2 = doc(tmp, "doc-jp2", p, "wulandari",
			      (docgen_doc_opts){ .face = DOCGEN_FACE_JP2, .lds_1_8 = true, .hash = "sha384" });
	const char *small = doc(tmp, "doc-small", p, "lestari", (docgen_doc_opts){ .omit_dgs = 1u << 2 });

	oracle o = { 0 };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-extended", 0, &o, PP_OK);
	o = (oracle){ 0 };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-short-only", 1, &o, PP_OK);
	o = (oracle){ .refuse_extended = true };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-chip-refuses-extended", 0, &o, PP_OK);
	o = (oracle){ .skip_reads = 3, .fail_reads = 2 };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-transient-6f00", 2, &o, PP_OK);
	o = (oracle){ .remove_after = 9 };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-removed", 0, &o, PP_ERR_REMOVED);
	o = (oracle){ .missing = 1u << 11 };
	oracle_load(&o, jpeg);
	record_read(corpus, "jpeg-dg11-missing", 2 << 2, &o, PP_OK);
	o = (oracle){ 0 };
	oracle_load(&o, jp2);
	record_read(corpus, "jp2-read-1024", 2 << 2, &o, PP_OK);
	o = (oracle){ 0 };
	oracle_load(&o, small);
	record_read(corpus, "small-read-64", 3 << 2, &o, PP_OK);

	/* A file larger than 32767 bytes: the last reads are B1 with DO'54. */
	o = (oracle){ 0 };
	oracle_load(&o, small);
	static const uint8_t com[] = { 0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F, 0x36,
				       0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x6B };
	free(o.files[0x1E]);
	o.files[0x1E] = malloc(sizeof(com));
	if (o.files[0x1E])
		memcpy(o.files[0x1E], com, sizeof(com));
	o.lens[0x1E] = sizeof(com);
	crypto_buf big = CRYPTO_BUF_INIT;
	buf_append_tlv_header(&big, 0x6B, 33000);
	for (size_t i = 0; i < 33000; i++)
		buf_append_byte(&big, (uint8_t)('A' + i % 26));
	free(o.files[11]);
	o.files[11] = buf_steal(&big, &o.lens[11]);
	record_read(corpus, "large-file-b1", 2 << 2, &o, PP_OK);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s TESTS-FUZZ-DIR\n", argv[0]);
		return 2;
	}
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof(tmpl), "%s/fuzz-gen-XXXXXX", base && *base ? base : "/tmp");
	char *tmp = mkdtemp(tmpl);
	if (!tmp) {
		perror(tmpl);
		return 1;
	}
	make_dir(path2(argv[1], "corpus"));
	gen_sod(tmp, argv[1]);
	gen_sm(argv[1]);
	gen_reader(tmp, argv[1]);
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		fprintf(stderr, "gen-corpus: %d failures\n", failures);
	return failures != 0;
}
