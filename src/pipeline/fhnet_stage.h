// The FHNet extraction stage and the windowing it shares with the training data
// (pipeline/fhnet_dataset.h): the SAME cutting and per-window normalisation at training and at
// inference, so that the network never sees inputs scaled differently from what it learned on.
//
//   fecg::FhnetModel model = ...;                       // model/fhnet.h (the caller reads files)
//   fecg::LeadMatrix x = fecg::preprocess_leads(...);   // pipeline.h stage 1, leads × n at 250 Hz
//   fecg::FhnetExtraction out = fecg::extract_fhnet(x, 250.0, model);
//   out.fecg_uv;      // leads × n, µV, fetal ECG per input lead
//   out.rpeak_prob;   // n, 0..1, probability of a fetal R peak (feeds detect_fetal_qrs)
//
// Windows: `window` samples (1024 at 250 Hz = 4.1 s) every `hop` samples; the last window is
// moved back to end exactly at the last sample, so every sample is covered and none is padded
// (recordings shorter than one window are padded with the window's median, i.e. zeros after
// normalisation). Each window and lead is normalised on its own (dsp/normalize.h robust_scaling:
// median, 1.4826 × MAD), the model's normalised fetal output is multiplied back by the scale to
// µV, and the windows are blended by weighted overlap-add with a strictly positive Hann-shaped
// weight, normalised by the sum of weights, so the result is continuous across window borders
// and equals a single window's output where only one covers a sample.
#pragma once

#include "core/types.h"
#include "dsp/normalize.h"

#include <cstdint>
#include <vector>

namespace fecg {

class FhnetEngine;

// Window starts covering [0, n): 0, hop, 2·hop, ... and a last one at n - window (when n >= window).
// n < window gives {0}. Throws fecg::Error on window < 1, hop < 1 or hop > window (gaps).
std::vector<std::int64_t> fhnet_window_starts(std::int64_t n, int window, int hop);

// One window of x (leads × n) starting at `start`, normalised per lead on the window itself.
// Samples beyond the end of x (only when n < window) are filled with the window's median.
// Returns the normalised leads × window and the scaling (µV) used.
struct NormalizedWindow {
  LeadMatrix x;          // leads × window, normalised
  LeadScaling scaling;   // per lead, µV
};
NormalizedWindow normalize_fhnet_window(const LeadMatrix& x_uv, std::int64_t start, int window);

// Blending weight of sample i of a window of length `window`: sin²(π (i + ½) / window), the
// periodic Hann window shifted by half a sample so that it is > 0 everywhere (no division by
// zero at the recording's edges, where a single window covers).
float fhnet_blend_weight(int i, int window);

// Lead groups the model runs on: one group when leads <= 8; more leads are dealt round-robin
// into ceil(leads / 8) groups of near-equal size (lead i → group i mod groups).
std::vector<std::vector<int>> fhnet_lead_groups(int leads);

struct FhnetStageParams {
  // 25 % overlap (768 samples, 3.1 s): every sample lies at least 128 samples (0.5 s) from the
  // edges of one window that covers it (the network has less context near its edges), and the
  // Hann blend favours that window. Against 50 % overlap (hop 512) it runs a third fewer
  // windows for the same results within record-to-record noise (README "FHNet", measured with
  // eval_classical / eval_synthetic --hop 512 and 768: ADFECGDB F1 0.966 both, FHR MAE 2.46 vs
  // 2.53 bpm; Challenge 2013 set A 0.787 vs 0.785; simulated R² 0.879 vs 0.878).
  int hop = 768;
  // Windows per call of the engine (FhnetModel::run_batch): bigger GEMMs, same results.
  int batch = 8;
  // Engines run at once, each on its own batches (a clone_for_thread() of the model, sharing its
  // weights). The outputs are blended in window order whatever the count, so the result is
  // bit-identical to threads = 1. Native builds only: under Emscripten (no pthreads in the
  // module), and for engines that cannot be cloned, the stage runs on the calling thread.
  int threads = 2;
};

struct FhnetExtraction {
  LeadMatrix fecg_uv;     // leads × n, µV (the model's normalised output × each window's scale)
  Signal rpeak_prob;      // n, 0..1
  // Lead groups the model ran on: one group when leads <= 8; more than 8 leads are dealt
  // round-robin into ceil(leads / 8) groups of near-equal size (lead i → group i mod groups), each
  // run on its own (the model is lead-order equivariant and accepts any 1..8 leads), so every
  // lead gets its fetal ECG and the R-peak probability is the mean over the groups.
  std::vector<std::vector<int>> lead_groups;
  int n_windows = 0;      // per group
  // Windows × leads: the network's attention contributions of every window (explain.h
  // attention_contributions; a group's shares divided by the number of groups), read from the
  // engine's output as each window runs. Empty when the engine gives no attention.
  LeadMatrix lead_attention;
};

// Runs the model over x_uv (leads × n, µV, preprocessed at the model's rate). Throws fecg::Error
// if fs_hz differs from the model's rate, x_uv is empty or holds a non-finite sample.
// `model` is not const: an engine owns its scratch buffers (one per thread); any FhnetEngine
// works (model/fhnet.h: our engine; pipeline/fhnet_external.h: outputs computed elsewhere).
FhnetExtraction extract_fhnet(const LeadMatrix& x_uv, double fs_hz, FhnetEngine& model,
                              const FhnetStageParams& params = {});

}  // namespace fecg
