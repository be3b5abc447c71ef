/*
 * spy — the reader tests' recording transport; see spy.h.
 */
#include "tests/reader/spy.h"

#include "crypto/apdu.h"
#include "crypto/tlv.h"

/* Commands a terminal may send in the clear once a session has been up:
 * those that set one up again (SELECT of the application or the MF, BAC's
 * GET CHALLENGE and EXTERNAL AUTHENTICATE, PACE's MSE:Set AT and GENERAL
 * AUTHENTICATE) and GET RESPONSE, which carries no data of its own. */
static bool access_command(const crypto_apdu *a)
{
	switch (a->ins) {
	case 0xA4:
		return a->p1 == 0x04 || (a->lc == 2 && a->data[0] == 0x3F && a->data[1] == 0x00);
	case 0x84:
	case 0x82:
	case 0x86:
	case 0xC0:
		return true;
	case 0x22:
		return a->p1 == 0xC1 && a->p2 == 0xA4;
	default:
		return false;
	}
}

/* Le from DO'97 of a protected command (0 when absent). */
static size_t protected_le(const crypto_apdu *a, bool extended)
{
	const uint8_t *pos = a->data, *end = a->data + a->lc;
	crypto_tlv t;
	while (a->lc && pos < end && tlv_next(&pos, end, &t) == TLV_OK) {
		if (t.tag != 0x97)
			continue;
		size_t le = 0;
		for (size_t i = 0; i < t.len; i++)
			le = le << 8 | t.value[i];
		if (le == 0)
			le = extended || t.len == 2 ? APDU_MAX_EXT_LE : APDU_MAX_SHORT_LE;
		return le;
	}
	return 0;
}

static pp_err spy_connect(void *priv, int timeout_ms)
{
	spy *s = priv;
	s->opened = false;
	return pp_transport_connect(s->inner, timeout_ms);
}

static pp_err spy_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	spy *s = priv;
	s->apdus++;
	crypto_apdu a;
	spy_cmd *entry = NULL;
	if (s->n_log < SPY_LOG && len >= 4) {
		entry = &s->log[s->n_log];
		*entry = (spy_cmd){ .cla = cmd[0], .ins = cmd[1], .p1 = cmd[2], .p2 = cmd[3] };
	}
	s->n_log++;
	bool a_ok = apdu_decode(cmd, len, &a) == CRYPTO_OK;
	if (a_ok) {
		if ((a.cla & 0x0C) == 0x0C) {
			s->opened = true;
		} else if (s->opened && !access_command(&a)) {
			if (s->plain_after_access++ == 0)
				s->first_plain = (spy_cmd){ .cla = a.cla, .ins = a.ins, .p1 = a.p1, .p2 = a.p2 };
		}
		if (a.extended)
			s->extended_apdus++;
		if (a.extended && s->refuse_extended)
			return PP_ERR_COMM;
		if (s->not_emrtd && a.cla == 0x00 && a.ins == 0xA4 && a.p1 == 0x04) {
			/* A bank card: no such application. */
			resp[0] = 0x6A;
			resp[1] = 0x82;
			*ret_len = 2;
			return PP_OK;
		}
		bool ca_select = a.cla == 0x00 && a.ins == 0xA4 && a.lc == 2 && a.data[0] == 0x01 && a.data[1] == 0x1C;
		if (ca_select && s->fail_ca_selects > 0) {
			s->fail_ca_selects--;
			resp[0] = (uint8_t)(s->fail_ca_select_sw >> 8);
			resp[1] = (uint8_t)s->fail_ca_select_sw;
			*ret_len = 2;
			if (entry)
				entry->result = PP_OK;
			return PP_OK;
		}
		if (ca_select && s->lose_ca_selects > 0) {
			s->lose_ca_selects--;
			pp_err e = pp_transport_transmit(s->inner, cmd, len, resp, cap, ret_len);
			if (entry)
				entry->result = e == PP_OK ? PP_ERR_TIMEOUT : e;
			return e == PP_OK ? PP_ERR_TIMEOUT : e;
		}
		if (s->link_dead) {
			if (entry)
				entry->result = PP_ERR_TIMEOUT;
			return PP_ERR_TIMEOUT;
		}
		bool is_protected = (a.cla & 0x0C) == 0x0C;
		if (s->clone_sw && !is_protected)
			s->ca_keyed = false;
		if (s->clone_sw && is_protected && s->ca_keyed) {
			resp[0] = (uint8_t)(s->clone_sw >> 8);
			resp[1] = (uint8_t)s->clone_sw;
			*ret_len = 2;
			if (entry)
				entry->result = PP_OK;
			return PP_OK;
		}
		if (s->refuse_ca_sw && a.cla == 0x0C && a.ins == 0x22 && a.p1 == 0x41) {
			resp[0] = (uint8_t)(s->refuse_ca_sw >> 8);
			resp[1] = (uint8_t)s->refuse_ca_sw;
			*ret_len = 2;
			return PP_OK;
		}
		if (s->refuse_reads_sw && a.cla == 0x0C && a.ins == 0xB0 &&
		    s->protected_reads++ >= s->refuse_reads_from) {
			resp[0] = (uint8_t)(s->refuse_reads_sw >> 8);
			resp[1] = (uint8_t)s->refuse_reads_sw;
			*ret_len = 2;
			if (entry)
				entry->result = PP_OK;
			return PP_OK;
		}
		if (a.cla == 0x00 && a.ins == 0xB0 && entry)
			entry->le = a.le;
		if (a.cla == 0x0C && (a.ins == 0xB0 || a.ins == 0xB1)) {
			size_t le = protected_le(&a, a.extended);
			size_t *max = a.ins == 0xB0 ? &s->max_le_b0 : &s->max_le_b1;
			if (le > *max)
				*max = le;
			if (a.ins == 0xB0)
				s->reads_b0++;
			else
				s->reads_b1++;
			if (entry)
				entry->le = le;
		}
	}
	bool lose = a_ok && a.cla == 0x0C && a.ins == 0xB0 && !(a.p1 & 0x80) && (a.p1 || a.p2) &&
	            ++s->offset_reads == s->lose_read;
	pp_err e = pp_transport_transmit(s->inner, cmd, len, resp, cap, ret_len);
	bool ca_passed = e == PP_OK && a_ok && (a.cla & 0x0C) == 0x0C &&
	                 (a.ins == 0x86 || (a.ins == 0x22 && a.p1 == 0x41 && a.p2 == 0xA6));
	if (ca_passed && s->clone_sw)
		s->ca_keyed = true;
	if (ca_passed && s->dead_after_ca)
		s->link_dead = true;
	if (e == PP_OK && lose)
		e = PP_ERR_TIMEOUT; /* carried out, its answer lost */
	if (entry)
		entry->result = e;
	if (e == PP_OK && s->reader_max_response && *ret_len > s->reader_max_response)
		return PP_ERR_COMM;
	return e;
}

size_t spy_logged(const spy *s)
{
	return s->n_log < SPY_LOG ? s->n_log : SPY_LOG;
}

static pp_err spy_card_present(void *priv, bool *ret)
{
	spy *s = priv;
	return pp_transport_card_present(s->inner, ret);
}

static pp_err spy_capabilities(void *priv, pp_transport_caps *ret)
{
	spy *s = priv;
	pp_err e = pp_transport_capabilities(s->inner, ret);
	if (e == PP_OK && s->claim_extended)
		*ret = (pp_transport_caps){ .extended_length = true, .max_command = APDU_MAX_COMMAND,
			                    .max_response = APDU_MAX_RESPONSE };
	if (e == PP_OK && s->reader_max_response) {
		ret->extended_length = true;
		ret->max_response = s->reader_max_response;
	}
	return e;
}

static const char *spy_reader_name(void *priv)
{
	(void)priv;
	return "spy reader";
}

static void spy_close(void *priv)
{
	(void)priv; /* the rig owns the spy */
}

static pp_err spy_wait_change(void *priv, bool present, int timeout_ms, bool *ret_present)
{
	spy *s = priv;
	return pp_transport_wait_change(s->inner, present, timeout_ms, ret_present);
}

const pp_transport_ops spy_ops = {
	.name = "spy",
	.description = "forwards to the in-process virtual passport, recording APDUs",
	.connect = spy_connect,
	.transmit = spy_transmit,
	.card_present = spy_card_present,
	.capabilities = spy_capabilities,
	.reader_name = spy_reader_name,
	.close = spy_close,
	.wait_change = spy_wait_change,
};
