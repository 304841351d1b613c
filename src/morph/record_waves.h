// Delineation of every beat of a recording in memory: the core of `fecg delineate` and of the
// QT Database evaluation (tools/eval_qtdb.cpp).
//
//   fecg::Recording rec = fecg::read_record("sel100.hea");
//   fecg::RecordWaves w = fecg::delineate_record(rec, {0, 1}, beats);  // beats: R peaks, samples
//   // w.beats[i].qrs_on.sample (fractional samples at rec.fs_hz) or .why_missing
#pragma once

#include "core/recording.h"
#include "morph/delineate.h"

#include <vector>

namespace fecg {

struct RecordWaves {
  double rr_s = 0;                // median RR of the beats, which scales the delineator
  std::vector<BeatWaves> beats;   // one per beat, the leads joined (combine_leads_martinez_2004)
};

// Delineates each lead in `rows` of `recording` with delineate_martinez_2004 at `beats` (R peaks,
// samples at recording.fs_hz, unsorted and duplicates allowed: a sorted unique copy is used) and
// joins the leads. The median RR of the beats sets σ; with fewer than 2 beats (no RR), 0.75 s.
// No filtering: the wavelet is a smoothed derivative, deaf to offsets and slow to baseline
// wander. Throws fecg::Error for an empty `rows` or a row out of range.
RecordWaves delineate_record(const Recording& recording, const std::vector<int>& rows, const BeatIndices& beats,
                             const DelineatorParams& params = {});

// Wave marks written as WFDB annotations in the QT Database's way (.q1c, .q2c, .pu): each wave
// peak (p, N, t) bracketed by an onset "(" right before it and an end ")" right after it; either
// may be absent. One entry per annotated QRS ("N"): its P is the p between the previous N and it,
// its T the t between it and the next N. Marks the annotation lacks are nullopt (why_missing
// "not annotated"); confidence 1 for annotated marks. r_given is the N's sample.
std::vector<BeatWaves> wave_marks_from_annotations(const std::vector<Annotation>& annotations);

}  // namespace fecg
