// fecg: the command-line shell around the core (read → pipeline → write). Every command has
// --help; errors print one line "fecg: <what went wrong>" to stderr and exit non-zero.
#include "cli/args.h"
#include "core/error.h"
#include "core/json.h"
#include "dsp/resample.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/fhnet_npy.h"
#include "io/npy_file.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "core/json_parse.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "morph/morphology_report.h"
#include "pipeline/fhnet_dataset.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "pipeline/stream.h"
#include "io/nstdb.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int cmd_dataset(int argc, char** argv);  // src/cli/dataset.cpp
int cmd_delineate(int argc, char** argv);  // src/cli/delineate.cpp
std::optional<double> gestational_weeks(const fecg::cli::Args& args);  // src/cli/delineate.cpp
void print_morphology(const fecg::Morphology& m);                        // src/cli/delineate.cpp

namespace {

using fecg::cli::Args;
using fecg::cli::default_nstdb_dir;
using fecg::cli::parse_args;
using fecg::cli::wants_help;

constexpr const char* kVersion = FECG_VERSION;  // from CMakeLists.txt project()

constexpr const char* kUsage = R"(fecg — fetal ECG from abdominal recordings

usage: fecg <command> [options]

commands:
  info <record>      leads, rate, duration, units and annotations of a recording
  extract <record>   fetal ECG, fetal and maternal beats, heart rates and quality
  synth              simulate an abdominal recording with known truth
  eval               score fetal beats against reference beats
  dataset            simulate FHNet training data (.npy windows with targets)
  windows <record>   the FHNet input windows of a recording (.npy), for a network run elsewhere
  delineate <record> P, QRS and T wave marks of every beat (wavelet delineator), as CSV

<record> is a .edf, .hea or .csv file, or a WFDB record path without extension.
Run `fecg <command> --help` for the options of a command.
)";

constexpr const char* kInfoUsage = R"(usage: fecg info <record> [options]

Prints leads (name, unit, amplitude range), sampling rate, duration, start time, the guessed
roles of the leads (abdominal input, fetal reference) and the annotations found in the file.

options:
  --fs HZ        sampling rate of a CSV file without a time column
  --units UNIT   units of a CSV file's values: uV (default), mV or V
  --json         print one JSON object instead of text
)";

constexpr const char* kExtractUsage = R"(usage: fecg extract <record> [options]

Extracts the fetal ECG and writes into DIR:
  <name>.fqrs, <name>.mqrs   fetal / maternal beats (WFDB annotations at the input rate)
  <name>_fecg.csv            extracted fetal ECG per abdominal lead (µV, input rate)
  <name>_fhr.csv             fetal heart rate (time s, bpm beat-to-beat and smoothed)
  <name>_ctg.csv             the 4 Hz CTG series (time_s,fhr_bpm,mhr_bpm,reliable; fhr empty
                             where not reliable); FIGO 2015 features under "ctg" in <name>.json
  <name>.json                summary: FHR and MHR (mean/min/max), quality, method, timings,
                             morphology (averaged beat: PR, P, QRS, QT, QTc, T/QRS, or why not);
                             method fhnet: per 4.1 s window the lead contributions ("explain")
  <name>_beat.csv            the averaged fetal beat per lead (µV; time_ms from the R peak)
  <name>_saliency.csv        with --explain: temporal saliency, one row per sample at 250 Hz
                             (time_s from the start, saliency: 1 = average for its window,
                             window: index of the window in the JSON's explain.windows)

options:
  --method M       ts | ica | ts-ica | fhnet. Default: fhnet when --model or --engine-outputs is
                   given or a trained model is found in models/, else ts-ica (said on stderr).
                   fhnet with an untrained model warns
  --model DIR      the FHNet model files fhnet.json + fhnet.safetensors (default: models/ of
                   the source tree the executable was built in, build/<preset>/../../models)
  --explain        method fhnet: also explain by occlusion — each lead's contribution as the
                   change of the outputs when it is left out (K extra runs per window) and the
                   temporal saliency (32 runs per window: about 35 × the time of fhnet alone);
                   reads the recording whole (no streaming). Without it the JSON still gets the
                   free graph-attention contributions (not for streamed recordings)
  --pool MODE      on (default): the method's fetal ECG joins a pool with TS-ICA's and template
                   subtraction's, and each 10 s window takes its beats from the best-supported
                   candidate (quality.windows[].source in the JSON); off: the method alone.
                   Either way each window is judged reliable or not, with a confidence
  --engine-outputs DIR
                   method fhnet with a network run elsewhere: DIR holds x.npy from `fecg windows`
                   (same record and options) and the network's fecg.npy (windows × leads × 1024)
                   and rpeak_prob.npy (windows × 1024, probabilities); they replace our engine
  --out DIR        output directory (default: current directory; created if missing)
  --leads LIST     abdominal leads: names or 1-based indices, comma-separated
                   (default: every lead not named like a fetal reference, e.g. Direct_1)
  --reference L    the fetal reference lead (name or index), or "none"
  --powerline HZ   notch at 50 or 60 Hz, 0 for none, or auto (default: detected)
  --ref FILE       reference fetal beats (WFDB annotations) to score against; the scores go in
                   the JSON summary
  --fs HZ          sampling rate of a CSV file without a time column
  --units UNIT     units of a CSV file's values: uV (default), mV or V
  --stream MODE    auto (default): recordings longer than 30 min are analysed in chunks, read
                   from the file piece by piece, so memory stays bounded however long they are;
                   on: always in chunks; off: read and analyse the whole recording at once.
                   Chunked reading needs EDF or WFDB (not format 8); CSV is read whole
  --chunk-s S      chunk length when streaming (default 600; margins of 60 s either side)
  --gestational-weeks W
                   gestational age (10..45 weeks): the intervals are compared with the means
                   Chia et al. 2005 published (a comparison, never a diagnosis)
  --progress       always show the progress bar (default: only when stderr is a terminal)
  --quiet          print nothing but errors
)";

constexpr const char* kWindowsUsage = R"(usage: fecg windows <record> --out DIR [options]

Writes the windows the FHNet stage of `fecg extract --method fhnet` would hand to the network, so
that another runtime (PyTorch, ONNX Runtime) can run it; `fecg extract --engine-outputs DIR` then
finishes the analysis with that network's outputs through the same pipeline:
  DIR/x.npy         float32 windows × leads × 1024, normalised, at 250 Hz, in pipeline order
  DIR/windows.json  record, leads, windows, window, hop, sampling rate, window starts (250 Hz)

With reference fetal beats the windows become training data for a network (scripts/fhnet/train.py
--real, fine-tuning on annotated recordings):
  --ref FILE        reference fetal R peaks (WFDB annotations at the record's rate); writes
                    DIR/rpeak.npy, float32 windows × 1024: the R-peak target of `fecg dataset`
                    (a Gaussian of 10 ms sd at every reference beat)
  --hop N           a window every N samples at 250 Hz (1..1024; default 768, the pipeline's).
                    `fecg extract --engine-outputs` replays only windows cut at the default hop.

options: --leads, --reference, --powerline, --fs, --units as for `fecg extract`.
Recordings with more than 8 abdominal leads (run in groups of leads) are not supported here.
)";

constexpr const char* kSynthUsage = R"(usage: fecg synth --out PATH [options]

Simulates an abdominal recording (maternal and fetal rotating cardiac dipoles in a volume
conductor, heart-rate variability, respiration, noise) and writes:
  PATH.hea/.dat          the mixture, WFDB format 16 (or PATH.edf / PATH.csv with --format)
  PATH.fqrs, PATH.mqrs   true fetal and maternal R peaks (WFDB annotations)
  PATH_fecg.hea/.dat     the true fetal component per lead (WFDB format 16)

options:
  --seconds S      duration (default 60)
  --seed N         random seed (default 1); the same seed gives the same recording
  --leads K        abdominal leads, 1..32 (default 4)
  --rate HZ        sampling rate (default 1000)
  --snr-fm DB      fetal-to-maternal power ratio (default drawn around -9 dB, sd 2)
  --snr-mn DB      maternal-to-noise power ratio (default drawn from 0..12 dB)
  --maternal-bpm R mean maternal heart rate, 40..140 (default drawn from 60..100)
  --fetal-bpm R    mean fetal heart rate, 80..220 (default drawn from 110..160)
  --maternal-qrs F maternal Q/R/S width relative to adult norms, 0.2..1 (default 1); below 1
                   the sharp maternal R wave many abdominal leads show
  --ectopic P      probability of an ectopic beat per beat (default 0)
  --fetal-movement add slow fetal movement
  --nstdb DIR      real noise from MIT-BIH NSTDB records bw, em, ma in DIR, or "none" for the
                   statistical noise model (default: ../shared/data/nstdb when present)
  --format F       wfdb (default), edf or csv for the mixture
  --fhr-scenario S a scripted fetal heart rate for CTG analysis: steady, accelerations,
                   decelerations, bradycardia, tachycardia or mixed (a wandering baseline,
                   accelerations and abrupt, gradual and prolonged decelerations of 20-60 bpm);
                   --fetal-bpm then sets the baseline. Also writes PATH_truth.json:
                   {"fhr_baseline_bpm", "fhr_events": [{"type","start_s","end_s","extreme_bpm"}]}.
                   Without it the rate has random events, as in earlier versions, seed for seed.
)";

constexpr const char* kEvalUsage = R"(usage: fecg eval --ref A.fqrs --test B.fqrs [--rate HZ]

Scores test beats against reference beats: sensitivity, PPV and F1 with one-to-one matching
within ±50 ms, and the fetal heart rate MAE (bpm) and MSE (bpm²). Prints one line of JSON.

options:
  --ref FILE         reference beats (WFDB annotation file)
  --test FILE        beats to score (WFDB annotation file)
  --rate HZ          sampling rate of the annotations (default: from a "## time resolution" note,
                     or from the WFDB header beside either file)
  --tolerance-ms MS  acceptance window (default 50)
)";

// "data/r01.edf" → "r01"; "data/a01" → "a01"; "x.hea" → "x".
std::string record_name(const std::string& path) {
  fs::path p(path);
  const std::string ext = p.extension().string();
  if (ext == ".edf" || ext == ".EDF" || ext == ".hea" || ext == ".csv" || ext == ".dat" || ext == ".CSV")
    return p.stem().string();
  return p.filename().string();
}

fecg::ReadOptions read_options(const Args& args) {
  fecg::ReadOptions options;
  options.csv.fs_hz = args.optional_number("fs");
  if (auto units = args.get("units")) {
    if (!fecg::microvolts_per_unit(*units))
      throw fecg::Error("--units: expected uV, mV or V, got '" + *units + "'");
    options.csv.units = *units;
  }
  return options;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw fecg::Error("cannot write " + path.string());
}

// ---------------------------------------------------------------------------------------- info

int cmd_info(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kInfoUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"fs", "units"}, {"json"}, "info");
  if (args.positional.size() != 1) throw fecg::Error("info: expected one record (see fecg info --help)");
  const std::string path = args.positional[0];
  const fecg::Recording rec = fecg::read_record(path, read_options(args));
  fecg::LeadRoles roles;
  std::string roles_error;
  try {
    roles = fecg::guess_lead_roles(rec);
  } catch (const fecg::Error& e) {
    roles_error = e.what();
  }

  if (args.has("json")) {
    fecg::JsonWriter json;
    json.begin_object().key("record").value(record_name(path)).key("fs_hz").value(rec.fs_hz)
        .key("n_samples").value(static_cast<std::int64_t>(rec.n_samples()))
        .key("duration_s").value(rec.duration_s());
    if (rec.start_time) json.key("start_time").value(*rec.start_time);
    else json.key("start_time").null();
    json.key("leads").begin_array();
    for (int i = 0; i < rec.n_leads(); ++i) {
      const auto row = rec.samples_uv.row(i);
      json.begin_object().key("name").value(rec.lead_names[static_cast<size_t>(i)])
          .key("unit").value(rec.units[static_cast<size_t>(i)])
          .key("min_uv").value(static_cast<double>(row.minCoeff()))
          .key("max_uv").value(static_cast<double>(row.maxCoeff()))
          .key("role").value(i == roles.reference ? "reference"
                             : std::count(roles.abdominal.begin(), roles.abdominal.end(), i) ? "abdominal" : "unused")
          .end_object();
    }
    json.end_array().key("n_annotations").value(static_cast<std::int64_t>(rec.annotations.size())).end_object();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }

  std::printf("record      %s (%s)\n", record_name(path).c_str(), path.c_str());
  std::printf("rate        %g Hz\n", rec.fs_hz);
  std::printf("duration    %.3f s (%lld samples)\n", rec.duration_s(), static_cast<long long>(rec.n_samples()));
  std::printf("start       %s\n", rec.start_time ? rec.start_time->c_str() : "unknown");
  std::printf("leads       %d\n", rec.n_leads());
  for (int i = 0; i < rec.n_leads(); ++i) {
    const auto row = rec.samples_uv.row(i);
    const double mean = row.mean();
    const double rms = std::sqrt((row.array() - static_cast<float>(mean)).square().mean());
    const char* role = i == roles.reference ? "fetal reference"
                       : std::count(roles.abdominal.begin(), roles.abdominal.end(), i) ? "abdominal" : "unused";
    std::printf("  %2d  %-16s unit %-4s  range %10.1f .. %10.1f uV  rms %8.1f uV  %s\n", i + 1,
                rec.lead_names[static_cast<size_t>(i)].c_str(), rec.units[static_cast<size_t>(i)].c_str(),
                static_cast<double>(row.minCoeff()), static_cast<double>(row.maxCoeff()), rms, role);
  }
  if (!roles_error.empty()) std::printf("roles       %s\n", roles_error.c_str());
  std::printf("annotations %zu\n", rec.annotations.size());
  std::map<std::string, int> counts;
  for (const auto& a : rec.annotations) ++counts[a.label.size() > 24 ? a.label.substr(0, 24) + "…" : a.label];
  int shown = 0;
  for (const auto& [label, count] : counts) {
    if (++shown > 10) {
      std::printf("  … %zu more labels\n", counts.size() - 10);
      break;
    }
    std::printf("  %6d × \"%s\"\n", count, label.c_str());
  }
  return 0;
}

// ------------------------------------------------------------------------------------- extract

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { finish(); }
  bool update(double fraction, const std::string& stage) {
    if (!enabled_) return true;
    const int width = 30;
    const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
    std::fprintf(stderr, "\r[%s%s] %3d%% %-48.48s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), ' ').c_str(),
                 static_cast<int>(std::lround(fraction * 100)), stage.c_str());
    std::fflush(stderr);
    drawn_ = true;
    return true;
  }
  void finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

// Recordings longer than this are streamed by `extract --stream auto`: 30 min of 4 leads at
// 1 kHz analysed whole take about 250 MB (the pipeline holds several working copies), beyond
// which memory, not speed, becomes the limit.
constexpr double kStreamAbove_s = 30 * 60;

// The fECG CSV of a streamed recording, written chunk by chunk in blocks (the same text as
// write_csv of the whole fECG would give).
class FecgCsvAppender {
 public:
  FecgCsvAppender(const fs::path& path, const fecg::Recording& header, const fecg::LeadRoles& roles)
      : path_(path), fs_hz_(header.fs_hz), file_(path, std::ios::binary) {
    if (!file_) throw fecg::Error("extract: cannot open " + path.string() + " for writing");
    std::vector<std::string> names;
    for (const int row : roles.abdominal) names.push_back(header.lead_names[static_cast<size_t>(row)] + "_fecg");
    write(fecg::encode_csv_header(names));
  }
  void append(const fecg::StreamChunk& chunk) {
    // 10 s of rows at a time: a few hundred KB of text, not the chunk's tens of MB.
    const auto block = std::max<Eigen::Index>(1, static_cast<Eigen::Index>(10 * fs_hz_));
    for (Eigen::Index j = 0; j < chunk.fecg_uv.cols(); j += block) {
      const Eigen::Index n = std::min(block, chunk.fecg_uv.cols() - j);
      text_.clear();
      fecg::append_csv_rows(text_, chunk.fecg_uv.middleCols(j, n), chunk.start + j, fs_hz_);
      write(text_);
    }
  }
  void close() {
    file_.close();
    if (!file_) throw fecg::Error("extract: writing " + path_.string() + " failed");
  }

 private:
  void write(const std::string& text) {
    file_.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!file_) throw fecg::Error("extract: writing " + path_.string() + " failed");
  }
  fs::path path_;
  double fs_hz_;
  std::ofstream file_;
  std::string text_;
};

// The FHNet model directory: --model, else models/ of the source tree (the executable lives in
// build/<preset>/), else ./models.
fs::path fhnet_model_dir(const Args& args, const char* argv0) {
  if (auto dir = args.get("model")) return *dir;
  std::error_code ec;
  std::vector<fs::path> candidates;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / "../../models");
  candidates.push_back(fs::path(argv0).parent_path() / "../../models");
  candidates.push_back(fs::current_path(ec) / "models");
  for (const auto& c : candidates)
    if (fs::exists(c / "fhnet.json", ec)) return fs::weakly_canonical(c, ec);
  throw fecg::Error("extract: no FHNet model found (looked for models/fhnet.json beside the source tree and in "
                    "the working directory); pass --model DIR");
}

// Loads the model (the card checks the weights). Sets `untrained` from the card's
// training.trained (FhnetModel::trained).
std::shared_ptr<fecg::FhnetModel> load_fhnet_model(const fs::path& dir, bool& untrained) {
  auto model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model(fecg::read_fhnet_model_files(dir.string())));
  untrained = !model->trained();
  return model;
}

// `fecg extract` without --method runs FHNet in the candidate pool when a trained model is found
// (README "How well it works": the default is the best held out by mother). Returns
// that model, or nullptr (no model, an unreadable or untrained one: TS-ICA, said on stderr).
std::shared_ptr<fecg::FhnetModel> trained_default_model(const Args& args, const char* argv0, bool quiet) {
  std::string why;
  try {
    const fs::path dir = fhnet_model_dir(args, argv0);
    bool untrained = false;
    auto model = load_fhnet_model(dir, untrained);
    if (!untrained) return model;
    why = "the FHNet model in " + dir.string() + " is untrained";
  } catch (const fecg::Error& e) {
    why = e.what();
  }
  if (!quiet) std::fprintf(stderr, "fecg: using TS-ICA (%s)\n", why.c_str());
  return nullptr;
}

// Pipeline options shared by extract and windows.
fecg::PipelineParams pipeline_params(const Args& args) {
  fecg::PipelineParams params;
  params.method = fecg::parse_method(args.get("method").value_or("ts-ica"));
  if (auto pl = args.get("powerline"); pl && *pl != "auto") {
    params.powerline_hz = Args::parse_number("powerline", *pl);
    if (params.powerline_hz == -1)  // the core's "detect" is spelled auto here
      throw fecg::Error("--powerline: expected 50, 60, 0 or auto, got '" + *pl + "'");
    try {
      fecg::validate_fields(params);
    } catch (const fecg::Error& e) {
      throw fecg::Error("--powerline: expected 50, 60, 0 or auto, got '" + *pl + "' (" + e.what() + ")");
    }
  }
  return params;
}

// The outputs of a network run elsewhere on the windows of `fecg windows` (see kWindowsUsage).
std::shared_ptr<fecg::FhnetReplay> load_engine_outputs(const fs::path& dir) {
  return std::make_shared<fecg::FhnetReplay>(fecg::read_fhnet_engine_outputs(dir.string(), "--engine-outputs"));
}

int cmd_windows(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kWindowsUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"out", "leads", "reference", "powerline", "fs", "units", "ref", "hop"},
                               {"quiet"}, "windows");
  if (args.positional.size() != 1) throw fecg::Error("windows: expected one record (see fecg windows --help)");
  const auto out = args.get("out");
  if (!out || out->empty()) throw fecg::Error("windows: --out DIR is required");
  fecg::PipelineParams params = pipeline_params(args);
  constexpr int kWindow = fecg::FhnetCapture::kDefaultWindow;
  if (args.has("hop")) {
    const double hop = args.number("hop", params.fhnet.hop);
    if (!(hop >= 1 && hop <= kWindow) || hop != std::floor(hop))
      throw fecg::Error("windows: --hop must be a whole number of samples in 1.." + std::to_string(kWindow) +
                        ", got " + *args.get("hop"));
    params.fhnet.hop = static_cast<int>(hop);
  }
  // Read the reference beats before the work, so a wrong path fails fast.
  std::optional<fecg::WfdbAnnotations> reference;
  if (auto ref = args.get("ref")) reference = fecg::read_wfdb_annotations(*ref);
  const fecg::Recording rec = fecg::read_record(args.positional[0], read_options(args));
  const fecg::LeadRoles roles =
      fecg::select_lead_roles(rec, args.get("leads").value_or(""), args.get("reference").value_or(""));
  const fecg::CapturedFhnetWindows captured = fecg::capture_fhnet_windows(rec, roles, params);
  const fecg::FhnetWindows& w = captured.windows;
  const int leads = w.uniform_leads();
  if (leads == 0)
    throw fecg::Error("windows: " + std::to_string(roles.abdominal.size()) +
                      " abdominal leads run in groups of different sizes; select at most 8 with --leads");
  std::error_code ec;
  fs::create_directories(*out, ec);
  if (ec) throw fecg::Error("windows: cannot create " + *out + ": " + ec.message());
  const double afs = params.analysis_fs_hz;
  const std::int64_t n = captured.n_analysis;
  const std::vector<std::int64_t> starts = fecg::fhnet_window_starts(n, w.window, params.fhnet.hop);
  if (starts.size() != w.n_windows())
    throw fecg::Error("windows: " + std::to_string(w.n_windows()) + " windows captured, " +
                      std::to_string(starts.size()) + " expected (internal error)");
  std::vector<float> rpeak;
  std::size_t n_beats = 0;
  if (reference) {
    // Beats at the annotation's own rate when it states one (ADFECGDB .qrs files do), else at
    // the record's; outside the recording they are dropped (and counted in the JSON).
    const double ref_fs = reference->time_resolution_hz > 0 ? reference->time_resolution_hz : rec.fs_hz;
    fecg::BeatIndices beats = fecg::rescale_indices(fecg::beat_samples(reference->annotations), ref_fs, afs);
    beats.erase(std::remove_if(beats.begin(), beats.end(), [n](std::int64_t b) { return b < 0 || b >= n; }), beats.end());
    if (beats.empty())
      throw fecg::Error("windows: --ref " + *args.get("ref") + " holds no beat within the recording (" +
                        std::to_string(rec.duration_s()) + " s)");
    n_beats = beats.size();
    rpeak = fecg::rpeak_target_windows(beats, n, starts, w.window, fecg::FhnetDatasetParams{}.rpeak_sd_s * afs);
  }
  fecg::write_fhnet_windows(w, *out);
  if (reference)
    fecg::write_npy_f32((fs::path(*out) / "rpeak.npy").string(),
                        {static_cast<std::int64_t>(w.n_windows()), static_cast<std::int64_t>(w.window)}, rpeak.data());
  fecg::JsonWriter j;
  j.begin_object();
  j.key("record").value(record_name(args.positional[0]));
  j.key("leads").value(leads);
  j.key("windows").value(static_cast<std::int64_t>(w.n_windows()));
  j.key("window").value(w.window);
  j.key("hop").value(params.fhnet.hop);
  j.key("sampling_rate_hz").value(w.fs_hz);
  j.key("start").array(starts);
  if (reference) j.key("reference").value(*args.get("ref")).key("reference_beats").value(static_cast<std::int64_t>(n_beats));
  j.end_object();
  write_text(fs::path(*out) / "windows.json", j.str() + "\n");
  if (!args.has("quiet"))
    std::printf("%s: %zu windows × %d leads × %d samples -> %s/x.npy\n", record_name(args.positional[0]).c_str(),
                w.n_windows(), leads, w.window, out->c_str());
  return 0;
}

// One line of CTG features (the JSON has them all, with the reasons for what is missing).
void print_ctg(const fecg::CtgAnalysis& ctg) {
  if (!ctg.baseline_bpm) {
    std::printf("  ctg      signal loss %.1f %%; no baseline: %s\n", ctg.signal_loss_pct, ctg.baseline_why_missing.c_str());
    return;
  }
  char variability[64] = "not measurable", stv[32] = "not measurable";
  if (ctg.variability_bpm)
    std::snprintf(variability, sizeof variability, "%.0f bpm (%s)", *ctg.variability_bpm, ctg.variability_band->c_str());
  if (ctg.stv_ms) std::snprintf(stv, sizeof stv, "%.1f ms", *ctg.stv_ms);
  std::printf("  ctg      baseline %.0f bpm, variability %s, STV %s, %zu accelerations, %zu decelerations, "
              "signal loss %.1f %%\n",
              *ctg.baseline_bpm, variability, stv, ctg.accelerations->size(), ctg.decelerations->size(),
              ctg.signal_loss_pct);
}

int cmd_extract(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kExtractUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2,
                               {"method", "model", "engine-outputs", "out", "leads", "reference", "powerline", "ref",
                                "fs", "units", "stream", "chunk-s", "pool", "fallback", "gestational-weeks"},
                               {"progress", "quiet", "explain"}, "extract");
  if (args.positional.size() != 1) throw fecg::Error("extract: expected one record (see fecg extract --help)");
  const std::string path = args.positional[0];

  fecg::PipelineParams params = pipeline_params(args);
  params.morphology.gestational_weeks = gestational_weeks(args);  // src/cli/delineate.cpp
  const bool quiet = args.has("quiet");
  std::vector<std::string> cli_warnings;
  // Without --method: FHNet when the network is named (--model, --engine-outputs) or a trained
  // model is found, else TS-ICA.
  std::shared_ptr<fecg::FhnetModel> default_model;
  if (!args.has("method")) {
    const bool named = args.has("model") || args.has("engine-outputs");
    if (!named) default_model = trained_default_model(args, argv[0], quiet);
    params.method = named ? fecg::Method::fhnet : fecg::default_method(default_model != nullptr);
  }
  if (args.has("engine-outputs") && params.method != fecg::Method::fhnet)
    throw fecg::Error("extract: --engine-outputs replaces the FHNet engine; use it with --method fhnet");
  if (args.has("explain") && (params.method != fecg::Method::fhnet || args.has("engine-outputs")))
    throw fecg::Error("extract: --explain explains our FHNet engine; use it with --method fhnet and without --engine-outputs");
  params.explain.lead_occlusion = params.explain.saliency = args.has("explain");
  if (args.has("fallback"))
    throw fecg::Error("extract: --fallback was replaced by --pool on|off (a per-window choice between FHNet and the "
                      "classical methods, on by default)");
  if (auto pool = args.get("pool")) {
    if (*pool != "on" && *pool != "off") throw fecg::Error("--pool: expected on or off, got '" + *pool + "'");
    params.candidate_pool = *pool == "on";
  }
  if (args.has("engine-outputs") && args.has("model"))
    throw fecg::Error("extract: --engine-outputs and --model both name the network; give one");
  // Read the reference beats before the work, so a wrong path fails fast.
  std::optional<fecg::BeatIndices> reference_beats;
  if (auto ref = args.get("ref")) reference_beats = fecg::beat_samples(fecg::read_wfdb_annotations(*ref).annotations);

  // Long recordings are streamed: a ranged reader (EDF, WFDB) and the chunked pipeline; the
  // rest is read whole. `rec` is the whole recording or, when streaming, its header only.
  const std::string stream_mode = args.get("stream").value_or("auto");
  if (stream_mode != "auto" && stream_mode != "on" && stream_mode != "off")
    throw fecg::Error("--stream: expected auto, on or off, got '" + stream_mode + "'");
  // Replayed engine outputs follow the whole recording's FHNet windows, not a chunk's.
  if (stream_mode == "on" && args.has("explain"))
    throw fecg::Error("extract: --explain explains the whole recording's FHNet windows; use it with --stream off");
  if (stream_mode == "on" && args.has("engine-outputs"))
    throw fecg::Error("extract: --engine-outputs replays the windows of the whole recording; use it with --stream off");
  fecg::StreamParams stream;
  stream.chunk_s = args.number("chunk-s", stream.chunk_s);
  std::unique_ptr<fecg::RecordReader> reader;
  if (stream_mode != "off" && !args.has("engine-outputs") && !args.has("explain")) {
    try {
      reader = fecg::open_record_reader(path, read_options(args));
    } catch (const fecg::Error&) {
      if (stream_mode == "on") throw;  // auto: read_record() gives the file its whole-file chance
    }
    if (reader && stream_mode == "auto" && reader->duration_s() <= kStreamAbove_s) reader.reset();
  }
  std::optional<fecg::Recording> whole;
  if (!reader) whole = fecg::read_record(path, read_options(args));
  const fecg::Recording& rec = reader ? reader->header() : *whole;
  const std::int64_t n_samples = reader ? reader->n_samples() : whole->n_samples();
  const double duration_s = static_cast<double>(n_samples) / rec.fs_hz;
  const fecg::LeadRoles roles =
      fecg::select_lead_roles(rec, args.get("leads").value_or(""), args.get("reference").value_or(""));

  std::shared_ptr<fecg::FhnetReplay> replay;
  if (auto dir = args.get("engine-outputs")) {
    replay = load_engine_outputs(*dir);
    params.fhnet_model = replay;
  } else if (default_model) {
    params.fhnet_model = default_model;
  } else if (params.method == fecg::Method::fhnet) {
    const fs::path model_dir = fhnet_model_dir(args, argv[0]);
    bool untrained = false;
    params.fhnet_model = load_fhnet_model(model_dir, untrained);
    if (untrained) {
      cli_warnings.push_back("the FHNet model in " + model_dir.string() +
                             " is untrained (random weights): its output is not a fetal ECG");
      if (!quiet) std::fprintf(stderr, "fecg: warning: %s\n", cli_warnings.back().c_str());
    }
  }
  const fs::path out_dir = args.get("out").value_or(".");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw fecg::Error("extract: cannot create output directory " + out_dir.string() + ": " + ec.message());
  const std::string name = record_name(path);
  const fs::path fecg_path = out_dir / (name + "_fecg.csv");

  ProgressBar bar(!quiet && (args.has("progress") || (isatty(STDERR_FILENO) && duration_s > 60)));
  const auto on_progress = [&bar](double f, const std::string& stage) { return bar.update(f, stage); };
  fecg::PipelineResult result;
  fecg::StreamPlan plan;
  if (reader) {
    plan = fecg::plan_stream(n_samples, rec.fs_hz, params, stream);
    FecgCsvAppender fecg_csv(fecg_path, rec, roles);
    result = fecg::run_pipeline_streaming(
        rec, n_samples, [&reader](std::int64_t start, std::int64_t count) { return reader->read(start, count); },
        roles, params, stream, [&](const fecg::StreamChunk& chunk) { fecg_csv.append(chunk); }, on_progress);
    fecg_csv.close();
  } else {
    result = fecg::run_pipeline(*whole, roles, params, on_progress);
  }
  bar.finish();
  if (replay) replay->check_all_consumed("extract: --engine-outputs", "were they made by `fecg windows` on it?");
  if (!reader) fecg::write_csv(fecg_path.string(), fecg::fecg_recording(result));
  result.quality.warnings.insert(result.quality.warnings.begin(), cli_warnings.begin(), cli_warnings.end());

  fecg::ReportContext context;
  context.record_name = name;
  context.source_path = path;
  context.duration_s = duration_s;
  if (reader) {
    context.stream_chunks = plan.n_chunks();
    context.stream_chunk_s = stream.chunk_s;
    context.stream_margin_s = static_cast<double>(plan.margin) / rec.fs_hz;
  }
  context.version = kVersion;
  if (roles.reference >= 0) context.reference_lead = rec.lead_names[static_cast<size_t>(roles.reference)];
  if (reference_beats) {
    context.fetal_score = fecg::score_beats(*reference_beats, result.fetal_beats, rec.fs_hz);
    context.fhr_score = fecg::score_heart_rate(*reference_beats, result.fetal_beats, rec.fs_hz);
  }

  fecg::write_wfdb_annotations((out_dir / (name + ".fqrs")).string(), fecg::beat_annotations(result.fetal_beats));
  fecg::write_wfdb_annotations((out_dir / (name + ".mqrs")).string(), fecg::beat_annotations(result.maternal_beats));
  write_text(out_dir / (name + "_fhr.csv"), fecg::heart_rate_csv(result.fhr));
  write_text(out_dir / (name + "_ctg.csv"), fecg::ctg_csv(result.ctg));
  write_text(out_dir / (name + ".json"), fecg::summary_json(result, context) + "\n");
  write_text(out_dir / (name + "_beat.csv"), fecg::average_beat_csv(result.morphology, result.lead_names));
  if (args.has("explain")) write_text(out_dir / (name + "_saliency.csv"), fecg::saliency_csv(result));

  if (!quiet) {
    std::printf("%s: %d leads, %.1f s at %g Hz, method %s\n", name.c_str(), static_cast<int>(roles.abdominal.size()),
                duration_s, rec.fs_hz, fecg::method_name(result.method).c_str());
    if (reader)
      std::printf("  streamed in %d chunks of %g s (margins %g s), reading the file piece by piece\n",
                  context.stream_chunks, context.stream_chunk_s, context.stream_margin_s);
    std::size_t reliable = 0;
    for (const fecg::QualityWindow& w : result.quality.windows) reliable += w.reliable ? 1 : 0;
    if (result.fhr.mean_bpm)
      std::printf("  fetal    %zu beats, FHR %.1f bpm (%.1f–%.1f) over the %zu of %zu windows that are reliable\n",
                  result.fetal_beats.size(), *result.fhr.mean_bpm, *result.fhr.min_bpm, *result.fhr.max_bpm, reliable,
                  result.quality.windows.size());
    else
      std::printf("  fetal    %zu beats, %s (0 of %zu windows reliable)\n", result.fetal_beats.size(),
                  fecg::kNoReliableFhr, result.quality.windows.size());
    if (result.mhr.mean_bpm)
      std::printf("  maternal %zu beats, MHR %.1f bpm\n", result.maternal_beats.size(), *result.mhr.mean_bpm);
    else
      std::printf("  maternal %zu beats, no maternal heart rate\n", result.maternal_beats.size());
    print_ctg(result.ctg);
    std::printf("  quality  %.2f%s\n", static_cast<double>(result.quality.sqi),
                result.quality.warnings.empty() ? "" : " (warnings in the JSON summary)");
    // The first few warnings here; all of them are in the JSON summary.
    constexpr std::size_t kShownWarnings = 5;
    for (std::size_t i = 0; i < result.quality.warnings.size() && i < kShownWarnings; ++i)
      std::printf("    warning: %s\n", result.quality.warnings[i].c_str());
    if (result.quality.warnings.size() > kShownWarnings)
      std::printf("    … and %zu more warnings in %s.json\n", result.quality.warnings.size() - kShownWarnings, name.c_str());
    if (context.fetal_score)
      std::printf("  vs reference: Se %.4f  PPV %.4f  F1 %.4f  FHR MAE %.2f bpm\n", context.fetal_score->sensitivity,
                  context.fetal_score->ppv, context.fetal_score->f1, context.fhr_score->mae_bpm);
    print_morphology(result.morphology);  // src/cli/delineate.cpp
    std::printf("  time     %.1f ms\n", result.timings.total_ms);
    if (args.has("explain"))
      std::printf("  explain  %.1f ms (lead occlusion and saliency of %d windows)\n", result.timings.explain_ms,
                  result.explanation.n_windows());
    std::printf("  wrote    %s/%s{.fqrs,.mqrs,_fecg.csv,_fhr.csv,_ctg.csv,_beat.csv,.json%s}\n", out_dir.string().c_str(), name.c_str(),
                args.has("explain") ? ",_saliency.csv" : "");
  }
  return 0;
}

// --------------------------------------------------------------------------------------- synth

int cmd_synth(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kSynthUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2,
                               {"seconds", "seed", "leads", "rate", "snr-fm", "snr-mn", "ectopic", "nstdb",
                                "format", "out", "maternal-bpm", "fetal-bpm", "maternal-qrs", "fhr-scenario"},
                               {"fetal-movement"}, "synth");
  if (!args.positional.empty()) throw fecg::Error("synth: unexpected argument '" + args.positional[0] + "'");
  const auto out = args.get("out");
  if (!out || out->empty()) throw fecg::Error("synth: --out PATH is required (see fecg synth --help)");

  fecg::SynthParams params;
  params.duration_s = args.number("seconds", params.duration_s);
  const double seed = args.number("seed", 1);
  if (seed < 0 || seed != std::floor(seed) || seed > 9.0e15) throw fecg::Error("--seed: expected a non-negative integer");
  params.seed = static_cast<std::uint64_t>(seed);
  const double leads = args.number("leads", params.n_leads);
  if (leads != std::floor(leads)) throw fecg::Error("--leads: expected an integer");
  params.n_leads = static_cast<int>(std::clamp(leads, -1.0, 1000.0));
  params.fs_hz = args.number("rate", params.fs_hz);
  params.snr_fm_db = args.optional_number("snr-fm");
  params.snr_mn_db = args.optional_number("snr-mn");
  params.maternal_bpm = args.optional_number("maternal-bpm");
  params.fetal_bpm = args.optional_number("fetal-bpm");
  params.maternal_qrs_sharpness = args.number("maternal-qrs", params.maternal_qrs_sharpness);
  params.ectopic_probability = args.number("ectopic", 0.0);
  params.fetal_movement = args.has("fetal-movement");
  if (const auto scenario = args.get("fhr-scenario")) params.fhr_scenario = fecg::parse_fhr_scenario(*scenario);
  const std::string format = args.get("format").value_or("wfdb");
  if (format != "wfdb" && format != "edf" && format != "csv")
    throw fecg::Error("--format: expected wfdb, edf or csv, got '" + format + "'");

  fecg::NoiseBank noise;
  std::string noise_source = "statistical noise model";
  const std::string nstdb_arg = args.get("nstdb").value_or("");
  if (nstdb_arg != "none") {
    const std::optional<std::string> dir = nstdb_arg.empty() ? default_nstdb_dir(argv[0]) : nstdb_arg;
    if (dir) {
      noise = fecg::load_nstdb(*dir);
      noise_source = "MIT-BIH NSTDB records in " + *dir;
    }
  }

  const fecg::SynthRecording sim = fecg::simulate(params, noise);
  const fs::path base(*out);
  std::error_code ec;
  if (base.has_parent_path()) fs::create_directories(base.parent_path(), ec);
  if (format == "wfdb") fecg::write_wfdb_record(base.string(), sim.mixture);
  else if (format == "edf") fecg::write_edf(base.string() + ".edf", sim.mixture);
  else fecg::write_csv(base.string() + ".csv", sim.mixture);
  fecg::write_wfdb_annotations(base.string() + ".fqrs", fecg::beat_annotations(sim.fetal_peaks));
  fecg::write_wfdb_annotations(base.string() + ".mqrs", fecg::beat_annotations(sim.maternal_peaks));
  fecg::Recording fetal = sim.mixture;
  fetal.samples_uv = sim.fetal_uv;
  fetal.annotations.clear();
  for (auto& n : fetal.lead_names) n += "_fecg";
  fecg::write_wfdb_record(base.string() + "_fecg", fetal);
  if (sim.fhr_truth) write_text(base.string() + "_truth.json", fecg::fhr_truth_json(*sim.fhr_truth));

  std::printf("synth: %s: %d leads, %.1f s at %g Hz, seed %llu, SNRfm %.2f dB, SNRmn %.2f dB, "
              "FHR %.1f bpm, MHR %.1f bpm, %zu fetal and %zu maternal beats; noise: %s\n",
              base.string().c_str(), sim.mixture.n_leads(), sim.mixture.duration_s(), sim.mixture.fs_hz,
              static_cast<unsigned long long>(params.seed), sim.snr_fm_db, sim.snr_mn_db, sim.fetal_bpm,
              sim.maternal_bpm, sim.fetal_peaks.size(), sim.maternal_peaks.size(), noise_source.c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------- eval

// The sampling rate of an annotation file: its time-resolution note, else the header of the
// record it belongs to ("x.fqrs" → "x.hea"; "r01.edf.qrs" → "r01.edf").
std::optional<double> annotation_rate(const std::string& path, const fecg::WfdbAnnotations& annotations) {
  if (annotations.time_resolution_hz > 0) return annotations.time_resolution_hz;
  fs::path p(path);
  const fs::path stem = p.parent_path() / p.stem();
  std::error_code ec;
  if (fs::exists(stem.string() + ".hea", ec)) {
    std::ifstream in(stem.string() + ".hea");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return fecg::parse_wfdb_header(text).fs_hz;
  }
  if (stem.extension() == ".edf" && fs::exists(stem, ec)) return fecg::read_edf(stem.string()).fs_hz;
  return std::nullopt;
}

int cmd_eval(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kEvalUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"ref", "test", "rate", "tolerance-ms"}, {}, "eval");
  const auto ref_path = args.get("ref");
  const auto test_path = args.get("test");
  if (!ref_path || !test_path) throw fecg::Error("eval: --ref and --test are required (see fecg eval --help)");
  const fecg::WfdbAnnotations ref = fecg::read_wfdb_annotations(*ref_path);
  const fecg::WfdbAnnotations test = fecg::read_wfdb_annotations(*test_path);
  std::optional<double> rate = args.optional_number("rate");
  if (!rate) rate = annotation_rate(*ref_path, ref);
  if (!rate) rate = annotation_rate(*test_path, test);
  if (!rate) throw fecg::Error("eval: sampling rate unknown (no time-resolution note or header); pass --rate HZ");
  if (!(*rate > 0)) throw fecg::Error("eval: --rate must be positive");
  const double tolerance_s = args.number("tolerance-ms", 50.0) / 1000.0;
  if (!(tolerance_s > 0)) throw fecg::Error("eval: --tolerance-ms must be positive");

  const fecg::BeatIndices ref_beats = fecg::beat_samples(ref.annotations);
  const fecg::BeatIndices test_beats = fecg::beat_samples(test.annotations);
  const fecg::BeatScore s = fecg::score_beats(ref_beats, test_beats, *rate, tolerance_s);
  const fecg::HeartRateScore hr = fecg::score_heart_rate(ref_beats, test_beats, *rate);
  fecg::JsonWriter json;
  json.begin_object()
      .key("ref").value(*ref_path).key("test").value(*test_path).key("fs_hz").value(*rate)
      .key("tolerance_ms").value(tolerance_s * 1000.0)
      .key("n_ref").value(static_cast<std::int64_t>(ref_beats.size()))
      .key("n_test").value(static_cast<std::int64_t>(test_beats.size()))
      .key("tp").value(s.true_positives).key("fp").value(s.false_positives).key("fn").value(s.false_negatives)
      .key("se").value(s.sensitivity).key("ppv").value(s.ppv).key("f1").value(s.f1)
      .key("fhr_mae_bpm").value(hr.n > 0 ? hr.mae_bpm : NAN)
      .key("fhr_mse_bpm2").value(hr.n > 0 ? hr.mse_bpm2 : NAN)
      .end_object();
  std::printf("%s\n", json.str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (command == "--version") {
      std::printf("fecg %s\n", kVersion);
      return 0;
    }
    if (command == "info") return cmd_info(argc, argv);
    if (command == "extract") return cmd_extract(argc, argv);
    if (command == "synth") return cmd_synth(argc, argv);
    if (command == "eval") return cmd_eval(argc, argv);
    if (command == "dataset") return cmd_dataset(argc, argv);
    if (command == "windows") return cmd_windows(argc, argv);
    if (command == "delineate") return cmd_delineate(argc, argv);
    std::fprintf(stderr, "fecg: unknown command '%s' (see fecg --help)\n", command.c_str());
    return 2;
  } catch (const fecg::Cancelled&) {
    std::fprintf(stderr, "fecg: cancelled\n");
    return 130;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "fecg: out of memory (the recording is too large for this machine)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fecg: %s\n", e.what());
    return 1;
  }
}
