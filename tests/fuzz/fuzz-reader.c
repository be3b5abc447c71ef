/*
 * fuzz-reader — a fuzzing reader: the whole path from the chip's answers to
 * the parsed and printed passport. A pretend chip (fuzz-chip.c) does BAC for
 * a fixed MRZ with the real card-side code and wraps its answers in real
 * secure messaging; what it answers to each protected command (SELECT of a
 * file, READ BINARY B0/B1) comes from the input. pp_read_document reads
 * through it, and every file it returns goes to the LDS parsers, then, as in
 * `appm passport read`, to pp_parse_document, passive authentication (without a
 * trust store) and both report printers.
 *
 * Input: one options byte, then chunks, one per protected command:
 *   options  bit 0: short_only; bit 1: the reader has no extended length;
 *            bits 2-3: max_read 0 (as large as possible), 223, 1024 or 64
 *   chunk    2-byte big-endian header: bit 15 set = sent in the clear, as
 *            is (no secure messaging: e.g. 6987, or garbage); low 15 bits =
 *            length; then that many bytes (fewer at the end of the input).
 *            Under SM the last two bytes are the SW and the rest the plain
 *            response data; a chunk shorter than 2 bytes is data with 9000.
 * The end of the input is the card leaving the field (PP_ERR_REMOVED).
 * Seeds (gen-corpus.c) are real documents read under various chip habits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/lds/lds.h"
#include "crypto/pa.h"
#include "crypto/secinfo.h"
#include "hal/passport/reader.h"
#include "kiosk/passport_report.h"
#include "tests/fuzz/fuzz-chip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
	const uint8_t *p, *end;
} input;

static fuzz_chip_answer next_chunk(void *user, const crypto_apdu *cmd, crypto_buf *out)
{
	input *in = user;
	(void)cmd;
	if (in->end - in->p < 2)
		return FUZZ_CHIP_REMOVED;
	size_t hdr = (size_t)in->p[0] << 8 | in->p[1];
	in->p += 2;
	size_t len = hdr & 0x7FFF;
	if (len > (size_t)(in->end - in->p))
		len = (size_t)(in->end - in->p);
	buf_append(out, in->p, len);
	in->p += len;
	if (hdr & 0x8000)
		return FUZZ_CHIP_CLEAR;
	if (len < 2) {
		buf_append_byte(out, 0x90);
		buf_append_byte(out, 0x00);
	}
	return FUZZ_CHIP_SM;
}

static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < n; i++)
		sink ^= p[i];
	(void)sink;
}

/* Each file to its own parser, whatever the others hold. */
static void parse_each(const pp_document *doc)
{
	size_t total;
	const pp_file *files[2 + PP_MAX_DG] = { &doc->com, &doc->sod };
	for (int i = 1; i <= PP_MAX_DG; i++)
		files[1 + i] = &doc->dg[i];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i]->present)
			(void)lds_file_length(files[i]->data, files[i]->len, &total);

	lds_com com;
	if (doc->com.present)
		(void)lds_com_parse(doc->com.data, doc->com.len, &com);
	const uint8_t *cms;
	size_t cms_len;
	if (doc->sod.present && lds_sod_unwrap(doc->sod.data, doc->sod.len, &cms, &cms_len) == LDS_OK)
		touch(cms, cms_len);
	lds_mrz mrz;
	if (doc->dg[1].present && lds_dg1_parse(doc->dg[1].data, doc->dg[1].len, &mrz) == LDS_OK)
		(void)lds_mrz_checks_ok(&mrz);
	lds_dg2 *dg2 = NULL;
	if (doc->dg[2].present && lds_dg2_parse(doc->dg[2].data, doc->dg[2].len, &dg2) == LDS_OK) {
		const lds_face *face = lds_dg2_face(dg2);
		if (face)
			touch(face->image, face->image_len);
		lds_dg2_free(dg2);
	}
	lds_dg11 *dg11 = NULL;
	if (doc->dg[11].present && lds_dg11_parse(doc->dg[11].data, doc->dg[11].len, &dg11) == LDS_OK)
		lds_dg11_free(dg11);
	lds_dg12 *dg12 = NULL;
	if (doc->dg[12].present && lds_dg12_parse(doc->dg[12].data, doc->dg[12].len, &dg12) == LDS_OK)
		lds_dg12_free(dg12);
	secinfo_list dg14;
	if (doc->dg[14].present && secinfo_parse(doc->dg[14].data, doc->dg[14].len, &dg14) == CRYPTO_OK)
		secinfo_list_free(&dg14);
	lds_dg15 *dg15 = NULL;
	if (doc->dg[15].present && lds_dg15_parse(doc->dg[15].data, doc->dg[15].len, &dg15) == LDS_OK)
		lds_dg15_free(dg15);
}

/* What `appm passport read` does with a document once read. */
static void report(const pp_document *doc)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	pp_report r = { .doc = (pp_document *)doc, .stage = PP_STAGE_VERIFY };
	char why[128];
	if (!pp_parse_document(doc, &r.parsed, why, sizeof(why)))
		return;
	pa_dg dgs[PA_MAX_DGS];
	size_t n = 0;
	for (int i = 1; i <= PP_MAX_DG && n < PA_MAX_DGS; i++)
		if (doc->dg[i].present)
			dgs[n++] = (pa_dg){ .number = i, .data = doc->dg[i].data, .len = doc->dg[i].len };
	char err[256];
	if (doc->sod.present &&
	    pa_verify(NULL, doc->sod.data, doc->sod.len, dgs, n, 1790000000, &r.pa, err, sizeof(err)) == CRYPTO_OK) {
		passport_report_print_json(devnull, &r, NULL);
		passport_report_print_summary(devnull, &r);
		char first[256];
		pp_pa_first_failure(&r.pa, first, sizeof(first));
	}
	pp_parsed_clear(&r.parsed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	input in = { data + 1, data + size };
	pp_transport_caps caps;
	pp_read_options opt;
	fuzz_chip_options(data[0], &caps, &opt);
	fuzz_chip *chip = fuzz_chip_new(&caps, next_chunk, &in);
	pp_transport *t = NULL;
	if (!chip || fuzz_chip_transport(chip, &t) != PP_OK)
		abort();
	pp_document *doc = NULL;
	char err[256];
	if (pp_read_document(t, &fuzz_chip_key, &opt, &doc, err, sizeof(err)) == PP_OK) {
		parse_each(doc);
		report(doc);
		pp_document_free(doc);
	}
	pp_transport_free(t);
	fuzz_chip_free(chip);
	return 0;
}
