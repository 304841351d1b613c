// The analysis pipeline, one way through named stages:
//   read (caller) → resample to 250 Hz and filter → detect maternal beats → extract the fetal ECG
//   (FHNet, or a classical method) → detect fetal beats → heart rates and quality → explain
//   (FHNet: lead contributions and temporal saliency, pipeline/explain.h) → back to the input rate.
//
//   fecg::Recording rec = fecg::read_record("r01.edf");
//   fecg::LeadRoles roles = fecg::guess_lead_roles(rec);     // Abdomen_1..4 in, Direct_1 reference
//   fecg::PipelineParams params;                             // defaults: TS-ICA at 250 Hz
//   fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params);
//   // out.fetal_beats (samples at rec.fs_hz), out.fhr.mean_bpm, out.fecg_uv (leads × n, µV)
#pragma once

#include "core/recording.h"
#include "ctg/ctg.h"
#include "detect/heart_rate.h"
#include "detect/fetal_range.h"
#include "detect/qrs.h"
#include "detect/quality.h"
#include "extract/extract.h"
#include "morph/morphology.h"
#include "pipeline/explain.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/fusion.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fecg {

enum class Method { template_subtraction, ica, ts_ica, fhnet };

// The method `fecg extract` and the page run when none is asked for: FHNet (in the candidate
// pool) when a trained model is at hand, else TS-ICA. On the 37 mothers of docs/RELIABILITY.md,
// held out, FHNet in the pool is the most accurate and the most often reliable.
Method default_method(bool trained_model_available);

// "ts", "ica", "ts-ica", "fhnet" ↔ Method. parse_method throws fecg::Error on an unknown name.
Method parse_method(const std::string& name);
std::string method_name(Method method);

struct PipelineParams {
  Method method = Method::ts_ica;
  double analysis_fs_hz = 250.0;  // every stage runs at this rate (FHNet's input rate)
  double highpass_hz = 1.0;       // baseline-wander removal; keeps the fetal ST-T segment
  double lowpass_hz = 100.0;      // above the fetal QRS band, below 125 Hz Nyquist at 250 Hz
  double powerline_hz = -1.0;     // -1: detect 50/60 Hz from the data; 0: no notch; 50 or 60
  double quality_window_s = 10.0;
  MaternalQrsParams maternal_qrs;
  FetalQrsParams fetal_qrs;
  TemplateSubtractionParams template_subtraction;
  FastIcaParams ica;
  HeartRateParams fetal_hr{.min_bpm = kFetalMinBpm, .max_bpm = kFetalMaxBpm};
  HeartRateParams maternal_hr{.min_bpm = 40.0, .max_bpm = 180.0};
  // Method::fhnet: the network — our engine (model/fhnet.h FhnetModel; the caller reads the
  // files, the core never does) or outputs computed elsewhere (pipeline/fhnet_external.h) — and
  // the windowing of pipeline/fhnet_stage.h. Shared, not copied: an engine holds its weights and
  // scratch buffers, and run_pipeline calls it (not re-entrant: one per thread).
  // analysis_fs_hz must equal the model's rate (250 Hz).
  std::shared_ptr<FhnetEngine> fhnet_model;
  FhnetStageParams fhnet;
  // Method::fhnet: the explain stage (pipeline/explain.h). Defaults: the graph-attention lead
  // contributions only (free); lead occlusion (about K−1 × the extraction's cost) and the
  // whole-record temporal saliency (about 33 ×) on request. Ignored by the classical methods.
  ExplainParams explain;
  // The fusion stage (pipeline/fusion.h). true: the method's extraction joins a pool with the
  // classical candidates (TS-ICA and template subtraction; FHNet's is the method's own when the
  // method is fhnet) and each quality window takes its fetal beats and fetal ECG from the
  // best-supported candidate. false: the method alone. Either way every window is judged
  // reliable or not, with a confidence.
  bool candidate_pool = true;
  ReliabilityParams reliability;
  // The morphology stage (morph/morphology.h, issue 14): averaged fetal beat, waves, intervals;
  // gestational_weeks there for the published comparison.
  MorphologyParams morphology;
};

// Stage 1, shared by every method and by FHNet's training data (pipeline/fhnet_stage.h), so
// that the network sees at inference exactly what it was trained on: resample x_uv (leads × n,
// µV, at fs_hz) to params.analysis_fs_hz, notch the power line, band-pass highpass_hz..lowpass_hz
// (4th-order Butterworth, zero phase). `powerline_hz` receives the notch applied (0: none):
// params.powerline_hz when >= 0, else the hum detected in x_uv. Throws fecg::Error on bad rates.
LeadMatrix preprocess_leads(const LeadMatrix& x_uv, double fs_hz, const PipelineParams& params,
                            double& powerline_hz);
// The same filters with a given notch frequency (0: none): filters a signal exactly like another
// one was (e.g. the simulated fetal truth like the mixture it is part of; every step is linear).
LeadMatrix preprocess_leads_with_notch(const LeadMatrix& x_uv, double fs_hz, const PipelineParams& params,
                                       double powerline_hz);

// Wall-clock time of each stage, milliseconds.
struct StageTimings {
  double preprocess_ms = 0, maternal_ms = 0, extract_ms = 0, fetal_ms = 0, heart_rate_ms = 0,
         explain_ms = 0, output_ms = 0, total_ms = 0;
};

struct PipelineResult {
  double fs_hz = 0;               // the input rate; beats and fecg_uv are at this rate
  std::vector<std::string> lead_names;  // the abdominal leads, in the order used
  LeadMatrix fecg_uv;             // extracted fetal ECG per abdominal lead, µV, input rate
  BeatIndices fetal_beats;        // fetal R peaks, samples at fs_hz
  BeatIndices maternal_beats;     // maternal R peaks, samples at fs_hz
  HeartRateSeries fhr, mhr;
  SignalQuality quality;          // of the extracted fECG (per lead and per window)
  double powerline_hz = 0;        // the notch applied (0: none)
  Method method = Method::ts_ica;  // the method asked for; quality.windows[k].source says which
                                   // candidate each window's beats come from (candidate_pool)
  StageTimings timings;
  // Per window of the quality grid: the candidate chosen and its evidence (pipeline/fusion.h).
  std::vector<WindowChoice> fusion_windows;

  // At the analysis rate, for plots and for later stages (saliency): preprocessed input leads.
  double analysis_fs_hz = 0;
  LeadMatrix preprocessed;        // leads × n_analysis, µV, filtered
  Signal rpeak_prob;              // Method::fhnet: the R-peak head, n_analysis, 0..1; else empty
  // Method::fhnet: per-window lead contributions and temporal saliency at the analysis rate
  // (pipeline/explain.h), as PipelineParams::explain asked; empty (no windows) otherwise.
  Explanation explanation;
  // The averaged fetal beat of the reliable windows' beats, its waves and intervals, or the
  // reasons they are missing (morph/morphology.h); its compute_ms is the stage's time.
  Morphology morphology;
  // The fetal heart rate read as a CTG (ctg/ctg.h): the 4 Hz FHR/MHR series and the FIGO 2015
  // features, from the whole record's beat-to-beat rates (their reliable values only).
  CtgAnalysis ctg;
};

// Progress reports: fraction done (0..1) and the stage name. Return false to cancel: run_pipeline
// then throws fecg::Cancelled.
using ProgressFn = std::function<bool(double fraction, const std::string& stage)>;

class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "pipeline: cancelled"; }
};

// Runs every stage on the abdominal leads of `recording` chosen by `roles`. Throws fecg::Error when
// the recording cannot be analysed (too short: fewer than 5 s; no finite samples; ...).
PipelineResult run_pipeline(const Recording& recording, const LeadRoles& roles,
                            const PipelineParams& params = {}, const ProgressFn& progress = {});

}  // namespace fecg
