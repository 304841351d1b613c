// Real PhysioNet data beside the project (../shared/data, see its README): tests that use it call
// have(path) first, which skips them with a message when the file is absent, or when
// FECG_TEST_NO_SHARED_DATA=1 (scripts/test.sh sets it for the ASan + UBSan run, which is for the
// readers, the pipeline on small inputs and the CLI on bad files, not for the real-data sweep).
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace fecg_test {

inline const std::string kData = FECG_SHARED_DATA_DIR;

inline bool have(const std::string& path) {
  if (const char* off = std::getenv("FECG_TEST_NO_SHARED_DATA"); off && std::string(off) == "1") {
    MESSAGE("skipped: FECG_TEST_NO_SHARED_DATA=1");
    return false;
  }
  if (std::filesystem::exists(kData + "/" + path)) return true;
  MESSAGE("skipped: " << kData << "/" << path << " is absent");
  return false;
}

}  // namespace fecg_test
