// EDF / EDF+ reader and writer.
//
// Format: Kemp B. et al., "A simple format for exchange of digitized polygraphic recordings",
// Electroencephalogr Clin Neurophysiol 82:391-393, 1992 (EDF), and Kemp B., Olivan J., "European
// data format 'plus' (EDF+)", Clin Neurophysiol 114:1755-1761, 2003 (EDF+, TAL annotations).
// Layout: a 256-byte fixed header, 256 bytes per signal (fields stored column-wise: all labels,
// then all transducers, ...), then data records, each holding samples_per_record[s] little-endian
// int16 samples of every signal s in turn.
#include "io/edf.h"

#include "core/error.h"
#include "dsp/resample.h"
#include "io/io_detail.h"
#include "io/record.h"
#include "io/record_reader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace fecg {
namespace {

using io_detail::format_decimal;
using io_detail::parse_double;
using io_detail::parse_int;
using io_detail::show_field;
using io_detail::trim;

constexpr size_t kFixedHeaderBytes = 256;
constexpr size_t kSignalHeaderBytes = 256;
// Widths of the per-signal header fields, in file order (EDF 1992, table 1).
struct SignalFieldWidths {
  static constexpr size_t label = 16, transducer = 80, physical_dimension = 8, physical_min = 8,
                          physical_max = 8, digital_min = 8, digital_max = 8, prefiltering = 80,
                          samples_per_record = 8, reserved = 32;
};
constexpr std::string_view kAnnotationLabel = "EDF Annotations";
// TAL separators (EDF+ 2003, section 2.2.2).
constexpr char kTalDuration = '\x15';
constexpr char kTalText = '\x14';
constexpr char kTalEnd = '\x00';
// 16-bit EDF: the widest digital range a writer can use.
constexpr int kDigitalMin = -32768;
constexpr int kDigitalMax = 32767;

struct EdfSignal {
  std::string label, transducer, unit, prefiltering;
  double physical_min = 0, physical_max = 0;
  std::int64_t digital_min = 0, digital_max = 0;
  std::int64_t samples_per_record = 0;
  bool is_annotation = false;
  size_t offset_in_record = 0;  // bytes from the start of a data record
};

// Reads fixed-width ASCII fields sequentially from the header, with bounds already checked.
class FieldReader {
 public:
  FieldReader(std::span<const std::uint8_t> bytes, size_t position) : bytes_(bytes), pos_(position) {}
  std::string_view next(size_t width) {
    const auto* p = reinterpret_cast<const char*>(bytes_.data()) + pos_;
    pos_ += width;
    return {p, width};
  }

 private:
  std::span<const std::uint8_t> bytes_;
  size_t pos_;
};

std::string signal_name(const EdfSignal& s, size_t index) {
  return "signal " + std::to_string(index + 1) + " '" + s.label + "'";
}

// "dd.mm.yy" + "hh.mm.ss" (+ EDF+ "Startdate dd-MMM-yyyy" for the century) → ISO 8601. Returns
// nullopt when the fields are not a plausible date: the start time is informative only, so a
// malformed one should not make the signals unreadable.
std::optional<std::string> iso_start_time(std::string_view date, std::string_view time,
                                          std::string_view recording_id) {
  const std::string d = trim(date), t = trim(time);
  if (d.size() != 8 || t.size() != 8 || d[2] != '.' || d[5] != '.' || t[2] != '.' || t[5] != '.')
    return std::nullopt;
  const auto day = parse_int(d.substr(0, 2)), month = parse_int(d.substr(3, 2)),
             yy = parse_int(d.substr(6, 2));
  const auto hh = parse_int(t.substr(0, 2)), mi = parse_int(t.substr(3, 2)), ss = parse_int(t.substr(6, 2));
  if (!day || !month || !yy || !hh || !mi || !ss) return std::nullopt;
  if (*day < 1 || *day > 31 || *month < 1 || *month > 12 || *hh > 23 || *mi > 59 || *ss > 60 ||
      *yy < 0 || *hh < 0 || *mi < 0 || *ss < 0)
    return std::nullopt;
  // EDF clipping date: yy 85-99 is 1985-1999, 00-84 is 2000-2084. EDF+ also gives the full year
  // in the recording field ("Startdate 02-MAR-2002 ..."), which wins when present.
  std::int64_t year = *yy >= 85 ? 1900 + *yy : 2000 + *yy;
  const std::string rec(recording_id);
  if (rec.rfind("Startdate ", 0) == 0 && rec.size() >= 21 && rec[12] == '-' && rec[16] == '-') {
    if (const auto full = parse_int(rec.substr(17, 4)); full && *full >= 1985 && *full <= 2999) year = *full;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(year),
                static_cast<int>(*month), static_cast<int>(*day), static_cast<int>(*hh),
                static_cast<int>(*mi), static_cast<int>(*ss));
  return std::string(buf);
}

// One parsed TAL: onset (s, relative to the header's start time) and its annotation texts.
struct Tal {
  double onset_s = 0;
  std::vector<std::string> texts;
};

// Parses the TALs of one data record's annotation bytes (EDF+ 2003, section 2.2).
std::vector<Tal> parse_tals(std::string_view bytes, std::int64_t record, const std::string& where) {
  std::vector<Tal> tals;
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes[i] == kTalEnd) {  // padding between or after TALs
      ++i;
      continue;
    }
    const size_t end = bytes.find(kTalEnd, i);
    if (end == std::string_view::npos)
      throw Error("edf: " + where + ", data record " + std::to_string(record + 1) +
                  ": annotation list not terminated by a 0 byte");
    const std::string_view tal = bytes.substr(i, end - i);
    i = end + 1;
    const size_t first_sep = tal.find(kTalText);
    if (first_sep == std::string_view::npos)
      throw Error("edf: " + where + ", data record " + std::to_string(record + 1) + ": annotation " +
                  show_field(tal) + " has no onset separator (0x14)");
    std::string_view timing = tal.substr(0, first_sep);
    const size_t dur_sep = timing.find(kTalDuration);
    const std::string_view onset_text = timing.substr(0, dur_sep);
    if (onset_text.empty() || (onset_text[0] != '+' && onset_text[0] != '-'))
      throw Error("edf: " + where + ", data record " + std::to_string(record + 1) + ": annotation onset " +
                  show_field(onset_text) + " must start with '+' or '-'");
    const auto onset = parse_double(onset_text);
    if (!onset)
      throw Error("edf: " + where + ", data record " + std::to_string(record + 1) +
                  ": annotation onset " + show_field(onset_text) + " is not a number");
    if (dur_sep != std::string_view::npos && !parse_double(timing.substr(dur_sep + 1)))
      throw Error("edf: " + where + ", data record " + std::to_string(record + 1) +
                  ": annotation duration " + show_field(timing.substr(dur_sep + 1)) + " is not a number");
    Tal out;
    out.onset_s = *onset;
    std::string_view rest = tal.substr(first_sep + 1);
    while (!rest.empty()) {
      const size_t sep = rest.find(kTalText);
      const std::string_view text = rest.substr(0, sep);
      out.texts.emplace_back(text);
      if (sep == std::string_view::npos) break;
      rest = rest.substr(sep + 1);
    }
    // A TAL ends "\x14\x00", so the split leaves an empty last text: drop it.
    if (!out.texts.empty() && out.texts.back().empty()) out.texts.pop_back();
    tals.push_back(std::move(out));
  }
  return tals;
}

// A sampling rate computed as samples/duration is snapped to an integer when it is one to
// within float noise (e.g. 1234 samples per 1.234 s), so that later rate comparisons are exact.
double snap_rate(double fs_hz) {
  const double r = std::round(fs_hz);
  return std::abs(fs_hz - r) < 1e-6 * std::max(1.0, r) ? r : fs_hz;
}

// Everything the header says about where each sample is: shared by the whole-file parser and
// the ranged reader, so that both accept and refuse exactly the same files.
struct EdfLayout {
  std::vector<EdfSignal> signals;
  std::vector<size_t> lead_signals;  // indices of the non-annotation signals
  std::int64_t header_bytes = 0, record_bytes = 0, n_records = 0;
  std::int64_t max_spr = 0;          // samples per record of the fastest lead
  std::int64_t n_samples = 0;        // per lead at fs_max
  double record_duration_s = 0, fs_max = 0;
  bool edf_plus = false, discontinuous = false;
  std::optional<std::string> start_time;
  bool same_rate() const {
    for (const size_t i : lead_signals)
      if (signals[i].samples_per_record != max_spr) return false;
    return true;
  }
};

// `header` holds the start of the file (at least the whole header when the file has one);
// `file_size` is the size of the whole file, against which the data records are checked.
EdfLayout parse_edf_layout(std::span<const std::uint8_t> header, std::int64_t file_size) {
  if (file_size < static_cast<std::int64_t>(kFixedHeaderBytes) || header.size() < kFixedHeaderBytes)
    throw Error("edf: file is " + std::to_string(file_size) + " bytes, shorter than the 256-byte header");
  if (header[0] == 0xFF)
    throw Error("edf: this is a BDF file (24-bit, first byte 0xFF); only 16-bit EDF/EDF+ is supported");
  FieldReader fixed(header, 0);
  const std::string version = trim(fixed.next(8));
  if (version != "0")
    throw Error("edf: version field is " + show_field(version) + ", expected '0' (not an EDF file?)");
  const std::string patient = trim(fixed.next(80));
  const std::string recording_id = trim(fixed.next(80));
  const std::string_view start_date = fixed.next(8);
  const std::string_view start_time = fixed.next(8);
  const std::string_view header_bytes_text = fixed.next(8);
  const std::string reserved = trim(fixed.next(44));
  const std::string_view n_records_text = fixed.next(8);
  const std::string_view record_duration_text = fixed.next(8);
  const std::string_view n_signals_text = fixed.next(4);
  (void)patient;

  const auto n_signals = parse_int(n_signals_text);
  if (!n_signals || *n_signals < 1)
    throw Error("edf: number of signals is " + show_field(n_signals_text) + ", expected a positive integer");
  // The signal headers must fit in the file before anything is allocated from n_signals.
  const std::int64_t expected_header = static_cast<std::int64_t>(kFixedHeaderBytes) +
                                       *n_signals * static_cast<std::int64_t>(kSignalHeaderBytes);
  if (expected_header > file_size || expected_header > static_cast<std::int64_t>(header.size()))
    throw Error("edf: header says " + std::to_string(*n_signals) + " signals, which needs a " +
                std::to_string(expected_header) + "-byte header, but the file is only " +
                std::to_string(file_size) + " bytes (truncated?)");
  const auto header_bytes = parse_int(header_bytes_text);
  if (!header_bytes || *header_bytes != expected_header)
    throw Error("edf: header size field is " + show_field(header_bytes_text) + ", expected " +
                std::to_string(expected_header) + " for " + std::to_string(*n_signals) + " signals");
  EdfLayout layout;
  layout.header_bytes = expected_header;
  layout.edf_plus = reserved.rfind("EDF+", 0) == 0;
  layout.discontinuous = reserved.rfind("EDF+D", 0) == 0;
  const auto record_duration = parse_double(record_duration_text);
  if (!record_duration || *record_duration <= 0)
    throw Error("edf: data record duration is " + show_field(record_duration_text) +
                ", expected a positive number of seconds");
  layout.record_duration_s = *record_duration;
  const auto n_records_field = parse_int(n_records_text);
  if (!n_records_field || *n_records_field < -1)
    throw Error("edf: number of data records is " + show_field(n_records_text) +
                ", expected a non-negative integer (or -1 while recording)");

  // Per-signal fields are stored column-wise: all labels, then all transducer types, ...
  const auto ns = static_cast<size_t>(*n_signals);
  std::vector<EdfSignal>& signals = layout.signals;
  signals.resize(ns);
  FieldReader field(header, kFixedHeaderBytes);
  using W = SignalFieldWidths;
  for (auto& s : signals) s.label = trim(field.next(W::label));
  for (auto& s : signals) s.transducer = trim(field.next(W::transducer));
  for (auto& s : signals) s.unit = trim(field.next(W::physical_dimension));
  std::vector<std::string_view> pmin(ns), pmax(ns), dmin(ns), dmax(ns), spr(ns);
  for (auto& f : pmin) f = field.next(W::physical_min);
  for (auto& f : pmax) f = field.next(W::physical_max);
  for (auto& f : dmin) f = field.next(W::digital_min);
  for (auto& f : dmax) f = field.next(W::digital_max);
  for (auto& s : signals) s.prefiltering = trim(field.next(W::prefiltering));
  for (auto& f : spr) f = field.next(W::samples_per_record);

  std::int64_t record_bytes = 0;
  for (size_t i = 0; i < ns; ++i) {
    EdfSignal& s = signals[i];
    s.is_annotation = layout.edf_plus && s.label == kAnnotationLabel;
    const auto n = parse_int(spr[i]);
    // 99999999 is the largest value the 8-character field can hold.
    if (!n || *n < 1 || *n > 99999999)
      throw Error("edf: " + signal_name(s, i) + ": samples per data record is " + show_field(spr[i]) +
                  ", expected a positive integer");
    s.samples_per_record = *n;
    s.offset_in_record = static_cast<size_t>(record_bytes);
    record_bytes += 2 * *n;
    if (s.is_annotation) continue;
    const auto p0 = parse_double(pmin[i]), p1 = parse_double(pmax[i]);
    const auto d0 = parse_int(dmin[i]), d1 = parse_int(dmax[i]);
    if (!p0 || !p1 || *p0 == *p1)
      throw Error("edf: " + signal_name(s, i) + ": physical range " + show_field(pmin[i]) + " to " +
                  show_field(pmax[i]) + " is not two different numbers");
    if (!d0 || !d1 || *d0 >= *d1 || *d0 < kDigitalMin || *d1 > kDigitalMax)
      throw Error("edf: " + signal_name(s, i) + ": digital range " + show_field(dmin[i]) + " to " +
                  show_field(dmax[i]) + " must be increasing integers within [-32768, 32767]");
    s.physical_min = *p0;
    s.physical_max = *p1;
    s.digital_min = *d0;
    s.digital_max = *d1;
    // Each limit is finite, but their span (1e308 - -1e308) or the values in µV (1e300 V) may not
    // be: such a signal would read as ±Inf/NaN, which no EDF sample can mean.
    const auto uv = microvolts_per_unit(s.unit);
    const double span_uv = (*p1 - *p0) * uv.value_or(1.0);
    const double limit_uv = std::max(std::abs(*p0), std::abs(*p1)) * uv.value_or(1.0);
    if (!std::isfinite(span_uv) || !(limit_uv <= std::numeric_limits<float>::max()))
      throw Error("edf: " + signal_name(s, i) + ": physical range " + show_field(pmin[i]) + " to " +
                  show_field(pmax[i]) + " " + s.unit + " does not fit a 32-bit float in uV");
  }
  layout.record_bytes = record_bytes;

  // The data must be exactly n_records whole records; -1 (still recording) takes the file size.
  const std::int64_t data_bytes = file_size - expected_header;
  std::int64_t n_records = *n_records_field;
  if (n_records == -1) {
    if (data_bytes % record_bytes != 0)
      throw Error("edf: number of data records is -1 and the " + std::to_string(data_bytes) +
                  " data bytes are not a whole number of " + std::to_string(record_bytes) + "-byte records");
    n_records = data_bytes / record_bytes;
  }
  if (n_records == 0) throw Error("edf: the file holds no data records");
  if (n_records > data_bytes / record_bytes || n_records * record_bytes != data_bytes) {
    const std::int64_t expected = expected_header + n_records * record_bytes;
    throw Error("edf: header says " + std::to_string(n_records) + " data records of " +
                std::to_string(record_bytes) + " bytes, so the file should be " + std::to_string(expected) +
                " bytes, but it is " + std::to_string(file_size) +
                (file_size < expected ? " (truncated)" : " (extra bytes)"));
  }
  layout.n_records = n_records;

  // Leads: every non-annotation signal. Each must be a voltage.
  double fs_max = 0;
  for (size_t i = 0; i < ns; ++i) {
    if (signals[i].is_annotation) continue;
    if (!microvolts_per_unit(signals[i].unit))
      throw Error("edf: " + signal_name(signals[i], i) + " has unit " + show_field(signals[i].unit) +
                  ", expected a voltage (uV, mV or V)");
    layout.lead_signals.push_back(i);
    fs_max = std::max(fs_max, static_cast<double>(signals[i].samples_per_record) / *record_duration);
  }
  if (layout.lead_signals.empty()) throw Error("edf: the file has no signals besides annotations");
  layout.fs_max = snap_rate(fs_max);
  layout.start_time = iso_start_time(start_date, start_time, recording_id);
  for (const size_t i : layout.lead_signals) layout.max_spr = std::max(layout.max_spr, signals[i].samples_per_record);
  layout.n_samples = n_records * layout.max_spr;
  // n_samples × n_leads is bounded by the file size (2 bytes per sample of the fastest signal,
  // times a resampling factor only for slower signals), but guard the product anyway.
  if (layout.n_samples > io_detail::kMaxTotalSamples / static_cast<std::int64_t>(layout.lead_signals.size()))
    throw Error("edf: " + std::to_string(layout.lead_signals.size()) + " leads × " + std::to_string(layout.n_samples) +
                " samples is too large to hold in memory");
  return layout;
}

// physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin, then to µV.
struct EdfScale {
  double gain_uv = 0, offset_uv = 0;
  explicit EdfScale(const EdfSignal& s) {
    const double uv = *microvolts_per_unit(s.unit);
    const double scale = (s.physical_max - s.physical_min) / static_cast<double>(s.digital_max - s.digital_min);
    gain_uv = scale * uv;
    offset_uv = (s.physical_min - scale * static_cast<double>(s.digital_min)) * uv;
  }
  float operator()(const std::uint8_t* p) const {
    const auto digital = static_cast<std::int16_t>(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
    return static_cast<float>(gain_uv * digital + offset_uv);
  }
};

// Checks the time-keeping TAL of `n` consecutive data records starting with record `first`
// (`records` points at that record's first byte) against the continuous timeline of EDF+C, and
// collects the other annotations into `annotations` when it is not null. `first_onset_s` is the
// onset of record 0 (set when first == 0).
void read_edf_annotations(const EdfLayout& layout, const std::uint8_t* records, std::int64_t first, std::int64_t n,
                          double& first_onset_s, const std::string& where, std::vector<Annotation>* annotations) {
  for (size_t i = 0; i < layout.signals.size(); ++i) {
    const EdfSignal& signal = layout.signals[i];
    if (!signal.is_annotation) continue;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t r = first + k;
      const auto* p = reinterpret_cast<const char*>(records + k * layout.record_bytes +
                                                    static_cast<std::int64_t>(signal.offset_in_record));
      const std::vector<Tal> tals =
          parse_tals(std::string_view(p, static_cast<size_t>(2 * signal.samples_per_record)), r, where);
      if (tals.empty() || !tals.front().texts.empty())
        throw Error("edf: data record " + std::to_string(r + 1) +
                    " does not start with a time-keeping annotation ('+onset\\x14\\x14\\x00')");
      const double record_onset = tals.front().onset_s;
      if (r == 0) first_onset_s = record_onset;
      const double expected = first_onset_s + static_cast<double>(r) * layout.record_duration_s;
      // Half a sample of slack: onsets are decimal text, record starts are exact multiples.
      if (std::abs(record_onset - expected) > 0.5 / layout.fs_max) {
        throw Error("edf: data record " + std::to_string(r + 1) + " starts at " + format_decimal(record_onset, 6) +
                    " s, expected " + format_decimal(expected, 6) + " s" +
                    (layout.discontinuous ? "; this EDF+D file has gaps, and discontinuous recordings are not supported"
                                          : "; the time-keeping annotations contradict EDF+C"));
      }
      if (!annotations) continue;
      for (size_t t = 1; t < tals.size(); ++t) {
        const double sample = std::round((tals[t].onset_s - first_onset_s) * layout.fs_max);
        // Annotations outside the signal cannot index it; they are dropped.
        if (sample < 0 || sample >= static_cast<double>(layout.n_samples)) continue;
        for (const std::string& text : tals[t].texts)
          annotations->push_back({static_cast<std::int64_t>(sample), text});
      }
      // Any further TAL with an empty text list in the record is an (allowed) empty TAL.
    }
  }
}

Recording edf_header_recording(const EdfLayout& layout) {
  Recording out;
  out.fs_hz = layout.fs_max;
  out.start_time = layout.start_time;
  for (const size_t i : layout.lead_signals) {
    out.lead_names.push_back(layout.signals[i].label);
    out.units.push_back(layout.signals[i].unit);
  }
  return out;
}

// Ranged reads of an EDF file whose leads share one rate (EDF+C or plain EDF): samples
// [start, start + count) lie in whole data records, read with one seek.
class EdfRangeReader final : public RecordReader {
 public:
  EdfRangeReader(std::unique_ptr<ByteSource> source, EdfLayout layout)
      : source_(std::move(source)), layout_(std::move(layout)) {
    header_ = edf_header_recording(layout_);
    header_.samples_uv.resize(static_cast<Eigen::Index>(layout_.lead_signals.size()), 0);
    n_samples_ = layout_.n_samples;
    for (const size_t i : layout_.lead_signals) scales_.emplace_back(layout_.signals[i]);
    // Record 0's time-keeping TAL anchors the timeline every later record is checked against.
    if (layout_.edf_plus) (void)read_records(0, 1);
  }

  LeadMatrix read(std::int64_t start, std::int64_t count) override {
    if (start < 0 || count < 0 || start > n_samples_ - count)
      throw Error("edf: samples [" + std::to_string(start) + ", " + std::to_string(start + count) +
                  ") are outside the recording's " + std::to_string(n_samples_) + " [" + source_->name() + "]");
    const std::int64_t spr = layout_.max_spr;
    LeadMatrix out(static_cast<Eigen::Index>(layout_.lead_signals.size()), count);
    if (count == 0) return out;
    const std::int64_t first = start / spr, last = (start + count - 1) / spr;
    const std::vector<std::uint8_t>& bytes = read_records(first, last - first + 1);
    for (size_t k = 0; k < layout_.lead_signals.size(); ++k) {
      const EdfSignal& s = layout_.signals[layout_.lead_signals[k]];
      for (std::int64_t t = start; t < start + count; ++t) {
        const std::int64_t r = t / spr - first, j = t % spr;
        const std::uint8_t* p = bytes.data() + r * layout_.record_bytes + static_cast<std::int64_t>(s.offset_in_record) + 2 * j;
        out(static_cast<Eigen::Index>(k), t - start) = scales_[k](p);
      }
    }
    return out;
  }

 private:
  const std::vector<std::uint8_t>& read_records(std::int64_t first, std::int64_t n) {
    buffer_.resize(static_cast<size_t>(n * layout_.record_bytes));
    source_->read(layout_.header_bytes + first * layout_.record_bytes, buffer_);
    try {
      read_edf_annotations(layout_, buffer_.data(), first, n, first_onset_s_, source_->name(), nullptr);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " [" + source_->name() + "]");
    }
    return buffer_;
  }

  std::unique_ptr<ByteSource> source_;
  EdfLayout layout_;
  std::vector<EdfScale> scales_;
  std::vector<std::uint8_t> buffer_;  // the data records of the last read (reused)
  double first_onset_s_ = 0;
};

}  // namespace

Recording parse_edf(std::span<const std::uint8_t> bytes, const EdfOptions& options) {
  const std::string where = "file of " + std::to_string(bytes.size()) + " bytes";
  const EdfLayout layout = parse_edf_layout(bytes, static_cast<std::int64_t>(bytes.size()));
  const std::int64_t n_records = layout.n_records, n_samples = layout.n_samples, max_spr = layout.max_spr;

  Recording out = edf_header_recording(layout);
  out.samples_uv.resize(static_cast<Eigen::Index>(layout.lead_signals.size()), n_samples);
  const std::uint8_t* data = bytes.data() + layout.header_bytes;
  for (size_t k = 0; k < layout.lead_signals.size(); ++k) {
    const EdfSignal& s = layout.signals[layout.lead_signals[k]];
    const EdfScale scale(s);
    const std::int64_t n_own = n_records * s.samples_per_record;
    std::vector<float> lead(static_cast<size_t>(n_own));
    for (std::int64_t r = 0; r < n_records; ++r) {
      const std::uint8_t* p = data + r * layout.record_bytes + static_cast<std::int64_t>(s.offset_in_record);
      for (std::int64_t j = 0; j < s.samples_per_record; ++j)
        lead[static_cast<size_t>(r * s.samples_per_record + j)] = scale(p + 2 * j);
    }
    if (s.samples_per_record == max_spr) {
      out.samples_uv.row(static_cast<Eigen::Index>(k)) = Eigen::Map<const Eigen::RowVectorXf>(lead.data(), n_own);
      continue;
    }
    const double fs_own = static_cast<double>(s.samples_per_record) / layout.record_duration_s;
    if (!options.resample_mixed_rates)
      throw Error("edf: " + signal_name(s, layout.lead_signals[k]) + " is sampled at " + format_decimal(fs_own, 6) +
                  " Hz but the fastest signal at " + format_decimal(layout.fs_max, 6) +
                  " Hz, and resampling of mixed rates is turned off");
    const Signal up = resample(std::span<const float>(lead), fs_own, layout.fs_max);
    // resample() returns ceil(n · fs_out / fs_in) samples, which equals n_samples up to rounding
    // of the rate ratio: copy what overlaps and hold the last value for a missing tail sample.
    const Eigen::Index n_copy = std::min<Eigen::Index>(up.size(), n_samples);
    if (n_copy == 0) throw Error("edf: resampling " + signal_name(s, layout.lead_signals[k]) + " gave no samples");
    for (Eigen::Index j = 0; j < n_samples; ++j)
      out.samples_uv(static_cast<Eigen::Index>(k), j) = up[std::min(j, n_copy - 1)];
  }

  // EDF+ annotations: the first TAL of every record is its time-keeping TAL (record onset).
  double first_onset_s = 0;
  read_edf_annotations(layout, data, 0, n_records, first_onset_s, where, &out.annotations);
  std::stable_sort(out.annotations.begin(), out.annotations.end(),
                   [](const Annotation& a, const Annotation& b) { return a.sample < b.sample; });
  return out;
}

std::unique_ptr<RecordReader> open_edf_reader(std::unique_ptr<ByteSource> source) {
  const std::string name = source->name();
  const std::int64_t size = source->size();
  // The header is 256 bytes plus 256 per signal: read the fixed part, then as many signal
  // headers as it announces (a bad count is left for parse_edf_layout to report).
  std::vector<std::uint8_t> header(static_cast<size_t>(std::min<std::int64_t>(size, kFixedHeaderBytes)));
  source->read(0, header);
  if (header.size() == kFixedHeaderBytes) {
    const auto n_signals = parse_int(std::string_view(reinterpret_cast<const char*>(header.data()) + 252, 4));
    if (n_signals && *n_signals > 0) {
      const std::int64_t want = static_cast<std::int64_t>(kFixedHeaderBytes) + *n_signals * static_cast<std::int64_t>(kSignalHeaderBytes);
      header.resize(static_cast<size_t>(std::min(size, want)));
      source->read(0, header);
    }
  }
  EdfLayout layout;
  try {
    layout = parse_edf_layout(header, size);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + name + "]");
  }
  if (!layout.same_rate())
    throw Error("edf: its leads are sampled at different rates, which only the whole-file reader resamples [" +
                name + "]");
  return std::make_unique<EdfRangeReader>(std::move(source), std::move(layout));
}

Recording read_edf(const std::string& path, const EdfOptions& options) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_edf(bytes, options);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + path + "]");
  }
}

namespace {

// Writes `text` left-aligned and space-padded into an n-character ASCII field; refuses a value
// that does not fit (a truncated number would silently change the data's scaling).
void put_field(std::string& header, std::string_view text, size_t width, const char* what) {
  if (text.size() > width)
    throw Error("encode_edf: " + std::string(what) + " " + show_field(text) + " does not fit in " +
                std::to_string(width) + " characters");
  std::string field(text);
  for (char& c : field)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '_';
  field.resize(width, ' ');
  header += field;
}

// The shortest decimal text of at most 8 characters that is <= value (round_up: >=).
std::string fit8(double value, bool round_up) {
  for (int decimals = 6; decimals >= 0; --decimals) {
    const double scale = std::pow(10.0, decimals);
    const double rounded = (round_up ? std::ceil(value * scale) : std::floor(value * scale)) / scale;
    const std::string s = format_decimal(rounded, decimals);
    if (s.size() <= 8) return s;
  }
  throw Error("encode_edf: physical value " + format_decimal(value, 3) + " uV does not fit the 8-character field");
}

// Chooses the data record: about 1 s, a whole number of samples, and the recording a whole
// number of records (else the last record is padded and the reader returns extra samples).
struct RecordLayout {
  std::int64_t samples_per_record = 0;
  std::string duration_text;
  std::int64_t n_records = 0;
};

RecordLayout choose_layout(double fs_hz, std::int64_t n_samples) {
  RecordLayout best;
  double best_score = std::numeric_limits<double>::infinity();
  // Candidates: divisors of n_samples no larger than the 8-digit field allows.
  auto consider = [&](std::int64_t spr) {
    if (spr < 1 || spr > 99999999) return;
    const double duration = static_cast<double>(spr) / fs_hz;
    const std::string text = format_decimal(duration, 6);
    if (text.size() > 8 || text == "0") return;
    const auto parsed = parse_double(text);
    // The reader computes fs = spr / duration: it must give back fs_hz.
    if (!parsed || std::abs(static_cast<double>(spr) / *parsed - fs_hz) > 1e-9 * fs_hz) return;
    const double score = std::abs(std::log(duration));  // prefer 1 s records
    if (score < best_score) {
      best_score = score;
      best = {spr, text, n_samples / spr};
    }
  };
  for (std::int64_t d = 1; d * d <= n_samples; ++d) {
    if (n_samples % d != 0) continue;
    consider(d);
    consider(n_samples / d);
  }
  if (best.samples_per_record > 0) return best;
  // No divisor gives an exact duration: fall back to 1-s records, the last one padded.
  const double spr = std::round(fs_hz);
  if (std::abs(spr - fs_hz) > 1e-9 * fs_hz || spr < 1)
    throw Error("encode_edf: cannot choose a data record length for fs = " + format_decimal(fs_hz, 6) +
                " Hz and " + std::to_string(n_samples) + " samples");
  best.samples_per_record = static_cast<std::int64_t>(spr);
  best.duration_text = "1";
  best.n_records = (n_samples + best.samples_per_record - 1) / best.samples_per_record;
  return best;
}

}  // namespace

std::vector<std::uint8_t> encode_edf(const Recording& recording) {
  validate_recording(recording);
  const auto n_leads = static_cast<size_t>(recording.n_leads());
  const std::int64_t n_samples = recording.n_samples();
  const RecordLayout layout = choose_layout(recording.fs_hz, n_samples);
  const std::int64_t spr = layout.samples_per_record;

  // Annotation TALs, grouped by data record; each record starts with its time-keeping TAL.
  std::vector<std::string> tal_bytes(static_cast<size_t>(layout.n_records));
  for (std::int64_t r = 0; r < layout.n_records; ++r)
    tal_bytes[static_cast<size_t>(r)] =
        "+" + format_decimal(static_cast<double>(r * spr) / recording.fs_hz, 9) + "\x14\x14" + std::string(1, '\0');
  for (const Annotation& a : recording.annotations) {
    if (a.sample < 0 || a.sample >= n_samples)
      throw Error("encode_edf: annotation '" + a.label + "' at sample " + std::to_string(a.sample) +
                  " is outside the recording [0, " + std::to_string(n_samples) + ")");
    if (a.label.find_first_of(std::string("\x14\x15\0", 3)) != std::string::npos)
      throw Error("encode_edf: annotation text " + show_field(a.label) + " contains a TAL separator byte");
    // 9 decimals: the reader's round(onset · fs) recovers the sample for any fs below 1 GHz.
    tal_bytes[static_cast<size_t>(a.sample / spr)] +=
        "+" + format_decimal(static_cast<double>(a.sample) / recording.fs_hz, 9) + "\x14" + a.label + "\x14" +
        std::string(1, '\0');
  }
  size_t max_tal = 0;
  for (const auto& t : tal_bytes) max_tal = std::max(max_tal, t.size());
  const std::int64_t annotation_spr = static_cast<std::int64_t>((max_tal + 1) / 2);

  // Per lead: the physical range from the data (widened when flat), written as text and then
  // read back so that the scaling used here is exactly the one a reader will apply.
  struct Scale {
    std::string pmin_text, pmax_text;
    double pmin = 0, pmax = 0;
  };
  std::vector<Scale> scales(n_leads);
  for (size_t k = 0; k < n_leads; ++k) {
    const auto row = recording.samples_uv.row(static_cast<Eigen::Index>(k));
    double lo = row.minCoeff(), hi = row.maxCoeff();
    if (hi - lo < 1e-3) {  // a flat lead still needs two different physical limits (1 nV apart)
      lo -= 1.0;
      hi += 1.0;
    }
    Scale& s = scales[k];
    s.pmin_text = fit8(lo, false);
    s.pmax_text = fit8(hi, true);
    s.pmin = *parse_double(s.pmin_text);
    s.pmax = *parse_double(s.pmax_text);
  }

  const size_t ns = n_leads + 1;
  std::string header;
  header.reserve(kFixedHeaderBytes + ns * kSignalHeaderBytes);
  put_field(header, "0", 8, "version");
  put_field(header, "X X X X", 80, "patient");  // EDF+ anonymous patient: code sex birthdate name
  // EDF+ recording field: "Startdate dd-MMM-yyyy code technician equipment".
  std::string date = "01.01.85", time = "00.00.00", startdate = "Startdate X";
  if (recording.start_time && recording.start_time->size() >= 19) {
    const std::string& iso = *recording.start_time;
    const auto y = parse_int(iso.substr(0, 4)), mo = parse_int(iso.substr(5, 2)), d = parse_int(iso.substr(8, 2));
    if (y && mo && d && *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= 31 && *y >= 1985 && *y <= 2999) {
      static const char* months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
      date = iso.substr(8, 2) + "." + iso.substr(5, 2) + "." + iso.substr(2, 2);
      time = iso.substr(11, 2) + "." + iso.substr(14, 2) + "." + iso.substr(17, 2);
      startdate = "Startdate " + iso.substr(8, 2) + "-" + months[*mo - 1] + "-" + iso.substr(0, 4);
    }
  }
  put_field(header, startdate + " X X FHNet-Web", 80, "recording");
  put_field(header, date, 8, "start date");
  put_field(header, time, 8, "start time");
  put_field(header, std::to_string(kFixedHeaderBytes + ns * kSignalHeaderBytes), 8, "header size");
  put_field(header, "EDF+C", 44, "reserved");
  put_field(header, std::to_string(layout.n_records), 8, "number of data records");
  put_field(header, layout.duration_text, 8, "data record duration");
  put_field(header, std::to_string(ns), 4, "number of signals");
  using W = SignalFieldWidths;
  for (size_t k = 0; k < n_leads; ++k) put_field(header, recording.lead_names[k], W::label, "lead name");
  put_field(header, kAnnotationLabel, W::label, "label");
  for (size_t k = 0; k < ns; ++k) put_field(header, "", W::transducer, "transducer");
  for (size_t k = 0; k < n_leads; ++k) put_field(header, "uV", W::physical_dimension, "unit");
  put_field(header, "", W::physical_dimension, "unit");
  for (size_t k = 0; k < n_leads; ++k) put_field(header, scales[k].pmin_text, W::physical_min, "physical minimum");
  put_field(header, "-1", W::physical_min, "physical minimum");
  for (size_t k = 0; k < n_leads; ++k) put_field(header, scales[k].pmax_text, W::physical_max, "physical maximum");
  put_field(header, "1", W::physical_max, "physical maximum");
  for (size_t k = 0; k < ns; ++k) put_field(header, std::to_string(kDigitalMin), W::digital_min, "digital minimum");
  for (size_t k = 0; k < ns; ++k) put_field(header, std::to_string(kDigitalMax), W::digital_max, "digital maximum");
  for (size_t k = 0; k < ns; ++k) put_field(header, "", W::prefiltering, "prefiltering");
  for (size_t k = 0; k < n_leads; ++k) put_field(header, std::to_string(spr), W::samples_per_record, "samples per record");
  put_field(header, std::to_string(annotation_spr), W::samples_per_record, "samples per record");
  for (size_t k = 0; k < ns; ++k) put_field(header, "", W::reserved, "reserved");

  const std::int64_t record_bytes = 2 * (static_cast<std::int64_t>(n_leads) * spr + annotation_spr);
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.reserve(out.size() + static_cast<size_t>(record_bytes * layout.n_records));
  const double digital_span = static_cast<double>(kDigitalMax) - kDigitalMin;
  for (std::int64_t r = 0; r < layout.n_records; ++r) {
    for (size_t k = 0; k < n_leads; ++k) {
      const Scale& s = scales[k];
      const double per_uv = digital_span / (s.pmax - s.pmin);
      for (std::int64_t j = 0; j < spr; ++j) {
        // The last record is padded with the last sample when it is incomplete.
        const std::int64_t t = std::min(r * spr + j, n_samples - 1);
        const double x = recording.samples_uv(static_cast<Eigen::Index>(k), t);
        const double d = std::round((x - s.pmin) * per_uv + kDigitalMin);
        const auto v = static_cast<std::int16_t>(std::clamp(d, double{kDigitalMin}, double{kDigitalMax}));
        const auto u = static_cast<std::uint16_t>(v);
        out.push_back(static_cast<std::uint8_t>(u & 0xFF));
        out.push_back(static_cast<std::uint8_t>(u >> 8));
      }
    }
    std::string tal = tal_bytes[static_cast<size_t>(r)];
    tal.resize(static_cast<size_t>(2 * annotation_spr), '\0');
    out.insert(out.end(), tal.begin(), tal.end());
  }
  return out;
}

void write_edf(const std::string& path, const Recording& recording) {
  const std::vector<std::uint8_t> bytes = encode_edf(recording);
  std::ofstream file(path, std::ios::binary);
  if (!file) throw Error("write_edf: cannot open '" + path + "' for writing");
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw Error("write_edf: writing '" + path + "' failed");
}

}  // namespace fecg
