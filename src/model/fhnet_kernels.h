// FHNet's compute kernels (private to model/fhnet.cpp): a packed GEMM with a fused bias, GELU
// and residual epilogue, convolutions without im2col, depthwise convolutions, LayerNorm and a
// vectorised exp, on 4-wide float vectors. Eigen 3.4 has no WebAssembly SIMD kernels, so under
// Emscripten (-msimd128) Eigen's products and transcendental functions run scalar; these run on
// wasm_simd128.h there, on SSE2 natively (x86-64 baseline) and on plain loops elsewhere, the
// same code and the same operation order everywhere (so the native tests of Gemm::portable check
// the WASM path; natively the model runs the AVX2 + FMA GEMM below where the CPU has it).
//
// Layout (as in fhnet.cpp): an activation is features × columns, column-major, one column per
// time step of one sequence (lead of a window), columns of a sequence consecutive. A column is
// `features` contiguous floats, so the GEMM vectorises over output features and streams the
// input columns; a conv's taps are consecutive columns, so its im2col column is contiguous
// memory and needs no copy except at the sequence edges.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

// On x86-64 with GCC or Clang the GEMM also has an AVX2 + FMA version (8-wide, fused
// multiply-add), compiled for that target alone and chosen per call (Gemm::avx2_fma, which the
// model picks when the CPU has both), so one native binary runs everywhere. It is the same sums
// in the same order, each multiply-add rounded once instead of twice: outputs differ from the
// portable kernels by float rounding only (tests/unit/test_model_fhnet.cpp compares the two).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__wasm__)
#define FECG_FHNET_AVX2 1
#include <immintrin.h>
#endif

namespace fecg::fhnet_kernels {

// ---- 4-wide float vectors --------------------------------------------------------------------

#if defined(__wasm_simd128__)
struct F4 {
  v128_t v;
};
inline F4 load4(const float* p) { return {wasm_v128_load(p)}; }
inline void store4(float* p, F4 a) { wasm_v128_store(p, a.v); }
inline F4 splat4(float x) { return {wasm_f32x4_splat(x)}; }
inline F4 operator+(F4 a, F4 b) { return {wasm_f32x4_add(a.v, b.v)}; }
inline F4 operator-(F4 a, F4 b) { return {wasm_f32x4_sub(a.v, b.v)}; }
inline F4 operator*(F4 a, F4 b) { return {wasm_f32x4_mul(a.v, b.v)}; }
inline F4 operator/(F4 a, F4 b) { return {wasm_f32x4_div(a.v, b.v)}; }
inline F4 min4(F4 a, F4 b) { return {wasm_f32x4_pmin(a.v, b.v)}; }
inline F4 max4(F4 a, F4 b) { return {wasm_f32x4_pmax(a.v, b.v)}; }
// 2^n for integer-valued n in -126..127, from n + magic (see exp4).
inline F4 pow2_from_magic(F4 t) {
  return {wasm_i32x4_shl(wasm_i32x4_add(t.v, wasm_i32x4_splat(127 - 0x4B400000)), 23)};
}
inline float hsum4(F4 a) {
  return wasm_f32x4_extract_lane(a.v, 0) + wasm_f32x4_extract_lane(a.v, 1) + wasm_f32x4_extract_lane(a.v, 2) +
         wasm_f32x4_extract_lane(a.v, 3);
}
#elif defined(__SSE2__)
struct F4 {
  __m128 v;
};
inline F4 load4(const float* p) { return {_mm_loadu_ps(p)}; }
inline void store4(float* p, F4 a) { _mm_storeu_ps(p, a.v); }
inline F4 splat4(float x) { return {_mm_set1_ps(x)}; }
inline F4 operator+(F4 a, F4 b) { return {_mm_add_ps(a.v, b.v)}; }
inline F4 operator-(F4 a, F4 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline F4 operator*(F4 a, F4 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline F4 operator/(F4 a, F4 b) { return {_mm_div_ps(a.v, b.v)}; }
inline F4 min4(F4 a, F4 b) { return {_mm_min_ps(a.v, b.v)}; }
inline F4 max4(F4 a, F4 b) { return {_mm_max_ps(a.v, b.v)}; }
inline F4 pow2_from_magic(F4 t) {
  const __m128i n = _mm_add_epi32(_mm_castps_si128(t.v), _mm_set1_epi32(127 - 0x4B400000));
  return {_mm_castsi128_ps(_mm_slli_epi32(n, 23))};
}
inline float hsum4(F4 a) {
  alignas(16) float l[4];
  _mm_store_ps(l, a.v);
  return l[0] + l[1] + l[2] + l[3];
}
#else
struct F4 {
  float v[4];
};
inline F4 load4(const float* p) { return {{p[0], p[1], p[2], p[3]}}; }
inline void store4(float* p, F4 a) { std::memcpy(p, a.v, sizeof a.v); }
inline F4 splat4(float x) { return {{x, x, x, x}}; }
#define FECG_F4_BINARY(op)                                                                   \
  inline F4 operator op(F4 a, F4 b) {                                                        \
    return {{a.v[0] op b.v[0], a.v[1] op b.v[1], a.v[2] op b.v[2], a.v[3] op b.v[3]}};       \
  }
FECG_F4_BINARY(+)
FECG_F4_BINARY(-)
FECG_F4_BINARY(*)
FECG_F4_BINARY(/)
#undef FECG_F4_BINARY
inline F4 min4(F4 a, F4 b) {
  F4 r;
  for (int i = 0; i < 4; ++i) r.v[i] = b.v[i] < a.v[i] ? b.v[i] : a.v[i];
  return r;
}
inline F4 max4(F4 a, F4 b) {
  F4 r;
  for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] < b.v[i] ? b.v[i] : a.v[i];
  return r;
}
inline F4 pow2_from_magic(F4 t) {
  F4 r;
  for (int i = 0; i < 4; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &t.v[i], 4);
    bits = (bits + static_cast<std::uint32_t>(127 - 0x4B400000)) << 23;
    std::memcpy(&r.v[i], &bits, 4);
  }
  return r;
}
inline float hsum4(F4 a) { return a.v[0] + a.v[1] + a.v[2] + a.v[3]; }
#endif

// e^x, relative error about 2e-7 (float rounding of the steps dominates): x = n ln2 + r with
// |r| <= ln2 / 2 (Cody & Waite 1980 two-constant reduction), e^r by its degree-6 Taylor
// polynomial (truncation error r^7 / 7! <= 1.2e-7 there), times 2^n built in the exponent bits.
// n is rounded by adding 1.5 · 2^23 (0x4B400000), which leaves n in the low mantissa bits.
// Inputs are clamped to [-87.3, 88.3], so the result is a normal float (e^-87.3 ≈ 1.2e-38 stands
// for anything smaller: harmless in softmax and sigmoid sums).
inline F4 exp4(F4 x) {
  x = max4(min4(x, splat4(88.3f)), splat4(-87.3f));
  const F4 magic = splat4(12582912.0f);                    // 1.5 · 2^23
  const F4 t = x * splat4(1.44269504088896341f) + magic;   // n + magic, n = round(x / ln2)
  const F4 n = t - magic;
  F4 r = x - n * splat4(0.693145751953125f);               // ln2, high part (exact n · hi)
  r = r - n * splat4(1.428606765330187e-6f);               // ln2 - hi
  F4 p = splat4(1.0f / 720.0f);
  p = p * r + splat4(1.0f / 120.0f);
  p = p * r + splat4(1.0f / 24.0f);
  p = p * r + splat4(1.0f / 6.0f);
  p = p * r + splat4(0.5f);
  p = p * r + splat4(1.0f);
  p = p * r + splat4(1.0f);
  return p * pow2_from_magic(t);
}

// GELU, tanh form (Hendrycks & Gimpel 2016), 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715
// x^3), computed as x / (1 + e^(-2u)): the same function (1 + tanh(u) = 2 / (1 + e^(-2u))) with one
// exp and no cancellation; for very negative x, e^(-2u) saturates and the result goes to -0.
inline F4 gelu4(F4 x) {
  const F4 u = x * (splat4(0.7978845608028654f) + splat4(0.7978845608028654f * 0.044715f) * x * x);
  return x / (splat4(1.0f) + exp4(splat4(-2.0f) * u));
}

inline float gelu1(float x) {
  F4 v = gelu4(splat4(x));
  float l[4];
  store4(l, v);
  return l[0];
}

// ---- Packed GEMM: out(:, n) = epilogue(W x(:, n) + b) ------------------------------------------

// W (M × K) in panels of 4, 8 or 12 rows (1, 2 or 3 vectors): panel p holds, for k = 0..K-1,
// its rows' W(row, k) contiguously; rows past M (M not a multiple of 4) are zero. Bias padded
// the same way.
struct PackedMatrix {
  static constexpr int kPanelVectors = 2;
  int rows = 0, depth = 0;
  struct Panel {
    int row0, vectors;     // first row, 4-row vectors in the panel
    std::size_t offset;    // into data: depth × 4·vectors floats
  };
  std::vector<Panel> panels;
  std::vector<float> data;
  std::vector<float> bias;  // padded to a multiple of 4

  // w(row, k) read through a callable; bias may be null (zero).
  template <typename At>
  static PackedMatrix pack(int rows, int depth, At w, const float* b) {
    PackedMatrix m;
    m.rows = rows;
    m.depth = depth;
    const int vecs_total = (rows + 3) / 4;
    m.bias.assign(static_cast<std::size_t>(vecs_total) * 4, 0.0f);
    for (int r = 0; r < rows; ++r) m.bias[static_cast<std::size_t>(r)] = b ? b[r] : 0.0f;
    for (int v = 0; v < vecs_total;) {
      // Two vectors (8 rows) per panel: with four columns, 8 accumulators, 2 weight vectors and a
      // broadcast fit the 16 registers of SSE2 and of WebAssembly engines on x86-64 (three vectors,
      // 12 accumulators, were measured slower: they spill). The remainder goes in a 1-vector panel.
      const int vecs = vecs_total - v >= kPanelVectors ? kPanelVectors : vecs_total - v;
      Panel p{v * 4, vecs, m.data.size()};
      for (int k = 0; k < depth; ++k) {
        for (int i = 0; i < 4 * vecs; ++i) {
          const int r = p.row0 + i;
          m.data.push_back(r < rows ? w(r, k) : 0.0f);
        }
      }
      m.panels.push_back(p);
      v += vecs;
    }
    return m;
  }
};

// What happens to W x + b before it is stored in out (column n at out + n·ldo):
//   gelu: apply GELU;  add (may equal out): add the column at add + n·ldo (residual, skip).
struct Epilogue {
  bool gelu = false;
  const float* add = nullptr;
};

namespace detail {

// The epilogue of one 4-row vector of one column: y = W x + b (accumulated), then GELU, the
// added column (residual, skip) and the store of the rows that exist (the last vector of a
// matrix whose row count is not a multiple of 4 has fewer).
[[gnu::always_inline]] inline void finish_vector(F4 y, const float* bias, bool gelu, const float* add, float* out, int valid_rows) {
  y = y + load4(bias);
  if (gelu) y = gelu4(y);
  if (valid_rows >= 4) {
    if (add) y = y + load4(add);
    store4(out, y);
  } else {
    float l[4];
    store4(l, y);
    for (int i = 0; i < valid_rows; ++i) out[i] = l[i] + (add ? add[i] : 0.0f);
  }
}

// One panel of V vectors × NR columns: accumulators in registers over the whole depth.
template <int V, int NR>
inline void micro_kernel(const float* w, const float* bias, int depth, const float* const* x, float* const* out,
                         const float* const* add, bool gelu, int valid_rows) {
  F4 acc[NR][V];
  for (int j = 0; j < NR; ++j)
    for (int v = 0; v < V; ++v) acc[j][v] = splat4(0.0f);
  for (int k = 0; k < depth; ++k, w += 4 * V) {
    F4 wv[V];
    for (int v = 0; v < V; ++v) wv[v] = load4(w + 4 * v);
    for (int j = 0; j < NR; ++j) {
      const F4 xb = splat4(x[j][k]);
      for (int v = 0; v < V; ++v) acc[j][v] = acc[j][v] + wv[v] * xb;
    }
  }
  for (int j = 0; j < NR; ++j)
    for (int v = 0; v < V; ++v)
      finish_vector(acc[j][v], bias + 4 * v, gelu, add[j] ? add[j] + 4 * v : nullptr, out[j] + 4 * v, valid_rows - 4 * v);
}

template <int NR>
inline void columns(const PackedMatrix& w, const float* x, std::ptrdiff_t ldx, float* out, std::ptrdiff_t ldo,
                    const Epilogue& e) {
  const float* xs[NR];
  float* os[NR];
  const float* as[NR];
  for (int j = 0; j < NR; ++j) {
    xs[j] = x + j * ldx;
    os[j] = out + j * ldo;
    as[j] = e.add ? e.add + j * ldo : nullptr;
  }
  for (const PackedMatrix::Panel& p : w.panels) {
    const float* wp = w.data.data() + p.offset;
    const float* bp = w.bias.data() + p.row0;
    float* o[NR];
    const float* a[NR];
    for (int j = 0; j < NR; ++j) {
      o[j] = os[j] + p.row0;
      a[j] = as[j] ? as[j] + p.row0 : nullptr;
    }
    const int valid = w.rows - p.row0;
    switch (p.vectors) {
      case 3: micro_kernel<3, NR>(wp, bp, w.depth, xs, o, a, e.gelu, valid); break;
      case 2: micro_kernel<2, NR>(wp, bp, w.depth, xs, o, a, e.gelu, valid); break;
      default: micro_kernel<1, NR>(wp, bp, w.depth, xs, o, a, e.gelu, valid); break;
    }
  }
}

#if FECG_FHNET_AVX2
// P panels of 8 rows (two 4-row vectors each, as packed) × NR columns (NR = 1 or 4), 8-wide with
// FMA. The accumulators are named variables: as an array GCC kept them on the stack.
template <int P, int NR>
  requires((P == 1 || P == 2) && (NR == 1 || NR == 4))
__attribute__((target("avx2,fma"))) inline void micro_kernel_avx2(const float* const* w, const float* const* bias,
                                                                   int depth, const float* const* x, float* const* out,
                                                                   const float* const* add, bool gelu,
                                                                   const int* valid_rows) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  const float* w0 = w[0];
  const float* w1 = w[P - 1];
  const float* x0 = x[0];
  const float* x1 = x[NR - 1 < 1 ? NR - 1 : 1];
  const float* x2 = x[NR - 1 < 2 ? NR - 1 : 2];
  const float* x3 = x[NR - 1];
  for (int k = 0; k < depth; ++k) {
    const __m256 wa = _mm256_loadu_ps(w0 + 8 * k);
    const __m256 wb = P == 2 ? _mm256_loadu_ps(w1 + 8 * k) : wa;
    const __m256 b0 = _mm256_broadcast_ss(x0 + k);
    a00 = _mm256_fmadd_ps(wa, b0, a00);
    if constexpr (P == 2) a01 = _mm256_fmadd_ps(wb, b0, a01);
    if constexpr (NR == 4) {
      const __m256 b1 = _mm256_broadcast_ss(x1 + k);
      a10 = _mm256_fmadd_ps(wa, b1, a10);
      if constexpr (P == 2) a11 = _mm256_fmadd_ps(wb, b1, a11);
      const __m256 b2 = _mm256_broadcast_ss(x2 + k);
      a20 = _mm256_fmadd_ps(wa, b2, a20);
      if constexpr (P == 2) a21 = _mm256_fmadd_ps(wb, b2, a21);
      const __m256 b3 = _mm256_broadcast_ss(x3 + k);
      a30 = _mm256_fmadd_ps(wa, b3, a30);
      if constexpr (P == 2) a31 = _mm256_fmadd_ps(wb, b3, a31);
    }
  }
  const __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
  for (int j = 0; j < NR; ++j) {
    for (int p = 0; p < P; ++p) {
      const F4 lo{_mm256_castps256_ps128(acc[j][p])}, hi{_mm256_extractf128_ps(acc[j][p], 1)};
      float* o = out[j * P + p];
      const float* a = add[j * P + p];
      finish_vector(lo, bias[p], gelu, a, o, valid_rows[p]);
      if (valid_rows[p] > 4) finish_vector(hi, bias[p] + 4, gelu, a ? a + 4 : nullptr, o + 4, valid_rows[p] - 4);
    }
  }
}

template <int NR>
__attribute__((target("avx2,fma"))) inline void columns_avx2(const PackedMatrix& w, const float* x,
                                                              std::ptrdiff_t ldx, float* out, std::ptrdiff_t ldo,
                                                              const Epilogue& e) {
  const float* xs[NR];
  for (int j = 0; j < NR; ++j) xs[j] = x + j * ldx;
  const std::size_t n_panels = w.panels.size();
  for (std::size_t i = 0; i < n_panels;) {
    // Two 8-row panels at once where there are two; a lone one; 4-row panels by the F4 kernel.
    int group = 0;
    while (group < 2 && i + static_cast<std::size_t>(group) < n_panels && w.panels[i + group].vectors == 2) ++group;
    if (group == 0) {
      const PackedMatrix::Panel& p = w.panels[i];
      float* o[NR];
      const float* a[NR];
      for (int j = 0; j < NR; ++j) {
        o[j] = out + j * ldo + p.row0;
        a[j] = e.add ? e.add + j * ldo + p.row0 : nullptr;
      }
      micro_kernel<1, NR>(w.data.data() + p.offset, w.bias.data() + p.row0, w.depth, xs, o, a, e.gelu, w.rows - p.row0);
      ++i;
      continue;
    }
    const float* wp[2];
    const float* bp[2];
    int valid[2];
    float* o[NR * 2];
    const float* a[NR * 2];
    for (int g = 0; g < group; ++g) {
      const PackedMatrix::Panel& p = w.panels[i + g];
      wp[g] = w.data.data() + p.offset;
      bp[g] = w.bias.data() + p.row0;
      valid[g] = w.rows - p.row0;
      for (int j = 0; j < NR; ++j) {
        o[j * group + g] = out + j * ldo + p.row0;
        a[j * group + g] = e.add ? e.add + j * ldo + p.row0 : nullptr;
      }
    }
    if (group == 2) micro_kernel_avx2<2, NR>(wp, bp, w.depth, xs, o, a, e.gelu, valid);
    else micro_kernel_avx2<1, NR>(wp, bp, w.depth, xs, o, a, e.gelu, valid);
    i += static_cast<std::size_t>(group);
  }
}

__attribute__((target("avx2,fma"))) inline void gemm_avx2(const PackedMatrix& w, const float* x, std::ptrdiff_t ldx,
                                                           std::ptrdiff_t n_cols, float* out, std::ptrdiff_t ldo,
                                                           const Epilogue& e) {
  std::ptrdiff_t n = 0;
  for (; n + 4 <= n_cols; n += 4) {
    Epilogue en = e;
    if (e.add) en.add = e.add + n * ldo;
    columns_avx2<4>(w, x + n * ldx, ldx, out + n * ldo, ldo, en);
  }
  for (; n < n_cols; ++n) {
    Epilogue en = e;
    if (e.add) en.add = e.add + n * ldo;
    columns_avx2<1>(w, x + n * ldx, ldx, out + n * ldo, ldo, en);
  }
}
#endif

}  // namespace detail

// The GEMM kernels: the portable 4-wide ones, or AVX2 + FMA (x86-64 CPUs that have both).
enum class Gemm { portable, avx2_fma };

inline bool avx2_fma_available() {
#if FECG_FHNET_AVX2
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// For n = 0..n_cols-1: out[n·ldo + 0..M) = epilogue(W · x[n·ldx + 0..K) + b). `e.add`, when
// set, is indexed like out (e.add + n·ldo). Every column is computed the same way (same order
// of operations) wherever it falls, so results do not depend on batching.
// `g` must be available (avx2_fma_available() for Gemm::avx2_fma).
inline void gemm(Gemm g, const PackedMatrix& w, const float* x, std::ptrdiff_t ldx, std::ptrdiff_t n_cols, float* out,
                 std::ptrdiff_t ldo, const Epilogue& e = {}) {
#if FECG_FHNET_AVX2
  if (g == Gemm::avx2_fma) {
    detail::gemm_avx2(w, x, ldx, n_cols, out, ldo, e);
    return;
  }
#endif
  std::ptrdiff_t n = 0;
  for (; n + 4 <= n_cols; n += 4) {
    Epilogue en = e;
    if (e.add) en.add = e.add + n * ldo;
    detail::columns<4>(w, x + n * ldx, ldx, out + n * ldo, ldo, en);
  }
  for (; n < n_cols; ++n) {
    Epilogue en = e;
    if (e.add) en.add = e.add + n * ldo;
    detail::columns<1>(w, x + n * ldx, ldx, out + n * ldo, ldo, en);
  }
}

// Conv1d (torch cross-correlation, zero padding) over n_seq sequences of l_in columns of c_in
// features: output column t of a sequence reads input columns t·stride + first + j, j = 0..taps-1
// (first = -padding), whose features are W's depth = taps · c_in in order — one contiguous run
// of input memory. Output column t of sequence s goes to out + (s·l_out + t)·ldo (ldo = c_out,
// or 2·c_out for one phase of an upsampling conv); e.add is indexed like out. Columns whose taps
// cross a sequence edge are gathered, zero-filled, into `edge` first.
inline void conv1d(Gemm g, const PackedMatrix& w, int c_in, int taps, int first, int stride, const float* in, int n_seq,
                   int l_in, int l_out, float* out, std::ptrdiff_t ldo, const Epilogue& e, std::vector<float>& edge) {
  const std::ptrdiff_t depth = static_cast<std::ptrdiff_t>(taps) * c_in;
  // Interior: 0 <= t·stride + first and t·stride + first + taps - 1 <= l_in - 1.
  int t_lo = first >= 0 ? 0 : (-first + stride - 1) / stride;
  int t_hi = l_in - taps - first < 0 ? 0 : (l_in - taps - first) / stride + 1;  // exclusive
  if (t_lo > l_out) t_lo = l_out;
  if (t_hi > l_out) t_hi = l_out;
  if (t_hi < t_lo) t_hi = t_lo;
  const int n_edge = t_lo + (l_out - t_hi);
  if (edge.size() < static_cast<std::size_t>(n_edge * depth)) edge.resize(static_cast<std::size_t>(n_edge * depth));
  for (int s = 0; s < n_seq; ++s) {
    const float* seq = in + static_cast<std::ptrdiff_t>(s) * l_in * c_in;
    float* o = out + static_cast<std::ptrdiff_t>(s) * l_out * ldo;
    Epilogue es = e;
    if (e.add) es.add = e.add + static_cast<std::ptrdiff_t>(s) * l_out * ldo;
    // Edge columns: gather.
    auto gather = [&](int t, float* dst) {
      for (int j = 0; j < taps; ++j, dst += c_in) {
        const int src = t * stride + first + j;
        if (src >= 0 && src < l_in) std::memcpy(dst, seq + static_cast<std::ptrdiff_t>(src) * c_in, sizeof(float) * c_in);
        else std::memset(dst, 0, sizeof(float) * c_in);
      }
    };
    for (int t = 0; t < t_lo; ++t) gather(t, edge.data() + t * depth);
    if (t_lo > 0) gemm(g, w, edge.data(), depth, t_lo, o, ldo, es);
    if (t_hi > t_lo) {
      Epilogue ei = es;
      if (es.add) ei.add = es.add + static_cast<std::ptrdiff_t>(t_lo) * ldo;
      gemm(g, w, seq + (static_cast<std::ptrdiff_t>(t_lo) * stride + first) * c_in, static_cast<std::ptrdiff_t>(stride) * c_in,
           t_hi - t_lo, o + static_cast<std::ptrdiff_t>(t_lo) * ldo, ldo, ei);
    }
    if (l_out > t_hi) {
      float* base = edge.data() + static_cast<std::ptrdiff_t>(t_lo) * depth;
      for (int t = t_hi; t < l_out; ++t) gather(t, base + (t - t_hi) * depth);
      Epilogue er = es;
      if (es.add) er.add = es.add + static_cast<std::ptrdiff_t>(t_hi) * ldo;
      gemm(g, w, base, depth, l_out - t_hi, o + static_cast<std::ptrdiff_t>(t_hi) * ldo, ldo, er);
    }
  }
}

// ---- Depthwise conv ----------------------------------------------------------------------------

// Depthwise conv over time (groups = channels, stride 1, zero padding kernel/2), its output
// scaled per column and added: out(:, t) += scale[t] · (b + Σ_j w(:, j) ⊙ in(:, t + j - kernel/2)),
// for n_seq sequences of len columns of `channels` features; scale has one value per column.
// w is tap-major (kernel × channels). Channels go in blocks of up to four vectors held in
// registers while the taps accumulate.
inline void depthwise_scaled_add(const float* w, const float* b, int channels, int kernel, const float* in, int n_seq,
                                 int len, const float* scale, std::ptrdiff_t scale_stride, float* out) {
  const int pad = kernel / 2;
  const int c4 = channels - channels % 4;
  for (int s = 0; s < n_seq; ++s) {
    const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(s) * len;
    for (int t = 0; t < len; ++t) {
      const int j0 = pad - t > 0 ? pad - t : 0;
      const int j1 = len + pad - t < kernel ? len + pad - t : kernel;  // taps inside the sequence
      const float* x = in + (base + t) * channels;  // column t; tap j reads column t + j - pad
      float* o = out + (base + t) * channels;
      const float g = scale[(base + t) * scale_stride];
      const F4 g4 = splat4(g);
      int c = 0;
      for (; c + 16 <= c4; c += 16) {
        F4 a0 = load4(b + c), a1 = load4(b + c + 4), a2 = load4(b + c + 8), a3 = load4(b + c + 12);
        for (int j = j0; j < j1; ++j) {
          const float* wj = w + static_cast<std::ptrdiff_t>(j) * channels + c;
          const float* xj = x + static_cast<std::ptrdiff_t>(j - pad) * channels + c;
          a0 = a0 + load4(wj) * load4(xj);
          a1 = a1 + load4(wj + 4) * load4(xj + 4);
          a2 = a2 + load4(wj + 8) * load4(xj + 8);
          a3 = a3 + load4(wj + 12) * load4(xj + 12);
        }
        store4(o + c, load4(o + c) + a0 * g4);
        store4(o + c + 4, load4(o + c + 4) + a1 * g4);
        store4(o + c + 8, load4(o + c + 8) + a2 * g4);
        store4(o + c + 12, load4(o + c + 12) + a3 * g4);
      }
      for (; c < c4; c += 4) {
        F4 a = load4(b + c);
        for (int j = j0; j < j1; ++j)
          a = a + load4(w + static_cast<std::ptrdiff_t>(j) * channels + c) * load4(x + static_cast<std::ptrdiff_t>(j - pad) * channels + c);
        store4(o + c, load4(o + c) + a * g4);
      }
      for (; c < channels; ++c) {
        float a = b[c];
        for (int j = j0; j < j1; ++j) a += w[static_cast<std::ptrdiff_t>(j) * channels + c] * x[static_cast<std::ptrdiff_t>(j - pad) * channels + c];
        o[c] += a * g;
      }
    }
  }
}

// ---- Row-wise helpers -------------------------------------------------------------------------

// LayerNorm over the d features of each of n_cols columns (biased variance, as torch).
inline void layer_norm(const float* in, int d, std::ptrdiff_t n_cols, const float* gamma, const float* beta, float eps,
                       float* out) {
  const int d4 = d - d % 4;
  const float inv_d = 1.0f / static_cast<float>(d);
  for (std::ptrdiff_t c = 0; c < n_cols; ++c) {
    const float* x = in + c * d;
    float* y = out + c * d;
    F4 s = splat4(0.0f);
    for (int i = 0; i < d4; i += 4) s = s + load4(x + i);
    float sum = hsum4(s);
    for (int i = d4; i < d; ++i) sum += x[i];
    const float mean = sum * inv_d;
    const F4 m4 = splat4(mean);
    F4 q = splat4(0.0f);
    for (int i = 0; i < d4; i += 4) {
      const F4 v = load4(x + i) - m4;
      q = q + v * v;
    }
    float sq = hsum4(q);
    for (int i = d4; i < d; ++i) sq += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / std::sqrt(sq * inv_d + eps);
    const F4 inv4 = splat4(inv);
    for (int i = 0; i < d4; i += 4) store4(y + i, (load4(x + i) - m4) * inv4 * load4(gamma + i) + load4(beta + i));
    for (int i = d4; i < d; ++i) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
  }
}

// Σ a[i] b[i], i < n.
inline float dot(const float* a, const float* b, int n) {
  F4 s = splat4(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) s = s + load4(a + i) * load4(b + i);
  float r = hsum4(s);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

// out[0..m) = Σ_j s[j·s_stride] · v[j·v_stride + 0..m), j = 0..n-1, summed in j order: an
// attention output (softmax weights s over n value vectors). The sums stay in registers, 16
// floats at a time; no zero fill (under WebAssembly a short fill is a call to memset).
inline void weighted_sum(const float* s, std::ptrdiff_t s_stride, int n, const float* v, std::ptrdiff_t v_stride, int m,
                         float* out) {
  int i = 0;
  for (; i + 16 <= m; i += 16) {
    F4 a0 = splat4(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < n; ++j) {
      const F4 w = splat4(s[j * s_stride]);
      const float* vj = v + j * v_stride + i;
      a0 = a0 + w * load4(vj);
      a1 = a1 + w * load4(vj + 4);
      a2 = a2 + w * load4(vj + 8);
      a3 = a3 + w * load4(vj + 12);
    }
    store4(out + i, a0);
    store4(out + i + 4, a1);
    store4(out + i + 8, a2);
    store4(out + i + 12, a3);
  }
  for (; i + 4 <= m; i += 4) {
    F4 a = splat4(0.0f);
    for (int j = 0; j < n; ++j) a = a + splat4(s[j * s_stride]) * load4(v + j * v_stride + i);
    store4(out + i, a);
  }
  for (; i < m; ++i) {
    float a = 0.0f;
    for (int j = 0; j < n; ++j) a += s[j * s_stride] * v[j * v_stride + i];
    out[i] = a;
  }
}

// In place e^x over n floats.
inline void exp_inplace(float* x, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 4 <= n; i += 4) store4(x + i, exp4(load4(x + i)));
  if (i < n) {
    float l[4] = {0, 0, 0, 0};
    std::memcpy(l, x + i, sizeof(float) * static_cast<std::size_t>(n - i));
    store4(l, exp4(load4(l)));
    std::memcpy(x + i, l, sizeof(float) * static_cast<std::size_t>(n - i));
  }
}

// Softmax down each of n_cols columns of `rows` floats (contiguous columns).
inline void softmax_columns(float* m, int rows, std::ptrdiff_t n_cols) {
  for (std::ptrdiff_t c = 0; c < n_cols; ++c) {
    float* col = m + c * rows;
    float mx = col[0];
    for (int i = 1; i < rows; ++i) mx = col[i] > mx ? col[i] : mx;
    for (int i = 0; i < rows; ++i) col[i] -= mx;
  }
  exp_inplace(m, static_cast<std::ptrdiff_t>(rows) * n_cols);
  for (std::ptrdiff_t c = 0; c < n_cols; ++c) {
    float* col = m + c * rows;
    float s = 0.0f;
    for (int i = 0; i < rows; ++i) s += col[i];
    const float inv = 1.0f / s;
    for (int i = 0; i < rows; ++i) col[i] *= inv;
  }
}

}  // namespace fecg::fhnet_kernels
