#include "io/model_files.h"

#include "core/error.h"
#include "io/io_detail.h"
#include "io/record.h"

namespace fecg {

namespace {

std::vector<std::uint8_t> read_model_file(const std::string& path) {
  try {
    return read_file_bytes(path);
  } catch (const Error& e) {
    throw Error("fhnet: cannot read " + path + ": " + e.what());
  }
}

}  // namespace

FhnetModelFiles read_fhnet_model_files(const std::string& dir) {
  FhnetModelFiles files;
  files.card_path = io_detail::join_path(dir, "fhnet.json");
  files.weights_path = io_detail::join_path(dir, "fhnet.safetensors");
  const std::vector<std::uint8_t> card = read_model_file(files.card_path);
  files.card_json.assign(card.begin(), card.end());
  files.weights = read_model_file(files.weights_path);
  return files;
}

FhnetModel load_fhnet_model(const FhnetModelFiles& files) {
  return FhnetModel::load(files.card_json, files.weights.data(), files.weights.size());
}

FhnetModel load_fhnet_model_dir(const std::string& dir) { return load_fhnet_model(read_fhnet_model_files(dir)); }

}  // namespace fecg
