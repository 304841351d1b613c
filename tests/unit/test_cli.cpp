// End-to-end checks of the `fecg` CLI contract: commands, files written, exit codes, messages.
// The CLI is run as a child process (FECG_CLI_PATH is the built executable).
#include <doctest/doctest.h>

#include "cli_test_support.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using fecg_test::run_cli;

// A fresh directory per test case, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("fecg_cli_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The number after "key": in a flat JSON text (enough for the CLI's own documents).
double json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  REQUIRE_MESSAGE(at != std::string::npos, "no key " << key << " in " << json);
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

}  // namespace

TEST_CASE("cli: help and usage errors") {
  const fecg_test::CliRun help = run_cli("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("extract <record>") != std::string::npos);
  for (const char* command : {"info", "extract", "synth", "eval"}) {
    const fecg_test::CliRun r = run_cli(std::string(command) + " --help");
    CHECK_MESSAGE(r.exit_code == 0, command);
    CHECK_MESSAGE(r.output.find("usage: fecg " + std::string(command)) != std::string::npos, command);
  }
  const fecg_test::CliRun unknown = run_cli("frobnicate");
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.output.find("unknown command 'frobnicate'") != std::string::npos);
  const fecg_test::CliRun bad_option = run_cli("synth --out x --sconds 3");
  CHECK(bad_option.exit_code != 0);
  CHECK(bad_option.output.find("unknown option --sconds") != std::string::npos);
  const fecg_test::CliRun missing = run_cli("extract /nonexistent/r99.edf");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("/nonexistent/r99.edf") != std::string::npos);
  CHECK(std::count(missing.output.begin(), missing.output.end(), '\n') == 1);  // one line
  for (const char* option : {"--maternal-qrs 0.1", "--maternal-bpm 200", "--fetal-bpm 50"}) {
    const fecg_test::CliRun r = run_cli("synth --seconds 5 --out /nonexistent/x " + std::string(option));
    CHECK_MESSAGE(r.exit_code == 1, option);
    CHECK_MESSAGE(r.output.find("must be in") != std::string::npos, option << ": " << r.output);
  }
}

TEST_CASE("cli: synth --maternal-bpm / --fetal-bpm / --maternal-qrs set the hearts") {
  TempDir dir("hearts");
  const std::string base = (dir.path / "sim").string();
  const fecg_test::CliRun synth =
      run_cli("synth --seconds 20 --seed 5 --nstdb none --maternal-bpm 120 --fetal-bpm 125 --maternal-qrs 0.4 --out " + base);
  REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
  const auto rate = [&](const std::string& key) {
    const std::size_t at = synth.output.find(key + " ");
    REQUIRE_MESSAGE(at != std::string::npos, synth.output);
    return std::stod(synth.output.substr(at + key.size() + 1));
  };
  CHECK(rate("MHR") == doctest::Approx(120).epsilon(0.05));  // the mean, moved a little by heart-rate events
  CHECK(rate("FHR") == doctest::Approx(125).epsilon(0.05));
}

TEST_CASE("cli: synth → info → extract → eval on a simulated recording") {
  TempDir dir("e2e");
  const std::string base = (dir.path / "sim").string();
  const fecg_test::CliRun synth = run_cli("synth --seconds 30 --seed 11 --leads 4 --snr-mn 9 --snr-fm -9 --out " + base);
  REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
  for (const char* suffix : {".hea", ".dat", ".fqrs", ".mqrs", "_fecg.hea", "_fecg.dat"})
    CHECK_MESSAGE(fs::exists(base + suffix), suffix);

  const fecg_test::CliRun info = run_cli("info " + base);
  REQUIRE_MESSAGE(info.exit_code == 0, info.output);
  CHECK(info.output.find("Abdomen_4") != std::string::npos);
  CHECK(info.output.find("30.000 s") != std::string::npos);

  const std::string before = slurp(base + ".dat");
  const std::string out = (dir.path / "out").string();
  const fecg_test::CliRun extract = run_cli("extract " + base + " --method ts-ica --quiet --out " + out + " --ref " + base + ".fqrs");
  REQUIRE_MESSAGE(extract.exit_code == 0, extract.output);
  CHECK(slurp(base + ".dat") == before);  // the input is never modified
  for (const char* file : {"sim.fqrs", "sim.mqrs", "sim_fecg.csv", "sim_fhr.csv", "sim.json"})
    CHECK_MESSAGE(fs::exists(fs::path(out) / file), file);
  const std::string json = slurp(fs::path(out) / "sim.json");
  CHECK(json.find("\"method\":\"ts-ica\"") != std::string::npos);
  CHECK(json_number(json, "f1") >= 0.9);

  const fecg_test::CliRun eval = run_cli("eval --ref " + base + ".fqrs --test " + out + "/sim.fqrs");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(json_number(eval.output, "f1") == doctest::Approx(json_number(json, "f1")).epsilon(1e-6));
  CHECK(json_number(eval.output, "fs_hz") == 1000.0);
  const std::string fhr_csv = slurp(fs::path(out) / "sim_fhr.csv");
  CHECK(fhr_csv.rfind("time_s,fhr_bpm,fhr_smooth_bpm,outlier,reliable\n", 0) == 0);
}

TEST_CASE("cli: bad recordings give one clear line and a non-zero exit") {
  TempDir dir("bad");
  const fs::path garbage = dir.path / "garbage.edf";
  std::ofstream(garbage) << "this is not an EDF file";
  const fecg_test::CliRun r = run_cli("extract " + garbage.string() + " --out " + dir.path.string());
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("fecg: ", 0) == 0);
  CHECK(r.output.find("edf") != std::string::npos);

  const fecg_test::CliRun method = run_cli("extract " + garbage.string() + " --method magic");
  CHECK(method.exit_code == 1);
  CHECK(method.output.find("unknown method 'magic'") != std::string::npos);

  const fs::path short_csv = dir.path / "short.csv";
  std::ofstream(short_csv) << "time,a1\n0,1\n0.004,2\n0.008,3\n";
  const fecg_test::CliRun too_short = run_cli("extract " + short_csv.string() + " --out " + dir.path.string());
  CHECK(too_short.exit_code == 1);
  CHECK(too_short.output.find("at least") != std::string::npos);
}

TEST_CASE("cli: extract without --method runs FHNet when a trained model is found, else TS-ICA with a note") {
  TempDir dir("default_method");
  const std::string base = (dir.path / "sim").string();
  REQUIRE(run_cli("synth --seconds 20 --seed 11 --nstdb none --out " + base).exit_code == 0);
  // The executable beside the source tree finds models/ (the trained model shipped there).
  const fecg_test::CliRun found = run_cli("extract " + base + " --out " + (dir.path / "a").string());
  REQUIRE_MESSAGE(found.exit_code == 0, found.output);
  CHECK(found.output.find("method fhnet") != std::string::npos);
  CHECK(slurp(dir.path / "a" / "sim.json").find("\"method\":\"fhnet\"") != std::string::npos);
  // A copy of it with no models/ in reach (not beside it, not in the working directory).
  const fs::path lone = dir.path / "x" / "y" / "fecg";
  fs::create_directories(lone.parent_path());
  fs::copy_file(FECG_CLI_PATH, lone);
  fs::permissions(lone, fs::perms::owner_all);
  const fecg_test::CliRun lone_run = fecg_test::run_command("cd " + dir.path.string() + " && " + lone.string() +
                                                             " extract " + base + " --out " + (dir.path / "b").string());
  REQUIRE_MESSAGE(lone_run.exit_code == 0, lone_run.output);
  CHECK(lone_run.output.find("fecg: using TS-ICA (extract: no FHNet model found") != std::string::npos);
  CHECK(slurp(dir.path / "b" / "sim.json").find("\"method\":\"ts-ica\"") != std::string::npos);
  // A model named with --model is FHNet, and one that cannot be read is an error, not TS-ICA.
  const fecg_test::CliRun named = run_cli("extract " + base + " --model " + (dir.path / "nowhere").string() +
                                          " --out " + (dir.path / "c").string());
  CHECK(named.exit_code != 0);
  CHECK(named.output.find("fhnet: cannot read") != std::string::npos);
}
