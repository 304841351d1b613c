// The evaluation of issue 12 (protocol: docs/RELIABILITY.md, fixed before the results). Every
// real record with reference fetal beats goes through run_pipeline with each method; per record it
// prints fetal QRS F1 (±50 ms), the FHR-trace MAE (60 / median RR per 5-s block, over the blocks
// where both the reference and the method have a rate), the coverage (the share of 5-s blocks
// with a reference rate that the method claims reliable) and the confidently-wrong rate (the share
// of those blocks claimed reliable yet more than 10 bpm off, or with no rate), and on ADFECGDB the
// mean |r| of the best extracted lead with the scalp lead Direct_1 (4.096-s windows, 1-100 Hz).
// --windows FILE writes one CSV row per record × method × 10-s window with the chosen candidate's
// evidence and whether the window was right: the input of scripts/reliability/calibrate.py.
//
// Recordings without a fetus (--null N, default 12; dataset "null"): N/2 of white noise alone on 4
// leads, N/2 simulated with the mother and noise but no fetal heart (fetal power 60 dB below the
// mother's, NSTDB noise when data_dir has it, SNRmn 3-12 dB), 60 s each, seeded. Any rate shown
// there is wrong, so every window of theirs is a wrong one in the CSV (the confidence model must
// learn what no fetus looks like: the real records have almost no such windows), and per method
// the share of their 5-s blocks claimed reliable is printed (it must be 0).
//
//   build/native/eval_reliability [data_dir=../shared/data] [--model models]
//       [--methods fhnet,fhnet-pool,ts-ica,ts-ica-pool] [--filter challenge2013/a2] [--windows FILE] [--json FILE]
//       [--null N]
#include "eval_common.h"

#include "dsp/filter.h"
#include "eval/metrics.h"
#include "io/nstdb.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "synth/simulator.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <map>
#include <random>
#include <set>

namespace {

constexpr double kBlock_s = 5.0;       // the FHR-trace block of the issue
constexpr double kWrong_bpm = 10.0;    // "confidently wrong": more than this off the reference
// Challenge 2013 records whose references are known to be poor (Behar et al. 2014): left out of
// the headline figures, kept in the per-record table.
const std::set<std::string> kPoorReferences = {"a33", "a38", "a47"};

// 60 / median RR of the intervals whose later beat lies in each block (NaN: no interval).
std::vector<double> block_rates(const fecg::BeatIndices& beats, double fs_hz, int n_blocks) {
  std::vector<std::vector<double>> rr(static_cast<std::size_t>(n_blocks));
  for (std::size_t i = 1; i < beats.size(); ++i) {
    const int k = static_cast<int>(static_cast<double>(beats[i]) / fs_hz / kBlock_s);
    const double v = static_cast<double>(beats[i] - beats[i - 1]) / fs_hz;
    if (k >= 0 && k < n_blocks && v > 0) rr[static_cast<std::size_t>(k)].push_back(v);
  }
  std::vector<double> out(static_cast<std::size_t>(n_blocks), std::nan(""));
  for (int k = 0; k < n_blocks; ++k) {
    std::vector<double>& v = rr[static_cast<std::size_t>(k)];
    if (v.empty()) continue;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    out[static_cast<std::size_t>(k)] = 60.0 / v[v.size() / 2];
  }
  return out;
}

struct RecordScore {
  double f1 = 0, mae = std::nan(""), coverage = 0, wrong = 0, r_direct = std::nan("");
  int blocks = 0;
};

struct Totals {
  double f1 = 0, mae = 0, coverage_blocks = 0, wrong_blocks = 0, blocks = 0, r_direct = 0;
  int n = 0, n_mae = 0, n_direct = 0;
  void add(const RecordScore& s) {
    f1 += s.f1;
    if (!std::isnan(s.mae)) mae += s.mae, ++n_mae;
    if (!std::isnan(s.r_direct)) r_direct += s.r_direct, ++n_direct;
    coverage_blocks += s.coverage * s.blocks;
    wrong_blocks += s.wrong * s.blocks;
    blocks += s.blocks;
    ++n;
  }
};

// A recording without a fetus: white noise alone (even k) or the simulated mother and noise with
// the fetal heart 60 dB down (odd k), 60 s, 4 leads, seeded by k.
fecg::Recording null_recording(int k, const fecg::NoiseBank& noise) {
  if (k % 2 == 0) {
    fecg::Recording r;
    r.fs_hz = 250.0;
    std::mt19937 rng(static_cast<unsigned>(7100 + k));
    std::normal_distribution<float> normal(0.0f, 30.0f);
    r.samples_uv.resize(4, 60 * 250);
    for (Eigen::Index i = 0; i < r.samples_uv.size(); ++i) r.samples_uv.data()[i] = normal(rng);
    for (int l = 0; l < 4; ++l) {
      r.lead_names.push_back("Abdomen_" + std::to_string(l + 1));
      r.units.push_back("uV");
    }
    return r;
  }
  fecg::SynthParams p;
  p.duration_s = 60;
  p.seed = static_cast<std::uint64_t>(7100 + k);
  p.n_leads = 4;
  p.snr_fm_db = -60.0;
  p.snr_mn_db = 3.0 + 3.0 * ((k / 2) % 4);
  return fecg::simulate(p, noise).mixture;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data", filter, windows_path;
  int n_null = 12;
  fecg::eval::EvalOptions o;
  o.methods = {"fhnet", "fhnet-pool", "ts-ica", "ts-ica-pool"};
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (fecg::eval::parse_eval_option(argc, argv, i, o)) continue;
      if (a == "--filter" && i + 1 < argc) filter = argv[++i];
      else if (a == "--windows" && i + 1 < argc) windows_path = argv[++i];
      else if (a == "--null" && i + 1 < argc) n_null = std::max(0, std::atoi(argv[++i]));
      else if (a.rfind("--", 0) != 0) data_dir = a;
      else throw fecg::Error("unknown option or missing value: " + a);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_reliability: %s\n", e.what());
    return 2;
  }
  const std::vector<fecg::eval::Case> cases = fecg::eval::find_cases(data_dir, filter);
  if (cases.empty()) {
    std::printf("eval_reliability: no records with references under %s\n", data_dir.c_str());
    return 1;
  }
  std::vector<fecg::eval::MethodRunner> runners;
  try {
    for (const std::string& m : o.methods) runners.emplace_back(m, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_reliability: %s\n", e.what());
    return 2;
  }
  std::ofstream windows_csv;
  if (!windows_path.empty()) {
    windows_csv.open(windows_path, std::ios::trunc);
    if (!windows_csv) {
      std::fprintf(stderr, "eval_reliability: cannot write %s\n", windows_path.c_str());
      return 2;
    }
    windows_csv << "dataset,record,method,window,start_s,source,n_beats,rate_bpm,coverage,maternal_excess,"
                   "maternal_coincidence,maternal_rate_ratio,maternal_lock,agreement,consistency,strength_ratio,sqi,confidence,reliable,hard_ok,blocks,right\n";
  }

  // One CSV row: window w of a method's result, its 5-s blocks, and whether its rate was right.
  const auto write_window = [&](const std::string& dataset, const std::string& record, const std::string& method,
                                std::size_t w, const fecg::PipelineResult& out, int blocks, bool right) {
    const fecg::QualityWindow& qw = out.quality.windows[w];
    const fecg::WindowEvidence& e = out.fusion_windows[w].evidence;
    const bool hard_ok = qw.reliable || qw.why_unreliable.rfind("low confidence", 0) == 0;
    windows_csv << dataset << ',' << record << ',' << method << ',' << w << ',' << qw.start_s << ','
                << (qw.source.empty() ? "none" : qw.source) << ',' << e.n_beats << ',' << e.rate_bpm << ','
                << e.coverage << ',' << e.maternal_excess << ',' << e.maternal_coincidence << ','
                << e.maternal_rate_ratio << ',' << e.maternal_lock << ',' << e.agreement << ',' << e.consistency << ',' << e.strength_ratio << ','
                << qw.sqi << ',' << qw.confidence << ',' << (qw.reliable ? 1 : 0) << ',' << (hard_ok ? 1 : 0) << ','
                << blocks << ',' << (right ? 1 : 0) << '\n';
  };

  std::map<std::string, Totals> totals;  // key: group/method
  fecg::JsonWriter json;
  json.begin_object().key("records").begin_array();
  std::printf("%-14s %-5s %-12s %6s %8s %6s %6s %6s\n", "dataset", "rec", "method", "F1", "MAE_bpm", "cover", "wrong",
              "r_dir");
  for (const fecg::eval::Case& c : cases) {
    try {
      const fecg::Recording rec = fecg::read_record(c.signal_path);
      const fecg::BeatIndices reference =
          fecg::beat_samples(fecg::read_wfdb_annotations(c.reference_path).annotations);
      const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
      const int n_blocks = static_cast<int>(rec.duration_s() / kBlock_s);
      const std::vector<double> ref_rate = block_rates(reference, rec.fs_hz, n_blocks);
      for (const fecg::eval::MethodRunner& runner : runners) {
        const std::string m = runner.label();
        const fecg::PipelineResult out = runner.run(rec, roles, c.dataset + "_" + c.name);
        const std::vector<double> rate = block_rates(out.fetal_beats, rec.fs_hz, n_blocks);
        RecordScore s;
        s.f1 = fecg::score_beats(reference, out.fetal_beats, rec.fs_hz).f1;
        double err_sum = 0;
        int err_n = 0, covered = 0, wrong = 0;
        std::vector<int> window_blocks(out.quality.windows.size(), 0), window_bad(out.quality.windows.size(), 0);
        for (int k = 0; k < n_blocks; ++k) {
          const double r = ref_rate[static_cast<std::size_t>(k)];
          if (std::isnan(r)) continue;
          ++s.blocks;
          const double t = rate[static_cast<std::size_t>(k)];
          const bool bad = std::isnan(t) || std::abs(t - r) > kWrong_bpm;
          if (!std::isnan(t)) err_sum += std::abs(t - r), ++err_n;
          // The 10-s window that holds this 5-s block (both grids start at 0).
          const double mid_s = (k + 0.5) * kBlock_s;
          for (std::size_t w = 0; w < out.quality.windows.size(); ++w) {
            const fecg::QualityWindow& qw = out.quality.windows[w];
            if (mid_s < qw.start_s || mid_s >= qw.end_s) continue;
            ++window_blocks[w];
            window_bad[w] += bad ? 1 : 0;
            if (qw.reliable) {
              ++covered;
              wrong += bad ? 1 : 0;
            }
          }
        }
        if (err_n > 0) s.mae = err_sum / err_n;
        if (s.blocks > 0) s.coverage = static_cast<double>(covered) / s.blocks, s.wrong = static_cast<double>(wrong) / s.blocks;
        if (roles.reference >= 0) {
          fecg::LeadMatrix ref = rec.samples_uv.row(roles.reference);
          const fecg::PipelineParams defaults;
          fecg::sosfiltfilt_rows(fecg::butterworth_bandpass(4, defaults.highpass_hz, defaults.lowpass_hz, rec.fs_hz), ref);
          const auto window = static_cast<Eigen::Index>(4.096 * rec.fs_hz);
          for (Eigen::Index l = 0; l < out.fecg_uv.rows(); ++l) {
            const fecg::LeadMatrix lead = out.fecg_uv.row(l);
            const double r = fecg::eval::windowed_abs_correlation(ref.data(), lead.data(), ref.cols(), window);
            if (std::isnan(s.r_direct) || r > s.r_direct) s.r_direct = r;
          }
        }
        std::printf("%-14s %-5s %-12s %6.3f %8.2f %6.3f %6.3f %6.3f\n", c.dataset.c_str(), c.name.c_str(), m.c_str(),
                    s.f1, s.mae, s.coverage, s.wrong, s.r_direct);
        const bool poor = kPoorReferences.count(c.name) > 0;
        if (!poor) totals[c.dataset + "/" + m].add(s);
        json.begin_object().key("dataset").value(c.dataset).key("record").value(c.name).key("method").value(m)
            .key("f1").value(s.f1).key("fhr_trace_mae_bpm").value(std::isnan(s.mae) ? -1.0 : s.mae)
            .key("coverage").value(s.coverage).key("confidently_wrong").value(s.wrong).key("blocks").value(s.blocks)
            .key("poor_reference").value(poor).end_object();
        if (windows_csv.is_open()) {
          for (std::size_t w = 0; w < out.quality.windows.size() && w < out.fusion_windows.size(); ++w)
            write_window(c.dataset, c.name, m, w, out, window_blocks[w], window_blocks[w] > 0 && window_bad[w] == 0);
        }
      }
    } catch (const std::exception& e) {
      std::printf("%-14s %-5s error: %s\n", c.dataset.c_str(), c.name.c_str(), e.what());
    }
  }
  // Recordings without a fetus: no rate may be claimed reliable.
  std::map<std::string, std::pair<int, int>> null_claims;  // method: blocks claimed reliable, blocks
  if (n_null > 0 && filter.empty()) {
    const std::string nstdb_dir = data_dir + "/nstdb";
    const fecg::NoiseBank noise = std::filesystem::exists(nstdb_dir) ? fecg::load_nstdb(nstdb_dir) : fecg::NoiseBank{};
    for (int k = 0; k < n_null; ++k) {
      const std::string name = (k % 2 == 0 ? "noise" : "nofetus") + std::to_string(k / 2 + 1);
      try {
        const fecg::Recording rec = null_recording(k, noise);
        const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
        for (const fecg::eval::MethodRunner& runner : runners) {
          const std::string m = runner.label();
          const fecg::PipelineResult out = runner.run(rec, roles, "null_" + name);
          int claimed = 0, blocks = 0;
          for (std::size_t w = 0; w < out.quality.windows.size(); ++w) {
            const fecg::QualityWindow& qw = out.quality.windows[w];
            const int window_blocks = static_cast<int>(std::floor(qw.end_s / kBlock_s) - std::floor(qw.start_s / kBlock_s));
            blocks += window_blocks;
            claimed += qw.reliable ? window_blocks : 0;
            if (windows_csv.is_open() && w < out.fusion_windows.size())
              write_window("null", name, m, w, out, window_blocks, false);  // no fetus: no rate is right
          }
          null_claims[m].first += claimed;
          null_claims[m].second += blocks;
          std::printf("%-14s %-9s %-12s claimed reliable %d of %d blocks\n", "null", name.c_str(), m.c_str(), claimed,
                      blocks);
        }
      } catch (const std::exception& e) {
        std::printf("%-14s %-9s error: %s\n", "null", name.c_str(), e.what());
      }
    }
  }

  json.end_array().key("null").begin_array();
  for (const auto& [m, c] : null_claims) {
    json.begin_object().key("method").value(m).key("blocks_claimed_reliable").value(c.first).key("blocks").value(c.second)
        .end_object();
  }
  json.end_array().key("summary").begin_array();
  std::printf("\nsummary (Challenge less a33, a38, a47; r_dir: mean |r| of the fetal ECG with the scalp lead):\n"
              "%-26s %4s %6s %8s %9s %9s %6s\n", "dataset/method", "n", "F1", "MAE_bpm", "coverage", "conf.wrong", "r_dir");
  for (const auto& [key, t] : totals) {
    const double cov = t.blocks > 0 ? t.coverage_blocks / t.blocks : 0, wrong = t.blocks > 0 ? t.wrong_blocks / t.blocks : 0;
    const double r_direct = t.n_direct ? t.r_direct / t.n_direct : std::nan("");
    std::printf("%-26s %4d %6.3f %8.2f %9.3f %9.4f %6.3f\n", key.c_str(), t.n, t.f1 / t.n,
                t.n_mae ? t.mae / t.n_mae : -1.0, cov, wrong, r_direct);
    json.begin_object().key("group").value(key).key("n").value(t.n).key("f1").value(t.f1 / t.n)
        .key("fhr_trace_mae_bpm").value(t.n_mae ? t.mae / t.n_mae : -1.0).key("coverage").value(cov)
        .key("confidently_wrong").value(wrong).key("direct_corr").value(t.n_direct ? r_direct : -1.0).end_object();
  }
  json.end_array().end_object();
  for (const auto& [m, c] : null_claims)
    std::printf("%-26s %4d recordings without a fetus: %d of %d blocks claimed reliable\n", ("null/" + m).c_str(), n_null,
                c.first, c.second);
  try {
    fecg::eval::write_json_file(o.json_path, json.str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_reliability: %s\n", e.what());
    return 2;
  }
  return 0;
}
