// `fecg delineate`: the wave delineator (morph/delineate.h, Martínez et al. 2004) on every beat of
// a recording, so that anyone can validate it on an annotated database (QT Database .q1c,
// ADFECGDB's scalp lead). Reads, calls the core (morph/record_waves.h), writes one CSV.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/recording.h"
#include "core/types.h"
#include "detect/qrs.h"
#include "dsp/resample.h"
#include "io/record.h"
#include "io/wfdb_annotations.h"
#include "morph/delineate.h"
#include "morph/morphology.h"
#include "morph/record_waves.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr const char* kDelineateUsage = R"(usage: fecg delineate <record> --out DIR [options]

Delineates every beat with the wavelet delineator of Martínez et al. 2004 (IEEE TBME 51(4):570),
scaled to the heart rate (adult and fetal ECG alike), all the chosen leads joined by the
multilead rule, and writes:
  DIR/<name>_waves.csv   beat_sample,p_on,p_peak,p_off,qrs_on,qrs_off,t_peak,t_off
                         sample indices at the record's rate, one row per beat, empty where the
                         signal does not support a mark (no wave above noise, no clear end)
It prints how many of the beats got each mark.

options:
  --out DIR       output directory (created if missing)
  --beats ANN     R peaks from a WFDB annotation file (.qrs, .atr, .fqrs, .q1c: its beat labels);
                  default: detected (Pan-Tompkins, adult and fetal rates up to 240 bpm)
  --leads LIST    leads to use: names or 1-based indices, comma-separated (default: all leads)
  --fs HZ         sampling rate of a CSV file without a time column
  --units UNIT    units of a CSV file's values: uV (default), mV or V
)";

std::string cell(const fecg::WaveMark& m) {
  return m.sample ? std::to_string(static_cast<long long>(std::llround(*m.sample))) : std::string();
}

}  // namespace

int cmd_delineate(int argc, char** argv) {
  using fecg::cli::Args;
  if (fecg::cli::wants_help(argc, argv, 2)) {
    std::fputs(kDelineateUsage, stdout);
    return 0;
  }
  const Args args = fecg::cli::parse_args(argc, argv, 2, {"out", "beats", "leads", "fs", "units"}, {}, "delineate");
  if (args.positional.size() != 1) throw fecg::Error("delineate: expected one record (see fecg delineate --help)");
  const auto out_dir = args.get("out");
  if (!out_dir) throw fecg::Error("delineate: --out DIR is required");
  const std::string path = args.positional[0];

  fecg::ReadOptions options;
  options.csv.fs_hz = args.optional_number("fs");
  if (auto units = args.get("units")) {
    if (!fecg::microvolts_per_unit(*units)) throw fecg::Error("--units: expected uV, mV or V, got '" + *units + "'");
    options.csv.units = *units;
  }
  fecg::Recording rec = fecg::read_record(path, options);
  fecg::fill_missing_samples(rec);
  fecg::validate_recording(rec);

  std::vector<int> rows;
  if (auto leads = args.get("leads")) {
    rows = fecg::select_lead_roles(rec, *leads, "none").abdominal;
  } else {
    for (int l = 0; l < rec.n_leads(); ++l) rows.push_back(l);
  }

  fecg::BeatIndices beats;
  std::string beat_source;
  if (auto ann = args.get("beats")) {
    const fecg::WfdbAnnotations a = fecg::read_wfdb_annotations(*ann);
    const double ann_fs = a.time_resolution_hz > 0 ? a.time_resolution_hz : rec.fs_hz;
    beats = fecg::rescale_indices(fecg::beat_samples(a.annotations), ann_fs, rec.fs_hz);
    const auto n = rec.n_samples();
    const size_t before = beats.size();
    beats.erase(std::remove_if(beats.begin(), beats.end(), [n](std::int64_t b) { return b < 0 || b >= n; }),
                beats.end());
    if (beats.empty())
      throw fecg::Error("delineate: --beats " + *ann + " holds no beat within the recording (" +
                        std::to_string(before) + " beats in the file, recording " + std::to_string(rec.duration_s()) + " s)");
    beat_source = *ann;
  } else {
    fecg::LeadMatrix chosen(static_cast<Eigen::Index>(rows.size()), rec.n_samples());
    for (size_t k = 0; k < rows.size(); ++k) chosen.row(static_cast<Eigen::Index>(k)) = rec.samples_uv.row(rows[k]);
    fecg::MaternalQrsParams qrs;  // Pan-Tompkins 1985 band; refractory 250 ms allows up to 240 bpm
    beats = fecg::detect_maternal_qrs(chosen, rec.fs_hz, qrs);
    if (beats.empty()) throw fecg::Error("delineate: no beats detected in " + path + " (give --beats ANN)");
    beat_source = "detected";
  }

  const fecg::RecordWaves waves = fecg::delineate_record(rec, rows, beats);
  // R peaks 0.2–3 s apart (20–300 bpm) cover adult and fetal hearts; a median outside is not a
  // beat annotation of this record (another file's, or not an annotation file at all).
  if (waves.beats.size() >= 2 && (waves.rr_s < 0.2 || waves.rr_s > 3.0))
    throw fecg::Error("delineate: the beats of " + beat_source + " are a median " +
                      std::to_string(static_cast<int>(std::lround(waves.rr_s * 1000))) +
                      " ms apart, outside 200..3000 ms (20..300 bpm): not R peaks of this record?");

  fs::create_directories(*out_dir);
  const std::string name = fecg::cli::record_name(path);
  const fs::path csv = fs::path(*out_dir) / (name + "_waves.csv");
  std::ofstream file(csv, std::ios::binary);
  if (!file) throw fecg::Error("delineate: cannot open " + csv.string() + " for writing");
  file << "beat_sample,p_on,p_peak,p_off,qrs_on,qrs_off,t_peak,t_off\n";
  int counts[7] = {};
  for (const auto& b : waves.beats) {
    const fecg::WaveMark* marks[7] = {&b.p_on, &b.p_peak, &b.p_off, &b.qrs_on, &b.qrs_off, &b.t_peak, &b.t_off};
    file << static_cast<long long>(std::llround(b.r_given));
    for (int k = 0; k < 7; ++k) {
      file << ',' << cell(*marks[k]);
      counts[k] += marks[k]->sample.has_value();
    }
    file << '\n';
  }
  file.close();
  if (!file) throw fecg::Error("delineate: cannot write " + csv.string());
  const char* names[7] = {"P on", "P peak", "P end", "QRS on", "QRS end", "T peak", "T end"};
  std::printf("%s: %zu beats (%s), %zu leads, median RR %.0f ms -> %s\n", name.c_str(), waves.beats.size(),
              beat_source.c_str(), rows.size(), waves.rr_s * 1000, csv.string().c_str());
  for (int k = 0; k < 7; ++k)
    std::printf("  %-8s %5.1f %%\n", names[k],
                waves.beats.empty() ? 0.0 : 100.0 * counts[k] / static_cast<double>(waves.beats.size()));
  return 0;
}

// --gestational-weeks W of `fecg extract`: 10..45 weeks (outside that, no fetal ECG to compare).
std::optional<double> gestational_weeks(const fecg::cli::Args& args) {
  const auto w = args.optional_number("gestational-weeks");
  if (w && (*w < 10 || *w > 45))
    throw fecg::Error("--gestational-weeks: expected 10..45 weeks, got " + *args.get("gestational-weeks"));
  return w;
}

// The morphology lines of `fecg extract`'s summary.
void print_morphology(const fecg::Morphology& m) {
  if (!m.why_missing.empty()) {
    std::printf("  morphology not measured: %s\n", m.why_missing.c_str());
    return;
  }
  std::printf("  morphology averaged beat of %d beats on %s, SNR %.1f dB\n", m.average.n_beats, m.lead_name.c_str(),
              m.average.snr_db[static_cast<size_t>(m.lead)]);
  const std::pair<const char*, const fecg::Measurement*> q[] = {
      {"PR", &m.pr_ms}, {"P", &m.p_ms}, {"QRS", &m.qrs_ms}, {"QT", &m.qt_ms}, {"QTc Bazett", &m.qtc_bazett_ms},
      {"QTc Fridericia", &m.qtc_fridericia_ms}};
  for (const auto& [name, v] : q) {
    if (!v->value) std::printf("    %-15s —  (%s)\n", name, v->why_missing.c_str());
    else if (v->sd) std::printf("    %-15s %.0f ± %.0f ms\n", name, *v->value, *v->sd);
    else std::printf("    %-15s %.0f ms\n", name, *v->value);
  }
  if (!m.t_qrs_ratio.value) std::printf("    %-15s —  (%s)\n", "T/QRS", m.t_qrs_ratio.why_missing.c_str());
  else std::printf("    %-15s %.2f ± %.2f\n", "T/QRS", *m.t_qrs_ratio.value, m.t_qrs_ratio.sd.value_or(NAN));
}
