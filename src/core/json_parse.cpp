// Recursive-descent JSON parser after RFC 8259 (grammar of §2-§7).
#include "core/json_parse.h"

#include "core/error.h"

#include <cmath>
#include <cstdlib>

namespace fecg {

const char* json_type_name(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::kNull: return "null";
    case JsonValue::Type::kBool: return "a boolean";
    case JsonValue::Type::kNumber: return "a number";
    case JsonValue::Type::kString: return "a string";
    case JsonValue::Type::kArray: return "an array";
    case JsonValue::Type::kObject: return "an object";
  }
  return "?";
}

void JsonValue::type_error(const char* expected) const {
  throw Error(path_ + ": expected " + expected + ", found " + json_type_name(type_));
}

bool JsonValue::as_bool() const {
  if (type_ != Type::kBool) type_error("a boolean");
  return bool_;
}

double JsonValue::as_number() const {
  if (type_ != Type::kNumber) type_error("a number");
  return number_;
}

std::int64_t JsonValue::as_int(std::int64_t lo, std::int64_t hi) const {
  const double v = as_number();
  if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    throw Error(path_ + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "], found " + std::to_string(v));
  }
  return static_cast<std::int64_t>(v);
}

const std::string& JsonValue::as_string() const {
  if (type_ != Type::kString) type_error("a string");
  return string_;
}

const std::vector<JsonValue>& JsonValue::as_array() const {
  if (type_ != Type::kArray) type_error("an array");
  return values_;
}

const std::vector<std::string>& JsonValue::keys() const {
  if (type_ != Type::kObject) type_error("an object");
  return keys_;
}

const std::vector<JsonValue>& JsonValue::values() const {
  if (type_ != Type::kObject && type_ != Type::kArray) type_error("an object or an array");
  return values_;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &values_[i];
  }
  return nullptr;
}

const JsonValue& JsonValue::at(std::string_view key) const {
  if (type_ != Type::kObject) type_error("an object");
  if (const JsonValue* v = find(key)) return *v;
  throw Error(path_ + ": missing key '" + std::string(key) + "'");
}

const JsonValue& JsonValue::at(std::size_t index) const {
  const auto& items = as_array();
  if (index >= items.size()) {
    throw Error(path_ + ": expected at least " + std::to_string(index + 1) + " elements, found " +
                std::to_string(items.size()));
  }
  return items[index];
}

class JsonParser {
 public:
  JsonParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  JsonValue parse_document() {
    JsonValue root = parse_value(std::string(source_), 0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the JSON document");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 128;

  [[noreturn]] void fail(const std::string& what) const {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    throw Error(std::string(source_) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": json: " + what);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  JsonValue parse_value(std::string path, int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of input, expected a value");
    JsonValue v;
    v.path_ = std::move(path);
    const char c = text_[pos_];
    if (c == '{') {
      parse_object(v, depth);
    } else if (c == '[') {
      parse_array(v, depth);
    } else if (c == '"') {
      v.type_ = JsonValue::Type::kString;
      v.string_ = parse_string();
    } else if (consume_literal("true")) {
      v.type_ = JsonValue::Type::kBool;
      v.bool_ = true;
    } else if (consume_literal("false")) {
      v.type_ = JsonValue::Type::kBool;
    } else if (consume_literal("null")) {
      v.type_ = JsonValue::Type::kNull;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type_ = JsonValue::Type::kNumber;
      v.number_ = parse_number();
    } else {
      fail(std::string("unexpected character '") + c + "', expected a value");
    }
    return v;
  }

  void parse_object(JsonValue& v, int depth) {
    v.type_ = JsonValue::Type::kObject;
    ++pos_;  // '{'
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') { ++pos_; return; }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key in an object");
      std::string key = parse_string();
      for (const auto& k : v.keys_) {
        if (k == key) fail("duplicate key '" + key + "'");
      }
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':' after key '" + key + "'");
      ++pos_;
      v.values_.push_back(parse_value(v.path_ + "." + key, depth + 1));
      v.keys_.push_back(std::move(key));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') { ++pos_; continue; }
      if (pos_ < text_.size() && text_[pos_] == '}') { ++pos_; return; }
      fail("expected ',' or '}' in an object");
    }
  }

  void parse_array(JsonValue& v, int depth) {
    v.type_ = JsonValue::Type::kArray;
    ++pos_;  // '['
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') { ++pos_; return; }
    while (true) {
      v.values_.push_back(parse_value(v.path_ + "[" + std::to_string(v.values_.size()) + "]", depth + 1));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') { ++pos_; continue; }
      if (pos_ < text_.size() && text_[pos_] == ']') { ++pos_; return; }
      fail("expected ',' or ']' in an array");
    }
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f') u |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= unsigned(h - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return u;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (pos_ >= text_.size()) fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a UTF-16 surrogate pair (RFC 8259 §7)
            if (!consume_literal("\\u")) fail("unpaired high surrogate in \\u escape");
            const unsigned lo = parse_hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired low surrogate in \\u escape");
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  double parse_number() {
    // Validate the RFC 8259 §6 grammar first, then convert with strtod ("C" locale digits).
    const std::size_t start = pos_;
    auto digit = [&](std::size_t i) { return i < text_.size() && text_[i] >= '0' && text_[i] <= '9'; };
    if (text_[pos_] == '-') ++pos_;
    if (!digit(pos_)) fail("expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digit(pos_)) fail("expected a digit after '.'");
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digit(pos_)) fail("expected a digit in the exponent");
      while (digit(pos_)) ++pos_;
    }
    const std::string token(text_.substr(start, pos_ - start));
    const double v = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(v)) fail("number out of range: " + token);
    return v;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

JsonValue parse_json(std::string_view text, std::string_view source) {
  return JsonParser(text, source).parse_document();
}

}  // namespace fecg
