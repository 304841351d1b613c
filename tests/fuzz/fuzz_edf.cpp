// libFuzzer target: the EDF/EDF+ reader (parse_edf).
// The body is fecg::fuzz::edf in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::edf({data, size});
  return 0;
}
