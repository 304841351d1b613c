// CTG features (ctg/ctg.h), the scripted scenarios of the simulator (synth/scenario.h) and their
// outputs (pipeline/report.h, fecg synth --fhr-scenario, fecg extract's _ctg.csv).
#include "cli_test_support.h"
#include "core/error.h"
#include "core/json_parse.h"
#include "ctg/ctg.h"
#include "detect/heart_rate.h"
#include "pipeline/pipeline.h"
#include "pipeline/report.h"
#include "synth/simulator.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace {

namespace fs = std::filesystem;

// Beat-to-beat series of a heart whose rate follows rate_bpm(t): beats integrated from t = 0.3 s.
fecg::HeartRateSeries series_from_rate(const std::function<double(double)>& rate_bpm, double duration_s) {
  fecg::HeartRateSeries s;
  double t = 0.3;
  while (true) {
    const double rr = 60.0 / rate_bpm(t);
    if (t + rr >= duration_s) break;
    t += rr;
    s.time_s.push_back(t);
    s.bpm.push_back(60.0 / rr);
    s.is_outlier.push_back(false);
  }
  s.bpm_smooth = s.bpm;
  return s;
}

double bump(double t, double start, double end, double ramp) {  // 0..1 trapezoid with cosine ramps
  if (t <= start || t >= end) return 0;
  const double u = std::min({(t - start) / ramp, (end - t) / ramp, 1.0});
  return 0.5 - 0.5 * std::cos(M_PI * u);
}

// 140 bpm, ±3 bpm at 0.1 Hz (variability of a normal trace), an acceleration of +25 bpm at
// 200-260 s and a deceleration of -35 bpm at 500-590 s.
double normal_trace(double t) {
  return 140.0 + 3.0 * std::sin(2 * M_PI * 0.1 * t) + 25.0 * bump(t, 200, 260, 15) - 35.0 * bump(t, 500, 590, 20);
}

fecg::JsonValue ctg_json(const fecg::CtgAnalysis& ctg) {
  fecg::JsonWriter json;
  fecg::write_ctg_json(json, ctg);
  return fecg::parse_json(json.str(), "ctg");
}

}  // namespace

TEST_CASE("ctg: baseline, acceleration and deceleration of a 20-min trace with known events") {
  const fecg::HeartRateSeries fhr = series_from_rate(normal_trace, 1200.0);
  const fecg::CtgAnalysis ctg = fecg::analyze_ctg(fhr, {}, 1200.0);
  REQUIRE(ctg.series.size() == 4800);
  CHECK(ctg.signal_loss_pct < 0.1);  // only the first beat's interval
  REQUIRE(ctg.baseline_bpm);
  CHECK(*ctg.baseline_bpm == doctest::Approx(140.0).epsilon(0.01));  // within 1.4 bpm
  REQUIRE(ctg.accelerations);
  REQUIRE(ctg.accelerations->size() == 1);
  const fecg::CtgAcceleration& a = ctg.accelerations->front();
  CHECK(a.start_s > 195);
  CHECK(a.end_s < 265);
  CHECK(a.peak_bpm == doctest::Approx(165.0).epsilon(0.03));
  REQUIRE(ctg.decelerations->size() == 1);
  const fecg::CtgDeceleration& d = ctg.decelerations->front();
  CHECK(d.start_s > 495);
  CHECK(d.end_s < 595);
  CHECK(d.depth_bpm == doctest::Approx(35.0).epsilon(0.1));
  CHECK(d.nadir_bpm == doctest::Approx(105.0).epsilon(0.04));
  CHECK_FALSE(d.prolonged);
  // Lost beats: ∫ 35·bump dt / 60 = 35 (90 − 20) / 60 ≈ 40.8 beats (the cosine ramps are half on);
  // the event found is the part more than 5 bpm off, so a little less.
  CHECK(d.lost_beats == doctest::Approx(40.8).epsilon(0.1));
  REQUIRE(ctg.variability_bpm);
  CHECK(*ctg.variability_band == "normal");  // ±3 bpm sine: a 6-bpm bandwidth
  CHECK(*ctg.variability_bpm == doctest::Approx(6.0).epsilon(0.15));
  REQUIRE(ctg.stv_ms);
  CHECK(*ctg.stv_ms > 1.0);
  CHECK(*ctg.stv_ms < 15.0);
  CHECK(ctg.tachycardia->empty());
  CHECK(ctg.bradycardia->empty());
  CHECK(ctg.not_classified.size() == 2);
}

TEST_CASE("ctg: a prolonged deceleration, tachycardia and bradycardia episodes") {
  SUBCASE("prolonged") {
    auto rate = [](double t) { return 135.0 + 2.0 * std::sin(0.6 * t) - 40.0 * bump(t, 400, 640, 20); };
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(series_from_rate(rate, 1200.0), {}, 1200.0);
    REQUIRE(ctg.decelerations->size() == 1);
    CHECK(ctg.decelerations->front().prolonged);
    CHECK(ctg.decelerations->front().duration_s > 180.0);
    CHECK(*ctg.baseline_bpm == doctest::Approx(135.0).epsilon(0.01));
  }
  SUBCASE("tachycardia over the whole record") {
    auto rate = [](double t) { return 172.0 + 2.0 * std::sin(0.6 * t); };
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(series_from_rate(rate, 900.0), {}, 900.0);
    REQUIRE(ctg.tachycardia->size() == 1);
    CHECK(ctg.tachycardia->front().end_s - ctg.tachycardia->front().start_s > 600.0);
    CHECK(ctg.tachycardia->front().mean_baseline_bpm == doctest::Approx(172.0).epsilon(0.01));
    CHECK(ctg.bradycardia->empty());
  }
  SUBCASE("bradycardia at 95 bpm; 8 min below 110 is not an episode") {
    auto rate = [](double t) { return 95.0 + 2.0 * std::sin(0.6 * t); };
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(series_from_rate(rate, 900.0), {}, 900.0);
    REQUIRE(ctg.bradycardia->size() == 1);
    CHECK(*ctg.baseline_bpm == doctest::Approx(95.0).epsilon(0.01));
    auto shorter = [](double t) { return t < 480 ? 95.0 : 140.0; };
    const fecg::CtgAnalysis ctg2 = fecg::analyze_ctg(series_from_rate(shorter, 1500.0), {}, 1500.0);
    CHECK(ctg2.bradycardia->empty());
  }
}

TEST_CASE("ctg: honest limits — short record, no reliable beat, outliers, a 10-hour record") {
  SUBCASE("10 s: series and signal loss, everything else null with the reason") {
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(series_from_rate(normal_trace, 10.0), {}, 10.0);
    CHECK(ctg.series.size() == 40);
    CHECK(ctg.signal_loss_pct < 15.0);
    CHECK_FALSE(ctg.baseline_bpm);
    CHECK(ctg.baseline_why_missing.find("10 min") != std::string::npos);
    CHECK_FALSE(ctg.accelerations);
    CHECK_FALSE(ctg.decelerations);
    CHECK_FALSE(ctg.stv_ms);
    CHECK_FALSE(ctg.variability_bpm);
    CHECK_FALSE(ctg.tachycardia);
    CHECK(ctg.events_why_missing.find("no baseline") != std::string::npos);
    const fecg::JsonValue j = ctg_json(ctg);
    CHECK(j.at("baseline_bpm").is_null());
    CHECK(j.at("accelerations").is_null());
    CHECK(j.at("why_missing").at("baseline_bpm").as_string().find("10 min") != std::string::npos);
    CHECK(j.at("not_classified").as_array().size() == 2);
  }
  SUBCASE("no beat at all") {
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg({}, {}, 1200.0);
    CHECK(ctg.signal_loss_pct == 100.0);
    CHECK_FALSE(ctg.baseline_bpm);
    CHECK(ctg.baseline_why_missing.find("no reliable") != std::string::npos);
    const std::string csv = fecg::ctg_csv(ctg);
    CHECK(csv.rfind("time_s,fhr_bpm,mhr_bpm,reliable\n0.00,,,0\n", 0) == 0);
  }
  SUBCASE("outliers are gaps, not values; most of the trace lost: no baseline") {
    fecg::HeartRateSeries fhr = series_from_rate(normal_trace, 1200.0);
    for (std::size_t i = 0; i < fhr.bpm.size(); ++i) fhr.is_outlier[i] = fhr.time_s[i] > 300.0;
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(fhr, {}, 1200.0);
    CHECK(ctg.signal_loss_pct == doctest::Approx(75.0).epsilon(0.01));
    CHECK(std::isnan(ctg.series.fhr_bpm[2000]));
    CHECK_FALSE(ctg.series.reliable[2000]);
    CHECK_FALSE(ctg.baseline_bpm);
    CHECK(ctg.baseline_why_missing.find("signal loss") != std::string::npos);
  }
  SUBCASE("a gap of a missed beat is signal loss, not a held value") {
    fecg::HeartRateSeries fhr = series_from_rate([](double) { return 120.0; }, 60.0);
    const double t_before = fhr.time_s[20];
    fhr.is_outlier[21] = fhr.is_outlier[22] = fhr.is_outlier[23] = true;  // 1.5 s of beats rejected
    const fecg::CtgSeries s = fecg::ctg_series(fhr, {}, 60.0);
    // After the rejected beat at t_before + 0.5 s the last beat's value is not held over.
    CHECK(s.reliable[static_cast<std::size_t>(std::ceil((t_before + 0.1) * 4.0))]);
    CHECK_FALSE(s.reliable[static_cast<std::size_t>(std::ceil((t_before + 0.6) * 4.0))]);
  }
  SUBCASE("10 hours: 144 000 samples") {
    const fecg::HeartRateSeries fhr = series_from_rate(normal_trace, 36000.0);
    const fecg::CtgAnalysis ctg = fecg::analyze_ctg(fhr, fhr, 36000.0);
    CHECK(ctg.series.size() == 144000);
    REQUIRE(ctg.baseline_bpm);
    CHECK(ctg.series.mhr_bpm.size() == 144000);
  }
  SUBCASE("bad arguments") {
    CHECK_THROWS_AS(fecg::analyze_ctg({}, {}, 0.0), fecg::Error);
    CHECK_THROWS_AS(fecg::analyze_ctg({}, {}, std::nan("")), fecg::Error);
    fecg::CtgParams p;
    p.rate_hz = -4;
    CHECK_THROWS_AS(fecg::analyze_ctg({}, {}, 60.0, p), fecg::Error);
  }
}

TEST_CASE("synth scenarios: truth that the CTG analysis finds on the true beats") {
  // 12 min (the baseline needs 10), one lead at 250 Hz: seconds to simulate. Each scenario
  // over two seeds: the events found match the truth one to one by type and overlap, and the
  // baseline is within 3 bpm of the truth's.
  using fecg::FhrScenario;
  for (FhrScenario scenario : {FhrScenario::steady, FhrScenario::accelerations, FhrScenario::decelerations,
                               FhrScenario::bradycardia, FhrScenario::tachycardia, FhrScenario::mixed}) {
    for (std::uint64_t seed : {3u, 4u}) {
      CAPTURE(fecg::fhr_scenario_name(scenario));
      CAPTURE(seed);
      fecg::SynthParams p;
      p.duration_s = 720;
      p.fs_hz = 250;
      p.n_leads = 1;
      p.seed = seed;
      p.fhr_scenario = scenario;
      const fecg::SynthRecording sim = fecg::simulate(p);
      REQUIRE(sim.fhr_truth);
      const fecg::FhrTruth& truth = *sim.fhr_truth;
      const bool expects_events = scenario == FhrScenario::accelerations || scenario == FhrScenario::decelerations ||
                                  scenario == FhrScenario::mixed;
      CHECK(expects_events == !truth.events.empty());
      for (const fecg::FhrEventTruth& e : truth.events) {
        CHECK(e.start_s >= 0);
        CHECK(e.end_s <= 720 - 30);
        CHECK(e.end_s - e.start_s >= 25.0);
        const double depth = std::abs(e.extreme_bpm - truth.baseline_1hz_bpm[static_cast<std::size_t>(e.start_s)]);
        CHECK(depth >= 19.0);  // 20-60 bpm from the baseline (which wanders a little in between)
        CHECK(depth <= 66.0);
      }
      if (scenario == FhrScenario::bradycardia) CHECK(truth.baseline_bpm < 110);
      if (scenario == FhrScenario::tachycardia) CHECK(truth.baseline_bpm > 160);

      const fecg::HeartRateSeries fhr = fecg::heart_rate(sim.fetal_peaks, p.fs_hz, {.min_bpm = 50, .max_bpm = 240});
      const fecg::CtgAnalysis ctg = fecg::analyze_ctg(fhr, {}, sim.mixture.duration_s());
      REQUIRE(ctg.baseline_bpm);
      CHECK(std::abs(*ctg.baseline_bpm - truth.baseline_bpm) < 3.0);
      std::vector<std::pair<std::string, std::pair<double, double>>> found;
      for (const auto& a : *ctg.accelerations) found.push_back({"acceleration", {a.start_s, a.end_s}});
      for (const auto& d : *ctg.decelerations) found.push_back({"deceleration", {d.start_s, d.end_s}});
      CHECK(found.size() == truth.events.size());
      for (const fecg::FhrEventTruth& e : truth.events) {
        int overlapping = 0;
        for (const auto& f : found)
          overlapping += f.first == e.type && f.second.first < e.end_s && f.second.second > e.start_s ? 1 : 0;
        CHECK(overlapping == 1);
      }
      if (scenario == FhrScenario::bradycardia) CHECK(ctg.bradycardia->size() == 1);
      if (scenario == FhrScenario::tachycardia) CHECK(ctg.tachycardia->size() == 1);
      if (scenario == FhrScenario::steady) CHECK(*ctg.variability_band == "normal");
    }
  }
}

TEST_CASE("synth scenarios: default recordings unchanged, scenario draws only its own stream") {
  fecg::SynthParams p;
  p.duration_s = 20;
  p.fs_hz = 250;
  p.seed = 9;
  const fecg::SynthRecording plain = fecg::simulate(p);
  CHECK_FALSE(plain.fhr_truth);
  p.fhr_scenario = fecg::FhrScenario::mixed;
  const fecg::SynthRecording scripted = fecg::simulate(p);
  REQUIRE(scripted.fhr_truth);
  // Maternal beats and noise come from their own streams: the same with and without a scenario.
  CHECK(scripted.maternal_peaks == plain.maternal_peaks);
  CHECK(scripted.noise_uv.isApprox(plain.noise_uv * static_cast<float>(scripted.noise_uv.norm() / plain.noise_uv.norm())));
  CHECK(scripted.fetal_peaks != plain.fetal_peaks);
  p.fetal_bpm = 100;
  p.fhr_scenario = fecg::FhrScenario::steady;
  CHECK(fecg::simulate(p).fhr_truth->baseline_bpm == doctest::Approx(100.0).epsilon(0.06));
  CHECK_THROWS_WITH_AS(fecg::parse_fhr_scenario("wobbly"), doctest::Contains("steady, accelerations"), fecg::Error);
}

TEST_CASE("cli: fecg synth --fhr-scenario writes PATH_truth.json; fecg extract writes _ctg.csv and the ctg member") {
  const fs::path dir = fs::temp_directory_path() / ("fecg_ctg_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string base = (dir / "mix").string();
  const fecg_test::CliRun synth =
      fecg_test::run_cli("synth --out " + base + " --seconds 40 --rate 250 --seed 5 --fhr-scenario decelerations --nstdb none");
  REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
  std::ifstream truth_file(base + "_truth.json");
  REQUIRE(truth_file);
  std::stringstream truth_text;
  truth_text << truth_file.rdbuf();
  const fecg::JsonValue truth = fecg::parse_json(truth_text.str(), "truth");
  CHECK(truth.at("fhr_baseline_bpm").as_number() > 100);
  CHECK(truth.at("fhr_events").is_array());

  const fecg_test::CliRun bad = fecg_test::run_cli("synth --out " + base + "x --fhr-scenario wobbly");
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("expected steady, accelerations") != std::string::npos);

  const fecg_test::CliRun extract = fecg_test::run_cli("extract " + base + ".hea --out " + (dir / "out").string() +
                                                       " --method ts-ica");
  REQUIRE_MESSAGE(extract.exit_code == 0, extract.output);
  CHECK(extract.output.find("no baseline: needs at least 10 min") != std::string::npos);
  std::ifstream csv((dir / "out" / "mix_ctg.csv").string());
  std::string header, row;
  std::getline(csv, header);
  CHECK(header == "time_s,fhr_bpm,mhr_bpm,reliable");
  int rows = 1;
  while (std::getline(csv, row)) ++rows;
  CHECK(rows == 1 + 160);  // 40 s at 4 Hz
  std::ifstream json_file((dir / "out" / "mix.json").string());
  std::stringstream json_text;
  json_text << json_file.rdbuf();
  const fecg::JsonValue summary = fecg::parse_json(json_text.str(), "mix.json");
  const fecg::JsonValue& ctg = summary.at("ctg");
  CHECK(ctg.at("baseline_bpm").is_null());
  CHECK(ctg.at("signal_loss_pct").is_number());
  CHECK(ctg.at("decelerations").is_null());
  fs::remove_all(dir);
}
