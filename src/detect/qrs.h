// QRS detection: maternal beats across all abdominal leads, fetal beats on extracted signals.
#pragma once

#include "core/types.h"
#include "detect/fetal_range.h"

namespace fecg {

struct MaternalQrsParams {
  double band_low_hz = 5.0;      // QRS energy band of Pan & Tompkins (1985)
  double band_high_hz = 20.0;
  double refractory_s = 0.25;    // no two maternal beats closer than this (240 bpm)
  double integration_s = 0.10;   // moving-window integration ~ a QRS width
};

// Multi-lead Pan–Tompkins-style maternal QRS detector (pan_tompkins_1985 per lead, fused across
// leads weighted by each lead's beat regularity and by the agreement of its beats with the
// maternal rhythm: of two distinct regular rhythms found in different leads, the slower), with R
// peaks refined on the band-passed lead of largest amplitude. x_uv: leads × n, µV. Returns
// ascending sample indices.
BeatIndices detect_maternal_qrs(const LeadMatrix& x_uv, double fs_hz,
                                const MaternalQrsParams& params = {});

struct FetalQrsParams {
  double band_low_hz = 10.0;     // fetal QRS is narrower (~40 ms) than the maternal one
  double band_high_hz = 45.0;
  double min_bpm = kFetalMinBpm;  // physiological fetal range used for the refractory period
  double max_bpm = kFetalMaxBpm;  //   and for rejecting impossible RR intervals
};

// Fetal QRS detection on extracted fetal signals (leads × n, any units): each channel is scored
// by how periodic its candidate beats are in the fetal range, the best channels are fused, and
// peaks are picked with a refractory period of 60 / max_bpm seconds. `r_peak_probability`, when
// non-empty (length n, values 0..1, e.g. FHNet's R-peak head), is fused with the signals.
BeatIndices detect_fetal_qrs(const LeadMatrix& fecg, double fs_hz, const FetalQrsParams& params = {},
                             const Signal& r_peak_probability = Signal());

struct FetalBeats {
  BeatIndices beats;    // detect_fetal_qrs's: adaptive thresholds
  // The same detection function tracked from the most regular stretch of `beats`: each beat the
  // highest point near where the rhythm predicts one (Varanini et al., CinC 2013). Steadier through
  // noise, blind to sudden rate changes: the pipeline uses it where it agrees with `beats`. Empty
  // when `beats` has fewer than 4 beats.
  BeatIndices tracked;
};

// detect_fetal_qrs, and the tracked beats of the same detection function.
FetalBeats detect_fetal_beats(const LeadMatrix& fecg, double fs_hz, const FetalQrsParams& params = {},
                              const Signal& r_peak_probability = Signal());

}  // namespace fecg
