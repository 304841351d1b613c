// fecg eval: beats scored against reference beats.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/json.h"
#include "core/types.h"
#include "eval/metrics.h"
#include "io/edf.h"
#include "io/wfdb.h"
#include "io/wfdb_annotations.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>

namespace fs = std::filesystem;
using namespace fecg::cli;  // Args, parse_args, wants_help (args.h) and the commands' shared helpers

namespace {

constexpr const char* kEvalUsage = R"(usage: fecg eval --ref A.fqrs --test B.fqrs [--rate HZ]

Scores test beats against reference beats: sensitivity, PPV and F1 with one-to-one matching
within ±50 ms, and the fetal heart rate MAE (bpm) and MSE (bpm²). Prints one line of JSON.

options:
  --ref FILE         reference beats (WFDB annotation file)
  --test FILE        beats to score (WFDB annotation file)
  --rate HZ          sampling rate of the annotations (default: from a "## time resolution" note,
                     or from the WFDB header beside either file)
  --tolerance-ms MS  acceptance window (default 50)
)";

// The sampling rate of an annotation file: its time-resolution note, else the header of the
// record it belongs to ("x.fqrs" → "x.hea"; "r01.edf.qrs" → "r01.edf").
std::optional<double> annotation_rate(const std::string& path, const fecg::WfdbAnnotations& annotations) {
  if (annotations.time_resolution_hz > 0) return annotations.time_resolution_hz;
  fs::path p(path);
  const fs::path stem = p.parent_path() / p.stem();
  std::error_code ec;
  if (fs::exists(stem.string() + ".hea", ec)) {
    std::ifstream in(stem.string() + ".hea");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return fecg::parse_wfdb_header(text).fs_hz;
  }
  if (stem.extension() == ".edf" && fs::exists(stem, ec)) return fecg::read_edf(stem.string()).fs_hz;
  return std::nullopt;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kEvalUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"ref", "test", "rate", "tolerance-ms"}, {}, "eval");
  const auto ref_path = args.get("ref");
  const auto test_path = args.get("test");
  if (!ref_path || !test_path) throw fecg::Error("eval: --ref and --test are required (see fecg eval --help)");
  const fecg::WfdbAnnotations ref = fecg::read_wfdb_annotations(*ref_path);
  const fecg::WfdbAnnotations test = fecg::read_wfdb_annotations(*test_path);
  std::optional<double> rate = args.optional_number("rate");
  if (!rate) rate = annotation_rate(*ref_path, ref);
  if (!rate) rate = annotation_rate(*test_path, test);
  if (!rate) throw fecg::Error("eval: sampling rate unknown (no time-resolution note or header); pass --rate HZ");
  if (!(*rate > 0)) throw fecg::Error("eval: --rate must be positive");
  const double tolerance_s = args.number("tolerance-ms", 50.0) / 1000.0;
  if (!(tolerance_s > 0)) throw fecg::Error("eval: --tolerance-ms must be positive");

  const fecg::BeatIndices ref_beats = fecg::beat_samples(ref.annotations);
  const fecg::BeatIndices test_beats = fecg::beat_samples(test.annotations);
  const fecg::BeatScore s = fecg::score_beats(ref_beats, test_beats, *rate, tolerance_s);
  const fecg::HeartRateScore hr = fecg::score_heart_rate(ref_beats, test_beats, *rate);
  fecg::JsonWriter json;
  json.begin_object()
      .key("ref").value(*ref_path).key("test").value(*test_path).key("fs_hz").value(*rate)
      .key("tolerance_ms").value(tolerance_s * 1000.0)
      .key("n_ref").value(static_cast<std::int64_t>(ref_beats.size()))
      .key("n_test").value(static_cast<std::int64_t>(test_beats.size()))
      .key("tp").value(s.true_positives).key("fp").value(s.false_positives).key("fn").value(s.false_negatives)
      .key("se").value(s.sensitivity).key("ppv").value(s.ppv).key("f1").value(s.f1)
      .key("fhr_mae_bpm").value(hr.n > 0 ? hr.mae_bpm : NAN)
      .key("fhr_mse_bpm2").value(hr.n > 0 ? hr.mse_bpm2 : NAN)
      .end_object();
  std::printf("%s\n", json.str().c_str());
  return 0;
}
