// FastICA (Hyvärinen 1999, "Fast and robust fixed-point algorithms for independent component
// analysis", IEEE TNN 10(3)): PCA whitening, fixed-point iteration with the log-cosh contrast
// G(y) = log cosh(y) (g = tanh, g' = 1 - tanh²), either symmetric (all rows at once, symmetric
// decorrelation W ← (W Wᵀ)^(-1/2) W after every step) or by deflation (one row at a time,
// Gram–Schmidt against the rows already found).
#include "core/error.h"
#include "extract/detail.h"
#include "extract/extract.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace fecg {
namespace {

// The fixed-point iteration is fitted on at most this many samples (a uniform stride over the
// recording): 20 000 samples estimate the 4th-order statistics of ≤ 32 sources to well under 1 %,
// and bound the cost of the iteration whatever the recording's length; applying the unmixing
// matrix to all samples is then the only cost linear in n.
constexpr Eigen::Index kMaxFitSamples = 20000;
// Whitening keeps the directions whose variance exceeds this fraction of the largest: duplicate
// leads leave an exactly zero eigenvalue, rounding of float data leaves ~1e-14; a fetal ECG 40 dB
// below the maternal one is still ~1e-4.
constexpr double kMinRelativeEigenvalue = 1e-9;

// Standard normal draws from std::mt19937 (whose output sequence the standard fixes) by the
// Box–Muller transform, so that the initial matrix is identical on every platform (the std
// distributions are implementation-defined).
class PortableGaussian {
 public:
  explicit PortableGaussian(unsigned seed) : engine_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // Uniforms in (0, 1): never 0, so that log(u1) is finite.
    const double u1 = (static_cast<double>(engine_()) + 0.5) / 4294967296.0;
    const double u2 = (static_cast<double>(engine_()) + 0.5) / 4294967296.0;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return radius * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// One fixed-point step for every row of w at once: E{z g(wᵀz)} - E{g'(wᵀz)} w, g = tanh.
Eigen::MatrixXd fixed_point_step(const Eigen::MatrixXd& w, const Eigen::MatrixXf& z) {
  const Eigen::ArrayXXf g = (w.cast<float>() * z).array().tanh();
  const Eigen::VectorXd g_prime_mean = (1.0f - g.square()).rowwise().mean().cast<double>();
  Eigen::MatrixXd next = (g.matrix() * z.transpose()).cast<double>() / static_cast<double>(z.cols());
  next -= g_prime_mean.asDiagonal() * w;
  return next;
}

// Converged when every row keeps its direction (up to sign): |⟨w_new, w_old⟩| → 1.
double direction_change(const Eigen::MatrixXd& next, const Eigen::MatrixXd& w) {
  return (1.0 - (next * w.transpose()).diagonal().cwiseAbs().array()).abs().maxCoeff();
}

// (W Wᵀ)^(-1/2) W: the nearest orthogonal matrix to W (rows decorrelated symmetrically, no
// component favoured, unlike Gram–Schmidt deflation).
Eigen::MatrixXd symmetric_decorrelation(const Eigen::MatrixXd& w) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(w * w.transpose());
  const Eigen::VectorXd inv_sqrt = eig.eigenvalues().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
  return eig.eigenvectors() * inv_sqrt.asDiagonal() * eig.eigenvectors().transpose() * w;
}

}  // namespace

IcaResult fastica_1999(const LeadMatrix& x, const FastIcaParams& params) {
  const std::string who = "fastica_1999";
  extract_detail::check_leads(x, 1.0, who);
  if (params.max_iterations < 1)
    throw Error(who + ": max_iterations must be at least 1, got " + std::to_string(params.max_iterations));
  if (!(std::isfinite(params.tolerance) && params.tolerance > 0))
    throw Error(who + ": tolerance must be finite and positive, got " + std::to_string(params.tolerance));
  const Eigen::Index n_leads = x.rows(), n = x.cols();

  // Centre, and the covariance over all samples (double: sums of up to ~1e7 products).
  const Eigen::VectorXd mean = x.cast<double>().rowwise().mean();
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(n_leads, n_leads);
  {
    // In chunks, so that no double copy of a long recording is made.
    constexpr Eigen::Index kChunk = 8192;
    for (Eigen::Index start = 0; start < n; start += kChunk) {
      const Eigen::Index len = std::min(kChunk, n - start);
      const Eigen::MatrixXd xc = x.middleCols(start, len).cast<double>().colwise() - mean;
      cov.noalias() += xc * xc.transpose();
    }
    cov /= static_cast<double>(n);
  }

  // PCA whitening: K = D^(-1/2) Eᵀ over the kept eigen-directions (largest first).
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> pca(cov);
  const double largest = pca.eigenvalues()(n_leads - 1);
  std::vector<Eigen::Index> kept;
  for (Eigen::Index i = n_leads - 1; i >= 0; --i) {
    const double lambda = pca.eigenvalues()(i);
    if (largest > 0 && lambda > kMinRelativeEigenvalue * largest) kept.push_back(i);
  }
  const Eigen::Index k = static_cast<Eigen::Index>(kept.size());
  IcaResult result;
  if (k == 0) {  // every lead is flat: no component to find
    result.sources.resize(0, n);
    result.mixing.resize(n_leads, 0);
    return result;
  }
  Eigen::MatrixXd whitening(k, n_leads), dewhitening(n_leads, k);
  for (Eigen::Index c = 0; c < k; ++c) {
    const double lambda = pca.eigenvalues()(kept[static_cast<std::size_t>(c)]);
    const Eigen::VectorXd e = pca.eigenvectors().col(kept[static_cast<std::size_t>(c)]);
    whitening.row(c) = e.transpose() / std::sqrt(lambda);
    dewhitening.col(c) = e * std::sqrt(lambda);
  }

  Eigen::MatrixXd w = Eigen::MatrixXd::Identity(k, k);
  if (k > 1) {
    // Whitened fitting samples (k × m, float for the vectorised tanh), a uniform stride.
    const Eigen::Index stride = (n + kMaxFitSamples - 1) / kMaxFitSamples;
    const Eigen::Index m = (n + stride - 1) / stride;
    Eigen::MatrixXf z(k, m);
    const Eigen::MatrixXf whitening_f = whitening.cast<float>();
    const Eigen::VectorXf mean_f = mean.cast<float>();
    for (Eigen::Index j = 0; j < m; ++j) z.col(j) = whitening_f * (x.col(j * stride) - mean_f);

    PortableGaussian gauss(params.seed);
    for (Eigen::Index i = 0; i < k; ++i)
      for (Eigen::Index j = 0; j < k; ++j) w(i, j) = gauss();
    w = symmetric_decorrelation(w);
    if (params.deflation) {
      // Row by row, each kept orthogonal to the rows before it (Gram–Schmidt) and of unit norm.
      for (Eigen::Index p = 0; p < k; ++p) {
        const auto orthonormalise = [&](Eigen::MatrixXd row) {
          for (Eigen::Index q = 0; q < p; ++q) row -= row.row(0).dot(w.row(q)) * w.row(q);
          return Eigen::MatrixXd(row / row.norm());
        };
        Eigen::MatrixXd row = orthonormalise(w.row(p));
        for (int iteration = 0; iteration < params.max_iterations; ++iteration) {
          const Eigen::MatrixXd next = orthonormalise(fixed_point_step(row, z));
          if (!next.allFinite()) break;  // the step fell into the rows already found: keep the last
          const double change = direction_change(next, row);
          row = next;
          if (change < params.tolerance) break;
        }
        w.row(p) = row;
      }
    } else {
      for (int iteration = 0; iteration < params.max_iterations; ++iteration) {
        const Eigen::MatrixXd next = symmetric_decorrelation(fixed_point_step(w, z));
        const double change = direction_change(next, w);
        w = next;
        if (change < params.tolerance) break;
      }
    }
  }

  // Unmixing U = W K, mixing A = K⁺ Wᵀ (W orthogonal); sources over every sample.
  const Eigen::MatrixXd unmixing = w * whitening;
  Eigen::MatrixXd mixing = dewhitening * w.transpose();
  const Eigen::MatrixXf unmixing_f = unmixing.cast<float>();
  const Eigen::VectorXf offset = (unmixing * mean).cast<float>();
  LeadMatrix sources = unmixing_f * x;
  sources.colwise() -= offset;
  // Exactly unit variance (the fit used a subsample), and the components ordered by the energy
  // they put on the leads, largest first, so that the output does not depend on the initial matrix.
  std::vector<Eigen::Index> order(static_cast<std::size_t>(k));
  for (Eigen::Index c = 0; c < k; ++c) {
    order[static_cast<std::size_t>(c)] = c;
    const double sd = std::sqrt(sources.row(c).cast<double>().squaredNorm() / static_cast<double>(n));
    if (sd > 0) {
      sources.row(c) /= static_cast<float>(sd);
      mixing.col(c) *= sd;
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return mixing.col(a).squaredNorm() > mixing.col(b).squaredNorm();
  });
  result.sources.resize(k, n);
  result.mixing.resize(n_leads, k);
  for (Eigen::Index c = 0; c < k; ++c) {
    result.sources.row(c) = sources.row(order[static_cast<std::size_t>(c)]);
    result.mixing.col(c) = mixing.col(order[static_cast<std::size_t>(c)]).cast<float>();
  }
  return result;
}

}  // namespace fecg
