#include "synth/rhythm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace fecg::synth {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// HRV as a sum of cosines with random phases whose amplitudes follow McSharry's bimodal spectrum
// S(f) = Σ σ_i² / √(2π c_i²) exp(-(f - f_i)² / 2c_i²), c_1 = c_2 = 0.01 Hz (McSharry et al. 2003,
// eq. 4) - the same construction as his inverse-FFT of |S|^½ with random phases, evaluated only at
// the beat times. 256 lines over (0, 0.5] Hz: a 0.002 Hz grid resolves the 0.01 Hz bumps.
struct HrvComponents {
  static constexpr int kLines = 256;
  std::array<double, kLines> freq_hz{}, amp_bpm{}, phase{};

  HrvComponents(const RhythmParams& p, Rng& rng) {
    const double c = 0.01;
    double total = 0;
    for (int m = 0; m < kLines; ++m) {
      const double f = 0.5 * (m + 1) / kLines;
      const double lf = p.lf_hf_ratio * std::exp(-(f - p.lf_hz) * (f - p.lf_hz) / (2 * c * c));
      const double hf = std::exp(-(f - p.hf_hz) * (f - p.hf_hz) / (2 * c * c));
      freq_hz[static_cast<size_t>(m)] = f;
      amp_bpm[static_cast<size_t>(m)] = lf + hf;  // power for now
      phase[static_cast<size_t>(m)] = rng.uniform(0.0, kTwoPi);
      total += lf + hf;
    }
    // A cosine of amplitude A has variance A²/2: scale the powers so the sum has sd hrv_sd_bpm.
    for (double& a : amp_bpm) a = std::sqrt(2.0 * a / total) * p.hrv_sd_bpm;
  }

  double at(double t_s) const {
    double v = 0;
    for (size_t m = 0; m < kLines; ++m) v += amp_bpm[m] * std::cos(kTwoPi * freq_hz[m] * t_s + phase[m]);
    return v;
  }
};

// A fetal heart-rate event as in cardiotocography (FIGO 2015 guidelines): accelerations of
// 15-30 bpm for 15-60 s, decelerations of 15-40 bpm for 15-60 s, and baseline steps of 5-15 bpm
// that persist. Shapes are raised-cosine ramps.
struct RateEvent {
  enum Kind { kAcceleration, kDeceleration, kStep } kind;
  double start_s, ramp_s, hold_s, delta_bpm;

  double at(double t) const {
    const double x = t - start_s;
    if (x <= 0) return 0;
    auto ramp = [](double u) { return 0.5 - 0.5 * std::cos(std::numbers::pi * std::clamp(u, 0.0, 1.0)); };
    if (kind == kStep) return delta_bpm * ramp(x / ramp_s);
    if (x < ramp_s) return delta_bpm * ramp(x / ramp_s);
    if (x < ramp_s + hold_s) return delta_bpm;
    return delta_bpm * (1.0 - ramp((x - ramp_s - hold_s) / ramp_s));
  }
};

std::vector<RateEvent> draw_events(double duration_s, Rng& rng) {
  std::vector<RateEvent> events;
  // About one event per two minutes of recording, so that a 60 s record has one ~40% of the time.
  const int count = rng.poisson(duration_s / 120.0);
  for (int i = 0; i < count; ++i) {
    RateEvent e{};
    const double kind = rng.uniform();
    const double length_s = rng.uniform(15.0, 60.0);
    e.start_s = rng.uniform(-0.3 * length_s, duration_s);
    if (kind < 0.4) {
      e.kind = RateEvent::kAcceleration;
      e.delta_bpm = rng.uniform(15.0, 30.0);
    } else if (kind < 0.8) {
      e.kind = RateEvent::kDeceleration;
      e.delta_bpm = -rng.uniform(15.0, 40.0);
    } else {
      e.kind = RateEvent::kStep;
      e.delta_bpm = signed_uniform(rng, 5.0, 15.0);
    }
    e.ramp_s = e.kind == RateEvent::kStep ? rng.uniform(5.0, 15.0) : 0.3 * length_s;
    e.hold_s = 0.4 * length_s;
    events.push_back(e);
  }
  return events;
}

struct Draws {
  double first_phase;                 // where in its RR interval the recording starts, [0, 1)
  std::vector<double> ectopic_u;      // one uniform per beat slot: ectopic if below the probability
  std::vector<double> coupling;       // prematurity of each slot's ectopic beat, fraction of RR
};

std::vector<Beat> integrate(const RhythmParams& p, double base_bpm, const HrvComponents& hrv,
                            const std::vector<RateEvent>& events, const Draws& d, double duration_s) {
  auto rate = [&](double t) {
    double bpm = (p.script ? p.script->at(t) : base_bpm) + hrv.at(t);
    for (const RateEvent& e : events) bpm += e.at(t);
    return std::clamp(bpm, p.min_bpm, p.max_bpm);
  };
  std::vector<Beat> beats;
  const double end_s = duration_s + 1.0;
  double t = -1.0 - d.first_phase * 60.0 / rate(-1.0);
  double rr_prev = 60.0 / rate(t);
  for (size_t slot = 0; t <= end_s; ++slot) {
    beats.push_back({t, rr_prev, false});
    const double rr = 60.0 / rate(t);
    const size_t s = std::min(slot, d.ectopic_u.size() - 1);
    if (d.ectopic_u[s] < p.ectopic_probability) {
      // Premature beat at c·RR, then a full compensatory pause: the next sinus beat falls 2 RR
      // after this one, so the sinus rhythm (and the mean rate) is undisturbed.
      const double c = d.coupling[s];
      beats.push_back({t + c * rr, c * rr, true});
      rr_prev = (2.0 - c) * rr;
      t += 2.0 * rr;
    } else {
      rr_prev = rr;
      t += rr;
    }
  }
  return beats;
}

double raised_cosine(double u) { return 0.5 - 0.5 * std::cos(std::numbers::pi * std::clamp(u, 0.0, 1.0)); }

}  // namespace

double ScriptedEvent::at(double t) const {
  if (t <= start_s || t >= end_s) return 0;
  if (t < start_s + onset_s) return delta_bpm * raised_cosine((t - start_s) / onset_s);
  if (t > end_s - recovery_s) return delta_bpm * raised_cosine((end_s - t) / recovery_s);
  return delta_bpm;
}

double ScriptedRate::baseline_at(double t) const {
  double bpm = mean_bpm;
  for (std::size_t i = 0; i < wander_amp_bpm.size(); ++i)
    bpm += wander_amp_bpm[i] * std::cos(kTwoPi * wander_freq_hz[i] * t + wander_phase[i]);
  return bpm;
}

double ScriptedRate::events_at(double t) const {
  double bpm = 0;
  for (const ScriptedEvent& e : events) bpm += e.at(t);
  return bpm;
}

double mean_rate_bpm(const std::vector<Beat>& beats, double duration_s) {
  double first = 0, last = 0;
  int count = 0;
  for (const Beat& b : beats) {
    if (b.time_s < 0 || b.time_s >= duration_s) continue;
    if (count == 0) first = b.time_s;
    last = b.time_s;
    ++count;
  }
  return count >= 2 ? 60.0 * (count - 1) / (last - first) : 0.0;
}

std::vector<Beat> generate_rhythm(const RhythmParams& p, double duration_s, Rng& rng) {
  const HrvComponents hrv(p, rng);
  const std::vector<RateEvent> events = p.events ? draw_events(duration_s, rng) : std::vector<RateEvent>{};
  Draws d;
  d.first_phase = rng.uniform();
  // Enough slots for the fastest allowed rate over the whole span; drawn up front so that the
  // mean-rate iterations below replay the same randomness.
  const size_t slots = static_cast<size_t>((duration_s + 3.0) * p.max_bpm / 60.0) + 4;
  d.ectopic_u.resize(slots);
  d.coupling.resize(slots);
  for (size_t i = 0; i < slots; ++i) {
    d.ectopic_u[i] = rng.uniform();
    d.coupling[i] = rng.uniform(0.60, 0.75);  // typical coupling interval of premature beats
  }
  // Events and HRV move the mean away from the request; shift the baseline until the realised
  // mean rate matches (converges in 2-3 passes; the clip at min/max_bpm is the only non-linearity).
  double base = p.mean_bpm;
  std::vector<Beat> beats = integrate(p, base, hrv, events, d, duration_s);
  if (p.script) return beats;  // the script's baseline is the truth: no mean-rate matching
  for (int pass = 0; pass < 6; ++pass) {
    const double realised = mean_rate_bpm(beats, duration_s);
    if (realised <= 0 || std::abs(realised - p.mean_bpm) < 0.05) break;
    base += p.mean_bpm - realised;
    beats = integrate(p, base, hrv, events, d, duration_s);
  }
  return beats;
}

}  // namespace fecg::synth
