// The averaged beat: beats cut around their R peaks, aligned to a fraction of a sample and
// averaged robustly, per lead, at 1 kHz or more.
//
//   std::vector<bool> reliable(beats.size(), true);     // or from the quality windows
//   fecg::AverageBeat avg = fecg::average_beat(fecg_uv, 1000.0, beats, reliable);
//   if (avg.why_missing.empty()) { avg.beat_uv.row(avg.best_lead) ... avg.snr_db[avg.best_lead] }
//
// Method: each beat is cut from 0.45 RR before its R peak to 0.7 RR after (RR: the median of the
// intervals between usable beats), on the lead upsampled to ≥ 1 kHz (dsp/resample.h). Its shift
// against a first median template is the maximum of the cross-correlation over the QRS
// (±0.06 RR around R, summed over leads; shifts up to ±8 ms, refined by a parabola through the
// three best lags), and it is recut at that fractional shift by linear interpolation. The
// average is a beat-wise trimmed mean: the 20 % of beats farthest from the median beat are left
// out and the rest averaged. Its noise is measured, not modelled: half the difference between the
// means of the even and of the odd kept beats has the same noise as the average and no beat in it.
#pragma once

#include "core/types.h"

#include <string>
#include <vector>

namespace fecg {

struct AverageBeatParams {
  double min_fs_hz = 1000.0;    // the average is at the input rate, upsampled to this if below
  double before_rr = 0.45;      // cut from 0.45 RR before R (the P wave: PR ≤ 0.25 RR at any rate)
  double after_rr = 0.70;       // to 0.70 RR after R (past the T end: QT ≤ 0.6 RR)
  double max_shift_s = 0.008;   // alignment search ±8 ms (an R peak found at 250 Hz is within ±4 ms)
  double align_half_rr = 0.06;  // cross-correlation over R ± 0.06 RR (the QRS at fetal and adult rates)
  double trim_fraction = 0.2;   // beat-wise trimmed mean: leave out the 20 % of beats farthest from the median beat
  int min_beats = 8;            // fewer usable beats: no average (the even/odd noise needs 4 + 4)
};

struct AverageBeat {
  double fs_hz = 0;               // rate of beat_uv
  int r_index = 0;                // column of the R peak (time 0)
  LeadMatrix beat_uv;             // leads × samples, the trimmed-mean beat (input units, µV)
  LeadMatrix noise_uv;            // leads × samples, the even/odd half difference: its noise
  std::vector<double> snr_db;     // per lead: 10 log10(power of the average / power of noise_uv);
                                  // +infinity when the beats are identical (noise_uv is zero)
  std::vector<double> variation;  // per lead: median over beats of RMS(beat − average) / RMS(average)
  int best_lead = -1;             // highest snr_db
  int n_beats = 0;                // beats averaged (kept.size())
  std::vector<std::int64_t> beats_used;  // R peaks of the beats cut (samples at the input rate):
                                         // the rows of best_lead_beats
  std::vector<int> kept;          // ascending indices into beats_used of the beats averaged
  double rr_s = 0;                // median RR of the usable beats
  LeadMatrix best_lead_beats;  // beats × samples: the aligned beats of best_lead (for the
                                    // jackknife and the sliding average of morph/morphology.h)
  std::string why_missing;        // empty when the average exists
};

// x_uv: leads × n at fs_hz; beats: R peaks (samples at fs_hz, ascending); reliable: one flag per
// beat (empty: all reliable). A beat is used when reliable, when it and its neighbour give an RR,
// and when its window lies inside the signal. Fewer than min_beats usable beats: why_missing says
// so and beat_uv is empty. Throws fecg::Error for fs_hz not finite and > 0, a `reliable` of the
// wrong length, or non-finite samples.
AverageBeat average_beat(const LeadMatrix& x_uv, double fs_hz, const BeatIndices& beats,
                         const std::vector<bool>& reliable, const AverageBeatParams& params = {});

// The per-sample trimmed mean of `rows` (beats × samples) over the beats listed in `use` (all when
// empty), trim_fraction dropped at each end (just under 0.5: the median): average_beat's
// reference beat.
Signal trimmed_mean_columns(const LeadMatrix& rows, const std::vector<int>& use, double trim_fraction);

// The plain mean of the rows listed in `use` (zeros when empty): the average of the kept beats.
Signal mean_columns(const LeadMatrix& rows, const std::vector<int>& use);

}  // namespace fecg
