// FHNet training data: one simulated recording → windows the network learns from, cut and
// normalised by the SAME code the pipeline's FHNet stage runs at inference (fhnet_stage.h), after
// the SAME preprocessing (pipeline.h preprocess_leads). `fecg dataset` (src/cli/dataset.cpp)
// writes many of these as .npy files for scripts/fhnet/train.py.
//
//   fecg::FhnetDatasetParams p;                               // FECGSYNDB-like conditions
//   fecg::FhnetTrainingWindows w = fecg::make_fhnet_training_windows(42, p, noise_bank);
//   w.x       // n_windows × 8 × 1024: normalised input (padded leads are zeros, mask 0)
//   w.fecg    // n_windows × 8 × 1024: fetal component, same normalisation (÷ the input's scale)
//   w.rpeak   // n_windows × 1024: Gaussian bumps (sd rpeak_sd_s) at the fetal R peaks, max 1
//
// Conditions per recording (after Andreotti et al., Physiol. Meas. 37:627, 2016, FECGSYNDB,
// widened to what real recordings show): SNRfm ~ U(-18, -4) dB and SNRmn ~ U(0, 24) dB unless
// fixed (FECGSYNDB: -9 ± 2 and 0..12; clean real recordings sit outside that — Challenge 2013
// a09, a16, a18 have maternal R peaks 25-45 robust-scale units high against the 95th percentile
// 21 of FECGSYNDB-like windows, and a network that never saw so clean a mother passes her
// through), heart-rate events, ectopic beats, fetal movement, respiration (always), 2..8 randomly
// placed electrodes, NSTDB noise when a bank is given, maternal R amplitude drawn log-normally
// around 100 µV within 30..1000 µV (real abdominal leads), and heart rates drawn from ranges
// that overlap: maternal 55–130 bpm (labour and maternal tachycardia reach 110–130: Challenge 2013
// a02, a10, a18), fetal 100–180 bpm. A network trained on the simulator's narrower defaults
// (maternal 60–100, fetal 110–160) can learn "the faster QRS train is the fetus" and then reports
// a 100–130 bpm mother as the fetus; with the overlap, rate alone cannot tell them apart.
// Seeds: training uses seeds < kFhnetTestSeedStart; the simulated test set uses seeds >= it.
#pragma once

#include "core/types.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace fecg {

constexpr std::uint64_t kFhnetTestSeedStart = 900000;
constexpr int kFhnetPaddedLeads = 8;   // FhnetModel::kMaxLeads: every window is padded to it

struct FhnetDatasetParams {
  double duration_s = 30.0;        // per simulated recording
  // Simulated at 500 Hz and resampled to 250 Hz by the pipeline's preprocessing, as real
  // recordings (1 kHz ADFECGDB and Challenge 2013) are; half the cost of simulating at 1 kHz.
  double sim_fs_hz = 500.0;
  int min_leads = 2, max_leads = 8;
  int window = 1024;               // the model's window (250 Hz)
  int hop = 512;                   // training windows overlap by half: more windows per simulation
  double rpeak_sd_s = 0.010;       // R-peak target: Gaussian of 10 ms sd (±1 sample accuracy at 250 Hz)
  double ectopic_record_probability = 0.3;  // share of recordings with ectopic beats...
  double ectopic_max = 0.05;       // ...at a per-beat probability drawn U(0, ectopic_max)
  double fetal_movement_probability = 0.5;
  double maternal_peak_median_uv = 100.0, maternal_peak_log_sd = 0.7;  // ln-normal draw, clamped:
  double maternal_peak_min_uv = 30.0, maternal_peak_max_uv = 1000.0;
  double maternal_bpm_min = 55.0, maternal_bpm_max = 130.0;  // mean rates, drawn uniformly
  double fetal_bpm_min = 100.0, fetal_bpm_max = 180.0;       // (simulator limits: 40–140, 80–220)
  // Maternal Q/R/S width factor (SynthParams::maternal_qrs_sharpness), drawn uniformly. Real
  // abdominal leads show maternal R waves from as wide as the adult norms (factor 1) to as sharp
  // as a fetal one (half-amplitude 10-20 ms on Challenge 2013 a02, a09, a16, a18): a network
  // trained on factor 1 only learns "narrow spike = fetus" and passes such a mother through.
  double maternal_qrs_sharpness_min = 0.35, maternal_qrs_sharpness_max = 1.0;
  double snr_fm_min_db = -18.0, snr_fm_max_db = -4.0;  // drawn uniformly (simulator: -40..40)...
  double snr_mn_min_db = 0.0, snr_mn_max_db = 24.0;
  std::optional<double> snr_fm_db, snr_mn_db;  // ...unless fixed (test bands)
  PipelineParams preprocessing;    // analysis rate, filters, notch (as the pipeline's defaults)
};

// What was drawn for one recording (the manifest lists these).
struct FhnetRecordConditions {
  std::uint64_t seed = 0;
  int n_leads = 0;
  double snr_fm_db = 0, snr_mn_db = 0, fetal_bpm = 0, maternal_bpm = 0;
  double maternal_peak_uv = 0, ectopic_probability = 0, powerline_hz = 0, maternal_qrs_sharpness = 1;
  bool fetal_movement = false;
  std::int64_t n_fetal_peaks = 0;
};

struct FhnetTrainingWindows {
  int n_windows = 0;
  int window = 0;
  std::vector<float> x;             // n_windows × 8 × window, normalised input
  std::vector<float> fecg;          // n_windows × 8 × window, fetal target, same normalisation
  std::vector<float> rpeak;         // n_windows × window, 0..1
  std::vector<std::uint8_t> mask;   // n_windows × 8: 1 for a real lead
  std::vector<float> scale_uv;      // n_windows × 8: x_uv = x × scale + center (padded: 1)
  std::vector<float> center_uv;     // n_windows × 8 (padded: 0)
  std::vector<std::int64_t> start;  // n_windows: first sample of the window at 250 Hz
  FhnetRecordConditions conditions;
};

// Simulates recording `seed` (its conditions drawn from a stream derived from the seed, so the
// same seed always gives the same windows), preprocesses it as run_pipeline does, and cuts it.
// The fetal target is the simulated fetal component filtered by the same (linear) filters with
// the notch chosen on the mixture, divided by the input window's scale. Throws fecg::Error on
// invalid parameters (ranges named in the message).
FhnetTrainingWindows make_fhnet_training_windows(std::uint64_t seed, const FhnetDatasetParams& params,
                                                 const NoiseBank& noise = {});

// The R-peak target: for every sample the largest exp(-½ ((i - p) / sd)²) over the peaks p
// (samples), 0 far from any peak. sd_samples > 0.
Signal rpeak_target(const BeatIndices& peaks, std::int64_t n, double sd_samples);

// rpeak_target over [0, n) cut into the windows that begin at `starts` (fhnet_window_starts):
// starts.size() × window floats, zero past n. The same target for simulated recordings
// (make_fhnet_training_windows) and for real ones with reference beats (`fecg windows --ref`).
std::vector<float> rpeak_target_windows(const BeatIndices& peaks, std::int64_t n, const std::vector<std::int64_t>& starts,
                                        int window, double sd_samples);

}  // namespace fecg
