// Scoring in the conventions of the fetal ECG literature: beat matching within ±50 ms as in the
// PhysioNet/CinC Challenge 2013 (Silva et al., CinC 40:149–152, 2013) and ANSI/AAMI EC57 (one
// reference beat per detection), heart rate errors in bpm and bpm², waveform fidelity against a
// reference lead (Behar et al., Physiol. Meas. 35(8):1537, 2014).
#include "eval/metrics.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

namespace fecg {
namespace {

void check_rate(const char* function, double fs_hz) {
  if (!std::isfinite(fs_hz) || fs_hz <= 0) {
    throw Error(std::string(function) + ": fs_hz must be finite and > 0, got " + std::to_string(fs_hz));
  }
}

BeatIndices sorted(const BeatIndices& beats) {
  BeatIndices s = beats;
  std::sort(s.begin(), s.end());
  return s;
}

// num / den where an empty denominator means "nothing to get wrong": 1.
double ratio_or_one(double num, double den) { return den > 0 ? num / den : 1.0; }

struct RatePoint {
  double time_s;
  double bpm;
};

// 60 / RR at each RR midpoint; intervals whose length is outside [min_rr_s, max_rr_s] skipped.
std::vector<RatePoint> rate_points(const BeatIndices& beats, double fs_hz, double min_rr_s, double max_rr_s) {
  std::vector<RatePoint> points;
  for (std::size_t i = 1; i < beats.size(); ++i) {
    const double rr_s = static_cast<double>(beats[i] - beats[i - 1]) / fs_hz;
    if (rr_s < min_rr_s || rr_s > max_rr_s) continue;
    points.push_back({0.5 * static_cast<double>(beats[i] + beats[i - 1]) / fs_hz, 60.0 / rr_s});
  }
  return points;
}

}  // namespace

BeatScore score_beats(const BeatIndices& reference, const BeatIndices& test, double fs_hz, double tolerance_s) {
  check_rate("score_beats", fs_hz);
  if (!std::isfinite(tolerance_s) || tolerance_s < 0) {
    throw Error("score_beats: tolerance_s must be finite and >= 0, got " + std::to_string(tolerance_s));
  }
  const BeatIndices ref = sorted(reference), det = sorted(test);
  // Tolerance in samples, inclusive; the 1e-9 keeps 0.05 s × 1000 Hz at 50 despite rounding.
  const auto tol = static_cast<std::int64_t>(std::floor(tolerance_s * fs_hz + 1e-9));

  // Every (reference, test) pair within the tolerance, then matched greedily closest first, each
  // beat at most once. With sorted inputs the candidate pairs are found by a sliding window.
  struct Pair {
    std::int64_t distance;
    std::size_t r, t;
  };
  std::vector<Pair> pairs;
  std::size_t first = 0;
  for (std::size_t r = 0; r < ref.size(); ++r) {
    while (first < det.size() && det[first] < ref[r] - tol) ++first;
    for (std::size_t t = first; t < det.size() && det[t] <= ref[r] + tol; ++t) {
      pairs.push_back({std::abs(det[t] - ref[r]), r, t});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return std::tie(a.distance, a.r, a.t) < std::tie(b.distance, b.r, b.t);
  });
  std::vector<bool> ref_used(ref.size(), false), det_used(det.size(), false);
  int tp = 0;
  for (const Pair& p : pairs) {
    if (ref_used[p.r] || det_used[p.t]) continue;
    ref_used[p.r] = det_used[p.t] = true;
    ++tp;
  }

  BeatScore score;
  score.true_positives = tp;
  score.false_negatives = static_cast<int>(ref.size()) - tp;
  score.false_positives = static_cast<int>(det.size()) - tp;
  score.sensitivity = ratio_or_one(tp, tp + score.false_negatives);
  score.ppv = ratio_or_one(tp, tp + score.false_positives);
  score.f1 = ratio_or_one(2.0 * tp, 2.0 * tp + score.false_positives + score.false_negatives);
  return score;
}

HeartRateScore score_heart_rate(const BeatIndices& reference, const BeatIndices& test, double fs_hz) {
  check_rate("score_heart_rate", fs_hz);
  // Fetal RR between 0.25 s (240 bpm) and 2 s (30 bpm); outside it the reference itself is
  // wrong (a missed or doubled annotation) and would dominate the error.
  const std::vector<RatePoint> ref = rate_points(sorted(reference), fs_hz, 0.25, 2.0);
  // The test series keeps every interval (its wrong intervals are exactly what is scored), but
  // not zero-length ones from duplicated beats, which have no rate.
  const std::vector<RatePoint> det = rate_points(sorted(test), fs_hz, 1e-12, 1e300);

  HeartRateScore score;
  if (det.empty()) return score;
  double sum_abs = 0, sum_sq = 0;
  std::size_t j = 0;  // det[j].time_s <= t < det[j + 1].time_s
  for (const RatePoint& p : ref) {
    if (p.time_s < det.front().time_s || p.time_s > det.back().time_s) continue;
    while (j + 1 < det.size() && det[j + 1].time_s <= p.time_s) ++j;
    double bpm = det[j].bpm;
    if (j + 1 < det.size() && det[j + 1].time_s > det[j].time_s) {
      const double w = (p.time_s - det[j].time_s) / (det[j + 1].time_s - det[j].time_s);
      bpm = (1.0 - w) * det[j].bpm + w * det[j + 1].bpm;
    }
    const double e = bpm - p.bpm;
    sum_abs += std::abs(e);
    sum_sq += e * e;
    ++score.n;
  }
  if (score.n > 0) {
    score.mae_bpm = sum_abs / score.n;
    score.mse_bpm2 = sum_sq / score.n;
  }
  return score;
}

WaveformScore score_waveform(std::span<const float> reference, std::span<const float> test, std::size_t window_n) {
  if (reference.size() != test.size()) {
    throw Error("score_waveform: signals must be equally long, got " + std::to_string(reference.size()) + " and " +
                std::to_string(test.size()) + " samples");
  }
  const std::size_t n = reference.size();
  if (n == 0) throw Error("score_waveform: expected at least one sample, got 0");
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(reference[i]) || !std::isfinite(test[i])) {
      throw Error("score_waveform: non-finite sample at " + std::to_string(i));
    }
  }

  double mean_r = 0, mean_t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_r += reference[i];
    mean_t += test[i];
  }
  mean_r /= static_cast<double>(n);
  mean_t /= static_cast<double>(n);
  double sse = 0, sst = 0, stt = 0, srt = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = reference[i], t = test[i];
    sse += (t - r) * (t - r);
    sst += (r - mean_r) * (r - mean_r);
    stt += (t - mean_t) * (t - mean_t);
    srt += (r - mean_r) * (t - mean_t);
  }

  WaveformScore score;
  score.rmse = std::sqrt(sse / static_cast<double>(n));
  // A constant reference has no variance to explain: R² is 1 for a perfect match, else 0.
  score.r2 = sst > 0 ? 1.0 - sse / sst : (sse == 0 ? 1.0 : 0.0);
  // Correlation with a constant signal is undefined; 0 (no linear relation shown).
  score.pearson = (sst > 0 && stt > 0) ? srt / std::sqrt(sst * stt) : 0.0;

  // Per window, both signals divided by max |reference| there, so that the error is relative to
  // the local R-peak amplitude; windows where the reference is all zero are left out.
  const std::size_t w = window_n == 0 ? n : window_n;
  double sse_norm = 0;
  std::size_t n_norm = 0;
  for (std::size_t start = 0; start < n; start += w) {
    const std::size_t end = std::min(n, start + w);
    double peak = 0;
    for (std::size_t i = start; i < end; ++i) peak = std::max(peak, static_cast<double>(std::abs(reference[i])));
    if (peak == 0) continue;
    for (std::size_t i = start; i < end; ++i) {
      const double d = (static_cast<double>(test[i]) - reference[i]) / peak;
      sse_norm += d * d;
    }
    n_norm += end - start;
  }
  score.rmse_normalised = n_norm > 0 ? std::sqrt(sse_norm / static_cast<double>(n_norm)) : 0.0;
  return score;
}

}  // namespace fecg
