// Small text, number and path helpers shared by the readers in src/io and model/model_files.cpp
// (not part of the public API).
// Every parser here is strict: the whole field must be a number, or std::nullopt is returned,
// so that a reader can say which field of which file was bad instead of reading garbage as 0.
#pragma once

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fecg::io_detail {

inline std::string_view trim_view(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n\v\f");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n\v\f");
  return s.substr(first, last - first + 1);
}

inline std::string trim(std::string_view s) { return std::string(trim_view(s)); }

// A finite double spanning the whole (trimmed) field, else nullopt.
inline std::optional<double> parse_double(std::string_view field) {
  const std::string s = trim(field);
  if (s.empty()) return std::nullopt;
  // strtod accepts "inf", "nan" and hex floats; none of them is a valid field in these formats.
  for (const char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.' || c == 'e' ||
          c == 'E'))
      return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A decimal integer spanning the whole (trimmed) field, else nullopt (also on overflow).
inline std::optional<std::int64_t> parse_int(std::string_view field) {
  const std::string s = trim(field);
  if (s.empty()) return std::nullopt;
  size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

// Quotes a field for an error message, showing control bytes as \xNN.
inline std::string show_field(std::string_view s, size_t max_chars = 40) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > max_chars) out += "...";
  return out + "'";
}

// Splits on runs of blanks (WFDB header fields).
inline std::vector<std::string> split_blanks(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Formats a value with at most `decimals` decimals, trailing zeros (and a bare '.') removed.
inline std::string format_decimal(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// Largest number of samples a reader will allocate for one recording (leads × samples): 2^31
// floats are 8 GiB, far beyond any ECG a browser or this CLI should hold. The file-size checks
// come first; this bound only stops overflow in size arithmetic on absurd headers.
inline constexpr std::int64_t kMaxTotalSamples = std::int64_t{1} << 31;

// dir/name as std::filesystem::path's operator/ gives it for a relative name ("models" and
// "models/" both give "models/fhnet.json"), without <filesystem>: the core builds for WASM too.
inline std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace fecg::io_detail
