// EDF and EDF+ (Kemp et al. 1992, 2003) reader and writer.
#pragma once

#include "core/recording.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fecg {

struct EdfOptions {
  // Signals at a lower rate than the fastest one are resampled to it when true; refused with a
  // clear error when false. The "EDF Annotations" signal is never a lead.
  bool resample_mixed_rates = true;
};

// Parses a whole EDF/EDF+C file held in memory (EDF+D, discontinuous, is refused with a message).
// Digital values are scaled to physical ones by each signal's (physical, digital) ranges, then
// converted to µV from the signal's unit; a signal whose unit is not a voltage is refused.
Recording parse_edf(std::span<const std::uint8_t> bytes, const EdfOptions& options = {});
Recording read_edf(const std::string& path, const EdfOptions& options = {});

// Opens an EDF/EDF+C file for ranged reads (io/record_reader.h): reads and checks the header
// and the file size now (the same checks as parse_edf), then each read() reads only the data
// records it needs and checks their EDF+ time-keeping annotations. Annotations are not
// collected. Files whose leads have different rates are refused (parse_edf resamples those).
class ByteSource;
class RecordReader;
std::unique_ptr<RecordReader> open_edf_reader(std::unique_ptr<ByteSource> source);

// Writes leads as a 16-bit EDF+C file (physical unit uV, range from the data, annotations as TAL).
std::vector<std::uint8_t> encode_edf(const Recording& recording);
void write_edf(const std::string& path, const Recording& recording);

}  // namespace fecg
