// Butterworth and notch filters as cascades of second-order sections, applied causally or
// zero-phase (forward-backward). Design by the bilinear transform with pre-warping.
//
//   fecg::SosCascade band = fecg::butterworth_bandpass(4, 1.0, 100.0, fs_hz);
//   fecg::sosfiltfilt(band, lead);               // in place, zero phase, any length >= 1
#pragma once

#include "core/types.h"

#include <array>
#include <complex>
#include <span>
#include <vector>

namespace fecg {

// One biquad: {b0, b1, b2, a0, a1, a2} with a0 == 1.
using Biquad = std::array<double, 6>;
using SosCascade = std::vector<Biquad>;

// Orders are of the analogue prototype (a band-pass of order N has N sections). Cut-offs are the
// -3 dB points in Hz; they must satisfy 0 < f < fs_hz / 2 (throws fecg::Error otherwise).
SosCascade butterworth_lowpass(int order, double cutoff_hz, double fs_hz);
SosCascade butterworth_highpass(int order, double cutoff_hz, double fs_hz);
SosCascade butterworth_bandpass(int order, double low_hz, double high_hz, double fs_hz);

// Second-order IIR notch at `freq_hz` with quality factor `q` (bandwidth = freq_hz / q).
SosCascade notch(double freq_hz, double q, double fs_hz);

// Causal filtering in place (direct form II transposed, double-precision state). Both filters
// throw fecg::Error on a non-finite sample or a section with a0 != 1; an empty span is a no-op.
void sosfilt(const SosCascade& sos, std::span<float> x);

// Zero-phase filtering in place: odd (point-symmetric) extension of 3 × (longest transient) at
// each end, steady-state initial conditions, forward then backward pass. Magnitude response is
// |H|², phase zero. Works for any length >= 1 (short inputs use shorter padding).
void sosfiltfilt(const SosCascade& sos, std::span<float> x);
void sosfiltfilt_rows(const SosCascade& sos, LeadMatrix& x);

// Complex frequency response of the cascade at f_hz (single pass).
std::complex<double> sos_response(const SosCascade& sos, double f_hz, double fs_hz);

// Power-line frequency present in the leads: 50 or 60 (Hz) when a narrow peak at that frequency
// stands clearly above its neighbourhood in the averaged spectrum, 0 when neither does or when
// fs_hz is too low to see it. Looks at up to four 4-s segments per lead (a few ms on any length);
// segments holding non-finite samples (gaps) are ignored.
double detect_powerline_hz(const LeadMatrix& x, double fs_hz);

}  // namespace fecg
