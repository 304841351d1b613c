// Noise of abdominal recordings: baseline wander, electrode motion and muscle artefact, either
// cut from the real MIT-BIH Noise Stress Test Database (a NoiseBank, see simulator.h) or generated
// by autoregressive models fitted to it; plus optional power-line interference.
#pragma once

#include "core/types.h"
#include "synth/random.h"
#include "synth/simulator.h"
#include "synth/vcg.h"

#include <array>
#include <cstdint>
#include <vector>

namespace fecg::synth {

enum class NoiseKind { kBaselineWander = 0, kElectrodeMotion = 1, kMuscleArtifact = 2 };

// x[t] = Σ_k coefficients[k-1] x[t-k] + e[t], e white Gaussian, at fs_hz.
struct ArNoiseModel {
  const char* record;                 // NSTDB record it was fitted to
  double fs_hz;
  int order;
  std::array<double, 12> coefficients;
};

const ArNoiseModel& nstdb_ar_model(NoiseKind kind);

// n samples of the model at its own rate, zero mean and unit RMS.
std::vector<float> ar_noise(const ArNoiseModel& model, std::int64_t n, Rng& rng);

// Throws fecg::Error unless the bank is empty or has a positive finite rate and only non-empty,
// finite series.
void validate_noise_bank(const NoiseBank& bank);

// All noise for the leads, n_leads × n at fs_hz, in arbitrary units (the simulator scales it to the
// requested SNR). Each noise kind has a component shared by all leads (weights of random sign and
// size) and one of its own per lead; the three kinds get random shares of the power. With
// `powerline`, a 50 or 60 Hz hum (with a weak third harmonic) adds 0.2-5% of the noise power.
LeadMatrix synthesize_noise(const NoiseBank& bank, int n_leads, std::int64_t n, double fs_hz,
                            bool powerline, Rng& rng);

}  // namespace fecg::synth
