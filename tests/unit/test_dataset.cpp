// FHNet training data (pipeline/fhnet_dataset.h), the .npy encoding (model/npy.h) and
// `fecg dataset`: shapes, headers numpy can parse, targets that line up with the simulator's
// truth, invertible normalisation, determinism. Recordings are short (6–8 s) to keep this fast.
#include <doctest/doctest.h>

#include "cli_test_support.h"
#include "core/error.h"
#include "dsp/resample.h"
#include "model/npy.h"
#include "pipeline/fhnet_dataset.h"
#include "pipeline/fhnet_stage.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

fecg::FhnetDatasetParams short_params() {
  fecg::FhnetDatasetParams p;
  p.duration_s = 8.0;  // 2000 samples at 250 Hz: windows at 0, 512 and 976
  return p;
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("npy: header round trip, 64-byte alignment, 1-tuples, malformed headers refused") {
  for (const std::vector<std::int64_t>& shape :
       {std::vector<std::int64_t>{3, 8, 1024}, {5}, {}, {0, 8}, {123456789012LL, 2}}) {
    const std::string h = fecg::npy_header("<f4", shape);
    CHECK(h.size() % 64 == 0);
    CHECK(h.back() == '\n');
    const fecg::NpyHeader p = fecg::parse_npy_header(reinterpret_cast<const std::uint8_t*>(h.data()), h.size());
    CHECK(p.descr == "<f4");
    CHECK_FALSE(p.fortran_order);
    CHECK(p.shape == shape);
    CHECK(p.data_offset == h.size());
    CHECK(p.item_bytes == 4);
  }
  // numpy's spelling of a 1-D shape is "(5,)": a bare "(5)" would be an int in Python.
  CHECK(fecg::npy_header("|u1", {5}).find("'shape': (5,)") != std::string::npos);
  CHECK(fecg::npy_header("<i8", {2, 3}).find("'shape': (2, 3)") != std::string::npos);
  CHECK(fecg::npy_header("<f4", {2}, 128).size() == 128);
  CHECK_THROWS_AS(fecg::npy_header("<c8", {2}), fecg::Error);
  CHECK_THROWS_AS(fecg::npy_header("<f4", {-1}), fecg::Error);

  std::string h = fecg::npy_header("<f4", {2, 2});
  auto parse = [](const std::string& s) {
    return fecg::parse_npy_header(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  CHECK_THROWS_WITH_AS(parse("not a npy file"), doctest::Contains("magic"), fecg::Error);
  CHECK_THROWS_AS(parse(h.substr(0, 20)), fecg::Error);  // truncated
  std::string bad = h;
  bad.replace(bad.find("<f4"), 3, "<x9");
  CHECK_THROWS_WITH_AS(parse(bad), doctest::Contains("unsupported type"), fecg::Error);
  bad = h;
  bad.replace(bad.find("(2, 2)"), 6, "(2, a)");
  CHECK_THROWS_AS(parse(bad), fecg::Error);
}

TEST_CASE("fhnet windows: starts cover every sample, the last is flush with the end") {
  CHECK(fecg::fhnet_window_starts(1024, 1024, 512) == std::vector<std::int64_t>{0});
  CHECK(fecg::fhnet_window_starts(500, 1024, 512) == std::vector<std::int64_t>{0});
  CHECK(fecg::fhnet_window_starts(2000, 1024, 512) == std::vector<std::int64_t>{0, 512, 976});
  CHECK(fecg::fhnet_window_starts(2048, 1024, 512) == std::vector<std::int64_t>{0, 512, 1024});
  CHECK(fecg::fhnet_window_starts(2049, 1024, 1024) == std::vector<std::int64_t>{0, 1024, 1025});
  CHECK_THROWS_AS(fecg::fhnet_window_starts(2000, 1024, 0), fecg::Error);
  CHECK_THROWS_AS(fecg::fhnet_window_starts(2000, 1024, 2000), fecg::Error);  // gaps
  for (int i : {0, 511, 1023}) CHECK(fecg::fhnet_blend_weight(i, 1024) > 0.0f);
  CHECK(fecg::fhnet_blend_weight(511, 1024) == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("fhnet dataset: shapes, mask, padding and invertible normalisation") {
  // Rates and SNRs fixed, so that the simulation can be rebuilt below with the same parameters.
  fecg::FhnetDatasetParams p = short_params();
  p.maternal_bpm_min = p.maternal_bpm_max = 80.0;
  p.fetal_bpm_min = p.fetal_bpm_max = 140.0;
  p.maternal_qrs_sharpness_min = p.maternal_qrs_sharpness_max = 0.6;
  p.snr_mn_db = 6.0;
  p.snr_fm_db = -10.0;
  const fecg::FhnetTrainingWindows w = fecg::make_fhnet_training_windows(11, p);
  const auto& c = w.conditions;
  REQUIRE(w.n_windows == 3);
  CHECK(w.start == std::vector<std::int64_t>{0, 512, 976});
  const std::size_t L = fecg::kFhnetPaddedLeads, W = 1024;
  CHECK(w.x.size() == 3 * L * W);
  CHECK(w.fecg.size() == 3 * L * W);
  CHECK(w.rpeak.size() == 3 * W);
  CHECK(w.mask.size() == 3 * L);
  CHECK(c.n_leads >= 2);
  CHECK(c.n_leads <= 8);
  CHECK(c.maternal_peak_uv >= 30.0);
  CHECK(c.maternal_peak_uv <= 1000.0);

  // Rebuild what the core saw: the same simulation, preprocessed like the pipeline.
  fecg::SynthParams sp;
  sp.duration_s = p.duration_s;
  sp.fs_hz = p.sim_fs_hz;
  sp.n_leads = c.n_leads;
  sp.seed = 11;
  sp.ectopic_probability = c.ectopic_probability;
  sp.fetal_movement = c.fetal_movement;
  sp.maternal_peak_uv = c.maternal_peak_uv;
  sp.maternal_bpm = 80.0;
  sp.fetal_bpm = 140.0;
  sp.maternal_qrs_sharpness = 0.6;
  sp.snr_mn_db = 6.0;
  sp.snr_fm_db = -10.0;
  const fecg::SynthRecording sim = fecg::simulate(sp);
  double powerline = 0;
  const fecg::LeadMatrix x_uv = fecg::preprocess_leads(sim.mixture.samples_uv, sp.fs_hz, p.preprocessing, powerline);
  const fecg::LeadMatrix fetal_uv = fecg::preprocess_leads_with_notch(sim.fetal_uv, sp.fs_hz, p.preprocessing, powerline);
  CHECK(powerline == c.powerline_hz);
  REQUIRE(x_uv.cols() == 2000);

  for (std::size_t win = 0; win < 3; ++win) {
    const std::int64_t s = w.start[win];
    for (std::size_t k = 0; k < L; ++k) {
      const bool real = k < static_cast<std::size_t>(c.n_leads);
      CHECK(w.mask[win * L + k] == (real ? 1 : 0));
      const float scale = w.scale_uv[win * L + k], center = w.center_uv[win * L + k];
      double worst_x = 0, worst_f = 0, peak = 0, padded = 0;
      for (std::size_t i = 0; i < W; ++i) {
        const float xv = w.x[(win * L + k) * W + i], fv = w.fecg[(win * L + k) * W + i];
        if (!real) {
          padded = std::max(padded, static_cast<double>(std::abs(xv) + std::abs(fv)));
          continue;
        }
        // x_uv = x × scale + center and fetal_uv = fecg × scale, to float rounding (µV).
        const auto col = static_cast<Eigen::Index>(s + static_cast<std::int64_t>(i));
        worst_x = std::max(worst_x, static_cast<double>(std::abs(xv * scale + center - x_uv(static_cast<Eigen::Index>(k), col))));
        worst_f = std::max(worst_f, static_cast<double>(std::abs(fv * scale - fetal_uv(static_cast<Eigen::Index>(k), col))));
        peak = std::max(peak, static_cast<double>(std::abs(x_uv(static_cast<Eigen::Index>(k), col))));
      }
      if (real) {
        CHECK(scale > 0.0f);
        CHECK(worst_x <= 1e-5 * peak + 1e-3);
        CHECK(worst_f <= 1e-5 * peak + 1e-3);
      } else {
        CHECK(padded == 0.0);
        CHECK(scale == 1.0f);
      }
    }
  }

  // The R-peak target is 1 exactly at each true fetal R peak (rescaled to 250 Hz) in the window
  // and its local maxima are those peaks (±1 sample).
  const fecg::BeatIndices peaks = fecg::rescale_indices(sim.fetal_peaks, sp.fs_hz, 250.0);
  CHECK(static_cast<std::int64_t>(peaks.size()) == c.n_fetal_peaks);
  int checked = 0;
  for (std::size_t win = 0; win < 3; ++win) {
    const std::int64_t s = w.start[win];
    std::vector<std::int64_t> maxima;
    for (std::size_t i = 1; i + 1 < W; ++i) {
      const float v = w.rpeak[win * W + i];
      if (v > 0.5f && v >= w.rpeak[win * W + i - 1] && v > w.rpeak[win * W + i + 1]) maxima.push_back(s + static_cast<std::int64_t>(i));
    }
    std::vector<std::int64_t> inside;
    for (std::int64_t pk : peaks)
      if (pk > s && pk < s + static_cast<std::int64_t>(W) - 1) inside.push_back(pk);
    REQUIRE(maxima.size() == inside.size());
    for (std::size_t j = 0; j < inside.size(); ++j) {
      CHECK(std::abs(maxima[j] - inside[j]) <= 1);
      CHECK(w.rpeak[win * W + static_cast<std::size_t>(inside[j] - s)] == doctest::Approx(1.0));
      ++checked;
    }
  }
  CHECK(checked >= 3 * 8);  // ≥ 8 fetal beats per 4.1 s window at ≥ 110 bpm... (less ectopic/events)
}

TEST_CASE("fhnet dataset: deterministic per seed; conditions drawn in their stated ranges") {
  fecg::FhnetDatasetParams p = short_params();
  p.duration_s = 5.0;
  const fecg::FhnetTrainingWindows a = fecg::make_fhnet_training_windows(7, p);
  const fecg::FhnetTrainingWindows b = fecg::make_fhnet_training_windows(7, p);
  CHECK(a.x == b.x);
  CHECK(a.fecg == b.fecg);
  CHECK(a.rpeak == b.rpeak);
  std::set<int> leads;
  for (std::uint64_t seed = 100; seed < 112; ++seed) {
    const fecg::FhnetTrainingWindows w = fecg::make_fhnet_training_windows(seed, p);
    CHECK(w.x != a.x);
    leads.insert(w.conditions.n_leads);
    // Realised ratios and mean rates, drawn from the parameters' ranges (up to rounding and
    // heart-rate events, which move the realised mean rate a little).
    CHECK(w.conditions.snr_mn_db >= p.snr_mn_min_db - 0.5);
    CHECK(w.conditions.snr_mn_db <= p.snr_mn_max_db + 0.5);
    CHECK(w.conditions.snr_fm_db >= p.snr_fm_min_db - 0.5);
    CHECK(w.conditions.snr_fm_db <= p.snr_fm_max_db + 0.5);
    CHECK(w.conditions.maternal_bpm >= 0.9 * p.maternal_bpm_min);
    CHECK(w.conditions.maternal_bpm <= 1.1 * p.maternal_bpm_max);
    CHECK(w.conditions.fetal_bpm >= 0.9 * p.fetal_bpm_min);
    CHECK(w.conditions.fetal_bpm <= 1.1 * p.fetal_bpm_max);
    CHECK(w.conditions.maternal_qrs_sharpness >= p.maternal_qrs_sharpness_min);
    CHECK(w.conditions.maternal_qrs_sharpness <= p.maternal_qrs_sharpness_max);
  }
  CHECK(leads.size() >= 4);  // 12 draws from 7 lead counts

  // Narrow ranges are honoured: a mother faster than the fetus, a clean recording.
  fecg::FhnetDatasetParams narrow = p;
  narrow.maternal_bpm_min = narrow.maternal_bpm_max = 125.0;
  narrow.fetal_bpm_min = narrow.fetal_bpm_max = 110.0;
  narrow.snr_mn_min_db = narrow.snr_mn_max_db = 22.0;
  narrow.snr_fm_min_db = narrow.snr_fm_max_db = -16.0;
  narrow.maternal_qrs_sharpness_min = narrow.maternal_qrs_sharpness_max = 0.4;
  const fecg::FhnetTrainingWindows n = fecg::make_fhnet_training_windows(5, narrow);
  CHECK(n.conditions.maternal_bpm == doctest::Approx(125.0).epsilon(0.1));
  CHECK(n.conditions.fetal_bpm == doctest::Approx(110.0).epsilon(0.1));
  CHECK(n.conditions.snr_mn_db == doctest::Approx(22.0).epsilon(1e-3));
  CHECK(n.conditions.snr_fm_db == doctest::Approx(-16.0).epsilon(1e-3));
  CHECK(n.conditions.maternal_qrs_sharpness == 0.4);

  // Fixed SNRs are honoured (test bands).
  p.snr_mn_db = 3.0;
  p.snr_fm_db = -12.0;
  const fecg::FhnetTrainingWindows f = fecg::make_fhnet_training_windows(3, p);
  CHECK(f.conditions.snr_mn_db == doctest::Approx(3.0).epsilon(1e-3));
  CHECK(f.conditions.snr_fm_db == doctest::Approx(-12.0).epsilon(1e-3));

  fecg::FhnetDatasetParams bad = short_params();
  bad.max_leads = 9;
  CHECK_THROWS_WITH_AS(fecg::make_fhnet_training_windows(1, bad), doctest::Contains("max_leads"), fecg::Error);
  bad = short_params();
  bad.duration_s = 3.0;  // 750 samples < one window
  CHECK_THROWS_WITH_AS(fecg::make_fhnet_training_windows(1, bad), doctest::Contains("duration_s"), fecg::Error);
  bad = short_params();
  bad.maternal_bpm_max = 150;  // beyond the simulator's 40..140
  CHECK_THROWS_WITH_AS(fecg::make_fhnet_training_windows(1, bad), doctest::Contains("maternal_bpm"), fecg::Error);
  bad = short_params();
  bad.fetal_bpm_min = 170;
  bad.fetal_bpm_max = 160;
  CHECK_THROWS_WITH_AS(fecg::make_fhnet_training_windows(1, bad), doctest::Contains("fetal_bpm"), fecg::Error);
  bad = short_params();
  bad.snr_mn_min_db = std::nan("");
  CHECK_THROWS_WITH_AS(fecg::make_fhnet_training_windows(1, bad), doctest::Contains("SNR"), fecg::Error);
  CHECK_THROWS_AS(fecg::rpeak_target({10}, 100, 0.0), fecg::Error);
}

TEST_CASE("cli: fecg dataset writes .npy files that match the manifest, the same twice") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_dataset_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string base = std::string(FECG_CLI_PATH) + " dataset --records 2 --seconds 6 --nstdb none --quiet --out ";
  REQUIRE(std::system((base + (dir / "a").string()).c_str()) == 0);
  REQUIRE(std::system((base + (dir / "b").string()).c_str()) == 0);
  // 6 s = 1500 samples: windows at 0 and 476, two per recording.
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected = {
      {"x.npy", {4, 8, 1024}}, {"fecg.npy", {4, 8, 1024}}, {"rpeak.npy", {4, 1024}}, {"mask.npy", {4, 8}},
      {"scale_uv.npy", {4, 8}}, {"center_uv.npy", {4, 8}}, {"record.npy", {4}}, {"start.npy", {4}},
      {"snr_mn_db.npy", {4}}};
  for (const auto& [name, shape] : expected) {
    const auto a = read_bytes(dir / "a" / name);
    const fecg::NpyHeader h = fecg::parse_npy_header(a.data(), a.size());
    CHECK_MESSAGE(h.shape == shape, name);
    CHECK_MESSAGE(a.size() == h.data_offset + static_cast<std::size_t>(h.count() * h.item_bytes), name);
    CHECK_MESSAGE(a == read_bytes(dir / "b" / name), name << " differs between two runs");
  }
  const auto record = read_bytes(dir / "a" / "record.npy");
  const fecg::NpyHeader h = fecg::parse_npy_header(record.data(), record.size());
  std::int64_t seeds[4];
  std::memcpy(seeds, record.data() + h.data_offset, sizeof seeds);
  CHECK(seeds[0] == 1);
  CHECK(seeds[3] == 2);
  const auto manifest = read_bytes(dir / "a" / "manifest.json");
  const std::string text(manifest.begin(), manifest.end());
  CHECK(text.find("\"windows\":4") != std::string::npos);
  CHECK(text.find("\"conditions_per_record\":[{\"seed\":1") != std::string::npos);

  // Drawn ranges are options; the manifest states them; bad ranges are refused with the option named.
  const std::string ranged = std::string(FECG_CLI_PATH) + " dataset --records 1 --seconds 6 --nstdb none --quiet" +
                             " --snr-fm -20..-5 --snr-mn 3 --maternal-bpm 90-120 --fetal-bpm 120 --out " +
                             (dir / "r").string();
  REQUIRE(std::system(ranged.c_str()) == 0);
  const auto ranged_manifest = read_bytes(dir / "r" / "manifest.json");
  const std::string ranged_text(ranged_manifest.begin(), ranged_manifest.end());
  CHECK(ranged_text.find("\"snr_fm_db\":\"drawn U(-20, -5)\"") != std::string::npos);
  CHECK(ranged_text.find("\"snr_mn_db\":3,") != std::string::npos);
  CHECK(ranged_text.find("\"maternal_bpm_min\":90,\"maternal_bpm_max\":120") != std::string::npos);
  CHECK(ranged_text.find("\"fetal_bpm_min\":120,\"fetal_bpm_max\":120") != std::string::npos);
  for (const char* option : {"--snr-fm -5..-20", "--snr-mn x", "--maternal-bpm 30-90", "--fetal-bpm 150-100", "--maternal-qrs 0.1-1"}) {
    const fecg_test::CliRun r = fecg_test::run_cli("dataset --records 1 --quiet " + std::string(option) + " --out " +
                                                   (dir / "bad").string());
    CHECK_MESSAGE(r.exit_code != 0, option);
    CHECK_MESSAGE(r.output.find(std::string(option).substr(0, std::string(option).find(' '))) != std::string::npos,
                  option << ": " << r.output);
  }

  // Training seeds must stay below the test set's.
  CHECK(std::system((std::string(FECG_CLI_PATH) + " dataset --records 2 --first-seed 899999 --quiet --out " +
                     (dir / "c").string() + " 2>/dev/null").c_str()) != 0);
  fs::remove_all(dir);
}
