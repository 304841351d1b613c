// Bad input, one table: each case writes a file (or a WFDB record) into a temporary folder, opens
// it as the CLI does (read_record) and runs the pipeline on its abdominal leads. Every case must
// end either with correct output — fetal beats within ±50 ms of the simulated truth where the
// signal allows, and the quality warning the case calls for — or with a fecg::Error whose message
// names the problem; never a crash or another exception. The input files' bytes must be unchanged
// afterwards (sha256 before and after). A few cases also run `fecg extract` (FECG_CLI_PATH).
// The behaviour chosen for each class is listed in the README (Reliability).
#include <doctest/doctest.h>

#include "cli_test_support.h"
#include "core/error.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "model/sha256.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------- recordings to spoil

// A clean 4-lead simulated recording whose fetal beats every lead shows (seed chosen for that),
// so that spoiling one lead must not lose them. Cached per (seconds, rate, leads).
const fecg::SynthRecording& simulated(double seconds, double fs_hz = 500.0, int n_leads = 4) {
  static std::map<std::array<double, 3>, fecg::SynthRecording> cache;
  const std::array<double, 3> key = {seconds, fs_hz, static_cast<double>(n_leads)};
  auto it = cache.find(key);
  if (it == cache.end()) {
    fecg::SynthParams p;
    p.duration_s = seconds;
    p.fs_hz = fs_hz;
    p.n_leads = n_leads;
    p.seed = 20261124;
    p.snr_mn_db = 12.0;
    p.snr_fm_db = -6.0;
    p.heart_rate_events = false;
    it = cache.emplace(key, fecg::simulate(p)).first;
  }
  return it->second;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  REQUIRE(out.good());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The EDF header field of signal `k` (0-based) among `ns` signals: `offset` is the field's offset
// within a signal header (label 0, transducer 16, unit 96, physical min 104, max 112, ...).
void patch_edf_field(std::string& edf, int ns, int k, int offset, int width, const std::string& value) {
  const size_t at = 256 + static_cast<size_t>(ns) * static_cast<size_t>(offset) + static_cast<size_t>(k * width);
  std::string field = value;
  field.resize(static_cast<size_t>(width), ' ');
  edf.replace(at, static_cast<size_t>(width), field);
}

std::string edf_bytes(const fecg::Recording& r) {
  const std::vector<std::uint8_t> b = fecg::encode_edf(r);
  return {b.begin(), b.end()};
}

// A CSV of `r` with a time column; `cell` may rewrite any lead cell (lead, sample, text).
std::string csv_text(const fecg::Recording& r,
                     const std::function<void(int, std::int64_t, std::string&)>& cell = {}) {
  std::string out = "time_s";
  for (const auto& name : r.lead_names) out += "," + name;
  out += "\n";
  char buf[64];
  for (std::int64_t t = 0; t < r.n_samples(); ++t) {
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(t) / r.fs_hz);
    out += buf;
    for (int l = 0; l < r.n_leads(); ++l) {
      std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(r.samples_uv(l, t)));
      std::string text = buf;
      if (cell) cell(l, t, text);
      out += "," + text;
    }
    out += "\n";
  }
  return out;
}

// ------------------------------------------------------------------------------------ the table

struct Expect {
  bool ok = false;           // correct output expected; else a fecg::Error
  std::string text;          // ok: a warning that must be present ("" none); error: part of the message
  double min_f1 = 0.0;       // ok: fetal-beat F1 against the simulated truth (0: not scored)
};
Expect ok(std::string warning = {}, double min_f1 = 0.9) { return {true, std::move(warning), min_f1}; }
Expect error(std::string message) { return {false, std::move(message), 0.0}; }

struct Case {
  std::string name;
  // Writes the input into `dir` and returns the path to open; `truth` receives the simulated
  // recording it came from (fetal beats for scoring) when there is one.
  std::function<fs::path(const fs::path& dir, const fecg::SynthRecording*& truth)> write;
  Expect expect;
  fecg::ReadOptions options = {};
};

std::vector<Case> cases() {
  std::vector<Case> t;
  auto from_sim = [](double seconds, double fs_hz, int leads, auto spoil_and_write) {
    return [=](const fs::path& dir, const fecg::SynthRecording*& truth) {
      truth = &simulated(seconds, fs_hz, leads);
      fecg::Recording r = truth->mixture;
      return spoil_and_write(dir, r);
    };
  };

  // --- truncated files
  t.push_back({"truncated EDF", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string b = edf_bytes(r);
                 b.resize(b.size() * 2 / 3);
                 write_bytes(d / "cut.edf", b);
                 return d / "cut.edf";
               }), error("(truncated)")});
  t.push_back({"truncated WFDB signal file", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "cut").string(), r);
                 fs::resize_file(d / "cut.dat", fs::file_size(d / "cut.dat") - 1001);
                 return d / "cut.hea";
               }), error("(truncated)")});
  t.push_back({"truncated CSV (last row cut)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string text = csv_text(r);
                 text.resize(text.size() - 20);
                 write_bytes(d / "cut.csv", text);
                 return d / "cut.csv";
               }), error("cells, expected 5")});
  t.push_back({"empty file", [](const fs::path& d, const fecg::SynthRecording*&) {
                 write_bytes(d / "empty.edf", "");
                 return d / "empty.edf";
               }, error("shorter than the 256-byte header")});

  // --- header and data disagree
  t.push_back({"EDF with bytes beyond its records", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 write_bytes(d / "long.edf", edf_bytes(r) + std::string(100, '\0'));
                 return d / "long.edf";
               }), error("(extra bytes)")});
  t.push_back({"WFDB header with fewer samples than the file", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "rec").string(), r);
                 std::string hea = read_text(d / "rec.hea");
                 hea.replace(hea.find(" 10000"), 6, " 9000");
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), error("(size mismatch)")});
  t.push_back({"WFDB header with more signals than lines", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "rec").string(), r);
                 std::string hea = read_text(d / "rec.hea");
                 hea.replace(hea.find("rec 4"), 5, "rec 6");
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), error("says 6 signals but the header has 4 signal lines")});

  // --- units
  t.push_back({"EDF lead in degC", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string b = edf_bytes(r);
                 patch_edf_field(b, 5, 1, 96, 8, "degC");
                 write_bytes(d / "unit.edf", b);
                 return d / "unit.edf";
               }), error("has unit 'degC', expected a voltage")});
  t.push_back({"EDF lead without a unit", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string b = edf_bytes(r);
                 patch_edf_field(b, 5, 2, 96, 8, "");
                 write_bytes(d / "nounit.edf", b);
                 return d / "nounit.edf";
               }), error("has unit '', expected a voltage")});
  t.push_back({"WFDB lead in mmHg", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "rec").string(), r);
                 std::string hea = read_text(d / "rec.hea");
                 const size_t at = hea.find("/uV");
                 hea.replace(at, 3, "/mmHg");
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), error("has unit 'mmHg', expected a voltage")});
  t.push_back({"WFDB gain so small that samples overflow a float", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "rec").string(), r);
                 std::string hea = read_text(d / "rec.hea");
                 const size_t gain = hea.find("rec.dat 16 ") + 11;
                 hea.replace(gain, hea.find('(', gain) - gain, "1e-40");
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), error("is beyond the range of a 32-bit float in uV")});
  t.push_back({"WFDB without units (WFDB's default mV)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 // The same adu with gain 200 adu/mV and no unit read as mV: amplitudes 1000/200 × the
                 // written gain's; beats unchanged.
                 const fs::path base = d / "rec";
                 fecg::Recording mv = r;
                 mv.samples_uv /= 1000.0f;  // written as "uV", read back as mV: values × 1000
                 fecg::write_wfdb_record(base.string(), mv);
                 std::string hea = read_text(d / "rec.hea");
                 for (size_t at; (at = hea.find("/uV")) != std::string::npos;) hea.erase(at, 3);
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), ok()});
  t.push_back({"CSV read with a unit that is not a voltage", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 write_bytes(d / "rec.csv", csv_text(r));
                 return d / "rec.csv";
               }), error("unit 'mmHg' is not a voltage"), {.csv = {.units = "mmHg"}}});

  // --- NaN and Inf
  t.push_back({"CSV with NaN and empty cells (missing samples)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 write_bytes(d / "nan.csv", csv_text(r, [](int lead, std::int64_t s, std::string& text) {
                               if (lead == 1 && s >= 3000 && s < 3040) text = "NaN";
                               if (lead == 2 && s >= 7000 && s < 7010) text = "";
                             }));
                 return d / "nan.csv";
               }), ok("missing samples (0.40%) bridged by interpolation")});
  t.push_back({"CSV with an infinite value", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 write_bytes(d / "inf.csv", csv_text(r, [](int lead, std::int64_t s, std::string& text) {
                               if (lead == 3 && s == 1234) text = "inf";
                             }));
                 return d / "inf.csv";
               }), error("line 1236, column 5 ('Abdomen_4'): 'inf' is not a finite number")});
  t.push_back({"WFDB with invalid samples (-32768: electrode off)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_wfdb_record((d / "rec").string(), r);
                 std::string dat = read_text(d / "rec.dat");
                 for (int s = 5000; s < 5100; ++s) dat.replace(static_cast<size_t>(2 * (4 * s + 0)), 2, std::string("\x00\x80", 2));
                 write_bytes(d / "rec.dat", dat);
                 // Lead 1's checksum (7th field: the 16-bit sum of its samples) follows the change.
                 std::int32_t sum = 0;
                 for (std::int64_t s = 0; s < r.n_samples(); ++s)
                   sum += static_cast<std::int16_t>(static_cast<std::uint8_t>(dat[static_cast<size_t>(8 * s)]) |
                                                    (static_cast<std::uint8_t>(dat[static_cast<size_t>(8 * s + 1)]) << 8));
                 std::string hea = read_text(d / "rec.hea");
                 const size_t line = hea.find('\n') + 1;
                 size_t field = line;
                 for (int k = 0; k < 6; ++k) field = hea.find(' ', field) + 1;
                 hea.replace(field, hea.find(' ', field) - field, std::to_string(static_cast<std::int16_t>(sum & 0xFFFF)));
                 write_bytes(d / "rec.hea", hea);
                 return d / "rec.hea";
               }), ok("lead 'Abdomen_1': 100 missing samples (1.00%) bridged by interpolation")});
  t.push_back({"EDF whose physical range overflows (1e308)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string b = edf_bytes(r);
                 patch_edf_field(b, 5, 0, 104, 8, "-1e308");
                 patch_edf_field(b, 5, 0, 112, 8, "1e308");
                 write_bytes(d / "huge.edf", b);
                 return d / "huge.edf";
               }), error("physical range")});

  // --- spoiled leads (the other three leads still carry the fetal ECG)
  t.push_back({"flat lead", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 r.samples_uv.row(1).setConstant(12.5f);
                 fecg::write_edf((d / "flat.edf").string(), r);
                 return d / "flat.edf";
               }), ok("lead 'Abdomen_2' is flat")});
  t.push_back({"clipped lead", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 const float lo = r.samples_uv.row(2).minCoeff() * 0.3f, hi = r.samples_uv.row(2).maxCoeff() * 0.3f;
                 r.samples_uv.row(2) = r.samples_uv.row(2).cwiseMax(lo).cwiseMin(hi);
                 fecg::write_edf((d / "clip.edf").string(), r);
                 return d / "clip.edf";
               }), ok("lead 'Abdomen_3' is clipped")});
  t.push_back({"lead of pure noise", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::mt19937 rng(7);
                 std::normal_distribution<float> noise(0.0f, 300.0f);
                 for (Eigen::Index j = 0; j < r.n_samples(); ++j) r.samples_uv(0, j) = noise(rng);
                 fecg::write_edf((d / "noise.edf").string(), r);
                 return d / "noise.edf";
               }), ok()});  // the other leads carry the fetal ECG: correct beats, good overall quality

  // --- lead counts
  t.push_back({"0 leads (EDF with annotations only)", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string b = edf_bytes(r);
                 for (int k = 0; k < 4; ++k) patch_edf_field(b, 5, k, 0, 16, "EDF Annotations");
                 write_bytes(d / "none.edf", b);
                 return d / "none.edf";
               }), error("no signals besides annotations")});
  t.push_back({"0 leads (WFDB)", [](const fs::path& d, const fecg::SynthRecording*&) {
                 write_bytes(d / "none.hea", "none 0 500 10000\n");
                 return d / "none.hea";
               }, error("has no signals")});
  t.push_back({"0 leads (CSV with a time column only)", [](const fs::path& d, const fecg::SynthRecording*&) {
                 write_bytes(d / "none.csv", "time\n0\n0.002\n0.004\n");
                 return d / "none.csv";
               }, error("no lead columns besides the time column")});
  t.push_back({"1 lead", from_sim(20, 500, 1, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_edf((d / "one.edf").string(), r);
                 return d / "one.edf";
               }), ok({}, 0.8)});
  t.push_back({"64 leads, 6 s at 250 Hz", from_sim(6, 250, 4, [](const fs::path& d, fecg::Recording& r) {
                 // The 4 simulated leads repeated 16 times, each with its own small noise.
                 fecg::Recording wide = r;
                 wide.samples_uv.resize(64, r.n_samples());
                 wide.lead_names.clear();
                 wide.units.assign(64, "uV");
                 std::mt19937 rng(3);
                 std::normal_distribution<float> noise(0.0f, 5.0f);
                 for (int l = 0; l < 64; ++l) {
                   wide.lead_names.push_back("ch" + std::to_string(l + 1));
                   for (Eigen::Index j = 0; j < r.n_samples(); ++j) wide.samples_uv(l, j) = r.samples_uv(l % 4, j) + noise(rng);
                 }
                 fecg::write_edf((d / "wide.edf").string(), wide);
                 return d / "wide.edf";
               }), ok({}, 0.0)});

  // --- durations and rates
  t.push_back({"1-second recording", from_sim(1, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 fecg::write_edf((d / "short.edf").string(), r);
                 return d / "short.edf";
               }), error("at least 5.000000 s are needed")});
  for (const double fs_hz : {100.0, 250.0, 360.0, 1000.0, 2000.0, 10000.0}) {
    const std::string rate = std::to_string(static_cast<int>(fs_hz));
    t.push_back({"sampling rate " + rate + " Hz", from_sim(fs_hz >= 2000 ? 12 : 20, fs_hz, 4, [rate](const fs::path& d, fecg::Recording& r) {
                   fecg::write_wfdb_record((d / ("r" + rate)).string(), r);
                   return d / ("r" + rate + ".hea");
                 }), ok()});
  }

  // --- names and cells
  t.push_back({"non-ASCII file and lead names", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 r.lead_names = {"Bauch_ü1", "Bauch_é2", "腹部3", "Живот4"};
                 write_bytes(d / "Aufnahme_ärztlich_胎儿.csv", csv_text(r));
                 return d / "Aufnahme_ärztlich_胎儿.csv";
               }), ok()});
  t.push_back({"CSV row with a cell too few", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 std::string text = csv_text(r);
                 size_t line_start = 0;
                 for (int line = 1; line < 101; ++line) line_start = text.find('\n', line_start) + 1;
                 text.erase(text.find(',', line_start), text.find(',', text.find(',', line_start) + 1) - text.find(',', line_start));
                 write_bytes(d / "short_row.csv", text);
                 return d / "short_row.csv";
               }), error("line 101 has 4 cells, expected 5")});
  t.push_back({"CSV lead with every cell missing", from_sim(20, 500, 4, [](const fs::path& d, fecg::Recording& r) {
                 write_bytes(d / "gone.csv", csv_text(r, [](int lead, std::int64_t, std::string& text) {
                               if (lead == 3) text = "";
                             }));
                 return d / "gone.csv";
               }), ok("lead 'Abdomen_4' has no samples (all missing); left out")});
  return t;
}

std::map<std::string, std::string> hashes(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::vector<std::uint8_t> bytes = fecg::read_file_bytes(e.path().string());
    out[e.path().filename().string()] = fecg::sha256_hex(bytes.data(), bytes.size());
  }
  return out;
}

bool has_warning(const fecg::PipelineResult& r, const std::string& text) {
  for (const std::string& w : r.quality.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("fecg_bad_" + name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("bad input: every class gets correct output with its warning, or a fecg::Error naming the problem") {
  int index = 0;
  for (const Case& c : cases()) {
    CAPTURE(c.name);
    TempDir dir("case" + std::to_string(index++));
    const fecg::SynthRecording* truth = nullptr;
    const fs::path input = c.write(dir.path, truth);
    const auto before = hashes(dir.path);
    std::string error;
    fecg::PipelineResult result;
    try {
      const fecg::Recording rec = fecg::read_record(input.string(), c.options);
      result = fecg::run_pipeline(rec, fecg::guess_lead_roles(rec));
    } catch (const fecg::Error& e) {
      error = e.what();
    }  // any other exception fails the test case here
    CHECK(hashes(dir.path) == before);
    if (!c.expect.ok) {
      CHECK_MESSAGE(error.find(c.expect.text) != std::string::npos, "expected an error containing '" << c.expect.text
                                                                     << "', got '" << error << "'");
      continue;
    }
    REQUIRE_MESSAGE(error.empty(), "unexpected error: " << error);
    if (!c.expect.text.empty()) {
      std::string all;
      for (const std::string& w : result.quality.warnings) all += "\n  " + w;
      CHECK_MESSAGE(has_warning(result, c.expect.text), "no warning '" << c.expect.text << "' among:" << all);
    }
    if (truth && c.expect.min_f1 > 0) {
      const fecg::BeatScore s = fecg::score_beats(truth->fetal_peaks, result.fetal_beats, result.fs_hz);
      CHECK_MESSAGE(s.f1 >= c.expect.min_f1, "fetal F1 " << s.f1 << " < " << c.expect.min_f1);
    }
  }
}

using fecg_test::run_cli;

TEST_CASE("bad input: fecg extract exits with one clear line or writes its outputs, input untouched") {
  const std::map<std::string, std::pair<bool, std::string>> expected = {
      {"truncated EDF", {false, "(truncated)"}},
      {"0 leads (CSV with a time column only)", {false, "no lead columns"}},
      {"CSV with NaN and empty cells (missing samples)", {true, "missing samples"}},
      {"non-ASCII file and lead names", {true, "Bauch_ü1"}},
  };
  int index = 0, ran = 0;
  for (const Case& c : cases()) {
    const auto e = expected.find(c.name);
    if (e == expected.end()) continue;
    CAPTURE(c.name);
    ++ran;
    TempDir dir("cli" + std::to_string(index++));
    const fecg::SynthRecording* truth = nullptr;
    const fs::path input = c.write(dir.path, truth);
    const auto before = hashes(dir.path);
    const fs::path out = dir.path.parent_path() / (dir.path.filename().string() + "_out");
    const fecg_test::CliRun r = run_cli("extract \"" + input.string() + "\" --out \"" + out.string() + "\" --quiet");
    CHECK(hashes(dir.path) == before);
    const auto& [succeeds, text] = e->second;
    if (succeeds) {
      CHECK_MESSAGE(r.exit_code == 0, r.output);
      const fs::path json = out / (input.stem().string() + ".json");
      REQUIRE(fs::exists(json));
      CHECK(read_text(json).find(text) != std::string::npos);
    } else {
      CHECK(r.exit_code != 0);
      CHECK_MESSAGE(r.output.rfind("fecg: ", 0) == 0, r.output);
      CHECK_MESSAGE(r.output.find(text) != std::string::npos, r.output);
      CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    }
    fs::remove_all(out);
  }
  CHECK(ran == static_cast<int>(expected.size()));
}
