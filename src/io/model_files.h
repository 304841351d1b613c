// The FHNet model directory on disk: the card fhnet.json and the weights fhnet.safetensors, as
// scripts/fhnet/export.py writes them into models/. The engine (model/fhnet.h) never touches
// files, so that the WASM module can hand it bytes fetched by the page; native callers (the CLI,
// the tests, the benchmarks) read a directory here.
//
//   fecg::FhnetModel model = fecg::load_fhnet_model_dir("models");  // throws fecg::Error
//
//   // When the card is wanted as well (the CLI reads its training recipe):
//   const fecg::FhnetModelFiles files = fecg::read_fhnet_model_files("models");
//   fecg::FhnetModel model = fecg::load_fhnet_model(files);
//   fecg::JsonValue card = fecg::parse_json(files.card_json, files.card_path);
#pragma once

#include "model/fhnet.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fecg {

// The two files of a model directory, read but not checked (FhnetModel::load checks them).
struct FhnetModelFiles {
  std::string card_path;               // DIR/fhnet.json, for messages
  std::string card_json;               // its text
  std::string weights_path;            // DIR/fhnet.safetensors
  std::vector<std::uint8_t> weights;   // its bytes
};

// Reads DIR/fhnet.json and DIR/fhnet.safetensors. Throws fecg::Error naming the file that is
// missing or unreadable, e.g. "fhnet: cannot read models/fhnet.safetensors: ...".
FhnetModelFiles read_fhnet_model_files(const std::string& dir);

// FhnetModel::load on files already read; throws fecg::Error when the card and weights disagree.
FhnetModel load_fhnet_model(const FhnetModelFiles& files);

// read_fhnet_model_files + load_fhnet_model.
FhnetModel load_fhnet_model_dir(const std::string& dir);

}  // namespace fecg
