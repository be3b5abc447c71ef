/*
 * libnfc-select — the libnfc driver's activation of a chip (see libnfc.c's
 * header for the why): looking for one, raising its bit rate by a PPS,
 * keeping a chip that fails at a higher rate at 106 kbit/s, activating it
 * again when the block protocol is out of step.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "hal/passport/bitrate-internal.h"
#include "hal/passport/libnfc-internal.h"

/* An ISO 14443-4 target: type A with bit 6 of SAK, or type B that says so
 * in the ATQB protocol type. */
static bool is_iso14443_4(const nfc_target *t)
{
	if (t->nm.nmt == NMT_ISO14443A)
		return t->nti.nai.btSak & 0x20;
	if (t->nm.nmt == NMT_ISO14443B)
		return t->nti.nbi.abtProtocolInfo[1] & 0x01;
	return false;
}

/* Look once for a target, type A first. Ok with *ret_found false when the
 * field is empty (or holds something that is not a passport). */
pp_err nl_select_once(nfc_device *dev, nfc_target *ret_target, bool *ret_found)
{
	static const nfc_modulation modulations[] = {
		{ .nmt = NMT_ISO14443A, .nbr = NBR_106 },
		{ .nmt = NMT_ISO14443B, .nbr = NBR_106 },
	};
	*ret_found = false;
	for (size_t i = 0; i < sizeof(modulations) / sizeof(modulations[0]); i++) {
		nfc_target t;
		int res = nfc_initiator_select_passive_target(dev, modulations[i], NULL, 0, &t);
		/* A reader without type B says so; it still reads type A. */
		if (res == NFC_EDEVNOTSUPP || res == NFC_ENOTIMPL)
			continue;
		if (res < 0)
			return nl_map_err(res);
		if (res > 0 && is_iso14443_4(&t)) {
			*ret_target = t;
			*ret_found = true;
			return PP_OK;
		}
		if (res > 0)
			nfc_initiator_deselect_target(dev);
	}
	return PP_OK;
}

/* The reader's type A rates as PP_RATE_ bits. */
static unsigned reader_rates_a(nfc_device *dev)
{
	const nfc_baud_rate *br = NULL;
	unsigned set = PP_RATE_106;
	if (nfc_device_get_supported_baud_rate(dev, NMT_ISO14443A, &br) < 0 || !br)
		return set;
	for (; *br; br++) {
		switch (*br) {
		case NBR_212:
			set |= PP_RATE_212;
			break;
		case NBR_424:
			set |= PP_RATE_424;
			break;
		case NBR_847:
			set |= PP_RATE_848;
			break;
		case NBR_106:
		case NBR_UNDEFINED:
			break;
		}
	}
	return set;
}

static nfc_baud_rate nbr_of(unsigned kbps)
{
	return kbps == 848 ? NBR_847 : kbps == 424 ? NBR_424 : kbps == 212 ? NBR_212 : NBR_106;
}

/* Select the type A target with this UID (seen NULL: any) at kbps (libnfc sends InPSL
 * after activation when kbps is above 106). libnfc waits for InPSL's
 * answer without a time limit, so the select is abortable like an
 * exchange: the transport core's watchdog cancels it (nfc_link_cancel). */
static int select_a_at(nfc_link *l, const nfc_target *seen, unsigned kbps, nfc_target *ret)
{
	nfc_modulation m = { .nmt = NMT_ISO14443A, .nbr = nbr_of(kbps) };
	const nfc_iso14443a_info *a = seen ? &seen->nti.nai : NULL;
	if (kbps > 106)
		atomic_store(&l->exchanging, true);
	int res = nfc_initiator_select_passive_target(l->dev, m, a ? a->abtUid : NULL, a ? a->szUidLen : 0, ret);
	atomic_store(&l->exchanging, false);
	if (res > 0 && !is_iso14443_4(ret)) {
		nfc_initiator_deselect_target(l->dev);
		return 0;
	}
	return res;
}

/* A PPS that failed may have left the chip at the new rate (its answer
 * lost on the way back: ISO/IEC 14443-4 has it switch once it has
 * answered) and the PN53x at 106, where neither hears the other. The field
 * off and on again (ISO/IEC 14443-3: at least 5 ms) returns any chip to
 * 106 kbit/s, unselected. */
static void reset_field(nfc_link *l)
{
	nfc_device_set_property_bool(l->dev, NP_ACTIVATE_FIELD, false);
	struct timespec off = { 0, 10 * 1000 * 1000 };
	nanosleep(&off, NULL);
	nfc_device_set_property_bool(l->dev, NP_ACTIVATE_FIELD, true);
}

/* A random UID (ISO/IEC 14443-3: 4 bytes, the first 08), drawn afresh at
 * each power-up, as e-passports do: it names the chip until the field
 * goes, no longer. */
static bool random_uid(const nfc_target *t)
{
	const nfc_iso14443a_info *a = &t->nti.nai;
	return a->szUidLen == 4 && a->abtUid[0] == 0x08;
}

/* Whether two activations found the same chip, as far as can be told: the
 * same ATS and SAK (type A) and UID unless it is random; the same
 * application data and protocol info (type B). */
static bool same_chip(const nfc_target *x, const nfc_target *y)
{
	if (x->nm.nmt != y->nm.nmt)
		return false;
	if (x->nm.nmt == NMT_ISO14443B) {
		const nfc_iso14443b_info *a = &x->nti.nbi, *b = &y->nti.nbi;
		return memcmp(a->abtApplicationData, b->abtApplicationData, sizeof(a->abtApplicationData)) == 0 &&
		       memcmp(a->abtProtocolInfo, b->abtProtocolInfo, sizeof(a->abtProtocolInfo)) == 0;
	}
	const nfc_iso14443a_info *a = &x->nti.nai, *b = &y->nti.nai;
	if (a->btSak != b->btSak || a->szAtsLen != b->szAtsLen || memcmp(a->abtAts, b->abtAts, a->szAtsLen) != 0)
		return false;
	if (random_uid(x) && random_uid(y))
		return true;
	return a->szUidLen == b->szUidLen && memcmp(a->abtUid, b->abtUid, a->szUidLen) == 0;
}

/* Whether this chip is kept at 106 kbit/s (see nfc_link's slow). */
static bool kept_slow(const nfc_link *l, const nfc_target *t)
{
	return l->have_slow && same_chip(&l->slow, t);
}

void nl_keep_slow(nfc_link *l, const nfc_target *t, const char *how)
{
	l->slow = *t;
	l->have_slow = true;
	l->slow_how = how;
}

#define HOW_PPS_UNANSWERED "the chip did not answer the PPS for a higher rate"

/* The rate to ask a type A target for (106: none higher); *ret_how says
 * why when it is 106. */
static unsigned rate_for(const nfc_link *l, const nfc_target *t, const char **ret_how)
{
	const nfc_iso14443a_info *a = &t->nti.nai;
	unsigned reader = reader_rates_a(l->dev);
	unsigned kbps = pp_bitrate_common(pp_ta1_decode(pp_ats_ta1(a->abtAts, a->szAtsLen)), reader);
	if (kbps > 106 && kept_slow(l, t)) {
		*ret_how = l->slow_how;
		return 106;
	}
	*ret_how = reader == PP_RATE_106 ? "the reader has no higher rate"
	                                 : "the chip's ATS offers no higher rate the reader has";
	return kbps;
}

#define HOW_RAISED "the highest rate of the chip's ATS the reader has, by PPS (InPSL)"

/* The target just selected at 106, at the highest rate it and the reader
 * share (see the header comment): l->target and l->bit_rate_kbps;
 * *ret_found false when the chip was gone by the end. */
pp_err nl_raise_bit_rate(nfc_link *l, bool *ret_found)
{
	l->bit_rate_kbps = 106;
	if (l->target.nm.nmt != NMT_ISO14443A) {
		l->bit_rate_how = "type B: libnfc selects it at 106 kbit/s only";
		return PP_OK;
	}
	unsigned kbps = rate_for(l, &l->target, &l->bit_rate_how);
	if (kbps == 106)
		return PP_OK;
	nfc_target seen = l->target, t;
	nfc_initiator_deselect_target(l->dev);
	int res = select_a_at(l, &seen, kbps, &t);
	if (res > 0) {
		l->target = t;
		l->bit_rate_kbps = kbps;
		l->bit_rate_how = HOW_RAISED;
		return PP_OK;
	}
	if (res == NFC_EOPABORTED)
		return PP_ERR_CANCELLED;
	/* Only a PPS the chip did not answer (the PN53x's status 01) keeps
	 * this chip at 106; one that was not there to ask (0) is looked for
	 * again as usual. Either way libnfc forgot the target, and the chip
	 * may be at either rate: the field is reset, and the chip selected
	 * at 106. */
	if (res == NFC_ERFTRANS)
		nl_keep_slow(l, &seen, HOW_PPS_UNANSWERED);
	reset_field(l);
	res = res == NFC_ERFTRANS ? select_a_at(l, random_uid(&seen) ? NULL : &seen, 106, &t) : 0;
	if (res < 0)
		return nl_map_err(res);
	*ret_found = res > 0;
	if (res > 0) {
		l->target = t;
		l->bit_rate_how = HOW_PPS_UNANSWERED;
	}
	return PP_OK;
}

/* The type A document wait_change or look last saw, selected straight at
 * the rate its ATS and the reader share: one activation, not two. False
 * when that did not connect it (it left, another took its place, it left
 * the PPS unanswered): connect then looks as usual. */
bool nl_connect_seen(nfc_link *l)
{
	const char *how;
	if (!l->have_seen || l->seen.nm.nmt != NMT_ISO14443A)
		return false;
	unsigned kbps = rate_for(l, &l->seen, &how);
	if (kbps == 106)
		return false;
	nfc_target t;
	int res = select_a_at(l, &l->seen, kbps, &t);
	if (res > 0) {
		l->target = t;
		l->bit_rate_kbps = kbps;
		l->bit_rate_how = HOW_RAISED;
		return true;
	}
	/* A PPS sent and not answered: the chip kept at 106 from now on, and
	 * the field reset (see raise_bit_rate). */
	if (res == NFC_ERFTRANS)
		nl_keep_slow(l, &l->seen, HOW_PPS_UNANSWERED);
	if (res < 0)
		reset_field(l);
	return false;
}

/* The target is connected: the block protocol starts afresh with it
 * (rule A), its frame size and waiting time from its ATS or ATQB. */
void nl_connected(nfc_link *l)
{
	const nfc_target *t = &l->target;
	if (t->nm.nmt == NMT_ISO14443A)
		pp_isodep_init_ats(&l->isodep, t->nti.nai.abtAts, t->nti.nai.szAtsLen, FRAME_MAX);
	else
		pp_isodep_init_atqb(&l->isodep, t->nti.nbi.abtProtocolInfo, t->nti.nbi.ui8CardIdentifier, FRAME_MAX);
	l->isodep.reader_wait_max_ms = PN53X_WAIT_MAX_MS - DELTA_FWT_MS;
	l->rf_wait_arg = 0;
	l->blocks_unsure = false;
	l->connected = true;
	l->seen = *t;
	l->have_seen = true;
}

/* After an exchange was given up, the block protocol is out of step: the
 * chip may have taken the command and lost its answer (its block number
 * moved on), or never heard it, and a chip may ignore an I-block with the
 * number it expects not (ISO/IEC 14443-4, the note to rule D), or take it
 * as a new command. Guessing could run a command twice or take an old
 * answer for a new one; the standard's way out is to deactivate the chip.
 * The field is switched off and on (the chip back to 106 kbit/s and idle),
 * the chip selected at 106 and, when it is the same chip (same_chip: not
 * another card that happens to lie on the reader), raised to its rate as
 * connect does. Its session is gone with it, as the reading stack expects
 * after a lost answer: it sets the session up again. PP_ERR_REMOVED when
 * the chip is not there any more. */
pp_err nl_reactivate(nfc_link *l)
{
	nfc_target old = l->target;
	bool was_slow = kept_slow(l, &old);
	reset_field(l);
	bool found = false;
	pp_err e = nl_select_once(l->dev, &l->target, &found);
	if (e != PP_OK)
		return e;
	if (found && !same_chip(&old, &l->target)) {
		nfc_initiator_deselect_target(l->dev);
		found = false;
	}
	if (found && was_slow)
		nl_keep_slow(l, &l->target, l->slow_how); /* its new UID */
	if (found && (e = nl_raise_bit_rate(l, &found)) != PP_OK)
		return e;
	if (!found) {
		l->connected = false;
		return PP_ERR_REMOVED;
	}
	nl_connected(l);
	return PP_OK;
}
