// libFuzzer target: the CSV reader (parse_csv), with and without --fs/--units.
// The body is fecg::fuzz::csv in fuzz_targets.h; built by the fuzz preset, run by scripts/fuzz.sh.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fecg::fuzz::csv({data, size});
  return 0;
}
