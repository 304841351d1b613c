// Benchmark of the C++ FHNet engine: milliseconds per window (1024 samples, K leads, batch 1),
// single thread. Compare with tests/node/bench_ort.mjs (ONNX Runtime, 1 thread, same model).
//   build/dev/bench_fhnet [models_dir=models] [leads=4] [windows=300]
#include "core/error.h"
#include "io/record.h"
#include "model/fhnet.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models";
  const int leads = argc > 2 ? std::atoi(argv[2]) : 4;
  const int windows = argc > 3 ? std::max(1, std::atoi(argv[3])) : 300;
  try {
    const auto card = fecg::read_file_bytes(dir + "/fhnet.json");
    const auto weights = fecg::read_file_bytes(dir + "/fhnet.safetensors");
    fecg::FhnetModel model = fecg::FhnetModel::load(
        std::string_view(reinterpret_cast<const char*>(card.data()), card.size()), weights.data(), weights.size());

    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    fecg::LeadMatrix x(leads, model.window());
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
    fecg::FhnetOutput out;
    for (int i = 0; i < 10; ++i) model.run(x, out);  // warm-up: buffers sized, caches filled

    // Median of 5 repetitions of `windows` calls each: robust to a busy shared machine.
    std::vector<double> ms;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < windows; ++i) model.run(x, out);
      const auto t1 = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / windows);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("fhnet engine (Eigen, 1 thread): K = %d, %d parameters: %.3f ms per window (median of 5 x %d; min %.3f)\n",
                leads, static_cast<int>(model.parameter_count()), ms[2], windows, ms[0]);
    volatile float sink = out.fecg(0, 0) + out.rpeak_prob(0, 0);
    (void)sink;
  } catch (const fecg::Error& e) {
    std::fprintf(stderr, "bench_fhnet: %s\n", e.what());
    return 1;
  }
  return 0;
}
