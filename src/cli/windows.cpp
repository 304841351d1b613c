// fecg windows: the FHNet input windows of a recording, for a network run elsewhere.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/json.h"
#include "core/recording.h"
#include "core/types.h"
#include "dsp/resample.h"
#include "io/fhnet_npy.h"
#include "io/npy_file.h"
#include "io/record.h"
#include "io/wfdb_annotations.h"
#include "pipeline/fhnet_dataset.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
using namespace fecg::cli;  // Args, parse_args, wants_help (args.h) and the commands' shared helpers

namespace {

constexpr const char* kWindowsUsage = R"(usage: fecg windows <record> --out DIR [options]

Writes the windows the FHNet stage of `fecg extract --method fhnet` would hand to the network, so
that another runtime (PyTorch, ONNX Runtime) can run it; `fecg extract --engine-outputs DIR` then
finishes the analysis with that network's outputs through the same pipeline:
  DIR/x.npy         float32 windows × leads × 1024, normalised, at 250 Hz, in pipeline order
  DIR/windows.json  record, leads, windows, window, hop, sampling rate, window starts (250 Hz)

With reference fetal beats the windows become training data for a network (scripts/fhnet/train.py
--real, fine-tuning on annotated recordings):
  --ref FILE        reference fetal R peaks (WFDB annotations at the record's rate); writes
                    DIR/rpeak.npy, float32 windows × 1024: the R-peak target of `fecg dataset`
                    (a Gaussian of 10 ms sd at every reference beat)
  --hop N           a window every N samples at 250 Hz (1..1024; default 768, the pipeline's).
                    `fecg extract --engine-outputs` replays only windows cut at the default hop.

options: --leads, --reference, --powerline, --fs, --units as for `fecg extract`.
Recordings with more than 8 abdominal leads (run in groups of leads) are not supported here.
)";

}  // namespace

int cmd_windows(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kWindowsUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"out", "leads", "reference", "powerline", "fs", "units", "ref", "hop"},
                               {"quiet"}, "windows");
  if (args.positional.size() != 1) throw fecg::Error("windows: expected one record (see fecg windows --help)");
  const auto out = args.get("out");
  if (!out || out->empty()) throw fecg::Error("windows: --out DIR is required");
  fecg::PipelineParams params = pipeline_params(args);
  constexpr int kWindow = fecg::FhnetCapture::kDefaultWindow;
  if (args.has("hop")) {
    const double hop = args.number("hop", params.fhnet.hop);
    if (!(hop >= 1 && hop <= kWindow) || hop != std::floor(hop))
      throw fecg::Error("windows: --hop must be a whole number of samples in 1.." + std::to_string(kWindow) +
                        ", got " + *args.get("hop"));
    params.fhnet.hop = static_cast<int>(hop);
  }
  // Read the reference beats before the work, so a wrong path fails fast.
  std::optional<fecg::WfdbAnnotations> reference;
  if (auto ref = args.get("ref")) reference = fecg::read_wfdb_annotations(*ref);
  const fecg::Recording rec = fecg::read_record(args.positional[0], read_options(args));
  const fecg::LeadRoles roles =
      fecg::select_lead_roles(rec, args.get("leads").value_or(""), args.get("reference").value_or(""));
  const fecg::CapturedFhnetWindows captured = fecg::capture_fhnet_windows(rec, roles, params);
  const fecg::FhnetWindows& w = captured.windows;
  const int leads = w.uniform_leads();
  if (leads == 0)
    throw fecg::Error("windows: " + std::to_string(roles.abdominal.size()) +
                      " abdominal leads run in groups of different sizes; select at most 8 with --leads");
  std::error_code ec;
  fs::create_directories(*out, ec);
  if (ec) throw fecg::Error("windows: cannot create " + *out + ": " + ec.message());
  const double afs = params.analysis_fs_hz;
  const std::int64_t n = captured.n_analysis;
  const std::vector<std::int64_t> starts = fecg::fhnet_window_starts(n, w.window, params.fhnet.hop);
  if (starts.size() != w.n_windows())
    throw fecg::Error("windows: " + std::to_string(w.n_windows()) + " windows captured, " +
                      std::to_string(starts.size()) + " expected (internal error)");
  std::vector<float> rpeak;
  std::size_t n_beats = 0;
  if (reference) {
    // Beats at the annotation's own rate when it states one (ADFECGDB .qrs files do), else at
    // the record's; outside the recording they are dropped (and counted in the JSON).
    const double ref_fs = reference->time_resolution_hz > 0 ? reference->time_resolution_hz : rec.fs_hz;
    fecg::BeatIndices beats = fecg::rescale_indices(fecg::beat_samples(reference->annotations), ref_fs, afs);
    beats.erase(std::remove_if(beats.begin(), beats.end(), [n](std::int64_t b) { return b < 0 || b >= n; }), beats.end());
    if (beats.empty())
      throw fecg::Error("windows: --ref " + *args.get("ref") + " holds no beat within the recording (" +
                        std::to_string(rec.duration_s()) + " s)");
    n_beats = beats.size();
    rpeak = fecg::rpeak_target_windows(beats, n, starts, w.window, fecg::FhnetDatasetParams{}.rpeak_sd_s * afs);
  }
  fecg::write_fhnet_windows(w, *out);
  if (reference)
    fecg::write_npy_f32((fs::path(*out) / "rpeak.npy").string(),
                        {static_cast<std::int64_t>(w.n_windows()), static_cast<std::int64_t>(w.window)}, rpeak.data());
  fecg::JsonWriter j;
  j.begin_object();
  j.key("record").value(record_name(args.positional[0]));
  j.key("leads").value(leads);
  j.key("windows").value(static_cast<std::int64_t>(w.n_windows()));
  j.key("window").value(w.window);
  j.key("hop").value(params.fhnet.hop);
  j.key("sampling_rate_hz").value(w.fs_hz);
  j.key("start").array(starts);
  if (reference) j.key("reference").value(*args.get("ref")).key("reference_beats").value(static_cast<std::int64_t>(n_beats));
  j.end_object();
  write_text(fs::path(*out) / "windows.json", j.str() + "\n");
  if (!args.has("quiet"))
    std::printf("%s: %zu windows × %d leads × %d samples -> %s/x.npy\n", record_name(args.positional[0]).c_str(),
                w.n_windows(), leads, w.window, out->c_str());
  return 0;
}
