// JS options objects → the core's parameter structs. Options arrive as plain JS objects and are
// read field by field rather than as Embind value_objects: Embind 3.1.6 requires every field of a
// value_object to be present and has no optional<>, while the API's options are optional with
// the core's documented defaults (the structs' member initialisers). Unknown or mistyped fields
// are errors naming the entry point and the field; the values' ranges are the core's to check
// (validate_fields() here, validate() in run_pipeline), so the rules are written once.
#pragma once

#include "core/recording.h"
#include "io/csv.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "pipeline/stream.h"
#include "synth/simulator.h"

#include <emscripten/val.h>

#include <string>
#include <vector>

namespace fecg::wasm {

// Reads the fields of a JS options object (undefined or null: no options), refusing unknown names
// so that a typo ("fs_hz" for "fsHz") is an error instead of a silently ignored option. `where`
// (the entry point, "analyze") starts every error message.
class Options {
 public:
  Options(const emscripten::val& object, std::string where, const std::vector<std::string>& known);
  bool has(const char* name) const;  // given, and neither undefined nor null
  emscripten::val get(const char* name) const { return object_[name]; }
  double number(const char* name) const;                  // finite
  int integer(const char* name, int lo, int hi) const;    // in [lo, hi]
  std::string string(const char* name) const;
  bool boolean(const char* name) const;

 private:
  emscripten::val object_;
  std::string where_;
};

// What analyze(), analyzeStream() and captureFhnetWindows() share: the method and filters, the
// lead roles (guessed from the lead names unless abdominal/reference are given) and the report's
// context. `rec` may be a header without samples (a stream's); its duration is then the caller's.
struct PipelineRequest {
  PipelineParams params;
  LeadRoles roles;
  ReportContext context;
};
PipelineRequest read_pipeline_request(const Recording& rec, const Options& opts, const std::string& where);

// The explain options of analyze() and Result.explainWindow(): {leadAttention, leadOcclusion,
// saliency, saliencySegment}, each optional; `defaults` holds what is not given.
ExplainParams read_explain_options(const emscripten::val& options, const std::string& where, ExplainParams defaults);

// onProgress of analyze(), analyzeStream() and captureFhnetWindows(), or an empty function when
// none is given. `on_progress` must outlive the returned function (it is a parameter of the
// calling entry point).
ProgressFn read_progress(const emscripten::val& on_progress, const std::string& where);

// analyze()'s options.engineOutputs: the windows captureFhnetWindows() returned, with the
// network's outputs for them (pipeline/fhnet_external.h FhnetWindows, in the ONNX layouts).
FhnetWindows read_engine_outputs(const emscripten::val& object);

// The extension of a file name, lower-case ("r01.EDF" → "edf"; none: ""), by which
// openRecording() and openRecordingStream() choose the reader.
std::string lower_extension(const std::string& file_name);

// openRecording()'s CSV options {fsHz, units}.
CsvOptions read_csv_options(const Options& opts);

// analyzeStream()'s {chunkS}.
StreamParams read_stream_params(const Options& opts);

// simulate()'s options {seconds, seed, leads, fsHz, snrFmDb, snrMnDb, maternalBpm, fetalBpm, fhrScenario}.
SynthParams read_synth_params(const emscripten::val& options);

}  // namespace fecg::wasm
