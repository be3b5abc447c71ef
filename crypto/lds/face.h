/*
 * face — decoding the face image stored in DG2 (or any JPEG / JPEG 2000
 * bytes) into 8-bit RGB pixels, for display and for face comparison.
 *
 * JPEG goes through libturbojpeg; JPEG 2000, both the JP2 file format and a
 * bare J2K codestream, through OpenJPEG reading from memory. The format is
 * taken from the image's own signature, not from what the 19794-5 record
 * claims. Images larger than FACE_MAX_DIM on a side or FACE_MAX_PIXELS in
 * all, or (JPEG 2000) cut into more tiles than a photo needs, are refused
 * from the sizes their header declares, before the decoder is given them or
 * takes any memory for them. Nothing here prints.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum face_err {
	FACE_OK = 0,
	FACE_ERR_ARG,           /* caller error */
	FACE_ERR_NOMEM,
	FACE_ERR_FORMAT,        /* neither JPEG nor JPEG 2000 */
	FACE_ERR_DECODE,        /* the image is corrupt: undecodable */
	FACE_ERR_TOO_LARGE,     /* larger than FACE_MAX_DIM or FACE_MAX_PIXELS, or too many tiles */
	FACE_ERR_UNSUPPORTED,   /* a valid image this code does not convert */
	FACE_ERR_ENCODE,        /* face_j2k_encode (face-internal.h): OpenJPEG failed */
} face_err;

const char *face_strerror(face_err e);

typedef enum face_format {
	FACE_FORMAT_JPEG,
	FACE_FORMAT_JP2,        /* JPEG 2000 in its file format (boxes) */
	FACE_FORMAT_J2K,        /* JPEG 2000 codestream */
} face_format;

const char *face_format_name(face_format f);   /* "JPEG", "JP2", "J2K" */
/* MIME type for saving or serving: image/jpeg, image/jp2, image/j2k. */
const char *face_format_mime(face_format f);

/* A chip's face photo is a few hundred to a few thousand pixels a side
 * (ICAO 9303 part 10 and ISO/IEC 19794-5 ask for at least 240 x 320). */
#define FACE_MAX_DIM 4096u
#define FACE_MAX_PIXELS (4096u * 1024u)

typedef struct face_image {
	face_format format;
	unsigned width, height;
	uint8_t *rgb;           /* width * height * 3 bytes, rows top down */
	size_t rgb_len;
} face_image;

/* The format from the first bytes; FACE_ERR_FORMAT when none matches. */
face_err face_detect(const uint8_t *data, size_t len, face_format *ret);

/* Decode data[0..len) to RGB. */
face_err face_decode(const uint8_t *data, size_t len, face_image **ret);
void face_image_free(face_image *img);
