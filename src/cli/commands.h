// The commands of the `fecg` CLI (one file each) and what they share.
#pragma once

#include "cli/args.h"
#include "io/record.h"
#include "pipeline/pipeline.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace fecg {
class FhnetModel;   // model/fhnet.h
class FhnetReplay;  // pipeline/fhnet_external.h
struct Morphology;  // morph/morphology.h
}  // namespace fecg

int cmd_info(int argc, char** argv);       // info.cpp
int cmd_extract(int argc, char** argv);    // extract.cpp
int cmd_windows(int argc, char** argv);    // windows.cpp
int cmd_synth(int argc, char** argv);      // synth.cpp
int cmd_eval(int argc, char** argv);       // eval.cpp
int cmd_dataset(int argc, char** argv);    // dataset.cpp
int cmd_delineate(int argc, char** argv);  // delineate.cpp
std::optional<double> gestational_weeks(const fecg::cli::Args& args);  // delineate.cpp
void print_morphology(const fecg::Morphology& m);                        // delineate.cpp

namespace fecg::cli {

inline constexpr const char* kVersion = FECG_VERSION;  // from CMakeLists.txt project()

// "data/r01.edf" → "r01"; "data/a01" → "a01"; "x.hea" → "x".
std::string record_name(const std::string& path);
// --fs and --units for CSV files.
fecg::ReadOptions read_options(const Args& args);
// Writes `text` to `path`, throwing fecg::Error naming the file when it cannot.
void write_text(const std::filesystem::path& path, const std::string& text);
// The FHNet model directory: --model, else models/ of the source tree, else ./models.
std::filesystem::path fhnet_model_dir(const Args& args, const char* argv0);
// Loads the model (the card checks the weights); `untrained` from the card's training.trained.
std::shared_ptr<fecg::FhnetModel> load_fhnet_model(const std::filesystem::path& dir, bool& untrained);
// The trained model `fecg extract` runs by default, or nullptr (TS-ICA, said on stderr).
std::shared_ptr<fecg::FhnetModel> trained_default_model(const Args& args, const char* argv0, bool quiet);
// Pipeline options shared by extract and windows (--method, --powerline), checked by the core.
fecg::PipelineParams pipeline_params(const Args& args);
// The outputs of a network run elsewhere on the windows of `fecg windows`.
std::shared_ptr<fecg::FhnetReplay> load_engine_outputs(const std::filesystem::path& dir);

}  // namespace fecg::cli
