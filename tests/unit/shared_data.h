// Real PhysioNet data beside the project (../shared/data, see its README): tests that use it call
// have(path) first, which skips them with a message when the file is absent.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace fecg_test {

inline const std::string kData = FECG_SHARED_DATA_DIR;

inline bool have(const std::string& path) {
  if (std::filesystem::exists(kData + "/" + path)) return true;
  MESSAGE("skipped: " << kData << "/" << path << " is absent");
  return false;
}

}  // namespace fecg_test
