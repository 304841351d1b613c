// What the commands share: record names, read options, model loading and pipeline options.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/recording.h"
#include "io/fhnet_npy.h"
#include "io/model_files.h"
#include "io/record.h"
#include "model/fhnet.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace fecg::cli {

std::string record_name(const std::string& path) {
  fs::path p(path);
  const std::string ext = p.extension().string();
  if (ext == ".edf" || ext == ".EDF" || ext == ".hea" || ext == ".csv" || ext == ".dat" || ext == ".CSV")
    return p.stem().string();
  return p.filename().string();
}

fecg::ReadOptions read_options(const Args& args) {
  fecg::ReadOptions options;
  options.csv.fs_hz = args.optional_number("fs");
  if (auto units = args.get("units")) {
    if (!fecg::microvolts_per_unit(*units))
      throw fecg::Error("--units: expected uV, mV or V, got '" + *units + "'");
    options.csv.units = *units;
  }
  return options;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw fecg::Error("cannot write " + path.string());
}

fs::path fhnet_model_dir(const Args& args, const char* argv0) {
  if (auto dir = args.get("model")) return *dir;
  std::error_code ec;
  std::vector<fs::path> candidates;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / "../../models");
  candidates.push_back(fs::path(argv0).parent_path() / "../../models");
  candidates.push_back(fs::current_path(ec) / "models");
  for (const auto& c : candidates)
    if (fs::exists(c / "fhnet.json", ec)) return fs::weakly_canonical(c, ec);
  throw fecg::Error("extract: no FHNet model found (looked for models/fhnet.json beside the source tree and in "
                    "the working directory); pass --model DIR");
}

// Loads the model (the card checks the weights). Sets `untrained` from the card's
// training.trained (FhnetModel::trained).
std::shared_ptr<fecg::FhnetModel> load_fhnet_model(const fs::path& dir, bool& untrained) {
  auto model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model(fecg::read_fhnet_model_files(dir.string())));
  untrained = !model->trained();
  return model;
}

// `fecg extract` without --method runs FHNet in the candidate pool when a trained model is found
// (README "How well it works": the default is the best held out by mother). Returns
// that model, or nullptr (no model, an unreadable or untrained one: TS-ICA, said on stderr).
std::shared_ptr<fecg::FhnetModel> trained_default_model(const Args& args, const char* argv0, bool quiet) {
  std::string why;
  try {
    const fs::path dir = fhnet_model_dir(args, argv0);
    bool untrained = false;
    auto model = load_fhnet_model(dir, untrained);
    if (!untrained) return model;
    why = "the FHNet model in " + dir.string() + " is untrained";
  } catch (const fecg::Error& e) {
    why = e.what();
  }
  if (!quiet) std::fprintf(stderr, "fecg: using TS-ICA (%s)\n", why.c_str());
  return nullptr;
}

// Pipeline options shared by extract and windows.
fecg::PipelineParams pipeline_params(const Args& args) {
  fecg::PipelineParams params;
  params.method = fecg::parse_method(args.get("method").value_or("ts-ica"));
  if (auto pl = args.get("powerline"); pl && *pl != "auto") {
    params.powerline_hz = Args::parse_number("powerline", *pl);
    if (params.powerline_hz == -1)  // the core's "detect" is spelled auto here
      throw fecg::Error("--powerline: expected 50, 60, 0 or auto, got '" + *pl + "'");
    try {
      fecg::validate_fields(params);
    } catch (const fecg::Error& e) {
      throw fecg::Error("--powerline: expected 50, 60, 0 or auto, got '" + *pl + "' (" + e.what() + ")");
    }
  }
  return params;
}

// The outputs of a network run elsewhere on the windows of `fecg windows` (see kWindowsUsage).
std::shared_ptr<fecg::FhnetReplay> load_engine_outputs(const fs::path& dir) {
  return std::make_shared<fecg::FhnetReplay>(fecg::read_fhnet_engine_outputs(dir.string(), "--engine-outputs"));
}

}  // namespace fecg::cli
