#include "controller/sim/number_text.h"

#include <cstdio>

namespace ebb::sim {

std::string FormatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string FormatSpan(double seconds) {
  if (seconds < 120) return FormatFixed(seconds, 0) + " s";
  if (seconds < 7200) return FormatFixed(seconds / 60, 1) + " min";
  if (seconds < 172800) return FormatFixed(seconds / 3600, 1) + " h";
  return FormatFixed(seconds / 86400, 1) + " days";
}

std::string FormatShare(double part, double whole, const char* none) {
  return whole > 0 ? FormatFixed(100.0 * part / whole, 1) + " %" : none;
}

}  // namespace ebb::sim
