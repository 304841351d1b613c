// fecg info: what a recording holds.
#include "cli/commands.h"
#include "cli/args.h"
#include "core/error.h"
#include "core/json.h"
#include "core/recording.h"
#include "io/record.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

using namespace fecg::cli;  // Args, parse_args, wants_help (args.h) and the commands' shared helpers

namespace {

constexpr const char* kInfoUsage = R"(usage: fecg info <record> [options]

Prints leads (name, unit, amplitude range), sampling rate, duration, start time, the guessed
roles of the leads (abdominal input, fetal reference) and the annotations found in the file.

options:
  --fs HZ        sampling rate of a CSV file without a time column
  --units UNIT   units of a CSV file's values: uV (default), mV or V
  --json         print one JSON object instead of text
)";

}  // namespace

int cmd_info(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) {
    std::fputs(kInfoUsage, stdout);
    return 0;
  }
  const Args args = parse_args(argc, argv, 2, {"fs", "units"}, {"json"}, "info");
  if (args.positional.size() != 1) throw fecg::Error("info: expected one record (see fecg info --help)");
  const std::string path = args.positional[0];
  const fecg::Recording rec = fecg::read_record(path, read_options(args));
  fecg::LeadRoles roles;
  std::string roles_error;
  try {
    roles = fecg::guess_lead_roles(rec);
  } catch (const fecg::Error& e) {
    roles_error = e.what();
  }

  if (args.has("json")) {
    fecg::JsonWriter json;
    json.begin_object().key("record").value(record_name(path)).key("fs_hz").value(rec.fs_hz)
        .key("n_samples").value(static_cast<std::int64_t>(rec.n_samples()))
        .key("duration_s").value(rec.duration_s());
    if (rec.start_time) json.key("start_time").value(*rec.start_time);
    else json.key("start_time").null();
    json.key("leads").begin_array();
    for (int i = 0; i < rec.n_leads(); ++i) {
      const auto row = rec.samples_uv.row(i);
      json.begin_object().key("name").value(rec.lead_names[static_cast<size_t>(i)])
          .key("unit").value(rec.units[static_cast<size_t>(i)])
          .key("min_uv").value(static_cast<double>(row.minCoeff()))
          .key("max_uv").value(static_cast<double>(row.maxCoeff()))
          .key("role").value(i == roles.reference ? "reference"
                             : std::count(roles.abdominal.begin(), roles.abdominal.end(), i) ? "abdominal" : "unused")
          .end_object();
    }
    json.end_array().key("n_annotations").value(static_cast<std::int64_t>(rec.annotations.size())).end_object();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }

  std::printf("record      %s (%s)\n", record_name(path).c_str(), path.c_str());
  std::printf("rate        %g Hz\n", rec.fs_hz);
  std::printf("duration    %.3f s (%lld samples)\n", rec.duration_s(), static_cast<long long>(rec.n_samples()));
  std::printf("start       %s\n", rec.start_time ? rec.start_time->c_str() : "unknown");
  std::printf("leads       %d\n", rec.n_leads());
  for (int i = 0; i < rec.n_leads(); ++i) {
    const auto row = rec.samples_uv.row(i);
    const double mean = row.mean();
    const double rms = std::sqrt((row.array() - static_cast<float>(mean)).square().mean());
    const char* role = i == roles.reference ? "fetal reference"
                       : std::count(roles.abdominal.begin(), roles.abdominal.end(), i) ? "abdominal" : "unused";
    std::printf("  %2d  %-16s unit %-4s  range %10.1f .. %10.1f uV  rms %8.1f uV  %s\n", i + 1,
                rec.lead_names[static_cast<size_t>(i)].c_str(), rec.units[static_cast<size_t>(i)].c_str(),
                static_cast<double>(row.minCoeff()), static_cast<double>(row.maxCoeff()), rms, role);
  }
  if (!roles_error.empty()) std::printf("roles       %s\n", roles_error.c_str());
  std::printf("annotations %zu\n", rec.annotations.size());
  std::map<std::string, int> counts;
  for (const auto& a : rec.annotations) ++counts[a.label.size() > 24 ? a.label.substr(0, 24) + "…" : a.label];
  int shown = 0;
  for (const auto& [label, count] : counts) {
    if (++shown > 10) {
      std::printf("  … %zu more labels\n", counts.size() - 10);
      break;
    }
    std::printf("  %6d × \"%s\"\n", count, label.c_str());
  }
  return 0;
}
