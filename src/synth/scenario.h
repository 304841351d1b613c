// Scripted fetal heart-rate scenarios for CTG testing (fecg synth --fhr-scenario): a wandering
// baseline with accelerations and decelerations of known extent, after the FIGO 2015 definitions
// (Ayres-de-Campos et al., Int J Gynaecol Obstet 131:13-24, 2015).
#pragma once

#include "synth/random.h"
#include "synth/simulator.h"
#include "synth/rhythm.h"

#include <optional>

namespace fecg::synth {

// Draws the scenario's curve for a recording of duration_s. `baseline_bpm`, when given, is the
// mean baseline; otherwise it is drawn from the scenario's range (steady, accelerations,
// decelerations, mixed: 120-150; bradycardia: 90-105; tachycardia: 165-180 bpm).
//   - Baseline wander: three cosines with periods of 4-20 min, together at most ±5 bpm.
//   - Accelerations: +20..35 bpm for 25-90 s (raised-cosine onset and recovery, each 20-35 % of it).
//   - Decelerations, alternating abrupt (variable-like: onset 3-10 s, recovery 5-15 s, 25-90 s in
//     all) and gradual (uniform-like: onset and recovery 30-60 s each, 80-180 s in all), -20..-60
//     bpm; "decelerations" and "mixed" also hold one prolonged deceleration (200-300 s, -30..-60
//     bpm) when the recording is at least 10 min long.
//   - Events are laid out one after another with 60-150 s of baseline between them, none within
//     30 s of either end, so that each is isolated and wholly inside the recording.
// Depths start at 20 bpm, not at FIGO's 15, so that the truth is not on the threshold itself.
ScriptedRate draw_scenario(FhrScenario kind, double duration_s, std::optional<double> baseline_bpm, Rng& rng);

}  // namespace fecg::synth
