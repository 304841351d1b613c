// Scoring against a reference, in the conventions of the field (PhysioNet/CinC Challenge 2013,
// ADFECGDB studies): beats matched one-to-one within ±50 ms; heart rate as MAE (bpm) and MSE
// (bpm²); waveforms as RMSE, R², Pearson r and RMSE on the truth scaled to unit peak per window.
#pragma once

#include "core/types.h"

#include <span>

namespace fecg {

struct BeatScore {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  double sensitivity = 0;  // TP / (TP + FN)
  double ppv = 0;          // TP / (TP + FP)
  double f1 = 0;           // 2 TP / (2 TP + FP + FN)
};

// One-to-one matching of test beats to reference beats within ±tolerance_s (greedy on distance).
// Beats in the first and last `margin_s` of [0, n_samples) may be excluded (0 = keep all).
// Inputs need not be sorted. A ratio with an empty denominator is 1 (nothing to miss, nothing
// falsely detected): both empty gives Se = PPV = F1 = 1; an empty test against a non-empty
// reference gives Se = 0, PPV = 1, F1 = 0. Throws fecg::Error for fs_hz <= 0 or tolerance_s < 0.
BeatScore score_beats(const BeatIndices& reference, const BeatIndices& test, double fs_hz,
                      double tolerance_s = 0.05);

struct HeartRateScore {
  double mae_bpm = 0;
  double mse_bpm2 = 0;
  int n = 0;  // number of comparison instants
};

// Heart rate from each beat series (60 / RR, placed at the RR midpoint, linearly interpolated),
// compared at every reference RR midpoint inside the span covered by both series. Reference RR
// intervals outside 0.25–2 s (physiologically impossible for a fetus) are skipped.
// Zero-length test intervals (duplicated beats) are skipped; other implausible test intervals
// are kept, being the errors to score. n = 0 (and MAE = MSE = 0) when no instant is comparable.
HeartRateScore score_heart_rate(const BeatIndices& reference, const BeatIndices& test, double fs_hz);

struct WaveformScore {
  double rmse = 0;             // in the signals' units
  double r2 = 0;               // 1 - SSE / SST (about the reference mean)
  double pearson = 0;
  double rmse_normalised = 0;  // RMSE after dividing both by max |reference| in each window
};

// Compares two equally long signals. `window_n` is the window for rmse_normalised (0 = whole;
// the last window may be shorter; windows where the reference is all zero are skipped). For a
// constant reference R² is 1 on an exact match and 0 otherwise, and Pearson r is 0 when either
// signal is constant. Throws fecg::Error on different lengths, empty or non-finite input.
WaveformScore score_waveform(std::span<const float> reference, std::span<const float> test,
                             std::size_t window_n = 0);

}  // namespace fecg
