// Reading a recording by sample ranges, so that a long one (10 hours, 4 leads at 1 kHz: 144
// million samples) never has to be held in memory at once. EDF data records and WFDB frames
// have a fixed size, so any range is a seek and one read; the whole-file readers (edf.h, wfdb.h,
// csv.h) stay the simple path for short recordings and for tests.
//
//   auto reader = fecg::open_record_reader("night.edf");          // io/record.h; reads the header
//   const fecg::Recording& meta = reader->header();                // names, units, fs; no samples
//   fecg::LeadMatrix block = reader->read(0, 60 * 1000);           // leads × 60000, µV
//
// Files are reached through a ByteSource (a file here, a browser File elsewhere), so that the
// format code never touches the file system itself.
#pragma once

#include "core/recording.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fecg {

// Random access to the bytes of one file.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::int64_t size() const = 0;
  // Copies bytes [offset, offset + out.size()) into `out`. Throws fecg::Error (naming the
  // source) when the range is not inside the file or the read fails.
  virtual void read(std::int64_t offset, std::span<std::uint8_t> out) = 0;
  // For error messages: the path or name of the file.
  virtual const std::string& name() const = 0;
};

// A file on disk, opened once and read with seeks. Throws fecg::Error when it cannot be opened.
std::unique_ptr<ByteSource> open_file_source(const std::string& path);
// Bytes already in memory (tests; a browser that was handed the whole file).
std::unique_ptr<ByteSource> memory_source(std::vector<std::uint8_t> bytes, std::string name);

// A recording opened for ranged reads.
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Rate, lead names, units, start time; samples_uv is leads × 0 and annotations are not read.
  const Recording& header() const { return header_; }
  std::int64_t n_samples() const { return n_samples_; }
  double duration_s() const { return header_.fs_hz > 0 ? static_cast<double>(n_samples_) / header_.fs_hz : 0.0; }
  // Samples [start, start + count) of every lead, µV (NaN where the file marks a sample as
  // missing, as the whole-file readers do). Throws fecg::Error when the range is outside
  // [0, n_samples()) or the file turns out to be damaged there.
  virtual LeadMatrix read(std::int64_t start, std::int64_t count) = 0;

 protected:
  Recording header_;
  std::int64_t n_samples_ = 0;
};

// A recording already in memory seen through the same interface (tests, CSV).
std::unique_ptr<RecordReader> recording_reader(Recording recording);

}  // namespace fecg
