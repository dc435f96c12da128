// A recording read once into memory, so that a search can replay it hundreds of times, whole or
// in parts (training and held-out spans), without parsing the files again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/sim/sample_source.h"

namespace ebb::tune {

class BufferedRecording {
 public:
  struct Sample {
    int64_t at_ms;
    uint32_t metric;
    double value;
  };

  // Reads every sample of `source`.
  static Result<BufferedRecording> Read(sim::SampleSource& source);

  bool empty() const { return samples_.empty(); }
  int64_t first_ms() const { return samples_.empty() ? 0 : samples_.front().at_ms; }
  int64_t last_ms() const { return samples_.empty() ? 0 : samples_.back().at_ms; }
  size_t size() const { return samples_.size(); }
  const std::string& name() const { return name_; }

  // The samples with from_ms <= time < to_ms as a source (the recording must outlive it).
  class Source final : public sim::SampleSource {
   public:
    Source(const BufferedRecording& r, int64_t from_ms, int64_t to_ms);
    Result<bool> Next(sim::RawSample& out) override;
    const std::string& name() const override { return rec_.name_; }

   private:
    const BufferedRecording& rec_;
    size_t next_;
    size_t end_;
  };

 private:
  std::string name_;
  std::vector<std::string> metrics_;
  std::vector<Sample> samples_;
};

}  // namespace ebb::tune
