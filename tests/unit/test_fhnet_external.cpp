// A network run elsewhere (pipeline/fhnet_external.h): the windows captured from the pipeline, run
// through our engine outside the pipeline, and replayed, must give exactly the result of running
// the engine inside the pipeline; mismatched outputs are refused. Also the CLI round trip
// `fecg windows` → (network) → `fecg extract --engine-outputs`, and `fecg windows --ref`, the
// training data of annotated recordings.
#include <doctest/doctest.h>

#include "cli_test_support.h"
#include "fhnet_test_support.h"

#include "core/error.h"
#include "core/json_parse.h"
#include "io/npy_file.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <cmath>
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

TEST_CASE("cli: fecg windows --ref writes the R-peak target at the reference beats, for any --hop") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_windows_ref_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string rec = (dir / "r").string();
  REQUIRE(fecg_test::run_cli("synth --seconds 15 --seed 12 --nstdb none --out " + rec).exit_code == 0);
  const fecg::BeatIndices truth = fecg::beat_samples(fecg::read_wfdb_annotations(rec + ".fqrs").annotations);
  REQUIRE(truth.size() > 20);

  const fecg_test::CliRun run = fecg_test::run_cli("windows " + rec + " --quiet --ref " + rec + ".fqrs --hop 256 --out " +
                                                   (dir / "w").string());
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const fecg::NpyFloats x = fecg::read_npy_f32((dir / "w" / "x.npy").string());
  const fecg::NpyFloats target = fecg::read_npy_f32((dir / "w" / "rpeak.npy").string());
  const std::vector<std::uint8_t> json_bytes = fecg::read_file_bytes((dir / "w" / "windows.json").string());
  const fecg::JsonValue meta = fecg::parse_json(std::string(json_bytes.begin(), json_bytes.end()), "windows.json");
  // 15 s at 250 Hz = 3750 samples: windows at 0, 256, ..., 2560 and a last one at 3750 - 1024.
  const std::vector<std::int64_t> starts = fecg::fhnet_window_starts(3750, 1024, 256);
  REQUIRE(x.shape == std::vector<std::int64_t>{static_cast<std::int64_t>(starts.size()), 4, 1024});
  REQUIRE(target.shape == std::vector<std::int64_t>{static_cast<std::int64_t>(starts.size()), 1024});
  CHECK(meta.at("hop").as_number() == 256);
  CHECK(meta.at("reference_beats").as_number() == static_cast<double>(truth.size()));
  const auto& meta_starts = meta.at("start").as_array();
  REQUIRE(meta_starts.size() == starts.size());
  for (std::size_t w = 0; w < starts.size(); ++w) CHECK(meta_starts[w].as_number() == static_cast<double>(starts[w]));

  // Every beat (1 kHz → 250 Hz) is a peak of height 1 in each window holding it; halfway between
  // two beats the target is 0.
  for (std::size_t w = 0; w < starts.size(); ++w) {
    const float* t = target.values.data() + w * 1024;
    for (std::size_t b = 0; b < truth.size(); ++b) {
      const std::int64_t i = static_cast<std::int64_t>(std::llround(truth[b] * 0.25)) - starts[w];
      if (i < 0 || i >= 1024) continue;
      CHECK(t[i] == doctest::Approx(1.0f));
      if (b + 1 < truth.size()) {
        const std::int64_t mid = static_cast<std::int64_t>(std::llround((truth[b] + truth[b + 1]) * 0.125)) - starts[w];
        if (mid < 1024) CHECK(t[mid] < 1e-3f);
      }
    }
  }

  // Bad options are refused with a message and write nothing.
  const fecg_test::CliRun bad_hop = fecg_test::run_cli("windows " + rec + " --hop 2000 --out " + (dir / "h").string());
  CHECK(bad_hop.exit_code != 0);
  CHECK(bad_hop.output.find("--hop must be a whole number of samples in 1..1024") != std::string::npos);
  const fecg_test::CliRun no_ref = fecg_test::run_cli("windows " + rec + " --ref " + (dir / "none.fqrs").string() +
                                                      " --out " + (dir / "n").string());
  CHECK(no_ref.exit_code != 0);
  CHECK_FALSE(fs::exists(dir / "h"));
  CHECK_FALSE(fs::exists(dir / "n"));
  fs::remove_all(dir);
}
