/*
 * gen-corpus — writes the fuzz seed corpus from lds-fixtures: one small
 * valid file of each LDS type into DIR/lds/, and JPEG, JP2 and J2K images
 * into DIR/face/ (face/j2k-huge-declared, issue 14's header that declares
 * a 1 x 76682 image in 12781 tiles, is kept by hand beside them). Run by
 * hand when the fixtures change:
 *   build/tests/lds/lds-gen-corpus tests/fuzz/corpus
 * Keys are fresh each run, so DG15 seeds differ between runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lds/lds-fixtures.h"

static int write_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static int write_buf(const char *dir, const char *name, crypto_buf *b)
{
	int rc = buf_ok(b) ? write_file(dir, name, b->data, b->len) : -1;
	if (!buf_ok(b))
		fprintf(stderr, "%s: could not build\n", name);
	buf_free(b);
	return rc;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	char lds[4096], face[4096];
	snprintf(lds, sizeof lds, "%s/lds", argv[1]);
	snprintf(face, sizeof face, "%s/face", argv[1]);
	if (make_dir(argv[1]) || make_dir(lds) || make_dir(face))
		return 1;

	int rc = 0;
	crypto_buf b = CRYPTO_BUF_INIT;
	static const uint8_t tags[] = { 0x61, 0x75, 0x6B, 0x6C, 0x6E, 0x6F };
	fx_com(&b, tags, sizeof tags);
	rc |= write_buf(lds, "com", &b);
	fx_dg1(&b, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	           "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
	rc |= write_buf(lds, "dg1-td3", &b);
	fx_dg1(&b, "I<UTOD23145890<7349<<<<<<<<<<<"
	           "7408122F1204159UTO<<<<<<<<<<<6"
	           "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
	rc |= write_buf(lds, "dg1-td1", &b);
	fx_dg1(&b, "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
	           "D231458907UTO7408122F1204159<<<<<<<6");
	rc |= write_buf(lds, "dg1-td2", &b);
	fx_dg11(&b);
	rc |= write_buf(lds, "dg11", &b);
	fx_dg12(&b);
	rc |= write_buf(lds, "dg12", &b);
	fx_dg14(&b);
	rc |= write_buf(lds, "dg14", &b);
	if (!fx_dg15(&b, "P-256"))
		rc = 1;
	rc |= write_buf(lds, "dg15-ec", &b);
	if (!fx_dg15(&b, "rsa1024"))
		rc = 1;
	rc |= write_buf(lds, "dg15-rsa", &b);
	fx_sod(&b);
	rc |= write_buf(lds, "sod", &b);
	static const char mrz[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
	                          "L898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
	rc |= write_file(lds, "mrz-text", (const uint8_t *)mrz, strlen(mrz));

	static const struct { const char *name; int kind; } images[] = {
		{ "jpeg", 0 }, { "jp2", 1 }, { "j2k", 2 },
	};
	for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
		size_t len = 0;
		uint8_t *img = images[i].kind == 0 ? fx_jpeg(8, 8, &len) :
		               fx_jpeg2000(8, 8, images[i].kind == 1, &len);
		if (!img) {
			fprintf(stderr, "%s: could not encode\n", images[i].name);
			rc = 1;
			continue;
		}
		rc |= write_file(face, images[i].name, img, len);
		char name[32];
		snprintf(name, sizeof name, "dg2-%s", images[i].name);
		fx_dg2(&b, img, len, images[i].kind == 0 ? 0 : 1, 8, 8);
		rc |= write_buf(lds, name, &b);
		free(img);
	}
	return rc != 0;
}
