// Delineation of every beat of a recording; see record_waves.h.
#include "morph/record_waves.h"

#include "core/error.h"
#include "core/median.h"

#include <algorithm>
#include <string>

namespace fecg {

RecordWaves delineate_record(const Recording& recording, const std::vector<int>& rows, const BeatIndices& beats,
                             const DelineatorParams& params) {
  if (rows.empty()) throw Error("delineate_record: no leads to delineate");
  for (const int row : rows)
    if (row < 0 || row >= recording.n_leads())
      throw Error("delineate_record: lead " + std::to_string(row + 1) + " is not in the recording (it has " +
                  std::to_string(recording.n_leads()) + ")");
  BeatIndices sorted = beats;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  RecordWaves out;
  std::vector<double> rr;
  for (size_t i = 1; i < sorted.size(); ++i) rr.push_back(static_cast<double>(sorted[i] - sorted[i - 1]) / recording.fs_hz);
  if (!rr.empty()) {
    out.rr_s = upper_median_in_place(rr);
  } else {
    out.rr_s = params.reference_rr_s;
  }
  const std::vector<double> r(sorted.begin(), sorted.end());
  std::vector<std::vector<BeatWaves>> per_lead;
  for (const int row : rows) {
    const auto lead = recording.samples_uv.row(row);
    per_lead.push_back(delineate_martinez_2004(std::span<const float>(lead.data(), static_cast<size_t>(lead.size())),
                                               recording.fs_hz, r, out.rr_s, params));
  }
  out.beats.reserve(r.size());
  std::vector<const BeatWaves*> marks(rows.size());
  for (size_t i = 0; i < r.size(); ++i) {
    for (size_t l = 0; l < rows.size(); ++l) marks[l] = &per_lead[l][i];
    out.beats.push_back(combine_leads_martinez_2004(marks, recording.fs_hz));
  }
  return out;
}

std::vector<BeatWaves> wave_marks_from_annotations(const std::vector<Annotation>& annotations) {
  struct Wave {
    std::optional<double> on, peak, off;
  };
  std::vector<std::pair<char, Wave>> waves;  // in order: 'p', 'N', 't'
  for (size_t i = 0; i < annotations.size(); ++i) {
    const std::string& label = annotations[i].label;
    if (label != "p" && label != "N" && label != "t") continue;
    Wave w;
    w.peak = static_cast<double>(annotations[i].sample);
    if (i > 0 && annotations[i - 1].label == "(") w.on = static_cast<double>(annotations[i - 1].sample);
    if (i + 1 < annotations.size() && annotations[i + 1].label == ")")
      w.off = static_cast<double>(annotations[i + 1].sample);
    waves.emplace_back(label[0], w);
  }
  auto mark = [](const std::optional<double>& v) {
    return v ? WaveMark{v, 1.0, {}} : WaveMark{std::nullopt, 0.0, "not annotated"};
  };
  std::vector<BeatWaves> out;
  for (size_t i = 0; i < waves.size(); ++i) {
    if (waves[i].first != 'N') continue;
    BeatWaves b;
    b.r_given = *waves[i].second.peak;
    b.qrs_on = mark(waves[i].second.on);
    b.r_peak = mark(waves[i].second.peak);
    b.qrs_off = mark(waves[i].second.off);
    const Wave none;
    const Wave& p = (i > 0 && waves[i - 1].first == 'p') ? waves[i - 1].second : none;
    const Wave& t = (i + 1 < waves.size() && waves[i + 1].first == 't') ? waves[i + 1].second : none;
    b.p_on = mark(p.on);
    b.p_peak = mark(p.peak);
    b.p_off = mark(p.off);
    b.t_on = mark(t.on);
    b.t_peak = mark(t.peak);
    b.t_off = mark(t.off);
    out.push_back(b);
  }
  return out;
}

}  // namespace fecg
