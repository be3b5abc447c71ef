/*
 * vpass document — the contents of a virtual e-passport: its LDS files as
 * raw bytes and the MRZ data BAC keys come from, loaded from a directory
 * written by the document factory or built in memory by tests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/bac.h"
#include "crypto/lds/lds.h"
#include "devices/vpass/vpass-internal.h"

const uint8_t vpass_emrtd_aid[7] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

const char *vpass_strerror(vpass_result r)
{
	switch (r) {
	case VPASS_OK: return "success";
	case VPASS_REMOVED: return "the document has left the field";
	case VPASS_ERR_ARG: return "invalid argument";
	case VPASS_ERR_NOMEM: return "out of memory";
	case VPASS_ERR_BUFFER: return "response buffer too small";
	case VPASS_ERR_IO: return "document file could not be read";
	case VPASS_ERR_FORMAT: return "malformed document description";
	case VPASS_ERR_NO_ACCESS: return "document has no valid BAC data";
	case VPASS_TIMEOUT: return "the command was carried out but its answer was lost (time-out)";
	case VPASS_FROZEN: return "the chip has stopped answering (frozen)";
	}
	return "unknown vpass error";
}

uint8_t vpass_fid_sfi(uint16_t fid)
{
	if (fid >= VPASS_FID_DG(1) && fid <= VPASS_FID_DG(16))
		return (uint8_t)(fid - 0x0100);
	if (fid == VPASS_FID_COM || fid == VPASS_FID_SOD || fid == VPASS_FID_CARD_ACCESS)
		return (uint8_t)(fid & 0x1F);
	return 0;
}

vpass_result vpass_doc_new(vpass_doc **ret)
{
	if (!ret)
		return VPASS_ERR_ARG;
	vpass_doc *d = calloc(1, sizeof(*d));
	if (!d)
		return VPASS_ERR_NOMEM;
	*ret = d;
	return VPASS_OK;
}

void vpass_doc_free(vpass_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->nfiles; i++)
		free(doc->files[i].data);
	EVP_PKEY_free(doc->aa_key);
	EVP_PKEY_free(doc->ca_key);
	OPENSSL_cleanse(doc->can, sizeof doc->can);
	free(doc);
}

const vpass_file *vpass_doc_find(const vpass_doc *doc, uint16_t fid)
{
	for (size_t i = 0; i < doc->nfiles; i++)
		if (doc->files[i].fid == fid)
			return &doc->files[i];
	return NULL;
}

const vpass_file *vpass_doc_find_sfi(const vpass_doc *doc, uint8_t sfi)
{
	for (size_t i = 0; i < doc->nfiles; i++)
		if (doc->files[i].sfi == sfi)
			return &doc->files[i];
	return NULL;
}

vpass_result vpass_doc_add_file(vpass_doc *doc, uint16_t fid, const uint8_t *data, size_t len)
{
	uint8_t sfi = vpass_fid_sfi(fid);
	if (!doc || sfi == 0 || (len && !data) || len > VPASS_MAX_FILE_SIZE)
		return VPASS_ERR_ARG;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return VPASS_ERR_NOMEM;
	if (len)
		memcpy(copy, data, len);
	vpass_file *f = (vpass_file *)vpass_doc_find(doc, fid);
	if (f) {
		free(f->data);
	} else {
		f = &doc->files[doc->nfiles++]; /* one slot per known fid: never full */
		f->fid = fid;
		f->sfi = sfi;
	}
	f->data = copy;
	f->len = len;
	return VPASS_OK;
}

vpass_result vpass_doc_set_access(vpass_doc *doc, const char *doc_number, const char *birth_date,
                                  const char *expiry_date)
{
	if (!doc || !doc_number || !birth_date || !expiry_date)
		return VPASS_ERR_ARG;
	bac_keys keys;
	if (strlen(doc_number) >= sizeof doc->doc_number ||
	    bac_keys_from_mrz(doc_number, birth_date, expiry_date, &keys) != CRYPTO_OK)
		return VPASS_ERR_NO_ACCESS;
	snprintf(doc->doc_number, sizeof doc->doc_number, "%s", doc_number);
	memcpy(doc->birth_date, birth_date, 7);
	memcpy(doc->expiry_date, expiry_date, 7);
	doc->has_access = true;
	return VPASS_OK;
}

vpass_result vpass_doc_set_aa_key(vpass_doc *doc, EVP_PKEY *key, aa_hash hash)
{
	if (!doc || hash < AA_HASH_DEFAULT || hash > AA_HASH_SHA512)
		return VPASS_ERR_ARG;
	if (key) {
		int id = EVP_PKEY_get_base_id(key);
		if ((id != EVP_PKEY_RSA && id != EVP_PKEY_EC) || EVP_PKEY_up_ref(key) != 1)
			return VPASS_ERR_ARG;
	}
	EVP_PKEY_free(doc->aa_key);
	doc->aa_key = key;
	doc->aa_hash = hash;
	return VPASS_OK;
}

EVP_PKEY *vpass_doc_aa_key(const vpass_doc *doc)
{
	return doc ? doc->aa_key : NULL;
}

vpass_result vpass_doc_set_can(vpass_doc *doc, const char *can)
{
	if (!doc)
		return VPASS_ERR_ARG;
	size_t n = can ? strlen(can) : 0;
	if (n > VPASS_MAX_CAN)
		return VPASS_ERR_ARG;
	for (size_t i = 0; i < n; i++)
		if (can[i] < '0' || can[i] > '9')
			return VPASS_ERR_ARG;
	memset(doc->can, 0, sizeof doc->can);
	if (n)
		memcpy(doc->can, can, n);
	return VPASS_OK;
}

vpass_result vpass_doc_set_ca_key(vpass_doc *doc, EVP_PKEY *key)
{
	if (!doc)
		return VPASS_ERR_ARG;
	if (key) {
		if (!(EVP_PKEY_is_a(key, "EC") || EVP_PKEY_is_a(key, "DH") || EVP_PKEY_is_a(key, "DHX")) ||
		    EVP_PKEY_up_ref(key) != 1)
			return VPASS_ERR_ARG;
	}
	EVP_PKEY_free(doc->ca_key);
	doc->ca_key = key;
	return VPASS_OK;
}

bool vpass_doc_file(const vpass_doc *doc, uint16_t fid, const uint8_t **ret_data, size_t *ret_len)
{
	const vpass_file *f = doc ? vpass_doc_find(doc, fid) : NULL;
	if (!f)
		return false;
	if (ret_data)
		*ret_data = f->data;
	if (ret_len)
		*ret_len = f->len;
	return true;
}

const char *vpass_doc_number(const vpass_doc *doc)
{
	return doc && doc->has_access ? doc->doc_number : NULL;
}

const char *vpass_doc_birth_date(const vpass_doc *doc)
{
	return doc && doc->has_access ? doc->birth_date : NULL;
}

const char *vpass_doc_expiry_date(const vpass_doc *doc)
{
	return doc && doc->has_access ? doc->expiry_date : NULL;
}

vpass_result vpass_doc_copy(const vpass_doc *doc, vpass_doc **ret)
{
	vpass_doc *d = NULL;
	vpass_result r = vpass_doc_new(&d);
	if (r != VPASS_OK)
		return r;
	for (size_t i = 0; i < doc->nfiles && r == VPASS_OK; i++)
		r = vpass_doc_add_file(d, doc->files[i].fid, doc->files[i].data, doc->files[i].len);
	if (r != VPASS_OK) {
		vpass_doc_free(d);
		return r;
	}
	memcpy(d->doc_number, doc->doc_number, sizeof d->doc_number);
	memcpy(d->birth_date, doc->birth_date, sizeof d->birth_date);
	memcpy(d->expiry_date, doc->expiry_date, sizeof d->expiry_date);
	d->has_access = doc->has_access;
	r = vpass_doc_set_aa_key(d, doc->aa_key, doc->aa_hash);
	if (r == VPASS_OK)
		r = vpass_doc_set_ca_key(d, doc->ca_key);
	if (r == VPASS_OK)
		r = vpass_doc_set_can(d, doc->can);
	if (r != VPASS_OK) {
		vpass_doc_free(d);
		return r;
	}
	*ret = d;
	return VPASS_OK;
}

/* ---- loading a directory ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Read a whole file; VPASS_ERR_IO with errno in *ret_errno when it cannot. */
static vpass_result read_file(const char *path, uint8_t **ret, size_t *ret_len, int *ret_errno)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*ret_errno = errno;
		return VPASS_ERR_IO;
	}
	vpass_result r = VPASS_OK;
	crypto_buf b = CRYPTO_BUF_INIT;
	uint8_t chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > VPASS_MAX_FILE_SIZE) {
			*ret_errno = EFBIG;
			r = VPASS_ERR_IO;
			goto out_close;
		}
	}
	if (ferror(f)) {
		*ret_errno = EIO;
		r = VPASS_ERR_IO;
		goto out_close;
	}
	if (!buf_ok(&b)) {
		r = VPASS_ERR_NOMEM;
		goto out_close;
	}
	*ret = buf_steal(&b, ret_len);
out_close:
	buf_free(&b);
	fclose(f);
	return r;
}

/* document.txt's values, as libinih hands them over. */
typedef struct description {
	char docno[64], dob[16], doe[16], mrz[128], can[VPASS_MAX_CAN + 1];
	const char *too_long; /* the first key whose value did not fit */
} description;

static int description_value(void *user, const char *section, const char *key, const char *value)
{
	(void)section;
	description *d = user;
	static const struct {
		const char *key;
		size_t offset, size;
	} fields[] = {
		{ "document_number", offsetof(description, docno), sizeof(((description *)0)->docno) },
		{ "birth_date", offsetof(description, dob), sizeof(((description *)0)->dob) },
		{ "expiry_date", offsetof(description, doe), sizeof(((description *)0)->doe) },
		{ "mrz", offsetof(description, mrz), sizeof(((description *)0)->mrz) },
		{ "can", offsetof(description, can), sizeof(((description *)0)->can) },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(key, fields[i].key) != 0)
			continue;
		if (strlen(value) >= fields[i].size) {
			d->too_long = fields[i].key;
			return 0;
		}
		memcpy((char *)d + fields[i].offset, value, strlen(value) + 1);
	}
	return 1; /* other facts about the persona are not the chip's business */
}

static vpass_result load_description(vpass_doc *d, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/document.txt", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return VPASS_ERR_IO;
	}
	description desc = { .too_long = NULL };
	int bad_line = ini_parse_file(f, description_value, &desc);
	fclose(f);
	if (bad_line < 0) {
		set_err(err, errlen, "%s: read error", path);
		return VPASS_ERR_IO;
	}
	if (bad_line > 0) {
		if (desc.too_long)
			set_err(err, errlen, "%s:%d: %s is too long", path, bad_line, desc.too_long);
		else
			set_err(err, errlen, "%s:%d: expected key=value", path, bad_line);
		return VPASS_ERR_FORMAT;
	}
	if (desc.mrz[0]) {
		lds_mrz m;
		lds_err le = lds_mrz_parse_text(desc.mrz, &m);
		if (le != LDS_OK) {
			set_err(err, errlen, "%s: mrz is not a valid TD1, TD2 or TD3 MRZ: %s", path, lds_strerror(le));
			return VPASS_ERR_FORMAT;
		}
		if (!desc.docno[0])
			snprintf(desc.docno, sizeof desc.docno, "%.*s", (int)(sizeof desc.docno - 1), m.document_number);
		if (!desc.dob[0])
			memcpy(desc.dob, m.birth_date, sizeof m.birth_date);
		if (!desc.doe[0])
			memcpy(desc.doe, m.expiry_date, sizeof m.expiry_date);
	}
	if (!desc.docno[0] || !desc.dob[0] || !desc.doe[0]) {
		set_err(err, errlen, "%s: needs document_number, birth_date and expiry_date (or mrz)", path);
		return VPASS_ERR_FORMAT;
	}
	vpass_result r = vpass_doc_set_access(d, desc.docno, desc.dob, desc.doe);
	if (r != VPASS_OK) {
		set_err(err, errlen, "%s: document number or dates are not valid MRZ data", path);
		return r;
	}
	if (desc.can[0] && vpass_doc_set_can(d, desc.can) != VPASS_OK) {
		set_err(err, errlen, "%s: can must be 1 to %d digits", path, VPASS_MAX_CAN);
		return VPASS_ERR_FORMAT;
	}
	return VPASS_OK;
}

/* Encrypted keys are refused rather than prompting on the terminal. */
static int no_password(char *pw, int size, int rwflag, void *u)
{
	(void)pw;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* DIR/NAME, a private key in PEM, when present (*present false when the
 * file does not exist; *ret NULL when it is not a PEM private key). */
static vpass_result read_key_file(const char *dir, const char *name, EVP_PKEY **ret, bool *present, char *path,
                                  size_t pathlen, char *err, size_t errlen)
{
	*ret = NULL;
	*present = false;
	snprintf(path, pathlen, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return VPASS_OK;
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return VPASS_ERR_IO;
	}
	*present = true;
	ERR_set_mark();
	*ret = PEM_read_PrivateKey(f, NULL, no_password, NULL);
	ERR_pop_to_mark();
	fclose(f);
	return VPASS_OK;
}

/* DIR/aa.key (active authentication, RSA or EC) and DIR/ca.key (chip
 * authentication and PACE-CAM, EC or DH), when present. */
static vpass_result load_keys(vpass_doc *d, const char *dir, char *err, size_t errlen)
{
	static const struct {
		const char *file;
		const char *kinds;
	} keys[] = { { "aa.key", "an RSA or EC" }, { "ca.key", "an EC or DH" } };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char path[4096];
		EVP_PKEY *key;
		bool present;
		vpass_result r = read_key_file(dir, keys[i].file, &key, &present, path, sizeof path, err, errlen);
		if (r != VPASS_OK)
			return r;
		if (!present)
			continue;
		if (key)
			r = i == 0 ? vpass_doc_set_aa_key(d, key, AA_HASH_DEFAULT) : vpass_doc_set_ca_key(d, key);
		else
			r = VPASS_ERR_FORMAT;
		EVP_PKEY_free(key);
		if (r != VPASS_OK) {
			set_err(err, errlen, "%s: not %s private key in PEM", path, keys[i].kinds);
			return r == VPASS_ERR_ARG ? VPASS_ERR_FORMAT : r;
		}
	}
	return VPASS_OK;
}

vpass_result vpass_doc_load(const char *dir, vpass_doc **ret, char *err, size_t errlen)
{
	if (!dir || !ret) {
		set_err(err, errlen, "no directory given");
		return VPASS_ERR_ARG;
	}
	vpass_doc *d = NULL;
	vpass_result r = vpass_doc_new(&d);
	if (r != VPASS_OK) {
		set_err(err, errlen, "%s", vpass_strerror(r));
		return r;
	}
	r = load_description(d, dir, err, errlen);
	if (r != VPASS_OK)
		goto out_free_doc;

	struct {
		const char *name;
		uint16_t fid;
	} names[VPASS_MAX_FILES] = {
		{ "EF.COM", VPASS_FID_COM },
		{ "EF.SOD", VPASS_FID_SOD },
		{ "EF.CardAccess", VPASS_FID_CARD_ACCESS },
	};
	static const char *const dg_names[16] = {
		"EF.DG1", "EF.DG2", "EF.DG3", "EF.DG4", "EF.DG5", "EF.DG6", "EF.DG7", "EF.DG8",
		"EF.DG9", "EF.DG10", "EF.DG11", "EF.DG12", "EF.DG13", "EF.DG14", "EF.DG15", "EF.DG16",
	};
	for (int i = 0; i < 16; i++) {
		names[3 + i].name = dg_names[i];
		names[3 + i].fid = (uint16_t)VPASS_FID_DG(i + 1);
	}
	for (size_t i = 0; i < VPASS_MAX_FILES; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i].name);
		uint8_t *data = NULL;
		size_t len = 0;
		int e = 0;
		r = read_file(path, &data, &len, &e);
		if (r == VPASS_ERR_IO && e == ENOENT) {
			r = VPASS_OK;
			continue;
		}
		if (r != VPASS_OK) {
			set_err(err, errlen, "%s: %s", path, r == VPASS_ERR_IO ? strerror(e) : vpass_strerror(r));
			goto out_free_doc;
		}
		r = vpass_doc_add_file(d, names[i].fid, data, len);
		free(data);
		if (r != VPASS_OK) {
			set_err(err, errlen, "%s: %s", path, vpass_strerror(r));
			goto out_free_doc;
		}
	}
	r = load_keys(d, dir, err, errlen);
	if (r != VPASS_OK)
		goto out_free_doc;
	*ret = d;
	return VPASS_OK;
out_free_doc:
	vpass_doc_free(d);
	return r;
}
