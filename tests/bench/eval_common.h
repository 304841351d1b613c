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
#include "model/model_files.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"

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
  // "fhnet" and "external" measure the networks themselves (PipelineParams::fhnet_fallback off);
  // "fhnet-fallback" is our engine as the CLI and the page run it, falling back to TS-ICA on a
  // record where the network's beats follow the mother's; "external-fallback" the same with the
  // replayed outputs (label: the engine name + "-fallback").
  MethodRunner(std::string name, const EvalOptions& o) : name_(std::move(name)), o_(o) {
    if (name_ == "fhnet" || name_ == "fhnet-fallback") {
      if (o.model_dir.empty()) throw Error("method fhnet needs --model DIR");
      model_ = std::make_shared<FhnetModel>(load_fhnet_model_dir(o.model_dir));
    } else if (replayed()) {
      if (o.outputs_dir.empty()) throw Error("method " + name_ + " needs --engine-outputs DIR");
    } else {
      parse_method(name_);  // throws on an unknown name
    }
  }
  std::string label() const {
    if (name_ == "external") return o_.engine_name;
    return name_ == "external-fallback" ? o_.engine_name + "-fallback" : name_;
  }

  PipelineResult run(const Recording& rec, const LeadRoles& roles, const std::string& key) const {
    PipelineParams params;
    params.fhnet_fallback = name_ == "fhnet-fallback" || name_ == "external-fallback";
    if (o_.hop > 0) params.fhnet.hop = o_.hop;
    if (name_ == "fhnet" || name_ == "fhnet-fallback") {
      params.method = Method::fhnet;
      params.fhnet_model = model_;
      return run_pipeline(rec, roles, params);
    }
    if (replayed()) {
      params.method = Method::fhnet;
      const std::string dir = o_.outputs_dir + "/" + key;
      auto replay = std::make_shared<FhnetReplay>(read_fhnet_engine_outputs(dir, dir));
      params.fhnet_model = replay;
      PipelineResult r = run_pipeline(rec, roles, params);
      if (replay->consumed() != replay->size())
        throw Error(dir + ": " + std::to_string(replay->size()) + " windows recorded, the pipeline used " +
                    std::to_string(replay->consumed()));
      return r;
    }
    params.method = parse_method(name_);
    return run_pipeline(rec, roles, params);
  }

 private:
  bool replayed() const { return name_ == "external" || name_ == "external-fallback"; }

  std::string name_;
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

inline void write_json_file(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  std::ofstream f(path, std::ios::trunc);
  if (!(f << text << "\n")) throw Error("cannot write " + path);
}

}  // namespace fecg::eval
