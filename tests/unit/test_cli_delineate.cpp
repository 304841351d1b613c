// `fecg delineate`: the CSV contract (columns, one row per beat, empty cells where no mark) on a
// simulated recording's true fetal component, and bad inputs (missing file, unknown lead, an
// annotation file without beats, no --out) answered by one line and a non-zero exit.
#include <doctest/doctest.h>

#include "cli_test_support.h"
#include "io/wfdb.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("fecg_delineate_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("cli: delineate writes one row per beat with the contract's columns") {
  TempDir dir("ok");
  const std::string rec = (dir.path / "sim").string();
  const auto synth = fecg_test::run_cli("synth --out " + rec + " --seconds 20 --seed 3 --rate 1000 --nstdb none");
  REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
  const auto run = fecg_test::run_cli("delineate " + rec + "_fecg --beats " + rec + ".fqrs --out " + (dir.path / "out").string());
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const auto lines = lines_of(dir.path / "out" / "sim_fecg_waves.csv");
  REQUIRE(lines.size() >= 30);
  CHECK(lines[0] == "beat_sample,p_on,p_peak,p_off,qrs_on,qrs_off,t_peak,t_off");
  const auto beats = fecg::beat_samples(fecg::read_wfdb_annotations(rec + ".fqrs").annotations);
  CHECK(lines.size() == beats.size() + 1);
  int with_qrs = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells;
    std::stringstream ss(lines[i]);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    cells.resize(8);  // trailing empty cells
    CHECK(std::stoll(cells[0]) == beats[i - 1]);
    if (!cells[4].empty() && !cells[5].empty()) {
      ++with_qrs;
      CHECK(std::stoll(cells[4]) < beats[i - 1]);
      CHECK(std::stoll(cells[5]) > beats[i - 1]);
      CHECK(std::stoll(cells[5]) - std::stoll(cells[4]) < 120);  // a fetal QRS, ms at 1 kHz
    }
  }
  // The clean fetal component of every lead: QRS marked on (nearly) every beat.
  CHECK(with_qrs >= static_cast<int>(beats.size()) - 2);
  CHECK(run.output.find("QRS on") != std::string::npos);

  // Detected beats when --beats is not given; one lead by name.
  const auto detected = fecg_test::run_cli("delineate " + rec + "_fecg --leads 1 --out " + (dir.path / "det").string());
  CHECK_MESSAGE(detected.exit_code == 0, detected.output);
  CHECK(detected.output.find("detected") != std::string::npos);
}

TEST_CASE("cli: delineate refuses bad inputs with one clear line") {
  TempDir dir("bad");
  const std::string rec = (dir.path / "sim").string();
  REQUIRE(fecg_test::run_cli("synth --out " + rec + " --seconds 10 --seed 4 --nstdb none").exit_code == 0);
  const std::string out = " --out " + (dir.path / "o").string();

  const auto missing = fecg_test::run_cli("delineate " + (dir.path / "nope.edf").string() + out);
  CHECK(missing.exit_code != 0);
  CHECK(missing.output.find("nope.edf") != std::string::npos);

  const auto bad_lead = fecg_test::run_cli("delineate " + rec + " --leads NoSuchLead" + out);
  CHECK(bad_lead.exit_code != 0);
  CHECK(bad_lead.output.find("NoSuchLead") != std::string::npos);

  const auto bad_index = fecg_test::run_cli("delineate " + rec + " --leads 9" + out);
  CHECK(bad_index.exit_code != 0);

  const std::string empty_ann = (dir.path / "empty.qrs").string();
  fecg::write_wfdb_annotations(empty_ann, {});
  const auto empty = fecg_test::run_cli("delineate " + rec + " --beats " + empty_ann + out);
  CHECK(empty.exit_code != 0);
  CHECK(empty.output.find("no beat") != std::string::npos);

  const auto no_ann = fecg_test::run_cli("delineate " + rec + " --beats " + (dir.path / "none.qrs").string() + out);
  CHECK(no_ann.exit_code != 0);

  // A file that is not a beat annotation of this record: the record's own signal file.
  const auto not_beats = fecg_test::run_cli("delineate " + rec + " --beats " + rec + ".dat" + out);
  CHECK(not_beats.exit_code != 0);

  const auto no_out = fecg_test::run_cli("delineate " + rec);
  CHECK(no_out.exit_code != 0);
  CHECK(no_out.output.find("--out") != std::string::npos);

  const auto unknown = fecg_test::run_cli("delineate " + rec + out + " --frobnicate 3");
  CHECK(unknown.exit_code != 0);

  for (const auto* r : {&missing, &bad_lead, &empty, &no_out}) {
    CHECK(r->output.rfind("fecg: ", 0) == 0);  // one line from main's handler, no crash
    CHECK(r->exit_code == 1);
  }
  CHECK(fecg_test::run_cli("delineate --help").exit_code == 0);
}

TEST_CASE("cli: extract writes the morphology section and the averaged beat; --gestational-weeks is checked") {
  TempDir dir("extract");
  const std::string rec = (dir.path / "sim").string();
  REQUIRE(fecg_test::run_cli("synth --out " + rec + " --seconds 60 --seed 5 --nstdb none --snr-fm -9 --snr-mn 6").exit_code == 0);
  const std::string out = (dir.path / "x").string();
  const auto run = fecg_test::run_cli("extract " + rec + " --method ts-ica --quiet --gestational-weeks 38 --out " + out);
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  std::ifstream in(dir.path / "x" / "sim.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string json = ss.str();
  for (const char* key : {"\"morphology\"", "\"lead\"", "\"n_beats\"", "\"snr_db\"", "\"pr_ms\"", "\"p_ms\"", "\"qrs_ms\"",
                          "\"qt_ms\"", "\"qtc_bazett_ms\"", "\"qtc_fridericia_ms\"", "\"t_qrs_ratio\"", "\"fiducials_ms\"",
                          "\"why_missing\"", "\"published\"", "\"not_a_diagnosis\""})
    CHECK_MESSAGE(json.find(key) != std::string::npos, key);
  const auto beat = lines_of(dir.path / "x" / "sim_beat.csv");
  REQUIRE(beat.size() > 100);
  CHECK(beat[0].rfind("time_ms,Abdomen_1_uv", 0) == 0);

  const auto bad = fecg_test::run_cli("extract " + rec + " --method ts-ica --quiet --gestational-weeks 80 --out " + out);
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("gestational") != std::string::npos);
  const auto nan = fecg_test::run_cli("extract " + rec + " --method ts-ica --quiet --gestational-weeks abc --out " + out);
  CHECK(nan.exit_code != 0);
}
