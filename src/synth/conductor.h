// The volume conductor: electrodes on a cylinder (the abdomen), hearts as moving dipoles inside
// or above it, and the lead field of an infinite homogeneous medium (Sameni et al. 2007, sec. II-B;
// Behar et al., Physiol. Meas. 35:1537-1550, 2014): a dipole d at p adds d·(e - p)/|e - p|³ to
// the potential at e (the constant 1/4πσ is absorbed by the amplitude calibration).
#pragma once

#include "core/types.h"
#include "synth/random.h"
#include "synth/vcg.h"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <vector>

namespace fecg::synth {

using Mat3 = Eigen::Matrix3d;

struct Electrodes {
  std::vector<Vec3> leads;   // one per abdominal lead, metres, body coordinates (vcg.h)
  Vec3 reference;            // every lead is measured against this one (unipolar leads)
};

// Abdomen: a cylinder along z, radius 0.15-0.20 m. Leads on its front half (±70° around y, the
// navel at z = 0) on a jittered grid over z in [-0.15, 0.08] m; reference low on the midline,
// above the pubic symphysis, as in ADFECGDB (Jezewski et al. 2012).
Electrodes place_electrodes(int n_leads, double radius_m, Rng& rng);

// A sinusoidal movement: rotation angles (rad) about x, y, z and a translation (m), both scaled
// by sin(2π f t + phase).
struct Oscillation {
  double freq_hz = 0, phase = 0;
  Vec3 rotation_rad = Vec3::Zero(), translation_m = Vec3::Zero();
};

// A one-off slow movement (fetal movement): raised-cosine transition over [start_s, end_s].
struct Drift {
  double start_s = 0, end_s = 0;
  Vec3 rotation_rad = Vec3::Zero(), translation_m = Vec3::Zero();
};

struct HeartMotion {
  Vec3 position_m = Vec3::Zero();           // at rest
  Mat3 orientation = Mat3::Identity();      // heart coordinates -> body coordinates
  std::vector<Oscillation> oscillations;    // respiration, fetal breathing movements
  std::vector<Drift> drifts;                // fetal movement

  // Pose at time t: rotation (applied to the heart's dipole) and position.
  void pose(double t_s, Mat3& rotation, Vec3& position) const;
};

// Rotation from three angles about the body axes (x, then y, then z), rad.
Mat3 rotation_xyz(const Vec3& angles_rad);
// A uniformly distributed random rotation (Shoemake's quaternion method, Graphics Gems III, 1992).
Mat3 random_rotation(Rng& rng);

// out(j, t) = Σ_axes [L(e_j, p(t)) - L(e_ref, p(t))] · R(t) vcg(:, t), with L(e, p) = (e-p)/|e-p|³.
// `out` must be n_leads × vcg.cols(); it is overwritten.
void project_dipole(const Eigen::Matrix3Xf& vcg, const HeartMotion& motion, const Electrodes& electrodes,
                    double fs_hz, LeadMatrix& out);

}  // namespace fecg::synth
