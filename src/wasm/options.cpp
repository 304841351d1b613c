// JS options objects → the core's parameter structs (options.h).
#include "wasm/options.h"

#include "core/error.h"
#include "model/fhnet.h"
#include "wasm/boundary.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <utility>

#ifndef FECG_VERSION
#define FECG_VERSION "0.0.0"
#endif

namespace fecg::wasm {

using emscripten::val;

// ------------------------------------------------------------------------------------ Options

Options::Options(const val& object, std::string where, const std::vector<std::string>& known)
    : object_(object), where_(std::move(where)) {
  if (object_.isUndefined() || object_.isNull()) return;
  if (object_.typeOf().as<std::string>() != "object")
    throw Error(where_ + ": expected an options object, got " + object_.typeOf().as<std::string>());
  const val keys = val::global("Object").call<val>("keys", object_);
  const auto n = keys["length"].as<std::size_t>();
  for (std::size_t i = 0; i < n; ++i) {
    const auto key = keys[i].as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(where_ + ": unknown option '" + key + "' (known: " + list + ")");
    }
  }
}

bool Options::has(const char* name) const {
  return !object_.isUndefined() && !object_.isNull() && !object_[name].isUndefined() && !object_[name].isNull();
}

double Options::number(const char* name) const {
  const val v = object_[name];
  if (!v.isNumber()) throw Error(where_ + ": option '" + name + "' must be a number, got " + v.typeOf().as<std::string>());
  const double x = v.as<double>();
  if (!std::isfinite(x)) throw Error(where_ + ": option '" + name + "' must be finite");
  return x;
}

int Options::integer(const char* name, int lo, int hi) const {
  const double x = number(name);
  if (x != std::floor(x) || x < lo || x > hi)
    throw Error(where_ + ": option '" + name + "' must be an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + std::to_string(x));
  return static_cast<int>(x);
}

std::string Options::string(const char* name) const {
  const val v = object_[name];
  if (!v.isString()) throw Error(where_ + ": option '" + name + "' must be a string, got " + v.typeOf().as<std::string>());
  return v.as<std::string>();
}

bool Options::boolean(const char* name) const {
  const val v = object_[name];
  if (v.typeOf().as<std::string>() != "boolean")
    throw Error(where_ + ": option '" + name + "' must be a boolean, got " + v.typeOf().as<std::string>());
  return v.as<bool>();
}

// ------------------------------------------------------------------------------- the pipeline

PipelineRequest read_pipeline_request(const Recording& rec, const Options& opts, const std::string& where) {
  PipelineRequest req;
  PipelineParams& params = req.params;
  if (opts.has("method")) params.method = parse_method(opts.string("method"));
  if (opts.has("candidatePool")) params.candidate_pool = opts.boolean("candidatePool");
  if (opts.has("powerlineHz")) {
    params.powerline_hz = opts.number("powerlineHz");
    try {
      validate_fields(params);
    } catch (const Error& e) {
      throw Error(where + ": option 'powerlineHz': " + e.what());
    }
  }
  LeadRoles& roles = req.roles;
  roles = opts.has("abdominal") || opts.has("reference") ? LeadRoles{} : guess_lead_roles(rec);
  if (opts.has("abdominal")) {
    const val list = opts.get("abdominal");
    if (!list["length"].isNumber()) throw Error(where + ": option 'abdominal' must be an array of lead indices");
    const auto n = list["length"].as<std::size_t>();
    for (std::size_t i = 0; i < n; ++i) {
      const val item = list[i];
      const double v = item.isNumber() ? item.as<double>() : -1;
      if (v != std::floor(v) || v < 0 || v >= rec.n_leads())
        throw Error(where + ": abdominal[" + std::to_string(i) + "] is not a lead index in [0, " +
                    std::to_string(rec.n_leads()) + ")");
      roles.abdominal.push_back(static_cast<int>(v));
    }
  } else if (opts.has("reference")) {
    roles.abdominal = guess_lead_roles(rec).abdominal;
  }
  if (opts.has("reference")) roles.reference = opts.integer("reference", -1, rec.n_leads() - 1);
  if (roles.abdominal.empty()) throw Error(where + ": no abdominal lead chosen");
  ReportContext& context = req.context;
  context.record_name = opts.has("recordName") ? opts.string("recordName") : "recording";
  context.duration_s = rec.duration_s();
  context.version = FECG_VERSION;
  if (roles.reference >= 0) context.reference_lead = rec.lead_names[static_cast<std::size_t>(roles.reference)];
  if (opts.has("gestationalWeeks")) {
    const double w = opts.number("gestationalWeeks");
    if (w < 10 || w > 45) throw Error(where + ": option 'gestationalWeeks' must be 10..45 weeks");
    params.morphology.gestational_weeks = w;
  }
  return req;
}

ExplainParams read_explain_options(const val& options, const std::string& where, ExplainParams defaults) {
  const Options opts(options, where, {"leadAttention", "leadOcclusion", "saliency", "saliencySegment"});
  if (opts.has("leadAttention")) defaults.lead_attention = opts.boolean("leadAttention");
  if (opts.has("leadOcclusion")) defaults.lead_occlusion = opts.boolean("leadOcclusion");
  if (opts.has("saliency")) defaults.saliency = opts.boolean("saliency");
  if (opts.has("saliencySegment")) defaults.saliency_segment = opts.integer("saliencySegment", 1, 1 << 20);
  return defaults;
}

ProgressFn read_progress(const val& on_progress, const std::string& where) {
  if (on_progress.isUndefined() || on_progress.isNull()) return {};
  if (on_progress.typeOf().as<std::string>() != "function")
    throw Error(where + ": onProgress must be a function (fraction, stage) → boolean");
  // Anything but an explicit `false` continues, so a callback that returns nothing is fine.
  // The call goes through a JS helper of src/wasm/pre.js that catches what the callback
  // throws, so that the error unwinds the C++ stack as a C++ exception (destructors run).
  return [&on_progress, where](double fraction, const std::string& stage) {
    const val answer = val::module_property("__fecgCallProgress")(on_progress, val(fraction), val(stage));
    if (answer.isString()) throw Error(where + ": " + answer.as<std::string>());
    return answer.as<int>() == 1;
  };
}

FhnetWindows read_engine_outputs(const val& object) {
  const Options opts(object, "analyze(engineOutputs)", {"x", "leads", "window", "fsHz", "nWindows", "fecg", "rpeakProb"});
  for (const char* name : {"x", "leads", "fecg", "rpeakProb"})
    if (!opts.has(name))
      throw Error(std::string("analyze(engineOutputs): missing '") + name +
                  "' (pass the windows of captureFhnetWindows() with the network's fecg and rpeakProb)");
  FhnetWindows w;
  if (opts.has("window")) w.window = opts.integer("window", 8, 1 << 16);
  if (opts.has("fsHz")) w.fs_hz = opts.number("fsHz");
  const val leads = opts.get("leads");
  if (!leads["length"].isNumber()) throw Error("analyze(engineOutputs): 'leads' must be an array of lead counts");
  const auto n = leads["length"].as<std::size_t>();
  w.leads.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const val item = leads[i];
    const double v = item.isNumber() ? item.as<double>() : 0;
    if (v != std::floor(v) || v < 1 || v > FhnetEngine::kMaxLeads)
      throw Error("analyze(engineOutputs): leads[" + std::to_string(i) + "] must be a lead count in 1.." +
                  std::to_string(FhnetEngine::kMaxLeads));
    w.leads[i] = static_cast<int>(v);
  }
  w.x = floats_from_js(opts.get("x"), "analyze(engineOutputs.x)");
  w.fecg = floats_from_js(opts.get("fecg"), "analyze(engineOutputs.fecg)");
  w.rpeak_prob = floats_from_js(opts.get("rpeakProb"), "analyze(engineOutputs.rpeakProb)");
  return w;
}

// --------------------------------------------------------------------- readers, stream, simulator

std::string lower_extension(const std::string& file_name) {
  const auto dot = file_name.find_last_of('.');
  std::string ext = dot == std::string::npos ? "" : file_name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

CsvOptions read_csv_options(const Options& opts) {
  CsvOptions csv;
  if (opts.has("fsHz")) {
    csv.fs_hz = opts.number("fsHz");
    if (*csv.fs_hz <= 0) throw Error("openRecording: option 'fsHz' must be > 0");
  }
  if (opts.has("units")) csv.units = opts.string("units");
  return csv;
}

StreamParams read_stream_params(const Options& opts) {
  StreamParams sp;
  if (opts.has("chunkS")) sp.chunk_s = opts.number("chunkS");
  return sp;
}

SynthParams read_synth_params(const val& options) {
  const Options opts(options, "simulate", {"seconds", "seed", "leads", "fsHz", "snrFmDb", "snrMnDb",
                                           "maternalBpm", "fetalBpm", "fhrScenario"});
  SynthParams params;
  if (opts.has("seconds")) params.duration_s = opts.number("seconds");
  if (opts.has("seed")) {
    const double seed = opts.number("seed");
    if (seed < 0 || seed != std::floor(seed) || seed > 9.0e15)
      throw Error("simulate: option 'seed' must be a non-negative integer");
    params.seed = static_cast<std::uint64_t>(seed);
  }
  if (opts.has("leads")) params.n_leads = opts.integer("leads", 1, 32);
  if (opts.has("fsHz")) params.fs_hz = opts.number("fsHz");
  if (opts.has("snrFmDb")) params.snr_fm_db = opts.number("snrFmDb");
  if (opts.has("snrMnDb")) params.snr_mn_db = opts.number("snrMnDb");
  if (opts.has("maternalBpm")) params.maternal_bpm = opts.number("maternalBpm");
  if (opts.has("fetalBpm")) params.fetal_bpm = opts.number("fetalBpm");
  if (opts.has("fhrScenario")) params.fhr_scenario = parse_fhr_scenario(opts.string("fhrScenario"));
  return params;
}

}  // namespace fecg::wasm
