// libFuzzer target: bytes opened as EDF, WFDB or CSV, then the whole classical pipeline (TS-ICA).
// The body is fecg::fuzz::pipeline in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::pipeline({data, size});
  return 0;
}
