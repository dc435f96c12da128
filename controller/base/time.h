// Time vocabulary. The decision core takes `now` as an argument and never names a clock; these
// aliases keep every timestamp in one unit (milliseconds since the Unix epoch).
#pragma once

#include <chrono>
#include <cstdint>

namespace ebb {

using Duration = std::chrono::milliseconds;
using Timestamp = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline constexpr Timestamp FromUnixMillis(int64_t ms) {
  return Timestamp(Duration(ms));
}
inline constexpr int64_t ToUnixMillis(Timestamp t) {
  return t.time_since_epoch().count();
}
inline constexpr Duration Seconds(int64_t s) {
  return Duration(s * 1000);
}

// The only clock interface; live code gets SystemClock, simulation advances a SimulatedClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Timestamp start) : now_(start) {}
  Timestamp Now() const override { return now_; }
  void Set(Timestamp t) { now_ = t; }
  void Advance(Duration d) { now_ += d; }

 private:
  Timestamp now_;
};

}  // namespace ebb
