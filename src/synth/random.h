// Portable random draws for the simulator. std::mt19937_64 is specified bit-exactly by the
// standard, but std::uniform_real_distribution and std::normal_distribution are not (libstdc++,
// libc++ and MSVC give different numbers), so the distributions are written out here: a recording
// must be the same on every platform for a given seed, WASM included.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace fecg::synth {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // Uniform on [0, 1): the top 53 bits of one 64-bit draw, so every value is exactly representable.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Standard normal by the Box-Muller transform (Box & Muller, Ann. Math. Stat. 29:610, 1958);
  // the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

  bool bernoulli(double p) { return uniform() < p; }

  // Uniform integer in [0, n), n >= 1, by rejection (no modulo bias).
  std::uint64_t index(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t v = engine_();
    while (v >= limit) v = engine_();
    return v % n;
  }

  // Poisson count by inversion (Knuth); fine for the small means used here (< 30).
  int poisson(double mean) {
    const double limit = std::exp(-mean);
    double product = uniform();
    int count = 0;
    while (product > limit && count < 1000) {
      product *= uniform();
      ++count;
    }
    return count;
  }

  // An independent stream for one part of the simulation, so that changing how many numbers one
  // part draws (e.g. more leads) does not change what the others draw.
  Rng split() { return Rng(engine_() ^ 0x9E3779B97F4A7C15ull); }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace fecg::synth
