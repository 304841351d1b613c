// The module's functions (api.h).
#include "wasm/api.h"

#include "core/error.h"
#include "eval/metrics.h"
#include "io/csv.h"
#include "io/edf.h"
#include "io/wfdb.h"
#include "io/wfdb_annotations.h"
#include "model/fhnet.h"
#include "model/sha256.h"
#include "pipeline/fhnet_external.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"
#include "wasm/boundary.h"
#include "wasm/convert.h"
#include "wasm/options.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#ifndef FECG_VERSION
#define FECG_VERSION "0.0.0"
#endif

namespace fecg::wasm {

using emscripten::val;

// -------------------------------------------------------------------------------------- reading

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
    if (ext == "csv" || ext == "txt" || ext == "tsv")
      return JsRecording(parse_csv(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
                                   read_csv_options(opts)));
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

val parse_annotations(const val& bytes) {
  return guarded([&] {
    const WfdbAnnotations ann = parse_wfdb_annotations(bytes_from_js(bytes, "parseAnnotations"));
    val out = val::object();
    out.set("beats", beats_array(beat_samples(ann.annotations)));
    out.set("annotations", annotations_to_js(ann.annotations));
    out.set("timeResolutionHz", val(ann.time_resolution_hz));
    return out;
  });
}

// ------------------------------------------------------------------------------------- scoring

val score_beats_js(const val& reference, const val& test, double fs_hz, double tolerance_s) {
  return guarded([&] {
    return beat_score_to_js(score_beats(beats_from_js(reference, "scoreBeats(reference)"),
                                        beats_from_js(test, "scoreBeats(test)"), fs_hz, tolerance_s));
  });
}

val score_heart_rate_js(const val& reference, const val& test, double fs_hz) {
  return guarded([&] {
    return heart_rate_score_to_js(score_heart_rate(beats_from_js(reference, "scoreHeartRate(reference)"),
                                                   beats_from_js(test, "scoreHeartRate(test)"), fs_hz));
  });
}

// ------------------------------------------------------------------------------------ analysis

val default_method_js(const std::string& card_json) {
  return guarded([&] {
    const bool trained = !card_json.empty() && fhnet_card_trained(card_json);
    val out = val::object();
    out.set("trained", val(trained));
    out.set("method", val(method_name(default_method(trained))));
    return out;
  });
}

JsFhnetModel load_fhnet(const std::string& card_json, const val& weights) {
  return guarded([&] {
    const std::vector<std::uint8_t> bytes = bytes_from_js(weights, "loadFhnet(weights)");
    return JsFhnetModel(std::make_shared<FhnetModel>(FhnetModel::load(card_json, bytes.data(), bytes.size())));
  });
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
        params.fhnet_model = fhnet_model_from_js(opts.get("model")).model();
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

val capture_fhnet_windows(const JsRecording& recording, const val& options, const val& on_progress) {
  return guarded([&] {
    const Recording& rec = recording.recording();
    const Options opts(options, "captureFhnetWindows",
                       {"method", "abdominal", "reference", "powerlineHz", "recordName", "window"});
    PipelineRequest req = read_pipeline_request(rec, opts, "captureFhnetWindows");
    if (opts.has("method") && req.params.method != Method::fhnet)
      throw Error("captureFhnetWindows: windows are captured for method 'fhnet', not '" + method_name(req.params.method) + "'");
    const int window = opts.has("window") ? opts.integer("window", 8, 1 << 16) : FhnetCapture::kDefaultWindow;
    return fhnet_windows_to_js(
        capture_fhnet_windows(rec, req.roles, req.params, window, read_progress(on_progress, "captureFhnetWindows")).windows);
  });
}

// ----------------------------------------------------------------------------------------- misc

val sha256_hex_js(const val& bytes) {
  return guarded([&] {
    const std::vector<std::uint8_t> data = bytes_from_js(bytes, "sha256Hex");
    return val(sha256_hex(data.data(), data.size()));
  });
}

val simulate_js(const val& options) {
  return guarded([&] {
    SynthRecording sim = simulate(read_synth_params(options));
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

}  // namespace fecg::wasm
