// A recording as a stream of samples in time order. Sources never hold more than a buffer of
// the input, so a year of 15 s samples costs no more memory than an hour.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"

namespace ebb::sim {

struct RawSample {
  Timestamp at{};
  std::string_view metric;  // valid until the next call to Next
  double value = 0;
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // The next sample (times never decrease); false at the end. Errors name the file and the line.
  virtual Result<bool> Next(RawSample& out) = 0;
  virtual const std::string& name() const = 0;
  // Where the sample Next returned last sits, for messages: "file.csv:12".
  virtual std::string Position() const { return name(); }
};

// Interleaves several sources by time (one per --metrics file); ties keep the files' order.
class MergedSource final : public SampleSource {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<SampleSource>> sources);
  Result<bool> Next(RawSample& out) override;
  const std::string& name() const override { return name_; }
  std::string Position() const override;

 private:
  struct Head {
    RawSample sample;
    bool valid = false;
    bool primed = false;
  };
  std::vector<std::unique_ptr<SampleSource>> sources_;
  std::vector<Head> heads_;
  size_t consumed_ = SIZE_MAX;  // the head handed out last; refilled on the next call
  std::string name_;
};

}  // namespace ebb::sim
