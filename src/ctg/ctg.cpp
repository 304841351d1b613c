// CTG series and FIGO 2015 features from the beat-to-beat fetal rate (ctg/ctg.h).
#include "ctg/ctg.h"

#include "core/error.h"
#include "core/median.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

namespace fecg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string format(const char* pattern, double a, double b = 0) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, a, b);
  return text;
}

// The series' `reliable` mask (detect/heart_rate.h, set by the pipeline's apply_reliability);
// empty means "unknown: treat all as reliable".
const std::vector<bool>* reliable_mask(const HeartRateSeries& s) {
  return s.reliable.size() == s.bpm.size() && !s.reliable.empty() ? &s.reliable : nullptr;
}

bool usable_value(const HeartRateSeries& s, std::size_t i, const std::vector<bool>* mask) {
  if (!std::isfinite(s.bpm[i]) || !(s.bpm[i] > 0) || !std::isfinite(s.time_s[i])) return false;
  if (i < s.is_outlier.size() && s.is_outlier[i]) return false;
  return !mask || (*mask)[i];
}

// Sample and hold of the beat-to-beat values on the rate_hz grid.
std::vector<double> resample_hold(const HeartRateSeries& s, std::size_t n, const CtgParams& p, bool use_mask) {
  std::vector<double> out(n, kNaN);
  const std::vector<bool>* mask = use_mask ? reliable_mask(s) : nullptr;
  const std::size_t m = std::min(s.time_s.size(), s.bpm.size());
  std::size_t i = 0;  // first beat after the sample's time
  for (std::size_t k = 0; k < n; ++k) {
    const double t = static_cast<double>(k) / p.rate_hz;
    while (i < m && s.time_s[i] <= t) ++i;
    if (i == 0) continue;
    const std::size_t b = i - 1;
    if (!usable_value(s, b, mask)) continue;
    const double hold = std::max(p.hold_s, 1.5 * 60.0 / s.bpm[b]);
    if (t - s.time_s[b] <= hold) out[k] = s.bpm[b];
  }
  return out;
}

// Second-order Butterworth low-pass (bilinear transform), forward then backward in double
// precision: at 0.008 Hz on a 4 Hz series the poles sit 0.6 % from the unit circle, too close for
// the float cascade of dsp/filter.h. Each pass starts in the steady state of its first input, so
// the ends do not ramp up from zero.
void lowpass_zero_phase(std::vector<double>& x, double cutoff_hz, double rate_hz) {
  if (x.empty()) return;
  const double k = std::tan(std::numbers::pi * cutoff_hz / rate_hz);
  const double q = std::numbers::sqrt2 / 2.0;
  const double norm = 1.0 / (1.0 + k / q + k * k);
  const double b0 = k * k * norm, b1 = 2.0 * b0, b2 = b0;
  const double a1 = 2.0 * (k * k - 1.0) * norm, a2 = (1.0 - k / q + k * k) * norm;
  auto pass = [&](auto begin, auto end) {
    const double x0 = *begin;
    double z1 = (1.0 - b0) * x0, z2 = (b2 - a2) * x0;  // steady state for a constant x0
    for (auto it = begin; it != end; ++it) {
      const double in = *it, y = b0 * in + z1;
      z1 = b1 * in - a1 * y + z2;
      z2 = b2 * in - a2 * y;
      *it = y;
    }
  };
  pass(x.begin(), x.end());
  pass(x.rbegin(), x.rend());
}

// The starting level from the 1-bpm histogram (smoothed by a 5-bin triangle, so that one stray
// bin does not win) of the finite values in [lo, hi): of the peaks at least half as tall as the
// tallest, the fastest. A long deceleration holds its nadir as flat as the baseline holds its
// level, and one of 5 min is half of a 10-min window: the tallest peak alone would then make it
// the baseline (and everything else accelerations); FIGO's baseline excludes decelerations. NaN
// when fewer than min_count values.
double histogram_peak(const std::vector<double>& x, std::size_t lo, std::size_t hi, std::size_t min_count) {
  constexpr int kMin = 30, kMax = 260;  // bpm: wider than any fetal rate the detectors report
  constexpr int kBins = kMax - kMin;
  std::array<double, kBins> counts{}, smooth{};
  std::size_t n = 0;
  for (std::size_t k = lo; k < hi; ++k) {
    if (!std::isfinite(x[k])) continue;
    const int bin = static_cast<int>(std::floor(x[k])) - kMin;
    if (bin < 0 || bin >= kBins) continue;
    counts[static_cast<std::size_t>(bin)] += 1;
    ++n;
  }
  if (n < min_count || n == 0) return kNaN;
  const std::array<double, 5> kernel{1, 2, 3, 2, 1};
  double tallest = 0;
  for (int b = 0; b < kBins; ++b) {
    double s = 0;
    for (int j = -2; j <= 2; ++j)
      if (b + j >= 0 && b + j < kBins) s += kernel[static_cast<std::size_t>(j + 2)] * counts[static_cast<std::size_t>(b + j)];
    smooth[static_cast<std::size_t>(b)] = s;
    tallest = std::max(tallest, s);
  }
  for (int b = kBins - 1; b >= 0; --b) {
    const double s = smooth[static_cast<std::size_t>(b)];
    const double left = b > 0 ? smooth[static_cast<std::size_t>(b - 1)] : 0.0;
    const double right = b + 1 < kBins ? smooth[static_cast<std::size_t>(b + 1)] : 0.0;
    if (s >= 0.5 * tallest && s >= left && s > right) return kMin + b + 0.5;
  }
  return kNaN;  // unreachable: the tallest bin is a peak
}

// Fill NaN runs by linear interpolation between their finite neighbours when shorter than
// max_len samples (and at the ends by the nearest finite value when fill_ends).
void fill_gaps(std::vector<double>& x, std::size_t max_len, bool fill_ends) {
  const std::size_t n = x.size();
  std::size_t k = 0;
  while (k < n) {
    if (std::isfinite(x[k])) { ++k; continue; }
    std::size_t e = k;
    while (e < n && !std::isfinite(x[e])) ++e;
    const bool has_left = k > 0, has_right = e < n;
    if (e - k <= max_len || fill_ends) {
      if (has_left && has_right) {
        if (e - k <= max_len)
          for (std::size_t j = k; j < e; ++j)
            x[j] = x[k - 1] + (x[e] - x[k - 1]) * static_cast<double>(j - k + 1) / static_cast<double>(e - k + 1);
      } else if (fill_ends && (has_left || has_right)) {
        const double v = has_left ? x[k - 1] : x[e];
        for (std::size_t j = k; j < e; ++j) x[j] = v;
      }
    }
    k = e;
  }
}

// Centred moving mean over the finite samples within ±half samples; NaN where fewer than half
// of the window is finite.
std::vector<double> moving_mean(const std::vector<double>& x, std::size_t half) {
  const std::size_t n = x.size();
  std::vector<double> sum(n + 1, 0.0), cnt(n + 1, 0.0), out(n, kNaN);
  for (std::size_t k = 0; k < n; ++k) {
    const bool ok = std::isfinite(x[k]);
    sum[k + 1] = sum[k] + (ok ? x[k] : 0.0);
    cnt[k + 1] = cnt[k] + (ok ? 1.0 : 0.0);
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t lo = k >= half ? k - half : 0, hi = std::min(n, k + half + 1);
    const double c = cnt[hi] - cnt[lo];
    if (c >= 0.5 * static_cast<double>(hi - lo) && c > 0) out[k] = (sum[hi] - sum[lo]) / c;
  }
  return out;
}

double median(std::vector<double> v) {
  return v.empty() ? kNaN : median_in_place(v);
}

struct Extent {
  std::size_t begin, end;  // samples [begin, end)
};

// Runs where sign·dev > threshold, each widened while sign·dev > edge (and finite), merged when
// they overlap, kept when longer than min_len samples.
std::vector<Extent> find_events(const std::vector<double>& dev, double sign, double threshold, double edge,
                                std::size_t min_len) {
  const std::size_t n = dev.size();
  auto above = [&](std::size_t k, double level) { return std::isfinite(dev[k]) && sign * dev[k] > level; };
  std::vector<Extent> out;
  std::size_t k = 0;
  while (k < n) {
    if (!above(k, threshold)) { ++k; continue; }
    std::size_t b = k, e = k;
    while (e < n && above(e, threshold)) ++e;
    while (b > 0 && above(b - 1, edge)) --b;
    while (e < n && above(e, edge)) ++e;
    if (!out.empty() && b <= out.back().end)
      out.back().end = std::max(out.back().end, e);
    else
      out.push_back({b, e});
    k = e;
  }
  // A signal loss inside an event does not end it: the FHR has to be seen back near the baseline.
  // Widening stops at the first non-finite sample, so two extents with nothing but lost signal
  // between them are one event seen through a gap (a prolonged deceleration with a 20-s loss).
  std::vector<Extent> merged;
  for (const Extent& x : out) {
    bool only_loss = !merged.empty();
    for (std::size_t k = merged.empty() ? 0 : merged.back().end; only_loss && k < x.begin; ++k)
      only_loss = !std::isfinite(dev[k]);
    if (only_loss) merged.back().end = x.end;
    else merged.push_back(x);
  }
  std::erase_if(merged, [&](const Extent& x) { return x.end - x.begin <= min_len; });
  return merged;
}

std::vector<CtgEpisode> baseline_episodes(const std::vector<double>& base, double sign, double limit,
                                          std::size_t min_len, double rate_hz) {
  std::vector<CtgEpisode> out;
  std::size_t k = 0;
  const std::size_t n = base.size();
  while (k < n) {
    if (!(std::isfinite(base[k]) && sign * (base[k] - limit) > 0)) { ++k; continue; }
    std::size_t e = k;
    double sum = 0;
    while (e < n && std::isfinite(base[e]) && sign * (base[e] - limit) > 0) sum += base[e++];
    if (e - k > min_len)
      out.push_back({static_cast<double>(k) / rate_hz, static_cast<double>(e) / rate_hz, sum / static_cast<double>(e - k)});
    k = e;
  }
  return out;
}

// Dawes–Redman short-term variability (Dawes, Moulden & Redman, J Perinat Med 19:47-51, 1991):
// pulse intervals averaged over 1/16-min (3.75 s) epochs; the mean absolute difference between
// successive epochs within each minute, averaged over the minutes; epochs that touch a
// deceleration are left out (the algorithm excludes decelerations), as are epochs with fewer
// than 2 reliable beats and minutes with fewer than 8 usable differences.
std::optional<double> dawes_redman_stv_ms(const HeartRateSeries& fhr, double duration_s,
                                          const std::vector<CtgDeceleration>& decelerations) {
  constexpr double kEpochS = 60.0 / 16.0;
  const auto n_epochs = static_cast<std::size_t>(std::floor(duration_s / kEpochS));
  std::vector<double> sum(n_epochs, 0.0);
  std::vector<int> count(n_epochs, 0);
  const std::vector<bool>* mask = reliable_mask(fhr);
  for (std::size_t i = 0; i < std::min(fhr.time_s.size(), fhr.bpm.size()); ++i) {
    if (!usable_value(fhr, i, mask) || fhr.time_s[i] < 0) continue;
    const auto e = static_cast<std::size_t>(fhr.time_s[i] / kEpochS);
    if (e >= n_epochs) continue;
    sum[e] += 60000.0 / fhr.bpm[i];
    count[e] += 1;
  }
  auto in_deceleration = [&](std::size_t e) {
    const double a = static_cast<double>(e) * kEpochS, b = a + kEpochS;
    for (const CtgDeceleration& d : decelerations)
      if (a < d.end_s && b > d.start_s) return true;
    return false;
  };
  std::vector<double> minute_means;
  for (std::size_t m = 0; (m + 1) * 16 <= n_epochs; ++m) {
    double total = 0;
    int pairs = 0;
    for (std::size_t e = m * 16 + 1; e < (m + 1) * 16; ++e) {
      if (count[e] < 2 || count[e - 1] < 2 || in_deceleration(e) || in_deceleration(e - 1)) continue;
      total += std::abs(sum[e] / count[e] - sum[e - 1] / count[e - 1]);
      ++pairs;
    }
    if (pairs >= 8) minute_means.push_back(total / pairs);
  }
  if (minute_means.empty()) return std::nullopt;
  double s = 0;
  for (double v : minute_means) s += v;
  return s / static_cast<double>(minute_means.size());
}

void check(const CtgParams& p, double duration_s) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (!positive(duration_s)) throw Error("analyze_ctg: duration_s must be finite and positive, got " + format("%g", duration_s));
  if (!positive(p.rate_hz) || !positive(p.hold_s) || !positive(p.event_bpm) || !positive(p.event_min_s) ||
      !positive(p.event_smoothing_s) || !positive(p.prolonged_s) || !positive(p.episode_min_s) ||
      !(p.event_edge_bpm >= 0 && p.event_edge_bpm < p.event_bpm) || !(p.event_gap_fill_s >= 0) ||
      !(p.min_duration_s >= 0) || !(p.max_signal_loss_pct >= 0))
    throw Error("analyze_ctg: CtgParams must be finite and positive (event_edge_bpm below event_bpm)");
  // 10 h at 4 Hz is 144 000 samples; a day is the bound (the 4 Hz series stays a few MB).
  if (duration_s * p.rate_hz > 1e7)
    throw Error("analyze_ctg: " + format("%g s at %g Hz", duration_s, p.rate_hz) + " is more than 1e7 samples");
}

}  // namespace

CtgSeries ctg_series(const HeartRateSeries& fhr, const HeartRateSeries& mhr, double duration_s, const CtgParams& p) {
  check(p, duration_s);
  CtgSeries s;
  s.rate_hz = p.rate_hz;
  const auto n = static_cast<std::size_t>(std::ceil(duration_s * p.rate_hz));
  s.fhr_bpm = resample_hold(fhr, n, p, true);
  s.mhr_bpm = resample_hold(mhr, n, p, false);
  s.reliable.resize(n);
  for (std::size_t k = 0; k < n; ++k) s.reliable[k] = std::isfinite(s.fhr_bpm[k]);
  return s;
}

std::vector<double> baseline_mantel_1990(const std::vector<double>& fhr_bpm, double rate_hz) {
  const std::size_t n = fhr_bpm.size();
  std::vector<double> base(n, kNaN);
  if (n == 0 || !(rate_hz > 0)) return base;
  // Starting level, minute by minute: the histogram peak of the surrounding 15 min (at least a
  // minute of signal in it), linearly interpolated between the minutes.
  const auto step = static_cast<std::size_t>(std::llround(60.0 * rate_hz));
  const auto half = static_cast<std::size_t>(std::llround(7.5 * 60.0 * rate_hz));
  for (std::size_t c = 0; c < n + step; c += step) {
    const std::size_t centre = std::min(c, n - 1);
    const std::size_t lo = centre >= half ? centre - half : 0, hi = std::min(n, centre + half);
    base[centre] = histogram_peak(fhr_bpm, lo, hi, step);
    if (centre == n - 1) break;
  }
  // Only the minute marks hold values: interpolate across them (and across minutes without
  // signal), holding the nearest value at the ends.
  fill_gaps(base, n, true);
  if (!std::isfinite(base[0])) return base;  // no finite sample anywhere

  // Mantel 1990: repeated low-pass filtering (0.008 Hz, periods under ~2 min removed) with the
  // samples outside a narrowing band replaced by the current estimate. The bands are ours: from
  // ±15 bpm (the event threshold) down; starting at ±20 let 90-s decelerations of 20-25 bpm pull
  // the baseline down by ~6 bpm and hid 3 of 103 simulated events (tools/eval_ctg, seeds
  // 1-20, against none from ±15).
  constexpr double kCutoffHz = 0.008;
  std::vector<double> x(n);
  for (double band : {15.0, 10.0, 5.0}) {
    for (std::size_t k = 0; k < n; ++k) {
      const double v = fhr_bpm[k];
      x[k] = std::isfinite(v) && std::abs(v - base[k]) <= band ? v : base[k];
    }
    lowpass_zero_phase(x, kCutoffHz, rate_hz);
    base = x;
  }
  return base;
}

CtgAnalysis analyze_ctg(const HeartRateSeries& fhr, const HeartRateSeries& mhr, double duration_s, const CtgParams& p) {
  CtgAnalysis a;
  a.duration_s = duration_s;
  a.series = ctg_series(fhr, mhr, duration_s, p);
  const std::size_t n = a.series.size();
  const double rate = p.rate_hz;
  std::size_t n_reliable = 0;
  for (bool r : a.series.reliable) n_reliable += r ? 1 : 0;
  a.signal_loss_pct = n ? 100.0 * static_cast<double>(n - n_reliable) / static_cast<double>(n) : 100.0;

  // Said whatever the recording: a fetal ECG has no contraction channel.
  a.not_classified = {
      "deceleration type (early, late, variable): FIGO 2015 defines it by the timing relative to uterine "
      "contractions, and this recording has no contraction (tocography) channel",
      "FIGO 2015 category (normal, suspicious, pathological): it needs the deceleration types and the contraction "
      "frequency, which need a contraction channel",
  };

  // The baseline, which every other feature but signal loss refers to.
  if (duration_s < p.min_duration_s)
    a.baseline_why_missing = format("needs at least %.0f min of recording (FIGO 2015: baseline over 10 min); this one "
                                    "is %.1f min",
                                    p.min_duration_s / 60.0, duration_s / 60.0);
  else if (n_reliable == 0)
    a.baseline_why_missing = "no reliable fetal heart rate (signal loss 100 %)";
  else if (a.signal_loss_pct > p.max_signal_loss_pct)
    a.baseline_why_missing = format("signal loss %.1f %% is above %.0f %%: too little of the trace to set a baseline",
                                    a.signal_loss_pct, p.max_signal_loss_pct);
  if (!a.baseline_why_missing.empty()) {
    const std::string why = "no baseline: " + a.baseline_why_missing;
    a.variability_why_missing = a.stv_why_missing = a.events_why_missing = a.episodes_why_missing = why;
    return a;
  }
  std::vector<double>& base = a.series.baseline_bpm;
  base = baseline_mantel_1990(a.series.fhr_bpm, rate);
  {
    std::vector<double> at_reliable;
    at_reliable.reserve(n_reliable);
    for (std::size_t k = 0; k < n; ++k)
      if (a.series.reliable[k]) at_reliable.push_back(base[k]);
    a.baseline_bpm = std::round(10.0 * median(std::move(at_reliable))) / 10.0;
  }

  // Accelerations and decelerations on the 5-s mean, short losses bridged.
  std::vector<double> smooth = moving_mean(a.series.fhr_bpm, static_cast<std::size_t>(std::llround(0.5 * p.event_smoothing_s * rate)));
  fill_gaps(smooth, static_cast<std::size_t>(std::llround(p.event_gap_fill_s * rate)), false);
  std::vector<double> dev(n);
  for (std::size_t k = 0; k < n; ++k) dev[k] = smooth[k] - base[k];
  const auto min_len = static_cast<std::size_t>(std::llround(p.event_min_s * rate));
  std::vector<Extent> acc = find_events(dev, +1.0, p.event_bpm, p.event_edge_bpm, min_len);
  std::vector<Extent> dec = find_events(dev, -1.0, p.event_bpm, p.event_edge_bpm, min_len);
  // An event seen mostly through bridged signal loss is not a measurement.
  auto mostly_lost = [&](const Extent& e) {
    std::size_t ok = 0;
    for (std::size_t k = e.begin; k < e.end; ++k) ok += a.series.reliable[k] ? 1 : 0;
    return 2 * ok < e.end - e.begin;
  };
  std::erase_if(acc, mostly_lost);
  std::erase_if(dec, mostly_lost);
  a.accelerations.emplace();
  for (const Extent& e : acc) {
    CtgAcceleration x{static_cast<double>(e.begin) / rate, static_cast<double>(e.end) / rate, -1e9};
    for (std::size_t k = e.begin; k < e.end; ++k)
      if (std::isfinite(smooth[k])) x.peak_bpm = std::max(x.peak_bpm, smooth[k]);
    a.accelerations->push_back(x);
  }
  a.decelerations.emplace();
  for (const Extent& e : dec) {
    CtgDeceleration x;
    x.start_s = static_cast<double>(e.begin) / rate;
    x.end_s = static_cast<double>(e.end) / rate;
    x.duration_s = x.end_s - x.start_s;
    x.prolonged = x.duration_s >= p.prolonged_s;
    std::size_t at = e.begin;
    for (std::size_t k = e.begin; k < e.end; ++k) {
      if (!std::isfinite(smooth[k])) continue;
      if (!std::isfinite(smooth[at]) || smooth[k] < smooth[at]) at = k;
      x.lost_beats += (base[k] - smooth[k]) / 60.0 / rate;  // beats/min × min
    }
    x.nadir_bpm = smooth[at];
    x.depth_bpm = base[at] - smooth[at];
    a.decelerations->push_back(x);
  }

  // Variability: FIGO 2015 bandwidth amplitude, per minute outside accelerations and
  // decelerations, with at least 30 s of signal in the minute; the median over the minutes.
  std::vector<bool> in_event(n, false);
  for (const std::vector<Extent>* list : {&acc, &dec})
    for (const Extent& e : *list)
      for (std::size_t k = e.begin; k < e.end; ++k) in_event[k] = true;
  const auto minute = static_cast<std::size_t>(std::llround(60.0 * rate));
  std::vector<double> bandwidths;
  for (std::size_t m = 0; m + minute <= n; m += minute) {
    double lo = 1e9, hi = -1e9;
    std::size_t count = 0;
    for (std::size_t k = m; k < m + minute; ++k) {
      if (in_event[k] || !a.series.reliable[k]) continue;
      lo = std::min(lo, a.series.fhr_bpm[k]);
      hi = std::max(hi, a.series.fhr_bpm[k]);
      ++count;
    }
    if (count >= minute / 2) bandwidths.push_back(hi - lo);
  }
  if (bandwidths.empty()) {
    a.variability_why_missing = "no minute outside accelerations and decelerations with 30 s of reliable signal";
  } else {
    const double v = std::round(10.0 * median(bandwidths)) / 10.0;
    a.variability_bpm = v;
    a.variability_band = v < p.variability_reduced_bpm ? "reduced" : v > p.variability_increased_bpm ? "increased" : "normal";
  }

  a.stv_ms = dawes_redman_stv_ms(fhr, duration_s, *a.decelerations);
  if (a.stv_ms) a.stv_ms = std::round(100.0 * *a.stv_ms) / 100.0;
  else a.stv_why_missing = "no minute with 8 successive 1/16-min epochs of reliable beats outside decelerations";

  const auto episode_len = static_cast<std::size_t>(std::llround(p.episode_min_s * rate));
  a.tachycardia = baseline_episodes(base, +1.0, p.tachycardia_bpm, episode_len, rate);
  a.bradycardia = baseline_episodes(base, -1.0, p.bradycardia_bpm, episode_len, rate);
  return a;
}

}  // namespace fecg
