// Building blocks shared by the QRS detectors and the quality indices (internal to src/detect):
// input checks, band-pass filtering of one lead, moving sums, robust levels, RR regularity.
// Everything is linear in the number of samples (recordings may last hours).
#pragma once

#include "core/types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fecg::detect_detail {

// Throws fecg::Error from `function` unless fs_hz is positive and finite and every sample of `x`
// is finite (the message names the first bad lead, the count and the first bad sample).
void check_leads(const char* function, const LeadMatrix& x, double fs_hz);

// Copy of row `lead` of `x`, band-passed zero-phase (Butterworth, 2nd-order prototype, i.e. a
// 4th-order band-pass whose magnitude is squared by the forward-backward pass). `high_hz` is
// lowered to 0.45 × fs_hz when the rate is too low for it; throws fecg::Error from `function` when
// nothing of the band is left.
std::vector<float> bandpass_lead(const char* function, const LeadMatrix& x, Eigen::Index lead,
                                 double low_hz, double high_hz, double fs_hz);

// Centred moving average of `x` over `width` samples (odd width; shorter at the ends), computed
// with a double-precision running sum so that hour-long inputs stay accurate.
std::vector<float> moving_average(const std::vector<float>& x, int width);

// Median of the maxima of `x` in consecutive windows of `window_n` samples: when every window
// holds at least one beat this is the typical beat height of a detection function, robust to a
// few artefacts and to a minority of missed beats. Falls back to the maximum of `x` when `x` is
// shorter than one window. 0 for an empty `x`.
float median_window_max(const std::vector<float>& x, std::int64_t window_n);

// The p-quantile (0..1, nearest rank) of `values`, which it reorders. 0 for an empty input.
float quantile_in_place(std::vector<float>& values, double p);

// Median of `x` estimated on at most ~16384 evenly spaced samples: a global level (the floor of a
// detection function, a lead's spread) needs no more, and a full selection over an hour-long
// signal would dominate the detectors' run time. 0 for an empty `x`.
float subsampled_median(const std::vector<float>& x);
float subsampled_median(const float* x, std::int64_t n);

// Indices i where x[i-1] < x[i] >= x[i+1] (local maxima), ascending.
std::vector<std::int64_t> local_maxima(const std::vector<float>& x);

// Fraction (0..1) of RR intervals of `beats` that lie within [min_rr_s, max_rr_s] and deviate by
// no more than `tolerance` (relative) from the median of the 9 intervals centred on them.
// 0 when there are fewer than 3 beats.
double rr_regularity(const BeatIndices& beats, double fs_hz, double min_rr_s, double max_rr_s,
                     double tolerance);

}  // namespace fecg::detect_detail
