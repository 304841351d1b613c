// libFuzzer target: the MIT annotation reader (parse_wfdb_annotations).
// The body is fecg::fuzz::wfdb_annotations in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::wfdb_annotations({data, size});
  return 0;
}
