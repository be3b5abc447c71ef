/*
 * fault_transport — see fault_transport.h.
 */
#include "tests/common/fault_transport.h"

#include "hal/passport/transport-internal.h"

static pp_err fr_connect(void *priv, int timeout_ms)
{
	fault_reader *fr = priv;
	if (atomic_load(&fr->gone))
		return (pp_err)atomic_load(&fr->gone);
	return pp_transport_connect(fr->inner, timeout_ms);
}

static pp_err fr_transmit(void *priv, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *ret_len)
{
	fault_reader *fr = priv;
	if (atomic_load(&fr->gone))
		return (pp_err)atomic_load(&fr->gone);
	if (!fault_plan_hit(&fr->plan))
		return pp_transport_transmit(fr->inner, cmd, len, resp, cap, ret_len);
	if (fr->mode == FAULT_ANSWER_LOST) {
		size_t ignored = 0;
		pp_transport_transmit(fr->inner, cmd, len, resp, cap, &ignored);
	}
	return fr->err;
}

static pp_err fr_card_present(void *priv, bool *ret)
{
	fault_reader *fr = priv;
	if (atomic_load(&fr->gone))
		return (pp_err)atomic_load(&fr->gone);
	return pp_transport_card_present(fr->inner, ret);
}

static pp_err fr_capabilities(void *priv, pp_transport_caps *ret)
{
	fault_reader *fr = priv;
	return pp_transport_capabilities(fr->inner, ret);
}

static pp_err fr_wait_change(void *priv, bool present, int timeout_ms, bool *ret_present)
{
	fault_reader *fr = priv;
	if (atomic_load(&fr->gone))
		return (pp_err)atomic_load(&fr->gone);
	return pp_transport_wait_change(fr->inner, present, timeout_ms, ret_present);
}

static pp_err fr_cancel(void *priv)
{
	fault_reader *fr = priv;
	return pp_transport_cancel(fr->inner);
}

static pp_err fr_atr(void *priv, uint8_t *out, size_t *ret_len)
{
	fault_reader *fr = priv;
	return pp_transport_atr(fr->inner, out, ret_len);
}

static const char *fr_reader_name(void *priv)
{
	(void)priv;
	return "fault-injecting reader";
}

static void fr_close(void *priv)
{
	(void)priv; /* the test owns the fault_reader */
}

static const pp_transport_ops fault_ops = {
	.name = "fault",
	.description = "wraps another reader and fails one exchange on purpose (tests)",
	.connect = fr_connect,
	.transmit = fr_transmit,
	.card_present = fr_card_present,
	.capabilities = fr_capabilities,
	.reader_name = fr_reader_name,
	.close = fr_close,
	.wait_change = fr_wait_change,
	.cancel = fr_cancel,
	.atr = fr_atr,
};

pp_err fault_transport_new(fault_reader *fr, pp_transport **ret)
{
	return pp_transport_new(&fault_ops, fr, ret);
}
