#include "controller/sim/flapping.h"

namespace ebb::sim {

void FlappingDetector::Close(FlappingResult& into, const FlappingRegion& r) const {
  ++into.regions;
  into.seconds += r.end - r.start;
  if (into.listed.size() < kMaxListed) into.listed.push_back(r);
}

void FlappingDetector::OnScale(double seconds, bool up) {
  const int direction = up ? 1 : -1;
  const bool reversal = last_direction_ != 0 && direction != last_direction_;
  last_direction_ = direction;
  if (!reversal) return;
  ++done_.reversals;
  recent_.push_back(seconds);
  const size_t needed = static_cast<size_t>(rule_.reversals) + 1;
  while (recent_.size() > needed) recent_.pop_front();
  if (recent_.size() < needed || recent_.back() - recent_.front() > rule_.window_seconds) return;
  // reversals + 1 changes within the window: [first, last] of them is flapping.
  if (open_ && recent_.front() <= current_.end) {
    current_.end = seconds;
    ++current_.reversals;
    return;
  }
  if (open_) Close(done_, current_);
  open_ = true;
  current_ = FlappingRegion{recent_.front(), seconds, static_cast<int32_t>(needed)};
}

FlappingResult FlappingDetector::Finish() const {
  FlappingResult r = done_;
  if (open_) Close(r, current_);
  return r;
}

}  // namespace ebb::sim
