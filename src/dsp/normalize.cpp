// Robust per-lead scaling: centre = median, scale = 1.4826 × MAD (median absolute deviation).
// 1.4826 = 1 / Φ⁻¹(3/4) makes the MAD a consistent estimator of the standard deviation for
// Gaussian data (Rousseeuw & Croux, JASA 88(424):1273–1283, 1993), so a scaled lead has unit
// spread in the noise sense while QRS complexes (a few percent of the samples) do not inflate it.
#include "dsp/normalize.h"

#include "core/error.h"
#include "core/median.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace fecg {
namespace {

constexpr double kMadToSigma = 1.4826;
// Floor of the scale: a lead whose robust spread is below 1 µV is flat for ECG purposes (the
// 16-bit ADCs of ADFECGDB resolve ~0.1–1 µV) and must not be blown up into noise.
constexpr double kMinScaleUv = 1.0;

void check_scaling(const char* function, const LeadMatrix& x, const LeadScaling& s) {
  if (s.center_uv.size() != x.rows() || s.scale_uv.size() != x.rows()) {
    throw Error(std::string(function) + ": scaling has " + std::to_string(s.center_uv.size()) + " centres and " +
                std::to_string(s.scale_uv.size()) + " scales, expected one per lead (" + std::to_string(x.rows()) +
                ")");
  }
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    if (!std::isfinite(s.center_uv(r)) || !std::isfinite(s.scale_uv(r)) || !(s.scale_uv(r) > 0)) {
      throw Error(std::string(function) + ": lead " + std::to_string(r) +
                  " needs a finite centre and a finite scale > 0, got " + std::to_string(s.center_uv(r)) + " and " +
                  std::to_string(s.scale_uv(r)));
    }
  }
}

}  // namespace

LeadScaling robust_scaling(const LeadMatrix& x_uv) {
  if (x_uv.cols() == 0) throw Error("robust_scaling: expected at least one sample per lead, got 0");
  LeadScaling s;
  s.center_uv.resize(x_uv.rows());
  s.scale_uv.resize(x_uv.rows());
  std::vector<float> work(static_cast<std::size_t>(x_uv.cols()));
  for (Eigen::Index r = 0; r < x_uv.rows(); ++r) {
    const float* row = x_uv.row(r).data();
    for (Eigen::Index i = 0; i < x_uv.cols(); ++i) {
      if (!std::isfinite(row[i])) {
        throw Error("robust_scaling: lead " + std::to_string(r) + " has a non-finite sample at " + std::to_string(i));
      }
    }
    std::copy(row, row + x_uv.cols(), work.begin());
    const double median = median_in_place(work);
    for (Eigen::Index i = 0; i < x_uv.cols(); ++i) {
      work[static_cast<std::size_t>(i)] = static_cast<float>(std::abs(row[i] - median));
    }
    double scale = kMadToSigma * median_in_place(work);
    if (scale == 0) {
      // More than half the samples equal the median (a lead that is mostly flat, or coarsely
      // quantised): the MAD says nothing, so fall back to the standard deviation, which is
      // non-zero whenever the lead is not entirely flat.
      double sum = 0, sum_sq = 0;
      for (Eigen::Index i = 0; i < x_uv.cols(); ++i) {
        const double d = row[i] - median;  // about the median: better conditioned than raw values
        sum += d;
        sum_sq += d * d;
      }
      const double n = static_cast<double>(x_uv.cols());
      scale = std::sqrt(std::max(0.0, sum_sq / n - (sum / n) * (sum / n)));
    }
    s.center_uv(r) = static_cast<float>(median);
    s.scale_uv(r) = static_cast<float>(std::max(scale, kMinScaleUv));
  }
  return s;
}

LeadMatrix normalize(const LeadMatrix& x_uv, const LeadScaling& scaling) {
  check_scaling("normalize", x_uv, scaling);
  LeadMatrix y(x_uv.rows(), x_uv.cols());
  for (Eigen::Index r = 0; r < x_uv.rows(); ++r) {
    y.row(r) = (x_uv.row(r).array() - scaling.center_uv(r)) / scaling.scale_uv(r);
  }
  return y;
}

LeadMatrix denormalize(const LeadMatrix& x_norm, const LeadScaling& scaling) {
  check_scaling("denormalize", x_norm, scaling);
  LeadMatrix y(x_norm.rows(), x_norm.cols());
  for (Eigen::Index r = 0; r < x_norm.rows(); ++r) {
    y.row(r) = x_norm.row(r).array() * scaling.scale_uv(r) + scaling.center_uv(r);
  }
  return y;
}

LeadMatrix denormalize_scale_only(const LeadMatrix& x_norm, const LeadScaling& scaling) {
  check_scaling("denormalize_scale_only", x_norm, scaling);
  LeadMatrix y(x_norm.rows(), x_norm.cols());
  for (Eigen::Index r = 0; r < x_norm.rows(); ++r) y.row(r) = x_norm.row(r) * scaling.scale_uv(r);
  return y;
}

}  // namespace fecg
