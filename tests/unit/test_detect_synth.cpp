// The detectors on simulated abdominal recordings (src/synth, FECGSYN-like: rotating maternal and
// fetal dipoles, realistic noise) whose true maternal and fetal R peaks are known. Input prepared
// as the pipeline does: 1000 Hz → 250 Hz, notch where hum is found, band-pass 1-100 Hz.
// Seeds 1 and 5 are kept on purpose: in two of their four leads the fetal QRS is as large as the
// maternal one, which made an earlier version of the maternal detector lock on the fetus.
#include <doctest/doctest.h>

#include "detect/qrs.h"
#include "core/error.h"
#include "detect/quality.h"
#include "dsp/filter.h"
#include "dsp/resample.h"
#include "eval/metrics.h"
#include "synth/simulator.h"

namespace {

constexpr double kFs = 250.0;

fecg::LeadMatrix prepare(const fecg::LeadMatrix& x, double fs_hz) {
  const double hum_hz = fecg::detect_powerline_hz(x, fs_hz);
  fecg::LeadMatrix y = fecg::resample(x, fs_hz, kFs);
  if (hum_hz > 0) fecg::sosfiltfilt_rows(fecg::notch(hum_hz, 30.0, kFs), y);
  fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, 1.0, 100.0, kFs), y);
  return y;
}

}  // namespace

TEST_CASE("detect on simulated recordings: maternal and fetal beats against the simulator's truth") {
  for (const std::uint64_t seed : {1u, 4u, 5u, 8u}) {
    CAPTURE(seed);
    fecg::SynthParams params;
    params.duration_s = 60.0;
    params.fs_hz = 1000.0;
    params.seed = seed;
    const fecg::SynthRecording sim = fecg::simulate(params);
    const fecg::BeatIndices maternal_truth = fecg::rescale_indices(sim.maternal_peaks, params.fs_hz, kFs);
    const fecg::BeatIndices fetal_truth = fecg::rescale_indices(sim.fetal_peaks, params.fs_hz, kFs);

    // Maternal beats on the mixture (all four leads).
    const fecg::LeadMatrix mixture = prepare(sim.mixture.samples_uv, params.fs_hz);
    const fecg::BeatScore maternal = fecg::score_beats(maternal_truth, fecg::detect_maternal_qrs(mixture, kFs), kFs);
    CHECK(maternal.f1 >= 0.99);

    // Fetal beats after an ideal maternal cancellation: fetal component plus all the noise.
    const fecg::LeadMatrix residual = prepare(sim.fetal_uv + sim.noise_uv, params.fs_hz);
    const fecg::BeatIndices fetal = fecg::detect_fetal_qrs(residual, kFs);
    CHECK(fecg::score_beats(fetal_truth, fetal, kFs).f1 >= 0.98);

    // Quality: the clean fetal component scores high, the noise alone low (same beats).
    const fecg::SignalQuality clean = fecg::assess_quality(prepare(sim.fetal_uv, params.fs_hz), fetal, kFs, {});
    const fecg::SignalQuality noise = fecg::assess_quality(prepare(sim.noise_uv, params.fs_hz), fetal, kFs, {});
    CHECK(clean.sqi >= 0.9f);
    CHECK(noise.sqi <= 0.45f);
  }
}

TEST_CASE("detect on simulated recordings: maternal beats when a fetal rhythm close to the maternal rate dominates two leads") {
  // Seed 51: maternal 99 bpm, fetal 111 bpm (only 12 % faster), and in leads 1 and 3 the fetal QRS
  // is 2-4 × the maternal one, so that those leads alone give a regular fetal rhythm. A version of
  // the detector that left out only leads more than 15 % faster than the slowest one fused them
  // and scored F1 0.65; grouping leads by rhythm and weighting them by agreement with the slower
  // rhythm gives 1.0.
  fecg::SynthParams params;
  params.duration_s = 60.0;
  params.fs_hz = 1000.0;
  params.seed = 51;
  const fecg::SynthRecording sim = fecg::simulate(params);
  REQUIRE(sim.fetal_bpm < 1.15 * sim.maternal_bpm);  // the case this test is about
  const fecg::BeatIndices maternal_truth = fecg::rescale_indices(sim.maternal_peaks, params.fs_hz, kFs);
  const fecg::LeadMatrix mixture = prepare(sim.mixture.samples_uv, params.fs_hz);
  CHECK(fecg::score_beats(maternal_truth, fecg::detect_maternal_qrs(mixture, kFs), kFs).f1 >= 0.99);
}

TEST_CASE("quality with maternal beats: maternal residue taken for fetal beats is rated low, true fetal beats are not") {
  fecg::SynthParams params;
  params.duration_s = 60.0;
  params.fs_hz = 1000.0;
  params.seed = 1;
  const fecg::SynthRecording sim = fecg::simulate(params);
  const fecg::BeatIndices maternal = fecg::rescale_indices(sim.maternal_peaks, params.fs_hz, kFs);
  const fecg::BeatIndices fetal = fecg::rescale_indices(sim.fetal_peaks, params.fs_hz, kFs);
  const fecg::LeadMatrix maternal_part = prepare(sim.maternal_uv, params.fs_hz);
  const fecg::LeadMatrix fetal_part = prepare(sim.fetal_uv, params.fs_hz);
  const auto has_residue_warning = [](const fecg::SignalQuality& q) {
    for (const std::string& w : q.warnings)
      if (w.find("maternal residue") != std::string::npos) return true;
    return false;
  };

  // A fetal detector locked on maternal residue: maternal waveforms and beats. The plain indices
  // cannot tell (regular, alike beats: SQI ~1, the limitation stated in quality.h) ...
  const fecg::SignalQuality blind = fecg::assess_quality(maternal_part, maternal, kFs, {});
  CHECK(blind.sqi >= 0.8f);
  // ... the maternal-aware overload can: every beat is on a maternal one at the maternal rate.
  const fecg::SignalQuality aware = fecg::assess_quality(maternal_part, maternal, maternal, kFs, {});
  CHECK(aware.sqi <= 0.1f);
  CHECK(has_residue_warning(aware));
  // Half the maternal beats (a train locked to every other maternal beat) is caught too.
  fecg::BeatIndices every_other;
  for (std::size_t i = 0; i < maternal.size(); i += 2) every_other.push_back(maternal[i]);
  CHECK(fecg::assess_quality(maternal_part, every_other, maternal, kFs, {}).sqi <= 0.1f);

  // True fetal beats (139 bpm against 83 bpm, unlocked): the SQI is that of the plain indices.
  const fecg::SignalQuality plain = fecg::assess_quality(fetal_part, fetal, kFs, {});
  const fecg::SignalQuality fetal_aware = fecg::assess_quality(fetal_part, fetal, maternal, kFs, {});
  CHECK(fetal_aware.sqi >= 0.9f);
  CHECK(fetal_aware.sqi >= plain.sqi - 0.02f);
  CHECK_FALSE(has_residue_warning(fetal_aware));

  // Bad maternal beats are refused with a message.
  CHECK_THROWS_AS(fecg::assess_quality(fetal_part, fetal, fecg::BeatIndices{-1, 5, 9}, kFs, {}), fecg::Error);
}
