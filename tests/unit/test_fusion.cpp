// The fusion stage (pipeline/fusion.h): the candidate pool, the choice per window, and the
// reliability of each window. A network whose R-peak head fires on the maternal QRS (as the
// trained one does on some real records) must be outvoted by the classical candidates where the
// pool is on, and its windows judged unreliable where it runs alone; the trained model must keep
// its own result on simulated recordings; on Challenge 2013 a32 (when ../shared/data is present),
// where the trained model locks onto the mother's heart, the pool must recover the fetal beats.
#include <doctest/doctest.h>

#include "detect/quality.h"
#include "eval/metrics.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "io/model_files.h"
#include "pipeline/pipeline.h"
#include "cli_test_support.h"
#include "core/json_parse.h"
#include "fhnet_test_support.h"
#include "shared_data.h"
#include "synth/simulator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <memory>
#include <optional>
#include <string>

namespace {

// A network that failed the way the trained one does on some real records: its "fetal ECG" is the
// mother's (the input smoothed over 36 ms, which keeps the maternal QRS and flattens the narrower
// fetal one) and its R-peak head fires on the strongest QRS complexes, which are the mother's
// (probability = (energy across leads / its window maximum)^2). Passing the input through
// unsmoothed no longer fails: the fetal detector finds the fetal QRS slopes in the raw mixture.
class MaternalPassingEngine final : public fecg::FhnetEngine {
 public:
  int window() const override { return 1024; }
  double sampling_rate_hz() const override { return 250.0; }
  void run_batch(const float* x, int batch, int leads, fecg::FhnetOutput& out) override {
    out.batch = batch;
    out.leads = leads;
    out.layers = 0;
    out.tokens = 0;
    const Eigen::Map<const fecg::LeadMatrix> input(x, static_cast<Eigen::Index>(batch) * leads, window());
    constexpr int kSmooth = 9;  // 36 ms at 250 Hz
    out.fecg = fecg::LeadMatrix::Zero(input.rows(), input.cols());
    for (Eigen::Index t = 0; t < input.cols(); ++t) {
      const Eigen::Index lo = std::max<Eigen::Index>(0, t - kSmooth / 2);
      const Eigen::Index hi = std::min<Eigen::Index>(input.cols() - 1, t + kSmooth / 2);
      out.fecg.col(t) = input.middleCols(lo, hi - lo + 1).rowwise().mean();
    }
    out.rpeak_prob.resize(batch, window());
    for (int b = 0; b < batch; ++b) {
      const auto windows = input.middleRows(static_cast<Eigen::Index>(b) * leads, leads);
      const Eigen::ArrayXf energy = windows.array().square().colwise().sum().transpose();
      out.rpeak_prob.row(b) = (energy / std::max(energy.maxCoeff(), 1e-12f)).square().matrix().transpose();
    }
    out.lead_attention.clear();
  }
};

// 60 s, 4 leads. `maternal_bpm` inside the fetal detector's 90–240 bpm range (as on Challenge
// a09, ~96 bpm) lets a maternal beat train pass for a fetal one.
fecg::SynthRecording sim(std::uint64_t seed, std::optional<double> maternal_bpm = std::nullopt) {
  fecg::SynthParams sp;
  sp.duration_s = 60.0;
  sp.n_leads = 4;
  sp.seed = seed;
  sp.maternal_bpm = maternal_bpm;
  return fecg::simulate(sp);
}

bool has_warning(const fecg::PipelineResult& r, const std::string& text) {
  for (const std::string& w : r.quality.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

fecg::PipelineParams fhnet_params(std::shared_ptr<fecg::FhnetEngine> engine) {
  fecg::PipelineParams params;
  params.method = fecg::Method::fhnet;
  params.fhnet_model = std::move(engine);
  return params;
}

}  // namespace

int reliable_windows(const fecg::PipelineResult& r) {
  int n = 0;
  for (const fecg::QualityWindow& w : r.quality.windows) n += w.reliable ? 1 : 0;
  return n;
}

int windows_from(const fecg::PipelineResult& r, const std::string& source) {
  int n = 0;
  for (const fecg::QualityWindow& w : r.quality.windows) n += w.source == source ? 1 : 0;
  return n;
}

TEST_CASE("fusion: a network that finds the maternal beats is unreliable alone and outvoted in the pool") {
  const fecg::SynthRecording s = sim(31, 100.0);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(s.mixture);

  fecg::PipelineParams params = fhnet_params(std::make_shared<MaternalPassingEngine>());
  params.candidate_pool = false;
  const fecg::PipelineResult alone = fecg::run_pipeline(s.mixture, roles, params);
  CHECK(alone.method == fecg::Method::fhnet);
  CHECK(windows_from(alone, "fhnet") == static_cast<int>(alone.quality.windows.size()));
  // Its "fetal" beats are the mother's: the lock measure sees it, the quality report says so, and
  // no window may show that rate as the fetal one.
  const fecg::MaternalLock lock = fecg::maternal_lock(alone.fetal_beats, alone.maternal_beats, alone.fs_hz,
                                                      alone.fecg_uv.cols());
  MESSAGE("maternal-passing network: maternal lock excess " << lock.excess << ", RR ratio " << lock.rate_ratio);
  CHECK(lock.factor < 0.5);
  CHECK(has_warning(alone, "look like maternal residue"));
  CHECK(fecg::score_beats(s.fetal_peaks, alone.fetal_beats, s.mixture.fs_hz).f1 < 0.5);
  CHECK(reliable_windows(alone) == 0);
  CHECK_FALSE(alone.fhr.mean_bpm.has_value());
  for (const fecg::QualityWindow& w : alone.quality.windows) CHECK_FALSE(w.why_unreliable.empty());

  params.candidate_pool = true;
  const fecg::PipelineResult pooled = fecg::run_pipeline(s.mixture, roles, params);
  const double f1 = fecg::score_beats(s.fetal_peaks, pooled.fetal_beats, s.mixture.fs_hz).f1;
  MESSAGE("in the pool: fetal F1 " << f1 << ", " << windows_from(pooled, "fhnet") << " windows from the network, "
                                   << reliable_windows(pooled) << " of " << pooled.quality.windows.size() << " reliable");
  CHECK(f1 >= 0.95);
  CHECK(windows_from(pooled, "fhnet") == 0);
  CHECK(reliable_windows(pooled) >= static_cast<int>(pooled.quality.windows.size()) - 1);
  REQUIRE(pooled.fhr.mean_bpm.has_value());
  CHECK(std::abs(*pooled.fhr.mean_bpm - s.fetal_bpm) < 3.0);
  CHECK(pooled.rpeak_prob.size() > 0);  // the network's own output stays available for its plots
}

TEST_CASE("fusion: the trained model keeps its own result on simulated recordings") {
  auto model = fecg_test::trained_model();
  for (const std::uint64_t seed : {41, 42}) {
    CAPTURE(seed);
    const fecg::SynthRecording s = sim(seed);
    const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), fhnet_params(model));
    CHECK(r.method == fecg::Method::fhnet);
    CHECK(fecg::score_beats(s.fetal_peaks, r.fetal_beats, s.mixture.fs_hz).f1 >= 0.95);
    CHECK(reliable_windows(r) >= static_cast<int>(r.quality.windows.size()) - 1);
  }
}

TEST_CASE("fusion: on Challenge 2013 a32 the trained model follows the mother; the pool recovers the fetus") {
  // a32: a mother the network never trained on, whose heart it follows (the shipped model; on
  // a09, the record of this test until the network trained longer on a01-a25, it no longer does).
  using fecg_test::have;
  using fecg_test::kData;
  if (!have("challenge2013/a32.hea")) return;
  auto model = fecg_test::trained_model();
  const fecg::Recording r = fecg::read_record(kData + "/challenge2013/a32.hea");
  const fecg::BeatIndices reference =
      fecg::beat_samples(fecg::read_wfdb_annotations(kData + "/challenge2013/a32.fqrs").annotations);
  fecg::PipelineParams params = fhnet_params(model);

  params.candidate_pool = false;
  const fecg::PipelineResult network = fecg::run_pipeline(r, fecg::guess_lead_roles(r), params);
  const double f1_network = fecg::score_beats(reference, network.fetal_beats, r.fs_hz).f1;
  params.candidate_pool = true;
  const fecg::PipelineResult result = fecg::run_pipeline(r, fecg::guess_lead_roles(r), params);
  const double f1 = fecg::score_beats(reference, result.fetal_beats, r.fs_hz).f1;
  MESSAGE("a32: FHNet alone F1 " << f1_network << " (" << reliable_windows(network) << " windows reliable), in the pool F1 "
                                 << f1 << " (" << reliable_windows(result) << " reliable)");
  CHECK(has_warning(network, "look like maternal residue"));
  CHECK(reliable_windows(network) <= 1);
  CHECK(f1 >= 0.9);
  CHECK(f1 > f1_network + 0.5);
}

TEST_CASE("fusion: simulated fetal bradycardia at 80 bpm under a maternal 100 bpm is right or marked unreliable (issue 13)") {
  // The case, through the CLI as a user runs it (default method): each seed is either
  // right (F1 >= 0.95, mean FHR within 3 bpm) or has no reliable window; at least 3 of 4 right;
  // none confidently wrong (a reliable window whose rate is not the fetus's).
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fecg_brady_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  int right = 0;
  for (const int seed : {7, 8, 11, 12}) {
    CAPTURE(seed);
    const std::string rec = (dir / ("s" + std::to_string(seed))).string();
    const fecg_test::CliRun synth = fecg_test::run_cli("synth --seconds 120 --fetal-bpm 80 --maternal-bpm 100 --snr-mn 9 --seed " +
                                                       std::to_string(seed) + " --out " + rec);
    REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
    const fecg_test::CliRun run =
        fecg_test::run_cli("extract " + rec + ".hea --quiet --ref " + rec + ".fqrs --out " + (dir / "out").string());
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
    std::ifstream in(dir / "out" / ("s" + std::to_string(seed) + ".json"));
    std::stringstream text;
    text << in.rdbuf();
    const fecg::JsonValue json = fecg::parse_json(text.str(), "summary");
    const double f1 = json.find("fetal_score")->find("f1")->as_number();
    const fecg::JsonValue* mean = json.find("fetal")->find("mean_bpm");
    const double reliable = json.find("fetal")->find("reliable_windows")->as_number();
    const fecg::BeatIndices truth = fecg::beat_samples(fecg::read_wfdb_annotations(rec + ".fqrs").annotations);
    const double true_bpm = 60.0 * 1000.0 * static_cast<double>(truth.size() - 1) / static_cast<double>(truth.back() - truth.front());
    const bool has_rate = mean && mean->is_number();
    MESSAGE("seed " << seed << ": F1 " << f1 << ", mean FHR " << (has_rate ? mean->as_number() : -1.0) << " (true "
                    << true_bpm << "), " << reliable << " reliable windows");
    const bool is_right = f1 >= 0.95 && has_rate && std::abs(mean->as_number() - true_bpm) <= 3.0;
    CHECK((is_right || reliable == 0));
    if (has_rate) CHECK(std::abs(mean->as_number() - true_bpm) <= 3.0);
    right += is_right ? 1 : 0;
  }
  CHECK(right >= 3);
  fs::remove_all(dir);
}

TEST_CASE("fusion: the method's own fetal ECG is kept where it found the same beats as the chosen candidate") {
  // Two candidates on 20 s at 250 Hz (two 10-s windows), beats at 140 bpm. Window 1: the primary
  // (index 0, the method asked for) has one extra beat, so the other candidate's beats score higher
  // and are chosen, but 22 of the primary's 23 beats are the same beats: its waveform is shown.
  // Window 2: the primary misses every third beat (irregular); the other candidate gives beats and
  // waveform.
  const double fs = 250.0;
  const Eigen::Index n = 5000;
  fecg::BeatIndices regular, primary_beats;
  for (std::int64_t b = 50, k = 0; b < n; b += 107, ++k) {
    regular.push_back(b);
    if (b < 2500 || k % 3 != 0) primary_beats.push_back(b);
    if (k == 9) primary_beats.push_back(b + 53);  // an extra beat between two true ones
  }
  fecg::FetalCandidate primary{"fhnet", {}, primary_beats, {}}, other{"ts-ica", {}, regular, {}};
  primary.extraction.fecg_uv = fecg::LeadMatrix::Constant(2, n, 1.0f);
  other.extraction.fecg_uv = fecg::LeadMatrix::Constant(2, n, 2.0f);
  const fecg::FusedExtraction fused = fecg::fuse_per_window({primary, other}, {}, fs, 10.0);
  REQUIRE(fused.windows.size() == 2);
  CHECK(fused.windows[0].candidate == 1);
  CHECK(fused.windows[0].waveform == 0);
  CHECK(fused.fecg_uv(0, 500) == doctest::Approx(1.0));
  CHECK(std::count(fused.beats.begin(), fused.beats.end(), 50 + 9 * 107 + 53) == 0);  // the beats are the chosen ones
  CHECK(fused.windows[1].candidate == 1);
  CHECK(fused.windows[1].waveform == 1);
  CHECK(fused.fecg_uv(0, 4000) == doctest::Approx(2.0));
  // Roles swapped: the classical candidate as primary wins window 1 itself and keeps its waveform.
  const fecg::FusedExtraction swapped = fecg::fuse_per_window({other, primary}, {}, fs, 10.0);
  CHECK(swapped.windows[0].candidate == 0);
  CHECK(swapped.fecg_uv(0, 500) == doctest::Approx(2.0));
}

TEST_CASE("fusion: a window shows the tracked beats where they agree with the picked ones, else the picked") {
  // One candidate on 30 s at 250 Hz (three 10-s windows), true beats every 107 samples (140 bpm).
  // Picked: window 1 misses every fourth beat and has a noise beat instead, 40 samples after it;
  // window 2 all beats; window 3 only noise at another rate. Tracked: the true beats throughout,
  // except in window 3, where the tracker holds a rhythm of its own (every 120 samples).
  const double fs = 250.0;
  const Eigen::Index n = 7500;
  fecg::BeatIndices truth, picked, tracked;
  for (std::int64_t b = 50, k = 0; b < n; b += 107, ++k) {
    truth.push_back(b);
    if (b >= 5000) continue;
    picked.push_back(b < 2500 && k % 4 == 0 ? b + 40 : b);
    tracked.push_back(b);
  }
  for (std::int64_t b = 5030; b < n; b += 120) tracked.push_back(b);
  for (std::int64_t b = 5065; b < n; b += 77) picked.push_back(b);
  fecg::FetalCandidate c{"ts-ica", {}, picked, tracked};
  c.extraction.fecg_uv = fecg::LeadMatrix::Zero(1, n);
  const fecg::FusedExtraction fused = fecg::fuse_per_window({c}, {}, fs, 10.0);
  REQUIRE(fused.windows.size() == 3);
  CHECK(fused.windows[0].tracked);   // 3 of 4 beats agree: the tracked ones, all right
  CHECK(fused.windows[1].tracked);   // identical: either way the same beats
  CHECK_FALSE(fused.windows[2].tracked);  // they disagree: the picked ones stand
  fecg::BeatIndices first_two;
  for (const std::int64_t b : fused.beats) if (b < 5000) first_two.push_back(b);
  CHECK(fecg::score_beats(truth, first_two, fs, 0.004).false_positives == 0);
  CHECK(first_two.size() == 47);
  for (const std::int64_t b : fused.beats) if (b >= 5000) CHECK(std::binary_search(picked.begin(), picked.end(), b));
}

TEST_CASE("fusion: the candidate whose tracked beats another confirms is chosen over a regular wrong one") {
  // Three candidates on 10 s at 250 Hz, true beats every 107 samples (140 bpm). "ts-ica": picked
  // beats with a noise peak 120 ms late in place of every fourth beat, tracked beats right. "ts:1":
  // the same heart seen on another lead, its noise peaks elsewhere, tracked right too. "ica": a
  // regular train at another rate (a residue at 120 bpm), picked and tracked alike, confirmed by no
  // one. Its picked beats are the more regular and the other two's picked beats agree on half the
  // beats only, so on picked-beat evidence it would win (score 0.64 against 0.4); the tracked beats
  // of the other two are the same beats, and they are chosen.
  const double fs = 250.0;
  const Eigen::Index n = 2500;
  fecg::BeatIndices truth, noisy_a, noisy_b, wrong;
  for (std::int64_t b = 40, k = 0; b < n; b += 107, ++k) {
    truth.push_back(b);
    noisy_a.push_back(k % 4 == 1 ? b + 30 : b);
    noisy_b.push_back(k % 4 == 3 ? b - 30 : b);
  }
  for (std::int64_t b = 60; b < n; b += 125) wrong.push_back(b);
  fecg::FetalCandidate a{"ts-ica", {}, noisy_a, truth}, b{"ts:1", {}, noisy_b, truth}, c{"ica", {}, wrong, wrong};
  for (fecg::FetalCandidate* x : {&a, &b, &c}) x->extraction.fecg_uv = fecg::LeadMatrix::Zero(1, n);
  const std::vector<fecg::WindowEvidence> e = fecg::window_evidence({c, a, b}, {}, fs, 0, n);
  CHECK(e[0].coverage > e[1].coverage);         // the wrong train is the more regular
  CHECK(e[0].agreement < 0.2);                  // confirmed by no one
  CHECK(e[1].agreement == doctest::Approx(1.0));  // the tracked beats of the other two are the same
  CHECK(e[1].consistency < 0.8);                // noise peaks among the picked beats
  CHECK(e[0].consistency == doctest::Approx(1.0));
  const fecg::FusedExtraction fused = fecg::fuse_per_window({c, a, b}, {}, fs, 10.0);
  REQUIRE(fused.windows.size() == 1);
  CHECK(fused.windows[0].candidate != 0);  // either lead's view of the heart, not the residue
  CHECK(fused.windows[0].tracked);  // three in four of its picked beats are its tracked ones
  CHECK(fecg::score_beats(truth, fused.beats, fs).f1 == doctest::Approx(1.0));
}

TEST_CASE("fusion: a simulated recording with the mother and noise but no fetus shows no reliable rate") {
  // What the confidence model was fitted to refuse (eval_reliability --null): the fetal heart 60 dB
  // below the mother's, NSTDB-like noise from the simulator's own model.
  for (const std::uint64_t seed : {7101u, 7105u}) {
    CAPTURE(seed);
    fecg::SynthParams p;
    p.duration_s = 40;
    p.seed = seed;
    p.snr_fm_db = -60.0;
    p.snr_mn_db = 6.0;
    const fecg::SynthRecording s = fecg::simulate(p);
    for (const fecg::Method method : {fecg::Method::ts_ica, fecg::Method::fhnet}) {
      fecg::PipelineParams params;
      params.method = method;
      if (method == fecg::Method::fhnet) params.fhnet_model = fecg_test::trained_model();
      const fecg::PipelineResult r = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params);
      CHECK(reliable_windows(r) == 0);
      CHECK_FALSE(r.fhr.mean_bpm.has_value());
    }
  }
}

TEST_CASE("fusion: beats on the mother's rhythm at a fixed delay are not chosen, and alone are unreliable") {
  // The failure the maternal-coincidence check missed (Challenge a27, FHNet alone: the mother's
  // rhythm 250 ms after her R peaks, "0 % within 50 ms"). The mother at about 80 bpm with a
  // varying RR (250 Hz); "follower" beats 62 samples after each of hers; "fetus" an independent
  // rhythm at 140 bpm; "near" an independent heart at 0.985 of the mother's rate (as ADFECGDB r10
  // in one window), which drifts through her cycle and must not be taken for her.
  const double fs = 250.0;
  const Eigen::Index n = 2500;
  fecg::BeatIndices maternal, follower, fetus, near;
  for (std::int64_t b = 30, k = 0; b < n; b += 187 + (k % 3 == 0 ? 9 : -4), ++k) {
    maternal.push_back(b);
    if (b + 62 < n) follower.push_back(b + 62);
  }
  for (std::int64_t b = 20; b < n; b += 107) fetus.push_back(b);
  for (std::int64_t b = 100; b < n; b += 190) near.push_back(b);
  fecg::FetalCandidate f{"fhnet", {}, follower, follower}, t{"ts-ica", {}, fetus, fetus}, r{"ts:1", {}, near, near};
  for (fecg::FetalCandidate* x : {&f, &t, &r}) x->extraction.fecg_uv = fecg::LeadMatrix::Zero(1, n);

  const std::vector<fecg::WindowEvidence> e = fecg::window_evidence({f, t, r}, maternal, fs, 0, n);
  CHECK(e[0].maternal_coincidence == doctest::Approx(0.0));  // none within 50 ms of her R peaks
  CHECK(e[0].maternal_lock == doctest::Approx(1.0));          // all at one delay after them
  CHECK(e[0].score == 0.0);
  CHECK(e[1].maternal_lock < 0.5);
  CHECK(e[2].maternal_rate_ratio == doctest::Approx(1.0).epsilon(0.05));
  CHECK(e[2].maternal_lock < 0.8);
  CHECK(e[2].score > 0.0);

  // In the pool the fetus is chosen, though the follower is as regular.
  const fecg::FusedExtraction pooled = fecg::fuse_per_window({f, t}, maternal, fs, 10.0);
  REQUIRE(pooled.windows.size() == 1);
  CHECK(pooled.windows[0].candidate == 1);

  // Alone, the follower is chosen (nothing else has beats) and judged unreliable, whatever its
  // confidence; the independent heart at nearly her rate is not refused for it.
  for (const auto& tried : {std::pair{f, true}, std::pair{r, false}}) {
    const fecg::FetalCandidate& candidate = tried.first;
    const bool refused = tried.second;
    CAPTURE(candidate.source);
    const fecg::FusedExtraction alone = fecg::fuse_per_window({candidate}, maternal, fs, 10.0);
    fecg::SignalQuality q;
    q.windows.push_back({});
    q.windows[0].start_s = 0;
    q.windows[0].end_s = 10;
    q.windows[0].sqi = 0.95f;
    fecg::judge_reliability(q, alone, /*pooled=*/false);
    CHECK((q.windows[0].why_unreliable.find("follow the mother's rhythm") != std::string::npos) == refused);
    if (refused) CHECK_FALSE(q.windows[0].reliable);
  }
}
