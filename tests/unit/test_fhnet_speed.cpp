// What the speed work on FHNet must not change: the stage's engines on several threads give
// bit-identical results to one thread (pipeline/fhnet_stage.h FhnetStageParams::threads), a clone
// of the model (FhnetModel::clone_for_thread) computes exactly what the model does, and engines
// that cannot be cloned still see every window once, in order. The model is whatever is in
// models/ (these tests check plumbing, never extraction quality).
#include <doctest/doctest.h>

#include "fhnet_test_support.h"

#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

fecg::FhnetModel load_model() { return fecg::load_fhnet_model_dir(std::string(FECG_SOURCE_DIR) + "/models"); }

// Leads × n of ECG-like content at 250 Hz (µV): a seeded simulation, preprocessed.
using fecg_test::preprocessed_sim;

}  // namespace

TEST_CASE("fhnet speed: a clone shares the network and computes bit-identical outputs") {
  fecg::FhnetModel model = load_model();
  std::unique_ptr<fecg::FhnetEngine> clone = model.clone_for_thread();
  REQUIRE(clone != nullptr);
  CHECK(clone->window() == model.window());
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(3) * 5 * model.window());
  for (float& v : x) v = normal(rng);
  fecg::FhnetOutput a, b;
  model.run_batch(x.data(), 3, 5, a);
  clone->run_batch(x.data(), 3, 5, b);
  CHECK(a.fecg == b.fecg);
  CHECK(a.rpeak_prob == b.rpeak_prob);
  CHECK(a.lead_attention == b.lead_attention);
  // Captures and replays must see the windows in order: they refuse to be cloned.
  CHECK(fecg::FhnetCapture().clone_for_thread() == nullptr);
}

TEST_CASE("fhnet speed: the stage on 2 and 3 threads is bit-identical to 1 thread") {
  fecg::FhnetModel model = load_model();
  // 70 s at 250 Hz = 17500 samples: 34 windows of 1024 at hop 512 (not the default, chosen for
  // the count), so 5 batches of 8 — uneven rounds on 2 and on 3 threads, and a last batch that
  // is not full.
  const fecg::LeadMatrix x = preprocessed_sim(4, 70.0, 21);
  fecg::FhnetStageParams one;
  one.threads = 1;
  one.hop = 512;
  const fecg::FhnetExtraction ref = fecg::extract_fhnet(x, 250.0, model, one);
  REQUIRE(ref.n_windows == 34);
  for (int threads : {2, 3}) {
    CAPTURE(threads);
    fecg::FhnetStageParams p;
    p.threads = threads;
    p.hop = 512;
    const fecg::FhnetExtraction got = fecg::extract_fhnet(x, 250.0, model, p);
    CHECK(got.n_windows == ref.n_windows);
    CHECK(got.fecg_uv == ref.fecg_uv);
    CHECK(got.rpeak_prob == ref.rpeak_prob);
  }
  // More than 8 leads: two lead groups, each through the threads.
  const fecg::LeadMatrix x10 = preprocessed_sim(10, 30.0, 22);
  fecg::FhnetStageParams one_default_hop;
  one_default_hop.threads = 1;
  const fecg::FhnetExtraction ref10 = fecg::extract_fhnet(x10, 250.0, model, one_default_hop);
  const fecg::FhnetExtraction got10 = fecg::extract_fhnet(x10, 250.0, model);
  CHECK(got10.fecg_uv == ref10.fecg_uv);
  CHECK(got10.rpeak_prob == ref10.rpeak_prob);
}

TEST_CASE("fhnet speed: an engine that cannot be cloned runs every window once, in order, on 2 threads") {
  const fecg::LeadMatrix x = preprocessed_sim(3, 40.0, 23);
  fecg::FhnetCapture capture;
  fecg::FhnetStageParams p;
  p.threads = 2;
  const fecg::FhnetExtraction got = fecg::extract_fhnet(x, 250.0, capture, p);
  const fecg::FhnetWindows& w = capture.windows();
  REQUIRE(w.n_windows() == static_cast<std::size_t>(got.n_windows));
  const std::vector<std::int64_t> starts = fecg::fhnet_window_starts(x.cols(), 1024, p.hop);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    CAPTURE(i);
    const fecg::NormalizedWindow nw = fecg::normalize_fhnet_window(x, starts[i], 1024);
    const Eigen::Map<const fecg::LeadMatrix> seen(w.x.data() + w.offset(i), 3, 1024);
    CHECK(seen == nw.x);
  }
}
