// The FHNet pipeline stage (pipeline/fhnet_stage.h) and `--method fhnet` end to end, with the
// model in models/ (whatever it is: the random-init export until a trained one lands; these
// tests check plumbing, scaling and blending, never extraction quality).
#include <doctest/doctest.h>

#include "fhnet_test_support.h"

#include "core/error.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

std::shared_ptr<fecg::FhnetModel> load_model() {
  return std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(std::string(FECG_SOURCE_DIR) + "/models"));
}

// Leads × n of ECG-like content at 250 Hz (µV): a seeded simulation, preprocessed.
using fecg_test::preprocessed_sim;

}  // namespace

TEST_CASE("fhnet stage: one window equals the engine on the normalised window, × scale") {
  auto model = load_model();
  const fecg::LeadMatrix x = preprocessed_sim(3, 1024 / 250.0, 5);
  REQUIRE(x.cols() == 1024);
  const fecg::FhnetExtraction got = fecg::extract_fhnet(x, 250.0, *model);
  CHECK(got.n_windows == 1);
  const fecg::NormalizedWindow w = fecg::normalize_fhnet_window(x, 0, 1024);
  fecg::FhnetOutput out;
  model->run(w.x, out);
  double worst = 0, worst_p = 0, peak = 0;
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 1024; ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(got.fecg_uv(k, i) - out.fecg(k, i) * w.scaling.scale_uv(k))));
      peak = std::max(peak, static_cast<double>(std::abs(got.fecg_uv(k, i))));
    }
  for (int i = 0; i < 1024; ++i) worst_p = std::max(worst_p, static_cast<double>(std::abs(got.rpeak_prob(i) - out.rpeak_prob(0, i))));
  CHECK(peak > 0);
  CHECK(worst <= 1e-5 * peak);   // the blend of one window with itself is the window (float rounding)
  CHECK(worst_p <= 1e-6);
}

TEST_CASE("fhnet stage: lengths kept, output scales with the input (µV), blend continuous") {
  auto model = load_model();
  const fecg::LeadMatrix x = preprocessed_sim(4, 12.0, 6);  // 3000 samples: 4 windows (0, 768, 1536, 1976)
  const fecg::FhnetExtraction a = fecg::extract_fhnet(x, 250.0, *model);
  REQUIRE(a.fecg_uv.rows() == 4);
  REQUIRE(a.fecg_uv.cols() == 3000);
  REQUIRE(a.rpeak_prob.size() == 3000);
  CHECK(a.n_windows == 4);
  CHECK(a.lead_groups.size() == 1);
  CHECK(a.fecg_uv.allFinite());
  CHECK(a.rpeak_prob.minCoeff() >= 0.0f);
  CHECK(a.rpeak_prob.maxCoeff() <= 1.0f);

  // Per-window normalisation makes the network see the same input whatever the amplitude, and
  // de-normalisation puts the amplitude back: 10× the input gives 10× the output.
  const fecg::FhnetExtraction b = fecg::extract_fhnet(x * 10.0f, 250.0, *model);
  const double rel = (b.fecg_uv - 10.0f * a.fecg_uv).cwiseAbs().maxCoeff() / (10.0 * a.fecg_uv.cwiseAbs().maxCoeff());
  CHECK(rel < 1e-4);
  CHECK((b.rpeak_prob - a.rpeak_prob).cwiseAbs().maxCoeff() < 1e-4);

  // No step at window borders (each window's first sample and the one after its last): the
  // sample-to-sample change there is no larger than the output's own largest change away from them.
  std::vector<std::int64_t> borders;
  for (const std::int64_t start : fecg::fhnet_window_starts(3000, 1024, fecg::FhnetStageParams{}.hop)) {
    borders.push_back(start);
    borders.push_back(start + 1024);
  }
  for (int k = 0; k < 4; ++k) {
    const auto row = a.fecg_uv.row(k);
    double inner = 0, border = 0;
    for (int i = 1; i < 3000; ++i) {
      const double d = std::abs(row(i) - row(i - 1));
      const bool at_border = std::find(borders.begin(), borders.end(), i) != borders.end();
      (at_border ? border : inner) = std::max(at_border ? border : inner, d);
    }
    CHECK(border <= inner);
  }
}

TEST_CASE("fhnet stage: 5 s and 8 leads run; more than 8 leads are split into groups") {
  auto model = load_model();
  const fecg::LeadMatrix x8 = preprocessed_sim(8, 5.0, 7);
  const fecg::FhnetExtraction e8 = fecg::extract_fhnet(x8, 250.0, *model);
  CHECK(e8.fecg_uv.rows() == 8);
  CHECK(e8.fecg_uv.cols() == 1250);
  CHECK(e8.n_windows == 2);

  const fecg::LeadMatrix x10 = preprocessed_sim(10, 5.0, 8);
  const fecg::FhnetExtraction e10 = fecg::extract_fhnet(x10, 250.0, *model);
  REQUIRE(e10.lead_groups.size() == 2);
  CHECK(e10.lead_groups[0] == std::vector<int>{0, 2, 4, 6, 8});
  CHECK(e10.lead_groups[1] == std::vector<int>{1, 3, 5, 7, 9});
  CHECK(e10.fecg_uv.rows() == 10);
  CHECK(e10.fecg_uv.allFinite());
  // Each group's leads are what the group alone gives.
  fecg::LeadMatrix odd(5, x10.cols());
  for (int j = 0; j < 5; ++j) odd.row(j) = x10.row(2 * j + 1);
  const fecg::FhnetExtraction eo = fecg::extract_fhnet(odd, 250.0, *model);
  for (int j = 0; j < 5; ++j)
    CHECK((e10.fecg_uv.row(2 * j + 1) - eo.fecg_uv.row(j)).cwiseAbs().maxCoeff() <=
          1e-5 * eo.fecg_uv.cwiseAbs().maxCoeff());

  CHECK_THROWS_WITH_AS(fecg::extract_fhnet(x8, 500.0, *model), doctest::Contains("250"), fecg::Error);
  CHECK_THROWS_AS(fecg::extract_fhnet(fecg::LeadMatrix(0, 100), 250.0, *model), fecg::Error);
  fecg::LeadMatrix bad = x8;
  bad(2, 100) = NAN;
  CHECK_THROWS_AS(fecg::extract_fhnet(bad, 250.0, *model), fecg::Error);
}

TEST_CASE("pipeline: --method fhnet end to end at the input rate; a missing model is an error") {
  CHECK(fecg::parse_method("fhnet") == fecg::Method::fhnet);
  CHECK(fecg::method_name(fecg::Method::fhnet) == "fhnet");
  fecg::SynthParams sp;
  sp.duration_s = 8.0;
  sp.fs_hz = 1000.0;
  sp.n_leads = 4;
  sp.seed = 9;
  const fecg::SynthRecording sim = fecg::simulate(sp);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(sim.mixture);
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  CHECK_THROWS_WITH_AS(fecg::run_pipeline(sim.mixture, roles, params), doctest::Contains("needs a loaded model"),
                       fecg::Error);
  params.fhnet_model = load_model();
  const fecg::PipelineResult r = fecg::run_pipeline(sim.mixture, roles, params);
  CHECK(r.method == fecg::Method::fhnet);
  CHECK(r.fecg_uv.rows() == 4);
  CHECK(r.fecg_uv.cols() == 8000);
  CHECK(r.fecg_uv.allFinite());
  CHECK(r.rpeak_prob.size() == 2000);
  for (const auto b : r.fetal_beats) {
    CHECK(b >= 0);
    CHECK(b < 8000);
  }
  params.analysis_fs_hz = 500.0;
  CHECK_THROWS_WITH_AS(fecg::run_pipeline(sim.mixture, roles, params), doctest::Contains("250"), fecg::Error);
}

TEST_CASE("cli: extract --method fhnet writes the outputs; --model DIR missing is one clear error") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_fhnet_cli_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string cli = FECG_CLI_PATH;
  REQUIRE(std::system((cli + " synth --seconds 8 --seed 4 --nstdb none --out " + (dir / "r").string() + " >/dev/null").c_str()) == 0);
  const std::string extract = cli + " extract " + (dir / "r").string() + " --method fhnet --quiet --out " + (dir / "o").string();
  REQUIRE(std::system((extract + " --model " + FECG_SOURCE_DIR + "/models").c_str()) == 0);
  for (const char* f : {"r.fqrs", "r.mqrs", "r_fecg.csv", "r_fhr.csv", "r.json"}) CHECK_MESSAGE(fs::exists(dir / "o" / f), f);
  std::ifstream js(dir / "o" / "r.json");
  const std::string summary((std::istreambuf_iterator<char>(js)), std::istreambuf_iterator<char>());
  CHECK(summary.find("\"method\":\"fhnet\"") != std::string::npos);
  std::ifstream cf(std::string(FECG_SOURCE_DIR) + "/models/fhnet.json");
  const std::string card((std::istreambuf_iterator<char>(cf)), std::istreambuf_iterator<char>());
  if (card.find("\"recipe\": \"untrained") != std::string::npos)
    CHECK(summary.find("untrained") != std::string::npos);  // the warning reaches the JSON summary
  CHECK(std::system((extract + " --model " + (dir / "nowhere").string() + " 2>/dev/null").c_str()) != 0);
  fs::remove_all(dir);
}
