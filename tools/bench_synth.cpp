// Benchmark and inspection tool for the simulator (not a test: timings vary by machine).
//
//   build/native/bench_synth [seconds=60] [leads=4] [fs_hz=1000] [seed=1] [csv_path|-] [nstdb_dir]
//
// Prints the simulation time, realised SNRs and rates, and per-lead amplitude statistics; with a
// csv_path, writes time, mixture, fetal, maternal and noise of every lead (for plotting);
// with an nstdb_dir (e.g. ../shared/data/nstdb), real NSTDB noise is mixed in.
#include "io/nstdb.h"
#include "synth/simulator.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  fecg::SynthParams p;
  if (argc > 1) p.duration_s = std::atof(argv[1]);
  if (argc > 2) p.n_leads = std::atoi(argv[2]);
  if (argc > 3) p.fs_hz = std::atof(argv[3]);
  if (argc > 4) p.seed = std::strtoull(argv[4], nullptr, 10);
  try {
    const fecg::NoiseBank bank = argc > 6 ? fecg::load_nstdb(argv[6]) : fecg::NoiseBank{};
    const auto t0 = std::chrono::steady_clock::now();
    const fecg::SynthRecording r = fecg::simulate(p, bank);
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("simulate: %.1f s x %d leads at %.0f Hz in %.3f s\n", p.duration_s, p.n_leads, p.fs_hz,
                std::chrono::duration<double>(t1 - t0).count());
    std::printf("snr_fm %.2f dB, snr_mn %.2f dB, maternal %.1f bpm (%zu peaks), fetal %.1f bpm (%zu peaks)\n",
                r.snr_fm_db, r.snr_mn_db, r.maternal_bpm, r.maternal_peaks.size(), r.fetal_bpm, r.fetal_peaks.size());
    for (int j = 0; j < r.mixture.n_leads(); ++j)
      std::printf("lead %d: maternal max|x| %.0f uV, fetal max|x| %.1f uV, noise rms %.1f uV\n", j + 1,
                  r.maternal_uv.row(j).cwiseAbs().maxCoeff(), r.fetal_uv.row(j).cwiseAbs().maxCoeff(),
                  std::sqrt(r.noise_uv.row(j).squaredNorm() / r.noise_uv.cols()));
    if (argc > 5 && std::string(argv[5]) != "-") {
      std::ofstream f(argv[5]);
      for (Eigen::Index t = 0; t < r.mixture.n_samples(); ++t) {
        f << t / p.fs_hz;
        for (int j = 0; j < r.mixture.n_leads(); ++j)
          f << ',' << r.mixture.samples_uv(j, t) << ',' << r.fetal_uv(j, t) << ',' << r.maternal_uv(j, t) << ','
            << r.noise_uv(j, t);
        f << '\n';
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_synth: %s\n", e.what());
    return 1;
  }
  return 0;
}
