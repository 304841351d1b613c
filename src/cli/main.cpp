// fecg: the command-line shell around the core (read → pipeline → write). Every command has
// --help; errors print one line "fecg: <what went wrong>" to stderr and exit non-zero. One file
// per command (info.cpp, extract.cpp, windows.cpp, synth.cpp, eval.cpp, dataset.cpp,
// delineate.cpp); what they share is in commands.h.
#include "cli/commands.h"
#include "pipeline/pipeline.h"

#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace {

constexpr const char* kUsage = R"(fecg — fetal ECG from abdominal recordings

usage: fecg <command> [options]

commands:
  info <record>      leads, rate, duration, units and annotations of a recording
  extract <record>   fetal ECG, fetal and maternal beats, heart rates and quality
  synth              simulate an abdominal recording with known truth
  eval               score fetal beats against reference beats
  dataset            simulate FHNet training data (.npy windows with targets)
  windows <record>   the FHNet input windows of a recording (.npy), for a network run elsewhere
  delineate <record> P, QRS and T wave marks of every beat (wavelet delineator), as CSV

<record> is a .edf, .hea or .csv file, or a WFDB record path without extension.
Run `fecg <command> --help` for the options of a command.
)";

}  // namespace

using fecg::cli::kVersion;

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (command == "--version") {
      std::printf("fecg %s\n", kVersion);
      return 0;
    }
    if (command == "info") return cmd_info(argc, argv);
    if (command == "extract") return cmd_extract(argc, argv);
    if (command == "synth") return cmd_synth(argc, argv);
    if (command == "eval") return cmd_eval(argc, argv);
    if (command == "dataset") return cmd_dataset(argc, argv);
    if (command == "windows") return cmd_windows(argc, argv);
    if (command == "delineate") return cmd_delineate(argc, argv);
    std::fprintf(stderr, "fecg: unknown command '%s' (see fecg --help)\n", command.c_str());
    return 2;
  } catch (const fecg::Cancelled&) {
    std::fprintf(stderr, "fecg: cancelled\n");
    return 130;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "fecg: out of memory (the recording is too large for this machine)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fecg: %s\n", e.what());
    return 1;
  }
}
