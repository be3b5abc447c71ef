/*
 * sw — the status word table; see sw-internal.h.
 */
#include "hal/passport/sw-internal.h"

#include <stdio.h>

typedef struct sw_entry {
	uint16_t sw;
	uint16_t mask;  /* bits of sw that must match */
	pp_sw_kind kind;
	const char *words;
} sw_entry;

/* First match wins: exact entries before the ranges that hold them. */
static const sw_entry table[] = {
	{ 0x9000, 0xFFFF, PP_SW_SUCCESS, "success" },
	{ 0x6282, 0xFFFF, PP_SW_SUCCESS, "end of file reached before Le bytes" },
	{ 0x6100, 0xFF00, PP_SW_MORE, "more data available" },
	{ 0x6C00, 0xFF00, PP_SW_MORE, "wrong Le; the chip says how many bytes it has" },
	{ 0x6F00, 0xFFFF, PP_SW_TRANSIENT, "no precise diagnosis" },
	{ 0x6581, 0xFFFF, PP_SW_TRANSIENT, "memory failure" },
	{ 0x6400, 0xFFFF, PP_SW_TRANSIENT, "execution error" },
	{ 0x6A82, 0xFFFF, PP_SW_NO_FILE, "file not found" },
	{ 0x6300, 0xFFFF, PP_SW_WRONG_KEY, "authentication failed" },
	{ 0x63C0, 0xFFF0, PP_SW_WRONG_KEY, "authentication failed; the low digit counts the tries left" },
	{ 0x6983, 0xFFFF, PP_SW_BLOCKED, "authentication method blocked" },
	{ 0x6987, 0xFFFF, PP_SW_SM_REFUSED, "expected secure messaging data objects missing" },
	{ 0x6988, 0xFFFF, PP_SW_SM_REFUSED, "secure messaging data objects incorrect" },
	{ 0x6982, 0xFFFF, PP_SW_DENIED, "security status not satisfied" },
	{ 0x6985, 0xFFFF, PP_SW_DENIED, "conditions of use not satisfied" },
	{ 0x6984, 0xFFFF, PP_SW_DENIED, "reference data not usable" },
	{ 0x6A81, 0xFFFF, PP_SW_UNSUPPORTED, "function not supported" },
	{ 0x6A88, 0xFFFF, PP_SW_UNSUPPORTED, "referenced data not found" },
	{ 0x6D00, 0xFFFF, PP_SW_UNSUPPORTED, "instruction not supported" },
	{ 0x6E00, 0xFFFF, PP_SW_UNSUPPORTED, "class not supported" },
	{ 0x6881, 0xFFFF, PP_SW_UNSUPPORTED, "logical channel not supported" },
	{ 0x6882, 0xFFFF, PP_SW_UNSUPPORTED, "secure messaging not supported" },
	{ 0x6884, 0xFFFF, PP_SW_UNSUPPORTED, "command chaining not supported" },
	{ 0x6700, 0xFFFF, PP_SW_BAD_COMMAND, "wrong length" },
	{ 0x6A80, 0xFFFF, PP_SW_BAD_COMMAND, "incorrect data" },
	{ 0x6A86, 0xFFFF, PP_SW_BAD_COMMAND, "incorrect P1-P2" },
	{ 0x6B00, 0xFFFF, PP_SW_BAD_COMMAND, "wrong parameters: offset outside the file" },
	{ 0x6986, 0xFFFF, PP_SW_BAD_COMMAND, "command not allowed: no current file" },
	{ 0x6883, 0xFFFF, PP_SW_BAD_COMMAND, "last command of a chain expected" },
};

static const sw_entry *lookup(uint16_t sw)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((sw & table[i].mask) == table[i].sw)
			return &table[i];
	return NULL;
}

pp_sw_kind pp_sw_kind_of(uint16_t sw)
{
	const sw_entry *e = lookup(sw);
	return e ? e->kind : PP_SW_OTHER;
}

pp_err pp_sw_error(uint16_t sw)
{
	switch (pp_sw_kind_of(sw)) {
	case PP_SW_SUCCESS: return PP_OK;
	case PP_SW_NO_FILE: return PP_ERR_FILE_NOT_FOUND;
	case PP_SW_BLOCKED: return PP_ERR_BLOCKED;
	case PP_SW_WRONG_KEY: return PP_ERR_ACCESS_DENIED;
	case PP_SW_UNSUPPORTED: return PP_ERR_NOT_SUPPORTED;
	case PP_SW_MORE:
	case PP_SW_TRANSIENT:
	case PP_SW_SM_REFUSED:
	case PP_SW_DENIED:
	case PP_SW_BAD_COMMAND:
	case PP_SW_OTHER:
		return PP_ERR_STATUS;
	}
	return PP_ERR_STATUS;
}

const char *pp_sw_words(uint16_t sw)
{
	const sw_entry *e = lookup(sw);
	return e ? e->words : "a status ISO/IEC 7816-4 does not name";
}

const char *pp_sw_text(uint16_t sw, char out[PP_SW_TEXT_LEN])
{
	snprintf(out, PP_SW_TEXT_LEN, "%04X (%s)", sw, pp_sw_words(sw));
	return out;
}
