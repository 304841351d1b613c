// Heart-rate series from beats: beat-to-beat (60 / RR) and smoothed, with outlier correction.
#pragma once

#include "core/types.h"

#include <vector>

namespace fecg {

struct HeartRateParams {
  double min_bpm = 50.0;           // RR intervals implying rates outside [min, max] are outliers
  double max_bpm = 240.0;
  double outlier_fraction = 0.2;   // |RR - local median RR| > 20 % of it is an outlier
  double smoothing_s = 5.0;        // width of the smoothing window (median then mean)
};

struct HeartRateSeries {
  std::vector<double> time_s;      // time of each beat-to-beat value (the later beat of the pair)
  std::vector<double> bpm;         // beat-to-beat rate, 60 / RR
  std::vector<double> bpm_smooth;  // outliers replaced by interpolation, then smoothed
  std::vector<bool> is_outlier;    // per value: replaced in bpm_smooth
  double mean_bpm = 0, min_bpm = 0, max_bpm = 0;  // of bpm_smooth; 0 when fewer than 2 beats
};

// `beats` need not be sorted: a sorted copy without duplicates is used. Fewer than 2 beats give
// an empty series. Outliers: rate outside [min_bpm, max_bpm], or RR more than outlier_fraction
// off the median of the in-range RR among the 11 centred on it. Throws fecg::Error for a negative
// beat index, fs_hz <= 0 or inconsistent params.
//
//   fecg::HeartRateSeries fhr = fecg::heart_rate(fetal_beats, 250.0, {.min_bpm = 90, .max_bpm = 240});
HeartRateSeries heart_rate(const BeatIndices& beats, double fs_hz, const HeartRateParams& params = {});

}  // namespace fecg
