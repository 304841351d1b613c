// The class_ handles' methods (js_types.h).
#include "wasm/js_types.h"

#include "core/error.h"
#include "io/csv.h"
#include "io/wfdb.h"
#include "io/wfdb_annotations.h"
#include "pipeline/explain.h"
#include "wasm/boundary.h"
#include "wasm/convert.h"
#include "wasm/options.h"

#include <cstddef>
#include <string>
#include <vector>

namespace fecg::wasm {

using emscripten::val;

// ------------------------------------------------------------------------------------- Recording

val JsRecording::lead_names() const { return string_array(rec_.lead_names); }
val JsRecording::units() const { return string_array(rec_.units); }
val JsRecording::start_time() const { return rec_.start_time ? val(*rec_.start_time) : val::null(); }

val JsRecording::lead(int i) const {
  return guarded([&] {
    if (i < 0 || i >= rec_.n_leads())
      throw Error("Recording.lead: lead " + std::to_string(i) + " out of range (the recording has " +
                  std::to_string(rec_.n_leads()) + " leads, 0-based)");
    return float32_array(rec_.samples_uv.row(i).data(), static_cast<std::size_t>(rec_.n_samples()));
  });
}

val JsRecording::annotations() const { return annotations_to_js(rec_.annotations); }

val JsRecording::guess_roles() const {
  return guarded([&] { return roles_to_js(guess_lead_roles(rec_)); });
}

// ------------------------------------------------------------------------------------- FhnetModel

val JsFhnetModel::run(const val& x, int batch, int leads) {
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
    const std::vector<float> input = floats_from_js(x, "FhnetModel.run");
    model_->run_batch(input.data(), batch, leads, out_);
    return fhnet_output_to_js(out_);
  });
}

// Embind's class registry gives the C++ object behind a JS handle (the same lookup as for a
// `const JsFhnetModel&` argument); a value that is not a FhnetModel throws Embind's BindingError.
const JsFhnetModel& fhnet_model_from_js(const val& model) { return model.as<const JsFhnetModel&>(); }

// ---------------------------------------------------------------------------------------- Result

void JsResult::check_lead(int i, const char* where) const {
  if (i < 0 || i >= r_.fecg_uv.rows())
    throw Error(std::string(where) + ": lead " + std::to_string(i) + " out of range (the result has " +
                std::to_string(r_.fecg_uv.rows()) + " leads, 0-based)");
}

val JsResult::lead_names() const { return string_array(r_.lead_names); }
val JsResult::fecg(int i) const {
  return guarded([&] {
    check_lead(i, "Result.fecg");
    return float32_array(r_.fecg_uv.row(i).data(), static_cast<std::size_t>(r_.fecg_uv.cols()));
  });
}
val JsResult::preprocessed(int i) const {
  return guarded([&] {
    check_lead(i, "Result.preprocessed");
    return float32_array(r_.preprocessed.row(i).data(), static_cast<std::size_t>(r_.preprocessed.cols()));
  });
}
val JsResult::fetal_beats() const { return guarded([&] { return beats_array(r_.fetal_beats); }); }
val JsResult::maternal_beats() const { return guarded([&] { return beats_array(r_.maternal_beats); }); }
val JsResult::fhr() const { return fetal_rate_to_js(r_.fhr); }
val JsResult::mhr() const { return heart_rate_to_js(r_.mhr); }
val JsResult::ctg() const { return guarded([&] { return ctg_to_js(r_.ctg); }); }
val JsResult::rpeak_prob() const {
  return float32_array(r_.rpeak_prob.data(), static_cast<std::size_t>(r_.rpeak_prob.size()));
}
val JsResult::quality() const { return quality_to_js(r_.quality); }
val JsResult::timings() const { return timings_to_js(r_.timings); }
val JsResult::morphology() const { return morphology_to_js(r_.morphology); }

std::string JsResult::summary_json_js() const {
  return guarded([&] { return summary_json(r_, context_); });
}
val JsResult::fqrs_bytes() const {
  return guarded([&] { return bytes_to_js(encode_wfdb_annotations(beat_annotations(r_.fetal_beats))); });
}
val JsResult::mqrs_bytes() const {
  return guarded([&] { return bytes_to_js(encode_wfdb_annotations(beat_annotations(r_.maternal_beats))); });
}
std::string JsResult::fhr_csv() const {
  return guarded([&] { return heart_rate_csv(r_.fhr); });
}
std::string JsResult::ctg_csv_js() const {
  return guarded([&] { return ctg_csv(r_.ctg); });
}
std::string JsResult::fecg_csv() const {
  return guarded([&] {
    if (r_.fecg_uv.size() == 0 && !r_.lead_names.empty())
      throw Error("Result.fecgCsv: a streamed analysis keeps no fECG (it was handed out chunk by chunk)");
    return encode_csv(fecg_recording(r_));
  });
}
std::string JsResult::saliency_csv_js() const {
  return guarded([&] { return saliency_csv(r_); });
}

val JsResult::explanation() const {
  return explanation_to_js(r_.explanation, static_cast<int>(r_.lead_names.size()));
}

val JsResult::explain_window_js(int i, const val& options) {
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
    return window_explanation_to_js(w, i, r_.analysis_fs_hz);
  });
}

}  // namespace fecg::wasm
