/*
 * lds — the Logical Data Structure of an eMRTD chip (ICAO 9303 part 10):
 * which file is which (tag, file id, short file id, name), how long a file
 * is from its first bytes, and parsers for EF.COM, DG1 (the MRZ), DG2 (face
 * biometrics, ISO/IEC 19794-5), DG11, DG12, DG15 and the outer layer of
 * EF.SOD. An MRZ typed or scanned by an operator is parsed here too. DG14
 * (security infos, as in EF.CardAccess) is read by crypto/secinfo.
 *
 * Every parser takes the whole file as read from the chip (outer tag
 * included) and never reads outside it, whatever the bytes. Bytes after the
 * file's outer object (padding some chips return) are ignored. Parsed
 * results own their memory (copies of the text, images and keys they expose)
 * and are released with the matching _free, which accepts NULL. Results go
 * through ret_ parameters that are left untouched on failure. Nothing here
 * prints or does I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum lds_err {
	LDS_OK = 0,
	LDS_ERR_ARG,            /* caller error: NULL pointer, unknown file */
	LDS_ERR_NOMEM,
	LDS_ERR_NEED_MORE,      /* lds_file_length: read more bytes and ask again */
	LDS_ERR_TRUNCATED,      /* the data ends inside an element */
	LDS_ERR_BAD_TLV,        /* malformed tag or length encoding */
	LDS_ERR_TAG,            /* an element has an unexpected tag */
	LDS_ERR_LENGTH,         /* a length field disagrees with the data */
	LDS_ERR_MISSING,        /* a mandatory element is absent */
	LDS_ERR_COUNT,          /* a count disagrees with the elements present */
	LDS_ERR_VALUE,          /* a field holds an impossible value */
	LDS_ERR_TOO_LARGE,      /* larger than any LDS file may be */
	LDS_ERR_MRZ_LENGTH,     /* the MRZ has no known shape (TD1, TD2, TD3) */
	LDS_ERR_MRZ_CHARSET,    /* the MRZ has a character outside 0-9 A-Z < */
	LDS_ERR_MRZ_CHECK_NUMBER,    /* lds_mrz_parse_text: document number check digit */
	LDS_ERR_MRZ_CHECK_BIRTH,     /* ... date of birth check digit */
	LDS_ERR_MRZ_CHECK_EXPIRY,    /* ... date of expiry check digit */
	LDS_ERR_MRZ_CHECK_OPTIONAL,  /* ... personal number check digit (TD3) */
	LDS_ERR_MRZ_CHECK_COMPOSITE, /* ... composite check digit */
	LDS_ERR_FACE_RECORD,    /* the biometric data block is not a 19794-5 face record */
	LDS_ERR_UNSUPPORTED,    /* a format version this code does not read */
	LDS_ERR_KEY,            /* DG15: the public key cannot be decoded */
	LDS_ERR_OID,            /* no longer returned (DG14 is crypto/secinfo's); kept
	                         * so that the codes after it keep their values */
	LDS_ERR_MRZ_BIRTH_DATE,  /* lds_mrz_parse_text: the date of birth is no calendar day */
	LDS_ERR_MRZ_EXPIRY_DATE, /* ... the date of expiry is no calendar day */
} lds_err;

/* Errors (lds.c). */
const char *lds_strerror(lds_err e);
/* True for the errors an operator fixes by retyping the MRZ. */
bool lds_err_is_user(lds_err e);

/* ---- File identity (lds.c) -------------------------------------------- */

/* An elementary file of the eMRTD application. The value is the file's
 * short file identifier; its file id is 0x0100 + the value. */
typedef enum lds_file {
	LDS_FILE_NONE = 0,
	LDS_FILE_DG1 = 1, LDS_FILE_DG2, LDS_FILE_DG3, LDS_FILE_DG4,
	LDS_FILE_DG5, LDS_FILE_DG6, LDS_FILE_DG7, LDS_FILE_DG8,
	LDS_FILE_DG9, LDS_FILE_DG10, LDS_FILE_DG11, LDS_FILE_DG12,
	LDS_FILE_DG13, LDS_FILE_DG14, LDS_FILE_DG15, LDS_FILE_DG16,
	LDS_FILE_CARD_ACCESS = 0x1C,  /* lives in the master file, has no LDS tag */
	LDS_FILE_SOD = 0x1D,
	LDS_FILE_COM = 0x1E,
} lds_file;

bool lds_file_valid(lds_file f);
/* DG number 1..16 to file; LDS_FILE_NONE when out of range. */
lds_file lds_file_dg(int n);
/* "EF.COM", "DG2", "EF.SOD", "EF.CardAccess"; "unknown file" otherwise. */
const char *lds_file_name(lds_file f);
/* The file's outer tag (0x60, 0x61, 0x75, ... 0x77); 0 for EF.CardAccess
 * and unknown files. */
uint8_t lds_file_tag(lds_file f);
uint16_t lds_file_fid(lds_file f);     /* 0 for unknown files */
uint8_t lds_file_sfi(lds_file f);      /* 0 for unknown files */
/* Reverse lookups; false (and *ret untouched) when nothing matches. */
bool lds_file_from_tag(uint32_t tag, lds_file *ret);
bool lds_file_from_fid(uint16_t fid, lds_file *ret);
bool lds_file_from_sfi(uint8_t sfi, lds_file *ret);

/* No LDS file is larger than this; lds_file_length refuses longer ones. */
#define LDS_FILE_MAX (16u * 1024 * 1024)

/* Total length (header included) of the file whose first n bytes are head.
 * LDS_ERR_NEED_MORE when the header goes on past n bytes (6 always suffice);
 * LDS_ERR_BAD_TLV or LDS_ERR_TAG when the bytes cannot start an LDS file. */
lds_err lds_file_length(const uint8_t *head, size_t n, size_t *ret_total);

/* ---- EF.COM (lds.c) --------------------------------------------------- */

typedef struct lds_com {
	char lds_version[5];       /* 5F01, "aabb": "0107" is LDS 1.7 */
	char unicode_version[7];   /* 5F36, "aabbcc": "040000" is Unicode 4.0.0 */
	lds_file files[16];        /* data groups listed in 5C, in list order */
	size_t n_files;
} lds_com;

lds_err lds_com_parse(const uint8_t *data, size_t len, lds_com *ret);
bool lds_com_has(const lds_com *com, lds_file f);

/* ---- DG1 and MRZ text (mrz.c) ----------------------------------------- */

typedef enum lds_mrz_format {
	LDS_MRZ_TD1,   /* 3 lines of 30: identity cards */
	LDS_MRZ_TD2,   /* 2 lines of 36 */
	LDS_MRZ_TD3,   /* 2 lines of 44: passports */
} lds_mrz_format;

/* What the six characters of an MRZ date (YYMMDD) are. */
typedef enum lds_date_status {
	LDS_DATE_VALID = 0,       /* a calendar day */
	LDS_DATE_PARTLY_UNKNOWN,  /* "YYMM<<", "YY<<<<" or "<<<<<<": the unknown part of a
	                           * date of birth in fillers (ICAO 9303 part 3,
	                           * "Representation of dates"), the known part valid */
	LDS_DATE_INVALID,         /* anything else: month not 01-12, a day the month
	                           * lacks, other characters */
} lds_date_status;

/* The one check of a YYMMDD date, for an MRZ typed, read from a chip, or
 * given in parts (appm's --birth-date, --expiry-date). n is the number of
 * characters (anything but 6 is invalid). The century is not written, and
 * none is guessed: 29 February is valid when YY is a multiple of 4, which is
 * right for every year from 1901 to 2099, the years a living holder's birth
 * and a document's expiry fall in. Whether a date lies in the past or the
 * future is not checked (an expired passport is still read). */
lds_date_status lds_date_check(const char *yymmdd, size_t n);
/* "valid", "partly unknown", "invalid". */
const char *lds_date_status_name(lds_date_status s);

/* One check digit: what the MRZ says and what its field computes to. */
typedef struct lds_check {
	char found;      /* as written: '0'..'9', or '<' */
	char expected;   /* computed: '0'..'9' */
	bool ok;
} lds_check;

typedef struct lds_mrz {
	lds_mrz_format format;
	size_t n_lines;
	size_t line_len;
	char lines[3][45];            /* the MRZ as given, one line each */
	/* Fields, trailing fillers removed ('<' to ' ' inside names). */
	char document_code[3];        /* "P", "PN", "I", "ID", ... */
	char issuing_state[4];
	char document_number[40];     /* TD1/TD2 long numbers in full */
	char optional_data[16];       /* TD3: personal number; TD1: line 1; TD2: line 2 */
	char optional_data2[12];      /* TD1 line 2 only */
	char birth_date[7];           /* YYMMDD ('<' where unknown) */
	char sex;                     /* 'M', 'F' or '<' */
	char expiry_date[7];          /* YYMMDD */
	char nationality[4];
	char primary_identifier[45];  /* surname */
	char secondary_identifier[45];/* given names, separated by spaces */
	/* Check digits. optional is meaningful for TD3 only (has_optional). */
	lds_check check_number, check_birth, check_expiry, check_optional, check_composite;
	bool has_optional;
	/* lds_date_check of the dates as written (fillers included). */
	lds_date_status birth_date_status, expiry_date_status;
} lds_mrz;

/* DG1 (tag 61 containing 5F1F). A wrong check digit or an impossible date
 * does not fail the parse: a document's data is reported as it is (the
 * check digits in the lds_check fields, the dates in the _status fields),
 * so that a genuine passport whose date of birth is partly unknown is
 * still read. */
lds_err lds_dg1_parse(const uint8_t *data, size_t len, lds_mrz *ret);

/* An MRZ typed or scanned by an operator: 2 or 3 lines separated by line
 * breaks, or the lines run together. Spaces and tabs are dropped, lower case
 * is read as upper case. Unlike DG1, a date that is not LDS_DATE_VALID is an
 * error (LDS_ERR_MRZ_BIRTH_DATE, LDS_ERR_MRZ_EXPIRY_DATE; checked before the
 * check digits, as it says more), and so is a wrong check digit, naming the
 * field (LDS_ERR_MRZ_CHECK_*): what is typed becomes the access key, which
 * needs every digit of both dates. */
lds_err lds_mrz_parse_text(const char *text, lds_mrz *ret);

/* True when every check digit of the MRZ verifies. */
bool lds_mrz_checks_ok(const lds_mrz *mrz);

/* ---- DG2: face biometrics (dg2.c; the image is decoded by face.h) ------ */

typedef enum lds_image_type {
	LDS_IMAGE_JPEG = 0,
	LDS_IMAGE_JPEG2000 = 1,
} lds_image_type;

typedef struct lds_feature_point {
	uint8_t type;      /* 1: 2D point of ISO/IEC 14496-2 */
	uint8_t major;     /* feature point code: major.minor, e.g. 12.1 */
	uint8_t minor;
	uint16_t x, y;
} lds_feature_point;

/* One facial record of an ISO/IEC 19794-5:2005 data block. */
typedef struct lds_face {
	uint8_t gender;            /* 0 unspecified, 1 male, 2 female, 0xFF unknown */
	uint8_t eye_colour;
	uint8_t hair_colour;
	uint32_t feature_mask;     /* 24 bits */
	uint16_t expression;
	uint8_t pose_angle[3];     /* yaw, pitch, roll */
	uint8_t pose_uncertainty[3];
	size_t n_points;
	lds_feature_point *points;
	uint8_t face_image_type;   /* 0 basic, 1 full frontal, 2 token frontal */
	uint8_t image_data_type;   /* lds_image_type as recorded; other values kept */
	uint16_t width, height;
	uint8_t colour_space;
	uint8_t source_type;
	uint16_t device_type;
	uint16_t quality;
	const uint8_t *image;      /* the encoded image, inside the lds_dg2 */
	size_t image_len;
} lds_face;

/* Biometric header template (A1), elements 80..88 where present. */
typedef struct lds_bio_header {
	bool has_version, has_type, has_subtype, has_format_owner, has_format_type;
	uint16_t version;          /* 80 ICAO header version */
	uint32_t type;             /* 81 biometric type: 2 = facial features */
	uint8_t subtype;           /* 82 */
	uint16_t format_owner;     /* 87: 0x0101 ISO/IEC JTC 1/SC 37 */
	uint16_t format_type;      /* 88: 0x0008 face image */
	const uint8_t *creation_date;   /* 83, 7 bytes BCD when present */
	size_t creation_date_len;
	const uint8_t *creator;         /* 86 */
	size_t creator_len;
} lds_bio_header;

/* One biometric information template (7F60). */
typedef struct lds_bit {
	lds_bio_header header;
	const uint8_t *bdb;        /* the biometric data block (5F2E / 7F2E) */
	size_t bdb_len;
	size_t n_faces;
	lds_face *faces;
} lds_bit;

typedef struct lds_dg2 {
	size_t n_bits;
	lds_bit *bits;
	uint8_t *data;             /* a copy of the file; the pointers above point here */
	size_t len;
} lds_dg2;

lds_err lds_dg2_parse(const uint8_t *data, size_t len, lds_dg2 **ret);
void lds_dg2_free(lds_dg2 *dg2);
/* The first face of the first template; NULL if none. */
const lds_face *lds_dg2_face(const lds_dg2 *dg2);

/* ---- DG11 and DG12: additional details (dg11_12.c) -------------------- */

/* Text fields are NUL-terminated UTF-8 (Latin-1 text is converted), NULL
 * when the element is absent. Images are the bytes as stored. */
typedef struct lds_dg11 {
	char *full_name;           /* 5F0E, primary and secondary joined by "<<" */
	char **other_names;        /* 5F0F, in A0 or bare */
	size_t n_other_names;
	char *personal_number;     /* 5F10 */
	char *full_birth_date;     /* 5F2B, "YYYYMMDD" (BCD stored dates converted) */
	char *place_of_birth;      /* 5F11 */
	char *address;             /* 5F42 */
	char *telephone;           /* 5F12 */
	char *profession;          /* 5F13 */
	char *title;               /* 5F14 */
	char *personal_summary;    /* 5F15 */
	uint8_t *proof_of_citizenship; /* 5F16, an image */
	size_t proof_of_citizenship_len;
	char *other_td_numbers;    /* 5F17 */
	char *custody_information; /* 5F18 */
} lds_dg11;

lds_err lds_dg11_parse(const uint8_t *data, size_t len, lds_dg11 **ret);
void lds_dg11_free(lds_dg11 *dg11);

typedef struct lds_dg12 {
	char *issuing_authority;   /* 5F19 */
	char *issue_date;          /* 5F26, "YYYYMMDD" */
	char **other_persons;      /* 5F1A inside A0 */
	size_t n_other_persons;
	char *endorsements;        /* 5F1B */
	char *tax_exit_requirements; /* 5F1C */
	uint8_t *front_image;      /* 5F1D */
	size_t front_image_len;
	uint8_t *rear_image;       /* 5F1E */
	size_t rear_image_len;
	char *personalisation_time; /* 5F55, "YYYYMMDDhhmmss" */
	char *personalisation_serial; /* 5F56 */
} lds_dg12;

lds_err lds_dg12_parse(const uint8_t *data, size_t len, lds_dg12 **ret);
void lds_dg12_free(lds_dg12 *dg12);

/* ---- DG15: active authentication key (lds.c) -------------------------- */

typedef enum lds_key_type {
	LDS_KEY_RSA,
	LDS_KEY_EC,
	LDS_KEY_OTHER,
} lds_key_type;

typedef struct lds_dg15 {
	lds_key_type type;
	int bits;                  /* RSA modulus or EC field size */
	char curve[64];            /* EC: "brainpoolP256r1", ...; "" otherwise */
	uint8_t *der;              /* SubjectPublicKeyInfo */
	size_t der_len;
} lds_dg15;

lds_err lds_dg15_parse(const uint8_t *data, size_t len, lds_dg15 **ret);
void lds_dg15_free(lds_dg15 *dg15);
const char *lds_key_type_name(lds_key_type t);

/* ---- EF.SOD (lds.c; its signature is crypto/pa's) --------------------- */

/* The CMS ContentInfo inside tag 77, as a pointer into data. */
lds_err lds_sod_unwrap(const uint8_t *data, size_t len,
                       const uint8_t **ret_cms, size_t *ret_cms_len);
