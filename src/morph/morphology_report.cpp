// The morphology as JSON and CSV; see morphology_report.h.
#include "morph/morphology_report.h"

#include <cmath>
#include <cstdio>
#include <utility>

namespace fecg {
namespace {

void number_or_null(JsonWriter& json, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) json.value(*v);
  else json.null();
}

}  // namespace

void write_morphology_json(JsonWriter& json, const Morphology& m, const std::vector<std::string>& lead_names) {
  const AverageBeat& avg = m.average;
  json.key("morphology").begin_object();
  json.key("computed").value(m.why_missing.empty());
  if (!m.why_missing.empty()) json.key("message").value(m.why_missing);
  json.key("method").value(
      "averaged beat (sub-sample aligned, 20 % trimmed mean at >= 1 kHz) of the beats in reliable windows; "
      "wavelet delineator of Martinez et al. 2004 scaled to the heart rate; sd by jackknife over 5 groups of beats");
  if (m.lead >= 0) json.key("lead").value(m.lead_name);
  else json.key("lead").null();
  json.key("n_beats").value(avg.n_beats);
  if (m.lead >= 0) number_or_null(json.key("snr_db"), avg.snr_db[static_cast<size_t>(m.lead)]);
  else json.key("snr_db").null();
  if (avg.rr_s > 0) json.key("rr_ms").value(avg.rr_s * 1000);
  else json.key("rr_ms").null();
  const std::pair<const char*, const Measurement*> quantities[] = {
      {"pr_ms", &m.pr_ms}, {"p_ms", &m.p_ms}, {"qrs_ms", &m.qrs_ms}, {"qt_ms", &m.qt_ms},
      {"qtc_bazett_ms", &m.qtc_bazett_ms}, {"qtc_fridericia_ms", &m.qtc_fridericia_ms}, {"t_qrs_ratio", &m.t_qrs_ratio}};
  for (const auto& [name, q] : quantities) {
    number_or_null(json.key(name), q->value);
    number_or_null(json.key(std::string(name) + "_sd"), q->sd);
  }
  json.key("why_missing").begin_object();
  for (const auto& [name, q] : quantities)
    if (!q->value) json.key(name).value(q->why_missing);
  json.end_object();
  // Fiducial marks on the averaged beat, ms from its R peak.
  json.key("fiducials_ms").begin_object();
  const std::pair<const char*, const WaveMark*> marks[] = {
      {"p_on", &m.waves.p_on},     {"p_peak", &m.waves.p_peak}, {"p_off", &m.waves.p_off},
      {"qrs_on", &m.waves.qrs_on}, {"r_peak", &m.waves.r_peak}, {"qrs_off", &m.waves.qrs_off},
      {"t_on", &m.waves.t_on},     {"t_peak", &m.waves.t_peak}, {"t_off", &m.waves.t_off}};
  for (const auto& [name, mark] : marks) {
    if (m.lead >= 0 && mark->sample) json.key(name).value((*mark->sample - avg.r_index) * 1000.0 / avg.fs_hz);
    else json.key(name).null();
  }
  json.end_object();
  json.key("fiducial_confidence").begin_object();
  for (const auto& [name, mark] : marks) json.key(name).value(mark->sample ? mark->confidence : 0.0);
  json.end_object();
  json.key("leads").begin_array();
  for (size_t l = 0; l < avg.snr_db.size(); ++l) {
    json.begin_object().key("name").value(l < lead_names.size() ? lead_names[l] : "lead " + std::to_string(l + 1));
    number_or_null(json.key("snr_db"), avg.snr_db[l]);
    json.key("beat_variation").value(avg.variation[l]).end_object();
  }
  json.end_array();
  json.key("sliding").begin_array();
  for (const MorphologyWindow& w : m.sliding) {
    json.begin_object().key("start_s").value(w.start_s).key("end_s").value(w.end_s).key("n_beats").value(w.n_beats);
    number_or_null(json.key("snr_db"), w.snr_db);
    number_or_null(json.key("qrs_ms"), w.qrs_ms.value);
    number_or_null(json.key("qt_ms"), w.qt_ms.value);
    number_or_null(json.key("t_qrs_ratio"), w.t_qrs_ratio.value);
    json.end_object();
  }
  json.end_array();
  json.key("published").begin_array();
  for (const PublishedComparison& p : m.published) {
    json.begin_object().key("quantity").value(p.quantity).key("source").value("Chia et al. 2005, Prenat Diagn 25:546")
        .key("published_mean_ms").value(p.published_mean_ms);
    number_or_null(json.key("difference_ms"), p.difference_ms);
    if (p.outside_published_range) json.key("outside_published_range").value(*p.outside_published_range);
    else json.key("outside_published_range").null();
    json.key("why_no_range").value(p.why_no_range).end_object();
  }
  json.end_array();
  json.key("not_a_diagnosis").value(true);
  json.end_object();
}

std::string average_beat_csv(const Morphology& m, const std::vector<std::string>& lead_names) {
  const AverageBeat& avg = m.average;
  std::string out = "time_ms";
  const auto n_leads = static_cast<size_t>(avg.beat_uv.rows());
  for (size_t l = 0; l < n_leads; ++l)
    out += "," + (l < lead_names.size() ? lead_names[l] : "lead_" + std::to_string(l + 1)) + "_uv";
  out += "\n";
  char buf[64];
  for (Eigen::Index c = 0; c < avg.beat_uv.cols(); ++c) {
    std::snprintf(buf, sizeof buf, "%.3f", (static_cast<double>(c) - avg.r_index) * 1000.0 / avg.fs_hz);
    out += buf;
    for (size_t l = 0; l < n_leads; ++l) {
      std::snprintf(buf, sizeof buf, ",%.3f", static_cast<double>(avg.beat_uv(static_cast<Eigen::Index>(l), c)));
      out += buf;
    }
    out += "\n";
  }
  return out;
}

}  // namespace fecg
