// Morphology of the extracted fetal ECG against a reference, each figure with its command
// (docs/MORPHOLOGY.md):
//   adfecgdb  intervals of the averaged beat of the extracted abdominal fECG (pipeline, TS-ICA)
//             against those of the fetal scalp lead Direct_1, both averaged over the same reference
//             beats (rNN.edf.qrs) and delineated by the same code; also the pipeline's own
//             morphology (its beats, its reliable windows).
//   sim       intervals of the extracted fECG (pipeline's own morphology) against those of the
//             simulator's clean fetal component (filtered like the mixture), over SNRfm.
//
//   build/native/eval_morph adfecgdb [--data ../shared/data/adfecgdb] [--records r01,r08]
//   build/native/eval_morph sim [--seeds 3] [--seconds 120]
#include "core/error.h"
#include "io/record.h"
#include "io/wfdb.h"
#include "morph/morphology.h"
#include "pipeline/pipeline.h"
#include "synth/simulator.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

std::string fmt(const fecg::Measurement& m, const char* f = "%6.1f") {
  if (!m.value) return "     —";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, *m.value);
  return buf;
}
std::string diff(const fecg::Measurement& a, const fecg::Measurement& b) {
  if (!a.value || !b.value) return "     —";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+6.1f", *a.value - *b.value);
  return buf;
}

// The reference lead filtered like the pipeline's input (preprocess_leads), back at the input rate.
fecg::LeadMatrix filtered_like_pipeline(const fecg::LeadMatrix& x, double fs, const fecg::PipelineParams& params,
                                        double powerline_hz) {
  return fecg::preprocess_leads_with_notch(x, fs, params, powerline_hz);
}

fecg::BeatIndices at_rate(const fecg::BeatIndices& b, double from, double to) {
  fecg::BeatIndices out;
  for (const auto s : b) out.push_back(static_cast<std::int64_t>(std::llround(static_cast<double>(s) * to / from)));
  return out;
}

void row(const char* label, const fecg::Morphology& m) {
  std::printf("  %-22s beats %4d  SNR %5.1f dB  QRS %s  QT %s  PR %s  T/QRS %s%s%s\n", label, m.average.n_beats,
              m.lead >= 0 ? m.average.snr_db[static_cast<size_t>(m.lead)] : NAN, fmt(m.qrs_ms).c_str(),
              fmt(m.qt_ms).c_str(), fmt(m.pr_ms).c_str(), fmt(m.t_qrs_ratio, "%6.2f").c_str(),
              m.why_missing.empty() ? "" : "  — ", m.why_missing.c_str());
  if (m.why_missing.empty() && !m.qt_ms.value) std::printf("  %-22s QT: %s\n", "", m.qt_ms.why_missing.c_str());
}

int adfecgdb(const std::string& dir, std::vector<std::string> records) {
  if (records.empty()) records = {"r01", "r04", "r07", "r08", "r10"};
  std::printf("ADFECGDB: averaged beats over the reference beats, extracted (TS-ICA) vs scalp Direct_1\n");
  for (const auto& name : records) {
    const std::string edf = dir + "/" + name + ".edf";
    if (!std::filesystem::exists(edf)) {
      std::printf("%s: absent (%s)\n", name.c_str(), edf.c_str());
      continue;
    }
    const fecg::Recording rec = fecg::read_record(edf);
    const fecg::LeadRoles roles = fecg::guess_lead_roles(rec);
    fecg::PipelineParams params;
    const fecg::PipelineResult result = fecg::run_pipeline(rec, roles, params);
    const auto ann = fecg::read_wfdb_annotations(edf + ".qrs");
    const double ann_fs = ann.time_resolution_hz > 0 ? ann.time_resolution_hz : rec.fs_hz;
    fecg::BeatIndices ref = at_rate(fecg::beat_samples(ann.annotations), ann_fs, rec.fs_hz);
    const fecg::LeadMatrix scalp = filtered_like_pipeline(rec.samples_uv.row(roles.reference), rec.fs_hz, params,
                                                          result.powerline_hz);
    const fecg::BeatIndices ref_a = at_rate(ref, rec.fs_hz, params.analysis_fs_hz);
    const fecg::Morphology m_scalp = fecg::analyse_morphology(scalp, params.analysis_fs_hz, ref_a, {}, {"Direct_1"});
    const fecg::Morphology m_abd = fecg::analyse_morphology(result.fecg_uv, rec.fs_hz, ref, {}, result.lead_names);
    std::printf("%s (%zu reference beats)\n", name.c_str(), ref.size());
    row("scalp Direct_1", m_scalp);
    row("abdominal, same beats", m_abd);
    row("abdominal, pipeline", result.morphology);
    std::printf("  difference (abdominal same beats − scalp): QRS %s ms  QT %s ms  PR %s ms\n",
                diff(m_abd.qrs_ms, m_scalp.qrs_ms).c_str(), diff(m_abd.qt_ms, m_scalp.qt_ms).c_str(),
                diff(m_abd.pr_ms, m_scalp.pr_ms).c_str());
    std::printf("  difference (pipeline − scalp):             QRS %s ms  QT %s ms  PR %s ms   (stage %.1f ms)\n",
                diff(result.morphology.qrs_ms, m_scalp.qrs_ms).c_str(), diff(result.morphology.qt_ms, m_scalp.qt_ms).c_str(),
                diff(result.morphology.pr_ms, m_scalp.pr_ms).c_str(), result.morphology.compute_ms);
  }
  return 0;
}

int sim(int seeds, double seconds) {
  std::printf("Simulation (%d seeds × %.0f s, 4 leads, 1 kHz, SNRmn 6 dB): pipeline (TS-ICA) morphology − that of the clean fetal component\n",
              seeds, seconds);
  std::printf("%8s %6s %22s %22s %22s\n", "SNRfm", "seed", "QRS ms (ext / true)", "QT ms (ext / true)", "PR ms (ext / true)");
  for (const double snr_fm : {-15.0, -12.0, -9.0, -6.0, -3.0}) {
    std::vector<double> e_qrs, e_qt, e_pr;
    int n_measured = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
      fecg::SynthParams sp;
      sp.duration_s = seconds;
      sp.seed = static_cast<std::uint64_t>(seed);
      sp.snr_fm_db = snr_fm;
      sp.snr_mn_db = 6.0;
      const fecg::SynthRecording s = fecg::simulate(sp);
      fecg::PipelineParams params;
      const fecg::PipelineResult result = fecg::run_pipeline(s.mixture, fecg::guess_lead_roles(s.mixture), params);
      const fecg::LeadMatrix clean = filtered_like_pipeline(s.fetal_uv, s.mixture.fs_hz, params, result.powerline_hz);
      const fecg::Morphology truth = fecg::analyse_morphology(
          clean, params.analysis_fs_hz, at_rate(s.fetal_peaks, s.mixture.fs_hz, params.analysis_fs_hz), {}, {});
      const fecg::Morphology& m = result.morphology;
      auto pair = [](const fecg::Measurement& a, const fecg::Measurement& b) {
        return fmt(a) + " / " + fmt(b);
      };
      std::printf("%8.0f %6d %22s %22s %22s  %s\n", snr_fm, seed, pair(m.qrs_ms, truth.qrs_ms).c_str(),
                  pair(m.qt_ms, truth.qt_ms).c_str(), pair(m.pr_ms, truth.pr_ms).c_str(), m.why_missing.c_str());
      n_measured += m.why_missing.empty();
      if (m.qrs_ms.value && truth.qrs_ms.value) e_qrs.push_back(std::abs(*m.qrs_ms.value - *truth.qrs_ms.value));
      if (m.qt_ms.value && truth.qt_ms.value) e_qt.push_back(std::abs(*m.qt_ms.value - *truth.qt_ms.value));
      if (m.pr_ms.value && truth.pr_ms.value) e_pr.push_back(std::abs(*m.pr_ms.value - *truth.pr_ms.value));
    }
    auto mean = [](const std::vector<double>& v) {
      double t = 0;
      for (const double x : v) t += x;
      return v.empty() ? NAN : t / static_cast<double>(v.size());
    };
    std::printf("%8.0f %6s  mean |error|: QRS %.1f ms (%zu), QT %.1f ms (%zu), PR %.1f ms (%zu); averaged beat measured in %d of %d\n",
                snr_fm, "all", mean(e_qrs), e_qrs.size(), mean(e_qt), e_qt.size(), mean(e_pr), e_pr.size(), n_measured, seeds);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: eval_morph adfecgdb [--data DIR] [--records r01,r08] | sim [--seeds N] [--seconds S]\n");
      return 2;
    }
    const std::string what = argv[1];
    std::string dir = "../shared/data/adfecgdb";
    std::vector<std::string> records;
    int seeds = 3;
    double seconds = 120;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string a = argv[i], v = argv[i + 1];
      if (a == "--data") dir = v;
      else if (a == "--records") {
        for (size_t p = 0; p != std::string::npos;) {
          const size_t q = v.find(',', p);
          records.push_back(v.substr(p, q == std::string::npos ? q : q - p));
          p = q == std::string::npos ? q : q + 1;
        }
      } else if (a == "--seeds") seeds = std::stoi(v);
      else if (a == "--seconds") seconds = std::stod(v);
      else throw fecg::Error("eval_morph: unknown option " + a);
    }
    if (what == "adfecgdb") return adfecgdb(dir, records);
    if (what == "sim") return sim(seeds, seconds);
    throw fecg::Error("eval_morph: expected adfecgdb or sim, got " + what);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_morph: %s\n", e.what());
    return 1;
  }
}
