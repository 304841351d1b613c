#include "synth/scenario.h"

#include <algorithm>
#include <numbers>

namespace fecg::synth {
namespace {

enum class EventKind { acceleration, abrupt_deceleration, gradual_deceleration, prolonged_deceleration };

ScriptedEvent make_event(EventKind kind, double start_s, Rng& rng) {
  ScriptedEvent e;
  e.start_s = start_s;
  double length_s = 0;
  switch (kind) {
    case EventKind::acceleration:
      length_s = rng.uniform(25.0, 90.0);
      e.onset_s = length_s * rng.uniform(0.2, 0.35);
      e.recovery_s = length_s * rng.uniform(0.2, 0.35);
      e.delta_bpm = rng.uniform(20.0, 35.0);
      break;
    case EventKind::abrupt_deceleration:
      // FIGO 2015 variable decelerations: a rapid drop (< 30 s to the nadir) and a rapid recovery.
      length_s = rng.uniform(25.0, 90.0);
      e.onset_s = rng.uniform(3.0, 10.0);
      e.recovery_s = rng.uniform(5.0, 15.0);
      e.delta_bpm = -rng.uniform(20.0, 60.0);
      break;
    case EventKind::gradual_deceleration:
      // Early/late-like: a gradual fall (>= 30 s to the nadir) and a gradual return.
      length_s = rng.uniform(80.0, 180.0);
      e.onset_s = rng.uniform(30.0, 60.0);
      e.recovery_s = rng.uniform(30.0, 60.0);
      e.onset_s = std::min(e.onset_s, 0.45 * length_s);
      e.recovery_s = std::min(e.recovery_s, 0.45 * length_s);
      e.delta_bpm = -rng.uniform(20.0, 45.0);
      break;
    case EventKind::prolonged_deceleration:
      length_s = rng.uniform(200.0, 300.0);
      e.onset_s = rng.uniform(10.0, 40.0);
      e.recovery_s = rng.uniform(15.0, 45.0);
      e.delta_bpm = -rng.uniform(30.0, 60.0);
      break;
  }
  e.end_s = start_s + length_s;
  return e;
}

}  // namespace

ScriptedRate draw_scenario(FhrScenario kind, double duration_s, std::optional<double> baseline_bpm, Rng& rng) {
  ScriptedRate r;
  double lo = 120, hi = 150;
  if (kind == FhrScenario::bradycardia) lo = 90, hi = 105;
  if (kind == FhrScenario::tachycardia) lo = 165, hi = 180;
  const double drawn = rng.uniform(lo, hi);
  r.mean_bpm = baseline_bpm.value_or(drawn);
  // Three slow cosines: periods of 4-20 min, amplitudes summing to at most 5 bpm.
  const double total_amp = rng.uniform(2.0, 5.0);
  double weights[3], sum = 0;
  for (double& w : weights) sum += (w = rng.uniform(0.2, 1.0));
  for (double w : weights) {
    r.wander_amp_bpm.push_back(total_amp * w / sum);
    r.wander_freq_hz.push_back(1.0 / (60.0 * rng.uniform(4.0, 20.0)));
    r.wander_phase.push_back(rng.uniform(0.0, 2.0 * std::numbers::pi));
  }

  std::vector<EventKind> pool;
  switch (kind) {
    case FhrScenario::steady:
    case FhrScenario::bradycardia:
    case FhrScenario::tachycardia:
      return r;
    case FhrScenario::accelerations: pool = {EventKind::acceleration}; break;
    case FhrScenario::decelerations: pool = {EventKind::abrupt_deceleration, EventKind::gradual_deceleration}; break;
    case FhrScenario::mixed:
      pool = {EventKind::acceleration, EventKind::abrupt_deceleration, EventKind::acceleration,
              EventKind::gradual_deceleration};
      break;
  }
  const bool prolonged = (kind == FhrScenario::decelerations || kind == FhrScenario::mixed) && duration_s >= 600.0;
  // The prolonged one goes into the middle third, the others around it in turn.
  double t = rng.uniform(40.0, 90.0);
  bool prolonged_done = !prolonged;
  for (std::size_t i = 0;; ++i) {
    EventKind k = pool[i % pool.size()];
    if (!prolonged_done && t > duration_s / 3.0) k = EventKind::prolonged_deceleration, prolonged_done = true, --i;
    ScriptedEvent e = make_event(k, t, rng);
    if (e.end_s > duration_s - 30.0) break;
    r.events.push_back(e);
    t = e.end_s + rng.uniform(60.0, 150.0);
  }
  return r;
}

}  // namespace fecg::synth
