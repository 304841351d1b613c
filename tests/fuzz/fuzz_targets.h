// The bodies of the libFuzzer targets (tests/fuzz/fuzz_*.cpp) and of their regression replay
// (tests/unit/test_fuzz_regressions.cpp, which feeds every file of tests/fuzz/regressions/<target>/
// to the same body in the ordinary native build). Each body takes arbitrary bytes and must return
// normally: the input parsed (and what it parsed keeps the invariants below) or the core refused
// it with fecg::Error. Anything else is a finding: another exception, a crash or sanitizer report,
// a hang (libFuzzer's -timeout) or an allocation beyond -rss_limit_mb / -malloc_limit_mb.
//
//   fecg::fuzz::run_target("edf", bytes);   // throws fecg::fuzz::InvariantViolated on a finding
#pragma once

#include "core/error.h"
#include "core/recording.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/wfdb.h"
#include "pipeline/pipeline.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fecg::fuzz {

// A result that parsed but is wrong (a silently bad recording or analysis): as serious as a crash.
class InvariantViolated : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

inline void require(bool ok, const std::string& what) {
  if (!ok) throw InvariantViolated("fuzz invariant violated: " + what);
}

using Bytes = std::span<const std::uint8_t>;

inline std::string_view as_text(Bytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// What every reader promises of a recording it returns (core/recording.h): a finite positive rate,
// at least one lead and one sample, one name and unit per lead, and samples that are finite or
// NaN (NaN only where `nan_allowed`: a missing sample, WFDB's invalid-sample value or an empty/NaN
// CSV cell; EDF has no such marker). Annotations index the recording.
inline void check_recording(const Recording& r, bool nan_allowed) {
  require(r.fs_hz > 0 && std::isfinite(r.fs_hz), "fs_hz " + std::to_string(r.fs_hz) + " is not finite and > 0");
  require(r.n_leads() >= 1 && r.n_samples() >= 1, "empty recording returned instead of an error");
  require(static_cast<int>(r.lead_names.size()) == r.n_leads(), "lead names do not match the lead count");
  require(static_cast<int>(r.units.size()) == r.n_leads(), "units do not match the lead count");
  for (Eigen::Index i = 0; i < r.samples_uv.size(); ++i) {
    const float v = r.samples_uv.data()[i];
    require(std::isfinite(v) || (nan_allowed && std::isnan(v)), "non-finite sample returned by a reader");
  }
  for (const Annotation& a : r.annotations)
    require(a.sample >= 0 && a.sample < r.n_samples(), "annotation outside the recording");
}

// ------------------------------------------------------------------------------------ readers

inline void edf(Bytes bytes) {
  try {
    check_recording(parse_edf(bytes), false);
  } catch (const Error&) {
  }
}

inline void wfdb_header(Bytes bytes) {
  try {
    const WfdbHeader h = parse_wfdb_header(as_text(bytes));
    require(h.n_signals >= 1 && static_cast<int>(h.signals.size()) == h.n_signals, "signal lines != signal count");
    require(h.fs_hz > 0 && std::isfinite(h.fs_hz), "header rate is not finite and > 0");
    require(h.n_samples >= 0, "negative sample count");
  } catch (const Error&) {
  }
}

// A WFDB record as one input: the header text, a 0 byte, then the bytes every signal file named by
// the header reads as (a record's signal files all get the same bytes).
inline void split_record(Bytes bytes, std::string_view& header, Bytes& data) {
  // memchr must not see the null data() of an empty span (UBSan: nonnull argument).
  const auto* zero =
      bytes.empty() ? nullptr : static_cast<const std::uint8_t*>(std::memchr(bytes.data(), 0, bytes.size()));
  const size_t split = zero ? static_cast<size_t>(zero - bytes.data()) : bytes.size();
  header = as_text(bytes.first(split));
  data = zero ? bytes.subspan(split + 1) : Bytes{};
}

inline Recording parse_record_bytes_wfdb(Bytes bytes) {
  std::string_view header;
  Bytes data;
  split_record(bytes, header, data);
  return parse_wfdb_record(header, [&](const std::string&) { return std::vector<std::uint8_t>(data.begin(), data.end()); });
}

inline void wfdb_signal(Bytes bytes) {
  try {
    check_recording(parse_record_bytes_wfdb(bytes), true);
  } catch (const Error&) {
  }
}

inline void wfdb_annotations(Bytes bytes) {
  try {
    const WfdbAnnotations a = parse_wfdb_annotations(bytes);
    for (const Annotation& x : a.annotations) require(x.sample >= 0 && !x.label.empty(), "bad annotation returned");
    require(a.time_resolution_hz >= 0 && std::isfinite(a.time_resolution_hz), "bad time resolution");
  } catch (const Error&) {
  }
}

// CSV, read twice: as given (a time column gives the rate) and with the rate and units a user
// passes on the command line (--fs 500 --units mV).
inline void csv(Bytes bytes) {
  for (const CsvOptions& options : {CsvOptions{}, CsvOptions{.fs_hz = 500.0, .units = "mV"}}) {
    try {
      check_recording(parse_csv(as_text(bytes), options), true);  // empty/NaN cells: missing
    } catch (const Error&) {
    }
  }
}

// ----------------------------------------------------------------------------- whole pipeline

// What a file's bytes are, as the CLI and the page would open them: EDF when they start with
// EDF's version field, a WFDB record when they hold a 0 byte (header, 0, signal bytes: see
// split_record), else CSV.
inline Recording open_bytes(Bytes bytes) {
  static constexpr char kEdfVersion[] = "0       ";
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kEdfVersion, 8) == 0) return parse_edf(bytes);
  if (!bytes.empty() && std::memchr(bytes.data(), 0, bytes.size())) return parse_record_bytes_wfdb(bytes);
  return parse_csv(as_text(bytes));
}

// Inputs are capped so that one run of the pipeline stays well under a second under the
// sanitizers (about 100 ms at the cap): at most 8 leads, 120 000 input values and 2 minutes at
// the 250 Hz analysis rate (a 0.5 Hz "recording" of 60 000 samples is 33 hours once resampled).
constexpr std::int64_t kMaxPipelineValues = 120'000;
constexpr double kMaxPipelineAnalysisSamples = 120.0 * 250.0;

inline void pipeline(Bytes bytes) {
  try {
    const Recording rec = open_bytes(bytes);
    check_recording(rec, true);
    if (rec.n_leads() > 8 || rec.n_leads() * rec.n_samples() > kMaxPipelineValues ||
        rec.duration_s() * 250.0 > kMaxPipelineAnalysisSamples)
      return;
    const LeadRoles roles = guess_lead_roles(rec);
    const PipelineResult out = run_pipeline(rec, roles);
    require(out.fecg_uv.rows() == static_cast<Eigen::Index>(out.lead_names.size()) &&
                out.fecg_uv.cols() == rec.n_samples(),
            "fECG shape is not leads × input samples");
    require(out.fecg_uv.allFinite(), "non-finite fECG");
    for (const BeatIndices* beats : {&out.fetal_beats, &out.maternal_beats}) {
      require(std::is_sorted(beats->begin(), beats->end()), "beats not sorted");
      for (const std::int64_t b : *beats) require(b >= 0 && b < rec.n_samples(), "beat outside the recording");
    }
    for (const double bpm : out.fhr.bpm_smooth) require(std::isfinite(bpm), "non-finite fetal heart rate");
    require(std::isfinite(out.quality.sqi) && out.quality.sqi >= 0 && out.quality.sqi <= 1, "SQI outside 0..1");
  } catch (const Error&) {
  }
}

// ------------------------------------------------------------------------------------ registry

struct Target {
  const char* name;  // also the folder of its regression inputs: tests/fuzz/regressions/<name>/
  void (*run)(Bytes);
};

inline constexpr std::array<Target, 6> kTargets = {{
    {"edf", edf},
    {"wfdb_header", wfdb_header},
    {"wfdb_signal", wfdb_signal},
    {"wfdb_annotations", wfdb_annotations},
    {"csv", csv},
    {"pipeline", pipeline},
}};

inline void run_target(std::string_view name, Bytes bytes) {
  for (const Target& t : kTargets)
    if (name == t.name) return t.run(bytes);
  throw std::invalid_argument("fuzz: no target named " + std::string(name));
}

}  // namespace fecg::fuzz
