// Development evaluation of the classical extractors (TS, ICA, TS-ICA) end to end on real data:
// every record of ADFECGDB (reference: the scalp-electrode R peaks, rNN.edf.qrs) and of Challenge
// 2013 set A (reference: aNN.fqrs) goes through fecg::run_pipeline with each method, and fetal QRS
// detection (Se, PPV, F1 at ±50 ms) and FHR MAE (bpm) are printed per record and averaged.
//
//   build/dev/eval_classical [data_dir=../shared/data] [methods=ts,ica,ts-ica] [filter: substring of "dataset/record"] [ica block_s]
//
// One set of defaults for all records (no per-record tuning). Challenge 2013 set A records a33,
// a38, a47, a52, a54, a71, a74 have known-bad references; none of them is among a01–a25 here.
#include "core/error.h"
#include "eval/metrics.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "pipeline/pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Case {
  std::string dataset, name, signal_path, reference_path;
};

std::vector<Case> find_cases(const std::string& data_dir, const std::string& filter) {
  namespace fs = std::filesystem;
  std::vector<Case> cases;
  const auto add_dir = [&](const std::string& dataset, const std::string& signal_ext, const std::string& ref_ext) {
    const fs::path dir = fs::path(data_dir) / dataset;
    if (!fs::is_directory(dir)) return;
    std::vector<Case> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string file = entry.path().filename().string();
      if (file.size() <= signal_ext.size() || file.substr(file.size() - signal_ext.size()) != signal_ext) continue;
      const std::string name = file.substr(0, file.size() - signal_ext.size());
      const fs::path ref = dir / (name + ref_ext);
      if (!fs::exists(ref)) continue;
      if (!filter.empty() && (dataset + "/" + name).find(filter) == std::string::npos) continue;
      found.push_back({dataset, name, entry.path().string(), ref.string()});
    }
    std::sort(found.begin(), found.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
    cases.insert(cases.end(), found.begin(), found.end());
  };
  add_dir("adfecgdb", ".edf", ".edf.qrs");
  add_dir("challenge2013", ".hea", ".fqrs");
  return cases;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Sum {
  double se = 0, ppv = 0, f1 = 0, mae = 0, extract_ms = 0;
  int n = 0, n_mae = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : "../shared/data";
  const std::vector<std::string> methods = split(argc > 2 ? argv[2] : "ts,ica,ts-ica");
  const std::string filter = argc > 3 ? argv[3] : "";
  // Development knob: ICA block length in seconds (default: FastIcaParams's).
  const double block_s = argc > 4 ? std::stod(argv[4]) : fecg::FastIcaParams{}.block_s;
  const std::vector<Case> cases = find_cases(data_dir, filter);
  if (cases.empty()) {
    std::printf("eval_classical: no records with references under %s\n", data_dir.c_str());
    return 1;
  }
  std::map<std::string, Sum> sums;  // key: dataset/method
  std::printf("%-14s %-7s %-7s %6s %6s %6s %8s %8s %9s\n", "dataset", "record", "method", "Se", "PPV", "F1",
              "MAE_bpm", "FHR_bpm", "extr_ms");
  for (const Case& c : cases) {
    try {
      const fecg::Recording rec = fecg::read_record(c.signal_path);
      // Challenge 2013 records mark samples lost when an electrode came off (WFDB -32768, read as
      // NaN); run_pipeline bridges them and warns. Counted here for the table.
      const auto n_filled = static_cast<int>(rec.samples_uv.array().isNaN().count());
      const fecg::BeatIndices reference =
          fecg::beat_samples(fecg::read_wfdb_annotations(c.reference_path).annotations);
      fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
      for (const std::string& m : methods) {
        fecg::PipelineParams params;
        params.method = fecg::parse_method(m);
        params.ica.block_s = block_s;
        const fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params);
        const fecg::BeatScore b = fecg::score_beats(reference, out.fetal_beats, rec.fs_hz);
        const fecg::HeartRateScore h = fecg::score_heart_rate(reference, out.fetal_beats, rec.fs_hz);
        std::printf("%-14s %-7s %-7s %6.3f %6.3f %6.3f %8.2f %8.1f %9.1f%s\n", c.dataset.c_str(), c.name.c_str(),
                    m.c_str(), b.sensitivity, b.ppv, b.f1, h.n > 0 ? h.mae_bpm : -1.0, out.fhr.mean_bpm,
                    out.timings.extract_ms, n_filled > 0 ? ("  (" + std::to_string(n_filled) + " gap samples filled)").c_str() : "");
        Sum& s = sums[c.dataset + "/" + m];
        s.se += b.sensitivity;
        s.ppv += b.ppv;
        s.f1 += b.f1;
        s.extract_ms += out.timings.extract_ms;
        ++s.n;
        if (h.n > 0) {
          s.mae += h.mae_bpm;
          ++s.n_mae;
        }
      }
    } catch (const fecg::Error& e) {
      std::printf("%-14s %-7s error: %s\n", c.dataset.c_str(), c.name.c_str(), e.what());
    }
    std::fflush(stdout);
  }
  std::printf("\nmean over records\n%-24s %4s %6s %6s %6s %8s %9s\n", "dataset/method", "n", "Se", "PPV", "F1",
              "MAE_bpm", "extr_ms");
  for (const auto& [key, s] : sums) {
    std::printf("%-24s %4d %6.3f %6.3f %6.3f %8.2f %9.1f\n", key.c_str(), s.n, s.se / s.n, s.ppv / s.n, s.f1 / s.n,
                s.n_mae > 0 ? s.mae / s.n_mae : -1.0, s.extract_ms / s.n);
  }
  return 0;
}
