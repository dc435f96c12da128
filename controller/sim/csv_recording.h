// `timestamp,metric,value` rows, streamed through a fixed buffer. Hand-rolled (std::from_chars,
// no iostreams) because replaying a year of 15 s samples must take well under a second.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "controller/sim/sample_source.h"

namespace ebb::sim {

class CsvRecording final : public SampleSource {
 public:
  // `path` "-" reads stdin.
  static Result<std::unique_ptr<CsvRecording>> Open(const std::string& path);
  // For tests and embedded recordings.
  static std::unique_ptr<CsvRecording> FromText(std::string text, std::string name);

  ~CsvRecording() override;
  CsvRecording(const CsvRecording&) = delete;
  CsvRecording& operator=(const CsvRecording&) = delete;

  Result<bool> Next(RawSample& out) override;
  const std::string& name() const override { return name_; }
  std::string Position() const override { return name_ + ":" + std::to_string(line_); }

 private:
  CsvRecording(std::FILE* file, bool owns_file, std::string name, size_t buffer_size);
  // Moves the unread tail to the front and reads more; false when nothing more can be read.
  bool Refill();
  Error LineError(const std::string& what) const;

  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  bool eof_ = false;
  std::string name_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t line_ = 0;
  bool have_last_ = false;
  Timestamp last_{};
};

}  // namespace ebb::sim
