// The classical extractors end to end (fecg::run_pipeline) on real PhysioNet recordings
// (../shared/data, see its README), scored against the expert fetal R peaks (±50 ms). Skipped, with
// a message, when the data folder is absent. Full-length numbers: tools/eval_classical.
#include <doctest/doctest.h>

#include "shared_data.h"

#include "core/recording.h"
#include "eval/metrics.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "pipeline/pipeline.h"

#include <filesystem>
#include <string>

namespace {

using fecg_test::have;
using fecg_test::kData;


// Fetal F1 of `method` on the first `seconds` of an ADFECGDB record (abdominal leads only).
double adfecgdb_f1(const std::string& record, fecg::Method method, double seconds) {
  const std::string path = kData + "/adfecgdb/" + record + ".edf";
  fecg::Recording r = fecg::read_record(path);
  const auto n = static_cast<Eigen::Index>(seconds * r.fs_hz);
  r.samples_uv = r.samples_uv.leftCols(n).eval();
  fecg::BeatIndices truth;
  for (const std::int64_t b : fecg::beat_samples(fecg::read_wfdb_annotations(path + ".qrs").annotations))
    if (b < n) truth.push_back(b);
  fecg::PipelineParams params;
  params.method = method;
  const fecg::PipelineResult out = fecg::run_pipeline(r, fecg::guess_lead_roles(r), params);
  return fecg::score_beats(truth, out.fetal_beats, r.fs_hz).f1;
}

}  // namespace

TEST_CASE("extract real data: plain ICA finds the fetal beats on ADFECGDB r01 and r07 (first 60 s)") {
  if (!have("adfecgdb/r01.edf")) return;
  // Before the fetal sources were judged without their maternal-synchronous part, ICA chose
  // maternal-leakage or noise sources here: F1 0.63 (r01) and 0.42 (r07) over the whole records;
  // now 0.998 and 0.964 (eval_classical). On 60 s: r01 1.0, r07 ~0.98.
  for (const std::string record : {"r01", "r07"}) {
    const double f1 = adfecgdb_f1(record, fecg::Method::ica, 60.0);
    MESSAGE(record << " ICA fetal F1 (first 60 s): " << f1);
    CHECK_MESSAGE(f1 >= 0.93, record);
  }
}

TEST_CASE("extract real data: TS-ICA finds the fetal beats on ADFECGDB r01 and r07 (first 60 s)") {
  if (!have("adfecgdb/r01.edf")) return;
  for (const std::string record : {"r01", "r07"}) {
    const double f1 = adfecgdb_f1(record, fecg::Method::ts_ica, 60.0);
    MESSAGE(record << " TS-ICA fetal F1 (first 60 s): " << f1);
    CHECK_MESSAGE(f1 >= 0.95, record);
  }
}
