/*
 * persona.cpp — persona.h on OpenCV: the portrait placed and cut out
 * once, each frame a remap of it (turn, sway) blended onto the wall.
 */
#include "persona.h"

#include "hal/face/fm-mat.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

constexpr int W = 640, H = 480;
const cv::Scalar wall(196, 198, 200); /* BGR: a light grey wall */

} // namespace

struct pm_person {
	cv::Mat face;      /* the portrait placed, 640x480 BGR */
	cv::Mat mask;      /* its head's oval, 0..1, CV_32F */
	cv::Point2f nose;  /* the nose tip, placed */
	float jaw;         /* jaw points 0-16 apart, placed */
};

/* "what: words" into why. */
static bool fail(char *why, size_t len, const char *what, const char *words)
{
	if (why && len)
		snprintf(why, len, "%s: %s", what, words);
	return false;
}

extern "C" bool pm_person_new(fm_models *m, const char *path, double eye_distance, pm_person **ret, char *why,
                              size_t why_len)
{
	try {
		cv::Mat src = cv::imread(path, cv::IMREAD_COLOR);
		if (src.empty())
			return fail(why, why_len, path, "not an image");
		fm_image im = { src.data, src.cols, src.rows, src.step };
		fm_box box[4];
		size_t n = 0;
		fm_landmarks lm;
		if (fm_detect(m, &im, box, 4, &n) != FM_OK || n == 0 || fm_landmark(m, &im, &box[0], &lm) != FM_OK)
			return fail(why, why_len, path, "no face found");
		const fm_point *five = lm.five;
		double ed = std::hypot(five[FM_FIVE_EYE_RIGHT].x - five[FM_FIVE_EYE_LEFT].x,
		                       five[FM_FIVE_EYE_RIGHT].y - five[FM_FIVE_EYE_LEFT].y);
		if (!(ed > 1) || !(eye_distance > 1))
			return fail(why, why_len, path, "the eyes are not apart");
		double s = eye_distance / ed;
		double ex = (five[FM_FIVE_EYE_LEFT].x + five[FM_FIVE_EYE_RIGHT].x) / 2;
		double ey = (five[FM_FIVE_EYE_LEFT].y + five[FM_FIVE_EYE_RIGHT].y) / 2;
		cv::Mat a = (cv::Mat_<double>(2, 3) << s, 0, 320 - s * ex, 0, s, 205 - s * ey);
		auto placed = [&](int i) {
			return cv::Point2f((float)(s * lm.pt[i].x + a.at<double>(0, 2)),
			                   (float)(s * lm.pt[i].y + a.at<double>(1, 2)));
		};
		std::unique_ptr<pm_person> p(new pm_person);
		cv::warpAffine(src, p->face, a, cv::Size(W, H), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
		p->nose = placed(30);
		p->jaw = placed(16).x - placed(0).x;
		/* The head's oval: centred between the jaw's sides, from above the
		 * brows (the hair) to below the chin; its edge fades over 8%. */
		cv::Point2f c((placed(0).x + placed(16).x) / 2, (placed(8).y + placed(19).y) / 2 - 0.15f * p->jaw);
		float ax = 0.62f * p->jaw, ay = 0.85f * p->jaw;
		p->mask.create(H, W, CV_32F);
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				double d = std::hypot((x - c.x) / ax, (y - c.y) / ay);
				p->mask.at<float>(y, x) = (float)std::min(1.0, std::max(0.0, (1.08 - d) / 0.08));
			}
		*ret = p.release();
		return true;
	} catch (const std::bad_alloc &) {
		return fail(why, why_len, path, "out of memory");
	} catch (const cv::Exception &e) {
		return fail(why, why_len, "OpenCV", e.what());
	}
}

extern "C" void pm_person_free(pm_person *p)
{
	delete p;
}

extern "C" bool pm_person_frame(const pm_person *p, double turn, double dx, double dy, fm_image *ret)
{
	try {
		/* Inverse maps: each output pixel takes the portrait's pixel the
		 * movement brought there. The turn moves a Gaussian neighbourhood
		 * of the nose (0.30 of the jaw's width across, 0.55 down) by up to
		 * 0.22 of the jaw's width; the sway moves everything. */
		cv::Mat mx(H, W, CV_32F), my(H, W, CV_32F);
		double amp = turn * 0.22 * p->jaw, sx = 0.30 * p->jaw, sy = 0.55 * p->jaw;
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				double u = (x - dx - p->nose.x) / sx, v = (y - dy - p->nose.y) / sy;
				mx.at<float>(y, x) = (float)(x - dx - amp * std::exp(-u * u - v * v));
				my.at<float>(y, x) = (float)(y - dy);
			}
		cv::Mat face, mask;
		cv::remap(p->face, face, mx, my, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
		cv::remap(p->mask, mask, mx, my, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
		cv::Mat out(H, W, CV_8UC3, wall);
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				float k = mask.at<float>(y, x);
				cv::Vec3b f = face.at<cv::Vec3b>(y, x), &o = out.at<cv::Vec3b>(y, x);
				for (int ch = 0; ch < 3; ch++)
					o[ch] = cv::saturate_cast<uchar>(k * f[ch] + (1 - k) * o[ch]);
			}
		return fm_image_from_mat(out, ret);
	} catch (const std::bad_alloc &) {
		return false;
	} catch (const cv::Exception &) {
		return false;
	}
}
