#include "controller/sim/service_time.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numbers>

namespace ebb::sim {

const char* ToString(ServiceDistribution d) {
  switch (d) {
    case ServiceDistribution::kExponential:
      return "exponential";
    case ServiceDistribution::kConstant:
      return "constant";
    case ServiceDistribution::kLognormal:
      return "lognormal";
    case ServiceDistribution::kRecorded:
      return "recorded";
  }
  return "?";
}

double RandomStream::Exponential() {
  return -std::log1p(-Uniform());
}

double RandomStream::Normal() {
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

ServiceSampler::ServiceSampler(const ServiceTime& s)
    : distribution_(s.distribution), mean_(s.mean_seconds) {
  if (s.distribution == ServiceDistribution::kLognormal) {
    const double sigma2 = std::log1p(s.cv * s.cv);
    mu_ = std::log(s.mean_seconds) - sigma2 / 2;
    sigma_ = std::sqrt(sigma2);
  }
  if (s.recorded && !s.recorded->empty()) recorded_ = s.recorded.get();
}

double ServiceSampler::Draw(RandomStream& rng) const {
  switch (distribution_) {
    case ServiceDistribution::kConstant:
      return mean_;
    case ServiceDistribution::kExponential:
      return mean_ * rng.Exponential();
    case ServiceDistribution::kLognormal:
      return std::exp(mu_ + sigma_ * rng.Normal());
    case ServiceDistribution::kRecorded: {
      if (recorded_ == nullptr) return mean_;
      const auto n = recorded_->size();
      auto k = static_cast<size_t>(rng.Uniform() * static_cast<double>(n));
      return (*recorded_)[std::min(k, n - 1)];
    }
  }
  return mean_;
}

double DrawServiceTime(const ServiceTime& s, RandomStream& rng) {
  return ServiceSampler(s).Draw(rng);
}

Result<std::vector<double>> LoadDurations(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, path + ": cannot read the service times");
  std::vector<double> out;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto comma = line.rfind(',');
    const std::string field = comma == std::string::npos ? line : line.substr(comma + 1);
    double v = 0;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || p != field.data() + field.size()) {
      if (n == 1) continue;  // a header
      return MakeError(ErrorCode::kParse, path + ":" + std::to_string(n) +
                                              ": a service time must be a number of seconds");
    }
    if (!std::isfinite(v) || v < 0) {
      return MakeError(ErrorCode::kParse,
                       path + ":" + std::to_string(n) + ": a service time must be >= 0 seconds");
    }
    out.push_back(v);
  }
  if (out.empty()) return MakeError(ErrorCode::kParse, path + ": no service times");
  return out;
}

}  // namespace ebb::sim
