// Benchmark (not a test): wall time of the whole analysis of a 5-minute, 4-lead, 1 kHz recording,
// per method and per stage, as the CLI runs it (read the file → pipeline). Prints medians (and
// minima for the total: the machine may be shared). FHNet runs with the model in MODELS (default
// models/) on 1 engine thread and on 2 (pipeline/fhnet_stage.h FhnetStageParams::threads).
//
//   build/native/bench_pipeline [RECORD] [--repeats N] [--models DIR] [--methods ts,ica,ts-ica,fhnet,ts-ica-pool,fhnet-pool]
// ("-pool": the method in the candidate pool, pipeline/fusion.h, as fecg extract runs it by default)
// Without RECORD, a seeded simulated recording is written to a temporary WFDB record first.
#include "core/error.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// CPU time of the whole process (all threads), ms: on a shared machine the steadier figure.
double process_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string record, models = "models", methods_arg = "ts,ica,ts-ica,fhnet,ts-ica-pool,fhnet-pool";
  int repeats = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--models" && i + 1 < argc) models = argv[++i];
    else if (a == "--methods" && i + 1 < argc) methods_arg = argv[++i];
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
    // Rows: a method and, for FHNet, the engine threads.
    // A plain name is the method alone; "-pool" runs it in the candidate pool, as the CLI's default.
    struct Row {
      fecg::Method method;
      int threads;
      bool pooled;
    };
    std::vector<Row> rows;
    std::stringstream list(methods_arg);
    for (std::string name; std::getline(list, name, ',');) {
      const bool pooled = name.size() > 5 && name.compare(name.size() - 5, 5, "-pool") == 0;
      const fecg::Method m = fecg::parse_method(pooled ? name.substr(0, name.size() - 5) : name);
      if (m == fecg::Method::fhnet) {
        rows.push_back({m, 1, pooled});
        rows.push_back({m, 2, pooled});
      } else {
        rows.push_back({m, 1, pooled});
      }
    }
    std::shared_ptr<fecg::FhnetModel> model;
    if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.method == fecg::Method::fhnet; })) {
      model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(models));
    }

    std::printf("bench_pipeline: %s, %d repeats, median ms (total: median and min; cpu: process CPU time, all threads)\n",
                record.c_str(), repeats);
    std::printf("%-16s %8s %10s %9s %9s %9s %9s %10s %8s %8s\n", "method", "read", "preprocess", "maternal",
                "extract", "fetal", "hr+sqi", "total", "min", "cpu");
    for (const Row& row : rows) {
      std::vector<double> read, pre, mat, ext, fet, hr, total, cpu;
      for (int r = 0; r < repeats; ++r) {
        const double c0 = process_cpu_ms();
        const auto t0 = std::chrono::steady_clock::now();
        const fecg::Recording rec = fecg::read_record(record);
        const double read_ms = ms_since(t0);
        fecg::PipelineParams params;
        params.method = row.method;
        params.fhnet_model = model;
        params.fhnet.threads = row.threads;
        params.candidate_pool = row.pooled;
        const fecg::PipelineResult out = fecg::run_pipeline(rec, fecg::guess_lead_roles(rec), params);
        read.push_back(read_ms);
        pre.push_back(out.timings.preprocess_ms);
        mat.push_back(out.timings.maternal_ms);
        ext.push_back(out.timings.extract_ms);
        fet.push_back(out.timings.fetal_ms);
        hr.push_back(out.timings.heart_rate_ms + out.timings.output_ms);
        total.push_back(ms_since(t0));
        cpu.push_back(process_cpu_ms() - c0);
      }
      std::string name = fecg::method_name(row.method);
      if (row.pooled) name += "+pool";
      if (row.method == fecg::Method::fhnet) name += "/" + std::to_string(row.threads) + "t";
      std::printf("%-16s %8.1f %10.1f %9.1f %9.1f %9.1f %9.1f %10.1f %8.1f %8.1f\n", name.c_str(), median(read),
                  median(pre), median(mat), median(ext), median(fet), median(hr), median(total),
                  *std::min_element(total.begin(), total.end()), median(cpu));
    }
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline: %s\n", e.what());
    return 1;
  }
  return 0;
}
