// Long recordings piece by piece: a file read through a JS source {size, read(offset, length) →
// Uint8Array} (in a Web Worker, FileReaderSync over File.slice), so a 10-hour recording is never
// held whole, neither in JS nor in the WASM heap; and the pipeline run chunk by chunk on it
// (pipeline/stream.h), each chunk's results handed to JS as soon as they are final.
#pragma once

#include "io/record_reader.h"
#include "wasm/js_types.h"

#include <emscripten/val.h>

#include <memory>
#include <string>

namespace fecg::wasm {

// The RecordingStream handle: a reader with the file's header, read by sample range.
class JsRecordingStream {
 public:
  explicit JsRecordingStream(std::unique_ptr<RecordReader> reader) : reader_(std::move(reader)) {}
  RecordReader& reader() const { return *reader_; }

  double fs_hz() const { return reader_->header().fs_hz; }
  int n_leads() const { return reader_->header().n_leads(); }
  double n_samples() const { return static_cast<double>(reader_->n_samples()); }
  double duration_s() const { return reader_->duration_s(); }
  emscripten::val lead_names() const;
  emscripten::val units() const;
  emscripten::val start_time() const;
  emscripten::val guess_roles() const;
  // Samples [start, start + count) of every lead: an array of Float32Array (µV), one per lead.
  emscripten::val read(double start, double count) const;

 private:
  std::shared_ptr<RecordReader> reader_;  // shared: Embind copies class_ values it returns
};

// openRecordingStream(fileName, source): an .edf file.
JsRecordingStream open_recording_stream(const std::string& file_name, const emscripten::val& source);
// openWfdbStream(headerText, sources): a WFDB record, a source per signal file (Map or object).
JsRecordingStream open_wfdb_stream(const std::string& header_text, const emscripten::val& sources);

// analyzeStream(stream, options, onProgress, onChunk): onChunk(chunk) receives each chunk's
// results (convert.h stream_chunk_to_js); returning false cancels. The Result is the summary of
// the whole recording; it keeps no fECG. onProgress and onChunk may be undefined or null.
JsResult analyze_stream(const JsRecordingStream& stream, const emscripten::val& options,
                        const emscripten::val& on_progress, const emscripten::val& on_chunk);

}  // namespace fecg::wasm
