// Fixtures shared by the FHNet and pipeline suites: the trained model of models/, and seeded
// simulated recordings (raw, or preprocessed as the pipeline's first stage does at 250 Hz).
#pragma once

#include "io/model_files.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <cstdint>
#include <memory>
#include <string>

namespace fecg_test {

inline std::shared_ptr<fecg::FhnetModel> trained_model() {
  return std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(std::string(FECG_SOURCE_DIR) + "/models"));
}

// `leads` abdominal leads, `seconds` long, at the simulator's default rate.
inline fecg::SynthRecording sim(int leads, double seconds, std::uint64_t seed) {
  fecg::SynthParams sp;
  sp.duration_s = seconds;
  sp.n_leads = leads;
  sp.seed = seed;
  return fecg::simulate(sp);
}

// The same simulated at 250 Hz and band-passed/notched by preprocess_leads (default params).
inline fecg::LeadMatrix preprocessed_sim(int leads, double seconds, std::uint64_t seed) {
  fecg::SynthParams sp;
  sp.duration_s = seconds;
  sp.fs_hz = 250.0;
  sp.n_leads = leads;
  sp.seed = seed;
  const fecg::SynthRecording s = fecg::simulate(sp);
  double powerline = 0;
  return fecg::preprocess_leads(s.mixture.samples_uv, 250.0, fecg::PipelineParams{}, powerline);
}

}  // namespace fecg_test
