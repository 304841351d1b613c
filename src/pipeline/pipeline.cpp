#include "pipeline/pipeline.h"

#include "core/error.h"
#include "dsp/filter.h"
#include "dsp/resample.h"
#include "model/fhnet.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace fecg {
namespace {

// Shortest recording analysed: a few maternal beats (≥ 3 at 40 bpm) are needed to build the
// maternal template and ≥ 10 fetal beats to judge periodicity.
constexpr double kMinDuration_s = 5.0;

class StageClock {
 public:
  double lap_ms() {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    return ms;
  }
  double total_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

void report(const ProgressFn& progress, double fraction, const std::string& stage) {
  if (progress && !progress(fraction, stage)) throw Cancelled();
}

// Resamples to `fs_out_hz` and forces the length to exactly `n_out` (the resampler rounds up).
LeadMatrix resample_to_length(const LeadMatrix& x, double fs_in_hz, double fs_out_hz, Eigen::Index n_out) {
  LeadMatrix y = fs_in_hz == fs_out_hz ? x : resample(x, fs_in_hz, fs_out_hz);
  if (y.cols() == n_out) return y;
  LeadMatrix fitted = LeadMatrix::Zero(y.rows(), n_out);
  const Eigen::Index n_copy = std::min(n_out, y.cols());
  fitted.leftCols(n_copy) = y.leftCols(n_copy);
  return fitted;
}

// FHNet: the network's fetal ECG per lead is both the result and the detection input; its R-peak
// probability goes to the fetal detector with it, and the graph attention of every window, read
// by the FHNet stage as it ran, to the explain stage.
ExtractionResult extract_with_fhnet(const LeadMatrix& x, double afs, const PipelineParams& params, Signal& rpeak_prob,
                                    std::vector<std::string>& warnings, LeadMatrix& lead_attention) {
  FhnetExtraction f = extract_fhnet(x, afs, *params.fhnet_model, params.fhnet);
  if (f.lead_groups.size() > 1) {
    warnings.push_back(std::to_string(x.rows()) + " leads: FHNet takes at most " +
                       std::to_string(FhnetEngine::kMaxLeads) + " at once, so it ran on " +
                       std::to_string(f.lead_groups.size()) + " interleaved groups of leads");
  }
  rpeak_prob = std::move(f.rpeak_prob);
  if (params.explain.lead_attention) lead_attention = std::move(f.lead_attention);
  ExtractionResult r;
  r.fecg_uv = std::move(f.fecg_uv);
  r.detection = r.fecg_uv;
  return r;
}

// The extraction stage: the method's own candidate first, then, with PipelineParams::
// candidate_pool, the classical candidates it does not already hold: TS-ICA, template subtraction
// (run once and shared with TS-ICA) fused and lead by lead ("ts:1" ...), and ICA. Beats are
// detected on each by the caller. On the 37 mothers of docs/RELIABILITY.md each addition was kept
// for what it measured: + ICA raised Challenge F1 from 0.916 to 0.935, + the single leads cut the
// FHR-trace MAE from 2.07 to 1.62 bpm.
std::vector<FetalCandidate> extract_candidates(const LeadMatrix& x, double afs, const BeatIndices& maternal,
                                               const PipelineParams& params, Signal& rpeak_prob,
                                               std::vector<std::string>& warnings,
                                               LeadMatrix& lead_attention) {
  std::vector<FetalCandidate> pool;
  const auto add = [&pool](Method m, ExtractionResult r) { pool.push_back({method_name(m), std::move(r), {}, {}}); };
  // One candidate per row of `rows` ("<prefix>:1" ...), detected on that row alone, all with the
  // fetal ECG `fecg_uv`.
  const auto add_each_row = [&pool](const std::string& prefix, const LeadMatrix& rows, const LeadMatrix& fecg_uv) {
    for (Eigen::Index r = 0; r < rows.rows(); ++r) {
      ExtractionResult one;
      one.fecg_uv = fecg_uv;
      one.detection = rows.row(r);
      pool.push_back({prefix + ":" + std::to_string(r + 1), std::move(one), {}, {}});
    }
  };
  if (params.method == Method::fhnet) add(Method::fhnet, extract_with_fhnet(x, afs, params, rpeak_prob, warnings, lead_attention));
  if (params.method == Method::ica) add(Method::ica, extract_ica(x, afs, maternal, params.ica));
  const bool wants_ts = params.candidate_pool || params.method == Method::template_subtraction ||
                        params.method == Method::ts_ica;
  if (!wants_ts) return pool;
  ExtractionResult ts = extract_template_subtraction(x, afs, maternal, params.template_subtraction);
  if (params.method == Method::ts_ica || params.candidate_pool) {
    // TS-ICA before TS: the primary of the classical methods comes first in the pool.
    ExtractionResult ts_ica = extract_ts_ica_from_residual(ts, afs, maternal, params.ica);
    const bool primary = params.method == Method::ts_ica;
    pool.insert(primary ? pool.begin() : pool.end(), {method_name(Method::ts_ica), std::move(ts_ica), {}, {}});
  }
  if (params.method == Method::template_subtraction) {
    pool.insert(pool.begin(), {method_name(Method::template_subtraction), std::move(ts), {}, {}});
  } else if (params.candidate_pool) {
    // Each lead's residual on its own as well (Behar et al. 2013 detect on every channel): where
    // one lead holds a clean fetal ECG and the others noise, the fused detection blurs it.
    add_each_row(method_name(Method::template_subtraction), ts.fecg_uv, ts.fecg_uv);
    add(Method::template_subtraction, std::move(ts));
  }
  // ICA on the leads before any subtraction: where the maternal templates fit badly (ectopic or
  // changing maternal beats) the unmixing still separates the fetal source.
  if (params.candidate_pool && params.method != Method::ica) add(Method::ica, extract_ica(x, afs, maternal, params.ica));
  // ICA first, then template subtraction on each component, detected component by component
  // ("ica-ts:2"): where the leads are nearly alike, the fetal ECG is in no lead's residual but in
  // one component's.
  if (params.candidate_pool) {
    TemplateSubtractionParams median_ts = params.template_subtraction;
    median_ts.n_components = 0;
    FastIcaParams deflation = params.ica;
    deflation.deflation = true;
    const ExtractionResult ica_ts = extract_ica_ts(x, afs, maternal, median_ts, deflation);
    add_each_row(method_name(Method::ica) + "-ts", ica_ts.detection, ica_ts.fecg_uv);
  }
  return pool;
}

}  // namespace

void validate_fields(const PipelineParams& p) {
  const auto positive = [](double v) { return v > 0 && std::isfinite(v); };
  const auto refuse = [](const std::string& what) { throw Error("pipeline: " + what); };
  if (!(p.powerline_hz == -1 || p.powerline_hz == 0 || p.powerline_hz == 50 || p.powerline_hz == 60))
    refuse("powerline_hz must be -1 (detect), 0 (none), 50 or 60, got " + std::to_string(p.powerline_hz));
  if (!positive(p.analysis_fs_hz)) refuse("analysis rate must be positive, got " + std::to_string(p.analysis_fs_hz));
  if (!positive(p.highpass_hz) || !positive(p.lowpass_hz) || !(p.highpass_hz < p.lowpass_hz))
    refuse("the band must satisfy 0 < highpass_hz < lowpass_hz, got " + std::to_string(p.highpass_hz) + " and " +
           std::to_string(p.lowpass_hz));
  // 2 s holds a few fetal beats even at 50 bpm; over 60 s a window no longer follows the trace.
  if (!(p.quality_window_s >= 2.0 && p.quality_window_s <= 60.0))
    refuse("quality_window_s must be 2-60 s, got " + std::to_string(p.quality_window_s));
  if (!(p.reliability.min_confidence >= 0.0 && p.reliability.min_confidence <= 1.0))
    refuse("reliability.min_confidence must be 0..1, got " + std::to_string(p.reliability.min_confidence));
  for (const HeartRateParams* hr : {&p.fetal_hr, &p.maternal_hr})
    if (!positive(hr->min_bpm) || !(hr->max_bpm > hr->min_bpm) || !std::isfinite(hr->max_bpm))
      refuse("heart-rate ranges must satisfy 0 < min_bpm < max_bpm");
}

void validate(const PipelineParams& p) {
  validate_fields(p);
  const auto refuse = [](const std::string& what) { throw Error("pipeline: " + what); };
  if (p.method == Method::fhnet) {
    if (!p.fhnet_model) refuse("method fhnet needs a loaded model (PipelineParams::fhnet_model)");
    if (std::abs(p.analysis_fs_hz - p.fhnet_model->sampling_rate_hz()) > 1e-9)
      refuse("method fhnet runs at the model's " + std::to_string(p.fhnet_model->sampling_rate_hz()) +
             " Hz, but analysis_fs_hz is " + std::to_string(p.analysis_fs_hz));
  }
}

Method default_method(bool trained_model_available) {
  return trained_model_available ? Method::fhnet : Method::ts_ica;
}

Method parse_method(const std::string& name) {
  if (name == "ts") return Method::template_subtraction;
  if (name == "ica") return Method::ica;
  if (name == "ts-ica") return Method::ts_ica;
  if (name == "fhnet") return Method::fhnet;
  throw Error("pipeline: unknown method '" + name + "' (expected ts, ica, ts-ica or fhnet)");
}

std::string method_name(Method method) {
  switch (method) {
    case Method::template_subtraction: return "ts";
    case Method::ica: return "ica";
    case Method::ts_ica: return "ts-ica";
    case Method::fhnet: return "fhnet";
  }
  return "unknown";
}

// Stage 1: to the analysis rate; power-line notch; band-pass that removes baseline wander and
// out-of-band noise while keeping the fetal QRS (10–45 Hz) and the maternal P/T waves.
LeadMatrix preprocess_leads_with_notch(const LeadMatrix& x_uv, double fs_hz, const PipelineParams& params,
                                       double powerline_hz) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz)) throw Error("preprocess_leads: sampling rate must be positive");
  if (!(params.analysis_fs_hz > 0) || !std::isfinite(params.analysis_fs_hz))
    throw Error("preprocess_leads: analysis rate must be positive");
  const double afs = params.analysis_fs_hz;
  LeadMatrix x = fs_hz == afs ? x_uv : resample(x_uv, fs_hz, afs);
  if (powerline_hz > 0 && powerline_hz < 0.45 * afs) {
    // Q = 30: a 1.7 Hz (50 Hz) wide notch, narrow enough to leave the fetal QRS spectrum intact.
    sosfiltfilt_rows(notch(powerline_hz, 30.0, afs), x);
  }
  const double high_hz = std::min(params.lowpass_hz, 0.45 * afs);
  sosfiltfilt_rows(butterworth_bandpass(4, params.highpass_hz, high_hz, afs), x);
  return x;
}

LeadMatrix preprocess_leads(const LeadMatrix& x_uv, double fs_hz, const PipelineParams& params,
                            double& powerline_hz) {
  // The hum is looked for at the input rate, where it has not been attenuated by resampling.
  powerline_hz = params.powerline_hz >= 0 ? params.powerline_hz : detect_powerline_hz(x_uv, fs_hz);
  return preprocess_leads_with_notch(x_uv, fs_hz, params, powerline_hz);
}

PipelineResult run_pipeline(const Recording& recording, const LeadRoles& roles,
                            const PipelineParams& params, const ProgressFn& progress) {
  if (!(recording.fs_hz > 0) || !std::isfinite(recording.fs_hz))
    throw Error("pipeline: sampling rate must be a positive number, got " + std::to_string(recording.fs_hz));
  if (recording.duration_s() < kMinDuration_s)
    throw Error("pipeline: recording is " + std::to_string(recording.duration_s()) +
                " s long; at least " + std::to_string(kMinDuration_s) + " s are needed");
  validate(params);

  StageClock clock;
  PipelineResult result;
  result.fs_hz = recording.fs_hz;
  result.method = params.method;
  result.analysis_fs_hz = params.analysis_fs_hz;
  const double afs = params.analysis_fs_hz;

  // Missing samples (NaN: WFDB's invalid value, electrodes off) are bridged by interpolation with
  // a warning; a lead with no sample at all is dropped with a warning. The caller's recording is
  // never modified: the abdominal leads are a copy.
  std::vector<int> usable;
  std::vector<std::string> warnings;
  for (const int row : roles.abdominal) {
    if (row < 0 || row >= recording.n_leads())
      throw Error("pipeline: abdominal lead index " + std::to_string(row) + " out of range");
    const auto lead = recording.samples_uv.row(row);
    const Eigen::Index missing = lead.array().isNaN().count();
    const std::string& name = recording.lead_names[static_cast<size_t>(row)];
    if (missing == lead.size()) {
      warnings.push_back("lead '" + name + "' has no samples (all missing); left out");
      continue;
    }
    if (missing > 0) {
      char text[160];
      std::snprintf(text, sizeof text, "lead '%s': %lld missing samples (%.2f%%) bridged by interpolation",
                    name.c_str(), static_cast<long long>(missing),
                    100.0 * static_cast<double>(missing) / static_cast<double>(lead.size()));
      warnings.emplace_back(text);
    }
    usable.push_back(row);
  }
  if (usable.empty()) throw Error("pipeline: no abdominal lead has any sample");
  Recording abdominal = subset_leads(recording, usable);
  fill_missing_samples(abdominal);
  validate_recording(abdominal);  // what remains non-finite (±Inf) is an error naming the lead
  for (std::string& w : input_lead_warnings(abdominal.samples_uv, abdominal.lead_names)) warnings.push_back(std::move(w));
  result.lead_names = abdominal.lead_names;

  // Progress fractions: occlusion in the explain stage costs up to ~35 × the extraction, so the
  // stages before it then share the first fifth of the bar.
  const bool heavy_explain =
      params.method == Method::fhnet && (params.explain.lead_occlusion || params.explain.saliency);
  const double until_explain = heavy_explain ? 0.2 : 1.0;
  const double explain_start = 0.9 * until_explain + (heavy_explain ? 0.0 : 0.02);

  report(progress, 0.0, "preprocess");
  result.preprocessed = preprocess_leads(abdominal.samples_uv, recording.fs_hz, params, result.powerline_hz);
  result.timings.preprocess_ms = clock.lap_ms();

  report(progress, 0.15 * until_explain, "maternal beats");
  const BeatIndices maternal = detect_maternal_qrs(result.preprocessed, afs, params.maternal_qrs);
  result.timings.maternal_ms = clock.lap_ms();

  report(progress, 0.3 * until_explain, "fetal ECG extraction (" + method_name(params.method) + ")");
  LeadMatrix lead_attention;  // FHNet: windows × leads, for the explain stage
  std::vector<FetalCandidate> pool = extract_candidates(result.preprocessed, afs, maternal, params, result.rpeak_prob,
                                                        warnings, lead_attention);
  result.timings.extract_ms = clock.lap_ms();

  report(progress, 0.8 * until_explain, "fetal beats");
  for (FetalCandidate& c : pool) {
    const bool network = c.source == method_name(Method::fhnet);
    FetalBeats found = detect_fetal_beats(c.extraction.detection, afs, params.fetal_qrs,
                                          network ? result.rpeak_prob : Signal());
    c.beats = std::move(found.beats);
    c.tracked = std::move(found.tracked);
  }
  FusedExtraction fused = fuse_per_window(pool, maternal, afs, params.quality_window_s);
  measure_beat_strength(fused, result.preprocessed, maternal, afs);
  pool.clear();  // the fused result holds what is kept
  result.fusion_windows = fused.windows;
  result.timings.fetal_ms = clock.lap_ms();

  report(progress, 0.9 * until_explain, "heart rate and quality");
  result.quality =
      assess_quality(fused.fecg_uv, fused.beats, maternal, afs, result.lead_names, params.quality_window_s);
  judge_reliability(result.quality, fused, params.candidate_pool, params.reliability);
  result.quality.warnings.insert(result.quality.warnings.begin(), warnings.begin(), warnings.end());
  result.fhr = heart_rate(fused.beats, afs, params.fetal_hr);
  apply_reliability(result.fhr, reliable_spans(result.quality));
  result.mhr = heart_rate(maternal, afs, params.maternal_hr);
  result.timings.heart_rate_ms = clock.lap_ms();

  if (result.method == Method::fhnet) {
    report(progress, explain_start, "explain");
    result.explanation = explain_record(result.preprocessed, afs, *params.fhnet_model, params.explain, params.fhnet,
                                        [&](double f) { report(progress, explain_start + f * (0.95 - explain_start), "explain"); });
    if (lead_attention.size() > 0) result.explanation.lead_attention = std::move(lead_attention);
  }
  result.timings.explain_ms = clock.lap_ms();

  report(progress, 0.95, "output");
  result.fecg_uv = resample_to_length(fused.fecg_uv, afs, recording.fs_hz, recording.n_samples());
  result.fetal_beats = rescale_indices(fused.beats, afs, recording.fs_hz);
  result.maternal_beats = rescale_indices(maternal, afs, recording.fs_hz);
  for (BeatIndices* beats : {&result.fetal_beats, &result.maternal_beats}) {
    const std::int64_t last = recording.n_samples() - 1;
    for (auto& b : *beats) b = std::clamp<std::int64_t>(b, 0, last);
  }
  result.timings.output_ms = clock.lap_ms();

  // Morphology: the averaged beat of the beats in reliable windows, at the input rate.
  report(progress, 0.97, "morphology");
  result.morphology = analyse_morphology(result.fecg_uv, recording.fs_hz, result.fetal_beats,
                                         beats_in_spans(result.fetal_beats, recording.fs_hz, reliable_spans(result.quality)),
                                         result.lead_names, params.morphology);
  result.morphology.compute_ms = clock.lap_ms();
  // CTG: the heart rates as a cardiotocogram and its FIGO 2015 features (ctg/ctg.h).
  result.ctg = analyze_ctg(result.fhr, result.mhr, static_cast<double>(recording.n_samples()) / recording.fs_hz);
  result.timings.total_ms = clock.total_ms();
  report(progress, 1.0, "done");
  return result;
}

}  // namespace fecg
