// Shared by the evaluation programs (eval_synthetic, eval_classical): how a method name becomes
// pipeline parameters, including FHNet on our engine (--model DIR) and networks run elsewhere
// (--dump-windows / --engine-outputs, pipeline/fhnet_external.h), so that every row of the
// evaluation table goes through the same pipeline, beat detector and scores. --hop N sets the
// FHNet windows' hop (default: the pipeline's), to measure what the overlap buys.
#pragma once

#include "core/error.h"
#include "core/json.h"
#include "io/fhnet_npy.h"
#include "model/fhnet.h"
#include "io/model_files.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace fecg::eval {

struct EvalOptions {
  std::vector<std::string> methods{"ts", "ica", "ts-ica"};
  std::string model_dir;        // "fhnet": our engine with these files
  std::string dump_dir;         // capture the FHNet windows of every record into dump_dir/<key>/x.npy
  std::string outputs_dir;      // "external": replay dump_dir-style outputs from outputs_dir/<key>/
  std::string engine_name = "external";
  std::string json_path;        // machine-readable results
  int hop = 0;                  // FHNet window hop at 250 Hz (0: the pipeline's default)
};

inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Parses the options common to both programs; returns false (and leaves `i`) for an unknown one.
inline bool parse_eval_option(int argc, char** argv, int& i, EvalOptions& o) {
  const std::string a = argv[i];
  auto next = [&]() -> std::string {
    if (i + 1 >= argc) throw Error(a + ": expected a value");
    return argv[++i];
  };
  if (a == "--methods") o.methods = split_list(next());
  else if (a == "--model") o.model_dir = next();
  else if (a == "--dump-windows") o.dump_dir = next();
  else if (a == "--engine-outputs") o.outputs_dir = next();
  else if (a == "--engine-name") o.engine_name = next();
  else if (a == "--json") o.json_path = next();
  else if (a == "--hop") {
    const std::string v = next();
    o.hop = std::atoi(v.c_str());
    if (o.hop < 1 || o.hop > 1024) throw Error("--hop: expected 1..1024 samples, got '" + v + "'");
  } else return false;
  return true;
}

// One configured method: its label in the table and the pipeline parameters, built per record
// (a replay engine holds one record's outputs).
class MethodRunner {
 public:
  // A name is a method alone ("ts", "ica", "ts-ica", "fhnet": our engine, "external": outputs
  // replayed from --engine-outputs), or the same with "-pool": the method in the candidate pool
  // with the classical methods, chosen per window (PipelineParams::candidate_pool), as the CLI and
  // the page run it. Labels: the name, with "external" replaced by the engine name.
  MethodRunner(std::string name, const EvalOptions& o) : o_(o) {
    const std::string suffix = "-pool";
    pooled_ = name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    base_ = pooled_ ? name.substr(0, name.size() - suffix.size()) : name;
    if (base_ == "fhnet") {
      if (o.model_dir.empty()) throw Error("method fhnet needs --model DIR");
      model_ = std::make_shared<FhnetModel>(load_fhnet_model_dir(o.model_dir));
    } else if (base_ == "external") {
      if (o.outputs_dir.empty()) throw Error("method " + name + " needs --engine-outputs DIR");
    } else {
      parse_method(base_);  // throws on an unknown name
    }
  }
  std::string label() const { return (base_ == "external" ? o_.engine_name : base_) + (pooled_ ? "-pool" : ""); }

  PipelineResult run(const Recording& rec, const LeadRoles& roles, const std::string& key) const {
    PipelineParams params;
    params.candidate_pool = pooled_;
    if (o_.hop > 0) params.fhnet.hop = o_.hop;
    if (base_ == "fhnet") {
      params.method = Method::fhnet;
      params.fhnet_model = model_;
      return run_pipeline(rec, roles, params);
    }
    if (base_ == "external") {
      params.method = Method::fhnet;
      const std::string dir = o_.outputs_dir + "/" + key;
      auto replay = std::make_shared<FhnetReplay>(read_fhnet_engine_outputs(dir, dir));
      params.fhnet_model = replay;
      PipelineResult r = run_pipeline(rec, roles, params);
      replay->check_all_consumed(dir, "recorded for another record or hop?");
      return r;
    }
    params.method = parse_method(base_);
    return run_pipeline(rec, roles, params);
  }

 private:
  std::string base_;
  bool pooled_ = false;
  const EvalOptions& o_;
  std::shared_ptr<FhnetModel> model_;
};

// Writes the FHNet windows of one record into dir/<key>/x.npy (the input of a network run elsewhere).
inline void dump_windows(const Recording& rec, const LeadRoles& roles, const std::string& dir, const std::string& key,
                         int hop = 0) {
  PipelineParams params;
  if (hop > 0) params.fhnet.hop = hop;
  const FhnetWindows w = capture_fhnet_windows(rec, roles, params).windows;
  if (w.uniform_leads() == 0) throw Error(key + ": lead groups of different sizes; not supported by --dump-windows");
  const std::filesystem::path out = std::filesystem::path(dir) / key;
  std::filesystem::create_directories(out);
  write_fhnet_windows(w, out.string());
}

struct Case {
  std::string dataset, name, signal_path, reference_path;
};

// The real records with reference fetal beats under data_dir: ADFECGDB (rNN.edf + rNN.edf.qrs)
// and Challenge 2013 set A (aNN.hea + aNN.fqrs), in name order; `filter` keeps "dataset/name"
// containing it.
inline std::vector<Case> find_cases(const std::string& data_dir, const std::string& filter) {
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

// Mean |Pearson r| over non-overlapping windows of `window` samples (windows with a flat signal
// skipped); NaN when no window counts.
inline double windowed_abs_correlation(const float* a, const float* b, Eigen::Index n, Eigen::Index window) {
  double sum = 0;
  int count = 0;
  for (Eigen::Index s = 0; s + window <= n; s += window) {
    double ma = 0, mb = 0;
    for (Eigen::Index i = s; i < s + window; ++i) { ma += a[i]; mb += b[i]; }
    ma /= static_cast<double>(window);
    mb /= static_cast<double>(window);
    double sab = 0, saa = 0, sbb = 0;
    for (Eigen::Index i = s; i < s + window; ++i) {
      const double da = a[i] - ma, db = b[i] - mb;
      sab += da * db; saa += da * da; sbb += db * db;
    }
    if (saa <= 0 || sbb <= 0) continue;
    sum += std::abs(sab / std::sqrt(saa * sbb));
    ++count;
  }
  return count > 0 ? sum / count : std::nan("");
}

inline void write_json_file(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  std::ofstream f(path, std::ios::trunc);
  if (!(f << text << "\n")) throw Error("cannot write " + path);
}

}  // namespace fecg::eval
