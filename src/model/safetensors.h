// Reader for the safetensors format (https://huggingface.co/docs/safetensors), float32 only:
// an 8-byte little-endian header length N, N bytes of JSON {name: {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {...}}, then the raw little-endian tensor data,
// offsets relative to the end of the header. scripts/fhnet/export.py writes it.
//
//   fecg::Safetensors st = fecg::parse_safetensors(bytes.data(), bytes.size(), "fhnet.safetensors");
//   const fecg::Tensor& w = st.get("encoder.stem.weight");  // w.shape, w.data (floats, owned)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // row-major (C order), shape product elements

  std::int64_t numel() const;
  std::string shape_str() const;  // "[48, 1, 7]"
};

struct Safetensors {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__", string values only
  std::string source;                           // name for messages

  // Throws fecg::Error "<source>: no tensor 'name'" when absent.
  const Tensor& get(const std::string& name) const;
};

// Parses and copies every tensor out of `bytes`. Throws fecg::Error naming `source` and the
// problem on: a header length past the end, bad JSON, a dtype other than F32, a shape whose size
// disagrees with its byte range, ranges outside the data or overlapping, non-finite values.
Safetensors parse_safetensors(const std::uint8_t* bytes, std::size_t size, std::string_view source);

// The inverse: tensors in name order, header padded with spaces to 8 bytes, metadata kept.
// Throws fecg::Error if a tensor's data size disagrees with its shape.
std::vector<std::uint8_t> serialize_safetensors(const Safetensors& st);

}  // namespace fecg
