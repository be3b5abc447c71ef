/*
 * fuzz-chip — a pretend e-passport chip behind an in-process pp_transport,
 * shared by the fuzzing reader (fuzz-reader.c) and the seed generator
 * (gen-corpus.c). It does the part a fuzzer cannot: application selection,
 * BAC with the real card-side code (bac_card_respond) for one fixed MRZ, and
 * secure messaging (sm_card_unwrap_command / sm_card_wrap_response). What
 * the chip answers to each protected command comes from a callback: the
 * fuzz input in fuzz-reader, a file-system oracle in the seed generator.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "hal/passport/reader.h"
#include "hal/passport/transport.h"

/* The document the chip's BAC keys come from (ICAO 9303 part 11 worked
 * example); the reader is given the same key. */
extern const pp_access_key fuzz_chip_key;

typedef enum fuzz_chip_answer {
	FUZZ_CHIP_SM,       /* out: plain data || SW1 SW2, sent wrapped */
	FUZZ_CHIP_CLEAR,    /* out: the raw response, sent as is (ends SM) */
	FUZZ_CHIP_REMOVED,  /* the card left the field: no answer */
} fuzz_chip_answer;

/* Answer one protected command, given as the chip sees it once unwrapped.
 * `out` is empty on entry. */
typedef fuzz_chip_answer (*fuzz_chip_answer_cb)(void *user, const crypto_apdu *cmd, crypto_buf *out);

typedef struct fuzz_chip fuzz_chip;

/* fuzz-reader's options byte: bit 0 short_only; bit 1 a reader without
 * extended length; bits 2-3 max_read 0 (as large as possible), 223, 1024
 * or 64. */
void fuzz_chip_options(uint8_t flags, pp_transport_caps *ret_caps, pp_read_options *ret_opt);

/* caps: what the pretend reader reports (extended length, sizes). */
fuzz_chip *fuzz_chip_new(const pp_transport_caps *caps, fuzz_chip_answer_cb cb, void *user);
void fuzz_chip_free(fuzz_chip *c);
/* A transport driven by the chip (the chip must outlive it). */
pp_err fuzz_chip_transport(fuzz_chip *c, pp_transport **ret);
/* Protected commands answered through the callback so far. */
unsigned long fuzz_chip_answers(const fuzz_chip *c);
