// Beat times of one heart: a heart-rate curve (mean + variability + events) integrated beat by
// beat, with optional premature (ectopic) beats.
#pragma once

#include "synth/random.h"
#include "synth/vcg.h"

#include <vector>

namespace fecg::synth {

// A scripted heart-rate curve (fecg synth --fhr-scenario, synth/scenario.h): a wandering baseline
// (a mean plus slow cosines) and events, each a smooth departure of delta_bpm from the baseline.
struct ScriptedEvent {
  double start_s = 0, end_s = 0;   // where the rate leaves and returns to the baseline
  double onset_s = 0;              // start to the extreme (the plateau begins)
  double recovery_s = 0;           // end of the plateau to end_s
  double delta_bpm = 0;            // > 0 acceleration, < 0 deceleration
  double at(double t_s) const;     // departure from the baseline at t_s, bpm
};

struct ScriptedRate {
  double mean_bpm = 140;
  std::vector<double> wander_amp_bpm, wander_freq_hz, wander_phase;  // the baseline's slow cosines
  std::vector<ScriptedEvent> events;
  double baseline_at(double t_s) const;
  double at(double t_s) const { return baseline_at(t_s) + events_at(t_s); }
  double events_at(double t_s) const;
};

struct RhythmParams {
  double mean_bpm = 75;           // realised mean over the recording (60 (N-1) / (t_N - t_1))
  double hrv_sd_bpm = 2;          // standard deviation of the heart-rate variability component
  double lf_hz = 0.1, hf_hz = 0.25;   // centres of the bimodal HRV spectrum (McSharry 2003)
  double lf_hf_ratio = 0.5;       // power ratio of the two bumps (McSharry 2003 default)
  bool events = false;            // fetal accelerations, decelerations, baseline steps
  double ectopic_probability = 0; // per beat
  double min_bpm = 30, max_bpm = 250;  // instantaneous rate is clipped to this range
  // When set, the rate is script->at(t) + HRV: mean_bpm and events are ignored and no mean-rate
  // matching is done (the script's baseline is the truth). Not owned; must outlive the call.
  const ScriptedRate* script = nullptr;
};

// Beats covering [-1 s, duration_s + 1 s] so that waves of beats just outside the recording show
// at its edges. The first beat falls at a random phase. Throws nothing for valid params.
std::vector<Beat> generate_rhythm(const RhythmParams& params, double duration_s, Rng& rng);

// 60 (N-1) / (t_last - t_first) over the beats with 0 <= time < duration_s; 0 when fewer than 2.
double mean_rate_bpm(const std::vector<Beat>& beats, double duration_s);

}  // namespace fecg::synth
