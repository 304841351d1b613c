// Maternal and fetal QRS detection.
//
// Both detectors share one shape (Pan & Tompkins, IEEE TBME 32(3):230-236, 1985):
//   band-pass → a positive detection function per lead → leads fused,
//   each normalised to its typical beat height and weighted by how regular its own beats are →
//   adaptive thresholds (signal / noise peak levels) with a refractory period and search-back →
//   R peak refined to the extremum of the band-passed signal of the best lead.
// The maternal detector uses the derivative–square–integrate detection function of the paper;
// the fetal one the one-signed slope of the band-passed signal over a fetal-QRS-wide window
// (fetal_slope_envelope), scores channels
// by periodicity in the fetal range and SNR, can fuse an R-peak probability, and removes extra
// beats that split a normal RR interval.
#include "detect/qrs.h"

#include "core/error.h"
#include "core/median.h"
#include "detect/detect_common.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

namespace fecg {
namespace {

using detect_detail::bandpass_lead;
using detect_detail::local_maxima;
using detect_detail::median_window_max;
using detect_detail::moving_average;
using detect_detail::quantile_in_place;
using detect_detail::rr_regularity;

// Normalised detection functions are clipped at this multiple of their typical beat height, so
// that an artefact or a saturated stretch in one lead cannot dominate the fusion or drag the
// adaptive signal level far above the beats.
constexpr float kDetectionCap = 4.0f;

// A lead whose typical beat height is below this fraction of the largest lead's is treated as
// flat (disconnected electrode): 1e-6 in energy is 1e-3 (-60 dB) in amplitude.
constexpr float kFlatEnergyRatio = 1e-6f;

// ---------------------------------------------------------------------------------------------
// Adaptive-threshold peak picking (Pan & Tompkins 1985, section "Adjusting the thresholds"):
// SPK/NPK are running estimates of signal- and noise-peak heights updated with weight 1/8,
// THRESHOLD1 = NPK + f (SPK - NPK), THRESHOLD2 = THRESHOLD1 / 2 for search-back. A search-back
// is run when no beat has been found for `searchback_factor` × the running RR (the paper uses
// 1.66 × the mean of the last 8 RR; we use their median, which one missed beat does not drag).

struct PickerSettings {
  std::int64_t refractory_n = 0;    // no two beats closer than this
  std::int64_t merge_n = 0;         // peaks this close to a beat belong to its complex
  std::int64_t dominance_n = 0;     // candidates are maxima of ±dominance_n samples
  std::int64_t t_wave_n = 0;        // 0: no T-wave test; else window after a beat for the test
  double t_wave_ratio = 0.25;       // peak below ratio × previous beat's peak there: a T wave
  double searchback_factor = 1.66;
  double threshold_fraction = 0.25;
  std::int64_t min_rr_n = 0;        // RR outside [min, max] is not used for the running RR
  std::int64_t max_rr_n = 0;
};

struct Peak {
  std::int64_t index = 0;
  float value = 0.0f;
};

// Local maxima of `d` that are also the maximum of d over ±half_n: the small ripples of the
// detection function next to a beat (or noise between beats close to one) are never candidates.
// The window maximum is found by the van Herk (1992) / Gil & Werman (1993) algorithm: maxima
// running forward and backward inside blocks of 2 half_n + 1 samples, so that any full window is
// covered by the backward maximum at its start and the forward maximum at its end. O(n).
std::vector<std::int64_t> dominant_maxima(const std::vector<float>& d, std::int64_t half_n) {
  const std::vector<std::int64_t> peaks = local_maxima(d);
  const auto n = static_cast<std::int64_t>(d.size());
  if (half_n <= 0 || n == 0) return peaks;
  const std::int64_t w = 2 * half_n + 1;
  std::vector<float> forward(d.size()), backward(d.size());
  for (std::int64_t block = 0; block < n; block += w) {
    const std::int64_t end = std::min(n, block + w);
    forward[block] = d[block];
    for (std::int64_t i = block + 1; i < end; ++i) forward[i] = std::max(forward[i - 1], d[i]);
    backward[end - 1] = d[end - 1];
    for (std::int64_t i = end - 2; i >= block; --i) backward[i] = std::max(backward[i + 1], d[i]);
  }
  std::vector<std::int64_t> out;
  for (const std::int64_t i : peaks) {
    float window_max;
    if (i - half_n >= 0 && i + half_n < n) {
      window_max = std::max(backward[i - half_n], forward[i + half_n]);
    } else {  // a window clipped by an end of the signal: scanned directly (at most 2 half_n peaks)
      const std::int64_t lo = std::max<std::int64_t>(0, i - half_n), hi = std::min(n - 1, i + half_n);
      window_max = *std::max_element(d.begin() + lo, d.begin() + hi + 1);
    }
    if (window_max <= d[i]) out.push_back(i);
  }
  return out;
}

class AdaptivePicker {
 public:
  AdaptivePicker(const std::vector<float>& d, const PickerSettings& s, double initial_signal,
                 double initial_noise)
      : d_(d), s_(s), spk_(initial_signal), npk_(initial_noise), spk_floor_(0.05 * initial_signal) {}

  std::vector<Peak> run() {
    for (const std::int64_t i : dominant_maxima(d_, s_.dominance_n)) {
      const Peak c{i, d_[static_cast<std::size_t>(i)]};
      search_back(i, /*at_end=*/false);
      if (!beats_.empty() && i - beats_.back().index < s_.refractory_n) {
        // Inside the refractory period. A higher peak within one QRS width means the previous
        // one was a shoulder of this complex, so the beat moves here (once per complex: never
        // further than merge_n from where the beat was first found, so it cannot walk on to the
        // next beat); anything else is ignored.
        if (c.value > beats_.back().value && i - first_found_ <= s_.merge_n) beats_.back() = c;
        continue;
      }
      if (c.value > threshold1()) {
        const bool t_wave = s_.t_wave_n > 0 && !beats_.empty() &&
                            i - beats_.back().index < s_.t_wave_n &&
                            c.value < s_.t_wave_ratio * beats_.back().value;
        if (!t_wave) {
          accept(c, 0.125);
          continue;
        }
      }
      npk_ = 0.125 * c.value + 0.875 * npk_;
      noise_.push_back(c);
    }
    search_back(static_cast<std::int64_t>(d_.size()), /*at_end=*/true);
    return beats_;
  }

 private:
  double threshold1() const { return npk_ + s_.threshold_fraction * (spk_ - npk_); }

  double rr_median() const {
    const std::size_t k = std::min<std::size_t>(rr_count_, rr_.size());
    if (k == 0) return 0.0;
    std::array<double, 8> sorted = rr_;
    for (std::size_t i = 1; i < k; ++i)  // insertion sort of at most 8 values
      for (std::size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; --j) std::swap(sorted[j - 1], sorted[j]);
    return k % 2 ? sorted[k / 2] : 0.5 * (sorted[k / 2 - 1] + sorted[k / 2]);
  }

  void accept(const Peak& p, double weight) {
    if (!beats_.empty()) {
      const std::int64_t rr = p.index - beats_.back().index;
      if (rr >= s_.min_rr_n && rr <= s_.max_rr_n) rr_[rr_count_++ % rr_.size()] = static_cast<double>(rr);
    }
    spk_ = weight * p.value + (1.0 - weight) * spk_;
    beats_.push_back(p);
    first_found_ = p.index;
    // Noise peaks before the new beat can no longer be searched back for.
    noise_.erase(noise_.begin(),
                 std::find_if(noise_.begin(), noise_.end(), [&](const Peak& q) { return q.index > p.index; }));
    search_from_ = p.index;
  }

  // Looks, between the last beat and `limit`, for the highest noise peak above THRESHOLD2 once
  // the gap exceeds searchback_factor × RR. Each noise peak is examined by at most one failed
  // search (the list is cleared after one), which keeps the whole picker linear in time.
  void search_back(std::int64_t limit, bool at_end) {
    bool retried = false;
    for (;;) {
      const double rr = rr_median();
      if (beats_.empty() || rr <= 0 ||
          static_cast<double>(limit - search_from_) <= s_.searchback_factor * rr)
        return;
      const double threshold2 = 0.5 * threshold1();
      const std::int64_t last = beats_.back().index;
      auto best = noise_.end();
      double highest = 0;  // highest eligible noise peak, whatever the threshold
      for (auto it = noise_.begin(); it != noise_.end(); ++it) {
        if (it->index - last < s_.refractory_n) continue;
        if (!at_end && limit - it->index < s_.refractory_n) continue;
        highest = std::max<double>(highest, it->value);
        if (it->value > threshold2 && (best == noise_.end() || it->value > best->value)) best = it;
      }
      if (best == noise_.end()) {
        // Nothing there: the signal level is too high for what the lead now shows (electrode
        // contact lost part of the amplitude). Lower it to at most 4 × the highest peak of the
        // stretch, so that THRESHOLD2 (~SPK/8) falls below that peak and the next search finds
        // beats of that height, but at least halve it; search the stretch again, then go on from here.
        spk_ = std::max(spk_floor_, std::min(0.5 * spk_, 4.0 * highest));
        if (!retried) {  // the same stretch once more with the lowered thresholds
          retried = true;
          continue;
        }
        noise_.clear();
        search_from_ = limit;
        return;
      }
      accept(*best, 0.25);  // the paper's weight for beats found by search-back
    }
  }

  const std::vector<float>& d_;
  PickerSettings s_;
  double spk_, npk_, spk_floor_;
  std::vector<Peak> beats_;
  std::vector<Peak> noise_;  // rejected peaks since the last beat
  std::array<double, 8> rr_{};
  std::size_t rr_count_ = 0;
  std::int64_t search_from_ = 0;
  std::int64_t first_found_ = 0;  // where the last beat was first found (before shoulder moves)
};

// Runs the picker on a detection function normalised to a typical beat height of ~1: the signal
// level starts at that height, the noise level at the median of the function (its floor).
std::vector<Peak> pick(const std::vector<float>& d, const PickerSettings& s, std::int64_t level_window_n) {
  if (d.size() < 3) return {};
  const float level = median_window_max(d, level_window_n);
  return AdaptivePicker(d, s, level, detect_detail::subsampled_median(d)).run();
}

// ---------------------------------------------------------------------------------------------
// RR-guided beat tracking, after the forward/backward search of Varanini et al. (CinC 2013): from
// the most regular stretch of the picker's beats, each next beat is the highest point of the
// detection function near where the rhythm predicts it, the height weighted down with the distance
// from the prediction. Where a noisy channel shows the true beats lower than noise peaks a few
// tens of ms away, a threshold takes the noise; the tracker takes the beat the rhythm expects.
// The rhythm adapts slowly (the RR moves by at most 5 % of the way to each new interval, itself
// capped at 5 % of the RR), so the tracker cannot follow sudden rate changes: the pipeline takes
// its beats only where they mostly agree with the picker's (fusion.h).

struct TrackerSettings {
  std::int64_t refractory_n = 0;  // no two beats closer than this
  std::int64_t min_rr_n = 0;      // the rhythm's RR is kept within [min_rr_n, max_rr_n]
  std::int64_t max_rr_n = 0;
  double fs_hz = 0;
  std::int64_t segment_n = 0;     // tracked afresh on every segment of this length (0: no segments)
  std::int64_t margin_n = 0;      //   with this much on either side
};

// The first of `peaks` (ascending) at or after sample `index`.
std::vector<Peak>::const_iterator first_at(const std::vector<Peak>& peaks, std::int64_t index) {
  return std::lower_bound(peaks.begin(), peaks.end(), index, [](const Peak& p, std::int64_t i) { return p.index < i; });
}

// Beats tracked on d[lo_n, hi_n) (normalised detection function, typical beat ~1) from the
// picker's beats `seed` there.
std::vector<Peak> track_span(const std::vector<float>& d, std::int64_t lo_n, std::int64_t hi_n,
                             const std::vector<Peak>& seed, const TrackerSettings& s) {
  // Constants of the published tracker: the search spans -0.3..+0.8 RR about the prediction; the
  // weight is 1 within 0.02 RR of it, falls by 0.8 per 100 ms beyond and stays at least 0.2; a
  // beat must reach 0.2 of the typical beat height.
  constexpr double kBefore = 0.3, kAfter = 0.8, kFlat = 0.02, kFallPerS = 8.0, kFloor = 0.2, kMinHeight = 0.2;
  constexpr double kRegular = 0.1;  // the seed stretch: RR within 10 % of the picker's median RR
  // Ectopic beats (below): "near the prediction" is within 40 ms beyond the flat part of the
  // weight; a beat of at least half the typical height counts as strong; what stands near the
  // prediction must stay below half of it (a premature beat's own T wave, a slow wave, leaves
  // ~0.3 on the slope), and a pause must follow.
  constexpr double kNear_s = 0.04, kEctopicHeight = 0.5, kEctopicRatio = 0.5, kPause = 0.95;
  if (seed.size() < 4) return {};
  std::vector<double> rr(seed.size() - 1);
  for (std::size_t i = 0; i + 1 < seed.size(); ++i) rr[i] = static_cast<double>(seed[i + 1].index - seed[i].index);
  std::vector<double> sorted = rr;
  const double median = upper_median_in_place(sorted);
  // Longest run of regular intervals: the tracker starts at its first beat with its mean RR.
  std::size_t run0 = 0, run1 = 0;
  for (std::size_t i = 0; i < rr.size();) {
    if (std::abs(rr[i] - median) >= kRegular * median) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < rr.size() && std::abs(rr[j] - median) < kRegular * median) ++j;
    if (j - i > run1 - run0) run0 = i, run1 = j;
    i = j;
  }
  double rr0 = median;
  if (run1 > run0) {
    const auto from = rr.begin() + static_cast<std::ptrdiff_t>(run0), to = rr.begin() + static_cast<std::ptrdiff_t>(run1);
    rr0 = std::accumulate(from, to, 0.0) / static_cast<double>(run1 - run0);
  }
  rr0 = std::clamp(rr0, static_cast<double>(s.min_rr_n), static_cast<double>(s.max_rr_n));
  const std::int64_t start = seed[run0].index;

  std::vector<Peak> beats{{start, d[static_cast<std::size_t>(start)]}};
  // The picker's own rhythm about a sample: the median of its intervals within ±kLocal_s, when at
  // least 4 of them lie there and 3 in 4 are within kRegular of that median (else 0). In a clean
  // stretch it follows accelerations and decelerations beat by beat, which the tracker's slow
  // adaptation cannot; in a noisy one it is irregular and the tracker keeps its own rhythm.
  constexpr double kLocal_s = 2.0;
  std::vector<double> local, sorted_local;  // reused by every call
  const auto local_rr = [&](double at) {
    const auto half = static_cast<std::int64_t>(kLocal_s * s.fs_hz);
    const auto at_n = static_cast<std::int64_t>(at);
    local.clear();
    for (auto it = first_at(seed, at_n - half); it != seed.end() && std::next(it) != seed.end(); ++it) {
      if (std::next(it)->index > at_n + half) break;
      local.push_back(static_cast<double>(std::next(it)->index - it->index));
    }
    if (local.size() < 4) return 0.0;
    sorted_local = local;
    const double med = upper_median_in_place(sorted_local);
    const auto near = std::count_if(local.begin(), local.end(), [&](double v) { return std::abs(v - med) < kRegular * med; });
    return 4 * near >= 3 * static_cast<std::ptrdiff_t>(local.size()) ? med : 0.0;
  };
  // Sample indices of the span [lo, hi] (fractional samples) within [lo_n, hi_n).
  const auto clip = [&](double lo, double hi) {
    return std::pair{static_cast<std::int64_t>(std::max(static_cast<double>(lo_n), std::ceil(lo))),
                     static_cast<std::int64_t>(std::min(static_cast<double>(hi_n - 1), std::floor(hi)))};
  };
  for (const int direction : {1, -1}) {
    double last = static_cast<double>(start), rr_now = rr0;
    double resume = -1;  // after an ectopic beat: where the picker found the beat beyond it
    for (;;) {
      if (const double picked_rr = local_rr(last); picked_rr > 0)
        rr_now = std::clamp(picked_rr, static_cast<double>(s.min_rr_n), static_cast<double>(s.max_rr_n));
      const double predicted = resume >= 0 ? resume : last + direction * rr_now;
      resume = -1;
      if (predicted < static_cast<double>(lo_n) || predicted > static_cast<double>(hi_n - 1)) break;
      // Search span, at least a refractory period away from the last beat.
      double lo = predicted - (direction > 0 ? kBefore : kAfter) * rr_now;
      double hi = predicted + (direction > 0 ? kAfter : kBefore) * rr_now;
      if (direction > 0) lo = std::max(lo, last + static_cast<double>(s.refractory_n));
      else hi = std::min(hi, last - static_cast<double>(s.refractory_n));
      const auto [i0, i1] = clip(lo, hi);
      if (i1 < i0) break;
      // Seconds from the prediction beyond the flat part of the weight.
      const auto away_s = [&](std::int64_t i) {
        return std::max(0.0, std::abs(static_cast<double>(i) - predicted) - kFlat * rr_now) / s.fs_hz;
      };
      std::int64_t best = -1;
      double best_value = -1, expected = 0;  // expected: the highest point near the prediction
      for (std::int64_t i = i0; i <= i1; ++i) {
        const double weighted = std::max(kFloor, 1.0 - kFallPerS * away_s(i)) * d[static_cast<std::size_t>(i)];
        if (weighted > best_value) best_value = weighted, best = i;
        if (away_s(i) <= kNear_s) expected = std::max(expected, static_cast<double>(d[static_cast<std::size_t>(i)]));
      }
      // An ectopic beat: a picked beat in the span, away from the prediction, strong, with little
      // where the rhythm expects a beat (a premature beat leaves only its own T wave there, and a
      // compensatory pause follows). Taken as it is, without moving the rhythm. A noise peak
      // beside a true beat fails the test: the true beat stands near the prediction.
      // Searched from a refractory period after the last beat: a premature beat can come earlier
      // than the span's start (0.3 RR before the prediction).
      const double after = direction > 0 ? last + static_cast<double>(s.refractory_n) : predicted - kAfter * rr_now;
      const double before = direction > 0 ? predicted + kAfter * rr_now : last - static_cast<double>(s.refractory_n);
      const auto [e0, e1] = clip(after, before);
      const Peak* ectopic = nullptr;
      double beyond = -1;  // the picked beat on the far side of the ectopic one (its pause)
      for (auto it = first_at(seed, e0); it != seed.end() && it->index <= e1; ++it) {
        const double height = d[static_cast<std::size_t>(it->index)];
        // Premature beats are followed by a pause (the next picked beat at least kPause RR later);
        // a noise burst between two beats is not.
        const auto next = std::next(it);
        const bool pause = next == seed.end() || static_cast<double>(next->index - it->index) >= kPause * rr_now;
        if (away_s(it->index) > kNear_s && height >= kEctopicHeight && expected < kEctopicRatio * height && pause &&
            (ectopic == nullptr || height > d[static_cast<std::size_t>(ectopic->index)])) {
          ectopic = &*it;
          const bool has_beyond = direction > 0 ? next != seed.end() : it != seed.begin();
          beyond = has_beyond ? static_cast<double>((direction > 0 ? next : std::prev(it))->index) : -1;
        }
      }
      if (ectopic != nullptr) {
        beats.push_back({ectopic->index, d[static_cast<std::size_t>(ectopic->index)]});
        last = static_cast<double>(ectopic->index);
        // The next beat is searched about the picker's beat beyond the pause, if it lies a
        // refractory period away, rather than one RR after the ectopic beat.
        if (beyond >= 0 && std::abs(beyond - last) >= static_cast<double>(s.refractory_n)) resume = beyond;
        continue;
      }
      if (d[static_cast<std::size_t>(best)] > kMinHeight) {
        const double z = std::abs(static_cast<double>(best) - last) - rr_now;
        rr_now += 0.05 * std::copysign(std::min(std::abs(z), 0.05 * rr_now), z);
        rr_now = std::clamp(rr_now, static_cast<double>(s.min_rr_n), static_cast<double>(s.max_rr_n));
        beats.push_back({best, d[static_cast<std::size_t>(best)]});
        last = static_cast<double>(best);
      } else {
        last = predicted;  // nothing there: go on from where the beat should have been
      }
    }
  }
  std::sort(beats.begin(), beats.end(), [](const Peak& a, const Peak& b) { return a.index < b.index; });
  return beats;
}

// The tracker restarted on every segment of s.segment_n samples (with s.margin_n either side to
// settle), each from the picker's beats there: a tracker run over minutes drifts out of phase
// after a rate change and stays out for several beats, where Varanini et al.'s entry only ever
// saw 1-minute records.
std::vector<Peak> track_beats(const std::vector<float>& d, const std::vector<Peak>& seed, const TrackerSettings& s) {
  const auto n = static_cast<std::int64_t>(d.size());
  const std::int64_t segment_n = s.segment_n > 0 ? s.segment_n : std::max<std::int64_t>(1, n);  // 0: one segment
  std::vector<Peak> out;
  for (std::int64_t start = 0; start < n; start += segment_n) {
    const std::int64_t end = std::min(n, start + segment_n);
    const std::int64_t lo = std::max<std::int64_t>(0, start - s.margin_n), hi = std::min(n, end + s.margin_n);
    for (const Peak& p : track_span(d, lo, hi, std::vector<Peak>(first_at(seed, lo), first_at(seed, hi)), s)) {
      if (p.index < start || p.index >= end) continue;
      if (!out.empty() && p.index - out.back().index < s.refractory_n) continue;  // across a segment edge
      out.push_back(p);
    }
  }
  return out;
}

BeatIndices indices_of(const std::vector<Peak>& peaks) {
  BeatIndices out;
  out.reserve(peaks.size());
  for (const Peak& p : peaks) out.push_back(p.index);
  return out;
}

// Divides `e` by its typical beat height and clips it at kDetectionCap. Returns the height.
float normalise_detection(std::vector<float>& e, std::int64_t level_window_n) {
  const float level = median_window_max(e, level_window_n);
  if (level > 0) {
    for (float& v : e) v = std::min(v / level, kDetectionCap);
  }
  return level;
}

// Moves each beat to the extremum of `sign` × `band` within ±radius_n and restores the
// refractory period (of two beats now too close, the one with the larger detection value stays).
BeatIndices refine_to_extremum(const std::vector<Peak>& peaks, const std::vector<float>& band, float sign,
                               std::int64_t radius_n, std::int64_t refractory_n) {
  const auto n = static_cast<std::int64_t>(band.size());
  std::vector<Peak> refined;
  refined.reserve(peaks.size());
  for (const Peak& p : peaks) {
    const std::int64_t lo = std::max<std::int64_t>(0, p.index - radius_n);
    const std::int64_t hi = std::min<std::int64_t>(n - 1, p.index + radius_n);
    std::int64_t best = p.index;
    for (std::int64_t i = lo; i <= hi; ++i)
      if (sign * band[static_cast<std::size_t>(i)] > sign * band[static_cast<std::size_t>(best)]) best = i;
    if (!refined.empty() && best - refined.back().index < refractory_n) {
      if (p.value > refined.back().value) refined.back() = {best, p.value};
      continue;
    }
    refined.push_back({best, p.value});
  }
  return indices_of(refined);
}

// Polarity of a lead at the beats: the sign of the median of its largest-magnitude deflection
// near each beat, so that every beat is refined to the same wave (R, or S of an inverted lead).
float beat_polarity(const std::vector<Peak>& peaks, const std::vector<float>& band, std::int64_t radius_n) {
  if (peaks.empty()) return 1.0f;
  const auto n = static_cast<std::int64_t>(band.size());
  std::vector<float> extrema;
  extrema.reserve(peaks.size());
  for (const Peak& p : peaks) {
    const std::int64_t lo = std::max<std::int64_t>(0, p.index - radius_n);
    const std::int64_t hi = std::min<std::int64_t>(n - 1, p.index + radius_n);
    float e = 0.0f;
    for (std::int64_t i = lo; i <= hi; ++i)
      if (std::abs(band[static_cast<std::size_t>(i)]) > std::abs(e)) e = band[static_cast<std::size_t>(i)];
    extrema.push_back(e);
  }
  return quantile_in_place(extrema, 0.5) < 0 ? -1.0f : 1.0f;
}

// Median over the beats of the largest value of sign × band within ±radius_n: the typical R height.
float r_height(const std::vector<Peak>& peaks, const std::vector<float>& band, float sign, std::int64_t radius_n) {
  const auto n = static_cast<std::int64_t>(band.size());
  std::vector<float> heights;
  heights.reserve(peaks.size());
  for (const Peak& p : peaks) {
    float h = 0.0f;
    for (std::int64_t i = std::max<std::int64_t>(0, p.index - radius_n); i <= std::min(n - 1, p.index + radius_n); ++i)
      h = std::max(h, sign * band[static_cast<std::size_t>(i)]);
    heights.push_back(h);
  }
  return quantile_in_place(heights, 0.5);
}

std::int64_t samples(double seconds, double fs_hz) {
  return std::max<std::int64_t>(1, std::llround(seconds * fs_hz));
}

int odd_width(double seconds, double fs_hz) {
  return static_cast<int>(samples(seconds, fs_hz)) | 1;
}

void check_band(const char* function, double low_hz, double high_hz) {
  if (!(low_hz > 0) || !(high_hz > low_hz) || !std::isfinite(high_hz))
    throw Error(std::string(function) + ": band must satisfy 0 < low < high, got " + std::to_string(low_hz) +
                "-" + std::to_string(high_hz) + " Hz");
}

// ---------------------------------------------------------------------------------------------
// Maternal detector.

// Lead weight of a lead whose own beats are 70 % regular: ((0.7 - 0.4) / 0.6)².
constexpr float kRegularWeight = 0.25f;

// Two leads' beats coincide when within this distance: the integrated envelope's peak moves by a
// few tens of ms between leads with the QRS morphology; a maternal and a fetal train coincide by
// chance for only ~2 × 80 ms / maternal RR (~25 %) of their beats.
constexpr double kAgreement_s = 0.08;
// Leads whose beats agree this well (fraction of the larger train) follow the same rhythm.
constexpr double kSameRhythm = 0.7;

// Fraction of beats of the larger of `a` and `b` matched one-to-one within ±tol_n by the other.
double beat_agreement(const BeatIndices& a, const BeatIndices& b, std::int64_t tol_n) {
  if (a.empty() || b.empty()) return 0.0;
  std::size_t i = 0, j = 0, matched = 0;
  while (i < a.size() && j < b.size()) {
    if (std::abs(a[i] - b[j]) <= tol_n) {
      ++matched, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(matched) / static_cast<double>(std::max(a.size(), b.size()));
}

double rr_median_s(const BeatIndices& beats, double fs_hz) {
  std::vector<float> rr(beats.size() - 1);
  for (std::size_t i = 0; i + 1 < beats.size(); ++i) rr[i] = static_cast<float>(beats[i + 1] - beats[i]);
  return quantile_in_place(rr, 0.5) / fs_hz;
}

// Pan–Tompkins detection function of one band-passed lead: five-point derivative, squaring,
// moving-window integration (centred, so that its peak lies on the QRS, not integration_s later).
std::vector<float> pan_tompkins_1985_envelope(const std::vector<float>& band, int integration_n) {
  const auto n = static_cast<std::int64_t>(band.size());
  std::vector<float> sq(band.size(), 0.0f);
  for (std::int64_t i = 2; i + 2 < n; ++i) {
    // y(nT) = (1/8T) [-x(nT-2T) - 2x(nT-T) + 2x(nT+T) + x(nT+2T)], centred (no delay).
    const float d = (-band[i - 2] - 2.0f * band[i - 1] + 2.0f * band[i + 1] + band[i + 2]) * 0.125f;
    sq[static_cast<std::size_t>(i)] = d * d;
  }
  return moving_average(sq, integration_n);
}

}  // namespace

BeatIndices detect_maternal_qrs(const LeadMatrix& x_uv, double fs_hz, const MaternalQrsParams& params) {
  constexpr const char* kFn = "detect_maternal_qrs";
  detect_detail::check_leads(kFn, x_uv, fs_hz);
  check_band(kFn, params.band_low_hz, params.band_high_hz);
  if (!(params.refractory_s > 0) || !(params.integration_s > 0))
    throw Error("detect_maternal_qrs: refractory_s and integration_s must be positive");
  if (x_uv.rows() == 0) throw Error("detect_maternal_qrs: expected at least one lead, got 0");
  const auto n = static_cast<std::int64_t>(x_uv.cols());
  if (n < samples(params.refractory_s, fs_hz)) return {};  // not even one RR fits

  // Maternal rate 40–180 bpm (RR 0.33–1.5 s). Windows of 2 s hold at least one beat even at
  // 40 bpm, so their median maximum is the typical beat height.
  const std::int64_t level_window_n = samples(2.0, fs_hz);
  const double min_rr_s = 60.0 / 180.0, max_rr_s = 60.0 / 40.0;
  PickerSettings picker;
  picker.refractory_n = samples(params.refractory_s, fs_hz);
  picker.merge_n = samples(params.integration_s, fs_hz);
  picker.dominance_n = picker.refractory_n / 2;
  picker.t_wave_n = samples(0.36, fs_hz);  // Pan & Tompkins: T-wave test within 360 ms of a QRS
  picker.t_wave_ratio = 0.25;              // half the slope = a quarter of the squared slope
  picker.searchback_factor = 1.66;
  picker.min_rr_n = samples(min_rr_s, fs_hz);
  picker.max_rr_n = samples(max_rr_s, fs_hz);

  const auto n_leads = x_uv.rows();
  std::vector<std::vector<float>> band(n_leads), envelope(n_leads);
  std::vector<float> level(n_leads, 0.0f), weight(n_leads, 0.0f);
  for (Eigen::Index l = 0; l < n_leads; ++l) {
    band[l] = bandpass_lead(kFn, x_uv, l, params.band_low_hz, params.band_high_hz, fs_hz);
    envelope[l] = pan_tompkins_1985_envelope(band[l], odd_width(params.integration_s, fs_hz));
    level[l] = normalise_detection(envelope[l], level_window_n);
  }
  const float max_level = *std::max_element(level.begin(), level.end());
  if (!(max_level > 0)) return {};  // every lead flat

  // Weight of a lead: regularity of the beats it finds on its own, mapped so that the ~30-40 %
  // regularity that random peaks reach by chance counts for nothing.
  std::vector<BeatIndices> own(n_leads);
  std::vector<double> median_rr_s(n_leads, 0.0);
  for (Eigen::Index l = 0; l < n_leads; ++l) {
    if (level[l] <= kFlatEnergyRatio * max_level) continue;
    own[l] = indices_of(pick(envelope[l], picker, level_window_n));
    const double r = rr_regularity(own[l], fs_hz, min_rr_s, max_rr_s, 0.15);
    const double w = std::clamp((r - 0.4) / 0.6, 0.0, 1.0);
    weight[l] = static_cast<float>(w * w);
    if (own[l].size() >= 3) median_rr_s[l] = rr_median_s(own[l], fs_hz);
  }
  // Not the fetus: in some leads the fetal QRS is as large as the maternal one or larger (a fetus
  // close to the electrode, a maternal QRS axis across the lead), and those leads show a regular
  // rhythm of their own. The regular leads are grouped by rhythm (a lead joins a group when most
  // of its beats coincide with those of the group's first lead); of two distinct regular rhythms
  // the maternal one is the slower (fetal 110-160 bpm against maternal 60-100 bpm at term; the
  // two rates may be close, e.g. 111 against 99 bpm, so no margin is asked for). Every lead is
  // then weighted by how well its own beats agree with the maternal rhythm, so that a lead
  // carrying fetal beats too (irregular, yet with some weight) adds fewer false peaks.
  const std::int64_t agree_n = samples(kAgreement_s, fs_hz);
  Eigen::Index reference = -1;
  for (Eigen::Index l = 0; l < n_leads; ++l) {
    if (weight[l] < kRegularWeight) continue;
    if (reference < 0) {
      reference = l;
      continue;
    }
    const bool same_rhythm = beat_agreement(own[l], own[reference], agree_n) >= kSameRhythm;
    // Same rhythm: the lead with the higher weight (then the larger beats) represents it;
    // another rhythm: the slower one is maternal.
    const bool better = same_rhythm ? (weight[l] > weight[reference] ||
                                       (weight[l] == weight[reference] && level[l] > level[reference]))
                                    : median_rr_s[l] > median_rr_s[reference];
    if (better) reference = l;
  }
  if (reference >= 0) {
    for (Eigen::Index l = 0; l < n_leads; ++l) {
      if (l == reference || weight[l] <= 0) continue;
      // Agreement 0.5 or less (chance level for a fetal train against a maternal one is ~0.3)
      // counts for nothing, 0.9 or more fully.
      const double a = std::clamp((beat_agreement(own[l], own[reference], agree_n) - 0.5) / 0.4, 0.0, 1.0);
      weight[l] *= static_cast<float>(a * a);
    }
  }
  if (std::accumulate(weight.begin(), weight.end(), 0.0f) <= 0) {
    // No lead is regular on its own (very noisy, or arrhythmic): fuse all non-flat leads equally.
    for (Eigen::Index l = 0; l < n_leads; ++l) weight[l] = level[l] > kFlatEnergyRatio * max_level ? 1.0f : 0.0f;
  }

  std::vector<float> fused(static_cast<std::size_t>(n), 0.0f);
  const float total = std::accumulate(weight.begin(), weight.end(), 0.0f);
  for (Eigen::Index l = 0; l < n_leads; ++l) {
    if (weight[l] <= 0) continue;
    const float w = weight[l] / total;
    for (std::int64_t i = 0; i < n; ++i) fused[i] += w * envelope[l][i];
  }
  normalise_detection(fused, level_window_n);
  const std::vector<Peak> peaks = pick(fused, picker, level_window_n);

  // R peaks on the band-passed lead of largest amplitude among the well-weighted ones.
  Eigen::Index ref = 0;
  const float max_weight = *std::max_element(weight.begin(), weight.end());
  for (Eigen::Index l = 0; l < n_leads; ++l)
    if (weight[l] >= 0.5f * max_weight && (weight[ref] < 0.5f * max_weight || level[l] > level[ref])) ref = l;
  // ±integration_s/2 + 25 ms: the integrated envelope peaks near the QRS centre; the R peak lies
  // within half a QRS width of it.
  const std::int64_t radius_n = samples(0.5 * params.integration_s + 0.025, fs_hz);
  const float sign = beat_polarity(peaks, band[ref], radius_n);
  return refine_to_extremum(peaks, band[ref], sign, radius_n, picker.refractory_n);
}

// ---------------------------------------------------------------------------------------------
// Fetal detector.

namespace {

struct FetalChannel {
  std::vector<float> band;      // band-passed signal
  std::vector<float> envelope;  // detection function, normalised to a beat height of ~1
  std::vector<Peak> peaks;      // beats picked on this channel alone
  double score = 0;             // periodicity × SNR, 0..1
};

// Removes beats that split one normal RR interval in two (a maternal residue or noise peak between
// two fetal beats): both intervals around the beat are short (< 0.7 × the local median RR) while
// their sum is within 25 % of it, and the beat is weaker than both neighbours.
std::vector<Peak> remove_extra_beats(const std::vector<Peak>& peaks) {
  if (peaks.size() < 5) return peaks;
  std::vector<double> rr(peaks.size() - 1);
  for (std::size_t i = 0; i + 1 < peaks.size(); ++i) rr[i] = static_cast<double>(peaks[i + 1].index - peaks[i].index);
  std::vector<Peak> kept;
  kept.reserve(peaks.size());
  kept.push_back(peaks.front());
  std::vector<double> local;
  const auto m = static_cast<std::ptrdiff_t>(rr.size());
  for (std::size_t k = 1; k + 1 < peaks.size(); ++k) {
    const auto i = static_cast<std::ptrdiff_t>(k);
    local.assign(rr.begin() + std::max<std::ptrdiff_t>(0, i - 8), rr.begin() + std::min(m, i + 8));
    const double median = upper_median_in_place(local);
    const double before = static_cast<double>(peaks[k].index - kept.back().index);
    const double after = rr[k];
    const bool splits = before < 0.7 * median && after < 0.7 * median &&
                        std::abs(before + after - median) <= 0.25 * median;
    const bool weaker = peaks[k].value < std::min(kept.back().value, peaks[k + 1].value);
    if (splits && weaker) continue;
    kept.push_back(peaks[k]);
  }
  kept.push_back(peaks.back());
  return kept;
}

// Detection function of one band-passed fetal channel: its derivative, half-wave rectified on the
// side of the channel's steepest slopes, averaged over a fetal QRS width. The steepest slope
// of a fetal QRS is its sharpest feature, and its sign is the same at every beat of a channel, so
// noise and maternal residue of the other slope sign add nothing (Varanini et al., CinC 2013,
// detect at the maximum of the signed derivative). On Challenge 2013 it gave the default fetal F1
// 0.954 and FHR-trace MAE 1.07 bpm, against 0.951 / 1.20 for the QRS-band energy used before
// (before the tracker; docs/RELIABILITY.md).
std::vector<float> fetal_slope_envelope(const std::vector<float>& band, int integration_n) {
  const std::size_t n = band.size();
  std::vector<float> slope(n, 0.0f);
  for (std::size_t i = 1; i + 1 < n; ++i) slope[i] = 0.5f * (band[i + 1] - band[i - 1]);
  // The side of the steepest slopes: the 99.5th percentile of the rises against that of the falls
  // (the top 0.3 s of a minute, against ~1.4 s of fetal QRS slopes at 140 bpm), over at most
  // kPolaritySamples samples at a uniform stride (the percentiles of 5 min at 250 Hz move by a few
  // %, far less than the two differ where the choice matters). Both from one partial sort: the
  // falls' 99.5th percentile is minus the slopes' 0.5th, which lies below the rises' there.
  constexpr std::size_t kPolaritySamples = 16384;
  float sign = 1.0f;
  if (n > 0) {
    const std::size_t stride = (n + kPolaritySamples - 1) / kPolaritySamples;
    std::vector<float> sorted;
    sorted.reserve(n / stride + 1);
    for (std::size_t i = 0; i < n; i += stride) sorted.push_back(slope[i]);
    const std::size_t m = sorted.size();
    const auto k = static_cast<std::ptrdiff_t>(std::llround(0.995 * static_cast<double>(m - 1)));
    const auto k_low = static_cast<std::ptrdiff_t>(m - 1) - k;
    std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
    const float rise = sorted[static_cast<std::size_t>(k)];
    if (k_low < k) std::nth_element(sorted.begin(), sorted.begin() + k_low, sorted.begin() + k);
    const float fall = -sorted[static_cast<std::size_t>(k_low)];
    sign = rise >= fall ? 1.0f : -1.0f;
  }
  for (float& v : slope) v = std::max(0.0f, sign * v);
  return moving_average(slope, integration_n);
}

}  // namespace

BeatIndices detect_fetal_qrs(const LeadMatrix& fecg, double fs_hz, const FetalQrsParams& params,
                             const Signal& r_peak_probability) {
  return detect_fetal_beats(fecg, fs_hz, params, r_peak_probability).beats;
}

FetalBeats detect_fetal_beats(const LeadMatrix& fecg, double fs_hz, const FetalQrsParams& params,
                              const Signal& r_peak_probability) {
  constexpr const char* kFn = "detect_fetal_qrs";
  detect_detail::check_leads(kFn, fecg, fs_hz);
  check_band(kFn, params.band_low_hz, params.band_high_hz);
  if (!(params.min_bpm > 0) || !(params.max_bpm > params.min_bpm) || !std::isfinite(params.max_bpm))
    throw Error("detect_fetal_qrs: expected 0 < min_bpm < max_bpm, got " + std::to_string(params.min_bpm) +
                " and " + std::to_string(params.max_bpm));
  const bool has_probability = r_peak_probability.size() > 0;
  if (fecg.rows() == 0 && !has_probability)
    throw Error("detect_fetal_qrs: expected at least one channel or an R-peak probability, got neither");
  const auto n = static_cast<std::int64_t>(fecg.rows() > 0 ? fecg.cols() : r_peak_probability.size());
  if (has_probability) {
    if (r_peak_probability.size() != n)
      throw Error("detect_fetal_qrs: r_peak_probability has " + std::to_string(r_peak_probability.size()) +
                  " samples, expected " + std::to_string(n) + " (one per signal sample)");
    for (Eigen::Index i = 0; i < r_peak_probability.size(); ++i) {
      const float p = r_peak_probability[i];
      if (!(p >= 0.0f && p <= 1.0f))
        throw Error("detect_fetal_qrs: r_peak_probability[" + std::to_string(i) + "] = " + std::to_string(p) +
                    ", expected a value in 0..1");
    }
  }
  const double min_rr_s = 60.0 / params.max_bpm, max_rr_s = 60.0 / params.min_bpm;
  if (n < samples(min_rr_s, fs_hz)) return {};

  // Windows of the longest fetal RR (1.2 s at 50 bpm) always hold a beat.
  const std::int64_t level_window_n = samples(max_rr_s, fs_hz);
  PickerSettings picker;
  // 60 / max_bpm, less 12 ms (3 samples at 250 Hz) for the jitter of the detection-function peak
  // about the R peak, so that beats at max_bpm are not merged.
  picker.refractory_n = samples(std::max(0.5 * min_rr_s, min_rr_s - 0.012), fs_hz);
  // Candidates dominate half a refractory period either side; of two within a refractory period
  // the higher one is kept (a noise peak accepted just before a beat gives way to it).
  picker.dominance_n = picker.refractory_n / 2;
  picker.merge_n = picker.refractory_n;
  picker.searchback_factor = 1.5;
  picker.threshold_fraction = 0.3;
  picker.min_rr_n = samples(min_rr_s, fs_hz);
  picker.max_rr_n = samples(max_rr_s, fs_hz);
  // 50 ms: about one fetal QRS width (40-60 ms at term), the integration window of the slope.
  const int integration_n = odd_width(0.05, fs_hz);

  std::vector<FetalChannel> channels(static_cast<std::size_t>(fecg.rows()));
  double best_score = 0;
  for (Eigen::Index c = 0; c < fecg.rows(); ++c) {
    FetalChannel& ch = channels[static_cast<std::size_t>(c)];
    ch.band = bandpass_lead(kFn, fecg, c, params.band_low_hz, params.band_high_hz, fs_hz);
    ch.envelope = fetal_slope_envelope(ch.band, integration_n);
    if (!(normalise_detection(ch.envelope, level_window_n) > 0)) continue;  // flat channel
    ch.peaks = pick(ch.envelope, picker, level_window_n);
    const double regularity = rr_regularity(indices_of(ch.peaks), fs_hz, min_rr_s, max_rr_s, 0.2);
    // SNR: typical beat height (1 after normalisation) over the median of the detection function,
    // squared to read as an energy ratio: a clean fetal ECG reaches 100 or more (1), band-limited
    // noise about 3-5.
    const double floor = std::max(1e-9f, detect_detail::subsampled_median(ch.envelope));
    const double snr = std::clamp(std::log10(1.0 / floor), 0.0, 1.0);
    ch.score = regularity * snr;
    best_score = std::max(best_score, ch.score);
  }

  // Fusion: channels within 70 % of the best score, weighted by their score.
  std::vector<float> fused(static_cast<std::size_t>(n), 0.0f);
  double total = 0;
  int best = -1;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const FetalChannel& ch = channels[c];
    if (ch.envelope.empty() || best_score <= 0 || ch.score < 0.7 * best_score) continue;
    if (best < 0 || ch.score > channels[static_cast<std::size_t>(best)].score) best = static_cast<int>(c);
    total += ch.score;
  }
  if (best < 0) {
    // No channel is periodic in the fetal range: fall back to the equal sum of non-flat channels.
    for (std::size_t c = 0; c < channels.size(); ++c) {
      if (channels[c].envelope.empty()) continue;
      channels[c].score = 1.0;
      total += 1.0;
      if (best < 0) best = static_cast<int>(c);
    }
  }
  for (const FetalChannel& ch : channels) {
    if (ch.envelope.empty() || total <= 0 || (best_score > 0 && ch.score < 0.7 * best_score)) continue;
    const auto w = static_cast<float>(ch.score / total);
    for (std::int64_t i = 0; i < n; ++i) fused[i] += w * ch.envelope[i];
  }
  if (best >= 0) normalise_detection(fused, level_window_n);
  if (has_probability) {
    // The probability is already on a 0..1 beat scale; averaged with the normalised detection
    // function, a beat both agree on stands at ~1 and one only one of them sees at ~0.5.
    const float a = best >= 0 ? 0.5f : 1.0f;
    for (std::int64_t i = 0; i < n; ++i)
      fused[i] = (1.0f - a) * std::min(fused[i], 1.0f) + a * r_peak_probability[i];
  }

  // Tracked afresh every 20 s, with 2 s either side (a few beats to settle): of 10, 20 and 60 s,
  // 20 s was picked in every fold of the protocol (docs/RELIABILITY.md; 60 s lost on ADFECGDB's
  // 5-min records, where the tracker slipped out of phase after rate changes).
  TrackerSettings tracker;
  tracker.refractory_n = picker.refractory_n;
  tracker.min_rr_n = picker.min_rr_n;
  tracker.max_rr_n = picker.max_rr_n;
  tracker.fs_hz = fs_hz;
  tracker.segment_n = samples(20.0, fs_hz);
  tracker.margin_n = samples(2.0, fs_hz);
  std::vector<Peak> peaks = remove_extra_beats(pick(fused, picker, level_window_n));
  if (best < 0) {  // the probability only: nothing to refine on
    return {indices_of(peaks), indices_of(track_beats(fused, peaks, tracker))};
  }
  // The fusion is kept unless one channel alone gives a clearly more regular fetal rhythm (the
  // other channels then add noise or maternal residue rather than fetal beats).
  const double fused_regularity = rr_regularity(indices_of(peaks), fs_hz, min_rr_s, max_rr_s, 0.2);
  double best_regularity = fused_regularity;
  bool single = false;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (channels[c].envelope.empty()) continue;
    std::vector<Peak> own = remove_extra_beats(channels[c].peaks);
    const double r = rr_regularity(indices_of(own), fs_hz, min_rr_s, max_rr_s, 0.2);
    if (r > best_regularity + 0.05) {
      best_regularity = r;
      best = static_cast<int>(c);
      peaks = std::move(own);
      single = true;
    }
  }
  // ±30 ms: the slope window (50 ms) lies on the QRS; the R peak is within half a QRS of it.
  const std::int64_t radius_n = samples(0.03, fs_hz);
  if (single) {
    const FetalChannel& ch = channels[static_cast<std::size_t>(best)];
    const float sign = beat_polarity(peaks, ch.band, radius_n);
    return {refine_to_extremum(peaks, ch.band, sign, radius_n, picker.refractory_n),
            refine_to_extremum(track_beats(ch.envelope, peaks, tracker), ch.band, sign, radius_n, picker.refractory_n)};
  }
  // The fused channels' band-passed signals, each turned to a positive R and scaled to a typical R
  // of 1, weighted as in the fusion: the R peak of their sum moves little when the weights do (as
  // between the chunks of a streamed recording), where the R peak of the single best channel jumps
  // to another lead's whenever two leads score alike.
  std::vector<float> band(static_cast<std::size_t>(n), 0.0f);
  for (const FetalChannel& ch : channels) {
    if (ch.envelope.empty() || total <= 0 || (best_score > 0 && ch.score < 0.7 * best_score)) continue;
    const float sign = beat_polarity(peaks, ch.band, radius_n);
    const float height = r_height(peaks, ch.band, sign, radius_n);
    if (!(height > 0)) continue;
    const auto w = static_cast<float>(ch.score / total) * sign / height;
    for (std::int64_t i = 0; i < n; ++i) band[static_cast<std::size_t>(i)] += w * ch.band[static_cast<std::size_t>(i)];
  }
  return {refine_to_extremum(peaks, band, 1.0f, radius_n, picker.refractory_n),
          refine_to_extremum(track_beats(fused, peaks, tracker), band, 1.0f, radius_n, picker.refractory_n)};
}

}  // namespace fecg
