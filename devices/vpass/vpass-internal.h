/*
 * vpass-internal — what the chip (card.c) needs from the document (doc.c)
 * beyond the public interface: the document's insides and a deep copy.
 */
#pragma once

#include "devices/vpass/vpass.h"

#define VPASS_MAX_FILES 19     /* DG1..DG16, COM, SOD, CardAccess */
#define VPASS_MAX_FILE_SIZE (16u * 1024 * 1024) /* offsets fit DO'54's 3 bytes */

typedef struct vpass_file {
	uint16_t fid;
	uint8_t sfi;
	uint8_t *data;
	size_t len;
} vpass_file;

struct vpass_doc {
	vpass_file files[VPASS_MAX_FILES];
	size_t nfiles;
	char doc_number[33];
	char birth_date[7];
	char expiry_date[7];
	bool has_access;
	EVP_PKEY *aa_key;       /* active authentication private key, or NULL */
	aa_hash aa_hash;
	char can[VPASS_MAX_CAN + 1]; /* card access number for PACE; "" when none */
	EVP_PKEY *ca_key;       /* chip authentication private key (EC or DH), or NULL */
};

/* Short EF identifier of an LDS file id, 0 if fid is not one we know. */
uint8_t vpass_fid_sfi(uint16_t fid);
vpass_result vpass_doc_copy(const vpass_doc *doc, vpass_doc **ret);
const vpass_file *vpass_doc_find(const vpass_doc *doc, uint16_t fid);
const vpass_file *vpass_doc_find_sfi(const vpass_doc *doc, uint8_t sfi);
