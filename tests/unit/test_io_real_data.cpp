// Every file of ../shared/data read through the io module and checked against the facts in
// shared/data/README.md and the .hea headers. Skipped, with a message, when the folder is absent.
#include <doctest/doctest.h>

#include "shared_data.h"

#include "core/error.h"
#include "io/edf.h"
#include "io/record.h"
#include "io/wfdb.h"

#include <cmath>
#include <filesystem>
#include <string>

namespace {

using fecg_test::have;
using fecg_test::kData;


// Amplitudes a surface or scalp ECG (or electrode noise) can have: the largest |x| between
// 10 µV and 20 mV, and a standard deviation of at least 1 µV (a lead of zeros, or a unit read as
// mV instead of µV, falls outside).
void check_plausible_uv(const fecg::Recording& r, const std::string& name) {
  for (int i = 0; i < r.n_leads(); ++i) {
    // Missing samples (NaN) are left out: Challenge 2013 records have some (see below).
    double sum = 0, sum2 = 0, peak = 0;
    long n = 0;
    for (Eigen::Index j = 0; j < r.n_samples(); ++j) {
      const double x = r.samples_uv(i, j);
      if (std::isnan(x)) continue;
      sum += x;
      sum2 += x * x;
      peak = std::max(peak, std::abs(x));
      ++n;
    }
    REQUIRE(n > r.n_samples() / 2);
    const double mean = sum / n;
    const double sd = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
    INFO(name << " lead " << r.lead_names[static_cast<size_t>(i)] << ": peak " << peak << " uV, sd " << sd << " uV");
    CHECK(std::isfinite(peak));
    CHECK(peak > 10.0);
    CHECK(peak < 20000.0);
    CHECK(sd > 1.0);
  }
}

}  // namespace

TEST_CASE("io real data: ADFECGDB EDF+ records and their .qrs annotations") {
  if (!have("adfecgdb/r01.edf")) return;
  for (const std::string rec : {"r01", "r04", "r07", "r08", "r10"}) {
    const std::string path = kData + "/adfecgdb/" + rec + ".edf";
    INFO(path);
    const fecg::Recording r = fecg::read_record(path);
    CHECK(r.fs_hz == 1000.0);
    REQUIRE(r.n_leads() == 5);
    CHECK(r.lead_names == std::vector<std::string>{"Direct_1", "Abdomen_1", "Abdomen_2", "Abdomen_3", "Abdomen_4"});
    CHECK(r.units[0] == "uV");
    CHECK(r.n_samples() == 300000);  // 60 data records of 5 s at 1 kHz
    CHECK(r.duration_s() == doctest::Approx(300.0));
    REQUIRE(r.start_time.has_value());
    CHECK(r.start_time->size() == 19);
    check_plausible_uv(r, rec);

    // The .qrs file: a "## time resolution: 1000" note and a dummy at sample 0 are skipped; the
    // fetal R peaks it holds are the "QRS" texts of the EDF Annotations channel.
    const fecg::WfdbAnnotations qrs = fecg::read_wfdb_annotations(path + ".qrs");
    CHECK(qrs.time_resolution_hz == 1000.0);
    const fecg::BeatIndices beats = fecg::beat_samples(qrs.annotations);
    CHECK(beats.size() == qrs.annotations.size());
    // 300 s of a fetal heart at 110-160 bpm: 550-800 beats; allow arrhythmia and gaps.
    CHECK(beats.size() > 450);
    CHECK(beats.size() < 1000);
    CHECK(beats.front() > 0);
    CHECK(beats.back() < r.n_samples());
    const fecg::BeatIndices edf_beats = fecg::beat_samples(r.annotations);
    REQUIRE(edf_beats.size() == beats.size());
    // The EDF onsets are milliseconds as text ("+32.175"); the .qrs holds the same beats but a
    // few are 1 sample earlier (32174: the onset truncated instead of rounded when it was made).
    size_t off_by_one = 0;
    for (size_t i = 0; i < beats.size(); ++i) {
      CHECK(std::abs(edf_beats[i] - beats[i]) <= 1);
      off_by_one += (edf_beats[i] != beats[i]);
    }
    CHECK(off_by_one < beats.size() / 20);
  }
}

TEST_CASE("io real data: Challenge 2013 set A records (format 16) and .fqrs annotations") {
  if (!have("challenge2013/a01.hea")) return;
  for (int k = 1; k <= 25; ++k) {
    const std::string rec = (k < 10 ? "a0" : "a") + std::to_string(k);
    const std::string base = kData + "/challenge2013/" + rec;
    INFO(base);
    // Both spellings reach the same reader; the checksum of every signal is verified.
    const fecg::Recording r = fecg::read_record(k % 2 ? base + ".hea" : base);
    CHECK(r.fs_hz == 1000.0);
    REQUIRE(r.n_leads() == 4);
    CHECK(r.lead_names[0] == "AECG1");
    CHECK(r.lead_names[3] == "AECG4");
    CHECK(r.units[0] == "uV");
    CHECK(r.n_samples() == 60000);
    check_plausible_uv(r, rec);
    const fecg::WfdbAnnotations fqrs = fecg::read_wfdb_annotations(base + ".fqrs");
    const fecg::BeatIndices beats = fecg::beat_samples(fqrs.annotations);
    // 60 s of fetal heart: 110-160 bpm → 110-160 beats; allow 80-220.
    CHECK(beats.size() > 80);
    CHECK(beats.size() < 220);
    CHECK(beats.back() < r.n_samples());
  }
}

TEST_CASE("io real data: Challenge 2013 a01 first samples match the header's initial values") {
  if (!have("challenge2013/a01.hea")) return;
  const fecg::Recording r = fecg::read_wfdb_record(kData + "/challenge2013/a01");
  // a01.hea: initial values -33, -67, 30, -35 adu at 10 adu/uV, baseline 0.
  CHECK(r.samples_uv(0, 0) == doctest::Approx(-3.3f));
  CHECK(r.samples_uv(1, 0) == doctest::Approx(-6.7f));
  CHECK(r.samples_uv(2, 0) == doctest::Approx(3.0f));
  CHECK(r.samples_uv(3, 0) == doctest::Approx(-3.5f));
}

TEST_CASE("io real data: Challenge 2013 missing samples (-32768 adu) read as NaN") {
  if (!have("challenge2013/a01.hea")) return;
  // Counted once with this reader; the checksums (which include the -32768 values) pass, so the
  // file holds them: a01 AECG2 has 18 samples at the WFDB invalid value, first at sample 1858.
  const fecg::Recording r = fecg::read_wfdb_record(kData + "/challenge2013/a01");
  long n_nan = 0, first = -1;
  for (Eigen::Index j = 0; j < r.n_samples(); ++j)
    if (std::isnan(r.samples_uv(1, j))) {
      if (first < 0) first = static_cast<long>(j);
      ++n_nan;
    }
  CHECK(n_nan == 18);
  CHECK(first == 1858);
  CHECK_THROWS_WITH_AS(fecg::validate_recording(r), doctest::Contains("18 non-finite samples"), fecg::Error);
  fecg::Recording filled = r;
  CHECK(fecg::fill_missing_samples(filled) == 18);
  CHECK_NOTHROW(fecg::validate_recording(filled));
}

TEST_CASE("io real data: NSTDB noise records bw, em, ma") {
  if (!have("nstdb/bw.hea")) return;
  for (const std::string rec : {"bw", "em", "ma"}) {
    const std::string base = kData + "/nstdb/" + rec;
    INFO(base);
    const fecg::Recording r = fecg::read_record(base + ".hea");
    CHECK(r.fs_hz == 360.0);
    REQUIRE(r.n_leads() == 2);
    CHECK(r.lead_names == std::vector<std::string>{"noise1", "noise2"});
    CHECK(r.units[0] == "mV");
    CHECK(r.n_samples() == 650000);
    CHECK(r.duration_s() == doctest::Approx(1805.56).epsilon(1e-4));
    check_plausible_uv(r, rec);
  }
}
