/*
 * test_eac — PACE and chip authentication end to end: the terminal side
 * (hal/passport/eac.c) against the virtual chip (devices/vpass, eac_card.c)
 * in-process, over a pp_channel. Documents are built here with the docgen
 * security-info encoders.
 *
 * What a user would notice: PACE works with the MRZ and with the CAN, on
 * brainpoolP256r1, NIST P-256 and the 1024-bit MODP group, with every
 * cipher, and the chip's files can then be read; a wrong MRZ or CAN is
 * "access denied"; integrated mapping is declined so the reader falls back
 * to BAC; PACE-CAM proves the chip against DG14 and a cloned chip fails,
 * also one that sends the point at infinity or no CA_IC; CAM is preferred
 * to GM; chip authentication (AES in the ICAO form or the TR-03110 one,
 * and 3DES, with key ids of any size; ECDH, and DH on the 1024-bit MODP
 * group) re-keys the session and a cloned chip fails it; the chip insists
 * on command chaining and on the MF level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto/apdu.h"
#include "crypto/buf.h"
#include "devices/docgen/docgen.h"
#include "devices/vpass/vpass.h"
#include "hal/passport/sim.h"
#include "hal/passport/channel-internal.h"
#include "hal/passport/eac-internal.h"

#define DOCNO "L898902C<"
#define DOB   "690806"
#define DOE   "940623"
#define MRZ_INFO "L898902C<369080619406236"
#define CAN   "123456"

static const uint8_t dg1[] = { 0x61, 0x05, 0x5F, 0x1F, 0x02, 'O', 'K' };

/* Keys made once: the chip's CA key on brainpoolP256r1, and another; a DH
 * CA key (X9.42, the 1024-bit MODP group with its 160-bit subgroup) as
 * appm-docgen makes for the pace-dh profile. */
static EVP_PKEY *ca_bp, *other_bp, *ca_dh;

typedef struct rig {
	vpass_doc *doc;
	vpass_card *card;
	pp_transport *t;
	pp_channel ch;
	uint8_t *card_access, *dg14;
	size_t card_access_len, dg14_len;
	char err[256];
} rig;

static int setup_keys(void **state)
{
	ca_bp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	other_bp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "DHX", NULL);
	if (!kctx || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_CTX_set_group_name(kctx, "dh_1024_160") != 1 ||
	    EVP_PKEY_generate(kctx, &ca_dh) != 1)
		ca_dh = NULL;
	EVP_PKEY_CTX_free(kctx);
	return ca_bp && other_bp && ca_dh ? 0 : -1;
}

static int teardown_keys(void **state)
{
	EVP_PKEY_free(ca_bp);
	EVP_PKEY_free(other_bp);
	EVP_PKEY_free(ca_dh);
	return 0;
}

/* A document offering `pace` in EF.CardAccess and, when ca_protocol is
 * set, chip authentication with ca_key in DG14 (listing `pace` there too). */
static void rig_open_key(rig *r, const docgen_pace_info *pace, size_t n_pace, const char *ca_protocol,
                         EVP_PKEY *ca_key, int key_id, const vpass_options *opts)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(vpass_doc_new(&r->doc), VPASS_OK);
	assert_int_equal(vpass_doc_set_access(r->doc, DOCNO, DOB, DOE), VPASS_OK);
	assert_int_equal(vpass_doc_set_can(r->doc, CAN), VPASS_OK);
	assert_int_equal(docgen_card_access_encode(pace, n_pace, &r->card_access, &r->card_access_len, r->err,
	                                           sizeof r->err),
	                 DOCGEN_OK);
	assert_int_equal(vpass_doc_add_file(r->doc, VPASS_FID_CARD_ACCESS, r->card_access, r->card_access_len),
	                 VPASS_OK);
	assert_int_equal(vpass_doc_add_file(r->doc, VPASS_FID_DG(1), dg1, sizeof dg1), VPASS_OK);
	if (ca_protocol) {
		assert_int_equal(docgen_dg14_encode(ca_key, ca_protocol, key_id, pace, n_pace, NULL, &r->dg14,
		                                    &r->dg14_len, r->err, sizeof r->err),
		                 DOCGEN_OK);
		assert_int_equal(vpass_doc_add_file(r->doc, VPASS_FID_DG(14), r->dg14, r->dg14_len), VPASS_OK);
		assert_int_equal(vpass_doc_set_ca_key(r->doc, ca_key), VPASS_OK);
	}
	assert_int_equal(vpass_card_new(r->doc, opts, &r->card), VPASS_OK);
	assert_int_equal(pp_sim_transport_new(r->card, &r->t), PP_OK);
	assert_int_equal(pp_transport_connect(r->t, 0), PP_OK);
	pp_channel_init(&r->ch, r->t);
}

/* The same with ca_bp as the chip authentication key. */
static void rig_open_kid(rig *r, const docgen_pace_info *pace, size_t n_pace, const char *ca_protocol, int key_id,
                         const vpass_options *opts)
{
	rig_open_key(r, pace, n_pace, ca_protocol, ca_bp, key_id, opts);
}

static void rig_open(rig *r, const docgen_pace_info *pace, size_t n_pace, const char *ca_protocol,
                     const vpass_options *opts)
{
	rig_open_kid(r, pace, n_pace, ca_protocol, -1, opts);
}

static void rig_close(rig *r)
{
	pp_transport_free(r->t);
	vpass_card_free(r->card);
	vpass_doc_free(r->doc);
	free(r->card_access);
	free(r->dg14);
}

static uint16_t send(rig *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                     size_t le, crypto_buf *out)
{
	crypto_apdu a = { .cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = data, .lc = lc, .le = le };
	uint16_t sw = 0;
	crypto_buf scratch = CRYPTO_BUF_INIT;
	assert_int_equal(pp_channel_exchange(&r->ch, &a, out ? out : &scratch, &sw), PP_OK);
	buf_free(&scratch);
	return sw;
}

/* Under the session in force: select the application and read DG1. */
static void read_dg1(rig *r)
{
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	static const uint8_t fid[] = { 0x01, 0x01 };
	assert_true(r->ch.secure);
	assert_int_equal(send(r, 0x00, 0xA4, 0x04, 0x0C, aid, sizeof aid, 0, NULL), SW_OK);
	assert_int_equal(send(r, 0x00, 0xA4, 0x02, 0x0C, fid, sizeof fid, 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(send(r, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, &out), SW_OK);
	assert_int_equal(out.len, sizeof dg1);
	assert_memory_equal(out.data, dg1, sizeof dg1);
	buf_free(&out);
}

/* Chip authentication, then the first command under its keys (a SELECT of
 * the application): the chip's answer is its proof that it holds DG14's
 * key (channel-internal.h). PP_ERR_CHIP_AUTH when the run or the proof
 * fails, with the words in r->err or the channel's proof_failed. */
static pp_err ca_proved(rig *r, pp_protocol_info *info)
{
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	pp_err e = pp_ca_run(&r->ch, r->dg14, r->dg14_len, info, r->err, sizeof r->err);
	if (e != PP_OK)
		return e;
	assert_true(r->ch.proof_due);
	assert_false(r->ch.proven);
	crypto_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = aid, .lc = sizeof aid };
	crypto_buf out = CRYPTO_BUF_INIT;
	uint16_t sw = 0;
	e = pp_channel_exchange(&r->ch, &a, &out, &sw);
	buf_free(&out);
	if (e == PP_OK) {
		assert_int_equal(sw, SW_OK);
		assert_true(r->ch.proven);
		assert_false(r->ch.proof_due);
	} else if (e == PP_ERR_CHIP_AUTH) {
		assert_true(r->ch.proof_failed);
		assert_false(r->ch.secure); /* nothing more goes under keys the chip does not have */
	}
	return e;
}

/* A cloned chip's failure: the words say so, or the channel saw its proof fail. */
static void assert_clone_caught(const rig *r, pp_err e)
{
	assert_int_equal(e, PP_ERR_CHIP_AUTH);
	assert_true(r->ch.proof_failed || strstr(r->err, "cloned"));
}

static pp_pace *pace_ok(rig *r, pp_pace_secret type, const char *secret)
{
	pp_pace *p = NULL;
	pp_err e = pp_pace_run(&r->ch, r->card_access, r->card_access_len, type, secret, &p, r->err, sizeof r->err);
	if (e != PP_OK)
		fail_msg("PACE failed: %s: %s", pp_strerror(e), r->err);
	assert_non_null(p);
	return p;
}

/* ---- PACE generic mapping ---- */

static void test_pace_mrz_and_can(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	const struct {
		pp_pace_secret type;
		const char *secret;
	} cases[] = { { PP_PACE_MRZ, MRZ_INFO }, { PP_PACE_CAN, CAN } };
	for (size_t i = 0; i < 2; i++) {
		rig r;
		rig_open(&r, &pace, 1, NULL, NULL);
		pp_pace *p = pace_ok(&r, cases[i].type, cases[i].secret);
		const pp_protocol_info *info = pp_pace_info(p);
		assert_string_equal(info->oid, "0.4.0.127.0.7.2.2.4.2.2");
		assert_string_equal(info->name, "id-PACE-ECDH-GM-AES-CBC-CMAC-128");
		assert_string_equal(info->mapping, "GM");
		assert_string_equal(info->agreement, "ECDH");
		assert_string_equal(info->domain, "brainpoolP256r1");
		assert_string_equal(info->cipher, "AES-128");
		assert_int_equal(info->parameter_id, 13);
		assert_false(pp_pace_is_cam(p));
		assert_int_equal(r.ch.sm.cipher, SM_CIPHER_AES);
		read_dg1(&r);
		pp_pace_free(p);
		rig_close(&r);
	}
}

/* Every cipher on brainpoolP256r1, P-256 and the 1024-bit MODP group. */
static void test_pace_protocols(void **state)
{
	const struct {
		docgen_pace_info pace;
		const char *cipher, *domain;
		sm_cipher sm;
		size_t key_len;
	} cases[] = {
		{ { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 12 }, "AES-128", "secp256r1", SM_CIPHER_AES, 16 },
		{ { "id-PACE-ECDH-GM-AES-CBC-CMAC-192", 13 }, "AES-192", "brainpoolP256r1", SM_CIPHER_AES, 24 },
		{ { "id-PACE-ECDH-GM-AES-CBC-CMAC-256", 13 }, "AES-256", "brainpoolP256r1", SM_CIPHER_AES, 32 },
		{ { "id-PACE-ECDH-GM-3DES-CBC-CBC", 13 }, "3DES", "brainpoolP256r1", SM_CIPHER_3DES, 16 },
		{ { "id-PACE-DH-GM-AES-CBC-CMAC-128", 0 }, "AES-128", "MODP-1024-160", SM_CIPHER_AES, 16 },
		{ { "id-PACE-DH-GM-3DES-CBC-CBC", 0 }, "3DES", "MODP-1024-160", SM_CIPHER_3DES, 16 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rig r;
		rig_open(&r, &cases[i].pace, 1, NULL, NULL);
		pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
		const pp_protocol_info *info = pp_pace_info(p);
		assert_string_equal(info->name, cases[i].pace.protocol);
		assert_string_equal(info->cipher, cases[i].cipher);
		assert_string_equal(info->domain, cases[i].domain);
		assert_int_equal(r.ch.sm.cipher, cases[i].sm);
		assert_int_equal(r.ch.sm.key_len, cases[i].key_len);
		read_dg1(&r);
		pp_pace_free(p);
		rig_close(&r);
	}
}

static void test_pace_wrong_password(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	const struct {
		pp_pace_secret type;
		const char *secret;
	} cases[] = { { PP_PACE_MRZ, "L898902C<369080619406247" }, { PP_PACE_CAN, "123457" } };
	for (size_t i = 0; i < 2; i++) {
		rig r;
		rig_open(&r, &pace, 1, NULL, NULL);
		pp_pace *p = NULL;
		assert_int_equal(pp_pace_run(&r.ch, r.card_access, r.card_access_len, cases[i].type, cases[i].secret,
		                             &p, r.err, sizeof r.err),
		                 PP_ERR_ACCESS_DENIED);
		assert_null(p);
		assert_non_null(strstr(r.err, "mutual authentication"));
		assert_false(r.ch.secure);
		/* the reader can fall back: a plain SELECT of the application
		 * works and the PACE state is gone */
		static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
		assert_int_equal(send(&r, 0x00, 0xA4, 0x04, 0x0C, aid, sizeof aid, 0, NULL), SW_OK);
		assert_int_equal(send(&r, 0x00, 0x86, 0x00, 0x00, (const uint8_t *)"\x7C\x00", 2, 256, NULL),
		                 SW_CONDITIONS);
		crypto_buf ch = CRYPTO_BUF_INIT;
		assert_int_equal(send(&r, 0x00, 0x84, 0x00, 0x00, NULL, 0, 8, &ch), SW_OK);
		assert_int_equal(ch.len, 8);
		buf_free(&ch);
		rig_close(&r);
	}
}

/* OpenPACE 1.1.2's integrated mapping is not offered: IM alone is "not
 * supported" (BAC next); IM listed first, GM after: GM is used. */
static void test_pace_integrated_mapping_declined(void **state)
{
	const docgen_pace_info im = { "id-PACE-ECDH-IM-AES-CBC-CMAC-128", 13 };
	const docgen_pace_info both[] = { im, { "id-PACE-ECDH-GM-AES-CBC-CMAC-256", 13 } };
	rig r;
	rig_open(&r, &im, 1, NULL, NULL);
	pp_pace *p = NULL;
	assert_int_equal(pp_pace_run(&r.ch, r.card_access, r.card_access_len, PP_PACE_MRZ, MRZ_INFO, &p, r.err,
	                             sizeof r.err),
	                 PP_ERR_NOT_SUPPORTED);
	assert_non_null(strstr(r.err, "BAC"));
	vpass_stats st;
	vpass_card_stats(r.card, &st);
	assert_int_equal(st.apdus, 0); /* decided from EF.CardAccess alone */
	rig_close(&r);

	rig_open(&r, both, 2, NULL, NULL);
	p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
	assert_string_equal(pp_pace_info(p)->mapping, "GM");
	assert_string_equal(pp_pace_info(p)->cipher, "AES-256");
	read_dg1(&r);
	pp_pace_free(p);
	rig_close(&r);

	/* malformed EF.CardAccess */
	rig_open(&r, both, 2, NULL, NULL);
	assert_int_equal(pp_pace_run(&r.ch, r.card_access, 5, PP_PACE_MRZ, MRZ_INFO, &p, r.err, sizeof r.err),
	                 PP_ERR_PARSE);
	rig_close(&r);
}

/* ---- what the chip insists on ---- */

static void test_chip_rules(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	static const uint8_t mse[] = { 0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02,
		                       0x83, 0x01, 0x01, 0x84, 0x01, 0x0D };
	static const uint8_t empty_7c[] = { 0x7C, 0x00 };
	rig r;
	rig_open(&r, &pace, 1, NULL, NULL);
	/* GENERAL AUTHENTICATE step 1 without command chaining: 6883 */
	assert_int_equal(send(&r, 0x00, 0x22, 0xC1, 0xA4, mse, sizeof mse, 0, NULL), SW_OK);
	assert_int_equal(send(&r, 0x00, 0x86, 0x00, 0x00, empty_7c, 2, 256, NULL), 0x6883);
	/* the run was abandoned: a chained step 1 now finds no MSE:Set AT */
	assert_int_equal(send(&r, 0x10, 0x86, 0x00, 0x00, empty_7c, 2, 256, NULL), SW_CONDITIONS);
	/* with chaining it goes on */
	assert_int_equal(send(&r, 0x00, 0x22, 0xC1, 0xA4, mse, sizeof mse, 0, NULL), SW_OK);
	crypto_buf out = CRYPTO_BUF_INIT;
	assert_int_equal(send(&r, 0x10, 0x86, 0x00, 0x00, empty_7c, 2, 256, &out), SW_OK);
	assert_int_equal(out.data[0], 0x7C);
	assert_int_equal(out.data[2], 0x80);
	buf_free(&out);
	/* chaining on another command is refused */
	assert_int_equal(send(&r, 0x10, 0xB0, 0x00, 0x00, NULL, 0, 1, NULL), 0x6884);
	/* an unknown protocol or password reference */
	uint8_t bad[sizeof mse];
	memcpy(bad, mse, sizeof mse);
	bad[11] = 0x03; /* AES-192: not offered */
	assert_int_equal(send(&r, 0x00, 0x22, 0xC1, 0xA4, bad, sizeof bad, 0, NULL), 0x6A88);
	memcpy(bad, mse, sizeof mse);
	bad[14] = 0x03; /* PIN */
	assert_int_equal(send(&r, 0x00, 0x22, 0xC1, 0xA4, bad, sizeof bad, 0, NULL), 0x6A88);
	/* PACE only on the MF level */
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	assert_int_equal(send(&r, 0x00, 0xA4, 0x04, 0x0C, aid, sizeof aid, 0, NULL), SW_OK);
	pp_pace *p = NULL;
	assert_int_equal(pp_pace_run(&r.ch, r.card_access, r.card_access_len, PP_PACE_MRZ, MRZ_INFO, &p, r.err,
	                             sizeof r.err),
	                 PP_ERR_STATUS);
	assert_non_null(strstr(r.err, "6985"));
	rig_close(&r);
}

/* ---- PACE-CAM ---- */

static void test_pace_cam(void **state)
{
	const docgen_pace_info cam = { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 };
	rig r;
	rig_open(&r, &cam, 1, "id-CA-ECDH-AES-CBC-CMAC-128", NULL);
	pp_pace *p = pace_ok(&r, PP_PACE_CAN, CAN);
	assert_true(pp_pace_is_cam(p));
	assert_string_equal(pp_pace_info(p)->mapping, "CAM");
	assert_string_equal(pp_pace_info(p)->name, "id-PACE-ECDH-CAM-AES-CBC-CMAC-128");
	read_dg1(&r);
	assert_int_equal(pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err), PP_OK);
	/* DG14 with another key: the chip is not the one DG14 describes */
	uint8_t *dg14 = NULL;
	size_t dg14_len = 0;
	assert_int_equal(docgen_dg14_encode(other_bp, "id-CA-ECDH-AES-CBC-CMAC-128", -1, &cam, 1, NULL, &dg14, &dg14_len,
	                                    r.err, sizeof r.err),
	                 DOCGEN_OK);
	assert_int_equal(pp_pace_cam_verify(p, dg14, dg14_len, r.err, sizeof r.err), PP_ERR_CHIP_AUTH);
	assert_non_null(strstr(r.err, "cloned"));
	free(dg14);
	/* DG14 without a key */
	assert_int_equal(pp_pace_cam_verify(p, r.card_access, r.card_access_len, r.err, sizeof r.err), PP_ERR_PARSE);
	pp_pace_free(p);
	rig_close(&r);

	/* a cloned chip: PACE itself works, the CAM check fails */
	vpass_options opts = { .ca_wrong_key = true };
	rig_open(&r, &cam, 1, "id-CA-ECDH-AES-CBC-CMAC-128", &opts);
	p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
	read_dg1(&r);
	assert_int_equal(pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err), PP_ERR_CHIP_AUTH);
	pp_pace_free(p);
	rig_close(&r);

	/* a GM run has nothing to check */
	const docgen_pace_info gm = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	rig_open(&r, &gm, 1, "id-CA-ECDH-AES-CBC-CMAC-128", NULL);
	p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
	assert_int_equal(pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err), PP_ERR_NOT_SUPPORTED);
	pp_pace_free(p);
	rig_close(&r);
}

/* A chip that sends the point at infinity (00) as its mapping key and
 * CA_IC = n: G' = s*G and n*PK_IC = O = PK_Map,IC whatever DG14 holds, so
 * a clone would pass a check that allows either. PACE must refuse the key
 * (or the CAM check must fail). */
static void test_pace_cam_infinity_attack(void **state)
{
	const docgen_pace_info cam = { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 };
	const vpass_options attacks[] = {
		{ .cam_attack = VPASS_CAM_INFINITY },
		{ .cam_attack = VPASS_CAM_INFINITY, .ca_wrong_key = true },
	};
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		rig r;
		rig_open(&r, &cam, 1, "id-CA-ECDH-AES-CBC-CMAC-128", &attacks[i]);
		pp_pace *p = NULL;
		pp_err e = pp_pace_run(&r.ch, r.card_access, r.card_access_len, PP_PACE_MRZ, MRZ_INFO, &p, r.err,
		                       sizeof r.err);
		if (e == PP_OK) {
			pp_err v = pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err);
			pp_pace_free(p);
			if (v != PP_ERR_CHIP_AUTH)
				fail_msg("attack %zu: PACE with the point at infinity passed and the CAM check gave %s", i,
				         pp_strerror(v));
		} else {
			assert_null(p);
			assert_false(r.ch.secure);
			if (!strstr(r.err, "map nonce"))
				fail_msg("attack %zu: PACE failed, but not at the mapping: %s: %s", i, pp_strerror(e),
				         r.err);
		}
		rig_close(&r);
	}
}

/* CA_IC that decrypts to nothing: CAM ran, so PACE fails as a possible
 * clone rather than passing as if CAM had not run. */
static void test_pace_cam_empty_ca_ic(void **state)
{
	const docgen_pace_info cam = { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 };
	rig r;
	rig_open(&r, &cam, 1, "id-CA-ECDH-AES-CBC-CMAC-128", &(vpass_options){ .cam_attack = VPASS_CAM_EMPTY_CA });
	pp_pace *p = NULL;
	pp_err e = pp_pace_run(&r.ch, r.card_access, r.card_access_len, PP_PACE_CAN, CAN, &p, r.err, sizeof r.err);
	if (e == PP_OK) {
		pp_err v = pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err);
		pp_pace_free(p);
		fail_msg("PACE-CAM with an empty CA_IC passed; the CAM check then gave %s", pp_strerror(v));
	}
	assert_int_equal(e, PP_ERR_CHIP_AUTH);
	assert_null(p);
	assert_non_null(strstr(r.err, "cloned"));
	rig_close(&r);
}

/* EF.CardAccess offering GM first and CAM after: CAM is run. */
static void test_pace_prefers_cam(void **state)
{
	const docgen_pace_info both[] = { { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 },
		                          { "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13 } };
	rig r;
	rig_open(&r, both, 2, "id-CA-ECDH-AES-CBC-CMAC-128", NULL);
	pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
	assert_true(pp_pace_is_cam(p));
	assert_string_equal(pp_pace_info(p)->mapping, "CAM");
	read_dg1(&r);
	assert_int_equal(pp_pace_cam_verify(p, r.dg14, r.dg14_len, r.err, sizeof r.err), PP_OK);
	pp_pace_free(p);
	rig_close(&r);
}

/* ---- chip authentication ---- */

static void test_ca(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	const struct {
		const char *protocol, *cipher;
		sm_cipher sm;
	} cases[] = {
		{ "id-CA-ECDH-AES-CBC-CMAC-128", "AES-128", SM_CIPHER_AES },
		{ "id-CA-ECDH-AES-CBC-CMAC-256", "AES-256", SM_CIPHER_AES },
		{ "id-CA-ECDH-3DES-CBC-CBC", "3DES", SM_CIPHER_3DES },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rig r;
		rig_open(&r, &pace, 1, cases[i].protocol, NULL);
		pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
		read_dg1(&r);
		uint8_t old_key[32];
		memcpy(old_key, r.ch.sm.ks_enc, 32);
		pp_protocol_info info;
		pp_err e = ca_proved(&r, &info);
		if (e != PP_OK)
			fail_msg("%s: %s: %s", cases[i].protocol, pp_strerror(e), r.err);
		assert_string_equal(info.name, cases[i].protocol);
		assert_string_equal(info.cipher, cases[i].cipher);
		assert_string_equal(info.agreement, "ECDH");
		assert_string_equal(info.domain, "brainpoolP256r1");
		assert_int_equal(info.key_id, -1);
		assert_int_equal(r.ch.sm.cipher, cases[i].sm);
		assert_memory_not_equal(r.ch.sm.ks_enc, old_key, 16);
		read_dg1(&r); /* under the re-keyed session */
		pp_pace_free(p);
		rig_close(&r);

		/* a cloned chip cannot finish chip authentication */
		vpass_options opts = { .ca_wrong_key = true };
		rig_open(&r, &pace, 1, cases[i].protocol, &opts);
		p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
		assert_clone_caught(&r, ca_proved(&r, &info));
		pp_pace_free(p);
		rig_close(&r);
	}
}

/* A chip answering AES chip authentication the BSI TR-03110 v2 way (81
 * nonce, 82 token, keys derived with the nonce) is taken too; a cloned one
 * still fails. */
static void test_ca_tr03110_chip(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	for (int clone = 0; clone < 2; clone++) {
		rig r;
		rig_open(&r, &pace, 1, "id-CA-ECDH-AES-CBC-CMAC-256", &(vpass_options){ .ca_tr03110 = true,
		                                                                        .ca_wrong_key = clone });
		pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
		read_dg1(&r);
		pp_protocol_info info;
		pp_err e = ca_proved(&r, &info);
		if (clone) {
			assert_clone_caught(&r, e);
		} else {
			if (e != PP_OK)
				fail_msg("TR-03110 chip: %s: %s", pp_strerror(e), r.err);
			assert_int_equal(r.ch.sm.key_len, 32);
			read_dg1(&r);
		}
		pp_pace_free(p);
		rig_close(&r);
	}
}

/* Chip authentication with a DH key, after PACE DH-GM as the pace-dh
 * profile has it: DG14's X9.42 key on the 1024-bit MODP group (its q
 * included) serves both sides, the session is re-keyed, and a cloned chip
 * fails. */
static void test_ca_dh(void **state)
{
	const docgen_pace_info pace = { "id-PACE-DH-GM-3DES-CBC-CBC", 0 };
	const struct {
		const char *protocol, *cipher;
		sm_cipher sm;
		size_t key_len;
	} cases[] = {
		{ "id-CA-DH-3DES-CBC-CBC", "3DES", SM_CIPHER_3DES, 16 },
		{ "id-CA-DH-AES-CBC-CMAC-128", "AES-128", SM_CIPHER_AES, 16 },
		{ "id-CA-DH-AES-CBC-CMAC-256", "AES-256", SM_CIPHER_AES, 32 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int clone = 0; clone < 2; clone++) {
			rig r;
			rig_open_key(&r, &pace, 1, cases[i].protocol, ca_dh, -1,
			             &(vpass_options){ .ca_wrong_key = clone });
			pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
			read_dg1(&r);
			uint8_t old_key[32];
			memcpy(old_key, r.ch.sm.ks_enc, sizeof old_key);
			pp_protocol_info info;
			pp_err e = ca_proved(&r, &info);
			if (clone) {
				if (e != PP_ERR_CHIP_AUTH)
					fail_msg("%s, cloned chip: %s: %s", cases[i].protocol, pp_strerror(e), r.err);
				assert_clone_caught(&r, e);
			} else {
				if (e != PP_OK)
					fail_msg("%s: %s: %s", cases[i].protocol, pp_strerror(e), r.err);
				assert_string_equal(info.name, cases[i].protocol);
				assert_string_equal(info.agreement, "DH");
				assert_string_equal(info.cipher, cases[i].cipher);
				assert_non_null(strstr(info.domain, "1024"));
				assert_int_equal(r.ch.sm.cipher, cases[i].sm);
				assert_int_equal(r.ch.sm.key_len, cases[i].key_len);
				assert_memory_not_equal(r.ch.sm.ks_enc, old_key, 16);
				read_dg1(&r); /* under the re-keyed session */
			}
			pp_pace_free(p);
			rig_close(&r);
		}
	}
}

/* Key ids above 255 travel as a minimal big-endian integer in DO'84. */
static void test_ca_large_key_id(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	const char *protocols[] = { "id-CA-ECDH-AES-CBC-CMAC-128", "id-CA-ECDH-3DES-CBC-CBC" };
	const int ids[] = { 300, 70000, 7 };
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
			rig r;
			rig_open_kid(&r, &pace, 1, protocols[i], ids[k], NULL);
			pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
			read_dg1(&r);
			pp_protocol_info info;
			pp_err e = ca_proved(&r, &info);
			if (e != PP_OK)
				fail_msg("%s, key id %d: %s: %s", protocols[i], ids[k], pp_strerror(e), r.err);
			assert_int_equal(info.key_id, ids[k]);
			read_dg1(&r);
			pp_pace_free(p);
			rig_close(&r);
		}
	}
}

/* Chip authentication's proof is the next protected answer: one whose MAC
 * does not verify under the new keys is the chip failing it (not a lost
 * session to set up again), and so is 6988 in the clear (the chip could
 * not check our MAC). An answer that verifies proves it; a later wrong
 * MAC is then only a secure messaging error. */
static void test_ca_proof(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	for (int how = 0; how < 3; how++) {
		rig r;
		rig_open(&r, &pace, 1, "id-CA-ECDH-AES-CBC-CMAC-128", NULL);
		pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
		read_dg1(&r);
		pp_protocol_info info;
		if (how == 2) {
			assert_int_equal(ca_proved(&r, &info), PP_OK);
			assert_false(r.ch.proof_failed);
		} else {
			assert_int_equal(pp_ca_run(&r.ch, r.dg14, r.dg14_len, &info, r.err, sizeof r.err), PP_OK);
			assert_true(r.ch.proof_due);
		}
		if (how == 1)
			r.ch.sm.ks_mac[0] ^= 1; /* the chip cannot check our MAC: 6988 in the clear */
		else
			vpass_card_set_options(r.card, &(vpass_options){ .corrupt_mac = true });
		crypto_apdu a = { .cla = 0x00, .ins = 0xB0, .p1 = 0x81, .p2 = 0x00, .le = 8 };
		crypto_buf out = CRYPTO_BUF_INIT;
		uint16_t sw = 0;
		pp_err e = pp_channel_exchange(&r.ch, &a, &out, &sw);
		assert_int_equal(out.len, 0);
		buf_free(&out);
		if (how == 2) {
			assert_int_equal(e, PP_ERR_SM);
			assert_true(r.ch.proven);
			assert_false(r.ch.proof_failed);
		} else {
			assert_int_equal(e, PP_ERR_CHIP_AUTH);
			assert_true(r.ch.proof_failed);
			assert_false(r.ch.proven);
			assert_false(r.ch.secure);
		}
		pp_pace_free(p);
		rig_close(&r);
	}
}

static void test_ca_errors(void **state)
{
	const docgen_pace_info pace = { "id-PACE-ECDH-GM-AES-CBC-CMAC-128", 13 };
	rig r;
	rig_open(&r, &pace, 1, "id-CA-ECDH-AES-CBC-CMAC-128", NULL);
	pp_protocol_info info;
	/* no session yet */
	assert_int_equal(pp_ca_run(&r.ch, r.dg14, r.dg14_len, &info, r.err, sizeof r.err), PP_ERR_ARG);
	pp_pace *p = pace_ok(&r, PP_PACE_MRZ, MRZ_INFO);
	/* DG14 without chip authentication */
	assert_int_equal(pp_ca_run(&r.ch, r.card_access, r.card_access_len, &info, r.err, sizeof r.err),
	                 PP_ERR_NOT_SUPPORTED);
	assert_true(r.ch.secure);
	read_dg1(&r);
	pp_pace_free(p);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_mrz_and_can),
		cmocka_unit_test(test_pace_protocols),
		cmocka_unit_test(test_pace_wrong_password),
		cmocka_unit_test(test_pace_integrated_mapping_declined),
		cmocka_unit_test(test_chip_rules),
		cmocka_unit_test(test_pace_cam),
		cmocka_unit_test(test_pace_cam_infinity_attack),
		cmocka_unit_test(test_pace_cam_empty_ca_ic),
		cmocka_unit_test(test_pace_prefers_cam),
		cmocka_unit_test(test_ca),
		cmocka_unit_test(test_ca_tr03110_chip),
		cmocka_unit_test(test_ca_dh),
		cmocka_unit_test(test_ca_large_key_id),
		cmocka_unit_test(test_ca_proof),
		cmocka_unit_test(test_ca_errors),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
