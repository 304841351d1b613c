// A small JSON reader (RFC 8259) for model cards and configuration: parses a whole document into
// a tree of JsonValue. The writer is core/json.h. Accessors name what they were looking for, so
// a malformed card gives "fhnet.json: architecture.d_model: expected a number, found a string".
//
//   fecg::JsonValue card = fecg::parse_json(text, "models/fhnet.json");
//   int d = card.at("architecture").at("d_model").as_int();
//   if (const fecg::JsonValue* m = card.find("metrics")) { ... }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Typed access; each throws fecg::Error "<path>: expected <type>, found <type>" on mismatch.
  bool as_bool() const;
  double as_number() const;
  // An integral number within [lo, hi]; throws otherwise (1.5, 1e30 and -1 for a size all fail).
  std::int64_t as_int(std::int64_t lo = INT32_MIN, std::int64_t hi = INT32_MAX) const;
  const std::string& as_string() const;
  const std::vector<JsonValue>& as_array() const;

  // Object members in document order (duplicate keys are refused by the parser).
  const std::vector<std::string>& keys() const;
  const std::vector<JsonValue>& values() const;  // arrays: the elements; objects: the members
  const JsonValue* find(std::string_view key) const;  // nullptr if absent (or not an object)
  const JsonValue& at(std::string_view key) const;    // throws "<path>: missing key 'k'"
  const JsonValue& at(std::size_t index) const;       // throws when out of range

  // Where this value sits in its document, for messages: "fhnet.json: outputs[1].shape".
  const std::string& path() const { return path_; }

 private:
  friend class JsonParser;
  [[noreturn]] void type_error(const char* expected) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<std::string> keys_;
  std::vector<JsonValue> values_;
  std::string path_;
};

const char* json_type_name(JsonValue::Type type);

// Parses one JSON document (surrounding whitespace allowed, nothing else after it). `source`
// names the document in messages. Throws fecg::Error with the line and column of the problem.
// Nesting deeper than 128 levels is refused, so hostile input cannot exhaust the stack.
JsonValue parse_json(std::string_view text, std::string_view source);

}  // namespace fecg
