/*
 * lds-fixtures — builders of small, valid LDS files for the LDS tests, the
 * fuzz seed corpus generator and anyone who needs a known-good DG: EF.COM,
 * DG1 from MRZ text, DG2 around a JPEG or JPEG 2000 image encoded here,
 * DG11, DG12, DG14, DG15 and a stand-in EF.SOD. Each appends the whole file
 * (outer tag included) to a buf; callers check buf_ok().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/buf.h"

/* EF.COM listing the given DG tags (61, 75, ...), LDS 1.7, Unicode 4.0.0. */
void fx_com(crypto_buf *b, const uint8_t *tags, size_t n_tags);

/* DG1 holding the MRZ lines run together (88, 72 or 90 characters). */
void fx_dg1(crypto_buf *b, const char *mrz);

/* The test picture: a w × h RGB gradient with a dark square, so decoded
 * pixels can be compared with what was encoded. */
void fx_pixel(unsigned x, unsigned y, uint8_t rgb[3]);

/* Encoded images of the test picture (malloc'd; NULL on failure). */
uint8_t *fx_jpeg(unsigned w, unsigned h, size_t *ret_len);
uint8_t *fx_jpeg2000(unsigned w, unsigned h, bool jp2, size_t *ret_len);

/* ISO/IEC 19794-5 face record around image (one face, n_points points). */
void fx_face_record(crypto_buf *b, const uint8_t *image, size_t len, uint8_t data_type,
                    unsigned w, unsigned h, unsigned n_points);
/* DG2 with one BIT whose BDB is that face record. */
void fx_dg2(crypto_buf *b, const uint8_t *image, size_t len, uint8_t data_type,
            unsigned w, unsigned h);

/* DG11 and DG12 with every element the tests check (see the .c). */
void fx_dg11(crypto_buf *b);
void fx_dg12(crypto_buf *b);

/* DG14 with a ChipAuthenticationInfo and an ActiveAuthenticationInfo. */
void fx_dg14(crypto_buf *b);

/* DG15 holding a fresh key: "rsa1024", "P-256" or "brainpoolP256r1"
 * ("explicit-" before a curve writes its parameters out). false when the
 * key cannot be made. */
bool fx_dg15(crypto_buf *b, const char *kind);

/* EF.SOD around a tiny stand-in ContentInfo (not a valid signature). */
void fx_sod(crypto_buf *b);
