#include "controller/tune/buffered_recording.h"

#include <algorithm>

namespace ebb::tune {

Result<BufferedRecording> BufferedRecording::Read(sim::SampleSource& source) {
  BufferedRecording r;
  r.name_ = source.name();
  sim::RawSample s;
  for (;;) {
    auto more = source.Next(s);
    if (!more) return more.error();
    if (!*more) break;
    uint32_t idx = 0;
    while (idx < r.metrics_.size() && r.metrics_[idx] != s.metric) ++idx;
    if (idx == r.metrics_.size()) r.metrics_.emplace_back(s.metric);
    r.samples_.push_back({ToUnixMillis(s.at), idx, s.value});
  }
  return r;
}

BufferedRecording::Source::Source(const BufferedRecording& r, int64_t from_ms, int64_t to_ms)
    : rec_(r) {
  auto by_time = [](const Sample& a, int64_t t) { return a.at_ms < t; };
  next_ =
      static_cast<size_t>(std::lower_bound(r.samples_.begin(), r.samples_.end(), from_ms, by_time) -
                          r.samples_.begin());
  end_ = static_cast<size_t>(
      std::lower_bound(r.samples_.begin(), r.samples_.end(), to_ms, by_time) - r.samples_.begin());
}

Result<bool> BufferedRecording::Source::Next(sim::RawSample& out) {
  if (next_ >= end_) return false;
  const Sample& s = rec_.samples_[next_++];
  out.at = FromUnixMillis(s.at_ms);
  out.metric = rec_.metrics_[s.metric];
  out.value = s.value;
  return true;
}

}  // namespace ebb::tune
