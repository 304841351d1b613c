// The wave delineator (morph/delineate.h, Martínez et al. 2004) against the QT Database's first
// cardiologist (.q1c): per mark, the share of annotated marks it found and its error (ours −
// cardiologist's) in ms, pooled mean ± sd over all annotated beats and the mean over records of
// each record's sd (the s̄ of Martínez 2004, Table IV), beside the CSE tolerances (2 sd) and the
// targets of issue 14. R peaks: the record's .atr beats (the source database's labels), else
// detected (detect_maternal_qrs). Both leads, joined by the multilead rule.
//
//   build/native/eval_qtdb [--data ../shared/data/qtdb] [--records sel100,sel103] [--per-record]
#include "core/error.h"
#include "detect/qrs.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "morph/record_waves.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Stat {
  int annotated = 0, found = 0;
  std::vector<double> errors_ms;
  std::vector<double> record_sd_ms;
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}
double sd(const std::vector<double>& v) {
  if (v.size() < 2) return NAN;
  const double m = mean(v);
  double s = 0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "../shared/data/qtdb";
  std::vector<std::string> only;
  bool per_record = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) dir = argv[++i];
    else if (a == "--records" && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t p = 0; p != std::string::npos;) {
        const size_t q = list.find(',', p);
        only.push_back(list.substr(p, q == std::string::npos ? q : q - p));
        p = q == std::string::npos ? q : q + 1;
      }
    } else if (a == "--per-record") per_record = true;
    else {
      std::fprintf(stderr, "usage: eval_qtdb [--data DIR] [--records a,b] [--per-record]\n");
      return 2;
    }
  }
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "eval_qtdb: %s is not a directory (give --data)\n", dir.c_str());
    return 2;
  }
  std::vector<std::string> records;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".q1c") records.push_back(e.path().stem().string());
  std::sort(records.begin(), records.end());
  if (!only.empty()) records = only;

  const std::vector<std::pair<const char*, fecg::WaveMark fecg::BeatWaves::*>> marks = {
      {"P on", &fecg::BeatWaves::p_on},     {"P peak", &fecg::BeatWaves::p_peak}, {"P end", &fecg::BeatWaves::p_off},
      {"QRS on", &fecg::BeatWaves::qrs_on}, {"QRS end", &fecg::BeatWaves::qrs_off},
      {"T peak", &fecg::BeatWaves::t_peak}, {"T end", &fecg::BeatWaves::t_off}};
  std::map<std::string, Stat> stats;
  const auto t0 = std::chrono::steady_clock::now();
  int n_records = 0;
  for (const auto& name : records) {
    const std::string base = dir + "/" + name;
    try {
      const fecg::Recording rec = fecg::read_record(base + ".hea");
      const auto ref = fecg::wave_marks_from_annotations(fecg::read_wfdb_annotations(base + ".q1c").annotations);
      fecg::BeatIndices beats;
      if (fs::exists(base + ".atr")) beats = fecg::beat_samples(fecg::read_wfdb_annotations(base + ".atr").annotations);
      if (beats.size() < 2) beats = fecg::detect_maternal_qrs(rec.samples_uv, rec.fs_hz);
      std::vector<int> rows;
      for (int l = 0; l < rec.n_leads(); ++l) rows.push_back(l);
      const fecg::RecordWaves ours = fecg::delineate_record(rec, rows, beats);
      std::vector<double> r;
      for (const auto& b : ours.beats) r.push_back(b.r_given);
      std::map<std::string, std::vector<double>> record_errors;
      for (const auto& rb : ref) {
        const auto it = std::lower_bound(r.begin(), r.end(), rb.r_given);
        int best = -1;
        for (const auto c : {it - r.begin() - 1, it - r.begin()})
          if (c >= 0 && c < static_cast<long>(r.size()) &&
              std::abs(r[static_cast<size_t>(c)] - rb.r_given) <= 0.15 * rec.fs_hz &&
              (best < 0 || std::abs(r[static_cast<size_t>(c)] - rb.r_given) < std::abs(r[static_cast<size_t>(best)] - rb.r_given)))
            best = static_cast<int>(c);
        for (const auto& [label, m] : marks) {
          if (!(rb.*m).sample) continue;
          Stat& s = stats[label];
          ++s.annotated;
          if (best < 0 || !(ours.beats[static_cast<size_t>(best)].*m).sample) continue;
          ++s.found;
          const double e = (*(ours.beats[static_cast<size_t>(best)].*m).sample - *(rb.*m).sample) * 1000.0 / rec.fs_hz;
          s.errors_ms.push_back(e);
          record_errors[label].push_back(e);
        }
      }
      for (auto& [label, e] : record_errors)
        if (e.size() >= 2) stats[label].record_sd_ms.push_back(sd(e));
      if (per_record) {
        std::printf("%-8s", name.c_str());
        for (const auto& [label, m] : marks) {
          const auto& e = record_errors[label];
          std::printf("  %s %+.0f±%.0f", label, mean(e), sd(e));
        }
        std::printf("\n");
      }
      ++n_records;
    } catch (const fecg::Error& e) {
      std::fprintf(stderr, "eval_qtdb: %s: %s\n", name.c_str(), e.what());
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // CSE tolerances (2 sd, the CSE Working Party 1985, as quoted by Martínez 2004) and the sd
  // targets of issue 14 (about the published wavelet delineator's).
  const std::map<std::string, std::pair<double, double>> targets = {
      {"P on", {10.2, 18}}, {"P end", {12.7, 16}}, {"QRS on", {6.5, 10}}, {"QRS end", {11.6, 12}}, {"T end", {30.6, 25}}};
  std::printf("QT Database, %d records (%s), %.1f s\n", n_records, dir.c_str(), seconds);
  std::printf("%-8s %9s %8s %16s %10s %9s %10s\n", "mark", "annotated", "found%", "error ms m±sd", "mean rec sd",
              "CSE 2sd", "target sd");
  for (const auto& [label, m] : marks) {
    const Stat& s = stats[label];
    const auto t = targets.find(label);
    std::printf("%-8s %9d %7.1f%% %+7.1f ± %5.1f %10.1f", label, s.annotated,
                s.annotated ? 100.0 * s.found / s.annotated : NAN, mean(s.errors_ms), sd(s.errors_ms),
                mean(s.record_sd_ms));
    if (t != targets.end()) std::printf(" %9.1f %10.0f\n", t->second.first, t->second.second);
    else std::printf(" %9s %10s\n", "-", "-");
  }
  return 0;
}
