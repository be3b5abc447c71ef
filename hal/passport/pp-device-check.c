/*
 * pp-device-check — the passport reader device's self-test: does the
 * reader answer, and with a document on it, does the link to the chip
 * work: its ATR, and a SELECT of the eMRTD application with the status
 * word the chip answers. The report's lines are in pp-device.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hal/passport/pp-device-internal.h"
#include "hal/passport/sw-internal.h"


/* SELECT by name of the eMRTD application, no answer data asked (ICAO
 * 9303 part 10, 3.6.2). */
static const uint8_t select_emrtd[] = { 0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
#define SELECT_WHAT "SELECT eMRTD application (A0 00 00 02 47 10 01)"

/* The link to the chip failed with e: the reader's fault fails the test;
 * the document's (taken away, stopped answering) does not. */
static dev_err link_failed(dev *d, pp_reader_dev *r, pp_err e)
{
	pp_err_class cls = pp_err_info_of(e).cls;
	if (cls == PP_CLASS_DEVICE || cls == PP_CLASS_CANCELLED)
		return pp_device_fail(d, r, e);
	if (e == PP_ERR_UNRESPONSIVE)
		r->suspect = true;
	return DEV_OK;
}

dev_err pp_device_self_test_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	pp_reader_dev *r = priv;
	dev_report rep = dev_report_new();
	if (!rep.text)
		return DEV_ERR_NOMEM;
	*ret_result = rep.text; /* given back on failure too (freed by the core when cancelled) */
	pp_err e = pp_device_ready(d, r);
	g_mutex_lock(&r->lock);
	dev_report_line(&rep, "reader: %s\n", r->reader);
	g_mutex_unlock(&r->lock);
	bool present = false;
	if (e == PP_OK)
		e = pp_device_look(d, r, &present);
	if (e != PP_OK) {
		dev_report_line(&rep, "answers: no (%s)\n", pp_strerror(e));
		return pp_device_fail(d, r, e);
	}
	dev_report_line(&rep, "answers: yes (%s)\n", present ? "document present" : "empty");
	if (present && !dev_cancelled(d))
		e = pp_transport_connect(r->t, 0);
	if (dev_cancelled(d))
		return DEV_ERR_CANCELLED;
	if (!present || e == PP_ERR_NO_CARD) {
		dev_report_line(&rep, "no document: place one to test the chip link\n");
		return DEV_OK;
	}
	if (e != PP_OK) {
		dev_report_line(&rep, "connect: failed (%s)\n", pp_strerror(e));
		return link_failed(d, r, e);
	}
	char atr[PP_ATR_MAX * 3 + 1];
	pp_device_atr_text(r, atr, sizeof(atr));
	dev_report_line(&rep, "ATR: %s\n", atr[0] ? atr : "not known");
	uint8_t resp[258];
	size_t n = 0;
	e = pp_transport_transmit(r->t, select_emrtd, sizeof(select_emrtd), resp, sizeof(resp), &n);
	if (e == PP_OK) {
		char sw[PP_SW_TEXT_LEN];
		dev_report_line(&rep, SELECT_WHAT ": %s\n", pp_sw_text((uint16_t)(resp[n - 2] << 8 | resp[n - 1]), sw));
	} else {
		dev_report_line(&rep, SELECT_WHAT ": no answer (%s)\n", pp_strerror(e));
	}
	/* A PC/SC reader tells its largest APDU with a card connected. */
	pp_device_refresh_caps(r);
	pp_transport_release(r->t); /* not held after the test: another program may read it */
	return e == PP_OK ? DEV_OK : link_failed(d, r, e);
}
