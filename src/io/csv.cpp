// CSV recordings (RFC 4180 quoting; comma, semicolon or tab delimited).
#include "io/csv.h"

#include "core/error.h"
#include "io/io_detail.h"
#include "io/record.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace fecg {
namespace {

using io_detail::format_decimal;
using io_detail::parse_double;
using io_detail::show_field;
using io_detail::trim;

constexpr std::array<const char*, 5> kTimeColumnNames = {"time", "t", "time_s", "seconds", "sec"};
// Time steps may differ from their mean by this fraction (printed times are rounded, e.g.
// 0.002778 s at 360 Hz is 1.8e-4 off) before the column is called non-uniform.
constexpr double kTimeStepTolerance = 0.01;
// A derived rate this close (relative) to an integer is that integer.
constexpr double kRateSnapTolerance = 1e-4;

// Text of a float that reads back to the same float. std::to_chars (shortest form, fast) where the
// standard library has it for floating point; "%.9g" (also exact, slower) otherwise (Emscripten's
// libc++). Returns the end of the text written at `out`.
char* format_shortest(char* out, std::size_t size, float value) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto result = std::to_chars(out, out + size, value);
  if (result.ec != std::errc()) throw Error("csv: cannot format a sample");
  return result.ptr;
#else
  const int n = std::snprintf(out, size, "%.9g", static_cast<double>(value));
  if (n < 0 || static_cast<std::size_t>(n) >= size) throw Error("csv: cannot format a sample");
  return out + n;
#endif
}

char* format_fixed(char* out, std::size_t size, double value, int decimals) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto result = std::to_chars(out, out + size, value, std::chars_format::fixed, decimals);
  if (result.ec != std::errc()) throw Error("csv: cannot format a time");
  return result.ptr;
#else
  const int n = std::snprintf(out, size, "%.*f", decimals, value);
  if (n < 0 || static_cast<std::size_t>(n) >= size) throw Error("csv: cannot format a time");
  return out + n;
#endif
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Splits one line on `delimiter`, honouring double quotes ("a,b" and "" for a quote).
std::vector<std::string> split_cells(std::string_view line, char delimiter, size_t line_number) {
  std::vector<std::string> cells(1);
  bool in_quotes = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == delimiter) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  if (in_quotes) throw Error("csv: line " + std::to_string(line_number) + ": unterminated quote");
  return cells;
}

// The delimiter that occurs most often in the header line (outside quotes); none → one column.
char detect_delimiter(std::string_view line) {
  std::array<size_t, 3> counts{};
  constexpr std::array<char, 3> candidates = {',', ';', '\t'};
  bool in_quotes = false;
  for (const char c : line) {
    if (c == '"') in_quotes = !in_quotes;
    if (in_quotes) continue;
    for (size_t k = 0; k < candidates.size(); ++k)
      if (c == candidates[k]) ++counts[k];
  }
  const auto best = std::max_element(counts.begin(), counts.end());
  return *best == 0 ? ',' : candidates[static_cast<size_t>(best - counts.begin())];
}

bool is_missing_cell(const std::string& cell) {
  const std::string t = lower(trim(cell));
  return t.empty() || t == "nan";
}

std::optional<double> parse_cell(std::string cell, bool decimal_comma) {
  if (decimal_comma) std::replace(cell.begin(), cell.end(), ',', '.');
  return parse_double(cell);
}

}  // namespace

Recording parse_csv(std::string_view text, const CsvOptions& options) {
  const auto unit_uv = microvolts_per_unit(options.units);
  if (!unit_uv)
    throw Error("csv: unit " + show_field(options.units) + " is not a voltage (expected uV, mV or V)");
  if (options.fs_hz && (!std::isfinite(*options.fs_hz) || *options.fs_hz <= 0))
    throw Error("csv: sampling rate " + format_decimal(*options.fs_hz, 6) + " Hz must be a positive number");
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM

  // Non-empty, non-comment lines with their 1-based line numbers.
  std::vector<std::pair<size_t, std::string_view>> lines;
  size_t start = 0, number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    if (!io_detail::trim_view(line).empty() && line[0] != '#') lines.emplace_back(number, line);
    start = end + 1;
  }
  if (lines.empty()) throw Error("csv: no header row and no data (empty file)");
  const char delimiter = detect_delimiter(lines[0].second);
  // With ';' or tab as delimiter a comma is a decimal separator (European spreadsheets).
  const bool decimal_comma = delimiter != ',';

  std::vector<std::string> names = split_cells(lines[0].second, delimiter, lines[0].first);
  for (auto& n : names) n = trim(n);
  const size_t n_columns = names.size();
  // A first row of numbers is data, not a header: name the columns lead_1, lead_2, ...
  const bool has_header = !std::all_of(names.begin(), names.end(),
                                       [&](const std::string& n) { return parse_cell(n, decimal_comma).has_value(); });
  if (!has_header)
    for (size_t c = 0; c < n_columns; ++c) names[c] = "lead_" + std::to_string(c + 1);
  int time_column = -1;
  for (size_t c = 0; c < n_columns && has_header; ++c) {
    const std::string n = lower(names[c]);
    if (std::find(kTimeColumnNames.begin(), kTimeColumnNames.end(), n) != kTimeColumnNames.end()) {
      time_column = static_cast<int>(c);
      break;
    }
  }
  for (size_t c = 0; c < n_columns; ++c)
    if (names[c].empty()) throw Error("csv: header column " + std::to_string(c + 1) + " has no name");
  const size_t n_leads = n_columns - (time_column >= 0 ? 1 : 0);
  if (n_leads == 0) throw Error("csv: no lead columns besides the time column");

  const size_t first_data = has_header ? 1 : 0;
  const size_t n_rows = lines.size() - first_data;
  if (n_rows == 0) throw Error("csv: header row but no data rows");
  if (static_cast<std::int64_t>(n_rows) > io_detail::kMaxTotalSamples / static_cast<std::int64_t>(n_leads))
    throw Error("csv: too many samples to hold");
  Recording out;
  out.samples_uv.resize(static_cast<Eigen::Index>(n_leads), static_cast<Eigen::Index>(n_rows));
  std::vector<double> times;
  if (time_column >= 0) times.reserve(n_rows);
  for (size_t r = 0; r < n_rows; ++r) {
    const auto& [line_number, line] = lines[first_data + r];
    const std::vector<std::string> cells = split_cells(line, delimiter, line_number);
    if (cells.size() != n_columns)
      throw Error("csv: line " + std::to_string(line_number) + " has " + std::to_string(cells.size()) +
                  " cells, expected " + std::to_string(n_columns) + " (as in the header)");
    size_t lead = 0;
    for (size_t c = 0; c < n_columns; ++c) {
      const bool is_time = static_cast<int>(c) == time_column;
      // An empty or "NaN" lead cell is a missing sample (how spreadsheets and pandas write one):
      // NaN, which the pipeline bridges with a warning, as WFDB's invalid samples. A time is
      // never missing.
      if (!is_time && is_missing_cell(cells[c])) {
        out.samples_uv(static_cast<Eigen::Index>(lead++), static_cast<Eigen::Index>(r)) =
            std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const auto value = parse_cell(cells[c], decimal_comma);
      if (!value)
        throw Error("csv: line " + std::to_string(line_number) + ", column " + std::to_string(c + 1) + " ('" +
                    names[c] + "'): " +
                    (trim(cells[c]).empty() ? std::string("empty time cell")
                                            : show_field(cells[c]) + " is not a finite number"));
      if (is_time) {
        times.push_back(*value);
      } else {
        // Samples are 32-bit floats in µV: 1e70 is a finite double but would read as Inf.
        const double uv = *value * *unit_uv;
        if (!(std::abs(uv) <= std::numeric_limits<float>::max()))
          throw Error("csv: line " + std::to_string(line_number) + ", column " + std::to_string(c + 1) + " ('" +
                      names[c] + "'): " + show_field(cells[c]) + " " + options.units +
                      " is beyond the range of a 32-bit float in uV");
        out.samples_uv(static_cast<Eigen::Index>(lead), static_cast<Eigen::Index>(r)) = static_cast<float>(uv);
        ++lead;
      }
    }
  }
  for (size_t c = 0; c < n_columns; ++c) {
    if (static_cast<int>(c) == time_column) continue;
    out.lead_names.push_back(names[c]);
    out.units.push_back(options.units);
  }

  if (options.fs_hz) {
    out.fs_hz = *options.fs_hz;
  } else if (time_column >= 0) {
    if (times.size() < 2) throw Error("csv: one row cannot give a sampling rate; pass fs_hz");
    const double step = (times.back() - times.front()) / static_cast<double>(times.size() - 1);
    if (!(step > 0)) throw Error("csv: the time column '" + names[static_cast<size_t>(time_column)] + "' does not increase");
    for (size_t i = 1; i < times.size(); ++i) {
      const double d = times[i] - times[i - 1];
      if (std::abs(d - step) > kTimeStepTolerance * step)
        throw Error("csv: time column is not uniform: line " + std::to_string(lines[first_data + i].first) +
                    " steps " + format_decimal(d, 9) + " s, mean step " + format_decimal(step, 9) +
                    " s (resample first, or pass fs_hz)");
    }
    const double fs = 1.0 / step, rounded = std::round(fs);
    out.fs_hz = std::abs(fs - rounded) < kRateSnapTolerance * fs ? rounded : fs;
  } else {
    throw Error("csv: no sampling rate: give fs_hz or add a time column (time, t, time_s, seconds or sec)");
  }
  return out;
}

Recording read_csv(const std::string& path, const CsvOptions& options) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), options);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + path + "]");
  }
}

std::string encode_csv_header(const std::vector<std::string>& lead_names) {
  auto cell = [](const std::string& s) {
    if (s.find_first_of(",;\t\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) {
      if (c == '"') q.push_back('"');  // a quote inside a quoted cell is doubled (RFC 4180)
      q.push_back(c);
    }
    q.push_back('"');
    return q;
  };
  std::string out = "time_s";
  for (const auto& name : lead_names) {
    out.push_back(',');
    out += cell(name);
  }
  out += "\n";
  return out;
}

void append_csv_rows(std::string& out, const LeadMatrix& samples_uv, std::int64_t first_sample, double fs_hz) {
  // std::to_chars: shortest text that reads back to the same float (exact round trip), and an
  // order of magnitude faster than printf for the millions of cells of a long recording.
  const auto n_leads = static_cast<std::size_t>(samples_uv.rows());
  out.reserve(out.size() + static_cast<std::size_t>(samples_uv.cols()) * (12 + 11 * n_leads));
  char buf[64];
  for (std::int64_t t = 0; t < samples_uv.cols(); ++t) {
    // 9 decimals of a second: exact for any rate up to 1 GHz after rounding t·fs; trailing zeros
    // dropped.
    const char* end = format_fixed(buf, sizeof buf, static_cast<double>(first_sample + t) / fs_hz, 9);
    const char* last = end;
    while (last > buf && last[-1] == '0') --last;
    if (last > buf && last[-1] == '.') --last;
    out.append(buf, static_cast<std::size_t>(last - buf));
    for (std::size_t k = 0; k < n_leads; ++k) {
      buf[0] = ',';
      const char* value_end = format_shortest(buf + 1, sizeof buf - 1, samples_uv(static_cast<Eigen::Index>(k), t));
      out.append(buf, static_cast<std::size_t>(value_end - buf));
    }
    out.push_back('\n');
  }
}

std::string encode_csv(const Recording& recording) {
  validate_recording(recording);
  std::string out = encode_csv_header(recording.lead_names);
  append_csv_rows(out, recording.samples_uv, 0, recording.fs_hz);
  return out;
}

void write_csv(const std::string& path, const Recording& recording) {
  const std::string text = encode_csv(recording);
  std::ofstream file(path, std::ios::binary);
  if (!file) throw Error("write_csv: cannot open '" + path + "' for writing");
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!file) throw Error("write_csv: writing '" + path + "' failed");
}

}  // namespace fecg
