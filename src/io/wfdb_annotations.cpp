// MIT-format annotation files (annot(5)): WFDB's beats and other annotations.
//
// Sources: the WFDB Programmer's Guide, annot(5), and the standard annotation codes of
// <wfdb/ecgcodes.h> (G.B. Moody, PhysioNet, https://physionet.org/physiotools/wag/).
#include "io/wfdb_annotations.h"

#include "core/error.h"
#include "io/io_detail.h"
#include "io/record.h"  // read_file_bytes

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace fecg {

using io_detail::parse_double;
using io_detail::show_field;

// ---------------------------------------------------------------------------------------------
// MIT annotation files (annot(5)). Each annotation is a 16-bit little-endian word: the top 6
// bits are the code A, the low 10 bits the interval I (samples since the previous annotation).
namespace {

constexpr int kCodeShift = 10;
constexpr std::uint32_t kIntervalMask = 0x3FF;
constexpr int kMaxCode = 49;  // ACMAX: codes 1..49 are annotation types
constexpr int kSkip = 59, kNum = 60, kSub = 61, kChn = 62, kAux = 63;
constexpr int kNote = 22;

// Mnemonics of the standard codes (<wfdb/ecgcodes.h>, annot.c); "" where the code is unused.
constexpr std::array<const char*, kMaxCode + 1> kMnemonics = {{
    "",  "N", "L", "R", "a", "V", "F", "J", "A", "S",   // 0-9
    "E", "j", "/", "Q", "~", "",  "|", "",  "s", "T",   // 10-19
    "*", "D", "\"", "=", "p", "B", "^", "t", "+", "u",  // 20-29
    "?", "!", "[", "]", "e", "n", "@", "x", "f", "(",   // 30-39
    ")", "r", "",  "",  "",  "",  "",  "",  "",  "",    // 40-49
}};

// QRS (beat) codes: NORMAL..UNKNOWN (1-13), BBB 25, LEARN 30, AESC 34, SVESC 35, PFUS 38,
// RONT 41 — the isqrs() table of the WFDB library.
constexpr bool is_beat_code(int code) {
  return (code >= 1 && code <= 13) || code == 25 || code == 30 || code == 34 || code == 35 || code == 38 ||
         code == 41;
}

int code_of(const std::string& label) {
  for (int c = 1; c <= kMaxCode; ++c)
    if (*kMnemonics[static_cast<size_t>(c)] && label == kMnemonics[static_cast<size_t>(c)]) return c;
  return -1;
}

}  // namespace

WfdbAnnotations parse_wfdb_annotations(std::span<const std::uint8_t> bytes) {
  WfdbAnnotations out;
  if (bytes.size() % 2 != 0)
    throw Error("wfdb annotations: file has an odd number of bytes (" + std::to_string(bytes.size()) +
                "), expected 16-bit words (truncated?)");
  std::int64_t time = 0;
  size_t pos = 0;
  bool ended = false;
  bool last_is_note = false;  // the previous real annotation was a NOTE (its AUX may be a comment)
  // Index of the last annotation kept in `out`, -1 if the last real one was skipped.
  std::ptrdiff_t last_kept = -1;
  auto word_at = [&](size_t p) { return static_cast<std::uint32_t>(bytes[p] | (bytes[p + 1] << 8)); };
  while (pos + 2 <= bytes.size()) {
    const std::uint32_t word = word_at(pos);
    const size_t at = pos;
    pos += 2;
    const int code = static_cast<int>(word >> kCodeShift);
    const std::uint32_t interval = word & kIntervalMask;
    if (word == 0) {
      ended = true;
      break;
    }
    switch (code) {
      case kSkip: {
        // A 32-bit interval follows in PDP-11 order: high 16-bit word first, each little-endian.
        if (pos + 4 > bytes.size())
          throw Error("wfdb annotations: SKIP at byte " + std::to_string(at) + " is cut off (truncated file)");
        const std::uint32_t value = (word_at(pos) << 16) | word_at(pos + 2);
        pos += 4;
        time += static_cast<std::int32_t>(value);
        continue;
      }
      case kNum:
      case kSub:
      case kChn:
        // Annotation number, subtype and channel of the annotations that follow: not kept in
        // fecg::Annotation, but consumed so that they are not read as annotations.
        continue;
      case kAux: {
        const size_t length = interval;
        const size_t padded = length + (length % 2);
        if (pos + padded > bytes.size())
          throw Error("wfdb annotations: AUX at byte " + std::to_string(at) + " says " + std::to_string(length) +
                      " bytes but only " + std::to_string(bytes.size() - pos) + " remain (truncated file)");
        std::string aux(reinterpret_cast<const char*>(bytes.data()) + pos, length);
        pos += padded;
        // Strings may be stored with a terminating 0.
        if (const size_t z = aux.find('\0'); z != std::string::npos) aux.resize(z);
        if (last_is_note && aux.rfind("##", 0) == 0) {
          // A comment note, e.g. "## time resolution: 1000" written by WFDB for annotation
          // files whose tick rate differs from the record's nominal one.
          const size_t key = aux.find("time resolution");
          if (key != std::string::npos) {
            std::string value = aux.substr(key + 15);
            const size_t digit = value.find_first_of("0123456789.");
            if (digit != std::string::npos) {
              value = value.substr(digit);
              const size_t stop = value.find_first_not_of("0123456789.eE+-");
              if (const auto r = parse_double(value.substr(0, stop)); r && *r > 0) out.time_resolution_hz = *r;
            }
          }
          if (last_kept >= 0 && static_cast<size_t>(last_kept) + 1 == out.annotations.size()) {
            out.annotations.pop_back();
            last_kept = -1;
          }
        } else if (last_is_note && last_kept >= 0 && !aux.empty()) {
          // A free-text note: its text is a more useful label than the NOTE mnemonic '"'.
          out.annotations[static_cast<size_t>(last_kept)].label = aux;
        }
        continue;
      }
      default:
        break;
    }
    if (code > kMaxCode)
      throw Error("wfdb annotations: code " + std::to_string(code) + " at byte " + std::to_string(at) +
                  " is neither an annotation type (1-49) nor a pseudo-code (59-63); not an annotation file?");
    time += interval;
    last_is_note = code == kNote;
    // Code 0 (NOTQRS) entries are placeholders, e.g. the dummy at sample 0 in ADFECGDB's .qrs files.
    if (code == 0 || !*kMnemonics[static_cast<size_t>(code)]) {
      last_kept = -1;
      continue;
    }
    if (time < 0)
      throw Error("wfdb annotations: annotation '" + std::string(kMnemonics[static_cast<size_t>(code)]) +
                  "' at byte " + std::to_string(at) + " has negative time " + std::to_string(time));
    out.annotations.push_back({time, kMnemonics[static_cast<size_t>(code)]});
    last_kept = static_cast<std::ptrdiff_t>(out.annotations.size()) - 1;
  }
  if (!ended)
    throw Error("wfdb annotations: no end-of-file word (0x0000) after " + std::to_string(bytes.size()) +
                " bytes (truncated file?)");
  return out;
}

WfdbAnnotations read_wfdb_annotations(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_wfdb_annotations(bytes);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + path + "]");
  }
}

std::vector<std::uint8_t> encode_wfdb_annotations(const std::vector<Annotation>& annotations) {
  std::vector<Annotation> sorted = annotations;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Annotation& a, const Annotation& b) { return a.sample < b.sample; });
  std::vector<std::uint8_t> out;
  auto put = [&](std::uint32_t word) {
    out.push_back(static_cast<std::uint8_t>(word & 0xFF));
    out.push_back(static_cast<std::uint8_t>((word >> 8) & 0xFF));
  };
  std::int64_t time = 0;
  for (const Annotation& a : sorted) {
    if (a.sample < 0)
      throw Error("encode_wfdb_annotations: annotation '" + a.label + "' at negative sample " + std::to_string(a.sample));
    int code = code_of(a.label);
    // A label without a standard code is written as a NOTE carrying the text in AUX.
    const bool as_note = code < 0;
    if (as_note) {
      code = kNote;
      if (a.label.empty() || a.label.size() > 255)
        throw Error("encode_wfdb_annotations: label of " + std::to_string(a.label.size()) +
                    " characters at sample " + std::to_string(a.sample) + " cannot be stored (1-255 allowed)");
      if (a.label.rfind("##", 0) == 0)
        throw Error("encode_wfdb_annotations: label " + show_field(a.label) + " would be read back as a comment");
    }
    const std::int64_t delta = a.sample - time;
    if (delta > static_cast<std::int64_t>(kIntervalMask)) {
      if (delta > std::numeric_limits<std::int32_t>::max())
        throw Error("encode_wfdb_annotations: gap of " + std::to_string(delta) + " samples before sample " +
                    std::to_string(a.sample) + " exceeds the 32-bit SKIP interval");
      const auto d = static_cast<std::uint32_t>(delta);
      put(static_cast<std::uint32_t>(kSkip) << kCodeShift);
      put(d >> 16);
      put(d & 0xFFFF);
      put(static_cast<std::uint32_t>(code) << kCodeShift);
    } else {
      put((static_cast<std::uint32_t>(code) << kCodeShift) | static_cast<std::uint32_t>(delta));
    }
    time = a.sample;
    if (as_note) {
      put((static_cast<std::uint32_t>(kAux) << kCodeShift) | static_cast<std::uint32_t>(a.label.size()));
      out.insert(out.end(), a.label.begin(), a.label.end());
      if (a.label.size() % 2) out.push_back(0);
    }
  }
  put(0);  // end of file
  return out;
}

void write_wfdb_annotations(const std::string& path, const std::vector<Annotation>& annotations) {
  const std::vector<std::uint8_t> bytes = encode_wfdb_annotations(annotations);
  std::ofstream file(path, std::ios::binary);
  if (!file) throw Error("write_wfdb_annotations: cannot open '" + path + "' for writing");
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw Error("write_wfdb_annotations: writing '" + path + "' failed");
}

BeatIndices beat_samples(const std::vector<Annotation>& annotations) {
  BeatIndices beats;
  for (const Annotation& a : annotations) {
    const int code = code_of(a.label);
    // "QRS" is the beat label of ADFECGDB's EDF+ annotations (not an MIT mnemonic).
    if ((code >= 0 && is_beat_code(code)) || a.label == "QRS") beats.push_back(a.sample);
  }
  std::sort(beats.begin(), beats.end());
  return beats;
}

std::vector<Annotation> beat_annotations(const BeatIndices& beats, const std::string& label) {
  std::vector<Annotation> out;
  out.reserve(beats.size());
  for (const std::int64_t b : beats) out.push_back({b, label});
  return out;
}

}  // namespace fecg
