// Proves that the whole core compiles AND works under Emscripten with -msimd128 (run by node in
// the test command): simulates a recording, runs the pipeline with each classical method and
// scores the fetal beats against the simulated truth. Exit status 0 only if every method finds
// the fetal beats (F1 ≥ 0.9 on this clean, seeded recording).
#include "core/error.h"
#include "eval/metrics.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <cmath>
#include <cstdio>

int main() {
  try {
    fecg::SynthParams params;
    params.duration_s = 30;
    params.seed = 11;
    params.snr_mn_db = 9;
    params.snr_fm_db = -9;
    const fecg::SynthRecording sim = fecg::simulate(params);
    int failures = 0;
    for (const fecg::Method method : {fecg::Method::template_subtraction, fecg::Method::ts_ica}) {
      fecg::PipelineParams pipeline;
      pipeline.method = method;
      const fecg::PipelineResult out =
          fecg::run_pipeline(sim.mixture, fecg::guess_lead_roles(sim.mixture), pipeline);
      const fecg::BeatScore score = fecg::score_beats(sim.fetal_peaks, out.fetal_beats, sim.mixture.fs_hz);
      // The FHR figures come from reliable windows only; on this clean simulation there must be some.
      const double fhr = out.fhr.mean_bpm.value_or(-1.0);
      std::printf("wasm smoke: %-6s F1 %.4f, FHR %.1f bpm (truth %.1f), %.0f ms\n",
                  fecg::method_name(method).c_str(), score.f1, fhr, sim.fetal_bpm, out.timings.total_ms);
      if (score.f1 < 0.9 || !out.fhr.mean_bpm || std::abs(fhr - sim.fetal_bpm) > 5.0) ++failures;
    }
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("wasm smoke: %s\n", e.what());
    return 1;
  }
}
