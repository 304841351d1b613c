#include "pipeline/fhnet_stage.h"

#include "core/error.h"
#include "model/fhnet.h"
#include "pipeline/explain.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <numbers>
#include <string>
#ifndef __EMSCRIPTEN__
#include <thread>
#endif

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

std::vector<std::vector<int>> fhnet_lead_groups(int leads) {
  if (leads < 1) throw Error("fhnet_lead_groups: expected at least one lead, got " + std::to_string(leads));
  const int groups = (leads + FhnetEngine::kMaxLeads - 1) / FhnetEngine::kMaxLeads;
  std::vector<std::vector<int>> out(static_cast<std::size_t>(groups));
  for (int k = 0; k < leads; ++k) out[static_cast<std::size_t>(k % groups)].push_back(k);
  return out;
}

namespace {

// One engine and the batch it works on: the normalised input windows, their scalings, the output.
struct Lane {
  FhnetEngine* engine = nullptr;
  std::vector<float> input;
  std::vector<LeadScaling> scalings;
  FhnetOutput out;
  std::size_t first = 0;  // index of the batch's first window in `starts`
  int count = 0;          // windows in the batch (0: idle this round)
};

// Cuts and normalises the lane's windows, then runs its engine on them.
void run_lane(const LeadMatrix& x_uv, const std::vector<std::int64_t>& starts, int window, Lane& lane) {
  const int leads = static_cast<int>(x_uv.rows());
  lane.input.assign(static_cast<std::size_t>(lane.count) * leads * window, 0.0f);
  lane.scalings.clear();
  for (int w = 0; w < lane.count; ++w) {
    NormalizedWindow nw = normalize_fhnet_window(x_uv, starts[lane.first + static_cast<std::size_t>(w)], window);
    std::copy(nw.x.data(), nw.x.data() + nw.x.size(), lane.input.begin() + static_cast<std::ptrdiff_t>(w) * leads * window);
    lane.scalings.push_back(std::move(nw.scaling));
  }
  lane.engine->run_batch(lane.input.data(), lane.count, leads, lane.out);
}

// Where a group's attention contributions go: rows of the windows, columns of its leads.
struct AttentionSink {
  LeadMatrix* contributions = nullptr;  // windows × all leads
  const std::vector<int>* group = nullptr;
  float share = 1.0f;                   // 1 / the number of groups
  bool none = false;                    // the engine gives no attention
};

// Adds weight × the lane's outputs into the accumulators and records each window's attention.
void blend_lane(const Lane& lane, const std::vector<std::int64_t>& starts, std::int64_t n, int window,
                const std::vector<float>& weight, LeadMatrix& fecg_acc, Eigen::VectorXd& prob_acc,
                AttentionSink& attention) {
  const int leads = static_cast<int>(fecg_acc.rows());
  for (int w = 0; w < lane.count; ++w) {
    if (!attention.none) {
      const std::vector<float> c = attention_contributions(lane.out, w);
      if (c.empty()) attention.none = true;
      const auto row = static_cast<Eigen::Index>(lane.first) + w;
      for (std::size_t j = 0; j < c.size() && j < attention.group->size(); ++j)
        (*attention.contributions)(row, (*attention.group)[j]) = c[j] * attention.share;
    }
    const std::int64_t start = starts[lane.first + static_cast<std::size_t>(w)];
    const std::int64_t have = std::min<std::int64_t>(window, n - start);
    for (int k = 0; k < leads; ++k) {
      const float scale = lane.scalings[static_cast<std::size_t>(w)].scale_uv(k);
      const auto y = lane.out.fecg.row(static_cast<Eigen::Index>(w) * leads + k);
      auto acc = fecg_acc.row(k);
      for (std::int64_t i = 0; i < have; ++i) acc(start + i) += weight[static_cast<std::size_t>(i)] * y(i) * scale;
    }
    const auto p = lane.out.rpeak_prob.row(w);
    for (std::int64_t i = 0; i < have; ++i) prob_acc(start + i) += weight[static_cast<std::size_t>(i)] * p(i);
  }
}

// Runs one group of ≤ 8 leads over every window; adds weight × output into the accumulators.
// Batches go round-robin to the engines, one round at a time, and are blended in window order
// after each round, so the sums are formed in the same order whatever the number of engines.
void run_group(const LeadMatrix& x_uv, const std::vector<FhnetEngine*>& engines,
               const std::vector<std::int64_t>& starts, const FhnetStageParams& params,
               const std::vector<float>& weight, LeadMatrix& fecg_acc, Eigen::VectorXd& prob_acc,
               AttentionSink& attention) {
  const int window = engines.front()->window();
  const std::int64_t n = x_uv.cols();
  const std::size_t batch = static_cast<std::size_t>(std::max(1, params.batch));
  std::vector<Lane> lanes(engines.size());
  for (std::size_t i = 0; i < lanes.size(); ++i) lanes[i].engine = engines[i];
  for (std::size_t next = 0; next < starts.size();) {
    for (Lane& lane : lanes) {
      lane.first = next;
      lane.count = static_cast<int>(std::min(batch, starts.size() - next));
      next += static_cast<std::size_t>(lane.count);
    }
#ifndef __EMSCRIPTEN__
    // Lanes 1.. on their own threads, lane 0 on this one; an engine's error is rethrown here.
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(lanes.size());
    for (std::size_t i = 1; i < lanes.size(); ++i) {
      if (lanes[i].count == 0) continue;
      workers.emplace_back([&, i] {
        try {
          run_lane(x_uv, starts, window, lanes[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    }
    try {
      run_lane(x_uv, starts, window, lanes[0]);
    } catch (...) {
      errors[0] = std::current_exception();
    }
    for (std::thread& t : workers) t.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
#else
    for (Lane& lane : lanes)
      if (lane.count > 0) run_lane(x_uv, starts, window, lane);
#endif
    for (const Lane& lane : lanes) blend_lane(lane, starts, n, window, weight, fecg_acc, prob_acc, attention);
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
  result.lead_groups = fhnet_lead_groups(leads);
  const int groups = static_cast<int>(result.lead_groups.size());

  const std::vector<std::int64_t> starts = fhnet_window_starts(n, window, params.hop);
  result.n_windows = static_cast<int>(starts.size());
  std::vector<float> weight(static_cast<std::size_t>(window));
  for (int i = 0; i < window; ++i) weight[static_cast<std::size_t>(i)] = fhnet_blend_weight(i, window);
  Eigen::VectorXd weight_sum = Eigen::VectorXd::Zero(n);
  for (const std::int64_t s : starts)
    for (std::int64_t i = 0; i < std::min<std::int64_t>(window, n - s); ++i) weight_sum(s + i) += weight[static_cast<std::size_t>(i)];

  // The engines: the caller's, plus clones for the other threads where allowed and possible.
  std::vector<FhnetEngine*> engines{&model};
  std::vector<std::unique_ptr<FhnetEngine>> clones;
#ifndef __EMSCRIPTEN__
  const std::size_t batch = static_cast<std::size_t>(std::max(1, params.batch));
  const std::size_t batches = (starts.size() + batch - 1) / batch;  // no idle engines
  for (std::size_t i = 1; i < std::min(static_cast<std::size_t>(std::max(1, params.threads)), batches); ++i) {
    std::unique_ptr<FhnetEngine> clone = model.clone_for_thread();
    if (!clone) break;
    engines.push_back(clone.get());
    clones.push_back(std::move(clone));
  }
#endif

  result.fecg_uv = LeadMatrix::Zero(leads, n);
  Eigen::VectorXd prob_acc = Eigen::VectorXd::Zero(n);
  result.lead_attention = LeadMatrix::Zero(static_cast<Eigen::Index>(starts.size()), leads);
  bool no_attention = false;
  for (const auto& group : result.lead_groups) {
    LeadMatrix x_group(static_cast<Eigen::Index>(group.size()), n);
    for (std::size_t j = 0; j < group.size(); ++j) x_group.row(static_cast<Eigen::Index>(j)) = x_uv.row(group[j]);
    LeadMatrix acc = LeadMatrix::Zero(x_group.rows(), n);
    AttentionSink attention{&result.lead_attention, &group, 1.0f / static_cast<float>(groups)};
    run_group(x_group, engines, starts, params, weight, acc, prob_acc, attention);
    no_attention = no_attention || attention.none;
    for (std::size_t j = 0; j < group.size(); ++j) result.fecg_uv.row(group[j]) = acc.row(static_cast<Eigen::Index>(j));
  }
  for (Eigen::Index k = 0; k < result.fecg_uv.rows(); ++k)
    result.fecg_uv.row(k).array() /= weight_sum.cast<float>().transpose().array();
  result.rpeak_prob = (prob_acc.array() / (weight_sum.array() * groups)).cast<float>().min(1.0f).max(0.0f);
  if (no_attention) result.lead_attention = LeadMatrix();
  return result;
}

}  // namespace fecg
