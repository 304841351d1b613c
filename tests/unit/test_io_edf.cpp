// EDF/EDF+ reader and writer: hand-built files with known content, round trips, bad input.
#include <doctest/doctest.h>

#include "core/error.h"
#include "io/edf.h"
#include "io/record.h"
#include "io/wfdb.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

// A signal for the test builder: digital samples for every data record, concatenated.
struct TestSignal {
  std::string label, unit = "uV";
  std::string pmin = "-3276.8", pmax = "3276.7", dmin = "-32768", dmax = "32767";
  int spr = 4;
  std::vector<std::int16_t> digital;  // n_records × spr values
  std::vector<std::string> tal;       // for "EDF Annotations": the bytes of each record
};

std::string field(const std::string& s, size_t width) {
  std::string f = s;
  f.resize(width, ' ');
  return f;
}

// Builds an EDF file as the 1992/2003 specifications lay it out (independent of encode_edf).
std::vector<std::uint8_t> build_edf(const std::vector<TestSignal>& signals, int n_records, const std::string& duration,
                                    const std::string& reserved = "EDF+C", const std::string& n_records_text = "") {
  std::string h;
  h += field("0", 8) + field("X X X X", 80) + field("Startdate 02-MAR-2012 X X X", 80) + field("02.03.12", 8) +
       field("10.21.05", 8) + field(std::to_string(256 * (signals.size() + 1)), 8) + field(reserved, 44) +
       field(n_records_text.empty() ? std::to_string(n_records) : n_records_text, 8) + field(duration, 8) +
       field(std::to_string(signals.size()), 4);
  for (const auto& s : signals) h += field(s.label, 16);
  for (const auto& s : signals) h += field("", 80 + 0 * s.spr);
  for (const auto& s : signals) h += field(s.unit, 8);
  for (const auto& s : signals) h += field(s.pmin, 8);
  for (const auto& s : signals) h += field(s.pmax, 8);
  for (const auto& s : signals) h += field(s.dmin, 8);
  for (const auto& s : signals) h += field(s.dmax, 8);
  for (const auto& s : signals) h += field("", 80 + 0 * s.spr);
  for (const auto& s : signals) h += field(std::to_string(s.spr), 8);
  for (const auto& s : signals) h += field("", 32 + 0 * s.spr);
  std::vector<std::uint8_t> out(h.begin(), h.end());
  for (int r = 0; r < n_records; ++r) {
    for (const auto& s : signals) {
      if (!s.tal.empty()) {
        std::string t = s.tal[static_cast<size_t>(r)];
        t.resize(2 * static_cast<size_t>(s.spr), '\0');
        out.insert(out.end(), t.begin(), t.end());
        continue;
      }
      for (int j = 0; j < s.spr; ++j) {
        const auto v = static_cast<std::uint16_t>(s.digital[static_cast<size_t>(r * s.spr + j)]);
        out.push_back(static_cast<std::uint8_t>(v & 0xFF));
        out.push_back(static_cast<std::uint8_t>(v >> 8));
      }
    }
  }
  return out;
}

TestSignal ramp(const std::string& label, int spr, int n_records, int step = 100) {
  TestSignal s;
  s.label = label;
  s.spr = spr;
  for (int i = 0; i < spr * n_records; ++i) s.digital.push_back(static_cast<std::int16_t>(i * step - 1000));
  return s;
}

TestSignal annotations(int spr, std::vector<std::string> tals) {
  TestSignal s;
  s.label = "EDF Annotations";
  s.unit = "";
  s.pmin = "-1";
  s.pmax = "1";
  s.spr = spr;
  s.tal = std::move(tals);
  return s;
}

std::string tal(const char* text) { return std::string(text, std::char_traits<char>::length(text)) + std::string(1, '\0'); }

}  // namespace

TEST_CASE("io edf: hand-built EDF+C with scaling, units and TAL annotations") {
  TestSignal a = ramp("Abdomen_1", 4, 2);                      // uV, 0.1 uV per digital unit
  TestSignal b = ramp("Chest", 4, 2);
  b.unit = "mV";
  b.pmin = "-1";
  b.pmax = "1";
  b.dmin = "-1000";
  b.dmax = "1000";  // 1 digital unit = 1 uV
  const TestSignal ann = annotations(30, {tal("+0\x14\x14") + tal("+0.5\x14QRS\x14") + tal("+1.25\x15" "0.1\x14" "A\x14" "B\x14"),
                                          tal("+2\x14\x14") + tal("+3.25\x14QRS\x14") + tal("+3.75\x14late\x14")});
  const auto bytes = build_edf({a, ann, b}, 2, "2");  // 4 samples per 2 s = 2 Hz
  const fecg::Recording r = fecg::parse_edf(bytes);
  CHECK(r.fs_hz == 2.0);
  REQUIRE(r.n_leads() == 2);
  CHECK(r.lead_names == std::vector<std::string>{"Abdomen_1", "Chest"});
  CHECK(r.units == std::vector<std::string>{"uV", "mV"});
  REQUIRE(r.n_samples() == 8);
  REQUIRE(r.start_time.has_value());
  CHECK(*r.start_time == "2012-03-02T10:21:05");
  // physical = (d - dmin)(pmax - pmin)/(dmax - dmin) + pmin; a: 6553.5/65535 = 0.1 uV per unit.
  for (int j = 0; j < 8; ++j) {
    const double d = j * 100 - 1000;
    CHECK(r.samples_uv(0, j) == doctest::Approx((d + 32768) * 0.1 - 3276.8).epsilon(1e-6));
    CHECK(r.samples_uv(1, j) == doctest::Approx(d * 1.0).epsilon(1e-6));  // mV → uV: 1e-3 × 1e3
  }
  REQUIRE(r.annotations.size() == 4);
  CHECK(r.annotations[0].sample == 1);  // 0.5 s at 2 Hz
  CHECK(r.annotations[0].label == "QRS");
  CHECK(r.annotations[1].sample == 3);  // round(1.25 × 2) = round(2.5) = 3
  CHECK(r.annotations[1].label == "A");
  CHECK(r.annotations[2].label == "B");
  CHECK(r.annotations[3].sample == 7);  // 3.25 s → 6.5 → 7; "late" (3.75 s → 8) is past the end
  CHECK(r.annotations[3].label == "QRS");
}

TEST_CASE("io edf: mixed sampling rates are resampled to the fastest, or refused") {
  // A 4 Hz lead and a 2 Hz lead of the same slow sine: after resampling both carry it.
  const int n_records = 50;
  TestSignal fast, slow;
  fast.label = "fast";
  fast.spr = 4;
  slow.label = "slow";
  slow.spr = 2;
  const double pi = std::acos(-1.0);
  for (int i = 0; i < fast.spr * n_records; ++i)
    fast.digital.push_back(static_cast<std::int16_t>(std::lround(1000 * std::sin(2 * pi * 0.1 * i / 4.0))));
  for (int i = 0; i < slow.spr * n_records; ++i)
    slow.digital.push_back(static_cast<std::int16_t>(std::lround(1000 * std::sin(2 * pi * 0.1 * i / 2.0))));
  const auto bytes = build_edf({fast, slow}, n_records, "1", "");
  const fecg::Recording r = fecg::parse_edf(bytes);
  CHECK(r.fs_hz == 4.0);
  REQUIRE(r.n_samples() == 200);
  // Away from the edges the resampled lead matches the fast one (0.1 Hz is far below the
  // 0.9 Hz pass-band edge of a 2 → 4 Hz resampler): within 2% of the amplitude (100 uV).
  double worst = 0;
  for (int j = 40; j < 160; ++j) worst = std::max(worst, double(std::abs(r.samples_uv(1, j) - r.samples_uv(0, j))));
  CHECK(worst < 2.0);  // uV, of a 100 uV sine
  fecg::EdfOptions refuse;
  refuse.resample_mixed_rates = false;
  CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes, refuse), doctest::Contains("signal 2 'slow' is sampled at 2 Hz"), fecg::Error);
}

TEST_CASE("io edf: EDF+D is read when contiguous and refused with gaps") {
  TestSignal a = ramp("a", 4, 2);
  const auto contiguous = build_edf({a, annotations(8, {tal("+0\x14\x14"), tal("+1\x14\x14")})}, 2, "1", "EDF+D");
  CHECK(fecg::parse_edf(contiguous).n_samples() == 8);
  const auto gap = build_edf({a, annotations(8, {tal("+0\x14\x14"), tal("+5\x14\x14")})}, 2, "1", "EDF+D");
  CHECK_THROWS_WITH_AS(fecg::parse_edf(gap),
                       doctest::Contains("data record 2 starts at 5 s, expected 1 s; this EDF+D file has gaps"),
                       fecg::Error);
}

TEST_CASE("io edf: bad input gives a clear fecg::Error") {
  TestSignal a = ramp("Abdomen_1", 4, 3);
  const auto good = build_edf({a}, 3, "1", "");
  REQUIRE_NOTHROW(fecg::parse_edf(good));

  SUBCASE("truncated data") {
    auto bytes = good;
    bytes.resize(bytes.size() - 3);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes),
                         doctest::Contains("header says 3 data records of 8 bytes, so the file should be 536 bytes, "
                                           "but it is 533 (truncated)"),
                         fecg::Error);
  }
  SUBCASE("extra bytes") {
    auto bytes = good;
    bytes.push_back(0);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("(extra bytes)"), fecg::Error);
  }
  SUBCASE("truncated header") {
    const std::vector<std::uint8_t> bytes(good.begin(), good.begin() + 300);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("needs a 512-byte header, but the file is only 300"),
                         fecg::Error);
  }
  SUBCASE("absurd signal count is checked against the file size before any allocation") {
    auto bytes = good;
    const std::string ns = "9999";
    std::copy(ns.begin(), ns.end(), bytes.begin() + 252);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("header says 9999 signals"), fecg::Error);
  }
  SUBCASE("unknown unit") {
    TestSignal t = a;
    t.unit = "degC";
    CHECK_THROWS_WITH_AS(fecg::parse_edf(build_edf({t}, 3, "1", "")),
                         doctest::Contains("signal 1 'Abdomen_1' has unit 'degC', expected a voltage"), fecg::Error);
  }
  SUBCASE("bad numbers") {
    TestSignal t = a;
    t.pmax = "1.2.3";
    CHECK_THROWS_WITH_AS(fecg::parse_edf(build_edf({t}, 3, "1", "")), doctest::Contains("physical range"), fecg::Error);
    t = a;
    t.dmin = "40000";
    CHECK_THROWS_WITH_AS(fecg::parse_edf(build_edf({t}, 3, "1", "")), doctest::Contains("digital range"), fecg::Error);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(build_edf({a}, 3, "0", "")),
                         doctest::Contains("data record duration is '0       '"), fecg::Error);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(build_edf({a}, 3, "nan", "")), doctest::Contains("data record duration"),
                         fecg::Error);
  }
  SUBCASE("number of records -1 is taken from the file size") {
    CHECK(fecg::parse_edf(build_edf({a}, 3, "1", "", "-1")).n_samples() == 12);
  }
  SUBCASE("garbage bytes") {
    std::vector<std::uint8_t> bytes(1000);
    std::mt19937 rng(7);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    bytes[0] = 'Z';
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("expected '0' (not an EDF file?)"), fecg::Error);
    bytes[0] = 0xFF;
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("BDF"), fecg::Error);
    CHECK_THROWS_WITH_AS(fecg::parse_edf(std::vector<std::uint8_t>{}), doctest::Contains("shorter than the 256-byte"),
                         fecg::Error);
  }
  SUBCASE("broken TAL") {
    auto bytes = build_edf({a, annotations(8, {tal("+0\x14\x14"), tal("+1\x14x\x14"), tal("+2\x14\x14")})}, 3, "1");
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("data record 2 does not start with a time-keeping"),
                         fecg::Error);
    bytes = build_edf({a, annotations(8, {tal("+0\x14\x14"), tal("1\x14\x14"), tal("+2\x14\x14")})}, 3, "1");
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("data record 2: annotation onset '1' must start with"),
                         fecg::Error);
    bytes = build_edf({a, annotations(2, {tal("+0\x14\x14"), "+1\x14\x14x", tal("+2\x14\x14")})}, 3, "1");
    CHECK_THROWS_WITH_AS(fecg::parse_edf(bytes), doctest::Contains("not terminated by a 0 byte"), fecg::Error);
  }
}

TEST_CASE("io edf: write → read round trip within the 16-bit quantisation step") {
  std::mt19937 rng(2024);
  std::normal_distribution<float> noise(0.f, 50.f);
  fecg::Recording r;
  r.fs_hz = 500.0;
  r.lead_names = {"Abdomen_1", "Abdomen_2", "Direct_1"};
  r.units = {"uV", "uV", "uV"};
  r.samples_uv.resize(3, 1234);  // 2.468 s: not a whole number of 1-s records
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < r.n_samples(); ++j) r.samples_uv(i, j) = noise(rng) + 200.f * i;
  r.samples_uv.row(2).setConstant(-7.5f);  // a flat lead still round-trips
  r.start_time = "2012-03-01T10:21:00";
  r.annotations = {{0, "N"}, {250, "QRS"}, {1233, "end of trace"}};
  const auto bytes = fecg::encode_edf(r);
  const fecg::Recording back = fecg::parse_edf(bytes);
  CHECK(back.fs_hz == doctest::Approx(500.0).epsilon(1e-12));
  REQUIRE(back.n_samples() == r.n_samples());
  CHECK(back.lead_names == r.lead_names);
  CHECK(back.start_time == r.start_time);
  REQUIRE(back.annotations.size() == 3);
  for (size_t k = 0; k < 3; ++k) {
    CHECK(back.annotations[k].sample == r.annotations[k].sample);
    CHECK(back.annotations[k].label == r.annotations[k].label);
  }
  for (int i = 0; i < 3; ++i) {
    const auto row = r.samples_uv.row(i);
    // One digital step is (range)/65535; rounding errs by half a step (plus float noise).
    const double step = std::max(1e-3, double(row.maxCoeff() - row.minCoeff())) / 65535.0;
    const double err = (back.samples_uv.row(i) - row).cwiseAbs().maxCoeff();
    INFO("lead " << i << " max error " << err << " uV, step " << step << " uV");
    CHECK(err <= 0.5 * step + 1e-4);
  }
  // write_edf/read_edf go through the file system.
  const std::string path = (std::filesystem::temp_directory_path() / "fecg_test_io_edf.edf").string();
  fecg::write_edf(path, r);
  CHECK(fecg::read_record(path).n_samples() == r.n_samples());
  std::filesystem::remove(path);
}

TEST_CASE("io edf: read_edf names the file in its errors") {
  const std::string path = (std::filesystem::temp_directory_path() / "fecg_test_io_bad.edf").string();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("not an edf", f);
    std::fclose(f);
  }
  CHECK_THROWS_WITH_AS(fecg::read_edf(path), doctest::Contains("fecg_test_io_bad.edf"), fecg::Error);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(fecg::read_record(path), doctest::Contains("cannot open"), fecg::Error);
}
