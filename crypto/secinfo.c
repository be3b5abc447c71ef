/*
 * secinfo — reading EF.CardAccess and EF.DG14 into a list of security
 * infos, and the table of the protocol OIDs they name; see secinfo.h.
 * The DER walk uses crypto/tlv, which never reads past its bounds.
 */
#include "crypto/secinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tlv.h"

#define TAG_DG14     0x6E
#define TAG_SET      0x31
#define TAG_SEQUENCE 0x30
#define TAG_OID      0x06
#define TAG_INTEGER  0x02

typedef struct oid_name {
	const char *oid;
	const char *name;
	secinfo_kind kind;
	const char *protocol; /* secinfo_oid_protocol */
} oid_name;

#define BSI_PK   "0.4.0.127.0.7.2.2.1"
#define BSI_TA   "0.4.0.127.0.7.2.2.2"
#define BSI_CA   "0.4.0.127.0.7.2.2.3"
#define BSI_PACE "0.4.0.127.0.7.2.2.4"

/* ICAO 9303 part 11, 9.2 and BSI TR-03110 part 3, A.1.1: a family OID
 * names domain parameters, the same OID with a last arc for the cipher
 * (1: 3DES, 2/3/4: AES-128/192/256) the protocol itself. */
#define FAMILY(prefix, label, dp_kind, kind, protocol)                            \
	{ prefix, label, dp_kind, protocol },                                     \
	{ prefix ".1", label "-3DES-CBC-CBC", kind, protocol },                   \
	{ prefix ".2", label "-AES-CBC-CMAC-128", kind, protocol },               \
	{ prefix ".3", label "-AES-CBC-CMAC-192", kind, protocol },               \
	{ prefix ".4", label "-AES-CBC-CMAC-256", kind, protocol }

static const oid_name oid_table[] = {
	{ BSI_PK ".1", "id-PK-DH", SECINFO_CA_PUBLIC_KEY, "CA" },
	{ BSI_PK ".2", "id-PK-ECDH", SECINFO_CA_PUBLIC_KEY, "CA" },
	{ BSI_TA, "id-TA", SECINFO_TA, "TA" },
	FAMILY(BSI_CA ".1", "id-CA-DH", SECINFO_CA_DOMAIN_PARAMS, SECINFO_CA, "CA"),
	FAMILY(BSI_CA ".2", "id-CA-ECDH", SECINFO_CA_DOMAIN_PARAMS, SECINFO_CA, "CA"),
	FAMILY(BSI_PACE ".1", "id-PACE-DH-GM", SECINFO_PACE_DOMAIN_PARAMS, SECINFO_PACE, "PACE"),
	FAMILY(BSI_PACE ".2", "id-PACE-ECDH-GM", SECINFO_PACE_DOMAIN_PARAMS, SECINFO_PACE, "PACE"),
	FAMILY(BSI_PACE ".3", "id-PACE-DH-IM", SECINFO_PACE_DOMAIN_PARAMS, SECINFO_PACE, "PACE"),
	FAMILY(BSI_PACE ".4", "id-PACE-ECDH-IM", SECINFO_PACE_DOMAIN_PARAMS, SECINFO_PACE, "PACE"),
	/* chip authentication mapping exists with AES only */
	{ BSI_PACE ".6", "id-PACE-ECDH-CAM", SECINFO_PACE_DOMAIN_PARAMS, "PACE-CAM" },
	{ BSI_PACE ".6.2", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", SECINFO_PACE, "PACE-CAM" },
	{ BSI_PACE ".6.3", "id-PACE-ECDH-CAM-AES-CBC-CMAC-192", SECINFO_PACE, "PACE-CAM" },
	{ BSI_PACE ".6.4", "id-PACE-ECDH-CAM-AES-CBC-CMAC-256", SECINFO_PACE, "PACE-CAM" },
	{ "2.23.136.1.1.5", "id-icao-mrtd-security-aaProtocolObject", SECINFO_AA, "AA" },
};

static const oid_name *find_oid(const char *dotted)
{
	for (size_t i = 0; i < sizeof oid_table / sizeof oid_table[0]; i++)
		if (strcmp(oid_table[i].oid, dotted) == 0)
			return &oid_table[i];
	return NULL;
}

const char *secinfo_oid_name(const char *dotted)
{
	const oid_name *o = dotted ? find_oid(dotted) : NULL;
	return o ? o->name : NULL;
}

secinfo_kind secinfo_oid_kind(const char *dotted)
{
	const oid_name *o = dotted ? find_oid(dotted) : NULL;
	return o ? o->kind : SECINFO_UNKNOWN;
}

const char *secinfo_oid_protocol(const char *dotted)
{
	const oid_name *o = dotted ? find_oid(dotted) : NULL;
	return o ? o->protocol : NULL;
}

/* Digits separated by single dots, at least two arcs. */
static bool is_dotted(const char *s)
{
	size_t arcs = 0;
	while (*s) {
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		arcs++;
		if (*s == '.') {
			s++;
			if (!*s)
				return false;
		} else if (*s) {
			return false;
		}
	}
	return arcs >= 2;
}

bool secinfo_oid_from_name(const char *name, char *out, size_t outlen)
{
	if (!name || !out)
		return false;
	const char *dotted = NULL;
	for (size_t i = 0; i < sizeof oid_table / sizeof oid_table[0]; i++)
		if (strcmp(oid_table[i].name, name) == 0)
			dotted = oid_table[i].oid;
	if (!dotted && is_dotted(name))
		dotted = name;
	if (!dotted || strlen(dotted) >= outlen)
		return false;
	memcpy(out, dotted, strlen(dotted) + 1);
	return true;
}

const char *secinfo_kind_name(secinfo_kind kind)
{
	switch (kind) {
	case SECINFO_UNKNOWN: return "unknown";
	case SECINFO_PACE: return "PACEInfo";
	case SECINFO_PACE_DOMAIN_PARAMS: return "PACEDomainParameterInfo";
	case SECINFO_CA: return "ChipAuthenticationInfo";
	case SECINFO_CA_DOMAIN_PARAMS: return "ChipAuthenticationDomainParameterInfo";
	case SECINFO_CA_PUBLIC_KEY: return "ChipAuthenticationPublicKeyInfo";
	case SECINFO_TA: return "TerminalAuthenticationInfo";
	case SECINFO_AA: return "ActiveAuthenticationInfo";
	}
	return "unknown";
}

/* The dotted form of an OID's content octets (X.690 8.19). false when it
 * is malformed or its text does not fit `out`. */
static bool oid_to_dotted(const uint8_t *v, size_t len, char *out, size_t outlen)
{
	if (len == 0 || (v[len - 1] & 0x80))
		return false;
	size_t used = 0;
	bool first = true;
	size_t i = 0;
	while (i < len) {
		uint64_t arc = 0;
		if (v[i] == 0x80)
			return false; /* not minimally encoded */
		do {
			if (arc > (UINT64_MAX >> 7))
				return false;
			arc = (arc << 7) | (v[i] & 0x7F);
		} while (v[i++] & 0x80);
		int n;
		if (first) {
			unsigned top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			n = snprintf(out + used, outlen - used, "%u.%llu", top,
			             (unsigned long long)(arc - 40u * top));
			first = false;
		} else {
			n = snprintf(out + used, outlen - used, ".%llu", (unsigned long long)arc);
		}
		if (n < 0 || (size_t)n >= outlen - used)
			return false;
		used += (size_t)n;
	}
	return true;
}

bool secinfo_oid_dotted(const uint8_t *content, size_t len, char *out, size_t outlen)
{
	return content && out && outlen && oid_to_dotted(content, len, out, outlen);
}

size_t secinfo_oid_encode(const char *dotted, uint8_t *out, size_t outlen)
{
	if (!dotted || !out || !is_dotted(dotted))
		return 0;
	size_t n = 0;
	const char *s = dotted;
	uint64_t first = 0;
	for (unsigned arc = 0; *s; arc++) {
		uint64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (UINT64_MAX - 9) / 10)
				return 0;
			v = v * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.')
			s++;
		if (arc == 0) {
			if (v > 2)
				return 0;
			first = v;
			continue;
		}
		if (arc == 1) {
			if (first < 2 && v >= 40)
				return 0;
			if (v > UINT64_MAX - 80)
				return 0;
			v += 40 * first;
		}
		uint8_t tmp[10];
		size_t k = 0;
		do {
			tmp[k++] = (uint8_t)(v & 0x7F);
			v >>= 7;
		} while (v);
		if (n + k > outlen)
			return 0;
		while (k > 0) {
			k--;
			out[n++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
		}
	}
	return n;
}

/* A non-negative DER INTEGER that fits an int; -1 otherwise. */
static int small_integer(const crypto_tlv *t)
{
	if (t->tag != TAG_INTEGER || t->len == 0 || t->len > 4 || (t->value[0] & 0x80))
		return -1;
	long v = 0;
	for (size_t i = 0; i < t->len; i++)
		v = (v << 8) | t->value[i];
	return v > 0x7FFFFFFF ? -1 : (int)v;
}

static crypto_err parse_info(const crypto_tlv *info, size_t offset, secinfo_entry *e)
{
	const uint8_t *pos = info->value, *end = info->value + info->len;
	crypto_tlv oid, req, opt;
	if (tlv_next(&pos, end, &oid) != TLV_OK || oid.tag != TAG_OID ||
	    !oid_to_dotted(oid.value, oid.len, e->oid, sizeof e->oid))
		return CRYPTO_ERR_FORMAT;
	const oid_name *known = find_oid(e->oid);
	e->kind = known ? known->kind : SECINFO_UNKNOWN;
	if (known)
		snprintf(e->name, sizeof e->name, "%s", known->name);
	e->version = -1;
	e->id = -1;
	e->offset = offset;
	e->len = info->raw_len;

	/* requiredData, then optionalData; a SecurityInfo of an unknown
	 * protocol may hold anything, so only the kinds known here are read. */
	bool has_req = tlv_next(&pos, end, &req) == TLV_OK;
	bool has_opt = has_req && tlv_next(&pos, end, &opt) == TLV_OK;
	switch (e->kind) {
	case SECINFO_PACE:
	case SECINFO_CA:
		if (has_req)
			e->version = small_integer(&req);
		if (has_opt)
			e->id = small_integer(&opt);
		break;
	case SECINFO_TA:
	case SECINFO_AA:
		if (has_req)
			e->version = small_integer(&req);
		break;
	case SECINFO_PACE_DOMAIN_PARAMS:
	case SECINFO_CA_DOMAIN_PARAMS:
	case SECINFO_CA_PUBLIC_KEY:
		if (has_opt)
			e->id = small_integer(&opt);
		break;
	case SECINFO_UNKNOWN:
		break;
	}
	return CRYPTO_OK;
}

crypto_err secinfo_parse(const uint8_t *data, size_t len, secinfo_list *ret)
{
	if ((!data && len) || !ret)
		return CRYPTO_ERR_ARG;
	const uint8_t *pos = data, *end = data + len;
	crypto_tlv set;
	if (tlv_next(&pos, end, &set) != TLV_OK)
		return CRYPTO_ERR_FORMAT;
	if (set.tag == TAG_DG14) {
		pos = set.value;
		end = set.value + set.len;
		if (tlv_next(&pos, end, &set) != TLV_OK)
			return CRYPTO_ERR_FORMAT;
	}
	if (set.tag != TAG_SET)
		return CRYPTO_ERR_FORMAT;

	secinfo_list list = { 0 };
	crypto_err err = CRYPTO_OK;
	pos = set.value;
	end = set.value + set.len;
	for (;;) {
		crypto_tlv info;
		tlv_status s = tlv_next(&pos, end, &info);
		if (s == TLV_END)
			break;
		if (s != TLV_OK || info.tag != TAG_SEQUENCE || list.n == SECINFO_MAX_ENTRIES) {
			err = CRYPTO_ERR_FORMAT;
			goto out_free_list;
		}
		if (list.n % 8 == 0) {
			secinfo_entry *grown = realloc(list.entries, (list.n + 8) * sizeof *grown);
			if (!grown) {
				err = CRYPTO_ERR_NOMEM;
				goto out_free_list;
			}
			list.entries = grown;
		}
		secinfo_entry *e = &list.entries[list.n];
		memset(e, 0, sizeof *e);
		err = parse_info(&info, (size_t)(info.raw - data), e);
		if (err != CRYPTO_OK)
			goto out_free_list;
		list.n++;
	}
	*ret = list;
	return CRYPTO_OK;

out_free_list:
	secinfo_list_free(&list);
	return err;
}

void secinfo_list_free(secinfo_list *list)
{
	if (!list)
		return;
	free(list->entries);
	list->entries = NULL;
	list->n = 0;
}
