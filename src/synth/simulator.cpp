// simulate(): draw the recording's parameters, build both hearts (rhythm -> VCG -> volume
// conductor), draw the noise, and mix by the requested SNRs.
#include "synth/simulator.h"

#include "core/error.h"
#include "core/median.h"
#include "synth/conductor.h"
#include "synth/noise.h"
#include "synth/random.h"
#include "synth/rhythm.h"
#include "synth/scenario.h"
#include "core/json.h"
#include "synth/vcg.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <string>

namespace fecg {
namespace {

using synth::Rng;
using synth::Vec3;

// Outputs above this many values per matrix (4 matrices of floats are returned) are refused
// rather than allocated: 1e8 floats = 400 MB, e.g. 32 leads × 52 min at 1 kHz.
constexpr double kMaxValues = 1e8;

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("simulate: " + what);
}

void validate(const SynthParams& p) {
  require(p.n_leads >= 1 && p.n_leads <= 32, "n_leads must be 1..32, got " + std::to_string(p.n_leads));
  require(std::isfinite(p.duration_s) && p.duration_s >= 1.0,
          "duration_s must be at least 1 s (every window then holds part of each heart's cycle), got " + number(p.duration_s));
  require(std::isfinite(p.fs_hz) && p.fs_hz >= 100 && p.fs_hz <= 10000,
          "fs_hz must be in [100, 10000] Hz, got " + number(p.fs_hz));
  require(p.duration_s * p.fs_hz * p.n_leads <= kMaxValues,
          "recording too large: " + number(p.duration_s * p.fs_hz * p.n_leads) + " values per matrix, at most " +
              number(kMaxValues));
  auto check_snr = [](const std::optional<double>& v, const char* name) {
    if (v) require(std::isfinite(*v) && std::abs(*v) <= 60, std::string(name) + " must be finite and within ±60 dB, got " + number(*v));
  };
  check_snr(p.snr_fm_db, "snr_fm_db");
  check_snr(p.snr_mn_db, "snr_mn_db");
  if (p.maternal_bpm)
    require(std::isfinite(*p.maternal_bpm) && *p.maternal_bpm >= 40 && *p.maternal_bpm <= 140,
            "maternal_bpm must be in [40, 140], got " + number(*p.maternal_bpm));
  if (p.fetal_bpm)
    require(std::isfinite(*p.fetal_bpm) && *p.fetal_bpm >= 80 && *p.fetal_bpm <= 220,
            "fetal_bpm must be in [80, 220], got " + number(*p.fetal_bpm));
  require(std::isfinite(p.ectopic_probability) && p.ectopic_probability >= 0 && p.ectopic_probability <= 0.5,
          "ectopic_probability must be in [0, 0.5], got " + number(p.ectopic_probability));
  require(std::isfinite(p.maternal_peak_uv) && p.maternal_peak_uv > 0 && p.maternal_peak_uv <= 1e5,
          "maternal_peak_uv must be in (0, 1e5] µV, got " + number(p.maternal_peak_uv));
  require(std::isfinite(p.maternal_qrs_sharpness) && p.maternal_qrs_sharpness >= 0.2 && p.maternal_qrs_sharpness <= 1.0,
          "maternal_qrs_sharpness must be in [0.2, 1], got " + number(p.maternal_qrs_sharpness));
}

double mean_square(const LeadMatrix& x) {
  return x.size() ? x.cast<double>().squaredNorm() / static_cast<double>(x.size()) : 0.0;
}

// Median over leads of the median over beats of max |x| within ±half a QRS of each R peak.
double median_r_amplitude(const LeadMatrix& x, const BeatIndices& peaks, double half_window_s, double fs_hz) {
  const auto half = static_cast<std::int64_t>(std::ceil(half_window_s * fs_hz));
  std::vector<double> per_lead;
  for (Eigen::Index j = 0; j < x.rows(); ++j) {
    std::vector<double> per_beat;
    for (std::int64_t r : peaks) {
      const std::int64_t a = std::max<std::int64_t>(0, r - half), b = std::min<std::int64_t>(x.cols() - 1, r + half);
      double m = 0;
      for (std::int64_t t = a; t <= b; ++t) m = std::max(m, static_cast<double>(std::abs(x(j, t))));
      per_beat.push_back(m);
    }
    per_lead.push_back(median_in_place(per_beat));
  }
  return median_in_place(per_lead);
}

BeatIndices peak_samples(const std::vector<synth::Beat>& beats, double fs_hz, std::int64_t n) {
  BeatIndices out;
  for (const synth::Beat& b : beats) {
    // The sample nearest to the instant the phase crosses the R-wave centre.
    const auto s = static_cast<std::int64_t>(std::llround(b.time_s * fs_hz));
    if (s >= 0 && s < n && (out.empty() || s > out.back())) out.push_back(s);
  }
  return out;
}

constexpr std::pair<FhrScenario, const char*> kScenarioNames[] = {
    {FhrScenario::steady, "steady"},           {FhrScenario::accelerations, "accelerations"},
    {FhrScenario::decelerations, "decelerations"}, {FhrScenario::bradycardia, "bradycardia"},
    {FhrScenario::tachycardia, "tachycardia"}, {FhrScenario::mixed, "mixed"}};

FhrTruth scenario_truth(FhrScenario scenario, const synth::ScriptedRate& script, double duration_s) {
  FhrTruth truth;
  truth.scenario = scenario;
  double sum = 0;
  for (double t = 0; t <= duration_s; t += 1.0) {
    truth.baseline_1hz_bpm.push_back(script.baseline_at(t));
    sum += truth.baseline_1hz_bpm.back();
  }
  truth.baseline_bpm = sum / static_cast<double>(truth.baseline_1hz_bpm.size());
  for (const synth::ScriptedEvent& e : script.events) {
    const double plateau_s = 0.5 * (e.start_s + e.onset_s + e.end_s - e.recovery_s);
    truth.events.push_back({e.delta_bpm > 0 ? "acceleration" : "deceleration", e.start_s, e.end_s,
                            script.baseline_at(plateau_s) + e.delta_bpm});
  }
  return truth;
}

}  // namespace

FhrScenario parse_fhr_scenario(const std::string& name) {
  for (const auto& [kind, text] : kScenarioNames)
    if (name == text) return kind;
  throw Error("fhr scenario: expected steady, accelerations, decelerations, bradycardia, tachycardia or mixed, got '" +
              name + "'");
}

std::string fhr_scenario_name(FhrScenario scenario) {
  for (const auto& [kind, text] : kScenarioNames)
    if (kind == scenario) return text;
  return "unknown";
}

std::string fhr_truth_json(const FhrTruth& truth) {
  JsonWriter json;
  json.begin_object()
      .key("scenario").value(fhr_scenario_name(truth.scenario))
      .key("fhr_baseline_bpm").value(truth.baseline_bpm)
      .key("fhr_events").begin_array();
  for (const FhrEventTruth& e : truth.events)
    json.begin_object()
        .key("type").value(e.type)
        .key("start_s").value(e.start_s)
        .key("end_s").value(e.end_s)
        .key("extreme_bpm").value(e.extreme_bpm)
        .end_object();
  json.end_array().end_object();
  return json.str() + "\n";
}

SynthRecording simulate(const SynthParams& params, const NoiseBank& noise) {
  validate(params);
  synth::validate_noise_bank(noise);

  // One independent stream per part (synth/random.h), split in a fixed order, so that e.g. the
  // noise of seed 7 does not change when the number of leads changes the geometry's draws.
  Rng master(params.seed);
  Rng draw_rng = master.split(), geometry_rng = master.split(), maternal_rng = master.split(),
      fetal_rng = master.split(), noise_rng = master.split();

  // Recording-level draws, always made (and then overridden) so that giving one value does not
  // shift the others. Defaults as in FECGSYNDB (Andreotti et al., Physiol. Meas. 37:627, 2016).
  const double snr_fm_draw = draw_rng.normal(-9.0, 2.0);
  const double snr_mn_draw = draw_rng.uniform(0.0, 12.0);
  const double maternal_bpm_draw = draw_rng.uniform(60.0, 100.0);
  const double fetal_bpm_draw = draw_rng.uniform(110.0, 160.0);
  const double snr_fm_db = params.snr_fm_db.value_or(snr_fm_draw);
  const double snr_mn_db = params.snr_mn_db.value_or(snr_mn_draw);
  const double maternal_bpm = params.maternal_bpm.value_or(maternal_bpm_draw);
  const double fetal_bpm = params.fetal_bpm.value_or(fetal_bpm_draw);

  const double fs = params.fs_hz;
  const auto n = static_cast<std::int64_t>(std::llround(params.duration_s * fs));
  const double duration_s = static_cast<double>(n) / fs;

  // --- Volume conductor (Sameni 2007; Behar 2014): metres, body coordinates of synth/vcg.h.
  const double radius_m = geometry_rng.uniform(0.15, 0.20);
  const synth::Electrodes electrodes = synth::place_electrodes(params.n_leads, radius_m, geometry_rng);

  synth::HeartMotion mother;
  // The maternal heart lies above the abdomen, left of the midline, behind the sternum.
  mother.position_m = synth::uniform_vec3(geometry_rng, {0.02, -0.03, 0.18}, {0.07, 0.04, 0.26});
  mother.orientation = synth::rotation_xyz(synth::normal_vec3(geometry_rng, 0.15));
  // Respiration (12-20 breaths/min) tilts the heart by a few degrees and lifts it by about a cm.
  synth::Oscillation breathing;
  breathing.freq_hz = geometry_rng.uniform(0.2, 0.33);
  breathing.phase = geometry_rng.uniform(0.0, 2.0 * std::numbers::pi);
  breathing.rotation_rad = synth::signed_uniform_vec3(geometry_rng, 0.02, 0.08);
  breathing.translation_m = synth::uniform_vec3(geometry_rng, {0.0, 0.002, 0.005}, {0.0, 0.008, 0.015});
  mother.oscillations.push_back(breathing);

  synth::HeartMotion fetus;
  // The fetal heart is lower and deeper: anywhere in the inner 10-60% of the radius (possibly
  // towards the back) between 12 cm below and 2 cm above the navel, in any orientation (cephalic,
  // breech, transverse lies alike).
  const double fetal_angle = geometry_rng.uniform(-std::numbers::pi, std::numbers::pi);
  const double fetal_depth = radius_m * geometry_rng.uniform(0.1, 0.6);
  fetus.position_m = Vec3(fetal_depth * std::sin(fetal_angle), fetal_depth * std::cos(fetal_angle),
                          geometry_rng.uniform(-0.12, 0.02));
  fetus.orientation = synth::random_rotation(geometry_rng);
  synth::Oscillation carried = breathing;  // the mother's breathing moves the uterus too, less
  carried.rotation_rad = synth::signed_uniform_vec3(geometry_rng, 0.005, 0.02);
  carried.translation_m = synth::uniform_vec3(geometry_rng, {0.0, 0.001, 0.002}, {0.0, 0.004, 0.008});
  fetus.oscillations.push_back(carried);
  // Fetal breathing movements (~0.9 Hz in the third trimester): small rotations of the chest.
  synth::Oscillation fetal_breathing;
  fetal_breathing.freq_hz = geometry_rng.uniform(0.7, 1.1);
  fetal_breathing.phase = geometry_rng.uniform(0.0, 2.0 * std::numbers::pi);
  fetal_breathing.rotation_rad = synth::signed_uniform_vec3(geometry_rng, 0.01, 0.05);
  fetal_breathing.translation_m = synth::signed_uniform_vec3(geometry_rng, 0.0005, 0.002);
  fetus.oscillations.push_back(fetal_breathing);
  if (params.fetal_movement) {
    // One or two movements of 3-20 s: the fetus turns by up to ~30° per axis and shifts by ~1.5 cm.
    const int moves = 1 + static_cast<int>(geometry_rng.index(2));
    for (int i = 0; i < moves; ++i) {
      synth::Drift d;
      d.start_s = geometry_rng.uniform(0.0, duration_s);
      d.end_s = d.start_s + geometry_rng.uniform(3.0, 20.0);
      d.rotation_rad = synth::normal_vec3(geometry_rng, 0.5);
      d.translation_m = synth::normal_vec3(geometry_rng, 0.015);
      fetus.drifts.push_back(d);
    }
  }

  // --- Rhythms. Maternal HRV: LF ~0.1 Hz and HF at her breathing rate (respiratory sinus
  // arrhythmia); fetal HRV larger (normal baseline variability 5-25 bpm, FIGO 2015).
  synth::RhythmParams maternal_rhythm;
  maternal_rhythm.mean_bpm = maternal_bpm;
  maternal_rhythm.hrv_sd_bpm = maternal_rng.uniform(1.5, 4.0);
  maternal_rhythm.lf_hz = maternal_rng.uniform(0.08, 0.12);
  maternal_rhythm.hf_hz = breathing.freq_hz;
  maternal_rhythm.lf_hf_ratio = maternal_rng.uniform(0.3, 1.0);
  maternal_rhythm.ectopic_probability = params.ectopic_probability;
  maternal_rhythm.min_bpm = 40;
  maternal_rhythm.max_bpm = 150;
  synth::RhythmParams fetal_rhythm;
  fetal_rhythm.mean_bpm = fetal_bpm;
  fetal_rhythm.hrv_sd_bpm = fetal_rng.uniform(2.0, 6.0);
  fetal_rhythm.lf_hz = fetal_rng.uniform(0.05, 0.12);
  fetal_rhythm.hf_hz = fetal_rng.uniform(0.2, 0.5);
  fetal_rhythm.lf_hf_ratio = fetal_rng.uniform(0.5, 2.0);
  fetal_rhythm.events = params.heart_rate_events;
  fetal_rhythm.ectopic_probability = params.ectopic_probability;
  fetal_rhythm.min_bpm = 70;
  fetal_rhythm.max_bpm = 230;

  // A scripted scenario draws from its own stream (split last from the master), so the other
  // parts of the recording are the same with and without it.
  synth::ScriptedRate script;
  double fetal_shape_bpm = fetal_bpm;
  if (params.fhr_scenario) {
    Rng scenario_rng = master.split();
    script = synth::draw_scenario(*params.fhr_scenario, duration_s, params.fetal_bpm, scenario_rng);
    fetal_rhythm.script = &script;
    fetal_rhythm.events = false;
    // Beat-to-beat variability of a normal trace: sd 1.5-3 bpm gives a 1-min bandwidth of about
    // 6-15 bpm, inside FIGO's normal 5-25 bpm.
    fetal_rhythm.hrv_sd_bpm = scenario_rng.uniform(1.5, 3.0);
    fetal_rhythm.min_bpm = 50;
    fetal_shape_bpm = script.mean_bpm;
  }

  const std::vector<synth::Beat> maternal_beats = synth::generate_rhythm(maternal_rhythm, duration_s, maternal_rng);
  const std::vector<synth::Beat> fetal_beats = synth::generate_rhythm(fetal_rhythm, duration_s, fetal_rng);
  synth::HeartMorphology maternal_shape = synth::maternal_morphology(60.0 / maternal_bpm, maternal_rng);
  const synth::HeartMorphology maternal_ectopic = synth::ectopic_morphology(maternal_shape, maternal_rng);
  synth::sharpen_qrs(maternal_shape, params.maternal_qrs_sharpness);  // after the ectopic beat took its width
  const synth::HeartMorphology fetal_shape = synth::fetal_morphology(60.0 / fetal_shape_bpm, fetal_rng);
  const synth::HeartMorphology fetal_ectopic = synth::ectopic_morphology(fetal_shape, fetal_rng);

  // --- Dipoles onto the leads.
  SynthRecording out;
  {
    Eigen::Matrix3Xf vcg = Eigen::Matrix3Xf::Zero(3, n);
    synth::render_vcg(maternal_shape, maternal_ectopic, maternal_beats, fs, vcg);
    synth::project_dipole(vcg, mother, electrodes, fs, out.maternal_uv);
    vcg.setZero();
    synth::render_vcg(fetal_shape, fetal_ectopic, fetal_beats, fs, vcg);
    synth::project_dipole(vcg, fetus, electrodes, fs, out.fetal_uv);
  }
  out.noise_uv = synth::synthesize_noise(noise, params.n_leads, n, fs, params.powerline, noise_rng);
  out.maternal_peaks = peak_samples(maternal_beats, fs, n);
  out.fetal_peaks = peak_samples(fetal_beats, fs, n);

  // --- Calibration and mixing (FECGSYNDB): the maternal R amplitude sets the scale, the SNRs the
  // rest. Powers are mean squares over all leads and samples.
  double m_amp = median_r_amplitude(out.maternal_uv, out.maternal_peaks, 0.5 * maternal_shape.qrs_duration_s, fs);
  if (!(m_amp > 0)) m_amp = out.maternal_uv.cwiseAbs().maxCoeff();  // no maternal beat in a very short record
  const double p_m_raw = mean_square(out.maternal_uv), p_f_raw = mean_square(out.fetal_uv),
               p_n_raw = mean_square(out.noise_uv);
  require(m_amp > 0 && p_m_raw > 0 && p_f_raw > 0 && p_n_raw > 0,
          "degenerate simulation (a source has zero power on every lead); try another seed");
  const double s_m = params.maternal_peak_uv / m_amp;
  const double p_m = s_m * s_m * p_m_raw;
  const double s_f = std::sqrt(p_m * std::pow(10.0, snr_fm_db / 10.0) / p_f_raw);
  const double s_n = std::sqrt(p_m / std::pow(10.0, snr_mn_db / 10.0) / p_n_raw);
  out.maternal_uv *= static_cast<float>(s_m);
  out.fetal_uv *= static_cast<float>(s_f);
  out.noise_uv *= static_cast<float>(s_n);

  out.mixture.fs_hz = fs;
  out.mixture.samples_uv = out.fetal_uv + out.maternal_uv + out.noise_uv;
  for (int j = 0; j < params.n_leads; ++j) {
    out.mixture.lead_names.push_back("Abdomen_" + std::to_string(j + 1));
    out.mixture.units.push_back("uV");
  }

  // Realised values, measured on what is returned.
  const double pm = mean_square(out.maternal_uv), pf = mean_square(out.fetal_uv), pn = mean_square(out.noise_uv);
  out.snr_fm_db = 10.0 * std::log10(pf / pm);
  out.snr_mn_db = 10.0 * std::log10(pm / pn);
  out.maternal_bpm = synth::mean_rate_bpm(maternal_beats, duration_s);
  out.fetal_bpm = synth::mean_rate_bpm(fetal_beats, duration_s);
  if (out.maternal_bpm == 0) out.maternal_bpm = maternal_bpm;  // fewer than two beats: the target
  if (out.fetal_bpm == 0) out.fetal_bpm = fetal_bpm;
  if (params.fhr_scenario) out.fhr_truth = scenario_truth(*params.fhr_scenario, script, duration_s);
  return out;
}

}  // namespace fecg
