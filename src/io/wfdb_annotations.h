// MIT-format annotation files (.qrs, .fqrs, .atr): read, write, and beats to and from them.
#pragma once

#include "core/recording.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fecg {

// MIT annotation files (.qrs, .fqrs, .atr): beats and other annotations. Note/dummy entries such
// as "## time resolution" comments are skipped; `fs_hz` found in such a note is reported.
struct WfdbAnnotations {
  std::vector<Annotation> annotations;   // label: the annotation mnemonic ("N", "V", "+", ...)
  double time_resolution_hz = 0;         // from a "## time resolution N" note, 0 if absent
};
WfdbAnnotations parse_wfdb_annotations(std::span<const std::uint8_t> bytes);
WfdbAnnotations read_wfdb_annotations(const std::string& path);
std::vector<std::uint8_t> encode_wfdb_annotations(const std::vector<Annotation>& annotations);
void write_wfdb_annotations(const std::string& path, const std::vector<Annotation>& annotations);

// Beat annotations (N, V, S, ... and other QRS codes) as sample indices; non-beats dropped.
BeatIndices beat_samples(const std::vector<Annotation>& annotations);
// Beats as "N" annotations.
std::vector<Annotation> beat_annotations(const BeatIndices& beats, const std::string& label = "N");

}  // namespace fecg
