#include "pipeline/fhnet_dataset.h"

#include "core/error.h"
#include "dsp/resample.h"
#include "pipeline/fhnet_stage.h"
#include "synth/random.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace fecg {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("make_fhnet_training_windows: " + what);
}

void validate(const FhnetDatasetParams& p) {
  require(std::isfinite(p.duration_s) && p.duration_s * p.preprocessing.analysis_fs_hz >= p.window,
          "duration_s must hold at least one window (" + std::to_string(p.window) + " samples at " +
              std::to_string(p.preprocessing.analysis_fs_hz) + " Hz), got " + std::to_string(p.duration_s) + " s");
  require(p.min_leads >= 1 && p.min_leads <= p.max_leads && p.max_leads <= kFhnetPaddedLeads,
          "expected 1 <= min_leads <= max_leads <= 8, got " + std::to_string(p.min_leads) + ".." +
              std::to_string(p.max_leads));
  require(p.hop >= 1 && p.hop <= p.window, "expected 1 <= hop <= window");
  require(std::isfinite(p.rpeak_sd_s) && p.rpeak_sd_s > 0, "rpeak_sd_s must be > 0");
  require(p.ectopic_record_probability >= 0 && p.ectopic_record_probability <= 1 && p.ectopic_max >= 0 &&
              p.ectopic_max <= 0.5,
          "expected ectopic_record_probability in [0, 1] and ectopic_max in [0, 0.5]");
  require(p.fetal_movement_probability >= 0 && p.fetal_movement_probability <= 1,
          "fetal_movement_probability must be in [0, 1]");
  require(p.maternal_peak_min_uv > 0 && p.maternal_peak_min_uv <= p.maternal_peak_max_uv &&
              p.maternal_peak_max_uv <= 1e5 && p.maternal_peak_median_uv > 0 && p.maternal_peak_log_sd >= 0,
          "expected 0 < maternal_peak_min_uv <= maternal_peak_max_uv <= 1e5 µV");
  require(p.maternal_bpm_min >= 40 && p.maternal_bpm_min <= p.maternal_bpm_max && p.maternal_bpm_max <= 140,
          "expected 40 <= maternal_bpm_min <= maternal_bpm_max <= 140, got " + std::to_string(p.maternal_bpm_min) +
              ".." + std::to_string(p.maternal_bpm_max));
  require(std::isfinite(p.snr_fm_min_db) && std::isfinite(p.snr_fm_max_db) && p.snr_fm_min_db <= p.snr_fm_max_db &&
              std::isfinite(p.snr_mn_min_db) && std::isfinite(p.snr_mn_max_db) && p.snr_mn_min_db <= p.snr_mn_max_db &&
              p.snr_fm_min_db >= -60 && p.snr_fm_max_db <= 60 && p.snr_mn_min_db >= -60 && p.snr_mn_max_db <= 60,
          "expected SNR ranges min <= max within -60..60 dB");
  require(p.maternal_qrs_sharpness_min >= 0.2 && p.maternal_qrs_sharpness_min <= p.maternal_qrs_sharpness_max &&
              p.maternal_qrs_sharpness_max <= 1.0,
          "expected 0.2 <= maternal_qrs_sharpness_min <= maternal_qrs_sharpness_max <= 1");
  require(p.fetal_bpm_min >= 80 && p.fetal_bpm_min <= p.fetal_bpm_max && p.fetal_bpm_max <= 220,
          "expected 80 <= fetal_bpm_min <= fetal_bpm_max <= 220, got " + std::to_string(p.fetal_bpm_min) + ".." +
              std::to_string(p.fetal_bpm_max));
}

}  // namespace

Signal rpeak_target(const BeatIndices& peaks, std::int64_t n, double sd_samples) {
  if (!(sd_samples > 0) || !std::isfinite(sd_samples))
    throw Error("rpeak_target: sd_samples must be a positive number, got " + std::to_string(sd_samples));
  if (n < 0) throw Error("rpeak_target: negative length");
  Signal target = Signal::Zero(n);
  // Beyond 5 sd the Gaussian is < 4e-6: not worth writing.
  const auto reach = static_cast<std::int64_t>(std::ceil(5.0 * sd_samples));
  for (const std::int64_t p : peaks) {
    for (std::int64_t i = std::max<std::int64_t>(0, p - reach); i <= std::min(n - 1, p + reach); ++i) {
      const double z = static_cast<double>(i - p) / sd_samples;
      target(i) = std::max(target(i), static_cast<float>(std::exp(-0.5 * z * z)));
    }
  }
  return target;
}

std::vector<float> rpeak_target_windows(const BeatIndices& peaks, std::int64_t n, const std::vector<std::int64_t>& starts,
                                        int window, double sd_samples) {
  if (window < 1) throw Error("rpeak_target_windows: window must be >= 1, got " + std::to_string(window));
  const Signal target = rpeak_target(peaks, n, sd_samples);
  const auto W = static_cast<std::size_t>(window);
  std::vector<float> out(starts.size() * W, 0.0f);
  for (std::size_t w = 0; w < starts.size(); ++w) {
    const std::int64_t s = starts[w];
    if (s < 0) throw Error("rpeak_target_windows: negative window start " + std::to_string(s));
    for (std::int64_t i = 0; i < window && s + i < n; ++i) out[w * W + static_cast<std::size_t>(i)] = target(s + i);
  }
  return out;
}

FhnetTrainingWindows make_fhnet_training_windows(std::uint64_t seed, const FhnetDatasetParams& params,
                                                 const NoiseBank& noise) {
  validate(params);
  // The recording's conditions come from their own stream (not the simulator's), so that they do
  // not shift the simulator's draws; the constant only decorrelates it from Rng(seed).
  synth::Rng rng(seed ^ 0x5DEECE66Dull);
  FhnetRecordConditions c;
  c.seed = seed;
  c.n_leads = params.min_leads + static_cast<int>(rng.index(static_cast<std::uint64_t>(params.max_leads - params.min_leads + 1)));
  const bool ectopic = rng.bernoulli(params.ectopic_record_probability);
  const double ectopic_draw = rng.uniform(0.0, params.ectopic_max);
  c.ectopic_probability = ectopic ? ectopic_draw : 0.0;
  c.fetal_movement = rng.bernoulli(params.fetal_movement_probability);
  const double log_amp = rng.normal(std::log(params.maternal_peak_median_uv), params.maternal_peak_log_sd);
  c.maternal_peak_uv = std::clamp(std::exp(log_amp), params.maternal_peak_min_uv, params.maternal_peak_max_uv);
  // Drawn last, so the draws above stay what they were before rates were drawn here.
  const double maternal_bpm = rng.uniform(params.maternal_bpm_min, params.maternal_bpm_max);
  const double fetal_bpm = rng.uniform(params.fetal_bpm_min, params.fetal_bpm_max);
  const double snr_fm_draw = rng.uniform(params.snr_fm_min_db, params.snr_fm_max_db);
  const double snr_mn_draw = rng.uniform(params.snr_mn_min_db, params.snr_mn_max_db);
  c.maternal_qrs_sharpness = rng.uniform(params.maternal_qrs_sharpness_min, params.maternal_qrs_sharpness_max);

  SynthParams sp;
  sp.duration_s = params.duration_s;
  sp.fs_hz = params.sim_fs_hz;
  sp.n_leads = c.n_leads;
  sp.seed = seed;
  sp.snr_fm_db = params.snr_fm_db.value_or(snr_fm_draw);
  sp.snr_mn_db = params.snr_mn_db.value_or(snr_mn_draw);
  sp.heart_rate_events = true;
  sp.ectopic_probability = c.ectopic_probability;
  sp.fetal_movement = c.fetal_movement;
  sp.maternal_peak_uv = c.maternal_peak_uv;
  sp.maternal_bpm = maternal_bpm;
  sp.fetal_bpm = fetal_bpm;
  sp.maternal_qrs_sharpness = c.maternal_qrs_sharpness;
  const SynthRecording sim = simulate(sp, noise);
  c.snr_fm_db = sim.snr_fm_db;
  c.snr_mn_db = sim.snr_mn_db;
  c.fetal_bpm = sim.fetal_bpm;
  c.maternal_bpm = sim.maternal_bpm;

  // Stage 1 of the pipeline on the mixture; the same filters on the fetal truth.
  const PipelineParams& pp = params.preprocessing;
  const double afs = pp.analysis_fs_hz;
  const LeadMatrix x = preprocess_leads(sim.mixture.samples_uv, sp.fs_hz, pp, c.powerline_hz);
  const LeadMatrix fetal = preprocess_leads_with_notch(sim.fetal_uv, sp.fs_hz, pp, c.powerline_hz);
  require(x.cols() == fetal.cols(), "mixture and fetal truth differ in length after preprocessing");
  const std::int64_t n = x.cols();
  BeatIndices peaks = rescale_indices(sim.fetal_peaks, sp.fs_hz, afs);
  peaks.erase(std::remove_if(peaks.begin(), peaks.end(), [n](std::int64_t p) { return p < 0 || p >= n; }), peaks.end());
  c.n_fetal_peaks = static_cast<std::int64_t>(peaks.size());

  FhnetTrainingWindows out;
  out.conditions = c;
  out.window = params.window;
  out.start = fhnet_window_starts(n, params.window, params.hop);
  out.n_windows = static_cast<int>(out.start.size());
  const std::size_t nw = out.start.size(), W = static_cast<std::size_t>(params.window), L = kFhnetPaddedLeads;
  out.x.assign(nw * L * W, 0.0f);
  out.fecg.assign(nw * L * W, 0.0f);
  out.rpeak = rpeak_target_windows(peaks, n, out.start, params.window, params.rpeak_sd_s * afs);
  out.mask.assign(nw * L, 0);
  out.scale_uv.assign(nw * L, 1.0f);
  out.center_uv.assign(nw * L, 0.0f);
  for (std::size_t w = 0; w < nw; ++w) {
    const std::int64_t s = out.start[w];
    const NormalizedWindow nwin = normalize_fhnet_window(x, s, params.window);
    const std::int64_t have = std::min<std::int64_t>(params.window, n - s);
    for (int k = 0; k < c.n_leads; ++k) {
      const std::size_t base = (w * L + static_cast<std::size_t>(k)) * W;
      const float scale = nwin.scaling.scale_uv(k);
      for (std::size_t i = 0; i < W; ++i) out.x[base + i] = nwin.x(k, static_cast<Eigen::Index>(i));
      // Scale only: the network outputs fetal ECG "in the input lead's units", de-normalised by
      // × scale (no offset; the band-passed fetal component has no DC).
      for (std::int64_t i = 0; i < have; ++i) out.fecg[base + static_cast<std::size_t>(i)] = fetal(k, s + i) / scale;
      out.mask[w * L + static_cast<std::size_t>(k)] = 1;
      out.scale_uv[w * L + static_cast<std::size_t>(k)] = scale;
      out.center_uv[w * L + static_cast<std::size_t>(k)] = nwin.scaling.center_uv(k);
    }
  }
  return out;
}

}  // namespace fecg
