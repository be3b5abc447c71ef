/*
 * face-internal — OpenJPEG over memory, for the face module and for the
 * code that makes face images for tests (devices/docgen, tests/lds), so
 * that the stream callbacks exist once: a stream reading a byte array, one
 * writing into a growable buf, silencing a codec's messages, and an RGB
 * picture encoded as JPEG 2000. Not for the kiosk: it only decodes
 * (face.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openjpeg.h>

#include "crypto/buf.h"
#include "crypto/lds/face.h"

/* ---- Streams (face-stream.c) ------------------------------------------ */

/* A stream reading data[0..len), which must outlive it; NULL when memory
 * runs out. Destroy it with opj_stream_destroy. */
opj_stream_t *face_opj_reader(const uint8_t *data, size_t len);
/* A stream writing into *out from its start, growing it as needed; a seek
 * or skip past the end (the JP2 writer seeks back to patch box lengths)
 * fills the gap with zeros. out must outlive the stream; check buf_ok(out)
 * after encoding. NULL when memory runs out. */
opj_stream_t *face_opj_writer(crypto_buf *out);
/* No info, warning or error messages from codec: library code does not
 * print. */
void face_opj_quiet(opj_codec_t *codec);

/* ---- Encoding (face-encode.c) ----------------------------------------- */

/* rgb (w × h × 3 bytes, rows top down) as JPEG 2000 in `format`
 * (FACE_FORMAT_JP2 or FACE_FORMAT_J2K), one quality layer at compression
 * ratio `rate` (0: lossless), with `resolutions` levels (0: OpenJPEG's
 * default of 6; small images need fewer). *ret is malloc'd.
 * FACE_ERR_ARG for an empty image or another format, FACE_ERR_ENCODE when
 * OpenJPEG fails. */
face_err face_j2k_encode(const uint8_t *rgb, unsigned w, unsigned h, face_format format, float rate,
                         unsigned resolutions, uint8_t **ret, size_t *ret_len);
