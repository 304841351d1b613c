// Byte sources and the in-memory RecordReader (io/record_reader.h).
#include "io/record_reader.h"

#include "core/error.h"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace fecg {
namespace {

void check_range(const ByteSource& source, std::int64_t offset, std::size_t length) {
  if (offset < 0 || static_cast<std::int64_t>(length) > source.size() - offset)
    throw Error("read: bytes [" + std::to_string(offset) + ", " + std::to_string(offset + static_cast<std::int64_t>(length)) +
                ") are outside '" + source.name() + "' of " + std::to_string(source.size()) + " bytes");
}

class FileSource final : public ByteSource {
 public:
  explicit FileSource(std::string path) : path_(std::move(path)), file_(path_, std::ios::binary | std::ios::ate) {
    if (!file_) throw Error("read_file: cannot open '" + path_ + "'");
    const std::streamoff size = file_.tellg();
    if (size < 0) throw Error("read_file: cannot tell the size of '" + path_ + "' (not a regular file?)");
    size_ = static_cast<std::int64_t>(size);
  }
  std::int64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }
  void read(std::int64_t offset, std::span<std::uint8_t> out) override {
    check_range(*this, offset, out.size());
    if (out.empty()) return;
    file_.clear();
    file_.seekg(offset);
    if (!file_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size())))
      throw Error("read_file: reading " + std::to_string(out.size()) + " bytes at offset " + std::to_string(offset) +
                  " of '" + path_ + "' failed");
  }

 private:
  std::string path_;
  std::ifstream file_;
  std::int64_t size_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::vector<std::uint8_t> bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(bytes_.size()); }
  const std::string& name() const override { return name_; }
  void read(std::int64_t offset, std::span<std::uint8_t> out) override {
    check_range(*this, offset, out.size());
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::string name_;
};

class InMemoryReader final : public RecordReader {
 public:
  explicit InMemoryReader(Recording recording) : recording_(std::move(recording)) {
    header_ = recording_;
    header_.samples_uv.resize(recording_.n_leads(), 0);
    header_.annotations.clear();
    n_samples_ = recording_.n_samples();
  }
  LeadMatrix read(std::int64_t start, std::int64_t count) override {
    if (start < 0 || count < 0 || start > n_samples_ - count)
      throw Error("read: samples [" + std::to_string(start) + ", " + std::to_string(start + count) +
                  ") are outside the recording's " + std::to_string(n_samples_));
    return recording_.samples_uv.middleCols(start, count);
  }

 private:
  Recording recording_;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path) { return std::make_unique<FileSource>(path); }

std::unique_ptr<ByteSource> memory_source(std::vector<std::uint8_t> bytes, std::string name) {
  return std::make_unique<MemorySource>(std::move(bytes), std::move(name));
}

std::unique_ptr<RecordReader> recording_reader(Recording recording) {
  return std::make_unique<InMemoryReader>(std::move(recording));
}

}  // namespace fecg
