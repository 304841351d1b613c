// The FHNet model directory loader (io/model_files.h): models/ loads, and a directory missing
// one of its two files is refused with a message naming that file. The model in models/ is
// written by scripts/fhnet/export.py (see test_model_fhnet.cpp); these tests need only that it
// loads.
#include <doctest/doctest.h>

#include "core/error.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "model/sha256.h"

#include <unistd.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(FECG_SOURCE_DIR) + "/models";

// A fresh, empty directory under the temporary folder, removed with the object.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("fecg_model_files_" + name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("model files: models/ reads and loads, with or without a trailing slash") {
  const fecg::FhnetModelFiles files = fecg::read_fhnet_model_files(kModels);
  CHECK(files.card_path == kModels + "/fhnet.json");
  CHECK(files.weights_path == kModels + "/fhnet.safetensors");
  CHECK(files.card_json.size() == fs::file_size(files.card_path));
  CHECK(files.weights.size() == fs::file_size(files.weights_path));
  CHECK(files.card_json.front() == '{');
  CHECK(fecg::read_fhnet_model_files(kModels + "/").card_path == kModels + "/fhnet.json");

  const fecg::FhnetModel model = fecg::load_fhnet_model_dir(kModels);
  CHECK(model.window() == 1024);
  CHECK(model.parameter_count() > 0);
  // The engine checked these very bytes against the card.
  CHECK(model.weights_sha256() == fecg::sha256_hex(files.weights.data(), files.weights.size()));
  CHECK(fecg::load_fhnet_model(files).weights_sha256() == model.weights_sha256());
}

TEST_CASE("model files: a directory without fhnet.safetensors or fhnet.json is refused, naming the file") {
  TempDir dir("card_only");
  fs::copy_file(kModels + "/fhnet.json", dir.path / "fhnet.json");
  const std::string weights = (dir.path / "fhnet.safetensors").string();
  CHECK_THROWS_WITH_AS(fecg::load_fhnet_model_dir(dir.path.string()),
                       doctest::Contains(("fhnet: cannot read " + weights).c_str()), fecg::Error);
  CHECK_THROWS_WITH_AS(fecg::read_fhnet_model_files(dir.path.string()), doctest::Contains(weights.c_str()), fecg::Error);

  TempDir empty("empty");
  CHECK_THROWS_WITH_AS(fecg::load_fhnet_model_dir(empty.path.string()),
                       doctest::Contains(("fhnet: cannot read " + (empty.path / "fhnet.json").string()).c_str()), fecg::Error);
}

TEST_CASE("model files: weights that do not match the card are refused by the engine") {
  TempDir dir("bad_weights");
  fs::copy_file(kModels + "/fhnet.json", dir.path / "fhnet.json");
  fs::copy_file(kModels + "/fhnet.json", dir.path / "fhnet.safetensors");  // the wrong file under the right name
  CHECK_THROWS_AS(fecg::load_fhnet_model_dir(dir.path.string()), fecg::Error);
}
