// Runs the `fecg` executable built beside the tests (FECG_CLI_PATH) as a user would, for the
// suites that check the command line: its exit code and everything it printed.
#pragma once

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace fecg_test {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// A shell command line as written, stderr joined to stdout.
inline CliRun run_command(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) run.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// `arguments` go through the shell as written (quote paths with spaces).
inline CliRun run_cli(const std::string& arguments) { return run_command(std::string(FECG_CLI_PATH) + " " + arguments); }

}  // namespace fecg_test
