// A network run elsewhere (pipeline/fhnet_external.h): the windows captured from the pipeline, run
// through our engine outside the pipeline, and replayed, must give exactly the result of running
// the engine inside the pipeline; mismatched outputs are refused. Also the CLI round trip
// `fecg windows` → (network) → `fecg extract --engine-outputs`.
#include <doctest/doctest.h>

#include "fhnet_test_support.h"

#include "core/error.h"
#include "io/npy_file.h"
#include "io/record.h"
#include "model/fhnet.h"
#include "model/model_files.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {


using fecg_test::sim;

// Runs `model` on every captured window, one window per call (not the pipeline's batching).
fecg::FhnetWindows run_outside(fecg::FhnetWindows w, fecg::FhnetModel& model) {
  fecg::FhnetOutput out;
  for (std::size_t i = 0; i < w.n_windows(); ++i) {
    model.run_batch(w.x.data() + w.offset(i), 1, w.leads[i], out);
    w.fecg.insert(w.fecg.end(), out.fecg.data(), out.fecg.data() + out.fecg.size());
    w.rpeak_prob.insert(w.rpeak_prob.end(), out.rpeak_prob.data(), out.rpeak_prob.data() + out.rpeak_prob.size());
  }
  return w;
}

}  // namespace

TEST_CASE("fhnet external: capture, run outside, replay == the engine inside the pipeline") {
  for (const int leads : {3, 11}) {  // 11: two lead groups (6 + 5), windows of different lead counts
    CAPTURE(leads);
    const fecg::SynthRecording s = sim(leads, 20.0, 77);
    const fecg::LeadRoles roles = fecg::guess_lead_roles(s.mixture);
    auto model = fecg_test::trained_model();
    fecg::PipelineParams params;
    params.method = fecg::Method::fhnet;
    params.fhnet_model = model;
    const fecg::PipelineResult direct = fecg::run_pipeline(s.mixture, roles, params);

    auto capture = std::make_shared<fecg::FhnetCapture>();
    params.fhnet_model = capture;
    fecg::run_pipeline(s.mixture, roles, params);
    const fecg::FhnetWindows& captured = capture->windows();
    CHECK(captured.n_windows() > 0);
    CHECK((leads <= 8) == (captured.uniform_leads() == leads));

    auto replay = std::make_shared<fecg::FhnetReplay>(run_outside(captured, *model));
    params.fhnet_model = replay;
    const fecg::PipelineResult replayed = fecg::run_pipeline(s.mixture, roles, params);
    CHECK(replay->consumed() == replay->size());
    CHECK(replayed.fetal_beats == direct.fetal_beats);
    CHECK((replayed.fecg_uv - direct.fecg_uv).cwiseAbs().maxCoeff() <= 1e-3f * (1.0f + direct.fecg_uv.cwiseAbs().maxCoeff()));
    CHECK((replayed.rpeak_prob - direct.rpeak_prob).cwiseAbs().maxCoeff() <= 1e-5f);
  }
}

TEST_CASE("fhnet external: outputs of another recording, wrong sizes or logits are refused") {
  const fecg::SynthRecording a = sim(4, 12.0, 5), b = sim(4, 12.0, 6);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(a.mixture);
  auto model = fecg_test::trained_model();
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  auto capture = std::make_shared<fecg::FhnetCapture>();
  params.fhnet_model = capture;
  fecg::run_pipeline(a.mixture, roles, params);
  const fecg::FhnetWindows outputs = run_outside(capture->windows(), *model);

  params.fhnet_model = std::make_shared<fecg::FhnetReplay>(outputs);
  CHECK_THROWS_WITH_AS(fecg::run_pipeline(b.mixture, roles, params), doctest::Contains("differs from the recorded"),
                       fecg::Error);
  fecg::FhnetWindows short_outputs = outputs;
  short_outputs.fecg.pop_back();
  CHECK_THROWS_WITH_AS(fecg::FhnetReplay{short_outputs}, doctest::Contains("fetal ECG outputs hold"), fecg::Error);
  fecg::FhnetWindows logits = outputs;
  logits.rpeak_prob[3] = -2.0f;
  CHECK_THROWS_WITH_AS(fecg::FhnetReplay{logits}, doctest::Contains("not logits"), fecg::Error);
  fecg::FhnetWindows nan = outputs;
  nan.fecg[10] = std::nanf("");
  CHECK_THROWS_WITH_AS(fecg::FhnetReplay{nan}, doctest::Contains("non-finite"), fecg::Error);
}

TEST_CASE("cli: fecg windows, then extract --engine-outputs == extract --method fhnet") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_external_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string cli = FECG_CLI_PATH;
  REQUIRE(std::system((cli + " synth --seconds 15 --seed 12 --nstdb none --out " + (dir / "r").string() + " >/dev/null").c_str()) == 0);
  REQUIRE(std::system((cli + " windows " + (dir / "r").string() + " --quiet --out " + (dir / "w").string()).c_str()) == 0);
  const fecg::NpyFloats x = fecg::read_npy_f32((dir / "w" / "x.npy").string());
  REQUIRE(x.shape.size() == 3);
  CHECK(x.shape[1] == 4);
  CHECK(x.shape[2] == 1024);

  // The "other runtime" is our engine, one window at a time.
  auto model = fecg_test::trained_model();
  fecg::FhnetWindows w;
  w.leads.assign(static_cast<std::size_t>(x.shape[0]), 4);
  w.x = x.values;
  w = run_outside(w, *model);
  fecg::write_npy_f32((dir / "w" / "fecg.npy").string(), x.shape, w.fecg.data());
  fecg::write_npy_f32((dir / "w" / "rpeak_prob.npy").string(), {x.shape[0], 1024}, w.rpeak_prob.data());

  const std::string extract = cli + " extract " + (dir / "r").string() + " --method fhnet --quiet";
  REQUIRE(std::system((extract + " --model " + FECG_SOURCE_DIR + "/models --out " + (dir / "a").string()).c_str()) == 0);
  REQUIRE(std::system((extract + " --engine-outputs " + (dir / "w").string() + " --out " + (dir / "b").string()).c_str()) == 0);
  CHECK(fecg::read_file_bytes((dir / "a" / "r.fqrs").string()) == fecg::read_file_bytes((dir / "b" / "r.fqrs").string()));
  // Outputs made for another record are refused with a message, and nothing is written.
  REQUIRE(std::system((cli + " synth --seconds 15 --seed 13 --nstdb none --out " + (dir / "other").string() + " >/dev/null").c_str()) == 0);
  CHECK(std::system((cli + " extract " + (dir / "other").string() + " --method fhnet --quiet --engine-outputs " +
                     (dir / "w").string() + " --out " + (dir / "c").string() + " 2>/dev/null").c_str()) != 0);
  CHECK_FALSE(fs::exists(dir / "c" / "other.fqrs"));
  CHECK(std::system((cli + " extract " + (dir / "r").string() + " --method ts --engine-outputs " + (dir / "w").string() +
                     " 2>/dev/null").c_str()) != 0);
  fs::remove_all(dir);
}
