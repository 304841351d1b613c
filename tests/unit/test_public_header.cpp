// The public header's usage example (include/fecg/fecg.h), compiled and run as a library user
// would: only <fecg/fecg.h> is included (besides the simulator that stands in for a file).
#include <doctest/doctest.h>

#include <fecg/fecg.h>

#include "synth/simulator.h"

#include <filesystem>
#include <unistd.h>

TEST_CASE("public header: read, load the model, analyse, write, as its example says") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_public_" + std::to_string(getpid()));
  fs::create_directories(dir);
  fecg::SynthParams sp;
  sp.duration_s = 30;
  sp.seed = 5;
  sp.snr_mn_db = 9;
  fecg::write_csv((dir / "rec.csv").string(), fecg::simulate(sp).mixture);

  const fecg::Recording rec = fecg::read_record((dir / "rec.csv").string());
  const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(FECG_SOURCE_DIR "/models"));
  const fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params);
  REQUIRE(out.fhr.mean_bpm.has_value());
  CHECK(*out.fhr.mean_bpm > 50.0);
  fecg::ReportContext ctx{.record_name = "rec"};
  const std::string json = fecg::summary_json(out, ctx);
  CHECK(json.find("\"reliable\":true") != std::string::npos);
  fecg::write_wfdb_annotations((dir / "rec.fqrs").string(), fecg::beat_annotations(out.fetal_beats));
  CHECK(fecg::beat_samples(fecg::read_wfdb_annotations((dir / "rec.fqrs").string()).annotations) == out.fetal_beats);
  fs::remove_all(dir);
}

TEST_CASE("default method: one rule, read from the card's training.trained") {
  CHECK(fecg::default_method(true) == fecg::Method::fhnet);
  CHECK(fecg::default_method(false) == fecg::Method::ts_ica);
  CHECK(fecg::fhnet_card_trained(R"({"training": {"trained": true, "recipe": "Untrained? no"}})"));
  CHECK_FALSE(fecg::fhnet_card_trained(R"({"training": {"trained": false, "recipe": "train.py ..."}})"));
  CHECK_FALSE(fecg::fhnet_card_trained(R"({"training": {"recipe": "train.py ..."}})"));  // no field: not trained
  CHECK_THROWS_AS(fecg::fhnet_card_trained(R"({"training": {"trained": "yes"}})"), fecg::Error);
  CHECK_THROWS_AS(fecg::fhnet_card_trained("{not json"), fecg::Error);
  // The shipped card says it is trained, and the model loaded from it agrees.
  const fecg::FhnetModel model = fecg::load_fhnet_model_dir(FECG_SOURCE_DIR "/models");
  CHECK(model.trained());
}
