// Proves that the core compiles and runs under Emscripten with -msimd128 (run by node in the
// test command): builds a recording, validates it and prints its shape.
#include "core/recording.h"

#include <cstdio>

int main() {
  fecg::Recording recording;
  recording.fs_hz = 250.0;
  recording.lead_names = {"Abdomen_1", "Direct_1"};
  recording.units = {"uV", "uV"};
  recording.samples_uv = fecg::LeadMatrix::Zero(2, 500);
  fecg::validate_recording(recording);
  const fecg::LeadRoles roles = fecg::guess_lead_roles(recording);
  std::printf("wasm smoke: %d leads, %.1f s, %zu abdominal, reference %d\n", recording.n_leads(),
              recording.duration_s(), roles.abdominal.size(), roles.reference);
  return roles.abdominal.size() == 1 && roles.reference == 1 ? 0 : 1;
}
