// Classical fetal ECG extraction, the baselines FHNet must beat:
//   template subtraction (TS), FastICA (Hyvärinen 1999), and TS followed by ICA on the residuals.
// Every method takes preprocessed abdominal leads (leads × n, µV, baseline removed) and the
// maternal beats, and returns the fetal ECG per input lead (µV) plus the channels on which fetal
// beats are best detected.
#pragma once

#include "core/types.h"

namespace fecg {

struct ExtractionResult {
  LeadMatrix fecg_uv;     // leads × n: estimated fetal ECG in each input lead
  LeadMatrix detection;   // channels × n: signals for fetal QRS detection (e.g. chosen ICA sources)
};

struct TemplateSubtractionParams {
  double before_s = 0.25;   // beat window before the maternal R peak (P wave and PR)
  double after_s = 0.45;    // after it (QRS and T wave)
  int n_beats = 20;         // template from the median/PCA of up to this many neighbouring beats
  int n_components = 3;     // principal components of the beat matrix fitted per beat
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
};

struct IcaResult {
  LeadMatrix sources;       // components × n, unit variance
  Eigen::MatrixXf mixing;   // leads × components: x ≈ mixing · sources + mean
};

// Symmetric FastICA with the log-cosh contrast (Hyvärinen 1999) after PCA whitening.
IcaResult fastica_1999(const LeadMatrix& x, const FastIcaParams& params = {});

// ICA on the raw leads; fetal components chosen automatically (periodicity in the fetal range and
// low correlation with the maternal beats), back-projected onto the leads.
ExtractionResult extract_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                             const FastIcaParams& params = {});

// Template subtraction, then ICA on the residuals to separate fetal ECG from noise.
ExtractionResult extract_ts_ica(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& maternal_beats,
                                const TemplateSubtractionParams& ts = {}, const FastIcaParams& ica = {});

}  // namespace fecg
