/*
 * profiles — the kinds of chip the tests need, by name (`appm-docgen doc
 * --profile NAME`): each a set of document options (access control, chip
 * and active authentication, face size and format, data groups left out),
 * with one line saying what it is for.
 */
#include "devices/docgen/docgen-internal.h"

#include <stdio.h>
#include <string.h>

static const docgen_pace_info pace_ecdh_gm[] = {
	{ "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 },
};
static const docgen_pace_info pace_ecdh_cam[] = {
	{ "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 },
};
static const docgen_pace_info pace_dh_gm[] = {
	{ "id-PACE-DH-GM-3DES-CBC-CBC", 0 },
};

#define LIST(a) (a), sizeof(a) / sizeof((a)[0])
#define CA_ECDH_AES128 "id-CA-ECDH-AES-CBC-CMAC-128"

typedef struct profile {
	const char *name;
	const char *summary;
	docgen_face_format face;
	size_t face_bytes;
	bool dg15;
	docgen_aa_key aa_key;
	const char *aa_curve;
	const docgen_pace_info *pace;
	size_t n_pace;
	const char *ca_protocol;
	uint32_t omit_dgs;
} profile;

/* The documents issue 3's virtual passports hold. What the chip does with
 * them (refusing BAC, a cloned key, a slow link) is the virtual chip's
 * option, not the document's. */
static const profile profiles[] = {
	{ .name = "bac",
	  .summary = "BAC only, 3DES; no EF.CardAccess; DG1 DG2 DG11 DG12" },
	{ .name = "pace",
	  .summary = "PACE ECDH-GM AES-128, brainpoolP256r1; BAC still allowed",
	  .pace = LIST(pace_ecdh_gm) },
	{ .name = "pace-cam",
	  .summary = "PACE-CAM AES-128, brainpoolP256r1; DG14: CAM PACEInfo, CA key",
	  .pace = LIST(pace_ecdh_cam), .ca_protocol = CA_ECDH_AES128 },
	{ .name = "ca",
	  .summary = "PACE ECDH-GM AES-128, then chip authentication ECDH AES-128",
	  .pace = LIST(pace_ecdh_gm), .ca_protocol = CA_ECDH_AES128 },
	{ .name = "pace-dh",
	  .summary = "PACE DH-GM 3DES, 1024-bit MODP (id 0); CA DH 3DES in DG14",
	  .pace = LIST(pace_dh_gm), .ca_protocol = "id-CA-DH-3DES-CBC-CBC" },
	{ .name = "aa-rsa",
	  .summary = "BAC; active authentication, RSA 2048 key in DG15",
	  .dg15 = true, .aa_key = DOCGEN_AA_RSA },
	{ .name = "aa-ecdsa",
	  .summary = "BAC; active authentication, ECDSA P-256 in DG15, hash in DG14",
	  .dg15 = true, .aa_key = DOCGEN_AA_ECDSA, .aa_curve = "prime256v1" },
	{ .name = "large-dg2",
	  .summary = "BAC; DG2 with a JPEG 2000 face of about 30 KB",
	  .face = DOCGEN_FACE_JP2, .face_bytes = 30 * 1024 },
	{ .name = "typical",
	  .summary = "benchmark: DG1, DG2 JPEG ~20 KB, DG14, DG15 RSA; PACE + CA",
	  .face_bytes = 20 * 1024, .dg15 = true, .aa_key = DOCGEN_AA_RSA,
	  .pace = LIST(pace_ecdh_gm), .ca_protocol = CA_ECDH_AES128,
	  .omit_dgs = 1u << 11 | 1u << 12 },
};

docgen_err docgen_doc_profile(const char *name, docgen_doc_opts *o, char *err, size_t errlen)
{
	if (!name || !o)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "no profile name given");
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
		const profile *p = &profiles[i];
		if (strcmp(name, p->name) != 0)
			continue;
		o->profile = p->name;
		o->face = p->face;
		o->face_bytes = p->face_bytes;
		o->dg15 = p->dg15;
		o->aa_key = p->aa_key;
		o->aa_curve = p->aa_curve;
		o->pace = p->pace;
		o->n_pace = p->n_pace;
		o->ca_protocol = p->ca_protocol;
		o->ca_key_id = 0;
		o->ca_domain = NULL;
		o->omit_dgs = p->omit_dgs;
		return DOCGEN_OK;
	}
	return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
	                   "unknown profile \"%s\": 'appm-docgen --help' lists them", name);
}

const char *docgen_profile_name(size_t i, const char **ret_summary)
{
	if (i >= sizeof profiles / sizeof profiles[0])
		return NULL;
	if (ret_summary)
		*ret_summary = profiles[i].summary;
	return profiles[i].name;
}
