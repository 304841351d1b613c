// Signal-quality indices of extracted fetal ECG.
//
// Per lead and window, SQI = bSQI × RR plausibility, 0 for a flat lead, halved for a saturated one:
// - bSQI (template matching, after Li, Mark & Clifford, Physiol Meas 29:15-32, 2008, and Behar et
//   al., Physiol Meas 34:1335-1353, 2013 for the fetal case): the mean over the window's beats of
//   max(0, Pearson r) between each beat and the sample-wise median beat of the window;
// - RR plausibility: the fraction of the window's RR intervals that are fetal (50-240 bpm) and
//   within 20 % of their local median (rr_regularity);
// - flat: robust spread (per window: standard deviation) below 1e-3 of the largest lead's; saturated: more than 5 % of the samples
//   pinned within 0.5 % of the lead's range at its minimum or maximum.
// The window's SQI is that of its best lead (the fetal beats are detected on the best channels,
// so one clean lead is enough to trust them); whole-recording values are duration-weighted means.
#include "detect/quality.h"

#include "core/error.h"
#include "detect/detect_common.h"
#include "detect/fetal_range.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fecg {
namespace {

// Beat window: ±100 ms holds the fetal QRS (40-60 ms) with its neighbourhood, and stays inside one
// RR interval up to 300 bpm.
constexpr double kHalfBeat_s = 0.10;
// Fetal RR plausibility range: 60 bpm (deep bradycardia still seen in labour) to 240 bpm.
constexpr double kMinRr_s = kFetalMinRr_s, kMaxRr_s = kFetalMaxRr_s;  // detect/fetal_range.h
constexpr double kRrTolerance = 0.2;
constexpr double kFlatRatio = 1e-3;         // robust spread vs the largest lead's (-60 dB)
constexpr double kSaturatedFraction = 0.05;
constexpr float kLowSqi = 0.5f;

// Robust spread of a whole lead: 1.4826 × MAD (σ for Gaussian noise), on a subsample.
float robust_spread(const float* x, std::int64_t n) {
  if (n <= 0) return 0.0f;
  const float median = detect_detail::subsampled_median(x, n);
  std::vector<float> deviation(x, x + n);
  for (float& e : deviation) e = std::abs(e - median);
  return 1.4826f * detect_detail::subsampled_median(deviation);
}

// Standard deviation of a window: the per-window flat test only asks whether anything moves.
float window_std(const float* x, std::int64_t n) {
  if (n <= 0) return 0.0f;
  double sum = 0, sum2 = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += x[i], sum2 += static_cast<double>(x[i]) * x[i];
  const double mean = sum / static_cast<double>(n);
  return static_cast<float>(std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - mean * mean)));
}

// Fraction of samples pinned at the lead's extremes (within 0.5 % of its range of min or max).
double saturated_fraction(const float* x, std::int64_t n) {
  if (n <= 0) return 0.0;
  const auto [lo, hi] = std::minmax_element(x, x + n);
  const float range = *hi - *lo;
  if (!(range > 0)) return 0.0;
  const float eps = 0.005f * range;
  std::int64_t pinned = 0;
  for (std::int64_t i = 0; i < n; ++i) pinned += (x[i] <= *lo + eps || x[i] >= *hi - eps) ? 1 : 0;
  return static_cast<double>(pinned) / static_cast<double>(n);
}

double pearson(const float* a, const float* b, std::int64_t n) {
  double ma = 0, mb = 0;
  for (std::int64_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

// bSQI of one lead over the beats [first, last) (all fully inside the signal).
double template_sqi(const float* x, const BeatIndices& beats, std::size_t first, std::size_t last,
                    std::int64_t half_n) {
  const std::size_t n_beats = last - first;
  if (n_beats < 3) return 0.0;
  const std::int64_t width = 2 * half_n + 1;
  std::vector<float> segments(n_beats * static_cast<std::size_t>(width));
  for (std::size_t k = 0; k < n_beats; ++k)
    std::copy_n(x + beats[first + k] - half_n, width, segments.begin() + static_cast<std::ptrdiff_t>(k * width));
  std::vector<float> median_beat(static_cast<std::size_t>(width)), column(n_beats);
  for (std::int64_t j = 0; j < width; ++j) {
    for (std::size_t k = 0; k < n_beats; ++k) column[k] = segments[k * width + j];
    median_beat[j] = detect_detail::quantile_in_place(column, 0.5);
  }
  double sum = 0;
  for (std::size_t k = 0; k < n_beats; ++k)
    sum += std::max(0.0, pearson(segments.data() + k * width, median_beat.data(), width));
  return sum / static_cast<double>(n_beats);
}

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f %%", 100.0 * fraction);
  return buf;
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

SignalQuality assess_quality(const LeadMatrix& fecg, const BeatIndices& fetal_beats, double fs_hz,
                             const std::vector<std::string>& lead_names, double window_s) {
  detect_detail::check_leads("assess_quality", fecg, fs_hz);
  if (!(window_s > 0) || !std::isfinite(window_s))
    throw Error("assess_quality: window_s must be positive and finite, got " + std::to_string(window_s));
  const auto n_leads = static_cast<std::size_t>(fecg.rows());
  const auto n = static_cast<std::int64_t>(fecg.cols());
  // An empty name list means "lead 1", "lead 2", ...; any other size must match the leads.
  if (!lead_names.empty() && lead_names.size() != n_leads)
    throw Error("assess_quality: " + std::to_string(lead_names.size()) + " lead names for " +
                std::to_string(n_leads) + " leads");
  auto name = [&](std::size_t l) {
    return lead_names.empty() ? "lead " + std::to_string(l + 1) : "lead '" + lead_names[l] + "'";
  };
  BeatIndices beats = fetal_beats;
  std::sort(beats.begin(), beats.end());
  beats.erase(std::unique(beats.begin(), beats.end()), beats.end());
  if (!beats.empty() && (beats.front() < 0 || beats.back() >= n))
    throw Error("assess_quality: beat at sample " + std::to_string(beats.front() < 0 ? beats.front() : beats.back()) +
                " is outside the signal (0.." + std::to_string(n - 1) + ")");

  SignalQuality q;
  q.lead_sqi.assign(n_leads, 0.0f);
  if (n_leads == 0 || n == 0) {
    q.warnings.push_back("no signal to assess");
    return q;
  }

  // Whole-recording flat and saturated checks.
  std::vector<float> spread(n_leads);
  for (std::size_t l = 0; l < n_leads; ++l) spread[l] = robust_spread(fecg.row(static_cast<Eigen::Index>(l)).data(), n);
  const float max_spread = *std::max_element(spread.begin(), spread.end());
  std::vector<bool> flat(n_leads), saturated(n_leads);
  for (std::size_t l = 0; l < n_leads; ++l) {
    flat[l] = !(spread[l] > kFlatRatio * max_spread) || !(spread[l] > 0);
    const double s = flat[l] ? 0.0 : saturated_fraction(fecg.row(static_cast<Eigen::Index>(l)).data(), n);
    saturated[l] = s > kSaturatedFraction;
    if (flat[l]) q.warnings.push_back(name(l) + " is flat");
    else if (saturated[l]) q.warnings.push_back(name(l) + " looks saturated: " + percent(s) + " of its samples at its extremes");
  }

  // Beats usable for templates: the whole ±kHalfBeat_s window inside the signal.
  const std::int64_t half_n = std::max<std::int64_t>(1, std::llround(kHalfBeat_s * fs_hz));
  BeatIndices inner;
  for (const std::int64_t b : beats)
    if (b - half_n >= 0 && b + half_n < n) inner.push_back(b);

  const auto window_n = std::max<std::int64_t>(1, std::llround(window_s * fs_hz));
  double total_weight = 0, sqi_sum = 0;
  std::vector<double> lead_sum(n_leads, 0.0);
  int low_windows = 0;
  double first_low_s = -1;
  for (std::int64_t start = 0; start < n; start += window_n) {
    const std::int64_t end = std::min(n, start + window_n);
    QualityWindow w;
    w.start_s = static_cast<double>(start) / fs_hz;
    w.end_s = static_cast<double>(end) / fs_hz;
    w.lead_sqi.assign(n_leads, 0.0f);
    const auto first = static_cast<std::size_t>(std::lower_bound(inner.begin(), inner.end(), start) - inner.begin());
    const auto last = static_cast<std::size_t>(std::lower_bound(inner.begin(), inner.end(), end) - inner.begin());
    // RR plausibility of the window, with one beat either side so that its edges count.
    const auto b0 = static_cast<std::size_t>(std::lower_bound(beats.begin(), beats.end(), start) - beats.begin());
    const auto b1 = static_cast<std::size_t>(std::lower_bound(beats.begin(), beats.end(), end) - beats.begin());
    const BeatIndices local(beats.begin() + static_cast<std::ptrdiff_t>(b0 > 0 ? b0 - 1 : 0),
                            beats.begin() + static_cast<std::ptrdiff_t>(std::min(beats.size(), b1 + 1)));
    const double rr_ok = detect_detail::rr_regularity(local, fs_hz, kMinRr_s, kMaxRr_s, kRrTolerance);
    for (std::size_t l = 0; l < n_leads; ++l) {
      const float* x = fecg.row(static_cast<Eigen::Index>(l)).data();
      if (flat[l] || !(window_std(x + start, end - start) > kFlatRatio * max_spread)) continue;
      double v = template_sqi(x, inner, first, last, half_n) * rr_ok;
      if (saturated[l]) v *= 0.5;
      w.lead_sqi[l] = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
    w.sqi = *std::max_element(w.lead_sqi.begin(), w.lead_sqi.end());
    const double weight = w.end_s - w.start_s;
    total_weight += weight;
    sqi_sum += weight * w.sqi;
    for (std::size_t l = 0; l < n_leads; ++l) lead_sum[l] += weight * w.lead_sqi[l];
    if (w.sqi < kLowSqi) {
      if (low_windows++ == 0) first_low_s = w.start_s;
    }
    q.windows.push_back(std::move(w));
  }
  for (std::size_t l = 0; l < n_leads; ++l) q.lead_sqi[l] = static_cast<float>(lead_sum[l] / total_weight);
  q.sqi = static_cast<float>(sqi_sum / total_weight);

  if (beats.size() < 3) {
    q.warnings.push_back("only " + std::to_string(beats.size()) + " fetal beats found: too few to assess quality");
  } else {
    const double rr_ok = detect_detail::rr_regularity(beats, fs_hz, kMinRr_s, kMaxRr_s, kRrTolerance);
    if (rr_ok < 0.8)
      q.warnings.push_back(percent(1.0 - rr_ok) + " of fetal RR intervals are implausible (outside 50-240 bpm or "
                           "more than 20 % off their neighbours): missed or extra beats likely");
  }
  for (std::size_t l = 0; l < n_leads; ++l)
    if (!flat[l] && q.lead_sqi[l] < kLowSqi)
      q.warnings.push_back(name(l) + " has a low fetal ECG quality (SQI " + fixed2(q.lead_sqi[l]) + ")");
  if (low_windows > 0)
    q.warnings.push_back(std::to_string(low_windows) + " of " + std::to_string(q.windows.size()) + " windows of " +
                         fixed2(window_s) + " s have an SQI below " + fixed2(kLowSqi) + " (first at " +
                         fixed2(first_low_s) + " s): do not trust the fetal heart rate there");
  return q;
}

}  // namespace fecg

// ---------------------------------------------------------------------------------------------
// Maternal-aware overload: the same indices, then each window's SQI is scaled down when its fetal
// beats look like maternal residue.

namespace fecg {
namespace {

// A fetal beat within ±50 ms of a maternal R peak coincides with it (the scoring tolerance of
// the field, and the width of a maternal QRS).
constexpr double kCoincidence_s = 0.05;
// Locking beyond chance (as a fraction of what chance leaves) up to kLockTolerated is tolerated:
// in a 10 s window of ~22 fetal beats the coincidence fluctuates by ~±0.07 about chance (~0.15),
// and near a 3:2 rate ratio fetal and maternal beats meet for a few seconds on their own. At
// kLockFull the window counts 0: residue trains (every maternal beat, or every other one) sit at 1.
constexpr double kLockTolerated = 0.2;
constexpr double kLockFull = 0.6;
// Median fetal and maternal RR closer than this (relative) count as the same rate; a real fetal
// rate equal to the maternal one is rare (maternal tachycardia with fetal bradycardia), so a train
// at the maternal rate keeps at most half its SQI.
constexpr double kSameRate = 0.1;
constexpr double kSameRatePenalty = 0.5;

double median_rr(const BeatIndices& beats, std::size_t first, std::size_t last) {
  if (last < first + 2) return 0.0;
  std::vector<float> rr;
  for (std::size_t i = first + 1; i < last; ++i) rr.push_back(static_cast<float>(beats[i] - beats[i - 1]));
  return detect_detail::quantile_in_place(rr, 0.5);
}

// Locking of the fetal beats [f0, f1) to the maternal beats [m0, m1) (both sorted) over
// `duration_n` samples.
MaternalLock lock_over(const BeatIndices& fetal, std::size_t f0, std::size_t f1, const BeatIndices& maternal,
                       std::size_t m0, std::size_t m1, std::int64_t duration_n, std::int64_t tol_n) {
  MaternalLock lock;
  if (f1 <= f0 || m1 <= m0 || duration_n <= 0) return lock;
  int hits = 0;
  for (std::size_t i = f0; i < f1; ++i) {
    const auto it = std::lower_bound(maternal.begin() + static_cast<std::ptrdiff_t>(m0),
                                     maternal.begin() + static_cast<std::ptrdiff_t>(m1), fetal[i] - tol_n);
    if (it != maternal.begin() + static_cast<std::ptrdiff_t>(m1) && *it <= fetal[i] + tol_n) ++hits;
  }
  const double coincidence = static_cast<double>(hits) / static_cast<double>(f1 - f0);
  // Chance: the fraction of the time within ±tol of some maternal beat.
  const double chance = std::min(1.0, static_cast<double>((2 * tol_n + 1) * static_cast<std::int64_t>(m1 - m0)) /
                                          static_cast<double>(duration_n));
  lock.excess = chance < 1.0 ? std::clamp((coincidence - chance) / (1.0 - chance), 0.0, 1.0) : 0.0;
  const double lock_factor = std::clamp(1.0 - (lock.excess - kLockTolerated) / (kLockFull - kLockTolerated), 0.0, 1.0);
  const double fetal_rr = median_rr(fetal, f0, f1), maternal_rr = median_rr(maternal, m0, m1);
  double rate_factor = 1.0;
  if (fetal_rr > 0 && maternal_rr > 0) {
    lock.rate_ratio = fetal_rr / maternal_rr;
    const double same = std::clamp(1.0 - std::abs(lock.rate_ratio - 1.0) / kSameRate, 0.0, 1.0);
    rate_factor = 1.0 - kSameRatePenalty * same;
  }
  lock.factor = lock_factor * rate_factor;
  return lock;
}

}  // namespace

SignalQuality assess_quality(const LeadMatrix& fecg, const BeatIndices& fetal_beats,
                             const BeatIndices& maternal_beats, double fs_hz,
                             const std::vector<std::string>& lead_names, double window_s) {
  SignalQuality q = assess_quality(fecg, fetal_beats, fs_hz, lead_names, window_s);
  const auto n = static_cast<std::int64_t>(fecg.cols());
  BeatIndices fetal = fetal_beats, maternal = maternal_beats;
  for (BeatIndices* b : {&fetal, &maternal}) {
    std::sort(b->begin(), b->end());
    b->erase(std::unique(b->begin(), b->end()), b->end());
  }
  if (!maternal.empty() && (maternal.front() < 0 || maternal.back() >= n))
    throw Error("assess_quality: maternal beat at sample " +
                std::to_string(maternal.front() < 0 ? maternal.front() : maternal.back()) +
                " is outside the signal (0.." + std::to_string(n - 1) + ")");
  if (fetal.size() < 3 || maternal.size() < 3 || q.windows.empty()) return q;

  const std::int64_t tol_n = std::max<std::int64_t>(1, std::llround(kCoincidence_s * fs_hz));
  const auto index_of = [](const BeatIndices& b, double t_n) {
    return static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), static_cast<std::int64_t>(std::llround(t_n))) -
                                    b.begin());
  };
  // Whole recording: for the warning.
  const MaternalLock overall = lock_over(fetal, 0, fetal.size(), maternal, 0, maternal.size(), n, tol_n);
  // Per window (one beat of context either side for the rates); window and lead SQIs scaled.
  double total_weight = 0, sqi_sum = 0;
  std::vector<double> lead_sum(q.lead_sqi.size(), 0.0);
  int locked_windows = 0;
  for (QualityWindow& w : q.windows) {
    const std::size_t f0 = index_of(fetal, w.start_s * fs_hz), f1 = index_of(fetal, w.end_s * fs_hz);
    const std::size_t m0 = index_of(maternal, w.start_s * fs_hz), m1 = index_of(maternal, w.end_s * fs_hz);
    const auto span_n = static_cast<std::int64_t>(std::llround((w.end_s - w.start_s) * fs_hz));
    const MaternalLock lock = lock_over(fetal, f0 > 0 ? f0 - 1 : 0, std::min(fetal.size(), f1 + 1), maternal,
                                        m0 > 0 ? m0 - 1 : 0, std::min(maternal.size(), m1 + 1), span_n, tol_n);
    if (lock.factor < 0.5) ++locked_windows;
    const auto f = static_cast<float>(lock.factor);
    for (float& v : w.lead_sqi) v *= f;
    w.sqi *= f;
    const double weight = w.end_s - w.start_s;
    total_weight += weight;
    sqi_sum += weight * w.sqi;
    for (std::size_t l = 0; l < lead_sum.size(); ++l) lead_sum[l] += weight * w.lead_sqi[l];
  }
  if (total_weight > 0) {
    q.sqi = static_cast<float>(sqi_sum / total_weight);
    for (std::size_t l = 0; l < lead_sum.size(); ++l) q.lead_sqi[l] = static_cast<float>(lead_sum[l] / total_weight);
  }
  // One window may be penalised by chance in a long recording; the warning wants the whole
  // recording, or at least a tenth of its windows, to look locked.
  if (overall.factor < 0.75 || 10 * locked_windows >= static_cast<int>(q.windows.size())) {
    // Worded by what was seen: windows locked one by one, or only the whole recording (no single
    // window crosses the line, yet together they follow the mother beyond chance).
    char text[256];
    if (locked_windows > 0)
      std::snprintf(text, sizeof text,
                    "fetal beats look like maternal residue in %d of %zu windows: %.0f %% locked to maternal beats "
                    "beyond chance, fetal/maternal RR ratio %.2f; the fetal heart rate may be the mother's",
                    locked_windows, q.windows.size(), 100.0 * overall.excess, overall.rate_ratio);
    else
      std::snprintf(text, sizeof text,
                    "over the whole recording the fetal beats follow the maternal ones more than chance allows "
                    "(%.0f %% locked beyond chance, fetal/maternal RR ratio %.2f), though no single window does; "
                    "the fetal heart rate may be partly the mother's",
                    100.0 * overall.excess, overall.rate_ratio);
    q.warnings.insert(q.warnings.begin(), text);
  }
  return q;
}

MaternalLock maternal_lock(const BeatIndices& fetal_beats, const BeatIndices& maternal_beats, double fs_hz,
                           std::int64_t n_samples) {
  if (!(fs_hz > 0)) throw Error("maternal_lock: sampling rate must be positive");
  BeatIndices fetal = fetal_beats, maternal = maternal_beats;
  for (BeatIndices* b : {&fetal, &maternal}) {
    std::sort(b->begin(), b->end());
    b->erase(std::unique(b->begin(), b->end()), b->end());
  }
  const std::int64_t tol_n = std::max<std::int64_t>(1, std::llround(kCoincidence_s * fs_hz));
  return lock_over(fetal, 0, fetal.size(), maternal, 0, maternal.size(), n_samples, tol_n);
}

std::vector<std::string> input_lead_warnings(const LeadMatrix& x_uv, const std::vector<std::string>& lead_names) {
  if (lead_names.size() != static_cast<std::size_t>(x_uv.rows()))
    throw Error("input_lead_warnings: " + std::to_string(lead_names.size()) + " lead names for " +
                std::to_string(x_uv.rows()) + " leads");
  std::vector<std::string> warnings;
  for (Eigen::Index l = 0; l < x_uv.rows(); ++l) {
    const double s = saturated_fraction(x_uv.row(l).data(), x_uv.cols());
    if (s > kSaturatedFraction)
      warnings.push_back("lead '" + lead_names[static_cast<std::size_t>(l)] + "' is clipped: " + percent(s) +
                         " of its samples sit at its extremes (amplifier or ADC saturated)");
  }
  return warnings;
}

}  // namespace fecg
