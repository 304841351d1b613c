// Tests of src/dsp/normalize: robust centre and scale on known distributions, flat and mostly
// flat leads, exact inverse.
#include "dsp/normalize.h"

#include "core/error.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

TEST_CASE("robust_scaling: median and 1.4826 MAD by hand") {
  fecg::LeadMatrix x(2, 5);
  x << 1, 2, 3, 4, 100,  // median 3, |x - 3| = 2 1 0 1 97 → MAD 1
      -4, 0, 2, 10, 8;   // median 2, |x - 2| = 6 2 0 8 6 → MAD 6
  const fecg::LeadScaling s = fecg::robust_scaling(x);
  CHECK(s.center_uv(0) == doctest::Approx(3.0));
  CHECK(s.scale_uv(0) == doctest::Approx(1.4826));
  CHECK(s.center_uv(1) == doctest::Approx(2.0));
  CHECK(s.scale_uv(1) == doctest::Approx(6 * 1.4826));
  // Even length: the mean of the two middle values, for the median and for the MAD.
  fecg::LeadMatrix e(1, 4);
  e << 10, 0, 4, 2;  // median 3, |x - 3| = 7 3 1 1 → MAD 2
  const fecg::LeadScaling se = fecg::robust_scaling(e);
  CHECK(se.center_uv(0) == doctest::Approx(3.0));
  CHECK(se.scale_uv(0) == doctest::Approx(2 * 1.4826));
}

TEST_CASE("robust_scaling: Gaussian noise with QRS-like outliers gives its σ, not the outliers'") {
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(50.0f, 20.0f);  // centre 50 µV, σ 20 µV
  fecg::LeadMatrix x(1, 20000);
  for (Eigen::Index i = 0; i < x.cols(); ++i) x(0, i) = noise(rng) + (i % 250 < 5 ? 2000.0f : 0.0f);
  const fecg::LeadScaling s = fecg::robust_scaling(x);
  // 2 % outliers move the median and MAD by a few percent of σ; 5 % tolerance on σ (20 000 samples
  // give the MAD a standard error of ~1 %).
  CHECK(s.center_uv(0) == doctest::Approx(50.0).epsilon(0.03));
  CHECK(s.scale_uv(0) == doctest::Approx(20.0).epsilon(0.05));
}

TEST_CASE("robust_scaling: flat leads get 1 µV, mostly flat leads fall back to the standard deviation") {
  fecg::LeadMatrix x = fecg::LeadMatrix::Constant(3, 1000, 7.0f);
  // Lead 1: 90 % at 7 µV and 10 % at 107 µV, so the MAD is 0; σ = 100 × sqrt(0.1 × 0.9) = 30 µV.
  for (Eigen::Index i = 0; i < 100; ++i) x(1, i * 10) = 107.0f;
  // Lead 2: tiny wiggle of ±0.1 µV: spread below the floor.
  for (Eigen::Index i = 0; i < 1000; ++i) x(2, i) += (i % 2 ? 0.1f : -0.1f);
  const fecg::LeadScaling s = fecg::robust_scaling(x);
  CHECK(s.center_uv(0) == 7.0f);
  CHECK(s.scale_uv(0) == 1.0f);
  CHECK(s.center_uv(1) == 7.0f);
  CHECK(s.scale_uv(1) == doctest::Approx(30.0).epsilon(1e-4));
  CHECK(s.scale_uv(2) == 1.0f);
}

TEST_CASE("normalize and denormalize are inverse to 1e-4 relative") {
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.0f, 1.0f);
  fecg::LeadMatrix x(4, 5000);
  for (Eigen::Index r = 0; r < 4; ++r) {
    for (Eigen::Index i = 0; i < x.cols(); ++i) x(r, i) = -300.0f * r + std::pow(10.0f, float(r)) * d(rng);
  }
  const fecg::LeadScaling s = fecg::robust_scaling(x);
  const fecg::LeadMatrix z = fecg::normalize(x, s);
  for (Eigen::Index r = 0; r < 4; ++r) {
    // Normalised leads are centred with unit robust spread: the median of z is 0 by construction.
    fecg::LeadMatrix one = z.row(r);
    const fecg::LeadScaling sz = fecg::robust_scaling(one);
    CHECK(std::abs(sz.center_uv(0)) < 1e-5);
    CHECK(sz.scale_uv(0) >= 1.0f);  // unit spread, at the 1 µV floor
  }
  const fecg::LeadMatrix back = fecg::denormalize(z, s);
  for (Eigen::Index r = 0; r < 4; ++r) {
    const double peak = x.row(r).cwiseAbs().maxCoeff();
    CHECK((back.row(r) - x.row(r)).cwiseAbs().maxCoeff() <= 1e-4 * peak);
  }
  // Scale-only inverse: the offset is not put back.
  const fecg::LeadMatrix scaled = fecg::denormalize_scale_only(z, s);
  for (Eigen::Index r = 0; r < 4; ++r) {
    CHECK((scaled.row(r).array() + s.center_uv(r) - x.row(r).array()).abs().maxCoeff() <=
          1e-4 * x.row(r).cwiseAbs().maxCoeff());
  }
}

TEST_CASE("normalisation rejects mismatched scalings and bad input") {
  const fecg::LeadMatrix x = fecg::LeadMatrix::Ones(2, 10);
  fecg::LeadScaling s = fecg::robust_scaling(x);
  CHECK_THROWS_AS(fecg::normalize(fecg::LeadMatrix::Ones(3, 10), s), fecg::Error);
  s.scale_uv(1) = 0;
  CHECK_THROWS_AS(fecg::normalize(x, s), fecg::Error);
  CHECK_THROWS_AS(fecg::denormalize(x, s), fecg::Error);
  CHECK_THROWS_AS(fecg::robust_scaling(fecg::LeadMatrix(2, 0)), fecg::Error);
  fecg::LeadMatrix bad = x;
  bad(1, 4) = std::nanf("");
  CHECK_THROWS_AS(fecg::robust_scaling(bad), fecg::Error);
}
