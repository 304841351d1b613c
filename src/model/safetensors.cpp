#include "model/safetensors.h"

#include "core/error.h"
#include "core/json.h"
#include "core/json_parse.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

namespace fecg {

// The format is little-endian; both our targets (x86-64, wasm32) are too, so a memcpy decodes.
static_assert(std::endian::native == std::endian::little, "safetensors: big-endian hosts are not supported");

std::int64_t Tensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string Tensor::shape_str() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const Tensor& Safetensors::get(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(source + ": no tensor '" + name + "'");
  return it->second;
}

Safetensors parse_safetensors(const std::uint8_t* bytes, std::size_t size, std::string_view source) {
  const std::string src(source);
  if (bytes == nullptr || size < 8) {
    throw Error(src + ": safetensors: file of " + std::to_string(size) + " bytes, expected at least 8");
  }
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);
  if (header_len > size - 8) {
    throw Error(src + ": safetensors: header says " + std::to_string(header_len) + " bytes but only " +
                std::to_string(size - 8) + " follow");
  }
  const std::string_view header_text(reinterpret_cast<const char*>(bytes + 8), static_cast<std::size_t>(header_len));
  const JsonValue header = parse_json(header_text, src + " header");
  const std::uint8_t* data = bytes + 8 + header_len;
  const std::uint64_t data_size = size - 8 - header_len;

  Safetensors out;
  out.source = src;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  const auto& keys = header.keys();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const JsonValue& entry = header.values()[i];
    if (keys[i] == "__metadata__") {
      for (std::size_t j = 0; j < entry.keys().size(); ++j) out.metadata[entry.keys()[j]] = entry.values()[j].as_string();
      continue;
    }
    const std::string& dtype = entry.at("dtype").as_string();
    if (dtype != "F32") throw Error(src + ": tensor '" + keys[i] + "' has dtype " + dtype + ", expected F32");
    Tensor t;
    std::uint64_t numel = 1;
    for (const auto& d : entry.at("shape").as_array()) {
      const auto dim = d.as_int(0, std::int64_t{1} << 31);
      t.shape.push_back(dim);
      numel *= static_cast<std::uint64_t>(dim);
      if (numel > data_size) break;  // no overflow: stops before the product can grow further
    }
    const auto& offsets = entry.at("data_offsets");
    const auto begin = static_cast<std::uint64_t>(offsets.at(std::size_t{0}).as_int(0, INT64_MAX / 2));
    const auto end = static_cast<std::uint64_t>(offsets.at(std::size_t{1}).as_int(0, INT64_MAX / 2));
    if (offsets.as_array().size() != 2 || end < begin || end > data_size) {
      throw Error(src + ": tensor '" + keys[i] + "' data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] outside the " + std::to_string(data_size) + "-byte data section");
    }
    if (numel * 4 != end - begin) {
      throw Error(src + ": tensor '" + keys[i] + "' of shape " + t.shape_str() + " needs " + std::to_string(numel * 4) +
                  " bytes, its range holds " + std::to_string(end - begin));
    }
    t.data.resize(static_cast<std::size_t>(numel));
    if (numel) std::memcpy(t.data.data(), data + begin, static_cast<std::size_t>(end - begin));
    for (std::size_t k = 0; k < t.data.size(); ++k) {
      if (!std::isfinite(t.data[k])) {
        throw Error(src + ": tensor '" + keys[i] + "' has a non-finite value at flat index " + std::to_string(k));
      }
    }
    ranges.emplace_back(begin, end);
    out.tensors.emplace(keys[i], std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) throw Error(src + ": safetensors: tensor data ranges overlap");
  }
  return out;
}

std::vector<std::uint8_t> serialize_safetensors(const Safetensors& st) {
  JsonWriter json;
  json.begin_object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : st.tensors) {  // std::map: name order
    if (static_cast<std::int64_t>(t.data.size()) != t.numel()) {
      throw Error(st.source + ": tensor '" + name + "' holds " + std::to_string(t.data.size()) + " values, its shape " +
                  t.shape_str() + " needs " + std::to_string(t.numel()));
    }
    const std::uint64_t bytes = 4u * t.data.size();
    json.key(name).begin_object().key("dtype").value("F32").key("shape").begin_array();
    for (auto d : t.shape) json.value(d);
    json.end_array().key("data_offsets").begin_array();
    json.value(static_cast<std::int64_t>(offset)).value(static_cast<std::int64_t>(offset + bytes));
    json.end_array().end_object();
    offset += bytes;
  }
  if (!st.metadata.empty()) {
    json.key("__metadata__").begin_object();
    for (const auto& [k, v] : st.metadata) json.key(k).value(v);
    json.end_object();
  }
  json.end_object();
  std::string header = json.str();
  header.append((8 - header.size() % 8) % 8, ' ');  // data section 8-byte aligned

  std::vector<std::uint8_t> out(8 + header.size() + offset);
  const std::uint64_t header_len = header.size();
  std::memcpy(out.data(), &header_len, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  std::uint8_t* dst = out.data() + 8 + header.size();
  for (const auto& [name, t] : st.tensors) {
    if (!t.data.empty()) std::memcpy(dst, t.data.data(), 4 * t.data.size());
    dst += 4 * t.data.size();
  }
  return out;
}

}  // namespace fecg
