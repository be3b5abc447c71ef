/*
 * fixture — helpers the docgen and pa tests share: a scratch directory that
 * is removed afterwards, reading a generated file, making a PKI or a
 * document with the docgen library in-process, loading a trust store, and
 * running the appm-docgen command (a failure fails the test).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/pa.h"
#include "devices/docgen/docgen.h"
#include "hal/passport/reader.h"

/* A new directory under $TMPDIR (or /tmp); free the string with fx_rmtree. */
char *fx_tmpdir(void);
/* Remove the directory and everything in it, then free the path. */
void fx_rmtree(char *dir);

/* "<a>/<b>" in a small static ring of buffers: for immediate use only. */
const char *fx_path(const char *a, const char *b);
/* "<a>/<b>" that stays valid for the whole run (a pool of 256). */
const char *fx_keep_path(const char *a, const char *b);

/* The whole file; NULL if it cannot be read. Free with free(). */
uint8_t *fx_read(const char *path, size_t *ret_len);
bool fx_exists(const char *path);
void fx_write(const char *path, const uint8_t *data, size_t len);

/* Make a PKI in <root>/<name>; returns its path (valid for the run). */
const char *fx_pki(const char *root, const char *name, const docgen_pki_opts *opts);

/* A document from a persona name (devices/data) with the given options; the
 * pki_dir, persona and out_dir fields of opts are filled in here. */
const char *fx_doc(const char *root, const char *name, const char *pki_dir,
                   const char *persona, docgen_doc_opts opts);

/* The MRZ part of the access key from a document's document.txt (the CAN
 * is left empty). */
void fx_doc_access_key(const char *doc_dir, pp_access_key *ret);

/* The value of key= in a document.txt, or "" (static buffer). */
const char *fx_doc_value(const char *doc_dir, const char *key);

/* The trust store at path (pp_trust_load, hal/passport/trust.h); a load
 * that fails fails the test with its message. Free with pa_trust_free. */
pa_trust *fx_trust(const char *path);

/* Run $APPM_DOCGEN (which must be set) with the arguments fmt makes, its
 * output discarded; returns its exit status. */
int fx_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
