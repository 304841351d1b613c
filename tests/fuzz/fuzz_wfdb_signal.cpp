// libFuzzer target: the WFDB signal reader (parse_wfdb_record): header text, a 0 byte, signal-file bytes.
// The body is fecg::fuzz::wfdb_signal in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::wfdb_signal({data, size});
  return 0;
}
