#include "detect/detect_common.h"

#include "core/error.h"
#include "core/median.h"
#include "dsp/filter.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace fecg::detect_detail {

void check_leads(const char* function, const LeadMatrix& x, double fs_hz) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz))
    throw Error(std::string(function) + ": sampling rate must be positive and finite, got " +
                std::to_string(fs_hz) + " Hz");
  for (Eigen::Index lead = 0; lead < x.rows(); ++lead) {
    std::int64_t bad = 0, first = -1;
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
      if (!std::isfinite(x(lead, i))) {
        if (bad++ == 0) first = i;
      }
    }
    if (bad > 0)
      throw Error(std::string(function) + ": lead " + std::to_string(lead + 1) + " has " +
                  std::to_string(bad) + " non-finite samples (first at sample " +
                  std::to_string(first) + "), expected finite values");
  }
}

std::vector<float> bandpass_lead(const char* function, const LeadMatrix& x, Eigen::Index lead,
                                 double low_hz, double high_hz, double fs_hz) {
  // 0.45 × fs keeps the upper cut-off clear of Nyquist, where the bilinear design degenerates.
  const double high = std::min(high_hz, 0.45 * fs_hz);
  if (!(low_hz > 0) || !(high > low_hz))
    throw Error(std::string(function) + ": band " + std::to_string(low_hz) + "-" +
                std::to_string(high_hz) + " Hz is empty at " + std::to_string(fs_hz) +
                " Hz sampling (upper edge limited to " + std::to_string(high) + " Hz)");
  std::vector<float> y(x.row(lead).data(), x.row(lead).data() + x.cols());
  if (!y.empty()) sosfiltfilt(butterworth_bandpass(2, low_hz, high, fs_hz), std::span<float>(y));
  return y;
}

std::vector<float> moving_average(const std::vector<float>& x, int width) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> y(x.size());
  if (n == 0) return y;
  const std::int64_t half = std::max(0, width / 2);
  // Prefix sums in double: over 3.6 M samples the rounding error stays ~1e-10 of a window sum.
  std::vector<double> prefix(x.size() + 1, 0.0);
  for (std::int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + x[i];
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t lo = std::max<std::int64_t>(0, i - half);
    const std::int64_t hi = std::min<std::int64_t>(n, i + half + 1);
    y[i] = static_cast<float>((prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo));
  }
  return y;
}

float median_window_max(const std::vector<float>& x, std::int64_t window_n) {
  if (x.empty()) return 0.0f;
  const auto n = static_cast<std::int64_t>(x.size());
  window_n = std::max<std::int64_t>(1, window_n);
  if (n < window_n) return *std::max_element(x.begin(), x.end());
  std::vector<float> maxima;
  maxima.reserve(static_cast<std::size_t>(n / window_n));
  for (std::int64_t start = 0; start + window_n <= n; start += window_n)
    maxima.push_back(*std::max_element(x.begin() + start, x.begin() + start + window_n));
  return quantile_in_place(maxima, 0.5);
}

float quantile_in_place(std::vector<float>& values, double p) {
  if (values.empty()) return 0.0f;
  const auto k = static_cast<std::size_t>(
      std::clamp(std::llround(p * static_cast<double>(values.size() - 1)), 0LL,
                 static_cast<long long>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

float subsampled_median(const float* x, std::int64_t n) {
  constexpr std::int64_t kMaxSamples = 16384;
  if (n <= 0) return 0.0f;
  const std::int64_t stride = std::max<std::int64_t>(1, (n + kMaxSamples - 1) / kMaxSamples);
  std::vector<float> sample;
  sample.reserve(static_cast<std::size_t>(n / stride + 1));
  for (std::int64_t i = 0; i < n; i += stride) sample.push_back(x[i]);
  return quantile_in_place(sample, 0.5);
}

float subsampled_median(const std::vector<float>& x) {
  return subsampled_median(x.data(), static_cast<std::int64_t>(x.size()));
}

std::vector<std::int64_t> local_maxima(const std::vector<float>& x) {
  std::vector<std::int64_t> peaks;
  const auto n = static_cast<std::int64_t>(x.size());
  for (std::int64_t i = 1; i + 1 < n; ++i)
    if (x[i] > x[i - 1] && x[i] >= x[i + 1]) peaks.push_back(i);
  return peaks;
}

double rr_regularity(const BeatIndices& beats, double fs_hz, double min_rr_s, double max_rr_s,
                     double tolerance) {
  if (beats.size() < 3 || !(fs_hz > 0)) return 0.0;
  std::vector<double> rr(beats.size() - 1);
  for (std::size_t i = 0; i + 1 < beats.size(); ++i)
    rr[i] = static_cast<double>(beats[i + 1] - beats[i]) / fs_hz;
  // ±4 neighbours: long enough to ride over one missed or extra beat, short enough to follow
  // accelerations and decelerations (a few seconds).
  constexpr std::ptrdiff_t kHalf = 4;
  const auto m = static_cast<std::ptrdiff_t>(rr.size());
  std::vector<double> local;
  int good = 0;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, i - kHalf);
    const std::ptrdiff_t hi = std::min(m, i + kHalf + 1);
    local.assign(rr.begin() + lo, rr.begin() + hi);
    const double median = upper_median_in_place(local);
    if (rr[i] >= min_rr_s && rr[i] <= max_rr_s && std::abs(rr[i] - median) <= tolerance * median) ++good;
  }
  return static_cast<double>(good) / static_cast<double>(m);
}

}  // namespace fecg::detect_detail
