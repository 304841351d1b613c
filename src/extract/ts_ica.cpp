// Fetal component choice, blockwise ICA, and the two ICA-based extractors:
//   extract_ica    – FastICA on the abdominal leads (Zarzoso & Nandi 2001 style BSS baseline);
//   extract_ts_ica – maternal template subtraction on every lead, then ICA on the residuals,
//                    where the fetal ECG is the dominant structured source (Varanini et al. 2014,
//                    Andreotti et al. 2014: "maternal cancellation, then ICA on residuals").
// In both, ICA runs on overlapping blocks (the fetal heart axis moves over minutes), the most
// fetal-like sources of each block are chosen automatically, and the blocks are cross-faded.
// extract_ica judges and uses each source without its maternal-synchronous average beat
// (suppress_maternal_synchronous): the maternal leakage left in every source of a 4-lead ICA.
#include "core/error.h"
#include "core/median.h"
#include "detect/fetal_range.h"
#include "extract/detail.h"
#include "extract/extract.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace fecg {
namespace {

// Physiological fetal RR range: detect/fetal_range.h (the FIGO normal range is 110–160 bpm; the
// wider band keeps tachycardia, bradycardia and accelerations).
// RR intervals within 15 % of their local median (5 intervals) count as regular: beat-to-beat
// fetal variability is a few %, a missed or extra beat changes RR by ≥ 50 %.
constexpr double kRegularRrTolerance = 0.15;
// A peak within ±50 ms of a maternal R peak coincides with it (the scoring tolerance of the field).
constexpr double kCoincidence_s = 0.05;
// QRS-band emphasis by a difference of centred moving averages: 12 ms minus 60 ms passes roughly
// 8–40 Hz, where the fetal QRS has most of its energy, and removes baseline and P/T waves.
constexpr double kShortAverage_s = 0.012;
constexpr double kLongAverage_s = 0.06;
// Energy envelope smoothing, seconds: about a fetal QRS width (40–50 ms).
constexpr double kEnvelope_s = 0.03;
// Peak threshold: this fraction of the 98th percentile of the envelope; fetal QRS complexes fill
// ~10 % of the time, so the 98th percentile lies on typical QRS peaks and not on rare artefacts.
constexpr double kPeakThresholdFraction = 0.3;
constexpr double kEnvelopeQuantile = 0.98;
// Prominence (median peak envelope / median envelope) at which a source starts to count, and at
// which it counts fully; see score_one.
constexpr double kMinProminence = 4.0;
constexpr double kFullProminence = 10.0;
// Sources back-projected into fecg_uv: those scoring at least this fraction of the best one.
constexpr double kBackProjectFraction = 0.5;
// A second detection channel is the second-best source only when it scores this close to the best.
constexpr double kSecondChannelFraction = 0.75;

// Centred moving average of width `w` samples (odd), edges averaged over the available samples.
Eigen::VectorXd moving_average(const Eigen::VectorXd& x, int w) {
  const Eigen::Index n = x.size();
  Eigen::VectorXd prefix(n + 1);
  prefix[0] = 0;
  for (Eigen::Index i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + x[i];
  const int half = std::max(0, w / 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index a = std::max<Eigen::Index>(0, i - half), b = std::min<Eigen::Index>(n, i + half + 1);
    y[i] = (prefix[b] - prefix[a]) / static_cast<double>(b - a);
  }
  return y;
}

int odd_width(double seconds, double fs_hz) {
  return 2 * std::max(0, static_cast<int>(std::lround(0.5 * seconds * fs_hz))) + 1;
}

ComponentScore score_one(const float* s_f, Eigen::Index n, double fs_hz, const BeatIndices& maternal) {
  ComponentScore out;
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXf>(s_f, n).cast<double>();
  const Eigen::VectorXd band =
      moving_average(s, odd_width(kShortAverage_s, fs_hz)) - moving_average(s, odd_width(kLongAverage_s, fs_hz));
  const Eigen::VectorXd envelope = moving_average(band.array().square().matrix(), odd_width(kEnvelope_s, fs_hz));

  std::vector<double> sorted(envelope.data(), envelope.data() + n);
  const std::size_t q = std::min<std::size_t>(sorted.size() - 1, static_cast<std::size_t>(kEnvelopeQuantile * (n - 1)));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(q), sorted.end());
  const double threshold = kPeakThresholdFraction * sorted[q];
  if (!(threshold > 0)) return out;

  // Local maxima above threshold, accepted greedily from the largest with a refractory period of
  // the shortest fetal RR interval.
  std::vector<Eigen::Index> candidates;
  for (Eigen::Index i = 1; i + 1 < n; ++i)
    if (envelope[i] > threshold && envelope[i] >= envelope[i - 1] && envelope[i] > envelope[i + 1]) candidates.push_back(i);
  std::sort(candidates.begin(), candidates.end(), [&](Eigen::Index a, Eigen::Index b) { return envelope[a] > envelope[b]; });
  const Eigen::Index refractory = std::max<Eigen::Index>(1, std::lround(kFetalMinRr_s * fs_hz));
  std::set<Eigen::Index> peaks;
  for (const Eigen::Index c : candidates) {
    const auto next = peaks.lower_bound(c);
    if (next != peaks.end() && *next - c < refractory) continue;
    if (next != peaks.begin() && c - *std::prev(next) < refractory) continue;
    peaks.insert(c);
  }
  const std::vector<Eigen::Index> p(peaks.begin(), peaks.end());
  if (p.size() < 2) return out;

  // Polarity: the larger of the positive and negative deflections of the high-passed source around
  // each peak (±40 ms), summed over peaks.
  const Eigen::VectorXd high = s - moving_average(s, odd_width(kLongAverage_s, fs_hz));
  const Eigen::Index reach = std::lround(0.04 * fs_hz);
  double up = 0, down = 0;
  for (const Eigen::Index c : p) {
    const Eigen::Index a = std::max<Eigen::Index>(0, c - reach), b = std::min<Eigen::Index>(n - 1, c + reach);
    up += high.segment(a, b - a + 1).maxCoeff();
    down -= high.segment(a, b - a + 1).minCoeff();
  }
  out.sign = up >= down ? 1 : -1;

  // Regularity: the time covered by plausible RR intervals close to their local median.
  std::vector<double> rr(p.size() - 1);
  for (std::size_t j = 0; j + 1 < p.size(); ++j) rr[j] = static_cast<double>(p[j + 1] - p[j]) / fs_hz;
  std::vector<double> tmp = rr;
  out.median_rr_s = upper_median_in_place(tmp);
  double covered_s = 0;
  for (std::size_t j = 0; j < rr.size(); ++j) {
    const std::size_t a = j >= 2 ? j - 2 : 0, b = std::min(rr.size(), j + 3);
    std::vector<double> local(rr.begin() + static_cast<std::ptrdiff_t>(a), rr.begin() + static_cast<std::ptrdiff_t>(b));
    const double med = upper_median_in_place(local);
    if (rr[j] >= kFetalMinRr_s && rr[j] <= kFetalMaxRr_s && std::abs(rr[j] - med) <= kRegularRrTolerance * med)
      covered_s += rr[j];
  }
  out.regularity = std::min(1.0, covered_s / (static_cast<double>(n) / fs_hz));

  // Prominence: how far the peaks stand above the envelope's typical level. QRS complexes are
  // sparse (median ratio ≥ 10 on a usable source); on Gaussian noise the peaks kept by the
  // refractory period are only ~3–4 × the median, yet spaced quasi-regularly by that very period.
  std::vector<double> heights;
  for (const Eigen::Index c : p) heights.push_back(envelope[c]);
  const double median_height = upper_median_in_place(heights);
  const double typical = upper_median_in_place(sorted);
  out.prominence = typical > 0 ? median_height / typical : 1e6;
  const double prominence_factor =
      std::clamp(std::log(out.prominence / kMinProminence) / std::log(kFullProminence / kMinProminence), 0.0, 1.0);

  // Coincidence with the maternal beats, against what chance alone gives.
  double penalty_factor = 1.0;
  if (!maternal.empty()) {
    const std::int64_t tol = std::lround(kCoincidence_s * fs_hz);
    int hits = 0;
    for (const Eigen::Index c : p) {
      const auto it = std::lower_bound(maternal.begin(), maternal.end(), static_cast<std::int64_t>(c) - tol);
      if (it != maternal.end() && *it <= static_cast<std::int64_t>(c) + tol) ++hits;
    }
    out.maternal_coincidence = static_cast<double>(hits) / static_cast<double>(p.size());
    const double chance = std::min(1.0, 2.0 * kCoincidence_s * static_cast<double>(maternal.size()) /
                                            (static_cast<double>(n) / fs_hz));
    // No penalty up to chance + 0.15 (a fetal source meets the maternal beats by chance), none left
    // 0.3 above that (most peaks are maternal).
    penalty_factor = std::clamp(1.0 - (out.maternal_coincidence - (chance + 0.15)) / 0.3, 0.0, 1.0);
  }
  out.score = out.regularity * penalty_factor * prominence_factor;
  return out;
}

// Weight of a block's sample j (of len): a Hann bump, flat at the recording's ends where no other
// block overlaps; floored so that the normalisation never divides by zero.
double block_weight(Eigen::Index j, Eigen::Index len, bool first, bool last) {
  if ((first && 2 * j < len) || (last && 2 * j >= len)) return 1.0;
  const double s = std::sin(std::numbers::pi * (static_cast<double>(j) + 0.5) / static_cast<double>(len));
  return std::max(1e-3, s * s);
}

// Maternal-synchronous part of one source, removed before it is judged or used for detection by
// plain ICA: with 4 leads the maternal ECG spans ~3 of the 4 dimensions (its cardiac dipole is
// 3-D), so the fetal sources keep some maternal QRS leakage, which the fetal detector and the
// component score would otherwise take for beats. One average beat (the sample-wise median of all
// maternal beats, so that the asynchronous fetal beats average out) is scaled to each beat by
// least squares (scale in 0..2: leakage never inverts) and subtracted. One global waveform, not a
// per-beat adaptive template: the source stays an ICA output, unlike extract_ts_ica's cancellation.
// Window: 0.1 s before to 0.15 s after the maternal R peak, the QRS and the steep start of the ST
// segment, where leakage is large; clipped to half the RR interval on either side.
constexpr double kSyncBefore_s = 0.10;
constexpr double kSyncAfter_s = 0.15;

void suppress_maternal_synchronous(float* s, Eigen::Index n, double fs_hz, const BeatIndices& maternal) {
  const Eigen::Index before = std::lround(kSyncBefore_s * fs_hz), after = std::lround(kSyncAfter_s * fs_hz);
  const Eigen::Index width = before + after + 1;
  std::vector<std::int64_t> full;  // beats whose whole window lies inside the source
  for (const std::int64_t m : maternal)
    if (m - before >= 0 && m + after < n) full.push_back(m);
  if (full.size() < 5) return;  // too few beats for a meaningful average
  Eigen::VectorXf templ(width);
  std::vector<float> column(full.size());
  for (Eigen::Index k = 0; k < width; ++k) {
    for (std::size_t j = 0; j < full.size(); ++j) column[j] = s[full[j] - before + k];
    templ[k] = upper_median_in_place(column);
  }
  const double energy = templ.squaredNorm();
  if (!(energy > 0)) return;
  for (std::size_t j = 0; j < maternal.size(); ++j) {
    const std::int64_t m = maternal[j];
    // Half the RR interval to each neighbour, so that consecutive windows never overlap.
    std::int64_t lo = m - before, hi = m + after;
    if (j > 0) lo = std::max(lo, m - (m - maternal[j - 1]) / 2);
    if (j + 1 < maternal.size()) hi = std::min(hi, m + (maternal[j + 1] - m) / 2 - 1);
    lo = std::max<std::int64_t>(lo, 0);
    hi = std::min<std::int64_t>(hi, n - 1);
    if (hi <= lo) continue;
    double dot = 0, norm = 0;
    for (std::int64_t t = lo; t <= hi; ++t) {
      const float v = templ[t - m + before];
      dot += static_cast<double>(v) * s[t];
      norm += static_cast<double>(v) * v;
    }
    if (!(norm > 0.05 * energy)) continue;  // only a sliver of the template fits: leave the beat
    const auto a = static_cast<float>(std::clamp(dot / norm, 0.0, 2.0));
    for (std::int64_t t = lo; t <= hi; ++t) s[t] -= a * templ[t - m + before];
  }
}

}  // namespace

std::vector<ComponentScore> fetal_component_scores(const LeadMatrix& sources, double fs_hz,
                                                   const BeatIndices& maternal_beats) {
  const std::string who = "fetal_component_scores";
  if (!(std::isfinite(fs_hz) && fs_hz > 0)) throw Error(who + ": sampling rate must be finite and positive");
  std::vector<ComponentScore> scores(static_cast<std::size_t>(sources.rows()));
  if (sources.cols() < 3) return scores;
  extract_detail::check_leads(sources, fs_hz, who);
  for (Eigen::Index c = 0; c < sources.rows(); ++c)
    scores[static_cast<std::size_t>(c)] = score_one(sources.row(c).data(), sources.cols(), fs_hz, maternal_beats);
  return scores;
}

namespace extract_detail {

ExtractionResult ica_extract_blocks(const LeadMatrix& x, double fs_hz, const BeatIndices& maternal,
                                    const FastIcaParams& params, const std::string& who,
                                    bool suppress_maternal) {
  if (!(std::isfinite(params.block_s) && params.block_s >= 0))
    throw Error(who + ": block_s must be finite and >= 0, got " + std::to_string(params.block_s));
  const Eigen::Index n = x.cols(), n_leads = x.rows();
  Eigen::Index block_n = params.block_s > 0 ? std::lround(params.block_s * fs_hz) : n;
  // A remainder shorter than half a block is not worth its own ICA: one block then.
  if (block_n < 2 || 2 * n < 3 * block_n) block_n = n;
  std::vector<Eigen::Index> starts;
  for (Eigen::Index a = 0; a + block_n < n; a += block_n / 2) starts.push_back(a);
  if (starts.empty() || starts.back() + block_n < n) starts.push_back(n - block_n);

  const Eigen::Index n_detection = n_leads >= 2 ? 2 : 1;
  LeadMatrix fecg = LeadMatrix::Zero(n_leads, n), detection = LeadMatrix::Zero(n_detection, n);
  Eigen::VectorXd weight_sum = Eigen::VectorXd::Zero(n);
  for (std::size_t b = 0; b < starts.size(); ++b) {
    const Eigen::Index a = starts[b];
    const IcaResult ica = fastica_1999(x.middleCols(a, block_n), params);
    const Eigen::Index k = ica.sources.rows();
    Eigen::VectorXd w(block_n);
    for (Eigen::Index j = 0; j < block_n; ++j) w[j] = block_weight(j, block_n, b == 0, b + 1 == starts.size());
    weight_sum.segment(a, block_n) += w;
    if (k == 0) continue;  // flat block: contributes zeros

    BeatIndices local;
    for (const std::int64_t m : maternal)
      if (m >= a && m < a + block_n) local.push_back(m - a);
    // Sources as judged and as used for detection: without their maternal-synchronous part when
    // asked (plain ICA), as they are otherwise (after template subtraction nothing of it is left).
    LeadMatrix judged = ica.sources;
    if (suppress_maternal)
      for (Eigen::Index c = 0; c < k; ++c) suppress_maternal_synchronous(judged.row(c).data(), block_n, fs_hz, local);
    const std::vector<ComponentScore> scores = fetal_component_scores(judged, fs_hz, local);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index i, Eigen::Index j) {
      return scores[static_cast<std::size_t>(i)].score > scores[static_cast<std::size_t>(j)].score;
    });
    const double best = scores[static_cast<std::size_t>(order[0])].score;

    // Back-projection of the fetal sources onto the leads.
    const Eigen::RowVectorXf wf = w.transpose().cast<float>();
    for (const Eigen::Index c : order) {
      const double s = scores[static_cast<std::size_t>(c)].score;
      if (c != order[0] && !(s > 0 && s >= kBackProjectFraction * best)) continue;
      for (Eigen::Index lead = 0; lead < n_leads; ++lead)
        fecg.row(lead).segment(a, block_n) += (ica.mixing(lead, c) * judged.row(c).array() * wf.array()).matrix();
    }
    // Detection channels: the best source, and the second best when it is nearly as good (the best
    // one again otherwise), sign-normalised so that R peaks are positive.
    for (Eigen::Index d = 0; d < n_detection; ++d) {
      Eigen::Index c = order[0];
      if (d == 1 && k > 1 && scores[static_cast<std::size_t>(order[1])].score >= kSecondChannelFraction * best &&
          scores[static_cast<std::size_t>(order[1])].score > 0)
        c = order[1];
      const float sign = static_cast<float>(scores[static_cast<std::size_t>(c)].sign);
      detection.row(d).segment(a, block_n) += (sign * judged.row(c).array() * wf.array()).matrix();
    }
  }
  const Eigen::RowVectorXf inverse = weight_sum.cwiseInverse().transpose().cast<float>();
  for (Eigen::Index lead = 0; lead < n_leads; ++lead) fecg.row(lead).array() *= inverse.array();
  for (Eigen::Index d = 0; d < n_detection; ++d) detection.row(d).array() *= inverse.array();
  return {std::move(fecg), std::move(detection)};
}

}  // namespace extract_detail

ExtractionResult extract_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                             const FastIcaParams& params) {
  const std::string who = "extract_ica";
  extract_detail::check_leads(x_uv, fs_hz, who);
  extract_detail::check_beats(maternal_beats, x_uv.cols(), who);
  return extract_detail::ica_extract_blocks(x_uv, fs_hz, maternal_beats, params, who, /*suppress_maternal=*/true);
}

ExtractionResult extract_ts_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                                const TemplateSubtractionParams& ts, const FastIcaParams& ica) {
  const std::string who = "extract_ts_ica";
  extract_detail::check_leads(x_uv, fs_hz, who);
  extract_detail::check_beats(maternal_beats, x_uv.cols(), who);
  const ExtractionResult residual = extract_template_subtraction(x_uv, fs_hz, maternal_beats, ts);
  return extract_detail::ica_extract_blocks(residual.fecg_uv, fs_hz, maternal_beats, ica, who,
                                            /*suppress_maternal=*/false);
}

ExtractionResult extract_ts_ica_from_residual(const ExtractionResult& ts_residual, double fs_hz,
                                              const BeatIndices& maternal_beats, const FastIcaParams& ica) {
  const std::string who = "extract_ts_ica_from_residual";
  extract_detail::check_leads(ts_residual.fecg_uv, fs_hz, who);
  extract_detail::check_beats(maternal_beats, ts_residual.fecg_uv.cols(), who);
  return extract_detail::ica_extract_blocks(ts_residual.fecg_uv, fs_hz, maternal_beats, ica, who,
                                            /*suppress_maternal=*/false);
}

ExtractionResult extract_ica_ts(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                                const TemplateSubtractionParams& ts, const FastIcaParams& ica) {
  const std::string who = "extract_ica_ts";
  extract_detail::check_leads(x_uv, fs_hz, who);
  extract_detail::check_beats(maternal_beats, x_uv.cols(), who);
  const IcaResult unmixed = fastica_1999(x_uv, ica);
  const Eigen::Index k = unmixed.sources.rows();
  ExtractionResult result;
  if (k == 0) {  // every lead flat: nothing to separate
    result.fecg_uv = LeadMatrix::Zero(x_uv.rows(), x_uv.cols());
    result.detection = LeadMatrix::Zero(1, x_uv.cols());
    return result;
  }
  // Components in µV (the norm of their mixing column; fastica_1999 keeps no flat component), so
  // that every row reads like a lead; the unit-norm mixing columns take them back onto the leads.
  const Eigen::RowVectorXf norms = unmixed.mixing.colwise().norm();
  const LeadMatrix scaled = norms.transpose().asDiagonal() * unmixed.sources;
  ExtractionResult cancelled = extract_template_subtraction(scaled, fs_hz, maternal_beats, ts);
  result.fecg_uv = unmixed.mixing * norms.cwiseInverse().asDiagonal() * cancelled.fecg_uv;
  result.detection = std::move(cancelled.fecg_uv);
  return result;
}

}  // namespace fecg
