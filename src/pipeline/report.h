// Reports of a pipeline run in the formats other tools ingest: a JSON summary, FHR and fECG as
// CSV. Used by the CLI and (later) the WebAssembly module, so both write the same documents.
#pragma once

#include "core/json.h"
#include "eval/metrics.h"
#include "pipeline/pipeline.h"

#include <optional>
#include <string>

namespace fecg {

struct ReportContext {
  std::string record_name;          // e.g. "r01"
  std::string source_path;          // as given by the user
  double duration_s = 0;
  std::string reference_lead;       // name of the reference lead, empty if none
  std::string version = "0.1.0";
  std::optional<BeatScore> fetal_score;        // against reference beats, when given
  std::optional<HeartRateScore> fhr_score;
  // Streamed analysis (pipeline/stream.h): chunks, chunk length and margin; 0 chunks: whole.
  int stream_chunks = 0;
  double stream_chunk_s = 0, stream_margin_s = 0;
};

// One JSON object: record, method, rates, leads, fetal and maternal beats and rates (mean, min,
// max), quality (overall, per lead, per window, warnings), timings, scores when known.
std::string summary_json(const PipelineResult& result, const ReportContext& context);

// Method fhnet: the JSON object's "explain" member holds the explanation (pipeline/explain.h):
// per window its start and end (s), the lead contributions from the graph attention and, when
// computed, by occlusion (with the raw changes), and their means over the windows.

// The whole-record temporal saliency as "time_s,saliency,window" rows, one per sample at the
// analysis rate (250 Hz; time_s from the start of the recording), saliency 1 = the average
// importance of a sample within its window, window = the index (0-based, as in the JSON's
// "explain.windows") of the window that weighs most in the blend at that sample. Throws
// fecg::Error when the result holds no saliency.
std::string saliency_csv(const PipelineResult& result);

// The summary's words when no window is reliable (fetal.message in the JSON; the CLI and the
// page show the same).
inline constexpr const char* kNoReliableFhr = "no reliable fetal heart rate";

// "time_s,fhr_bpm,fhr_smooth_bpm,outlier,reliable" rows, one per beat-to-beat value; reliable is 1
// when the value lies in a reliable window (or reliability was not judged), else 0.
// The "ctg" member of summary_json (ctg/ctg.h): baseline_bpm, variability_bpm, variability_band,
// stv_ms (null when not measurable), signal_loss_pct, accelerations [{start_s, end_s, peak_bpm}],
// decelerations [{start_s, end_s, nadir_bpm, depth_bpm, duration_s, lost_beats, prolonged}],
// tachycardia / bradycardia [{start_s, end_s, duration_s, mean_baseline_bpm}] (null, like the
// events, when there is no baseline), not_classified (reasons) and why_missing (per null member,
// its reason).
void write_ctg_json(JsonWriter& json, const CtgAnalysis& ctg);

// The 4 Hz series as "time_s,fhr_bpm,mhr_bpm,reliable" rows (fhr_bpm empty where not reliable,
// mhr_bpm empty where there is no maternal beat).
std::string ctg_csv(const CtgAnalysis& ctg);

// "time_s,fhr_bpm,fhr_smooth_bpm,outlier" rows, one per beat-to-beat value.
std::string heart_rate_csv(const HeartRateSeries& series);

// The extracted fECG as a Recording (for write_csv / write_wfdb_record): the abdominal lead
// names suffixed "_fecg", µV at the input rate.
Recording fecg_recording(const PipelineResult& result);

}  // namespace fecg
