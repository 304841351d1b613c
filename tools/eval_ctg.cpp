// CTG features against simulated truth: on `fecg synth --fhr-scenario` recordings, the
// accelerations and decelerations found (matched to the truth by type and overlap, one to one)
// and the baseline, both from the true fetal beats (the CTG stage alone) and end to end through
// run_pipeline (detection errors included).
//
//   build/native/eval_ctg [--seeds 1-8] [--minutes 20] [--scenario mixed] [--method ts-ica]
//                         [--rate 500] [--nstdb DIR] [--verbose]   (default: the statistical noise model)
//
// Prints one row per recording and the totals: event F1 (and sensitivity / PPV), the absolute
// error of the baseline value (the median of our baseline curve against the mean of the true
// baseline curve) and the mean absolute error of the baseline curve itself (1 Hz, whole record).
#include "core/error.h"
#include "ctg/ctg.h"
#include "detect/fetal_range.h"
#include "detect/heart_rate.h"
#include "pipeline/pipeline.h"
#include "io/nstdb.h"
#include "synth/simulator.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct Interval {
  std::string type;
  double start_s, end_s;
};

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  double baseline_abs_sum = 0, curve_mae_sum = 0, baseline_abs_max = 0;
  int n_baselines = 0, n_records = 0;
  void add(const Counts& c) {
    tp += c.tp, fp += c.fp, fn += c.fn;
    baseline_abs_sum += c.baseline_abs_sum, curve_mae_sum += c.curve_mae_sum;
    baseline_abs_max = std::max(baseline_abs_max, c.baseline_abs_max);
    n_baselines += c.n_baselines, n_records += c.n_records;
  }
  double f1() const { return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0; }
};

std::vector<Interval> detected(const fecg::CtgAnalysis& ctg) {
  std::vector<Interval> out;
  if (ctg.accelerations)
    for (const auto& a : *ctg.accelerations) out.push_back({"acceleration", a.start_s, a.end_s});
  if (ctg.decelerations)
    for (const auto& d : *ctg.decelerations) out.push_back({"deceleration", d.start_s, d.end_s});
  return out;
}

// One-to-one greedy matching: each truth event takes the unmatched detection of its type that
// overlaps it most.
Counts score(const fecg::FhrTruth& truth, const fecg::CtgAnalysis& ctg, bool verbose) {
  Counts c;
  c.n_records = 1;
  std::vector<Interval> found = detected(ctg);
  std::vector<bool> used(found.size(), false);
  for (const fecg::FhrEventTruth& t : truth.events) {
    int best = -1;
    double best_overlap = 0;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (used[i] || found[i].type != t.type) continue;
      const double overlap = std::min(t.end_s, found[i].end_s) - std::max(t.start_s, found[i].start_s);
      if (overlap > best_overlap) best_overlap = overlap, best = static_cast<int>(i);
    }
    if (best >= 0) used[static_cast<std::size_t>(best)] = true, ++c.tp;
    else ++c.fn;
    if (best < 0 && verbose)
      std::printf("    missed %s %.1f-%.1f s (%.1f bpm)\n", t.type.c_str(), t.start_s, t.end_s, t.extreme_bpm);
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (used[i]) continue;
    ++c.fp;
    if (verbose) std::printf("    false %s %.1f-%.1f s\n", found[i].type.c_str(), found[i].start_s, found[i].end_s);
  }
  if (ctg.baseline_bpm) {
    const double err = std::abs(*ctg.baseline_bpm - truth.baseline_bpm);
    c.baseline_abs_sum = err;
    c.baseline_abs_max = err;
    c.n_baselines = 1;
    const std::vector<double>& curve = ctg.series.baseline_bpm;
    double sum = 0;
    int n = 0;
    for (std::size_t s = 0; s < truth.baseline_1hz_bpm.size(); ++s) {
      const auto k = static_cast<std::size_t>(std::llround(static_cast<double>(s) * ctg.series.rate_hz));
      if (k >= curve.size()) break;
      sum += std::abs(curve[k] - truth.baseline_1hz_bpm[s]);
      ++n;
    }
    c.curve_mae_sum = n ? sum / n : 0;
  }
  return c;
}

void print_row(const char* label, const Counts& c) {
  std::printf("  %-10s events TP %2d FP %2d FN %2d  F1 %.3f   baseline |err| %s   curve MAE %s\n", label, c.tp, c.fp,
              c.fn, c.f1(),
              c.n_baselines ? (std::to_string(c.baseline_abs_sum / c.n_baselines).substr(0, 5) + " bpm").c_str()
                            : "none     ",
              c.n_baselines ? (std::to_string(c.curve_mae_sum / c.n_baselines).substr(0, 5) + " bpm").c_str() : "none");
}

int run(int argc, char** argv) {
  int seed_lo = 1, seed_hi = 8;
  double minutes = 20, rate_hz = 500;
  std::string scenario = "mixed", method = "ts-ica", nstdb;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw fecg::Error(a + ": expected a value");
      return argv[++i];
    };
    if (a == "--seeds") {
      const std::string v = next();
      const auto dash = v.find('-');
      seed_lo = std::atoi(v.substr(0, dash).c_str());
      seed_hi = dash == std::string::npos ? seed_lo : std::atoi(v.substr(dash + 1).c_str());
    } else if (a == "--minutes") minutes = std::atof(next().c_str());
    else if (a == "--scenario") scenario = next();
    else if (a == "--method") method = next();
    else if (a == "--rate") rate_hz = std::atof(next().c_str());
    else if (a == "--nstdb") nstdb = next();
    else if (a == "--verbose") verbose = true;
    else throw fecg::Error("eval_ctg: unknown option " + a);
  }
  if (seed_lo < 0 || seed_hi < seed_lo || !(minutes > 0)) throw fecg::Error("eval_ctg: bad --seeds or --minutes");
  fecg::NoiseBank noise;
  if (!nstdb.empty() && nstdb != "none") noise = fecg::load_nstdb(nstdb);
  fecg::PipelineParams params;
  params.method = fecg::parse_method(method);
  if (params.method == fecg::Method::fhnet) throw fecg::Error("eval_ctg: fhnet needs a model; use a classical method");

  std::printf("eval_ctg: %s, %g min, seeds %d-%d, %g Hz, noise %s, pipeline method %s\n", scenario.c_str(), minutes,
              seed_lo, seed_hi, rate_hz, noise.empty() ? "statistical" : nstdb.c_str(), method.c_str());
  Counts truth_total, pipeline_total;
  for (int seed = seed_lo; seed <= seed_hi; ++seed) {
    fecg::SynthParams sp;
    sp.duration_s = minutes * 60.0;
    sp.fs_hz = rate_hz;
    sp.seed = static_cast<std::uint64_t>(seed);
    sp.fhr_scenario = fecg::parse_fhr_scenario(scenario);
    const fecg::SynthRecording sim = fecg::simulate(sp, noise);
    const double duration_s = sim.mixture.duration_s();

    const fecg::HeartRateSeries fhr = fecg::heart_rate(sim.fetal_peaks, rate_hz, params.fetal_hr);
    const fecg::HeartRateSeries mhr = fecg::heart_rate(sim.maternal_peaks, rate_hz, params.maternal_hr);
    const Counts on_truth = score(*sim.fhr_truth, fecg::analyze_ctg(fhr, mhr, duration_s), verbose);

    const auto t0 = std::chrono::steady_clock::now();
    const fecg::PipelineResult out = fecg::run_pipeline(sim.mixture, fecg::guess_lead_roles(sim.mixture), params);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Counts on_pipeline = score(*sim.fhr_truth, out.ctg, verbose);

    std::printf("seed %d: %zu true events, true baseline %.1f bpm; SNRfm %.1f dB, SNRmn %.1f dB; pipeline %.1f s, "
                "signal loss %.1f %%\n",
                seed, sim.fhr_truth->events.size(), sim.fhr_truth->baseline_bpm, sim.snr_fm_db, sim.snr_mn_db, s,
                out.ctg.signal_loss_pct);
    print_row("true beats", on_truth);
    print_row("pipeline", on_pipeline);
    truth_total.add(on_truth);
    pipeline_total.add(on_pipeline);
  }
  std::printf("total over %d recordings (targets: F1 >= 0.9, baseline within 3 bpm):\n", truth_total.n_records);
  print_row("true beats", truth_total);
  std::printf("             worst baseline |err| %.2f bpm, %d of %d with a baseline\n", truth_total.baseline_abs_max,
              truth_total.n_baselines, truth_total.n_records);
  print_row("pipeline", pipeline_total);
  std::printf("             worst baseline |err| %.2f bpm, %d of %d with a baseline\n", pipeline_total.baseline_abs_max,
              pipeline_total.n_baselines, pipeline_total.n_records);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_ctg: %s\n", e.what());
    return 1;
  }
}
