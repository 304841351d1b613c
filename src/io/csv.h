// CSV recordings: a header row of lead names, an optional time column.
#pragma once

#include "core/recording.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fecg {

struct CsvOptions {
  std::optional<double> fs_hz;   // required unless a time column gives it
  std::string units = "uV";      // units of every lead column
};

// A column named "time", "t", "time_s", "seconds" or "sec" (case-insensitive) is the time column
// (seconds); the sampling rate is derived from it (and checked for uniformity) unless given.
// Delimiter: comma, semicolon or tab (detected). An empty or "NaN" cell of a lead is a missing
// sample and reads as NaN (run_pipeline bridges it with a warning); a row with too few or too many
// cells, a missing time, "inf" or any other non-number is an error naming the line and column.
Recording parse_csv(std::string_view text, const CsvOptions& options = {});
Recording read_csv(const std::string& path, const CsvOptions& options = {});

// Writes a time column (s) and one column per lead (values in µV).
std::string encode_csv(const Recording& recording);
// The same text in pieces, for a long recording written chunk by chunk: the header row, then
// rows for samples_uv (leads × n, µV) whose first column is sample `first_sample` at fs_hz.
// encode_csv(r) == encode_csv_header(r.lead_names) + rows of all of r's samples from 0.
std::string encode_csv_header(const std::vector<std::string>& lead_names);
void append_csv_rows(std::string& out, const LeadMatrix& samples_uv, std::int64_t first_sample, double fs_hz);
void write_csv(const std::string& path, const Recording& recording);

}  // namespace fecg
