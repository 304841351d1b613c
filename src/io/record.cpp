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

std::unique_ptr<RecordReader> open_record_reader(const std::string& path, const ReadOptions& options) {
  (void)options;  // EDF options concern mixed rates, which ranged reads refuse anyway
  const std::string ext = lower_extension(path);
  if (ext == ".edf") return open_edf_reader(open_file_source(path));
  if (ext == ".hea" || ext.empty() || ext == ".dat") {
    std::string base = ext.empty() ? path : path.substr(0, path.size() - ext.size());
    const size_t slash = base.find_last_of("/\\");
    const std::string dir = slash == std::string::npos ? "" : base.substr(0, slash + 1);
    const std::vector<std::uint8_t> header = read_file_bytes(base + ".hea");
    try {
      return open_wfdb_reader(std::string_view(reinterpret_cast<const char*>(header.data()), header.size()),
                              [&](const std::string& name) { return open_file_source(dir + name); });
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " [" + base + ".hea]");
    }
  }
  throw Error("open_record_reader: '" + path + "' cannot be read by ranges (only EDF and WFDB records can)");
}

}  // namespace fecg
