// A recording in memory: what every reader produces and every stage consumes.
#pragma once

#include "core/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fecg {

// An annotation read from (or to be written to) a file: a sample index at the recording's
// sampling rate and a label ("N" for a beat, free text for EDF+ annotations).
struct Annotation {
  std::int64_t sample = 0;
  std::string label;
};

struct Recording {
  double fs_hz = 0.0;                    // sampling rate of every lead
  std::vector<std::string> lead_names;   // one per row of samples_uv
  std::vector<std::string> units;        // physical unit per lead as read ("uV", "mV", ...)
  LeadMatrix samples_uv;                 // leads × samples, microvolts
  std::optional<std::string> start_time; // ISO 8601 ("2012-03-01T10:21:00") when the file says
  std::vector<Annotation> annotations;   // from the file (EDF+ TAL, WFDB annotations, ...)

  int n_leads() const { return static_cast<int>(samples_uv.rows()); }
  std::int64_t n_samples() const { return samples_uv.cols(); }
  double duration_s() const { return fs_hz > 0 ? static_cast<double>(n_samples()) / fs_hz : 0.0; }
};

// Which leads are the abdominal input and which (if any) is a reference fetal ECG, e.g. ADFECGDB:
// Abdomen_1..4 are the input and Direct_1 (fetal scalp electrode) is the reference.
struct LeadRoles {
  std::vector<int> abdominal;  // row indices into Recording::samples_uv, in the order to use
  int reference = -1;          // row index of the reference fetal ECG, -1 if none
};

// Guesses roles from lead names: a lead named like "Direct*", "scalp*" or "fetal*" is the
// reference; all other leads are abdominal. Throws fecg::Error if no abdominal lead remains.
LeadRoles guess_lead_roles(const Recording& recording);

// Resolves a user's lead selection: a comma-separated list of lead names or 1-based indices
// ("Abdomen_1,Abdomen_3" or "1,3"); an empty `abdominal` keeps the guess. `reference` is a name,
// a 1-based index, "none" or empty (keep the guess). Throws fecg::Error naming an unknown lead.
LeadRoles select_lead_roles(const Recording& recording, const std::string& abdominal,
                            const std::string& reference);

// Copies the chosen leads into a new recording (annotations and metadata kept).
Recording subset_leads(const Recording& recording, const std::vector<int>& rows);

// Checks the invariants every stage relies on: fs_hz > 0 and finite, names/units sized to the
// leads, at least one lead and one sample, all samples finite. Throws fecg::Error naming the
// problem ("recording: lead 'Abdomen_2' has 12 non-finite samples (first at sample 3000)").
void validate_recording(const Recording& recording);

// Replaces missing samples (NaN, e.g. the WFDB invalid value -32768 that several Challenge 2013
// records hold) by linear interpolation between the nearest finite samples of the same lead,
// holding the first/last finite value at the edges. Returns how many samples were filled.
// Throws fecg::Error naming a lead that has no finite sample at all. Infinite values are left
// alone (they are not "missing"; validate_recording reports them).
std::int64_t fill_missing_samples(Recording& recording);

// Converts a value in `unit` to microvolts: the factor for "uV"/"µV" is 1, "mV" 1e3, "V" 1e6,
// "nV" 1e-3. Case-insensitive. Returns std::nullopt for any other unit.
std::optional<double> microvolts_per_unit(const std::string& unit);

}  // namespace fecg
