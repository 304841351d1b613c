// Tests of the simulator (src/synth): mixing identities, SNR calibration, truth R peaks, rhythm,
// determinism, parameter validation, the noise bank and AR noise paths.
#include <doctest/doctest.h>

#include "core/error.h"
#include "synth/noise.h"
#include "synth/random.h"
#include "io/nstdb.h"
#include "synth/simulator.h"
#include "synth/vcg.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace {

double mean_square(const fecg::LeadMatrix& x) { return x.cast<double>().squaredNorm() / static_cast<double>(x.size()); }

double db(double ratio) { return 10.0 * std::log10(ratio); }

int strongest_lead(const fecg::LeadMatrix& x) {
  Eigen::Index best = 0;
  x.cast<double>().rowwise().squaredNorm().maxCoeff(&best);
  return static_cast<int>(best);
}

// Fraction of peaks where max |x| within ±window lies within ±tolerance samples of the peak.
double fraction_at_extrema(const fecg::LeadMatrix& x, int lead, const fecg::BeatIndices& peaks,
                           std::int64_t window, std::int64_t tolerance) {
  int good = 0, total = 0;
  for (std::int64_t r : peaks) {
    if (r - window < 0 || r + window >= x.cols()) continue;
    std::int64_t arg = r;
    for (std::int64_t t = r - window; t <= r + window; ++t)
      if (std::abs(x(lead, t)) > std::abs(x(lead, arg))) arg = t;
    ++total;
    if (std::abs(arg - r) <= tolerance) ++good;
  }
  return total ? static_cast<double>(good) / total : 0.0;
}

double mean_rate(const fecg::BeatIndices& peaks, double fs_hz) {
  return 60.0 * static_cast<double>(peaks.size() - 1) / (static_cast<double>(peaks.back() - peaks.front()) / fs_hz);
}

// Full width at half maximum of |x| around sample r, in samples.
double fwhm_samples(const fecg::LeadMatrix& x, int lead, std::int64_t r) {
  const float half = 0.5f * std::abs(x(lead, r));
  std::int64_t a = r, b = r;
  while (a > 0 && std::abs(x(lead, a)) > half) --a;
  while (b + 1 < x.cols() && std::abs(x(lead, b)) > half) ++b;
  return static_cast<double>(b - a);
}

bool same_bytes(const fecg::LeadMatrix& a, const fecg::LeadMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())) == 0;
}

fecg::SynthParams short_params(std::uint64_t seed, double duration_s = 10) {
  fecg::SynthParams p;
  p.duration_s = duration_s;
  p.seed = seed;
  return p;
}

}  // namespace

TEST_CASE("synth: mixture is exactly fetal + maternal + noise, with the promised layout") {
  const fecg::SynthRecording r = fecg::simulate(short_params(3));
  REQUIRE(r.mixture.n_leads() == 4);
  REQUIRE(r.mixture.n_samples() == 10000);
  CHECK(r.mixture.fs_hz == 1000.0);
  CHECK(r.fetal_uv.rows() == 4);
  CHECK(r.maternal_uv.cols() == 10000);
  CHECK(r.noise_uv.cols() == 10000);
  const fecg::LeadMatrix sum = r.fetal_uv + r.maternal_uv + r.noise_uv;
  CHECK((sum - r.mixture.samples_uv).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(r.mixture.lead_names == std::vector<std::string>{"Abdomen_1", "Abdomen_2", "Abdomen_3", "Abdomen_4"});
  CHECK(r.mixture.units == std::vector<std::string>(4, "uV"));
  CHECK_NOTHROW(fecg::validate_recording(r.mixture));
}

TEST_CASE("synth: requested SNRs are realised within 0.1 dB") {
  const std::vector<std::pair<double, double>> requests{{-9, 6}, {-15, 0}, {-3, 12}, {0, 3}};
  std::uint64_t seed = 10;
  for (const auto& [fm, mn] : requests) {
    fecg::SynthParams p = short_params(seed++);
    p.snr_fm_db = fm;
    p.snr_mn_db = mn;
    const fecg::SynthRecording r = fecg::simulate(p);
    const double pf = mean_square(r.fetal_uv), pm = mean_square(r.maternal_uv), pn = mean_square(r.noise_uv);
    CAPTURE(fm);
    CAPTURE(mn);
    CHECK(std::abs(db(pf / pm) - fm) < 0.1);
    CHECK(std::abs(db(pm / pn) - mn) < 0.1);
    CHECK(std::abs(r.snr_fm_db - fm) < 0.1);
    CHECK(std::abs(r.snr_mn_db - mn) < 0.1);
  }
}

TEST_CASE("synth: default SNRs and rates are drawn from the FECGSYNDB ranges and reported as realised") {
  for (std::uint64_t seed = 100; seed < 110; ++seed) {
    const fecg::SynthRecording r = fecg::simulate(short_params(seed, 5));
    CAPTURE(seed);
    CHECK(r.snr_mn_db >= -0.1);
    CHECK(r.snr_mn_db <= 12.1);
    CHECK(std::abs(r.snr_fm_db + 9.0) < 8.0);  // N(-9, 2): 4 standard deviations
    CHECK(std::abs(db(mean_square(r.fetal_uv) / mean_square(r.maternal_uv)) - r.snr_fm_db) < 0.01);
    CHECK(r.maternal_bpm > 55);
    CHECK(r.maternal_bpm < 105);
    CHECK(r.fetal_bpm > 100);
    CHECK(r.fetal_bpm < 170);
  }
}

TEST_CASE("synth: truth R peaks sit on the R waves of the lead where each heart is strongest") {
  for (std::uint64_t seed : {21u, 22u, 23u}) {
    fecg::SynthParams p = short_params(seed, 20);
    const fecg::SynthRecording r = fecg::simulate(p);
    CAPTURE(seed);
    REQUIRE(r.fetal_peaks.size() > 30);
    REQUIRE(r.maternal_peaks.size() > 15);
    // Window: half the longest QRS (fetal 50 ms, maternal 100 ms); tolerance 2 ms.
    CHECK(fraction_at_extrema(r.fetal_uv, strongest_lead(r.fetal_uv), r.fetal_peaks, 25, 2) >= 0.95);
    CHECK(fraction_at_extrema(r.maternal_uv, strongest_lead(r.maternal_uv), r.maternal_peaks, 50, 2) >= 0.95);
    CHECK(std::is_sorted(r.fetal_peaks.begin(), r.fetal_peaks.end()));
    CHECK(r.fetal_peaks.back() < r.mixture.n_samples());
  }
}

TEST_CASE("synth: QRS widths are fetal-narrow and maternal-wide; maternal R amplitude is calibrated") {
  fecg::SynthParams p = short_params(31, 20);
  p.maternal_peak_uv = 800;
  const fecg::SynthRecording r = fecg::simulate(p);
  const int fl = strongest_lead(r.fetal_uv), ml = strongest_lead(r.maternal_uv);
  std::vector<double> fw, mw;
  for (std::int64_t s : r.fetal_peaks) fw.push_back(fwhm_samples(r.fetal_uv, fl, s));
  for (std::int64_t s : r.maternal_peaks) mw.push_back(fwhm_samples(r.maternal_uv, ml, s));
  std::nth_element(fw.begin(), fw.begin() + fw.size() / 2, fw.end());
  std::nth_element(mw.begin(), mw.begin() + mw.size() / 2, mw.end());
  // R-wave FWHM ≈ 0.3 × QRS duration: fetal QRS 30-50 ms -> 9-15 ms, maternal 80-100 ms -> 24-31 ms
  // (loose bounds: the Q and S waves and the lead projection widen or narrow it a little).
  CHECK(fw[fw.size() / 2] >= 6);
  CHECK(fw[fw.size() / 2] <= 20);
  CHECK(mw[mw.size() / 2] >= 16);
  CHECK(mw[mw.size() / 2] <= 45);

  // Median over leads of the median over beats of the maternal R amplitude = maternal_peak_uv.
  std::vector<double> per_lead;
  for (int j = 0; j < r.maternal_uv.rows(); ++j) {
    std::vector<double> amps;
    for (std::int64_t s : r.maternal_peaks) {
      float m = 0;
      for (std::int64_t t = std::max<std::int64_t>(0, s - 50); t <= std::min<std::int64_t>(r.maternal_uv.cols() - 1, s + 50); ++t)
        m = std::max(m, std::abs(r.maternal_uv(j, t)));
      amps.push_back(m);
    }
    std::sort(amps.begin(), amps.end());
    per_lead.push_back(amps.size() % 2 ? amps[amps.size() / 2] : 0.5 * (amps[amps.size() / 2 - 1] + amps[amps.size() / 2]));
  }
  std::sort(per_lead.begin(), per_lead.end());
  CHECK(0.5 * (per_lead[1] + per_lead[2]) == doctest::Approx(800).epsilon(0.02));
}

TEST_CASE("synth: maternal_qrs_sharpness narrows the maternal R wave only, calibration kept") {
  const auto median_fwhm = [](const fecg::SynthRecording& r, bool maternal) {
    const fecg::LeadMatrix& x = maternal ? r.maternal_uv : r.fetal_uv;
    const int lead = strongest_lead(x);
    std::vector<double> w;
    for (std::int64_t s : maternal ? r.maternal_peaks : r.fetal_peaks) w.push_back(fwhm_samples(x, lead, s));
    std::nth_element(w.begin(), w.begin() + w.size() / 2, w.end());
    return w[w.size() / 2];
  };
  fecg::SynthParams p = short_params(31, 20);
  const fecg::SynthRecording wide = fecg::simulate(p);
  p.maternal_qrs_sharpness = 0.4;
  const fecg::SynthRecording sharp = fecg::simulate(p);
  // The R wave's FWHM scales with the factor (±Q/S overlap); the fetus and the beats are untouched.
  CHECK(median_fwhm(sharp, true) <= 0.6 * median_fwhm(wide, true));
  CHECK(median_fwhm(sharp, true) >= 5);  // 1 kHz samples: a fetal-like 5-15 ms
  CHECK(median_fwhm(sharp, false) == median_fwhm(wide, false));
  CHECK(sharp.maternal_peaks == wide.maternal_peaks);
  CHECK(sharp.fetal_peaks == wide.fetal_peaks);
  CHECK(sharp.snr_mn_db == doctest::Approx(wide.snr_mn_db).epsilon(1e-3));
}

TEST_CASE("synth: RR intervals physiological, mean rates as requested within 2 bpm") {
  const std::vector<std::pair<double, double>> rates{{60, 110}, {100, 160}, {75, 140}, {85, 125}};
  std::uint64_t seed = 40;
  for (const auto& [m_bpm, f_bpm] : rates) {
    fecg::SynthParams p = short_params(seed++, 60);
    p.n_leads = 1;
    p.maternal_bpm = m_bpm;
    p.fetal_bpm = f_bpm;
    p.heart_rate_events = true;
    const fecg::SynthRecording r = fecg::simulate(p);
    CAPTURE(m_bpm);
    CAPTURE(f_bpm);
    CHECK(std::abs(mean_rate(r.maternal_peaks, p.fs_hz) - m_bpm) < 2.0);
    CHECK(std::abs(mean_rate(r.fetal_peaks, p.fs_hz) - f_bpm) < 2.0);
    CHECK(std::abs(r.maternal_bpm - m_bpm) < 2.0);
    CHECK(std::abs(r.fetal_bpm - f_bpm) < 2.0);
    for (size_t k = 1; k < r.fetal_peaks.size(); ++k) {
      const double rr = static_cast<double>(r.fetal_peaks[k] - r.fetal_peaks[k - 1]) / p.fs_hz;
      CHECK(rr >= 60.0 / 240);  // fetal rate 70-230 bpm after events
      CHECK(rr <= 60.0 / 65);
    }
    for (size_t k = 1; k < r.maternal_peaks.size(); ++k) {
      const double rr = static_cast<double>(r.maternal_peaks[k] - r.maternal_peaks[k - 1]) / p.fs_hz;
      CHECK(rr >= 60.0 / 155);
      CHECK(rr <= 60.0 / 38);
    }
  }
}

TEST_CASE("synth: ectopic beats are premature and followed by a compensatory pause") {
  fecg::SynthParams p = short_params(50, 60);
  p.n_leads = 1;
  p.ectopic_probability = 0.1;
  p.heart_rate_events = false;
  p.maternal_bpm = 80;
  const fecg::SynthRecording r = fecg::simulate(p);
  int premature = 0, compensated = 0;
  const auto& b = r.maternal_peaks;
  std::vector<double> rrs;
  for (size_t k = 1; k < b.size(); ++k) rrs.push_back(static_cast<double>(b[k] - b[k - 1]));
  std::vector<double> sorted = rrs;
  std::sort(sorted.begin(), sorted.end());
  const double normal = sorted[sorted.size() / 2];
  for (size_t k = 0; k + 1 < rrs.size(); ++k) {
    if (rrs[k] < 0.8 * normal) {
      ++premature;
      // Full compensation: premature + pause ≈ two normal intervals (HRV moves each a few %).
      if (std::abs(rrs[k] + rrs[k + 1] - 2 * normal) < 0.15 * normal) ++compensated;
    }
  }
  CHECK(premature >= 3);  // 80 beats at p = 0.1: ~8 expected
  CHECK(compensated == premature);
  CHECK(std::abs(mean_rate(b, p.fs_hz) - 80) < 2.0);
}

TEST_CASE("synth: same seed gives the same bytes, another seed a different recording") {
  const fecg::SynthRecording a = fecg::simulate(short_params(7, 5));
  const fecg::SynthRecording b = fecg::simulate(short_params(7, 5));
  const fecg::SynthRecording c = fecg::simulate(short_params(8, 5));
  CHECK(same_bytes(a.mixture.samples_uv, b.mixture.samples_uv));
  CHECK(same_bytes(a.fetal_uv, b.fetal_uv));
  CHECK(same_bytes(a.maternal_uv, b.maternal_uv));
  CHECK(same_bytes(a.noise_uv, b.noise_uv));
  CHECK(a.fetal_peaks == b.fetal_peaks);
  CHECK(a.maternal_peaks == b.maternal_peaks);
  CHECK(a.snr_fm_db == b.snr_fm_db);
  CHECK_FALSE(same_bytes(a.mixture.samples_uv, c.mixture.samples_uv));
  CHECK_FALSE(same_bytes(a.noise_uv, c.noise_uv));
  CHECK(a.fetal_peaks != c.fetal_peaks);
}

TEST_CASE("synth: 1 and 32 leads") {
  for (int leads : {1, 32}) {
    fecg::SynthParams p = short_params(60, 4);
    p.n_leads = leads;
    p.snr_fm_db = -8;
    p.snr_mn_db = 5;
    const fecg::SynthRecording r = fecg::simulate(p);
    CAPTURE(leads);
    CHECK(r.mixture.n_leads() == leads);
    CHECK(r.fetal_uv.rows() == leads);
    CHECK(r.noise_uv.rows() == leads);
    CHECK(r.mixture.lead_names.back() == "Abdomen_" + std::to_string(leads));
    CHECK(r.mixture.samples_uv.allFinite());
    CHECK(std::abs(r.snr_fm_db + 8) < 0.1);
    CHECK(std::abs(r.snr_mn_db - 5) < 0.1);
  }
}

TEST_CASE("synth: 250, 1000 and 2000 Hz give the same beats at their own rates") {
  fecg::SynthRecording r1000;
  for (double fs : {1000.0, 250.0, 2000.0}) {
    fecg::SynthParams p = short_params(70, 8);
    p.fs_hz = fs;
    p.snr_mn_db = 4;
    const fecg::SynthRecording r = fecg::simulate(p);
    CAPTURE(fs);
    CHECK(r.mixture.n_samples() == static_cast<std::int64_t>(8 * fs));
    CHECK(r.mixture.fs_hz == fs);
    CHECK(std::abs(r.snr_mn_db - 4) < 0.1);
    CHECK(r.mixture.samples_uv.allFinite());
    if (fs == 1000.0) {
      r1000 = r;
      continue;
    }
    // The rhythm does not depend on the rate: same beat times, rounded to each rate's grid.
    REQUIRE(r.fetal_peaks.size() >= r1000.fetal_peaks.size() - 1);
    REQUIRE(r.fetal_peaks.size() <= r1000.fetal_peaks.size() + 1);
    const size_t m = std::min(r.fetal_peaks.size(), r1000.fetal_peaks.size());
    int matched = 0;
    for (size_t k = 0; k < m; ++k)
      for (std::int64_t s : r.fetal_peaks)
        if (std::abs(static_cast<double>(s) * 1000.0 / fs - static_cast<double>(r1000.fetal_peaks[k])) <= 1000.0 / fs) {
          ++matched;
          break;
        }
    CHECK(matched >= static_cast<int>(m) - 1);
    CHECK(fraction_at_extrema(r.fetal_uv, strongest_lead(r.fetal_uv), r.fetal_peaks,
                              static_cast<std::int64_t>(0.025 * fs), std::max<std::int64_t>(1, static_cast<std::int64_t>(0.002 * fs))) >= 0.9);
  }
}

TEST_CASE("synth: bad parameters throw fecg::Error") {
  auto with = [](auto change) {
    fecg::SynthParams p = short_params(1, 2);
    change(p);
    return p;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.n_leads = 0; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.maternal_qrs_sharpness = 0.1; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.maternal_qrs_sharpness = 1.5; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([nan](auto& p) { p.maternal_qrs_sharpness = nan; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.n_leads = 33; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.duration_s = -1; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.duration_s = 0; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([nan](auto& p) { p.duration_s = nan; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([nan](auto& p) { p.snr_fm_db = nan; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([nan](auto& p) { p.snr_mn_db = nan; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.snr_mn_db = INFINITY; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.fs_hz = 50; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.fs_hz = 20000; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.fetal_bpm = 300; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.maternal_bpm = 10; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.ectopic_probability = 0.9; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.maternal_peak_uv = 0; })), fecg::Error);
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.duration_s = 1e9; })), fecg::Error);
  fecg::NoiseBank bad;
  bad.fs_hz = 360;
  bad.muscle_artifact.push_back(fecg::Signal::Constant(1000, nan));
  CHECK_THROWS_AS(fecg::simulate(short_params(1, 2), bad), fecg::Error);
  bad.muscle_artifact[0] = fecg::Signal();
  CHECK_THROWS_AS(fecg::simulate(short_params(1, 2), bad), fecg::Error);
  try {
    fecg::simulate(with([](auto& p) { p.n_leads = 33; }));
  } catch (const fecg::Error& e) {
    CHECK(std::string(e.what()).find("n_leads must be 1..32, got 33") != std::string::npos);
  }
  CHECK_THROWS_AS(fecg::simulate(with([](auto& p) { p.duration_s = 0.5; })), fecg::Error);
  // The shortest valid recording, 1 s at the lowest rate and the slowest mother.
  const fecg::SynthRecording shortest = fecg::simulate(with([](auto& p) {
    p.duration_s = 1;
    p.fs_hz = 100;
    p.maternal_bpm = 40;
  }));
  CHECK(shortest.mixture.n_samples() == 100);
  CHECK(shortest.mixture.samples_uv.allFinite());
}

TEST_CASE("synth: a noise bank replaces the statistical noise") {
  // A bank whose every series is a 7 Hz sinusoid at 360 Hz: the noise truth must then be a 7 Hz
  // sinusoid in every lead (shared and own segments differ only in phase), after resampling.
  fecg::NoiseBank bank;
  bank.fs_hz = 360;
  fecg::Signal tone(36000);
  for (Eigen::Index t = 0; t < tone.size(); ++t)
    tone[t] = static_cast<float>(100.0 * std::sin(2 * std::numbers::pi * 7.0 * static_cast<double>(t) / 360.0));
  bank.baseline_wander = {tone};
  bank.electrode_motion = {tone};
  bank.muscle_artifact = {tone};
  fecg::SynthParams p = short_params(80, 6);
  p.powerline = false;
  p.snr_mn_db = 3;
  const fecg::SynthRecording r = fecg::simulate(p, bank);
  CHECK(std::abs(r.snr_mn_db - 3) < 0.1);
  for (int j = 0; j < r.noise_uv.rows(); ++j) {
    // Least-squares fit of a sin + b cos at 7 Hz; the residual must be tiny.
    double ss = 0, sc = 0, cc = 0, xs = 0, xc = 0, xx = 0;
    for (Eigen::Index t = 0; t < r.noise_uv.cols(); ++t) {
      const double ph = 2 * std::numbers::pi * 7.0 * static_cast<double>(t) / p.fs_hz;
      const double s = std::sin(ph), c = std::cos(ph), x = r.noise_uv(j, t);
      ss += s * s; sc += s * c; cc += c * c; xs += x * s; xc += x * c; xx += x * x;
    }
    const double det = ss * cc - sc * sc;
    const double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
    const double explained = a * xs + b * xc;
    CAPTURE(j);
    CHECK(explained / xx > 0.999);
  }
  // Statistical noise for the same seed is something else entirely.
  const fecg::SynthRecording s = fecg::simulate(p);
  CHECK_FALSE(same_bytes(r.noise_uv, s.noise_uv));
}

TEST_CASE("synth: power-line interference appears at 50 or 60 Hz only when asked") {
  auto line_ratio = [](const fecg::SynthRecording& r) {
    // Power at 50/60 Hz relative to 45/55/65 Hz (Goertzel-style single-bin DFT over 10 s).
    auto bin = [&](double f) {
      double p = 0;
      for (int j = 0; j < r.noise_uv.rows(); ++j) {
        double re = 0, im = 0;
        for (Eigen::Index t = 0; t < r.noise_uv.cols(); ++t) {
          const double ph = 2 * std::numbers::pi * f * static_cast<double>(t) / r.mixture.fs_hz;
          re += r.noise_uv(j, t) * std::cos(ph);
          im += r.noise_uv(j, t) * std::sin(ph);
        }
        p += re * re + im * im;
      }
      return p;
    };
    return std::max(bin(50), bin(60)) / (bin(45) + bin(55) + bin(65));
  };
  fecg::SynthParams p = short_params(90, 10);
  p.powerline = true;
  const double with_line = line_ratio(fecg::simulate(p));
  p.powerline = false;
  const double without = line_ratio(fecg::simulate(p));
  CHECK(with_line > 100);
  CHECK(without < 10);
}

TEST_CASE("synth: AR noise models reproduce their own coefficients (Yule-Walker refit)") {
  using fecg::synth::NoiseKind;
  for (NoiseKind kind : {NoiseKind::kBaselineWander, NoiseKind::kElectrodeMotion, NoiseKind::kMuscleArtifact}) {
    const auto& model = fecg::synth::nstdb_ar_model(kind);
    fecg::synth::Rng rng(5);
    const std::vector<float> x = fecg::synth::ar_noise(model, 200000, rng);
    double mean = 0, power = 0;
    for (float v : x) mean += v;
    mean /= static_cast<double>(x.size());
    for (float v : x) power += (v - mean) * (v - mean);
    CHECK(std::abs(mean) < 1e-3);
    CHECK(power / static_cast<double>(x.size()) == doctest::Approx(1.0).epsilon(1e-3));
    // Second-order Yule-Walker refit from the lag-1/lag-2 autocorrelations and the model's own
    // values computed the same way from a second, independent realisation must agree: a
    // reproducibility check of the spectrum rather than of the exact coefficients.
    auto acf = [](const std::vector<float>& y, int lag) {
      double s = 0;
      for (size_t t = static_cast<size_t>(lag); t < y.size(); ++t) s += static_cast<double>(y[t]) * y[t - static_cast<size_t>(lag)];
      return s / static_cast<double>(y.size());
    };
    fecg::synth::Rng rng2(6);
    const std::vector<float> y = fecg::synth::ar_noise(model, 200000, rng2);
    CAPTURE(model.record);
    CHECK(acf(x, 1) == doctest::Approx(acf(y, 1)).epsilon(0.02));
    CHECK(acf(x, 5) == doctest::Approx(acf(y, 5)).epsilon(0.1));
    // Strongly low-pass, as NSTDB noise is at these rates: lag-1 autocorrelation above 0.9.
    CHECK(acf(x, 1) > 0.9);
  }
}

TEST_CASE("synth: portable random numbers") {
  fecg::synth::Rng rng(12345);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double v = rng.normal();
    sum += v;
    sum2 += v * v;
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(sum2 / n == doctest::Approx(1.0).epsilon(0.01));
  // mt19937_64 is fixed by the standard: its 10000th output for the default seed is
  // 9981545732273789042 ([rand.predef]); uniform() takes the top 53 bits of each output.
  fecg::synth::Rng fixed(5489);
  double u = 0;
  for (int i = 0; i < 10000; ++i) u = fixed.uniform();
  CHECK(u == static_cast<double>(9981545732273789042ull >> 11) * 0x1.0p-53);
  // Golden values (printed by this implementation, identical from g++/glibc and em++/WASM):
  // the first Box-Muller pair for seed 1, cosine branch first.
  fecg::synth::Rng one(1);
  const double n1 = one.normal();
  const double n2 = one.normal();
  CHECK(n1 == doctest::Approx(0.35099249780849107).epsilon(1e-14));
  CHECK(n2 == doctest::Approx(0.40529019332161598).epsilon(1e-14));
}

TEST_CASE("synth: real NSTDB noise is used when the database is present") {
  const std::filesystem::path dir = std::filesystem::path(FECG_SHARED_DATA_DIR) / "nstdb";
  if (!std::filesystem::exists(dir / "ma.hea")) {
    MESSAGE("skipped: no NSTDB at " << dir.string());
    return;
  }
  const fecg::NoiseBank bank = fecg::load_nstdb(dir.string());
  CHECK(bank.fs_hz == 360.0);
  REQUIRE(bank.baseline_wander.size() == 2);
  REQUIRE(bank.electrode_motion.size() == 2);
  REQUIRE(bank.muscle_artifact.size() == 2);
  CHECK(bank.muscle_artifact[0].size() == 650000);
  // 200 adu/mV: the noise is tens to hundreds of µV, never volts.
  const double rms = std::sqrt(bank.muscle_artifact[0].cast<double>().squaredNorm() / 650000.0);
  CHECK(rms > 5);
  CHECK(rms < 5000);
  fecg::SynthParams p = short_params(95, 10);
  p.snr_mn_db = 2;
  const fecg::SynthRecording real = fecg::simulate(p, bank);
  const fecg::SynthRecording statistical = fecg::simulate(p);
  CHECK(std::abs(real.snr_mn_db - 2) < 0.1);
  CHECK(real.mixture.samples_uv.allFinite());
  CHECK_FALSE(same_bytes(real.noise_uv, statistical.noise_uv));
  // The hearts do not depend on the noise source.
  CHECK(same_bytes(real.fetal_uv, statistical.fetal_uv));
  CHECK_THROWS_AS(fecg::load_nstdb((dir / "no-such-dir").string()), fecg::Error);
}

TEST_CASE("synth: fetal movement changes only the fetal signal's projection") {
  fecg::SynthParams p = short_params(97, 30);
  p.snr_fm_db = -9;
  const fecg::SynthRecording still = fecg::simulate(p);
  p.fetal_movement = true;
  const fecg::SynthRecording moving = fecg::simulate(p);
  CHECK(moving.fetal_peaks == still.fetal_peaks);            // same heart, same rhythm
  CHECK_FALSE(same_bytes(moving.fetal_uv, still.fetal_uv));
  // The maternal heart does not move with the fetus.
  CHECK(same_bytes(moving.maternal_uv, still.maternal_uv));
  CHECK(std::abs(moving.snr_fm_db + 9) < 0.1);
  // Lead-wise fetal power shares change when the fetus turns or shifts between 0 and 30 s.
  const Eigen::VectorXd a = still.fetal_uv.cast<double>().rowwise().squaredNorm().normalized();
  const Eigen::VectorXd b = moving.fetal_uv.cast<double>().rowwise().squaredNorm().normalized();
  CHECK((a - b).norm() > 1e-3);
}
