/*
 * persona — an invented applicant read from a key=value text file
 * (devices/data/personas/<name>.persona), the TD3 machine readable zone
 * made from it (ICAO 9303 part 4) with every check digit, and its card
 * access number.
 */
#include "devices/docgen/docgen-internal.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "crypto/icao.h"

typedef struct field {
	const char *key;
	size_t offset, size;
	bool required;
} field;

#define F(name, req) { #name, offsetof(docgen_persona, name), sizeof(((docgen_persona *)0)->name), req }
static const field fields[] = {
	F(surname, true), F(given_names, false), F(nationality, true), F(issuing_state, true),
	F(birth_date, true), F(document_number, true), F(expiry_date, true),
	F(place_of_birth, false), F(personal_number, false), F(issuing_authority, false),
	F(date_of_issue, false), F(can, false),
};
#undef F

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A persona file's values, as libinih hands them over. */
typedef struct persona_file {
	docgen_persona p;
	char face[256];
	const char *problem; /* why a line was refused, with key */
	char key[64];
} persona_file;

static int persona_value(void *user, const char *section, const char *key, const char *value)
{
	(void)section;
	persona_file *pf = user;
	snprintf(pf->key, sizeof pf->key, "%s", key);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(key, fields[i].key) != 0)
			continue;
		if (strlen(value) >= fields[i].size) {
			pf->problem = "too long:";
			return 0;
		}
		memcpy((char *)&pf->p + fields[i].offset, value, strlen(value) + 1);
		return 1;
	}
	if (strcmp(key, "sex") == 0) {
		pf->p.sex = (value[0] == 'F' || value[0] == 'M') && !value[1] ? value[0] : '<';
		return 1;
	}
	if (strcmp(key, "face") == 0 && strlen(value) < sizeof pf->face) {
		memcpy(pf->face, value, strlen(value) + 1);
		return 1;
	}
	pf->problem = strcmp(key, "face") == 0 ? "too long:" : "unknown key";
	return 0;
}

docgen_err docgen_persona_load(const char *spec, const char *data_dir,
                               docgen_persona *ret, char *err, size_t errlen)
{
	if (!spec || !*spec)
		return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false, "no persona given");
	char path[1024];
	bool by_name = strchr(spec, '/') == NULL && !is_file(spec);
	if (by_name) {
		if (!data_dir)
			return docgen_fail(err, errlen, DOCGEN_ERR_ARG, false,
			                   "persona '%s' is a name but no data directory is known", spec);
		snprintf(path, sizeof path, "%s/personas/%s.persona", data_dir, spec);
	} else {
		snprintf(path, sizeof path, "%s", spec);
	}
	FILE *f = fopen(path, "r");
	if (!f)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "no persona file %s", path);

	persona_file pf = { .p = { .sex = '<' } };
	int bad_line = ini_parse_file(f, persona_value, &pf);
	fclose(f);
	if (bad_line < 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "%s: read error", path);
	if (bad_line > 0 && pf.problem)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "%s:%d: %s '%s'", path, bad_line, pf.problem,
		                   pf.key);
	if (bad_line > 0)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "%s:%d: expected key=value", path, bad_line);
	docgen_persona p = pf.p;
	const char *face = pf.face;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (fields[i].required && !*((char *)&p + fields[i].offset))
			return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
			                   "%s lacks %s=", path, fields[i].key);
	}
	if (!all_digits(p.birth_date, 6) || !all_digits(p.expiry_date, 6))
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                   "%s: birth_date and expiry_date are YYMMDD", path);
	if (p.date_of_issue[0] && !all_digits(p.date_of_issue, 8))
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                   "%s: date_of_issue is YYYYMMDD", path);
	if (p.can[0] && !all_digits(p.can, 6))
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                   "%s: can is the 6-digit card access number", path);
	if (!*face)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false, "%s lacks face=", path);

	/* The face: absolute, else in <data_dir>/faces, else beside ../faces of the file. */
	if (face[0] == '/') {
		snprintf(p.face_path, sizeof p.face_path, "%s", face);
	} else {
		p.face_path[0] = '\0';
		if (data_dir) {
			snprintf(p.face_path, sizeof p.face_path, "%s/faces/%s", data_dir, face);
			if (!is_file(p.face_path))
				p.face_path[0] = '\0';
		}
		if (!p.face_path[0]) {
			char dir[1024];
			snprintf(dir, sizeof dir, "%s", path);
			char *slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			else
				strcpy(dir, ".");
			int n = snprintf(p.face_path, sizeof p.face_path, "%s/../faces/%s", dir, face);
			if (n < 0 || (size_t)n >= sizeof p.face_path)
				p.face_path[0] = '\0'; /* too long: reported as not found below */
		}
	}
	if (!is_file(p.face_path))
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                   "%s: face image %s not found", path, face);
	char probe[89];
	if (docgen_mrz_td3(&p, probe) != DOCGEN_OK)
		return docgen_fail(err, errlen, DOCGEN_ERR_PERSONA, false,
		                   "%s: a field cannot be written in the MRZ (A-Z, 0-9 and spaces only)", path);
	*ret = p;
	return DOCGEN_OK;
}

/* Copy src into dst[0..n) in MRZ characters, '<' for spaces and fill. */
static bool mrz_field(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; *src && i < n; src++) {
		char c = (char)toupper((unsigned char)*src);
		if (c == ' ' || c == '-' || c == '\'')
			c = '<';
		else if (!isupper((unsigned char)c) && !isdigit((unsigned char)c) && c != '<')
			return false;
		dst[i++] = c;
	}
	for (; i < n; i++)
		dst[i] = '<';
	return true;
}

static char check_char(const char *s, size_t n)
{
	int d = icao_check_digit(s, n);
	return d < 0 ? '?' : (char)('0' + d);
}

docgen_err docgen_mrz_td3(const docgen_persona *p, char ret[89])
{
	char m[89];
	char *l1 = m, *l2 = m + 44;
	/* Line 1: P<, issuing state, SURNAME<<GIVEN<NAMES. */
	char name[sizeof p->surname + 2 + sizeof p->given_names];
	snprintf(name, sizeof name, "%s%s%s", p->surname, p->given_names[0] ? "<<" : "",
	         p->given_names);
	if (!mrz_field(l1, 2, "P") || !mrz_field(l1 + 2, 3, p->issuing_state) ||
	    !mrz_field(l1 + 5, 39, name))
		return DOCGEN_ERR_PERSONA;
	/* Line 2. */
	const char *pn = strlen(p->personal_number) <= 14 ? p->personal_number : "";
	if (strlen(p->document_number) > 9 ||
	    !mrz_field(l2, 9, p->document_number) ||
	    !mrz_field(l2 + 10, 3, p->nationality) ||
	    !mrz_field(l2 + 13, 6, p->birth_date) ||
	    !mrz_field(l2 + 21, 6, p->expiry_date) ||
	    !mrz_field(l2 + 28, 14, pn))
		return DOCGEN_ERR_PERSONA;
	l2[9] = check_char(l2, 9);
	l2[19] = check_char(l2 + 13, 6);
	l2[20] = p->sex;
	l2[27] = check_char(l2 + 21, 6);
	l2[42] = check_char(l2 + 28, 14);
	char composite[10 + 7 + 7 + 15];
	memcpy(composite, l2, 10);
	memcpy(composite + 10, l2 + 13, 7);
	memcpy(composite + 17, l2 + 21, 22);
	l2[43] = check_char(composite, sizeof composite);
	m[88] = '\0';
	if (strchr(m, '?'))
		return DOCGEN_ERR_PERSONA;
	memcpy(ret, m, 89);
	return DOCGEN_OK;
}

void docgen_persona_can(const docgen_persona *p, char ret[7])
{
	if (all_digits(p->can, 6)) {
		memcpy(ret, p->can, 7);
		return;
	}
	/* FNV-1a of the document number: a persona without can= keeps the same
	 * CAN from one run to the next, and personas differ from each other. */
	uint32_t h = 2166136261u;
	for (const char *c = p->document_number; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	snprintf(ret, 7, "%06u", (unsigned)(h % 1000000u));
}
