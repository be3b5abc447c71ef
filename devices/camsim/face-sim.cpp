/*
 * face-sim.cpp — face-sim.h on OpenCV. The attack simulations are
 * deliberately crude: they model what a camera sees of paper or a screen
 * (contrast, colour, moiré, coding artefacts), not any real printer or
 * display; the evaluation says so.
 */
#include "face-sim.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

cv::Mat affine(const cv::Mat &src, double dx, double dy, double scale, double angle)
{
	cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(src.cols / 2.0f, src.rows / 2.0f), angle, scale);
	r.at<double>(0, 2) += dx;
	r.at<double>(1, 2) += dy;
	cv::Mat out;
	cv::warpAffine(src, out, r, src.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
	return out;
}

cv::Mat jpeg(const cv::Mat &src, int quality)
{
	std::vector<uchar> buf;
	cv::imencode(".jpg", src, buf, { cv::IMWRITE_JPEG_QUALITY, quality });
	return cv::imdecode(buf, cv::IMREAD_COLOR);
}

/* A moiré: a sinusoid of period `period` pixels at angle `angle`, added
 * with amplitude amp to every channel. */
void moire(cv::Mat &img, double period, double angle, double amp)
{
	double c = std::cos(angle * CV_PI / 180), s = std::sin(angle * CV_PI / 180);
	for (int y = 0; y < img.rows; y++) {
		cv::Vec3b *row = img.ptr<cv::Vec3b>(y);
		for (int x = 0; x < img.cols; x++) {
			double v = amp * std::sin(2 * CV_PI * (x * c + y * s) / period);
			for (int k = 0; k < 3; k++)
				row[x][k] = cv::saturate_cast<uchar>(row[x][k] + v);
		}
	}
}

} // namespace

extern "C" {

bool sim_affine(const fm_image *src, double dx, double dy, double scale, double angle, fm_image *ret)
{
	try {
		return give(affine(wrap(src), dx, dy, scale, angle), ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool sim_fit(const fm_image *src, int width, int height, fm_image *ret)
{
	try {
		double k = std::min(width / (double)src->width, height / (double)src->height);
		cv::Mat small, out(height, width, CV_8UC3, cv::Scalar(128, 128, 128));
		cv::Size sz((int)std::lround(src->width * k), (int)std::lround(src->height * k));
		cv::resize(wrap(src), small, sz, 0, 0, cv::INTER_AREA);
		small.copyTo(out(cv::Rect((width - sz.width) / 2, (height - sz.height) / 2, sz.width, sz.height)));
		return give(out, ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool sim_jpeg(const fm_image *src, int quality, fm_image *ret)
{
	try {
		return give(jpeg(wrap(src).clone(), quality), ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool sim_print(const fm_image *src, int step, fm_image *ret)
{
	try {
		cv::Mat m = affine(wrap(src), 3.0 * step, 2.0 * step, 1.0, 0.5 * step);
		m.convertTo(m, -1, 0.6, 60);                 /* paper: low contrast, no black */
		cv::add(m, cv::Scalar(-12, 0, 10), m);       /* warm tint (BGR) */
		moire(m, 3.3, 15, 6);                        /* halftone against the sensor */
		return give(jpeg(m, 40), ret);
	} catch (const std::exception &) {
		return false;
	}
}

bool sim_screen(const fm_image *src, fm_image *ret)
{
	try {
		cv::Mat m;
		wrap(src).convertTo(m, CV_32FC3, 1.0 / 255);
		cv::pow(m, 0.8, m);                          /* the screen's gamma */
		cv::multiply(m, cv::Scalar(1.10, 1.0, 0.85), m); /* blue cast (BGR) */
		m.convertTo(m, CV_8UC3, 255);
		moire(m, 4.7, 80, 6);                        /* pixel grid against the sensor */
		cv::GaussianBlur(m, m, cv::Size(3, 3), 0.8);
		return give(m, ret);
	} catch (const std::exception &) {
		return false;
	}
}

} // extern "C"
