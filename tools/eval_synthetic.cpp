// Evaluation (not a test): every method on a fixed simulated test set over the SNR grid.
// Per SNRmn band: fetal QRS F1 (±50 ms), FHR MAE (bpm), and waveform fidelity of the extracted
// fECG against the simulated fetal component (R², RMSE on normalised amplitude: truth scaled to
// unit peak per 4.096 s window, the scale of the FHNet paper's RMSE), averaged over leads.
//
//   build/native/eval_synthetic [--per-band N] [--seconds S] [--nstdb DIR]
//       [--methods ts,ica,ts-ica,fhnet,fhnet-pool,ts-ica-pool,external,external-pool] [--model DIR] [--json FILE] [--hop N]
//       [--dump-windows DIR] [--engine-outputs DIR --engine-name NAME]
// Noise: the simulator's statistical model (reproducible anywhere), or real MIT-BIH NSTDB noise
// from DIR (e.g. ../shared/data/nstdb). Methods: the classical ones; fhnet = our engine on the
// model in --model DIR; external = a network run elsewhere (tools/eval_common.h): first
// --dump-windows DIR writes each recording's FHNet input windows to DIR/<key>/x.npy, then the
// network's outputs (DIR/<key>/fecg.npy, rpeak_prob.npy) are replayed with --engine-outputs DIR
// (scripts/fhnet/evaluate.py does both around PyTorch).
// Test-set seeds are 900000 + 100·band + k; training data must never use seeds ≥ 900000.
#include "eval_common.h"

#include "core/error.h"
#include "dsp/filter.h"
#include "eval/metrics.h"
#include "pipeline/pipeline.h"
#include "io/nstdb.h"
#include "synth/simulator.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Accumulator {
  double f1 = 0, mae = 0, r2 = 0, rmse_norm = 0;
  int n = 0;
  void add(const Accumulator& o) {
    f1 += o.f1; mae += o.mae; r2 += o.r2; rmse_norm += o.rmse_norm; n += o.n;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int per_band = 4;
  double seconds = 60;
  std::string nstdb_dir;
  fecg::eval::EvalOptions o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (fecg::eval::parse_eval_option(argc, argv, i, o)) continue;
      if (i + 1 >= argc) throw fecg::Error(a + ": unknown option or missing value");
      if (a == "--per-band") per_band = std::max(1, std::atoi(argv[++i]));
      else if (a == "--seconds") seconds = std::atof(argv[++i]);
      else if (a == "--nstdb") nstdb_dir = argv[++i];
      else throw fecg::Error("unknown option " + a);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_synthetic: %s\n", e.what());
    return 2;
  }
  const std::vector<double> bands_db = {0, 3, 6, 9, 12};
  const std::string noise_name = nstdb_dir.empty() ? "statistical model" : "MIT-BIH NSTDB";
  std::printf("eval_synthetic: %d recordings per SNRmn band, %.0f s, 4 leads, 1 kHz, SNRfm ~ N(-9, 2) dB, "
              "noise: %s\n\n", per_band, seconds,
              nstdb_dir.empty() ? "statistical model" : ("MIT-BIH NSTDB from " + nstdb_dir).c_str());
  try {
    const fecg::NoiseBank noise = nstdb_dir.empty() ? fecg::NoiseBank{} : fecg::load_nstdb(nstdb_dir);
    auto recording = [&](size_t b, int k) {
      fecg::SynthParams p;
      p.duration_s = seconds;
      p.seed = 900000 + 100 * b + static_cast<unsigned>(k);
      p.snr_mn_db = bands_db[b];
      return fecg::simulate(p, noise);
    };
    auto key = [](size_t b, int k) { return "b" + std::to_string(b) + "k" + std::to_string(k); };
    if (!o.dump_dir.empty()) {
      for (size_t b = 0; b < bands_db.size(); ++b)
        for (int k = 0; k < per_band; ++k) {
          const fecg::SynthRecording sim = recording(b, k);
          fecg::eval::dump_windows(sim.mixture, fecg::guess_lead_roles(sim.mixture), o.dump_dir, key(b, k), o.hop);
        }
      std::printf("eval_synthetic: windows of %zu recordings written under %s\n", bands_db.size() * per_band,
                  o.dump_dir.c_str());
      return 0;
    }
    fecg::JsonWriter json;
    json.begin_object().key("set").value("synthetic").key("noise").value(noise_name).key("per_band").value(per_band)
        .key("seconds").value(seconds).key("rows").begin_array();
    std::printf("| method | SNRmn dB | fQRS F1 | FHR MAE bpm | R² | RMSE (norm.) |\n|---|---|---|---|---|---|\n");
    for (const std::string& m : o.methods) {
      const fecg::eval::MethodRunner runner(m, o);
      Accumulator all;
      auto row = [&](const std::string& band, const Accumulator& acc) {
        std::printf("| %s | %s | %.4f | %.2f | %.3f | %.4f |\n", runner.label().c_str(), band.c_str(), acc.f1 / acc.n,
                    acc.mae / acc.n, acc.r2 / acc.n, acc.rmse_norm / acc.n);
        json.begin_object().key("method").value(runner.label()).key("band").value(band).key("n").value(acc.n)
            .key("f1").value(acc.f1 / acc.n).key("fhr_mae_bpm").value(acc.mae / acc.n).key("r2").value(acc.r2 / acc.n)
            .key("rmse_norm").value(acc.rmse_norm / acc.n).end_object();
      };
      for (size_t b = 0; b < bands_db.size(); ++b) {
        Accumulator acc;
        for (int k = 0; k < per_band; ++k) {
          const fecg::SynthRecording sim = recording(b, k);
          const fecg::PipelineResult out = runner.run(sim.mixture, fecg::guess_lead_roles(sim.mixture), key(b, k));
          const double fs = sim.mixture.fs_hz;
          acc.f1 += fecg::score_beats(sim.fetal_peaks, out.fetal_beats, fs).f1;
          acc.mae += fecg::score_heart_rate(sim.fetal_peaks, out.fetal_beats, fs).mae_bpm;
          // Waveform truth through the same band-pass the pipeline applies, so that the score
          // measures separation, not the filter.
          const fecg::PipelineParams defaults;
          fecg::LeadMatrix truth = sim.fetal_uv;
          fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, defaults.highpass_hz, defaults.lowpass_hz, fs), truth);
          double r2 = 0, rmse = 0;
          const auto window = static_cast<size_t>(std::lround(4.096 * fs));
          for (Eigen::Index l = 0; l < truth.rows(); ++l) {
            const fecg::WaveformScore w = fecg::score_waveform(
                {truth.row(l).data(), static_cast<size_t>(truth.cols())},
                {out.fecg_uv.row(l).data(), static_cast<size_t>(out.fecg_uv.cols())}, window);
            r2 += w.r2;
            rmse += w.rmse_normalised;
          }
          acc.r2 += r2 / static_cast<double>(truth.rows());
          acc.rmse_norm += rmse / static_cast<double>(truth.rows());
          ++acc.n;
        }
        char band[16];
        std::snprintf(band, sizeof band, "%.0f", bands_db[b]);
        row(band, acc);
        all.add(acc);
      }
      row("all", all);
      std::fflush(stdout);
    }
    json.end_array().end_object();
    fecg::eval::write_json_file(o.json_path, json.str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_synthetic: %s\n", e.what());
    return 1;
  }
  return 0;
}
