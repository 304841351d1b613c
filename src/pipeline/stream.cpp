#include "pipeline/stream.h"

#include "core/error.h"
#include "detect/detect_common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace fecg {
namespace {

// Beats are kept from a little beyond each central part, so that a beat lying on a seam, which
// each chunk may place a sample or two on the other side, is not lost; the copy found by both
// chunks is then dropped. 100 ms on each side and duplicates within 200 ms: less than the
// shortest RR either detector allows (250 ms: 240 bpm fetal, the maternal refractory period).
constexpr double kSeamReach_s = 0.1;
constexpr double kSeamDuplicate_s = 0.2;

// The recording-wide quality warnings that the summary recomputes over all chunks (see
// assess_quality in detect/quality.cpp, which words them so); a chunk's own versions of them
// would speak of that chunk only, with times relative to its start.
constexpr const char* kRecomputedWarnings[] = {" has a low fetal ECG quality (SQI ", " have an SQI below ",
                                               " of fetal RR intervals are implausible"};
// As in detect/quality.cpp: windows and leads below this SQI are reported; RR limits of the
// plausibility check (240 and 60 bpm, 20 % from the local median).
constexpr float kLowSqi = 0.5f;
constexpr double kMinRr_s = 60.0 / 240.0, kMaxRr_s = 60.0 / 60.0, kRrTolerance = 0.2;

std::string clock_time(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

std::string fixed2(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

// Warnings in order of first appearance, each with the spans of the chunks that gave it.
class WarningLog {
 public:
  void add(const std::string& text, const std::string& span) {
    auto [it, inserted] = spans_.try_emplace(text);
    if (inserted) order_.push_back(text);
    it->second.push_back(span);
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const std::string& text : order_) {
      const std::vector<std::string>& spans = spans_.at(text);
      if (spans.front().empty()) {
        out.push_back(text);
        continue;
      }
      std::string line = spans.front() + ": " + text;
      if (spans.size() > 1) line += " (and in " + std::to_string(spans.size() - 1) + " more chunks)";
      out.push_back(std::move(line));
    }
    return out;
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::vector<std::string>> spans_;
};

bool is_recomputed(const std::string& warning) {
  for (const char* fragment : kRecomputedWarnings)
    if (warning.find(fragment) != std::string::npos) return true;
  return false;
}

// Appends `beats` (ascending, samples of the recording) to `out`, dropping those within
// `duplicate` samples of the last beat already there (the same beat seen by the previous chunk).
void append_beats(BeatIndices& out, const BeatIndices& beats, std::int64_t duplicate, BeatIndices& added) {
  for (const std::int64_t b : beats) {
    if (!out.empty() && b - out.back() < duplicate) continue;
    out.push_back(b);
    added.push_back(b);
  }
}

// The beats of a chunk result (samples of the chunk) that belong to [lo, hi) of the recording.
BeatIndices beats_in(const BeatIndices& chunk_beats, std::int64_t offset, std::int64_t lo, std::int64_t hi) {
  BeatIndices out;
  for (const std::int64_t b : chunk_beats)
    if (b + offset >= lo && b + offset < hi) out.push_back(b + offset);
  return out;
}

}  // namespace

StreamPlan plan_stream(std::int64_t n_samples, double fs_hz, const PipelineParams& params,
                       const StreamParams& stream) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz)) throw Error("plan_stream: sampling rate must be positive");
  if (n_samples < 1) throw Error("plan_stream: the recording has no samples");
  // 30 s: a chunk must hold enough beats for the maternal templates and the quality windows.
  if (!(stream.chunk_s >= 30.0) || !std::isfinite(stream.chunk_s))
    throw Error("plan_stream: chunk length must be at least 30 s, got " + std::to_string(stream.chunk_s));
  if (!(stream.margin_s >= 0.0) || !std::isfinite(stream.margin_s))
    throw Error("plan_stream: margin must be a non-negative number of seconds, got " + std::to_string(stream.margin_s));
  // The grid: one quality window in samples when it is a whole number of them (it is at every
  // usual rate), else one sample.
  const double window_n = params.quality_window_s * fs_hz;
  const std::int64_t grid = (window_n >= 1 && std::abs(window_n - std::round(window_n)) < 1e-9)
                                ? static_cast<std::int64_t>(std::llround(window_n))
                                : 1;
  const std::int64_t chunk =
      std::max<std::int64_t>(1, std::llround(stream.chunk_s * fs_hz / static_cast<double>(grid))) * grid;
  StreamPlan plan;
  plan.margin = static_cast<std::int64_t>(std::ceil(stream.margin_s * fs_hz / static_cast<double>(grid))) * grid;
  for (std::int64_t s = 0; s < n_samples; s += chunk) plan.starts.push_back(s);
  if (plan.starts.size() > 1 && n_samples - plan.starts.back() < chunk / 2) plan.starts.pop_back();
  plan.starts.push_back(n_samples);
  return plan;
}

PipelineResult run_pipeline_streaming(const Recording& header, std::int64_t n_samples, const SampleSource& read,
                                      const LeadRoles& roles, const PipelineParams& params,
                                      const StreamParams& stream, const ChunkSink& sink,
                                      const ProgressFn& progress) {
  const auto clock_start = std::chrono::steady_clock::now();
  const double fs = header.fs_hz;
  const StreamPlan plan = plan_stream(n_samples, fs, params, stream);
  const int n_chunks = plan.n_chunks();

  PipelineResult out;
  out.fs_hz = fs;
  out.method = params.method;
  out.analysis_fs_hz = params.analysis_fs_hz;
  for (const int row : roles.abdominal) {
    if (row < 0 || row >= static_cast<int>(header.lead_names.size()))
      throw Error("pipeline: abdominal lead index " + std::to_string(row) + " out of range");
    out.lead_names.push_back(header.lead_names[static_cast<size_t>(row)]);
  }
  const auto n_leads = static_cast<Eigen::Index>(out.lead_names.size());

  PipelineParams chunk_params = params;
  chunk_params.morphology.enabled = false;  // not combined across chunks: said in out.morphology
  WarningLog warnings;
  std::string first_error;
  int analysed = 0;
  const auto reach = static_cast<std::int64_t>(std::llround(kSeamReach_s * fs));
  const auto duplicate = std::max<std::int64_t>(1, std::llround(kSeamDuplicate_s * fs));

  for (int k = 0; k < n_chunks; ++k) {
    const std::int64_t a = plan.starts[static_cast<size_t>(k)], b = plan.starts[static_cast<size_t>(k) + 1];
    const std::int64_t r0 = std::max<std::int64_t>(0, a - plan.margin);
    const std::int64_t r1 = std::min(n_samples, b + plan.margin);
    const std::string span = n_chunks > 1 ? clock_time(static_cast<double>(a) / fs) + "–" +
                                                clock_time(static_cast<double>(b) / fs)
                                          : std::string();
    StreamChunk chunk;
    chunk.index = k;
    chunk.n_chunks = n_chunks;
    chunk.start = a;
    chunk.end = b;
    chunk.fecg_uv = LeadMatrix::Zero(n_leads, b - a);

    Recording piece;
    piece.fs_hz = fs;
    piece.lead_names = header.lead_names;
    piece.units = header.units;
    piece.start_time = header.start_time;
    piece.samples_uv = read(r0, r1 - r0);
    if (piece.samples_uv.rows() != static_cast<Eigen::Index>(header.lead_names.size()) ||
        piece.samples_uv.cols() != r1 - r0)
      throw Error("pipeline: the sample source returned " + std::to_string(piece.samples_uv.rows()) + " × " +
                  std::to_string(piece.samples_uv.cols()) + " samples, expected " +
                  std::to_string(header.lead_names.size()) + " × " + std::to_string(r1 - r0));

    const auto chunk_progress = [&](double f, const std::string& stage) {
      if (!progress) return true;
      return progress((k + f) / n_chunks, n_chunks > 1 ? "chunk " + std::to_string(k + 1) + "/" +
                                                             std::to_string(n_chunks) + ": " + stage
                                                       : stage);
    };
    PipelineResult r;
    try {
      r = run_pipeline(piece, roles, chunk_params, chunk_progress);
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what();
      warnings.add(std::string("not analysed: ") + e.what(), span.empty() ? "whole recording" : span);
      if (sink) sink(chunk);
      continue;
    }
    piece = Recording();  // the raw samples are no longer needed
    ++analysed;
    if (chunk_params.powerline_hz < 0) chunk_params.powerline_hz = r.powerline_hz;
    out.powerline_hz = r.powerline_hz;

    // fECG of the central part, row by lead name (a lead missing throughout the chunk is
    // dropped by run_pipeline and stays 0 here).
    std::vector<Eigen::Index> rows(r.lead_names.size(), -1);
    for (size_t i = 0; i < r.lead_names.size(); ++i) {
      const auto it = std::find(out.lead_names.begin(), out.lead_names.end(), r.lead_names[i]);
      rows[i] = it - out.lead_names.begin();
      chunk.fecg_uv.row(rows[i]) = r.fecg_uv.row(static_cast<Eigen::Index>(i)).segment(a - r0, b - a);
    }

    const std::int64_t lo = k == 0 ? 0 : a - reach, hi = k + 1 == n_chunks ? n_samples : b + reach;
    append_beats(out.fetal_beats, beats_in(r.fetal_beats, r0, lo, hi), duplicate, chunk.fetal_beats);
    append_beats(out.maternal_beats, beats_in(r.maternal_beats, r0, lo, hi), duplicate, chunk.maternal_beats);

    // Quality windows that lie in the central part, in the recording's time.
    for (std::size_t wi = 0; wi < r.quality.windows.size(); ++wi) {
      const QualityWindow& w = r.quality.windows[wi];
      const auto w_start = r0 + static_cast<std::int64_t>(std::llround(w.start_s * fs));
      if (w_start < a || w_start >= b) continue;
      if (wi < r.fusion_windows.size()) {
        WindowChoice choice = r.fusion_windows[wi];
        choice.start_s += static_cast<double>(r0) / fs;
        choice.end_s += static_cast<double>(r0) / fs;
        out.fusion_windows.push_back(choice);
      }
      // The chunk's window as it is (verdict, sources, ...), moved to the recording's time and
      // its per-lead SQI to the recording's lead order.
      QualityWindow kept = w;
      kept.start_s = w.start_s + static_cast<double>(r0) / fs;
      kept.end_s = w.end_s + static_cast<double>(r0) / fs;
      kept.lead_sqi.assign(static_cast<size_t>(n_leads), 0.0f);
      for (size_t i = 0; i < rows.size() && i < w.lead_sqi.size(); ++i)
        kept.lead_sqi[static_cast<size_t>(rows[i])] = w.lead_sqi[i];
      out.quality.windows.push_back(std::move(kept));
    }
    for (const std::string& w : r.quality.warnings)
      if (!is_recomputed(w)) warnings.add(w, span);

    const StageTimings& t = r.timings;
    out.timings.preprocess_ms += t.preprocess_ms;
    out.timings.maternal_ms += t.maternal_ms;
    out.timings.extract_ms += t.extract_ms;
    out.timings.fetal_ms += t.fetal_ms;
    out.timings.heart_rate_ms += t.heart_rate_ms;
    out.timings.output_ms += t.output_ms;
    if (sink) sink(chunk);
  }
  if (analysed == 0) throw Error(first_error);

  // Over the whole recording: heart rates from all beats, quality from all windows.
  const auto hr_clock = std::chrono::steady_clock::now();
  out.fhr = heart_rate(out.fetal_beats, fs, params.fetal_hr);
  apply_reliability(out.fhr, reliable_spans(out.quality));
  out.mhr = heart_rate(out.maternal_beats, fs, params.maternal_hr);
  SignalQuality& q = out.quality;
  q.lead_sqi.assign(static_cast<size_t>(n_leads), 0.0f);
  double total_weight = 0, sqi_sum = 0;
  std::vector<double> lead_sum(static_cast<size_t>(n_leads), 0.0);
  int low_windows = 0;
  double first_low_s = -1;
  for (const QualityWindow& w : q.windows) {
    const double weight = w.end_s - w.start_s;
    total_weight += weight;
    sqi_sum += weight * w.sqi;
    for (size_t l = 0; l < lead_sum.size(); ++l) lead_sum[l] += weight * w.lead_sqi[l];
    if (w.sqi < kLowSqi && low_windows++ == 0) first_low_s = w.start_s;
  }
  if (total_weight > 0) {
    for (size_t l = 0; l < lead_sum.size(); ++l) q.lead_sqi[l] = static_cast<float>(lead_sum[l] / total_weight);
    q.sqi = static_cast<float>(sqi_sum / total_weight);
  }
  if (out.fetal_beats.size() >= 3) {
    const double rr_ok = detect_detail::rr_regularity(out.fetal_beats, fs, kMinRr_s, kMaxRr_s, kRrTolerance);
    if (rr_ok < 0.8)
      warnings.add(std::to_string(static_cast<int>(std::lround(100 * (1.0 - rr_ok)))) +
                       " % of fetal RR intervals are implausible (outside 60-240 bpm or more than 20 % off their "
                       "neighbours): missed or extra beats likely",
                   "");
  }
  for (size_t l = 0; l < q.lead_sqi.size(); ++l)
    if (q.lead_sqi[l] < kLowSqi)
      warnings.add("lead '" + out.lead_names[l] + "' has a low fetal ECG quality (SQI " + fixed2(q.lead_sqi[l]) + ")", "");
  if (low_windows > 0)
    warnings.add(std::to_string(low_windows) + " of " + std::to_string(q.windows.size()) + " windows of " +
                     fixed2(params.quality_window_s) + " s have an SQI below " + fixed2(kLowSqi) + " (first at " +
                     fixed2(first_low_s) + " s): do not trust the fetal heart rate there",
                 "");
  q.warnings = warnings.lines();
  out.morphology = morphology_not_computed(
      "not computed for a recording analysed in chunks (streamed: longer than 30 min); analyse an excerpt "
      "of up to 30 min whole (fecg extract --stream off) for the averaged beat and its intervals");
  // CTG over the whole recording, from the merged heart rates (ctg/ctg.h).
  out.ctg = analyze_ctg(out.fhr, out.mhr, static_cast<double>(n_samples) / fs);
  const auto now = std::chrono::steady_clock::now();
  out.timings.heart_rate_ms += std::chrono::duration<double, std::milli>(now - hr_clock).count();
  out.timings.total_ms = std::chrono::duration<double, std::milli>(now - clock_start).count();
  if (progress && !progress(1.0, "done")) throw Cancelled();
  return out;
}

}  // namespace fecg
