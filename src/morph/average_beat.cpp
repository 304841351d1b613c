// The averaged beat; see average_beat.h for the method.
#include "morph/average_beat.h"

#include "core/error.h"
#include "core/median.h"
#include "dsp/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fecg {
namespace {

// x at fractional index t by linear interpolation (t inside [0, n−1]).
inline float sample_at(const float* x, Eigen::Index n, double t) {
  const auto i = static_cast<Eigen::Index>(std::floor(t));
  if (i >= n - 1) return x[n - 1];
  const double f = t - static_cast<double>(i);
  return static_cast<float>((1.0 - f) * x[i] + f * x[i + 1]);
}

struct Cut {
  LeadMatrix up;       // the leads at fs_up
  double fs_up = 0;
  int before = 0, after = 0, shift = 0;  // samples at fs_up
  std::vector<double> t_r;               // R of each used beat at fs_up, aligned (fractional)
};

}  // namespace

Signal mean_columns(const LeadMatrix& rows, const std::vector<int>& use) {
  Signal out = Signal::Zero(rows.cols());
  if (use.empty()) return out;
  for (const int b : use) out += rows.row(b).transpose();
  return out / static_cast<float>(use.size());
}

Signal trimmed_mean_columns(const LeadMatrix& rows, const std::vector<int>& use, double trim_fraction) {
  std::vector<int> idx = use;
  if (idx.empty())
    for (int i = 0; i < rows.rows(); ++i) idx.push_back(i);
  const int n = static_cast<int>(idx.size());
  Signal out = Signal::Zero(rows.cols());
  if (n == 0) return out;
  const int drop = static_cast<int>(std::floor(trim_fraction * n));
  std::vector<float> col(static_cast<size_t>(n));
  for (Eigen::Index c = 0; c < rows.cols(); ++c) {
    for (int k = 0; k < n; ++k) col[static_cast<size_t>(k)] = rows(idx[static_cast<size_t>(k)], c);
    auto lo = col.begin() + drop, hi = col.end() - drop;
    if (drop > 0) {
      std::nth_element(col.begin(), lo, col.end());
      std::nth_element(lo, hi - 1, col.end());
    }
    double s = 0;
    for (auto it = lo; it != hi; ++it) s += *it;
    out[c] = static_cast<float>(s / static_cast<double>(hi - lo));
  }
  return out;
}

namespace {

// The beats' usable R peaks, RR and windows; the leads upsampled; the alignment. why_missing set
// on failure.
Cut cut_beats(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& beats, const std::vector<bool>& reliable,
              const AverageBeatParams& p, AverageBeat& out) {
  Cut cut;
  std::vector<double> rr;
  for (size_t i = 1; i < beats.size(); ++i)
    if ((reliable.empty() || (reliable[i] && reliable[i - 1])) && beats[i] > beats[i - 1])
      rr.push_back(static_cast<double>(beats[i] - beats[i - 1]) / fs_hz);
  if (rr.size() < 2) {
    out.why_missing = "too few reliable beats to average (" + std::to_string(rr.size()) + " RR intervals)";
    return cut;
  }
  out.rr_s = upper_median_in_place(rr);
  cut.fs_up = std::max(fs_hz, p.min_fs_hz);
  cut.up = cut.fs_up > fs_hz ? resample(x_uv, fs_hz, cut.fs_up) : x_uv;
  cut.before = static_cast<int>(std::lround(p.before_rr * out.rr_s * cut.fs_up));
  cut.after = static_cast<int>(std::lround(p.after_rr * out.rr_s * cut.fs_up));
  cut.shift = static_cast<int>(std::lround(p.max_shift_s * cut.fs_up));
  const Eigen::Index n_up = cut.up.cols();
  std::vector<double> t0;
  for (size_t i = 0; i < beats.size(); ++i) {
    if (!reliable.empty() && !reliable[i]) continue;
    const double t = static_cast<double>(beats[i]) * cut.fs_up / fs_hz;
    if (t - cut.before - cut.shift - 1 < 0 || t + cut.after + cut.shift + 1 > static_cast<double>(n_up - 1)) continue;
    t0.push_back(t);
    out.beats_used.push_back(beats[i]);
  }
  if (static_cast<int>(t0.size()) < p.min_beats) {
    out.why_missing = "too few reliable beats to average (" + std::to_string(t0.size()) + ", at least " +
                      std::to_string(p.min_beats) + " needed)";
    out.beats_used.clear();
    return cut;
  }
  // Alignment on the QRS: first template = the per-sample median of the unaligned QRS regions.
  const int half = std::max(2, static_cast<int>(std::lround(p.align_half_rr * out.rr_s * cut.fs_up)));
  const int width = 2 * half + 1;
  const int n_leads = static_cast<int>(cut.up.rows());
  const int nb = static_cast<int>(t0.size());
  std::vector<LeadMatrix> qrs(static_cast<size_t>(n_leads), LeadMatrix(nb, width + 2 * cut.shift));
  for (int l = 0; l < n_leads; ++l) {
    const float* x = cut.up.row(l).data();
    for (int b = 0; b < nb; ++b)
      for (int j = 0; j < width + 2 * cut.shift; ++j)
        qrs[static_cast<size_t>(l)](b, j) = sample_at(x, n_up, t0[static_cast<size_t>(b)] - half - cut.shift + j);
  }
  std::vector<Signal> tmpl(static_cast<size_t>(n_leads));
  for (int l = 0; l < n_leads; ++l) {
    const Signal whole = trimmed_mean_columns(qrs[static_cast<size_t>(l)], {}, 0.5 - 1.0 / (2.0 * nb) - 1e-9);
    tmpl[static_cast<size_t>(l)] = whole.segment(cut.shift, width);
    tmpl[static_cast<size_t>(l)].array() -= tmpl[static_cast<size_t>(l)].mean();
  }
  cut.t_r.resize(static_cast<size_t>(nb));
  std::vector<double> score(static_cast<size_t>(2 * cut.shift + 1));
  for (int b = 0; b < nb; ++b) {
    for (int s = 0; s <= 2 * cut.shift; ++s) {
      double acc = 0;
      for (int l = 0; l < n_leads; ++l) {
        const auto seg = qrs[static_cast<size_t>(l)].row(b).segment(s, width);
        acc += static_cast<double>(seg.dot(tmpl[static_cast<size_t>(l)].transpose()));
      }
      score[static_cast<size_t>(s)] = acc;
    }
    const int k = static_cast<int>(std::max_element(score.begin(), score.end()) - score.begin());
    double frac = 0;
    if (k > 0 && k < 2 * cut.shift) {
      const double a = score[static_cast<size_t>(k - 1)], c = score[static_cast<size_t>(k)],
                   d = score[static_cast<size_t>(k + 1)];
      const double denom = a - 2 * c + d;
      if (denom < 0) frac = std::clamp(0.5 * (a - d) / denom, -0.5, 0.5);
    }
    cut.t_r[static_cast<size_t>(b)] = t0[static_cast<size_t>(b)] + (k - cut.shift) + frac;
  }
  return cut;
}

LeadMatrix beats_of_lead(const Cut& cut, int lead) {
  const int nb = static_cast<int>(cut.t_r.size());
  const int m = cut.before + cut.after + 1;
  LeadMatrix rows(nb, m);
  const float* x = cut.up.row(lead).data();
  for (int b = 0; b < nb; ++b)
    for (int j = 0; j < m; ++j) rows(b, j) = sample_at(x, cut.up.cols(), cut.t_r[static_cast<size_t>(b)] - cut.before + j);
  return rows;
}

}  // namespace

AverageBeat average_beat(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& beats,
                         const std::vector<bool>& reliable, const AverageBeatParams& params) {
  if (!std::isfinite(fs_hz) || fs_hz <= 0) throw Error("average_beat: fs_hz must be finite and > 0");
  if (!reliable.empty() && reliable.size() != beats.size())
    throw Error("average_beat: " + std::to_string(reliable.size()) + " reliable flags for " +
                std::to_string(beats.size()) + " beats");
  if (!x_uv.allFinite()) throw Error("average_beat: non-finite samples in the leads");
  AverageBeat out;
  if (x_uv.rows() == 0 || x_uv.cols() < 2) {
    out.why_missing = "no signal to average";
    return out;
  }
  const Cut cut = cut_beats(x_uv, fs_hz, beats, reliable, params, out);
  if (!out.why_missing.empty()) return out;
  const int n_leads = static_cast<int>(x_uv.rows());
  const int nb = static_cast<int>(cut.t_r.size());
  const int m = cut.before + cut.after + 1;
  out.fs_hz = cut.fs_up;
  out.r_index = cut.before;
  out.beat_uv.resize(n_leads, m);
  out.noise_uv.resize(n_leads, m);
  std::vector<LeadMatrix> all(static_cast<size_t>(n_leads));
  for (int l = 0; l < n_leads; ++l) all[static_cast<size_t>(l)] = beats_of_lead(cut, l);
  // Beat-wise trimming: the reference is the per-sample median of up to 64 beats spread over the
  // recording; each beat's distance to it (squared error, each lead relative to its reference's
  // power) ranks the beats, and the trim_fraction farthest (artefacts, missed alignments, beats
  // that are not fetal) are left out. The average is the plain mean of the rest: as robust to bad
  // beats as a per-sample trimmed mean, as quiet as the mean on good ones, and O(beats × samples)
  // for the jackknife and the sliding average that reuse the kept beats.
  std::vector<int> sub;
  for (int b = 0; b < nb; b += std::max(1, nb / 64)) sub.push_back(b);
  std::vector<double> dist(static_cast<size_t>(nb), 0.0);
  for (int l = 0; l < n_leads; ++l) {
    const LeadMatrix& rows = all[static_cast<size_t>(l)];
    const Signal ref = trimmed_mean_columns(rows, sub, 0.5 - 1.0 / (2.0 * static_cast<double>(sub.size())) - 1e-9);
    const double power = std::max(1e-12, static_cast<double>((ref.array() - ref.mean()).square().sum()));
    for (int b = 0; b < nb; ++b)
      dist[static_cast<size_t>(b)] += static_cast<double>((rows.row(b).transpose() - ref).squaredNorm()) / power;
  }
  std::vector<int> order(static_cast<size_t>(nb));
  for (int b = 0; b < nb; ++b) order[static_cast<size_t>(b)] = b;
  const auto n_keep = static_cast<size_t>(std::max<double>(
      std::min(nb, params.min_beats), std::ceil((1.0 - params.trim_fraction) * nb)));
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_keep - 1), order.end(),
                   [&](int a, int b) { return dist[static_cast<size_t>(a)] < dist[static_cast<size_t>(b)]; });
  out.kept.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_keep));
  std::sort(out.kept.begin(), out.kept.end());
  out.n_beats = static_cast<int>(out.kept.size());
  std::vector<int> even, odd;
  for (size_t k = 0; k < out.kept.size(); ++k) (k % 2 ? odd : even).push_back(out.kept[k]);
  for (int l = 0; l < n_leads; ++l) {
    const LeadMatrix& rows = all[static_cast<size_t>(l)];
    const Signal avg = mean_columns(rows, out.kept);
    const Signal half_diff = 0.5f * (mean_columns(rows, even) - mean_columns(rows, odd));
    out.beat_uv.row(l) = avg.transpose();
    out.noise_uv.row(l) = half_diff.transpose();
    const double centred = (avg.array() - avg.mean()).square().mean();
    const double noise = half_diff.array().square().mean();
    out.snr_db.push_back(noise > 0 ? 10.0 * std::log10(centred / noise) : std::numeric_limits<double>::infinity());
    const double rms_avg = std::sqrt(centred);
    std::vector<double> var(static_cast<size_t>(nb));
    for (int b = 0; b < nb; ++b) {
      const double r = std::sqrt((rows.row(b).transpose() - avg).array().square().mean());
      var[static_cast<size_t>(b)] = rms_avg > 0 ? r / rms_avg : 0;
    }
    out.variation.push_back(upper_median_in_place(var));
  }
  out.best_lead = static_cast<int>(std::max_element(out.snr_db.begin(), out.snr_db.end()) - out.snr_db.begin());
  out.best_lead_beats = std::move(all[static_cast<size_t>(out.best_lead)]);
  return out;
}

}  // namespace fecg
