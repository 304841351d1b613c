// A minimal streaming JSON writer for reports (CLI, WASM). Strings are escaped, so untrusted text
// (file names, header fields) can never break the document; non-finite numbers become null.
//
//   fecg::JsonWriter json;
//   json.begin_object().key("method").value("ts-ica").key("fhr_bpm").value(142.5).end_object();
//   std::string text = json.str();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(double number);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(bool flag);
  JsonWriter& null();
  template <typename T>
  JsonWriter& array(const std::vector<T>& values) {
    begin_array();
    for (const auto& v : values) value(v);
    return end_array();
  }
  const std::string& str() const { return out_; }

  static std::string escape(std::string_view text);

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace fecg
