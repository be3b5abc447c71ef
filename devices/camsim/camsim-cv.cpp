/*
 * camsim-cv.cpp — camsim-cv.h on OpenCV (imgproc for the warps, imgcodecs
 * for the JPEG files). No exception crosses into C: each entry catches
 * OpenCV's and answers false.
 */
#include "camsim-cv.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "hal/face/fm-mat.hpp"

namespace {

cv::Mat wrap(const fm_image *img)
{
	return fm_mat_of(img);
}

bool give(const cv::Mat &m, fm_image *ret)
{
	return fm_image_from_mat(m, ret);
}

bool valid(const fm_image *img)
{
	return img && img->data && img->width > 0 && img->height > 0 &&
	       img->stride >= (size_t)img->width * 3;
}

} // namespace

extern "C" {

bool cs_window(const fm_image *src, double x, double y, double w, double h, int out_w, int out_h,
               bool flip, fm_image *ret)
{
	if (!valid(src) || !(w > 0) || !(h > 0) || out_w <= 0 || out_h <= 0 || !ret)
		return false;
	try {
		/* One warp: the window's corners onto the output's. */
		double kx = out_w / w, ky = out_h / h;
		cv::Mat m = (cv::Mat_<double>(2, 3) << kx, 0, -x * kx, 0, ky, -y * ky);
		if (flip) {
			m.at<double>(0, 0) = -kx;
			m.at<double>(0, 2) = out_w - 1 + x * kx;
		}
		int interp = kx < 1 ? cv::INTER_AREA : cv::INTER_CUBIC;
		cv::Mat out;
		if (kx < 1) {
			/* warpAffine has no area filter: cut, then resize. */
			cv::Mat big;
			cv::Mat cut = (cv::Mat_<double>(2, 3) << 1, 0, -x, 0, 1, -y);
			cv::warpAffine(wrap(src), big, cut, cv::Size((int)std::ceil(w), (int)std::ceil(h)),
			               cv::INTER_LINEAR, cv::BORDER_REPLICATE);
			cv::resize(big, out, cv::Size(out_w, out_h), 0, 0, interp);
			if (flip)
				cv::flip(out, out, 1);
		} else {
			cv::warpAffine(wrap(src), out, m, cv::Size(out_w, out_h), interp, cv::BORDER_REPLICATE);
		}
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool cs_gain(const fm_image *src, double gain, fm_image *ret)
{
	if (!valid(src) || !(gain >= 0) || !ret)
		return false;
	try {
		cv::Mat out;
		wrap(src).convertTo(out, -1, gain, 0);
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool cs_shrink(const fm_image *src, double k, int grey, fm_image *ret)
{
	if (!valid(src) || !(k > 0 && k <= 1) || !ret)
		return false;
	try {
		cv::Mat out(src->height, src->width, CV_8UC3, cv::Scalar(grey, grey, grey)), small;
		cv::Size sz((int)std::lround(src->width * k), (int)std::lround(src->height * k));
		cv::resize(wrap(src), small, sz, 0, 0, cv::INTER_AREA);
		small.copyTo(out(cv::Rect((src->width - sz.width) / 2, (src->height - sz.height) / 2,
		                          sz.width, sz.height)));
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool cs_paste(const fm_image *dst, const fm_image *face, double x, double y, double w, double h,
              double cx, double cy, double h_out, fm_image *ret)
{
	if (!valid(dst) || !valid(face) || !(w > 0) || !(h > 0) || !(h_out > 0) || !ret)
		return false;
	try {
		double k = h_out / h;
		/* face's window onto dst's pixels, centred at (cx, cy). */
		cv::Mat m = (cv::Mat_<double>(2, 3) << k, 0, cx - (x + w / 2) * k, 0, k, cy - (y + h / 2) * k);
		cv::Mat warped;
		cv::warpAffine(wrap(face), warped, m, cv::Size(dst->width, dst->height), cv::INTER_AREA,
		               cv::BORDER_CONSTANT);
		/* The window's mask, feathered over an eighth of its size. */
		cv::Mat mask(face->height, face->width, CV_32F, cv::Scalar(0));
		cv::Rect win((int)std::lround(x), (int)std::lround(y), (int)std::lround(w), (int)std::lround(h));
		win &= cv::Rect(0, 0, face->width, face->height);
		mask(win).setTo(1.0);
		cv::Mat wmask;
		cv::warpAffine(mask, wmask, m, cv::Size(dst->width, dst->height), cv::INTER_LINEAR,
		               cv::BORDER_CONSTANT);
		int blur = 2 * (int)std::lround(h_out / 16) + 1;
		cv::Mat eroded;
		cv::erode(wmask, eroded, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(blur, blur)));
		cv::GaussianBlur(eroded, wmask, cv::Size(blur, blur), 0);
		cv::Mat out = wrap(dst).clone();
		for (int r = 0; r < out.rows; r++) {
			cv::Vec3b *o = out.ptr<cv::Vec3b>(r);
			const cv::Vec3b *f = warped.ptr<cv::Vec3b>(r);
			const float *a = wmask.ptr<float>(r);
			for (int c = 0; c < out.cols; c++)
				for (int ch = 0; ch < 3; ch++)
					o[c][ch] = cv::saturate_cast<uchar>(a[c] * f[c][ch] + (1 - a[c]) * o[c][ch]);
		}
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool cs_sheet(const fm_image *src, double yaw, double roll, double dx, double dy, int grey,
              fm_image *ret)
{
	if (!valid(src) || !ret)
		return false;
	try {
		double w = src->width, h = src->height, f = w;
		double cy = std::cos(yaw * CV_PI / 180), sy = std::sin(yaw * CV_PI / 180);
		double cr = std::cos(roll * CV_PI / 180), sr = std::sin(roll * CV_PI / 180);
		std::vector<cv::Point2f> from, to;
		const double corners[4][2] = { { 0, 0 }, { w, 0 }, { w, h }, { 0, h } };
		for (const auto &c : corners) {
			/* The sheet's point about its centre, rolled in its plane,
			 * turned about the vertical axis, at distance f; projected. */
			double u = c[0] - w / 2, v = c[1] - h / 2;
			double ur = cr * u - sr * v, vr = sr * u + cr * v;
			double X = cy * ur, Z = f + sy * ur;
			from.emplace_back((float)c[0], (float)c[1]);
			to.emplace_back((float)(w / 2 + f * X / Z + dx), (float)(h / 2 + f * vr / Z + dy));
		}
		cv::Mat p = cv::getPerspectiveTransform(from, to), out;
		cv::warpPerspective(wrap(src), out, p, cv::Size(src->width, src->height), cv::INTER_LINEAR,
		                    cv::BORDER_CONSTANT, cv::Scalar(grey, grey, grey));
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

void cs_frames_free(fm_image *frames, size_t n)
{
	if (!frames)
		return;
	for (size_t i = 0; i < n; i++)
		fm_image_free(&frames[i]);
	free(frames);
}

bool cs_video_read(const char *path, fm_image **ret_frames, size_t *ret_n, double *ret_fps)
{
	if (!path || !ret_frames || !ret_n || !ret_fps)
		return false;
	fm_image *frames = NULL;
	size_t n = 0, cap = 0;
	try {
		cv::VideoCapture v(path);
		if (!v.isOpened())
			return false;
		double fps = v.get(cv::CAP_PROP_FPS);
		cv::Mat m;
		while (v.read(m) && !m.empty()) {
			if (m.type() != CV_8UC3)
				break;
			if (n == cap) {
				size_t c = cap ? 2 * cap : 256;
				fm_image *more = (fm_image *)realloc(frames, c * sizeof *frames);
				if (!more)
					break;
				frames = more;
				cap = c;
			}
			if (!give(m, &frames[n]))
				break;
			n++;
		}
		if (n == 0 || v.read(m)) { /* nothing read, or stopped early */
			cs_frames_free(frames, n);
			return false;
		}
		*ret_frames = frames;
		*ret_n = n;
		*ret_fps = fps;
		return true;
	} catch (const std::exception &) {
		cs_frames_free(frames, n);
		return false;
	}
}

bool cs_write_jpeg(const fm_image *img, const char *path, int quality)
{
	if (!valid(img) || !path)
		return false;
	try {
		return cv::imwrite(path, wrap(img), { cv::IMWRITE_JPEG_QUALITY, quality });
	} catch (const std::exception &) {
		return false;
	}
}

} // extern "C"
