/*
 * lds-fixtures — small valid LDS files built from scratch; see
 * lds-fixtures.h. Images are encoded here with libturbojpeg and with
 * crypto/lds's JPEG 2000 encoder (to memory), keys made here with OpenSSL,
 * so no test data file is needed.
 */
#include "tests/lds/lds-fixtures.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <turbojpeg.h>

#include "crypto/lds/face-internal.h"

void fx_com(crypto_buf *b, const uint8_t *tags, size_t n_tags)
{
	crypto_buf v = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x5F01, "0107", 4);
	buf_append_tlv(&v, 0x5F36, "040000", 6);
	buf_append_tlv(&v, 0x5C, tags, n_tags);
	buf_append_tlv(b, 0x60, v.data, v.len);
	if (!buf_ok(&v))
		b->failed = true;
	buf_free(&v);
}

void fx_dg1(crypto_buf *b, const char *mrz)
{
	crypto_buf v = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x5F1F, mrz, strlen(mrz));
	buf_append_tlv(b, 0x61, v.data, v.len);
	if (!buf_ok(&v))
		b->failed = true;
	buf_free(&v);
}

void fx_pixel(unsigned x, unsigned y, uint8_t rgb[3])
{
	bool dark = x >= 4 && x < 12 && y >= 4 && y < 12;
	rgb[0] = dark ? 20 : (uint8_t)(40 + x * 6);
	rgb[1] = dark ? 20 : (uint8_t)(40 + y * 6);
	rgb[2] = dark ? 20 : 200;
}

uint8_t *fx_jpeg(unsigned w, unsigned h, size_t *ret_len)
{
	uint8_t *pixels = malloc((size_t)w * h * 3);
	if (!pixels)
		return NULL;
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			fx_pixel(x, y, pixels + ((size_t)y * w + x) * 3);
	tjhandle tj = tjInitCompress();
	unsigned char *jpeg = NULL;
	unsigned long jpeg_len = 0;
	uint8_t *out = NULL;
	if (tj && tjCompress2(tj, pixels, (int)w, 0, (int)h, TJPF_RGB, &jpeg, &jpeg_len,
	                      TJSAMP_444, 95, TJFLAG_ACCURATEDCT) == 0) {
		out = malloc(jpeg_len);
		if (out) {
			memcpy(out, jpeg, jpeg_len);
			*ret_len = jpeg_len;
		}
	}
	tjFree(jpeg);
	if (tj)
		tjDestroy(tj);
	free(pixels);
	return out;
}

uint8_t *fx_jpeg2000(unsigned w, unsigned h, bool jp2, size_t *ret_len)
{
	uint8_t *pixels = malloc((size_t)w * h * 3);
	if (!pixels)
		return NULL;
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			fx_pixel(x, y, pixels + ((size_t)y * w + x) * 3);
	uint8_t *out = NULL;
	/* Lossless, and few resolution levels: the images are small. */
	if (face_j2k_encode(pixels, w, h, jp2 ? FACE_FORMAT_JP2 : FACE_FORMAT_J2K, 0, 3, &out, ret_len) != FACE_OK)
		out = NULL;
	free(pixels);
	return out;
}

static void put16(crypto_buf *b, unsigned v)
{
	buf_append_byte(b, (uint8_t)(v >> 8));
	buf_append_byte(b, (uint8_t)v);
}

static void put32(crypto_buf *b, size_t v)
{
	put16(b, (unsigned)(v >> 16) & 0xFFFF);
	put16(b, (unsigned)v & 0xFFFF);
}

void fx_face_record(crypto_buf *b, const uint8_t *image, size_t len, uint8_t data_type,
                    unsigned w, unsigned h, unsigned n_points)
{
	size_t face_len = 20 + 8 * (size_t)n_points + 12 + len;
	buf_append(b, "FAC\0" "010\0", 8);
	put32(b, 14 + face_len);
	put16(b, 1);
	put32(b, face_len);
	put16(b, n_points);
	buf_append_byte(b, 2);          /* gender: female */
	buf_append_byte(b, 3);          /* eye colour: brown */
	buf_append_byte(b, 4);          /* hair colour: brown */
	buf_append(b, "\x00\x00\x01", 3);   /* feature mask: features specified */
	put16(b, 1);                    /* expression: neutral */
	buf_append(b, "\x00\x00\x00", 3);   /* pose angles */
	buf_append(b, "\x00\x00\x00", 3);   /* uncertainties */
	for (unsigned i = 0; i < n_points; i++) {
		buf_append_byte(b, 1);
		buf_append_byte(b, (uint8_t)(0x30 + i + 1));  /* 3.(i+1): eyes */
		put16(b, 100 + i);
		put16(b, 200 + i);
		put16(b, 0);
	}
	buf_append_byte(b, 1);          /* full frontal */
	buf_append_byte(b, data_type);
	put16(b, w);
	put16(b, h);
	buf_append_byte(b, 1);          /* colour space: 24-bit RGB */
	buf_append_byte(b, 2);          /* source: digital still */
	put16(b, 0);
	put16(b, 0);
	buf_append(b, image, len);
}

void fx_dg2(crypto_buf *b, const uint8_t *image, size_t len, uint8_t data_type,
            unsigned w, unsigned h)
{
	crypto_buf header = CRYPTO_BUF_INIT, bdb = CRYPTO_BUF_INIT, bit = CRYPTO_BUF_INIT, group = CRYPTO_BUF_INIT;
	buf_append_tlv(&header, 0x80, "\x01\x01", 2);
	buf_append_tlv(&header, 0x81, "\x02", 1);
	buf_append_tlv(&header, 0x83, "\x20\x12\x04\x15\x10\x30\x00", 7);
	buf_append_tlv(&header, 0x86, "\x00\x2A", 2);
	buf_append_tlv(&header, 0x87, "\x01\x01", 2);
	buf_append_tlv(&header, 0x88, "\x00\x08", 2);
	fx_face_record(&bdb, image, len, data_type, w, h, 2);
	buf_append_tlv(&bit, 0xA1, header.data, header.len);
	buf_append_tlv(&bit, 0x5F2E, bdb.data, bdb.len);
	buf_append_tlv(&group, 0x02, "\x01", 1);
	buf_append_tlv(&group, 0x7F60, bit.data, bit.len);
	crypto_buf v = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x7F61, group.data, group.len);
	buf_append_tlv(b, 0x75, v.data, v.len);
	if (!buf_ok(&header) || !buf_ok(&bdb) || !buf_ok(&bit) || !buf_ok(&group) || !buf_ok(&v))
		b->failed = true;
	buf_free(&header);
	buf_free(&bdb);
	buf_free(&bit);
	buf_free(&group);
	buf_free(&v);
}

static void text(crypto_buf *b, uint32_t tag, const char *s)
{
	buf_append_tlv(b, tag, s, strlen(s));
}

void fx_dg11(crypto_buf *b)
{
	static const uint8_t tags[] = {
		0x5F, 0x0E, 0x5F, 0x0F, 0x5F, 0x10, 0x5F, 0x2B, 0x5F, 0x11,
		0x5F, 0x42, 0x5F, 0x12, 0x5F, 0x13, 0x5F, 0x14, 0x5F, 0x15,
		0x5F, 0x16, 0x5F, 0x17, 0x5F, 0x18,
	};
	crypto_buf v = CRYPTO_BUF_INIT, names = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x5C, tags, sizeof tags);
	text(&v, 0x5F0E, "ERIKSSON<<ANNA<MARIA");
	buf_append_tlv(&names, 0x02, "\x02", 1);
	text(&names, 0x5F0F, "ERIKSSON<<ANNA");
	text(&names, 0x5F0F, "SVENSSON<<ANNA<MARIA");
	buf_append_tlv(&v, 0xA0, names.data, names.len);
	text(&v, 0x5F10, "123456789");
	buf_append_tlv(&v, 0x5F2B, "\x19\x74\x08\x12", 4);   /* BCD date */
	text(&v, 0x5F11, "Malm\xF6");                          /* Latin-1 */
	text(&v, 0x5F42, "Jl. Merdeka 1<Jakarta");
	text(&v, 0x5F12, "+62 21 555 0100");
	text(&v, 0x5F13, "Engineer");
	text(&v, 0x5F14, "Dr.");
	text(&v, 0x5F15, "Test person, do not issue");
	buf_append_tlv(&v, 0x5F16, "\x01\x02\x03\x00\x04", 5);
	text(&v, 0x5F17, "X1234567");
	text(&v, 0x5F18, "none");
	buf_append_tlv(b, 0x6B, v.data, v.len);
	if (!buf_ok(&v) || !buf_ok(&names))
		b->failed = true;
	buf_free(&v);
	buf_free(&names);
}

void fx_dg12(crypto_buf *b)
{
	static const uint8_t tags[] = {
		0x5F, 0x19, 0x5F, 0x26, 0x5F, 0x1A, 0x5F, 0x1B, 0x5F, 0x1C,
		0x5F, 0x1D, 0x5F, 0x1E, 0x5F, 0x55, 0x5F, 0x56,
	};
	crypto_buf v = CRYPTO_BUF_INIT, persons = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x5C, tags, sizeof tags);
	text(&v, 0x5F19, "Direktorat Jenderal Imigrasi");
	text(&v, 0x5F26, "20120415");
	buf_append_tlv(&persons, 0x02, "\x01", 1);
	text(&persons, 0x5F1A, "ERIKSSON<<ERIK");
	buf_append_tlv(&v, 0xA0, persons.data, persons.len);
	text(&v, 0x5F1B, "None");
	text(&v, 0x5F1C, "No exit tax");
	buf_append_tlv(&v, 0x5F1D, "\xFF\xD8\xFF\xD9", 4);
	buf_append_tlv(&v, 0x5F1E, "\xFF\xD8\xFF\x00\xD9", 5);
	buf_append_tlv(&v, 0x5F55, "\x20\x12\x04\x15\x10\x30\x00", 7);
	text(&v, 0x5F56, "SN-0042");
	buf_append_tlv(b, 0x6C, v.data, v.len);
	if (!buf_ok(&v) || !buf_ok(&persons))
		b->failed = true;
	buf_free(&v);
	buf_free(&persons);
}

void fx_dg14(crypto_buf *b)
{
	/* id-CA-ECDH-AES-CBC-CMAC-128 and id-icao-mrtd-security-aaProtocolObject */
	static const uint8_t ca_oid[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02 };
	static const uint8_t aa_oid[] = { 0x67, 0x81, 0x08, 0x01, 0x01, 0x05 };
	static const uint8_t ecdsa_sha256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 };
	crypto_buf ca = CRYPTO_BUF_INIT, aa = CRYPTO_BUF_INIT, set = CRYPTO_BUF_INIT;
	buf_append_tlv(&ca, 0x06, ca_oid, sizeof ca_oid);
	buf_append_tlv(&ca, 0x02, "\x01", 1);
	buf_append_tlv(&aa, 0x06, aa_oid, sizeof aa_oid);
	buf_append_tlv(&aa, 0x02, "\x01", 1);
	buf_append_tlv(&aa, 0x06, ecdsa_sha256, sizeof ecdsa_sha256);
	buf_append_tlv(&set, 0x30, ca.data, ca.len);
	buf_append_tlv(&set, 0x30, aa.data, aa.len);
	crypto_buf v = CRYPTO_BUF_INIT;
	buf_append_tlv(&v, 0x31, set.data, set.len);
	buf_append_tlv(b, 0x6E, v.data, v.len);
	if (!buf_ok(&ca) || !buf_ok(&aa) || !buf_ok(&set) || !buf_ok(&v))
		b->failed = true;
	buf_free(&ca);
	buf_free(&aa);
	buf_free(&set);
	buf_free(&v);
}

static EVP_PKEY *make_key(const char *kind)
{
	if (strcmp(kind, "rsa1024") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	bool explicit = strncmp(kind, "explicit-", 9) == 0;
	const char *curve = explicit ? kind + 9 : kind;
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING,
			explicit ? (char *)OSSL_PKEY_EC_ENCODING_EXPLICIT : (char *)OSSL_PKEY_EC_ENCODING_GROUP, 0),
		OSSL_PARAM_construct_end(),
	};
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_params(ctx, params) > 0)
		EVP_PKEY_generate(ctx, &key);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

bool fx_dg15(crypto_buf *b, const char *kind)
{
	EVP_PKEY *key = make_key(kind);
	if (!key)
		return false;
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	EVP_PKEY_free(key);
	if (n <= 0)
		return false;
	buf_append_tlv(b, 0x6F, der, (size_t)n);
	OPENSSL_free(der);
	return buf_ok(b);
}

void fx_sod(crypto_buf *b)
{
	/* ContentInfo { id-signedData, [0] { } }: the right shape, no content. */
	static const uint8_t content_info[] = {
		0x30, 0x0F, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
		0xA0, 0x02, 0x30, 0x00,
	};
	buf_append_tlv(b, 0x77, content_info, sizeof content_info);
}
