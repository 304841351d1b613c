// Heart rate from beats. Input beats are taken as a sorted, de-duplicated copy: detectors return
// them ascending, but fused or hand-edited lists may not be, and a duplicated beat would mean an
// RR of zero (an infinite rate).
#include "detect/heart_rate.h"

#include "core/error.h"
#include "core/median.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace fecg {
namespace {

void check_params(const HeartRateParams& p, double fs_hz) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz))
    throw Error("heart_rate: sampling rate must be positive and finite, got " + std::to_string(fs_hz) + " Hz");
  if (!(p.min_bpm > 0) || !(p.max_bpm > p.min_bpm) || !std::isfinite(p.max_bpm))
    throw Error("heart_rate: expected 0 < min_bpm < max_bpm, got " + std::to_string(p.min_bpm) + " and " +
                std::to_string(p.max_bpm));
  if (!(p.outlier_fraction > 0) || !std::isfinite(p.outlier_fraction))
    throw Error("heart_rate: outlier_fraction must be positive, got " + std::to_string(p.outlier_fraction));
  if (!(p.smoothing_s >= 0) || !std::isfinite(p.smoothing_s))
    throw Error("heart_rate: smoothing_s must be >= 0, got " + std::to_string(p.smoothing_s));
}

// Median (then mean, on the medians) of the values whose time lies within ±half_s of each value's
// time: a median to drop what outlier replacement left, a mean to smooth the beat-to-beat jitter.
std::vector<double> smooth(const std::vector<double>& t, const std::vector<double>& v, double half_s) {
  const std::size_t n = v.size();
  std::vector<double> median(n), mean(n), window;
  std::size_t lo = 0, hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (t[lo] < t[i] - half_s) ++lo;
    while (hi < n && t[hi] <= t[i] + half_s) ++hi;
    window.assign(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(hi));
    median[i] = median_in_place(window);
  }
  lo = hi = 0;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (hi < n && t[hi] <= t[i] + half_s) sum += median[hi++];
    while (t[lo] < t[i] - half_s) sum -= median[lo++];
    mean[i] = sum / static_cast<double>(hi - lo);
  }
  return mean;
}

// mean/min/max of bpm_smooth over the values that are neither outliers nor unreliable.
void summarise(HeartRateSeries& s) {
  s.mean_bpm.reset();
  s.min_bpm.reset();
  s.max_bpm.reset();
  double sum = 0, lo = 0, hi = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.bpm_smooth.size(); ++i) {
    if (s.is_outlier[i] || (!s.reliable.empty() && !s.reliable[i])) continue;
    const double v = s.bpm_smooth[i];
    lo = count ? std::min(lo, v) : v;
    hi = count ? std::max(hi, v) : v;
    sum += v;
    ++count;
  }
  if (count == 0) return;
  s.mean_bpm = sum / static_cast<double>(count);
  s.min_bpm = lo;
  s.max_bpm = hi;
}

}  // namespace

HeartRateSeries heart_rate(const BeatIndices& beats, double fs_hz, const HeartRateParams& params) {
  check_params(params, fs_hz);
  for (const std::int64_t b : beats)
    if (b < 0) throw Error("heart_rate: beat at sample " + std::to_string(b) + ", expected indices >= 0");
  BeatIndices sorted = beats;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  HeartRateSeries out;
  if (sorted.size() < 2) return out;
  const std::size_t m = sorted.size() - 1;
  out.time_s.resize(m);
  out.bpm.resize(m);
  out.is_outlier.assign(m, false);
  std::vector<double> rr_s(m);
  for (std::size_t i = 0; i < m; ++i) {
    rr_s[i] = static_cast<double>(sorted[i + 1] - sorted[i]) / fs_hz;
    out.time_s[i] = static_cast<double>(sorted[i + 1]) / fs_hz;
    out.bpm[i] = 60.0 / rr_s[i];
  }

  // Outliers: out of range, or off the local median RR (of the in-range intervals among the 11
  // centred on it: a ±5-beat neighbourhood follows decelerations yet outvotes a run of 2-3 bad
  // intervals, which is what one missed or extra beat produces).
  constexpr std::ptrdiff_t kHalf = 5;
  // Two intervals are "the same rate" within 10 %: beat-to-beat variation of a fetal rate is a
  // few percent (STV of 5-10 ms on RR of 400 ms), a missed or extra beat changes RR by 50-100 %.
  constexpr double kSameRate = 0.10;
  const auto mi = static_cast<std::ptrdiff_t>(m);
  std::vector<double> local;
  for (std::ptrdiff_t i = 0; i < mi; ++i) {
    const bool in_range = out.bpm[i] >= params.min_bpm && out.bpm[i] <= params.max_bpm;
    if (!in_range) {
      out.is_outlier[i] = true;
      continue;
    }
    local.clear();
    for (std::ptrdiff_t j = std::max<std::ptrdiff_t>(0, i - kHalf); j < std::min(mi, i + kHalf + 1); ++j)
      if (out.bpm[j] >= params.min_bpm && out.bpm[j] <= params.max_bpm) local.push_back(rr_s[j]);
    const double median = median_in_place(local);
    if (std::abs(rr_s[i] - median) <= params.outlier_fraction * median) continue;
    // Off the local median: a real change of rate when its neighbours share it.
    int support = 0;
    for (std::ptrdiff_t j = std::max<std::ptrdiff_t>(0, i - 2); j < std::min(mi, i + 3); ++j)
      if (j != i && std::abs(rr_s[j] - rr_s[i]) <= kSameRate * rr_s[i]) ++support;
    out.is_outlier[i] = support < 2;
  }

  // Outliers replaced by linear interpolation in time between the nearest valid values (held
  // constant beyond the first/last valid one). With no valid value at all, bpm_smooth holds the
  // raw rates, every value flagged, and there is no mean, minimum or maximum.
  std::vector<double> filled(m);
  std::ptrdiff_t prev = -1;
  bool any_valid = false;
  for (std::ptrdiff_t i = 0; i < mi; ++i) {
    if (!out.is_outlier[i]) {
      filled[i] = out.bpm[i];
      prev = i;
      any_valid = true;
      continue;
    }
    std::ptrdiff_t next = i + 1;
    while (next < mi && out.is_outlier[next]) ++next;
    if (prev < 0 && next >= mi) filled[i] = out.bpm[i];
    else if (prev < 0) filled[i] = out.bpm[next];
    else if (next >= mi) filled[i] = out.bpm[prev];
    else {
      const double f = (out.time_s[i] - out.time_s[prev]) / (out.time_s[next] - out.time_s[prev]);
      filled[i] = out.bpm[prev] + f * (out.bpm[next] - out.bpm[prev]);
    }
  }
  out.bpm_smooth = any_valid ? smooth(out.time_s, filled, 0.5 * params.smoothing_s) : filled;
  summarise(out);
  return out;
}

void apply_reliability(HeartRateSeries& series, const std::vector<std::pair<double, double>>& reliable_spans) {
  // One pass: the values are in time order and the spans (quality windows) do not overlap, so a
  // cursor over the spans sorted by start serves every value (a 10-hour recording has ~90 000
  // values and 3 600 windows).
  std::vector<std::pair<double, double>> spans = reliable_spans;
  std::sort(spans.begin(), spans.end());
  series.reliable.assign(series.time_s.size(), false);
  std::size_t k = 0;
  for (std::size_t i = 0; i < series.time_s.size(); ++i) {
    const double t = series.time_s[i];
    while (k < spans.size() && spans[k].second <= t) ++k;
    series.reliable[i] = k < spans.size() && spans[k].first <= t;
  }
  summarise(series);
}

}  // namespace fecg
