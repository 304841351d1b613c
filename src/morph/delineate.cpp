// The wavelet delineator of Martínez et al. 2004; see delineate.h for the method and its sources.
#include "morph/delineate.h"

#include "core/error.h"
#include "core/median.h"
#include "dsp/resample.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace fecg {
namespace {

constexpr int kScales = 5;
constexpr double kWorkFs_hz = 250.0;  // the paper's rate: every window below is in its samples

// Adult-equivalent milliseconds → samples of the working signal (4 ms each).
constexpr double eq(double ms) { return ms * kWorkFs_hz / 1000.0; }

// The quadratic-spline wavelet transform à trous (Martínez 2004 eq. 4–5, Mallat & Zhong 1992):
// H(e^jω) = e^{jω/2} cos³(ω/2) → h = [1 3 3 1]/8 at n = -2..1; G(e^jω) = 4j e^{jω/2} sin(ω/2) →
// g = 2(δ[n+1] − δ[n]); at scale 2^k both filters get 2^{k−1} − 1 zeros between taps. Each scale
// leads the smoothed derivative by (2^k − 1)/2 samples (the product of the e^{jω/2} factors);
// that lead is undone here, the half sample by averaging two neighbours, so that zero crossings
// sit at the peaks of the waves. Edges: the first/last sample repeated.
std::vector<std::vector<double>> wavelet_transform(const std::vector<double>& x) {
  const int n = static_cast<int>(x.size());
  std::vector<std::vector<double>> w(kScales, std::vector<double>(static_cast<size_t>(n)));
  std::vector<double> a = x, next(static_cast<size_t>(n)), raw(static_cast<size_t>(n));
  auto at = [&](const std::vector<double>& v, int i) { return v[static_cast<size_t>(std::clamp(i, 0, n - 1))]; };
  for (int k = 1; k <= kScales; ++k) {
    const int step = 1 << (k - 1);
    for (int i = 0; i < n; ++i) {
      raw[static_cast<size_t>(i)] = 2.0 * (at(a, i + step) - at(a, i));
      next[static_cast<size_t>(i)] =
          (at(a, i + 2 * step) + 3.0 * at(a, i + step) + 3.0 * at(a, i) + at(a, i - step)) / 8.0;
    }
    const int m = step - 1;  // lead (2^k − 1)/2 = m + 1/2
    for (int i = 0; i < n; ++i)
      w[static_cast<size_t>(k - 1)][static_cast<size_t>(i)] = 0.5 * (at(raw, i - m) + at(raw, i - m - 1));
    a.swap(next);
  }
  return w;
}

// A run of one sign of the transform at one scale and its modulus maximum.
struct Lobe {
  int start = 0, end = 0;  // inclusive
  int peak = 0;
  double value = 0;        // the transform at `peak` (signed)
  double area = 0;         // sum of the transform over the lobe: the change of the smoothed signal
};

std::vector<Lobe> lobes_of(const std::vector<double>& z) {
  std::vector<Lobe> lobes;
  const int n = static_cast<int>(z.size());
  int i = 0;
  while (i < n) {
    const bool positive = z[static_cast<size_t>(i)] >= 0;
    Lobe lobe{i, i, i, z[static_cast<size_t>(i)]};
    while (i < n && (z[static_cast<size_t>(i)] >= 0) == positive) {
      if (std::abs(z[static_cast<size_t>(i)]) > std::abs(lobe.value)) {
        lobe.peak = i;
        lobe.value = z[static_cast<size_t>(i)];
      }
      lobe.area += z[static_cast<size_t>(i)];
      lobe.end = i++;
    }
    lobes.push_back(lobe);
  }
  return lobes;
}

// Walking from `from` in direction `dir` (±1) for at most `limit` samples: the fractional index
// where |z| first falls to `threshold` (linear interpolation), or a local minimum of |z| if that
// comes first (Martínez 2004: "or a local minimum"). nullopt when neither happens in the limit.
std::optional<double> threshold_crossing(const std::vector<double>& z, int from, int dir, double threshold,
                                         double limit) {
  const int n = static_cast<int>(z.size());
  const int steps = static_cast<int>(std::floor(limit));
  for (int s = 1; s <= steps; ++s) {
    const int i = from + dir * s;
    if (i < 1 || i >= n - 1) return std::nullopt;
    const double now = std::abs(z[static_cast<size_t>(i)]);
    const double before = std::abs(z[static_cast<size_t>(i - dir)]);
    if (now <= threshold) {
      const double f = before > now ? (before - threshold) / (before - now) : 1.0;
      return (i - dir) + dir * f;
    }
    if (now <= std::abs(z[static_cast<size_t>(i + dir)]) && now < before) return i;
  }
  return std::nullopt;
}

// Zero crossing between two adjacent lobes (a.end + 1 == b.start), fractional.
double zero_crossing(const std::vector<double>& z, const Lobe& a) {
  const double u = z[static_cast<size_t>(a.end)], v = z[static_cast<size_t>(a.end + 1)];
  return a.end + (u != v ? u / (u - v) : 0.5);
}

double confidence_of(double z_score) { return z_score * z_score / (z_score * z_score + 9.0); }

WaveMark refused(const std::string& why) { return WaveMark{std::nullopt, 0.0, why}; }
WaveMark marked(double sample, double confidence) { return WaveMark{sample, confidence, {}}; }

// Lobes whose peak lies in [lo, hi], as indices into `lobes` (sorted by position).
std::pair<int, int> lobes_in(const std::vector<Lobe>& lobes, double lo, double hi) {
  const auto first = std::lower_bound(lobes.begin(), lobes.end(), lo,
                                      [](const Lobe& l, double v) { return l.peak < v; });
  const auto last = std::upper_bound(lobes.begin(), lobes.end(), hi,
                                     [](double v, const Lobe& l) { return v < l.peak; });
  return {static_cast<int>(first - lobes.begin()), static_cast<int>(last - lobes.begin())};  // [first, last)
}

double rms_of(const std::vector<double>& z, double lo, double hi) {
  const int a = std::max(0, static_cast<int>(std::ceil(lo)));
  const int b = std::min(static_cast<int>(z.size()) - 1, static_cast<int>(std::floor(hi)));
  if (b < a) return 0;
  double s = 0;
  for (int i = a; i <= b; ++i) s += z[static_cast<size_t>(i)] * z[static_cast<size_t>(i)];
  return std::sqrt(s / (b - a + 1));
}

struct Work {
  std::vector<std::vector<double>> w;      // scales × n
  std::vector<std::vector<Lobe>> lobes;    // per scale
  std::array<double, kScales> noise{};     // noise sd per scale
  double min_z = 3;
};

double z_of(const Work& work, int scale, double value) {
  const double sd = work.noise[static_cast<size_t>(scale - 1)];
  return sd > 0 ? std::abs(value) / sd : 1e9;
}

// A slow wave (P or T) at `scale` whose maxima peak inside [lo, hi] and exceed `epsilon`:
// the largest maximum and, if significant, its larger neighbour of opposite sign; the peak is the
// zero crossing between them, onset/end where |W| falls to ξ_on / ξ_end of the first/last.
struct SlowWave {
  WaveMark on, peak, off;
  bool found = false;  // a significant maximum was found (some marks may still be refused)
};

SlowWave slow_wave(const Work& work, int scale, double lo, double hi, double epsilon, double xi_on, double xi_end,
                   double on_limit, double end_limit, double partner_past_hi, const char* name) {
  const auto& z = work.w[static_cast<size_t>(scale - 1)];
  // The lobes cut to the window (ours): a lobe that starts inside the QRS (the S wave's return
  // merging into the T's rise) is judged by its part inside the window, whose maximum is the
  // T's own slope, not the S wave's (the paper's local maxima of |W| do the same).
  const int from = std::max(1, static_cast<int>(std::ceil(lo)));
  const int to = std::min(static_cast<int>(z.size()) - 2, static_cast<int>(std::floor(hi + partner_past_hi)));
  std::vector<Lobe> lobes;
  if (to > from) {
    std::vector<double> cut(z.begin() + from, z.begin() + to + 1);
    lobes = lobes_of(cut);
    for (Lobe& l : lobes) {
      l.start += from;
      l.end += from;
      l.peak += from;
    }
    // A cut lobe whose maximum sits on the cut is the tail of a wave outside the window (the
    // QRS's slope reaching into the P window, the S wave's into the T window): not a candidate.
    std::erase_if(lobes, [&](const Lobe& l) {
      return (l.peak == from && z[static_cast<size_t>(from - 1)] * l.value > 0) ||
             (l.peak == to && z[static_cast<size_t>(to + 1)] * l.value > 0);
    });
  }
  auto significant = [&](int i) {
    return i >= 0 && i < static_cast<int>(lobes.size()) && std::abs(lobes[static_cast<size_t>(i)].value) > epsilon;
  };
  const int first = 0;
  int last = 0;  // lobes [0, last) peak inside [lo, hi]
  while (last < static_cast<int>(lobes.size()) && lobes[static_cast<size_t>(last)].peak <= hi) ++last;
  // The wave is the pair of adjacent significant maxima (a rise and a fall) whose smaller lobe
  // area is largest: the lobe areas are the rise and fall of the smoothed signal, so this picks
  // the largest deflection that goes up and comes back (ours: the paper pairs the two largest
  // maxima, which on a T followed by a U wave or by the next P can pair the T's fall with
  // the next wave's rise). The second lobe may peak up to `partner_past_hi` past the window.
  int a = -1, b = -1;
  double best_score = 0;
  for (int i = first; i < last; ++i) {
    if (!significant(i) || !significant(i + 1) || lobes[static_cast<size_t>(i + 1)].peak > hi + partner_past_hi) continue;
    const double score =
        std::min(std::abs(lobes[static_cast<size_t>(i)].area), std::abs(lobes[static_cast<size_t>(i + 1)].area));
    if (score > best_score) {
      best_score = score;
      a = i;
      b = i + 1;
    }
  }
  int best = -1;
  for (int i = first; i < last; ++i)
    if (significant(i) && (best < 0 || std::abs(lobes[static_cast<size_t>(i)].value) >
                                           std::abs(lobes[static_cast<size_t>(best)].value)))
      best = i;
  const std::string wave = name;
  if (best < 0) {
    const std::string why = "no " + wave + " wave above noise (no modulus maximum over " +
                            std::to_string(work.min_z).substr(0, 3) + " noise sd at scale 2^" + std::to_string(scale) + ")";
    return {refused(why), refused(why), refused(why), false};
  }
  // A lone slope (no partner of opposite sign) needs twice the evidence of a pair (ours): at
  // scale 2^4 the QRS's own response still reaches ~60 ms past the QRS end, a slope there of a
  // few noise sd is that tail, not a T wave.
  if (a < 0 && z_of(work, scale, lobes[static_cast<size_t>(best)].value) < 2 * work.min_z) {
    const std::string why = "no " + wave + " wave above noise (a single slope of under " +
                            std::to_string(2 * work.min_z).substr(0, 3) + " noise sd at scale 2^" + std::to_string(scale) + ")";
    return {refused(why), refused(why), refused(why), false};
  }
  SlowWave out;
  out.found = true;
  if (a >= 0) {
    const double z_wave = std::max(z_of(work, scale, lobes[static_cast<size_t>(a)].value),
                                   z_of(work, scale, lobes[static_cast<size_t>(b)].value));
    const double conf = confidence_of(z_wave);
    out.peak = marked(zero_crossing(z, lobes[static_cast<size_t>(a)]), conf);
  } else {
    a = b = best;
    out.peak = refused(wave + " peak: only one slope of the " + wave + " wave rises above noise");
  }
  const double conf = confidence_of(z_of(work, scale, lobes[static_cast<size_t>(best)].value));
  const Lobe& la = lobes[static_cast<size_t>(a)];
  const Lobe& lb = lobes[static_cast<size_t>(b)];
  if (auto on = threshold_crossing(z, la.peak, -1, xi_on * std::abs(la.value), on_limit))
    out.on = marked(*on, conf);
  else
    out.on = refused(wave + " onset: the slope does not level off inside the search window");
  if (auto off = threshold_crossing(z, lb.peak, +1, xi_end * std::abs(lb.value), end_limit))
    out.off = marked(*off, conf);
  else
    out.off = refused(wave + " end: the slope does not level off inside the search window");
  return out;
}

BeatWaves delineate_one(const Work& work, double r, double prev_r, double next_r, double rr) {
  BeatWaves out;
  const auto& z2 = work.w[1];
  const auto& l2 = work.lobes[1];
  const int n = static_cast<int>(z2.size());
  if (!(r >= 0 && r <= n - 1)) {
    const std::string why = "R peak outside the signal";
    out.p_on = out.p_peak = out.p_off = out.qrs_on = out.r_peak = out.qrs_off = out.t_on = out.t_peak = out.t_off =
        refused(why);
    return out;
  }
  // QRS at scale 2^2: the largest maximum within ±40 ms of the given R and its larger neighbour.
  auto [first, last] = lobes_in(l2, r - eq(40), r + eq(40));
  int anchor = -1;
  for (int i = first; i < last; ++i)
    if (anchor < 0 || std::abs(l2[static_cast<size_t>(i)].value) > std::abs(l2[static_cast<size_t>(anchor)].value))
      anchor = i;
  if (anchor < 0 || z_of(work, 2, l2[static_cast<size_t>(anchor)].value) < work.min_z) {
    const std::string why = "no QRS complex above noise near the given R peak";
    out.p_on = out.p_peak = out.p_off = out.qrs_on = out.r_peak = out.qrs_off = out.t_on = out.t_peak = out.t_off =
        refused(why);
    return out;
  }
  const double a_mod = std::abs(l2[static_cast<size_t>(anchor)].value);
  const double qrs_conf = confidence_of(z_of(work, 2, a_mod));
  int partner = -1;
  for (const int c : {anchor - 1, anchor + 1}) {
    if (c < 0 || c >= static_cast<int>(l2.size())) continue;
    if (std::abs(l2[static_cast<size_t>(c)].peak - l2[static_cast<size_t>(anchor)].peak) > eq(60)) continue;
    if (partner < 0 || std::abs(l2[static_cast<size_t>(c)].value) > std::abs(l2[static_cast<size_t>(partner)].value))
      partner = c;
  }
  int qfirst = anchor, qlast = anchor;
  if (partner >= 0) {
    qfirst = std::min(anchor, partner);
    qlast = std::max(anchor, partner);
    out.r_peak = marked(zero_crossing(z2, l2[static_cast<size_t>(qfirst)]), qrs_conf);
  } else {
    out.r_peak = marked(l2[static_cast<size_t>(anchor)].peak, qrs_conf);
  }
  // Q and S waves: neighbouring maxima above γ_QRSpre = 0.06 / γ_QRSpost = 0.09 of the largest,
  // each within 40 ms of the last one taken and within 100 ms before / 120 ms after R.
  while (qfirst - 1 >= 0) {
    const Lobe& c = l2[static_cast<size_t>(qfirst - 1)];
    if (std::abs(c.value) < 0.06 * a_mod || z_of(work, 2, c.value) < work.min_z) break;
    if (l2[static_cast<size_t>(qfirst)].peak - c.peak > eq(40) || c.peak < r - eq(100)) break;
    --qfirst;
  }
  while (qlast + 1 < static_cast<int>(l2.size())) {
    const Lobe& c = l2[static_cast<size_t>(qlast + 1)];
    if (std::abs(c.value) < 0.09 * a_mod || z_of(work, 2, c.value) < work.min_z) break;
    if (c.peak - l2[static_cast<size_t>(qlast)].peak > eq(40) || c.peak > r + eq(120)) break;
    ++qlast;
  }
  const Lobe& lf = l2[static_cast<size_t>(qfirst)];
  const Lobe& ll = l2[static_cast<size_t>(qlast)];
  if (auto on = threshold_crossing(z2, lf.peak, -1, (lf.value > 0 ? 0.05 : 0.07) * std::abs(lf.value), eq(80)))
    out.qrs_on = marked(*on, qrs_conf);
  else
    out.qrs_on = refused("QRS onset: the slope does not level off within 80 ms (adult-equivalent)");
  if (auto off = threshold_crossing(z2, ll.peak, +1, (ll.value > 0 ? 0.125 : 0.71) * std::abs(ll.value), eq(100)))
    out.qrs_off = marked(*off, qrs_conf);
  else
    out.qrs_off = refused("QRS end: the slope does not level off within 100 ms (adult-equivalent)");

  // T wave: maxima peaking from 100 ms after R (or 20 ms after the QRS end) to 0.7 RR or 500 ms,
  // whichever is first, and 0.2 RR before the next beat.
  const double t_lo = std::max(r + eq(100), out.qrs_off.sample ? *out.qrs_off.sample + eq(20) : 0.0);
  double t_hi = std::min(r + 0.6 * rr, r + eq(500));
  if (next_r > r) t_hi = std::min(t_hi, next_r - 0.4 * rr);
  if (t_hi > t_lo) {
    SlowWave t;
    for (int scale = 4; scale <= 5 && !t.found; ++scale) {
      const double epsilon = std::max(0.25 * rms_of(work.w[static_cast<size_t>(scale - 1)], t_lo, t_hi),
                                      work.min_z * work.noise[static_cast<size_t>(scale - 1)]);
      t = slow_wave(work, scale, t_lo, t_hi, epsilon, 0.25, 0.4, eq(120), eq(160),
                    eq(80), "T");
    }
    out.t_on = t.on;
    out.t_peak = t.peak;
    out.t_off = t.off;
  } else {
    out.t_on = out.t_peak = out.t_off = refused("the T search window is empty (RR too short)");
  }
  if (out.t_off.sample && next_r > r && *out.t_off.sample >= next_r) out.t_off = refused("T end: past the next beat");

  // P wave at scale 2^4: maxima peaking from 240 ms before the QRS onset (no earlier than half an
  // RR after the previous beat) to 8 ms before it, above 0.1 × the RMS of the transform over the
  // beat and above noise.
  const double qon = out.qrs_on.sample ? *out.qrs_on.sample : r - eq(40);
  double p_lo = qon - eq(240);
  if (prev_r >= 0 && prev_r < r) p_lo = std::max(p_lo, prev_r + 0.55 * rr);
  const double p_hi = qon - eq(8);
  if (p_hi > p_lo) {
    const auto& z4 = work.w[3];
    const double epsilon = std::max(0.1 * rms_of(z4, r - 0.35 * rr, r + 0.6 * rr), work.min_z * work.noise[3]);
    SlowWave p = slow_wave(work, 4, p_lo, p_hi, epsilon, 0.5, 0.9, eq(80), std::max(1.0, qon - p_lo), 0.0, "P");
    out.p_on = p.on;
    out.p_peak = p.peak;
    out.p_off = p.off;
    if (out.p_off.sample && *out.p_off.sample >= qon) out.p_off = refused("P end: reaches the QRS onset");
  } else {
    out.p_on = out.p_peak = out.p_off = refused("the P search window is empty (previous beat too close)");
  }
  return out;
}

}  // namespace

std::vector<BeatWaves> delineate_martinez_2004(std::span<const float> x, double fs_hz,
                                               const std::vector<double>& r_samples, double rr_s,
                                               const DelineatorParams& params, std::span<const float> noise) {
  if (!std::isfinite(fs_hz) || fs_hz <= 0) throw Error("delineate_martinez_2004: fs_hz must be finite and > 0");
  if (!std::isfinite(rr_s) || rr_s <= 0) throw Error("delineate_martinez_2004: rr_s must be finite and > 0");
  if (!noise.empty() && noise.size() != x.size())
    throw Error("delineate_martinez_2004: noise trace has " + std::to_string(noise.size()) + " samples, expected " +
                std::to_string(x.size()));
  for (const float v : x)
    if (!std::isfinite(v)) throw Error("delineate_martinez_2004: non-finite sample in the lead");
  std::vector<BeatWaves> result;
  result.reserve(r_samples.size());
  const double sigma_wanted = std::clamp(rr_s / params.reference_rr_s, params.min_time_scale, 1.0);
  // The working rate as fs_hz × p/q with q <= 32, the nearest to 250 Hz / σ: the resampler's
  // filter then has a few hundred taps instead of thousands (σ moves by < 1.5 %, far below the
  // spread of heart rates it follows).
  double work_fs = kWorkFs_hz / sigma_wanted;
  {
    const double ratio = work_fs / fs_hz;
    double best = work_fs, best_err = 1e9;
    for (int q = 1; q <= 32; ++q) {
      const double p = std::max(1.0, std::round(ratio * q));
      const double err = std::abs(p / q - ratio) / ratio;
      if (err < best_err - 1e-12) {
        best_err = err;
        best = fs_hz * p / q;
      }
    }
    work_fs = best;
  }
  if (x.size() < 8) {
    for (const double r : r_samples) {
      BeatWaves b;
      b.r_given = r;
      b.p_on = b.p_peak = b.p_off = b.qrs_on = b.r_peak = b.qrs_off = b.t_on = b.t_peak = b.t_off =
          refused("signal too short to delineate");
      result.push_back(b);
    }
    return result;
  }
  auto to_work = [&](std::span<const float> v) {
    const Signal y = resample(v, fs_hz, work_fs);
    return std::vector<double>(y.data(), y.data() + y.size());
  };
  Work work;
  work.min_z = params.min_wave_z;
  work.w = wavelet_transform(to_work(x));
  for (const auto& z : work.w) work.lobes.push_back(lobes_of(z));
  // Noise sd per scale: the noise trace's transform when given; else white noise whose sd is the
  // MAD of scale 2^1 (mostly noise outside the QRS), carried to each scale by the norm of its
  // equivalent filter (measured on an impulse).
  if (!noise.empty()) {
    const auto wn = wavelet_transform(to_work(noise));
    for (int k = 0; k < kScales; ++k) {
      const auto& z = wn[static_cast<size_t>(k)];
      work.noise[static_cast<size_t>(k)] = rms_of(z, 0, static_cast<double>(z.size()) - 1);
    }
  } else {
    std::vector<double> impulse(257, 0.0);
    impulse[128] = 1.0;
    const auto wi = wavelet_transform(impulse);
    std::array<double, kScales> norm{};
    for (int k = 0; k < kScales; ++k) {
      double s = 0;
      for (const double v : wi[static_cast<size_t>(k)]) s += v * v;
      norm[static_cast<size_t>(k)] = std::sqrt(s);
    }
    std::vector<double> mag(work.w[0].size());
    for (size_t i = 0; i < mag.size(); ++i) mag[i] = std::abs(work.w[0][i]);
    const double white_sd = upper_median_in_place(mag) / 0.6745 / norm[0];
    for (int k = 0; k < kScales; ++k) work.noise[static_cast<size_t>(k)] = white_sd * norm[static_cast<size_t>(k)];
  }
  const double ratio = work_fs / fs_hz;
  const double rr_work = rr_s * work_fs;
  for (size_t i = 0; i < r_samples.size(); ++i) {
    const double r = r_samples[i] * ratio;
    const double prev = i > 0 ? r_samples[i - 1] * ratio : -1.0;
    const double next = i + 1 < r_samples.size() ? r_samples[i + 1] * ratio : -1.0;
    BeatWaves b = delineate_one(work, std::isfinite(r) ? r : -1.0, prev, next, rr_work);
    for (WaveMark* m : {&b.p_on, &b.p_peak, &b.p_off, &b.qrs_on, &b.r_peak, &b.qrs_off, &b.t_on, &b.t_peak, &b.t_off})
      if (m->sample) *m->sample /= ratio;
    b.r_given = r_samples[i];
    result.push_back(b);
  }
  return result;
}

BeatWaves combine_leads_martinez_2004(const std::vector<const BeatWaves*>& leads, double fs_hz) {
  if (leads.empty()) throw Error("combine_leads_martinez_2004: no leads");
  BeatWaves out = *leads[0];
  const double ms = fs_hz / 1000.0;
  // onset (-1), peak (0) or end (+1) of one wave, with its tolerance in ms.
  auto pick = [&](WaveMark BeatWaves::*mark, int kind, double tolerance_ms) {
    const WaveMark* best = nullptr;
    for (const BeatWaves* l : leads)
      if ((l->*mark).sample && (!best || (l->*mark).confidence > best->confidence)) best = &(l->*mark);
    if (!best) return (leads[0]->*mark);
    if (kind == 0) return *best;
    WaveMark chosen = *best;
    for (const BeatWaves* l : leads) {
      const WaveMark& m = l->*mark;
      if (!m.sample || std::abs(*m.sample - *best->sample) > tolerance_ms * ms) continue;
      if ((kind < 0 && *m.sample < *chosen.sample) || (kind > 0 && *m.sample > *chosen.sample)) chosen = m;
    }
    return chosen;
  };
  out.p_on = pick(&BeatWaves::p_on, -1, 20);
  out.p_peak = pick(&BeatWaves::p_peak, 0, 0);
  out.p_off = pick(&BeatWaves::p_off, +1, 20);
  out.qrs_on = pick(&BeatWaves::qrs_on, -1, 12);
  out.r_peak = pick(&BeatWaves::r_peak, 0, 0);
  out.qrs_off = pick(&BeatWaves::qrs_off, +1, 12);
  out.t_on = pick(&BeatWaves::t_on, -1, 40);
  out.t_peak = pick(&BeatWaves::t_peak, 0, 0);
  out.t_off = pick(&BeatWaves::t_off, +1, 40);
  return out;
}

}  // namespace fecg
