// The core's results → JS values: plain objects whose arrays are fresh typed-array copies
// (boundary.h), in the shapes web/fecg.d.ts types. No Embind registry here: the class_ handles
// (js_types.h) call these for their properties.
#pragma once

#include "core/recording.h"
#include "eval/metrics.h"
#include "model/fhnet.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/stream.h"

#include <emscripten/val.h>

#include <vector>

namespace fecg::wasm {

// {abdominal: number[], reference} (Recording.guessRoles()).
emscripten::val roles_to_js(const LeadRoles& roles);
// [{sample, label}] (Recording.annotations(), parseAnnotations()).
emscripten::val annotations_to_js(const std::vector<Annotation>& annotations);
// scoreBeats(): {truePositives, falsePositives, falseNegatives, sensitivity, ppv, f1}.
emscripten::val beat_score_to_js(const BeatScore& s);
// scoreHeartRate(): {n, maeBpm, mseBpm2}; MAE and MSE are null, not 0, when no instant is
// comparable (n = 0), so the page never shows an error it did not measure.
emscripten::val heart_rate_score_to_js(const HeartRateScore& s);
// FhnetModel.run(): {fecg, rpeakProb, leadAttention (the ONNX layouts), layers, tokens}.
emscripten::val fhnet_output_to_js(const FhnetOutput& o);
// captureFhnetWindows(): {x, leads, window, fsHz, nWindows} (the ONNX input layout).
emscripten::val fhnet_windows_to_js(const FhnetWindows& w);
// analyzeStream()'s onChunk argument: {index, nChunks, start, end (samples), fecg: Float32Array
// per lead (µV, end - start samples), fetalBeats, maternalBeats (Int32Array, samples of the recording)}.
emscripten::val stream_chunk_to_js(const StreamChunk& c);

// Result.mhr: {timeS, bpm, bpmSmooth, isOutlier, meanBpm, minBpm, maxBpm} (null where none).
emscripten::val heart_rate_to_js(const HeartRateSeries& s);
// Result.fhr: as heart_rate_to_js, plus per value whether it lies in a reliable window and, when
// none does, the summary's words (pipeline/report.h kNoReliableFhr).
emscripten::val fetal_rate_to_js(const HeartRateSeries& s);
// Result.ctg (CtgAnalysis): the 4 Hz series as typed arrays (NaN where not reliable) and the FIGO
// 2015 features, null with whyMissing[name] where not measurable.
emscripten::val ctg_to_js(const CtgAnalysis& c);
// Result.quality: {sqi, perLead, windows [{startS, endS, sqi, perLead, reliable, confidence,
// whyUnreliable, source}], warnings}.
emscripten::val quality_to_js(const SignalQuality& q);
// Result.timings: the stages' wall times in ms.
emscripten::val timings_to_js(const StageTimings& t);
// Result.morphology (morph/morphology.h): the averaged beat per lead (µV, time 0 at the R peak),
// the marks on the measured lead in ms from R, the intervals with sd, null + reason where not
// measured, and the published ranges they are compared with (Chia et al. 2005).
emscripten::val morphology_to_js(const Morphology& m);
// Result.explanation() (pipeline/explain.h) as typed arrays; nWindows 0 unless method 'fhnet'.
// `n_leads`: the result's lead count (the matrices are windows × leads).
emscripten::val explanation_to_js(const Explanation& e, int n_leads);
// Result.explainWindow(index): one window explained; startS at `analysis_fs_hz`.
emscripten::val window_explanation_to_js(const WindowExplanation& w, int index, double analysis_fs_hz);

}  // namespace fecg::wasm
