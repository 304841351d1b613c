// Why FHNet said what it said: per window, how much each lead contributed to the outputs, and
// which stretches of the input drove them (the pipeline's last stage, "explain"; issue 3).
//
//   fecg::PipelineParams params;  params.method = fecg::Method::fhnet;  params.fhnet_model = model;
//   params.explain.lead_occlusion = true;                  // K extra runs per window
//   params.explain.saliency = true;                        // 32 extra runs per window
//   fecg::PipelineResult r = fecg::run_pipeline(rec, roles, params);
//   const fecg::Explanation& e = r.explanation;            // at 250 Hz (e.fs_hz)
//   e.lead_attention(w, k);   // window w, lead k: share of the network's attention (row sums 1), free
//   e.lead_occlusion(w, k);   // share of the output change when lead k is left out (row sums 1)
//   e.saliency(i);            // sample i of the record: 1 = as important as the window's average
//
//   // One window, on demand (the page's "saliency of the selected window"): 1 + 32 runs.
//   fecg::WindowExplanation w = fecg::explain_window(r.preprocessed, e.window_starts[7], *model,
//                                                    {.lead_occlusion = true, .saliency = true});
//   w.saliency;               // window values (1024), mean 1
//
// Lead contributions from the network's attention (free), from one of two places:
//
// The R-peak head's lead pooling, where the model has one (architecture.lead_pool): at each
// token t the head sums the leads' decoder features with weights w[t, k] (a softmax over the
// leads of a learned score of each lead's features; scripts/fhnet/model.py RPeakHead), so w[t, k]
// is, by construction, the share lead k has in the fetal beats at that moment. The contribution
// is c_k = mean_t w[t, k]. It sums to 1, is >= 0, gives 1 at K = 1 and permutes with the leads;
// trained with one lead corrupted in some windows, the head learned to weigh the leads by how
// clearly they show the fetal beats (tools/eval_lead_contributions measures the agreement with
// each lead's fetal SNR).
//
// Else the graph attention. Graph layer l at token t gives a row-stochastic K × K matrix A (row
// i: the weights lead i gives every lead when it gathers features from the others). The
// contribution of lead k is the attention it RECEIVES, averaged over the receiving leads i, the
// tokens t and the layers l:  c_k = mean_{l,t,i} A[l,t,i,k].  Why this one:
//   - each row sums to 1, so the c_k sum to 1 without further normalisation, stay >= 0, and K = 1
//     gives c = 1; it is a set function of the leads, so it permutes with them (tested);
//   - every receiving lead counts equally because, without lead pooling, every lead's output
//     counts equally: each lead has its own fetal ECG and the R-peak head reads their mean;
//   - self-attention (i = k) is kept: it is as much a use of lead k as another lead's;
//   - layers are averaged rather than chained (attention rollout, Abnar & Zuidema 2020): with two
//     layers and residual connections around each, rollout's answer depends mostly on the weight
//     it assumes for the residual path, which the model does not tell; the mean assumes nothing.
// Attention says where the model looks, not what changes its answer (Jain & Wallace 2019,
// "Attention is not explanation"): occlusion below measures the latter and costs K runs.
//
// Lead contributions by occlusion (on request). The model accepts any 1..8 leads, so lead k is
// removed exactly by running the window on the other K−1 leads (not by zeroing it, which would
// feed the network a flat lead it never saw). Two changes are measured against the full run:
//   fecg change   mean square over the OTHER leads and the window's samples of the fetal ECG
//                 difference (normalised units², each lead's robust scale, fhnet_stage.h);
//   rpeak change  mean over the window of |difference of the R-peak probability|.
// Each is turned into shares over the leads (divided by its sum over leads) and the contribution
// is the mean of the two shares: two outputs in different units count equally, and the result
// sums to 1. Squared error for the fECG and absolute error for the probability because both are
// additive over samples: changes in disjoint parts of the output add up, so a share is a share
// of the total (a root-mean-square is not, and compresses the differences between leads: a lead
// that moves the output 4 × as much in energy shows as 2 ×). The squared error is also what the
// fECG head is trained on (scripts/fhnet/model.py fhnet_loss). A share whose sum is 0 (the output did not move) is left out; if both are 0 every
// lead gets 1/K. K = 1: nothing to compare with, the lead gets 1 and both changes are 0.
//
// Temporal saliency by occlusion. The window is cut into segments of `saliency_segment` samples;
// for each segment a copy of the window has that segment of EVERY lead replaced by 0, the median
// after normalisation (what the stage pads with), and all copies go through the engine in one
// batch with the unmodified window. The fecg change (mean square over all leads and samples) and the
// rpeak change (as above) of each copy are turned into shares over the segments, averaged as for
// the leads, and spread over the segment's samples, scaled so that the window's mean is 1.
// Whole-record saliency blends the windows with the stage's Hann weights (fhnet_blend_weight).
// Occlusion rather than an input gradient: it needs no backward pass in the engine, works for any
// engine of the FhnetEngine contract, and measures finite removals, which is what the
// faithfulness test (tests/unit/test_explain.cpp) checks.
//
// Recordings with more than 8 leads run in the stage's groups (fhnet_lead_groups): attention
// shares are computed within each group and divided by the number of groups; the occlusion and
// saliency changes are taken on the outputs the pipeline keeps (every lead's fetal ECG and the
// R-peak probability averaged over the groups), so they sum over groups naturally.
#pragma once

#include "core/types.h"
#include "model/fhnet.h"
#include "pipeline/fhnet_stage.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace fecg {

struct ExplainParams {
  // Lead contributions from the graph attention: read from the outputs the extraction computes
  // anyway (no extra run). Empty for engines without attention (outputs replayed from elsewhere).
  bool lead_attention = true;
  // Lead contributions by occlusion: K extra runs per window, each on K−1 leads (about K−1 times
  // the extraction's cost, since the engine's cost grows with the number of leads).
  bool lead_occlusion = false;
  // Whole-record temporal saliency: 1 + window / saliency_segment extra copies per window (33
  // with the defaults: about 33 times the extraction's cost).
  bool saliency = false;
  // Occluded segment, samples at the model's rate: 32 = 128 ms at 250 Hz, about the width of a
  // maternal QRS complex (80–120 ms), so one segment can hide a whole complex, and 1024 / 32 = 32
  // copies per window. The resolution of the map; a segment of 1 gives per-sample occlusion.
  int saliency_segment = 32;
};

// The explanation of one window (explain_window). Vectors are empty when not asked for.
struct WindowExplanation {
  std::int64_t start = 0;                    // first sample, at the model's rate
  int window = 0;                            // samples
  std::vector<float> lead_attention;         // per lead, >= 0, sum 1 (empty: engine has none)
  std::vector<float> lead_occlusion;         // per lead, >= 0, sum 1
  std::vector<float> occlusion_fecg_change;  // per lead left out: mean square change of the others' fECG
  std::vector<float> occlusion_rpeak_change; // per lead left out: mean |change| of R-peak prob.
  int segment = 0;                           // saliency segment, samples
  std::vector<float> saliency;               // window values, >= 0, mean 1
  std::vector<float> segment_fecg_change;    // per segment: mean square change of every lead's fECG
  std::vector<float> segment_rpeak_change;   // per segment: mean |change| of R-peak probability
};

// The pipeline's explanation of a whole record (PipelineResult::explanation, Method::fhnet).
// Matrices are windows × leads (leads in PipelineResult::lead_names order); empty when not asked
// for (or, for lead_attention, when the engine gives no attention).
struct Explanation {
  double fs_hz = 0;                          // rate of window_starts and saliency (250 Hz)
  int window = 0;                            // samples per window
  int hop = 0;
  int segment = 0;                           // saliency segment (0: no saliency)
  std::vector<std::int64_t> window_starts;   // as the FHNet stage cut them, samples at fs_hz
  LeadMatrix lead_attention;                 // windows × leads, rows sum 1
  LeadMatrix lead_occlusion;                 // windows × leads, rows sum 1
  LeadMatrix occlusion_fecg_change;          // windows × leads (see WindowExplanation)
  LeadMatrix occlusion_rpeak_change;         // windows × leads
  LeadMatrix window_saliency;                // windows × window, each row mean 1
  Signal saliency;                           // n samples at fs_hz: windows blended, >= 0
  // n: the window whose blend weight is largest at each sample (the window that mostly made
  // the output there); empty without saliency.
  std::vector<int> saliency_window;

  int n_windows() const { return static_cast<int>(window_starts.size()); }
};

// Attention contributions of window `b` of an engine output: the R-peak head's lead weights
// averaged over the tokens where out.lead_pool, else graph_attention_contributions. Empty when
// the engine gives neither.
std::vector<float> attention_contributions(const FhnetOutput& out, int b);
// c_k = mean over layers, tokens and receiving leads i of attention(b, l, t, i, k). Empty when
// out.layers == 0.
std::vector<float> graph_attention_contributions(const FhnetOutput& out, int b);
// c_k = mean over tokens of lead_weight(b, t, k). Empty when out.lead_weights is.
std::vector<float> pooling_contributions(const FhnetOutput& out, int b);

// Explains the window of x_uv (leads × n, µV, preprocessed at the model's rate, any number of
// leads: groups as the stage) that starts at `start`, normalised exactly as the stage does.
// Costs 1 run + (lead_occlusion: K runs on K−1 leads) + (saliency: one batch of window / segment
// copies). Throws fecg::Error on a bad start, an empty or non-finite input, or a segment outside
// 1..window.
WindowExplanation explain_window(const LeadMatrix& x_uv, std::int64_t start, FhnetEngine& model,
                                 const ExplainParams& params = {});

// The explanation of every window the stage cuts from x_uv (fhnet_window_starts with
// stage.hop): lead occlusion and saliency as asked by `params` (lead_attention is ignored here:
// the pipeline takes it from a LeadAttentionRecorder around the extraction). `progress`, when
// set, is called after each window with the fraction done (it may throw to cancel).
Explanation explain_record(const LeadMatrix& x_uv, double fs_hz, FhnetEngine& model, const ExplainParams& params,
                           const FhnetStageParams& stage = {},
                           const std::function<void(double)>& progress = {});

}  // namespace fecg
