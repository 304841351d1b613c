// Benchmark of the C++ FHNet engine: milliseconds per window (1024 samples, K leads), single
// thread, at batch 1 (as tests/node/bench_ort.mjs runs ONNX Runtime, 1 thread, same model) and at
// the pipeline's batch (pipeline/fhnet_stage.h, 8 windows per call). Prints the median and the
// minimum of 5 repetitions, as wall time and as this thread's CPU time: on a shared machine the
// CPU time is the steadier figure (it excludes the time other processes hold the core). Each of
// the engine's kernel sets this CPU has is measured: the portable 4-wide kernels (what the
// WebAssembly module runs) and, on x86-64 with AVX2 + FMA, the 8-wide ones (the native default).
//   build/native/bench_fhnet [models_dir=models] [leads=4] [windows=300]
#include "core/error.h"
#include "model/fhnet.h"
#include "io/model_files.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models";
  const int leads = argc > 2 ? std::atoi(argv[2]) : 4;
  const int windows = argc > 3 ? std::max(1, std::atoi(argv[3])) : 300;
  try {
    fecg::FhnetModel model = fecg::load_fhnet_model_dir(dir);
    std::printf("fhnet engine (1 thread): K = %d, %d parameters, ms per window: median (min) of 5 x %d windows\n", leads,
                static_cast<int>(model.parameter_count()), windows);

    for (const fecg::FhnetKernels kernels : {fecg::FhnetKernels::portable, fecg::FhnetKernels::avx2_fma}) {
      if (!fecg::fhnet_kernels_available(kernels)) continue;
      model.set_kernels(kernels);
      std::printf(" %s kernels\n", kernels == fecg::FhnetKernels::portable ? "portable 4-wide" : "AVX2 + FMA");
      for (const int batch : {1, 8}) {
        std::mt19937 rng(1);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> x(static_cast<std::size_t>(batch) * leads * model.window());
        for (float& v : x) v = normal(rng);
        fecg::FhnetOutput out;
        for (int i = 0; i < 10; ++i) model.run_batch(x.data(), batch, leads, out);  // warm-up: buffers sized, caches filled

        const int calls = std::max(1, windows / batch);
        std::vector<double> wall, cpu;
        for (int rep = 0; rep < 5; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          const double c0 = thread_cpu_ms();
          for (int i = 0; i < calls; ++i) model.run_batch(x.data(), batch, leads, out);
          cpu.push_back((thread_cpu_ms() - c0) / (calls * batch));
          wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / (calls * batch));
        }
        std::sort(wall.begin(), wall.end());
        std::sort(cpu.begin(), cpu.end());
        std::printf("  batch %d: wall %.3f (%.3f)  cpu %.3f (%.3f)\n", batch, wall[2], wall[0], cpu[2], cpu[0]);
        volatile float sink = out.fecg(0, 0) + out.rpeak_prob(0, 0);
        (void)sink;
      }
    }
  } catch (const fecg::Error& e) {
    std::fprintf(stderr, "bench_fhnet: %s\n", e.what());
    return 1;
  }
  return 0;
}
