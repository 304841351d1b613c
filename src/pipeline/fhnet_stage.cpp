#include "pipeline/fhnet_stage.h"

#include "core/error.h"
#include "model/fhnet.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace fecg {

std::vector<std::int64_t> fhnet_window_starts(std::int64_t n, int window, int hop) {
  if (window < 1 || hop < 1 || hop > window)
    throw Error("fhnet_window_starts: expected 1 <= hop <= window, got hop " + std::to_string(hop) + " and window " +
                std::to_string(window));
  if (n < 0) throw Error("fhnet_window_starts: negative length " + std::to_string(n));
  std::vector<std::int64_t> starts{0};
  if (n <= window) return starts;
  for (std::int64_t s = hop; s + window < n; s += hop) starts.push_back(s);
  starts.push_back(n - window);  // flush with the end; may overlap its predecessor by more than hop
  return starts;
}

NormalizedWindow normalize_fhnet_window(const LeadMatrix& x_uv, std::int64_t start, int window) {
  if (window < 1) throw Error("normalize_fhnet_window: window must be >= 1, got " + std::to_string(window));
  if (x_uv.rows() < 1 || x_uv.cols() < 1) throw Error("normalize_fhnet_window: empty input");
  if (start < 0 || start >= x_uv.cols())
    throw Error("normalize_fhnet_window: start " + std::to_string(start) + " outside 0.." +
                std::to_string(x_uv.cols() - 1));
  const std::int64_t have = std::min<std::int64_t>(window, x_uv.cols() - start);
  const LeadMatrix part = x_uv.middleCols(start, have);
  NormalizedWindow out;
  out.scaling = robust_scaling(part);  // throws naming a non-finite sample
  out.x = LeadMatrix::Zero(x_uv.rows(), window);  // zeros = the median after normalisation
  out.x.leftCols(have) = normalize(part, out.scaling);
  return out;
}

float fhnet_blend_weight(int i, int window) {
  const double s = std::sin(std::numbers::pi * (i + 0.5) / window);
  return static_cast<float>(s * s);
}

namespace {

// Runs one group of ≤ 8 leads over every window; adds weight × output into the accumulators.
void run_group(const LeadMatrix& x_uv, FhnetEngine& model, const std::vector<std::int64_t>& starts,
               const FhnetStageParams& params, const std::vector<float>& weight, LeadMatrix& fecg_acc,
               Eigen::VectorXd& prob_acc) {
  const int window = model.window();
  const int leads = static_cast<int>(x_uv.rows());
  const std::int64_t n = x_uv.cols();
  const int batch = std::max(1, params.batch);
  std::vector<float> input;
  std::vector<LeadScaling> scalings;
  FhnetOutput out;
  for (std::size_t first = 0; first < starts.size(); first += static_cast<std::size_t>(batch)) {
    const int b = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batch), starts.size() - first));
    input.assign(static_cast<std::size_t>(b) * leads * window, 0.0f);
    scalings.clear();
    for (int w = 0; w < b; ++w) {
      NormalizedWindow nw = normalize_fhnet_window(x_uv, starts[first + static_cast<std::size_t>(w)], window);
      std::copy(nw.x.data(), nw.x.data() + nw.x.size(), input.begin() + static_cast<std::ptrdiff_t>(w) * leads * window);
      scalings.push_back(std::move(nw.scaling));
    }
    model.run_batch(input.data(), b, leads, out);
    for (int w = 0; w < b; ++w) {
      const std::int64_t start = starts[first + static_cast<std::size_t>(w)];
      const std::int64_t have = std::min<std::int64_t>(window, n - start);
      for (int k = 0; k < leads; ++k) {
        const float scale = scalings[static_cast<std::size_t>(w)].scale_uv(k);
        const auto y = out.fecg.row(static_cast<Eigen::Index>(w) * leads + k);
        auto acc = fecg_acc.row(k);
        for (std::int64_t i = 0; i < have; ++i) acc(start + i) += weight[static_cast<std::size_t>(i)] * y(i) * scale;
      }
      const auto p = out.rpeak_prob.row(w);
      for (std::int64_t i = 0; i < have; ++i) prob_acc(start + i) += weight[static_cast<std::size_t>(i)] * p(i);
    }
  }
}

}  // namespace

FhnetExtraction extract_fhnet(const LeadMatrix& x_uv, double fs_hz, FhnetEngine& model,
                              const FhnetStageParams& params) {
  if (std::abs(fs_hz - model.sampling_rate_hz()) > 1e-9)
    throw Error("extract_fhnet: input at " + std::to_string(fs_hz) + " Hz, the model expects " +
                std::to_string(model.sampling_rate_hz()) + " Hz");
  if (x_uv.rows() < 1 || x_uv.cols() < 1)
    throw Error("extract_fhnet: expected at least one lead and one sample, got " + std::to_string(x_uv.rows()) +
                " × " + std::to_string(x_uv.cols()));
  const int window = model.window();
  const std::int64_t n = x_uv.cols();
  const int leads = static_cast<int>(x_uv.rows());

  FhnetExtraction result;
  const int groups = (leads + FhnetEngine::kMaxLeads - 1) / FhnetEngine::kMaxLeads;
  result.lead_groups.assign(static_cast<std::size_t>(groups), {});
  for (int k = 0; k < leads; ++k) result.lead_groups[static_cast<std::size_t>(k % groups)].push_back(k);

  const std::vector<std::int64_t> starts = fhnet_window_starts(n, window, params.hop);
  result.n_windows = static_cast<int>(starts.size());
  std::vector<float> weight(static_cast<std::size_t>(window));
  for (int i = 0; i < window; ++i) weight[static_cast<std::size_t>(i)] = fhnet_blend_weight(i, window);
  Eigen::VectorXd weight_sum = Eigen::VectorXd::Zero(n);
  for (const std::int64_t s : starts)
    for (std::int64_t i = 0; i < std::min<std::int64_t>(window, n - s); ++i) weight_sum(s + i) += weight[static_cast<std::size_t>(i)];

  result.fecg_uv = LeadMatrix::Zero(leads, n);
  Eigen::VectorXd prob_acc = Eigen::VectorXd::Zero(n);
  for (const auto& group : result.lead_groups) {
    LeadMatrix x_group(static_cast<Eigen::Index>(group.size()), n);
    for (std::size_t j = 0; j < group.size(); ++j) x_group.row(static_cast<Eigen::Index>(j)) = x_uv.row(group[j]);
    LeadMatrix acc = LeadMatrix::Zero(x_group.rows(), n);
    run_group(x_group, model, starts, params, weight, acc, prob_acc);
    for (std::size_t j = 0; j < group.size(); ++j) result.fecg_uv.row(group[j]) = acc.row(static_cast<Eigen::Index>(j));
  }
  for (Eigen::Index k = 0; k < result.fecg_uv.rows(); ++k)
    result.fecg_uv.row(k).array() /= weight_sum.cast<float>().transpose().array();
  result.rpeak_prob = (prob_acc.array() / (weight_sum.array() * groups)).cast<float>().min(1.0f).max(0.0f);
  return result;
}

}  // namespace fecg
