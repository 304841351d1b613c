// FHNet C++ engine against the torch reference vectors, and its refusal of files that do not
// match their card. The model files are models/fhnet.{json,safetensors} and the reference
// models/fhnet_testvectors.safetensors, all written by
//   /usr/bin/python3 scripts/fhnet/export.py --random-init --seed 2026
// (inputs: synthetic maternal + fetal mixtures, normalised; outputs: torch 1.13 on CPU).
#include <doctest/doctest.h>

#include "core/error.h"
#include "model/fhnet.h"
#include "model/safetensors.h"
#include "model/sha256.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string models_dir() { return std::string(FECG_SOURCE_DIR) + "/models/"; }

struct ModelFiles {
  std::string card;
  std::vector<std::uint8_t> weights;
};

ModelFiles model_files() {
  auto card = read_bytes(models_dir() + "fhnet.json");
  return {std::string(card.begin(), card.end()), read_bytes(models_dir() + "fhnet.safetensors")};
}

fecg::FhnetModel load(const ModelFiles& f) { return fecg::FhnetModel::load(f.card, f.weights.data(), f.weights.size()); }

float max_abs_diff(const float* a, const float* b, std::size_t n) {
  float worst = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = std::abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN wins
  }
  return worst;
}

// Replaces every occurrence of `from` in `text` (the card is edited as text, like a person would).
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size())) text.replace(p, from.size(), to);
  return text;
}

// A card whose files.weights entry describes `weights` (sha256 and size updated).
std::string card_for(const ModelFiles& f, const std::vector<std::uint8_t>& weights) {
  std::string card = replace_all(f.card, fecg::sha256_hex(f.weights.data(), f.weights.size()),
                                 fecg::sha256_hex(weights.data(), weights.size()));
  return replace_all(card, "\"bytes\": " + std::to_string(f.weights.size()), "\"bytes\": " + std::to_string(weights.size()));
}

std::string load_error(const std::string& card, const std::vector<std::uint8_t>& weights) {
  try {
    fecg::FhnetModel::load(card, weights.data(), weights.size());
  } catch (const fecg::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Both kernel sets where this CPU has AVX2 + FMA, else the portable one.
std::vector<fecg::FhnetKernels> kernel_choices() {
  if (fecg::fhnet_kernels_available(fecg::FhnetKernels::avx2_fma)) return {fecg::FhnetKernels::portable, fecg::FhnetKernels::avx2_fma};
  MESSAGE("no AVX2 + FMA on this CPU: only the portable kernels are checked");
  return {fecg::FhnetKernels::portable};
}

}  // namespace

TEST_CASE("fhnet: engine matches the torch reference vectors within 1e-4 for every lead count, both kernel sets") {
  const ModelFiles files = model_files();
  fecg::FhnetModel model = load(files);
  const auto tv_bytes = read_bytes(models_dir() + "fhnet_testvectors.safetensors");
  const auto tv = fecg::parse_safetensors(tv_bytes.data(), tv_bytes.size(), "fhnet_testvectors.safetensors");
  const float tolerance = std::stof(tv.metadata.at("tolerance_abs"));
  CHECK(tolerance <= 1e-4f);
  CHECK(model.parameter_count() > 10000);

  std::vector<int> leads_seen;
  fecg::FhnetOutput out;
  for (fecg::FhnetKernels kernels : kernel_choices()) {
    model.set_kernels(kernels);
    const bool wide = kernels == fecg::FhnetKernels::avx2_fma;
    for (int k : {1, 3, 4, 8}) {
      CAPTURE(wide);
      CAPTURE(k);
      const std::string p = "k" + std::to_string(k) + ".";
      const auto& x = tv.get(p + "x");
      REQUIRE(x.shape.size() == 3);
      REQUIRE(x.shape[1] == k);
      const int batch = static_cast<int>(x.shape[0]);
      model.run_batch(x.data.data(), batch, k, out);
      leads_seen.push_back(k);

      const auto& fecg = tv.get(p + "fecg");
      const auto& prob = tv.get(p + "rpeak_prob");
      const auto& att = tv.get(p + "lead_attention");
      REQUIRE(static_cast<std::size_t>(out.fecg.size()) == fecg.data.size());
      REQUIRE(static_cast<std::size_t>(out.rpeak_prob.size()) == prob.data.size());
      REQUIRE(out.lead_attention.size() == att.data.size());
      const float d_fecg = max_abs_diff(out.fecg.data(), fecg.data.data(), fecg.data.size());
      const float d_prob = max_abs_diff(out.rpeak_prob.data(), prob.data.data(), prob.data.size());
      const float d_att = max_abs_diff(out.lead_attention.data(), att.data.data(), att.data.size());
      MESSAGE(std::string(wide ? "AVX2 + FMA" : "portable") << " kernels, K = " << k << ": max |engine - torch| fecg " << d_fecg << ", rpeak_prob " << d_prob << ", attention " << d_att);
      CHECK(d_fecg <= tolerance);
      CHECK(d_prob <= tolerance);
      CHECK(d_att <= tolerance);
      // The R-peak head's lead weights: the shipped model pools the leads with learned weights.
      CHECK(out.lead_pool == model.architecture().lead_pool);
      REQUIRE(model.architecture().lead_pool);
      const auto& weights = tv.get(p + "lead_weights");
      REQUIRE(out.lead_weights.size() == weights.data.size());
      const float d_weights = max_abs_diff(out.lead_weights.data(), weights.data.data(), weights.data.size());
      MESSAGE("  lead weights " << d_weights);
      CHECK(d_weights <= tolerance);
      // The comparison means something only if the outputs are not flat.
      const Eigen::Map<const Eigen::ArrayXf> ref(fecg.data.data(), static_cast<Eigen::Index>(fecg.data.size()));
      CHECK(std::sqrt((ref - ref.mean()).square().mean()) > 100 * tolerance);

      // One window through run() equals the first window of the batch.
      fecg::LeadMatrix one = Eigen::Map<const fecg::LeadMatrix>(x.data.data(), k, model.window());
      fecg::FhnetOutput single;
      model.run(one, single);
      CHECK(max_abs_diff(single.fecg.data(), out.fecg.data(), static_cast<std::size_t>(k) * model.window()) <= 1e-6f);
      CHECK(max_abs_diff(single.rpeak_prob.data(), out.rpeak_prob.data(), model.window()) <= 1e-6f);
    }
  }
  CHECK(leads_seen.size() == 4 * kernel_choices().size());
}

TEST_CASE("fhnet: the AVX2 + FMA and the portable kernels differ by float rounding only") {
  if (!fecg::fhnet_kernels_available(fecg::FhnetKernels::avx2_fma)) {
    MESSAGE("no AVX2 + FMA on this CPU: nothing to compare");
    return;
  }
  fecg::FhnetModel model = load(model_files());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int k : {1, 2, 5, 8}) {
    CAPTURE(k);
    const int batch = 3;
    std::vector<float> x(static_cast<std::size_t>(batch) * k * model.window());
    for (float& v : x) v = normal(rng);
    fecg::FhnetOutput portable, wide;
    model.set_kernels(fecg::FhnetKernels::portable);
    model.run_batch(x.data(), batch, k, portable);
    model.set_kernels(fecg::FhnetKernels::avx2_fma);
    model.run_batch(x.data(), batch, k, wide);
    // A thread clone keeps the choice.
    fecg::FhnetOutput cloned;
    model.clone_for_thread()->run_batch(x.data(), batch, k, cloned);
    CHECK(max_abs_diff(cloned.fecg.data(), wide.fecg.data(), static_cast<std::size_t>(wide.fecg.size())) == 0.0f);
    const float d_fecg = max_abs_diff(wide.fecg.data(), portable.fecg.data(), static_cast<std::size_t>(portable.fecg.size()));
    const float d_prob = max_abs_diff(wide.rpeak_prob.data(), portable.rpeak_prob.data(), static_cast<std::size_t>(portable.rpeak_prob.size()));
    MESSAGE("K = " << k << ": max |AVX2 - portable| fecg " << d_fecg << ", rpeak_prob " << d_prob);
    CHECK(d_fecg <= 2e-5f);
    CHECK(d_prob <= 2e-5f);
    CHECK(d_fecg > 0.0f);  // the two really are different code (fused multiply-adds)
  }
}

TEST_CASE("fhnet: reusing the model and the output across lead counts changes nothing") {
  fecg::FhnetModel model = load(model_files());
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  fecg::LeadMatrix x8(8, model.window()), x3(3, model.window());
  for (Eigen::Index i = 0; i < x8.size(); ++i) x8.data()[i] = normal(rng);
  for (Eigen::Index i = 0; i < x3.size(); ++i) x3.data()[i] = normal(rng);
  fecg::FhnetOutput first, out, three;
  model.run(x8, first);
  model.run(x3, three);
  model.run(x8, out);
  CHECK(out.fecg == first.fecg);  // bit-identical: same ops in the same order
  CHECK(out.rpeak_prob == first.rpeak_prob);
  CHECK(out.lead_attention == first.lead_attention);
  model.run(x3, out);
  CHECK(out.fecg == three.fecg);
  CHECK(out.leads == 3);
  CHECK(out.lead_attention.size() == std::size_t(1) * out.layers * out.tokens * 3 * 3);
}

TEST_CASE("fhnet: permuting the leads permutes the outputs (equivariance), R-peak head invariant") {
  fecg::FhnetModel model = load(model_files());
  const int k = 5, w = model.window();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  fecg::LeadMatrix x(k, w);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  const std::vector<int> perm = {3, 0, 4, 1, 2};  // new lead i is old lead perm[i]
  fecg::LeadMatrix xp(k, w);
  for (int i = 0; i < k; ++i) xp.row(i) = x.row(perm[i]);
  fecg::FhnetOutput a, b;
  model.run(x, a);
  model.run(xp, b);
  float worst = 0.0f;
  for (int i = 0; i < k; ++i) worst = std::max(worst, (b.fecg.row(i) - a.fecg.row(perm[i])).cwiseAbs().maxCoeff());
  CHECK(worst <= 1e-5f);
  CHECK((b.rpeak_prob - a.rpeak_prob).cwiseAbs().maxCoeff() <= 1e-5f);
  float worst_att = 0.0f;
  for (int layer = 0; layer < a.layers; ++layer) {
    for (int t = 0; t < a.tokens; ++t) {
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) {
          worst_att = std::max(worst_att, std::abs(b.attention(0, layer, t, i, j) - a.attention(0, layer, t, perm[i], perm[j])));
        }
      }
    }
  }
  CHECK(worst_att <= 1e-5f);
  // The R-peak head's lead weights permute with the leads, sum to 1 and are not all alike.
  float worst_weight = 0.0f, spread = 0.0f;
  for (int t = 0; t < a.tokens; ++t) {
    float sum = 0.0f;
    for (int i = 0; i < k; ++i) {
      worst_weight = std::max(worst_weight, std::abs(b.lead_weight(0, t, i) - a.lead_weight(0, t, perm[i])));
      spread = std::max(spread, std::abs(a.lead_weight(0, t, i) - 1.0f / k));
      sum += a.lead_weight(0, t, i);
    }
    CHECK(sum == doctest::Approx(1.0f).epsilon(1e-5));
  }
  CHECK(worst_weight <= 1e-5f);
  CHECK(spread > 1e-3f);
  // Rows of the attention are distributions over the leads.
  float row_sum = 0.0f;
  for (int j = 0; j < k; ++j) row_sum += a.attention(0, 1, 17, 2, j);
  CHECK(row_sum == doctest::Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("fhnet: a card that does not match the weights is refused with a clear message") {
  const ModelFiles f = model_files();
  const auto st = fecg::parse_safetensors(f.weights.data(), f.weights.size(), "fhnet.safetensors");

  SUBCASE("the unchanged pair loads") { CHECK(load_error(f.card, f.weights) == "(no error)"); }

  SUBCASE("one weight byte changed: sha256 mismatch") {
    auto w = f.weights;
    w[w.size() - 3] ^= 0x01;
    const std::string e = load_error(f.card, w);
    CHECK(e.find("sha256") != std::string::npos);
    CHECK(e.find("do not belong together") != std::string::npos);
  }

  SUBCASE("a tensor missing from the weights file") {
    auto cut = st;
    cut.tensors.erase("encoder.stem.bias");
    const auto w = fecg::serialize_safetensors(cut);
    const std::string e = load_error(card_for(f, w), w);
    CHECK(e.find("has no tensor 'encoder.stem.bias'") != std::string::npos);
  }

  SUBCASE("a tensor of the wrong shape in the weights file") {
    auto bad = st;
    bad.tensors.at("blocks.1.ffn.fc1.weight").shape = {48, 96};  // transposed, same size
    const auto w = fecg::serialize_safetensors(bad);
    const std::string e = load_error(card_for(f, w), w);
    CHECK(e.find("'blocks.1.ffn.fc1.weight' has shape [48, 96], expected [96, 48]") != std::string::npos);
  }

  SUBCASE("an extra tensor in the weights file") {
    auto extra = st;
    extra.tensors["pos_embedding"] = fecg::Tensor{{8, 48}, std::vector<float>(8 * 48, 0.0f)};
    const auto w = fecg::serialize_safetensors(extra);
    CHECK(load_error(card_for(f, w), w).find("unexpected tensor 'pos_embedding'") != std::string::npos);
  }

  SUBCASE("the card's architecture disagrees with the tensors") {
    const std::string card = replace_all(f.card, "\"d_model\": 48", "\"d_model\": 64");
    REQUIRE(card != f.card);
    CHECK(load_error(card, f.weights).find("has shape") != std::string::npos);
  }

  SUBCASE("the card's tensor list lacks one") {
    const std::string card = replace_all(f.card, "\"norm.weight\"", "\"norm.weigth\"");
    REQUIRE(card != f.card);
    CHECK(load_error(card, f.weights).find("card tensors: missing 'norm.weight'") != std::string::npos);
  }

  SUBCASE("an output renamed") {
    const std::string card = replace_all(f.card, "\"rpeak_prob\"", "\"r_peak\"");
    CHECK(load_error(card, f.weights).find("expected \"rpeak_prob\", found \"r_peak\"") != std::string::npos);
  }

  SUBCASE("another sampling rate") {
    const std::string card = replace_all(f.card, "\"sampling_rate_hz\": 250.0", "\"sampling_rate_hz\": 500.0");
    REQUIRE(card != f.card);
    CHECK(load_error(card, f.weights).find("sampling_rate_hz") != std::string::npos);
  }

  SUBCASE("a truncated card") {
    const std::string e = load_error(f.card.substr(0, f.card.size() / 2), f.weights);
    CHECK(e.find("fhnet card:") != std::string::npos);
    CHECK(e.find("json") != std::string::npos);
  }

  SUBCASE("empty or truncated weights") {
    CHECK(load_error(f.card, {}).find("no weights") != std::string::npos);
    std::vector<std::uint8_t> half(f.weights.begin(), f.weights.begin() + f.weights.size() / 2);
    CHECK(load_error(card_for(f, half), half).find("outside") != std::string::npos);
  }
}

TEST_CASE("fhnet: a card from before the lead pooling loads and pools the leads with a plain mean") {
  const ModelFiles f = model_files();
  auto st = fecg::parse_safetensors(f.weights.data(), f.weights.size(), "fhnet.safetensors");
  REQUIRE(st.tensors.erase("rpeak.lead_score.weight") == 1);
  REQUIRE(st.tensors.erase("rpeak.lead_score.bias") == 1);
  const auto w = fecg::serialize_safetensors(st);
  // The card as export.py wrote it then: no lead_pool, no lead_score tensors, three outputs.
  std::string card = card_for(f, w);
  card = replace_all(card, "  \"lead_pool\": true,\n", "");
  card = replace_all(card, "  \"rpeak.lead_score.bias\": [\n   1\n  ],\n  \"rpeak.lead_score.weight\": [\n   1,\n   48\n  ],\n", "");
  card = replace_all(card, "\"parameters\": 81715", "\"parameters\": 81666");
  const std::size_t out_start = card.find(",\n  {\n   \"name\": \"lead_weights\"");
  REQUIRE(out_start != std::string::npos);
  card.erase(out_start, card.find("\n ],\n \"architecture\"") - out_start);
  REQUIRE(card.find("lead_pool\": true") == std::string::npos);
  REQUIRE(card.find("lead_score") == std::string::npos);
  fecg::FhnetModel old = fecg::FhnetModel::load(card, w.data(), w.size());
  CHECK_FALSE(old.architecture().lead_pool);
  fecg::FhnetModel model = load(f);
  CHECK(model.architecture().lead_pool);

  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  fecg::LeadMatrix x(3, model.window());
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  fecg::FhnetOutput a, b;
  old.run(x, a);
  model.run(x, b);
  CHECK_FALSE(a.lead_pool);
  CHECK(std::all_of(a.lead_weights.begin(), a.lead_weights.end(), [](float v) { return v == 1.0f / 3.0f; }));
  CHECK(a.fecg == b.fecg);                // the fetal ECG does not depend on the head
  CHECK(a.rpeak_prob != b.rpeak_prob);    // the head does: the learned weights are not uniform

  // The pooled architecture without its tensors is refused.
  CHECK(load_error(card_for(f, w), w).find("has no tensor 'rpeak.lead_score") != std::string::npos);
}

TEST_CASE("fhnet: bad input windows are refused, never run") {
  fecg::FhnetModel model = load(model_files());
  fecg::FhnetOutput out;
  fecg::LeadMatrix x = fecg::LeadMatrix::Zero(4, model.window());
  x(2, 100) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(model.run(x, out), doctest::Contains("non-finite input at window 0, lead 2, sample 100"), fecg::Error);
  CHECK_THROWS_WITH_AS(model.run(fecg::LeadMatrix::Zero(9, model.window()), out), doctest::Contains("9 leads, expected 1..8"), fecg::Error);
  CHECK_THROWS_WITH_AS(model.run(fecg::LeadMatrix::Zero(0, model.window()), out), doctest::Contains("0 leads"), fecg::Error);
  CHECK_THROWS_WITH_AS(model.run(fecg::LeadMatrix::Zero(2, 1000), out), doctest::Contains("1024 samples"), fecg::Error);
  CHECK_THROWS_AS(model.run_batch(nullptr, 1, 2, out), fecg::Error);
  CHECK_THROWS_AS(model.run_batch(x.data(), 0, 2, out), fecg::Error);
}

TEST_CASE("safetensors: round trip, and malformed files refused") {
  fecg::Safetensors st;
  st.source = "test";
  st.tensors["a"] = fecg::Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}};
  st.tensors["b.scalar"] = fecg::Tensor{{}, {-0.5f}};
  st.metadata["origin"] = "unit test \"quoted\"";
  const auto bytes = fecg::serialize_safetensors(st);
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  CHECK(header_len % 8 == 0);
  const auto back = fecg::parse_safetensors(bytes.data(), bytes.size(), "rt");
  CHECK(back.get("a").shape == std::vector<std::int64_t>{2, 3});
  CHECK(back.get("a").data == st.tensors["a"].data);
  CHECK(back.get("b.scalar").data == std::vector<float>{-0.5f});
  CHECK(back.metadata.at("origin") == st.metadata["origin"]);
  CHECK_THROWS_WITH_AS(back.get("c"), doctest::Contains("no tensor 'c'"), fecg::Error);

  auto with_header = [&](const std::string& json, std::size_t data_bytes) {
    std::vector<std::uint8_t> b(8 + json.size() + data_bytes, 0);
    const std::uint64_t n = json.size();
    std::memcpy(b.data(), &n, 8);
    std::memcpy(b.data() + 8, json.data(), json.size());
    return b;
  };
  auto error_of = [](const std::vector<std::uint8_t>& b) {
    try {
      fecg::parse_safetensors(b.data(), b.size(), "bad.safetensors");
    } catch (const fecg::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error_of({1, 2, 3}).find("expected at least 8") != std::string::npos);
  auto huge = with_header("{}", 0);
  huge[7] = 0x7f;
  CHECK(error_of(huge).find("header says") != std::string::npos);
  CHECK(error_of(with_header(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4)).find("dtype F16, expected F32") != std::string::npos);
  CHECK(error_of(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("needs 12 bytes") != std::string::npos);
  CHECK(error_of(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 8)).find("outside") != std::string::npos);
  CHECK(error_of(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8))
            .find("overlap") != std::string::npos);
  CHECK(error_of(with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)) != "(no error)");
  auto nan = with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  const float q = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.data() + nan.size() - 4, &q, 4);
  CHECK(error_of(nan).find("non-finite") != std::string::npos);
}

TEST_CASE("sha256: FIPS 180-4 example vectors and padding boundaries") {
  auto hex = [](const std::string& s) { return fecg::sha256_hex(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); };
  CHECK(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55, 56 and 64 bytes: the length field fits in the last block, just does not, one full block
  // (digests from Python's hashlib.sha256(b"a" * n)).
  CHECK(hex(std::string(55, 'a')) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(hex(std::string(56, 'a')) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(hex(std::string(64, 'a')) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
