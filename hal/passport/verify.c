/*
 * verify — the passport reader's one operation: read, parse, verify; see
 * verify.h.
 */
#include "hal/passport/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool pp_parse_document(const pp_document *doc, pp_parsed *ret, char *why, size_t why_len)
{
	pp_parsed p = { 0 };
	lds_err e = LDS_OK;
	const char *what = "EF.COM";

	e = lds_com_parse(doc->com.data, doc->com.len, &p.com);
	if (e == LDS_OK && doc->dg[1].present) {
		what = "DG1";
		e = lds_dg1_parse(doc->dg[1].data, doc->dg[1].len, &p.mrz);
	} else if (e == LDS_OK) {
		what = "DG1";
		e = LDS_ERR_MISSING;
	}
	if (e == LDS_OK && doc->dg[2].present) {
		what = "DG2";
		e = lds_dg2_parse(doc->dg[2].data, doc->dg[2].len, &p.dg2);
		const lds_face *face = e == LDS_OK ? lds_dg2_face(p.dg2) : NULL;
		if (face && face_decode(face->image, face->image_len, &p.face) != FACE_OK)
			e = LDS_ERR_VALUE; /* the image inside is undecodable */
	}
	if (e == LDS_OK && doc->dg[11].present) {
		what = "DG11";
		e = lds_dg11_parse(doc->dg[11].data, doc->dg[11].len, &p.dg11);
	}
	if (e == LDS_OK && doc->dg[12].present) {
		what = "DG12";
		e = lds_dg12_parse(doc->dg[12].data, doc->dg[12].len, &p.dg12);
	}
	if (e == LDS_OK && doc->dg[15].present) {
		what = "DG15";
		e = lds_dg15_parse(doc->dg[15].data, doc->dg[15].len, &p.dg15);
	}
	if (e == LDS_OK && doc->sod.present) {
		const uint8_t *cms;
		size_t cms_len;
		what = "EF.SOD";
		e = lds_sod_unwrap(doc->sod.data, doc->sod.len, &cms, &cms_len);
	}
	if (e != LDS_OK) {
		snprintf(why, why_len, "%s: %s", what, lds_strerror(e));
		pp_parsed_clear(&p);
		return false;
	}
	/* DG14 is what the reader took PACE-CAM's and chip authentication's
	 * keys from: the report shows the same reading of it. */
	if (doc->dg[14].present) {
		crypto_err ce = secinfo_parse(doc->dg[14].data, doc->dg[14].len, &p.dg14);
		if (ce != CRYPTO_OK) {
			snprintf(why, why_len, "DG14: %s",
			         ce == CRYPTO_ERR_FORMAT ? "not a set of security infos" : crypto_strerror(ce));
			pp_parsed_clear(&p);
			return false;
		}
		p.has_dg14 = true;
	}
	*ret = p;
	return true;
}

void pp_parsed_clear(pp_parsed *p)
{
	lds_dg2_free(p->dg2);
	face_image_free(p->face);
	lds_dg11_free(p->dg11);
	lds_dg12_free(p->dg12);
	secinfo_list_free(&p->dg14);
	lds_dg15_free(p->dg15);
	memset(p, 0, sizeof(*p));
}


/* Passive authentication of a whole, parsed read. */
static void verify(pp_report *r, const pa_trust *trust)
{
	const pp_document *doc = r->doc;
	pa_dg dgs[PP_MAX_DG];
	size_t n_dgs = 0;
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		if (doc->dg[dg].present)
			dgs[n_dgs++] = (pa_dg){ .number = dg, .data = doc->dg[dg].data, .len = doc->dg[dg].len };
	char why[400] = "";
	crypto_err ce = pa_verify(trust, doc->sod.data, doc->sod.len, dgs, n_dgs, time(NULL), &r->pa, why, sizeof(why));
	if (ce != CRYPTO_OK) {
		r->stage = PP_STAGE_PARSE;
		r->err = ce == CRYPTO_ERR_NOMEM ? PP_ERR_NOMEM : PP_ERR_PARSE;
		snprintf(r->detail, sizeof(r->detail), "EF.SOD: %s", why);
		return;
	}
	r->stage = PP_STAGE_VERIFY;
	if (!r->pa.passed) {
		r->err = PP_ERR_NOT_VERIFIED;
		pp_pa_first_failure(&r->pa, r->detail, sizeof(r->detail));
	}
}

pp_err pp_read_passport(pp_transport *t, const pp_access_key *key, const pa_trust *trust,
                        const pp_read_options *opt, pp_report **ret)
{
	if (!t || !key || !ret)
		return PP_ERR_ARG;
	pp_report *r = calloc(1, sizeof(*r));
	if (!r)
		return PP_ERR_NOMEM;
	r->trusted = trust != NULL;
	pp_document *partial = NULL;
	r->err = pp_read_document_partial(t, key, opt, &r->doc, &partial, r->detail, sizeof(r->detail));
	if (r->err != PP_OK) {
		r->doc = partial;
		if (!r->doc && (r->err == PP_ERR_ARG || r->err == PP_ERR_NOMEM)) {
			pp_err e = r->err;
			free(r);
			return e;
		}
		*ret = r;
		return r->err;
	}
	r->stage = PP_STAGE_PARSE;
	if (!pp_parse_document(r->doc, &r->parsed, r->detail, sizeof(r->detail))) {
		r->err = PP_ERR_PARSE;
	} else if (!r->doc->sod.present) {
		r->err = PP_ERR_PARSE;
		snprintf(r->detail, sizeof(r->detail), "EF.SOD is missing");
	} else {
		verify(r, trust);
	}
	*ret = r;
	return r->err;
}

void pp_report_free(pp_report *r)
{
	if (!r)
		return;
	pp_parsed_clear(&r->parsed);
	pp_document_free(r->doc);
	free(r);
}

void pp_pa_first_failure(const pa_report *pa, char *out, size_t len)
{
	static const char *const names[] = { "SOD signature", "DS -> CSCA chain", "validity dates", "CRL" };
	const pa_check *checks[] = { &pa->sod_signature, &pa->chain, &pa->validity, &pa->crl };
	for (size_t i = 0; i < 4; i++) {
		if (checks[i]->status == PA_FAIL) {
			snprintf(out, len, "%s: %s", names[i], checks[i]->detail);
			return;
		}
	}
	for (size_t i = 0; i < pa->n_dgs; i++) {
		if (pa->dgs[i].hash.status != PA_PASS) {
			snprintf(out, len, "%s hash: %s", lds_file_name(lds_file_dg(pa->dgs[i].number)), pa->dgs[i].hash.detail);
			return;
		}
	}
	if (pa->chain.status != PA_PASS || pa->sod_signature.status != PA_PASS || pa->validity.status != PA_PASS) {
		snprintf(out, len, "not every check could be made (no trust store given?)");
		return;
	}
	snprintf(out, len, "unknown reason");
}
