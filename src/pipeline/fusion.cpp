#include "pipeline/fusion.h"

#include "core/error.h"
#include "core/median.h"
#include "detect/fetal_range.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fecg {
namespace {

// Two beats are the same beat within ±50 ms: the scoring tolerance of the field (Challenge 2013).
constexpr double kSameBeat_s = 0.05;
// RR intervals within 15 % of their local median (±4 intervals) are regular: fetal beat-to-beat
// variation is a few percent, a missed or an extra beat changes RR by 50 % or more.
constexpr double kRegularTolerance = 0.15;
constexpr std::ptrdiff_t kLocalHalf = 4;
// Cross-fade where the source changes: 0.2 s, shorter than a fetal QRS-to-QRS interval at 240 bpm
// is not needed (the beats come from the window lists, not from the waveform).
constexpr double kCrossfade_s = 0.2;
// Of two beats across a window edge closer than this, the later is the same beat seen by another
// candidate (90 % of the shortest fetal RR, 0.25 s at 240 bpm).
constexpr double kEdgeRefractory_s = 0.9 * kFetalMinRr_s;
// Fetal beats this much stronger in the input than the maternal ones are taken for swapped
// rhythms. Not 1: at the beats the peak amplitude also catches noise and maternal P and T waves, so
// correct simulated fetal beats at a high fetal SNR reach about 1.0; swapped ones reached 1.6-1.7
// (fecg synth --fetal-bpm 80 --maternal-bpm 100 --snr-mn 9 --seed 8).
constexpr double kSwappedStrength = 1.3;
// Beats that keep within ±50 ms of one delay after the mother's beats for this share of a window
// follow her rhythm (WindowEvidence::maternal_lock). An independent heart stays that close to her
// cycle for 80 % of a 10-s window only if its mean rate is hers within about 1 % (a drift of
// 100 ms over some 20 cycles) and the two vary together: a fetus beating at 0.985 of the mother's
// rate (ADFECGDB r10, 116 bpm) reaches 0.68, FHNet drawing the mother's rhythm on Challenge a27
// 0.88. Only in windows at the maternal rate (±5 %): at other rates the delays cannot stay put.
constexpr double kMaternalLock = 0.8;
// The primary candidate's fetal ECG is kept in a window where at least 90 % of the beats (of the
// larger list) are the same beats as the chosen candidate's: the two found the same heart, and the
// primary is the method asked for (FHNet by default, whose waveform is the most faithful: closer
// to the scalp lead than TS-ICA's on every ADFECGDB record). Below that they disagree on at least
// one beat in ten, and the chosen candidate's beats and waveform go together.
constexpr double kSameBeatsForWaveform = 0.9;
// A window takes the chosen candidate's tracked beats where at least this fraction of the larger of
// the two beat sets match (±kSameBeat_s). The tracker's rhythm prior recovers beats that noise
// hid from the picker; where the two mostly disagree, the rhythm has likely changed faster than the
// tracker can follow (or the tracker holds a rhythm through noise), and the picked beats stand.
// Chosen through the protocol of docs/RELIABILITY.md: select_variant.py over 0.3, 0.5 and 0.7 (with
// tracker segments of 10, 20 and 60 s) picked 0.5 with 20-s segments in all five folds.
constexpr double kTrackedAgreement = 0.5;
// Weight of agreement in the selection score, coverage × (1 − maternal excess) × (1 − w + w ×
// agreement), agreement measured on the tracked beats. Chosen through the protocol of
// docs/RELIABILITY.md: select_variant.py over agreement on the picked beats (w 0.4, 0.7) and on
// the tracked ones (w 0.5, 0.7, 0.9) picked tracked with 0.7 in four folds of five (0.9 in one).
constexpr double kAgreementWeight = 0.7;

// Indices [first, last) of the beats in [start_n, end_n).
std::pair<std::size_t, std::size_t> beats_in(const BeatIndices& beats, std::int64_t start_n, std::int64_t end_n) {
  const auto first = std::lower_bound(beats.begin(), beats.end(), start_n);
  const auto last = std::lower_bound(first, beats.end(), end_n);
  return {static_cast<std::size_t>(first - beats.begin()), static_cast<std::size_t>(last - beats.begin())};
}

// One-to-one matches within ±tol_n between two ascending lists.
int matches(const BeatIndices& a, std::size_t a0, std::size_t a1, const BeatIndices& b, std::size_t b0,
            std::size_t b1, std::int64_t tol_n) {
  int matched = 0;
  while (a0 < a1 && b0 < b1) {
    if (std::llabs(a[a0] - b[b0]) <= tol_n) {
      ++matched, ++a0, ++b0;
    } else if (a[a0] < b[b0]) {
      ++a0;
    } else {
      ++b0;
    }
  }
  return matched;
}

// The beats' rate is the mother's within 5 %.
bool at_maternal_rate(const WindowEvidence& e) { return e.maternal_rate_ratio > 0.95 && e.maternal_rate_ratio < 1.05; }

// The beats follow the mother's rhythm at a fixed delay (kMaternalLock): her rate, and her cycle.
bool follows_maternal_rhythm(const WindowEvidence& e) { return at_maternal_rate(e) && e.maternal_lock >= kMaternalLock; }

// Fraction of beats[b0, b1) within ±tol_n of one common delay after the maternal beat before them
// (WindowEvidence::maternal_lock). Delays are taken modulo the maternal cycle `period_n`, so that a
// delay just under one cycle and one just over zero are close.
double maternal_lock(const BeatIndices& beats, std::size_t b0, std::size_t b1, const BeatIndices& maternal,
                     std::int64_t period_n, std::int64_t tol_n) {
  if (b1 <= b0 || period_n <= 0) return 0.0;
  std::vector<std::int64_t> delay;
  for (std::size_t i = b0; i < b1; ++i) {
    const auto after = std::upper_bound(maternal.begin(), maternal.end(), beats[i]);
    if (after == maternal.begin()) continue;  // no maternal beat before it
    delay.push_back((beats[i] - *(after - 1)) % period_n);
  }
  int best = 0;
  for (const std::int64_t centre : delay) {
    int near = 0;
    for (const std::int64_t d : delay) {
      const std::int64_t apart = std::llabs(d - centre);
      near += std::min(apart, period_n - apart) <= tol_n ? 1 : 0;
    }
    best = std::max(best, near);
  }
  return static_cast<double>(best) / static_cast<double>(b1 - b0);
}

void check_pool(const std::vector<FetalCandidate>& pool, double fs_hz) {
  if (pool.empty()) throw Error("fuse_per_window: the candidate pool is empty");
  if (!(fs_hz > 0) || !std::isfinite(fs_hz)) throw Error("fuse_per_window: sampling rate must be positive");
  const LeadMatrix& first = pool.front().extraction.fecg_uv;
  for (const FetalCandidate& c : pool) {
    if (c.extraction.fecg_uv.rows() != first.rows() || c.extraction.fecg_uv.cols() != first.cols())
      throw Error("fuse_per_window: candidate '" + c.source + "' is " + std::to_string(c.extraction.fecg_uv.rows()) +
                  " × " + std::to_string(c.extraction.fecg_uv.cols()) + ", expected " + std::to_string(first.rows()) +
                  " × " + std::to_string(first.cols()) + " like '" + pool.front().source + "'");
    if (!std::is_sorted(c.beats.begin(), c.beats.end()) || !std::is_sorted(c.tracked.begin(), c.tracked.end()))
      throw Error("fuse_per_window: the beats of candidate '" + c.source + "' are not ascending");
  }
}

}  // namespace

std::vector<WindowEvidence> window_evidence(const std::vector<FetalCandidate>& pool, const BeatIndices& maternal,
                                            double fs_hz, std::int64_t start_n, std::int64_t end_n) {
  const std::int64_t tol_n = std::llround(kSameBeat_s * fs_hz);
  const double window_s = static_cast<double>(end_n - start_n) / fs_hz;
  const auto [m0, m1] = beats_in(maternal, start_n, end_n);
  std::vector<double> maternal_rr;
  for (std::size_t i = m0 + 1; i < m1; ++i) maternal_rr.push_back(static_cast<double>(maternal[i] - maternal[i - 1]) / fs_hz);
  const double maternal_median_rr = upper_median_in_place(maternal_rr);
  // Chance that a beat falls within ±50 ms of one of the window's maternal beats.
  const double chance = std::min(0.95, static_cast<double>(m1 - m0) * 2.0 * kSameBeat_s / window_s);

  // The beats each candidate stands by: tracked along the rhythm (its picked ones where it has none).
  const auto standing = [&](std::size_t c) -> const BeatIndices& {
    return pool[c].tracked.empty() ? pool[c].beats : pool[c].tracked;
  };
  std::vector<WindowEvidence> out(pool.size());
  for (std::size_t c = 0; c < pool.size(); ++c) {
    const BeatIndices& b = pool[c].beats;
    WindowEvidence& e = out[c];
    const auto [b0, b1] = beats_in(b, start_n, end_n);
    e.n_beats = static_cast<int>(b1 - b0);
    // Intervals ending in the window (the first one reaches back to the beat before it).
    std::vector<double> rr;
    const std::size_t r0 = b0 > 0 ? b0 : b0 + 1;
    for (std::size_t i = r0; i < b1; ++i) rr.push_back(static_cast<double>(b[i] - b[i - 1]) / fs_hz);
    std::vector<double> sorted_rr = rr;  // rr keeps its order for the regularity test below
    const double median_rr = upper_median_in_place(sorted_rr);
    e.rate_bpm = median_rr > 0 ? 60.0 / median_rr : 0.0;
    double covered = 0;
    const auto m = static_cast<std::ptrdiff_t>(rr.size());
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      std::vector<double> local(rr.begin() + std::max<std::ptrdiff_t>(0, i - kLocalHalf),
                                rr.begin() + std::min(m, i + kLocalHalf + 1));
      const double med = upper_median_in_place(local);
      const double v = rr[static_cast<std::size_t>(i)];
      if (v >= kFetalMinRr_s && v <= kFetalMaxRr_s && std::abs(v - med) <= kRegularTolerance * med) covered += v;
    }
    e.coverage = std::min(1.0, covered / window_s);
    if (e.n_beats > 0) {
      e.maternal_coincidence = static_cast<double>(matches(b, b0, b1, maternal, m0, m1, tol_n)) / e.n_beats;
      e.maternal_excess = std::clamp((e.maternal_coincidence - chance) / (1.0 - chance), 0.0, 1.0);
    }
    e.maternal_rate_ratio = median_rr > 0 && maternal_median_rr > 0 ? median_rr / maternal_median_rr : 0.0;
    e.maternal_lock = maternal_lock(b, b0, b1, maternal, std::llround(maternal_median_rr * fs_hz), tol_n);
    const BeatIndices& t = standing(c);
    const auto [t0, t1] = beats_in(t, start_n, end_n);
    if (e.n_beats > 0 && t1 > t0) {
      e.consistency = matches(b, b0, b1, t, t0, t1, tol_n) / static_cast<double>(std::max(b1 - b0, t1 - t0));
      for (std::size_t d = 0; d < pool.size(); ++d) {
        if (d == c) continue;
        const BeatIndices& u = standing(d);
        const auto [u0, u1] = beats_in(u, start_n, end_n);
        const double larger = static_cast<double>(std::max(t1 - t0, u1 - u0));
        e.agreement = std::max(e.agreement, matches(t, t0, t1, u, u0, u1, tol_n) / larger);
      }
    }
    // A candidate on the mother's rhythm is chosen only where no other has beats (and is then judged
    // unreliable).
    e.score = follows_maternal_rhythm(e) ? 0.0
              : e.coverage * (1.0 - e.maternal_excess) * (1.0 - kAgreementWeight + kAgreementWeight * e.agreement);
  }
  return out;
}

FusedExtraction fuse_per_window(const std::vector<FetalCandidate>& pool, const BeatIndices& maternal, double fs_hz,
                                double window_s) {
  check_pool(pool, fs_hz);
  if (!(window_s > 0) || !std::isfinite(window_s)) throw Error("fuse_per_window: window_s must be positive");
  const Eigen::Index n = pool.front().extraction.fecg_uv.cols();
  const std::int64_t window_n = std::max<std::int64_t>(1, std::llround(window_s * fs_hz));

  const std::int64_t same_beat_n = std::llround(kSameBeat_s * fs_hz);
  FusedExtraction out;
  for (const FetalCandidate& c : pool) out.sources.push_back(c.source);
  for (std::int64_t start = 0; start < n; start += window_n) {
    const std::int64_t end = std::min<std::int64_t>(n, start + window_n);
    WindowChoice choice;
    choice.start_s = static_cast<double>(start) / fs_hz;
    choice.end_s = static_cast<double>(end) / fs_hz;
    // A final window shorter than the others is judged on the last window_n samples (overlapping
    // its neighbour): over 2 s a few beats of a candidate's T waves look as regular as its R peaks.
    const std::int64_t judged_from = std::max<std::int64_t>(0, std::min(start, end - window_n));
    const std::vector<WindowEvidence> evidence = window_evidence(pool, maternal, fs_hz, judged_from, end);
    for (std::size_t c = 0; c < pool.size(); ++c) {
      if (evidence[c].n_beats == 0) continue;
      if (choice.candidate < 0 || evidence[c].score > choice.evidence.score) {
        choice.candidate = static_cast<int>(c);
        choice.evidence = evidence[c];
      }
    }
    if (choice.candidate < 0) choice.evidence = evidence.front();
    choice.waveform = std::max(0, choice.candidate);
    if (choice.candidate > 0) {
      const BeatIndices& primary = pool.front().beats;
      const BeatIndices& chosen = pool[static_cast<std::size_t>(choice.candidate)].beats;
      const auto [p0, p1] = beats_in(primary, start, end);
      const auto [c0, c1] = beats_in(chosen, start, end);
      const double larger = static_cast<double>(std::max(p1 - p0, c1 - c0));
      if (matches(primary, p0, p1, chosen, c0, c1, same_beat_n) >= kSameBeatsForWaveform * larger) choice.waveform = 0;
    }
    out.windows.push_back(choice);
  }

  // Beats: each window's chosen candidate's, tracked where they agree with the picked ones, the
  // earlier of two too close across an edge.
  const std::int64_t refractory_n = std::max<std::int64_t>(1, std::llround(kEdgeRefractory_s * fs_hz));
  for (std::size_t k = 0; k < out.windows.size(); ++k) {
    const int c = out.windows[k].candidate;
    if (c < 0) continue;
    const std::int64_t start = static_cast<std::int64_t>(k) * window_n;
    const std::int64_t end = std::min<std::int64_t>(n, start + window_n);
    const FetalCandidate& chosen = pool[static_cast<std::size_t>(c)];
    const auto [p0, p1] = beats_in(chosen.beats, start, end);
    const auto [t0, t1] = beats_in(chosen.tracked, start, end);
    const double larger = static_cast<double>(std::max(p1 - p0, t1 - t0));
    out.windows[k].tracked = t1 > t0 && matches(chosen.beats, p0, p1, chosen.tracked, t0, t1, same_beat_n) >=
                                            kTrackedAgreement * larger;
    const BeatIndices& b = out.windows[k].tracked ? chosen.tracked : chosen.beats;
    const auto [b0, b1] = out.windows[k].tracked ? std::pair{t0, t1} : std::pair{p0, p1};
    for (std::size_t i = b0; i < b1; ++i) {
      if (!out.beats.empty() && b[i] - out.beats.back() < refractory_n) continue;
      out.beats.push_back(b[i]);
    }
  }

  // Fetal ECG: each window's waveform candidate (the primary's where it agrees with the chosen
  // one, or where none was chosen), linearly cross-faded over kCrossfade_s centred on each edge
  // where the source changes.
  const auto source_of = [&](std::size_t k) { return out.windows[k].waveform; };
  out.fecg_uv = pool[static_cast<std::size_t>(source_of(0))].extraction.fecg_uv;
  const std::int64_t half_n = std::max<std::int64_t>(1, std::llround(0.5 * kCrossfade_s * fs_hz));
  for (std::size_t k = 1; k < out.windows.size(); ++k) {
    const int c = source_of(k);
    const std::int64_t edge = static_cast<std::int64_t>(k) * window_n;
    const std::int64_t end = std::min<std::int64_t>(n, edge + window_n);
    const LeadMatrix& x = pool[static_cast<std::size_t>(c)].extraction.fecg_uv;
    if (c == source_of(k - 1)) {
      out.fecg_uv.middleCols(edge, end - edge) = x.middleCols(edge, end - edge);
      continue;
    }
    const LeadMatrix& previous = pool[static_cast<std::size_t>(source_of(k - 1))].extraction.fecg_uv;
    const std::int64_t fade_start = std::max<std::int64_t>(0, edge - half_n);
    const std::int64_t fade_end = std::min<std::int64_t>(end, edge + half_n);
    for (std::int64_t i = fade_start; i < fade_end; ++i) {
      const float a = static_cast<float>(i - (edge - half_n)) / static_cast<float>(2 * half_n);
      out.fecg_uv.col(i) = (1.0f - a) * previous.col(i) + a * x.col(i);
    }
    if (end > fade_end) out.fecg_uv.middleCols(fade_end, end - fade_end) = x.middleCols(fade_end, end - fade_end);
  }
  return out;
}

void measure_beat_strength(FusedExtraction& fused, const LeadMatrix& x, const BeatIndices& maternal, double fs_hz) {
  // ±40 ms: the R (or S) peak of either QRS lies within it of the detected beat.
  const std::int64_t half_n = std::max<std::int64_t>(1, std::llround(0.04 * fs_hz));
  const auto n = static_cast<std::int64_t>(x.cols());
  const auto peak = [&](std::int64_t b) {
    const std::int64_t lo = std::max<std::int64_t>(0, b - half_n), hi = std::min<std::int64_t>(n, b + half_n + 1);
    return hi > lo ? static_cast<double>(x.middleCols(lo, hi - lo).cwiseAbs().maxCoeff()) : 0.0;
  };
  const auto median_peak = [&](const BeatIndices& beats, std::int64_t start, std::int64_t end) {
    const auto [b0, b1] = beats_in(beats, start, end);
    std::vector<double> v;
    for (std::size_t i = b0; i < b1; ++i) v.push_back(peak(beats[i]));
    return upper_median_in_place(v);
  };
  for (WindowChoice& w : fused.windows) {
    const auto start = static_cast<std::int64_t>(std::llround(w.start_s * fs_hz));
    const auto end = static_cast<std::int64_t>(std::llround(w.end_s * fs_hz));
    const double fetal = median_peak(fused.beats, start, end), mother = median_peak(maternal, start, end);
    w.evidence.strength_ratio = fetal > 0 && mother > 0 ? fetal / mother : 0.0;
  }
}

double window_confidence(const WindowEvidence& e, float sqi, bool pooled) {
  // Logistic model P(right) = 1 / (1 + exp(-(b0 + b · features))). Coefficients: see fusion.h.
  struct Coefficients {
    double intercept, coverage, maternal_excess, agreement, sqi, consistency;
  };
  // Fitted on the windows of the 37 mothers of docs/RELIABILITY.md and of 12 recordings without a
  // fetus (every window of theirs wrong), all folds (scripts/reliability/calibrate.py on
  // eval_reliability --windows), refitted whenever the network, the pool, the selection or the
  // detector changes (last: FHNet stage 7). Each coefficient is held to its sign (maternal excess
  // can only lower the confidence, the other features only raise it); a feature the fit would give
  // the other sign gets 0. Without the no-fetus windows the fit leaned on consistency and
  // agreement alone, which noise on leads shared by several candidates can fake; with them,
  // coverage and SQI keep their weight. Only the held-out calibration is claimed
  // (docs/RELIABILITY.md), not the meaning of single coefficients.
  static constexpr Coefficients kPooled{-14.670, 2.585, -5.603, 3.447, 6.567, 10.936};
  static constexpr Coefficients kSingle{-7.031, 1.104, 0.0, 0.0, 9.774, 3.039};
  const Coefficients& b = pooled ? kPooled : kSingle;
  const double z = b.intercept + b.coverage * e.coverage + b.maternal_excess * e.maternal_excess +
                   b.agreement * e.agreement + b.sqi * static_cast<double>(sqi) + b.consistency * e.consistency;
  return 1.0 / (1.0 + std::exp(-z));
}

void judge_reliability(SignalQuality& quality, const FusedExtraction& fused, bool pooled,
                       const ReliabilityParams& params) {
  if (quality.windows.size() != fused.windows.size())
    throw Error("judge_reliability: " + std::to_string(quality.windows.size()) + " quality windows but " +
                std::to_string(fused.windows.size()) + " fusion windows; they must share one grid");
  // Swapped rhythms come from the maternal detector, which chose once for the whole recording:
  // when most measured windows look swapped, every window is suspect.
  int measured = 0, swapped = 0;
  for (const WindowChoice& w : fused.windows) {
    measured += w.evidence.strength_ratio > 0 ? 1 : 0;
    swapped += w.evidence.strength_ratio > kSwappedStrength ? 1 : 0;
  }
  const bool record_swapped = measured > 0 && 2 * swapped >= measured;
  for (std::size_t k = 0; k < quality.windows.size(); ++k) {
    QualityWindow& q = quality.windows[k];
    const WindowChoice& choice = fused.windows[k];
    const WindowEvidence& e = choice.evidence;
    q.source = choice.candidate >= 0 ? fused.sources[static_cast<std::size_t>(choice.candidate)] : "";
    q.fecg_source = fused.sources[static_cast<std::size_t>(choice.waveform)];
    q.beats_tracked = choice.tracked;
    q.confidence = choice.candidate >= 0 ? window_confidence(e, q.sqi, pooled) : 0.0;
    char why[200] = "";
    if (e.n_beats < 3) {
      std::snprintf(why, sizeof why, "too few fetal beats found (%d)", e.n_beats);
    } else if (e.rate_bpm < kFetalMinBpm || e.rate_bpm > kFetalMaxBpm) {
      std::snprintf(why, sizeof why, "the beats found imply %.0f bpm, outside the fetal range %.0f-%.0f bpm",
                    e.rate_bpm, kFetalMinBpm, kFetalMaxBpm);
    } else if (e.maternal_excess > 0.4 || (at_maternal_rate(e) && e.maternal_coincidence > 0.5)) {
      std::snprintf(why, sizeof why,
                    "the beats found coincide with the mother's (%.0f %% within 50 ms, rate ratio %.2f): the rate "
                    "may be the mother's",
                    100.0 * e.maternal_coincidence, e.maternal_rate_ratio);
    } else if (follows_maternal_rhythm(e)) {
      std::snprintf(why, sizeof why,
                    "the beats found follow the mother's rhythm at a fixed delay (%.0f %% of them, rate ratio %.2f): "
                    "the rate may be the mother's",
                    100.0 * e.maternal_lock, e.maternal_rate_ratio);
    } else if (e.strength_ratio > kSwappedStrength || record_swapped) {
      std::snprintf(why, sizeof why,
                    "the beats taken as fetal are stronger than those taken as the mother's (%.1f times here, in %d "
                    "of %d windows): the two rhythms may be swapped (a fetal rate below the mother's?)",
                    e.strength_ratio, swapped, measured);
    } else if (q.confidence < params.min_confidence) {
      std::snprintf(why, sizeof why, "low confidence (%.2f): %s", q.confidence,
                    e.coverage < 0.6 ? "the beats found are irregular or have gaps"
                    : pooled && e.agreement < 0.6 ? "the extraction methods disagree"
                                                  : "a noisy fetal signal");
    }
    q.why_unreliable = why;
    q.reliable = q.why_unreliable.empty();
  }
}

std::vector<std::pair<double, double>> reliable_spans(const SignalQuality& quality) {
  std::vector<std::pair<double, double>> spans;
  for (const QualityWindow& w : quality.windows)
    if (w.reliable) spans.emplace_back(w.start_s, w.end_s);
  return spans;
}

}  // namespace fecg
