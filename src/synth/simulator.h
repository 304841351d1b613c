// Simulated abdominal recordings with known truth, after the model behind FECGSYN:
// McSharry et al. 2003 (ECG as a sum of Gaussians in cardiac phase), Sameni et al. 2007 (rotating
// 3-D cardiac dipole, volume conductor), Behar et al. 2014 and Andreotti et al. 2016 (maternal +
// fetal dipoles, noise sources, SNR-based mixing as in FECGSYNDB).
//
//   fecg::SynthParams params;  params.duration_s = 60;  params.seed = 7;
//   fecg::SynthRecording sim = fecg::simulate(params);   // sim.mixture is a Recording in µV
#pragma once

#include "core/recording.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fecg {

// Real noise to mix in (MIT-BIH NSTDB "bw", "em", "ma"), each as a single-channel series in µV at
// fs_hz. Empty: the statistical generator (AR models of the same noise types) is used instead.
struct NoiseBank {
  double fs_hz = 0;
  std::vector<Signal> baseline_wander, electrode_motion, muscle_artifact;
  bool empty() const { return baseline_wander.empty() && electrode_motion.empty() && muscle_artifact.empty(); }
};

// The NSTDB records are read by io/nstdb.h load_nstdb (the simulator takes them as data).

// Scripted fetal heart-rate scenarios for CTG analysis (synth/scenario.h has the shapes).
enum class FhrScenario { steady, accelerations, decelerations, bradycardia, tachycardia, mixed };
// "steady", "accelerations", ... ↔ FhrScenario; parse throws fecg::Error naming the choices.
FhrScenario parse_fhr_scenario(const std::string& name);
std::string fhr_scenario_name(FhrScenario scenario);

// The truth of a scenario: the mean of its baseline curve over the recording and its events.
struct FhrEventTruth {
  std::string type;                 // "acceleration" or "deceleration"
  double start_s = 0, end_s = 0;    // where the rate leaves and returns to the baseline
  double extreme_bpm = 0;           // the rate at the plateau: baseline + the event's delta (no HRV)
};
struct FhrTruth {
  FhrScenario scenario = FhrScenario::steady;
  double baseline_bpm = 0;
  std::vector<FhrEventTruth> events;
  std::vector<double> baseline_1hz_bpm;  // the baseline curve at 0, 1, 2, ... s (for evaluation)
};
// {"scenario", "fhr_baseline_bpm", "fhr_events": [{"type","start_s","end_s","extreme_bpm"}]}.
std::string fhr_truth_json(const FhrTruth& truth);

// Valid ranges (simulate() throws fecg::Error outside them): duration_s >= 1, fs_hz in
// [100, 10000], n_leads × duration_s × fs_hz <= 1e8, SNRs finite within ±60 dB, maternal_bpm in
// [40, 140], fetal_bpm in [80, 220], ectopic_probability in [0, 0.5], maternal_peak_uv in (0, 1e5],
// maternal_qrs_sharpness in [0.2, 1].
struct SynthParams {
  double duration_s = 60.0;
  double fs_hz = 1000.0;
  int n_leads = 4;                        // abdominal leads, 1..32
  std::uint64_t seed = 1;
  std::optional<double> snr_fm_db;        // fetal-to-maternal power; default drawn N(-9, 2)
  std::optional<double> snr_mn_db;        // maternal-to-noise power; default drawn U(0, 12)
  std::optional<double> maternal_bpm;     // default drawn U(60, 100)
  std::optional<double> fetal_bpm;        // default drawn U(110, 160)
  bool heart_rate_events = true;          // fetal accelerations, decelerations, step changes
  // When set, the fetal rate follows this scenario (its baseline = fetal_bpm when given) instead
  // of the random events above, and SynthRecording::fhr_truth holds its truth. Unset (the
  // default), recordings are the same as before scenarios existed, seed for seed.
  std::optional<FhrScenario> fhr_scenario;
  double ectopic_probability = 0.0;       // per beat, for each heart
  bool fetal_movement = false;            // slow translation/rotation of the fetal heart
  bool powerline = true;                  // 50 or 60 Hz interference (part of the noise)
  double maternal_peak_uv = 1000.0;       // median maternal R amplitude on the leads before mixing
  // Width of the maternal Q, R and S waves relative to the adult norms, (0.2, 1]: below 1 the
  // sharper maternal QRS that many abdominal leads show (synth/vcg.h sharpen_qrs). Ectopic
  // maternal beats stay wide.
  double maternal_qrs_sharpness = 1.0;
};

struct SynthRecording {
  Recording mixture;                      // abdominal leads, µV, lead names "Abdomen_1".."Abdomen_K"
  LeadMatrix fetal_uv;                    // truth: fetal component per lead (leads × n)
  LeadMatrix maternal_uv;                 // truth: maternal component per lead
  LeadMatrix noise_uv;                    // truth: all noise per lead; mixture = fetal + maternal + noise
  BeatIndices fetal_peaks;                // fetal R-peak samples
  BeatIndices maternal_peaks;             // maternal R-peak samples
  double snr_fm_db = 0, snr_mn_db = 0;    // realised (as requested, or as drawn)
  double fetal_bpm = 0, maternal_bpm = 0; // mean rates
  std::optional<FhrTruth> fhr_truth;      // SynthParams::fhr_scenario's truth, when one was asked
};

// Deterministic for a given (params, noise bank): same seed, same recording on every platform
// (bit-identical between g++/glibc and em++/WASM as checked; only libm rounding could differ).
// R peaks are the samples nearest to each R-wave centre; fetal_bpm / maternal_bpm are
// 60 (N - 1) / (t_N - t_1) over the beats inside the recording. Parts live in src/synth:
// random.h (portable draws), rhythm.h (RR series), vcg.h (dipole waves), conductor.h (geometry
// and lead field), noise.h (NSTDB / AR noise, power line).
SynthRecording simulate(const SynthParams& params, const NoiseBank& noise = {});

}  // namespace fecg
