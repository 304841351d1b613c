// The pipeline on a long recording in bounded memory: the recording is analysed in chunks of a
// few minutes, each read with a margin on either side, by the same run_pipeline as a short one.
// Only each chunk's central part is kept, so every kept sample was analysed at least `margin_s`
// away from a chunk edge: filters have settled, maternal templates have their neighbours and
// FHNet windows their context. Beats found twice at a seam are kept once.
//
//   auto reader = fecg::open_record_reader("night.edf");      // io/record.h
//   fecg::PipelineResult summary = fecg::run_pipeline_streaming(
//       reader->header(), reader->n_samples(),
//       [&](std::int64_t start, std::int64_t count) { return reader->read(start, count); },
//       roles, params, {}, [&](const fecg::StreamChunk& chunk) { /* append chunk.fecg_uv */ });
//   // summary.fetal_beats, summary.fhr, summary.quality: as run_pipeline's, over the whole recording
//
// Memory: one chunk (chunk_s + 2 margin_s of samples, and the pipeline's working copies of it),
// plus the beats and heart-rate series of the whole recording (about 0.3 MB per hour).
// A recording no longer than 1.5 chunks is one chunk: exactly run_pipeline.
#pragma once

#include "pipeline/pipeline.h"

#include <cstdint>
#include <functional>

namespace fecg {

struct StreamParams {
  // Kept part of each chunk. 10 minutes: the pipeline's working memory for 4 leads at 1 kHz
  // stays near 100 MB, and the margins add 20 % of work.
  double chunk_s = 600.0;
  // Analysed but discarded on each side of a chunk. 60 s: the 1 Hz high-pass settles within a
  // few seconds, template subtraction uses 20 neighbouring maternal beats (< 30 s at 40 bpm) and
  // FHNet windows are 4.1 s long.
  double margin_s = 60.0;
};

// Samples [start, start + count) of every lead of the recording, µV (leads × count); NaN marks a
// missing sample as with a whole Recording. Throws to abort the run.
using SampleSource = std::function<LeadMatrix(std::int64_t start, std::int64_t count)>;

// The results of one chunk's central part, in order: samples [start, end) of the recording.
struct StreamChunk {
  int index = 0, n_chunks = 0;
  std::int64_t start = 0, end = 0;   // samples at the input rate
  LeadMatrix fecg_uv;                // abdominal leads × (end - start), µV (0 where not analysed)
  BeatIndices fetal_beats;           // samples of the recording, newly found in this chunk
  BeatIndices maternal_beats;
};
using ChunkSink = std::function<void(const StreamChunk& chunk)>;

// Chunk boundaries: the central parts [starts[k], starts[k + 1]) cover [0, n_samples). Chunk and
// margin lengths are whole quality windows (params.quality_window_s), so that the quality
// windows and the resampling grid of every chunk line up with those of the whole recording; a
// short last piece (under half a chunk) joins the chunk before it.
struct StreamPlan {
  std::vector<std::int64_t> starts;  // n_chunks + 1 boundaries, starts.back() == n_samples
  std::int64_t margin = 0;           // samples
  int n_chunks() const { return static_cast<int>(starts.size()) - 1; }
};
StreamPlan plan_stream(std::int64_t n_samples, double fs_hz, const PipelineParams& params,
                       const StreamParams& stream = {});

// Runs the pipeline chunk by chunk over the abdominal leads chosen by `roles` (row indices of
// `header`, whose samples_uv may be empty: only fs_hz, lead_names and units are used). Each
// chunk's results go to `sink` as soon as they are final. Returns the summary of the whole
// recording: beats, heart rates (over all beats), quality (windows of every chunk; lead and
// overall SQI weighted by duration as assess_quality does) and warnings (each chunk's, prefixed
// with its time span, the same text from several chunks given once); fecg_uv, preprocessed and
// rpeak_prob are left empty. powerline_hz < 0 is detected on the first chunk and then kept.
// A chunk the pipeline refuses (e.g. every lead missing there) is reported as a warning and
// left out (fECG 0, no beats); if every chunk is refused, the first chunk's error is thrown.
PipelineResult run_pipeline_streaming(const Recording& header, std::int64_t n_samples, const SampleSource& read,
                                      const LeadRoles& roles, const PipelineParams& params,
                                      const StreamParams& stream = {}, const ChunkSink& sink = {},
                                      const ProgressFn& progress = {});

}  // namespace fecg
