// Streamed recordings and the chunked pipeline (streaming.h).
#include "wasm/streaming.h"

#include "core/error.h"
#include "io/edf.h"
#include "io/wfdb.h"
#include "pipeline/stream.h"
#include "wasm/boundary.h"
#include "wasm/convert.h"
#include "wasm/js_types.h"
#include "wasm/options.h"

#include <cmath>
#include <cstdint>
#include <span>
#include <utility>

namespace fecg::wasm {
namespace {

using emscripten::val;

// A file read piece by piece through a JS source {size, read(offset, length) → Uint8Array}.
class JsByteSource final : public ByteSource {
 public:
  JsByteSource(val source, std::string name) : source_(std::move(source)), name_(std::move(name)) {
    if (source_.isUndefined() || source_.isNull() || !source_["size"].isNumber() ||
        source_["read"].typeOf().as<std::string>() != "function")
      throw Error("stream source for '" + name_ + "': expected {size: number, read(offset, length) → Uint8Array}");
    const double size = source_["size"].as<double>();
    if (!(size >= 0) || size != std::floor(size) || size > 9.0e15)
      throw Error("stream source for '" + name_ + "': size must be a non-negative integer");
    size_ = static_cast<std::int64_t>(size);
  }
  std::int64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  void read(std::int64_t offset, std::span<std::uint8_t> out) override {
    if (offset < 0 || static_cast<std::int64_t>(out.size()) > size_ - offset)
      throw Error("read: bytes [" + std::to_string(offset) + ", " + std::to_string(offset + static_cast<std::int64_t>(out.size())) +
                  ") are outside '" + name_ + "' of " + std::to_string(size_) + " bytes");
    // Through a pre.js helper that catches what read() throws (see __fecgCallProgress).
    const val bytes = val::module_property("__fecgCallRead")(source_, val(static_cast<double>(offset)),
                                                           val(static_cast<double>(out.size())));
    if (bytes.isString()) throw Error("reading '" + name_ + "': " + bytes.as<std::string>());
    if (!bytes.instanceof(val::global("Uint8Array")) || bytes["length"].as<std::size_t>() != out.size())
      throw Error("reading '" + name_ + "': read(" + std::to_string(offset) + ", " + std::to_string(out.size()) +
                  ") must return a Uint8Array of that many bytes");
    val(emscripten::typed_memory_view(out.size(), out.data())).call<void>("set", bytes);
  }

 private:
  val source_;
  std::string name_;
  std::int64_t size_ = 0;
};

}  // namespace

// ------------------------------------------------------------------------------- RecordingStream

val JsRecordingStream::lead_names() const { return string_array(reader_->header().lead_names); }
val JsRecordingStream::units() const { return string_array(reader_->header().units); }
val JsRecordingStream::start_time() const {
  return reader_->header().start_time ? val(*reader_->header().start_time) : val::null();
}
val JsRecordingStream::guess_roles() const {
  return guarded([&] { return roles_to_js(guess_lead_roles(reader_->header())); });
}
val JsRecordingStream::read(double start, double count) const {
  return guarded([&] {
    if (!(start >= 0) || !(count >= 0) || start != std::floor(start) || count != std::floor(count))
      throw Error("RecordingStream.read: start and count must be non-negative integers");
    const LeadMatrix block = reader_->read(static_cast<std::int64_t>(start), static_cast<std::int64_t>(count));
    val out = val::array();
    for (Eigen::Index i = 0; i < block.rows(); ++i)
      out.set(static_cast<unsigned>(i), float32_array(block.row(i).data(), static_cast<std::size_t>(block.cols())));
    return out;
  });
}

// ---------------------------------------------------------------------------------- opening

JsRecordingStream open_recording_stream(const std::string& file_name, const val& source) {
  return guarded([&] {
    const std::string ext = lower_extension(file_name);
    if (ext != "edf")
      throw Error("openRecordingStream: " + file_name +
                  " is not an .edf file; only EDF (and WFDB records, with openWfdbStream) are read piece by piece");
    return JsRecordingStream(open_edf_reader(std::make_unique<JsByteSource>(source, file_name)));
  });
}

JsRecordingStream open_wfdb_stream(const std::string& header_text, const val& sources) {
  return guarded([&] {
    if (sources.isUndefined() || sources.isNull())
      throw Error("openWfdbStream: expected the signal files as a Map or an object name → {size, read}");
    const bool is_map = sources.instanceof(val::global("Map"));
    auto open_file = [&](const std::string& name) -> std::unique_ptr<ByteSource> {
      const val source = is_map ? sources.call<val>("get", name) : sources[name];
      if (source.isUndefined() || source.isNull())
        throw Error("openWfdbStream: the header names the signal file '" + name + "' but it was not given");
      return std::make_unique<JsByteSource>(source, name);
    };
    return JsRecordingStream(open_wfdb_reader(header_text, open_file));
  });
}

// ---------------------------------------------------------------------------- the chunked pipeline

JsResult analyze_stream(const JsRecordingStream& stream, const val& options, const val& on_progress,
                        const val& on_chunk) {
  return guarded([&] {
    RecordReader& reader = stream.reader();
    const Options opts(options, "analyzeStream",
                       {"method", "abdominal", "reference", "powerlineHz", "model", "recordName", "chunkS"});
    PipelineRequest req = read_pipeline_request(reader.header(), opts, "analyzeStream");
    req.context.duration_s = reader.duration_s();  // the header holds no samples
    if (req.params.method == Method::fhnet) {
      if (!opts.has("model"))
        throw Error("analyzeStream: method 'fhnet' needs options.model, a model from loadFhnet(cardJson, weights)");
      req.params.fhnet_model = fhnet_model_from_js(opts.get("model")).model();
    }
    const ProgressFn progress = read_progress(on_progress, "analyzeStream");
    const StreamParams sp = read_stream_params(opts);
    ChunkSink sink;
    if (!on_chunk.isUndefined() && !on_chunk.isNull()) {
      if (on_chunk.typeOf().as<std::string>() != "function")
        throw Error("analyzeStream: onChunk must be a function (chunk) → boolean");
      sink = [&on_chunk](const StreamChunk& c) {
        // Through a pre.js helper that catches what onChunk throws (see __fecgCallProgress).
        const val answer = val::module_property("__fecgCallChunk")(on_chunk, stream_chunk_to_js(c));
        if (answer.isString()) throw Error("analyzeStream: " + answer.as<std::string>());
        if (answer.as<int>() != 1) throw Cancelled();
      };
    }
    PipelineResult result = run_pipeline_streaming(
        reader.header(), reader.n_samples(),
        [&reader](std::int64_t start, std::int64_t count) { return reader.read(start, count); }, req.roles, req.params,
        sp, sink, progress);
    return JsResult(std::move(result), std::move(req.context));
  });
}

}  // namespace fecg::wasm
