/*
 * fm-mat — between fm.h's fm_image (BGR, malloc'ed, C) and OpenCV's
 * cv::Mat, for the C++ files that hand images across (fm-dnn.cpp, and
 * the simulators of devices/camsim). Header only.
 */
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <opencv2/core.hpp>

#include "hal/face/fm.h"

/* img's pixels as a Mat, not copied: valid while img is. */
inline cv::Mat fm_mat_of(const fm_image *img)
{
	return cv::Mat(img->height, img->width, CV_8UC3, img->data, img->stride);
}

/* A BGR Mat copied into *ret, rows packed (fm_image_free releases it);
 * false, *ret untouched, when out of memory. */
inline bool fm_image_from_mat(const cv::Mat &m, fm_image *ret)
{
	size_t stride = (size_t)m.cols * 3;
	uint8_t *data = (uint8_t *)malloc(stride * (size_t)m.rows);
	if (!data)
		return false;
	for (int y = 0; y < m.rows; y++)
		memcpy(data + stride * (size_t)y, m.ptr(y), stride);
	ret->data = data;
	ret->width = m.cols;
	ret->height = m.rows;
	ret->stride = stride;
	return true;
}
