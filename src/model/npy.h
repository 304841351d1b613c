// The NumPy .npy format, version 1.0 (numpy.lib.format, NEP 1): the 6-byte magic "\x93NUMPY",
// version bytes 1 0, a little-endian uint16 header length, then an ASCII Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, 8, 1024), } padded with spaces and ended
// by '\n' so that the data starts on a 64-byte boundary, then the raw C-order data.
// Pure functions on bytes (the core opens no files): `fecg dataset` writes the files, the tests
// and scripts/fhnet/train.py (numpy.load) read them.
//
//   std::string head = fecg::npy_header("<f4", {n, 8, 1024});   // then n·8·1024 floats
//   fecg::NpyHeader h = fecg::parse_npy_header(bytes.data(), bytes.size());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

// Type strings this project writes, with their sizes in bytes.
inline constexpr struct {
  const char* descr;
  int bytes;
} kNpyTypes[] = {{"<f4", 4}, {"<f8", 8}, {"<i8", 8}, {"<i4", 4}, {"|u1", 1}, {"<u8", 8}};

// The header (magic .. final '\n') for a C-order array of `descr` and `shape`, its length a
// multiple of 64. Throws fecg::Error for an unknown descr, a negative dimension, or a header that
// does not fit the 65535 bytes of version 1.0. `min_bytes`: pad to at least this length, so that
// a writer can reserve room before it knows the first dimension and rewrite the header in place
// (128 bytes hold any 3-D shape with dimensions below 10^15).
std::string npy_header(std::string_view descr, const std::vector<std::int64_t>& shape, std::size_t min_bytes = 0);

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;   // bytes from the start of the file to the data
  int item_bytes = 0;            // size of one element (from kNpyTypes)
  std::int64_t count() const;    // product of shape (1 for a scalar)
};

// Parses the header at the start of `bytes` (version 1.0 or 2.0). Throws fecg::Error naming what
// is wrong: bad magic, truncated header, a dict without descr/fortran_order/shape, an unknown type.
NpyHeader parse_npy_header(const std::uint8_t* bytes, std::size_t size);

}  // namespace fecg
