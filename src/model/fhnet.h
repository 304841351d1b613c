// FHNet inference engine: the fetal ECG extractor of scripts/fhnet/model.py (graph attention
// across leads + multi-scale transformer over time, after arXiv 2509.19308), run on Eigen with
// no threads and no file access, so that the same code serves the CLI and the WASM module.
//
//   // The caller reads the files (natively io/model_files.h: load_fhnet_model_dir("models")
//   // does all of this; the page fetches them); the engine checks them.
//   auto card = fecg::read_file_bytes("models/fhnet.json");
//   auto weights = fecg::read_file_bytes("models/fhnet.safetensors");
//   fecg::FhnetModel model = fecg::FhnetModel::load(
//       std::string_view(reinterpret_cast<const char*>(card.data()), card.size()),
//       weights.data(), weights.size());            // throws fecg::Error if they disagree
//
//   fecg::LeadMatrix x(4, model.window());          // 4 leads × 1024 samples at 250 Hz,
//   ...                                             // normalised (dsp/normalize.h)
//   fecg::FhnetOutput out;                          // reuse across calls: no allocations
//   model.run(x, out);
//   out.fecg;             // 4 × 1024 fetal ECG per lead, normalised units of the input lead
//   out.rpeak_prob;       // 1 × 1024 probability of a fetal R peak at each sample
//   out.attention(0, layer, token, i, j);  // weight lead i gives lead j in graph layer `layer`
//   out.lead_weight(0, token, k);          // lead k's weight in the R-peak head's pooling
//
// Contract (the card's "inputs"/"outputs", identical to models/fhnet.onnx):
//   x               batch × leads × window      1 <= leads <= 8, any order, finite
//   fecg            batch × leads × window
//   rpeak_prob      batch × window
//   lead_attention  batch × layers × tokens × leads × leads, tokens = window / 8
//   lead_weights    batch × tokens × leads (sums to 1 over the leads; uniform when the model
//                   pools the leads with a plain mean, architecture.lead_pool false)
// The engine matches torch (and ONNX Runtime) to 1e-4 absolute on models/fhnet_testvectors.
#pragma once

#include "core/types.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

// Hyper-parameters read from the card's "architecture" (scripts/fhnet/model.py FHNetConfig).
struct FhnetArchitecture {
  int window = 1024;               // samples per window at 250 Hz
  int d_model = 48;                // token features
  int enc_channels[3] = {12, 20, 32};  // encoder/decoder channels at 1024, 512, 256 samples
  int stem_kernel = 7;
  int down_kernel = 3;             // stride-2 convs, padding (k-1)/2
  int dec_kernel = 3;              // after nearest ×2 upsampling, padding k/2
  int n_blocks = 2;
  int graph_heads = 4;
  int attn_heads = 4;
  std::vector<int> dw_kernels = {3, 9, 27};
  int coarse_pool = 4;
  int ffn_mult = 2;
  int head_kernel = 5;
  // The R-peak head pools the leads with learned weights (a softmax over the leads of a linear
  // score of each lead's final token features); false: a plain mean (cards before the pooling).
  bool lead_pool = false;
  float layer_norm_eps = 1e-5f;
  int tokens() const { return window / 8; }
};

// Outputs of one call, in the ONNX layouts. Keep one and pass it to every run(): its buffers are
// resized only when batch or leads change.
struct FhnetOutput {
  int batch = 0;
  int leads = 0;
  int layers = 0;                 // graph-attention layers
  int tokens = 0;
  LeadMatrix fecg;                // (batch·leads) × window, row b·leads + k
  LeadMatrix rpeak_prob;          // batch × window, 0..1
  std::vector<float> lead_attention;  // batch × layers × tokens × leads × leads, row-major
  // batch × tokens × leads, row-major: each lead's weight in the R-peak head's pooling (empty
  // when the engine gives none). Learned where lead_pool is true, else uniform 1 / leads.
  std::vector<float> lead_weights;
  bool lead_pool = false;

  float attention(int b, int layer, int token, int i, int j) const {
    return lead_attention[(((static_cast<std::size_t>(b) * layers + layer) * tokens + token) * leads + i) * leads + j];
  }
  float lead_weight(int b, int token, int k) const {
    return lead_weights[(static_cast<std::size_t>(b) * tokens + token) * leads + k];
  }
};

// What the pipeline needs of a fetal-ECG network (pipeline/fhnet_stage.h): windows in, fetal
// ECG per lead and R-peak probability out, in the contract above. FhnetModel is our engine;
// pipeline/fhnet_external.h records the windows for, and replays the outputs of, a network run
// elsewhere (ONNX Runtime Web in the page, PyTorch for the evaluation of the baselines), so that
// every network goes through exactly the same windowing, blending, beat detection and scoring.
class FhnetEngine {
 public:
  static constexpr int kMaxLeads = 8;

  virtual ~FhnetEngine() = default;
  virtual int window() const = 0;                 // samples per window
  virtual double sampling_rate_hz() const = 0;    // the rate the windows are at
  // batch × leads × window floats in; `out` resized and filled (lead_attention may be empty:
  // layers = 0 when the engine has none). Throws fecg::Error on a bad shape or input.
  virtual void run_batch(const float* x, int batch, int leads, FhnetOutput& out) = 0;
  // A second engine for another thread: the same network (weights shared, read-only) with its
  // own scratch, giving bit-identical outputs; nullptr when the engine cannot run concurrently
  // (the default: FhnetCapture and FhnetReplay must see the windows in order).
  virtual std::unique_ptr<FhnetEngine> clone_for_thread() const { return nullptr; }
};

// The compute kernels that run the network (src/model/fhnet_kernels.h). `portable`: 4-wide
// vectors (wasm_simd128 under Emscripten, SSE2 natively), the same code and operation order
// everywhere, so native tests check what the browser runs. `avx2_fma`: 8-wide fused
// multiply-add GEMMs on x86-64 CPUs with AVX2 and FMA, about 1.8× faster per window natively;
// outputs equal to float rounding. A model starts with the fastest kernels its CPU has.
enum class FhnetKernels { portable, avx2_fma };
bool fhnet_kernels_available(FhnetKernels kernels);

// The card's training.trained (JSON text of models/fhnet.json): false when absent. Throws
// fecg::Error on unparsable JSON or a non-boolean field. FhnetModel::trained() is this.
bool fhnet_card_trained(std::string_view card_json);

class FhnetModel final : public FhnetEngine {
 public:

  // Builds the engine from the model card (JSON text) and the weights file (safetensors bytes).
  // Refuses, with a fecg::Error naming the file and the mismatch: a weights sha256 or size that
  // differs from the card's files.weights; a card whose format_version, name, rate, window,
  // inputs/outputs or architecture the engine does not implement; a tensor missing from the
  // card or the file, an unexpected extra tensor, or a shape that differs from what the
  // architecture implies; non-finite weights.
  static FhnetModel load(std::string_view card_json, const std::uint8_t* weights, std::size_t weights_size);

  FhnetModel(FhnetModel&&) noexcept;
  FhnetModel& operator=(FhnetModel&&) noexcept;
  ~FhnetModel();

  // One window: x is leads × window (normalised). Equivalent to run_batch with batch = 1.
  void run(const LeadMatrix& x, FhnetOutput& out);

  // batch × leads × window floats, row-major (the ONNX input layout). Throws fecg::Error on a
  // lead count outside 1..8, batch < 1, a null pointer or a non-finite sample (naming it).
  // Not re-entrant: the model owns the scratch buffers (one model per thread or worker).
  void run_batch(const float* x, int batch, int leads, FhnetOutput& out) override;
  // A model sharing these weights with fresh scratch buffers (pipeline/fhnet_stage.h runs one
  // per thread). Cheap: no weights are copied.
  std::unique_ptr<FhnetEngine> clone_for_thread() const override;

  // Chooses the kernels (comparisons, benchmarks); throws fecg::Error where this CPU or build
  // lacks them. Clones made afterwards use the same kernels.
  void set_kernels(FhnetKernels kernels);
  FhnetKernels kernels() const;

  const FhnetArchitecture& architecture() const;
  int window() const override { return architecture().window; }
  double sampling_rate_hz() const override { return 250.0; }
  std::int64_t parameter_count() const;
  const std::string& weights_sha256() const;
  // The card's training.trained: false for a random-init export (scripts/fhnet/export.py
  // --random-init) and for a card without the field. The one place that says whether the model
  // is trained; pipeline.h default_method() and the page read it.
  bool trained() const;

 private:
  struct Impl;
  explicit FhnetModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fecg
