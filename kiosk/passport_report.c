/*
 * passport_report — printing the report of `appm passport read` (JSON with
 * jansson, or a summary): the holder, the files, which protocols ran with
 * which parameters and what each found, passive authentication, and the
 * reading's figures.
 */
#include "kiosk/passport_report.h"

#include <string.h>

#include <jansson.h>

static void set_str(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

static json_t *check_json(const pa_check *c)
{
	return json_pack("{s:s, s:s}", "result", pa_status_name(c->status), "detail", c->detail);
}

static json_t *holder_json(const lds_mrz *m)
{
	json_t *h = json_object();
	set_str(h, "surname", m->primary_identifier);
	set_str(h, "given_names", m->secondary_identifier);
	set_str(h, "document_code", m->document_code);
	set_str(h, "issuing_state", m->issuing_state);
	set_str(h, "nationality", m->nationality);
	set_str(h, "document_number", m->document_number);
	set_str(h, "birth_date", m->birth_date);
	char sex[2] = { m->sex, 0 };
	set_str(h, "sex", sex);
	set_str(h, "expiry_date", m->expiry_date);
	set_str(h, "optional_data", m->optional_data);
	json_t *lines = json_array();
	for (size_t i = 0; i < m->n_lines; i++)
		json_array_append_new(lines, json_string(m->lines[i]));
	json_object_set_new(h, "mrz", lines);
	json_t *checks = json_object();
	json_object_set_new(checks, "document_number", json_boolean(m->check_number.ok));
	json_object_set_new(checks, "birth_date", json_boolean(m->check_birth.ok));
	json_object_set_new(checks, "expiry_date", json_boolean(m->check_expiry.ok));
	if (m->has_optional)
		json_object_set_new(checks, "optional_data", json_boolean(m->check_optional.ok));
	json_object_set_new(checks, "composite", json_boolean(m->check_composite.ok));
	json_object_set_new(h, "check_digits", checks);
	/* A chip's dates are reported as they are, not refused. */
	json_object_set_new(h, "dates",
	                    json_pack("{s:s, s:s}", "birth_date", lds_date_status_name(m->birth_date_status),
	                              "expiry_date", lds_date_status_name(m->expiry_date_status)));
	return h;
}

static json_t *additional_json(const pp_parsed *p)
{
	json_t *o = json_object();
	if (p->dg11) {
		set_str(o, "full_name", p->dg11->full_name);
		set_str(o, "personal_number", p->dg11->personal_number);
		set_str(o, "full_birth_date", p->dg11->full_birth_date);
		set_str(o, "place_of_birth", p->dg11->place_of_birth);
		set_str(o, "address", p->dg11->address);
		set_str(o, "telephone", p->dg11->telephone);
		set_str(o, "profession", p->dg11->profession);
		set_str(o, "title", p->dg11->title);
	}
	if (p->dg12) {
		set_str(o, "issuing_authority", p->dg12->issuing_authority);
		set_str(o, "issue_date", p->dg12->issue_date);
		set_str(o, "endorsements", p->dg12->endorsements);
		set_str(o, "personalisation_time", p->dg12->personalisation_time);
	}
	return o;
}

/* DG14's entries: the OID, its name when known, the kind of SecurityInfo
 * and the protocol it serves ("PACE-CAM" for a PACEInfo of chip
 * authentication mapping, "CA" for a chip authentication key, ...). */
static json_t *security_infos_json(const secinfo_list *l)
{
	json_t *infos = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const secinfo_entry *e = &l->entries[i];
		json_t *o = json_pack("{s:s}", "oid", e->oid);
		set_str(o, "name", e->name[0] ? e->name : NULL);
		set_str(o, "kind", secinfo_kind_name(e->kind));
		set_str(o, "protocol", secinfo_oid_protocol(e->oid));
		json_array_append_new(infos, o);
	}
	return infos;
}

static const char *file_name_of(int dg)
{
	return lds_file_name(lds_file_dg(dg));
}

static json_t *file_json(const char *name, const pp_file *f)
{
	json_t *o = json_pack("{s:s, s:b}", "file", name, "read", f->present);
	if (f->present) {
		json_object_set_new(o, "bytes", json_integer((json_int_t)f->len));
	} else if (f->err == PP_OK) {
		set_str(o, "error", "not reached: the read stopped before it");
	} else {
		set_str(o, "error", f->err == PP_ERR_FILE_NOT_FOUND ? "absent from the chip" : pp_strerror(f->err));
		if (f->sw) {
			char sw[8];
			snprintf(sw, sizeof(sw), "%04X", f->sw);
			set_str(o, "status_word", sw);
		}
	}
	json_object_set_new(o, "seconds", json_real(f->seconds));
	json_object_set_new(o, "apdus", json_integer((json_int_t)f->apdus));
	return o;
}

/* EF.COM lists it, the chip has no such file. */
static bool listed_absent_dg(const pp_document *doc, int dg)
{
	return doc->listed[dg] && !doc->dg[dg].present && doc->dg[dg].err == PP_ERR_FILE_NOT_FOUND;
}

/* On the chip (read), not in EF.COM's list. */
static bool unlisted_present_dg(const pp_document *doc, int dg)
{
	return doc->dg[dg].present && !doc->listed[dg];
}

/* pa NULL (a read that stopped, or data passive authentication could not
 * take): the SOD's coverage as the reader parsed it, when it got that far. */
static json_t *data_groups_json(const pp_document *doc, const pa_report *pa)
{
	json_t *listed = json_array(), *covered = json_array(), *files = json_array();
	json_t *not_listed = json_array(), *not_read = json_array();
	bool in_sod[PP_MAX_DG + 1] = { false };
	if (!pa)
		memcpy(in_sod, doc->in_sod, sizeof(in_sod));
	for (size_t i = 0; pa && i < pa->n_covered; i++)
		if (pa->covered[i] >= 1 && pa->covered[i] <= PP_MAX_DG)
			in_sod[pa->covered[i]] = true;
	json_array_append_new(files, file_json("EF.COM", &doc->com));
	json_array_append_new(files, file_json("EF.SOD", &doc->sod));
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		if (doc->listed[dg])
			json_array_append_new(listed, json_integer(dg));
		if (in_sod[dg])
			json_array_append_new(covered, json_integer(dg));
		if (in_sod[dg] && !doc->listed[dg])
			json_array_append_new(not_listed, json_integer(dg));
		if (in_sod[dg] && !doc->dg[dg].present)
			json_array_append_new(not_read, json_integer(dg));
		if ((doc->listed[dg] || doc->in_sod[dg] || doc->dg[dg].present) && pp_dg_readable(dg))
			json_array_append_new(files, file_json(file_name_of(dg), &doc->dg[dg]));
	}
	json_t *listed_absent = json_array(), *unlisted_present = json_array();
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		if (listed_absent_dg(doc, dg))
			json_array_append_new(listed_absent, json_integer(dg));
		if (unlisted_present_dg(doc, dg))
			json_array_append_new(unlisted_present, json_integer(dg));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "listed_in_com", listed, "covered_by_sod", covered,
	                 "in_sod_not_listed", not_listed, "in_sod_not_read", not_read, "listed_absent",
	                 listed_absent, "unlisted_present", unlisted_present, "files", files);
}

/* ---- protocols ---- */

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static const char *secret_name(pp_pace_secret secret)
{
	switch (secret) {
	case PP_PACE_MRZ: return "MRZ";
	case PP_PACE_CAN: return "CAN";
	}
	return "";
}

/* What opened the chip; for a read that stopped before, what was tried:
 * PACE when it ran (its error in "error"), BAC when the chip offered no
 * PACE, and "not reached" when the read ended before access control. */
static json_t *access_control_json(const pp_document *doc)
{
	const char *protocol = doc->access_control, *result = "passed";
	if (!protocol[0]) {
		bool looked = doc->card_access.present || doc->card_access.err == PP_ERR_FILE_NOT_FOUND;
		protocol = doc->pace.attempted ? "PACE" : looked ? "BAC" : NULL;
		result = protocol ? "failed" : "not reached";
	}
	bool pace = protocol && strcmp(protocol, "PACE") == 0;
	const pp_protocol_info *i = &doc->pace.info;
	json_t *o = json_object();
	json_object_set_new(o, "protocol", str_or_null(protocol));
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "oid", str_or_null(pace ? i->oid : NULL));
	json_object_set_new(o, "name", str_or_null(pace ? i->name : NULL));
	json_object_set_new(o, "mapping", str_or_null(pace ? i->mapping : NULL));
	json_object_set_new(o, "agreement", str_or_null(pace ? i->agreement : NULL));
	json_object_set_new(o, "domain", str_or_null(pace ? i->domain : NULL));
	json_object_set_new(o, "parameter_id",
	                    pace && i->oid[0] && i->parameter_id >= 0 ? json_integer(i->parameter_id) : json_null());
	json_object_set_new(o, "cipher", str_or_null(pace ? i->cipher : protocol ? "3DES" : NULL));
	json_object_set_new(o, "secret", protocol ? json_string(pace ? secret_name(doc->pace.secret) : "MRZ")
	                                          : json_null());
	json_object_set_new(o, "fallback_reason", str_or_null(doc->bac_fallback ? doc->pace.error : NULL));
	if (!doc->access_control[0] && doc->pace.attempted)
		set_str(o, "error", doc->pace.error);
	return o;
}

static json_t *chip_auth_json(const pp_document *doc)
{
	const pp_chip_auth_report *c = &doc->chip_auth;
	bool ran = c->method[0] != '\0';
	json_t *o = json_object();
	json_object_set_new(o, "method", str_or_null(c->method));
	json_object_set_new(o, "oid", str_or_null(ran ? c->info.oid : NULL));
	json_object_set_new(o, "name", str_or_null(ran ? c->info.name : NULL));
	json_object_set_new(o, "cipher", str_or_null(ran ? c->info.cipher : NULL));
	json_object_set_new(o, "domain", str_or_null(ran ? c->info.domain : NULL));
	json_object_set_new(o, "key_id", ran && c->info.key_id >= 0 ? json_integer(c->info.key_id) : json_null());
	json_object_set_new(o, "result", json_string(pp_auth_result_name(c->result)));
	set_str(o, "detail", c->detail);
	return o;
}

static json_t *active_auth_json(const pp_document *doc)
{
	const pp_active_auth_report *a = &doc->active_auth;
	bool ran = a->result == PP_AUTH_PASSED || a->result == PP_AUTH_FAILED;
	json_t *o = json_object();
	json_object_set_new(o, "algorithm", str_or_null(a->algorithm));
	json_object_set_new(o, "hash", str_or_null(a->hash));
	json_object_set_new(o, "result", json_string(pp_auth_result_name(a->result)));
	set_str(o, ran ? "detail" : "reason", a->detail);
	return o;
}

static json_t *protocols_json(const pp_document *doc)
{
	json_t *card_access = json_pack("{s:b}", "present", doc->card_access.present);
	json_object_set_new(card_access, "selection", str_or_null(doc->card_access_selection));
	return json_pack("{s:o, s:o, s:o, s:o}", "card_access", card_access, "access_control",
	                 access_control_json(doc), "chip_authentication", chip_auth_json(doc),
	                 "active_authentication", active_auth_json(doc));
}

static json_t *pa_json(const pa_report *pa, bool have_trust)
{
	json_t *dgs = json_array();
	for (size_t i = 0; i < pa->n_dgs; i++) {
		json_t *c = check_json(&pa->dgs[i].hash);
		json_object_set_new(c, "data_group", json_integer(pa->dgs[i].number));
		json_array_append_new(dgs, c);
	}
	json_t *checks = json_pack("{s:o, s:o, s:o, s:o, s:o}", "sod_signature", check_json(&pa->sod_signature),
	                           "chain", check_json(&pa->chain), "validity", check_json(&pa->validity), "crl",
	                           check_json(&pa->crl), "data_group_hashes", dgs);
	json_t *o = json_pack("{s:b, s:b, s:s, s:s, s:s, s:s, s:o}", "passed", pa->passed, "trust_store", have_trust,
	                      "hash_algorithm", pa->hash_algorithm, "signature_algorithm", pa->signature_algorithm,
	                      "document_signer", pa->ds_subject, "csca", pa->csca_subject, "checks", checks);
	if (pa->lds_version[0])
		set_str(o, "lds_version", pa->lds_version);
	return o;
}

static json_t *num_or_null(unsigned long n)
{
	return n ? json_integer((json_int_t)n) : json_null();
}

/* What the transport says of its link: the radio bit rate in kbit/s (the
 * same both ways) and how it was reached, as the read found them when it
 * connected (after a removal the transport knows no rate any more), the
 * serial line's speed. */
static void link_json(json_t *o, const pp_document *doc, const pp_transport_caps *link)
{
	unsigned kbps = link ? link->bit_rate_kbps : 0;
	const char *how = link ? link->bit_rate_how : NULL;
	if (doc && doc->bit_rate_kbps) {
		kbps = doc->bit_rate_kbps;
		how = doc->bit_rate_how;
	}
	json_object_set_new(o, "bit_rate_kbps", num_or_null(kbps));
	json_object_set_new(o, "bit_rate_how", how ? json_string(how) : json_null());
	json_object_set_new(o, "serial_baud", num_or_null(link ? link->serial_baud : 0));
}

static json_t *reading_json(const pp_document *doc)
{
	json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:b, s:I, s:I, s:I}", "reader",
	                      doc->reader, "access_control", doc->access_control, "seconds", doc->total_seconds,
	                      "connect_seconds", doc->connect_seconds, "access_control_seconds", doc->access_seconds,
	                      "read_seconds", doc->read_seconds, "apdus", (json_int_t)doc->apdus, "bytes_sent",
	                      (json_int_t)doc->bytes_sent, "bytes_received", (json_int_t)doc->bytes_received,
	                      "extended_length", doc->extended_length, "read_size", (json_int_t)doc->read_size,
	                      "retried_reads", (json_int_t)doc->retried_reads, "short_read_fallbacks",
	                      (json_int_t)doc->short_fallbacks);
	/* "" until access control succeeds. */
	json_object_set_new(o, "access_control", str_or_null(doc->access_control));
	json_object_set_new(o, "timeouts", json_integer((json_int_t)doc->timeouts));
	json_object_set_new(o, "read_size_reductions", json_integer((json_int_t)doc->size_reductions));
	json_object_set_new(o, "sessions_reestablished", json_integer((json_int_t)doc->reestablished));
	json_object_set_new(o, "secure_messaging_ended", json_integer((json_int_t)doc->sm_ended));
	json_object_set_new(o, "get_responses", json_integer((json_int_t)doc->get_responses));
	/* "SFI": every file named by its short identifier in its first READ
	 * BINARY; "SELECT": the chip refused that (sfi_refused says how), and
	 * the files from then on were selected. */
	json_object_set_new(o, "files_by", json_string(doc->sfi_refused_sw ? "SELECT" : "SFI"));
	if (doc->sfi_refused_sw) {
		char sw[8];
		snprintf(sw, sizeof(sw), "%04X", doc->sfi_refused_sw);
		json_object_set_new(o, "sfi_refused", json_string(sw));
	} else {
		json_object_set_new(o, "sfi_refused", json_null());
	}
	return o;
}

void passport_report_print_json(FILE *f, const pp_report *r, const pp_transport_caps *link)
{
	const pp_document *doc = r->doc;
	const pp_parsed *p = &r->parsed;
	const pa_report *pa = &r->pa;
	bool have_trust = r->trusted;
	json_t *root = json_object();
	json_object_set_new(root, "result", json_string(pa->passed ? "verified" : "verification failed"));
	json_object_set_new(root, "holder", holder_json(&p->mrz));
	json_object_set_new(root, "additional", additional_json(p));
	const lds_face *face = p->dg2 ? lds_dg2_face(p->dg2) : NULL;
	if (face && p->face) {
		json_object_set_new(root, "face",
		                    json_pack("{s:s, s:i, s:i, s:I}", "format", face_format_name(p->face->format),
		                              "width", (int)p->face->width, "height", (int)p->face->height, "bytes",
		                              (json_int_t)face->image_len));
	}
	if (p->dg15) {
		json_t *k = json_pack("{s:s, s:i}", "type", lds_key_type_name(p->dg15->type), "bits", p->dg15->bits);
		if (p->dg15->curve[0])
			set_str(k, "curve", p->dg15->curve);
		json_object_set_new(root, "active_authentication_key", k);
	}
	if (p->has_dg14)
		json_object_set_new(root, "security_infos", security_infos_json(&p->dg14));
	json_object_set_new(root, "protocols", protocols_json(doc));
	json_object_set_new(root, "data_groups", data_groups_json(doc, pa));
	json_object_set_new(root, "passive_authentication", pa_json(pa, have_trust));
	json_t *reading = reading_json(doc);
	link_json(reading, doc, link);
	json_object_set_new(root, "reading", reading);
	json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
}

void passport_report_print_error(FILE *f, const pp_document *doc, const pp_transport_caps *link, pp_err err,
                                 const char *kind, const char *message, const char *detail, int exit_code)
{
	json_t *e = json_pack("{s:s, s:s, s:i}", "kind", kind, "message", message, "exit_code", exit_code);
	if (detail && detail[0])
		set_str(e, "detail", detail);
	if (err != PP_OK) {
		/* Who can act on it, and what a device fault recommends. */
		pp_err_info info = pp_err_info_of(err);
		set_str(e, "class", pp_err_class_name(info.cls));
		if (info.cls == PP_CLASS_DEVICE)
			set_str(e, "recommended_action", pp_action_name(info.action));
	}
	if (doc && doc->error_sw) {
		char sw[8];
		snprintf(sw, sizeof(sw), "%04X", doc->error_sw);
		set_str(e, "status_word", sw);
	}
	json_t *root = json_pack("{s:o}", "error", e);
	if (doc) {
		json_object_set_new(root, "protocols", protocols_json(doc));
		json_object_set_new(root, "data_groups", data_groups_json(doc, NULL));
		json_t *reading = reading_json(doc);
		link_json(reading, doc, link);
		json_object_set_new(root, "reading", reading);
	}
	json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
}


/* "740812" -> "12.08.74"-style is ambiguous; show YYMMDD as 19YY/20YY is a
 * guess too, so the summary prints the MRZ form with separators, and says
 * when the chip's date is partly unknown or no calendar day. */
static void mrz_date(const char *d, lds_date_status status, char *out, size_t len)
{
	const char *note = status == LDS_DATE_VALID ? "" : status == LDS_DATE_PARTLY_UNKNOWN ? " PARTLY UNKNOWN"
	                                                                                   : " NOT A DATE";
	if (strlen(d) == 6)
		snprintf(out, len, "%.2s-%.2s-%.2s%s", d, d + 2, d + 4, note);
	else
		snprintf(out, len, "%s%s", d, note);
}

/* "DG3, DG11" of the data groups for which `pick` holds; false if none. */
static bool dg_list(const pp_document *doc, bool (*pick)(const pp_document *, int), char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int dg = 1; dg <= PP_MAX_DG; dg++) {
		if (!pick(doc, dg))
			continue;
		int n = snprintf(out + used, len - used, "%sDG%d", used ? ", " : "", dg);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return used > 0;
}

/* One line each: EF.CardAccess, access control, chip authentication,
 * active authentication, and EF.COM against what is on the chip. */
static void print_protocols(FILE *f, const pp_document *doc)
{
	if (doc->card_access.present)
		fprintf(f, "CardAccess  read (%s)\n", doc->card_access_selection);
	else
		fprintf(f, "CardAccess  absent: the chip offers no PACE\n");
	const pp_protocol_info *i = &doc->pace.info;
	if (strcmp(doc->access_control, "PACE") == 0)
		fprintf(f, "Access      PACE %s (%s, %s, %s) with the %s\n", i->mapping, i->name[0] ? i->name : i->oid,
		        i->domain, i->cipher, secret_name(doc->pace.secret));
	else if (doc->bac_fallback)
		fprintf(f, "Access      BAC (3DES) after PACE failed: %s\n", doc->pace.error);
	else
		fprintf(f, "Access      BAC (3DES)\n");
	const pp_chip_auth_report *c = &doc->chip_auth;
	if (c->method[0])
		fprintf(f, "Chip auth   %s %s (%s, %s, %s)\n", c->method, pp_auth_result_name(c->result),
		        c->info.name[0] ? c->info.name : c->info.oid, c->info.domain, c->info.cipher);
	else
		fprintf(f, "Chip auth   %s: %s\n", pp_auth_result_name(c->result), c->detail);
	const pp_active_auth_report *a = &doc->active_auth;
	if (a->result == PP_AUTH_PASSED || a->result == PP_AUTH_FAILED)
		fprintf(f, "Active auth %s (%s%s%s)\n", pp_auth_result_name(a->result), a->algorithm,
		        a->hash[0] ? ", " : "", a->hash);
	else
		fprintf(f, "Active auth %s: %s\n", pp_auth_result_name(a->result), a->detail);
	char absent[96], unlisted[96];
	bool any_absent = dg_list(doc, listed_absent_dg, absent, sizeof(absent));
	bool any_unlisted = dg_list(doc, unlisted_present_dg, unlisted, sizeof(unlisted));
	if (any_absent || any_unlisted)
		fprintf(f, "EF.COM      listed but absent: %s; on the chip but not listed: %s\n",
		        any_absent ? absent : "none", any_unlisted ? unlisted : "none");
}

void passport_report_print_summary(FILE *f, const pp_report *r)
{
	const pp_document *doc = r->doc;
	const pp_parsed *p = &r->parsed;
	const pa_report *pa = &r->pa;
	bool have_trust = r->trusted;
	const lds_mrz *m = &p->mrz;
	char born[32], expires[32];
	mrz_date(m->birth_date, m->birth_date_status, born, sizeof(born));
	mrz_date(m->expiry_date, m->expiry_date_status, expires, sizeof(expires));
	fprintf(f, "Holder      %s, %s\n", m->primary_identifier, m->secondary_identifier);
	fprintf(f, "            nationality %s, born %s (YY-MM-DD), sex %c\n", m->nationality, born, m->sex);
	fprintf(f, "Document    %s %s no. %s, expires %s (YY-MM-DD)%s\n", m->document_code, m->issuing_state,
	        m->document_number, expires, lds_mrz_checks_ok(m) ? "" : ", MRZ CHECK DIGIT WRONG");
	if (p->face)
		fprintf(f, "Face        %s %ux%u\n", face_format_name(p->face->format), p->face->width, p->face->height);
	fprintf(f, "Read        %s on %s: ", doc->access_control, doc->reader);
	fprintf(f, "EF.COM EF.SOD");
	for (int dg = 1; dg <= PP_MAX_DG; dg++)
		if (doc->dg[dg].present)
			fprintf(f, " DG%d", dg);
	fprintf(f, "\n            %.2f s, %lu APDUs, %llu bytes received\n", doc->total_seconds, doc->apdus,
	        doc->bytes_received);
	print_protocols(f, doc);
	fprintf(f, "Passive authentication: %s\n", pa->passed ? "PASSED" : "FAILED");
	fprintf(f, "  %-16s %-12s %s\n", "SOD signature", pa_status_name(pa->sod_signature.status),
	        pa->sod_signature.detail);
	fprintf(f, "  %-16s %-12s %s\n", "DS -> CSCA", pa_status_name(pa->chain.status),
	        have_trust ? pa->chain.detail : "no trust store given (--trust)");
	fprintf(f, "  %-16s %-12s %s\n", "validity", pa_status_name(pa->validity.status), pa->validity.detail);
	fprintf(f, "  %-16s %-12s %s\n", "CRL", pa_status_name(pa->crl.status), pa->crl.detail);
	for (size_t i = 0; i < pa->n_dgs; i++) {
		char name[24];
		snprintf(name, sizeof(name), "%s hash", file_name_of(pa->dgs[i].number));
		fprintf(f, "  %-16s %-12s %s\n", name, pa_status_name(pa->dgs[i].hash.status), pa->dgs[i].hash.detail);
	}
}
