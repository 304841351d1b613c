// The core's results → JS values (convert.h).
#include "wasm/convert.h"

#include "pipeline/report.h"
#include "wasm/boundary.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace fecg::wasm {

using emscripten::val;

// ------------------------------------------------------------------------------- small results

val roles_to_js(const LeadRoles& roles) {
  val out = val::object();
  val abdominal = val::array();
  for (std::size_t i = 0; i < roles.abdominal.size(); ++i) abdominal.set(i, val(roles.abdominal[i]));
  out.set("abdominal", abdominal);
  out.set("reference", val(roles.reference));
  return out;
}

val annotations_to_js(const std::vector<Annotation>& annotations) {
  val out = val::array();
  for (std::size_t i = 0; i < annotations.size(); ++i) {
    val a = val::object();
    a.set("sample", val(static_cast<double>(annotations[i].sample)));
    a.set("label", val(annotations[i].label));
    out.set(i, a);
  }
  return out;
}

val beat_score_to_js(const BeatScore& s) {
  val out = val::object();
  out.set("truePositives", val(s.true_positives));
  out.set("falsePositives", val(s.false_positives));
  out.set("falseNegatives", val(s.false_negatives));
  out.set("sensitivity", val(s.sensitivity));
  out.set("ppv", val(s.ppv));
  out.set("f1", val(s.f1));
  return out;
}

val heart_rate_score_to_js(const HeartRateScore& s) {
  val out = val::object();
  out.set("n", val(s.n));
  out.set("maeBpm", s.n > 0 ? val(s.mae_bpm) : val::null());
  out.set("mseBpm2", s.n > 0 ? val(s.mse_bpm2) : val::null());
  return out;
}

val fhnet_output_to_js(const FhnetOutput& o) {
  val out = val::object();
  out.set("fecg", float32_array(o.fecg.data(), static_cast<std::size_t>(o.fecg.size())));
  out.set("rpeakProb", float32_array(o.rpeak_prob.data(), static_cast<std::size_t>(o.rpeak_prob.size())));
  out.set("leadAttention", float32_array(o.lead_attention));
  out.set("leadWeights", float32_array(o.lead_weights));
  out.set("leadPool", val(o.lead_pool));
  out.set("layers", val(o.layers));
  out.set("tokens", val(o.tokens));
  return out;
}

val fhnet_windows_to_js(const FhnetWindows& w) {
  val out = val::object();
  out.set("x", float32_array(w.x));
  out.set("leads", copy_array("Int32Array", w.leads.data(), w.leads.size()));
  out.set("window", val(w.window));
  out.set("fsHz", val(w.fs_hz));
  out.set("nWindows", val(static_cast<double>(w.n_windows())));
  return out;
}

val stream_chunk_to_js(const StreamChunk& c) {
  val chunk = val::object();
  chunk.set("index", val(c.index));
  chunk.set("nChunks", val(c.n_chunks));
  chunk.set("start", val(static_cast<double>(c.start)));
  chunk.set("end", val(static_cast<double>(c.end)));
  val leads = val::array();
  for (Eigen::Index i = 0; i < c.fecg_uv.rows(); ++i)
    leads.set(static_cast<unsigned>(i), float32_array(c.fecg_uv.row(i).data(), static_cast<std::size_t>(c.fecg_uv.cols())));
  chunk.set("fecg", leads);
  chunk.set("fetalBeats", beats_array(c.fetal_beats));
  chunk.set("maternalBeats", beats_array(c.maternal_beats));
  return chunk;
}

// --------------------------------------------------------------------------- the pipeline's result

val heart_rate_to_js(const HeartRateSeries& s) {
  val out = val::object();
  out.set("timeS", float64_array(s.time_s));
  out.set("bpm", float64_array(s.bpm));
  out.set("bpmSmooth", float64_array(s.bpm_smooth));
  std::vector<std::uint8_t> outlier(s.is_outlier.begin(), s.is_outlier.end());
  out.set("isOutlier", copy_array("Uint8Array", outlier.data(), outlier.size()));
  const auto optional = [](const std::optional<double>& v) { return v ? val(*v) : val::null(); };
  out.set("meanBpm", optional(s.mean_bpm));
  out.set("minBpm", optional(s.min_bpm));
  out.set("maxBpm", optional(s.max_bpm));
  return out;
}

val fetal_rate_to_js(const HeartRateSeries& s) {
  val out = heart_rate_to_js(s);
  std::vector<std::uint8_t> reliable(s.time_s.size(), 1);
  if (!s.reliable.empty()) reliable.assign(s.reliable.begin(), s.reliable.end());
  out.set("reliable", copy_array("Uint8Array", reliable.data(), reliable.size()));
  out.set("message", s.mean_bpm ? val::null() : val(std::string(kNoReliableFhr)));
  return out;
}

val ctg_to_js(const CtgAnalysis& c) {
  auto optional = [](const std::optional<double>& v) { return v ? val(*v) : val::null(); };
  val series = val::object();
  series.set("rateHz", val(c.series.rate_hz));
  series.set("fhrBpm", float64_array(c.series.fhr_bpm));
  series.set("mhrBpm", float64_array(c.series.mhr_bpm));
  std::vector<std::uint8_t> reliable(c.series.reliable.begin(), c.series.reliable.end());
  series.set("reliable", copy_array("Uint8Array", reliable.data(), reliable.size()));
  series.set("baselineBpm", float64_array(c.series.baseline_bpm));
  val out = val::object();
  out.set("series", series);
  out.set("durationS", val(c.duration_s));
  out.set("baselineMethod", val(c.baseline_method));
  out.set("baselineBpm", optional(c.baseline_bpm));
  out.set("variabilityBpm", optional(c.variability_bpm));
  out.set("variabilityBand", c.variability_band ? val(*c.variability_band) : val::null());
  out.set("stvMs", optional(c.stv_ms));
  out.set("signalLossPct", val(c.signal_loss_pct));
  val accelerations = val::null(), decelerations = val::null();
  if (c.accelerations) {
    accelerations = val::array();
    for (std::size_t i = 0; i < c.accelerations->size(); ++i) {
      const CtgAcceleration& a = (*c.accelerations)[i];
      val e = val::object();
      e.set("startS", val(a.start_s));
      e.set("endS", val(a.end_s));
      e.set("peakBpm", val(a.peak_bpm));
      accelerations.set(i, e);
    }
  }
  if (c.decelerations) {
    decelerations = val::array();
    for (std::size_t i = 0; i < c.decelerations->size(); ++i) {
      const CtgDeceleration& d = (*c.decelerations)[i];
      val e = val::object();
      e.set("startS", val(d.start_s));
      e.set("endS", val(d.end_s));
      e.set("nadirBpm", val(d.nadir_bpm));
      e.set("depthBpm", val(d.depth_bpm));
      e.set("durationS", val(d.duration_s));
      e.set("lostBeats", val(d.lost_beats));
      e.set("prolonged", val(d.prolonged));
      decelerations.set(i, e);
    }
  }
  out.set("accelerations", accelerations);
  out.set("decelerations", decelerations);
  auto episodes = [](const std::optional<std::vector<CtgEpisode>>& list) {
    if (!list) return val::null();
    val arr = val::array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      val e = val::object();
      e.set("startS", val((*list)[i].start_s));
      e.set("endS", val((*list)[i].end_s));
      e.set("meanBaselineBpm", val((*list)[i].mean_baseline_bpm));
      arr.set(i, e);
    }
    return arr;
  };
  out.set("tachycardia", episodes(c.tachycardia));
  out.set("bradycardia", episodes(c.bradycardia));
  out.set("notClassified", string_array(c.not_classified));
  val why = val::object();
  if (!c.baseline_bpm) why.set("baselineBpm", val(c.baseline_why_missing));
  if (!c.variability_bpm) why.set("variabilityBpm", val(c.variability_why_missing));
  if (!c.stv_ms) why.set("stvMs", val(c.stv_why_missing));
  if (!c.accelerations) why.set("accelerations", val(c.events_why_missing));
  if (!c.decelerations) why.set("decelerations", val(c.events_why_missing));
  if (!c.tachycardia) why.set("tachycardia", val(c.episodes_why_missing));
  if (!c.bradycardia) why.set("bradycardia", val(c.episodes_why_missing));
  out.set("whyMissing", why);
  return out;
}

// Float32Array of a matrix's values, row-major (windows × leads, windows × window).
namespace {
val matrix_array(const LeadMatrix& m) { return float32_array(m.data(), static_cast<std::size_t>(m.size())); }
}  // namespace

val quality_to_js(const SignalQuality& q) {
  val out = val::object();
  out.set("sqi", val(q.sqi));
  out.set("perLead", float32_array(q.lead_sqi.data(), q.lead_sqi.size()));
  val windows = val::array();
  for (std::size_t i = 0; i < q.windows.size(); ++i) {
    val w = val::object();
    w.set("startS", val(q.windows[i].start_s));
    w.set("endS", val(q.windows[i].end_s));
    w.set("sqi", val(q.windows[i].sqi));
    w.set("perLead", float32_array(q.windows[i].lead_sqi.data(), q.windows[i].lead_sqi.size()));
    w.set("reliable", val(q.windows[i].reliable));
    w.set("confidence", val(q.windows[i].confidence));
    w.set("whyUnreliable", val(q.windows[i].why_unreliable));
    w.set("source", val(q.windows[i].source));
    w.set("fecgSource", val(q.windows[i].fecg_source));
    w.set("beatsTracked", val(q.windows[i].beats_tracked));
    windows.set(i, w);
  }
  out.set("windows", windows);
  out.set("warnings", string_array(q.warnings));
  return out;
}

val timings_to_js(const StageTimings& t) {
  val out = val::object();
  out.set("preprocessMs", val(t.preprocess_ms));
  out.set("maternalMs", val(t.maternal_ms));
  out.set("extractMs", val(t.extract_ms));
  out.set("fetalMs", val(t.fetal_ms));
  out.set("heartRateMs", val(t.heart_rate_ms));
  out.set("explainMs", val(t.explain_ms));
  out.set("outputMs", val(t.output_ms));
  out.set("totalMs", val(t.total_ms));
  return out;
}

val morphology_to_js(const Morphology& m) {
  const AverageBeat& a = m.average;
  const auto num = [](const std::optional<double>& v) { return v && std::isfinite(*v) ? val(*v) : val::null(); };
  val out = val::object();
  out.set("computed", val(m.why_missing.empty()));
  out.set("message", m.why_missing.empty() ? val::null() : val(m.why_missing));
  out.set("lead", m.lead >= 0 ? val(m.lead_name) : val::null());
  out.set("leadIndex", val(m.lead));
  out.set("nBeats", val(a.n_beats));
  out.set("fsHz", val(a.fs_hz));
  out.set("rIndex", val(a.r_index));
  out.set("rrMs", a.rr_s > 0 ? val(a.rr_s * 1000) : val::null());
  out.set("snrDb", m.lead >= 0 ? num(a.snr_db[static_cast<std::size_t>(m.lead)]) : val::null());
  val beats = val::array();
  for (Eigen::Index l = 0; l < a.beat_uv.rows(); ++l)
    beats.set(static_cast<unsigned>(l), float32_array(a.beat_uv.row(l).data(), static_cast<std::size_t>(a.beat_uv.cols())));
  out.set("beatUv", beats);
  val marks = val::object();
  const std::pair<const char*, const WaveMark*> wm[] = {
      {"pOn", &m.waves.p_on},     {"pPeak", &m.waves.p_peak}, {"pOff", &m.waves.p_off},
      {"qrsOn", &m.waves.qrs_on}, {"rPeak", &m.waves.r_peak}, {"qrsOff", &m.waves.qrs_off},
      {"tOn", &m.waves.t_on},     {"tPeak", &m.waves.t_peak}, {"tOff", &m.waves.t_off}};
  for (const auto& [name, w] : wm)
    marks.set(name, m.lead >= 0 && w->sample ? val((*w->sample - a.r_index) * 1000.0 / a.fs_hz) : val::null());
  out.set("fiducialsMs", marks);
  val intervals = val::array();
  const std::tuple<const char*, const char*, const Measurement*> q[] = {
      {"prMs", "PR", &m.pr_ms}, {"pMs", "P", &m.p_ms}, {"qrsMs", "QRS", &m.qrs_ms}, {"qtMs", "QT", &m.qt_ms},
      {"qtcBazettMs", "QTc (Bazett)", &m.qtc_bazett_ms}, {"qtcFridericiaMs", "QTc (Fridericia)", &m.qtc_fridericia_ms},
      {"tQrsRatio", "T/QRS", &m.t_qrs_ratio}};
  unsigned k = 0;
  for (const auto& [key, label, v] : q) {
    val item = val::object();
    item.set("key", val(std::string(key)));
    item.set("label", val(std::string(label)));
    item.set("value", num(v->value));
    item.set("sd", num(v->sd));
    item.set("whyMissing", v->value ? val::null() : val(v->why_missing));
    val published = val::null();
    for (const PublishedComparison& p : m.published) {
      const std::string jk = p.quantity == "pr_ms" ? "prMs" : p.quantity == "p_ms" ? "pMs" : p.quantity == "qrs_ms" ? "qrsMs"
                           : p.quantity == "qt_ms" ? "qtMs" : "qtcBazettMs";
      if (jk != key) continue;
      published = val::object();
      published.set("meanMs", val(p.published_mean_ms));
      published.set("differenceMs", num(p.difference_ms));
      published.set("outsidePublishedRange",
                    p.outside_published_range ? val(*p.outside_published_range) : val::null());
      published.set("whyNoRange", val(p.why_no_range));
      published.set("source", val(std::string("Chia et al. 2005")));
    }
    item.set("published", published);
    intervals.set(k++, item);
  }
  out.set("intervals", intervals);
  out.set("computeMs", val(m.compute_ms));
  return out;
}

val explanation_to_js(const Explanation& e, int n_leads) {
  val out = val::object();
  out.set("fsHz", val(e.fs_hz));
  out.set("window", val(e.window));
  out.set("hop", val(e.hop));
  out.set("segment", val(e.segment));
  out.set("nWindows", val(e.n_windows()));
  out.set("nLeads", val(n_leads));
  std::vector<double> starts(e.window_starts.begin(), e.window_starts.end());
  out.set("windowStarts", float64_array(starts));
  out.set("leadAttention", matrix_array(e.lead_attention));
  out.set("leadOcclusion", matrix_array(e.lead_occlusion));
  out.set("occlusionFecgChange", matrix_array(e.occlusion_fecg_change));
  out.set("occlusionRpeakChange", matrix_array(e.occlusion_rpeak_change));
  out.set("saliency", float32_array(e.saliency.data(), static_cast<std::size_t>(e.saliency.size())));
  std::vector<std::int32_t> owner(e.saliency_window.begin(), e.saliency_window.end());
  out.set("saliencyWindow", copy_array("Int32Array", owner.data(), owner.size()));
  return out;
}

val window_explanation_to_js(const WindowExplanation& w, int index, double analysis_fs_hz) {
  val out = val::object();
  out.set("index", val(index));
  out.set("start", val(static_cast<double>(w.start)));
  out.set("startS", val(static_cast<double>(w.start) / analysis_fs_hz));
  out.set("window", val(w.window));
  out.set("segment", val(w.segment));
  out.set("leadAttention", float32_array(w.lead_attention));
  out.set("leadOcclusion", float32_array(w.lead_occlusion));
  out.set("occlusionFecgChange", float32_array(w.occlusion_fecg_change));
  out.set("occlusionRpeakChange", float32_array(w.occlusion_rpeak_change));
  out.set("saliency", float32_array(w.saliency));
  out.set("segmentFecgChange", float32_array(w.segment_fecg_change));
  out.set("segmentRpeakChange", float32_array(w.segment_rpeak_change));
  return out;
}

}  // namespace fecg::wasm
