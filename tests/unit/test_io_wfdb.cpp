// WFDB records and MIT annotations: golden files (tests/data, made by make_golden.py), round
// trips and bad input.
#include <doctest/doctest.h>

#include "core/error.h"
#include "io/record.h"
#include "io/wfdb.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

const std::string kGolden = std::string(FECG_SOURCE_DIR) + "/tests/data/";

// In-memory signal files for parse_wfdb_record.
struct Files {
  std::map<std::string, std::vector<std::uint8_t>> files;
  std::vector<std::uint8_t> operator()(const std::string& name) const {
    const auto it = files.find(name);
    if (it == files.end()) throw fecg::Error("test: no file '" + name + "'");
    return it->second;
  }
};

std::vector<std::uint8_t> int16_le(const std::vector<int>& v) {
  std::vector<std::uint8_t> out;
  for (const int x : v) {
    const auto u = static_cast<std::uint16_t>(static_cast<std::int16_t>(x));
    out.push_back(static_cast<std::uint8_t>(u & 0xFF));
    out.push_back(static_cast<std::uint8_t>(u >> 8));
  }
  return out;
}

}  // namespace

TEST_CASE("io wfdb: golden records in formats 8, 16, 24, 32, 61, 80, 160, 212, 310, 311") {
  for (const int format : {8, 16, 24, 32, 61, 80, 160, 212, 310, 311}) {
    INFO("format " << format);
    const bool narrow = format == 8 || format == 80;
    const std::vector<int> a = narrow ? std::vector<int>{0, -1, -100, -2, -127} : std::vector<int>{0, -1, -300, -2, -511};
    const std::vector<int> b = narrow ? std::vector<int>{1, 57, 127, 100, 3} : std::vector<int>{1, 57, 255, 500, 3};
    const fecg::Recording r = fecg::read_wfdb_record(kGolden + "fmt" + std::to_string(format));
    CHECK(r.fs_hz == 128.0);
    REQUIRE(r.n_leads() == 2);
    REQUIRE(r.n_samples() == 5);
    CHECK(r.lead_names == std::vector<std::string>{"lead A", "lead B"});
    CHECK(r.units == std::vector<std::string>{"uV", "mV"});
    for (int t = 0; t < 5; ++t) {
      // A: (adu - baseline 10) / 100 adu/uV; B: (adu - adc zero 4) / 200 adu/mV × 1000 uV/mV.
      CHECK(r.samples_uv(0, t) == doctest::Approx((a[static_cast<size_t>(t)] - 10) / 100.0));
      CHECK(r.samples_uv(1, t) == doctest::Approx((b[static_cast<size_t>(t)] - 4) * 5.0));
    }
  }
}

TEST_CASE("io wfdb: header fields and defaults") {
  const fecg::WfdbHeader h = fecg::parse_wfdb_header(
      "# comment line\n"
      "rec 3 360/1(0) 1000 10:21:05 01/03/2012\r\n"
      "rec.dat 212x1:0+512 0(-5)/mV 11 7 9 -12 0 Lead II, upper\n"
      "rec.dat 212\n"
      "other.dat 16 250.5/uV\n"
      "#info line after signals\n");
  CHECK(h.record_name == "rec");
  CHECK(h.n_signals == 3);
  CHECK(h.fs_hz == 360.0);
  CHECK(h.n_samples == 1000);
  CHECK(h.base_time == "10:21:05");
  CHECK(h.base_date == "01/03/2012");
  const auto& s0 = h.signals[0];
  CHECK(s0.format == 212);
  CHECK(s0.byte_offset == 512);
  CHECK(s0.gain_adu_per_unit == 200.0);  // gain 0 means 200
  CHECK(s0.baseline_adu == -5);
  CHECK(s0.adc_zero == 7);
  CHECK(s0.initial_value == 9);
  CHECK(s0.has_checksum);
  CHECK(s0.checksum == -12);
  CHECK(s0.description == "Lead II, upper");
  const auto& s1 = h.signals[1];  // everything defaulted
  CHECK(s1.gain_adu_per_unit == 200.0);
  CHECK(s1.units == "mV");
  CHECK(s1.baseline_adu == 0);
  CHECK_FALSE(s1.has_checksum);
  CHECK(h.signals[2].gain_adu_per_unit == 250.5);
  CHECK(h.signals[2].units == "uV");
  CHECK(fecg::parse_wfdb_header("x 1\nx.dat 16\n").fs_hz == 250.0);  // default rate
}

TEST_CASE("io wfdb: separate signal files, baseline defaults to ADC zero, start time") {
  Files f;
  f.files["a.dat"] = int16_le({100, 200, 300});
  f.files["b.dat"] = int16_le({-1, -2, -3});
  const fecg::Recording r = fecg::parse_wfdb_record(
      "two 2 500 3 08:00:00 24/12/2020\na.dat 16 10/uV 16 50 100 600 0 A\nb.dat 16 1/mV 16 0 -1 -6 0 B\n",
      std::cref(f));
  REQUIRE(r.n_samples() == 3);
  CHECK(r.samples_uv(0, 2) == doctest::Approx((300 - 50) / 10.0));
  CHECK(r.samples_uv(1, 1) == doctest::Approx(-2000.0));
  CHECK(r.start_time == std::optional<std::string>("2020-12-24T08:00:00"));
}

TEST_CASE("io wfdb: sample count from the file size when the header omits it") {
  Files f;
  f.files["r.dat"] = int16_le({1, 2, 3, 4, 5, 6});
  const fecg::Recording r = fecg::parse_wfdb_record("r 2 100\nr.dat 16\nr.dat 16\n", std::cref(f));
  CHECK(r.n_samples() == 3);
  CHECK(r.samples_uv(1, 2) == doctest::Approx(6 * 5.0));  // 200 adu/mV → 5 uV per adu
}

TEST_CASE("io wfdb: missing samples (the format's invalid value) read as NaN") {
  Files f;
  f.files["r.dat"] = int16_le({1, -32768, 3});
  const fecg::Recording r = fecg::parse_wfdb_record("r 1 100 3\nr.dat 16\n", std::cref(f));
  CHECK(std::isnan(r.samples_uv(0, 1)));
  CHECK(r.samples_uv(0, 2) == doctest::Approx(15.0));
}

TEST_CASE("io wfdb: bad input gives a clear fecg::Error") {
  Files f;
  f.files["r.dat"] = int16_le({1, 2, 3, 4, 5, 6});
  auto parse = [&](const std::string& header) { return fecg::parse_wfdb_record(header, std::cref(f)); };
  REQUIRE_NOTHROW(parse("r 2 100 3\nr.dat 16 200/mV 16 0 1 9 0 a\nr.dat 16 200/mV 16 0 2 12 0 b\n"));
  CHECK_THROWS_WITH_AS(parse("r 2 100 3\nr.dat 16 200/mV 16 0 1 10 0 a\nr.dat 16\n"),
                       doctest::Contains("signal 1 'a' checksum mismatch: header says 10, samples sum to 9"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 2 100 4\nr.dat 16\nr.dat 16\n"),
                       doctest::Contains("file 'r.dat' holds 12 data bytes, expected 16 for 4 samples × 2 signals in "
                                         "format 16 (truncated)"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 2 100 2\nr.dat 16\nr.dat 16\n"), doctest::Contains("(size mismatch)"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100 3\nr.dat 16 200/mmHg 16 0 0 0 0 ABP\n"),
                       doctest::Contains("signal 1 'ABP' has unit 'mmHg', expected a voltage"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100\nr.dat 99\n"), doctest::Contains("has format 99; supported formats are"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r/2 1 100\n"), doctest::Contains("multi-segment records are not supported"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 3 100\nr.dat 16\n"),
                       doctest::Contains("record line says 3 signals but the header has 1 signal lines"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 -5\nr.dat 16\n"), doctest::Contains("sampling frequency is '-5'"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100\nr.dat 16x2\n"), doctest::Contains("2 samples per frame"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100\nr.dat 16 abc/mV\n"), doctest::Contains("gain is 'abc/mV'"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100\nr.dat 16 200/mV 16 x\n"), doctest::Contains("ADC zero is 'x'"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100 99999999999999\nr.dat 16\n"), doctest::Contains("(truncated)"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 0\n"), doctest::Contains("has no signals"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse(""), doctest::Contains("empty header"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse(std::string("\x01\x02garbage 1\n\xff\xfe", 14)), doctest::Contains("control byte"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(parse("r 1 100\nmissing.dat 16\n"), doctest::Contains("no file 'missing.dat'"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::read_wfdb_record(kGolden + "no_such_record"), doctest::Contains("cannot open"),
                       fecg::Error);
}

TEST_CASE("io wfdb: write → read round trip within the quantisation step, checksums written") {
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.f, 80.f);
  fecg::Recording r;
  r.fs_hz = 250.0;
  r.lead_names = {"Abdomen 1", "Abdomen_2"};
  r.units = {"uV", "uV"};
  r.samples_uv.resize(2, 777);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 777; ++j) r.samples_uv(i, j) = noise(rng) * (i + 1);
  r.start_time = "2012-03-01T10:21:00";
  const auto dir = std::filesystem::temp_directory_path();
  const std::string base = (dir / "fecg_test_io_wfdb").string();
  fecg::write_wfdb_record(base, r);
  const fecg::Recording back = fecg::read_record(base + ".hea");  // checksums verified here
  const fecg::WfdbHeader h = fecg::parse_wfdb_header([&] {
    const auto bytes = fecg::read_file_bytes(base + ".hea");
    return std::string(bytes.begin(), bytes.end());
  }());
  CHECK(back.fs_hz == 250.0);
  CHECK(back.lead_names == r.lead_names);
  CHECK(back.start_time == r.start_time);
  REQUIRE(back.n_samples() == 777);
  for (int i = 0; i < 2; ++i) {
    const auto& s = h.signals[static_cast<size_t>(i)];
    CHECK(s.has_checksum);
    const double step = 1.0 / s.gain_adu_per_unit;  // uV per adu
    const double err = (back.samples_uv.row(i) - r.samples_uv.row(i)).cwiseAbs().maxCoeff();
    INFO("lead " << i << ": error " << err << " uV, step " << step << " uV");
    CHECK(err <= 0.5 * step + 1e-4);
    // The gain uses at least 99.9% of the 16-bit range (4 significant digits).
    CHECK(r.samples_uv.row(i).cwiseAbs().maxCoeff() * s.gain_adu_per_unit > 32767 * 0.999);
  }
  std::filesystem::remove(base + ".hea");
  std::filesystem::remove(base + ".dat");
}

TEST_CASE("io wfdb annotations: golden file with SKIP, NUM, SUB, CHN, AUX and a time-resolution note") {
  const fecg::WfdbAnnotations a = fecg::read_wfdb_annotations(kGolden + "golden.atr");
  CHECK(a.time_resolution_hz == 1000.0);
  REQUIRE(a.annotations.size() == 5);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {10, "N"}, {5000, "V"}, {5020, "+"}, {5021, "hello"}, {6000, "/"}};
  for (size_t k = 0; k < expected.size(); ++k) {
    CHECK(a.annotations[k].sample == expected[k].first);
    CHECK(a.annotations[k].label == expected[k].second);
  }
  CHECK(fecg::beat_samples(a.annotations) == fecg::BeatIndices{10, 5000, 6000});
}

TEST_CASE("io wfdb annotations: encode → parse round trip (long gaps, all mnemonics, free text)") {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> gap(0, 3000);
  const std::vector<std::string> labels = {"N", "V", "A", "+", "~", "|", "Q", "/", "\"", "x", "free text", "QRS"};
  std::vector<fecg::Annotation> in;
  std::int64_t t = 0;
  for (int k = 0; k < 500; ++k) {
    t += gap(rng);
    in.push_back({t, labels[static_cast<size_t>(k) % labels.size()]});
  }
  in.push_back({t + 5'000'000'000LL / 1000, "N"});  // a 5e6-sample gap needs SKIP
  const auto bytes = fecg::encode_wfdb_annotations(in);
  const fecg::WfdbAnnotations back = fecg::parse_wfdb_annotations(bytes);
  REQUIRE(back.annotations.size() == in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    CHECK(back.annotations[k].sample == in[k].sample);
    CHECK(back.annotations[k].label == in[k].label);
  }
  // Beats: N V A Q / (codes 1-13) and ADFECGDB's "QRS" text; not + ~ | " x or free text.
  const fecg::BeatIndices beats = fecg::beat_samples(back.annotations);
  size_t expected = 0;
  for (const auto& a : in)
    expected += (a.label == "N" || a.label == "V" || a.label == "A" || a.label == "Q" || a.label == "/" || a.label == "QRS");
  CHECK(beats.size() == expected);
  // write/read through a file, and beat_annotations.
  const std::string path = (std::filesystem::temp_directory_path() / "fecg_test_io.fqrs").string();
  fecg::write_wfdb_annotations(path, fecg::beat_annotations({5, 700, 1500}));
  const auto read = fecg::read_wfdb_annotations(path);
  CHECK(fecg::beat_samples(read.annotations) == fecg::BeatIndices{5, 700, 1500});
  CHECK(read.annotations[0].label == "N");
  std::filesystem::remove(path);
}

TEST_CASE("io wfdb annotations: bad input gives a clear fecg::Error") {
  auto parse = [](std::vector<std::uint8_t> b) { return fecg::parse_wfdb_annotations(b); };
  CHECK_THROWS_WITH_AS(parse({0x05, 0x04}), doctest::Contains("no end-of-file word"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse({0x05, 0x04, 0x00}), doctest::Contains("odd number of bytes"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse({0x00, 0xEC, 0x01, 0x00}), doctest::Contains("SKIP at byte 0 is cut off"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse({0x0A, 0xFC, 'a', 'b', 0, 0}), doctest::Contains("AUX at byte 0 says 10 bytes"), fecg::Error);
  CHECK_THROWS_WITH_AS(parse({0x00, 0xD4, 0, 0}), doctest::Contains("code 53 at byte 0"), fecg::Error);
  // SKIP -10 then N at interval 0: a negative time.
  CHECK_THROWS_WITH_AS(parse({0x00, 0xEC, 0xFF, 0xFF, 0xF6, 0xFF, 0x00, 0x04, 0, 0}),
                       doctest::Contains("negative time -10"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::encode_wfdb_annotations({{-1, "N"}}), doctest::Contains("negative sample -1"), fecg::Error);
  CHECK(parse({0, 0}).annotations.empty());
}
