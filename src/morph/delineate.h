// ECG wave delineation: the wavelet delineator of Martínez et al. 2004 (IEEE TBME 51(4):570),
// implemented from the paper's description, scaled to the heart rate so that one code path
// serves adult ECG (QT Database, 250 Hz) and fetal ECG (an averaged fetal beat at 1 kHz).
//
//   std::vector<double> r = {812, 1014, ...};                 // R peaks, samples at fs_hz
//   auto waves = fecg::delineate_martinez_2004(lead, 250.0, r, /*rr_s=*/0.8);
//   if (waves[0].qrs_on.sample) { ... }  else puts(waves[0].qrs_on.why_missing.c_str());
//
// Method (Martínez 2004, section II): the quadratic-spline wavelet transform à trous at scales
// 2^1..2^5 (the derivative of the signal smoothed at growing widths; a wave's peak is a zero
// crossing between two modulus maxima of opposite sign, its onset/end where the modulus falls
// below a fraction ξ of the first/last maximum). QRS at scale 2^2, T at 2^4 (2^5 when 2^4 shows
// none), P at 2^4. Thresholds are the paper's (ξ_QRSon 0.05/0.07, ξ_QRSend 0.125/0.71,
// ξ_Ton 0.25, ξ_Tend 0.4, ξ_Pon 0.5, ξ_Pend 0.9; significance γ_QRSpre 0.06, γ_QRSpost 0.09 of
// the largest QRS maximum, ε_T 0.25 × the RMS of the transform in the T window).
//
// Heart-rate scaling (ours): the paper's filters and windows are for adults at 250 Hz. The signal
// is resampled to 250 Hz / σ with σ = RR / reference_rr_s limited to [min_time_scale, 1], so an
// adult at up to 80 bpm is delineated exactly as in the paper, and a fetal heart at 140 bpm
// (RR 430 ms, σ ≈ 0.57) is stretched until its QRS (≈ 50 ms, Chia et al. 2005) spans what an
// adult's does (≈ 90 ms). Every window below is in these "adult-equivalent" milliseconds.
//
// Refusals (ours): a wave is only marked when its modulus maximum exceeds min_wave_z times the
// noise of the transform at that scale (from a noise trace when the caller has one, e.g. the
// split-half difference of an averaged beat; else from the median absolute value at scale 2^1,
// the MAD estimate of white noise). A mark whose threshold is not reached inside its search
// window is refused as well. Each refusal says why.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fecg {

// One fiducial mark: a fractional sample index at the input rate, or the reason it is absent.
struct WaveMark {
  std::optional<double> sample;
  double confidence = 0;    // 0..1: z² / (z² + 9), z = the wave's modulus maximum over the noise
  std::string why_missing;  // empty when sample is set
};

struct BeatWaves {
  double r_given = 0;  // the R peak the caller gave (samples)
  WaveMark p_on, p_peak, p_off, qrs_on, r_peak, qrs_off, t_on, t_peak, t_off;
};

struct DelineatorParams {
  double reference_rr_s = 0.75;  // σ = RR / this (80 bpm: the paper's own scale)
  double min_time_scale = 0.45;  // σ floor: 0.45 covers fetal rates up to ~180 bpm
  double min_wave_z = 3.0;       // modulus maximum / noise sd needed to mark a wave
};

// Delineates every beat of one lead. x: the lead (any units), fs_hz its rate; r_samples: R peaks
// (ascending, samples at fs_hz, fractional allowed; peaks outside the signal give all-missing
// marks); rr_s: the typical RR interval (e.g. the median) which sets σ. noise (optional, same
// length as x): a trace of the noise alone. Throws fecg::Error for fs_hz or rr_s not finite and
// > 0, a noise trace of the wrong length, or a non-finite sample.
std::vector<BeatWaves> delineate_martinez_2004(std::span<const float> x, double fs_hz,
                                               const std::vector<double>& r_samples, double rr_s,
                                               const DelineatorParams& params = {},
                                               std::span<const float> noise = {});

// Several leads' marks for the same beats (each as returned above, same r_samples) joined into
// one by the multilead rule of Martínez 2004 section II-F in its simple form: onsets take the
// earliest and ends the latest lead among leads within `tolerance` (ms at fs_hz: QRS 12, P and
// T on/end 20/40) of the most confident lead; peaks come from the most confident lead.
BeatWaves combine_leads_martinez_2004(const std::vector<const BeatWaves*>& leads, double fs_hz);

}  // namespace fecg
