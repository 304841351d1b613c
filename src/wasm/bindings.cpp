// The WebAssembly module's Embind declarations: the JS API's names, bound once each with its full
// arity (the only file that includes <emscripten/bind.h>). Built by the `fecg_wasm` target of the
// wasm preset into build/wasm/fecg.js + fecg.wasm, an ES module factory (createFecgModule) for the
// web page, Web Workers and node. The JS API is typed in web/fecg.d.ts; in short:
//
//   import createFecgModule from './fecg.js';
//   const fecg = await createFecgModule({ wasmBinary });          // node: pass the .wasm bytes
//   const rec = fecg.openRecording(bytes, 'r01.edf', {});         // EDF or CSV ({fsHz, units})
//   const rec2 = fecg.openWfdb(heaText, { 'a01.dat': datBytes });  // or a Map name → Uint8Array
//   const roles = rec.guessRoles();                               // {abdominal: [0..3], reference: 4}
//   const res = fecg.analyze(rec, { method: 'ts-ica', ...roles }, (f, stage) => true);
//   res.fetalBeats();  res.fhr.bpmSmooth;  res.summaryJson();  res.fqrsBytes();
//   res.explanation().leadAttention;  res.explainWindow(7).saliency;  // method 'fhnet' only
//   res.delete();  rec.delete();                                  // class_ handles own C++ memory
//
// FHNet on another engine (ONNX Runtime Web) in two phases, through the same pipeline
// (pipeline/fhnet_external.h): capture the windows, run the network, replay its outputs.
//
//   const w = fecg.captureFhnetWindows(rec, { ...roles });        // {x, leads, window, fsHz, nWindows}
//   const { fecg: f, rpeakProb } = runNetworkElsewhere(w.x, w.leads);
//   const res2 = fecg.analyze(rec, { method: 'fhnet', ...roles, engineOutputs: { ...w, fecg: f, rpeakProb } });
//
// The module, file by file (src/wasm/):
//   bindings.cpp   these declarations;
//   pre.js         the optional trailing arguments' defaults (Embind requires every declared
//                  argument), and the callbacks' try/catch helpers;
//   api.h          the functions (openRecording, analyze, ...); streaming.h the RecordingStream
//                  handle and analyzeStream; js_types.h the Recording, FhnetModel, Result handles;
//   options.h      JS options objects → the core's parameter structs (validated by the core);
//   convert.h      the core's results → JS objects and typed arrays;
//   boundary.h     the boundary's rules: C++ exceptions → JS Errors (FecgError, AbortError,
//                  RangeError), every array a fresh copy (JS never holds a view of the heap).
#include "wasm/api.h"
#include "wasm/js_types.h"
#include "wasm/streaming.h"

#include <emscripten/bind.h>

EMSCRIPTEN_BINDINGS(fecg) {
  using namespace emscripten;
  using namespace fecg::wasm;

  class_<JsRecording>("Recording")
      .property("fsHz", &JsRecording::fs_hz)
      .property("nLeads", &JsRecording::n_leads)
      .property("nSamples", &JsRecording::n_samples)
      .property("durationS", &JsRecording::duration_s)
      .function("leadNames", &JsRecording::lead_names)
      .function("units", &JsRecording::units)
      .function("startTime", &JsRecording::start_time)
      .function("lead", &JsRecording::lead)
      .function("annotations", &JsRecording::annotations)
      .function("guessRoles", &JsRecording::guess_roles);

  class_<JsFhnetModel>("FhnetModel")
      .property("parameterCount", &JsFhnetModel::parameter_count)
      .property("weightsSha256", &JsFhnetModel::weights_sha256)
      .property("window", &JsFhnetModel::window)
      .function("run", &JsFhnetModel::run);

  class_<JsResult>("Result")
      .property("fsHz", &JsResult::fs_hz)
      .property("analysisFsHz", &JsResult::analysis_fs_hz)
      .property("nLeads", &JsResult::n_leads)
      .property("method", &JsResult::method)
      .property("powerlineHz", &JsResult::powerline_hz)
      .property("fhr", &JsResult::fhr)
      .property("mhr", &JsResult::mhr)
      .property("ctg", &JsResult::ctg)
      .property("quality", &JsResult::quality)
      .property("timings", &JsResult::timings)
      .property("morphology", &JsResult::morphology)
      .function("leadNames", &JsResult::lead_names)
      .function("fecg", &JsResult::fecg)
      .function("preprocessed", &JsResult::preprocessed)
      .function("fetalBeats", &JsResult::fetal_beats)
      .function("maternalBeats", &JsResult::maternal_beats)
      .function("rpeakProb", &JsResult::rpeak_prob)
      .function("summaryJson", &JsResult::summary_json_js)
      .function("fqrsBytes", &JsResult::fqrs_bytes)
      .function("mqrsBytes", &JsResult::mqrs_bytes)
      .function("fhrCsv", &JsResult::fhr_csv)
      .function("ctgCsv", &JsResult::ctg_csv_js)
      .function("fecgCsv", &JsResult::fecg_csv)
      .function("saliencyCsv", &JsResult::saliency_csv_js)
      .function("explanation", &JsResult::explanation)
      .function("explainWindow", &JsResult::explain_window_js);

  class_<JsRecordingStream>("RecordingStream")
      .property("fsHz", &JsRecordingStream::fs_hz)
      .property("nLeads", &JsRecordingStream::n_leads)
      .property("nSamples", &JsRecordingStream::n_samples)
      .property("durationS", &JsRecordingStream::duration_s)
      .function("leadNames", &JsRecordingStream::lead_names)
      .function("units", &JsRecordingStream::units)
      .function("startTime", &JsRecordingStream::start_time)
      .function("guessRoles", &JsRecordingStream::guess_roles)
      .function("read", &JsRecordingStream::read);

  function("openRecordingStream", &open_recording_stream);
  function("openWfdbStream", &open_wfdb_stream);
  function("analyzeStream", &analyze_stream);
  function("openRecording", &open_recording);
  function("openWfdb", &open_wfdb);
  function("encodeEdf", &encode_edf_js);
  function("parseAnnotations", &parse_annotations);
  function("scoreBeats", &score_beats_js);
  function("scoreHeartRate", &score_heart_rate_js);
  function("defaultMethod", &default_method_js);
  function("loadFhnet", &load_fhnet);
  function("analyze", &analyze);
  function("captureFhnetWindows", &capture_fhnet_windows);
  function("sha256Hex", &sha256_hex_js);
  function("simulate", &simulate_js);
  function("version", &version);
}
