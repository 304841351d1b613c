// Float arrays as NumPy .npy files (format: model/npy.h), for exchanging FHNet windows and outputs
// with other programs (scripts/fhnet/evaluate.py; `fecg windows`, `fecg extract --engine-outputs`).
//
//   fecg::write_npy_f32("x.npy", {n, 4, 1024}, data.data());
//   fecg::NpyFloats y = fecg::read_npy_f32("fecg.npy");   // y.shape, y.values (float32)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fecg {

struct NpyFloats {
  std::vector<std::int64_t> shape;
  std::vector<float> values;   // C order
};

// Writes a little-endian float32 array. Throws fecg::Error when the file cannot be written or
// the shape's product is not values' count.
void write_npy_f32(const std::string& path, const std::vector<std::int64_t>& shape, const float* values);

// Reads a float32 or float64 (converted) C-order array. Throws fecg::Error naming the file on a
// missing or truncated file, a bad header, another type, or Fortran order.
NpyFloats read_npy_f32(const std::string& path);

}  // namespace fecg
