/*
 * sw — what a chip's status word (SW1 SW2, ISO/IEC 7816-4 section 5.6 and
 * ICAO 9303 part 11) means to the reading stack: one table, looked up by
 * every step, instead of comparisons spread over the protocols (OpenSC's
 * iso7816.c keeps its table the same way).
 *
 * Internal to hal/passport.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hal/passport/pp.h"

/* How a step should take a status. */
typedef enum pp_sw_kind {
	PP_SW_SUCCESS,      /* 9000; 6282 (end of file before Le) */
	PP_SW_MORE,         /* 61XX: more data (GET RESPONSE); 6CXX: ask again with Le XX */
	PP_SW_TRANSIENT,    /* 6F00, 6581, 6400: a chip at the edge of the field; ask again */
	PP_SW_NO_FILE,      /* 6A82 */
	PP_SW_WRONG_KEY,    /* 6300, 63CX: the access key is not this document's */
	PP_SW_BLOCKED,      /* 6983: the authentication method is blocked */
	PP_SW_SM_REFUSED,   /* 6987, 6988: the chip refuses our secure messaging */
	PP_SW_DENIED,       /* 6982, 6985: not allowed in this state */
	PP_SW_UNSUPPORTED,  /* 6A81, 6A88, 6D00, 6E00, 6881, 6882, 6884 */
	PP_SW_BAD_COMMAND,  /* 6700, 6A80, 6A86, 6B00, 6986, 6883: the command did not fit */
	PP_SW_OTHER,        /* anything else */
} pp_sw_kind;

pp_sw_kind pp_sw_kind_of(uint16_t sw);
/* The error a status that ends a step becomes: PP_ERR_FILE_NOT_FOUND for
 * 6A82, PP_ERR_BLOCKED for 6983, PP_ERR_ACCESS_DENIED for a wrong key,
 * PP_ERR_NOT_SUPPORTED for a refused function, else PP_ERR_STATUS. */
pp_err pp_sw_error(uint16_t sw);
/* ISO 7816-4's words for it, e.g. "security status not satisfied". */
const char *pp_sw_words(uint16_t sw);

/* "6982 (security status not satisfied)" into out; returns out. */
#define PP_SW_TEXT_LEN 72
const char *pp_sw_text(uint16_t sw, char out[PP_SW_TEXT_LEN]);
