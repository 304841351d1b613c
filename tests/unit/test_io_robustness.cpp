// Readers never crash on damaged input: every truncation and many random byte corruptions of
// valid files either parse or throw fecg::Error (never another exception, never a crash; run
// under the native-asan preset to check memory safety too). Seeded, a few thousand parses.
#include <doctest/doctest.h>

#include "core/error.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/wfdb.h"

#include <random>
#include <string>
#include <vector>

namespace {

template <typename Parse>
void expect_parse_or_error(const std::vector<std::uint8_t>& valid, Parse parse, unsigned seed) {
  int errors = 0, other = 0;
  auto attempt = [&](const std::vector<std::uint8_t>& bytes) {
    try {
      parse(bytes);
    } catch (const fecg::Error&) {
      ++errors;
    } catch (...) {
      ++other;
    }
  };
  // Every truncation (step chosen so that each file takes at most ~300 parses).
  const size_t step = std::max<size_t>(1, valid.size() / 300);
  for (size_t n = 0; n < valid.size(); n += step) attempt(std::vector<std::uint8_t>(valid.begin(), valid.begin() + n));
  // Random corruptions: 1-4 bytes set to random values.
  std::mt19937 rng(seed);
  for (int k = 0; k < 300; ++k) {
    auto bytes = valid;
    const int n_flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < n_flips; ++f) bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
    attempt(bytes);
  }
  CHECK(other == 0);
  CHECK(errors > 0);  // truncations must be detected
}

}  // namespace

TEST_CASE("io robustness: damaged EDF, WFDB, annotation and CSV input parses or throws fecg::Error") {
  fecg::Recording r;
  r.fs_hz = 50.0;
  r.lead_names = {"a", "b"};
  r.units = {"uV", "uV"};
  r.samples_uv.resize(2, 100);
  for (int j = 0; j < 100; ++j) {
    r.samples_uv(0, j) = static_cast<float>(j % 17) * 3.f;
    r.samples_uv(1, j) = static_cast<float>(-j);
  }
  r.annotations = {{10, "N"}, {60, "artefact"}};
  expect_parse_or_error(fecg::encode_edf(r), [](const auto& b) { fecg::parse_edf(b); }, 1);

  std::vector<fecg::Annotation> ann = {{3, "N"}, {2000, "V"}, {2001, "note text"}, {90000, "+"}};
  expect_parse_or_error(fecg::encode_wfdb_annotations(ann), [](const auto& b) { fecg::parse_wfdb_annotations(b); }, 2);

  const std::string header = "r 2 250 10 10:00:00 01/01/2020\nr.dat 212 200(3)/mV 12 0 5 0 0 I\nr.dat 212 0/uV\n";
  std::vector<std::uint8_t> dat(30);
  for (size_t i = 0; i < dat.size(); ++i) dat[i] = static_cast<std::uint8_t>(i * 37);
  const std::vector<std::uint8_t> header_bytes(header.begin(), header.end());
  expect_parse_or_error(header_bytes, [&](const auto& b) {
    fecg::parse_wfdb_record(std::string(b.begin(), b.end()), [&](const std::string&) { return dat; });
  }, 3);
  expect_parse_or_error(dat, [&](const auto& b) {
    fecg::parse_wfdb_record("r 2 250 10\nr.dat 212\nr.dat 212\n", [&](const std::string&) { return b; });
  }, 4);

  const std::string csv = "time,a,b\n0,1,2\n0.01,3,4\n0.02,5,6\n0.03,7,8\n";
  expect_parse_or_error(std::vector<std::uint8_t>(csv.begin(), csv.end()),
                        [](const auto& b) { fecg::parse_csv(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())); }, 5);
}
