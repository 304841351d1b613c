// The module's functions (bindings.cpp binds each once, with its full arity; src/wasm/pre.js gives
// the optional trailing arguments their defaults). Each runs in guarded() (boundary.h), so what
// the core throws reaches JS as an Error with the same message. The streaming functions are in
// streaming.h.
#pragma once

#include "wasm/js_types.h"

#include <emscripten/val.h>

#include <string>

namespace fecg::wasm {

// EDF/EDF+ (by extension or content) or CSV; options {fsHz, units} for CSV (undefined: none).
JsRecording open_recording(const emscripten::val& bytes, const std::string& file_name, const emscripten::val& options);
// A WFDB record: the .hea text and its signal files (Map or object name → Uint8Array).
JsRecording open_wfdb(const std::string& header_text, const emscripten::val& files);
emscripten::val encode_edf_js(const JsRecording& recording);
// A WFDB annotation file (.qrs, .fqrs, .atr) → {beats: Int32Array, annotations, timeResolutionHz}.
emscripten::val parse_annotations(const emscripten::val& bytes);
emscripten::val score_beats_js(const emscripten::val& reference, const emscripten::val& test, double fs_hz,
                               double tolerance_s);
// The heart-rate error of `test` beats against `reference` beats (eval/metrics.h score_heart_rate:
// 60 / RR compared at every reference RR midpoint both series cover).
emscripten::val score_heart_rate_js(const emscripten::val& reference, const emscripten::val& test, double fs_hz);
// The default method for a model card (JSON text; empty: no model), by the core's one rule
// (pipeline.h default_method, model/fhnet.h fhnet_card_trained): {trained, method}.
emscripten::val default_method_js(const std::string& card_json);
JsFhnetModel load_fhnet(const std::string& card_json, const emscripten::val& weights);
// The pipeline on a recording (options: AnalyzeOptions of web/fecg.d.ts; onProgress may be
// undefined or null).
JsResult analyze(const JsRecording& recording, const emscripten::val& options, const emscripten::val& on_progress);
// The first phase of running FHNet on another engine (ONNX Runtime Web): the windows the pipeline
// would hand the network for this recording and these options, in the ONNX input layout.
emscripten::val capture_fhnet_windows(const JsRecording& recording, const emscripten::val& options,
                                      const emscripten::val& on_progress);
emscripten::val sha256_hex_js(const emscripten::val& bytes);
// A synthetic recording with its truth; `recording` (last) is a Recording handle to delete().
emscripten::val simulate_js(const emscripten::val& options);
std::string version();

}  // namespace fecg::wasm
