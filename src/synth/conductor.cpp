#include "synth/conductor.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fecg::synth {
namespace {

Vec3 lead_field(const Vec3& electrode, const Vec3& source) {
  const Vec3 r = electrode - source;
  const double d = r.norm();
  return r / (d * d * d);
}

}  // namespace

Electrodes place_electrodes(int n_leads, double radius_m, Rng& rng) {
  Electrodes e;
  const double max_angle = 70.0 * std::numbers::pi / 180.0;
  const double z_lo = -0.15, z_hi = 0.08;
  // A grid of cols × rows cells, wider than tall like the usable abdominal surface; each lead
  // takes a distinct random cell and a random spot in the central 70% of it, so electrodes keep a
  // spacing of a few cm, as on a real belt or patch.
  int cols = 1;
  while (cols * std::max(1, (cols * 2) / 3) < n_leads) ++cols;
  const int rows = std::max(1, (n_leads + cols - 1) / cols);
  std::vector<int> cells(static_cast<size_t>(cols * rows));
  for (size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<int>(i);
  for (size_t i = cells.size(); i > 1; --i) std::swap(cells[i - 1], cells[rng.index(i)]);  // Fisher-Yates
  for (int k = 0; k < n_leads; ++k) {
    const int cell = cells[static_cast<size_t>(k)];
    const double u = (cell % cols + 0.5 + rng.uniform(-0.35, 0.35)) / cols;
    const double v = (cell / cols + 0.5 + rng.uniform(-0.35, 0.35)) / rows;
    const double angle = -max_angle + 2.0 * max_angle * u;
    e.leads.emplace_back(radius_m * std::sin(angle), radius_m * std::cos(angle), z_lo + (z_hi - z_lo) * v);
  }
  const double ref_angle = rng.uniform(-0.15, 0.15);
  e.reference = Vec3(radius_m * std::sin(ref_angle), radius_m * std::cos(ref_angle), rng.uniform(-0.22, -0.18));
  return e;
}

Mat3 rotation_xyz(const Vec3& a) {
  const double cx = std::cos(a.x()), sx = std::sin(a.x());
  const double cy = std::cos(a.y()), sy = std::sin(a.y());
  const double cz = std::cos(a.z()), sz = std::sin(a.z());
  Mat3 rx, ry, rz;
  rx << 1, 0, 0, 0, cx, -sx, 0, sx, cx;
  ry << cy, 0, sy, 0, 1, 0, -sy, 0, cy;
  rz << cz, -sz, 0, sz, cz, 0, 0, 0, 1;
  return rz * ry * rx;
}

Mat3 random_rotation(Rng& rng) {
  const double u1 = rng.uniform(), u2 = rng.uniform(), u3 = rng.uniform();
  const double two_pi = 2.0 * std::numbers::pi;
  const double a = std::sqrt(1 - u1), b = std::sqrt(u1);
  const Eigen::Quaterniond q(b * std::cos(two_pi * u3), a * std::sin(two_pi * u2), a * std::cos(two_pi * u2),
                             b * std::sin(two_pi * u3));
  return q.normalized().toRotationMatrix();
}

void HeartMotion::pose(double t_s, Mat3& rotation, Vec3& position) const {
  Vec3 angles = Vec3::Zero();
  position = position_m;
  for (const Oscillation& o : oscillations) {
    const double s = std::sin(2.0 * std::numbers::pi * o.freq_hz * t_s + o.phase);
    angles += s * o.rotation_rad;
    position += s * o.translation_m;
  }
  for (const Drift& d : drifts) {
    if (t_s <= d.start_s) continue;
    const double u = std::clamp((t_s - d.start_s) / std::max(d.end_s - d.start_s, 1e-9), 0.0, 1.0);
    const double w = 0.5 - 0.5 * std::cos(std::numbers::pi * u);
    angles += w * d.rotation_rad;
    position += w * d.translation_m;
  }
  rotation = rotation_xyz(angles) * orientation;
}

void project_dipole(const Eigen::Matrix3Xf& vcg, const HeartMotion& motion, const Electrodes& electrodes,
                    double fs_hz, LeadMatrix& out) {
  const Eigen::Index n = vcg.cols();
  const auto n_leads = static_cast<Eigen::Index>(electrodes.leads.size());
  out.resize(n_leads, n);
  Mat3 rotation;
  Vec3 position;
  for (Eigen::Index t = 0; t < n; ++t) {
    motion.pose(static_cast<double>(t) / fs_hz, rotation, position);
    const Vec3 dipole = rotation * vcg.col(t).cast<double>();
    const double ref = lead_field(electrodes.reference, position).dot(dipole);
    for (Eigen::Index j = 0; j < n_leads; ++j)
      out(j, t) = static_cast<float>(lead_field(electrodes.leads[static_cast<size_t>(j)], position).dot(dipole) - ref);
  }
}

}  // namespace fecg::synth
