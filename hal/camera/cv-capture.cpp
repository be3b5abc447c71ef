/*
 * cv-capture — OpenCV for the camera: the only C++ of the kiosk, kept to
 * what needs OpenCV's classes, built as a module (appm-opencv.so) that
 * cv-loader.c opens on the first use of the camera, so that a program
 * without a camera never loads OpenCV and its 250 libraries. Its one
 * exported symbol is the table of cv-module.h. Each operation catches
 * every exception (OpenCV's, std::bad_alloc, anything else) and answers
 * a cam_err with words, so none crosses into C; frames are made by the
 * caller's allocator.
 */
#include "hal/camera/cv-module.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

struct cv_capture {
	cv::VideoCapture cap;
	bool camera;
};

namespace {

/* OpenCV logs to stderr by default, and lets FFmpeg print its errors
 * (a text file tried as a video: "Invalid PNG signature"); library code
 * does not print. OpenCV reads OPENCV_FFMPEG_LOGLEVEL once, when FFmpeg
 * is first used, so it is set before that (-8: AV_LOG_QUIET), unless the
 * engineer set it to see FFmpeg's words. */
void quiet()
{
	static std::once_flag once;
	std::call_once(once, [] {
		cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
		setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
	});
}

__attribute__((format(printf, 4, 5))) cam_err say(cam_err e, char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		std::vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* A BGR8 cam_frame holding m (converted from grey or BGRA if need be),
 * at most CAM_MAX_SIDE pixels a side. */
cam_err to_frame(const cv::Mat &m, cv_frame_alloc alloc, cam_frame **ret, char *why, size_t why_len)
{
	cv::Mat bgr;
	if (m.type() == CV_8UC3)
		bgr = m;
	else if (m.type() == CV_8UC1)
		cv::cvtColor(m, bgr, cv::COLOR_GRAY2BGR);
	else if (m.type() == CV_8UC4)
		cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
	else
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "a frame of a pixel format other than 8-bit");
	if (bgr.cols > CAM_MAX_SIDE || bgr.rows > CAM_MAX_SIDE)
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "a frame of %dx%d pixels: more than %d a side", bgr.cols,
		           bgr.rows, CAM_MAX_SIDE);
	cam_frame *f = alloc(bgr.cols, bgr.rows);
	if (!f)
		return CAM_ERR_NOMEM;
	for (int y = 0; y < bgr.rows; y++)
		std::memcpy(f->data + (size_t)y * f->stride, bgr.ptr(y), (size_t)bgr.cols * 3);
	*ret = f;
	return CAM_OK;
}

/* A cv::Mat header over f's bytes (no copy). */
cv::Mat view(const cam_frame *f)
{
	return cv::Mat(f->height, f->width, CV_8UC3, f->data, f->stride);
}


cam_err open_v4l2(const char *path, int width, int height, double fps, cv_capture **ret, char *why,
                             size_t why_len)
{
	quiet();
	cv_capture *c = new (std::nothrow) cv_capture();
	if (!c)
		return CAM_ERR_NOMEM;
	c->camera = true;
	try {
		if (!c->cap.open(path, cv::CAP_V4L2)) {
			delete c;
			return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV's V4L2 backend cannot open it (in use, or not a capture device)", path);
		}
		if (width > 0 && height > 0) {
			c->cap.set(cv::CAP_PROP_FRAME_WIDTH, width);
			c->cap.set(cv::CAP_PROP_FRAME_HEIGHT, height);
		}
		if (fps > 0)
			c->cap.set(cv::CAP_PROP_FPS, fps);
	} catch (const cv::Exception &ex) {
		delete c;
		return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV: %s", path, ex.what());
	} catch (...) {
		delete c;
		return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV failed unexpectedly", path);
	}
	*ret = c;
	return CAM_OK;
}

cam_err open_video(const char *path, cv_capture **ret, char *why, size_t why_len)
{
	quiet();
	cv_capture *c = new (std::nothrow) cv_capture();
	if (!c)
		return CAM_ERR_NOMEM;
	try {
		cv::Mat probe;
		/* FFmpeg opens many a file it then cannot decode: a video is one
		 * whose first frame reads. */
		if (!c->cap.open(path, cv::CAP_FFMPEG) || !c->cap.read(probe) || probe.empty()) {
			delete c;
			return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: not an image or a video OpenCV can read", path);
		}
		c->cap.set(cv::CAP_PROP_POS_FRAMES, 0);
	} catch (const cv::Exception &ex) {
		delete c;
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: OpenCV: %s", path, ex.what());
	} catch (...) {
		delete c;
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: OpenCV failed unexpectedly", path);
	}
	*ret = c;
	return CAM_OK;
}

void close_capture(cv_capture *c)
{
	if (!c)
		return;
	try {
		c->cap.release();
	} catch (const cv::Exception &) {
		/* closing anyway */
	} catch (...) {
		/* closing anyway */
	}
	delete c;
}

void get_info(cv_capture *c, cv_capture_info *ret)
{
	*ret = cv_capture_info{};
	try {
		ret->width = (int)c->cap.get(cv::CAP_PROP_FRAME_WIDTH);
		ret->height = (int)c->cap.get(cv::CAP_PROP_FRAME_HEIGHT);
		ret->fps = c->cap.get(cv::CAP_PROP_FPS);
		if (ret->fps < 0 || ret->fps > 1000)
			ret->fps = 0;
		if (!c->camera) {
			double n = c->cap.get(cv::CAP_PROP_FRAME_COUNT);
			ret->frames = n > 0 ? (long)n : 0;
		} else {
			/* The V4L2 backend answers -1 for a control the camera lacks. */
			ret->exposure = c->cap.get(cv::CAP_PROP_EXPOSURE) != -1;
			ret->auto_exposure = c->cap.get(cv::CAP_PROP_AUTO_EXPOSURE) != -1;
			ret->focus = c->cap.get(cv::CAP_PROP_FOCUS) != -1;
			ret->autofocus = c->cap.get(cv::CAP_PROP_AUTOFOCUS) != -1;
		}
		std::snprintf(ret->backend, sizeof(ret->backend), "%s", c->cap.getBackendName().c_str());
	} catch (const cv::Exception &) {
		/* what was read so far */
	} catch (...) {
		/* what was read so far */
	}
}

/* V4L2's exposure modes (the menu of V4L2_CID_EXPOSURE_AUTO), which
 * OpenCV's V4L2 backend passes through as CAP_PROP_AUTO_EXPOSURE's
 * value. UVC cameras mostly offer manual and aperture priority (the
 * exposure time automatic, the iris fixed), some full auto instead. */
enum exposure_mode { EXPOSURE_AUTO = 0, EXPOSURE_MANUAL = 1, EXPOSURE_APERTURE_PRIORITY = 3 };

void set_control(cv_capture *c, cv_control which, const cam_control *ask, cv_control_state *ret)
{
	*ret = cv_control_state{};
	bool exposure = which == CV_CONTROL_EXPOSURE;
	int auto_prop = exposure ? cv::CAP_PROP_AUTO_EXPOSURE : cv::CAP_PROP_AUTOFOCUS;
	int value_prop = exposure ? cv::CAP_PROP_EXPOSURE : cv::CAP_PROP_FOCUS;
	try {
		/* V4L2's own units whatever the environment: with
		 * OPENCV_VIDEOIO_V4L_RANGE_NORMALIZED set the backend would take
		 * and give fractions of each control's range instead. */
		c->cap.set(cv::CAP_PROP_MODE, 0);
		/* The V4L2 backend answers -1 for a control the camera lacks. */
		bool has_auto = c->cap.get(auto_prop) != -1;
		bool has_value = c->cap.get(value_prop) != -1;
		bool ok = true;
		if (ask->mode == CAM_CONTROL_AUTO) {
			ret->offered = has_auto;
			if (has_auto)
				ok = exposure ? (c->cap.set(auto_prop, EXPOSURE_APERTURE_PRIORITY) ||
				                 c->cap.set(auto_prop, EXPOSURE_AUTO))
				              : c->cap.set(auto_prop, 1);
		} else if (ask->mode == CAM_CONTROL_MANUAL) {
			/* A camera without the automatic mode is manual already. */
			ret->offered = has_value;
			if (has_value) {
				if (has_auto)
					ok = c->cap.set(auto_prop, exposure ? EXPOSURE_MANUAL : 0);
				ok = c->cap.set(value_prop, ask->value) && ok;
			}
		}
		ret->refused = ret->offered && !ok;
		if (has_auto) {
			double mode = c->cap.get(auto_prop);
			ret->automatic = exposure ? mode == EXPOSURE_AUTO || mode == EXPOSURE_APERTURE_PRIORITY : mode == 1;
		}
		if (has_value) {
			ret->value = c->cap.get(value_prop);
			ret->has_value = ret->value != -1;
		}
	} catch (const cv::Exception &) {
		ret->refused = ret->offered;
	} catch (...) {
		ret->refused = ret->offered;
	}
}

cam_err read_frame(cv_capture *c, cv_frame_alloc alloc, cam_frame **ret, char *why, size_t why_len)
{
	try {
		cv::Mat m;
		if (!c->cap.read(m) || m.empty()) {
			if (!c->camera)
				return CAM_ERR_ENDED;
			return say(CAM_ERR_READ, why, why_len, "the camera gave no frame (V4L2 read failed)");
		}
		return to_frame(m, alloc, ret, why, why_len);
	} catch (const cv::Exception &ex) {
		return say(CAM_ERR_READ, why, why_len, "OpenCV: %s", ex.what());
	} catch (const std::bad_alloc &) {
		return CAM_ERR_NOMEM;
	} catch (...) {
		return say(CAM_ERR_READ, why, why_len, "OpenCV failed unexpectedly");
	}
}

cam_err rewind_video(cv_capture *c, char *why, size_t why_len)
{
	try {
		if (c->cap.set(cv::CAP_PROP_POS_FRAMES, 0))
			return CAM_OK;
	} catch (const cv::Exception &ex) {
		return say(CAM_ERR_READ, why, why_len, "OpenCV: %s", ex.what());
	} catch (...) {
		return say(CAM_ERR_READ, why, why_len, "OpenCV failed unexpectedly");
	}
	return say(CAM_ERR_READ, why, why_len, "the video cannot go back to its first frame");
}

cam_err image_read(const char *path, cv_frame_alloc alloc, cam_frame **ret, char *why, size_t why_len)
{
	quiet();
	try {
		cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
		if (m.empty())
			return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: not an image OpenCV can read", path);
		return to_frame(m, alloc, ret, why, why_len);
	} catch (const cv::Exception &ex) {
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: OpenCV: %s", path, ex.what());
	} catch (const std::bad_alloc &) {
		return CAM_ERR_NOMEM;
	} catch (...) {
		return say(CAM_ERR_NOT_MEDIA, why, why_len, "%s: OpenCV failed unexpectedly", path);
	}
}

cam_err image_write(const char *path, const cam_frame *f, char *why, size_t why_len)
{
	quiet();
	try {
		if (cv::imwrite(path, view(f)))
			return CAM_OK;
		return say(CAM_ERR_READ, why, why_len, "%s: OpenCV could not write it", path);
	} catch (const cv::Exception &ex) {
		return say(CAM_ERR_READ, why, why_len, "%s: OpenCV: %s", path, ex.what());
	} catch (...) {
		return say(CAM_ERR_READ, why, why_len, "%s: OpenCV failed unexpectedly", path);
	}
}

cam_err video_write(const char *path, cam_frame *const *f, size_t n, double fps, char *why, size_t why_len)
{
	quiet();
	if (!n)
		return say(CAM_ERR_ARG, why, why_len, "%s: no frames to write", path);
	try {
		cv::VideoWriter w(path, cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
		                  cv::Size(f[0]->width, f[0]->height));
		if (!w.isOpened())
			return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV could not write a video there", path);
		for (size_t i = 0; i < n; i++)
			w.write(view(f[i]));
		return CAM_OK;
	} catch (const cv::Exception &ex) {
		return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV: %s", path, ex.what());
	} catch (...) {
		return say(CAM_ERR_OPEN, why, why_len, "%s: OpenCV failed unexpectedly", path);
	}
}

cam_err measure(const cam_frame *f, double *ret_mean, double *ret_stddev, double *ret_laplacian_var)
{
	try {
		cv::Mat grey, lap;
		cv::cvtColor(view(f), grey, cv::COLOR_BGR2GRAY);
		cv::Scalar mean, sd;
		cv::meanStdDev(grey, mean, sd);
		cv::Laplacian(grey, lap, CV_64F, 1);
		cv::Scalar lmean, lsd;
		cv::meanStdDev(lap, lmean, lsd);
		*ret_mean = mean[0];
		*ret_stddev = sd[0];
		*ret_laplacian_var = lsd[0] * lsd[0];
		return CAM_OK;
	} catch (const cv::Exception &) {
		return CAM_ERR_READ;
	} catch (const std::bad_alloc &) {
		return CAM_ERR_NOMEM;
	} catch (...) {
		return CAM_ERR_READ;
	}
}

/* In the order of cv_module_ops (C++17 has no designated initialisers). */
const cv_module_ops ops = {
	CV_MODULE_ABI,
	sizeof(cv_module_ops),
	open_v4l2,
	open_video,
	close_capture,
	get_info,
	set_control,
	read_frame,
	rewind_video,
	image_read,
	image_write,
	video_write,
	measure,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const cv_module_ops *appm_cv_module(void)
{
	return &ops;
}
