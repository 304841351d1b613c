// The JS boundary's error and copy rules (boundary.h).
#include "wasm/boundary.h"

#include "core/error.h"

#include <cmath>
#include <limits>

namespace fecg::wasm {

using emscripten::val;

void throw_js_error(std::string& message, const char* name) {
  val error = val::global("Error").new_(val(message));
  error.set("name", val(name));
  message.clear();
  message.shrink_to_fit();
  error.throw_();
}

val float32_array(const float* data, std::size_t n) { return copy_array("Float32Array", data, n); }
val float32_array(const std::vector<float>& v) { return float32_array(v.data(), v.size()); }
val float64_array(const std::vector<double>& v) { return copy_array("Float64Array", v.data(), v.size()); }
val bytes_to_js(const std::vector<std::uint8_t>& bytes) { return copy_array("Uint8Array", bytes.data(), bytes.size()); }

// Sample indices fit an Int32Array, since a recording that fits the 2 GB heap holds fewer than
// 2^29 samples per lead.
val beats_array(const BeatIndices& beats) {
  std::vector<std::int32_t> out(beats.size());
  for (std::size_t i = 0; i < beats.size(); ++i) {
    if (beats[i] < 0 || beats[i] > std::numeric_limits<std::int32_t>::max())
      throw Error("wasm: beat index " + std::to_string(beats[i]) + " does not fit an Int32Array");
    out[i] = static_cast<std::int32_t>(beats[i]);
  }
  return copy_array("Int32Array", out.data(), out.size());
}

val string_array(const std::vector<std::string>& strings) {
  val out = val::array();
  for (std::size_t i = 0; i < strings.size(); ++i) out.set(i, val(strings[i]));
  return out;
}

std::vector<std::uint8_t> bytes_from_js(const val& bytes, const std::string& where) {
  if (!bytes.instanceof(val::global("Uint8Array")))
    throw Error(where + ": expected the file's bytes as a Uint8Array, got " + bytes.typeOf().as<std::string>());
  const auto n = bytes["length"].as<std::size_t>();
  std::vector<std::uint8_t> out(n);
  // No allocation between making the view and filling it, so memory growth cannot detach it.
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", bytes);
  return out;
}

std::vector<float> floats_from_js(const val& array, const std::string& where) {
  if (!array.instanceof(val::global("Float32Array")))
    throw Error(where + ": expected a Float32Array, got " + array.typeOf().as<std::string>());
  const auto n = array["length"].as<std::size_t>();
  std::vector<float> out(n);
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", array);
  return out;
}

BeatIndices beats_from_js(const val& array, const std::string& where) {
  if (array.isUndefined() || array.isNull() || !array["length"].isNumber())
    throw Error(where + ": expected an array of sample indices");
  const auto n = array["length"].as<std::size_t>();
  BeatIndices out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const val item = array[i];
    const double v = item.isNumber() ? item.as<double>() : std::nan("");
    if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v > 9.0e15)
      throw Error(where + ": element " + std::to_string(i) + " is not a non-negative integer sample index");
    out[i] = static_cast<std::int64_t>(v);
  }
  return out;
}

}  // namespace fecg::wasm
