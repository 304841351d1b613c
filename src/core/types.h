// Shared numeric types of the core.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace fecg {

// Multi-lead signal, leads × samples, row-major so that each lead is contiguous in memory
// (every stage filters, detects and normalises lead by lead). Units are stated by the owner.
using LeadMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One lead, or any 1-D signal.
using Signal = Eigen::VectorXf;

// Sample indices of beats (R peaks), ascending, at the sampling rate of the signal they index.
using BeatIndices = std::vector<std::int64_t>;

}  // namespace fecg
