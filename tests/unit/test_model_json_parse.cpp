// core/json_parse.h: the reader behind the model card checks. Round trips through the writer
// (core/json.h), RFC 8259 escapes, and malformed documents refused with line:column.
#include <doctest/doctest.h>

#include "core/error.h"
#include "core/json.h"
#include "core/json_parse.h"

#include <string>

TEST_CASE("json_parse: values, nesting and paths") {
  const fecg::JsonValue v = fecg::parse_json(
      R"( {"a": 1, "b": [true, false, null, -2.5e-3, "x"], "c": {"d": {"e": [0, 10]}}, "s": "q\"\\\/\n\u00e9\ud83d\ude00"} )",
      "doc.json");
  CHECK(v.at("a").as_int() == 1);
  CHECK(v.at("b").as_array().size() == 5);
  CHECK(v.at("b").at(std::size_t{0}).as_bool());
  CHECK(v.at("b").at(std::size_t{2}).is_null());
  CHECK(v.at("b").at(std::size_t{3}).as_number() == doctest::Approx(-2.5e-3));
  CHECK(v.at("c").at("d").at("e").at(std::size_t{1}).as_int() == 10);
  CHECK(v.at("s").as_string() == "q\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");  // é and U+1F600 in UTF-8
  CHECK(v.keys() == std::vector<std::string>{"a", "b", "c", "s"});
  CHECK(v.find("zz") == nullptr);
  CHECK_THROWS_WITH_AS(v.at("zz"), doctest::Contains("doc.json: missing key 'zz'"), fecg::Error);
  CHECK_THROWS_WITH_AS(v.at("c").at("d").at("e").as_string(), doctest::Contains("doc.json.c.d.e: expected a string, found an array"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(v.at("b").at(std::size_t{3}).as_int(), doctest::Contains("expected an integer"), fecg::Error);
  CHECK_THROWS_AS(v.at("b").at(std::size_t{9}), fecg::Error);
  CHECK_THROWS_AS(v.at("a").as_int(2, 5), fecg::Error);
}

TEST_CASE("json_parse: round trip through the writer, escapes included") {
  fecg::JsonWriter w;
  const std::string nasty = std::string("tab\t quote\" back\\ nl\n ctl") + char(1) + " ü";
  w.begin_object().key(nasty).value(nasty).key("n").value(std::int64_t{-123456789}).key("x").value(0.125);
  w.key("list").begin_array().value(1).value(2).end_array().end_object();
  const fecg::JsonValue v = fecg::parse_json(w.str(), "written");
  CHECK(v.at(nasty).as_string() == nasty);
  CHECK(v.at("n").as_int() == -123456789);
  CHECK(v.at("x").as_number() == 0.125);
  CHECK(v.at("list").as_array().size() == 2);
}

TEST_CASE("json_parse: malformed documents refused with where and what") {
  auto error_of = [](const std::string& text) {
    try {
      fecg::parse_json(text, "bad.json");
    } catch (const fecg::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error_of("{\"a\": 1,}").find("bad.json:1:9: json: expected a string key") != std::string::npos);
  CHECK(error_of("{\"a\": 1, \"a\": 2}").find("duplicate key 'a'") != std::string::npos);
  CHECK(error_of("[1, 2").find("expected ',' or ']'") != std::string::npos);
  CHECK(error_of("{\n  \"a\": tru }").find("bad.json:2:8") != std::string::npos);
  CHECK(error_of("\"abc").find("unterminated string") != std::string::npos);
  CHECK(error_of("\"a\nb\"").find("control character") != std::string::npos);
  CHECK(error_of("\"\\ud800x\"").find("surrogate") != std::string::npos);
  CHECK(error_of("01").find("unexpected text after") != std::string::npos);
  CHECK(error_of("1.").find("digit after '.'") != std::string::npos);
  CHECK(error_of("1e999").find("out of range") != std::string::npos);
  CHECK(error_of("{} x").find("unexpected text after") != std::string::npos);
  CHECK(error_of("").find("unexpected end of input") != std::string::npos);
  CHECK(error_of(std::string(200, '[') + std::string(200, ']')).find("nesting deeper than 128") != std::string::npos);
  CHECK(error_of(std::string(100, '[') + std::string(100, ']')) == "(no error)");
}
