// Benchmark (not a test): wall time of the whole analysis of a 5-minute, 4-lead, 1 kHz recording,
// per method and per stage, as the CLI runs it (read the file → pipeline). Prints medians.
//
//   build/native/bench_pipeline [RECORD] [--repeats N]
// Without RECORD, a seeded simulated recording is written to a temporary WFDB record first.
#include "core/error.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string record;
  int repeats = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
    else record = a;
  }
  try {
    std::filesystem::path tmp;
    if (record.empty()) {
      tmp = std::filesystem::temp_directory_path() / ("fecg_bench_" + std::to_string(getpid()));
      std::filesystem::create_directories(tmp);
      fecg::SynthParams p;
      p.duration_s = 300;
      p.fs_hz = 1000;
      p.n_leads = 4;
      p.seed = 424242;
      p.snr_mn_db = 6;
      record = (tmp / "bench").string();
      fecg::write_wfdb_record(record, fecg::simulate(p).mixture);
    }
    std::printf("bench_pipeline: %s, %d repeats, median ms\n", record.c_str(), repeats);
    std::printf("%-7s %8s %10s %9s %9s %9s %9s %10s\n", "method", "read", "preprocess", "maternal",
                "extract", "fetal", "hr+sqi", "total");
    for (const fecg::Method method :
         {fecg::Method::template_subtraction, fecg::Method::ica, fecg::Method::ts_ica}) {
      std::vector<double> read, pre, mat, ext, fet, hr, total;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const fecg::Recording rec = fecg::read_record(record);
        const double read_ms = ms_since(t0);
        fecg::PipelineParams params;
        params.method = method;
        const fecg::PipelineResult out = fecg::run_pipeline(rec, fecg::guess_lead_roles(rec), params);
        read.push_back(read_ms);
        pre.push_back(out.timings.preprocess_ms);
        mat.push_back(out.timings.maternal_ms);
        ext.push_back(out.timings.extract_ms);
        fet.push_back(out.timings.fetal_ms);
        hr.push_back(out.timings.heart_rate_ms + out.timings.output_ms);
        total.push_back(ms_since(t0));
      }
      std::printf("%-7s %8.1f %10.1f %9.1f %9.1f %9.1f %9.1f %10.1f\n", fecg::method_name(method).c_str(),
                  median(read), median(pre), median(mat), median(ext), median(fet), median(hr), median(total));
    }
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline: %s\n", e.what());
    return 1;
  }
  return 0;
}
