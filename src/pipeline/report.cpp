#include "pipeline/report.h"

#include "core/json.h"
#include "morph/morphology_report.h"

#include "core/error.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fecg {
namespace {

JsonWriter& optional_value(JsonWriter& json, const std::optional<double>& v) {
  return v ? json.value(*v) : json.null();
}

// Rates: mean/min/max or null (never a clamp or a default). The fetal one says that its figures
// come from the reliable windows only, how many there are, and why there is none.
void write_rate(JsonWriter& json, const BeatIndices& beats, const HeartRateSeries& hr, const SignalQuality* quality) {
  json.begin_object().key("n_beats").value(static_cast<std::int64_t>(beats.size()));
  optional_value(json.key("mean_bpm"), hr.mean_bpm);
  optional_value(json.key("min_bpm"), hr.min_bpm);
  optional_value(json.key("max_bpm"), hr.max_bpm);
  if (quality) {
    std::int64_t reliable = 0;
    for (const QualityWindow& w : quality->windows) reliable += w.reliable ? 1 : 0;
    json.key("from_reliable_windows").value(true)
        .key("reliable_windows").value(reliable)
        .key("n_windows").value(static_cast<std::int64_t>(quality->windows.size()));
    if (!hr.mean_bpm) json.key("message").value(kNoReliableFhr);
  } else if (!hr.mean_bpm) {
    json.key("message").value("no heart rate (fewer than two plausible beats)");
  }
  json.end_object();
}

// Contributions and changes to 6 significant digits: beyond what they mean, and the JSON stays
// readable (the changes can be small: 1e-6 normalised units² for an untrained model).
double rounded(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return std::strtod(text, nullptr);
}

void write_row(JsonWriter& json, const LeadMatrix& m, Eigen::Index row) {
  json.begin_array();
  for (Eigen::Index k = 0; k < m.cols(); ++k) json.value(rounded(m(row, k)));
  json.end_array();
}

void write_column_means(JsonWriter& json, const LeadMatrix& m) {
  json.begin_array();
  for (Eigen::Index k = 0; k < m.cols(); ++k) json.value(rounded(m.col(k).cast<double>().mean()));
  json.end_array();
}

void write_explanation(JsonWriter& json, const PipelineResult& result) {
  const Explanation& e = result.explanation;
  json.key("explain").begin_object()
      .key("fs_hz").value(e.fs_hz)
      .key("window").value(e.window)
      .key("hop").value(e.hop)
      .key("leads").array(result.lead_names)
      .key("lead_attention").value(e.lead_attention.size() > 0)
      .key("lead_occlusion").value(e.lead_occlusion.size() > 0)
      .key("saliency_segment").value(e.segment);
  json.key("mean").begin_object();
  if (e.lead_attention.size() > 0) write_column_means(json.key("attention"), e.lead_attention);
  if (e.lead_occlusion.size() > 0) write_column_means(json.key("occlusion"), e.lead_occlusion);
  json.end_object();
  json.key("windows").begin_array();
  for (int w = 0; w < e.n_windows(); ++w) {
    const double start_s = static_cast<double>(e.window_starts[static_cast<std::size_t>(w)]) / e.fs_hz;
    json.begin_object().key("start_s").value(start_s).key("end_s").value(start_s + e.window / e.fs_hz);
    if (e.lead_attention.rows() == e.n_windows()) write_row(json.key("attention"), e.lead_attention, w);
    if (e.lead_occlusion.rows() == e.n_windows()) {
      write_row(json.key("occlusion"), e.lead_occlusion, w);
      write_row(json.key("occlusion_fecg_change"), e.occlusion_fecg_change, w);
      write_row(json.key("occlusion_rpeak_change"), e.occlusion_rpeak_change, w);
    }
    json.end_object();
  }
  json.end_array().end_object();
}

double round_to(double x, double step) { return std::round(x / step) * step; }

void write_episodes(JsonWriter& json, const char* name, const std::optional<std::vector<CtgEpisode>>& list) {
  json.key(name);
  if (!list) {
    json.null();
    return;
  }
  json.begin_array();
  for (const CtgEpisode& e : *list)
    json.begin_object()
        .key("start_s").value(round_to(e.start_s, 0.01))
        .key("end_s").value(round_to(e.end_s, 0.01))
        .key("duration_s").value(round_to(e.end_s - e.start_s, 0.01))
        .key("mean_baseline_bpm").value(round_to(e.mean_baseline_bpm, 0.1))
        .end_object();
  json.end_array();
}

}  // namespace

void write_ctg_json(JsonWriter& json, const CtgAnalysis& ctg) {
  auto optional = [&](const char* name, const std::optional<double>& v) {
    json.key(name);
    if (v) json.value(*v);
    else json.null();
  };
  json.begin_object()
      .key("rate_hz").value(ctg.series.rate_hz)
      .key("duration_s").value(ctg.duration_s)
      .key("baseline_method").value(ctg.baseline_method);
  optional("baseline_bpm", ctg.baseline_bpm);
  optional("variability_bpm", ctg.variability_bpm);
  json.key("variability_band");
  if (ctg.variability_band) json.value(*ctg.variability_band);
  else json.null();
  optional("stv_ms", ctg.stv_ms);
  json.key("signal_loss_pct").value(round_to(ctg.signal_loss_pct, 0.01));
  json.key("accelerations");
  if (ctg.accelerations) {
    json.begin_array();
    for (const CtgAcceleration& a : *ctg.accelerations)
      json.begin_object()
          .key("start_s").value(round_to(a.start_s, 0.01))
          .key("end_s").value(round_to(a.end_s, 0.01))
          .key("peak_bpm").value(round_to(a.peak_bpm, 0.1))
          .end_object();
    json.end_array();
  } else {
    json.null();
  }
  json.key("decelerations");
  if (ctg.decelerations) {
    json.begin_array();
    for (const CtgDeceleration& d : *ctg.decelerations)
      json.begin_object()
          .key("start_s").value(round_to(d.start_s, 0.01))
          .key("end_s").value(round_to(d.end_s, 0.01))
          .key("nadir_bpm").value(round_to(d.nadir_bpm, 0.1))
          .key("depth_bpm").value(round_to(d.depth_bpm, 0.1))
          .key("duration_s").value(round_to(d.duration_s, 0.01))
          .key("lost_beats").value(round_to(d.lost_beats, 0.1))
          .key("prolonged").value(d.prolonged)
          .end_object();
    json.end_array();
  } else {
    json.null();
  }
  write_episodes(json, "tachycardia", ctg.tachycardia);
  write_episodes(json, "bradycardia", ctg.bradycardia);
  json.key("not_classified").array(ctg.not_classified);
  // Why each null above is null (only the missing ones are listed).
  json.key("why_missing").begin_object();
  if (!ctg.baseline_bpm) json.key("baseline_bpm").value(ctg.baseline_why_missing);
  if (!ctg.variability_bpm) json.key("variability_bpm").value(ctg.variability_why_missing);
  if (!ctg.stv_ms) json.key("stv_ms").value(ctg.stv_why_missing);
  if (!ctg.accelerations) json.key("accelerations").value(ctg.events_why_missing);
  if (!ctg.decelerations) json.key("decelerations").value(ctg.events_why_missing);
  if (!ctg.tachycardia) json.key("tachycardia").value(ctg.episodes_why_missing);
  if (!ctg.bradycardia) json.key("bradycardia").value(ctg.episodes_why_missing);
  json.end_object();
  json.end_object();
}

std::string ctg_csv(const CtgAnalysis& ctg) {
  const CtgSeries& s = ctg.series;
  std::string out = "time_s,fhr_bpm,mhr_bpm,reliable\n";
  out.reserve(out.size() + s.size() * 24);
  char line[96];
  for (std::size_t k = 0; k < s.size(); ++k) {
    const double t = static_cast<double>(k) / s.rate_hz;
    char fhr[24] = "", mhr[24] = "";
    if (s.reliable[k]) std::snprintf(fhr, sizeof fhr, "%.2f", s.fhr_bpm[k]);
    if (std::isfinite(s.mhr_bpm[k])) std::snprintf(mhr, sizeof mhr, "%.2f", s.mhr_bpm[k]);
    std::snprintf(line, sizeof line, "%.2f,%s,%s,%d\n", t, fhr, mhr, s.reliable[k] ? 1 : 0);
    out += line;
  }
  return out;
}

std::string saliency_csv(const PipelineResult& result) {
  const Explanation& e = result.explanation;
  if (e.saliency.size() == 0 || e.saliency_window.size() != static_cast<std::size_t>(e.saliency.size()))
    throw Error("saliency_csv: the result holds no temporal saliency (run the pipeline with method fhnet and "
                "PipelineParams::explain.saliency)");
  std::string out = "time_s,saliency,window\n";
  out.reserve(out.size() + static_cast<std::size_t>(e.saliency.size()) * 24);
  char line[64];
  for (Eigen::Index i = 0; i < e.saliency.size(); ++i) {
    std::snprintf(line, sizeof line, "%.3f,%.4f,%d\n", static_cast<double>(i) / e.fs_hz, static_cast<double>(e.saliency(i)),
                  e.saliency_window[static_cast<std::size_t>(i)]);
    out += line;
  }
  return out;
}

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
  write_rate(json, result.fetal_beats, result.fhr, &result.quality);
  json.key("maternal");
  write_rate(json, result.maternal_beats, result.mhr, nullptr);

  json.key("quality").begin_object().key("sqi").value(static_cast<double>(result.quality.sqi));
  json.key("per_lead").begin_object();
  for (std::size_t i = 0; i < result.quality.lead_sqi.size() && i < result.lead_names.size(); ++i)
    json.key(result.lead_names[i]).value(static_cast<double>(result.quality.lead_sqi[i]));
  json.end_object();
  json.key("windows").begin_array();
  for (const QualityWindow& w : result.quality.windows) {
    json.begin_object().key("start_s").value(w.start_s).key("end_s").value(w.end_s)
        .key("sqi").value(static_cast<double>(w.sqi))
        .key("reliable").value(w.reliable)
        .key("confidence").value(rounded(w.confidence))
        .key("why_unreliable").value(w.why_unreliable)
        .key("source").value(w.source)
        .key("fecg_source").value(w.fecg_source)
        .key("beats_tracked").value(w.beats_tracked)
        .end_object();
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
      .key("explain").value(t.explain_ms)
      .key("output").value(t.output_ms)
      .key("total").value(t.total_ms)
      .end_object();

  if (result.explanation.n_windows() > 0) write_explanation(json, result);
  write_ctg_json(json.key("ctg"), result.ctg);

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
  write_morphology_json(json, result.morphology, result.lead_names);  // morph/morphology_report.h
  json.end_object();
  return json.str();
}

std::string heart_rate_csv(const HeartRateSeries& series) {
  std::string out = "time_s,fhr_bpm,fhr_smooth_bpm,outlier,reliable\n";
  char line[112];
  for (std::size_t i = 0; i < series.time_s.size(); ++i) {
    const bool reliable = series.reliable.empty() || series.reliable[i];
    std::snprintf(line, sizeof line, "%.4f,%.3f,%.3f,%d,%d\n", series.time_s[i], series.bpm[i],
                  i < series.bpm_smooth.size() ? series.bpm_smooth[i] : series.bpm[i],
                  i < series.is_outlier.size() && series.is_outlier[i] ? 1 : 0, reliable ? 1 : 0);
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
