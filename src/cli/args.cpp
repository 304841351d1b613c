#include "cli/args.h"

#include "core/error.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace fecg::cli {

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

double Args::number(const std::string& name, double fallback) const {
  auto text = get(name);
  return text ? parse_number(name, *text) : fallback;
}

std::optional<double> Args::optional_number(const std::string& name) const {
  auto text = get(name);
  if (!text) return std::nullopt;
  return parse_number(name, *text);
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const {
  const double v = number(name, static_cast<double>(fallback));
  if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
    throw Error("--" + name + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                ", got " + get(name).value_or(std::to_string(fallback)));
  return static_cast<std::int64_t>(v);
}

double Args::parse_number(const std::string& name, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
    throw Error("--" + name + ": expected a number, got '" + text + "'");
  return value;
}

Args parse_args(int argc, char** argv, int first, const std::set<std::string>& valued,
                const std::set<std::string>& flags, const std::string& command) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string token = argv[i];
    if (token.rfind("--", 0) == 0 && token.size() > 2) {
      std::string name = token.substr(2), value;
      const auto eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (flags.count(name) && !inline_value) {
        args.flags.insert(name);
      } else if (valued.count(name)) {
        if (!inline_value) {
          if (i + 1 >= argc) throw Error(command + ": option --" + name + " needs a value");
          value = argv[++i];
        }
        args.options[name] = value;
      } else {
        throw Error(command + ": unknown option --" + name + " (see fecg " + command + " --help)");
      }
    } else {
      args.positional.push_back(token);
    }
  }
  return args;
}

bool wants_help(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--help" || token == "-h") return true;
  }
  return false;
}

std::optional<std::string> default_nstdb_dir(const char* argv0) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("FECG_NSTDB_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / "../../../shared/data/nstdb");
  candidates.push_back(fs::path(argv0).parent_path() / "../../../shared/data/nstdb");
  candidates.push_back(fs::current_path(ec) / "../shared/data/nstdb");
  for (const auto& c : candidates)
    if (fs::exists(c / "bw.hea", ec) && fs::exists(c / "em.hea", ec) && fs::exists(c / "ma.hea", ec))
      return fs::weakly_canonical(c, ec).string();
  return std::nullopt;
}

}  // namespace fecg::cli
