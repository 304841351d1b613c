// src/dsp on real recordings from ../shared/data (PhysioNet ADFECGDB r01, Challenge 2013 a01),
// skipped with a message when the folder is absent.
#include "dsp/filter.h"
#include "dsp/resample.h"
#include "io/record.h"

#include <doctest/doctest.h>

#include "shared_data.h"

#include <cmath>
#include <filesystem>
#include <numbers>
#include <string>

namespace {

using fecg_test::have;
using fecg_test::kData;


// The four abdominal leads of ADFECGDB r01 (rows 1..4 after Direct_1), first 60 s, µV at 1 kHz.
fecg::LeadMatrix r01_abdominal() {
  const fecg::Recording rec = fecg::read_record(kData + "/adfecgdb/r01.edf");
  REQUIRE(rec.fs_hz == 1000.0);
  fecg::LeadMatrix x(4, 60000);
  int row = 0;
  for (int r = 0; r < rec.n_leads() && row < 4; ++r) {
    if (rec.lead_names[static_cast<std::size_t>(r)].rfind("Abdomen", 0) == 0) {
      x.row(row++) = rec.samples_uv.row(r).head(60000);
    }
  }
  REQUIRE(row == 4);
  return x;
}

}  // namespace

TEST_CASE("detect_powerline_hz on real abdominal ECG: no line found, a 50 or 60 Hz hum added is") {
  if (!have("adfecgdb/r01.edf")) return;
  const fecg::LeadMatrix x = r01_abdominal();
  // r01 has no mains line (its 50 Hz power is within 2 dB of the neighbourhood).
  CHECK(fecg::detect_powerline_hz(x, 1000.0) == 0.0);
  for (double line : {50.0, 60.0}) {
    // 10 µV of hum, a fraction of the ~100 µV fetal QRS and well under the maternal one.
    fecg::LeadMatrix hummed = x;
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
      hummed.col(i).array() += static_cast<float>(10.0 * std::sin(2 * std::numbers::pi * line * i / 1000.0));
    }
    INFO("line " << line);
    CHECK(fecg::detect_powerline_hz(hummed, 1000.0) == line);
    // The pipeline's notch (Q = 30) then removes it: what remains of the hum after notching
    // (notched(hummed) - notched(x), linear) is below 1 % of it.
    fecg::LeadMatrix a = hummed, b = x;
    fecg::sosfiltfilt_rows(fecg::notch(line, 30.0, 1000.0), a);
    fecg::sosfiltfilt_rows(fecg::notch(line, 30.0, 1000.0), b);
    const auto mid = Eigen::seqN(5000, 50000);
    const double residual_rms = std::sqrt((a(Eigen::all, mid) - b(Eigen::all, mid)).squaredNorm() / (4.0 * 50000));
    CHECK(residual_rms < 0.01 * 10.0 / std::sqrt(2.0));
  }
}

TEST_CASE("detect_powerline_hz ignores gaps (non-finite samples) in a real record") {
  if (!have("challenge2013/a01.hea")) return;
  // a01's second lead holds 18 invalid samples; they must neither throw nor fake a line.
  const fecg::Recording rec = fecg::read_record(kData + "/challenge2013/a01.hea");
  CHECK(fecg::detect_powerline_hz(rec.samples_uv, rec.fs_hz) == 0.0);
}

TEST_CASE("resample round trip 1000 -> 250 -> 1000 Hz on real abdominal ECG") {
  if (!have("adfecgdb/r01.edf")) return;
  const fecg::LeadMatrix x = r01_abdominal();
  // Reference: the record band-limited below 100 Hz (0.4 × 250 Hz), where the resampler is flat.
  fecg::LeadMatrix band = x;
  fecg::sosfiltfilt_rows(fecg::butterworth_lowpass(8, 100.0, 1000.0), band);
  const fecg::LeadMatrix down = fecg::resample(band, 1000.0, 250.0);
  CHECK(down.cols() == 15000);
  const fecg::LeadMatrix back = fecg::resample(down, 250.0, 1000.0);
  REQUIRE(back.cols() == x.cols());
  // Compared away from the first and last second; relative RMS error below 1 %. The ~0.1 %
  // that remains is the 100–112 Hz tail of the 8th-order low-pass and float rounding.
  const auto mid = Eigen::seqN(1000, 58000);
  for (Eigen::Index r = 0; r < 4; ++r) {
    const double err = (back(r, mid) - band(r, mid)).norm();
    const double ref = (band(r, mid).array() - band(r, mid).mean()).matrix().norm();
    INFO("lead " << r << " relative error " << err / ref);
    CHECK(err / ref < 0.01);
  }
}
