// FHNet windows and outputs as .npy files, for networks run outside our engine
// (pipeline/fhnet_external.h): `fecg windows --out DIR` writes DIR/x.npy, another runtime adds
// DIR/fecg.npy and DIR/rpeak_prob.npy (scripts/fhnet/evaluate.py), and
// `fecg extract --engine-outputs DIR` plays them back. The evaluation programs of tools/ do
// the same per record (--dump-windows, --engine-outputs).
//
//   fecg::write_fhnet_windows(capture->windows(), "out/w");       // out/w/x.npy (the folder must exist)
//   ... the network writes out/w/fecg.npy and out/w/rpeak_prob.npy ...
//   params.fhnet_model = std::make_shared<fecg::FhnetReplay>(
//       fecg::read_fhnet_engine_outputs("out/w", "--engine-outputs"));
//
// Shapes (float32, C order; float64 is read too):
//   x.npy           windows × leads × window    one lead count for every window, 1..8
//   fecg.npy        windows × leads × window
//   rpeak_prob.npy  windows × window
#pragma once

#include "pipeline/fhnet_external.h"

#include <string>

namespace fecg {

// Writes DIR/x.npy: the captured windows as one windows × leads × window array. Throws
// fecg::Error when the windows do not share one lead count (recordings of more than 8 leads run
// in groups of different sizes) or the file cannot be written.
void write_fhnet_windows(const FhnetWindows& windows, const std::string& dir);

// Reads DIR/x.npy, DIR/fecg.npy and DIR/rpeak_prob.npy into windows for FhnetReplay (which checks
// the values). Throws fecg::Error, its message starting with `who` (the option or record that
// named DIR), when a file is missing or the shapes do not fit together.
FhnetWindows read_fhnet_engine_outputs(const std::string& dir, const std::string& who);

}  // namespace fecg
