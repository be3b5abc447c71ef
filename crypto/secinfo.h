/*
 * secinfo — the security infos of EF.CardAccess and EF.DG14 (ICAO 9303
 * part 11, section 9.2; BSI TR-03110 part 3, A.1): a DER SET OF
 * SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData
 * ANY, optionalData ANY OPTIONAL }, read into a plain list for reports and
 * for choosing a protocol. DG14's application tag 6E is accepted and
 * skipped. Parsing never reads outside the given bytes, whatever they are.
 *
 * The OID table here is also what the document factory (devices/docgen)
 * uses to turn a protocol name into its OID; it knows the PACE protocols
 * including chip authentication mapping (which OpenPACE 1.1.2 lacks), chip
 * and terminal authentication, and active authentication.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

typedef enum secinfo_kind {
	SECINFO_UNKNOWN = 0,          /* a protocol not listed below */
	SECINFO_PACE,                 /* PACEInfo */
	SECINFO_PACE_DOMAIN_PARAMS,   /* PACEDomainParameterInfo */
	SECINFO_CA,                   /* ChipAuthenticationInfo */
	SECINFO_CA_DOMAIN_PARAMS,     /* ChipAuthenticationDomainParameterInfo */
	SECINFO_CA_PUBLIC_KEY,        /* ChipAuthenticationPublicKeyInfo */
	SECINFO_TA,                   /* TerminalAuthenticationInfo */
	SECINFO_AA,                   /* ActiveAuthenticationInfo */
} secinfo_kind;

#define SECINFO_MAX_ENTRIES 64 /* more SecurityInfos than this: CRYPTO_ERR_FORMAT */

typedef struct secinfo_entry {
	secinfo_kind kind;
	char oid[64];        /* dotted */
	char name[48];       /* e.g. "id-PACE-ECDH-GM-AES-CBC-CMAC-128"; "" when unknown */
	int version;         /* PACE, CA, TA, AA: the version; -1 when absent */
	int id;              /* PACE and PACE domain parameters: parameterId;
	                      * CA, CA domain parameters and CA public key: keyId;
	                      * -1 when absent (or not an INTEGER that fits) */
	size_t offset, len;  /* where the whole SecurityInfo lies in the input */
} secinfo_entry;

typedef struct secinfo_list {
	secinfo_entry *entries; /* malloc'ed */
	size_t n;
} secinfo_list;

/* Parse EF.CardAccess or EF.DG14 (with or without its 6E wrapper). Bytes
 * after the SET are ignored (some chips pad the file). *ret is filled only
 * on CRYPTO_OK; free it with secinfo_list_free. CRYPTO_ERR_FORMAT: not a
 * SET OF SecurityInfo. */
crypto_err secinfo_parse(const uint8_t *data, size_t len, secinfo_list *ret);
void secinfo_list_free(secinfo_list *list);

const char *secinfo_kind_name(secinfo_kind kind);

/* The protocol name of a dotted OID; NULL when it is not in the table. */
const char *secinfo_oid_name(const char *dotted);
/* The dotted OID of a protocol name from the table, or of a dotted OID
 * (checked for syntax). false when the name is unknown or out too small. */
bool secinfo_oid_from_name(const char *name, char *out, size_t outlen);
/* The dotted form of an OID's content octets (X.690 8.19, as in DO'80 of
 * MSE:Set AT); false when malformed or it does not fit `out`. */
bool secinfo_oid_dotted(const uint8_t *content, size_t len, char *out, size_t outlen);
/* The content octets of a dotted OID; returns their length, 0 when the
 * text is not an OID or does not fit `out`. */
size_t secinfo_oid_encode(const char *dotted, uint8_t *out, size_t outlen);
/* The kind a protocol OID stands for (SECINFO_UNKNOWN when none). */
secinfo_kind secinfo_oid_kind(const char *dotted);
/* The protocol a SecurityInfo of this OID serves, as the reader's report
 * names it: "PACE" (generic or integrated mapping), "PACE-CAM" (chip
 * authentication mapping), "CA" (its info, domain parameters and public
 * key), "TA" or "AA"; NULL when the OID is not in the table. */
const char *secinfo_oid_protocol(const char *dotted);
