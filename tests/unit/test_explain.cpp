// The explanations of FHNet (pipeline/explain.h) must be faithful to the model they explain, whatever
// its weights (today's models/ may be a seeded random init or a trained network): every property
// below compares the explanation with what the same model actually does when its input is changed,
// so none depends on the particular weights.
//   - attention contributions are the R-peak head's lead weights, or for a model without them the
//     attention each lead receives, as the engine outputs it;
//   - removing the most salient 10 % of a window's samples changes the outputs far more than
//     removing a random 10 % (several windows, recordings and random draws);
//   - the lead-occlusion changes are what happens when the lead is dropped, both for one window
//     and for the whole record through the FHNet stage;
//   - contributions permute with the leads (the model is lead-order equivariant);
//   - the pipeline, the JSON report and the saliency CSV carry them.
#include <doctest/doctest.h>

#include "fhnet_test_support.h"

#include "core/error.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/explain.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {


using fecg_test::sim;

// The FHNet stage's input: the simulated mixture preprocessed to 250 Hz, µV.
fecg::LeadMatrix preprocessed(const fecg::SynthRecording& s) {
  double powerline_hz = 0;
  return fecg::preprocess_leads(s.mixture.samples_uv, s.mixture.fs_hz, fecg::PipelineParams{}, powerline_hz);
}

// Output change between two single-window runs of the same leads, as explain.h measures it:
// mean square of the fetal ECG difference over every lead and sample (normalised units²) and mean |Δ| of
// the R-peak probability.
struct Change {
  double fecg = 0;
  double rpeak = 0;
};
Change change(const fecg::FhnetOutput& a, const fecg::FhnetOutput& b) {
  Change c;
  c.fecg = (a.fecg - b.fecg).cast<double>().squaredNorm() / static_cast<double>(a.fecg.size());
  c.rpeak = (a.rpeak_prob - b.rpeak_prob).cast<double>().cwiseAbs().mean();
  return c;
}

// The window with the samples listed in `removed` set to 0 (the normalised median) in every lead.
fecg::LeadMatrix with_removed(fecg::LeadMatrix x, const std::vector<int>& removed) {
  for (const int i : removed) x.col(i).setZero();
  return x;
}

}  // namespace

TEST_CASE("explain: attention contributions are the R-peak head's lead weights (else the graph attention received), rows sum to 1") {
  auto model = fecg_test::trained_model();
  const fecg::SynthRecording s = sim(4, 12.0, 31);
  const fecg::LeadMatrix x = preprocessed(s);
  const fecg::NormalizedWindow nw = fecg::normalize_fhnet_window(x, 512, model->window());
  fecg::FhnetOutput out;
  model->run(nw.x, out);
  REQUIRE(out.layers > 0);
  REQUIRE(out.lead_pool);  // the shipped model pools the leads with learned weights
  // Brute force: the token means of the pooling weights, and the column means of every layer's
  // and token's graph-attention matrix.
  std::vector<double> pooling(4, 0.0), graph(4, 0.0);
  for (int t = 0; t < out.tokens; ++t)
    for (int j = 0; j < 4; ++j) pooling[static_cast<std::size_t>(j)] += out.lead_weight(0, t, j) / out.tokens;
  for (int l = 0; l < out.layers; ++l)
    for (int t = 0; t < out.tokens; ++t)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) graph[static_cast<std::size_t>(j)] += out.attention(0, l, t, i, j) / (out.layers * out.tokens * 4);
  const std::vector<float> c = fecg::attention_contributions(out, 0);
  const std::vector<float> g = fecg::graph_attention_contributions(out, 0);
  REQUIRE(c.size() == 4);
  REQUIRE(g.size() == 4);
  double sum = 0, sum_graph = 0;
  for (std::size_t j = 0; j < 4; ++j) {
    CHECK(c[j] == doctest::Approx(pooling[j]).epsilon(1e-5));
    CHECK(g[j] == doctest::Approx(graph[j]).epsilon(1e-5));
    CHECK(c[j] >= 0.0f);
    sum += c[j];
    sum_graph += g[j];
  }
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(sum_graph == doctest::Approx(1.0).epsilon(1e-5));
  // A model without the pooling (an older card) explains with the graph attention.
  fecg::FhnetOutput mean_pooled = out;
  mean_pooled.lead_pool = false;
  CHECK(fecg::attention_contributions(mean_pooled, 0) == g);

  // The pipeline reads them while extracting (LeadAttentionRecorder): the same numbers as one
  // window explained on its own, for every window.
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model = model;
  const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params);
  const fecg::Explanation& e = r.explanation;
  REQUIRE(e.n_windows() == static_cast<int>(fecg::fhnet_window_starts(r.preprocessed.cols(), 1024, fecg::FhnetStageParams{}.hop).size()));
  REQUIRE(e.lead_attention.rows() == e.n_windows());
  REQUIRE(e.lead_attention.cols() == 4);
  CHECK(e.lead_occlusion.size() == 0);  // on request only
  CHECK(e.saliency.size() == 0);
  for (int w = 0; w < e.n_windows(); ++w) {
    CAPTURE(w);
    CHECK(e.lead_attention.row(w).sum() == doctest::Approx(1.0).epsilon(1e-5));
    const fecg::WindowExplanation one = fecg::explain_window(r.preprocessed, e.window_starts[static_cast<std::size_t>(w)], *model);
    for (int k = 0; k < 4; ++k) CHECK(e.lead_attention(w, k) == doctest::Approx(one.lead_attention[static_cast<std::size_t>(k)]).epsilon(1e-4));
  }
}

TEST_CASE("explain: removing the most salient 10 % of a window changes the outputs far more than a random 10 %") {
  // The saliency is occlusion of 32-sample segments, so "a random 10 %" is drawn at the same
  // resolution: whole segments in random order, cut to the same number of samples as the top
  // 10 % (102 of 1024). Scattering single samples instead would be a different perturbation (a
  // comb of spikes), not a comparison of where the removal falls.
  auto model = fecg_test::trained_model();
  const int window = model->window();
  const int removed = window / 10;
  const int segment = fecg::ExplainParams{}.saliency_segment;
  constexpr int kDraws = 8;
  double worst_ratio = 1e9, log_ratio_sum = 0;
  int windows = 0;
  for (const std::uint64_t seed : {101u, 202u, 303u, 404u}) {
    const fecg::LeadMatrix x = preprocessed(sim(4, 16.0, seed));
    for (const std::int64_t start : {std::int64_t{512}, std::int64_t{1536}, std::int64_t{2560}}) {
      CAPTURE(seed);
      CAPTURE(start);
      const fecg::WindowExplanation e =
          fecg::explain_window(x, start, *model, {.lead_attention = false, .saliency = true});
      REQUIRE(e.saliency.size() == static_cast<std::size_t>(window));
      CHECK(std::accumulate(e.saliency.begin(), e.saliency.end(), 0.0) / window == doctest::Approx(1.0).epsilon(1e-4));

      const fecg::NormalizedWindow nw = fecg::normalize_fhnet_window(x, start, window);
      fecg::FhnetOutput base, moved;
      model->run(nw.x, base);

      std::vector<int> order(static_cast<std::size_t>(window));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return e.saliency[static_cast<std::size_t>(a)] > e.saliency[static_cast<std::size_t>(b)];
      });
      model->run(with_removed(nw.x, std::vector<int>(order.begin(), order.begin() + removed)), moved);
      const Change top = change(moved, base);

      Change random;
      std::mt19937 rng(static_cast<unsigned>(seed + static_cast<std::uint64_t>(start)));
      std::vector<int> segments(static_cast<std::size_t>(window / segment));
      std::iota(segments.begin(), segments.end(), 0);
      for (int d = 0; d < kDraws; ++d) {
        std::shuffle(segments.begin(), segments.end(), rng);
        std::vector<int> pick;
        for (std::size_t q = 0; pick.size() < static_cast<std::size_t>(removed); ++q)
          for (int i = 0; i < segment && pick.size() < static_cast<std::size_t>(removed); ++i) pick.push_back(segments[q] * segment + i);
        model->run(with_removed(nw.x, pick), moved);
        const Change c = change(moved, base);
        random.fecg += c.fecg / kDraws;
        random.rpeak += c.rpeak / kDraws;
      }
      // The saliency weighs both outputs equally (explain.h); so does this comparison.
      const double ratio_fecg = top.fecg / random.fecg, ratio_rpeak = top.rpeak / random.rpeak;
      MESSAGE("seed " << seed << " start " << start << ": top 10 % vs random 10 %: fECG change ×" << ratio_fecg
                      << ", R-peak change ×" << ratio_rpeak);
      // Every window: better than chance by a clear margin. A window whose salient events are
      // many and alike (several maternal and fetal complexes of similar size) leaves a random
      // 10 % good odds of hitting some of them, so the per-window bar is lower than the overall.
      const double ratio = 0.5 * (ratio_fecg + ratio_rpeak);
      CHECK(ratio >= 1.3);
      worst_ratio = std::min(worst_ratio, ratio);
      log_ratio_sum += std::log(ratio);
      ++windows;
    }
  }
  // Over the windows and draws: the most salient 10 % moves the outputs at least twice as much
  // (geometric mean of the per-window ratios).
  const double typical = std::exp(log_ratio_sum / windows);
  MESSAGE(windows << " windows: the most salient 10 % moved the outputs " << typical
                  << " × as much as a random 10 % (geometric mean; worst window " << worst_ratio << " ×)");
  CHECK(typical >= 2.0);
}

TEST_CASE("explain: lead occlusion is what happens when the lead is dropped") {
  auto model = fecg_test::trained_model();
  const fecg::SynthRecording s = sim(4, 30.0, 57);
  const fecg::LeadMatrix x = preprocessed(s);
  const int window = model->window();

  SUBCASE("one window: the changes are those of a run on the other leads") {
    const std::int64_t start = 1024;
    const fecg::WindowExplanation e = fecg::explain_window(x, start, *model, {.lead_occlusion = true});
    REQUIRE(e.lead_occlusion.size() == 4);
    CHECK(std::accumulate(e.lead_occlusion.begin(), e.lead_occlusion.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    const fecg::NormalizedWindow nw = fecg::normalize_fhnet_window(x, start, window);
    fecg::FhnetOutput base, dropped;
    model->run(nw.x, base);
    std::vector<double> fecg(4), rpeak(4);
    for (int k = 0; k < 4; ++k) {
      fecg::LeadMatrix others(3, window);
      std::vector<int> keep;
      for (int j = 0; j < 4; ++j)
        if (j != k) keep.push_back(j);
      for (int r = 0; r < 3; ++r) others.row(r) = nw.x.row(keep[static_cast<std::size_t>(r)]);
      model->run(others, dropped);
      double sq = 0;
      for (int r = 0; r < 3; ++r) sq += (dropped.fecg.row(r) - base.fecg.row(keep[static_cast<std::size_t>(r)])).cast<double>().squaredNorm();
      fecg[static_cast<std::size_t>(k)] = sq / (3.0 * window);
      rpeak[static_cast<std::size_t>(k)] = (dropped.rpeak_prob - base.rpeak_prob).cast<double>().cwiseAbs().mean();
      CHECK(e.occlusion_fecg_change[static_cast<std::size_t>(k)] == doctest::Approx(fecg[static_cast<std::size_t>(k)]).epsilon(1e-3));
      CHECK(e.occlusion_rpeak_change[static_cast<std::size_t>(k)] == doctest::Approx(rpeak[static_cast<std::size_t>(k)]).epsilon(1e-3));
    }
    // The lead with the largest contribution is the one whose removal moves the outputs most
    // (both changes as shares over the leads, averaged as explain.h documents).
    const double sum_f = std::accumulate(fecg.begin(), fecg.end(), 0.0), sum_r = std::accumulate(rpeak.begin(), rpeak.end(), 0.0);
    const auto top = std::max_element(e.lead_occlusion.begin(), e.lead_occlusion.end()) - e.lead_occlusion.begin();
    for (int k = 0; k < 4; ++k) {
      const double share = 0.5 * (fecg[static_cast<std::size_t>(k)] / sum_f + rpeak[static_cast<std::size_t>(k)] / sum_r);
      CHECK(e.lead_occlusion[static_cast<std::size_t>(k)] == doctest::Approx(share).epsilon(1e-3));
      CHECK(share <= 0.5 * (fecg[static_cast<std::size_t>(top)] / sum_f + rpeak[static_cast<std::size_t>(top)] / sum_r) + 1e-9);
    }
  }

  SUBCASE("whole record: dropping the top lead moves the stage's output more than dropping the bottom one") {
    const fecg::Explanation e = fecg::explain_record(x, 250.0, *model, {.lead_occlusion = true});
    REQUIRE(e.lead_occlusion.rows() == e.n_windows());
    for (int w = 0; w < e.n_windows(); ++w) CHECK(e.lead_occlusion.row(w).sum() == doctest::Approx(1.0).epsilon(1e-5));
    // Rank the leads by their summed raw changes over the windows, and check the ranking on what
    // the FHNet stage (windows, normalisation, blending, µV) actually outputs without them.
    Eigen::VectorXd mean_rpeak = e.occlusion_rpeak_change.cast<double>().colwise().mean().transpose();
    Eigen::Index top = 0, bottom = 0;
    mean_rpeak.maxCoeff(&top);
    mean_rpeak.minCoeff(&bottom);
    REQUIRE(top != bottom);
    const fecg::FhnetExtraction all = fecg::extract_fhnet(x, 250.0, *model);
    auto rpeak_change_without = [&](Eigen::Index lead) {
      fecg::LeadMatrix others(3, x.cols());
      for (int j = 0, r = 0; j < 4; ++j)
        if (j != lead) others.row(r++) = x.row(j);
      const fecg::FhnetExtraction f = fecg::extract_fhnet(others, 250.0, *model);
      return (f.rpeak_prob - all.rpeak_prob).cast<double>().cwiseAbs().mean();
    };
    const double when_top = rpeak_change_without(top), when_bottom = rpeak_change_without(bottom);
    MESSAGE("R-peak probability change over the record: without lead " << top << " " << when_top << ", without lead "
                                                                        << bottom << " " << when_bottom);
    CHECK(when_top > when_bottom);
    // The windows' mean changes are a faithful estimate of the record's (blending only averages).
    CHECK(when_top == doctest::Approx(mean_rpeak(top)).epsilon(0.25));
  }
}

TEST_CASE("explain: contributions permute with the leads") {
  auto model = fecg_test::trained_model();
  const fecg::LeadMatrix x = preprocessed(sim(4, 12.0, 73));
  const std::vector<int> perm = {2, 0, 3, 1};  // lead j of the permuted recording is lead perm[j]
  fecg::LeadMatrix xp(4, x.cols());
  for (int j = 0; j < 4; ++j) xp.row(j) = x.row(perm[static_cast<std::size_t>(j)]);
  const fecg::ExplainParams all{.lead_attention = true, .lead_occlusion = true, .saliency = true};
  for (const std::int64_t start : {std::int64_t{0}, std::int64_t{1500}}) {
    CAPTURE(start);
    const fecg::WindowExplanation a = fecg::explain_window(x, start, *model, all);
    const fecg::WindowExplanation b = fecg::explain_window(xp, start, *model, all);
    for (int j = 0; j < 4; ++j) {
      const auto p = static_cast<std::size_t>(perm[static_cast<std::size_t>(j)]);
      CHECK(b.lead_attention[static_cast<std::size_t>(j)] == doctest::Approx(a.lead_attention[p]).epsilon(1e-4));
      CHECK(b.lead_occlusion[static_cast<std::size_t>(j)] == doctest::Approx(a.lead_occlusion[p]).epsilon(1e-3));
    }
    // The saliency occludes every lead at once: it does not depend on the lead order.
    double worst = 0;
    for (std::size_t i = 0; i < a.saliency.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(a.saliency[i] - b.saliency[i])));
    CHECK(worst < 1e-3);
  }
}

TEST_CASE("explain: one lead, more than 8 leads, bad input") {
  auto model = fecg_test::trained_model();
  SUBCASE("one lead: it contributes everything") {
    const fecg::LeadMatrix x = preprocessed(sim(1, 8.0, 5));
    const fecg::WindowExplanation e =
        fecg::explain_window(x, 0, *model, {.lead_attention = true, .lead_occlusion = true});
    CHECK(e.lead_attention == std::vector<float>{1.0f});
    CHECK(e.lead_occlusion == std::vector<float>{1.0f});
    CHECK(e.occlusion_fecg_change == std::vector<float>{0.0f});
  }
  SUBCASE("10 leads in two groups: shares over all leads still sum to 1") {
    const fecg::LeadMatrix x = preprocessed(sim(10, 8.0, 6));
    const fecg::WindowExplanation e =
        fecg::explain_window(x, 0, *model, {.lead_attention = true, .lead_occlusion = true, .saliency = true, .saliency_segment = 64});
    REQUIRE(e.lead_attention.size() == 10);
    REQUIRE(e.lead_occlusion.size() == 10);
    CHECK(std::accumulate(e.lead_attention.begin(), e.lead_attention.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(std::accumulate(e.lead_occlusion.begin(), e.lead_occlusion.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(e.segment_fecg_change.size() == 16);
    for (const float v : e.occlusion_fecg_change) CHECK(v > 0.0f);  // every lead's removal moved something
  }
  SUBCASE("errors name the function and what was expected") {
    const fecg::LeadMatrix x = preprocessed(sim(3, 8.0, 7));
    CHECK_THROWS_WITH_AS(fecg::explain_window(x, x.cols(), *model), doctest::Contains("explain_window: start"), fecg::Error);
    CHECK_THROWS_WITH_AS(fecg::explain_window(x, 0, *model, {.saliency = true, .saliency_segment = 0}),
                         doctest::Contains("saliency_segment must be in 1..1024"), fecg::Error);
    CHECK_THROWS_WITH_AS(fecg::explain_record(x, 500.0, *model, {}), doctest::Contains("the model expects 250"), fecg::Error);
    fecg::FhnetCapture capture;
    CHECK_THROWS_WITH_AS(fecg::explain_record(x, 250.0, capture, {.saliency = true}), doctest::Contains("FhnetReplay"),
                         fecg::Error);
    fecg::LeadMatrix bad = x;
    bad(1, 100) = std::nanf("");
    CHECK_THROWS_AS(fecg::explain_window(bad, 0, *model), fecg::Error);
  }
}

TEST_CASE("explain: the pipeline stage, the JSON report and the saliency CSV") {
  auto model = fecg_test::trained_model();
  const fecg::SynthRecording s = sim(3, 20.0, 91);
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model = model;
  params.explain.lead_occlusion = true;
  params.explain.saliency = true;
  std::vector<std::string> stages;
  const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params,
                                                    [&](double, const std::string& stage) {
                                                      stages.push_back(stage);
                                                      return true;
                                                    });
  CHECK(std::find(stages.begin(), stages.end(), "explain") != stages.end());
  const fecg::Explanation& e = r.explanation;
  REQUIRE(e.n_windows() == 7);  // 5000 samples at 250 Hz: starts 0, 768, ..., 3840 and 3976
  CHECK(e.fs_hz == 250.0);
  CHECK(e.lead_attention.rows() == 7);
  CHECK(e.lead_occlusion.rows() == 7);
  CHECK(e.window_saliency.rows() == 7);
  for (int w = 0; w < 7; ++w) CHECK(e.window_saliency.row(w).mean() == doctest::Approx(1.0).epsilon(1e-4));
  REQUIRE(e.saliency.size() == r.preprocessed.cols());
  CHECK(e.saliency.minCoeff() >= 0.0f);
  REQUIRE(e.saliency_window.size() == static_cast<std::size_t>(e.saliency.size()));
  CHECK(e.saliency_window.front() == 0);
  CHECK(e.saliency_window.back() == 6);
  CHECK(r.timings.explain_ms > 0);

  fecg::ReportContext context;
  context.record_name = "sim";
  const std::string json = fecg::summary_json(r, context);
  CHECK(json.find("\"explain\":{\"fs_hz\":250,\"window\":1024,\"hop\":768") != std::string::npos);
  CHECK(json.find("\"occlusion_rpeak_change\":[") != std::string::npos);
  const std::string csv = fecg::saliency_csv(r);
  CHECK(csv.rfind("time_s,saliency,window\n0.000,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == r.preprocessed.cols() + 1);

  // Outputs replayed from elsewhere cannot be re-run: the stage says so instead of guessing.
  params.fhnet_model = std::make_shared<fecg::FhnetCapture>();
  CHECK_THROWS_WITH_AS(fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params),
                       doctest::Contains("explain_record"), fecg::Error);
  // The classical methods have no explanation.
  params.method = fecg::Method::ts_ica;
  const fecg::PipelineResult classical = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params);
  CHECK(classical.explanation.n_windows() == 0);
  CHECK(fecg::summary_json(classical, context).find("\"explain\":{") == std::string::npos);
  CHECK_THROWS_AS(fecg::saliency_csv(classical), fecg::Error);
}
