// Signal-quality indices, so that the user knows when not to trust the output.
#pragma once

#include "core/types.h"

#include <string>
#include <vector>

namespace fecg {

struct QualityWindow {
  double start_s = 0, end_s = 0;
  std::vector<float> lead_sqi;  // per lead, 0 (unusable) .. 1 (clean)
  float sqi = 0;                // for the window: best leads combined
  // Set by the pipeline's fusion stage (pipeline/fusion.h): whether the window's fetal beats and
  // heart rate may be shown as the fetal rate, the calibrated probability that they are right
  // (0..1), in words why not when they may not, and which candidate extraction they come from.
  bool reliable = false;
  double confidence = 0;
  std::string why_unreliable;
  std::string source;
  // Which candidate the window's fetal ECG comes from: the method's own where it found the same
  // beats as `source`, else `source` (pipeline/fusion.h WindowChoice::waveform).
  std::string fecg_source;
  // The window's beats were tracked along the rhythm (detect_fetal_beats), which agreed with the
  // picked ones there, rather than picked by threshold (pipeline/fusion.h WindowChoice::tracked).
  bool beats_tracked = false;
};

struct SignalQuality {
  std::vector<float> lead_sqi;          // per lead over the whole recording, 0..1
  std::vector<QualityWindow> windows;   // consecutive windows of `window_s`
  float sqi = 0;                        // overall, 0..1
  std::vector<std::string> warnings;    // human-readable, e.g. "lead 'Abdomen_3' is flat"
};

// Quality of extracted fetal signals given the fetal beats found on them: per lead, the
// correlation of each beat with the lead's average beat (bSQI-style template matching), the
// fraction of RR intervals that are physiologically plausible, and flat/saturated detection.
// SQI per lead and window = bSQI × RR plausibility (0 for a flat lead, halved for a saturated
// one); a window's SQI is its best lead's. `lead_names` may be empty ("lead 1", ...); beats may be
// unsorted but must lie inside the signal. Throws fecg::Error on non-finite samples.
// Limitation: beats that are in fact maternal residue also look regular and alike, so a high SQI
// does not prove that the beats are fetal (compare the fetal and maternal rates).
SignalQuality assess_quality(const LeadMatrix& fecg, const BeatIndices& fetal_beats, double fs_hz,
                             const std::vector<std::string>& lead_names, double window_s = 10.0);

// The same, knowing the maternal beats (same sampling rate; unsorted allowed, inside the signal),
// which answers the limitation above: per window, the SQI is multiplied by a maternal-lock factor
// (0..1): 1 while the fetal beats coincide (±50 ms) with maternal R peaks no more than 20 % beyond
// chance (as a fraction of what chance leaves), falling to 0 at 60 %, and halved when the median
// fetal RR is within 10 % of the maternal one (a train at the maternal rate). A warning ("... look
// like maternal residue ...") when the whole recording is penalised by more than a quarter or a
// tenth of the windows by more than half. Used by run_pipeline.
SignalQuality assess_quality(const LeadMatrix& fecg, const BeatIndices& fetal_beats,
                             const BeatIndices& maternal_beats, double fs_hz,
                             const std::vector<std::string>& lead_names, double window_s = 10.0);

// How closely fetal beats follow the maternal ones over a whole signal of n_samples at fs_hz
// (beats in samples, unsorted allowed): the measure behind the maternal-lock factor above.
struct MaternalLock {
  double excess = 0;      // coincidence (±50 ms) beyond chance, as a fraction of what chance leaves: 0..1
  double rate_ratio = 0;  // fetal / maternal median RR; 0 when either has fewer than 2 beats
  double factor = 1;      // the SQI multiplier, 0..1 (below 0.5: the fetal beats follow the mother's)
};
MaternalLock maternal_lock(const BeatIndices& fetal_beats, const BeatIndices& maternal_beats, double fs_hz,
                           std::int64_t n_samples);

// Warnings about the raw input leads (leads × n, any rate, finite), before any filtering: a lead
// with more than 5 % of its samples pinned within 0.5 % of its range at its minimum or maximum
// is clipped (the amplifier or the ADC saturated), e.g. "lead 'Abdomen_2' is clipped: 31 % of its
// samples sit at its extremes (amplifier or ADC saturated)". Clipping flattens the QRS
// complexes, which the extracted fECG no longer shows. Flat leads are reported by assess_quality.
std::vector<std::string> input_lead_warnings(const LeadMatrix& x_uv, const std::vector<std::string>& lead_names);

}  // namespace fecg
