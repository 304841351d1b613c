// Command-line parsing shared by the `fecg` commands: positionals, --name VALUE / --name=VALUE
// options and --flags, checked against the names each command accepts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fecg::cli {

// Parsed command line of one command: positionals and --options (flags have no value).
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::set<std::string> flags;

  bool has(const std::string& name) const { return options.count(name) || flags.count(name); }
  std::optional<std::string> get(const std::string& name) const;
  double number(const std::string& name, double fallback) const;
  std::optional<double> optional_number(const std::string& name) const;
  // An integer option within lo..hi (inclusive), or `fallback` when absent.
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const;
  // A finite number, all of `text`; throws fecg::Error "--name: expected a number, got '…'".
  static double parse_number(const std::string& name, const std::string& text);
};

// Parses argv[first..]. `valued` options take a value, `flags` do not; anything else starting
// with "--" is an error naming `command`.
Args parse_args(int argc, char** argv, int first, const std::set<std::string>& valued,
                const std::set<std::string>& flags, const std::string& command);

// True when --help or -h is among argv[first..].
bool wants_help(int argc, char** argv, int first);

// The MIT-BIH NSTDB folder to use by default (records bw, em, ma): $FECG_NSTDB_DIR, else
// ../shared/data/nstdb beside the project, found from the executable (build/native/fecg) or the
// working directory. std::nullopt when none holds the three records.
std::optional<std::string> default_nstdb_dir(const char* argv0);

}  // namespace fecg::cli
