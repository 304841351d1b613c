// The two rules of the JS boundary that every file of src/wasm follows (bindings.cpp declares the
// API; this header knows nothing of Embind's registry, only of emscripten::val):
// - errors: an entry point runs its body in guarded(), which turns whatever the core throws into a
//   JS Error carrying the message (`name` "FecgError", "AbortError" for fecg::Cancelled,
//   "RangeError" when the 2 GB MAXIMUM_MEMORY is reached); the module keeps working afterwards;
// - data: every array handed to JS is a fresh copy (Float32Array in µV, Int32Array of sample
//   indices, Float64Array of times/rates), so JS never holds a view that memory growth detaches;
//   arrays from JS are copied into the WASM heap whole, with no per-element calls.
#pragma once

#include "core/types.h"
#include "pipeline/pipeline.h"

#include <emscripten/val.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace fecg::wasm {

// ------------------------------------------------------------------------- errors across the boundary

// Throws a JS Error named `name` with `message`. Called only once no C++ object with a destructor
// is alive in the caller's frame besides `message` (emptied here): a JS throw unwinds the WASM
// stack without running destructors.
[[noreturn]] void throw_js_error(std::string& message, const char* name);

// Runs `body` and turns any C++ exception into a JS Error with the same message.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  std::string message;
  const char* name = "FecgError";
  try {
    return body();
  } catch (const Cancelled& e) {
    message = e.what();
    name = "AbortError";
  } catch (const std::bad_alloc&) {
    message = "fecg: out of memory (the module is limited to 2 GB); try a shorter recording or fewer leads";
    name = "RangeError";
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "fecg: unknown C++ exception";
  }
  throw_js_error(message, name);
}

// ------------------------------------------------------------------------------ typed arrays out

// A fresh JS typed array (`js_type`, e.g. "Float32Array") holding a copy of data[0, n).
template <class T>
emscripten::val copy_array(const char* js_type, const T* data, std::size_t n) {
  // `new Float32Array(view)` copies the view's elements into a fresh JS-owned buffer.
  return emscripten::val::global(js_type).new_(emscripten::typed_memory_view(n, data));
}
emscripten::val float32_array(const float* data, std::size_t n);
emscripten::val float32_array(const std::vector<float>& v);
emscripten::val float64_array(const std::vector<double>& v);
emscripten::val bytes_to_js(const std::vector<std::uint8_t>& bytes);
// Beats as an Int32Array of sample indices (throws if one does not fit, see boundary.cpp).
emscripten::val beats_array(const BeatIndices& beats);
emscripten::val string_array(const std::vector<std::string>& strings);

// ---------------------------------------------------------------------------------- arrays in
// `where` names the entry point and argument in the error messages ("openWfdb(a01.dat)").

// A Uint8Array (a file's bytes) copied into the WASM heap.
std::vector<std::uint8_t> bytes_from_js(const emscripten::val& bytes, const std::string& where);
// A Float32Array copied into the WASM heap.
std::vector<float> floats_from_js(const emscripten::val& array, const std::string& where);
// Sample indices from a JS array or typed array of numbers (non-negative integers).
BeatIndices beats_from_js(const emscripten::val& array, const std::string& where);

}  // namespace fecg::wasm
