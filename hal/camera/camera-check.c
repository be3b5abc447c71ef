/*
 * camera-check — the camera's self-test: one frame read and judged by
 * its brightness (mean luma), contrast (luma standard deviation) and
 * sharpness (variance of the Laplacian), against the ranges in camera.h,
 * with words for a figure out of range. The report's lines are in
 * camera.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hal/camera/camera-internal.h"
#include "hal/camera/cv-capture.h"


cam_err cam_frame_quality(const cam_frame *f, cam_quality *ret)
{
	if (!f || !ret)
		return CAM_ERR_ARG;
	cam_quality q = { 0 };
	cam_err e = cv_measure(f, &q.brightness, &q.contrast, &q.sharpness);
	if (e != CAM_OK)
		return e;
	q.too_dark = q.brightness < CAM_SELFTEST_MIN_BRIGHTNESS;
	q.too_bright = q.brightness > CAM_SELFTEST_MAX_BRIGHTNESS;
	q.flat = q.contrast < CAM_SELFTEST_MIN_CONTRAST;
	q.blurred = q.sharpness < CAM_SELFTEST_MIN_SHARPNESS;
	*ret = q;
	return CAM_OK;
}

bool cam_quality_ok(const cam_quality *q)
{
	return !q->too_dark && !q->too_bright && !q->flat && !q->blurred;
}

static void judge(dev_report *rep, const cam_quality *q)
{
	dev_report_line(rep, "brightness: %.1f (mean luma; sane %.0f to %.0f)%s\n", q->brightness, CAM_SELFTEST_MIN_BRIGHTNESS,
	     CAM_SELFTEST_MAX_BRIGHTNESS,
	     q->too_dark     ? " - too dark: the lens covered, or no light on the applicant's place"
	     : q->too_bright ? " - too bright: light shining into the lens, or exposure too long"
	                     : "");
	dev_report_line(rep, "contrast: %.1f (luma standard deviation; at least %.0f)%s\n", q->contrast, CAM_SELFTEST_MIN_CONTRAST,
	     q->flat ? " - flat: one shade all over (a covered lens, or a plain surface in view)" : "");
	dev_report_line(rep, "sharpness: %.1f (variance of the Laplacian; at least %.0f)%s\n", q->sharpness,
	     CAM_SELFTEST_MIN_SHARPNESS, q->blurred ? " - blurred: out of focus, a dirty lens, or nothing in view" : "");
	if (cam_quality_ok(q)) {
		dev_report_line(rep, "result: passed\n");
		return;
	}
	char why[96];
	snprintf(why, sizeof(why), "%s%s%s%s", q->too_dark ? ", too dark" : "", q->too_bright ? ", too bright" : "",
	         q->flat ? ", flat" : "", q->blurred ? ", blurred" : "");
	dev_report_line(rep, "result: failed (%s)\n", why + 2);
}

dev_err cam_device_self_test_work(dev *d, void *priv, void *arg, void **ret_result)
{
	(void)arg;
	cam_dev *c = priv;
	dev_report rep = dev_report_new();
	if (!rep.text)
		return DEV_ERR_NOMEM;
	*ret_result = rep.text; /* given back on failure too (freed by the core when cancelled) */
	dev_report_line(&rep, "source: %s\n", c->conn_text);
	char why[CAM_WHY_LEN] = "";
	cam_err e = cam_device_ready(d, c, why, sizeof(why));
	if (e == CAM_OK)
		e = cam_source_rewind(c->src, why, sizeof(why));
	cam_frame *f = NULL;
	if (e == CAM_OK)
		e = cam_source_read(c->src, &f, why, sizeof(why));
	if (e == CAM_OK)
		cam_source_rewind(c->src, NULL, 0); /* the next stream starts at the first frame too */
	if (e != CAM_OK) {
		dev_report_line(&rep, "frame: none (%s)\nresult: failed (no frame)\n", why[0] ? why : cam_strerror(e));
		return e == CAM_ERR_CANCELLED ? DEV_ERR_CANCELLED : cam_device_fail(d, c, e, why);
	}
	dev_report_line(&rep, "frame: %dx%d\n", f->width, f->height);
	cam_quality q;
	e = cam_frame_quality(f, &q);
	cam_frame_free(f);
	if (e != CAM_OK) {
		dev_report_line(&rep, "result: failed (the frame could not be measured: %s)\n", cam_strerror(e));
		return e == CAM_ERR_NOMEM ? DEV_ERR_NOMEM : DEV_ERR_FAILED;
	}
	judge(&rep, &q);
	/* A poor picture is for someone at the kiosk to look at; the camera
	 * itself answers, so it stays online. */
	return cam_quality_ok(&q) ? DEV_OK : DEV_ERR_FAILED;
}
