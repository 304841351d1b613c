// The fusion stage of the pipeline: a pool of candidate fetal extractions, a choice per window,
// and a confidence per window that says whether its fetal heart rate may be shown.
//
// After the idea of Behar, Oster & Clifford (Computing in Cardiology 40:173, 2013): several
// candidate fetal signals (here FHNet's, template subtraction's, TS-ICA's, ICA's and ICA then
// TS's, component by component), fetal QRS detected on each, and the most regular beat series
// that does not follow the mother's beats chosen. Here
// the choice is made per window of the quality grid rather than per record, and the agreement
// of a candidate's beats with another, independently extracted candidate counts as evidence.
//
//   std::vector<fecg::FetalCandidate> pool = ...;     // primary method first
//   fecg::FusedExtraction fused = fecg::fuse_per_window(pool, maternal, 250.0, 10.0);
//   fecg::SignalQuality q = fecg::assess_quality(fused.fecg_uv, fused.beats, maternal, 250.0, names, 10.0);
//   fecg::judge_reliability(q, fused, /*pooled=*/true);   // q.windows[k].reliable, .confidence, ...
#pragma once

#include "core/types.h"
#include "detect/quality.h"
#include "extract/extract.h"

#include <string>
#include <utility>
#include <vector>

namespace fecg {

struct FetalCandidate {
  std::string source;           // "fhnet", "ts-ica", "ts", "ts:2" (lead 2's residual alone), "ica",
                                // "ica-ts:1" (ICA component 1 after template subtraction)
  ExtractionResult extraction;  // fetal ECG per lead (µV) and detection channels, analysis rate
  BeatIndices beats;            // fetal beats found on it, ascending, analysis rate
  BeatIndices tracked;          // the same, tracked along the rhythm (FetalBeats::tracked); may be empty
};

// What one candidate's beats show in one window.
struct WindowEvidence {
  int n_beats = 0;
  double rate_bpm = 0;               // 60 / median RR over the window (0: fewer than 2 beats)
  // Fraction of the window covered by RR intervals in the fetal range (detect/fetal_range.h) within
  // 15 % of their local median (±4 intervals): 1 for a clean regular train, ~0.3 for random peaks.
  double coverage = 0;
  double maternal_coincidence = 0;   // fraction of its beats within ±50 ms of a maternal R peak
  double maternal_excess = 0;        // that beyond chance, as a fraction of what chance leaves: 0..1
  double maternal_rate_ratio = 0;    // its median RR / the maternal median RR (0: unknown)
  // Fraction of its beats that lie within ±50 ms of one common delay after the maternal beat before
  // them (the delay that gathers most; the maternal cycle wraps around). Near 1 when the beats
  // follow the mother's rhythm at a fixed delay, e.g. on her T wave, which coincidence with her R
  // peaks does not see; an independent rhythm drifts through her cycle.
  double maternal_lock = 0;
  // Best fraction of its tracked beats (FetalCandidate::tracked; its picked ones where it has
  // none) matched (±50 ms) by another candidate's, of the larger count. The tracked beats, which
  // noise disturbs less than the picked ones, show where independent extractions found one heart.
  double agreement = 0;
  // Fraction of its picked beats that its tracker found too, of the larger count: near 1 where
  // the picked beats are the rhythm, low where noise peaks or missed beats make the two differ.
  double consistency = 0;
  double score = 0;                  // the selection score (fuse_per_window)
  // Median peak amplitude of the input leads at the window's chosen beats over that at the
  // maternal beats (set by measure_beat_strength; 0: not measured). The mother's QRS is several
  // times the fetus's in abdominal leads, so above 1 the two rhythms are likely swapped: the
  // maternal detector took the slower rhythm for the mother's while it was a fetal bradycardia.
  double strength_ratio = 0;
};

struct WindowChoice {
  double start_s = 0, end_s = 0;
  int candidate = -1;                // index into the pool; -1: no candidate has beats there
  WindowEvidence evidence;           // of the chosen candidate
  // The candidate whose fetal ECG the window shows: the primary (index 0, the method's own) where
  // its beats are the chosen candidate's (kSameBeatsForWaveform), else the chosen one.
  int waveform = 0;
  // The window's beats are the chosen candidate's tracked beats (FetalCandidate::tracked), which
  // agree with at least half of its picked ones there (kTrackedAgreement); else the picked ones.
  bool tracked = false;
};

struct FusedExtraction {
  LeadMatrix fecg_uv;                // leads × n, µV: each window's WindowChoice::waveform, cross-faded
  BeatIndices beats;                 // the chosen candidates' beats, ascending
  std::vector<WindowChoice> windows; // on the grid of assess_quality: [k w, min(n, (k+1) w))
  std::vector<std::string> sources;  // the pool's source names, by candidate index
};

// Evidence of every candidate in the window [start_n, end_n) (samples at fs_hz).
std::vector<WindowEvidence> window_evidence(const std::vector<FetalCandidate>& pool, const BeatIndices& maternal,
                                            double fs_hz, std::int64_t start_n, std::int64_t end_n);

// Per window of `window_s`, the candidate with the highest score = coverage × (1 − maternal
// excess) × (0.3 + 0.7 × agreement) gives the beats (ties: the earlier candidate, so the primary
// method comes first) and, unless the primary found the same beats there (then the primary's, the
// method asked for), the fetal ECG. A final window shorter than window_s is judged on the last
// window_s of the input (its beats are still its own). The fetal ECG is cross-faded over 0.2 s where
// the source changes; of two beats closer than a fetal refractory period across a window edge the
// earlier stays. A pool of one is its own choice in every window. Throws fecg::Error for an empty
// pool, candidates of different shapes, or a bad rate or window.
FusedExtraction fuse_per_window(const std::vector<FetalCandidate>& pool, const BeatIndices& maternal, double fs_hz,
                                double window_s);

// Sets WindowEvidence::strength_ratio of every window of `fused` from the preprocessed input leads
// x (leads × n, the rate of the beats).
void measure_beat_strength(FusedExtraction& fused, const LeadMatrix& x, const BeatIndices& maternal, double fs_hz);

// The probability that a window's fetal beats and heart rate are right, from what the pipeline can
// see: the chosen candidate's evidence and the window's SQI (detect/quality.h). A logistic model
// whose coefficients were fitted on real recordings, held out by mother, and on recordings without
// a fetus, whose every window is a wrong one (scripts/reliability/calibrate.py; docs/RELIABILITY.md
// gives the fit and its held-out calibration). `pooled`: the
// evidence includes agreement between candidates (a pool of one has none, and its own model).
double window_confidence(const WindowEvidence& evidence, float sqi, bool pooled);

struct ReliabilityParams {
  // A window is reliable at this confidence or above (fixed before the evaluation:
  // docs/RELIABILITY.md).
  double min_confidence = 0.8;
};

// Sets reliable, confidence, why_unreliable and source on each window of `quality` (the same grid
// as `fused.windows`). Unreliable whatever the confidence: fewer than 3 beats; a rate outside the
// fetal range; beats that coincide with the maternal ones (more than 40 % beyond chance, or a
// rate within 5 % of the mother's with half the beats on hers, or with 80 % of them at one delay
// after hers: WindowEvidence::maternal_lock), because then the rate may be the mother's; beats
// stronger in the input than the maternal ones (strength_ratio > 1: the rhythms
// may be swapped, above 1.3; in every window when half the windows are). Throws fecg::Error when
// the grids differ.
void judge_reliability(SignalQuality& quality, const FusedExtraction& fused, bool pooled,
                       const ReliabilityParams& params = {});

// The spans [start_s, end_s) of the reliable windows (for apply_reliability, detect/heart_rate.h).
std::vector<std::pair<double, double>> reliable_spans(const SignalQuality& quality);

}  // namespace fecg
