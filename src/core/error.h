// The one exception type of the core. Messages name the function or file and what was
// expected, e.g. "edf: header says 5 signals but record size is 3072 bytes, expected 3584".
#pragma once

#include <stdexcept>
#include <string>

namespace fecg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fecg
