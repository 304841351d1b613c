// Tests of src/dsp/filter: designed responses against the analytic Butterworth magnitude,
// measured attenuation and phase of sines through sosfiltfilt, notch depth, short inputs, and
// power-line detection on synthetic ECG-like signals.
#include "dsp/filter.h"

#include "core/error.h"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace {

constexpr double kPi = std::numbers::pi;

double prewarped(double f_hz, double fs_hz) { return 2.0 * fs_hz * std::tan(kPi * f_hz / fs_hz); }

std::vector<float> sine(std::size_t n, double f_hz, double fs_hz, double amplitude, double phase = 0.0) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * f_hz * static_cast<double>(i) / fs_hz + phase));
  }
  return x;
}

// RMS over [begin, end).
double rms(const std::vector<float>& x, std::size_t begin, std::size_t end) {
  double s = 0;
  for (std::size_t i = begin; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / static_cast<double>(end - begin));
}

double db(double ratio) { return 20.0 * std::log10(ratio); }

double max_pole_radius(const fecg::SosCascade& sos) {
  double r = 0;
  for (const auto& c : sos) {
    const std::complex<double> d = std::sqrt(std::complex<double>(c[4] * c[4] - 4 * c[5], 0));
    r = std::max({r, std::abs((-c[4] + d) / 2.0), std::abs((-c[4] - d) / 2.0)});
  }
  return r;
}

// ECG-like test signal in µV: a train of narrow Gaussian "QRS" pulses (σ = 5 ms, 1 mV) at
// `rate_hz`, a slower T-like wave, white noise (10 µV RMS) and optionally a hum.
fecg::LeadMatrix ecg_like(int n_leads, double duration_s, double fs_hz, double rate_hz, double hum_hz,
                          double hum_uv, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 10.0);
  const auto n = static_cast<Eigen::Index>(duration_s * fs_hz);
  fecg::LeadMatrix x(n_leads, n);
  for (int r = 0; r < n_leads; ++r) {
    const double gain = 1.0 - 0.2 * r;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / fs_hz;
      const double phase = std::fmod(t * rate_hz, 1.0) / rate_hz;  // seconds since the last beat
      const double qrs = 1000.0 * std::exp(-0.5 * std::pow((phase - 0.2) / 0.005, 2));
      const double twave = 250.0 * std::exp(-0.5 * std::pow((phase - 0.45) / 0.04, 2));
      const double hum = hum_uv * std::sin(2 * kPi * hum_hz * t + r);
      x(r, i) = static_cast<float>(gain * (qrs + twave) + hum + noise(rng));
    }
  }
  return x;
}

}  // namespace

TEST_CASE("butterworth designs match the analytic Butterworth magnitude with pre-warping") {
  // |H(e^{jω})| of the bilinear design equals the analogue |H(jΩ)| at Ω = 2 fs tan(ω / 2).
  const double fs_values[] = {250.0, 1000.0, 10000.0};
  for (double fs : fs_values) {
    for (int order = 1; order <= 8; ++order) {
      const double fc = 0.1 * fs / 4.0 + 0.5;   // off-grid cut-off, well inside (0, fs/2)
      const double f1 = 0.5, f2 = 0.3 * fs;      // band edges far apart: real prototype poles
      const auto lp = fecg::butterworth_lowpass(order, fc, fs);
      const auto hp = fecg::butterworth_highpass(order, fc, fs);
      const auto bp = fecg::butterworth_bandpass(order, f1, f2, fs);
      CHECK(lp.size() == static_cast<std::size_t>((order + 1) / 2));
      CHECK(hp.size() == static_cast<std::size_t>((order + 1) / 2));
      CHECK(bp.size() == static_cast<std::size_t>(order));
      const double wc = prewarped(fc, fs), w1 = prewarped(f1, fs), w2 = prewarped(f2, fs);
      const double w0 = std::sqrt(w1 * w2), bw = w2 - w1;
      for (int k = 1; k < 200; ++k) {
        const double f = 0.5 * fs * k / 200.0;
        const double w = prewarped(f, fs);
        const double lp_expected = 1.0 / std::sqrt(1.0 + std::pow(w / wc, 2 * order));
        const double hp_expected = 1.0 / std::sqrt(1.0 + std::pow(wc / w, 2 * order));
        const double bp_expected = 1.0 / std::sqrt(1.0 + std::pow((w * w - w0 * w0) / (bw * w), 2 * order));
        INFO("fs=" << fs << " order=" << order << " f=" << f);
        CHECK(std::abs(fecg::sos_response(lp, f, fs)) == doctest::Approx(lp_expected).epsilon(1e-7));
        CHECK(std::abs(fecg::sos_response(hp, f, fs)) == doctest::Approx(hp_expected).epsilon(1e-7));
        CHECK(std::abs(fecg::sos_response(bp, f, fs)) == doctest::Approx(bp_expected).epsilon(1e-7));
      }
      // -3 dB (|H| = 1/√2) exactly at the cut-offs.
      CHECK(std::abs(fecg::sos_response(lp, fc, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-9));
      CHECK(std::abs(fecg::sos_response(hp, fc, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-9));
      CHECK(std::abs(fecg::sos_response(bp, f1, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-9));
      CHECK(std::abs(fecg::sos_response(bp, f2, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-9));
      CHECK(max_pole_radius(lp) < 1.0);
      CHECK(max_pole_radius(hp) < 1.0);
      CHECK(max_pole_radius(bp) < 1.0);
    }
  }
}

TEST_CASE("second-order Butterworth low-pass equals the closed-form bilinear biquad") {
  // Golden values: with K = tan(π fc / fs), the order-2 design is
  // b = K² (1, 2, 1) / D, a = (1, 2 (K² - 1) / D, (1 - √2 K + K²) / D), D = 1 + √2 K + K².
  // For fc = fs / 4 this is scipy.signal.butter(2, 0.5, output='sos'):
  // b = [0.29289322, 0.58578644, 0.29289322], a = [1, 0, 0.17157288].
  const auto sos = fecg::butterworth_lowpass(2, 250.0, 1000.0);
  REQUIRE(sos.size() == 1);
  const double expected[6] = {0.29289321881345254, 0.5857864376269051, 0.29289321881345254, 1.0, 0.0,
                              0.17157287525380996};
  for (int k = 0; k < 6; ++k) CHECK(sos[0][k] == doctest::Approx(expected[k]).epsilon(1e-12));
  const double k = std::tan(kPi * 0.0123), d = 1 + std::sqrt(2.0) * k + k * k;
  const auto low = fecg::butterworth_lowpass(2, 0.0123 * 500.0, 500.0);
  CHECK(low[0][0] == doctest::Approx(k * k / d).epsilon(1e-12));
  CHECK(low[0][4] == doctest::Approx(2 * (k * k - 1) / d).epsilon(1e-12));
  CHECK(low[0][5] == doctest::Approx((1 - std::sqrt(2.0) * k + k * k) / d).epsilon(1e-12));
}

TEST_CASE("sosfiltfilt keeps pass-band sines (< 0.1 dB, zero phase) and removes stop-band ones") {
  const double fs = 500.0;
  const std::size_t n = 10 * 500;
  const auto band = fecg::butterworth_bandpass(4, 1.0, 40.0, fs);
  const std::size_t begin = n / 5, end = n - n / 5;  // away from the edges
  for (double f : {5.0, 10.0, 20.0}) {
    auto x = sine(n, f, fs, 100.0, 0.3);
    const auto original = x;
    fecg::sosfiltfilt(band, x);
    INFO("f = " << f);
    CHECK(std::abs(db(rms(x, begin, end) / rms(original, begin, end))) < 0.1);
    // Zero phase: the output lies on the input sample by sample (a 1° shift would give 1.7 µV).
    double max_error = 0;
    for (std::size_t i = begin; i < end; ++i) max_error = std::max(max_error, std::abs(double(x[i]) - original[i]));
    CHECK(max_error < 1.2);  // 100 µV sine, 0.1 dB = 1.16 µV
  }
  // Stop band: |H|² at 0.1 Hz is about -150 dB and at 150 Hz below -110 dB; 60 dB is asked of
  // the measured output. Odd extension turns an edge sample away from the local mean into a step
  // (here up to 2 × 100 µV) whose 1 Hz high-pass response decays with τ ≈ 0.43 s, so the
  // measurement starts 5 s (12 τ) from each edge.
  const std::size_t n_long = 20 * 500;
  for (double f : {0.1, 150.0, 200.0}) {
    auto x = sine(n_long, f, fs, 100.0, 0.7);
    const auto original = x;
    fecg::sosfiltfilt(band, x);
    INFO("f = " << f);
    CHECK(db(rms(x, n_long / 4, n_long - n_long / 4) / rms(original, n_long / 4, n_long - n_long / 4)) < -60.0);
  }
}

TEST_CASE("0.5 Hz high-pass at 10 kHz stays stable and exact as second-order sections") {
  const double fs = 10000.0;
  const auto hp = fecg::butterworth_highpass(4, 0.5, fs);
  CHECK(max_pole_radius(hp) < 1.0);
  CHECK(max_pole_radius(hp) > 0.999);  // the poles really are close to z = 1
  const auto bp = fecg::butterworth_bandpass(4, 0.5, 100.0, fs);
  CHECK(max_pole_radius(bp) < 1.0);
  // A 500 µV offset, a slow 0.05 Hz drift (1 mV) and a 10 Hz sine (100 µV) over 6 s.
  const std::size_t n = 60000;
  std::vector<float> x(n), expected(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / fs;
    expected[i] = static_cast<float>(100.0 * std::sin(2 * kPi * 10.0 * t));
    x[i] = static_cast<float>(500.0 + 1000.0 * std::sin(2 * kPi * 0.05 * t) + expected[i]);
  }
  fecg::sosfiltfilt(bp, x);
  double max_error = 0;
  for (std::size_t i = n / 6; i < n - n / 6; ++i) {
    REQUIRE(std::isfinite(x[i]));
    max_error = std::max(max_error, std::abs(double(x[i]) - expected[i]));
  }
  // |H|² at 0.05 Hz is ~1e-8 (-160 dB) and at 10 Hz 1 - 4e-7: what remains is float rounding and
  // the 10 Hz sine's pass-band loss, both far below 2 µV.
  CHECK(max_error < 2.0);
}

TEST_CASE("sosfilt is the causal cascade: impulse response of one biquad") {
  // y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2], by hand for a unit impulse.
  const fecg::SosCascade sos = {fecg::Biquad{0.5, 0.25, 0.125, 1.0, -0.5, 0.25}};
  std::vector<float> x = {1, 0, 0, 0, 0};
  fecg::sosfilt(sos, x);
  const double y0 = 0.5, y1 = 0.25 + 0.5 * y0, y2 = 0.125 + 0.5 * y1 - 0.25 * y0;
  const double y3 = 0.5 * y2 - 0.25 * y1, y4 = 0.5 * y3 - 0.25 * y2;
  const double expected[5] = {y0, y1, y2, y3, y4};
  for (int i = 0; i < 5; ++i) CHECK(x[i] == doctest::Approx(expected[i]).epsilon(1e-7));
}

TEST_CASE("sosfiltfilt handles inputs shorter than its padding") {
  const auto lp = fecg::butterworth_lowpass(4, 20.0, 250.0);
  const auto hp = fecg::butterworth_highpass(4, 0.5, 250.0);
  for (std::size_t n : {1u, 2u, 3u, 7u, 40u}) {
    INFO("n = " << n);
    // A constant is a steady state: the low-pass keeps it, the high-pass removes it.
    std::vector<float> c(n, 42.0f), d(n, 42.0f);
    fecg::sosfiltfilt(lp, c);
    fecg::sosfiltfilt(hp, d);
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(c[i] == doctest::Approx(42.0).epsilon(1e-5));
      CHECK(std::abs(d[i]) < 1e-3);
    }
    // Arbitrary short data stays finite and bounded by a few times its range.
    std::vector<float> r(n);
    for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<float>((i * 37) % 11) - 5.0f;
    fecg::sosfiltfilt(lp, r);
    for (float v : r) CHECK(std::abs(v) < 50.0f);
  }
  std::vector<float> empty;
  CHECK_NOTHROW(fecg::sosfiltfilt(lp, empty));
}

TEST_CASE("sosfiltfilt_rows filters every lead like sosfiltfilt") {
  const auto lp = fecg::butterworth_lowpass(3, 15.0, 250.0);
  fecg::LeadMatrix x(2, 300);
  for (Eigen::Index i = 0; i < 300; ++i) {
    x(0, i) = static_cast<float>(std::sin(0.3 * i));
    x(1, i) = static_cast<float>((i % 17) - 8);
  }
  std::vector<float> row1(x.row(1).data(), x.row(1).data() + 300);
  fecg::sosfiltfilt_rows(lp, x);
  fecg::sosfiltfilt(lp, row1);
  for (Eigen::Index i = 0; i < 300; ++i) CHECK(x(1, i) == row1[static_cast<std::size_t>(i)]);
}

TEST_CASE("filter functions reject bad arguments with fecg::Error") {
  CHECK_THROWS_AS(fecg::butterworth_lowpass(0, 10, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::butterworth_lowpass(4, 125, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::butterworth_highpass(4, 0, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::butterworth_highpass(4, 10, std::nan("")), fecg::Error);
  CHECK_THROWS_AS(fecg::butterworth_bandpass(4, 40, 10, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::notch(50, 0, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::notch(60, 30, 100), fecg::Error);
  std::vector<float> x = {1.0f, std::nanf(""), 2.0f};
  CHECK_THROWS_AS(fecg::sosfiltfilt(fecg::butterworth_lowpass(2, 10, 250), x), fecg::Error);
  fecg::SosCascade bad = {fecg::Biquad{1, 0, 0, 2, 0, 0}};  // a0 != 1
  std::vector<float> y = {1.0f, 2.0f};
  CHECK_THROWS_AS(fecg::sosfilt(bad, y), fecg::Error);
}

TEST_CASE("notch removes the line frequency and keeps the rest") {
  const double fs = 1000.0;
  const auto n50 = fecg::notch(50.0, 30.0, fs);
  // Zeros on the unit circle at 50 Hz: the response there is 0 up to rounding.
  CHECK(std::abs(fecg::sos_response(n50, 50.0, fs)) < 1e-9);
  CHECK(std::abs(fecg::sos_response(n50, 0.0, fs)) == doctest::Approx(1.0).epsilon(1e-12));
  // -3 dB points at 50 ± bandwidth/2 (bandwidth 50/30 Hz), to the bilinear warping's accuracy.
  CHECK(std::abs(fecg::sos_response(n50, 50.0 + 50.0 / 60.0, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(0.01));
  CHECK(std::abs(fecg::sos_response(n50, 50.0 - 50.0 / 60.0, fs)) == doctest::Approx(std::sqrt(0.5)).epsilon(0.01));

  const std::size_t n = 10000;
  auto hum = sine(n, 50.0, fs, 200.0);
  auto signal = sine(n, 10.0, fs, 100.0);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = hum[i] + signal[i];
  fecg::sosfiltfilt(n50, x);
  std::vector<float> residual(n);
  for (std::size_t i = 0; i < n; ++i) residual[i] = x[i] - signal[i];
  // The 200 µV hum drops below 0.2 µV (-60 dB) once the notch's ~200-sample ring-in has passed.
  CHECK(db(rms(residual, 1000, n - 1000) / rms(hum, 1000, n - 1000)) < -60.0);
}

TEST_CASE("detect_powerline_hz finds 50 and 60 Hz hum on ECG-like signals and nothing without") {
  const double fs = 1000.0;
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.3, 50.0, 20.0, 1), fs) == 50.0);
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.3, 60.0, 20.0, 2), fs) == 60.0);
  // The mains frequency drifts: 49.8 Hz is still 50 Hz hum.
  CHECK(fecg::detect_powerline_hz(ecg_like(2, 20, fs, 1.1, 49.8, 20.0, 3), fs) == 50.0);
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.3, 50.0, 0.0, 4), fs) == 0.0);
  // 75 bpm puts the 40th harmonic of a perfectly periodic ECG exactly on 50 Hz: not hum.
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.25, 50.0, 0.0, 5), fs) == 0.0);
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.2, 50.0, 0.0, 6), fs) == 0.0);
  // A 55 Hz tone is neither line.
  CHECK(fecg::detect_powerline_hz(ecg_like(4, 20, fs, 1.3, 55.0, 20.0, 7), fs) == 0.0);
  // At 250 Hz the lines are still visible; at 100 Hz they are not; short or flat inputs give 0.
  CHECK(fecg::detect_powerline_hz(ecg_like(1, 20, 250.0, 1.3, 50.0, 20.0, 8), 250.0) == 50.0);
  CHECK(fecg::detect_powerline_hz(ecg_like(1, 20, 100.0, 1.3, 50.0, 20.0, 9), 100.0) == 0.0);
  CHECK(fecg::detect_powerline_hz(ecg_like(1, 0.5, fs, 1.3, 50.0, 20.0, 10), fs) == 0.0);
  CHECK(fecg::detect_powerline_hz(fecg::LeadMatrix::Zero(2, 5000), fs) == 0.0);
}
