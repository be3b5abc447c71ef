/*
 * quality-pose.cpp — head pose from the 68 landmarks with cv::solvePnP,
 * behind quality.h's fq_head_pose: the one part of the quality checks
 * that needs OpenCV.
 *
 * The generic face is in the camera's own axes (x to the image's right,
 * y down, z away from the camera), millimetres, origin the nose tip, so a
 * frontal face has the identity rotation and the angles read straight
 * off the rotated axes, with no Euler order to argue about.
 */
#include "hal/face/quality.h"

#include <cmath>
#include <new>
#include <vector>

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>

namespace {

/* Average adult proportions (ours, rounded): eye corners 90 mm apart and
 * 35 mm above the nose tip, 30 mm behind it; mouth corners 50 mm apart. */
struct model_point {
	int index;         /* iBUG 68 index */
	float x, y, z;
};

const model_point model[] = {
	{ 30, 0.0f, 0.0f, 0.0f },       /* nose tip */
	{ 27, 0.0f, -38.0f, 18.0f },    /* nose bridge, between the eyes */
	{ 33, 0.0f, 14.0f, 14.0f },     /* below the nose */
	{ 8, 0.0f, 68.0f, 24.0f },      /* chin */
	{ 36, -45.0f, -35.0f, 32.0f },  /* outer corner, eye on the image's left */
	{ 45, 45.0f, -35.0f, 32.0f },
	{ 39, -15.0f, -35.0f, 24.0f },  /* inner corners */
	{ 42, 15.0f, -35.0f, 24.0f },
	{ 48, -25.0f, 30.0f, 22.0f },   /* mouth corners */
	{ 54, 25.0f, 30.0f, 22.0f },
};

const double deg = 180.0 / 3.14159265358979323846;

} // namespace

extern "C" fq_err fq_head_pose(const fm_landmarks *lm, int width, int height, double ret[3])
{
	if (!lm || !ret || width <= 0 || height <= 0)
		return FQ_ERR_ARG;
	try {
		std::vector<cv::Point3f> obj;
		std::vector<cv::Point2f> img;
		for (const model_point &p : model) {
			obj.emplace_back(p.x, p.y, p.z);
			img.emplace_back(lm->pt[p.index].x, lm->pt[p.index].y);
		}
		double f = width > height ? width : height;
		cv::Matx33d cam(f, 0, width / 2.0, 0, f, height / 2.0, 0, 0, 1);
		/* Start from frontal, 50 cm away: the iterative solver then
		 * never lands on the mirror solution behind the camera. */
		cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
		cv::Mat tvec = (cv::Mat_<double>(3, 1) << 0, 0, 500);
		if (!cv::solvePnP(obj, img, cam, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE))
			return FQ_ERR_POSE;
		cv::Matx33d r;
		cv::Rodrigues(rvec, r);
		/* The face's forward direction (towards the camera, -z in the
		 * model) and its eye line (+x), in camera axes. */
		cv::Vec3d fwd(-r(0, 2), -r(1, 2), -r(2, 2));
		cv::Vec3d across(r(0, 0), r(1, 0), r(2, 0));
		/* Frontal means facing the camera, not parallel to its axis:
		 * an applicant off to one side who looks at the lens turns
		 * towards it by the angle of that line of sight, which is
		 * taken off (else a face pasted 450 px off-centre in a
		 * 1600-wide frame reads 15 degrees of yaw). */
		const double *t = tvec.ptr<double>();
		cv::Vec3d to_cam(-t[0], -t[1], -t[2]);
		double yaw = (std::atan2(fwd[0], -fwd[2]) - std::atan2(to_cam[0], -to_cam[2])) * deg;
		double pitch = (std::atan2(-fwd[1], std::hypot(fwd[0], fwd[2])) -
		                std::atan2(-to_cam[1], std::hypot(to_cam[0], to_cam[2]))) * deg;
		double roll = std::atan2(across[1], across[0]) * deg;
		if (!std::isfinite(yaw) || !std::isfinite(pitch) || !std::isfinite(roll))
			return FQ_ERR_POSE;
		ret[0] = yaw;
		ret[1] = pitch;
		ret[2] = roll;
		return FQ_OK;
	} catch (const cv::Exception &) {
		return FQ_ERR_POSE;
	} catch (const std::bad_alloc &) {
		return FQ_ERR_NOMEM;
	} catch (...) {
		return FQ_ERR_POSE;
	}
}
