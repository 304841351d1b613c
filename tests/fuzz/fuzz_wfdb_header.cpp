// libFuzzer target: the WFDB header parser (parse_wfdb_header).
// The body is fecg::fuzz::wfdb_header in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::wfdb_header({data, size});
  return 0;
}
