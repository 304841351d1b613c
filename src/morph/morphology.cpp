// Fetal ECG morphology; see morphology.h.
#include "morph/morphology.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fecg {
namespace {

Measurement missing(const std::string& why) { return Measurement{std::nullopt, std::nullopt, why}; }
Measurement measured(double v) { return Measurement{v, std::nullopt, {}}; }

// b − a in ms when both marks exist, else the first reason.
Measurement span_ms(const WaveMark& a, const WaveMark& b, double fs_hz) {
  if (!a.sample) return missing(a.why_missing);
  if (!b.sample) return missing(b.why_missing);
  return measured((*b.sample - *a.sample) * 1000.0 / fs_hz);
}

float value_at(std::span<const float> x, double t) {
  const double c = std::clamp(t, 0.0, static_cast<double>(x.size()) - 1.0);
  const auto i = static_cast<size_t>(std::floor(c));
  if (i + 1 >= x.size()) return x[x.size() - 1];
  const double f = c - static_cast<double>(i);
  return static_cast<float>((1 - f) * x[i] + f * x[i + 1]);
}

// Chia et al. 2005 (abstract): group means at 18–22 weeks and at ≥ 37 weeks.
struct ChiaRow {
  const char* quantity;
  double mean_18_22_ms, mean_37_ms;
};
constexpr ChiaRow kChia2005[] = {
    {"p_ms", 43.9, 52.9}, {"pr_ms", 102.1, 110.1}, {"qrs_ms", 47.2, 52.6}, {"qt_ms", 224.0, 242.7},
    {"qtc_bazett_ms", 343.8, 367.7}};

}  // namespace

Morphology morphology_not_computed(const std::string& why) {
  Morphology m;
  m.why_missing = why;
  m.average.why_missing = why;
  for (Measurement* x : {&m.pr_ms, &m.p_ms, &m.qrs_ms, &m.qt_ms, &m.qtc_bazett_ms, &m.qtc_fridericia_ms, &m.t_qrs_ratio})
    *x = missing(why);
  return m;
}

std::vector<bool> beats_in_spans(const BeatIndices& beats, double fs_hz,
                                 const std::vector<std::pair<double, double>>& spans) {
  std::vector<bool> out(beats.size(), false);
  for (size_t i = 0; i < beats.size(); ++i) {
    const double t = static_cast<double>(beats[i]) / fs_hz;
    for (const auto& [a, b] : spans)
      if (t >= a && t < b) {
        out[i] = true;
        break;
      }
  }
  return out;
}

BeatIntervals beat_intervals(const BeatWaves& w, std::span<const float> x, double fs_hz, double rr_s) {
  BeatIntervals out;
  out.pr_ms = span_ms(w.p_on, w.qrs_on, fs_hz);
  out.p_ms = span_ms(w.p_on, w.p_off, fs_hz);
  out.qrs_ms = span_ms(w.qrs_on, w.qrs_off, fs_hz);
  out.qt_ms = span_ms(w.qrs_on, w.t_off, fs_hz);
  if (out.qt_ms.value) {
    // Bazett 1920: QT / RR^½; Fridericia 1920: QT / RR^⅓ (RR in seconds).
    out.qtc_bazett_ms = measured(*out.qt_ms.value / std::sqrt(rr_s));
    out.qtc_fridericia_ms = measured(*out.qt_ms.value / std::cbrt(rr_s));
  } else {
    out.qtc_bazett_ms = out.qtc_fridericia_ms = missing(out.qt_ms.why_missing);
  }
  // T/QRS (STAN, Rosén et al.): T amplitude over QRS amplitude, both from the isoelectric level
  // at the QRS onset (the PQ junction); QRS amplitude = peak-to-peak over QRS onset..end.
  if (!w.t_peak.sample) {
    out.t_qrs_ratio = missing(w.t_peak.why_missing);
  } else if (!w.qrs_on.sample || !w.qrs_off.sample) {
    out.t_qrs_ratio = missing(w.qrs_on.sample ? w.qrs_off.why_missing : w.qrs_on.why_missing);
  } else {
    const double base = value_at(x, *w.qrs_on.sample);
    float lo = value_at(x, *w.qrs_on.sample), hi = lo;
    for (auto i = static_cast<size_t>(std::ceil(*w.qrs_on.sample));
         i < x.size() && static_cast<double>(i) <= *w.qrs_off.sample; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    const double qrs = static_cast<double>(hi - lo);
    if (qrs > 0) out.t_qrs_ratio = measured((value_at(x, *w.t_peak.sample) - base) / qrs);
    else out.t_qrs_ratio = missing("QRS amplitude is zero");
  }
  return out;
}

Morphology analyse_morphology(const LeadMatrix& fecg_uv, double fs_hz, const BeatIndices& beats,
                              const std::vector<bool>& reliable, const std::vector<std::string>& lead_names,
                              const MorphologyParams& params) {
  if (!lead_names.empty() && static_cast<Eigen::Index>(lead_names.size()) != fecg_uv.rows())
    throw Error("analyse_morphology: " + std::to_string(lead_names.size()) + " lead names for " +
                std::to_string(fecg_uv.rows()) + " leads");
  if (!params.enabled) return morphology_not_computed("morphology not requested");
  Morphology m;
  m.average = average_beat(fecg_uv, fs_hz, beats, reliable, params.average);
  Measurement* all[] = {&m.pr_ms, &m.p_ms, &m.qrs_ms, &m.qt_ms, &m.qtc_bazett_ms, &m.qtc_fridericia_ms, &m.t_qrs_ratio};
  auto fail = [&](const std::string& why) {
    m.why_missing = why;
    for (Measurement* x : all) *x = missing(why);
  };
  if (!m.average.why_missing.empty()) {
    fail(m.average.why_missing);
    return m;
  }
  const AverageBeat& avg = m.average;
  m.lead = avg.best_lead;
  m.lead_name = lead_names.empty() ? "lead " + std::to_string(m.lead + 1) : lead_names[static_cast<size_t>(m.lead)];
  m.rr_ms = avg.rr_s * 1000.0;
  const double snr = avg.snr_db[static_cast<size_t>(m.lead)];
  if (!(snr >= params.min_snr_db)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "the averaged beat's SNR (%.1f dB on its best lead) is below %.0f dB: no beat shape above noise",
                  snr, params.min_snr_db);
    fail(buf);
    return m;
  }

  const auto row = avg.beat_uv.row(m.lead);
  const auto noise = avg.noise_uv.row(m.lead);
  const std::span<const float> x(row.data(), static_cast<size_t>(row.size()));
  const std::span<const float> nz(noise.data(), static_cast<size_t>(noise.size()));
  const std::vector<double> r{static_cast<double>(avg.r_index)};
  m.waves = delineate_martinez_2004(x, avg.fs_hz, r, avg.rr_s, params.delineator, nz)[0];
  const BeatIntervals full = beat_intervals(m.waves, x, avg.fs_hz, avg.rr_s);
  m.pr_ms = full.pr_ms;
  m.p_ms = full.p_ms;
  m.qrs_ms = full.qrs_ms;
  m.qt_ms = full.qt_ms;
  m.qtc_bazett_ms = full.qtc_bazett_ms;
  m.qtc_fridericia_ms = full.qtc_fridericia_ms;
  m.t_qrs_ratio = full.t_qrs_ratio;

  // Jackknife over K groups of beats, on the measured lead. The replicate's noise trace is the
  // full one scaled by √(n / (n − n_k)) (fewer beats, more noise).
  const int k_groups = params.jackknife_groups;
  const LeadMatrix& rows = avg.best_lead_beats;
  if (k_groups >= 2 && static_cast<int>(avg.kept.size()) >= 2 * k_groups) {
    std::vector<BeatIntervals> reps;
    for (int g = 0; g < k_groups; ++g) {
      std::vector<int> keep;
      for (size_t k = 0; k < avg.kept.size(); ++k)
        if (static_cast<int>(k) % k_groups != g) keep.push_back(avg.kept[k]);
      const Signal rep = mean_columns(rows, keep);
      const Signal rep_noise =
          noise.transpose() * static_cast<float>(std::sqrt(double(avg.kept.size()) / double(keep.size())));
      const std::span<const float> xr(rep.data(), static_cast<size_t>(rep.size()));
      const std::span<const float> nr(rep_noise.data(), static_cast<size_t>(rep_noise.size()));
      const BeatWaves w = delineate_martinez_2004(xr, avg.fs_hz, r, avg.rr_s, params.delineator, nr)[0];
      reps.push_back(beat_intervals(w, xr, avg.fs_hz, avg.rr_s));
    }
    auto jackknife = [&](Measurement& target, Measurement BeatIntervals::*field) {
      if (!target.value) return;
      std::vector<double> v;
      for (const auto& rep : reps)
        if ((rep.*field).value) v.push_back(*(rep.*field).value);
      if (v.size() < 3) return;
      double mean = 0;
      for (const double e : v) mean += e;
      mean /= static_cast<double>(v.size());
      double ss = 0;
      for (const double e : v) ss += (e - mean) * (e - mean);
      const double k = static_cast<double>(v.size());
      target.sd = std::sqrt((k - 1) / k * ss);
    };
    jackknife(m.pr_ms, &BeatIntervals::pr_ms);
    jackknife(m.p_ms, &BeatIntervals::p_ms);
    jackknife(m.qrs_ms, &BeatIntervals::qrs_ms);
    jackknife(m.qt_ms, &BeatIntervals::qt_ms);
    jackknife(m.qtc_bazett_ms, &BeatIntervals::qtc_bazett_ms);
    jackknife(m.qtc_fridericia_ms, &BeatIntervals::qtc_fridericia_ms);
    jackknife(m.t_qrs_ratio, &BeatIntervals::t_qrs_ratio);
  }

  // The sliding average: the measured lead's aligned beats, one window per sliding_window_s.
  if (params.sliding_window_s > 0 && !avg.beats_used.empty()) {
    const double t_first = static_cast<double>(avg.beats_used.front()) / fs_hz;
    const double t_last = static_cast<double>(avg.beats_used.back()) / fs_hz;
    for (double start = t_first; start <= t_last; start += params.sliding_window_s) {
      const double end = start + params.sliding_window_s;
      std::vector<int> in;
      for (const int b : avg.kept) {
        const double t = static_cast<double>(avg.beats_used[static_cast<size_t>(b)]) / fs_hz;
        if (t >= start && t < end) in.push_back(b);
      }
      MorphologyWindow win;
      win.start_s = start;
      win.end_s = std::min(end, t_last);
      win.n_beats = static_cast<int>(in.size());
      if (win.n_beats < params.average.min_beats) {
        const std::string why = "too few beats in the window (" + std::to_string(win.n_beats) + ")";
        win.qrs_ms = win.qt_ms = win.t_qrs_ratio = missing(why);
        m.sliding.push_back(win);
        continue;
      }
      const Signal wavg = mean_columns(rows, in);
      std::vector<int> even, odd;
      for (size_t i = 0; i < in.size(); ++i) (i % 2 ? odd : even).push_back(in[i]);
      const Signal wnoise = 0.5f * (mean_columns(rows, even) - mean_columns(rows, odd));
      const double p_sig = (wavg.array() - wavg.mean()).square().mean();
      const double p_noise = wnoise.array().square().mean();
      if (p_noise > 0) win.snr_db = 10 * std::log10(p_sig / p_noise);
      if (win.snr_db && *win.snr_db < params.min_snr_db) {
        const std::string why = "the window's average is below " + std::to_string(static_cast<int>(params.min_snr_db)) + " dB SNR";
        win.qrs_ms = win.qt_ms = win.t_qrs_ratio = missing(why);
        m.sliding.push_back(win);
        continue;
      }
      const std::span<const float> xw(wavg.data(), static_cast<size_t>(wavg.size()));
      const std::span<const float> nw(wnoise.data(), static_cast<size_t>(wnoise.size()));
      const BeatWaves w = delineate_martinez_2004(xw, avg.fs_hz, r, avg.rr_s, params.delineator, nw)[0];
      const BeatIntervals iv = beat_intervals(w, xw, avg.fs_hz, avg.rr_s);
      win.qrs_ms = iv.qrs_ms;
      win.qt_ms = iv.qt_ms;
      win.t_qrs_ratio = iv.t_qrs_ratio;
      m.sliding.push_back(win);
    }
  }

  if (params.gestational_weeks) {
    const double ga = *params.gestational_weeks;
    const double f = std::clamp((ga - 20.0) / (38.0 - 20.0), 0.0, 1.0);  // group centres: 20 and 38 weeks
    for (const ChiaRow& c : kChia2005) {
      PublishedComparison pc;
      pc.quantity = c.quantity;
      pc.published_mean_ms = c.mean_18_22_ms + f * (c.mean_37_ms - c.mean_18_22_ms);
      const std::string q = c.quantity;
      const Measurement& v = q == "p_ms" ? m.p_ms : q == "pr_ms" ? m.pr_ms : q == "qrs_ms" ? m.qrs_ms
                             : q == "qt_ms" ? m.qt_ms : m.qtc_bazett_ms;
      if (v.value) pc.difference_ms = *v.value - pc.published_mean_ms;
      pc.why_no_range = "Chia et al. 2005 report group means only (no sd or centiles): no published range to flag against";
      m.published.push_back(pc);
    }
  }
  return m;
}

}  // namespace fecg
