#include "synth/noise.h"

#include "core/error.h"
#include "dsp/resample.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <string>

namespace fecg::synth {
namespace {

// Fitted by scripts/fit_nstdb_ar.py on ../shared/data/nstdb (MIT-BIH NSTDB, both channels of each
// 30 min record, mean removed, Yule-Walker by Levinson-Durbin). Baseline wander was decimated
// 360 -> 20 Hz first (boxcar of 18): its power lies below ~2 Hz, where a 360 Hz model would need
// poles within 1e-3 of the unit circle. Orders: 8 for bw, 12 for em and ma (higher orders changed
// the innovation variance by < 2%).
constexpr std::array<ArNoiseModel, 3> kNstdbArModels{{
    {"bw", 20.0, 8, {1.39993242, -0.20928310, -0.05131393, -0.08529202, -0.09637344, 0.04870117,
                     0.04755713, -0.06074099, 0, 0, 0, 0}},
    {"em", 360.0, 12, {1.62715035, -0.56015212, -0.16087102, 0.15352373, 0.00443017, -0.05784208,
                       -0.01667517, 0.00800056, -0.00273259, -0.00976928, -0.00834420, 0.01898298}},
    {"ma", 360.0, 12, {1.50447674, -0.45087578, -0.43226622, 0.10161248, 0.21265181, 0.04636774,
                       -0.08414952, -0.03203250, 0.06285798, 0.02318581, -0.02110334, 0.06262837}},
}};

// Samples of padding at each end of anything that goes through fecg::resample, at the rate before
// resampling: the anti-aliasing filter's transients stay in the padding and are cut away.
constexpr std::int64_t kResamplePad = 256;

void normalise_unit_rms(std::vector<float>& x) {
  double mean = 0;
  for (float v : x) mean += v;
  mean /= static_cast<double>(std::max<size_t>(x.size(), 1));
  double power = 0;
  for (float& v : x) {
    v = static_cast<float>(v - mean);
    power += static_cast<double>(v) * v;
  }
  const double rms = std::sqrt(power / static_cast<double>(std::max<size_t>(x.size(), 1)));
  if (rms > 0)
    for (float& v : x) v = static_cast<float>(v / rms);
}

// Brings a series from fs_in to fs_out, `n_out` samples, dropping the padded ends.
std::vector<float> resample_padded(const std::vector<float>& x, double fs_in, double fs_out, std::int64_t n_out) {
  if (fs_in == fs_out) return std::vector<float>(x.begin(), x.begin() + n_out);
  const Signal y = fecg::resample(std::span<const float>(x.data(), x.size()), fs_in, fs_out);
  const auto offset = static_cast<std::int64_t>(std::floor(kResamplePad * fs_out / fs_in));
  if (offset + n_out > y.size())
    throw Error("synth: resampled noise too short (" + std::to_string(y.size()) + " samples, need " +
                std::to_string(offset + n_out) + ")");
  return std::vector<float>(y.data() + offset, y.data() + offset + n_out);
}

// Slow multiplicative bursts, exp(0.8 z) with z an AR(1) process of 2 s time constant: electrode
// motion and muscle noise come in episodes, not as stationary hiss (NSTDB em, ma records).
void apply_bursts(std::vector<float>& x, double fs_hz, Rng& rng) {
  const double rho = std::exp(-1.0 / (2.0 * fs_hz));
  const double drive = std::sqrt(1.0 - rho * rho);
  double z = rng.normal();
  for (float& v : x) {
    z = rho * z + drive * rng.normal();
    v = static_cast<float>(v * std::exp(0.8 * z));
  }
}

// One unit-RMS source of `kind`, `n` samples at fs_hz: a random stretch of a random bank series
// (wrapping round its end), or the AR model.
std::vector<float> noise_source(const NoiseBank& bank, NoiseKind kind, std::int64_t n, double fs_hz, Rng& rng) {
  const std::vector<Signal>& pool = kind == NoiseKind::kBaselineWander   ? bank.baseline_wander
                                    : kind == NoiseKind::kElectrodeMotion ? bank.electrode_motion
                                                                          : bank.muscle_artifact;
  std::vector<float> x(static_cast<size_t>(n));
  if (!pool.empty()) {
    const Signal& s = pool[rng.index(pool.size())];
    const auto len = static_cast<std::int64_t>(s.size());
    const auto start = static_cast<std::int64_t>(rng.index(static_cast<std::uint64_t>(len)));
    for (std::int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = s[(start + i) % len];
  } else {
    const ArNoiseModel& model = nstdb_ar_model(kind);
    if (model.fs_hz == fs_hz) {
      x = ar_noise(model, n, rng);
    } else {
      const auto m = static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * model.fs_hz / fs_hz)) + 2 * kResamplePad;
      x = resample_padded(ar_noise(model, m, rng), model.fs_hz, fs_hz, n);
    }
    if (kind != NoiseKind::kBaselineWander) apply_bursts(x, fs_hz, rng);
  }
  normalise_unit_rms(x);
  return x;
}

}  // namespace

const ArNoiseModel& nstdb_ar_model(NoiseKind kind) { return kNstdbArModels[static_cast<size_t>(kind)]; }

std::vector<float> ar_noise(const ArNoiseModel& model, std::int64_t n, Rng& rng) {
  // Burn-in long enough for the slowest pole (bw: innovation ratio 0.002, memory ~ a few hundred
  // samples) to forget the zero initial state.
  constexpr int kBurnIn = 2000;
  const auto p = static_cast<size_t>(model.order);
  std::array<double, 12> history{};  // history[k] = x[t-1-k]
  std::vector<float> x(static_cast<size_t>(std::max<std::int64_t>(n, 0)));
  for (std::int64_t t = -kBurnIn; t < n; ++t) {
    double v = rng.normal();
    for (size_t k = 0; k < p; ++k) v += model.coefficients[k] * history[k];
    for (size_t k = p - 1; k > 0; --k) history[k] = history[k - 1];
    history[0] = v;
    if (t >= 0) x[static_cast<size_t>(t)] = static_cast<float>(v);
  }
  normalise_unit_rms(x);
  return x;
}

void validate_noise_bank(const NoiseBank& bank) {
  if (bank.empty()) return;
  if (!(bank.fs_hz > 0) || !std::isfinite(bank.fs_hz))
    throw Error("simulate: noise bank sampling rate must be positive, got " + std::to_string(bank.fs_hz));
  auto check = [](const std::vector<Signal>& pool, const char* name) {
    for (size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].size() == 0)
        throw Error(std::string("simulate: noise bank ") + name + "[" + std::to_string(i) + "] is empty");
      if (!pool[i].allFinite())
        throw Error(std::string("simulate: noise bank ") + name + "[" + std::to_string(i) + "] has non-finite samples");
    }
  };
  check(bank.baseline_wander, "baseline_wander");
  check(bank.electrode_motion, "electrode_motion");
  check(bank.muscle_artifact, "muscle_artifact");
}

LeadMatrix synthesize_noise(const NoiseBank& bank, int n_leads, std::int64_t n, double fs_hz, bool powerline, Rng& rng) {
  // Work at the bank's rate (or the AR models' 360 Hz), then resample all leads once.
  const double fs_work = bank.empty() ? 360.0 : bank.fs_hz;
  const std::int64_t n_work = static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * fs_work / fs_hz)) + 2 * kResamplePad + 2;
  const auto K = static_cast<Eigen::Index>(n_leads);
  LeadMatrix work = LeadMatrix::Zero(K, n_work);

  // Power shares of the three kinds, and how much of each is common to all leads: baseline wander
  // (respiration, posture) is largely shared; electrode motion and muscle noise are local.
  const std::array<double, 3> shared_lo{0.5, 0.0, 0.0}, shared_hi{0.9, 0.4, 0.3};
  std::array<double, 3> share{};
  double share_sum = 0;
  for (double& s : share) share_sum += (s = rng.uniform(0.1, 1.0));
  for (int kind = 0; kind < 3; ++kind) {
    const auto k = static_cast<size_t>(kind);
    const double gain = std::sqrt(share[k] / share_sum);
    const double rho = rng.uniform(shared_lo[k], shared_hi[k]);
    const std::vector<float> common = noise_source(bank, static_cast<NoiseKind>(kind), n_work, fs_work, rng);
    for (Eigen::Index j = 0; j < K; ++j) {
      const double w_shared = gain * rho * signed_uniform(rng, 0.5, 1.5);
      const double w_own = gain * std::sqrt(1.0 - rho * rho) * rng.uniform(0.5, 1.5);
      const std::vector<float> own = noise_source(bank, static_cast<NoiseKind>(kind), n_work, fs_work, rng);
      for (std::int64_t t = 0; t < n_work; ++t)
        work(j, t) += static_cast<float>(w_shared * common[static_cast<size_t>(t)] + w_own * own[static_cast<size_t>(t)]);
    }
  }

  LeadMatrix out(K, n);
  if (fs_work == fs_hz) {
    out = work.middleCols(kResamplePad, n);
  } else {
    const LeadMatrix resampled = fecg::resample(work, fs_work, fs_hz);
    const auto offset = static_cast<std::int64_t>(std::floor(kResamplePad * fs_hz / fs_work));
    if (offset + n > resampled.cols())
      throw Error("synth: resampled noise has " + std::to_string(resampled.cols()) + " samples, need " +
                  std::to_string(offset + n));
    out = resampled.middleCols(offset, n);
  }

  const double mains_hz = rng.bernoulli(0.5) ? 50.0 : 60.0;
  const double fraction = rng.uniform(0.002, 0.05);
  if (powerline && fs_hz > 2.5 * mains_hz) {
    const double power = static_cast<double>(out.cast<double>().squaredNorm()) / static_cast<double>(out.size());
    const bool third = fs_hz > 2.5 * 3.0 * mains_hz;
    for (Eigen::Index j = 0; j < K; ++j) {
      // A sinusoid of amplitude A has power A²/2; each lead picks up the hum at its own level.
      const double amp = std::sqrt(2.0 * fraction * power) * rng.uniform(0.5, 1.5);
      const double phase = rng.uniform(0.0, 2.0 * std::numbers::pi);
      const double amp3 = third ? amp * rng.uniform(0.05, 0.2) : 0.0;
      const double phase3 = rng.uniform(0.0, 2.0 * std::numbers::pi);
      const double w = 2.0 * std::numbers::pi * mains_hz / fs_hz;
      for (std::int64_t t = 0; t < n; ++t) {
        const double x = w * static_cast<double>(t);
        out(j, t) += static_cast<float>(amp * std::sin(x + phase) + amp3 * std::sin(3.0 * x + phase3));
      }
    }
  }
  return out;
}

}  // namespace fecg::synth
