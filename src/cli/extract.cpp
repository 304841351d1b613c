// fecg extract: the whole analysis of a recording, written as files other tools read.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/recording.h"
#include "core/types.h"
#include "ctg/ctg.h"
#include "detect/quality.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/record.h"
#include "io/record_reader.h"
#include "io/wfdb_annotations.h"
#include "model/fhnet.h"
#include "morph/morphology_report.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "pipeline/stream.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
using namespace fecg::cli;  // Args, parse_args, wants_help (args.h) and the commands' shared helpers

namespace {

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
                   free attention contributions: each lead's weight in FHNet's beat detection
                   (not for streamed recordings)
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

}  // namespace

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
