/*
 * fuzz-secinfo — libFuzzer target for the security-info parser
 * (crypto/secinfo: EF.CardAccess and EF.DG14, with or without the 6E
 * wrapper). Every entry found is checked against the input it came from:
 * its place lies inside the input, its OID text encodes back to the same
 * content octets, and the name table agrees on it. The input is also fed
 * to the OID decoder alone. Seeds in corpus/secinfo come from the docgen
 * encoders (tests/eac/test_secinfo --write-seeds DIR).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secinfo.h"
#include "crypto/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[64];
	uint8_t oid[64];
	if (secinfo_oid_dotted(data, size, text, sizeof text)) {
		size_t n = secinfo_oid_encode(text, oid, sizeof oid);
		if (n != size || memcmp(oid, data, n) != 0)
			abort(); /* decode and encode disagree */
	}

	secinfo_list list;
	if (secinfo_parse(data, size, &list) != CRYPTO_OK)
		return 0;
	for (size_t i = 0; i < list.n; i++) {
		const secinfo_entry *e = &list.entries[i];
		if (e->offset > size || e->len > size - e->offset || e->len < 2)
			abort();
		crypto_tlv info, first;
		const uint8_t *pos;
		if (tlv_parse_one(data + e->offset, e->len, &info) != TLV_OK)
			abort();
		pos = info.value;
		if (tlv_next(&pos, info.value + info.len, &first) != TLV_OK || first.tag != 0x06)
			abort();
		size_t n = secinfo_oid_encode(e->oid, oid, sizeof oid);
		if (n != first.len || memcmp(oid, first.value, n) != 0)
			abort();
		const char *name = secinfo_oid_name(e->oid);
		if ((name ? strcmp(name, e->name) : strcmp("", e->name)) != 0)
			abort();
		if (secinfo_oid_kind(e->oid) != e->kind)
			abort();
		(void)secinfo_kind_name(e->kind);
	}
	secinfo_list_free(&list);
	return 0;
}
