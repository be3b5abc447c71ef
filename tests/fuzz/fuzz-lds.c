/*
 * fuzz-lds — libFuzzer target for the LDS parsers: the input is handed to
 * every parser (file length, EF.COM, DG1, DG2, DG11, DG12, DG14 through
 * crypto/secinfo, DG15, EF.SOD) and, as text, to the typed-MRZ parser. Each parser checks the
 * outer tag first, so the seed of each file type reaches its own parser
 * while the others reject it at once. Built with -fsanitize=fuzzer for
 * fuzzing, and with replay.c as a plain program that runs the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/lds/lds.h"
#include "crypto/secinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total;
	(void)lds_file_length(data, size, &total);

	lds_com com;
	(void)lds_com_parse(data, size, &com);

	lds_mrz mrz;
	if (lds_dg1_parse(data, size, &mrz) == LDS_OK)
		(void)lds_mrz_checks_ok(&mrz);

	lds_dg2 *dg2 = NULL;
	if (lds_dg2_parse(data, size, &dg2) == LDS_OK) {
		/* Touch every byte the result points at. */
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < dg2->n_bits; i++) {
			const lds_bit *b = &dg2->bits[i];
			for (size_t j = 0; j < b->bdb_len; j++)
				sink ^= b->bdb[j];
			for (size_t j = 0; j < b->n_faces; j++) {
				for (size_t k = 0; k < b->faces[j].image_len; k++)
					sink ^= b->faces[j].image[k];
				for (size_t k = 0; k < b->faces[j].n_points; k++)
					sink ^= b->faces[j].points[k].minor;
			}
		}
		(void)sink;
		lds_dg2_free(dg2);
	}

	lds_dg11 *dg11 = NULL;
	if (lds_dg11_parse(data, size, &dg11) == LDS_OK) {
		for (size_t i = 0; i < dg11->n_other_names; i++)
			(void)strlen(dg11->other_names[i]);
		lds_dg11_free(dg11);
	}

	lds_dg12 *dg12 = NULL;
	if (lds_dg12_parse(data, size, &dg12) == LDS_OK)
		lds_dg12_free(dg12);

	secinfo_list dg14;
	if (secinfo_parse(data, size, &dg14) == CRYPTO_OK)
		secinfo_list_free(&dg14);

	lds_dg15 *dg15 = NULL;
	if (lds_dg15_parse(data, size, &dg15) == LDS_OK)
		lds_dg15_free(dg15);

	const uint8_t *cms;
	size_t cms_len;
	(void)lds_sod_unwrap(data, size, &cms, &cms_len);

	/* The MRZ text parser reads a C string. */
	if (size <= 4096) {
		char *text = malloc(size + 1);
		if (text) {
			memcpy(text, data, size);
			text[size] = '\0';
			(void)lds_mrz_parse_text(text, &mrz);
			free(text);
		}
	}
	return 0;
}
