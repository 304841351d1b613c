// Speed of the morphology stage (issue 14 budget: <= 50 ms on a 5-min 4-lead recording): the
// pipeline's own figure (PipelineResult::morphology.compute_ms) on a simulated 5-min 4-lead
// recording at 1 kHz, and analyse_morphology alone on its output, median of 5 runs.
//
//   build/native/bench_morph [--seconds 300] [--rate 1000]
#include "morph/morphology.h"
#include "pipeline/fusion.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  double seconds = 300, rate = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--rate") rate = std::stod(argv[i + 1]);
  }
  fecg::SynthParams sp;
  sp.duration_s = seconds;
  sp.fs_hz = rate;
  sp.seed = 11;
  sp.snr_fm_db = -9;
  sp.snr_mn_db = 6;
  const fecg::SynthRecording s = fecg::simulate(sp);
  const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture));
  std::printf("recording: %.0f s, %d leads at %.0f Hz; pipeline %.0f ms, of which morphology %.1f ms (%d beats averaged)\n",
              seconds, s.mixture.n_leads(), rate, r.timings.total_ms, r.morphology.compute_ms, r.morphology.average.n_beats);
  const auto reliable = fecg::beats_in_spans(r.fetal_beats, r.fs_hz, fecg::reliable_spans(r.quality));
  // Wall time and this thread's CPU time: on a machine shared with other jobs the wall time
  // grows with the load, the CPU time much less.
  const auto cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
  };
  std::vector<double> ms, cpu;
  for (int k = 0; k < 5; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_ms();
    const fecg::Morphology m = fecg::analyse_morphology(r.fecg_uv, r.fs_hz, r.fetal_beats, reliable, r.lead_names);
    cpu.push_back(cpu_ms() - c0);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("analyse_morphology alone, 5 runs: wall median %.1f ms (min %.1f, max %.1f); CPU median %.1f ms (min %.1f)\n",
              ms[2], ms[0], ms[4], cpu[2], cpu[0]);
  return 0;
}
