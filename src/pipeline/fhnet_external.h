// FHNet-style networks run outside our engine, through the same pipeline: the pipeline's windows
// are recorded (FhnetCapture), the network runs wherever it lives (ONNX Runtime Web in the page,
// PyTorch for the evaluation of the baselines in scripts/fhnet/evaluate.py), and its outputs are
// played back (FhnetReplay) into a second run of the same pipeline, which blends them, detects the
// beats and scores exactly as for our own engine.
//
//   fecg::PipelineParams params;  params.method = fecg::Method::fhnet;
//   auto capture = std::make_shared<fecg::FhnetCapture>();          // 250 Hz, 1024-sample windows
//   params.fhnet_model = capture;
//   fecg::run_pipeline(rec, roles, params);                         // result discarded
//   fecg::FhnetWindows w = capture->windows();                      // w.x: every window, in order
//   ... run the network on w.x, fill w.fecg and w.rpeak_prob ...
//   params.fhnet_model = std::make_shared<fecg::FhnetReplay>(std::move(w));
//   fecg::PipelineResult out = fecg::run_pipeline(rec, roles, params);
//
// The replay checks that the pipeline asks for the very windows that were captured (same count,
// lead counts and samples, to 1e-5 in normalised units), so outputs can never be paired with the
// wrong recording or options: a mismatch is a fecg::Error naming the window.
#pragma once

#include "model/fhnet.h"
#include "pipeline/pipeline.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fecg {

// Windows in the order the pipeline ran them, each with its own lead count (one group of at most
// 8 leads per window; recordings with more leads give windows for each group in turn).
struct FhnetWindows {
  int window = 1024;
  double fs_hz = 250.0;
  std::vector<int> leads;          // per window, 1..8
  std::vector<float> x;            // concatenated leads[i] × window inputs (normalised)
  std::vector<float> fecg;         // same layout: the network's fetal ECG (empty when captured)
  std::vector<float> rpeak_prob;   // n_windows × window, 0..1 (empty when captured)

  std::size_t n_windows() const { return leads.size(); }
  // Offset of window i in x and fecg (floats).
  std::size_t offset(std::size_t i) const;
  // The lead count shared by every window, or 0 when they differ.
  int uniform_leads() const;
};

// Records every window the pipeline hands to the network and answers zeros (the capturing run's
// result is meaningless and meant to be discarded).
class FhnetCapture final : public FhnetEngine {
 public:
  static constexpr int kDefaultWindow = 1024;  // the model's window at 250 Hz
  explicit FhnetCapture(int window = kDefaultWindow, double fs_hz = 250.0);
  int window() const override { return windows_.window; }
  double sampling_rate_hz() const override { return windows_.fs_hz; }
  void run_batch(const float* x, int batch, int leads, FhnetOutput& out) override;
  const FhnetWindows& windows() const { return windows_; }

 private:
  FhnetWindows windows_;
};

// The windows run_pipeline's FHNet stage hands the network for `rec` with `params` (its method
// set to fhnet, the candidate pool off and the engine a FhnetCapture of `window` samples at the
// analysis rate: the windows are all that is wanted), and the length of the preprocessed signal
// at the analysis rate they were cut from.
struct CapturedFhnetWindows {
  FhnetWindows windows;
  std::int64_t n_analysis = 0;
};
CapturedFhnetWindows capture_fhnet_windows(const Recording& rec, const LeadRoles& roles, PipelineParams params,
                                           int window = FhnetCapture::kDefaultWindow, const ProgressFn& progress = {});

// Plays back outputs computed elsewhere, window after window. Throws fecg::Error at construction
// when the outputs do not fit the windows (sizes, non-finite values, probabilities outside 0..1)
// and at run time when the pipeline asks for more windows than recorded or for different ones.
class FhnetReplay final : public FhnetEngine {
 public:
  explicit FhnetReplay(FhnetWindows windows);
  int window() const override { return windows_.window; }
  double sampling_rate_hz() const override { return windows_.fs_hz; }
  void run_batch(const float* x, int batch, int leads, FhnetOutput& out) override;
  // Windows played back so far (all of them after a complete pipeline run).
  std::size_t consumed() const { return next_; }
  std::size_t size() const { return windows_.n_windows(); }

 private:
  FhnetWindows windows_;
  std::size_t next_ = 0;
};

}  // namespace fecg
