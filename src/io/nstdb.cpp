#include "io/nstdb.h"

#include "core/error.h"
#include "io/wfdb.h"

#include <array>
#include <utility>
#include <vector>

namespace fecg {

NoiseBank load_nstdb(const std::string& directory) {
  NoiseBank bank;
  const std::array<std::pair<const char*, std::vector<Signal>*>, 3> records{{
      {"bw", &bank.baseline_wander}, {"em", &bank.electrode_motion}, {"ma", &bank.muscle_artifact}}};
  for (const auto& [name, pool] : records) {
    const std::string path = directory + "/" + name;
    const Recording rec = read_wfdb_record(path);
    if (rec.n_leads() == 0 || rec.n_samples() == 0)
      throw Error("load_nstdb: record '" + path + "' has no samples");
    if (!(rec.fs_hz > 0))
      throw Error("load_nstdb: record '" + path + "' has no sampling rate");
    if (bank.fs_hz == 0) bank.fs_hz = rec.fs_hz;
    if (rec.fs_hz != bank.fs_hz)
      throw Error("load_nstdb: record '" + path + "' is at " + std::to_string(rec.fs_hz) + " Hz, expected " +
                  std::to_string(bank.fs_hz) + " Hz like the others");
    for (int i = 0; i < rec.n_leads(); ++i) pool->push_back(rec.samples_uv.row(i).transpose());
  }
  return bank;
}

}  // namespace fecg
