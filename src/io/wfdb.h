// WFDB records (header + signal files). The annotation files are io/wfdb_annotations.h, included
// here too since most callers of one want the other.
#pragma once

#include "io/wfdb_annotations.h"

#include "core/recording.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

struct WfdbSignalSpec {
  std::string file_name;   // signal file, e.g. "a01.dat"
  int format = 16;         // 16, 212, 80, 61, ...
  double gain_adu_per_unit = 200.0;
  int baseline_adu = 0;
  std::string units = "mV";
  int adc_zero = 0;
  int initial_value = 0;
  int checksum = 0;
  bool has_checksum = false;
  int block_size = 0;
  int byte_offset = 0;
  std::string description;
};

struct WfdbHeader {
  std::string record_name;
  int n_signals = 0;
  double fs_hz = 250.0;
  std::int64_t n_samples = 0;   // per signal; 0 when the header does not say
  std::string base_time, base_date;
  std::vector<WfdbSignalSpec> signals;
};

WfdbHeader parse_wfdb_header(std::string_view text);

// Reads a record given the header and a way to get each signal file's bytes by name.
Recording parse_wfdb_record(std::string_view header_text,
                            const std::function<std::vector<std::uint8_t>(const std::string&)>& read_file);
// `record_path`: "dir/a01", "dir/a01.hea" (signal files are looked up beside the header).
Recording read_wfdb_record(const std::string& record_path);

// Opens a record for ranged reads (io/record_reader.h): the header and every signal file's
// size are checked now (the same checks as parse_wfdb_record), and the header's checksums by one
// pass over the files in blocks; each read() then reads only the frames it returns. Format 8
// (first differences) is refused: its samples depend on every byte before them.
class ByteSource;
class RecordReader;
std::unique_ptr<RecordReader> open_wfdb_reader(
    std::string_view header_text, const std::function<std::unique_ptr<ByteSource>(const std::string&)>& open_file);

// Writes `<record_path>.hea` and `<record_path>.dat` (format 16, gain chosen from the data).
void write_wfdb_record(const std::string& record_path, const Recording& recording);

}  // namespace fecg
