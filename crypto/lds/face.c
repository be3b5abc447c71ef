/*
 * face — JPEG and JPEG 2000 face images to RGB pixels; see face.h.
 *
 * OpenJPEG reads through a stream whose callbacks walk a memory buffer
 * (face_opj_reader, face-stream.c), so nothing touches the file system. Its
 * message handlers are silenced: library code does not print.
 */
#include "crypto/lds/face.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openjpeg.h>
#include <turbojpeg.h>

#include "crypto/lds/face-internal.h"

const char *face_strerror(face_err e)
{
	switch (e) {
	case FACE_OK: return "ok";
	case FACE_ERR_ARG: return "invalid argument";
	case FACE_ERR_NOMEM: return "out of memory";
	case FACE_ERR_FORMAT: return "the face image is neither JPEG nor JPEG 2000";
	case FACE_ERR_DECODE: return "the face image is corrupt and cannot be decoded";
	case FACE_ERR_TOO_LARGE: return "the face image is larger than any document photo may be";
	case FACE_ERR_UNSUPPORTED: return "the face image uses a colour layout this program does not convert";
	case FACE_ERR_ENCODE: return "the face image could not be encoded";
	}
	return "unknown face image error";
}

const char *face_format_name(face_format f)
{
	switch (f) {
	case FACE_FORMAT_JPEG: return "JPEG";
	case FACE_FORMAT_JP2: return "JP2";
	case FACE_FORMAT_J2K: return "J2K";
	}
	return "unknown";
}

const char *face_format_mime(face_format f)
{
	switch (f) {
	case FACE_FORMAT_JPEG: return "image/jpeg";
	case FACE_FORMAT_JP2: return "image/jp2";
	case FACE_FORMAT_J2K: return "image/j2k";
	}
	return "application/octet-stream";
}

face_err face_detect(const uint8_t *data, size_t len, face_format *ret)
{
	static const uint8_t jpeg[] = { 0xFF, 0xD8, 0xFF };
	static const uint8_t jp2[] = {
		0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
	};
	static const uint8_t j2k[] = { 0xFF, 0x4F, 0xFF, 0x51 };
	if ((!data && len) || !ret)
		return FACE_ERR_ARG;
	if (len >= sizeof jpeg && memcmp(data, jpeg, sizeof jpeg) == 0)
		*ret = FACE_FORMAT_JPEG;
	else if (len >= sizeof jp2 && memcmp(data, jp2, sizeof jp2) == 0)
		*ret = FACE_FORMAT_JP2;
	else if (len >= sizeof j2k && memcmp(data, j2k, sizeof j2k) == 0)
		*ret = FACE_FORMAT_J2K;
	else
		return FACE_ERR_FORMAT;
	return FACE_OK;
}

void face_image_free(face_image *img)
{
	if (!img)
		return;
	free(img->rgb);
	free(img);
}

static bool dims_ok(unsigned long w, unsigned long h)
{
	return w <= FACE_MAX_DIM && h <= FACE_MAX_DIM && (unsigned long long)w * h <= FACE_MAX_PIXELS;
}

static face_image *image_new(face_format format, unsigned w, unsigned h)
{
	face_image *img = calloc(1, sizeof *img);
	if (!img)
		return NULL;
	img->format = format;
	img->width = w;
	img->height = h;
	img->rgb_len = (size_t)w * h * 3;
	img->rgb = malloc(img->rgb_len);
	if (!img->rgb) {
		free(img);
		return NULL;
	}
	return img;
}

/* ---- JPEG ------------------------------------------------------------- */

static face_err decode_jpeg(const uint8_t *data, size_t len, face_image **ret)
{
	if (len > (unsigned long)-1)
		return FACE_ERR_TOO_LARGE;
	tjhandle tj = tjInitDecompress();
	if (!tj)
		return FACE_ERR_NOMEM;
	face_err e;
	face_image *img = NULL;
	/* A tables-only stream (or one cut before its frame header) "succeeds"
	 * without setting the size: start from zero. */
	int w = 0, h = 0, subsamp = 0, colorspace = 0;
	if (tjDecompressHeader3(tj, data, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0) {
		e = FACE_ERR_DECODE;
		goto out_destroy;
	}
	if (w <= 0 || h <= 0) {
		e = FACE_ERR_DECODE;
		goto out_destroy;
	}
	if (!dims_ok((unsigned long)w, (unsigned long)h)) {
		e = FACE_ERR_TOO_LARGE;
		goto out_destroy;
	}
	img = image_new(FACE_FORMAT_JPEG, (unsigned)w, (unsigned)h);
	if (!img) {
		e = FACE_ERR_NOMEM;
		goto out_destroy;
	}
	/* LIMITSCANS refuses progressive files built to take forever. */
	if (tjDecompress2(tj, data, (unsigned long)len, img->rgb, w, 0, h, TJPF_RGB,
	                  TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS) != 0 &&
	    tjGetErrorCode(tj) != TJERR_WARNING) {
		/* Warnings (stray bytes before a marker, a short last scan) are
		 * common in issued documents and leave a usable picture. */
		e = FACE_ERR_DECODE;
		goto out_free_image;
	}
	tjDestroy(tj);
	*ret = img;
	return FACE_OK;

out_free_image:
	face_image_free(img);
out_destroy:
	tjDestroy(tj);
	return e;
}

/* ---- JPEG 2000 -------------------------------------------------------- */

static uint8_t clamp8(long v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Component c's sample under image pixel (x, y), scaled to 0..255. */
static long sample(const opj_image_t *im, const opj_image_comp_t *c, unsigned x, unsigned y)
{
	long cx = (long)((im->x0 + x) / c->dx) - (long)c->x0;
	long cy = (long)((im->y0 + y) / c->dy) - (long)c->y0;
	if (cx < 0)
		cx = 0;
	if (cx >= (long)c->w)
		cx = (long)c->w - 1;
	if (cy < 0)
		cy = 0;
	if (cy >= (long)c->h)
		cy = (long)c->h - 1;
	long long v = c->data[(size_t)cy * c->w + (size_t)cx];
	if (c->sgnd)
		v += 1LL << (c->prec - 1);
	if (c->prec > 8)
		v >>= c->prec - 8;
	else if (c->prec < 8)
		v = v * 255 / ((1LL << c->prec) - 1);
	return v < 0 ? 0 : v > 255 ? 255 : (long)v;
}

static face_err j2k_to_rgb(const opj_image_t *im, face_format format, face_image **ret)
{
	unsigned w = im->x1 - im->x0, h = im->y1 - im->y0;
	bool gray = im->numcomps < 3 || im->color_space == OPJ_CLRSPC_GRAY;
	bool ycc = !gray && im->color_space == OPJ_CLRSPC_SYCC;
	if (im->color_space == OPJ_CLRSPC_CMYK || im->color_space == OPJ_CLRSPC_EYCC)
		return FACE_ERR_UNSUPPORTED;
	unsigned used = gray ? 1 : 3;
	for (unsigned i = 0; i < used; i++) {
		const opj_image_comp_t *c = &im->comps[i];
		if (!c->data || c->w == 0 || c->h == 0 || c->dx == 0 || c->dy == 0 ||
		    c->prec < 1 || c->prec > 16)
			return FACE_ERR_UNSUPPORTED;
	}
	face_image *img = image_new(format, w, h);
	if (!img)
		return FACE_ERR_NOMEM;
	uint8_t *o = img->rgb;
	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++, o += 3) {
			long a = sample(im, &im->comps[0], x, y);
			if (gray) {
				o[0] = o[1] = o[2] = (uint8_t)a;
				continue;
			}
			long b = sample(im, &im->comps[1], x, y);
			long c = sample(im, &im->comps[2], x, y);
			if (ycc) {
				/* ITU-R BT.601 full range, in 1/1000ths. */
				b -= 128;
				c -= 128;
				o[0] = clamp8(a + (1402 * c) / 1000);
				o[1] = clamp8(a - (344 * b + 714 * c) / 1000);
				o[2] = clamp8(a + (1772 * b) / 1000);
			} else {
				o[0] = (uint8_t)a;
				o[1] = (uint8_t)b;
				o[2] = (uint8_t)c;
			}
		}
	}
	*ret = img;
	return FACE_OK;
}

/* ---- JPEG 2000 header, read before OpenJPEG -------------------------- */

/*
 * OpenJPEG allocates while it reads the main header: per tile (several KB
 * each) and per component, from the sizes the header declares. A 112-byte
 * codestream declaring a 1 x 76682 image in 12781 tiles makes it take
 * 115 MB before opj_read_header returns and the size can be refused. So the
 * sizes are read here first, from the image header box of a JP2 file and
 * the SIZ marker segment of the codestream (ISO/IEC 15444-1, A.5.1 and
 * I.5.3.1), and anything larger than a document photo is refused without
 * OpenJPEG seeing it. Bytes too short to hold them are corrupt.
 */

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum {
	SIZ_FIXED_LEN = 38,   /* Lsiz .. Csiz */
	SIZ_COMP_LEN = 3,     /* Ssiz, XRsiz, YRsiz */
	IHDR_LEN = 14,        /* HEIGHT, WIDTH, NC, BPC, C, UnkC, IPR */
};

/* Tiles a face image may be cut into. Photos are one tile or a few; 1024
 * is a 4096 x 4096 image in 128 x 128 tiles. */
#define FACE_MAX_TILES 1024u

static face_err components_ok(unsigned long n)
{
	return n >= 1 && n <= 4 ? FACE_OK : FACE_ERR_UNSUPPORTED;
}

/* The codestream's SOC and SIZ: image and tile sizes, components. */
static face_err check_codestream(const uint8_t *p, size_t len)
{
	if (len < 4 + SIZ_FIXED_LEN || be16(p) != 0xFF4F || be16(p + 2) != 0xFF51)
		return FACE_ERR_DECODE;
	const uint8_t *siz = p + 4;
	uint64_t x1 = be32(siz + 4), y1 = be32(siz + 8), x0 = be32(siz + 12), y0 = be32(siz + 16);
	uint64_t tdx = be32(siz + 20), tdy = be32(siz + 24), tx0 = be32(siz + 28), ty0 = be32(siz + 32);
	uint32_t n = be16(siz + 36);
	if (be16(siz) != SIZ_FIXED_LEN + SIZ_COMP_LEN * n || len < 4 + SIZ_FIXED_LEN + SIZ_COMP_LEN * (size_t)n)
		return FACE_ERR_DECODE;
	/* The first tile must hold the image's first pixel (A.5.1). */
	if (x1 <= x0 || y1 <= y0 || tdx == 0 || tdy == 0 || tx0 > x0 || ty0 > y0 || tx0 + tdx <= x0 ||
	    ty0 + tdy <= y0)
		return FACE_ERR_DECODE;
	if (!dims_ok((unsigned long)(x1 - x0), (unsigned long)(y1 - y0)))
		return FACE_ERR_TOO_LARGE;
	uint64_t tiles = ((x1 - tx0 + tdx - 1) / tdx) * ((y1 - ty0 + tdy - 1) / tdy);
	if (tiles > FACE_MAX_TILES)
		return FACE_ERR_TOO_LARGE;
	for (uint32_t i = 0; i < n; i++)
		if (siz[SIZ_FIXED_LEN + SIZ_COMP_LEN * i + 1] == 0 || siz[SIZ_FIXED_LEN + SIZ_COMP_LEN * i + 2] == 0)
			return FACE_ERR_DECODE;
	return components_ok(n);
}

/* The box at p[0..len): its type and payload; false when it does not fit. */
static bool next_box(const uint8_t *p, size_t len, uint32_t *type, const uint8_t **payload, size_t *payload_len,
                     size_t *box_len)
{
	if (len < 8)
		return false;
	uint64_t lbox = be32(p);
	size_t header = 8;
	if (lbox == 1) {   /* the length follows as 64 bits */
		if (len < 16)
			return false;
		lbox = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
		header = 16;
	} else if (lbox == 0) {   /* the box runs to the end */
		lbox = len;
	}
	if (lbox < header)
		return false;
	*type = be32(p + 4);
	*payload = p + header;
	/* A box cut short (the image is truncated) is looked into as far as it
	 * goes; what is missing fails later. */
	*box_len = lbox < len ? (size_t)lbox : len;
	*payload_len = *box_len - header;
	return true;
}

/* A JP2 file: its image header box and the codestream in its jp2c box. */
static face_err check_jp2(const uint8_t *p, size_t len)
{
	uint32_t type;
	const uint8_t *payload;
	size_t payload_len, box_len;
	while (next_box(p, len, &type, &payload, &payload_len, &box_len)) {
		if (type == 0x6A703268) {   /* 'jp2h': its first box is 'ihdr' */
			uint32_t t;
			const uint8_t *ihdr;
			size_t ihdr_len, n;
			if (!next_box(payload, payload_len, &t, &ihdr, &ihdr_len, &n) || t != 0x69686472 ||
			    ihdr_len < IHDR_LEN)
				return FACE_ERR_DECODE;
			if (!dims_ok(be32(ihdr + 4), be32(ihdr)))
				return FACE_ERR_TOO_LARGE;
			face_err e = components_ok(be16(ihdr + 8));
			if (e != FACE_OK)
				return e;
		} else if (type == 0x6A703263) {   /* 'jp2c' */
			return check_codestream(payload, payload_len);
		}
		p += box_len;
		len -= box_len;
	}
	return FACE_ERR_DECODE;
}

static face_err decode_j2k(const uint8_t *data, size_t len, face_format format, face_image **ret)
{
	face_err e = format == FACE_FORMAT_JP2 ? check_jp2(data, len) : check_codestream(data, len);
	if (e != FACE_OK)
		return e;
	opj_image_t *im = NULL;
	opj_stream_t *st = face_opj_reader(data, len);
	if (!st)
		return FACE_ERR_NOMEM;

	opj_codec_t *codec = opj_create_decompress(format == FACE_FORMAT_JP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	if (!codec) {
		e = FACE_ERR_NOMEM;
		goto out_stream;
	}
	face_opj_quiet(codec);
	opj_dparameters_t params;
	opj_set_default_decoder_parameters(&params);
	if (!opj_setup_decoder(codec, &params)) {
		e = FACE_ERR_DECODE;
		goto out_codec;
	}
	if (!opj_read_header(st, codec, &im)) {
		e = FACE_ERR_DECODE;
		goto out_codec;
	}
	/* Checked above already; what OpenJPEG made of the header must agree. */
	if (im->x1 <= im->x0 || im->y1 <= im->y0) {
		e = FACE_ERR_DECODE;
		goto out_image;
	}
	if (!dims_ok(im->x1 - im->x0, im->y1 - im->y0)) {
		e = FACE_ERR_TOO_LARGE;
		goto out_image;
	}
	if (im->numcomps < 1 || im->numcomps > 4) {
		e = FACE_ERR_UNSUPPORTED;
		goto out_image;
	}
	if (!opj_decode(codec, st, im) || !opj_end_decompress(codec, st)) {
		e = FACE_ERR_DECODE;
		goto out_image;
	}
	e = j2k_to_rgb(im, format, ret);

out_image:
	opj_image_destroy(im);
out_codec:
	opj_destroy_codec(codec);
out_stream:
	opj_stream_destroy(st);
	return e;
}

face_err face_decode(const uint8_t *data, size_t len, face_image **ret)
{
	face_format f;
	if (!ret)
		return FACE_ERR_ARG;
	face_err e = face_detect(data, len, &f);
	if (e != FACE_OK)
		return e;
	switch (f) {
	case FACE_FORMAT_JPEG:
		return decode_jpeg(data, len, ret);
	case FACE_FORMAT_JP2:
	case FACE_FORMAT_J2K:
		return decode_j2k(data, len, f, ret);
	}
	return FACE_ERR_FORMAT;
}
