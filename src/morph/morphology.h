// Fetal ECG morphology: the averaged beat (morph/average_beat.h), its waves (the delineator of
// Martínez et al. 2004, morph/delineate.h) and the intervals early CHD screening reads — PR, P,
// QRS, QT, QTc (Bazett, Fridericia), T/QRS — each with its uncertainty or the reason it is absent.
//
//   fecg::MorphologyParams params;
//   params.gestational_weeks = 38;                           // optional: compare with Chia 2005
//   fecg::Morphology m = fecg::analyse_morphology(result.fecg_uv, result.fs_hz, result.fetal_beats,
//                                                  reliable, result.lead_names, params);
//   if (m.qt_ms.value) printf("QT %.0f ± %.0f ms\n", *m.qt_ms.value, m.qt_ms.sd.value_or(NAN));
//   else puts(m.qt_ms.why_missing.c_str());
//
// Uncertainty: the delete-a-group jackknife (Efron 1982): the beats are dealt into K groups
// (beat i → group i mod K), the average is recomputed without each group in turn and
// delineated again, and sd = sqrt((K−1)/K Σ (θ_k − θ̄)²) over the replicates that measured it.
// It covers the noise of the average and the delineator's response to it, not the delineator's
// bias (see docs/MORPHOLOGY.md for that, measured on the QT Database).
#pragma once

#include "core/types.h"
#include "morph/average_beat.h"
#include "morph/delineate.h"

#include <optional>
#include <string>
#include <vector>

namespace fecg {

// A measured quantity: value and its jackknife sd, or the reason it is absent.
struct Measurement {
  std::optional<double> value;
  std::optional<double> sd;    // nullopt when fewer than 3 jackknife replicates measured it
  std::string why_missing;     // empty when value is set
};

// A published mean for comparison (Chia et al. 2005, Prenatal Diagnosis 25(7):546: 100
// pregnancies, abdominal electrodes; group means at 18–22 and at ≥ 37 weeks).
struct PublishedComparison {
  std::string quantity;                     // "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms"
  double published_mean_ms = 0;             // at the gestational age: linear between 20 and 38 weeks
  std::optional<double> difference_ms;      // measured − published mean; nullopt when not measured
  // Whether the value lies outside the published range. The abstract of Chia 2005 gives means
  // only (no sd or centiles), so no range is known and this stays nullopt with `why_no_range`:
  // a flag needs a range, and a range is not something to invent.
  std::optional<bool> outside_published_range;
  std::string why_no_range;
};

// The morphology of one average (the whole recording or one window of the sliding average).
struct MorphologyWindow {
  double start_s = 0, end_s = 0;  // span of the beats used
  int n_beats = 0;
  std::optional<double> snr_db;
  Measurement qrs_ms, qt_ms, t_qrs_ratio;
};

struct MorphologyParams {
  bool enabled = true;            // false: analyse_morphology returns morphology_not_computed
  AverageBeatParams average;
  DelineatorParams delineator;
  double min_snr_db = 6.0;        // an average below this has no shape to measure (noise alone: ~0 dB)
  int jackknife_groups = 5;       // K; 0 or 1: no uncertainty
  double sliding_window_s = 60.0; // the sliding average (per minute, as STAN trends T/QRS); 0: none
  std::optional<double> gestational_weeks;  // for the published comparison
};

struct Morphology {
  AverageBeat average;             // per lead; average.beat_uv in µV, time 0 at r_index
  int lead = -1;                   // the lead measured (the average's best lead), -1 if none
  std::string lead_name;
  BeatWaves waves;                 // on the average of `lead`, samples at average.fs_hz
  double rr_ms = 0;                // median RR of the beats averaged
  Measurement pr_ms, p_ms, qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms, t_qrs_ratio;
  std::vector<MorphologyWindow> sliding;
  std::vector<PublishedComparison> published;  // empty without gestational_weeks
  std::string why_missing;         // set when nothing could be measured (no average, SNR too low)
  double compute_ms = 0;           // wall-clock time of the stage (set by the pipeline)
};

// A morphology with nothing measured, every quantity null with `why` (e.g. streamed recordings).
Morphology morphology_not_computed(const std::string& why);

// One flag per beat: true when the beat's time (sample / fs_hz) lies in one of `spans` (seconds,
// [start, end)), e.g. pipeline/fusion.h reliable_spans(quality) — the beats of reliable windows.
std::vector<bool> beats_in_spans(const BeatIndices& beats, double fs_hz,
                                 const std::vector<std::pair<double, double>>& spans);

// fecg_uv: leads × n (µV) at fs_hz; beats: fetal R peaks (samples, ascending); reliable: one flag
// per beat (empty: all reliable) — the pipeline passes the flags of its quality windows.
// Never throws on data it cannot measure: the reasons go into the result. Throws fecg::Error
// only on invalid arguments (fs_hz, flag count, lead name count, non-finite samples).
Morphology analyse_morphology(const LeadMatrix& fecg_uv, double fs_hz, const BeatIndices& beats,
                              const std::vector<bool>& reliable, const std::vector<std::string>& lead_names,
                              const MorphologyParams& params = {});

// The intervals of one delineated beat (samples at fs_hz; x: the beat, for amplitudes), without
// uncertainty: what analyse_morphology measures on the average and on each jackknife replicate.
struct BeatIntervals {
  Measurement pr_ms, p_ms, qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms, t_qrs_ratio;
};
BeatIntervals beat_intervals(const BeatWaves& waves, std::span<const float> x, double fs_hz, double rr_s);

}  // namespace fecg
