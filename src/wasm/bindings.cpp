// The WebAssembly module: a thin, typed Embind shell around the core (the only file that includes
// <emscripten/bind.h>). Built by the `fecg_wasm` target of the wasm preset into build/wasm/fecg.js
// + fecg.wasm, an ES module factory (createFecgModule) for the web page, Web Workers and node.
// The JS API is typed in web/fecg.d.ts; in short:
//
//   import createFecgModule from './fecg.js';
//   const fecg = await createFecgModule({ wasmBinary });          // node: pass the .wasm bytes
//   const rec = fecg.openRecording(bytes, 'r01.edf', {});         // EDF or CSV ({fsHz, units})
//   const rec2 = fecg.openWfdb(heaText, { 'a01.dat': datBytes });  // or a Map name → Uint8Array
//   const roles = rec.guessRoles();                               // {abdominal: [0..3], reference: 4}
//   const res = fecg.analyze(rec, { method: 'ts-ica', ...roles }, (f, stage) => true);
//   res.fetalBeats();  res.fhr.bpmSmooth;  res.summaryJson();  res.fqrsBytes();
//   res.explanation().leadAttention;  res.explainWindow(7).saliency;  // method 'fhnet' only
//   res.delete();  rec.delete();                                  // class_ handles own C++ memory
//
// FHNet on another engine (ONNX Runtime Web) in two phases, through the same pipeline
// (pipeline/fhnet_external.h): capture the windows, run the network, replay its outputs.
//
//   const w = fecg.captureFhnetWindows(rec, { ...roles });        // {x, leads, window, fsHz, nWindows}
//   const { fecg: f, rpeakProb } = runNetworkElsewhere(w.x, w.leads);
//   const res2 = fecg.analyze(rec, { method: 'fhnet', ...roles, engineOutputs: { ...w, fecg: f, rpeakProb } });
//
// Conventions at the boundary:
// - Recording, Result and FhnetModel are class_ handles (the data stay in the WASM heap until
//   delete()); every array handed out is a fresh copy (Float32Array in µV, Int32Array of sample
//   indices, Float64Array of times/rates), so JS never holds a view that memory growth detaches.
// - Options arrive as plain JS objects and are read field by field (read_options below) rather
//   than as value_object: Embind 3.1.6 requires every field of a value_object to be present and
//   has no optional<>, while the API's options are optional with the core's documented defaults.
//   Unknown or mistyped fields are errors naming the field.
// - Every entry point catches what the core throws (fecg::Error, fecg::Cancelled, bad_alloc when
//   the 2 GB MAXIMUM_MEMORY is reached) and rethrows it as a JS Error carrying the message
//   (`name` "FecgError", "AbortError" for a cancel, "RangeError" for out of memory); the module
//   keeps working afterwards.
#include "core/error.h"
#include "core/recording.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/record_reader.h"
#include "io/wfdb.h"
#include "model/fhnet.h"
#include "model/sha256.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "pipeline/stream.h"
#include "synth/simulator.h"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#ifndef FECG_VERSION
#define FECG_VERSION "0.0.0"
#endif

namespace fecg::wasm {
namespace {

using emscripten::val;

// ------------------------------------------------------------------------- errors across the boundary

// Throws a JS Error. Called only once no C++ object with a destructor is alive in the caller's
// frame besides `message` (emptied here): a JS throw unwinds the WASM stack without running
// destructors.
[[noreturn]] void throw_js_error(std::string& message, const char* name) {
  val error = val::global("Error").new_(val(message));
  error.set("name", val(name));
  message.clear();
  message.shrink_to_fit();
  error.throw_();
}

// Runs `body` and turns any C++ exception into a JS Error with the same message.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  std::string message;
  const char* name = "FecgError";
  try {
    return body();
  } catch (const Cancelled& e) {
    message = e.what();
    name = "AbortError";
  } catch (const std::bad_alloc&) {
    message = "fecg: out of memory (the module is limited to 2 GB); try a shorter recording or fewer leads";
    name = "RangeError";
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "fecg: unknown C++ exception";
  }
  throw_js_error(message, name);
}

// ------------------------------------------------------------------------------ typed array copies

template <class T>
val copy_array(const char* js_type, const T* data, std::size_t n) {
  // `new Float32Array(view)` copies the view's elements into a fresh JS-owned buffer.
  return val::global(js_type).new_(emscripten::typed_memory_view(n, data));
}
val float32_array(const float* data, std::size_t n) { return copy_array("Float32Array", data, n); }
val float64_array(const std::vector<double>& v) { return copy_array("Float64Array", v.data(), v.size()); }

// Beats as an Int32Array: sample indices fit, since a recording that fits the 2 GB heap holds
// fewer than 2^29 samples per lead.
val beats_array(const BeatIndices& beats) {
  std::vector<std::int32_t> out(beats.size());
  for (std::size_t i = 0; i < beats.size(); ++i) {
    if (beats[i] < 0 || beats[i] > std::numeric_limits<std::int32_t>::max())
      throw Error("wasm: beat index " + std::to_string(beats[i]) + " does not fit an Int32Array");
    out[i] = static_cast<std::int32_t>(beats[i]);
  }
  return copy_array("Int32Array", out.data(), out.size());
}

val string_array(const std::vector<std::string>& strings) {
  val out = val::array();
  for (std::size_t i = 0; i < strings.size(); ++i) out.set(i, val(strings[i]));
  return out;
}

// Copies a Uint8Array (or any ArrayBuffer view of bytes) into the WASM heap.
std::vector<std::uint8_t> bytes_from_js(const val& bytes, const std::string& where) {
  if (!bytes.instanceof(val::global("Uint8Array")))
    throw Error(where + ": expected the file's bytes as a Uint8Array, got " + bytes.typeOf().as<std::string>());
  const auto n = bytes["length"].as<std::size_t>();
  std::vector<std::uint8_t> out(n);
  // No allocation between making the view and filling it, so memory growth cannot detach it.
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", bytes);
  return out;
}

val bytes_to_js(const std::vector<std::uint8_t>& bytes) { return copy_array("Uint8Array", bytes.data(), bytes.size()); }

// Sample indices from a JS array or typed array of numbers (non-negative integers).
BeatIndices beats_from_js(const val& array, const std::string& where) {
  if (array.isUndefined() || array.isNull() || !array["length"].isNumber())
    throw Error(where + ": expected an array of sample indices");
  const auto n = array["length"].as<std::size_t>();
  BeatIndices out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const val item = array[i];
    const double v = item.isNumber() ? item.as<double>() : std::nan("");
    if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v > 9.0e15)
      throw Error(where + ": element " + std::to_string(i) + " is not a non-negative integer sample index");
    out[i] = static_cast<std::int64_t>(v);
  }
  return out;
}

// ------------------------------------------------------------------------------------ option reading

// Reads the fields of a JS options object, refusing unknown names so that a typo ("fs_hz" for
// "fsHz") is an error instead of a silently ignored option.
class Options {
 public:
  Options(const val& object, std::string where, std::vector<std::string> known)
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
  bool has(const char* name) const {
    return !object_.isUndefined() && !object_.isNull() && !object_[name].isUndefined() && !object_[name].isNull();
  }
  val get(const char* name) const { return object_[name]; }
  double number(const char* name) const {
    const val v = object_[name];
    if (!v.isNumber()) throw Error(where_ + ": option '" + name + "' must be a number, got " + v.typeOf().as<std::string>());
    const double x = v.as<double>();
    if (!std::isfinite(x)) throw Error(where_ + ": option '" + name + "' must be finite");
    return x;
  }
  int integer(const char* name, int lo, int hi) const {
    const double x = number(name);
    if (x != std::floor(x) || x < lo || x > hi)
      throw Error(where_ + ": option '" + name + "' must be an integer in [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "], got " + std::to_string(x));
    return static_cast<int>(x);
  }
  std::string string(const char* name) const {
    const val v = object_[name];
    if (!v.isString()) throw Error(where_ + ": option '" + name + "' must be a string, got " + v.typeOf().as<std::string>());
    return v.as<std::string>();
  }

 private:
  val object_;
  std::string where_;
};

// ------------------------------------------------------------------------------------- Recording

std::string lower_extension(const std::string& file_name) {
  const auto dot = file_name.find_last_of('.');
  std::string ext = dot == std::string::npos ? "" : file_name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

class JsRecording {
 public:
  explicit JsRecording(Recording recording) : rec_(std::move(recording)) {}
  const Recording& recording() const { return rec_; }

  double fs_hz() const { return rec_.fs_hz; }
  int n_leads() const { return rec_.n_leads(); }
  double n_samples() const { return static_cast<double>(rec_.n_samples()); }
  double duration_s() const { return rec_.duration_s(); }
  val lead_names() const { return string_array(rec_.lead_names); }
  val units() const { return string_array(rec_.units); }
  val start_time() const { return rec_.start_time ? val(*rec_.start_time) : val::null(); }

  val lead(int i) const {
    return guarded([&] {
      check_lead(i, "Recording.lead");
      return float32_array(rec_.samples_uv.row(i).data(), static_cast<std::size_t>(rec_.n_samples()));
    });
  }
  val annotations() const {
    val out = val::array();
    for (std::size_t i = 0; i < rec_.annotations.size(); ++i) {
      val a = val::object();
      a.set("sample", val(static_cast<double>(rec_.annotations[i].sample)));
      a.set("label", val(rec_.annotations[i].label));
      out.set(i, a);
    }
    return out;
  }
  val guess_roles() const {
    return guarded([&] { return roles_to_js(guess_lead_roles(rec_)); });
  }
  static val roles_to_js(const LeadRoles& roles) {
    val out = val::object();
    val abdominal = val::array();
    for (std::size_t i = 0; i < roles.abdominal.size(); ++i) abdominal.set(i, val(roles.abdominal[i]));
    out.set("abdominal", abdominal);
    out.set("reference", val(roles.reference));
    return out;
  }
  void check_lead(int i, const char* where) const {
    if (i < 0 || i >= rec_.n_leads())
      throw Error(std::string(where) + ": lead " + std::to_string(i) + " out of range (the recording has " +
                  std::to_string(rec_.n_leads()) + " leads, 0-based)");
  }

 private:
  Recording rec_;
};

JsRecording open_recording(const val& bytes, const std::string& file_name, const val& options) {
  return guarded([&] {
    const Options opts(options, "openRecording", {"fsHz", "units"});
    const std::vector<std::uint8_t> data = bytes_from_js(bytes, "openRecording(" + file_name + ")");
    if (data.empty()) throw Error("openRecording: " + file_name + " is empty (0 bytes)");
    const std::string ext = lower_extension(file_name);
    // EDF's first field is the version "0" padded with spaces to 8 bytes (Kemp et al. 1992).
    const bool looks_edf = data.size() >= 8 && data[0] == '0' &&
                           std::all_of(data.begin() + 1, data.begin() + 8, [](std::uint8_t c) { return c == ' '; });
    if (ext == "hea" || ext == "dat")
      throw Error("openRecording: " + file_name + " is part of a WFDB record; open it with openWfdb(headerText, files)");
    if (ext == "edf" || ext == "bdf" || (ext != "csv" && ext != "txt" && looks_edf)) {
      if (ext == "bdf") throw Error("openRecording: " + file_name + " is BDF (24-bit); only EDF/EDF+ is supported");
      return JsRecording(parse_edf(data));
    }
    if (ext == "csv" || ext == "txt" || ext == "tsv") {
      CsvOptions csv;
      if (opts.has("fsHz")) {
        csv.fs_hz = opts.number("fsHz");
        if (*csv.fs_hz <= 0) throw Error("openRecording: option 'fsHz' must be > 0");
      }
      if (opts.has("units")) csv.units = opts.string("units");
      return JsRecording(parse_csv(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), csv));
    }
    throw Error("openRecording: cannot tell the format of '" + file_name +
                "': expected an .edf file (starting with version \"0       \") or a .csv file");
  });
}

JsRecording open_wfdb(const std::string& header_text, const val& files) {
  return guarded([&] {
    if (files.isUndefined() || files.isNull())
      throw Error("openWfdb: expected the signal files as a Map or an object name → Uint8Array");
    const bool is_map = files.instanceof(val::global("Map"));
    auto read_file = [&](const std::string& name) {
      const val bytes = is_map ? files.call<val>("get", name) : files[name];
      if (bytes.isUndefined() || bytes.isNull()) {
        const val keys = is_map ? val::global("Array").call<val>("from", files.call<val>("keys"))
                                : val::global("Object").call<val>("keys", files);
        throw Error("openWfdb: the header names the signal file '" + name + "' but it was not given (given: [" +
                    keys.call<std::string>("join", std::string(", ")) + "])");
      }
      return bytes_from_js(bytes, "openWfdb(" + name + ")");
    };
    return JsRecording(parse_wfdb_record(header_text, read_file));
  });
}

val encode_edf_js(const JsRecording& recording) {
  return guarded([&] { return bytes_to_js(encode_edf(recording.recording())); });
}

// WFDB annotation file (.qrs, .fqrs, .atr) → {samples: Int32Array of beat samples, labels}.
val parse_annotations(const val& bytes) {
  return guarded([&] {
    const WfdbAnnotations ann = parse_wfdb_annotations(bytes_from_js(bytes, "parseAnnotations"));
    val out = val::object();
    out.set("beats", beats_array(beat_samples(ann.annotations)));
    val all = val::array();
    for (std::size_t i = 0; i < ann.annotations.size(); ++i) {
      val a = val::object();
      a.set("sample", val(static_cast<double>(ann.annotations[i].sample)));
      a.set("label", val(ann.annotations[i].label));
      all.set(i, a);
    }
    out.set("annotations", all);
    out.set("timeResolutionHz", val(ann.time_resolution_hz));
    return out;
  });
}

val score_beats_js(const val& reference, const val& test, double fs_hz, const val& tolerance_s) {
  return guarded([&] {
    const double tol = tolerance_s.isNumber() ? tolerance_s.as<double>() : 0.05;
    const BeatScore s = score_beats(beats_from_js(reference, "scoreBeats(reference)"),
                                    beats_from_js(test, "scoreBeats(test)"), fs_hz, tol);
    val out = val::object();
    out.set("truePositives", val(s.true_positives));
    out.set("falsePositives", val(s.false_positives));
    out.set("falseNegatives", val(s.false_negatives));
    out.set("sensitivity", val(s.sensitivity));
    out.set("ppv", val(s.ppv));
    out.set("f1", val(s.f1));
    return out;
  });
}

// The heart-rate error of `test` beats against `reference` beats (eval/metrics.h score_heart_rate:
// 60 / RR compared at every reference RR midpoint both series cover). `n` = 0 when no instant is
// comparable: MAE and MSE are then null, not 0, so the page never shows an error it did not measure.
// The default method for a model card (JSON text; empty: no model), by the core's one rule
// (pipeline.h default_method, model/fhnet.h fhnet_card_trained): {trained, method}.
val default_method_js(const std::string& card_json) {
  return guarded([&] {
    const bool trained = !card_json.empty() && fhnet_card_trained(card_json);
    val out = val::object();
    out.set("trained", val(trained));
    out.set("method", val(method_name(default_method(trained))));
    return out;
  });
}

val score_heart_rate_js(const val& reference, const val& test, double fs_hz) {
  return guarded([&] {
    const HeartRateScore s = score_heart_rate(beats_from_js(reference, "scoreHeartRate(reference)"),
                                              beats_from_js(test, "scoreHeartRate(test)"), fs_hz);
    val out = val::object();
    out.set("n", val(s.n));
    out.set("maeBpm", s.n > 0 ? val(s.mae_bpm) : val::null());
    out.set("mseBpm2", s.n > 0 ? val(s.mse_bpm2) : val::null());
    return out;
  });
}

// ------------------------------------------------------------------------------------- FHNet model

class JsFhnetModel {
 public:
  explicit JsFhnetModel(std::shared_ptr<FhnetModel> model) : model_(std::move(model)) {}
  const std::shared_ptr<FhnetModel>& model() const { return model_; }
  double parameter_count() const { return static_cast<double>(model_->parameter_count()); }
  std::string weights_sha256() const { return model_->weights_sha256(); }
  int window() const { return model_->window(); }

  // One batch straight through the network (no pipeline): x is batch × leads × window floats,
  // normalised as in the card, row-major (the ONNX input layout). Returns the three outputs in
  // the ONNX layouts, so that the page can compare engines and plot the lead attention.
  val run(const val& x, int batch, int leads) {
    return guarded([&] {
      if (!x.instanceof(val::global("Float32Array")))
        throw Error("FhnetModel.run: expected x as a Float32Array");
      if (batch < 1 || leads < 1 || leads > FhnetModel::kMaxLeads)
        throw Error("FhnetModel.run: batch must be >= 1 and leads in 1.." + std::to_string(FhnetModel::kMaxLeads));
      const std::size_t want = static_cast<std::size_t>(batch) * static_cast<std::size_t>(leads) *
                               static_cast<std::size_t>(model_->window());
      const auto n = x["length"].as<std::size_t>();
      if (n != want)
        throw Error("FhnetModel.run: x has " + std::to_string(n) + " values, expected batch × leads × window = " +
                    std::to_string(want));
      std::vector<float> input(n);
      val(emscripten::typed_memory_view(n, input.data())).call<void>("set", x);
      model_->run_batch(input.data(), batch, leads, out_);
      val out = val::object();
      out.set("fecg", float32_array(out_.fecg.data(), static_cast<std::size_t>(out_.fecg.size())));
      out.set("rpeakProb", float32_array(out_.rpeak_prob.data(), static_cast<std::size_t>(out_.rpeak_prob.size())));
      out.set("leadAttention", float32_array(out_.lead_attention.data(), out_.lead_attention.size()));
      out.set("layers", val(out_.layers));
      out.set("tokens", val(out_.tokens));
      return out;
    });
  }

 private:
  std::shared_ptr<FhnetModel> model_;
  FhnetOutput out_;  // reused across run() calls (resized only when batch or leads change)
};

JsFhnetModel load_fhnet(const std::string& card_json, const val& weights) {
  return guarded([&] {
    const std::vector<std::uint8_t> bytes = bytes_from_js(weights, "loadFhnet(weights)");
    return JsFhnetModel(std::make_shared<FhnetModel>(FhnetModel::load(card_json, bytes.data(), bytes.size())));
  });
}

// ---------------------------------------------------------------------------------------- analyze

val heart_rate_to_js(const HeartRateSeries& s) {
  val out = val::object();
  out.set("timeS", float64_array(s.time_s));
  out.set("bpm", float64_array(s.bpm));
  out.set("bpmSmooth", float64_array(s.bpm_smooth));
  std::vector<std::uint8_t> outlier(s.is_outlier.begin(), s.is_outlier.end());
  out.set("isOutlier", copy_array("Uint8Array", outlier.data(), outlier.size()));
  const auto optional = [](const std::optional<double>& v) { return v ? val(*v) : val::null(); };
  out.set("meanBpm", optional(s.mean_bpm));
  out.set("minBpm", optional(s.min_bpm));
  out.set("maxBpm", optional(s.max_bpm));
  return out;
}

// The fetal rate: as above, plus per value whether it lies in a reliable window and, when none
// does, the summary's words (pipeline/report.h kNoReliableFhr).
val fetal_rate_to_js(const HeartRateSeries& s) {
  val out = heart_rate_to_js(s);
  std::vector<std::uint8_t> reliable(s.time_s.size(), 1);
  if (!s.reliable.empty()) reliable.assign(s.reliable.begin(), s.reliable.end());
  out.set("reliable", copy_array("Uint8Array", reliable.data(), reliable.size()));
  out.set("message", s.mean_bpm ? val::null() : val(std::string(kNoReliableFhr)));
  return out;
}

// result.ctg (web/fecg.d.ts CtgAnalysis): the 4 Hz series as typed arrays (NaN where not
// reliable) and the FIGO 2015 features, null with whyMissing[name] where not measurable.
val ctg_to_js(const CtgAnalysis& c) {
  auto optional = [](const std::optional<double>& v) { return v ? val(*v) : val::null(); };
  val series = val::object();
  series.set("rateHz", val(c.series.rate_hz));
  series.set("fhrBpm", float64_array(c.series.fhr_bpm));
  series.set("mhrBpm", float64_array(c.series.mhr_bpm));
  std::vector<std::uint8_t> reliable(c.series.reliable.begin(), c.series.reliable.end());
  series.set("reliable", copy_array("Uint8Array", reliable.data(), reliable.size()));
  series.set("baselineBpm", float64_array(c.series.baseline_bpm));
  val out = val::object();
  out.set("series", series);
  out.set("durationS", val(c.duration_s));
  out.set("baselineMethod", val(c.baseline_method));
  out.set("baselineBpm", optional(c.baseline_bpm));
  out.set("variabilityBpm", optional(c.variability_bpm));
  out.set("variabilityBand", c.variability_band ? val(*c.variability_band) : val::null());
  out.set("stvMs", optional(c.stv_ms));
  out.set("signalLossPct", val(c.signal_loss_pct));
  val accelerations = val::null(), decelerations = val::null();
  if (c.accelerations) {
    accelerations = val::array();
    for (std::size_t i = 0; i < c.accelerations->size(); ++i) {
      const CtgAcceleration& a = (*c.accelerations)[i];
      val e = val::object();
      e.set("startS", val(a.start_s));
      e.set("endS", val(a.end_s));
      e.set("peakBpm", val(a.peak_bpm));
      accelerations.set(i, e);
    }
  }
  if (c.decelerations) {
    decelerations = val::array();
    for (std::size_t i = 0; i < c.decelerations->size(); ++i) {
      const CtgDeceleration& d = (*c.decelerations)[i];
      val e = val::object();
      e.set("startS", val(d.start_s));
      e.set("endS", val(d.end_s));
      e.set("nadirBpm", val(d.nadir_bpm));
      e.set("depthBpm", val(d.depth_bpm));
      e.set("durationS", val(d.duration_s));
      e.set("lostBeats", val(d.lost_beats));
      e.set("prolonged", val(d.prolonged));
      decelerations.set(i, e);
    }
  }
  out.set("accelerations", accelerations);
  out.set("decelerations", decelerations);
  auto episodes = [](const std::optional<std::vector<CtgEpisode>>& list) {
    if (!list) return val::null();
    val arr = val::array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      val e = val::object();
      e.set("startS", val((*list)[i].start_s));
      e.set("endS", val((*list)[i].end_s));
      e.set("meanBaselineBpm", val((*list)[i].mean_baseline_bpm));
      arr.set(i, e);
    }
    return arr;
  };
  out.set("tachycardia", episodes(c.tachycardia));
  out.set("bradycardia", episodes(c.bradycardia));
  out.set("notClassified", string_array(c.not_classified));
  val why = val::object();
  if (!c.baseline_bpm) why.set("baselineBpm", val(c.baseline_why_missing));
  if (!c.variability_bpm) why.set("variabilityBpm", val(c.variability_why_missing));
  if (!c.stv_ms) why.set("stvMs", val(c.stv_why_missing));
  if (!c.accelerations) why.set("accelerations", val(c.events_why_missing));
  if (!c.decelerations) why.set("decelerations", val(c.events_why_missing));
  if (!c.tachycardia) why.set("tachycardia", val(c.episodes_why_missing));
  if (!c.bradycardia) why.set("bradycardia", val(c.episodes_why_missing));
  out.set("whyMissing", why);
  return out;
}

// Float32Array of a matrix's values, row-major (windows × leads, windows × window).
val matrix_array(const LeadMatrix& m) { return float32_array(m.data(), static_cast<std::size_t>(m.size())); }
val vector_array(const std::vector<float>& v) { return float32_array(v.data(), v.size()); }

// The explain options of analyze() and Result.explainWindow(): {leadAttention, leadOcclusion,
// saliency, saliencySegment}, each optional; `defaults` holds what is not given.
ExplainParams read_explain_options(const val& options, const std::string& where, ExplainParams defaults) {
  const Options opts(options, where, {"leadAttention", "leadOcclusion", "saliency", "saliencySegment"});
  auto flag = [&](const char* name, bool& out) {
    if (!opts.has(name)) return;
    const val v = opts.get(name);
    if (v.typeOf().as<std::string>() != "boolean")
      throw Error(where + ": option '" + name + "' must be a boolean, got " + v.typeOf().as<std::string>());
    out = v.as<bool>();
  };
  flag("leadAttention", defaults.lead_attention);
  flag("leadOcclusion", defaults.lead_occlusion);
  flag("saliency", defaults.saliency);
  if (opts.has("saliencySegment")) defaults.saliency_segment = opts.integer("saliencySegment", 1, 1 << 20);
  return defaults;
}

class JsResult {
 public:
  // `engine`: the network of a method 'fhnet' analysis (kept for explainWindow), else null.
  JsResult(PipelineResult result, ReportContext context, std::shared_ptr<FhnetEngine> engine = nullptr)
      : r_(std::move(result)), context_(std::move(context)), engine_(std::move(engine)) {}

  double fs_hz() const { return r_.fs_hz; }
  double analysis_fs_hz() const { return r_.analysis_fs_hz; }
  int n_leads() const { return static_cast<int>(r_.fecg_uv.rows()); }
  std::string method() const { return method_name(r_.method); }
  double powerline_hz() const { return r_.powerline_hz; }
  val lead_names() const { return string_array(r_.lead_names); }
  val fecg(int i) const {
    return guarded([&] {
      check_lead(i, "Result.fecg");
      return float32_array(r_.fecg_uv.row(i).data(), static_cast<std::size_t>(r_.fecg_uv.cols()));
    });
  }
  val preprocessed(int i) const {
    return guarded([&] {
      check_lead(i, "Result.preprocessed");
      return float32_array(r_.preprocessed.row(i).data(), static_cast<std::size_t>(r_.preprocessed.cols()));
    });
  }
  val fetal_beats() const { return guarded([&] { return beats_array(r_.fetal_beats); }); }
  val maternal_beats() const { return guarded([&] { return beats_array(r_.maternal_beats); }); }
  val fhr() const { return fetal_rate_to_js(r_.fhr); }
  val mhr() const { return heart_rate_to_js(r_.mhr); }
  val ctg() const { return guarded([&] { return ctg_to_js(r_.ctg); }); }
  val rpeak_prob() const { return float32_array(r_.rpeak_prob.data(), static_cast<std::size_t>(r_.rpeak_prob.size())); }
  val quality() const {
    const SignalQuality& q = r_.quality;
    val out = val::object();
    out.set("sqi", val(q.sqi));
    out.set("perLead", float32_array(q.lead_sqi.data(), q.lead_sqi.size()));
    val windows = val::array();
    for (std::size_t i = 0; i < q.windows.size(); ++i) {
      val w = val::object();
      w.set("startS", val(q.windows[i].start_s));
      w.set("endS", val(q.windows[i].end_s));
      w.set("sqi", val(q.windows[i].sqi));
      w.set("perLead", float32_array(q.windows[i].lead_sqi.data(), q.windows[i].lead_sqi.size()));
      w.set("reliable", val(q.windows[i].reliable));
      w.set("confidence", val(q.windows[i].confidence));
      w.set("whyUnreliable", val(q.windows[i].why_unreliable));
      w.set("source", val(q.windows[i].source));
      windows.set(i, w);
    }
    out.set("windows", windows);
    out.set("warnings", string_array(q.warnings));
    return out;
  }
  val timings() const {
    const StageTimings& t = r_.timings;
    val out = val::object();
    out.set("preprocessMs", val(t.preprocess_ms));
    out.set("maternalMs", val(t.maternal_ms));
    out.set("extractMs", val(t.extract_ms));
    out.set("fetalMs", val(t.fetal_ms));
    out.set("heartRateMs", val(t.heart_rate_ms));
    out.set("explainMs", val(t.explain_ms));
    out.set("outputMs", val(t.output_ms));
    out.set("totalMs", val(t.total_ms));
    return out;
  }
  // The morphology stage (morph/morphology.h): the averaged beat per lead (µV, time 0 at the R
  // peak), the marks on the measured lead in ms from R, the intervals with sd, null + reason where
  // not measured.
  val morphology() const {
    const Morphology& m = r_.morphology;
    const AverageBeat& a = m.average;
    const auto num = [](const std::optional<double>& v) { return v && std::isfinite(*v) ? val(*v) : val::null(); };
    val out = val::object();
    out.set("computed", val(m.why_missing.empty()));
    out.set("message", m.why_missing.empty() ? val::null() : val(m.why_missing));
    out.set("lead", m.lead >= 0 ? val(m.lead_name) : val::null());
    out.set("leadIndex", val(m.lead));
    out.set("nBeats", val(a.n_beats));
    out.set("fsHz", val(a.fs_hz));
    out.set("rIndex", val(a.r_index));
    out.set("rrMs", a.rr_s > 0 ? val(a.rr_s * 1000) : val::null());
    out.set("snrDb", m.lead >= 0 ? num(a.snr_db[static_cast<std::size_t>(m.lead)]) : val::null());
    val beats = val::array();
    for (Eigen::Index l = 0; l < a.beat_uv.rows(); ++l)
      beats.set(static_cast<unsigned>(l), float32_array(a.beat_uv.row(l).data(), static_cast<std::size_t>(a.beat_uv.cols())));
    out.set("beatUv", beats);
    val marks = val::object();
    const std::pair<const char*, const WaveMark*> wm[] = {
        {"pOn", &m.waves.p_on},     {"pPeak", &m.waves.p_peak}, {"pOff", &m.waves.p_off},
        {"qrsOn", &m.waves.qrs_on}, {"rPeak", &m.waves.r_peak}, {"qrsOff", &m.waves.qrs_off},
        {"tOn", &m.waves.t_on},     {"tPeak", &m.waves.t_peak}, {"tOff", &m.waves.t_off}};
    for (const auto& [name, w] : wm)
      marks.set(name, m.lead >= 0 && w->sample ? val((*w->sample - a.r_index) * 1000.0 / a.fs_hz) : val::null());
    out.set("fiducialsMs", marks);
    val intervals = val::array();
    const std::tuple<const char*, const char*, const Measurement*> q[] = {
        {"prMs", "PR", &m.pr_ms}, {"pMs", "P", &m.p_ms}, {"qrsMs", "QRS", &m.qrs_ms}, {"qtMs", "QT", &m.qt_ms},
        {"qtcBazettMs", "QTc (Bazett)", &m.qtc_bazett_ms}, {"qtcFridericiaMs", "QTc (Fridericia)", &m.qtc_fridericia_ms},
        {"tQrsRatio", "T/QRS", &m.t_qrs_ratio}};
    unsigned k = 0;
    for (const auto& [key, label, v] : q) {
      val item = val::object();
      item.set("key", val(std::string(key)));
      item.set("label", val(std::string(label)));
      item.set("value", num(v->value));
      item.set("sd", num(v->sd));
      item.set("whyMissing", v->value ? val::null() : val(v->why_missing));
      val published = val::null();
      for (const PublishedComparison& p : m.published) {
        const std::string jk = p.quantity == "pr_ms" ? "prMs" : p.quantity == "p_ms" ? "pMs" : p.quantity == "qrs_ms" ? "qrsMs"
                             : p.quantity == "qt_ms" ? "qtMs" : "qtcBazettMs";
        if (jk != key) continue;
        published = val::object();
        published.set("meanMs", val(p.published_mean_ms));
        published.set("differenceMs", num(p.difference_ms));
        published.set("outsidePublishedRange",
                      p.outside_published_range ? val(*p.outside_published_range) : val::null());
        published.set("whyNoRange", val(p.why_no_range));
        published.set("source", val(std::string("Chia et al. 2005")));
      }
      item.set("published", published);
      intervals.set(k++, item);
    }
    out.set("intervals", intervals);
    out.set("computeMs", val(m.compute_ms));
    return out;
  }
  std::string summary_json_js() const {
    return guarded([&] { return summary_json(r_, context_); });
  }
  val fqrs_bytes() const {
    return guarded([&] { return bytes_to_js(encode_wfdb_annotations(beat_annotations(r_.fetal_beats))); });
  }
  val mqrs_bytes() const {
    return guarded([&] { return bytes_to_js(encode_wfdb_annotations(beat_annotations(r_.maternal_beats))); });
  }
  std::string fhr_csv() const {
    return guarded([&] { return heart_rate_csv(r_.fhr); });
  }
  std::string ctg_csv_js() const {
    return guarded([&] { return ctg_csv(r_.ctg); });
  }
  std::string fecg_csv() const {
    return guarded([&] {
      if (r_.fecg_uv.size() == 0 && !r_.lead_names.empty())
        throw Error("Result.fecgCsv: a streamed analysis keeps no fECG (it was handed out chunk by chunk)");
      return encode_csv(fecg_recording(r_));
    });
  }
  std::string saliency_csv_js() const {
    return guarded([&] { return saliency_csv(r_); });
  }

  // The explain stage's result (pipeline/explain.h) as typed arrays; nWindows 0 unless method 'fhnet'.
  val explanation() const {
    const Explanation& e = r_.explanation;
    val out = val::object();
    out.set("fsHz", val(e.fs_hz));
    out.set("window", val(e.window));
    out.set("hop", val(e.hop));
    out.set("segment", val(e.segment));
    out.set("nWindows", val(e.n_windows()));
    out.set("nLeads", val(static_cast<int>(r_.lead_names.size())));
    std::vector<double> starts(e.window_starts.begin(), e.window_starts.end());
    out.set("windowStarts", float64_array(starts));
    out.set("leadAttention", matrix_array(e.lead_attention));
    out.set("leadOcclusion", matrix_array(e.lead_occlusion));
    out.set("occlusionFecgChange", matrix_array(e.occlusion_fecg_change));
    out.set("occlusionRpeakChange", matrix_array(e.occlusion_rpeak_change));
    out.set("saliency", float32_array(e.saliency.data(), static_cast<std::size_t>(e.saliency.size())));
    std::vector<std::int32_t> owner(e.saliency_window.begin(), e.saliency_window.end());
    out.set("saliencyWindow", copy_array("Int32Array", owner.data(), owner.size()));
    return out;
  }

  // Explains window i of a method 'fhnet' analysis now, with the analysis' own engine (lead
  // occlusion and saliency by default: 1 + K + 32 runs of the network).
  val explain_window_js(int i, const val& options) {
    return guarded([&] {
      const Explanation& e = r_.explanation;
      if (!engine_ || e.n_windows() == 0 || r_.preprocessed.cols() == 0)
        throw Error("Result.explainWindow: only an analysis with method 'fhnet' (not streamed) has windows to explain");
      if (i < 0 || i >= e.n_windows())
        throw Error("Result.explainWindow: window " + std::to_string(i) + " out of range (the analysis has " +
                    std::to_string(e.n_windows()) + " windows, 0-based)");
      ExplainParams defaults;
      defaults.lead_occlusion = true;
      defaults.saliency = true;
      const ExplainParams params = read_explain_options(options, "Result.explainWindow", defaults);
      const WindowExplanation w =
          explain_window(r_.preprocessed, e.window_starts[static_cast<std::size_t>(i)], *engine_, params);
      val out = val::object();
      out.set("index", val(i));
      out.set("start", val(static_cast<double>(w.start)));
      out.set("startS", val(static_cast<double>(w.start) / r_.analysis_fs_hz));
      out.set("window", val(w.window));
      out.set("segment", val(w.segment));
      out.set("leadAttention", vector_array(w.lead_attention));
      out.set("leadOcclusion", vector_array(w.lead_occlusion));
      out.set("occlusionFecgChange", vector_array(w.occlusion_fecg_change));
      out.set("occlusionRpeakChange", vector_array(w.occlusion_rpeak_change));
      out.set("saliency", vector_array(w.saliency));
      out.set("segmentFecgChange", vector_array(w.segment_fecg_change));
      out.set("segmentRpeakChange", vector_array(w.segment_rpeak_change));
      return out;
    });
  }
  val explain_window_1(int i) { return explain_window_js(i, val::undefined()); }

 private:
  void check_lead(int i, const char* where) const {
    if (i < 0 || i >= r_.fecg_uv.rows())
      throw Error(std::string(where) + ": lead " + std::to_string(i) + " out of range (the result has " +
                  std::to_string(r_.fecg_uv.rows()) + " leads, 0-based)");
  }
  PipelineResult r_;
  ReportContext context_;
  std::shared_ptr<FhnetEngine> engine_;
};

// What analyze() and captureFhnetWindows() share: lead roles, filters and the report's context.
struct PipelineRequest {
  PipelineParams params;
  LeadRoles roles;
  ReportContext context;
};

PipelineRequest read_pipeline_request(const Recording& rec, const Options& opts, const std::string& where) {
  PipelineRequest req;
  PipelineParams& params = req.params;
  if (opts.has("method")) params.method = parse_method(opts.string("method"));
  if (opts.has("candidatePool")) {
    const val v = opts.get("candidatePool");
    if (v.typeOf().as<std::string>() != "boolean")
      throw Error(where + ": option 'candidatePool' must be a boolean, got " + v.typeOf().as<std::string>());
    params.candidate_pool = v.as<bool>();
  }
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

// onProgress of analyze() and captureFhnetWindows(), or an empty function when none is given.
// `on_progress` must outlive the returned function (it is a parameter of the calling entry point).
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

// A Float32Array copied into the heap (the whole array at once: no per-element calls).
std::vector<float> floats_from_js(const val& array, const std::string& where) {
  if (!array.instanceof(val::global("Float32Array")))
    throw Error(where + ": expected a Float32Array, got " + array.typeOf().as<std::string>());
  const auto n = array["length"].as<std::size_t>();
  std::vector<float> out(n);
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", array);
  return out;
}

// analyze()'s options.engineOutputs: the windows captureFhnetWindows() returned, with the
// network's outputs for them (pipeline/fhnet_external.h FhnetWindows, in the ONNX layouts).
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

JsResult analyze(const JsRecording& recording, const val& options, const val& on_progress) {
  return guarded([&] {
    const Recording& rec = recording.recording();
    const Options opts(options, "analyze",
                       {"method", "abdominal", "reference", "powerlineHz", "model", "engineOutputs", "recordName",
                        "explain", "candidatePool", "gestationalWeeks"});
    PipelineRequest req = read_pipeline_request(rec, opts, "analyze");
    PipelineParams& params = req.params;
    std::shared_ptr<FhnetReplay> replay;
    if (params.method == Method::fhnet) {
      if (opts.has("model") == opts.has("engineOutputs"))
        throw Error("analyze: method 'fhnet' needs either options.model (a model from loadFhnet(cardJson, weights)) "
                    "or options.engineOutputs (outputs of another engine for captureFhnetWindows()'s windows)");
      if (opts.has("model")) {
        params.fhnet_model = opts.get("model").as<JsFhnetModel*>(emscripten::allow_raw_pointers())->model();
      } else {
        replay = std::make_shared<FhnetReplay>(read_engine_outputs(opts.get("engineOutputs")));
        params.fhnet_model = replay;
      }
    } else if (opts.has("model") || opts.has("engineOutputs")) {
      throw Error("analyze: options.model and options.engineOutputs are for method 'fhnet', not '" +
                  method_name(params.method) + "'");
    }
    if (opts.has("explain")) params.explain = read_explain_options(opts.get("explain"), "analyze: explain", params.explain);
    PipelineResult result = run_pipeline(rec, req.roles, params, read_progress(on_progress, "analyze"));
    // Fewer windows asked for than given: the outputs belong to another recording or options.
    if (replay)
      replay->check_all_consumed("analyze: engineOutputs",
                                 "capture them with captureFhnetWindows() on the same recording and options");
    return JsResult(std::move(result), std::move(req.context), params.method == Method::fhnet ? params.fhnet_model : nullptr);
  });
}

// The first phase of running FHNet on another engine (ONNX Runtime Web): the windows the pipeline
// would hand the network for this recording and these options, in the ONNX input layout.
val capture_fhnet_windows(const JsRecording& recording, const val& options, const val& on_progress) {
  return guarded([&] {
    const Recording& rec = recording.recording();
    const Options opts(options, "captureFhnetWindows",
                       {"method", "abdominal", "reference", "powerlineHz", "recordName", "window"});
    PipelineRequest req = read_pipeline_request(rec, opts, "captureFhnetWindows");
    if (opts.has("method") && req.params.method != Method::fhnet)
      throw Error("captureFhnetWindows: windows are captured for method 'fhnet', not '" + method_name(req.params.method) + "'");
    const int window = opts.has("window") ? opts.integer("window", 8, 1 << 16) : FhnetCapture::kDefaultWindow;
    const FhnetWindows w =
        capture_fhnet_windows(rec, req.roles, req.params, window, read_progress(on_progress, "captureFhnetWindows")).windows;
    val out = val::object();
    out.set("x", float32_array(w.x.data(), w.x.size()));
    out.set("leads", copy_array("Int32Array", w.leads.data(), w.leads.size()));
    out.set("window", val(w.window));
    out.set("fsHz", val(w.fs_hz));
    out.set("nWindows", val(static_cast<double>(w.n_windows())));
    return out;
  });
}

val sha256_hex_js(const val& bytes) {
  return guarded([&] {
    const std::vector<std::uint8_t> data = bytes_from_js(bytes, "sha256Hex");
    return val(sha256_hex(data.data(), data.size()));
  });
}

// ------------------------------------------------------------------------- streamed recordings

// A file read piece by piece through a JS source {size, read(offset, length) → Uint8Array}; in a
// Web Worker, read can be FileReaderSync over File.slice, so a 10-hour recording is never held
// whole, neither in JS nor in the WASM heap.
class JsByteSource final : public ByteSource {
 public:
  JsByteSource(val source, std::string name) : source_(std::move(source)), name_(std::move(name)) {
    if (source_.isUndefined() || source_.isNull() || !source_["size"].isNumber() ||
        source_["read"].typeOf().as<std::string>() != "function")
      throw Error("stream source for '" + name_ + "': expected {size: number, read(offset, length) → Uint8Array}");
    const double size = source_["size"].as<double>();
    if (!(size >= 0) || size != std::floor(size) || size > 9.0e15)
      throw Error("stream source for '" + name_ + "': size must be a non-negative integer");
    size_ = static_cast<std::int64_t>(size);
  }
  std::int64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  void read(std::int64_t offset, std::span<std::uint8_t> out) override {
    if (offset < 0 || static_cast<std::int64_t>(out.size()) > size_ - offset)
      throw Error("read: bytes [" + std::to_string(offset) + ", " + std::to_string(offset + static_cast<std::int64_t>(out.size())) +
                  ") are outside '" + name_ + "' of " + std::to_string(size_) + " bytes");
    // Through a pre.js helper that catches what read() throws (see __fecgCallProgress).
    const val bytes = val::module_property("__fecgCallRead")(source_, val(static_cast<double>(offset)),
                                                           val(static_cast<double>(out.size())));
    if (bytes.isString()) throw Error("reading '" + name_ + "': " + bytes.as<std::string>());
    if (!bytes.instanceof(val::global("Uint8Array")) || bytes["length"].as<std::size_t>() != out.size())
      throw Error("reading '" + name_ + "': read(" + std::to_string(offset) + ", " + std::to_string(out.size()) +
                  ") must return a Uint8Array of that many bytes");
    val(emscripten::typed_memory_view(out.size(), out.data())).call<void>("set", bytes);
  }

 private:
  val source_;
  std::string name_;
  std::int64_t size_ = 0;
};

class JsRecordingStream {
 public:
  explicit JsRecordingStream(std::unique_ptr<RecordReader> reader) : reader_(std::move(reader)) {}
  RecordReader& reader() const { return *reader_; }

  double fs_hz() const { return reader_->header().fs_hz; }
  int n_leads() const { return reader_->header().n_leads(); }
  double n_samples() const { return static_cast<double>(reader_->n_samples()); }
  double duration_s() const { return reader_->duration_s(); }
  val lead_names() const { return string_array(reader_->header().lead_names); }
  val units() const { return string_array(reader_->header().units); }
  val start_time() const {
    return reader_->header().start_time ? val(*reader_->header().start_time) : val::null();
  }
  val guess_roles() const {
    return guarded([&] { return JsRecording::roles_to_js(guess_lead_roles(reader_->header())); });
  }
  // Samples [start, start + count) of every lead: an array of Float32Array (µV), one per lead.
  val read(double start, double count) const {
    return guarded([&] {
      if (!(start >= 0) || !(count >= 0) || start != std::floor(start) || count != std::floor(count))
        throw Error("RecordingStream.read: start and count must be non-negative integers");
      const LeadMatrix block = reader_->read(static_cast<std::int64_t>(start), static_cast<std::int64_t>(count));
      val out = val::array();
      for (Eigen::Index i = 0; i < block.rows(); ++i)
        out.set(static_cast<unsigned>(i), float32_array(block.row(i).data(), static_cast<std::size_t>(block.cols())));
      return out;
    });
  }

 private:
  std::shared_ptr<RecordReader> reader_;  // shared: Embind copies class_ values it returns
};

JsRecordingStream open_recording_stream(const std::string& file_name, const val& source) {
  return guarded([&] {
    const std::string ext = lower_extension(file_name);
    if (ext != "edf")
      throw Error("openRecordingStream: " + file_name +
                  " is not an .edf file; only EDF (and WFDB records, with openWfdbStream) are read piece by piece");
    return JsRecordingStream(open_edf_reader(std::make_unique<JsByteSource>(source, file_name)));
  });
}

JsRecordingStream open_wfdb_stream(const std::string& header_text, const val& sources) {
  return guarded([&] {
    if (sources.isUndefined() || sources.isNull())
      throw Error("openWfdbStream: expected the signal files as a Map or an object name → {size, read}");
    const bool is_map = sources.instanceof(val::global("Map"));
    auto open_file = [&](const std::string& name) -> std::unique_ptr<ByteSource> {
      const val source = is_map ? sources.call<val>("get", name) : sources[name];
      if (source.isUndefined() || source.isNull())
        throw Error("openWfdbStream: the header names the signal file '" + name + "' but it was not given");
      return std::make_unique<JsByteSource>(source, name);
    };
    return JsRecordingStream(open_wfdb_reader(header_text, open_file));
  });
}

// The pipeline chunk by chunk (pipeline/stream.h). onChunk(chunk) receives each chunk's results
// as soon as they are final: {index, nChunks, start, end (samples), fecg: Float32Array per lead
// (µV, end - start samples), fetalBeats, maternalBeats (Int32Array, samples of the recording)};
// returning false cancels. The Result is the summary of the whole recording; it keeps no fECG.
JsResult analyze_stream(const JsRecordingStream& stream, const val& options, const val& on_progress,
                        const val& on_chunk) {
  return guarded([&] {
    RecordReader& reader = stream.reader();
    const Options opts(options, "analyzeStream",
                       {"method", "abdominal", "reference", "powerlineHz", "model", "recordName", "chunkS"});
    PipelineRequest req = read_pipeline_request(reader.header(), opts, "analyzeStream");
    req.context.duration_s = reader.duration_s();  // the header holds no samples
    if (req.params.method == Method::fhnet) {
      if (!opts.has("model"))
        throw Error("analyzeStream: method 'fhnet' needs options.model, a model from loadFhnet(cardJson, weights)");
      req.params.fhnet_model = opts.get("model").as<JsFhnetModel*>(emscripten::allow_raw_pointers())->model();
    }
    const ProgressFn progress = read_progress(on_progress, "analyzeStream");
    StreamParams sp;
    if (opts.has("chunkS")) sp.chunk_s = opts.number("chunkS");
    ChunkSink sink;
    if (!on_chunk.isUndefined() && !on_chunk.isNull()) {
      if (on_chunk.typeOf().as<std::string>() != "function")
        throw Error("analyzeStream: onChunk must be a function (chunk) → boolean");
      sink = [&on_chunk](const StreamChunk& c) {
        val chunk = val::object();
        chunk.set("index", val(c.index));
        chunk.set("nChunks", val(c.n_chunks));
        chunk.set("start", val(static_cast<double>(c.start)));
        chunk.set("end", val(static_cast<double>(c.end)));
        val leads = val::array();
        for (Eigen::Index i = 0; i < c.fecg_uv.rows(); ++i)
          leads.set(static_cast<unsigned>(i), float32_array(c.fecg_uv.row(i).data(), static_cast<std::size_t>(c.fecg_uv.cols())));
        chunk.set("fecg", leads);
        chunk.set("fetalBeats", beats_array(c.fetal_beats));
        chunk.set("maternalBeats", beats_array(c.maternal_beats));
        const val answer = val::module_property("__fecgCallChunk")(on_chunk, chunk);
        if (answer.isString()) throw Error("analyzeStream: " + answer.as<std::string>());
        if (answer.as<int>() != 1) throw Cancelled();
      };
    }
    PipelineResult result = run_pipeline_streaming(
        reader.header(), reader.n_samples(),
        [&reader](std::int64_t start, std::int64_t count) { return reader.read(start, count); }, req.roles, req.params,
        sp, sink, progress);
    return JsResult(std::move(result), std::move(req.context));
  });
}

// --------------------------------------------------------------------------------------- simulate

val simulate_js(const val& options) {
  return guarded([&] {
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
    SynthRecording sim = simulate(params);
    val out = val::object();
    val truth = val::array();
    for (Eigen::Index i = 0; i < sim.fetal_uv.rows(); ++i)
      truth.set(static_cast<unsigned>(i), float32_array(sim.fetal_uv.row(i).data(), static_cast<std::size_t>(sim.fetal_uv.cols())));
    out.set("fetalTruthLeads", truth);
    out.set("fetalPeaks", beats_array(sim.fetal_peaks));
    out.set("maternalPeaks", beats_array(sim.maternal_peaks));
    out.set("snrFmDb", val(sim.snr_fm_db));
    out.set("snrMnDb", val(sim.snr_mn_db));
    out.set("fetalBpm", val(sim.fetal_bpm));
    out.set("maternalBpm", val(sim.maternal_bpm));
    // fhrScenario: the truth as `fecg synth` writes it to PATH_truth.json (a JSON string); else null.
    out.set("fhrTruthJson", sim.fhr_truth ? val(fhr_truth_json(*sim.fhr_truth)) : val::null());
    // Last: the handle owns a copy of the mixture in the WASM heap (free it with delete()).
    out.set("recording", val(JsRecording(std::move(sim.mixture))));
    return out;
  });
}

std::string version() { return FECG_VERSION; }

// Embind calls need every declared argument; these shorter forms make the trailing ones optional.
JsRecording open_recording_2(const val& bytes, const std::string& file_name) {
  return open_recording(bytes, file_name, val::undefined());
}
JsResult analyze_2(const JsRecording& recording, const val& options) {
  return analyze(recording, options, val::undefined());
}
JsResult analyze_stream_2(const JsRecordingStream& stream, const val& options) {
  return analyze_stream(stream, options, val::undefined(), val::undefined());
}
JsResult analyze_stream_3(const JsRecordingStream& stream, const val& options, const val& on_progress) {
  return analyze_stream(stream, options, on_progress, val::undefined());
}
val capture_fhnet_windows_2(const JsRecording& recording, const val& options) {
  return capture_fhnet_windows(recording, options, val::undefined());
}
val score_beats_3(const val& reference, const val& test, double fs_hz) {
  return score_beats_js(reference, test, fs_hz, val::undefined());
}
val simulate_0() { return simulate_js(val::undefined()); }

}  // namespace
}  // namespace fecg::wasm

EMSCRIPTEN_BINDINGS(fecg) {
  using namespace emscripten;
  using namespace fecg::wasm;

  class_<JsRecording>("Recording")
      .property("fsHz", &JsRecording::fs_hz)
      .property("nLeads", &JsRecording::n_leads)
      .property("nSamples", &JsRecording::n_samples)
      .property("durationS", &JsRecording::duration_s)
      .function("leadNames", &JsRecording::lead_names)
      .function("units", &JsRecording::units)
      .function("startTime", &JsRecording::start_time)
      .function("lead", &JsRecording::lead)
      .function("annotations", &JsRecording::annotations)
      .function("guessRoles", &JsRecording::guess_roles);

  class_<JsFhnetModel>("FhnetModel")
      .property("parameterCount", &JsFhnetModel::parameter_count)
      .property("weightsSha256", &JsFhnetModel::weights_sha256)
      .property("window", &JsFhnetModel::window)
      .function("run", &JsFhnetModel::run);

  class_<JsResult>("Result")
      .property("fsHz", &JsResult::fs_hz)
      .property("analysisFsHz", &JsResult::analysis_fs_hz)
      .property("nLeads", &JsResult::n_leads)
      .property("method", &JsResult::method)
      .property("powerlineHz", &JsResult::powerline_hz)
      .property("fhr", &JsResult::fhr)
      .property("mhr", &JsResult::mhr)
      .property("ctg", &JsResult::ctg)
      .property("quality", &JsResult::quality)
      .property("timings", &JsResult::timings)
      .property("morphology", &JsResult::morphology)
      .function("leadNames", &JsResult::lead_names)
      .function("fecg", &JsResult::fecg)
      .function("preprocessed", &JsResult::preprocessed)
      .function("fetalBeats", &JsResult::fetal_beats)
      .function("maternalBeats", &JsResult::maternal_beats)
      .function("rpeakProb", &JsResult::rpeak_prob)
      .function("summaryJson", &JsResult::summary_json_js)
      .function("fqrsBytes", &JsResult::fqrs_bytes)
      .function("mqrsBytes", &JsResult::mqrs_bytes)
      .function("fhrCsv", &JsResult::fhr_csv)
      .function("ctgCsv", &JsResult::ctg_csv_js)
      .function("fecgCsv", &JsResult::fecg_csv)
      .function("saliencyCsv", &JsResult::saliency_csv_js)
      .function("explanation", &JsResult::explanation)
      .function("explainWindow", &JsResult::explain_window_js)
      .function("explainWindow", &JsResult::explain_window_1);

  class_<JsRecordingStream>("RecordingStream")
      .property("fsHz", &JsRecordingStream::fs_hz)
      .property("nLeads", &JsRecordingStream::n_leads)
      .property("nSamples", &JsRecordingStream::n_samples)
      .property("durationS", &JsRecordingStream::duration_s)
      .function("leadNames", &JsRecordingStream::lead_names)
      .function("units", &JsRecordingStream::units)
      .function("startTime", &JsRecordingStream::start_time)
      .function("guessRoles", &JsRecordingStream::guess_roles)
      .function("read", &JsRecordingStream::read);

  function("openRecordingStream", &open_recording_stream);
  function("openWfdbStream", &open_wfdb_stream);
  function("analyzeStream", &analyze_stream);
  function("analyzeStream", &analyze_stream_3);
  function("analyzeStream", &analyze_stream_2);
  function("openRecording", &open_recording);
  function("openRecording", &open_recording_2);
  function("openWfdb", &open_wfdb);
  function("encodeEdf", &encode_edf_js);
  function("parseAnnotations", &parse_annotations);
  function("scoreBeats", &score_beats_js);
  function("scoreBeats", &score_beats_3);
  function("scoreHeartRate", &score_heart_rate_js);
  function("defaultMethod", &default_method_js);
  function("loadFhnet", &load_fhnet);
  function("analyze", &analyze);
  function("analyze", &analyze_2);
  function("captureFhnetWindows", &capture_fhnet_windows);
  function("captureFhnetWindows", &capture_fhnet_windows_2);
  function("sha256Hex", &sha256_hex_js);
  function("simulate", &simulate_js);
  function("simulate", &simulate_0);
  function("version", &version);
}
