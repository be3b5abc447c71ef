/*
 * speech — the kiosk's spoken prompts: a screen's words rendered to audio
 * by espeak-ng (the library, in process), as WAV bytes the page plays.
 * Only the kiosk's languages are spoken (Bahasa Indonesia "id", English
 * "en"), only prompts of a prompt's length; what has been rendered is
 * kept in a small cache (by language and text, least recently used
 * dropped first), so that a screen seen again is not rendered again.
 *
 * espeak-ng is one engine per process with global state and no locking:
 * every call into it is made under one lock here, from any thread (the
 * page server's connection threads render). The engine is started by the
 * first speech_new and kept until the process ends — espeak-ng 1.51's
 * espeak_ng_Terminate never returns in synchronous mode — so every
 * speech object of a process shares it, with the data it was started on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

typedef enum speech_err {
	SPEECH_OK = 0,
	SPEECH_ERR_ARG,
	SPEECH_ERR_NOMEM,
	SPEECH_ERR_NO_DATA,     /* espeak-ng's data, or a language's voice in it, is not installed */
	SPEECH_ERR_ENGINE,      /* espeak-ng failed otherwise */
	SPEECH_ERR_BUSY,        /* the engine already runs on other data (it cannot be restarted) */
	SPEECH_ERR_LANGUAGE,    /* not a language the kiosk speaks */
	SPEECH_ERR_TOO_LONG,    /* the text, or its audio, is longer than a prompt may be */
} speech_err;

const char *speech_strerror(speech_err e);

/* The longest text spoken, in bytes of UTF-8, and the longest audio. */
#define SPEECH_MAX_TEXT 1024
#define SPEECH_MAX_AUDIO_S 90
/* What the cache keeps at most. Every screen's prompt and every face
 * prompt, in both languages, fits: 82 texts, 14 MB of WAV (38 screens'
 * 9 MB, 44 face prompts' 5 MB). */
#define SPEECH_CACHE_MAX_ENTRIES 128
#define SPEECH_CACHE_MAX_BYTES (32u << 20)

typedef struct speech speech;

typedef struct speech_options {
	/* The folder holding espeak-ng's data (phontab, voices, dictionaries),
	 * or the folder above an espeak-ng-data folder; NULL: espeak-ng's own
	 * default (ESPEAK_DATA_PATH, else Debian's installed data). */
	const char *data_path;
} speech_options;

/* ---- life ---- */

/* Start (or join) the engine and check that every language's voice is
 * there. On failure, words in message (message_len bytes). */
speech_err speech_new(const speech_options *o, speech **ret, char *message, size_t message_len);
/* Frees the cache; the engine stays for the process. NULL is fine. */
void speech_free(speech *sp);

/* ---- rendering ---- */

/* Whether lang is one of the kiosk's spoken languages ("id", "en"). */
bool speech_has_language(const char *lang);
/* text (UTF-8) spoken in lang, as a WAV file: RIFF, PCM, mono, 16-bit,
 * at espeak-ng's sample rate. *ret_wav is a new reference (g_bytes_unref
 * it), the cache's own bytes when the text was rendered before; untouched
 * on failure. Any thread. */
speech_err speech_render(speech *sp, const char *lang, const char *text, GBytes **ret_wav);
/* The same for words that belong to one applicant (their fee, their
 * application number): rendered every time, never kept in the cache. */
speech_err speech_render_private(speech *sp, const char *lang, const char *text, GBytes **ret_wav);

/* ---- what it did ---- */

typedef struct speech_stats {
	unsigned sample_rate;    /* Hz */
	unsigned renders;        /* texts rendered by espeak-ng */
	unsigned hits;           /* answers from the cache */
	unsigned entries;        /* in the cache now */
	size_t bytes;            /* of WAV in the cache now */
} speech_stats;

void speech_get_stats(speech *sp, speech_stats *ret);
