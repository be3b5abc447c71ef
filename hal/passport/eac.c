/*
 * eac — PACE and chip authentication, terminal side; see eac.h.
 * (Placeholder until the OpenPACE-based implementation lands: nothing is
 * supported, so the reading stack falls back to BAC.)
 */
#include "hal/passport/eac.h"

#include <stdio.h>

pp_err pp_pace_run(pp_channel *ch, const uint8_t *card_access, size_t card_access_len, pp_pace_secret type,
                   const char *secret, pp_pace **ret, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "PACE is not available in this build");
	return PP_ERR_NOT_SUPPORTED;
}

const pp_protocol_info *pp_pace_info(const pp_pace *p)
{
	return NULL;
}

bool pp_pace_is_cam(const pp_pace *p)
{
	return false;
}

pp_err pp_pace_cam_verify(const pp_pace *p, const uint8_t *dg14, size_t dg14_len, char *err, size_t errlen)
{
	return PP_ERR_NOT_SUPPORTED;
}

void pp_pace_free(pp_pace *p)
{
}

pp_err pp_ca_run(pp_channel *ch, const uint8_t *dg14, size_t dg14_len, pp_protocol_info *ret, char *err,
                 size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "chip authentication is not available in this build");
	return PP_ERR_NOT_SUPPORTED;
}
