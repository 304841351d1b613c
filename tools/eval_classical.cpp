// Evaluation on real data (not a test): every record of ADFECGDB (reference: the scalp-electrode
// R peaks, rNN.edf.qrs) and of Challenge 2013 set A (reference: aNN.fqrs) goes through
// fecg::run_pipeline with each method, and fetal QRS detection (Se, PPV, F1 at ±50 ms) and FHR MAE
// (bpm) are printed per record and averaged. On ADFECGDB also the agreement of the extracted fECG
// waveform with the scalp reference Direct_1: |Pearson r| between Direct_1 and each extracted lead
// (both band-passed like the pipeline, 1–100 Hz), averaged over 4.096 s windows, best lead.
//
//   build/native/eval_classical [data_dir=../shared/data] [--methods ts,ica,ts-ica,fhnet,fhnet-pool,ts-ica-pool,external,external-pool]
//       [--filter adfecgdb/r0] [--model DIR] [--json FILE] [--hop N]
//       [--dump-windows DIR] [--engine-outputs DIR --engine-name NAME]
// fhnet / external / --dump-windows: as in eval_synthetic (tools/eval_common.h); the keys
// of the window folders are <dataset>_<record>. The shipped FHNet was fine-tuned on ADFECGDB and
// a01–a25 (stage 3): its figures there are in-sample; eval_reliability and docs/RELIABILITY.md
// give the held-out protocol. FHR_bpm is the mean over reliable windows, nan when none is.
//
// One set of defaults for all records (no per-record tuning). Challenge 2013 set A records a33,
// a38, a47, a52, a54, a71, a74 have known-bad references; none of them is among a01–a25 here.
#include "eval_common.h"

#include "core/error.h"
#include "dsp/filter.h"
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

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Sum {
  double se = 0, ppv = 0, f1 = 0, mae = 0, extract_ms = 0, corr = 0;
  int n = 0, n_mae = 0, n_corr = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::string filter;
  fecg::eval::EvalOptions o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (fecg::eval::parse_eval_option(argc, argv, i, o)) continue;
      if (a == "--filter" && i + 1 < argc) filter = argv[++i];
      else if (a.rfind("--", 0) != 0) data_dir = a;
      else throw fecg::Error("unknown option or missing value: " + a);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_classical: %s\n", e.what());
    return 2;
  }
  const std::vector<fecg::eval::Case> cases = fecg::eval::find_cases(data_dir, filter);
  if (cases.empty()) {
    std::printf("eval_classical: no records with references under %s\n", data_dir.c_str());
    return 1;
  }
  if (!o.dump_dir.empty()) {
    for (const fecg::eval::Case& c : cases) {
      const fecg::Recording rec = fecg::read_record(c.signal_path);
      fecg::eval::dump_windows(rec, fecg::guess_lead_roles(rec), o.dump_dir, c.dataset + "_" + c.name, o.hop);
    }
    std::printf("eval_classical: windows of %zu records written under %s\n", cases.size(), o.dump_dir.c_str());
    return 0;
  }
  std::vector<fecg::eval::MethodRunner> runners;
  try {
    for (const std::string& m : o.methods) runners.emplace_back(m, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_classical: %s\n", e.what());
    return 2;
  }
  fecg::JsonWriter json;
  json.begin_object().key("set").value("real").key("records").begin_array();
  std::map<std::string, Sum> sums;  // key: dataset/method
  std::printf("%-14s %-7s %-7s %6s %6s %6s %8s %8s %9s %6s\n", "dataset", "record", "method", "Se", "PPV", "F1",
              "MAE_bpm", "FHR_bpm", "extr_ms", "r_dir");
  for (const fecg::eval::Case& c : cases) {
    try {
      const fecg::Recording rec = fecg::read_record(c.signal_path);
      // Challenge 2013 records mark samples lost when an electrode came off (WFDB -32768, read as
      // NaN); run_pipeline bridges them and warns. Counted here for the table.
      const auto n_filled = static_cast<int>(rec.samples_uv.array().isNaN().count());
      const fecg::BeatIndices reference =
          fecg::beat_samples(fecg::read_wfdb_annotations(c.reference_path).annotations);
      fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
      for (const fecg::eval::MethodRunner& runner : runners) {
        const std::string m = runner.label();
        const fecg::PipelineResult out = runner.run(rec, roles, c.dataset + "_" + c.name);
        const fecg::BeatScore b = fecg::score_beats(reference, out.fetal_beats, rec.fs_hz);
        const fecg::HeartRateScore h = fecg::score_heart_rate(reference, out.fetal_beats, rec.fs_hz);
        double corr = std::nan("");
        if (roles.reference >= 0) {
          fecg::LeadMatrix ref = rec.samples_uv.row(roles.reference);
          const fecg::PipelineParams defaults;
          fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, defaults.highpass_hz, defaults.lowpass_hz, rec.fs_hz), ref);
          const auto window = static_cast<Eigen::Index>(std::lround(4.096 * rec.fs_hz));
          for (Eigen::Index l = 0; l < out.fecg_uv.rows(); ++l) {
            const double r = fecg::eval::windowed_abs_correlation(ref.data(), out.fecg_uv.row(l).data(), ref.cols(), window);
            if (std::isfinite(r) && !(r <= corr)) corr = r;
          }
        }
        std::printf("%-14s %-7s %-7s %6.3f %6.3f %6.3f %8.2f %8.1f %9.1f %6.3f%s\n", c.dataset.c_str(), c.name.c_str(),
                    m.c_str(), b.sensitivity, b.ppv, b.f1, h.n > 0 ? h.mae_bpm : -1.0, out.fhr.mean_bpm.value_or(std::nan("")),
                    out.timings.extract_ms, std::isfinite(corr) ? corr : -1.0,
                    n_filled > 0 ? ("  (" + std::to_string(n_filled) + " gap samples filled)").c_str() : "");
        json.begin_object().key("dataset").value(c.dataset).key("record").value(c.name).key("method").value(m)
            .key("se").value(b.sensitivity).key("ppv").value(b.ppv).key("f1").value(b.f1)
            .key("fhr_mae_bpm").value(h.n > 0 ? h.mae_bpm : -1.0).key("direct_corr").value(std::isfinite(corr) ? corr : -1.0)
            .key("extract_ms").value(out.timings.extract_ms).end_object();
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
        if (std::isfinite(corr)) {
          s.corr += corr;
          ++s.n_corr;
        }
      }
    } catch (const fecg::Error& e) {
      std::printf("%-14s %-7s error: %s\n", c.dataset.c_str(), c.name.c_str(), e.what());
    }
    std::fflush(stdout);
  }
  json.end_array().key("means").begin_array();
  std::printf("\nmean over records\n%-24s %4s %6s %6s %6s %8s %9s %6s\n", "dataset/method", "n", "Se", "PPV", "F1",
              "MAE_bpm", "extr_ms", "r_dir");
  for (const auto& [key, s] : sums) {
    const double mae = s.n_mae > 0 ? s.mae / s.n_mae : -1.0, corr = s.n_corr > 0 ? s.corr / s.n_corr : -1.0;
    std::printf("%-24s %4d %6.3f %6.3f %6.3f %8.2f %9.1f %6.3f\n", key.c_str(), s.n, s.se / s.n, s.ppv / s.n, s.f1 / s.n,
                mae, s.extract_ms / s.n, corr);
    const auto slash = key.find('/');
    json.begin_object().key("dataset").value(key.substr(0, slash)).key("method").value(key.substr(slash + 1))
        .key("n").value(s.n).key("se").value(s.se / s.n).key("ppv").value(s.ppv / s.n).key("f1").value(s.f1 / s.n)
        .key("fhr_mae_bpm").value(mae).key("direct_corr").value(corr).key("extract_ms").value(s.extract_ms / s.n)
        .end_object();
  }
  json.end_array().end_object();
  try {
    fecg::eval::write_json_file(o.json_path, json.str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_classical: %s\n", e.what());
    return 1;
  }
  return 0;
}
