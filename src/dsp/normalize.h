// Robust, invertible per-lead normalisation: x_norm = (x_uv - center_uv) / scale_uv, with the
// median as centre and a robust spread (1.4826 × MAD, floored) as scale, so that the network and
// the detectors see leads of comparable amplitude and outputs go back to microvolts exactly.
#pragma once

#include "core/types.h"

namespace fecg {

struct LeadScaling {
  Eigen::VectorXf center_uv;  // per lead
  Eigen::VectorXf scale_uv;   // per lead, > 0 (flat leads get a floor of 1 µV)
};

LeadScaling robust_scaling(const LeadMatrix& x_uv);
LeadMatrix normalize(const LeadMatrix& x_uv, const LeadScaling& scaling);
LeadMatrix denormalize(const LeadMatrix& x_norm, const LeadScaling& scaling);
// Inverse for signals that carry no offset (extracted components): x_uv = x_norm × scale_uv.
LeadMatrix denormalize_scale_only(const LeadMatrix& x_norm, const LeadScaling& scaling);

}  // namespace fecg
