// `fecg dataset`: the simulator in batch mode, writing FHNet training data that numpy reads
// (scripts/fhnet/train.py). The windows are made by the core (pipeline/fhnet_dataset.h) with the
// pipeline's own preprocessing and normalisation; this file only parses options and writes files.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/json.h"
#include "io/nstdb.h"
#include "model/npy.h"
#include "pipeline/fhnet_dataset.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr const char* kDatasetUsage = R"(usage: fecg dataset --out DIR [options]

Simulates recordings (one per seed) and writes FHNet training windows into DIR, cut and
normalised exactly as `fecg extract --method fhnet` does at inference (1024 samples at 250 Hz,
per-window per-lead robust scaling, padded to 8 leads):
  x.npy          float32  N × 8 × 1024  normalised input leads (padded leads are zeros)
  fecg.npy       float32  N × 8 × 1024  target: fetal component, same normalisation (÷ scale)
  rpeak.npy      float32  N × 1024      target: Gaussian (10 ms sd) at each fetal R peak
  mask.npy       uint8    N × 8         1 for a real lead
  scale_uv.npy   float32  N × 8         x_uv = x × scale_uv + center_uv (µV)
  center_uv.npy  float32  N × 8
  record.npy     int64    N             seed of the recording each window comes from
  start.npy      int64    N             first sample of the window (250 Hz)
  snr_mn_db.npy  float32  N             the recording's maternal-to-noise ratio (for SNR bands)
  manifest.json  parameters, seeds, counts, files and every recording's drawn conditions

options:
  --records N      recordings to simulate (default 100)
  --first-seed S   seed of the first recording; the others follow (default 1)
  --split SPLIT    train (default): seeds must stay below 900000; test: seeds must be >= 900000
  --seconds S      duration of each recording (default 30)
  --rate HZ        simulation rate before resampling to 250 Hz (default 500)
  --leads A-B      lead counts drawn uniformly from A..B, 1 <= A <= B <= 8 (default 2-8)
  --hop N          samples between window starts at 250 Hz (default 512)
  --snr-mn DB      the maternal-to-noise ratio: a value, or A..B to draw it uniformly
                   (default 0..24 dB: FECGSYNDB's 0..12 and cleaner recordings, as real ones are)
  --snr-fm DB      the fetal-to-maternal ratio: a value, or A..B to draw it uniformly
                   (default -18..-4 dB: FECGSYNDB's -9 ± 2 and weaker and stronger fetuses)
  --maternal-bpm A-B  maternal mean heart rates, drawn uniformly from A..B within 40..140
                   (default 55-130: overlaps the fetal range, so rate alone cannot tell them apart)
  --fetal-bpm A-B  fetal mean heart rates, drawn uniformly from A..B within 80..220 (default 100-180)
  --maternal-qrs A-B  maternal Q/R/S width relative to adult norms, drawn uniformly from A..B
                   within 0.2..1 (default 0.35-1: sharp maternal R waves, as many abdominal leads show)
  --nstdb DIR      real noise from MIT-BIH NSTDB (bw, em, ma) in DIR, or "none" for the
                   statistical model (default: ../shared/data/nstdb when present)
  --quiet          no progress lines
)";

// Streams one .npy array whose first dimension is known only at the end: a 128-byte header is
// reserved and rewritten by finish() with the final shape (same length, see npy_header).
class NpyWriter {
 public:
  static constexpr std::size_t kHeaderBytes = 128;

  NpyWriter(const fs::path& path, std::string descr, std::vector<std::int64_t> inner_shape)
      : path_(path), descr_(std::move(descr)), inner_(std::move(inner_shape)), out_(path, std::ios::binary) {
    if (!out_) throw fecg::Error("dataset: cannot create " + path.string());
    out_ << std::string(kHeaderBytes, ' ');
  }
  template <typename T>
  void append(const std::vector<T>& values, std::int64_t rows) {
    out_.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
    rows_ += rows;
  }
  std::vector<std::int64_t> shape() const {
    std::vector<std::int64_t> s{rows_};
    s.insert(s.end(), inner_.begin(), inner_.end());
    return s;
  }
  void finish() {
    const std::string header = fecg::npy_header(descr_, shape(), kHeaderBytes);
    if (header.size() != kHeaderBytes) throw fecg::Error("dataset: npy header of " + path_.string() + " too long");
    out_.seekp(0);
    out_.write(header.data(), static_cast<std::streamsize>(header.size()));
    out_.close();
    if (!out_) throw fecg::Error("dataset: cannot write " + path_.string());
  }
  const std::string& descr() const { return descr_; }
  std::string file_name() const { return path_.filename().string(); }

 private:
  fs::path path_;
  std::string descr_;
  std::vector<std::int64_t> inner_;
  std::ofstream out_;
  std::int64_t rows_ = 0;
};

// "A-B" (A <= B, both within lo..hi) for --maternal-bpm / --fetal-bpm / --maternal-qrs; "A" alone
// fixes the value.
std::pair<double, double> value_range(const char* option, const std::string& text, double lo, double hi) {
  double a = 0, b = 0;
  char tail = 0;
  const int got = std::sscanf(text.c_str(), "%lf-%lf%c", &a, &b, &tail);
  if (got == 1) b = a;
  if ((got != 1 && got != 2) || !std::isfinite(a) || !std::isfinite(b) || a < lo || b < a || b > hi) {
    char message[160];
    std::snprintf(message, sizeof message, ": expected A-B with %g <= A <= B <= %g, got '", lo, hi);
    throw fecg::Error(std::string("dataset: --") + option + message + text + "'");
  }
  return {a, b};
}

// A whole string as a finite number, or nullopt.
std::optional<double> finite_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// --snr-mn / --snr-fm: "V" fixes the ratio (dB), "A..B" draws it uniformly from A..B (A <= B).
void snr_option(const char* option, const std::string& text, std::optional<double>& fixed, double& lo, double& hi) {
  const auto fail = [&] {
    return fecg::Error(std::string("dataset: --") + option + ": expected a ratio in dB or A..B with A <= B, got '" +
                       text + "'");
  };
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) {
    fixed = finite_number(text);
    if (!fixed) throw fail();
    return;
  }
  const auto a = finite_number(text.substr(0, dots)), b = finite_number(text.substr(dots + 2));
  if (!a || !b || *a > *b) throw fail();
  lo = *a;
  hi = *b;
  fixed.reset();
}

}  // namespace

int cmd_dataset(int argc, char** argv) {
  if (fecg::cli::wants_help(argc, argv, 2)) {
    std::fputs(kDatasetUsage, stdout);
    return 0;
  }
  const fecg::cli::Args o = fecg::cli::parse_args(
      argc, argv, 2,
      {"out", "records", "first-seed", "split", "seconds", "rate", "leads", "hop", "snr-mn", "snr-fm", "nstdb",
       "maternal-bpm", "fetal-bpm", "maternal-qrs"},
      {"quiet"}, "dataset");
  if (!o.positional.empty()) throw fecg::Error("dataset: unexpected argument '" + o.positional[0] + "'");
  const auto out = o.get("out");
  if (!out || out->empty()) throw fecg::Error("dataset: --out DIR is required (see fecg dataset --help)");

  fecg::FhnetDatasetParams params;
  const std::int64_t records = o.integer("records", 100, 1, 10'000'000);
  const std::string split = o.get("split").value_or("train");
  if (split != "train" && split != "test") throw fecg::Error("dataset: --split: expected train or test, got '" + split + "'");
  const std::int64_t default_first = split == "test" ? static_cast<std::int64_t>(fecg::kFhnetTestSeedStart) : 1;
  const std::int64_t first_seed = o.integer("first-seed", default_first, 0, 9'000'000'000'000'000LL);
  const std::int64_t last_seed = first_seed + records - 1;
  const auto test_start = static_cast<std::int64_t>(fecg::kFhnetTestSeedStart);
  if (split == "train" && last_seed >= test_start)
    throw fecg::Error("dataset: training seeds must stay below " + std::to_string(test_start) + " (the test set's), got " +
                      std::to_string(first_seed) + ".." + std::to_string(last_seed));
  if (split == "test" && first_seed < test_start)
    throw fecg::Error("dataset: test seeds start at " + std::to_string(test_start) + ", got " + std::to_string(first_seed));
  params.duration_s = o.number("seconds", params.duration_s);
  params.sim_fs_hz = o.number("rate", params.sim_fs_hz);
  params.hop = static_cast<int>(o.integer("hop", params.hop, 1, params.window));
  if (const auto leads = o.get("leads")) {
    int a = 0, b = 0;
    char tail = 0;
    const int got = std::sscanf(leads->c_str(), "%d-%d%c", &a, &b, &tail);
    if (got == 1) b = a;
    if ((got != 1 && got != 2) || a < 1 || b < a || b > fecg::kFhnetPaddedLeads)
      throw fecg::Error("dataset: --leads: expected A-B with 1 <= A <= B <= 8, got '" + *leads + "'");
    params.min_leads = a;
    params.max_leads = b;
  }
  if (const auto r = o.get("maternal-bpm"))
    std::tie(params.maternal_bpm_min, params.maternal_bpm_max) = value_range("maternal-bpm", *r, 40, 140);
  if (const auto r = o.get("fetal-bpm"))
    std::tie(params.fetal_bpm_min, params.fetal_bpm_max) = value_range("fetal-bpm", *r, 80, 220);
  if (const auto r = o.get("maternal-qrs"))
    std::tie(params.maternal_qrs_sharpness_min, params.maternal_qrs_sharpness_max) = value_range("maternal-qrs", *r, 0.2, 1.0);
  if (const auto v = o.get("snr-mn")) snr_option("snr-mn", *v, params.snr_mn_db, params.snr_mn_min_db, params.snr_mn_max_db);
  if (const auto v = o.get("snr-fm")) snr_option("snr-fm", *v, params.snr_fm_db, params.snr_fm_min_db, params.snr_fm_max_db);

  fecg::NoiseBank noise;
  std::string noise_source = "statistical";
  const std::string nstdb_arg = o.get("nstdb").value_or("");
  if (nstdb_arg != "none") {
    const std::optional<std::string> dir = nstdb_arg.empty() ? fecg::cli::default_nstdb_dir(argv[0]) : nstdb_arg;
    if (dir) {
      noise = fecg::load_nstdb(*dir);
      noise_source = "nstdb:" + *dir;
    }
  }

  const fs::path dir(*out);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw fecg::Error("dataset: cannot create " + dir.string() + ": " + ec.message());
  const std::int64_t L = fecg::kFhnetPaddedLeads, W = params.window;
  NpyWriter x(dir / "x.npy", "<f4", {L, W}), fecg_target(dir / "fecg.npy", "<f4", {L, W}),
      rpeak(dir / "rpeak.npy", "<f4", {W}), mask(dir / "mask.npy", "|u1", {L}), scale(dir / "scale_uv.npy", "<f4", {L}),
      center(dir / "center_uv.npy", "<f4", {L}), record(dir / "record.npy", "<i8", {}),
      start(dir / "start.npy", "<i8", {}), snr_mn(dir / "snr_mn_db.npy", "<f4", {});

  std::vector<fecg::FhnetRecordConditions> conditions;
  for (std::int64_t r = 0; r < records; ++r) {
    const auto seed = static_cast<std::uint64_t>(first_seed + r);
    const fecg::FhnetTrainingWindows w = fecg::make_fhnet_training_windows(seed, params, noise);
    const std::int64_t n = w.n_windows;
    x.append(w.x, n);
    fecg_target.append(w.fecg, n);
    rpeak.append(w.rpeak, n);
    mask.append(w.mask, n);
    scale.append(w.scale_uv, n);
    center.append(w.center_uv, n);
    record.append(std::vector<std::int64_t>(static_cast<std::size_t>(n), static_cast<std::int64_t>(seed)), n);
    start.append(w.start, n);
    snr_mn.append(std::vector<float>(static_cast<std::size_t>(n), static_cast<float>(w.conditions.snr_mn_db)), n);
    conditions.push_back(w.conditions);
    if (!o.has("quiet") && ((r + 1) % 50 == 0 || r + 1 == records))
      std::fprintf(stderr, "dataset: %lld/%lld recordings\n", static_cast<long long>(r + 1), static_cast<long long>(records));
  }

  std::vector<NpyWriter*> writers{&x, &fecg_target, &rpeak, &mask, &scale, &center, &record, &start, &snr_mn};
  fecg::JsonWriter m;
  m.begin_object()
      .key("format").value("fecg-dataset").key("format_version").value(1)
      .key("split").value(split).key("first_seed").value(first_seed).key("records").value(records)
      .key("windows").value(x.shape()[0]).key("noise").value(noise_source);
  m.key("parameters").begin_object()
      .key("duration_s").value(params.duration_s).key("sim_fs_hz").value(params.sim_fs_hz)
      .key("analysis_fs_hz").value(params.preprocessing.analysis_fs_hz)
      .key("highpass_hz").value(params.preprocessing.highpass_hz).key("lowpass_hz").value(params.preprocessing.lowpass_hz)
      .key("window").value(params.window).key("hop").value(params.hop)
      .key("min_leads").value(params.min_leads).key("max_leads").value(params.max_leads)
      .key("rpeak_sd_s").value(params.rpeak_sd_s)
      .key("ectopic_record_probability").value(params.ectopic_record_probability)
      .key("ectopic_max").value(params.ectopic_max)
      .key("fetal_movement_probability").value(params.fetal_movement_probability)
      .key("maternal_peak_median_uv").value(params.maternal_peak_median_uv)
      .key("maternal_peak_log_sd").value(params.maternal_peak_log_sd)
      .key("maternal_peak_min_uv").value(params.maternal_peak_min_uv)
      .key("maternal_peak_max_uv").value(params.maternal_peak_max_uv)
      .key("maternal_bpm_min").value(params.maternal_bpm_min).key("maternal_bpm_max").value(params.maternal_bpm_max)
      .key("fetal_bpm_min").value(params.fetal_bpm_min).key("fetal_bpm_max").value(params.fetal_bpm_max)
      .key("maternal_qrs_sharpness_min").value(params.maternal_qrs_sharpness_min)
      .key("maternal_qrs_sharpness_max").value(params.maternal_qrs_sharpness_max);
  const auto drawn = [](double lo, double hi) {
    char text[64];
    std::snprintf(text, sizeof text, "drawn U(%g, %g)", lo, hi);
    return std::string(text);
  };
  m.key("snr_fm_db");
  if (params.snr_fm_db) m.value(*params.snr_fm_db); else m.value(drawn(params.snr_fm_min_db, params.snr_fm_max_db));
  m.key("snr_mn_db");
  if (params.snr_mn_db) m.value(*params.snr_mn_db); else m.value(drawn(params.snr_mn_min_db, params.snr_mn_max_db));
  m.key("normalisation").value("per window and lead: (x - median) / max(1.4826 MAD, 1 uV); targets / the same scale");
  m.end_object();
  m.key("files").begin_object();
  for (NpyWriter* wtr : writers) {
    wtr->finish();
    m.key(wtr->file_name()).begin_object().key("dtype").value(wtr->descr()).key("shape").array(wtr->shape()).end_object();
  }
  m.end_object();
  m.key("conditions_per_record").begin_array();
  for (const fecg::FhnetRecordConditions& c : conditions) {
    m.begin_object()
        .key("seed").value(static_cast<std::int64_t>(c.seed)).key("leads").value(c.n_leads)
        .key("snr_fm_db").value(c.snr_fm_db).key("snr_mn_db").value(c.snr_mn_db)
        .key("fetal_bpm").value(c.fetal_bpm).key("maternal_bpm").value(c.maternal_bpm)
        .key("maternal_peak_uv").value(c.maternal_peak_uv).key("maternal_qrs_sharpness").value(c.maternal_qrs_sharpness).key("ectopic_probability").value(c.ectopic_probability)
        .key("fetal_movement").value(c.fetal_movement).key("powerline_hz").value(c.powerline_hz)
        .key("fetal_peaks").value(c.n_fetal_peaks)
        .end_object();
  }
  m.end_array().end_object();
  std::ofstream mf(dir / "manifest.json", std::ios::binary);
  mf << m.str() << "\n";
  mf.close();
  if (!mf) throw fecg::Error("dataset: cannot write " + (dir / "manifest.json").string());
  if (!o.has("quiet"))
    std::printf("dataset: %s: %lld recordings (seeds %lld..%lld), %lld windows; noise: %s\n", dir.string().c_str(),
                static_cast<long long>(records), static_cast<long long>(first_seed), static_cast<long long>(last_seed),
                static_cast<long long>(x.shape()[0]), noise_source.c_str());
  return 0;
}
