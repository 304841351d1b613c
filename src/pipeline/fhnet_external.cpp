#include "pipeline/fhnet_external.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

namespace fecg {

namespace {

// Normalised inputs are O(1); identical code paths give identical floats, the tolerance only
// absorbs a text or float64 round trip on the way through another program.
constexpr float kInputTolerance = 1e-5f;

void check_batch(const char* who, const float* x, int batch, int leads) {
  if (x == nullptr) throw Error(std::string(who) + ": null input");
  if (batch < 1) throw Error(std::string(who) + ": batch " + std::to_string(batch) + ", expected >= 1");
  if (leads < 1 || leads > FhnetEngine::kMaxLeads)
    throw Error(std::string(who) + ": " + std::to_string(leads) + " leads, expected 1.." +
                std::to_string(FhnetEngine::kMaxLeads));
}

void shape_output(FhnetOutput& out, int batch, int leads, int window) {
  out.batch = batch;
  out.leads = leads;
  out.layers = 0;  // no attention coefficients from outside
  out.tokens = window / 8;
  out.fecg.resize(static_cast<Eigen::Index>(batch) * leads, window);
  out.rpeak_prob.resize(batch, window);
  out.lead_attention.clear();
  out.lead_weights.clear();
  out.lead_pool = false;
}

}  // namespace

std::size_t FhnetWindows::offset(std::size_t i) const {
  std::size_t o = 0;
  for (std::size_t j = 0; j < i && j < leads.size(); ++j) o += static_cast<std::size_t>(leads[j]) * window;
  return o;
}

int FhnetWindows::uniform_leads() const {
  if (leads.empty()) return 0;
  return std::all_of(leads.begin(), leads.end(), [&](int k) { return k == leads.front(); }) ? leads.front() : 0;
}

FhnetCapture::FhnetCapture(int window, double fs_hz) {
  if (window < 8 || window % 8) throw Error("FhnetCapture: window must be a positive multiple of 8, got " + std::to_string(window));
  if (!(fs_hz > 0)) throw Error("FhnetCapture: sampling rate must be positive");
  windows_.window = window;
  windows_.fs_hz = fs_hz;
}

void FhnetCapture::run_batch(const float* x, int batch, int leads, FhnetOutput& out) {
  check_batch("FhnetCapture", x, batch, leads);
  const std::size_t n = static_cast<std::size_t>(batch) * leads * windows_.window;
  windows_.x.insert(windows_.x.end(), x, x + n);
  windows_.leads.insert(windows_.leads.end(), static_cast<std::size_t>(batch), leads);
  shape_output(out, batch, leads, windows_.window);
  out.fecg.setZero();
  out.rpeak_prob.setZero();
}

FhnetReplay::FhnetReplay(FhnetWindows windows) : windows_(std::move(windows)) {
  const std::size_t w = windows_.n_windows();
  const std::size_t values = windows_.offset(w);
  if (w == 0) throw Error("FhnetReplay: no windows");
  for (std::size_t i = 0; i < w; ++i)
    if (windows_.leads[i] < 1 || windows_.leads[i] > kMaxLeads)
      throw Error("FhnetReplay: window " + std::to_string(i) + " has " + std::to_string(windows_.leads[i]) + " leads");
  if (windows_.x.size() != values)
    throw Error("FhnetReplay: inputs hold " + std::to_string(windows_.x.size()) + " values, the " + std::to_string(w) +
                " windows need " + std::to_string(values));
  if (windows_.fecg.size() != values)
    throw Error("FhnetReplay: fetal ECG outputs hold " + std::to_string(windows_.fecg.size()) + " values, the " +
                std::to_string(w) + " windows need " + std::to_string(values));
  if (windows_.rpeak_prob.size() != w * static_cast<std::size_t>(windows_.window))
    throw Error("FhnetReplay: R-peak probabilities hold " + std::to_string(windows_.rpeak_prob.size()) +
                " values, expected windows × window = " + std::to_string(w * static_cast<std::size_t>(windows_.window)));
  for (std::size_t i = 0; i < values; ++i)
    if (!std::isfinite(windows_.fecg[i]))
      throw Error("FhnetReplay: non-finite fetal ECG output in window " + std::to_string(i / windows_.window));
  for (std::size_t i = 0; i < windows_.rpeak_prob.size(); ++i) {
    const float p = windows_.rpeak_prob[i];
    if (!(p >= 0.0f && p <= 1.0f))
      throw Error("FhnetReplay: R-peak probability " + std::to_string(p) + " outside 0..1 in window " +
                  std::to_string(i / windows_.window) + " (probabilities, not logits, are expected)");
  }
}

void FhnetReplay::run_batch(const float* x, int batch, int leads, FhnetOutput& out) {
  check_batch("FhnetReplay", x, batch, leads);
  const int window = windows_.window;
  if (next_ + static_cast<std::size_t>(batch) > windows_.n_windows())
    throw Error("FhnetReplay: the pipeline asks for window " + std::to_string(next_ + batch - 1) + " but only " +
                std::to_string(windows_.n_windows()) + " were recorded (outputs of another recording or options?)");
  shape_output(out, batch, leads, window);
  for (int b = 0; b < batch; ++b) {
    const std::size_t i = next_ + static_cast<std::size_t>(b);
    if (windows_.leads[i] != leads)
      throw Error("FhnetReplay: window " + std::to_string(i) + " was recorded with " + std::to_string(windows_.leads[i]) +
                  " leads, the pipeline runs it with " + std::to_string(leads));
    const std::size_t o = windows_.offset(i);
    const float* got = x + static_cast<std::size_t>(b) * leads * window;
    for (std::size_t v = 0; v < static_cast<std::size_t>(leads) * window; ++v) {
      if (!(std::abs(got[v] - windows_.x[o + v]) <= kInputTolerance))
        throw Error("FhnetReplay: window " + std::to_string(i) + " differs from the recorded one at lead " +
                    std::to_string(v / window) + ", sample " + std::to_string(v % window) +
                    " (outputs of another recording or options?)");
    }
    for (int k = 0; k < leads; ++k)
      for (int t = 0; t < window; ++t)
        out.fecg(static_cast<Eigen::Index>(b) * leads + k, t) = windows_.fecg[o + static_cast<std::size_t>(k) * window + t];
    for (int t = 0; t < window; ++t)
      out.rpeak_prob(b, t) = windows_.rpeak_prob[i * static_cast<std::size_t>(window) + t];
  }
  next_ += static_cast<std::size_t>(batch);
}

void FhnetReplay::check_all_consumed(const std::string& who, const std::string& hint) const {
  if (next_ == windows_.n_windows()) return;
  throw Error(who + ": the network outputs hold " + std::to_string(windows_.n_windows()) +
              " windows, this recording and these options use " + std::to_string(next_) + " (" + hint + ")");
}

CapturedFhnetWindows capture_fhnet_windows(const Recording& rec, const LeadRoles& roles, PipelineParams params,
                                           int window, const ProgressFn& progress) {
  auto capture = std::make_shared<FhnetCapture>(window, params.analysis_fs_hz);
  params.method = Method::fhnet;
  params.candidate_pool = false;  // only the network's windows are wanted here
  params.fhnet_model = capture;
  const PipelineResult result = run_pipeline(rec, roles, params, progress);
  return {capture->windows(), static_cast<std::int64_t>(result.preprocessed.cols())};
}

}  // namespace fecg
