#include "io/npy_file.h"

#include "core/error.h"
#include "io/record.h"
#include "model/npy.h"

#include <bit>
#include <cstring>
#include <fstream>

namespace fecg {

static_assert(std::endian::native == std::endian::little, "npy_file: little-endian hosts only");

void write_npy_f32(const std::string& path, const std::vector<std::int64_t>& shape, const float* values) {
  std::int64_t count = 1;
  for (const std::int64_t d : shape) count *= d;
  if (count > 0 && values == nullptr) throw Error("npy: " + path + ": null data");
  const std::string header = npy_header("<f4", shape);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error("npy: cannot create " + path);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(count * 4));
  if (!f.flush()) throw Error("npy: cannot write " + path + " (disk full?)");
}

NpyFloats read_npy_f32(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  NpyHeader h;
  try {
    h = parse_npy_header(bytes.data(), bytes.size());
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  if (h.fortran_order) throw Error("npy: " + path + ": Fortran order is not supported (save a C-order array)");
  if (h.descr != "<f4" && h.descr != "<f8")
    throw Error("npy: " + path + ": expected float32 or float64 (<f4 or <f8), got '" + h.descr + "'");
  const std::int64_t count = h.count();
  const std::size_t need = static_cast<std::size_t>(count) * static_cast<std::size_t>(h.item_bytes);
  if (count < 0 || bytes.size() - h.data_offset < need)
    throw Error("npy: " + path + ": truncated: the header's shape needs " + std::to_string(need) + " data bytes, the file has " +
                std::to_string(bytes.size() - h.data_offset));
  NpyFloats out;
  out.shape = h.shape;
  out.values.resize(static_cast<std::size_t>(count));
  const std::uint8_t* data = bytes.data() + h.data_offset;
  if (h.descr == "<f4") {
    std::memcpy(out.values.data(), data, need);
  } else {
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      double v;
      std::memcpy(&v, data + 8 * i, 8);
      out.values[i] = static_cast<float>(v);
    }
  }
  return out;
}

}  // namespace fecg
