// Rational resampling (polyphase FIR, Kaiser-windowed sinc anti-aliasing filter), used to bring
// every recording to the analysis rate (250 Hz) and outputs back to the input rate.
#pragma once

#include "core/types.h"

#include <cstdint>
#include <span>

namespace fecg {

// Resamples every lead from fs_in_hz to fs_out_hz. The ratio is approximated by p/q with
// q <= 1000 (exact for integer rates). Output length is ceil(n * fs_out / fs_in). Pass-band up to
// 0.45 × min(fs_in, fs_out) with < 0.1 dB ripple, > 60 dB stop-band attenuation; group delay is
// compensated so that sample k of the output lies at time k / fs_out_hz. The ends are extended
// by odd reflection (constants and linear trends continue without an edge transient). Equal
// rates return the input unchanged; zero samples give zero samples. Throws fecg::Error for
// rates that are not finite and > 0, a ratio outside 1/1000..1000, or a non-finite sample.
LeadMatrix resample(const LeadMatrix& x, double fs_in_hz, double fs_out_hz);
Signal resample(std::span<const float> x, double fs_in_hz, double fs_out_hz);

// Maps a sample index between rates (rounded to the nearest sample).
std::int64_t rescale_index(std::int64_t index, double fs_from_hz, double fs_to_hz);
BeatIndices rescale_indices(const BeatIndices& indices, double fs_from_hz, double fs_to_hz);

}  // namespace fecg
