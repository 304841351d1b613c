// Tests of src/detect on hand-built, seeded ECG-like signals with known beat times: QRS complexes
// as sums of Gaussians (Q, R, S, and a T wave for the mother), white noise, and the faults the
// detectors must survive (flat, saturated and pure-noise leads, maternal residue, polarity).
#include <doctest/doctest.h>

#include "core/error.h"
#include "detect/heart_rate.h"
#include "detect/qrs.h"
#include "detect/quality.h"
#include "eval/metrics.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <random>

namespace {

using fecg::BeatIndices;
using fecg::LeadMatrix;

constexpr double kFs = 250.0;  // the pipeline's analysis rate

// Beat times (samples) at `bpm` with RR jitter of ±jitter (relative, uniform), from 0.3 s on.
BeatIndices beat_train(double duration_s, double bpm, double jitter, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-jitter, jitter);
  BeatIndices beats;
  for (double t = 0.3; t < duration_s - 0.3; t += 60.0 / bpm * (1.0 + u(rng)))
    beats.push_back(std::llround(t * kFs));
  return beats;
}

double gauss(double t, double mu, double sigma) { return std::exp(-0.5 * (t - mu) * (t - mu) / (sigma * sigma)); }

// Adds ECG-like complexes at `beats` to row `lead`: R of height `amplitude` (negative = inverted
// lead) with width σ = qrs_sigma_s, Q and S at ∓1.5σ of -20 % and -30 %, and, if t_wave, a T wave
// of 30 % at +250 ms (σ 40 ms), as in a maternal lead.
void add_beats(LeadMatrix& x, int lead, const BeatIndices& beats, double amplitude, double qrs_sigma_s,
               bool t_wave) {
  const auto n = x.cols();
  for (const auto b : beats) {
    const double tb = static_cast<double>(b) / kFs;
    const auto lo = std::max<std::int64_t>(0, b - static_cast<std::int64_t>(0.5 * kFs));
    const auto hi = std::min<std::int64_t>(n, b + static_cast<std::int64_t>(0.5 * kFs));
    for (auto i = lo; i < hi; ++i) {
      const double t = static_cast<double>(i) / kFs;
      double v = gauss(t, tb, qrs_sigma_s) - 0.2 * gauss(t, tb - 1.5 * qrs_sigma_s, qrs_sigma_s) -
                 0.3 * gauss(t, tb + 1.5 * qrs_sigma_s, qrs_sigma_s);
      if (t_wave) v += 0.3 * gauss(t, tb + 0.25, 0.04);
      x(lead, i) += static_cast<float>(amplitude * v);
    }
  }
}

void add_noise(LeadMatrix& x, int lead, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, sigma);
  for (Eigen::Index i = 0; i < x.cols(); ++i) x(lead, i) += static_cast<float>(g(rng));
}

// F1 of the one-to-one matching within ±50 ms (the field's convention, src/eval/metrics.h).
double f1_score(const BeatIndices& truth, const BeatIndices& test) {
  return fecg::score_beats(truth, test, kFs, 0.05).f1;
}

// Largest |test - nearest truth| in samples, over test beats within ±50 ms of a truth beat.
std::int64_t worst_offset(const BeatIndices& truth, const BeatIndices& test) {
  std::int64_t worst = 0;
  for (const auto b : test) {
    auto it = std::lower_bound(truth.begin(), truth.end(), b);
    std::int64_t d = 1 << 30;
    if (it != truth.end()) d = std::min(d, std::abs(*it - b));
    if (it != truth.begin()) d = std::min(d, std::abs(*(it - 1) - b));
    if (d <= static_cast<std::int64_t>(0.05 * kFs)) worst = std::max(worst, d);
  }
  return worst;
}

// A 4-lead abdominal-like recording: maternal beats (µV, leads of different gain and polarity),
// fetal beats at 10 % of the maternal amplitude, white noise.
struct Abdominal {
  LeadMatrix x;
  BeatIndices maternal, fetal;
};

Abdominal abdominal(double duration_s, double maternal_bpm, double fetal_bpm, int n_leads, std::uint64_t seed) {
  Abdominal a;
  const auto n = static_cast<Eigen::Index>(duration_s * kFs);
  a.x = LeadMatrix::Zero(n_leads, n);
  a.maternal = beat_train(duration_s, maternal_bpm, 0.03, seed);
  a.fetal = beat_train(duration_s, fetal_bpm, 0.02, seed + 1);
  for (int l = 0; l < n_leads; ++l) {
    const double gain = (l % 2 ? -1.0 : 1.0) * (0.6 + 0.4 * l / std::max(1, n_leads - 1));
    add_beats(a.x, l, a.maternal, 1000.0 * gain, 0.012, true);
    add_beats(a.x, l, a.fetal, 100.0 * (l % 3 ? 1.0 : -1.0), 0.006, false);
    add_noise(a.x, l, 20.0, seed * 100 + static_cast<std::uint64_t>(l));
  }
  return a;
}

}  // namespace

TEST_CASE("detect_maternal_qrs finds every maternal beat on 4 leads and not the fetal ones") {
  const Abdominal a = abdominal(60.0, 80.0, 140.0, 4, 11);
  const BeatIndices found = fecg::detect_maternal_qrs(a.x, kFs);
  CHECK(f1_score(a.maternal, found) >= 0.99);
  // Peaks refined to the R extremum: within ±8 ms (2 samples) of the true R peak.
  CHECK(worst_offset(a.maternal, found) <= 2);
  // Not locked on the fetus: almost no detection lies near a fetal beat and far from maternal ones.
  CHECK(found.size() <= a.maternal.size() + 1);
  CHECK(std::is_sorted(found.begin(), found.end()));
}

TEST_CASE("detect_maternal_qrs survives a flat, a saturated and a pure-noise lead") {
  Abdominal a = abdominal(30.0, 75.0, 145.0, 4, 12);
  a.x.row(0).setZero();                                           // disconnected electrode
  for (Eigen::Index i = 0; i < a.x.cols(); ++i) {                 // amplifier at its rail
    const float v = 5.0f * a.x(1, i) + (i > a.x.cols() / 3 ? 4000.0f : 0.0f);
    a.x(1, i) = std::clamp(v, -3000.0f, 3000.0f);
  }
  a.x.row(2).setZero();
  add_noise(a.x, 2, 800.0, 99);                                   // electrode off: pure noise
  const BeatIndices found = fecg::detect_maternal_qrs(a.x, kFs);
  CHECK(f1_score(a.maternal, found) >= 0.99);
}

TEST_CASE("detect_maternal_qrs over the maternal rate range, 1 and 8 leads, 5 s and 30 min") {
  for (const double bpm : {40.0, 60.0, 120.0, 180.0}) {
    CAPTURE(bpm);
    const Abdominal a = abdominal(40.0, bpm, 150.0, 1, 13);
    CHECK(f1_score(a.maternal, fecg::detect_maternal_qrs(a.x, kFs)) >= 0.99);
  }
  const Abdominal eight = abdominal(20.0, 90.0, 135.0, 8, 14);
  CHECK(f1_score(eight.maternal, fecg::detect_maternal_qrs(eight.x, kFs)) >= 0.99);
  const Abdominal short_one = abdominal(5.0, 70.0, 140.0, 2, 15);
  CHECK(f1_score(short_one.maternal, fecg::detect_maternal_qrs(short_one.x, kFs)) >= 0.99);
  const Abdominal long_one = abdominal(1800.0, 85.0, 140.0, 1, 16);
  CHECK(f1_score(long_one.maternal, fecg::detect_maternal_qrs(long_one.x, kFs)) >= 0.995);
}

TEST_CASE("detect_maternal_qrs follows an amplitude drop by search-back") {
  Abdominal a = abdominal(40.0, 80.0, 140.0, 1, 17);
  a.x.rightCols(a.x.cols() / 2) *= 0.15f;  // electrode contact degrades half-way
  CHECK(f1_score(a.maternal, fecg::detect_maternal_qrs(a.x, kFs)) >= 0.99);
}

TEST_CASE("detect_maternal_qrs rejects bad input and handles degenerate input") {
  LeadMatrix x = LeadMatrix::Zero(2, 2500);
  CHECK(fecg::detect_maternal_qrs(x, kFs).empty());  // all flat
  CHECK(fecg::detect_maternal_qrs(LeadMatrix::Zero(1, 0), kFs).empty());
  CHECK(fecg::detect_maternal_qrs(LeadMatrix::Zero(1, 10), kFs).empty());
  CHECK_THROWS_AS(fecg::detect_maternal_qrs(LeadMatrix::Zero(0, 100), kFs), fecg::Error);
  CHECK_THROWS_AS(fecg::detect_maternal_qrs(x, 0.0), fecg::Error);
  CHECK_THROWS_AS(fecg::detect_maternal_qrs(x, std::nan("")), fecg::Error);
  x(1, 7) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(fecg::detect_maternal_qrs(x, kFs),
                       doctest::Contains("lead 2 has 1 non-finite samples (first at sample 7)"), fecg::Error);
}

namespace {

// Extracted-fetal-like channels: channel 0 fetal QRS (given polarity) + maternal residue spikes
// at maternal beats + noise; channel 1 noise only.
struct FetalChannels {
  LeadMatrix x;
  BeatIndices fetal, maternal;
};

FetalChannels fetal_channels(double duration_s, double fetal_bpm, double residue, double noise, double polarity,
                             std::uint64_t seed) {
  FetalChannels f;
  const auto n = static_cast<Eigen::Index>(duration_s * kFs);
  f.x = LeadMatrix::Zero(2, n);
  f.fetal = beat_train(duration_s, fetal_bpm, 0.03, seed);
  f.maternal = beat_train(duration_s, 78.0, 0.03, seed + 7);
  add_beats(f.x, 0, f.fetal, 30.0 * polarity, 0.006, false);
  add_beats(f.x, 0, f.maternal, 30.0 * residue, 0.010, false);
  add_noise(f.x, 0, noise, seed + 1);
  add_noise(f.x, 1, 10.0, seed + 2);
  return f;
}

}  // namespace

TEST_CASE("detect_fetal_qrs on a clean and a residue-laden channel, either polarity") {
  for (const double polarity : {1.0, -1.0}) {
    CAPTURE(polarity);
    const FetalChannels f = fetal_channels(60.0, 140.0, 0.0, 3.0, polarity, 21);
    const BeatIndices found = fecg::detect_fetal_qrs(f.x, kFs);
    CHECK(f1_score(f.fetal, found) >= 0.995);
    CHECK(worst_offset(f.fetal, found) <= 2);
  }
  // Maternal residue at 50 % of the fetal QRS height between the fetal beats.
  const FetalChannels r = fetal_channels(60.0, 150.0, 0.5, 3.0, 1.0, 22);
  CHECK(f1_score(r.fetal, fecg::detect_fetal_qrs(r.x, kFs)) >= 0.99);
}

// The fetal detection function is the one-signed slope (fetal_slope_envelope). On white noise it
// keeps half of the QRS's energy and all of the noise's high frequencies, so these synthetic cases
// score a little lower than with the QRS-band energy it replaced (measured: 230 bpm F1 0.982 against
// ≥ 0.99, the 14-dB case 0.939 against ≥ 0.97); on real recordings, whose noise is maternal residue
// and slow artefacts rather than white, it raised fetal F1 held out by mother from 0.951 to 0.954
// and cut the FHR-trace MAE from 1.20 to 1.07 bpm (docs/RELIABILITY.md).
TEST_CASE("detect_fetal_qrs over the fetal rate range and at low SNR") {
  for (const double bpm : {95.0, 120.0, 160.0, 200.0, 230.0}) {
    CAPTURE(bpm);
    const FetalChannels f = fetal_channels(30.0, bpm, 0.2, 3.0, 1.0, 23);
    // 230 bpm is 10 ms of RR above the refractory period: the slope peak's jitter costs a beat or two.
    CHECK(f1_score(f.fetal, fecg::detect_fetal_qrs(f.x, kFs)) >= (bpm < 225.0 ? 0.99 : 0.975));
  }
  // QRS peak 30 µV in white noise of σ 6 µV (~14 dB in the 10-45 Hz band).
  const FetalChannels noisy = fetal_channels(60.0, 140.0, 0.3, 6.0, -1.0, 24);
  CHECK(f1_score(noisy.fetal, fecg::detect_fetal_qrs(noisy.x, kFs)) >= 0.93);
}

TEST_CASE("detect_fetal_beats: the tracker keeps the rhythm where noise peaks outgrow the beats") {
  // 60 s at 140 bpm, fetal QRS 30 µV in white noise of 3 µV; in the middle 20 s, bursts larger
  // than the QRS (60 µV) 80-180 ms after half of the beats, the way muscle noise sits on a weak
  // extracted fetal ECG. The picker takes bursts; the tracker takes the beats the rhythm expects.
  FetalChannels f = fetal_channels(60.0, 140.0, 0.0, 3.0, 1.0, 31);
  std::mt19937_64 rng(32);
  std::uniform_real_distribution<double> after_s(0.08, 0.18);
  BeatIndices bursts;
  for (std::size_t i = 0; i < f.fetal.size(); i += 2)
    if (f.fetal[i] > 20 * kFs && f.fetal[i] < 40 * kFs) bursts.push_back(f.fetal[i] + std::llround(after_s(rng) * kFs));
  add_beats(f.x, 0, bursts, 60.0, 0.006, false);
  const fecg::FetalBeats found = fecg::detect_fetal_beats(f.x, kFs);
  CHECK(found.beats == fecg::detect_fetal_qrs(f.x, kFs));
  const double picked = f1_score(f.fetal, found.beats), tracked = f1_score(f.fetal, found.tracked);
  MESSAGE("bursts after half the beats: picked F1 " << picked << ", tracked F1 " << tracked);
  // Measured: picked 0.83, tracked 0.88. Where a burst is followed by a beat the picker missed,
  // it looks like a premature beat and its pause, and the tracker keeps it as one (the next test):
  // without that rule the tracker reached 0.97 here but dropped every premature beat there.
  CHECK(picked < 0.9);
  CHECK(tracked >= 0.86);
  CHECK(tracked >= picked + 0.03);
  CHECK(std::is_sorted(found.tracked.begin(), found.tracked.end()));
  CHECK(std::adjacent_find(found.tracked.begin(), found.tracked.end(),
                           [](std::int64_t a, std::int64_t b) { return b - a < std::llround(0.2 * kFs); }) ==
        found.tracked.end());  // never two beats within a refractory period
  // On a clean channel the two agree beat for beat.
  const FetalChannels clean = fetal_channels(60.0, 140.0, 0.0, 3.0, 1.0, 33);
  const fecg::FetalBeats both = fecg::detect_fetal_beats(clean.x, kFs);
  CHECK(f1_score(clean.fetal, both.tracked) >= 0.995);
  CHECK(fecg::score_beats(both.beats, both.tracked, kFs, 0.004).f1 >= 0.995);
  // Fewer than 4 picked beats: nothing to track from.
  const FetalChannels brief = fetal_channels(1.2, 140.0, 0.0, 3.0, 1.0, 34);
  CHECK(fecg::detect_fetal_beats(brief.x, kFs).tracked.empty());
}

TEST_CASE("detect_fetal_beats: the tracker keeps premature beats") {
  // 60 s at 140 bpm with a premature beat every 9th beat (35 % early, then a compensatory pause),
  // QRS 30 µV, T waves, noise 3 µV. The rhythm's prediction falls on the premature beat's T wave;
  // the tracker must take the premature beat itself, as the picker does, not the T wave.
  BeatIndices beats;
  const double rr_s = 60.0 / 140.0;
  for (int k = 0; 0.3 + k * rr_s < 59.5; ++k) {
    const double t = 0.3 + k * rr_s - (k % 9 == 4 ? 0.35 * rr_s : 0.0);
    beats.push_back(std::llround(t * kFs));
  }
  LeadMatrix x = LeadMatrix::Zero(1, static_cast<Eigen::Index>(60.0 * kFs));
  add_beats(x, 0, beats, 30.0, 0.006, true);
  add_noise(x, 0, 3.0, 35);
  const fecg::FetalBeats found = fecg::detect_fetal_beats(x, kFs);
  BeatIndices premature;
  for (std::size_t k = 4; k < beats.size(); k += 9) premature.push_back(beats[k]);
  const double picked = f1_score(beats, found.beats), tracked = f1_score(beats, found.tracked);
  MESSAGE("premature beats: picked F1 " << picked << ", tracked F1 " << tracked);
  CHECK(picked >= 0.99);
  CHECK(tracked >= 0.99);
  // Scored against the premature beats alone, none is lost.
  CHECK(fecg::score_beats(premature, found.tracked, kFs).false_negatives == 0);
}

TEST_CASE("detect_fetal_qrs fuses an R-peak probability") {
  const FetalChannels f = fetal_channels(60.0, 140.0, 0.3, 12.0, 1.0, 25);  // very noisy signal
  const auto n = f.x.cols();
  // Probability: a bump (σ 12 ms, height 0.8) at every true beat, spurious bumps of 0.3.
  fecg::Signal p = fecg::Signal::Zero(n);
  std::mt19937_64 rng(26);
  std::uniform_int_distribution<std::int64_t> where(0, n - 1);
  auto bump = [&](std::int64_t at, double height) {
    for (std::int64_t i = std::max<std::int64_t>(0, at - 10); i < std::min<std::int64_t>(n, at + 10); ++i)
      p[i] = std::max(p[i], static_cast<float>(height * gauss(static_cast<double>(i), static_cast<double>(at), 3.0)));
  };
  for (const auto b : f.fetal) bump(b, 0.8);
  for (int k = 0; k < 40; ++k) bump(where(rng), 0.3);
  const double f1_signal = f1_score(f.fetal, fecg::detect_fetal_qrs(f.x, kFs));
  const double f1_fused = f1_score(f.fetal, fecg::detect_fetal_qrs(f.x, kFs, {}, p));
  const double f1_prob = f1_score(f.fetal, fecg::detect_fetal_qrs(LeadMatrix(0, n), kFs, {}, p));
  CAPTURE(f1_signal);
  CHECK(f1_prob >= 0.99);
  CHECK(f1_fused >= 0.985);  // measured 0.989
  CHECK(f1_fused > f1_signal);
}

TEST_CASE("detect_fetal_qrs rejects bad input") {
  const LeadMatrix x = LeadMatrix::Zero(1, 1000);
  CHECK(fecg::detect_fetal_qrs(x, kFs).empty());
  CHECK(fecg::detect_fetal_qrs(LeadMatrix::Zero(1, 0), kFs).empty());
  CHECK_THROWS_AS(fecg::detect_fetal_qrs(LeadMatrix(0, 100), kFs), fecg::Error);
  CHECK_THROWS_AS(fecg::detect_fetal_qrs(x, kFs, {}, fecg::Signal::Zero(999)), fecg::Error);
  fecg::Signal p = fecg::Signal::Zero(1000);
  p[3] = 1.5f;
  CHECK_THROWS_WITH_AS(fecg::detect_fetal_qrs(x, kFs, {}, p), doctest::Contains("expected a value in 0..1"),
                       fecg::Error);
  fecg::FetalQrsParams bad;
  bad.min_bpm = 250;
  CHECK_THROWS_AS(fecg::detect_fetal_qrs(x, kFs, bad), fecg::Error);
  CHECK_THROWS_AS(fecg::detect_fetal_qrs(x, 20.0), fecg::Error);  // 0.45 × 20 Hz = 9 Hz: no band left
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("heart_rate of a regular train, with a missed and an extra beat") {
  BeatIndices beats;
  for (int k = 0; k < 100; ++k) beats.push_back(100 + k * 107);  // RR 0.428 s = 140.19 bpm
  const double bpm = 60.0 * kFs / 107.0;
  fecg::HeartRateSeries hr = fecg::heart_rate(beats, kFs, {.min_bpm = 90, .max_bpm = 240});
  REQUIRE(hr.bpm.size() == 99);
  CHECK(hr.time_s[0] == doctest::Approx(207.0 / kFs));
  CHECK(hr.bpm[5] == doctest::Approx(bpm));
  REQUIRE(hr.mean_bpm.has_value());
  CHECK(*hr.mean_bpm == doctest::Approx(bpm).epsilon(1e-9));
  CHECK(std::none_of(hr.is_outlier.begin(), hr.is_outlier.end(), [](bool b) { return b; }));

  BeatIndices faulty = beats;
  faulty.erase(faulty.begin() + 40);           // missed beat: one RR of 2×
  faulty.push_back(beats[70] + 40);            // extra beat: RR split 40 / 67
  std::reverse(faulty.begin(), faulty.end());  // unsorted: a sorted copy is used
  hr = fecg::heart_rate(faulty, kFs, {.min_bpm = 90, .max_bpm = 240});
  REQUIRE(hr.bpm.size() == 99);
  const auto n_outliers = std::count(hr.is_outlier.begin(), hr.is_outlier.end(), true);
  CHECK(n_outliers == 3);
  for (const double v : hr.bpm_smooth) CHECK(v == doctest::Approx(bpm).epsilon(0.01));
  CHECK(hr.min_bpm.value() >= bpm - 1.0);
  CHECK(hr.max_bpm.value() <= bpm + 1.0);
}

TEST_CASE("heart_rate keeps an abrupt deceleration and a sustained bradycardia (issue 13)") {
  // 140 bpm, then an abrupt fall to 80 bpm held for 40 beats, then back: every value is a real
  // change of rate, none an outlier, and the smoothed rate reaches the nadir.
  BeatIndices beats;
  std::int64_t t = 0;
  for (int k = 0; k < 120; ++k) beats.push_back(t += (k >= 40 && k < 80) ? 188 : 107);  // 79.8 / 140.2 bpm
  const fecg::HeartRateSeries hr = fecg::heart_rate(beats, kFs);
  CHECK(std::count(hr.is_outlier.begin(), hr.is_outlier.end(), true) == 0);
  REQUIRE(hr.min_bpm.has_value());
  CHECK(*hr.min_bpm == doctest::Approx(60.0 * kFs / 188.0).epsilon(0.01));
  CHECK(*hr.max_bpm == doctest::Approx(60.0 * kFs / 107.0).epsilon(0.01));
  // A bradycardia of 55 bpm throughout is in range, reported as it is.
  BeatIndices slow;
  for (int k = 0; k < 60; ++k) slow.push_back(k * 273);  // 54.9 bpm
  const fecg::HeartRateSeries brady = fecg::heart_rate(slow, kFs);
  REQUIRE(brady.mean_bpm.has_value());
  CHECK(*brady.mean_bpm == doctest::Approx(60.0 * kFs / 273.0));
}

TEST_CASE("apply_reliability: figures from reliable spans only, none without them") {
  BeatIndices beats;
  for (int k = 0; k < 100; ++k) beats.push_back(k < 50 ? k * 100 : 5000 + (k - 50) * 125);  // 150 then 120 bpm
  fecg::HeartRateSeries hr = fecg::heart_rate(beats, kFs);
  fecg::apply_reliability(hr, {{0.0, 19.0}});
  REQUIRE(hr.reliable.size() == hr.bpm.size());
  CHECK(hr.reliable.front());
  CHECK_FALSE(hr.reliable.back());
  REQUIRE(hr.mean_bpm.has_value());
  CHECK(*hr.max_bpm == doctest::Approx(150.0).epsilon(0.01));
  CHECK(*hr.min_bpm > 140.0);  // the 120 bpm half is not reliable
  fecg::apply_reliability(hr, {});
  CHECK_FALSE(hr.mean_bpm.has_value());
  CHECK_FALSE(hr.min_bpm.has_value());
  CHECK(std::none_of(hr.reliable.begin(), hr.reliable.end(), [](bool b) { return b; }));
}

TEST_CASE("heart_rate follows a rate step and handles 0, 1 and 2 beats") {
  BeatIndices beats;
  std::int64_t t = 0;
  for (int k = 0; k < 60; ++k) beats.push_back(t += (k < 30 ? 125 : 100));  // 120 → 150 bpm
  const fecg::HeartRateSeries hr = fecg::heart_rate(beats, kFs, {.smoothing_s = 3.0});
  CHECK(hr.bpm_smooth.front() == doctest::Approx(120.0));
  CHECK(hr.bpm_smooth.back() == doctest::Approx(150.0));
  CHECK(std::count(hr.is_outlier.begin(), hr.is_outlier.end(), true) == 0);

  CHECK(fecg::heart_rate({}, kFs).bpm.empty());
  const fecg::HeartRateSeries one = fecg::heart_rate({42}, kFs);
  CHECK(one.bpm.empty());
  CHECK_FALSE(one.mean_bpm.has_value());
  const fecg::HeartRateSeries two = fecg::heart_rate({0, 100}, kFs);
  REQUIRE(two.bpm.size() == 1);
  CHECK(two.bpm[0] == doctest::Approx(150.0));
  CHECK(two.mean_bpm.value() == doctest::Approx(150.0));
  // Two beats 10 s apart: 6 bpm, out of the default 50-240 bpm.
  const fecg::HeartRateSeries slow = fecg::heart_rate({0, 2500}, kFs);
  CHECK(slow.is_outlier[0]);
  CHECK(slow.bpm_smooth[0] == doctest::Approx(6.0));  // the raw value, flagged, never clamped
  CHECK_FALSE(slow.mean_bpm.has_value());              // and no summary from it
  CHECK(fecg::heart_rate({5, 5, 5}, kFs).bpm.empty());  // duplicates removed
  CHECK_THROWS_AS(fecg::heart_rate({-1, 10}, kFs), fecg::Error);
  CHECK_THROWS_AS(fecg::heart_rate({1, 10}, -250.0), fecg::Error);
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("assess_quality scores a clean lead high, a noise lead low, and flags flat/saturated") {
  const double duration_s = 40.0;
  const auto n = static_cast<Eigen::Index>(duration_s * kFs);
  const BeatIndices fetal = beat_train(duration_s, 140.0, 0.02, 31);
  LeadMatrix x = LeadMatrix::Zero(4, n);
  add_beats(x, 0, fetal, 20.0, 0.006, false);
  add_noise(x, 0, 1.0, 32);
  add_noise(x, 1, 5.0, 33);                                         // pure noise
  // Row 2: flat. Row 3: the clean lead clipped hard (saturated amplifier).
  add_beats(x, 3, fetal, 20.0, 0.006, false);
  add_noise(x, 3, 8.0, 34);
  for (Eigen::Index i = 0; i < n; ++i) x(3, i) = std::clamp(x(3, i), -4.0f, 4.0f);
  const std::vector<std::string> names{"Abdomen_1", "Abdomen_2", "Abdomen_3", "Abdomen_4"};
  const fecg::SignalQuality q = fecg::assess_quality(x, fetal, kFs, names, 10.0);
  REQUIRE(q.lead_sqi.size() == 4);
  CHECK(q.lead_sqi[0] > 0.85f);
  CHECK(q.lead_sqi[1] < 0.3f);
  CHECK(q.lead_sqi[2] == 0.0f);
  CHECK(q.lead_sqi[3] < q.lead_sqi[0]);
  CHECK(q.sqi > 0.85f);
  REQUIRE(q.windows.size() == 4);
  CHECK(q.windows[3].end_s == doctest::Approx(duration_s));
  for (const auto& w : q.windows) CHECK(w.sqi >= w.lead_sqi[1]);
  auto has = [&](const std::string& text) {
    return std::any_of(q.warnings.begin(), q.warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  CHECK(has("lead 'Abdomen_3' is flat"));
  CHECK(has("lead 'Abdomen_4' looks saturated"));
  CHECK(has("lead 'Abdomen_2' has a low fetal ECG quality"));
  CHECK_FALSE(has("Abdomen_1"));

  // Beats with half the RR intervals implausible (every other beat displaced): lower RR score.
  BeatIndices jittered = fetal;
  for (std::size_t k = 1; k < jittered.size(); k += 2) jittered[k] += 30;
  const fecg::SignalQuality bad = fecg::assess_quality(x, jittered, kFs, names, 10.0);
  CHECK(bad.lead_sqi[0] < 0.5f * q.lead_sqi[0]);
}

TEST_CASE("assess_quality rejects bad input") {
  const LeadMatrix x = LeadMatrix::Zero(2, 1000);
  CHECK_THROWS_AS(fecg::assess_quality(x, {}, kFs, {"a"}), fecg::Error);
  CHECK_THROWS_AS(fecg::assess_quality(x, {1000}, kFs, {}), fecg::Error);
  CHECK_THROWS_AS(fecg::assess_quality(x, {}, kFs, {}, 0.0), fecg::Error);
  const fecg::SignalQuality q = fecg::assess_quality(x, {10, 20}, kFs, {});
  CHECK(q.sqi == 0.0f);
  CHECK(std::any_of(q.warnings.begin(), q.warnings.end(),
                    [](const std::string& w) { return w.find("too few") != std::string::npos; }));
}
