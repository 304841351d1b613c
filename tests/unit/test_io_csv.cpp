// CSV reader and writer, and read_record's dispatch on extensions.
#include <doctest/doctest.h>

#include "core/error.h"
#include "io/csv.h"
#include "io/record.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

TEST_CASE("io csv: header, time column, delimiters, units") {
  SUBCASE("comma, time column gives fs, mV converted") {
    fecg::CsvOptions o;
    o.units = "mV";
    const fecg::Recording r = fecg::parse_csv("Time,Abdomen_1,\"Abdomen, 2\"\n0,1,2\n0.004,3,4\n0.008,5,-6\n", o);
    CHECK(r.fs_hz == 250.0);
    CHECK(r.lead_names == std::vector<std::string>{"Abdomen_1", "Abdomen, 2"});
    CHECK(r.units == std::vector<std::string>{"mV", "mV"});
    REQUIRE(r.n_samples() == 3);
    CHECK(r.samples_uv(1, 2) == doctest::Approx(-6000.0));
  }
  SUBCASE("semicolon with decimal commas, fs given, no time column") {
    fecg::CsvOptions o;
    o.fs_hz = 500.0;
    const fecg::Recording r = fecg::parse_csv("a;b\r\n1,5;2\r\n-3,25;4\r\n", o);
    CHECK(r.fs_hz == 500.0);
    CHECK(r.samples_uv(0, 0) == doctest::Approx(1.5));
    CHECK(r.samples_uv(0, 1) == doctest::Approx(-3.25));
  }
  SUBCASE("tab, rounded times at 360 Hz") {
    std::string text = "t\tECG\n";
    for (int i = 0; i < 720; ++i) {
      char line[64];
      std::snprintf(line, sizeof line, "%.6f\t%d\n", i / 360.0, i % 7);
      text += line;
    }
    CHECK(fecg::parse_csv(text).fs_hz == 360.0);
  }
  SUBCASE("no header row: leads named lead_1, lead_2") {
    fecg::CsvOptions o;
    o.fs_hz = 100.0;
    CHECK(fecg::parse_csv("1,2\n3,4\n", o).lead_names == std::vector<std::string>{"lead_1", "lead_2"});
  }
}

TEST_CASE("io csv: an empty or NaN lead cell is a missing sample (NaN)") {
  fecg::CsvOptions fs;
  fs.fs_hz = 250.0;
  const fecg::Recording r = fecg::parse_csv("a,b\n1,2\n3,\nNaN,6\n7, nan \n", fs);
  REQUIRE(r.n_samples() == 4);
  CHECK(r.samples_uv(0, 0) == 1.f);
  CHECK(std::isnan(r.samples_uv(1, 1)));
  CHECK(std::isnan(r.samples_uv(0, 2)));
  CHECK(r.samples_uv(1, 2) == 6.f);
  CHECK(std::isnan(r.samples_uv(1, 3)));
}

TEST_CASE("io csv: bad input names the line and column") {
  fecg::CsvOptions fs;
  fs.fs_hz = 250.0;
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a,b\n1,2\n3,x\n", fs),
                       doctest::Contains("line 3, column 2 ('b'): 'x' is not a finite number"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("time,b\n0,2\n,3\n"), doctest::Contains("line 3, column 1 ('time'): empty time cell"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a,b\n1,inf\n", fs), doctest::Contains("'inf' is not a finite number"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a,b\n1,2\n3\n", fs), doctest::Contains("line 3 has 1 cells, expected 2"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("time,a\nnan,1\n0.1,1\n"), doctest::Contains("'nan' is not a finite number"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a\n1\n"), doctest::Contains("no sampling rate"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("time,a\n0,1\n0.1,1\n0.3,1\n"), doctest::Contains("time column is not uniform: line 3 steps 0.1 s, mean step 0.15 s"),
                       fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("time,a\n0,1\n0,1\n"), doctest::Contains("does not increase"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("time\n0\n0.1\n"), doctest::Contains("no lead columns"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a,b\n", fs), doctest::Contains("no data rows"), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::parse_csv("", fs), doctest::Contains("empty file"), fecg::Error);
  fecg::CsvOptions bad_unit = fs;
  bad_unit.units = "mmHg";
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a\n1\n", bad_unit), doctest::Contains("unit 'mmHg' is not a voltage"), fecg::Error);
  fecg::CsvOptions bad_fs;
  bad_fs.fs_hz = -1.0;
  CHECK_THROWS_WITH_AS(fecg::parse_csv("a\n1\n", bad_fs), doctest::Contains("must be a positive number"), fecg::Error);
}

TEST_CASE("io csv: write → read round trip is exact for float samples") {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 100.f);
  fecg::Recording r;
  r.fs_hz = 360.0;
  r.lead_names = {"Abdomen_1", "name, with \"quotes\""};
  r.units = {"uV", "uV"};
  r.samples_uv.resize(2, 1000);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 1000; ++j) r.samples_uv(i, j) = noise(rng);
  const fecg::Recording back = fecg::parse_csv(fecg::encode_csv(r));
  CHECK(back.fs_hz == 360.0);
  CHECK(back.lead_names == r.lead_names);
  REQUIRE(back.n_samples() == 1000);
  CHECK(back.samples_uv == r.samples_uv);  // %.9g round-trips every float exactly
  const std::string path = (std::filesystem::temp_directory_path() / "fecg_test_io.csv").string();
  fecg::write_csv(path, r);
  CHECK(fecg::read_record(path).samples_uv == r.samples_uv);
  std::filesystem::remove(path);
}

TEST_CASE("io record: read_record dispatches on the extension, then on content") {
  const auto dir = std::filesystem::temp_directory_path();
  fecg::Recording r;
  r.fs_hz = 100.0;
  r.lead_names = {"a"};
  r.units = {"uV"};
  r.samples_uv = fecg::LeadMatrix::Constant(1, 200, 12.5f);
  const std::string edf = (dir / "fecg_test_io_dispatch.edf").string();
  fecg::write_edf(edf, r);
  CHECK(fecg::read_record(edf).n_samples() == 200);
  const std::string renamed = (dir / "fecg_test_io_dispatch.rec").string();
  std::filesystem::copy_file(edf, renamed, std::filesystem::copy_options::overwrite_existing);
  CHECK(fecg::read_record(renamed).n_samples() == 200);  // unknown extension, EDF content
  {
    std::ofstream f(renamed, std::ios::binary);
    f << "hello";
  }
  CHECK_THROWS_WITH_AS(fecg::read_record(renamed), doctest::Contains("cannot tell the format"), fecg::Error);
  std::filesystem::remove(edf);
  std::filesystem::remove(renamed);
  CHECK_THROWS_WITH_AS(fecg::read_file_bytes((dir / "fecg_no_such_file").string()), doctest::Contains("cannot open"),
                       fecg::Error);
}

TEST_CASE("io record: fill_missing_samples interpolates NaN gaps and holds the edges") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  fecg::Recording r;
  r.fs_hz = 1.0;
  r.lead_names = {"a", "b"};
  r.units = {"uV", "uV"};
  r.samples_uv.resize(2, 6);
  r.samples_uv.row(0) << nan, 2.f, nan, nan, 8.f, nan;
  r.samples_uv.row(1) << 1.f, 2.f, 3.f, 4.f, 5.f, 6.f;
  CHECK(fecg::fill_missing_samples(r) == 4);
  const std::vector<float> expected = {2.f, 2.f, 4.f, 6.f, 8.f, 8.f};
  for (int j = 0; j < 6; ++j) CHECK(r.samples_uv(0, j) == doctest::Approx(expected[static_cast<size_t>(j)]));
  CHECK(r.samples_uv(1, 5) == 6.f);
  r.samples_uv.row(1).setConstant(nan);
  CHECK_THROWS_WITH_AS(fecg::fill_missing_samples(r), doctest::Contains("lead 'b' has no finite sample"), fecg::Error);
}
