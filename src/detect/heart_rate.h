// Heart-rate series from beats: beat-to-beat (60 / RR) and smoothed, with outlier correction.
#pragma once

#include "core/types.h"

#include <optional>
#include <utility>
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
  // Per value: whether it lies in a window the pipeline judged reliable (apply_reliability);
  // empty: not judged, every value counts.
  std::vector<bool> reliable;
  // Of bpm_smooth over the reliable values that are not outliers; nullopt when there is none
  // (fewer than 2 beats, every value an outlier, or no reliable window). Never clamped.
  std::optional<double> mean_bpm, min_bpm, max_bpm;
};

// `beats` need not be sorted: a sorted copy without duplicates is used. Fewer than 2 beats give
// an empty series. Outliers: rate outside [min_bpm, max_bpm], or RR more than outlier_fraction
// off the median of the in-range RR among the 11 centred on it *and* not shared by its
// neighbours: a value that at least two of the four nearest values match within 10 % is a change
// of rate (the start of a deceleration or of a bradycardia), not a missed or extra beat, which
// gives one long or two short intervals. Throws fecg::Error for a negative beat index,
// fs_hz <= 0 or inconsistent params.
//
//   fecg::HeartRateSeries fhr = fecg::heart_rate(fetal_beats, 250.0, {.min_bpm = 90, .max_bpm = 240});
HeartRateSeries heart_rate(const BeatIndices& beats, double fs_hz, const HeartRateParams& params = {});

// Marks each value reliable when its time lies in a span of `reliable_spans` (seconds, [start,
// end), non-overlapping, in any order) and recomputes mean/min/max over the reliable non-outlier
// values.
void apply_reliability(HeartRateSeries& series, const std::vector<std::pair<double, double>>& reliable_spans);

}  // namespace fecg
