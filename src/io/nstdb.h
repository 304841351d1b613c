// The MIT-BIH Noise Stress Test Database records as noise for the simulator (synth/simulator.h
// NoiseBank): the file side of it, so that the simulator itself takes noise recordings as data.
#pragma once

#include "synth/simulator.h"

#include <string>

namespace fecg {

// Loads bw, em and ma from a directory holding the NSTDB records (WFDB). Throws fecg::Error if a
// record is missing or unreadable. Both channels of each record are kept, at the records' own rate
// (360 Hz); simulate() cuts random segments and resamples them to its fs_hz.
NoiseBank load_nstdb(const std::string& directory);

}  // namespace fecg
