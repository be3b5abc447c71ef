/*
 * fm-dnn.cpp — the face networks on OpenCV's DNN module, behind
 * fm.h's C interface: loading and checking the model set, detection,
 * landmarks and the aligned embedding. No exception leaves this file:
 * each entry point catches every exception and returns an fm_err.
 *
 * What each network takes and gives was read from the package's
 * JavaScript and then checked on OpenCV 4.6 with the licensed test faces;
 * MODELS.md has the details, the header comments below the summary.
 */
#include "hal/face/fm.h"
#include "hal/face/fm-mat.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

/* One network of the set: its file, input size and the outputs it must
 * give, each checked at load by its number of values. */
struct net_spec {
	const char *file;
	int channels, height, width;
	const char *outputs[2];
	int out_total[2];      /* element count of each output */
};

enum { NET_DETECT, NET_LANDMARK, NET_FEATURE, NET_EYE, NET_LIVENESS, NET_COUNT };

/*
 * fr_detect.onnx — 1x3x240x320, RGB, (v - 127) / 128. Outputs "scores"
 *   1x4420x2 (softmaxed: [background, face]) and "boxes" 1x4420x4, already
 *   decoded from its priors: corners x1, y1, x2, y2 as fractions of the
 *   input's width and height (the package decodes priors and throws the
 *   result away).
 * fr_landmark.onnx — 1x1x64x64 grey, v / 256, of the detector's box made
 *   square (side = box height, same centre). Output "output" 1x136: the 68
 *   points' x, y as fractions of that square.
 * fr_feature.onnx — 1x3x112x112, BGR, (v - 127) / 128, of the face aligned
 *   to ArcFace's 5-point template. Output "output" 1x512, not normalised.
 * fr_eye.onnx — 1x1x24x24 grey, v / 255, of one eye's square. Output
 *   "output" 1x2 logits.
 * fr_liveness.onnx — 1x3x128x128, BGR, 0..255 unscaled, of the box grown
 *   2.7 times. Output "output" 1x3 logits, class 0 live.
 */
const net_spec specs[NET_COUNT] = {
	{ "fr_detect.onnx", 3, 240, 320, { "scores", "boxes" }, { 4420 * 2, 4420 * 4 } },
	{ "fr_landmark.onnx", 1, 64, 64, { "output", nullptr }, { 136, 0 } },
	{ "fr_feature.onnx", 3, 112, 112, { "output", nullptr }, { FM_EMBEDDING, 0 } },
	{ "fr_eye.onnx", 1, 24, 24, { "output", nullptr }, { 2, 0 } },
	{ "fr_liveness.onnx", 3, 128, 128, { "output", nullptr }, { 3, 0 } },
};

void set_why(char *why, size_t why_len, const char *fmt, ...)
{
	if (!why || why_len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* OpenCV's messages are long ("OpenCV(4.6.0) /build/...: error: (-5:Bad
 * argument) ... in function '...'"): keep the part that says what. */
std::string short_cv_message(const cv::Exception &e)
{
	std::string m = e.err.empty() ? e.msg : e.err;
	size_t nl = m.find('\n');
	if (nl != std::string::npos)
		m.erase(nl);
	if (m.size() > 160)
		m = m.substr(0, 157) + "...";
	return m;
}

cv::Mat wrap(const fm_image *img)
{
	return cv::Mat(img->height, img->width, CV_8UC3, img->data, img->stride);
}

bool image_ok(const fm_image *img)
{
	return img && img->data && img->width > 0 && img->height > 0 &&
	       img->stride >= (size_t)img->width * 3;
}

/* The square of side `side` centred at (cx, cy), resampled to size x size
 * (pixels outside the image repeat its border, so a face at the edge keeps
 * its proportions); returns the crop. */
cv::Mat square_crop(const cv::Mat &src, float cx, float cy, float side, int size)
{
	double s = size / (double)side;
	cv::Matx23d m(s, 0, size / 2.0 - s * cx, 0, s, size / 2.0 - s * cy);
	cv::Mat out;
	cv::warpAffine(src, out, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
	return out;
}

} // namespace

struct fm_models {
	cv::dnn::Net net[NET_COUNT];
};

namespace {

/* f() with every exception turned into an fm_err (nothing may unwind into
 * C): out of memory is FM_ERR_NOMEM, anything else `failed`. */
template <class F> fm_err guarded(F f, fm_err failed = FM_ERR_INFERENCE)
{
	try {
		return f();
	} catch (const std::bad_alloc &) {
		return FM_ERR_NOMEM;
	} catch (...) {
		return failed;
	}
}

/* The network's "output" for blob. */
cv::Mat forward(fm_models *m, int which, const cv::Mat &blob)
{
	cv::dnn::Net &net = m->net[which];
	net.setInput(blob);
	return net.forward("output");
}

/* Softmax over n scores: the probability of class 0. */
double class0(const float *v, int n)
{
	float mx = *std::max_element(v, v + n);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += std::exp((double)(v[i] - mx));
	return std::exp((double)(v[0] - mx)) / sum;
}

} // namespace

extern "C" {

fm_err fm_image_read(const char *path, fm_image *ret)
{
	if (!path || !ret)
		return FM_ERR_ARG;
	return guarded([&]() -> fm_err {
		cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
		if (m.empty())
			return FM_ERR_IMAGE;
		return fm_image_from_mat(m, ret) ? FM_OK : FM_ERR_NOMEM;
	}, FM_ERR_IMAGE);
}

void fm_image_free(fm_image *img)
{
	if (!img)
		return;
	free(img->data);
	img->data = nullptr;
}

/* Check one loaded network: a blank input must give the outputs named in
 * its spec with their sizes (a model file swapped for another, or cut so
 * that a layer lost its weights, fails here rather than on a face): what
 * is left empty when it passes, else says why not. */
static void check_net(cv::dnn::Net &net, const net_spec &sp, std::string &what)
{
	int shape[] = { 1, sp.channels, sp.height, sp.width };
	cv::Mat blank(4, shape, CV_32F, cv::Scalar(0.0f));
	net.setInput(blank);
	std::vector<cv::String> names;
	for (int k = 0; k < 2 && sp.outputs[k]; k++)
		names.push_back(sp.outputs[k]);
	std::vector<cv::Mat> outs;
	net.forward(outs, names);
	for (size_t k = 0; k < names.size(); k++) {
		if (outs[k].total() != (size_t)sp.out_total[k]) {
			what = "its output \"" + names[k] + "\" has " + std::to_string(outs[k].total()) +
			       " values, not " + std::to_string(sp.out_total[k]);
			return;
		}
		if (!cv::checkRange(outs[k])) {
			what = "its output \"" + names[k] + "\" is not finite";
			return;
		}
	}
}

fm_err fm_models_load(const char *dir, fm_models **ret, char *why, size_t why_len)
{
	if (!dir || !ret) {
		set_why(why, why_len, "no model folder given");
		return FM_ERR_ARG;
	}
	/* Everything in one try: the networks' constructors and the paths'
	 * strings allocate, and nothing may unwind into C. */
	fm_models *m = nullptr;
	try {
		m = new fm_models;
		for (int i = 0; i < NET_COUNT; i++) {
			std::string path = std::string(dir) + "/" + specs[i].file;
			struct stat st;
			if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
				set_why(why, why_len, "face model %s: %s", path.c_str(),
				        stat(path.c_str(), &st) != 0 ? strerror(errno) : "not a regular file");
				delete m;
				return FM_ERR_MODEL_MISSING;
			}
			std::string what;
			try {
				m->net[i] = cv::dnn::readNetFromONNX(path);
				if (m->net[i].empty())
					what = "OpenCV read no network from it";
				else
					check_net(m->net[i], specs[i], what);
			} catch (const cv::Exception &e) {
				what = short_cv_message(e);
			} catch (const std::bad_alloc &) {
				throw;
			} catch (const std::exception &e) {
				what = e.what();
			}
			if (!what.empty()) {
				set_why(why, why_len, "face model %s does not load (corrupt or not the expected model): %s",
				        path.c_str(), what.c_str());
				delete m;
				return FM_ERR_MODEL_CORRUPT;
			}
		}
	} catch (...) {
		delete m;
		set_why(why, why_len, "out of memory while loading the face models");
		return FM_ERR_NOMEM;
	}
	*ret = m;
	return FM_OK;
}

void fm_models_free(fm_models *m)
{
	delete m;
}

fm_err fm_detect(fm_models *m, const fm_image *img, fm_box *boxes, size_t max,
                     size_t *n)
{
	if (!m || !image_ok(img) || (!boxes && max) || !n)
		return FM_ERR_ARG;
	const net_spec &sp = specs[NET_DETECT];
	return guarded([&]() -> fm_err {
		cv::Mat blob = cv::dnn::blobFromImage(wrap(img), 1.0 / 128, cv::Size(sp.width, sp.height),
		                                      cv::Scalar(127, 127, 127), true, false, CV_32F);
		cv::dnn::Net &net = m->net[NET_DETECT];
		net.setInput(blob);
		std::vector<cv::Mat> outs;
		net.forward(outs, std::vector<cv::String>{ "scores", "boxes" });
		const float *scores = outs[0].ptr<float>();
		const float *corners = outs[1].ptr<float>();
		int count = (int)outs[0].total() / 2;
		std::vector<cv::Rect2d> rects;
		std::vector<float> conf;
		for (int i = 0; i < count; i++) {
			float s = scores[2 * i + 1];
			if (s < FM_DETECT_THRESHOLD)
				continue;
			const float *c = corners + 4 * i;
			double x1 = c[0] * img->width, y1 = c[1] * img->height;
			double x2 = c[2] * img->width, y2 = c[3] * img->height;
			if (!(x2 > x1 && y2 > y1))
				continue;
			rects.emplace_back(x1, y1, x2 - x1, y2 - y1);
			conf.push_back(s);
		}
		std::vector<int> keep;
		cv::dnn::NMSBoxes(rects, conf, FM_DETECT_THRESHOLD, 0.3f, keep);
		/* NMSBoxes returns the kept boxes best first. */
		for (size_t k = 0; k < keep.size() && k < max; k++) {
			const cv::Rect2d &r = rects[keep[k]];
			boxes[k].x1 = (float)r.x;
			boxes[k].y1 = (float)r.y;
			boxes[k].x2 = (float)(r.x + r.width);
			boxes[k].y2 = (float)(r.y + r.height);
			boxes[k].score = conf[keep[k]];
		}
		*n = keep.size();
		return FM_OK;
	});
}

fm_err fm_landmark(fm_models *m, const fm_image *img, const fm_box *box,
                       fm_landmarks *ret)
{
	if (!m || !image_ok(img) || !box || !ret || !(box->x2 > box->x1) || !(box->y2 > box->y1))
		return FM_ERR_ARG;
	const net_spec &sp = specs[NET_LANDMARK];
	return guarded([&]() -> fm_err {
		float side = box->y2 - box->y1;
		float cx = (box->x1 + box->x2) / 2, cy = (box->y1 + box->y2) / 2;
		cv::Mat crop = square_crop(wrap(img), cx, cy, side, sp.width), grey;
		cv::cvtColor(crop, grey, cv::COLOR_BGR2GRAY);
		cv::Mat blob = cv::dnn::blobFromImage(grey, 1.0 / 256, cv::Size(), cv::Scalar(), false,
		                                      false, CV_32F);
		cv::Mat out = forward(m, NET_LANDMARK, blob);
		const float *v = out.ptr<float>();
		fm_landmarks lm;
		float x0 = cx - side / 2, y0 = cy - side / 2;
		for (int i = 0; i < FM_LANDMARKS; i++) {
			lm.pt[i].x = x0 + v[2 * i] * side;
			lm.pt[i].y = y0 + v[2 * i + 1] * side;
		}
		fm_five_from_68(lm.pt, lm.five);
		*ret = lm;
		return FM_OK;
	});
}

fm_err fm_eye_closed(fm_models *m, const fm_image *img, const fm_landmarks *lm,
                     float ret[2])
{
	if (!m || !image_ok(img) || !lm || !ret)
		return FM_ERR_ARG;
	const net_spec &sp = specs[NET_EYE];
	return guarded([&]() -> fm_err {
		float p[2];
		for (int e = 0; e < 2; e++) {
			/* The square of side 1.6 x the corner-to-corner width,
			 * centred on the four lid points (MODELS.md). */
			const fm_point *pt = lm->pt + (e == 0 ? 36 : 42);
			float side = 1.6f * std::hypot(pt[3].x - pt[0].x, pt[3].y - pt[0].y);
			if (!(side > 1))
				return FM_ERR_ARG;
			float cx = (pt[1].x + pt[2].x + pt[4].x + pt[5].x) / 4;
			float cy = (pt[1].y + pt[2].y + pt[4].y + pt[5].y) / 4;
			cv::Mat crop = square_crop(wrap(img), cx, cy, side, sp.width), grey;
			cv::cvtColor(crop, grey, cv::COLOR_BGR2GRAY);
			cv::Mat blob = cv::dnn::blobFromImage(grey, 1.0 / 255, cv::Size(), cv::Scalar(),
			                                      false, false, CV_32F);
			cv::Mat out = forward(m, NET_EYE, blob);
			p[e] = (float)class0(out.ptr<float>(), 2);
		}
		ret[0] = p[0];
		ret[1] = p[1];
		return FM_OK;
	});
}

fm_err fm_embed(fm_models *m, const fm_image *img, const fm_point five[FM_FIVE],
                    float ret[FM_EMBEDDING])
{
	if (!m || !image_ok(img) || !five || !ret)
		return FM_ERR_ARG;
	double t[6];
	fm_err e = fm_similarity_fit(five, fm_template_112, FM_FIVE, t);
	if (e != FM_OK)
		return e;
	const net_spec &sp = specs[NET_FEATURE];
	return guarded([&]() -> fm_err {
		cv::Mat aligned;
		cv::warpAffine(wrap(img), aligned, cv::Matx23d(t), cv::Size(sp.width, sp.height),
		               cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
		/* BGR, as given: on the webcam clips it scores the same person
		 * higher than RGB (what the package's JavaScript feeds) does. */
		cv::Mat blob = cv::dnn::blobFromImage(aligned, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127),
		                                      false, false, CV_32F);
		cv::Mat out = forward(m, NET_FEATURE, blob);
		const float *v = out.ptr<float>();
		double norm = 0;
		for (int i = 0; i < FM_EMBEDDING; i++)
			norm += (double)v[i] * v[i];
		norm = std::sqrt(norm);
		if (!(norm > 0) || !std::isfinite(norm))
			return FM_ERR_INFERENCE;
		for (int i = 0; i < FM_EMBEDDING; i++)
			ret[i] = (float)(v[i] / norm);
		return FM_OK;
	});
}

fm_err fm_liveness(fm_models *m, const fm_image *img, const fm_box *box, float *ret_live)
{
	if (!m || !image_ok(img) || !box || !ret_live || !(box->x2 > box->x1) || !(box->y2 > box->y1))
		return FM_ERR_ARG;
	const net_spec &sp = specs[NET_LIVENESS];
	return guarded([&]() -> fm_err {
		float w = box->x2 - box->x1, h = box->y2 - box->y1;
		float cx = (box->x1 + box->x2) / 2, cy = (box->y1 + box->y2) / 2;
		/* Grow 2.7 times, less when that leaves the frame (as far as
		 * the nearest edge allows, never below the box itself). */
		float k = 2.7f;
		k = std::min(k, 2 * cx / w);
		k = std::min(k, 2 * (img->width - cx) / w);
		k = std::min(k, 2 * cy / h);
		k = std::min(k, 2 * (img->height - cy) / h);
		k = std::max(k, 1.0f);
		cv::Rect r((int)std::lround(cx - k * w / 2), (int)std::lround(cy - k * h / 2),
		           (int)std::lround(k * w), (int)std::lround(k * h));
		r &= cv::Rect(0, 0, img->width, img->height);
		if (r.width < 2 || r.height < 2)
			return FM_ERR_ARG;
		cv::Mat crop;
		cv::resize(wrap(img)(r), crop, cv::Size(sp.width, sp.height), 0, 0, cv::INTER_LINEAR);
		/* BGR, raw 0..255: with RGB (the package's JavaScript) live
		 * webcam frames score mostly below 0.3. */
		cv::Mat blob = cv::dnn::blobFromImage(crop, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
		cv::Mat out = forward(m, NET_LIVENESS, blob);
		double p = class0(out.ptr<float>(), 3);
		if (!std::isfinite(p))
			return FM_ERR_INFERENCE;
		*ret_live = (float)p;
		return FM_OK;
	});
}

} // extern "C"

#ifdef FM_MODULE
/* Built as appm-face.so (fm-module.h): the table fm-loader.c asks for. */
#include "hal/face/fm-module.h"
#include "hal/face/quality.h"

extern "C" __attribute__((visibility("default"))) const fm_module_ops *appm_fm_module(void)
{
	static const fm_module_ops ops = {
		FM_MODULE_ABI, sizeof(fm_module_ops), fm_image_read, fm_models_load, fm_models_free, fm_detect,
		fm_landmark, fm_eye_closed, fm_embed, fm_liveness, fq_head_pose,
	};
	return &ops;
}
#endif
