// WFDB records (annotations: io/wfdb_annotations.cpp).
//
// Sources: the WFDB Programmer's Guide and its man pages header(5), signal(5) and annot(5)
// (G.B. Moody, PhysioNet, https://physionet.org/physiotools/wag/), and the standard annotation
// codes of <wfdb/ecgcodes.h>. A record is a text header (record line, one line per signal) and
// one or more binary signal files; signals that share a file are interleaved frame by frame.
#include "io/wfdb.h"

#include "core/error.h"
#include "io/io_detail.h"
#include "io/record.h"
#include "io/record_reader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>

namespace fecg {
namespace {

using io_detail::format_decimal;
using io_detail::parse_double;
using io_detail::parse_int;
using io_detail::show_field;
using io_detail::split_blanks;
using io_detail::trim;

// WFDB defaults (header(5)): a missing or zero gain means 200 adu per physical unit, a missing
// sampling frequency 250 Hz, missing units "mV".
constexpr double kDefaultGain = 200.0;
constexpr double kDefaultFs = 250.0;

// ---------------------------------------------------------------------------------------------
// Signal formats (signal(5)). Samples are stored in "sample units"; `unit_bytes` bytes hold
// `unit_samples` samples, so a file of S samples takes ceil(S / unit_samples) units, except that
// format 212 and 310/311 writers may stop a last, partial unit early (see min_bytes below).
struct FormatInfo {
  int format;
  int unit_samples;
  int unit_bytes;
  std::int64_t invalid;  // the value that marks a missing sample (WFDB_INVALID_SAMPLE analogues)
};

constexpr std::array<FormatInfo, 10> kFormats = {{
    {8, 1, 1, std::numeric_limits<std::int64_t>::min()},  // first differences: no invalid value
    {16, 1, 2, -32768},
    {24, 1, 3, -(std::int64_t{1} << 23)},
    {32, 1, 4, std::numeric_limits<std::int32_t>::min()},
    {61, 1, 2, -32768},  // 16-bit big-endian
    {80, 1, 1, -128},    // 8-bit offset binary
    {160, 1, 2, -32768}, // 16-bit offset binary
    {212, 2, 3, -2048},  // two 12-bit samples in 3 bytes
    {310, 3, 4, -512},   // three 10-bit samples in two 16-bit words
    {311, 3, 4, -512},   // three 10-bit samples in one 32-bit word
}};

const FormatInfo* find_format(int format) {
  for (const auto& f : kFormats)
    if (f.format == format) return &f;
  return nullptr;
}

// Bytes needed for `n` samples: whole units, except that a partial last unit may be written
// with only the bytes its samples touch (212: 2 bytes for a lone sample; 310/311: 2 bytes per
// sample).
std::int64_t min_bytes(const FormatInfo& f, std::int64_t n) {
  const std::int64_t whole = n / f.unit_samples, rest = n % f.unit_samples;
  std::int64_t bytes = whole * f.unit_bytes;
  if (rest > 0) bytes += (f.format == 212) ? 2 : (f.format == 310 || f.format == 311) ? 2 * rest : f.unit_bytes;
  return bytes;
}
std::int64_t max_bytes(const FormatInfo& f, std::int64_t n) {
  return (n + f.unit_samples - 1) / f.unit_samples * f.unit_bytes;
}

std::int64_t sign_extend(std::uint32_t value, int bits) {
  const std::uint32_t sign = 1u << (bits - 1);
  return static_cast<std::int64_t>(static_cast<std::int32_t>((value ^ sign) - sign));
}

// Decodes `n` samples (a file's interleaved stream) from `p`, which holds at least min_bytes.
void decode_samples(const FormatInfo& f, const std::uint8_t* p, std::int64_t available, std::int64_t n,
                    std::vector<std::int32_t>& out) {
  out.resize(static_cast<size_t>(n));
  auto byte = [&](std::int64_t i) -> std::uint32_t { return i < available ? p[i] : 0u; };
  switch (f.format) {
    case 8:  // first differences; the running sum starts from each signal's initial value,
             // which the caller adds (here: the raw signed differences)
      for (std::int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<std::int8_t>(p[i]);
      break;
    case 16:
      for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<std::int16_t>(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      break;
    case 61:
      for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<std::int16_t>(static_cast<std::uint16_t>((p[2 * i] << 8) | p[2 * i + 1]));
      break;
    case 160:
      for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(p[2 * i] | (p[2 * i + 1] << 8)) - 32768;
      break;
    case 80:
      for (std::int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<std::int32_t>(p[i]) - 128;
      break;
    case 24:
      for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(
            sign_extend(p[3 * i] | (p[3 * i + 1] << 8) | (static_cast<std::uint32_t>(p[3 * i + 2]) << 16), 24));
      break;
    case 32:
      for (std::int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(
            p[4 * i] | (p[4 * i + 1] << 8) | (p[4 * i + 2] << 16) | (static_cast<std::uint32_t>(p[4 * i + 3]) << 24));
      break;
    case 212:
      // Bytes b0 b1 b2: sample 0 = b0 + (low nibble of b1) << 8, sample 1 = b2 + (high nibble) << 4.
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t b = (i / 2) * 3;
        const std::uint32_t v = (i % 2 == 0) ? (byte(b) | ((byte(b + 1) & 0x0Fu) << 8))
                                             : (byte(b + 2) | ((byte(b + 1) & 0xF0u) << 4));
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(sign_extend(v, 12));
      }
      break;
    case 310:
      // Words w0 w1 (LE): sample 0 = bits 1-10 of w0, sample 1 = bits 1-10 of w1, sample 2 =
      // bits 11-15 of w0 (low 5 bits) and bits 11-15 of w1 (high 5 bits).
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t b = (i / 3) * 4;
        const std::uint32_t w0 = byte(b) | (byte(b + 1) << 8), w1 = byte(b + 2) | (byte(b + 3) << 8);
        std::uint32_t v = 0;
        switch (i % 3) {
          case 0: v = (w0 >> 1) & 0x3FFu; break;
          case 1: v = (w1 >> 1) & 0x3FFu; break;
          default: v = ((w0 >> 11) & 0x1Fu) | (((w1 >> 11) & 0x1Fu) << 5); break;
        }
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(sign_extend(v, 10));
      }
      break;
    case 311:
      // One 32-bit LE word: samples in bits 0-9, 10-19 and 20-29.
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t b = (i / 3) * 4;
        const std::uint32_t w = byte(b) | (byte(b + 1) << 8) | (byte(b + 2) << 16) | (byte(b + 3) << 24);
        out[static_cast<size_t>(i)] = static_cast<std::int32_t>(sign_extend((w >> (10 * (i % 3))) & 0x3FFu, 10));
      }
      break;
    default:
      throw Error("wfdb: internal: format " + std::to_string(f.format) + " has no decoder");
  }
}

std::string signal_label(const WfdbSignalSpec& s, size_t index) {
  return "signal " + std::to_string(index + 1) + (s.description.empty() ? "" : " '" + s.description + "'");
}

// Parses "format[xsamp][:skew][+offset]".
struct FormatField {
  int format = 0, samples_per_frame = 1, skew = 0;
  std::int64_t byte_offset = 0;
};
FormatField parse_format_field(const std::string& text, size_t signal_index) {
  FormatField out;
  size_t i = 0;
  auto number = [&](const char* what) -> std::int64_t {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    const auto v = parse_int(std::string_view(text).substr(i, j - i));
    if (!v || *v > std::numeric_limits<std::int32_t>::max())
      throw Error("wfdb header: signal " + std::to_string(signal_index + 1) + ": bad " + what + " in format field " +
                  show_field(text));
    i = j;
    return *v;
  };
  out.format = static_cast<int>(number("format"));
  while (i < text.size()) {
    const char c = text[i++];
    if (c == 'x') out.samples_per_frame = static_cast<int>(number("samples per frame"));
    else if (c == ':') out.skew = static_cast<int>(number("skew"));
    else if (c == '+') out.byte_offset = number("byte offset");
    else
      throw Error("wfdb header: signal " + std::to_string(signal_index + 1) + ": unexpected " +
                  show_field(std::string(1, c)) + " in format field " + show_field(text) +
                  ", expected format[xsamples][:skew][+offset]");
  }
  return out;
}

int parse_header_int(const std::string& text, const char* what, size_t signal_index) {
  const auto v = parse_int(text);
  if (!v || *v < std::numeric_limits<std::int32_t>::min() || *v > std::numeric_limits<std::int32_t>::max())
    throw Error("wfdb header: signal " + std::to_string(signal_index + 1) + ": " + what + " is " + show_field(text) +
                ", expected an integer");
  return static_cast<int>(*v);
}

}  // namespace

WfdbHeader parse_wfdb_header(std::string_view text) {
  // Lines, without comments ('#' first) and blank lines.
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = trim(text.substr(start, end - start));
    if (!line.empty() && line[0] != '#') lines.push_back(line);
    start = end + 1;
  }
  if (lines.empty()) throw Error("wfdb header: no record line (empty header)");
  for (const std::string& line : lines)
    for (const char c : line)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
        throw Error("wfdb header: control byte in line " + show_field(line) + " (not a text header?)");

  WfdbHeader h;
  const std::vector<std::string> rec = split_blanks(lines[0]);
  if (rec.size() < 2)
    throw Error("wfdb header: record line " + show_field(lines[0]) + " needs at least a name and a signal count");
  h.record_name = rec[0];
  if (h.record_name.find('/') != std::string::npos)
    throw Error("wfdb header: record '" + h.record_name +
                "' is a multi-segment record (name/segments); multi-segment records are not supported");
  const auto n_signals = parse_int(rec[1]);
  if (!n_signals || *n_signals < 0)
    throw Error("wfdb header: number of signals is " + show_field(rec[1]) + ", expected a non-negative integer");
  if (*n_signals == 0) throw Error("wfdb header: record '" + h.record_name + "' has no signals");
  // Each signal needs its own header line, so a count beyond the lines present is an error
  // found below, before anything is sized from it.
  if (*n_signals > static_cast<std::int64_t>(lines.size()) - 1)
    throw Error("wfdb header: record line says " + std::to_string(*n_signals) + " signals but the header has " +
                std::to_string(lines.size() - 1) + " signal lines");
  h.n_signals = static_cast<int>(*n_signals);
  h.fs_hz = kDefaultFs;
  if (rec.size() > 2) {
    // "fs[/counter_frequency[(base_counter)]]": only fs matters here.
    const std::string fs_text = rec[2].substr(0, rec[2].find('/'));
    const auto fs = parse_double(fs_text);
    if (!fs || *fs <= 0)
      throw Error("wfdb header: sampling frequency is " + show_field(rec[2]) + ", expected a positive number");
    h.fs_hz = *fs;
  }
  if (rec.size() > 3) {
    const auto n = parse_int(rec[3]);
    if (!n || *n < 0)
      throw Error("wfdb header: number of samples is " + show_field(rec[3]) + ", expected a non-negative integer");
    h.n_samples = *n;
  }
  if (rec.size() > 4) h.base_time = rec[4];
  if (rec.size() > 5) h.base_date = rec[5];

  for (int i = 0; i < h.n_signals; ++i) {
    const std::string& line = lines[static_cast<size_t>(i) + 1];
    const std::vector<std::string> f = split_blanks(line);
    const auto si = static_cast<size_t>(i);
    if (f.size() < 2)
      throw Error("wfdb header: signal line " + show_field(line) + " needs at least a file name and a format");
    WfdbSignalSpec s;
    s.file_name = f[0];
    const FormatField format = parse_format_field(f[1], si);
    s.format = format.format;
    if (format.samples_per_frame != 1)
      throw Error("wfdb header: signal " + std::to_string(i + 1) + " has " + std::to_string(format.samples_per_frame) +
                  " samples per frame; multi-frequency records are not supported");
    if (format.skew != 0)
      throw Error("wfdb header: signal " + std::to_string(i + 1) + " has a skew of " + std::to_string(format.skew) +
                  " samples; skewed signals are not supported");
    s.byte_offset = static_cast<int>(format.byte_offset);
    bool has_baseline = false;
    if (f.size() > 2) {
      // "gain[(baseline)][/units]"
      std::string g = f[2];
      const size_t slash = g.find('/');
      if (slash != std::string::npos) {
        s.units = g.substr(slash + 1);
        g = g.substr(0, slash);
      }
      const size_t paren = g.find('(');
      if (paren != std::string::npos) {
        if (g.back() != ')')
          throw Error("wfdb header: signal " + std::to_string(i + 1) + ": gain field " + show_field(f[2]) +
                      " has an unclosed baseline '('");
        s.baseline_adu = parse_header_int(g.substr(paren + 1, g.size() - paren - 2), "baseline", si);
        has_baseline = true;
        g = g.substr(0, paren);
      }
      const auto gain = parse_double(g);
      if (!gain || *gain < 0)
        throw Error("wfdb header: signal " + std::to_string(i + 1) + ": gain is " + show_field(f[2]) +
                    ", expected a non-negative number (adu per physical unit)");
      s.gain_adu_per_unit = *gain == 0 ? kDefaultGain : *gain;
    }
    if (f.size() > 3) (void)parse_header_int(f[3], "ADC resolution", si);
    if (f.size() > 4) s.adc_zero = parse_header_int(f[4], "ADC zero", si);
    // The initial value defaults to the ADC zero (signal(5)); the baseline likewise.
    s.initial_value = f.size() > 5 ? parse_header_int(f[5], "initial value", si) : s.adc_zero;
    if (!has_baseline) s.baseline_adu = s.adc_zero;
    if (f.size() > 6) {
      s.checksum = parse_header_int(f[6], "checksum", si);
      s.has_checksum = true;
    }
    if (f.size() > 7) s.block_size = parse_header_int(f[7], "block size", si);
    if (f.size() > 8) {
      // The description is the rest of the line and may contain blanks: find the 9th field.
      size_t pos = 0;
      for (int k = 0; k < 8; ++k) {
        pos = line.find_first_not_of(" \t", pos);
        pos = line.find_first_of(" \t", pos);
      }
      s.description = trim(std::string_view(line).substr(pos));
    }
    h.signals.push_back(std::move(s));
  }
  return h;
}

namespace {

// "hh:mm:ss[.s]" and "dd/mm/yyyy" → ISO 8601; nullopt when either is malformed (the start time
// is informative only, and WFDB allows partial forms such as "12:30" that we do not expand).
std::optional<std::string> iso_base_time(const std::string& base_time, const std::string& base_date) {
  if (base_time.empty()) return std::nullopt;
  int hh = 0, mm = 0;
  double ss = 0;
  char tail = 0;
  if (std::sscanf(base_time.c_str(), "%d:%d:%lf%c", &hh, &mm, &ss, &tail) != 3 || hh < 0 || hh > 23 || mm < 0 ||
      mm > 59 || ss < 0 || ss >= 61)
    return std::nullopt;
  char time[32];
  std::snprintf(time, sizeof time, "%02d:%02d:%02d", hh, mm, static_cast<int>(ss));
  if (base_date.empty()) return std::string(time);
  int day = 0, month = 0, year = 0;
  if (std::sscanf(base_date.c_str(), "%d/%d/%d%c", &day, &month, &year, &tail) != 3 || day < 1 || day > 31 ||
      month < 1 || month > 12 || year < 1 || year > 9999)
    return std::nullopt;
  char iso[48];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%s", year, month, day, time);
  return std::string(iso);
}

// The signal files of a record, in header order, each with the signals it interleaves: one
// frame of a file holds one sample of each of its signals. Checks every signal's format and
// unit before any file is read; the same checks for the whole-file and the ranged reader.
struct SignalFiles {
  std::vector<std::string> names;                    // in order of first use
  std::map<std::string, std::vector<size_t>> members;  // file → signal indices
};

SignalFiles group_signal_files(const WfdbHeader& h, const std::string& rec) {
  const auto ns = static_cast<size_t>(h.n_signals);
  for (size_t i = 0; i < ns; ++i) {
    const WfdbSignalSpec& s = h.signals[i];
    if (!find_format(s.format))
      throw Error(rec + ": " + signal_label(s, i) + " has format " + std::to_string(s.format) +
                  "; supported formats are 8, 16, 24, 32, 61, 80, 160, 212, 310, 311");
    if (!microvolts_per_unit(s.units))
      throw Error(rec + ": " + signal_label(s, i) + " has unit " + show_field(s.units) +
                  ", expected a voltage (uV, mV or V)");
    if (s.file_name == "~")
      throw Error(rec + ": " + signal_label(s, i) + " has no signal file ('~'); null signals are not supported");
  }
  SignalFiles files;
  for (size_t i = 0; i < ns; ++i) {
    const WfdbSignalSpec& s = h.signals[i];
    auto& m = files.members[s.file_name];
    if (m.empty()) files.names.push_back(s.file_name);
    else if (h.signals[m.front()].format != s.format || h.signals[m.front()].byte_offset != s.byte_offset)
      throw Error(rec + ": signals " + std::to_string(m.front() + 1) + " and " + std::to_string(i + 1) +
                  " share file '" + s.file_name + "' but differ in format or byte offset");
    m.push_back(i);
  }
  return files;
}

// Checks that signal file `name` of `file_bytes` bytes (prolog included) holds `n_samples`
// frames of `width` signals, and returns n_samples, taken from the file when the header gave 0.
std::int64_t check_signal_file(const std::string& rec, const std::string& name, const FormatInfo& fmt,
                               std::int64_t width, std::int64_t byte_offset, std::int64_t file_bytes,
                               std::int64_t n_samples, size_t n_signals) {
  if (byte_offset < 0 || file_bytes < byte_offset)
    throw Error(rec + ": file '" + name + "' is " + std::to_string(file_bytes) + " bytes, shorter than its " +
                std::to_string(byte_offset) + "-byte prolog");
  const std::int64_t available = file_bytes - byte_offset;
  if (n_samples == 0) {
    // No length in the header: the file decides (whole frames only).
    const std::int64_t stored = available / fmt.unit_bytes * fmt.unit_samples;
    n_samples = stored / width;
    if (n_samples == 0) throw Error(rec + ": file '" + name + "' holds no complete frame");
  }
  // Every format takes at least one byte per sample, so a sample count above the byte count
  // is a truncated file; checked before n_samples × width can overflow.
  if (n_samples > available / width + 1)
    throw Error(rec + ": header says " + std::to_string(n_samples) + " samples × " + std::to_string(width) +
                " signals but file '" + name + "' holds only " + std::to_string(available) +
                " data bytes (truncated)");
  if (n_samples > io_detail::kMaxTotalSamples / static_cast<std::int64_t>(n_signals))
    throw Error(rec + ": header says " + std::to_string(n_samples) + " samples per signal, too many to hold");
  const std::int64_t total = n_samples * width;
  const std::int64_t need_min = min_bytes(fmt, total), need_max = max_bytes(fmt, total);
  if (available < need_min || available > need_max) {
    throw Error(rec + ": file '" + name + "' holds " + std::to_string(available) + " data bytes, expected " +
                std::to_string(need_min) + " for " + std::to_string(n_samples) + " samples × " +
                std::to_string(width) + " signals in format " + std::to_string(fmt.format) +
                (available < need_min ? " (truncated)" : " (size mismatch)"));
  }
  return n_samples;
}

// µV per stored unit of a signal whose unit was checked (parse_wfdb_record refuses others).
double uv_per_adu(const WfdbSignalSpec& s) { return *microvolts_per_unit(s.units) / s.gain_adu_per_unit; }

// µV of one stored value (uv_per_adu: of its signal, computed once per signal, not per sample);
// NaN for the format's invalid value (a missing sample), which validate_recording reports and the
// pipeline bridges.
float to_microvolts(const WfdbSignalSpec& s, const FormatInfo& fmt, double uv_per_adu, std::int32_t v) {
  const bool has_invalid = fmt.format != 8;
  if (has_invalid && v == fmt.invalid) return std::numeric_limits<float>::quiet_NaN();
  // Samples are 32-bit floats in µV: a tiny gain (1e-40 adu/mV) would make them Inf.
  const double uv = (static_cast<double>(v) - s.baseline_adu) * uv_per_adu;
  if (!(std::abs(uv) <= std::numeric_limits<float>::max())) {
    char gain[32];
    std::snprintf(gain, sizeof gain, "%g", s.gain_adu_per_unit);
    throw Error("wfdb: signal '" + s.description + "' in '" + s.file_name + "': " + std::to_string(v) +
                " adu at gain " + gain + " adu/" + s.units + " is beyond the range of a 32-bit float in uV");
  }
  return static_cast<float>(uv);
}

void check_checksum(const std::string& rec, const WfdbSignalSpec& s, size_t i, std::uint32_t sum) {
  // Checksum: the 16-bit sum of all samples of the signal (header(5)).
  const auto got = static_cast<std::int16_t>(sum & 0xFFFFu);
  const auto want = static_cast<std::int16_t>(static_cast<std::uint32_t>(s.checksum) & 0xFFFFu);
  if (got != want)
    throw Error(rec + ": " + signal_label(s, i) + " checksum mismatch: header says " + std::to_string(s.checksum) +
                ", samples sum to " + std::to_string(got) + " (corrupt or truncated signal file?)");
}

Recording wfdb_header_recording(const WfdbHeader& h) {
  Recording out;
  out.fs_hz = h.fs_hz;
  out.start_time = iso_base_time(h.base_time, h.base_date);
  for (size_t i = 0; i < h.signals.size(); ++i) {
    const WfdbSignalSpec& s = h.signals[i];
    out.lead_names.push_back(s.description.empty() ? "signal_" + std::to_string(i + 1) : s.description);
    out.units.push_back(s.units);
  }
  return out;
}

// Ranged reads of a WFDB record: samples [start, start + count) of a file are the frames
// start..start+count-1, i.e. one contiguous run of bytes (from the sample unit holding the
// first one, for the packed formats 212 and 310/311).
class WfdbRangeReader final : public RecordReader {
 public:
  struct File {
    std::unique_ptr<ByteSource> source;
    std::vector<size_t> signals;
    const FormatInfo* format = nullptr;
    std::int64_t byte_offset = 0;
  };

  WfdbRangeReader(WfdbHeader h, std::vector<File> files, std::int64_t n_samples, std::string rec)
      : h_(std::move(h)), files_(std::move(files)), rec_(std::move(rec)) {
    header_ = wfdb_header_recording(h_);
    header_.samples_uv.resize(h_.n_signals, 0);
    n_samples_ = n_samples;
  }

  // One pass over every file in blocks: the header's checksums, so that a corrupt file is
  // refused before any output is written, as the whole-file reader does.
  void verify_checksums() {
    bool any = false;
    for (const auto& s : h_.signals) any = any || s.has_checksum;
    if (!any) return;
    std::vector<std::uint32_t> sums(h_.signals.size(), 0);
    constexpr std::int64_t kBlock = 1 << 18;  // frames per read: a few MB
    for (const File& f : files_) {
      for (std::int64_t t = 0; t < n_samples_; t += kBlock) {
        const std::int64_t n = std::min(kBlock, n_samples_ - t);
        decode_frames(f, t, n);
        const auto width = static_cast<std::int64_t>(f.signals.size());
        for (size_t k = 0; k < f.signals.size(); ++k)
          for (std::int64_t j = 0; j < n; ++j)
            sums[f.signals[k]] += static_cast<std::uint32_t>(stream_[static_cast<size_t>(skip_ + j * width) + k]);
      }
    }
    for (size_t i = 0; i < h_.signals.size(); ++i)
      if (h_.signals[i].has_checksum) check_checksum(rec_, h_.signals[i], i, sums[i]);
  }

  LeadMatrix read(std::int64_t start, std::int64_t count) override {
    if (start < 0 || count < 0 || start > n_samples_ - count)
      throw Error(rec_ + ": samples [" + std::to_string(start) + ", " + std::to_string(start + count) +
                  ") are outside the recording's " + std::to_string(n_samples_));
    LeadMatrix out(h_.n_signals, count);
    if (count == 0) return out;
    for (const File& f : files_) {
      decode_frames(f, start, count);
      const auto width = static_cast<std::int64_t>(f.signals.size());
      for (size_t k = 0; k < f.signals.size(); ++k) {
        const size_t si = f.signals[k];
        const double scale = uv_per_adu(h_.signals[si]);
        for (std::int64_t j = 0; j < count; ++j)
          out(static_cast<Eigen::Index>(si), j) =
              to_microvolts(h_.signals[si], *f.format, scale, stream_[static_cast<size_t>(skip_ + j * width) + k]);
      }
    }
    return out;
  }

 private:
  // Decodes frames [start, start + n) of `f` into stream_, whose first skip_ values precede
  // them (the rest of a packed sample unit).
  void decode_frames(const File& f, std::int64_t start, std::int64_t n) {
    const FormatInfo& fmt = *f.format;
    const auto width = static_cast<std::int64_t>(f.signals.size());
    const std::int64_t first = start * width, end = (start + n) * width;
    const std::int64_t unit = first / fmt.unit_samples;
    skip_ = first - unit * fmt.unit_samples;
    const std::int64_t begin_byte = unit * fmt.unit_bytes;
    const std::int64_t file_data = f.source->size() - f.byte_offset;
    const std::int64_t end_byte = std::min(file_data, max_bytes(fmt, end));
    bytes_.resize(static_cast<size_t>(end_byte - begin_byte));
    f.source->read(f.byte_offset + begin_byte, bytes_);
    decode_samples(fmt, bytes_.data(), static_cast<std::int64_t>(bytes_.size()), end - unit * fmt.unit_samples, stream_);
  }

  WfdbHeader h_;
  std::vector<File> files_;
  std::string rec_;
  std::vector<std::uint8_t> bytes_;   // reused between reads
  std::vector<std::int32_t> stream_;
  std::int64_t skip_ = 0;
};

}  // namespace

Recording parse_wfdb_record(std::string_view header_text,
                            const std::function<std::vector<std::uint8_t>(const std::string&)>& read_file) {
  const WfdbHeader h = parse_wfdb_header(header_text);
  const auto ns = static_cast<size_t>(h.n_signals);
  const std::string rec = "wfdb record '" + h.record_name + "'";
  const SignalFiles files = group_signal_files(h, rec);

  std::vector<std::vector<std::int32_t>> adu(ns);
  std::int64_t n_samples = h.n_samples;
  for (const std::string& name : files.names) {
    const std::vector<size_t>& group = files.members.at(name);
    const WfdbSignalSpec& first = h.signals[group.front()];
    const FormatInfo& fmt = *find_format(first.format);
    const std::vector<std::uint8_t> bytes = read_file(name);
    const auto width = static_cast<std::int64_t>(group.size());
    n_samples = check_signal_file(rec, name, fmt, width, first.byte_offset, static_cast<std::int64_t>(bytes.size()),
                                  n_samples, ns);
    const std::int64_t available = static_cast<std::int64_t>(bytes.size()) - first.byte_offset;
    const std::int64_t total = n_samples * width;
    std::vector<std::int32_t> stream;
    decode_samples(fmt, bytes.data() + first.byte_offset, available, total, stream);
    for (size_t k = 0; k < group.size(); ++k) {
      const size_t si = group[k];
      auto& out = adu[si];
      out.resize(static_cast<size_t>(n_samples));
      for (std::int64_t t = 0; t < n_samples; ++t) out[static_cast<size_t>(t)] = stream[static_cast<size_t>(t * width) + k];
      if (fmt.format == 8) {  // first differences from the initial value
        std::int64_t value = h.signals[si].initial_value;
        for (auto& v : out) {
          value += v;
          v = static_cast<std::int32_t>(value);
        }
      }
    }
  }

  Recording out = wfdb_header_recording(h);
  out.samples_uv.resize(static_cast<Eigen::Index>(ns), n_samples);
  for (size_t i = 0; i < ns; ++i) {
    const WfdbSignalSpec& s = h.signals[i];
    const FormatInfo& fmt = *find_format(s.format);
    if (s.has_checksum) {
      std::uint32_t sum = 0;
      for (const std::int32_t v : adu[i]) sum += static_cast<std::uint32_t>(v);
      check_checksum(rec, s, i, sum);
    }
    const double scale = uv_per_adu(s);
    for (std::int64_t t = 0; t < n_samples; ++t)
      out.samples_uv(static_cast<Eigen::Index>(i), t) = to_microvolts(s, fmt, scale, adu[i][static_cast<size_t>(t)]);
  }
  return out;
}

std::unique_ptr<RecordReader> open_wfdb_reader(
    std::string_view header_text, const std::function<std::unique_ptr<ByteSource>(const std::string&)>& open_file) {
  const WfdbHeader h = parse_wfdb_header(header_text);
  const std::string rec = "wfdb record '" + h.record_name + "'";
  const SignalFiles groups = group_signal_files(h, rec);
  std::vector<WfdbRangeReader::File> files;
  std::int64_t n_samples = h.n_samples;
  for (const std::string& name : groups.names) {
    WfdbRangeReader::File f;
    f.signals = groups.members.at(name);
    const WfdbSignalSpec& first = h.signals[f.signals.front()];
    f.format = find_format(first.format);
    if (f.format->format == 8)
      throw Error(rec + ": format 8 stores first differences, which can only be read from the start of the file");
    f.byte_offset = first.byte_offset;
    f.source = open_file(name);
    n_samples = check_signal_file(rec, name, *f.format, static_cast<std::int64_t>(f.signals.size()), f.byte_offset,
                                  f.source->size(), n_samples, h.signals.size());
    files.push_back(std::move(f));
  }
  auto reader = std::make_unique<WfdbRangeReader>(h, std::move(files), n_samples, rec);
  reader->verify_checksums();
  return reader;
}

Recording read_wfdb_record(const std::string& record_path) {
  std::string base = record_path;
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".hea") == 0) base.resize(base.size() - 4);
  const size_t slash = base.find_last_of("/\\");
  const std::string dir = slash == std::string::npos ? "" : base.substr(0, slash + 1);
  const std::vector<std::uint8_t> header = read_file_bytes(base + ".hea");
  try {
    return parse_wfdb_record(std::string_view(reinterpret_cast<const char*>(header.data()), header.size()),
                             [&](const std::string& name) { return read_file_bytes(dir + name); });
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + base + ".hea]");
  }
}

void write_wfdb_record(const std::string& record_path, const Recording& recording) {
  validate_recording(recording);
  std::string base = record_path;
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".hea") == 0) base.resize(base.size() - 4);
  const size_t slash = base.find_last_of("/\\");
  const std::string name = slash == std::string::npos ? base : base.substr(slash + 1);
  if (name.empty() || name.find_first_of(" \t\n/") != std::string::npos)
    throw Error("write_wfdb_record: record name " + show_field(name) + " must be non-empty without blanks");
  const auto ns = static_cast<size_t>(recording.n_leads());
  const std::int64_t n = recording.n_samples();

  // Gain (adu/µV): the largest 4-significant-digit value that keeps |x| <= 32767 adu (32768 is
  // the invalid-sample marker), so that the header text holds the exact gain used.
  std::vector<double> gains(ns);
  std::vector<std::string> gain_texts(ns);
  for (size_t i = 0; i < ns; ++i) {
    const double peak = recording.samples_uv.row(static_cast<Eigen::Index>(i)).cwiseAbs().maxCoeff();
    double gain = peak > 0 ? 32767.0 / peak : 1.0;
    const double step = std::pow(10.0, std::floor(std::log10(gain)) - 3);
    gain = std::max(step, std::floor(gain / step) * step);
    gain_texts[i] = format_decimal(gain, std::max(0, static_cast<int>(3 - std::floor(std::log10(gain)))));
    gains[i] = *parse_double(gain_texts[i]);
  }
  std::vector<std::uint8_t> dat;
  dat.reserve(static_cast<size_t>(2 * n) * ns);
  std::vector<std::uint32_t> sums(ns, 0);
  std::vector<int> first(ns, 0);
  for (std::int64_t t = 0; t < n; ++t) {
    for (size_t i = 0; i < ns; ++i) {
      const double x = recording.samples_uv(static_cast<Eigen::Index>(i), t) * gains[i];
      const auto v = static_cast<std::int16_t>(std::clamp(std::round(x), -32767.0, 32767.0));
      if (t == 0) first[i] = v;
      sums[i] += static_cast<std::uint32_t>(static_cast<std::int32_t>(v));
      const auto u = static_cast<std::uint16_t>(v);
      dat.push_back(static_cast<std::uint8_t>(u & 0xFF));
      dat.push_back(static_cast<std::uint8_t>(u >> 8));
    }
  }
  std::string hea = name + " " + std::to_string(ns) + " " + format_decimal(recording.fs_hz, 9) + " " + std::to_string(n);
  if (recording.start_time && recording.start_time->size() >= 19 && (*recording.start_time)[10] == 'T') {
    const std::string& iso = *recording.start_time;
    hea += " " + iso.substr(11, 8) + " " + iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
  }
  hea += "\n";
  for (size_t i = 0; i < ns; ++i) {
    std::string description = recording.lead_names[i];
    for (char& c : description)
      if (c == '\n' || c == '\r') c = ' ';
    hea += name + ".dat 16 " + gain_texts[i] + "(0)/uV 16 0 " + std::to_string(first[i]) + " " +
           std::to_string(static_cast<std::int16_t>(sums[i] & 0xFFFFu)) + " 0 " + description + "\n";
  }
  auto write = [](const std::string& path, const char* data, size_t size) {
    std::ofstream file(path, std::ios::binary);
    if (!file) throw Error("write_wfdb_record: cannot open '" + path + "' for writing");
    file.write(data, static_cast<std::streamsize>(size));
    if (!file) throw Error("write_wfdb_record: writing '" + path + "' failed");
  };
  write(base + ".dat", reinterpret_cast<const char*>(dat.data()), dat.size());
  write(base + ".hea", hea.data(), hea.size());
}

}  // namespace fecg
