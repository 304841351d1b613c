// The heart as a 3-D dipole whose moment is a sum of Gaussian waves (P, Q, R, S, T) per axis:
// the ECG model of McSharry et al. (IEEE TBME 50(3):289-294, 2003) extended to a vectorcardiogram
// by Sameni et al. (IEEE TBME 54(12):2172-2185, 2007). McSharry writes each wave as
// a_i exp(-Δθ_i² / 2b_i²) in the cardiac phase θ (0 → 2π per beat, R at θ = 0). Here the centre
// θ_i and width b_i are stored as times (centre_s = θ_i RR / 2π, width_s = b_i RR / 2π) so that each
// beat can stretch them by its own RR interval the way a heart does: the QRS keeps its duration,
// the P wave keeps its PR interval and the T wave follows the QT interval, which grows with
// √RR (Bazett, Heart 7:353-370, 1920).
#pragma once

#include "synth/random.h"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <vector>

namespace fecg::synth {

// Body coordinates used by the whole simulator, metres: x towards the mother's left, y anterior
// (out of the abdomen), z towards her head.
using Vec3 = Eigen::Vector3d;

// Random vectors drawn component by component in x, y, z order. Draws are always sequenced
// through named locals: the evaluation order of function arguments (and of the operands of *) is
// unspecified in C++, and GCC and Clang differ, which would change a recording across compilers.
inline Vec3 normal_vec3(Rng& rng, double sd) {
  const double x = rng.normal(0.0, sd);
  const double y = rng.normal(0.0, sd);
  const double z = rng.normal(0.0, sd);
  return Vec3(x, y, z);
}
inline Vec3 uniform_vec3(Rng& rng, const Vec3& lo, const Vec3& hi) {
  const double x = rng.uniform(lo.x(), hi.x());
  const double y = rng.uniform(lo.y(), hi.y());
  const double z = rng.uniform(lo.z(), hi.z());
  return Vec3(x, y, z);
}
// Magnitude uniform in [lo, hi], sign + or - with equal odds.
inline double signed_uniform(Rng& rng, double lo, double hi) {
  const double sign = rng.bernoulli(0.5) ? 1.0 : -1.0;
  return sign * rng.uniform(lo, hi);
}
inline Vec3 signed_uniform_vec3(Rng& rng, double lo, double hi) {
  const double x = signed_uniform(rng, lo, hi);
  const double y = signed_uniform(rng, lo, hi);
  const double z = signed_uniform(rng, lo, hi);
  return Vec3(x, y, z);
}

enum class WaveTiming { kFixed, kQt };   // kQt: centre and width scale with √(RR / RR_reference)

struct DipoleWave {
  Vec3 amplitude;                  // dipole moment at the wave's peak, arbitrary units (scaled later)
  std::array<double, 3> centre_s;  // per axis, relative to the R peak, at RR_reference
  std::array<double, 3> width_s;   // Gaussian standard deviation per axis, seconds
  WaveTiming timing = WaveTiming::kFixed;
};

struct HeartMorphology {
  std::vector<DipoleWave> waves;
  double rr_reference_s = 1.0;     // RR at which centre_s/width_s hold (QT scaling reference)
  double qrs_duration_s = 0.09;    // onset to offset, for peak search windows
};

// Randomised per recording within physiological ranges (sources in vcg.cpp): maternal QRS
// 80-100 ms, PR 120-200 ms, QTc 380-440 ms; fetal QRS 30-50 ms, PR 80-120 ms, QTc 330-400 ms.
// `rr_reference_s` is the recording's mean RR.
HeartMorphology maternal_morphology(double rr_reference_s, Rng& rng);
HeartMorphology fetal_morphology(double rr_reference_s, Rng& rng);
// Narrows the Q, R and S waves (the first three of `m.waves`, as maternal_morphology and
// fetal_morphology build them) to `factor` (0, 1] of their width, keeping their timing and the
// QRS duration: the sharp maternal R-S deflection abdominal leads often show (half-amplitude
// widths of 10-20 ms on Challenge 2013 a02, a09, a16, a18, against 25-30 ms at factor 1).
// Throws nothing; factor outside (0, 1] is the caller's error (SynthParams validates it).
void sharpen_qrs(HeartMorphology& m, double factor);
// A premature ventricular beat of the same heart: no P wave, QRS 1.5-1.8× as wide along another
// axis, T wave opposite to the QRS (discordant), as in ventricular ectopy.
HeartMorphology ectopic_morphology(const HeartMorphology& normal, Rng& rng);

struct Beat {
  double time_s = 0;       // R peak (phase crosses the R-wave centre, θ = 0)
  double rr_prev_s = 1.0;  // interval from the previous beat, drives the QT scaling
  bool ectopic = false;
};

// Adds every beat's waves to `vcg` (3 × n, sample j at time j / fs_hz), each Gaussian truncated at
// ±5 widths (relative error < 4e-6). Beats outside the window contribute their tails.
void render_vcg(const HeartMorphology& normal, const HeartMorphology& ectopic,
                const std::vector<Beat>& beats, double fs_hz, Eigen::Matrix3Xf& vcg);

}  // namespace fecg::synth
