// The morphology in the outputs' words: the "morphology" section of the JSON summary and the
// averaged beat as CSV (fecg extract writes <name>.json and <name>_beat.csv with these).
#pragma once

#include "core/json.h"
#include "morph/morphology.h"

#include <string>
#include <vector>

namespace fecg {

// Writes `"morphology": {...}` into an open JSON object: lead, n_beats, snr_db, rr_ms, pr_ms,
// p_ms, qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms, t_qrs_ratio (null when not measured),
// "<quantity>_sd" (jackknife sd or null), why_missing (per quantity, only the missing ones),
// fiducials_ms (each mark in ms from the R peak, null when refused, and its confidence), per-lead
// snr_db and beat-to-beat variation, the sliding averages, the published comparison, the method.
void write_morphology_json(JsonWriter& json, const Morphology& m, const std::vector<std::string>& lead_names);

// The averaged beat: "time_ms" from the R peak, then one column per lead in µV ("<lead>_uv"),
// one row per sample at the average's rate. Only the header when there is no average.
std::string average_beat_csv(const Morphology& m, const std::vector<std::string>& lead_names);

}  // namespace fecg
