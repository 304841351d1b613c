#include "synth/vcg.h"

#include <algorithm>
#include <cmath>

namespace fecg::synth {
namespace {

// A direction perturbed by a random tilt (components jittered by N(0, spread²), renormalised):
// every recording gets its own heart axis within a cone of roughly ±spread rad.
Vec3 jittered_direction(const Vec3& base, double spread, Rng& rng) {
  Vec3 v = base.normalized();
  v += normal_vec3(rng, spread);
  return v.normalized();
}

DipoleWave wave(const Vec3& moment, double centre_s, double width_s, double centre_jitter_s,
                WaveTiming timing, Rng& rng) {
  DipoleWave w;
  w.amplitude = moment;
  w.timing = timing;
  for (int k = 0; k < 3; ++k) {
    // Slightly different timing per axis turns each wave into a loop rather than a line, as in
    // measured vectorcardiograms (Sameni 2007, Fig. 2).
    w.centre_s[static_cast<size_t>(k)] = centre_s + rng.normal(0.0, centre_jitter_s);
    w.width_s[static_cast<size_t>(k)] = width_s * rng.uniform(0.9, 1.1);
  }
  return w;
}

// Interval ranges of one kind of heart, seconds (QTc by Bazett). Maternal: adult norms (QRS
// 80-100 ms as asked by the brief, PR 120-200 ms, QTc 380-440 ms). Fetal: fetal ECG reports at
// 20-41 weeks (QRS 30-50 ms, PR 80-120 ms, QT ~ 0.22-0.26 s at 140 bpm, i.e. QTc 0.33-0.40).
struct IntervalRanges {
  double qrs_lo, qrs_hi, pr_lo, pr_hi, p_dur_lo, p_dur_hi, qtc_lo, qtc_hi, t_dur_lo, t_dur_hi;
  double p_amp_lo, p_amp_hi, t_amp_lo, t_amp_hi;
};

constexpr IntervalRanges kMaternal{0.080, 0.100, 0.12, 0.20, 0.08, 0.11, 0.38, 0.44, 0.14, 0.20,
                                   0.08, 0.15, 0.18, 0.35};
constexpr IntervalRanges kFetal{0.030, 0.050, 0.08, 0.12, 0.04, 0.06, 0.33, 0.40, 0.08, 0.12,
                                0.05, 0.12, 0.08, 0.25};

HeartMorphology morphology(const IntervalRanges& r, double rr_reference_s, Rng& rng) {
  HeartMorphology m;
  m.rr_reference_s = rr_reference_s;
  const double w = rng.uniform(r.qrs_lo, r.qrs_hi);
  m.qrs_duration_s = w;

  // Mean directions of each wave's dipole in an adult heart (x left, y anterior, z up): the QRS
  // axis points left, inferior and slightly posterior (frontal axis ~ +60°); septal depolarisation
  // (Q) goes rightward and anterior; the late basal forces (S) rightward, posterior, superior; P
  // and T are concordant with the main QRS axis. The fetal heart's orientation in the abdomen is
  // random anyway (simulator.cpp), so the same axes serve both hearts.
  const Vec3 r_dir = jittered_direction({0.5, -0.2, -0.8}, 0.15, rng);
  const Vec3 q_dir = jittered_direction({-0.6, 0.6, 0.3}, 0.25, rng);
  const Vec3 s_dir = jittered_direction({-0.4, -0.5, 0.75}, 0.25, rng);
  const Vec3 t_dir = jittered_direction(r_dir + Vec3(0.1, 0.3, 0.1), 0.2, rng);
  const Vec3 p_dir = jittered_direction({0.5, 0.1, -0.85}, 0.2, rng);

  // QRS: Q at -0.32 w, R at 0, S at +0.32 w; ±2.5 widths of Q and S span the duration w.
  // The R wave has no per-axis jitter: its centre is the truth R peak in every lead.
  m.waves.push_back(wave(q_dir * rng.uniform(0.10, 0.20), -0.32 * w, 0.08 * w, 0.01 * w, WaveTiming::kFixed, rng));
  DipoleWave r_wave = wave(r_dir, 0.0, 0.13 * w, 0.0, WaveTiming::kFixed, rng);
  m.waves.push_back(r_wave);
  m.waves.push_back(wave(s_dir * rng.uniform(0.20, 0.45), 0.32 * w, 0.09 * w, 0.01 * w, WaveTiming::kFixed, rng));

  // P: ends where the PR interval says, centre = QRS onset - PR + half the P duration.
  const double pr = rng.uniform(r.pr_lo, r.pr_hi);
  const double p_dur = rng.uniform(r.p_dur_lo, r.p_dur_hi);
  m.waves.push_back(wave(p_dir * rng.uniform(r.p_amp_lo, r.p_amp_hi), -0.5 * w - pr + 0.5 * p_dur,
                         p_dur / 5.0, 0.05 * p_dur, WaveTiming::kFixed, rng));

  // T: ends at QRS onset + QT (QT = QTc √RR). Two Gaussians make it asymmetric, with the slow
  // ascent and steeper descent of a real T wave.
  const double qt = rng.uniform(r.qtc_lo, r.qtc_hi) * std::sqrt(rr_reference_s);
  const double t_dur = rng.uniform(r.t_dur_lo, r.t_dur_hi);
  const double t_end = -0.5 * w + qt;
  const double t_amp = rng.uniform(r.t_amp_lo, r.t_amp_hi);
  m.waves.push_back(wave(t_dir * t_amp, t_end - 0.40 * t_dur, t_dur / 5.5, 0.03 * t_dur, WaveTiming::kQt, rng));
  m.waves.push_back(wave(t_dir * (0.45 * t_amp), t_end - 0.65 * t_dur, t_dur / 4.0, 0.03 * t_dur, WaveTiming::kQt, rng));
  return m;
}

}  // namespace

HeartMorphology maternal_morphology(double rr_reference_s, Rng& rng) {
  return morphology(kMaternal, rr_reference_s, rng);
}

HeartMorphology fetal_morphology(double rr_reference_s, Rng& rng) {
  return morphology(kFetal, rr_reference_s, rng);
}

void sharpen_qrs(HeartMorphology& m, double factor) {
  const std::size_t qrs_waves = std::min<std::size_t>(3, m.waves.size());
  for (std::size_t i = 0; i < qrs_waves; ++i)
    for (double& width : m.waves[i].width_s) width *= factor;
}

HeartMorphology ectopic_morphology(const HeartMorphology& normal, Rng& rng) {
  HeartMorphology e;
  e.rr_reference_s = normal.rr_reference_s;
  const double w = normal.qrs_duration_s * rng.uniform(1.5, 1.8);
  e.qrs_duration_s = w;
  // A ventricular focus depolarises the ventricles along an abnormal path: a wide, large QRS in a
  // random direction, then a T wave pointing the other way (secondary repolarisation change).
  Vec3 main_dir = normal_vec3(rng, 1.0);
  if (main_dir.norm() < 1e-6) main_dir = Vec3(1, 0, 0);
  main_dir.normalize();
  const Vec3 notch_dir = jittered_direction(main_dir + normal_vec3(rng, 1.0), 0.3, rng);
  e.waves.push_back(wave(main_dir * rng.uniform(1.2, 1.8), 0.0, 0.17 * w, 0.0, WaveTiming::kFixed, rng));
  e.waves.push_back(wave(notch_dir * rng.uniform(0.2, 0.4), 0.22 * w, 0.12 * w, 0.02 * w, WaveTiming::kFixed, rng));
  // T from the normal beat's last T Gaussian: same timing shifted by the extra QRS width, wider.
  double t_centre = 0.3, t_width = 0.05;
  for (const DipoleWave& wv : normal.waves)
    if (wv.timing == WaveTiming::kQt) {
      t_centre = wv.centre_s[0];
      t_width = wv.width_s[0];
      break;
    }
  t_centre += 0.5 * (w - normal.qrs_duration_s);
  e.waves.push_back(wave(-main_dir * rng.uniform(0.3, 0.5), t_centre, 1.3 * t_width, 0.0, WaveTiming::kQt, rng));
  return e;
}

void render_vcg(const HeartMorphology& normal, const HeartMorphology& ectopic,
                const std::vector<Beat>& beats, double fs_hz, Eigen::Matrix3Xf& vcg) {
  const Eigen::Index n = vcg.cols();
  for (const Beat& beat : beats) {
    const HeartMorphology& m = beat.ectopic ? ectopic : normal;
    const double qt_scale = std::sqrt(std::max(beat.rr_prev_s, 1e-3) / m.rr_reference_s);
    for (const DipoleWave& w : m.waves) {
      const double scale = w.timing == WaveTiming::kQt ? qt_scale : 1.0;
      for (int axis = 0; axis < 3; ++axis) {
        const double a = w.amplitude[axis];
        if (a == 0.0) continue;
        const double centre = beat.time_s + scale * w.centre_s[static_cast<size_t>(axis)];
        const double sigma = scale * w.width_s[static_cast<size_t>(axis)];
        const double first = std::ceil((centre - 5.0 * sigma) * fs_hz);
        const double last = std::floor((centre + 5.0 * sigma) * fs_hz);
        if (last < 0.0 || first >= static_cast<double>(n)) continue;
        const Eigen::Index j0 = std::max<Eigen::Index>(0, static_cast<Eigen::Index>(first));
        const Eigen::Index j1 = std::min<Eigen::Index>(n - 1, static_cast<Eigen::Index>(last));
        const double inv_two_var = 0.5 / (sigma * sigma);
        for (Eigen::Index j = j0; j <= j1; ++j) {
          const double dt = static_cast<double>(j) / fs_hz - centre;
          vcg(axis, j) += static_cast<float>(a * std::exp(-dt * dt * inv_two_var));
        }
      }
    }
  }
}

}  // namespace fecg::synth
