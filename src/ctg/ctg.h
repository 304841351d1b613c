// The fetal heart rate read as a cardiotocogram (CTG): the 4 Hz series CTG systems exchange and
// the FIGO 2015 features (Ayres-de-Campos et al., Int J Gynaecol Obstet 131:13-24, 2015), computed
// from the beat-to-beat rate of the fetal ECG. A pure core: no file I/O.
//
//   fecg::CtgAnalysis ctg = fecg::analyze_ctg(result.fhr, result.mhr, duration_s);
//   if (ctg.baseline_bpm) ...;  else std::puts(ctg.baseline_why_missing.c_str());
//   for (const fecg::CtgDeceleration& d : *ctg.decelerations) ...;   // when measured
//
// What cannot be measured is an empty optional with a reason, never a default: a baseline needs
// >= 10 min of recording (FIGO 2015: "determined over a time period of 10 minutes"), the events
// need the baseline, and without a contraction channel neither the deceleration types
// (early/late/variable) nor the FIGO category can be given (`not_classified`).
#pragma once

#include "detect/heart_rate.h"

#include <optional>
#include <string>
#include <vector>

namespace fecg {

struct CtgParams {
  double rate_hz = 4.0;              // the FHR sampling rate of CTG monitors and their exchange files
  // A beat-to-beat value is held (as monitors do) until the next beat, but no longer than
  // max(hold_s, 1.5 RR): a missed beat shows as signal loss, not as a flat line.
  double hold_s = 2.0;
  double min_duration_s = 600.0;     // FIGO 2015: baseline and variability over 10-min segments
  double max_signal_loss_pct = 50.0; // above it the baseline is not given (half the trace missing)
  double event_bpm = 15.0;           // FIGO 2015: accelerations / decelerations > 15 bpm ...
  double event_min_s = 15.0;         // ... lasting > 15 s
  double event_edge_bpm = 5.0;       // an event spans the run that stays this far off the baseline
  double event_smoothing_s = 5.0;    // moving mean before event detection: beat-to-beat jitter out
  double event_gap_fill_s = 10.0;    // shorter signal losses are bridged (linearly) for detection
  double prolonged_s = 180.0;        // FIGO 2015: a deceleration of > 3 min is prolonged
  double tachycardia_bpm = 160.0, bradycardia_bpm = 110.0;  // FIGO 2015 baseline limits
  double episode_min_s = 600.0;      // FIGO 2015: tachycardia / bradycardia last > 10 min
  double variability_reduced_bpm = 5.0, variability_increased_bpm = 25.0;  // FIGO 2015 bands
};

// The 4 Hz series: sample k at time k / rate_hz from the start of the recording. NaN where there
// is no reliable beat (signal loss), as CTG shows gaps.
struct CtgSeries {
  double rate_hz = 4.0;
  std::vector<double> fhr_bpm;       // NaN: not reliable or no beat
  std::vector<double> mhr_bpm;       // NaN: no maternal beat
  std::vector<bool> reliable;        // fhr_bpm[k] is a measurement
  std::vector<double> baseline_bpm;  // the baseline curve; empty when no baseline was computed
  std::size_t size() const { return fhr_bpm.size(); }
};

struct CtgAcceleration {
  double start_s = 0, end_s = 0;
  double peak_bpm = 0;               // highest 5-s mean FHR within the event
};

struct CtgDeceleration {
  double start_s = 0, end_s = 0;
  double nadir_bpm = 0;              // lowest 5-s mean FHR within the event
  double depth_bpm = 0;              // baseline at the nadir minus the nadir
  double duration_s = 0;
  double lost_beats = 0;             // ∫ (baseline − FHR) / 60 dt over the event
  bool prolonged = false;            // duration >= CtgParams::prolonged_s
};

struct CtgEpisode {                  // tachycardia or bradycardia: the baseline beyond a limit
  double start_s = 0, end_s = 0;
  double mean_baseline_bpm = 0;
};

struct CtgAnalysis {
  CtgSeries series;
  double duration_s = 0;
  double signal_loss_pct = 100.0;    // share of the 4 Hz samples without a reliable FHR
  std::string baseline_method = "mantel_1990";
  std::optional<double> baseline_bpm;          // median of the baseline curve over reliable samples
  std::string baseline_why_missing;
  std::optional<double> variability_bpm;       // median 1-min bandwidth outside events
  std::optional<std::string> variability_band; // "reduced" (< 5), "normal" (5-25), "increased" (> 25)
  std::string variability_why_missing;
  std::optional<double> stv_ms;                // Dawes–Redman short-term variability
  std::string stv_why_missing;
  std::optional<std::vector<CtgAcceleration>> accelerations;
  std::optional<std::vector<CtgDeceleration>> decelerations;
  std::string events_why_missing;              // why accelerations / decelerations are not given
  std::optional<std::vector<CtgEpisode>> tachycardia, bradycardia;
  std::string episodes_why_missing;
  std::vector<std::string> not_classified;     // what this recording cannot tell, and why
};

// The 4 Hz FHR and MHR series of a recording of duration_s seconds. The fetal values used are the
// beat-to-beat rates (60 / RR) that are neither outliers (is_outlier) nor, where the series
// carries a `reliable` mask, in unreliable windows. Beat times are seconds from the start.
CtgSeries ctg_series(const HeartRateSeries& fhr, const HeartRateSeries& mhr, double duration_s,
                     const CtgParams& params = {});

// Baseline after the method of Mantel et al. 1990 (Int J Biomed Comput 25:261-272, the baseline
// behind the Dawes–Redman analysis): start from the peak of the FHR histogram, then low-pass filter
// the FHR (zero phase, 0.008 Hz) repeatedly, each time replacing the samples farther than a
// narrowing band from the current estimate by the estimate, so that accelerations and
// decelerations do not pull it. Our choices where we depart from or do not follow the paper's
// details: the bands are ±15, ±10, ±5 bpm; the starting level is taken from the histogram of a
// sliding 15-min window (interpolated minute by minute) rather than of the whole trace, so that a
// baseline that changes over a long recording is followed, and it is the fastest of the peaks at
// least half as tall as the tallest, so that a long deceleration is not taken for the baseline. NaN samples carry no information (replaced by
// the estimate). Returns NaN everywhere when there is no finite sample.
std::vector<double> baseline_mantel_1990(const std::vector<double>& fhr_bpm, double rate_hz);

// Everything: the series, the baseline, FIGO 2015 features and what cannot be classified. Never
// throws for any series (empty, all unreliable, 10 h long); throws fecg::Error for params or a
// duration that are not finite and positive.
CtgAnalysis analyze_ctg(const HeartRateSeries& fhr, const HeartRateSeries& mhr, double duration_s,
                        const CtgParams& params = {});

}  // namespace fecg
