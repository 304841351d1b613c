// run_pipeline's own properties, on seeded simulations with known truth, for every method and with
// the candidate pool on and off: lengths kept; beats ascending and inside the recording; fetal F1
// and FHR against the truth; the quality grid and its reliability verdicts consistent with the
// summary figures; progress monotone from 0 to 1; the input untouched; a cancel honoured.
#include <doctest/doctest.h>

#include "eval/metrics.h"
#include "fhnet_test_support.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

fecg::SynthRecording simulate_for_pipeline(std::uint64_t seed) {
  fecg::SynthParams p;
  p.duration_s = 40.0;
  p.fs_hz = 500.0;  // not the analysis rate: the output stage must come back to it
  p.n_leads = 4;
  p.seed = seed;
  p.snr_mn_db = 9.0;
  p.snr_fm_db = -8.0;
  return fecg::simulate(p);
}

fecg::PipelineParams params_for(fecg::Method method, bool pooled) {
  fecg::PipelineParams params;
  params.method = method;
  params.candidate_pool = pooled;
  if (method == fecg::Method::fhnet) params.fhnet_model = fecg_test::trained_model();
  return params;
}

}  // namespace

TEST_CASE("run_pipeline: every method, pool on and off, keeps lengths, finds the beats and the rate") {
  const fecg::SynthRecording sim = simulate_for_pipeline(2026);
  const fecg::Recording& rec = sim.mixture;
  const fecg::Recording before = rec;
  const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
  const fecg::HeartRateSeries true_fhr = fecg::heart_rate(sim.fetal_peaks, rec.fs_hz);
  REQUIRE(true_fhr.mean_bpm.has_value());
  for (const fecg::Method method :
       {fecg::Method::template_subtraction, fecg::Method::ica, fecg::Method::ts_ica, fecg::Method::fhnet}) {
    for (const bool pooled : {false, true}) {
      CAPTURE(fecg::method_name(method));
      CAPTURE(pooled);
      const fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params_for(method, pooled));
      CHECK(out.method == method);
      CHECK(out.fs_hz == rec.fs_hz);
      CHECK(out.fecg_uv.rows() == static_cast<Eigen::Index>(roles.abdominal.size()));
      CHECK(out.fecg_uv.cols() == rec.n_samples());
      CHECK(out.fecg_uv.allFinite());
      CHECK(out.lead_names.size() == roles.abdominal.size());
      for (const fecg::BeatIndices* beats : {&out.fetal_beats, &out.maternal_beats}) {
        REQUIRE_FALSE(beats->empty());
        CHECK(std::is_sorted(beats->begin(), beats->end()));
        CHECK(beats->front() >= 0);
        CHECK(beats->back() < rec.n_samples());
      }
      const double f1 = fecg::score_beats(sim.fetal_peaks, out.fetal_beats, rec.fs_hz).f1;
      const double maternal_f1 = fecg::score_beats(sim.maternal_peaks, out.maternal_beats, rec.fs_hz).f1;
      const std::string how = fecg::method_name(method) + (pooled ? " in the pool" : " alone");
      MESSAGE(how << ": fetal F1 " << f1 << ", maternal F1 " << maternal_f1);
      CHECK(maternal_f1 >= 0.99);
      CHECK(f1 >= (method == fecg::Method::ica && !pooled ? 0.85 : 0.95));

      // The quality grid of 10 s windows covers the recording; every window has a verdict; the
      // summary's figures come from the reliable ones and are within 2 bpm of the truth.
      REQUIRE(out.quality.windows.size() == 4);
      CHECK(out.fusion_windows.size() == out.quality.windows.size());
      int reliable = 0;
      for (const fecg::QualityWindow& w : out.quality.windows) {
        CHECK(w.confidence >= 0.0);
        CHECK(w.confidence <= 1.0);
        CHECK(w.reliable == w.why_unreliable.empty());
        CHECK_FALSE(w.source.empty());
        reliable += w.reliable ? 1 : 0;
      }
      CHECK(out.fhr.reliable.size() == out.fhr.bpm.size());
      CHECK(out.fhr.mean_bpm.has_value() == (reliable > 0));
      if (f1 >= 0.95) {
        CHECK(reliable >= 3);
        REQUIRE(out.fhr.mean_bpm.has_value());
        // The same statistic of the true beats (smoothed beat-to-beat rate, the simulator's rate
        // events included).
        CHECK(std::abs(*out.fhr.mean_bpm - *true_fhr.mean_bpm) <= 2.0);
        CHECK(*out.fhr.min_bpm <= *out.fhr.mean_bpm);
        CHECK(*out.fhr.max_bpm >= *out.fhr.mean_bpm);
      }
      if (!pooled) {
        for (const fecg::QualityWindow& w : out.quality.windows)
          if (!w.source.empty()) CHECK(w.source == fecg::method_name(method));
      }
    }
  }
  // Nothing the caller gave was modified.
  CHECK(rec.samples_uv.cwiseEqual(before.samples_uv).all());
  CHECK(rec.lead_names == before.lead_names);
  CHECK(rec.fs_hz == before.fs_hz);
}

TEST_CASE("run_pipeline: progress is monotone from 0 to 1 and a cancel is honoured") {
  const fecg::SynthRecording sim = simulate_for_pipeline(7);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(sim.mixture);
  std::vector<double> fractions;
  std::vector<std::string> stages;
  fecg::run_pipeline(sim.mixture, roles, params_for(fecg::Method::fhnet, true), [&](double f, const std::string& stage) {
    fractions.push_back(f);
    stages.push_back(stage);
    return true;
  });
  REQUIRE(fractions.size() >= 5);
  CHECK(fractions.front() == 0.0);
  CHECK(fractions.back() == 1.0);
  CHECK(std::is_sorted(fractions.begin(), fractions.end()));
  CHECK(stages.back() == "done");

  // Cancelled at the extraction stage: run_pipeline throws Cancelled and reports nothing after.
  int calls_after_cancel = 0;
  bool cancelled = false;
  CHECK_THROWS_AS(fecg::run_pipeline(sim.mixture, roles, params_for(fecg::Method::ts_ica, true),
                                     [&](double, const std::string& stage) {
                                       if (cancelled) ++calls_after_cancel;
                                       if (stage.rfind("fetal ECG extraction", 0) == 0) cancelled = true;
                                       return !cancelled;
                                     }),
                  fecg::Cancelled);
  CHECK(cancelled);
  CHECK(calls_after_cancel == 0);
}

TEST_CASE("run_pipeline: a recording of noise alone has no reliable window and no fetal rate") {
  // 30 s of white noise on 4 leads: whatever beats the detectors pick are irregular; nothing may be
  // shown as a fetal rate, and the summary says so rather than clamping.
  fecg::Recording noise;
  noise.fs_hz = 250.0;
  noise.samples_uv = fecg::LeadMatrix::Random(4, 30 * 250) * 50.0f;
  for (int l = 0; l < 4; ++l) {
    noise.lead_names.push_back("Abdomen_" + std::to_string(l + 1));
    noise.units.push_back("uV");
  }
  for (const bool pooled : {false, true}) {
    CAPTURE(pooled);
    const fecg::PipelineResult out =
        fecg::run_pipeline(noise, fecg::guess_lead_roles(noise), params_for(fecg::Method::ts_ica, pooled));
    int reliable = 0;
    for (const fecg::QualityWindow& w : out.quality.windows) reliable += w.reliable ? 1 : 0;
    CHECK(reliable == 0);
    CHECK_FALSE(out.fhr.mean_bpm.has_value());
    CHECK_FALSE(out.fhr.min_bpm.has_value());
  }
}
