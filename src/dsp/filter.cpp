// Butterworth and notch filters as second-order sections (SOS).
//
// Design follows the classical route (Oppenheim & Schafer, "Discrete-Time Signal Processing",
// 3rd ed., §7.1; the same steps as scipy.signal.butter(output='sos')): poles of the analogue
// Butterworth prototype on the unit circle, frequency transformation (low-pass, high-pass,
// low-pass-to-band-pass) at pre-warped cut-offs, bilinear transform, then pairing of conjugate
// poles into biquads. Each section is normalised to unit gain where the ideal Butterworth
// response is exactly 1 (DC, Nyquist or the band centre), which keeps section gains balanced.
//
// Second-order sections instead of one high-order polynomial because the polynomial's roots are
// ill-conditioned for low cut-offs at high rates (0.5 Hz at 10 kHz puts every pole within 3e-4 of
// z = 1); each biquad only has to represent its own pair.
#include "dsp/filter.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace fecg {
namespace {

using cplx = std::complex<double>;
constexpr double kPi = std::numbers::pi;

// The prototype is limited to orders a careful user could want; beyond ~20 even SOS filters
// become numerically marginal at low cut-offs, and nothing in ECG work needs them.
constexpr int kMaxOrder = 20;

void check_order(const char* function, int order) {
  if (order < 1 || order > kMaxOrder) {
    throw Error(std::string(function) + ": order must be in 1.." + std::to_string(kMaxOrder) +
                ", got " + std::to_string(order));
  }
}

void check_rate(const char* function, double fs_hz) {
  if (!std::isfinite(fs_hz) || fs_hz <= 0) {
    throw Error(std::string(function) + ": fs_hz must be finite and > 0, got " + std::to_string(fs_hz));
  }
}

void check_cutoff(const char* function, double f_hz, double fs_hz) {
  if (!std::isfinite(f_hz) || f_hz <= 0 || f_hz >= fs_hz / 2) {
    throw Error(std::string(function) + ": cut-off must satisfy 0 < f < fs/2 = " +
                std::to_string(fs_hz / 2) + " Hz, got " + std::to_string(f_hz) + " Hz");
  }
}

// Pre-warped analogue angular frequency (rad/s) whose bilinear image is f_hz:
// Ω = 2 fs tan(π f / fs) (Oppenheim & Schafer eq. 7.26).
double prewarp(double f_hz, double fs_hz) { return 2.0 * fs_hz * std::tan(kPi * f_hz / fs_hz); }

// Left-half-plane poles of the normalised (Ω_c = 1 rad/s) analogue Butterworth prototype:
// s_k = exp(jπ(2k + N - 1) / (2N)), k = 1..N.
std::vector<cplx> prototype_poles(int order) {
  std::vector<cplx> poles;
  poles.reserve(order);
  for (int k = 1; k <= order; ++k) {
    poles.push_back(std::polar(1.0, kPi * (2.0 * k + order - 1.0) / (2.0 * order)));
  }
  return poles;
}

// Bilinear transform s → z = (2 fs + s) / (2 fs - s).
cplx bilinear(cplx s, double fs_hz) { return (2.0 * fs_hz + s) / (2.0 * fs_hz - s); }

// Groups digital poles (closed under conjugation) into sections: each complex pole with positive
// imaginary part takes its conjugate; the remaining real poles are paired in order of value, and
// an odd one out becomes a first-order section. `zeros_per_pair` gives the numerator of a
// two-pole section, `zero_single` that of a one-pole section (as {b0, b1}). Sections are ordered
// with the poles closest to the unit circle last (as scipy's zpk2sos does), so that the
// sharpest resonance sees a signal already shaped by the others.
SosCascade pair_poles(const std::vector<cplx>& poles, const std::array<double, 3>& zeros_per_pair,
                      const std::array<double, 2>& zero_single) {
  // A tolerance relative to the pole magnitude separates true real poles from rounding.
  constexpr double kRealTolerance = 1e-12;
  std::vector<cplx> complex_upper;
  std::vector<double> real_poles;
  for (const cplx& p : poles) {
    if (std::abs(p.imag()) <= kRealTolerance * std::max(1.0, std::abs(p))) {
      real_poles.push_back(p.real());
    } else if (p.imag() > 0) {
      complex_upper.push_back(p);
    }
  }
  std::sort(real_poles.begin(), real_poles.end());

  struct Section {
    Biquad coefficients;
    double radius;
  };
  std::vector<Section> sections;
  for (const cplx& p : complex_upper) {
    sections.push_back({{zeros_per_pair[0], zeros_per_pair[1], zeros_per_pair[2], 1.0,
                         -2.0 * p.real(), std::norm(p)},
                        std::abs(p)});
  }
  std::size_t i = 0;
  for (; i + 1 < real_poles.size(); i += 2) {
    const double p1 = real_poles[i], p2 = real_poles[i + 1];
    sections.push_back({{zeros_per_pair[0], zeros_per_pair[1], zeros_per_pair[2], 1.0, -(p1 + p2), p1 * p2},
                        std::max(std::abs(p1), std::abs(p2))});
  }
  if (i < real_poles.size()) {
    sections.push_back({{zero_single[0], zero_single[1], 0.0, 1.0, -real_poles[i], 0.0},
                        std::abs(real_poles[i])});
  }
  std::stable_sort(sections.begin(), sections.end(),
                   [](const Section& a, const Section& b) { return a.radius < b.radius; });
  SosCascade sos;
  sos.reserve(sections.size());
  for (const Section& s : sections) sos.push_back(s.coefficients);
  return sos;
}

cplx section_response(const Biquad& s, cplx z_inv) {
  const cplx num = s[0] + z_inv * (s[1] + z_inv * s[2]);
  const cplx den = s[3] + z_inv * (s[4] + z_inv * s[5]);
  return num / den;
}

// Scales each section's numerator so that |H_i(e^{jω})| = 1 at ω (rad/sample).
void normalise_sections_at(SosCascade& sos, double omega) {
  const cplx z_inv = std::polar(1.0, -omega);
  for (Biquad& s : sos) {
    const double gain = std::abs(section_response(s, z_inv));
    for (int k = 0; k < 3; ++k) s[k] /= gain;
  }
}

void check_cascade(const char* function, const SosCascade& sos) {
  for (std::size_t i = 0; i < sos.size(); ++i) {
    for (double c : sos[i]) {
      if (!std::isfinite(c)) {
        throw Error(std::string(function) + ": section " + std::to_string(i) + " has a non-finite coefficient");
      }
    }
    if (sos[i][3] != 1.0) {
      throw Error(std::string(function) + ": section " + std::to_string(i) + " must have a0 == 1, got " +
                  std::to_string(sos[i][3]));
    }
  }
}

void check_finite(const char* function, std::span<const float> x) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw Error(std::string(function) + ": expected finite samples, found " + std::to_string(x[i]) +
                  " at sample " + std::to_string(i));
    }
  }
}

// Direct form II transposed over doubles, state `z` (2 values per section) updated in place.
void filter_in_place(const SosCascade& sos, std::vector<double>& x, std::vector<double>& z) {
  for (std::size_t s = 0; s < sos.size(); ++s) {
    const double b0 = sos[s][0], b1 = sos[s][1], b2 = sos[s][2], a1 = sos[s][4], a2 = sos[s][5];
    double z1 = z[2 * s], z2 = z[2 * s + 1];
    for (double& v : x) {
      const double in = v;
      const double out = b0 * in + z1;
      z1 = b1 * in - a1 * out + z2;
      z2 = b2 * in - a2 * out;
      v = out;
    }
    z[2 * s] = z1;
    z[2 * s + 1] = z2;
  }
}

// Steady-state state of the cascade for a unit step input (scipy's sosfilt_zi): for one DF-II-T
// biquad with DC gain g = Σb / Σa, a constant input 1 and output g give z2 = b2 - a2 g and
// z1 = g - b0; each later section sees the constant output of the sections before it.
std::vector<double> step_steady_state(const SosCascade& sos) {
  std::vector<double> zi(2 * sos.size());
  double level = 1.0;  // constant input of the current section
  for (std::size_t s = 0; s < sos.size(); ++s) {
    const Biquad& c = sos[s];
    const double den = c[3] + c[4] + c[5];
    // A pole at z = 1 (den == 0) has no steady state; start from rest for that section.
    const double gain = den != 0 ? (c[0] + c[1] + c[2]) / den : 0.0;
    zi[2 * s] = level * (gain - c[0]);
    zi[2 * s + 1] = level * (c[2] - c[5] * gain);
    level *= gain;
  }
  return zi;
}

// Largest pole radius of the cascade (< 1 for a stable filter).
double max_pole_radius(const SosCascade& sos) {
  double r = 0;
  for (const Biquad& c : sos) {
    // Roots of z² + a1 z + a2.
    const cplx disc = std::sqrt(cplx(c[4] * c[4] - 4.0 * c[5], 0.0));
    r = std::max({r, std::abs((-c[4] + disc) / 2.0), std::abs((-c[4] - disc) / 2.0)});
  }
  return r;
}

// Padding of sosfiltfilt: three time constants of the slowest pole, where the start-up transient
// has decayed to e^-3 of the (already small, thanks to steady-state initial conditions) mismatch,
// and at least scipy's default 3 (2 n_sections + 1) for fast filters.
std::size_t filtfilt_padding(const SosCascade& sos) {
  std::size_t pad = 3 * (2 * sos.size() + 1);
  const double r = max_pole_radius(sos);
  if (r > 0 && r < 1) {
    const double tau_samples = -1.0 / std::log(r);
    // Capped so that a nearly marginal filter cannot ask for absurd buffers (10^7 samples).
    pad = std::max(pad, static_cast<std::size_t>(std::ceil(3.0 * std::min(tau_samples, 3.4e6))));
  }
  return pad;
}

}  // namespace

SosCascade butterworth_lowpass(int order, double cutoff_hz, double fs_hz) {
  check_order("butterworth_lowpass", order);
  check_rate("butterworth_lowpass", fs_hz);
  check_cutoff("butterworth_lowpass", cutoff_hz, fs_hz);
  const double wc = prewarp(cutoff_hz, fs_hz);
  std::vector<cplx> poles;
  for (const cplx& p : prototype_poles(order)) poles.push_back(bilinear(wc * p, fs_hz));
  // All N zeros at s = ∞ map to z = -1.
  SosCascade sos = pair_poles(poles, {1.0, 2.0, 1.0}, {1.0, 1.0});
  normalise_sections_at(sos, 0.0);
  return sos;
}

SosCascade butterworth_highpass(int order, double cutoff_hz, double fs_hz) {
  check_order("butterworth_highpass", order);
  check_rate("butterworth_highpass", fs_hz);
  check_cutoff("butterworth_highpass", cutoff_hz, fs_hz);
  const double wc = prewarp(cutoff_hz, fs_hz);
  std::vector<cplx> poles;
  // s → Ω_c / s maps the prototype poles to Ω_c / s_k and puts N zeros at s = 0 (z = 1).
  for (const cplx& p : prototype_poles(order)) poles.push_back(bilinear(wc / p, fs_hz));
  SosCascade sos = pair_poles(poles, {1.0, -2.0, 1.0}, {1.0, -1.0});
  normalise_sections_at(sos, kPi);
  return sos;
}

SosCascade butterworth_bandpass(int order, double low_hz, double high_hz, double fs_hz) {
  check_order("butterworth_bandpass", order);
  check_rate("butterworth_bandpass", fs_hz);
  check_cutoff("butterworth_bandpass", low_hz, fs_hz);
  check_cutoff("butterworth_bandpass", high_hz, fs_hz);
  if (!(low_hz < high_hz)) {
    throw Error("butterworth_bandpass: expected low_hz < high_hz, got " + std::to_string(low_hz) + " and " +
                std::to_string(high_hz) + " Hz");
  }
  const double w1 = prewarp(low_hz, fs_hz), w2 = prewarp(high_hz, fs_hz);
  const double w0 = std::sqrt(w1 * w2), bw = w2 - w1;
  // s → (s² + Ω0²) / (B s): each prototype pole p gives the two roots of s² - pB s + Ω0² = 0;
  // N zeros at s = 0 (z = 1) and N at s = ∞ (z = -1), so every section has zeros {1, -1}.
  std::vector<cplx> poles;
  for (const cplx& p : prototype_poles(order)) {
    const cplx half = p * bw / 2.0;
    const cplx root = std::sqrt(half * half - w0 * w0);
    poles.push_back(bilinear(half + root, fs_hz));
    poles.push_back(bilinear(half - root, fs_hz));
  }
  SosCascade sos = pair_poles(poles, {1.0, 0.0, -1.0}, {1.0, 0.0});
  // The Butterworth band-pass has |H| = 1 exactly at the geometric centre Ω0, whose digital
  // image is ω0 = 2 atan(Ω0 / (2 fs)).
  normalise_sections_at(sos, 2.0 * std::atan(w0 / (2.0 * fs_hz)));
  return sos;
}

SosCascade notch(double freq_hz, double q, double fs_hz) {
  check_rate("notch", fs_hz);
  check_cutoff("notch", freq_hz, fs_hz);
  if (!std::isfinite(q) || q <= 0) throw Error("notch: q must be finite and > 0, got " + std::to_string(q));
  // Second-order notch of Sophocles J. Orfanidis, "Introduction to Signal Processing" (1996),
  // §11.3, as in scipy.signal.iirnotch: -3 dB bandwidth Δω = ω0 / q, β = tan(Δω / 2),
  // H(z) = g (1 - 2 cos ω0 z⁻¹ + z⁻²) / (1 - 2 g cos ω0 z⁻¹ + (2 g - 1) z⁻²), g = 1 / (1 + β).
  const double w0 = 2.0 * kPi * freq_hz / fs_hz;
  const double bandwidth = w0 / q;
  if (bandwidth >= kPi) throw Error("notch: bandwidth freq_hz / q must be below fs/2; increase q");
  const double beta = std::tan(bandwidth / 2.0);
  const double g = 1.0 / (1.0 + beta);
  const double c = std::cos(w0);
  return {Biquad{g, -2.0 * g * c, g, 1.0, -2.0 * g * c, 2.0 * g - 1.0}};
}

void sosfilt(const SosCascade& sos, std::span<float> x) {
  check_cascade("sosfilt", sos);
  check_finite("sosfilt", x);
  std::vector<double> buffer(x.begin(), x.end());
  std::vector<double> z(2 * sos.size(), 0.0);
  filter_in_place(sos, buffer, z);
  std::transform(buffer.begin(), buffer.end(), x.begin(), [](double v) { return static_cast<float>(v); });
}

void sosfiltfilt(const SosCascade& sos, std::span<float> x) {
  check_cascade("sosfiltfilt", sos);
  check_finite("sosfiltfilt", x);
  const std::size_t n = x.size();
  if (n == 0 || sos.empty()) return;
  // Odd extension needs pad < n (it reflects about x[0] through x[1..pad]).
  const std::size_t pad = std::min(filtfilt_padding(sos), n - 1);
  std::vector<double> ext(n + 2 * pad);
  const double first = x[0], last = x[n - 1];
  for (std::size_t i = 0; i < pad; ++i) {
    ext[i] = 2.0 * first - x[pad - i];             // ext[pad - k] = 2 x[0] - x[k]
    ext[pad + n + i] = 2.0 * last - x[n - 2 - i];  // ext[pad + n - 1 + k] = 2 x[n-1] - x[n-1-k]
  }
  std::copy(x.begin(), x.end(), ext.begin() + static_cast<std::ptrdiff_t>(pad));

  const std::vector<double> zi = step_steady_state(sos);
  std::vector<double> z(zi.size());
  // Forward pass starting in the steady state of a constant equal to the first sample.
  for (std::size_t k = 0; k < zi.size(); ++k) z[k] = zi[k] * ext.front();
  filter_in_place(sos, ext, z);
  // Backward pass, likewise from the steady state of its first (the last) sample.
  std::reverse(ext.begin(), ext.end());
  for (std::size_t k = 0; k < zi.size(); ++k) z[k] = zi[k] * ext.front();
  filter_in_place(sos, ext, z);
  std::reverse(ext.begin(), ext.end());
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(ext[pad + i]);
}

void sosfiltfilt_rows(const SosCascade& sos, LeadMatrix& x) {
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    // Rows of the row-major LeadMatrix are contiguous.
    sosfiltfilt(sos, std::span<float>(x.row(r).data(), static_cast<std::size_t>(x.cols())));
  }
}

std::complex<double> sos_response(const SosCascade& sos, double f_hz, double fs_hz) {
  check_rate("sos_response", fs_hz);
  if (!std::isfinite(f_hz)) throw Error("sos_response: f_hz must be finite");
  const cplx z_inv = std::polar(1.0, -2.0 * kPi * f_hz / fs_hz);
  cplx h = 1.0;
  for (const Biquad& s : sos) h *= section_response(s, z_inv);
  return h;
}

namespace {

// Goertzel's recurrence at several frequencies at once (G. Goertzel, Amer. Math. Monthly
// 65(1):34–35, 1958): |X(f)|² of `segment` for each ω = 2π f / fs, exact for any real ω, not only
// DFT bins. The frequency loop is innermost so that the independent recurrences vectorise.
void goertzel_powers(const std::vector<double>& segment, const std::vector<double>& coeff,
                     std::vector<double>& s1, std::vector<double>& s2, std::vector<double>& power) {
  const std::size_t n_f = coeff.size();
  std::fill(s1.begin(), s1.end(), 0.0);
  std::fill(s2.begin(), s2.end(), 0.0);
  for (double v : segment) {
    for (std::size_t k = 0; k < n_f; ++k) {
      const double s0 = v + coeff[k] * s1[k] - s2[k];
      s2[k] = s1[k];
      s1[k] = s0;
    }
  }
  for (std::size_t k = 0; k < n_f; ++k) power[k] += s1[k] * s1[k] + s2[k] * s2[k] - coeff[k] * s1[k] * s2[k];
}

}  // namespace

double detect_powerline_hz(const LeadMatrix& x, double fs_hz) {
  check_rate("detect_powerline_hz", fs_hz);
  // Neighbourhood of ±(2..8) Hz around the line: beyond the Hann main lobe (±2 / T = ±0.5 Hz for
  // T = 4 s) and the line's drift (mains frequency stays within ±0.2 Hz, EN 50160), yet close
  // enough that the ECG spectrum is locally flat. Needs fs / 2 above 60 + 8 Hz for the 60 Hz test.
  constexpr double kSegmentS = 4.0;   // segment length: 0.25 Hz resolution
  constexpr int kMaxSegments = 4;     // spread over the recording; cheap on hours of data
  constexpr double kPeakHalfWidthHz = 0.5;
  constexpr double kNeighbourMinHz = 2.0, kNeighbourMaxHz = 8.0;
  constexpr double kStepHz = 0.25;
  // The line must stand 10 dB above the mean neighbourhood power. The mean (not the median) is
  // used so that the harmonic comb of a periodic ECG (a line every 60/RR Hz, one of which can
  // fall on 50 Hz) does not pass: on a comb the mean is within ~5 dB of a tooth. On the real
  // records in ../shared/data, lines measure 1–3 (no hum) or 9–20 (visible hum) by this ratio.
  constexpr double kRatioThreshold = 10.0;
  constexpr double kLines[2] = {50.0, 60.0};

  const auto n = static_cast<std::size_t>(x.cols());
  const auto seg_n = std::min(n, static_cast<std::size_t>(std::llround(kSegmentS * fs_hz)));
  // Less than a second cannot separate the line from its ±2 Hz neighbours.
  if (x.rows() == 0 || static_cast<double>(seg_n) < fs_hz) return 0.0;
  const std::size_t n_segments = std::min<std::size_t>(kMaxSegments, n / seg_n);

  // Frequencies per line: first the peak search band, then the neighbours on both sides.
  const int n_peak = static_cast<int>(std::lround(2 * kPeakHalfWidthHz / kStepHz)) + 1;
  const int n_side = static_cast<int>(std::lround((kNeighbourMaxHz - kNeighbourMinHz) / kStepHz)) + 1;
  std::vector<double> freqs;
  std::vector<double> lines;
  for (double line : kLines) {
    if (line + kNeighbourMaxHz >= fs_hz / 2) continue;
    lines.push_back(line);
    for (int k = 0; k < n_peak; ++k) freqs.push_back(line - kPeakHalfWidthHz + k * kStepHz);
    for (int k = 0; k < n_side; ++k) {
      freqs.push_back(line - kNeighbourMinHz - k * kStepHz);
      freqs.push_back(line + kNeighbourMinHz + k * kStepHz);
    }
  }
  if (lines.empty()) return 0.0;
  std::vector<double> coeff(freqs.size());
  for (std::size_t k = 0; k < freqs.size(); ++k) coeff[k] = 2.0 * std::cos(2.0 * kPi * freqs[k] / fs_hz);

  std::vector<double> hann(seg_n);
  for (std::size_t i = 0; i < seg_n; ++i) {
    hann[i] = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(seg_n - 1));
  }

  // Spectra summed over leads and segments: a line common to all leads adds up, noise peaks do
  // not. Segments holding a non-finite sample (gaps in the recording) are left out.
  std::vector<double> power(freqs.size(), 0.0), s1(freqs.size()), s2(freqs.size());
  std::vector<double> segment(seg_n);
  int n_used = 0;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    for (std::size_t s = 0; s < n_segments; ++s) {
      // Segments evenly spread: the first at the start, the last at the end.
      const std::size_t start = n_segments > 1 ? s * (n - seg_n) / (n_segments - 1) : 0;
      const float* v = x.row(r).data() + start;
      double mean = 0;
      bool finite = true;
      for (std::size_t i = 0; i < seg_n; ++i) {
        finite = finite && std::isfinite(v[i]);
        mean += v[i];
      }
      if (!finite) continue;
      mean /= static_cast<double>(seg_n);
      for (std::size_t i = 0; i < seg_n; ++i) segment[i] = (v[i] - mean) * hann[i];
      goertzel_powers(segment, coeff, s1, s2, power);
      ++n_used;
    }
  }
  if (n_used == 0) return 0.0;

  double best_ratio = 0, best_line = 0;
  const std::size_t per_line = static_cast<std::size_t>(n_peak + 2 * n_side);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const double* p = power.data() + l * per_line;
    const double peak = *std::max_element(p, p + n_peak);
    double neighbours = 0;
    for (int k = 0; k < 2 * n_side; ++k) neighbours += p[n_peak + k];
    neighbours /= 2 * n_side;
    // A flat (all-constant) input has neither peak nor neighbours: no line.
    if (!(neighbours > 0) || !(peak > 0)) continue;
    const double ratio = peak / neighbours;
    if (ratio >= kRatioThreshold && ratio > best_ratio) {
      best_ratio = ratio;
      best_line = lines[l];
    }
  }
  return best_line;
}

}  // namespace fecg
