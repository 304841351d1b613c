#include "pipeline/report.h"

#include "core/json.h"

#include <cstdio>

namespace fecg {
namespace {

void write_rate(JsonWriter& json, const BeatIndices& beats, const HeartRateSeries& hr) {
  json.begin_object()
      .key("n_beats").value(static_cast<std::int64_t>(beats.size()))
      .key("mean_bpm").value(hr.mean_bpm)
      .key("min_bpm").value(hr.min_bpm)
      .key("max_bpm").value(hr.max_bpm)
      .end_object();
}

}  // namespace

std::string summary_json(const PipelineResult& result, const ReportContext& context) {
  JsonWriter json;
  json.begin_object()
      .key("record").value(context.record_name)
      .key("source").value(context.source_path)
      .key("fecg_version").value(context.version)
      .key("method").value(method_name(result.method))
      .key("fs_hz").value(result.fs_hz)
      .key("analysis_fs_hz").value(result.analysis_fs_hz)
      .key("duration_s").value(context.duration_s)
      .key("leads").array(result.lead_names);
  if (context.reference_lead.empty()) json.key("reference_lead").null();
  else json.key("reference_lead").value(context.reference_lead);
  json.key("powerline_hz").value(result.powerline_hz);
  if (context.stream_chunks > 0) {
    json.key("streaming").begin_object()
        .key("chunks").value(static_cast<std::int64_t>(context.stream_chunks))
        .key("chunk_s").value(context.stream_chunk_s)
        .key("margin_s").value(context.stream_margin_s)
        .end_object();
  }
  json.key("fetal");
  write_rate(json, result.fetal_beats, result.fhr);
  json.key("maternal");
  write_rate(json, result.maternal_beats, result.mhr);

  json.key("quality").begin_object().key("sqi").value(static_cast<double>(result.quality.sqi));
  json.key("per_lead").begin_object();
  for (std::size_t i = 0; i < result.quality.lead_sqi.size() && i < result.lead_names.size(); ++i)
    json.key(result.lead_names[i]).value(static_cast<double>(result.quality.lead_sqi[i]));
  json.end_object();
  json.key("windows").begin_array();
  for (const QualityWindow& w : result.quality.windows) {
    json.begin_object().key("start_s").value(w.start_s).key("end_s").value(w.end_s)
        .key("sqi").value(static_cast<double>(w.sqi)).end_object();
  }
  json.end_array();
  json.key("warnings").array(result.quality.warnings).end_object();

  const StageTimings& t = result.timings;
  json.key("timings_ms").begin_object()
      .key("preprocess").value(t.preprocess_ms)
      .key("maternal").value(t.maternal_ms)
      .key("extract").value(t.extract_ms)
      .key("fetal").value(t.fetal_ms)
      .key("heart_rate").value(t.heart_rate_ms)
      .key("output").value(t.output_ms)
      .key("total").value(t.total_ms)
      .end_object();

  if (context.fetal_score) {
    const BeatScore& s = *context.fetal_score;
    json.key("fetal_score").begin_object()
        .key("sensitivity").value(s.sensitivity).key("ppv").value(s.ppv).key("f1").value(s.f1)
        .key("tp").value(s.true_positives).key("fp").value(s.false_positives)
        .key("fn").value(s.false_negatives);
    if (context.fhr_score) {
      json.key("fhr_mae_bpm").value(context.fhr_score->mae_bpm)
          .key("fhr_mse_bpm2").value(context.fhr_score->mse_bpm2);
    }
    json.end_object();
  }
  json.end_object();
  return json.str();
}

std::string heart_rate_csv(const HeartRateSeries& series) {
  std::string out = "time_s,fhr_bpm,fhr_smooth_bpm,outlier\n";
  char line[96];
  for (std::size_t i = 0; i < series.time_s.size(); ++i) {
    std::snprintf(line, sizeof line, "%.4f,%.3f,%.3f,%d\n", series.time_s[i], series.bpm[i],
                  i < series.bpm_smooth.size() ? series.bpm_smooth[i] : series.bpm[i],
                  i < series.is_outlier.size() && series.is_outlier[i] ? 1 : 0);
    out += line;
  }
  return out;
}

Recording fecg_recording(const PipelineResult& result) {
  Recording out;
  out.fs_hz = result.fs_hz;
  out.samples_uv = result.fecg_uv;
  for (const std::string& name : result.lead_names) {
    out.lead_names.push_back(name + "_fecg");
    out.units.push_back("uV");
  }
  return out;
}

}  // namespace fecg
