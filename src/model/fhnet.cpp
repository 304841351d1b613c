// FHNet inference. Mirrors scripts/fhnet/model.py op for op; see that file for the design.
// Layout: every activation is a column-major matrix features × (sequence · time), one column per
// time step of one lead, leads of a batch side by side (column (b·K + k)·L + t), so that a conv
// or linear layer over all leads of all windows is one GEMM.
//
// The heavy work runs on the kernels of model/fhnet_kernels.h (wasm_simd128 under Emscripten,
// SSE2 natively), which were measured faster than Eigen's products on these small matrices
// natively and much faster in WebAssembly, where Eigen has no SIMD. Exact up to float rounding:
//   - weights pre-packed at load into GEMM panels: conv weights as W(o, tap·C_in + c), so a
//     conv's input column is a contiguous run of the activation (no im2col but at the edges);
//   - bias, GELU and residual/skip additions fused into the GEMM's store (one pass, no temporary);
//   - nearest ×2 upsampling followed by a conv is computed polyphase: the two output phases
//     are convs of the un-upsampled input with summed taps (k = 3: two taps per phase instead of
//     three, and no upsampled copy), written straight into the interleaved output columns;
//   - the depthwise branches are scaled by their gate and summed as they are computed;
//   - scratch buffers only grow, so after the first call with a given batch and lead count no
//     allocation of ours is made.
#include "model/fhnet.h"

#include "core/error.h"
#include "core/json_parse.h"
#include "model/fhnet_kernels.h"
#include "model/safetensors.h"
#include "model/sha256.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace fecg {
namespace {

namespace k = fhnet_kernels;
using Mat = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;

constexpr int kCardFormatVersion = 1;
constexpr double kSamplingRateHz = 250.0;
constexpr int kDownsampling = 8;  // three stride-2 convs

// A growable scratch area viewed as a matrix; it never shrinks, so steady-state calls reuse it.
struct Buffer {
  std::vector<float> data;
  Eigen::Map<Mat> view(Eigen::Index rows, Eigen::Index cols) {
    const auto n = static_cast<std::size_t>(rows * cols);
    if (data.size() < n) data.resize(n);
    return Eigen::Map<Mat>(data.data(), rows, cols);
  }
};

// ---- Layers ---------------------------------------------------------------------------------

struct Linear {
  k::PackedMatrix w;  // out × in, with the bias
  // out = epilogue(W in + b) over n_cols columns (in: `in` features each, out: `out` features).
  void apply(k::Gemm g, const float* in, Eigen::Index n_cols, float* out, const k::Epilogue& e = {}) const {
    k::gemm(g, w, in, w.depth, n_cols, out, w.rows, e);
  }
};

struct Norm {
  Vec gamma, beta;
};

// Conv1d (torch semantics: cross-correlation, zero padding).
struct Conv {
  int c_in = 0, c_out = 0, kernel = 0, stride = 1, pad = 0;
  k::PackedMatrix w;  // c_out × (kernel·c_in), column j·c_in + c

  int out_length(int l_in) const { return (l_in + 2 * pad - kernel) / stride + 1; }

  void apply(k::Gemm g, const float* in, int n_seq, int l_in, float* out, const k::Epilogue& e,
             std::vector<float>& edge) const {
    k::conv1d(g, w, c_in, kernel, -pad, stride, in, n_seq, l_in, out_length(l_in), out, c_out, e, edge);
  }
};

// Nearest ×2 upsampling then a stride-1 conv (kernel k odd, padding k/2), polyphase: output
// sample 2u + r reads upsampled samples 2u + r + j - p = input floor((r + j - p) / 2) + u, so
// phase r is a conv of the input with the taps that land on the same input sample summed; those
// input offsets are consecutive (first[r], first[r] + 1, ...).
struct UpConv {
  int c_in = 0, c_out = 0;
  int first[2] = {0, 0}, taps[2] = {0, 0};
  k::PackedMatrix w[2];

  // out (c_out × 2·l_in per sequence) = gelu(upconv(in)) + skip (skip laid out like out).
  void apply_gelu_add(k::Gemm g, const float* in, int n_seq, int l_in, const float* skip, float* out,
                      std::vector<float>& edge) const {
    for (int r = 0; r < 2; ++r) {
      // Output column n·2L + 2u + r = 2(n·L + u) + r: a column stride of 2·c_out covers every sequence.
      k::conv1d(g, w[r], c_in, taps[r], first[r], 1, in, n_seq, l_in, l_in, out + r * c_out, 2 * c_out,
                k::Epilogue{true, skip + r * c_out}, edge);
    }
  }
};

// Depthwise conv over time (groups = channels, stride 1, padding k/2).
struct DepthwiseConv {
  int kernel = 0;
  std::vector<float> w;  // kernel × channels (tap-major)
  Vec b;
};

struct GraphLayer {
  Norm norm;
  Linear qkv, out;
};

struct TemporalBlock {
  Norm norm1, norm2;
  std::vector<DepthwiseConv> dw;
  Linear coarse_qkv, coarse_out, gate, mix_out;
  Linear fc1, fc2;
};

// ---- Card and weights ------------------------------------------------------------------------

[[noreturn]] void refuse(const std::string& what) { throw Error("fhnet: " + what); }

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Reads the card's architecture and checks that the engine implements it.
FhnetArchitecture read_architecture(const JsonValue& a) {
  if (a.at("model").as_string() != "fhnet") refuse(a.path() + ".model: expected \"fhnet\", found \"" + a.at("model").as_string() + "\"");
  if (a.at("gelu").as_string() != "tanh") refuse(a.path() + ".gelu: this engine implements the tanh form only");
  if (a.at("upsample").as_string() != "nearest") refuse(a.path() + ".upsample: this engine implements nearest only");
  if (!a.at("use_graph").as_bool() || !a.at("multi_scale").as_bool()) {
    refuse(a.path() + ": this engine implements the full FHNet (use_graph and multi_scale true); "
           "evaluate the ablations in Python");
  }
  FhnetArchitecture arch;
  // Bounds keep a hostile card from asking for absurd allocations.
  arch.window = static_cast<int>(a.at("window").as_int(32, 1 << 16));
  arch.d_model = static_cast<int>(a.at("d_model").as_int(1, 1024));
  const auto& enc = a.at("enc_channels").as_array();
  if (enc.size() != 3) refuse(a.path() + ".enc_channels: expected 3 values, found " + std::to_string(enc.size()));
  for (int i = 0; i < 3; ++i) arch.enc_channels[i] = static_cast<int>(enc[i].as_int(1, 1024));
  arch.stem_kernel = static_cast<int>(a.at("stem_kernel").as_int(1, 255));
  arch.down_kernel = static_cast<int>(a.at("down_kernel").as_int(2, 255));
  arch.dec_kernel = static_cast<int>(a.at("dec_kernel").as_int(1, 255));
  arch.n_blocks = static_cast<int>(a.at("n_blocks").as_int(1, 64));
  arch.graph_heads = static_cast<int>(a.at("graph_heads").as_int(1, 64));
  arch.attn_heads = static_cast<int>(a.at("attn_heads").as_int(1, 64));
  arch.dw_kernels.clear();
  for (const auto& k : a.at("dw_kernels").as_array()) arch.dw_kernels.push_back(static_cast<int>(k.as_int(1, 255)));
  arch.coarse_pool = static_cast<int>(a.at("coarse_pool").as_int(1, 64));
  arch.ffn_mult = static_cast<int>(a.at("ffn_mult").as_int(1, 16));
  arch.head_kernel = static_cast<int>(a.at("head_kernel").as_int(1, 255));
  if (const JsonValue* pool = a.find("lead_pool")) arch.lead_pool = pool->as_bool();
  arch.layer_norm_eps = static_cast<float>(a.at("layer_norm_eps").as_number());
  if (a.at("tokens").as_int() != arch.tokens()) refuse(a.path() + ".tokens: expected window / 8 = " + std::to_string(arch.tokens()));

  if (arch.window % (kDownsampling * arch.coarse_pool) != 0) {
    refuse(a.path() + ": window " + std::to_string(arch.window) + " is not a multiple of 8 x coarse_pool = " +
           std::to_string(kDownsampling * arch.coarse_pool));
  }
  if (arch.d_model % arch.graph_heads || arch.d_model % arch.attn_heads) {
    refuse(a.path() + ": d_model " + std::to_string(arch.d_model) + " is not divisible by the head counts");
  }
  if (arch.dw_kernels.empty()) refuse(a.path() + ".dw_kernels: expected at least one kernel");
  for (int k : arch.dw_kernels) {
    if (k % 2 == 0) refuse(a.path() + ".dw_kernels: kernel " + std::to_string(k) + " is even, expected odd ('same' padding)");
  }
  for (int k : {arch.stem_kernel, arch.dec_kernel, arch.head_kernel}) {
    if (k % 2 == 0) refuse(a.path() + ": kernel " + std::to_string(k) + " is even, expected odd ('same' padding)");
  }
  if (!(arch.layer_norm_eps > 0.0f && arch.layer_norm_eps < 1.0f)) refuse(a.path() + ".layer_norm_eps: expected 0 < eps < 1");
  return arch;
}

// Every tensor the architecture implies, with its shape (the names of torch's state_dict).
std::map<std::string, std::vector<std::int64_t>> expected_tensors(const FhnetArchitecture& a) {
  std::map<std::string, std::vector<std::int64_t>> t;
  const std::int64_t d = a.d_model, c0 = a.enc_channels[0], c1 = a.enc_channels[1], c2 = a.enc_channels[2];
  auto conv = [&](const std::string& name, std::int64_t out, std::int64_t in, std::int64_t k) {
    t[name + ".weight"] = {out, in, k};
    t[name + ".bias"] = {out};
  };
  auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in) {
    t[name + ".weight"] = {out, in};
    t[name + ".bias"] = {out};
  };
  auto norm = [&](const std::string& name) {
    t[name + ".weight"] = {d};
    t[name + ".bias"] = {d};
  };
  conv("encoder.stem", c0, 1, a.stem_kernel);
  conv("encoder.down1", c1, c0, a.down_kernel);
  conv("encoder.down2", c2, c1, a.down_kernel);
  conv("encoder.down3", d, c2, a.down_kernel);
  for (int i = 0; i < a.n_blocks; ++i) {
    const std::string g = "graphs." + std::to_string(i), b = "blocks." + std::to_string(i);
    norm(g + ".norm");
    linear(g + ".qkv", 3 * d, d);
    linear(g + ".out", d, d);
    norm(b + ".norm1");
    for (std::size_t j = 0; j < a.dw_kernels.size(); ++j) conv(b + ".mixer.dw." + std::to_string(j), d, 1, a.dw_kernels[j]);
    linear(b + ".mixer.coarse.qkv", 3 * d, d);
    linear(b + ".mixer.coarse.out", d, d);
    linear(b + ".mixer.gate", static_cast<std::int64_t>(a.dw_kernels.size()) + 1, d);
    linear(b + ".mixer.out", d, d);
    norm(b + ".norm2");
    linear(b + ".ffn.fc1", a.ffn_mult * d, d);
    linear(b + ".ffn.fc2", d, a.ffn_mult * d);
  }
  norm("norm");
  conv("decoder.up3", c2, d, a.dec_kernel);
  conv("decoder.up2", c1, c2, a.dec_kernel);
  conv("decoder.up1", c0, c1, a.dec_kernel);
  conv("decoder.fecg", 1, c0, 1);
  conv("rpeak.conv", c0, c0, a.head_kernel);
  conv("rpeak.logit", 1, c0, 1);
  if (a.lead_pool) linear("rpeak.lead_score", 1, d);
  return t;
}

void check_name_and_shape(const JsonValue& spec, const std::string& name, const std::vector<std::string>& dims) {
  if (spec.at("name").as_string() != name) {
    refuse(spec.path() + ".name: expected \"" + name + "\", found \"" + spec.at("name").as_string() + "\"");
  }
  const auto& shape = spec.at("shape").as_array();
  std::string want = "[", found = "[";
  bool same = shape.size() == dims.size();
  for (std::size_t i = 0; i < dims.size(); ++i) want += (i ? ", " : "") + dims[i];
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const std::string s = shape[i].is_string() ? shape[i].as_string() : std::to_string(shape[i].as_int());
    found += (i ? ", " : "") + s;
    if (i < dims.size() && s != dims[i]) same = false;
  }
  if (!same) refuse(spec.path() + ".shape: expected " + want + "], found " + found + "]");
}

Vec vector_of(const Tensor& t) { return Eigen::Map<const Vec>(t.data.data(), static_cast<Eigen::Index>(t.data.size())); }

Conv make_conv(const Safetensors& st, const std::string& name, int stride, int pad) {
  const Tensor& w = st.get(name + ".weight");
  Conv c;
  c.c_out = static_cast<int>(w.shape[0]);
  c.c_in = static_cast<int>(w.shape[1]);
  c.kernel = static_cast<int>(w.shape[2]);
  c.stride = stride;
  c.pad = pad;
  // torch [out, in, tap] -> W(o, tap·c_in + i).
  const int c_in = c.c_in, kernel = c.kernel;
  c.w = k::PackedMatrix::pack(
      c.c_out, kernel * c_in,
      [&](int o, int col) { return w.data[(static_cast<std::size_t>(o) * c_in + col % c_in) * kernel + col / c_in]; },
      st.get(name + ".bias").data.data());
  return c;
}

int floor_div2(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

UpConv make_upconv(const Safetensors& st, const std::string& name) {
  const Tensor& w = st.get(name + ".weight");
  const float* bias = st.get(name + ".bias").data.data();
  UpConv u;
  u.c_out = static_cast<int>(w.shape[0]);
  u.c_in = static_cast<int>(w.shape[1]);
  const int kernel = static_cast<int>(w.shape[2]), pad = kernel / 2;
  for (int r = 0; r < 2; ++r) {
    // Tap j lands on input offset floor((r + j - pad) / 2): non-decreasing in j, so the offsets
    // form the run first .. first + taps - 1.
    u.first[r] = floor_div2(r - pad);
    u.taps[r] = floor_div2(r + kernel - 1 - pad) - u.first[r] + 1;
    Mat wr = Mat::Zero(u.c_out, static_cast<Eigen::Index>(u.taps[r]) * u.c_in);
    for (int j = 0; j < kernel; ++j) {
      const int slot = floor_div2(r + j - pad) - u.first[r];
      for (int o = 0; o < u.c_out; ++o) {
        for (int i = 0; i < u.c_in; ++i) wr(o, slot * u.c_in + i) += w.data[(static_cast<std::size_t>(o) * u.c_in + i) * kernel + j];
      }
    }
    u.w[r] = k::PackedMatrix::pack(u.c_out, static_cast<int>(wr.cols()), [&](int o, int col) { return wr(o, col); }, bias);
  }
  return u;
}

Linear make_linear(const Safetensors& st, const std::string& name) {
  const Tensor& w = st.get(name + ".weight");  // torch [out, in], row-major
  const int in = static_cast<int>(w.shape[1]);
  return Linear{k::PackedMatrix::pack(
      static_cast<int>(w.shape[0]), in, [&](int o, int i) { return w.data[static_cast<std::size_t>(o) * in + i]; },
      st.get(name + ".bias").data.data())};
}

// A 1×1 conv [out, in, 1] is a linear layer.
Linear make_linear_1x1(const Safetensors& st, const std::string& name) {
  const Tensor& w = st.get(name + ".weight");
  const int in = static_cast<int>(w.shape[1]);
  return Linear{k::PackedMatrix::pack(
      static_cast<int>(w.shape[0]), in, [&](int o, int i) { return w.data[static_cast<std::size_t>(o) * in + i]; },
      st.get(name + ".bias").data.data())};
}

Norm make_norm(const Safetensors& st, const std::string& name) {
  return Norm{vector_of(st.get(name + ".weight")), vector_of(st.get(name + ".bias"))};
}

DepthwiseConv make_depthwise(const Safetensors& st, const std::string& name) {
  const Tensor& w = st.get(name + ".weight");  // torch [channels, 1, kernel]
  DepthwiseConv c;
  c.kernel = static_cast<int>(w.shape[2]);
  const auto channels = static_cast<std::size_t>(w.shape[0]);
  c.w.resize(channels * static_cast<std::size_t>(c.kernel));
  for (std::size_t ch = 0; ch < channels; ++ch) {
    for (int j = 0; j < c.kernel; ++j) c.w[static_cast<std::size_t>(j) * channels + ch] = w.data[ch * static_cast<std::size_t>(c.kernel) + static_cast<std::size_t>(j)];
  }
  c.b = vector_of(st.get(name + ".bias"));
  return c;
}

}  // namespace

// ---- The engine ---------------------------------------------------------------------------------

// The packed weights: read-only after load, shared by every clone_for_thread() of a model.
struct FhnetNet {
  Conv stem, down1, down2, down3;
  std::vector<GraphLayer> graphs;
  std::vector<TemporalBlock> blocks;
  Norm final_norm;
  UpConv up3, up2, up1;
  Linear fecg;   // 1 × c0 (the decoder's 1×1 conv)
  Conv head_conv;
  Linear logit;       // 1 × c0
  Linear lead_score;  // 1 × d_model, where the architecture has lead_pool
};

struct FhnetModel::Impl {
  FhnetArchitecture arch;
  std::string sha256;
  bool trained = false;
  std::int64_t parameters = 0;
  std::shared_ptr<const FhnetNet> net;
  k::Gemm kernels = k::avx2_fma_available() ? k::Gemm::avx2_fma : k::Gemm::portable;

  // Scratch (grows only); per model, so never shared between threads.
  Buffer e0, e1, e2, h, u, qkv, o, mix, pooled, cqkv, co, coarse, gate, ffn, d2, d1, d0, head_in, head_out, scores, keys_t,
      lead_scores;
  std::vector<float> edge;  // conv columns that cross a sequence edge

  void graph_attention(const GraphLayer& g, int batch, int leads, int layer, FhnetOutput& out);
  void temporal_block(const TemporalBlock& blk, int n_seq);
  void forward(const float* x, int batch, int leads, FhnetOutput& out);
};

void FhnetModel::Impl::graph_attention(const GraphLayer& g, int batch, int leads, int layer, FhnetOutput& out) {
  const int d = arch.d_model, t_len = arch.tokens(), heads = arch.graph_heads, dh = d / heads;
  const Eigen::Index n_cols = static_cast<Eigen::Index>(batch) * leads * t_len;
  auto hm = h.view(d, n_cols);
  auto um = u.view(d, n_cols);
  auto qkvm = qkv.view(3 * d, n_cols);
  auto om = o.view(d, n_cols);
  k::layer_norm(hm.data(), d, n_cols, g.norm.gamma.data(), g.norm.beta.data(), arch.layer_norm_eps, um.data());
  g.qkv.apply(kernels, um.data(), n_cols, qkvm.data());

  // Scores for every (window, token, head, query lead) as a column of K key scores, so that the
  // softmax exp runs once over the whole buffer instead of on K-long pieces.
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  auto s = scores.view(leads, static_cast<Eigen::Index>(batch) * t_len * heads * leads);
  auto column_of = [&](int b, int lead, int t) { return (static_cast<Eigen::Index>(b) * leads + lead) * t_len + t; };
  Eigen::Index sc = 0;
  for (int b = 0; b < batch; ++b) {
    for (int t = 0; t < t_len; ++t) {
      for (int hd = 0; hd < heads; ++hd) {
        for (int i = 0; i < leads; ++i, ++sc) {
          const float* q = qkvm.col(column_of(b, i, t)).data() + hd * dh;
          for (int j = 0; j < leads; ++j) s(j, sc) = scale * k::dot(q, qkvm.col(column_of(b, j, t)).data() + d + hd * dh, dh);
        }
      }
    }
  }
  k::softmax_columns(s.data(), leads, s.cols());

  float* att = out.lead_attention.data();
  const float inv_heads = 1.0f / static_cast<float>(heads);
  const Eigen::Index lead_stride = static_cast<Eigen::Index>(t_len) * 3 * d;  // between leads' qkv columns
  sc = 0;
  for (int b = 0; b < batch; ++b) {
    for (int t = 0; t < t_len; ++t) {
      float* a_bt = att + ((static_cast<std::size_t>(b) * out.layers + layer) * t_len + t) * leads * leads;
      std::fill(a_bt, a_bt + leads * leads, 0.0f);
      for (int hd = 0; hd < heads; ++hd) {
        for (int i = 0; i < leads; ++i, ++sc) {
          k::weighted_sum(&s(0, sc), 1, leads, qkvm.col(column_of(b, 0, t)).data() + 2 * d + hd * dh, lead_stride, dh,
                          om.col(column_of(b, i, t)).data() + hd * dh);
          for (int j = 0; j < leads; ++j) a_bt[i * leads + j] += s(j, sc) * inv_heads;
        }
      }
    }
  }
  g.out.apply(kernels, om.data(), n_cols, hm.data(), k::Epilogue{false, hm.data()});  // residual
}

void FhnetModel::Impl::temporal_block(const TemporalBlock& blk, int n_seq) {
  const int d = arch.d_model, t_len = arch.tokens(), pool = arch.coarse_pool, tc = t_len / pool;
  const int heads = arch.attn_heads, dh = d / heads;
  const int n_branch = static_cast<int>(blk.dw.size()) + 1;
  const Eigen::Index n_cols = static_cast<Eigen::Index>(n_seq) * t_len, c_cols = static_cast<Eigen::Index>(n_seq) * tc;
  auto hm = h.view(d, n_cols);
  auto um = u.view(d, n_cols);
  k::layer_norm(hm.data(), d, n_cols, blk.norm1.gamma.data(), blk.norm1.beta.data(), arch.layer_norm_eps, um.data());

  // Coarse branch: average pool ×P, multi-head self-attention over the pooled tokens.
  auto pm = pooled.view(d, c_cols);
  for (Eigen::Index c = 0; c < c_cols; ++c) pm.col(c) = um.middleCols(c * pool, pool).rowwise().sum() / static_cast<float>(pool);
  auto cq = cqkv.view(3 * d, c_cols);
  auto com = co.view(d, c_cols);
  blk.coarse_qkv.apply(kernels, pm.data(), c_cols, cq.data());
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  auto s = scores.view(tc, tc);  // s(key, query)
  auto kt = keys_t.view(tc, dh);  // the head's keys, transposed and scaled: kt(j, e) = scale · key_j[e]
  for (int n = 0; n < n_seq; ++n) {
    const Eigen::Index c0 = static_cast<Eigen::Index>(n) * tc;
    for (int hd = 0; hd < heads; ++hd) {
      // Scores of query i against every key at once, s(:, i) = Σ_e q_i[e] · kt(:, e): vectors run
      // along the keys, so no horizontal sums (one per dot product) are needed.
      for (int j = 0; j < tc; ++j)
        for (int e = 0; e < dh; ++e) kt(j, e) = scale * cq(d + hd * dh + e, c0 + j);
      for (int i = 0; i < tc; ++i) k::weighted_sum(cq.col(c0 + i).data() + hd * dh, 1, dh, kt.data(), tc, tc, &s(0, i));
      k::softmax_columns(s.data(), tc, tc);
      for (int i = 0; i < tc; ++i)
        k::weighted_sum(&s(0, i), 1, tc, cq.col(c0).data() + 2 * d + hd * dh, 3 * d, dh, com.col(c0 + i).data() + hd * dh);
    }
  }
  auto cm = coarse.view(d, c_cols);
  blk.coarse_out.apply(kernels, com.data(), c_cols, cm.data());

  // Gate: softmax over the branches, per token.
  auto gm = gate.view(n_branch, n_cols);
  blk.gate.apply(kernels, um.data(), n_cols, gm.data());
  k::softmax_columns(gm.data(), n_branch, n_cols);

  // Fuse: mix = sum_b gate_b ⊙ branch_b, the coarse branch upsampled (nearest ×P) on the fly,
  // the depthwise branches gated as they are computed.
  auto mm = mix.view(d, n_cols);
  for (Eigen::Index c = 0; c < n_cols; ++c) mm.col(c) = gm(n_branch - 1, c) * cm.col(c / pool);
  for (int br = 0; br < n_branch - 1; ++br) {
    const DepthwiseConv& dw = blk.dw[static_cast<std::size_t>(br)];
    k::depthwise_scaled_add(dw.w.data(), dw.b.data(), d, dw.kernel, um.data(), n_seq, t_len, gm.data() + br, n_branch,
                            mm.data());
  }
  blk.mix_out.apply(kernels, mm.data(), n_cols, hm.data(), k::Epilogue{false, hm.data()});  // residual

  // Feed-forward.
  k::layer_norm(hm.data(), d, n_cols, blk.norm2.gamma.data(), blk.norm2.beta.data(), arch.layer_norm_eps, um.data());
  auto fm = ffn.view(arch.ffn_mult * d, n_cols);
  blk.fc1.apply(kernels, um.data(), n_cols, fm.data(), k::Epilogue{true, nullptr});
  blk.fc2.apply(kernels, fm.data(), n_cols, hm.data(), k::Epilogue{false, hm.data()});  // residual
}

void FhnetModel::Impl::forward(const float* x, int batch, int leads, FhnetOutput& out) {
  const FhnetNet& m = *net;
  const int w = arch.window, d = arch.d_model, t_len = arch.tokens();
  const int c0 = arch.enc_channels[0], c1 = arch.enc_channels[1], c2 = arch.enc_channels[2];
  const int n_seq = batch * leads;
  const Eigen::Index n = n_seq;

  out.batch = batch;
  out.leads = leads;
  out.layers = arch.n_blocks;
  out.tokens = t_len;
  out.fecg.resize(n, w);
  out.rpeak_prob.resize(batch, w);
  out.lead_attention.resize(static_cast<std::size_t>(batch) * arch.n_blocks * t_len * leads * leads);
  out.lead_weights.resize(static_cast<std::size_t>(batch) * t_len * leads);
  out.lead_pool = arch.lead_pool;

  // Encoder: the input is 1 × (N·W), already in column order n·W + t.
  const k::Epilogue gelu{true, nullptr};
  auto e0m = e0.view(c0, n * w);
  m.stem.apply(kernels, x, n_seq, w, e0m.data(), gelu, edge);
  auto e1m = e1.view(c1, n * w / 2);
  m.down1.apply(kernels, e0m.data(), n_seq, w, e1m.data(), gelu, edge);
  auto e2m = e2.view(c2, n * w / 4);
  m.down2.apply(kernels, e1m.data(), n_seq, w / 2, e2m.data(), gelu, edge);
  auto hm = h.view(d, n * t_len);
  m.down3.apply(kernels, e2m.data(), n_seq, w / 4, hm.data(), gelu, edge);

  // Core: per block, graph attention across leads, then the multi-scale temporal block.
  for (int i = 0; i < arch.n_blocks; ++i) {
    graph_attention(m.graphs[static_cast<std::size_t>(i)], batch, leads, i, out);
    temporal_block(m.blocks[static_cast<std::size_t>(i)], n_seq);
  }
  auto um = u.view(d, n * t_len);
  k::layer_norm(hm.data(), d, n * t_len, m.final_norm.gamma.data(), m.final_norm.beta.data(), arch.layer_norm_eps, um.data());

  // Decoder with the encoder skips: d = gelu(upconv(previous)) + skip, in one pass.
  auto d2m = d2.view(c2, n * w / 4);
  m.up3.apply_gelu_add(kernels, um.data(), n_seq, t_len, e2m.data(), d2m.data(), edge);
  auto d1m = d1.view(c1, n * w / 2);
  m.up2.apply_gelu_add(kernels, d2m.data(), n_seq, w / 4, e1m.data(), d1m.data(), edge);
  auto d0m = d0.view(c0, n * w);
  m.up1.apply_gelu_add(kernels, d1m.data(), n_seq, w / 2, e0m.data(), d0m.data(), edge);

  // fECG per lead: a 1×1 conv; row n of out.fecg is columns n·W .. n·W + W - 1.
  m.fecg.apply(kernels, d0m.data(), n * w, out.fecg.data());

  // Lead weights of the R-peak head: a softmax over the leads of each token's score (um still
  // holds the final token features, column (b·leads + lead)·T' + t), or 1 / leads.
  float* lw = out.lead_weights.data();
  if (arch.lead_pool) {
    auto sm = lead_scores.view(1, n * t_len);
    m.lead_score.apply(kernels, um.data(), n * t_len, sm.data());
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < t_len; ++t)
        for (int lead = 0; lead < leads; ++lead)
          lw[(static_cast<std::size_t>(b) * t_len + t) * leads + lead] = sm(0, (static_cast<Eigen::Index>(b) * leads + lead) * t_len + t);
    k::softmax_columns(lw, leads, static_cast<std::ptrdiff_t>(batch) * t_len);
  } else {
    std::fill(out.lead_weights.begin(), out.lead_weights.end(), 1.0f / static_cast<float>(leads));
  }

  // R-peak head on the leads' decoder features pooled with those weights, each token's weight
  // held for its 8 samples.
  auto pm = head_in.view(c0, static_cast<Eigen::Index>(batch) * w);
  const int per_token = w / t_len;
  for (int b = 0; b < batch; ++b) {
    for (int s = 0; s < w; ++s) {
      const float* wt = lw + (static_cast<std::size_t>(b) * t_len + s / per_token) * leads;
      auto dst = pm.col(static_cast<Eigen::Index>(b) * w + s);
      dst = wt[0] * d0m.col(static_cast<Eigen::Index>(b) * leads * w + s);
      for (int lead = 1; lead < leads; ++lead) dst += wt[lead] * d0m.col((static_cast<Eigen::Index>(b) * leads + lead) * w + s);
    }
  }
  auto rm = head_out.view(c0, static_cast<Eigen::Index>(batch) * w);
  m.head_conv.apply(kernels, pm.data(), batch, w, rm.data(), gelu, edge);
  // Sigmoid: 1 / (1 + e^-z).
  float* prob = out.rpeak_prob.data();
  const Eigen::Index n_prob = static_cast<Eigen::Index>(batch) * w;
  m.logit.apply(kernels, rm.data(), n_prob, prob);
  for (Eigen::Index i = 0; i < n_prob; ++i) prob[i] = -prob[i];
  k::exp_inplace(prob, n_prob);
  for (Eigen::Index i = 0; i < n_prob; ++i) prob[i] = 1.0f / (1.0f + prob[i]);
}

FhnetModel::FhnetModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FhnetModel::FhnetModel(FhnetModel&&) noexcept = default;
FhnetModel& FhnetModel::operator=(FhnetModel&&) noexcept = default;
FhnetModel::~FhnetModel() = default;

std::unique_ptr<FhnetEngine> FhnetModel::clone_for_thread() const {
  auto impl = std::make_unique<Impl>();
  impl->arch = impl_->arch;
  impl->sha256 = impl_->sha256;
  impl->parameters = impl_->parameters;
  impl->net = impl_->net;
  impl->kernels = impl_->kernels;
  return std::unique_ptr<FhnetEngine>(new FhnetModel(std::move(impl)));
}

bool fhnet_kernels_available(FhnetKernels kernels) {
  return kernels == FhnetKernels::portable || k::avx2_fma_available();
}

void FhnetModel::set_kernels(FhnetKernels kernels) {
  if (!fhnet_kernels_available(kernels)) throw Error("fhnet: set_kernels: this CPU or build has no AVX2 + FMA kernels");
  impl_->kernels = kernels == FhnetKernels::avx2_fma ? k::Gemm::avx2_fma : k::Gemm::portable;
}

FhnetKernels FhnetModel::kernels() const {
  return impl_->kernels == k::Gemm::avx2_fma ? FhnetKernels::avx2_fma : FhnetKernels::portable;
}

const FhnetArchitecture& FhnetModel::architecture() const { return impl_->arch; }
std::int64_t FhnetModel::parameter_count() const { return impl_->parameters; }
const std::string& FhnetModel::weights_sha256() const { return impl_->sha256; }
bool FhnetModel::trained() const { return impl_->trained; }

bool fhnet_card_trained(std::string_view card_json) {
  const JsonValue card = parse_json(card_json, "fhnet card");
  if (const JsonValue* training = card.find("training"))
    if (const JsonValue* trained = training->find("trained"); trained && !trained->is_null()) return trained->as_bool();
  return false;
}

FhnetModel FhnetModel::load(std::string_view card_json, const std::uint8_t* weights, std::size_t weights_size) {
  const JsonValue card = parse_json(card_json, "fhnet card");
  if (card.at("format_version").as_int() != kCardFormatVersion) {
    refuse("card format_version " + std::to_string(card.at("format_version").as_int()) + ", this engine reads version " +
           std::to_string(kCardFormatVersion));
  }
  if (card.at("name").as_string() != "fhnet") refuse("card name is \"" + card.at("name").as_string() + "\", expected \"fhnet\"");

  // The weights must be the very file the card describes.
  const JsonValue& wfile = card.at("files").at("weights");
  const std::string& want_sha = wfile.at("sha256").as_string();
  if (weights == nullptr || weights_size == 0) refuse("no weights given (empty buffer)");
  const std::string sha = sha256_hex(weights, weights_size);
  if (sha != want_sha) {
    refuse("weights file " + wfile.at("path").as_string() + " has sha256 " + sha + " but the card says " + want_sha +
           ": the card and the weights do not belong together");
  }
  if (wfile.at("bytes").as_int(0, INT64_MAX) != static_cast<std::int64_t>(weights_size)) {
    refuse("weights file has " + std::to_string(weights_size) + " bytes, the card says " + std::to_string(wfile.at("bytes").as_int(0, INT64_MAX)));
  }

  auto impl = std::make_unique<Impl>();
  impl->sha256 = sha;
  impl->trained = fhnet_card_trained(card_json);
  FhnetArchitecture& a = impl->arch;
  a = read_architecture(card.at("architecture"));
  if (card.at("sampling_rate_hz").as_number() != kSamplingRateHz) {
    refuse("card sampling_rate_hz " + std::to_string(card.at("sampling_rate_hz").as_number()) + ", the engine expects 250");
  }
  if (card.at("window_samples").as_int() != a.window) refuse("card window_samples differs from architecture.window");

  // Inputs and outputs as the ONNX model and the engine both name and shape them.
  const std::string win = std::to_string(a.window);
  const auto& inputs = card.at("inputs").as_array();
  const auto& outputs = card.at("outputs").as_array();
  if (inputs.size() != 1) refuse("card inputs: expected 1, found " + std::to_string(inputs.size()));
  // lead_weights came with the pooling: cards written before it have 3 outputs.
  const std::size_t min_outputs = a.lead_pool ? 4 : 3;
  if (outputs.size() < min_outputs || outputs.size() > 4) {
    refuse("card outputs: expected " + std::string(a.lead_pool ? "4" : "3 or 4") + ", found " + std::to_string(outputs.size()));
  }
  check_name_and_shape(inputs[0], "x", {"batch", "leads", win});
  check_name_and_shape(outputs[0], "fecg", {"batch", "leads", win});
  check_name_and_shape(outputs[1], "rpeak_prob", {"batch", win});
  check_name_and_shape(outputs[2], "lead_attention",
                       {"batch", std::to_string(a.n_blocks), std::to_string(a.tokens()), "leads", "leads"});
  if (outputs.size() == 4) check_name_and_shape(outputs[3], "lead_weights", {"batch", std::to_string(a.tokens()), "leads"});

  // Tensors: the architecture, the card and the file must agree name for name, shape for shape.
  const auto expected = expected_tensors(a);
  const JsonValue& card_tensors = card.at("tensors");
  const Safetensors st = parse_safetensors(weights, weights_size, wfile.at("path").as_string());
  for (const auto& [name, shape] : expected) {
    const JsonValue* c = card_tensors.find(name);
    if (c == nullptr) refuse("card tensors: missing '" + name + "' (expected shape " + shape_str(shape) + ")");
    std::vector<std::int64_t> card_shape;
    for (const auto& v : c->as_array()) card_shape.push_back(v.as_int(0, INT32_MAX));
    if (card_shape != shape) refuse("card tensor '" + name + "' has shape " + shape_str(card_shape) + ", expected " + shape_str(shape));
    auto it = st.tensors.find(name);
    if (it == st.tensors.end()) refuse("weights file " + st.source + " has no tensor '" + name + "' (expected " + shape_str(shape) + ")");
    if (it->second.shape != shape) {
      refuse("weights file tensor '" + name + "' has shape " + shape_str(it->second.shape) + ", expected " + shape_str(shape));
    }
    impl->parameters += it->second.numel();
  }
  for (const auto& name : card_tensors.keys()) {
    if (!expected.count(name)) refuse("card lists tensor '" + name + "' that this architecture does not have");
  }
  for (const auto& [name, t] : st.tensors) {
    if (!expected.count(name)) refuse("weights file has unexpected tensor '" + name + "' " + t.shape_str());
  }
  if (const JsonValue* p = card.find("parameters"); p && p->as_int(0, INT64_MAX) != impl->parameters) {
    refuse("card says " + std::to_string(p->as_int(0, INT64_MAX)) + " parameters, the weights hold " + std::to_string(impl->parameters));
  }

  // Pack.
  auto net = std::make_shared<FhnetNet>();
  FhnetNet& m = *net;
  const int pd = (a.down_kernel - 1) / 2;  // stride-2 convs halve the length exactly
  m.stem = make_conv(st, "encoder.stem", 1, a.stem_kernel / 2);
  m.down1 = make_conv(st, "encoder.down1", 2, pd);
  m.down2 = make_conv(st, "encoder.down2", 2, pd);
  m.down3 = make_conv(st, "encoder.down3", 2, pd);
  if (m.down1.out_length(a.window) != a.window / 2) refuse("down_kernel " + std::to_string(a.down_kernel) + " does not halve the length");
  for (int i = 0; i < a.n_blocks; ++i) {
    const std::string g = "graphs." + std::to_string(i), b = "blocks." + std::to_string(i);
    m.graphs.push_back(GraphLayer{make_norm(st, g + ".norm"), make_linear(st, g + ".qkv"), make_linear(st, g + ".out")});
    TemporalBlock blk;
    blk.norm1 = make_norm(st, b + ".norm1");
    blk.norm2 = make_norm(st, b + ".norm2");
    for (std::size_t j = 0; j < a.dw_kernels.size(); ++j) blk.dw.push_back(make_depthwise(st, b + ".mixer.dw." + std::to_string(j)));
    blk.coarse_qkv = make_linear(st, b + ".mixer.coarse.qkv");
    blk.coarse_out = make_linear(st, b + ".mixer.coarse.out");
    blk.gate = make_linear(st, b + ".mixer.gate");
    blk.mix_out = make_linear(st, b + ".mixer.out");
    blk.fc1 = make_linear(st, b + ".ffn.fc1");
    blk.fc2 = make_linear(st, b + ".ffn.fc2");
    m.blocks.push_back(std::move(blk));
  }
  m.final_norm = make_norm(st, "norm");
  m.up3 = make_upconv(st, "decoder.up3");
  m.up2 = make_upconv(st, "decoder.up2");
  m.up1 = make_upconv(st, "decoder.up1");
  m.fecg = make_linear_1x1(st, "decoder.fecg");
  m.head_conv = make_conv(st, "rpeak.conv", 1, a.head_kernel / 2);
  m.logit = make_linear_1x1(st, "rpeak.logit");
  if (a.lead_pool) m.lead_score = make_linear(st, "rpeak.lead_score");
  impl->net = std::move(net);
  return FhnetModel(std::move(impl));
}

void FhnetModel::run(const LeadMatrix& x, FhnetOutput& out) {
  if (x.cols() != impl_->arch.window) {
    throw Error("fhnet: run: expected leads x " + std::to_string(impl_->arch.window) + " samples, got " +
                std::to_string(x.rows()) + " x " + std::to_string(x.cols()));
  }
  run_batch(x.data(), 1, static_cast<int>(x.rows()), out);  // row-major: already B × K × W
}

void FhnetModel::run_batch(const float* x, int batch, int leads, FhnetOutput& out) {
  if (leads < 1 || leads > kMaxLeads) {
    throw Error("fhnet: run_batch: " + std::to_string(leads) + " leads, expected 1.." + std::to_string(kMaxLeads));
  }
  if (x == nullptr) throw Error("fhnet: run_batch: null input");
  if (batch < 1 || batch > (1 << 16)) throw Error("fhnet: run_batch: batch " + std::to_string(batch) + ", expected 1..65536");
  const int w = impl_->arch.window;
  const std::size_t total = static_cast<std::size_t>(batch) * leads * w;
  for (std::size_t i = 0; i < total; ++i) {
    if (!std::isfinite(x[i])) {
      throw Error("fhnet: run_batch: non-finite input at window " + std::to_string(i / (static_cast<std::size_t>(leads) * w)) +
                  ", lead " + std::to_string(i / w % leads) + ", sample " + std::to_string(i % w));
    }
  }
  impl_->forward(x, batch, leads, out);
}

}  // namespace fecg
