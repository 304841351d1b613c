// FHNet windows and engine outputs as .npy (io/fhnet_npy.h): written windows and outputs read
// back unchanged, and outputs whose shapes do not fit the windows are refused with the messages
// of `fecg extract --engine-outputs`. The values are seeded noise: only the layout matters here.
#include <doctest/doctest.h>

#include "core/error.h"
#include "io/fhnet_npy.h"
#include "io/npy_file.h"
#include "pipeline/fhnet_external.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// n windows × leads × window of seeded noise, with outputs (probabilities in 0..1).
fecg::FhnetWindows noise_windows(int n, int leads, int window) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  fecg::FhnetWindows w;
  w.window = window;
  w.leads.assign(static_cast<std::size_t>(n), leads);
  for (int i = 0; i < n * leads * window; ++i) {
    w.x.push_back(u(rng) * 4.0f - 2.0f);
    w.fecg.push_back(u(rng) - 0.5f);
  }
  for (int i = 0; i < n * window; ++i) w.rpeak_prob.push_back(u(rng));
  return w;
}

struct TempDir {
  fs::path path;
  TempDir() : path(fs::temp_directory_path() / ("fecg_fhnet_npy_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const char* name) const { return (path / name).string(); }
};

}  // namespace

TEST_CASE("fhnet npy: windows and outputs round trip") {
  const TempDir dir;
  const fecg::FhnetWindows w = noise_windows(3, 4, 32);
  fecg::write_fhnet_windows(w, dir.path.string());
  const fecg::NpyFloats x = fecg::read_npy_f32(dir.file("x.npy"));
  CHECK(x.shape == std::vector<std::int64_t>{3, 4, 32});
  CHECK(x.values == w.x);

  // The other runtime's part.
  fecg::write_npy_f32(dir.file("fecg.npy"), {3, 4, 32}, w.fecg.data());
  fecg::write_npy_f32(dir.file("rpeak_prob.npy"), {3, 32}, w.rpeak_prob.data());
  const fecg::FhnetWindows back = fecg::read_fhnet_engine_outputs(dir.path.string() + "/", "--engine-outputs");
  CHECK(back.window == 32);
  CHECK(back.fs_hz == 250.0);
  CHECK(back.leads == w.leads);
  CHECK(back.x == w.x);
  CHECK(back.fecg == w.fecg);
  CHECK(back.rpeak_prob == w.rpeak_prob);
  CHECK_NOTHROW(fecg::FhnetReplay{back});
}

TEST_CASE("fhnet npy: windows of different lead counts are not one array") {
  const TempDir dir;
  fecg::FhnetWindows w = noise_windows(2, 6, 16);
  w.leads = {6, 5};  // a recording of 11 leads: two groups
  w.x.resize(11 * 16);
  CHECK_THROWS_WITH_AS(fecg::write_fhnet_windows(w, dir.path.string()), doctest::Contains("shared lead count"),
                       fecg::Error);
  CHECK_FALSE(fs::exists(dir.path / "x.npy"));
}

TEST_CASE("fhnet npy: outputs that do not fit the windows are refused, naming the file") {
  const TempDir dir;
  const fecg::FhnetWindows w = noise_windows(3, 2, 16);
  fecg::write_fhnet_windows(w, dir.path.string());
  const std::string d = dir.path.string();
  CHECK_THROWS_WITH_AS(fecg::read_fhnet_engine_outputs(d, "--engine-outputs"), doctest::Contains("fecg.npy"),
                       fecg::Error);  // missing

  fecg::write_npy_f32(dir.file("fecg.npy"), {3, 2 * 16}, w.fecg.data());
  fecg::write_npy_f32(dir.file("rpeak_prob.npy"), {3, 16}, w.rpeak_prob.data());
  CHECK_THROWS_WITH_AS(fecg::read_fhnet_engine_outputs(d, "--engine-outputs"),
                       "--engine-outputs: fecg.npy must have the shape of x.npy (windows × leads × window)",
                       fecg::Error);

  fecg::write_npy_f32(dir.file("fecg.npy"), {3, 2, 16}, w.fecg.data());
  fecg::write_npy_f32(dir.file("rpeak_prob.npy"), {16, 3}, w.rpeak_prob.data());
  CHECK_THROWS_WITH_AS(fecg::read_fhnet_engine_outputs(d, "--engine-outputs"),
                       "--engine-outputs: rpeak_prob.npy must be windows × window = 3 × 16", fecg::Error);

  const std::vector<float> nine_leads(9 * 16, 0.0f);
  fecg::write_npy_f32(dir.file("x.npy"), {1, 9, 16}, nine_leads.data());
  CHECK_THROWS_WITH_AS(fecg::read_fhnet_engine_outputs(d, "record 7"),
                       ("record 7: " + dir.file("x.npy") + " must be windows × leads (1..8) × window").c_str(),
                       fecg::Error);
}
