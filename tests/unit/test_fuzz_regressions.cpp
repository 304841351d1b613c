// Every input the fuzzers found to crash, hang or break an invariant (tests/fuzz/regressions/
// <target>/, see scripts/fuzz.sh) is replayed here through the same target body, in the ordinary
// build: it must now parse correctly or be refused with fecg::Error. Under the native-asan preset
// this also proves the fix memory-safe.
#include <doctest/doctest.h>

#include "../fuzz/fuzz_targets.h"
#include "io/record.h"

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

TEST_CASE("fuzz regressions: every kept input is handled by its target without a finding") {
  const fs::path root = fs::path(FECG_SOURCE_DIR) / "tests" / "fuzz" / "regressions";
  REQUIRE(fs::is_directory(root));
  int replayed = 0;
  for (const fecg::fuzz::Target& target : fecg::fuzz::kTargets) {
    const fs::path dir = root / target.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
      const std::vector<std::uint8_t> bytes = fecg::read_file_bytes(entry.path().string());
      INFO(target.name << ": " << entry.path().filename().string());
      CHECK_NOTHROW(target.run(bytes));
      ++replayed;
    }
  }
  MESSAGE("replayed " << replayed << " fuzz regression inputs");
  CHECK(replayed > 0);
}

TEST_CASE("fuzz targets accept the empty input and refuse garbage with fecg::Error") {
  for (const fecg::fuzz::Target& target : fecg::fuzz::kTargets) {
    INFO(target.name);
    CHECK_NOTHROW(target.run({}));
    const std::string garbage = "\x01\x02garbage\xff\xfe";
    CHECK_NOTHROW(target.run({reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size()}));
  }
}
