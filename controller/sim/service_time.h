// How long one task keeps a worker slot busy: a distribution, or durations a recording carries
// (resampled). Draws come from a seeded generator whose sequence is the same on every platform
// (mt19937_64 and our own transforms, not the library's distributions, which differ by vendor).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "controller/base/result.h"

namespace ebb::sim {

enum class ServiceDistribution : uint8_t { kExponential, kConstant, kLognormal, kRecorded };

const char* ToString(ServiceDistribution d);

struct ServiceTime {
  ServiceDistribution distribution = ServiceDistribution::kExponential;
  double mean_seconds = 1;
  double cv = 1;  // lognormal: standard deviation / mean
  // kRecorded: seconds per task, sampled uniformly with replacement.
  std::shared_ptr<const std::vector<double>> recorded;
  std::string file;  // where `recorded` comes from (for the report)
};

// A seeded stream of the numbers the pool model needs.
class RandomStream {
 public:
  explicit RandomStream(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Exponential with mean 1.
  double Exponential();
  double Normal();

 private:
  std::mt19937_64 engine_;
};

// A ServiceTime ready to draw from: what each draw would otherwise recompute (the lognormal's
// parameters) computed once. Draws the same numbers as DrawServiceTime. Holds a reference to the
// recorded durations, so it must not outlive the ServiceTime it was made from.
class ServiceSampler {
 public:
  explicit ServiceSampler(const ServiceTime& s);
  double Draw(RandomStream& rng) const;

 private:
  ServiceDistribution distribution_;
  double mean_;
  double mu_ = 0;                                  // lognormal: the underlying normal's mean
  double sigma_ = 0;                               // and standard deviation
  const std::vector<double>* recorded_ = nullptr;  // empty: draws the mean
};

double DrawServiceTime(const ServiceTime& s, RandomStream& rng);

// Reads durations in seconds: one number per line, or the last comma-separated field; a header
// line and blank lines are skipped. Errors name the file and line.
Result<std::vector<double>> LoadDurations(const std::string& path);

}  // namespace ebb::sim
