#include "model/npy.h"

#include "core/error.h"

#include <cctype>
#include <algorithm>
#include <cstring>
#include <limits>

namespace fecg {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicBytes = 6;
constexpr std::size_t kAlignment = 64;  // numpy >= 1.14 aligns the data to 64 bytes

int item_bytes(std::string_view descr) {
  for (const auto& t : kNpyTypes)
    if (descr == t.descr) return t.bytes;
  return 0;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (const std::int64_t d : shape) s += std::to_string(d) + ", ";
  if (!shape.empty()) s.pop_back();       // the last ", " → "," : "(3,)" is a 1-tuple...
  if (shape.size() >= 2) s.pop_back();    // ...and "(3, 4)" needs no trailing comma
  return s + ")";
}

// Value text of `key` in the header dict: the characters after "'key':" up to the matching end.
std::string_view dict_value(std::string_view dict, std::string_view key) {
  std::string quoted;
  quoted.reserve(key.size() + 2);
  quoted.push_back('\'');
  quoted.append(key);
  quoted.push_back('\'');
  const std::size_t at = dict.find(quoted);
  if (at == std::string_view::npos) throw Error("npy: header dict has no '" + std::string(key) + "': " + std::string(dict));
  std::size_t p = dict.find(':', at + quoted.size());
  if (p == std::string_view::npos) throw Error("npy: header dict: no ':' after '" + std::string(key) + "'");
  ++p;
  while (p < dict.size() && dict[p] == ' ') ++p;
  std::size_t end = p;
  if (p < dict.size() && dict[p] == '(') {
    end = dict.find(')', p);
    if (end == std::string_view::npos) throw Error("npy: header dict: unterminated shape tuple");
    return dict.substr(p, end - p + 1);
  }
  while (end < dict.size() && dict[end] != ',' && dict[end] != '}') ++end;
  return dict.substr(p, end - p);
}

}  // namespace

std::int64_t NpyHeader::count() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n *= d;
  return n;
}

std::string npy_header(std::string_view descr, const std::vector<std::int64_t>& shape, std::size_t min_bytes) {
  if (item_bytes(descr) == 0) throw Error("npy_header: unsupported type '" + std::string(descr) + "'");
  for (const std::int64_t d : shape)
    if (d < 0) throw Error("npy_header: negative dimension " + std::to_string(d));
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  const std::size_t prefix = kMagicBytes + 2 + 2;
  std::size_t total = std::max(prefix + dict.size() + 1, min_bytes);
  total = (total + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t header_len = total - prefix;
  if (header_len > std::numeric_limits<std::uint16_t>::max()) throw Error("npy_header: shape too long for npy 1.0");
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::string out;
  out.reserve(total);
  out.append(kMagic, kMagicBytes);
  out.push_back('\x01');  // version 1.0
  out.push_back('\x00');
  out.push_back(static_cast<char>(header_len & 0xFF));  // uint16, little-endian
  out.push_back(static_cast<char>((header_len >> 8) & 0xFF));
  out.append(dict);
  return out;
}

NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size) {
  if (bytes == nullptr || size < kMagicBytes + 4 || std::memcmp(bytes, kMagic, kMagicBytes) != 0)
    throw Error("npy: not a .npy file (expected the magic \\x93NUMPY)");
  const int major = bytes[6];
  std::size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error("npy: truncated version 2 header");
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8) | (static_cast<std::size_t>(bytes[10]) << 16) |
                 (static_cast<std::size_t>(bytes[11]) << 24);
    prefix = 12;
  } else {
    throw Error("npy: unsupported format version " + std::to_string(major));
  }
  if (size < prefix + header_len)
    throw Error("npy: header says " + std::to_string(header_len) + " bytes but the file has " +
                std::to_string(size - prefix) + " after the prefix");
  const std::string_view dict(reinterpret_cast<const char*>(bytes + prefix), header_len);
  NpyHeader h;
  h.data_offset = prefix + header_len;
  std::string_view descr = dict_value(dict, "descr");
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) throw Error("npy: descr is not a string");
  h.descr = std::string(descr.substr(1, descr.size() - 2));
  h.item_bytes = item_bytes(h.descr);
  if (h.item_bytes == 0) throw Error("npy: unsupported type '" + h.descr + "'");
  const std::string_view order = dict_value(dict, "fortran_order");
  if (order == "True") h.fortran_order = true;
  else if (order != "False") throw Error("npy: fortran_order must be True or False, got '" + std::string(order) + "'");
  const std::string_view shape = dict_value(dict, "shape");
  if (shape.empty() || shape.front() != '(') throw Error("npy: shape is not a tuple");
  std::int64_t value = -1;
  for (std::size_t i = 1; i < shape.size(); ++i) {
    const char ch = shape[i];
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) throw Error("npy: dimension overflows");
      value = (value < 0 ? 0 : value * 10) + (ch - '0');
    } else if (ch == ',' || ch == ')') {
      if (value >= 0) h.shape.push_back(value);
      value = -1;
    } else if (ch != ' ') {
      throw Error("npy: unexpected '" + std::string(1, ch) + "' in shape " + std::string(shape));
    }
  }
  return h;
}

}  // namespace fecg
