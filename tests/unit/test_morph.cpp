// Morphology (src/morph/): the delineator of Martínez et al. 2004 on synthetic beats with known
// wave positions, at adult and fetal scales; the averaged beat and its intervals on a seeded
// synthetic recording; refusals (noise only, too few beats, no T wave); the QT Database when
// present (../shared/data/qtdb).
#include "core/error.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "morph/morphology.h"
#include "morph/record_waves.h"
#include "pipeline/pipeline.h"
#include "pipeline/stream.h"
#include "synth/simulator.h"
#include "dsp/resample.h"
#include "shared_data.h"

#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <random>
#include <vector>

namespace {

// A beat as a sum of Gaussian waves: centre (s from R), width sd (s), amplitude (µV).
struct Wave {
  double centre_s, sd_s, amp_uv;
};

// Adult: P at −180 ms, Q −25, R 0, S +25, T +300 ms (QT ≈ 400 ms at RR 0.8 s). `scale` compresses
// time (fetal: 0.55) and `t_amp` sets the T wave (0: none).
std::vector<Wave> beat_shape(double scale, double t_amp = 300) {
  std::vector<Wave> w = {{-0.180, 0.020, 120}, {-0.025, 0.008, -150}, {0.0, 0.010, 1500}, {0.025, 0.009, -300}};
  if (t_amp != 0) w.push_back({0.300, 0.045, t_amp});
  for (auto& x : w) {
    x.centre_s *= scale;
    x.sd_s *= scale;
  }
  return w;
}

// A recording of beats at `rr_s` (± jitter) sampled at fs_hz, with white noise of sd noise_uv.
struct Synthetic {
  fecg::LeadMatrix x;
  fecg::BeatIndices beats;
};
Synthetic synthesise(double fs_hz, double seconds, double rr_s, const std::vector<Wave>& shape, double noise_uv,
                     unsigned seed, double jitter_s = 0.01) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const auto n = static_cast<Eigen::Index>(seconds * fs_hz);
  Synthetic s;
  s.x = fecg::LeadMatrix::Zero(1, n);
  for (double t = 0.5; t < seconds - 0.5; t += rr_s + jitter_s * gauss(rng)) {
    const double r = std::round(t * fs_hz * 7.3) / 7.3;  // R between samples: exercises the alignment
    s.beats.push_back(static_cast<std::int64_t>(std::llround(r)));
    for (const Wave& w : shape) {
      const auto lo = std::max<Eigen::Index>(0, static_cast<Eigen::Index>((r / fs_hz + w.centre_s - 5 * w.sd_s) * fs_hz));
      const auto hi = std::min<Eigen::Index>(n - 1, static_cast<Eigen::Index>((r / fs_hz + w.centre_s + 5 * w.sd_s) * fs_hz));
      for (Eigen::Index i = lo; i <= hi; ++i) {
        const double d = (static_cast<double>(i) - r) / fs_hz - w.centre_s;
        s.x(0, i) += static_cast<float>(w.amp_uv * std::exp(-0.5 * d * d / (w.sd_s * w.sd_s)));
      }
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) s.x(0, i) += static_cast<float>(noise_uv * gauss(rng));
  return s;
}

double ms(const fecg::WaveMark& m, double r, double fs) { return (*m.sample - r) * 1000.0 / fs; }

}  // namespace

TEST_CASE("delineate_martinez_2004: an adult beat at 250 Hz, waves where they were put") {
  const double fs = 250;
  const auto s = synthesise(fs, 20, 0.8, beat_shape(1.0), 5.0, 1);
  const std::vector<double> r(s.beats.begin(), s.beats.end());
  const auto waves = fecg::delineate_martinez_2004(std::span<const float>(s.x.data(), static_cast<size_t>(s.x.cols())), fs,
                                                   r, 0.8);
  REQUIRE(waves.size() == r.size());
  int checked = 0;
  for (size_t i = 1; i + 1 < waves.size(); ++i) {
    const auto& w = waves[i];
    REQUIRE(w.qrs_on.sample);
    REQUIRE(w.qrs_off.sample);
    REQUIRE(w.t_peak.sample);
    REQUIRE(w.t_off.sample);
    REQUIRE(w.p_peak.sample);
    REQUIRE(w.p_on.sample);
    REQUIRE(w.p_off.sample);
    // Peaks within 8 ms (two samples) of the Gaussians' centres.
    CHECK(std::abs(ms(w.r_peak, r[i], fs)) <= 8);
    CHECK(std::abs(ms(w.p_peak, r[i], fs) - (-180)) <= 8);
    CHECK(std::abs(ms(w.t_peak, r[i], fs) - 300) <= 8);
    // Onsets and ends bracket their peaks, inside ±3.5 sd of the outer Gaussians.
    CHECK(ms(w.qrs_on, r[i], fs) < -25);
    CHECK(ms(w.qrs_on, r[i], fs) > -25 - 4.5 * 8);
    CHECK(ms(w.qrs_off, r[i], fs) > 25);
    CHECK(ms(w.qrs_off, r[i], fs) < 25 + 3.5 * 9);
    CHECK(ms(w.p_on, r[i], fs) < -180);
    CHECK(ms(w.p_on, r[i], fs) > -180 - 3.5 * 20);
    CHECK(ms(w.p_off, r[i], fs) > -180);
    CHECK(ms(w.p_off, r[i], fs) < ms(w.qrs_on, r[i], fs));
    CHECK(ms(w.t_off, r[i], fs) > 300);
    CHECK(ms(w.t_off, r[i], fs) < 300 + 3.5 * 45);
    CHECK(w.qrs_on.confidence > 0.9);
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("delineate_martinez_2004: the same beat compressed to a fetal one (×0.55, 1 kHz) gives intervals ×0.55") {
  const auto adult = synthesise(250, 20, 0.8, beat_shape(1.0), 0.0, 2);
  const auto fetal = synthesise(1000, 20, 0.44, beat_shape(0.55), 0.0, 2);
  auto median_interval = [](const Synthetic& s, double fs, double rr, fecg::WaveMark fecg::BeatWaves::*a,
                            fecg::WaveMark fecg::BeatWaves::*b) {
    const std::vector<double> r(s.beats.begin(), s.beats.end());
    const auto w = fecg::delineate_martinez_2004(std::span<const float>(s.x.data(), static_cast<size_t>(s.x.cols())), fs,
                                                 r, rr);
    std::vector<double> v;
    for (size_t i = 1; i + 1 < w.size(); ++i)
      if ((w[i].*a).sample && (w[i].*b).sample) v.push_back((*(w[i].*b).sample - *(w[i].*a).sample) * 1000 / fs);
    REQUIRE(v.size() >= 10);
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  using B = fecg::BeatWaves;
  for (const auto& [a, b] : {std::pair{&B::qrs_on, &B::qrs_off}, std::pair{&B::qrs_on, &B::t_off},
                             std::pair{&B::p_on, &B::qrs_on}, std::pair{&B::p_on, &B::p_off}}) {
    const double adult_ms = median_interval(adult, 250, 0.8, a, b);
    const double fetal_ms = median_interval(fetal, 1000, 0.44, a, b);
    CAPTURE(adult_ms);
    CAPTURE(fetal_ms);
    // Within 12 % (plus 4 ms, one adult sample, for the rate change): one method at both scales.
    CHECK(std::abs(fetal_ms - 0.55 * adult_ms) <= 0.12 * 0.55 * adult_ms + 4);
  }
}

TEST_CASE("delineate_martinez_2004: no T wave and a lead of noise are refused with reasons") {
  const double fs = 250;
  const auto no_t = synthesise(fs, 20, 0.8, beat_shape(1.0, 0.0), 5.0, 3);
  const std::vector<double> r(no_t.beats.begin(), no_t.beats.end());
  const auto w = fecg::delineate_martinez_2004(std::span<const float>(no_t.x.data(), static_cast<size_t>(no_t.x.cols())),
                                               fs, r, 0.8);
  int refused = 0;
  for (size_t i = 1; i + 1 < w.size(); ++i) {
    CHECK(w[i].qrs_on.sample);
    if (!w[i].t_off.sample && !w[i].t_peak.sample) {
      ++refused;
      CHECK(w[i].t_peak.why_missing.find("T") != std::string::npos);
    }
  }
  CHECK(refused >= static_cast<int>(w.size()) - 4);  // every inner beat

  std::mt19937 rng(4);
  std::normal_distribution<float> gauss(0, 20);
  std::vector<float> noise(5000);
  for (auto& v : noise) v = gauss(rng);
  const auto wn = fecg::delineate_martinez_2004(noise, fs, r, 0.8);
  int marked = 0;
  for (const auto& b : wn) marked += b.qrs_on.sample.has_value();
  CHECK(marked <= static_cast<int>(wn.size()) / 10);
  for (const auto& b : wn)
    if (!b.qrs_on.sample) CHECK(!b.qrs_on.why_missing.empty());
}

TEST_CASE("delineate_martinez_2004: bad arguments throw, odd beats are refused") {
  const std::vector<float> x(1000, 0.0f);
  CHECK_THROWS_AS(fecg::delineate_martinez_2004(x, 0.0, {100}, 0.8), fecg::Error);
  CHECK_THROWS_AS(fecg::delineate_martinez_2004(x, 250, {100}, -1), fecg::Error);
  CHECK_THROWS_AS(fecg::delineate_martinez_2004(x, 250, {100}, 0.8, {}, std::vector<float>(3)), fecg::Error);
  const auto w = fecg::delineate_martinez_2004(x, 250, {-50, 5000, NAN}, 0.8);
  REQUIRE(w.size() == 3);
  for (const auto& b : w) {
    CHECK(!b.qrs_on.sample);
    CHECK(!b.qrs_on.why_missing.empty());
  }
  const auto tiny = fecg::delineate_martinez_2004(std::vector<float>(3, 1.0f), 250, {1}, 0.8);
  REQUIRE(tiny.size() == 1);
  CHECK(!tiny[0].qrs_on.sample);
  CHECK(tiny[0].qrs_on.why_missing.find("too short") != std::string::npos);
}

TEST_CASE("analyse_morphology: a fetal recording's averaged beat gives the clean beat's intervals, with sd") {
  const double fs = 1000, rr = 0.43;
  const auto clean = synthesise(fs, 120, rr, beat_shape(0.55), 0.0, 5, 0.0);
  const auto noisy = synthesise(fs, 120, rr, beat_shape(0.55), 150.0, 5);  // per-beat SNR ≈ 0 dB
  fecg::MorphologyParams params;
  params.gestational_weeks = 38;
  const auto truth = fecg::analyse_morphology(clean.x, fs, clean.beats, {}, {"clean"}, params);
  const auto m = fecg::analyse_morphology(noisy.x, fs, noisy.beats, {}, {"Abdomen_1"}, params);
  REQUIRE(truth.why_missing.empty());
  REQUIRE(m.why_missing.empty());
  CHECK(m.lead_name == "Abdomen_1");
  CHECK(m.average.n_beats == static_cast<int>(std::ceil(0.8 * static_cast<double>(m.average.beats_used.size()))));
  CHECK(m.average.beats_used.size() >= 270);  // 120 s at 0.43 s, less the two ends
  CHECK(m.average.fs_hz == 1000);
  CHECK(*m.average.snr_db.begin() > 10);
  for (const auto& [name, t, v] : {std::tuple{"qrs", truth.qrs_ms, m.qrs_ms}, std::tuple{"qt", truth.qt_ms, m.qt_ms},
                                   std::tuple{"pr", truth.pr_ms, m.pr_ms}}) {
    CAPTURE(name);
    REQUIRE(t.value);
    REQUIRE(v.value);
    REQUIRE(v.sd);
    CHECK(std::abs(*v.value - *t.value) <= 8);
    CHECK(*v.sd < 10);
  }
  REQUIRE(m.t_qrs_ratio.value);
  CHECK(std::abs(*m.t_qrs_ratio.value - *truth.t_qrs_ratio.value) < 0.05);
  REQUIRE(m.qtc_bazett_ms.value);
  CHECK(*m.qtc_bazett_ms.value == doctest::Approx(*m.qt_ms.value / std::sqrt(m.rr_ms / 1000)).epsilon(1e-9));
  CHECK(m.sliding.size() == 2);
  CHECK(m.published.size() == 5);
  CHECK(m.published[2].quantity == "qrs_ms");
  CHECK(m.published[2].published_mean_ms == doctest::Approx(52.6));
  CHECK(!m.published[2].outside_published_range);
}

TEST_CASE("analyse_morphology: noise alone, too few beats and unreliable beats give nulls with reasons") {
  const double fs = 1000;
  const auto noise_only = synthesise(fs, 60, 0.43, {}, 50.0, 6);
  const auto m = fecg::analyse_morphology(noise_only.x, fs, noise_only.beats, {}, {}, {});
  CHECK(!m.why_missing.empty());
  CHECK(!m.qt_ms.value);
  CHECK(!m.qrs_ms.value);
  CHECK(m.qrs_ms.why_missing.find("SNR") != std::string::npos);

  const auto few = synthesise(fs, 3, 0.43, beat_shape(0.55), 10.0, 7);
  const auto mf = fecg::analyse_morphology(few.x, fs, few.beats, {}, {}, {});
  CHECK(!mf.qrs_ms.value);
  CHECK(mf.qrs_ms.why_missing.find("too few") != std::string::npos);

  const auto s = synthesise(fs, 60, 0.43, beat_shape(0.55), 10.0, 8);
  const std::vector<bool> none(s.beats.size(), false);
  const auto mu = fecg::analyse_morphology(s.x, fs, s.beats, none, {}, {});
  CHECK(!mu.qt_ms.value);
  CHECK(mu.qt_ms.why_missing.find("reliable") != std::string::npos);

  CHECK_THROWS_AS(fecg::analyse_morphology(s.x, fs, s.beats, std::vector<bool>(3, true), {}, {}), fecg::Error);
  CHECK_THROWS_AS(fecg::analyse_morphology(s.x, fs, s.beats, {}, {"a", "b"}, {}), fecg::Error);
}

TEST_CASE("delineate_record on the QT Database: QRS and T end near the cardiologist's marks (sel100, sel103, sel117)") {
  for (const std::string name : {"sel100", "sel103", "sel117"}) {
    const std::string base = "qtdb/" + name;
    if (!fecg_test::have(base + ".q1c")) return;
    const auto rec = fecg::read_record(fecg_test::kData + "/" + base + ".hea");
    const auto ref = fecg::wave_marks_from_annotations(
        fecg::read_wfdb_annotations(fecg_test::kData + "/" + base + ".q1c").annotations);
    const auto beats = fecg::beat_samples(fecg::read_wfdb_annotations(fecg_test::kData + "/" + base + ".atr").annotations);
    const auto ours = fecg::delineate_record(rec, {0, 1}, beats);
    REQUIRE(ref.size() >= 25);
    std::vector<double> e_on, e_end, e_t;
    for (const auto& rb : ref)
      for (const auto& b : ours.beats)
        if (std::abs(b.r_given - rb.r_given) < 0.1 * rec.fs_hz) {
          if (b.qrs_on.sample && rb.qrs_on.sample) e_on.push_back((*b.qrs_on.sample - *rb.qrs_on.sample) * 4.0);
          if (b.qrs_off.sample && rb.qrs_off.sample) e_end.push_back((*b.qrs_off.sample - *rb.qrs_off.sample) * 4.0);
          if (b.t_off.sample && rb.t_off.sample) e_t.push_back((*b.t_off.sample - *rb.t_off.sample) * 4.0);
        }
    CAPTURE(name);
    CHECK(e_on.size() >= 0.95 * ref.size());
    CHECK(e_end.size() >= 0.95 * ref.size());
    CHECK(e_t.size() >= 0.9 * ref.size());
    auto median_abs = [](std::vector<double> v) {
      for (auto& x : v) x = std::abs(x);
      std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
      return v[v.size() / 2];
    };
    // Median |error| within the CSE tolerances (QRS on 6.5 → 12 ms, two samples and a half at
    // 250 Hz; QRS end 11.6 → 16 ms; T end 30.6 ms).
    CHECK(median_abs(e_on) <= 12);
    CHECK(median_abs(e_end) <= 16);
    CHECK(median_abs(e_t) <= 30.6);
  }
}

TEST_CASE("wave_marks_from_annotations: QT Database brackets") {
  using A = fecg::Annotation;
  const std::vector<A> a = {{10, "("}, {15, "p"}, {20, ")"}, {30, "("}, {35, "N"}, {40, ")"}, {60, "t"}, {70, ")"},
                            {100, "("}, {105, "N"}, {110, ")"}};
  const auto w = fecg::wave_marks_from_annotations(a);
  REQUIRE(w.size() == 2);
  CHECK(*w[0].p_on.sample == 10);
  CHECK(*w[0].p_off.sample == 20);
  CHECK(*w[0].qrs_on.sample == 30);
  CHECK(*w[0].t_peak.sample == 60);
  CHECK(*w[0].t_off.sample == 70);
  CHECK(!w[0].t_on.sample);
  CHECK(!w[1].p_on.sample);
  CHECK(w[1].p_on.why_missing == "not annotated");
  CHECK(*w[1].qrs_off.sample == 110);
}

TEST_CASE("run_pipeline: the morphology stage measures the extracted fetal beat; streaming says it is not computed") {
  fecg::SynthParams sp;
  sp.duration_s = 90;
  sp.seed = 21;
  sp.snr_fm_db = -9;
  sp.snr_mn_db = 6;
  const fecg::SynthRecording sim = fecg::simulate(sp);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(sim.mixture);
  const fecg::PipelineParams params;  // TS-ICA
  const fecg::PipelineResult r = fecg::run_pipeline(sim.mixture, roles, params);
  const fecg::Morphology& m = r.morphology;
  REQUIRE_MESSAGE(m.why_missing.empty(), m.why_missing);
  CHECK(m.average.n_beats >= 100);
  CHECK(m.lead_name.rfind("Abdomen_", 0) == 0);
  // Against the simulator's clean fetal component, filtered like the mixture, at the true beats.
  const fecg::LeadMatrix clean = fecg::preprocess_leads_with_notch(sim.fetal_uv, sim.mixture.fs_hz, params, r.powerline_hz);
  const fecg::BeatIndices truth_beats = fecg::rescale_indices(sim.fetal_peaks, sim.mixture.fs_hz, params.analysis_fs_hz);
  const fecg::Morphology truth = fecg::analyse_morphology(clean, params.analysis_fs_hz, truth_beats, {}, {});
  REQUIRE(truth.qrs_ms.value);
  REQUIRE(m.qrs_ms.value);
  CHECK(std::abs(*m.qrs_ms.value - *truth.qrs_ms.value) <= 15);
  REQUIRE(truth.qt_ms.value);
  REQUIRE(m.qt_ms.value);
  CHECK(std::abs(*m.qt_ms.value - *truth.qt_ms.value) <= 15);
  CHECK(m.compute_ms > 0);

  const fecg::PipelineResult streamed = fecg::run_pipeline_streaming(
      sim.mixture, sim.mixture.n_samples(),
      [&](std::int64_t start, std::int64_t count) { return fecg::LeadMatrix(sim.mixture.samples_uv.middleCols(start, count)); },
      roles, params, {.chunk_s = 30, .margin_s = 10});
  CHECK(streamed.morphology.why_missing.find("not computed") != std::string::npos);
  CHECK(!streamed.morphology.qt_ms.value);
  CHECK(streamed.morphology.qt_ms.why_missing.find("streamed") != std::string::npos);
}
