// Opens any supported recording by path: .edf, .hea (or a WFDB record path without extension),
// .csv. The format is chosen from the extension, then confirmed from the content.
#pragma once

#include "core/recording.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/record_reader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fecg {

struct ReadOptions {
  EdfOptions edf;
  CsvOptions csv;
};

Recording read_record(const std::string& path, const ReadOptions& options = {});

// Opens `path` for ranged reads (io/record_reader.h): .edf, .hea/.dat or a WFDB record path.
// Throws fecg::Error when the file is unreadable or damaged, and when its format cannot be read
// by ranges (CSV text, an EDF with leads at different rates, WFDB format 8): read_record()
// reads those whole.
std::unique_ptr<RecordReader> open_record_reader(const std::string& path, const ReadOptions& options = {});

// Reads a whole file into memory; throws fecg::Error naming the path when it cannot.
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

}  // namespace fecg
