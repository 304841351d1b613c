// Opens any supported recording by path: .edf, .hea (or a WFDB record path without extension),
// .csv. The format is chosen from the extension, then confirmed from the content.
#pragma once

#include "core/recording.h"
#include "io/csv.h"
#include "io/edf.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fecg {

struct ReadOptions {
  EdfOptions edf;
  CsvOptions csv;
};

Recording read_record(const std::string& path, const ReadOptions& options = {});

// Replaces missing samples (NaN, e.g. the WFDB invalid value -32768 that several Challenge 2013
// records hold) by linear interpolation between the nearest finite samples of the same lead,
// holding the first/last finite value at the edges. Returns how many samples were filled.
// Throws fecg::Error naming a lead that has no finite sample at all. Infinite values are left
// alone (they are not "missing"; validate_recording reports them).
std::int64_t fill_missing_samples(Recording& recording);

// Reads a whole file into memory; throws fecg::Error naming the path when it cannot.
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

}  // namespace fecg
