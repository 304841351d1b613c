// Evaluation (not a test): every classical method on a fixed simulated test set over the SNR grid.
// Per SNRmn band: fetal QRS F1 (±50 ms), FHR MAE (bpm), and waveform fidelity of the extracted
// fECG against the simulated fetal component (R², RMSE on normalised amplitude: truth scaled to
// unit peak per 4.096 s window, the scale of the FHNet paper's RMSE), averaged over leads.
//
//   build/native/eval_synthetic [--per-band N] [--seconds S] [--nstdb DIR]
// Noise: the simulator's statistical model (reproducible anywhere), or real MIT-BIH NSTDB noise
// from DIR (e.g. ../shared/data/nstdb).
// Test-set seeds are 900000 + 100·band + k; training data must never use seeds ≥ 900000.
#include "core/error.h"
#include "dsp/filter.h"
#include "dsp/resample.h"
#include "eval/metrics.h"
#include "pipeline/pipeline.h"
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
};

}  // namespace

int main(int argc, char** argv) {
  int per_band = 4;
  double seconds = 60;
  std::string nstdb_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--per-band") per_band = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--nstdb") nstdb_dir = argv[i + 1];
  }
  const std::vector<double> bands_db = {0, 3, 6, 9, 12};
  const std::vector<fecg::Method> methods = {fecg::Method::template_subtraction, fecg::Method::ica,
                                             fecg::Method::ts_ica};
  std::printf("eval_synthetic: %d recordings per SNRmn band, %.0f s, 4 leads, 1 kHz, SNRfm ~ N(-9, 2) dB, "
              "noise: %s\n\n", per_band, seconds,
              nstdb_dir.empty() ? "statistical model" : ("MIT-BIH NSTDB from " + nstdb_dir).c_str());
  std::printf("| method | SNRmn dB | fQRS F1 | FHR MAE bpm | R² | RMSE (norm.) |\n|---|---|---|---|---|---|\n");
  try {
    const fecg::NoiseBank noise = nstdb_dir.empty() ? fecg::NoiseBank{} : fecg::load_nstdb(nstdb_dir);
    for (const fecg::Method method : methods) {
      Accumulator all;
      for (size_t b = 0; b < bands_db.size(); ++b) {
        Accumulator acc;
        for (int k = 0; k < per_band; ++k) {
          fecg::SynthParams p;
          p.duration_s = seconds;
          p.seed = 900000 + 100 * b + static_cast<unsigned>(k);
          p.snr_mn_db = bands_db[b];
          const fecg::SynthRecording sim = fecg::simulate(p, noise);
          fecg::PipelineParams params;
          params.method = method;
          const fecg::PipelineResult out = fecg::run_pipeline(sim.mixture, fecg::guess_lead_roles(sim.mixture), params);
          const double fs = sim.mixture.fs_hz;
          acc.f1 += fecg::score_beats(sim.fetal_peaks, out.fetal_beats, fs).f1;
          acc.mae += fecg::score_heart_rate(sim.fetal_peaks, out.fetal_beats, fs).mae_bpm;
          // Waveform truth through the same band-pass the pipeline applies, so that the score
          // measures separation, not the filter.
          fecg::LeadMatrix truth = sim.fetal_uv;
          fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, params.highpass_hz, params.lowpass_hz, fs), truth);
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
        std::printf("| %s | %.0f | %.4f | %.2f | %.3f | %.4f |\n", fecg::method_name(method).c_str(), bands_db[b],
                    acc.f1 / acc.n, acc.mae / acc.n, acc.r2 / acc.n, acc.rmse_norm / acc.n);
        all.f1 += acc.f1; all.mae += acc.mae; all.r2 += acc.r2; all.rmse_norm += acc.rmse_norm; all.n += acc.n;
      }
      std::printf("| %s | all | %.4f | %.2f | %.3f | %.4f |\n", fecg::method_name(method).c_str(), all.f1 / all.n,
                  all.mae / all.n, all.r2 / all.n, all.rmse_norm / all.n);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_synthetic: %s\n", e.what());
    return 1;
  }
  return 0;
}
