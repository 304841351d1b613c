// Helpers shared by the extraction sources (template_subtraction.cpp, fastica.cpp, ts_ica.cpp).
// Private to src/extract: not part of the public interface.
#pragma once

#include "core/types.h"
#include "extract/extract.h"

#include <string>

namespace fecg::extract_detail {

// Throws fecg::Error (prefixed by `who`) unless x has ≥ 1 lead and ≥ 1 sample, all finite, and
// fs_hz is finite and positive.
void check_leads(const LeadMatrix& x, double fs_hz, const std::string& who);

// Throws fecg::Error unless the beats are ascending and inside [0, n_samples).
void check_beats(const BeatIndices& beats, Eigen::Index n_samples, const std::string& who);

// Catmull–Rom (cubic Hermite) interpolation of x at fractional position t (samples); positions
// outside [0, n-1] take the nearest end value. Flat to ~2 % up to 0.2 fs, unlike linear
// interpolation (12 % loss at 40 Hz and fs = 250 Hz for a half-sample shift).
float interpolate_cubic(const float* x, Eigen::Index n, double t);

// ICA over blocks of the leads, fetal sources chosen per block and stitched: the engine shared by
// extract_ica and extract_ts_ica. x: leads × n, zero-mean-ish µV. suppress_maternal: sources are
// scored, and detection channels made, after removing their maternal-synchronous average beat
// (for ICA on raw leads, whose fetal sources keep maternal leakage); fecg_uv is always the plain
// back-projection of the chosen sources.
ExtractionResult ica_extract_blocks(const LeadMatrix& x, double fs_hz, const BeatIndices& maternal,
                                    const FastIcaParams& params, const std::string& who,
                                    bool suppress_maternal);

}  // namespace fecg::extract_detail
