// The detectors on real PhysioNet recordings (../shared/data, see its README), prepared as the
// pipeline prepares its input: resampled to 250 Hz, power-line notch where hum is found, Butterworth
// band-pass 1-100 Hz zero-phase. Skipped, with a message, when the data folder is absent.
//   - Fetal: ADFECGDB `Direct_1` (fetal scalp electrode) against the expert fetal R peaks of
//     rNN.edf.qrs, matched one-to-one within ±50 ms.
//   - Maternal: ADFECGDB Abdomen_1..4 and Challenge 2013 set A (a01-a25): a plausible, regular
//     maternal rhythm (there is no maternal reference in either database).
#include <doctest/doctest.h>

#include "shared_data.h"

#include "core/recording.h"
#include "detect/heart_rate.h"
#include "detect/qrs.h"
#include "dsp/filter.h"
#include "dsp/resample.h"
#include "eval/metrics.h"
#include "io/record.h"
#include "io/wfdb.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

using fecg_test::have;
using fecg_test::kData;
constexpr double kFs = 250.0;


// The pipeline's stage 1 (src/pipeline/pipeline.cpp, preprocess) on the chosen rows. Missing
// samples (NaN in some Challenge 2013 records) are set to 0 first, as a gap.
fecg::LeadMatrix prepare(const fecg::Recording& r, const std::vector<int>& rows) {
  fecg::LeadMatrix x(static_cast<Eigen::Index>(rows.size()), r.n_samples());
  for (std::size_t k = 0; k < rows.size(); ++k) x.row(static_cast<Eigen::Index>(k)) = r.samples_uv.row(rows[k]);
  x = x.unaryExpr([](float v) { return std::isfinite(v) ? v : 0.0f; });
  const double hum_hz = fecg::detect_powerline_hz(x, r.fs_hz);
  fecg::LeadMatrix y = fecg::resample(x, r.fs_hz, kFs);
  if (hum_hz > 0) fecg::sosfiltfilt_rows(fecg::notch(hum_hz, 30.0, kFs), y);
  fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, 1.0, 100.0, kFs), y);
  return y;
}

int row_of(const fecg::Recording& r, const std::string& name) {
  const auto it = std::find(r.lead_names.begin(), r.lead_names.end(), name);
  REQUIRE_MESSAGE(it != r.lead_names.end(), "no lead " << name);
  return static_cast<int>(it - r.lead_names.begin());
}

// Maternal rhythm check: median rate in [min_bpm, max_bpm] (60-120 bpm unless stated), every
// smoothed rate in 40-180 bpm, >= 90 % of RR intervals within 20 % of the median RR of their
// ±5 neighbours (the heart_rate outlier rule: few missed or extra beats), beats up to both ends.
// `fetal`, where given, are reference fetal beats: a detector locked on the fetus would put most
// of its beats on them; by chance about 2 × 50 ms × the fetal rate (~25 %) fall within ±50 ms.
void check_maternal(const fecg::BeatIndices& beats, double duration_s, const std::string& what,
                    const fecg::BeatIndices& fetal = {}, double min_bpm = 60.0, double max_bpm = 120.0) {
  const fecg::HeartRateSeries hr = fecg::heart_rate(beats, kFs, {.min_bpm = 40.0, .max_bpm = 180.0});
  REQUIRE_MESSAGE(hr.bpm.size() > 3, what);
  std::vector<double> sorted = hr.bpm;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  const double median_bpm = sorted[sorted.size() / 2];
  const auto outliers = std::count(hr.is_outlier.begin(), hr.is_outlier.end(), true);
  const double regular = 1.0 - static_cast<double>(outliers) / static_cast<double>(hr.bpm.size());
  const int on_fetal = fecg::score_beats(fetal, beats, kFs, 0.05).true_positives;
  const double on_fetal_fraction = static_cast<double>(on_fetal) / static_cast<double>(beats.size());
  MESSAGE(what << ": maternal median " << median_bpm << " bpm (" << hr.min_bpm << "-" << hr.max_bpm << " smoothed), "
               << beats.size() << " beats, regular " << regular << ", on fetal beats " << on_fetal_fraction);
  CHECK_MESSAGE(median_bpm >= min_bpm, what);
  CHECK_MESSAGE(median_bpm <= max_bpm, what);
  CHECK_MESSAGE(hr.min_bpm >= 40.0, what);
  CHECK_MESSAGE(hr.max_bpm <= 180.0, what);
  CHECK_MESSAGE(regular >= 0.9, what);
  CHECK_MESSAGE(static_cast<double>(beats.front()) / kFs < 2.0, what);
  CHECK_MESSAGE(duration_s - static_cast<double>(beats.back()) / kFs < 2.0, what);
  if (!fetal.empty()) CHECK_MESSAGE(on_fetal_fraction < 0.5, what);
}

}  // namespace

TEST_CASE("detect real data: fetal QRS on the ADFECGDB scalp lead, F1 >= 0.99 on every record") {
  if (!have("adfecgdb/r01.edf")) return;
  int tp_all = 0, fp_all = 0, fn_all = 0;
  for (const std::string rec : {"r01", "r04", "r07", "r08", "r10"}) {
    const std::string path = kData + "/adfecgdb/" + rec + ".edf";
    const fecg::Recording r = fecg::read_record(path);
    const fecg::LeadMatrix direct = prepare(r, {row_of(r, "Direct_1")});
    const fecg::BeatIndices found = fecg::detect_fetal_qrs(direct, kFs);
    const fecg::BeatIndices truth = fecg::rescale_indices(
        fecg::beat_samples(fecg::read_wfdb_annotations(path + ".qrs").annotations), r.fs_hz, kFs);
    const fecg::BeatScore score = fecg::score_beats(truth, found, kFs, 0.05);
    const int tp = score.true_positives, fp = score.false_positives, fn = score.false_negatives;
    tp_all += tp, fp_all += fp, fn_all += fn;
    const double f1 = score.f1;
    MESSAGE(rec << " Direct_1: " << truth.size() << " reference beats, TP " << tp << " FP " << fp << " FN " << fn
                << ", F1 " << f1);
    CHECK_MESSAGE(f1 >= 0.99, rec);
  }
  MESSAGE("ADFECGDB Direct_1 overall F1 " << 2.0 * tp_all / (2.0 * tp_all + fp_all + fn_all));
}

TEST_CASE("detect real data: maternal QRS on ADFECGDB abdominal leads is plausible and regular") {
  if (!have("adfecgdb/r01.edf")) return;
  for (const std::string rec : {"r01", "r04", "r07", "r08", "r10"}) {
    const std::string path = kData + "/adfecgdb/" + rec + ".edf";
    const fecg::Recording r = fecg::read_record(path);
    std::vector<int> rows;
    for (const char* name : {"Abdomen_1", "Abdomen_2", "Abdomen_3", "Abdomen_4"}) rows.push_back(row_of(r, name));
    const fecg::LeadMatrix x = prepare(r, rows);
    const fecg::BeatIndices fetal = fecg::rescale_indices(
        fecg::beat_samples(fecg::read_wfdb_annotations(path + ".qrs").annotations), r.fs_hz, kFs);
    check_maternal(fecg::detect_maternal_qrs(x, kFs), r.duration_s(), rec, fetal);
  }
}

TEST_CASE("detect real data: maternal QRS on Challenge 2013 set A is plausible and regular") {
  if (!have("challenge2013/a01.hea")) return;
  for (int k = 1; k <= 25; ++k) {
    char name[8];
    std::snprintf(name, sizeof name, "a%02d", k);
    const fecg::Recording r = fecg::read_record(kData + "/challenge2013/" + name + ".hea");
    std::vector<int> rows(static_cast<std::size_t>(r.n_leads()));
    for (int l = 0; l < r.n_leads(); ++l) rows[static_cast<std::size_t>(l)] = l;
    const fecg::LeadMatrix x = prepare(r, rows);
    const std::string base = kData + "/challenge2013/" + name;
    const fecg::BeatIndices fetal =
        fecg::rescale_indices(fecg::beat_samples(fecg::read_wfdb_annotations(base + ".fqrs").annotations), r.fs_hz, kFs);
    // a02: the mother's rate rises smoothly from ~110 to ~145 bpm after 29 s (checked by eye on
    // all four leads: every detection on the dominant maternal QRS, RR 0.54 → 0.42 s, the fetal
    // beats of a02.fqrs at ~160 bpm in between), so its median is above 120 bpm.
    const double max_bpm = std::string(name) == "a02" ? 150.0 : 120.0;
    check_maternal(fecg::detect_maternal_qrs(x, kFs), r.duration_s(), name, fetal, 60.0, max_bpm);
  }
}
