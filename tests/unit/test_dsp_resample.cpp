// Tests of src/dsp/resample: lengths, pass-band amplitude and time alignment, stop-band
// attenuation above the new Nyquist frequency, constants at the edges, odd ratios, index mapping.
#include "dsp/resample.h"

#include "core/error.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

namespace {

constexpr double kPi = std::numbers::pi;

struct Rates {
  double in, out;
};

// The conversions the project meets: ADFECGDB (1 kHz), NSTDB (360 Hz), Challenge 2013 (1 kHz),
// the analysis rate (250 Hz) both ways, an audio-style odd ratio and the extremes.
const Rates kRates[] = {{1000, 250}, {360, 250}, {250, 1000}, {500, 250},  {44100, 48000},
                        {48000, 44100}, {100, 10000}, {10000, 100}, {250, 360}, {1000, 999}};

// A sine sampled at fs over n samples, as a 1-lead matrix.
fecg::LeadMatrix sine_lead(Eigen::Index n, double f_hz, double fs_hz, double amplitude, double phase) {
  fecg::LeadMatrix x(1, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x(0, i) = static_cast<float>(amplitude * std::sin(2 * kPi * f_hz * static_cast<double>(i) / fs_hz + phase));
  }
  return x;
}

}  // namespace

TEST_CASE("resample: output length is ceil(n * fs_out / fs_in)") {
  for (const Rates& r : kRates) {
    for (Eigen::Index n : {1, 2, 3, 17, 1000}) {
      const fecg::LeadMatrix x = fecg::LeadMatrix::Constant(2, n, 1.0f);
      const fecg::LeadMatrix y = fecg::resample(x, r.in, r.out);
      INFO(r.in << " -> " << r.out << ", n = " << n);
      CHECK(y.rows() == 2);
      CHECK(y.cols() == static_cast<Eigen::Index>(std::ceil(static_cast<double>(n) * r.out / r.in - 1e-9)));
    }
  }
  CHECK(fecg::resample(fecg::LeadMatrix(3, 0), 1000, 250).cols() == 0);
  // Same rate: returned unchanged.
  const fecg::LeadMatrix x = sine_lead(100, 3, 250, 1, 0);
  CHECK(fecg::resample(x, 250, 250) == x);
}

TEST_CASE("resample: a constant stays constant up to the edges") {
  for (const Rates& r : kRates) {
    for (Eigen::Index n : {1, 5, 2000}) {
      const fecg::LeadMatrix x = fecg::LeadMatrix::Constant(1, n, 1234.5f);
      const fecg::LeadMatrix y = fecg::resample(x, r.in, r.out);
      INFO(r.in << " -> " << r.out << ", n = " << n);
      CHECK((y.array() - 1234.5f).abs().maxCoeff() < 1e-3 * 1234.5);
    }
  }
}

TEST_CASE("resample: pass-band sines keep amplitude (< 0.1 dB) and timing") {
  for (const Rates& r : kRates) {
    const double lower = std::min(r.in, r.out);
    // 4 s of signal (at least 400 input samples), judged away from the first and last 0.5 s.
    const auto n = static_cast<Eigen::Index>(4.0 * r.in);
    for (double fraction : {0.02, 0.2, 0.44}) {
      const double f = fraction * lower;
      const fecg::LeadMatrix x = sine_lead(n, f, r.in, 100.0, 0.4);
      const fecg::LeadMatrix y = fecg::resample(x, r.in, r.out);
      // Output sample k lies at time k / fs_out: compare with the sine evaluated there. An
      // amplitude error of 0.1 dB is 1.16 % of 100; a timing error of 1 % of a period would be 6 %.
      const fecg::LeadMatrix expected = sine_lead(y.cols(), f, r.out, 100.0, 0.4);
      const auto begin = static_cast<Eigen::Index>(0.5 * r.out), end = y.cols() - begin;
      const double max_error = (y.middleCols(begin, end - begin) - expected.middleCols(begin, end - begin))
                                   .cwiseAbs()
                                   .maxCoeff();
      INFO(r.in << " -> " << r.out << ", f = " << f << " Hz");
      CHECK(max_error < 1.16);
    }
  }
}

TEST_CASE("resample: tones above the new Nyquist frequency are attenuated by more than 60 dB") {
  for (const Rates& r : kRates) {
    if (r.out >= r.in) continue;
    const auto n = static_cast<Eigen::Index>(4.0 * r.in);
    for (double fraction : {0.5, 0.52, 0.7, 0.95}) {
      const double f = fraction * r.out;
      if (f >= r.in / 2) continue;
      const fecg::LeadMatrix y = fecg::resample(sine_lead(n, f, r.in, 100.0, 0.4), r.in, r.out);
      const auto begin = static_cast<Eigen::Index>(0.5 * r.out), end = y.cols() - begin;
      const double rms = std::sqrt(y.middleCols(begin, end - begin).squaredNorm() / static_cast<double>(end - begin));
      INFO(r.in << " -> " << r.out << ", f = " << f << " Hz");
      CHECK(20 * std::log10(rms / (100.0 / std::sqrt(2.0))) < -60.0);
    }
  }
}

TEST_CASE("resample: leads are independent and the span overload agrees") {
  fecg::LeadMatrix x(2, 720);
  for (Eigen::Index i = 0; i < 720; ++i) {
    x(0, i) = static_cast<float>(std::sin(0.05 * i));
    x(1, i) = static_cast<float>(i % 9);
  }
  const fecg::LeadMatrix y = fecg::resample(x, 360, 250);
  const fecg::Signal s = fecg::resample(std::span<const float>(x.row(1).data(), 720), 360, 250);
  REQUIRE(s.size() == y.cols());
  for (Eigen::Index i = 0; i < s.size(); ++i) CHECK(s(i) == y(1, i));
  // Length 1 through the span overload: one sample in, ceil(4) = 4 out at 250 → 1000 Hz.
  const float one = 7.0f;
  const fecg::Signal up = fecg::resample(std::span<const float>(&one, 1), 250, 1000);
  REQUIRE(up.size() == 4);
  for (Eigen::Index i = 0; i < 4; ++i) CHECK(up(i) == doctest::Approx(7.0).epsilon(1e-5));
}

TEST_CASE("resample rejects bad rates and non-finite samples") {
  const fecg::LeadMatrix x = fecg::LeadMatrix::Ones(1, 10);
  CHECK_THROWS_AS(fecg::resample(x, 0, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::resample(x, 1000, -1), fecg::Error);
  CHECK_THROWS_AS(fecg::resample(x, std::nan(""), 250), fecg::Error);
  CHECK_THROWS_AS(fecg::resample(x, 1e7, 1), fecg::Error);  // ratio beyond 1/1000
  fecg::LeadMatrix bad = x;
  bad(0, 3) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_AS(fecg::resample(bad, 1000, 250), fecg::Error);
}

TEST_CASE("rescale_index maps sample indices between rates") {
  CHECK(fecg::rescale_index(1000, 1000, 250) == 250);
  CHECK(fecg::rescale_index(1001, 1000, 250) == 250);
  CHECK(fecg::rescale_index(1002, 1000, 250) == 251);  // 250.5 rounds away from zero
  CHECK(fecg::rescale_index(360, 360, 250) == 250);
  CHECK(fecg::rescale_index(0, 44100, 48000) == 0);
  // Up then down is the identity for integer ratios, and any index round-trips through a
  // higher rate.
  for (std::int64_t i = 0; i < 5000; i += 7) {
    CHECK(fecg::rescale_index(fecg::rescale_index(i, 250, 1000), 1000, 250) == i);
    CHECK(fecg::rescale_index(fecg::rescale_index(i, 360, 1000), 1000, 360) == i);
  }
  const fecg::BeatIndices beats = {10, 400, 1234};
  const fecg::BeatIndices back = fecg::rescale_indices(fecg::rescale_indices(beats, 250, 500), 500, 250);
  CHECK(back == beats);
  CHECK_THROWS_AS(fecg::rescale_index(1, 0, 250), fecg::Error);
  CHECK_THROWS_AS(fecg::rescale_index(std::int64_t{1} << 62, 1, 1000), fecg::Error);
}
