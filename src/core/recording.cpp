#include "core/recording.h"

#include "core/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace fecg {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool is_reference_name(const std::string& name) {
  const std::string n = lower(name);
  return n.rfind("direct", 0) == 0 || n.find("scalp") != std::string::npos ||
         n.rfind("fetal", 0) == 0 || n.rfind("fecg", 0) == 0;
}

// A lead token is a name (exact, then case-insensitive) or a 1-based index.
int resolve_lead(const Recording& recording, const std::string& token) {
  const std::string t = trim(token);
  for (int i = 0; i < recording.n_leads(); ++i)
    if (recording.lead_names[static_cast<size_t>(i)] == t) return i;
  for (int i = 0; i < recording.n_leads(); ++i)
    if (lower(recording.lead_names[static_cast<size_t>(i)]) == lower(t)) return i;
  if (!t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); })) {
    const long index = std::strtol(t.c_str(), nullptr, 10);
    if (index >= 1 && index <= recording.n_leads()) return static_cast<int>(index - 1);
  }
  std::ostringstream names;
  for (int i = 0; i < recording.n_leads(); ++i)
    names << (i ? ", " : "") << recording.lead_names[static_cast<size_t>(i)];
  throw Error("leads: no lead '" + t + "' (leads are: " + names.str() + "; or give 1-based indices)");
}

}  // namespace

LeadRoles guess_lead_roles(const Recording& recording) {
  LeadRoles roles;
  for (int i = 0; i < recording.n_leads(); ++i) {
    if (roles.reference < 0 && is_reference_name(recording.lead_names[static_cast<size_t>(i)]))
      roles.reference = i;
    else
      roles.abdominal.push_back(i);
  }
  if (roles.abdominal.empty())
    throw Error("leads: no abdominal lead (the only lead looks like a fetal reference: '" +
                recording.lead_names.front() + "'); choose leads explicitly");
  return roles;
}

LeadRoles select_lead_roles(const Recording& recording, const std::string& abdominal,
                            const std::string& reference) {
  LeadRoles roles = guess_lead_roles(recording);
  const std::string ref = lower(trim(reference));
  if (ref == "none") {
    roles.reference = -1;
  } else if (!ref.empty()) {
    roles.reference = resolve_lead(recording, reference);
  }
  if (!trim(abdominal).empty()) {
    roles.abdominal.clear();
    std::stringstream list(abdominal);
    for (std::string token; std::getline(list, token, ',');) {
      const int row = resolve_lead(recording, token);
      if (std::find(roles.abdominal.begin(), roles.abdominal.end(), row) != roles.abdominal.end())
        throw Error("leads: lead '" + trim(token) + "' chosen twice");
      roles.abdominal.push_back(row);
    }
  } else if (roles.reference >= 0) {
    roles.abdominal.erase(std::remove(roles.abdominal.begin(), roles.abdominal.end(), roles.reference),
                          roles.abdominal.end());
  }
  if (roles.abdominal.empty()) throw Error("leads: no abdominal lead selected");
  if (std::find(roles.abdominal.begin(), roles.abdominal.end(), roles.reference) != roles.abdominal.end())
    throw Error("leads: the reference lead cannot also be an abdominal lead");
  return roles;
}

Recording subset_leads(const Recording& recording, const std::vector<int>& rows) {
  Recording out;
  out.fs_hz = recording.fs_hz;
  out.start_time = recording.start_time;
  out.annotations = recording.annotations;
  out.samples_uv.resize(static_cast<Eigen::Index>(rows.size()), recording.n_samples());
  for (size_t k = 0; k < rows.size(); ++k) {
    const int r = rows[k];
    if (r < 0 || r >= recording.n_leads())
      throw Error("subset_leads: lead index " + std::to_string(r) + " out of range [0, " +
                  std::to_string(recording.n_leads()) + ")");
    out.samples_uv.row(static_cast<Eigen::Index>(k)) = recording.samples_uv.row(r);
    out.lead_names.push_back(recording.lead_names[static_cast<size_t>(r)]);
    out.units.push_back(r < static_cast<int>(recording.units.size()) ? recording.units[static_cast<size_t>(r)] : "uV");
  }
  return out;
}

void validate_recording(const Recording& recording) {
  if (!(recording.fs_hz > 0) || !std::isfinite(recording.fs_hz))
    throw Error("recording: sampling rate must be a positive number, got " + std::to_string(recording.fs_hz));
  if (recording.n_leads() == 0) throw Error("recording: no leads");
  if (recording.n_samples() == 0) throw Error("recording: no samples");
  if (static_cast<int>(recording.lead_names.size()) != recording.n_leads())
    throw Error("recording: " + std::to_string(recording.lead_names.size()) + " lead names for " +
                std::to_string(recording.n_leads()) + " leads");
  for (int i = 0; i < recording.n_leads(); ++i) {
    const auto row = recording.samples_uv.row(i);
    Eigen::Index bad = 0, first = -1;
    for (Eigen::Index j = 0; j < row.size(); ++j) {
      if (!std::isfinite(row[j])) {
        if (first < 0) first = j;
        ++bad;
      }
    }
    if (bad > 0)
      throw Error("recording: lead '" + recording.lead_names[static_cast<size_t>(i)] + "' has " +
                  std::to_string(bad) + " non-finite samples (first at sample " + std::to_string(first) + ")");
  }
}

std::int64_t fill_missing_samples(Recording& recording) {
  std::int64_t filled = 0;
  const Eigen::Index n = recording.samples_uv.cols();
  for (Eigen::Index i = 0; i < recording.samples_uv.rows(); ++i) {
    auto row = recording.samples_uv.row(i);
    Eigen::Index previous = -1;  // last finite sample before the current gap
    for (Eigen::Index j = 0; j <= n; ++j) {
      if (j < n && std::isnan(row[j])) continue;
      const Eigen::Index gap_start = previous + 1;
      if (j > gap_start) {  // samples gap_start..j-1 are NaN
        if (previous < 0 && j == n) {
          const std::string name = static_cast<size_t>(i) < recording.lead_names.size()
                                       ? recording.lead_names[static_cast<size_t>(i)]
                                       : std::to_string(i + 1);
          throw Error("fill_missing_samples: lead '" + name + "' has no finite sample");
        }
        for (Eigen::Index k = gap_start; k < j; ++k) {
          if (previous < 0) row[k] = row[j];
          else if (j == n) row[k] = row[previous];
          else
            row[k] = row[previous] + (row[j] - row[previous]) * static_cast<float>(k - previous) /
                                         static_cast<float>(j - previous);
        }
        filled += j - gap_start;
      }
      previous = j;
    }
  }
  return filled;
}

std::optional<double> microvolts_per_unit(const std::string& unit) {
  std::string u = trim(unit);
  // "µV" arrives as UTF-8 (0xC2 0xB5) or Latin-1 (0xB5); EDF files write "uV".
  if (u.rfind("\xC2\xB5", 0) == 0) u.erase(0, 1);
  if (!u.empty() && static_cast<unsigned char>(u[0]) == 0xB5) u[0] = 'u';
  u = lower(u);
  if (u == "uv") return 1.0;
  if (u == "mv") return 1e3;
  if (u == "v") return 1e6;
  if (u == "nv") return 1e-3;
  return std::nullopt;
}

}  // namespace fecg
