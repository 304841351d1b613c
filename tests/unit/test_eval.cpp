// Tests of src/eval/metrics with hand-computed cases.
#include "eval/metrics.h"

#include "core/error.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

TEST_CASE("score_beats: hand-counted matches within ±50 ms") {
  // fs = 1000 Hz, tolerance 50 samples.
  const fecg::BeatIndices ref = {1000, 1500, 2000, 2500, 3000};
  // 1040 matches 1000; 1551 is 51 samples late (FP, and 1500 is FN); 2000 exact; 2550 exactly at
  // the tolerance (match); 2990 and 3010 both near 3000: only the first-found closest matches,
  // the other is a FP; 5000 is far from everything.
  const fecg::BeatIndices test = {1040, 1551, 2000, 2550, 3010, 2990, 5000};
  const fecg::BeatScore s = fecg::score_beats(ref, test, 1000.0);
  CHECK(s.true_positives == 4);
  CHECK(s.false_positives == 3);
  CHECK(s.false_negatives == 1);
  CHECK(s.sensitivity == doctest::Approx(4.0 / 5.0));
  CHECK(s.ppv == doctest::Approx(4.0 / 7.0));
  CHECK(s.f1 == doctest::Approx(8.0 / 12.0));
}

TEST_CASE("score_beats: one-to-one, closest pair first") {
  // Reference 100 and 160; test 130 is 30 from 100 and 30 from 160, test 150 is 10 from 160.
  // Closest first: (150, 160) matches, then (130, 100). A first-come matcher pairing 130 with 160
  // would leave 100 unmatched.
  const fecg::BeatScore s = fecg::score_beats({100, 160}, {130, 150}, 1000.0);
  CHECK(s.true_positives == 2);
  CHECK(s.false_positives == 0);
  CHECK(s.false_negatives == 0);
  // Two detections around a single reference beat: one TP, one FP.
  const fecg::BeatScore d = fecg::score_beats({500}, {490, 505}, 1000.0);
  CHECK(d.true_positives == 1);
  CHECK(d.false_positives == 1);
  // Unsorted input is accepted; tolerance scales with fs (±50 ms at 250 Hz = ±12 samples).
  const fecg::BeatScore u = fecg::score_beats({300, 100, 200}, {212, 88, 313}, 250.0);
  CHECK(u.true_positives == 2);  // 212 and 88 within 12 samples; 313 is 13 away
  CHECK(u.false_negatives == 1);
}

TEST_CASE("score_beats: empty series have defined scores") {
  const fecg::BeatScore both = fecg::score_beats({}, {}, 1000.0);
  CHECK(both.sensitivity == 1.0);
  CHECK(both.ppv == 1.0);
  CHECK(both.f1 == 1.0);
  const fecg::BeatScore no_test = fecg::score_beats({1, 2, 3}, {}, 1000.0);
  CHECK(no_test.false_negatives == 3);
  CHECK(no_test.sensitivity == 0.0);
  CHECK(no_test.ppv == 1.0);
  CHECK(no_test.f1 == 0.0);
  const fecg::BeatScore no_ref = fecg::score_beats({}, {5, 500}, 1000.0);
  CHECK(no_ref.false_positives == 2);
  CHECK(no_ref.sensitivity == 1.0);
  CHECK(no_ref.ppv == 0.0);
  CHECK(no_ref.f1 == 0.0);
  CHECK_THROWS_AS(fecg::score_beats({1}, {1}, 0.0), fecg::Error);
  CHECK_THROWS_AS(fecg::score_beats({1}, {1}, 1000.0, -0.1), fecg::Error);
}

TEST_CASE("score_heart_rate: constant offset and interpolation by hand") {
  // Reference: beats every 400 ms (150 bpm) at 1000 Hz, midpoints at 0.2, 0.6, ... s.
  fecg::BeatIndices ref;
  for (int i = 0; i <= 10; ++i) ref.push_back(i * 400);
  // Identical series: zero error at all 10 midpoints.
  const fecg::HeartRateScore same = fecg::score_heart_rate(ref, ref, 1000.0);
  CHECK(same.n == 10);
  CHECK(same.mae_bpm == 0.0);
  // Test every 500 ms (120 bpm) from 0 to 4000: its midpoints span 0.25 .. 3.75 s, so reference
  // midpoints 0.6 .. 3.4 s (8 of them) are compared, each with an error of -30 bpm.
  fecg::BeatIndices slow;
  for (int i = 0; i <= 8; ++i) slow.push_back(i * 500);
  const fecg::HeartRateScore s = fecg::score_heart_rate(ref, slow, 1000.0);
  CHECK(s.n == 8);
  CHECK(s.mae_bpm == doctest::Approx(30.0));
  CHECK(s.mse_bpm2 == doctest::Approx(900.0));
  // Interpolation: test rates 120 bpm at 0.25 s and 150 bpm at 0.7 s (beats 0, 500, 900);
  // the reference midpoint at 0.6 s sees 120 + 30 × 0.35 / 0.45 = 143.33 bpm, error 6.67.
  const fecg::HeartRateScore i = fecg::score_heart_rate(ref, {0, 500, 900}, 1000.0);
  CHECK(i.n == 1);
  CHECK(i.mae_bpm == doctest::Approx(150.0 - (120.0 + 30.0 * 0.35 / 0.45)));
}

TEST_CASE("score_heart_rate: implausible reference intervals skipped, degenerate inputs") {
  // A missed reference beat makes an 800 ms interval (fine, 75 bpm); a doubled one a 10 ms
  // interval (skipped). Reference 0, 400, 410, 800: intervals 0.4 (kept, midpoint 0.2 s), 0.01
  // (skipped), 0.39 (kept, 153.8 bpm at 0.605 s); the test is 150 bpm from 0.2 to 1.0 s.
  const fecg::HeartRateScore s = fecg::score_heart_rate({0, 400, 410, 800}, {0, 400, 800, 1200}, 1000.0);
  CHECK(s.n == 2);
  CHECK(s.mae_bpm == doctest::Approx((0.0 + std::abs(150.0 - 60.0 / 0.39)) / 2.0));
  CHECK(fecg::score_heart_rate({}, {}, 1000.0).n == 0);
  CHECK(fecg::score_heart_rate({0, 400, 800}, {100}, 1000.0).n == 0);
  CHECK(fecg::score_heart_rate({0, 400, 800}, {100, 100}, 1000.0).n == 0);  // duplicated beat
  CHECK_THROWS_AS(fecg::score_heart_rate({0, 400}, {0, 400}, -1.0), fecg::Error);
}

TEST_CASE("score_waveform: RMSE, R², Pearson and normalised RMSE by hand") {
  const std::vector<float> ref = {1, 2, 3, 4};  // mean 2.5, SST = 5
  const std::vector<float> test = {2, 3, 4, 5};  // ref + 1
  const fecg::WaveformScore s = fecg::score_waveform(ref, test);
  CHECK(s.rmse == doctest::Approx(1.0));
  CHECK(s.r2 == doctest::Approx(1.0 - 4.0 / 5.0));
  CHECK(s.pearson == doctest::Approx(1.0));
  CHECK(s.rmse_normalised == doctest::Approx(0.25));  // divided by max |ref| = 4
  // R² can be negative: an anti-correlated estimate is worse than the mean.
  const std::vector<float> flipped = {4, 3, 2, 1};
  const fecg::WaveformScore f = fecg::score_waveform(ref, flipped);
  CHECK(f.r2 == doctest::Approx(1.0 - 20.0 / 5.0));
  CHECK(f.pearson == doctest::Approx(-1.0));
  // Windows of 2: peaks 2 and 4, errors 1 each → (1/2)², (1/2)², (1/4)², (1/4)².
  const fecg::WaveformScore w = fecg::score_waveform(ref, test, 2);
  CHECK(w.rmse_normalised == doctest::Approx(std::sqrt((0.25 + 0.25 + 0.0625 + 0.0625) / 4.0)));
  // Constant reference and test.
  const std::vector<float> c = {3, 3, 3};
  CHECK(fecg::score_waveform(c, c).r2 == 1.0);
  CHECK(fecg::score_waveform(c, c).pearson == 0.0);
  CHECK_THROWS_AS(fecg::score_waveform(ref, c), fecg::Error);
  CHECK_THROWS_AS(fecg::score_waveform(std::vector<float>{}, std::vector<float>{}), fecg::Error);
  const std::vector<float> nan = {1, std::nanf(""), 3, 4};
  CHECK_THROWS_AS(fecg::score_waveform(ref, nan), fecg::Error);
}
