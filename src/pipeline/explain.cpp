#include "pipeline/explain.h"

#include "core/error.h"
#include "pipeline/fhnet_external.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace fecg {

namespace {

void check_window(const FhnetOutput& out, int b, const char* who) {
  if (b < 0 || b >= out.batch)
    throw Error(std::string(who) + ": window " + std::to_string(b) + " outside the batch of " + std::to_string(out.batch));
}

}  // namespace

std::vector<float> attention_contributions(const FhnetOutput& out, int b) {
  return out.lead_pool ? pooling_contributions(out, b) : graph_attention_contributions(out, b);
}

std::vector<float> pooling_contributions(const FhnetOutput& out, int b) {
  if (out.lead_weights.empty()) return {};
  check_window(out, b, "pooling_contributions");
  const int k = out.leads;
  const std::size_t per_window = static_cast<std::size_t>(out.tokens) * k;
  if (out.lead_weights.size() != per_window * static_cast<std::size_t>(out.batch))
    throw Error("pooling_contributions: lead_weights holds " + std::to_string(out.lead_weights.size()) +
                " values, expected batch × tokens × leads = " + std::to_string(per_window * static_cast<std::size_t>(out.batch)));
  std::vector<double> sum(static_cast<std::size_t>(k), 0.0);
  for (int t = 0; t < out.tokens; ++t)
    for (int j = 0; j < k; ++j) sum[static_cast<std::size_t>(j)] += out.lead_weight(b, t, j);
  std::vector<float> c(static_cast<std::size_t>(k));
  for (int j = 0; j < k; ++j) c[static_cast<std::size_t>(j)] = static_cast<float>(sum[static_cast<std::size_t>(j)] / out.tokens);
  return c;
}

std::vector<float> graph_attention_contributions(const FhnetOutput& out, int b) {
  if (out.layers <= 0 || out.lead_attention.empty()) return {};
  check_window(out, b, "graph_attention_contributions");
  const int k = out.leads;
  const std::size_t per_window = static_cast<std::size_t>(out.layers) * out.tokens * k * k;
  if (out.lead_attention.size() != per_window * static_cast<std::size_t>(out.batch))
    throw Error("graph_attention_contributions: lead_attention holds " + std::to_string(out.lead_attention.size()) +
                " values, expected batch × layers × tokens × leads × leads = " +
                std::to_string(per_window * static_cast<std::size_t>(out.batch)));
  // Column sums of the layers × tokens row-stochastic K × K matrices, in double: 256 matrices.
  std::vector<double> received(static_cast<std::size_t>(k), 0.0);
  const float* a = out.lead_attention.data() + per_window * static_cast<std::size_t>(b);
  for (std::size_t m = 0; m < per_window; m += static_cast<std::size_t>(k))
    for (int j = 0; j < k; ++j) received[static_cast<std::size_t>(j)] += a[m + static_cast<std::size_t>(j)];
  const double rows = static_cast<double>(per_window / static_cast<std::size_t>(k));  // layers · tokens · K
  std::vector<float> c(static_cast<std::size_t>(k));
  for (int j = 0; j < k; ++j) c[static_cast<std::size_t>(j)] = static_cast<float>(received[static_cast<std::size_t>(j)] / rows);
  return c;
}

namespace {

// Changes summed over the lead groups of one window, before they become shares.
struct WindowSums {
  std::vector<double> attention;        // per lead, already divided by the number of groups
  std::vector<double> occlusion_sq;     // per lead left out: Σ squared change of the other leads' fECG
  std::vector<double> occlusion_abs;    // per lead left out: Σ_i |Δ R-peak prob.| / groups
  std::vector<double> segment_sq;       // per segment: Σ squared change of every lead's fECG
  std::vector<double> segment_delta;    // segments × window: Σ_groups Δ R-peak prob. / groups
};

// Occlusion runs the network again on windows the pipeline never cut: outputs replayed from a
// network run elsewhere cannot answer them.
void check_runs_network(const FhnetEngine& model, const char* where) {
  if (dynamic_cast<const FhnetReplay*>(&model) != nullptr || dynamic_cast<const FhnetCapture*>(&model) != nullptr)
    throw Error(std::string(where) + ": lead occlusion and saliency run the network again on modified windows; a "
                "network run elsewhere (FhnetReplay / FhnetCapture) cannot, so use our engine (FhnetModel) or ask "
                "for the lead attention only");
}

// v / Σv averaged over the measures whose sum is > 0; 1/n each when none moved.
std::vector<float> mean_of_shares(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  std::vector<double> out(n, 0.0);
  int used = 0;
  for (const std::vector<double>* v : {&a, &b}) {
    const double sum = std::accumulate(v->begin(), v->end(), 0.0);
    if (!(sum > 0) || !std::isfinite(sum)) continue;
    for (std::size_t i = 0; i < n; ++i) out[i] += (*v)[i] / sum;
    ++used;
  }
  std::vector<float> shares(n);
  for (std::size_t i = 0; i < n; ++i)
    shares[i] = used ? static_cast<float>(out[i] / used) : 1.0f / static_cast<float>(n);
  return shares;
}

// The engine and what every window of an explanation shares.
struct Explainer {
  FhnetEngine& model;
  const ExplainParams& params;
  int window;
  int segments;
  std::vector<std::vector<int>> groups;
  std::vector<LeadMatrix> x_groups;  // per group: its leads × n, µV
  int leads;
  FhnetOutput out;                   // reused across runs
  std::vector<float> input;

  Explainer(const LeadMatrix& x_uv, FhnetEngine& m, const ExplainParams& p)
      : model(m), params(p), window(m.window()), leads(static_cast<int>(x_uv.rows())) {
    if (x_uv.rows() < 1 || x_uv.cols() < 1)
      throw Error("explain: expected at least one lead and one sample, got " + std::to_string(x_uv.rows()) + " × " +
                  std::to_string(x_uv.cols()));
    if (params.saliency && (params.saliency_segment < 1 || params.saliency_segment > window))
      throw Error("explain: saliency_segment must be in 1.." + std::to_string(window) + " samples, got " +
                  std::to_string(params.saliency_segment));
    segments = params.saliency ? (window + params.saliency_segment - 1) / params.saliency_segment : 0;
    groups = fhnet_lead_groups(leads);
    for (const auto& g : groups) {
      LeadMatrix xg(static_cast<Eigen::Index>(g.size()), x_uv.cols());
      for (std::size_t j = 0; j < g.size(); ++j) xg.row(static_cast<Eigen::Index>(j)) = x_uv.row(g[j]);
      x_groups.push_back(std::move(xg));
    }
  }

  // Adds the changes of lead group `g` for the windows starting at `starts` into `sums`.
  void explain_group(std::size_t g, const std::vector<std::int64_t>& starts, bool attention,
                     std::vector<WindowSums>& sums) {
    const std::vector<int>& group = groups[g];
    const int k = static_cast<int>(group.size());
    const int batch = static_cast<int>(starts.size());
    const double per_group = 1.0 / static_cast<double>(groups.size());
    const std::size_t w = static_cast<std::size_t>(window);

    // The unmodified windows, normalised as the stage does.
    std::vector<float> base_x(static_cast<std::size_t>(batch) * k * w);
    for (int b = 0; b < batch; ++b) {
      const NormalizedWindow nw = normalize_fhnet_window(x_groups[g], starts[static_cast<std::size_t>(b)], window);
      std::copy(nw.x.data(), nw.x.data() + nw.x.size(), base_x.begin() + static_cast<std::ptrdiff_t>(b) * k * window);
    }
    model.run_batch(base_x.data(), batch, k, out);
    const LeadMatrix base_fecg = out.fecg;       // (batch·k) × window
    const LeadMatrix base_prob = out.rpeak_prob; // batch × window
    if (attention) {
      for (int b = 0; b < batch; ++b) {
        const std::vector<float> c = attention_contributions(out, b);
        for (std::size_t j = 0; j < c.size(); ++j)
          sums[static_cast<std::size_t>(b)].attention[static_cast<std::size_t>(group[j])] += c[j] * per_group;
      }
    }

    if (params.lead_occlusion && k >= 2) {
      for (int drop = 0; drop < k; ++drop) {
        input.resize(static_cast<std::size_t>(batch) * (k - 1) * w);
        for (int b = 0; b < batch; ++b)
          for (int j = 0, r = 0; j < k; ++j) {
            if (j == drop) continue;
            const float* src = base_x.data() + (static_cast<std::size_t>(b) * k + j) * w;
            std::copy(src, src + w, input.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(b) * (k - 1) + r++) * w));
          }
        model.run_batch(input.data(), batch, k - 1, out);
        for (int b = 0; b < batch; ++b) {
          double sq = 0;
          for (int j = 0, r = 0; j < k; ++j) {
            if (j == drop) continue;
            sq += (out.fecg.row(b * (k - 1) + r++) - base_fecg.row(b * k + j)).cast<double>().squaredNorm();
          }
          WindowSums& s = sums[static_cast<std::size_t>(b)];
          s.occlusion_sq[static_cast<std::size_t>(group[drop])] += sq;
          s.occlusion_abs[static_cast<std::size_t>(group[drop])] +=
              (out.rpeak_prob.row(b) - base_prob.row(b)).cast<double>().cwiseAbs().sum() * per_group;
        }
      }
    }

    if (params.saliency) {
      const int seg = params.saliency_segment;
      for (int b = 0; b < batch; ++b) {
        // Copy s: window b with samples [s·seg, (s+1)·seg) of every lead at 0, the normalised median.
        input.resize(static_cast<std::size_t>(segments) * k * w);
        const float* src = base_x.data() + static_cast<std::size_t>(b) * k * w;
        for (int s = 0; s < segments; ++s) {
          float* dst = input.data() + static_cast<std::size_t>(s) * k * w;
          std::copy(src, src + static_cast<std::size_t>(k) * w, dst);
          const int from = s * seg, to = std::min(window, from + seg);
          for (int j = 0; j < k; ++j) std::fill(dst + j * w + from, dst + j * w + to, 0.0f);
        }
        model.run_batch(input.data(), segments, k, out);
        WindowSums& sum = sums[static_cast<std::size_t>(b)];
        for (int s = 0; s < segments; ++s) {
          sum.segment_sq[static_cast<std::size_t>(s)] +=
              (out.fecg.middleRows(s * k, k) - base_fecg.middleRows(b * k, k)).cast<double>().squaredNorm();
          double* delta = sum.segment_delta.data() + static_cast<std::size_t>(s) * w;
          for (int i = 0; i < window; ++i) delta[i] += (out.rpeak_prob(s, i) - base_prob(b, i)) * per_group;
        }
      }
    }
  }

  // Every group over the windows at `starts`, then the changes as shares.
  std::vector<WindowExplanation> explain(const std::vector<std::int64_t>& starts, bool attention) {
    const std::size_t w = static_cast<std::size_t>(window);
    std::vector<WindowSums> sums(starts.size());
    for (WindowSums& s : sums) {
      s.attention.assign(static_cast<std::size_t>(leads), 0.0);
      s.occlusion_sq.assign(static_cast<std::size_t>(leads), 0.0);
      s.occlusion_abs.assign(static_cast<std::size_t>(leads), 0.0);
      s.segment_sq.assign(static_cast<std::size_t>(segments), 0.0);
      s.segment_delta.assign(static_cast<std::size_t>(segments) * w, 0.0);
    }
    for (std::size_t g = 0; g < groups.size(); ++g) explain_group(g, starts, attention, sums);
    const bool has_attention = attention && out.layers > 0;  // an engine without attention gives none

    std::vector<WindowExplanation> result(starts.size());
    for (std::size_t b = 0; b < starts.size(); ++b) {
      const WindowSums& s = sums[b];
      WindowExplanation& e = result[b];
      e.start = starts[b];
      e.window = window;
      if (has_attention) e.lead_attention.assign(s.attention.begin(), s.attention.end());
      if (params.lead_occlusion) {
        e.occlusion_fecg_change.assign(static_cast<std::size_t>(leads), 0.0f);
        e.occlusion_rpeak_change.assign(static_cast<std::size_t>(leads), 0.0f);
        if (leads == 1) {
          e.lead_occlusion = {1.0f};
        } else {
          // Mean square over the other leads of the recording (leads of other groups did not change).
          const double others = static_cast<double>(leads - 1) * window;
          std::vector<double> fecg(static_cast<std::size_t>(leads)), rpeak(static_cast<std::size_t>(leads));
          for (std::size_t j = 0; j < fecg.size(); ++j) {
            fecg[j] = s.occlusion_sq[j] / others;
            rpeak[j] = s.occlusion_abs[j] / window;
            e.occlusion_fecg_change[j] = static_cast<float>(fecg[j]);
            e.occlusion_rpeak_change[j] = static_cast<float>(rpeak[j]);
          }
          e.lead_occlusion = mean_of_shares(fecg, rpeak);
        }
      }
      if (params.saliency) {
        e.segment = params.saliency_segment;
        std::vector<double> fecg(static_cast<std::size_t>(segments)), rpeak(static_cast<std::size_t>(segments));
        for (std::size_t q = 0; q < fecg.size(); ++q) {
          fecg[q] = s.segment_sq[q] / (static_cast<double>(leads) * window);
          double abs_sum = 0;
          for (std::size_t i = 0; i < w; ++i) abs_sum += std::abs(s.segment_delta[q * w + i]);
          rpeak[q] = abs_sum / window;
        }
        e.segment_fecg_change.assign(fecg.begin(), fecg.end());
        e.segment_rpeak_change.assign(rpeak.begin(), rpeak.end());
        const std::vector<float> share = mean_of_shares(fecg, rpeak);
        // Spread each segment's share over its samples so that the window's values average 1.
        e.saliency.assign(w, 0.0f);
        for (int q = 0; q < segments; ++q) {
          const int from = q * params.saliency_segment, to = std::min(window, from + params.saliency_segment);
          const float per_sample = share[static_cast<std::size_t>(q)] * static_cast<float>(window) / static_cast<float>(to - from);
          std::fill(e.saliency.begin() + from, e.saliency.begin() + to, per_sample);
        }
      }
    }
    return result;
  }
};

}  // namespace

WindowExplanation explain_window(const LeadMatrix& x_uv, std::int64_t start, FhnetEngine& model,
                                 const ExplainParams& params) {
  if (start < 0 || start >= x_uv.cols())
    throw Error("explain_window: start " + std::to_string(start) + " outside the " + std::to_string(x_uv.cols()) +
                " samples of the input");
  check_runs_network(model, "explain_window");
  Explainer explainer(x_uv, model, params);
  return std::move(explainer.explain({start}, params.lead_attention).front());
}

Explanation explain_record(const LeadMatrix& x_uv, double fs_hz, FhnetEngine& model, const ExplainParams& params,
                           const FhnetStageParams& stage, const std::function<void(double)>& progress) {
  if (std::abs(fs_hz - model.sampling_rate_hz()) > 1e-9)
    throw Error("explain_record: input at " + std::to_string(fs_hz) + " Hz, the model expects " +
                std::to_string(model.sampling_rate_hz()) + " Hz");
  if (params.lead_occlusion || params.saliency) check_runs_network(model, "explain_record");
  Explainer explainer(x_uv, model, params);
  Explanation e;
  e.fs_hz = fs_hz;
  e.window = explainer.window;
  e.hop = stage.hop;
  e.window_starts = fhnet_window_starts(x_uv.cols(), e.window, stage.hop);
  const int n_windows = e.n_windows();
  const int leads = static_cast<int>(x_uv.rows());
  if (!params.lead_occlusion && !params.saliency) return e;

  if (params.lead_occlusion) {
    e.lead_occlusion.resize(n_windows, leads);
    e.occlusion_fecg_change.resize(n_windows, leads);
    e.occlusion_rpeak_change.resize(n_windows, leads);
  }
  if (params.saliency) {
    e.segment = params.saliency_segment;
    e.window_saliency.resize(n_windows, e.window);
  }
  // Chunks of the stage's batch: the lead-occlusion runs batch the windows (saliency batches
  // each window's copies on its own).
  const std::size_t chunk = static_cast<std::size_t>(std::max(1, stage.batch));
  for (std::size_t first = 0; first < e.window_starts.size(); first += chunk) {
    const std::size_t last = std::min(e.window_starts.size(), first + chunk);
    const std::vector<std::int64_t> starts(e.window_starts.begin() + static_cast<std::ptrdiff_t>(first),
                                           e.window_starts.begin() + static_cast<std::ptrdiff_t>(last));
    const std::vector<WindowExplanation> done = explainer.explain(starts, false);
    for (std::size_t b = 0; b < done.size(); ++b) {
      const auto row = static_cast<Eigen::Index>(first + b);
      const WindowExplanation& w = done[b];
      for (int k = 0; k < leads && params.lead_occlusion; ++k) {
        e.lead_occlusion(row, k) = w.lead_occlusion[static_cast<std::size_t>(k)];
        e.occlusion_fecg_change(row, k) = w.occlusion_fecg_change[static_cast<std::size_t>(k)];
        e.occlusion_rpeak_change(row, k) = w.occlusion_rpeak_change[static_cast<std::size_t>(k)];
      }
      if (params.saliency)
        e.window_saliency.row(row) = Eigen::Map<const Eigen::RowVectorXf>(w.saliency.data(), e.window);
    }
    if (progress) progress(static_cast<double>(last) / static_cast<double>(n_windows));
  }

  if (params.saliency) {
    // Blend as the stage blends the fetal ECG: Hann-weighted mean of the windows covering a sample.
    const std::int64_t n = x_uv.cols();
    Eigen::VectorXd acc = Eigen::VectorXd::Zero(n), weight_sum = Eigen::VectorXd::Zero(n);
    std::vector<float> best_weight(static_cast<std::size_t>(n), -1.0f);
    e.saliency_window.assign(static_cast<std::size_t>(n), 0);
    for (int w = 0; w < n_windows; ++w) {
      const std::int64_t start = e.window_starts[static_cast<std::size_t>(w)];
      const std::int64_t have = std::min<std::int64_t>(e.window, n - start);
      for (std::int64_t i = 0; i < have; ++i) {
        const float wt = fhnet_blend_weight(static_cast<int>(i), e.window);
        acc(start + i) += static_cast<double>(wt) * e.window_saliency(w, static_cast<Eigen::Index>(i));
        weight_sum(start + i) += wt;
        if (wt > best_weight[static_cast<std::size_t>(start + i)]) {
          best_weight[static_cast<std::size_t>(start + i)] = wt;
          e.saliency_window[static_cast<std::size_t>(start + i)] = w;
        }
      }
    }
    e.saliency = (acc.array() / weight_sum.array()).cast<float>();
  }
  return e;
}

}  // namespace fecg
