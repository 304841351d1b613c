// Evaluation (not a test): do FHNet's lead contributions follow each lead's fetal SNR?
//
//   build/native/eval_lead_contributions --model DIR [--per-band N] [--seconds S] [--nstdb DIR]
//       [--leads K] [--json FILE]
//
// On the fixed simulated test set of eval_synthetic (seeds 900000 + 100·band + k, SNRmn bands 0,
// 3, 6, 9, 12 dB, SNRfm ~ N(-9, 2) dB), with K leads (default 4, as the paper's abdominal set):
// every lead's fetal SNR is known, 10·log10(var(fetal) / var(mixture − fetal)) through the
// pipeline's band-pass, and the pipeline's explain stage gives each lead's share of the graph
// attention (the contribution the page plots) and, by occlusion, of the outputs (`--explain`).
// Per recording: Spearman's ρ between the K shares and the K SNRs (ties get mid-ranks). Printed:
// per band and over all recordings, the spread of the leads' fetal SNRs, the mean and median ρ and the share of recordings with
// ρ > 0, for both kinds of contribution. Target (issue 12): ρ ≥ 0.7.
#include "eval_common.h"

#include "core/error.h"
#include "core/json.h"
#include "core/median.h"
#include "dsp/filter.h"
#include "io/nstdb.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

namespace {

// Ranks with ties sharing their mean rank (1-based).
std::vector<double> mid_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * static_cast<double>(i + j) + 1.0;
    i = j + 1;
  }
  return rank;
}

// Spearman's ρ: Pearson's r of the mid-ranks. NaN when either side is constant.
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = mid_ranks(a), rb = mid_ranks(b);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

struct Summary {
  std::vector<double> rho_attention, rho_occlusion;        // against the fetal SNR
  std::vector<double> rho_attention_fn, rho_occlusion_fn;  // against the fetal-to-noise ratio
  std::vector<double> snr_spread_db;  // per recording: best lead's fetal SNR − worst lead's
};

double mean_of(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / n : std::nan("");
}

// The core's median (even count: mean of the middle two) of the finite values; NaN when none is.
double median_finite(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  return v.empty() ? std::nan("") : fecg::median_in_place(v);
}

double share_positive(const std::vector<double>& v) {
  int pos = 0, n = 0;
  for (double x : v)
    if (std::isfinite(x)) pos += x > 0, ++n;
  return n ? static_cast<double>(pos) / n : std::nan("");
}

}  // namespace

int main(int argc, char** argv) {
  int per_band = 4, n_leads = 4;
  double seconds = 60;
  std::string nstdb_dir, model_dir, json_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "-h" || a == "--help") {
        std::printf("usage: eval_lead_contributions --model DIR [--per-band N] [--seconds S] [--nstdb DIR] "
                    "[--leads K] [--json FILE]\n");
        return 0;
      }
      if (i + 1 >= argc) throw fecg::Error(a + ": unknown option or missing value");
      if (a == "--per-band") per_band = std::max(1, std::atoi(argv[++i]));
      else if (a == "--seconds") seconds = std::atof(argv[++i]);
      else if (a == "--nstdb") nstdb_dir = argv[++i];
      else if (a == "--model") model_dir = argv[++i];
      else if (a == "--leads") n_leads = std::atoi(argv[++i]);
      else if (a == "--json") json_path = argv[++i];
      else throw fecg::Error("unknown option " + a);
    }
    if (model_dir.empty()) throw fecg::Error("--model DIR is required (the FHNet files, e.g. models)");
    if (n_leads < 2 || n_leads > 8) throw fecg::Error("--leads must be 2..8 (a rank needs two leads)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_lead_contributions: %s\n", e.what());
    return 2;
  }
  const std::vector<double> bands_db = {0, 3, 6, 9, 12};
  try {
    const fecg::NoiseBank noise = nstdb_dir.empty() ? fecg::NoiseBank{} : fecg::load_nstdb(nstdb_dir);
    auto model = std::make_shared<fecg::FhnetModel>(fecg::load_fhnet_model_dir(model_dir));
    std::printf("eval_lead_contributions: %d recordings per SNRmn band, %.0f s, %d leads, noise: %s, model %s\n\n",
                per_band, seconds, n_leads, nstdb_dir.empty() ? "statistical model" : "MIT-BIH NSTDB",
                model_dir.c_str());
    std::printf("| SNRmn dB | n | lead SNR spread dB | attention ρ mean | median | ρ > 0 | occlusion ρ mean | median | "
                "ρ > 0 | fetal-to-noise: attention ρ mean | occlusion ρ mean |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    fecg::JsonWriter json;
    json.begin_object().key("set").value("synthetic").key("leads").value(n_leads).key("rows").begin_array();
    Summary all;
    auto row = [&](const std::string& band, const Summary& s) {
      std::printf("| %s | %zu | %.1f | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3f | %.3f |\n", band.c_str(),
                  s.rho_attention.size(), mean_of(s.snr_spread_db), mean_of(s.rho_attention), median_finite(s.rho_attention), share_positive(s.rho_attention),
                  mean_of(s.rho_occlusion), median_finite(s.rho_occlusion), share_positive(s.rho_occlusion),
                  mean_of(s.rho_attention_fn), mean_of(s.rho_occlusion_fn));
      json.begin_object().key("band").value(band).key("n").value(static_cast<int>(s.rho_attention.size()))
          .key("attention_rho_mean").value(mean_of(s.rho_attention))
          .key("attention_rho_median").value(median_finite(s.rho_attention))
          .key("occlusion_rho_mean").value(mean_of(s.rho_occlusion))
          .key("occlusion_rho_median").value(median_finite(s.rho_occlusion)).end_object();
      std::fflush(stdout);
    };
    for (size_t b = 0; b < bands_db.size(); ++b) {
      Summary band;
      for (int k = 0; k < per_band; ++k) {
        fecg::SynthParams p;
        p.duration_s = seconds;
        p.seed = 900000 + 100 * b + static_cast<unsigned>(k);
        p.snr_mn_db = bands_db[b];
        p.n_leads = n_leads;
        const fecg::SynthRecording sim = fecg::simulate(p, noise);
        const double fs = sim.mixture.fs_hz;

        fecg::PipelineParams params;
        params.method = fecg::Method::fhnet;
        params.fhnet_model = model;
        params.candidate_pool = false;  // the contributions are the network's; the pool does not change them
        params.explain.lead_occlusion = true;
        const fecg::PipelineResult out = fecg::run_pipeline(sim.mixture, fecg::guess_lead_roles(sim.mixture), params);
        const fecg::Explanation& e = out.explanation;
        if (e.lead_attention.rows() == 0 || e.lead_attention.cols() != n_leads)
          throw fecg::Error("the model gave no lead attention for seed " + std::to_string(p.seed));

        // Fetal SNR per lead, through the pipeline's band-pass (the network sees that band).
        const fecg::PipelineParams defaults;
        const auto sos = fecg::butterworth_bandpass(4, defaults.highpass_hz, defaults.lowpass_hz, fs);
        fecg::LeadMatrix fetal = sim.fetal_uv;
        fecg::LeadMatrix rest = sim.maternal_uv + sim.noise_uv;
        fecg::LeadMatrix noise_only = sim.noise_uv;
        fecg::sosfiltfilt_rows(sos, fetal);
        fecg::sosfiltfilt_rows(sos, rest);
        fecg::sosfiltfilt_rows(sos, noise_only);
        std::vector<double> snr_db(n_leads), fn_db(n_leads), attention(n_leads), occlusion(n_leads);
        auto variance = [](const auto& row) { return (row.array() - row.mean()).square().mean(); };
        for (int l = 0; l < n_leads; ++l) {
          const double vf = variance(fetal.row(l));
          snr_db[l] = 10 * std::log10(vf / variance(rest.row(l)));
          fn_db[l] = 10 * std::log10(vf / variance(noise_only.row(l)));
          attention[l] = e.lead_attention.col(l).mean();
          occlusion[l] = e.lead_occlusion.rows() ? e.lead_occlusion.col(l).mean() : std::nan("");
        }
        band.rho_attention.push_back(spearman(attention, snr_db));
        band.rho_occlusion.push_back(spearman(occlusion, snr_db));
        band.rho_attention_fn.push_back(spearman(attention, fn_db));
        band.rho_occlusion_fn.push_back(spearman(occlusion, fn_db));
        band.snr_spread_db.push_back(*std::max_element(snr_db.begin(), snr_db.end()) -
                                     *std::min_element(snr_db.begin(), snr_db.end()));
      }
      char name[16];
      std::snprintf(name, sizeof name, "%.0f", bands_db[b]);
      row(name, band);
      all.rho_attention.insert(all.rho_attention.end(), band.rho_attention.begin(), band.rho_attention.end());
      all.rho_occlusion.insert(all.rho_occlusion.end(), band.rho_occlusion.begin(), band.rho_occlusion.end());
      all.rho_attention_fn.insert(all.rho_attention_fn.end(), band.rho_attention_fn.begin(), band.rho_attention_fn.end());
      all.rho_occlusion_fn.insert(all.rho_occlusion_fn.end(), band.rho_occlusion_fn.begin(), band.rho_occlusion_fn.end());
      all.snr_spread_db.insert(all.snr_spread_db.end(), band.snr_spread_db.begin(), band.snr_spread_db.end());
    }
    row("all", all);
    json.end_array().end_object();
    fecg::eval::write_json_file(json_path, json.str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_lead_contributions: %s\n", e.what());
    return 1;
  }
  return 0;
}
