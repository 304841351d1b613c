// The class_ handles of the JS API (bindings.cpp registers them): Recording, FhnetModel and
// Result own their C++ data in the WASM heap until JS calls delete(). Their getters copy out
// (boundary.h, convert.h); a getter that can throw runs in guarded(). RecordingStream, the
// fourth handle, is in streaming.h.
#pragma once

#include "core/recording.h"
#include "model/fhnet.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"

#include <emscripten/val.h>

#include <memory>
#include <string>
#include <utility>

namespace fecg::wasm {

// A recording read whole (openRecording, openWfdb, simulate).
class JsRecording {
 public:
  explicit JsRecording(Recording recording) : rec_(std::move(recording)) {}
  const Recording& recording() const { return rec_; }

  double fs_hz() const { return rec_.fs_hz; }
  int n_leads() const { return rec_.n_leads(); }
  double n_samples() const { return static_cast<double>(rec_.n_samples()); }
  double duration_s() const { return rec_.duration_s(); }
  emscripten::val lead_names() const;
  emscripten::val units() const;
  emscripten::val start_time() const;   // the file's start time, or null
  emscripten::val lead(int i) const;    // Float32Array, µV
  emscripten::val annotations() const;
  emscripten::val guess_roles() const;

 private:
  Recording rec_;
};

// The FHNet network loaded from its card and weights (loadFhnet).
class JsFhnetModel {
 public:
  explicit JsFhnetModel(std::shared_ptr<FhnetModel> model) : model_(std::move(model)) {}
  const std::shared_ptr<FhnetModel>& model() const { return model_; }
  double parameter_count() const { return static_cast<double>(model_->parameter_count()); }
  std::string weights_sha256() const { return model_->weights_sha256(); }
  int window() const { return model_->window(); }

  // One batch straight through the network (no pipeline): x is batch × leads × window floats,
  // normalised as in the card, row-major (the ONNX input layout). Returns the three outputs in
  // the ONNX layouts, so that the page can compare engines and plot the lead attention.
  emscripten::val run(const emscripten::val& x, int batch, int leads);

 private:
  std::shared_ptr<FhnetModel> model_;
  FhnetOutput out_;  // reused across run() calls (resized only when batch or leads change)
};

// The handle inside options.model (analyze, analyzeStream). A reference into the JS object's
// C++ value: valid while that object is, which the calling entry point's argument guarantees.
const JsFhnetModel& fhnet_model_from_js(const emscripten::val& model);

// An analysis (analyze, analyzeStream): the pipeline's result and the report's context.
class JsResult {
 public:
  // `engine`: the network of a method 'fhnet' analysis (kept for explainWindow), else null.
  JsResult(PipelineResult result, ReportContext context, std::shared_ptr<FhnetEngine> engine = nullptr)
      : r_(std::move(result)), context_(std::move(context)), engine_(std::move(engine)) {}

  double fs_hz() const { return r_.fs_hz; }
  double analysis_fs_hz() const { return r_.analysis_fs_hz; }
  int n_leads() const { return static_cast<int>(r_.fecg_uv.rows()); }
  std::string method() const { return method_name(r_.method); }
  double powerline_hz() const { return r_.powerline_hz; }
  emscripten::val lead_names() const;
  emscripten::val fecg(int i) const;           // Float32Array, µV
  emscripten::val preprocessed(int i) const;   // Float32Array, µV, at analysisFsHz
  emscripten::val fetal_beats() const;
  emscripten::val maternal_beats() const;
  emscripten::val fhr() const;
  emscripten::val mhr() const;
  emscripten::val ctg() const;
  emscripten::val rpeak_prob() const;
  emscripten::val quality() const;
  emscripten::val timings() const;
  emscripten::val morphology() const;
  std::string summary_json_js() const;
  emscripten::val fqrs_bytes() const;
  emscripten::val mqrs_bytes() const;
  std::string fhr_csv() const;
  std::string ctg_csv_js() const;
  std::string fecg_csv() const;
  std::string saliency_csv_js() const;
  emscripten::val explanation() const;
  // Explains window i of a method 'fhnet' analysis now, with the analysis' own engine (lead
  // occlusion and saliency unless options say otherwise: 1 + K + 32 runs of the network).
  // `options` may be undefined (pre.js passes {} when it is left out).
  emscripten::val explain_window_js(int i, const emscripten::val& options);

 private:
  void check_lead(int i, const char* where) const;
  PipelineResult r_;
  ReportContext context_;
  std::shared_ptr<FhnetEngine> engine_;
};

}  // namespace fecg::wasm
