// fecg synth: a simulated recording with known truth.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/recording.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/nstdb.h"
#include "io/wfdb.h"
#include "io/wfdb_annotations.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace fs = std::filesystem;
using namespace fecg::cli;  // Args, parse_args, wants_help (args.h) and the commands' shared helpers

namespace {

constexpr const char* kSynthUsage = R"(usage: fecg synth --out PATH [options]

Simulates an abdominal recording (maternal and fetal rotating cardiac dipoles in a volume
conductor, heart-rate variability, respiration, noise) and writes:
  PATH.hea/.dat          the mixture, WFDB format 16 (or PATH.edf / PATH.csv with --format)
  PATH.fqrs, PATH.mqrs   true fetal and maternal R peaks (WFDB annotations)
  PATH_fecg.hea/.dat     the true fetal component per lead (WFDB format 16)

options:
  --seconds S      duration (default 60)
  --seed N         random seed (default 1); the same seed gives the same recording
  --leads K        abdominal leads, 1..32 (default 4)
  --rate HZ        sampling rate (default 1000)
  --snr-fm DB      fetal-to-maternal power ratio (default drawn around -9 dB, sd 2)
  --snr-mn DB      maternal-to-noise power ratio (default drawn from 0..12 dB)
  --maternal-bpm R mean maternal heart rate, 40..140 (default drawn from 60..100)
  --fetal-bpm R    mean fetal heart rate, 80..220 (default drawn from 110..160)
  --maternal-qrs F maternal Q/R/S width relative to adult norms, 0.2..1 (default 1); below 1
                   the sharp maternal R wave many abdominal leads show
  --ectopic P      probability of an ectopic beat per beat (default 0)
  --fetal-movement add slow fetal movement
  --nstdb DIR      real noise from MIT-BIH NSTDB records bw, em, ma in DIR, or "none" for the
                   statistical noise model (default: ../shared/data/nstdb when present)
  --format F       wfdb (default), edf or csv for the mixture
  --fhr-scenario S a scripted fetal heart rate for CTG analysis: steady, accelerations,
                   decelerations, bradycardia, tachycardia or mixed (a wandering baseline,
                   accelerations and abrupt, gradual and prolonged decelerations of 20-60 bpm);
                   --fetal-bpm then sets the baseline. Also writes PATH_truth.json:
                   {"fhr_baseline_bpm", "fhr_events": [{"type","start_s","end_s","extreme_bpm"}]}.
                   Without it the rate has random events, as in earlier versions, seed for seed.
)";

}  // namespace

int cmd_synth(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kSynthUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2,
                               {"seconds", "seed", "leads", "rate", "snr-fm", "snr-mn", "ectopic", "nstdb",
                                "format", "out", "maternal-bpm", "fetal-bpm", "maternal-qrs", "fhr-scenario"},
                               {"fetal-movement"}, "synth");
  if (!args.positional.empty()) throw fecg::Error("synth: unexpected argument '" + args.positional[0] + "'");
  const auto out = args.get("out");
  if (!out || out->empty()) throw fecg::Error("synth: --out PATH is required (see fecg synth --help)");

  fecg::SynthParams params;
  params.duration_s = args.number("seconds", params.duration_s);
  const double seed = args.number("seed", 1);
  if (seed < 0 || seed != std::floor(seed) || seed > 9.0e15) throw fecg::Error("--seed: expected a non-negative integer");
  params.seed = static_cast<std::uint64_t>(seed);
  const double leads = args.number("leads", params.n_leads);
  if (leads != std::floor(leads)) throw fecg::Error("--leads: expected an integer");
  params.n_leads = static_cast<int>(std::clamp(leads, -1.0, 1000.0));
  params.fs_hz = args.number("rate", params.fs_hz);
  params.snr_fm_db = args.optional_number("snr-fm");
  params.snr_mn_db = args.optional_number("snr-mn");
  params.maternal_bpm = args.optional_number("maternal-bpm");
  params.fetal_bpm = args.optional_number("fetal-bpm");
  params.maternal_qrs_sharpness = args.number("maternal-qrs", params.maternal_qrs_sharpness);
  params.ectopic_probability = args.number("ectopic", 0.0);
  params.fetal_movement = args.has("fetal-movement");
  if (const auto scenario = args.get("fhr-scenario")) params.fhr_scenario = fecg::parse_fhr_scenario(*scenario);
  const std::string format = args.get("format").value_or("wfdb");
  if (format != "wfdb" && format != "edf" && format != "csv")
    throw fecg::Error("--format: expected wfdb, edf or csv, got '" + format + "'");

  fecg::NoiseBank noise;
  std::string noise_source = "statistical noise model";
  const std::string nstdb_arg = args.get("nstdb").value_or("");
  if (nstdb_arg != "none") {
    const std::optional<std::string> dir = nstdb_arg.empty() ? default_nstdb_dir(argv[0]) : nstdb_arg;
    if (dir) {
      noise = fecg::load_nstdb(*dir);
      noise_source = "MIT-BIH NSTDB records in " + *dir;
    }
  }

  const fecg::SynthRecording sim = fecg::simulate(params, noise);
  const fs::path base(*out);
  std::error_code ec;
  if (base.has_parent_path()) fs::create_directories(base.parent_path(), ec);
  if (format == "wfdb") fecg::write_wfdb_record(base.string(), sim.mixture);
  else if (format == "edf") fecg::write_edf(base.string() + ".edf", sim.mixture);
  else fecg::write_csv(base.string() + ".csv", sim.mixture);
  fecg::write_wfdb_annotations(base.string() + ".fqrs", fecg::beat_annotations(sim.fetal_peaks));
  fecg::write_wfdb_annotations(base.string() + ".mqrs", fecg::beat_annotations(sim.maternal_peaks));
  fecg::Recording fetal = sim.mixture;
  fetal.samples_uv = sim.fetal_uv;
  fetal.annotations.clear();
  for (auto& n : fetal.lead_names) n += "_fecg";
  fecg::write_wfdb_record(base.string() + "_fecg", fetal);
  if (sim.fhr_truth) write_text(base.string() + "_truth.json", fecg::fhr_truth_json(*sim.fhr_truth));

  std::printf("synth: %s: %d leads, %.1f s at %g Hz, seed %llu, SNRfm %.2f dB, SNRmn %.2f dB, "
              "FHR %.1f bpm, MHR %.1f bpm, %zu fetal and %zu maternal beats; noise: %s\n",
              base.string().c_str(), sim.mixture.n_leads(), sim.mixture.duration_s(), sim.mixture.fs_hz,
              static_cast<unsigned long long>(params.seed), sim.snr_fm_db, sim.snr_mn_db, sim.fetal_bpm,
              sim.maternal_bpm, sim.fetal_peaks.size(), sim.maternal_peaks.size(), noise_source.c_str());
  return 0;
}
