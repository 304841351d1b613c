// Medians by selection (std::nth_element, O(n) on average), not a full sort: the inputs run from
// a window's RR intervals to an hour-long lead. Both functions reorder `v`; a caller that still
// needs the order passes a copy.
//
//   std::vector<double> rr = ...;
//   const double rr_s = fecg::upper_median_in_place(rr);   // one of the measured intervals
//   const double centre = fecg::median_in_place(lead);      // even n: mean of the middle two
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace fecg {

// The median: the middle value, for even n the mean of the two middle values (computed in
// double). 0 for an empty `v`.
template <class T>
double median_in_place(std::vector<T>& v) {
  if (v.empty()) return 0.0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  // After nth_element, the lower middle value is the largest of the first half.
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

// The upper median: the value of rank n/2 (from 0) of the sorted values; for even n the larger
// of the two middle values rather than their mean, so that the result is always one of the
// inputs (a measured RR interval, a sample of the beats). 0 for an empty `v`.
template <class T>
T upper_median_in_place(std::vector<T>& v) {
  if (v.empty()) return T{0};
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

}  // namespace fecg
