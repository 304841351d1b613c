// Long recordings in bounded memory: ranged readers (io/record_reader.h) against the whole-file
// readers, the chunked pipeline (pipeline/stream.h) against run_pipeline on recordings that fit
// both ways, and `fecg extract --stream`.
#include <doctest/doctest.h>

#include "cli_test_support.h"
#include "core/error.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/stream.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string data_dir() { return std::string(FECG_SOURCE_DIR) + "/tests/data/"; }

// Equal sample for sample, NaN (a missing sample) equal to NaN.
void check_same(const fecg::LeadMatrix& a, const fecg::LeadMatrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      if (std::isnan(a(i, j)) && std::isnan(b(i, j))) continue;
      REQUIRE_MESSAGE(a(i, j) == b(i, j), "lead " << i << " sample " << j);
    }
}

fecg::Recording noise_recording(int leads, double seconds, double fs_hz, unsigned seed) {
  fecg::Recording r;
  r.fs_hz = fs_hz;
  r.samples_uv.resize(leads, static_cast<Eigen::Index>(seconds * fs_hz));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 300.0f);
  for (Eigen::Index i = 0; i < r.samples_uv.size(); ++i) r.samples_uv.data()[i] = normal(rng);
  for (int i = 0; i < leads; ++i) {
    r.lead_names.push_back("Abdomen_" + std::to_string(i + 1));
    r.units.push_back("uV");
  }
  r.start_time = "2024-05-06T07:08:09";
  return r;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("fecg_stream_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// Beats of `a` with no beat of `b` within `tolerance` samples.
int unmatched(const fecg::BeatIndices& a, const fecg::BeatIndices& b, std::int64_t tolerance) {
  int count = 0;
  for (const std::int64_t x : a) {
    const auto it = std::lower_bound(b.begin(), b.end(), x - tolerance);
    if (it == b.end() || *it > x + tolerance) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("stream: EDF ranged reads give the whole-file reader's samples") {
  const fecg::Recording rec = noise_recording(3, 20.0, 500.0, 7);  // 1-s data records
  const std::vector<std::uint8_t> bytes = fecg::encode_edf(rec);
  const fecg::Recording whole = fecg::parse_edf(bytes);
  auto reader = fecg::open_edf_reader(fecg::memory_source(bytes, "noise.edf"));
  REQUIRE(reader->n_samples() == whole.n_samples());
  CHECK(reader->header().fs_hz == whole.fs_hz);
  CHECK(reader->header().lead_names == whole.lead_names);
  CHECK(reader->header().units == whole.units);
  CHECK(reader->header().start_time == whole.start_time);
  CHECK(reader->header().n_leads() == 3);
  CHECK(reader->header().n_samples() == 0);
  const std::int64_t n = whole.n_samples();
  // Whole, inside one data record, across records, the last sample, empty.
  // (Not a structured binding: clang 14, the fuzz preset's compiler, cannot capture one in CAPTURE.)
  for (const auto& range : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {0, n}, {3, 10}, {490, 1234}, {n - 1, 1}, {n - 777, 777}, {100, 0}}) {
    const std::int64_t start = range.first, count = range.second;
    CAPTURE(start);
    CAPTURE(count);
    check_same(reader->read(start, count), whole.samples_uv.middleCols(start, count));
  }
  CHECK_THROWS_AS(reader->read(n - 5, 6), fecg::Error);
  CHECK_THROWS_AS(reader->read(-1, 2), fecg::Error);

  // A damaged file: the same message as the whole-file reader, naming the source.
  std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 100);
  std::string whole_error, ranged_error;
  try {
    (void)fecg::parse_edf(cut);
  } catch (const fecg::Error& e) {
    whole_error = e.what();
  }
  try {
    (void)fecg::open_edf_reader(fecg::memory_source(cut, "cut.edf"));
  } catch (const fecg::Error& e) {
    ranged_error = e.what();
  }
  CHECK(whole_error.find("(truncated)") != std::string::npos);
  CHECK(ranged_error == whole_error + " [cut.edf]");

  // A gap in the EDF+ timeline of a later record is found when that record is read.
  std::vector<std::uint8_t> gap = bytes;
  const std::string keeper = "+5\x14\x14";
  const auto at = std::search(gap.begin(), gap.end(), keeper.begin(), keeper.end());
  REQUIRE(at != gap.end());
  *(at + 1) = '9';
  auto gap_reader = fecg::open_edf_reader(fecg::memory_source(gap, "gap.edf"));
  CHECK_NOTHROW(gap_reader->read(0, 500));
  CHECK_THROWS_WITH_AS(gap_reader->read(0, n), doctest::Contains("data record 6 starts at 9 s"), fecg::Error);
}

TEST_CASE("stream: EDF with leads at different rates is left to the whole-file reader") {
  // Lead 1 at 500 Hz, lead 2 at 250 Hz: a 500 Hz file whose lead 2 keeps half its samples per
  // data record (header field and records edited to match).
  const fecg::Recording rec = noise_recording(2, 4.0, 500.0, 3);
  std::vector<std::uint8_t> bytes = fecg::encode_edf(rec);
  const fecg::Recording whole = fecg::parse_edf(bytes);
  const std::int64_t spr = whole.n_samples() / 4;  // 1-s records
  REQUIRE(spr == 500);
  // Signal headers start at 256; samples per record are the 9th field block (after 216 bytes
  // per signal of the earlier fields).
  const std::size_t ns = 3;
  const std::size_t spr_field = 256 + ns * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80) + 8;  // signal 2's
  const std::string half = "250     ";
  std::copy(half.begin(), half.end(), bytes.begin() + static_cast<std::ptrdiff_t>(spr_field));
  // 4 records, each 500 bytes shorter.
  const std::size_t header = 256 + ns * 256;
  const std::size_t old_record = (bytes.size() - header) / 4, new_record = old_record - 500;
  std::vector<std::uint8_t> mixed(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  for (std::size_t r = 0; r < 4; ++r) {
    const auto rec_begin = bytes.begin() + static_cast<std::ptrdiff_t>(header + r * old_record);
    mixed.insert(mixed.end(), rec_begin, rec_begin + 1000 + 500);                      // lead 1, half of lead 2
    mixed.insert(mixed.end(), rec_begin + 2000, rec_begin + static_cast<std::ptrdiff_t>(old_record));  // TAL
  }
  REQUIRE(mixed.size() == header + 4 * new_record);
  CHECK_NOTHROW(fecg::parse_edf(mixed));
  CHECK_THROWS_WITH_AS(fecg::open_edf_reader(fecg::memory_source(mixed, "mixed.edf")),
                       doctest::Contains("different rates"), fecg::Error);
}

TEST_CASE("stream: WFDB ranged reads give the whole-file reader's samples, every format") {
  for (const char* name : {"fmt16", "fmt24", "fmt32", "fmt61", "fmt80", "fmt160", "fmt212", "fmt310", "fmt311"}) {
    CAPTURE(name);
    const std::string path = data_dir() + name;
    const fecg::Recording whole = fecg::read_wfdb_record(path);
    auto reader = fecg::open_record_reader(path + ".hea");
    REQUIRE(reader->n_samples() == whole.n_samples());
    CHECK(reader->header().lead_names == whole.lead_names);
    CHECK(reader->header().units == whole.units);
    CHECK(reader->header().fs_hz == whole.fs_hz);
    const std::int64_t n = whole.n_samples();
    // Every start, several lengths: packed formats (212, 310, 311) start inside a sample unit.
    for (std::int64_t start = 0; start < n; ++start)
      for (const std::int64_t count : {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{7}, n - start})
        if (start + count <= n) check_same(reader->read(start, count), whole.samples_uv.middleCols(start, count));
  }
  CHECK_THROWS_WITH_AS(fecg::open_record_reader(data_dir() + "fmt8.hea"), doctest::Contains("format 8"), fecg::Error);
}

TEST_CASE("stream: WFDB ranged reader checks sizes and checksums before any read") {
  TempDir dir("wfdb");
  const fecg::Recording rec = noise_recording(4, 30.0, 1000.0, 5);
  const std::string base = (dir.path / "rec").string();
  fecg::write_wfdb_record(base, rec);
  auto reader = fecg::open_record_reader(base);
  check_same(reader->read(12345, 6789), fecg::read_wfdb_record(base).samples_uv.middleCols(12345, 6789));

  // One sample changed: the checksum no longer matches.
  {
    std::fstream f(base + ".dat", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(40000);
    const char b = 0x55;
    f.write(&b, 1);
  }
  CHECK_THROWS_WITH_AS(fecg::open_record_reader(base), doctest::Contains("checksum mismatch"), fecg::Error);
  // Truncated: the size check, with the whole-file reader's words.
  fs::resize_file(base + ".dat", fs::file_size(base + ".dat") - 10);
  CHECK_THROWS_WITH_AS(fecg::open_record_reader(base), doctest::Contains("(truncated)"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::open_record_reader((dir.path / "rec.csv").string()),
                       doctest::Contains("cannot be read by ranges"), fecg::Error);
}

TEST_CASE("stream: the CSV writer in pieces writes what encode_csv writes") {
  const fecg::Recording rec = noise_recording(3, 2.0, 360.0, 9);
  std::string pieces = fecg::encode_csv_header(rec.lead_names);
  for (std::int64_t start = 0; start < rec.n_samples(); start += 100) {
    const std::int64_t count = std::min<std::int64_t>(100, rec.n_samples() - start);
    fecg::append_csv_rows(pieces, rec.samples_uv.middleCols(start, count), start, rec.fs_hz);
  }
  CHECK(pieces == fecg::encode_csv(rec));
}

TEST_CASE("stream: chunk plan covers the recording on the quality-window grid") {
  const fecg::PipelineParams params;
  const fecg::StreamParams stream{.chunk_s = 600, .margin_s = 60};
  // 1 h at 1 kHz: six 10-min chunks, 60-s margins.
  fecg::StreamPlan plan = fecg::plan_stream(3'600'000, 1000.0, params, stream);
  CHECK(plan.n_chunks() == 6);
  CHECK(plan.margin == 60'000);
  CHECK(plan.starts.back() == 3'600'000);
  // 64 min: the 4-min tail joins the last chunk; 66 min: it is its own chunk.
  plan = fecg::plan_stream(3'840'000, 1000.0, params, stream);
  CHECK(plan.n_chunks() == 6);
  CHECK(plan.starts[5] == 3'000'000);
  CHECK(fecg::plan_stream(3'960'000, 1000.0, params, stream).n_chunks() == 7);
  // Up to 1.5 chunks: one chunk, i.e. run_pipeline itself.
  CHECK(fecg::plan_stream(899'000, 1000.0, params, stream).n_chunks() == 1);
  // Margins round up to whole 10-s quality windows (at 360 Hz: 3600 samples).
  plan = fecg::plan_stream(360 * 3600, 360.0, params, {.chunk_s = 300, .margin_s = 25});
  CHECK(plan.margin == 3 * 3600);
  for (const std::int64_t s : plan.starts) CHECK((s % 3600 == 0 || s == 360 * 3600));
  CHECK_THROWS_AS(fecg::plan_stream(1000, 1000.0, params, {.chunk_s = 5, .margin_s = 1}), fecg::Error);
  CHECK_THROWS_AS(fecg::plan_stream(1000, 1000.0, params, {.chunk_s = 60, .margin_s = -1}), fecg::Error);
}

TEST_CASE("stream: chunked pipeline gives the in-memory beats and fECG (template subtraction)") {
  fecg::SynthParams sp;
  sp.duration_s = 480;
  sp.seed = 31;
  sp.snr_mn_db = 9.0;
  const fecg::SynthRecording sim = fecg::simulate(sp);
  const fecg::Recording& rec = sim.mixture;
  const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
  fecg::PipelineParams params;
  params.method = fecg::Method::template_subtraction;
  // The method alone: TS is local to each beat, so chunks must reproduce it; the pool's TS-ICA
  // unmixes each chunk on its own and may choose differently there.
  params.candidate_pool = false;
  const fecg::PipelineResult whole = fecg::run_pipeline(rec, roles, params);

  // 2-min chunks, 30-s margins: 4 chunks, seams at 120, 240 and 360 s.
  const fecg::StreamParams stream{.chunk_s = 120, .margin_s = 30};
  fecg::LeadMatrix fecg_streamed(rec.n_leads(), rec.n_samples());
  std::int64_t covered = 0;
  fecg::BeatIndices sink_fetal;
  std::vector<double> progress;
  const fecg::PipelineResult streamed = fecg::run_pipeline_streaming(
      rec, rec.n_samples(),
      [&](std::int64_t start, std::int64_t count) { return fecg::LeadMatrix(rec.samples_uv.middleCols(start, count)); },
      roles, params, stream,
      [&](const fecg::StreamChunk& c) {
        CHECK(c.start == covered);  // in order, contiguous
        CHECK(c.n_chunks == 4);
        fecg_streamed.middleCols(c.start, c.end - c.start) = c.fecg_uv;
        covered = c.end;
        sink_fetal.insert(sink_fetal.end(), c.fetal_beats.begin(), c.fetal_beats.end());
      },
      [&](double f, const std::string&) {
        progress.push_back(f);
        return true;
      });
  CHECK(covered == rec.n_samples());
  CHECK(sink_fetal == streamed.fetal_beats);
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(progress.back() == 1.0);
  CHECK(streamed.fecg_uv.size() == 0);
  CHECK(streamed.lead_names == whole.lead_names);

  // Beats: the filters have settled and the detectors see the same signal away from the chunk
  // edges, so the maternal beats are the same samples and every fetal beat lies within 4 ms (one
  // sample at the 250 Hz analysis rate) of the other path's, seams included (measured: 552 of
  // 552 maternal beats equal; 924 of 934 fetal beats equal, 10 one analysis sample apart).
  CHECK(streamed.maternal_beats == whole.maternal_beats);
  CHECK(streamed.fetal_beats.size() == whole.fetal_beats.size());
  CHECK(unmatched(whole.fetal_beats, streamed.fetal_beats, 4) == 0);
  CHECK(unmatched(streamed.fetal_beats, whole.fetal_beats, 4) == 0);
  // The streamed beats still find the simulator's truth.
  CHECK(fecg::score_beats(sim.fetal_peaks, streamed.fetal_beats, rec.fs_hz).f1 >= 0.99);

  // fECG: template subtraction is local (each beat's template comes from its 20 neighbours) but
  // aligns beats to, and keeps outliers out by, the median beat of all the beats it is given: a
  // chunk's median beat is not the whole recording's. Per chunk, the RMS of the difference
  // relative to the fECG's RMS (measured 1.3 %, 0.5 %, 22 %, 1.0 %: the third chunk's median
  // beat excludes other beats as outliers): at most 2 % in three chunks of four, 30 % in all.
  int close_chunks = 0;
  for (int c = 0; c < 4; ++c) {
    double diff = 0, energy = 0;
    for (int l = 0; l < rec.n_leads(); ++l)
      for (std::int64_t t = c * 120'000; t < (c + 1) * 120'000; ++t) {
        const double d = whole.fecg_uv(l, t) - fecg_streamed(l, t);
        diff += d * d;
        energy += static_cast<double>(whole.fecg_uv(l, t)) * whole.fecg_uv(l, t);
      }
    const double relative = std::sqrt(diff / energy);
    CAPTURE(c);
    CHECK(relative <= 0.30);
    if (relative <= 0.02) ++close_chunks;
  }
  CHECK(close_chunks >= 3);

  // Summary: heart rates within 0.5 bpm, quality windows on the same grid, SQI close.
  REQUIRE(streamed.fhr.mean_bpm.has_value());
  REQUIRE(whole.fhr.mean_bpm.has_value());
  CHECK(std::abs(*streamed.fhr.mean_bpm - *whole.fhr.mean_bpm) < 0.5);
  CHECK(std::abs(*streamed.mhr.mean_bpm - *whole.mhr.mean_bpm) < 0.5);
  REQUIRE(streamed.quality.windows.size() == whole.quality.windows.size());
  for (std::size_t i = 0; i < whole.quality.windows.size(); ++i)
    CHECK(streamed.quality.windows[i].start_s == doctest::Approx(whole.quality.windows[i].start_s));
  CHECK(std::abs(streamed.quality.sqi - whole.quality.sqi) < 0.05);
  CHECK(streamed.powerline_hz == whole.powerline_hz);
}

TEST_CASE("stream: TS-ICA chunked finds the same beats; a recording of 1.5 chunks or less is run_pipeline") {
  fecg::SynthParams sp;
  sp.duration_s = 300;
  sp.seed = 32;
  sp.snr_mn_db = 6.0;
  const fecg::SynthRecording sim = fecg::simulate(sp);
  const fecg::Recording& rec = sim.mixture;
  const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
  const fecg::PipelineParams params;  // TS-ICA
  const auto source = [&](std::int64_t start, std::int64_t count) {
    return fecg::LeadMatrix(rec.samples_uv.middleCols(start, count));
  };
  const fecg::PipelineResult whole = fecg::run_pipeline(rec, roles, params);
  // ICA unmixes each chunk on its own, so the fECG differs a little and a window may take its
  // beats from another candidate of the pool, a few ms away (measured: 93 % within 4 ms); the
  // beats agree within the scoring tolerance and are as right as the whole recording's.
  const fecg::PipelineResult streamed =
      fecg::run_pipeline_streaming(rec, rec.n_samples(), source, roles, params, {.chunk_s = 100, .margin_s = 30});
  CHECK(fecg::score_beats(whole.fetal_beats, streamed.fetal_beats, rec.fs_hz).f1 >= 0.99);
  CHECK(fecg::score_beats(whole.fetal_beats, streamed.fetal_beats, rec.fs_hz, 0.004).f1 >= 0.85);
  const double whole_f1 = fecg::score_beats(sim.fetal_peaks, whole.fetal_beats, rec.fs_hz).f1;
  CHECK(whole_f1 >= 0.95);
  CHECK(fecg::score_beats(sim.fetal_peaks, streamed.fetal_beats, rec.fs_hz).f1 >= whole_f1 - 0.01);
  CHECK(fecg::score_beats(whole.maternal_beats, streamed.maternal_beats, rec.fs_hz, 0.002).f1 >= 0.995);

  const fecg::PipelineResult single =
      fecg::run_pipeline_streaming(rec, rec.n_samples(), source, roles, params, {.chunk_s = 210, .margin_s = 30});
  CHECK(single.fetal_beats == whole.fetal_beats);
  CHECK(single.maternal_beats == whole.maternal_beats);
  CHECK(single.quality.sqi == doctest::Approx(whole.quality.sqi).epsilon(1e-6));
}

TEST_CASE("stream: a chunk that cannot be analysed is a warning, the others are kept") {
  fecg::SynthParams sp;
  sp.duration_s = 240;
  sp.seed = 33;
  sp.snr_mn_db = 9.0;
  fecg::Recording rec = fecg::simulate(sp).mixture;
  // Every lead missing in 60..120 s: that chunk (with its margins cut to nothing by the plan
  // below) has no sample at all.
  rec.samples_uv.middleCols(60'000, 60'000).setConstant(std::numeric_limits<float>::quiet_NaN());
  const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
  const fecg::PipelineResult out = fecg::run_pipeline_streaming(
      rec, rec.n_samples(),
      [&](std::int64_t start, std::int64_t count) { return fecg::LeadMatrix(rec.samples_uv.middleCols(start, count)); },
      roles, fecg::PipelineParams{}, {.chunk_s = 60, .margin_s = 0});
  CHECK(std::any_of(out.quality.warnings.begin(), out.quality.warnings.end(), [](const std::string& w) {
    return w.rfind("0:01:00–0:02:00: not analysed: pipeline: no abdominal lead", 0) == 0;
  }));
  for (const std::int64_t b : out.fetal_beats) CHECK((b < 60'000 || b >= 120'000));
  CHECK(out.fetal_beats.size() > 300);  // 3 of 4 minutes at 110–160 bpm

  // All chunks refused: the error itself.
  rec.samples_uv.setConstant(std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_WITH_AS(fecg::run_pipeline_streaming(
                           rec, rec.n_samples(),
                           [&](std::int64_t s, std::int64_t c) { return fecg::LeadMatrix(rec.samples_uv.middleCols(s, c)); },
                           roles, fecg::PipelineParams{}, {.chunk_s = 60, .margin_s = 0}),
                       doctest::Contains("no abdominal lead has any sample"), fecg::Error);
}

TEST_CASE("stream: FHNet runs chunked (plumbing only: the model in models/ may be untrained)") {
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model =
      std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(std::string(FECG_SOURCE_DIR) + "/models"));
  fecg::SynthParams sp;
  sp.duration_s = 150;
  sp.seed = 34;
  const fecg::Recording rec = fecg::simulate(sp).mixture;
  std::int64_t covered = 0;
  const fecg::PipelineResult out = fecg::run_pipeline_streaming(
      rec, rec.n_samples(),
      [&](std::int64_t start, std::int64_t count) { return fecg::LeadMatrix(rec.samples_uv.middleCols(start, count)); },
      fecg::guess_lead_roles(rec), params, {.chunk_s = 50, .margin_s = 10},
      [&](const fecg::StreamChunk& c) {
        CHECK(c.fecg_uv.rows() == 4);
        CHECK(c.fecg_uv.allFinite());
        covered = c.end;
      });
  CHECK(covered == rec.n_samples());
  CHECK(out.method == fecg::Method::fhnet);
  CHECK(std::is_sorted(out.fetal_beats.begin(), out.fetal_beats.end()));
  for (std::size_t i = 1; i < out.fetal_beats.size(); ++i) CHECK(out.fetal_beats[i] - out.fetal_beats[i - 1] >= 200);
  CHECK(out.quality.windows.size() == 15);
}

namespace {

std::string run_cli(const std::string& arguments, int& exit_code) {
  const fecg_test::CliRun run = fecg_test::run_cli(arguments);
  exit_code = run.exit_code;
  return run.output;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("stream: fecg extract --stream on writes the outputs of --stream off") {
  TempDir dir("cli");
  const std::string d = dir.path.string();
  int code = 0;
  run_cli("synth --seconds 180 --seed 35 --snr-mn 9 --nstdb none --format edf --out " + d + "/rec", code);
  REQUIRE(code == 0);
  const std::string on = run_cli("extract " + d + "/rec.edf --method ts --pool off --stream on --chunk-s 60 --out " + d + "/on", code);
  REQUIRE_MESSAGE(code == 0, on);
  CHECK(on.find("streamed in 3 chunks of 60 s (margins 60 s)") != std::string::npos);
  const std::string off = run_cli("extract " + d + "/rec.edf --method ts --pool off --stream off --out " + d + "/off", code);
  REQUIRE_MESSAGE(code == 0, off);
  CHECK(off.find("streamed") == std::string::npos);

  const std::string json_on = slurp(d + "/on/rec.json"), json_off = slurp(d + "/off/rec.json");
  CHECK(json_on.find("\"streaming\":{\"chunks\":3,\"chunk_s\":60,\"margin_s\":60}") != std::string::npos);
  CHECK(json_off.find("\"streaming\"") == std::string::npos);
  // The same beats (within 4 ms, one analysis sample), the same fECG CSV layout.
  const auto beats = [&](const std::string& path) {
    return fecg::beat_samples(fecg::read_wfdb_annotations(path).annotations);
  };
  CHECK(fecg::score_beats(beats(d + "/off/rec.fqrs"), beats(d + "/on/rec.fqrs"), 1000.0, 0.004).f1 >= 0.99);
  const fecg::Recording fecg_on = fecg::read_csv(d + "/on/rec_fecg.csv");
  const fecg::Recording fecg_off = fecg::read_csv(d + "/off/rec_fecg.csv");
  CHECK(fecg_on.lead_names == fecg_off.lead_names);
  CHECK(fecg_on.n_samples() == 180'000);
  CHECK(fecg_on.fs_hz == doctest::Approx(1000.0));

  // CSV cannot be streamed: on is an error naming why, auto reads it whole.
  fecg::write_csv(d + "/rec.csv", fecg::read_edf(d + "/rec.edf"));
  const std::string csv_on = run_cli("extract " + d + "/rec.csv --stream on --out " + d + "/csv", code);
  CHECK(code != 0);
  CHECK(csv_on.find("cannot be read by ranges") != std::string::npos);
  run_cli("extract " + d + "/rec.csv --quiet --out " + d + "/csv", code);
  CHECK(code == 0);
  const std::string bad = run_cli("extract " + d + "/rec.edf --stream sometimes", code);
  CHECK(code != 0);
  CHECK(bad.find("--stream: expected auto, on or off, got 'sometimes'") != std::string::npos);
}
