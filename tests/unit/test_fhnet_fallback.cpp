// FHNet's fallback (PipelineParams::fhnet_fallback): when the network's fetal beats follow the
// maternal ones, the pipeline redoes the extraction with TS-ICA and says so. A network whose
// R-peak head fires on the maternal QRS (as the trained one does on some real records) must
// trigger it on a simulated recording; the trained model must not trigger it
// there; and on Challenge 2013 a09 (when ../shared/data is present), where the trained model
// locks onto the mother's heart, the result must be TS-ICA's.
#include <doctest/doctest.h>

#include "detect/quality.h"
#include "eval/metrics.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "model/model_files.h"
#include "pipeline/pipeline.h"
#include "fhnet_test_support.h"
#include "shared_data.h"
#include "synth/simulator.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

namespace {

// A network that failed the way the trained one does on some real records: it passes its input
// through as the "fetal ECG" and its R-peak head fires on the strongest QRS complexes, which are
// the mother's (probability = (energy across leads / its window maximum)^2).
class MaternalPassingEngine final : public fecg::FhnetEngine {
 public:
  int window() const override { return 1024; }
  double sampling_rate_hz() const override { return 250.0; }
  void run_batch(const float* x, int batch, int leads, fecg::FhnetOutput& out) override {
    out.batch = batch;
    out.leads = leads;
    out.layers = 0;
    out.tokens = 0;
    out.fecg = Eigen::Map<const fecg::LeadMatrix>(x, static_cast<Eigen::Index>(batch) * leads, window());
    out.rpeak_prob.resize(batch, window());
    for (int b = 0; b < batch; ++b) {
      const auto windows = out.fecg.middleRows(static_cast<Eigen::Index>(b) * leads, leads);
      const Eigen::ArrayXf energy = windows.array().square().colwise().sum().transpose();
      out.rpeak_prob.row(b) = (energy / std::max(energy.maxCoeff(), 1e-12f)).square().matrix().transpose();
    }
    out.lead_attention.clear();
  }
};

// 60 s, 4 leads. `maternal_bpm` inside the fetal detector's 90–240 bpm range (as on Challenge
// a09, ~96 bpm) lets a maternal beat train pass for a fetal one.
fecg::SynthRecording sim(std::uint64_t seed, std::optional<double> maternal_bpm = std::nullopt) {
  fecg::SynthParams sp;
  sp.duration_s = 60.0;
  sp.n_leads = 4;
  sp.seed = seed;
  sp.maternal_bpm = maternal_bpm;
  return fecg::simulate(sp);
}

bool has_warning(const fecg::PipelineResult& r, const std::string& text) {
  for (const std::string& w : r.quality.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

fecg::PipelineParams fhnet_params(std::shared_ptr<fecg::FhnetEngine> engine) {
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model = std::move(engine);
  return params;
}

}  // namespace

TEST_CASE("fhnet fallback: a network that finds the maternal beats is replaced by TS-ICA") {
  const fecg::SynthRecording s = sim(31, 100.0);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(s.mixture);

  fecg::PipelineParams params = fhnet_params(std::make_shared<MaternalPassingEngine>());
  params.fhnet_fallback = false;
  const fecg::PipelineResult kept = fecg::run_pipeline(s.mixture, roles, params);
  CHECK(kept.method == fecg::Method::fhnet);
  // Its "fetal" beats are the mother's: the lock measure sees it, and so does the quality report.
  const fecg::MaternalLock lock = fecg::maternal_lock(kept.fetal_beats, kept.maternal_beats, kept.fs_hz,
                                                      kept.fecg_uv.cols());
  MESSAGE("maternal-passing network: maternal lock excess " << lock.excess << ", RR ratio " << lock.rate_ratio << ", factor "
                                                << lock.factor);
  CHECK(lock.factor < 0.5);
  CHECK(has_warning(kept, "look like maternal residue"));
  CHECK(fecg::score_beats(s.fetal_peaks, kept.fetal_beats, s.mixture.fs_hz).f1 < 0.5);

  params.fhnet_fallback = true;
  const fecg::PipelineResult fell_back = fecg::run_pipeline(s.mixture, roles, params);
  CHECK(fell_back.method == fecg::Method::ts_ica);
  CHECK(has_warning(fell_back, "this result is TS-ICA's"));
  CHECK_FALSE(has_warning(fell_back, "look like maternal residue"));
  CHECK(fell_back.rpeak_prob.size() == 0);
  CHECK(fell_back.explanation.window_starts.empty());
  const double f1 = fecg::score_beats(s.fetal_peaks, fell_back.fetal_beats, s.mixture.fs_hz).f1;
  MESSAGE("after the fallback: fetal F1 " << f1);
  CHECK(f1 >= 0.95);

  // The same beats as asking for TS-ICA in the first place.
  fecg::PipelineParams ts_ica;
  ts_ica.method = fecg::Method::ts_ica;
  const fecg::PipelineResult direct = fecg::run_pipeline(s.mixture, roles, ts_ica);
  CHECK(direct.fetal_beats == fell_back.fetal_beats);
}

TEST_CASE("fhnet fallback: the trained model keeps its own result on simulated recordings") {
  auto model = fecg_test::trained_model();
  for (const std::uint64_t seed : {41, 42}) {
    CAPTURE(seed);
    const fecg::SynthRecording s = sim(seed);
    const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), fhnet_params(model));
    CHECK(r.method == fecg::Method::fhnet);
    CHECK_FALSE(has_warning(r, "TS-ICA's"));
    CHECK(fecg::score_beats(s.fetal_peaks, r.fetal_beats, s.mixture.fs_hz).f1 >= 0.95);
  }
}

TEST_CASE("fhnet fallback: on Challenge 2013 a09 the trained model follows the mother; TS-ICA takes over") {
  using fecg_test::have;
  using fecg_test::kData;
  if (!have("challenge2013/a09.hea")) return;
  auto model = fecg_test::trained_model();
  const fecg::Recording r = fecg::read_record(kData + "/challenge2013/a09.hea");
  const fecg::BeatIndices reference =
      fecg::beat_samples(fecg::read_wfdb_annotations(kData + "/challenge2013/a09.fqrs").annotations);
  fecg::PipelineParams params = fhnet_params(model);

  params.fhnet_fallback = false;
  const fecg::PipelineResult network = fecg::run_pipeline(r, fecg::guess_lead_roles(r), params);
  const double f1_network = fecg::score_beats(reference, network.fetal_beats, r.fs_hz).f1;
  params.fhnet_fallback = true;
  const fecg::PipelineResult result = fecg::run_pipeline(r, fecg::guess_lead_roles(r), params);
  const double f1 = fecg::score_beats(reference, result.fetal_beats, r.fs_hz).f1;
  MESSAGE("a09: FHNet alone F1 " << f1_network << ", with the fallback F1 " << f1);
  CHECK(network.method == fecg::Method::fhnet);
  CHECK(has_warning(network, "look like maternal residue"));
  CHECK(result.method == fecg::Method::ts_ica);
  CHECK(has_warning(result, "this result is TS-ICA's"));
  CHECK(f1 >= 0.9);
  CHECK(f1 > f1_network + 0.5);
}
