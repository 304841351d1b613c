// Opening a recording by path: the one place that maps file extensions to readers.
#include "io/record.h"

#include "core/error.h"
#include "io/wfdb.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

namespace fecg {
namespace {

std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw Error("read_file_bytes: cannot open '" + path + "'");
  const std::streamoff size = file.tellg();
  if (size < 0) throw Error("read_file_bytes: cannot tell the size of '" + path + "' (not a regular file?)");
  if (static_cast<unsigned long long>(size) > std::numeric_limits<size_t>::max() / 2)
    throw Error("read_file_bytes: '" + path + "' is too large (" + std::to_string(size) + " bytes)");
  std::vector<std::uint8_t> bytes(static_cast<size_t>(size));
  file.seekg(0);
  if (size > 0 && !file.read(reinterpret_cast<char*>(bytes.data()), size))
    throw Error("read_file_bytes: reading '" + path + "' failed after " + std::to_string(file.gcount()) +
                " of " + std::to_string(size) + " bytes");
  return bytes;
}

std::int64_t fill_missing_samples(Recording& recording) {
  std::int64_t filled = 0;
  const Eigen::Index n = recording.samples_uv.cols();
  for (Eigen::Index i = 0; i < recording.samples_uv.rows(); ++i) {
    auto row = recording.samples_uv.row(i);
    Eigen::Index previous = -1;  // last finite sample before the current gap
    for (Eigen::Index j = 0; j <= n; ++j) {
      if (j < n && std::isnan(row[j])) continue;
      const Eigen::Index gap_start = previous + 1;
      if (j > gap_start) {  // samples gap_start..j-1 are NaN
        if (previous < 0 && j == n) {
          const std::string name = static_cast<size_t>(i) < recording.lead_names.size()
                                       ? recording.lead_names[static_cast<size_t>(i)]
                                       : std::to_string(i + 1);
          throw Error("fill_missing_samples: lead '" + name + "' has no finite sample");
        }
        for (Eigen::Index k = gap_start; k < j; ++k) {
          if (previous < 0) row[k] = row[j];
          else if (j == n) row[k] = row[previous];
          else
            row[k] = row[previous] + (row[j] - row[previous]) * static_cast<float>(k - previous) /
                                         static_cast<float>(j - previous);
        }
        filled += j - gap_start;
      }
      previous = j;
    }
  }
  return filled;
}

Recording read_record(const std::string& path, const ReadOptions& options) {
  const std::string ext = lower_extension(path);
  if (ext == ".edf") return read_edf(path, options.edf);
  if (ext == ".csv" || ext == ".txt" || ext == ".tsv") return read_csv(path, options.csv);
  // ".hea", ".dat" or a bare record name: WFDB (signal files are named by the header).
  if (ext == ".hea" || ext.empty()) return read_wfdb_record(path);
  if (ext == ".dat") return read_wfdb_record(path.substr(0, path.size() - ext.size()));
  // An unknown extension: the content decides. An EDF file starts with "0" and 7 spaces.
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  static constexpr char kEdfVersion[] = "0       ";
  if (bytes.size() >= 256 && std::equal(kEdfVersion, kEdfVersion + 8, bytes.begin())) {
    try {
      return parse_edf(bytes, options.edf);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " [" + path + "]");
    }
  }
  throw Error("read_record: cannot tell the format of '" + path + "' from its extension '" + ext +
              "' (expected .edf, .hea, .csv or a WFDB record name)");
}

}  // namespace fecg
