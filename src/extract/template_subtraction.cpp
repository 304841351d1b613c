// Maternal template subtraction (TS) with a PCA template fitted per beat and per segment.
//
// Sources: Kanjilal, Palit & Saha 1997 (SVD/PCA of the aligned maternal beat matrix); Martens et
// al. 2007 (separate P, QRS and T fits of the template, "TSc"); Behar et al. 2014 (TSpca as the
// strongest single-channel method); Andreotti et al. 2014 (template from neighbouring beats,
// robust to ectopics). The steps, per lead:
//   1. every maternal beat is aligned to the lead's median beat with sub-sample precision (the
//      maternal QRS slope is ~50 µV/ms, so a 2 ms misalignment leaves ~100 µV, more than a fetal R);
//   2. beats far from the median beat (ectopics, artefacts) are kept out of every template;
//   3. for each beat, the first n_components principal components of up to n_beats neighbouring
//      aligned beats (the beat itself excluded, so that its own fetal QRS cannot be learnt) are
//      fitted by least squares to the P, QRS and T segments separately;
//   4. the segment fits are joined by raised-cosine cross-fades and tapered at the window edges,
//      so that the subtracted estimate has no steps, and subtracted.
// With n_components = 0, step 3 is the neighbours' sample-wise median beat, subtracted unscaled.
#include "core/error.h"
#include "core/median.h"
#include "extract/detail.h"
#include "extract/extract.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace fecg {
namespace {

// Maternal QRS segment relative to the R peak, seconds: the adult QRS lasts 80–110 ms with the R
// peak about 40–50 ms after its onset; 110 ms in all.
constexpr double kQrsStart_s = -0.05;
constexpr double kQrsEnd_s = 0.06;
// Cross-fade between neighbouring segment fits (raised cosine), seconds: short against P and T
// waves (80–200 ms) but a few samples long at 250 Hz, so that no step is left at the border.
constexpr double kCrossfade_s = 0.02;
// Cross-fade at the ends of each beat window, seconds, centred on the window's edge: where two
// windows abut (short RR) the two beats' estimates are blended with weights summing to one; where
// the window ends in the isoelectric gap between beats, the estimate fades out smoothly.
constexpr double kEdgeFade_s = 0.03;
// Largest alignment correction searched, seconds: ±12 ms covers the R-peak jitter of a detector at
// 250 Hz (±2 ms quantisation) and the shift of the QRS maximum between leads.
constexpr double kMaxLag_s = 0.012;
// A beat whose distance to the median beat exceeds this multiple of the median distance is an
// outlier (ectopic, artefact) and is kept out of the templates; 3 × is ~4.4 robust SDs of a
// chi-like distance, so normal beats are rarely excluded.
constexpr double kOutlierDistanceFactor = 3.0;
// Consecutive beats sharing one PCA basis: neighbouring beats' templates differ by one beat in 20,
// so recomputing the basis for every beat costs 4 × as much for no visible gain.
constexpr int kBasisGroup = 4;
// Fewest beats needed to build a template at all.
constexpr int kMinTemplateBeats = 2;

struct BeatWindow {
  std::int64_t r = 0;  // maternal R peak, samples
  int left = 0;        // samples kept before r (clipped for short RR and at the start)
  int right = 0;       // samples kept after r (clipped for short RR and at the end)
};

// Clips each beat's window so that neighbouring windows never overlap: the RR interval is shared
// in the proportion before : after, which keeps the P wave with its own beat.
std::vector<BeatWindow> beat_windows(const BeatIndices& beats, Eigen::Index n, int before, int after) {
  std::vector<BeatWindow> windows(beats.size());
  const double share_before = static_cast<double>(before) / std::max(1, before + after);
  for (std::size_t i = 0; i < beats.size(); ++i) {
    BeatWindow& w = windows[i];
    w.r = beats[i];
    std::int64_t left = std::min<std::int64_t>(before, w.r);
    std::int64_t right = std::min<std::int64_t>(after, n - 1 - w.r);
    if (i > 0) {
      const std::int64_t rr = beats[i] - beats[i - 1];
      left = std::min<std::int64_t>(left, static_cast<std::int64_t>(std::floor(share_before * rr)));
    }
    if (i + 1 < beats.size()) {
      const std::int64_t rr = beats[i + 1] - beats[i];
      // The remainder of the RR interval, minus one sample so that the windows are disjoint.
      right = std::min<std::int64_t>(right, rr - 1 - static_cast<std::int64_t>(std::floor(share_before * rr)));
    }
    w.left = static_cast<int>(std::max<std::int64_t>(left, 0));
    w.right = static_cast<int>(std::max<std::int64_t>(right, 0));
  }
  return windows;
}

// 0 before b - h/2, 1 after b + h/2, raised cosine in between.
double raised_ramp(double u, double b, double h) {
  if (h <= 0) return u >= b ? 1.0 : 0.0;
  const double s = (u - (b - 0.5 * h)) / h;
  if (s <= 0) return 0.0;
  if (s >= 1) return 1.0;
  return 0.5 - 0.5 * std::cos(std::numbers::pi * s);
}

class LeadSubtractor {
 public:
  LeadSubtractor(double fs_hz, int before, int after, const TemplateSubtractionParams& params)
      : fs_hz_(fs_hz), params_(params) {
    fade_ = kEdgeFade_s * fs_hz_;
    // The template reaches half a fade (plus a sample) beyond the nominal window on each side.
    margin_ = static_cast<int>(std::ceil(0.5 * fade_)) + 1;
    origin_ = before + margin_;
    width_ = before + after + 1 + 2 * margin_;
    qrs_begin_ = origin_ + kQrsStart_s * fs_hz_;
    qrs_end_ = origin_ + kQrsEnd_s * fs_hz_;
    crossfade_ = kCrossfade_s * fs_hz_;
    max_lag_ = std::max(1, static_cast<int>(std::lround(kMaxLag_s * fs_hz_)));
  }

  // Returns the residual (lead minus maternal estimate) of one lead.
  Signal run(const float* x, Eigen::Index n, const std::vector<BeatWindow>& windows) const {
    Signal residual = Eigen::Map<const Signal>(x, n);
    const int n_beats = static_cast<int>(windows.size());
    // Template candidates: beats whose whole window (and alignment margin) lies in the recording.
    std::vector<int> full;
    for (int i = 0; i < n_beats; ++i) {
      const std::int64_t first = windows[i].r - origin_ - max_lag_ - 2;
      const std::int64_t last = windows[i].r - origin_ + width_ - 1 + max_lag_ + 2;
      if (first >= 0 && last < n) full.push_back(i);
    }
    if (static_cast<int>(full.size()) < kMinTemplateBeats) return residual;

    // 1. Median beat on the detector's alignment, then sub-sample lags against it.
    const Eigen::VectorXf median0 = median_beat(x, n, windows, full, std::vector<double>(n_beats, 0.0));
    std::vector<double> lag(n_beats, 0.0);
    for (int i = 0; i < n_beats; ++i) lag[i] = best_lag(x, n, windows[i].r, median0);

    // 2. Aligned beat matrix of the candidates, its median and the outliers.
    Eigen::MatrixXf aligned(static_cast<Eigen::Index>(full.size()), width_);
    for (std::size_t j = 0; j < full.size(); ++j) {
      const double start = static_cast<double>(windows[full[j]].r) + lag[full[j]] - origin_;
      for (int k = 0; k < width_; ++k) aligned(static_cast<Eigen::Index>(j), k) = extract_detail::interpolate_cubic(x, n, start + k);
    }
    const Eigen::VectorXf median1 = column_median(aligned);
    std::vector<float> distance(full.size());
    for (std::size_t j = 0; j < full.size(); ++j)
      distance[j] = (aligned.row(static_cast<Eigen::Index>(j)).transpose() - median1).norm();
    std::vector<float> sorted_distance = distance;
    const float limit = kOutlierDistanceFactor * upper_median_in_place(sorted_distance);
    std::vector<int> good_rows;       // rows of `aligned` usable in templates
    std::vector<int> good_beats;      // the corresponding beat numbers (ascending)
    for (std::size_t j = 0; j < full.size(); ++j) {
      if (distance[j] <= limit) {
        good_rows.push_back(static_cast<int>(j));
        good_beats.push_back(full[j]);
      }
    }
    if (static_cast<int>(good_rows.size()) < kMinTemplateBeats) return residual;

    // 3–4. Per group of kBasisGroup beats: the neighbours' PCA basis (the group's own beats
    // excluded); per beat: segment fits, cross-faded, faded at the edges, subtracted.
    for (int i0 = 0; i0 < n_beats; i0 += kBasisGroup) {
      const int i1 = std::min(n_beats, i0 + kBasisGroup) - 1;
      const std::vector<int> rows = neighbours(good_rows, good_beats, i0, i1);
      if (static_cast<int>(rows.size()) < kMinTemplateBeats) continue;
      if (params_.n_components == 0) {
        Eigen::MatrixXf neighbourhood(static_cast<Eigen::Index>(rows.size()), width_);
        for (std::size_t j = 0; j < rows.size(); ++j) neighbourhood.row(static_cast<Eigen::Index>(j)) = aligned.row(rows[j]);
        const Eigen::MatrixXf median = column_median(neighbourhood);
        for (int i = i0; i <= i1; ++i) subtract_beat(x, n, windows[i], lag[i], median, residual);
        continue;
      }
      const Eigen::MatrixXf basis = pca_basis(aligned, rows);
      for (int i = i0; i <= i1; ++i) subtract_beat(x, n, windows[i], lag[i], basis, residual);
    }
    return residual;
  }

 private:
  Eigen::VectorXf median_beat(const float* x, Eigen::Index n, const std::vector<BeatWindow>& windows,
                              const std::vector<int>& beats, const std::vector<double>& lag) const {
    Eigen::MatrixXf m(static_cast<Eigen::Index>(beats.size()), width_);
    for (std::size_t j = 0; j < beats.size(); ++j) {
      const double start = static_cast<double>(windows[beats[j]].r) + lag[beats[j]] - origin_;
      for (int k = 0; k < width_; ++k) m(static_cast<Eigen::Index>(j), k) = extract_detail::interpolate_cubic(x, n, start + k);
    }
    return column_median(m);
  }

  static Eigen::VectorXf column_median(const Eigen::MatrixXf& m) {
    Eigen::VectorXf out(m.cols());
    std::vector<float> column(static_cast<std::size_t>(m.rows()));
    for (Eigen::Index k = 0; k < m.cols(); ++k) {
      for (Eigen::Index j = 0; j < m.rows(); ++j) column[static_cast<std::size_t>(j)] = m(j, k);
      out[k] = upper_median_in_place(column);
    }
    return out;
  }

  // Fractional lag (samples) maximising the normalised cross-correlation between the beat's QRS
  // region (±20 ms around the QRS segment) and the template's; parabolic interpolation of the peak.
  double best_lag(const float* x, Eigen::Index n, std::int64_t r, const Eigen::VectorXf& templ) const {
    const int pad = static_cast<int>(std::lround(0.02 * fs_hz_));
    const int k0 = std::max(0, static_cast<int>(std::floor(qrs_begin_)) - pad);
    const int k1 = std::min(width_ - 1, static_cast<int>(std::ceil(qrs_end_)) + pad);
    const Eigen::VectorXf t = templ.segment(k0, k1 - k0 + 1);
    const double t_norm = t.norm();
    if (!(t_norm > 0)) return 0.0;
    std::vector<double> score(static_cast<std::size_t>(2 * max_lag_ + 1), -2.0);
    for (int lag = -max_lag_; lag <= max_lag_; ++lag) {
      const std::int64_t start = r - origin_ + k0 + lag;
      if (start < 0 || start + (k1 - k0) >= n) continue;
      const Eigen::Map<const Eigen::VectorXf> seg(x + start, k1 - k0 + 1);
      const double s_norm = seg.norm();
      if (!(s_norm > 0)) continue;
      score[static_cast<std::size_t>(lag + max_lag_)] = static_cast<double>(seg.dot(t)) / (s_norm * t_norm);
    }
    const auto best = std::max_element(score.begin(), score.end());
    const int b = static_cast<int>(best - score.begin());
    if (*best <= -2.0) return 0.0;
    double lag = b - max_lag_;
    if (b > 0 && b < 2 * max_lag_) {
      const double ym = score[b - 1], y0 = score[b], yp = score[b + 1];
      const double denom = ym - 2 * y0 + yp;
      if (denom < 0 && ym > -2.0 && yp > -2.0) lag += std::clamp(0.5 * (ym - yp) / denom, -0.5, 0.5);
    }
    return lag;
  }

  // Rows of `aligned` for up to n_beats good beats nearest to the beats i0..i1, which are excluded.
  std::vector<int> neighbours(const std::vector<int>& good_rows, const std::vector<int>& good_beats, int i0,
                              int i1) const {
    std::vector<int> rows;
    const int wanted = std::max(1, params_.n_beats);
    const std::ptrdiff_t n_good = static_cast<std::ptrdiff_t>(good_beats.size());
    std::ptrdiff_t lo = std::lower_bound(good_beats.begin(), good_beats.end(), i0) - good_beats.begin() - 1;
    std::ptrdiff_t hi = std::upper_bound(good_beats.begin(), good_beats.end(), i1) - good_beats.begin();
    while (static_cast<int>(rows.size()) < wanted && (lo >= 0 || hi < n_good)) {
      const bool take_lo = lo >= 0 && (hi >= n_good || i0 - good_beats[lo] <= good_beats[hi] - i1);
      if (take_lo) rows.push_back(good_rows[lo--]);
      else rows.push_back(good_rows[hi++]);
    }
    return rows;
  }

  // First n_components principal directions (width × c) of the uncentred beat matrix restricted to
  // `rows`, via the small Gram matrix (rows × rows). The first direction is close to the mean beat.
  Eigen::MatrixXf pca_basis(const Eigen::MatrixXf& aligned, const std::vector<int>& rows) const {
    const Eigen::Index m = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd b(m, width_);
    for (Eigen::Index j = 0; j < m; ++j) b.row(j) = aligned.row(rows[static_cast<std::size_t>(j)]).cast<double>();
    const Eigen::MatrixXd gram = b * b.transpose();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
    const Eigen::Index c = std::min<Eigen::Index>(std::max(1, params_.n_components), m);
    const double largest = eig.eigenvalues()(m - 1);
    Eigen::MatrixXf basis(width_, c);
    Eigen::Index kept = 0;
    for (Eigen::Index q = 0; q < c; ++q) {
      const double lambda = eig.eigenvalues()(m - 1 - q);
      // Directions with < 1e-10 of the leading energy are numerical noise (identical beats).
      if (!(lambda > 1e-10 * largest) || !(lambda > 0)) break;
      Eigen::VectorXd v = b.transpose() * eig.eigenvectors().col(m - 1 - q);
      v /= v.norm();
      basis.col(kept++) = v.cast<float>();
    }
    return basis.leftCols(std::max<Eigen::Index>(kept, 0));
  }

  void subtract_beat(const float* x, Eigen::Index n, const BeatWindow& w, double lag,
                     const Eigen::MatrixXf& basis, Signal& residual) const {
    const Eigen::Index c = basis.cols();
    if (c == 0 || w.left + w.right < 1) return;
    // Nominal window [lo, hi]; the estimate spans it plus half a fade on each side.
    const std::int64_t lo = w.r - w.left, hi = w.r + w.right;
    const std::int64_t t0 = std::max<std::int64_t>(0, lo - margin_);
    const std::int64_t t1 = std::min<std::int64_t>(n - 1, hi + margin_);
    const int len = static_cast<int>(t1 - t0 + 1);
    // Template coordinate u of each sample, the basis sampled there, and which samples are fitted.
    Eigen::VectorXd u(len), y(len);
    Eigen::MatrixXd v(len, c);
    std::vector<char> nominal(static_cast<std::size_t>(len));
    for (int k = 0; k < len; ++k) {
      const std::int64_t t = t0 + k;
      u[k] = static_cast<double>(t) - (static_cast<double>(w.r) + lag) + origin_;
      y[k] = x[t];
      nominal[static_cast<std::size_t>(k)] = t >= lo && t <= hi;
      for (Eigen::Index q = 0; q < c; ++q) v(k, q) = extract_detail::interpolate_cubic(basis.col(q).data(), width_, u[k]);
    }
    if (params_.n_components == 0) {  // the neighbours' median beat as it is (coefficient 1)
      subtract_estimate(v.col(0), t0, n, lo, hi, u, residual);
      return;
    }
    const auto in_window = [&](int k) { return nominal[static_cast<std::size_t>(k)] != 0; };
    const Eigen::VectorXd whole = fit(v, y, u, in_window, [](double) { return true; }, Eigen::VectorXd());
    // Segment fits over the support of each segment's weight (its own span plus the cross-fades).
    const double h = crossfade_, b1 = qrs_begin_, b2 = qrs_end_;
    const Eigen::VectorXd c_p = fit(v, y, u, in_window, [&](double uu) { return uu < b1 + 0.5 * h; }, whole);
    const Eigen::VectorXd c_qrs =
        fit(v, y, u, in_window, [&](double uu) { return uu > b1 - 0.5 * h && uu < b2 + 0.5 * h; }, whole);
    const Eigen::VectorXd c_t = fit(v, y, u, in_window, [&](double uu) { return uu > b2 - 0.5 * h; }, whole);
    const Eigen::VectorXd e_p = v * c_p, e_qrs = v * c_qrs, e_t = v * c_t;
    Eigen::VectorXd joined(len);
    for (int k = 0; k < len; ++k) {
      const double w_qrs_on = raised_ramp(u[k], b1, h);
      const double w_t = raised_ramp(u[k], b2, h);
      joined[k] = (1.0 - w_qrs_on) * e_p[k] + (w_qrs_on - w_t) * e_qrs[k] + w_t * e_t[k];
    }
    subtract_estimate(joined, t0, n, lo, hi, u, residual);
  }

  // Subtracts one beat's estimate e (samples t0 ...), faded in and out across the nominal window
  // [lo, hi].
  void subtract_estimate(const Eigen::VectorXd& estimate, std::int64_t t0, Eigen::Index n, std::int64_t lo,
                         std::int64_t hi, const Eigen::VectorXd& u, Signal& residual) const {
    for (Eigen::Index k = 0; k < estimate.size(); ++k) {
      double e = estimate[k];
      // Fade in and out across the nominal edges (none at the recording's own ends).
      const double t = static_cast<double>(t0 + k);
      if (lo > 0) e *= raised_ramp(t, static_cast<double>(lo) - 0.5, fade_);
      if (hi < n - 1) e *= 1.0 - raised_ramp(t, static_cast<double>(hi) + 0.5, fade_);
      // Outside the template range the interpolated basis is only its held end value.
      if (u[k] < 0 || u[k] > width_ - 1) e = 0;
      residual[t0 + k] -= static_cast<float>(e);
    }
  }

  // Least squares of y on the columns of v over the samples of the nominal window whose template
  // coordinate u passes `use`, with a small ridge (1e-6 of the mean diagonal) for conditioning; `fallback` when too few
  // samples are selected. Samples outside the template's range are never used.
  template <typename InWindow, typename Select>
  Eigen::VectorXd fit(const Eigen::MatrixXd& v, const Eigen::VectorXd& y, const Eigen::VectorXd& u,
                      InWindow in_window, Select use, const Eigen::VectorXd& fallback) const {
    const Eigen::Index c = v.cols();
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(c, c);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(c);
    Eigen::Index count = 0;
    for (Eigen::Index k = 0; k < v.rows(); ++k) {
      // Beyond the template range the interpolated basis is only the held end value.
      if (!in_window(static_cast<int>(k)) || u[k] < 0 || u[k] > width_ - 1 || !use(u[k])) continue;
      gram.noalias() += v.row(k).transpose() * v.row(k);
      rhs.noalias() += v.row(k).transpose() * y[k];
      ++count;
    }
    // At least two samples per coefficient, or the segment would be over-fitted (and could
    // absorb a fetal QRS).
    if (count < 2 * c + 2) return fallback.size() == c ? fallback : Eigen::VectorXd::Zero(c);
    const double ridge = 1e-6 * gram.trace() / static_cast<double>(c) + 1e-12;
    gram.diagonal().array() += ridge;
    return gram.ldlt().solve(rhs);
  }

  double fs_hz_;
  TemplateSubtractionParams params_;
  int margin_ = 0;  // template samples beyond the nominal window on each side
  int origin_ = 0;  // template index of the R peak
  int width_ = 0;   // template length, samples
  double qrs_begin_ = 0, qrs_end_ = 0, crossfade_ = 0, fade_ = 0;
  int max_lag_ = 1;
};

}  // namespace

namespace extract_detail {

void check_leads(const LeadMatrix& x, double fs_hz, const std::string& who) {
  if (!(std::isfinite(fs_hz) && fs_hz > 0))
    throw Error(who + ": sampling rate must be finite and positive, got " + std::to_string(fs_hz) + " Hz");
  if (x.rows() < 1 || x.cols() < 1)
    throw Error(who + ": expected at least 1 lead and 1 sample, got " + std::to_string(x.rows()) + " x " +
                std::to_string(x.cols()));
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index k = 0; k < x.cols(); ++k) {
      if (!std::isfinite(x(i, k)))
        throw Error(who + ": lead " + std::to_string(i) + " has a non-finite sample at " + std::to_string(k) +
                    " (expected finite µV values)");
    }
  }
}

void check_beats(const BeatIndices& beats, Eigen::Index n_samples, const std::string& who) {
  for (std::size_t i = 0; i < beats.size(); ++i) {
    if (beats[i] < 0 || beats[i] >= n_samples)
      throw Error(who + ": maternal beat " + std::to_string(i) + " at sample " + std::to_string(beats[i]) +
                  " is outside [0, " + std::to_string(n_samples) + ")");
    if (i > 0 && beats[i] <= beats[i - 1])
      throw Error(who + ": maternal beats must be strictly ascending, but beat " + std::to_string(i) + " (" +
                  std::to_string(beats[i]) + ") follows " + std::to_string(beats[i - 1]));
  }
}

float interpolate_cubic(const float* x, Eigen::Index n, double t) {
  if (n <= 0) return 0.0f;
  if (!(t > 0)) return x[0];
  if (t >= static_cast<double>(n - 1)) return x[n - 1];
  const Eigen::Index i = static_cast<Eigen::Index>(std::floor(t));
  const double f = t - static_cast<double>(i);
  const double p0 = x[std::max<Eigen::Index>(i - 1, 0)], p1 = x[i];
  const double p2 = x[std::min(i + 1, n - 1)], p3 = x[std::min(i + 2, n - 1)];
  // Catmull–Rom: the cubic through p1, p2 with slopes (p2 - p0)/2 and (p3 - p1)/2.
  const double a = -0.5 * p0 + 1.5 * p1 - 1.5 * p2 + 0.5 * p3;
  const double b = p0 - 2.5 * p1 + 2.0 * p2 - 0.5 * p3;
  const double c = -0.5 * p0 + 0.5 * p2;
  return static_cast<float>(((a * f + b) * f + c) * f + p1);
}

}  // namespace extract_detail

ExtractionResult extract_template_subtraction(const LeadMatrix& x_uv, double fs_hz,
                                              const BeatIndices& maternal_beats,
                                              const TemplateSubtractionParams& params) {
  const std::string who = "extract_template_subtraction";
  extract_detail::check_leads(x_uv, fs_hz, who);
  extract_detail::check_beats(maternal_beats, x_uv.cols(), who);
  if (!(std::isfinite(params.before_s) && std::isfinite(params.after_s) && params.before_s > 0 && params.after_s > 0))
    throw Error(who + ": before_s and after_s must be positive, got " + std::to_string(params.before_s) + " and " +
                std::to_string(params.after_s));
  if (params.before_s + params.after_s > 5.0)
    throw Error(who + ": beat window of " + std::to_string(params.before_s + params.after_s) +
                " s is longer than any RR interval (expected at most 5 s)");
  if (params.n_beats < 1 || params.n_components < 0)
    throw Error(who + ": n_beats must be at least 1 and n_components at least 0, got " + std::to_string(params.n_beats) +
                " and " + std::to_string(params.n_components));

  const int before = std::max(1, static_cast<int>(std::lround(params.before_s * fs_hz)));
  const int after = std::max(1, static_cast<int>(std::lround(params.after_s * fs_hz)));
  const std::vector<BeatWindow> windows = beat_windows(maternal_beats, x_uv.cols(), before, after);
  const LeadSubtractor subtractor(fs_hz, before, after, params);

  ExtractionResult result;
  result.fecg_uv.resize(x_uv.rows(), x_uv.cols());
  for (Eigen::Index lead = 0; lead < x_uv.rows(); ++lead)
    result.fecg_uv.row(lead) = subtractor.run(x_uv.row(lead).data(), x_uv.cols(), windows).transpose();
  result.detection = result.fecg_uv;
  return result;
}

}  // namespace fecg
