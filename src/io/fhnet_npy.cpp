#include "io/fhnet_npy.h"

#include "core/error.h"
#include "io/io_detail.h"
#include "io/npy_file.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace fecg {

void write_fhnet_windows(const FhnetWindows& windows, const std::string& dir) {
  const int leads = windows.uniform_leads();
  if (leads == 0)
    throw Error("write_fhnet_windows: " + std::to_string(windows.n_windows()) +
                " windows without one shared lead count; x.npy is windows × leads × window");
  write_npy_f32(io_detail::join_path(dir, "x.npy"),
                {static_cast<std::int64_t>(windows.n_windows()), leads, windows.window}, windows.x.data());
}

FhnetWindows read_fhnet_engine_outputs(const std::string& dir, const std::string& who) {
  const std::string x_path = io_detail::join_path(dir, "x.npy");
  NpyFloats x = read_npy_f32(x_path);
  NpyFloats y = read_npy_f32(io_detail::join_path(dir, "fecg.npy"));
  NpyFloats p = read_npy_f32(io_detail::join_path(dir, "rpeak_prob.npy"));
  if (x.shape.size() != 3 || x.shape[1] < 1 || x.shape[1] > FhnetEngine::kMaxLeads)
    throw Error(who + ": " + x_path + " must be windows × leads (1..8) × window");
  if (y.shape != x.shape) throw Error(who + ": fecg.npy must have the shape of x.npy (windows × leads × window)");
  if (p.shape != std::vector<std::int64_t>{x.shape[0], x.shape[2]})
    throw Error(who + ": rpeak_prob.npy must be windows × window = " + std::to_string(x.shape[0]) + " × " +
                std::to_string(x.shape[2]));
  FhnetWindows w;
  w.window = static_cast<int>(x.shape[2]);
  w.leads.assign(static_cast<std::size_t>(x.shape[0]), static_cast<int>(x.shape[1]));
  w.x = std::move(x.values);
  w.fecg = std::move(y.values);
  w.rpeak_prob = std::move(p.values);
  return w;
}

}  // namespace fecg
