/*
 * vpass — a virtual e-passport chip: the card side of ICAO 9303 (parts 10
 * and 11) over ISO 7816-4 APDUs. It holds a document (the LDS files as raw
 * bytes plus the MRZ data that BAC keys come from), answers application and
 * file selection, GET CHALLENGE, EXTERNAL AUTHENTICATE (BAC) and READ BINARY
 * (B0 and B1) under 3DES secure messaging, and can be told to misbehave the
 * way real chips and readers do: refuse extended length, answer in small
 * pieces, leave the field, fail a read, send a wrong MAC.
 *
 * The same chip serves the in-process reader (hal/passport/sim.h, the
 * `sim:` connection string) and pcscd through vpcd (devices/vpassd).
 * Nothing here is thread-safe; one owner drives a card.
 *
 * What a reader sees (status words):
 *   LDS file (EF.COM, EF.SOD, DGn) selected or read without BAC   6982
 *   EF.CardAccess under the MF: readable in the clear, if present
 *   EXTERNAL AUTHENTICATE with the wrong MRZ keys                  6300
 *     (no challenge before it: 6985; each challenge serves one try)
 *   plain command during a session                                 6987
 *     (except GET CHALLENGE and SELECT of the application, which
 *     start over); SM command without DO'8E                        6987
 *   wrong MAC, or SM command with no session                       6988
 *   extended-length APDU when short_only                           6700
 *   READ BINARY at or past the end                                 6B00
 *   a read reaching the end: the remaining bytes, 9000
 *   transient failure (fail_reads)                                 6F00
 *   unknown INS / CLA                                              6D00 / 6E00
 *   INTERNAL AUTHENTICATE (active authentication, 00 88 00 00, an
 *     8-byte challenge, under SM): the signature (crypto/aa.h), 9000;
 *     no AA key in the document                                    6D00
 *     without a BAC session                                        6982
 *     P1 P2 not 00 00                                              6A86
 *     challenge not 8 bytes, no Le, or a signature longer than Le  6700
 *   GET CHALLENGE, EXTERNAL AUTHENTICATE on a PACE-only chip
 *     (refuse_bac)                                                 that status
 *   READ BINARY naming its file by SFI when sfi_refuse is set (for the
 *     SFIs outside sfi_only when that is set too)                  sfi_refuse
 *   READ BINARY by an SFI outside sfi_only (sfi_refuse 0)          6A82
 *   EF.CardAccess by a selection variant the chip does not know
 *     (card_access_select): SELECT by file id with P1 other than
 *     00 or from the application, SELECT without Le, READ BINARY
 *     by SFI 1C or odd INS by file id, per the option              6A82
 *   a response longer than 256 bytes to a short command: the first
 *     256 bytes and 61XX (XX: bytes left, 00 for 256 or more);
 *     GET RESPONSE (00 C0 00 00 Le, in the clear even during a
 *     session) gives the next Le bytes, the last piece with the
 *     real status; another command drops what is left              61XX
 *   GET RESPONSE with nothing left to give                          6985
 *   READ BINARY (B0 or B1) whose Le exceeds timeout_above: carried out
 *     (the SM counter advances as for an answer) and the answer lost:
 *     vpass_card_process returns VPASS_TIMEOUT                      none
 *   PACE (devices/vpass/eac_card.h; GM and CAM, not IM), in the clear
 *     on the MF level: MSE:Set AT 00 22 C1 A4 {80 OID, 83 01|02,
 *     84 parameter id}, then GENERAL AUTHENTICATE x4 (CLA 10 for the
 *     first three, 00 for the last); the session (AES or 3DES, SSC 0)
 *     starts after the last answer
 *     MSE:Set AT with the application selected, or under SM        6985
 *     protocol / parameter id not in EF.CardAccess, IM, password
 *     reference other than 01 (MRZ) / 02 (CAN), no CAN, CAM
 *     without a chip authentication key                            6A88
 *     a GA step without chaining where the protocol goes on, or
 *     with chaining on the last step (the run is abandoned)        6883
 *     a GA with no run in progress                                 6985
 *     malformed dynamic authentication data (run abandoned)        6A80
 *     the terminal's token does not verify (wrong MRZ or CAN)      6300
 *     command chaining (CLA 10) on any INS other than 86           6884
 *     SELECT of the application abandons a PACE run (BAC may follow)
 *   Chip authentication with the key DG14 lists (vpass_doc_set_ca_key),
 *     under SM: 3DES by MSE:Set KAT 00 22 41 A6 {91 key, 84 key id};
 *     AES by MSE:Set AT 00 22 41 A4 {80 OID, 84 key id} + GENERAL
 *     AUTHENTICATE 7C{80 key} -> 7C 00 (ICAO 9303 part 11, 6.2: keys
 *     KDF(K, 1) and KDF(K, 2) from the shared secret, as for 3DES;
 *     with ca_tr03110 7C{81 nonce, 82 token}); the key id in 84 is a
 *     big-endian integer of 1 to 4 bytes; the answer
 *     comes under the old session, the new one (SSC 0) follows it
 *     without SM                                                   6982
 *     no DG14 / key, key id or OID not DG14's                      6A88
 *     unusable public key                                          6A80
 *     ca_wrong_key: CA and PACE-CAM use a fresh key of the same
 *     curve, so the terminal's checks fail
 *     cam_attack (tests): PACE-CAM with a forged mapping key or CA_IC
 * Every status sent in the clear while a session is open ends the session
 * (the terminal sees a response without DO'8E); redo BAC after it. Errors
 * of the command itself (6B00, 6A82, 6F00, ...) come under SM and keep it,
 * unless plain_errors. drop_sm ends the session at a chosen command with a
 * chosen status (6987, 6988, 6700, ...). After a session has ended, LDS
 * files need a new one (6982) unless plain_after_drop.
 * Under SM a short READ BINARY answer carries at most 231 plain bytes (223
 * under AES) and an extended one 65511 (65503 under AES): Le 00 / 0000 gets what fits, a larger explicit Le
 * is 6700. Other answers (a 256-byte RSA signature) are not cut to fit: to
 * a short command they come in 61XX pieces.
 *
 * With link.enabled every exchange takes the time the radio-link model
 * gives it (devices/vpass/link.h): vpass_card_process returns no sooner,
 * and vpass_stats counts that time and the bytes on the air.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "crypto/aa.h"
#include "devices/vpass/link.h"

typedef enum vpass_result {
	VPASS_OK = 0,
	VPASS_REMOVED,        /* the card has left the field: no answer */
	VPASS_ERR_ARG,        /* a caller passed something impossible */
	VPASS_ERR_NOMEM,
	VPASS_ERR_BUFFER,     /* the response buffer is too small */
	VPASS_ERR_IO,         /* a document file could not be read */
	VPASS_ERR_FORMAT,     /* document.txt or a file name is malformed */
	VPASS_ERR_NO_ACCESS,  /* the document has no (valid) BAC data */
	VPASS_TIMEOUT,        /* the command was processed but its answer was
	                       * lost (timeout_above): the reader times out */
	VPASS_FROZEN,         /* the chip has stopped answering (freeze_after):
	                       * the command is not carried out, no answer comes,
	                       * and the card stays in the field */
} vpass_result;

const char *vpass_strerror(vpass_result r);

/* ---- file identifiers (ICAO 9303 part 10) ---- */

#define VPASS_FID_CARD_ACCESS 0x011C /* under the MF, SFI 1C */
#define VPASS_FID_SOD         0x011D /* SFI 1D */
#define VPASS_FID_COM         0x011E /* SFI 1E */
#define VPASS_FID_DG(n)       (0x0100 + (n)) /* DG1..DG16, SFI n */

/* The eMRTD application identifier. */
extern const uint8_t vpass_emrtd_aid[7];

/* ---- documents ---- */

typedef struct vpass_doc vpass_doc;

/* Load a document directory: EF.COM, EF.SOD, EF.DG1 ... EF.DG16 and
 * EF.CardAccess (whichever exist, raw bytes as on the chip) and
 * document.txt with key=value lines document_number=, birth_date= (YYMMDD),
 * expiry_date= (YYMMDD), optional mrz= (TD3 or TD1 without line breaks,
 * used for the three values when they are not given). Blank lines and
 * lines starting with '#' are ignored. err receives a sentence on failure. */
vpass_result vpass_doc_load(const char *dir, vpass_doc **ret, char *err, size_t errlen);

/* Build a document in memory (unit tests). */
vpass_result vpass_doc_new(vpass_doc **ret);
/* Add or replace a file: fid is one of the VPASS_FID_* values. */
vpass_result vpass_doc_add_file(vpass_doc *doc, uint16_t fid, const uint8_t *data, size_t len);
/* The BAC data: document number as printed, dates YYMMDD. */
vpass_result vpass_doc_set_access(vpass_doc *doc, const char *doc_number, const char *birth_date,
                                  const char *expiry_date);
void vpass_doc_free(vpass_doc *doc);
/* Give the chip an active authentication key (a private key, RSA or EC;
 * the document takes its own reference) and the hash it signs with
 * (AA_HASH_DEFAULT: SHA-1 with trailer BC for RSA, by key size for ECDSA).
 * NULL removes the key. vpass_doc_load takes DIR/aa.key (PEM) when present.
 * DG15 is not touched: add the matching public key with vpass_doc_add_file. */
vpass_result vpass_doc_set_aa_key(vpass_doc *doc, EVP_PKEY *key, aa_hash hash);
/* The active authentication key (owned by the document), NULL when none. */
EVP_PKEY *vpass_doc_aa_key(const vpass_doc *doc);
/* PACE with the card access number: 1 to VPASS_MAX_CAN digits (ICAO uses
 * 6); NULL or "" removes it. vpass_doc_load takes can= from document.txt. */
#define VPASS_MAX_CAN 16
vpass_result vpass_doc_set_can(vpass_doc *doc, const char *can);
/* Give the chip a chip authentication private key (EC or DH; the document
 * takes its own reference), used by chip authentication and PACE-CAM.
 * NULL removes it. vpass_doc_load takes DIR/ca.key (PEM) when present.
 * DG14 is not touched: add it (docgen_dg14_encode) with vpass_doc_add_file. */
vpass_result vpass_doc_set_ca_key(vpass_doc *doc, EVP_PKEY *key);

/* A file's bytes (owned by the document); false when it has no such file. */
bool vpass_doc_file(const vpass_doc *doc, uint16_t fid, const uint8_t **ret_data, size_t *ret_len);
/* The BAC data; NULL until set. */
const char *vpass_doc_number(const vpass_doc *doc);
const char *vpass_doc_birth_date(const vpass_doc *doc);
const char *vpass_doc_expiry_date(const vpass_doc *doc);

/* ---- the chip ---- */

/* Which selection of EF.CardAccess the chip answers (some chips know only
 * one of the variants readers use). */
typedef enum vpass_card_access_select {
	VPASS_CA_SELECT_ANY = 0,    /* every variant below */
	VPASS_CA_SELECT_FID_MF,     /* only SELECT by file id with P1 00 (from the MF) */
	VPASS_CA_SELECT_WITH_LE,    /* only SELECT by file id with Le (the FCP is returned) */
	VPASS_CA_SELECT_SFI,        /* no SELECT: only READ BINARY with SFI 1C */
} vpass_card_access_select;

/* Test only: a chip that tries to pass PACE-CAM without DG14's private key
 * (a clone), to check the terminal's defences. */
typedef enum vpass_cam_attack {
	VPASS_CAM_HONEST = 0,
	VPASS_CAM_INFINITY,   /* mapping key 00 (the point at infinity, so the
	                       * mapped generator is s*G whatever the keys) and
	                       * CA_IC = n, so CA_IC * PK_IC is the point at
	                       * infinity too, "matching" any DG14 key */
	VPASS_CAM_EMPTY_CA,   /* CA_IC (DO'8A) decrypts to nothing */
} vpass_cam_attack;

typedef struct vpass_options {
	bool short_only;          /* refuse extended-length APDUs with 6700 */
	size_t max_response_data; /* at most this many file bytes per READ BINARY (0: Le only) */
	unsigned long remove_after; /* leave the field after this many more APDUs (0: never) */
	unsigned fail_reads;      /* the next N READ BINARY answer 6F00 */
	bool corrupt_mac;         /* protected responses carry a wrong MAC */
	bool aa_wrong_key;        /* a cloned chip: INTERNAL AUTHENTICATE signs with a
	                           * freshly generated key of the same type and size
	                           * as the document's, not the one in DG15 */
	/* ---- issue 3: PACE, CA, awkward chips, the radio link ---- */
	bool ca_wrong_key;        /* a cloned chip: chip authentication and PACE-CAM
	                           * use a fresh key, not the one in DG14 */
	uint16_t refuse_bac;      /* PACE-only chip: GET CHALLENGE and EXTERNAL
	                           * AUTHENTICATE answer this status (6A88 or 6982);
	                           * 0: BAC works */
	vpass_card_access_select card_access_select; /* how EF.CardAccess can be reached */
	size_t timeout_above;     /* a READ BINARY asking for more than this many
	                           * bytes is processed but its answer is lost: the
	                           * reader reports a time-out (0: never) */
	vpass_link link;          /* radio-link timing model (devices/vpass/link.h) */
	vpass_cam_attack cam_attack; /* test only: a cloned chip's PACE-CAM tricks */
	bool ca_tr03110;          /* AES chip authentication as BSI TR-03110 v2 chips
	                           * do it: 7C{81 nonce, 82 token}, keys derived with
	                           * the nonce (default: ICAO 9303, 7C 00) */
	/* ---- issue 14: chips that end secure messaging ---- */
	uint16_t drop_sm;         /* the drop_sm_at-th protected command since power-up
	                           * (or since the options were set) is not carried out:
	                           * the chip answers this status in the clear, ending
	                           * the session (0: never) */
	unsigned long drop_sm_at; /* which protected command (1: the first) */
	bool plain_errors;        /* a protected command that fails is answered with its
	                           * status in the clear (e.g. 6A82 to SELECT of an
	                           * absent file), ending the session */
	bool plain_after_drop;    /* a lax chip: once a session has been up since power-up,
	                           * LDS files stay readable in the clear after it ends
	                           * (default: 6982, as ICAO 9303 wants) */
	/* a chip that stops answering */
	unsigned long freeze_after; /* answer this many more APDUs, then none at all
	                           * (VPASS_FROZEN) while staying in the field, until
	                           * the options change or the card is removed or
	                           * inserted (0: never) */
	/* ---- issue 18: READ BINARY by short file identifier ---- */
	uint16_t sfi_refuse;      /* a READ BINARY naming its file by SFI (B0 with P1
	                           * 80 | SFI, B1 with P1 00 P2 SFI) is answered this
	                           * status (6A81, 6D00, 6986, ...) without reading:
	                           * for every file, or with sfi_only for the others
	                           * (0: read, within sfi_only) */
	uint32_t sfi_only;        /* bit n: the chip knows SFI n (VPASS_SFI_BIT); a
	                           * read naming another one is answered sfi_refuse,
	                           * or 6A82 when that is 0 (0: every file's SFI) */
} vpass_options;

/* sfi_only's bit for the file with this short identifier (1..30). */
#define VPASS_SFI_BIT(sfi) (UINT32_C(1) << (sfi))

typedef struct vpass_stats {
	unsigned long apdus;          /* commands answered */
	unsigned long long bytes_in;  /* command bytes received */
	unsigned long long bytes_out; /* response bytes sent, SW included */
	unsigned long bac_ok;         /* successful EXTERNAL AUTHENTICATE */
	unsigned long bac_failed;
	unsigned long sm_errors;      /* commands refused with 6987 / 6988 */
	unsigned long aa_signatures;  /* INTERNAL AUTHENTICATE answered with a signature */
	unsigned long lost_answers;   /* commands processed whose answer was lost */
	double link_seconds;          /* modelled link time of every exchange (link.enabled) */
	unsigned long long link_bytes; /* bytes on the air, ISO 14443-4 framing included */
	unsigned long sm_drops;       /* sessions ended by drop_sm or plain_errors */
	unsigned long plain_after_access; /* commands received in the clear after a session
	                                   * had been up, other than those that set one up
	                                   * again (SELECT of the application or MF, GET
	                                   * CHALLENGE, EXTERNAL AUTHENTICATE, PACE's MSE:Set
	                                   * AT and GENERAL AUTHENTICATE, GET RESPONSE):
	                                   * personal data a terminal exposed on the air */
} vpass_stats;

typedef struct vpass_card vpass_card;

/* The card keeps its own copy of the document; opts may be NULL (defaults). */
vpass_result vpass_card_new(const vpass_doc *doc, const vpass_options *opts, vpass_card **ret);
void vpass_card_free(vpass_card *card);

/* Answer-to-reset as a PC/SC reader reports a contactless ISO 14443-4
 * card: 3B 8n 80 01, n historical bytes, TCK. Returns its length. */
size_t vpass_card_atr(const vpass_card *card, uint8_t out[33]);

/* Power cycle: forgets the selection, the challenge and the SM session. */
void vpass_card_reset(vpass_card *card);

/* One command APDU in, one response APDU (data + SW1 SW2) out.
 * VPASS_REMOVED: the card has left the field and gives no answer.
 * VPASS_TIMEOUT: the command was carried out but no answer comes.
 * VPASS_FROZEN: the chip has stopped answering (freeze_after); the command
 * was not carried out: offer it again once the options change. */
vpass_result vpass_card_process(vpass_card *card, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                                size_t *ret_len);

/* ---- scripting ---- */

/* Replace the options; remove_after and drop_sm_at count from now,
 * fail_reads is the new number of reads still to fail. */
void vpass_card_set_options(vpass_card *card, const vpass_options *opts);
/* The options in force (fail_reads: how many failures are left). */
void vpass_card_get_options(const vpass_card *card, vpass_options *ret);
/* The bit rate in kbit/s a reader and the card agreed on after activation
 * (ISO 14443-4 PPS, the PN532's InPSL), which the link model charges in
 * place of link.bit_rate_kbps until set again; 0 gives that back. The
 * emulated PN532 sets it; a PC/SC reader's rate is the option's. */
void vpass_card_set_bit_rate(vpass_card *card, unsigned kbps);
/* The largest frames a reader and the card agreed on at activation, CRC
 * included: fsc towards the card (its ATS's FSCI), fsd back (what the
 * card sends, FSD or shorter by its own choice), which the link model
 * charges in place of link.frame_size until set again; 0 gives that back
 * (each 16..4096, else not charged). The emulated PN532 sets them. */
void vpass_card_set_frame_sizes(vpass_card *card, size_t fsc, size_t fsd);
/* Paced answers, for a reader that runs the ISO 14443-4 block protocol
 * itself and fetches a long answer frame by frame (the emulated PN532's
 * InCommunicateThru, devices/pn532/picc.c): vpass_card_process then sleeps
 * only until the answer's first frame is through (the command's frames,
 * the chip's latency, that frame), as a chip sends each frame within its
 * frame waiting time; vpass_card_pace sleeps the share of the rest that
 * `bytes` more of the answer take, as each later frame goes. The whole
 * exchange is counted in the link statistics at once. Off by default. */
void vpass_card_set_paced(vpass_card *card, bool paced);
void vpass_card_pace(vpass_card *card, size_t bytes);
/* The rate the link model charges now (0: the model has none). */
unsigned vpass_card_bit_rate(const vpass_card *card);
/* Take the card out of the field now / put it back (powered up afresh;
 * remove_after counts from the insertion). */
void vpass_card_remove(vpass_card *card);
void vpass_card_insert(vpass_card *card);
bool vpass_card_present(const vpass_card *card);
/* True while a BAC session is established. */
bool vpass_card_sm_active(const vpass_card *card);
void vpass_card_stats(const vpass_card *card, vpass_stats *ret);
