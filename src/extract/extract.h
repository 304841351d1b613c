// Classical fetal ECG extraction, the baselines FHNet must beat:
//   template subtraction (TS), FastICA (Hyvärinen 1999), and TS followed by ICA on the residuals.
// Every method takes preprocessed abdominal leads (leads × n, µV, baseline removed) and the
// maternal beats, and returns the fetal ECG per input lead (µV) plus the channels on which fetal
// beats are best detected.
#pragma once

#include "core/types.h"

#include <vector>

namespace fecg {

struct ExtractionResult {
  LeadMatrix fecg_uv;     // leads × n: estimated fetal ECG in each input lead
  LeadMatrix detection;   // channels × n: signals for fetal QRS detection (e.g. chosen ICA sources)
};

struct TemplateSubtractionParams {
  double before_s = 0.25;   // beat window before the maternal R peak (P wave and PR)
  double after_s = 0.45;    // after it (QRS and T wave)
  int n_beats = 20;         // template from the median/PCA of up to this many neighbouring beats
  // Principal components of the beat matrix fitted per beat (per P, QRS and T segment). 2 rather
  // than 3: with 3 × 3 coefficients per beat the fit starts to absorb fetal QRS energy; on
  // ADFECGDB / Challenge 2013 set A TS-ICA fetal F1 was 0.980 / 0.906 with 4, 0.982 / 0.912 with
  // 3, 0.986 / 0.920 with 2 and 0.987 / 0.877 with 1 (tools/eval_classical). 0: no fit at all,
  // the neighbours' sample-wise median beat subtracted as it is. It leaves the maternal amplitude
  // drift but none of the beat's own fetal QRS or noise can be fitted away; it is used after ICA
  // (extract_ica_ts), where the maternal ECG fills its own components.
  int n_components = 2;
};

// Maternal template subtraction: for every beat, a template built from its neighbours (PCA basis
// of aligned beats, fitted per beat by least squares with a separate fit of the P, QRS and T
// segments) is subtracted, leaving fetal ECG and noise.
ExtractionResult extract_template_subtraction(const LeadMatrix& x_uv, double fs_hz,
                                              const BeatIndices& maternal_beats,
                                              const TemplateSubtractionParams& params = {});

struct FastIcaParams {
  int max_iterations = 200;
  double tolerance = 1e-5;
  unsigned seed = 1;        // initial unmixing matrix (reproducible)
  // Used by extract_ica / extract_ts_ica only: ICA runs on blocks of this length (seconds) with
  // 50 % overlap, because the mixing changes as the fetus moves (Varanini et al. 2014 use blocks
  // too); 0 runs one ICA over the whole recording. On ADFECGDB and Challenge 2013 one ICA over the
  // whole recording did as well as 10–40 s blocks after template subtraction (tools/eval_classical).
  double block_s = 0.0;
  // Deflation (components one at a time, each the most non-Gaussian direction orthogonal to those
  // already found) instead of the symmetric iteration. Used before template subtraction
  // (extract_ica_ts): the maternal ECG, by far the most non-Gaussian, is found first and whole,
  // and the fetal one is sought in what is left.
  bool deflation = false;
};

struct IcaResult {
  LeadMatrix sources;       // components × n, unit variance
  Eigen::MatrixXf mixing;   // leads × components: x ≈ mixing · sources + mean
};

// FastICA with the log-cosh contrast (Hyvärinen 1999) after PCA whitening: symmetric, or by
// deflation with FastIcaParams::deflation.
IcaResult fastica_1999(const LeadMatrix& x, const FastIcaParams& params = {});

// How fetal-like one source is (see fetal_component_scores).
struct ComponentScore {
  double score = 0;           // 0..1: regularity × maternal-coincidence and prominence factors
  double regularity = 0;      // fraction of the signal covered by plausible, regular fetal RR intervals
  double maternal_coincidence = 0;  // fraction of the source's peaks within ±50 ms of a maternal beat
  double prominence = 0;      // median envelope at the peaks / median envelope (noise: ~3–4)
  double median_rr_s = 0;     // median RR of the peaks found, seconds (0 if fewer than 2 peaks)
  int sign = 1;               // +1 or -1: multiply the source by it to make its R peaks positive
};

// Scores each row of `sources` (components × n, any scale) as a fetal ECG candidate: peaks of its
// QRS-band energy picked with a 250 ms refractory period (240 bpm), then the fraction of the
// signal covered by RR intervals in 0.25–1.2 s (240–50 bpm, detect/fetal_range.h) within 15 % of their local median,
// penalised when the peaks coincide with the maternal beats (a maternal or mixed source) and when
// they barely stand out of the background (noise).
std::vector<ComponentScore> fetal_component_scores(const LeadMatrix& sources, double fs_hz,
                                                   const BeatIndices& maternal_beats);

// ICA on the raw leads; fetal components chosen automatically (periodicity in the fetal range and
// low correlation with the maternal beats), back-projected onto the leads. With few leads every
// source keeps some maternal QRS leakage, so each source's maternal-synchronous average beat (one
// median waveform, scaled per beat) is removed before it is scored, used for detection and
// back-projected; no per-beat adaptive template as in extract_ts_ica. ADFECGDB fetal F1 0.55 →
// 0.95, Challenge 2013 set A 0.54 → 0.78 (tools/eval_classical).
ExtractionResult extract_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                             const FastIcaParams& params = {});

// Template subtraction, then ICA on the residuals to separate fetal ECG from noise.
ExtractionResult extract_ts_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                                const TemplateSubtractionParams& ts = {}, const FastIcaParams& ica = {});

// The ICA half of extract_ts_ica on a template-subtraction result already computed (the
// pipeline's candidate pool uses both, and the subtraction is the costlier half).
ExtractionResult extract_ts_ica_from_residual(const ExtractionResult& ts_residual, double fs_hz,
                                              const BeatIndices& maternal_beats, const FastIcaParams& ica = {});

// ICA on the leads first, then template subtraction on each independent component (the "ICA
// followed by TS" candidate of Behar, Oster & Clifford, CinC 2013). Where the leads are nearly
// alike the mother's ECG and the common noise fill one or two components, and the fetal ECG stands
// out in another only once the maternal beats left in it are cancelled beat by beat. One ICA over
// the whole input (component order is not stable across blocks). fecg_uv: the back-projection of
// every cancelled component onto the leads (µV); detection: one row per component, scaled to µV
// by the norm of its mixing column, for per-component detection. Throws fecg::Error like
// extract_template_subtraction.
ExtractionResult extract_ica_ts(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                                const TemplateSubtractionParams& ts = {}, const FastIcaParams& ica = {});

}  // namespace fecg
